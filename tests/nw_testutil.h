/*
 * nw_testutil — helpers shared by the Criterion tests: where the shared
 * datasets and fixtures are, reading files, temporary directories, and
 * running the project's binaries as child processes with captured output.
 * Test code only; everything returned is malloc'd and freed by the caller.
 */
#ifndef NW_TESTUTIL_H
#define NW_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Root of ../shared (env NW_SHARED_DIR, default "../shared"), or NULL when it
 * does not exist. Borrowed static string. */
const char *nw_test_shared_dir(void);
/* "<shared>/<rel>" when the shared dir exists, else NULL. Caller frees. */
char *nw_test_shared_path(const char *rel);
/* "<NW_FIXTURES_DIR>/<rel>" (tests/fixtures in the source tree). Caller frees. */
char *nw_test_fixture_path(const char *rel);
/* "<NW_BIN_DIR>/<rel>", e.g. "producers/newswire". Caller frees. */
char *nw_test_bin_path(const char *rel);

/* Lines (newlines) in the file at path; 0 when it cannot be read. */
int nw_test_count_lines(const char *path);
/* Whole file into a NUL-terminated buffer; NULL on error. */
char *nw_test_read_file(const char *path, size_t *len);
int nw_test_write_file(const char *path, const void *data, size_t len);
/* New empty directory under $TMPDIR (or /tmp). Caller frees the string and
 * may remove the tree with nw_test_rm_rf. */
char *nw_test_mkdtemp(const char *tag);
void nw_test_rm_rf(const char *path);
/* Teardown of a nw_test_mkdtemp directory: the tree removed, *dir freed
 * and set to NULL (nothing when it is NULL). */
void nw_test_rm_tmp(char **dir);
/* Write text to <dir>/<name>; the path (caller frees), or NULL. */
char *nw_test_write_in(const char *dir, const char *name, const char *text);

/* Warnings a parser reported through nw_parse_opts.warn: how many, the last
 * one, and as many as fit of all of them, a line each. Zero-initialise one
 * and pass it as warn_ctx with nw_test_collect_warning as warn. */
typedef struct nw_test_warnings {
    int count;
    char last[1024];
    char all[8192];
} nw_test_warnings;
void nw_test_collect_warning(void *ctx, const char *msg);

/* fn(path, size, ctx) for every regular file under dir, recursively, whose
 * name does not start with '.' and which is at most max_size bytes (0 = any
 * size). path is borrowed for the call. Returns the number of files given
 * to fn, or -1 when dir cannot be opened. */
typedef void (*nw_test_file_fn)(const char *path, size_t size, void *ctx);
long nw_test_walk(const char *dir, size_t max_size, nw_test_file_fn fn, void *ctx);

/* Run argv[0] (a path) with stdin from `input` (may be NULL), wait at most
 * timeout_s seconds (then SIGKILL). Captures stdout and stderr into malloc'd
 * strings when out/errout are non-NULL. Returns the exit status (0..255),
 * 128+signal when killed, -1 on failure to start. */
int nw_test_run(char *const argv[], const char *input, int timeout_s, char **out, char **errout);

/* The result of running the built `newswire`; free with nw_test_cli_free. */
typedef struct nw_test_cli {
    int status;
    char *out, *err;
} nw_test_cli;
/* Run the built `newswire` with the NULL-terminated `lead` arguments, then
 * `first` and the NULL-terminated rest after it (none when first is NULL),
 * stdin from `input` (NULL: none); asserts it ran. */
nw_test_cli nw_test_newswire(const char *input, int timeout_s, const char *const lead[],
                             const char *first, va_list rest);
void nw_test_cli_free(nw_test_cli *r);

/* Start argv in the background with stdout to a pipe; returns pid and the
 * read end of the pipe in *stdout_fd (-1 if not wanted). */
pid_t nw_test_spawn(char *const argv[], int *stdout_fd);
/* Read one line from fd (blocking up to timeout_s); caller frees. */
char *nw_test_read_line(int fd, int timeout_s);
/* Start `newswire broker` (the embedded Kafka broker) with the extra
 * arguments (NULL-terminated, may be NULL) and wait for its bootstrap line.
 * The broker dies with the test process even when Criterion kills it on a
 * timeout (an orphan would hold the test's stdout). Returns the pid and the
 * bootstrap servers in *bootstrap (caller frees), or -1 with *bootstrap NULL. */
pid_t nw_test_start_broker(const char *const extra_args[], char **bootstrap);

/* GET `path` from 127.0.0.1:port over HTTP/1.0; the whole response (status
 * line first), malloc'd, or NULL when the connection failed. */
char *nw_test_http_get(int port, const char *path);
/* The same GET split: the status (0 when the connection failed) and the
 * body after the headers into *body (malloc'd, "" when there is none). */
int nw_test_http_status(int port, const char *path, char **body);
/* The port a service logged as "http_port=N" in the log file at `logpath`,
 * waiting up to timeout_s for the line; 0 when it never came. */
int nw_test_logged_http_port(const char *logpath, int timeout_s);

/* The wall clock in ms since the epoch. */
int64_t nw_test_wall_ms(void);
/* A small ninjs story: uri, pubStatus `status`, version "<version>", a
 * headline, and embargoedUntil (RFC 3339 UTC, ms) when until_ms is not 0.
 * Caller frees. */
char *nw_test_story_version(const char *uri, const char *status, int version, int64_t until_ms);

/* SIGTERM, wait up to timeout_s, then SIGKILL. Returns the wait status. */
int nw_test_stop(pid_t pid, int timeout_s);
/* Teardown of a child: nw_test_stop (with SIGKILL right away when
 * timeout_s is 0) when *pid > 0, then *pid = -1. */
void nw_test_end_child(pid_t *pid, int timeout_s);

/* Seconds on the monotonic clock; sleep ms milliseconds (whole, even when
 * a signal interrupts). */
double nw_test_now_s(void);
void nw_test_sleep_ms(long ms);

/* Wait up to timeout_s for pid to exit, then SIGKILL it. Returns its exit
 * status (0..255), 128+signal when a signal ended it, -1 when it had to be
 * killed at the timeout. nw_test_term: SIGTERM first. */
int nw_test_exit_within(pid_t pid, int timeout_s);
int nw_test_term(pid_t pid, int timeout_s);

/* Flags of nw_test_start_logged. */
enum {
    NW_TEST_LOG_TRUNCATE = 1, /* empty the log first (else appended to) */
    NW_TEST_LOG_STDOUT = 2,   /* stdout goes to the log too */
    NW_TEST_DIE_WITH_TEST = 4 /* SIGKILL when the test process ends */
};
/* Start the project's binary `rel` (as for nw_test_bin_path, e.g.
 * "consumers/newswire-consumer") with args (NULL-terminated, after argv[0])
 * in the background, its stderr appended to logpath; env: "NAME=value"
 * strings (NULL-terminated, may be NULL) added to its environment. Returns
 * the pid, or -1. */
pid_t nw_test_start_logged(const char *rel, const char *const args[], const char *logpath,
                           int flags, const char *const env[]);

/* Write data to dir/name the way a careful writer does: as dir/.name.part,
 * then renamed. Returns 0, or -1 with errno set. */
int nw_test_write_atomic(const char *dir, const char *name, const void *data, size_t len);

/* A producer test's spool: a new temporary directory `dir` holding spool/
 * (path of the spool, with incoming/) and the paths of the producer's
 * config and log; the producer started on it, if any. */
typedef struct nw_test_spool {
    char *dir;
    char spool[1024], incoming[1100], config[1100], log[1100];
    pid_t producer; /* -1: none running */
} nw_test_spool;

/* Make the directory (tag as for nw_test_mkdtemp) and the paths; with
 * make_dirs, spool/ and spool/incoming/ are created too. Returns 0 or -1. */
int nw_test_spool_init(nw_test_spool *sp, const char *tag, bool make_dirs);
/* The usual config of one spool "wire" (category General) on `bootstrap`:
 * http on a free port, shutdown_timeout 20s, the format, settle_time and
 * scan_interval given, then `extra` (top-level YAML lines, may be NULL).
 * Written to sp->config; returns 0 or -1. */
int nw_test_spool_config(nw_test_spool *sp, const char *bootstrap, const char *format,
                         const char *settle, const char *scan, const char *extra);
/* Start newswire-producer --config sp->config (flags and env as for
 * nw_test_start_logged, the log is sp->log); the pid (kept in
 * sp->producer) or -1. */
pid_t nw_test_spool_start(nw_test_spool *sp, int flags, const char *const env[]);
/* SIGTERM the producer and wait up to timeout_s (nw_test_term). */
int nw_test_spool_stop(nw_test_spool *sp, int timeout_s);
/* SIGKILL a producer still running, remove the directory. */
void nw_test_spool_cleanup(nw_test_spool *sp);

#endif
