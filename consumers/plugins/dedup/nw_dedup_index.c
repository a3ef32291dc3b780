/*
 * nw_dedup_index — record ring, string ring and the five bounded-window
 * hash tables. See nw_dedup_index.h for the layout and its invariants.
 */
#include "nw_dedup_index.h"

#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define NTABLES        (1 + NW_DEDUP_BANDS) /* 0 = uri, 1.. = bands */
#define WINDOW         32
#define MAX_CANDIDATES 128
#define REC_LIVE       0x80
#define REC_SHORT      0x04
#define REC_NUMERIC    0x08
#define NUMERIC_EXTRA  0.10 /* added to the threshold when either text is numeric */

typedef struct rec {
    uint8_t sig[NW_DEDUP_SIG_BYTES];
    uint32_t exact32;
    uint32_t time_s;
    uint32_t str_pos;     /* low 32 bits of the logical position in the string ring */
    uint8_t chk[NTABLES]; /* check byte of this record's key in each table */
    uint8_t flags;        /* kind (2 bits) | REC_SHORT | REC_LIVE */
    uint8_t score;        /* 0..100 */
    uint8_t words_log;    /* unused by lookups; keeps the struct at 36 bytes */
} rec;

struct nw_dedup_index {
    rec *recs;
    size_t cap, head, count;
    uint32_t *tables[NTABLES];
    size_t tsize; /* slots per table */
    char *str;    /* string ring, power-of-two size */
    size_t str_cap;
    uint64_t str_head, str_tail; /* logical positions */
    int64_t window_s, clock_s;
    nw_dedup_index_stats st;
    char scratch[3][65536 + 1]; /* uri, version, of of one record, unwrapped */
};

_Static_assert(NW_DEDUP_PERMS != 64 || NW_DEDUP_BANDS != 4 || sizeof(rec) == 36,
               "a record is 36 bytes");

const char *nw_dedup_kind_name(nw_dedup_kind k)
{
    switch (k) {
    case NW_DEDUP_NEW: return "new";
    case NW_DEDUP_UPDATE: return "update";
    case NW_DEDUP_DUPLICATE: return "duplicate";
    case NW_DEDUP_NEAR: return "near-duplicate";
    }
    return "new";
}

int nw_dedup_kind_parse(const char *s, nw_dedup_kind *out)
{
    for (int k = 0; k < 4; k++)
        if (s && !strcmp(s, nw_dedup_kind_name((nw_dedup_kind)k)))
            return *out = (nw_dedup_kind)k, 0;
    return -1;
}

/* ------------------------------------------------------------- lifetime */

int nw_dedup_index_new(size_t max_stories, int64_t window_s, nw_dedup_index **out, nw_err *err)
{
    *out = NULL;
    if (max_stories < 1 || max_stories > NW_DEDUP_INDEX_MAX || window_s <= 0)
        return nw_err_set(err, NW_EINVAL, "max_stories must be 1..%zu and the window > 0",
                          NW_DEDUP_INDEX_MAX);
    nw_dedup_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    idx->cap = max_stories;
    idx->tsize = max_stories + max_stories / 4 + WINDOW;
    idx->window_s = window_s;
    idx->str_cap = 4096;
    idx->recs = calloc(idx->cap, sizeof *idx->recs);
    idx->str = malloc(idx->str_cap);
    bool ok = idx->recs && idx->str;
    for (int t = 0; t < NTABLES && ok; t++)
        ok = (idx->tables[t] = calloc(idx->tsize, sizeof(uint32_t))) != NULL;
    if (!ok) {
        nw_dedup_index_free(idx);
        return nw_err_set(err, NW_ENOMEM, "out of memory for an index of %zu stories", max_stories);
    }
    *out = idx;
    return 0;
}

void nw_dedup_index_free(nw_dedup_index *idx)
{
    if (!idx)
        return;
    for (int t = 0; t < NTABLES; t++)
        free(idx->tables[t]);
    free(idx->recs);
    free(idx->str);
    free(idx);
}

/* --------------------------------------------------------- string ring */

static void ring_write(nw_dedup_index *idx, uint64_t pos, const void *src, size_t n)
{
    size_t off = (size_t)(pos & (idx->str_cap - 1)), first = idx->str_cap - off;
    if (first > n)
        first = n;
    memcpy(idx->str + off, src, first);
    memcpy(idx->str, (const char *)src + first, n - first);
}

static void ring_read(const nw_dedup_index *idx, uint64_t pos, void *dst, size_t n)
{
    size_t off = (size_t)(pos & (idx->str_cap - 1)), first = idx->str_cap - off;
    if (first > n)
        first = n;
    memcpy(dst, idx->str + off, first);
    memcpy((char *)dst + first, idx->str, n - first);
}

static int ring_reserve(nw_dedup_index *idx, size_t need)
{
    if (idx->str_tail - idx->str_head + need <= idx->str_cap)
        return 0;
    size_t cap = idx->str_cap;
    while (idx->str_tail - idx->str_head + need > cap)
        cap *= 2;
    if (cap > ((size_t)1 << 31))
        return -1; /* positions are kept in 32 bits */
    char *ns = malloc(cap);
    if (!ns)
        return -1;
    size_t used = (size_t)(idx->str_tail - idx->str_head);
    char *tmp = malloc(used ? used : 1);
    if (!tmp) {
        free(ns);
        return -1;
    }
    ring_read(idx, idx->str_head, tmp, used);
    free(idx->str);
    idx->str = ns;
    idx->str_cap = cap;
    ring_write(idx, idx->str_head, tmp, used);
    free(tmp);
    return 0;
}

/* Logical position of a record's strings from its 32 stored bits. */
static uint64_t rec_pos(const nw_dedup_index *idx, const rec *r)
{
    return idx->str_head + (uint32_t)(r->str_pos - (uint32_t)idx->str_head);
}

/* Lengths of the three strings at pos; returns the entry size. */
static size_t entry_lens(const nw_dedup_index *idx, uint64_t pos, uint16_t len[3])
{
    ring_read(idx, pos, len, 3 * sizeof(uint16_t));
    return 6 + (size_t)len[0] + len[1] + len[2];
}

/* String k (0 uri, 1 version, 2 of) of a record, unwrapped into scratch[k]. */
static const char *rec_string(nw_dedup_index *idx, const rec *r, int k)
{
    uint16_t len[3];
    uint64_t pos = rec_pos(idx, r);
    entry_lens(idx, pos, len);
    pos += 6;
    for (int i = 0; i < k; i++)
        pos += len[i];
    ring_read(idx, pos, idx->scratch[k], len[k]);
    idx->scratch[k][len[k]] = '\0';
    return idx->scratch[k];
}

/* ------------------------------------------------------------- tables */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t uri_hash(const char *uri)
{
    return XXH3_64bits(uri, strlen(uri));
}

static uint64_t band_hash(int band, uint32_t key)
{
    return mix64(((uint64_t)(band + 1) << 32) | key);
}

static size_t home_of(const nw_dedup_index *idx, uint64_t h)
{
    return (size_t)(((h & 0xffffffffu) * (uint64_t)idx->tsize) >> 32);
}

static uint8_t check_of(uint64_t h)
{
    return (uint8_t)(h >> 56);
}

static bool rec_live(const rec *r)
{
    return r->flags & REC_LIVE;
}

/* The record a slot points to when it is live for table t, else NULL. */
static rec *slot_rec(nw_dedup_index *idx, int t, uint32_t slot)
{
    if (!slot)
        return NULL;
    size_t i = (slot & 0xffffffu) - 1;
    if (i >= idx->cap)
        return NULL;
    rec *r = &idx->recs[i];
    return rec_live(r) && r->chk[t] == (uint8_t)(slot >> 24) ? r : NULL;
}

static void table_put(nw_dedup_index *idx, int t, uint64_t h, size_t ri)
{
    uint32_t *tab = idx->tables[t];
    size_t home = home_of(idx, h), victim = home;
    uint32_t entry = ((uint32_t)check_of(h) << 24) | (uint32_t)(ri + 1);
    uint32_t oldest = UINT32_MAX;
    for (size_t k = 0; k < WINDOW; k++) {
        size_t s = (home + k) % idx->tsize;
        rec *r = slot_rec(idx, t, tab[s]);
        if (!r) {
            tab[s] = entry;
            return;
        }
        if (r->time_s < oldest) {
            oldest = r->time_s;
            victim = s;
        }
    }
    tab[victim] = entry;
    idx->st.slot_overwrites++;
}

/* ------------------------------------------------------------ eviction */

static void evict_head(nw_dedup_index *idx)
{
    rec *r = &idx->recs[idx->head];
    uint16_t len[3];
    idx->str_head += entry_lens(idx, idx->str_head, len);
    r->flags = 0;
    idx->head = (idx->head + 1) % idx->cap;
    idx->count--;
}

void nw_dedup_index_advance(nw_dedup_index *idx, int64_t now_s)
{
    if (now_s > idx->clock_s)
        idx->clock_s = now_s;
    int64_t cutoff = idx->clock_s - idx->window_s;
    while (idx->count && (int64_t)idx->recs[idx->head].time_s < cutoff) {
        evict_head(idx);
        idx->st.evicted_age++;
    }
}

/* --------------------------------------------------------------- lookup */

int nw_dedup_index_get(nw_dedup_index *idx, const char *uri, const char *version, nw_dedup_hit *hit,
                       bool *uri_known)
{
    if (uri_known)
        *uri_known = false;
    uint64_t h = uri_hash(uri);
    uint32_t *tab = idx->tables[0];
    size_t home = home_of(idx, h);
    uint8_t chk = check_of(h);
    for (size_t k = 0; k < WINDOW; k++) {
        uint32_t slot = tab[(home + k) % idx->tsize];
        if (!slot)
            break;
        if ((uint8_t)(slot >> 24) != chk)
            continue;
        rec *r = slot_rec(idx, 0, slot);
        if (!r || strcmp(rec_string(idx, r, 0), uri))
            continue;
        if (uri_known)
            *uri_known = true;
        if (strcmp(rec_string(idx, r, 1), version))
            continue;
        hit->kind = (nw_dedup_kind)(r->flags & 3);
        hit->score = r->score / 100.0;
        hit->of = hit->kind >= NW_DEDUP_DUPLICATE ? rec_string(idx, r, 2) : NULL;
        hit->time_s = r->time_s;
        return 1;
    }
    return 0;
}

int nw_dedup_index_match(nw_dedup_index *idx, const nw_dedup_sketch *sk, bool short_text,
                         const char *uri, double threshold, nw_dedup_hit *hit)
{
    if (!sk->words)
        return 0;
    size_t seen[MAX_CANDIDATES], nseen = 0;
    rec *best = NULL;
    double best_score = -1;
    bool best_exact = false;
    uint32_t exact32 = (uint32_t)sk->exact_lo;
    for (int b = 0; b < NW_DEDUP_BANDS; b++) {
        uint64_t h = band_hash(b, sk->bands[b]);
        uint32_t *tab = idx->tables[1 + b];
        size_t home = home_of(idx, h);
        uint8_t chk = check_of(h);
        for (size_t k = 0; k < WINDOW; k++) {
            uint32_t slot = tab[(home + k) % idx->tsize];
            if (!slot)
                break;
            if ((uint8_t)(slot >> 24) != chk)
                continue;
            rec *r = slot_rec(idx, 1 + b, slot);
            if (!r)
                continue;
            size_t ri = (size_t)(r - idx->recs);
            bool dup = false;
            for (size_t i = 0; i < nseen && !dup; i++)
                dup = seen[i] == ri;
            if (dup)
                continue;
            if (nseen < MAX_CANDIDATES)
                seen[nseen++] = ri;
            bool exact = r->exact32 == exact32 && !memcmp(r->sig, sk->sig, sizeof r->sig);
            double score;
            if (exact)
                score = 1.0;
            else if (short_text || (r->flags & REC_SHORT))
                continue;
            else if ((score = nw_dedup_sig_similarity(r->sig, sk->sig)) <
                     threshold + (sk->numeric || (r->flags & REC_NUMERIC) ? NUMERIC_EXTRA : 0))
                continue;
            bool better =
                (exact && !best_exact) ||
                (exact == best_exact &&
                 (score > best_score || (score == best_score && best && r->time_s < best->time_s)));
            if (!better)
                continue;
            if (!strcmp(rec_string(idx, r, 0), uri))
                continue; /* another version of the same story: an update */
            best = r;
            best_score = score;
            best_exact = exact;
        }
    }
    if (!best)
        return 0;
    nw_dedup_kind bk = (nw_dedup_kind)(best->flags & 3);
    hit->kind = best_exact ? NW_DEDUP_DUPLICATE : NW_DEDUP_NEAR;
    hit->score = best_score;
    hit->of = rec_string(idx, best, bk >= NW_DEDUP_DUPLICATE ? 2 : 0);
    hit->time_s = best->time_s;
    return 1;
}

/* ---------------------------------------------------------------- insert */

int nw_dedup_index_add(nw_dedup_index *idx, const nw_dedup_fp *fp, nw_err *err)
{
    nw_dedup_hit old;
    if (nw_dedup_index_get(idx, fp->uri, fp->version, &old, NULL))
        return 1;
    const char *of = fp->kind >= NW_DEDUP_DUPLICATE && fp->of ? fp->of : "";
    size_t len[3] = {strlen(fp->uri), strlen(fp->version), strlen(of)};
    if (len[0] > 65535 || len[1] > 65535 || len[2] > 65535)
        return nw_err_set(err, NW_EINVAL, "uri or version longer than 65535 bytes");
    int64_t t = fp->time_s < 1 ? 1 : fp->time_s > UINT32_MAX ? UINT32_MAX : fp->time_s;
    nw_dedup_index_advance(idx, t);
    if (idx->count == idx->cap) {
        evict_head(idx);
        idx->st.evicted_capacity++;
    }
    size_t need = 6 + len[0] + len[1] + len[2];
    if (ring_reserve(idx, need) < 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory for the dedup string ring");
    uint16_t l16[3] = {(uint16_t)len[0], (uint16_t)len[1], (uint16_t)len[2]};
    uint64_t pos = idx->str_tail;
    ring_write(idx, pos, l16, sizeof l16);
    ring_write(idx, pos + 6, fp->uri, len[0]);
    ring_write(idx, pos + 6 + len[0], fp->version, len[1]);
    ring_write(idx, pos + 6 + len[0] + len[1], of, len[2]);
    idx->str_tail += need;

    size_t ri = (idx->head + idx->count) % idx->cap;
    rec *r = &idx->recs[ri];
    memset(r, 0, sizeof *r);
    memcpy(r->sig, fp->sk.sig, sizeof r->sig);
    r->exact32 = (uint32_t)fp->sk.exact_lo;
    r->time_s = (uint32_t)t;
    r->str_pos = (uint32_t)pos;
    double sc = fp->score < 0 ? 0 : fp->score > 1 ? 1 : fp->score;
    r->score = (uint8_t)(sc * 100 + 0.5);
    r->flags = (uint8_t)((fp->kind & 3) | (fp->short_text ? REC_SHORT : 0) |
                         (fp->sk.numeric ? REC_NUMERIC : 0) | REC_LIVE);
    uint64_t h[NTABLES];
    h[0] = uri_hash(fp->uri);
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        h[1 + b] = band_hash(b, fp->sk.bands[b]);
    for (int tb = 0; tb < NTABLES; tb++)
        r->chk[tb] = check_of(h[tb]);
    idx->count++;
    table_put(idx, 0, h[0], ri);
    if (fp->sk.words)
        for (int b = 0; b < NW_DEDUP_BANDS; b++)
            table_put(idx, 1 + b, h[1 + b], ri);
    idx->st.inserted++;
    return 0;
}

nw_dedup_index_stats nw_dedup_index_get_stats(const nw_dedup_index *idx)
{
    nw_dedup_index_stats s = idx->st;
    s.stories = idx->count;
    s.string_bytes = idx->str_tail - idx->str_head;
    s.memory_bytes = sizeof *idx + idx->cap * sizeof(rec) +
                     NTABLES * idx->tsize * sizeof(uint32_t) + idx->str_cap;
    s.newest_s = idx->clock_s;
    return s;
}
