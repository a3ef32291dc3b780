/*
 * fuzz_dedup — libFuzzer target for dedup's normalization and sketch: the
 * input bytes are a story body, plain and as HTML. Must never crash; the
 * normalized text is words separated by single spaces with the word count
 * nw_dedup_norm reports, and the sketch counts the same words. For plain
 * input without '(' (no inline credit to cut), every line is checked
 * against a reference that gives the whole line to utf8proc (invalid bytes
 * dropped, NFC, case folding) and keeps letters, marks and numbers: the
 * normalizer sends only the pieces around non-ASCII characters there, and
 * must produce the same bytes. Any difference aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nw_dedup_norm.h"
#include "nw_dedup_sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(const nw_dedup_norm *n)
{
    const char *t = n->text ? n->text : "";
    if (strlen(t) != n->len)
        abort();
    size_t words = 0;
    for (size_t i = 0; i < n->len; i++) {
        if (t[i] == ' ' && (i == 0 || i + 1 == n->len || t[i + 1] == ' '))
            abort(); /* a space at an end, or two */
        words += t[i] != ' ' && (i == 0 || t[i - 1] == ' ');
    }
    if (words != n->words)
        abort();
    nw_dedup_sketch sk;
    nw_dedup_sketch_compute(t, n->len, &sk);
    if (sk.words != n->words)
        abort();
}

/* The reference fold of one line, appended to out (words separated by
 * single spaces). */
static void reference_line(const char *s, size_t len, char *out, size_t *olen)
{
    char *valid = malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (r < 1) {
            i++;
            continue;
        }
        memcpy(valid + k, s + i, (size_t)r);
        k += (size_t)r;
        i += (size_t)r;
    }
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t ml =
        utf8proc_map((const utf8proc_uint8_t *)valid, (utf8proc_ssize_t)k, &m,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    free(valid);
    if (ml < 0)
        abort();
    bool in_word = false;
    for (utf8proc_ssize_t i = 0; i < ml;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate(m + i, ml - i, &cp);
        if (r < 1)
            abort();
        utf8proc_category_t c = utf8proc_category(cp);
        bool word = cp < 128 ? (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                                   (cp >= '0' && cp <= '9')
                             : c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
        if (word && !in_word && *olen)
            out[(*olen)++] = ' ';
        if (word)
            for (utf8proc_ssize_t b = 0; b < r; b++)
                out[(*olen)++] =
                    (char)(m[i + b] >= 'A' && m[i + b] <= 'Z' ? m[i + b] | 0x20 : m[i + b]);
        in_word = word;
        i += r;
    }
    free(m);
}

static void check_reference(const char *s, size_t len, const nw_dedup_norm *n)
{
    /* NFC + case folding can grow a line: 18 bytes out per byte in is ample */
    char *out = malloc(len * 18 + 2);
    size_t olen = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *line = s + i;
        size_t ll = end - i;
        while (ll && (*line == ' ' || *line == '\t' || *line == '\r'))
            line++, ll--;
        while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\t' || line[ll - 1] == '\r'))
            ll--;
        if (ll && !nw_dedup_is_boilerplate(line, ll))
            reference_line(line, ll, out, &olen);
        i = end + 1;
    }
    out[olen] = '\0';
    if (olen != n->len || memcmp(out, n->text ? n->text : "", olen)) {
        fprintf(stderr, "fuzz_dedup: normalizer %s\n reference %s\n", n->text ? n->text : "", out);
        abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int html = 0; html < 2; html++) {
        nw_dedup_norm n;
        nw_dedup_norm_init(&n);
        if (nw_dedup_norm_add(&n, s, size, html) == 0) {
            check_words(&n);
            if (!html && !memchr(s, '(', size))
                check_reference(s, size, &n);
        }
        nw_dedup_norm_deinit(&n);
    }
    return 0;
}
