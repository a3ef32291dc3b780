/*
 * test_consumer_backpressure — the consumer host against an in-process mock
 * broker (nw_broker), run in a thread so its counters can be watched:
 * - a sink that is down (nwtest-sink fail_while_exists) makes the host pause
 *   the partitions and keep polling: the member stays in the group past
 *   max.poll.interval.ms, the buffered bytes stay under max_buffered_bytes,
 *   and after the sink recovers everything is delivered once, in partition
 *   order, and committed;
 * - with several workers every partition's stories stay in order;
 * - a retryable failure is retried and then succeeds; a permanent one goes
 *   to the DLQ with its origin headers while the rest is committed;
 * - stop (SIGTERM) while workers are busy commits only what was flushed;
 * - partitions paused by a retrying batch and then lost in a rebalance (the
 *   coordinator forgets the member) are fetched again once reassigned, with
 *   the cooperative and with an eager assignor, and with static membership
 *   (docs/benchmarks.md);
 * - a failed rebalance under the cooperative protocol lets the partitions go
 *   incrementally and the group rebalances again.
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_kafka.h"
#include "nw_testconsumer.h"
#include "nw_testutil.h"

#include <librdkafka/rdkafka_mock.h>

static nw_broker *broker;
static char *tmp;

static void teardown(void)
{
    nw_broker_free(broker);
    broker = NULL;
    nw_test_rm_tmp(&tmp);
}

TestSuite(backpressure, .fini = teardown);

static void setup_broker(const char *topic, int partitions)
{
    nw_err err = {0};
    broker = nw_broker_new(1, partitions, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, topic, partitions, &err), 0, "%s", err.msg);
}

/* n messages keyed urn:bp:<i> (spread over the partitions), value of `size` bytes. */
static void produce(const char *topic, int n, size_t size)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cr_assert_not_null(p, "%s", errstr);
    char *value = malloc(size + 1);
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "urn:bp:%d", i);
        int l = snprintf(value, size + 1, "{\"uri\":\"%s\",\"pad\":\"", key);
        memset(value + l, 'x', size - (size_t)l - 2);
        memcpy(value + size - 2, "\"}", 2);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(
                    p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, size),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        cr_assert_eq(e, 0, "%s", rd_kafka_err2str(e));
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    free(value);
    rd_kafka_destroy(p);
}

typedef nw_test_consumer runner;

static void start(runner *r, const char *yaml, const char *group, int64_t idle_ms)
{
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "test.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    nw_consumer_opts opts = {.group = group, .exit_when_idle_ms = idle_ms};
    nw_test_consumer_new(r, cfg, &opts);
    nw_test_consumer_run(r);
}

static void finish(runner *r)
{
    nw_test_consumer_join(r);
    cr_assert_eq(r->rc, 0, "consumer failed: %s", r->err.msg);
}

static void release(runner *r)
{
    nw_test_consumer_free(r);
}

/* Consumer config with the nwtest-sink chain; kafka_extra goes into the
 * kafka map (indented lines). */
static char *config_kafka(const char *topic, const char *kafka_extra, const char *extra,
                          const char *sink_settings)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char *yaml = malloc(8192);
    snprintf(yaml, 8192,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 3000\n"
             "  heartbeat.interval.ms: 300\n"
             "  max.poll.interval.ms: 3000\n"
             "%s"
             "topics: %s\n"
             "retry: {initial: 20ms, max: 100ms}\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "%s"
             "chain:\n"
             "  - path: %s\n"
             "    record: %s/record.txt\n"
             "%s",
             nw_broker_bootstrap(broker), kafka_extra, topic, extra, so, tmp, sink_settings);
    free(so);
    return yaml;
}

/* Consumer config with the nwtest-sink chain. */
static char *config(const char *topic, const char *extra, const char *sink_settings)
{
    return config_kafka(topic, "", extra, sink_settings);
}

/* The sink is down while `ctl` (a file in tmp, created here) exists: its
 * nwtest-sink settings into `settings`. */
static void sink_down(char ctl[4096], char settings[4200])
{
    snprintf(ctl, 4096, "%s/sink-down", tmp);
    cr_assert_eq(nw_test_write_file(ctl, "", 0), 0);
    snprintf(settings, 4200, "    fail_while_exists: %s\n", ctl);
}

typedef struct rec {
    int partition;
    long long offset;
    char uri[64];
} rec;

/* Parse record.txt; returns the count. */
static size_t read_records(rec **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/record.txt", tmp);
    char *text = nw_test_read_file(path, NULL);
    size_t n = 0, cap = 1024;
    rec *r = malloc(cap * sizeof *r);
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (n == cap)
            r = realloc(r, (cap *= 2) * sizeof *r);
        char topic[256];
        cr_assert_eq(
            sscanf(line, "%255s %d %lld %63s", topic, &r[n].partition, &r[n].offset, r[n].uri), 4,
            "bad record line %s", line);
        n++;
    }
    free(text);
    *out = r;
    return n;
}

/* Read record.txt until it holds `want` records (up to 40 s); *recs (freed
 * first, NULL at the start) gets them. Returns the count. */
static size_t wait_records(rec **recs, size_t want)
{
    size_t n = 0;
    for (int i = 0; i < 400 && n < want; i++) {
        free(*recs);
        nw_test_sleep_ms(100);
        n = read_records(recs);
    }
    return n;
}

/* Every partition's records are its offsets 0..end-1, each once, in order. */
static void assert_complete_in_order(const rec *r, size_t n, int partitions, int total)
{
    long long next[64] = {0};
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(r[i].partition, partitions);
        cr_assert_eq(r[i].offset, next[r[i].partition],
                     "partition %d: offset %lld recorded where %lld was due (record %zu)",
                     r[i].partition, r[i].offset, next[r[i].partition], i);
        next[r[i].partition]++;
    }
    cr_assert_eq(n, (size_t)total, "%zu records for %d stories", n, total);
}

/* Committed offset of each partition of `topic` for `group`. */
static void committed(const char *group, const char *topic, int partitions, long long *out)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, topic, p);
    cr_assert_eq(rd_kafka_committed(rk, l, 10000), 0);
    for (int p = 0; p < partitions; p++)
        out[p] = l->elems[p].offset < 0 ? 0 : l->elems[p].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

Test(backpressure, failing_sink_pauses_partitions_bounds_memory_and_loses_nothing, .timeout = 120)
{
    tmp = nw_test_mkdtemp("bp");
    setup_broker("news.bp", 3);
    const int total = 600;
    const size_t size = 2048;
    produce("news.bp", total, size);
    char ctl[4096], settings[4200];
    sink_down(ctl, settings);
    const uint64_t cap = 64 * 1024;
    char *yaml = config("news.bp",
                        "workers: 2\nmax_buffered_bytes: 64KiB\n"
                        "batch: {max_messages: 20, max_ms: 50ms}\n",
                        settings);
    runner r;
    start(&r, yaml, "bp-1", 2000);

    /* the sink is down: partitions get paused, the buffer stays capped */
    nw_consumer_stats s = {0};
    for (int i = 0; i < 200 && !(s.pauses && s.paused_partitions); i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_gt(s.pauses, 0, "no partition was paused");
    /* stay down past max.poll.interval.ms (3 s): still a member afterwards */
    for (int i = 0; i < 40; i++) {
        nw_test_sleep_ms(100);
        s = nw_consumer_get_stats(r.c);
        cr_assert_leq(s.buffered_bytes, cap + size + 64, "buffered %llu above the cap",
                      (unsigned long long)s.buffered_bytes);
    }
    cr_assert_eq(s.batches, 0, "nothing can be finished while the sink is down");
    cr_assert_gt(s.paused_partitions, 0);
    cr_assert_leq(s.buffered_bytes_peak, cap + size + 64, "peak %llu",
                  (unsigned long long)s.buffered_bytes_peak);

    /* the sink recovers: resumed, everything delivered once, in order */
    unlink(ctl);
    finish(&r);
    s = nw_consumer_get_stats(r.c);
    cr_assert_eq(s.messages, (uint64_t)total, "consumed %llu: a rejoin would re-read",
                 (unsigned long long)s.messages);
    cr_assert_eq(s.paused_partitions, 0);
    cr_assert_eq(s.buffered_bytes, 0);
    release(&r);
    rec *recs;
    size_t n = read_records(&recs);
    assert_complete_in_order(recs, n, 3, total);
    long long off[3];
    committed("bp-1", "news.bp", 3, off);
    cr_assert_eq(off[0] + off[1] + off[2], total);
    free(recs);
    free(yaml);
}

Test(backpressure, workers_keep_each_partition_in_order, .timeout = 120)
{
    tmp = nw_test_mkdtemp("bp-order");
    setup_broker("news.order", 6);
    const int total = 3000;
    produce("news.order", total, 200);
    char *yaml = config("news.order", "workers: 4\nbatch: {max_messages: 37, max_ms: 20ms}\n",
                        "    delay_ms: 2\n");
    runner r;
    start(&r, yaml, "order-1", 1500);
    finish(&r);
    nw_consumer_stats s = nw_consumer_get_stats(r.c);
    release(&r);
    cr_assert_geq(s.batches, (uint64_t)(total / 37), "batches %llu", (unsigned long long)s.batches);
    rec *recs;
    size_t n = read_records(&recs);
    assert_complete_in_order(recs, n, 6, total);
    long long off[6], sum = 0;
    committed("order-1", "news.order", 6, off);
    for (int p = 0; p < 6; p++)
        sum += off[p];
    cr_assert_eq(sum, total);
    free(recs);
    free(yaml);
}

Test(backpressure, retryable_then_success_and_permanent_to_dlq, .timeout = 120)
{
    tmp = nw_test_mkdtemp("bp-dlq");
    setup_broker("news.dlqtest", 2);
    cr_assert_eq(nw_broker_create_topic(broker, "news.dlq", 1, NULL), 0);
    const int total = 50;
    produce("news.dlqtest", total, 100);
    char *yaml =
        config("news.dlqtest", "workers: 2\n", "    retries: 3\n    fatal_uri: urn:bp:7\n");
    runner r;
    start(&r, yaml, "dlq-1", 1500);
    finish(&r);
    nw_consumer_stats s = nw_consumer_get_stats(r.c);
    release(&r);
    cr_assert_eq(s.dead_letters, 1);
    cr_assert_eq(s.dlq_produced, 1);
    rec *recs;
    size_t n = read_records(&recs);
    cr_assert_eq(n, (size_t)total - 1, "all but the poison story stored");
    for (size_t i = 0; i < n; i++)
        cr_assert_str_neq(recs[i].uri, "urn:bp:7");
    long long off[2];
    committed("dlq-1", "news.dlqtest", 2, off);
    cr_assert_eq(off[0] + off[1], total, "the dead letter is committed too");

    /* the DLQ holds the poison story with its origin */
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "news.dlq", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_message_t *m = NULL;
    for (int i = 0; i < 100 && !(m && !m->err); i++) {
        if (m)
            rd_kafka_message_destroy(m);
        m = rd_kafka_consumer_poll(rk, 100);
    }
    cr_assert(m && !m->err, "no dead letter");
    cr_assert_eq(m->key_len, strlen("urn:bp:7"));
    cr_assert_eq(memcmp(m->key, "urn:bp:7", m->key_len), 0);
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t vl;
    cr_assert_eq(rd_kafka_message_headers(m, &h), 0);
    cr_assert_eq(rd_kafka_header_get_last(h, "nw-origin-topic", &v, &vl), 0);
    cr_assert_eq(vl, strlen("news.dlqtest"));
    cr_assert_eq(rd_kafka_header_get_last(h, "nw-plugin", &v, &vl), 0);
    cr_assert_eq(memcmp(v, "nwtest-sink", vl), 0);
    rd_kafka_message_destroy(m);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(recs);
    free(yaml);
}

Test(backpressure, stop_with_busy_workers_commits_only_what_was_flushed, .timeout = 120)
{
    tmp = nw_test_mkdtemp("bp-stop");
    setup_broker("news.stop", 4);
    const int total = 2000;
    produce("news.stop", total, 100);
    char *yaml = config("news.stop", "workers: 3\nbatch: {max_messages: 25, max_ms: 20ms}\n",
                        "    delay_ms: 30\n");
    runner r;
    start(&r, yaml, "stop-1", -1);
    nw_consumer_stats s = {0};
    for (int i = 0; i < 200 && s.batches < 10; i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_geq(s.batches, 10);
    nw_consumer_stop(r.c);
    finish(&r);
    release(&r);

    rec *recs;
    size_t n = read_records(&recs);
    cr_assert_lt(n, (size_t)total, "stopped before the end");
    long long recorded[4] = {0}, off[4];
    for (size_t i = 0; i < n; i++)
        recorded[recs[i].partition]++;
    committed("stop-1", "news.stop", 4, off);
    for (int p = 0; p < 4; p++)
        cr_assert_leq(off[p], recorded[p], "partition %d: committed %lld but only %lld flushed", p,
                      off[p], recorded[p]);
    free(recs);

    /* a restart finishes the rest: every story at least once, in order per run */
    start(&r, yaml, "stop-1", 1500);
    finish(&r);
    release(&r);
    n = read_records(&recs);
    char *seen = calloc((size_t)total, 1);
    for (size_t i = 0; i < n; i++)
        seen[atoi(recs[i].uri + strlen("urn:bp:"))] = 1;
    for (int i = 0; i < total; i++)
        cr_assert(seen[i], "urn:bp:%d lost", i);
    free(seen);
    free(recs);
    free(yaml);
}

Test(backpressure, retrying_batch_pauses_its_partitions_below_the_cap, .timeout = 120)
{
    tmp = nw_test_mkdtemp("bp-retry");
    setup_broker("news.retry", 2);
    const int total = 40;
    produce("news.retry", total, 100);
    char ctl[4096], settings[4200];
    sink_down(ctl, settings);
    /* one batch takes everything: both partitions are in the failing batch
     * (a whole second to gather it, so a slow fetch under ASan on a busy
     * machine cannot split the partitions into two batches) */
    char *yaml = config("news.retry", "batch: {max_messages: 100, max_ms: 1s}\n", settings);
    runner r;
    start(&r, yaml, "retry-1", 1500);
    nw_consumer_stats s = {0};
    for (int i = 0; i < 600 && s.paused_partitions < 2; i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_eq(s.paused_partitions, 2, "the failing batch's partitions are paused");
    cr_assert_lt(s.buffered_bytes, 64u << 20, "far below the default cap");
    unlink(ctl);
    finish(&r);
    s = nw_consumer_get_stats(r.c);
    release(&r);
    cr_assert_eq(s.paused_partitions, 0, "resumed after the sink recovered");
    rec *recs;
    size_t n = read_records(&recs);
    assert_complete_in_order(recs, n, 2, total);
    free(recs);
    free(yaml);
}

/* The stall behind docs/benchmarks.md's former "Known problem": a batch
 * retrying on a down sink pauses its partitions; the assignment is then lost
 * (the coordinator no longer knows the member: its heartbeat answers
 * UNKNOWN_MEMBER_ID), the batch is abandoned on revoke and the same
 * partitions come back. librdkafka keeps a partition's pause across unassign
 * and assign, so unless the host resumes them (before they go, or when they
 * come back) they are never fetched again: nothing after the rebalance
 * arrives. */
static void lost_assignment_case(const char *name, const char *kafka_extra)
{
    tmp = nw_test_mkdtemp(name);
    setup_broker("news.lost", 2);
    const int first = 40, total = 80;
    produce("news.lost", first, 100);
    char ctl[4096], settings[4200];
    sink_down(ctl, settings);
    /* one batch holds both partitions (see the test above); a short
     * revoke_timeout abandons it quickly on revoke */
    char *yaml =
        config_kafka("news.lost", kafka_extra,
                     "revoke_timeout: 300ms\nbatch: {max_messages: 100, max_ms: 1s}\n", settings);
    runner r;
    start(&r, yaml, name, -1);
    nw_consumer_stats s = {0};
    for (int i = 0; i < 600 && s.paused_partitions < 2; i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_eq(s.paused_partitions, 2, "the failing batch's partitions are paused");

    /* 12 = Heartbeat: the member is unknown, its assignment is lost */
    rd_kafka_mock_push_request_errors(nw_broker_cluster(broker), 12, 1,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
    for (int i = 0; i < 600 && !s.abandoned_batches; i++) {
        nw_test_sleep_ms(50);
        s = nw_consumer_get_stats(r.c);
    }
    cr_assert_eq(s.abandoned_batches, 1, "the retrying batch is abandoned on revoke");

    /* the sink recovers; more stories arrive after the rebalance */
    unlink(ctl);
    produce("news.lost", total - first, 100);
    rec *recs = NULL;
    size_t n = wait_records(&recs, total);
    nw_consumer_stop(r.c);
    finish(&r);
    s = nw_consumer_get_stats(r.c);
    release(&r);
    cr_assert_eq(n, (size_t)total,
                 "%zu of %d stories stored: the reassigned partitions stayed paused", n, total);
    assert_complete_in_order(recs, n, 2, total);
    cr_assert_eq(s.paused_partitions, 0);
    long long off[2];
    committed(name, "news.lost", 2, off);
    cr_assert_eq(off[0] + off[1], total);
    free(recs);
    free(yaml);
}

Test(backpressure, paused_partitions_fetch_again_after_a_lost_assignment, .timeout = 180)
{
    lost_assignment_case("lost-coop", "");
}

Test(backpressure, paused_partitions_fetch_again_after_a_lost_eager_assignment, .timeout = 180)
{
    lost_assignment_case("lost-eager", "  partition.assignment.strategy: range\n");
}

Test(backpressure, paused_partitions_fetch_again_after_a_lost_static_assignment, .timeout = 180)
{
    lost_assignment_case("lost-static", "  group.instance.id: lost-static-1\n");
}

/* Found last session: a failed rebalance (an error other than assign or
 * revoke) made the host forget every partition and call assign(NULL),
 * which the cooperative protocol refuses: librdkafka kept waiting for an
 * incremental unassign and the group never rebalanced again. Now the
 * partitions given are let go as by a revoke, incrementally. librdkafka
 * reports no failed rebalance by itself: the consumer's fault injection
 * turns the revoke of a lost assignment into one. */
Test(backpressure, a_failed_cooperative_rebalance_unassigns_incrementally, .timeout = 90)
{
    tmp = nw_test_mkdtemp("fail-coop");
    setup_broker("news.fail", 2);
    const int first = 20, total = 40;
    produce("news.fail", first, 100);
    char *yaml = config("news.fail", "batch: {max_messages: 10, max_ms: 50ms}\n", "");
    runner r;
    start(&r, yaml, "fail-coop", -1);
    rec *recs = NULL;
    cr_assert_eq(wait_records(&recs, first), (size_t)first);

    /* the member is lost (12 = Heartbeat); its revoke arrives as a failure */
    nw_consumer_fail_next_revoke(r.c, RD_KAFKA_RESP_ERR__FAIL);
    rd_kafka_mock_push_request_errors(nw_broker_cluster(broker), 12, 1,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
    nw_test_sleep_ms(2000); /* a heartbeat or two: the group rebalances */
    produce("news.fail", total - first, 100);
    size_t n = wait_records(&recs, total);
    nw_consumer_stop(r.c);
    finish(&r);
    release(&r);
    cr_assert_eq(n, (size_t)total, "%zu of %d stories stored after the failed rebalance", n, total);
    assert_complete_in_order(recs, n, 2, total);
    long long off[2];
    committed("fail-coop", "news.fail", 2, off);
    cr_assert_eq(off[0] + off[1], total);
    free(recs);
    free(yaml);
}
