/*
 * test_feed_state — the feed input's persistent seen-items store: lookups,
 * replacement, touch, pruning by age and count, the atomic JSON-lines file
 * (round trip, validators, damaged lines, a missing file, an unreadable one)
 * and the per-URL file name.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_feed_state.h"
#include "nw_testutil.h"

static char *dir;

static void setup(void)
{
    dir = nw_test_mkdtemp("feed-state");
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    nw_test_rm_rf(dir);
    free(dir);
}

TestSuite(feed_state, .init = setup, .fini = teardown);

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

Test(feed_state, put_get_replace_touch)
{
    nw_feed_state *st = nw_feed_state_new();
    cr_assert_not_null(st);
    cr_expect_null(nw_feed_state_get(st, "urn:a"));
    cr_expect_not(nw_feed_state_dirty(st));
    cr_assert_eq(nw_feed_state_put(st, "urn:a", 0x1234, 1, "2024-03-05T14:30:00Z", 100), 0);
    cr_assert_eq(nw_feed_state_put(st, "urn:b", 0x5678, 1, NULL, 100), 0);
    cr_expect(nw_feed_state_dirty(st));
    cr_expect_eq(nw_feed_state_count(st), 2);
    const nw_feed_seen *a = nw_feed_state_get(st, "urn:a");
    cr_assert_not_null(a);
    cr_expect_str_eq(a->uri, "urn:a");
    cr_expect_eq(a->hash, 0x1234);
    cr_expect_eq(a->version, 1);
    cr_expect_str_eq(a->version_created, "2024-03-05T14:30:00Z");
    cr_expect_null(nw_feed_state_get(st, "urn:b")->version_created);

    /* a new version replaces the entry, it does not add one */
    cr_assert_eq(nw_feed_state_put(st, "urn:a", 0x9999, 2, "2024-03-06T00:00:00Z", 200), 0);
    cr_expect_eq(nw_feed_state_count(st), 2);
    a = nw_feed_state_get(st, "urn:a");
    cr_expect_eq(a->hash, 0x9999);
    cr_expect_eq(a->version, 2);
    cr_expect_eq(a->seen, 200);

    cr_expect(nw_feed_state_touch(st, "urn:b", 300));
    cr_expect_eq(nw_feed_state_get(st, "urn:b")->seen, 300);
    cr_expect_not(nw_feed_state_touch(st, "urn:nope", 300));
    nw_feed_state_free(st);
}

Test(feed_state, save_and_load_round_trip)
{
    char path[1024];
    path_in(path, sizeof path, "s.jsonl");
    nw_feed_state *st = nw_feed_state_new();
    cr_assert_eq(nw_feed_state_put(st, "https://example.com/a?x=1&y=\"2\"", 0xffffffffffffffffULL,
                                   3, "2024-03-05T14:30:00.120Z", 1709649000),
                 0);
    cr_assert_eq(nw_feed_state_put(st, "urn:b:caf\xc3\xa9", 0, 1, NULL, 1709649001), 0);
    cr_assert_eq(nw_feed_state_set_validators(st, "W/\"abc\"", "Tue, 05 Mar 2024 14:30:00 GMT"), 0);
    nw_err err = {0};
    cr_assert_eq(nw_feed_state_save(st, path, "wire", "http://x/feed", &err), 0, "%s", err.msg);
    cr_expect_not(nw_feed_state_dirty(st));
    nw_feed_state_free(st);

    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect_neq(access(tmp, F_OK), 0, "no temp file is left behind");

    size_t skipped = 99;
    cr_assert_eq(nw_feed_state_load(path, &st, &skipped, &err), 0, "%s", err.msg);
    cr_expect_eq(skipped, 0);
    cr_expect_not(nw_feed_state_dirty(st), "a fresh load is clean");
    cr_expect_eq(nw_feed_state_count(st), 2);
    const nw_feed_seen *a = nw_feed_state_get(st, "https://example.com/a?x=1&y=\"2\"");
    cr_assert_not_null(a);
    cr_expect_eq(a->hash, 0xffffffffffffffffULL);
    cr_expect_eq(a->version, 3);
    cr_expect_str_eq(a->version_created, "2024-03-05T14:30:00.120Z");
    cr_expect_eq(a->seen, 1709649000);
    const nw_feed_seen *b = nw_feed_state_get(st, "urn:b:caf\xc3\xa9");
    cr_assert_not_null(b);
    cr_expect_eq(b->hash, 0);
    cr_expect_null(b->version_created);
    cr_expect_str_eq(nw_feed_state_etag(st), "W/\"abc\"");
    cr_expect_str_eq(nw_feed_state_last_modified(st), "Tue, 05 Mar 2024 14:30:00 GMT");

    /* saving again replaces the file */
    nw_feed_state_set_validators(st, NULL, NULL);
    nw_feed_state_prune(st, 0, 1);
    cr_assert_eq(nw_feed_state_save(st, path, NULL, NULL, &err), 0, "%s", err.msg);
    nw_feed_state_free(st);
    cr_assert_eq(nw_feed_state_load(path, &st, NULL, &err), 0);
    cr_expect_eq(nw_feed_state_count(st), 1);
    cr_expect_null(nw_feed_state_etag(st));
    nw_feed_state_free(st);
}

Test(feed_state, missing_file_is_empty)
{
    char path[1024];
    path_in(path, sizeof path, "none.jsonl");
    nw_feed_state *st = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_feed_state_load(path, &st, NULL, &err), 0);
    cr_assert_not_null(st);
    cr_expect_eq(nw_feed_state_count(st), 0);
    nw_feed_state_free(st);
}

Test(feed_state, unreadable_file_is_an_error)
{
    nw_feed_state *st = NULL;
    nw_err err = {0};
    /* a directory where the file should be */
    cr_expect_lt(nw_feed_state_load(dir, &st, NULL, &err), 0);
    cr_expect_null(st);
    cr_expect(strstr(err.msg, dir) != NULL, "%s", err.msg);
}

Test(feed_state, damaged_lines_are_skipped)
{
    char path[1024];
    path_in(path, sizeof path, "bad.jsonl");
    const char *text =
        "{\"newswire\":\"feed-state\",\"v\":1,\"etag\":\"\\\"e1\\\"\"}\n"
        "{\"uri\":\"urn:ok1\",\"h\":\"00000000000000ff\",\"v\":1,\"seen\":10}\n"
        "{\"uri\":\"urn:trunc\",\"h\":\"00000000000\n" /* cut short */
        "not json at all\n"
        "{\"uri\":\"urn:badhash\",\"h\":\"xyz\",\"v\":1,\"seen\":10}\n"         /* bad hash */
        "{\"uri\":\"urn:v0\",\"h\":\"00000000000000ff\",\"v\":0,\"seen\":10}\n" /* bad version */
        "\n"
        "{\"uri\":\"urn:ok2\",\"h\":\"0000000000000001\",\"v\":7,\"vc\":\"2024-01-01T00:00:00Z\","
        "\"seen\":11}\n"
        "{\"newswire\":\"feed-state\",\"v\":1}\n"; /* a header in the middle */
    cr_assert_eq(nw_test_write_file(path, text, strlen(text)), 0);
    nw_feed_state *st = NULL;
    size_t skipped = 0;
    nw_err err = {0};
    cr_assert_eq(nw_feed_state_load(path, &st, &skipped, &err), 0, "%s", err.msg);
    cr_expect_eq(skipped, 5);
    cr_expect_eq(nw_feed_state_count(st), 2);
    cr_expect_not_null(nw_feed_state_get(st, "urn:ok1"));
    cr_expect_eq(nw_feed_state_get(st, "urn:ok2")->version, 7);
    cr_expect_str_eq(nw_feed_state_etag(st), "\"e1\"");
    nw_feed_state_free(st);
}

Test(feed_state, prune_by_age_then_count)
{
    nw_feed_state *st = nw_feed_state_new();
    for (int i = 0; i < 10; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:i%d", i);
        cr_assert_eq(nw_feed_state_put(st, uri, (uint64_t)i, 1, NULL, 1000 + i), 0);
    }
    nw_feed_state_save(st, "/dev/null/x", NULL, NULL, NULL); /* fails, stays dirty */
    cr_expect(nw_feed_state_dirty(st));
    /* seen before 1003: i0..i2 go */
    cr_expect_eq(nw_feed_state_prune(st, 1003, 0), 3);
    cr_expect_eq(nw_feed_state_count(st), 7);
    cr_expect_null(nw_feed_state_get(st, "urn:i2"));
    cr_expect_not_null(nw_feed_state_get(st, "urn:i3"));
    /* keep the 4 most recently seen: i6..i9 */
    cr_expect_eq(nw_feed_state_prune(st, 0, 4), 3);
    cr_expect_eq(nw_feed_state_count(st), 4);
    cr_expect_null(nw_feed_state_get(st, "urn:i5"));
    for (int i = 6; i < 10; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:i%d", i);
        cr_expect_not_null(nw_feed_state_get(st, uri), "%s kept", uri);
    }
    cr_expect_eq(nw_feed_state_prune(st, 0, 4), 0, "nothing more to drop");
    nw_feed_state_free(st);
}

Test(feed_state, many_items_round_trip)
{
    char path[1024];
    path_in(path, sizeof path, "many.jsonl");
    nw_feed_state *st = nw_feed_state_new();
    for (unsigned i = 0; i < 5000; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "https://example.com/story/%u", i);
        cr_assert_eq(
            nw_feed_state_put(st, uri, (uint64_t)i * 2654435761u, i % 5 + 1, NULL, (int64_t)i), 0);
    }
    nw_err err = {0};
    cr_assert_eq(nw_feed_state_save(st, path, "many", NULL, &err), 0, "%s", err.msg);
    nw_feed_state_free(st);
    cr_assert_eq(nw_feed_state_load(path, &st, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(nw_feed_state_count(st), 5000);
    for (unsigned i = 0; i < 5000; i += 499) {
        char uri[64];
        snprintf(uri, sizeof uri, "https://example.com/story/%u", i);
        const nw_feed_seen *e = nw_feed_state_get(st, uri);
        cr_assert_not_null(e, "%s", uri);
        cr_expect_eq(e->hash, (uint64_t)i * 2654435761u);
        cr_expect_eq(e->version, i % 5 + 1);
    }
    nw_feed_state_free(st);
}

Test(feed_state, path_follows_the_url)
{
    char a[256], b[256], c[256];
    cr_assert_eq(nw_feed_state_path("/var/lib/x", "http://a/feed", a, sizeof a, NULL), 0);
    cr_assert_eq(nw_feed_state_path("/var/lib/x", "http://a/feed", b, sizeof b, NULL), 0);
    cr_assert_eq(nw_feed_state_path("/var/lib/x", "http://b/feed", c, sizeof c, NULL), 0);
    cr_expect_str_eq(a, b);
    cr_expect_str_neq(a, c);
    cr_expect(!strncmp(a, "/var/lib/x/feed-", 16) && strstr(a, ".jsonl"), "%s", a);
    char small[8];
    cr_expect_eq(nw_feed_state_path("/var/lib/x", "http://a/feed", small, sizeof small, NULL),
                 NW_ELIMIT);
}
