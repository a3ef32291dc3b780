/*
 * test_dedup_sketch — exact hash, MinHash bands and the 2-bit signature:
 * identical texts give identical sketches, the estimate follows the exact
 * Jaccard similarity, unrelated texts score low, short texts still sketch.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_dedup_sketch.h"
#include "nw_dedup_sync.h"

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

Test(dedup_sketch, shingles_keep_word_boundaries_and_order)
{
    /* the same bytes split differently, and the same words reordered, are
     * different shingles; a word longer than 8 bytes hashes all its bytes */
    const char *a = "ab c d e f", *b = "a bc d e f", *c = "c ab d e f";
    cr_assert_float_eq(nw_dedup_jaccard(a, strlen(a), b, strlen(b)), 0.0, 1e-9);
    cr_assert_float_eq(nw_dedup_jaccard(a, strlen(a), c, strlen(c)), 0.0, 1e-9);
    const char *l1 = "internationalization a b c d", *l2 = "internationalizatiom a b c d";
    cr_assert_float_eq(nw_dedup_jaccard(l1, strlen(l1), l2, strlen(l2)), 0.0, 1e-9);
    cr_assert_float_eq(nw_dedup_jaccard(l1, strlen(l1), l1, strlen(l1)), 1.0, 1e-9);
    /* words and numeric count every space-separated item */
    nw_dedup_sketch s;
    nw_dedup_sketch_compute("q1 2024 rose 5 pct", 18, &s);
    cr_assert_eq(s.words, 5);
    cr_assert(s.numeric);
}

Test(dedup_sketch, fingerprint_records_carry_the_sketch_version)
{
    char a[8192];
    words(a, sizeof a, 4, 0, 50);
    nw_dedup_fp fp = {.uri = "urn:x:1", .version = "1", .time_s = 1700000000};
    nw_dedup_sketch_compute(a, strlen(a), &fp.sk);
    char *rec = nw_dedup_fp_encode(&fp);
    cr_assert_not_null(rec);
    char v[16];
    snprintf(v, sizeof v, "{\"v\":%d,", NW_DEDUP_SKETCH_V);
    cr_assert(!strncmp(rec, v, strlen(v)), "%s", rec);
    nw_dedup_fp back;
    json_t *o = nw_dedup_fp_decode(rec, strlen(rec), &back);
    cr_assert_not_null(o);
    cr_assert_eq(memcmp(back.sk.sig, fp.sk.sig, sizeof fp.sk.sig), 0);
    cr_assert_eq(back.sk.bands[0], fp.sk.bands[0]);
    json_decref(o);
    /* a record of another sketch version is not read as this one */
    rec[5] = (char)('0' + (NW_DEDUP_SKETCH_V + 1) % 10);
    cr_assert_null(nw_dedup_fp_decode(rec, strlen(rec), &back));
    free(rec);
}

Test(dedup_sketch, lead_and_sig2_travel_and_old_records_still_decode)
{
    char a[8192], b[8192];
    words(a, sizeof a, 5, 0, 300);
    words(b, sizeof b, 5, 0, 120); /* the first 40%: the same lead */
    nw_dedup_sketch sa, sb;
    nw_dedup_sketch_compute(a, strlen(a), &sa);
    nw_dedup_sketch_compute(b, strlen(b), &sb);
    cr_assert(sa.has_ext && sb.has_ext);
    cr_assert_eq(memcmp(sa.lead_sig, sb.lead_sig, sizeof sa.lead_sig), 0);
    cr_assert_eq(sa.lead_bands[0], sb.lead_bands[0]);
    double j = nw_dedup_sig2_similarity(sa.sig, sa.sig2, sb.sig, sb.sig2);
    cr_assert(fabs(j - 116.0 / 296) < 0.15, "estimated %.2f", j);
    cr_assert_gt(nw_dedup_containment(116.0 / 296, 120, 300), 0.99);
    cr_assert_lt(nw_dedup_containment(0.2, 300, 300), 0.34);

    nw_dedup_fp fp = {.uri = "urn:x:1", .version = "1", .time_s = 1700000000, .sk = sa};
    char *rec = nw_dedup_fp_encode(&fp);
    nw_dedup_fp back;
    json_t *o = nw_dedup_fp_decode(rec, strlen(rec), &back);
    cr_assert_not_null(o);
    cr_assert(back.sk.has_ext);
    cr_assert_eq(memcmp(back.sk.sig2, sa.sig2, sizeof sa.sig2), 0);
    cr_assert_eq(memcmp(back.sk.lead_sig, sa.lead_sig, sizeof sa.lead_sig), 0);
    cr_assert_eq(back.sk.lead_bands[1], sa.lead_bands[1]);
    json_decref(o);
    free(rec);

    /* a record written before the extension: read, compared on the 64 */
    fp.sk.has_ext = 0;
    rec = nw_dedup_fp_encode(&fp);
    cr_assert_null(strstr(rec, "sig2"), "%s", rec);
    o = nw_dedup_fp_decode(rec, strlen(rec), &back);
    cr_assert_not_null(o);
    cr_assert_not(back.sk.has_ext);
    cr_assert_eq(memcmp(back.sk.sig, sa.sig, sizeof sa.sig), 0);
    json_decref(o);
    free(rec);
}

/* 700 pseudo-words of 1 to 23 bytes (one, two and three 8-byte lanes),
 * every 7th with a digit somewhere in it, two double spaces: more shingles
 * than one fold buffer holds. */
static size_t golden_text(char *out, size_t cap)
{
    size_t k = 0;
    uint32_t s = 2024;
    for (int i = 0; i < 700 && k + 26 < cap; i++) {
        s = s * 1103515245u + 12345u;
        int wl = 1 + (int)((s >> 16) % 23);
        if (i)
            out[k++] = ' ';
        if (i == 100 || i == 400)
            out[k++] = ' ';
        for (int c = 0; c < wl; c++)
            out[k++] = i % 7 == 3 && c == wl / 2 ? (char)('0' + i % 10)
                                                 : (char)('a' + (s >> (c % 24)) % 26);
    }
    out[k] = '\0';
    return k;
}

/* The sketch of a text never changes under one NW_DEDUP_SKETCH_V: instances
 * compare sketches made by other versions through the fingerprint topic.
 * These values were computed by the v2 code as first written (one byte at
 * a time, the lead folded per shingle); a faster sketch must give them. */
Test(dedup_sketch, sketch_of_a_fixed_text_never_changes)
{
    static char t[32768];
    size_t n = golden_text(t, sizeof t);
    cr_assert_eq(n, 8897);
    nw_dedup_sketch x;
    nw_dedup_sketch_compute(t, n, &x);
    cr_assert_eq(x.exact_hi, 0x4c5159d5c86dfae3ull);
    cr_assert_eq(x.exact_lo, 0xe9d4d18f0756d3e5ull);
    cr_assert_eq(x.words, 702);
    cr_assert_eq(x.numeric, 0);
    cr_assert_eq(x.has_ext, 1);
    static const uint32_t bands[] = {0x015a3561, 0x00331ecd, 0x01b5a560, 0x004185bd};
    static const uint32_t lead[] = {0x018b08f1, 0x0540025f};
    static const uint8_t sig[] = {0x45, 0x4f, 0x72, 0xd9, 0x19, 0xdf, 0x2f, 0x05,
                                  0x4b, 0x06, 0x52, 0x94, 0xc6, 0x11, 0x13, 0x75};
    static const uint8_t sig2[] = {0x7f, 0x6f, 0xa5, 0x63, 0xff, 0xc0, 0xbb, 0xbe,
                                   0xbd, 0x4a, 0x7b, 0xa1, 0x38, 0xf1, 0x46, 0x90};
    static const uint8_t lead_sig[] = {0xad, 0xd0, 0x61, 0x7e};
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        cr_assert_eq(x.bands[b], bands[b], "band %d", b);
    for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
        cr_assert_eq(x.lead_bands[b], lead[b], "lead band %d", b);
    cr_assert_eq(memcmp(x.sig, sig, sizeof sig), 0);
    cr_assert_eq(memcmp(x.sig2, sig2, sizeof sig2), 0);
    cr_assert_eq(memcmp(x.lead_sig, lead_sig, sizeof lead_sig), 0);
}
