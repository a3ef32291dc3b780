/*
 * test_opensearch_sink — the opensearch sink core against
 * tests/os_test_server.py (the documented `_bulk` behaviour: external
 * versions with 409, per-item statuses, injected 429s and 5xx, whole
 * requests failed or dropped, slow answers, credentials):
 *   - versions and kills in any order: the newest version, or the kill,
 *     which no later version brings back; kills are content-free documents;
 *   - 30% of items answered 429 and 10% 503: every story indexed once, the
 *     accepted items never sent again (the server saw no conflict);
 *   - a 400 mapping error: that story refused with the engine's reason, the
 *     rest indexed;
 *   - dropped connections and failed requests: sent again whole, nothing lost;
 *   - wrong credentials: a clear error at open;
 *   - the external version rule itself;
 *   - through the plugin: the chain's shared text of each story is sent,
 *     not a serialization of the sink's own.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw_chain.h"
#include "nw_os_sink.h"
#include "nw_testplugin.h"
#include "nw_testsink.h"
#include "nw_testutil.h"
#include "opensearch.h"

static pid_t server = -1;
static char base[64];

static void teardown(void)
{
    nw_test_end_child(&server, 5);
    nw_test_plugin_free_all();
}

TestSuite(opensearch_sink, .fini = teardown, .timeout = 300);

static void start_server(const char *const *extra)
{
    server = nw_test_os_server(extra, base, sizeof base);
    cr_assert_gt(server, 0, "the test server did not start");
}

static json_t *get_json(const char *path)
{
    json_t *j = nw_test_http_json(base, path);
    cr_assert_not_null(j, "GET %s", path);
    return j;
}

static long stat_of(const char *name)
{
    json_t *s = get_json("/_nw/stats");
    long v = (long)json_integer_value(json_object_get(s, name));
    json_decref(s);
    return v;
}

/* The stored document of uri (borrowed from *all, which the caller frees). */
static json_t *stored(json_t **all, const char *uri)
{
    *all = get_json("/_nw/docs");
    size_t i;
    json_t *d;
    json_array_foreach(*all, i, d)
    {
        if (!strcmp(json_string_value(json_object_get(d, "id")), uri))
            return json_object_get(d, "doc");
    }
    return NULL;
}

static nw_os_sink *must_open(nw_os_options *o)
{
    o->urls = base;
    if (!o->retry_initial_ms)
        o->retry_initial_ms = 5;
    if (!o->retry_max_ms)
        o->retry_max_ms = 50;
    nw_os_sink *s = NULL;
    nw_err e = {0};
    cr_assert_eq(nw_os_sink_open(o, &s, &e), 0, "%s", e.msg);
    return s;
}

static json_t *story(const char *uri, int version, int minute, const char *status)
{
    char ver[16], created[32];
    snprintf(ver, sizeof ver, "%d", version);
    snprintf(created, sizeof created, "2024-05-01T10:%02d:00Z", minute);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s}]}", "uri", uri, "version", ver,
                     "versionCreated", created, "firstCreated", "2024-05-01T09:00:00Z", "pubStatus",
                     status, "headlines", "value", "A headline");
}

/* Write the stories (stolen) with every outcome pending; 0 or the status. */
static int write_all(nw_os_sink *s, json_t **docs, size_t n, nw_os_outcome *out)
{
    nw_os_item *items = calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = (nw_os_item){.story = docs[i], .category = "world"};
        out[i] = (nw_os_outcome){.result = NW_OS_PENDING};
    }
    nw_err e = {0};
    int rc = nw_os_sink_write(s, items, n, out, &e);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(items);
    return rc;
}

Test(opensearch_sink, external_version_rule)
{
    json_t *v1 = story("u", 1, 50, "usable"), *v2 = story("u", 2, 10, "usable");
    json_t *k2 = story("u", 2, 10, "canceled"), *k3 = story("u", 3, 5, "canceled");
    json_t *v9 = story("u", 9, 59, "usable");
    cr_expect_lt(nw_os_external_version(v1), nw_os_external_version(v2));
    cr_expect_lt(nw_os_external_version(v9), nw_os_external_version(k2)); /* kills are final */
    cr_expect_lt(nw_os_external_version(k2), nw_os_external_version(k3));
    json_t *t1 = json_pack("{s:s}", "versionCreated", "2024-05-01T10:00:00.010Z");
    json_t *t2 = json_pack("{s:s}", "versionCreated", "2024-05-01T10:00:00.020Z");
    cr_expect_lt(nw_os_external_version(t1), nw_os_external_version(t2));
    cr_expect_lt(nw_os_external_version(k3), (uint64_t)INT64_MAX);
    json_decref(v1), json_decref(v2), json_decref(k2), json_decref(k3), json_decref(v9);
    json_decref(t1), json_decref(t2);
}

Test(opensearch_sink, newest_wins_and_kills_stay_final)
{
    start_server(NULL);
    nw_os_options o = {.index = "news-{category}-{date}"};
    nw_os_sink *s = must_open(&o);
    nw_os_outcome out[4];
    json_t *b1[] = {story("urn:a", 3, 30, "usable")};
    cr_assert_eq(write_all(s, b1, 1, out), 0);
    cr_assert_eq(out[0].result, NW_OS_WRITTEN);
    json_t *b2[] = {story("urn:a", 1, 10, "usable"), story("urn:a", 3, 30, "usable")};
    cr_assert_eq(write_all(s, b2, 2, out), 0);
    cr_assert_eq(out[0].result, NW_OS_STALE);
    cr_assert_eq(out[1].result, NW_OS_STALE); /* a replay */
    cr_assert_eq(out[0].skip, NW_STORY_SKIP_OLDER);
    cr_assert_eq(out[1].skip, NW_STORY_SKIP_SAME);
    json_t *b3[] = {story("urn:a", 2, 20, "canceled"), story("urn:a", 9, 59, "usable")};
    cr_assert_eq(write_all(s, b3, 2, out), 0);
    cr_assert_eq(out[0].result, NW_OS_WRITTEN); /* an older kill still kills */
    cr_assert_eq(out[1].result, NW_OS_STALE);   /* and nothing brings it back */
    cr_assert_eq(out[1].skip, NW_STORY_SKIP_KILLED);
    nw_os_stats st = nw_os_sink_stats(s);
    cr_assert_eq(st.skipped_older, 1);
    cr_assert_eq(st.skipped_same, 1);
    cr_assert_eq(st.skipped_killed, 1);
    json_t *all = NULL;
    json_t *doc = stored(&all, "urn:a");
    cr_assert_not_null(doc);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "pubStatus")), "canceled");
    cr_expect_null(json_object_get(doc, "headlines"), "a kill keeps no content");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "index")),
                     "news-world-2024.05.01");
    json_decref(all);
    nw_os_sink_close(s);
}

Test(opensearch_sink, items_429_and_5xx_retried_alone)
{
    const char *args[] = {"--p429", "0.3", "--p5xx", "0.1", "--seed", "5", NULL};
    start_server(args);
    nw_os_options o = {.index = "news", .gzip = 1};
    nw_os_sink *s = must_open(&o);
    enum { N = 400 };
    json_t *docs[N];
    nw_os_outcome out[N];
    for (int i = 0; i < N; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:r:%d", i);
        docs[i] = story(uri, 1, 10, "usable");
    }
    cr_assert_eq(write_all(s, docs, N, out), 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(out[i].result, NW_OS_WRITTEN, "item %d", i);
    nw_os_stats st = nw_os_sink_stats(s);
    cr_expect_eq(st.written, N);
    cr_expect_gt(st.item_retries, 0);
    cr_expect_eq(stat_of("created"), N);
    cr_expect_eq(stat_of("conflicts"), 0, "an accepted item was sent again");
    cr_expect_gt(stat_of("gzip"), 0);
    nw_os_sink_close(s);
}

Test(opensearch_sink, mapping_error_refused_with_reason)
{
    start_server(NULL);
    nw_os_options o = {.index = "news"};
    nw_os_sink *s = must_open(&o);
    nw_os_outcome out[3];
    json_t *bad = story("urn:bad", 1, 10, "usable");
    json_object_set_new(bad, "headlines", json_string("not a list"));
    json_t *b[] = {story("urn:ok1", 1, 10, "usable"), bad, story("urn:ok2", 1, 10, "usable")};
    cr_assert_eq(write_all(s, b, 3, out), 0);
    cr_assert_eq(out[0].result, NW_OS_WRITTEN);
    cr_assert_eq(out[1].result, NW_OS_REFUSED);
    cr_expect_eq(out[1].status, 400);
    cr_expect(strstr(out[1].reason, "mapper_parsing_exception"), "%s", out[1].reason);
    cr_assert_eq(out[2].result, NW_OS_WRITTEN);
    nw_os_sink_close(s);
}

Test(opensearch_sink, dropped_connections_and_failed_requests_resent_whole)
{
    const char *args[] = {"--pdrop", "0.3", "--preq", "0.2", "--seed", "9", NULL};
    start_server(args);
    nw_os_options o = {.index = "news", .max_bytes = 4096, .timeout_ms = 5000};
    nw_os_sink *s = must_open(&o);
    enum { N = 200 };
    json_t *docs[N];
    nw_os_outcome out[N];
    for (int i = 0; i < N; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:d:%d", i);
        docs[i] = story(uri, 1, 10, "usable");
    }
    cr_assert_eq(write_all(s, docs, N, out), 0);
    int settled = 0;
    for (int i = 0; i < N; i++) /* stale: applied, but the answer was dropped */
        settled += out[i].result == NW_OS_WRITTEN || out[i].result == NW_OS_STALE;
    cr_assert_eq(settled, N);
    cr_expect_gt(nw_os_sink_stats(s).request_fails, 0);
    cr_expect_eq(stat_of("created"), N);
    cr_expect_gt(stat_of("requests"), 2, "max_bytes did not split the batch");
    nw_os_sink_close(s);
}

Test(opensearch_sink, slow_server_within_timeout)
{
    const char *args[] = {"--slow-ms", "300", NULL};
    start_server(args);
    nw_os_options o = {.index = "news", .timeout_ms = 100, .retry_budget_ms = 500};
    nw_os_sink *s = must_open(&o);
    nw_os_outcome out[1];
    json_t *b[] = {story("urn:slow", 1, 10, "usable")};
    cr_assert_eq(write_all(s, b, 1, out), NW_ERETRY); /* times out, budget spent */
    cr_assert_eq(out[0].result, NW_OS_PENDING);
    nw_os_sink_close(s);
    nw_os_options o2 = {.index = "news", .timeout_ms = 5000};
    s = must_open(&o2);
    json_t *b2[] = {story("urn:slow", 1, 10, "usable")};
    cr_assert_eq(write_all(s, b2, 1, out), 0);
    cr_assert(out[0].result == NW_OS_WRITTEN || out[0].result == NW_OS_STALE);
    nw_os_sink_close(s);
}

Test(opensearch_sink, wrong_credentials_clear_error)
{
    const char *args[] = {"--auth", "writer:right", NULL};
    start_server(args);
    nw_os_options o = {.urls = base, .username = "writer", .password = "wrong"};
    nw_os_sink *s = NULL;
    nw_err e = {0};
    cr_assert_eq(nw_os_sink_open(&o, &s, &e), NW_EINVAL);
    cr_expect(strstr(e.msg, "401"), "%s", e.msg);
    cr_expect(!strstr(e.msg, "wrong"), "the password is in the message: %s", e.msg);
    o.password = "right";
    s = must_open(&o);
    nw_os_outcome out[1];
    json_t *b[] = {story("urn:auth", 1, 10, "usable")};
    cr_assert_eq(write_all(s, b, 1, out), 0);
    cr_assert_eq(out[0].result, NW_OS_WRITTEN);
    nw_os_sink_close(s);
    nw_os_options off = {.urls = "http://127.0.0.1:1", .timeout_ms = 500};
    cr_assert_eq(nw_os_sink_open(&off, &s, &e), NW_ERETRY);
}

/* The plugin's ready() check (nw_os_sink_check): the cluster answers, then
 * it is gone (the node named), then credentials refused (no password). */
Test(opensearch_sink, check_follows_the_cluster)
{
    const char *args[] = {"--auth", "writer:right", NULL};
    start_server(args);
    nw_os_options o = {.username = "writer", .password = "right", .timeout_ms = 2000};
    nw_os_sink *s = must_open(&o);
    nw_err e = {0};
    cr_assert_eq(nw_os_sink_check(s, &e), 0, "%s", e.msg);
    nw_test_stop(server, 5);
    server = -1;
    cr_assert_eq(nw_os_sink_check(s, &e), NW_ERETRY);
    cr_assert(strstr(e.msg, "not reachable") && strstr(e.msg, base), "%s", e.msg);

    /* back on the same port, but the password changed meanwhile */
    char port[16];
    snprintf(port, sizeof port, "%s", strrchr(base, ':') + 1);
    const char *rotated[] = {"--auth", "writer:rotated", "--port", port, NULL};
    start_server(rotated);
    memset(&e, 0, sizeof e);
    cr_assert_eq(nw_os_sink_check(s, &e), NW_EINVAL, "%s", e.msg);
    cr_assert(strstr(e.msg, "401") && !strstr(e.msg, "right"), "%s", e.msg);
    nw_os_sink_close(s);
}

/* nw_plugin_api.text of the chain, counted. */
static const char *(*chain_text)(void *host_ref, size_t *len);
static int text_calls;

static const char *counting_text(void *host_ref, size_t *len)
{
    text_calls++;
    return chain_text(host_ref, len);
}

/* The stored document of uri has `headline` as its first headline. */
static void assert_headline(const char *uri, const char *headline)
{
    json_t *all = NULL;
    json_t *doc = stored(&all, uri);
    cr_assert_not_null(doc, "%s not stored", uri);
    json_t *h = json_array_get(json_object_get(doc, "headlines"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "value")), headline);
    json_decref(all);
}

/* Found last session: the plugin serialized every story again instead of
 * using the chain's shared text (ABI 2 "parse once", docs/plugin-guide.md).
 * Now it asks the chain for each story's text: the value as it arrived, or
 * the one serialization of a story a filter changed (0 serializations for
 * an unchanged story, 1 for the changed one); a text of several lines is no
 * line of a bulk body and is serialized by the sink. The documents stored
 * are the stories, as before. */
Test(opensearch_sink, the_chains_shared_text_is_sent)
{
    start_server(NULL);
    nw_plugin_api api = {0};
    nw_chain_story_api(&api);
    chain_text = api.text;
    api.text = counting_text;
    char err[512] = "";
    void *st = nw_test_plugin_open(&nw_plugin_opensearch, &api, err, sizeof err, "url", base,
                                   "retry_initial", "5ms", NULL);
    cr_assert_not_null(st, "%s", err);
    const char *uris[] = {"urn:same", "urn:changed", "urn:pretty"};
    const char *values[] = {
        "{\"uri\":\"urn:same\",\"version\":\"1\",\"headlines\":[{\"value\":\"As it came\"}]}",
        "{\"uri\":\"urn:changed\",\"version\":\"1\",\"headlines\":[{\"value\":\"Before\"}]}",
        "{\n  \"uri\": \"urn:pretty\",\n  \"version\": \"1\"\n}"};
    nw_chain_msg m[3];
    nw_plugin_msg *ptrs[3];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(nw_chain_msg_init(&m[i], "news.world", "news.", 0, i, uris[i], strlen(uris[i]),
                                       values[i], strlen(values[i]), 0, NULL),
                     0);
        ptrs[i] = &m[i].pub;
    }
    /* a filter changed the second story */
    json_object_set_new(m[1].pub.doc, "headlines",
                        json_pack("[{s:s}]", "value", "After the filter"));
    cr_assert_eq(api.doc_changed(m[1].pub.host_ref), 0);

    nw_chain_doc_counts before = nw_chain_get_doc_counts();
    size_t failed = SIZE_MAX;
    cr_assert_eq(nw_plugin_opensearch.write(st, ptrs, 3, &failed, err, sizeof err), NW_PLUGIN_OK,
                 "%s", err);
    cr_assert_eq(nw_plugin_opensearch.flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_chain_doc_counts after = nw_chain_get_doc_counts();
    cr_assert_eq(text_calls, 3, "the sink asked the chain for %d texts of 3", text_calls);
    cr_assert_eq(after.serializations - before.serializations, 1,
                 "only the changed story is serialized, once, by the chain");

    assert_headline("urn:same", "As it came");
    assert_headline("urn:changed", "After the filter");
    json_t *all = NULL;
    json_t *doc = stored(&all, "urn:pretty");
    cr_assert_not_null(doc, "a text of several lines is serialized by the sink");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "version")), "1");
    json_decref(all);
    for (int i = 0; i < 3; i++)
        nw_chain_msg_deinit(&m[i]);
    nw_plugin_opensearch.destroy(st);
}
