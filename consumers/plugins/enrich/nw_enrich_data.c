/*
 * nw_enrich_data — see nw_enrich_data.h. File formats: docs/enrich.md.
 */
#include "nw_enrich_data.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NW_ENRICH_DATA_INSTALL_DIR
#define NW_ENRICH_DATA_INSTALL_DIR "/usr/local/share/newswire/enrich"
#endif
#ifndef NW_ENRICH_DATA_BUILD_DIR
#define NW_ENRICH_DATA_BUILD_DIR ""
#endif

/* the first NW_ENRICH_ENTITY_FILES share one format; the keyword model is last */
#define NW_ENRICH_FILES        5
#define NW_ENRICH_ENTITY_FILES 3
static const char *const file_names[NW_ENRICH_FILES] = {
    "gazetteer.tsv", "entities.tsv", "nonorgs.tsv", "mediatopics.tsv", "topic_keywords.tsv"};

/* A name -> postings hash (open addressing); postings chain through `next`. */
typedef struct name_slot {
    const char *key; /* NULL = empty */
    uint32_t head;   /* first posting + 1; 0 = none */
    uint16_t len;    /* longer keys are not indexed: no text span is that long */
    uint16_t tag;    /* top bits of the key's hash: most misses never read the key */
} name_slot;

static inline uint16_t hash_tag(uint64_t h)
{
    return (uint16_t)(h >> 48);
}

typedef struct posting {
    uint32_t value; /* entry index, or topic index */
    float weight;
    uint32_t next; /* next posting + 1 */
} posting;

typedef struct name_index {
    name_slot *slots;
    size_t cap;
    posting *posts;
    size_t nposts, capposts;
    uint64_t *heads; /* hashes of the first words of multi-word keys; 0 = empty */
    size_t nheads, capheads;
    /* a bit set of every key's and head's hash (two bits each), small enough
     * to stay in the CPU's cache: most words of a text are neither, and most
     * of them are told so without reading the tables (docs/enrich.md, "Lookups
     * and hashing") */
    uint64_t *filter;
    size_t filter_mask; /* bits - 1 */
} name_index;

struct nw_enrich_data {
    char *files[NW_ENRICH_FILES]; /* file contents, tabs and newlines cut to NULs */
    size_t file_bytes;
    struct stat stats[NW_ENRICH_FILES];
    char *dir;
    char *topic_model; /* the keyword file, when not the directory's; else NULL */
    nw_gaz_entry *entries;
    size_t nentries, capentries;
    nw_topic *topics;
    size_t ntopics, captopics;
    uint32_t top_index[NW_TOPIC_TOP_COUNT];
    uint32_t country_index[26 * 26]; /* entry + 1 by alpha-2 code, 0 = none */
    name_index names;                /* gazetteer + entities */
    name_index topicw;               /* topic keywords and labels */
    int refs;                        /* guarded by shared_lock */
};

/* ASCII case folding only: names and keywords compare case-insensitively
 * in ASCII and byte for byte beyond it. */
static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Up to eight bytes with their ASCII capitals lower-cased, all at once: a
 * byte's high bit after the additions tells whether it is at least 'A' and
 * whether it is past 'Z'; bytes of 0x80 and more are left as they are. */
static inline uint64_t fold8(uint64_t x)
{
    const uint64_t high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    uint64_t low7 = x & ~high;
    uint64_t from_a = low7 + (0x80 - 'A') * ones, past_z = low7 + (0x80 - 'Z' - 1) * ones;
    return x | ((from_a & ~past_z & ~x & high) >> 2);
}

static inline uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

static inline uint64_t load4(const char *s)
{
    uint32_t w;
    memcpy(&w, s, 4);
    return w;
}

static inline uint64_t mix8(uint64_t h, uint64_t w)
{
    h = (h ^ fold8(w)) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/* The hash of s[0..len) with ASCII case folded (fold()), eight bytes a step
 * (the last eight, or two overlapping fours, cover the tail): a text's words
 * are hashed for several lookups each, and a byte at a time was a chain of
 * multiplications as long as the word. */
static uint64_t hash_key(const char *s, size_t len)
{
    uint64_t h = 0x2545F4914F6CDD1Dull ^ (len * 0x9E3779B97F4A7C15ull);
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8)
            h = mix8(h, load8(s + i));
        h = mix8(h, load8(s + len - 8));
    } else if (len >= 4) {
        h = mix8(h, load4(s) | load4(s + len - 4) << 32);
    } else if (len > 0) {
        h = mix8(h, (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
                        (uint64_t)(unsigned char)s[len - 1] << 16);
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h | 1; /* never 0, the empty mark of the heads set */
}

static bool key_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return false;
    return true;
}

static bool heads_has(const name_index *ix, uint64_t h)
{
    if (!ix->capheads)
        return false;
    for (size_t j = h & (ix->capheads - 1); ix->heads[j]; j = (j + 1) & (ix->capheads - 1))
        if (ix->heads[j] == h)
            return true;
    return false;
}

/* Remember the first word of a multi-word key ("stock" of "stock market"). */
static int heads_add(name_index *ix, const char *key, size_t len)
{
    const char *sp = memchr(key, ' ', len);
    if (!sp)
        return 0;
    uint64_t h = hash_key(key, (size_t)(sp - key));
    if (heads_has(ix, h))
        return 0;
    if ((ix->nheads + 1) * 2 > ix->capheads) {
        size_t nc = ix->capheads ? ix->capheads * 2 : 1024;
        uint64_t *nh = calloc(nc, sizeof *nh);
        if (!nh)
            return -1;
        for (size_t i = 0; i < ix->capheads; i++)
            if (ix->heads[i]) {
                size_t j = ix->heads[i] & (nc - 1);
                while (nh[j])
                    j = (j + 1) & (nc - 1);
                nh[j] = ix->heads[i];
            }
        free(ix->heads);
        ix->heads = nh;
        ix->capheads = nc;
    }
    size_t j = h & (ix->capheads - 1);
    while (ix->heads[j])
        j = (j + 1) & (ix->capheads - 1);
    ix->heads[j] = h;
    ix->nheads++;
    return 0;
}

static int index_grow(name_index *ix)
{
    size_t ncap = ix->cap ? ix->cap * 2 : 1024;
    name_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < ix->cap; i++) {
        name_slot *s = &ix->slots[i];
        if (!s->key)
            continue;
        size_t j = hash_key(s->key, s->len) & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(ix->slots);
    ix->slots = ns;
    ix->cap = ncap;
    return 0;
}

/* The slot of `key` whose hash_key is `h`, or NULL. */
static name_slot *index_find(const name_index *ix, uint64_t h, const char *key, size_t len)
{
    if (!ix->cap)
        return NULL;
    uint16_t tag = hash_tag(h);
    for (size_t j = h & (ix->cap - 1); ix->slots[j].key; j = (j + 1) & (ix->cap - 1)) {
        const name_slot *s = &ix->slots[j];
        if (s->tag == tag && key_eq(s->key, s->len, key, len))
            return &ix->slots[j];
    }
    return NULL;
}

static int index_add(name_index *ix, const char *key, size_t len, uint32_t value, float weight)
{
    if (len == 0 || len > UINT16_MAX)
        return 0;
    if (heads_add(ix, key, len) != 0)
        return -1;
    if ((ix->nposts + 1) * 2 > ix->cap && index_grow(ix) != 0)
        return -1;
    if (ix->nposts == ix->capposts) {
        size_t nc = ix->capposts ? ix->capposts * 2 : 1024;
        posting *np = realloc(ix->posts, nc * sizeof *np);
        if (!np)
            return -1;
        ix->posts = np;
        ix->capposts = nc;
    }
    uint64_t h = hash_key(key, len);
    name_slot *s = index_find(ix, h, key, len);
    if (!s) {
        size_t j = h & (ix->cap - 1);
        while (ix->slots[j].key)
            j = (j + 1) & (ix->cap - 1);
        s = &ix->slots[j];
        *s = (name_slot){.key = key, .len = (uint16_t)len, .tag = hash_tag(h)};
    }
    /* keep a value once per key */
    for (uint32_t p = s->head; p; p = ix->posts[p - 1].next)
        if (ix->posts[p - 1].value == value)
            return 0;
    ix->posts[ix->nposts] = (posting){value, weight, s->head};
    s->head = (uint32_t)++ix->nposts;
    return 0;
}

static void index_free(name_index *ix)
{
    free(ix->slots);
    free(ix->posts);
    free(ix->heads);
    free(ix->filter);
}

static inline void filter_bits(const name_index *ix, uint64_t h, size_t *a, size_t *b)
{
    *a = (size_t)(h >> 16) & ix->filter_mask;
    *b = (size_t)(h >> 40) & ix->filter_mask;
}

/* false: no key and no head has hash h; true: maybe one has */
static inline bool filter_has(const name_index *ix, uint64_t h)
{
    size_t a, b;
    filter_bits(ix, h, &a, &b);
    return (ix->filter[a / 64] >> (a % 64) & 1) && (ix->filter[b / 64] >> (b % 64) & 1);
}

static void filter_add(name_index *ix, uint64_t h)
{
    size_t a, b;
    filter_bits(ix, h, &a, &b);
    ix->filter[a / 64] |= 1ull << (a % 64);
    ix->filter[b / 64] |= 1ull << (b % 64);
}

/* The filter of the loaded index: 16 bits or more a key or head, so that it
 * lets through about 1 in 70 of the words that are in neither table. */
static int index_build_filter(name_index *ix)
{
    size_t n = 0;
    for (size_t i = 0; i < ix->cap; i++)
        n += ix->slots[i].key != NULL;
    size_t bits = 1024;
    while (bits < 16 * (n + ix->nheads))
        bits *= 2;
    ix->filter = calloc(bits / 64, sizeof *ix->filter);
    if (!ix->filter)
        return -1;
    ix->filter_mask = bits - 1;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].key)
            filter_add(ix, hash_key(ix->slots[i].key, ix->slots[i].len));
    for (size_t i = 0; i < ix->capheads; i++)
        if (ix->heads[i])
            filter_add(ix, ix->heads[i]);
    return 0;
}

/* Split a line into at most `max` tab-separated fields (cut in place). */
static size_t split_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static int read_file(const char *path, char **out, struct stat *st, nw_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nw_err_set(err, NW_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), st) != 0 || st->st_size <= 0 || st->st_size > (1 << 28)) {
        fclose(f);
        return nw_err_set(err, NW_EINVAL, "%s: empty or unreadable data file", path);
    }
    char *buf = malloc((size_t)st->st_size + 1);
    if (!buf) {
        fclose(f);
        return nw_err_set(err, NW_ENOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)st->st_size, f);
    fclose(f);
    if (got != (size_t)st->st_size) {
        free(buf);
        return nw_err_set(err, NW_EIO, "%s: short read", path);
    }
    buf[got] = '\0';
    if (memchr(buf, '\0', got)) {
        free(buf);
        return nw_err_set(err, NW_EINVAL, "%s: binary data (NUL byte): corrupt data file", path);
    }
    *out = buf;
    return 0;
}

static int add_entry(nw_enrich_data *d, const nw_gaz_entry *e)
{
    if (d->nentries == d->capentries) {
        size_t nc = d->capentries ? d->capentries * 2 : 4096;
        nw_gaz_entry *ne = realloc(d->entries, nc * sizeof *ne);
        if (!ne)
            return -1;
        d->entries = ne;
        d->capentries = nc;
    }
    d->entries[d->nentries++] = *e;
    return 0;
}

/* Index every |-separated variant of `variants` (cut in place) for `value`. */
static int add_variants(name_index *ix, char *variants, uint32_t value, float weight)
{
    char *v = variants;
    for (;;) {
        char *bar = strchr(v, '|');
        if (bar)
            *bar = '\0';
        while (*v == ' ')
            v++;
        if (*v && index_add(ix, v, strlen(v), value, weight) != 0)
            return -1;
        if (!bar)
            return 0;
        v = bar + 1;
    }
}

static nw_gaz_kind kind_of(const char *s)
{
    if (!strcmp(s, "country"))
        return NW_GAZ_COUNTRY;
    if (!strcmp(s, "region"))
        return NW_GAZ_REGION;
    if (!strcmp(s, "city"))
        return NW_GAZ_CITY;
    if (!strcmp(s, "demonym"))
        return NW_GAZ_DEMONYM;
    if (!strcmp(s, "org"))
        return NW_GAZ_ORG;
    if (!strcmp(s, "person"))
        return NW_GAZ_PERSON;
    if (!strcmp(s, "event"))
        return NW_GAZ_EVENT;
    if (!strcmp(s, "work"))
        return NW_GAZ_WORK;
    if (!strcmp(s, "product"))
        return NW_GAZ_PRODUCT;
    return 0;
}

/* One data line (cut in place, comments and blank lines skipped) to a parser. */
typedef int (*line_fn)(nw_enrich_data *d, char *line, const char *path, int lineno, nw_err *err);

static int for_each_line(nw_enrich_data *d, char *buf, const char *path, line_fn fn, nw_err *err)
{
    int lineno = 0;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        int rc = *line && *line != '#' ? fn(d, line, path, lineno, err) : 0;
        if (rc != 0)
            return rc;
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* gazetteer.tsv, entities.tsv and nonorgs.tsv share one format:
 * kind code name uri country population variants flags */
static int parse_entity_line(nw_enrich_data *d, char *line, const char *path, int lineno,
                             nw_err *err)
{
    char *f[9];
    size_t n = split_fields(line, f, 9);
    nw_gaz_kind k = n >= 7 ? kind_of(f[0]) : 0;
    if (!k || strlen(f[4]) > 2 || !*f[2])
        return nw_err_set(err, NW_EINVAL,
                          "%s:%d: expected kind, code, name, uri, country, population, "
                          "variants (tab separated): corrupt data file",
                          path, lineno);
    nw_gaz_entry e = {
        .code = f[1], .name = f[2], .uri = f[3], .kind = (uint8_t)k, .region = n >= 9 ? f[8] : ""};
    memcpy(e.cc, f[4], strlen(f[4]) + 1);
    e.population = (uint32_t)strtoul(f[5], NULL, 10);
    e.common_word = n >= 8 && strchr(f[7], 'w');
    e.sport = n >= 8 && strchr(f[7], 's');
    e.music = n >= 8 && strchr(f[7], 'm');
    uint32_t idx = (uint32_t)d->nentries;
    /* the first row of a code is the country ("Germany"; "West Germany" after it) */
    if (k == NW_GAZ_COUNTRY && f[1][0] >= 'A' && f[1][0] <= 'Z' && f[1][1] >= 'A' &&
        f[1][1] <= 'Z' && !f[1][2] && !d->country_index[(f[1][0] - 'A') * 26 + (f[1][1] - 'A')])
        d->country_index[(f[1][0] - 'A') * 26 + (f[1][1] - 'A')] = idx + 1;
    if (add_entry(d, &e) != 0 || add_variants(&d->names, f[6], idx, 1) != 0 ||
        index_add(&d->names, e.name, strlen(e.name), idx, 1) != 0)
        return nw_err_set(err, NW_ENOMEM, "%s: out of memory", path);
    return 0;
}

static int parse_entities(nw_enrich_data *d, char *buf, const char *path, nw_err *err)
{
    return for_each_line(d, buf, path, parse_entity_line, err);
}

static int find_topic(const nw_enrich_data *d, const char *code)
{
    for (size_t i = 0; i < d->ntopics; i++)
        if (!strcmp(d->topics[i].code, code))
            return (int)i;
    return -1;
}

/* mediatopics.tsv: code level top broader label wikidata. Labels of every
 * level are also keywords of their topic (weight 2 for phrases, 1 for words). */
static int parse_topic_line(nw_enrich_data *d, char *line, const char *path, int lineno,
                            nw_err *err)
{
    char *f[6];
    size_t n = split_fields(line, f, 6);
    int level = n >= 5 ? atoi(f[1]) : 0;
    if (n < 5 || strlen(f[0]) != 8 || level < 1 || level > 9)
        return nw_err_set(err, NW_EINVAL,
                          "%s:%d: expected code, level, top, broader, label: corrupt "
                          "data file",
                          path, lineno);
    if (d->ntopics == d->captopics) {
        size_t nc = d->captopics ? d->captopics * 2 : 256;
        nw_topic *nt = realloc(d->topics, nc * sizeof *nt);
        if (!nt)
            return nw_err_set(err, NW_ENOMEM, "%s: out of memory", path);
        d->topics = nt;
        d->captopics = nc;
    }
    nw_topic *t = &d->topics[d->ntopics];
    memcpy(t->code, f[0], 9);
    t->level = (uint8_t)level;
    t->label = f[4];
    unsigned top = (unsigned)atoi(f[2]) / 1000000u;
    if (top < 1 || top > NW_TOPIC_TOP_COUNT)
        return nw_err_set(err, NW_EINVAL, "%s:%d: top-level code %s out of range", path, lineno,
                          f[2]);
    t->top = (uint8_t)(top - 1);
    if (level == 1)
        d->top_index[top - 1] = (uint32_t)d->ntopics;
    /* whole labels only: "football", "election", "stock market" */
    float w = strchr(f[4], ' ') ? 2.0f : 1.0f; /* "stock market" says more than "law" */
    if (!strchr(f[4], ',') && strlen(f[4]) > 3 &&
        index_add(&d->topicw, f[4], strlen(f[4]), (uint32_t)d->ntopics, w) != 0)
        return nw_err_set(err, NW_ENOMEM, "%s: out of memory", path);
    d->ntopics++;
    return 0;
}

static int parse_topics(nw_enrich_data *d, char *buf, const char *path, nw_err *err)
{
    int rc = for_each_line(d, buf, path, parse_topic_line, err);
    if (rc != 0)
        return rc;
    if (d->ntopics == 0)
        return nw_err_set(err, NW_EINVAL, "%s: no topics: corrupt data file", path);
    for (unsigned i = 0; i < NW_TOPIC_TOP_COUNT; i++)
        if (strcmp(d->topics[d->top_index[i]].code + 2, "000000") ||
            (unsigned)atoi(d->topics[d->top_index[i]].code) / 1000000u != i + 1)
            return nw_err_set(err, NW_EINVAL, "%s: top-level topic %02u000000 missing", path,
                              i + 1);
    return 0;
}

/* topic_keywords.tsv: code weight words (|-separated, lower case). */
static int parse_keyword_line(nw_enrich_data *d, char *line, const char *path, int lineno,
                              nw_err *err)
{
    char *f[3];
    size_t n = split_fields(line, f, 3);
    int t = n == 3 ? find_topic(d, f[0]) : -1;
    float w = n == 3 ? strtof(f[1], NULL) : 0;
    if (t < 0 || w <= 0)
        return nw_err_set(err, NW_EINVAL,
                          "%s:%d: expected a known Media Topic code, a weight > 0 and "
                          "words: corrupt data file",
                          path, lineno);
    if (add_variants(&d->topicw, f[2], (uint32_t)t, w) != 0)
        return nw_err_set(err, NW_ENOMEM, "%s: out of memory", path);
    return 0;
}

static int parse_keywords(nw_enrich_data *d, char *buf, const char *path, nw_err *err)
{
    return for_each_line(d, buf, path, parse_keyword_line, err);
}

static void data_free(nw_enrich_data *d);

/* Path of data file i: the directory's, or the topic model given instead. */
static void file_path(char *out, size_t n, const char *dir, const char *topic_model, int i)
{
    if (i == NW_ENRICH_FILES - 1 && topic_model)
        snprintf(out, n, "%s", topic_model);
    else
        snprintf(out, n, "%s/%s", dir, file_names[i]);
}

nw_enrich_data *nw_enrich_data_load(const char *dir, nw_err *err)
{
    return nw_enrich_data_load_model(dir, NULL, err);
}

nw_enrich_data *nw_enrich_data_load_model(const char *dir, const char *topic_model, nw_err *err)
{
    nw_enrich_data *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(dir)) || (topic_model && !(d->topic_model = strdup(topic_model)))) {
        if (d)
            free(d->dir);
        free(d);
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    d->refs = 1;
    char path[4096];
    for (int i = 0; i < NW_ENRICH_FILES; i++) {
        file_path(path, sizeof path, dir, topic_model, i);
        if (read_file(path, &d->files[i], &d->stats[i], err) != 0)
            goto fail;
        d->file_bytes += (size_t)d->stats[i].st_size;
    }
    for (int i = 0; i < NW_ENRICH_FILES; i++) {
        file_path(path, sizeof path, dir, topic_model, i);
        int rc = i < NW_ENRICH_ENTITY_FILES    ? parse_entities(d, d->files[i], path, err)
                 : i == NW_ENRICH_ENTITY_FILES ? parse_topics(d, d->files[i], path, err)
                                               : parse_keywords(d, d->files[i], path, err);
        if (rc != 0)
            goto fail;
    }
    if (d->nentries == 0) {
        nw_err_set(err, NW_EINVAL, "%s/%s: no entries: corrupt data file", dir, file_names[0]);
        goto fail;
    }
    if (index_build_filter(&d->names) != 0 || index_build_filter(&d->topicw) != 0) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        goto fail;
    }
    return d;
fail:
    data_free(d);
    return NULL;
}

/* ---- sharing ----------------------------------------------------------- */

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static nw_enrich_data *shared; /* the newest set, holding one reference */

static bool unchanged(const nw_enrich_data *d, const char *dir, const char *topic_model)
{
    if (strcmp(d->dir, dir) || !d->topic_model != !topic_model ||
        (topic_model && strcmp(d->topic_model, topic_model)))
        return false;
    char path[4096];
    for (int i = 0; i < NW_ENRICH_FILES; i++) {
        struct stat st;
        file_path(path, sizeof path, dir, topic_model, i);
        if (stat(path, &st) != 0 || st.st_size != d->stats[i].st_size ||
            st.st_mtim.tv_sec != d->stats[i].st_mtim.tv_sec ||
            st.st_mtim.tv_nsec != d->stats[i].st_mtim.tv_nsec || st.st_ino != d->stats[i].st_ino)
            return false;
    }
    return true;
}

nw_enrich_data *nw_enrich_data_acquire(const char *dir, nw_err *err)
{
    return nw_enrich_data_acquire_model(dir, NULL, err);
}

nw_enrich_data *nw_enrich_data_acquire_model(const char *dir, const char *topic_model, nw_err *err)
{
    pthread_mutex_lock(&shared_lock);
    if (shared && unchanged(shared, dir, topic_model)) {
        shared->refs++;
        pthread_mutex_unlock(&shared_lock);
        return shared;
    }
    pthread_mutex_unlock(&shared_lock);
    /* load outside the lock; a racing loader of the same files wastes work only */
    nw_enrich_data *d = nw_enrich_data_load_model(dir, topic_model, err);
    if (!d)
        return NULL;
    pthread_mutex_lock(&shared_lock);
    nw_enrich_data *old = shared;
    shared = d;
    d->refs = 2; /* the caller's and the cache's */
    bool free_old = old && --old->refs == 0;
    pthread_mutex_unlock(&shared_lock);
    if (free_old)
        data_free(old);
    return d;
}

static void data_free(nw_enrich_data *d)
{
    for (int i = 0; i < NW_ENRICH_FILES; i++)
        free(d->files[i]);
    index_free(&d->names);
    index_free(&d->topicw);
    free(d->entries);
    free(d->topics);
    free(d->dir);
    free(d->topic_model);
    free(d);
}

void nw_enrich_data_release(nw_enrich_data *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&shared_lock);
    bool last = --d->refs == 0;
    if (last && shared == d)
        shared = NULL;
    pthread_mutex_unlock(&shared_lock);
    if (last)
        data_free(d);
}

/* ---- queries ------------------------------------------------------------ */

size_t nw_enrich_data_lookup(const nw_enrich_data *d, const char *key, size_t len, uint32_t *out,
                             size_t max)
{
    uint64_t h = hash_key(key, len);
    const name_slot *s = filter_has(&d->names, h) ? index_find(&d->names, h, key, len) : NULL;
    size_t n = 0;
    for (uint32_t p = s ? s->head : 0; p && n < max; p = d->names.posts[p - 1].next)
        out[n++] = d->names.posts[p - 1].value;
    return n;
}

const nw_gaz_entry *nw_enrich_data_entry(const nw_enrich_data *d, uint32_t index)
{
    return index < d->nentries ? &d->entries[index] : NULL;
}

uint64_t nw_enrich_data_hash(const char *key, size_t len)
{
    return hash_key(key, len);
}

size_t nw_enrich_data_topic_hits(const nw_enrich_data *d, const char *key, size_t len, uint64_t h,
                                 nw_topic_hit_fn fn, void *ctx, bool *head)
{
    bool maybe = filter_has(&d->topicw, h);
    if (head)
        *head = maybe && heads_has(&d->topicw, h);
    const name_slot *s = maybe ? index_find(&d->topicw, h, key, len) : NULL;
    size_t n = 0;
    for (uint32_t p = s ? s->head : 0; p; p = d->topicw.posts[p - 1].next, n++)
        fn(ctx, d->topicw.posts[p - 1].value, d->topicw.posts[p - 1].weight);
    return n;
}

bool nw_enrich_data_name_head(const nw_enrich_data *d, const char *word, size_t len)
{
    uint64_t h = hash_key(word, len);
    return filter_has(&d->names, h) && heads_has(&d->names, h);
}

const nw_topic *nw_enrich_data_topic(const nw_enrich_data *d, uint32_t index)
{
    return index < d->ntopics ? &d->topics[index] : NULL;
}

const nw_topic *nw_enrich_data_topic_code(const nw_enrich_data *d, const char *code)
{
    int i = find_topic(d, code);
    return i < 0 ? NULL : &d->topics[i];
}

uint32_t nw_enrich_data_top_topic(const nw_enrich_data *d, unsigned top)
{
    return d->top_index[top < NW_TOPIC_TOP_COUNT ? top : 0];
}

const nw_gaz_entry *nw_enrich_data_country(const nw_enrich_data *d, const char *cc)
{
    if (!cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
        return NULL;
    uint32_t i = d->country_index[(cc[0] - 'A') * 26 + (cc[1] - 'A')];
    return i ? &d->entries[i - 1] : NULL;
}

const char *nw_enrich_data_dir(const nw_enrich_data *d)
{
    return d->dir;
}

size_t nw_enrich_data_bytes(const nw_enrich_data *d)
{
    return d->file_bytes + d->capentries * sizeof(nw_gaz_entry) + d->captopics * sizeof(nw_topic) +
           (d->names.cap + d->topicw.cap) * sizeof(name_slot) +
           (d->names.capposts + d->topicw.capposts) * sizeof(posting) +
           (d->names.capheads + d->topicw.capheads) * sizeof(uint64_t) +
           (d->names.filter_mask + d->topicw.filter_mask + 2) / 8;
}

/* <dir of the running program>/../share/newswire/enrich: an install under any
 * prefix (bin/ beside share/), and the build tree (consumers/, tests/ beside
 * share/). */
static bool exe_relative_dir(char *out, size_t n)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return false;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    struct stat st;
    char probe[4096 + 64];
    snprintf(probe, sizeof probe, "%s/../share/newswire/enrich/gazetteer.tsv", exe);
    if (stat(probe, &st) != 0 || (size_t)snprintf(out, n, "%s/../share/newswire/enrich", exe) >= n)
        return false;
    return true;
}

const char *nw_enrich_data_default_dir(char *buf, size_t len)
{
    struct stat st;
    if (exe_relative_dir(buf, len))
        return buf;
    if (stat(NW_ENRICH_DATA_INSTALL_DIR "/gazetteer.tsv", &st) == 0 || !*NW_ENRICH_DATA_BUILD_DIR)
        return NW_ENRICH_DATA_INSTALL_DIR;
    return NW_ENRICH_DATA_BUILD_DIR;
}
