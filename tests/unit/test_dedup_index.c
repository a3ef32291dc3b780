/*
 * test_dedup_index — the fingerprint window: stored verdicts by (uri,
 * version), exact and near matches of other uris, updates excluded, short
 * texts exact-only, eviction by age and by capacity, the string ring
 * growing and wrapping, and the memory it reports.
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
