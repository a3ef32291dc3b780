/*
 * test_consumer_stall — a story that can never be delivered must not hold
 * the consumer (issue 15 item 1), and a partition that is stuck anyway must
 * show: in-process consumer on the embedded broker, one worker.
 *
 * oversized_story_is_referenced: a 2 MB story that a sink fails permanently
 * does not fit the dead-letter topic (librdkafka's message.max.bytes); the
 * DLQ gets a small reference record (topic, partition, offset, size, error)
 * and the stories after it, on its partition and on another topic, reach the
 * sink. Before the fix the dead letter was retried forever.
 *
 * undeliverable_dead_letter_is_visible: while the broker refuses the
 * produce requests, a dead letter cannot go anywhere; the partition is then
 * reported stalled (metric, /readyz 503 naming it) with a true lag, and
 * everything flows again once the broker takes writes.
 *
 * a_partition_never_fetched_is_visible: while the broker refuses the fetch
 * requests, a partition with stories waiting is reported stalled too.
 * a_partition_no_longer_delivered_is_visible: likewise for a partition
 * that was read before and then is not delivered any more.
 *
 * expired_stories_are_counted (issue 23): the group's committed offset is no
 * longer on the broker (the embedded broker keeps about 5 MB per partition);
 * librdkafka resets it with a warning of its own, the consumer counts the
 * reset and the stories skipped, and logs an error.
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
#include "nw_testkafka.h"
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

TestSuite(stall, .fini = teardown);

static void produce_story(rd_kafka_t *p, const char *topic, const char *uri, size_t body_len)
{
    size_t cap = body_len + 256;
    char *value = malloc(cap);
    int n =
        snprintf(value, cap, "{\"uri\":\"%s\",\"type\":\"text\",\"bodies\":[{\"value\":\"", uri);
    memset(value + n, 'x', body_len);
    snprintf(value + n + body_len, cap - (size_t)n - body_len, "\"}]}");
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_KEY(uri, strlen(uri)),
                                   RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END),
                 0);
    free(value);
}

static rd_kafka_t *test_producer(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    cr_assert_eq(rd_kafka_conf_set(conf, "message.max.bytes", "5000000", errstr, sizeof errstr),
                 RD_KAFKA_CONF_OK, "%s", errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cr_assert_not_null(p, "%s", errstr);
    return p;
}

static void wait_lines(const char *path, int want, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 50 && nw_test_count_lines(path) < want; i++)
        nw_test_sleep_ms(50);
    cr_assert_eq(nw_test_count_lines(path), want, "%s", path);
}

typedef struct runner {
    nw_test_consumer tc;
    nw_consumer *c; /* tc.c */
    int port;
} runner;

/* The broker answers the next n requests of Kafka API `api` with `err`. */
static void refuse_requests(int16_t api, size_t n, rd_kafka_resp_err_t err)
{
    rd_kafka_resp_err_t *errs = malloc(n * sizeof *errs);
    for (size_t i = 0; i < n; i++)
        errs[i] = err;
    rd_kafka_mock_push_request_errors_array(nw_broker_cluster(broker), api, n, errs);
    free(errs);
}

/* GET /metrics: every line of want[0..n) is in it. */
static void assert_metrics(const runner *r, const char *const *want, size_t n)
{
    char *body = NULL;
    cr_assert_eq(nw_test_http_status(r->port, "/metrics", &body), 200);
    for (size_t i = 0; i < n; i++)
        cr_assert(strstr(body, want[i]), "missing %s in:\n%s", want[i], body);
    free(body);
}

/* Poll /readyz (up to 20 s) until it answers `want` with `text` in the
 * body (any body when NULL); returns the body. */
static char *wait_readyz(const runner *r, int want, const char *text)
{
    char *body = NULL;
    int status = 0;
    for (int i = 0; i < 400; i++) {
        status = nw_test_http_status(r->port, "/readyz", &body);
        if (status == want && (!text || strstr(body, text)))
            break;
        free(body);
        body = NULL;
        nw_test_sleep_ms(50);
    }
    cr_assert_eq(status, want, "%s", body ? body : "");
    return body;
}

/* One worker, batches of one story, a recorder sink that fails `fatal_uri`
 * permanently. */
static void start_consumer_on(runner *r, const char *topics, const char *record,
                              const char *fatal_uri)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[8192], path[4096];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 6000\n"
             "  heartbeat.interval.ms: 300\n"
             "  statistics.interval.ms: 200\n"
             "  message.timeout.ms: 1000\n"
             "group: stall\n"
             "topics: %s\n"
             "workers: 1\n"
             "batch: {max_messages: 1, max_ms: 10ms}\n"
             "retry: {initial: 50ms, max: 200ms}\n"
             "revoke_timeout: 500ms\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "chain:\n"
             "  - path: %s\n"
             "    name: recorder\n"
             "    record: %s\n"
             "    fatal_uri: %s\n",
             nw_broker_bootstrap(broker), topics, so, record, fatal_uri);
    free(so);
    snprintf(path, sizeof path, "%s/consumer.yaml", tmp);
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    nw_consumer_opts opts = {.exit_when_idle_ms = -1};
    nw_test_consumer_new_file(&r->tc, path, &opts);
    r->c = r->tc.c;
    r->port = nw_consumer_http_port(r->c);
    cr_assert_gt(r->port, 0);
    nw_test_consumer_run(&r->tc);
}

static void start_consumer(runner *r, const char *record, const char *fatal_uri)
{
    start_consumer_on(r, "[news.big, news.small]", record, fatal_uri);
}

static void stop_consumer(runner *r)
{
    nw_test_consumer_free(&r->tc);
}

static void setup_broker(void)
{
    tmp = nw_test_mkdtemp("stall");
    nw_err err = {0};
    broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.big", 1, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.small", 1, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.dlq", 1, &err), 0, "%s", err.msg);
}

Test(stall, oversized_story_is_referenced, .timeout = 120)
{
    setup_broker();
    rd_kafka_t *p = test_producer();
    produce_story(p, "news.big", "urn:big", 2 * 1024 * 1024);
    for (int i = 0; i < 3; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "urn:after:%d", i);
        produce_story(p, "news.big", uri, 100);
        snprintf(uri, sizeof uri, "urn:other:%d", i);
        produce_story(p, "news.small", uri, 100);
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);

    char record[4096];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    runner r = {0};
    start_consumer(&r, record, "urn:big");
    /* every story after the big one reaches the sink */
    wait_lines(record, 6, 60000);

    nw_test_topic dlq = {0};
    char err[512];
    cr_assert_eq(nw_test_read_topic(nw_broker_bootstrap(broker), "news.dlq", 1, 20000, &dlq, err,
                                    sizeof err),
                 0, "%s", err);
    cr_assert_eq(dlq.n, 1, "one dead letter, got %d", dlq.n);
    rd_kafka_message_t *m = dlq.m[0];
    cr_assert_lt(m->len, 4096, "a reference, not the story: %zu bytes", m->len);
    char *v = strndup(m->payload, m->len);
    cr_assert(strstr(v, "\"nw_dead_letter\":\"reference\""), "%s", v);
    cr_assert(strstr(v, "\"topic\":\"news.big\""), "%s", v);
    cr_assert(strstr(v, "\"partition\":0"), "%s", v);
    cr_assert(strstr(v, "\"offset\":0"), "%s", v);
    cr_assert(strstr(v, "\"size\":2097"), "%s", v);
    cr_assert(strstr(v, "\"key\":\"urn:big\""), "%s", v);
    cr_assert(strstr(v, "too large"), "the DLQ's refusal is named: %s", v);
    free(v);
    char h[256];
    cr_assert_str_eq(nw_test_header(m, "nw-body-omitted", h, sizeof h), "true");
    cr_assert_str_eq(nw_test_header(m, "nw-origin-topic", h, sizeof h), "news.big");
    cr_assert_str_eq(nw_test_header(m, "nw-origin-offset", h, sizeof h), "0");
    nw_test_topic_free(&dlq);

    nw_test_sleep_ms(1000); /* a health update and a statistics interval or two */
    const char *want[] = {
        "newswire_consumer_dlq_produced_total 1",
        "newswire_consumer_dlq_references_total 1",
        "newswire_consumer_stalled_partitions 0",
        "newswire_consumer_lag_messages{topic=\"news.big\",partition=\"0\"} 0",
        "newswire_consumer_lag_messages{topic=\"news.small\",partition=\"0\"} 0",
        "newswire_consumer_lag_seconds{topic=\"news.big\",partition=\"0\"} 0",
    };
    assert_metrics(&r, want, sizeof want / sizeof want[0]);
    char *body = NULL;
    cr_assert_eq(nw_test_http_status(r.port, "/readyz", &body), 200, "%s", body);
    free(body);
    stop_consumer(&r);
    cr_assert_eq(r.tc.rc, 0, "%s", r.tc.err.msg);
}

Test(stall, undeliverable_dead_letter_is_visible, .timeout = 120)
{
    setup_broker();
    rd_kafka_t *p = test_producer();
    produce_story(p, "news.big", "urn:poison", 100);
    produce_story(p, "news.big", "urn:after:0", 100);
    produce_story(p, "news.big", "urn:after:1", 100);
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
    /* the broker refuses the next 100 writes: no dead letter can go for a
     * while (about 20 s at the 200 ms back-off) */
    refuse_requests(0 /* Produce */, 100, RD_KAFKA_RESP_ERR_POLICY_VIOLATION);

    char record[4096];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    runner r = {0};
    start_consumer(&r, record, "urn:poison");

    /* the partition is reported stalled, with its lag, and /readyz says so */
    char *body = wait_readyz(&r, 503, "stalled");
    cr_assert(strstr(body, "news.big/0 stalled"), "%s", body);
    cr_assert(strstr(body, "dead letter"), "the cause is named: %s", body);
    cr_assert(strstr(body, "Policy violation"), "the broker's error is named: %s", body);
    free(body);
    nw_test_sleep_ms(600); /* a statistics interval or two */
    cr_assert_eq(nw_test_http_status(r.port, "/metrics", &body), 200);
    const char *want[] = {
        "newswire_consumer_stalled_partitions 1",
        "newswire_consumer_partition_stalled{topic=\"news.big\",partition=\"0\"} 1",
        "newswire_consumer_lag_messages{topic=\"news.big\",partition=\"0\"} 3",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(body, want[i]), "missing %s in:\n%s", want[i], body);
    cr_assert_null(
        strstr(body, "newswire_consumer_lag_seconds{topic=\"news.big\",partition=\"0\"} 0\n"),
        "the lag in seconds grows while stalled:\n%s", body);
    free(body);
    cr_assert_eq(nw_test_count_lines(record), 0);

    /* the broker takes writes again: the dead letter goes, the rest follows */
    wait_lines(record, 2, 60000);
    free(wait_readyz(&r, 200, NULL));
    stop_consumer(&r);
    cr_assert_eq(r.tc.rc, 0, "%s", r.tc.err.msg);
}

/* n small stories <prefix>:0.. on news.big, acknowledged. */
static void produce_small(rd_kafka_t *p, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "%s:%d", prefix, i);
        produce_story(p, "news.big", uri, 100);
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
}

/* Found last session: a partition assigned with stories waiting, from which
 * Kafka never delivers one, was not reported: no batch of it ever started,
 * so none was seen retrying. Here the broker answers every fetch with an
 * error for a while: the partition is stalled once revoke_timeout has
 * passed (the empty one is not), and moves again when fetches do. */
Test(stall, a_partition_never_fetched_is_visible, .timeout = 120)
{
    setup_broker();
    rd_kafka_t *p = test_producer();
    produce_small(p, "urn:waiting", 3);
    rd_kafka_destroy(p);
    refuse_requests(1 /* Fetch */, 30, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);

    char record[4096];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    runner r = {0};
    start_consumer(&r, record, "urn:none");
    char *body = wait_readyz(&r, 503, "stalled");
    cr_assert(strstr(body, "news.big/0 stalled"), "%s", body);
    cr_assert(strstr(body, "nothing fetched"), "the cause is named: %s", body);
    free(body);
    const char *want[] = {
        "newswire_consumer_stalled_partitions 1",
        "newswire_consumer_partition_stalled{topic=\"news.big\",partition=\"0\"} 1",
        "newswire_consumer_partition_stalled{topic=\"news.small\",partition=\"0\"} 0",
        "newswire_consumer_lag_messages{topic=\"news.big\",partition=\"0\"} 3",
    };
    assert_metrics(&r, want, sizeof want / sizeof want[0]);
    cr_assert_eq(nw_test_count_lines(record), 0);

    /* the broker serves fetches again: the stories arrive, the stall ends */
    wait_lines(record, 3, 90000);
    free(wait_readyz(&r, 200, NULL));
    stop_consumer(&r);
    cr_assert_eq(r.tc.rc, 0, "%s", r.tc.err.msg);
}

/* The same after the partition was read: stories arrive, are consumed, and
 * then Kafka stops delivering the partition while new stories wait on it.
 * A partition that was fetched once was not watched before. */
Test(stall, a_partition_no_longer_delivered_is_visible, .timeout = 120)
{
    setup_broker();
    rd_kafka_t *p = test_producer();
    produce_story(p, "news.big", "urn:first", 100);
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);

    char record[4096];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    runner r = {0};
    start_consumer(&r, record, "urn:none");
    wait_lines(record, 1, 30000);
    free(wait_readyz(&r, 200, NULL));

    refuse_requests(1 /* Fetch */, 40, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
    produce_small(p, "urn:later", 3);
    rd_kafka_destroy(p);
    char *body = wait_readyz(&r, 503, "stalled");
    cr_assert(strstr(body, "news.big/0 stalled"), "%s", body);
    cr_assert(strstr(body, "nothing fetched") && strstr(body, "since its last story"),
              "the cause is named: %s", body);
    free(body);
    const char *want[] = {
        "newswire_consumer_partition_stalled{topic=\"news.big\",partition=\"0\"} 1",
        "newswire_consumer_partition_stalled{topic=\"news.small\",partition=\"0\"} 0",
    };
    assert_metrics(&r, want, sizeof want / sizeof want[0]);

    /* fetches are served again: the stories arrive, the stall ends */
    wait_lines(record, 4, 90000);
    free(wait_readyz(&r, 200, NULL));
    stop_consumer(&r);
    cr_assert_eq(r.tc.rc, 0, "%s", r.tc.err.msg);
}

/* Commit `offset` of news.old/0 for the group "stall", as an earlier run of
 * the consumer would have. */
static void commit_offset(int64_t offset)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "stall", errstr, sizeof errstr);
    rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    cr_assert_not_null(k, "%s", errstr);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "news.old", 0)->offset = offset;
    cr_assert_eq(rd_kafka_commit(k, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
}

Test(stall, expired_stories_are_counted, .timeout = 120)
{
    setup_broker();
    nw_err err = {0};
    cr_assert_eq(nw_broker_create_topic(broker, "news.old", 1, &err), 0, "%s", err.msg);
    commit_offset(0);
    rd_kafka_t *p = test_producer();
    for (int i = 0; i < 80; i++) { /* 8 MB: more than the broker keeps */
        char uri[64];
        snprintf(uri, sizeof uri, "urn:old:%d", i);
        produce_story(p, "news.old", uri, 100 * 1024);
        cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    }
    int64_t lo = -1, hi = -1;
    cr_assert_eq(rd_kafka_query_watermark_offsets(p, "news.old", 0, &lo, &hi, 10000), 0);
    rd_kafka_destroy(p);
    cr_assert_gt(lo, 0, "the broker dropped the oldest stories (log start %lld)", (long long)lo);
    cr_assert_eq(hi, 80);

    char record[4096];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    runner r = {0};
    start_consumer_on(&r, "[news.old]", record, "urn:none");
    wait_lines(record, (int)(hi - lo), 60000);
    char *body = NULL;
    cr_assert_eq(nw_test_http_status(r.port, "/metrics", &body), 200);
    char want[256];
    snprintf(want, sizeof want,
             "newswire_consumer_skipped_messages_total{topic=\"news.old\",partition=\"0\"} %lld",
             (long long)lo);
    cr_assert(strstr(body, want), "missing %s in:\n%s", want, body);
    cr_assert(
        strstr(body, "newswire_consumer_offset_resets_total{topic=\"news.old\",partition=\"0\"} 1"),
        "%s", body);
    free(body);
    stop_consumer(&r);
    cr_assert_eq(r.tc.rc, 0, "%s", r.tc.err.msg);
}
