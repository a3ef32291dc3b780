/*
 * nw_http — the services' small HTTP endpoint (libmicrohttpd, one internal
 * thread): GET /metrics (Prometheus text format from an nw_metrics registry),
 * GET /healthz (the process is alive: always 200 while it serves) and
 * GET /readyz (200 when the service's readiness callback says so, else 503
 * with the reason). Anything else is 404; methods other than GET/HEAD 405.
 * Binds 127.0.0.1 by default: exposing it is an operator's explicit choice.
 *
 * libmicrohttpd is not linked: nw_http_start binds and listens itself (a port
 * conflict fails the start; the port is known at once), and a small thread
 * waits for the first client, then loads the library with dlopen() and hands
 * it the listening socket. A process that never gets a scrape never loads it
 * (nor the TLS stack it pulls in). When it cannot be loaded, one error naming
 * the soname is logged and the socket is closed (clients are refused): the
 * service itself goes on.
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

/* The library loaded at the first connection (package libmicrohttpd12 on
 * Debian). NW_HTTP_MHD_SONAME in the environment, when set and not empty,
 * names another one (tests use it to simulate a missing library). */
#define NW_LIBMHD_SONAME "libmicrohttpd.so.12"

/* Readiness: return true when ready; otherwise write why into reason. Called
 * from the server thread; must be thread-safe and quick. */
typedef bool (*nw_http_ready_fn)(void *ctx, char *reason, size_t reason_len);

typedef struct nw_http nw_http;

/* Listen on "HOST:PORT" (IPv4 literal or "localhost"; port 0 picks a free one).
 * `ready` may be NULL (always ready). Returns NULL with err set on failure
 * (a bad address, or the address in use or not permitted). */
nw_http *nw_http_start(const char *listen, nw_metrics *metrics, nw_http_ready_fn ready,
                       void *ready_ctx, nw_err *err);
/* The port actually bound (useful with port 0). */
int nw_http_port(const nw_http *http);
/* Stop serving and free, whatever the state (no client yet, the library
 * loading, serving, or the load failed). NULL is accepted. */
void nw_http_stop(nw_http *http);

#endif
