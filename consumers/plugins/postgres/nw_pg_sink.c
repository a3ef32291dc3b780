/*
 * nw_pg_sink — PostgreSQL story sink: schema, COPY + upsert batches,
 * SQLSTATE classification, replay of a lost transaction. See nw_pg_sink.h
 * and docs/postgres-sink.md.
 */
#include "nw_pg_sink.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_buf.h"
#include "nw_log.h"
#include "nw_story_state.h"

/* One story ready for COPY: its line and what the merge rule needs. */
typedef struct pg_row {
    char *uri;  /* owned */
    char *line; /* owned: one COPY text line, '\n' included */
    size_t len;
    nw_story_key key;
    nw_story_class cls;
    size_t item; /* index in the caller's batch */
} pg_row;

typedef struct row_list {
    pg_row *v;
    size_t n, cap;
} row_list;

struct nw_pg_sink {
    PGconn *conn;
    char *conninfo;
    char table[64];
    bool in_tx;
    row_list pending; /* written since the last COMMIT, replayed after a loss */
    bool need_replay; /* the transaction holding `pending` was lost */
    nw_pg_stats stats;
    nw_buf sql_upsert;
};

/* Why a statement failed. */
typedef struct pg_fail {
    char state[6];
    char msg[256];
} pg_fail;

#define STAGE_COLS                                                                                 \
    "uri, version, version_created, state, pub_status, embargo, category, language, provider, "    \
    "headline, body, subjects, people, organisations, places, doc"

/* ------------------------------------------------------------ classification */

int nw_pg_sqlstate_kind(const char *st)
{
    if (!st || !*st)
        return 1;
    static const char *transient[] = {"40001", "40P01", "57P01", "57P02", "57P03", "55P03"};
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        if (!strcmp(st, transient[i]))
            return 1;
    if (!strncmp(st, "08", 2) || !strncmp(st, "53", 2) || !strncmp(st, "58", 2))
        return 1; /* connection exception, insufficient resources, system error */
    if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2) || !strncmp(st, "54", 2))
        return 0; /* data exception, integrity constraint, program limit (tsvector size) */
    return -1;
}

static void fail_from(pg_fail *f, PGconn *conn, const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(conn);
    if (PQstatus(conn) == CONNECTION_BAD)
        st = NULL; /* whatever the result says, the connection is gone */
    snprintf(f->state, sizeof f->state, "%s", st ? st : "");
    snprintf(f->msg, sizeof f->msg, "%s", m && *m ? m : "connection lost");
    size_t l = strlen(f->msg);
    while (l && (f->msg[l - 1] == '\n' || f->msg[l - 1] == ' '))
        f->msg[--l] = '\0';
}

/* Run sql; 0 when it gave `want`, else -1 with f filled. *res receives the
 * result when non-NULL (caller clears). */
static int run(nw_pg_sink *s, const char *sql, ExecStatusType want, PGresult **res, pg_fail *f)
{
    PGresult *r = PQexec(s->conn, sql);
    if (r && PQresultStatus(r) == want) {
        if (res)
            *res = r;
        else
            PQclear(r);
        return 0;
    }
    fail_from(f, s->conn, r);
    PQclear(r);
    return -1;
}

/* ------------------------------------------------------------------ schema */

static const char schema_v1[] =
    "CREATE OR REPLACE FUNCTION newswire_newer(iv bigint, it timestamptz, sv bigint, "
    "st timestamptz) RETURNS boolean LANGUAGE sql IMMUTABLE AS $f$ "
    "SELECT CASE WHEN iv IS NOT NULL AND sv IS NOT NULL AND iv <> sv THEN iv > sv "
    "ELSE coalesce(it > st, false) END $f$;"
    "CREATE OR REPLACE FUNCTION newswire_tsconfig(lang text) RETURNS regconfig "
    "LANGUAGE sql IMMUTABLE AS $f$ SELECT CASE lower(left(coalesce(lang, ''), 2)) "
    "WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig "
    "WHEN 'de' THEN 'german'::regconfig WHEN 'es' THEN 'spanish'::regconfig "
    "WHEN 'it' THEN 'italian'::regconfig WHEN 'pt' THEN 'portuguese'::regconfig "
    "WHEN 'nl' THEN 'dutch'::regconfig WHEN 'ru' THEN 'russian'::regconfig "
    "WHEN 'sv' THEN 'swedish'::regconfig WHEN 'da' THEN 'danish'::regconfig "
    "WHEN 'no' THEN 'norwegian'::regconfig WHEN 'nb' THEN 'norwegian'::regconfig "
    "WHEN 'fi' THEN 'finnish'::regconfig WHEN 'tr' THEN 'turkish'::regconfig "
    "ELSE 'simple'::regconfig END $f$;"
    "CREATE OR REPLACE FUNCTION newswire_words(a text[]) RETURNS text LANGUAGE sql "
    "IMMUTABLE AS $f$ SELECT coalesce(array_to_string(a, ' '), '') $f$;"
    "CREATE TABLE %1$s ("
    " uri text PRIMARY KEY,"
    " version bigint,"
    " version_created timestamptz,"
    " state text NOT NULL,"
    " pub_status text,"
    " embargo timestamptz,"
    " category text, language text, provider text, headline text, body text,"
    " subjects text[], people text[], organisations text[], places text[],"
    " doc jsonb NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now(),"
    " search tsvector GENERATED ALWAYS AS ("
    "  setweight(to_tsvector(newswire_tsconfig(language), coalesce(headline, '')), 'A') ||"
    "  setweight(to_tsvector(newswire_tsconfig(language), newswire_words(subjects) || ' ' ||"
    "   newswire_words(people) || ' ' || newswire_words(organisations) || ' ' ||"
    "   newswire_words(places)), 'B') ||"
    "  setweight(to_tsvector(newswire_tsconfig(language), coalesce(body, '')), 'D')) STORED);"
    "CREATE INDEX %1$s_search ON %1$s USING GIN (search);"
    "CREATE INDEX %1$s_created ON %1$s (version_created);"
    /* what search shows now: usable, or embargoed and due (docs/story-state.md) */
    "CREATE VIEW %1$s_current AS SELECT * FROM %1$s WHERE state = 'usable' OR "
    "(state = 'embargoed' AND embargo <= now());";

static const char *const migrations[NW_PG_SCHEMA_VERSION] = {schema_v1};

static int migrate(nw_pg_sink *s, nw_err *err)
{
    pg_fail f;
    nw_buf q = NW_BUF_INIT;
    nw_buf_printf(&q,
                  "BEGIN; SELECT pg_advisory_xact_lock(hashtext('newswire schema %1$s'));"
                  "CREATE TABLE IF NOT EXISTS %1$s_schema (one int PRIMARY KEY CHECK (one = 1),"
                  " version int NOT NULL);"
                  "SELECT version FROM %1$s_schema",
                  s->table);
    PGresult *r = NULL;
    int rc = nw_buf_failed(&q) ? -1 : run(s, nw_buf_str(&q), PGRES_TUPLES_OK, &r, &f);
    nw_buf_free(&q);
    if (rc < 0)
        goto failed;
    int have = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (have > NW_PG_SCHEMA_VERSION) {
        PQclear(PQexec(s->conn, "ROLLBACK"));
        return nw_err_set(err, NW_EINVAL,
                          "table %s has schema version %d, newer than this newswire's (%d)",
                          s->table, have, NW_PG_SCHEMA_VERSION);
    }
    for (int v = have + 1; v <= NW_PG_SCHEMA_VERSION; v++) {
        nw_buf m = NW_BUF_INIT;
        nw_buf_printf(&m, migrations[v - 1], s->table);
        nw_buf_printf(&m,
                      ";INSERT INTO %s_schema VALUES (1, %d) ON CONFLICT (one) DO UPDATE "
                      "SET version = EXCLUDED.version",
                      s->table, v);
        rc = nw_buf_failed(&m) ? -1 : run(s, nw_buf_str(&m), PGRES_COMMAND_OK, NULL, &f);
        nw_buf_free(&m);
        if (rc < 0)
            goto failed;
        nw_log_info("postgres", "schema of table %s migrated to version %d", s->table, v);
    }
    if (run(s, "COMMIT", PGRES_COMMAND_OK, NULL, &f) < 0)
        goto failed;
    return 0;
failed:
    PQclear(PQexec(s->conn, "ROLLBACK"));
    return nw_err_set(err, nw_pg_sqlstate_kind(f.state) == 1 ? NW_ERETRY : NW_EINVAL,
                      "creating the schema of table %s: %s%s%s", s->table,
                      f.state[0] ? "SQLSTATE " : "", f.state, f.msg);
}

/* ------------------------------------------------------------- connection */

static void disconnect(nw_pg_sink *s)
{
    PQfinish(s->conn);
    s->conn = NULL;
    s->in_tx = false;
}

/* Server notices ("relation already exists, skipping") are not errors. */
static void notice_quietly(void *arg, const char *message)
{
    (void)arg;
    nw_log_debug("postgres", "notice: %s", message);
}

/* Connect and prepare the session (temporary staging table). */
static int connect_db(nw_pg_sink *s, nw_err *err)
{
    /* conninfo is expanded last, so its own settings win over these defaults */
    const char *keys[] = {"connect_timeout",           "keepalives_idle", "keepalives_interval",
                          "fallback_application_name", "dbname",          NULL};
    const char *vals[] = {"10", "30", "10", "newswire-consumer", s->conninfo, NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char m[256];
        snprintf(m, sizeof m, "%s", PQerrorMessage(s->conn));
        m[strcspn(m, "\n")] = '\0';
        /* a refused login or a bad conninfo will not heal by itself */
        bool fatal = strstr(m, "password authentication failed") || strstr(m, "no password") ||
                     strstr(m, "invalid connection option") || strstr(m, "missing \"=\"") ||
                     strstr(m, "does not exist") || strstr(m, "invalid URI");
        disconnect(s);
        return nw_err_set(err, fatal ? NW_EINVAL : NW_ERETRY, "PostgreSQL connection: %s", m);
    }
    PQsetNoticeProcessor(s->conn, notice_quietly, NULL);
    pg_fail f;
    nw_buf q = NW_BUF_INIT;
    nw_buf_printf(&q, "SET synchronous_commit = on; CREATE TEMPORARY TABLE nw_stage "
                      "(uri text, version bigint, version_created timestamptz, state text, "
                      "pub_status text, embargo timestamptz, category text, language text, "
                      "provider text, headline text, body text, subjects text[], people text[], "
                      "organisations text[], places text[], doc jsonb)");
    int rc = run(s, nw_buf_str(&q), PGRES_COMMAND_OK, NULL, &f);
    nw_buf_free(&q);
    if (rc < 0) {
        disconnect(s);
        return nw_err_set(err, NW_ERETRY, "PostgreSQL session setup: %s", f.msg);
    }
    s->stats.connects++;
    nw_log_info("postgres", "connected host=%s port=%s dbname=%s user=%s", PQhost(s->conn),
                PQport(s->conn), PQdb(s->conn), PQuser(s->conn));
    return 0;
}

static bool valid_table(const char *t)
{
    if (!t || !*t || strlen(t) > 40 || (*t >= '0' && *t <= '9'))
        return false;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
            return false;
    return true;
}

int nw_pg_sink_open(const nw_pg_options *opts, nw_pg_sink **out, nw_err *err)
{
    *out = NULL;
    const char *table = opts->table ? opts->table : "stories";
    if (!valid_table(table))
        return nw_err_set(err, NW_EINVAL,
                          "table: '%s' is not a plain lower-case name ([a-z_][a-z0-9_]*, "
                          "at most 40)",
                          table);
    nw_pg_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->conninfo = strdup(opts->conninfo ? opts->conninfo : ""))) {
        free(s);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    snprintf(s->table, sizeof s->table, "%s", table);
    nw_buf_printf(&s->sql_upsert,
                  "INSERT INTO %1$s AS s (" STAGE_COLS ") SELECT " STAGE_COLS " FROM nw_stage "
                  "ON CONFLICT (uri) DO UPDATE SET version = EXCLUDED.version, "
                  "version_created = EXCLUDED.version_created, state = EXCLUDED.state, "
                  "pub_status = EXCLUDED.pub_status, embargo = EXCLUDED.embargo, "
                  "category = EXCLUDED.category, language = EXCLUDED.language, "
                  "provider = EXCLUDED.provider, headline = EXCLUDED.headline, "
                  "body = EXCLUDED.body, subjects = EXCLUDED.subjects, "
                  "people = EXCLUDED.people, organisations = EXCLUDED.organisations, "
                  "places = EXCLUDED.places, doc = EXCLUDED.doc, updated_at = now() "
                  "WHERE CASE WHEN s.state = 'canceled' THEN EXCLUDED.state = 'canceled' AND "
                  "newswire_newer(EXCLUDED.version, EXCLUDED.version_created, s.version, "
                  "s.version_created) WHEN EXCLUDED.state = 'canceled' THEN true "
                  "ELSE newswire_newer(EXCLUDED.version, EXCLUDED.version_created, s.version, "
                  "s.version_created) END RETURNING uri",
                  s->table);
    if (nw_buf_failed(&s->sql_upsert)) {
        nw_pg_sink_close(s);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    int rc = connect_db(s, err);
    if (rc == 0)
        rc = migrate(s, err);
    if (rc < 0) {
        nw_pg_sink_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void rows_clear(row_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].uri);
        free(l->v[i].line);
    }
    l->n = 0;
}

void nw_pg_sink_close(nw_pg_sink *s)
{
    if (!s)
        return;
    disconnect(s); /* an open transaction is rolled back by the server */
    rows_clear(&s->pending);
    free(s->pending.v);
    nw_buf_free(&s->sql_upsert);
    free(s->conninfo);
    free(s);
}

nw_pg_stats nw_pg_sink_stats(const nw_pg_sink *s)
{
    return s->stats;
}

const char *nw_pg_sink_stage_columns(void)
{
    return STAGE_COLS;
}

const char *nw_pg_sink_upsert_sql(const nw_pg_sink *s)
{
    return nw_buf_str(&s->sql_upsert);
}

/* ------------------------------------------------------------- COPY lines */

/* Append s (up to len bytes, stopping at a NUL) in COPY text escaping. */
static void copy_text(nw_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++) {
        size_t run_len = strcspn(s + i, "\\\n\r\t");
        if (run_len > len - i)
            run_len = len - i;
        nw_buf_append(b, s + i, run_len);
        i += run_len;
        if (i >= len || !s[i])
            break;
        char c = s[i];
        nw_buf_putc(b, '\\');
        nw_buf_putc(b, c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\');
    }
}

static void copy_str(nw_buf *b, const char *s)
{
    if (!s)
        nw_buf_puts(b, "\\N");
    else
        copy_text(b, s, strlen(s));
}

static void copy_time(nw_buf *b, int64_t ms)
{
    if (ms == NW_STORY_NO_TIME) {
        nw_buf_puts(b, "\\N");
        return;
    }
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    nw_buf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* The value of the first {"value": ...} of a ninjs text list, preferring
 * text/plain. */
static const char *first_text(const json_t *story, const char *key)
{
    const json_t *list = json_object_get(story, key), *it;
    const char *first = NULL;
    size_t i;
    json_array_foreach(list, i, it)
    {
        const char *v = json_string_value(json_object_get(it, "value"));
        const char *ct = json_string_value(json_object_get(it, "contentType"));
        if (v && ct && !strcmp(ct, "text/plain"))
            return v;
        if (v && !first)
            first = v;
    }
    return first;
}

/* An array literal of the entity names, escaped for COPY ({"a","b\"c"}). */
static void copy_names(nw_buf *b, const json_t *story, const char *key)
{
    const json_t *list = json_object_get(story, key), *it;
    size_t i;
    bool any = false;
    json_array_foreach(list, i, it)
    {
        const char *name = json_string_value(json_object_get(it, "name"));
        if (!name)
            continue;
        nw_buf_puts(b, any ? "," : "{");
        any = true;
        nw_buf_putc(b, '"');
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                nw_buf_puts(b, "\\\\"); /* array escape, then COPY escape */
            if (*p == '\n' || *p == '\r' || *p == '\t')
                nw_buf_putc(b, ' ');
            else
                nw_buf_putc(b, *p);
        }
        nw_buf_putc(b, '"');
    }
    nw_buf_puts(b, any ? "}" : "\\N");
}

static void refuse(nw_pg_outcome *o, const char *sqlstate, const char *reason)
{
    o->result = NW_PG_REFUSED;
    snprintf(o->sqlstate, sizeof o->sqlstate, "%s", sqlstate ? sqlstate : "");
    snprintf(o->reason, sizeof o->reason, "%.255s", reason);
}

/* Build the row of one story; 1 when built, 0 when refused (o filled),
 * -1 out of memory. */
static int make_row(const nw_pg_item *it, int64_t now_ms, pg_row *row, nw_pg_outcome *o)
{
    const json_t *st = it->story;
    if (!json_is_object(st))
        return refuse(o, NULL, "the story is not a JSON object"), 0;
    const char *uri = json_string_value(json_object_get(st, "uri"));
    if (!uri || !*uri)
        uri = it->uri;
    if (!uri || !*uri)
        return refuse(o, NULL, "the story has no uri"), 0;
    nw_err e = {0};
    int64_t embargo = NW_STORY_NO_TIME;
    int cls = nw_story_classify(st, now_ms, &embargo, &e);
    if (cls < 0)
        return refuse(o, NULL, e.msg), 0;
    const json_t *doc = st;
    json_t *stripped = NULL;
    if (cls == NW_STORY_CANCELED) {
        if (!(stripped = nw_story_kill_record(st, uri)))
            return -1;
        doc = stripped;
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(stripped);
    if (!text)
        return -1;

    nw_story_key key = nw_story_key_of(st);
    bool content = cls != NW_STORY_CANCELED;
    nw_buf b = NW_BUF_INIT;
    copy_str(&b, uri);
    nw_buf_putc(&b, '\t');
    if (key.version == NW_STORY_NO_NUMBER)
        nw_buf_puts(&b, "\\N");
    else
        nw_buf_printf(&b, "%lld", (long long)key.version);
    nw_buf_putc(&b, '\t');
    copy_time(&b, key.created_ms);
    nw_buf_printf(&b, "\t%s\t", nw_story_class_name((nw_story_class)cls));
    copy_str(&b, json_string_value(json_object_get(st, "pubStatus")));
    nw_buf_putc(&b, '\t');
    copy_time(&b, embargo);
    nw_buf_putc(&b, '\t');
    copy_str(&b, it->category);
    nw_buf_putc(&b, '\t');
    copy_str(&b, json_string_value(json_object_get(st, "language")));
    nw_buf_putc(&b, '\t');
    const json_t *src = json_array_get(json_object_get(st, "infoSources"), 0);
    copy_str(&b, content ? json_string_value(json_object_get(src, "name")) : NULL);
    nw_buf_putc(&b, '\t');
    copy_str(&b, content ? first_text(st, "headlines") : NULL);
    nw_buf_putc(&b, '\t');
    copy_str(&b, content ? first_text(st, "bodies") : NULL);
    static const char *entities[] = {"subjects", "people", "organisations", "places"};
    for (size_t i = 0; i < 4; i++) {
        nw_buf_putc(&b, '\t');
        if (content)
            copy_names(&b, st, entities[i]);
        else
            nw_buf_puts(&b, "\\N");
    }
    nw_buf_putc(&b, '\t');
    copy_text(&b, text, strlen(text));
    nw_buf_putc(&b, '\n');
    free(text);
    row->uri = strdup(uri);
    row->key = key;
    row->cls = (nw_story_class)cls;
    row->len = b.len;
    row->line = nw_buf_take(&b);
    if (!row->uri || !row->line || nw_buf_failed(&b)) {
        free(row->uri);
        free(row->line);
        return -1;
    }
    return 1;
}

/* ------------------------------------------------------------- batches */

static int by_uri(const void *a, const void *b)
{
    const pg_row *x = *(pg_row *const *)a, *y = *(pg_row *const *)b;
    int c = strcmp(x->uri, y->uri);
    return c ? c : (x->item > y->item) - (x->item < y->item);
}

/* The winner of each uri among rows (the merge rule), into *win (sorted by
 * uri, caller frees the array, not the rows). Returns the count, -1 on no
 * memory. */
static long winners(pg_row *rows, size_t n, pg_row ***win)
{
    pg_row **p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++)
        p[i] = &rows[i];
    qsort(p, n, sizeof *p, by_uri);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !strcmp(p[k - 1]->uri, p[i]->uri)) {
            pg_row *w = p[k - 1];
            if (nw_story_supersedes(true, w->cls, w->key, p[i]->cls, p[i]->key))
                p[k - 1] = p[i];
        } else {
            p[k++] = p[i];
        }
    }
    *win = p;
    return (long)k;
}

/* Stage rows and upsert them. *written receives the uris written (a
 * result the caller clears). 0, or -1 with f. */
static int upsert(nw_pg_sink *s, pg_row *const *rows, size_t n, PGresult **written, pg_fail *f)
{
    if (run(s, "TRUNCATE nw_stage", PGRES_COMMAND_OK, NULL, f) < 0 ||
        run(s, "COPY nw_stage (" STAGE_COLS ") FROM STDIN", PGRES_COPY_IN, NULL, f) < 0)
        return -1;
    int ok = 1;
    for (size_t i = 0; i < n && ok == 1; i++)
        ok = PQputCopyData(s->conn, rows[i]->line, (int)rows[i]->len);
    if (PQputCopyEnd(s->conn, ok == 1 ? NULL : "newswire: copy interrupted") != 1 || ok != 1) {
        fail_from(f, s->conn, NULL);
        return -1;
    }
    PGresult *r;
    int rc = 0;
    while ((r = PQgetResult(s->conn))) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) {
            fail_from(f, s->conn, r);
            rc = -1;
        }
        PQclear(r);
    }
    if (rc < 0)
        return -1;
    return run(s, nw_buf_str(&s->sql_upsert), PGRES_TUPLES_OK, written, f);
}

/* Mark the rows whose uri the upsert returned as written, the others stale. */
static void mark_written(pg_row *const *rows, size_t n, PGresult *r, nw_pg_outcome *out,
                         bool *was_written)
{
    for (size_t i = 0; i < n; i++)
        was_written[i] = false;
    int nt = PQntuples(r);
    for (int t = 0; t < nt; t++) {
        const char *u = PQgetvalue(r, t, 0);
        size_t lo = 0, hi = n;
        while (lo < hi) { /* rows are sorted by uri and unique */
            size_t mid = (lo + hi) / 2;
            int c = strcmp(rows[mid]->uri, u);
            if (c == 0) {
                was_written[mid] = true;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (out)
            out[rows[i]->item].result = was_written[i] ? NW_PG_WRITTEN : NW_PG_STALE;
}

/* Why each row the upsert skipped was skipped: its key against the row the
 * table holds now (the stored version, or the batch's winner written over
 * it). 0, or -1 with f. */
static int stale_reasons(nw_pg_sink *s, const pg_row *rows, size_t n, nw_pg_outcome *out,
                         pg_fail *f)
{
    nw_buf arr = NW_BUF_INIT;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[rows[i].item].result != NW_PG_STALE)
            continue;
        nw_buf_puts(&arr, k++ ? ",\"" : "{\"");
        for (const char *c = rows[i].uri; *c; c++) {
            if (*c == '"' || *c == '\\')
                nw_buf_putc(&arr, '\\');
            nw_buf_putc(&arr, *c);
        }
        nw_buf_putc(&arr, '"');
    }
    if (!k) {
        nw_buf_free(&arr);
        return 0;
    }
    nw_buf_putc(&arr, '}');
    nw_buf sql = NW_BUF_INIT;
    nw_buf_printf(
        &sql,
        "SELECT uri, state, version, (extract(epoch FROM version_created) * 1000)::bigint "
        "FROM %s WHERE uri = ANY($1::text[])",
        s->table);
    const char *param = nw_buf_str(&arr);
    PGresult *r = nw_buf_failed(&arr) || nw_buf_failed(&sql)
                      ? NULL
                      : PQexecParams(s->conn, nw_buf_str(&sql), 1, NULL, &param, NULL, NULL, 0);
    nw_buf_free(&sql);
    nw_buf_free(&arr);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_from(f, s->conn, r);
        PQclear(r);
        return -1;
    }
    int nt = PQntuples(r);
    for (size_t i = 0; i < n; i++) {
        nw_pg_outcome *o = &out[rows[i].item];
        if (o->result != NW_PG_STALE)
            continue;
        o->skip = NW_STORY_SKIP_SAME;
        for (int t = 0; t < nt; t++) {
            if (strcmp(PQgetvalue(r, t, 0), rows[i].uri))
                continue;
            nw_story_key sk = {
                PQgetisnull(r, t, 2) ? NW_STORY_NO_NUMBER : strtoll(PQgetvalue(r, t, 2), NULL, 10),
                PQgetisnull(r, t, 3) ? NW_STORY_NO_TIME : strtoll(PQgetvalue(r, t, 3), NULL, 10)};
            nw_story_class sc =
                !strcmp(PQgetvalue(r, t, 1), "canceled") ? NW_STORY_CANCELED : NW_STORY_USABLE;
            o->skip = nw_story_skip_reason(sc, sk, rows[i].key);
            break;
        }
    }
    PQclear(r);
    return 0;
}

/* A statement failed with f inside the transaction: roll back what can be
 * rolled back and say what the caller does. The transaction is lost. */
static int lost(nw_pg_sink *s, const pg_fail *f, nw_err *err)
{
    int kind = nw_pg_sqlstate_kind(f->state);
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    else
        disconnect(s);
    s->in_tx = false;
    s->need_replay = s->pending.n > 0;
    s->stats.transient++;
    if (kind < 0)
        nw_log_error("postgres", "unexpected failure, retrying: SQLSTATE %s %s", f->state, f->msg);
    return nw_err_set(err, NW_ERETRY, "PostgreSQL: %s%s%s%s", f->state[0] ? "SQLSTATE " : "",
                      f->state, f->state[0] ? " " : "", f->msg);
}

static int keep_pending(nw_pg_sink *s, pg_row *row)
{
    if (s->pending.n == s->pending.cap) {
        size_t cap = s->pending.cap ? s->pending.cap * 2 : 64;
        pg_row *v = realloc(s->pending.v, cap * sizeof *v);
        if (!v)
            return -1;
        s->pending.v = v;
        s->pending.cap = cap;
    }
    s->pending.v[s->pending.n++] = *row;
    row->uri = row->line = NULL; /* moved */
    return 0;
}

/* Connected, in a transaction, the uncommitted rows of a lost transaction
 * written again. 0 or -1 with f (err set for a failed connect). */
static int ready(nw_pg_sink *s, pg_fail *f, nw_err *err)
{
    if (s->conn && PQstatus(s->conn) != CONNECTION_OK)
        disconnect(s);
    if (!s->conn) {
        int rc = connect_db(s, err);
        if (rc < 0) {
            snprintf(f->state, sizeof f->state, "%s", "");
            snprintf(f->msg, sizeof f->msg, "%.250s", err ? err->msg : "connection failed");
            return -1;
        }
        s->need_replay = s->pending.n > 0;
    }
    if (s->in_tx)
        return 0;
    if (run(s, "BEGIN", PGRES_COMMAND_OK, NULL, f) < 0)
        return -1;
    s->in_tx = true;
    if (!s->need_replay)
        return 0;
    pg_row **win = NULL;
    long nw = winners(s->pending.v, s->pending.n, &win);
    if (nw < 0) {
        snprintf(f->msg, sizeof f->msg, "out of memory");
        return -1;
    }
    PGresult *r = NULL;
    int rc = upsert(s, win, (size_t)nw, &r, f);
    PQclear(r);
    free(win);
    if (rc < 0)
        return -1;
    s->need_replay = false;
    s->stats.replayed += (uint64_t)nw;
    nw_log_info("postgres", "replayed %ld uncommitted rows after a lost transaction", nw);
    return 0;
}

/* Row by row under savepoints, after a value was refused in the batch. */
static int write_each(nw_pg_sink *s, pg_row *rows, size_t n, nw_pg_outcome *out, pg_fail *f)
{
    for (size_t i = 0; i < n; i++) {
        pg_row *one = &rows[i];
        PGresult *r = NULL;
        bool w = false;
        if (run(s, "SAVEPOINT nw_row", PGRES_COMMAND_OK, NULL, f) < 0)
            return -1;
        if (upsert(s, &one, 1, &r, f) < 0) {
            if (nw_pg_sqlstate_kind(f->state) != 0)
                return -1;
            refuse(&out[one->item], f->state, f->msg);
            if (run(s, "ROLLBACK TO SAVEPOINT nw_row", PGRES_COMMAND_OK, NULL, f) < 0)
                return -1;
            continue;
        }
        mark_written(&one, 1, r, &out[0], &w);
        PQclear(r);
        if (run(s, "RELEASE SAVEPOINT nw_row", PGRES_COMMAND_OK, NULL, f) < 0)
            return -1;
    }
    return 0;
}

int nw_pg_sink_write(nw_pg_sink *s, const nw_pg_item *items, size_t n, int64_t now_ms,
                     nw_pg_outcome *out, nw_err *err)
{
    pg_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    size_t nr = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        int made = make_row(&items[i], now_ms, &rows[nr], &out[i]);
        if (made < 0) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            goto out;
        }
        if (made)
            rows[nr++].item = i;
    }
    pg_row **win = NULL;
    long nw = winners(rows, nr, &win);
    if (nw < 0) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nr; i++)
        out[rows[i].item].result = NW_PG_STALE; /* until the upsert says written */
    pg_fail f = {"", ""};
    PGresult *r = NULL;
    bool *was = calloc(nr ? nr : 1, sizeof *was);
    if (!was) {
        free(win);
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    if (ready(s, &f, err) < 0 || upsert(s, win, (size_t)nw, &r, &f) < 0) {
        if (nw_pg_sqlstate_kind(f.state) != 0 || !s->in_tx) {
            rc = lost(s, &f, err);
        } else {
            /* a refused value: the transaction is aborted; redo it, then the
             * batch row by row */
            nw_log_warn("postgres", "batch refused (SQLSTATE %s %s): writing row by row", f.state,
                        f.msg);
            PQclear(PQexec(s->conn, "ROLLBACK"));
            s->in_tx = false;
            s->need_replay = s->pending.n > 0;
            if (ready(s, &f, err) < 0 || write_each(s, rows, nr, out, &f) < 0 ||
                stale_reasons(s, rows, nr, out, &f) < 0)
                rc = lost(s, &f, err);
            else
                for (size_t i = 0; i < nr; i++)
                    if (out[rows[i].item].result == NW_PG_WRITTEN && keep_pending(s, &rows[i]) < 0)
                        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        }
    } else {
        mark_written(win, (size_t)nw, r, out, was);
        for (long i = 0; i < nw && rc == 0; i++)
            if (was[i] && keep_pending(s, win[i]) < 0)
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        if (rc == 0 && stale_reasons(s, rows, nr, out, &f) < 0)
            rc = lost(s, &f, err);
    }
    PQclear(r);
    free(was);
    free(win);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (out[i].result == NW_PG_WRITTEN)
            s->stats.written++;
        else if (out[i].result == NW_PG_STALE) {
            s->stats.stale++;
            s->stats.skipped_older += out[i].skip == NW_STORY_SKIP_OLDER;
            s->stats.skipped_same += out[i].skip == NW_STORY_SKIP_SAME;
            s->stats.skipped_killed += out[i].skip == NW_STORY_SKIP_KILLED;
        } else
            s->stats.refused++;
    }
out:
    for (size_t i = 0; i < nr; i++) {
        free(rows[i].uri);
        free(rows[i].line);
    }
    free(rows);
    return rc;
}

int nw_pg_sink_check(nw_pg_sink *s, nw_err *err)
{
    if (s->conn && PQstatus(s->conn) != CONNECTION_OK)
        disconnect(s);
    if (!s->conn) {
        int rc = connect_db(s, err);
        if (rc == 0)
            s->need_replay = s->pending.n > 0;
        return rc;
    }
    if (s->in_tx)
        return 0; /* a batch is open: its next statement tells */
    char where[160];
    snprintf(where, sizeof where, "host=%s port=%s", PQhost(s->conn), PQport(s->conn));
    pg_fail f = {"", ""};
    if (run(s, "SELECT 1", PGRES_TUPLES_OK, NULL, &f) == 0)
        return 0;
    disconnect(s);
    return nw_err_set(err, NW_ERETRY, "PostgreSQL %s: %s%s%s%s", where,
                      f.state[0] ? "SQLSTATE " : "", f.state, f.state[0] ? " " : "", f.msg);
}

int nw_pg_sink_commit(nw_pg_sink *s, nw_err *err)
{
    if (!s->in_tx && !s->need_replay)
        return 0;
    pg_fail f = {"", ""};
    if (ready(s, &f, err) < 0 || run(s, "COMMIT", PGRES_COMMAND_OK, NULL, &f) < 0)
        return lost(s, &f, err);
    s->in_tx = false;
    rows_clear(&s->pending);
    s->stats.commits++;
    return 0;
}

bool nw_pg_table_name_ok(const char *t)
{
    return valid_table(t);
}
