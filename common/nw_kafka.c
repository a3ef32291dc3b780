/*
 * nw_kafka — topic naming, topic-handle tables, librdkafka configuration from
 * `kafka.*` keys, and the embedded broker (librdkafka's mock cluster).
 *
 * Configuration passes through unchanged: every scalar under the `kafka` map
 * becomes one librdkafka property, so SASL/TLS and tuning need no code here.
 * This module never logs a configuration value (it may be a secret) and never
 * prints errors itself; librdkafka's own logs are routed to nw_log.
 *
 * The embedded broker lives inside a private producer handle that never
 * connects anywhere: rd_kafka_mock_cluster_new() needs an rd_kafka_t to own
 * the cluster's thread. librdkafka 2.0.2 has no call to change the partition
 * count of auto-created topics (the mock always uses 4), so topics that need
 * another count are created up front with nw_broker_create_topic().
 */
#include "nw_kafka.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <xxhash.h>

#include "nw_log.h"

/* ------------------------------------------------------------------------ */
/* Topic names                                                              */
/* ------------------------------------------------------------------------ */

/* Kafka's legal topic characters: ASCII letters, digits, '.', '_' and '-'
 * (a table: every story's topic is checked, twice on the producer's path). */
static const unsigned char topic_chars[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
    ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
    ['z'] = 1,
};

static int topic_char_ok(unsigned char c)
{
    return topic_chars[c];
}

int nw_kafka_topic_name(const char *prefix, const char *slug, char *out, size_t outlen, nw_err *err)
{
    if (!prefix)
        prefix = "";
    if (!slug || !*slug)
        return nw_err_set(err, NW_EINVAL, "topic name: empty category slug");
    if (!out || outlen == 0)
        return nw_err_set(err, NW_ELIMIT, "topic name: no room for the result");
    size_t plen = strlen(prefix), slen = strlen(slug);
    if (plen + slen > NW_TOPIC_NAME_MAX)
        return nw_err_set(err, NW_ELIMIT,
                          "topic name '%s%.40s...' is %zu characters; Kafka allows at most %d",
                          prefix, slug, plen + slen, NW_TOPIC_NAME_MAX);
    if (plen + slen + 1 > outlen)
        return nw_err_set(err, NW_ELIMIT, "topic name '%s%s' does not fit in %zu bytes", prefix,
                          slug, outlen);
    for (const char *p = prefix; *p; p++)
        if (!topic_char_ok((unsigned char)*p))
            return nw_err_set(err, NW_EINVAL,
                              "topic prefix '%s': character '%c' is not allowed in a Kafka "
                              "topic name (use letters, digits, '.', '_', '-')",
                              prefix, *p);
    for (const char *p = slug; *p; p++)
        if (!topic_char_ok((unsigned char)*p))
            return nw_err_set(err, NW_EINVAL,
                              "category slug '%s': character 0x%02x is not allowed in a Kafka "
                              "topic name",
                              slug, (unsigned char)*p);
    memcpy(out, prefix, plen);
    memcpy(out + plen, slug, slen + 1);
    if (!strcmp(out, ".") || !strcmp(out, ".."))
        return nw_err_set(err, NW_EINVAL, "topic name '%s' is reserved by Kafka", out);
    return 0;
}

const char *nw_kafka_topic_category(const char *topic, const char *prefix)
{
    if (!topic)
        return NULL;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    if (strncmp(topic, prefix, plen) != 0 || topic[plen] == '\0')
        return NULL;
    return topic + plen;
}

/* ------------------------------------------------------------------------ */
/* Topic handles                                                            */
/* ------------------------------------------------------------------------ */

#define TOPIC_BUCKETS 64

typedef struct topic_slot {
    rd_kafka_topic_t *rkt;
    struct topic_slot *next;
    char name[]; /* the topic name, owned with the slot */
} topic_slot;

struct nw_kafka_topics {
    rd_kafka_t *rk; /* the producer every handle belongs to; NULL when empty */
    topic_slot *buckets[TOPIC_BUCKETS];
};

nw_kafka_topics *nw_kafka_topics_new(void)
{
    return calloc(1, sizeof(nw_kafka_topics));
}

rd_kafka_topic_t *nw_kafka_topics_get(nw_kafka_topics *tbl, rd_kafka_t *rk, const char *name,
                                      rd_kafka_resp_err_t *why)
{
    rd_kafka_resp_err_t ignored;
    if (!why)
        why = &ignored;
    if (tbl->rk && tbl->rk != rk)
        nw_kafka_topics_clear(tbl); /* misuse: never mix producers' handles */
    size_t len = strlen(name);
    topic_slot **head = &tbl->buckets[XXH3_64bits(name, len) % TOPIC_BUCKETS];
    for (topic_slot *t = *head; t; t = t->next)
        if (!strcmp(t->name, name))
            return t->rkt;
    topic_slot *t = malloc(sizeof *t + len + 1);
    if (!t) {
        *why = RD_KAFKA_RESP_ERR__FAIL;
        return NULL;
    }
    memcpy(t->name, name, len + 1);
    if (!(t->rkt = rd_kafka_topic_new(rk, name, NULL))) {
        *why = rd_kafka_last_error();
        if (*why == RD_KAFKA_RESP_ERR_NO_ERROR || *why == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            *why = RD_KAFKA_RESP_ERR__FAIL;
        free(t);
        return NULL;
    }
    tbl->rk = rk;
    t->next = *head;
    *head = t;
    return t->rkt;
}

void nw_kafka_topics_clear(nw_kafka_topics *tbl)
{
    if (!tbl)
        return;
    for (size_t i = 0; i < TOPIC_BUCKETS; i++) {
        for (topic_slot *t = tbl->buckets[i], *next; t; t = next) {
            next = t->next;
            rd_kafka_topic_destroy(t->rkt);
            free(t);
        }
        tbl->buckets[i] = NULL;
    }
    tbl->rk = NULL;
}

void nw_kafka_topics_free(nw_kafka_topics *tbl)
{
    nw_kafka_topics_clear(tbl);
    free(tbl);
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

/* librdkafka logs (syslog levels) -> nw_log. */
static void log_to_nw_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    nw_log_level lv = level <= LOG_ERR       ? NW_LOG_ERROR
                      : level <= LOG_WARNING ? NW_LOG_WARN
                      : level <= LOG_INFO    ? NW_LOG_INFO
                                             : NW_LOG_DEBUG;
    nw_log(lv, "rdkafka", "%s client=%s fac=%s", buf, rk ? rd_kafka_name(rk) : "-", fac);
}

/* Properties whose values are credentials or key material. */
static int key_is_secret(const char *key)
{
    static const char *const words[] = {"password",    "secret",  "oauthbearer.config",
                                        "ssl.key.pem", "ssl_key", "ssl.keystore",
                                        "token"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(key, words[i]))
            return 1;
    return 0;
}

int nw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, nw_err *err)
{
    char errstr[512];
    if (!conf || !key || !*key)
        return nw_err_set(err, NW_EINVAL, "kafka: empty property name");
    if (!value)
        return nw_err_set(err, NW_EINVAL, "kafka.%s: expected a value", key);
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr);
    if (res == RD_KAFKA_CONF_OK)
        return 0;
    /* librdkafka may quote the value in errstr: keep secrets out of messages */
    if (res == RD_KAFKA_CONF_INVALID && key_is_secret(key))
        return nw_err_set(err, NW_EINVAL, "kafka.%s: invalid value (not shown: secret)", key);
    return nw_err_set(err, NW_EINVAL, "kafka.%s: %s", key, errstr);
}

bool nw_kafka_skip_sasl_plugins(const rd_kafka_conf_t *conf)
{
    char proto[64] = "";
    size_t len = sizeof proto;
    if (getenv("SASL_PATH") ||
        (conf && rd_kafka_conf_get(conf, "security.protocol", proto, &len) == RD_KAFKA_CONF_OK &&
         !strncasecmp(proto, "sasl", 4)))
        return false;
    return setenv("SASL_PATH", "", 0) == 0;
}

/* Where a config node came from, for messages: "line 12" or "environment". */
/* "<file>:<line>" of a node, or the environment variable it came from. */
static void node_where(const nw_cfg_node *node, char *buf, size_t len)
{
    int line = nw_cfg_line(node);
    if (line > 0)
        snprintf(buf, len, "%s:%d", nw_cfg_origin(node), line);
    else
        snprintf(buf, len, "%s", nw_cfg_origin(node));
}

/* Join a sequence of scalars with ',' (bootstrap.servers as a YAML list). */
static char *join_seq(const nw_cfg_node *seq, nw_err *err, const char *name)
{
    size_t n = nw_cfg_len(seq), total = 1;
    for (size_t i = 0; i < n; i++) {
        const char *s = nw_cfg_scalar(nw_cfg_item(seq, i));
        if (!s) {
            char where[PATH_MAX + 32];
            node_where(nw_cfg_item(seq, i), where, sizeof where);
            nw_err_set(err, NW_EINVAL, "%s: kafka.%s[%zu]: expected a scalar in the list", where,
                       name, i);
            return NULL;
        }
        total += strlen(s) + 1;
    }
    char *out = malloc(total);
    if (!out) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, nw_cfg_scalar(nw_cfg_item(seq, i)));
    }
    return out;
}

/* Set every scalar below `map`, with keys prefixed by `prefix` ("" at the top). */
static int conf_apply_map(rd_kafka_conf_t *conf, const nw_cfg_node *map, const char *prefix,
                          nw_err *err)
{
    size_t n = nw_cfg_len(map);
    for (size_t i = 0; i < n; i++) {
        const char *key = nw_cfg_key_at(map, i);
        const nw_cfg_node *val = nw_cfg_value_at(map, i);
        char name[512], where[PATH_MAX + 32];
        int w = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
        node_where(val, where, sizeof where);
        if (w < 0 || (size_t)w >= sizeof name)
            return nw_err_set(err, NW_ELIMIT, "%s: kafka.%.60s...: key too long", where, name);
        int rc = 0;
        switch (nw_cfg_kind_of(val)) {
        case NW_CFG_SCALAR: rc = nw_kafka_conf_set(conf, name, nw_cfg_scalar(val), err); break;
        case NW_CFG_MAP:
            rc = conf_apply_map(conf, val, name, err);
            if (rc < 0)
                return rc; /* the nested call already said where */
            continue;
        case NW_CFG_SEQ: {
            char *joined = join_seq(val, err, name);
            if (!joined)
                return err ? err->code : NW_EINVAL;
            rc = nw_kafka_conf_set(conf, name, joined, err);
            free(joined);
            break;
        }
        case NW_CFG_NULL:
        default: rc = nw_err_set(err, NW_EINVAL, "kafka.%s: expected a value", name); break;
        }
        if (rc < 0) {
            nw_err_prefix(err, "%s: ", where);
            return rc;
        }
    }
    return 0;
}

rd_kafka_conf_t *nw_kafka_conf_new(const nw_cfg_node *kafka_map, const char *brokers, nw_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_to_nw_log);
    if (nw_kafka_conf_set(conf, "client.id", "newswire", err) < 0)
        goto fail;

    if (kafka_map) {
        nw_cfg_kind kind = nw_cfg_kind_of(kafka_map);
        if (kind == NW_CFG_MAP) {
            if (conf_apply_map(conf, kafka_map, "", err) < 0)
                goto fail;
        } else if (kind != NW_CFG_NULL) {
            char where[PATH_MAX + 32];
            node_where(kafka_map, where, sizeof where);
            nw_err_set(err, NW_EINVAL,
                       "%s: kafka: expected a map of librdkafka properties (acks: all, ...)",
                       where);
            goto fail;
        }
    }
    if (brokers && nw_kafka_conf_set(conf, "bootstrap.servers", brokers, err) < 0)
        goto fail;
    return conf;

fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Embedded broker                                                          */
/* ------------------------------------------------------------------------ */

struct nw_broker {
    rd_kafka_t *rk;                    /* owns the mock cluster's thread */
    rd_kafka_mock_cluster_t *mcluster; /* owned, destroyed before rk */
    int partitions;                    /* default for nw_broker_create_topic */
    char *bootstrap;                   /* owned copy */
};

nw_broker *nw_broker_new(int broker_count, int partitions, nw_err *err)
{
    char errstr[512];
    if (broker_count < 1 || broker_count > NW_BROKER_MAX_BROKERS) {
        nw_err_set(err, NW_EINVAL, "broker count %d: expected 1..%d", broker_count,
                   NW_BROKER_MAX_BROKERS);
        return NULL;
    }
    if (partitions < 1 || partitions > NW_BROKER_MAX_PARTITIONS) {
        nw_err_set(err, NW_EINVAL, "partitions %d: expected 1..%d", partitions,
                   NW_BROKER_MAX_PARTITIONS);
        return NULL;
    }
    nw_broker *b = calloc(1, sizeof *b);
    if (!b) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    b->partitions = partitions;

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf)
        goto nomem;
    rd_kafka_conf_set_log_cb(conf, log_to_nw_log);
    /* The host handle never connects: it only carries the cluster. Keep its
     * "no bootstrap.servers" notice out of the logs. */
    if (rd_kafka_conf_set(conf, "client.id", "newswire-broker", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        nw_err_set(err, NW_EKAFKA, "embedded broker: %s", errstr);
        goto fail;
    }
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!b->rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        nw_err_set(err, NW_EKAFKA, "embedded broker: %s", errstr);
        goto fail;
    }
    /* rd_kafka_new() succeeded: conf is owned by rk now. */
    b->mcluster = rd_kafka_mock_cluster_new(b->rk, broker_count);
    if (!b->mcluster) {
        nw_err_set(err, NW_EKAFKA,
                   "embedded broker: could not start the mock cluster (listen on 127.0.0.1 "
                   "failed?)");
        goto fail;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(b->mcluster);
    b->bootstrap = strdup(bs ? bs : "");
    if (!b->bootstrap)
        goto nomem;
    return b;

nomem:
    nw_err_set(err, NW_ENOMEM, "out of memory");
fail:
    nw_broker_free(b);
    return NULL;
}

const char *nw_broker_bootstrap(const nw_broker *broker)
{
    return broker ? broker->bootstrap : NULL;
}

rd_kafka_mock_cluster_t *nw_broker_cluster(nw_broker *broker)
{
    return broker ? broker->mcluster : NULL;
}

int nw_broker_create_topic(nw_broker *broker, const char *topic, int partitions, nw_err *err)
{
    if (!broker || !broker->mcluster)
        return nw_err_set(err, NW_EINVAL, "embedded broker: not running");
    if (!topic || !*topic || strlen(topic) > NW_TOPIC_NAME_MAX)
        return nw_err_set(err, NW_EINVAL, "embedded broker: invalid topic name");
    for (const char *p = topic; *p; p++)
        if (!topic_char_ok((unsigned char)*p))
            return nw_err_set(err, NW_EINVAL,
                              "embedded broker: topic '%s': character '%c' is not allowed", topic,
                              *p);
    if (partitions <= 0)
        partitions = broker->partitions;
    if (partitions > NW_BROKER_MAX_PARTITIONS)
        return nw_err_set(err, NW_EINVAL, "topic '%s': partitions %d: expected 1..%d", topic,
                          partitions, NW_BROKER_MAX_PARTITIONS);
    /* replication factor 1: every replica lives on one mock broker anyway */
    rd_kafka_resp_err_t rerr = rd_kafka_mock_topic_create(broker->mcluster, topic, partitions, 1);
    if (rerr)
        return nw_err_set(err, NW_EKAFKA, "embedded broker: create topic '%s': %s", topic,
                          rd_kafka_err2str(rerr));
    return 0;
}

void nw_broker_free(nw_broker *broker)
{
    if (!broker)
        return;
    if (broker->mcluster)
        rd_kafka_mock_cluster_destroy(broker->mcluster);
    if (broker->rk)
        rd_kafka_destroy(broker->rk);
    free(broker->bootstrap);
    free(broker);
}

/* ------------------------------------------------------------ topics */

int nw_kafka_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, nw_err *err)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
    rd_kafka_topic_destroy(t);
    if (e) {
        return nw_err_set(err, NW_EKAFKA, "metadata for %s: %s", topic, rd_kafka_err2str(e));
    }
    int n = 0;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

int nw_kafka_create_compacted_topic(rd_kafka_t *rk, const char *topic, int partitions, nw_err *err)
{
    char es[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, es, sizeof es);
    if (!nt)
        return nw_err_set(err, NW_EINVAL, "topic %s: %s", topic, es);
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    int rc = 0;
    if (!ev) {
        rc = nw_err_set(err, NW_EKAFKA, "creating %s: no answer from the broker", topic);
    } else {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr =
            res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
        if (!e && cnt == 1)
            e = rd_kafka_topic_result_error(tr[0]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            rc = nw_err_set(err, NW_EKAFKA, "creating %s: %s", topic, rd_kafka_err2str(e));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}
