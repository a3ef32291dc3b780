/*
 * nw_testutil — test helpers: dataset and fixture paths, files, temp dirs,
 * child processes with captured output and timeouts. See nw_testutil.h.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include "nw_testutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

const char *nw_test_shared_dir(void)
{
    const char *dir = getenv("NW_SHARED_DIR");
    if (!dir || !*dir)
        dir = "../shared";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

char *nw_test_shared_path(const char *rel)
{
    const char *dir = nw_test_shared_dir();
    return dir ? join(dir, rel) : NULL;
}

char *nw_test_fixture_path(const char *rel)
{
    const char *dir = getenv("NW_FIXTURES_DIR");
    return join(dir && *dir ? dir : "tests/fixtures", rel);
}

char *nw_test_bin_path(const char *rel)
{
    const char *dir = getenv("NW_BIN_DIR");
    return join(dir && *dir ? dir : ".", rel);
}

char *nw_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int nw_test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(data, 1, len, f);
    int rc = fclose(f);
    return put == len && rc == 0 ? 0 : -1;
}

char *nw_test_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char templ[4096];
    snprintf(templ, sizeof templ, "%s/nwtest-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(templ))
        return NULL;
    return strdup(templ);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void nw_test_rm_rf(const char *path)
{
    if (path)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Append what is readable on fd to a growing buffer; returns bytes read, 0 on EOF. */
long nw_test_walk(const char *dir, size_t max_size, nw_test_file_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = join(dir, e->d_name);
        struct stat st;
        if (path && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                long sub = nw_test_walk(path, max_size, fn, ctx);
                files += sub > 0 ? sub : 0;
            } else if (S_ISREG(st.st_mode) && (!max_size || (size_t)st.st_size <= max_size)) {
                fn(path, (size_t)st.st_size, ctx);
                files++;
            }
        }
        free(path);
    }
    closedir(d);
    return files;
}

static ssize_t drain(int fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[8192];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got <= 0)
        return got;
    if (*len + (size_t)got + 1 > *cap) {
        size_t ncap = (*cap + (size_t)got + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, chunk, (size_t)got);
    *len += (size_t)got;
    (*buf)[*len] = '\0';
    return got;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int nw_test_run(char *const argv[], const char *input, int timeout_s, char **out, char **errout)
{
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t in_len = input ? strlen(input) : 0, in_off = 0;
    int in_fd = in_pipe[1];
    if (in_len == 0) {
        close(in_fd);
        in_fd = -1;
    } else {
        fcntl(in_fd, F_SETFL, O_NONBLOCK);
    }
    char *obuf = calloc(1, 1), *ebuf = calloc(1, 1);
    size_t olen = 0, ocap = 1, elen = 0, ecap = 1;
    int open_fds = 2;
    double deadline = now_s() + timeout_s;
    int killed = 0;
    while (open_fds > 0) {
        struct pollfd p[3] = {
            {out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0) {
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        if (poll(p, in_fd >= 0 ? 3 : 2, left_ms) < 0 && errno != EINTR)
            break;
        if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_fd, input + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if (w < 0 || in_off == in_len) {
                close(in_fd);
                in_fd = -1;
            }
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t got = i == 0 ? drain(p[i].fd, &obuf, &olen, &ocap)
                                     : drain(p[i].fd, &ebuf, &elen, &ecap);
                if (got <= 0) {
                    close(p[i].fd);
                    if (i == 0)
                        out_pipe[0] = -1;
                    else
                        err_pipe[0] = -1;
                    open_fds--;
                }
            }
        }
    }
    if (in_fd >= 0)
        close(in_fd);
    if (out_pipe[0] >= 0)
        close(out_pipe[0]);
    if (err_pipe[0] >= 0)
        close(err_pipe[0]);
    int status = 0;
    /* the child may linger after closing its pipes: honour the deadline */
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            killed = 1;
            waitpid(pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    if (out)
        *out = obuf;
    else
        free(obuf);
    if (errout)
        *errout = ebuf;
    else
        free(ebuf);
    if (killed || WIFSIGNALED(status))
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL);
    return WEXITSTATUS(status);
}

pid_t nw_test_spawn(char *const argv[], int *stdout_fd)
{
    int p[2] = {-1, -1};
    if (stdout_fd && pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (stdout_fd) {
            dup2(p[1], 1);
            close(p[0]);
            close(p[1]);
        }
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (stdout_fd) {
        close(p[1]);
        *stdout_fd = p[0];
    }
    return pid;
}

char *nw_test_read_line(int fd, int timeout_s)
{
    size_t cap = 256, len = 0;
    char *line = malloc(cap);
    double deadline = now_s() + timeout_s;
    while (line) {
        struct pollfd p = {fd, POLLIN, 0};
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0)
            break;
        char c;
        if (read(fd, &c, 1) != 1)
            break;
        if (c == '\n') {
            line[len] = '\0';
            return line;
        }
        if (len + 2 > cap) {
            char *nl = realloc(line, cap * 2);
            if (!nl)
                break;
            line = nl;
            cap *= 2;
        }
        line[len++] = c;
    }
    free(line);
    return NULL;
}

int nw_test_stop(pid_t pid, int timeout_s)
{
    int status = 0;
    kill(pid, SIGTERM);
    double deadline = now_s() + timeout_s;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(20000);
    }
    return status;
}

pid_t nw_test_start_broker(const char *const extra_args[], char **bootstrap)
{
    *bootstrap = NULL;
    char *bin = nw_test_bin_path("producers/newswire");
    const char *argv[64] = {bin, "broker"};
    size_t n = 2;
    for (size_t i = 0; extra_args && extra_args[i] && n < 63; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    int p[2];
    if (!bin || pipe(p) != 0) {
        free(bin);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    free(bin);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    char *line = nw_test_read_line(p[0], 20);
    close(p[0]); /* the broker logs to stderr; stdout carried only this line */
    if (!line || strncmp(line, "bootstrap=", 10) != 0) {
        free(line);
        nw_test_stop(pid, 5);
        return -1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    *bootstrap = strdup(line + 10);
    free(line);
    return pid;
}

char *nw_test_http_get(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while (buf && (r = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (len + 1 >= cap) {
            char *g = realloc(buf, cap *= 2);
            if (!g)
                free(buf);
            buf = g;
        }
    }
    if (buf)
        buf[len] = '\0';
    close(fd);
    return buf;
}

int nw_test_logged_http_port(const char *logpath, int timeout_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    time_t end = ts.tv_sec + timeout_s;
    for (;;) {
        char *log = nw_test_read_file(logpath, NULL);
        const char *p = log ? strstr(log, "http_port=") : NULL;
        int port = p ? atoi(p + 10) : 0;
        free(log);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (port > 0 || ts.tv_sec > end)
            return port;
        usleep(50000);
    }
}

int64_t nw_test_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *nw_test_story_version(const char *uri, const char *status, int version, int64_t until_ms)
{
    char until[64] = "";
    if (until_ms) {
        time_t t = (time_t)(until_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(until, sizeof until, ",\"embargoedUntil\":\"%s.%03dZ\"", stamp,
                 (int)(until_ms % 1000));
    }
    char *buf = malloc(512);
    if (buf)
        snprintf(buf, 512,
                 "{\"uri\":\"%s\",\"type\":\"text\",\"pubStatus\":\"%s\",\"version\":\"%d\"%s,"
                 "\"headlines\":[{\"value\":\"Headline of %s v%d\"}]}",
                 uri, status, version, until, uri, version);
    return buf;
}

double nw_test_now_s(void)
{
    return now_s();
}

void nw_test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int nw_test_exit_within(pid_t pid, int timeout_s)
{
    int status = 0;
    double end = now_s() + timeout_s;
    while (now_s() < end) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

int nw_test_term(pid_t pid, int timeout_s)
{
    kill(pid, SIGTERM);
    return nw_test_exit_within(pid, timeout_s);
}

pid_t nw_test_start_logged(const char *rel, const char *const args[], const char *logpath,
                           int flags, const char *const env[])
{
    char *bin = nw_test_bin_path(rel);
    if (!bin)
        return -1;
    const char *argv[64] = {bin};
    size_t n = 1;
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (flags & NW_TEST_LOG_TRUNCATE) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            close(fd);
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (flags & NW_TEST_DIE_WITH_TEST)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            if (flags & NW_TEST_LOG_STDOUT)
                dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    free(bin);
    return pid;
}

int nw_test_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char part[4096], final[4096];
    snprintf(part, sizeof part, "%s/.%s.part", dir, name);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    if (nw_test_write_file(part, data, len) != 0)
        return -1;
    return rename(part, final);
}

int nw_test_spool_init(nw_test_spool *sp, const char *tag, bool make_dirs)
{
    memset(sp, 0, sizeof *sp);
    sp->producer = -1;
    if (!(sp->dir = nw_test_mkdtemp(tag)))
        return -1;
    snprintf(sp->spool, sizeof sp->spool, "%s/spool", sp->dir);
    snprintf(sp->incoming, sizeof sp->incoming, "%s/incoming", sp->spool);
    snprintf(sp->config, sizeof sp->config, "%s/producer.yaml", sp->dir);
    snprintf(sp->log, sizeof sp->log, "%s/producer.log", sp->dir);
    if (make_dirs && (mkdir(sp->spool, 0755) != 0 || mkdir(sp->incoming, 0755) != 0))
        return -1;
    return 0;
}

int nw_test_spool_config(nw_test_spool *sp, const char *bootstrap, const char *format,
                         const char *settle, const char *scan, const char *extra)
{
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "kafka:\n  bootstrap.servers: \"%s\"\n"
                     "http: {listen: \"127.0.0.1:0\"}\n"
                     "shutdown_timeout: 20s\n"
                     "spools:\n"
                     "  - name: wire\n    path: %s\n    format: %s\n    category: General\n"
                     "    settle_time: %s\n    scan_interval: %s\n"
                     "%s",
                     bootstrap, sp->spool, format, settle, scan, extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof text)
        return -1;
    return nw_test_write_file(sp->config, text, (size_t)n);
}

pid_t nw_test_spool_start(nw_test_spool *sp, int flags, const char *const env[])
{
    const char *args[] = {"--config", sp->config, NULL};
    sp->producer = nw_test_start_logged("producers/newswire-producer", args, sp->log, flags, env);
    return sp->producer;
}

int nw_test_spool_stop(nw_test_spool *sp, int timeout_s)
{
    int rc = nw_test_term(sp->producer, timeout_s);
    sp->producer = -1;
    return rc;
}

void nw_test_spool_cleanup(nw_test_spool *sp)
{
    if (sp->producer > 0) {
        kill(sp->producer, SIGKILL);
        waitpid(sp->producer, NULL, 0);
    }
    sp->producer = -1;
    if (sp->dir)
        nw_test_rm_rf(sp->dir);
    free(sp->dir);
    sp->dir = NULL;
}

void nw_test_rm_tmp(char **dir)
{
    if (*dir)
        nw_test_rm_rf(*dir);
    free(*dir);
    *dir = NULL;
}

void nw_test_collect_warning(void *ctx, const char *msg)
{
    nw_test_warnings *w = ctx;
    w->count++;
    snprintf(w->last, sizeof w->last, "%s", msg);
    size_t n = strlen(w->all);
    if (n + strlen(msg) + 2 < sizeof w->all)
        snprintf(w->all + n, sizeof w->all - n, "%s\n", msg);
}

char *nw_test_write_in(const char *dir, const char *name, const char *text)
{
    char *path = join(dir, name);
    if (path && nw_test_write_file(path, text, strlen(text)) != 0) {
        free(path);
        path = NULL;
    }
    return path;
}

void nw_test_end_child(pid_t *pid, int timeout_s)
{
    if (*pid > 0 && timeout_s > 0) {
        nw_test_stop(*pid, timeout_s);
    } else if (*pid > 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = -1;
}

int nw_test_http_status(int port, const char *path, char **body)
{
    char *resp = nw_test_http_get(port, path);
    int status = 0;
    if (resp)
        sscanf(resp, "HTTP/1.%*d %d", &status);
    const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
    *body = strdup(b ? b + 4 : "");
    free(resp);
    return status;
}

int nw_test_count_lines(const char *path)
{
    char *t = nw_test_read_file(path, NULL);
    int n = 0;
    for (char *p = t; p && *p; p++)
        n += *p == '\n';
    free(t);
    return n;
}

nw_test_cli nw_test_newswire(const char *input, int timeout_s, const char *const lead[],
                             const char *first, va_list rest)
{
    char *bin = nw_test_bin_path("producers/newswire");
    char *argv[40] = {bin};
    int argc = 1;
    for (; lead && *lead && argc < 39; lead++)
        argv[argc++] = (char *)*lead;
    for (const char *a = first; a && argc < 39; a = va_arg(rest, const char *))
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    nw_test_cli r = {0};
    r.status = nw_test_run(argv, input, timeout_s, &r.out, &r.err);
    cr_assert_neq(r.status, -1, "cannot run %s", bin);
    cr_assert_neq(r.status, 127, "exec failed: %s", r.err ? r.err : "");
    free(bin);
    return r;
}

void nw_test_cli_free(nw_test_cli *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
