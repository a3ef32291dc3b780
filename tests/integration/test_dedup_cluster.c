/*
 * test_dedup_cluster — two dedup instances (as two consumer-group members
 * owning different partitions would run them) share one fingerprint topic
 * on the embedded broker: a near-duplicate arriving on the other instance's
 * partition is caught; the race window (one instance publishing a
 * fingerprint until the other sees it) is measured and printed; a
 * restarted instance rebuilds its index from the topic and keeps its
 * verdicts on replay.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "nw_kafka.h"
#include "nw_testplugin.h"

typedef struct fake_msg {
    char header[1024];
} fake_msg;

static void fake_log(void *host, int level, const char *fmt, ...)
{
    (void)host, (void)level, (void)fmt;
}
static int fake_doc_changed(void *ref)
{
    (void)ref;
    return 0;
}
static int fake_add_header(void *ref, const char *name, const void *value, size_t len)
{
    (void)name;
    snprintf(((fake_msg *)ref)->header, 1024, "%.*s", (int)len, (const char *)value);
    return 0;
}
static int fake_set_route(void *ref, const char *topic)
{
    (void)ref, (void)topic;
    return 0;
}
static nw_plugin_api api = {.struct_size = sizeof(nw_plugin_api),
                            .log = fake_log,
                            .doc_changed = fake_doc_changed,
                            .add_header = fake_add_header,
                            .set_route = fake_set_route};

static nw_broker *broker;

static void *instance(const char *name)
{
    const char *s[] = {"policy",
                       "mark",
                       "kafka.bootstrap.servers",
                       nw_broker_bootstrap(broker),
                       "fingerprint_topic",
                       "test.dedup.fingerprints",
                       "bootstrap_timeout",
                       "20s",
                       "max_stories",
                       "10000",
                       NULL};
    char err[512] = "";
    void *st = nw_test_plugin_openv(&nw_plugin_dedup,
                                    (nw_plugin_config){.instance_name = name, .api = &api}, err,
                                    sizeof err, s);
    cr_assert_not_null(st, "%s", err);
    cr_assert(nw_dedup_get_stats(st).shared);
    return st;
}

static const char *BODY =
    "Shares in the carmaker fell sharply on Tuesday after it warned that profits for the year "
    "would be lower than expected because of weak demand in Europe and rising costs.\\n"
    "The company said sales of its new electric model had been slower than planned and that it "
    "would cut production at two plants for several weeks in the spring.\\n"
    "Analysts said the warning was the third in a year and raised questions about the strategy "
    "of the chief executive, who took over eighteen months ago.\\n"
    "The firm employs about forty thousand people and is one of the largest exporters in the "
    "country, which makes its troubles a worry for the government too.";

static const char *run(void *st, const char *uri, int32_t partition, const char *headline,
                       const char *extra, fake_msg *f)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"uri\":\"%s\",\"version\":\"1\",\"headlines\":[{\"value\":\"%s\"}],"
             "\"bodies\":[{\"value\":\"%s%s\"}]}",
             uri, headline, extra ? extra : "", BODY);
    memset(f, 0, sizeof *f);
    json_t *doc = json_loads(json, 0, NULL);
    cr_assert_not_null(doc);
    nw_plugin_msg m = {.struct_size = sizeof m,
                       .doc = doc,
                       .uri = uri,
                       .topic = "news.x",
                       .category = "x",
                       .partition = partition,
                       .timestamp_ms = -1,
                       .host_ref = f};
    char err[512] = "";
    nw_plugin_status s = nw_plugin_dedup.process(st, &m, err, sizeof err);
    json_decref(doc);
    cr_assert_eq(s, NW_PLUGIN_OK, "%s", err);
    return f->header;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

Test(dedup_cluster, shared_index_race_window_and_restart, .timeout = 120)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    void *a = instance("dedup-a"), *b = instance("dedup-b");
    fake_msg f;
    char ea[512];

    /* the original on A's partition, the near-duplicate on B's */
    cr_assert_str_eq(run(a, "urn:orig", 0, "Carmaker warns on profit", NULL, &f), "new");
    cr_assert_eq(nw_plugin_dedup.flush(a, ea, sizeof ea), NW_PLUGIN_OK, "%s", ea);
    double t0 = now_ms();
    while (!nw_dedup_knows(b, "urn:orig", "1") && now_ms() - t0 < 10000)
        nw_dedup_sync_now(b, 5);
    cr_assert(nw_dedup_knows(b, "urn:orig", "1"));
    const char *v =
        run(b, "urn:copy", 1, "Profit warning hits carmaker shares", "By Staff Reporter\\n", &f);
    cr_assert(!strncmp(v, "duplicate; of=urn:orig;", 23) ||
                  !strncmp(v, "near-duplicate; of=urn:orig;", 28),
              "%s", v);
    char copy_verdict[1024];
    snprintf(copy_verdict, sizeof copy_verdict, "%s", v);

    /* race window: A publishes (process, fingerprint queued), B polls as it
     * does before every story, until it knows the story */
    double lat[30];
    for (int i = 0; i < 30; i++) {
        char uri[64], extra[128];
        snprintf(uri, sizeof uri, "urn:race:%d", i);
        snprintf(extra, sizeof extra, "Story number %d of a long series about cars\\n", i);
        double s0 = now_ms();
        run(a, uri, 0, "Race", extra, &f);
        while (!nw_dedup_knows(b, uri, "1") && now_ms() - s0 < 10000)
            nw_dedup_sync_now(b, 1);
        cr_assert(nw_dedup_knows(b, uri, "1"));
        lat[i] = now_ms() - s0;
    }
    qsort(lat, 30, sizeof lat[0], cmp_d);
    printf("dedup race window (A process -> B index, embedded broker, linger.ms 5, "
           "fetch.wait.max.ms 20): median %.1f ms, p90 %.1f ms, max %.1f ms\n",
           lat[15], lat[27], lat[29]);
    fflush(stdout);
    cr_assert_lt(lat[15], 2000);

    /* restart B: its index comes back from the topic and replays keep verdicts */
    cr_assert_eq(nw_plugin_dedup.flush(b, ea, sizeof ea), NW_PLUGIN_OK, "%s", ea);
    nw_plugin_dedup.destroy(b);
    b = instance("dedup-b2");
    nw_dedup_stats s = nw_dedup_get_stats(b);
    cr_assert_geq(s.remote, 32, "%llu", (unsigned long long)s.remote);
    cr_assert_str_eq(
        run(b, "urn:copy", 1, "Profit warning hits carmaker shares", "By Staff Reporter\\n", &f),
        copy_verdict);
    cr_assert_str_eq(run(b, "urn:orig", 0, "Carmaker warns on profit", NULL, &f), "new");
    cr_assert_eq(nw_dedup_get_stats(b).replays, 2);

    nw_plugin_dedup.destroy(a);
    nw_plugin_dedup.destroy(b);
    nw_broker_free(broker);
}
