/*
 * nw_consumer — config, group membership, batching, commit and dead letters
 * for newswire-consumer. See nw_consumer.h.
 *
 * Offsets: enable.auto.commit=false and enable.auto.offset.store=false. After
 * a batch has gone through the whole chain (every sink flushed) and its dead
 * letters are acknowledged by the DLQ topic, the next offset of each of its
 * partitions is stored (rd_kafka_offsets_store) and committed asynchronously;
 * stored offsets are committed synchronously on revoke and at shutdown.
 * Rebalancing uses the cooperative-sticky assignor by default (librdkafka 2.x
 * handles it with incremental assign/unassign); an eager strategy set under
 * kafka.partition.assignment.strategy works too.
 */
#include "nw_consumer.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_chain.h"
#include "nw_kafka.h"
#include "nw_log.h"

#define MOD "consumer"

typedef struct tracked_partition {
    char *topic;
    int32_t partition;
    bool eof;
} tracked_partition;

struct nw_consumer {
    const nw_config *cfg;
    nw_chain *chain;
    rd_kafka_t *rk;
    rd_kafka_t *dlq; /* producer, created on first dead letter */
    const nw_cfg_node *kafka_node;
    char *brokers;
    char *group;
    char *dlq_topic;    /* "" = dead letters are only logged */
    char *topic_prefix;
    rd_kafka_topic_partition_list_t *subscription;
    int64_t max_messages, max_ms, idle_ms;

    rd_kafka_message_t **batch;
    size_t batch_len;
    int64_t batch_started_ms;

    tracked_partition *parts;
    size_t nparts, parts_cap;
    bool assigned_once;
    int64_t last_activity_ms;

    volatile sig_atomic_t stop;
    bool failed;        /* a batch could not be finished: store nothing more */
    nw_err fail_err;
    int dlq_delivery_errors;
    nw_consumer_stats stats;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ config */

typedef struct consumer_cfg {
    const nw_cfg_node *kafka, *topics, *batch, *chain;
    const char *group, *dlq_topic, *topic_prefix;
} consumer_cfg;

static const nw_cfg_field consumer_fields[] = {
    {"kafka", NW_CFG_T_NODE, "", offsetof(consumer_cfg, kafka), 0, 0,
     "librdkafka properties, passed through (bootstrap.servers, security.protocol, ...)"},
    {"group", NW_CFG_T_STRING, "newswire-consumer", offsetof(consumer_cfg, group), 0, 0,
     "consumer group id"},
    {"topics", NW_CFG_T_NODE, "", offsetof(consumer_cfg, topics), 0, 0,
     "topic name or ^regex, or a list of them (default: every <topic_prefix> topic)"},
    {"batch", NW_CFG_T_NODE, "", offsetof(consumer_cfg, batch), 0, 0,
     "max_messages and max_ms of a batch"},
    {"chain", NW_CFG_T_NODE, NULL, offsetof(consumer_cfg, chain), 0, 0,
     "the plugin chain: a list of {plugin: name | path: file.so, settings...}"},
    {"dlq_topic", NW_CFG_T_STRING, NW_TOPIC_DLQ, offsetof(consumer_cfg, dlq_topic), 0, 0,
     "topic for stories that failed permanently (\"\" = log only)"},
    {"topic_prefix", NW_CFG_T_STRING, NW_TOPIC_PREFIX_NEWS,
     offsetof(consumer_cfg, topic_prefix), 0, 0,
     "prefix stripped from a topic to get the story's category"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

typedef struct batch_cfg {
    int64_t max_messages, max_ms;
} batch_cfg;

static const nw_cfg_field batch_fields[] = {
    {"max_messages", NW_CFG_T_INT, "500", offsetof(batch_cfg, max_messages), 1, 1000000,
     "stories per batch"},
    {"max_ms", NW_CFG_T_DURATION, "1000", offsetof(batch_cfg, max_ms), 0, 0,
     "longest a story waits in a batch"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* Add one subscription entry from a scalar node. */
static int add_topic(nw_consumer *c, const nw_cfg_node *n, nw_err *err)
{
    const char *t;
    if (nw_cfg_as_string(n, &t, err) < 0)
        return NW_EINVAL;
    if (!*t)
        return nw_err_set(err, NW_EINVAL, "%s:%d: %s: empty topic name",
                          nw_config_origin(c->cfg), nw_cfg_line(n), nw_cfg_path(n));
    rd_kafka_topic_partition_list_add(c->subscription, t, RD_KAFKA_PARTITION_UA);
    return 0;
}

static int read_topics(nw_consumer *c, const nw_cfg_node *topics, nw_err *err)
{
    c->subscription = rd_kafka_topic_partition_list_new(4);
    if (!topics) {
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
        return 0;
    }
    if (nw_cfg_kind_of(topics) == NW_CFG_SEQ) {
        if (nw_cfg_len(topics) == 0)
            return nw_err_set(err, NW_EINVAL, "%s:%d: topics: empty list",
                              nw_config_origin(c->cfg), nw_cfg_line(topics));
        for (size_t i = 0; i < nw_cfg_len(topics); i++)
            if (add_topic(c, nw_cfg_item(topics, i), err) < 0)
                return NW_EINVAL;
        return 0;
    }
    return add_topic(c, topics, err);
}

static bool kafka_key_set(const nw_cfg_node *kafka, const char *key)
{
    return kafka && nw_cfg_kind_of(kafka) == NW_CFG_MAP && nw_cfg_get(kafka, key);
}

/* ---------------------------------------------------------- partition state */

static tracked_partition *find_part(nw_consumer *c, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == partition && !strcmp(c->parts[i].topic, topic))
            return &c->parts[i];
    return NULL;
}

static void track_add(nw_consumer *c, const char *topic, int32_t partition)
{
    if (find_part(c, topic, partition))
        return;
    if (c->nparts == c->parts_cap) {
        size_t cap = c->parts_cap ? c->parts_cap * 2 : 16;
        tracked_partition *p = realloc(c->parts, cap * sizeof *p);
        if (!p)
            return; /* only exit-when-idle bookkeeping is affected */
        c->parts = p;
        c->parts_cap = cap;
    }
    char *t = strdup(topic);
    if (t)
        c->parts[c->nparts++] = (tracked_partition){t, partition, false};
}

static void track_remove(nw_consumer *c, const char *topic, int32_t partition)
{
    tracked_partition *p = find_part(c, topic, partition);
    if (!p)
        return;
    free(p->topic);
    *p = c->parts[--c->nparts];
}

static bool all_at_eof(const nw_consumer *c)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (!c->parts[i].eof)
            return false;
    return true;
}

/* ----------------------------------------------------------- dead letters */

static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    nw_consumer *c = opaque;
    if (m->err) {
        c->dlq_delivery_errors++;
        nw_log_error(MOD, "dead letter not delivered topic=%s error=\"%s\"",
                     rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    } else {
        c->stats.dlq_produced++;
    }
}

static int dlq_open(nw_consumer *c, nw_err *err)
{
    if (c->dlq)
        return 0;
    rd_kafka_conf_t *conf = nw_kafka_conf_new(c->kafka_node, c->brokers, err);
    if (!conf)
        return NW_EINVAL;
    char errstr[512];
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_dr_msg_cb(conf, dlq_delivered);
    /* a dead letter must not be lost or doubled by producer retries */
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
    c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!c->dlq) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        return nw_err_set(err, NW_EKAFKA, "dead-letter producer: %s", errstr);
    }
    /* rd_kafka_new() succeeded: conf is owned by c->dlq */
    return 0;
}

static int dlq_produce(nw_consumer *c, const rd_kafka_message_t *rkm, const nw_chain_msg *m,
                       nw_err *err)
{
    rd_kafka_headers_t *hdrs;
    rd_kafka_headers_t *orig = NULL;
    if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig)
        hdrs = rd_kafka_headers_copy(orig);
    else
        hdrs = rd_kafka_headers_new(8);
    char part[16], off[24];
    snprintf(part, sizeof part, "%d", (int)rkm->partition);
    snprintf(off, sizeof off, "%lld", (long long)rkm->offset);
    rd_kafka_header_add(hdrs, "nw-error", -1, m->dead_reason, -1);
    rd_kafka_header_add(hdrs, "nw-plugin", -1, m->dead_plugin ? m->dead_plugin : "", -1);
    rd_kafka_header_add(hdrs, "nw-origin-topic", -1, rd_kafka_topic_name(rkm->rkt), -1);
    rd_kafka_header_add(hdrs, "nw-origin-partition", -1, part, -1);
    rd_kafka_header_add(hdrs, "nw-origin-offset", -1, off, -1);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        c->dlq, RD_KAFKA_V_TOPIC(c->dlq_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(rkm->key, rkm->key_len), RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(hdrs); /* ownership passes only on success */
        return nw_err_set(err, NW_ERETRY, "dead letter to %s: %s", c->dlq_topic,
                          rd_kafka_err2str(e));
    }
    return 0;
}

/* Send every DEAD message of the batch to the DLQ and wait for the acks,
 * retrying with back-off until it works or we are told to stop. */
static int dead_letter(nw_consumer *c, nw_chain_msg *msgs, size_t n, nw_err *err)
{
    size_t dead = 0;
    for (size_t i = 0; i < n; i++)
        dead += msgs[i].state == NW_MSG_DEAD;
    if (!dead)
        return 0;
    c->stats.dead_letters += dead;
    if (!*c->dlq_topic)
        return 0; /* logged by the chain; counted */
    int64_t wait = 100;
    for (;;) {
        int rc = dlq_open(c, err);
        c->dlq_delivery_errors = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (msgs[i].state == NW_MSG_DEAD)
                rc = dlq_produce(c, c->batch[i], &msgs[i], err);
        if (rc == 0) {
            rd_kafka_flush(c->dlq, 30000);
            if (rd_kafka_outq_len(c->dlq) == 0 && c->dlq_delivery_errors == 0)
                return 0;
            nw_err_set(err, NW_ERETRY, "dead letters to %s were not acknowledged",
                       c->dlq_topic);
        }
        if (rc == NW_EINVAL)
            return rc;
        nw_log_warn(MOD, "dead-letter topic unavailable, backing off wait_ms=%lld "
                         "error=\"%s\"",
                    (long long)wait, err ? err->msg : "");
        for (int64_t t = 0; t < wait; t += 50) {
            if (c->stop)
                return nw_err_set(err, NW_ERETRY, "stopped while dead-lettering");
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        wait = wait * 2 > 30000 ? 30000 : wait * 2;
    }
}

/* ----------------------------------------------------------------- batches */

static void batch_clear(nw_consumer *c)
{
    for (size_t i = 0; i < c->batch_len; i++)
        rd_kafka_message_destroy(c->batch[i]);
    c->batch_len = 0;
}

/* Store and commit (async) the next offset of every partition in the batch. */
static void commit_batch(nw_consumer *c)
{
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < c->batch_len; i++) {
        const rd_kafka_message_t *m = c->batch[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offs, topic, m->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(offs, topic, m->partition);
        if (m->offset + 1 > tp->offset)
            tp->offset = m->offset + 1;
    }
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, offs);
    if (e)
        nw_log_warn(MOD, "could not store offsets error=\"%s\"", rd_kafka_err2str(e));
    e = rd_kafka_commit(c->rk, offs, 1);
    if (e)
        nw_log_warn(MOD, "commit failed; retried at the next batch error=\"%s\"",
                    rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(offs);
}

/* Run the batch through the chain, dead-letter, commit. On failure nothing is
 * stored and c->failed is set: the loop stops and the stories are redelivered
 * to whoever owns their partitions next. */
static int process_batch(nw_consumer *c)
{
    if (c->batch_len == 0 || c->failed)
        return c->failed ? NW_ERETRY : 0;
    size_t n = c->batch_len;
    nw_chain_msg *msgs = calloc(n, sizeof *msgs);
    nw_chain_msg **ptrs = calloc(n, sizeof *ptrs);
    nw_err err = {0};
    int rc = 0;
    size_t inited = 0;
    if (!msgs || !ptrs) {
        rc = nw_err_set(&err, NW_ENOMEM, "out of memory for a batch of %zu", n);
        goto out;
    }
    for (; inited < n; inited++) {
        const rd_kafka_message_t *m = c->batch[inited];
        const char *topic = rd_kafka_topic_name(m->rkt);
        nw_chain_msg *cm = &msgs[inited];
        ptrs[inited] = cm;
        rc = nw_chain_msg_init(cm, topic, c->topic_prefix, m->partition, m->offset, m->key,
                               m->key_len, m->payload, m->len,
                               rd_kafka_message_timestamp(m, NULL), &err);
        if (rc < 0)
            goto out;
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
            const char *name;
            const void *val;
            size_t len;
            for (size_t h = 0; !rd_kafka_header_get_all(hdrs, h, &name, &val, &len); h++)
                if (nw_chain_msg_add_header(cm, name, val, len) < 0) {
                    rc = nw_err_set(&err, NW_ENOMEM, "out of memory copying headers");
                    inited++;
                    goto out;
                }
        }
        if (*c->dlq_topic && !strcmp(topic, c->dlq_topic))
            cm->state = NW_MSG_DROPPED; /* never archive our own dead letters */
        else if (!m->payload) {
            cm->state = NW_MSG_DROPPED; /* a tombstone carries no story */
            nw_log_debug(MOD, "skipping message without value topic=%s offset=%lld",
                         topic, (long long)m->offset);
        }
    }
    rc = nw_chain_run(c->chain, ptrs, n, &err);
    if (rc == 0)
        rc = dead_letter(c, msgs, n, &err);
    if (rc == 0) {
        commit_batch(c);
        c->stats.batches++;
        nw_log_debug(MOD, "batch committed stories=%zu", n);
    }
out:
    for (size_t i = 0; i < inited; i++)
        nw_chain_msg_deinit(&msgs[i]);
    free(msgs);
    free(ptrs);
    if (rc < 0) {
        c->failed = true;
        c->fail_err = err;
        nw_log_error(MOD, "batch not finished; its offsets stay uncommitted "
                          "stories=%zu error=\"%s\"",
                     n, err.msg);
    }
    batch_clear(c);
    return rc;
}

static void commit_sync(nw_consumer *c, const char *why)
{
    if (c->failed)
        return; /* stored offsets are all safe, but keep it simple: nothing new */
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, NULL, 0);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        nw_log_warn(MOD, "synchronous commit failed when=%s error=\"%s\"", why,
                    rd_kafka_err2str(e));
}

/* --------------------------------------------------------------- callbacks */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    nw_consumer *c = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++)
            track_add(c, parts->elems[i].topic, parts->elems[i].partition);
        nw_log_info(MOD, "partitions assigned count=%d protocol=%s", parts->cnt,
                    coop ? "cooperative" : "eager");
        if (coop)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            ret = rd_kafka_assign(rk, parts);
        c->assigned_once = true;
        c->last_activity_ms = now_ms();
    } else if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        nw_log_info(MOD, "partitions revoked: finishing the batch count=%d "
                         "pending=%zu",
                    parts->cnt, c->batch_len);
        process_batch(c);
        commit_sync(c, "revoke");
        for (int i = 0; i < parts->cnt; i++)
            track_remove(c, parts->elems[i].topic, parts->elems[i].partition);
        if (coop)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            ret = rd_kafka_assign(rk, NULL);
    } else {
        nw_log_error(MOD, "rebalance failed error=\"%s\"", rd_kafka_err2str(e));
        process_batch(c);
        for (size_t i = 0; i < c->nparts; i++)
            free(c->parts[i].topic);
        c->nparts = 0;
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
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        nw_log_warn(MOD, "offset commit failed error=\"%s\"", rd_kafka_err2str(e));
    for (int i = 0; offsets && i < offsets->cnt; i++)
        if (offsets->elems[i].err)
            nw_log_warn(MOD, "offset commit failed topic=%s partition=%d error=\"%s\"",
                        offsets->elems[i].topic, (int)offsets->elems[i].partition,
                        rd_kafka_err2str(offsets->elems[i].err));
}

/* ------------------------------------------------------------ construction */

int nw_consumer_new(const nw_config *cfg, const nw_consumer_opts *opts, nw_consumer **out,
                    nw_err *err)
{
    *out = NULL;
    const char *origin = nw_config_origin(cfg);
    consumer_cfg cc;
    batch_cfg bc;
    if (nw_cfg_read(nw_config_root(cfg), consumer_fields, &cc, err) < 0 ||
        nw_cfg_read(cc.batch, batch_fields, &bc, err) < 0)
        return NW_EINVAL;

    nw_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    c->cfg = cfg;
    c->kafka_node = cc.kafka;
    c->max_messages = bc.max_messages;
    c->max_ms = bc.max_ms;
    c->idle_ms = opts ? opts->exit_when_idle_ms : -1;
    const char *group = opts && opts->group ? opts->group : cc.group;
    c->group = strdup(group);
    c->brokers = opts && opts->brokers ? strdup(opts->brokers) : NULL;
    c->dlq_topic = strdup(cc.dlq_topic);
    c->topic_prefix = strdup(cc.topic_prefix);
    c->batch = calloc((size_t)c->max_messages, sizeof *c->batch);
    if (!c->group || (opts && opts->brokers && !c->brokers) || !c->dlq_topic ||
        !c->topic_prefix || !c->batch) {
        nw_consumer_free(c);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (!*c->group) {
        nw_consumer_free(c);
        return nw_err_set(err, NW_EINVAL, "%s: group: must not be empty", origin);
    }
    if (read_topics(c, cc.topics, err) < 0 ||
        nw_chain_new(cc.chain, origin, &c->chain, err) < 0) {
        nw_consumer_free(c);
        return NW_EINVAL;
    }
    nw_chain_set_retry(c->chain, 100, 30000, &c->stop);

    rd_kafka_conf_t *conf = nw_kafka_conf_new(cc.kafka, c->brokers, err);
    if (!conf) {
        nw_consumer_free(c);
        return NW_EINVAL;
    }
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
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        if (!props[i].forced && kafka_key_set(cc.kafka, props[i].key))
            continue;
        if (props[i].forced && kafka_key_set(cc.kafka, props[i].key) &&
            strcmp(props[i].key, "group.id"))
            nw_log_warn(MOD, "kafka.%s is managed by newswire-consumer and ignored",
                        props[i].key);
        if (nw_kafka_conf_set(conf, props[i].key, props[i].value, err) < 0) {
            rd_kafka_conf_destroy(conf);
            nw_consumer_free(c);
            return NW_EINVAL;
        }
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    char errstr[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        nw_consumer_free(c);
        return nw_err_set(err, NW_EKAFKA, "%s: kafka: %s", origin, errstr);
    }
    /* rd_kafka_new() succeeded: conf is owned by c->rk */
    rd_kafka_poll_set_consumer(c->rk);
    *out = c;
    return 0;
}

void nw_consumer_stop(nw_consumer *c)
{
    if (c)
        c->stop = 1;
}

nw_consumer_stats nw_consumer_get_stats(const nw_consumer *c)
{
    return c->stats;
}

/* --------------------------------------------------------------------- run */

static bool idle_done(nw_consumer *c, int64_t now)
{
    return c->idle_ms >= 0 && c->assigned_once && c->batch_len == 0 && all_at_eof(c) &&
           now - c->last_activity_ms >= c->idle_ms;
}

int nw_consumer_run(nw_consumer *c, nw_err *err)
{
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, c->subscription);
    if (e)
        return nw_err_set(err, NW_EKAFKA, "subscribe: %s", rd_kafka_err2str(e));
    nw_log_info(MOD, "consumer started group=%s topics=%d first=\"%s\" chain=%zu",
                c->group, c->subscription->cnt, c->subscription->elems[0].topic,
                nw_chain_len(c->chain));
    c->last_activity_ms = now_ms();
    int rc = 0;
    while (!c->stop && !c->failed) {
        int64_t now = now_ms();
        int timeout = 100;
        if (c->batch_len) {
            int64_t left = c->batch_started_ms + c->max_ms - now;
            timeout = left < 0 ? 0 : left < timeout ? (int)left : timeout;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout);
        now = now_ms();
        if (m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            tracked_partition *p = find_part(c, rd_kafka_topic_name(m->rkt), m->partition);
            if (p)
                p->eof = true;
            rd_kafka_message_destroy(m);
        } else if (m && m->err) {
            char why[512];
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(c->rk, why, sizeof why);
                rd_kafka_message_destroy(m);
                rc = nw_err_set(err, NW_EKAFKA, "kafka fatal error: %s", why);
                break;
            }
            nw_log_warn(MOD, "consumer error error=\"%s\"", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
        } else if (m) {
            tracked_partition *p = find_part(c, rd_kafka_topic_name(m->rkt), m->partition);
            if (p)
                p->eof = false;
            if (c->batch_len == 0)
                c->batch_started_ms = now;
            c->batch[c->batch_len++] = m;
            c->stats.messages++;
            c->last_activity_ms = now;
        }
        if (c->batch_len && ((int64_t)c->batch_len >= c->max_messages ||
                             now - c->batch_started_ms >= c->max_ms || all_at_eof(c)))
            process_batch(c);
        if (idle_done(c, now)) {
            nw_log_info(MOD, "all partitions at their end and idle: exiting "
                             "idle_ms=%lld",
                        (long long)c->idle_ms);
            break;
        }
    }

    /* Drain: finish the batch (one attempt if we were stopped), commit, leave. */
    process_batch(c);
    commit_sync(c, "shutdown");
    e = rd_kafka_consumer_close(c->rk);
    if (e)
        nw_log_warn(MOD, "leaving the group failed error=\"%s\"", rd_kafka_err2str(e));
    batch_clear(c);
    if (rc == 0 && c->failed && !c->stop)
        rc = nw_err_set(err, c->fail_err.code ? c->fail_err.code : NW_EIO, "%s",
                        c->fail_err.msg);
    nw_chain_stats cs = nw_chain_get_stats(c->chain);
    nw_log_info(MOD, "consumer stopped messages=%llu batches=%llu dropped=%llu "
                     "dead_letters=%llu dlq_produced=%llu retries=%llu",
                (unsigned long long)c->stats.messages, (unsigned long long)c->stats.batches,
                (unsigned long long)cs.dropped, (unsigned long long)c->stats.dead_letters,
                (unsigned long long)c->stats.dlq_produced, (unsigned long long)cs.retries);
    return rc;
}

void nw_consumer_free(nw_consumer *c)
{
    if (!c)
        return;
    if (c->batch)
        batch_clear(c);
    nw_chain_free(c->chain);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    if (c->dlq) {
        rd_kafka_flush(c->dlq, 5000);
        rd_kafka_destroy(c->dlq);
    }
    if (c->subscription)
        rd_kafka_topic_partition_list_destroy(c->subscription);
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].topic);
    free(c->parts);
    free(c->batch);
    free(c->group);
    free(c->brokers);
    free(c->dlq_topic);
    free(c->topic_prefix);
    free(c);
}
