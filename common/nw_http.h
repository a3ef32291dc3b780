/*
 * nw_http — the services' small HTTP endpoint (libmicrohttpd, one internal
 * thread): GET /metrics (Prometheus text format from an nw_metrics registry),
 * GET /healthz (the process is alive: always 200 while it serves) and
 * GET /readyz (200 when the service's readiness callback says so, else 503
 * with the reason). Anything else is 404; methods other than GET/HEAD 405.
 * Binds 127.0.0.1 by default: exposing it is an operator's explicit choice.
 *
 * Connections: up to NW_HTTP_MAX_CONNECTIONS at once, and a connection idle
 * for NW_HTTP_IDLE_TIMEOUT_S seconds is closed, so clients that connect and
 * send nothing (or keep a connection open between scrapes) cannot keep
 * /healthz from answering for long.
 *
 * Ownership: the server borrows the registry and the callback context; both
 * must outlive nw_http_stop().
 */
#ifndef NW_HTTP_H
#define NW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"
#include "nw_metrics.h"

/* Connections served at once, and seconds of inactivity before one is closed. */
#define NW_HTTP_MAX_CONNECTIONS 512
#define NW_HTTP_IDLE_TIMEOUT_S  2

/* Readiness: return true when ready; otherwise write why into reason. Called
 * from the server thread; must be thread-safe and quick. */
typedef bool (*nw_http_ready_fn)(void *ctx, char *reason, size_t reason_len);

typedef struct nw_http nw_http;

/* Listen on "HOST:PORT" (IPv4 literal or "localhost"; port 0 picks a free one).
 * `ready` may be NULL (always ready). Returns NULL with err set on failure
 * (a bad address, or the address in use or not permitted). */
nw_http *nw_http_start(const char *listen, nw_metrics *metrics, nw_http_ready_fn ready,
                       void *ready_ctx, nw_err *err);
/* 0 when `listen` is an address nw_http_start accepts (the form only: it
 * binds nothing), else NW_EINVAL saying what is wrong ("bad port"). */
int nw_http_check_listen(const char *listen, nw_err *err);
/* The port actually bound (useful with port 0). */
int nw_http_port(const nw_http *http);
/* Stop serving and free. NULL is accepted. */
void nw_http_stop(nw_http *http);

#endif
