/*
 * bench_parse_memory — peak memory of `newswire parse` on the largest input
 * the size limit allows, in its worst shape: an RSS feed of 470,000 tiny
 * items (15.9 MB, issue 15's case), once and as 9 such files in one run.
 * The goal is a peak RSS of at most 256 MB for any input within the limit.
 * Figures only: it never fails.
 *
 * Method: the feed is written to a temporary folder once; then `newswire
 * parse --format rss` runs NW_BENCH_ROUNDS times (default 5) as a child per
 * case, its output to /dev/null, and wait4() gives its peak RSS (ru_maxrss)
 * and its wall time. Median and spread (half the range) are printed. The
 * peak RSS of a process is deterministic up to allocator noise, so few
 * rounds suffice.
 *
 *   make bench    or    build/tests/bench/bench_parse_memory
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_bench.h"
#include "nw_testutil.h"

#define MAX_FILES 9

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One run of `newswire parse` over nfiles copies of path: its peak RSS (MB)
 * and wall time, 0 when it succeeded. */
static int run_parse(const char *bin, const char *path, int nfiles, double *rss_mb, double *secs)
{
    const char *argv[MAX_FILES + 5] = {bin, "parse", "--format", "rss"};
    for (int i = 0; i < nfiles; i++)
        argv[4 + i] = path;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_parse_memory: newswire parse failed (status %d)\n", status);
        return -1;
    }
    *secs = now_s() - t0;
    *rss_mb = ru.ru_maxrss / 1024.0;
    return 0;
}

int main(void)
{
    const char *r = getenv("NW_BENCH_ROUNDS");
    int rounds = r && atoi(r) > 0 ? atoi(r) : 5;
    if (rounds > 50)
        rounds = 50;
    char *dir = nw_test_mkdtemp("bench-parse-memory");
    char path[1024];
    snprintf(path, sizeof path, "%s/big.rss", dir);
    long bytes = nw_bench_write_tiny_feed(path);
    char *bin = nw_test_bin_path("producers/newswire");
    const int cases[] = {1, MAX_FILES};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double rss_mb[50], secs[50];
        int ok = 0;
        for (int i = 0; i < rounds; i++)
            if (run_parse(bin, path, cases[c], &rss_mb[ok], &secs[ok]) == 0)
                ok++;
        if (!ok)
            continue;
        double med, spread;
        printf("newswire parse, %d RSS feed(s) of %ld tiny items (%.1f MB each), %d rounds:\n",
               cases[c], NW_BENCH_TINY_ITEMS, bytes / 1e6, ok);
        nw_bench_stats(rss_mb, ok, &med, &spread);
        printf("  peak RSS  median %.1f MB  spread %.1f MB  (goal <= 256 MB)\n", med, spread);
        nw_bench_stats(secs, ok, &med, &spread);
        printf("  wall time median %.2f s   spread %.2f s\n", med, spread);
    }
    free(bin);
    nw_test_rm_rf(dir);
    free(dir);
    return 0;
}
