/*
 * dedup — the built-in filter that flags syndicated copies. For every story
 * it decides one verdict, remembers it per (uri, version), and applies the
 * policy:
 *   new             first time this text is seen (in the window)
 *   update          a new version of a uri already seen: never a duplicate
 *   duplicate       the normalized body (see nw_dedup_norm.h) equals an
 *                   earlier story of another uri (exact hash + signature)
 *   near-duplicate  estimated Jaccard similarity of the word 5-shingle sets
 *                   >= threshold (MinHash, see nw_dedup_sketch.h), or, for a
 *                   shorter story (a copy that cut the tail), estimated
 *                   containment of its shingles in the earlier story >=
 *                   containment (see nw_dedup_index_find)
 * Short items (body under `short_words` words, e.g. headline-only briefs):
 * the text is headline + body and only an exact match counts, so two
 * different one-line briefs are never near-duplicates of each other. Stories
 * with pubStatus canceled or withheld pass untouched (kills must reach every
 * sink) and are not indexed.
 *
 * Replay: a (uri, version) already in the index gets its stored verdict
 * back, so re-processing after a crash or a rebalance decides the same, and
 * the first copy is never dropped as a duplicate of itself.
 *
 * Policies: drop (duplicates and near-duplicates stop here; others go on
 * with the header), mark (every story gets header `nw-dedup: new` /
 * `update` / `duplicate; of=<uri>; score=1.00` / `near-duplicate; of=<uri>;
 * score=0.87`, and a duplicate also gets a ninjs association
 * {"name": "duplicateOf", "rel": "duplicateOf", "uri": <original>}), route
 * (duplicates go to `route_topic` with the header, via set_route).
 *
 * Shared state: with kafka.bootstrap.servers set (and not in replay mode)
 * every verdict is published to the fingerprint topic and every instance
 * reads that topic from the beginning at start (init waits up to
 * `bootstrap_timeout`) and before every story (see nw_dedup_sync.h). Without
 * it, or in replay mode (--from-file), the index is local to the process.
 *
 * Metrics (when the host offers nw_plugin_api.metric; series carry
 * plugin="<instance>" and add up over workers): newswire_dedup_verdicts_total
 * {verdict}, newswire_dedup_index_stories, newswire_dedup_index_bytes,
 * newswire_dedup_evictions_total{reason=age|capacity},
 * newswire_dedup_index_key_overflows_total,
 * newswire_dedup_remote_fingerprints_total, newswire_dedup_sync_unacked and
 * the histogram newswire_dedup_lookup_seconds. Counters of verdicts and
 * lookups move per story, the rest after every flush (once per batch).
 *
 * Settings (unknown keys are refused): policy (drop|mark|route, default
 * mark), route_topic, threshold (0..1, default 0.55), containment (0..1,
 * default 0.70; 0: resemblance only), window (duration,
 * default 72h), short_words (default 20), max_stories (default 1000000),
 * header (default nw-dedup), fingerprint_topic (default
 * newswire.dedup.fingerprints), fingerprint_partitions (default 1, used
 * when the topic is created), bootstrap_timeout (default 60s), kafka.* (to
 * librdkafka for the fingerprint clients).
 */
#ifndef NW_DEDUP_H
#define NW_DEDUP_H

#include <newswire/plugin.h>
#include <stdbool.h>
#include <stdint.h>

#include "nw_dedup_index.h"
#include "nw_dedup_sync.h"

extern const nw_plugin_descriptor nw_plugin_dedup;

#define NW_DEDUP_DEFAULT_TOPIC "newswire.dedup.fingerprints"

typedef struct nw_dedup_stats {
    uint64_t stories;     /* process() calls that reached a verdict */
    uint64_t verdicts[4]; /* by nw_dedup_kind */
    uint64_t replays;     /* of those, (uri, version) already known */
    uint64_t short_texts; /* decided exact-only */
    uint64_t passed;      /* canceled/withheld: not judged */
    uint64_t dropped, marked, routed;
    uint64_t remote;         /* fingerprints of other instances added from the topic */
    uint64_t lookups;        /* index lookups timed */
    double lookup_median_us; /* from a log2 histogram: within a factor of 1.4 */
    double lookup_mean_us;
    nw_dedup_index_stats index;
    bool shared; /* the fingerprint topic is in use */
    nw_dedup_sync_stats sync;
} nw_dedup_stats;

/* `state` is what nw_plugin_dedup.init returned. Not thread-safe against
 * process(): call it from the thread that runs the chain, or when idle. */
nw_dedup_stats nw_dedup_get_stats(const void *state);

/* The verdict of the last story process() judged (its `of` is copied). */
typedef struct nw_dedup_verdict {
    nw_dedup_kind kind;
    double score;
    char of[512];
} nw_dedup_verdict;
void nw_dedup_last_verdict(const void *state, nw_dedup_verdict *out);

/* Read what the fingerprint topic has (waiting up to wait_ms for the first
 * record); returns how many fingerprints were read. 0 without Kafka. */
size_t nw_dedup_sync_now(void *state, int wait_ms);

/* True when (uri, version) is in this instance's index. */
bool nw_dedup_knows(void *state, const char *uri, const char *version);

#endif
