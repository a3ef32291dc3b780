/*
 * newswire/plugin.h — the consumer plugin ABI, version 2. This header is the
 * whole contract between the consumer host and a plugin, built in or loaded
 * from a shared object with dlopen(). It needs the C library and, to read
 * the story, jansson (<jansson.h>, link -ljansson; the host uses the same
 * shared libjansson). docs/plugin-guide.md is the author's guide.
 *
 * A plugin exports one descriptor (NW_PLUGIN_ENTRY_SYMBOL). The host owns
 * threads, batching, Kafka, offsets, retries and the decoding of stories;
 * the plugin owns its state. Errors are classified: NW_PLUGIN_RETRY (the
 * host backs off and calls again with the same input) or NW_PLUGIN_FATAL
 * (the story goes to the dead-letter topic).
 *
 * Compatibility rules (read before changing this file):
 *  1. NW_PLUGIN_ABI_VERSION changes on any incompatible change (a member
 *     removed, moved or retyped, a meaning changed). The host refuses a
 *     descriptor of another version, naming the file and both versions.
 *  2. Within one ABI version, members are only ever appended to a struct,
 *     enums only gain values, and NW_PLUGIN_ABI_MINOR goes up by one.
 *  3. Every struct that may grow starts with `struct_size`, set by whoever
 *     fills it (the host for nw_plugin_msg, nw_plugin_api, nw_plugin_config;
 *     the plugin for nw_plugin_descriptor, through NW_PLUGIN_DESCRIPTOR_HEAD).
 *     Before reading a member added after minor 0, the reader checks it
 *     with NW_PLUGIN_HAS(). The host reads only the descriptor members the
 *     plugin's struct_size covers (missing optional callbacks are NULL).
 *  4. Arrays of plugin-owned structs (the config map) are walked with the
 *     element size the plugin declares (config_entry_size), so entries can
 *     grow too.
 *
 * Threading: the host never calls one plugin instance from two threads at
 * once. With `workers: N` (N > 1) the host creates N instances of the whole
 * chain, one per worker thread, each with the same settings; the instances
 * run concurrently, so state shared between them (a file, a table, a
 * producer) must tolerate that. One partition is handled by one worker at a
 * time.
 *
 * Reload (SIGHUP): the host re-reads and validates the chain settings,
 * init()s a complete new chain, and only if every instance was created
 * flushes and destroys the old one between batches. A plugin needs no reload
 * callback; a bad new config leaves the old chain running.
 *
 * An out-of-tree plugin defines
 *     const nw_plugin_descriptor nw_plugin_entry = { NW_PLUGIN_DESCRIPTOR_HEAD, ... };
 * and is loaded with `path: /usr/lib/newswire/plugins/myplugin.so` in the
 * chain. Build flags: `pkg-config --cflags --libs newswire-plugin`.
 */
#ifndef NEWSWIRE_PLUGIN_H
#define NEWSWIRE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; the host refuses other versions. */
#define NW_PLUGIN_ABI_VERSION 2
/* Bumped when members are appended within ABI version 2 (rule 2). */
/* 1: nw_plugin_descriptor.ready; 2: nw_plugin_descriptor.write_in_parts */
#define NW_PLUGIN_ABI_MINOR 2

/* The symbol name the host looks up in a shared object. */
#define NW_PLUGIN_ENTRY_SYMBOL "nw_plugin_entry"

/* True when the struct *p (of type `type`, starting with struct_size) was
 * filled by a party that knows `member`. */
#define NW_PLUGIN_HAS(p, type, member)                                                             \
    ((p)->struct_size >= offsetof(type, member) + sizeof(((const type *)0)->member))

/* jansson's document type (the same declaration as <jansson.h>). */
#ifndef JANSSON_H
typedef struct json_t json_t;
#endif

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

/*
 * One story as the chain sees it. The host owns the struct and everything
 * it points to; all of it is borrowed for the duration of the call.
 *
 * The document (parse once). The host decodes the message value once per
 * chain into `doc`, a jansson object (never NULL: a value that is not a JSON
 * object is dead-lettered by the host before any plugin sees it). Every
 * plugin of the chain reads the same document:
 *  - a filter may modify it in place with jansson's setters (json_object_set
 *    ...) and must then call api->doc_changed(host_ref) before it returns,
 *    or replace it with api->set_doc(); the next plugin sees the change, no
 *    text in between;
 *  - a sink must treat it as read-only;
 *  - to keep any part of it past the call, json_deep_copy() it (a reference
 *    taken with json_incref may be changed by a later filter);
 *  - a plugin that needs the text (to archive or forward it) calls
 *    api->text(): the host serializes the document at most once per change,
 *    lazily, and shares that text with every plugin that asks; an unchanged
 *    story's text is the message value exactly as it arrived.
 */
typedef struct nw_plugin_msg {
    uint32_t struct_size; /* sizeof(nw_plugin_msg) as the host built it */
    json_t *doc;          /* the decoded story (see above) */
    const char *uri;      /* the message key (story uri), NUL-terminated */
    const char *topic;    /* origin topic, e.g. "news.mid-east" */
    const char *category; /* the topic's category slug, e.g. "mid-east" */
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* Kafka message timestamp, -1 if unknown */
    const nw_plugin_header *headers;
    size_t header_count;
    /* The topic an earlier filter chose with set_route(), or NULL: where a
     * forwarding sink sends the story instead of its default. */
    const char *route;
    void *host_ref; /* opaque to the plugin; pass back to nw_plugin_api calls */
} nw_plugin_msg;

/* Metric types a plugin can register (see nw_plugin_api.metric). */
typedef enum nw_plugin_metric_type {
    NW_PLUGIN_COUNTER = 1,   /* only goes up; metric_add(v >= 0) */
    NW_PLUGIN_GAUGE = 2,     /* metric_add(delta) or metric_set(value) */
    NW_PLUGIN_HISTOGRAM = 3, /* metric_add(observation) */
} nw_plugin_metric_type;

/* A metric series the host created for a plugin (opaque). */
typedef struct nw_plugin_metric nw_plugin_metric;

/* Services the host offers a plugin. Valid for the lifetime of the
 * instance. `host` is the first argument of log, emit and metric; `host_ref`
 * is the story's (nw_plugin_msg.host_ref). */
typedef struct nw_plugin_api {
    uint32_t struct_size; /* sizeof(nw_plugin_api) as the host built it */
    void *host;

    /* Log a line at level 0=error 1=warn 2=info 3=debug, tagged with the instance. */
    void (*log)(void *host, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* The story as compact JSON text (NUL-terminated, *len set when len is
     * not NULL), shared by every plugin that asks until the document changes.
     * Borrowed until the current call returns; NULL when out of memory
     * (answer NW_PLUGIN_RETRY). */
    const char *(*text)(void *host_ref, size_t *len);
    /* Filter only: "I modified msg->doc in place". Returns 0 or -1. */
    int (*doc_changed)(void *host_ref);
    /* Filter only: replace the document with `doc`, which must be a JSON
     * object; the host takes over the caller's reference (also on failure)
     * and msg->doc points to it on return. Returns 0 or -1. */
    int (*set_doc)(void *host_ref, json_t *doc);
    /* Filter only: add a header to what downstream plugins and forwards see (copied). */
    int (*add_header)(void *host_ref, const char *name, const void *value, size_t len);
    /* Filter only: route the story to this topic instead of its default (copied). */
    int (*set_route)(void *host_ref, const char *topic);

    /* Replay mode (`newswire-consumer --from-file IN.jsonl [--to-file OUT]`):
     * non-NULL only there, NULL when the host runs against Kafka. A sink that
     * forwards stories (e.g. forward-kafka) checks it in init(): when set, it
     * must not connect anywhere and, in write(), hands every record it would
     * have produced to emit() instead. The host writes the record (topic, key,
     * headers in order, value) as one JSON line to the output; the record
     * counts as durable once the sink's flush() returns OK. All arguments are
     * borrowed for the call; key may be NULL; value must be a JSON text for
     * the line to hold it as an object. Returns 0, or -1 when the output
     * cannot be written: answer NW_PLUGIN_RETRY (or FATAL) then. */
    int (*emit)(void *host, const char *topic, const char *key, const void *value, size_t value_len,
                const nw_plugin_header *headers, size_t header_count);

    /* Metrics; NULL when the host serves none (replay mode, tests): check
     * `metric`. metric() returns the series `name{plugin="<instance>",<labels>}`
     * of the consumer's /metrics. `labels` is NULL, "" or pre-formatted
     * without braces (`verdict="new"`), `help` one line. Histograms take
     * ascending upper bounds (NULL/0: the host's latency buckets, seconds).
     * The same name and labels give the same series, so the `workers: N`
     * instances and the instance after a reload add up into one series:
     * gauges that sum per-instance state use metric_add(delta) (and remove
     * the instance's share in destroy()). Updates are atomic and cheap; call
     * metric() in init(). Returns NULL on a bad name, a type clash or no
     * memory; metric_add / metric_set accept NULL and do nothing. */
    nw_plugin_metric *(*metric)(void *host, nw_plugin_metric_type type, const char *name,
                                const char *help, const char *labels, const double *buckets,
                                size_t nbuckets);
    void (*metric_add)(nw_plugin_metric *m, double value);
    void (*metric_set)(nw_plugin_metric *m, double value);
} nw_plugin_api;

/* ------------------------------------------------------------ config map */

/*
 * A plugin declares its settings as a table; the host parses and checks
 * every chain entry against it before any init() (unknown key, wrong type,
 * out of range, missing required key and bad enum value are errors naming
 * file, line and key), then fills a struct of `config_size` bytes the plugin
 * defines, each value at its entry's `offset`, with this C type:
 *
 *   NW_PLUGIN_T_BOOL      bool      true/false/yes/no/on/off
 *   NW_PLUGIN_T_INT       int64_t   decimal
 *   NW_PLUGIN_T_SIZE      uint64_t  bytes: "512", "64KiB", "5MB"
 *   NW_PLUGIN_T_DURATION  int64_t   milliseconds: "250ms", "10s", "2m", "72h", "3d"
 *   NW_PLUGIN_T_NUMBER    double    "0.55"
 *   NW_PLUGIN_T_STRING    const char *           NULL when unset
 *   NW_PLUGIN_T_ENUM      int                    index in `choices`
 *   NW_PLUGIN_T_LIST      nw_plugin_list         a YAML list of scalars
 *   NW_PLUGIN_T_MAP       nw_plugin_map          a YAML map; nested maps
 *                                                flatten to dotted keys
 *
 * Unset values without a default are zero (NULL, 0, false, empty list).
 * Strings, lists and maps are owned by the host and valid until destroy()
 * returns. The table ends with an entry whose key is NULL.
 */
typedef enum nw_plugin_type {
    NW_PLUGIN_T_BOOL = 1,
    NW_PLUGIN_T_INT = 2,
    NW_PLUGIN_T_SIZE = 3,
    NW_PLUGIN_T_DURATION = 4,
    NW_PLUGIN_T_NUMBER = 5,
    NW_PLUGIN_T_STRING = 6,
    NW_PLUGIN_T_ENUM = 7,
    NW_PLUGIN_T_LIST = 8,
    NW_PLUGIN_T_MAP = 9,
} nw_plugin_type;

/* Entry flags. */
#define NW_PLUGIN_REQUIRED 1u /* a missing (or empty) value is an error */
#define NW_PLUGIN_NONEMPTY 2u /* string/list/map: an empty value is an error */

typedef struct nw_plugin_list {
    const char *const *items;
    size_t count;
} nw_plugin_list;

typedef struct nw_plugin_kv {
    const char *key;
    const char *value;
} nw_plugin_kv;

typedef struct nw_plugin_map {
    const nw_plugin_kv *items; /* in file order */
    size_t count;
} nw_plugin_map;

typedef struct nw_plugin_config_entry {
    const char *key;
    nw_plugin_type type;
    /* Written as in the config file and parsed by the same parser; NULL = no
     * default. */
    const char *default_value;
    uint32_t flags;
    /* Inclusive bounds for INT, SIZE (bytes), DURATION (ms), NUMBER, and the
     * item count of LIST and MAP; min == max == 0 means unbounded. */
    double min, max;
    /* ENUM: the accepted values, separated by '|' ("drop|mark|route"). */
    const char *choices;
    size_t offset;           /* offsetof(your config struct, member) */
    const char *description; /* one line, for --describe and docs */
} nw_plugin_config_entry;

/* What init() receives. Built by the host; valid until destroy() returns. */
typedef struct nw_plugin_config {
    uint32_t struct_size;      /* sizeof(nw_plugin_config) as the host built it */
    const char *instance_name; /* unique name of this instance in the chain */
    const char *config_path;   /* the consumer's config file, for messages */
    const void *conf;          /* the filled config struct (config_size bytes) */
    const nw_plugin_api *api;
    /* The consumer's own bootstrap servers (--brokers or kafka.bootstrap.servers),
     * or NULL (replay mode, or not configured). */
    const char *brokers;
    /* What the consumer reads: its subscription, topic names or "^regex"
     * patterns (e.g. "^news\\..*"); none in replay mode. A plugin that
     * writes to Kafka refuses to write into these (a loop). */
    const char *const *subscription;
    size_t subscription_count;
} nw_plugin_config;

/* ------------------------------------------------------------ descriptor */

/* The first members of every descriptor: use it as the first initializer. */
#define NW_PLUGIN_DESCRIPTOR_HEAD                                                                  \
    .abi_version = NW_PLUGIN_ABI_VERSION, .struct_size = sizeof(nw_plugin_descriptor)

/* The config map members: NW_PLUGIN_CONFIG_MAP(my_table, struct my_conf). */
#define NW_PLUGIN_CONFIG_MAP(table, conf_type)                                                     \
    .config_map = (table), .config_entry_size = sizeof(nw_plugin_config_entry),                    \
    .config_size = sizeof(conf_type)

typedef struct nw_plugin_descriptor {
    /* `abi_version` is the first member in every ABI version, so a host can
     * read it from a descriptor of any version and refuse a mismatch before
     * touching anything else. */
    uint32_t abi_version; /* NW_PLUGIN_ABI_VERSION the plugin was built with */
    uint32_t struct_size; /* sizeof(nw_plugin_descriptor) the plugin was built with */
    const char *name;     /* e.g. "archive-fs" */
    const char *version;  /* the plugin's own version, e.g. "1.0.0" */
    nw_plugin_kind kind;
    const char *description; /* one line */

    /* The settings table (see above), or NULL: no settings accepted. */
    const nw_plugin_config_entry *config_map;
    size_t config_entry_size; /* sizeof(nw_plugin_config_entry) the plugin was built with */
    size_t config_size;       /* bytes of the struct the host fills */

    /* Create state from checked settings (config->conf). On failure return
     * NULL and write a message into err (size errlen), naming the key it is
     * about in the form "key: ..." so the host can point at its line. */
    void *(*init)(const nw_plugin_config *config, char *err, size_t errlen);

    /* Filter: inspect / modify / drop / route one story. NULL for sinks. */
    nw_plugin_status (*process)(void *state, nw_plugin_msg *msg, char *err, size_t errlen);

    /* Sink: accept a batch of stories, in partition order. The sink may
     * buffer; nothing counts as done until flush() returns OK. NULL for
     * filters. On NW_PLUGIN_FATAL, *failed_index names the first story that
     * failed permanently (the host dead-letters it and resubmits the rest). */
    nw_plugin_status (*write)(void *state, nw_plugin_msg *const *batch, size_t count,
                              size_t *failed_index, char *err, size_t errlen);

    /* Make everything accepted so far durable (fsync, commit, ack). Called
     * after every batch, for sinks AND filters (a filter with state that
     * must survive a crash makes it durable here), before the batch's
     * offsets are stored. Optional (NULL) for a filter, required for a
     * sink. For a filter, NW_PLUGIN_RETRY backs off and retries;
     * NW_PLUGIN_FATAL is logged and the batch goes on. */
    nw_plugin_status (*flush)(void *state, char *err, size_t errlen);

    /* Release state. Called once, after a final flush. */
    void (*destroy)(void *state);

    /* Optional: the consumer was given / lost a partition. assigned() comes
     * before the first story of that partition reaches the instance;
     * revoked() after the final flush of the partition's batches, so a sink
     * can close what it keeps per partition. Called on the instance's own
     * thread, between batches. A non-OK status is logged; nothing retries. */
    nw_plugin_status (*assigned)(void *state, const char *topic, int32_t partition, char *err,
                                 size_t errlen);
    nw_plugin_status (*revoked)(void *state, const char *topic, int32_t partition, char *err,
                                size_t errlen);

    /* Optional (minor 1): can the instance do its work now (its server
     * reachable, its file writable, no retry pending)? NW_PLUGIN_OK = ready;
     * any other status = not ready, with a one-line reason in err (never a
     * secret). While the consumer serves /readyz the host calls it on the
     * instance's own thread, between batches, at most once per
     * http.ready_interval, and keeps the answer: /readyz answers 503 naming
     * the instance while it is not ready, and the gauge
     * newswire_plugin_ready{plugin} says 0. It must answer within a few
     * seconds (bound it with the server's timeouts): the worker waits. */
    nw_plugin_status (*ready)(void *state, char *err, size_t errlen);

    /* Optional (minor 2), sinks: true when write() is cheap per call (it
     * buffers; the work is in flush()). The host then hands the batch over
     * in parts of a few dozen stories, several write()s before the one
     * flush(), running the filters before the sink part by part too, and may
     * free a story's document and text once the chain's last write() of it
     * returned: a batch is never all decoded at once. A sink that keeps a
     * story until flush() holds it the usual way (json_incref the document:
     * no later plugin runs before this sink's flush; copy the text). false
     * (or a plugin built before minor 2): the whole batch in one write(),
     * for sinks whose write() is a round trip (a bulk request). */
    bool write_in_parts;
} nw_plugin_descriptor;

#ifdef __cplusplus
}
#endif

#endif
