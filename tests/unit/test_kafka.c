/*
 * test_kafka — nw_kafka: topic naming, librdkafka configuration from a
 * `kafka` config map (errors name the key and line), and the embedded broker
 * (a message with headers round-trips through it; auto-created topics reach
 * a regex subscriber).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_config.h"
#include "nw_kafka.h"
#include "nw_testutil.h"

/* ------------------------------------------------------------------------ */
/* Topic names                                                              */
/* ------------------------------------------------------------------------ */

Test(kafka_topic, prefix_and_slug)
{
    char out[64];
    nw_err err = {0};
    cr_assert_eq(nw_kafka_topic_name("news.", "mid-east", out, sizeof out, &err), 0, "%s", err.msg);
    cr_assert_str_eq(out, "news.mid-east");
    cr_assert_eq(nw_kafka_topic_name(NULL, "news.dlq", out, sizeof out, &err), 0);
    cr_assert_str_eq(out, "news.dlq");
    cr_assert_eq(nw_kafka_topic_name(NW_TOPIC_PREFIX_ENRICHED, "sci-tech", out, sizeof out, &err),
                 0);
    cr_assert_str_eq(out, "enriched.sci-tech");
}

Test(kafka_topic, refuses_bad_names)
{
    char out[300];
    nw_err err = {0};
    cr_assert_eq(nw_kafka_topic_name("news.", "", out, sizeof out, &err), NW_EINVAL);
    cr_assert_eq(nw_kafka_topic_name("news.", NULL, out, sizeof out, &err), NW_EINVAL);
    cr_assert_eq(nw_kafka_topic_name("news.", "mid east", out, sizeof out, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "mid east"), "message names the slug: %s", err.msg);
    cr_assert_eq(nw_kafka_topic_name("news/", "x", out, sizeof out, &err), NW_EINVAL);
    cr_assert_eq(nw_kafka_topic_name("", ".", out, sizeof out, &err), NW_EINVAL);
    cr_assert_eq(nw_kafka_topic_name("news.", "caf\xc3\xa9", out, sizeof out, &err), NW_EINVAL);

    char slug[260];
    memset(slug, 'a', 244);
    slug[244] = '\0'; /* 5 + 244 = 249: the limit */
    cr_assert_eq(nw_kafka_topic_name("news.", slug, out, sizeof out, &err), 0, "%s", err.msg);
    cr_assert_eq(strlen(out), 249);
    slug[244] = 'a';
    slug[245] = '\0';
    cr_assert_eq(nw_kafka_topic_name("news.", slug, out, sizeof out, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "249"), "%s", err.msg);

    char small[8];
    cr_assert_eq(nw_kafka_topic_name("news.", "mid-east", small, sizeof small, &err), NW_ELIMIT);
}

Test(kafka_topic, category_of_topic)
{
    cr_assert_str_eq(nw_kafka_topic_category("news.mid-east", "news."), "mid-east");
    cr_assert_str_eq(nw_kafka_topic_category("enriched.tech", "enriched."), "tech");
    cr_assert_null(nw_kafka_topic_category("enriched.tech", "news."));
    cr_assert_null(nw_kafka_topic_category("news.", "news."));
    cr_assert_null(nw_kafka_topic_category("new", "news."));
    cr_assert_null(nw_kafka_topic_category(NULL, "news."));
    cr_assert_str_eq(nw_kafka_topic_category("plain", NULL), "plain");
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

static nw_config *load(const char *yaml)
{
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "test.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    return cfg;
}

static void assert_prop(rd_kafka_conf_t *conf, const char *key, const char *want)
{
    char buf[512];
    size_t len = sizeof buf;
    cr_assert_eq(rd_kafka_conf_get(conf, key, buf, &len), RD_KAFKA_CONF_OK, "%s unknown", key);
    cr_assert_str_eq(buf, want, "%s", key);
}

Test(kafka_conf, passes_kafka_keys_through)
{
    nw_config *cfg = load("kafka:\n"
                          "  linger.ms: 7\n"
                          "  client.id: ingest-1\n"
                          "  socket:\n"
                          "    keepalive.enable: true\n"
                          "  bootstrap.servers: [a:9092, b:9092]\n");
    nw_err err = {0};
    rd_kafka_conf_t *conf = nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err);
    cr_assert_not_null(conf, "%s", err.msg);
    assert_prop(conf, "linger.ms", "7");
    assert_prop(conf, "client.id", "ingest-1"); /* the file wins over the default */
    assert_prop(conf, "socket.keepalive.enable", "true");
    assert_prop(conf, "bootstrap.servers", "a:9092,b:9092");
    rd_kafka_conf_destroy(conf);

    /* brokers given on the command line override the file */
    conf = nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), "c:1", &err);
    cr_assert_not_null(conf, "%s", err.msg);
    assert_prop(conf, "bootstrap.servers", "c:1");
    rd_kafka_conf_destroy(conf);
    nw_config_free(cfg);

    conf = nw_kafka_conf_new(NULL, "127.0.0.1:9", &err);
    cr_assert_not_null(conf, "%s", err.msg);
    assert_prop(conf, "client.id", "newswire");
    assert_prop(conf, "bootstrap.servers", "127.0.0.1:9");
    rd_kafka_conf_destroy(conf);
}

Test(kafka_conf, errors_name_key_and_line)
{
    nw_err err = {0};
    nw_config *cfg = load("service: x\n"
                          "kafka:\n"
                          "  acks: all\n"
                          "  no.such.property: 1\n");
    cr_assert_null(nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err));
    cr_assert_eq(err.code, NW_EINVAL);
    cr_assert(strstr(err.msg, "kafka.no.such.property"), "%s", err.msg);
    /* the file too, not only the line */
    cr_assert(strstr(err.msg, "test.yaml:4: kafka.no.such.property"), "%s", err.msg);
    nw_config_free(cfg);

    cfg = load("kafka:\n"
               "  sasl:\n"
               "    mechanism: PLAIN\n"
               "  linger.ms: soon\n");
    cr_assert_null(nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err));
    cr_assert(strstr(err.msg, "test.yaml:4: kafka.linger.ms"), "%s", err.msg);
    nw_config_free(cfg);

    cfg = load("kafka:\n  batch:\n    num.messages: lots\n");
    cr_assert_null(nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err));
    cr_assert(strstr(err.msg, "test.yaml:3: kafka.batch.num.messages"), "%s", err.msg);
    nw_config_free(cfg);

    cfg = load("kafka: 5\n");
    cr_assert_null(nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err));
    cr_assert(strstr(err.msg, "kafka"), "%s", err.msg);
    nw_config_free(cfg);

    cfg = load("kafka:\n  acks:\n");
    cr_assert_null(nw_kafka_conf_new(nw_cfg_get(nw_config_root(cfg), "kafka"), NULL, &err));
    cr_assert(strstr(err.msg, "kafka.acks"), "%s", err.msg);
    nw_config_free(cfg);
}

Test(kafka_conf, set_error_never_shows_the_value)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    nw_err err = {0};
    cr_assert_eq(nw_kafka_conf_set(conf, "no.such.key", "s3cret", &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "kafka.no.such.key"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "s3cret"), "%s", err.msg);
    /* an enum-typed credential setting whose bad value librdkafka would quote */
    cr_assert_eq(nw_kafka_conf_set(conf, "ssl.keystore.location", NULL, &err), NW_EINVAL);
    cr_assert_eq(nw_kafka_conf_set(conf, "linger.ms", "3", &err), 0);
    rd_kafka_conf_destroy(conf);
}

/* Criterion runs each test in its own process: the environment changes
 * below stay in it. */
Test(kafka_sasl_plugins, skipped_without_a_sasl_login)
{
    unsetenv("SASL_PATH");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert(nw_kafka_skip_sasl_plugins(conf));
    const char *v = getenv("SASL_PATH");
    cr_assert(v && !v[0], "SASL_PATH=%s", v ? v : "(unset)");
    /* librdkafka still starts (and would still log in with PLAIN/SCRAM) */
    char errstr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);
    rd_kafka_destroy(rk);
}

Test(kafka_sasl_plugins, kept_for_a_sasl_login_or_an_operators_path)
{
    unsetenv("SASL_PATH");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    nw_err err = {0};
    cr_assert_eq(nw_kafka_conf_set(conf, "security.protocol", "SASL_SSL", &err), 0, "%s", err.msg);
    cr_assert_not(nw_kafka_skip_sasl_plugins(conf));
    cr_assert_null(getenv("SASL_PATH"));
    rd_kafka_conf_destroy(conf);

    setenv("SASL_PATH", "/opt/sasl2", 1);
    conf = rd_kafka_conf_new();
    cr_assert_not(nw_kafka_skip_sasl_plugins(conf));
    cr_assert_str_eq(getenv("SASL_PATH"), "/opt/sasl2");
    rd_kafka_conf_destroy(conf);
}

/* ------------------------------------------------------------------------ */
/* Embedded broker                                                          */
/* ------------------------------------------------------------------------ */

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap, const char **kv)
{
    nw_err err = {0};
    char errstr[512];
    rd_kafka_conf_t *conf = nw_kafka_conf_new(NULL, bootstrap, &err);
    cr_assert_not_null(conf, "%s", err.msg);
    for (; kv && kv[0]; kv += 2)
        cr_assert_eq(nw_kafka_conf_set(conf, kv[0], kv[1], &err), 0, "%s", err.msg);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);
    return rk;
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : -1;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return n;
}

static void assert_header(const rd_kafka_message_t *m, const char *name, const char *want)
{
    rd_kafka_headers_t *h = NULL;
    const void *val;
    size_t len;
    cr_assert_eq(rd_kafka_message_headers(m, &h), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_header_get_last(h, name, &val, &len), RD_KAFKA_RESP_ERR_NO_ERROR,
                 "header %s missing", name);
    cr_assert_eq(len, strlen(want));
    cr_assert_eq(memcmp(val, want, len), 0, "header %s", name);
}

Test(kafka_broker, refuses_bad_sizes)
{
    nw_err err = {0};
    cr_assert_null(nw_broker_new(0, 1, &err));
    cr_assert_eq(err.code, NW_EINVAL);
    cr_assert_null(nw_broker_new(1, 0, &err));
    cr_assert_null(nw_broker_new(NW_BROKER_MAX_BROKERS + 1, 1, &err));
}

Test(kafka_broker, message_with_headers_round_trips)
{
    nw_err err = {0};
    nw_broker *b = nw_broker_new(2, 3, &err);
    cr_assert_not_null(b, "%s", err.msg);
    const char *bs = nw_broker_bootstrap(b);
    cr_assert(!strncmp(bs, "127.0.0.1:", 10), "%s", bs);
    cr_assert_not_null(strchr(bs, ','), "two brokers: %s", bs);
    cr_assert_not_null(nw_broker_cluster(b));

    cr_assert_eq(nw_broker_create_topic(b, "news.world", 0, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(b, "news.world", 0, &err), NW_EKAFKA);
    cr_assert_eq(nw_broker_create_topic(b, "bad topic", 0, &err), NW_EINVAL);

    const char *pkv[] = {"enable.idempotence", "true", NULL};
    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bs, pkv);
    cr_assert_eq(partition_count(p, "news.world"), 3);

    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, NW_HDR_SCHEMA, -1, NW_SCHEMA_VERSION, -1);
    rd_kafka_header_add(h, NW_HDR_TRACE_ID, -1, "0123456789abcdef0123456789abcdef", -1);
    const char *value = "{\"uri\":\"urn:test:1\"}";
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("news.world"),
                                   RD_KAFKA_V_KEY("urn:test:1", 10),
                                   RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                                   RD_KAFKA_V_END),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    /* an auto-created topic works too (with the mock's default partitions) */
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("news.auto"), RD_KAFKA_V_KEY("k", 1),
                                   RD_KAFKA_V_VALUE("v", 1), RD_KAFKA_V_END),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(partition_count(p, "news.auto"), 4);

    /* find the partition that holds the message and read it back */
    const char *ckv[] = {"group.id", "test-kafka", "enable.auto.commit", "false", NULL};
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bs, ckv);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(3);
    int total = 0;
    for (int i = 0; i < 3; i++) {
        int64_t lo, hi;
        cr_assert_eq(rd_kafka_query_watermark_offsets(c, "news.world", i, &lo, &hi, 5000), 0);
        total += (int)(hi - lo);
        rd_kafka_topic_partition_list_add(parts, "news.world", i)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    cr_assert_eq(total, 1);
    cr_assert_eq(rd_kafka_assign(c, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);

    rd_kafka_message_t *m = NULL;
    double deadline = nw_test_now_s() + 10;
    while (nw_test_now_s() < deadline) {
        m = rd_kafka_consumer_poll(c, 200);
        if (m && !m->err)
            break;
        if (m)
            rd_kafka_message_destroy(m);
        m = NULL;
    }
    cr_assert_not_null(m, "message did not come back");
    cr_assert_eq(m->key_len, 10);
    cr_assert_eq(memcmp(m->key, "urn:test:1", 10), 0);
    cr_assert_eq(m->len, strlen(value));
    cr_assert_eq(memcmp(m->payload, value, m->len), 0);
    assert_header(m, NW_HDR_SCHEMA, "ninjs/3.1");
    assert_header(m, NW_HDR_TRACE_ID, "0123456789abcdef0123456789abcdef");
    rd_kafka_message_destroy(m);

    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
    nw_broker_free(b);
}

/* A consumer subscribed by regex before any topic exists receives messages of
 * a topic the producer auto-creates later (what the consumer host relies on). */
Test(kafka_broker, regex_subscriber_sees_auto_created_topic)
{
    nw_err err = {0};
    nw_broker *b = nw_broker_new(1, 2, &err);
    cr_assert_not_null(b, "%s", err.msg);
    const char *bs = nw_broker_bootstrap(b);

    const char *ckv[] = {"group.id",
                         "newswire-test",
                         "auto.offset.reset",
                         "earliest",
                         "session.timeout.ms",
                         "3000",
                         "heartbeat.interval.ms",
                         "500",
                         "topic.metadata.refresh.interval.ms",
                         "1000",
                         NULL};
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bs, ckv);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, "^news\\..*", RD_KAFKA_PARTITION_UA);
    cr_assert_eq(rd_kafka_subscribe(c, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);

    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bs, NULL);
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("news.mid-east"), RD_KAFKA_V_KEY("u", 1),
                                   RD_KAFKA_V_VALUE("{}", 2), RD_KAFKA_V_END),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);

    int got = 0;
    double deadline = nw_test_now_s() + 20;
    while (!got && nw_test_now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m)
            continue;
        /* "Subscribed topic not available" is expected until the topic exists */
        if (!m->err) {
            cr_assert_str_eq(rd_kafka_topic_name(m->rkt), "news.mid-east");
            got = 1;
        }
        rd_kafka_message_destroy(m);
    }
    cr_assert(got, "regex subscriber never saw the auto-created topic");

    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
    nw_broker_free(b);
}

Test(kafka_topics, one_handle_per_topic_and_producer)
{
    nw_err err = {0};
    nw_broker *b = nw_broker_new(1, 1, &err);
    cr_assert_not_null(b, "%s", err.msg);
    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, nw_broker_bootstrap(b), NULL);
    nw_kafka_topics *tbl = nw_kafka_topics_new();
    cr_assert_not_null(tbl);

    rd_kafka_resp_err_t why = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_t *a = nw_kafka_topics_get(tbl, p, "news.a", &why);
    cr_assert_not_null(a, "%s", rd_kafka_err2str(why));
    cr_assert_str_eq(rd_kafka_topic_name(a), "news.a");
    cr_assert_eq(nw_kafka_topics_get(tbl, p, "news.a", NULL), a, "kept, not made again");
    rd_kafka_topic_t *bb = nw_kafka_topics_get(tbl, p, "news.b", NULL);
    cr_assert_not_null(bb);
    cr_assert_neq(bb, a);
    cr_assert_str_eq(rd_kafka_topic_name(bb), "news.b");

    /* a message sent by handle is acknowledged */
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_RKT(a), RD_KAFKA_V_KEY("k", 1),
                                   RD_KAFKA_V_VALUE("v", 1),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);

    /* a name librdkafka refuses: NULL with a reason that is no back-pressure */
    char lng[600];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    why = RD_KAFKA_RESP_ERR_NO_ERROR;
    cr_assert_null(nw_kafka_topics_get(tbl, p, lng, &why));
    cr_assert_neq(why, RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_neq(why, RD_KAFKA_RESP_ERR__QUEUE_FULL);

    /* cleared (before the producer goes), the table serves again */
    nw_kafka_topics_clear(tbl);
    cr_assert_not_null(nw_kafka_topics_get(tbl, p, "news.a", NULL));
    nw_kafka_topics_free(tbl);
    nw_kafka_topics_free(NULL);
    rd_kafka_destroy(p);
    nw_broker_free(b);
}
