/*
 * bench_dedup — dedup's index and plugin speed. Prints, for 100k, 1M and 10M
 * stored stories (synthetic fingerprints: random MinHash bands, lead bands
 * and signatures, uris "urn:newswire:bench:<n>"): insert rate, lookups/s and the
 * median lookup time (half the lookups find a stored copy, half find
 * nothing), and bytes per stored story: everything the index allocated
 * (records, tables, the string ring as allocated, orphans, the struct)
 * divided by the stories, with the breakdown. At the largest size also with
 * wire-like uris ("urn:newswire:afp:20151216T004303Z:1e12bb9be1f7ddf5"),
 * without and with 20% of the stories stored as duplicates (`of` set); and
 * in a steady state: 3n wire-like stories (20% duplicates) through an index
 * of n, evicted by capacity, then by the time window, with bytes/story
 * after each lap of n (drift); and with 2% of the stories new versions of
 * developing stories (about 60 versions each), with the time of get().
 * Then the time per story through the plugin (policy mark) against a parse
 * of the same story JSON with the loader the plugin uses (nw_json_loadb),
 * median and spread of 15 alternating rounds, in CPU time of the process
 * (time other processes take on a shared machine is not counted). Usage: bench_dedup [max_stories
 * (default 10000000)] [story.json ...] — with no story files, generated 400-word stories.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "nw_bench.h"
#include "nw_json.h"
#include "nw_plugin_conf.h"
#include "nw_dedup_index.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: the plugin rows (single-threaded work). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_sketch(nw_dedup_sketch *sk)
{
    memset(sk, 0, sizeof *sk);
    sk->exact_hi = next();
    sk->exact_lo = next();
    for (int b = 0; b < NW_DEDUP_BANDS; b++)
        sk->bands[b] = (uint32_t)next();
    for (int i = 0; i < NW_DEDUP_SIG_BYTES; i += 8) {
        uint64_t v = next();
        memcpy(sk->sig + i, &v, 8);
    }
    sk->words = 300;
    sk->has_ext = 1; /* sig2 and the lead: every table is written and read */
    for (int b = 0; b < NW_DEDUP_LEAD_BANDS; b++)
        sk->lead_bands[b] = (uint32_t)next();
    uint64_t v = next();
    memcpy(sk->sig2, &v, 8);
    v = next();
    memcpy(sk->sig2 + 8, &v, 8);
    memcpy(sk->lead_sig, &v, sizeof sk->lead_sig);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* uri of story i: the bench's own ("urn:newswire:bench:<i>"), or wire-like
 * ("urn:newswire:<agency>:<UTC time>:<16 hex digits of a hash>", four
 * agencies interleaved at random, about 50 stories a second). */
static void make_uri(char *uri, size_t len, size_t i, bool real)
{
    static const char *agency[] = {"afp", "reuters", "apa", "dpa"};
    if (!real) {
        snprintf(uri, len, "urn:newswire:bench:%zu", i);
        return;
    }
    time_t t = (time_t)(1450225383 + i / 50);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    uint64_t h = next();
    snprintf(uri, len, "urn:newswire:%s:%s:%016llx", agency[h % 4], ts,
             (unsigned long long)(h * 0x9E3779B97F4A7C15ull));
}

/* One index row. An index of n stories is fed `feed` stories (n: filled
 * once; 3n: a steady state where the oldest are evicted all along) with
 * times advancing 50 stories a second; every dup_pct-th in 100 is stored as
 * a near-duplicate of a story stored up to 2000 stories earlier (its `of`).
 * window_s 0: a window of 72 h, so that capacity evicts; else that window
 * (which then evicts before capacity does). live_pct in 100 stories are
 * the next version of one of feed * live_pct / 6000 developing stories, so
 * that each ends with about 60 versions; then the time of get() of a stored
 * version of one of them, and of a version not stored (the whole chain
 * walked), is printed too. Bytes/story are over the
 * stories stored at the end; a steady state also prints them after each
 * lap of n stories, to show drift. */
typedef struct row {
    size_t n, feed;
    int64_t window_s;
    bool real;
    int dup_pct;
    int live_pct; /* stories that are a new version of a developing story (60 versions each) */
} row;

static void print_memory(const nw_dedup_index_stats *st)
{
    double per = st->stories ? 1.0 / (double)st->stories : 0;
    printf("      memory %.1f MiB = %.1f bytes/story: records %.1f + tables %.1f + string ring "
           "%.1f (%.1f in use) + orphans %.1f (%llu) + struct %.2f; key overflows %llu\n",
           (double)st->memory_bytes / 1048576.0, (double)st->memory_bytes * per,
           (double)st->record_bytes * per, (double)st->table_bytes * per,
           (double)st->string_ring_bytes * per, (double)st->string_bytes * per,
           (double)st->orphan_bytes * per, (unsigned long long)st->orphans,
           (double)st->fixed_bytes * per, (unsigned long long)st->slot_overwrites);
}

static void bench_index(row rw)
{
    size_t n = rw.n;
    nw_dedup_index *idx = NULL;
    nw_err err = {0};
    if (nw_dedup_index_new(n, rw.window_s ? rw.window_s : 72 * 3600, &idx, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    /* keep every 1000th sketch to look its copy up later: a ring of the
     * newest ones (a steady state keeps those of the last 0.9 n, all still
     * stored at the end) */
    size_t nkeep = rw.feed > n ? (n * 9 / 10 + 999) / 1000 : (n + 999) / 1000;
    nw_dedup_sketch *kept = malloc(nkeep * sizeof *kept);
    char uri[96], of[96];
    char(*recent)[96] = malloc(2048 * sizeof *recent);
    double laps[8];
    unsigned long long lap_overflows[8];
    int nlaps = 0;
    size_t nlive = rw.feed * (size_t)rw.live_pct / 6000;
    char(*live)[96] = nlive ? malloc(nlive * sizeof *live) : NULL;
    unsigned *live_v = nlive ? calloc(nlive, sizeof *live_v) : NULL;
    for (size_t j = 0; j < nlive; j++)
        make_uri(live[j], sizeof live[j], j, rw.real);
    char ver[16];
    double t0 = now_s();
    for (size_t i = 0; i < rw.feed; i++) {
        nw_dedup_fp fp = {.uri = uri, .version = "1", .time_s = 1700000000 + (int64_t)(i / 50)};
        make_uri(uri, sizeof uri, i, rw.real);
        if (nlive && (int)(next() % 100) < rw.live_pct) {
            size_t j = next() % nlive;
            memcpy(uri, live[j], sizeof uri);
            snprintf(ver, sizeof ver, "%u", ++live_v[j]);
            fp.version = ver;
        }
        memcpy(recent[i % 2048], uri, sizeof uri);
        random_sketch(&fp.sk);
        if (rw.dup_pct && i > 2048 && (int)(next() % 100) < rw.dup_pct) {
            memcpy(of, recent[(i - 1 - next() % 2000) % 2048], sizeof of);
            fp.kind = NW_DEDUP_NEAR;
            fp.score = 0.8;
            fp.of = of;
        }
        if (i % 1000 == 0)
            kept[(i / 1000) % nkeep] = fp.sk;
        nw_dedup_index_add(idx, &fp, &err);
        if (rw.feed > n && (i + 1) % n == 0 && nlaps < 8) {
            nw_dedup_index_stats st = nw_dedup_index_get_stats(idx);
            lap_overflows[nlaps] = (unsigned long long)st.slot_overwrites;
            laps[nlaps++] = (double)st.memory_bytes / (double)st.stories;
        }
    }
    double t_insert = now_s() - t0;
    size_t lookups = 200000, found = 0;
    double *lat = malloc(lookups * sizeof *lat);
    t0 = now_s();
    for (size_t i = 0; i < lookups; i++) {
        nw_dedup_sketch sk;
        if (i % 2)
            sk = kept[(i / 2) % nkeep];
        else
            random_sketch(&sk);
        nw_dedup_hit h;
        double s0 = now_s();
        found += nw_dedup_index_match(idx, &sk, false, "urn:newswire:bench:query", 0.55, &h);
        lat[i] = now_s() - s0;
    }
    double t_lookup = now_s() - t0;
    qsort(lat, lookups, sizeof *lat, cmp_d);
    nw_dedup_index_stats st = nw_dedup_index_get_stats(idx);
    if (rw.feed > n)
        printf("steady %9zu stories fed %zu (%s uris, %d%% duplicates, evicted by %s: %llu by "
               "age, %llu by capacity; %llu stored)\n      ",
               n, rw.feed, rw.real ? "wire-like" : "bench", rw.dup_pct,
               rw.window_s ? "the window" : "capacity", (unsigned long long)st.evicted_age,
               (unsigned long long)st.evicted_capacity, (unsigned long long)st.stories);
    else
        printf("index %9zu stories (%s uris, %d%% duplicates%s): ", n,
               rw.real ? "wire-like" : "bench", rw.dup_pct,
               rw.live_pct ? ", developing stories" : "");
    printf("insert %.2f M/s; %zu lookups (%zu found): %.2f M lookups/s, median %.2f us, p99 "
           "%.2f us\n",
           (double)rw.feed / t_insert / 1e6, lookups, found, (double)lookups / t_lookup / 1e6,
           lat[lookups / 2] * 1e6, lat[lookups * 99 / 100] * 1e6);
    print_memory(&st);
    if (nlive) {
        /* get() of a stored version of a developing story, of a new one */
        size_t gets = 100000, hits = 0, maxv = 0;
        double *gl = malloc(2 * gets * sizeof *gl);
        for (size_t j = 0; j < nlive; j++)
            maxv = live_v[j] > maxv ? live_v[j] : maxv;
        for (size_t g = 0; g < 2 * gets; g++) {
            size_t j = next() % nlive;
            unsigned v =
                g < gets ? 1 + (unsigned)(next() % (live_v[j] ? live_v[j] : 1)) : live_v[j] + 1;
            snprintf(ver, sizeof ver, "%u", v);
            nw_dedup_hit h;
            double s0 = now_s();
            hits += (size_t)nw_dedup_index_get(idx, live[j], ver, &h, NULL);
            gl[g] = now_s() - s0;
        }
        qsort(gl, gets, sizeof *gl, cmp_d);
        qsort(gl + gets, gets, sizeof *gl, cmp_d);
        printf("      %zu developing stories of up to %zu versions: get of a stored version "
               "median %.2f us, p99 %.2f us (%zu of %zu found); of a new version median %.2f "
               "us, p99 %.2f us\n",
               nlive, maxv, gl[gets / 2] * 1e6, gl[gets * 99 / 100] * 1e6, hits, gets,
               gl[gets + gets / 2] * 1e6, gl[gets + gets * 99 / 100] * 1e6);
        free(gl);
    }
    if (nlaps) {
        printf("      bytes/story (key overflows so far) after each lap of %zu stories:", n);
        for (int l = 0; l < nlaps; l++)
            printf(" %.2f (%llu)", laps[l], lap_overflows[l]);
        printf("\n");
    }
    fflush(stdout);
    free(recent);
    free(live);
    free(live_v);
    free(lat);
    free(kept);
    nw_dedup_index_free(idx);
}

/* ---------------------------------------------------------------- plugin */

static void noop_log(void *h, int l, const char *f, ...)
{
    (void)h, (void)l, (void)f;
}
static int noop_changed(void *r)
{
    (void)r;
    return 0;
}
static int noop_header(void *r, const char *n, const void *v, size_t l)
{
    (void)r, (void)n, (void)v, (void)l;
    return 0;
}
static int noop_route(void *r, const char *t)
{
    (void)r, (void)t;
    return 0;
}

static char *generated_story(int i)
{
    static const char *w[] = {"the",       "bank",  "said", "rates", "would",   "rise", "as",
                              "inflation", "stays", "high", "and",   "markets", "fell", "in",
                              "early",     "trade", "on",   "news",  "of",      "talks"};
    char body[8192];
    size_t k = 0;
    unsigned s = (unsigned)i * 2654435761u;
    for (int j = 0; j < 400; j++) {
        s = s * 1103515245u + 12345u;
        k += (size_t)snprintf(body + k, sizeof body - k, "%s%s%s", j ? " " : "", w[(s >> 16) % 20],
                              j % 40 == 39 ? "." : "");
    }
    char *out = malloc(16384);
    snprintf(out, 16384,
             "{\"uri\":\"urn:newswire:bench:story:%d\",\"version\":\"1\",\"type\":\"text\","
             "\"versionCreated\":\"2024-03-01T10:00:00Z\",\"language\":\"en\","
             "\"headlines\":[{\"value\":\"Story %d\"}],"
             "\"bodies\":[{\"value\":\"%s\",\"contentType\":\"text/plain\"}]}",
             i, i, body);
    return out;
}

static void bench_plugin(int argc, char **argv)
{
    int n = argc > 0 ? argc : 2000;
    char **stories = calloc((size_t)n, sizeof *stories);
    char **uris = calloc((size_t)n, sizeof *uris);
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        if (argc > 0) {
            FILE *f = fopen(argv[i], "rb");
            if (!f)
                continue;
            stories[i] = calloc(1, 1 << 22);
            fread(stories[i], 1, (1 << 22) - 1, f);
            fclose(f);
        } else {
            stories[i] = generated_story(i);
        }
        json_t *j = json_loads(stories[i], 0, NULL);
        const char *u = json_string_value(json_object_get(j, "uri"));
        uris[i] = strdup(u ? u : "urn:x");
        json_decref(j);
        bytes += strlen(stories[i]);
    }
    /* Parse rounds and plugin rounds alternate, so that load from other
     * processes falls on both alike; each figure is the median of the rounds. */
    enum { rounds = 15 };
    nw_plugin_api api = {.struct_size = sizeof api,
                         .log = noop_log,
                         .doc_changed = noop_changed,
                         .add_header = noop_header,
                         .set_route = noop_route};
    const char *settings[] = {"policy", "mark", "max_stories", "100000", NULL};
    nw_plugin_config base = {.instance_name = "dedup", .api = &api};
    char err[512];
    double t_parse[rounds], t_plugin[rounds], extra[rounds];
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_s();
        for (int i = 0; i < n; i++) {
            /* the loader the plugin itself uses (nw_json.h) */
            json_t *j = nw_json_loadb(stories[i], strlen(stories[i]), 0, NULL);
            json_decref(j);
        }
        t_parse[r] = cpu_s() - t0;
        nw_plugin_conf *conf = NULL;
        void *st =
            nw_plugin_conf_init_pairs(&nw_plugin_dedup, settings, &base, &conf, err, sizeof err);
        t0 = cpu_s();
        for (int i = 0; i < n; i++) {
            /* the decode the host does once per chain, as in the parse
             * round: the difference of the rounds is dedup's own cost */
            json_t *doc = nw_json_loadb(stories[i], strlen(stories[i]), 0, NULL);
            nw_plugin_msg m = {.struct_size = sizeof m,
                               .doc = doc,
                               .uri = uris[i],
                               .topic = "news.x",
                               .category = "x",
                               .timestamp_ms = -1,
                               .host_ref = NULL};
            nw_plugin_dedup.process(st, &m, err, sizeof err);
            json_decref(doc);
        }
        t_plugin[r] = cpu_s() - t0;
        extra[r] = (t_plugin[r] - t_parse[r]) / n * 1e6;
        nw_plugin_dedup.destroy(st);
        nw_plugin_conf_free(conf);
    }
    /* per story, in microseconds: median +- spread over the rounds */
    double parse, parse_sp, plugin, plugin_sp, beyond, beyond_sp;
    for (int r = 0; r < rounds; r++) {
        t_parse[r] = t_parse[r] / n * 1e6;
        t_plugin[r] = t_plugin[r] / n * 1e6;
    }
    nw_bench_stats(t_parse, rounds, &parse, &parse_sp);
    nw_bench_stats(t_plugin, rounds, &plugin, &plugin_sp);
    nw_bench_stats(extra, rounds, &beyond, &beyond_sp);
    printf("plugin: %d stories of %.0f bytes average, median +- spread of %d rounds (CPU time): "
           "JSON parse "
           "(nw_json_loadb) %.1f +- %.1f us each; dedup process %.1f +- %.1f us each (its own "
           "parse included); dedup work beyond the parse %.1f +- %.1f us = %.2fx the parse (goal "
           "<= 1x)\n",
           n, (double)bytes / n, rounds, parse, parse_sp, plugin, plugin_sp, beyond, beyond_sp,
           beyond / parse);
    for (int i = 0; i < n; i++)
        free(stories[i]), free(uris[i]);
    free(stories);
    free(uris);
}

int main(int argc, char **argv)
{
    size_t max = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    for (size_t n = 100000; n <= max; n *= 10)
        bench_index((row){n, n, 0, false, 0, 0});
    /* wire-like uris, no duplicates and 20% duplicates, at the largest size;
     * then the steady state: 3n stories through an index of n, evicted by
     * capacity, and by a window that holds 0.98 n of them */
    size_t big = 100000;
    while (big * 10 <= max)
        big *= 10;
    if (max >= 100000) {
        bench_index((row){big, big, 0, true, 0, 0});
        bench_index((row){big, big, 0, true, 20, 0});
        bench_index((row){big, 3 * big, 0, true, 20, 0});
        bench_index((row){big, 3 * big, (int64_t)((big - big / 50) / 50), true, 20, 0});
        bench_index((row){big, big, 0, true, 20, 2});
    }
    bench_plugin(argc > 2 ? argc - 2 : 0, argv + 2);
    return 0;
}
