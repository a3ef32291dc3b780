/*
 * nw_dedup_index — the bounded, time-windowed store of fingerprints that
 * dedup looks stories up in. Memory is allocated once from max_stories
 * (<= NW_DEDUP_INDEX_MAX), except the string ring and the orphan list,
 * which grow. Layout (about 90 bytes per story at 10M stories with uris
 * like "urn:newswire:afp:20151216T004303Z:1e12bb9be1f7ddf5" from several
 * agencies interleaved; bench_dedup prints the breakdown):
 *   records  a FIFO ring of max_stories 49-byte records, one per stored
 *            story version, addressed by a sequence number (cell = seq %
 *            max_stories): 2-bit MinHash signature (16 bytes) and its
 *            extension sig2 (16 bytes), the lead signature (4 bytes), the
 *            word count (2 bytes, for containment), 32 bits of
 *            the exact hash, time, verdict and score, and for an original
 *            that a later record names as `of`, a log-coded bound of how far
 *            that referrer is. No key checks: table slots carry them.
 *   strings  a FIFO byte ring with one entry per record, in blocks of 32
 *            records (the position of each block's first entry is kept in
 *            a block table of 32-bit positions). An entry codes its uri
 *            against the earlier entry of its block that codes it cheapest
 *            (5 bits say which): that entry's uri minus its last bytes plus
 *            new bytes; or with its final hex run replaced; or with a
 *            middle replaced too (an agency, a second) — or, for the first
 *            of a block, alone. New bytes are runs: literal, or hex digits
 *            packed two a byte (lowercase and uppercase runs apart, so they
 *            decode byte-identical). A typical wire uri costs its header
 *            byte and 8 bytes of random hex. Then the version (by default
 *            the previous entry's; a canonical decimal is stored as the
 *            number) and `of`: none, a reference (sequence distance) to the
 *            original's record while that record is in the index, or the
 *            uri inline when it is not (a fingerprint from another instance
 *            naming an original this one never saw or already evicted).
 *            Decoding walks the block from its first entry (at most 32).
 *            A block's bytes are freed when its last record is evicted. The
 *            ring grows by a quarter, but once the average entry is known,
 *            to no more than the index needs full (+3%).
 *   orphans  when an original named by later records is evicted, its uri
 *            is copied to the orphan list (ordered by sequence number) and
 *            kept until every record that may name it is evicted too, so
 *            `of` answers stay the same for as long as the duplicate is
 *            stored (replays decide the same). Out of memory there, such a
 *            duplicate answers "" as its original (counted in orphans_lost).
 *   tables   seven tables (uri, one per LSH band, one per lead band) of buckets of eight
 *            32-bit slots, at most 0.95 full; slot = key check (the top
 *            32 - s bits of the key's hash) | the record's seq modulo 2^s,
 *            2^s >= 3 max_stories (s = 25 and a 7-bit check at 10M). A key
 *            lives in one of two buckets (the second derived from the first
 *            and the check, so entries can be displaced cuckoo-style, at
 *            most 64 times per insert). Tables never delete: a slot whose
 *            seq is not a live record's is stale and free. A slot left
 *            stale for 2 max_stories more insertions (rare: inserts reuse
 *            stale slots) can name a live record again: lookups check every
 *            candidate on its own data (uris compared after decoding,
 *            similarity from its signature), so such a slot costs time and
 *            at most offers a record that does match on its own.
 *            A lookup reads 2 buckets per table and the records whose check
 *            matches. The uri table holds one key per record: the uri for
 *            the newest stored version of a uri, (uri, version) for each
 *            older one (a record flag tells which). A new version takes
 *            over its uri's slot and rekeys the version it supersedes, so a
 *            uri in any number of versions fills no bucket, and get() of
 *            any stored version reads at most 4 buckets (the uri's, then
 *            the version's only when the uri is stored). Band tables keep
 *            the hot-key rule: a band value shared by many stored copies
 *            fills its two buckets with itself, and its oldest entry makes
 *            room (the newest copies stay findable).
 * Eviction: the oldest inserted record goes when its time is older than the
 * newest time seen minus the window, or when the ring is full. Not
 * thread-safe: one index per plugin instance. Never logs, never exits.
 */
#ifndef NW_DEDUP_INDEX_H
#define NW_DEDUP_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_dedup_sketch.h"
#include "nw_err.h"

#define NW_DEDUP_INDEX_MAX ((size_t)16000000) /* table slots keep a check of >= 6 bits */

typedef enum nw_dedup_kind {
    NW_DEDUP_NEW = 0,
    NW_DEDUP_UPDATE = 1,    /* same uri, another version: not a duplicate */
    NW_DEDUP_DUPLICATE = 2, /* same normalized text as `of` */
    NW_DEDUP_NEAR = 3,      /* estimated similarity `score` to `of` */
} nw_dedup_kind;

/* "new", "update", "duplicate", "near-duplicate"; parse returns -1 if unknown. */
const char *nw_dedup_kind_name(nw_dedup_kind k);
int nw_dedup_kind_parse(const char *s, nw_dedup_kind *out);

/* A story version to store (all borrowed for the call). */
typedef struct nw_dedup_fp {
    const char *uri;
    const char *version; /* "" when the story has none */
    int64_t time_s;      /* story time, seconds since the epoch */
    nw_dedup_sketch sk;
    bool short_text; /* matched exactly only (see dedup.h) */
    nw_dedup_kind kind;
    double score;   /* 0..1 */
    const char *of; /* original's uri for DUPLICATE/NEAR, else NULL */
} nw_dedup_fp;

/* A lookup result. `of` points into the index and is valid until the next
 * call on the index. */
typedef struct nw_dedup_hit {
    nw_dedup_kind kind;
    double score;
    const char *of;
    int64_t time_s;
} nw_dedup_hit;

typedef struct nw_dedup_index_stats {
    uint64_t stories;           /* records stored now */
    uint64_t memory_bytes;      /* allocated by the index: the sum of the five below */
    uint64_t record_bytes;      /* the record ring */
    uint64_t table_bytes;       /* the seven tables */
    uint64_t string_ring_bytes; /* string ring allocated + block table */
    uint64_t orphan_bytes;      /* orphan list and its uri copies */
    uint64_t fixed_bytes;       /* the index struct (scratch buffers) */
    uint64_t string_bytes;      /* of the string ring, in use */
    uint64_t orphans;           /* evicted originals kept for their duplicates */
    uint64_t orphans_lost;      /* ... not kept (out of memory) */
    uint64_t inserted;
    uint64_t evicted_age;      /* left the window */
    uint64_t evicted_capacity; /* pushed out because max_stories was reached */
    uint64_t slot_overwrites;  /* both buckets full after 64 displacements: a key was lost */
    int64_t newest_s;          /* the index clock: the newest story time seen */
} nw_dedup_index_stats;

typedef struct nw_dedup_index nw_dedup_index;

/* max_stories in 1..NW_DEDUP_INDEX_MAX; window_s > 0. Caller frees. */
int nw_dedup_index_new(size_t max_stories, int64_t window_s, nw_dedup_index **out, nw_err *err);
void nw_dedup_index_free(nw_dedup_index *idx);

/* The stored verdict of (uri, version), any stored version of uri: 1 and
 * *hit (hit may be NULL) filled when present, 0 when not. *uri_known (may be
 * NULL) tells whether any version of uri is. */
int nw_dedup_index_get(nw_dedup_index *idx, const char *uri, const char *version, nw_dedup_hit *hit,
                       bool *uri_known);

/* What makes a copy (see nw_dedup_index_find). */
#define NW_DEDUP_CONTAINMENT 0.70 /* default containment */
typedef struct nw_dedup_rule {
    double threshold;   /* estimated resemblance (Jaccard) that makes a copy */
    double containment; /* estimated containment of a shorter text; 0: not used */
} nw_dedup_rule;

/* The best earlier story of another uri that `sk` copies: 1 with *hit =
 * DUPLICATE (same exact hash and signature, score 1) or NEAR, 0 when none.
 * NEAR is decided on two measures and the length ratio, score the measure
 * that decided (the highest score wins; ties go to the older story):
 *   resemblance  estimated Jaccard similarity >= threshold (+ 0.10 when
 *                either text is numeric: template stories), on 128 MinHash
 *                values when both sketches have the extension, else 64;
 *   containment  the new text has at least 40 words and 25% to 90% of the
 *                old one's (a copy that cut the tail), neither is numeric,
 *                resemblance >= 0.25, and its estimated containment in the
 *                old one (nw_dedup_containment) >= rule->containment; or,
 *                when both have the same lead (lead resemblance >= 0.6, see
 *                nw_dedup_sketch.h), resemblance >= 0.2 and containment >=
 *                rule->containment - 0.15. A longer
 *                or same-length text is never judged by containment, so a
 *                day-two story quoting a few paragraphs, or a template story
 *                of the same size, has to resemble.
 * Candidates come from the 4 whole-text bands and the 2 lead bands. Short
 * texts (either side) only match exactly. `of` names the root original: a
 * match that is itself a duplicate gives its own `of`. */
int nw_dedup_index_find(nw_dedup_index *idx, const nw_dedup_sketch *sk, bool short_text,
                        const char *uri, const nw_dedup_rule *rule, nw_dedup_hit *hit);

/* nw_dedup_index_find with {threshold, NW_DEDUP_CONTAINMENT}. */
int nw_dedup_index_match(nw_dedup_index *idx, const nw_dedup_sketch *sk, bool short_text,
                         const char *uri, double threshold, nw_dedup_hit *hit);

/* Store a story version (advances the clock to fp->time_s if newer, then
 * evicts). Returns 0, 1 when (uri, version) was already stored (nothing
 * changes), or NW_ENOMEM / NW_EINVAL (strings over 65535 bytes). */
int nw_dedup_index_add(nw_dedup_index *idx, const nw_dedup_fp *fp, nw_err *err);

/* Evict by age against the clock max(clock, now_s). */
void nw_dedup_index_advance(nw_dedup_index *idx, int64_t now_s);

nw_dedup_index_stats nw_dedup_index_get_stats(const nw_dedup_index *idx);

#endif
