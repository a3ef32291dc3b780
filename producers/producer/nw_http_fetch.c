/*
 * nw_http_fetch — libcurl multi interface on an epoll descriptor (see
 * nw_http_fetch.h). curl tells us which sockets to watch (socket callback:
 * added to / removed from the epoll set) and when to call it back (timer
 * callback: a deadline); run() turns epoll readiness and an expired deadline
 * into curl_multi_socket_action calls and reads the finished transfer.
 */
#define _GNU_SOURCE
#include "nw_http_fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_MAX_BYTES  ((size_t)16 << 20)
#define DEFAULT_REDIRECTS  5

struct nw_http_fetch {
    CURLM *multi;
    CURL *easy; /* the transfer in progress, or NULL */
    int epfd;
    int64_t deadline_ms; /* curl's timer, CLOCK_MONOTONIC; -1 = none */
    struct curl_slist *headers;
    nw_fetch_result res; /* filled while the transfer runs */
    size_t max_bytes;
    bool too_large;
    int64_t started_ms;
    char errbuf[CURL_ERROR_SIZE];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void nw_fetch_result_free(nw_fetch_result *r)
{
    if (!r)
        return;
    nw_buf_free(&r->body);
    free(r->etag);
    free(r->last_modified);
    free(r->content_type);
    free(r->charset);
    free(r->effective_url);
    memset(r, 0, sizeof *r);
}

const char *nw_fetch_error_name(nw_fetch_error e)
{
    switch (e) {
    case NW_FETCH_OK: return "ok";
    case NW_FETCH_TIMEOUT: return "timeout";
    case NW_FETCH_TOO_LARGE: return "too_large";
    case NW_FETCH_REDIRECTS: return "redirects";
    default: return "network";
    }
}

bool nw_http_content_type_charset(const char *ct, char *out, size_t outlen)
{
    if (!ct || outlen == 0)
        return false;
    for (const char *p = strchr(ct, ';'); p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "charset", 7))
            continue;
        q += 7;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        bool quoted = *q == '"';
        if (quoted)
            q++;
        size_t n = 0;
        while (q[n] && (quoted ? q[n] != '"' : (q[n] != ';' && q[n] != ' ' && q[n] != '\t')))
            n++;
        if (n == 0 || n >= outlen)
            return false;
        for (size_t i = 0; i < n; i++)
            out[i] = (char)tolower((unsigned char)q[i]);
        out[n] = '\0';
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* curl callbacks                                                           */
/* ------------------------------------------------------------------------ */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    nw_http_fetch *f = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(f->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev.events |= EPOLLOUT;
    if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
        epoll_ctl(f->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    nw_http_fetch *f = userp;
    f->deadline_ms = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
    nw_http_fetch *f = userp;
    size_t n = size * nmemb;
    if (f->res.body.len + n > f->max_bytes) {
        f->too_large = true;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    nw_buf_append(&f->res.body, ptr, n);
    return nw_buf_failed(&f->res.body) ? 0 : n;
}

/* Header value without the name, surrounding blanks and CRLF; malloc'd. */
static char *header_value(const char *line, size_t len, size_t name_len)
{
    const char *v = line + name_len, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return end > v ? strndup(v, (size_t)(end - v)) : NULL;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
    nw_http_fetch *f = userp;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        /* a new response (after a redirect): only the last one's count */
        free(f->res.etag);
        free(f->res.last_modified);
        f->res.etag = f->res.last_modified = NULL;
    } else if (n > 5 && !strncasecmp(line, "ETag:", 5)) {
        free(f->res.etag);
        f->res.etag = header_value(line, n, 5);
    } else if (n > 14 && !strncasecmp(line, "Last-Modified:", 14)) {
        free(f->res.last_modified);
        f->res.last_modified = header_value(line, n, 14);
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                   */
/* ------------------------------------------------------------------------ */

nw_http_fetch *nw_http_fetch_new(nw_err *err)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        nw_err_set(err, NW_EIO, "libcurl: %s", curl_easy_strerror(global_rc));
        return NULL;
    }
    nw_http_fetch *f = calloc(1, sizeof *f);
    if (!f) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    f->deadline_ms = -1;
    f->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (f->epfd < 0) {
        nw_err_set(err, NW_EIO, "epoll: %s", strerror(errno));
        free(f);
        return NULL;
    }
    if (!(f->multi = curl_multi_init())) {
        nw_err_set(err, NW_ENOMEM, "libcurl: cannot create a multi handle");
        close(f->epfd);
        free(f);
        return NULL;
    }
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    return f;
}

void nw_http_fetch_cancel(nw_http_fetch *f)
{
    if (!f || !f->easy)
        return;
    curl_multi_remove_handle(f->multi, f->easy);
    curl_easy_cleanup(f->easy);
    f->easy = NULL;
    curl_slist_free_all(f->headers);
    f->headers = NULL;
    nw_fetch_result_free(&f->res);
    f->deadline_ms = -1;
}

void nw_http_fetch_free(nw_http_fetch *f)
{
    if (!f)
        return;
    nw_http_fetch_cancel(f);
    curl_multi_cleanup(f->multi);
    close(f->epfd);
    free(f);
}

bool nw_http_fetch_busy(const nw_http_fetch *f)
{
    return f->easy != NULL;
}

int nw_http_fetch_fd(const nw_http_fetch *f)
{
    return f->epfd;
}

int64_t nw_http_fetch_wait_ms(const nw_http_fetch *f, int64_t now_ms)
{
    if (!f->easy || f->deadline_ms < 0)
        return -1;
    return f->deadline_ms > now_ms ? f->deadline_ms - now_ms : 0;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value,
                                     bool *ok)
{
    if (!value || !*ok)
        return list;
    char *h = NULL;
    if (asprintf(&h, "%s: %s", name, value) < 0) {
        *ok = false;
        return list;
    }
    struct curl_slist *n = curl_slist_append(list, h);
    free(h);
    if (!n) {
        *ok = false;
        return list;
    }
    return n;
}

int nw_http_fetch_start(nw_http_fetch *f, const nw_fetch_req *req, nw_err *err)
{
    if (f->easy)
        return nw_err_set(err, NW_EINVAL, "%s: a fetch is already running", req->url);
    if (!req->url || (strncasecmp(req->url, "http://", 7) && strncasecmp(req->url, "https://", 8)))
        return nw_err_set(err, NW_EINVAL, "%s: only http:// and https:// URLs are fetched",
                          req->url ? req->url : "(null)");
    CURL *e = curl_easy_init();
    if (!e)
        return nw_err_set(err, NW_ENOMEM, "libcurl: cannot create a handle");
    bool ok = true;
    struct curl_slist *h = NULL;
    /* the validators go back exactly as the server wrote them */
    h = add_header(h, "If-None-Match", req->etag, &ok);
    h = add_header(h, "If-Modified-Since", req->last_modified, &ok);
    h = add_header(h, "Accept",
                   "application/rss+xml, application/atom+xml, application/feed+json, "
                   "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                   &ok);
    if (!ok) {
        curl_slist_free_all(h);
        curl_easy_cleanup(e);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    int64_t connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_MS;
    if (connect > timeout)
        connect = timeout;
    f->max_bytes = req->max_bytes ? req->max_bytes : DEFAULT_MAX_BYTES;
    f->too_large = false;
    f->errbuf[0] = '\0';
    memset(&f->res, 0, sizeof f->res);

    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_HTTPGET, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, req->max_redirects >= 0 ? req->max_redirects : (long)DEFAULT_REDIRECTS);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl decodes */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
    SET(CURLOPT_USERAGENT, req->user_agent ? req->user_agent : "newswire");
    SET(CURLOPT_HTTPHEADER, h);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, f);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, f);
    SET(CURLOPT_ERRORBUFFER, f->errbuf);
    SET(CURLOPT_PRIVATE, f);
#undef SET
    if (rc != CURLE_OK) {
        curl_slist_free_all(h);
        curl_easy_cleanup(e);
        return nw_err_set(err, NW_EINVAL, "%s: libcurl: %s", req->url, curl_easy_strerror(rc));
    }
    f->headers = h;
    f->easy = e;
    f->started_ms = mono_ms();
    CURLMcode mrc = curl_multi_add_handle(f->multi, e);
    if (mrc != CURLM_OK) {
        f->easy = NULL;
        curl_slist_free_all(h);
        f->headers = NULL;
        curl_easy_cleanup(e);
        return nw_err_set(err, NW_EIO, "%s: libcurl: %s", req->url, curl_multi_strerror(mrc));
    }
    return 0;
}

static void finish(nw_http_fetch *f, CURLcode code, nw_fetch_result *out)
{
    nw_fetch_result *r = &f->res;
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_COUNT, &r->redirects);
    char *s = NULL;
    if (curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s) {
        r->content_type = strdup(s);
        char cs[64];
        if (nw_http_content_type_charset(s, cs, sizeof cs))
            r->charset = strdup(cs);
    }
    s = NULL;
    if (curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
        r->effective_url = strdup(s);
    r->elapsed_ms = mono_ms() - f->started_ms;
    if (code == CURLE_OK) {
        r->error = NW_FETCH_OK;
    } else {
        switch (code) {
        case CURLE_OPERATION_TIMEDOUT: r->error = NW_FETCH_TIMEOUT; break;
        case CURLE_FILESIZE_EXCEEDED: r->error = NW_FETCH_TOO_LARGE; break;
        case CURLE_WRITE_ERROR:
            r->error = f->too_large ? NW_FETCH_TOO_LARGE : NW_FETCH_NETWORK;
            break;
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_UNSUPPORTED_PROTOCOL: r->error = NW_FETCH_REDIRECTS; break;
        default: r->error = NW_FETCH_NETWORK; break;
        }
        if (r->error == NW_FETCH_TOO_LARGE)
            snprintf(r->message, sizeof r->message, "response over the limit of %zu bytes",
                     f->max_bytes);
        else
            snprintf(r->message, sizeof r->message, "%s",
                     f->errbuf[0] ? f->errbuf : curl_easy_strerror(code));
        nw_buf_free(&r->body);
    }
    if (r->body.oom) {
        r->error = NW_FETCH_NETWORK;
        snprintf(r->message, sizeof r->message, "out of memory");
        nw_buf_free(&r->body);
    }
    *out = *r;
    memset(r, 0, sizeof *r); /* ownership moved to *out */
    curl_multi_remove_handle(f->multi, f->easy);
    curl_easy_cleanup(f->easy);
    f->easy = NULL;
    curl_slist_free_all(f->headers);
    f->headers = NULL;
    f->deadline_ms = -1;
}

int nw_http_fetch_run(nw_http_fetch *f, int64_t now_ms, nw_fetch_result *out)
{
    if (!f->easy)
        return 0;
    int running = 0;
    struct epoll_event evs[16];
    int n = epoll_wait(f->epfd, evs, 16, 0);
    for (int i = 0; i < n; i++) {
        int flags = 0;
        if (evs[i].events & EPOLLIN)
            flags |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT)
            flags |= CURL_CSELECT_OUT;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(f->multi, evs[i].data.fd, flags, &running);
    }
    if (f->deadline_ms >= 0 && mono_ms() >= f->deadline_ms) {
        f->deadline_ms = -1;
        curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == f->easy) {
            finish(f, m->data.result, out);
            return 1;
        }
    }
    return 0;
}
