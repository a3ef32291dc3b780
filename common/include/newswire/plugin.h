/*
 * newswire/plugin.h — the consumer plugin ABI. This header is the whole
 * contract between the consumer host and a plugin, built in or loaded from a
 * shared object with dlopen(). It depends on nothing but the C library.
 *
 * A plugin exports one descriptor. The host owns threads, batching, Kafka,
 * offsets and retries; the plugin owns its state. Errors are classified:
 * NW_PLUGIN_RETRY (the host backs off and calls again with the same input)
 * or NW_PLUGIN_FATAL (the story goes to the dead-letter topic).
 *
 * Threading: the host never calls one plugin instance from two threads at
 * once. Strings passed to a plugin are borrowed for the duration of the call.
 * With `workers: N` (N > 1) the host creates N instances of the whole chain,
 * one per worker thread, each with the same settings; the instances run
 * concurrently, so state shared between them (a file, a table, a producer)
 * must tolerate that. One partition is handled by one worker at a time.
 *
 * Reload (SIGHUP): the host re-reads the chain settings, init()s a complete
 * new chain, and only if every instance was created, flushes and destroys
 * the old one between batches. A plugin therefore needs no reload callback;
 * a bad new config leaves the old chain running.
 *
 * An out-of-tree plugin defines
 *     const nw_plugin_descriptor nw_plugin_entry = { NW_PLUGIN_ABI_VERSION, ... };
 * and is loaded with `path: /usr/lib/newswire/plugins/myplugin.so` in the chain.
 */
#ifndef NEWSWIRE_PLUGIN_H
#define NEWSWIRE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; the host refuses other versions. */
#define NW_PLUGIN_ABI_VERSION 1

/* The symbol name the host looks up in a shared object. */
#define NW_PLUGIN_ENTRY_SYMBOL "nw_plugin_entry"

typedef enum nw_plugin_kind {
    NW_PLUGIN_FILTER = 1, /* sees one story at a time, may modify, drop or route it */
    NW_PLUGIN_SINK = 2,   /* receives batches and makes them durable on flush */
} nw_plugin_kind;

typedef enum nw_plugin_status {
    NW_PLUGIN_OK = 0,
    NW_PLUGIN_DROP = 1,   /* filter: the story stops here, successfully (offset may advance) */
    NW_PLUGIN_RETRY = -1, /* transient failure: the host backs off and retries */
    NW_PLUGIN_FATAL = -2, /* permanent failure for this story/batch: dead-letter it */
} nw_plugin_status;

/* One header of a Kafka message: name and value (value not NUL-terminated). */
typedef struct nw_plugin_header {
    const char *name;
    const void *value;
    size_t value_len;
} nw_plugin_header;

/* One story as the chain sees it. The host owns the struct and its buffers.
 * A filter that modifies the story replaces `json` through nw_plugin_api. */
typedef struct nw_plugin_msg {
    const char *json; /* the ninjs JSON value, NUL-terminated */
    size_t json_len;
    const char *uri;      /* the message key (story uri), NUL-terminated */
    const char *topic;    /* origin topic, e.g. "news.mid-east" */
    const char *category; /* the topic's category slug, e.g. "mid-east" */
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* Kafka message timestamp, -1 if unknown */
    const nw_plugin_header *headers;
    size_t header_count;
    void *host_ref; /* opaque to the plugin; pass back to nw_plugin_api calls */
    /* The topic an earlier filter chose with set_route(), or NULL: where a
     * forwarding sink sends the story instead of its default. Added in ABI 1
     * at the end of a host-owned struct, so older plugins are unaffected. */
    const char *route;
} nw_plugin_msg;

/* Metric types a plugin can register (see nw_plugin_api.metric). */
typedef enum nw_plugin_metric_type {
    NW_PLUGIN_COUNTER = 1,   /* only goes up; metric_add(v >= 0) */
    NW_PLUGIN_GAUGE = 2,     /* metric_add(delta) or metric_set(value) */
    NW_PLUGIN_HISTOGRAM = 3, /* metric_add(observation) */
} nw_plugin_metric_type;

/* A metric series the host created for a plugin (opaque). */
typedef struct nw_plugin_metric nw_plugin_metric;

/* Services the host offers a plugin. All pointers are valid for the
 * lifetime of the plugin instance. */
typedef struct nw_plugin_api {
    /* Log a line at level 0=error 1=warn 2=info 3=debug, tagged with the instance. */
    void (*log)(void *host, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /* Filter only: replace the story JSON (copied). Returns 0 or -1. */
    int (*set_json)(void *host_ref, const char *json, size_t len);
    /* Filter only: add a header to what downstream plugins and forwards see (copied). */
    int (*add_header)(void *host_ref, const char *name, const void *value, size_t len);
    /* Filter only: route the story to this topic instead of its default. */
    int (*set_route)(void *host_ref, const char *topic);
    void *host; /* first argument of log and emit */

    /* --- Added in ABI 1 after the first release; read only, so plugins built
     * against the older header keep working (they never look at it). ---
     *
     * Replay mode (`newswire-consumer --from-file IN.jsonl [--to-file OUT]`):
     * non-NULL only there, NULL when the host runs against Kafka. A sink that
     * forwards stories (e.g. forward-kafka) checks it in init(): when set, it
     * must not connect anywhere and, in write(), hands every record it would
     * have produced to emit() instead. The host writes the record (topic, key,
     * headers in order, value) as one JSON line to the output; the record
     * counts as durable once the sink's flush() returns OK (the host syncs
     * the output after every batch). All arguments are borrowed for the call;
     * key may be NULL; value must be a JSON text for the line to hold it as an
     * object (anything else is written as a string). Returns 0, or -1 when the
     * output cannot be written: answer NW_PLUGIN_RETRY (or FATAL) then. */
    int (*emit)(void *host, const char *topic, const char *key, const void *value, size_t value_len,
                const nw_plugin_header *headers, size_t header_count);

    /* --- Added in ABI 1 (metrics), read only like emit: plugins built
     * against an older header never look at them. NULL when the host
     * serves no metrics (replay mode, tests); a plugin checks `metric`.
     *
     * metric() returns the series `name{plugin="<instance>",<labels>}` of
     * the host's Prometheus registry, served on the consumer's /metrics;
     * the host adds the plugin label. `labels` is NULL, "" or pre-formatted
     * without braces (`verdict="new"`), `help` one line. Histograms take
     * ascending upper bounds (NULL/0: the host's latency buckets, seconds).
     * Asking again for the same name and labels gives the same series, so
     * the `workers: N` instances of a plugin, and the new instance after a
     * reload, add up into one series: gauges that sum per-instance state
     * are kept with metric_add(delta) (and the instance's share removed in
     * destroy()); metric_set suits one-instance values only. Updates are
     * atomic and cheap (any thread, hot path ok); call metric() in init().
     * Returns NULL on a bad name, a type clash or no memory; metric_add /
     * metric_set accept NULL and do nothing. Handles stay valid until the
     * instance's destroy() has returned. */
    nw_plugin_metric *(*metric)(void *host, nw_plugin_metric_type type, const char *name,
                                const char *help, const char *labels, const double *buckets,
                                size_t nbuckets);
    void (*metric_add)(nw_plugin_metric *m, double value);
    void (*metric_set)(nw_plugin_metric *m, double value);
} nw_plugin_api;

/* One settings block of the chain, as flat key/value strings, e.g. for
 *   - plugin: archive-fs
 *     root: /var/lib/newswire/archive
 * the plugin sees {"root", "/var/lib/newswire/archive"}. Nested maps are
 * flattened with dots ("kafka.acks"), lists joined with commas. */
typedef struct nw_plugin_setting {
    const char *key;
    const char *value;
    int line; /* line in the config file, 0 if unknown, for error messages */
} nw_plugin_setting;

typedef struct nw_plugin_config {
    const char *instance_name; /* unique name of this instance in the chain */
    const char *config_path;   /* the consumer's config file, for messages */
    const nw_plugin_setting *settings;
    size_t setting_count;
    const nw_plugin_api *api;
    /* The consumer's own bootstrap servers (--brokers or kafka.bootstrap.servers),
     * or NULL (replay mode, or not configured). Plugins that talk to Kafka use
     * it when their settings name no brokers. Added in ABI 1 at the end of a
     * host-owned struct. */
    const char *brokers;
} nw_plugin_config;

/* `abi_version` is the first member in every ABI version, so a host can read
 * it from a descriptor of any version and refuse a mismatch before touching
 * anything else. */
typedef struct nw_plugin_descriptor {
    uint32_t abi_version; /* NW_PLUGIN_ABI_VERSION the plugin was built with */
    const char *name;     /* e.g. "archive-fs" */
    nw_plugin_kind kind;
    const char *description;

    /* Validate settings and create state. On failure return NULL and write a
     * message naming the key into err (size errlen). Unknown keys are errors. */
    void *(*init)(const nw_plugin_config *config, char *err, size_t errlen);

    /* Filter: inspect / modify / drop / route one story. NULL for sinks. */
    nw_plugin_status (*process)(void *state, nw_plugin_msg *msg, char *err, size_t errlen);

    /* Sink: accept a batch of stories, in partition order. The sink may
     * buffer; nothing counts as done until flush() returns OK. NULL for filters.
     * On NW_PLUGIN_FATAL, *failed_index names the first story that failed
     * permanently (the host dead-letters it and resubmits the rest). */
    nw_plugin_status (*write)(void *state, nw_plugin_msg *const *batch, size_t count,
                              size_t *failed_index, char *err, size_t errlen);

    /* Make everything accepted so far durable (fsync, commit, ack). Called
     * after every batch, for sinks AND filters (a filter with state that
     * must survive a crash, like dedup's fingerprints, makes it durable
     * here), before the batch's offsets are stored. A filter may set it to
     * NULL (the host then skips it); a sink must not. For a filter, NW_PLUGIN_RETRY backs off and
     * retries; NW_PLUGIN_FATAL is logged and the batch goes on. */
    nw_plugin_status (*flush)(void *state, char *err, size_t errlen);

    /* Release state. Called once, after a final flush. */
    void (*destroy)(void *state);
} nw_plugin_descriptor;

#ifdef __cplusplus
}
#endif

#endif
