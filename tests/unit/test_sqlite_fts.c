/*
 * test_sqlite_fts — the SQLite FTS5 index under the story-state contract
 * (docs/story-state.md): out-of-order versions, kill before and after the
 * story, withheld then usable, embargo release (and across a reopen),
 * idempotent replay, stories without headline or body, query translation
 * and errors, a corrupt file and a read-only database, and the plugin
 * adapter (workers sharing one writer, the release thread).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw_fts_search.h"
#include "nw_fts_store.h"
#include "nw_testutil.h"
#include "nw_testplugin.h"
#include "sqlite_fts.h"

static char *dir, *db;
static const int64_t NOW = 1767225600000; /* 2026-01-01T00:00:00Z */

static void setup(void)
{
    dir = nw_test_mkdtemp("sqlite-fts");
    cr_assert_not_null(dir);
    size_t n = strlen(dir) + 16;
    db = malloc(n);
    snprintf(db, n, "%s/index.db", dir);
}

static void teardown(void)
{
    nw_test_rm_rf(dir);
    free(dir);
    free(db);
}

TestSuite(sqlite_fts, .init = setup, .fini = teardown);

/* A story: uri, version, versionCreated second, pubStatus, embargo, headline, body. */
static json_t *mk(const char *uri, int version, int sec, const char *status, const char *embargo,
                  const char *headline, const char *body)
{
    char created[40];
    snprintf(created, sizeof created, "2025-12-31T10:00:%02dZ", sec);
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "uri", uri, "version", v, "versionCreated", created,
                          "pubStatus", status ? status : "usable");
    if (embargo)
        json_object_set_new(j, "embargoedUntil", json_string(embargo));
    if (headline)
        json_object_set_new(j, "headlines",
                            json_pack("[{s:s,s:s}]", "role", "main", "value", headline));
    if (body)
        json_object_set_new(j, "bodies",
                            json_pack("[{s:s,s:s}]", "contentType", "text/plain", "value", body));
    return j;
}

static void put(nw_fts_store *s, json_t *story, int64_t now)
{
    nw_fts_story in = {story, NULL, 0, "world"};
    nw_err err = {0};
    cr_assert_eq(nw_fts_store_write(s, &in, 1, now, NULL, &err), 0, "%s", err.msg);
    json_decref(story);
}

static nw_fts_store *open_store(void)
{
    nw_fts_store *s = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_store_open(db, &s, &err), 0, "%s", err.msg);
    return s;
}

static void count_hit(const nw_fts_hit *h, void *ctx)
{
    (void)h;
    ++*(int *)ctx;
}

/* Number of hits for a query (text only). */
static int hits(const char *text)
{
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0, "%s", err.msg);
    nw_fts_query q = {
        .text = text, .since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME, .limit = 1000};
    int n = 0;
    int rc = nw_fts_search(r, &q, count_hit, &n, &err);
    cr_assert_geq(rc, 0, "%s", err.msg);
    nw_fts_reader_close(r);
    return n;
}

/* The stored version number of uri, or -1. */
static int stored_version(const char *uri, const char **state)
{
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0, "%s", err.msg);
    char *ninjs = NULL;
    int v = -1;
    if (nw_fts_show(r, uri, &ninjs, state, &err) == 0) {
        json_t *j = json_loads(ninjs, 0, NULL);
        v = atoi(json_string_value(json_object_get(j, "version")));
        json_decref(j);
    }
    free(ninjs);
    nw_fts_reader_close(r);
    return v;
}

Test(sqlite_fts, out_of_order_versions_keep_the_newest)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:a", 2, 2, NULL, NULL, "Ferry strike ends", "The second version"), NOW);
    put(s, mk("urn:a", 1, 1, NULL, NULL, "Ferry strike begins", "The first version"), NOW);
    cr_assert_eq(stored_version("urn:a", NULL), 2);
    cr_assert_eq(hits("ends"), 1);
    cr_assert_eq(hits("begins"), 0, "v1 must not come back");
    cr_assert_eq(nw_fts_store_stats(s).skipped_older, 1);
    put(s, mk("urn:a", 3, 3, NULL, NULL, "Ferry strike over", "Third"), NOW);
    cr_assert_eq(hits("ends"), 0, "v2 is out of the index once v3 is in");
    cr_assert_eq(hits("ferry"), 1);
    nw_fts_store_close(s);
}

Test(sqlite_fts, kill_after_the_story)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:k", 1, 1, NULL, NULL, "Minister resigns", "Body text"), NOW);
    cr_assert_eq(hits("minister"), 1);
    put(s, mk("urn:k", 2, 2, "canceled", NULL, "Minister resigns", NULL), NOW);
    cr_assert_eq(hits("minister"), 0);
    const char *state = NULL;
    cr_assert_eq(stored_version("urn:k", &state), 2, "the kill keeps its version");
    cr_assert_str_eq(state, "canceled");
    put(s, mk("urn:k", 1, 1, NULL, NULL, "Minister resigns", "replayed"), NOW);
    put(s, mk("urn:k", 3, 3, NULL, NULL, "Minister resigns again", "newer"), NOW);
    cr_assert_eq(hits("minister"), 0, "nothing brings a killed story back");
    cr_assert_eq(nw_fts_store_stats(s).skipped_killed, 2);
    nw_fts_store_close(s);
}

Test(sqlite_fts, kill_before_the_story)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:k", 2, 2, "canceled", NULL, NULL, NULL), NOW);
    put(s, mk("urn:k", 1, 1, NULL, NULL, "Minister resigns", "Body text"), NOW);
    cr_assert_eq(hits("minister"), 0);
    /* content stripped in the stored record */
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0);
    char *ninjs = NULL;
    cr_assert_eq(nw_fts_show(r, "urn:k", &ninjs, NULL, &err), 0);
    cr_assert_null(strstr(ninjs, "Minister"), "%s", ninjs);
    free(ninjs);
    nw_fts_reader_close(r);
    nw_fts_store_close(s);
}

Test(sqlite_fts, withheld_then_usable)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:w", 1, 1, NULL, NULL, "Storm warning", "usable first"), NOW);
    put(s, mk("urn:w", 2, 2, "withheld", NULL, "Storm warning", "withheld"), NOW);
    cr_assert_eq(hits("storm"), 0, "withheld hides the story");
    put(s, mk("urn:w", 1, 1, NULL, NULL, "Storm warning", "usable first"), NOW);
    cr_assert_eq(hits("storm"), 0, "an older usable version does not show it again");
    put(s, mk("urn:w", 3, 3, NULL, NULL, "Storm warning lifted", "usable again"), NOW);
    cr_assert_eq(hits("lifted"), 1);
    nw_fts_store_close(s);
}

Test(sqlite_fts, embargo_released_when_due_and_after_a_reopen)
{
    nw_fts_store *s = open_store();
    /* embargoed until NOW + 60 s */
    put(s, mk("urn:e", 1, 1, NULL, "2026-01-01T00:01:00Z", "Budget figures", "Numbers"), NOW);
    put(s, mk("urn:e2", 1, 1, NULL, "2026-01-01T00:01:00Z", "Budget leak", "Killed early"), NOW);
    put(s, mk("urn:e2", 2, 2, "canceled", NULL, NULL, NULL), NOW);
    cr_assert_eq(hits("budget"), 0, "embargoed");
    int64_t next = 0;
    nw_err err = {0};
    cr_assert_eq(nw_fts_store_release_due(s, NOW + 59999, &next, &err), 0);
    cr_assert_eq(next, NOW + 60000);
    nw_fts_store_close(s);
    s = open_store(); /* a restart: the embargo is still held */
    cr_assert_eq(hits("budget"), 0);
    cr_assert_eq(nw_fts_store_release_due(s, NOW + 60000, &next, &err), 1, "%s", err.msg);
    cr_assert_eq(next, INT64_MAX);
    cr_assert_eq(hits("budget"), 1, "released; the killed one stays out");
    cr_assert_eq(hits("leak"), 0);
    /* a version already past its embargo is searchable at once */
    put(s, mk("urn:e3", 1, 1, NULL, "2025-01-01T00:00:00Z", "Old embargo", "x"), NOW);
    cr_assert_eq(hits("embargo"), 1);
    nw_fts_store_close(s);
}

Test(sqlite_fts, replay_is_idempotent)
{
    json_t *batch[6] = {mk("urn:1", 1, 1, NULL, NULL, "Alpha", "one"),
                        mk("urn:2", 1, 1, NULL, NULL, "Beta", "two"),
                        mk("urn:1", 2, 2, NULL, NULL, "Alpha updated", "one b"),
                        mk("urn:3", 1, 1, "withheld", NULL, "Gamma", "three"),
                        mk("urn:2", 2, 2, "canceled", NULL, NULL, NULL),
                        mk("urn:4", 1, 1, NULL, NULL, NULL, NULL)};
    nw_fts_story in[6];
    for (int i = 0; i < 6; i++)
        in[i] = (nw_fts_story){batch[i], NULL, 0, "world"};
    nw_fts_store *s = open_store();
    nw_err err = {0};
    char *dumps[2];
    for (int round = 0; round < 2; round++) {
        nw_fts_stats done;
        cr_assert_eq(nw_fts_store_write(s, in, 6, NOW, &done, &err), 0, "%s", err.msg);
        cr_assert_eq(done.transactions, 1);
        if (round == 0)
            cr_assert(done.indexed == 4 && done.killed == 1 && done.withheld == 1 &&
                          done.skipped_same == 0,
                      "first round: %llu indexed", (unsigned long long)done.indexed);
        else
            cr_assert(done.skipped_same == 3 && done.skipped_killed == 2 &&
                          done.skipped_older == 1 && done.indexed == 0 && done.killed == 0,
                      "a replay changes nothing: %llu same, %llu after the kill",
                      (unsigned long long)done.skipped_same,
                      (unsigned long long)done.skipped_killed);
        sqlite3 *h;
        sqlite3_open(db, &h);
        sqlite3_stmt *q;
        sqlite3_prepare_v2(h,
                           "SELECT group_concat(uri || ':' || version || ':' || state || ':' ||"
                           " indexed, ' ') FROM (SELECT * FROM stories ORDER BY uri)",
                           -1, &q, NULL);
        cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
        dumps[round] = strdup((const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        sqlite3_close(h);
    }
    cr_assert_str_eq(dumps[0], dumps[1]);
    cr_assert_str_eq(dumps[0], "urn:1:2:usable:1 urn:2:2:canceled:0 urn:3:1:withheld:0 "
                               "urn:4:1:usable:1");
    cr_assert_eq(hits("alpha"), 1);
    free(dumps[0]);
    free(dumps[1]);
    for (int i = 0; i < 6; i++)
        json_decref(batch[i]);
    nw_fts_store_close(s);
}

Test(sqlite_fts, natural_queries_and_errors)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:1", 1, 1, NULL, NULL, "Kerry in Moscow", "Talks on the civil war in Syria"),
        NOW);
    put(s, mk("urn:2", 1, 1, NULL, NULL, "Syria and Russia", "Russia backs the régime"), NOW);
    cr_assert_eq(hits("kerry moscow"), 1);
    cr_assert_eq(hits("\"civil war\""), 1);
    cr_assert_eq(hits("\"war civil\""), 0);
    cr_assert_eq(hits("syria -russia"), 1);
    cr_assert_eq(hits("-russia syria"), 1);
    cr_assert_eq(hits("regime"), 1, "diacritics removed");
    cr_assert_eq(hits("kerr*"), 1);
    cr_assert_eq(hits("U.S. kerry's"), 0, "punctuation is not syntax");
    cr_assert_eq(hits("kerry OR russia"), 2);
    cr_assert_eq(hits("(kerry OR russia) syria"), 2, "a group then a word: AND");
    cr_assert_eq(hits("syria (backs OR talks) -moscow"), 1);
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0);
    const char *bad[] = {"\"civil war",
                         "-russia",
                         "kerry OR",
                         "(kerry",
                         "OR kerry",
                         "kerry )",
                         "syria -(kerry OR moscow)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nw_fts_query q = {.text = bad[i], .since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME};
        int n = 0;
        memset(&err, 0, sizeof err);
        cr_assert_eq(nw_fts_search(r, &q, count_hit, &n, &err), NW_EINVAL, "%s", bad[i]);
        cr_assert(!strncmp(err.msg, "query: ", 7) && !strchr(err.msg, '\n') &&
                      !strstr(err.msg, "SELECT"),
                  "%s -> %s", bad[i], err.msg);
    }
    nw_fts_reader_close(r);
    nw_fts_store_close(s);
}

static void first_hit(const nw_fts_hit *h, void *ctx)
{
    if (!*(char **)ctx)
        *(char **)ctx = strdup(h->uri);
}

Test(sqlite_fts, headline_weighs_more_and_filters_apply)
{
    nw_fts_store *s = open_store();
    put(s, mk("urn:body", 1, 1, NULL, NULL, "Markets", "Grain prices rose as grain ships docked"),
        NOW);
    put(s, mk("urn:head", 1, 2, NULL, NULL, "Grain prices fall", "Markets were calm"), NOW);
    json_t *e = mk("urn:ent", 1, 3, NULL, NULL, "Talks", "Nothing");
    json_object_set_new(e, "people", json_pack("[{s:s}]", "name", "John Kerry"));
    json_object_set_new(e, "language", json_string("en"));
    put(s, e, NOW);
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0);
    nw_fts_query q = {.text = "grain", .since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME};
    char *best = NULL;
    cr_assert_eq(nw_fts_search(r, &q, first_hit, &best, &err), 2);
    cr_assert_str_eq(best, "urn:head");
    free(best);
    best = NULL;
    nw_fts_query p = {.person = "kerry", .since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME};
    cr_assert_eq(nw_fts_search(r, &p, first_hit, &best, &err), 1, "%s", err.msg);
    cr_assert_str_eq(best, "urn:ent");
    free(best);
    int n = 0;
    nw_fts_query c = {.text = "grain",
                      .category = "sport",
                      .since_ms = NW_FTS_NO_TIME,
                      .until_ms = NW_FTS_NO_TIME};
    cr_assert_eq(nw_fts_search(r, &c, count_hit, &n, &err), 0);
    nw_fts_query w = {.text = "grain",
                      .category = "world",
                      .lang = "en",
                      .since_ms = NW_FTS_NO_TIME,
                      .until_ms = NW_FTS_NO_TIME};
    cr_assert_eq(nw_fts_search(r, &w, count_hit, &n, &err), 0, "language en only");
    nw_fts_query t = {
        .text = "grain", .since_ms = NOW - 3600000 * 14 + 2000, .until_ms = NW_FTS_NO_TIME};
    cr_assert_eq(nw_fts_search(r, &t, count_hit, &n, &err), 1, "since 10:00:02");
    nw_fts_reader_close(r);
    nw_fts_store_close(s);
}

Test(sqlite_fts, corrupt_file_is_a_start_up_error_naming_it)
{
    nw_test_write_file(db, "this is not a database, just some text that is long enough", 59);
    nw_fts_store *s = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_store_open(db, &s, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, db), "%s", err.msg);
}

Test(sqlite_fts, schema_is_versioned_and_a_newer_one_refused)
{
    nw_fts_store *s = open_store();
    nw_fts_store_close(s);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &q, NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(q, 0), NW_FTS_SCHEMA_VERSION);
    sqlite3_finalize(q);
    s = open_store(); /* a second open migrates nothing */
    nw_fts_store_close(s);
    sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(h);
    nw_err err = {0};
    cr_assert_eq(nw_fts_store_open(db, &s, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, db) && strstr(err.msg, "99"), "%s", err.msg);
}

/* Consumer instances starting together on a new file: every open succeeds
 * (the schema is created once, under the write lock), none fails with
 * "table stories already exists". */
static void *open_concurrently(void *arg)
{
    (void)arg;
    nw_fts_store *s = NULL;
    nw_err err = {0};
    int rc = nw_fts_store_open(db, &s, &err);
    if (s)
        nw_fts_store_close(s);
    return rc == 0 ? NULL : strdup(err.msg);
}

Test(sqlite_fts, concurrent_first_opens_create_the_schema_once)
{
    for (int round = 0; round < 20; round++) {
        unlink(db);
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            cr_assert_eq(pthread_create(&t[i], NULL, open_concurrently, NULL), 0);
        for (int i = 0; i < 4; i++) {
            char *failed = NULL;
            pthread_join(t[i], (void **)&failed);
            cr_assert_null(failed, "round %d: %s", round, failed);
        }
    }
}

Test(sqlite_fts, read_only_database_is_retryable)
{
    if (geteuid() == 0) /* root writes through file modes */
        cr_skip_test("needs a non-root user to make the database read-only");
    nw_fts_store *s = open_store();
    cr_assert_not_null(s);
    chmod(db, 0444);
    chmod(dir, 0555);
    json_t *j = mk("urn:ro", 1, 1, NULL, NULL, "x", "y");
    nw_fts_story in = {j, NULL, 0, NULL};
    nw_err err = {0};
    int rc = nw_fts_store_write(s, &in, 1, NOW, NULL, &err);
    chmod(dir, 0755);
    chmod(db, 0644);
    cr_assert_eq(rc, NW_ERETRY, "%s", err.msg);
    memset(&err, 0, sizeof err);
    cr_assert_eq(nw_fts_store_write(s, &in, 1, NOW, NULL, &err), 0, "retry succeeds: %s", err.msg);
    json_decref(j);
    nw_fts_store_close(s);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(sqlite_fts, plugin_workers_share_one_writer_and_release_embargoes)
{
    const nw_plugin_descriptor *d = &nw_plugin_sqlite_fts;
    char err[256] = "";
    void *w1 = nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, NULL);
    void *w2 = nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, NULL);
    cr_assert(w1 && w2, "%s", err);
    cr_assert_eq(nw_sqlite_fts_store(w1), nw_sqlite_fts_store(w2), "one store per file");

    char embargo[40];
    time_t due = (time_t)((wall_ms() + 1500) / 1000) + 1;
    strftime(embargo, sizeof embargo, "%Y-%m-%dT%H:%M:%SZ", gmtime(&due));
    char json[512];
    snprintf(json, sizeof json,
             "{\"uri\":\"urn:emb\",\"version\":\"1\",\"embargoedUntil\":\"%s\","
             "\"headlines\":[{\"value\":\"Quarterly results\"}]}",
             embargo);
    nw_chain_msg cm;
    cr_assert_eq(nw_chain_msg_init(&cm, "news.business", "news.", 0, 1, "urn:emb", 7, json,
                                   strlen(json), -1, NULL),
                 0);
    nw_plugin_msg *batch[1] = {&cm.pub};
    size_t failed = 99;
    cr_assert_eq(d->write(w1, batch, 1, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(d->flush(w1, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(hits("quarterly"), 0);
    /* the release thread makes it searchable soon after its time (polled) */
    int found = 0;
    for (int i = 0; i < 100 && !found; i++) {
        usleep(100000);
        found = hits("quarterly");
    }
    cr_assert_eq(found, 1, "released");
    cr_assert_geq(wall_ms(), (int64_t)due * 1000, "not before its time");

    const char *bad = "{\"headlines\":[]}";
    nw_chain_msg b;
    cr_assert_eq(nw_chain_msg_init(&b, "news.x", "news.", 0, 2, "", 0, bad, strlen(bad), -1, NULL),
                 0);
    nw_plugin_msg *bb[1] = {&b.pub};
    cr_assert_eq(d->write(w2, bb, 1, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 0);
    cr_assert(strstr(err, "no uri"), "%s", err);
    d->destroy(w1);
    d->destroy(w2);
    nw_chain_msg_deinit(&cm);
    nw_chain_msg_deinit(&b);

    cr_assert_null(nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, "dbx", "x", NULL));
    cr_assert(strstr(err, "dbx"), "%s", err);
    nw_test_plugin_free_all();
}

/* Two worker instances writing the same uris from two threads at once. */
typedef struct worker {
    void *state;
    int first_version;
} worker;

static void *run_worker(void *arg)
{
    const worker *w = arg;
    const nw_plugin_descriptor *d = &nw_plugin_sqlite_fts;
    for (int round = 0; round < 20; round++) {
        char json[50][256];
        nw_chain_msg m[50];
        nw_plugin_msg *batch[50];
        for (int i = 0; i < 50; i++) {
            int v = w->first_version + round * 2; /* one worker odd versions, the other even */
            snprintf(json[i], sizeof json[i],
                     "{\"uri\":\"urn:w:%d\",\"version\":\"%d\",\"headlines\":[{\"value\":"
                     "\"Worker story v%d\"}]}",
                     i, v, v);
            if (nw_chain_msg_init(&m[i], "news.world", "news.", 0, round * 50 + i, "urn:w", 5,
                                  json[i], strlen(json[i]), -1, NULL) < 0)
                return (void *)1;
            batch[i] = &m[i].pub;
        }
        size_t failed;
        char err[256];
        bool ok = d->write(w->state, batch, 50, &failed, err, sizeof err) == NW_PLUGIN_OK &&
                  d->flush(w->state, err, sizeof err) == NW_PLUGIN_OK;
        for (int i = 0; i < 50; i++)
            nw_chain_msg_deinit(&m[i]);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

Test(sqlite_fts, workers_write_concurrently_through_one_writer)
{
    const nw_plugin_descriptor *d = &nw_plugin_sqlite_fts;
    char err[256] = "";
    worker w[2] = {{nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, NULL), 1},
                   {nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, NULL), 2}};
    cr_assert(w[0].state && w[1].state, "%s", err);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    for (int i = 0; i < 2; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        cr_assert_null(rc, "worker %d failed", i);
    }
    d->destroy(w[0].state);
    d->destroy(w[1].state);
    /* every uri at the newest version written (40, by the even worker), once */
    for (int i = 0; i < 50; i += 7) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:w:%d", i);
        cr_assert_eq(stored_version(uri, NULL), 40, "%s", uri);
    }
    cr_assert_eq(hits("worker"), 50);
    cr_assert_eq(hits("v40"), 50, "only the newest text is searchable");
    nw_test_plugin_free_all();
}

/* ready(): the database file and its directory writable; a directory gone
 * (moved away) is not ready, naming the path; back in place, ready again. */
Test(sqlite_fts, ready_while_the_file_is_writable)
{
    const nw_plugin_descriptor *d = &nw_plugin_sqlite_fts;
    char err[256] = "";
    void *p = nw_test_plugin_open(d, NULL, err, sizeof err, "db", db, NULL);
    cr_assert_not_null(p, "%s", err);
    cr_assert_not_null(d->ready);
    cr_assert_eq(d->ready(p, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    size_t n = strlen(dir) + 8;
    char *moved = malloc(n);
    snprintf(moved, n, "%s.away", dir);
    cr_assert_eq(rename(dir, moved), 0);
    nw_plugin_status st = d->ready(p, err, sizeof err);
    cr_assert_eq(rename(moved, dir), 0);
    free(moved);
    cr_assert_eq(st, NW_PLUGIN_RETRY);
    cr_assert(strstr(err, db) && strstr(err, "not writable"), "%s", err);
    cr_assert_eq(d->ready(p, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    d->destroy(p);
    nw_test_plugin_free_all();
}

/* The uris of the hits, in order, appended to a buffer of 64 slots. */
typedef struct uris {
    char *uri[64];
    int n;
} uris;

static void collect_uri(const nw_fts_hit *h, void *ctx)
{
    uris *u = ctx;
    if (u->n < 64)
        u->uri[u->n++] = strdup(h->uri);
}

static void uris_free(uris *u)
{
    for (int i = 0; i < u->n; i++)
        free(u->uri[i]);
    u->n = 0;
}

static uris search_top(const char *text, const char *category, int limit)
{
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_fts_reader_open(db, &r, &err), 0, "%s", err.msg);
    nw_fts_query q = {.text = text,
                      .category = category,
                      .since_ms = NW_FTS_NO_TIME,
                      .until_ms = NW_FTS_NO_TIME,
                      .limit = limit};
    uris u = {0};
    cr_assert_geq(nw_fts_search(r, &q, collect_uri, &u, &err), 0, "%s", err.msg);
    nw_fts_reader_close(r);
    return u;
}

/* The top N is picked among the matches before the stories rows are read
 * (docs/search.md): it is the first N of the whole ranking, and a killed,
 * withheld or embargoed story that would rank first is never among them. */
Test(sqlite_fts, top_hits_are_the_best_of_all_matches_and_never_hidden_stories)
{
    nw_fts_store *s = open_store();
    for (int i = 0; i < 30; i++) {
        char uri[32], body[128];
        snprintf(uri, sizeof uri, "urn:f%02d", i);
        /* more mentions of "harbour", a better bm25 score, for higher i */
        snprintf(body, sizeof body, "ferry%.*s", 8 * (i % 10),
                 " harbour harbour harbour harbour harbour harbour harbour harbour harbour");
        nw_fts_story in = {mk(uri, 1, i, NULL, NULL, "Ferry news", body), NULL, 0,
                           i < 10 ? "sport" : "world"};
        nw_err err = {0};
        cr_assert_eq(nw_fts_store_write(s, &in, 1, NOW, NULL, &err), 0, "%s", err.msg);
        json_decref((json_t *)in.story);
    }
    /* would rank first: "harbour ferry" in the headline */
    put(s, mk("urn:killed", 1, 1, NULL, NULL, "Harbour ferry harbour", "harbour ferry"), NOW);
    put(s, mk("urn:killed", 2, 2, "canceled", NULL, NULL, NULL), NOW);
    put(s, mk("urn:held", 1, 1, "withheld", NULL, "Harbour ferry harbour", "harbour ferry"), NOW);
    put(s,
        mk("urn:emb", 1, 1, NULL, "2026-01-01T00:01:00Z", "Harbour ferry harbour", "harbour ferry"),
        NOW);

    uris all = search_top("harbour ferry", NULL, 64);
    cr_assert_eq(all.n, 27, "30 stories, 3 without harbour, the hidden three not found");
    for (int i = 0; i < all.n; i++)
        cr_assert(strcmp(all.uri[i], "urn:killed") && strcmp(all.uri[i], "urn:held") &&
                      strcmp(all.uri[i], "urn:emb"),
                  "%s", all.uri[i]);
    uris top = search_top("harbour ferry", NULL, 5);
    cr_assert_eq(top.n, 5);
    for (int i = 0; i < top.n; i++)
        cr_assert_str_eq(top.uri[i], all.uri[i], "hit %d of the top 5 is hit %d of all", i, i);
    uris_free(&top);

    /* a filter on the stories table applies before the top N is cut */
    uris world = search_top("harbour ferry", "world", 64);
    uris world3 = search_top("harbour ferry", "world", 3);
    cr_assert_eq(world3.n, 3, "the best sport stories do not use up the limit");
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(world3.uri[i], world.uri[i]);
        cr_assert_geq(atoi(world3.uri[i] + strlen("urn:f")), 10, "%s is in sport", world3.uri[i]);
    }
    uris_free(&world);
    uris_free(&world3);

    nw_err err = {0};
    cr_assert_eq(nw_fts_store_release_due(s, NOW + 60000, NULL, &err), 1, "%s", err.msg);
    top = search_top("harbour ferry", NULL, 5);
    cr_assert_eq(top.n, 5);
    cr_assert_str_eq(top.uri[0], "urn:emb", "released: now the best hit");
    for (int i = 1; i < top.n; i++)
        cr_assert_str_eq(top.uri[i], all.uri[i - 1]);
    uris_free(&top);
    uris_free(&all);
    nw_fts_store_close(s);
}
