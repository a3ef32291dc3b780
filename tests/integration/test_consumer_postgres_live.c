/*
 * test_consumer_postgres_live — the consumer host (in-process) reading the
 * embedded broker (librdkafka's mock cluster, what `newswire broker` runs)
 * into the postgres sink, against a real server started by nw_testpg:
 *   - /readyz follows the server: 200 while it answers, 503 naming the
 *     postgres plugin and the server's host (never the conninfo) while it is
 *     stopped, with newswire_plugin_ready{plugin="postgres"} 0, and 200 again
 *     after a restart, without a story arriving (the plugin's ready() check);
 *   - live mode: PostgreSQL stopped for 20 s in the middle of a steady
 *     stream: nothing lost, every uri at its newest version, and the
 *     consumer resumes by itself (no restart, no operator).
 * Skipped when the PostgreSQL binaries are absent.
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
#include "nw_testpg.h"
#include "nw_testconsumer.h"
#include "nw_testutil.h"

static nw_test_pg pg;
static nw_broker *broker;
static char *tmp;

static void setup(void)
{
    nw_test_pg_start_or_skip(&pg);
    tmp = nw_test_mkdtemp("consumer-pg-live");
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.world", 2, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    nw_broker_free(broker);
    broker = NULL;
    nw_test_pg_destroy(&pg);
    if (tmp)
        nw_test_rm_rf(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(consumer_postgres_live, .init = setup, .fini = teardown, .timeout = 300);

static rd_kafka_t *producer(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cr_assert_not_null(p, "%s", errstr);
    return p;
}

static void produce_story(rd_kafka_t *p, int uri, int version)
{
    char key[64], value[512];
    snprintf(key, sizeof key, "urn:pglive:%04d", uri);
    snprintf(value, sizeof value,
             "{\"uri\":\"%s\",\"version\":\"%d\",\"versionCreated\":\"2024-05-01T10:%02d:00Z\","
             "\"pubStatus\":\"usable\",\"language\":\"en\",\"headlines\":[{\"value\":\"Story %d "
             "version %d\"}],\"bodies\":[{\"contentType\":\"text/plain\",\"value\":\"The harbour "
             "was closed by the storm.\"}]}",
             key, version, version, uri, version);
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("news.world"),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_KEY(key, strlen(key)),
                                   RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END),
                 0);
    rd_kafka_poll(p, 0);
}

/* GET path on 127.0.0.1:port; returns the status, body in *body. */
static int http_get(int port, const char *path, char **body)
{
    char *raw = nw_test_http_get(port, path);
    cr_assert_not_null(raw, "GET %s", path);
    int status = 0;
    sscanf(raw, "HTTP/1.%*d %d", &status);
    char *b = strstr(raw, "\r\n\r\n");
    *body = strdup(b ? b + 4 : "");
    free(raw);
    return status;
}

/* Poll /readyz until it answers `want` with every one of `words` in its
 * body (at most ~30 s). Returns the last status; the last body in *body. */
static int wait_readyz(int port, int want, const char *const *words, size_t nwords, char **body)
{
    int status = 0;
    for (int i = 0; i < 300; i++) {
        free(*body);
        *body = NULL;
        status = http_get(port, "/readyz", body);
        bool all = status == want;
        for (size_t k = 0; k < nwords && all; k++)
            all = strstr(*body, words[k]) != NULL;
        if (all)
            break;
        nw_test_sleep_ms(100);
    }
    return status;
}

static long pg_long(const char *sql)
{
    char *c = nw_test_pg_query(&pg, sql);
    long n = c ? atol(c) : -1; /* the table appears with the first connection */
    free(c);
    return n;
}

static void wait_rows(const char *sql, long want, int seconds)
{
    long n = -1;
    for (int i = 0; i < seconds * 10 && n != want; i++) {
        nw_test_sleep_ms(100);
        n = pg_long(sql);
    }
    cr_assert_eq(n, want, "%s", sql);
}

typedef nw_test_consumer runner;

static void start_consumer(runner *r)
{
    char yaml[2048], path[1024];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 3000\n"
             "  heartbeat.interval.ms: 300\n"
             "  auto.offset.reset: earliest\n"
             "topics: news.world\n"
             "batch: {max_messages: 50, max_ms: 20ms}\n"
             "retry: {initial: 50ms, max: 500ms}\n"
             "http: {listen: \"127.0.0.1:0\", ready_interval: 200ms}\n"
             "chain:\n"
             "  - plugin: postgres\n"
             "    conninfo: \"%s connect_timeout=2\"\n",
             nw_broker_bootstrap(broker), pg.conninfo);
    snprintf(path, sizeof path, "%s/consumer.yaml", tmp);
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    nw_consumer_opts opts = {.group = "pg-live", .exit_when_idle_ms = -1};
    nw_test_consumer_new_file(r, path, &opts);
    nw_test_consumer_run(r);
}

static void stop_consumer(runner *r)
{
    nw_test_consumer_stop(r);
    cr_assert_eq(r->rc, 0, "%s", r->err.msg);
    nw_test_consumer_free(r);
}

static const char count_sql[] = "SELECT count(*) FROM stories";

Test(consumer_postgres_live, readyz_names_postgres_while_it_is_down)
{
    rd_kafka_t *p = producer();
    for (int u = 0; u < 50; u++)
        produce_story(p, u, 1);
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    runner r = {0};
    start_consumer(&r);
    int port = nw_consumer_http_port(r.c);
    wait_rows(count_sql, 50, 60);
    char *body = NULL;
    cr_assert_eq(wait_readyz(port, 200, NULL, 0, &body), 200, "%s", body);

    /* stopped: not ready, the plugin and the server named, no conninfo */
    cr_assert_eq(nw_test_pg_stop(&pg), 0);
    const char *down[] = {"plugin postgres", "127.0.0.1"};
    cr_assert_eq(wait_readyz(port, 503, down, 2, &body), 503, "%s", body);
    cr_assert(strstr(body, "plugin postgres") && strstr(body, "127.0.0.1"), "%s", body);
    cr_assert_null(strstr(body, "dbname="), "the conninfo is not shown: %s", body);
    cr_log_info("/readyz while PostgreSQL is down: %s", body);
    free(body);
    body = NULL;
    cr_assert_eq(http_get(port, "/metrics", &body), 200);
    cr_assert(strstr(body, "newswire_plugin_ready{plugin=\"postgres\"} 0"), "%s", body);
    free(body);
    body = NULL;

    /* back: ready again by itself, before any new story */
    cr_assert_eq(nw_test_pg_restart(&pg), 0);
    cr_assert_eq(wait_readyz(port, 200, NULL, 0, &body), 200, "%s", body);
    free(body);
    body = NULL;
    cr_assert_eq(http_get(port, "/metrics", &body), 200);
    cr_assert(strstr(body, "newswire_plugin_ready{plugin=\"postgres\"} 1"), "%s", body);
    free(body);

    for (int u = 50; u < 100; u++)
        produce_story(p, u, 1);
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);
    wait_rows(count_sql, 100, 60);
    stop_consumer(&r);
}

#define LIVE_URIS     200
#define LIVE_VERSIONS 5

typedef struct feed {
    int sent;
    bool done;
} feed;

/* A steady stream: every uri at version 1, then every uri at 2, ...; one
 * story every 15 ms (about 15 s in all). */
static void *feed_thread(void *arg)
{
    feed *f = arg;
    rd_kafka_t *p = producer();
    for (int v = 1; v <= LIVE_VERSIONS; v++)
        for (int u = 0; u < LIVE_URIS; u++) {
            produce_story(p, u, v);
            __atomic_add_fetch(&f->sent, 1, __ATOMIC_SEQ_CST);
            nw_test_sleep_ms(15);
        }
    cr_assert_eq(rd_kafka_flush(p, 60000), 0);
    rd_kafka_destroy(p);
    __atomic_store_n(&f->done, true, __ATOMIC_SEQ_CST);
    return NULL;
}

Test(consumer_postgres_live, server_stopped_20s_mid_stream_nothing_lost)
{
    runner r = {0};
    start_consumer(&r);
    int port = nw_consumer_http_port(r.c);
    feed f = {0};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, feed_thread, &f), 0);
    /* some of the stream is in, then the server goes away for 20 s */
    wait_rows(count_sql, LIVE_URIS, 60);
    cr_assert_eq(nw_test_pg_stop(&pg), 0);
    int sent_at_stop = __atomic_load_n(&f.sent, __ATOMIC_SEQ_CST);
    char *body = NULL;
    const char *down[] = {"postgres"};
    cr_assert_eq(wait_readyz(port, 503, down, 1, &body), 503, "%s", body);
    free(body);
    body = NULL;
    sleep(20);
    cr_assert_gt(__atomic_load_n(&f.sent, __ATOMIC_SEQ_CST), sent_at_stop,
                 "the stream went on while the server was down");
    cr_assert_eq(nw_test_pg_restart(&pg), 0);
    pthread_join(th, NULL);
    cr_assert(f.done);

    /* every uri at its newest version, nothing lost, no restart needed */
    wait_rows("SELECT count(*) FROM stories WHERE version = 5", LIVE_URIS, 120);
    cr_assert_eq(pg_long(count_sql), LIVE_URIS);
    cr_assert_eq(wait_readyz(port, 200, NULL, 0, &body), 200, "%s", body);
    free(body);
    nw_consumer_stats st = nw_consumer_get_stats(r.c);
    cr_assert_eq(st.messages >= (uint64_t)(LIVE_URIS * LIVE_VERSIONS), true,
                 "every story consumed: %llu", (unsigned long long)st.messages);
    cr_assert_eq(st.dead_letters, 0);
    stop_consumer(&r);
}
