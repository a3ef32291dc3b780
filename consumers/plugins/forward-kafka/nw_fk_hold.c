/*
 * nw_fk_hold — forward-kafka's embargo hold: the decision rule, the
 * in-memory table of held entries and kills, reading a hold partition back,
 * the release thread. Design in nw_fk_hold.h and docs/story-state.md.
 */
#include "nw_fk_hold.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_kafka.h"
#include "nw_log.h"

#define MOD "forward-kafka"
/* The release thread looks for due entries at least this often. */
#define RELEASE_POLL_MS 1000
/* How long a release waits for Kafka's acknowledgements. */
#define RELEASE_ACK_MS 10000
/* How long reading a hold partition back may take. */
#define LOAD_TIMEOUT_MS 10000
/* The value of a "seen" record (the headers say which version). */
#define SEEN_VALUE "{}"

typedef nw_fk_hold_kind entry_kind;
#define ENTRY_EMBARGO NW_FK_HOLD_EMBARGO
#define ENTRY_KILL    NW_FK_HOLD_KILL
#define ENTRY_SEEN    NW_FK_HOLD_SEEN

static const char *const kind_names[] = {
    [ENTRY_EMBARGO] = "embargo", [ENTRY_KILL] = "kill", [ENTRY_SEEN] = "seen"};

/* Where a release of an entry is (nw_fk_hold_release_due). While it is in
 * flight, no decision replaces the entry (the story answers RETRY) and no
 * read back overwrites it; a revoke drops an entry still being sent (its
 * seen record is then never written) but waits for one whose seen record
 * is in flight, so that no kill record of the next owner can land before
 * it (docs/story-state.md, "Embargo in forwards"). */
typedef enum release_step {
    RELEASE_NONE = 0,
    RELEASE_SENDING, /* produced to its destination, acknowledgement awaited */
    RELEASE_SEEN,    /* acknowledged there; its seen record is in flight */
} release_step;

/* A held version, a kill or the newest version forwarded of a uri that had
 * one, by hold key "<topic>/<partition>/<uri>". */
typedef struct entry {
    char *key;
    char *origin_topic;
    int32_t origin_partition;
    int32_t hold_partition;
    entry_kind kind;
    nw_story_key skey;
    /* ENTRY_EMBARGO: the forward to release */
    int64_t until_ms;
    char *dest_topic;
    char *value;
    size_t value_len;
    nw_plugin_header *hdrs; /* owned names and values, nw-hold-* excluded */
    size_t nhdrs;
    const void *owner; /* the instance whose unflushed batch wrote it, or NULL: durable */
    uint64_t serial;   /* which entry of its key this is (a release checks it is still held) */
    release_step releasing;
    struct entry *next;
} entry;

/* An origin partition some instance of the process is assigned. */
typedef struct assignment {
    const void *owner;
    char *topic;
    int32_t partition;
    bool loaded; /* its hold partition was read back */
} assignment;

/* One owner's series (nw_fk_hold_offer_metrics). */
typedef struct offered_metrics {
    const void *owner;
    nw_fk_hold_metrics m;
} offered_metrics;

struct nw_fk_hold {
    char *id; /* registry key: bootstrap servers and topic */
    char *topic;
    int partitions;        /* of the hold topic; 0 until topic_ready() saw it */
    int create_partitions; /* when the sink creates it */
    int refs;
    rd_kafka_conf_t *conf; /* template for the reader */
    rd_kafka_t *producer;  /* releases and their "seen" records */
    rd_kafka_topic_t *hold_rkt;
    nw_kafka_topics *topics; /* the producer's destination handles */
    rd_kafka_t *reader;      /* created at the first assignment */

    pthread_mutex_t lock; /* the table and the stats; never held while waiting for Kafka */
    entry **buckets;
    size_t nbuckets, nentries;
    bool pending;                /* some entry has an owner (not yet flushed) */
    uint64_t serials;            /* the last entry serial given */
    pthread_cond_t seen_settled; /* a release pass finished its seen records */
    nw_fk_hold_stats stats;
    offered_metrics *offers; /* owners' series for the stats, oldest first */
    size_t noffers;
    uint64_t published_released, published_failures; /* counters' values sent */

    pthread_mutex_t release_lock; /* one release pass at a time: the producer, pass, acks */
    uint64_t pass;                /* release passes so far; acks: the current one's reports */
    int *acks;
    size_t nacks;

    pthread_mutex_t assign_lock; /* assignments and the reader */
    assignment *assigned;
    size_t nassigned, cap_assigned;
    size_t unloaded; /* assignments whose read back failed (retried) */

    pthread_t releaser;
    pthread_mutex_t stop_lock;
    pthread_cond_t wake;
    bool stop;
    struct nw_fk_hold *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static nw_fk_hold *registry;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

char *nw_fk_memdup(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ------------------------------------------------------------------ table */

static void entry_clear_forward(entry *e)
{
    for (size_t i = 0; i < e->nhdrs; i++) {
        free((char *)e->hdrs[i].name);
        free((void *)e->hdrs[i].value);
    }
    free(e->hdrs);
    free(e->dest_topic);
    free(e->value);
    e->hdrs = NULL;
    e->nhdrs = 0;
    e->dest_topic = e->value = NULL;
    e->value_len = 0;
}

static void entry_free(entry *e)
{
    if (!e)
        return;
    entry_clear_forward(e);
    free(e->key);
    free(e->origin_topic);
    free(e);
}

static entry **slot_of(nw_fk_hold *h, const char *key)
{
    entry **p = &h->buckets[fnv(key, strlen(key)) & (h->nbuckets - 1)];
    while (*p && strcmp((*p)->key, key))
        p = &(*p)->next;
    return p;
}

static int table_grow(nw_fk_hold *h)
{
    if (h->nentries < h->nbuckets)
        return 0;
    size_t n = h->nbuckets ? h->nbuckets * 2 : 256;
    entry **b = calloc(n, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < h->nbuckets; i++)
        for (entry *e = h->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t s = fnv(e->key, strlen(e->key)) & (n - 1);
            e->next = b[s];
            b[s] = e;
        }
    free(h->buckets);
    h->buckets = b;
    h->nbuckets = n;
    return 0;
}

/* Put e in place of whatever has its key (freed). */
static void table_put(nw_fk_hold *h, entry *e)
{
    entry **p = slot_of(h, e->key);
    if (*p) {
        entry *old = *p;
        e->next = old->next;
        h->stats.waiting -= old->kind == ENTRY_EMBARGO;
        entry_free(old);
    } else {
        e->next = NULL;
        h->nentries++;
    }
    e->serial = ++h->serials;
    *p = e;
    h->stats.waiting += e->kind == ENTRY_EMBARGO;
}

static void table_remove(nw_fk_hold *h, entry **p)
{
    entry *e = *p;
    *p = e->next;
    h->nentries--;
    h->stats.waiting -= e->kind == ENTRY_EMBARGO;
    entry_free(e);
}

/* ------------------------------------------------------------------- keys */

static int32_t hold_partition(const nw_fk_hold *h, const char *topic, int32_t partition)
{
    return (int32_t)((fnv(topic, strlen(topic)) + (uint64_t)(uint32_t)partition) %
                     (uint64_t)h->partitions);
}

const char *nw_fk_hold_topic(const nw_fk_hold *h)
{
    return h->topic;
}

char *nw_fk_hold_locate(const nw_fk_hold *h, const char *origin_topic, int32_t origin_partition,
                        const char *uri, int32_t *partition)
{
    size_t n = strlen(origin_topic) + strlen(uri) + 16;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s/%d/%s", origin_topic, (int)origin_partition, uri);
    *partition = hold_partition(h, origin_topic, origin_partition);
    return key;
}

size_t nw_fk_hold_headers(const nw_fk_story *s, nw_fk_hold_kind kind, char buf[][32],
                          nw_plugin_header *out)
{
    size_t n = 0;
    snprintf(buf[n], 32, "%s", kind_names[kind]);
    out[n] = (nw_plugin_header){NW_FK_HOLD_HDR_KIND, buf[n], strlen(buf[n])};
    n++;
    if (kind == NW_FK_HOLD_EMBARGO) {
        snprintf(buf[n], 32, "%" PRId64, s->until_ms);
        out[n] = (nw_plugin_header){NW_FK_HOLD_HDR_UNTIL, buf[n], strlen(buf[n])};
        n++;
        out[n] = (nw_plugin_header){NW_FK_HOLD_HDR_TOPIC, s->dest_topic, strlen(s->dest_topic)};
        n++;
    }
    buf[n][0] = '\0';
    if (s->key.version != NW_STORY_NO_NUMBER)
        snprintf(buf[n], 32, "%" PRId64, s->key.version);
    out[n] = (nw_plugin_header){NW_FK_HOLD_HDR_VERSION, buf[n], strlen(buf[n])};
    n++;
    buf[n][0] = '\0';
    if (s->key.created_ms != NW_STORY_NO_TIME)
        snprintf(buf[n], 32, "%" PRId64, s->key.created_ms);
    out[n] = (nw_plugin_header){NW_FK_HOLD_HDR_CREATED, buf[n], strlen(buf[n])};
    n++;
    return n;
}

static bool is_hold_header(const char *name)
{
    return !strncmp(name, "nw-hold-", 8);
}

/* A new entry for s (the forward copied when kind is ENTRY_EMBARGO). */
static entry *entry_new(const nw_fk_hold *h, const nw_fk_story *s, entry_kind kind)
{
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->kind = kind;
    e->skey = s->key;
    e->origin_partition = s->origin_partition;
    e->key = nw_fk_hold_locate(h, s->origin_topic, s->origin_partition, s->uri, &e->hold_partition);
    e->origin_topic = strdup(s->origin_topic);
    bool ok = e->key && e->origin_topic;
    if (ok && kind == ENTRY_EMBARGO) {
        e->until_ms = s->until_ms;
        e->dest_topic = strdup(s->dest_topic);
        e->value = nw_fk_memdup(s->value, s->value_len);
        e->value_len = s->value_len;
        e->hdrs = calloc(s->nhdrs ? s->nhdrs : 1, sizeof *e->hdrs);
        ok = e->dest_topic && e->value && e->hdrs;
        for (size_t i = 0; ok && i < s->nhdrs; i++) {
            if (is_hold_header(s->hdrs[i].name))
                continue;
            char *n = strdup(s->hdrs[i].name);
            char *v = nw_fk_memdup(s->hdrs[i].value ? s->hdrs[i].value : "", s->hdrs[i].value_len);
            e->hdrs[e->nhdrs++] = (nw_plugin_header){n, v, s->hdrs[i].value_len};
            ok = n && v;
        }
    }
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    return e;
}

/* --------------------------------------------------------------- decision */

int nw_fk_hold_decide(nw_fk_hold *h, const void *owner, const nw_fk_story *s, bool *replaced)
{
    *replaced = false;
    int32_t hp;
    char *key = nw_fk_hold_locate(h, s->origin_topic, s->origin_partition, s->uri, &hp);
    if (!key)
        return NW_ENOMEM;
    pthread_mutex_lock(&h->lock);
    entry **p = slot_of(h, key);
    entry *e = *p;
    int action;
    nw_story_class held = !e                      ? NW_STORY_USABLE
                          : e->kind == ENTRY_KILL ? NW_STORY_CANCELED
                          : e->kind == ENTRY_SEEN ? NW_STORY_USABLE
                                                  : NW_STORY_EMBARGOED;
    entry_kind kind = s->cls == NW_STORY_CANCELED    ? ENTRY_KILL
                      : s->cls == NW_STORY_EMBARGOED ? ENTRY_EMBARGO
                                                     : ENTRY_SEEN;
    if (e && !nw_story_supersedes(true, held, e->skey, s->cls, s->key)) {
        if (e->kind == ENTRY_KILL)
            action = NW_FK_SKIP_KILLED;
        else if (s->cls != NW_STORY_EMBARGOED)
            action = NW_FK_FORWARD; /* an older version without embargo: sent as ever */
        else
            action = nw_story_skip_reason(held, e->skey, s->key) == NW_STORY_SKIP_OLDER
                         ? NW_FK_SKIP_OLDER
                         : NW_FK_SKIP_SAME;
    } else if (!e && kind == ENTRY_SEEN) {
        action = NW_FK_FORWARD; /* nothing held: nothing to remember */
    } else if (e && e->releasing) {
        action = NW_FK_BUSY; /* decided again once the release is settled */
    } else {
        entry *n = table_grow(h) < 0 ? NULL : entry_new(h, s, kind);
        if (!n) {
            action = NW_ENOMEM;
        } else {
            *replaced = e && e->kind == ENTRY_EMBARGO;
            h->stats.canceled += *replaced;
            if (n->kind == ENTRY_EMBARGO) {
                n->owner = owner;
                h->pending = true;
                h->stats.held++;
            }
            table_put(h, n);
            action = kind == ENTRY_KILL   ? NW_FK_FORWARD_KILL
                     : kind == ENTRY_SEEN ? NW_FK_FORWARD_SEEN
                                          : NW_FK_HOLD;
        }
    }
    pthread_mutex_unlock(&h->lock);
    free(key);
    return action;
}

void nw_fk_hold_flushed(nw_fk_hold *h, const void *owner)
{
    pthread_mutex_lock(&h->lock);
    if (h->pending) {
        bool others = false;
        for (size_t i = 0; i < h->nbuckets; i++)
            for (entry *e = h->buckets[i]; e; e = e->next) {
                if (e->owner == owner)
                    e->owner = NULL;
                others |= e->owner != NULL;
            }
        h->pending = others;
    }
    pthread_mutex_unlock(&h->lock);
}

/* Forget what `owner` held and never flushed: its input is consumed again
 * (the offsets were not committed) and decided again. */
static void drop_unflushed(nw_fk_hold *h, const void *owner)
{
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; h->pending && i < h->nbuckets; i++)
        for (entry **p = &h->buckets[i]; *p;) {
            if ((*p)->owner == owner)
                table_remove(h, p);
            else
                p = &(*p)->next;
        }
    pthread_mutex_unlock(&h->lock);
}

/* ---------------------------------------------------------------- release */

/* Delivery reports of the release producer. The opaque of a message is
 * (pass << 24 | slot + 1): a report of the current pass sets its slot in
 * h->acks (1 acknowledged, -1 failed); a late one, of a pass that gave up
 * waiting, is only logged. Reports run on the release thread (inside its
 * flush and poll calls). */
#define SLOT_BITS 24
#define MAX_DUE   ((1u << SLOT_BITS) - 2)

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    nw_fk_hold *h = opaque;
    uint64_t id = (uint64_t)(uintptr_t)m->_private;
    uint64_t slot = id & ((1u << SLOT_BITS) - 1);
    if (h->acks && id >> SLOT_BITS == (h->pass & ((UINT64_C(1) << (64 - SLOT_BITS)) - 1)) &&
        slot >= 1 && slot <= h->nacks)
        h->acks[slot - 1] = m->err ? -1 : 1;
    if (m->err)
        nw_log_warn(MOD, "embargo release not acknowledged topic=%s error=\"%s\"",
                    rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

/* Produce one record of the current pass into slot `slot`; false when
 * librdkafka refused it at once (the slot says -1). */
static bool produce(nw_fk_hold *h, rd_kafka_topic_t *rkt, int32_t partition, const char *key,
                    const char *value, size_t len, const nw_plugin_header *hdrs, size_t nhdrs,
                    size_t slot)
{
    rd_kafka_headers_t *hh = rd_kafka_headers_new(nhdrs ? nhdrs : 1);
    for (size_t i = 0; i < nhdrs; i++)
        rd_kafka_header_add(hh, hdrs[i].name, -1, hdrs[i].value, (ssize_t)hdrs[i].value_len);
    h->acks[slot] = 0;
    uintptr_t id = (uintptr_t)((h->pass << SLOT_BITS) | (slot + 1));
    rd_kafka_resp_err_t e = rd_kafka_producev(
        h->producer, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, value ? len : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hh),
        RD_KAFKA_V_OPAQUE((void *)id), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(hh);
        h->acks[slot] = -1;
        nw_log_warn(MOD, "embargo release: producing to %s failed error=\"%s\"",
                    rd_kafka_topic_name(rkt), rd_kafka_err2str(e));
        return false;
    }
    return true;
}

/* The uri part of a hold key "<topic>/<partition>/<uri>". */
static const char *key_uri(const char *key)
{
    const char *s = strchr(key, '/');
    s = s ? strchr(s + 1, '/') : NULL;
    return s ? s + 1 : key;
}

/* Wait for the reports of the slots [0, n) of this pass. */
static void wait_acks(nw_fk_hold *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (h->acks[i] == 0) {
            rd_kafka_flush(h->producer, RELEASE_ACK_MS);
            return;
        }
}

/* The table's entry that `copy` was taken from, or NULL when it was dropped
 * (revoked) or replaced since. Under the lock. */
static entry *still_held(nw_fk_hold *h, const entry *copy)
{
    entry *e = *slot_of(h, copy->key);
    return e && e->serial == copy->serial ? e : NULL;
}

/* Private copies of the due, flushed entries (at most MAX_DUE), each marked
 * RELEASE_SENDING in the table; *out is malloc'd. Under the lock. */
static size_t collect_due(nw_fk_hold *h, entry ***out)
{
    int64_t now = wall_ms();
    size_t n = 0, cap = 0;
    entry **due = NULL;
    for (size_t i = 0; i < h->nbuckets; i++)
        for (entry *e = h->buckets[i]; e && n < MAX_DUE; e = e->next) {
            if (e->kind != ENTRY_EMBARGO || e->owner || e->releasing || e->until_ms > now)
                continue;
            if (n == cap) {
                entry **d = realloc(due, (cap = cap ? cap * 2 : 16) * sizeof *d);
                if (!d)
                    goto out;
                due = d;
            }
            nw_fk_story s = {.origin_topic = e->origin_topic,
                             .origin_partition = e->origin_partition,
                             .uri = key_uri(e->key),
                             .key = e->skey,
                             .until_ms = e->until_ms,
                             .dest_topic = e->dest_topic,
                             .value = e->value,
                             .value_len = e->value_len,
                             .hdrs = e->hdrs,
                             .nhdrs = e->nhdrs};
            entry *c = entry_new(h, &s, ENTRY_EMBARGO);
            if (!c)
                goto out;
            c->serial = e->serial;
            e->releasing = RELEASE_SENDING;
            h->stats.releasing++;
            due[n++] = c;
        }
out:
    *out = due;
    return n;
}

/* Releases without holding the table's lock while Kafka acknowledges (a
 * slow or unreachable Kafka must not stall the forward sinks deciding
 * other stories): the due entries are copied and marked in flight, and
 * whatever replaced or dropped one meanwhile wins over its release. */
void nw_fk_hold_release_due(nw_fk_hold *h)
{
    pthread_mutex_lock(&h->release_lock);
    entry **due = NULL;
    pthread_mutex_lock(&h->lock);
    size_t n = collect_due(h, &due);
    pthread_mutex_unlock(&h->lock);
    int *acks = n ? calloc(n, sizeof *acks) : NULL;
    bool *sent = n ? calloc(n, sizeof *sent) : NULL;
    if (acks && sent) {
        h->pass++;
        h->acks = acks;
        h->nacks = n;
        /* 1. every one to its destination */
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t te = RD_KAFKA_RESP_ERR_NO_ERROR;
            rd_kafka_topic_t *rkt =
                nw_kafka_topics_get(h->topics, h->producer, due[i]->dest_topic, &te);
            if (!rkt)
                acks[i] = -1;
            else
                produce(h, rkt, RD_KAFKA_PARTITION_UA, key_uri(due[i]->key), due[i]->value,
                        due[i]->value_len, due[i]->hdrs, due[i]->nhdrs, i);
        }
        wait_acks(h, n);
        /* 2. a "seen" record in place of every one acknowledged there and
         * still held (a new pass: a late report of step 1 must not count
         * for step 2) */
        h->pass++;
        pthread_mutex_lock(&h->lock);
        for (size_t i = 0; i < n; i++) {
            entry *e = still_held(h, due[i]);
            sent[i] = acks[i] == 1 && e;
            acks[i] = -1;
            h->stats.release_failures += !sent[i] && e;
            if (sent[i])
                e->releasing = RELEASE_SEEN;
        }
        pthread_mutex_unlock(&h->lock);
        for (size_t i = 0; i < n; i++) {
            if (!sent[i])
                continue;
            char buf[NW_FK_HOLD_NHDRS][32];
            nw_plugin_header hh[NW_FK_HOLD_NHDRS];
            nw_fk_story seen = {.key = due[i]->skey};
            size_t nh = nw_fk_hold_headers(&seen, NW_FK_HOLD_SEEN, buf, hh);
            produce(h, h->hold_rkt, due[i]->hold_partition, due[i]->key, SEEN_VALUE,
                    strlen(SEEN_VALUE), hh, nh, i);
        }
        wait_acks(h, n);
    }
    /* 3. what is released and recorded is "seen" now; the rest is released
     * again next time (at least once) */
    size_t released = 0;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < n; i++) {
        entry *e = still_held(h, due[i]);
        if (e && sent && sent[i] && acks[i] == 1) {
            released++;
            entry_clear_forward(e);
            e->kind = ENTRY_SEEN;
            h->stats.waiting--;
        }
        if (e)
            e->releasing = RELEASE_NONE;
        entry_free(due[i]);
    }
    h->stats.released += released;
    h->stats.releasing -= n;
    pthread_cond_broadcast(&h->seen_settled);
    pthread_mutex_unlock(&h->lock);
    h->acks = NULL;
    h->nacks = 0;
    free(sent);
    free(acks);
    free(due);
    pthread_mutex_unlock(&h->release_lock);
    if (released)
        nw_log_info(MOD, "embargoes released count=%zu hold_topic=%s", released, h->topic);
}

static int load_missing(nw_fk_hold *h, const char *topic, int32_t partition, nw_err *err);
static int topic_ready(nw_fk_hold *h, nw_err *err);

static void *release_loop(void *arg)
{
    nw_fk_hold *h = arg;
    pthread_mutex_lock(&h->stop_lock);
    while (!h->stop) {
        pthread_mutex_unlock(&h->stop_lock);
        pthread_mutex_lock(&h->assign_lock);
        nw_err err = {0};
        if (h->unloaded && (topic_ready(h, &err) < 0 || load_missing(h, NULL, 0, &err) < 0))
            nw_log_warn(MOD, "reading the hold topic back failed (retried) error=\"%s\"", err.msg);
        pthread_mutex_unlock(&h->assign_lock);
        nw_fk_hold_release_due(h);
        nw_fk_hold_publish_metrics(h);
        pthread_mutex_lock(&h->release_lock); /* late reports read the pass */
        rd_kafka_poll(h->producer, 0);
        pthread_mutex_unlock(&h->release_lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += RELEASE_POLL_MS / 1000;
        pthread_mutex_lock(&h->stop_lock);
        if (!h->stop)
            pthread_cond_timedwait(&h->wake, &h->stop_lock, &until);
    }
    pthread_mutex_unlock(&h->stop_lock);
    return NULL;
}

/* ------------------------------------------------------------- read back */

static const char *header(const rd_kafka_message_t *m, const char *name, char *buf, size_t len)
{
    rd_kafka_headers_t *hh = NULL;
    const void *v;
    size_t vl;
    if (rd_kafka_message_headers(m, &hh) || rd_kafka_header_get_last(hh, name, &v, &vl))
        return NULL;
    snprintf(buf, len, "%.*s", (int)vl, v ? (const char *)v : "");
    return buf;
}

static int64_t header_num(const rd_kafka_message_t *m, const char *name, int64_t none)
{
    char b[32];
    const char *s = header(m, name, b, sizeof b);
    return s && *s ? strtoll(s, NULL, 10) : none;
}

/* Apply one hold record read back, when its key is of (topic, partition)
 * and nothing newer is in memory. */
static void apply_loaded(nw_fk_hold *h, const rd_kafka_message_t *m, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (!m->key || m->key_len <= pl || memcmp(m->key, prefix, pl))
        return;
    char *key = nw_fk_memdup(m->key, m->key_len);
    if (!key)
        return;
    entry **p = slot_of(h, key);
    if (*p && (*p)->releasing) { /* its release decides; a read back is not newer */
        free(key);
        return;
    }
    if (!m->payload) { /* a tombstone: released or superseded */
        if (*p && !(*p)->owner)
            table_remove(h, p);
        free(key);
        return;
    }
    char kind[16] = "", dest[NW_TOPIC_NAME_MAX + 1] = "";
    header(m, NW_FK_HOLD_HDR_KIND, kind, sizeof kind);
    header(m, NW_FK_HOLD_HDR_TOPIC, dest, sizeof dest);
    entry_kind k = !strcmp(kind, "kill")      ? ENTRY_KILL
                   : !strcmp(kind, "seen")    ? ENTRY_SEEN
                   : !strcmp(kind, "embargo") ? ENTRY_EMBARGO
                                              : 0;
    if (!k || (k == ENTRY_EMBARGO && !*dest) || (*p && (*p)->owner) || table_grow(h) < 0) {
        free(key);
        return;
    }
    nw_fk_story s = {.origin_partition = 0,
                     .uri = key_uri(key),
                     .key = {header_num(m, NW_FK_HOLD_HDR_VERSION, NW_STORY_NO_NUMBER),
                             header_num(m, NW_FK_HOLD_HDR_CREATED, NW_STORY_NO_TIME)},
                     .until_ms = header_num(m, NW_FK_HOLD_HDR_UNTIL, 0),
                     .dest_topic = dest,
                     .value = m->payload,
                     .value_len = m->len};
    /* origin topic and partition from the prefix "<topic>/<partition>/" */
    char *origin = nw_fk_memdup(prefix, pl - 1);
    char *slash = origin ? strrchr(origin, '/') : NULL;
    if (slash) {
        *slash = '\0';
        s.origin_topic = origin;
        s.origin_partition = (int32_t)strtol(slash + 1, NULL, 10);
    }
    size_t nh = 0;
    rd_kafka_headers_t *hh = NULL;
    if (!rd_kafka_message_headers(m, &hh))
        nh = rd_kafka_header_cnt(hh);
    nw_plugin_header *hdrs = calloc(nh ? nh : 1, sizeof *hdrs);
    for (size_t i = 0; hdrs && i < nh; i++) {
        const char *name;
        const void *v;
        size_t vl;
        if (!rd_kafka_header_get_all(hh, i, &name, &v, &vl))
            hdrs[s.nhdrs++] = (nw_plugin_header){name, v, vl};
    }
    s.hdrs = hdrs;
    entry *e = slash && hdrs ? entry_new(h, &s, k) : NULL;
    if (e) {
        table_put(h, e);
        h->stats.loaded++;
    }
    free(hdrs);
    free(origin);
    free(key);
}

static int reader_ready(nw_fk_hold *h, nw_err *err)
{
    if (h->reader)
        return 0;
    rd_kafka_conf_t *c = rd_kafka_conf_dup(h->conf);
    char es[512];
    const char *kv[][2] = {{"group.id", "newswire-hold-reader"},
                           {"enable.auto.commit", "false"},
                           {"enable.partition.eof", "true"},
                           {"fetch.wait.max.ms", "20"}};
    for (size_t i = 0; c && i < sizeof kv / sizeof *kv; i++)
        if (rd_kafka_conf_set(c, kv[i][0], kv[i][1], es, sizeof es) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(c);
            return nw_err_set(err, NW_EKAFKA, "hold reader: %s", es);
        }
    /* producer-only properties of the template are ignored by a consumer:
     * keep librdkafka from logging about each */
    rd_kafka_conf_set(c, "log_level", "3", es, sizeof es);
    if (!c || !(h->reader = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es))) {
        if (c)
            rd_kafka_conf_destroy(c);
        return nw_err_set(err, NW_EKAFKA, "hold reader: %s", c ? es : "out of memory");
    }
    return 0;
}

/* Read hold partition of (topic, partition) from its start to its end and
 * take its entries into the table. */
static int load(nw_fk_hold *h, const char *topic, int32_t partition, nw_err *err)
{
    if (reader_ready(h, err) < 0)
        return NW_EKAFKA;
    int32_t hp = hold_partition(h, topic, partition);
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(h->reader, h->topic, hp, &lo, &hi, LOAD_TIMEOUT_MS);
    if (e)
        return nw_err_set(err, NW_ERETRY, "hold topic %s [%d]: %s", h->topic, (int)hp,
                          rd_kafka_err2str(e));
    if (hi <= lo)
        return 0;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, h->topic, hp)->offset = lo;
    e = rd_kafka_assign(h->reader, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e)
        return nw_err_set(err, NW_EKAFKA, "hold topic %s [%d]: %s", h->topic, (int)hp,
                          rd_kafka_err2str(e));
    char prefix[NW_TOPIC_NAME_MAX + 32];
    snprintf(prefix, sizeof prefix, "%s/%d/", topic, (int)partition);
    int64_t deadline = wall_ms() + LOAD_TIMEOUT_MS, last = lo - 1;
    int rc = 0;
    while (last < hi - 1) {
        if (wall_ms() > deadline) {
            rc = nw_err_set(err, NW_ERETRY,
                            "hold topic %s [%d]: read to %" PRId64 " of %" PRId64 " in %d ms",
                            h->topic, (int)hp, last + 1, hi, LOAD_TIMEOUT_MS);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(h->reader, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (!m->err) {
            last = m->offset;
            pthread_mutex_lock(&h->lock);
            apply_loaded(h, m, prefix);
            pthread_mutex_unlock(&h->lock);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(h->reader, NULL);
    return rc;
}

/* ------------------------------------------------------------ assignments */

static size_t holders(const nw_fk_hold *h, const char *topic, int32_t partition)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nassigned; i++)
        n += h->assigned[i].partition == partition && !strcmp(h->assigned[i].topic, topic);
    return n;
}

int nw_fk_hold_assign(nw_fk_hold *h, const void *owner, const char *topic, int32_t partition,
                      nw_err *err)
{
    pthread_mutex_lock(&h->assign_lock);
    int rc = 0;
    for (size_t i = 0; i < h->nassigned; i++)
        if (h->assigned[i].owner == owner && h->assigned[i].partition == partition &&
            !strcmp(h->assigned[i].topic, topic))
            goto out; /* already */
    bool loaded = true;
    for (size_t i = 0; i < h->nassigned; i++)
        if (h->assigned[i].partition == partition && !strcmp(h->assigned[i].topic, topic))
            loaded = h->assigned[i].loaded;
    if (!holders(h, topic, partition))
        loaded = (rc = topic_ready(h, err)) == 0 && (rc = load(h, topic, partition, err)) == 0;
    if (h->nassigned == h->cap_assigned) {
        size_t cap = h->cap_assigned ? h->cap_assigned * 2 : 16;
        assignment *a = realloc(h->assigned, cap * sizeof *a);
        if (!a) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            goto out;
        }
        h->assigned = a;
        h->cap_assigned = cap;
    }
    char *t = strdup(topic);
    if (!t) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    h->assigned[h->nassigned++] = (assignment){owner, t, partition, loaded};
    h->unloaded += !loaded;
out:
    pthread_mutex_unlock(&h->assign_lock);
    return rc;
}

static bool of_partition(const entry *e, const char *topic, int32_t partition)
{
    return e->origin_partition == partition && !strcmp(e->origin_topic, topic);
}

/* Some entry of (topic, partition) has its seen record in flight. */
static bool seen_in_flight(const nw_fk_hold *h, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < h->nbuckets; i++)
        for (const entry *e = h->buckets[i]; e; e = e->next)
            if (e->releasing == RELEASE_SEEN && of_partition(e, topic, partition))
                return true;
    return false;
}

/* Forget the entries of (topic, partition): another instance owns them now.
 * An entry whose seen record is in flight is waited for (the next owner
 * must not read the hold partition before it); one still being sent is
 * dropped, and the next owner releases it again (a duplicate, never a
 * loss). */
static void drop_partition(nw_fk_hold *h, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&h->lock);
    while (seen_in_flight(h, topic, partition))
        pthread_cond_wait(&h->seen_settled, &h->lock);
    for (size_t i = 0; i < h->nbuckets; i++)
        for (entry **p = &h->buckets[i]; *p;) {
            if (of_partition(*p, topic, partition))
                table_remove(h, p);
            else
                p = &(*p)->next;
        }
    pthread_mutex_unlock(&h->lock);
}

static void unassign_at(nw_fk_hold *h, size_t i)
{
    char *t = h->assigned[i].topic;
    int32_t p = h->assigned[i].partition;
    h->unloaded -= !h->assigned[i].loaded;
    h->assigned[i] = h->assigned[--h->nassigned];
    if (!holders(h, t, p))
        drop_partition(h, t, p);
    free(t);
}

/* The hold topic exists (created when missing) and its partition count is
 * known. Under assign_lock. 0, or NW_ERETRY with err (Kafka unreachable). */
static int topic_ready(nw_fk_hold *h, nw_err *err)
{
    if (h->partitions > 0)
        return 0;
    nw_err e = {0};
    int np = nw_kafka_topic_partitions(h->producer, h->topic, 10000, &e);
    if (np == 0 &&
        nw_kafka_create_compacted_topic(h->producer, h->topic, h->create_partitions, &e) == 0)
        for (int i = 0; i < 50 && np <= 0; i++) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
            np = nw_kafka_topic_partitions(h->producer, h->topic, 10000, &e);
        }
    if (np <= 0)
        return nw_err_set(err, NW_ERETRY, "hold topic %s not available: %s", h->topic,
                          e.msg[0] ? e.msg : "no partitions");
    h->partitions = np;
    return 0;
}

/* Read back every assigned partition whose read failed, or only (topic,
 * partition) when topic is not NULL. Under assign_lock. */
static int load_missing(nw_fk_hold *h, const char *topic, int32_t partition, nw_err *err)
{
    int rc = 0;
    for (size_t i = 0; h->unloaded && i < h->nassigned; i++) {
        assignment *a = &h->assigned[i];
        if (a->loaded || (topic && (a->partition != partition || strcmp(a->topic, topic))))
            continue;
        int r = load(h, a->topic, a->partition, err);
        if (r < 0) {
            rc = r;
            continue;
        }
        for (size_t k = 0; k < h->nassigned; k++) /* every instance's share of it */
            if (!h->assigned[k].loaded && h->assigned[k].partition == a->partition &&
                !strcmp(h->assigned[k].topic, a->topic)) {
                h->assigned[k].loaded = true;
                h->unloaded--;
            }
    }
    return rc;
}

int nw_fk_hold_ready(nw_fk_hold *h, const char *topic, int32_t partition, nw_err *err)
{
    pthread_mutex_lock(&h->assign_lock);
    int rc = topic_ready(h, err);
    if (rc == 0)
        rc = load_missing(h, topic, partition, err);
    pthread_mutex_unlock(&h->assign_lock);
    return rc < 0 ? NW_ERETRY : 0;
}

void nw_fk_hold_revoke(nw_fk_hold *h, const void *owner, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&h->assign_lock);
    for (size_t i = 0; i < h->nassigned; i++)
        if (h->assigned[i].owner == owner && h->assigned[i].partition == partition &&
            !strcmp(h->assigned[i].topic, topic)) {
            unassign_at(h, i);
            break;
        }
    pthread_mutex_unlock(&h->assign_lock);
}

/* -------------------------------------------------------------- lifecycle */

static void hold_free(nw_fk_hold *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nbuckets; i++)
        for (entry *e = h->buckets[i], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    free(h->buckets);
    free(h->offers);
    for (size_t i = 0; i < h->nassigned; i++)
        free(h->assigned[i].topic);
    free(h->assigned);
    if (h->reader) {
        rd_kafka_consumer_close(h->reader);
        rd_kafka_destroy(h->reader);
    }
    if (h->hold_rkt)
        rd_kafka_topic_destroy(h->hold_rkt);
    nw_kafka_topics_clear(h->topics);
    nw_kafka_topics_free(h->topics);
    if (h->producer) {
        rd_kafka_flush(h->producer, RELEASE_ACK_MS);
        rd_kafka_destroy(h->producer);
    }
    if (h->conf)
        rd_kafka_conf_destroy(h->conf);
    free(h->topic);
    free(h->id);
    free(h);
}

static nw_fk_hold *hold_new(const rd_kafka_conf_t *conf, const char *id, const char *topic,
                            int partitions, nw_err *err)
{
    nw_fk_hold *h = calloc(1, sizeof *h);
    if (!h || !(h->id = strdup(id)) || !(h->topic = strdup(topic)) ||
        !(h->topics = nw_kafka_topics_new()) || !(h->conf = rd_kafka_conf_dup(conf))) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        hold_free(h);
        return NULL;
    }
    rd_kafka_conf_t *pc = rd_kafka_conf_dup(conf);
    char es[512];
    if (pc) {
        rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
        rd_kafka_conf_set_opaque(pc, h);
    }
    if (!pc || !(h->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof es))) {
        if (pc)
            rd_kafka_conf_destroy(pc);
        nw_err_set(err, NW_EKAFKA, "hold_topic: release producer: %s", pc ? es : "out of memory");
        hold_free(h);
        return NULL;
    }
    h->create_partitions = partitions;
    if (table_grow(h) < 0) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        hold_free(h);
        return NULL;
    }
    h->hold_rkt = rd_kafka_topic_new(h->producer, topic, NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->seen_settled, NULL);
    pthread_mutex_init(&h->release_lock, NULL);
    pthread_mutex_init(&h->assign_lock, NULL);
    pthread_mutex_init(&h->stop_lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    if (!h->hold_rkt || pthread_create(&h->releaser, NULL, release_loop, h) != 0) {
        nw_err_set(err, NW_ERETRY, "hold_topic: cannot start the release thread");
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->stop_lock);
        pthread_mutex_destroy(&h->assign_lock);
        pthread_mutex_destroy(&h->release_lock);
        pthread_cond_destroy(&h->seen_settled);
        pthread_mutex_destroy(&h->lock);
        hold_free(h);
        return NULL;
    }
    return h;
}

int nw_fk_hold_open(const rd_kafka_conf_t *conf, const char *topic, int partitions,
                    nw_fk_hold **out, nw_err *err)
{
    char bs[1024] = "";
    size_t bl = sizeof bs;
    rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bl);
    size_t n = strlen(bs) + strlen(topic) + 2;
    char *id = malloc(n);
    if (!id)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    snprintf(id, n, "%s|%s", bs, topic);
    pthread_mutex_lock(&registry_lock);
    nw_fk_hold *h = registry;
    while (h && strcmp(h->id, id))
        h = h->next;
    if (!h && (h = hold_new(conf, id, topic, partitions, err))) {
        h->next = registry;
        registry = h;
    }
    if (h)
        h->refs++;
    pthread_mutex_unlock(&registry_lock);
    free(id);
    *out = h;
    return h ? 0 : (err && err->code ? err->code : NW_EKAFKA);
}

void nw_fk_hold_close(nw_fk_hold *h, const void *owner)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->assign_lock);
    for (size_t i = 0; i < h->nassigned;)
        if (h->assigned[i].owner == owner)
            unassign_at(h, i);
        else
            i++;
    pthread_mutex_unlock(&h->assign_lock);
    drop_unflushed(h, owner);
    nw_fk_hold_offer_metrics(h, owner, NULL);
    pthread_mutex_lock(&registry_lock);
    bool last = --h->refs == 0;
    if (last)
        for (nw_fk_hold **p = &registry; *p; p = &(*p)->next)
            if (*p == h) {
                *p = h->next;
                break;
            }
    pthread_mutex_unlock(&registry_lock);
    if (!last)
        return;
    pthread_mutex_lock(&h->stop_lock);
    h->stop = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->stop_lock);
    pthread_join(h->releaser, NULL);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->stop_lock);
    pthread_mutex_destroy(&h->assign_lock);
    pthread_mutex_destroy(&h->release_lock);
    pthread_cond_destroy(&h->seen_settled);
    pthread_mutex_destroy(&h->lock);
    hold_free(h);
}

nw_fk_hold_stats nw_fk_hold_get_stats(nw_fk_hold *h)
{
    pthread_mutex_lock(&h->lock);
    nw_fk_hold_stats s = h->stats;
    pthread_mutex_unlock(&h->lock);
    return s;
}

void nw_fk_hold_offer_metrics(nw_fk_hold *h, const void *owner, const nw_fk_hold_metrics *m)
{
    pthread_mutex_lock(&h->lock);
    size_t i = 0;
    while (i < h->noffers && h->offers[i].owner != owner)
        i++;
    if (!m || !m->api) { /* withdrawn: the next owner's series take over */
        if (i < h->noffers)
            memmove(&h->offers[i], &h->offers[i + 1], (h->noffers - i - 1) * sizeof *h->offers);
        h->noffers -= i < h->noffers;
    } else if (i < h->noffers) {
        h->offers[i].m = *m;
    } else {
        offered_metrics *grown = realloc(h->offers, (h->noffers + 1) * sizeof *grown);
        if (grown) { /* without memory this owner's series stay unused */
            h->offers = grown;
            h->offers[h->noffers++] = (offered_metrics){owner, *m};
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* Under h->lock, so that an owner's close (which withdraws its series under
 * the same lock) cannot free the handles while they are used. */
void nw_fk_hold_publish_metrics(nw_fk_hold *h)
{
    pthread_mutex_lock(&h->lock);
    if (h->noffers) {
        const nw_fk_hold_metrics *m = &h->offers[0].m;
        const nw_fk_hold_stats *st = &h->stats;
        if (m->api->metric_set) {
            m->api->metric_set(m->waiting, (double)st->waiting);
            m->api->metric_set(m->releasing, (double)st->releasing);
        }
        if (m->api->metric_add) {
            m->api->metric_add(m->released, (double)(st->released - h->published_released));
            m->api->metric_add(m->release_failures,
                               (double)(st->release_failures - h->published_failures));
        }
        h->published_released = st->released;
        h->published_failures = st->release_failures;
    }
    pthread_mutex_unlock(&h->lock);
}
