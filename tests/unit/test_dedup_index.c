/*
 * test_dedup_index — the fingerprint window: stored verdicts by (uri,
 * version), exact and near matches of other uris, updates excluded, short
 * texts exact-only, eviction by age and by capacity, the string ring
 * growing and wrapping, the memory it reports, and uris stored in many
 * versions (every stored version found, also as old ones are evicted).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nw_dedup_index.h"

static void text(char *out, size_t outlen, int seed, int from, int to)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = from; i < to; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%sw%d_%d", k ? " " : "", seed, i);
}

static nw_dedup_fp fp_of(const char *uri, const char *version, int64_t t, int seed, int words)
{
    static char buf[16384];
    text(buf, sizeof buf, seed, 0, words);
    nw_dedup_fp fp = {.uri = uri, .version = version, .time_s = t, .kind = NW_DEDUP_NEW};
    nw_dedup_sketch_compute(buf, strlen(buf), &fp.sk);
    return fp;
}

static nw_dedup_index *make(size_t cap, int64_t window)
{
    nw_dedup_index *idx = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_dedup_index_new(cap, window, &idx, &err), 0, "%s", err.msg);
    return idx;
}

Test(dedup_index, stores_and_matches)
{
    nw_dedup_index *idx = make(100, 3600);
    nw_dedup_fp a = fp_of("urn:a", "1", 1000, 1, 200);
    cr_assert_eq(nw_dedup_index_add(idx, &a, NULL), 0);
    cr_assert_eq(nw_dedup_index_add(idx, &a, NULL), 1); /* already there */
    nw_dedup_hit h;
    bool known;
    cr_assert_eq(nw_dedup_index_get(idx, "urn:a", "1", &h, &known), 1);
    cr_assert_eq(h.kind, NW_DEDUP_NEW);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:a", "2", &h, &known), 0);
    cr_assert(known);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:b", "1", &h, &known), 0);
    cr_assert(!known);

    /* the same sketch under another uri: exact */
    cr_assert_eq(nw_dedup_index_match(idx, &a.sk, false, "urn:b", 0.5, &h), 1);
    cr_assert_eq(h.kind, NW_DEDUP_DUPLICATE);
    cr_assert_str_eq(h.of, "urn:a");
    /* ... but not under its own uri */
    cr_assert_eq(nw_dedup_index_match(idx, &a.sk, false, "urn:a", 0.5, &h), 0);

    /* 170 of 200 words: near */
    nw_dedup_fp c = fp_of("urn:c", "1", 1001, 1, 170);
    cr_assert_eq(nw_dedup_index_match(idx, &c.sk, false, "urn:c", 0.5, &h), 1);
    cr_assert_eq(h.kind, NW_DEDUP_NEAR);
    cr_assert_gt(h.score, 0.6);
    cr_assert_lt(h.score, 1.0);
    /* a duplicate stored with its original: later matches name the root */
    c.kind = NW_DEDUP_NEAR;
    c.score = h.score;
    c.of = "urn:a";
    cr_assert_eq(nw_dedup_index_add(idx, &c, NULL), 0);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:c", "1", &h, NULL), 1);
    cr_assert_eq(h.kind, NW_DEDUP_NEAR);
    cr_assert_str_eq(h.of, "urn:a");
    /* unrelated text: nothing */
    nw_dedup_fp o = fp_of("urn:o", "1", 1002, 2, 200);
    cr_assert_eq(nw_dedup_index_match(idx, &o.sk, false, "urn:o", 0.5, &h), 0);
    /* short texts match exactly only */
    cr_assert_eq(nw_dedup_index_match(idx, &c.sk, true, "urn:x", 0.5, &h), 1);
    cr_assert_eq(h.kind, NW_DEDUP_DUPLICATE); /* c itself, exactly */
    nw_dedup_fp c2 = fp_of("urn:c2", "1", 1001, 1, 180);
    cr_assert_eq(nw_dedup_index_match(idx, &c2.sk, true, "urn:c2", 0.5, &h), 0);
    nw_dedup_index_free(idx);
}

Test(dedup_index, evicts_by_age_and_capacity)
{
    nw_dedup_index *idx = make(3, 100);
    nw_dedup_fp a = fp_of("urn:a", "1", 1000, 1, 50);
    nw_dedup_fp b = fp_of("urn:b", "1", 1050, 2, 50);
    nw_dedup_fp c = fp_of("urn:c", "1", 1120, 3, 50);
    nw_dedup_index_add(idx, &a, NULL);
    nw_dedup_index_add(idx, &b, NULL);
    nw_dedup_hit h;
    cr_assert_eq(nw_dedup_index_get(idx, "urn:a", "1", &h, NULL), 1);
    nw_dedup_index_add(idx, &c, NULL); /* clock 1120: a (1000) is out of the window */
    cr_assert_eq(nw_dedup_index_get(idx, "urn:a", "1", &h, NULL), 0);
    cr_assert_eq(nw_dedup_index_match(idx, &a.sk, false, "urn:z", 0.5, &h), 0);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:b", "1", &h, NULL), 1);
    nw_dedup_index_stats s = nw_dedup_index_get_stats(idx);
    cr_assert_eq(s.stories, 2);
    cr_assert_eq(s.evicted_age, 1);
    /* capacity 3: the fourth and fifth push out the oldest */
    nw_dedup_fp d = fp_of("urn:d", "1", 1121, 4, 50), e = fp_of("urn:e", "1", 1122, 5, 50);
    nw_dedup_index_add(idx, &d, NULL);
    nw_dedup_index_add(idx, &e, NULL);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:b", "1", &h, NULL), 0);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:e", "1", &h, NULL), 1);
    cr_assert_eq(nw_dedup_index_match(idx, &d.sk, false, "urn:z", 0.5, &h), 1);
    cr_assert_str_eq(h.of, "urn:d");
    s = nw_dedup_index_get_stats(idx);
    cr_assert_eq(s.stories, 3);
    cr_assert_eq(s.evicted_capacity, 1);
    nw_dedup_index_advance(idx, 5000);
    cr_assert_eq(nw_dedup_index_get_stats(idx).stories, 0);
    nw_dedup_index_free(idx);
}

Test(dedup_index, string_ring_grows_and_wraps)
{
    nw_dedup_index *idx = make(50, 10);
    char uri[400], of[400];
    for (int i = 0; i < 2000; i++) {
        snprintf(uri, sizeof uri, "urn:long:%0300d", i);
        snprintf(of, sizeof of, "urn:orig:%d", i - 1);
        nw_dedup_fp f = fp_of(uri, "7", 1000 + i / 20, i, 30);
        f.kind = i % 2 ? NW_DEDUP_NEAR : NW_DEDUP_NEW;
        f.of = of;
        f.score = 0.75;
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
        nw_dedup_hit h;
        cr_assert_eq(nw_dedup_index_get(idx, uri, "7", &h, NULL), 1, "%d", i);
        if (i % 2) {
            cr_assert_str_eq(h.of, of);
            cr_assert_float_eq(h.score, 0.75, 1e-9);
        }
    }
    nw_dedup_index_stats s = nw_dedup_index_get_stats(idx);
    cr_assert_leq(s.stories, 50);
    cr_assert_lt(s.string_bytes, 50 * 400);
    cr_assert_gt(s.memory_bytes, 50 * 36);
    nw_dedup_index_free(idx);
}

Test(dedup_index, refuses_bad_sizes)
{
    nw_dedup_index *idx = NULL;
    nw_err err = {0};
    cr_assert_lt(nw_dedup_index_new(0, 10, &idx, &err), 0);
    cr_assert_lt(nw_dedup_index_new(NW_DEDUP_INDEX_MAX + 1, 10, &idx, &err), 0);
    cr_assert_lt(nw_dedup_index_new(10, 0, &idx, &err), 0);
}

Test(dedup_index, of_survives_the_original_eviction)
{
    /* capacity 40: the original goes first, its duplicates keep naming it */
    nw_dedup_index *idx = make(40, 1000000);
    nw_dedup_fp o = fp_of("urn:newswire:afp:orig", "1", 1000, 1, 200);
    cr_assert_eq(nw_dedup_index_add(idx, &o, NULL), 0);
    char uri[64];
    for (int i = 0; i < 30; i++) {
        snprintf(uri, sizeof uri, "urn:newswire:afp:filler-%d", i);
        nw_dedup_fp f = fp_of(uri, "1", 1001 + i, 100 + i, 60);
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    }
    nw_dedup_fp d = fp_of("urn:newswire:ap:copy", "2", 1100, 1, 190);
    d.kind = NW_DEDUP_NEAR;
    d.score = 0.9;
    d.of = "urn:newswire:afp:orig";
    cr_assert_eq(nw_dedup_index_add(idx, &d, NULL), 0);
    /* push the original (and only it) out */
    for (int i = 0; i < 10; i++) {
        snprintf(uri, sizeof uri, "urn:newswire:afp:more-%d", i);
        nw_dedup_fp f = fp_of(uri, "1", 1200 + i, 300 + i, 60);
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    }
    nw_dedup_hit h;
    cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:afp:orig", "1", &h, NULL), 0);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:ap:copy", "2", &h, NULL), 1);
    cr_assert_eq(h.kind, NW_DEDUP_NEAR);
    cr_assert_str_eq(h.of, "urn:newswire:afp:orig");
    cr_assert_eq(nw_dedup_index_get_stats(idx).orphans, 1);
    /* a later copy of the copy still names the root */
    cr_assert_eq(nw_dedup_index_match(idx, &d.sk, false, "urn:x", 0.5, &h), 1);
    cr_assert_str_eq(h.of, "urn:newswire:afp:orig");
    /* once the duplicate is gone, so is the orphan */
    for (int i = 0; i < 40; i++) {
        snprintf(uri, sizeof uri, "urn:newswire:afp:last-%d", i);
        nw_dedup_fp f = fp_of(uri, "1", 1300 + i, 500 + i, 60);
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    }
    cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:ap:copy", "2", &h, NULL), 0);
    cr_assert_eq(nw_dedup_index_get_stats(idx).orphans, 0);
    nw_dedup_index_free(idx);
}

Test(dedup_index, front_coded_uris_and_versions_round_trip)
{
    nw_dedup_index *idx = make(1000, 1000000);
    static const char *versions[] = {"", "1", "0", "01", "12", "v2", "2147483648", "2147483647"};
    char uri[128];
    for (int i = 0; i < 1500; i++) {
        snprintf(uri, sizeof uri, "urn:newswire:%s:%d%s", i % 3 ? "afp" : "reuters", i * 7,
                 i % 5 ? "" : ":x");
        nw_dedup_fp f = fp_of(uri, versions[i % 8], 1000 + i, i, 30);
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    }
    for (int i = 500; i < 1500; i++) {
        snprintf(uri, sizeof uri, "urn:newswire:%s:%d%s", i % 3 ? "afp" : "reuters", i * 7,
                 i % 5 ? "" : ":x");
        nw_dedup_hit h;
        bool known = false;
        cr_assert_eq(nw_dedup_index_get(idx, uri, versions[i % 8], &h, &known), 1, "%s", uri);
        cr_assert_eq(nw_dedup_index_get(idx, uri, "other", &h, &known), 0);
        cr_assert(known, "%d %s", i, uri);
    }
    nw_dedup_index_free(idx);
}

/* ------------------------------------------------ string coding, tables */

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void hex(char *out, size_t n, const char *digits)
{
    for (size_t i = 0; i < n; i++)
        out[i] = digits[rnd() % 16];
    out[n] = '\0';
}

/* A uri of one of several shapes: wire-like with four agencies interleaved
 * (16, 15 or 17 lowercase hex digits), uppercase and mixed-case hex,
 * digits, hex runs inside, no shared prefix (bytes >= 0x80 too), a prefix of
 * an earlier uri, an earlier uri again. */
static void shaped_uri(char *out, size_t outlen, int i, char (*prev)[256])
{
    static const char *agency[] = {"afp", "reuters", "apa", "dpa"};
    char h[64];
    switch (rnd() % 9) {
    case 0:
    case 1:
    case 2:
        hex(h, 15 + rnd() % 3, "0123456789abcdef");
        snprintf(out, outlen, "urn:newswire:%s:20151216T00%02d%02dZ:%s", agency[rnd() % 4],
                 i / 600 % 60, i / 10 % 60, h);
        break;
    case 3:
        hex(h, 1 + rnd() % 21, "0123456789ABCDEF");
        snprintf(out, outlen, "urn:newswire:ap:%s", h);
        break;
    case 4:
        hex(h, 1 + rnd() % 12, "0123456789aBcDeF");
        snprintf(out, outlen, "tag:example.com,2015:%s:%d", h, (int)(rnd() % 1000));
        break;
    case 5:
        hex(h, 6 + rnd() % 9, "0123456789abcdef");
        snprintf(out, outlen, "http://e.com/%s/%s/x", h, h + 3);
        break;
    case 6: {
        size_t n = 1 + rnd() % 40;
        for (size_t k = 0; k < n; k++)
            out[k] = (char)(1 + rnd() % 255);
        out[n] = '\0';
        break;
    }
    case 7:
        if (i > 0) {
            const char *p = prev[rnd() % (size_t)(i < 64 ? i : 64)];
            size_t n = strlen(p);
            snprintf(out, outlen, "%.*s", (int)(n ? n - rnd() % (n / 2 + 1) : 0), p);
            break;
        }
        /* fall through */
    default: snprintf(out, outlen, "%s", i > 0 ? prev[(i - 1) % 64] : "urn:first"); break;
    }
}

Test(dedup_index, uri_coding_round_trips)
{
    enum { N = 4000 };
    static char uris[N][256], vers[N][16], ofs[N][256];
    static char prev[64][256];
    static bool dup[N];
    static const char *versions[] = {"1", "1", "1", "", "2", "01", "v2", "2147483648", "12"};
    nw_dedup_index *idx = make(N, 1000000);
    int stored = 0;
    for (int i = 0; i < N; i++) {
        shaped_uri(uris[i], sizeof uris[i], i, prev);
        snprintf(prev[i % 64], sizeof prev[i % 64], "%s", uris[i]);
        snprintf(vers[i], sizeof vers[i], "%s", versions[rnd() % 9]);
        nw_dedup_fp f = {.uri = uris[i], .version = vers[i], .time_s = 1000 + i};
        f.sk.words = 0;
        ofs[i][0] = '\0';
        if (i > 10 && rnd() % 4 == 0) {
            /* `of` by reference (an earlier uri) or inline (one never stored) */
            if (rnd() % 2)
                snprintf(ofs[i], sizeof ofs[i], "%s", uris[i - 1 - (int)(rnd() % 10)]);
            else
                shaped_uri(ofs[i], sizeof ofs[i], i, prev), strcat(ofs[i], ":gone");
            f.kind = NW_DEDUP_NEAR;
            f.score = 0.7;
            f.of = ofs[i];
        }
        int rc = nw_dedup_index_add(idx, &f, NULL);
        cr_assert(rc == 0 || rc == 1, "%d", i);
        dup[i] = rc == 1; /* (uri, version) already stored: the first one counts */
        stored += rc == 0;
    }
    cr_assert_eq(nw_dedup_index_get_stats(idx).stories, (uint64_t)stored);
    for (int i = 0; i < N; i++) {
        if (dup[i])
            continue;
        nw_dedup_hit h;
        bool known = false;
        cr_assert_eq(nw_dedup_index_get(idx, uris[i], vers[i], &h, &known), 1, "%d %s", i, uris[i]);
        if (ofs[i][0]) {
            cr_assert_eq(h.kind, NW_DEDUP_NEAR);
            cr_assert_str_eq(h.of, ofs[i], "%d", i);
        }
        cr_assert_eq(nw_dedup_index_get(idx, uris[i], "other", &h, &known), 0);
        cr_assert(known);
    }
    /* a uri that differs from a stored one only in the case of its hex */
    nw_dedup_fp up = {.uri = "urn:newswire:ap:ABCDEF0123", .version = "1", .time_s = 9000};
    cr_assert_eq(nw_dedup_index_add(idx, &up, NULL), 0);
    nw_dedup_hit h;
    bool known = true;
    cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:ap:abcdef0123", "1", &h, &known), 0);
    cr_assert(!known);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:ap:ABCDEF0123", "1", &h, &known), 1);
    nw_dedup_index_free(idx);
}

Test(dedup_index, interleaved_wire_uris_are_small)
{
    /* four agencies interleaved at random: coded against the best earlier
     * entry of the block, about 9 bytes for most stories (8 of them the 16
     * random hex digits) */
    static const char *agency[] = {"afp", "reuters", "apa", "dpa"};
    enum { N = 6400 };
    nw_dedup_index *idx = make(N, 1000000);
    char uri[96], h[20];
    for (int i = 0; i < N; i++) {
        hex(h, 16, "0123456789abcdef");
        snprintf(uri, sizeof uri, "urn:newswire:%s:20151216T0043%02dZ:%s", agency[rnd() % 4],
                 i / 50 % 60, h);
        nw_dedup_fp f = {.uri = uri, .version = "1", .time_s = 1000 + i / 50};
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    }
    nw_dedup_index_stats s = nw_dedup_index_get_stats(idx);
    cr_assert_lt((double)s.string_bytes / N, 12.0, "%.2f bytes a uri", (double)s.string_bytes / N);
    nw_dedup_index_free(idx);
}

Test(dedup_index, longest_strings_round_trip)
{
    nw_dedup_index *idx = make(64, 1000000);
    static char a[65537], b[65537], c[65537], of[65537];
    hex(a, 65535, "0123456789abcdef"); /* one odd-length hex run */
    memcpy(b, a, sizeof b);
    b[40000] = b[40000] == 'x' ? 'y' : 'x'; /* a changed middle */
    for (size_t i = 0; i < 65535; i++)
        c[i] = "xY0aF9:"[rnd() % 7];
    c[65535] = '\0';
    hex(of, 65535, "0123456789ABCDEF");
    nw_dedup_fp fa = {.uri = a, .version = "1", .time_s = 1000};
    nw_dedup_fp fb = {.uri = b, .version = c, .time_s = 1001};
    nw_dedup_fp fc = {
        .uri = c, .version = "3", .time_s = 1002, .kind = NW_DEDUP_DUPLICATE, .of = of, .score = 1};
    nw_dedup_fp fd = {.uri = "urn:short",
                      .version = "3",
                      .time_s = 1003,
                      .kind = NW_DEDUP_NEAR,
                      .of = b,
                      .score = 0.9};
    cr_assert_eq(nw_dedup_index_add(idx, &fa, NULL), 0);
    cr_assert_eq(nw_dedup_index_add(idx, &fb, NULL), 0);
    cr_assert_eq(nw_dedup_index_add(idx, &fc, NULL), 0);
    cr_assert_eq(nw_dedup_index_add(idx, &fd, NULL), 0);
    nw_dedup_hit h;
    cr_assert_eq(nw_dedup_index_get(idx, a, "1", &h, NULL), 1);
    cr_assert_eq(nw_dedup_index_get(idx, b, c, &h, NULL), 1);
    cr_assert_eq(nw_dedup_index_get(idx, c, "3", &h, NULL), 1);
    cr_assert_str_eq(h.of, of);
    cr_assert_eq(nw_dedup_index_get(idx, "urn:short", "3", &h, NULL), 1);
    cr_assert_str_eq(h.of, b);
    /* short hex runs between long literals code to more bytes than the
     * string has (65929 for 65535) */
    static char adv[65536];
    for (size_t k = 0; k < 65535;) {
        const char *piece = (k / 166) % 2 ? "ABCDEF" : "abcdef";
        for (int q = 0; q < 6 && k < 65535; q++)
            adv[k++] = piece[q];
        for (int q = 0; q < 160 && k < 65535; q++)
            adv[k++] = 'x';
    }
    nw_dedup_fp fe = {
        .uri = adv, .version = adv, .time_s = 1004, .kind = NW_DEDUP_NEAR, .of = adv, .score = 0.5};
    cr_assert_eq(nw_dedup_index_add(idx, &fe, NULL), 0);
    cr_assert_eq(nw_dedup_index_get(idx, adv, adv, &h, NULL), 1);
    cr_assert_str_eq(h.of, adv);
    cr_assert_eq(nw_dedup_index_get(idx, a, "1", &h, NULL), 1);
    /* one byte more is refused */
    static char big[65537];
    memset(big, 'z', 65536);
    nw_dedup_fp fz = {.uri = big, .version = "1", .time_s = 1004};
    nw_err err = {0};
    cr_assert_eq(nw_dedup_index_add(idx, &fz, &err), NW_EINVAL);
    nw_dedup_index_free(idx);
}

Test(dedup_index, tables_stay_healthy_over_many_laps)
{
    /* 60 times the capacity: slots of evicted records must read as free and
     * never name a live record they were not written for */
    enum { CAP = 1000, LAPS = 60 };
    nw_dedup_index *idx = make(CAP, 1000000);
    static nw_dedup_sketch keep[CAP];
    char uri[64];
    for (int i = 0; i < CAP * LAPS; i++) {
        snprintf(uri, sizeof uri, "urn:lap:%d", i);
        nw_dedup_fp f = {.uri = uri, .version = "1", .time_s = 1000 + i / 10};
        f.sk.words = 100;
        f.sk.exact_lo = rnd();
        for (int b = 0; b < NW_DEDUP_BANDS; b++)
            f.sk.bands[b] = (uint32_t)rnd();
        for (int k = 0; k < NW_DEDUP_SIG_BYTES; k++)
            f.sk.sig[k] = (uint8_t)rnd();
        keep[i % CAP] = f.sk;
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
        if (i % 997 == 0 && i >= CAP) {
            nw_dedup_hit h;
            snprintf(uri, sizeof uri, "urn:lap:%d", i - CAP + 1); /* the oldest */
            cr_assert_eq(nw_dedup_index_get(idx, uri, "1", &h, NULL), 1, "%d", i);
            snprintf(uri, sizeof uri, "urn:lap:%d", i - CAP); /* just evicted */
            cr_assert_eq(nw_dedup_index_get(idx, uri, "1", &h, NULL), 0, "%d", i);
        }
    }
    int found = 0;
    for (int k = 0; k < CAP; k++) {
        nw_dedup_hit h;
        if (nw_dedup_index_match(idx, &keep[k], false, "urn:q", 0.5, &h) == 1 &&
            h.kind == NW_DEDUP_DUPLICATE) {
            snprintf(uri, sizeof uri, "urn:lap:%d", CAP * (LAPS - 1) + k);
            cr_assert_str_eq(h.of, uri);
            found++;
        }
    }
    nw_dedup_index_stats s = nw_dedup_index_get_stats(idx);
    cr_assert_geq(found, CAP - 5, "%d", found);
    cr_assert_lt(s.slot_overwrites, (uint64_t)(CAP * LAPS / 1000), "%llu",
                 (unsigned long long)s.slot_overwrites);
    nw_dedup_index_free(idx);
}

/* ------------------------------------------------------- version chains */

/* The verdict stored for version v of the live uri: all kinds, scores and
 * `of`s (by reference to a stored uri, or inline). */
static void live_verdict(int v, nw_dedup_fp *f, char *of, size_t oflen)
{
    f->kind = (nw_dedup_kind)(v % 4);
    f->score = (v % 4) >= NW_DEDUP_DUPLICATE ? 0.5 + (v % 40) / 100.0 : 0;
    f->of = NULL;
    if (f->kind >= NW_DEDUP_DUPLICATE) {
        if (v % 3)
            snprintf(of, oflen, "urn:newswire:afp:other-%d", 5 * v - 1 - v % 5);
        else
            snprintf(of, oflen, "urn:elsewhere:%d", v);
        f->of = of;
    }
}

static void check_live_version(nw_dedup_index *idx, const char *uri, int v)
{
    char ver[16], of[64];
    nw_dedup_fp want = {0};
    live_verdict(v, &want, of, sizeof of);
    snprintf(ver, sizeof ver, "%d", v);
    nw_dedup_hit h;
    bool known = false;
    cr_assert_eq(nw_dedup_index_get(idx, uri, ver, &h, &known), 1, "version %d", v);
    cr_assert(known);
    cr_assert_eq(h.kind, want.kind, "version %d", v);
    cr_assert_float_eq(h.score, want.score, 1e-9, "version %d", v);
    if (want.of)
        cr_assert_str_eq(h.of, want.of, "version %d", v);
    cr_assert_eq(h.time_s, 1000 + 5 * v, "version %d", v);
}

/* Round v of the chain tests: four other stories, then version v of the
 * live uri (at time 1000 + 5 v, with live_verdict's verdict). */
static void add_round(nw_dedup_index *idx, const char *live, int v)
{
    char uri[64], ver[16], of[64];
    for (int k = 0; k < 4; k++) {
        snprintf(uri, sizeof uri, "urn:newswire:afp:other-%d", 5 * v - 5 + k);
        nw_dedup_fp o = fp_of(uri, "1", 1000 + 5 * v - 5 + k, 5 * v + k, 20);
        cr_assert_eq(nw_dedup_index_add(idx, &o, NULL), 0);
    }
    snprintf(ver, sizeof ver, "%d", v);
    nw_dedup_fp f = fp_of(live, ver, 1000 + 5 * v, 10000 + v, 20);
    live_verdict(v, &f, of, sizeof of);
    cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0, "%d", v);
}

Test(dedup_index, every_version_of_a_uri_is_found)
{
    /* 60 versions of one uri, each after 4 other stories (one of them also
     * in several versions), each with its own verdict */
    enum { V = 60 };
    nw_dedup_index *idx = make(1000, 1000000);
    const char *live = "urn:newswire:afp:live-page";
    char uri[64], ver[16], of[64];
    for (int v = 1; v <= V; v++) {
        for (int k = 0; k < 4; k++) {
            snprintf(uri, sizeof uri, "urn:newswire:afp:other-%d", 5 * v - 5 + k);
            nw_dedup_fp o = fp_of(uri, "1", 1000 + 5 * v - 5 + k, 5 * v + k, 40);
            cr_assert_eq(nw_dedup_index_add(idx, &o, NULL), 0);
        }
        snprintf(ver, sizeof ver, "%d", v % 7 + 1);
        nw_dedup_fp s2 = fp_of("urn:newswire:afp:second", ver, 1000 + 5 * v - 1, 9000 + v, 40);
        int rc = nw_dedup_index_add(idx, &s2, NULL);
        cr_assert_eq(rc, v <= 7 ? 0 : 1, "%d", v);
        snprintf(ver, sizeof ver, "%d", v);
        nw_dedup_fp f = fp_of(live, ver, 1000 + 5 * v, 10000 + v, 60);
        live_verdict(v, &f, of, sizeof of);
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0, "%d", v);
        /* the same version again changes nothing */
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 1, "%d", v);
    }
    for (int v = 1; v <= V; v++)
        check_live_version(idx, live, v);
    for (int v = 1; v <= 7; v++) {
        snprintf(ver, sizeof ver, "%d", v);
        cr_assert_eq(nw_dedup_index_get(idx, "urn:newswire:afp:second", ver, NULL, NULL), 1);
    }
    nw_dedup_hit h;
    bool known = false;
    cr_assert_eq(nw_dedup_index_get(idx, live, "61", &h, &known), 0);
    cr_assert(known);
    cr_assert_eq(nw_dedup_index_get(idx, live, "", &h, &known), 0);
    cr_assert(known);
    /* one table slot for the uri, whatever its versions: no key lost */
    nw_dedup_index_stats s = nw_dedup_index_get_stats(idx);
    cr_assert_eq(s.stories, (uint64_t)(V * 5 + 7));
    cr_assert_eq(s.slot_overwrites, 0);
    /* a near-duplicate of the newest version under another uri names it */
    nw_dedup_fp last = fp_of(live, "60", 0, 10000 + V, 60);
    cr_assert_eq(nw_dedup_index_match(idx, &last.sk, false, "urn:q", 0.5, &h), 1);
    nw_dedup_index_free(idx);
}

Test(dedup_index, old_versions_leave_the_middle_of_a_chain)
{
    /* capacity 100: a new version every 5 stories, 200 versions; the oldest
     * versions go by capacity while newer ones keep being added and found */
    nw_dedup_index *idx = make(100, 1000000);
    const char *live = "urn:newswire:afp:live-page";
    char ver[16], of[64];
    for (int v = 1; v <= 200; v++) {
        add_round(idx, live, v);
        if (v % 10)
            continue;
        /* the last 20 versions are stored (100 stories), older ones not */
        for (int w = 1; w <= v; w++) {
            snprintf(ver, sizeof ver, "%d", w);
            nw_dedup_hit h;
            bool known = false;
            if (w > v - 20) {
                check_live_version(idx, live, w);
            } else {
                cr_assert_eq(nw_dedup_index_get(idx, live, ver, &h, &known), 0, "%d of %d", w, v);
                cr_assert(known);
            }
        }
    }
    nw_dedup_index_free(idx);

    /* by age: a window of 50 s, a version every 5 s */
    idx = make(1000, 50);
    for (int v = 1; v <= 100; v++) {
        add_round(idx, live, v);
        /* stored: times >= 1000 + 5 v - 50, the last 11 versions */
        for (int w = 1; w <= v; w++) {
            snprintf(ver, sizeof ver, "%d", w);
            if (w >= v - 10)
                check_live_version(idx, live, w);
            else
                cr_assert_eq(nw_dedup_index_get(idx, live, ver, NULL, NULL), 0, "%d of %d", w, v);
        }
    }
    /* the clock moves on: the newest versions go last */
    nw_dedup_index_advance(idx, 1000 + 5 * 100 + 50 - 4);
    bool known = false;
    cr_assert_eq(nw_dedup_index_get(idx, live, "99", NULL, &known), 0);
    cr_assert(known);
    check_live_version(idx, live, 100);
    nw_dedup_index_advance(idx, 1000 + 5 * 100 + 51);
    cr_assert_eq(nw_dedup_index_get(idx, live, "100", NULL, &known), 0);
    cr_assert(!known);
    /* and the uri starts a new chain */
    nw_dedup_fp f = fp_of(live, "101", 1000 + 5 * 101 + 50, 10101, 20);
    live_verdict(101, &f, of, sizeof of);
    cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0);
    cr_assert_eq(nw_dedup_index_get(idx, live, "101", NULL, &known), 1);
    cr_assert(known);
    nw_dedup_index_free(idx);
}

Test(dedup_index, versions_stay_findable_over_many_laps)
{
    /* 40 times the capacity, one story in four a new version of one of 50
     * developing stories: every stored version is found, every evicted one
     * is not, and no uri-table key is lost to rekeying */
    enum { CAP = 1000, LAPS = 40, LIVE = 50 };
    nw_dedup_index *idx = make(CAP, 1000000);
    static int vers[LIVE];
    static int who[CAP], what[CAP]; /* per cell: live uri (-1: other) and version */
    char uri[64], ver[16];
    for (int i = 0; i < CAP * LAPS; i++) {
        int j = -1;
        if (rnd() % 4 == 0) {
            j = (int)(rnd() % LIVE);
            snprintf(uri, sizeof uri, "urn:newswire:afp:live-%d", j);
            snprintf(ver, sizeof ver, "%d", ++vers[j]);
        } else {
            snprintf(uri, sizeof uri, "urn:newswire:afp:%d", i);
            snprintf(ver, sizeof ver, "1");
        }
        nw_dedup_fp f = {.uri = uri, .version = ver, .time_s = 1000 + i / 10};
        f.sk.words = 0;
        cr_assert_eq(nw_dedup_index_add(idx, &f, NULL), 0, "%d", i);
        who[i % CAP] = j;
        what[i % CAP] = j < 0 ? i : vers[j];
        if (i % 4999 || i < CAP)
            continue;
        for (int k = 0; k < CAP; k++) {
            if (who[k] < 0)
                continue;
            snprintf(uri, sizeof uri, "urn:newswire:afp:live-%d", who[k]);
            snprintf(ver, sizeof ver, "%d", what[k]);
            cr_assert_eq(nw_dedup_index_get(idx, uri, ver, NULL, NULL), 1, "%s %s", uri, ver);
        }
        /* versions older than the oldest stored one of the uri are gone */
        for (int l = 0; l < LIVE; l++) {
            int oldest = vers[l] + 1;
            for (int k = 0; k < CAP; k++)
                if (who[k] == l && what[k] < oldest)
                    oldest = what[k];
            snprintf(uri, sizeof uri, "urn:newswire:afp:live-%d", l);
            for (int v = oldest - 3; v < oldest; v++) {
                snprintf(ver, sizeof ver, "%d", v);
                if (v > 0)
                    cr_assert_eq(nw_dedup_index_get(idx, uri, ver, NULL, NULL), 0, "%s %s", uri,
                                 ver);
            }
        }
    }
    cr_assert_eq(nw_dedup_index_get_stats(idx).slot_overwrites, 0);
    nw_dedup_index_free(idx);
}

/* words [from, to) of text `seed` in letters only ("kab kac ..."): not numeric */
static void letters(char *out, size_t outlen, int seed, int from, int to)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = from; i < to; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%s%c%c%c%c", k ? " " : "", 'a' + seed % 26,
                              'a' + i / 676 % 26, 'a' + i / 26 % 26, 'a' + i % 26);
}

static nw_dedup_sketch sketch_of(const char *s)
{
    nw_dedup_sketch sk;
    nw_dedup_sketch_compute(s, strlen(s), &sk);
    return sk;
}

Test(dedup_index, a_shorter_copy_is_contained)
{
    nw_dedup_index *idx = make(100, 86400);
    static char buf[16384], part[16384];
    letters(buf, sizeof buf, 1, 0, 300);
    nw_dedup_fp o = {.uri = "urn:orig", .version = "1", .time_s = 1000};
    o.sk = sketch_of(buf);
    cr_assert_not(o.sk.numeric);
    cr_assert_eq(nw_dedup_index_add(idx, &o, NULL), 0);
    nw_dedup_rule rule = {0.55, NW_DEDUP_CONTAINMENT}, no_containment = {0.55, 0};
    nw_dedup_hit h;

    /* the first 40% (Jaccard 0.39): a copy by containment only */
    letters(part, sizeof part, 1, 0, 120);
    nw_dedup_sketch cut = sketch_of(part);
    cr_assert_eq(nw_dedup_index_find(idx, &cut, false, "urn:cut", &rule, &h), 1);
    cr_assert_eq(h.kind, NW_DEDUP_NEAR);
    cr_assert_str_eq(h.of, "urn:orig");
    cr_assert_geq(h.score, NW_DEDUP_CONTAINMENT);
    cr_assert_eq(nw_dedup_index_find(idx, &cut, false, "urn:cut", &no_containment, &h), 0);

    /* a middle part: no shared lead, still contained */
    letters(part, sizeof part, 1, 100, 280);
    nw_dedup_sketch mid = sketch_of(part);
    cr_assert_eq(nw_dedup_index_find(idx, &mid, false, "urn:mid", &rule, &h), 1);

    /* a day-two story: 60 words quoted, 140 new ones: not a copy */
    letters(part, sizeof part, 2, 0, 140);
    size_t k = strlen(part);
    part[k++] = ' ';
    letters(part + k, sizeof part - k, 1, 60, 120);
    nw_dedup_sketch day2 = sketch_of(part);
    cr_assert_eq(nw_dedup_index_find(idx, &day2, false, "urn:day2", &rule, &h), 0);

    /* a longer story that contains a stored shorter one is judged by
     * resemblance only */
    letters(buf, sizeof buf, 3, 0, 100);
    nw_dedup_fp s = {.uri = "urn:short", .version = "1", .time_s = 1001};
    s.sk = sketch_of(buf);
    cr_assert_eq(nw_dedup_index_add(idx, &s, NULL), 0);
    letters(buf, sizeof buf, 3, 0, 300);
    nw_dedup_sketch longer = sketch_of(buf);
    cr_assert_eq(nw_dedup_index_find(idx, &longer, false, "urn:long", &rule, &h), 0);

    /* numeric texts (templates: results, earnings) are never judged by
     * containment */
    nw_dedup_fp n = fp_of("urn:num", "1", 1002, 9, 300);
    cr_assert(n.sk.numeric);
    cr_assert_eq(nw_dedup_index_add(idx, &n, NULL), 0);
    nw_dedup_fp ncut = fp_of("urn:numcut", "1", 1003, 9, 120);
    cr_assert_eq(nw_dedup_index_find(idx, &ncut.sk, false, "urn:numcut", &rule, &h), 0);

    /* a record without the extension (an older instance's) still compares */
    nw_dedup_sketch old = cut;
    old.has_ext = 0;
    memset(old.sig2, 0, sizeof old.sig2);
    cr_assert_eq(nw_dedup_index_find(idx, &old, false, "urn:old", &rule, &h), 1);
    cr_assert_str_eq(h.of, "urn:orig");
    nw_dedup_index_free(idx);
}
