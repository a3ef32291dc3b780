/*
 * nw_dedup_index — record ring, front-coded string ring, orphan list and
 * the five two-choice bucket tables. See nw_dedup_index.h for the layout
 * and its invariants.
 */
#include "nw_dedup_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define NTABLES        (1 + NW_DEDUP_BANDS) /* 0 = uri, 1.. = bands */
#define BUCKET         8                    /* slots per bucket (32 bytes) */
#define MAX_KICKS      64                   /* cuckoo displacements per insert */
#define MAX_CANDIDATES 128
#define BLOCK          16 /* strings: a full uri every BLOCK records */
#define MAX_STR        65535
#define REC_LIVE       0x80
#define REC_REFD       0x40 /* named as `of` by a later record */
#define REC_SHORT      0x04
#define REC_NUMERIC    0x08
#define NUMERIC_EXTRA  0.10 /* added to the threshold when either text is numeric */

/* `of` tags in a string entry */
#define OF_NONE   0
#define OF_REF    1 /* varint distance back to the original's record */
#define OF_INLINE 2 /* varint length, bytes */

typedef struct rec {
    uint8_t sig[NW_DEDUP_SIG_BYTES];
    uint32_t exact32;
    uint32_t time_s;
    uint8_t chk[NTABLES]; /* check byte of this record's key in each table */
    uint8_t flags;        /* kind (2 bits) | REC_SHORT | REC_NUMERIC | REC_REFD | REC_LIVE */
    uint8_t score;        /* 0..100 */
    uint8_t ref_span;     /* REC_REFD: log-coded bound of (last referrer seq - own seq) */
} rec;

_Static_assert(NW_DEDUP_PERMS != 64 || NW_DEDUP_BANDS != 4 || sizeof(rec) == 32,
               "a record is 32 bytes");

/* heap bytes of an orphan's uri copy: the string rounded up to 16 plus a
 * malloc header (glibc) */
#define ORPHAN_BYTES(len) ((((len) + 1 + 15) & ~(size_t)15) + 16)

typedef struct orphan {
    uint64_t seq, expire; /* kept while head_seq <= expire */
    char *uri;            /* owned */
    size_t len;
} orphan;

/* A decoded string entry. */
typedef struct entry {
    size_t uri_len;
    const char *version; /* into the entry's buffer */
    int of_tag;
    uint64_t of_dist;
    uint64_t of_pos; /* OF_INLINE: logical position of the bytes */
    size_t of_len;
} entry;

struct nw_dedup_index {
    rec *recs;
    size_t cap;
    uint64_t head_seq, tail_seq; /* live records: [head_seq, tail_seq), cell = seq % cap */
    uint32_t *tables[NTABLES];
    size_t nbuckets; /* per table */
    char *str;       /* string byte ring (any size) */
    size_t str_cap;
    uint64_t str_head, str_tail; /* logical positions */
    uint32_t *blk;               /* low 32 bits of the position of each block's first entry */
    size_t nblk;
    orphan *orph; /* FIFO ring of orphans, ordered by seq */
    size_t orph_cap, orph_head, orph_count;
    uint64_t orph_bytes;
    int64_t window_s, clock_s;
    nw_dedup_index_stats st;
    size_t last_len; /* uri of the newest record, for front coding */
    char last_uri[MAX_STR + 1];
    char work[MAX_STR + 1]; /* decoding */
    char ver[MAX_STR + 1];
    char out_of[MAX_STR + 1]; /* the `of` returned to callers */
    char probe[MAX_STR + 1];  /* uri compares inside lookups */
};

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
    /* live keys per table <= cap: a load of at most 0.95 */
    idx->nbuckets = max_stories * 135 / 1024 + 2;
    idx->window_s = window_s;
    idx->str_cap = 4096;
    idx->nblk = max_stories / BLOCK + 2;
    idx->recs = calloc(idx->cap, sizeof *idx->recs);
    idx->str = malloc(idx->str_cap);
    idx->blk = calloc(idx->nblk, sizeof *idx->blk);
    bool ok = idx->recs && idx->str && idx->blk;
    for (int t = 0; t < NTABLES && ok; t++)
        ok = (idx->tables[t] = calloc(idx->nbuckets * BUCKET, sizeof(uint32_t))) != NULL;
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
    for (size_t i = 0; i < idx->orph_count; i++)
        free(idx->orph[(idx->orph_head + i) % idx->orph_cap].uri);
    free(idx->orph);
    free(idx->recs);
    free(idx->str);
    free(idx->blk);
    free(idx);
}

/* --------------------------------------------------------- string ring */

static void ring_write(nw_dedup_index *idx, uint64_t pos, const void *src, size_t n)
{
    size_t off = (size_t)(pos % idx->str_cap), first = idx->str_cap - off;
    if (first > n)
        first = n;
    memcpy(idx->str + off, src, first);
    memcpy(idx->str, (const char *)src + first, n - first);
}

static void ring_read(const nw_dedup_index *idx, uint64_t pos, void *dst, size_t n)
{
    size_t off = (size_t)(pos % idx->str_cap), first = idx->str_cap - off;
    if (first > n)
        first = n;
    memcpy(dst, idx->str + off, first);
    memcpy((char *)dst + first, idx->str, n - first);
}

static uint8_t ring_byte(const nw_dedup_index *idx, uint64_t pos)
{
    return (uint8_t)idx->str[pos % idx->str_cap];
}

/* Grows by a quarter (not doubling: the ring is most of the strings'
 * memory and is counted per story). */
static int ring_reserve(nw_dedup_index *idx, size_t need)
{
    size_t used = (size_t)(idx->str_tail - idx->str_head);
    if (used + need <= idx->str_cap)
        return 0;
    size_t cap = idx->str_cap;
    while (used + need > cap)
        cap += cap / 4 + need;
    if (cap > ((size_t)1 << 31))
        return -1; /* block positions are kept in 32 bits */
    char *ns = malloc(cap);
    if (!ns)
        return -1;
    for (uint64_t p = idx->str_head; p < idx->str_tail;) {
        size_t off = (size_t)(p % idx->str_cap), n = idx->str_cap - off;
        if (n > idx->str_tail - p)
            n = (size_t)(idx->str_tail - p);
        size_t noff = (size_t)(p % cap), nn = cap - noff;
        if (nn > n)
            nn = n;
        memcpy(ns + noff, idx->str + off, nn);
        memcpy(ns, idx->str + off + nn, n - nn);
        p += n;
    }
    free(idx->str);
    idx->str = ns;
    idx->str_cap = cap;
    return 0;
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static uint64_t get_varint(const nw_dedup_index *idx, uint64_t *pos)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = ring_byte(idx, (*pos)++);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
}

/* A version that is a canonical decimal (no sign, no leading zero, < 2^31)
 * is stored as the number. */
static bool numeric_version(const char *v, size_t len, uint64_t *out)
{
    if (!len || len > 10 || (v[0] == '0' && len > 1))
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    if (n >= ((uint64_t)1 << 31))
        return false;
    *out = n;
    return true;
}

/* Position of the first entry of the block holding seq. */
static uint64_t block_pos(const nw_dedup_index *idx, uint64_t seq)
{
    uint32_t p = idx->blk[(seq / BLOCK) % idx->nblk];
    return idx->str_head + (uint32_t)(p - (uint32_t)idx->str_head);
}

/* Decode the entry of live record `seq`: its uri into idx->work
 * (NUL-terminated), its version into idx->ver, its `of` into *e. */
static void decode(nw_dedup_index *idx, uint64_t seq, entry *e)
{
    uint64_t pos = block_pos(idx, seq);
    size_t len = 0;
    for (uint64_t s = seq - seq % BLOCK;; s++) {
        size_t shared = (size_t)get_varint(idx, &pos);
        size_t suffix = (size_t)get_varint(idx, &pos);
        if (shared > len)
            shared = len; /* never for entries this file wrote */
        if (shared + suffix > MAX_STR)
            suffix = MAX_STR - shared;
        ring_read(idx, pos, idx->work + shared, suffix);
        pos += suffix;
        len = shared + suffix;
        uint64_t vt = get_varint(idx, &pos);
        size_t vlen = vt & 1 ? 0 : (size_t)(vt >> 1);
        uint64_t vpos = pos;
        pos += vlen;
        int of_tag = ring_byte(idx, pos++);
        uint64_t of_dist = 0, of_pos = 0;
        size_t of_len = 0;
        if (of_tag == OF_REF)
            of_dist = get_varint(idx, &pos);
        else if (of_tag == OF_INLINE) {
            of_len = (size_t)get_varint(idx, &pos);
            of_pos = pos;
            pos += of_len;
        }
        if (s < seq)
            continue;
        idx->work[len] = '\0';
        if (vt & 1) {
            snprintf(idx->ver, sizeof idx->ver, "%llu", (unsigned long long)(vt >> 1));
        } else {
            ring_read(idx, vpos, idx->ver, vlen);
            idx->ver[vlen] = '\0';
        }
        e->uri_len = len;
        e->version = idx->ver;
        e->of_tag = of_tag;
        e->of_dist = of_dist;
        e->of_pos = of_pos;
        e->of_len = of_len;
        return;
    }
}

/* ------------------------------------------------------------- records */

static rec *rec_at(const nw_dedup_index *idx, uint64_t seq)
{
    return &idx->recs[seq % idx->cap];
}

static uint64_t seq_of(const nw_dedup_index *idx, const rec *r)
{
    size_t cell = (size_t)(r - idx->recs), head = (size_t)(idx->head_seq % idx->cap);
    return idx->head_seq + (cell >= head ? cell - head : cell + idx->cap - head);
}

static bool rec_live(const rec *r)
{
    return r->flags & REC_LIVE;
}

static uint64_t span_decode(uint8_t e)
{
    return e ? (uint64_t)(8 + (e & 7)) << (e >> 3) : 0;
}

static uint8_t span_encode(uint64_t d)
{
    for (unsigned e = 1; e < 256; e++)
        if (span_decode((uint8_t)e) >= d)
            return (uint8_t)e;
    return 255;
}

static const orphan *orphan_find(const nw_dedup_index *idx, uint64_t seq)
{
    size_t lo = 0, hi = idx->orph_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const orphan *o = &idx->orph[(idx->orph_head + mid) % idx->orph_cap];
        if (o->seq == seq)
            return o;
        if (o->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The uri of record seq (live), into buf. */
static const char *uri_of(nw_dedup_index *idx, uint64_t seq, char *buf)
{
    entry e;
    decode(idx, seq, &e);
    memcpy(buf, idx->work, e.uri_len + 1);
    return buf;
}

/* The `of` of the entry just decoded into e (record seq), into buf: the
 * original's uri while it is in the index, else its orphan copy, else "". */
static const char *resolve_of(nw_dedup_index *idx, uint64_t seq, const entry *e, char *buf)
{
    buf[0] = '\0';
    if (e->of_tag == OF_INLINE) {
        ring_read(idx, e->of_pos, buf, e->of_len);
        buf[e->of_len] = '\0';
    } else if (e->of_tag == OF_REF && e->of_dist <= seq) {
        uint64_t target = seq - e->of_dist;
        if (target >= idx->head_seq && target < idx->tail_seq)
            return uri_of(idx, target, buf);
        const orphan *o = orphan_find(idx, target);
        if (o)
            memcpy(buf, o->uri, o->len + 1);
    }
    return buf;
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

static uint8_t check_of(uint64_t h)
{
    return (uint8_t)(h >> 56);
}

static size_t bucket1(const nw_dedup_index *idx, uint64_t h)
{
    return (size_t)(((h & 0xffffffffu) * (uint64_t)idx->nbuckets) >> 32);
}

/* The other bucket of a key in bucket b with check byte chk: an involution
 * (alt(alt(b)) == b), so a displaced slot finds its other home from its
 * check byte alone. */
static size_t alt_bucket(const nw_dedup_index *idx, size_t b, uint8_t chk)
{
    size_t x = (size_t)(mix64(chk + 1u) % idx->nbuckets);
    return (x + idx->nbuckets - b) % idx->nbuckets;
}

/* The record a slot points to when it is live for table t, else NULL. */
static rec *slot_rec(const nw_dedup_index *idx, int t, uint32_t slot)
{
    if (!slot)
        return NULL;
    size_t i = (slot & 0xffffffu) - 1;
    if (i >= idx->cap)
        return NULL;
    rec *r = &idx->recs[i];
    return rec_live(r) && r->chk[t] == (uint8_t)(slot >> 24) ? r : NULL;
}

static void prefetch_bucket(const nw_dedup_index *idx, const uint32_t *bk)
{
    for (int k = 0; k < BUCKET; k++)
        if (bk[k] && (bk[k] & 0xffffffu) - 1 < idx->cap)
            __builtin_prefetch(&idx->recs[(bk[k] & 0xffffffu) - 1]);
}

/* A free (empty or stale) slot of bucket b, or -1. */
static int free_slot(const nw_dedup_index *idx, int t, size_t b)
{
    const uint32_t *bk = idx->tables[t] + b * BUCKET;
    for (int k = 0; k < BUCKET; k++)
        if (!bk[k])
            return k;
    prefetch_bucket(idx, bk);
    for (int k = 0; k < BUCKET; k++)
        if (!slot_rec(idx, t, bk[k]))
            return k;
    return -1;
}

static void table_put(nw_dedup_index *idx, int t, uint64_t h, size_t cell)
{
    uint32_t *tab = idx->tables[t];
    uint8_t chk = check_of(h);
    uint32_t item = ((uint32_t)chk << 24) | (uint32_t)(cell + 1);
    size_t b = bucket1(idx, h), b2 = alt_bucket(idx, b, chk);
    int k = free_slot(idx, t, b);
    if (k < 0 && b2 != b && (k = free_slot(idx, t, b2)) >= 0)
        b = b2;
    if (k >= 0) {
        tab[b * BUCKET + (size_t)k] = item;
        return;
    }
    /* Both full of live keys. A hot key (one band value shared by many
     * stored copies) fills its two buckets with itself: then its oldest
     * entry makes room (the newest copies stay findable). */
    size_t bs[2] = {b, b2};
    uint32_t *victim = NULL;
    rec *vr = NULL;
    int same = 0;
    for (int i = 0; i < (b2 == b ? 1 : 2); i++)
        for (int j = 0; j < BUCKET; j++) {
            uint32_t *sl = &tab[bs[i] * BUCKET + (size_t)j];
            if ((uint8_t)(*sl >> 24) != chk)
                continue;
            rec *r = slot_rec(idx, t, *sl);
            same++;
            if (!vr || seq_of(idx, r) < seq_of(idx, vr))
                vr = r, victim = sl;
        }
    if (same >= BUCKET / 2) {
        *victim = item;
        idx->st.slot_overwrites++;
        return;
    }
    /* else displace (cuckoo), choosing the slot to kick by a hash of the
     * walk so that it does not cycle; deterministic */
    uint64_t walk = h;
    for (int kick = 0; kick < MAX_KICKS; kick++) {
        walk = mix64(walk + (uint64_t)kick);
        size_t s = b * BUCKET + (size_t)(walk % BUCKET);
        uint32_t out = tab[s];
        tab[s] = item;
        item = out;
        b = alt_bucket(idx, b, (uint8_t)(out >> 24));
        if ((k = free_slot(idx, t, b)) >= 0) {
            tab[b * BUCKET + (size_t)k] = item;
            return;
        }
    }
    idx->st.slot_overwrites++; /* the last displaced key is lost */
}

/* ------------------------------------------------------------ eviction */

static int orphan_push(nw_dedup_index *idx, uint64_t seq, uint64_t expire)
{
    if (idx->orph_count == idx->orph_cap) {
        size_t cap = idx->orph_cap ? idx->orph_cap * 2 : 64;
        orphan *o = malloc(cap * sizeof *o);
        if (!o)
            return -1;
        for (size_t i = 0; i < idx->orph_count; i++)
            o[i] = idx->orph[(idx->orph_head + i) % idx->orph_cap];
        free(idx->orph);
        idx->orph = o;
        idx->orph_cap = cap;
        idx->orph_head = 0;
    }
    entry e;
    decode(idx, seq, &e);
    char *u = malloc(e.uri_len + 1);
    if (!u)
        return -1;
    memcpy(u, idx->work, e.uri_len + 1);
    idx->orph[(idx->orph_head + idx->orph_count++) % idx->orph_cap] =
        (orphan){seq, expire, u, e.uri_len};
    idx->orph_bytes += ORPHAN_BYTES(e.uri_len);
    return 0;
}

static void orphans_expire(nw_dedup_index *idx)
{
    while (idx->orph_count && idx->orph[idx->orph_head].expire < idx->head_seq) {
        orphan *o = &idx->orph[idx->orph_head];
        idx->orph_bytes -= ORPHAN_BYTES(o->len);
        free(o->uri);
        idx->orph_head = (idx->orph_head + 1) % idx->orph_cap;
        idx->orph_count--;
    }
}

static void evict_head(nw_dedup_index *idx)
{
    rec *r = rec_at(idx, idx->head_seq);
    if (r->flags & REC_REFD) {
        /* later records name it as `of`: keep its uri until they are gone
         * (out of memory: they answer "" as their original) */
        if (orphan_push(idx, idx->head_seq, idx->head_seq + span_decode(r->ref_span)) < 0)
            idx->st.orphans_lost++;
    }
    r->flags = 0;
    idx->head_seq++;
    /* a block's bytes go when its last record does */
    if (idx->head_seq % BLOCK == 0)
        idx->str_head =
            idx->head_seq < idx->tail_seq ? block_pos(idx, idx->head_seq) : idx->str_tail;
    orphans_expire(idx);
}

void nw_dedup_index_advance(nw_dedup_index *idx, int64_t now_s)
{
    if (now_s > idx->clock_s)
        idx->clock_s = now_s;
    int64_t cutoff = idx->clock_s - idx->window_s;
    while (idx->head_seq < idx->tail_seq && (int64_t)rec_at(idx, idx->head_seq)->time_s < cutoff) {
        evict_head(idx);
        idx->st.evicted_age++;
    }
}

/* --------------------------------------------------------------- lookup */

/* A live record of uri (any version; the first in table order), or NULL. */
static rec *find_uri(nw_dedup_index *idx, const char *uri, uint64_t h)
{
    uint8_t chk = check_of(h);
    size_t b[2] = {bucket1(idx, h), 0};
    b[1] = alt_bucket(idx, b[0], chk);
    for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
        const uint32_t *bk = idx->tables[0] + b[i] * BUCKET;
        for (int k = 0; k < BUCKET; k++) {
            if ((uint8_t)(bk[k] >> 24) != chk)
                continue;
            rec *r = slot_rec(idx, 0, bk[k]);
            if (r && !strcmp(uri_of(idx, seq_of(idx, r), idx->probe), uri))
                return r;
        }
    }
    return NULL;
}

int nw_dedup_index_get(nw_dedup_index *idx, const char *uri, const char *version, nw_dedup_hit *hit,
                       bool *uri_known)
{
    if (uri_known)
        *uri_known = false;
    uint64_t h = uri_hash(uri);
    uint8_t chk = check_of(h);
    size_t b[2] = {bucket1(idx, h), 0};
    b[1] = alt_bucket(idx, b[0], chk);
    for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
        const uint32_t *bk = idx->tables[0] + b[i] * BUCKET;
        for (int k = 0; k < BUCKET; k++) {
            if ((uint8_t)(bk[k] >> 24) != chk)
                continue;
            rec *r = slot_rec(idx, 0, bk[k]);
            if (!r)
                continue;
            uint64_t seq = seq_of(idx, r);
            entry e;
            decode(idx, seq, &e);
            if (strcmp(idx->work, uri))
                continue;
            if (uri_known)
                *uri_known = true;
            if (strcmp(e.version, version))
                continue;
            hit->kind = (nw_dedup_kind)(r->flags & 3);
            hit->score = r->score / 100.0;
            hit->of =
                hit->kind >= NW_DEDUP_DUPLICATE ? resolve_of(idx, seq, &e, idx->out_of) : NULL;
            hit->time_s = r->time_s;
            return 1;
        }
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
    uint8_t uri_chk = check_of(uri_hash(uri));
    for (int bd = 0; bd < NW_DEDUP_BANDS; bd++) {
        uint64_t h = band_hash(bd, sk->bands[bd]);
        uint8_t chk = check_of(h);
        size_t b[2] = {bucket1(idx, h), 0};
        b[1] = alt_bucket(idx, b[0], chk);
        for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
            const uint32_t *bk = idx->tables[1 + bd] + b[i] * BUCKET;
            for (int k = 0; k < BUCKET; k++) {
                if ((uint8_t)(bk[k] >> 24) != chk)
                    continue;
                rec *r = slot_rec(idx, 1 + bd, bk[k]);
                if (!r)
                    continue;
                size_t ri = (size_t)(r - idx->recs);
                bool dup = false;
                for (size_t j = 0; j < nseen && !dup; j++)
                    dup = seen[j] == ri;
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
                    (exact == best_exact && (score > best_score || (score == best_score && best &&
                                                                    r->time_s < best->time_s)));
                if (!better)
                    continue;
                if (r->chk[0] == uri_chk && !strcmp(uri_of(idx, seq_of(idx, r), idx->probe), uri))
                    continue; /* another version of the same story: an update */
                best = r;
                best_score = score;
                best_exact = exact;
            }
        }
    }
    if (!best)
        return 0;
    nw_dedup_kind bk = (nw_dedup_kind)(best->flags & 3);
    uint64_t seq = seq_of(idx, best);
    entry e;
    decode(idx, seq, &e);
    hit->kind = best_exact ? NW_DEDUP_DUPLICATE : NW_DEDUP_NEAR;
    hit->score = best_score;
    if (bk >= NW_DEDUP_DUPLICATE)
        hit->of = resolve_of(idx, seq, &e, idx->out_of);
    else
        hit->of = memcpy(idx->out_of, idx->work, e.uri_len + 1);
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
    size_t ulen = strlen(fp->uri), vlen = strlen(fp->version), olen = strlen(of);
    if (ulen > MAX_STR || vlen > MAX_STR || olen > MAX_STR)
        return nw_err_set(err, NW_EINVAL, "uri or version longer than 65535 bytes");
    int64_t t = fp->time_s < 1 ? 1 : fp->time_s > UINT32_MAX ? UINT32_MAX : fp->time_s;
    nw_dedup_index_advance(idx, t);
    if (idx->tail_seq - idx->head_seq == idx->cap) {
        evict_head(idx);
        idx->st.evicted_capacity++;
    }
    uint64_t seq = idx->tail_seq;
    /* `of` as a reference to the original's record when it is here */
    rec *orig = olen ? find_uri(idx, of, uri_hash(of)) : NULL;

    /* the string entry: uri front-coded against the previous record's
     * (full at a block start), version, of */
    size_t shared = 0;
    if (seq % BLOCK && idx->tail_seq > 0)
        while (shared < ulen && shared < idx->last_len && idx->last_uri[shared] == fp->uri[shared])
            shared++;
    uint8_t hdr[48];
    size_t n = put_varint(hdr, shared);
    n += put_varint(hdr + n, ulen - shared);
    uint64_t vnum;
    bool vnumeric = numeric_version(fp->version, vlen, &vnum);
    uint8_t mid[32];
    size_t m = put_varint(mid, vnumeric ? (vnum << 1) | 1 : (uint64_t)vlen << 1);
    uint8_t tail[24];
    size_t tn = 0;
    if (orig) {
        tail[tn++] = OF_REF;
        tn += put_varint(tail + tn, seq - seq_of(idx, orig));
    } else if (olen) {
        tail[tn++] = OF_INLINE;
        tn += put_varint(tail + tn, olen);
    } else {
        tail[tn++] = OF_NONE;
    }
    size_t need = n + (ulen - shared) + m + (vnumeric ? 0 : vlen) + tn + (orig ? 0 : olen);
    if (ring_reserve(idx, need) < 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory for the dedup string ring");
    uint64_t pos = idx->str_tail;
    if (seq % BLOCK == 0) {
        idx->blk[(seq / BLOCK) % idx->nblk] = (uint32_t)pos;
        if (idx->head_seq == idx->tail_seq)
            idx->str_head = pos;
    }
    ring_write(idx, pos, hdr, n);
    pos += n;
    ring_write(idx, pos, fp->uri + shared, ulen - shared);
    pos += ulen - shared;
    ring_write(idx, pos, mid, m);
    pos += m;
    if (!vnumeric) {
        ring_write(idx, pos, fp->version, vlen);
        pos += vlen;
    }
    ring_write(idx, pos, tail, tn);
    pos += tn;
    if (!orig && olen) {
        ring_write(idx, pos, of, olen);
        pos += olen;
    }
    idx->str_tail = pos;
    memcpy(idx->last_uri, fp->uri, ulen + 1);
    idx->last_len = ulen;
    if (orig) {
        uint8_t span = span_encode(seq - seq_of(idx, orig));
        orig->flags |= REC_REFD;
        if (span > orig->ref_span)
            orig->ref_span = span;
    }

    size_t cell = (size_t)(seq % idx->cap);
    rec *r = &idx->recs[cell];
    memset(r, 0, sizeof *r);
    memcpy(r->sig, fp->sk.sig, sizeof r->sig);
    r->exact32 = (uint32_t)fp->sk.exact_lo;
    r->time_s = (uint32_t)t;
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
    idx->tail_seq++;
    table_put(idx, 0, h[0], cell);
    if (fp->sk.words)
        for (int b = 0; b < NW_DEDUP_BANDS; b++)
            table_put(idx, 1 + b, h[1 + b], cell);
    idx->st.inserted++;
    return 0;
}

nw_dedup_index_stats nw_dedup_index_get_stats(const nw_dedup_index *idx)
{
    nw_dedup_index_stats s = idx->st;
    s.stories = idx->tail_seq - idx->head_seq;
    s.string_bytes = idx->str_tail - idx->str_head;
    s.record_bytes = idx->cap * sizeof(rec);
    s.table_bytes = NTABLES * idx->nbuckets * BUCKET * sizeof(uint32_t);
    s.string_ring_bytes = idx->str_cap + idx->nblk * sizeof(uint32_t);
    s.orphans = idx->orph_count;
    s.orphan_bytes = idx->orph_bytes + idx->orph_cap * sizeof(orphan);
    s.fixed_bytes = sizeof *idx;
    s.memory_bytes =
        s.fixed_bytes + s.record_bytes + s.table_bytes + s.string_ring_bytes + s.orphan_bytes;
    s.newest_s = idx->clock_s;
    return s;
}
