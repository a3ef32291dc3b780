/*
 * nw_enrich_lang — see nw_enrich_lang.h.
 */
#include "nw_enrich_lang.h"

#include <libexttextcat/fingerprint.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* n-grams per fingerprint: libexttextcat's own choice (textcat_Classify
 * ranks 400 of the text's against 400 of each language's). */
#define LANG_NGRAMS 400
#define MIN_BYTES   20

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
        {0x0041, 0x005A, S_LATIN},      {0x0061, 0x007A, S_LATIN},    {0x00C0, 0x024F, S_LATIN},
        {0x0370, 0x03FF, S_GREEK},      {0x0400, 0x052F, S_CYRILLIC}, {0x0530, 0x058F, S_ARMENIAN},
        {0x0590, 0x05FF, S_HEBREW},     {0x0600, 0x06FF, S_ARABIC},   {0x0750, 0x077F, S_ARABIC},
        {0x0900, 0x097F, S_DEVANAGARI}, {0x0980, 0x09FF, S_BENGALI},  {0x0E00, 0x0E7F, S_THAI},
        {0x10A0, 0x10FF, S_GEORGIAN},   {0x1100, 0x11FF, S_HANGUL},   {0x1E00, 0x1EFF, S_LATIN},
        {0x1F00, 0x1FFF, S_GREEK},      {0x3040, 0x30FF, S_KANA},     {0x3130, 0x318F, S_HANGUL},
        {0x3400, 0x4DBF, S_HAN},        {0x4E00, 0x9FFF, S_HAN},      {0xAC00, 0xD7AF, S_HANGUL},
        {0xF900, 0xFAFF, S_HAN},        {0xFB1D, 0xFB4F, S_HEBREW},   {0xFB50, 0xFDFF, S_ARABIC},
        {0xFE70, 0xFEFF, S_ARABIC},
    };
    if (c < 0x41)
        return S_NONE;
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (c >= blocks[i].lo && c <= blocks[i].hi)
            return blocks[i].s;
    return c < 0x80 ? S_NONE : S_OTHER;
}

/* Add `weight` per byte of each letter of s[0..len) to counts[script]. */
static void count_scripts(const char *s, size_t len, unsigned long weight,
                          unsigned long counts[S_COUNT])
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0) {
            i++;
            continue;
        }
        i += (size_t)n;
        script sc = script_of(c);
        /* by bytes: a Han character says as much as a few Latin letters */
        if (sc != S_NONE && (sc != S_OTHER || utf8proc_category(c) <= UTF8PROC_CATEGORY_LO))
            counts[sc] += weight * (unsigned long)n;
    }
}

/* The script with the most letters; Han and kana count as one, which is
 * Japanese (kana) when a tenth or more of it is kana, else Chinese (Han). */
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

typedef struct lang_fp {
    void *fp; /* libexttextcat fingerprint */
    char tag[16];
    script sc;
} lang_fp;

struct nw_enrich_lang {
    lang_fp *langs;
    size_t n;
    size_t last; /* index of the last story's language: compared first */
};

/* The script most of a fingerprint's n-grams are in (some files carry no
 * counts: every n-gram weighs the same). */
static script fingerprint_script(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return S_NONE;
    unsigned long counts[S_COUNT] = {0};
    char line[512];
    for (int k = 0; k < LANG_NGRAMS && fgets(line, sizeof line, f); k++) {
        count_scripts(line, strcspn(line, "\t \r\n"), 1, counts);
    }
    fclose(f);
    return dominant(counts);
}

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

static int add_language(nw_enrich_lang *l, const char *dir, const char *file, const char *conf,
                        int line, nw_err *err)
{
    char path[4096], tag[16];
    snprintf(path, sizeof path, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "",
             file);
    size_t n = strlen(file);
    if (n < 4 || strcmp(file + n - 3, ".lm") || n - 3 >= sizeof tag)
        return nw_err_set(err, NW_EINVAL, "%s:%d: '%s' is not a <language>.lm file", conf, line,
                          file);
    memcpy(tag, file, n - 3);
    tag[n - 3] = '\0';
    lang_fp *lf = &l->langs[l->n];
    snprintf(lf->tag, sizeof lf->tag, "%s", tag);
    lf->fp = fp_Init(tag);
    if (!lf->fp)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    fp_SetProperty(lf->fp, TCPROP_UTF8AWARE, TC_TRUE);
    if (fp_Read(lf->fp, path, LANG_NGRAMS) == 0) {
        fp_Done(lf->fp);
        return nw_err_set(err, NW_EINVAL,
                          "%s:%d: cannot read the fingerprint %s (package libexttextcat-data)",
                          conf, line, path);
    }
    lf->sc = fingerprint_script(path);
    l->n++;
    return 0;
}

nw_enrich_lang *nw_enrich_lang_new(const char *conf, const char *fp_dir, const char *const *only,
                                   size_t nonly, nw_err *err)
{
    FILE *f = fopen(conf, "r");
    if (!f)
        return nw_err_set(err, NW_EINVAL, "%s: cannot open the language list", conf), NULL;
    nw_enrich_lang *l = calloc(1, sizeof *l);
    bool *used = calloc(nonly + 1, sizeof *used);
    size_t cap = 0;
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && l && used && fgets(line, sizeof line, f)) {
        lineno++;
        char *save = NULL, *file = strtok_r(line, " \t\r\n", &save);
        if (!file || file[0] == '#')
            continue;
        char tag[16];
        snprintf(tag, sizeof tag, "%.*s", (int)(strlen(file) > 3 ? strlen(file) - 3 : 0), file);
        if (!wanted(tag, only, nonly, used))
            continue;
        if (l->n == cap) {
            cap = cap ? 2 * cap : 64;
            lang_fp *grown = realloc(l->langs, cap * sizeof *grown);
            if (!grown) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                break;
            }
            l->langs = grown;
        }
        rc = add_language(l, fp_dir, file, conf, lineno, err);
    }
    fclose(f);
    if (!l || !used) {
        free(used);
        nw_enrich_lang_free(l);
        return nw_err_set(err, NW_ENOMEM, "out of memory"), NULL;
    }
    for (size_t i = 0; rc == 0 && i < nonly; i++)
        if (!used[i])
            rc = nw_err_set(err, NW_EINVAL, "languages: '%s' is not among the languages of %s",
                            only[i], conf);
    if (rc == 0 && l->n == 0)
        rc = nw_err_set(err, NW_EINVAL, "%s: lists no language", conf);
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
    for (size_t i = 0; i < l->n; i++)
        fp_Done(l->langs[i].fp);
    free(l->langs);
    free(l);
}

bool nw_enrich_lang_detect(nw_enrich_lang *l, const char *text, size_t len, char out[16])
{
    if (len < MIN_BYTES)
        return false;
    unsigned long counts[S_COUNT] = {0};
    count_scripts(text, len, 1, counts);
    script sc = dominant(counts);
    if (sc == S_NONE)
        return false;
    size_t only = SIZE_MAX, candidates = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->langs[i].sc == sc) {
            only = i;
            candidates++;
        }
    if (candidates == 0)
        return false;
    if (candidates > 1) {
        void *fp = fp_Init(NULL);
        if (!fp)
            return false;
        fp_SetProperty(fp, TCPROP_UTF8AWARE, TC_TRUE);
        if (fp_Create(fp, text, (uint4)len, LANG_NGRAMS) == 0) {
            fp_Done(fp);
            return false;
        }
        /* the last story's language first: its score bounds the others'
         * comparisons (fp_Compare stops once past the cutoff) */
        size_t first = l->last < l->n && l->langs[l->last].sc == sc ? l->last : only;
        sint4 best = fp_Compare(l->langs[first].fp, fp, INT32_MAX);
        only = first;
        for (size_t i = 0; i < l->n; i++) {
            if (i == first || l->langs[i].sc != sc)
                continue;
            sint4 score = fp_Compare(l->langs[i].fp, fp, best);
            if (score < best || (score == best && i < only)) {
                best = score;
                only = i;
            }
        }
        fp_Done(fp);
    }
    l->last = only;
    snprintf(out, 16, "%s", l->langs[only].tag);
    return true;
}
