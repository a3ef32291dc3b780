/*
 * forward-kafka — Kafka forwarding sink: settings, the records of the batch
 * in flight (kept until acknowledged), the idempotent producer and its
 * delivery reports, and the replay-mode emit path. Design in forward_kafka.h.
 *
 * Every call into this instance, delivery-report callbacks included (they
 * run inside rd_kafka_poll/flush, which only write/flush/destroy call), comes
 * from the one thread the host gives the instance: no locks.
 */
#include "forward_kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <regex.h>
#include <string.h>
#include <time.h>

#include "nw_fk_hold.h"
#include "nw_kafka.h"
#include "nw_story_state.h"

#define HDR_FORWARDED_BY     "nw-forwarded-by"
#define HDR_ORIGIN_TOPIC     "nw-origin-topic"
#define HDR_ORIGIN_PARTITION "nw-origin-partition"
#define HDR_ORIGIN_OFFSET    "nw-origin-offset"
#define HDR_PUB_STATUS       "nw-pub-status"

typedef struct fk_conf {
    const char *brokers, *topic_prefix, *hold_topic;
    int64_t flush_timeout_ms, queue_full_timeout_ms, hold_partitions;
    nw_plugin_map kafka;
} fk_conf;

static const nw_plugin_config_entry fk_config_map[] = {
    {.key = "brokers",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(fk_conf, brokers),
     .description = "bootstrap servers of the cluster to forward to (default: the consumer's)"},
    {.key = "topic_prefix",
     .type = NW_PLUGIN_T_STRING,
     .default_value = NW_TOPIC_PREFIX_ENRICHED,
     .offset = offsetof(fk_conf, topic_prefix),
     .description = "stories go to <topic_prefix><category>; never one the consumer reads"},
    {.key = "flush_timeout",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "10s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(fk_conf, flush_timeout_ms),
     .description = "how long write() and flush() wait for delivery reports"},
    {.key = "queue_full_timeout",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "5s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(fk_conf, queue_full_timeout_ms),
     .description = "how long a full local producer queue is waited for before a retry"},
    {.key = "hold_topic",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(fk_conf, hold_topic),
     .description = "compacted topic holding embargoed stories until their release "
                    "(default newswire.hold.<instance>; one per forwarding chain)"},
    {.key = "hold_partitions",
     .type = NW_PLUGIN_T_INT,
     .default_value = "6",
     .min = 1,
     .max = 1024,
     .offset = offsetof(fk_conf, hold_partitions),
     .description = "partitions of the hold topic when the sink creates it (never change "
                    "them afterwards)"},
    {.key = "kafka",
     .type = NW_PLUGIN_T_MAP,
     .offset = offsetof(fk_conf, kafka),
     .description = "librdkafka producer properties (enable.idempotence and acks=all enforced)"},
    {.key = NULL},
};

typedef enum rec_state {
    REC_UNSENT = 0, /* not handed to librdkafka yet (or the producer was rebuilt) */
    REC_INFLIGHT,   /* produced, delivery report pending */
    REC_ACKED,      /* acknowledged by Kafka (or emitted in replay mode) */
    REC_FAILED,     /* transient delivery failure: produced again by flush() */
    REC_PERMANENT,  /* Kafka refuses it for good */
    REC_DEAD,       /* reported FATAL to the host, which dead-letters it: settled */
} rec_state;

/* One record a story gives (part 0: the forward, or its hold record; part
 * 1: the hold-topic record that goes with a kill, or names the version
 * forwarded of a uri with a hold entry): everything needed to produce it again. */
typedef struct fk_record {
    char *origin_topic; /* identity of the input story, with partition, offset and part */
    int32_t origin_partition;
    int64_t origin_offset;
    int part;
    char *topic;
    int32_t partition; /* RD_KAFKA_PARTITION_UA: by key */
    char *key;
    char *value; /* NULL: a tombstone */
    size_t value_len;
    nw_plugin_header *hdrs; /* owned names and values */
    size_t nhdrs;
    rec_state state;
    bool sent_once;
    rd_kafka_resp_err_t err; /* last delivery error */
} fk_record;

/* What happened to each story, as newswire_forward_kafka_versions_total
 * {outcome="..."} (docs/story-state.md, "Counters"). */
enum {
    FK_FORWARDED,
    FK_HELD,
    FK_HELD_REPLACED,
    FK_SKIPPED_OLDER,
    FK_SKIPPED_SAME,
    FK_SKIPPED_KILLED,
    FK_NOUTCOMES
};
static const char *const fk_outcomes[FK_NOUTCOMES] = {
    "forwarded", "held", "held_replaced", "skipped_older", "skipped_same", "skipped_killed"};

typedef struct forward_kafka {
    char *name; /* instance name, the nw-forwarded-by header */
    char *prefix;
    int64_t flush_timeout_ms, queue_full_timeout_ms;
    regex_t *subs;    /* the consumer's subscription: "^regex" entries compiled */
    char **sub_names; /* ... and exact topic names */
    size_t nsubs, nsub_names;
    const nw_plugin_api *api;
    rd_kafka_conf_t *conf;   /* template, duplicated for every producer built */
    rd_kafka_t *rk;          /* NULL in replay mode */
    nw_kafka_topics *topics; /* rk's topic handles: cleared before rk is destroyed */
    bool fatal;              /* the producer hit a fatal error: rebuild it */
    size_t inflight;         /* records produced and not yet reported */
    fk_record *recs;         /* the current batch, until every record is settled */
    size_t nrec, cap;
    size_t *index; /* open addressing over recs by origin: slot = idx + 1 */
    size_t index_cap;
    nw_fk_hold *hold; /* the embargo hold (NULL in replay mode) */
    nw_forward_kafka_stats stats;
    nw_plugin_metric *m_outcome[FK_NOUTCOMES]; /* NULL without metrics */
} forward_kafka;

/* ------------------------------------------------------------------ helpers */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fk_log(const forward_kafka *fk, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fk_log(const forward_kafka *fk, int level, const char *fmt, ...)
{
    if (!fk->api || !fk->api->log)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fk->api->log(fk->api->host, level, "%s", buf);
}

/* Errors no retry can fix: the story is dead-lettered. */
static bool is_permanent(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__INVALID_TYPE: return true;
    default: return false;
    }
}

/* The topic a filter chose with set_route(), or NULL. */
static const char *story_route(const nw_plugin_msg *m)
{
    return m->route && *m->route ? m->route : NULL;
}

/* -------------------------------------------------------------------- index */

static size_t origin_hash(const char *topic, int32_t partition, int64_t offset, int part)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ (uint32_t)partition) * 1099511628211ULL;
    h = (h ^ (uint64_t)offset) * 1099511628211ULL;
    h = (h ^ (uint64_t)part) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static bool index_find(const forward_kafka *fk, const nw_plugin_msg *m, int part, size_t *out)
{
    if (!fk->index_cap)
        return false;
    size_t mask = fk->index_cap - 1;
    for (size_t s = origin_hash(m->topic, m->partition, m->offset, part) & mask;;
         s = (s + 1) & mask) {
        size_t slot = fk->index[s];
        if (!slot)
            return false;
        const fk_record *r = &fk->recs[slot - 1];
        if (r->origin_offset == m->offset && r->origin_partition == m->partition &&
            r->part == part && !strcmp(r->origin_topic, m->topic)) {
            *out = slot - 1;
            return true;
        }
    }
}

static void index_put(forward_kafka *fk, size_t idx)
{
    const fk_record *r = &fk->recs[idx];
    size_t mask = fk->index_cap - 1;
    size_t s = origin_hash(r->origin_topic, r->origin_partition, r->origin_offset, r->part) & mask;
    while (fk->index[s])
        s = (s + 1) & mask;
    fk->index[s] = idx + 1;
}

/* Room for `more` records beyond nrec (load factor <= 1/2). Returns 0 or -1. */
static int index_reserve(forward_kafka *fk, size_t more)
{
    if ((fk->nrec + more) * 2 <= fk->index_cap)
        return 0;
    size_t cap = fk->index_cap ? fk->index_cap * 2 : 256;
    while ((fk->nrec + more) * 2 > cap)
        cap *= 2;
    size_t *ix = calloc(cap, sizeof *ix);
    if (!ix)
        return -1;
    free(fk->index);
    fk->index = ix;
    fk->index_cap = cap;
    for (size_t i = 0; i < fk->nrec; i++)
        index_put(fk, i);
    return 0;
}

/* ------------------------------------------------------------------ records */

static void record_free(fk_record *r)
{
    for (size_t i = 0; i < r->nhdrs; i++) {
        free((char *)r->hdrs[i].name);
        free((void *)r->hdrs[i].value);
    }
    free(r->hdrs);
    free(r->origin_topic);
    free(r->topic);
    free(r->key);
    free(r->value);
    memset(r, 0, sizeof *r);
}

/* Forget every record; only when none is in flight. */
static void records_clear(forward_kafka *fk)
{
    for (size_t i = 0; i < fk->nrec; i++)
        record_free(&fk->recs[i]);
    fk->nrec = 0;
    if (fk->index)
        memset(fk->index, 0, fk->index_cap * sizeof *fk->index);
}

static int record_add_header(fk_record *r, size_t *cap, const char *name, const void *value,
                             size_t len)
{
    if (r->nhdrs == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        nw_plugin_header *h = realloc(r->hdrs, c * sizeof *h);
        if (!h)
            return -1;
        r->hdrs = h;
        *cap = c;
    }
    char *n = strdup(name);
    char *v = nw_fk_memdup(value ? value : "", value ? len : 0);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    r->hdrs[r->nhdrs++] = (nw_plugin_header){n, v, value ? len : 0};
    return 0;
}

static bool is_own_header(const char *name)
{
    return !strcmp(name, HDR_FORWARDED_BY) || !strcmp(name, HDR_ORIGIN_TOPIC) ||
           !strcmp(name, HDR_ORIGIN_PARTITION) || !strcmp(name, HDR_ORIGIN_OFFSET) ||
           !strcmp(name, HDR_PUB_STATUS);
}

/* Headers of the forwarded record: the story's (input + added by filters),
 * minus any older copies of ours, then ours. */
static int record_headers(const forward_kafka *fk, fk_record *r, const nw_plugin_msg *m,
                          const char *pub_status)
{
    size_t cap = 0;
    for (size_t i = 0; i < m->header_count; i++) {
        const nw_plugin_header *h = &m->headers[i];
        if (h->name && !is_own_header(h->name) &&
            record_add_header(r, &cap, h->name, h->value, h->value_len) < 0)
            return -1;
    }
    char part[16], off[24];
    snprintf(part, sizeof part, "%d", (int)m->partition);
    snprintf(off, sizeof off, "%" PRId64, m->offset);
    if (record_add_header(r, &cap, HDR_FORWARDED_BY, fk->name, strlen(fk->name)) < 0 ||
        record_add_header(r, &cap, HDR_ORIGIN_TOPIC, m->topic, strlen(m->topic)) < 0 ||
        record_add_header(r, &cap, HDR_ORIGIN_PARTITION, part, strlen(part)) < 0 ||
        record_add_header(r, &cap, HDR_ORIGIN_OFFSET, off, strlen(off)) < 0)
        return -1;
    if (pub_status &&
        record_add_header(r, &cap, HDR_PUB_STATUS, pub_status, strlen(pub_status)) < 0)
        return -1;
    return 0;
}

/* --------------------------------------------------------- forward loops */

/* Keep the consumer's subscription: a record going to a topic it reads
 * would come back as input (a loop). Returns 0, or -1 with err. */
static int subscription_keep(forward_kafka *fk, const nw_plugin_config *cfg, char *err,
                             size_t errlen)
{
    size_t n = cfg->subscription_count;
    if (!n)
        return 0;
    fk->subs = calloc(n, sizeof *fk->subs);
    fk->sub_names = calloc(n, sizeof *fk->sub_names);
    if (!fk->subs || !fk->sub_names) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t = cfg->subscription[i];
        if (t[0] != '^') {
            if (!(fk->sub_names[fk->nsub_names] = strdup(t))) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            fk->nsub_names++;
        } else if (regcomp(&fk->subs[fk->nsubs], t, REG_EXTENDED | REG_NOSUB) == 0) {
            fk->nsubs++;
        }
    }
    return 0;
}

/* Does the consumer read `topic`? */
static bool subscribed(const forward_kafka *fk, const char *topic)
{
    for (size_t i = 0; i < fk->nsub_names; i++)
        if (!strcmp(fk->sub_names[i], topic))
            return true;
    for (size_t i = 0; i < fk->nsubs; i++)
        if (regexec(&fk->subs[i], topic, 0, NULL, 0) == 0)
            return true;
    return false;
}

/* Refuse a topic_prefix whose topics the consumer reads: a subscribed name
 * that starts with it, or a pattern that matches it followed by a category. */
static int check_loop(const forward_kafka *fk, char *err, size_t errlen)
{
    size_t pl = strlen(fk->prefix);
    for (size_t i = 0; i < fk->nsub_names; i++)
        if (!strncmp(fk->sub_names[i], fk->prefix, pl)) {
            snprintf(err, errlen,
                     "topic_prefix: '%s' forwards into '%s', a topic this consumer reads (a "
                     "loop); choose another prefix, e.g. enriched.",
                     fk->prefix, fk->sub_names[i]);
            return -1;
        }
    static const char *const probes[] = {"world", "sport", "x"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        char t[NW_TOPIC_NAME_MAX + 1];
        snprintf(t, sizeof t, "%s%s", fk->prefix, probes[i]);
        if (subscribed(fk, t)) {
            snprintf(err, errlen,
                     "topic_prefix: '%s' forwards into topics this consumer's subscription "
                     "matches (e.g. '%s': a loop); choose another prefix, e.g. enriched.",
                     fk->prefix, t);
            return -1;
        }
    }
    return 0;
}

/* Build the forward of story m into *r (not in the batch yet). FATAL for a
 * story that can never be forwarded (not a JSON object, no uri, no valid
 * topic). */
static nw_plugin_status record_build(forward_kafka *fk, const nw_plugin_msg *m, fk_record *r,
                                     char *err, size_t errlen)
{
    const json_t *root = m->doc;
    const char *uri = m->uri && *m->uri ? m->uri : json_string_value(json_object_get(root, "uri"));
    if (!uri || !*uri) {
        snprintf(err, errlen, "story at %s/%d/%" PRId64 " has no uri (neither key nor field)",
                 m->topic, (int)m->partition, m->offset);
        return NW_PLUGIN_FATAL;
    }
    char topic[NW_TOPIC_NAME_MAX + 1];
    nw_err terr = {0};
    const char *route = story_route(m);
    int trc = route ? nw_kafka_topic_name(NULL, route, topic, sizeof topic, &terr)
                    : nw_kafka_topic_name(fk->prefix, m->category, topic, sizeof topic, &terr);
    if (trc < 0) {
        snprintf(err, errlen, "uri %s: no valid topic to forward to (%s '%s'): %s", uri,
                 route ? "route" : "category", route ? route : m->category, terr.msg);
        return NW_PLUGIN_FATAL;
    }
    if (subscribed(fk, topic) || (fk->hold && !strcmp(topic, nw_fk_hold_topic(fk->hold)))) {
        snprintf(err, errlen, "uri %s: not forwarded to %s, a topic this consumer reads (a loop)",
                 uri, topic);
        return NW_PLUGIN_FATAL;
    }
    size_t text_len = 0;
    const char *text = fk->api->text(m->host_ref, &text_len);
    if (!text) {
        snprintf(err, errlen, "out of memory serializing %s", uri);
        return NW_PLUGIN_RETRY;
    }
    memset(r, 0, sizeof *r);
    r->origin_topic = strdup(m->topic);
    r->origin_partition = m->partition;
    r->origin_offset = m->offset;
    r->topic = strdup(topic);
    r->partition = RD_KAFKA_PARTITION_UA;
    r->key = strdup(uri);
    r->value = nw_fk_memdup(text, text_len);
    r->value_len = text_len;
    const char *pub_status = json_string_value(json_object_get(root, "pubStatus"));
    if (!r->origin_topic || !r->topic || !r->key || !r->value ||
        record_headers(fk, r, m, pub_status) < 0) {
        record_free(r);
        snprintf(err, errlen, "out of memory building a record");
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

/* Room for n more records in the batch and its index. 0 or -1. */
static int records_reserve(forward_kafka *fk, size_t n)
{
    while (fk->nrec + n > fk->cap) {
        size_t cap = fk->cap ? fk->cap * 2 : 64;
        fk_record *recs = realloc(fk->recs, cap * sizeof *recs);
        if (!recs)
            return -1;
        fk->recs = recs;
        fk->cap = cap;
    }
    return index_reserve(fk, n);
}

/* Append *r (moved; room reserved) to the batch as recs[*out]. */
static void record_push(forward_kafka *fk, fk_record *r, size_t *out)
{
    fk->recs[fk->nrec] = *r;
    memset(r, 0, sizeof *r);
    *out = fk->nrec++;
    index_put(fk, *out);
}

/* Point r at the hold topic: the hold record of `kind` for s, with the
 * nw-hold-* headers. */
static int record_to_hold(forward_kafka *fk, fk_record *r, const nw_fk_story *s,
                          nw_fk_hold_kind kind)
{
    int32_t hp;
    char *key = nw_fk_hold_locate(fk->hold, s->origin_topic, s->origin_partition, s->uri, &hp);
    char *topic = strdup(nw_fk_hold_topic(fk->hold));
    if (!key || !topic) {
        free(key);
        free(topic);
        return -1;
    }
    char buf[NW_FK_HOLD_NHDRS][32];
    nw_plugin_header h[NW_FK_HOLD_NHDRS];
    size_t nh = nw_fk_hold_headers(s, kind, buf, h);
    size_t cap = r->nhdrs; /* record_add_header grows it when full */
    for (size_t i = 0; i < nh; i++)
        if (record_add_header(r, &cap, h[i].name, h[i].value, h[i].value_len) < 0) {
            free(key);
            free(topic);
            return -1;
        }
    free(r->topic);
    free(r->key);
    r->topic = topic;
    r->key = key;
    r->partition = hp;
    return 0;
}

/* The hold-topic record that goes with a kill (its content-free record) or
 * with a version sent at once for a uri that had a hold entry (a "seen"
 * record), as part 1 of the story. */
static int record_hold_companion(forward_kafka *fk, const nw_plugin_msg *m, const nw_fk_story *s,
                                 bool kill, fk_record *r)
{
    memset(r, 0, sizeof *r);
    r->origin_topic = strdup(m->topic);
    r->origin_partition = m->partition;
    r->origin_offset = m->offset;
    r->part = 1;
    if (!r->origin_topic)
        return -1;
    json_t *k = kill ? nw_story_kill_record(m->doc, s->uri) : json_object();
    r->value = k ? json_dumps(k, JSON_COMPACT) : NULL;
    json_decref(k);
    if (!r->value)
        return -1;
    r->value_len = strlen(r->value);
    return record_to_hold(fk, r, s, kill ? NW_FK_HOLD_KILL : NW_FK_HOLD_SEEN);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(forward_kafka *fk, int outcome)
{
    if (fk->api && fk->api->metric_add)
        fk->api->metric_add(fk->m_outcome[outcome], 1);
}

/* Decide what story m gives (docs/story-state.md: embargoed stories are held
 * until their release, nothing after a kill is forwarded) and add its
 * records to the batch; recs[*out] is part 0. FATAL for a story that can
 * never be forwarded (see record_build; an unreadable embargoedUntil). */
static nw_plugin_status record_add(forward_kafka *fk, const nw_plugin_msg *m, size_t *out,
                                   char *err, size_t errlen)
{
    fk_record f, extra = {0};
    nw_plugin_status st = record_build(fk, m, &f, err, errlen);
    if (st != NW_PLUGIN_OK)
        return st;
    if (records_reserve(fk, 2) < 0)
        goto oom;
    if (!fk->hold) { /* replay mode: the output file is not a live downstream */
        record_push(fk, &f, out);
        count(fk, FK_FORWARDED);
        return NW_PLUGIN_OK;
    }
    nw_err e = {0};
    int64_t until = NW_STORY_NO_TIME;
    int cls = nw_story_classify(m->doc, wall_ms(), &until, &e);
    if (cls < 0) {
        snprintf(err, errlen, "uri %s refused: %s", f.key, e.msg);
        record_free(&f);
        return NW_PLUGIN_FATAL;
    }
    if (nw_fk_hold_ready(fk->hold, m->topic, m->partition, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        record_free(&f);
        return NW_PLUGIN_RETRY;
    }
    nw_fk_story s = {.origin_topic = m->topic,
                     .origin_partition = m->partition,
                     .uri = f.key,
                     .cls = (nw_story_class)cls,
                     .key = nw_story_key_of(m->doc),
                     .until_ms = until,
                     .dest_topic = f.topic,
                     .value = f.value,
                     .value_len = f.value_len,
                     .hdrs = f.hdrs,
                     .nhdrs = f.nhdrs};
    bool replaced = false;
    int action = nw_fk_hold_decide(fk->hold, fk, &s, &replaced);
    if (action == NW_FK_BUSY) {
        snprintf(err, errlen, "uri %s: the release of its held version is in flight", f.key);
        record_free(&f);
        return NW_PLUGIN_RETRY;
    }
    int rc = 0;
    switch (action) {
    case NW_FK_HOLD: rc = record_to_hold(fk, &f, &s, NW_FK_HOLD_EMBARGO); break;
    case NW_FK_FORWARD_SEEN:
    case NW_FK_FORWARD_KILL:
        rc = record_hold_companion(fk, m, &s, action == NW_FK_FORWARD_KILL, &extra);
        break;
    case NW_FK_SKIP_OLDER:
    case NW_FK_SKIP_SAME:
    case NW_FK_SKIP_KILLED:
        f.state = REC_ACKED; /* settled: nothing to send */
        break;
    case NW_FK_FORWARD: break;
    default: rc = -1;
    }
    if (rc < 0) { /* out of memory after the decision: the retried write decides again */
        record_free(&extra);
        goto oom;
    }
    if (replaced)
        count(fk, FK_HELD_REPLACED);
    static const int outcome[] = {
        [NW_FK_FORWARD] = FK_FORWARDED,         [NW_FK_FORWARD_SEEN] = FK_FORWARDED,
        [NW_FK_FORWARD_KILL] = FK_FORWARDED,    [NW_FK_HOLD] = FK_HELD,
        [NW_FK_SKIP_OLDER] = FK_SKIPPED_OLDER,  [NW_FK_SKIP_SAME] = FK_SKIPPED_SAME,
        [NW_FK_SKIP_KILLED] = FK_SKIPPED_KILLED};
    count(fk, outcome[action]);
    record_push(fk, &f, out);
    if (extra.origin_topic) {
        size_t x;
        record_push(fk, &extra, &x);
    }
    return NW_PLUGIN_OK;
oom:
    record_free(&f);
    snprintf(err, errlen, "out of memory building a record");
    return NW_PLUGIN_RETRY;
}

/* ----------------------------------------------------------------- producer */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    forward_kafka *fk = opaque;
    uintptr_t id = (uintptr_t)m->_private;
    if (fk->inflight)
        fk->inflight--;
    if (!id || id > fk->nrec)
        return;
    fk_record *r = &fk->recs[id - 1];
    if (r->state != REC_INFLIGHT)
        return;
    if (!m->err) {
        r->state = REC_ACKED;
        fk->stats.acked++;
        return;
    }
    fk->stats.failed++;
    r->err = m->err;
    char fatal[256] = "";
    if (m->err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(rk, fatal, sizeof fatal))
        fk->fatal = true;
    r->state = is_permanent(m->err) ? REC_PERMANENT : REC_FAILED;
    fk_log(fk, r->state == REC_PERMANENT ? 0 : 1,
           "delivery failed uri=\"%s\" topic=%s error=\"%s\"%s%s", r->key, r->topic,
           rd_kafka_err2str(m->err), fatal[0] ? " fatal=" : "", fatal);
}

static rd_kafka_t *producer_new(forward_kafka *fk, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(fk->conf);
    if (!conf) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, fk);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        snprintf(err, errlen, "kafka: %s", errstr);
        return NULL;
    }
    /* rd_kafka_new() succeeded: conf is owned by rk */
    return rk;
}

/* Purge what is queued or in flight, collect its (failed) reports, destroy. */
static void producer_drop(forward_kafka *fk)
{
    if (!fk->rk)
        return;
    rd_kafka_purge(fk->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(fk->rk, 1000);
    nw_kafka_topics_clear(fk->topics);
    rd_kafka_destroy(fk->rk);
    fk->rk = NULL;
    fk->inflight = 0;
    for (size_t i = 0; i < fk->nrec; i++)
        if (fk->recs[i].state == REC_INFLIGHT)
            fk->recs[i].state = REC_FAILED;
}

/* After a fatal (idempotence) error the producer is unusable: build a new
 * one; every record not acknowledged is produced again. */
static nw_plugin_status producer_ready(forward_kafka *fk, char *err, size_t errlen)
{
    if (fk->rk && !fk->fatal && rd_kafka_fatal_error(fk->rk, NULL, 0) != 0)
        fk->fatal = true;
    if (fk->rk && !fk->fatal)
        return NW_PLUGIN_OK;
    if (fk->fatal)
        fk_log(fk, 1, "producer hit a fatal error; rebuilding it and re-sending %zu records",
               fk->nrec);
    producer_drop(fk);
    fk->fatal = false;
    fk->rk = producer_new(fk, err, errlen);
    if (!fk->rk)
        return NW_PLUGIN_RETRY;
    fk->stats.recreated++;
    return NW_PLUGIN_OK;
}

/* Replay mode: hand the record to the host instead of Kafka. */
static nw_plugin_status emit_record(forward_kafka *fk, fk_record *r, char *err, size_t errlen)
{
    if (fk->api->emit(fk->api->host, r->topic, r->key, r->value, r->value_len, r->hdrs, r->nhdrs) <
        0) {
        snprintf(err, errlen, "replay output not writable (uri %s)", r->key);
        return NW_PLUGIN_RETRY;
    }
    r->state = REC_ACKED;
    fk->stats.emitted++;
    return NW_PLUGIN_OK;
}

/* Produce recs[idx]. A full local queue is polled and retried for
 * queue_full_timeout, then RETRY. FATAL when Kafka can never take it. */
static nw_plugin_status produce_record(forward_kafka *fk, size_t idx, char *err, size_t errlen)
{
    fk_record *r = &fk->recs[idx];
    rd_kafka_headers_t *h = rd_kafka_headers_new(r->nhdrs);
    for (size_t i = 0; i < r->nhdrs; i++)
        rd_kafka_header_add(h, r->hdrs[i].name, -1, r->hdrs[i].value,
                            (ssize_t)r->hdrs[i].value_len);
    /* by handle: a topic first named here gets its metadata at once, never
     * after librdkafka's one-second topic scan */
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_t *rkt = nw_kafka_topics_get(fk->topics, fk->rk, r->topic, &topic_err);
    int64_t deadline = now_ms() + fk->queue_full_timeout_ms;
    for (;;) {
        rd_kafka_resp_err_t e =
            !rkt
                ? topic_err
                : rd_kafka_producev(fk->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(r->partition),
                                    RD_KAFKA_V_KEY(r->key, strlen(r->key)),
                                    RD_KAFKA_V_VALUE(r->value, r->value ? r->value_len : 0),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)(idx + 1)),
                                    RD_KAFKA_V_END);
        if (!e) { /* the headers now belong to the message */
            if (r->sent_once)
                fk->stats.resent++;
            r->sent_once = true;
            r->state = REC_INFLIGHT;
            fk->inflight++;
            fk->stats.produced++;
            return NW_PLUGIN_OK;
        }
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fk->stats.queue_full++;
            if (now_ms() < deadline) {
                rd_kafka_poll(fk->rk, 100); /* serve delivery reports: frees room */
                r = &fk->recs[idx];
                continue;
            }
            snprintf(err, errlen,
                     "local producer queue still full after %" PRId64 " ms "
                     "(Kafka slow or unreachable)",
                     fk->queue_full_timeout_ms);
            rd_kafka_headers_destroy(h);
            return NW_PLUGIN_RETRY;
        }
        rd_kafka_headers_destroy(h); /* not taken on failure */
        r->err = e;
        if (e == RD_KAFKA_RESP_ERR__FATAL)
            fk->fatal = true;
        if (is_permanent(e)) {
            r->state = REC_PERMANENT;
            snprintf(err, errlen, "uri %s to %s refused: %s (%zu bytes)", r->key, r->topic,
                     rd_kafka_err2str(e), r->value_len);
            return NW_PLUGIN_FATAL;
        }
        snprintf(err, errlen, "producing uri %s to %s: %s", r->key, r->topic, rd_kafka_err2str(e));
        return NW_PLUGIN_RETRY;
    }
}

static nw_plugin_status send_record(forward_kafka *fk, size_t idx, char *err, size_t errlen)
{
    if (fk->api && fk->api->emit)
        return emit_record(fk, &fk->recs[idx], err, errlen);
    return produce_record(fk, idx, err, errlen);
}

/* Serve delivery reports until nothing is in flight or the deadline. */
static void wait_reports(forward_kafka *fk, int64_t deadline)
{
    while (fk->rk && fk->inflight && !fk->fatal) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        rd_kafka_flush(fk->rk, (int)(left < 100 ? left : 100));
    }
}

/* ------------------------------------------------------------------ plugin */

static void fk_destroy(void *state);

static int set_kafka(forward_kafka *fk, const char *key, const char *value, char *err,
                     size_t errlen)
{
    nw_err e = {0};
    if (!strcmp(key, "enable.idempotence") && strcmp(value, "true")) {
        snprintf(err, errlen,
                 "kafka.%s: forward-kafka always uses an idempotent producer "
                 "(must be true, got '%s')",
                 key, value);
        return -1;
    }
    if (!strcmp(key, "acks") && strcmp(value, "all") && strcmp(value, "-1")) {
        snprintf(err, errlen,
                 "kafka.%s: forward-kafka needs acks=all (a forward counts as done "
                 "only when every in-sync replica has it), got '%s'",
                 key, value);
        return -1;
    }
    if (nw_kafka_conf_set(fk->conf, key, value, &e) < 0) {
        snprintf(err, errlen, "kafka.%s: %s", key, e.msg);
        return -1;
    }
    return 0;
}

/* The embargo hold on the hold topic (refused when the consumer reads it). */
static int hold_open(forward_kafka *fk, const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const fk_conf *conf = cfg->conf;
    char topic[NW_TOPIC_NAME_MAX + 1];
    nw_err e = {0};
    int rc = conf->hold_topic
                 ? nw_kafka_topic_name(NULL, conf->hold_topic, topic, sizeof topic, &e)
                 : nw_kafka_topic_name("newswire.hold.", fk->name, topic, sizeof topic, &e);
    if (rc < 0) {
        snprintf(err, errlen, "hold_topic: '%s' is not a topic name: %s",
                 conf->hold_topic ? conf->hold_topic : fk->name, e.msg);
        return -1;
    }
    if (subscribed(fk, topic)) {
        snprintf(err, errlen, "hold_topic: '%s' is a topic this consumer reads; choose another",
                 topic);
        return -1;
    }
    if (nw_fk_hold_open(fk->conf, topic, (int)conf->hold_partitions, &fk->hold, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    return 0;
}

static void metrics_init(forward_kafka *fk, const nw_plugin_config *cfg)
{
    const nw_plugin_api *a = cfg->api;
    if (!a || !a->metric || !a->metric_add)
        return;
    for (int i = 0; i < FK_NOUTCOMES; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "outcome=\"%s\"", fk_outcomes[i]);
        fk->m_outcome[i] =
            a->metric(a->host, NW_PLUGIN_COUNTER, "newswire_forward_kafka_versions_total",
                      "story versions the forward sink handled, by outcome", labels, NULL, 0);
    }
    if (!fk->hold)
        return;
    nw_fk_hold_metrics hm = {
        .api = a,
        .waiting = a->metric(a->host, NW_PLUGIN_GAUGE, "newswire_forward_kafka_embargoes_waiting",
                             "embargoed versions held for release now", NULL, NULL, 0),
        .releasing =
            a->metric(a->host, NW_PLUGIN_GAUGE, "newswire_forward_kafka_embargoes_releasing",
                      "held versions being released now (waiting for Kafka)", NULL, NULL, 0),
        .released = a->metric(
            a->host, NW_PLUGIN_COUNTER, "newswire_forward_kafka_embargoes_released_total",
            "held versions released and acknowledged at their destination", NULL, NULL, 0),
        .release_failures = a->metric(a->host, NW_PLUGIN_COUNTER,
                                      "newswire_forward_kafka_embargo_release_failures_total",
                                      "release attempts that failed (retried)", NULL, NULL, 0),
    };
    nw_fk_hold_offer_metrics(fk->hold, fk, &hm);
}

static void *fk_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    forward_kafka *fk = calloc(1, sizeof *fk);
    if (fk && !(fk->topics = nw_kafka_topics_new())) {
        free(fk);
        fk = NULL;
    }
    if (!fk) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const fk_conf *conf = cfg->conf;
    fk->api = cfg->api;
    fk->flush_timeout_ms = conf->flush_timeout_ms;
    fk->queue_full_timeout_ms = conf->queue_full_timeout_ms;
    const char *brokers = conf->brokers, *prefix = conf->topic_prefix;
    bool bootstrap_in_kafka = false;
    nw_err e = {0};
    fk->name = strdup(cfg->instance_name ? cfg->instance_name : "forward-kafka");
    fk->conf = nw_kafka_conf_new(NULL, NULL, &e);
    if (!fk->name || !fk->conf) {
        snprintf(err, errlen, "%s", fk->conf ? "out of memory" : e.msg);
        goto fail;
    }
    for (size_t i = 0; i < conf->kafka.count; i++) {
        const nw_plugin_kv *kv = &conf->kafka.items[i];
        bootstrap_in_kafka |=
            !strcmp(kv->key, "bootstrap.servers") || !strcmp(kv->key, "metadata.broker.list");
        if (set_kafka(fk, kv->key, kv->value, err, errlen) < 0)
            goto fail;
    }
    char probe[NW_TOPIC_NAME_MAX + 1];
    if (nw_kafka_topic_name(prefix, "x", probe, sizeof probe, &e) < 0) {
        snprintf(err, errlen, "topic_prefix: '%s' cannot start a topic name: %s", prefix, e.msg);
        goto fail;
    }
    if (!(fk->prefix = strdup(prefix))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (subscription_keep(fk, cfg, err, errlen) < 0 || check_loop(fk, err, errlen) < 0)
        goto fail;
    if (!brokers && !bootstrap_in_kafka && cfg->brokers && *cfg->brokers)
        brokers = cfg->brokers; /* default: the cluster the consumer reads from */
    if ((brokers && set_kafka(fk, "bootstrap.servers", brokers, err, errlen) < 0) ||
        set_kafka(fk, "enable.idempotence", "true", err, errlen) < 0 ||
        set_kafka(fk, "acks", "all", err, errlen) < 0)
        goto fail;

    if (fk->api && fk->api->emit) {
        fk_log(fk, 2, "replay mode: records go to the replay output, not to Kafka");
        return fk; /* replay mode: never connect anywhere */
    }
    if ((!brokers || !*brokers) && !bootstrap_in_kafka) {
        snprintf(err, errlen,
                 "brokers: required (bootstrap servers of the cluster to forward "
                 "to, e.g. localhost:9092; or set kafka.bootstrap.servers)");
        goto fail;
    }
    if (!(fk->rk = producer_new(fk, err, errlen)) || hold_open(fk, cfg, err, errlen) < 0)
        goto fail;
    metrics_init(fk, cfg);
    return fk;
fail:
    fk_destroy(fk);
    return NULL;
}

static void fk_destroy(void *state)
{
    forward_kafka *fk = state;
    if (!fk)
        return;
    if (fk->inflight)
        fk_log(fk, 1,
               "destroyed with %zu records not acknowledged (they are redelivered "
               "from the uncommitted input)",
               fk->inflight);
    nw_fk_hold_close(fk->hold, fk);
    producer_drop(fk);
    nw_kafka_topics_free(fk->topics);
    records_clear(fk);
    free(fk->recs);
    free(fk->index);
    if (fk->conf)
        rd_kafka_conf_destroy(fk->conf);
    for (size_t i = 0; i < fk->nsubs; i++)
        regfree(&fk->subs[i]);
    for (size_t i = 0; i < fk->nsub_names; i++)
        free(fk->sub_names[i]);
    free(fk->subs);
    free(fk->sub_names);
    free(fk->prefix);
    free(fk->name);
    free(fk);
}

nw_forward_kafka_stats nw_forward_kafka_get_stats(const void *state)
{
    return ((const forward_kafka *)state)->stats;
}

/* Send recs[r] unless it is settled; FATAL when Kafka refused it for good. */
static nw_plugin_status settle_or_send(forward_kafka *fk, size_t r, char *err, size_t errlen)
{
    rec_state rs = fk->recs[r].state;
    if (rs == REC_PERMANENT || rs == REC_DEAD) {
        snprintf(err, errlen, "uri %s to %s refused: %s", fk->recs[r].key, fk->recs[r].topic,
                 rd_kafka_err2str(fk->recs[r].err));
        fk->recs[r].state = REC_DEAD;
        return NW_PLUGIN_FATAL;
    }
    if (rs != REC_UNSENT && rs != REC_FAILED)
        return NW_PLUGIN_OK;
    nw_plugin_status st = send_record(fk, r, err, errlen);
    if (st == NW_PLUGIN_FATAL)
        fk->recs[r].state = REC_DEAD;
    return st;
}

static nw_plugin_status fk_write(void *state, nw_plugin_msg *const *batch, size_t count,
                                 size_t *failed_index, char *err, size_t errlen)
{
    forward_kafka *fk = state;
    bool replay = fk->api && fk->api->emit;
    if (!replay) {
        nw_plugin_status st = producer_ready(fk, err, errlen);
        if (st != NW_PLUGIN_OK)
            return st;
    }
    size_t *ids = malloc((count ? count : 1) * sizeof *ids);
    if (!ids) {
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
    nw_plugin_status st = NW_PLUGIN_OK;
    size_t i;
    for (i = 0; i < count; i++) {
        size_t r;
        if (index_find(fk, batch[i], 0, &r)) {
            fk->stats.skipped +=
                fk->recs[r].state == REC_ACKED || fk->recs[r].state == REC_INFLIGHT;
        } else if ((st = record_add(fk, batch[i], &r, err, errlen)) != NW_PLUGIN_OK) {
            break;
        }
        ids[i] = r;
        size_t parts[2] = {r, SIZE_MAX};
        if (!index_find(fk, batch[i], 1, &parts[1]))
            parts[1] = SIZE_MAX;
        for (int k = 0; k < 2 && st == NW_PLUGIN_OK && parts[k] != SIZE_MAX; k++)
            st = settle_or_send(fk, parts[k], err, errlen);
        if (st != NW_PLUGIN_OK)
            break;
        if (!replay)
            rd_kafka_poll(fk->rk, 0);
    }
    if (st == NW_PLUGIN_OK && !replay) {
        /* Wait for this batch's reports so a story Kafka refuses for good is
         * named by index (dead-lettered alone); transient failures and
         * reports still missing are flush()'s business. */
        wait_reports(fk, now_ms() + fk->flush_timeout_ms);
        for (i = 0; i < count; i++) {
            size_t x = ids[i];
            if (fk->recs[x].state != REC_PERMANENT && !index_find(fk, batch[i], 1, &x))
                continue;
            if (fk->recs[x].state == REC_PERMANENT) {
                fk_record *r = &fk->recs[x];
                snprintf(err, errlen, "uri %s to %s refused by Kafka: %s", r->key, r->topic,
                         rd_kafka_err2str(r->err));
                r->state = REC_DEAD;
                st = NW_PLUGIN_FATAL;
                break;
            }
        }
    }
    if (st == NW_PLUGIN_FATAL)
        *failed_index = i;
    free(ids);
    return st;
}

static nw_plugin_status fk_flush(void *state, char *err, size_t errlen)
{
    forward_kafka *fk = state;
    if (!fk->nrec && !fk->inflight)
        return NW_PLUGIN_OK;
    bool replay = fk->api && fk->api->emit;
    int64_t deadline = now_ms() + fk->flush_timeout_ms;
    size_t pending, permanent;
    const fk_record *first_bad = NULL;
    for (;;) {
        if (!replay) {
            nw_plugin_status st = producer_ready(fk, err, errlen);
            if (st != NW_PLUGIN_OK)
                return st;
        }
        for (size_t i = 0; i < fk->nrec; i++) {
            rec_state rs = fk->recs[i].state;
            if (rs != REC_UNSENT && rs != REC_FAILED)
                continue;
            nw_plugin_status st = send_record(fk, i, err, errlen);
            if (st == NW_PLUGIN_RETRY)
                return st;
            /* FATAL: recs[i] is now REC_PERMANENT, counted below */
        }
        wait_reports(fk, deadline);
        pending = permanent = 0;
        first_bad = NULL;
        for (size_t i = 0; i < fk->nrec; i++) {
            rec_state rs = fk->recs[i].state;
            if (rs == REC_PERMANENT && !permanent++)
                first_bad = &fk->recs[i];
            pending += rs == REC_UNSENT || rs == REC_INFLIGHT || rs == REC_FAILED;
        }
        bool resend = false;
        for (size_t i = 0; i < fk->nrec && !resend; i++)
            resend = fk->recs[i].state == REC_FAILED || fk->recs[i].state == REC_UNSENT;
        if (!resend || fk->fatal || now_ms() + 100 >= deadline)
            break;
        if (fk->rk)
            rd_kafka_poll(fk->rk, 100); /* transient failure: a breath, then re-send */
    }
    if (pending || fk->fatal) {
        const fk_record *r = NULL;
        for (size_t i = 0; i < fk->nrec && !r; i++)
            if (fk->recs[i].state == REC_FAILED)
                r = &fk->recs[i];
        snprintf(err, errlen,
                 "%zu of %zu forwarded stories not acknowledged within %" PRId64 " ms%s%s", pending,
                 fk->nrec, fk->flush_timeout_ms, r ? "; last error: " : "",
                 r ? rd_kafka_err2str(r->err) : "");
        return NW_PLUGIN_RETRY;
    }
    if (permanent) {
        /* Refused by Kafka when re-sent: the host cannot tell which story,
         * so it dead-letters the batch. Nothing is in flight any more. */
        snprintf(err, errlen, "%zu forwarded stories refused by Kafka, first uri %s to %s: %s",
                 permanent, first_bad->key, first_bad->topic, rd_kafka_err2str(first_bad->err));
        records_clear(fk);
        if (fk->hold)
            nw_fk_hold_flushed(fk->hold, fk);
        return NW_PLUGIN_FATAL;
    }
    records_clear(fk);
    if (fk->hold) /* every hold record of the batch is acknowledged: releasable */
        nw_fk_hold_flushed(fk->hold, fk);
    return NW_PLUGIN_OK;
}

static nw_plugin_status fk_assigned(void *state, const char *topic, int32_t partition, char *err,
                                    size_t errlen)
{
    forward_kafka *fk = state;
    nw_err e = {0};
    if (fk->hold && nw_fk_hold_assign(fk->hold, fk, topic, partition, &e) < 0) {
        /* logged by the host; the partition's first story retries the read */
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status fk_revoked(void *state, const char *topic, int32_t partition, char *err,
                                   size_t errlen)
{
    (void)err;
    (void)errlen;
    forward_kafka *fk = state;
    if (fk->hold)
        nw_fk_hold_revoke(fk->hold, fk, topic, partition);
    return NW_PLUGIN_OK;
}

nw_fk_hold_stats nw_forward_kafka_hold_stats(const void *state)
{
    const forward_kafka *fk = state;
    nw_fk_hold_stats none = {0};
    return fk->hold ? nw_fk_hold_get_stats(fk->hold) : none;
}

nw_fk_hold *nw_forward_kafka_hold(const void *state)
{
    return ((const forward_kafka *)state)->hold;
}

const nw_plugin_descriptor nw_plugin_forward_kafka = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "forward-kafka",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(fk_config_map, fk_conf),
    .kind = NW_PLUGIN_SINK,
    .description = "republish stories to enriched.<category> (idempotent producer, acked)",
    .init = fk_init,
    .process = NULL,
    .write = fk_write,
    .flush = fk_flush,
    .destroy = fk_destroy,
    .assigned = fk_assigned,
    .revoked = fk_revoked,
};
