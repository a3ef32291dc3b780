/*
 * nw_fts_search — query translation, search and show over the FTS5 story
 * index. See nw_fts_search.h.
 */
#include "nw_fts_search.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_buf.h"

struct nw_fts_reader {
    sqlite3 *db;
    char *path;
};

int nw_fts_reader_open(const char *path, nw_fts_reader **out, nw_err *err)
{
    *out = NULL;
    if (access(path, F_OK) != 0)
        return nw_err_set(err, NW_ENOTFOUND,
                          "%s: no such index (build one with the sqlite-fts "
                          "sink)",
                          path);
    nw_fts_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(r->db, 5000);
        rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM stories_fts LIMIT 0", -1, &q, NULL);
        sqlite3_finalize(q);
    }
    if (rc != SQLITE_OK) {
        nw_err_set(err, NW_EINVAL, "%s: not a newswire search index (%s)", path,
                   r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
        nw_fts_reader_close(r);
        return NW_EINVAL;
    }
    *out = r;
    return 0;
}

void nw_fts_reader_close(nw_fts_reader *r)
{
    if (!r)
        return;
    sqlite3_close(r->db);
    free(r->path);
    free(r);
}

/* ------------------------------------------------------------ translation */

/* Append s[0..n) as an FTS5 string ("..." with quotes doubled). */
static void put_string(nw_buf *b, const char *s, size_t n)
{
    nw_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            nw_buf_putc(b, '"');
        nw_buf_putc(b, s[i]);
    }
    nw_buf_putc(b, '"');
}

static bool is_operator(const char *s, size_t n)
{
    return (n == 2 && !memcmp(s, "OR", 2)) || (n == 3 && !memcmp(s, "AND", 3)) ||
           (n == 3 && !memcmp(s, "NOT", 3));
}

/* One term: a word, a "phrase", a word*; negated with a leading '-'. */
typedef struct term {
    bool negated;
    char *expr; /* FTS5 text of the term */
} term;

/* Operators and parentheses where FTS5 would only say "syntax error". */
static int check_shape(const term *t, size_t n, nw_err *err)
{
    int depth = 0;
    const char *prev = NULL; /* the previous term's text, NULL at the start */
    for (size_t i = 0; i < n; i++) {
        const char *e = t[i].expr;
        bool op = is_operator(e, strlen(e)) && !t[i].negated;
        bool prev_op = prev && is_operator(prev, strlen(prev));
        if (op && (!prev || prev_op || !strcmp(prev, "(")))
            return nw_err_set(err, NW_EINVAL, "query: %s needs something to search for before it",
                              e);
        if (!strcmp(e, ")")) {
            if (prev_op)
                return nw_err_set(err, NW_EINVAL, "query: %s needs something after it", prev);
            if (--depth < 0)
                return nw_err_set(err, NW_EINVAL, "query: a ')' closes nothing");
        }
        if (!strcmp(e, "("))
            depth++;
        prev = e;
    }
    if (prev && is_operator(prev, strlen(prev)))
        return nw_err_set(err, NW_EINVAL, "query: %s needs something after it", prev);
    if (depth > 0)
        return nw_err_set(err, NW_EINVAL, "query: a '(' is not closed");
    return 0;
}

static int translate(const char *text, nw_buf *out, nw_err *err)
{
    term *terms = NULL;
    size_t n = 0, cap = 0, positives = 0;
    int rc = 0;
    for (const char *p = text; *p && rc == 0;) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        nw_buf t = NW_BUF_INIT;
        bool neg = false;
        if (*p == '-' && p[1] && !isspace((unsigned char)p[1])) {
            neg = true;
            p++;
        }
        if (neg && *p == '(') {
            rc = nw_err_set(err, NW_EINVAL,
                            "query: -( ) cannot exclude a group; exclude words one by one "
                            "(-a -b)");
            nw_buf_free(&t);
            break;
        }
        if (*p == '(' || *p == ')') {
            nw_buf_putc(&t, *p++);
        } else if (*p == '"') {
            const char *end = strchr(p + 1, '"');
            if (!end) {
                rc = nw_err_set(err, NW_EINVAL, "query: a quote is not closed: %s", p);
                nw_buf_free(&t);
                break;
            }
            put_string(&t, p + 1, (size_t)(end - p - 1));
            p = end + 1;
            if (*p == '*')
                nw_buf_putc(&t, *p++);
        } else {
            const char *start = p;
            while (*p && !isspace((unsigned char)*p) && *p != '"' && *p != '(' && *p != ')')
                p++;
            size_t len = (size_t)(p - start);
            bool prefix = len > 1 && start[len - 1] == '*';
            if (!neg && is_operator(start, len))
                nw_buf_append(&t, start, len);
            else {
                put_string(&t, start, len - prefix);
                if (prefix)
                    nw_buf_putc(&t, '*');
            }
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            term *nt = realloc(terms, cap * sizeof *nt);
            if (!nt) {
                nw_buf_free(&t);
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                break;
            }
            terms = nt;
        }
        terms[n].negated = neg;
        terms[n].expr = nw_buf_take(&t);
        positives += !neg;
        n++;
    }
    if (rc == 0)
        rc = check_shape(terms, n, err);
    if (rc == 0 && n && !positives)
        rc = nw_err_set(err, NW_EINVAL,
                        "query: only excluded words (-word); say what to look for too");
    /* FTS5's NOT is binary: the excluded terms go after the others. Its
     * implicit AND joins phrases only: an explicit AND goes between two
     * operands when either is a group. */
    bool after_operand = false;
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t i = 0; i < n; i++) {
            if (terms[i].negated != (pass == 1))
                continue;
            const char *e = terms[i].expr;
            bool op = is_operator(e, strlen(e)) && !terms[i].negated;
            bool closes = !strcmp(e, ")"), opens = !strcmp(e, "(");
            if (out->len)
                nw_buf_puts(out, after_operand && !op && !closes && pass == 0 ? " AND " : " ");
            if (pass == 1)
                nw_buf_puts(out, "NOT ");
            nw_buf_puts(out, e);
            after_operand = !op && !opens;
        }
    for (size_t i = 0; i < n; i++)
        free(terms[i].expr);
    free(terms);
    return rc;
}

int nw_fts_match_expr(const nw_fts_query *q, char **out, nw_err *err)
{
    *out = NULL;
    nw_buf words = NW_BUF_INIT, all = NW_BUF_INIT;
    if (q->text && translate(q->text, &words, err) < 0) {
        nw_buf_free(&words);
        return NW_EINVAL;
    }
    if (words.len) {
        nw_buf_putc(&all, '(');
        nw_buf_append(&all, words.data, words.len);
        nw_buf_putc(&all, ')');
    }
    nw_buf_free(&words);
    const struct {
        const char *column, *value;
    } filters[] = {{"people", q->person}, {"places", q->place}, {"organisations", q->org}};
    for (size_t i = 0; i < 3; i++) {
        if (!filters[i].value || !*filters[i].value)
            continue;
        if (all.len)
            nw_buf_puts(&all, " AND ");
        nw_buf_printf(&all, "%s : ", filters[i].column);
        put_string(&all, filters[i].value, strlen(filters[i].value));
    }
    if (nw_buf_failed(&all)) {
        nw_buf_free(&all);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    *out = all.len ? nw_buf_take(&all) : NULL;
    nw_buf_free(&all);
    return 0;
}

/* ----------------------------------------------------------------- search */

#define HIT_COLUMNS                                                                                \
    "s.uri, s.version, s.version_created, s.category, s.headline, %s, %s, s.people, s.places,"     \
    " s.organisations, s.subjects"
#define FILTERS                                                                                    \
    " (?2 IS NULL OR instr(' ' || s.category || ' ', ' ' || ?2 || ' ') > 0)"                       \
    " AND (?3 IS NULL OR s.language = ?3 OR s.language LIKE ?3 || '-%%')"                          \
    " AND (?4 IS NULL OR s.version_created_ms >= ?4)"                                              \
    " AND (?5 IS NULL OR s.version_created_ms < ?5)"

/* bm25 weights, in column order: headline, body, people, places,
 * organisations, subjects. */
#define BM25_WEIGHTS "10.0, 1.0, 4.0, 4.0, 4.0, 2.0"
#define BM25         "bm25(stories_fts, " BM25_WEIGHTS ")"

/* A search with words (docs/search.md, "Measured"). The subquery ranks
 * every match by bm25 on the FTS table alone and keeps the ids of the best
 * ?6: it joins the stories table only when a filter on its columns is asked
 * for. The outer query walks the matches again (rowids only, cheap) and
 * reads the stories row, bm25 and the snippet for those ids only. The unary
 * + keeps the IN out of FTS5's rowid= plan, which would parse and seek the
 * expression once per id. The FTS table holds exactly the usable stories
 * (docs/story-state.md); the outer query checks indexed = 1 all the same. */
static void match_sql(nw_buf *sql, bool filtered)
{
    nw_buf_puts(sql, "SELECT ");
    nw_buf_printf(sql, HIT_COLUMNS, "snippet(stories_fts, -1, '[', ']', '...', 16)",
                  BM25 " AS score");
    nw_buf_puts(sql, " FROM stories_fts JOIN stories s ON s.id = stories_fts.rowid"
                     " WHERE stories_fts MATCH ?1 AND s.indexed = 1 AND +stories_fts.rowid IN"
                     " (SELECT i.rowid FROM stories_fts AS i");
    if (filtered)
        nw_buf_printf(sql,
                      " JOIN stories s ON s.id = i.rowid WHERE i.stories_fts MATCH ?1 AND" FILTERS);
    else
        nw_buf_puts(sql, " WHERE i.stories_fts MATCH ?1");
    nw_buf_puts(sql, " ORDER BY bm25(i.stories_fts, " BM25_WEIGHTS "), i.rowid LIMIT ?6)"
                     " ORDER BY score, stories_fts.rowid");
}

static const char *column_text(sqlite3_stmt *q, int i)
{
    return (const char *)sqlite3_column_text(q, i);
}

/* FTS5's message for a bad expression, reduced to one line without SQL. */
static int query_error(nw_fts_reader *r, nw_err *err)
{
    const char *m = sqlite3_errmsg(r->db);
    if (!strncmp(m, "fts5: ", 6))
        m += 6;
    return nw_err_set(err, NW_EINVAL, "query: %s (quote words to search for them literally)", m);
}

int nw_fts_search(nw_fts_reader *r, const nw_fts_query *q, nw_fts_hit_fn fn, void *ctx, nw_err *err)
{
    char *match = NULL;
    if (nw_fts_match_expr(q, &match, err) < 0)
        return err ? err->code : NW_EINVAL;
    nw_buf sql = NW_BUF_INIT;
    bool filtered =
        q->category || q->lang || q->since_ms != NW_FTS_NO_TIME || q->until_ms != NW_FTS_NO_TIME;
    if (match) {
        match_sql(&sql, filtered);
    } else {
        nw_buf_puts(&sql, "SELECT ");
        nw_buf_printf(&sql, HIT_COLUMNS, "substr(s.body, 1, 160)", "0.0");
        nw_buf_printf(&sql, " FROM stories s WHERE s.indexed = 1 AND (?1 IS NULL) AND" FILTERS
                            " ORDER BY s.version_created_ms DESC LIMIT ?6");
    }
    sqlite3_stmt *st = NULL;
    int rc =
        nw_buf_failed(&sql) ? SQLITE_NOMEM : sqlite3_prepare_v2(r->db, sql.data, -1, &st, NULL);
    nw_buf_free(&sql);
    if (rc != SQLITE_OK) {
        free(match);
        return nw_err_set(err, NW_EIO, "%s: %s", r->path, sqlite3_errmsg(r->db));
    }
    if (match)
        sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    if (q->category)
        sqlite3_bind_text(st, 2, q->category, -1, SQLITE_STATIC);
    if (q->lang)
        sqlite3_bind_text(st, 3, q->lang, -1, SQLITE_STATIC);
    if (q->since_ms != NW_FTS_NO_TIME)
        sqlite3_bind_int64(st, 4, q->since_ms);
    if (q->until_ms != NW_FTS_NO_TIME)
        sqlite3_bind_int64(st, 5, q->until_ms);
    sqlite3_bind_int(st, 6, q->limit > 0 ? q->limit : 20);
    int hits = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        nw_fts_hit h = {column_text(st, 0),  column_text(st, 1),          column_text(st, 2),
                        column_text(st, 3),  column_text(st, 4),          column_text(st, 5),
                        column_text(st, 7),  column_text(st, 8),          column_text(st, 9),
                        column_text(st, 10), sqlite3_column_double(st, 6)};
        fn(&h, ctx);
        hits++;
    }
    int out = hits;
    if (rc != SQLITE_DONE)
        out = sqlite3_errcode(r->db) == SQLITE_ERROR && match
                  ? query_error(r, err)
                  : nw_err_set(err, NW_EIO, "%s: %s", r->path, sqlite3_errmsg(r->db));
    sqlite3_finalize(st);
    free(match);
    return out;
}

int nw_fts_show(nw_fts_reader *r, const char *uri, char **ninjs, const char **state, nw_err *err)
{
    *ninjs = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT ninjs, state FROM stories WHERE uri = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return nw_err_set(err, NW_EIO, "%s: %s", r->path, sqlite3_errmsg(r->db));
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), out = 0;
    if (rc == SQLITE_ROW) {
        static const char *const states[] = {"usable", "canceled", "withheld", "embargoed"};
        const char *s = column_text(st, 1);
        if (state) {
            *state = "withheld";
            for (size_t i = 0; s && i < 4; i++)
                if (!strcmp(s, states[i]))
                    *state = states[i];
        }
        const char *text = column_text(st, 0);
        *ninjs = strdup(text ? text : "{}");
        if (!*ninjs)
            out = nw_err_set(err, NW_ENOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        out = nw_err_set(err, NW_ENOTFOUND, "%s: no story with uri %s", r->path, uri);
    } else {
        out = nw_err_set(err, NW_EIO, "%s: %s", r->path, sqlite3_errmsg(r->db));
    }
    sqlite3_finalize(st);
    return out;
}
