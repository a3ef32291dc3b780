/*
 * nw_dedup_sketch — MinHash (multiply-shift hash family over 64-bit shingle
 * hashes), b-bit signature, exact hash and SimHash. See nw_dedup_sketch.h.
 */
#include "nw_dedup_sketch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Odd multipliers and addends from a fixed splitmix64 sequence: sig's 64
 * (the v2 sketch), the lead's 16, then sig2's 64. */
#define ALL_PERMS (NW_DEDUP_PERMS + NW_DEDUP_PERMS2) /* sig's, then sig2's */
static uint64_t mul[ALL_PERMS], add[ALL_PERMS];
/* the lead's: the same sequence, continued */
static uint64_t lmul[NW_DEDUP_LEAD_PERMS], ladd[NW_DEDUP_LEAD_PERMS];
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void make_consts(void)
{
    uint64_t s = 0x6e6577737769726full; /* "newswiro" */
    for (int i = 0; i < NW_DEDUP_PERMS; i++) {
        mul[i] = splitmix(&s) | 1;
        add[i] = splitmix(&s);
    }
    for (int i = 0; i < NW_DEDUP_LEAD_PERMS; i++) {
        lmul[i] = splitmix(&s) | 1;
        ladd[i] = splitmix(&s);
    }
    for (int i = NW_DEDUP_PERMS; i < ALL_PERMS; i++) {
        mul[i] = splitmix(&s) | 1;
        add[i] = splitmix(&s);
    }
}

static void init_consts(void)
{
    pthread_once(&consts_once, make_consts);
}

/* ------------------------------------------------------------ shingles */

/* 64-bit finalizer (the murmur3 fmix64 constants): a bijection whose
 * output bits each depend on every input bit. */
static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

#define WORD_MUL  0x9E3779B97F4A7C15ull /* odd: (x * WORD_MUL) is a bijection */
#define SHING_MUL 0xD6E8FEB86659FD93ull /* base of the shingle polynomial */
#define SHORT_TAG 0x5bd1e9955bd1e995ull /* marks a text shorter than a shingle */

/* SHING_MUL^(NW_DEDUP_SHINGLE-1), the weight of the word leaving the window */
static inline uint64_t shing_top(void)
{
    uint64_t p = 1;
    for (int i = 1; i < NW_DEDUP_SHINGLE; i++)
        p *= SHING_MUL;
    return p;
}

/* What one pass over a normalized text counts besides the shingles. */
typedef struct scan_counts {
    size_t words, digit_words;
} scan_counts;

/* Up to 8 bytes of p as one 64-bit lane, byte k in bits 8k..8k+7, the
 * rest 0. */
static inline uint64_t load_lane(const char *p, size_t n)
{
    uint64_t v = 0;
    if (n == 8)
        memcpy(&v, p, 8); /* one load, no call */
    else
        for (size_t k = 0; k < n; k++)
            v |= (uint64_t)(unsigned char)p[k] << (8 * k);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (n == 8)
        v = __builtin_bswap64(v);
#endif
    return v;
}

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* High bit set in the lowest byte of x that is a space (bytes above it
 * may be marked too), 0 when none is. */
static inline uint64_t space_bytes(uint64_t x)
{
    uint64_t v = x ^ (BYTES_01 * ' ');
    return (v - BYTES_01) & ~v & BYTES_80;
}

/* Nonzero when a byte of x is an ASCII digit. */
static inline uint64_t digit_bytes(uint64_t x)
{
    uint64_t t = x ^ (BYTES_01 * '0'); /* a digit: a byte below 10 */
    return ~((t | BYTES_80) - BYTES_01 * 10) & ~t & BYTES_80;
}

/* The one pass: splits norm[0..len) at spaces, hashes every word as it
 * goes (its bytes read 8 at a time as a 64-bit lane, lanes folded by
 * multiply-rotate, the length mixed in, no copy), and calls fn(h, ctx) for
 * every shingle: h = fmix64 of the polynomial sum_k word_k *
 * SHING_MUL^(SHINGLE-1-k) over the last NW_DEDUP_SHINGLE word hashes, kept
 * rolling (one multiply-add per word). A text with fewer words than a
 * shingle is one shingle. Also counts words and words with a digit (both
 * counting empty segments, as "a  b" has 3). Inlined into each caller so fn
 * is a direct call. */
static inline __attribute__((always_inline)) void scan_shingles(const char *norm, size_t len,
                                                                void (*fn)(uint64_t, void *),
                                                                void *ctx, scan_counts *cnt)
{
    const uint64_t top = shing_top();
    uint64_t ring[NW_DEDUP_SHINGLE];
    uint64_t poly = 0;
    size_t n = 0, slot = 0, words = 0, digit_words = 0;
    for (size_t i = 0; i <= len;) {
        /* the word at i: whole lanes, then the last (partial) one */
        uint64_t wh = 0, lane, digits = 0;
        size_t e = i;
        for (;;) {
            size_t take = len - e < 8 ? len - e : 8;
            uint64_t x = load_lane(norm + e, take), sp = space_bytes(x);
            if (sp) {
                size_t k = (size_t)__builtin_ctzll(sp) / 8;
                lane = k ? x & (~0ull >> (64 - 8 * k)) : 0;
                e += k;
                break;
            }
            if (take < 8) {
                lane = x;
                e += take;
                break;
            }
            digits |= digit_bytes(x);
            wh = (wh ^ x) * WORD_MUL;
            wh = wh << 27 | wh >> 37;
            e += 8;
        }
        size_t wlen = e - i;
        i = e + 1;
        words++;
        digit_words += (digits | digit_bytes(lane)) != 0;
        if (!wlen)
            continue;
        uint64_t w = ((wh ^ lane) + wlen) * WORD_MUL;
        w ^= w >> 32;
        if (n >= NW_DEDUP_SHINGLE)
            poly -= ring[slot] * top;
        poly = poly * SHING_MUL + w;
        ring[slot] = w;
        slot = slot + 1 == NW_DEDUP_SHINGLE ? 0 : slot + 1;
        n++;
        if (n >= NW_DEDUP_SHINGLE)
            fn(fmix64(poly), ctx);
    }
    if (n > 0 && n < NW_DEDUP_SHINGLE)
        fn(fmix64(poly ^ SHORT_TAG), ctx);
    if (cnt) {
        cnt->words = len ? words : 0;
        cnt->digit_words = digit_words;
    }
}

static void for_each_shingle(const char *norm, size_t len, void (*fn)(uint64_t, void *), void *ctx)
{
    scan_shingles(norm, len, fn, ctx, NULL);
}

/* Hash i of a shingle: multiply-add-shift, (h*m_i + c_i) >> 32. (A
 * multilinear variant over 32-bit halves vectorizes better but measured
 * worse precision/recall on the quality corpus, so it was not kept.)
 * Shingle hashes are buffered and folded by one loop the compiler
 * vectorizes: for each group of MH_GROUP functions, every buffered shingle,
 * the group's minima held in registers; on x86-64 it is built for AVX-512
 * (vpmullq), AVX2 and the baseline and the best one is picked at load time.
 * All variants compute the same integers. */
#define MH_BUF   512 /* shingle hashes buffered before a fold */
#define MH_GROUP 16  /* functions folded together */

_Static_assert(MH_BUF >= NW_DEDUP_LEAD, "the lead is folded from the first buffer");
_Static_assert(ALL_PERMS % MH_GROUP == 0 && NW_DEDUP_LEAD_PERMS % MH_GROUP == 0,
               "whole groups of functions");

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define MH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MH_CLONES
#endif

/* min[i] = min(min[i], hash i of hs[j] for every j), for nperms functions
 * (a multiple of MH_GROUP). */
MH_CLONES static void mh_fold(const uint64_t *hs, size_t n, const uint64_t *restrict m,
                              const uint64_t *restrict a, uint32_t *restrict min, int nperms)
{
    for (int g = 0; g < nperms; g += MH_GROUP) {
        uint32_t lo[MH_GROUP];
        memcpy(lo, min + g, sizeof lo);
        for (size_t j = 0; j < n; j++) {
            uint64_t h = hs[j];
            for (int i = 0; i < MH_GROUP; i++) {
                uint32_t v = (uint32_t)((h * m[g + i] + a[g + i]) >> 32);
                lo[i] = v < lo[i] ? v : lo[i];
            }
        }
        memcpy(min + g, lo, sizeof lo);
    }
}

typedef struct mh_ctx {
    uint32_t min[ALL_PERMS];
    uint32_t lmin[NW_DEDUP_LEAD_PERMS]; /* over the first NW_DEDUP_LEAD shingles */
    uint64_t buf[MH_BUF];
    size_t nbuf;
    size_t count; /* shingles folded before the buffered ones */
} mh_ctx;

static void mh_flush(mh_ctx *c)
{
    if (!c->count) /* the first buffer holds the lead */
        mh_fold(c->buf, c->nbuf < NW_DEDUP_LEAD ? c->nbuf : NW_DEDUP_LEAD, lmul, ladd, c->lmin,
                NW_DEDUP_LEAD_PERMS);
    mh_fold(c->buf, c->nbuf, mul, add, c->min, ALL_PERMS);
    c->count += c->nbuf;
    c->nbuf = 0;
}

static void mh_add(uint64_t h, void *p)
{
    mh_ctx *c = p;
    c->buf[c->nbuf++] = h;
    if (c->nbuf == MH_BUF)
        mh_flush(c);
}

void nw_dedup_sketch_compute(const char *norm, size_t len, nw_dedup_sketch *out)
{
    init_consts();
    memset(out, 0, sizeof *out);
    XXH128_hash_t x = XXH3_128bits(norm, len);
    out->exact_hi = x.high64;
    out->exact_lo = x.low64;
    mh_ctx c;
    memset(c.min, 0xff, sizeof c.min);
    memset(c.lmin, 0xff, sizeof c.lmin);
    c.count = 0;
    c.nbuf = 0;
    scan_counts cnt;
    scan_shingles(norm, len, mh_add, &c, &cnt);
    if (c.nbuf)
        mh_flush(&c);
    out->words = (uint32_t)cnt.words;
    out->numeric = len && cnt.digit_words * 5 >= cnt.words;
    if (!c.count)
        return;
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        out->bands[b] = c.min[b];
    for (int i = 0; i < NW_DEDUP_PERMS; i++)
        out->sig[i / 4] |= (uint8_t)((c.min[i] & 3u) << ((i % 4) * 2));
    out->has_ext = 1;
    for (int i = 0; i < NW_DEDUP_PERMS2; i++)
        out->sig2[i / 4] |= (uint8_t)((c.min[NW_DEDUP_PERMS + i] & 3u) << ((i % 4) * 2));
    for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
        out->lead_bands[b] = c.lmin[b];
    for (int i = 0; i < NW_DEDUP_LEAD_PERMS; i++)
        out->lead_sig[i / 4] |= (uint8_t)((c.lmin[i] & 3u) << ((i % 4) * 2));
}

double nw_dedup_bbit_similarity(const uint8_t *a, const uint8_t *b, size_t nbytes)
{
    int match = 0;
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t x = (uint8_t)(a[i] ^ b[i]);
        /* a 2-bit lane matches when both of its bits are 0 */
        uint8_t lane = (uint8_t)(~(x | (x >> 1)) & 0x55);
        match += __builtin_popcount(lane);
    }
    double p = match / (double)(nbytes * 4);
    double j = (p - 0.25) / 0.75;
    return j < 0 ? 0 : j > 1 ? 1 : j;
}

double nw_dedup_sig_similarity(const uint8_t *a, const uint8_t *b)
{
    return nw_dedup_bbit_similarity(a, b, NW_DEDUP_SIG_BYTES);
}

double nw_dedup_sig2_similarity(const uint8_t *sig_a, const uint8_t *sig2_a, const uint8_t *sig_b,
                                const uint8_t *sig2_b)
{
    if (!sig2_a || !sig2_b)
        return nw_dedup_sig_similarity(sig_a, sig_b);
    uint8_t a[NW_DEDUP_SIG_BYTES + NW_DEDUP_SIG2_BYTES], b[sizeof a];
    memcpy(a, sig_a, NW_DEDUP_SIG_BYTES);
    memcpy(a + NW_DEDUP_SIG_BYTES, sig2_a, NW_DEDUP_SIG2_BYTES);
    memcpy(b, sig_b, NW_DEDUP_SIG_BYTES);
    memcpy(b + NW_DEDUP_SIG_BYTES, sig2_b, NW_DEDUP_SIG2_BYTES);
    return nw_dedup_bbit_similarity(a, b, sizeof a);
}

double nw_dedup_containment(double j, uint32_t words_new, uint32_t words_old)
{
    if (!words_new || !words_old)
        return 0;
    double b = words_new > NW_DEDUP_SHINGLE ? words_new - (NW_DEDUP_SHINGLE - 1) : 1;
    double a = words_old > NW_DEDUP_SHINGLE ? words_old - (NW_DEDUP_SHINGLE - 1) : 1;
    double c = j * (a + b) / ((1 + j) * b);
    return c < 0 ? 0 : c > 1 ? 1 : c;
}

/* ------------------------------------------------------ exact Jaccard */

typedef struct set_ctx {
    uint64_t *v;
    size_t n, cap;
    bool oom;
} set_ctx;

static void set_add(uint64_t h, void *p)
{
    set_ctx *s = p;
    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t uniq(uint64_t *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

/* Exact Jaccard similarity (containment: false) or containment of a in b
 * (true) of the shingle sets of two normalized texts. */
static double exact_measure(const char *a, size_t alen, const char *b, size_t blen,
                            bool containment)
{
    set_ctx sa = {0}, sb = {0};
    for_each_shingle(a, alen, set_add, &sa);
    for_each_shingle(b, blen, set_add, &sb);
    double j = -1;
    if (!sa.oom && !sb.oom) {
        size_t na = uniq(sa.v, sa.n), nb = uniq(sb.v, sb.n), inter = 0;
        for (size_t i = 0, k = 0; i < na && k < nb;) {
            if (sa.v[i] == sb.v[k])
                inter++, i++, k++;
            else if (sa.v[i] < sb.v[k])
                i++;
            else
                k++;
        }
        size_t den = containment ? na : na + nb - inter;
        j = den ? (double)inter / (double)den : 1.0;
    }
    free(sa.v);
    free(sb.v);
    return j;
}

double nw_dedup_jaccard(const char *a, size_t alen, const char *b, size_t blen)
{
    return exact_measure(a, alen, b, blen, false);
}

double nw_dedup_contained(const char *a, size_t alen, const char *b, size_t blen)
{
    return exact_measure(a, alen, b, blen, true);
}

/* ------------------------------------------------------------ SimHash */

typedef struct sim_ctx {
    int32_t acc[64];
} sim_ctx;

static void sim_add(uint64_t h, void *p)
{
    sim_ctx *c = p;
    for (int i = 0; i < 64; i++)
        c->acc[i] += (h >> i) & 1 ? 1 : -1;
}

uint64_t nw_dedup_simhash(const char *norm, size_t len)
{
    sim_ctx c;
    memset(&c, 0, sizeof c);
    for_each_shingle(norm, len, sim_add, &c);
    uint64_t h = 0;
    for (int i = 0; i < 64; i++)
        if (c.acc[i] > 0)
            h |= 1ull << i;
    return h;
}
