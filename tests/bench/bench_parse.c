/*
 * bench_parse — parser throughput per format over the shared datasets.
 *
 * For each dataset folder: every file is loaded into memory once, then
 *   ours:    nw_parse_buffer("auto") + nw_ninjs_dumps of every story
 *   libxml2: xmlReadMemory(NONET) of the same bytes (XML folders only)
 *   xmllint: `xmllint --noout` over the same files, one process per round
 * and MB/s, stories/s and our time / libxml2 time are printed. The issue's
 * goal is ours <= 3x libxml2 alone. Figures only: it never fails on speed.
 *
 * Method (the machine is shared, so load changes while we measure): rounds
 * of ours and of libxml2 alternate, one of each, until both have run for
 * at least NW_BENCH_SECONDS (default 1) and at least 5 rounds each, and
 * each figure is the median of its rounds, printed with its spread (half
 * the range of the rounds), so both sides see the same load. xmllint is a
 * separate process: its wall time includes process start-up and reading the files, so it is
 * repeated the same way and printed twice: as measured, and minus the
 * start-up of `xmllint --noout` on a one-element file (measured the same
 * way), which is the part comparable to the in-process figures.
 *
 * NW_BENCH_ONLY=ours runs only our side (no libxml2 rounds, no xmllint),
 * so that `perf record -g` shows our profile alone; the ratio is then not
 * printed.
 *
 *   make bench    or    build-bench/tests/bench/bench_parse [FOLDER...]
 */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "nw_bench.h"
#include "nw_buf.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

typedef struct input {
    char *path;
    char *data;
    size_t len;
} input;

typedef struct input_set {
    input *items;
    size_t len, cap;
    size_t bytes;
} input_set;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *read_all(FILE *f, size_t *len)
{
    nw_buf b = NW_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        nw_buf_append(&b, chunk, n);
    *len = b.len;
    return nw_buf_take(&b);
}

static void add_file(input_set *set, const char *path)
{
    size_t n = strlen(path);
    bool gz = n > 3 && !strcmp(path + n - 3, ".gz");
    FILE *f;
    if (gz) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "zcat '%s'", path);
        f = popen(cmd, "r");
    } else {
        f = fopen(path, "rb");
    }
    if (!f)
        return;
    size_t len = 0;
    char *data = read_all(f, &len);
    if (gz)
        pclose(f);
    else
        fclose(f);
    if (!data || !len) {
        free(data);
        return;
    }
    if (set->len == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        set->items = realloc(set->items, set->cap * sizeof *set->items);
    }
    set->items[set->len++] = (input){strdup(path), data, len};
    set->bytes += len;
}

/* nw_test_walk visitor: every input file (schemas and notes left out). */
static void visit_file(const char *path, size_t size, void *ctx)
{
    (void)size;
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    if (!strstr(name, ".xsd") && !strstr(name, ".md") && !strstr(name, ".tsv") &&
        strcmp(name, "README.txt"))
        add_file(ctx, path);
}

static void add_tree(input_set *set, const char *dir)
{
    nw_test_walk(dir, 0, visit_file, set);
}

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

/* One pass of our parser over the set; returns stories, counts failures. */
static size_t parse_pass(const input_set *set, size_t *failures)
{
    size_t stories = 0;
    *failures = 0;
    for (size_t i = 0; i < set->len; i++) {
        nw_parse_opts opts = {
            .origin = set->items[i].path, .warn = quiet, .max_input_bytes = 64u << 20};
        nw_story_list list = {0};
        nw_err err;
        if (nw_parse_buffer("auto", set->items[i].data, set->items[i].len, &opts, &list, &err)) {
            ++*failures;
            continue;
        }
        for (size_t k = 0; k < list.len; k++) {
            char *json = nw_ninjs_dumps(list.items[k], &err);
            stories += json != NULL;
            free(json);
        }
        nw_story_list_free(&list);
    }
    return stories;
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void libxml_pass(const input_set *set)
{
    for (size_t i = 0; i < set->len; i++) {
        xmlDocPtr doc = xmlReadMemory(set->items[i].data, (int)set->items[i].len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlFreeDoc(doc);
    }
}

/* Wall time of one `xmllint --noout` over argv-style paths; < 0 when
 * xmllint cannot be run. */
static double xmllint_once(char **paths, size_t n)
{
    char **argv = calloc(n + 3, sizeof *argv);
    argv[0] = "xmllint";
    argv[1] = "--noout";
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = paths[i];
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execvp("xmllint", argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    free(argv);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
        return -1;
    return now() - t0;
}

/* Mean wall time of xmllint over the set, repeated for at least floor_s. */
static double xmllint_mean(const input_set *set, double floor_s)
{
    char **paths = calloc(set->len, sizeof *paths);
    for (size_t i = 0; i < set->len; i++)
        paths[i] = set->items[i].path;
    double total = 0, t;
    size_t rounds = 0;
    do {
        if ((t = xmllint_once(paths, set->len)) < 0)
            break;
        total += t;
        rounds++;
    } while (total < floor_s);
    free(paths);
    return rounds && t >= 0 ? total / rounds : -1;
}

/* Mean start-up cost of `xmllint --noout` (one tiny file), or 0. */
static double xmllint_startup(double floor_s)
{
    static double cached = -1;
    if (cached >= 0)
        return cached;
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bench_parse_XXXXXX", tmpdir);
    int fd = mkstemp(path);
    cached = 0;
    if (fd < 0)
        return cached;
    if (write(fd, "<a/>\n", 5) == 5) {
        input item = {path, NULL, 5};
        input_set one = {&item, 1, 1, 5};
        double t = xmllint_mean(&one, floor_s);
        cached = t > 0 ? t : 0;
    }
    close(fd);
    unlink(path);
    return cached;
}

static double min_seconds(void)
{
    const char *s = getenv("NW_BENCH_SECONDS");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

static void bench_set(const char *label, const input_set *set, bool xml)
{
    if (!set->len) {
        printf("%-34s (no files)\n", label);
        return;
    }
    const char *only = getenv("NW_BENCH_ONLY");
    if (only && !strcmp(only, "ours"))
        xml = false; /* our side alone: no libxml2 rounds, no xmllint */
    double mb = set->bytes / 1e6, floor_s = min_seconds();
    size_t failures = 0, stories = 0;
    enum { MAX_ROUNDS = 256 };
    /* MB/s of each round */
    double ours_r[MAX_ROUNDS], lib_r[MAX_ROUNDS], ours_sum = 0, lib_sum = 0;
    int rounds = 0;
    /* alternate ours and libxml2 so that both run under the same load */
    while (rounds < MAX_ROUNDS &&
           (rounds < 5 || ours_sum < floor_s || (xml && lib_sum < floor_s))) {
        double t0 = now();
        stories = parse_pass(set, &failures);
        double t = now() - t0;
        ours_sum += t;
        ours_r[rounds] = mb / t;
        lib_r[rounds] = -1;
        if (xml) {
            t0 = now();
            libxml_pass(set);
            t = now() - t0;
            lib_sum += t;
            lib_r[rounds] = mb / t;
        }
        rounds++;
    }
    double rate, spread, lib, lib_spread;
    nw_bench_stats(ours_r, rounds, &rate, &spread);
    double ours = mb / rate; /* seconds per pass, at the median */
    printf("%-34s %5zu files %8.2f MB %7zu stories %4zu failed | ours %8.1f +- %.1f MB/s "
           "(median of %d) %9.0f stories/s",
           label, set->len, mb, stories, failures, rate, spread, rounds, stories / ours);
    if (xml) {
        nw_bench_stats(lib_r, rounds, &lib, &lib_spread);
        printf(" | libxml2 %8.1f +- %.1f MB/s | ours/libxml2 %5.2fx", lib, lib_spread, lib / rate);
        double lint = xmllint_mean(set, floor_s);
        if (lint > 0) {
            double net = lint - xmllint_startup(floor_s);
            if (net < 0)
                net = 0; /* start-up noise larger than the work: a tiny set */
            printf(" | xmllint --noout %7.4f s, %7.4f s without start-up (ours %7.4f s)", lint, net,
                   ours);
        }
    }
    printf("\n");
}

static void free_set(input_set *set)
{
    for (size_t i = 0; i < set->len; i++) {
        free(set->items[i].path);
        free(set->items[i].data);
    }
    free(set->items);
}

int main(int argc, char **argv)
{
    const char *shared = getenv("NW_SHARED_DIR");
    if (!shared)
        shared = "../shared";
    static const struct {
        const char *rel;
        bool xml;
    } sets[] = {
        {"datasets/nitf", true},
        {"datasets/newsml-g2", true},
        {"datasets/newsml-1.2", true},
        {"datasets/feeds", true},
        {"datasets/ninjs/iptc-newsinjson/examples", false},
        {"datasets/other-wire/anpa-iptc7901", false},
        {"datasets/corpora/bbc-fulltext/bbc", false},
        {"datasets/corpora/reuters21578", false},
        {"examples", false},
    };
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet_generic); /* encoding errors of broken samples */
    printf(
        "bench_parse: shared=%s, each figure the median (+- spread) of >= 5 rounds and >= %.1f s\n",
        shared, min_seconds());
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            input_set set = {0};
            add_tree(&set, argv[i]);
            bench_set(argv[i], &set, true);
            free_set(&set);
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", shared, sets[i].rel);
        input_set set = {0};
        add_tree(&set, dir);
        bench_set(sets[i].rel, &set, sets[i].xml);
        free_set(&set);
    }
    return 0;
}
