/*
 * bench_json — JSON load throughput: jansson's json_loadb against
 * nw_json_loadb (common/nw_json.c), same bytes, same flags, trees freed.
 *
 * Sets: every .json file under <shared>/datasets/ninjs (loaded into memory
 * once), and 10000 generated one-story ninjs files of ~460 bytes, the shape
 * the producer benchmark spools (tests/bench/bench_producer, issue 4).
 *
 * Method (the machine is shared, so load changes while we measure): passes
 * of jansson and of nw_json alternate, one of each, until both have run for
 * at least NW_BENCH_SECONDS (default 3) per set, and each figure is the
 * total bytes over the total time of its passes, so both sides see the same
 * load. Prints MB/s, ns per document, jansson time / nw_json time, and the
 * share of loads nw_json took itself. Figures only: it never fails on speed.
 *
 *   build-bench/tests/bench/bench_json [FOLDER...]
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nw_json.h"
#include "nw_testutil.h"

typedef struct doc {
    char *data;
    size_t len;
} doc;

typedef struct doc_set {
    doc *items;
    size_t len, cap, bytes;
} doc_set;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_doc(doc_set *set, char *data, size_t len)
{
    if (set->len == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        set->items = realloc(set->items, set->cap * sizeof *set->items);
        if (!set->items)
            abort();
    }
    set->items[set->len++] = (doc){data, len};
    set->bytes += len;
}

static void add_file(doc_set *set, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    struct stat st;
    if (fstat(fileno(f), &st) || st.st_size <= 0) {
        fclose(f);
        return;
    }
    size_t len = (size_t)st.st_size;
    char *data = malloc(len);
    if (data && fread(data, 1, len, f) == len)
        add_doc(set, data, len);
    else
        free(data);
    fclose(f);
}

/* nw_test_walk visitor: every .json file. */
static void visit_file(const char *path, size_t size, void *ctx)
{
    size_t n = strlen(path);
    if (size > 0 && n > 5 && !strcmp(path + n - 5, ".json"))
        add_file(ctx, path);
}

static void add_tree(doc_set *set, const char *dir)
{
    nw_test_walk(dir, 0, visit_file, set);
}

/* The story run.sh and bench_producer spool, one per file. */
static void add_generated(doc_set *set, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char buf[1024];
        int n = snprintf(
            buf, sizeof buf,
            "{\"uri\":\"urn:bench:ninjs:%zu\",\"type\":\"text\",\"version\":\"1\","
            "\"versionCreated\":\"2024-03-05T14:30:00Z\",\"language\":\"en\",\"headlines\":"
            "[{\"value\":\"Benchmark story number %zu\"}],\"bodies\":[{\"value\":\"Negotiators "
            "returned on Tuesday for a new round of talks, with envoys carrying proposals "
            "between the delegations. Officials said the talks were serious but cautioned "
            "that no agreement was expected before the end of the week (story %zu).\","
            "\"contentType\":\"text/plain\"}]}\n",
            i, i, i);
        add_doc(set, strdup(buf), (size_t)n);
    }
}

typedef json_t *(*loader)(const char *, size_t, size_t, json_error_t *);

/* One pass over the set; returns seconds, counts documents that loaded. */
static double pass(const doc_set *set, loader load, size_t flags, size_t *ok)
{
    double t0 = now();
    size_t n = 0;
    for (size_t i = 0; i < set->len; i++) {
        json_error_t err;
        json_t *j = load(set->items[i].data, set->items[i].len, flags, &err);
        if (j)
            n++;
        json_decref(j);
    }
    *ok = n;
    return now() - t0;
}

static void run(const char *name, const doc_set *set, size_t flags, double seconds)
{
    if (!set->len) {
        printf("%-28s no documents\n", name);
        return;
    }
    double tj = 0, tn = 0;
    size_t rounds = 0, okj = 0, okn = 0;
    nw_json_stats s0, s1;
    nw_json_stats_get(&s0);
    while (tj < seconds || tn < seconds) {
        tj += pass(set, json_loadb, flags, &okj);
        tn += pass(set, nw_json_loadb, flags, &okn);
        rounds++;
    }
    nw_json_stats_get(&s1);
    double mb = (double)set->bytes * (double)rounds / 1e6;
    double docs = (double)set->len * (double)rounds;
    unsigned long long fast = s1.fast - s0.fast, fb = s1.fallback - s0.fallback;
    printf("%-28s %6zu docs %9zu bytes, %zu rounds\n", name, set->len, set->bytes, rounds);
    printf("  json_loadb     %8.1f MB/s %9.0f ns/doc  (%zu loaded)\n", mb / tj, tj / docs * 1e9,
           okj);
    printf("  nw_json_loadb  %8.1f MB/s %9.0f ns/doc  (%zu loaded; fast path %.1f%%)\n", mb / tn,
           tn / docs * 1e9, okn, 100.0 * (double)fast / (double)(fast + fb));
    printf("  json_loadb time / nw_json_loadb time: %.2fx\n", tj / tn);
}

int main(int argc, char **argv)
{
    const char *s = getenv("NW_BENCH_SECONDS");
    double seconds = s ? atof(s) : 3.0;
    const char *shared = getenv("NW_SHARED_DIR");
    if (!shared)
        shared = "../shared";
    printf("bench_json: shared=%s, each figure over >= %.1f s of passes, sides alternating\n",
           shared, seconds);

    doc_set files = {0}, gen = {0};
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            add_tree(&files, argv[i]);
    } else {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/datasets/ninjs", shared);
        add_tree(&files, dir);
    }
    add_generated(&gen, 10000);
    run(argc > 1 ? "given folders" : "datasets/ninjs *.json", &files, 0, seconds);
    run("producer story (~460 B)", &gen, 0, seconds);
    /* nw_parse_ninjs loads with JSON_DECODE_ANY */
    run("producer story, DECODE_ANY", &gen, JSON_DECODE_ANY, seconds);

    for (size_t i = 0; i < files.len; i++)
        free(files.items[i].data);
    for (size_t i = 0; i < gen.len; i++)
        free(gen.items[i].data);
    free(files.items);
    free(gen.items);
    return 0;
}
