/*
 * forward-kafka — the built-in sink that republishes processed stories to
 * Kafka, by default to `enriched.<category-slug>` (the origin topic's
 * category), or to the topic a filter chose with set_route(). Key = story
 * uri; value = the story JSON as the chain left it (kills and withdrawals
 * included: a canceled story must reach downstream); headers = the input
 * message's headers plus those filters added, then `nw-forwarded-by`
 * (instance name), `nw-origin-topic`, `nw-origin-partition`,
 * `nw-origin-offset` and, when the story has one, `nw-pub-status`.
 *
 * Delivery. One idempotent producer per instance (enable.idempotence=true,
 * acks=all, both enforced). Every record of the current batch is kept until
 * Kafka acknowledged it: write() produces (a full local queue is polled and
 * retried for queue_full_timeout, then NW_PLUGIN_RETRY) and waits up to
 * flush_timeout for the batch's delivery reports, so a story Kafka refuses
 * for good (message too large, topic not authorized, ...) is answered
 * NW_PLUGIN_FATAL with its index and dead-lettered alone. flush() re-sends
 * what failed transiently, waits for every report and returns OK only when
 * all were acknowledged; otherwise NW_PLUGIN_RETRY (the host backs off and
 * calls flush again: nothing is forgotten, nothing acknowledged is re-sent).
 * A write() retried by the host skips stories already sent or in flight
 * (identified by origin topic, partition and offset).
 *
 * Embargo (docs/story-state.md, "Embargo in forwards"; nw_fk_hold.h). A
 * story whose embargoedUntil is in the future is not forwarded: its forward
 * is written to the hold topic (compacted, hold_topic) as part of the batch,
 * so it is durable before the input offset is committed, and a thread sends
 * it to its destination within about a second of its release time. A kill
 * or a newer version before the release replaces it (the kill itself is
 * forwarded at once); nothing after a kill is forwarded. The held stories
 * of an input partition are read back from the hold topic when the
 * partition is assigned (assigned()), so they follow the partition to
 * whichever instance owns it and survive restarts; the partition's other
 * stories are never held back. An unreadable embargoedUntil is refused
 * (dead letter).
 *
 * Replay mode (nw_plugin_api.emit set, `newswire-consumer --from-file`):
 * no producer and no broker; each record goes to emit() instead, embargoed
 * ones included (with their embargoedUntil: the output is a file, not a
 * live downstream).
 *
 * Settings: brokers (bootstrap servers; or kafka.bootstrap.servers; required
 * outside replay mode), topic_prefix ("enriched."), flush_timeout (10s),
 * queue_full_timeout (5s), hold_topic ("newswire.hold.<instance>"),
 * hold_partitions (6, used when the sink creates the hold topic), kafka.*
 * (librdkafka producer properties, passed through). Unknown keys are
 * refused.
 *
 * Metrics: newswire_forward_kafka_versions_total{outcome="forwarded|held|
 * held_replaced|skipped_older|skipped_same|skipped_killed"}.
 */
#ifndef NW_FORWARD_KAFKA_H
#define NW_FORWARD_KAFKA_H

#include <newswire/plugin.h>
#include <stdint.h>

#include "nw_fk_hold.h"

extern const nw_plugin_descriptor nw_plugin_forward_kafka;

/* Counters of one instance, for tests and metrics. */
typedef struct nw_forward_kafka_stats {
    uint64_t produced;   /* produce calls accepted by librdkafka (resends included) */
    uint64_t acked;      /* records acknowledged by Kafka */
    uint64_t failed;     /* delivery reports with an error (transient or permanent) */
    uint64_t resent;     /* records produced again after a transient failure */
    uint64_t skipped;    /* stories of a retried write() already sent */
    uint64_t emitted;    /* records handed to emit() in replay mode */
    uint64_t recreated;  /* producer rebuilt after a fatal idempotence error */
    uint64_t queue_full; /* times the local queue was full */
} nw_forward_kafka_stats;

/* `state` is what nw_plugin_forward_kafka.init returned. */
nw_forward_kafka_stats nw_forward_kafka_get_stats(const void *state);

/* The embargo hold's counters (shared by the process's instances on the
 * same hold topic; zero in replay mode). */
nw_fk_hold_stats nw_forward_kafka_hold_stats(const void *state);
/* The hold itself (tests: nw_fk_hold_release_due), NULL in replay mode. */
nw_fk_hold *nw_forward_kafka_hold(const void *state);

#endif
