/*
 * nw_http — /metrics, /healthz and /readyz over libmicrohttpd. See nw_http.h.
 */
#include "nw_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nw_buf.h"

struct nw_http {
    struct MHD_Daemon *daemon;
    nw_metrics *metrics;
    nw_http_ready_fn ready;
    void *ready_ctx;
    int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body /* malloc'd, taken */)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
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

int nw_http_check_listen(const char *listen, nw_err *err)
{
    struct sockaddr_in sa;
    return parse_listen(listen, &sa, err);
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
    /* the daemon's thread inherits the signal mask: it must never take a
     * signal meant for the process. poll(2) rather than select(2): client
     * sockets may be numbered above FD_SETSIZE in a process with many files
     * open. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    http->daemon = MHD_start_daemon(
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL, handle,
        http, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)NW_HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)NW_HTTP_IDLE_TIMEOUT_S, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!http->daemon) {
        nw_err_set(err, NW_EIO, "cannot listen on %s (address in use or not permitted)", listen);
        free(http);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http->port = info ? info->port : ntohs(sa.sin_port);
    return http;
}

int nw_http_port(const nw_http *http)
{
    return http ? http->port : 0;
}

void nw_http_stop(nw_http *http)
{
    if (!http)
        return;
    MHD_stop_daemon(http->daemon);
    free(http);
}
