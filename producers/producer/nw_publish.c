/*
 * nw_publish — stories to Kafka with delivery accounting (see nw_publish.h).
 *
 * Invariants: every message handed to librdkafka is counted in `messages`
 * and ends as exactly one of acked / failed through its delivery report;
 * a message librdkafka refuses up front is counted failed at once. The queue
 * is never allowed to drop: QUEUE_FULL is answered with a poll and a retry.
 */
#include "nw_publish.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_log.h"
#include "nw_ninjs.h"
#include "nw_text.h"
#include "nw_time.h"

struct nw_publisher {
    rd_kafka_t *rk;
    nw_kafka_topics *topics; /* handles kept for the publisher's life */
    char *topic_prefix;
    char *uncategorized;
    size_t stories, messages, acked, dr_failed, refused;
    char first_error[256];
    unsigned long trace_seq; /* fallback entropy for trace ids */
    /* trace ids come from this pool of kernel randomness, refilled 256 ids
     * at a time: one getrandom(2) per story was a syscall per message */
    unsigned char rnd[4096];
    size_t rnd_left;
    nw_publish_delivery_fn on_delivery;
    void *on_delivery_ctx;
};

/* One allocation per message: the strings live in `text` after the struct. */
struct nw_outmsg {
    char *json; /* malloc'd; handed to librdkafka by the last send (NULL after) */
    size_t json_len;
    const char *key; /* the story uri */
    const char *provider;
    const char *origin;
    char trace_id[33];
    char ingest_time[NW_TIME_RFC3339_MAX];
    size_t ntopics;
    const char *topics[NW_PUBLISH_MAX_TOPICS];
    char text[];
};

/* Topic names of a message being prepared (on the stack). */
typedef struct {
    size_t n;
    char name[NW_PUBLISH_MAX_TOPICS][NW_TOPIC_NAME_MAX + 1];
} topic_set;

/* ------------------------------------------------------------------------ */
/* Delivery reports                                                         */
/* ------------------------------------------------------------------------ */

static void note_failure(char *buf, size_t len, const char *fmt, const char *topic,
                         const char *reason)
{
    if (buf[0] == '\0')
        snprintf(buf, len, fmt, topic, reason);
}

/* The ticket's first failure (kept when memory for it runs out: the counts
 * still say what failed). */
static void ticket_failure(nw_publish_ticket *t, const char *fmt, const char *topic,
                           const char *reason)
{
    if (t->first_error)
        return;
    char text[256] = "";
    note_failure(text, sizeof text, fmt, topic, reason);
    t->first_error = strdup(text);
}

void nw_publish_ticket_clear(nw_publish_ticket *t)
{
    free(t->first_error);
    memset(t, 0, sizeof *t);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    nw_publisher *pub = opaque;
    nw_publish_ticket *ticket = m->_private;
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";
    if (m->err) {
        pub->dr_failed++;
        const char *reason = rd_kafka_err2str(m->err);
        note_failure(pub->first_error, sizeof pub->first_error, "delivery to %s failed: %s", topic,
                     reason);
        if (ticket) {
            ticket->failed++;
            ticket_failure(ticket, "delivery to %s failed: %s", topic, reason);
        }
        nw_log_error("publish", "delivery failed topic=%s key=%.*s error=\"%s\"", topic,
                     (int)(m->key_len > 200 ? 200 : m->key_len), m->key ? (const char *)m->key : "",
                     reason);
    } else {
        pub->acked++;
        if (ticket)
            ticket->acked++;
    }
    if (pub->on_delivery)
        pub->on_delivery(pub->on_delivery_ctx, ticket, topic, (int)m->err,
                         rd_kafka_message_latency(m));
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    nw_publisher *pub = opaque;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[200]; /* fits first_error with the prefix */
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        nw_log_error("publish", "fatal producer error: %s (%s)", fatal, rd_kafka_err2name(orig));
        note_failure(pub->first_error, sizeof pub->first_error, "%s%s",
                     "fatal producer error: ", fatal);
    } else {
        /* transient (broker down, ...): librdkafka retries by itself */
        nw_log_warn("publish", "kafka: %s (%s)", reason,
                    rd_kafka_err2name((rd_kafka_resp_err_t)code));
    }
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

int nw_publisher_check_conf(const rd_kafka_conf_t *conf, nw_err *err)
{
    char acks[32];
    size_t acks_len = sizeof acks;
    if (rd_kafka_conf_get(conf, "acks", acks, &acks_len) == RD_KAFKA_CONF_OK &&
        strcmp(acks, "-1") != 0 && strcmp(acks, "all") != 0)
        return nw_err_set(err, NW_EINVAL,
                          "kafka.acks is '%s': the producer needs acks=all (every in-sync "
                          "replica) so that an acknowledged story is never lost",
                          acks);
    return 0;
}

nw_publisher *nw_publisher_new(rd_kafka_conf_t *conf, const nw_publish_opts *opts, nw_err *err)
{
    char errstr[512];
    if (!conf) {
        nw_err_set(err, NW_EINVAL, "publisher: no Kafka configuration");
        return NULL;
    }
    if (nw_publisher_check_conf(conf, err) < 0)
        return NULL;
    if (nw_kafka_conf_set(conf, "enable.idempotence", "true", err) < 0)
        return NULL;

    nw_publisher *pub = calloc(1, sizeof *pub);
    const char *prefix = opts && opts->topic_prefix ? opts->topic_prefix : NW_TOPIC_PREFIX_NEWS;
    const char *uncat =
        opts && opts->uncategorized ? opts->uncategorized : NW_PUBLISH_UNCATEGORIZED;
    if (!pub || !(pub->topic_prefix = strdup(prefix)) || !(pub->uncategorized = strdup(uncat)) ||
        !(pub->topics = nw_kafka_topics_new())) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        goto fail;
    }
    /* check the prefix once here rather than on every story */
    char probe[NW_TOPIC_NAME_MAX + 1];
    if (nw_kafka_topic_name(pub->topic_prefix, pub->uncategorized, probe, sizeof probe, err) < 0)
        goto fail;
    if (opts) {
        pub->on_delivery = opts->on_delivery;
        pub->on_delivery_ctx = opts->on_delivery_ctx;
    }

    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, pub);
    pub->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!pub->rk) {
        /* conf is still the caller's */
        nw_err_set(err, NW_EKAFKA, "kafka producer: %s", errstr);
        goto fail;
    }
    /* rd_kafka_new() succeeded: conf ownership transferred to rk */
    return pub;

fail:
    if (pub) {
        nw_kafka_topics_free(pub->topics);
        free(pub->topic_prefix);
        free(pub->uncategorized);
        free(pub);
    }
    return NULL;
}

void nw_publisher_free(nw_publisher *pub)
{
    if (!pub)
        return;
    nw_kafka_topics_free(pub->topics); /* before the producer they belong to */
    if (pub->rk)
        rd_kafka_destroy(pub->rk);
    free(pub->topic_prefix);
    free(pub->uncategorized);
    free(pub);
}

/* ------------------------------------------------------------------------ */
/* Preparing a story                                                        */
/* ------------------------------------------------------------------------ */

static void make_trace_id(nw_publisher *pub, const char *uri, char out[33])
{
    if (pub->rnd_left < 16) {
        ssize_t got = getrandom(pub->rnd, sizeof pub->rnd, GRND_NONBLOCK);
        pub->rnd_left = got > 0 ? (size_t)got / 16 * 16 : 0;
    }
    if (pub->rnd_left >= 16) {
        static const char hex[] = "0123456789abcdef";
        pub->rnd_left -= 16;
        const unsigned char *raw = pub->rnd + pub->rnd_left;
        for (size_t i = 0; i < 16; i++) {
            out[2 * i] = hex[raw[i] >> 4];
            out[2 * i + 1] = hex[raw[i] & 15];
        }
        out[32] = '\0';
        return;
    }
    /* no entropy yet (early boot): hash what makes this story unique here */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char seed[512];
    int n = snprintf(seed, sizeof seed, "%ld.%ld/%ld/%lu/%s", (long)ts.tv_sec, ts.tv_nsec,
                     (long)getpid(), ++pub->trace_seq, uri);
    nw_text_hash_hex(seed, n > 0 ? (size_t)n : 0, out);
}

static void now_rfc3339_ms(char out[NW_TIME_RFC3339_MAX])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (nw_time_format_ms((int64_t)ts.tv_sec, (int)(ts.tv_nsec / 1000000), out) < 0)
        snprintf(out, NW_TIME_RFC3339_MAX, "1970-01-01T00:00:00.000Z");
}

void nw_outmsg_free(nw_outmsg *msg)
{
    if (!msg)
        return;
    free(msg->json);
    free(msg);
}

static int add_topic(topic_set *ts, const char *prefix, const char *slug, nw_err *err)
{
    char *topic = ts->n < NW_PUBLISH_MAX_TOPICS ? ts->name[ts->n] : NULL;
    char spare[NW_TOPIC_NAME_MAX + 1];
    if (nw_kafka_topic_name(prefix, slug, topic ? topic : spare, sizeof spare, err) < 0)
        return err ? err->code : NW_EINVAL;
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->name[i], topic ? topic : spare))
            return 0; /* a category listed twice goes out once */
    if (!topic)
        return nw_err_set(err, NW_ELIMIT, "story has more than %d categories",
                          NW_PUBLISH_MAX_TOPICS);
    ts->n++;
    return 0;
}

static const char *put_text(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

/* A message for `story` to the topics of ts, with key, provider and origin
 * copied into the same allocation; takes over json (freed on failure). */
static nw_outmsg *outmsg_new(const nw_story *story, const char *origin, const topic_set *ts,
                             char *json, size_t json_len, nw_err *err)
{
    const char *provider = nw_story_provider(story);
    size_t size = sizeof(nw_outmsg) + strlen(story->uri) + 1 +
                  (provider ? strlen(provider) + 1 : 0) + (origin ? strlen(origin) + 1 : 0);
    for (size_t i = 0; i < ts->n; i++)
        size += strlen(ts->name[i]) + 1;
    nw_outmsg *msg = malloc(size);
    if (!msg) {
        free(json);
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    msg->json = json;
    msg->json_len = json ? json_len : 0;
    char *at = msg->text;
    msg->key = put_text(&at, story->uri);
    msg->provider = put_text(&at, provider);
    msg->origin = put_text(&at, origin);
    msg->ntopics = ts->n;
    for (size_t i = 0; i < ts->n; i++)
        msg->topics[i] = put_text(&at, ts->name[i]);
    return msg;
}

/* Serialize the story into msg (unless the caller did: msg->json set) and
 * stamp trace id and ingest time. */
static int outmsg_finish(nw_publisher *pub, nw_outmsg *msg, const nw_story *story, nw_err *err)
{
    if (!msg->json) {
        nw_err jerr = {0};
        msg->json = nw_ninjs_dumps(story, &jerr);
        if (!msg->json)
            return nw_err_set(err, jerr.code ? jerr.code : NW_EINVAL, "ninjs: %s",
                              jerr.msg[0] ? jerr.msg : "could not serialize the story");
        msg->json_len = strlen(msg->json);
    }
    make_trace_id(pub, story->uri, msg->trace_id);
    now_rfc3339_ms(msg->ingest_time);
    return 0;
}

nw_outmsg *nw_publisher_prepare(nw_publisher *pub, const nw_story *story, const char *origin,
                                nw_err *err)
{
    if (!story || !story->uri || !*story->uri) {
        nw_err_set(err, NW_EINVAL, "story has no uri (the message key)");
        return NULL;
    }
    topic_set ts;
    ts.n = 0;
    const char *slugs[NW_PUBLISH_MAX_TOPICS + 1];
    size_t n = nw_story_categories(story, slugs, NW_PUBLISH_MAX_TOPICS + 1);
    if (n > NW_PUBLISH_MAX_TOPICS) {
        nw_err_set(err, NW_ELIMIT, "story has %zu categories, at most %d are routed", n,
                   NW_PUBLISH_MAX_TOPICS);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (add_topic(&ts, pub->topic_prefix, slugs[i], err) < 0)
            goto fail;
    if (ts.n == 0 && add_topic(&ts, pub->topic_prefix, pub->uncategorized, err) < 0)
        goto fail;
    nw_outmsg *msg = outmsg_new(story, origin, &ts, NULL, 0, err);
    if (!msg)
        goto fail;
    if (outmsg_finish(pub, msg, story, err) < 0) {
        nw_outmsg_free(msg);
        goto fail;
    }
    return msg;

fail:
    nw_err_prefix(err, "story %s: ", story->uri);
    return NULL;
}

nw_outmsg *nw_publisher_prepare_to(nw_publisher *pub, const nw_story *story, const char *origin,
                                   const char *const *topics, size_t ntopics, nw_err *err)
{
    return nw_publisher_prepare_to_json(pub, story, NULL, 0, origin, topics, ntopics, err);
}

nw_outmsg *nw_publisher_prepare_to_json(nw_publisher *pub, const nw_story *story, char *json,
                                        size_t json_len, const char *origin,
                                        const char *const *topics, size_t ntopics, nw_err *err)
{
    /* json is taken over from here on: freed with msg, or here on failure */
    if (!story || !story->uri || !*story->uri) {
        free(json);
        nw_err_set(err, NW_EINVAL, "story has no uri (the message key)");
        return NULL;
    }
    topic_set ts;
    ts.n = 0;
    nw_outmsg *msg = NULL;
    if (ntopics == 0) {
        nw_err_set(err, NW_EINVAL, "no topic to send to");
        goto fail;
    }
    for (size_t i = 0; i < ntopics; i++)
        if (add_topic(&ts, NULL, topics[i], err) < 0)
            goto fail;
    msg = outmsg_new(story, origin, &ts, json, json_len, err);
    json = NULL;
    if (!msg || outmsg_finish(pub, msg, story, err) < 0)
        goto fail;
    return msg;

fail:
    free(json);
    nw_err_prefix(err, "story %s: ", story->uri);
    nw_outmsg_free(msg);
    return NULL;
}

const char *const *nw_outmsg_topics(const nw_outmsg *msg, size_t *n)
{
    *n = msg ? msg->ntopics : 0;
    return msg ? (const char *const *)msg->topics : NULL;
}

const char *nw_outmsg_json(const nw_outmsg *msg)
{
    return msg ? msg->json : NULL;
}

size_t nw_outmsg_json_len(const nw_outmsg *msg)
{
    return msg ? msg->json_len : 0;
}

const char *nw_outmsg_key(const nw_outmsg *msg)
{
    return msg ? msg->key : NULL;
}

size_t nw_outmsg_record_size(const nw_outmsg *msg)
{
    if (!msg)
        return 0;
    /* value + key + header names and values + Kafka's per-record framing */
    size_t n = msg->json_len + strlen(msg->key) + 64;
    n += sizeof NW_HDR_SCHEMA + sizeof NW_SCHEMA_VERSION + sizeof NW_HDR_CONTENT_TYPE +
         sizeof NW_CONTENT_TYPE_JSON + sizeof NW_HDR_INGEST_TIME + NW_TIME_RFC3339_MAX +
         sizeof NW_HDR_TRACE_ID + 32;
    if (msg->provider)
        n += sizeof NW_HDR_PROVIDER + strlen(msg->provider);
    if (msg->origin)
        n += sizeof NW_HDR_ORIGIN + strlen(msg->origin);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

static rd_kafka_headers_t *make_headers(const nw_outmsg *msg)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(6);
    rd_kafka_header_add(h, NW_HDR_SCHEMA, -1, NW_SCHEMA_VERSION, -1);
    if (msg->provider)
        rd_kafka_header_add(h, NW_HDR_PROVIDER, -1, msg->provider, -1);
    rd_kafka_header_add(h, NW_HDR_CONTENT_TYPE, -1, NW_CONTENT_TYPE_JSON, -1);
    rd_kafka_header_add(h, NW_HDR_INGEST_TIME, -1, msg->ingest_time, -1);
    rd_kafka_header_add(h, NW_HDR_TRACE_ID, -1, msg->trace_id, -1);
    if (msg->origin)
        rd_kafka_header_add(h, NW_HDR_ORIGIN, -1, msg->origin, -1);
    return h;
}

int nw_publisher_warm(nw_publisher *pub, const char *topic, nw_err *err)
{
    rd_kafka_resp_err_t why = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!nw_kafka_topics_get(pub->topics, pub->rk, topic, &why))
        return nw_err_set(err, NW_EKAFKA, "topic %s: %s", topic, rd_kafka_err2str(why));
    return 0;
}

/* One message of msg to `topic`. The last send of a message (last) hands
 * msg->json to librdkafka (RD_KAFKA_MSG_F_FREE: no copy; NULL here after it
 * was taken); earlier ones let librdkafka copy it. */
static int send_one(nw_publisher *pub, nw_outmsg *msg, const char *topic, bool last,
                    nw_publish_ticket *ticket, nw_err *err)
{
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_t *rkt = nw_kafka_topics_get(pub->topics, pub->rk, topic, &topic_err);
    rd_kafka_headers_t *h = rkt ? make_headers(msg) : NULL;
    for (;;) {
        rd_kafka_resp_err_t rerr =
            !rkt ? topic_err
                 : rd_kafka_producev(
                       pub->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_KEY(msg->key, strlen(msg->key)),
                       RD_KAFKA_V_VALUE(msg->json, msg->json_len),
                       RD_KAFKA_V_MSGFLAGS(last ? RD_KAFKA_MSG_F_FREE : RD_KAFKA_MSG_F_COPY),
                       RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(ticket), RD_KAFKA_V_END);
        if (!rerr) {
            /* the message owns the headers now, and the value when last */
            if (last)
                msg->json = NULL;
            pub->messages++;
            if (ticket)
                ticket->sent++;
            return 0;
        }
        if (rerr == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* back-pressure: serve delivery reports until there is room;
             * headers and value were not taken and are offered again */
            rd_kafka_poll(pub->rk, 100);
            continue;
        }
        if (h)
            rd_kafka_headers_destroy(h); /* not taken on failure */
        pub->refused++;
        const char *reason = rd_kafka_err2str(rerr);
        note_failure(pub->first_error, sizeof pub->first_error, "send to %s refused: %s", topic,
                     reason);
        if (ticket) {
            ticket->failed++;
            ticket->refused++;
            ticket_failure(ticket, "send to %s refused: %s", topic, reason);
        }
        return nw_err_set(err, NW_EKAFKA, "story %s: send to %s refused: %s", msg->key, topic,
                          reason);
    }
}

int nw_publisher_send(nw_publisher *pub, nw_outmsg *msg, nw_publish_ticket *ticket, nw_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < msg->ntopics; i++) {
        nw_err one = {0};
        if (send_one(pub, msg, msg->topics[i], i + 1 == msg->ntopics, ticket, &one) < 0 &&
            rc == 0) {
            rc = one.code;
            if (err)
                *err = one;
        }
    }
    pub->stories++;
    rd_kafka_poll(pub->rk, 0);
    return rc;
}

int nw_publisher_publish(nw_publisher *pub, const nw_story *story, const char *origin,
                         nw_publish_ticket *ticket, nw_err *err)
{
    nw_outmsg *msg = nw_publisher_prepare(pub, story, origin, err);
    if (!msg)
        return err ? err->code : NW_EINVAL;
    int rc = nw_publisher_send(pub, msg, ticket, err);
    nw_outmsg_free(msg);
    return rc;
}

void nw_publisher_poll(nw_publisher *pub)
{
    rd_kafka_poll(pub->rk, 0);
}

void nw_publisher_counts(const nw_publisher *pub, nw_publish_counts *c)
{
    c->stories = pub->stories;
    c->messages = pub->messages;
    c->acked = pub->acked;
    c->failed = pub->dr_failed + pub->refused;
    c->pending = pub->messages - pub->acked - pub->dr_failed;
}

size_t nw_publisher_pending(const nw_publisher *pub)
{
    return pub->messages - pub->acked - pub->dr_failed;
}

rd_kafka_t *nw_publisher_rk(nw_publisher *pub)
{
    return pub->rk;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int nw_publisher_drain(nw_publisher *pub, int timeout_ms, nw_publish_counts *counts, nw_err *err)
{
    double deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
    nw_publish_counts c;
    for (;;) {
        nw_publisher_counts(pub, &c);
        if (c.pending == 0)
            break;
        int slice = 1000;
        if (timeout_ms >= 0) {
            double left = deadline - now_ms();
            if (left <= 0)
                break;
            if (left < slice)
                slice = (int)left + 1;
        }
        /* flush serves delivery reports while it waits */
        rd_kafka_flush(pub->rk, slice);
    }
    rd_kafka_poll(pub->rk, 0);
    nw_publisher_counts(pub, &c);
    if (counts)
        *counts = c;
    if (c.failed > 0)
        return nw_err_set(err, NW_EKAFKA, "%zu of %zu messages failed; first: %s", c.failed,
                          c.messages + pub->refused, pub->first_error);
    if (c.pending > 0)
        return nw_err_set(err, NW_ERETRY, "%zu messages still waiting for acknowledgement",
                          c.pending);
    return 0;
}
