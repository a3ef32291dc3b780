/*
 * cmd_search — `newswire search` and `newswire show`: query the SQLite FTS5
 * index the sqlite-fts sink keeps (nw_fts_search, --db) or the postgres
 * sink's table (nw_pg_search, --postgres), print hits for people (time,
 * category, headline, marked snippet, uri) or as JSON lines for scripts,
 * the same whichever index answered, and print a story's stored current
 * version. Read-only: it never writes an index and never blocks its writer.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "nw_buf.h"
#include "nw_fts_search.h"
#include "nw_pg_search.h"
#include "nw_time.h"

static const char search_usage[] =
    "usage: newswire search (--db FILE | --postgres CONNINFO [--table T]) [--category C]\n"
    "                       [--since T] [--until T] [--lang L] [--person P] [--place P]\n"
    "                       [--org O] [--limit N] [--json] QUERY...\n"
    "\n"
    "Searches the index kept by the sqlite-fts consumer sink (--db) or the table of the\n"
    "postgres sink (--postgres, a libpq conninfo; the password from PGPASSWORD or a\n"
    "passfile), best match first.\n"
    "QUERY: words (all must match), \"a phrase\", -excluded, word*, OR, ( ).\n"
    "With --postgres: words, \"a phrase\", -excluded and OR (no word*, no groups).\n"
    "T: a date or RFC 3339 time (2026-03-02, 2026-03-02T09:00:00Z) or an age (90m, 12h, 7d).\n"
    "--json prints one object per hit (uri, version, versionCreated, headline, snippet,\n"
    "score, category, people, places, organisations, subjects; a lower score is better).\n"
    "Exit status: 0 hits found, 1 none, 64 usage, 65 bad query, 66 no index,\n"
    "69 server unreachable or login refused.\n";

static const char show_usage[] =
    "usage: newswire show (--db FILE | --postgres CONNINFO [--table T]) URI\n"
    "Prints the stored current version of the story as ninjs.\n";

/* "7d", "12h", "90m" before now, or a timestamp. ms since the epoch, or -1. */
static int parse_when(const char *s, int64_t *out)
{
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end != s && n >= 0 && end[0] && !end[1] && strchr("mhd", end[0])) {
        int64_t unit = end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;
        *out = ((int64_t)time(NULL) - n * unit) * 1000;
        return 0;
    }
    int64_t epoch;
    int ms = 0;
    if (nw_time_parse(s, NULL, &epoch, &ms, NULL) < 0)
        return -1;
    *out = epoch * 1000 + ms;
    return 0;
}

/* Newline-separated names to a JSON array. */
static json_t *names(const char *s)
{
    json_t *a = json_array();
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        json_array_append_new(a, json_stringn(s, n));
        s = nl ? nl + 1 : s + n;
    }
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void print_json(const nw_search_hit *h, void *ctx)
{
    (void)ctx;
    json_t *o = json_object();
    json_object_set_new(o, "uri", str_or_null(h->uri));
    json_object_set_new(o, "version", str_or_null(h->version));
    json_object_set_new(o, "versionCreated", str_or_null(h->version_created));
    json_object_set_new(o, "headline", str_or_null(h->headline));
    json_object_set_new(o, "snippet", str_or_null(h->snippet));
    json_object_set_new(o, "score", json_real(h->score));
    json_object_set_new(o, "category", str_or_null(h->category));
    json_object_set_new(o, "people", names(h->people));
    json_object_set_new(o, "places", names(h->places));
    json_object_set_new(o, "organisations", names(h->organisations));
    json_object_set_new(o, "subjects", names(h->subjects));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line)
        puts(line);
    free(line);
    json_decref(o);
}

/* One line of text: newlines and tabs become spaces. */
static void put_flat(const char *s)
{
    for (; s && *s; s++)
        putchar(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
}

static void print_text(const nw_search_hit *h, void *ctx)
{
    (void)ctx;
    printf("%-20s  %-12s  ", h->version_created ? h->version_created : "(undated)",
           h->category ? h->category : "-");
    put_flat(h->headline ? h->headline : "(no headline)");
    printf("\n    ");
    put_flat(h->snippet);
    printf("\n    %s\n\n", h->uri);
}

static const char *arg_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "newswire %s: %s needs a value\n", argv[0], argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* Where the stories are: the SQLite index (--db) or the postgres sink's
 * table (--postgres, --table). */
typedef struct story_index {
    const char *db, *postgres, *table;
    nw_fts_reader *fts;
    nw_pg_reader *pg;
} story_index;

/* Take --db, --postgres or --table at argv[*i]. 1 taken, 0 not one of
 * them, -1 its value is missing. */
static int index_option(story_index *ix, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **dest = !strcmp(a, "--db")         ? &ix->db
                        : !strcmp(a, "--postgres") ? &ix->postgres
                        : !strcmp(a, "--table")    ? &ix->table
                                                   : NULL;
    if (!dest)
        return 0;
    return (*dest = arg_value(argc, argv, i)) ? 1 : -1;
}

/* 0 when exactly one index is named, else a usage message and 64. */
static int index_named(const story_index *ix, const char *cmd, const char *usage)
{
    if (!ix->db == !ix->postgres) {
        fprintf(stderr, "newswire %s: %s\n%s", cmd,
                ix->db ? "--db and --postgres: one index at a time"
                       : "--db FILE or --postgres CONNINFO is required",
                usage);
        return 64;
    }
    if (ix->table && !ix->postgres) {
        fprintf(stderr, "newswire %s: --table goes with --postgres\n%s", cmd, usage);
        return 64;
    }
    return 0;
}

/* Open the named index. 0, or the exit status after printing why: 66 no
 * index there, 69 the server unreachable or the login refused, 74 else. */
static int index_open(story_index *ix, const char *cmd)
{
    nw_err err = {0};
    int rc = ix->db ? nw_fts_reader_open(ix->db, &ix->fts, &err)
                    : nw_pg_reader_open(ix->postgres, ix->table, &ix->pg, &err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "newswire %s: %s\n", cmd, err.msg);
    if (err.code == NW_ENOTFOUND || err.code == NW_EINVAL)
        return 66;
    return ix->postgres && err.code == NW_EIO ? 69 : 74;
}

static void index_close(story_index *ix)
{
    nw_fts_reader_close(ix->fts);
    nw_pg_reader_close(ix->pg);
}

/* The query's shape, checked the same for both indexes (nw_fts_match_expr:
 * quotes closed, operators with operands, something not excluded); the
 * postgres table (websearch_to_tsquery) takes no ( ) groups and no word*. */
static int check_query(const story_index *ix, const nw_search_query *q, nw_err *err)
{
    char *expr = NULL;
    if (nw_fts_match_expr(q, &expr, err) < 0)
        return NW_EINVAL;
    free(expr);
    if (!ix->postgres || !q->text)
        return 0;
    bool quoted = false;
    for (const char *p = q->text; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '(' || *p == ')'))
            return nw_err_set(err, NW_EINVAL,
                              "query: ( ) groups are not supported with --postgres (words, "
                              "\"phrases\", -word and OR are)");
        else if (!quoted && *p == '*' && p > q->text && p[-1] != ' ')
            return nw_err_set(err, NW_EINVAL,
                              "query: word* (a prefix) is not supported with --postgres (words "
                              "are matched by their stem)");
    }
    return 0;
}

int nw_cmd_search(int argc, char **argv)
{
    story_index ix = {0};
    bool json = false;
    nw_search_query q = {.since_ms = NW_SEARCH_NO_TIME, .until_ms = NW_SEARCH_NO_TIME};
    nw_buf text = NW_BUF_INIT;
    struct {
        const char *flag;
        const char **dest;
    } strings[] = {{"--category", &q.category},
                   {"--lang", &q.lang},
                   {"--person", &q.person},
                   {"--place", &q.place},
                   {"--org", &q.org}};
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        const char *a = argv[i];
        int taken = index_option(&ix, argc, argv, &i);
        if (taken < 0)
            status = 64;
        if (taken)
            continue;
        bool matched = false;
        for (size_t k = 0; k < sizeof strings / sizeof strings[0] && !matched; k++)
            if (!strcmp(a, strings[k].flag)) {
                matched = true;
                if (!(*strings[k].dest = arg_value(argc, argv, &i)))
                    status = 64;
            }
        if (matched)
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(search_usage, stdout);
            nw_buf_free(&text);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--since") || !strcmp(a, "--until")) {
            const char *v = arg_value(argc, argv, &i);
            int64_t *dest = a[2] == 's' ? &q.since_ms : &q.until_ms;
            if (!v || parse_when(v, dest) < 0) {
                if (v)
                    fprintf(stderr,
                            "newswire search: %s: '%s' is not a time (2026-03-02, "
                            "2026-03-02T09:00:00Z, 12h, 7d)\n",
                            a, v);
                status = 64;
            }
        } else if (!strcmp(a, "--limit")) {
            const char *v = arg_value(argc, argv, &i);
            if (!v || (q.limit = atoi(v)) <= 0) {
                if (v)
                    fprintf(stderr, "newswire search: --limit: '%s' is not a positive number\n", v);
                status = 64;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "newswire search: unknown option %s\n%s", a, search_usage);
            status = 64;
        } else {
            /* a word with spaces came quoted from the shell: a phrase */
            bool phrase = strpbrk(a, " \t") && !strchr(a, '"');
            if (text.len)
                nw_buf_putc(&text, ' ');
            if (phrase)
                nw_buf_putc(&text, '"');
            nw_buf_puts(&text, a);
            if (phrase)
                nw_buf_putc(&text, '"');
        }
    }
    if (!status)
        status = index_named(&ix, "search", search_usage);
    if (!status && !text.len && !q.person && !q.place && !q.org && !q.category && !q.lang &&
        q.since_ms == NW_SEARCH_NO_TIME && q.until_ms == NW_SEARCH_NO_TIME) {
        fprintf(stderr, "newswire search: what to look for? (a QUERY or a filter)\n%s",
                search_usage);
        status = 64;
    }
    q.text = nw_buf_str(&text);
    nw_err err = {0};
    if (!status && check_query(&ix, &q, &err) < 0) {
        fprintf(stderr, "newswire search: %s\n", err.msg);
        status = 65;
    }
    if (!status)
        status = index_open(&ix, "search");
    if (status) {
        nw_buf_free(&text);
        return status;
    }
    nw_search_hit_fn print = json ? print_json : print_text;
    int n = ix.fts ? nw_fts_search(ix.fts, &q, print, NULL, &err)
                   : nw_pg_search(ix.pg, &q, print, NULL, &err);
    index_close(&ix);
    nw_buf_free(&text);
    if (n < 0) {
        fprintf(stderr, "newswire search: %s\n", err.msg);
        return n == NW_EINVAL ? 65 : 74;
    }
    if (!json)
        fprintf(stderr, "%d hit%s\n", n, n == 1 ? "" : "s");
    return n > 0 ? 0 : 1;
}

int nw_cmd_show(int argc, char **argv)
{
    story_index ix = {0};
    const char *uri = NULL;
    for (int i = 1; i < argc; i++) {
        int taken = index_option(&ix, argc, argv, &i);
        if (taken < 0)
            return 64;
        if (taken)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(show_usage, stdout);
            return 0;
        } else if (!uri && argv[i][0] != '-') {
            uri = argv[i];
        } else {
            fprintf(stderr, "newswire show: unexpected argument %s\n%s", argv[i], show_usage);
            return 64;
        }
    }
    int status = index_named(&ix, "show", show_usage);
    if (status)
        return status;
    if (!uri) {
        fputs(show_usage, stderr);
        return 64;
    }
    if ((status = index_open(&ix, "show")))
        return status;
    char *ninjs = NULL;
    const char *state = NULL;
    nw_err err = {0};
    int rc = ix.fts ? nw_fts_show(ix.fts, uri, &ninjs, &state, &err)
                    : nw_pg_show(ix.pg, uri, &ninjs, &state, &err);
    index_close(&ix);
    if (rc < 0) {
        fprintf(stderr, "newswire show: %s\n", err.msg);
        return rc == NW_ENOTFOUND ? 1 : 74;
    }
    puts(ninjs);
    if (strcmp(state, "usable"))
        fprintf(stderr, "newswire show: %s is %s: not searchable\n", uri, state);
    free(ninjs);
    return 0;
}
