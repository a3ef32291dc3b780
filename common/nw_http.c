/*
 * nw_http — /metrics, /healthz and /readyz over libmicrohttpd. See nw_http.h.
 *
 * Life of a server: nw_http_start binds and listens on a non-blocking socket
 * and starts the waiter thread, which polls that socket and an eventfd. The
 * first client makes the socket readable: the waiter loads libmicrohttpd
 * (once per process: load_mhd fills `mhd`), starts the daemon on the socket
 * (MHD_OPTION_LISTEN_SOCKET; the client waiting in the backlog is accepted by
 * it) and ends. nw_http_stop writes the eventfd (a waiter still polling
 * returns without loading anything), joins the waiter (one that is loading
 * finishes first), then stops the daemon if there is one. Only the waiter
 * touches `daemon` and `listen_fd` until it is joined, so the state needs no
 * lock. The socket is closed exactly once: by the waiter when the load fails,
 * by MHD_stop_daemon when the daemon owns it, else by nw_http_stop.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "nw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_dl.h"
#include "nw_log.h"

#define MOD "http"

/* ------------------------------------------------------------ the library */

/* The libmicrohttpd functions this module calls, one list for two uses:
 * `mhd` has a pointer per function (mhd.stop_daemon for MHD_stop_daemon)
 * with the type of microhttpd.h's declaration, and load_mhd's nw_dl table
 * fills them (NW_DL_SYM asserts each type at compile time). */
/* clang-format off */
#define MHD_FUNCTIONS(X)                                                                           \
    X(start_daemon) X(stop_daemon) X(create_response_from_buffer) X(add_response_header)           \
    X(queue_response) X(destroy_response)
/* clang-format on */
#define MHD_POINTER(name) __typeof__(&MHD_##name) name;
static struct {
    MHD_FUNCTIONS(MHD_POINTER)
} mhd;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static nw_err load_err; /* code != 0 when the library could not be loaded */

/* dlopen libmicrohttpd (NW_LIBMHD_SONAME, or NW_HTTP_MHD_SONAME when set)
 * and fill `mhd`; the handle stays open for the process's life. */
static void load_mhd(void)
{
    const char *soname = getenv("NW_HTTP_MHD_SONAME");
    if (!soname || !*soname)
        soname = NW_LIBMHD_SONAME;
#define MHD_SYM(name) NW_DL_SYM(mhd.name, MHD_##name),
    const nw_dl_sym syms[] = {MHD_FUNCTIONS(MHD_SYM)};
#undef MHD_SYM
    nw_dl_open(soname, syms, sizeof syms / sizeof syms[0], &load_err);
}

/* -------------------------------------------------------------- requests */

struct nw_http {
    nw_metrics *metrics;
    nw_http_ready_fn ready;
    void *ready_ctx;
    int port;
    char listen[64]; /* as configured, for messages */
    int wake_fd;     /* eventfd: nw_http_stop wakes the waiter */
    pthread_t waiter;
    bool waiter_started;
    /* owned by the waiter until nw_http_stop joins it: */
    int listen_fd;             /* ours until closed or handed to the daemon; then -1 */
    struct MHD_Daemon *daemon; /* NULL until the first client */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body /* malloc'd, taken */)
{
    struct MHD_Response *r =
        mhd.create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    mhd.add_response_header(r, "Content-Type", type);
    mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = mhd.queue_response(conn, status, r);
    mhd.destroy_response(r);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    char *body = strdup(text);
    return body ? reply(conn, status, "text/plain; charset=utf-8", body) : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    nw_http *http = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");

    if (!strcmp(url, "/metrics")) {
        nw_buf out = NW_BUF_INIT;
        if (http->metrics)
            nw_metrics_render(http->metrics, &out);
        char *body = nw_buf_take(&out);
        if (!body)
            return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body);
    }
    if (!strcmp(url, "/healthz"))
        return reply_text(conn, MHD_HTTP_OK, "ok\n");
    if (!strcmp(url, "/readyz")) {
        char reason[256] = "not ready";
        if (!http->ready || http->ready(http->ready_ctx, reason, sizeof reason))
            return reply_text(conn, MHD_HTTP_OK, "ready\n");
        char msg[300];
        snprintf(msg, sizeof msg, "not ready: %s\n", reason);
        return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz, /readyz\n");
}

/* "127.0.0.1:9101" -> sockaddr; "localhost" means 127.0.0.1. */
static int parse_listen(const char *listen, struct sockaddr_in *sa, nw_err *err)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon)
        return nw_err_set(err, NW_EINVAL, "listen address '%s': expected HOST:PORT",
                          listen ? listen : "");
    char host[64];
    size_t hlen = (size_t)(colon - listen);
    if (hlen == 0 || hlen >= sizeof host)
        return nw_err_set(err, NW_EINVAL, "listen address '%s': bad host", listen);
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return nw_err_set(err, NW_EINVAL, "listen address '%s': bad port", listen);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return nw_err_set(err, NW_EINVAL,
                          "listen address '%s': host must be an IPv4 address or localhost", listen);
    return 0;
}

/* ---------------------------------------------------- the first connection */

/* Is `fd` still open on the socket whose status is `st`? (After a failed
 * MHD_start_daemon, which may or may not have closed the descriptor it was
 * given: while the caller holds `st`'s socket open through another
 * descriptor, no other object can have its device and inode.) */
static bool same_socket(int fd, const struct stat *st)
{
    struct stat now;
    return fstat(fd, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* A client is waiting: load the library and start the daemon on the
 * listening socket. On failure, log and close the socket (clients are then
 * refused). Leaves listen_fd -1 either way. */
static void serve(nw_http *http)
{
    pthread_once(&load_once, load_mhd);
    if (load_err.code) {
        nw_log_error(MOD,
                     "cannot serve /metrics, /healthz, /readyz: %s (install libmicrohttpd12); "
                     "closing the endpoint, the service goes on listen=%s port=%d",
                     load_err.msg, http->listen, http->port);
        goto done;
    }
    /* the daemon gets a duplicate: its start may fail having closed the
     * descriptor or not, and the original tells which */
    struct stat st;
    int fd = fstat(http->listen_fd, &st) == 0 ? fcntl(http->listen_fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0) {
        nw_log_error(MOD, "cannot serve /metrics: dup: %s listen=%s", strerror(errno),
                     http->listen);
        goto done;
    }
    /* with MHD_OPTION_LISTEN_SOCKET the port argument is ignored, the
     * internal polling thread serves the given socket as one it made, and
     * MHD_stop_daemon closes it. poll(2) rather than select(2): the
     * duplicate, and the clients' sockets, may be numbered above
     * FD_SETSIZE in a process with many files open */
    http->daemon = mhd.start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                                    handle, http, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!http->daemon) {
        if (same_socket(fd, &st))
            close(fd);
        nw_log_error(MOD, "cannot serve /metrics: libmicrohttpd did not start listen=%s",
                     http->listen);
        goto done;
    }
    nw_log_debug(MOD, "serving at the first connection listen=%s port=%d", http->listen,
                 http->port);
done:
    close(http->listen_fd);
    http->listen_fd = -1;
}

/* The waiter thread: poll until a client connects (serve) or nw_http_stop
 * writes the eventfd (nothing to do). */
static void *wait_first_client(void *arg)
{
    nw_http *http = arg;
    struct pollfd p[2] = {{.fd = http->wake_fd, .events = POLLIN},
                          {.fd = http->listen_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            nw_log_error(MOD, "cannot serve /metrics: poll: %s listen=%s", strerror(errno),
                         http->listen);
            close(http->listen_fd);
            http->listen_fd = -1;
            return NULL;
        }
        if (p[0].revents)
            return NULL; /* stopping: nw_http_stop closes the socket */
        if (p[1].revents)
            break;
    }
    serve(http);
    return NULL;
}

/* ------------------------------------------------------------- start, stop */

/* A non-blocking listening TCP socket on sa, or -1 with err set. */
static int listen_on(const struct sockaddr_in *sa, const char *addr, nw_err *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        nw_err_set(err, NW_EIO, "cannot listen on %s: socket: %s", addr, strerror(errno));
        return -1;
    }
    /* as libmicrohttpd did: a restart may bind while old connections linger
     * in TIME_WAIT (a second listener on the port is still refused) */
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 || listen(fd, SOMAXCONN) < 0) {
        nw_err_set(err, NW_EIO, "cannot listen on %s (address in use or not permitted): %s", addr,
                   strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

nw_http *nw_http_start(const char *listen, nw_metrics *metrics, nw_http_ready_fn ready,
                       void *ready_ctx, nw_err *err)
{
    struct sockaddr_in sa;
    if (parse_listen(listen, &sa, err))
        return NULL;
    nw_http *http = calloc(1, sizeof *http);
    if (!http) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    http->metrics = metrics;
    http->ready = ready;
    http->ready_ctx = ready_ctx;
    snprintf(http->listen, sizeof http->listen, "%s", listen);
    http->wake_fd = -1;
    if ((http->listen_fd = listen_on(&sa, listen, err)) < 0)
        goto fail;
    struct sockaddr_in bound;
    socklen_t blen = sizeof bound;
    if (getsockname(http->listen_fd, (struct sockaddr *)&bound, &blen) < 0) {
        nw_err_set(err, NW_EIO, "cannot listen on %s: getsockname: %s", listen, strerror(errno));
        goto fail;
    }
    http->port = ntohs(bound.sin_port);
    if ((http->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        nw_err_set(err, NW_EIO, "cannot serve HTTP: eventfd: %s", strerror(errno));
        goto fail;
    }
    /* the waiter and the daemon's thread (which inherits the mask) must never
     * take a signal meant for the process */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&http->waiter, NULL, wait_first_client, http);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        nw_err_set(err, NW_EIO, "cannot serve HTTP: cannot start a thread: %s", strerror(rc));
        goto fail;
    }
    http->waiter_started = true;
    pthread_setname_np(http->waiter, "nw-http-wait");
    return http;

fail:
    nw_http_stop(http);
    return NULL;
}

int nw_http_port(const nw_http *http)
{
    return http ? http->port : 0;
}

void nw_http_stop(nw_http *http)
{
    if (!http)
        return;
    if (http->waiter_started) {
        uint64_t one = 1;
        /* cannot fail short of a counter overflow, and one write suffices */
        if (write(http->wake_fd, &one, sizeof one) < 0)
            nw_log_warn(MOD, "eventfd write: %s", strerror(errno));
        pthread_join(http->waiter, NULL);
    }
    if (http->daemon)
        mhd.stop_daemon(http->daemon); /* closes the socket it was given */
    if (http->listen_fd >= 0)
        close(http->listen_fd);
    if (http->wake_fd >= 0)
        close(http->wake_fd);
    free(http);
}
