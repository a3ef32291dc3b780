/*
 * bench_parse_memory — peak memory of `newswire parse` on the largest input
 * the size limit allows, in its worst shapes: an RSS feed of 470,000 tiny
 * items (15.9 MB, issue 15's case), once and as 9 such files in one run;
 * then every shape of tests/nw_hostile.c (a million one-line NITF
 * paragraphs, a million ninjs keywords, one huge feed item, deep nesting...)
 * filled up to just under the 16 MiB limit. The goal is a peak RSS of at
 * most 256 MB for any input within the limit, whether the file is accepted
 * or refused (a file over a node or value budget is refused early: its
 * first stderr line is shown), and the same shape again just under its
 * budget (the largest such input that is accepted, parsed and encoded).
 * Figures only: it never fails.
 *
 * Method: each input is written to a temporary folder; then `newswire
 * parse --format F` runs NW_BENCH_ROUNDS times (default 3) as a child per
 * case, its output to /dev/null, and wait4() gives its peak RSS
 * (ru_maxrss) and its wall time. Median and spread (half the range) are
 * printed. The peak RSS of a process is deterministic up to allocator
 * noise, so few rounds suffice.
 *
 *   make bench    or    build/tests/bench/bench_parse_memory [SHAPE...]
 *   (SHAPE: names from tests/nw_hostile.c, "rss-tiny-items"; none = all)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_bench.h"
#include "nw_hostile.h"
#include "nw_parser.h"
#include "nw_testutil.h"

#define MAX_FILES 9
/* CPU seconds a parse may take before it is killed (and reported so) */
#define CPU_LIMIT_S 120

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One run of `newswire parse --format format` over nfiles copies of path:
 * its peak RSS (MB), wall time and exit status; the first line of its
 * stderr into msg. 0 when it ran (whatever its status). */
static int run_parse(const char *bin, const char *format, const char *path, int nfiles,
                     double *rss_mb, double *secs, int *status, char *msg, size_t msg_size)
{
    const char *argv[MAX_FILES + 5] = {bin, "parse", "--format", format};
    for (int i = 0; i < nfiles; i++)
        argv[4 + i] = path;
    int errpipe[2];
    if (pipe(errpipe) != 0)
        return -1;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        /* a parse that is quadratic somewhere must not stall the bench */
        struct rlimit cpu = {CPU_LIMIT_S, CPU_LIMIT_S + 10};
        setrlimit(RLIMIT_CPU, &cpu);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(errpipe[1], 2);
        close(errpipe[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(errpipe[1]);
    size_t got = 0;
    char chunk[4096];
    ssize_t n;
    while ((n = read(errpipe[0], chunk, sizeof chunk)) > 0) {
        size_t take = got + 1 < msg_size ? msg_size - 1 - got : 0;
        take = (size_t)n < take ? (size_t)n : take;
        memcpy(msg + got, chunk, take);
        got += take;
    }
    close(errpipe[0]);
    msg[got] = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    int wstatus = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &wstatus, 0, &ru) != pid)
        return -1;
    if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGXCPU) {
        snprintf(msg, msg_size, "killed after %d s of CPU time", CPU_LIMIT_S);
        wstatus = 0x7f00; /* reported as exit 127, with its peak */
    } else if (!WIFEXITED(wstatus)) {
        fprintf(stderr, "bench_parse_memory: newswire parse died (status %d)\n", wstatus);
        return -1;
    }
    *status = WEXITSTATUS(wstatus);
    *secs = now_s() - t0;
    *rss_mb = ru.ru_maxrss / 1024.0;
    return 0;
}

/* Run one case `rounds` times and print its figures. */
static void measure(const char *bin, const char *label, const char *format, const char *path,
                    int nfiles, int rounds)
{
    double rss_mb[50], secs[50];
    int ok = 0, status = 0;
    char msg[300] = "";
    for (int i = 0; i < rounds; i++)
        if (run_parse(bin, format, path, nfiles, &rss_mb[ok], &secs[ok], &status, msg,
                      sizeof msg) == 0)
            ok++;
    if (!ok)
        return;
    double med, spread;
    printf("%s, %d rounds, exit %d%s%s\n", label, ok, status, msg[0] ? ": " : "", msg);
    nw_bench_stats(rss_mb, ok, &med, &spread);
    printf("  peak RSS  median %.1f MB  spread %.1f MB  (goal <= 256 MB)\n", med, spread);
    nw_bench_stats(secs, ok, &med, &spread);
    printf("  wall time median %.2f s   spread %.2f s\n", med, spread);
    fflush(stdout);
}

static bool wanted(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *r = getenv("NW_BENCH_ROUNDS");
    int rounds = r && atoi(r) > 0 ? atoi(r) : 3;
    if (rounds > 50)
        rounds = 50;
    char *dir = nw_test_mkdtemp("bench-parse-memory");
    char *bin = nw_test_bin_path("producers/newswire");
    char path[1024], label[256];

    if (wanted(argc, argv, "rss-tiny-items")) {
        snprintf(path, sizeof path, "%s/big.rss", dir);
        long bytes = nw_bench_write_tiny_feed(path);
        const int cases[] = {1, MAX_FILES};
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            snprintf(label, sizeof label,
                     "newswire parse, %d RSS feed(s) of %ld tiny items (%.1f MB each)", cases[c],
                     NW_BENCH_TINY_ITEMS, bytes / 1e6);
            measure(bin, label, "rss", path, cases[c], rounds);
        }
    }

    /* every hostile shape, as large as the size limit allows (a little
     * under it, so that no shape is refused for its size), then as large as
     * its budget allows: the largest input of that shape that is accepted */
    const nw_hostile *all;
    size_t n = nw_hostile_all(&all);
    for (size_t i = 0; i < n; i++) {
        if (!wanted(argc, argv, all[i].name))
            continue;
        for (int under = 0; under < 2; under++) {
            if (under && !all[i].under)
                continue;
            nw_buf b = NW_BUF_INIT;
            long units =
                nw_hostile_make(&all[i], NW_PARSE_MAX_INPUT - 4096, under ? all[i].under : 0, &b);
            snprintf(path, sizeof path, "%s/%s", dir, all[i].name);
            if (units < 0 || nw_test_write_file(path, b.data, b.len) != 0) {
                nw_buf_free(&b);
                continue;
            }
            snprintf(label, sizeof label, "newswire parse, %s%s: %ld units (%.1f MB)", all[i].name,
                     under ? " just under its budget" : "", units, b.len / 1e6);
            nw_buf_free(&b);
            measure(bin, label, all[i].format, path, 1, rounds);
            unlink(path);
        }
    }
    free(bin);
    nw_test_rm_rf(dir);
    free(dir);
    return 0;
}
