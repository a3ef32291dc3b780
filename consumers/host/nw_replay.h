/*
 * nw_replay — runs a consumer's plugin chain over a JSON-lines file of ninjs
 * stories instead of Kafka (`newswire-consumer --from-file IN.jsonl`), for
 * testing a chain offline and for backfills. Each non-blank line is one
 * story: partition 0, offset = its line number (1-based), key = its `uri`,
 * topic = --topic or <topic_prefix><first category slug>, one header
 * "nw-origin: IN:LINE". What the chain forwards (plugins calling
 * nw_plugin_api.emit, offered only here) is written to OUT as one JSON line
 * per record: {"topic","key","headers":[[name,value],...],"value"} with
 * value the story as a JSON object (a string when it is not JSON).
 * A line that is not a story, or a story a plugin fails permanently, is
 * written to the dead-letter file ({"line","error","plugin","raw"}) or, with
 * none, reported on stderr with its line number — never dropped silently.
 * Retryable failures back off like in Kafka mode. OUT is flushed and synced
 * after every batch. The file's settings are checked as the service checks
 * them (nw_consumer_conf); replay uses chain, batch.max_messages, retry and
 * topic_prefix. It never calls exit().
 */
#ifndef NW_REPLAY_H
#define NW_REPLAY_H

#include <signal.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"

typedef struct nw_replay_opts {
    const char *in_path;  /* "-" = stdin */
    const char *out_path; /* NULL or "-" = stdout */
    const char *dlq_path; /* NULL = report bad lines on stderr */
    const char *topic;    /* NULL = from each story's first category */
} nw_replay_opts;

typedef struct nw_replay_stats {
    uint64_t lines;     /* non-blank lines read */
    uint64_t stories;   /* of those, run through the chain */
    uint64_t bad_lines; /* not a story (or no topic for it) */
    uint64_t dead;      /* failed permanently in the chain */
    uint64_t dropped;   /* dropped by a filter */
    uint64_t emitted;   /* records written to OUT */
} nw_replay_stats;

/* Run the `chain` of cfg (also reads topic_prefix, batch.max_messages and
 * retry) over opts->in_path. `stop` (may be NULL) ends it between batches
 * and aborts retries. Returns 0 when every line was handled (stats say how),
 * negative with err when the input, output or chain failed; stories of an
 * unfinished batch are reported in err by line range. */
int nw_replay_run(const nw_config *cfg, const nw_replay_opts *opts, volatile sig_atomic_t *stop,
                  nw_replay_stats *stats, nw_err *err);

#endif
