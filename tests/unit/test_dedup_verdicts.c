/*
 * test_dedup_verdicts — the dedup filter through its descriptor with a fake
 * host API: new / update / duplicate / near-duplicate, replay determinism
 * (the same (uri, version) gets the same verdict, also for a story in many
 * versions; an original is never turned into a duplicate of its copy), the three policies, kills
 * passing untouched, short items exact-only, replay mode and config errors.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "nw_testplugin.h"

/* ------------------------------------------------------------ fake host */

typedef struct fake_msg {
    char header[1024];
    char *json;  /* the document as text after a change */
    json_t *doc; /* the story being processed */
    char route[256];
    int headers;
} fake_msg;

static void fake_log(void *host, int level, const char *fmt, ...)
{
    (void)host, (void)level, (void)fmt;
}

static int fake_doc_changed(void *ref)
{
    fake_msg *f = ref;
    free(f->json);
    f->json = json_dumps(f->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return 0;
}

static int fake_add_header(void *ref, const char *name, const void *value, size_t len)
{
    fake_msg *f = ref;
    cr_assert_str_eq(name, "nw-dedup");
    snprintf(f->header, sizeof f->header, "%.*s", (int)len, (const char *)value);
    f->headers++;
    return 0;
}

static int fake_set_route(void *ref, const char *topic)
{
    snprintf(((fake_msg *)ref)->route, sizeof((fake_msg *)ref)->route, "%s", topic);
    return 0;
}

static int fake_emit(void *host, const char *topic, const char *key, const void *value,
                     size_t value_len, const nw_plugin_header *headers, size_t header_count)
{
    (void)host, (void)topic, (void)key, (void)value, (void)value_len, (void)headers,
        (void)header_count;
    return 0;
}

static nw_plugin_api api = {.struct_size = sizeof(nw_plugin_api),
                            .log = fake_log,
                            .doc_changed = fake_doc_changed,
                            .add_header = fake_add_header,
                            .set_route = fake_set_route};

static void *open_dedup(const char *policy, const char *extra_key, const char *extra_value)
{
    char err[512] = "";
    void *st = nw_test_plugin_open(&nw_plugin_dedup, &api, err, sizeof err, "policy", policy,
                                   "max_stories", "1000", extra_key, extra_value, NULL);
    cr_assert_not_null(st, "%s", err);
    return st;
}

static const char *PARAS[] = {
    "The central bank left its main interest rate unchanged on Thursday, saying inflation "
    "had eased but that the outlook for growth remained uncertain after a weak winter.",
    "Governor Anna Berg told reporters the board had discussed a cut but judged that wage "
    "growth was still too strong to justify easing policy this quarter.",
    "Markets had priced in a small chance of a cut, and the currency rose half a percent "
    "against the euro after the announcement, traders in the capital said.",
    "Economists expect the bank to move in the summer once new figures on consumer prices "
    "and employment show whether the slowdown in inflation is lasting.",
};

/* ninjs with the given paragraphs (indices into PARAS, -1 ends). */
static char *story(const char *uri, const char *version, const char *headline, const int *paras,
                   const char *extra_para)
{
    char body[4096] = "";
    for (int i = 0; paras[i] >= 0; i++) {
        strcat(body, PARAS[paras[i]]);
        strcat(body, "\n");
    }
    if (extra_para)
        strcat(body, extra_para);
    char *out = malloc(8192);
    snprintf(out, 8192,
             "{\"uri\":\"%s\",\"version\":\"%s\",\"type\":\"text\","
             "\"versionCreated\":\"2024-03-01T10:00:00Z\",\"headlines\":[{\"value\":\"%s\"}],"
             "\"bodies\":[{\"value\":\"%s\",\"contentType\":\"text/plain\"}]}",
             uri, version, headline, body);
    /* JSON-escape the newlines we put in */
    for (char *p = out; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return out;
}

static nw_plugin_status run(void *st, const char *uri, char *json, fake_msg *f)
{
    memset(f, 0, sizeof *f);
    f->doc = json_loads(json, 0, NULL);
    cr_assert_not_null(f->doc);
    nw_plugin_msg m = {.struct_size = sizeof m,
                       .doc = f->doc,
                       .uri = uri,
                       .topic = "news.x",
                       .category = "x",
                       .timestamp_ms = -1,
                       .host_ref = f};
    char err[512] = "";
    nw_plugin_status s = nw_plugin_dedup.process(st, &m, err, sizeof err);
    json_decref(f->doc);
    f->doc = NULL;
    cr_assert(s == NW_PLUGIN_OK || s == NW_PLUGIN_DROP, "process: %d %s", s, err);
    return s;
}

static const int ALL[] = {0, 1, 2, 3, -1};
static const int REORDERED[] = {2, 0, 1, 3, -1};
static const int OTHER[] = {-1};

Test(dedup_verdicts, new_duplicate_near_update_and_replay)
{
    void *st = open_dedup("mark", NULL, NULL);
    fake_msg f = {0};
    char *a = story("urn:a", "1", "Bank holds rates", ALL, NULL);
    cr_assert_eq(run(st, "urn:a", a, &f), NW_PLUGIN_OK);
    cr_assert_str_eq(f.header, "new");
    cr_assert_null(f.json);

    /* same body, another headline, another uri: exact duplicate */
    char *b = story("urn:b", "1", "Central bank keeps rate steady", ALL, NULL);
    run(st, "urn:b", b, &f);
    cr_assert_str_eq(f.header, "duplicate; of=urn:a; score=1.00");
    cr_assert_not_null(f.json);
    cr_assert(strstr(f.json, "\"associations\":[{\"name\":\"duplicateOf\",\"rel\":\"duplicateOf\","
                             "\"uri\":\"urn:a\"}]"),
              "%s", f.json);
    free(f.json);

    /* re-ordered paragraphs plus a byline and boilerplate: near duplicate */
    char *c = story("urn:c", "1", "Rates unchanged", REORDERED,
                    "(Reporting by Jane Doe; Editing by Max Roe)");
    run(st, "urn:c", c, &f);
    cr_assert(!strncmp(f.header, "near-duplicate; of=urn:a; score=", 32), "%s", f.header);
    free(f.json);
    nw_dedup_verdict v;
    nw_dedup_last_verdict(st, &v);
    cr_assert_eq(v.kind, NW_DEDUP_NEAR);
    cr_assert_gt(v.score, 0.6);
    cr_assert_str_eq(v.of, "urn:a");

    /* a new version of urn:a with other text: update, never a duplicate */
    char *a2 = story("urn:a", "2", "Bank holds rates", REORDERED, NULL);
    run(st, "urn:a", a2, &f);
    cr_assert_str_eq(f.header, "update");

    /* replays: the same verdicts, in any order; the original stays new */
    char saved_c[1024];
    snprintf(saved_c, sizeof saved_c, "%s", f.header);
    run(st, "urn:c", c, &f);
    cr_assert(!strncmp(f.header, "near-duplicate; of=urn:a;", 25), "%s", f.header);
    free(f.json);
    run(st, "urn:a", a, &f);
    cr_assert_str_eq(f.header, "new");
    run(st, "urn:b", b, &f);
    cr_assert_str_eq(f.header, "duplicate; of=urn:a; score=1.00");
    free(f.json);
    run(st, "urn:a", a2, &f);
    cr_assert_str_eq(f.header, "update");

    nw_dedup_stats s = nw_dedup_get_stats(st);
    cr_assert_eq(s.stories, 8);
    cr_assert_eq(s.replays, 4);
    cr_assert_eq(s.verdicts[NW_DEDUP_NEW], 2);
    cr_assert_eq(s.verdicts[NW_DEDUP_DUPLICATE], 2);
    cr_assert_eq(s.verdicts[NW_DEDUP_NEAR], 2);
    cr_assert_eq(s.verdicts[NW_DEDUP_UPDATE], 2);
    cr_assert_eq(s.index.stories, 4);
    cr_assert_gt(s.lookups, 0);
    cr_assert_gt(s.index.memory_bytes, 0);
    free(a), free(b), free(c), free(a2);
    nw_plugin_dedup.destroy(st);
}

Test(dedup_verdicts, replays_of_a_story_in_many_versions)
{
    /* a developing story in 60 versions, its first a copy of urn:a, with
     * other stories between them: replayed (oldest first, then newest
     * first), every message gets its first verdict again */
    enum { V = 60, N = 1 + 2 * V };
    static char uris[N][64], heads[N][1024];
    static char *json[N];
    void *st = open_dedup("mark", NULL, NULL);
    fake_msg f = {0};
    char ver[16], para[512];
    int n = 0;
    snprintf(uris[n], sizeof uris[n], "urn:a");
    json[n++] = story("urn:a", "1", "Bank holds rates", ALL, NULL);
    for (int v = 1; v <= V; v++) {
        snprintf(uris[n], sizeof uris[n], "urn:live");
        snprintf(ver, sizeof ver, "%d", v);
        snprintf(para, sizeof para,
                 "Live: at %d o'clock the board met again for session %d and voted %d to %d; "
                 "the governor said item %d on the agenda would wait for round %d.",
                 v, v * 7, v * 3, v + 11, v * 13, v * 17);
        json[n++] = v == 1 ? story("urn:live", ver, "Rates stay", ALL, NULL)
                           : story("urn:live", ver, "Rates stay", OTHER, para);
        snprintf(uris[n], sizeof uris[n], "urn:other:%d", v);
        snprintf(para, sizeof para,
                 "Item %d: the ferry number %d left port %d at dawn carrying %d cars and %d "
                 "passengers to island %d.",
                 v, v * 5, v * 11, v * 19, v * 23, v * 29);
        json[n] = story(uris[n], "1", "Ferry", OTHER, para);
        n++;
    }
    for (int i = 0; i < N; i++) {
        run(st, uris[i], json[i], &f);
        snprintf(heads[i], sizeof heads[i], "%s", f.header);
        free(f.json);
    }
    cr_assert_str_eq(heads[0], "new");
    cr_assert_str_eq(heads[1], "duplicate; of=urn:a; score=1.00");
    for (int v = 2; v <= V; v++)
        cr_assert_str_eq(heads[2 * v - 1], "update", "version %d", v);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < N; k++) {
            int i = pass ? N - 1 - k : k;
            run(st, uris[i], json[i], &f);
            cr_assert_str_eq(f.header, heads[i], "%s #%d, pass %d", uris[i], i, pass);
            free(f.json);
        }
    nw_dedup_stats s = nw_dedup_get_stats(st);
    cr_assert_eq(s.replays, 2 * N);
    cr_assert_eq(s.index.stories, N);
    for (int i = 0; i < N; i++)
        free(json[i]);
    nw_plugin_dedup.destroy(st);
}

Test(dedup_verdicts, drop_and_route_policies)
{
    fake_msg f;
    char *a = story("urn:a", "1", "H", ALL, NULL);
    char *b = story("urn:b", "1", "H2", ALL, NULL);
    void *st = open_dedup("drop", NULL, NULL);
    cr_assert_eq(run(st, "urn:a", a, &f), NW_PLUGIN_OK);
    cr_assert_eq(run(st, "urn:b", b, &f), NW_PLUGIN_DROP);
    cr_assert_eq(f.headers, 0);
    /* the replayed original is still not dropped */
    cr_assert_eq(run(st, "urn:a", a, &f), NW_PLUGIN_OK);
    cr_assert_eq(nw_dedup_get_stats(st).dropped, 1);
    nw_plugin_dedup.destroy(st);

    st = open_dedup("route", "route_topic", "news.duplicates");
    run(st, "urn:a", a, &f);
    cr_assert_str_eq(f.route, "");
    cr_assert_eq(run(st, "urn:b", b, &f), NW_PLUGIN_OK);
    cr_assert_str_eq(f.route, "news.duplicates");
    cr_assert_str_eq(f.header, "duplicate; of=urn:a; score=1.00");
    cr_assert_null(f.json);
    nw_plugin_dedup.destroy(st);
    free(a), free(b);
}

Test(dedup_verdicts, different_story_is_new_and_kills_pass)
{
    fake_msg f;
    void *st = open_dedup("drop", NULL, NULL);
    char *a = story("urn:a", "1", "H", ALL, NULL);
    char *o = story("urn:o", "1", "Other", OTHER,
                    "A storm closed schools across the north of the country on Monday as "
                    "snow and high winds cut power to thousands of homes, officials said, "
                    "and trains between the two largest cities were cancelled until Tuesday.");
    run(st, "urn:a", a, &f);
    cr_assert_eq(run(st, "urn:o", o, &f), NW_PLUGIN_OK);
    cr_assert_str_eq(f.header, "new");
    const char *kill =
        "{\"uri\":\"urn:k\",\"pubStatus\":\"canceled\",\"bodies\":[{\"value\":\"x\"}]}";
    cr_assert_eq(run(st, "urn:k", (char *)kill, &f), NW_PLUGIN_OK);
    cr_assert_eq(f.headers, 0);
    cr_assert_eq(nw_dedup_get_stats(st).passed, 1);
    free(a), free(o);
    nw_plugin_dedup.destroy(st);
}

Test(dedup_verdicts, short_items_match_exactly_only)
{
    fake_msg f;
    void *st = open_dedup("mark", NULL, NULL);
    const char *t = "{\"uri\":\"%s\",\"headlines\":[{\"value\":\"%s\"}]}";
    char j[512];
    snprintf(j, sizeof j, t, "urn:1", "EARTHQUAKE OF 6.1 HITS NORTHERN JAPAN");
    run(st, "urn:1", j, &f);
    cr_assert_str_eq(f.header, "new");
    snprintf(j, sizeof j, t, "urn:2", "Earthquake of 6.1 hits northern Japan!");
    run(st, "urn:2", j, &f);
    cr_assert_str_eq(f.header, "duplicate; of=urn:1; score=1.00");
    free(f.json);
    snprintf(j, sizeof j, t, "urn:3", "EARTHQUAKE OF 6.2 HITS NORTHERN JAPAN");
    run(st, "urn:3", j, &f);
    cr_assert_str_eq(f.header, "new");
    cr_assert_eq(nw_dedup_get_stats(st).short_texts, 3);
    nw_plugin_dedup.destroy(st);
}

Test(dedup_verdicts, replay_mode_stays_local)
{
    nw_plugin_api rapi = api;
    rapi.emit = fake_emit;
    char err[512] = "";
    void *st = nw_test_plugin_open(&nw_plugin_dedup, &rapi, err, sizeof err, "policy", "drop",
                                   "kafka.bootstrap.servers", "127.0.0.1:1", NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert(!nw_dedup_get_stats(st).shared);
    nw_plugin_dedup.destroy(st);
}

Test(dedup_verdicts, config_errors_name_the_key)
{
    struct {
        const char *k, *v, *want;
    } cases[] = {
        {"policy", "delete", "policy:"},        {"threshold", "1.5", "threshold:"},
        {"window", "forever", "window:"},       {"max_stories", "0", "max_stories:"},
        {"containment", "1.5", "containment:"}, {"colour", "red", "unknown key 'colour'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        cr_assert_null(nw_test_plugin_open(&nw_plugin_dedup, &api, err, sizeof err, cases[i].k,
                                           cases[i].v, NULL),
                       "%s", cases[i].k);
        cr_assert(strstr(err, cases[i].want), "%s -> %s", cases[i].k, err);
    }
    char err[512] = "";
    cr_assert_null(
        nw_test_plugin_open(&nw_plugin_dedup, &api, err, sizeof err, "policy", "route", NULL));
    cr_assert(strstr(err, "route_topic:"), "%s", err);
}
