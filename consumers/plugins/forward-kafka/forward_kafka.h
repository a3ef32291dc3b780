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
 * Replay mode (nw_plugin_api.emit set, `newswire-consumer --from-file`):
 * no producer and no broker; each record goes to emit() instead.
 *
 * Settings: brokers (bootstrap servers; or kafka.bootstrap.servers; required
 * outside replay mode), topic_prefix ("enriched."), flush_timeout (10s),
 * queue_full_timeout (5s), kafka.* (librdkafka producer properties, passed
 * through). Unknown keys are refused.
 */
#ifndef NW_FORWARD_KAFKA_H
#define NW_FORWARD_KAFKA_H

#include <newswire/plugin.h>
#include <stdint.h>

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

#endif
