/*
 * bench_producer_memory — memory of the producer service (newswire-producer
 * --config) taking the largest files the size limit allows, in their worst
 * shape: RSS feeds of 470,000 tiny items (15.9 MB each, issue 15's case),
 * 1, then 3, then 9 of them dropped into one spool at once; then one file
 * of each of the worst shapes of tests/nw_hostile.c for the service (the
 * largest accepted ones: one IPTC 7901 take or headline-text story of 16
 * MiB, ninjs keywords and a G2 package just under their budgets; and two
 * refused at 16 MiB), or the shapes named on the command line ("SHAPE" at
 * the size limit, "SHAPE:under" just under its budget). Prints, per case,
 * the peak RSS while the files are taken (VmHWM), the RSS once idle (3 s
 * after the last file reached done/ or failed/, past the service's
 * give-back after a burst), the RSS at start-up, the wall time until every
 * file is there and the CPU time the service used. Goal: peak <= 256 MB,
 * idle near start-up. Figures only: it never fails.
 *
 * The broker is the embedded one (librdkafka's mock cluster) in this
 * process; the producer is a child. Rounds: NW_BENCH_ROUNDS (default 3).
 *
 *   make bench    or    build/tests/bench/bench_producer_memory [SHAPE[:under]...]
 */
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_bench.h"
#include "nw_hostile.h"
#include "nw_kafka.h"
#include "nw_parser.h"
#include "nw_testutil.h"

#define MAX_FILES 9

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A field of /proc/<pid>/status in MB ("VmRSS", "VmHWM"), -1 when unknown. */
static double status_mb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double mb = -1;
    size_t flen = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, flen) && line[flen] == ':')
            mb = atol(line + flen + 1) / 1024.0;
    if (f)
        fclose(f);
    return mb;
}

static int count_dir(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -1 '%s' 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

typedef struct round_result {
    double start_mb, peak_mb, idle_mb, secs, cpu;
} round_result;

/* One round: a fresh spool reading `format`, the producer started, `nfiles`
 * copies of the file renamed into incoming/ at once; over when all are in
 * done/ or failed/. */
static int run_round(nw_broker *broker, const char *feed, const char *format, int nfiles,
                     round_result *out)
{
    char *dir = nw_test_mkdtemp("bench-producer-memory");
    char spool[1024], in_dir[1100], done_dir[1100], failed_dir[1100], config[1100], logp[1100];
    snprintf(spool, sizeof spool, "%s/spool", dir);
    snprintf(in_dir, sizeof in_dir, "%s/incoming", spool);
    snprintf(done_dir, sizeof done_dir, "%s/done", spool);
    snprintf(failed_dir, sizeof failed_dir, "%s/failed", spool);
    snprintf(config, sizeof config, "%s/producer.yaml", dir);
    snprintf(logp, sizeof logp, "%s/producer.log", dir);
    mkdir(spool, 0755);
    mkdir(in_dir, 0755);
    char text[2048];
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "log_level: info\n"
             "spools:\n  - name: big\n    path: %s\n    format: %s\n    settle_time: 0s\n",
             nw_broker_bootstrap(broker), spool, format);
    nw_test_write_file(config, text, strlen(text));
    /* the copies wait beside incoming/ and are renamed in together */
    char staged[MAX_FILES][1200], final[MAX_FILES][1200];
    for (int i = 0; i < nfiles; i++) {
        snprintf(staged[i], sizeof staged[i], "%s/feed%d.xml", dir, i);
        snprintf(final[i], sizeof final[i], "%s/feed%d.xml", in_dir, i);
        char cmd[16384];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", feed, staged[i]);
        if (system(cmd) != 0)
            return -1;
    }
    char *bin = nw_test_bin_path("producers/newswire-producer");
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(bin, bin, "--config", config, (char *)NULL);
        _exit(127);
    }
    free(bin);
    int rc = -1;
    if (pid < 0 || nw_test_logged_http_port(logp, 30) <= 0)
        goto out;
    usleep(500000); /* the spool's first scan and the client's start */
    out->start_mb = status_mb(pid, "VmRSS");
    double t0 = now_s();
    for (int i = 0; i < nfiles; i++)
        rename(staged[i], final[i]);
    /* failed/ holds a .error beside each file */
    while (count_dir(done_dir) + (count_dir(failed_dir) + 1) / 2 < nfiles) {
        if (now_s() - t0 > 600 || waitpid(pid, NULL, WNOHANG) == pid)
            goto out;
        usleep(50000);
    }
    out->secs = now_s() - t0;
    out->peak_mb = status_mb(pid, "VmHWM");
    sleep(3);
    out->idle_mb = status_mb(pid, "VmRSS");
    rc = 0;
out:
    if (pid > 0) {
        kill(pid, SIGTERM);
        int status;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) == pid)
            out->cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                       ru.ru_stime.tv_usec / 1e6;
    }
    if (rc < 0)
        fprintf(stderr, "bench_producer_memory: round failed, log in %s\n", logp);
    else
        nw_test_rm_rf(dir);
    free(dir);
    return rc;
}

static void print_stat(const char *what, double *v, int n, const char *unit)
{
    double median, spread;
    nw_bench_stats(v, n, &median, &spread);
    printf("  %-26s median %7.1f %s  spread %.1f %s\n", what, median, unit, spread, unit);
}

/* Rounds of one case, printed. */
static void measure(const char *label, const char *file, const char *format, int nfiles, int rounds)
{
    nw_err err = {0};
    double start[20], peak[20], idle[20], secs[20], cpu[20];
    int ok = 0;
    for (int i = 0; i < rounds; i++) {
        /* a fresh broker per round: the bench's own memory stays flat */
        nw_broker *broker = nw_broker_new(1, 3, &err);
        if (!broker) {
            fprintf(stderr, "bench_producer_memory: %s\n", err.msg);
            return;
        }
        round_result res = {0};
        if (run_round(broker, file, format, nfiles, &res) == 0) {
            start[ok] = res.start_mb;
            peak[ok] = res.peak_mb;
            idle[ok] = res.idle_mb;
            secs[ok] = res.secs;
            cpu[ok++] = res.cpu;
        }
        nw_broker_free(broker);
    }
    printf("newswire-producer, %s, %d rounds:\n", label, ok);
    if (!ok)
        return;
    print_stat("RSS at start-up", start, ok, "MB");
    print_stat("peak RSS (goal <= 256 MB)", peak, ok, "MB");
    print_stat("idle RSS after 3 s", idle, ok, "MB");
    print_stat("wall time to done/", secs, ok, "s ");
    print_stat("CPU time (user+sys)", cpu, ok, "s ");
    fflush(stdout);
}

/* One file of the hostile shape "NAME" (at the size limit) or "NAME:under"
 * (just under its budget). */
static void measure_shape(const char *dir, const char *spec, int rounds)
{
    char name[128];
    snprintf(name, sizeof name, "%s", spec);
    char *colon = strchr(name, ':');
    bool under = colon && !strcmp(colon, ":under");
    if (colon)
        *colon = '\0';
    const nw_hostile *h = nw_hostile_find(name);
    if (!h) {
        fprintf(stderr, "bench_producer_memory: no shape '%s'\n", name);
        return;
    }
    nw_buf b = NW_BUF_INIT;
    long units = nw_hostile_make(h, NW_PARSE_MAX_INPUT - 4096, under ? h->under : 0, &b);
    char path[1024], label[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (units >= 0 && nw_test_write_file(path, b.data, b.len) == 0) {
        snprintf(label, sizeof label, "%s%s: %ld units (%.1f MB)", name,
                 under ? " just under its budget" : "", units, b.len / 1e6);
        measure(label, path, h->format, 1, rounds);
    }
    nw_buf_free(&b);
    unlink(path);
}

int main(int argc, char **argv)
{
    const char *r = getenv("NW_BENCH_ROUNDS");
    int rounds = r && atoi(r) > 0 ? atoi(r) : 3;
    if (rounds > 20)
        rounds = 20;
    char *dir = nw_test_mkdtemp("bench-producer-feed");
    char feed[1024];
    snprintf(feed, sizeof feed, "%s/big.rss", dir);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            measure_shape(dir, argv[i], rounds);
        nw_test_rm_rf(dir);
        free(dir);
        return 0;
    }
    long bytes = nw_bench_write_tiny_feed(feed);
    const int cases[] = {1, 3, MAX_FILES};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char label[256];
        snprintf(label, sizeof label, "%d RSS feed(s) of %ld tiny items (%.1f MB each)", cases[c],
                 NW_BENCH_TINY_ITEMS, bytes / 1e6);
        measure(label, feed, "rss", cases[c], rounds);
    }
    const char *worst[] = {"iptc7901-lines",          "headline-text-lines", "ninjs-keywords:under",
                           "newsmlg2-itemrefs:under", "nitf-paragraphs",     "ninjs-keywords"};
    for (size_t i = 0; i < sizeof worst / sizeof worst[0]; i++)
        measure_shape(dir, worst[i], rounds);
    nw_test_rm_rf(dir);
    free(dir);
    return 0;
}
