/*
 * cmd_search — `newswire search` and `newswire show`: query the SQLite FTS5
 * index the sqlite-fts sink keeps (nw_fts_search), print hits for people
 * (time, category, headline, marked snippet, uri) or as JSON lines for
 * scripts, and print a story's stored current version. Read-only: it never
 * writes the index and never blocks its writer.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "nw_buf.h"
#include "nw_fts_search.h"
#include "nw_time.h"

static const char search_usage[] =
    "usage: newswire search --db FILE [--category C] [--since T] [--until T] [--lang L]\n"
    "                       [--person P] [--place P] [--org O] [--limit N] [--json] QUERY...\n"
    "\n"
    "Searches the index kept by the sqlite-fts consumer sink, best match first.\n"
    "QUERY: words (all must match), \"a phrase\", -excluded, word*, OR, ( ).\n"
    "T: a date or RFC 3339 time (2026-03-02, 2026-03-02T09:00:00Z) or an age (90m, 12h, 7d).\n"
    "--json prints one object per hit (uri, version, versionCreated, headline, snippet,\n"
    "score, category, people, places, organisations, subjects).\n"
    "Exit status: 0 hits found, 1 none, 64 usage, 65 bad query, 66 no index.\n";

static const char show_usage[] = "usage: newswire show --db FILE URI\n"
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

static void print_json(const nw_fts_hit *h, void *ctx)
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

static void print_text(const nw_fts_hit *h, void *ctx)
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

int nw_cmd_search(int argc, char **argv)
{
    const char *db = NULL;
    bool json = false;
    nw_fts_query q = {.since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME};
    nw_buf text = NW_BUF_INIT;
    struct {
        const char *flag;
        const char **dest;
    } strings[] = {{"--db", &db},           {"--category", &q.category}, {"--lang", &q.lang},
                   {"--person", &q.person}, {"--place", &q.place},       {"--org", &q.org}};
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        const char *a = argv[i];
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
    if (!status && !db) {
        fprintf(stderr, "newswire search: --db FILE is required\n%s", search_usage);
        status = 64;
    }
    if (!status && !text.len && !q.person && !q.place && !q.org && !q.category && !q.lang &&
        q.since_ms == NW_FTS_NO_TIME && q.until_ms == NW_FTS_NO_TIME) {
        fprintf(stderr, "newswire search: what to look for? (a QUERY or a filter)\n%s",
                search_usage);
        status = 64;
    }
    if (status) {
        nw_buf_free(&text);
        return status;
    }
    q.text = nw_buf_str(&text);
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    if (nw_fts_reader_open(db, &r, &err) < 0) {
        fprintf(stderr, "newswire search: %s\n", err.msg);
        nw_buf_free(&text);
        return err.code == NW_ENOTFOUND || err.code == NW_EINVAL ? 66 : 74;
    }
    int n = nw_fts_search(r, &q, json ? print_json : print_text, NULL, &err);
    nw_fts_reader_close(r);
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
    const char *db = NULL, *uri = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(show_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--db")) {
            if (!(db = arg_value(argc, argv, &i)))
                return 64;
        } else if (!uri && argv[i][0] != '-') {
            uri = argv[i];
        } else {
            fprintf(stderr, "newswire show: unexpected argument %s\n%s", argv[i], show_usage);
            return 64;
        }
    }
    if (!db || !uri) {
        fputs(show_usage, stderr);
        return 64;
    }
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    if (nw_fts_reader_open(db, &r, &err) < 0) {
        fprintf(stderr, "newswire show: %s\n", err.msg);
        return 66;
    }
    char *ninjs = NULL;
    const char *state = NULL;
    int rc = nw_fts_show(r, uri, &ninjs, &state, &err);
    nw_fts_reader_close(r);
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
