/*
 * bench_producer — stories per second from spool to acknowledged, per input
 * format, beside `kcat -P` sending the same pre-serialized messages to the
 * same (embedded) broker in the same run, with the same producer settings
 * (acks=all, idempotence; everything else librdkafka's defaults for both:
 * linger 5 ms, no compression). Prints both rates and their ratio; the goal
 * is a ratio of at least 0.5. Never fails on timing.
 *
 * kcat's clock: start to exit (its last message acknowledged). The
 * producer's, from the moves of its files to done/ (each file's ctime,
 * stamped by the rename that follows the file's last delivery report, so
 * the polling loop's granularity is not counted):
 *   start-up   process start to its first file done (libraries, config,
 *              Kafka, the scan of incoming/), in ms;
 *   steady     stories/s from the first file done to the last;
 *   total      stories/s from process start to the last file done.
 * The goal is steady >= 0.5x kcat (kcat's own start-up, a few tens of ms,
 * is in its figure: that only understates the ratio).
 *
 * Each format runs ROUNDS times, kcat and the producer alternating; the
 * last lines give the median and spread (half the range) of every column
 * over the rounds. On a shared 2-core machine one pair of runs swings by 2x
 * either way: read a difference against the spread, and give 15 or more
 * rounds for a verdict on the goal. ninjs input is checked against the
 * ninjs 3.1 schema (NW_NINJS_SCHEMA; taken from NW_SHARED_DIR when unset,
 * else the ninjs format is skipped).
 *
 *   bench_producer [STORIES_PER_FORMAT [ROUNDS]]   (default 10000, one file
 *                                                   each; 9 rounds)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_bench.h"
#include "nw_kafka.h"
#include "nw_ninjs.h"
#include "nw_parser.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void rm_rf(const char *path)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", path);
}

static double real_coarse_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Earliest and latest change time (ctime) of the files in dir: a rename
 * stamps the moved file's ctime, so in done/ these are the moments the
 * producer moved its first and its last file, each after the file's last
 * delivery report. */
static int ctime_range(const char *dir, double *first, double *last)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    *first = 1e18;
    *last = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
            continue;
        double t = st.st_ctim.tv_sec + st.st_ctim.tv_nsec / 1e9;
        if (t < *first)
            *first = t;
        if (t > *last)
            *last = t;
    }
    closedir(d);
    return *last > 0 ? 0 : -1;
}

static size_t count_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* One story of `format` numbered i. */
static void make_story(const char *format, int i, char *out, size_t len)
{
    if (!strcmp(format, "ninjs"))
        snprintf(out, len,
                 "{\"uri\":\"urn:bench:ninjs:%d\",\"type\":\"text\",\"version\":\"1\","
                 "\"versionCreated\":\"2024-03-05T14:30:00Z\",\"language\":\"en\","
                 "\"headlines\":[{\"value\":\"Benchmark story number %d\"}],"
                 "\"bodies\":[{\"value\":\"Negotiators returned on Tuesday for a new round of "
                 "talks, with envoys carrying proposals between the delegations. Officials "
                 "said the talks were serious but cautioned that no agreement was expected "
                 "before the end of the week (story %d).\",\"contentType\":\"text/plain\"}]}\n",
                 i, i, i);
    else
        snprintf(out, len,
                 "Benchmark story number %d\n\nNegotiators returned on Tuesday for a new round "
                 "of talks, with envoys carrying proposals between the delegations.\n\n"
                 "Officials said the talks were serious but cautioned that no agreement was "
                 "expected before the end of the week (story %d).\n",
                 i, i);
}

static pid_t spawn(char *const argv[], const char *err_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static const char *find_kcat(void)
{
    static const char *names[] = {"/usr/bin/kcat", "/usr/bin/kafkacat", "/usr/local/bin/kcat",
                                  "/usr/local/bin/kafkacat"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (access(names[i], X_OK) == 0)
            return names[i];
    return NULL;
}

/* kcat -P: every line of `lines` is "key\tvalue". Returns messages/s or -1. */
static double run_kcat(const char *kcat, const char *bootstrap, const char *topic,
                       const char *lines, int n, const char *tmp)
{
    char logp[PATH_MAX];
    snprintf(logp, sizeof logp, "%s/kcat.log", tmp);
    char *argv[] = {
        (char *)kcat, "-P",       "-b", (char *)bootstrap,         "-t", (char *)topic, "-K", "\t",
        "-X",         "acks=all", "-X", "enable.idempotence=true", "-l", (char *)lines, NULL};
    double t0 = now_s();
    pid_t pid = spawn(argv, logp);
    int status;
    waitpid(pid, &status, 0);
    double dt = now_s() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: kcat failed (status %d), see %s\n", status, logp);
        return -1;
    }
    return n / dt;
}

/* Stories/s from the producer's start to the move of its last file to
 * done/; *startup_s: start to the first file done; *steady: stories/s from
 * the first file done to the last. */
static double run_producer(const char *bin, const char *bootstrap, const char *format, int n,
                           const char *tmp, double *startup_s, double *steady)
{
    char spool[1024], incoming[PATH_MAX], done[PATH_MAX], cfg[PATH_MAX], logp[PATH_MAX];
    snprintf(spool, sizeof spool, "%s/spool-%s", tmp, format);
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    snprintf(done, sizeof done, "%s/done", spool);
    snprintf(cfg, sizeof cfg, "%s/producer-%s.yaml", tmp, format);
    snprintf(logp, sizeof logp, "%s/producer-%s.log", tmp, format);
    rm_rf(spool); /* an earlier round's */
    mkdir(spool, 0755);
    char text[8192];
    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"%s\"}\nhttp: {listen: \"127.0.0.1:0\"}\n"
             "log_level: warn\nspools:\n  - {name: bench, path: %s, format: %s, "
             "category: bench-%s, settle_time: 0ms}\n",
             bootstrap, spool, format, format);
    write_file(cfg, text);
    /* The files wait in incoming/ before the producer starts (the recovery
     * path of a restart), so the clock measures the producer alone: moving
     * thousands of files in from this process while timing would make the
     * benchmark measure its own rename loop on a 2-core machine. The
     * producer's start-up (config, Kafka connection, first scan) is inside
     * the measured time, which only understates its rate. */
    mkdir(incoming, 0755);
    for (int i = 0; i < n; i++) {
        char p[PATH_MAX + 32], story[2048];
        snprintf(p, sizeof p, "%s/%06d.%s", incoming, i, strcmp(format, "ninjs") ? "txt" : "json");
        make_story(format, i, story, sizeof story);
        write_file(p, story);
    }
    char *argv[] = {(char *)bin, "--config", cfg, NULL};
    /* the ctimes below come from the kernel's coarse real-time clock */
    double t0 = real_coarse_s(), limit = now_s() + 300;
    pid_t pid = spawn(argv, logp);
    /* Poll gently, only to know when to stop: the clock stops at the ctime
     * of the last file moved to done/, not at this loop's wake-up (listing
     * a directory of thousands of files often steals a core from the
     * producer on a 2-core machine). */
    while (count_dir(done) < (size_t)n && now_s() < limit)
        usleep(100000);
    size_t got = count_dir(done);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    double first, last;
    if (got < (size_t)n || ctime_range(done, &first, &last) < 0) {
        fprintf(stderr, "bench: only %zu of %d files done, see %s\n", got, n, logp);
        return -1;
    }
    *startup_s = first - t0;
    *steady = last > first ? (n - 1) / (last - first) : -1;
    return n / (last - t0);
}

/* The same messages, pre-serialized, as "key\tvalue" lines. */
static int serialize(const char *format, int n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++) {
        char story[2048];
        make_story(format, i, story, sizeof story);
        nw_story_list list = {0};
        nw_err err = {0};
        nw_parse_opts o = {.default_category = "bench"};
        if (nw_parse_buffer(format, story, strlen(story), &o, &list, &err) < 0 || !list.len) {
            fprintf(stderr, "bench: %s\n", err.msg);
            fclose(f);
            return -1;
        }
        char *json = nw_ninjs_dumps(list.items[0], &err);
        fprintf(f, "%s\t%s\n", list.items[0]->uri, json ? json : "{}");
        free(json);
        nw_story_list_free(&list);
    }
    return fclose(f);
}

/* "median +- spread" of v[0..k) into out (failed rounds, <= 0, left out). */
static const char *summary(double *v, int k, char *out, size_t len)
{
    double m, sp;
    if (nw_bench_stats(v, k, &m, &sp))
        snprintf(out, len, "%.0f +- %.0f", m, sp);
    else
        snprintf(out, len, "-");
    return out;
}

/* NW_NINJS_SCHEMA for the producer: kept when set, else the shared copy;
 * false when there is none (ninjs input would fail). */
static bool ninjs_schema_available(void)
{
    const char *set = getenv("NW_NINJS_SCHEMA");
    if (set && *set)
        return access(set, R_OK) == 0;
    const char *shared = getenv("NW_SHARED_DIR") ? getenv("NW_SHARED_DIR") : "../shared";
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/datasets/ninjs/iptc-newsinjson/schemas/ninjs-schema_3.1.json",
             shared);
    if (access(path, R_OK) != 0)
        return false;
    setenv("NW_NINJS_SCHEMA", path, 1);
    return true;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    if (n <= 0)
        n = 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (rounds <= 0 || rounds > 64)
        rounds = 9;
    char self[PATH_MAX], bin[PATH_MAX + 64];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = '\0';
    *strrchr(self, '/') = '\0'; /* build/tests/bench */
    snprintf(bin, sizeof bin, "%s/../../producers/newswire-producer", self);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "bench_producer: %s not built; skipped\n", bin);
        return 0;
    }
    const char *kcat = find_kcat();
    nw_err err = {0};
    nw_broker *broker = nw_broker_new(1, 4, &err);
    if (!broker) {
        fprintf(stderr, "bench_producer: %s\n", err.msg);
        return 1;
    }
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char tmp[256]; /* the paths made under it must fit PATH_MAX */
    if (snprintf(tmp, sizeof tmp, "%s/nw-bench-producer-XXXXXX", tmpdir) >= (int)sizeof tmp ||
        !mkdtemp(tmp))
        return 1;
    const char *formats[] = {"ninjs", "headline-text"};
    printf("bench_producer: %d stories per format, one file each, %d rounds, embedded broker %s\n",
           n, rounds, nw_broker_bootstrap(broker));
    bool have_schema = ninjs_schema_available();
    printf("%-14s %12s %12s %12s %12s %8s\n", "format", "start-up ms", "steady st/s", "total st/s",
           "kcat msg/s", "steady/kcat");
    for (size_t i = 0; i < 2; i++) {
        if (!strcmp(formats[i], "ninjs") && !have_schema) {
            printf("%-14s skipped: no ninjs 3.1 schema (set NW_NINJS_SCHEMA or NW_SHARED_DIR)\n",
                   formats[i]);
            continue;
        }
        char lines[PATH_MAX], topic[64];
        snprintf(lines, sizeof lines, "%s/%s.lines", tmp, formats[i]);
        snprintf(topic, sizeof topic, "news.kcat-%s", formats[i]);
        if (serialize(formats[i], n, lines) < 0)
            continue;
        double kcs[64], prs[64], ups[64], sts[64], ratios[64];
        for (int r = 0; r < rounds; r++) {
            double kc =
                kcat ? run_kcat(kcat, nw_broker_bootstrap(broker), topic, lines, n, tmp) : -1;
            double startup = 0, steady = -1;
            double pr = run_producer(bin, nw_broker_bootstrap(broker), formats[i], n, tmp, &startup,
                                     &steady);
            kcs[r] = kc;
            prs[r] = pr;
            sts[r] = pr > 0 ? steady : -1;
            ups[r] = pr > 0 ? startup * 1000 : -1;
            ratios[r] = kc > 0 && sts[r] > 0 ? sts[r] / kc : -1;
            printf("%-14s %12.0f %12.0f %12.0f %12.0f %8.2f\n", formats[i], ups[r], sts[r], pr, kc,
                   ratios[r]);
            fflush(stdout);
        }
        char a[4][64];
        printf("%-14s start-up %s ms | steady %s st/s | total %s st/s | kcat %s msg/s "
               "(median +- spread of %d rounds)\n",
               formats[i], summary(ups, rounds, a[0], 64), summary(sts, rounds, a[1], 64),
               summary(prs, rounds, a[2], 64), summary(kcs, rounds, a[3], 64), rounds);
        double rm, rsp;
        if (nw_bench_stats(ratios, rounds, &rm, &rsp))
            printf("%-14s steady/kcat %.2f +- %.2f%s\n", formats[i], rm, rsp,
                   rm >= 0.5 ? "" : "  (below the 0.5 goal)");
        fflush(stdout);
    }
    rm_rf(tmp);
    nw_broker_free(broker);
    return 0;
}
