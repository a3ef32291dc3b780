/*
 * nw_dedup_sketch — the fingerprint of one normalized text: an exact hash
 * (XXH3-128 of the normalized bytes), a MinHash signature over word
 * 5-shingles (64 hash functions) kept as 4 full 32-bit values (the LSH keys,
 * one per band of one row) plus 64 b-bit values (2 bits each, 16 bytes) from
 * which the Jaccard similarity of two texts is estimated. Also a 64-bit
 * SimHash over the same shingles, used only by the quality test to compare
 * the two methods. Pure functions; the hash constants are fixed, so sketches
 * made by different instances and versions with the same NW_DEDUP_SKETCH_V
 * compare (it travels as "v" in every fingerprint record; nw_dedup_sync skips
 * records of another version). v2: one pass over the text hashes each word in
 * place and rolls the shingle hash as a polynomial of the last 5 word hashes
 * (v1 hashed words and shingles with XXH3). A text where at least 1 word in 5
 * carries a digit is flagged `numeric`: template stories (earnings, results,
 * balances) differ mostly in their numbers, so the index asks more similarity
 * of them.
 *
 * The lead: a second, small MinHash over the first NW_DEDUP_LEAD shingles
 * only (16 functions of their own: 2 kept whole as LSH keys, 16 x 2 bits as
 * a signature). A copy that keeps the first paragraphs and cuts the tail
 * (the inverted pyramid makes that the most common edit) has the lead of
 * its original, so the lead finds it even when the copy keeps too little of
 * the whole text for the whole-text bands; with `words` it also tells the
 * index that the copy is contained in the original (see nw_dedup_index.h).
 * The extension: 64 more MinHash functions (sig2, 2 bits each) so that
 * two texts that both have it are compared on 128 values (half the
 * variance: the containment estimate needs it), and the lead. Added after
 * v2 without changing the v2 sketch: a fingerprint record without the
 * extension (an older instance's) still compares on the 64.
 */
#ifndef NW_DEDUP_SKETCH_H
#define NW_DEDUP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define NW_DEDUP_SKETCH_V 2 /* bumped when the sketch of a text changes */
#define NW_DEDUP_SHINGLE  5 /* words per shingle */
#ifndef NW_DEDUP_PERMS
#define NW_DEDUP_PERMS 64 /* MinHash functions */
#endif
#ifndef NW_DEDUP_BANDS
#define NW_DEDUP_BANDS 4 /* LSH bands (one 32-bit MinHash each) */
#endif
#define NW_DEDUP_SIG_BYTES  (NW_DEDUP_PERMS / 4) /* NW_DEDUP_PERMS x 2 bits */
#define NW_DEDUP_PERMS2     64                   /* MinHash functions of sig2 */
#define NW_DEDUP_SIG2_BYTES (NW_DEDUP_PERMS2 / 4)
#define NW_DEDUP_LEAD       64 /* shingles of the lead */
#define NW_DEDUP_LEAD_PERMS 16 /* MinHash functions of the lead */
#define NW_DEDUP_LEAD_BANDS 2  /* of them kept whole as LSH keys */
#define NW_DEDUP_LEAD_BYTES (NW_DEDUP_LEAD_PERMS / 4)

typedef struct nw_dedup_sketch {
    uint64_t exact_hi, exact_lo;       /* XXH3-128 of the normalized text */
    uint32_t bands[NW_DEDUP_BANDS];    /* LSH keys */
    uint8_t sig[NW_DEDUP_SIG_BYTES];   /* 2-bit MinHash signature */
    uint32_t words;                    /* words in the text */
    uint8_t numeric;                   /* 1: >= 20% of the words have a digit (tables, results) */
    uint8_t has_ext;                   /* 1: sig2 and the lead are set (0: a record without) */
    uint8_t sig2[NW_DEDUP_SIG2_BYTES]; /* 2-bit values of 64 more MinHash functions */
    uint32_t lead_bands[NW_DEDUP_LEAD_BANDS]; /* LSH keys of the lead */
    uint8_t lead_sig[NW_DEDUP_LEAD_BYTES];    /* 2-bit MinHash signature of the lead */
} nw_dedup_sketch;

/* Sketch of norm[0..len) (words separated by single spaces, as
 * nw_dedup_norm makes them). A text shorter than a shingle is one shingle;
 * an empty text gives an all-zero sketch with words 0. */
void nw_dedup_sketch_compute(const char *norm, size_t len, nw_dedup_sketch *out);

/* Estimated Jaccard similarity of the shingle sets behind two 2-bit
 * signatures: matches m of 64, J = (m/64 - 1/4) / (3/4), clamped to [0, 1]. */
double nw_dedup_sig_similarity(const uint8_t *a, const uint8_t *b);

/* The same estimate for two 2-bit signatures of nbytes bytes (4 values a
 * byte), e.g. the lead signatures. */
double nw_dedup_bbit_similarity(const uint8_t *a, const uint8_t *b, size_t nbytes);

/* The estimate over sig and sig2 (128 values) when both sketches have the
 * extension, else over sig; a and b as stored (sig2 may be NULL: absent). */
double nw_dedup_sig2_similarity(const uint8_t *sig_a, const uint8_t *sig2_a, const uint8_t *sig_b,
                                const uint8_t *sig2_b);

/* Estimated containment of a new text in an old one: the share of the new
 * text's shingles that the old one has, from their estimated Jaccard
 * similarity j and their word counts (|A n B| = j (|A| + |B|) / (1 + j),
 * shingles = words - 4). Clamped to [0, 1]; 0 when a count is 0. */
double nw_dedup_containment(double j, uint32_t words_new, uint32_t words_old);

/* Exact Jaccard similarity of the shingle sets of two normalized texts
 * (test and measurement use; allocates, returns -1 when out of memory). */
double nw_dedup_jaccard(const char *a, size_t alen, const char *b, size_t blen);

/* Exact containment of the shingle set of a in that of b: the share of a's
 * shingles that b has (same use and errors as nw_dedup_jaccard). */
double nw_dedup_contained(const char *a, size_t alen, const char *b, size_t blen);

/* 64-bit SimHash of the shingles (for the method comparison). */
uint64_t nw_dedup_simhash(const char *norm, size_t len);

#endif
