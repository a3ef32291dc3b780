/*
 * test_forward_kafka — the forward-kafka sink through its descriptor against
 * the embedded broker (nw_broker, in-process): topics by category and by
 * route, keys, carried and added headers, kills forwarded, a retried write
 * sends nothing twice, a broker that goes down makes flush() answer RETRY
 * and nothing is lost once it is back, permanent refusals are named by
 * index, replay mode (emit) and config validation.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forward_kafka.h"
#include "nw_chain.h"
#include "nw_kafka.h"
#include "nw_testkafka.h"
#include "nw_testplugin.h"
#include "nw_testutil.h"

static const nw_plugin_descriptor *fk = &nw_plugin_forward_kafka;
static nw_broker *broker;

static void test_log(void *host, int level, const char *fmt, ...)
{
    (void)host;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[forward-kafka %d] ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static nw_plugin_api api = {.log = test_log};

static void teardown(void)
{
    nw_test_plugin_free_all();
    nw_broker_free(broker);
    broker = NULL;
}

TestSuite(forward_kafka, .fini = teardown);

static const char *start_broker(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    return nw_broker_bootstrap(broker);
}

/* init with `settings` (NULL-terminated key, value pairs); a (static) gets
 * the chain's story callbacks. */
static void *open_sink_ex(nw_plugin_api *a, const char *const *subscription, char *err,
                          size_t errlen, va_list ap)
{
    const char *pairs[34];
    size_t n = 0;
    for (const char *k; n < 32 && (k = va_arg(ap, const char *));) {
        pairs[n++] = k;
        pairs[n++] = va_arg(ap, const char *);
    }
    pairs[n] = NULL;
    nw_chain_story_api(a);
    size_t nsub = 0;
    while (subscription && subscription[nsub])
        nsub++;
    nw_plugin_config base = {.instance_name = "fwd-test",
                             .api = a,
                             .subscription = subscription,
                             .subscription_count = nsub};
    return nw_test_plugin_openv(fk, base, err, errlen, pairs);
}

static void *open_sink(nw_plugin_api *a, char *err, size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    void *st = open_sink_ex(a, NULL, err, errlen, ap);
    va_end(ap);
    return st;
}

static void *open_sink_reading(nw_plugin_api *a, const char *const *subscription, char *err,
                               size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    void *st = open_sink_ex(a, subscription, err, errlen, ap);
    va_end(ap);
    return st;
}

static void story(nw_chain_msg *m, const char *topic, int32_t p, int64_t o, const char *uri,
                  const char *json)
{
    cr_assert_eq(nw_chain_msg_init(m, topic, "news.", p, o, uri, strlen(uri), json, strlen(json),
                                   1450226583000, NULL),
                 0);
}

static char *story_json(const char *uri, const char *status)
{
    char *buf = malloc(512);
    snprintf(buf, 512,
             "{\"uri\":\"%s\",\"type\":\"text\",\"pubStatus\":\"%s\","
             "\"headlines\":[{\"value\":\"Headline of %s\"}]}",
             uri, status, uri);
    return buf;
}

/* ------------------------------------------------------------- read back */

/* Every message of `topic` from the beginning (see nw_test_read_topic). */
static void read_topic(const char *bs, const char *topic, int want, int timeout_ms,
                       nw_test_topic *g)
{
    char err[512];
    cr_assert_eq(nw_test_read_topic(bs, topic, want, timeout_ms, g, err, sizeof err), 0, "%s", err);
}

static size_t hdr_count(rd_kafka_message_t *m, const char *name)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h))
        return 0;
    size_t n = 0;
    const void *v;
    size_t vlen;
    while (!rd_kafka_header_get(h, n, name, &v, &vlen))
        n++;
    return n;
}

static rd_kafka_message_t *by_key(nw_test_topic *g, const char *key)
{
    for (int i = 0; i < g->n; i++)
        if (g->m[i]->key_len == strlen(key) && !memcmp(g->m[i]->key, key, g->m[i]->key_len))
            return g->m[i];
    return NULL;
}

/* Write msgs[0..n) and flush, asserting both OK. */
static void write_flush_ok(void *st, nw_chain_msg *msgs, size_t n)
{
    nw_plugin_msg *ptrs[64];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &msgs[i].pub;
    char err[512] = "";
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, ptrs, n, &failed, err, sizeof err), NW_PLUGIN_OK, "write: %s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "flush: %s", err);
}

/* ------------------------------------------------------------------ tests */

Test(forward_kafka, forwards_to_enriched_topics_with_key_and_headers, .timeout = 60)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);

    nw_chain_msg m[4];
    char *j0 = story_json("urn:a", "usable"), *j1 = story_json("urn:b", "canceled"),
         *j2 = story_json("urn:c", "usable"), *j3 = story_json("urn:d", "withheld");
    story(&m[0], "news.mid-east", 1, 40, "urn:a", j0);
    story(&m[1], "news.mid-east", 1, 41, "urn:b", j1); /* a kill: must be forwarded */
    story(&m[2], "news.americas", 0, 7, "urn:c", j2);
    story(&m[3], "news.americas", 0, 8, "urn:d", j3);
    /* input headers, one stale copy of ours, and one a filter added */
    nw_chain_msg_add_header(&m[0], "nw-trace-id", "0123456789abcdef0123456789abcdef", 32);
    nw_chain_msg_add_header(&m[0], "nw-origin-topic", "stale", 5);
    nw_chain_msg_add_header(&m[0], "nw-dedup", "original", 8);
    /* urn:d is routed by a filter */
    m[3].route = strdup("enriched.special");
    m[3].pub.route = m[3].route; /* as api_set_route does */
    write_flush_ok(st, m, 4);
    nw_forward_kafka_stats s = nw_forward_kafka_get_stats(st);
    cr_assert_eq(s.produced, 5, "4 forwards and the kill's record in the hold topic");
    cr_assert_eq(s.acked, 5);
    cr_assert_eq(s.failed, 0);

    nw_test_topic g;
    read_topic(bs, "enriched.mid-east", 2, 8000, &g);
    cr_assert_eq(g.n, 2, "enriched.mid-east holds %d messages", g.n);
    char b[128];
    rd_kafka_message_t *a = by_key(&g, "urn:a");
    cr_assert_not_null(a, "urn:a missing (key = uri)");
    cr_assert_eq(a->len, strlen(j0));
    cr_assert_eq(memcmp(a->payload, j0, a->len), 0, "value changed");
    cr_assert_str_eq(nw_test_header(a, "nw-trace-id", b, sizeof b),
                     "0123456789abcdef0123456789abcdef");
    cr_assert_str_eq(nw_test_header(a, "nw-dedup", b, sizeof b), "original");
    cr_assert_str_eq(nw_test_header(a, "nw-forwarded-by", b, sizeof b), "fwd-test");
    cr_assert_str_eq(nw_test_header(a, "nw-origin-topic", b, sizeof b), "news.mid-east");
    cr_assert_eq(hdr_count(a, "nw-origin-topic"), 1, "the stale origin header is replaced");
    cr_assert_str_eq(nw_test_header(a, "nw-origin-partition", b, sizeof b), "1");
    cr_assert_str_eq(nw_test_header(a, "nw-origin-offset", b, sizeof b), "40");
    rd_kafka_message_t *k = by_key(&g, "urn:b");
    cr_assert_not_null(k, "the kill was not forwarded");
    cr_assert_str_eq(nw_test_header(k, "nw-pub-status", b, sizeof b), "canceled");
    cr_assert_str_eq(nw_test_header(k, "nw-origin-offset", b, sizeof b), "41");
    nw_test_topic_free(&g);

    read_topic(bs, "enriched.americas", 1, 8000, &g);
    cr_assert_eq(g.n, 1, "enriched.americas holds %d messages (urn:d was routed)", g.n);
    cr_assert_not_null(by_key(&g, "urn:c"));
    nw_test_topic_free(&g);
    read_topic(bs, "enriched.special", 1, 8000, &g);
    cr_assert_eq(g.n, 1);
    cr_assert_not_null(by_key(&g, "urn:d"));
    cr_assert_str_eq(nw_test_header(g.m[0], "nw-pub-status", b, sizeof b), "withheld");
    nw_test_topic_free(&g);

    for (int i = 0; i < 4; i++)
        nw_chain_msg_deinit(&m[i]);
    free(j0), free(j1), free(j2), free(j3);
    fk->destroy(st);
}

Test(forward_kafka, a_retried_write_sends_nothing_twice, .timeout = 60)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, "topic_prefix", "fwd.", NULL);
    cr_assert_not_null(st, "%s", err);
    nw_chain_msg m[3];
    char *j[3];
    char uri[32];
    nw_plugin_msg *ptrs[3];
    for (int i = 0; i < 3; i++) {
        snprintf(uri, sizeof uri, "urn:r%d", i);
        j[i] = story_json(uri, "usable");
        story(&m[i], "news.world", 0, i, uri, j[i]);
        ptrs[i] = &m[i].pub;
    }
    size_t failed;
    cr_assert_eq(fk->write(st, ptrs, 3, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    /* the host retries a write from where it failed: the same stories again */
    cr_assert_eq(fk->write(st, ptrs + 1, 2, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "an empty flush is OK");
    nw_forward_kafka_stats s = nw_forward_kafka_get_stats(st);
    cr_assert_eq(s.produced, 3);
    cr_assert_eq(s.skipped, 2);
    nw_test_topic g;
    read_topic(bs, "fwd.world", 3, 8000, &g);
    cr_assert_eq(g.n, 3, "fwd.world holds %d messages", g.n);
    nw_test_topic_free(&g);
    for (int i = 0; i < 3; i++) {
        nw_chain_msg_deinit(&m[i]);
        free(j[i]);
    }
    fk->destroy(st);
}

Test(forward_kafka, broker_down_flush_retries_and_nothing_is_lost, .timeout = 120)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, "flush_timeout", "1500ms",
                         "kafka.reconnect.backoff.max.ms", "200", NULL);
    cr_assert_not_null(st, "%s", err);
    enum { N = 20 };
    nw_chain_msg m[N];
    char *j[N];
    char uri[32];
    for (int i = 0; i < N; i++) {
        snprintf(uri, sizeof uri, "urn:down%d", i);
        j[i] = story_json(uri, "usable");
        story(&m[i], "news.world", i % 2, i, uri, j[i]);
    }
    /* first half while the broker is up: the producer is connected */
    write_flush_ok(st, m, N / 2);

    rd_kafka_mock_cluster_t *mc = nw_broker_cluster(broker);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    nw_plugin_msg *ptrs[N / 2];
    for (int i = 0; i < N / 2; i++)
        ptrs[i] = &m[N / 2 + i].pub;
    size_t failed = SIZE_MAX;
    nw_plugin_status ws = fk->write(st, ptrs, N / 2, &failed, err, sizeof err);
    cr_assert(ws == NW_PLUGIN_OK || ws == NW_PLUGIN_RETRY, "write: %d %s", ws, err);
    int retries = 0;
    nw_plugin_status fs = NW_PLUGIN_OK;
    for (int i = 0; i < 2; i++) {
        fs = fk->flush(st, err, sizeof err);
        cr_assert_eq(fs, NW_PLUGIN_RETRY, "flush with the broker down: %d (%s)", fs, err);
        retries++;
    }
    cr_log_info("flush while down: %s", err);
    cr_assert(strstr(err, "not acknowledged"), "%s", err);

    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
    if (ws == NW_PLUGIN_RETRY) /* the host would retry the write */
        cr_assert_eq(fk->write(st, ptrs, N / 2, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    for (int i = 0; i < 40 && (fs = fk->flush(st, err, sizeof err)) == NW_PLUGIN_RETRY; i++)
        ;
    cr_assert_eq(fs, NW_PLUGIN_OK, "flush after the broker came back: %s", err);

    nw_test_topic g;
    read_topic(bs, "enriched.world", N, 15000, &g);
    cr_assert_eq(g.n, N, "enriched.world holds %d of %d stories", g.n, N);
    for (int i = 0; i < N; i++) {
        snprintf(uri, sizeof uri, "urn:down%d", i);
        int seen = 0;
        for (int k = 0; k < g.n; k++)
            seen += g.m[k]->key_len == strlen(uri) && !memcmp(g.m[k]->key, uri, strlen(uri));
        cr_assert_eq(seen, 1, "%s forwarded %d times", uri, seen);
    }
    nw_test_topic_free(&g);
    nw_forward_kafka_stats s = nw_forward_kafka_get_stats(st);
    cr_assert_eq(s.acked, N);
    for (int i = 0; i < N; i++) {
        nw_chain_msg_deinit(&m[i]);
        free(j[i]);
    }
    fk->destroy(st);
}

Test(forward_kafka, permanent_refusals_are_named_by_index, .timeout = 60)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st =
        open_sink(&api, err, sizeof err, "brokers", bs, "kafka.message.max.bytes", "2000", NULL);
    cr_assert_not_null(st, "%s", err);
    char *big = malloc(6000);
    int o = snprintf(big, 6000, "{\"uri\":\"urn:big\",\"body_text\":\"");
    memset(big + o, 'x', 5000);
    strcpy(big + o + 5000, "\"}");
    char *ok1 = story_json("urn:ok1", "usable"), *ok2 = story_json("urn:ok2", "usable");
    nw_chain_msg m[4];
    story(&m[0], "news.world", 0, 1, "urn:ok1", ok1);
    story(&m[1], "news.world", 0, 2, "urn:big", big);
    story(&m[2], "news.world", 0, 3, "urn:ok2", ok2);
    story(&m[3], "news.world", 0, 4, "", "{\"type\":\"text\"}");
    nw_plugin_msg *ptrs[4] = {&m[0].pub, &m[1].pub, &m[2].pub, &m[3].pub};
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, ptrs, 4, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 1, "failed_index %zu", failed);
    cr_assert(strstr(err, "urn:big"), "%s", err);
    /* the host dead-letters ptrs[1] and resubmits the rest */
    failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, ptrs + 2, 2, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 1, "the story without a uri: failed_index %zu", failed);
    cr_assert(strstr(err, "has no uri"), "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_test_topic g;
    read_topic(bs, "enriched.world", 2, 8000, &g);
    cr_assert_eq(g.n, 2, "%d messages", g.n);
    cr_assert_not_null(by_key(&g, "urn:ok1"));
    cr_assert_not_null(by_key(&g, "urn:ok2"));
    nw_test_topic_free(&g);
    for (int i = 0; i < 4; i++)
        nw_chain_msg_deinit(&m[i]);
    free(big), free(ok1), free(ok2);
    fk->destroy(st);
}

Test(forward_kafka, broker_refusal_in_a_delivery_report_is_named_by_index, .timeout = 60)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    char *j0 = story_json("urn:warm", "usable"), *j1 = story_json("urn:refused", "usable");
    nw_chain_msg m[2];
    story(&m[0], "news.world", 0, 1, "urn:warm", j0);
    story(&m[1], "news.world", 0, 2, "urn:refused", j1);
    write_flush_ok(st, m, 1); /* connected, producer id acquired */
    rd_kafka_mock_push_request_errors(nw_broker_cluster(broker), 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    nw_plugin_msg *p = &m[1].pub;
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_FATAL, "%s", err);
    cr_assert_eq(failed, 0);
    cr_assert(strstr(err, "urn:refused"), "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    for (int i = 0; i < 2; i++)
        nw_chain_msg_deinit(&m[i]);
    free(j0), free(j1);
    fk->destroy(st);
}

/* ------------------------------------------------------------ replay mode */

typedef struct emitted {
    char topic[64], key[64], value[512], headers[512];
    int n;
} emitted;
static emitted em;
static int emit_fail;

static int test_emit(void *host, const char *topic, const char *key, const void *value,
                     size_t value_len, const nw_plugin_header *headers, size_t header_count)
{
    (void)host;
    if (emit_fail)
        return -1;
    em.n++;
    snprintf(em.topic, sizeof em.topic, "%s", topic);
    snprintf(em.key, sizeof em.key, "%s", key ? key : "(null)");
    snprintf(em.value, sizeof em.value, "%.*s", (int)value_len, (const char *)value);
    em.headers[0] = '\0';
    for (size_t i = 0; i < header_count; i++) {
        size_t l = strlen(em.headers);
        snprintf(em.headers + l, sizeof em.headers - l, "%s=%.*s;", headers[i].name,
                 (int)headers[i].value_len, (const char *)headers[i].value);
    }
    return 0;
}

Test(forward_kafka, replay_mode_emits_instead_of_producing)
{
    nw_plugin_api rapi = {.log = test_log, .emit = test_emit};
    char err[512] = "";
    /* no brokers needed: it never connects */
    void *st = open_sink(&rapi, err, sizeof err, NULL);
    cr_assert_not_null(st, "%s", err);
    char *j = story_json("urn:e", "canceled");
    nw_chain_msg m;
    story(&m, "news.sport", 3, 99, "urn:e", j);
    nw_chain_msg_add_header(&m, "nw-provider", "AFP", 3);
    nw_plugin_msg *p = &m.pub;
    size_t failed;
    emit_fail = 1;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_RETRY);
    emit_fail = 0;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(em.n, 1, "emitted %d times", em.n);
    cr_assert_str_eq(em.topic, "enriched.sport");
    cr_assert_str_eq(em.key, "urn:e");
    cr_assert_str_eq(em.value, j);
    cr_assert_str_eq(em.headers,
                     "nw-provider=AFP;nw-forwarded-by=fwd-test;nw-origin-topic=news.sport;"
                     "nw-origin-partition=3;nw-origin-offset=99;nw-pub-status=canceled;");
    cr_assert_eq(nw_forward_kafka_get_stats(st).emitted, 1);
    nw_chain_msg_deinit(&m);
    free(j);
    fk->destroy(st);
}

/* ------------------------------------------------------------------ config */

static void assert_init_fails(const char *needle, const char *k1, const char *v1, const char *k2,
                              const char *v2)
{
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, k1, v1, k2, v2, NULL);
    cr_assert_null(st, "init accepted %s=%s", k1 ? k1 : "", v1 ? v1 : "");
    cr_assert(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
}

Test(forward_kafka, config_is_validated)
{
    assert_init_fails("brokers: required", NULL, NULL, NULL, NULL);
    assert_init_fails("brokers: expected a string", "brokers", "[a, b]", NULL, NULL);
    assert_init_fails("unknown key 'colour'", "brokers", "127.0.0.1:1", "colour", "blue");
    assert_init_fails("kafka.acks", "brokers", "127.0.0.1:1", "kafka.acks", "1");
    assert_init_fails("kafka.enable.idempotence", "brokers", "127.0.0.1:1",
                      "kafka.enable.idempotence", "false");
    assert_init_fails("flush_timeout", "brokers", "127.0.0.1:1", "flush_timeout", "soon");
    assert_init_fails("topic_prefix", "brokers", "127.0.0.1:1", "topic_prefix", "bad prefix/");
    assert_init_fails("kafka.no.such.property", "brokers", "127.0.0.1:1", "kafka.no.such.property",
                      "1");
    /* kafka.bootstrap.servers stands in for brokers; acks=all is accepted */
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "kafka.bootstrap.servers", "127.0.0.1:1",
                         "kafka.acks", "all", NULL);
    cr_assert_not_null(st, "%s", err);
    fk->destroy(st);
}

Test(forward_kafka, brokers_default_to_the_consumers_own)
{
    char err[512];
    /* no brokers setting and none from the host: refused, naming the key */
    nw_chain_story_api(&api);
    nw_plugin_config alone = {.instance_name = "fwd", .api = &api};
    const char *none[] = {NULL};
    cr_assert_null(nw_test_plugin_openv(fk, alone, err, sizeof err, none));
    cr_assert(strstr(err, "brokers: required"), "%s", err);
    /* the host's bootstrap servers are used when the settings name none */
    nw_plugin_config hosted = alone;
    hosted.brokers = start_broker();
    void *st = nw_test_plugin_openv(fk, hosted, err, sizeof err, none);
    cr_assert_not_null(st, "%s", err);
    fk->destroy(st);
}

/* issue 15: `topic_prefix: news.` republishes into the topics the consumer
 * reads; such a config is refused, and a routed story bound there is
 * dead-lettered rather than sent round again. */
Test(forward_kafka, forwarding_into_the_consumers_own_topics_is_refused)
{
    char err[512] = "";
    const char *pattern[] = {"^news\\..*", NULL};
    cr_assert_null(open_sink_reading(&api, pattern, err, sizeof err, "brokers", "127.0.0.1:1",
                                     "topic_prefix", "news.", NULL));
    cr_assert(strstr(err, "topic_prefix") && strstr(err, "loop"), "%s", err);
    const char *names[] = {"news.world", "news.sport", NULL};
    cr_assert_null(open_sink_reading(&api, names, err, sizeof err, "brokers", "127.0.0.1:1",
                                     "topic_prefix", "news.", NULL));
    cr_assert(strstr(err, "news.world") && strstr(err, "loop"), "%s", err);

    /* the default prefix does not loop; a route into a read topic is refused */
    nw_plugin_api rapi = {.log = test_log, .emit = test_emit};
    void *st = open_sink_reading(&rapi, pattern, err, sizeof err, NULL);
    cr_assert_not_null(st, "%s", err);
    char *j = story_json("urn:loop", "usable");
    nw_chain_msg m;
    story(&m, "news.world", 0, 7, "urn:loop", j);
    cr_assert_eq(rapi.set_route(m.pub.host_ref, "news.sport"), 0);
    nw_plugin_msg *p = &m.pub;
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 0);
    cr_assert(strstr(err, "news.sport") && strstr(err, "loop"), "%s", err);
    nw_chain_msg_deinit(&m);
    free(j);
    fk->destroy(st);
}

/* ------------------------------------------------------------- embargo */

/* Write and flush one story of news.world partition 0 at `offset`. */
static void send_one(void *st, int64_t offset, const char *uri, const char *json)
{
    nw_chain_msg m;
    story(&m, "news.world", 0, offset, uri, json);
    write_flush_ok(st, &m, 1);
    nw_chain_msg_deinit(&m);
}

/* The messages of enriched.world with key `uri`. */
static int count_key(const nw_test_topic *g, const char *uri)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += g->m[i]->key_len == strlen(uri) && !memcmp(g->m[i]->key, uri, g->m[i]->key_len);
    return n;
}

/* Wait (test timeout bound) until the hold released `n` stories. */
static void wait_released(void *st, uint64_t n)
{
    while (nw_forward_kafka_hold_stats(st).released < n) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

Test(forward_kafka, an_embargoed_story_waits_for_its_release_and_holds_nothing_else_back,
     .timeout = 90)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    int64_t far = nw_test_wall_ms() + 3600 * 1000, soon = nw_test_wall_ms() + 2000;
    char *a = nw_test_story_version("urn:a", "usable", 1, 0),
         *e = nw_test_story_version("urn:e", "usable", 1, far),
         *s = nw_test_story_version("urn:s", "usable", 1, soon),
         *b = nw_test_story_version("urn:b", "usable", 1, 0);
    nw_chain_msg m[4];
    story(&m[0], "news.world", 0, 1, "urn:a", a);
    story(&m[1], "news.world", 0, 2, "urn:e", e);
    story(&m[2], "news.world", 0, 3, "urn:s", s);
    story(&m[3], "news.world", 0, 4, "urn:b", b);
    write_flush_ok(st, m, 4);

    /* the stories around the embargoed ones are forwarded at once */
    nw_test_topic g;
    read_topic(bs, "enriched.world", 2, 8000, &g);
    cr_assert_eq(count_key(&g, "urn:a"), 1);
    cr_assert_eq(count_key(&g, "urn:b"), 1, "a story after an embargoed one is not held back");
    nw_test_topic_free(&g);

    /* urn:s is released once its time has come, not before */
    wait_released(st, 1);
    read_topic(bs, "enriched.world", 3, 8000, &g);
    cr_assert_eq(count_key(&g, "urn:s"), 1, "released once");
    cr_assert_eq(count_key(&g, "urn:e"), 0, "an hour early: not forwarded");
    char b2[64];
    rd_kafka_message_t *rs = by_key(&g, "urn:s");
    rd_kafka_timestamp_type_t tt;
    int64_t at = rd_kafka_message_timestamp(rs, &tt);
    cr_assert_geq(at, soon, "released %" PRId64 " ms before its embargo", soon - at);
    fprintf(stderr, "urn:s released %" PRId64 " ms after its embargoedUntil\n", at - soon);
    cr_assert_str_eq(nw_test_header(rs, "nw-origin-offset", b2, sizeof b2), "3");
    cr_assert_null(nw_test_header(rs, NW_FK_HOLD_HDR_KIND, b2, sizeof b2),
                   "the hold's own headers are not forwarded");
    nw_test_topic_free(&g);
    nw_fk_hold_stats hs = nw_forward_kafka_hold_stats(st);
    cr_assert_eq(hs.held, 2);
    cr_assert_eq(hs.waiting, 1, "urn:e still waits");

    for (int i = 0; i < 4; i++)
        nw_chain_msg_deinit(&m[i]);
    free(a), free(e), free(s), free(b);
    fk->destroy(st);
}

/* A host's /metrics as the hold sees it: series by name, last value. */
typedef struct fake_series {
    char name[96];
    double value;
} fake_series;
static fake_series fake_metrics[16];
static size_t fake_nmetrics;

static nw_plugin_metric *fake_metric(void *host, nw_plugin_metric_type type, const char *name,
                                     const char *help, const char *labels, const double *buckets,
                                     size_t nbuckets)
{
    (void)host, (void)type, (void)help, (void)labels, (void)buckets, (void)nbuckets;
    for (size_t i = 0; i < fake_nmetrics; i++)
        if (!strcmp(fake_metrics[i].name, name))
            return (nw_plugin_metric *)&fake_metrics[i];
    cr_assert_lt(fake_nmetrics, 16);
    fake_series *f = &fake_metrics[fake_nmetrics++];
    snprintf(f->name, sizeof f->name, "%s", name);
    return (nw_plugin_metric *)f;
}
static void fake_metric_add(nw_plugin_metric *m, double v)
{
    if (m)
        ((fake_series *)m)->value += v;
}
static void fake_metric_set(nw_plugin_metric *m, double v)
{
    if (m)
        ((fake_series *)m)->value = v;
}
static double fake_value(const char *name)
{
    for (size_t i = 0; i < fake_nmetrics; i++)
        if (!strcmp(fake_metrics[i].name, name))
            return fake_metrics[i].value;
    cr_assert_fail("no series %s", name);
    return -1;
}

Test(forward_kafka, the_holds_figures_are_on_metrics_idle_or_not, .timeout = 90)
{
    const char *bs = start_broker();
    char err[512] = "";
    nw_plugin_api with_metrics = {.log = test_log,
                                  .metric = fake_metric,
                                  .metric_add = fake_metric_add,
                                  .metric_set = fake_metric_set};
    void *st = open_sink(&with_metrics, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    int64_t far = nw_test_wall_ms() + 3600 * 1000, soon = nw_test_wall_ms() + 1000;
    char *e = nw_test_story_version("urn:e", "usable", 1, far),
         *s = nw_test_story_version("urn:s", "usable", 1, soon);
    send_one(st, 1, "urn:e", e);
    send_one(st, 2, "urn:s", s);
    nw_fk_hold_publish_metrics(nw_forward_kafka_hold(st));
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_waiting"), 2);
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_released_total"), 0);

    /* no write or flush after this: the release thread alone publishes */
    wait_released(st, 1);
    int64_t give_up = nw_test_wall_ms() + 10000;
    while (fake_value("newswire_forward_kafka_embargoes_released_total") < 1 &&
           nw_test_wall_ms() < give_up) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_released_total"), 1,
                 "published by the release thread");
    nw_fk_hold_publish_metrics(nw_forward_kafka_hold(st));
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_released_total"), 1,
                 "counted once however often it is published");
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_waiting"), 1, "urn:e still waits");
    cr_assert_eq(fake_value("newswire_forward_kafka_embargoes_releasing"), 0);
    cr_assert_eq(fake_value("newswire_forward_kafka_embargo_release_failures_total"), 0);
    free(e), free(s);
    fk->destroy(st);
}

Test(forward_kafka, a_kill_or_a_newer_version_before_the_release_wins, .timeout = 90)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    int64_t soon = nw_test_wall_ms() + 1500;
    char *k1 = nw_test_story_version("urn:k", "usable", 1, soon),
         *kill = nw_test_story_version("urn:k", "canceled", 1, 0),
         *k0 = nw_test_story_version("urn:k", "usable", 0, soon),
         *n1 = nw_test_story_version("urn:n", "usable", 1, soon),
         *n2 = nw_test_story_version("urn:n", "usable", 2, 0),
         *n1again = nw_test_story_version("urn:n", "usable", 1, soon);
    send_one(st, 1, "urn:k", k1);
    send_one(st, 2, "urn:n", n1);
    send_one(st, 3, "urn:k", kill);    /* the kill wins over the held version */
    send_one(st, 4, "urn:k", k0);      /* an older version after the kill: skipped */
    send_one(st, 5, "urn:n", n2);      /* a newer version without embargo: at once */
    send_one(st, 6, "urn:n", n1again); /* the held version replayed: older, skipped */
    nw_fk_hold_stats hs = nw_forward_kafka_hold_stats(st);
    cr_assert_eq(hs.canceled, 2);
    cr_assert_eq(hs.waiting, 0);

    /* past the release time nothing is released */
    while (nw_test_wall_ms() < soon + 1500) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    nw_fk_hold_release_due(nw_forward_kafka_hold(st));
    cr_assert_eq(nw_forward_kafka_hold_stats(st).released, 0);
    nw_test_topic g;
    read_topic(bs, "enriched.world", 2, 8000, &g);
    cr_assert_eq(count_key(&g, "urn:k"), 1, "only the kill of urn:k");
    char b[64];
    cr_assert_str_eq(nw_test_header(by_key(&g, "urn:k"), "nw-pub-status", b, sizeof b), "canceled");
    cr_assert_eq(count_key(&g, "urn:n"), 1, "only v2 of urn:n");
    cr_assert_str_eq(nw_test_header(by_key(&g, "urn:n"), "nw-origin-offset", b, sizeof b), "5");
    nw_test_topic_free(&g);
    free(k1), free(kill), free(k0), free(n1), free(n2), free(n1again);
    fk->destroy(st);
}

/* One version as the forward sink hands it to the hold (news.world/0). */
static nw_fk_story fk_story(const char *uri, nw_story_class cls, int version, int64_t until)
{
    return (nw_fk_story){.origin_topic = "news.world",
                         .origin_partition = 0,
                         .uri = uri,
                         .cls = cls,
                         .key = {version, NW_STORY_NO_TIME},
                         .until_ms = until,
                         .dest_topic = "enriched.world",
                         .value = "{}",
                         .value_len = 2};
}

/* Found last session: the release thread held the hold's lock while it
 * waited for Kafka's acknowledgements (up to 20 s with Kafka down), and
 * every story of every forward sink waited with it. Now a release waiting
 * for a broker that is down (10 s before it gives up) holds no other story
 * back; a story that would replace the version in flight answers RETRY, and
 * once the release is settled the kill still wins. */
Test(forward_kafka, a_release_waiting_for_kafka_holds_no_other_story_back, .timeout = 120)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_fk_hold *h = nw_forward_kafka_hold(st);
    /* a first release: the release producer knows the broker and the topics */
    char *warm = nw_test_story_version("urn:warm", "usable", 1, nw_test_wall_ms() + 500);
    send_one(st, 1, "urn:warm", warm);
    wait_released(st, 1);

    char *slow = nw_test_story_version("urn:slow", "usable", 1, nw_test_wall_ms() + 2000);
    send_one(st, 2, "urn:slow", slow);
    rd_kafka_mock_cluster_t *mc = nw_broker_cluster(broker);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    cr_assert_eq(nw_fk_hold_get_stats(h).released, 1, "the machine was too slow: urn:slow is out");
    for (nw_fk_hold_stats hs; (hs = nw_fk_hold_get_stats(h)).releasing == 0 &&
                              hs.release_failures == 0;) /* the release thread's pass began */
        nw_test_sleep_ms(20);

    /* a new hold and a kill of other uris are decided while it waits */
    bool replaced;
    nw_fk_story other = fk_story("urn:other", NW_STORY_EMBARGOED, 1, nw_test_wall_ms() + 3600000);
    cr_assert_eq(nw_fk_hold_decide(h, st, &other, &replaced), NW_FK_HOLD);
    nw_fk_story gone = fk_story("urn:gone", NW_STORY_CANCELED, 1, NW_STORY_NO_TIME);
    cr_assert_eq(nw_fk_hold_decide(h, st, &gone, &replaced), NW_FK_FORWARD_KILL);
    nw_fk_hold_stats hs = nw_fk_hold_get_stats(h);
    cr_assert_eq(hs.releasing, 1, "urn:slow's release still waits for the broker");
    cr_assert_eq(hs.released, 1);
    cr_assert_eq(hs.release_failures, 0, "the decisions did not wait for the release to give up");

    /* the kill of the story in flight waits for its release: RETRY */
    nw_fk_story kill = fk_story("urn:slow", NW_STORY_CANCELED, 1, NW_STORY_NO_TIME);
    cr_assert_eq(nw_fk_hold_decide(h, st, &kill, &replaced), NW_FK_BUSY);
    char *killj = nw_test_story_version("urn:slow", "canceled", 1, 0);
    nw_chain_msg m;
    story(&m, "news.world", 0, 3, "urn:slow", killj);
    nw_plugin_msg *p = &m.pub;
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_RETRY);
    cr_assert(strstr(err, "urn:slow") && strstr(err, "in flight"), "%s", err);

    /* the broker is back: released (maybe twice, when this pass gave up
     * first: at least once), then the kill is forwarded */
    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
    wait_released(st, 2);
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_test_topic g;
    read_topic(bs, "enriched.world", 3, 8000, &g);
    cr_assert_geq(count_key(&g, "urn:slow"), 2, "released, then its kill");
    rd_kafka_message_t *last = NULL; /* one key, one partition: in order */
    for (int i = 0; i < g.n; i++)
        if (g.m[i]->key_len == 8 && !memcmp(g.m[i]->key, "urn:slow", 8))
            last = g.m[i];
    char b[64];
    cr_assert_str_eq(nw_test_header(last, "nw-pub-status", b, sizeof b), "canceled");
    nw_test_topic_free(&g);
    nw_chain_msg_deinit(&m);
    free(warm), free(slow), free(killj);
    fk->destroy(st);
}

Test(forward_kafka, held_stories_survive_a_restart_and_follow_their_partition, .timeout = 90)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    int64_t soon = nw_test_wall_ms() + 5000;
    char *r = nw_test_story_version("urn:r", "usable", 1, soon),
         *x = nw_test_story_version("urn:x", "usable", 1, soon),
         *xkill = nw_test_story_version("urn:x", "canceled", 2, 0);
    send_one(st, 1, "urn:r", r);
    send_one(st, 2, "urn:x", x);
    /* the instance goes away before the release (its memory is lost as in a
     * crash: held stories live in the hold topic) */
    fk->destroy(st);

    /* the partition comes back to a new instance; a kill of urn:x arrives */
    st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_fk_hold_stats hs = nw_forward_kafka_hold_stats(st);
    cr_assert_eq(hs.loaded, 2, "both held stories read back from the hold topic");
    cr_assert_eq(hs.waiting, 2);
    send_one(st, 3, "urn:x", xkill);
    wait_released(st, 1);
    nw_test_topic g;
    read_topic(bs, "enriched.world", 2, 8000, &g);
    cr_assert_eq(count_key(&g, "urn:r"), 1, "released once, by the new instance");
    cr_assert_eq(count_key(&g, "urn:x"), 1, "only the kill of urn:x");
    nw_test_topic_free(&g);

    /* revoked: the partition's entries leave this instance's memory */
    cr_assert_eq(fk->revoked(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK);
    cr_assert_eq(nw_forward_kafka_hold_stats(st).waiting, 0);
    fk->destroy(st);

    /* a third instance finds nothing left to release (tombstones) and the kill */
    st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_eq(fk->assigned(st, "news.world", 0, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    hs = nw_forward_kafka_hold_stats(st);
    cr_assert_eq(hs.waiting, 0, "nothing held any more");
    send_one(st, 4, "urn:x", x); /* the old version replayed after the kill */
    cr_assert_eq(nw_forward_kafka_get_stats(st).produced, 0, "skipped: the kill was read back too");
    free(r), free(x), free(xkill);
    fk->destroy(st);
}

Test(forward_kafka, an_unreadable_embargo_is_refused)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    const char *j = "{\"uri\":\"urn:bad\",\"embargoedUntil\":\"tomorrow\"}";
    nw_chain_msg m;
    story(&m, "news.world", 0, 1, "urn:bad", j);
    nw_plugin_msg *p = &m.pub;
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 0);
    cr_assert(strstr(err, "embargoedUntil"), "%s", err);
    nw_chain_msg_deinit(&m);
    fk->destroy(st);
}

/* e2e found it: a batch of several hundred stories grows the batch's index
 * (room for a story's two records at a time); every story forwarded once. */
Test(forward_kafka, a_large_batch_grows_its_index, .timeout = 90)
{
    const char *bs = start_broker();
    char err[512] = "";
    void *st = open_sink(&api, err, sizeof err, "brokers", bs, NULL);
    cr_assert_not_null(st, "%s", err);
    enum { N = 600 };
    static nw_chain_msg m[N];
    static nw_plugin_msg *ptrs[N];
    char *json[N];
    for (int i = 0; i < N; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "urn:big:%d", i);
        json[i] = nw_test_story_version(uri, i % 50 ? "usable" : "canceled", 1, 0);
        story(&m[i], "news.world", i % 2, i, uri, json[i]);
        ptrs[i] = &m[i].pub;
    }
    size_t failed = SIZE_MAX;
    cr_assert_eq(fk->write(st, ptrs, N, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    /* a retried write of the same batch finds every story already sent */
    cr_assert_eq(fk->write(st, ptrs, N, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(fk->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    nw_forward_kafka_stats s = nw_forward_kafka_get_stats(st);
    cr_assert_eq(s.produced, N + N / 50, "every story once, and the kills' hold records");
    for (int i = 0; i < N; i++) {
        nw_chain_msg_deinit(&m[i]);
        free(json[i]);
    }
    fk->destroy(st);
}
