/*
 * nw_input — what the producer service runs: an input is a source of wire
 * stories (a spool directory, an RSS/Atom feed...) that the service's event
 * loop drives through a small table of callbacks, after Fluent Bit's input
 * plugins. The service owns the loop, Kafka, routing, metrics and signals;
 * an input owns its source, its in-flight items and their completion: an
 * item (a file, a feed item) is settled only when every message made from it
 * has a delivery report (tickets, nw_publish.h).
 *
 * Adding an input kind: write nw_<kind>.c with a `<kind>_from_config`
 * function of type nw_input_kind_fn and add one line to the table in
 * nw_input.c; the service then reads the config key, validates it on start
 * and on SIGHUP, and runs the inputs next to the others.
 *
 * Every callback runs on the service's loop thread. An input may run helper
 * threads of its own behind these callbacks (the spool does, for its file
 * I/O); the env, the publisher and the metrics it is lent are used from the
 * loop thread only.
 */
#ifndef NW_INPUT_H
#define NW_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"
#include "nw_metrics.h"
#include "nw_publish.h"
#include "nw_route.h"
#include "nw_story.h"

/* What the service lends every input while it runs. Borrowed by the input. */
typedef struct nw_input_env {
    nw_publisher *pub;
    const nw_route *route;    /* current routing rules (replaced on reload) */
    nw_metrics *metrics;      /* may be NULL */
    size_t max_message_bytes; /* a message over this fails its item */
    size_t max_pending;       /* back-pressure: messages without report */
    bool intake;              /* false while draining or retiring: settle only */
    uint64_t reports;         /* delivery reports seen; grows with each */
} nw_input_env;

typedef struct nw_input nw_input;

typedef struct nw_input_ops {
    const char *kind; /* "spool", "feed" */
    /* Open the source (create folders, add watches, load state) and queue what
     * is already waiting (crash recovery). Called once, before any run();
     * env->pub may still be NULL (the client starts alongside). */
    int (*start)(nw_input *in, nw_input_env *env, nw_err *err);
    /* Optional: open ahead the topics this input sends to, once env->pub is
     * set (an input started before the Kafka client was up; start() does it
     * itself when env->pub is already there). */
    void (*warm)(nw_input *in, nw_input_env *env);
    /* A descriptor the service polls for readability, or -1. */
    int (*fd)(const nw_input *in);
    /* Milliseconds until run() should be called again without fd activity
     * (0 = work is waiting now, -1 = only on fd activity). now_ms is
     * CLOCK_MONOTONIC. */
    int64_t (*wait_ms)(const nw_input *in, const nw_input_env *env, int64_t now_ms);
    /* Do a bounded amount of work: take new items while env->intake and
     * nw_input_room(env) > 0, and settle items whose messages all have a
     * report. Errors are logged by the input; a negative return is logged by
     * the service and the input keeps running. */
    int (*run)(nw_input *in, nw_input_env *env, int64_t now_ms);
    /* Items taken in and not yet settled. */
    size_t (*in_flight)(const nw_input *in);
    /* True when started and watching its source (readiness). */
    bool (*ready)(const nw_input *in);
    /* Reload: true when `fresh` (same kind, not started) reads the same
     * source as `in` (same folder, same URL), so `in` keeps running with the
     * fresh settings (adopt) instead of being replaced. */
    bool (*same_source)(const nw_input *in, const nw_input *fresh);
    /* Take the settings of `fresh` in place; in-flight items are kept. */
    void (*adopt)(nw_input *in, const nw_input *fresh);
    void (*free)(nw_input *in);
} nw_input_ops;

/* Per-input metrics, labels input="<name>",format="<format>". */
typedef struct nw_input_metrics {
    nw_counter *parsed;       /* stories parsed */
    nw_counter *published;    /* stories of settled-done items (every message acked) */
    nw_counter *failed;       /* stories of failed items (+1 per unparseable item) */
    nw_counter *items_done;   /* items settled done */
    nw_counter *items_failed; /* items settled failed */
} nw_input_metrics;

/* Every input struct starts with this. */
struct nw_input {
    const nw_input_ops *ops;
    char *name;   /* unique within a config; the metrics label; owned */
    char *format; /* parser name or "auto"; the metrics label; owned */
    nw_input_metrics m;
};

/* Set the common part (copies name and format). */
int nw_input_init(nw_input *in, const nw_input_ops *ops, const char *name, const char *format);
void nw_input_deinit(nw_input *in);
/* Register the per-input counters in `metrics` (NULL = none). */
void nw_input_bind_metrics(nw_input *in, nw_metrics *metrics);

/* Creates the inputs listed under one config key (a sequence); appends them
 * to *out (realloc'd, caller frees each with ops->free and the array) and
 * adds to *n. Validation only: no files touched, nothing started. */
typedef int (*nw_input_kind_fn)(const nw_cfg_node *list, nw_input ***out, size_t *n, nw_err *err);

typedef struct nw_input_kind {
    const char *key; /* top-level config key, e.g. "spools" */
    nw_input_kind_fn from_config;
} nw_input_kind;

/* The registered kinds; returns the count. */
size_t nw_input_kinds(const nw_input_kind **out);

/* ---- helpers inputs use to publish ---------------------------------- */

/* Messages that may still be queued before intake must wait. */
size_t nw_input_room(const nw_input_env *env);

/* Open, at start, the topic that stories of `category` (NULL: none) go to,
 * so that its metadata is fetched before the first message needs it. Only
 * a head start: a failure is logged at debug level and otherwise ignored
 * (the first message meets the same problem and reports it). Nothing while
 * env->pub is NULL. */
void nw_input_warm_topic(nw_input_env *env, const char *input, const char *category);

/* Route, serialize and size-check one story. NW_ELIMIT when the record is
 * over env->max_message_bytes ("story <uri>: message is N bytes, over the
 * max message size of M bytes (max_message_bytes) for topic T"): stories are
 * never truncated. Caller frees with nw_outmsg_free. */
nw_outmsg *nw_input_prepare(nw_input_env *env, const nw_story *story, const char *origin,
                            nw_err *err);

/* The same for a story already serialized by the caller (nw_ninjs_dumps of
 * this story; see nw_publisher_prepare_to_json): `json` is taken over in
 * every case; NULL serializes here. */
nw_outmsg *nw_input_prepare_json(nw_input_env *env, const nw_story *story, char *json,
                                 size_t json_len, const char *origin, nw_err *err);

/* Queue a prepared message (blocks while librdkafka's queue is full). */
int nw_input_send(nw_input_env *env, nw_outmsg *msg, nw_publish_ticket *ticket, nw_err *err);

/* Free a list of inputs made by a kind function. */
void nw_input_list_free(nw_input **list, size_t n);

#endif
