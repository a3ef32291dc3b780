/*
 * nw_fts_store — SQLite FTS5 story index, writer side: schema, migrations,
 * batches under the story-state contract, embargo release. See
 * nw_fts_store.h and docs/story-state.md.
 */
#include "nw_fts_store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_buf.h"
#include "nw_fts_text.h"
#include "nw_story_state.h"

/* ------------------------------------------------------------------ schema */

const char nw_fts_schema_sql[] =
    "CREATE TABLE stories("
    " id INTEGER PRIMARY KEY,"
    " uri TEXT NOT NULL UNIQUE,"
    " version TEXT, version_num INTEGER,"
    " version_created TEXT, version_created_ms INTEGER,"
    " pub_status TEXT,"
    " state TEXT NOT NULL," /* usable | withheld | canceled | embargoed */
    " embargo_until TEXT, embargo_until_ms INTEGER,"
    " category TEXT, language TEXT, provider TEXT,"
    " headline TEXT, body TEXT,"
    " people TEXT, places TEXT, organisations TEXT, subjects TEXT,"
    " ninjs TEXT,"
    " indexed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX stories_time ON stories(version_created_ms);"
    "CREATE INDEX stories_embargo ON stories(embargo_until_ms) WHERE state = 'embargoed';"
    "CREATE VIRTUAL TABLE stories_fts USING fts5("
    " headline, body, people, places, organisations, subjects,"
    " content = 'stories', content_rowid = 'id',"
    " tokenize = 'unicode61 remove_diacritics 2');";

/* Migration i takes the schema from user_version i to i + 1. */
static const char *const migrations[NW_FTS_SCHEMA_VERSION] = {nw_fts_schema_sql};

/* ------------------------------------------------------------------- store */

enum { ST_SELECT, ST_INSERT, ST_UPDATE, ST_FTS_ADD, ST_FTS_DEL, ST_DUE, ST_RELEASE, ST_NEXT, ST_N };

static const char *const statement_sql[ST_N] = {
    [ST_SELECT] = "SELECT id, version_num, version_created_ms, state, indexed, headline, body,"
                  " people, places, organisations, subjects FROM stories WHERE uri = ?1",
    [ST_INSERT] = "INSERT INTO stories(uri, version, version_num, version_created,"
                  " version_created_ms, pub_status, state, embargo_until, embargo_until_ms,"
                  " category, language, provider, headline, body, people, places,"
                  " organisations, subjects, ninjs, indexed)"
                  " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    [ST_UPDATE] = "UPDATE stories SET version=?2, version_num=?3, version_created=?4,"
                  " version_created_ms=?5, pub_status=?6, state=?7, embargo_until=?8,"
                  " embargo_until_ms=?9, category=?10, language=?11, provider=?12, headline=?13,"
                  " body=?14, people=?15, places=?16, organisations=?17, subjects=?18, ninjs=?19,"
                  " indexed=?20 WHERE id=?21",
    [ST_FTS_ADD] = "INSERT INTO stories_fts(rowid, headline, body, people, places,"
                   " organisations, subjects) VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [ST_FTS_DEL] = "INSERT INTO stories_fts(stories_fts, rowid, headline, body, people, places,"
                   " organisations, subjects) VALUES('delete',?1,?2,?3,?4,?5,?6,?7)",
    [ST_DUE] = "SELECT id, headline, body, people, places, organisations, subjects FROM stories"
               " WHERE state = 'embargoed' AND embargo_until_ms <= ?1",
    [ST_RELEASE] = "UPDATE stories SET state = 'usable', indexed = 1 WHERE id = ?1",
    [ST_NEXT] = "SELECT min(embargo_until_ms) FROM stories WHERE state = 'embargoed'",
};

struct nw_fts_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_N];
    pthread_mutex_t lock;
    nw_fts_stats stats;
};

/* The six indexed texts, in FTS column order. */
enum { TX_HEADLINE, TX_BODY, TX_PEOPLE, TX_PLACES, TX_ORGS, TX_SUBJECTS, TX_N };

/* One version, as the row will hold it. Strings owned. */
typedef struct record {
    const char *uri, *version, *version_created, *pub_status, *embargo_until, *language;
    nw_story_key key;
    nw_story_class cls;
    int64_t embargo_ms;
    char *category, *provider;
    char *text[TX_N];
    char *ninjs; /* dumped when no raw text was given */
} record;

static void record_free(record *r)
{
    free(r->category);
    free(r->provider);
    for (int i = 0; i < TX_N; i++)
        free(r->text[i]);
    free(r->ninjs);
}

static int db_error(nw_fts_store *s, int code, const char *what, nw_err *err)
{
    return nw_err_set(err, code, "sqlite-fts %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(nw_fts_store *s, const char *sql, nw_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    int code = sqlite3_errcode(s->db);
    nw_err_set(err, code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? NW_EINVAL : NW_ERETRY,
               "sqlite-fts %s: %s: %s", s->path, sql, msg ? msg : sqlite3_errstr(code));
    sqlite3_free(msg);
    return err ? err->code : NW_ERETRY;
}

/* WAL mode, durable commits. Switching a file to WAL needs it to itself for
 * a moment, and SQLite answers "database is locked" at once, without its busy
 * handler, while another connection (a second consumer starting on the same
 * new file) holds it: try again for about as long as the busy timeout. */
static int enter_wal(nw_fts_store *s, nw_err *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", err);
        int code = sqlite3_errcode(s->db);
        if (rc == 0 || (code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt == 100)
            return rc;
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static int user_version(nw_fts_store *s, int *v, nw_err *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
        return nw_err_set(err, NW_EINVAL,
                          "sqlite-fts: %s is not a usable SQLite database (%s): move it away or "
                          "point path at another file",
                          s->path, sqlite3_errstr(rc));
    return db_error(s, NW_ERETRY, "reading the schema version", err);
}

static int migrate(nw_fts_store *s, nw_err *err)
{
    int v = 0;
    if (user_version(s, &v, err) < 0)
        return err ? err->code : NW_ERETRY;
    if (v > NW_FTS_SCHEMA_VERSION)
        return nw_err_set(err, NW_EINVAL,
                          "sqlite-fts: %s has schema version %d, newer than this newswire "
                          "understands (%d)",
                          s->path, v, NW_FTS_SCHEMA_VERSION);
    while (v < NW_FTS_SCHEMA_VERSION) {
        char setv[64];
        if (exec(s, "BEGIN IMMEDIATE", err) < 0)
            return err ? err->code : NW_ERETRY;
        /* read again under the write lock: another process opening the same
         * file at the same moment may have migrated it meanwhile */
        if (user_version(s, &v, err) < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err ? err->code : NW_ERETRY;
        }
        if (v >= NW_FTS_SCHEMA_VERSION) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            break;
        }
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if (exec(s, migrations[v], err) < 0 || exec(s, setv, err) < 0 ||
            exec(s, "COMMIT", err) < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err ? err->code : NW_ERETRY;
        }
        v++;
    }
    return 0;
}

int nw_fts_store_open(const char *path, nw_fts_store **out, nw_err *err)
{
    *out = NULL;
    nw_fts_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        nw_err_set(err, NW_ERETRY, "sqlite-fts: cannot open %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        nw_fts_store_close(s);
        return NW_ERETRY;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* the schema check first: a file that is not a database fails here */
    int v = 0;
    if (user_version(s, &v, err) < 0 || enter_wal(s, err) < 0 || migrate(s, err) < 0) {
        int code = err ? err->code : NW_ERETRY;
        nw_fts_store_close(s);
        return code;
    }
    for (int i = 0; i < ST_N; i++)
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            int code = sqlite3_errcode(s->db) == SQLITE_CORRUPT ? NW_EINVAL : NW_ERETRY;
            db_error(s, code, "preparing statements (a damaged schema?)", err);
            nw_fts_store_close(s);
            return code;
        }
    *out = s;
    return 0;
}

void nw_fts_store_close(nw_fts_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

nw_fts_stats nw_fts_store_stats(nw_fts_store *s)
{
    pthread_mutex_lock(&s->lock);
    nw_fts_stats st = s->stats;
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* ---------------------------------------------------------------- records */

int nw_fts_story_check(const json_t *story, nw_err *err)
{
    if (!json_is_object(story))
        return nw_err_set(err, NW_EINVAL, "the story is not a JSON object");
    const char *uri = json_string_value(json_object_get(story, "uri"));
    if (!uri || !*uri)
        return nw_err_set(err, NW_EINVAL, "the story has no uri");
    return nw_story_classify(story, 0, NULL, err) < 0 ? NW_EINVAL : 0;
}

static int record_of(const nw_fts_story *in, int64_t now_ms, record *r, nw_err *err)
{
    memset(r, 0, sizeof *r);
    const json_t *j = in->story;
    if (nw_fts_story_check(j, err) < 0)
        return NW_EINVAL;
    int cls = nw_story_classify(j, now_ms, &r->embargo_ms, err);
    if (cls < 0)
        return NW_EINVAL;
    r->cls = (nw_story_class)cls;
    r->key = nw_story_key_of(j);
    r->uri = json_string_value(json_object_get(j, "uri"));
    r->version = json_string_value(json_object_get(j, "version"));
    r->version_created = json_string_value(json_object_get(j, "versionCreated"));
    r->pub_status = json_string_value(json_object_get(j, "pubStatus"));
    r->embargo_until = json_string_value(json_object_get(j, "embargoedUntil"));
    r->language = json_string_value(json_object_get(j, "language"));
    r->category = nw_fts_text_categories(j, in->category);
    r->provider = nw_fts_text_provider(j);
    if (r->cls == NW_STORY_CANCELED) { /* content stripped, version kept */
        json_t *kill = nw_story_kill_record(j, r->uri);
        r->ninjs = kill ? json_dumps(kill, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(kill);
        if (!r->ninjs)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        return 0;
    }
    r->text[TX_HEADLINE] = nw_fts_text_headline(j);
    r->text[TX_BODY] = nw_fts_text_body(j);
    r->text[TX_PEOPLE] = nw_fts_text_names(j, "people", false);
    r->text[TX_PLACES] = nw_fts_text_names(j, "places", false);
    r->text[TX_ORGS] = nw_fts_text_names(j, "organisations", false);
    r->text[TX_SUBJECTS] = nw_fts_text_names(j, "subjects", true);
    if (!in->raw)
        r->ninjs = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return 0;
}

/* ------------------------------------------------------------------ writes */

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

static void bind_i64(sqlite3_stmt *q, int i, int64_t v, int64_t none)
{
    if (v == none)
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_int64(q, i, v);
}

static int step_done(nw_fts_store *s, sqlite3_stmt *q, const char *what, nw_err *err)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc == SQLITE_DONE)
        return 0;
    return db_error(s, NW_ERETRY, what, err);
}

/* FTS insert ('add') or 'delete' of row id with these texts. */
static int fts_row(nw_fts_store *s, int which, int64_t id, const char *const text[TX_N],
                   nw_err *err)
{
    sqlite3_stmt *q = s->st[which];
    sqlite3_bind_int64(q, 1, id);
    for (int i = 0; i < TX_N; i++)
        bind_text(q, 2 + i, text[i]);
    return step_done(s, q, which == ST_FTS_ADD ? "indexing" : "removing from the index", err);
}

/* What the row of a uri holds now. Texts copied (the statement is reset). */
typedef struct stored {
    bool found;
    int64_t id;
    nw_story_key key;
    nw_story_class cls;
    bool indexed;
    char *text[TX_N];
} stored;

static nw_story_class class_named(const char *s)
{
    if (!s || !strcmp(s, "usable"))
        return NW_STORY_USABLE;
    if (!strcmp(s, "canceled"))
        return NW_STORY_CANCELED;
    if (!strcmp(s, "embargoed"))
        return NW_STORY_EMBARGOED;
    return NW_STORY_WITHHELD;
}

static char *column_dup(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? strdup((const char *)t) : NULL;
}

static int load_stored(nw_fts_store *s, const char *uri, stored *out, nw_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = s->st[ST_SELECT];
    sqlite3_bind_text(q, 1, uri, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->found = true;
        out->id = sqlite3_column_int64(q, 0);
        out->key.version = sqlite3_column_type(q, 1) == SQLITE_NULL ? NW_STORY_NO_NUMBER
                                                                    : sqlite3_column_int64(q, 1);
        out->key.created_ms = sqlite3_column_type(q, 2) == SQLITE_NULL ? NW_STORY_NO_TIME
                                                                       : sqlite3_column_int64(q, 2);
        out->cls = class_named((const char *)sqlite3_column_text(q, 3));
        out->indexed = sqlite3_column_int(q, 4) != 0;
        if (out->indexed)
            for (int i = 0; i < TX_N; i++)
                out->text[i] = column_dup(q, 5 + i);
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return 0;
    return db_error(s, NW_ERETRY, "reading a story", err);
}

static void stored_free(stored *st)
{
    for (int i = 0; i < TX_N; i++)
        free(st->text[i]);
}

/* Count a skipped version by why it was skipped. */
static void count_skip(nw_fts_store *s, const stored *st, const record *r)
{
    switch (nw_story_skip_reason(st->cls, st->key, r->key)) {
    case NW_STORY_SKIP_KILLED: s->stats.skipped_killed++; break;
    case NW_STORY_SKIP_OLDER: s->stats.skipped_older++; break;
    case NW_STORY_SKIP_SAME: s->stats.skipped_same++; break;
    }
}

static int apply(nw_fts_store *s, const nw_fts_story *in, const record *r, nw_err *err)
{
    stored st;
    if (load_stored(s, r->uri, &st, err) < 0)
        return NW_ERETRY;
    if (!nw_story_supersedes(st.found, st.cls, st.key, r->cls, r->key)) {
        count_skip(s, &st, r);
        stored_free(&st);
        return 0;
    }
    int rc = 0;
    if (st.indexed)
        rc = fts_row(s, ST_FTS_DEL, st.id, (const char *const *)st.text, err);
    stored_free(&st);
    if (rc < 0)
        return rc;

    bool searchable = r->cls == NW_STORY_USABLE;
    sqlite3_stmt *q = s->st[st.found ? ST_UPDATE : ST_INSERT];
    bind_text(q, 1, r->uri);
    bind_text(q, 2, r->version);
    bind_i64(q, 3, r->key.version, NW_STORY_NO_NUMBER);
    bind_text(q, 4, r->version_created);
    bind_i64(q, 5, r->key.created_ms, NW_STORY_NO_TIME);
    bind_text(q, 6, r->pub_status);
    bind_text(q, 7, nw_story_class_name(r->cls));
    bind_text(q, 8, r->cls == NW_STORY_EMBARGOED ? r->embargo_until : NULL);
    bind_i64(q, 9, r->embargo_ms, NW_STORY_NO_TIME);
    bind_text(q, 10, r->category);
    bind_text(q, 11, r->language);
    bind_text(q, 12, r->provider);
    for (int i = 0; i < TX_N; i++)
        bind_text(q, 13 + i, r->text[i]);
    if (r->ninjs || r->cls == NW_STORY_CANCELED)
        bind_text(q, 19, r->ninjs);
    else
        sqlite3_bind_text(q, 19, in->raw, (int)in->raw_len, SQLITE_STATIC);
    sqlite3_bind_int(q, 20, searchable);
    if (st.found)
        sqlite3_bind_int64(q, 21, st.id);
    if (step_done(s, q, "storing a story", err) < 0)
        return NW_ERETRY;
    int64_t id = st.found ? st.id : sqlite3_last_insert_rowid(s->db);
    if (searchable && fts_row(s, ST_FTS_ADD, id, (const char *const *)r->text, err) < 0)
        return NW_ERETRY;
    switch (r->cls) {
    case NW_STORY_USABLE: s->stats.indexed++; break;
    case NW_STORY_CANCELED: s->stats.killed++; break;
    case NW_STORY_WITHHELD: s->stats.withheld++; break;
    case NW_STORY_EMBARGOED: s->stats.embargoed++; break;
    }
    return 0;
}

/* BEGIN IMMEDIATE .. body .. COMMIT; ROLLBACK on failure. Stats of a rolled
 * back transaction are restored. Caller holds the lock. */
static int in_transaction(nw_fts_store *s, int (*body)(nw_fts_store *, void *, nw_err *), void *ctx,
                          nw_err *err)
{
    nw_fts_stats before = s->stats;
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return NW_ERETRY;
    int rc = body(s, ctx, err);
    if (rc >= 0 && exec(s, "COMMIT", err) < 0)
        rc = NW_ERETRY;
    if (rc < 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->stats = before;
        return rc;
    }
    s->stats.transactions++;
    return rc;
}

typedef struct batch {
    const nw_fts_story *stories;
    size_t n;
    int64_t now_ms;
} batch;

static int write_body(nw_fts_store *s, void *ctx, nw_err *err)
{
    const batch *b = ctx;
    for (size_t i = 0; i < b->n; i++) {
        record r;
        nw_err bad = {0};
        if (record_of(&b->stories[i], b->now_ms, &r, &bad) < 0) {
            record_free(&r);
            if (bad.code == NW_ENOMEM)
                return nw_err_set(err, NW_ERETRY, "%s", bad.msg);
            s->stats.refused++;
            continue;
        }
        int rc = apply(s, &b->stories[i], &r, err);
        record_free(&r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* after - before, field by field. */
static nw_fts_stats stats_delta(const nw_fts_stats *after, const nw_fts_stats *before)
{
    enum { N = sizeof(nw_fts_stats) / sizeof(uint64_t) };
    uint64_t a[N], b[N], d[N];
    memcpy(a, after, sizeof a);
    memcpy(b, before, sizeof b);
    for (size_t i = 0; i < N; i++)
        d[i] = a[i] - b[i];
    nw_fts_stats out;
    memcpy(&out, d, sizeof out);
    return out;
}

int nw_fts_store_write(nw_fts_store *s, const nw_fts_story *stories, size_t n, int64_t now_ms,
                       nw_fts_stats *delta, nw_err *err)
{
    if (delta)
        memset(delta, 0, sizeof *delta);
    if (n == 0)
        return 0;
    batch b = {stories, n, now_ms};
    pthread_mutex_lock(&s->lock);
    nw_fts_stats before = s->stats;
    int rc = in_transaction(s, write_body, &b, err);
    if (rc >= 0 && delta)
        *delta = stats_delta(&s->stats, &before);
    pthread_mutex_unlock(&s->lock);
    return rc < 0 ? rc : 0;
}

/* --------------------------------------------------------------- embargoes */

typedef struct release {
    int64_t now_ms;
} release;

static int release_body(nw_fts_store *s, void *ctx, nw_err *err)
{
    const release *rel = ctx;
    sqlite3_stmt *q = s->st[ST_DUE];
    sqlite3_bind_int64(q, 1, rel->now_ms);
    /* collect first: the FTS inserts must not run under an open SELECT of
     * the same table's rows */
    int64_t *ids = NULL;
    char **texts = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *ni = realloc(ids, cap * sizeof *ids);
            char **nt = ni ? realloc(texts, cap * TX_N * sizeof *texts) : NULL;
            if (ni)
                ids = ni;
            if (!nt) {
                rc = SQLITE_NOMEM;
                break;
            }
            texts = nt;
        }
        ids[n] = sqlite3_column_int64(q, 0);
        for (int i = 0; i < TX_N; i++)
            texts[n * TX_N + i] = column_dup(q, 1 + i);
        n++;
    }
    sqlite3_reset(q);
    int out = rc == SQLITE_DONE ? 0 : db_error(s, NW_ERETRY, "reading due embargoes", err);
    for (size_t k = 0; k < n && out == 0; k++) {
        sqlite3_bind_int64(s->st[ST_RELEASE], 1, ids[k]);
        if (step_done(s, s->st[ST_RELEASE], "releasing an embargo", err) < 0 ||
            fts_row(s, ST_FTS_ADD, ids[k], (const char *const *)&texts[k * TX_N], err) < 0)
            out = NW_ERETRY;
        else
            s->stats.released++;
    }
    for (size_t k = 0; k < n * TX_N; k++)
        free(texts[k]);
    free(texts);
    free(ids);
    return out < 0 ? out : (int)n;
}

static int64_t next_due(nw_fts_store *s)
{
    sqlite3_stmt *q = s->st[ST_NEXT];
    int64_t next = INT64_MAX;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        next = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return next;
}

int nw_fts_store_release_due(nw_fts_store *s, int64_t now_ms, int64_t *next_due_ms, nw_err *err)
{
    release rel = {now_ms};
    pthread_mutex_lock(&s->lock);
    int64_t next = next_due(s);
    int rc = 0;
    if (next <= now_ms) {
        rc = in_transaction(s, release_body, &rel, err);
        next = next_due(s);
    }
    pthread_mutex_unlock(&s->lock);
    if (next_due_ms)
        *next_due_ms = next;
    return rc;
}
