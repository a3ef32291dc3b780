/*
 * test_http_lazy — nw_http loads libmicrohttpd at the first connection, not
 * at start: a start and stop with no client never loads it (nor does a port
 * conflict, which still fails the start); the first request and the next are
 * served; a stop while a client is connecting (the library loading, the
 * daemon starting) returns, answers or drops the client, and leaves no
 * socket, eventfd or thread behind; a library that cannot be loaded
 * (NW_HTTP_MHD_SONAME naming a missing one) is one error naming it, the
 * endpoint closes and the process goes on. This binary does not link
 * libmicrohttpd, so dlopen(RTLD_NOLOAD) tells whether nw_http loaded it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nw_http.h"
#include "nw_metrics.h"
#include "nw_testutil.h"

static bool mhd_loaded(void)
{
    void *h = dlopen(NW_LIBMHD_SONAME, RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        dlclose(h); /* NOLOAD took a reference */
    return h != NULL;
}

/* What this process holds that a server could leak: sockets and eventfds
 * (open descriptors by kind), and threads. */
typedef struct held {
    int sockets, eventfds, threads;
} held;

static int count_entries(const char *dir, const char *link_prefix)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (!link_prefix) {
            n++;
            continue;
        }
        char path[300], target[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            n += !strncmp(target, link_prefix, strlen(link_prefix));
        }
    }
    closedir(d);
    return n;
}

static held now_held(void)
{
    return (held){count_entries("/proc/self/fd", "socket:"),
                  count_entries("/proc/self/fd", "anon_inode:[eventfd]"),
                  count_entries("/proc/self/task", NULL)};
}

/* Everything a server took is given back (a joined thread may linger in
 * /proc for a moment: wait up to 2 s). */
static void assert_released(held before)
{
    held now = now_held();
    for (int i = 0; i < 200 && now.threads != before.threads; i++) {
        usleep(10000);
        now = now_held();
    }
    cr_assert_eq(now.sockets, before.sockets, "sockets %d -> %d", before.sockets, now.sockets);
    cr_assert_eq(now.eventfds, before.eventfds, "eventfds %d -> %d", before.eventfds, now.eventfds);
    cr_assert_eq(now.threads, before.threads, "threads %d -> %d", before.threads, now.threads);
}

/* A TCP connection to 127.0.0.1:port, or -1 with errno set. */
static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* Read until the peer closes or resets (at most 10 s: a hang fails the
 * test). Returns the bytes read into buf (NUL-terminated). */
static size_t read_to_close(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        cr_assert_eq(poll(&p, 1, 10000), 1, "the server neither answered nor closed");
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r <= 0 || (len += (size_t)r) == cap - 1)
            break;
    }
    buf[len] = '\0';
    return len;
}

/* GET path over a fresh connection: the status code, the response in buf. */
static int get(int port, const char *path, char *buf, size_t cap)
{
    int fd = connect_to(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    dprintf(fd, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    read_to_close(fd, buf, cap);
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    return status;
}

Test(http_lazy, start_and_stop_without_a_client_load_nothing)
{
    cr_assert(!mhd_loaded(), "libmicrohttpd is linked in: nothing should link it any more");
    held before = now_held();
    for (int i = 0; i < 20; i++) {
        nw_err err = {0};
        nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
        cr_assert_not_null(http, "%s", err.msg);
        int port = nw_http_port(http);
        cr_assert_gt(port, 0);
        if (i == 0) {
            /* the port is taken at start, before any library is loaded */
            char addr[32];
            snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
            cr_assert_null(nw_http_start(addr, NULL, NULL, NULL, &err));
            cr_assert(strstr(err.msg, "cannot listen on") && strstr(err.msg, "in use"), "%s",
                      err.msg);
        }
        nw_http_stop(http);
    }
    cr_assert(!mhd_loaded());
    assert_released(before);
}

/* Readiness from a flag the test owns (ctx; read on the server's thread). */
static bool flag_ready(void *ctx, char *reason, size_t len)
{
    bool ready = atomic_load((atomic_bool *)ctx);
    if (!ready)
        snprintf(reason, len, "warming up");
    return ready;
}

Test(http_lazy, the_first_request_and_the_next_are_served)
{
    held before = now_held();
    nw_metrics *m = nw_metrics_new();
    nw_counter_add(nw_metrics_counter(m, "nw_lazy_total", "lazy", NULL), 7);
    nw_err err = {0};
    atomic_bool ready = false;
    nw_http *http = nw_http_start("127.0.0.1:0", m, flag_ready, &ready, &err);
    cr_assert_not_null(http, "%s", err.msg);
    int port = nw_http_port(http);
    cr_assert(!mhd_loaded(), "loaded before any client came");

    char buf[8192];
    cr_assert_eq(get(port, "/metrics", buf, sizeof buf), 200, "%s", buf);
    cr_assert(strstr(buf, "nw_lazy_total 7\n"), "%s", buf);
    cr_assert(mhd_loaded());
    cr_assert_eq(get(port, "/readyz", buf, sizeof buf), 503, "%s", buf);
    cr_assert(strstr(buf, "not ready: warming up"), "%s", buf);
    atomic_store(&ready, true);
    cr_assert_eq(get(port, "/readyz", buf, sizeof buf), 200, "%s", buf);
    cr_assert_eq(get(port, "/healthz", buf, sizeof buf), 200, "%s", buf);
    cr_assert_eq(nw_http_port(http), port);
    nw_http_stop(http);
    nw_metrics_free(m);
    cr_assert_eq(connect_to(port), -1, "still listening after stop");
    cr_assert_eq(errno, ECONNREFUSED);

    /* a second server in the same process: the library is already there */
    http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    cr_assert_eq(get(nw_http_port(http), "/healthz", buf, sizeof buf), 200, "%s", buf);
    nw_http_stop(http);
    assert_released(before);
}

/* Connect (and send a request unless `silent`), wait `delay_us`, stop: the
 * client is answered or dropped, never left hanging. */
static void stop_while_connecting(int delay_us, bool silent)
{
    nw_err err = {0};
    nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    int port = nw_http_port(http);
    int fd = connect_to(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    if (!silent)
        dprintf(fd, "GET /healthz HTTP/1.0\r\n\r\n");
    if (delay_us)
        usleep((useconds_t)delay_us);
    nw_http_stop(http);
    char buf[4096];
    if (read_to_close(fd, buf, sizeof buf))
        cr_assert(!strncmp(buf, "HTTP/1.", 7), "%s", buf); /* a whole answer, if any */
    close(fd);
    cr_assert_eq(connect_to(port), -1, "still listening after stop");
}

/* Has the waiter thread ("nw-http-wait") left poll(2)? True once its
 * current system call (/proc/.../syscall) is another one (it is loading the
 * library or starting the daemon) or once it is gone. */
static bool waiter_woke(void)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert_not_null(d);
    bool woke = true;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[300], text[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool waiter = fgets(text, sizeof text, f) && !strcmp(text, "nw-http-wait\n");
        fclose(f);
        if (!waiter)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        if ((f = fopen(path, "r"))) {
            /* "running" when not blocked in a system call: that is also a
             * waiter woken but still inside poll, which may yet see the stop
             * request, so only another system call (dlopen's openat, mmap,
             * read...) counts */
            long nr = -1;
            woke = fscanf(f, "%ld", &nr) == 1 && nr != SYS_poll && nr != SYS_ppoll;
            fclose(f);
        }
    }
    closedir(d);
    return woke;
}

Test(http_lazy, stop_while_the_library_loads)
{
    held before = now_held();
    nw_err err = {0};
    nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    int port = nw_http_port(http);
    for (int i = 0; i < 5000 && waiter_woke(); i++)
        usleep(1000); /* until the new waiter is in poll */
    int fd = connect_to(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    dprintf(fd, "GET /healthz HTTP/1.0\r\n\r\n");
    /* stop as soon as the waiter has left poll: it is inside dlopen (which
     * takes milliseconds: libmicrohttpd pulls in a TLS stack) */
    bool woke = false;
    for (int i = 0; i < 500000 && !woke; i++)
        woke = waiter_woke();
    cr_assert(woke, "the waiter never woke up");
    nw_http_stop(http);
    cr_assert(mhd_loaded(), "the load in progress completes before the stop returns");
    char buf[4096];
    if (read_to_close(fd, buf, sizeof buf))
        cr_assert(!strncmp(buf, "HTTP/1.", 7), "%s", buf);
    close(fd);
    cr_assert_eq(connect_to(port), -1, "still listening after stop");
    assert_released(before);
}

Test(http_lazy, stop_while_clients_connect)
{
    held before = now_held();
    static const int delays_us[] = {0, 0, 100, 1000, 5000, 20000};
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof delays_us / sizeof delays_us[0]; i++)
            stop_while_connecting(delays_us[i], i % 2 == 1);
    assert_released(before);
}

Test(http_lazy, a_missing_library_is_logged_and_the_service_goes_on)
{
    setenv("NW_HTTP_MHD_SONAME", "libnw-test-no-such-microhttpd.so.12", 1);
    char *dir = nw_test_mkdtemp("http-lazy");
    char log_path[512];
    snprintf(log_path, sizeof log_path, "%s/stderr.log", dir);
    cr_assert_not_null(freopen(log_path, "w", stderr)); /* nw_log writes to fd 2 */
    held before = now_held();

    nw_err err = {0};
    nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "the start binds only: %s", err.msg);
    int port = nw_http_port(http);
    cr_assert_gt(port, 0);
    int fd = connect_to(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    dprintf(fd, "GET /metrics HTTP/1.0\r\n\r\n");
    char buf[4096];
    cr_assert_eq(read_to_close(fd, buf, sizeof buf), 0, "no answer expected: %s", buf);
    close(fd);
    /* the endpoint is closed now: clients are refused */
    cr_assert_eq(connect_to(port), -1);
    cr_assert_eq(errno, ECONNREFUSED);

    /* the process goes on: the server is still there to stop, and another
     * one can start (its first client is refused the same way) */
    cr_assert_eq(nw_http_port(http), port);
    nw_http_stop(http);
    http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    nw_http_stop(http);
    cr_assert(!mhd_loaded());
    assert_released(before);

    fflush(stderr);
    char *log = nw_test_read_file(log_path, NULL);
    cr_assert_not_null(log);
    const char *line = strstr(log, "level=error");
    cr_assert_not_null(line, "log: %s", log);
    cr_assert(strstr(line, "libnw-test-no-such-microhttpd.so.12"), "log: %s", log);
    cr_assert_null(strstr(line + 1, "level=error"), "one error only: %s", log);
    free(log);
    nw_test_rm_rf(dir);
    free(dir);
}
