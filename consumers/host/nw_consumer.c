/*
 * nw_consumer — config, group membership, per-partition queues, the worker
 * pool, back-pressure, commits, dead letters, metrics and reload for
 * newswire-consumer. See nw_consumer.h.
 *
 * Threads. The main thread (the one in nw_consumer_run) is the only one that
 * talks to the consumer handle: it polls, owns every partition struct and
 * queue, dispatches batches, pauses/resumes, stores and commits offsets and
 * runs the rebalance callback. Worker i owns chain i and, while it holds a
 * job, the job's messages; it runs the chain and produces the job's dead
 * letters. They meet under c->mu only to hand over a job (w->job) and to say
 * it is done (w->done).
 *
 * Invariants. A partition is in at most one job at a time (part.busy) and its
 * queue holds what was polled after that job's messages, so every partition
 * is processed in offset order. Offsets are stored only for a finished job,
 * as the last offset of each of its partitions + 1, so a committed offset
 * never passes a story that some sink has not flushed. buffered_bytes counts
 * key+value bytes from poll until the job holding them is finished.
 *
 * Offsets: enable.auto.commit=false and enable.auto.offset.store=false;
 * stores are committed asynchronously after each job and synchronously on
 * revoke and at shutdown. Rebalancing uses cooperative-sticky by default
 * (incremental assign/unassign); an eager strategy under
 * kafka.partition.assignment.strategy works too. Pauses belong to one
 * assignment: a paused partition is resumed before it is revoked, and again
 * if it comes back, because librdkafka keeps a pause across unassign/assign
 * (resume_leaving, resume_arrived).
 *
 * Health (main thread): per partition, next_off is the oldest offset not yet
 * committed (lag = high watermark - next_off, from librdkafka's statistics),
 * head_ts_ms the time of that story (lag in seconds), expect_off the offset
 * the next message should carry (a jump past the log start = expired
 * stories). update_health marks a partition stalled while its job is backing
 * off past revoke_timeout, or when Kafka has not delivered stories waiting
 * on the broker for revoke_timeout while the host was ready for them
 * (fetched_off, the end offset from the statistics); is_ready reads the
 * count.
 */
#include "nw_consumer.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_chain.h"
#include "nw_consumer_conf.h"
#include "nw_http.h"
#include "nw_json.h"
#include "nw_kafka.h"
#include "nw_log.h"
#include "nw_metrics.h"
#include "nw_sdnotify.h"

#define MOD         "consumer"
#define MAX_WORKERS NW_CONSUMER_MAX_WORKERS

extern char **environ;

typedef struct worker worker;

/* One assigned partition and the messages polled from it, oldest first. */
typedef struct part {
    char *topic;
    int32_t partition;
    rd_kafka_message_t **q; /* ring buffer */
    size_t qhead, qlen, qcap;
    int64_t first_ms; /* when the oldest queued message arrived */
    bool eof;
    bool busy; /* in a job (held by `holder`) */
    worker *holder;
    bool paused;   /* as last told to librdkafka */
    bool revoking; /* being revoked: never rewound */
    bool stalled;  /* its batch retrying, or not delivered, past revoke_timeout */
    bool lag_known, lag_warned;
    int64_t next_off;    /* oldest offset not yet committed by us; -1 = not seen */
    int64_t expect_off;  /* offset the next message should have; -1 = unknown */
    int64_t head_ts_ms;  /* timestamp (ms since the epoch) of that story; 0 = none */
    int64_t assigned_ms; /* when it was assigned (monotonic) */
    int64_t lag_msgs;    /* the last lag read from the statistics; -1 = unknown */
    int64_t end_off;     /* the end of the log then (last stable offset); -1 = unknown */
    int64_t fetched_off; /* the next offset Kafka has to deliver us; -1 = unknown */
    int64_t fetched_ms;  /* when the last story (or the end) arrived (monotonic) */
    int64_t ready_ms;    /* since when the host has been ready for more of it */
    nw_counter *consumed, *resets, *skipped;
    nw_gauge *lag, *lag_seconds, *stalled_g;
} part;

/* A batch handed to a worker: messages of one or more partitions, each
 * partition's in offset order. */
typedef struct job {
    rd_kafka_message_t **msgs;
    size_t n;
    part **parts;
    size_t nparts;
    size_t bytes;
    int rc;
    nw_err err;
    size_t dead;
    size_t dlq_acked;
    size_t dlq_refs; /* of those, sent as a reference (the story did not fit) */
    int64_t started_ms;
} job;

struct worker {
    nw_consumer *c;
    pthread_t thread;
    bool started;
    nw_chain *chain;
    job *job;                    /* under c->mu: set by main, cleared by main after done */
    bool done;                   /* under c->mu */
    bool quit;                   /* under c->mu */
    volatile sig_atomic_t abort; /* chain and DLQ retries give up when set */
    _Atomic int dlq_backing_off; /* the job's dead letters are being retried */
    char last_error[256];        /* under c->mu: why its job is retrying */
    bool checking;               /* under c->mu: running its chain's ready checks */
    bool delivering;             /* under c->mu: main hands its chain partition events */
    char not_ready[256];         /* under c->mu: the last check's reason ("" = ready) */
    int64_t ready_checked_ms;    /* worker thread: when it last checked */
};

struct nw_consumer {
    const nw_config *cfg;
    nw_config *reloaded_cfg; /* owned: the config of the last reload */
    worker workers[MAX_WORKERS];
    int nworkers;
    rd_kafka_t *rk;
    rd_kafka_t *dlq;           /* producer, created on first dead letter (under mu) */
    rd_kafka_topic_t *dlq_rkt; /* its topic handle, created with it */
    const nw_cfg_node *kafka_node;
    char *brokers;
    char *group;
    char *dlq_topic; /* "" = dead letters are only logged */
    char *topic_prefix;
    rd_kafka_topic_partition_list_t *subscription;
    const char **subscription_names; /* its topics, for the plugins (nw_plugin_config) */
    int64_t max_messages, max_ms, idle_ms, from_time_ms;
    int64_t retry_initial_ms, retry_max_ms, revoke_timeout_ms;
    int64_t ready_interval_ms; /* how often workers run the ready checks; 0 = never */
    uint64_t max_buffered;
    bool cap_paused; /* every partition is paused for the memory cap */

    part **parts;
    size_t nparts, parts_cap, rr;
    rd_kafka_topic_partition_list_t *left_paused; /* owned: revoked while paused (resume_leaving) */
    bool assigned_once;
    int64_t last_activity_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;

    volatile sig_atomic_t stop;
    volatile sig_atomic_t reload;
    bool failed; /* a batch could not be finished: stop consuming */
    nw_err fail_err;
    nw_consumer_stats stats; /* under mu */
    _Atomic int ready;
    _Atomic int stalled;      /* partitions stalled now (see update_health) */
    _Atomic int fail_revoke;  /* fault injection: the next revoke as this error */
    char stalled_reason[512]; /* under mu */
    int64_t health_ms;        /* last update_health */

    nw_metrics *metrics;
    nw_http *http;
    nw_counter *m_batches, *m_dlq, *m_consumed_total, *m_dlq_refs, *m_lag_failures;
    nw_gauge *m_buffered, *m_paused, *m_busy, *m_stalled, *m_ready;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When a story was written to Kafka (ms since the epoch), or now when the
 * message carries no timestamp. */
static int64_t story_time_ms(const rd_kafka_message_t *m)
{
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (ts > 0)
        return ts;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void notify(const char *state)
{
    nw_sd_notify(state);
}

/* ------------------------------------------------------------------ config */

/* The settings are read and checked by nw_consumer_conf (the same tables
 * and parsers as plugin settings); here they become the subscription. */
static void read_topics(nw_consumer *c, const nw_consumer_settings *cs)
{
    c->subscription = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < cs->ntopics; i++)
        rd_kafka_topic_partition_list_add(c->subscription, cs->topics[i], RD_KAFKA_PARTITION_UA);
    if (cs->ntopics)
        return;
    /* "^news\..*": the prefix with regex metacharacters escaped */
    char re[600] = "^";
    size_t o = 1;
    for (const char *p = c->topic_prefix; *p && o < sizeof re - 8; p++) {
        if (strchr(".^$*+?()[]{}|\\", *p))
            re[o++] = '\\';
        re[o++] = *p;
    }
    snprintf(re + o, sizeof re - o, ".*");
    rd_kafka_topic_partition_list_add(c->subscription, re, RD_KAFKA_PARTITION_UA);
}

static bool kafka_key_set(const nw_cfg_node *kafka, const char *key)
{
    return kafka && nw_cfg_kind_of(kafka) == NW_CFG_MAP && nw_cfg_get(kafka, key);
}

/* One chain instance per worker, all from the same `chain` node. On failure
 * nothing is kept. */
static int build_chains(nw_consumer *c, const nw_cfg_node *chain_node, const char *origin,
                        nw_chain **out, nw_err *err)
{
    if (!c->subscription_names && c->subscription) {
        c->subscription_names = calloc((size_t)c->subscription->cnt + 1, sizeof(char *));
        for (int i = 0; c->subscription_names && i < c->subscription->cnt; i++)
            c->subscription_names[i] = c->subscription->elems[i].topic;
    }
    nw_chain_opts copts = {.metrics = c->metrics,
                           .brokers = c->brokers,
                           .subscription = c->subscription_names,
                           .subscription_count =
                               c->subscription_names ? (size_t)c->subscription->cnt : 0};
    if (!copts.brokers && c->kafka_node && nw_cfg_kind_of(c->kafka_node) == NW_CFG_MAP)
        copts.brokers = nw_cfg_scalar(nw_cfg_get(c->kafka_node, "bootstrap.servers"));
    for (int i = 0; i < c->nworkers; i++) {
        if (nw_chain_new_ex(chain_node, origin, &copts, &out[i], err) < 0) {
            for (int j = 0; j < i; j++)
                nw_chain_free(out[j]);
            return NW_EINVAL;
        }
    }
    return 0;
}

/* ---------------------------------------------------------- partition state */

/* Tell every worker's chain (nw_plugin_descriptor.assigned / revoked). A
 * revoke is noted after the partition's last batch finished; chains of idle
 * workers get the events now (only the main thread hands out jobs, so an
 * idle worker stays idle meanwhile), busy ones before their next batch. */
static void note_partition(nw_consumer *c, const char *topic, int32_t partition, bool assigned)
{
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        if (w->chain && nw_chain_note_partition(w->chain, topic, partition, assigned) < 0)
            nw_log_error(MOD, "out of memory noting a partition event");
        pthread_mutex_lock(&c->mu);
        bool idle = !w->job && !w->checking; /* a checking worker delivers them itself */
        w->delivering = idle;                /* and starts no check meanwhile */
        pthread_mutex_unlock(&c->mu);
        if (idle && w->chain)
            nw_chain_deliver_events(w->chain);
        pthread_mutex_lock(&c->mu);
        w->delivering = false;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

static part *find_part(nw_consumer *c, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i]->partition == partition && !strcmp(c->parts[i]->topic, topic))
            return c->parts[i];
    return NULL;
}

static char *part_labels(const char *topic, int32_t partition)
{
    nw_buf b = {0};
    nw_buf_puts(&b, "topic=\"");
    nw_metrics_label_escape(&b, topic);
    nw_buf_printf(&b, "\",partition=\"%d\"", (int)partition);
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return NULL;
    }
    return nw_buf_take(&b);
}

static part *part_add(nw_consumer *c, const char *topic, int32_t partition)
{
    part *p = find_part(c, topic, partition);
    if (p)
        return p;
    if (c->nparts == c->parts_cap) {
        size_t cap = c->parts_cap ? c->parts_cap * 2 : 16;
        part **ps = realloc(c->parts, cap * sizeof *ps);
        if (!ps)
            return NULL;
        c->parts = ps;
        c->parts_cap = cap;
    }
    p = calloc(1, sizeof *p);
    if (!p || !(p->topic = strdup(topic))) {
        free(p);
        return NULL;
    }
    p->partition = partition;
    char *tl = NULL;
    nw_buf b = {0};
    nw_buf_puts(&b, "topic=\"");
    nw_metrics_label_escape(&b, topic);
    nw_buf_puts(&b, "\"");
    tl = nw_buf_failed(&b) ? NULL : nw_buf_take(&b);
    nw_buf_free(&b);
    p->consumed = nw_metrics_counter(c->metrics, "newswire_consumer_consumed_total",
                                     "Messages polled from Kafka, by topic", tl);
    free(tl);
    char *pl = part_labels(topic, partition);
    p->lag = nw_metrics_gauge(c->metrics, "newswire_consumer_lag_messages",
                              "Stories in the partition not yet committed by this group (NaN "
                              "while unknown)",
                              pl);
    p->lag_seconds = nw_metrics_gauge(c->metrics, "newswire_consumer_lag_seconds",
                                      "Age of the oldest story of the partition not yet "
                                      "committed (0 when caught up)",
                                      pl);
    p->stalled_g = nw_metrics_gauge(c->metrics, "newswire_consumer_partition_stalled",
                                    "1 while the partition's batch has been retrying for longer "
                                    "than revoke_timeout, or Kafka does not deliver it",
                                    pl);
    /* created at 0 so that an alert on their increase sees the first one */
    p->resets = nw_metrics_counter(c->metrics, "newswire_consumer_offset_resets_total",
                                   "Committed offsets no longer on the broker (the stories "
                                   "expired before this group consumed them)",
                                   pl);
    p->skipped = nw_metrics_counter(c->metrics, "newswire_consumer_skipped_messages_total",
                                    "Stories never consumed because they expired from the "
                                    "broker first (offset out of range)",
                                    pl);
    free(pl);
    p->next_off = -1;
    p->expect_off = -1;
    p->lag_msgs = -1;
    p->end_off = -1;
    p->fetched_off = -1;
    p->assigned_ms = p->fetched_ms = p->ready_ms = now_ms();
    nw_gauge_set(p->lag, NAN);
    c->parts[c->nparts++] = p;
    note_partition(c, topic, partition, true);
    return p;
}

static void part_account(nw_consumer *c, int64_t delta);

/* Drop every queued message of p (they were never started: whoever owns the
 * partition next reads them again from the committed offset). */
static void part_drop_queue(nw_consumer *c, part *p)
{
    for (; p->qlen; p->qlen--) {
        rd_kafka_message_t *m = p->q[p->qhead];
        part_account(c, -(int64_t)(m->len + m->key_len));
        rd_kafka_message_destroy(m);
        p->qhead = (p->qhead + 1) % p->qcap;
    }
    p->first_ms = 0;
}

static void part_remove(nw_consumer *c, part *p)
{
    part_drop_queue(c, p);
    note_partition(c, p->topic, p->partition, false);
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i] == p) {
            c->parts[i] = c->parts[--c->nparts];
            break;
        }
    if (p->paused) {
        pthread_mutex_lock(&c->mu);
        c->stats.paused_partitions--;
        pthread_mutex_unlock(&c->mu);
    }
    nw_gauge_set(p->lag, 0);
    nw_gauge_set(p->lag_seconds, 0);
    nw_gauge_set(p->stalled_g, 0);
    free(p->q);
    free(p->topic);
    free(p);
}

static int part_push(part *p, rd_kafka_message_t *m, int64_t now)
{
    if (p->qlen == p->qcap) {
        size_t cap = p->qcap ? p->qcap * 2 : 64;
        rd_kafka_message_t **q = malloc(cap * sizeof *q);
        if (!q)
            return NW_ENOMEM;
        for (size_t i = 0; i < p->qlen; i++)
            q[i] = p->q[(p->qhead + i) % p->qcap];
        free(p->q);
        p->q = q;
        p->qcap = cap;
        p->qhead = 0;
    }
    if (!p->qlen)
        p->first_ms = now;
    p->q[(p->qhead + p->qlen++) % p->qcap] = m;
    return 0;
}

static bool all_at_eof(const nw_consumer *c)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (!c->parts[i]->eof)
            return false;
    return true;
}

static void part_account(nw_consumer *c, int64_t delta)
{
    pthread_mutex_lock(&c->mu);
    c->stats.buffered_bytes = (uint64_t)((int64_t)c->stats.buffered_bytes + delta);
    if (c->stats.buffered_bytes > c->stats.buffered_bytes_peak)
        c->stats.buffered_bytes_peak = c->stats.buffered_bytes;
    uint64_t now = c->stats.buffered_bytes;
    pthread_mutex_unlock(&c->mu);
    nw_gauge_set(c->m_buffered, (double)now);
}

static uint64_t buffered(nw_consumer *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t b = c->stats.buffered_bytes;
    pthread_mutex_unlock(&c->mu);
    return b;
}

/* ----------------------------------------------------------- dead letters */

/* One dead letter in flight: its delivery report lands here. */
typedef struct dlq_slot {
    _Atomic int state; /* 0 pending, 1 delivered, -1 failed */
    _Atomic int err;   /* rd_kafka_resp_err_t of the last failure */
    bool reference;    /* send a reference record instead of the story */
} dlq_slot;

static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    dlq_slot *slot = m->_private;
    if (slot) {
        atomic_store(&slot->err, (int)m->err);
        atomic_store(&slot->state, m->err ? -1 : 1);
    }
}

/* Errors that say this record can never be written to the DLQ topic as it
 * is, however often it is retried: only a smaller record can go. */
static bool dlq_too_large(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || e == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
           e == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
}

static int dlq_open(nw_consumer *c, nw_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    if (!c->dlq) {
        rd_kafka_conf_t *conf = nw_kafka_conf_new(c->kafka_node, c->brokers, err);
        if (!conf) {
            rc = NW_EINVAL;
        } else {
            char errstr[512];
            rd_kafka_conf_set_opaque(conf, c);
            rd_kafka_conf_set_dr_msg_cb(conf, dlq_delivered);
            /* a dead letter must not be lost or doubled by producer retries */
            rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
            rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
            c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
            if (!c->dlq) {
                rd_kafka_conf_destroy(conf); /* not taken on failure */
                rc = nw_err_set(err, NW_EKAFKA, "dead-letter producer: %s", errstr);
            } else {
                /* rd_kafka_new() succeeded: conf is owned by c->dlq. A topic
                 * handle made here asks for the topic's metadata at once; a
                 * topic first named in producev() waits for librdkafka's
                 * next one-second topic scan, and this batch waits on it. */
                c->dlq_rkt = rd_kafka_topic_new(c->dlq, c->dlq_topic, NULL);
                if (!c->dlq_rkt) {
                    rc = nw_err_set(err, NW_EKAFKA, "dead-letter topic %s: %s", c->dlq_topic,
                                    rd_kafka_err2str(rd_kafka_last_error()));
                    rd_kafka_destroy(c->dlq);
                    c->dlq = NULL;
                }
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* The value of a dead letter whose story does not fit the DLQ topic: where
 * the story is, how large, and why it failed (docs/operations.md "Dead
 * letters"). Caller frees. */
static char *dlq_reference(const rd_kafka_message_t *rkm, const nw_chain_msg *m,
                           rd_kafka_resp_err_t why)
{
    json_t *o = json_object();
    json_object_set_new(o, "nw_dead_letter", json_string("reference"));
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(rkm->rkt)));
    json_object_set_new(o, "partition", json_integer(rkm->partition));
    json_object_set_new(o, "offset", json_integer(rkm->offset));
    json_object_set_new(o, "size", json_integer((json_int_t)rkm->len));
    if (rkm->key && rkm->key_len <= 1024)
        json_object_set_new(o, "key", json_stringn(rkm->key, rkm->key_len));
    json_object_set_new(o, "error", json_string(m->dead_reason));
    json_object_set_new(o, "plugin", json_string(m->dead_plugin ? m->dead_plugin : ""));
    json_object_set_new(o, "dlq_error", json_string(rd_kafka_err2str(why)));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

static int dlq_produce(nw_consumer *c, const rd_kafka_message_t *rkm, const nw_chain_msg *m,
                       dlq_slot *slot, nw_err *err)
{
    rd_kafka_headers_t *hdrs;
    rd_kafka_headers_t *orig = NULL;
    char *ref = NULL;
    if (slot->reference) {
        /* only our own headers: the original ones may be what is too large */
        ref = dlq_reference(rkm, m, (rd_kafka_resp_err_t)atomic_load(&slot->err));
        if (!ref)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        hdrs = rd_kafka_headers_new(8);
        rd_kafka_header_add(hdrs, "nw-body-omitted", -1, "true", -1);
    } else if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig) {
        hdrs = rd_kafka_headers_copy(orig);
    } else {
        hdrs = rd_kafka_headers_new(8);
    }
    char part_s[16], off[24];
    snprintf(part_s, sizeof part_s, "%d", (int)rkm->partition);
    snprintf(off, sizeof off, "%lld", (long long)rkm->offset);
    rd_kafka_header_add(hdrs, "nw-error", -1, m->dead_reason, -1);
    rd_kafka_header_add(hdrs, "nw-plugin", -1, m->dead_plugin ? m->dead_plugin : "", -1);
    rd_kafka_header_add(hdrs, "nw-origin-topic", -1, rd_kafka_topic_name(rkm->rkt), -1);
    rd_kafka_header_add(hdrs, "nw-origin-partition", -1, part_s, -1);
    rd_kafka_header_add(hdrs, "nw-origin-offset", -1, off, -1);
    atomic_store(&slot->state, 0);
    size_t key_len = ref && rkm->key_len > 1024 ? 0 : rkm->key_len;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        c->dlq, RD_KAFKA_V_RKT(c->dlq_rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key_len ? rkm->key : NULL, key_len),
        RD_KAFKA_V_VALUE(ref ? ref : rkm->payload, ref ? strlen(ref) : rkm->len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
    free(ref);
    if (e) {
        atomic_store(&slot->err, (int)e);
        atomic_store(&slot->state, -1);
        rd_kafka_headers_destroy(hdrs); /* ownership passes only on success */
        return nw_err_set(err, NW_ERETRY, "dead letter to %s: %s", c->dlq_topic,
                          rd_kafka_err2str(e));
    }
    return 0;
}

/* Set the worker's reason for retrying, shown by the stalled-partition log
 * and /readyz ("" = not retrying). */
static void set_last_error(worker *w, const char *why)
{
    pthread_mutex_lock(&w->c->mu);
    snprintf(w->last_error, sizeof w->last_error, "%s", why);
    pthread_mutex_unlock(&w->c->mu);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Send every DEAD message of the job to the DLQ and wait for the acks,
 * re-sending only the failed ones with back-off until all are acknowledged or
 * the worker is told to give up. Never returns while a delivery report could
 * still write into `slots`. */
static int dead_letter(worker *w, job *j, nw_chain_msg *msgs, nw_err *err)
{
    nw_consumer *c = w->c;
    size_t n = j->n, dead = 0;
    for (size_t i = 0; i < n; i++)
        dead += msgs[i].state == NW_MSG_DEAD;
    j->dead = dead;
    if (!dead || !*c->dlq_topic)
        return 0; /* logged by the chain; counted */
    int rc = dlq_open(c, err);
    if (rc < 0)
        return rc;
    dlq_slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        atomic_store(&slots[i].state, msgs[i].state == NW_MSG_DEAD ? -1 : 1);
    int64_t wait = c->retry_initial_ms;
    for (;;) {
        for (size_t i = 0; i < n; i++)
            if (atomic_load(&slots[i].state) == -1)
                dlq_produce(c, j->msgs[i], &msgs[i], &slots[i], err);
        /* wait for every report (purged on abort, so this ends) */
        bool purged = false;
        for (;;) {
            size_t pending = 0;
            for (size_t i = 0; i < n; i++)
                pending += atomic_load(&slots[i].state) == 0;
            if (!pending)
                break;
            if (w->abort && !purged) {
                rd_kafka_purge(c->dlq, RD_KAFKA_PURGE_F_QUEUE);
                purged = true;
            }
            rd_kafka_flush(c->dlq, 100);
        }
        /* a story the DLQ topic can never take goes as a reference to it,
         * at once: no back-off can make it fit */
        size_t failed = 0, resized = 0;
        rd_kafka_resp_err_t why = RD_KAFKA_RESP_ERR_NO_ERROR;
        for (size_t i = 0; i < n; i++) {
            if (atomic_load(&slots[i].state) != -1)
                continue;
            rd_kafka_resp_err_t e = (rd_kafka_resp_err_t)atomic_load(&slots[i].err);
            if (dlq_too_large(e) && !slots[i].reference) {
                const rd_kafka_message_t *rkm = j->msgs[i];
                nw_log_error(MOD,
                             "story too large for the dead-letter topic: sending a reference "
                             "to it instead topic=%s partition=%d offset=%lld size=%zu "
                             "uri=\"%s\" error=\"%s\" dlq_error=\"%s\"",
                             rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
                             (long long)rkm->offset, rkm->len, msgs[i].uri ? msgs[i].uri : "",
                             msgs[i].dead_reason, rd_kafka_err2str(e));
                slots[i].reference = true;
                resized++;
                continue;
            }
            if (!failed++)
                why = e;
        }
        if (!failed && resized)
            continue;
        if (!failed) {
            j->dlq_acked = dead;
            for (size_t i = 0; i < n; i++)
                j->dlq_refs += slots[i].reference;
            rc = 0;
            break;
        }
        if (w->abort) {
            rc = nw_err_set(err, NW_ERETRY, "stopped while dead-lettering");
            break;
        }
        char reason[256];
        snprintf(reason, sizeof reason, "dead letter to %s not delivered: %s", c->dlq_topic,
                 rd_kafka_err2str(why));
        set_last_error(w, reason);
        atomic_store(&w->dlq_backing_off, 1);
        nw_log_warn(MOD,
                    "dead letters not delivered, backing off wait_ms=%lld failed=%zu "
                    "topic=%s error=\"%s\"",
                    (long long)wait, failed, c->dlq_topic, rd_kafka_err2str(why));
        for (int64_t t = 0; t < wait && !w->abort; t += 50)
            sleep_ms(50);
        wait = wait * 2 > c->retry_max_ms ? c->retry_max_ms : wait * 2;
    }
    atomic_store(&w->dlq_backing_off, 0);
    set_last_error(w, "");
    free(slots);
    return rc;
}

/* ----------------------------------------------------------------- workers */

/* Worker side: run the job through this worker's chain and dead-letter. */
static void run_job(worker *w, job *j)
{
    nw_consumer *c = w->c;
    size_t n = j->n;
    nw_chain_msg *msgs = calloc(n, sizeof *msgs);
    nw_chain_msg **ptrs = calloc(n, sizeof *ptrs);
    nw_err *err = &j->err;
    int rc = 0;
    size_t inited = 0;
    if (!msgs || !ptrs) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory for a batch of %zu", n);
        goto out;
    }
    for (; inited < n; inited++) {
        const rd_kafka_message_t *m = j->msgs[inited];
        const char *topic = rd_kafka_topic_name(m->rkt);
        nw_chain_msg *cm = &msgs[inited];
        ptrs[inited] = cm;
        /* value and headers are borrowed from m, which outlives the job's chain run */
        rc = nw_chain_msg_init_borrowed(cm, topic, c->topic_prefix, m->partition, m->offset, m->key,
                                        m->key_len, m->payload, m->len,
                                        rd_kafka_message_timestamp(m, NULL), err);
        if (rc < 0)
            goto out;
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
            const char *name;
            const void *val;
            size_t len;
            for (size_t h = 0; !rd_kafka_header_get_all(hdrs, h, &name, &val, &len); h++)
                if (nw_chain_msg_add_header_borrowed(cm, name, val, len) < 0) {
                    rc = nw_err_set(err, NW_ENOMEM, "out of memory copying headers");
                    inited++;
                    goto out;
                }
        }
        if (*c->dlq_topic && !strcmp(topic, c->dlq_topic))
            cm->state = NW_MSG_DROPPED; /* never archive our own dead letters */
        else if (!m->payload) {
            cm->state = NW_MSG_DROPPED; /* a tombstone carries no story */
            nw_log_debug(MOD, "skipping message without value topic=%s offset=%lld", topic,
                         (long long)m->offset);
        }
    }
    rc = nw_chain_run(w->chain, ptrs, n, err);
    if (rc == 0)
        rc = dead_letter(w, j, msgs, err);
out:
    for (size_t i = 0; i < inited; i++)
        nw_chain_msg_deinit(&msgs[i]);
    free(msgs);
    free(ptrs);
    j->rc = rc;
}

/* Whether the worker runs ready checks now (not while draining). */
static bool checks_on(const worker *w)
{
    /* never delay a drain; never while main hands the chain partition events */
    return w->c->ready_interval_ms && !w->quit && !w->c->stop && !w->delivering;
}

/* Worker thread, c->mu held, between jobs: once per ready_interval, run
 * its chain's ready checks (nw_chain_check_ready) without the lock and keep
 * the answer for /readyz. While `checking`, the main thread neither
 * delivers partition events to the chain nor replaces it. */
static void check_ready_when_due(worker *w)
{
    nw_consumer *c = w->c;
    if (!checks_on(w) || now_ms() - w->ready_checked_ms < c->ready_interval_ms)
        return;
    w->checking = true;
    nw_chain *chain = w->chain;
    pthread_mutex_unlock(&c->mu);
    char why[256] = "";
    bool ok = nw_chain_check_ready(chain, why, sizeof why);
    w->ready_checked_ms = now_ms();
    pthread_mutex_lock(&c->mu);
    snprintf(w->not_ready, sizeof w->not_ready, "%s", ok ? "" : why);
    w->checking = false;
    pthread_cond_broadcast(&c->cv);
}

/* Wait on c->cv (c->mu held) until signalled, or until the next ready
 * check is due. Returns at once only when a check is due and will run, so
 * the caller's loop never spins holding c->mu. */
static void wait_for_work(worker *w)
{
    nw_consumer *c = w->c;
    if (!checks_on(w)) {
        pthread_cond_wait(&c->cv, &c->mu);
        return;
    }
    int64_t left = w->ready_checked_ms + c->ready_interval_ms - now_ms();
    if (left <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* c->cv waits on the default clock */
    until.tv_sec += left / 1000;
    until.tv_nsec += (left % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->cv, &c->mu, &until);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    nw_consumer *c = w->c;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        check_ready_when_due(w);
        while (!(w->job && !w->done) && !w->quit) {
            wait_for_work(w);
            check_ready_when_due(w);
        }
        if (!(w->job && !w->done))
            break;
        job *j = w->job;
        pthread_mutex_unlock(&c->mu);
        run_job(w, j);
        pthread_mutex_lock(&c->mu);
        w->done = true;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static size_t jobs_in_flight(nw_consumer *c)
{
    size_t n = 0;
    for (int i = 0; i < c->nworkers; i++)
        n += c->workers[i].job != NULL;
    return n;
}

/* Main side, after a job is done: commit what it finished, or rewind. */
static void finish_job(nw_consumer *c, worker *w, job *j)
{
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new((int)j->nparts);
    for (size_t i = 0; i < j->n; i++) {
        const rd_kafka_message_t *m = j->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offs, topic, m->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(offs, topic, m->partition);
            tp->offset = m->offset; /* first offset, used to rewind */
        }
        if (j->rc == 0 && m->offset + 1 > tp->offset)
            tp->offset = m->offset + 1;
    }
    if (j->rc == 0) {
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, offs);
        if (e)
            nw_log_warn(MOD, "could not store offsets error=\"%s\"", rd_kafka_err2str(e));
        e = rd_kafka_commit(c->rk, offs, 1);
        if (e)
            nw_log_warn(MOD, "commit failed; retried at the next batch error=\"%s\"",
                        rd_kafka_err2str(e));
        nw_counter_inc(c->m_batches);
        nw_counter_add(c->m_dlq, j->dlq_acked);
        nw_counter_add(c->m_dlq_refs, j->dlq_refs);
        for (int i = 0; i < offs->cnt; i++) {
            part *p = find_part(c, offs->elems[i].topic, offs->elems[i].partition);
            if (p && offs->elems[i].offset > p->next_off)
                p->next_off = offs->elems[i].offset;
        }
        nw_log_debug(MOD, "batch committed stories=%zu partitions=%zu", j->n, j->nparts);
    } else if (w->abort && !c->stop) {
        /* abandoned on revoke: partitions we keep must be read again from the
         * batch's first offsets (what was queued after it is dropped) */
        rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(4);
        for (size_t i = 0; i < j->nparts; i++) {
            part *p = j->parts[i];
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_find(offs, p->topic, p->partition);
            if (!tp || p->revoking)
                continue;
            part_drop_queue(c, p);
            p->eof = false;
            p->fetched_off = tp->offset;
            rd_kafka_topic_partition_list_add(seek, p->topic, p->partition)->offset = tp->offset;
        }
        if (seek->cnt) {
            rd_kafka_error_t *se = rd_kafka_seek_partitions(c->rk, seek, 5000);
            if (se) {
                nw_log_error(MOD, "rewind after an abandoned batch failed error=\"%s\"",
                             rd_kafka_error_string(se));
                rd_kafka_error_destroy(se);
            }
        }
        rd_kafka_topic_partition_list_destroy(seek);
    } else if (!c->stop) {
        c->failed = true;
        c->fail_err = j->err;
        nw_log_error(MOD,
                     "batch not finished; its offsets stay uncommitted "
                     "stories=%zu error=\"%s\"",
                     j->n, j->err.msg);
    } else {
        nw_log_warn(MOD,
                    "batch abandoned at shutdown; it is redelivered stories=%zu "
                    "error=\"%s\"",
                    j->n, j->err.msg);
    }
    rd_kafka_topic_partition_list_destroy(offs);

    for (size_t i = 0; i < j->nparts; i++) {
        part *p = j->parts[i];
        p->busy = false;
        p->holder = NULL;
        p->head_ts_ms = p->qlen ? story_time_ms(p->q[p->qhead]) : 0;
    }
    for (size_t i = 0; i < j->n; i++)
        rd_kafka_message_destroy(j->msgs[i]);
    part_account(c, -(int64_t)j->bytes);
    pthread_mutex_lock(&c->mu);
    if (j->rc == 0) {
        c->stats.batches++;
        c->stats.dead_letters += j->dead;
        c->stats.dlq_produced += j->dlq_acked;
    } else {
        c->stats.abandoned_batches++;
    }
    pthread_mutex_unlock(&c->mu);
    free(j->msgs);
    free(j->parts);
    free(j);
}

/* Collect finished jobs (main thread). Returns how many. */
static int reap(nw_consumer *c)
{
    int n = 0;
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        pthread_mutex_lock(&c->mu);
        job *j = w->done ? w->job : NULL;
        if (j) {
            w->job = NULL;
            w->done = false;
        }
        pthread_mutex_unlock(&c->mu);
        if (j) {
            finish_job(c, w, j);
            if (!c->stop)
                w->abort = 0;
            n++;
        }
    }
    if (n)
        nw_gauge_set(c->m_busy, (double)jobs_in_flight(c));
    return n;
}

/* Wait (main thread) until `p`'s job, or every job when p is NULL, is done.
 * A job that keeps retrying for longer than `abandon_after_ms` (< 0 = never)
 * is told to give up. */
static void wait_jobs(nw_consumer *c, part *p, int64_t abandon_after_ms)
{
    int64_t start = now_ms();
    for (;;) {
        reap(c);
        bool waiting = false;
        for (int i = 0; i < c->nworkers; i++) {
            worker *w = &c->workers[i];
            job *j = w->job;
            if (!j)
                continue;
            bool relevant = !p;
            for (size_t k = 0; p && k < j->nparts; k++)
                relevant |= j->parts[k] == p;
            if (!relevant)
                continue;
            waiting = true;
            if (abandon_after_ms >= 0 && now_ms() - start >= abandon_after_ms &&
                nw_chain_backing_off(w->chain) && !w->abort) {
                nw_log_warn(MOD, "abandoning a batch that is still retrying stories=%zu", j->n);
                w->abort = 1;
            }
        }
        if (!waiting)
            return;
        pthread_mutex_lock(&c->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        pthread_mutex_unlock(&c->mu);
    }
}

/* Whether the queued stories should go now: enough of them, the oldest has
 * waited long enough, or everything assigned has been read. */
static bool batch_due(nw_consumer *c, int64_t now)
{
    size_t ready = 0;
    bool old = false;
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        if (p->busy || !p->qlen)
            continue;
        ready += p->qlen;
        old |= now - p->first_ms >= c->max_ms;
    }
    if (!ready)
        return false;
    return (int64_t)ready >= c->max_messages || old || all_at_eof(c) || c->cap_paused;
}

/* Hand batches to idle workers (main thread). */
static void dispatch(nw_consumer *c, int64_t now)
{
    if (c->stop || c->failed || c->reload)
        return;
    for (int wi = 0; wi < c->nworkers; wi++) {
        worker *w = &c->workers[wi];
        if (w->job || !batch_due(c, now))
            continue;
        job *j = calloc(1, sizeof *j);
        size_t cap = (size_t)c->max_messages;
        if (j) {
            j->msgs = malloc(cap * sizeof *j->msgs);
            j->parts = malloc(c->nparts * sizeof *j->parts);
        }
        if (!j || !j->msgs || !j->parts) {
            if (j) {
                free(j->msgs);
                free(j->parts);
            }
            free(j);
            nw_log_error(MOD, "out of memory for a batch; retrying");
            return;
        }
        /* take whole partitions, round-robin so none starves */
        for (size_t k = 0; k < c->nparts && j->n < cap; k++) {
            part *p = c->parts[(c->rr + k) % c->nparts];
            if (p->busy || !p->qlen)
                continue;
            p->busy = true;
            p->holder = w;
            j->parts[j->nparts++] = p;
            while (p->qlen && j->n < cap) {
                rd_kafka_message_t *m = p->q[p->qhead];
                p->qhead = (p->qhead + 1) % p->qcap;
                p->qlen--;
                j->msgs[j->n++] = m;
                j->bytes += m->len + m->key_len;
            }
            if (!p->qlen)
                p->first_ms = 0;
        }
        c->rr++;
        j->started_ms = now;
        pthread_mutex_lock(&c->mu);
        w->job = j;
        w->done = false;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        nw_gauge_set(c->m_busy, (double)jobs_in_flight(c));
    }
}

/* -------------------------------------------------------------- back-pressure */

/* Pause the partitions of retrying batches and, above the memory cap, all of
 * them; resume the rest (main thread). */
static void apply_pauses(nw_consumer *c)
{
    uint64_t b = buffered(c);
    if (c->max_buffered) {
        if (!c->cap_paused && b >= c->max_buffered) {
            c->cap_paused = true;
            nw_log_warn(MOD,
                        "buffered bytes reached the cap: pausing every partition "
                        "buffered=%llu max_buffered_bytes=%llu",
                        (unsigned long long)b, (unsigned long long)c->max_buffered);
        } else if (c->cap_paused && b <= c->max_buffered / 2) {
            c->cap_paused = false;
            nw_log_info(MOD, "buffered bytes below half the cap: resuming buffered=%llu",
                        (unsigned long long)b);
        }
    }
    rd_kafka_topic_partition_list_t *pause = NULL, *resume = NULL;
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        bool want =
            c->cap_paused || (p->busy && p->holder && nw_chain_backing_off(p->holder->chain));
        if (want == p->paused)
            continue;
        rd_kafka_topic_partition_list_t **l = want ? &pause : &resume;
        if (!*l)
            *l = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(*l, p->topic, p->partition);
        p->paused = want;
        pthread_mutex_lock(&c->mu);
        if (want) {
            c->stats.paused_partitions++;
            c->stats.pauses++;
        } else {
            c->stats.paused_partitions--;
        }
        pthread_mutex_unlock(&c->mu);
        nw_log_info(MOD, "%s partition topic=%s partition=%d reason=%s",
                    want ? "pausing" : "resuming", p->topic, (int)p->partition,
                    !want           ? "recovered"
                    : c->cap_paused ? "memory-cap"
                                    : "sink-retrying");
    }
    if (pause) {
        rd_kafka_resp_err_t e = rd_kafka_pause_partitions(c->rk, pause);
        if (e)
            nw_log_warn(MOD, "pause failed error=\"%s\"", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(pause);
    }
    if (resume) {
        rd_kafka_resp_err_t e = rd_kafka_resume_partitions(c->rk, resume);
        if (e)
            nw_log_warn(MOD, "resume failed error=\"%s\"", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(resume);
    }
    pthread_mutex_lock(&c->mu);
    uint64_t paused = c->stats.paused_partitions;
    pthread_mutex_unlock(&c->mu);
    nw_gauge_set(c->m_paused, (double)paused);
}

/* ------------------------------------------------------------------ commits */

static void commit_sync(nw_consumer *c, const char *why)
{
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, NULL, 0);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        nw_log_warn(MOD, "synchronous commit failed when=%s error=\"%s\"", why,
                    rd_kafka_err2str(e));
}

/* --------------------------------------------------------------- callbacks */

/* --from-time: partitions without a committed offset start at the time. */
static void apply_from_time(nw_consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, q, 10000);
    if (e) {
        nw_log_warn(MOD,
                    "--from-time: cannot read committed offsets; using "
                    "auto.offset.reset error=\"%s\"",
                    rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(q);
        return;
    }
    rd_kafka_topic_partition_list_t *times = rd_kafka_topic_partition_list_new(q->cnt);
    for (int i = 0; i < q->cnt; i++)
        if (q->elems[i].offset < 0)
            rd_kafka_topic_partition_list_add(times, q->elems[i].topic, q->elems[i].partition)
                ->offset = c->from_time_ms;
    rd_kafka_topic_partition_list_destroy(q);
    if (times->cnt) {
        e = rd_kafka_offsets_for_times(c->rk, times, 10000);
        if (e) {
            nw_log_warn(MOD,
                        "--from-time: offsets_for_times failed; using "
                        "auto.offset.reset error=\"%s\"",
                        rd_kafka_err2str(e));
        } else {
            for (int i = 0; i < times->cnt; i++) {
                rd_kafka_topic_partition_t *t = &times->elems[i];
                rd_kafka_topic_partition_t *tp =
                    rd_kafka_topic_partition_list_find(parts, t->topic, t->partition);
                if (!tp || t->err)
                    continue;
                /* -1: no message at or after the time: start at the end */
                tp->offset = t->offset >= 0 ? t->offset : RD_KAFKA_OFFSET_END;
                nw_log_info(MOD, "--from-time: starting topic=%s partition=%d offset=%s%lld",
                            t->topic, (int)t->partition, t->offset >= 0 ? "" : "end",
                            t->offset >= 0 ? (long long)t->offset : 0LL);
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(times);
}

/* The first message of a newly assigned partition should be at the group's
 * committed offset (check_expired). */
static void expect_committed(nw_consumer *c, const rd_kafka_topic_partition_list_t *parts)
{
    if (!parts->cnt)
        return;
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, q, 10000);
    if (e)
        nw_log_warn(MOD,
                    "cannot read committed offsets: expired stories are not detected this "
                    "time error=\"%s\"",
                    rd_kafka_err2str(e));
    for (int i = 0; !e && i < q->cnt; i++) {
        part *p = find_part(c, q->elems[i].topic, q->elems[i].partition);
        if (p && !q->elems[i].err && q->elems[i].offset >= 0)
            p->expect_off = q->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(q);
}

/* librdkafka keeps a partition's pause (the application's) across unassign
 * and assign, while the host tracks pauses per assignment (part.paused, reset
 * on every assign). These two keep the states equal: a partition leaves
 * paused by nobody, and one that comes back after it left paused is resumed
 * again on arrival (in case the first resume did not take). Without them a
 * partition paused when it was revoked (a batch retrying on a down sink, the
 * memory cap) is never fetched again once reassigned (docs/benchmarks.md).
 * Only such partitions are resumed: librdkafka 2.0.2 may restart a partition
 * that was not paused from an older offset when it is told to resume. */

/* Resume the partitions of l (taken and freed): logs what failed and why. */
static void resume_list(nw_consumer *c, rd_kafka_topic_partition_list_t *l, const char *when)
{
    if (l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_resume_partitions(c->rk, l);
        if (e)
            nw_log_error(MOD, "resuming partitions failed when=%s error=\"%s\"", when,
                         rd_kafka_err2str(e));
        for (int i = 0; !e && i < l->cnt; i++)
            if (l->elems[i].err)
                nw_log_error(MOD,
                             "resuming a partition failed when=%s topic=%s partition=%d "
                             "error=\"%s\"",
                             when, l->elems[i].topic, (int)l->elems[i].partition,
                             rd_kafka_err2str(l->elems[i].err));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Resume, while still assigned, the partitions of `gone` (every one when
 * NULL) that the host paused; called before they are removed. */
static void resume_leaving(nw_consumer *c, const rd_kafka_topic_partition_list_t *gone)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        if (p->paused &&
            (!gone || rd_kafka_topic_partition_list_find(gone, p->topic, p->partition)))
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    }
    if (l->cnt)
        nw_log_info(MOD, "resuming paused partitions before their revoke count=%d", l->cnt);
    for (int i = 0; i < l->cnt; i++)
        if (!rd_kafka_topic_partition_list_find(c->left_paused, l->elems[i].topic,
                                                l->elems[i].partition))
            rd_kafka_topic_partition_list_add(c->left_paused, l->elems[i].topic,
                                              l->elems[i].partition);
    resume_list(c, l, "revoke");
}

/* After (incremental_)assign: resume the newly assigned partitions that left
 * an earlier assignment paused and that the host has not paused again,
 * clearing a pause librdkafka may still hold (apply_pauses pauses again what
 * must be). */
static void resume_arrived(nw_consumer *c, const rd_kafka_topic_partition_list_t *arrived)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < arrived->cnt; i++) {
        const char *topic = arrived->elems[i].topic;
        int32_t partition = arrived->elems[i].partition;
        if (!rd_kafka_topic_partition_list_del(c->left_paused, topic, partition))
            continue;
        part *p = find_part(c, topic, partition);
        if (p && !p->paused)
            rd_kafka_topic_partition_list_add(l, topic, partition);
    }
    resume_list(c, l, "assign");
}

static void revoke(nw_consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    /* drop what never started, then finish what did */
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        if (!parts || rd_kafka_topic_partition_list_find(parts, p->topic, p->partition)) {
            p->revoking = true;
            part_drop_queue(c, p);
        }
    }
    for (int i = 0; parts && i < parts->cnt; i++) {
        part *p = find_part(c, parts->elems[i].topic, parts->elems[i].partition);
        if (p && p->busy)
            wait_jobs(c, p, c->revoke_timeout_ms);
    }
    if (!parts)
        wait_jobs(c, NULL, c->revoke_timeout_ms);
    commit_sync(c, "revoke");
    resume_leaving(c, parts);
    if (parts) {
        for (int i = 0; i < parts->cnt; i++) {
            part *p = find_part(c, parts->elems[i].topic, parts->elems[i].partition);
            if (p)
                part_remove(c, p);
        }
    } else {
        while (c->nparts)
            part_remove(c, c->parts[0]);
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    nw_consumer *c = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR_NO_ERROR;
    int injected =
        e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? atomic_exchange(&c->fail_revoke, 0) : 0;
    if (injected)
        e = (rd_kafka_resp_err_t)injected;

    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (c->from_time_ms > 0 && parts->cnt)
            apply_from_time(c, parts);
        for (int i = 0; i < parts->cnt; i++)
            if (!part_add(c, parts->elems[i].topic, parts->elems[i].partition))
                nw_log_error(MOD, "out of memory tracking a partition");
        expect_committed(c, parts);
        nw_log_info(MOD, "partitions assigned count=%d total=%zu protocol=%s", parts->cnt,
                    c->nparts, coop ? "cooperative" : "eager");
        if (coop)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            ret = rd_kafka_assign(rk, parts);
        if (!error && !ret)
            resume_arrived(c, parts);
        c->assigned_once = true;
        c->last_activity_ms = now_ms();
        atomic_store(&c->ready, 1);
    } else {
        /* a failed rebalance lets go of the partitions given as a revoke
         * does: under the cooperative protocol only those, incrementally */
        if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            nw_log_info(MOD, "partitions revoked: finishing their batches count=%d", parts->cnt);
        else
            nw_log_error(MOD, "rebalance failed: letting the partitions go count=%d error=\"%s\"",
                         parts ? parts->cnt : 0, rd_kafka_err2str(e));
        revoke(c, coop ? parts : NULL);
        if (coop)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            ret = rd_kafka_assign(rk, NULL);
    }
    if (error) {
        nw_log_error(MOD, "incremental (un)assign failed error=\"%s\"",
                     rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (ret) {
        nw_log_error(MOD, "(un)assign failed error=\"%s\"", rd_kafka_err2str(ret));
    }
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        nw_log_warn(MOD, "offset commit failed error=\"%s\"", rd_kafka_err2str(e));
    for (int i = 0; offsets && i < offsets->cnt; i++)
        if (offsets->elems[i].err)
            nw_log_warn(MOD, "offset commit failed topic=%s partition=%d error=\"%s\"",
                        offsets->elems[i].topic, (int)offsets->elems[i].partition,
                        rd_kafka_err2str(offsets->elems[i].err));
}

/* How long a partition may go without a known lag before that counts as a
 * failed lag query: the first fetch after an assignment brings the high
 * watermark. */
#define LAG_GRACE_MS 15000

/* Lag of p from librdkafka's statistics object of the partition: the high
 * watermark (last stable offset under read_committed) minus the oldest
 * offset this group has not committed. librdkafka's own consumer_lag is -1
 * until the group has committed once, and counts from the committed offset,
 * which a partition stuck on one story never moves; so the base is ours when
 * we have seen a message, else the committed offset, else the log start.
 * Returns -1 when it cannot be known. */
static int64_t partition_lag(part *p, json_t *pj)
{
    json_t *ls = json_object_get(pj, "ls_offset");
    json_t *hi = json_object_get(pj, "hi_offset");
    int64_t end = json_is_integer(ls) && json_integer_value(ls) >= 0 ? json_integer_value(ls)
                  : json_is_integer(hi)                              ? json_integer_value(hi)
                                                                     : -1;
    p->end_off = end;
    int64_t base = p->next_off;
    if (base < 0) {
        json_t *co = json_object_get(pj, "committed_offset");
        json_t *lo = json_object_get(pj, "lo_offset");
        base = json_is_integer(co) && json_integer_value(co) >= 0 ? json_integer_value(co)
               : json_is_integer(lo)                              ? json_integer_value(lo)
                                                                  : -1;
    }
    if (end < 0 || base < 0)
        return -1;
    return end > base ? end - base : 0;
}

static void lag_unknown(nw_consumer *c, part *p, const char *why, int64_t now)
{
    if (now - p->assigned_ms < LAG_GRACE_MS)
        return;
    nw_counter_inc(c->m_lag_failures);
    nw_gauge_set(p->lag, NAN);
    if (p->lag_known || !p->lag_warned)
        nw_log_warn(MOD, "consumer lag unknown topic=%s partition=%d reason=\"%s\"", p->topic,
                    (int)p->partition, why);
    p->lag_known = false;
    p->lag_warned = true;
}

/* librdkafka statistics (served by the main thread's poll): the lag of every
 * assigned partition into newswire_consumer_lag_messages. A lag that cannot
 * be read counts in newswire_consumer_lag_query_failures_total and shows as
 * NaN, never as 0. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    nw_consumer *c = opaque;
    int64_t now = now_ms();
    json_t *root = nw_json_loadb(json, len, 0, NULL);
    json_t *topics = json_object_get(root, "topics");
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        json_t *pj = NULL;
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)p->partition);
        pj = json_object_get(json_object_get(json_object_get(topics, p->topic), "partitions"), pid);
        int64_t lag = pj ? partition_lag(p, pj) : -1;
        if (!pj)
            p->end_off = -1;
        p->lag_msgs = lag;
        if (lag < 0) {
            lag_unknown(c, p, !root ? "statistics not readable" : "no watermark yet", now);
            continue;
        }
        if (!p->lag_known)
            nw_log_debug(MOD, "consumer lag known topic=%s partition=%d lag=%lld", p->topic,
                         (int)p->partition, (long long)lag);
        p->lag_known = true;
        nw_gauge_set(p->lag, (double)lag);
    }
    json_decref(root);
    return 0; /* librdkafka frees json */
}

static bool is_ready(void *ctx, char *reason, size_t reason_len);

/* A partition with stories on the broker that Kafka has not delivered (past
 * the last one it did, or the lag when nothing came yet), which the host is
 * ready to take (not paused, no batch of it in flight, nothing of it
 * queued), and from which nothing has arrived for revoke_timeout: Kafka
 * does not deliver it. The wait starts again whenever the host was not
 * ready. Writes why. */
static bool not_delivered(const nw_consumer *c, part *p, int64_t now, char *why, size_t len)
{
    int64_t waiting = p->fetched_off >= 0 && p->end_off >= 0 ? p->end_off - p->fetched_off
                      : p->fetched_off < 0                   ? p->lag_msgs
                                                             : -1;
    if (p->paused || p->busy || p->qlen || waiting <= 0) {
        p->ready_ms = now;
        return false;
    }
    int64_t since = p->ready_ms > p->fetched_ms ? p->ready_ms : p->fetched_ms;
    if (now - since < c->revoke_timeout_ms)
        return false;
    snprintf(why, len, "nothing fetched in %lld ms since its %s, %lld stories waiting",
             (long long)(now - since), p->fetched_off < 0 ? "assignment" : "last story",
             (long long)waiting);
    return true;
}

/* Main thread, twice a second: lag in seconds and stalled partitions. A
 * partition is stalled while its batch has been in flight for longer than
 * revoke_timeout and is backing off (a sink or the DLQ topic keeps failing),
 * or when Kafka does not deliver it (not_delivered): /readyz then says which one
 * and why. */
static void update_health(nw_consumer *c, int64_t now)
{
    if (now - c->health_ms < 500)
        return;
    c->health_ms = now;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    int stalled = 0;
    char reason[512] = "";
    for (size_t i = 0; i < c->nparts; i++) {
        part *p = c->parts[i];
        double age = p->head_ts_ms > 0 && wall_ms > p->head_ts_ms
                         ? (double)(wall_ms - p->head_ts_ms) / 1000.0
                         : 0.0;
        nw_gauge_set(p->lag_seconds, age);
        worker *w = p->busy ? p->holder : NULL;
        bool now_stalled = w && w->job && now - w->job->started_ms >= c->revoke_timeout_ms &&
                           (atomic_load(&w->dlq_backing_off) || nw_chain_backing_off(w->chain));
        char why[256] = "";
        if (w) {
            pthread_mutex_lock(&c->mu);
            snprintf(why, sizeof why, "%s", w->last_error[0] ? w->last_error : "a sink retrying");
            pthread_mutex_unlock(&c->mu);
        }
        bool unfetched = !now_stalled && not_delivered(c, p, now, why, sizeof why);
        if (unfetched && !p->stalled)
            nw_log_error(MOD,
                         "partition stalled: Kafka does not deliver it topic=%s partition=%d "
                         "error=\"%s\"",
                         p->topic, (int)p->partition, why);
        else if (now_stalled && !p->stalled)
            nw_log_error(MOD,
                         "partition stalled: its batch is retrying elapsed_ms=%lld "
                         "topic=%s partition=%d offset=%lld error=\"%s\"",
                         (long long)(now - w->job->started_ms), p->topic, (int)p->partition,
                         (long long)p->next_off, why);
        else if (!now_stalled && !unfetched && p->stalled)
            nw_log_info(MOD, "partition moving again topic=%s partition=%d", p->topic,
                        (int)p->partition);
        now_stalled |= unfetched;
        p->stalled = now_stalled;
        nw_gauge_set(p->stalled_g, now_stalled ? 1 : 0);
        if (now_stalled && !stalled++)
            snprintf(reason, sizeof reason, "partition %s/%d stalled: %s", p->topic,
                     (int)p->partition, why);
    }
    pthread_mutex_lock(&c->mu);
    snprintf(c->stalled_reason, sizeof c->stalled_reason, "%s", reason);
    pthread_mutex_unlock(&c->mu);
    atomic_store(&c->stalled, stalled);
    nw_gauge_set(c->m_stalled, stalled);
    nw_gauge_set(c->m_ready, is_ready(c, NULL, 0) ? 1 : 0); /* snprintf(NULL, 0): no reason */
}

/* Every worker's plugins can work: none is retrying a batch (a sink's
 * retry path is active) and the last ready checks said yes. */
static bool plugins_ready(nw_consumer *c, char *reason, size_t reason_len)
{
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        char why[256] = "";
        pthread_mutex_lock(&c->mu);
        if (w->chain)
            nw_chain_retry_reason(w->chain, why, sizeof why);
        if (!why[0])
            snprintf(why, sizeof why, "%s", w->not_ready);
        pthread_mutex_unlock(&c->mu);
        if (why[0]) {
            snprintf(reason, reason_len, "%s", why);
            return false;
        }
    }
    return true;
}

static bool is_ready(void *ctx, char *reason, size_t reason_len)
{
    nw_consumer *c = ctx;
    if (c->stop) {
        snprintf(reason, reason_len, "draining");
        return false;
    }
    if (!atomic_load(&c->ready)) {
        snprintf(reason, reason_len, "not yet joined the consumer group");
        return false;
    }
    if (atomic_load(&c->stalled)) {
        pthread_mutex_lock(&c->mu);
        snprintf(reason, reason_len, "%s", c->stalled_reason);
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    return plugins_ready(c, reason, reason_len);
}

/* ------------------------------------------------------------ construction */

static int start_workers(nw_consumer *c, nw_err *err)
{
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return nw_err_set(err, NW_ENOMEM, "cannot start worker thread %d", i);
        w->started = true;
    }
    return 0;
}

/* nw_consumer_new with the checked settings (borrowed: copied what is kept). */
static int consumer_new(const nw_config *cfg, const nw_consumer_settings *cs,
                        const nw_consumer_opts *opts, nw_consumer **out, nw_err *err)
{
    const char *origin = nw_config_origin(cfg);
    nw_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->left_paused = rd_kafka_topic_partition_list_new(4);
    c->cfg = cfg;
    c->kafka_node = cs->kafka;
    c->max_messages = cs->batch_max_messages;
    c->max_ms = cs->batch_max_ms;
    c->nworkers = (int)cs->workers;
    c->max_buffered = cs->max_buffered_bytes;
    c->retry_initial_ms = cs->retry_initial_ms;
    c->retry_max_ms = cs->retry_max_ms;
    c->revoke_timeout_ms = cs->revoke_timeout_ms;
    /* the checks serve /readyz only */
    c->ready_interval_ms = !*cs->http_listen_addr             ? 0
                           : cs->http_ready_interval_ms > 100 ? cs->http_ready_interval_ms
                                                              : 100;
    c->idle_ms = opts ? opts->exit_when_idle_ms : -1;
    c->from_time_ms = opts ? opts->from_time_ms : 0;
    const char *group = opts && opts->group ? opts->group : cs->group;
    c->group = strdup(group);
    c->brokers = opts && opts->brokers ? strdup(opts->brokers) : NULL;
    c->dlq_topic = strdup(cs->dlq_topic);
    c->topic_prefix = strdup(cs->topic_prefix);
    c->metrics = nw_metrics_new();
    for (int i = 0; i < c->nworkers; i++)
        c->workers[i].c = c;
    if (!c->group || (opts && opts->brokers && !c->brokers) || !c->dlq_topic || !c->topic_prefix ||
        !c->metrics) {
        nw_consumer_free(c);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (!*c->group) {
        nw_consumer_free(c);
        return nw_err_set(err, NW_EINVAL, "%s: group: must not be empty", origin);
    }
    c->m_batches = nw_metrics_counter(c->metrics, "newswire_consumer_batches_total",
                                      "Batches finished and committed", NULL);
    c->m_dlq = nw_metrics_counter(c->metrics, "newswire_consumer_dlq_produced_total",
                                  "Dead letters acknowledged by the DLQ topic", NULL);
    c->m_dlq_refs = nw_metrics_counter(
        c->metrics, "newswire_consumer_dlq_references_total",
        "Dead letters sent as a reference (topic, partition, offset, size, error) because the "
        "story did not fit the DLQ topic",
        NULL);
    c->m_lag_failures = nw_metrics_counter(
        c->metrics, "newswire_consumer_lag_query_failures_total",
        "Times the lag of an assigned partition could not be read (its gauge shows NaN)", NULL);
    c->m_stalled = nw_metrics_gauge(c->metrics, "newswire_consumer_stalled_partitions",
                                    "Partitions whose batch has been retrying for longer than "
                                    "revoke_timeout",
                                    NULL);
    c->m_ready =
        nw_metrics_gauge(c->metrics, "newswire_consumer_ready",
                         "1 when /readyz answers 200 (joined, no stalled partition)", NULL);
    c->m_buffered = nw_metrics_gauge(c->metrics, "newswire_consumer_buffered_bytes",
                                     "Story bytes polled and not yet committed", NULL);
    c->m_paused = nw_metrics_gauge(c->metrics, "newswire_consumer_paused_partitions",
                                   "Partitions paused for back-pressure", NULL);
    c->m_busy = nw_metrics_gauge(c->metrics, "newswire_consumer_busy_workers",
                                 "Workers running a batch", NULL);
    nw_chain *chains[MAX_WORKERS];
    read_topics(c, cs);
    if (build_chains(c, cs->chain, origin, chains, err) < 0) {
        nw_consumer_free(c);
        return NW_EINVAL;
    }
    for (int i = 0; i < c->nworkers; i++) {
        c->workers[i].chain = chains[i];
        nw_chain_set_retry(chains[i], c->retry_initial_ms, c->retry_max_ms, &c->workers[i].abort);
    }

    if (*cs->http_listen_addr && nw_http_check_listen(cs->http_listen_addr, err) < 0) {
        const nw_cfg_node *ln = cs->http_listen;
        if (ln)
            nw_err_prefix(err, "%s:%d: http.listen: ", nw_cfg_origin(ln), nw_cfg_line(ln));
        nw_consumer_free(c);
        return NW_EINVAL;
    }
    rd_kafka_conf_t *conf = nw_kafka_conf_new(cs->kafka, c->brokers, err);
    if (!conf) {
        nw_consumer_free(c);
        return NW_EINVAL;
    }
    /* librdkafka's own pre-fetch queue counts against the memory budget too */
    char qkb[32];
    uint64_t kb = c->max_buffered / 1024 / 2;
    snprintf(qkb, sizeof qkb, "%llu",
             (unsigned long long)(kb < 1024      ? 1024
                                  : kb > 2097151 ? 2097151
                                                 : kb));
    struct {
        const char *key, *value;
        bool forced;
    } props[] = {
        {"group.id", c->group, true},
        {"enable.auto.commit", "false", true},
        {"enable.auto.offset.store", "false", true},
        {"enable.partition.eof", "true", true},
        {"auto.offset.reset", "earliest", false},
        {"partition.assignment.strategy", "cooperative-sticky", false},
        {"statistics.interval.ms", "5000", false},
        {"queued.max.messages.kbytes", qkb, false},
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        if (!props[i].forced && kafka_key_set(cs->kafka, props[i].key))
            continue;
        if (props[i].forced && kafka_key_set(cs->kafka, props[i].key) &&
            strcmp(props[i].key, "group.id"))
            nw_log_warn(MOD, "kafka.%s is managed by newswire-consumer and ignored", props[i].key);
        if (nw_kafka_conf_set(conf, props[i].key, props[i].value, err) < 0) {
            rd_kafka_conf_destroy(conf);
            nw_consumer_free(c);
            return NW_EINVAL;
        }
    }
    if (opts && opts->check_only) {
        /* validated (each property was set and checked): no client, no
         * endpoint, no worker */
        rd_kafka_conf_destroy(conf);
        *out = c;
        return 0;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    char errstr[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        nw_consumer_free(c);
        return nw_err_set(err, NW_EKAFKA, "%s: kafka: %s", origin, errstr);
    }
    /* rd_kafka_new() succeeded: conf is owned by c->rk */
    rd_kafka_poll_set_consumer(c->rk);

    if (*cs->http_listen_addr) {
        nw_err herr = {0};
        c->http = nw_http_start(cs->http_listen_addr, c->metrics, is_ready, c, &herr);
        if (!c->http) {
            if (cs->http_listen) { /* written in the file: an error, not a warning */
                nw_consumer_free(c);
                return nw_err_set(err, NW_EIO, "%s: http.listen: %s", origin, herr.msg);
            }
            nw_log_warn(MOD,
                        "metrics endpoint not started (set http.listen to choose "
                        "another address) listen=%s error=\"%s\"",
                        cs->http_listen_addr, herr.msg);
        }
    }
    if (start_workers(c, err) < 0) {
        nw_consumer_free(c);
        return NW_ENOMEM;
    }
    *out = c;
    return 0;
}

int nw_consumer_new(const nw_config *cfg, const nw_consumer_opts *opts, nw_consumer **out,
                    nw_err *err)
{
    *out = NULL;
    nw_consumer_settings cs;
    if (nw_consumer_settings_read(cfg, &cs, err) < 0)
        return NW_EINVAL;
    int rc = consumer_new(cfg, &cs, opts, out, err);
    nw_consumer_settings_free(&cs);
    return rc;
}

void nw_consumer_stop(nw_consumer *c)
{
    if (c)
        c->stop = 1;
}

void nw_consumer_fail_next_revoke(nw_consumer *c, int err)
{
    atomic_store(&c->fail_revoke, err);
}

void nw_consumer_reload(nw_consumer *c)
{
    if (c)
        c->reload = 1;
}

nw_consumer_stats nw_consumer_get_stats(const nw_consumer *cc)
{
    nw_consumer *c = (nw_consumer *)cc;
    pthread_mutex_lock(&c->mu);
    nw_consumer_stats s = c->stats;
    pthread_mutex_unlock(&c->mu);
    return s;
}

int nw_consumer_http_port(const nw_consumer *c)
{
    return c && c->http ? nw_http_port(c->http) : -1;
}

/* ------------------------------------------------------------------ reload */

/* Between batches (no job in flight): rebuild every worker's chain from the
 * config file; keep the old ones when anything fails. */
static void do_reload(nw_consumer *c)
{
    const char *path = nw_config_origin(c->reloaded_cfg ? c->reloaded_cfg : c->cfg);
    nw_err err = {0};
    nw_config *cfg = NULL;
    nw_consumer_settings cs = {0};
    nw_chain *chains[MAX_WORKERS];
    notify("RELOADING=1");
    nw_log_info(MOD, "reloading the chain config=%s", path);
    if (nw_config_load_file(path, &cfg, &err) < 0 || nw_config_apply_env(cfg, environ, &err) < 0 ||
        nw_consumer_settings_read(cfg, &cs, &err) < 0 ||
        build_chains(c, cs.chain, nw_config_origin(cfg), chains, &err) < 0) {
        nw_log_error(MOD, "reload failed; the running chain stays error=\"%s\"", err.msg);
        nw_consumer_settings_free(&cs);
        nw_config_free(cfg);
        notify("READY=1");
        return;
    }
    nw_consumer_settings_free(&cs); /* the chains keep what they need */
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        nw_chain *old = w->chain;
        nw_chain_set_retry(chains[i], c->retry_initial_ms, c->retry_max_ms, &w->abort);
        for (size_t k = 0; k < c->nparts; k++) { /* the new chain owns what the old one had */
            nw_chain_note_partition(old, c->parts[k]->topic, c->parts[k]->partition, false);
            nw_chain_note_partition(chains[i], c->parts[k]->topic, c->parts[k]->partition, true);
        }
        pthread_mutex_lock(&c->mu);
        while (w->checking) /* its ready checks run on the old chain */
            pthread_cond_wait(&c->cv, &c->mu);
        w->chain = chains[i];
        w->not_ready[0] = '\0';
        w->ready_checked_ms = 0; /* the new chain is checked at once */
        pthread_mutex_unlock(&c->mu);
        nw_chain_free(old); /* flushes */
    }
    nw_config_free(c->reloaded_cfg);
    c->reloaded_cfg = cfg;
    pthread_mutex_lock(&c->mu);
    c->stats.reloads++;
    pthread_mutex_unlock(&c->mu);
    nw_log_info(MOD,
                "chain reloaded workers=%d (only `chain` is reloaded; kafka, group, "
                "topics, batch, workers and http need a restart)",
                c->nworkers);
    notify("READY=1");
}

/* --------------------------------------------------------------------- run */

static bool idle_done(nw_consumer *c, int64_t now)
{
    if (c->idle_ms < 0 || !c->assigned_once || jobs_in_flight(c) || !all_at_eof(c) ||
        now - c->last_activity_ms < c->idle_ms)
        return false;
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i]->qlen || c->parts[i]->paused)
            return false;
    return true;
}

/* A message further on than the one expected (the committed offset after an
 * assignment, the one after the last message later) is a skip when the
 * stories in between are no longer on the broker: they expired before this
 * group consumed them and librdkafka reset the offset (auto.offset.reset)
 * with only a warning of its own. That is an error with a count. Gaps the
 * broker still holds the start of (compaction, transaction markers) are not. */
static void check_expired(nw_consumer *c, part *p, const rd_kafka_message_t *m)
{
    int64_t expect = p->expect_off;
    p->expect_off = m->offset + 1;
    if (expect < 0 || m->offset <= expect)
        return;
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi) || lo <= expect)
        if (rd_kafka_query_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi, 2000))
            return;
    if (lo <= expect)
        return;
    int64_t skipped = m->offset - expect;
    nw_counter_inc(p->resets);
    nw_counter_add(p->skipped, (uint64_t)skipped);
    nw_log_error(MOD,
                 "stories expired before they were consumed: offset reset topic=%s "
                 "partition=%d expected=%lld log_start=%lld resumed=%lld skipped=%lld",
                 p->topic, (int)p->partition, (long long)expect, (long long)lo,
                 (long long)m->offset, (long long)skipped);
}

static void on_message(nw_consumer *c, rd_kafka_message_t *m, int64_t now)
{
    part *p = find_part(c, rd_kafka_topic_name(m->rkt), m->partition);
    if (!p) { /* a partition we no longer own */
        rd_kafka_message_destroy(m);
        return;
    }
    p->fetched_ms = now;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        p->eof = true;
        p->fetched_off = m->offset; /* the end, past any transaction marker */
        rd_kafka_message_destroy(m);
        return;
    }
    p->eof = false;
    p->fetched_off = m->offset + 1;
    check_expired(c, p, m);
    if (!p->qlen && !p->busy)
        p->head_ts_ms = story_time_ms(m); /* the oldest unfinished story now */
    if (p->next_off < 0)
        p->next_off = m->offset;
    if (part_push(p, m, now) < 0) {
        /* cannot queue it: rewind the partition to it and try again later */
        nw_log_error(MOD, "out of memory queueing a message; rewinding");
        p->fetched_off = m->offset;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = m->offset;
        rd_kafka_error_t *se = rd_kafka_seek_partitions(c->rk, l, 5000);
        if (se)
            rd_kafka_error_destroy(se);
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_message_destroy(m);
        return;
    }
    nw_counter_inc(p->consumed);
    part_account(c, (int64_t)(m->len + m->key_len));
    pthread_mutex_lock(&c->mu);
    c->stats.messages++;
    pthread_mutex_unlock(&c->mu);
    c->last_activity_ms = now;
}

/* A consumer error event (not a message). */
static void on_consumer_error(nw_consumer *c, rd_kafka_message_t *m)
{
    nw_log_warn(MOD, "consumer error error=\"%s\"", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
}

int nw_consumer_run(nw_consumer *c, nw_err *err)
{
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, c->subscription);
    if (e)
        return nw_err_set(err, NW_EKAFKA, "subscribe: %s", rd_kafka_err2str(e));
    nw_log_info(MOD,
                "consumer started group=%s topics=%d first=\"%s\" workers=%d "
                "max_buffered_bytes=%llu http_port=%d",
                c->group, c->subscription->cnt, c->subscription->elems[0].topic, c->nworkers,
                (unsigned long long)c->max_buffered, nw_consumer_http_port(c));
    notify("READY=1");
    c->last_activity_ms = now_ms();
    int rc = 0;
    while (!c->stop && !c->failed) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
        int64_t now = now_ms();
        if (m && m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                char why[512];
                rd_kafka_fatal_error(c->rk, why, sizeof why);
                rd_kafka_message_destroy(m);
                rc = nw_err_set(err, NW_EKAFKA, "kafka fatal error: %s", why);
                break;
            }
            on_consumer_error(c, m);
        } else if (m) {
            on_message(c, m, now);
            /* drain what is already fetched without waiting */
            while ((m = rd_kafka_consumer_poll(c->rk, 0))) {
                if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    on_consumer_error(c, m);
                    break;
                }
                on_message(c, m, now);
                if (c->max_buffered && buffered(c) >= c->max_buffered)
                    break;
            }
        }
        reap(c);
        dispatch(c, now);
        apply_pauses(c);
        update_health(c, now);
        if (c->reload && !jobs_in_flight(c)) {
            do_reload(c);
            c->reload = 0;
        }
        if (idle_done(c, now)) {
            nw_log_info(MOD, "all partitions at their end and idle: exiting idle_ms=%lld",
                        (long long)c->idle_ms);
            break;
        }
    }

    /* Drain: let running batches finish (a retrying one gives up on stop),
     * commit, leave the group. Queued stories were never started: the next
     * owner reads them again. */
    notify("STOPPING=1");
    atomic_store(&c->ready, 0);
    if (c->stop || c->failed)
        for (int i = 0; i < c->nworkers; i++)
            c->workers[i].abort = 1;
    wait_jobs(c, NULL, -1);
    commit_sync(c, "shutdown");
    e = rd_kafka_consumer_close(c->rk);
    if (e)
        nw_log_warn(MOD, "leaving the group failed error=\"%s\"", rd_kafka_err2str(e));
    while (c->nparts)
        part_remove(c, c->parts[0]);
    if (rc == 0 && c->failed && !c->stop)
        rc = nw_err_set(err, c->fail_err.code ? c->fail_err.code : NW_EIO, "%s", c->fail_err.msg);
    nw_consumer_stats s = nw_consumer_get_stats(c);
    uint64_t dropped = 0, retries = 0;
    for (int i = 0; i < c->nworkers; i++) {
        nw_chain_stats cs = nw_chain_get_stats(c->workers[i].chain);
        dropped += cs.dropped;
        retries += cs.retries;
    }
    nw_log_info(MOD,
                "consumer stopped messages=%llu batches=%llu dropped=%llu "
                "dead_letters=%llu dlq_produced=%llu retries=%llu pauses=%llu "
                "peak_buffered_bytes=%llu",
                (unsigned long long)s.messages, (unsigned long long)s.batches,
                (unsigned long long)dropped, (unsigned long long)s.dead_letters,
                (unsigned long long)s.dlq_produced, (unsigned long long)retries,
                (unsigned long long)s.pauses, (unsigned long long)s.buffered_bytes_peak);
    return rc;
}

void nw_consumer_free(nw_consumer *c)
{
    if (!c)
        return;
    nw_http_stop(c->http);
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->nworkers; i++) {
        c->workers[i].quit = true;
        c->workers[i].abort = 1;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i].started)
            pthread_join(c->workers[i].thread, NULL);
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        if (w->job) { /* run() never returned normally: finish the bookkeeping */
            for (size_t k = 0; k < w->job->n; k++)
                rd_kafka_message_destroy(w->job->msgs[k]);
            free(w->job->msgs);
            free(w->job->parts);
            free(w->job);
        }
        nw_chain_free(w->chain);
        w->chain = NULL;
    }
    while (c->nparts)
        part_remove(c, c->parts[0]);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    if (c->dlq) {
        rd_kafka_flush(c->dlq, 5000);
        rd_kafka_topic_destroy(c->dlq_rkt);
        rd_kafka_destroy(c->dlq);
    }
    free(c->subscription_names);
    if (c->subscription)
        rd_kafka_topic_partition_list_destroy(c->subscription);
    rd_kafka_topic_partition_list_destroy(c->left_paused);
    nw_metrics_free(c->metrics);
    nw_config_free(c->reloaded_cfg);
    free(c->parts);
    free(c->group);
    free(c->brokers);
    free(c->dlq_topic);
    free(c->topic_prefix);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}
