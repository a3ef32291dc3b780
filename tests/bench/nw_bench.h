/*
 * nw_bench — what every benchmark prints about repeated measurements: the
 * median and the spread (half the range between the fastest and the slowest
 * round), so a reader can tell a difference from noise (docs/contributing.md:
 * an optimisation must move a benchmark by more than twice its spread).
 * Benchmarks only; header-only.
 */
#ifndef NW_BENCH_H
#define NW_BENCH_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "nw_buf.h"

static int nw_bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and spread ((max - min) / 2) of the v[0..n) that are > 0 (failed
 * rounds are negative). Sorts v in place. Returns how many counted; with
 * none, both are -1. */
static inline int nw_bench_stats(double *v, int n, double *median, double *spread)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > 0)
            v[m++] = v[i];
    *median = *spread = -1;
    if (!m)
        return 0;
    qsort(v, (size_t)m, sizeof v[0], nw_bench_cmp);
    *median = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
    *spread = (v[m - 1] - v[0]) / 2;
    return m;
}

/* The worst input shape for memory within the size limit, as issue 15 met
 * it: an RSS feed of NW_BENCH_TINY_ITEMS tiny items (15.9 MB, under the 16
 * MiB limit), written to `path`. Returns its size in bytes, or -1. */
#define NW_BENCH_TINY_ITEMS 470000L

static inline long nw_bench_write_tiny_feed(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    long size = fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">"
                           "<channel><title>Big</title><link>http://x/</link>"
                           "<description>d</description>\n");
    for (long n = 0; n < NW_BENCH_TINY_ITEMS; n++)
        size += fprintf(f, "<item><title>%ld</title></item>%s", n, n % 8 == 7 ? "\n" : "");
    size += fprintf(f, "</channel></rss>\n");
    return fclose(f) == 0 ? size : -1;
}

/* Deterministic pseudo-random numbers (xorshift) for generated stories. */
static inline unsigned long nw_bench_next(void)
{
    static unsigned long rng = 88172645463325252ul;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* An English-looking word from syllables (a vocabulary of a few thousand). */
static inline void nw_bench_word(nw_buf *b)
{
    static const char *syl[] = {"har", "bour",  "storm", "gov", "ern",  "ment",  "min",  "is",
                                "ter", "elect", "ion",   "mar", "ket",  "trade", "port", "coun",
                                "cil", "pol",   "ice",   "re",  "port", "ed",    "ing",  "al"};
    unsigned long r = nw_bench_next() % 4096;
    int n = 1 + (int)(r % 3);
    for (int i = 0; i < n; i++)
        nw_buf_puts(b, syl[(r >> (2 + 4 * i)) % 24]);
}

/* A ~2 KB English-like ninjs story (headline, body of ~300 words, people,
 * organisations, places), uri "urn:bench:<round>:<i>". Caller decrefs. */
static inline json_t *nw_bench_story(int round, int i)
{
    char uri[64];
    snprintf(uri, sizeof uri, "urn:bench:%d:%06d", round, i);
    nw_buf head = NW_BUF_INIT, body = NW_BUF_INIT;
    for (int w = 0; w < 8; w++) {
        nw_bench_word(&head);
        nw_buf_putc(&head, ' ');
    }
    for (int w = 0; w < 300; w++) {
        nw_bench_word(&body);
        nw_buf_puts(&body, w % 15 == 14 ? ". " : " ");
    }
    json_t *s =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s}], s:[{s:s, s:s}], s:[{s:s}, {s:s}], "
                  "s:[{s:s}], s:[{s:s}]}",
                  "uri", uri, "type", "text", "version", "1", "versionCreated",
                  "2024-05-01T10:00:00Z", "pubStatus", "usable", "language", "en", "headlines",
                  "value", nw_buf_str(&head), "bodies", "contentType", "text/plain", "value",
                  nw_buf_str(&body), "people", "name", "Ada Lovelace", "name", "Charles Babbage",
                  "organisations", "name", "Royal Society", "places", "name", "London");
    nw_buf_free(&head);
    nw_buf_free(&body);
    return s;
}

#endif
