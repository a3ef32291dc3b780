/*
 * test_dedup_sketch — exact hash, MinHash bands and the 2-bit signature:
 * identical texts give identical sketches, the estimate follows the exact
 * Jaccard similarity, unrelated texts score low, short texts still sketch.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nw_dedup_sketch.h"

/* n distinct words w<seed>_<i> */
static void words(char *out, size_t outlen, int seed, int from, int to)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = from; i < to; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%sw%d_%d", k ? " " : "", seed, i);
}

Test(dedup_sketch, identical_texts_identical_sketches)
{
    char a[8192];
    words(a, sizeof a, 1, 0, 200);
    nw_dedup_sketch x, y;
    nw_dedup_sketch_compute(a, strlen(a), &x);
    nw_dedup_sketch_compute(a, strlen(a), &y);
    cr_assert_eq(memcmp(&x, &y, sizeof x), 0);
    cr_assert_eq(x.words, 200);
    cr_assert_float_eq(nw_dedup_sig_similarity(x.sig, y.sig), 1.0, 1e-9);
}

Test(dedup_sketch, estimate_follows_jaccard)
{
    /* b = a's first k words: Jaccard of 5-shingles is about k/300 */
    char a[16384], b[16384], c[16384];
    words(a, sizeof a, 1, 0, 300);
    words(c, sizeof c, 2, 0, 300);
    nw_dedup_sketch sa, sb, sc;
    nw_dedup_sketch_compute(a, strlen(a), &sa);
    nw_dedup_sketch_compute(c, strlen(c), &sc);
    cr_assert_lt(nw_dedup_sig_similarity(sa.sig, sc.sig), 0.25);
    cr_assert_float_eq(nw_dedup_jaccard(a, strlen(a), c, strlen(c)), 0.0, 1e-9);
    for (int k = 90; k <= 300; k += 70) {
        words(b, sizeof b, 1, 0, k);
        nw_dedup_sketch_compute(b, strlen(b), &sb);
        double j = nw_dedup_jaccard(a, strlen(a), b, strlen(b));
        double e = nw_dedup_sig_similarity(sa.sig, sb.sig);
        cr_assert(fabs(j - e) < 0.25, "k=%d jaccard %.2f estimate %.2f", k, j, e);
        cr_assert_eq(sa.exact_lo == sb.exact_lo, k == 300);
    }
}

Test(dedup_sketch, short_and_empty_texts)
{
    nw_dedup_sketch s, t, e;
    nw_dedup_sketch_compute("two words", 9, &s);
    nw_dedup_sketch_compute("two words", 9, &t);
    cr_assert_eq(s.words, 2);
    cr_assert_eq(memcmp(&s, &t, sizeof s), 0);
    nw_dedup_sketch_compute("", 0, &e);
    cr_assert_eq(e.words, 0);
    cr_assert_eq(e.bands[0], 0);
}

Test(dedup_sketch, simhash_is_stable)
{
    char a[8192];
    words(a, sizeof a, 3, 0, 100);
    cr_assert_eq(nw_dedup_simhash(a, strlen(a)), nw_dedup_simhash(a, strlen(a)));
    cr_assert_neq(nw_dedup_simhash(a, strlen(a)), 0);
}
