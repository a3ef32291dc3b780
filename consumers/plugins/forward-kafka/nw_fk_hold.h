/*
 * nw_fk_hold — forward-kafka's embargo hold (docs/story-state.md, "Embargo
 * in forwards"): which story versions a forward sends now, holds until
 * their `embargoedUntil`, or skips, and the durable, shared place the held
 * ones live until a thread releases them.
 *
 * The place is a compacted Kafka topic, the *hold topic* (setting
 * hold_topic, default newswire.hold.<instance>): one record per (origin
 * topic, origin partition, uri), key "<topic>/<partition>/<uri>", in hold
 * partition (hash(topic) + partition) mod N. Its value is the forward as it
 * will be released (the story text; headers: the forward's own plus
 * nw-hold-* naming the destination topic, release time and version), a
 * content-free kill record for a uri that was killed (so nothing after the
 * kill is held or forwarded), or, once the held version was released or a
 * newer version forwarded, a "seen" record naming the newest version
 * forwarded (so an older embargoed version replayed later is not held and
 * released after it). The forward sink writes hold records with its own producer as
 * part of the batch, so they are acknowledged before the input offset is
 * committed; this module keeps them in memory for the origin partitions the
 * consumer is assigned (read back from the hold topic when a partition is
 * assigned, dropped when it is revoked: a partition's held stories follow
 * the partition to whichever instance owns it) and releases them.
 *
 * Owns: one shared state per hold topic per process (the `workers: N`
 * instances share it): the table of held entries and kill records, a
 * consumer with no group that reads hold partitions back, a producer and a
 * thread that release due entries (produce the story to its destination,
 * wait for the acknowledgement, then write the "seen" record; at most about a
 * second late). Never: releases an entry before the batch that held it was
 * flushed (acknowledged), or while a kill or newer version for its uri is
 * being decided (one lock), or forgets an entry it has not released; never
 * holds that lock while waiting for Kafka (a release in flight makes a
 * decision that would replace its entry answer NW_FK_BUSY instead).
 *
 * Thread-safe.
 */
#ifndef NW_FK_HOLD_H
#define NW_FK_HOLD_H

#include <librdkafka/rdkafka.h>
#include <newswire/plugin.h>
#include <stdbool.h>
#include <stdint.h>

#include "nw_err.h"
#include "nw_story_state.h"

/* Headers of a hold-topic record (stripped again before a release). */
#define NW_FK_HOLD_HDR_KIND    "nw-hold-kind"    /* "embargo", "kill" or "seen" */
#define NW_FK_HOLD_HDR_TOPIC   "nw-hold-topic"   /* where the release goes */
#define NW_FK_HOLD_HDR_UNTIL   "nw-hold-until"   /* release time, ms since the epoch */
#define NW_FK_HOLD_HDR_VERSION "nw-hold-version" /* the story key: version number, or "" */
#define NW_FK_HOLD_HDR_CREATED "nw-hold-created" /* versionCreated in ms, or "" */
#define NW_FK_HOLD_NHDRS       5

typedef struct nw_fk_hold nw_fk_hold;

/* One version as the forward sink sees it. All borrowed for the call. */
typedef struct nw_fk_story {
    const char *origin_topic;
    int32_t origin_partition;
    const char *uri;
    nw_story_class cls;
    nw_story_key key;
    int64_t until_ms; /* NW_STORY_EMBARGOED: the release time */
    /* the forward as it would be sent now (kept for the release when held) */
    const char *dest_topic;
    const char *value;
    size_t value_len;
    const nw_plugin_header *hdrs;
    size_t nhdrs;
} nw_fk_story;

typedef enum nw_fk_action {
    NW_FK_FORWARD = 0,  /* send it now */
    NW_FK_FORWARD_SEEN, /* send it now and write the "seen" record (the uri has an entry) */
    NW_FK_FORWARD_KILL, /* a kill: send it now and write the kill record to the hold topic */
    NW_FK_HOLD,         /* embargoed: write it to the hold topic instead */
    NW_FK_SKIP_OLDER,   /* embargoed, older than the version held: nothing to send */
    NW_FK_SKIP_SAME,    /* the version held, again (a replay): nothing to send */
    NW_FK_SKIP_KILLED,  /* the uri was killed: nothing after a kill is sent */
    NW_FK_BUSY,         /* it would replace a held version whose release is in flight:
                           nothing recorded; answer RETRY and decide again */
} nw_fk_action;

/* The shared hold state of `topic` (created with cleanup.policy=compact and
 * `partitions` partitions when missing). `conf` is the forward's producer
 * template (duplicated; bootstrap servers and security settings). The first
 * caller in the process creates it; later callers share it. */
int nw_fk_hold_open(const rd_kafka_conf_t *conf, const char *topic, int partitions,
                    nw_fk_hold **out, nw_err *err);
/* Let go of `owner`'s share (its assigned partitions are dropped as by
 * nw_fk_hold_revoke); the last close stops the release thread. */
void nw_fk_hold_close(nw_fk_hold *h, const void *owner);

/* Partition events of one instance (`owner`). The first assignment of an
 * origin partition in the process reads its entries back from the hold
 * topic; the last revoke drops them from memory (they stay in the topic).
 * assign: 0, or NW_EKAFKA / NW_ERETRY with err. */
int nw_fk_hold_assign(nw_fk_hold *h, const void *owner, const char *topic, int32_t partition,
                      nw_err *err);
void nw_fk_hold_revoke(nw_fk_hold *h, const void *owner, const char *topic, int32_t partition);

/* Before deciding a story of (topic, partition): when its assignment could
 * not read the hold partition back, try again. 0, or NW_ERETRY with err
 * (the caller answers RETRY: nothing of that partition is decided without
 * its held entries). */
int nw_fk_hold_ready(nw_fk_hold *h, const char *topic, int32_t partition, nw_err *err);

/* Decide what to do with s and record the decision in memory (a held copy,
 * a kill record, a superseded entry dropped). The caller then writes the
 * matching hold-topic record in the same batch (nw_fk_hold_locate and
 * nw_fk_hold_headers). *replaced: s replaced or canceled a held version.
 * Returns the nw_fk_action, or NW_ENOMEM (negative) when out of memory. */
int nw_fk_hold_decide(nw_fk_hold *h, const void *owner, const nw_fk_story *s, bool *replaced);

/* `owner`'s batch was flushed: every record it wrote is acknowledged, so the
 * entries it held become releasable. */
void nw_fk_hold_flushed(nw_fk_hold *h, const void *owner);

/* Where the hold record of (origin topic, partition, uri) goes: the topic
 * name (borrowed), its partition, and a malloc'd key (NULL: no memory). */
const char *nw_fk_hold_topic(const nw_fk_hold *h);
char *nw_fk_hold_locate(const nw_fk_hold *h, const char *origin_topic, int32_t origin_partition,
                        const char *uri, int32_t *partition);

/* What a hold-topic record is. */
typedef enum nw_fk_hold_kind {
    NW_FK_HOLD_EMBARGO = 1, /* a forward waiting for its release */
    NW_FK_HOLD_KILL = 2,    /* the uri was killed */
    NW_FK_HOLD_SEEN = 3,    /* the newest version forwarded (released, or sent at once) */
} nw_fk_hold_kind;

/* The nw-hold-* headers of a hold record of `kind` for s, written into
 * out[NW_FK_HOLD_NHDRS] with values in buf. Returns the count. */
size_t nw_fk_hold_headers(const nw_fk_story *s, nw_fk_hold_kind kind, char buf[][32],
                          nw_plugin_header *out);

typedef struct nw_fk_hold_stats {
    uint64_t held;             /* embargoed versions held */
    uint64_t released;         /* held versions released (acknowledged at their destination) */
    uint64_t canceled;         /* held versions a kill or a newer version replaced before release */
    uint64_t loaded;           /* entries read back from the hold topic at assignment */
    uint64_t release_failures; /* release attempts that failed (retried) */
    uint64_t waiting;          /* embargoed entries in memory now */
    uint64_t releasing;        /* of those, being released now (awaiting Kafka) */
} nw_fk_hold_stats;

nw_fk_hold_stats nw_fk_hold_get_stats(nw_fk_hold *h);

/* The /metrics series an instance offers for the hold's figures (docs/
 * operations.md, "Embargo releases"). Handles are borrowed from the host
 * and must stay valid until the owner's nw_fk_hold_close; any may be NULL. */
typedef struct nw_fk_hold_metrics {
    const nw_plugin_api *api;
    nw_plugin_metric *waiting;          /* gauge: stats.waiting */
    nw_plugin_metric *releasing;        /* gauge: stats.releasing */
    nw_plugin_metric *released;         /* counter: stats.released */
    nw_plugin_metric *release_failures; /* counter: stats.release_failures */
} nw_fk_hold_metrics;

/* Publish the hold's figures through `owner`'s series, copied from m. The
 * release thread publishes about once a second, idle or not, through the
 * series of the earliest owner still open (the instances of one plugin
 * name share theirs); counters go up by what changed since the last
 * publication, whichever owner published it. */
void nw_fk_hold_offer_metrics(nw_fk_hold *h, const void *owner, const nw_fk_hold_metrics *m);

/* Publish now (tests; the release thread does it after every pass). */
void nw_fk_hold_publish_metrics(nw_fk_hold *h);

/* A NUL-terminated copy of n bytes at s (binary-safe; NULL: no memory). */
char *nw_fk_memdup(const void *s, size_t n);

/* Run one release pass now (tests; the thread does it every second). */
void nw_fk_hold_release_due(nw_fk_hold *h);

#endif
