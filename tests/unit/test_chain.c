/*
 * test_chain — building chains from config (validation errors name file,
 * line, key and plugin) and running batches: a filter loaded by path drops,
 * dead-letters and delays stories; a recording sink registered in-process
 * sees what survives, and its permanent failures are attributed per story.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_chain.h"
#include "nw_metrics.h"
#include "nw_plugin_registry.h"
#include "nw_testutil.h"

/* ------------------------------------------------ recording sink "recorder" */

typedef struct recorder {
    char seen[1024]; /* "uri[tag];" of every story written */
    int flushes;
    int64_t fail_offset; /* write() fails permanently at this offset, -1 = never */
    bool text;
    const nw_plugin_api *api;
    char events[1024]; /* "+topic/partition;" assigned, "-..." revoked, "F;" flushes */
} recorder;

static recorder *last_recorder;

typedef struct rec_conf {
    int64_t fail_offset;
    bool text; /* keep the text of every story (api->text) */
} rec_conf;

static const nw_plugin_config_entry rec_map[] = {
    {.key = "fail_offset",
     .type = NW_PLUGIN_T_INT,
     .default_value = "-1",
     .offset = offsetof(rec_conf, fail_offset),
     .description = "write() fails permanently at this offset"},
    {.key = "text",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(rec_conf, text),
     .description = "read every story's text"},
    {.key = NULL},
};

static int rec_inits;
static char rec_texts[4096]; /* the texts the last recorder read */

static void *rec_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const rec_conf *c = cfg->conf;
    recorder *r = calloc(1, sizeof *r);
    r->fail_offset = c->fail_offset;
    r->text = c->text;
    r->api = cfg->api;
    last_recorder = r;
    rec_inits++;
    return r;
}

static nw_plugin_status rec_write(void *st, nw_plugin_msg *const *batch, size_t n, size_t *failed,
                                  char *err, size_t errlen)
{
    recorder *r = st;
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->offset == r->fail_offset) {
            *failed = i;
            snprintf(err, errlen, "cannot store offset %lld", (long long)batch[i]->offset);
            return NW_PLUGIN_FATAL;
        }
        const char *tag = "";
        for (size_t h = 0; h < batch[i]->header_count; h++)
            if (!strcmp(batch[i]->headers[h].name, "nwtest-tag"))
                tag = batch[i]->headers[h].value;
        size_t l = strlen(r->seen);
        snprintf(r->seen + l, sizeof r->seen - l, "%s%s%s;", batch[i]->uri, *tag ? "#" : "", tag);
        if (r->text) {
            size_t len = 0;
            const char *t = r->api->text(batch[i]->host_ref, &len);
            cr_assert_not_null(t);
            cr_assert_eq(strlen(t), len);
            l = strlen(rec_texts);
            snprintf(rec_texts + l, sizeof rec_texts - l, "%s\n", t);
        }
    }
    return NW_PLUGIN_OK;
}

static void rec_event(recorder *r, const char *what)
{
    size_t l = strlen(r->events);
    snprintf(r->events + l, sizeof r->events - l, "%s;", what);
}

static nw_plugin_status rec_flush(void *st, char *err, size_t errlen)
{
    ((recorder *)st)->flushes++;
    rec_event(st, "F");
    return NW_PLUGIN_OK;
}

static nw_plugin_status rec_partition(recorder *r, char sign, const char *topic, int32_t p)
{
    char ev[128];
    snprintf(ev, sizeof ev, "%c%s/%d", sign, topic, (int)p);
    rec_event(r, ev);
    return NW_PLUGIN_OK;
}

static nw_plugin_status rec_assigned(void *st, const char *topic, int32_t p, char *err,
                                     size_t errlen)
{
    return rec_partition(st, '+', topic, p);
}

static nw_plugin_status rec_revoked(void *st, const char *topic, int32_t p, char *err,
                                    size_t errlen)
{
    return rec_partition(st, '-', topic, p);
}

static char recorder_events_at_destroy[1024];

static void rec_destroy(void *st)
{
    snprintf(recorder_events_at_destroy, sizeof recorder_events_at_destroy, "%s",
             ((recorder *)st)->events);
    if (last_recorder == st)
        last_recorder = NULL;
    free(st);
}

static const nw_plugin_descriptor recorder_plugin = {NW_PLUGIN_DESCRIPTOR_HEAD,
                                                     .name = "recorder",
                                                     .version = "1",
                                                     .kind = NW_PLUGIN_SINK,
                                                     .description = "records uris",
                                                     NW_PLUGIN_CONFIG_MAP(rec_map, rec_conf),
                                                     .init = rec_init,
                                                     .write = rec_write,
                                                     .flush = rec_flush,
                                                     .destroy = rec_destroy,
                                                     .assigned = rec_assigned,
                                                     .revoked = rec_revoked};

static void setup(void)
{
    if (!nw_plugin_registry_find("recorder"))
        cr_assert_eq(nw_plugin_registry_add(&recorder_plugin, NULL), 0);
}

/* ---------------------------------------------------------------- helpers */

static nw_config *cfg;
static char *tmpdir;

static void teardown(void)
{
    nw_config_free(cfg);
    cfg = NULL;
    if (tmpdir)
        nw_test_rm_rf(tmpdir);
    free(tmpdir);
    tmpdir = NULL;
}

/* Build a chain from YAML; returns the status, fills *chain and err. */
static int build(const char *yaml, nw_chain **chain, nw_err *err)
{
    nw_config_free(cfg);
    cfg = NULL;
    nw_err lerr = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "consumer.yaml", &cfg, &lerr), 0, "%s",
                 lerr.msg);
    *chain = NULL;
    return nw_chain_new(nw_cfg_get(nw_config_root(cfg), "chain"), "consumer.yaml", chain, err);
}

static void expect_error(const char *yaml, const char *a, const char *b)
{
    nw_chain *chain = NULL;
    nw_err err = {0};
    cr_assert_lt(build(yaml, &chain, &err), 0, "accepted:\n%s", yaml);
    cr_assert_null(chain);
    cr_assert(strstr(err.msg, a), "'%s' not in: %s", a, err.msg);
    if (b)
        cr_assert(strstr(err.msg, b), "'%s' not in: %s", b, err.msg);
}

static char *filter_so(void)
{
    return nw_test_bin_path("tests/plugins/nwtest_filter.so");
}

static void make_msgs(nw_chain_msg *msgs, nw_chain_msg **ptrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char uri[32], json[64];
        snprintf(uri, sizeof uri, "urn:%c", (char)('a' + i));
        snprintf(json, sizeof json, "{\"uri\":\"%s\"}", uri);
        cr_assert_eq(nw_chain_msg_init(&msgs[i], "news.world", "news.", 0, (int64_t)i, uri,
                                       strlen(uri), json, strlen(json), 1000, NULL),
                     0);
        ptrs[i] = &msgs[i];
    }
}

static void free_msgs(nw_chain_msg *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nw_chain_msg_deinit(&msgs[i]);
}

TestSuite(chain, .init = setup, .fini = teardown);

/* ------------------------------------------------------------- building */

Test(chain, builds_from_config)
{
    tmpdir = nw_test_mkdtemp("chain");
    char *so = filter_so();
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "chain:\n"
             "  - path: %s\n"
             "    drop_uri: [urn:x, urn:y]\n"
             "  - plugin: archive-fs\n"
             "    root: %s\n"
             "    fsync: false\n"
             "  - plugin: archive-fs\n"
             "    name: second-archive\n"
             "    root: %s/2\n"
             "  - plugin: recorder\n",
             so, tmpdir, tmpdir);
    nw_chain *chain;
    nw_err err = {0};
    cr_assert_eq(build(yaml, &chain, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_chain_len(chain), 4);
    cr_assert_str_eq(nw_chain_instance_name(chain, 0), "nwtest-filter");
    cr_assert_str_eq(nw_chain_instance_name(chain, 1), "archive-fs");
    cr_assert_str_eq(nw_chain_instance_name(chain, 2), "second-archive");
    cr_assert_str_eq(nw_chain_instance_name(chain, 3), "recorder");
    cr_assert_eq(nw_chain_descriptor(chain, 0)->kind, NW_PLUGIN_FILTER);
    nw_chain_free(chain);
    free(so);
}

Test(chain, duplicate_plugins_get_unique_names)
{
    nw_chain *chain;
    nw_err err = {0};
    cr_assert_eq(build("chain: [{plugin: recorder}, {plugin: recorder}]", &chain, &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(nw_chain_instance_name(chain, 0), "recorder");
    cr_assert_str_eq(nw_chain_instance_name(chain, 1), "recorder#1");
    nw_chain_free(chain);
    expect_error("chain: [{plugin: recorder, name: a}, {plugin: recorder, name: a}]",
                 "chain[1].name", "already used");
}

Test(chain, validation_errors_name_key_line_and_plugin)
{
    expect_error("chain:\n  - plugin: archive-fs\n    root: /tmp/x\n    colour: red\n",
                 "consumer.yaml:4: chain[0].colour: ",
                 "unknown key 'colour' (archive-fs accepts: root, fsync)");
    expect_error("chain:\n  - plugin: archive-fs\n    fsync: false\n",
                 "consumer.yaml:2: chain[0]: missing required key 'root'", NULL);
    expect_error("chain:\n  - plugin: archive-fs\n    root: /tmp/x\n    fsync: maybe\n",
                 "consumer.yaml:4: chain[0].fsync: expected true or false", "'maybe'");
    expect_error("chain:\n  - plugin: recorder\n    fail_offset: 1.5\n",
                 "consumer.yaml:3: chain[0].fail_offset: expected an integer", NULL);
    expect_error("chain:\n  - plugin: [a, b]\n", "chain[0].plugin", NULL);
    expect_error("chain:\n  - archive-fs\n", "consumer.yaml:2", "expected a map");
    expect_error("chain:\n  - root: /tmp/x\n", "missing 'plugin'", "'path'");
    expect_error("chain: {plugin: archive-fs}\n", "non-empty list", NULL);
    expect_error("chain: []\n", "non-empty list", NULL);
    expect_error("chain:\n  - plugin: recorder\n    fail_offset: {a: [{b: c}]}\n",
                 "chain[0].fail_offset: expected an integer", "got a map");
}

Test(chain, plugin_and_path_must_agree)
{
    char *so = filter_so();
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "chain:\n  - plugin: recorder\n    path: %s\n", so);
    expect_error(yaml, "does not match the name 'nwtest-filter'", "chain[0].plugin");
    free(so);
}

/* -------------------------------------------------------------- running */

static nw_chain *filter_then_recorder(const char *filter_settings, const char *rec_settings)
{
    char *so = filter_so();
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "chain:\n  - path: %s\n%s  - plugin: recorder\n%s", so,
             filter_settings, rec_settings);
    free(so);
    nw_chain *chain;
    nw_err err = {0};
    cr_assert_eq(build(yaml, &chain, &err), 0, "%s", err.msg);
    nw_chain_set_retry(chain, 1, 4, NULL);
    return chain;
}

Test(chain, filter_drops_a_story)
{
    nw_chain *chain = filter_then_recorder("    drop_uri: urn:b\n    tag: t1\n", "");
    nw_chain_msg msgs[3];
    nw_chain_msg *ptrs[3];
    make_msgs(msgs, ptrs, 3);
    nw_err err = {0};
    cr_assert_eq(nw_chain_run(chain, ptrs, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(msgs[0].state, NW_MSG_LIVE);
    cr_assert_eq(msgs[1].state, NW_MSG_DROPPED);
    cr_assert_eq(msgs[2].state, NW_MSG_LIVE);
    cr_assert_str_eq(last_recorder->seen, "urn:a#t1;urn:c#t1;");
    cr_assert_eq(last_recorder->flushes, 1);
    nw_chain_stats st = nw_chain_get_stats(chain);
    cr_assert_eq(st.dropped, 1);
    cr_assert_eq(st.stories, 3);
    free_msgs(msgs, 3);
    nw_chain_free(chain);
}

Test(chain, filter_permanent_failure_marks_story_dead)
{
    nw_chain *chain = filter_then_recorder("    fail_uri: urn:a\n", "");
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, NULL), 0);
    cr_assert_eq(msgs[0].state, NW_MSG_DEAD);
    cr_assert_str_eq(msgs[0].dead_plugin, "nwtest-filter");
    cr_assert(strstr(msgs[0].dead_reason, "simulated permanent failure for urn:a"));
    cr_assert_str_eq(last_recorder->seen, "urn:b;");
    cr_assert_eq(nw_chain_get_stats(chain).dead, 1);
    free_msgs(msgs, 2);
    nw_chain_free(chain);
}

Test(chain, retryable_failure_is_retried_with_backoff)
{
    nw_chain *chain = filter_then_recorder("    retries: 3\n", "");
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, NULL), 0);
    cr_assert_eq(nw_chain_get_stats(chain).retries, 3);
    cr_assert_str_eq(last_recorder->seen, "urn:a;urn:b;");
    free_msgs(msgs, 2);
    nw_chain_free(chain);
}

Test(chain, stop_during_retry_gives_up_without_delivering)
{
    nw_chain *chain = filter_then_recorder("    retries: 1000\n", "");
    volatile sig_atomic_t stop = 1;
    nw_chain_set_retry(chain, 1, 4, &stop);
    nw_chain_msg msgs[1];
    nw_chain_msg *ptrs[1];
    make_msgs(msgs, ptrs, 1);
    nw_err err = {0};
    cr_assert_eq(nw_chain_run(chain, ptrs, 1, &err), NW_ERETRY);
    cr_assert(strstr(err.msg, "nwtest-filter"), "%s", err.msg);
    cr_assert_str_eq(last_recorder->seen, "");
    cr_assert_eq(last_recorder->flushes, 0);
    free_msgs(msgs, 1);
    nw_chain_free(chain);
}

Test(chain, sink_failure_is_attributed_to_one_story)
{
    nw_chain *chain = filter_then_recorder("", "    fail_offset: 1\n");
    nw_chain_msg msgs[3];
    nw_chain_msg *ptrs[3];
    make_msgs(msgs, ptrs, 3);
    cr_assert_eq(nw_chain_run(chain, ptrs, 3, NULL), 0);
    cr_assert_eq(msgs[0].state, NW_MSG_LIVE);
    cr_assert_eq(msgs[1].state, NW_MSG_DEAD);
    cr_assert_str_eq(msgs[1].dead_plugin, "recorder");
    cr_assert(strstr(msgs[1].dead_reason, "cannot store offset 1"));
    cr_assert_eq(msgs[2].state, NW_MSG_LIVE);
    cr_assert_str_eq(last_recorder->seen, "urn:a;urn:c;");
    free_msgs(msgs, 3);
    nw_chain_free(chain);
}

Test(chain, message_category_from_topic)
{
    nw_chain_msg m;
    cr_assert_eq(nw_chain_msg_init(&m, "news.mid-east", "news.", 2, 7, "k", 1, "{}", 2, -1, NULL),
                 0);
    cr_assert_str_eq(m.pub.category, "mid-east");
    cr_assert_str_eq(m.pub.uri, "k");
    cr_assert_eq(m.pub.partition, 2);
    cr_assert_eq(m.pub.offset, 7);
    nw_chain_msg_deinit(&m);
    cr_assert_eq(nw_chain_msg_init(&m, "other", "news.", 0, 0, NULL, 0, "{}", 2, -1, NULL), 0);
    cr_assert_str_eq(m.pub.category, "other");
    cr_assert_str_eq(m.pub.uri, "");
    nw_chain_msg_deinit(&m);
}

/* ------------------------------------------------- metrics, emit, back-off */

static int emitted;
static char emitted_topic[64];

static int count_emit(void *ctx, const char *instance, const char *topic, const char *key,
                      const void *value, size_t value_len, const nw_plugin_header *headers,
                      size_t header_count)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)value_len;
    (void)headers;
    (void)header_count;
    cr_assert_str_eq(instance, "nwtest-sink");
    snprintf(emitted_topic, sizeof emitted_topic, "%s", topic);
    return ++emitted > 0 ? 0 : -1;
}

static nw_chain *build_ex(const char *yaml, const nw_chain_opts *opts)
{
    nw_config_free(cfg);
    cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "consumer.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    nw_chain *chain = NULL;
    cr_assert_eq(nw_chain_new_ex(nw_cfg_get(nw_config_root(cfg), "chain"), "consumer.yaml", opts,
                                 &chain, &err),
                 0, "%s", err.msg);
    return chain;
}

Test(chain, metrics_count_per_plugin_and_topic)
{
    char *so = filter_so();
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "chain:\n  - path: %s\n    drop_uri: urn:a\n    fail_uri: urn:b\n"
             "  - plugin: recorder\n",
             so);
    nw_metrics *m = nw_metrics_new();
    nw_chain_opts opts = {.metrics = m};
    nw_chain *chain = build_ex(yaml, &opts);
    nw_chain_msg msgs[4];
    nw_chain_msg *ptrs[4];
    make_msgs(msgs, ptrs, 4);
    cr_assert_eq(nw_chain_run(chain, ptrs, 4, NULL), 0);
    const char *fl = "plugin=\"nwtest-filter\",topic=\"news.world\"";
    const char *rl = "plugin=\"recorder\",topic=\"news.world\"";
    cr_assert_eq(nw_counter_value(nw_metrics_counter(m, "newswire_consumer_dropped_total", "", fl)),
                 1);
    cr_assert_eq(
        nw_counter_value(nw_metrics_counter(m, "newswire_consumer_dead_letters_total", "", fl)), 1);
    cr_assert_eq(
        nw_counter_value(nw_metrics_counter(m, "newswire_consumer_processed_total", "", fl)), 2);
    cr_assert_eq(
        nw_counter_value(nw_metrics_counter(m, "newswire_consumer_processed_total", "", rl)), 2);
    cr_assert_eq(nw_histogram_count(nw_metrics_histogram(m, "newswire_consumer_plugin_seconds", "",
                                                         "plugin=\"nwtest-filter\",op=\"process\"",
                                                         NULL, 0)),
                 4);
    cr_assert_eq(
        nw_histogram_count(nw_metrics_histogram(m, "newswire_consumer_plugin_seconds", "",
                                                "plugin=\"recorder\",op=\"flush\"", NULL, 0)),
        1);
    free_msgs(msgs, 4);
    nw_chain_free(chain);
    nw_metrics_free(m);
    free(so);
}

Test(chain, emit_is_offered_only_when_the_host_sets_it)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "chain:\n  - path: %s\n    emit: true\n", so);
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];

    emitted = 0;
    nw_chain *chain = build_ex(yaml, NULL); /* Kafka mode: api.emit is NULL */
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, NULL), 0);
    cr_assert_eq(emitted, 0);
    free_msgs(msgs, 2);
    nw_chain_free(chain);

    nw_chain_opts opts = {.emit = count_emit};
    chain = build_ex(yaml, &opts);
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, NULL), 0);
    cr_assert_eq(emitted, 2);
    cr_assert_str_eq(emitted_topic, "enriched.world");
    free_msgs(msgs, 2);
    nw_chain_free(chain);
    free(so);
}

typedef struct bo_probe {
    nw_chain *chain;
    volatile int saw;
    volatile int done;
    char reason[256]; /* nw_chain_retry_reason while backing off */
} bo_probe;

static void *watch_backoff(void *arg)
{
    bo_probe *p = arg;
    while (!p->done) {
        if (nw_chain_backing_off(p->chain)) {
            p->saw = 1;
            nw_chain_retry_reason(p->chain, p->reason, sizeof p->reason);
        }
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

Test(chain, backing_off_is_visible_while_retrying_and_cleared_after)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "chain:\n  - path: %s\n    retries: 3\n", so);
    nw_chain *chain = build_ex(yaml, NULL);
    nw_chain_set_retry(chain, 30, 60, NULL);
    bo_probe p = {.chain = chain};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, watch_backoff, &p), 0);
    nw_chain_msg msgs[1];
    nw_chain_msg *ptrs[1];
    make_msgs(msgs, ptrs, 1);
    cr_assert_eq(nw_chain_run(chain, ptrs, 1, NULL), 0);
    cr_assert_eq(msgs[0].state, NW_MSG_LIVE);
    cr_assert_not(nw_chain_backing_off(chain));
    p.done = 1;
    pthread_join(th, NULL);
    cr_assert(p.saw, "the back-off was never visible to another thread");
    cr_assert(strstr(p.reason, "plugin nwtest-sink retrying: "), "%s", p.reason);
    char after[64] = "x";
    nw_chain_retry_reason(chain, after, sizeof after);
    cr_assert_str_eq(after, "", "no reason once the run finished");
    cr_assert_eq(nw_chain_get_stats(chain).retries, 3);
    free_msgs(msgs, 1);
    nw_chain_free(chain);
    free(so);
}

/* ------------------------------------------- optional filter callbacks */

/* A filter without flush (plugin.h allows it): tags every story and counts
 * destroys, so the test sees the chain ran it and released it. */
static int noflush_destroyed;

static void *noflush_init(const nw_plugin_config *pc, char *err, size_t errlen)
{
    (void)pc, (void)err, (void)errlen;
    return calloc(1, 1);
}

static nw_plugin_status noflush_process(void *st, nw_plugin_msg *m, char *err, size_t errlen)
{
    (void)st, (void)m, (void)err, (void)errlen;
    return NW_PLUGIN_OK;
}

static void noflush_destroy(void *st)
{
    noflush_destroyed++;
    free(st);
}

static const nw_plugin_descriptor noflush_plugin = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "noflush",
    .kind = NW_PLUGIN_FILTER,  .description = "a filter with flush NULL",
    .init = noflush_init,      .process = noflush_process,
    .destroy = noflush_destroy};

Test(chain, filter_without_flush_runs_and_is_freed)
{
    nw_err err = {0};
    if (!nw_plugin_registry_find("noflush"))
        cr_assert_eq(nw_plugin_registry_add(&noflush_plugin, &err), 0, "%s", err.msg);
    nw_chain *chain;
    cr_assert_eq(build("chain:\n  - plugin: noflush\n  - plugin: recorder\n", &chain, &err), 0,
                 "%s", err.msg);
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_chain_flush(chain, &err), 0, "%s", err.msg);
    cr_assert_str_eq(last_recorder->seen, "urn:a;urn:b;");
    free_msgs(msgs, 2);
    noflush_destroyed = 0;
    nw_chain_free(chain); /* the final flush skips the filter, destroy still runs */
    cr_assert_eq(noflush_destroyed, 1);
}

Test(chain, sink_without_flush_is_refused)
{
    static const nw_plugin_descriptor bad = {
        NW_PLUGIN_DESCRIPTOR_HEAD, .name = "noflush-sink",
        .kind = NW_PLUGIN_SINK,    .description = "a sink must make its writes durable",
        .init = rec_init,          .write = rec_write,
        .destroy = rec_destroy};
    nw_err err = {0};
    cr_assert_lt(nw_plugin_registry_add(&bad, &err), 0);
    cr_assert(strstr(err.msg, "no flush callback"), "%s", err.msg);
}

/* ------------------------------------------------------------ parse once */

/* Four plugins: a filter that changes every story (nwtest-filter touch),
 * a filter that reads it (noflush), and two sinks that ask for its text
 * (recorder, nwtest-sink emitting). Each story is decoded once, and the
 * change is serialized once, for both sinks. */
Test(chain, a_story_is_decoded_once_and_serialized_at_most_once)
{
    nw_err err = {0};
    if (!nw_plugin_registry_find("noflush"))
        cr_assert_eq(nw_plugin_registry_add(&noflush_plugin, &err), 0, "%s", err.msg);
    char *filter = filter_so();
    char *sink = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[4096];
    for (int touch = 0; touch < 2; touch++) {
        snprintf(yaml, sizeof yaml,
                 "chain:\n  - path: %s\n    touch: %s\n  - plugin: noflush\n"
                 "  - plugin: recorder\n    text: true\n  - path: %s\n    emit: true\n",
                 filter, touch ? "true" : "false", sink);
        emitted = 0;
        rec_texts[0] = '\0';
        nw_chain_opts opts = {.emit = count_emit};
        nw_chain *chain = build_ex(yaml, &opts);
        enum { N = 5 };
        nw_chain_msg msgs[N];
        nw_chain_msg *ptrs[N];
        nw_chain_doc_counts before = nw_chain_get_doc_counts();
        make_msgs(msgs, ptrs, N);
        cr_assert_eq(nw_chain_run(chain, ptrs, N, &err), 0, "%s", err.msg);
        nw_chain_doc_counts after = nw_chain_get_doc_counts();
        cr_assert_eq(after.decodes - before.decodes, N, "one decode per story");
        cr_assert_eq(after.serializations - before.serializations, touch ? N : 0,
                     "touch=%d: %llu serializations for %d stories", touch,
                     (unsigned long long)(after.serializations - before.serializations), N);
        cr_assert_eq(emitted, N);
        /* the sink saw the filter's change without any text in between */
        cr_assert_eq(strstr(rec_texts, "\"nwtest\":true") != NULL, touch == 1, "%s", rec_texts);
        if (!touch)
            cr_assert(strstr(rec_texts, "{\"uri\":\"urn:a\"}\n"), "unchanged: the bytes as sent");
        free_msgs(msgs, N);
        nw_chain_free(chain);
    }
    free(filter);
    free(sink);
}

/* A value that is not a JSON object never reaches a plugin: the host marks
 * it dead (the consumer dead-letters it) with the position of the error. */
Test(chain, a_story_that_is_not_a_json_object_is_dead_before_any_plugin)
{
    nw_chain *chain = filter_then_recorder("    tag: t1\n", "");
    const char *bad[] = {"{\"uri\": ", "[1, 2]"};
    const char *why[] = {"invalid JSON at line 1", "not an object"};
    nw_chain_msg msgs[3];
    nw_chain_msg *ptrs[3];
    make_msgs(msgs, ptrs, 1);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(nw_chain_msg_init(&msgs[i + 1], "news.world", "news.", 0, i + 1, "urn:bad", 7,
                                       bad[i], strlen(bad[i]), -1, NULL),
                     0);
        ptrs[i + 1] = &msgs[i + 1];
        cr_assert_eq(msgs[i + 1].state, NW_MSG_DEAD);
        cr_assert_null(msgs[i + 1].pub.doc);
    }
    cr_assert_eq(nw_chain_run(chain, ptrs, 3, NULL), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(msgs[i + 1].state, NW_MSG_DEAD);
        cr_assert_str_eq(msgs[i + 1].dead_plugin, NW_CHAIN_HOST_NAME);
        cr_assert(strstr(msgs[i + 1].dead_reason, why[i]), "%s", msgs[i + 1].dead_reason);
    }
    cr_assert_str_eq(last_recorder->seen, "urn:a#t1;", "only the good story went through");
    cr_assert_eq(nw_chain_get_stats(chain).dead, 2);
    free_msgs(msgs, 3);
    nw_chain_free(chain);
}

/* ------------------------------------------------- partition callbacks */

Test(chain, partition_callbacks_come_in_order_revoke_after_the_final_flush)
{
    nw_err err = {0};
    nw_chain *chain;
    cr_assert_eq(build("chain:\n  - plugin: recorder\n", &chain, &err), 0, "%s", err.msg);
    recorder *r = last_recorder;
    cr_assert_eq(nw_chain_note_partition(chain, "news.world", 0, true), 0);
    cr_assert_str_eq(r->events, "", "nothing is delivered before the chain's thread runs it");
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];
    make_msgs(msgs, ptrs, 2);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r->events, "+news.world/0;F;", "assigned before the first story");
    /* the host notes a revoke once the partition's batches are done */
    cr_assert_eq(nw_chain_note_partition(chain, "news.world", 0, false), 0);
    nw_chain_deliver_events(chain);
    cr_assert_str_eq(r->events, "+news.world/0;F;-news.world/0;");
    /* a revoke noted and never delivered comes after the final flush */
    cr_assert_eq(nw_chain_note_partition(chain, "news.world", 1, true), 0);
    nw_chain_deliver_events(chain);
    cr_assert_eq(nw_chain_note_partition(chain, "news.world", 1, false), 0);
    free_msgs(msgs, 2);
    recorder_events_at_destroy[0] = '\0';
    nw_chain_free(chain);
    cr_assert_str_eq(recorder_events_at_destroy,
                     "+news.world/0;F;-news.world/0;+news.world/1;F;-news.world/1;");
}

/* A config error anywhere in the chain means no plugin's init ran. */
Test(chain, settings_are_checked_before_any_init)
{
    rec_inits = 0;
    expect_error("chain:\n  - plugin: recorder\n  - plugin: archive-fs\n    root: /tmp/x\n"
                 "    fsync: sometimes\n",
                 "consumer.yaml:5: chain[1].fsync", NULL);
    cr_assert_eq(rec_inits, 0, "the recorder before the bad entry was never created");
}

/* The two examples of docs/plugin-guide.md, loaded by path as written. */
Test(chain, the_plugin_guide_examples_load_and_run)
{
    tmpdir = nw_test_mkdtemp("guide");
    char *filter = nw_test_bin_path("tests/plugins/guide_filter.so");
    char *sink = nw_test_bin_path("tests/plugins/guide_sink.so");
    char yaml[12800], out[4200];
    snprintf(out, sizeof out, "%s/stories.jsonl", tmpdir);
    snprintf(yaml, sizeof yaml,
             "chain:\n  - path: %s\n    language: fr\n  - path: %s\n    file: %s\n", filter, sink,
             out);
    nw_chain *chain = build_ex(yaml, NULL);
    nw_chain_msg msgs[2];
    nw_chain_msg *ptrs[2];
    make_msgs(msgs, ptrs, 1);
    const char *has = "{\"uri\":\"urn:b\",\"language\":\"de\"}";
    cr_assert_eq(nw_chain_msg_init(&msgs[1], "news.world", "news.", 1, 1, "urn:b", 5, has,
                                   strlen(has), -1, NULL),
                 0);
    ptrs[1] = &msgs[1];
    nw_err err = {0};
    cr_assert_eq(nw_chain_note_partition(chain, "news.world", 0, true), 0);
    cr_assert_eq(nw_chain_run(chain, ptrs, 2, &err), 0, "%s", err.msg);
    char *text = nw_test_read_file(out, NULL);
    cr_assert_str_eq(text, "{\"uri\":\"urn:a\",\"language\":\"fr\"}\n" /* changed: serialized */
                           "{\"uri\":\"urn:b\",\"language\":\"de\"}\n" /* as it arrived */);
    free(text);
    free_msgs(msgs, 2);
    nw_chain_free(chain);
    free(filter);
    free(sink);
}

/* A borrowed value (a Kafka payload has no NUL) is decoded in place and
 * copied only when a plugin asks for the unchanged story's text, which is
 * then NUL-terminated; borrowed headers are not freed by the chain. */
Test(chain, borrowed_values_and_headers)
{
    char value[] = "{\"uri\":\"urn:a\"}XXXX"; /* bytes after the value: no NUL at its end */
    size_t len = strlen("{\"uri\":\"urn:a\"}");
    static char hname[] = "nw-trace-id", hval[] = "abc";
    nw_chain_msg m;
    cr_assert_eq(nw_chain_msg_init_borrowed(&m, "news.world", "news.", 0, 0, "urn:a", 5, value, len,
                                            -1, NULL),
                 0);
    cr_assert_eq(m.state, NW_MSG_LIVE, "%s", m.dead_reason);
    cr_assert_eq(nw_chain_msg_add_header_borrowed(&m, hname, hval, 3), 0);
    cr_assert_eq(nw_chain_msg_add_header(&m, "nw-dedup", "new", 3), 0);
    cr_assert_eq(nw_chain_msg_add_header_borrowed(&m, "late", "x", 1), 0, "copied after a copy");
    cr_assert_eq(m.borrowed_headers, 1);
    cr_assert_eq(m.pub.headers[0].name, hname);
    size_t tl = 0;
    const char *t = nw_chain_msg_text(&m, &tl);
    cr_assert_eq(tl, len);
    cr_assert_str_eq(t, "{\"uri\":\"urn:a\"}");
    cr_assert_neq(t, value, "a NUL-terminated copy");
    nw_chain_msg_deinit(&m);
    cr_assert_str_eq(hname, "nw-trace-id", "the caller's header is untouched");
}

/* ------------------------------------------- misbehaving init, by name */

static void *garbage_init(const nw_plugin_config *pc, char *err, size_t errlen)
{
    (void)pc;
    memset(err, 'x', errlen); /* no NUL anywhere */
    return NULL;
}

static void *crash_init(const nw_plugin_config *pc, char *err, size_t errlen)
{
    (void)pc, (void)err, (void)errlen;
    raise(SIGSEGV);
    return NULL;
}

static const nw_plugin_descriptor garbage_plugin = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "garbage",          .kind = NW_PLUGIN_FILTER,
    .init = garbage_init,      .process = noflush_process, .destroy = noflush_destroy};
static const nw_plugin_descriptor crash_plugin = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "crashy",           .kind = NW_PLUGIN_FILTER,
    .init = crash_init,        .process = noflush_process, .destroy = noflush_destroy};

Test(chain, a_plugin_whose_init_misbehaves_is_named)
{
    nw_err err = {0};
    if (!nw_plugin_registry_find("garbage"))
        cr_assert_eq(nw_plugin_registry_add(&garbage_plugin, &err), 0, "%s", err.msg);
    if (!nw_plugin_registry_find("crashy"))
        cr_assert_eq(nw_plugin_registry_add(&crash_plugin, &err), 0, "%s", err.msg);
    expect_error("chain:\n  - plugin: recorder\n  - plugin: garbage\n",
                 "consumer.yaml:3: chain[1]: plugin garbage: xxxx", NULL);

    /* a crash cannot be survived, but the report names the plugin */
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        nw_chain *chain = NULL;
        build("chain:\n  - plugin: crashy\n", &chain, &err);
        _exit(0);
    }
    close(fds[1]);
    char out[4096] = "";
    size_t used = 0;
    ssize_t r;
    while (used < sizeof out - 1 && (r = read(fds[0], out + used, sizeof out - 1 - used)) > 0)
        used += (size_t)r;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %d", status);
    cr_assert(strstr(out, "plugin crashy crashed in init()"), "%s", out);
}

/* ------------------------------------------------------------ readiness */

/* A sink with a ready() callback that says what `gate_ok` says, and one
 * built before ready() existed (struct_size ends at revoked): its ready
 * member is never read, even when something sits there. */
static int gate_ok = 1;

static nw_plugin_status gate_ready(void *st, char *err, size_t errlen)
{
    (void)st;
    if (gate_ok)
        return NW_PLUGIN_OK;
    snprintf(err, errlen, "disk gone");
    return NW_PLUGIN_RETRY;
}

static nw_plugin_status never_called(void *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    cr_assert_fail("ready() read beyond the plugin's struct_size");
    return NW_PLUGIN_FATAL;
}

Test(chain, ready_checks_name_the_plugin_and_skip_older_descriptors)
{
    static nw_plugin_descriptor gate = {NW_PLUGIN_DESCRIPTOR_HEAD,
                                        .name = "gate",
                                        .version = "1",
                                        .kind = NW_PLUGIN_SINK,
                                        .description = "ready when gate_ok",
                                        NW_PLUGIN_CONFIG_MAP(rec_map, rec_conf),
                                        .init = rec_init,
                                        .write = rec_write,
                                        .flush = rec_flush,
                                        .destroy = rec_destroy,
                                        .ready = gate_ready};
    static nw_plugin_descriptor older = {NW_PLUGIN_DESCRIPTOR_HEAD,
                                         .name = "older",
                                         .version = "1",
                                         .kind = NW_PLUGIN_SINK,
                                         .description = "built against ABI 2 minor 0",
                                         NW_PLUGIN_CONFIG_MAP(rec_map, rec_conf),
                                         .init = rec_init,
                                         .write = rec_write,
                                         .flush = rec_flush,
                                         .destroy = rec_destroy,
                                         .ready = never_called};
    older.struct_size = offsetof(nw_plugin_descriptor, revoked) + sizeof older.revoked;
    nw_err err = {0};
    if (!nw_plugin_registry_find("gate")) {
        cr_assert_eq(nw_plugin_registry_add(&gate, &err), 0, "%s", err.msg);
        cr_assert_eq(nw_plugin_registry_add(&older, &err), 0, "%s", err.msg);
    }
    nw_metrics *m = nw_metrics_new();
    nw_chain_opts opts = {.metrics = m};
    nw_chain *chain = build_ex("chain:\n  - plugin: older\n  - plugin: gate\n", &opts);
    char why[256] = "";
    gate_ok = 1;
    cr_assert(nw_chain_check_ready(chain, why, sizeof why), "%s", why);
    nw_gauge *g = nw_metrics_gauge(m, "newswire_plugin_ready", "", "plugin=\"gate\"");
    cr_assert_eq(nw_gauge_value(g), 1);
    gate_ok = 0;
    cr_assert_not(nw_chain_check_ready(chain, why, sizeof why));
    cr_assert_str_eq(why, "plugin gate: disk gone");
    cr_assert_eq(nw_gauge_value(g), 0);
    cr_assert_eq(
        nw_gauge_value(nw_metrics_gauge(m, "newswire_plugin_ready", "", "plugin=\"older\"")), 1,
        "a plugin without ready() counts as ready");
    gate_ok = 1;
    cr_assert(nw_chain_check_ready(chain, why, sizeof why), "%s", why);
    cr_assert_eq(nw_gauge_value(g), 1);
    nw_chain_free(chain);
    nw_metrics_free(m);
}

/* ------------------------------------------------------ writing in parts */

/* Sinks that log their calls into parts_log ("<instance>:w<count>;" per
 * write, "<instance>:F;" per flush) and keep every story until flush() the
 * way the guide says (json_incref), checking there that each document is
 * still the story they were given: "parts" writes in parts
 * (nw_plugin_descriptor.write_in_parts), "whole" does not, and "parts-older"
 * sets it beyond a struct_size from before minor 2, where the host must not
 * read it. The filter "toucher" logs "t;" per story and adds "touched". */
static char parts_log[8192];
static int parts_bad; /* kept documents that changed or went away before flush() */

static void parts_logf(const char *fmt, const char *inst, size_t n)
{
    size_t l = strlen(parts_log);
    snprintf(parts_log + l, sizeof parts_log - l, fmt, inst, n);
}

typedef struct parts_conf {
    int64_t fail_offset; /* write() fails permanently, naming no story, on a part with it */
    bool expect_touched; /* the kept documents carry the toucher's change */
} parts_conf;

static const nw_plugin_config_entry parts_map[] = {
    {.key = "fail_offset",
     .type = NW_PLUGIN_T_INT,
     .default_value = "-1",
     .offset = offsetof(parts_conf, fail_offset),
     .description = "write() fails (FATAL, no failed_index) on a part holding this offset"},
    {.key = "expect_touched",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(parts_conf, expect_touched),
     .description = "the stories kept until flush() carry the toucher's change"},
    {.key = NULL},
};

typedef struct parts_sink {
    const char *name;
    const parts_conf *conf;
    json_t *kept[256];
    char uri[256][16];
    size_t nkept;
} parts_sink;

static void *parts_init(const nw_plugin_config *pc, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    parts_sink *p = calloc(1, sizeof *p);
    p->name = pc->instance_name;
    p->conf = pc->conf;
    return p;
}

static nw_plugin_status parts_write(void *st, nw_plugin_msg *const *batch, size_t n, size_t *failed,
                                    char *err, size_t errlen)
{
    (void)failed;
    parts_sink *p = st;
    parts_logf("%s:w%zu;", p->name, n);
    for (size_t i = 0; i < n; i++)
        if (batch[i]->offset == p->conf->fail_offset) {
            snprintf(err, errlen, "cannot store this part");
            return NW_PLUGIN_FATAL; /* *failed left alone: the whole write() */
        }
    for (size_t i = 0; i < n && p->nkept < 256; i++, p->nkept++) {
        p->kept[p->nkept] = json_incref(batch[i]->doc);
        snprintf(p->uri[p->nkept], sizeof p->uri[0], "%s", batch[i]->uri);
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status parts_flush(void *st, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    parts_sink *p = st;
    parts_logf("%s:F;", p->name, 0);
    for (size_t i = 0; i < p->nkept; i++) {
        const char *uri = json_string_value(json_object_get(p->kept[i], "uri"));
        bool touched = json_object_get(p->kept[i], "touched") != NULL;
        parts_bad += !uri || strcmp(uri, p->uri[i]) || touched != p->conf->expect_touched;
        json_decref(p->kept[i]);
    }
    p->nkept = 0;
    return NW_PLUGIN_OK;
}

static void parts_destroy(void *st)
{
    free(st);
}

static void *toucher_init(const nw_plugin_config *pc, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return (void *)pc->api;
}

static nw_plugin_status toucher_process(void *st, nw_plugin_msg *m, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    const nw_plugin_api *api = st;
    parts_logf("%st;", "", 0);
    if (json_object_set_new(m->doc, "touched", json_true()) < 0 || api->doc_changed(m->host_ref))
        return NW_PLUGIN_RETRY;
    return NW_PLUGIN_OK;
}

static void toucher_destroy(void *st)
{
    (void)st;
}

#define PARTS_SINK(plugin_name, parts)                                                             \
    {                                                                                              \
        NW_PLUGIN_DESCRIPTOR_HEAD, .name = plugin_name, .version = "1", .kind = NW_PLUGIN_SINK,    \
                                   .description = "keeps stories until flush",                     \
                                   NW_PLUGIN_CONFIG_MAP(parts_map, parts_conf),                    \
                                   .init = parts_init, .write = parts_write, .flush = parts_flush, \
                                   .destroy = parts_destroy, .write_in_parts = parts               \
    }

static void parts_setup(void)
{
    static const nw_plugin_descriptor parts = PARTS_SINK("parts", true);
    static const nw_plugin_descriptor whole = PARTS_SINK("whole", false);
    static nw_plugin_descriptor older = PARTS_SINK("parts-older", true);
    older.struct_size = offsetof(nw_plugin_descriptor, ready) + sizeof older.ready;
    static const nw_plugin_descriptor toucher = {
        NW_PLUGIN_DESCRIPTOR_HEAD,  .name = "toucher",         .version = "1",
        .kind = NW_PLUGIN_FILTER,   .description = "touches",  .init = toucher_init,
        .process = toucher_process, .destroy = toucher_destroy};
    if (!nw_plugin_registry_find("parts"))
        for (size_t i = 0; i < 4; i++)
            cr_assert_eq(
                nw_plugin_registry_add(
                    (const nw_plugin_descriptor *[]){&parts, &whole, &older, &toucher}[i], NULL),
                0);
    parts_log[0] = '\0';
    parts_bad = 0;
}

/* Borrowed messages, as the consumer makes them from Kafka (decoded by the
 * run); the value of story `bad` is not JSON. */
static char parts_values[128][48];

static void make_borrowed(nw_chain_msg *msgs, nw_chain_msg **ptrs, size_t n, size_t bad)
{
    for (size_t i = 0; i < n; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:%zu", i);
        snprintf(parts_values[i], sizeof parts_values[i],
                 i == bad ? "{\"uri\":" : "{\"uri\":\"%s\"}", uri);
        cr_assert_eq(nw_chain_msg_init_borrowed(&msgs[i], "news.world", "news.", 0, (int64_t)i, uri,
                                                strlen(uri), parts_values[i],
                                                strlen(parts_values[i]), -1, NULL),
                     0);
        cr_assert_eq(msgs[i].state, NW_MSG_LIVE, "decoded by the run, not before");
        cr_assert_null(msgs[i].pub.doc);
        ptrs[i] = &msgs[i];
    }
}

/* "t;" n times */
static const char *touches(size_t n)
{
    static char buf[512];
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        strcat(buf, "t;");
    return buf;
}

/* A sink that writes in parts gets the batch 32 stories at a time, each part
 * after the filters ran over it, then one flush(); the stories it kept
 * (json_incref) are intact until then, while the host freed its own
 * references after the write (pub.doc NULL). A value that is not JSON is
 * dead-lettered by the host when its part is decoded, and reaches no plugin. */
Test(chain, a_sink_writing_in_parts_gets_parts_then_one_flush)
{
    parts_setup();
    nw_chain *chain = build_ex("chain:\n  - plugin: toucher\n  - plugin: parts\n    name: A\n"
                               "    expect_touched: true\n",
                               NULL);
    enum { N = 70 };
    nw_chain_msg msgs[N];
    nw_chain_msg *ptrs[N];
    make_borrowed(msgs, ptrs, N, 5);
    nw_chain_doc_counts before = nw_chain_get_doc_counts();
    nw_err err = {0};
    cr_assert_eq(nw_chain_run(chain, ptrs, N, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_chain_get_doc_counts().decodes - before.decodes, N, "one decode per story");
    char want[2048];
    snprintf(want, sizeof want, "%sA:w31;", touches(31));
    size_t l = strlen(want);
    snprintf(want + l, sizeof want - l, "%sA:w32;", touches(32));
    l = strlen(want);
    snprintf(want + l, sizeof want - l, "%sA:w6;A:F;", touches(6));
    cr_assert_str_eq(parts_log, want);
    cr_assert_eq(parts_bad, 0, "a kept document changed before flush()");
    for (size_t i = 0; i < N; i++) {
        if (i == 5) {
            cr_assert_eq(msgs[i].state, NW_MSG_DEAD);
            cr_assert_str_eq(msgs[i].dead_plugin, NW_CHAIN_HOST_NAME);
            cr_assert(strstr(msgs[i].dead_reason, "invalid JSON at line 1"), "%s",
                      msgs[i].dead_reason);
            continue;
        }
        cr_assert_eq(msgs[i].state, NW_MSG_LIVE);
        cr_assert_null(msgs[i].pub.doc, "released after the chain's last write");
        cr_assert_null(nw_chain_msg_text(&msgs[i], NULL), "no stale text of a changed story");
    }
    cr_assert_eq(nw_chain_get_stats(chain).dead, 1);
    free_msgs(msgs, N);
    nw_chain_free(chain);
}

/* A sink that does not write in parts, or whose descriptor predates the
 * member (its struct_size ends before it), gets the batch in one write(), and
 * the documents stay with the batch. */
Test(chain, a_whole_batch_sink_gets_one_write)
{
    parts_setup();
    const char *sinks[] = {"whole", "parts-older"};
    for (int k = 0; k < 2; k++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "chain:\n  - plugin: toucher\n  - plugin: %s\n    name: W\n"
                 "    expect_touched: true\n",
                 sinks[k]);
        nw_chain *chain = build_ex(yaml, NULL);
        enum { N = 40 };
        nw_chain_msg msgs[N];
        nw_chain_msg *ptrs[N];
        make_borrowed(msgs, ptrs, N, SIZE_MAX);
        parts_log[0] = '\0';
        cr_assert_eq(nw_chain_run(chain, ptrs, N, NULL), 0);
        char want[512];
        snprintf(want, sizeof want, "%sW:w40;W:F;", touches(N));
        cr_assert_str_eq(parts_log, want, "%s", sinks[k]);
        cr_assert_eq(parts_bad, 0);
        for (size_t i = 0; i < N; i++)
            cr_assert_not_null(msgs[i].pub.doc, "%s: freed with the batch", sinks[k]);
        free_msgs(msgs, N);
        nw_chain_free(chain);
    }
}

/* A sink's flush() comes before any later plugin sees the batch, also when
 * it writes in parts (plugin-guide.md): the toucher after sink A changes
 * nothing A kept before A's flush; sink B after it sees the change. */
Test(chain, a_later_plugin_runs_after_a_part_writing_sink_flushed)
{
    parts_setup();
    nw_chain *chain = build_ex("chain:\n  - plugin: parts\n    name: A\n  - plugin: toucher\n"
                               "  - plugin: parts\n    name: B\n    expect_touched: true\n",
                               NULL);
    enum { N = 40 };
    nw_chain_msg msgs[N];
    nw_chain_msg *ptrs[N];
    make_borrowed(msgs, ptrs, N, SIZE_MAX);
    cr_assert_eq(nw_chain_run(chain, ptrs, N, NULL), 0);
    char want[1024];
    snprintf(want, sizeof want, "A:w32;A:w8;A:F;%sB:w32;", touches(32));
    size_t l = strlen(want);
    snprintf(want + l, sizeof want - l, "%sB:w8;B:F;", touches(8));
    cr_assert_str_eq(parts_log, want);
    cr_assert_eq(parts_bad, 0, "A's kept documents changed before A's flush");
    for (size_t i = 0; i < N; i++)
        cr_assert_null(msgs[i].pub.doc);
    free_msgs(msgs, N);
    nw_chain_free(chain);
}

/* A part-writing sink that fails permanently without naming a story
 * dead-letters the stories of that write() (its part), not the batch. */
Test(chain, a_failed_part_dead_letters_that_part)
{
    parts_setup();
    nw_chain *chain = build_ex("chain:\n  - plugin: parts\n    fail_offset: 40\n", NULL);
    enum { N = 70 };
    nw_chain_msg msgs[N];
    nw_chain_msg *ptrs[N];
    make_borrowed(msgs, ptrs, N, SIZE_MAX);
    cr_assert_eq(nw_chain_run(chain, ptrs, N, NULL), 0);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(msgs[i].state, i >= 32 && i < 64 ? NW_MSG_DEAD : NW_MSG_LIVE, "story %zu", i);
    cr_assert_str_eq(msgs[40].dead_reason, "cannot store this part");
    cr_assert_eq(nw_chain_get_stats(chain).dead, 32);
    free_msgs(msgs, N);
    nw_chain_free(chain);
}
