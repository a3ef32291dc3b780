/*
 * bench_consumer — stories per second through the consumer host's chain
 * runner with the archive-fs sink, beside the JSON floor: a bare loop that
 * only parses and re-serializes the same messages with jansson, in the same
 * run. The chain side does what a worker does with a polled batch (copy
 * each message and its headers into a chain message, run the batch through
 * every stage, flush the sink, release) minus Kafka itself, so the difference
 * is the host's own cost plus the sink's file writes. Prints both rates and
 * the overhead as a percentage of the floor (goal: < 30%). Best of several
 * rounds; never fails on timing.
 *
 *   bench_consumer [STORIES] [fsync]    (default 20000; "fsync" turns the
 *                                        archive's fsync on)
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_chain.h"
#include "nw_config.h"
#include "nw_log.h"

#define BATCH      500
#define ROUNDS     5
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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
        json_t *root = json_loadb(st[i].json, st[i].len, 0, &jerr);
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
            if (nw_chain_msg_init(&msgs[i], s->topic, "news.", s->partition,
                                  offset_base + s->offset, s->uri, strlen(s->uri), s->json, s->len,
                                  1714636800000, &err) < 0)
                return -1;
            nw_chain_msg_add_header(&msgs[i], "nw-schema", "ninjs/3.1", 9);
            nw_chain_msg_add_header(&msgs[i], "content-type", "application/json", 16);
            nw_chain_msg_add_header(&msgs[i], "nw-ingest-time", "2024-05-02T08:00:00.000Z", 24);
            nw_chain_msg_add_header(&msgs[i], "nw-trace-id", trace, 32);
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

/* A chain [archive-fs] on <root>/archive-<round>: every round starts from an
 * empty archive, as a fresh day directory would. */
static nw_chain *make_chain(const char *root, int round, int do_fsync, nw_config **cfg)
{
    char yaml[PATH_MAX + 256];
    snprintf(yaml, sizeof yaml,
             "chain:\n"
             "  - plugin: archive-fs\n"
             "    root: %s/archive-%d\n"
             "    fsync: %s\n",
             root, round, do_fsync ? "true" : "false");
    nw_chain *chain = NULL;
    nw_err err = {0};
    if (nw_config_load_string(yaml, strlen(yaml), "<bench>", cfg, &err) < 0 ||
        nw_chain_new(nw_cfg_get(nw_config_root(*cfg), "chain"), "<bench>", &chain, &err) < 0) {
        fprintf(stderr, "bench_consumer: %s\n", err.msg);
        exit(1);
    }
    return chain;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n <= 0)
        n = 20000;
    int do_fsync = argc > 2 && !strcmp(argv[2], "fsync");
    nw_log_set_level(NW_LOG_WARN);

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

    /* warm-up (page cache, allocator), then best of ROUNDS */
    size_t out_bytes = 0;
    nw_config *cfg = NULL;
    nw_chain *chain = make_chain(root, 0, do_fsync, &cfg);
    run_floor(st, n < 2000 ? n : 2000, &out_bytes);
    if (run_chain(chain, st, n < 2000 ? n : 2000, 0) < 0)
        return 1;
    nw_chain_free(chain);
    nw_config_free(cfg);
    double best_floor = 1e9, best_chain = 1e9;
    nw_chain_stats cs = {0};
    for (int r = 0; r < ROUNDS; r++) {
        double f = run_floor(st, n, &out_bytes);
        chain = make_chain(root, r + 1, do_fsync, &cfg);
        double c = run_chain(chain, st, n, 0);
        cs = nw_chain_get_stats(chain);
        nw_chain_free(chain);
        nw_config_free(cfg);
        if (c < 0)
            return 1;
        if (f < best_floor)
            best_floor = f;
        if (c < best_chain)
            best_chain = c;
    }

    double overhead = (best_chain - best_floor) / best_floor * 100.0;
    printf("bench_consumer: %d stories, %.0f bytes average, batches of %d, best of %d rounds\n", n,
           (double)in_bytes / n, BATCH, ROUNDS);
    printf("  %-44s %12.0f stories/s  %7.1f MB/s\n",
           "JSON floor (jansson parse + dump):", n / best_floor, in_bytes / best_floor / 1e6);
    printf("  %-44s %12.0f stories/s  %7.1f MB/s\n",
           do_fsync ? "chain [archive-fs, fsync=true]:" : "chain [archive-fs, fsync=false]:",
           n / best_chain, in_bytes / best_chain / 1e6);
    printf("  host overhead: %+.1f%% of the floor (goal < 30%%): %s\n", overhead,
           overhead < 30.0 ? "met" : "NOT met");
    printf("  (last round: chain stories run %llu, dropped %llu, dead %llu, retries %llu)\n",
           (unsigned long long)cs.stories, (unsigned long long)cs.dropped,
           (unsigned long long)cs.dead, (unsigned long long)cs.retries);

    for (int i = 0; i < n; i++)
        free(st[i].json);
    free(st);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_consumer: could not remove %s\n", root);
    return 0;
}
