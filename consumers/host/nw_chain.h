/*
 * nw_chain — a consumer's plugin chain: built from the `chain:` list of the
 * config (validated: unknown plugin, reserved keys, wrong types, and every
 * plugin's own init errors, all naming file, line and key), then run over
 * batches. Stages run in config order: a filter sees each live story one at
 * a time (it may modify, drop, route or dead-letter it), a sink receives the
 * live stories as one batch and must make them durable in flush(). A batch is
 * done only when every stage has returned OK for it; retryable failures are
 * retried here with capped exponential back-off. The chain knows nothing of
 * Kafka: the host (nw_consumer) turns finished batches into committed offsets
 * and dead-lettered stories into DLQ messages.
 */
#ifndef NW_CHAIN_H
#define NW_CHAIN_H

#include <newswire/plugin.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"

typedef enum nw_chain_msg_state {
    NW_MSG_LIVE = 0, /* going through the chain; at the end: delivered to every sink */
    NW_MSG_DROPPED,  /* a filter dropped it (or the host skipped it): done */
    NW_MSG_DEAD,     /* a plugin failed permanently on it: the host dead-letters it */
} nw_chain_msg_state;

/* One story in a batch. Owns copies of everything `pub` points to;
 * pub.host_ref points back to this struct. Embed it or allocate it, then
 * nw_chain_msg_init / nw_chain_msg_deinit. */
typedef struct nw_chain_msg {
    nw_plugin_msg pub;
    nw_chain_msg_state state;
    char *json, *uri, *topic, *route; /* owned */
    nw_plugin_header *headers;        /* owned names and values */
    size_t header_cap;
    const char *dead_plugin; /* NW_MSG_DEAD: instance name (borrowed from the chain) */
    char dead_reason[256];   /* NW_MSG_DEAD: the plugin's message */
} nw_chain_msg;

/* Copy a Kafka message's fields. category = topic minus `topic_prefix`
 * (or the whole topic when it lacks the prefix). key may be NULL (uri ""). */
int nw_chain_msg_init(nw_chain_msg *m, const char *topic, const char *topic_prefix,
                      int32_t partition, int64_t offset, const void *key, size_t key_len,
                      const void *json, size_t json_len, int64_t timestamp_ms, nw_err *err);
/* Append a header (copied). Returns 0 or NW_ENOMEM. */
int nw_chain_msg_add_header(nw_chain_msg *m, const char *name, const void *value, size_t len);
void nw_chain_msg_deinit(nw_chain_msg *m);

typedef struct nw_chain nw_chain;

/* Where a plugin's nw_plugin_api.emit goes (replay mode). `instance` is the
 * emitting instance's name; the rest is as the plugin passed it (borrowed).
 * Called from the thread running the chain. Returns 0 or -1. */
typedef int (*nw_chain_emit_fn)(void *ctx, const char *instance, const char *topic, const char *key,
                                const void *value, size_t value_len,
                                const nw_plugin_header *headers, size_t header_count);

/* Options fixed at construction (plugins see them in init()). All borrowed;
 * they must outlive the chain. A zeroed struct means: no emit, no metrics. */
typedef struct nw_chain_opts {
    nw_chain_emit_fn emit; /* non-NULL: nw_plugin_api.emit is offered (replay) */
    void *emit_ctx;
    /* non-NULL: per plugin and topic counters newswire_consumer_processed_total,
     * _dropped_total, _dead_letters_total and the histogram
     * newswire_consumer_plugin_seconds{plugin,op} (op: process, write, flush).
     * Chains sharing one registry add up (one chain per worker). */
    struct nw_metrics *metrics;
    /* the consumer's bootstrap servers, offered to plugins (nw_plugin_config.brokers) */
    const char *brokers;
} nw_chain_opts;

/* Build the chain from the `chain` sequence node. `config_path` is shown in
 * messages and passed to plugins; relative `path:` plugins are resolved
 * against its directory. Each item is a map with `plugin: <built-in name>` or
 * `path: <file.so>` (optionally both, names must agree), optional `name:`
 * (unique instance name) and the plugin's settings (nested maps flatten with
 * dots, lists join with commas). Caller frees with nw_chain_free. */
int nw_chain_new(const nw_cfg_node *chain_seq, const char *config_path, nw_chain **out,
                 nw_err *err);
/* The same with options; opts may be NULL. */
int nw_chain_new_ex(const nw_cfg_node *chain_seq, const char *config_path,
                    const nw_chain_opts *opts, nw_chain **out, nw_err *err);
/* Flush every sink once more, destroy every instance, unload modules. */
void nw_chain_free(nw_chain *chain);

size_t nw_chain_len(const nw_chain *chain);
const char *nw_chain_instance_name(const nw_chain *chain, size_t i);
const nw_plugin_descriptor *nw_chain_descriptor(const nw_chain *chain, size_t i);

/* Back-off for retryable failures: first wait, cap (ms), and a flag that,
 * once non-zero, makes nw_chain_run give up (returns NW_ERETRY) instead of
 * waiting again. Defaults: 100 ms, 30 s, no flag. */
void nw_chain_set_retry(nw_chain *chain, int64_t initial_ms, int64_t max_ms,
                        volatile sig_atomic_t *stop);

/* Run msgs[0..n) through every stage. Returns 0 when every message ended
 * LIVE (delivered and flushed by every sink), DROPPED or DEAD; then the host
 * may dead-letter the DEAD ones and commit. Returns NW_ERETRY when stopped
 * during a retry (commit nothing; the stories will be redelivered). */
int nw_chain_run(nw_chain *chain, nw_chain_msg *const *msgs, size_t n, nw_err *err);

/* True while nw_chain_run is backing off after a retryable failure (a sink
 * or filter is failing). Safe to call from another thread: the host pauses
 * the partitions of the batch while this holds. */
bool nw_chain_backing_off(const nw_chain *chain);

/* Flush every sink (used on revoke and at shutdown); retries like run. */
int nw_chain_flush(nw_chain *chain, nw_err *err);

typedef struct nw_chain_stats {
    uint64_t stories; /* messages run */
    uint64_t dropped; /* dropped by filters */
    uint64_t dead;    /* permanent failures */
    uint64_t retries; /* retryable failures (each back-off) */
} nw_chain_stats;
nw_chain_stats nw_chain_get_stats(const nw_chain *chain);

#endif
