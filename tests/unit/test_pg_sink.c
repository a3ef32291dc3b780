/*
 * test_pg_sink — the PostgreSQL sink core against a real server started by
 * nw_testpg: schema creation and migration, out-of-order versions and kills
 * (across batches and inside one), a refused value going to the dead
 * letters with its SQLSTATE while the rest goes in, idempotent replay,
 * the server stopped and started again mid-stream (nothing lost, the sink
 * reconnects and replays by itself), full-text search, SQLSTATE classes.
 * Skipped when the PostgreSQL binaries are absent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_pg_sink.h"
#include "nw_testpg.h"

static nw_test_pg pg;

static void setup(void)
{
    char why[1024] = "";
    int rc = nw_test_pg_start(&pg, why, sizeof why);
    if (rc == 1)
        cr_skip_test("%s", why);
    cr_assert_eq(rc, 0, "%s", why);
}

static void teardown(void)
{
    nw_test_pg_destroy(&pg);
}

TestSuite(pg_sink, .init = setup, .fini = teardown, .timeout = 120);

static nw_pg_sink *must_open(void)
{
    nw_pg_options o = {pg.conninfo, "stories"};
    nw_pg_sink *s = NULL;
    nw_err e = {0};
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), 0, "%s", e.msg);
    return s;
}

/* A story of uri with a numeric version, its versionCreated minute and pubStatus. */
static json_t *story(const char *uri, int version, int minute, const char *status,
                     const char *headline)
{
    char ver[16], created[32];
    snprintf(ver, sizeof ver, "%d", version);
    snprintf(created, sizeof created, "2024-05-01T10:%02d:00Z", minute);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s}], s:[{s:s, s:s}], s:[{s:s}]}", "uri", uri,
                     "version", ver, "versionCreated", created, "pubStatus", status, "language",
                     "en", "headlines", "value", headline, "bodies", "contentType", "text/plain",
                     "value", "The body of the story about harbours.", "people", "name",
                     "Ada Lovelace");
}

/* Write the stories (stolen) as one batch and commit; outcomes into out. */
static void write_commit(nw_pg_sink *s, json_t **docs, size_t n, nw_pg_outcome *out)
{
    nw_pg_item items[16];
    cr_assert(n <= 16);
    for (size_t i = 0; i < n; i++)
        items[i] = (nw_pg_item){docs[i], NULL, "world"};
    nw_err e = {0};
    cr_assert_eq(nw_pg_sink_write(s, items, n, (int64_t)time(NULL) * 1000, out, &e), 0, "%s",
                 e.msg);
    cr_assert_eq(nw_pg_sink_commit(s, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
}

static void expect_one(const char *sql, const char *want)
{
    char *got = nw_test_pg_query(&pg, sql);
    cr_assert_not_null(got, "query failed: %s", sql);
    size_t l = strlen(got);
    while (l && got[l - 1] == '\n')
        got[--l] = '\0';
    cr_expect_str_eq(got, want, "%s", sql);
    free(got);
}

Test(pg_sink, schema_created_once_and_versioned)
{
    nw_pg_sink *a = must_open();
    nw_pg_sink *b = must_open(); /* a second open migrates nothing */
    expect_one("SELECT version FROM stories_schema", "1");
    expect_one("SELECT count(*) FROM pg_indexes WHERE indexname = 'stories_search'", "1");
    nw_pg_sink_close(a);
    nw_pg_sink_close(b);
    /* a database written by a newer newswire is refused, not downgraded */
    char *r = nw_test_pg_query(&pg, "UPDATE stories_schema SET version = 99");
    free(r);
    nw_pg_options o = {pg.conninfo, "stories"};
    nw_pg_sink *s = NULL;
    nw_err e = {0};
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), NW_EINVAL);
    cr_assert_null(s);
    cr_assert(strstr(e.msg, "schema version 99"), "%s", e.msg);
}

Test(pg_sink, newest_version_wins_whatever_the_order)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[4];
    json_t *b1[] = {story("urn:a", 3, 30, "usable", "Third version")};
    write_commit(s, b1, 1, out);
    cr_assert_eq(out[0].result, NW_PG_WRITTEN);
    json_t *b2[] = {story("urn:a", 1, 10, "usable", "First version"),
                    story("urn:a", 2, 20, "usable", "Second version")};
    write_commit(s, b2, 2, out);
    cr_assert_eq(out[0].result, NW_PG_STALE);
    cr_assert_eq(out[1].result, NW_PG_STALE);
    cr_assert_eq(out[0].skip, NW_STORY_SKIP_OLDER);
    cr_assert_eq(out[1].skip, NW_STORY_SKIP_OLDER);
    expect_one("SELECT version || ' ' || headline FROM stories", "3 Third version");
    json_t *again[] = {story("urn:a", 3, 30, "usable", "Third version")};
    write_commit(s, again, 1, out);
    cr_assert_eq(out[0].result, NW_PG_STALE);
    cr_assert_eq(out[0].skip, NW_STORY_SKIP_SAME, "a replay is the same version");

    /* inside one batch, in any order: the newest goes in, the rest are stale */
    json_t *b3[] = {story("urn:b", 2, 20, "usable", "B two"),
                    story("urn:b", 5, 50, "usable", "B five"),
                    story("urn:b", 4, 40, "usable", "B four")};
    write_commit(s, b3, 3, out);
    cr_assert_eq(out[0].result, NW_PG_STALE);
    cr_assert_eq(out[1].result, NW_PG_WRITTEN);
    cr_assert_eq(out[2].result, NW_PG_STALE);
    expect_one("SELECT version || ' ' || headline FROM stories WHERE uri = 'urn:b'", "5 B five");
    nw_pg_stats st = nw_pg_sink_stats(s);
    cr_expect_eq(st.written, 2);
    cr_expect_eq(st.stale, 5);
    cr_expect_eq(st.skipped_older, 4, "two older than stored, two older than the batch's newest");
    cr_expect_eq(st.skipped_same, 1);
    cr_expect_eq(st.skipped_killed, 0);
    nw_pg_sink_close(s);
}

Test(pg_sink, kill_is_final_and_stripped)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[4];
    json_t *b1[] = {story("urn:k", 3, 30, "usable", "Story to be killed")};
    write_commit(s, b1, 1, out);
    /* an older kill still kills (a kill is final for the uri) */
    json_t *b2[] = {story("urn:k", 2, 20, "canceled", "Story to be killed")};
    write_commit(s, b2, 1, out);
    cr_assert_eq(out[0].result, NW_PG_WRITTEN);
    expect_one("SELECT state || ' ' || coalesce(headline, '-') || ' ' || coalesce(body, '-') || "
               "' ' || (doc ? 'headlines') || ' ' || (people IS NULL) || ' ' || "
               "(search = ''::tsvector) FROM stories",
               "canceled - - false true true");
    /* nothing brings it back: neither a newer usable version nor a replay */
    json_t *b3[] = {story("urn:k", 9, 59, "usable", "Resurrected"),
                    story("urn:k", 3, 30, "usable", "Story to be killed")};
    write_commit(s, b3, 2, out);
    cr_assert_eq(out[0].result, NW_PG_STALE);
    cr_assert_eq(out[1].result, NW_PG_STALE);
    cr_assert_eq(out[0].skip, NW_STORY_SKIP_KILLED, "newer, but after a kill");
    cr_assert_eq(out[1].skip, NW_STORY_SKIP_KILLED);
    cr_expect_eq(nw_pg_sink_stats(s).skipped_killed, 2);
    /* a newer kill record replaces the kill (still content-free) */
    json_t *b4[] = {story("urn:k", 4, 40, "canceled", "x")};
    write_commit(s, b4, 1, out);
    cr_assert_eq(out[0].result, NW_PG_WRITTEN);
    expect_one("SELECT state || ' ' || version || ' ' || coalesce(headline, '-') FROM stories",
               "canceled 4 -");

    /* kill and versions of a new uri in one batch, kill in the middle */
    json_t *b5[] = {story("urn:m", 1, 10, "usable", "m1"), story("urn:m", 2, 20, "canceled", "m2"),
                    story("urn:m", 3, 30, "usable", "m3")};
    write_commit(s, b5, 3, out);
    cr_assert_eq(out[1].result, NW_PG_WRITTEN);
    expect_one("SELECT state || ' ' || version FROM stories WHERE uri = 'urn:m'", "canceled 2");
    nw_pg_sink_close(s);
}

Test(pg_sink, refused_value_goes_to_dead_letters_rest_goes_in)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[4];
    json_t *bad = story("urn:bad", 1, 10, "usable", "x");
    /* PostgreSQL's jsonb refuses \u0000 (SQLSTATE 22P05) */
    json_object_set_new(bad, "description_text", json_stringn("nul\0inside", 10));
    json_t *undated = story("urn:emb", 1, 10, "usable", "y");
    json_object_set_new(undated, "embargoedUntil", json_string("tomorrow"));
    json_t *b[] = {story("urn:ok1", 1, 10, "usable", "fine one"), bad,
                   story("urn:ok2", 1, 10, "usable", "fine two"), undated};
    write_commit(s, b, 4, out);
    cr_assert_eq(out[0].result, NW_PG_WRITTEN);
    cr_assert_eq(out[1].result, NW_PG_REFUSED);
    cr_expect_str_eq(out[1].sqlstate, "22P05");
    cr_expect(strlen(out[1].reason) > 0);
    cr_assert_eq(out[2].result, NW_PG_WRITTEN);
    cr_assert_eq(out[3].result, NW_PG_REFUSED); /* refused by the contract, before SQL */
    cr_expect(strstr(out[3].reason, "embargoedUntil"), "%s", out[3].reason);
    expect_one("SELECT string_agg(uri, ',' ORDER BY uri) FROM stories", "urn:ok1,urn:ok2");

    /* a batch after the refusal, in the same session, goes in as usual */
    json_t *b2[] = {story("urn:ok3", 1, 10, "usable", "fine three")};
    write_commit(s, b2, 1, out);
    expect_one("SELECT count(*) FROM stories", "3");
    nw_pg_sink_close(s);
}

Test(pg_sink, replay_changes_nothing)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[4];
    json_t *b[] = {story("urn:r1", 1, 10, "usable", "one"), story("urn:r2", 2, 20, "usable", "two"),
                   story("urn:r2", 1, 10, "withheld", "old")};
    write_commit(s, b, 3, out);
    char *before = nw_test_pg_query(&pg, "SELECT uri, version, updated_at, xmin FROM stories "
                                         "ORDER BY uri");
    cr_assert_not_null(before);
    json_t *again[] = {story("urn:r1", 1, 10, "usable", "one"),
                       story("urn:r2", 2, 20, "usable", "two"),
                       story("urn:r2", 1, 10, "withheld", "old")};
    write_commit(s, again, 3, out);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(out[i].result, NW_PG_STALE);
    char *after = nw_test_pg_query(&pg, "SELECT uri, version, updated_at, xmin FROM stories "
                                        "ORDER BY uri");
    cr_assert_str_eq(after, before, "a replay rewrote rows");
    free(before);
    free(after);
    nw_pg_sink_close(s);
}

Test(pg_sink, server_stopped_mid_stream_nothing_lost)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[4];
    json_t *b1[] = {story("urn:s1", 1, 10, "usable", "committed")};
    write_commit(s, b1, 1, out);

    /* written, not committed, then the server goes away */
    nw_err e = {0};
    json_t *d2 = story("urn:s2", 1, 10, "usable", "in the lost transaction");
    nw_pg_item i2 = {d2, NULL, NULL};
    cr_assert_eq(nw_pg_sink_write(s, &i2, 1, 0, out, &e), 0, "%s", e.msg);
    cr_assert_eq(nw_test_pg_stop(&pg), 0);
    cr_assert_eq(nw_pg_sink_commit(s, &e), NW_ERETRY);
    json_t *d3 = story("urn:s3", 1, 10, "usable", "written while down");
    nw_pg_item i3 = {d3, NULL, NULL};
    for (int k = 0; k < 3; k++) { /* the server stays down for about 3 s */
        cr_assert_eq(nw_pg_sink_write(s, &i3, 1, 0, out, &e), NW_ERETRY);
        cr_assert_eq(nw_pg_sink_commit(s, &e), NW_ERETRY);
        sleep(1);
    }
    cr_assert_eq(nw_test_pg_restart(&pg), 0);
    /* the caller only retries: the sink reconnects and replays urn:s2 */
    cr_assert_eq(nw_pg_sink_write(s, &i3, 1, 0, out, &e), 0, "%s", e.msg);
    cr_assert_eq(out[0].result, NW_PG_WRITTEN);
    cr_assert_eq(nw_pg_sink_commit(s, &e), 0, "%s", e.msg);
    expect_one("SELECT string_agg(uri, ',' ORDER BY uri) FROM stories", "urn:s1,urn:s2,urn:s3");
    nw_pg_stats st = nw_pg_sink_stats(s);
    cr_expect_eq(st.connects, 2);
    cr_expect_eq(st.replayed, 1);
    cr_expect_geq(st.transient, 7);
    json_decref(d2);
    json_decref(d3);
    nw_pg_sink_close(s);
}

Test(pg_sink, searchable_with_websearch_to_tsquery)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[2];
    json_t *b[] = {story("urn:t1", 1, 10, "usable", "Storm closes harbours"),
                   story("urn:t2", 1, 10, "usable", "Elections in spring")};
    write_commit(s, b, 2, out);
    expect_one("SELECT string_agg(uri, ',') FROM stories WHERE search @@ "
               "websearch_to_tsquery('english', 'storm harbour')",
               "urn:t1");
    expect_one("SELECT string_agg(uri, ',' ORDER BY uri) FROM stories WHERE search @@ "
               "websearch_to_tsquery('english', 'lovelace')",
               "urn:t1,urn:t2");
    nw_pg_sink_close(s);
}

Test(pg_sink, current_view_hides_kills_withheld_and_embargoes_until_due)
{
    nw_pg_sink *s = must_open();
    nw_pg_outcome out[5];
    json_t *later = story("urn:e1", 1, 10, "usable", "Embargoed until 2999");
    json_object_set_new(later, "embargoedUntil", json_string("2999-01-01T00:00:00Z"));
    json_t *due = story("urn:e2", 1, 10, "usable", "Embargo over");
    json_object_set_new(due, "embargoedUntil", json_string("2000-01-01T00:00:00Z"));
    json_t *b[] = {later, due, story("urn:w", 1, 10, "withheld", "Withheld"),
                   story("urn:k", 1, 10, "canceled", "Killed"),
                   story("urn:u", 1, 10, "usable", "Usable")};
    write_commit(s, b, 5, out);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(out[i].result, NW_PG_WRITTEN);
    expect_one("SELECT string_agg(uri || ':' || state, ',' ORDER BY uri) FROM stories",
               "urn:e1:embargoed,urn:e2:usable,urn:k:canceled,urn:u:usable,urn:w:withheld");
    expect_one("SELECT string_agg(uri, ',' ORDER BY uri) FROM stories_current", "urn:e2,urn:u");
    /* an embargo that falls due shows without a write */
    char *r = nw_test_pg_query(&pg, "UPDATE stories SET embargo = now() - interval '1 s' "
                                    "WHERE uri = 'urn:e1'");
    free(r);
    expect_one("SELECT string_agg(uri, ',' ORDER BY uri) FROM stories_current",
               "urn:e1,urn:e2,urn:u");
    nw_pg_sink_close(s);
}

Test(pg_sink, wrong_login_is_a_clear_error)
{
    nw_pg_options o = {"host=127.0.0.1 port=1 dbname=x connect_timeout=2", NULL};
    nw_pg_sink *s = NULL;
    nw_err e = {0};
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), NW_ERETRY, "%s", e.msg);
    cr_assert(strstr(e.msg, "PostgreSQL connection"), "%s", e.msg);
    char bad[300];
    snprintf(bad, sizeof bad, "%s dbname=no_such_db", pg.conninfo);
    o.conninfo = bad;
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), NW_EINVAL, "%s", e.msg);
    o.conninfo = "host=127.0.0.1 bogus_option=1";
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), NW_EINVAL, "%s", e.msg);
    o.conninfo = pg.conninfo;
    o.table = "Robert'); DROP TABLE x";
    cr_assert_eq(nw_pg_sink_open(&o, &s, &e), NW_EINVAL);
}

Test(pg_sink_classes, sqlstates)
{
    cr_expect_eq(nw_pg_sqlstate_kind(NULL), 1);
    cr_expect_eq(nw_pg_sqlstate_kind("08006"), 1); /* connection failure */
    cr_expect_eq(nw_pg_sqlstate_kind("40001"), 1); /* serialization */
    cr_expect_eq(nw_pg_sqlstate_kind("40P01"), 1); /* deadlock */
    cr_expect_eq(nw_pg_sqlstate_kind("57P01"), 1); /* admin shutdown */
    cr_expect_eq(nw_pg_sqlstate_kind("53300"), 1); /* too many connections */
    cr_expect_eq(nw_pg_sqlstate_kind("22P05"), 0); /* untranslatable character */
    cr_expect_eq(nw_pg_sqlstate_kind("23505"), 0);
    cr_expect_eq(nw_pg_sqlstate_kind("54000"), 0); /* tsvector too long */
    cr_expect_eq(nw_pg_sqlstate_kind("42P01"), -1);
}
