/*
 * test_consumer_ops — operating the consumer host (in-process, mock broker):
 * /healthz, /readyz and /metrics on http.listen (consumed, processed per
 * plugin and topic, latency histograms, lag per partition, buffered bytes),
 * a SIGHUP-style reload that swaps the chain between batches, and a bad
 * reload that keeps the running chain. Also the example deploy config and
 * systemd unit are checked for the settings the host relies on.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_kafka.h"
#include "nw_testconsumer.h"
#include "nw_testutil.h"

static nw_broker *broker;
static char *tmp;

static void teardown(void)
{
    nw_broker_free(broker);
    broker = NULL;
    nw_test_rm_tmp(&tmp);
}

TestSuite(ops, .fini = teardown);

static void produce(const char *topic, int from, int n)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    for (int i = from; i < from + n; i++) {
        char key[64], value[128];
        snprintf(key, sizeof key, "urn:ops:%d", i);
        snprintf(value, sizeof value, "{\"uri\":\"%s\"}", key);
        cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_KEY(key, strlen(key)),
                                       RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END),
                     0);
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
}

static void write_config(const char *path, const char *record, const char *extra_setting)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 3000\n"
             "  heartbeat.interval.ms: 300\n"
             "  statistics.interval.ms: 200\n"
             "topics: news.ops\n"
             "workers: 2\n"
             "batch: {max_messages: 10, max_ms: 20ms}\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "chain:\n"
             "  - path: %s\n"
             "    name: recorder\n"
             "    record: %s\n"
             "%s",
             nw_broker_bootstrap(broker), so, record, extra_setting);
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    free(so);
}

static void wait_lines(const char *path, int want)
{
    for (int i = 0; i < 300 && nw_test_count_lines(path) < want; i++)
        nw_test_sleep_ms(50);
    cr_assert_eq(nw_test_count_lines(path), want, "%s", path);
}

Test(ops, metrics_health_and_reload, .timeout = 120)
{
    tmp = nw_test_mkdtemp("ops");
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.ops", 2, &err), 0, "%s", err.msg);
    produce("news.ops", 0, 20);

    char cfgpath[4096], rec1[4096], rec2[4096];
    snprintf(cfgpath, sizeof cfgpath, "%s/consumer.yaml", tmp);
    snprintf(rec1, sizeof rec1, "%s/record1.txt", tmp);
    snprintf(rec2, sizeof rec2, "%s/record2.txt", tmp);
    write_config(cfgpath, rec1, "");
    nw_test_consumer r;
    nw_consumer_opts opts = {.group = "ops-1", .exit_when_idle_ms = -1};
    nw_test_consumer_new_file(&r, cfgpath, &opts);
    int port = nw_consumer_http_port(r.c);
    cr_assert_gt(port, 0);
    char *body = NULL;
    cr_assert_eq(nw_test_http_status(port, "/healthz", &body), 200);
    free(body);
    cr_assert_eq(nw_test_http_status(port, "/readyz", &body), 503, "not ready before joining");
    free(body);

    nw_test_consumer_run(&r);
    wait_lines(rec1, 20);
    cr_assert_eq(nw_test_http_status(port, "/readyz", &body), 200, "%s", body);
    free(body);
    nw_test_sleep_ms(600); /* a statistics interval or two */
    cr_assert_eq(nw_test_http_status(port, "/metrics", &body), 200);
    const char *want[] = {
        "newswire_consumer_consumed_total{topic=\"news.ops\"} 20",
        "newswire_consumer_processed_total{plugin=\"recorder\",topic=\"news.ops\"} 20",
        "newswire_consumer_plugin_seconds_count{plugin=\"recorder\",op=\"write\"}",
        "newswire_consumer_plugin_seconds_count{plugin=\"recorder\",op=\"flush\"}",
        "newswire_consumer_lag_messages{topic=\"news.ops\",partition=\"0\"} 0",
        "newswire_consumer_lag_messages{topic=\"news.ops\",partition=\"1\"} 0",
        "newswire_consumer_buffered_bytes 0",
        "newswire_consumer_paused_partitions 0",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(body, want[i]), "missing %s in:\n%s", want[i], body);
    free(body);

    /* reload: the new chain records elsewhere */
    write_config(cfgpath, rec2, "");
    nw_consumer_reload(r.c);
    nw_consumer_stats s = {0};
    for (int i = 0; i < 100 && s.reloads < 1; i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_eq(s.reloads, 1);
    produce("news.ops", 20, 10);
    wait_lines(rec2, 10);
    cr_assert_eq(nw_test_count_lines(rec1), 20);

    /* a bad reload keeps the running chain */
    write_config(cfgpath, rec1, "    colour: blue\n");
    nw_consumer_reload(r.c);
    nw_test_sleep_ms(500);
    s = nw_consumer_get_stats(r.c);
    cr_assert_eq(s.reloads, 1, "the bad config was not taken");
    produce("news.ops", 30, 5);
    wait_lines(rec2, 15);
    cr_assert_eq(nw_test_count_lines(rec1), 20);

    nw_test_consumer_stop(&r);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    nw_test_consumer_free(&r);
}

Test(ops, explicit_http_listen_that_cannot_bind_is_a_config_error)
{
    const char *yaml = "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
                       "http: {listen: \"203.0.113.1:1\"}\n"
                       "chain: [{plugin: archive-fs, root: /tmp/nw-ops-unused}]\n";
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "ops.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    nw_consumer *c = NULL;
    cr_assert_lt(nw_consumer_new(cfg, NULL, &c, &err), 0);
    cr_assert(strstr(err.msg, "http.listen"), "%s", err.msg);
    nw_config_free(cfg);
}

Test(ops, config_errors_name_the_key)
{
    const char *yaml = "workers: 0\nchain: [{plugin: archive-fs, root: /tmp/x}]\n";
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "ops.yaml", &cfg, &err), 0);
    nw_consumer *c = NULL;
    cr_assert_lt(nw_consumer_new(cfg, NULL, &c, &err), 0);
    cr_assert(strstr(err.msg, "workers"), "%s", err.msg);
    nw_config_free(cfg);
}

Test(ops, systemd_unit_is_type_notify_and_reloads_with_sighup)
{
    const char *src = getenv("NW_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/deploy/newswire-consumer.service", src ? src : ".");
    char *text = nw_test_read_file(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    cr_assert(strstr(text, "Type=notify"), "%s", text);
    cr_assert(strstr(text, "ExecReload=/bin/kill -HUP $MAINPID"), "%s", text);
    cr_assert(strstr(text, "newswire-consumer --config"), "%s", text);
    cr_assert(strstr(text, "KillSignal=SIGTERM"), "%s", text);
    free(text);
}

/* --from-time: partitions a group has no committed offset for start at the
 * time, those with one keep it. The mock broker of librdkafka 2.0.2 answers
 * every timestamp lookup with "no such message" (-1), so only the far-future
 * case is checkable here: a new group starts at the end, an old one resumes. */
static int run_from_time(const char *cfgpath, const char *group, int64_t from_time_ms)
{
    nw_test_consumer r;
    nw_consumer_opts opts = {
        .group = group, .exit_when_idle_ms = 1000, .from_time_ms = from_time_ms};
    nw_test_consumer_new_file(&r, cfgpath, &opts);
    nw_test_consumer_run(&r);
    nw_test_consumer_join(&r);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    int n = (int)nw_consumer_get_stats(r.c).messages;
    nw_test_consumer_free(&r);
    return n;
}

Test(ops, from_time_applies_only_to_partitions_without_a_committed_offset, .timeout = 120)
{
    tmp = nw_test_mkdtemp("ops-time");
    nw_err err = {0};
    broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.ops", 1, &err), 0, "%s", err.msg);
    produce("news.ops", 0, 10);
    char cfgpath[4096], rec[4096];
    snprintf(cfgpath, sizeof cfgpath, "%s/consumer.yaml", tmp);
    snprintf(rec, sizeof rec, "%s/record.txt", tmp);
    write_config(cfgpath, rec, "");
    const int64_t future = 4102444800000LL; /* 2100-01-01 */

    cr_assert_eq(run_from_time(cfgpath, "time-old", 0), 10);
    produce("news.ops", 10, 5);
    cr_assert_eq(run_from_time(cfgpath, "time-old", future), 5,
                 "a committed offset wins over --from-time");
    cr_assert_eq(run_from_time(cfgpath, "time-new", future), 0,
                 "a new group starts at the time (here: after the last message)");
    cr_assert_eq(nw_test_count_lines(rec), 15);
}
