/*
 * nw_enrich_lang — see nw_enrich_lang.h. The method and its measurements:
 * docs/enrich.md, "Language".
 */
#include "nw_enrich_lang.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

/* n-grams per profile: the fingerprints' size (libexttextcat ranks 400 of
 * the text's against 400 of each language's). */
#define LANG_NGRAMS 400
#define MAX_NGRAM   5 /* characters */
#define MIN_BYTES   20

/* The text's profile: at most SAMPLE + 2 characters after collapsing
 * separators, so at most MAX_NGRAM n-grams start at each. */
#define SAMPLE_CHARS  (NW_ENRICH_LANG_SAMPLE + 2)
#define PROFILE_MAX   (MAX_NGRAM * SAMPLE_CHARS)
#define PROFILE_SLOTS 8192 /* open addressing, at most PROFILE_MAX of them used */
/* then a cell per ASCII byte and per pair of them (count_ngrams) */
#define DIRECT_1      PROFILE_SLOTS
#define DIRECT_2      (DIRECT_1 + 128)
#define PROFILE_CELLS (DIRECT_2 + 128 * 128)
_Static_assert(PROFILE_SLOTS >= 2 * PROFILE_MAX, "profile table too small");
_Static_assert(PROFILE_MAX < UINT16_MAX, "profile slots hold 16-bit indexes");

/* Writing systems, as far as telling the candidate languages apart needs. */
typedef enum script {
    S_NONE = 0,
    S_LATIN,
    S_GREEK,
    S_CYRILLIC,
    S_ARMENIAN,
    S_HEBREW,
    S_ARABIC,
    S_DEVANAGARI,
    S_BENGALI,
    S_THAI,
    S_GEORGIAN,
    S_HANGUL,
    S_HAN,
    S_KANA, /* Japanese: Han and kana, told from Chinese by the kana */
    S_OTHER,
    S_COUNT
} script;

static script script_of(int32_t c)
{
    static const struct {
        int32_t lo, hi;
        script s;
    } blocks[] = {
        {0x00C0, 0x024F, S_LATIN},    {0x0370, 0x03FF, S_GREEK},      {0x0400, 0x052F, S_CYRILLIC},
        {0x0530, 0x058F, S_ARMENIAN}, {0x0590, 0x05FF, S_HEBREW},     {0x0600, 0x06FF, S_ARABIC},
        {0x0750, 0x077F, S_ARABIC},   {0x0900, 0x097F, S_DEVANAGARI}, {0x0980, 0x09FF, S_BENGALI},
        {0x0E00, 0x0E7F, S_THAI},     {0x10A0, 0x10FF, S_GEORGIAN},   {0x1100, 0x11FF, S_HANGUL},
        {0x1E00, 0x1EFF, S_LATIN},    {0x1F00, 0x1FFF, S_GREEK},      {0x3040, 0x30FF, S_KANA},
        {0x3130, 0x318F, S_HANGUL},   {0x3400, 0x4DBF, S_HAN},        {0x4E00, 0x9FFF, S_HAN},
        {0xAC00, 0xD7AF, S_HANGUL},   {0xF900, 0xFAFF, S_HAN},        {0xFB1D, 0xFB4F, S_HEBREW},
        {0xFB50, 0xFDFF, S_ARABIC},   {0xFE70, 0xFEFF, S_ARABIC},
    };
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? S_LATIN : S_NONE;
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (c >= blocks[i].lo && c <= blocks[i].hi)
            return blocks[i].s;
    return S_OTHER;
}

/* The character at s[0..len) (len > 0): its code point in *cp (-1 when the
 * bytes are not UTF-8) and its length in bytes (1 for an invalid byte). */
static size_t next_char(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned char b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t n = b >= 0xF5 ? 0 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || n > len) {
        *cp = -1;
        return 1;
    }
    int32_t c = b & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

static bool is_letter(int32_t c, script sc)
{
    if (sc == S_NONE)
        return false;
    return sc != S_OTHER || utf8proc_category(c) <= UTF8PROC_CATEGORY_LO;
}

/* The script with the most letter bytes (a Han character says as much as a
 * few Latin letters); Han and kana count as one, which is Japanese (kana)
 * when a tenth or more of it is kana, else Chinese (Han). */
static script dominant(const unsigned long counts[S_COUNT])
{
    unsigned long c[S_COUNT];
    memcpy(c, counts, sizeof c);
    unsigned long cjk = c[S_HAN] + c[S_KANA];
    c[S_HAN] = c[S_KANA] = 0;
    c[counts[S_KANA] * 10 >= cjk ? S_KANA : S_HAN] = cjk;
    script best = S_NONE;
    for (int s = S_LATIN; s < S_COUNT; s++)
        if (c[s] > c[best])
            best = (script)s;
    return best;
}

/* ---- the shared model ---------------------------------------------------- */

#define MAX_ACCENTED 48

typedef struct lang_info {
    char tag[16];
    script sc;
    uint8_t naccented;
    int32_t accented[MAX_ACCENTED]; /* the non-ASCII Latin letters of its n-grams */
} lang_info;

/* 8 bytes, so that the table of the 58 languages (11,000 n-grams) is 256 KB;
 * a text's n-gram that no language has matches another's tag once in
 * billions of lookups, which moves a score by one n-gram's worth at most */
typedef struct model_slot {
    uint32_t tag; /* the key's upper half, never 0; 0 = empty */
    uint32_t ref; /* its ranks: the block at ranks + ref * LANES */
} model_slot;

/* An n-gram's ranks in the languages of its script, one lane each (the
 * script's languages in the model's order), in blocks of LANES: scoring adds
 * a block at a time, which the compiler turns into vector instructions,
 * instead of following a list of (language, rank) pairs. A language without
 * the n-gram has rank NO_RANK, too far from any to gain anything. */
#define LANES   8
#define NO_RANK 0x3000

static uint32_t tag_of(uint64_t key)
{
    return (uint32_t)(key >> 32) | 1;
}

typedef struct model_file {
    char *path;
    struct stat st;
} model_file;

/* Every language's fingerprint in one table: (n-gram, script) -> (language,
 * rank), so that a text's n-gram finds only the languages of its script. */
typedef struct lang_model {
    char *conf, *dir;
    model_file *files; /* conf, then every fingerprint */
    size_t nfiles;
    lang_info *langs;
    size_t nlangs;
    model_slot *slots;
    size_t mask;
    int16_t *ranks; /* twice the n-gram's rank in each language, in blocks */
    /* per script: its languages (indexes into langs), padded to whole blocks */
    uint16_t *members[S_COUNT];
    size_t nmembers[S_COUNT], width[S_COUNT];
    uint16_t *lane; /* per language: its lane in its script's blocks */
    int refs;       /* guarded by model_lock */
} lang_model;

static uint64_t fnv_step(uint64_t h, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}
#define FNV_OFFSET 1469598103934665603ull

/* The table key of an n-gram's hash h in a language of script sc. */
static uint64_t key_of(uint64_t h, script sc)
{
    uint64_t k = h ^ ((uint64_t)sc * 0x9E3779B97F4A7C15ull);
    return k ? k : 1;
}

static size_t slot_of(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & mask;
}

static void model_free(lang_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    free(m->langs);
    free(m->slots);
    free(m->ranks);
    for (int sc = 0; sc < S_COUNT; sc++)
        free(m->members[sc]);
    free(m->lane);
    free(m->conf);
    free(m->dir);
    free(m);
}

typedef struct raw_gram {
    uint64_t key;
    uint16_t lang, rank;
} raw_gram;

static int cmp_raw(const void *a, const void *b)
{
    const raw_gram *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static bool has_letter(const lang_info *li, int32_t c)
{
    for (size_t i = 0; i < li->naccented; i++)
        if (li->accented[i] == c)
            return true;
    return false;
}

typedef struct loader {
    lang_model *m;
    raw_gram *raw;
    size_t nraw, capraw, capfiles, caplangs;
} loader;

/* Read one fingerprint file: n-grams in rank order, one a line, each
 * optionally followed by white space and a count. */
static int load_fingerprint(loader *ld, const char *path, const char *tag, const char *conf,
                            int line, nw_err *err)
{
    lang_model *m = ld->m;
    FILE *f = fopen(path, "r");
    if (!f)
        return nw_err_set(err, NW_EINVAL,
                          "%s:%d: cannot read the fingerprint %s (package libexttextcat-data)",
                          conf, line, path);
    model_file *mf = &m->files[m->nfiles];
    mf->path = strdup(path);
    if (!mf->path || fstat(fileno(f), &mf->st) != 0) {
        free(mf->path);
        fclose(f);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    m->nfiles++;
    lang_info *li = &m->langs[m->nlangs];
    memset(li, 0, sizeof *li);
    snprintf(li->tag, sizeof li->tag, "%s", tag);
    unsigned long scripts[S_COUNT] = {0};
    char buf[512];
    int rank = 0;
    while (rank < LANG_NGRAMS && fgets(buf, sizeof buf, f)) {
        size_t n = strcspn(buf, "\t \r\n");
        if (n == 0)
            continue;
        if (ld->nraw == ld->capraw) {
            size_t cap = ld->capraw ? 2 * ld->capraw : 16384;
            raw_gram *grown = realloc(ld->raw, cap * sizeof *grown);
            if (!grown) {
                fclose(f);
                return nw_err_set(err, NW_ENOMEM, "out of memory");
            }
            ld->raw = grown;
            ld->capraw = cap;
        }
        ld->raw[ld->nraw++] = (raw_gram){fnv_step(FNV_OFFSET, (const unsigned char *)buf, n),
                                         (uint16_t)m->nlangs, (uint16_t)rank};
        /* the script most of its n-grams are in */
        for (size_t i = 0; i < n;) {
            int32_t c;
            i += next_char((const unsigned char *)buf + i, n - i, &c);
            script sc = script_of(c);
            if (is_letter(c, sc))
                scripts[sc]++;
            if (sc == S_LATIN && c >= 0x80 && !has_letter(li, c) && li->naccented < MAX_ACCENTED)
                li->accented[li->naccented++] = c;
        }
        rank++;
    }
    fclose(f);
    if (rank == 0)
        return nw_err_set(err, NW_EINVAL, "%s:%d: the fingerprint %s has no n-grams", conf, line,
                          path);
    li->sc = dominant(scripts);
    for (size_t i = ld->nraw - (size_t)rank; i < ld->nraw; i++)
        ld->raw[i].key = key_of(ld->raw[i].key, li->sc);
    m->nlangs++;
    return 0;
}

static int grow_lists(loader *ld, nw_err *err)
{
    lang_model *m = ld->m;
    if (m->nlangs == ld->caplangs) {
        size_t cap = ld->caplangs ? 2 * ld->caplangs : 64;
        if (cap > UINT16_MAX)
            return nw_err_set(err, NW_EINVAL, "%s: too many languages", m->conf);
        lang_info *grown = realloc(m->langs, cap * sizeof *grown);
        if (!grown)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        m->langs = grown;
        ld->caplangs = cap;
    }
    if (m->nfiles == ld->capfiles) {
        size_t cap = 2 * ld->capfiles;
        model_file *grown = realloc(m->files, cap * sizeof *grown);
        if (!grown)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        m->files = grown;
        ld->capfiles = cap;
    }
    return 0;
}

/* Each script's languages, and each language's lane among them. */
static int build_lanes(lang_model *m, nw_err *err)
{
    m->lane = calloc(m->nlangs, sizeof *m->lane);
    if (!m->lane)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (int sc = 0; sc < S_COUNT; sc++) {
        for (size_t i = 0; i < m->nlangs; i++)
            if (m->langs[i].sc == (script)sc)
                m->nmembers[sc]++;
        if (m->nmembers[sc] == 0)
            continue;
        m->width[sc] = (m->nmembers[sc] + LANES - 1) / LANES * LANES;
        m->members[sc] = calloc(m->nmembers[sc], sizeof *m->members[sc]);
        if (!m->members[sc])
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < m->nlangs; i++)
            if (m->langs[i].sc == (script)sc) {
                m->members[sc][k] = (uint16_t)i;
                m->lane[i] = (uint16_t)k++;
            }
    }
    return 0;
}

/* The table of every n-gram of every language (sorted by key, grouped),
 * each key with a block of ranks in its script's languages. */
static int build_table(loader *ld, nw_err *err)
{
    lang_model *m = ld->m;
    int rc = build_lanes(m, err);
    if (rc != 0)
        return rc;
    qsort(ld->raw, ld->nraw, sizeof *ld->raw, cmp_raw);
    size_t distinct = 0, lanes = 0;
    for (size_t i = 0; i < ld->nraw; i++)
        if (i == 0 || ld->raw[i].key != ld->raw[i - 1].key) {
            distinct++;
            lanes += m->width[m->langs[ld->raw[i].lang].sc];
        }
    size_t cap = 1024;
    while (cap < 2 * distinct)
        cap *= 2;
    m->mask = cap - 1;
    m->slots = calloc(cap, sizeof *m->slots);
    m->ranks = malloc((lanes + 1) * sizeof *m->ranks);
    if (!m->slots || !m->ranks)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (lanes / LANES > UINT32_MAX)
        return nw_err_set(err, NW_EINVAL, "%s: too many n-grams", m->conf);
    size_t at = 0;
    for (size_t i = 0; i < ld->nraw;) {
        script sc = m->langs[ld->raw[i].lang].sc;
        int16_t *block = m->ranks + at;
        for (size_t k = 0; k < m->width[sc]; k++)
            block[k] = NO_RANK;
        size_t j = i;
        for (; j < ld->nraw && ld->raw[j].key == ld->raw[i].key; j++) {
            /* a key is its n-gram and script: another script's n-gram of
             * the same key (once in billions) is left out; an n-gram a
             * fingerprint lists twice keeps its first rank */
            int16_t *lane = &block[m->lane[ld->raw[j].lang]];
            int16_t rank2 = (int16_t)(2 * ld->raw[j].rank);
            if (m->langs[ld->raw[j].lang].sc == sc && rank2 < *lane)
                *lane = rank2;
        }
        size_t s = slot_of(ld->raw[i].key, m->mask);
        while (m->slots[s].tag)
            s = (s + 1) & m->mask;
        m->slots[s] = (model_slot){tag_of(ld->raw[i].key), (uint32_t)(at / LANES)};
        at += m->width[sc];
        i = j;
    }
    return 0;
}

static lang_model *model_load(const char *conf, const char *dir, nw_err *err)
{
    lang_model *m = calloc(1, sizeof *m);
    loader ld = {.m = m, .capfiles = 64};
    if (m) {
        m->conf = strdup(conf);
        m->dir = strdup(dir);
        m->files = malloc(ld.capfiles * sizeof *m->files);
    }
    FILE *f = fopen(conf, "r");
    if (!f) {
        model_free(m);
        return nw_err_set(err, NW_EINVAL, "%s: cannot open the language list", conf), NULL;
    }
    int rc = m && m->conf && m->dir && m->files ? 0 : nw_err_set(err, NW_ENOMEM, "out of memory");
    if (rc == 0 && fstat(fileno(f), &m->files[0].st) == 0 && (m->files[0].path = strdup(conf)))
        m->nfiles = 1;
    else if (rc == 0)
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    char line[1024];
    int lineno = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *save = NULL, *file = strtok_r(line, " \t\r\n", &save);
        if (!file || file[0] == '#')
            continue;
        size_t n = strlen(file);
        if (n < 4 || strcmp(file + n - 3, ".lm") || n - 3 >= sizeof m->langs[0].tag) {
            rc = nw_err_set(err, NW_EINVAL, "%s:%d: '%s' is not a <language>.lm file", conf, lineno,
                            file);
            break;
        }
        char path[4096], tag[16];
        snprintf(path, sizeof path, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "",
                 file);
        snprintf(tag, sizeof tag, "%.*s", (int)(n - 3), file);
        rc = grow_lists(&ld, err);
        if (rc == 0)
            rc = load_fingerprint(&ld, path, tag, conf, lineno, err);
    }
    fclose(f);
    if (rc == 0 && m->nlangs == 0)
        rc = nw_err_set(err, NW_EINVAL, "%s: lists no language", conf);
    if (rc == 0)
        rc = build_table(&ld, err);
    free(ld.raw);
    if (rc != 0) {
        model_free(m);
        return NULL;
    }
    return m;
}

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static lang_model *shared_model; /* the newest model, holding one reference */

static bool model_unchanged(const lang_model *m, const char *conf, const char *dir)
{
    if (strcmp(m->conf, conf) || strcmp(m->dir, dir))
        return false;
    for (size_t i = 0; i < m->nfiles; i++) {
        struct stat st;
        const struct stat *was = &m->files[i].st;
        if (stat(m->files[i].path, &st) != 0 || st.st_size != was->st_size ||
            st.st_mtim.tv_sec != was->st_mtim.tv_sec ||
            st.st_mtim.tv_nsec != was->st_mtim.tv_nsec || st.st_ino != was->st_ino)
            return false;
    }
    return true;
}

static void model_release(lang_model *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&model_lock);
    bool last = --m->refs == 0;
    pthread_mutex_unlock(&model_lock);
    if (last)
        model_free(m);
}

/* The model of conf and dir: the shared one while its files are unchanged,
 * else a new one (which becomes the shared one). */
static lang_model *model_acquire(const char *conf, const char *dir, nw_err *err)
{
    pthread_mutex_lock(&model_lock);
    if (shared_model && model_unchanged(shared_model, conf, dir)) {
        shared_model->refs++;
        pthread_mutex_unlock(&model_lock);
        return shared_model;
    }
    pthread_mutex_unlock(&model_lock);
    /* loaded outside the lock; a racing loader of the same files wastes work only */
    lang_model *m = model_load(conf, dir, err);
    if (!m)
        return NULL;
    pthread_mutex_lock(&model_lock);
    lang_model *old = shared_model;
    shared_model = m;
    m->refs = 2; /* the caller's and the cache's */
    bool free_old = old && --old->refs == 0;
    pthread_mutex_unlock(&model_lock);
    if (free_old)
        model_free(old);
    return m;
}

/* ---- a detector ---------------------------------------------------------- */

typedef struct profile_gram {
    uint64_t hash;
    uint32_t count;
    uint32_t slot;
} profile_gram;

/* What one pass over the text finds. */
typedef struct text_scan {
    unsigned long scripts[S_COUNT]; /* letter bytes per script */
    /* per script, words that begin lower-case, capitalised, in all capitals */
    unsigned lower[S_COUNT], capital[S_COUNT], caps[S_COUNT];
    size_t latin; /* Latin letters */
    size_t naccented;
    int32_t accented[MAX_ACCENTED]; /* its Latin letters with diacritics */
    unsigned accented_count[MAX_ACCENTED];
} text_scan;

struct nw_enrich_lang {
    lang_model *m;
    bool *active;   /* per language: a configured candidate */
    size_t english; /* the index of "en" when it is a candidate, else SIZE_MAX */
    bool *cand;     /* per language: a candidate for this story */
    int32_t *gain;  /* per language: this story's closeness */
    /* per lane of the text's script: closeness of the n-grams added since
     * the last flush into gain (at most FLUSH_EVERY of them, so that 16
     * bits hold it) */
    int16_t *acc;
    text_scan scan;
    /* the text's profile */
    unsigned char prep[4 * SAMPLE_CHARS]; /* separators collapsed to '_', maybe case-folded */
    size_t nprep;
    uint32_t maxc;                   /* the highest count of an n-gram */
    profile_gram grams[PROFILE_MAX]; /* distinct n-grams, in order of first occurrence */
    uint16_t slots[PROFILE_CELLS];   /* index + 1 into grams; 0 = empty */
    uint32_t quota[PROFILE_MAX + 1]; /* per count: n-grams still to rank */
    uint32_t rank2[PROFILE_MAX + 1]; /* per count: twice their (mean) rank */
};

static bool wanted(const char *tag, const char *const *only, size_t nonly, bool *used)
{
    if (nonly == 0)
        return true;
    bool yes = false;
    for (size_t i = 0; i < nonly; i++) {
        size_t n = strlen(only[i]);
        if (!strcmp(tag, only[i]) || (!strncmp(tag, only[i], n) && tag[n] == '-')) {
            used[i] = true;
            yes = true;
        }
    }
    return yes;
}

nw_enrich_lang *nw_enrich_lang_new(const char *conf, const char *fp_dir, const char *const *only,
                                   size_t nonly, nw_err *err)
{
    lang_model *m = model_acquire(conf, fp_dir, err);
    if (!m)
        return NULL;
    nw_enrich_lang *l = calloc(1, sizeof *l);
    bool *used = calloc(nonly + 1, sizeof *used);
    if (l) {
        l->m = m;
        l->active = calloc(m->nlangs, sizeof *l->active);
        l->cand = calloc(m->nlangs, sizeof *l->cand);
        l->gain = calloc(m->nlangs, sizeof *l->gain);
        size_t widest = LANES;
        for (int sc = 0; sc < S_COUNT; sc++)
            widest = m->width[sc] > widest ? m->width[sc] : widest;
        l->acc = calloc(widest, sizeof *l->acc);
    }
    if (!l || !used || !l->active || !l->cand || !l->gain || !l->acc) {
        free(used);
        if (l)
            nw_enrich_lang_free(l);
        else
            model_release(m);
        return nw_err_set(err, NW_ENOMEM, "out of memory"), NULL;
    }
    size_t nactive = 0;
    for (size_t i = 0; i < m->nlangs; i++)
        nactive += l->active[i] = wanted(m->langs[i].tag, only, nonly, used);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nonly; i++)
        if (!used[i])
            rc = nw_err_set(err, NW_EINVAL, "languages: '%s' is not among the languages of %s",
                            only[i], conf);
    if (rc == 0 && nactive == 0)
        rc = nw_err_set(err, NW_EINVAL, "%s: lists no language", conf);
    l->english = SIZE_MAX;
    for (size_t i = 0; i < m->nlangs; i++)
        if (l->active[i] && !strcmp(m->langs[i].tag, "en"))
            l->english = i;
    free(used);
    if (rc != 0) {
        nw_enrich_lang_free(l);
        return NULL;
    }
    return l;
}

void nw_enrich_lang_free(nw_enrich_lang *l)
{
    if (!l)
        return;
    model_release(l->m);
    free(l->active);
    free(l->cand);
    free(l->gain);
    free(l->acc);
    free(l);
}

typedef enum word_case { W_OUT, W_UNCASED, W_LOWER, W_CAPITAL, W_CAPS } word_case;

static inline void count_word(text_scan *t, script sc, word_case w, size_t letters)
{
    t->lower[sc] += w == W_LOWER;
    t->capital[sc] += w == W_CAPITAL;
    t->caps[sc] += w == W_CAPS && letters > 1;
}

static void count_accented(text_scan *t, int32_t c)
{
    size_t k = 0;
    while (k < t->naccented && t->accented[k] != c)
        k++;
    if (k == t->naccented) {
        if (k == MAX_ACCENTED)
            return;
        t->accented[t->naccented++] = c;
        t->accented_count[k] = 0;
    }
    t->accented_count[k]++;
}

static bool isalpha_ascii(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static bool is_separator(int32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '0' && c <= '9');
}

/* Append character c (its n bytes at s) to the prepared text: digits and
 * white space are word separators, a run of them one '_' (libexttextcat's
 * preparation); lower-cased when `fold`. */
static inline void prep_char(nw_enrich_lang *l, const unsigned char *s, size_t n, int32_t c,
                             bool fold)
{
    if (is_separator(c)) {
        if (l->prep[l->nprep - 1] != '_')
            l->prep[l->nprep++] = '_';
    } else if (fold && c >= 0) {
        l->nprep += (size_t)utf8proc_encode_char(utf8proc_tolower(c), l->prep + l->nprep);
    } else {
        for (size_t i = 0; i < n; i++)
            l->prep[l->nprep++] = s[i];
    }
}

/* One pass over the text: its scripts, how its words begin, its accented
 * Latin letters, and its preparation for n-grams (framed by '_'). */
static void scan_text(nw_enrich_lang *l, const unsigned char *s, size_t len)
{
    text_scan *t = &l->scan;
    memset(t, 0, sizeof *t);
    l->nprep = 0;
    l->prep[l->nprep++] = '_';
    word_case word = W_OUT;
    script word_sc = S_NONE; /* its first letter's */
    size_t letters = 0;
    for (size_t i = 0; i < len;) {
        int32_t c = s[i];
        size_t n = 1;
        script sc = S_LATIN;
        bool up, low;
        if (c < 0x80) { /* ASCII, the common case, without decoding */
            prep_char(l, s + i, 1, c, false);
            i++;
            if (!isalpha_ascii((unsigned char)c)) {
                count_word(t, word_sc, word, letters);
                word = W_OUT;
                continue;
            }
            up = c <= 'Z';
            low = !up;
            t->latin++;
        } else {
            n = next_char(s + i, len - i, &c);
            prep_char(l, s + i, n, c, false);
            i += n;
            sc = script_of(c);
            if (!is_letter(c, sc)) {
                count_word(t, word_sc, word, letters);
                word = W_OUT;
                continue;
            }
            utf8proc_category_t cat = utf8proc_category(c);
            up = cat == UTF8PROC_CATEGORY_LU;
            low = cat == UTF8PROC_CATEGORY_LL;
            if (sc == S_LATIN) {
                t->latin++;
                count_accented(t, c);
            }
        }
        t->scripts[sc] += n;
        if (word == W_OUT) {
            word = up ? W_CAPS : low ? W_LOWER : W_UNCASED;
            word_sc = sc;
            letters = 0;
        } else if (word == W_CAPS && low) {
            word = W_CAPITAL;
        }
        letters++;
    }
    count_word(t, word_sc, word, letters);
    if (l->prep[l->nprep - 1] != '_')
        l->prep[l->nprep++] = '_';
}

/* The text prepared again, lower-cased. */
static void prep_folded(nw_enrich_lang *l, const unsigned char *s, size_t len)
{
    l->nprep = 0;
    l->prep[l->nprep++] = '_';
    for (size_t i = 0; i < len;) {
        int32_t c;
        size_t n = next_char(s + i, len - i, &c);
        prep_char(l, s + i, n, c, true);
        i += n;
    }
    if (l->prep[l->nprep - 1] != '_')
        l->prep[l->nprep++] = '_';
}

/* Count an n-gram of hash h whose cell in l->slots is `cell` (empty or
 * holding its index + 1 in grams); ngrams is the number of distinct ones. */
static inline void count_at(nw_enrich_lang *l, size_t cell, uint64_t h, size_t *ngrams)
{
    if (l->slots[cell]) {
        uint32_t c = ++l->grams[l->slots[cell] - 1].count;
        l->maxc = c > l->maxc ? c : l->maxc;
    } else {
        l->grams[*ngrams] = (profile_gram){h, 1, (uint32_t)cell};
        l->slots[cell] = (uint16_t)++ * ngrams;
    }
}

/* Count the n-gram of hash h, found by its hash. */
static inline void count_ngram(nw_enrich_lang *l, uint64_t h, size_t *ngrams)
{
    size_t s = slot_of(h, PROFILE_SLOTS - 1);
    while (l->slots[s] && l->grams[l->slots[s] - 1].hash != h)
        s = (s + 1) & (PROFILE_SLOTS - 1);
    count_at(l, s, h, ngrams);
}

/* Count every n-gram of 1..5 characters of the prepared text, '_' only at
 * their ends. Returns the number of distinct n-grams. An ASCII text's
 * n-grams of one and two bytes, about half of its n-grams and most of
 * them seen before, have a cell of their own (DIRECT_1, DIRECT_2): no
 * probing, whose outcome (seen or new) the CPU cannot predict. */
static size_t count_ngrams(nw_enrich_lang *l)
{
    const unsigned char *p = l->prep;
    size_t w = l->nprep, ngrams = 0;
    l->maxc = 1;
    unsigned char any = 0;
    for (size_t i = 0; i < w; i++)
        any |= p[i];
    if (any < 0x80) { /* ASCII: a character is a byte */
        for (size_t i = 0; i < w; i++) {
            uint64_t h = (FNV_OFFSET ^ p[i]) * 1099511628211ull;
            count_at(l, DIRECT_1 + p[i], h, &ngrams);
            if (i + 1 == w)
                break;
            h = (h ^ p[i + 1]) * 1099511628211ull;
            count_at(l, DIRECT_2 + ((size_t)p[i] << 7 | p[i + 1]), h, &ngrams);
            if (p[i + 1] == '_')
                continue;
            size_t end = i + MAX_NGRAM < w ? i + MAX_NGRAM : w;
            for (size_t k = i + 2; k < end; k++) {
                h = (h ^ p[k]) * 1099511628211ull;
                count_ngram(l, h, &ngrams);
                if (p[k] == '_')
                    break;
            }
        }
        return ngrams;
    }
    for (size_t i = 0; i < w;) {
        uint64_t h = FNV_OFFSET;
        size_t k = i;
        for (int n = 0; n < MAX_NGRAM && k < w; n++) {
            unsigned char first = p[k];
            do /* the character's bytes */
                h = (h ^ p[k++]) * 1099511628211ull;
            while (k < w && (p[k] & 0xC0) == 0x80);
            count_ngram(l, h, &ngrams);
            if (n > 0 && first == '_')
                break;
        }
        do /* the next character */
            i++;
        while (i < w && (p[i] & 0xC0) == 0x80);
    }
    return ngrams;
}

/* n-grams whose closeness acc holds before it is added to gain: 40 of at
 * most 2 * LANG_NGRAMS each fit 16 bits */
#define FLUSH_EVERY 40
_Static_assert(FLUSH_EVERY * 2 * LANG_NGRAMS <= INT16_MAX, "acc overflows");
_Static_assert(NO_RANK - 2 * LANG_NGRAMS >= 2 * LANG_NGRAMS, "NO_RANK gains");

/* Add an n-gram's closeness to each lane of acc: 2 * LANG_NGRAMS minus how
 * far its rank r2 in the text is from the lane's language's rank (doubled
 * ranks), nothing for a language without it: a block of LANES at a time, in
 * the vector types of GCC and clang. */
typedef int16_t lane_block __attribute__((vector_size(LANES * sizeof(int16_t))));

static inline void add_closeness(int16_t *acc, const int16_t *ranks, size_t width, int16_t r2)
{
    const lane_block text = (lane_block){0} + r2, most = (lane_block){0} + 2 * LANG_NGRAMS;
    for (size_t b = 0; b < width; b += LANES) {
        lane_block rank, sum;
        memcpy(&rank, ranks + b, sizeof rank);
        memcpy(&sum, acc + b, sizeof sum);
        lane_block d = text - rank, sign = d >> 15;
        lane_block close = most - ((d ^ sign) - sign);
        sum += close & ~(close >> 15);
        memcpy(acc + b, &sum, sizeof sum);
    }
}

/* Move acc's closeness into gain, per language of script sc. */
static void flush_closeness(nw_enrich_lang *l, script sc)
{
    const lang_model *m = l->m;
    for (size_t k = 0; k < m->nmembers[sc]; k++)
        l->gain[m->members[sc][k]] += l->acc[k];
    memset(l->acc, 0, m->width[sc] * sizeof *l->acc);
}

/* Rank the n-grams by count (most frequent first; n-grams of equal count
 * share their mean rank: their order says nothing), keep the first
 * LANG_NGRAMS, and add each kept n-gram's closeness to every candidate of
 * script sc: LANG_NGRAMS minus how far apart its ranks are (libexttextcat's
 * distance is LANG_NGRAMS per n-gram minus this). Ranks are doubled to stay
 * whole. */
static void score(nw_enrich_lang *l, size_t ngrams, script sc)
{
    const lang_model *m = l->m;
    size_t width = m->width[sc], pending = 0;
    uint32_t maxc = l->maxc, ones = 0;
    memset(l->quota, 0, (maxc + 1) * sizeof *l->quota);
    /* most n-grams occur once: counted apart, not as a chain of increments
     * of the same quota */
    for (size_t i = 0; i < ngrams; i++) {
        uint32_t c = l->grams[i].count;
        if (c > 1)
            l->quota[c]++;
        else
            ones++;
    }
    l->quota[1] = ones;
    uint32_t before = 0;
    for (uint32_t c = maxc; c > 0; c--) {
        uint32_t group = l->quota[c];
        uint32_t taken = before >= LANG_NGRAMS          ? 0
                         : group > LANG_NGRAMS - before ? LANG_NGRAMS - before
                                                        : group;
        l->rank2[c] = 2 * before + (taken ? taken - 1 : 0);
        l->quota[c] = taken;
        before += group;
    }
    for (size_t i = 0; i < ngrams; i++) {
        const profile_gram *g = &l->grams[i];
        l->slots[g->slot] = 0; /* the table is empty again for the next text */
        if (l->quota[g->count] == 0)
            continue;
        l->quota[g->count]--;
        uint64_t key = key_of(g->hash, sc);
        uint32_t tag = tag_of(key);
        size_t s = slot_of(key, m->mask);
        while (m->slots[s].tag && m->slots[s].tag != tag)
            s = (s + 1) & m->mask;
        if (!m->slots[s].tag)
            continue;
        add_closeness(l->acc, m->ranks + (size_t)m->slots[s].ref * LANES, width,
                      (int16_t)l->rank2[g->count]);
        if (++pending == FLUSH_EVERY) {
            flush_closeness(l, sc);
            pending = 0;
        }
    }
    flush_closeness(l, sc);
}

/* Latin letters with diacritics a language never writes: a candidate whose
 * fingerprint has accented letters, but not those that make up more than 3
 * in 100 of the text's letters, is not the text's language ("pristáť",
 * "ľudí" are not Slovenian, whatever the n-grams say), unless that leaves no
 * candidate. A fingerprint without accented letters is of a language written
 * without them, in which foreign names keep theirs: it says nothing. */
static void drop_by_alphabet(nw_enrich_lang *l)
{
    const text_scan *t = &l->scan;
    const lang_model *m = l->m;
    if (t->naccented == 0)
        return;
    size_t left = 0;
    for (size_t i = 0; i < m->nlangs; i++) {
        if (!l->cand[i])
            continue;
        size_t foreign = 0;
        for (size_t k = 0; k < t->naccented; k++)
            if (!has_letter(&m->langs[i], t->accented[k]))
                foreign += t->accented_count[k];
        bool out = m->langs[i].naccented > 0 && 100 * foreign > 3 * t->latin;
        l->gain[i] = out ? -1 : 0; /* -1: dropped */
        left += !out;
    }
    for (size_t i = 0; i < m->nlangs; i++) {
        if (left > 0 && l->gain[i] < 0)
            l->cand[i] = false;
        l->gain[i] = 0;
    }
}

/* Letters that one of two languages written alike uses and the other never
 * does (their orthographies, not the fingerprints): when the n-grams chose
 * one of them and the text has none of its letters but some of the other's,
 * it is the other. For Chinese: frequent characters that Simplified and
 * Traditional write differently (the fingerprints tell them apart poorly:
 * Traditional's is of text with spaces between words). */
static const struct {
    const char *a, *b, *a_letters, *b_letters;
} close_pairs[] = {
    {"cs", "sk", "ěřůĚŘŮ", "äĺľŕôÄĹĽŔÔ"},
    {"sv", "nb", "äöÄÖ", "æøÆØ"},
    {"sv", "da", "äöÄÖ", "æøÆØ"},
    {"zh-Hans", "zh-Hant",
     "这们国为将于经对说时会个来发还进过动业长开关与东门问间车电学实现产书场报区医费党认压涨价税",
     "這們國為將於經對說時會個來發還進過動業長開關與東門問間車電學實現產書場報區醫費黨認壓漲價稅"},
};

/* Norwegian (Bokmål) and Danish share their letters; they differ in the
 * spelling of frequent words (their orthographies, not the fingerprints):
 * "av, etter, hva, noe, mye, ble" against "af, efter, hvad, noget, meget,
 * blev". When the n-grams chose one of them and the other's words are more
 * frequent in the text, it is the other. Lower case, whole words. */
static const struct {
    const char *a, *b;
    const char *const *a_words, *const *b_words;
} close_word_pairs[] = {
    {"nb", "da", (const char *const[]){"av",      "etter", "hva",   "noe",  "mye",  "ble", "blir",
                                       "sier",    "nå",    "fikk",  "mot",  "uke",  "mer", "litt",
                                       "gjennom", "enn",   "hadde", "fått", "vært", NULL},
     (const char *const[]){"af",     "efter", "hvad",  "noget", "meget", "blev", "bliver",
                           "siger",  "nu",    "fik",   "mod",   "uge",   "mere", "lidt",
                           "gennem", "end",   "havde", "fået",  "været", NULL}},
};

/* How many words of s[0..len) are among `words` (ASCII letters folded). A
 * word is a run of ASCII letters and non-ASCII bytes. */
static size_t count_words(const unsigned char *s, size_t len, const char *const *words)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && s[i] < 0x80 && !isalpha(s[i]))
            i++;
        size_t start = i;
        while (i < len && (s[i] >= 0x80 || isalpha(s[i])))
            i++;
        size_t wlen = i - start;
        for (const char *const *w = words; *w && wlen > 0; w++) {
            if (strlen(*w) != wlen)
                continue;
            size_t k = 0;
            while (k < wlen && tolower(s[start + k]) == (unsigned char)(*w)[k])
                k++;
            n += k == wlen;
        }
    }
    return n;
}

/* How many of the characters of s[0..len) are among `letters` (UTF-8). */
static size_t count_letters(const unsigned char *s, size_t len, const char *letters)
{
    int32_t want[64];
    size_t nwant = 0, nletters = strlen(letters), n = 0;
    for (size_t i = 0; i < nletters && nwant < 64;)
        i += next_char((const unsigned char *)letters + i, nletters - i, &want[nwant++]);
    for (size_t i = 0; i < len;) {
        int32_t c;
        i += next_char(s + i, len - i, &c);
        if (c < 0x80)
            continue;
        for (size_t k = 0; k < nwant; k++)
            n += c == want[k];
    }
    return n;
}

static size_t lang_index(const lang_model *m, const char *tag)
{
    for (size_t i = 0; i < m->nlangs; i++)
        if (!strcmp(m->langs[i].tag, tag))
            return i;
    return SIZE_MAX;
}

static size_t by_letters(const nw_enrich_lang *l, size_t best, const unsigned char *s, size_t len)
{
    const char *win = l->m->langs[best].tag;
    for (size_t k = 0; k < sizeof close_pairs / sizeof close_pairs[0]; k++) {
        bool is_a = !strcmp(win, close_pairs[k].a), is_b = !strcmp(win, close_pairs[k].b);
        if (!is_a && !is_b)
            continue;
        size_t other = lang_index(l->m, is_a ? close_pairs[k].b : close_pairs[k].a);
        if (other == SIZE_MAX || !l->cand[other])
            continue;
        const char *own = is_a ? close_pairs[k].a_letters : close_pairs[k].b_letters;
        const char *theirs = is_a ? close_pairs[k].b_letters : close_pairs[k].a_letters;
        if (count_letters(s, len, own) == 0 && count_letters(s, len, theirs) > 0)
            return other;
    }
    for (size_t k = 0; k < sizeof close_word_pairs / sizeof close_word_pairs[0]; k++) {
        bool is_a = !strcmp(win, close_word_pairs[k].a);
        if (!is_a && strcmp(win, close_word_pairs[k].b))
            continue;
        size_t other = lang_index(l->m, is_a ? close_word_pairs[k].b : close_word_pairs[k].a);
        if (other == SIZE_MAX || !l->cand[other])
            continue;
        size_t own =
            count_words(s, len, is_a ? close_word_pairs[k].a_words : close_word_pairs[k].b_words);
        size_t theirs =
            count_words(s, len, is_a ? close_word_pairs[k].b_words : close_word_pairs[k].a_words);
        if (theirs > own)
            return other;
    }
    return best;
}

/* English told by its words, before any n-gram is counted (docs/enrich.md,
 * "Language", "English told by its words"): a sample without a non-ASCII
 * letter or mark is English when at least EN_WORDS_PERCENT in 100 of its
 * words, and EN_WORDS_MIN or more of them, of EN_WORDS_DISTINCT kinds or
 * more, are among english_words (words no other candidate language writes:
 * not "was", "die", "of", "to", "for", "on", which German, Dutch, Danish,
 * Slovak or French write), and at most EN_FOREIGN_MAX of its words are among
 * foreign_words. The n-gram scorer said so too on every such text it was
 * compared with; any other text is scored by the n-grams. */
#define EN_WORDS_PERCENT  12
#define EN_WORDS_MIN      8
#define EN_WORDS_DISTINCT 4
static const char *const english_words[] = {
    "the",   "and",   "that",  "with", "said",  "which",  "were", "would", "this", "been",
    "their", "they",  "from",  "have", "his",   "its",    "who",  "but",   "not",  "after",
    "than",  "there", "about", "into", "could", "should", "what", "when",  "our",  "your",
    "she",   "her",   "him",   "had",  "are",   "it",     "by",   "has",   "we",   "new",
    "more",  "year",  "years", "one",  "last",  "first",  "will", NULL};
/* frequent words of other languages that English does not write (names
 * aside): two of them in the sample, and the n-grams decide */
#define EN_FOREIGN_MAX 1
static const char *const foreign_words[] = {
    "und",  "der", "das", "ist", "nicht", "ein",  "eine",  "het", "een", "niet", "les",
    "des",  "une", "est", "et",  "dans",  "pour", "los",   "las", "que", "por",  "para",
    "och",  "og",  "det", "att", "che",   "il",   "della", "com", "uma", "ja",   "ei",
    "jest", "nie", "sie", "wie", "aus",   "auf",  "mit",   NULL};

/* A word of at most 8 bytes as one integer, ASCII case folded. */
static uint64_t packed_word(const unsigned char *w, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(w[i] | 0x20) << (8 * i);
    return v;
}

/* Both lists in one small hash table keyed by packed_word, built once: a
 * slot holds the word and its bit, in english_words or (foreign) in
 * foreign_words. */
#define WORD_SLOTS 256
typedef struct listed_word {
    uint64_t word; /* 0: empty */
    uint64_t bit;
    bool foreign;
} listed_word;
static listed_word word_slots[WORD_SLOTS];
static pthread_once_t word_slots_once = PTHREAD_ONCE_INIT;

static size_t word_slot(uint64_t v)
{
    return (size_t)((v * 0x9E3779B97F4A7C15ull) >> 56) & (WORD_SLOTS - 1);
}

static void add_words(const char *const *words, bool foreign)
{
    for (size_t k = 0; words[k]; k++) {
        uint64_t v = packed_word((const unsigned char *)words[k], strlen(words[k]));
        size_t j = word_slot(v);
        while (word_slots[j].word)
            j = (j + 1) & (WORD_SLOTS - 1);
        word_slots[j].word = v;
        word_slots[j].bit = 1ull << k;
        word_slots[j].foreign = foreign;
    }
}

static void build_word_slots(void)
{
    add_words(english_words, false);
    add_words(foreign_words, true);
}

/* The slot of the packed word v, or NULL when neither list has it. */
static const listed_word *find_word(uint64_t v)
{
    for (size_t j = word_slot(v); word_slots[j].word; j = (j + 1) & (WORD_SLOTS - 1))
        if (word_slots[j].word == v)
            return &word_slots[j];
    return NULL;
}

static inline bool ascii_letter(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool plainly_english(const unsigned char *s, size_t len)
{
    pthread_once(&word_slots_once, build_word_slots);
    size_t words = 0, hits = 0, foreign = 0;
    uint64_t kinds = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] >= 0x80) {
            /* a symbol or punctuation ("£", quotes) separates; a letter or
             * mark ("é") is another language's, perhaps */
            utf8proc_int32_t c;
            utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
            if (n <= 0 || utf8proc_category(c) <= UTF8PROC_CATEGORY_ME)
                return false;
            i += (size_t)n;
            continue;
        }
        if (!ascii_letter(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && ascii_letter(s[j]))
            j++;
        const listed_word *w =
            j - i >= 2 && j - i <= 6 ? find_word(packed_word(s + i, j - i)) : NULL;
        if (w && w->foreign && ++foreign > EN_FOREIGN_MAX)
            return false;
        words++;
        if (w && !w->foreign) {
            hits++;
            kinds |= w->bit;
        }
        i = j;
    }
    return hits >= EN_WORDS_MIN && hits * 100 >= EN_WORDS_PERCENT * words &&
           __builtin_popcountll(kinds) >= EN_WORDS_DISTINCT;
}

static bool detect_by_ngrams(nw_enrich_lang *l, const char *text, size_t len, char out[16]);

bool nw_enrich_lang_detect(nw_enrich_lang *l, const char *text, size_t len, char out[16])
{
    if (len > NW_ENRICH_LANG_SAMPLE) {
        len = NW_ENRICH_LANG_SAMPLE;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    if (l->english != SIZE_MAX && len >= MIN_BYTES &&
        plainly_english((const unsigned char *)text, len)) {
#ifdef NW_ENRICH_LANG_CHECK_ENGLISH /* how the word lists are checked: docs/enrich.md */
        char full[16] = "none";
        if (!detect_by_ngrams(l, text, len, full) || strcmp(full, "en"))
            fprintf(stderr, "english-check: n-grams say %s: %.*s\n", full, (int)len, text);
        else
            fprintf(stderr, "english-agree\n");
#endif
        snprintf(out, 16, "en");
        return true;
    }
    return detect_by_ngrams(l, text, len, out);
}

static bool detect_by_ngrams(nw_enrich_lang *l, const char *text, size_t len, char out[16])
{
    if (len < MIN_BYTES)
        return false;
    const unsigned char *s = (const unsigned char *)text;
    const lang_model *m = l->m;
    scan_text(l, s, len);
    const text_scan *t = &l->scan;
    script sc = dominant(t->scripts);
    if (sc == S_NONE)
        return false;
    size_t candidates = 0, best = 0;
    for (size_t i = 0; i < m->nlangs; i++) {
        l->cand[i] = l->active[i] && m->langs[i].sc == sc;
        l->gain[i] = 0;
        if (l->cand[i]) {
            candidates++;
            best = i;
        }
    }
    if (candidates == 0)
        return false;
    if (candidates > 1) {
        /* all capitals: fold (the fingerprints are of ordinary text) */
        if (t->caps[sc] > t->lower[sc] + t->capital[sc])
            prep_folded(l, s, len);
        if (sc == S_LATIN)
            drop_by_alphabet(l);
        score(l, count_ngrams(l), sc);
        int32_t top = 0;
        for (size_t i = 0; i < m->nlangs; i++)
            if (l->cand[i] && l->gain[i] > top) {
                top = l->gain[i];
                best = i;
            }
        if (top == 0)
            return false; /* not one n-gram of any candidate */
        best = by_letters(l, best, s, len);
    }
    snprintf(out, 16, "%s", m->langs[best].tag);
    return true;
}
