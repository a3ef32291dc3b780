/*
 * nw_chain — a consumer's plugin chain: built from the `chain:` list of the
 * config (validated: unknown plugin, reserved keys, wrong types, and every
 * plugin's own init errors, all naming file, line and key), then run over
 * batches. Stages run in config order: a filter sees each live story one at
 * a time (it may modify, drop, route or dead-letter it), a sink receives the
 * live stories as one batch (or in parts, when it asks for that) and must
 * make them durable in flush(). A batch is
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

/* Who NW_MSG_DEAD names when the host itself refused a story (its value is
 * not a JSON object, so no plugin saw it). */
#define NW_CHAIN_HOST_NAME "newswire-consumer"

/* One story in a batch. Owns copies of everything `pub` points to and the
 * decoded document (pub.doc); pub.host_ref points back to this struct.
 * Embed it or allocate it, then nw_chain_msg_init / nw_chain_msg_deinit. */
typedef struct nw_chain_msg {
    nw_plugin_msg pub;
    nw_chain_msg_state state;
    char *json; /* the value as it arrived: owned, or borrowed (json_borrowed) */
    size_t json_len;
    bool json_borrowed;
    size_t borrowed_headers; /* headers[0..borrowed_headers) point into the caller's message */
    char *text;              /* owned: the changed document serialized, NULL until asked for */
    size_t text_len;
    bool changed;              /* pub.doc differs from json */
    bool undecoded;            /* init_borrowed: nw_chain_run decodes it */
    char *uri, *topic, *route; /* owned */
    nw_plugin_header *headers; /* owned names and values */
    size_t header_cap;
    const char *dead_plugin; /* NW_MSG_DEAD: instance name (borrowed from the chain) */
    char dead_reason[256];   /* NW_MSG_DEAD: the plugin's message */
} nw_chain_msg;

/* Copy a Kafka message's fields and decode its value (the one decode of the
 * story for the whole chain). category = topic minus `topic_prefix` (or the
 * whole topic when it lacks the prefix). key may be NULL (uri ""). A value
 * that is not a JSON object leaves the message NW_MSG_DEAD (dead_plugin
 * NW_CHAIN_HOST_NAME, the reason naming line and column) with pub.doc NULL:
 * no plugin sees it. Returns 0, or NW_ENOMEM. */
int nw_chain_msg_init(nw_chain_msg *m, const char *topic, const char *topic_prefix,
                      int32_t partition, int64_t offset, const void *key, size_t key_len,
                      const void *json, size_t json_len, int64_t timestamp_ms, nw_err *err);
/* The same without copying the value (it need not end with a NUL): it must
 * stay unchanged until nw_chain_msg_deinit (the consumer keeps the Kafka
 * message that long). It is copied only if a plugin asks for the text of
 * the unchanged story. The value is not decoded here but by nw_chain_run,
 * just before the story's part of the batch reaches the first stage (so a
 * batch is not decoded all at once); until then pub.doc is NULL and the
 * story LIVE. */
int nw_chain_msg_init_borrowed(nw_chain_msg *m, const char *topic, const char *topic_prefix,
                               int32_t partition, int64_t offset, const void *key, size_t key_len,
                               const void *json, size_t json_len, int64_t timestamp_ms,
                               nw_err *err);
/* Append a header (copied). Returns 0 or NW_ENOMEM. */
int nw_chain_msg_add_header(nw_chain_msg *m, const char *name, const void *value, size_t len);
/* Append a header without copying name and value, which must outlive m;
 * only before any copied header (the message's own headers come first). */
int nw_chain_msg_add_header_borrowed(nw_chain_msg *m, const char *name, const void *value,
                                     size_t len);
/* The story's current text (nw_plugin_api.text): the value as it arrived
 * while no filter changed the document, else the document serialized once
 * (compact, member order kept) and kept until the next change. NULL on
 * out of memory. Borrowed from m. */
const char *nw_chain_msg_text(nw_chain_msg *m, size_t *len);
void nw_chain_msg_deinit(nw_chain_msg *m);

/* Process-wide counts of story decodes (nw_chain_msg_init) and
 * serializations (nw_chain_msg_text of a changed document), for tests and
 * benchmarks. */
typedef struct nw_chain_doc_counts {
    uint64_t decodes, serializations;
} nw_chain_doc_counts;
nw_chain_doc_counts nw_chain_get_doc_counts(void);

/* The story callbacks of nw_plugin_api (text, doc_changed, set_doc,
 * add_header, set_route) as the chain offers them, for tests and embedders
 * that call a plugin with nw_chain_msg stories outside a chain: sets those
 * members and struct_size, leaves the others (log, emit, metrics) alone. */
void nw_chain_story_api(nw_plugin_api *api);

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
    /* the consumer's subscription (nw_plugin_config.subscription) */
    const char *const *subscription;
    size_t subscription_count;
} nw_chain_opts;

/* Build the chain from the `chain` sequence node. `config_path` is shown in
 * messages and passed to plugins; relative `path:` plugins are resolved
 * against its directory, and a bare file name not found there is looked up
 * in the installed plugin directory (NW_PLUGIN_DIR). Each item is a map with `plugin: <built-in
 * name>` or `path: <file.so>` (optionally both, names must agree), optional `name:` (unique
 * instance name) and the plugin's settings, checked against its config map (nw_plugin_conf) before
 * any plugin's init() runs. Caller frees with nw_chain_free. */
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

/* Run msgs[0..n) through every stage. The chain runs in segments, each its
 * filters up to and including the next sink: a segment whose sink writes in
 * parts (nw_plugin_descriptor.write_in_parts), or that has no sink, runs
 * its stages over parts of a few dozen stories, else over the whole batch;
 * then its stages flush, in chain order. When the chain's last segment runs
 * in parts, each story's document and text are freed once it was written
 * (pub.doc NULL; nw_chain_msg_text of a changed story then NULL). Returns 0
 * when every message ended LIVE (delivered and flushed by every sink),
 * DROPPED or DEAD; then the host may dead-letter the DEAD ones and commit.
 * Returns NW_ERETRY when stopped during a retry (commit nothing; the
 * stories will be redelivered). */
int nw_chain_run(nw_chain *chain, nw_chain_msg *const *msgs, size_t n, nw_err *err);

/* True while nw_chain_run is backing off after a retryable failure (a sink
 * or filter is failing). Safe to call from another thread: the host pauses
 * the partitions of the batch while this holds. */
bool nw_chain_backing_off(const nw_chain *chain);

/* Why the chain is backing off ("plugin <name> retrying: <its message>"),
 * into reason; "" when it is not. Safe to call from another thread. */
void nw_chain_retry_reason(nw_chain *chain, char *reason, size_t reason_len);

/* Ask every instance that has a ready() callback (nw_plugin_descriptor.ready)
 * whether it can work now, after delivering the noted partition events, and
 * set the gauge newswire_plugin_ready{plugin} of every instance (when the
 * chain has metrics). Call only on the thread that runs the chain, where no
 * batch runs. True when every instance is ready; else false with
 * "plugin <name>: <its reason>" of the first that is not. */
bool nw_chain_check_ready(nw_chain *chain, char *reason, size_t reason_len);

/* Flush every sink (used on revoke and at shutdown); retries like run. */
int nw_chain_flush(nw_chain *chain, nw_err *err);

/* Partition callbacks (nw_plugin_descriptor.assigned / revoked). Any thread
 * may note an event; the events are delivered, in order, by
 * nw_chain_deliver_events on the thread that runs the chain, which
 * nw_chain_run does first thing, and nw_chain_free after its final flush.
 * A revoke must be noted only after the partition's last batch finished
 * (its final flush). Returns 0 or NW_ENOMEM. */
int nw_chain_note_partition(nw_chain *chain, const char *topic, int32_t partition, bool assigned);
/* Deliver the noted events now. Call only where no batch runs on the chain. */
void nw_chain_deliver_events(nw_chain *chain);

typedef struct nw_chain_stats {
    uint64_t stories; /* messages run */
    uint64_t dropped; /* dropped by filters */
    uint64_t dead;    /* permanent failures */
    uint64_t retries; /* retryable failures (each back-off) */
} nw_chain_stats;
nw_chain_stats nw_chain_get_stats(const nw_chain *chain);

#endif
