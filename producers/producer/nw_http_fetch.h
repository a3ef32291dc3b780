/*
 * nw_http_fetch — one non-blocking HTTP GET at a time, for a single-threaded
 * event loop: libcurl's multi interface with its sockets collected in one
 * epoll descriptor (nw_http_fetch_fd) that the loop polls, and curl's timer
 * exposed as a deadline (nw_http_fetch_wait_ms). Nothing here blocks, spawns
 * threads of its own (apart from curl's resolver) or touches signals.
 *
 * What a request gets: conditional GET (If-None-Match / If-Modified-Since),
 * connect and total timeouts, redirects followed up to a bound and only to
 * http/https, gzip/deflate/br accepted (whatever this libcurl can decode), a
 * response size limit applied to the DECODED body (a gzip bomb stops at the
 * limit), a User-Agent. The result carries the status, the body, the new
 * validators and the charset of Content-Type.
 */
#ifndef NW_HTTP_FETCH_H
#define NW_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_buf.h"
#include "nw_err.h"

typedef struct nw_fetch_req {
    const char *url;            /* http:// or https:// */
    const char *etag;           /* sent as If-None-Match; may be NULL */
    const char *last_modified;  /* sent as If-Modified-Since; may be NULL */
    const char *user_agent;     /* NULL = "newswire" */
    int64_t connect_timeout_ms; /* 0 = 10 s */
    int64_t timeout_ms;         /* whole transfer; 0 = 30 s */
    size_t max_bytes;           /* decoded body limit; 0 = 16 MiB */
    long max_redirects;         /* < 0 = 5 */
} nw_fetch_req;
/* Every field is copied by nw_http_fetch_start. */

/* Transport failures (the request got no complete HTTP answer). */
typedef enum nw_fetch_error {
    NW_FETCH_OK = 0,
    NW_FETCH_TIMEOUT,   /* connect or total timeout */
    NW_FETCH_TOO_LARGE, /* body over max_bytes */
    NW_FETCH_REDIRECTS, /* more than max_redirects, or to another protocol */
    NW_FETCH_NETWORK,   /* DNS, connection, TLS, broken transfer... */
} nw_fetch_error;

typedef struct nw_fetch_result {
    nw_fetch_error error; /* NW_FETCH_OK when an HTTP response arrived */
    char message[256];    /* what went wrong (curl's words), "" when OK */
    long status;          /* status of the final response, 0 when none */
    nw_buf body;          /* decoded body (owned) */
    char *etag;           /* ETag of the final response, or NULL (owned) */
    char *last_modified;  /* Last-Modified, or NULL (owned) */
    char *content_type;   /* Content-Type, or NULL (owned) */
    char *charset;        /* its charset parameter, lower-case, or NULL (owned) */
    char *effective_url;  /* after redirects, or NULL (owned) */
    long redirects;
    int64_t elapsed_ms;
} nw_fetch_result;

void nw_fetch_result_free(nw_fetch_result *r);
/* Short name of an error for logs and metric labels ("timeout", ...). */
const char *nw_fetch_error_name(nw_fetch_error e);

typedef struct nw_http_fetch nw_http_fetch;

/* A client (curl_global_init runs once per process, on first use). */
nw_http_fetch *nw_http_fetch_new(nw_err *err);
/* Cancels a transfer in progress. NULL accepted. */
void nw_http_fetch_free(nw_http_fetch *f);

/* Begin a GET. NW_EINVAL when one is already running or the URL is not
 * http(s). */
int nw_http_fetch_start(nw_http_fetch *f, const nw_fetch_req *req, nw_err *err);
/* True between start and the run() that returns the result. */
bool nw_http_fetch_busy(const nw_http_fetch *f);
/* Abandon the transfer in progress, if any. */
void nw_http_fetch_cancel(nw_http_fetch *f);

/* Descriptor readable when curl's sockets have activity (for poll(2)). */
int nw_http_fetch_fd(const nw_http_fetch *f);
/* Milliseconds until run() is due for curl's timers (0 = now, -1 = none).
 * now_ms is CLOCK_MONOTONIC. */
int64_t nw_http_fetch_wait_ms(const nw_http_fetch *f, int64_t now_ms);
/* Serve socket activity and timers without blocking. Returns 1 when the
 * transfer finished: *out is filled (caller frees with nw_fetch_result_free);
 * 0 while it runs or when idle. */
int nw_http_fetch_run(nw_http_fetch *f, int64_t now_ms, nw_fetch_result *out);

/* The charset parameter of a Content-Type value ("text/xml; charset="UTF-8""
 * -> "utf-8"), lower-case, into out; false when there is none. */
bool nw_http_content_type_charset(const char *content_type, char *out, size_t outlen);

#endif
