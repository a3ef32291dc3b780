/*
 * nw_pg_search — search and show over the postgres sink's table. See
 * nw_pg_search.h and docs/postgres-sink.md.
 */
#include "nw_pg_search.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"
#include "nw_pg_sink.h"

struct nw_pg_reader {
    PGconn *conn;
    char table[64];
    char where[160]; /* "host=H port=P dbname=D", for messages */
};

/* libpq's message, first line, without the trailing newline. */
static void first_line(char *dst, size_t n, const char *msg)
{
    snprintf(dst, n, "%s", msg && *msg ? msg : "connection failed");
    dst[strcspn(dst, "\n")] = '\0';
}

void nw_pg_reader_close(nw_pg_reader *r)
{
    if (!r)
        return;
    PQfinish(r->conn);
    free(r);
}

int nw_pg_reader_open(const char *conninfo, const char *table, nw_pg_reader **out, nw_err *err)
{
    *out = NULL;
    table = table ? table : "stories";
    if (!nw_pg_table_name_ok(table))
        return nw_err_set(err, NW_EINVAL,
                          "table: '%s' is not a plain lower-case name ([a-z_][a-z0-9_]*, at most "
                          "40)",
                          table);
    nw_pg_reader *r = calloc(1, sizeof *r);
    if (!r)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    snprintf(r->table, sizeof r->table, "%s", table);
    /* conninfo is expanded last, so its own settings win over these defaults */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *vals[] = {"10", "newswire-search", conninfo ? conninfo : "", NULL};
    r->conn = PQconnectdbParams(keys, vals, 1);
    if (!r->conn || PQstatus(r->conn) != CONNECTION_OK) {
        char m[512];
        first_line(m, sizeof m, r->conn ? PQerrorMessage(r->conn) : "out of memory");
        nw_pg_reader_close(r);
        return nw_err_set(err, NW_EIO, "PostgreSQL: %s", m);
    }
    snprintf(r->where, sizeof r->where, "host=%s port=%s dbname=%s", PQhost(r->conn),
             PQport(r->conn), PQdb(r->conn));
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s_current LIMIT 0", r->table);
    PGresult *res = PQexec(r->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        bool missing = st && !strcmp(st, "42P01");
        char m[256];
        first_line(m, sizeof m, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        PQclear(res);
        int rc = nw_err_set(err, missing ? NW_ENOTFOUND : NW_EIO,
                            missing ? "%s: no newswire story table %s (the postgres sink creates "
                                      "it)%.0s"
                                    : "%s: table %s: %s",
                            r->where, r->table, m);
        nw_pg_reader_close(r);
        return rc;
    }
    PQclear(res);
    *out = r;
    return 0;
}

/* ----------------------------------------------------------------- search */

/* The text-search configurations newswire_tsconfig() (the sink's schema)
 * gives a story by its language. The query is parsed once per
 * configuration and each story is matched with its own one; the GIN index
 * is reached through the OR of all of them (a row matching its own
 * configuration's query matches the OR), then each row is held to its own. */
static const char *const configs[] = {"english",    "french",  "german",  "spanish", "italian",
                                      "portuguese", "dutch",   "russian", "swedish", "danish",
                                      "norwegian",  "finnish", "turkish", "simple"};

#define TIME_OF(c)  "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define LINES_OF(c) "array_to_string(" c ", E'\\n')"
#define ENTITIES(t)                                                                                \
    LINES_OF(t ".people")                                                                          \
    ", " LINES_OF(t ".places") ", " LINES_OF(t ".organisations") ", " LINES_OF(t ".subjects")
#define HAS_NAME(col, param)                                                                       \
    " AND (" param "::text IS NULL OR to_tsvector('simple', newswire_words(s." col                 \
    ")) @@ phraseto_tsquery('simple', " param "))"
/* $2 category, $3 language, $4 since and $5 until (ms), $7 person, $8 place, $9 org */
#define FILTERS                                                                                    \
    " ($2::text IS NULL OR $2 = ANY (string_to_array(s.category, ' ')))"                           \
    " AND ($3::text IS NULL OR s.language = $3 OR s.language LIKE $3 || '-%%')"                    \
    " AND ($4::bigint IS NULL OR s.version_created >= to_timestamp($4 / 1000.0))"                  \
    " AND ($5::bigint IS NULL OR s.version_created < to_timestamp($5 / 1000.0))" HAS_NAME(         \
        "people", "$7") HAS_NAME("places", "$8") HAS_NAME("organisations", "$9")

/* ts_rank_cd weights {D, C, B, A}: body 0.1, entities 0.4, headline 1. */
#define RANK "-ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', s.search, q.q)"
#define SNIPPET_OPTIONS                                                                            \
    "'StartSel=[, StopSel=], MaxWords=24, MinWords=10, ShortWord=2, MaxFragments=2, "              \
    "FragmentDelimiter=\" ... \"'"

/* The snippet from the body when the words are there, else from the headline. */
#define SNIPPET                                                                                    \
    "ts_headline(h.cfg, CASE WHEN to_tsvector(h.cfg, coalesce(h.body, '')) @@ h.q THEN h.body "    \
    "ELSE coalesce(h.headline, h.body, '') END, h.q, " SNIPPET_OPTIONS ")"

/* %1$s the table, %2$s the configurations' names, %3$s their queries ORed */
/* clang-format off */
static const char search_sql[] =
    "WITH q AS MATERIALIZED (SELECT c AS cfg, websearch_to_tsquery(c, $1::text) AS q"
    "  FROM unnest(ARRAY[%2$s]::regconfig[]) AS c)"
    " SELECT h.uri, h.version::text, " TIME_OF("h.version_created") ", h.category, h.headline, "
    SNIPPET ", h.score, " ENTITIES("h")
    " FROM (SELECT s.*, q.cfg, q.q, " RANK " AS score"
    "  FROM %1$s_current s JOIN q ON q.cfg = newswire_tsconfig(s.language) AND s.search @@ q.q"
    "  WHERE s.search @@ (%3$s) AND" FILTERS
    "  ORDER BY score, s.uri LIMIT $6) h"
    " ORDER BY h.score, h.uri";

static const char list_sql[] =
    "SELECT s.uri, s.version::text, " TIME_OF("s.version_created") ", s.category, s.headline,"
    " left(coalesce(s.body, ''), 160), 0.0::float8, " ENTITIES("s")
    " FROM %1$s_current s"
    " WHERE $1::text IS NULL AND" FILTERS
    " ORDER BY s.version_created DESC NULLS LAST, s.uri LIMIT $6";
/* clang-format on */

static const char *value_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A failed statement, reduced to one line without SQL: a value PostgreSQL
 * refuses in the query (class 22, 42) is the query's fault. */
static int statement_error(nw_pg_reader *r, const PGresult *res, nw_err *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char m[256];
    first_line(m, sizeof m,
               res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                   ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                   : PQerrorMessage(r->conn));
    if (st && (!strncmp(st, "22", 2) || !strncmp(st, "42", 2)))
        return nw_err_set(err, NW_EINVAL, "query: %s", m);
    return nw_err_set(err, NW_EIO, "PostgreSQL %s: %s", r->where, m);
}

int nw_pg_search(nw_pg_reader *r, const nw_search_query *q, nw_search_hit_fn fn, void *ctx,
                 nw_err *err)
{
    bool text = q->text && q->text[strspn(q->text, " \t\r\n")];
    char since[24], until[24], limit[16];
    snprintf(since, sizeof since, "%lld", (long long)q->since_ms);
    snprintf(until, sizeof until, "%lld", (long long)q->until_ms);
    snprintf(limit, sizeof limit, "%d", q->limit > 0 ? q->limit : 20);
    const char *params[9] = {text ? q->text : NULL,
                             q->category,
                             q->lang,
                             q->since_ms == NW_SEARCH_NO_TIME ? NULL : since,
                             q->until_ms == NW_SEARCH_NO_TIME ? NULL : until,
                             limit,
                             q->person && *q->person ? q->person : NULL,
                             q->place && *q->place ? q->place : NULL,
                             q->org && *q->org ? q->org : NULL};
    nw_buf names = NW_BUF_INIT, any = NW_BUF_INIT, sql = NW_BUF_INIT;
    for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
        nw_buf_printf(&names, "%s'%s'", i ? ", " : "", configs[i]);
        nw_buf_printf(&any, "%swebsearch_to_tsquery('%s', $1::text)", i ? " || " : "", configs[i]);
    }
    nw_buf_printf(&sql, text ? search_sql : list_sql, r->table, nw_buf_str(&names),
                  nw_buf_str(&any));
    bool failed = nw_buf_failed(&names) || nw_buf_failed(&any);
    nw_buf_free(&names);
    nw_buf_free(&any);
    if (failed || nw_buf_failed(&sql)) {
        nw_buf_free(&sql);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    PGresult *res = PQexecParams(r->conn, nw_buf_str(&sql), 9, NULL, params, NULL, NULL, 0);
    nw_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = statement_error(r, res, err);
        PQclear(res);
        return rc;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        nw_search_hit h = {
            value_or_null(res, i, 0),  value_or_null(res, i, 1),           value_or_null(res, i, 2),
            value_or_null(res, i, 3),  value_or_null(res, i, 4),           value_or_null(res, i, 5),
            value_or_null(res, i, 7),  value_or_null(res, i, 8),           value_or_null(res, i, 9),
            value_or_null(res, i, 10), strtod(PQgetvalue(res, i, 6), NULL)};
        fn(&h, ctx);
    }
    PQclear(res);
    return n;
}

int nw_pg_show(nw_pg_reader *r, const char *uri, char **ninjs, const char **state, nw_err *err)
{
    *ninjs = NULL;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT doc::text, CASE WHEN state = 'embargoed' AND embargo <= now() THEN "
             "'usable' ELSE state END FROM %s WHERE uri = $1",
             r->table);
    const char *params[1] = {uri};
    PGresult *res = PQexecParams(r->conn, sql, 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = statement_error(r, res, err);
    } else if (PQntuples(res) == 0) {
        rc = nw_err_set(err, NW_ENOTFOUND, "%s: no story with uri %s", r->where, uri);
    } else {
        static const char *const states[] = {"usable", "canceled", "withheld", "embargoed"};
        const char *s = PQgetvalue(res, 0, 1);
        if (state) {
            *state = "withheld";
            for (size_t i = 0; i < 4; i++)
                if (!strcmp(s, states[i]))
                    *state = states[i];
        }
        if (!(*ninjs = strdup(PQgetvalue(res, 0, 0))))
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    PQclear(res);
    return rc;
}
