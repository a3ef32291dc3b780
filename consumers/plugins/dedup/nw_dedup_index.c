/*
 * nw_dedup_index — record ring, string ring (uris coded against the best
 * earlier entry of their block, hex runs packed two digits a byte), orphan
 * list and the seven two-choice bucket tables. See nw_dedup_index.h for the
 * layout and its invariants.
 */
#include "nw_dedup_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define NTABLES        (1 + NW_DEDUP_BANDS + NW_DEDUP_LEAD_BANDS) /* uri, bands, lead bands */
#define LEAD_TABLE     (1 + NW_DEDUP_BANDS)
#define BUCKET         8  /* slots per bucket (32 bytes) */
#define MAX_KICKS      64 /* cuckoo displacements per insert */
#define MAX_CANDIDATES 128
#define BLOCK          32 /* strings: entries are coded against the earlier ones of their block */
#define MAX_STR        65535
#define REC_REFD       0x40 /* named as `of` by a later record */
#define REC_OLDVER     0x10 /* a newer version of its uri is stored: keyed by (uri, version) */
#define REC_SHORT      0x04
#define REC_NUMERIC    0x08
#define REC_EXT        0x20 /* sig2 and lead_sig are set */
#define NUMERIC_EXTRA  0.10 /* added to the threshold when either text is numeric */
/* Containment (see nw_dedup_index.h): only for a new text of at least
 * CONTAIN_MIN_WORDS, at most CONTAIN_MAX_RATIO and at least
 * CONTAIN_MIN_RATIO of the old one's words, with an estimated resemblance
 * of at least CONTAIN_MIN_J; a shared lead (lead resemblance >= LEAD_MATCH)
 * lowers the containment asked by LEAD_SLACK and the resemblance to
 * LEAD_MIN_J. The floors keep the estimate out of the range where 128 (or
 * 64) 2-bit values are too noisy to tell a copy (the containment estimate
 * grows with the resemblance estimate times 1 + 1/ratio). Measured on the
 * quality test's generated stream and corpora (test_dedup_quality). */
#define CONTAIN_MIN_WORDS 40
#define CONTAIN_MAX_RATIO 0.90
#define CONTAIN_MIN_RATIO 0.25
#define CONTAIN_MIN_J     0.25
#define LEAD_MIN_J        0.20
#define LEAD_MATCH        0.60
#define LEAD_SLACK        0.15

/* A string entry starts with a header byte: the distance back to its
 * reference entry in the block (5 bits, 0: none), H_EXT, and the mode. */
#define H_REF(h)  ((size_t)((h)&31))
#define H_EXT     0x20 /* an extension byte follows the uri (version kind, `of` tag) */
#define H_MODE(h) ((h) >> 6)
#define M_TOKENS  0 /* [varint D] tokens: the reference minus its last D bytes, then the tokens */
#define M_TAIL    1 /* the reference with its final hex run (T bytes) replaced: T/2 bytes */
#define M_PREFIX  2 /* [varint D]: the reference minus its last D bytes */
#define M_SPLICE  3 /* varint D, varint 2K + x, [tokens X if x], T/2 bytes: see splice below */
/* M_SPLICE codes a uri against a reference R whose final hex run (as the
 * walk tracks it) is T bytes, T >= 0. With C = R's length - T: the uri is
 * R[0..C-D), the tokens X (when x), R[C-D+K..C), then T new lowercase hex
 * digits (packed). It takes a changed middle (an agency, a second) and a new
 * final run at once. */
_Static_assert(BLOCK <= 32, "the reference distance has 5 bits");

/* extension byte: version kind (bits 0-1) and `of` tag (bits 2-3). Without
 * it: the version of the previous entry of the block ("" for the first) and
 * no `of`. */
#define V_EMPTY   0 /* "" */
#define V_NUM     1 /* varint: a canonical decimal */
#define V_STR     2 /* varint length, bytes */
#define V_SAME    3 /* the previous entry's */
#define OF_NONE   0
#define OF_REF    1 /* varint distance back to the original's record */
#define OF_INLINE 2 /* tokens */

/* A token stream codes a non-empty string as runs. Tag byte: TK_LAST on
 * the last token, the kind (bits 5-6), the length - 1 (bits 0-4; 31: the
 * length is 32 + a varint that follows). A literal run is its bytes; a hex
 * run is packed two digits a byte (low nibble first) and decodes in its
 * kind's case, so only runs that decode byte-identical are packed. */
#define TK_LAST    0x80
#define TK_LIT     0
#define TK_LOWER   1 /* [0-9a-f] */
#define TK_UPPER   2 /* [0-9A-F] */
#define TK_MIN_RUN 6 /* shortest hex run packed inside a string (4 at its end) */

/* A record. Multi-byte fields are byte arrays (native order) so that the
 * record has no padding. */
typedef struct rec {
    uint8_t sig[NW_DEDUP_SIG_BYTES];
    uint8_t exact32[4]; /* low 32 bits of the exact hash */
    uint8_t time_s[4];
    uint8_t flags;    /* kind (2 bits) | REC_SHORT | REC_NUMERIC | REC_EXT | REC_REFD */
    uint8_t score;    /* 0..100 */
    uint8_t ref_span; /* REC_REFD: log-coded bound of (last referrer seq - own seq) */
    uint8_t words[2]; /* words of the text, at most 65535 */
    uint8_t lead_sig[NW_DEDUP_LEAD_BYTES];
    uint8_t sig2[NW_DEDUP_SIG2_BYTES];
} rec;

_Static_assert(NW_DEDUP_PERMS != 64 || sizeof(rec) == 49, "a record is 49 bytes");

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

static uint32_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void wr16(uint8_t *p, uint32_t v)
{
    uint16_t x = (uint16_t)(v > 65535 ? 65535 : v);
    memcpy(p, &x, sizeof x);
}

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
    const char *version; /* idx->ver */
    int of_tag;
    uint64_t of_dist;
    size_t of_off; /* OF_INLINE: ring offset of the tokens */
} entry;

/* One entry of a block as its walk sees it: its uri is [0, shared) of its
 * reference's, xlen bytes from the tokens at tok, mid_len bytes of its
 * reference's from mid_from, and hexlen lowercase hex digits at hex. */
typedef struct ent {
    size_t tok, hex; /* ring offsets */
    uint32_t len, shared, xlen, mid_from, mid_len, hexlen;
    /* the final hex run as entries code it (what M_TAIL and M_SPLICE
     * replace): the last token's length when that is a lowercase hex run,
     * the T of M_TAIL and M_SPLICE, what M_PREFIX leaves of its reference's */
    uint32_t tail;
    uint8_t ref; /* index in the block, BLOCK when none */
} ent;

/* The version of an entry as a walk tracks it. */
typedef struct vstate {
    int kind; /* V_EMPTY, V_NUM, V_STR */
    uint64_t num;
    size_t off, len;
} vstate;

struct nw_dedup_index {
    rec *recs;
    size_t cap;
    uint64_t head_seq, tail_seq; /* live records: [head_seq, tail_seq), cell = seq % cap */
    uint32_t *tables[NTABLES];
    size_t nbuckets;   /* per table */
    unsigned seq_bits; /* slot = check << seq_bits | seq % 2^seq_bits */
    unsigned chk_bits; /* 32 - seq_bits */
    uint32_t seq_mask;
    char *str; /* string byte ring (any size) */
    size_t str_cap;
    uint64_t str_head, str_tail; /* logical positions */
    uint32_t *blk;               /* low 32 bits of the position of each block's first entry */
    size_t nblk;
    /* the encoder's copy of the newest block's uris */
    char *eb;
    size_t eb_cap, eb_used, e_n;
    uint32_t e_off[BLOCK], e_len[BLOCK], e_tail[BLOCK];
    size_t ever_len; /* version of the newest entry of the block */
    char ever[MAX_STR + 1];
    /* the last decoded entry (idx->work, idx->ver) */
    bool dec_ok;
    uint64_t dec_seq;
    entry dec_e;
    orphan *orph; /* FIFO ring of orphans, ordered by seq */
    size_t orph_cap, orph_head, orph_count;
    uint64_t orph_bytes;
    int64_t window_s, clock_s;
    nw_dedup_index_stats st;
    char work[MAX_STR + 1]; /* decoding */
    char ver[MAX_STR + 1];
    char out_of[MAX_STR + 1];      /* the `of` returned to callers */
    uint8_t enc[2 * MAX_STR + 64]; /* an entry's header and uri, or an inline `of` */
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
    /* slots name records by seq modulo 2^seq_bits >= 3 cap: a slot left
     * stale reads as live again only after 2 cap more insertions */
    idx->seq_bits = 1;
    while (((uint64_t)1 << idx->seq_bits) < 3 * (uint64_t)max_stories)
        idx->seq_bits++;
    idx->chk_bits = 32 - idx->seq_bits;
    idx->seq_mask = (uint32_t)(((uint64_t)1 << idx->seq_bits) - 1);
    idx->window_s = window_s;
    idx->str_cap = 4096;
    idx->nblk = max_stories / BLOCK + 2;
    idx->recs = calloc(idx->cap, sizeof *idx->recs);
    idx->str = malloc(idx->str_cap);
    idx->blk = calloc(idx->nblk, sizeof *idx->blk);
    idx->eb_cap = 1024;
    idx->eb = malloc(idx->eb_cap);
    bool ok = idx->recs && idx->str && idx->blk && idx->eb;
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
    free(idx->eb);
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

/* n bytes at ring offset off (n < str_cap) */
static void ring_copy(const nw_dedup_index *idx, size_t off, void *dst, size_t n)
{
    size_t first = idx->str_cap - off;
    if (first > n)
        first = n;
    memcpy(dst, idx->str + off, first);
    memcpy((char *)dst + first, idx->str, n - first);
}

/* Grows by a quarter (not doubling: the ring is most of the strings'
 * memory and is counted per story); once it holds enough stories to tell
 * their average size, by no more than the index holds full at that size
 * (+3%), and by at least 1/32. */
static int ring_reserve(nw_dedup_index *idx, size_t need)
{
    size_t used = (size_t)(idx->str_tail - idx->str_head);
    if (used + need <= idx->str_cap)
        return 0;
    size_t cap = idx->str_cap + idx->str_cap / 4 + need;
    uint64_t n = idx->tail_seq - idx->head_seq;
    if (n >= 64) {
        uint64_t full = (uint64_t)used * (idx->cap + idx->cap / 32) / n + need;
        uint64_t least = (uint64_t)idx->str_cap + idx->str_cap / 32 + need;
        if (full < least)
            full = least;
        if (full < cap)
            cap = (size_t)full;
    }
    if (cap > ((size_t)1 << 31))
        return -1; /* block positions are kept in 32 bits */
    char *ns = malloc(cap);
    if (!ns)
        return -1;
    for (uint64_t p = idx->str_head; p < idx->str_tail;) {
        size_t off = (size_t)(p % idx->str_cap), n2 = idx->str_cap - off;
        if (n2 > idx->str_tail - p)
            n2 = (size_t)(idx->str_tail - p);
        size_t noff = (size_t)(p % cap), nn = cap - noff;
        if (nn > n2)
            nn = n2;
        memcpy(ns + noff, idx->str + off, nn);
        memcpy(ns, idx->str + off + nn, n2 - nn);
        p += n2;
    }
    free(idx->str);
    idx->str = ns;
    idx->str_cap = cap;
    idx->dec_ok = false; /* ring offsets moved */
    return 0;
}

/* A read cursor over the ring. */
typedef struct cur {
    const uint8_t *s;
    size_t cap, off;
} cur;

static cur cur_at(const nw_dedup_index *idx, size_t off)
{
    return (cur){(const uint8_t *)idx->str, idx->str_cap, off};
}

static inline uint8_t cur_byte(cur *c)
{
    uint8_t b = c->s[c->off];
    if (++c->off == c->cap)
        c->off = 0;
    return b;
}

static inline void cur_skip(cur *c, size_t n)
{
    c->off += n;
    if (c->off >= c->cap)
        c->off -= c->cap;
}

static uint64_t cur_varint(cur *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = cur_byte(c);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
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

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80)
        v >>= 7, n++;
    return n;
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

/* ------------------------------------------------------------- tokens */

static bool lower_hex(unsigned char c)
{
    return (unsigned)(c - '0') < 10u || (unsigned)(c - 'a') < 6u;
}

static bool upper_hex(unsigned char c)
{
    return (unsigned)(c - '0') < 10u || (unsigned)(c - 'A') < 6u;
}

static uint8_t nibble(unsigned char c)
{
    return (uint8_t)((unsigned)(c - '0') < 10u ? c - '0' : (c | 0x20) - 'a' + 10);
}

static void hex_pack(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 2)
        out[i / 2] = (uint8_t)(nibble((unsigned char)s[i]) |
                               (i + 1 < n ? nibble((unsigned char)s[i + 1]) << 4 : 0));
}

/* Digits [first, first + n) of the hex run at ring offset off into out,
 * in kind's case. */
static void hex_unpack(const nw_dedup_index *idx, size_t off, size_t first, size_t n, char *out,
                       int kind)
{
    const char *dg = kind == TK_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)idx->str;
    off += first / 2;
    if (off >= idx->str_cap)
        off -= idx->str_cap;
    for (size_t i = first; i < first + n; i++) {
        uint8_t b = s[off];
        *out++ = dg[i & 1 ? b >> 4 : b & 15];
        if ((i & 1) && ++off == idx->str_cap)
            off = 0;
    }
}

/* One token of s[0..n) into out (NULL: counts only); returns its bytes. */
static size_t put_token(uint8_t *out, int kind, const char *s, size_t n)
{
    uint8_t len[10];
    size_t nl = 0;
    uint8_t tag = (uint8_t)(kind << 5);
    if (n >= 32) {
        tag |= 31;
        nl = put_varint(len, n - 32);
    } else {
        tag |= (uint8_t)(n - 1);
    }
    size_t pay = kind == TK_LIT ? n : (n + 1) / 2;
    if (out) {
        out[0] = tag;
        memcpy(out + 1, len, nl);
        if (kind == TK_LIT)
            memcpy(out + 1 + nl, s, n);
        else
            hex_pack(out + 1 + nl, s, n);
    }
    return 1 + nl + pay;
}

/* Codes s[0..n) (n > 0) as tokens into out (NULL: counts only; at most 2n
 * bytes: a literal token of n < 32 bytes takes n + 1, a longer one at most n
 * + 4, a hex token of n >= 4 digits at most n). *tail: the length of the last token when it is a
 * lowercase hex run, else 0. Returns the bytes. */
static size_t tok_encode(const char *s, size_t n, uint8_t *out, uint32_t *tail)
{
    size_t k = 0, lit = 0, i = 0, last = 0;
    *tail = 0;
    while (i < n) {
        size_t lo = 0, up = 0;
        while (i + lo < n && lower_hex((unsigned char)s[i + lo]))
            lo++;
        while (i + up < n && upper_hex((unsigned char)s[i + up]))
            up++;
        size_t run = lo >= up ? lo : up;
        if (run < TK_MIN_RUN && (run < 4 || i + run < n)) {
            i++;
            continue;
        }
        if (i > lit) {
            last = k;
            k += put_token(out ? out + k : NULL, TK_LIT, s + lit, i - lit);
        }
        last = k;
        k += put_token(out ? out + k : NULL, lo >= up ? TK_LOWER : TK_UPPER, s + i, run);
        *tail = lo >= up ? (uint32_t)run : 0;
        i += run;
        lit = i;
    }
    if (n > lit) {
        last = k;
        k += put_token(out ? out + k : NULL, TK_LIT, s + lit, n - lit);
        *tail = 0;
    }
    if (out)
        out[last] |= TK_LAST;
    return k;
}

/* Reads the token stream at *c; writes its bytes [lo, hi) to out (NULL:
 * none). Returns its length; *tail as tok_encode's. */
static size_t tok_read(const nw_dedup_index *idx, cur *c, char *out, size_t lo, size_t hi,
                       uint32_t *tail)
{
    size_t len = 0;
    for (;;) {
        uint8_t tag = cur_byte(c);
        int kind = (tag >> 5) & 3;
        size_t n = (size_t)(tag & 31) + 1;
        if (n == 32)
            n += (size_t)cur_varint(c);
        size_t a = len > lo ? len : lo, b = len + n < hi ? len + n : hi;
        if (kind == TK_LIT) {
            if (out && a < b)
                ring_copy(idx,
                          c->off + (a - len) < idx->str_cap ? c->off + (a - len)
                                                            : c->off + (a - len) - idx->str_cap,
                          out + (a - lo), b - a);
            cur_skip(c, n);
        } else {
            if (out && a < b)
                hex_unpack(idx, c->off, a - len, b - a, out + (a - lo), kind);
            cur_skip(c, (n + 1) / 2);
        }
        len += n;
        *tail = kind == TK_LOWER ? (uint32_t)n : 0;
        if (tag & TK_LAST)
            return len;
    }
}

/* ------------------------------------------------------------ entries */

/* Position of the first entry of the block holding seq. */
static uint64_t block_pos(const nw_dedup_index *idx, uint64_t seq)
{
    uint32_t p = idx->blk[(seq / BLOCK) % idx->nblk];
    return idx->str_head + (uint32_t)(p - (uint32_t)idx->str_head);
}

/* Walks the block of seq from its first entry to seq's: fills ents[0..seq %
 * BLOCK], the version and the `of` of seq (of_tag, of_dist, of_off). */
static void walk(const nw_dedup_index *idx, uint64_t seq, ent *ents, vstate *v, entry *e)
{
    cur c = cur_at(idx, (size_t)(block_pos(idx, seq) % idx->str_cap));
    size_t last = (size_t)(seq % BLOCK);
    vstate vs = {V_EMPTY, 0, 0, 0};
    for (size_t j = 0; j <= last; j++) {
        ent *x = &ents[j];
        uint8_t h = cur_byte(&c);
        size_t r = H_REF(h);
        int mode = H_MODE(h);
        memset(x, 0, sizeof *x);
        x->ref = r && r <= j ? (uint8_t)(j - r) : BLOCK;
        uint32_t rlen = 0, rtail = 0;
        if (x->ref < BLOCK) {
            rlen = ents[x->ref].len;
            rtail = ents[x->ref].tail;
        }
        if (mode == M_TAIL) {
            x->shared = rlen - rtail;
            x->hexlen = x->tail = rtail;
        } else if (mode == M_SPLICE) {
            uint32_t core = rlen - rtail;
            uint64_t d = cur_varint(&c), q = cur_varint(&c);
            if (d > core)
                d = core; /* never for entries this file wrote */
            x->shared = core - (uint32_t)d;
            if (q & 1) {
                x->tok = c.off;
                x->xlen = (uint32_t)tok_read(idx, &c, NULL, 0, 0, &x->tail);
            }
            uint64_t k = q >> 1;
            x->mid_from = x->shared + (uint32_t)(k < d ? k : d);
            x->mid_len = core - x->mid_from;
            x->hexlen = rtail;
            if (rtail || x->mid_len)
                x->tail = rtail; /* else it ends with X's last token, if any */
        } else {
            uint64_t d = r ? cur_varint(&c) : 0;
            if (d > rlen)
                d = rlen;
            x->shared = rlen - (uint32_t)d;
            if (mode == M_TOKENS) {
                x->tok = c.off;
                x->xlen = (uint32_t)tok_read(idx, &c, NULL, 0, 0, &x->tail);
            } else {
                x->tail = rtail > d ? rtail - (uint32_t)d : 0;
            }
        }
        x->hex = c.off;
        cur_skip(&c, (x->hexlen + 1) / 2);
        uint64_t len = (uint64_t)x->shared + x->xlen + x->mid_len + x->hexlen;
        x->len = (uint32_t)(len > MAX_STR ? MAX_STR : len);
        int vk = V_SAME, of = OF_NONE;
        if (h & H_EXT) {
            uint8_t ex = cur_byte(&c);
            vk = ex & 3;
            of = (ex >> 2) & 3;
        }
        if (vk == V_EMPTY) {
            vs.kind = V_EMPTY;
        } else if (vk == V_NUM) {
            vs.kind = V_NUM;
            vs.num = cur_varint(&c);
        } else if (vk == V_STR) {
            vs.kind = V_STR;
            vs.len = (size_t)cur_varint(&c);
            vs.off = c.off;
            cur_skip(&c, vs.len);
        }
        e->of_tag = of;
        e->of_dist = 0;
        e->of_off = 0;
        if (of == OF_REF) {
            e->of_dist = cur_varint(&c);
        } else if (of == OF_INLINE) {
            uint32_t t;
            e->of_off = c.off;
            tok_read(idx, &c, NULL, 0, 0, &t);
        }
    }
    *v = vs;
}

/* Bytes [a, b) of the uri of ents[j] into out: its own segments, its
 * reference's middle by recursion (references point back, so at most BLOCK
 * deep), its reference's prefix by moving to it. */
static void emit(const nw_dedup_index *idx, const ent *ents, size_t j, size_t a, size_t b,
                 char *out)
{
    while (j < BLOCK && a < b) {
        const ent *x = &ents[j];
        size_t s1 = x->shared, s2 = s1 + x->xlen, s3 = s2 + x->mid_len, s4 = s3 + x->hexlen;
        if (b > s4)
            b = s4;
        if (b > s3 && s4 > s3) {
            size_t lo = a > s3 ? a : s3;
            hex_unpack(idx, x->hex, lo - s3, b - lo, out + (lo - a), TK_LOWER);
        }
        if (b > s2 && a < s3 && s3 > s2) {
            size_t lo = a > s2 ? a : s2, hi = b < s3 ? b : s3;
            emit(idx, ents, x->ref, x->mid_from + (lo - s2), x->mid_from + (hi - s2),
                 out + (lo - a));
        }
        if (b > s1 && a < s2 && s2 > s1) {
            size_t lo = a > s1 ? a : s1, hi = b < s2 ? b : s2;
            cur c = cur_at(idx, x->tok);
            uint32_t t;
            tok_read(idx, &c, out + (lo - a), lo - s1, hi - s1, &t);
        }
        if (b > s1)
            b = s1;
        j = x->ref;
    }
}

static void version_out(nw_dedup_index *idx, const vstate *v)
{
    if (v->kind == V_NUM) {
        snprintf(idx->ver, sizeof idx->ver, "%llu", (unsigned long long)v->num);
    } else if (v->kind == V_STR) {
        ring_copy(idx, v->off, idx->ver, v->len);
        idx->ver[v->len] = '\0';
    } else {
        idx->ver[0] = '\0';
    }
}

/* Decodes the entry of record seq (live, or being evicted): its uri into
 * idx->work, its version into idx->ver, its `of` into *e. With ulen not
 * SIZE_MAX, stops early (returning false) when the uri is not ulen bytes. */
static bool decode_if(nw_dedup_index *idx, uint64_t seq, entry *e, size_t ulen)
{
    if (!idx->dec_ok || idx->dec_seq != seq) {
        ent ents[BLOCK];
        vstate v;
        entry x;
        walk(idx, seq, ents, &v, &x);
        size_t j = (size_t)(seq % BLOCK);
        if (ulen != SIZE_MAX && ents[j].len != ulen)
            return false;
        emit(idx, ents, j, 0, ents[j].len, idx->work);
        idx->work[ents[j].len] = '\0';
        version_out(idx, &v);
        x.uri_len = ents[j].len;
        x.version = idx->ver;
        idx->dec_e = x;
        idx->dec_seq = seq;
        idx->dec_ok = true;
    }
    *e = idx->dec_e;
    return true;
}

static void decode(nw_dedup_index *idx, uint64_t seq, entry *e)
{
    decode_if(idx, seq, e, SIZE_MAX);
}

/* Whether record seq's uri is uri[0..ulen) (its entry decoded into e). */
static bool uri_is(nw_dedup_index *idx, uint64_t seq, const char *uri, size_t ulen, entry *e)
{
    return decode_if(idx, seq, e, ulen) && e->uri_len == ulen && !memcmp(idx->work, uri, ulen);
}

/* ------------------------------------------------------------- records */

static rec *rec_at(const nw_dedup_index *idx, uint64_t seq)
{
    return &idx->recs[seq % idx->cap];
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
        cur c = cur_at(idx, e->of_off);
        uint32_t t;
        size_t n = tok_read(idx, &c, buf, 0, MAX_STR, &t);
        buf[n > MAX_STR ? MAX_STR : n] = '\0';
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

static uint64_t uri_hash(const char *uri, size_t len)
{
    return XXH3_64bits(uri, len);
}

/* The uri-table key of a record that is not its uri's newest version. */
static uint64_t uri_version_hash(const char *uri, size_t ulen, const char *version)
{
    return XXH3_64bits_withSeed(uri, ulen,
                                XXH3_64bits(version, strlen(version)) ^ 0x9E3779B97F4A7C15ull);
}

static uint64_t band_hash(int band, uint32_t key)
{
    return mix64(((uint64_t)(band + 1) << 32) | key);
}

/* The key check kept in a slot: the top chk_bits of the hash, never 0 (so
 * that no slot is 0, which is empty). */
static uint32_t check_of(const nw_dedup_index *idx, uint64_t h)
{
    uint32_t c = (uint32_t)(h >> (64 - idx->chk_bits));
    return c ? c : 1;
}

static uint32_t slot_chk(const nw_dedup_index *idx, uint32_t slot)
{
    return slot >> idx->seq_bits;
}

/* The live record a slot names: true and *seq when the seq it keeps (mod
 * 2^seq_bits) is one of the live records'. */
static bool slot_seq(const nw_dedup_index *idx, uint32_t slot, uint64_t *seq)
{
    if (!slot || idx->tail_seq == idx->head_seq)
        return false;
    uint64_t last = idx->tail_seq - 1, back = (last - (slot & idx->seq_mask)) & idx->seq_mask;
    if (back > last - idx->head_seq)
        return false;
    *seq = last - back;
    return true;
}

static size_t bucket1(const nw_dedup_index *idx, uint64_t h)
{
    return (size_t)(((h & 0xffffffffu) * (uint64_t)idx->nbuckets) >> 32);
}

/* The other bucket of a key in bucket b with check chk: an involution
 * (alt(alt(b)) == b), so a displaced slot finds its other home from its
 * check alone. */
static size_t alt_bucket(const nw_dedup_index *idx, size_t b, uint32_t chk)
{
    size_t x = (size_t)(mix64(chk + 1u) % idx->nbuckets);
    return (x + idx->nbuckets - b) % idx->nbuckets;
}

/* A free (empty or stale) slot of bucket b, or -1. */
static int free_slot(const nw_dedup_index *idx, int t, size_t b)
{
    const uint32_t *bk = idx->tables[t] + b * BUCKET;
    uint64_t s;
    for (int k = 0; k < BUCKET; k++)
        if (!slot_seq(idx, bk[k], &s))
            return k;
    return -1;
}

static void table_put(nw_dedup_index *idx, int t, uint64_t h, uint64_t seq)
{
    uint32_t *tab = idx->tables[t];
    uint32_t chk = check_of(idx, h);
    uint32_t item = chk << idx->seq_bits | ((uint32_t)seq & idx->seq_mask);
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
     * entry makes room (the newest copies stay findable). Uri-table keys
     * are never hot: one per (uri, version). */
    size_t bs[2] = {b, b2};
    uint32_t *victim = NULL;
    uint64_t vseq = 0;
    int same = 0;
    for (int i = 0; i < (b2 == b ? 1 : 2); i++)
        for (int j = 0; j < BUCKET; j++) {
            uint32_t *sl = &tab[bs[i] * BUCKET + (size_t)j];
            uint64_t s;
            if (slot_chk(idx, *sl) != chk || !slot_seq(idx, *sl, &s))
                continue;
            same++;
            if (!victim || s < vseq)
                vseq = s, victim = sl;
        }
    if (t > 0 && same >= BUCKET / 2) {
        *victim = item;
        idx->st.slot_overwrites++;
        return;
    }
    /* else displace (cuckoo), choosing the slot to kick by a hash of the
     * walk so that it does not cycle; deterministic */
    uint64_t walk_h = h;
    for (int kick = 0; kick < MAX_KICKS; kick++) {
        walk_h = mix64(walk_h + (uint64_t)kick);
        size_t s = b * BUCKET + (size_t)(walk_h % BUCKET);
        uint32_t out = tab[s];
        tab[s] = item;
        item = out;
        b = alt_bucket(idx, b, slot_chk(idx, out));
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
    while (idx->head_seq < idx->tail_seq &&
           (int64_t)rd32(rec_at(idx, idx->head_seq)->time_s) < cutoff) {
        evict_head(idx);
        idx->st.evicted_age++;
    }
}

/* --------------------------------------------------------------- lookup */

/* A live record of uri (any version; the first in table order): true and
 * *seq, else false. */
static bool find_uri(nw_dedup_index *idx, const char *uri, size_t ulen, uint64_t *seq)
{
    uint64_t h = uri_hash(uri, ulen);
    uint32_t chk = check_of(idx, h);
    size_t b[2] = {bucket1(idx, h), 0};
    b[1] = alt_bucket(idx, b[0], chk);
    for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
        const uint32_t *bk = idx->tables[0] + b[i] * BUCKET;
        for (int k = 0; k < BUCKET; k++) {
            entry e;
            if (slot_chk(idx, bk[k]) == chk && slot_seq(idx, bk[k], seq) &&
                uri_is(idx, *seq, uri, ulen, &e))
                return true;
        }
    }
    return false;
}

/* Fills *hit from record seq, its entry just decoded into e. */
static void hit_of(nw_dedup_index *idx, uint64_t seq, const entry *e, nw_dedup_hit *hit)
{
    if (!hit)
        return;
    const rec *r = rec_at(idx, seq);
    hit->kind = (nw_dedup_kind)(r->flags & 3);
    hit->score = r->score / 100.0;
    hit->of = hit->kind >= NW_DEDUP_DUPLICATE ? resolve_of(idx, seq, e, idx->out_of) : NULL;
    hit->time_s = rd32(r->time_s);
}

/* (uri, version) in the uri table, where the newest record of a uri is
 * keyed by the uri and each older one (REC_OLDVER) by (uri, version): 1 and
 * *hit (may be NULL) when stored, else 0. *known: whether any version of
 * uri is. *newest / *newest_slot: the newest record of uri and its slot
 * (NULL when none), filled on a miss. */
static int lookup(nw_dedup_index *idx, const char *uri, const char *version, nw_dedup_hit *hit,
                  bool *known, uint64_t *newest, uint32_t **newest_slot)
{
    *known = false;
    *newest_slot = NULL;
    size_t ulen = strlen(uri);
    uint64_t h = uri_hash(uri, ulen);
    uint32_t chk = check_of(idx, h);
    size_t b[2] = {bucket1(idx, h), 0};
    b[1] = alt_bucket(idx, b[0], chk);
    for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
        uint32_t *bk = idx->tables[0] + b[i] * BUCKET;
        for (int k = 0; k < BUCKET; k++) {
            uint64_t seq;
            entry e;
            if (slot_chk(idx, bk[k]) != chk || !slot_seq(idx, bk[k], &seq) ||
                (rec_at(idx, seq)->flags & REC_OLDVER) || !uri_is(idx, seq, uri, ulen, &e))
                continue;
            *known = true;
            if (!strcmp(e.version, version)) {
                hit_of(idx, seq, &e, hit);
                return 1;
            }
            if (!*newest_slot || seq > *newest) {
                *newest = seq;
                *newest_slot = &bk[k];
            }
        }
    }
    if (!*known)
        return 0; /* older versions go before the newest: none is stored */
    h = uri_version_hash(uri, ulen, version);
    chk = check_of(idx, h);
    b[0] = bucket1(idx, h);
    b[1] = alt_bucket(idx, b[0], chk);
    for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
        const uint32_t *bk = idx->tables[0] + b[i] * BUCKET;
        for (int k = 0; k < BUCKET; k++) {
            uint64_t seq;
            entry e;
            if (slot_chk(idx, bk[k]) == chk && slot_seq(idx, bk[k], &seq) &&
                (rec_at(idx, seq)->flags & REC_OLDVER) && uri_is(idx, seq, uri, ulen, &e) &&
                !strcmp(e.version, version)) {
                hit_of(idx, seq, &e, hit);
                return 1;
            }
        }
    }
    return 0;
}

int nw_dedup_index_get(nw_dedup_index *idx, const char *uri, const char *version, nw_dedup_hit *hit,
                       bool *uri_known)
{
    bool known;
    uint64_t newest;
    uint32_t *slot;
    int rc = lookup(idx, uri, version, hit, &known, &newest, &slot);
    if (uri_known)
        *uri_known = known;
    return rc;
}

/* How much a stored record r says the new text sk copies it, or -1 when
 * not enough: 1 for the same text; the estimated resemblance when it
 * reaches the threshold; for a shorter new text, its estimated containment
 * in r when that reaches rule->containment (less LEAD_SLACK when the two
 * share their lead). Short and numeric texts: see nw_dedup_index.h. */
static double copy_score(const rec *r, const nw_dedup_sketch *sk, bool short_text,
                         const nw_dedup_rule *rule, bool *exact)
{
    *exact = rd32(r->exact32) == (uint32_t)sk->exact_lo && !memcmp(r->sig, sk->sig, sizeof r->sig);
    if (*exact)
        return 1.0;
    if (short_text || (r->flags & REC_SHORT))
        return -1;
    bool numeric = sk->numeric || (r->flags & REC_NUMERIC);
    bool ext = sk->has_ext && (r->flags & REC_EXT);
    double j =
        nw_dedup_sig2_similarity(r->sig, ext ? r->sig2 : NULL, sk->sig, ext ? sk->sig2 : NULL);
    if (j >= rule->threshold + (numeric ? NUMERIC_EXTRA : 0))
        return j;
    uint32_t old_words = rd16(r->words);
    if (numeric || rule->containment <= 0 || j < LEAD_MIN_J || sk->words < CONTAIN_MIN_WORDS ||
        sk->words > CONTAIN_MAX_RATIO * old_words || sk->words < CONTAIN_MIN_RATIO * old_words)
        return -1;
    double c = nw_dedup_containment(j, sk->words, old_words), need = rule->containment;
    bool lead = ext && nw_dedup_bbit_similarity(r->lead_sig, sk->lead_sig, NW_DEDUP_LEAD_BYTES) >=
                           LEAD_MATCH;
    if (lead)
        need -= LEAD_SLACK;
    else if (j < CONTAIN_MIN_J)
        return -1;
    return c >= need ? c : -1;
}

int nw_dedup_index_find(nw_dedup_index *idx, const nw_dedup_sketch *sk, bool short_text,
                        const char *uri, const nw_dedup_rule *rule, nw_dedup_hit *hit)
{
    if (!sk->words)
        return 0;
    uint64_t seen[MAX_CANDIDATES], best_seq = 0;
    size_t nseen = 0, ulen = strlen(uri);
    const rec *best = NULL;
    double best_score = -1;
    bool best_exact = false;
    int ntables = NW_DEDUP_BANDS + (sk->has_ext && !short_text ? NW_DEDUP_LEAD_BANDS : 0);
    for (int bd = 0; bd < ntables; bd++) {
        uint32_t key = bd < NW_DEDUP_BANDS ? sk->bands[bd] : sk->lead_bands[bd - NW_DEDUP_BANDS];
        uint64_t h = band_hash(bd, key);
        uint32_t chk = check_of(idx, h);
        size_t b[2] = {bucket1(idx, h), 0};
        b[1] = alt_bucket(idx, b[0], chk);
        for (int i = 0; i < (b[1] == b[0] ? 1 : 2); i++) {
            const uint32_t *bk = idx->tables[1 + bd] + b[i] * BUCKET;
            for (int k = 0; k < BUCKET; k++) {
                uint64_t seq;
                if (slot_chk(idx, bk[k]) != chk || !slot_seq(idx, bk[k], &seq))
                    continue;
                bool dup = false;
                for (size_t j = 0; j < nseen && !dup; j++)
                    dup = seen[j] == seq;
                if (dup)
                    continue;
                if (nseen < MAX_CANDIDATES)
                    seen[nseen++] = seq;
                const rec *r = rec_at(idx, seq);
                bool exact;
                double score = copy_score(r, sk, short_text, rule, &exact);
                if (score < 0)
                    continue;
                bool better = (exact && !best_exact) ||
                              (exact == best_exact &&
                               (score > best_score || (score == best_score && best &&
                                                       rd32(r->time_s) < rd32(best->time_s))));
                if (!better)
                    continue;
                entry e;
                if (uri_is(idx, seq, uri, ulen, &e))
                    continue; /* another version of the same story: an update */
                best = r;
                best_seq = seq;
                best_score = score;
                best_exact = exact;
            }
        }
    }
    if (!best)
        return 0;
    nw_dedup_kind bk = (nw_dedup_kind)(best->flags & 3);
    entry e;
    decode(idx, best_seq, &e);
    hit->kind = best_exact ? NW_DEDUP_DUPLICATE : NW_DEDUP_NEAR;
    hit->score = best_score;
    if (bk >= NW_DEDUP_DUPLICATE)
        hit->of = resolve_of(idx, best_seq, &e, idx->out_of);
    else
        hit->of = memcpy(idx->out_of, idx->work, e.uri_len + 1);
    hit->time_s = rd32(best->time_s);
    return 1;
}

int nw_dedup_index_match(nw_dedup_index *idx, const nw_dedup_sketch *sk, bool short_text,
                         const char *uri, double threshold, nw_dedup_hit *hit)
{
    nw_dedup_rule rule = {threshold, NW_DEDUP_CONTAINMENT};
    return nw_dedup_index_find(idx, sk, short_text, uri, &rule, hit);
}

/* ---------------------------------------------------------------- insert */

/* How an entry codes its uri. */
typedef struct coding {
    size_t r;      /* distance back to the reference, 0: none */
    int mode;      /* M_* */
    size_t d;      /* M_TOKENS, M_PREFIX, M_SPLICE: D */
    size_t k;      /* M_SPLICE: K */
    size_t from;   /* M_TOKENS, M_SPLICE: the tokens code uri[from..from + xlen) */
    size_t xlen;   /* 0: no tokens */
    size_t hexlen; /* M_TAIL, M_SPLICE: the final digits uri[ulen - hexlen..) */
    size_t cost;   /* bytes, header included */
    uint32_t tail; /* the entry's final hex run as the walk tracks it */
} coding;

static void consider(coding *best, const coding *c)
{
    if (c->cost < best->cost)
        *best = *c;
}

/* The cheapest coding of uri against the earlier entries of the newest
 * block: for each, the prefix (M_PREFIX, M_TAIL) and splice codings, and
 * tokens after the longest shared prefix. */
static coding choose(const nw_dedup_index *idx, const char *uri, size_t ulen)
{
    uint32_t t = 0;
    coding best = {.mode = M_PREFIX, .cost = 1};
    if (ulen)
        best = (coding){
            .mode = M_TOKENS, .xlen = ulen, .cost = 1 + tok_encode(uri, ulen, NULL, &t), .tail = t};
    size_t run = 0; /* the uri's final run of lowercase hex digits */
    while (run < ulen && lower_hex((unsigned char)uri[ulen - 1 - run]))
        run++;
    size_t best_lcp = 0, best_j = BLOCK;
    for (size_t j = 0; j < idx->e_n; j++) {
        const char *ref = idx->eb + idx->e_off[j];
        size_t rlen = idx->e_len[j], rtail = idx->e_tail[j], r = idx->e_n - j;
        size_t m = ulen < rlen ? ulen : rlen, lcp = 0;
        while (lcp < m && ref[lcp] == uri[lcp])
            lcp++;
        if (lcp == ulen) {
            size_t d = rlen - ulen;
            coding c = {.r = r,
                        .mode = M_PREFIX,
                        .d = d,
                        .cost = 1 + varint_len(d),
                        .tail = rtail > d ? (uint32_t)(rtail - d) : 0};
            consider(&best, &c);
            continue;
        }
        if (ulen == rlen && rtail && ulen - lcp <= rtail && rtail <= run) {
            coding c = {.r = r,
                        .mode = M_TAIL,
                        .hexlen = rtail,
                        .cost = 1 + (rtail + 1) / 2,
                        .tail = (uint32_t)rtail};
            consider(&best, &c);
        }
        if (lcp >= best_lcp && lcp > 0)
            best_lcp = lcp, best_j = j;
        /* splice: the cores (without the final run of rtail digits) share a
         * prefix p and a suffix sfx; the uri's middle is coded as tokens */
        if (rtail > run || rtail > ulen || 3 + (rtail + 1) / 2 >= best.cost)
            continue;
        size_t ucore = ulen - rtail, rcore = rlen - rtail, p = lcp;
        if (p > ucore)
            p = ucore;
        if (p > rcore)
            p = rcore;
        size_t sfx = 0;
        while (sfx < ucore - p && sfx < rcore - p && uri[ucore - 1 - sfx] == ref[rcore - 1 - sfx])
            sfx++;
        coding c = {.r = r,
                    .mode = M_SPLICE,
                    .d = rcore - p,
                    .k = rcore - sfx - p,
                    .from = p,
                    .xlen = ucore - sfx - p,
                    .hexlen = rtail};
        uint32_t xt = 0;
        c.cost = 1 + varint_len(c.d) + varint_len(c.k * 2 + (c.xlen > 0)) + (rtail + 1) / 2;
        if (c.cost + (c.xlen ? 2 : 0) >= best.cost)
            continue;
        if (c.xlen)
            c.cost += tok_encode(uri + p, c.xlen, NULL, &xt);
        c.tail = rtail ? (uint32_t)rtail : ucore - sfx - p > 0 && !sfx ? xt : 0;
        consider(&best, &c);
    }
    if (best_j < BLOCK) {
        size_t d = idx->e_len[best_j] - best_lcp;
        coding c = {.r = idx->e_n - best_j,
                    .mode = M_TOKENS,
                    .d = d,
                    .from = best_lcp,
                    .xlen = ulen - best_lcp};
        c.cost = 1 + varint_len(d) + tok_encode(uri + best_lcp, ulen - best_lcp, NULL, &t);
        c.tail = t;
        consider(&best, &c);
    }
    return best;
}

int nw_dedup_index_add(nw_dedup_index *idx, const nw_dedup_fp *fp, nw_err *err)
{
    /* the uri's newest record, if any: the new one takes its slot, and it
     * is keyed by (uri, version) from now on */
    uint64_t older = 0;
    uint32_t *older_slot;
    bool known;
    if (lookup(idx, fp->uri, fp->version, NULL, &known, &older, &older_slot))
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
    uint64_t older_key = 0;
    if (older_slot && older < idx->head_seq)
        older_slot = NULL; /* evicted just now (and every older version before it) */
    if (older_slot) {
        entry e;
        decode(idx, older, &e);
        older_key = uri_version_hash(fp->uri, ulen, e.version);
    }
    /* `of` as a reference to the original's record when it is here */
    uint64_t oseq = 0;
    bool orig = olen && find_uri(idx, of, olen, &oseq);

    /* the encoder's copy of the block's uris */
    if (seq % BLOCK == 0) {
        idx->e_n = 0;
        idx->eb_used = 0;
        idx->ever_len = 0;
    }
    if (idx->eb_used + ulen > idx->eb_cap) {
        size_t cap = idx->eb_cap;
        while (idx->eb_used + ulen > cap)
            cap *= 2;
        char *nb = realloc(idx->eb, cap);
        if (!nb)
            return nw_err_set(err, NW_ENOMEM, "out of memory for the dedup string coder");
        idx->eb = nb;
        idx->eb_cap = cap;
    }

    /* the entry: header, uri, [extension, version, of] */
    coding c = choose(idx, fp->uri, ulen);
    uint64_t vnum = 0;
    int vk = vlen == idx->ever_len && !memcmp(fp->version, idx->ever, vlen) ? V_SAME
             : !vlen                                                        ? V_EMPTY
             : numeric_version(fp->version, vlen, &vnum)                    ? V_NUM
                                                                            : V_STR;
    int oft = orig ? OF_REF : olen ? OF_INLINE : OF_NONE;
    bool ext = vk != V_SAME || oft != OF_NONE;
    uint32_t tl;
    size_t of_cost = oft == OF_REF      ? varint_len(seq - oseq)
                     : oft == OF_INLINE ? tok_encode(of, olen, NULL, &tl)
                                        : 0;
    size_t need = c.cost + ext + (vk == V_NUM ? varint_len(vnum) : 0) +
                  (vk == V_STR ? varint_len(vlen) + vlen : 0) + of_cost;
    if (ring_reserve(idx, need) < 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory for the dedup string ring");
    uint64_t pos = idx->str_tail;
    if (seq % BLOCK == 0) {
        idx->blk[(seq / BLOCK) % idx->nblk] = (uint32_t)pos;
        if (idx->head_seq == idx->tail_seq)
            idx->str_head = pos;
    }
    uint8_t *o = idx->enc;
    size_t k = 0;
    o[k++] = (uint8_t)(c.r | (ext ? H_EXT : 0) | (unsigned)c.mode << 6);
    if (c.mode == M_SPLICE) {
        k += put_varint(o + k, c.d);
        k += put_varint(o + k, c.k * 2 + (c.xlen > 0));
    } else if (c.r && c.mode != M_TAIL) {
        k += put_varint(o + k, c.d);
    }
    if (c.xlen)
        k += tok_encode(fp->uri + c.from, c.xlen, o + k, &tl);
    hex_pack(o + k, fp->uri + ulen - c.hexlen, c.hexlen);
    k += (c.hexlen + 1) / 2;
    if (ext) {
        o[k++] = (uint8_t)(vk | oft << 2);
        if (vk == V_NUM)
            k += put_varint(o + k, vnum);
        else if (vk == V_STR)
            k += put_varint(o + k, vlen);
    }
    ring_write(idx, pos, o, k);
    pos += k;
    if (vk == V_STR) {
        ring_write(idx, pos, fp->version, vlen);
        pos += vlen;
    }
    if (oft == OF_REF) {
        k = put_varint(o, seq - oseq);
        ring_write(idx, pos, o, k);
        pos += k;
    } else if (oft == OF_INLINE) {
        k = tok_encode(of, olen, o, &tl);
        ring_write(idx, pos, o, k);
        pos += k;
    }
    idx->str_tail = pos;
    memcpy(idx->eb + idx->eb_used, fp->uri, ulen);
    idx->e_off[idx->e_n] = (uint32_t)idx->eb_used;
    idx->e_len[idx->e_n] = (uint32_t)ulen;
    idx->e_tail[idx->e_n] = c.tail;
    idx->e_n++;
    idx->eb_used += ulen;
    memcpy(idx->ever, fp->version, vlen);
    idx->ever_len = vlen;
    if (orig) {
        rec *orec = rec_at(idx, oseq);
        uint8_t span = span_encode(seq - oseq);
        orec->flags |= REC_REFD;
        if (span > orec->ref_span)
            orec->ref_span = span;
    }

    rec *r = rec_at(idx, seq);
    memset(r, 0, sizeof *r);
    memcpy(r->sig, fp->sk.sig, sizeof r->sig);
    wr32(r->exact32, (uint32_t)fp->sk.exact_lo);
    wr32(r->time_s, (uint32_t)t);
    double sc = fp->score < 0 ? 0 : fp->score > 1 ? 1 : fp->score;
    r->score = (uint8_t)(sc * 100 + 0.5);
    r->flags = (uint8_t)((fp->kind & 3) | (fp->short_text ? REC_SHORT : 0) |
                         (fp->sk.numeric ? REC_NUMERIC : 0) | (fp->sk.has_ext ? REC_EXT : 0));
    wr16(r->words, fp->sk.words);
    memcpy(r->lead_sig, fp->sk.lead_sig, sizeof r->lead_sig);
    memcpy(r->sig2, fp->sk.sig2, sizeof r->sig2);
    idx->tail_seq++;
    if (older_slot) {
        /* same key, same check: the slot names the newest version now */
        *older_slot = (*older_slot & ~idx->seq_mask) | ((uint32_t)seq & idx->seq_mask);
        rec_at(idx, older)->flags |= REC_OLDVER;
        table_put(idx, 0, older_key, older);
    } else {
        table_put(idx, 0, uri_hash(fp->uri, ulen), seq);
    }
    if (fp->sk.words)
        for (int b = 0; b < NW_DEDUP_BANDS; b++)
            table_put(idx, 1 + b, band_hash(b, fp->sk.bands[b]), seq);
    if (fp->sk.words && fp->sk.has_ext && !fp->short_text)
        for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
            table_put(idx, LEAD_TABLE + b, band_hash(NW_DEDUP_BANDS + b, fp->sk.lead_bands[b]),
                      seq);
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
    s.fixed_bytes = sizeof *idx + idx->eb_cap;
    s.memory_bytes =
        s.fixed_bytes + s.record_bytes + s.table_bytes + s.string_ring_bytes + s.orphan_bytes;
    s.newest_s = idx->clock_s;
    return s;
}
