/*
 * nw_dedup_sync — fingerprint topic: JSON codec, producer, group-less
 * consumer that reads every partition from the beginning. See
 * nw_dedup_sync.h.
 */
#include "nw_dedup_sync.h"

#include "nw_kafka.h"

#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_json.h"

struct nw_dedup_sync {
    rd_kafka_t *producer, *consumer;
    rd_kafka_queue_t *queue;
    char *topic;
    int partitions;
    nw_dedup_sync_fn fn;
    void *ctx;
    _Atomic uint64_t delivered, failed;
    nw_dedup_sync_stats st;
    char last_error[256];
};

/* ---------------------------------------------------------------- codec */

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex(const char *s, uint8_t *b, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        b[i / 2] = (uint8_t)(i % 2 ? b[i / 2] | v : v << 4);
    }
    return 0;
}

char *nw_dedup_fp_encode(const nw_dedup_fp *fp)
{
    char sig[2 * NW_DEDUP_SIG_BYTES + 1], exact[33];
    hex(fp->sk.sig, sizeof fp->sk.sig, sig);
    snprintf(exact, sizeof exact, "%016" PRIx64 "%016" PRIx64, fp->sk.exact_hi, fp->sk.exact_lo);
    json_t *bands = json_array();
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        json_array_append_new(bands, json_integer(fp->sk.bands[b]));
    json_t *o =
        json_pack("{s:i, s:s, s:s, s:I, s:s, s:o, s:s, s:i, s:b, s:b, s:s}", "v", NW_DEDUP_SKETCH_V,
                  "uri", fp->uri, "version", fp->version, "time", (json_int_t)fp->time_s, "exact",
                  exact, "bands", bands, "sig", sig, "words", (int)fp->sk.words, "numeric",
                  fp->sk.numeric, "short", fp->short_text, "verdict", nw_dedup_kind_name(fp->kind));
    if (!o)
        return NULL;
    if (fp->sk.has_ext) {
        /* optional: records without them (older instances) still decode */
        char lsig[2 * NW_DEDUP_LEAD_BYTES + 1], sig2[2 * NW_DEDUP_SIG2_BYTES + 1];
        hex(fp->sk.lead_sig, sizeof fp->sk.lead_sig, lsig);
        hex(fp->sk.sig2, sizeof fp->sk.sig2, sig2);
        json_t *lead = json_array();
        for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
            json_array_append_new(lead, json_integer(fp->sk.lead_bands[b]));
        json_object_set_new(o, "lead", lead);
        json_object_set_new(o, "lead_sig", json_string(lsig));
        json_object_set_new(o, "sig2", json_string(sig2));
    }
    if (fp->kind >= NW_DEDUP_DUPLICATE && fp->of) {
        json_object_set_new(o, "of", json_string(fp->of));
        json_object_set_new(o, "score", json_real((double)(int)(fp->score * 100 + 0.5) / 100));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

json_t *nw_dedup_fp_decode(const void *buf, size_t len, nw_dedup_fp *fp)
{
    memset(fp, 0, sizeof *fp);
    json_t *o = nw_json_loadb(buf, len, 0, NULL);
    if (!o || !json_is_object(o))
        goto bad;
    if (json_integer_value(json_object_get(o, "v")) != NW_DEDUP_SKETCH_V)
        goto bad;
    fp->uri = json_string_value(json_object_get(o, "uri"));
    fp->version = json_string_value(json_object_get(o, "version"));
    fp->time_s = json_integer_value(json_object_get(o, "time"));
    const char *exact = json_string_value(json_object_get(o, "exact"));
    uint8_t e[16];
    if (!fp->uri || !fp->version || unhex(exact, e, 16) < 0 ||
        unhex(json_string_value(json_object_get(o, "sig")), fp->sk.sig, NW_DEDUP_SIG_BYTES) < 0)
        goto bad;
    for (int i = 0; i < 8; i++) {
        fp->sk.exact_hi = fp->sk.exact_hi << 8 | e[i];
        fp->sk.exact_lo = fp->sk.exact_lo << 8 | e[8 + i];
    }
    json_t *bands = json_object_get(o, "bands");
    if (json_array_size(bands) != NW_DEDUP_BANDS)
        goto bad;
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        fp->sk.bands[b] = (uint32_t)json_integer_value(json_array_get(bands, (size_t)b));
    fp->sk.words = (uint32_t)json_integer_value(json_object_get(o, "words"));
    json_t *lead = json_object_get(o, "lead");
    if (json_array_size(lead) == NW_DEDUP_LEAD_BANDS &&
        unhex(json_string_value(json_object_get(o, "lead_sig")), fp->sk.lead_sig,
              NW_DEDUP_LEAD_BYTES) == 0 &&
        unhex(json_string_value(json_object_get(o, "sig2")), fp->sk.sig2, NW_DEDUP_SIG2_BYTES) ==
            0) {
        for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
            fp->sk.lead_bands[b] = (uint32_t)json_integer_value(json_array_get(lead, (size_t)b));
        fp->sk.has_ext = 1;
    } else {
        /* a record without the extension */
        memset(fp->sk.lead_sig, 0, sizeof fp->sk.lead_sig);
        memset(fp->sk.sig2, 0, sizeof fp->sk.sig2);
    }
    fp->short_text = json_is_true(json_object_get(o, "short"));
    fp->sk.numeric = json_is_true(json_object_get(o, "numeric"));
    if (nw_dedup_kind_parse(json_string_value(json_object_get(o, "verdict")), &fp->kind) < 0)
        goto bad;
    fp->of = json_string_value(json_object_get(o, "of"));
    fp->score = json_number_value(json_object_get(o, "score"));
    if (fp->kind >= NW_DEDUP_DUPLICATE && !fp->of)
        goto bad;
    return o;
bad:
    json_decref(o);
    memset(fp, 0, sizeof *fp);
    return NULL;
}

/* --------------------------------------------------------------- clients */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    nw_dedup_sync *s = opaque;
    if (m->err) {
        atomic_fetch_add(&s->failed, 1);
        snprintf(s->last_error, sizeof s->last_error, "%s", rd_kafka_err2str(m->err));
    } else {
        atomic_fetch_add(&s->delivered, 1);
    }
}

static rd_kafka_conf_t *make_conf(const char *const *kv, size_t n, nw_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char es[512];
    for (size_t i = 0; i < 2 * n; i += 2) {
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], es, sizeof es) != RD_KAFKA_CONF_OK) {
            nw_err_set(err, NW_EINVAL, "kafka.%s: %s", kv[i], es);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, nw_err *err)
{
    char es[512];
    if (rd_kafka_conf_set(conf, k, v, es, sizeof es) != RD_KAFKA_CONF_OK)
        return nw_err_set(err, NW_EINVAL, "kafka.%s: %s", k, es);
    return 0;
}

int nw_dedup_sync_new(const char *const *kv, size_t n, const char *topic, int partitions,
                      nw_dedup_sync_fn fn, void *ctx, nw_dedup_sync **out, nw_err *err)
{
    *out = NULL;
    nw_dedup_sync *s = calloc(1, sizeof *s);
    if (!s || !(s->topic = strdup(topic))) {
        free(s);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    s->fn = fn;
    s->ctx = ctx;
    s->partitions = partitions > 0 ? partitions : 1;
    char es[512];
    rd_kafka_conf_t *pc = make_conf(kv, n, err);
    if (!pc || set(pc, "linger.ms", "5", err) < 0 || set(pc, "enable.idempotence", "true", err) < 0)
        goto fail_conf;
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_opaque(pc, s);
    if (!(s->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof es))) {
        nw_err_set(err, NW_EKAFKA, "fingerprint producer: %s", es);
        goto fail_conf;
    }
    pc = NULL; /* rd_kafka_new() succeeded: conf ownership transferred to the producer */

    int np = nw_kafka_topic_partitions(s->producer, topic, 10000, err);
    if (np == 0) {
        if (nw_kafka_create_compacted_topic(s->producer, topic, s->partitions, err) < 0)
            goto fail;
        for (int i = 0; i < 50 && np <= 0; i++) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
            np = nw_kafka_topic_partitions(s->producer, topic, 10000, err);
        }
        if (np <= 0) {
            nw_err_set(err, NW_EKAFKA, "fingerprint topic %s did not appear", topic);
            goto fail;
        }
    }
    if (np < 0)
        goto fail;
    s->partitions = np;

    rd_kafka_conf_t *cc = make_conf(kv, n, err);
    if (!cc || set(cc, "enable.partition.eof", "true", err) < 0 ||
        set(cc, "enable.auto.commit", "false", err) < 0 ||
        set(cc, "fetch.wait.max.ms", "20", err) < 0 ||
        /* librdkafka wants a group.id even for assign(); it is never joined
         * (no subscribe) and nothing is committed under it */
        set(cc, "group.id", "newswire-dedup-reader", err) < 0) {
        if (cc)
            rd_kafka_conf_destroy(cc);
        goto fail;
    }
    if (!(s->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, es, sizeof es))) {
        rd_kafka_conf_destroy(cc);
        nw_err_set(err, NW_EKAFKA, "fingerprint consumer: %s", es);
        goto fail;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(s->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        nw_err_set(err, NW_EKAFKA, "assigning %s: %s", topic, rd_kafka_err2str(e));
        goto fail;
    }
    s->queue = rd_kafka_queue_get_consumer(s->consumer);
    *out = s;
    return 0;
fail_conf:
    if (pc)
        rd_kafka_conf_destroy(pc);
fail:
    nw_dedup_sync_free(s);
    return err && err->code ? err->code : NW_EKAFKA;
}

void nw_dedup_sync_free(nw_dedup_sync *s)
{
    if (!s)
        return;
    if (s->queue)
        rd_kafka_queue_destroy(s->queue);
    if (s->consumer) {
        rd_kafka_consumer_close(s->consumer);
        rd_kafka_destroy(s->consumer);
    }
    if (s->producer) {
        rd_kafka_flush(s->producer, 5000);
        rd_kafka_destroy(s->producer);
    }
    free(s->topic);
    free(s);
}

/* ------------------------------------------------------------ reading */

/* One consumer event: 1 fingerprint, 0 other, 2 partition EOF. */
static int handle(nw_dedup_sync *s, rd_kafka_message_t *m)
{
    int r = 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        r = 2;
    } else if (!m->err && m->payload) {
        nw_dedup_fp fp;
        json_t *o = nw_dedup_fp_decode(m->payload, m->len, &fp);
        if (o) {
            s->fn(s->ctx, &fp);
            s->st.read++;
            r = 1;
        } else {
            s->st.undecodable++;
        }
        json_decref(o);
    }
    rd_kafka_message_destroy(m);
    return r;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int nw_dedup_sync_catch_up(nw_dedup_sync *s, int timeout_ms, nw_err *err)
{
    /* high watermarks now; done when every partition's position reached it */
    int64_t *high = calloc((size_t)s->partitions, sizeof *high);
    if (!high)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    int64_t deadline = mono_ms() + timeout_ms;
    for (int p = 0; p < s->partitions; p++) {
        int64_t lo = 0;
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(s->consumer, s->topic, p, &lo, &high[p], timeout_ms);
        if (e) {
            free(high);
            return nw_err_set(err, NW_ERETRY, "watermarks of %s[%d]: %s", s->topic, p,
                              rd_kafka_err2str(e));
        }
    }
    int rc = 0;
    for (;;) {
        rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(s->partitions);
        for (int p = 0; p < s->partitions; p++)
            rd_kafka_topic_partition_list_add(pos, s->topic, p);
        rd_kafka_position(s->consumer, pos);
        bool done = true;
        for (int p = 0; p < s->partitions && done; p++) {
            int64_t off = pos->elems[p].offset;
            done = high[p] == 0 || (off >= 0 && off >= high[p]);
        }
        rd_kafka_topic_partition_list_destroy(pos);
        if (done)
            break;
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            rc = nw_err_set(err, NW_ERETRY,
                            "reading the fingerprint topic %s to its end took longer than %d ms",
                            s->topic, timeout_ms);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consume_queue(s->queue, left < 100 ? (int)left : 100);
        if (m)
            handle(s, m);
    }
    free(high);
    return rc;
}

size_t nw_dedup_sync_poll(nw_dedup_sync *s, int wait_ms)
{
    size_t n = 0;
    rd_kafka_poll(s->producer, 0); /* delivery reports */
    for (int first = 1;; first = 0) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(s->queue, first ? wait_ms : 0);
        if (!m)
            break;
        if (handle(s, m) == 1)
            n++;
    }
    return n;
}

/* ------------------------------------------------------------ writing */

int nw_dedup_sync_publish(nw_dedup_sync *s, const nw_dedup_fp *fp, nw_err *err)
{
    char *v = nw_dedup_fp_encode(fp);
    if (!v)
        return nw_err_set(err, NW_ENOMEM, "out of memory encoding a fingerprint");
    rd_kafka_resp_err_t e = rd_kafka_producev(
        s->producer, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_KEY(fp->uri, strlen(fp->uri)),
        RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END);
    if (e) {
        free(v);
        return nw_err_set(err, e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? NW_ERETRY : NW_EKAFKA,
                          "publishing the fingerprint of %s: %s", fp->uri, rd_kafka_err2str(e));
    }
    s->st.published++;
    rd_kafka_poll(s->producer, 0);
    return 0;
}

int nw_dedup_sync_flush(nw_dedup_sync *s, int timeout_ms, nw_err *err)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(s->producer, timeout_ms);
    uint64_t failed = atomic_exchange(&s->failed, 0);
    if (failed) {
        s->st.delivery_failures += failed;
        return nw_err_set(err, NW_EKAFKA, "%" PRIu64 " fingerprints were not delivered to %s: %s",
                          failed, s->topic, s->last_error);
    }
    if (e)
        return nw_err_set(err, NW_ERETRY, "fingerprints to %s not acknowledged yet: %s", s->topic,
                          rd_kafka_err2str(e));
    return 0;
}

nw_dedup_sync_stats nw_dedup_sync_get_stats(const nw_dedup_sync *s)
{
    nw_dedup_sync_stats st = s->st;
    st.delivered = atomic_load(&((nw_dedup_sync *)s)->delivered);
    st.delivery_failures += atomic_load(&((nw_dedup_sync *)s)->failed);
    return st;
}
