/*
 * bench_parse_memory — peak memory of `newswire parse` on the largest input
 * the size limit allows, in its worst shape: an RSS feed of ~440,000 tiny
 * items (15.8 MB). The goal is a peak RSS of at most 256 MB for any input
 * within the limit. Figures only: it never fails.
 *
 * Method: the feed is written to a temporary folder once; then `newswire
 * parse --format rss` runs NW_BENCH_ROUNDS times (default 5) as a child,
 * its output to /dev/null, and wait4() gives its peak RSS (ru_maxrss) and
 * its wall time. Median and spread (max - min) are printed. The peak RSS of
 * a process is deterministic up to allocator noise, so few rounds suffice.
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

#define TARGET_BYTES 15800000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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
    long items = nw_bench_write_tiny_feed(path, TARGET_BYTES);
    char *bin = nw_test_bin_path("producers/newswire");
    double rss_mb[50], secs[50];
    int ok = 0;
    for (int i = 0; i < rounds; i++) {
        double t0 = now_s();
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            execl(bin, bin, "parse", "--format", "rss", path, (char *)NULL);
            _exit(127);
        }
        int status = 0;
        struct rusage ru;
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_parse_memory: newswire parse failed (status %d)\n", status);
            continue;
        }
        secs[ok] = now_s() - t0;
        rss_mb[ok++] = ru.ru_maxrss / 1024.0;
    }
    if (ok) {
        qsort(rss_mb, (size_t)ok, sizeof *rss_mb, cmp_double);
        qsort(secs, (size_t)ok, sizeof *secs, cmp_double);
        printf("newswire parse, RSS feed of %ld tiny items (%.1f MB), %d rounds:\n", items,
               TARGET_BYTES / 1e6, ok);
        printf("  peak RSS  median %.1f MB  spread %.1f MB  (goal <= 256 MB)\n", rss_mb[ok / 2],
               rss_mb[ok - 1] - rss_mb[0]);
        printf("  wall time median %.2f s   spread %.2f s\n", secs[ok / 2], secs[ok - 1] - secs[0]);
    }
    free(bin);
    nw_test_rm_rf(dir);
    free(dir);
    return 0;
}
