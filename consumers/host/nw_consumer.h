/*
 * nw_consumer — the consumer service's Kafka loop. Takes the consumer's
 * settings as nw_consumer_conf checked them (kafka, group, topics, batch,
 * chain, workers, max_buffered_bytes, retry, http, dlq_topic, topic_prefix),
 * joins the group and queues what it polls
 * per partition. A pool of `workers` threads, each owning one instance of the
 * whole plugin chain, takes batches from those queues (a partition belongs to
 * at most one batch at a time, so its stories stay in order) and runs them;
 * offsets are stored + committed per partition only after every sink flushed
 * the batch and its dead letters were acknowledged by the DLQ topic
 * (at-least-once). While a batch is retrying its partitions are paused (the
 * main thread keeps polling, so the member stays in the group); when the
 * buffered bytes reach max_buffered_bytes every partition is paused. On
 * revoke it finishes (or, if stuck retrying past revoke_timeout, abandons)
 * the batches of those partitions and commits before they go; SIGHUP rebuilds
 * the chains between batches; /metrics, /healthz and /readyz are served on
 * http.listen. A story the DLQ topic cannot take (too large) is dead-lettered
 * as a reference to its topic/partition/offset instead of being retried; a
 * partition whose batch keeps retrying longer than revoke_timeout, or that
 * is never fetched although stories wait on it, is reported stalled
 * (metric, /readyz 503). Lag per partition (stories and seconds) is
 * the consumer's own, and stories that expired from the broker before they
 * were consumed are counted (docs/operations.md). It never calls exit().
 */
#ifndef NW_CONSUMER_H
#define NW_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"

typedef struct nw_consumer nw_consumer;

typedef struct nw_consumer_opts {
    const char *brokers;       /* overrides kafka.bootstrap.servers; NULL = from config */
    const char *group;         /* overrides `group`; NULL = from config */
    int64_t exit_when_idle_ms; /* >= 0: return once every assigned partition is at its
                                  end and nothing arrived for this long; < 0: never */
    int64_t from_time_ms;      /* > 0: a partition the group has no committed offset
                                  for starts at the first message at or after this
                                  time (ms since the epoch); <= 0: auto.offset.reset */
    bool check_only;           /* --check-config: validate everything the service would
                                  (config, chain, Kafka client), start nothing (no
                                  endpoint, no worker); the result is only freed */
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

/* Ask run() to reload the chain settings from the config file between
 * batches (SIGHUP). Async-signal-safe. Only `chain` is reloaded: a new chain
 * is built for every worker and replaces the old one (flushed first) only if
 * all of them could be built; otherwise the error is logged and the old one
 * keeps running. Other keys need a restart (a warning says so). */
void nw_consumer_reload(nw_consumer *c);

typedef struct nw_consumer_stats {
    uint64_t messages;            /* consumed (not counting EOF events) */
    uint64_t batches;             /* finished and committed */
    uint64_t dead_letters;        /* stories that failed permanently */
    uint64_t dlq_produced;        /* of those, delivered to the DLQ topic */
    uint64_t buffered_bytes;      /* now: key+value bytes polled and not yet committed */
    uint64_t buffered_bytes_peak; /* highest buffered_bytes seen */
    uint64_t paused_partitions;   /* now */
    uint64_t pauses;              /* partitions paused so far (each time) */
    uint64_t reloads;             /* successful SIGHUP reloads */
    uint64_t abandoned_batches;   /* given up on revoke or stop; redelivered later */
} nw_consumer_stats;
/* A consistent snapshot; safe from any thread while run() runs. */
nw_consumer_stats nw_consumer_get_stats(const nw_consumer *c);

/* Fault injection (tests): the next revoke librdkafka reports reaches the
 * rebalance callback as the failed rebalance `err` (a librdkafka error
 * code), with the same partitions. librdkafka 2.0.2 reports no failed
 * rebalance by itself, but the callback must handle one. Safe from any
 * thread. */
void nw_consumer_fail_next_revoke(nw_consumer *c, int err);

/* Port of the HTTP endpoint (useful with `http.listen: 127.0.0.1:0`), or -1
 * when it is not running. Valid after nw_consumer_new. */
int nw_consumer_http_port(const nw_consumer *c);

/* Flush and destroy the chain, destroy Kafka handles. NULL is accepted. */
void nw_consumer_free(nw_consumer *c);

#endif
