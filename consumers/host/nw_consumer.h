/*
 * nw_consumer — the consumer service's Kafka loop: reads the consumer config
 * (kafka, group, topics, batch, chain, dlq_topic, topic_prefix), joins the
 * group, batches messages by count and age, runs each batch through the
 * plugin chain and stores + commits offsets only after every sink flushed it
 * (at-least-once; per partition in order). Dead-lettered stories go to the
 * DLQ topic before their offsets are committed. On revoke it finishes the
 * batch and commits synchronously before the partitions go; on stop it
 * drains (finish batch, commit, close). It never calls exit().
 */
#ifndef NW_CONSUMER_H
#define NW_CONSUMER_H

#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"

typedef struct nw_consumer nw_consumer;

typedef struct nw_consumer_opts {
    const char *brokers;       /* overrides kafka.bootstrap.servers; NULL = from config */
    const char *group;         /* overrides `group`; NULL = from config */
    int64_t exit_when_idle_ms; /* >= 0: return once every assigned partition is at its
                                  end and nothing arrived for this long; < 0: never */
} nw_consumer_opts;

/* Validate the config and build the chain and the Kafka consumer (nothing is
 * consumed yet). `cfg` must outlive the consumer. Errors name file, line and
 * key. Caller frees with nw_consumer_free. */
int nw_consumer_new(const nw_config *cfg, const nw_consumer_opts *opts, nw_consumer **out,
                    nw_err *err);

/* Consume until nw_consumer_stop() or the idle condition; then finish the
 * batch, commit synchronously and leave the group. Returns 0 on a clean
 * exit, negative with err when the batch in flight could not be finished
 * (its offsets stay uncommitted) or Kafka failed fatally. */
int nw_consumer_run(nw_consumer *c, nw_err *err);

/* Ask run() to drain and return. Async-signal-safe (sets a flag). */
void nw_consumer_stop(nw_consumer *c);

typedef struct nw_consumer_stats {
    uint64_t messages;     /* consumed (not counting EOF events) */
    uint64_t batches;      /* finished and committed */
    uint64_t dead_letters; /* stories that failed permanently */
    uint64_t dlq_produced; /* of those, delivered to the DLQ topic */
} nw_consumer_stats;
nw_consumer_stats nw_consumer_get_stats(const nw_consumer *c);

/* Flush and destroy the chain, destroy Kafka handles. NULL is accepted. */
void nw_consumer_free(nw_consumer *c);

#endif
