#include "nw_testkafka.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int assign_from_beginning(rd_kafka_t *rk, const char *topic, char *err, size_t errlen)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : rd_kafka_last_error();
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (!e && md->topics[0].err)
        e = md->topics[0].err;
    if (e) {
        snprintf(err, errlen, "metadata of topic %s: %s", topic, rd_kafka_err2str(e));
        if (md)
            rd_kafka_metadata_destroy(md);
        return -1;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[p].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    e = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        snprintf(err, errlen, "assigning %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int nw_test_read_topic(const char *bootstrap, const char *topic, int want, int timeout_ms,
                       nw_test_topic *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "group.id", "nwtest-reader", errstr, sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "reader config: %s", errstr);
        return -1;
    }
    out->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!out->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "reader: %s", errstr);
        return -1;
    }
    if (assign_from_beginning(out->rk, topic, err, errlen) < 0)
        return -1;
    for (int waited = 0, extra = 0; waited < timeout_ms && out->n < NW_TEST_TOPIC_MAX && extra < 5;
         waited += 100) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(out->rk, 100);
        if (m && !m->err)
            out->m[out->n++] = m;
        else if (m)
            rd_kafka_message_destroy(m);
        if (out->n >= want)
            extra++;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long nw_test_read_to_end(const char *bootstrap, const char *topic, bool prefix, int timeout_ms,
                         nw_test_message_fn fn, void *ctx, char *err, size_t errlen)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "group.id", "nwtest-reader", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "reader config: %s", errstr);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "reader: %s", errstr);
        return -1;
    }
    long seen = -1;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
    if (e) {
        snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
        goto out;
    }
    size_t plen = strlen(topic);
    for (int i = 0; i < md->topic_cnt; i++) {
        const char *name = md->topics[i].topic;
        if (prefix ? strncmp(name, topic, plen) != 0 : strcmp(name, topic) != 0)
            continue;
        for (int p = 0; p < md->topics[i].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, name, md->topics[i].partitions[p].id)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    if (!parts->cnt && !prefix) {
        snprintf(err, errlen, "no topic %s", topic);
        goto out;
    }
    if (parts->cnt && (e = rd_kafka_assign(rk, parts))) {
        snprintf(err, errlen, "assigning %s: %s", topic, rd_kafka_err2str(e));
        goto out;
    }
    seen = 0;
    int eofs = 0;
    for (double end = now_s() + timeout_ms / 1e3; eofs < parts->cnt && now_s() < end;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (!m->err) {
            fn(m, ctx);
            seen++;
        }
        rd_kafka_message_destroy(m);
    }
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return seen;
}

void nw_test_topic_free(nw_test_topic *t)
{
    for (int i = 0; i < t->n; i++)
        rd_kafka_message_destroy(t->m[i]);
    t->n = 0;
    if (t->rk) {
        rd_kafka_consumer_close(t->rk);
        rd_kafka_destroy(t->rk);
        t->rk = NULL;
    }
}

const char *nw_test_header(rd_kafka_message_t *m, const char *name, char *buf, size_t len)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t vlen;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &vlen))
        return NULL;
    snprintf(buf, len, "%.*s", (int)vlen, (const char *)v);
    return buf;
}
