/*
 * test_consumer_forward — deploy/consumer-forward.yaml, as shipped, run once
 * against `newswire broker`: stories published with `newswire-producer
 * --once` go through archive-fs then forward-kafka; every enriched.<category>
 * topic must hold its stories once, keyed by uri, with the producer's headers
 * carried and the forward headers added, the archive must hold them too and
 * the group must have committed everything. Only the addresses and the
 * archive root are overridden (environment, as a container would).
 *
 * And the embargo hold across a SIGKILL (docs/story-state.md): an embargoed
 * story is not forwarded before its time, the stories around it are, a kill
 * before the release wins, the consumer is SIGKILLed while the story waits
 * and the next one releases it; the skip counters show in /metrics.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

static pid_t broker_pid = -1, consumer_pid = -1;
static char *tmp;

static void teardown(void)
{
    nw_test_end_child(&consumer_pid, 5);
    nw_test_end_child(&broker_pid, 5);
    nw_test_rm_tmp(&tmp);
}

TestSuite(consumer_forward, .fini = teardown);

/* `newswire broker` as a child that dies with us; returns the bootstrap. */
static char *start_broker(void)
{
    char *bs = NULL;
    broker_pid = nw_test_start_broker(NULL, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    return bs;
}

static void write_story(const char *dir, const char *name, const char *headline,
                        const char *categories)
{
    char path[4096], text[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(text, sizeof text,
             "%s\n\nSource:AFP Published: 2024-03-0%d 10:15:00\n\n"
             "%s, the wire reported on Tuesday, in a story written for this test.\n\n"
             "Posted in: %s\n",
             headline, (int)strlen(name) % 9 + 1, headline, categories);
    cr_assert_eq(nw_test_write_file(path, text, strlen(text)), 0);
}

/* Every message of `topic` from the beginning (see nw_test_read_topic). */
static void read_topic(const char *bs, const char *topic, int want, nw_test_topic *g)
{
    char err[512];
    cr_assert_eq(nw_test_read_topic(bs, topic, want, 10000, g, err, sizeof err), 0, "%s", err);
}

/* Lines of every .jsonl file under dir, appended to *all. */
static int archive_lines(const char *dir, char **all)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.jsonl' -type f | sort", dir);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char path[4096];
    int lines = 0;
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = '\0';
        char *c = nw_test_read_file(path, NULL);
        cr_assert_not_null(c);
        for (char *p = c; *p; p++)
            lines += *p == '\n';
        *all = realloc(*all, strlen(*all) + strlen(c) + 1);
        strcat(*all, c);
        free(c);
    }
    pclose(f);
    return lines;
}

Test(consumer_forward, deploy_example_archives_and_forwards_with_keys_and_headers, .timeout = 240)
{
    tmp = nw_test_mkdtemp("consumer-forward");
    char *bs = start_broker();

    char in[4096], archive[4096];
    snprintf(in, sizeof in, "%s/in", tmp);
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    cr_assert_eq(mkdir(in, 0755), 0);
    write_story(in, "a.txt", "Ceasefire talks resume in Cairo", "Mid-East, Americas");
    write_story(in, "bb.txt", "Cup final goes to extra time", "Sport");
    write_story(in, "ccc.txt", "Central bank holds rates", "Business");

    char *producer = nw_test_bin_path("producers/newswire-producer");
    char *pargv[] = {producer, "--brokers", bs, "--once", in, NULL};
    char *out = NULL, *errout = NULL;
    int rc = nw_test_run(pargv, NULL, 60, &out, &errout);
    cr_assert_eq(rc, 0, "producer exit %d\n%s", rc, errout);
    free(out), free(errout);

    /* the shipped example, with the addresses and the root overridden */
    char *config = NULL;
    {
        const char *src = getenv("NW_SOURCE_DIR");
        cr_assert_not_null(src, "NW_SOURCE_DIR not set");
        size_t n = strlen(src) + 64;
        config = malloc(n);
        snprintf(config, n, "%s/deploy/consumer-forward.yaml", src);
    }
    setenv("NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS", bs, 1);
    setenv("NEWSWIRE_KAFKA__SESSION__TIMEOUT__MS", "6000", 1);
    setenv("NEWSWIRE_CHAIN__0__ROOT", archive, 1);
    setenv("NEWSWIRE_CHAIN__1__BROKERS", bs, 1);
    setenv("NEWSWIRE_HTTP__LISTEN", "", 1);

    /* it loads and validates as a config (the same check the binary does) */
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_file(config, &cfg, &err), 0, "%s", err.msg);
    nw_config_free(cfg);

    char *consumer = nw_test_bin_path("consumers/newswire-consumer");
    char *cargv[] = {consumer,         "--config",         config, "--group",
                     "nwtest-forward", "--exit-when-idle", "3000", NULL};
    rc = nw_test_run(cargv, NULL, 120, &out, &errout);
    cr_assert_eq(rc, 0, "consumer exit %d\n%s", rc, errout);
    free(out), free(errout);

    /* archive: one line per (story, category) */
    char *lines = strdup("");
    cr_assert_eq(archive_lines(archive, &lines), 4, "archive:\n%s", lines);

    struct {
        const char *topic, *origin, *needle;
    } want[] = {
        {"enriched.mid-east", "news.mid-east", "Ceasefire talks"},
        {"enriched.americas", "news.americas", "Ceasefire talks"},
        {"enriched.sport", "news.sport", "Cup final"},
        {"enriched.business", "news.business", "Central bank"},
    };
    char b[256], b2[256];
    char ceasefire_uri[256] = "";
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        nw_test_topic g;
        read_topic(bs, want[i].topic, 1, &g);
        cr_assert_eq(g.n, 1, "%s holds %d messages", want[i].topic, g.n);
        rd_kafka_message_t *m = g.m[0];
        char *value = strndup(m->payload, m->len);
        cr_assert(strstr(value, want[i].needle), "%s: %s", want[i].topic, value);
        /* key = uri, and that uri is the one archived */
        cr_assert_gt(m->key_len, 0, "%s: no key", want[i].topic);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)m->key_len, (const char *)m->key);
        char quoted[300];
        snprintf(quoted, sizeof quoted, "\"uri\":\"%s\"", key);
        cr_assert(strstr(value, quoted) || strstr(value, key), "%s: key %s not the uri of %s",
                  want[i].topic, key, value);
        cr_assert(strstr(lines, key), "%s: %s not archived", want[i].topic, key);
        if (!strcmp(want[i].needle, "Ceasefire talks")) {
            if (!ceasefire_uri[0])
                snprintf(ceasefire_uri, sizeof ceasefire_uri, "%s", key);
            else
                cr_assert_str_eq(key, ceasefire_uri, "one story, one key in both categories");
        }
        /* producer headers carried, forward headers added */
        cr_assert_not_null(nw_test_header(m, "nw-trace-id", b, sizeof b), "%s: nw-trace-id lost",
                           want[i].topic);
        cr_assert_str_eq(nw_test_header(m, "nw-schema", b, sizeof b), "ninjs/3.1");
        cr_assert_str_eq(nw_test_header(m, "content-type", b, sizeof b), "application/json");
        cr_assert_str_eq(nw_test_header(m, "nw-forwarded-by", b, sizeof b), "forward-kafka");
        cr_assert_str_eq(nw_test_header(m, "nw-origin-topic", b2, sizeof b2), want[i].origin);
        cr_assert_str_eq(nw_test_header(m, "nw-origin-offset", b, sizeof b), "0");
        cr_assert_not_null(nw_test_header(m, "nw-origin-partition", b, sizeof b));
        free(value);
        nw_test_topic_free(&g);
    }
    free(lines);
    free(consumer);
    free(producer);
    free(config);
    free(bs);
}

/* ------------------------------------------------------------- embargo */

/* Publish (uri, json) pairs to topic, in order, and wait for the acks. */
static void publish(const char *bs, const char *topic, const char *const *kv, size_t n)
{
    char es[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bs, es, sizeof es), 0, "%s", es);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);
    cr_assert_not_null(rk, "%s", es);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rd_kafka_producev(
                         rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(kv[2 * i], strlen(kv[2 * i])),
                         RD_KAFKA_V_VALUE((void *)kv[2 * i + 1], strlen(kv[2 * i + 1])),
                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

/* newswire-consumer --config config in the background, stderr to logpath;
 * returns its /metrics port. */
static int spawn_consumer(const char *config, const char *logpath)
{
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    consumer_pid = fork();
    cr_assert(consumer_pid >= 0);
    if (consumer_pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "--config", config, "--group", "nwtest-embargo", (char *)NULL);
        _exit(127);
    }
    free(bin);
    int port = nw_test_logged_http_port(logpath, 30);
    cr_assert_gt(port, 0, "the consumer never logged its http port");
    return port;
}

/* The messages of g with key uri, and the last one in *last. */
static int with_key(const nw_test_topic *g, const char *uri, rd_kafka_message_t **last)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        if (g->m[i]->key_len == strlen(uri) && !memcmp(g->m[i]->key, uri, g->m[i]->key_len)) {
            n++;
            if (last)
                *last = g->m[i];
        }
    return n;
}

static bool payload_has(const rd_kafka_message_t *m, const char *needle)
{
    char *v = strndup(m->payload, m->len);
    bool has = v && strstr(v, needle);
    free(v);
    return has;
}

/* The value of the series `name{...label...}` in a /metrics page, -1 if absent. */
static double metric_value(const char *page, const char *name, const char *label)
{
    for (const char *p = page; p && (p = strstr(p, name)); p++) {
        const char *eol = strchr(p, '\n');
        const char *l = strstr(p, label);
        if (p[strlen(name)] == '{' && l && (!eol || l < eol)) {
            const char *v = strchr(p, '}');
            return v ? strtod(v + 1, NULL) : -1;
        }
    }
    return -1;
}

Test(consumer_forward, embargoed_stories_wait_for_release_across_a_sigkill, .timeout = 240)
{
    tmp = nw_test_mkdtemp("consumer-embargo");
    char *bs = start_broker();
    /* far enough ahead for the first consumer to start, forward the rest
     * and be killed before the release */
    int64_t until = nw_test_wall_ms() + 25000;
    char *a = nw_test_story_version("urn:a", "usable", 1, 0),
         *e2 = nw_test_story_version("urn:e", "usable", 2, until),
         *e1 = nw_test_story_version("urn:e", "usable", 1, until),
         *k1 = nw_test_story_version("urn:k", "usable", 1, until),
         *kjson = nw_test_story_version("urn:k", "canceled", 1, 0),
         *k0 = nw_test_story_version("urn:k", "usable", 0, until),
         *b = nw_test_story_version("urn:b", "usable", 1, 0);
    const char *kv[] = {"urn:a", a,       "urn:e", e2,      "urn:e", e1,      "urn:k",
                        k1,      "urn:k", kjson,   "urn:k", k0,      "urn:b", b};
    publish(bs, "news.world", kv, 7);

    char config[4096], log1[4096], log2[4096], text[4096];
    snprintf(config, sizeof config, "%s/consumer.yaml", tmp);
    snprintf(log1, sizeof log1, "%s/consumer1.log", tmp);
    snprintf(log2, sizeof log2, "%s/consumer2.log", tmp);
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n  session.timeout.ms: 6000\n"
             "topics: \"^news\\\\..*\"\n"
             "batch: {max_messages: 10, max_ms: 50ms}\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "chain:\n  - plugin: forward-kafka\n    brokers: \"%s\"\n",
             bs, bs);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);

    /* 1. the stories around the embargoed ones and the kill go at once */
    int port = spawn_consumer(config, log1);
    nw_test_topic g;
    char err[512];
    cr_assert_eq(nw_test_read_topic(bs, "enriched.world", 3, 60000, &g, err, sizeof err), 0, "%s",
                 err);
    cr_assert_lt(nw_test_wall_ms(), until, "too slow to check the hold (raise the embargo)");
    rd_kafka_message_t *m = NULL;
    cr_assert_eq(with_key(&g, "urn:a", NULL), 1);
    cr_assert_eq(with_key(&g, "urn:b", NULL), 1, "not held back by the embargoed stories");
    cr_assert_eq(with_key(&g, "urn:k", &m), 1, "the kill, forwarded at once");
    cr_assert(payload_has(m, "canceled"));
    cr_assert_eq(with_key(&g, "urn:e", NULL), 0, "forwarded before its embargo");
    nw_test_topic_free(&g);
    /* the skips, counted apart (they were decided before urn:b was sent) */
    char *page = NULL;
    for (int i = 0; i < 200; i++) {
        free(page);
        page = nw_test_http_get(port, "/metrics");
        if (page && metric_value(page, "newswire_forward_kafka_versions_total",
                                 "outcome=\"skipped_killed\"") >= 1)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_not_null(page);
    cr_assert_eq(
        metric_value(page, "newswire_forward_kafka_versions_total", "outcome=\"skipped_killed\""),
        1, "%s", page);
    cr_assert_eq(
        metric_value(page, "newswire_forward_kafka_versions_total", "outcome=\"skipped_older\""), 1,
        "%s", page);
    cr_assert_eq(metric_value(page, "newswire_forward_kafka_versions_total", "outcome=\"held\""), 2,
                 "%s", page);
    free(page);

    /* 2. SIGKILL while urn:e waits; the next consumer releases it */
    kill(consumer_pid, SIGKILL);
    waitpid(consumer_pid, NULL, 0);
    consumer_pid = -1;
    cr_assert_lt(nw_test_wall_ms(), until, "too slow to check the hold (raise the embargo)");
    spawn_consumer(config, log2);
    int have = 0;
    while (!have) {
        cr_assert_eq(nw_test_read_topic(bs, "enriched.world", 4, 10000, &g, err, sizeof err), 0,
                     "%s", err);
        have = with_key(&g, "urn:e", &m);
        if (have) {
            cr_assert_eq(have, 1, "released once");
            cr_assert(payload_has(m, "\"version\":\"2\""), "v2, not v1");
            rd_kafka_timestamp_type_t tt;
            int64_t at = rd_kafka_message_timestamp(m, &tt);
            cr_assert_geq(at, until, "released %" PRId64 " ms early", until - at);
            fprintf(stderr, "urn:e released %" PRId64 " ms after its embargoedUntil\n", at - until);
        }
        cr_assert_eq(with_key(&g, "urn:k", &m), 1, "a killed story is never released");
        nw_test_topic_free(&g);
    }
    cr_assert_eq(WEXITSTATUS(nw_test_stop(consumer_pid, 10)), 0);
    consumer_pid = -1;
    free(a), free(e2), free(e1), free(k1), free(kjson), free(k0), free(b);
    free(bs);
}
