/*
 * bench_consumer — stories per second through the consumer host's chain
 * runner beside the JSON floor, in the same run, rounds alternating:
 *
 *   floor          decode + encode every story (nw_json_loadb, json_dumps):
 *                  the least any chain that changes a story and stores its
 *                  text must do
 *   host           a chain [noop-filter, noop-sink] doing what a worker does
 *                  with a polled batch minus Kafka: copy each message and its
 *                  headers, decode once (the same loader as the floor), run
 *                  the filter (it marks the story changed), the sink (it asks
 *                  for the text: one encode), flush, release. The sink writes
 *                  in parts (nw_plugin_descriptor.write_in_parts), as a
 *                  buffering sink does: the host decodes, filters, writes and
 *                  frees 32 stories at a time. host - floor is the host's own
 *                  cost (goal: at most 10% of the floor)
 *   host, whole-   the same chain with a sink that takes the whole batch in
 *   batch sink     one write() (as postgres and opensearch do): 500 decoded
 *                  stories held from decode to flush
 *   archive-fs     a chain [archive-fs, fsync off]: the same plus file writes
 *                  (its spread is the disk's, tens of percent)
 *   floor in       the floor done a batch at a time: decode a batch, encode
 *   batches        it, free it: what holding a batch costs the floor
 *
 * Prints the median and the spread (half the range, nw_bench.h) of every
 * measurement over the rounds, and of the host overheads per round. Never
 * fails on timing. The chain side also counts decodes and serializations
 * per story (1 and 1 here). For instruction counts, which do not swing with
 * the machine's load: valgrind --tool=callgrind --toggle-collect=bench_floor
 * (then bench_host) bench_consumer 2000 7. docs/benchmarks.md has the
 * figures.
 *
 *   bench_consumer [STORIES] [ROUNDS] [wall|cpu]
 *   (default 20000 stories, 9 rounds, at least 7; wall time, or with "cpu"
 *   the thread's CPU time, steadier on a machine shared with other jobs)
 */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_bench.h"
#include "nw_chain.h"
#include "nw_config.h"
#include "nw_json.h"
#include "nw_log.h"
#include "nw_plugin_registry.h"

#define BATCH      500
#define PARTITIONS 4

static const char *const categories[] = {"world",    "mid-east", "americas",
                                         "business", "sport",    "technology"};
#define NCAT (sizeof categories / sizeof categories[0])

typedef struct story {
    char *json;
    size_t len;
    char uri[64];
    char topic[32];
    int32_t partition;
    int64_t offset;
} story;

/* Wall time, or with "cpu" this thread's CPU time: on a shared machine the
 * time the bench is not scheduled is not the host's cost (the bench runs
 * on one thread). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A ninjs story of ~1.2 KB, as the producer writes them (compact JSON); all
 * of one day, like a day of wire copy, so a batch makes one archive file per
 * topic-partition. */
static void make_story(story *s, int i, int64_t *next_offset)
{
    const char *cat = categories[i % NCAT];
    snprintf(s->uri, sizeof s->uri, "urn:newswire:bench:%08d", i);
    snprintf(s->topic, sizeof s->topic, "news.%s", cat);
    s->partition = (int32_t)((i / NCAT) % PARTITIONS);
    s->offset = next_offset[(i % NCAT) * PARTITIONS + (size_t)s->partition]++;
    char body[1200];
    int o = 0;
    for (int p = 0; p < 6 && o < (int)sizeof body - 200; p++)
        o += snprintf(body + o, sizeof body - (size_t)o,
                      "<p>Paragraph %d of story %d: officials said on Tuesday that talks "
                      "would resume next week, according to people familiar.</p>",
                      p + 1, i);
    char buf[4096];
    int n = snprintf(
        buf, sizeof buf,
        "{\"uri\":\"%s\",\"type\":\"text\",\"version\":\"1\",\"pubStatus\":\"usable\","
        "\"versionCreated\":\"2024-05-02T%02d:%02d:00Z\",\"firstCreated\":\"2024-01-01T00:00:00Z\","
        "\"language\":\"en\",\"urgency\":%d,"
        "\"headlines\":[{\"value\":\"Talks to resume next week, officials say (%d)\"}],"
        "\"bodies\":[{\"contentType\":\"text/html\",\"value\":\"%s\"}],"
        "\"subjects\":[{\"name\":\"%s\",\"uri\":\"http://cv.iptc.org/newscodes/subjectcode/"
        "11000000\"}],\"infoSources\":[{\"name\":\"AFP\",\"role\":\"originating\"}],"
        "\"keywords\":[\"talks\",\"officials\",\"%s\"]}",
        s->uri, (i / 3600) % 24, (i / 60) % 60, 1 + i % 8, i, body, cat, cat);
    s->json = malloc((size_t)n + 1);
    memcpy(s->json, buf, (size_t)n + 1);
    s->len = (size_t)n;
}

/* The floor: parse and re-serialize every story. Returns seconds. */
static double run_floor(const story *st, int n, size_t *bytes_out)
{
    size_t bytes = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *root = nw_json_loadb(st[i].json, st[i].len, 0, &jerr); /* the host's loader */
        if (!root)
            abort();
        char *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        bytes += strlen(out);
        free(out);
        json_decref(root);
    }
    double t = now_s() - t0;
    *bytes_out = bytes;
    return t;
}

/* The floor in batches: decode BATCH stories, encode them all, free them
 * all, as the host does (a sink sees the whole batch). What this adds to the
 * floor is the cost of having a batch in memory, not the host's. */
static double run_floor_batched(const story *st, int n, size_t *bytes_out)
{
    json_t *docs[BATCH];
    size_t bytes = 0;
    double t0 = now_s();
    for (int b = 0; b < n; b += BATCH) {
        int m = n - b < BATCH ? n - b : BATCH;
        for (int i = 0; i < m; i++) {
            json_error_t jerr;
            docs[i] = nw_json_loadb(st[b + i].json, st[b + i].len, 0, &jerr);
            if (!docs[i])
                abort();
        }
        for (int i = 0; i < m; i++) {
            char *out = json_dumps(docs[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
            bytes += strlen(out);
            free(out);
        }
        for (int i = 0; i < m; i++)
            json_decref(docs[i]);
    }
    double t = now_s() - t0;
    *bytes_out = bytes;
    return t;
}

/* The chain: batches of BATCH as a worker builds them. Returns seconds, or
 * a negative value on failure. */
static double run_chain(nw_chain *chain, const story *st, int n, int64_t offset_base)
{
    nw_chain_msg *msgs = calloc(BATCH, sizeof *msgs);
    nw_chain_msg **ptrs = calloc(BATCH, sizeof *ptrs);
    static const char trace[] = "0123456789abcdef0123456789abcdef";
    double t0 = now_s();
    for (int b = 0; b < n; b += BATCH) {
        int m = n - b < BATCH ? n - b : BATCH;
        for (int i = 0; i < m; i++) {
            const story *s = &st[b + i];
            nw_err err = {0};
            if (nw_chain_msg_init_borrowed(&msgs[i], s->topic, "news.", s->partition,
                                           offset_base + s->offset, s->uri, strlen(s->uri), s->json,
                                           s->len, 1714636800000, &err) < 0)
                return -1;
            nw_chain_msg_add_header_borrowed(&msgs[i], "nw-schema", "ninjs/3.1", 9);
            nw_chain_msg_add_header_borrowed(&msgs[i], "content-type", "application/json", 16);
            nw_chain_msg_add_header_borrowed(&msgs[i], "nw-ingest-time", "2024-05-02T08:00:00.000Z",
                                             24);
            nw_chain_msg_add_header_borrowed(&msgs[i], "nw-trace-id", trace, 32);
            ptrs[i] = &msgs[i];
        }
        nw_err err = {0};
        int rc = nw_chain_run(chain, ptrs, (size_t)m, &err);
        for (int i = 0; i < m; i++) {
            if (msgs[i].state != NW_MSG_LIVE)
                rc = -1;
            nw_chain_msg_deinit(&msgs[i]);
        }
        if (rc < 0) {
            fprintf(stderr, "bench_consumer: chain failed: %s\n", err.msg);
            return -1;
        }
    }
    double t = now_s() - t0;
    free(msgs);
    free(ptrs);
    return t;
}

/* ------------------------------------------------------ no-op plugins */

static void *noop_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return (void *)cfg->api;
}

static nw_plugin_status noop_process(void *st, nw_plugin_msg *m, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    const nw_plugin_api *api = st;
    return api->doc_changed(m->host_ref) == 0 ? NW_PLUGIN_OK : NW_PLUGIN_RETRY;
}

static nw_plugin_status noop_write(void *st, nw_plugin_msg *const *batch, size_t n, size_t *failed,
                                   char *err, size_t errlen)
{
    (void)failed, (void)err, (void)errlen;
    const nw_plugin_api *api = st;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (!api->text(batch[i]->host_ref, &len))
            return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status noop_flush(void *st, char *err, size_t errlen)
{
    (void)st, (void)err, (void)errlen;
    return NW_PLUGIN_OK;
}

static void noop_destroy(void *st)
{
    (void)st;
}

static const nw_plugin_descriptor noop_filter = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "noop-filter",   .kind = NW_PLUGIN_FILTER,
    .init = noop_init,         .process = noop_process, .destroy = noop_destroy};
/* writes in parts (nw_plugin_descriptor.write_in_parts), as a buffering sink does */
static const nw_plugin_descriptor noop_sink = {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "noop-sink",
                                               .kind = NW_PLUGIN_SINK,    .init = noop_init,
                                               .write = noop_write,       .flush = noop_flush,
                                               .destroy = noop_destroy,   .write_in_parts = true};
/* the whole batch in one write(), as a sink whose write() is a round trip */
static const nw_plugin_descriptor noop_sink_whole = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "noop-sink-whole", .kind = NW_PLUGIN_SINK, .init = noop_init,
    .write = noop_write,       .flush = noop_flush,       .destroy = noop_destroy};

typedef enum { CHAIN_NOOP, CHAIN_NOOP_WHOLE, CHAIN_ARCHIVE } chain_kind;

/* A chain [archive-fs] on <root>/archive-<round>: every round starts from an
 * empty archive, as a fresh day directory would. */
static nw_chain *make_chain(const char *root, int round, chain_kind kind, nw_config **cfg)
{
    char yaml[PATH_MAX + 256];
    if (kind == CHAIN_ARCHIVE)
        snprintf(yaml, sizeof yaml,
                 "chain:\n"
                 "  - plugin: archive-fs\n"
                 "    root: %s/archive-%d\n"
                 "    fsync: false\n",
                 root, round);
    else
        snprintf(yaml, sizeof yaml, "chain: [{plugin: noop-filter}, {plugin: %s}]\n",
                 kind == CHAIN_NOOP ? "noop-sink" : "noop-sink-whole");
    nw_chain *chain = NULL;
    nw_err err = {0};
    if (nw_config_load_string(yaml, strlen(yaml), "<bench>", cfg, &err) < 0 ||
        nw_chain_new(nw_cfg_get(nw_config_root(*cfg), "chain"), "<bench>", &chain, &err) < 0) {
        fprintf(stderr, "bench_consumer: %s\n", err.msg);
        exit(1);
    }
    return chain;
}

/* The two measured runs under names of their own, for
 * `valgrind --tool=callgrind --toggle-collect=bench_floor` (and bench_host):
 * instruction counts do not swing with the machine's load. */
__attribute__((noinline)) static double bench_floor(const story *st, int n, size_t *bytes)
{
    return run_floor(st, n, bytes);
}

__attribute__((noinline)) static double bench_host(nw_chain *chain, const story *st, int n)
{
    return run_chain(chain, st, n, 0);
}

static void report(const char *what, double *secs, int rounds, int n, size_t in_bytes)
{
    double med, spread;
    nw_bench_stats(secs, rounds, &med, &spread);
    printf("  %-22s %10.0f stories/s  %7.1f MB/s  %8.2f us/story  spread +-%.1f%%\n", what, n / med,
           in_bytes / med / 1e6, med / n * 1e6, spread / med * 100);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n <= 0)
        n = 20000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (rounds < 7)
        rounds = 7;
    bool cpu = argc > 3 && !strcmp(argv[3], "cpu");
    if (cpu)
        bench_clock = CLOCK_THREAD_CPUTIME_ID;
    nw_log_set_level(NW_LOG_WARN);
    if (nw_plugin_registry_add(&noop_filter, NULL) < 0 ||
        nw_plugin_registry_add(&noop_sink, NULL) < 0 ||
        nw_plugin_registry_add(&noop_sink_whole, NULL) < 0)
        return 1;

    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/nw-bench-consumer-XXXXXX", tmpdir);
    if (!mkdtemp(root)) {
        perror("bench_consumer: mkdtemp");
        return 1;
    }
    story *st = calloc((size_t)n, sizeof *st);
    int64_t next_offset[NCAT * PARTITIONS] = {0};
    size_t in_bytes = 0;
    for (int i = 0; i < n; i++) {
        make_story(&st[i], i, next_offset);
        in_bytes += st[i].len;
    }

    /* warm-up (page cache, allocator) */
    size_t out_bytes = 0;
    nw_config *cfg = NULL;
    nw_chain *chain = make_chain(root, 0, CHAIN_ARCHIVE, &cfg);
    run_floor(st, n < 2000 ? n : 2000, &out_bytes);
    if (run_chain(chain, st, n < 2000 ? n : 2000, 0) < 0)
        return 1;
    nw_chain_free(chain);
    nw_config_free(cfg);

    double *floor = calloc((size_t)rounds, sizeof *floor);
    double *floor_b = calloc((size_t)rounds, sizeof *floor_b);
    double *overhead_b = calloc((size_t)rounds, sizeof *overhead_b);
    double *host = calloc((size_t)rounds, sizeof *host);
    double *host_w = calloc((size_t)rounds, sizeof *host_w);
    double *overhead_w = calloc((size_t)rounds, sizeof *overhead_w);
    double *archive = calloc((size_t)rounds, sizeof *archive);
    double *overhead = calloc((size_t)rounds, sizeof *overhead);
    nw_chain_doc_counts dc0 = {0}, dc1 = {0};
    for (int r = 0; r < rounds; r++) {
        floor[r] = bench_floor(st, n, &out_bytes);
        floor_b[r] = run_floor_batched(st, n, &out_bytes);
        chain = make_chain(root, r + 1, CHAIN_NOOP_WHOLE, &cfg);
        host_w[r] = run_chain(chain, st, n, 0);
        nw_chain_free(chain);
        nw_config_free(cfg);
        chain = make_chain(root, r + 1, CHAIN_NOOP, &cfg);
        dc0 = nw_chain_get_doc_counts();
        host[r] = bench_host(chain, st, n);
        dc1 = nw_chain_get_doc_counts();
        nw_chain_free(chain);
        nw_config_free(cfg);
        chain = make_chain(root, r + 1, CHAIN_ARCHIVE, &cfg);
        archive[r] = run_chain(chain, st, n, 0);
        nw_chain_free(chain);
        nw_config_free(cfg);
        if (host[r] < 0 || host_w[r] < 0 || archive[r] < 0)
            return 1;
        overhead[r] = (host[r] - floor[r]) / floor[r] * 100.0;
        overhead_w[r] = (host_w[r] - floor[r]) / floor[r] * 100.0;
        overhead_b[r] = (host[r] - floor_b[r]) / floor_b[r] * 100.0;
    }

    printf("bench_consumer: %d stories, %.0f bytes average, batches of %d, %d rounds, %s time "
           "(median, spread = half the range)\n",
           n, (double)in_bytes / n, BATCH, rounds, cpu ? "thread CPU" : "wall");
    report("floor:", floor, rounds, n, in_bytes);
    report("floor in batches:", floor_b, rounds, n, in_bytes);
    report("host [noop, noop]:", host, rounds, n, in_bytes);
    report("host, whole-batch sink:", host_w, rounds, n, in_bytes);
    report("chain [archive-fs]:", archive, rounds, n, in_bytes);
    /* overheads may be negative: shifted for nw_bench_stats, which skips values <= 0 */
    for (int r = 0; r < rounds; r++)
        overhead[r] += 1000;
    double med, spread;
    nw_bench_stats(overhead, rounds, &med, &spread);
    med -= 1000;
    printf("  host overhead: %+.1f%% of the floor (median of the rounds, spread +-%.1f points; "
           "goal <= 10%%): %s\n",
           med, spread, med <= 10.0 ? "met" : "NOT met");
    for (int r = 0; r < rounds; r++)
        overhead_w[r] += 1000;
    nw_bench_stats(overhead_w, rounds, &med, &spread);
    printf("  host with a whole-batch sink: %+.1f%% of the floor (spread +-%.1f points): a batch "
           "of %d decoded stories held from decode to flush\n",
           med - 1000, spread, BATCH);
    for (int r = 0; r < rounds; r++)
        overhead_b[r] += 1000;
    nw_bench_stats(overhead_b, rounds, &med, &spread);
    printf("  host against the floor in batches: %+.1f%% (spread +-%.1f points): the host's own "
           "cost without that of holding a batch\n",
           med - 1000, spread);
    printf("  per story in the host chain: %.2f decodes, %.2f serializations\n",
           (double)(dc1.decodes - dc0.decodes) / n,
           (double)(dc1.serializations - dc0.serializations) / n);

    free(floor);
    free(floor_b);
    free(overhead_b);
    free(host);
    free(host_w);
    free(overhead_w);
    free(archive);
    free(overhead);
    for (int i = 0; i < n; i++)
        free(st[i].json);
    free(st);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_consumer: could not remove %s\n", root);
    return 0;
}
