/*
 * nw_bench — what every benchmark prints about repeated measurements: the
 * median and the spread (half the range between the fastest and the slowest
 * round), so a reader can tell a difference from noise (docs/contributing.md:
 * an optimisation must move a benchmark by more than twice its spread).
 * Benchmarks only; header-only.
 */
#ifndef NW_BENCH_H
#define NW_BENCH_H

#include <stdio.h>
#include <stdlib.h>

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

/* The worst input shape for memory within the size limit: an RSS feed of
 * tiny items, about target_bytes long, written to `path`. Returns the number
 * of items, or -1. */
static inline long nw_bench_write_tiny_feed(const char *path, long target_bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    long size = fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">"
                           "<channel><title>Big</title><link>http://x/</link>"
                           "<description>d</description>\n");
    long n = 0;
    while (size < target_bytes)
        size += fprintf(f, "<item><title>t%ld</title></item>\n", n++);
    fputs("</channel></rss>\n", f);
    return fclose(f) == 0 ? n : -1;
}

#endif
