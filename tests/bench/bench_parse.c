/*
 * bench_parse — parser throughput per format over the shared datasets.
 *
 * For each dataset folder: every file is loaded into memory once, then
 *   ours:    nw_parse_buffer("auto") + nw_ninjs_dumps of every story
 *   libxml2: xmlReadMemory(NONET) of the same bytes (XML folders only)
 *   xmllint: `xmllint --noout` over the same files, one process, wall time
 * are each repeated until at least NW_BENCH_SECONDS (default 1) have passed,
 * and MB/s, stories/s and our time / libxml2 time are printed. The issue's
 * goal is ours <= 3x libxml2 alone. Figures only: it never fails on speed.
 *
 *   make bench    or    build-bench/tests/bench/bench_parse [FOLDER...]
 */
#include <dirent.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "nw_buf.h"
#include "nw_ninjs.h"
#include "nw_parser.h"

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

static void add_tree(input_set *set, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode))
            add_tree(set, path);
        else if (S_ISREG(st.st_mode) && !strstr(e->d_name, ".xsd") && !strstr(e->d_name, ".md") &&
                 !strstr(e->d_name, ".tsv") && strcmp(e->d_name, "README.txt"))
            add_file(set, path);
    }
    closedir(d);
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

static void libxml_pass(const input_set *set)
{
    for (size_t i = 0; i < set->len; i++) {
        xmlDocPtr doc = xmlReadMemory(set->items[i].data, (int)set->items[i].len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlFreeDoc(doc);
    }
}

/* Wall time of one `xmllint --noout` over every file of the set. */
static double xmllint_once(const input_set *set)
{
    char **argv = calloc(set->len + 3, sizeof *argv);
    argv[0] = "xmllint";
    argv[1] = "--noout";
    for (size_t i = 0; i < set->len; i++)
        argv[i + 2] = set->items[i].path;
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
    double mb = set->bytes / 1e6, floor_s = min_seconds();
    size_t failures = 0, stories = 0, rounds = 0;
    double t0 = now(), ours;
    do {
        stories = parse_pass(set, &failures);
        rounds++;
    } while ((ours = now() - t0) < floor_s);
    ours /= rounds;
    printf("%-34s %5zu files %8.2f MB %7zu stories %4zu failed | ours %8.1f MB/s %9.0f stories/s",
           label, set->len, mb, stories, failures, mb / ours, stories / ours);
    if (xml) {
        rounds = 0;
        double lib;
        t0 = now();
        do {
            libxml_pass(set);
            rounds++;
        } while ((lib = now() - t0) < floor_s);
        lib /= rounds;
        double lint = xmllint_once(set);
        printf(" | libxml2 %8.1f MB/s | ours/libxml2 %5.2fx", mb / lib, ours / lib);
        if (lint > 0)
            printf(" | xmllint --noout %6.3f s (ours %6.3f s)", lint, ours);
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
    printf("bench_parse: shared=%s, each figure the mean of >= %.1f s of repetitions\n", shared,
           min_seconds());
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
