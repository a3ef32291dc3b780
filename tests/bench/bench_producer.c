/*
 * bench_producer — stories per second from spool to acknowledged, per input
 * workload, beside `kcat -P` sending the same pre-serialized messages, with
 * the same headers, to the same (embedded) broker in the same run, with the
 * same producer settings (acks=all, idempotence; everything else
 * librdkafka's defaults for both: linger 5 ms, no compression, the same
 * partitioner and partition count). Never fails on timing.
 *
 * Workloads: ninjs and headline-text with one story a file (the producer's
 * per-file work, open/read/rename, is in every story), and ninjs with 100
 * stories a file (that work spread over 100 stories: what is left is the
 * per-story work, parse, serialize, send).
 *
 * kcat's clock: start to exit (its last message acknowledged). Each round
 * also sends one message alone, so kcat's start-up (process, connection,
 * metadata) is known and its steady rate is (n - 1) / (t(n) - t(1)). The
 * producer's clock, from the moves of its files to done/ (each file's
 * ctime, stamped by the rename that follows the file's last delivery
 * report, so the polling loop's granularity is not counted):
 *   start-up   process start to its first file done (libraries, config,
 *              Kafka, the scan of incoming/), in ms;
 *   steady     stories/s from the first file done to the last;
 *   total      stories/s from process start to the last file done.
 * The goal (issue 17) is steady >= 0.5x kcat. Two ratios are printed:
 * steady/kcat, against kcat's whole run (its start-up, a few tens of ms of
 * a ~100 ms run, counted: this overstates the producer), and steady/kcat-ss,
 * steady state against steady state (the fair one).
 *
 * CPU: user + system time of each process (wait4), per story, with the
 * start-up taken out the same way on both sides (each round also runs the
 * producer on one file and kcat on one message): (cpu(n) - cpu(1)) / (n - 1)
 * in microseconds. On a shared machine, wall-clock rates follow the share of
 * the cores the process gets; CPU per story moves much less with the load:
 * read an optimisation's effect there first.
 *
 * The file system's part: each round after the first puts the files back
 * into incoming/ by reading each (open, read, close) and renaming it back
 * from done/, timed (CPU): the same calls on the same files and folders as
 * the producer's, alone, so the floor of the spool's per-file cost is
 * printed beside the producer's whole cost (not written afresh: creating
 * 10,000 files on ext4 just after deleting as many was most of this
 * benchmark's own system time).
 *
 * Each workload runs ROUNDS times, kcat and the producer alternating; the
 * last lines give the median and spread (half the range) of every column
 * over the rounds. On a shared 2-core machine one pair of runs swings by 2x
 * either way: read a difference against the spread, and give 15 or more
 * rounds for a verdict on the goal. ninjs input is checked against the
 * ninjs 3.1 schema (NW_NINJS_SCHEMA; taken from NW_SHARED_DIR when unset,
 * else the ninjs workloads are skipped).
 *
 *   bench_producer [STORIES_PER_WORKLOAD [ROUNDS]]   (default 10000, one
 *                                                    file each; 9 rounds)
 */
#define _GNU_SOURCE /* O_NOATIME */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* wait4: the child's exit status and its CPU time (user + system, all its
 * threads) in seconds. */
static int wait_cpu(pid_t pid, double *cpu_s)
{
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        *cpu_s = -1;
        return -1;
    }
    *cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
             ru.ru_stime.tv_usec / 1e6;
    return status;
}

/* The headers the producer puts on every message (nw_publish.c), with
 * values of the same length, for kcat to send too. */
typedef struct kcat_headers {
    char arg[5][PATH_MAX + 32];
} kcat_headers;

static void make_kcat_headers(kcat_headers *h, const char *origin)
{
    snprintf(h->arg[0], sizeof h->arg[0], "%s=%s", NW_HDR_SCHEMA, NW_SCHEMA_VERSION);
    snprintf(h->arg[1], sizeof h->arg[1], "%s=%s", NW_HDR_CONTENT_TYPE, NW_CONTENT_TYPE_JSON);
    snprintf(h->arg[2], sizeof h->arg[2], "%s=2026-01-01T00:00:00.000Z", NW_HDR_INGEST_TIME);
    snprintf(h->arg[3], sizeof h->arg[3], "%s=0123456789abcdef0123456789abcdef", NW_HDR_TRACE_ID);
    snprintf(h->arg[4], sizeof h->arg[4], "%s=%s", NW_HDR_ORIGIN, origin);
}

/* kcat -P: every line of `lines` is "key\tvalue". Returns the seconds from
 * start to exit, or -1; *cpu_s: its CPU time. */
static double run_kcat(const char *kcat, const char *bootstrap, const char *topic,
                       const char *lines, const kcat_headers *h, const char *tmp, double *cpu_s)
{
    char logp[PATH_MAX];
    snprintf(logp, sizeof logp, "%s/kcat.log", tmp);
    char *argv[] = {(char *)kcat, "-P",
                    "-b",         (char *)bootstrap,
                    "-t",         (char *)topic,
                    "-K",         "\t",
                    "-X",         "acks=all",
                    "-X",         "enable.idempotence=true",
                    "-H",         (char *)h->arg[0],
                    "-H",         (char *)h->arg[1],
                    "-H",         (char *)h->arg[2],
                    "-H",         (char *)h->arg[3],
                    "-H",         (char *)h->arg[4],
                    "-l",         (char *)lines,
                    NULL};
    double t0 = now_s();
    pid_t pid = spawn(argv, logp);
    int status = wait_cpu(pid, cpu_s);
    double dt = now_s() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: kcat failed (status %d), see %s\n", status, logp);
        return -1;
    }
    return dt;
}

/* What the producer is given: the spool's format and how many stories each
 * file holds (a JSON array when more than one). */
typedef struct workload {
    const char *name;
    const char *format;
    int per_file;
} workload;

static const workload workloads[] = {
    {"ninjs", "ninjs", 1},
    {"headline-text", "headline-text", 1},
    {"ninjs x100", "ninjs", 100},
};

/* The spool of a producer run of workload w over `files` files (the run of
 * one file has its own, so that the big one's files stay between rounds). */
static void spool_dir(const char *tmp, size_t w, int files, char *out, size_t len)
{
    snprintf(out, len, "%s/spool-%zu-%d", tmp, w, files);
}

/* The name of file number i of workload w. */
static void spool_name(size_t w, int i, char *out, size_t len)
{
    snprintf(out, len, "%06d.%s", i, strcmp(workloads[w].format, "ninjs") ? "txt" : "json");
}

/* Write the n stories of workload w into `incoming` (n a multiple of its
 * stories per file). */
static int write_spool_files(const char *incoming, size_t w, int n)
{
    const workload *wl = &workloads[w];
    for (int f = 0; f < n / wl->per_file; f++) {
        char name[32], p[PATH_MAX + 40];
        spool_name(w, f, name, sizeof name);
        snprintf(p, sizeof p, "%s/%s", incoming, name);
        FILE *out = fopen(p, "w");
        if (!out)
            return -1;
        for (int k = 0; k < wl->per_file; k++) {
            char story[2048];
            make_story(wl->format, f * wl->per_file + k, story, sizeof story);
            if (wl->per_file > 1)
                fputs(k == 0 ? "[" : ",", out);
            fputs(story, out);
        }
        if (wl->per_file > 1)
            fputs("]\n", out);
        if (fclose(out) != 0)
            return -1;
    }
    return 0;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The file system's part of the producer's work on one file, done by this
 * process on the same files and folders: CPU time (us) of an open, a read
 * and a close, and of a rename between done/ and incoming/ (the producer's
 * move the other way). -1 where not measured. */
typedef struct fs_floor {
    double read_us, rename_us;
} fs_floor;

/* Move the last round's files of the spool back from done/ to incoming/,
 * reading each first (fl: what that cost); -1 unless done/ holds exactly
 * them and incoming/ and failed/ nothing. Both folders are made anew (an
 * ext4 folder keeps the blocks it grew to, and inserting into a grown one
 * costs less than into one that grows, as done/ does in service): the
 * producer meets a new incoming/ filled with its files and makes a new
 * done/, as with files written afresh. */
static int move_back(const char *spool, size_t w, int files, fs_floor *fl)
{
    char incoming[PATH_MAX], done[PATH_MAX], failed[PATH_MAX];
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    snprintf(done, sizeof done, "%s/done", spool);
    snprintf(failed, sizeof failed, "%s/failed", spool);
    if (count_dir(done) != (size_t)files || count_dir(incoming) || count_dir(failed) ||
        rmdir(incoming) < 0 || mkdir(incoming, 0755) < 0)
        return -1;
    int in_fd = open(incoming, O_RDONLY | O_DIRECTORY),
        done_fd = open(done, O_RDONLY | O_DIRECTORY);
    int rc = in_fd >= 0 && done_fd >= 0 ? 0 : -1;
    static char buf[1 << 16];
    double t0 = thread_cpu_s();
    for (int f = 0; rc == 0 && f < files; f++) {
        char name[32];
        spool_name(w, f, name, sizeof name);
        int fd = openat(done_fd, name, O_RDONLY | O_CLOEXEC | O_NOATIME);
        rc = fd >= 0 && read(fd, buf, sizeof buf) > 0 ? 0 : -1;
        if (fd >= 0)
            close(fd);
    }
    double t1 = thread_cpu_s();
    for (int f = 0; rc == 0 && f < files; f++) {
        char name[32];
        spool_name(w, f, name, sizeof name);
        rc = renameat(done_fd, name, in_fd, name);
    }
    if (rc == 0) {
        fl->read_us = (t1 - t0) / files * 1e6;
        fl->rename_us = (thread_cpu_s() - t1) / files * 1e6;
    }
    if (in_fd >= 0)
        close(in_fd);
    if (done_fd >= 0)
        close(done_fd);
    return rc == 0 ? rmdir(done) : rc;
}

/* Put the n stories of workload w into the spool's incoming/: the files of
 * the last round moved back from done/, else written afresh. Not rewritten
 * each round: on ext4, creating 10,000 files just after deleting as many
 * costs the kernel several times the producer's whole run
 * (__ext4_new_inode skipping the recently deleted inodes), and that was
 * most of this benchmark's own system time. */
static int fill_spool(const char *spool, size_t w, int n, fs_floor *fl)
{
    int files = n / workloads[w].per_file;
    fl->read_us = fl->rename_us = -1;
    if (move_back(spool, w, files, fl) == 0)
        return 0;
    char incoming[PATH_MAX];
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    rm_rf(spool); /* an earlier run's, left as it was */
    mkdir(spool, 0755);
    mkdir(incoming, 0755);
    return write_spool_files(incoming, w, n);
}

/* One run of the producer over the n stories of workload w. Returns the
 * stories/s from its start to the move of its last file to done/, or -1;
 * *startup_s: start to the first file done; *steady: stories/s from the
 * first file done to the last (-1 with one file); *cpu_s: its CPU time;
 * *fl: see fs_floor (-1s when the files were written afresh). */
static double run_producer(const char *bin, const char *bootstrap, size_t w, int n, const char *tmp,
                           double *startup_s, double *steady, double *cpu_s, fs_floor *fl)
{
    const workload *wl = &workloads[w];
    int files = n / wl->per_file;
    char spool[1024], incoming[PATH_MAX], done[PATH_MAX], cfg[PATH_MAX], logp[PATH_MAX];
    spool_dir(tmp, w, files, spool, sizeof spool);
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    snprintf(done, sizeof done, "%s/done", spool);
    snprintf(cfg, sizeof cfg, "%s/producer-%zu.yaml", tmp, w);
    snprintf(logp, sizeof logp, "%s/producer-%zu.log", tmp, w);
    char text[8192];
    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"%s\"}\nhttp: {listen: \"127.0.0.1:0\"}\n"
             "log_level: warn\nspools:\n  - {name: bench, path: %s, format: %s, "
             "category: bench-%zu, settle_time: 0ms}\n",
             bootstrap, spool, wl->format, w);
    write_file(cfg, text);
    /* The files wait in incoming/ before the producer starts (the recovery
     * path of a restart), so the clock measures the producer alone: moving
     * thousands of files in from this process while timing would make the
     * benchmark measure its own rename loop on a 2-core machine. */
    if (fill_spool(spool, w, n, fl) < 0) {
        fprintf(stderr, "bench: cannot write the spool files in %s\n", incoming);
        return -1;
    }
    char *argv[] = {(char *)bin, "--config", cfg, NULL};
    /* the ctimes below come from the kernel's coarse real-time clock */
    double t0 = real_coarse_s(), limit = now_s() + 300;
    pid_t pid = spawn(argv, logp);
    /* Poll gently, only to know when to stop: the clock stops at the ctime
     * of the last file moved to done/, not at this loop's wake-up (listing
     * a directory of thousands of files often steals a core from the
     * producer on a 2-core machine). */
    while (count_dir(done) < (size_t)files && now_s() < limit)
        usleep(files > 1 ? 100000 : 10000);
    size_t got = count_dir(done);
    kill(pid, SIGTERM);
    wait_cpu(pid, cpu_s);
    double first, last;
    if (got < (size_t)files || ctime_range(done, &first, &last) < 0) {
        fprintf(stderr, "bench: only %zu of %d files done, see %s\n", got, files, logp);
        return -1;
    }
    *startup_s = first - t0;
    *steady = last > first ? (double)(files - 1) * wl->per_file / (last - first) : -1;
    return n / (last - t0);
}

/* The same messages, pre-serialized, as "key\tvalue" lines: all n of them
 * into `path`, the first alone into `one`. */
static int serialize(const char *format, int n, const char *path, const char *one)
{
    FILE *f = fopen(path, "w"), *f1 = fopen(one, "w");
    int rc = f && f1 ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        char story[2048];
        make_story(format, i, story, sizeof story);
        nw_story_list list = {0};
        nw_err err = {0};
        nw_parse_opts o = {.default_category = "bench"};
        if (nw_parse_buffer(format, story, strlen(story), &o, &list, &err) < 0 || !list.len) {
            fprintf(stderr, "bench: %s\n", err.msg);
            rc = -1;
            break;
        }
        char *json = nw_ninjs_dumps(list.items[0], &err);
        fprintf(f, "%s\t%s\n", list.items[0]->uri, json ? json : "{}");
        if (i == 0)
            fprintf(f1, "%s\t%s\n", list.items[0]->uri, json ? json : "{}");
        free(json);
        nw_story_list_free(&list);
    }
    if (f && fclose(f) != 0)
        rc = -1;
    if (f1 && fclose(f1) != 0)
        rc = -1;
    return rc;
}

/* "median +- spread" of v[0..k) into out (failed rounds, <= 0, left out). */
static const char *summary(double *v, int k, const char *fmt, char *out, size_t len)
{
    double m, sp;
    if (nw_bench_stats(v, k, &m, &sp))
        snprintf(out, len, fmt, m, sp);
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

/* The figures of one workload, a value per round (-1: failed). */
typedef struct figures {
    double startup_ms[64], steady[64], total[64], kcat[64], kcat_ss[64];
    double ratio[64], ratio_ss[64], cpu_us[64], kcat_cpu_us[64];
    double read_us[64], rename_us[64];
} figures;

/* Round r of workload w: kcat (n messages, then one), then the producer (n
 * stories, then one file), into fig. */
static void run_round(const char *bin, const char *kcat, const char *bootstrap, size_t w, int n,
                      const char *tmp, const char *lines, const char *one, const kcat_headers *hdr,
                      int r, figures *fig)
{
    char topic[64];
    snprintf(topic, sizeof topic, "news.kcat-%zu", w);
    double kc_cpu = -1, kc1_cpu = -1;
    double kc_t = kcat ? run_kcat(kcat, bootstrap, topic, lines, hdr, tmp, &kc_cpu) : -1;
    double kc1_t = kcat ? run_kcat(kcat, bootstrap, topic, one, hdr, tmp, &kc1_cpu) : -1;
    double startup = 0, steady = -1, cpu = -1, s1 = 0, st1 = 0, cpu1 = -1;
    fs_floor fl, fl1;
    int small = workloads[w].per_file;
    double pr = run_producer(bin, bootstrap, w, n, tmp, &startup, &steady, &cpu, &fl);
    double pr1 = run_producer(bin, bootstrap, w, small, tmp, &s1, &st1, &cpu1, &fl1);
    fig->read_us[r] = fl.read_us;
    fig->rename_us[r] = fl.rename_us;
    fig->kcat[r] = kc_t > 0 ? n / kc_t : -1;
    fig->kcat_ss[r] = kc_t > 0 && kc1_t > 0 && kc_t > kc1_t ? (n - 1) / (kc_t - kc1_t) : -1;
    fig->kcat_cpu_us[r] =
        kc_t > 0 && kc1_t > 0 && kc_cpu > kc1_cpu ? (kc_cpu - kc1_cpu) / (n - 1) * 1e6 : -1;
    fig->total[r] = pr;
    fig->steady[r] = pr > 0 ? steady : -1;
    fig->startup_ms[r] = pr > 0 ? startup * 1000 : -1;
    fig->cpu_us[r] = pr > 0 && pr1 > 0 && cpu > cpu1 ? (cpu - cpu1) / (n - small) * 1e6 : -1;
    fig->ratio[r] = fig->kcat[r] > 0 && fig->steady[r] > 0 ? fig->steady[r] / fig->kcat[r] : -1;
    fig->ratio_ss[r] =
        fig->kcat_ss[r] > 0 && fig->steady[r] > 0 ? fig->steady[r] / fig->kcat_ss[r] : -1;
    printf("%-14s %8.0f %9.0f %9.0f %9.0f %9.0f %7.2f %7.2f %8.1f %8.1f %7.1f %7.1f\n",
           workloads[w].name, fig->startup_ms[r], fig->steady[r], fig->total[r], fig->kcat[r],
           fig->kcat_ss[r], fig->ratio[r], fig->ratio_ss[r], fig->cpu_us[r], fig->kcat_cpu_us[r],
           fig->read_us[r], fig->rename_us[r]);
    fflush(stdout);
}

static void print_summary(const char *name, figures *fig, int rounds)
{
    char a[11][64];
    printf("%-14s start-up %s ms | steady %s st/s | total %s st/s | kcat %s msg/s | kcat steady "
           "%s msg/s (median +- spread of %d rounds)\n",
           name, summary(fig->startup_ms, rounds, "%.0f +- %.0f", a[0], 64),
           summary(fig->steady, rounds, "%.0f +- %.0f", a[1], 64),
           summary(fig->total, rounds, "%.0f +- %.0f", a[2], 64),
           summary(fig->kcat, rounds, "%.0f +- %.0f", a[3], 64),
           summary(fig->kcat_ss, rounds, "%.0f +- %.0f", a[4], 64), rounds);
    printf("%-14s CPU per story: producer %s us, kcat %s us per message (start-up taken out)\n",
           name, summary(fig->cpu_us, rounds, "%.1f +- %.1f", a[5], 64),
           summary(fig->kcat_cpu_us, rounds, "%.1f +- %.1f", a[6], 64));
    printf("%-14s the file system's part of a file, done alone on the same files: open + read + "
           "close %s us, the rename between incoming/ and done/ %s us (CPU)\n",
           name, summary(fig->read_us, rounds, "%.1f +- %.1f", a[9], 64),
           summary(fig->rename_us, rounds, "%.1f +- %.1f", a[10], 64));
    double rm, rsp;
    if (nw_bench_stats(fig->ratio_ss, rounds, &rm, &rsp))
        printf("%-14s steady/kcat-steady %.2f +- %.2f%s; steady/kcat %s (kcat's start-up "
               "counted)\n",
               name, rm, rsp, rm >= 0.5 ? "" : "  (below the 0.5 goal)",
               summary(fig->ratio, rounds, "%.2f +- %.2f", a[7], 64));
    fflush(stdout);
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
    printf("bench_producer: %d stories per workload, %d rounds, embedded broker %s\n", n, rounds,
           nw_broker_bootstrap(broker));
    bool have_schema = ninjs_schema_available();
    printf("%-14s %8s %9s %9s %9s %9s %7s %7s %8s %8s %7s %7s\n", "workload", "start ms",
           "steady/s", "total/s", "kcat/s", "kcat ss/s", "st/kcat", "st/k ss", "cpu us", "kcat us",
           "read us", "mv us");
    static figures fig;
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        const workload *wl = &workloads[w];
        int stories = n - n % wl->per_file;
        if (!strcmp(wl->format, "ninjs") && !have_schema) {
            printf("%-14s skipped: no ninjs 3.1 schema (set NW_NINJS_SCHEMA or NW_SHARED_DIR)\n",
                   wl->name);
            continue;
        }
        if (stories < 2 * wl->per_file) {
            printf("%-14s skipped: needs at least %d stories\n", wl->name, 2 * wl->per_file);
            continue;
        }
        char lines[PATH_MAX], one[PATH_MAX], origin[PATH_MAX];
        snprintf(lines, sizeof lines, "%s/%zu.lines", tmp, w);
        snprintf(one, sizeof one, "%s/%zu.one", tmp, w);
        if (serialize(wl->format, stories, lines, one) < 0)
            continue;
        kcat_headers hdr;
        char spool[1024], name[32];
        spool_dir(tmp, w, stories / wl->per_file, spool, sizeof spool);
        spool_name(w, 0, name, sizeof name);
        snprintf(origin, sizeof origin, "%s/incoming/%s", spool, name);
        make_kcat_headers(&hdr, origin);
        memset(&fig, 0, sizeof fig);
        for (int r = 0; r < rounds; r++)
            run_round(bin, kcat, nw_broker_bootstrap(broker), w, stories, tmp, lines, one, &hdr, r,
                      &fig);
        print_summary(wl->name, &fig, rounds);
    }
    rm_rf(tmp);
    nw_broker_free(broker);
    return 0;
}
