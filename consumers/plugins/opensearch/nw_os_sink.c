/*
 * nw_os_sink — OpenSearch / Elasticsearch `_bulk` sink: external versions,
 * per-item outcomes and retries. See nw_os_sink.h and
 * docs/opensearch-sink.md.
 */
#include "nw_os_sink.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "nw_buf.h"
#include "nw_log.h"
#include "nw_story_state.h"

#define FILTER_PATH "filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"

struct nw_os_sink {
    CURL *curl;
    char **urls; /* base URLs without a trailing '/' */
    size_t nurls, cur;
    char *index;
    char *auth_header; /* "Authorization: ..." or NULL */
    char *userpwd;     /* user:password for basic auth, or NULL */
    char *ca_path;
    bool insecure, gzip;
    long timeout_ms, retry_initial_ms, retry_max_ms, retry_budget_ms;
    size_t max_bytes;
    unsigned seed;
    nw_os_stats stats;
};

/* ----------------------------------------------------------- versions */

#define KILL_BIT  (UINT64_C(1) << 62)
#define TIME_BITS 41

uint64_t nw_os_external_version(const json_t *story)
{
    nw_story_key k = nw_story_key_of(story);
    uint64_t v = k.version == NW_STORY_NO_NUMBER ? 0 : (uint64_t)k.version;
    if (v >= (UINT64_C(1) << (62 - TIME_BITS)))
        v = (UINT64_C(1) << (62 - TIME_BITS)) - 1;
    uint64_t t =
        k.created_ms == NW_STORY_NO_TIME || k.created_ms < 0 ? 0 : (uint64_t)k.created_ms / 10;
    if (t >= (UINT64_C(1) << TIME_BITS))
        t = (UINT64_C(1) << TIME_BITS) - 1;
    uint64_t ext = (v << TIME_BITS) | t;
    if (nw_story_classify(story, 0, NULL, NULL) == NW_STORY_CANCELED)
        ext |= KILL_BIT;
    return ext;
}

/* ----------------------------------------------------------------- HTTP */

static size_t collect(char *p, size_t size, size_t n, void *buf)
{
    nw_buf_append(buf, p, size * n);
    return size * n;
}

/* One request to the current node. Returns the HTTP status (0 when the
 * request failed: connection, timeout), the body into *resp. */
static long request(nw_os_sink *s, const char *method, const char *path, const char *body,
                    size_t len, const char *ctype, nw_buf *resp, char *why, size_t whylen)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", s->urls[s->cur], path);
    CURL *c = s->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms < 10000 ? s->timeout_ms : 10000);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    if (s->ca_path)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_path);
    if (s->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
    }
    struct curl_slist *h = NULL;
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
    h = curl_slist_append(h, ct);
    if (s->auth_header)
        h = curl_slist_append(h, s->auth_header);
    nw_buf gz = NW_BUF_INIT;
    if (body && s->gzip && len > 0) {
        z_stream z = {0};
        if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
            nw_buf_reserve(&gz, deflateBound(&z, len) + 32);
            z.next_in = (Bytef *)body;
            z.avail_in = (uInt)len;
            z.next_out = (Bytef *)gz.data;
            z.avail_out = (uInt)(gz.cap - 1);
            if (!nw_buf_failed(&gz) && deflate(&z, Z_FINISH) == Z_STREAM_END) {
                gz.len = z.total_out;
                body = gz.data;
                len = gz.len;
                h = curl_slist_append(h, "Content-Encoding: gzip");
            }
            deflateEnd(&z);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(why, whylen, "%s: %s", s->urls[s->cur], curl_easy_strerror(rc));
    curl_slist_free_all(h);
    nw_buf_free(&gz);
    return status;
}

/* --------------------------------------------------------------- open */

static int split_urls(nw_os_sink *s, const char *urls)
{
    char *copy = strdup(urls), *save = NULL;
    if (!copy)
        return -1;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        char **v = realloc(s->urls, (s->nurls + 1) * sizeof *v);
        if (!v || !(v[s->nurls] = strdup(t))) {
            if (v)
                s->urls = v;
            free(copy);
            return -1;
        }
        s->urls = v;
        size_t l = strlen(v[s->nurls]);
        while (l && v[s->nurls][l - 1] == '/')
            v[s->nurls][--l] = '\0';
        s->nurls++;
    }
    free(copy);
    return 0;
}

/* Reach the cluster: GET / on each node in turn until one answers; that
 * node becomes the current one. Requests time out after timeout_ms. */
static int reach(nw_os_sink *s, long timeout_ms, nw_err *err)
{
    long keep = s->timeout_ms;
    s->timeout_ms = timeout_ms;
    char why[512] = "";
    long st = 0;
    size_t first = s->cur;
    for (size_t i = 0; i < s->nurls && st == 0; i++) {
        s->cur = (first + i) % s->nurls;
        nw_buf resp = NW_BUF_INIT;
        st = request(s, "GET", "/", NULL, 0, NULL, &resp, why, sizeof why);
        nw_buf_free(&resp);
    }
    s->timeout_ms = keep;
    if (st == 401 || st == 403)
        return nw_err_set(err, NW_EINVAL, "search engine %s refused the credentials (HTTP %ld)",
                          s->urls[s->cur], st);
    if (st < 200 || st >= 300)
        return nw_err_set(err, NW_ERETRY, "search engine not reachable: %s",
                          st ? "unexpected HTTP status" : why);
    return 0;
}

int nw_os_sink_open(const nw_os_options *o, nw_os_sink **out, nw_err *err)
{
    *out = NULL;
    if (!o->urls || !*o->urls)
        return nw_err_set(err, NW_EINVAL, "url: required (e.g. https://search:9200)");
    nw_os_sink *s = calloc(1, sizeof *s);
    if (!s)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s->curl = curl_easy_init();
    s->index = strdup(o->index && *o->index ? o->index : "news");
    s->insecure = o->insecure;
    s->gzip = o->gzip;
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
    s->max_bytes = o->max_bytes ? o->max_bytes : 5u << 20;
    s->retry_initial_ms = o->retry_initial_ms > 0 ? o->retry_initial_ms : 100;
    s->retry_max_ms = o->retry_max_ms > 0 ? o->retry_max_ms : 5000;
    s->retry_budget_ms = o->retry_budget_ms > 0 ? o->retry_budget_ms : 60000;
    s->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (o->ca_path)
        s->ca_path = strdup(o->ca_path);
    if (o->api_key && *o->api_key) {
        size_t l = strlen(o->api_key) + 32;
        if ((s->auth_header = malloc(l)))
            snprintf(s->auth_header, l, "Authorization: ApiKey %s", o->api_key);
    } else if (o->username && *o->username) {
        size_t l = strlen(o->username) + strlen(o->password ? o->password : "") + 2;
        if ((s->userpwd = malloc(l)))
            snprintf(s->userpwd, l, "%s:%s", o->username, o->password ? o->password : "");
    }
    if (!s->curl || !s->index || split_urls(s, o->urls) < 0 || !s->nurls) {
        nw_os_sink_close(s);
        return nw_err_set(err, NW_EINVAL, "url: no usable URL in '%s' (or out of memory)", o->urls);
    }
    int rc = reach(s, s->timeout_ms, err);
    if (rc < 0) {
        nw_os_sink_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int nw_os_sink_check(nw_os_sink *s, nw_err *err)
{
    return reach(s, s->timeout_ms < 5000 ? s->timeout_ms : 5000, err);
}

void nw_os_sink_close(nw_os_sink *s)
{
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    for (size_t i = 0; i < s->nurls; i++)
        free(s->urls[i]);
    free(s->urls);
    free(s->index);
    free(s->auth_header);
    if (s->userpwd) {
        memset(s->userpwd, 0, strlen(s->userpwd));
        free(s->userpwd);
    }
    free(s->ca_path);
    free(s);
}

nw_os_stats nw_os_sink_stats(const nw_os_sink *s)
{
    return s->stats;
}

int nw_os_sink_put_template(nw_os_sink *s, const char *name, const char *json, nw_err *err)
{
    char path[512], why[512] = "";
    snprintf(path, sizeof path, "/_index_template/%s", name);
    nw_buf resp = NW_BUF_INIT;
    long st = request(s, "PUT", path, json, strlen(json), NULL, &resp, why, sizeof why);
    int rc = 0;
    if (st < 200 || st >= 300)
        rc = nw_err_set(err, st ? NW_EINVAL : NW_ERETRY, "index template %s: %s%.200s", name,
                        st ? "refused: " : "", st ? nw_buf_str(&resp) : why);
    nw_buf_free(&resp);
    return rc;
}

/* -------------------------------------------------------------- batches */

/* The index of a story: {category} and {date} (firstCreated, which all the
 * versions of a story share, else versionCreated) substituted. */
static void index_name(const nw_os_sink *s, const nw_os_item *it, nw_buf *b)
{
    for (const char *p = s->index; *p; p++) {
        if (!strncmp(p, "{category}", 10)) {
            nw_buf_puts(b, it->category && *it->category ? it->category : "uncategorized");
            p += 9;
        } else if (!strncmp(p, "{date}", 6)) {
            const char *d = json_string_value(json_object_get(it->story, "firstCreated"));
            if (!d)
                d = json_string_value(json_object_get(it->story, "versionCreated"));
            if (d && strlen(d) >= 10 && d[4] == '-' && d[7] == '-')
                nw_buf_printf(b, "%.4s.%.2s.%.2s", d, d + 5, d + 8);
            else
                nw_buf_puts(b, "undated");
            p += 5;
        } else {
            nw_buf_putc(b, *p);
        }
    }
}

/* The chain's text of the story fits one line of the bulk body: the
 * document is sent as that text (its value as it arrived, or the one
 * serialization every sink shares: docs/plugin-guide.md, "The story"),
 * not serialized again. */
static bool text_is_one_line(const nw_os_item *it)
{
    return it->text && !memchr(it->text, '\n', it->text_len) &&
           !memchr(it->text, '\r', it->text_len);
}

/* The action and document lines of one item; NULL when refused (o set). */
static char *bulk_lines(nw_os_sink *s, const nw_os_item *it, nw_os_outcome *o)
{
    const json_t *st = it->story;
    const char *uri = json_string_value(json_object_get(st, "uri"));
    if (!uri || !*uri)
        uri = it->uri;
    const char *why = !json_is_object(st) ? "the story is not a JSON object"
                      : !uri || !*uri     ? "the story has no uri"
                                          : NULL;
    nw_err e = {0};
    int cls = why ? 0 : nw_story_classify(st, 0, NULL, &e);
    if (!why && cls < 0)
        why = e.msg;
    if (why) {
        o->result = NW_OS_REFUSED;
        o->status = 0;
        s->stats.refused++;
        snprintf(o->reason, sizeof o->reason, "%.255s", why);
        return NULL;
    }
    nw_buf idx = NW_BUF_INIT;
    index_name(s, it, &idx);
    json_t *action = json_pack("{s:{s:s, s:s, s:I, s:s}}", "index", "_index", nw_buf_str(&idx),
                               "_id", uri, "version", (json_int_t)(nw_os_external_version(st) + 1),
                               "version_type", "external");
    nw_buf_free(&idx);
    json_t *killed = cls == NW_STORY_CANCELED ? nw_story_kill_record(st, uri) : NULL;
    char *a = action ? json_dumps(action, JSON_COMPACT) : NULL;
    bool shared = cls != NW_STORY_CANCELED && text_is_one_line(it);
    char *own = shared                     ? NULL
                : cls != NW_STORY_CANCELED ? json_dumps(st, JSON_COMPACT)
                : killed                   ? json_dumps(killed, JSON_COMPACT)
                                           : NULL; /* out of memory */
    const char *d = shared ? it->text : own;
    size_t dl = shared ? it->text_len : own ? strlen(own) : 0;
    json_decref(action);
    json_decref(killed);
    char *lines = NULL;
    if (a && d) {
        size_t al = strlen(a);
        if ((lines = malloc(al + dl + 3))) {
            memcpy(lines, a, al);
            lines[al] = '\n';
            memcpy(lines + al + 1, d, dl);
            memcpy(lines + al + 1 + dl, "\n", 2);
        }
    }
    free(a);
    free(own);
    return lines;
}

/* The number after `label` ("current version [N]") in a 409 reason, or 0. */
static uint64_t reason_number(const char *reason, const char *label)
{
    const char *p = reason ? strstr(reason, label) : NULL;
    return p ? strtoull(p + strlen(label), NULL, 10) : 0;
}

/* Why the engine refused a version with 409: the stored external version
 * (current, minus the 1 this sink adds) is a kill, the same as the one
 * provided, or newer. */
static nw_story_skip stale_reason(const char *reason)
{
    uint64_t cur = reason_number(reason, "current version [");
    uint64_t got = reason_number(reason, "provided [");
    if (cur && ((cur - 1) & KILL_BIT))
        return NW_STORY_SKIP_KILLED;
    return cur && cur == got ? NW_STORY_SKIP_SAME : NW_STORY_SKIP_OLDER;
}

static void settle(nw_os_sink *s, nw_os_outcome *o, const json_t *item)
{
    const json_t *op = json_object_iter_value(json_object_iter((json_t *)item));
    int status = (int)json_integer_value(json_object_get(op, "status"));
    o->status = status;
    if (status >= 200 && status < 300) {
        o->result = NW_OS_WRITTEN;
        s->stats.written++;
    } else if (status == 409) {
        o->result = NW_OS_STALE;
        o->skip = stale_reason(
            json_string_value(json_object_get(json_object_get(op, "error"), "reason")));
        s->stats.stale++;
        s->stats.skipped_older += o->skip == NW_STORY_SKIP_OLDER;
        s->stats.skipped_same += o->skip == NW_STORY_SKIP_SAME;
        s->stats.skipped_killed += o->skip == NW_STORY_SKIP_KILLED;
    } else if (status == 429 || status >= 500 || status == 0) {
        s->stats.item_retries++; /* stays pending: sent again alone */
    } else {
        const json_t *e = json_object_get(op, "error");
        o->result = NW_OS_REFUSED;
        s->stats.refused++;
        snprintf(o->reason, sizeof o->reason, "HTTP %d %s: %.200s", status,
                 json_string_value(json_object_get(e, "type"))
                     ? json_string_value(json_object_get(e, "type"))
                     : "error",
                 json_string_value(json_object_get(e, "reason"))
                     ? json_string_value(json_object_get(e, "reason"))
                     : "");
    }
}

/* Send the items idx[0..k) (their lines) as one request and settle what the
 * engine answered. */
static void send_bulk(nw_os_sink *s, char **lines, const size_t *idx, size_t k, nw_os_outcome *out,
                      char *why, size_t whylen)
{
    nw_buf body = NW_BUF_INIT;
    for (size_t i = 0; i < k; i++)
        nw_buf_puts(&body, lines[idx[i]]);
    nw_buf resp = NW_BUF_INIT;
    long st = nw_buf_failed(&body) ? 0
                                   : request(s, "POST", "/_bulk?" FILTER_PATH, body.data, body.len,
                                             "application/x-ndjson", &resp, why, whylen);
    json_t *r = st == 200 ? json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL) : NULL;
    json_t *items = json_object_get(r, "items");
    if (json_array_size(items) == k) {
        s->stats.requests++;
        for (size_t i = 0; i < k; i++)
            settle(s, &out[idx[i]], json_array_get(items, i));
    } else { /* the request failed as a whole: all of it again, next node */
        s->stats.request_fails++;
        if (st)
            snprintf(why, whylen, "%s: HTTP %ld %.200s", s->urls[s->cur], st,
                     resp.data ? resp.data : "");
        nw_log_warn("opensearch", "bulk request failed, sending it again: %s", why);
        s->cur = (s->cur + 1) % s->nurls;
    }
    json_decref(r);
    nw_buf_free(&resp);
    nw_buf_free(&body);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int nw_os_sink_write(nw_os_sink *s, const nw_os_item *items, size_t n, nw_os_outcome *out,
                     nw_err *err)
{
    char **lines = calloc(n ? n : 1, sizeof *lines);
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    int rc = 0;
    if (!lines || !idx) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (out[i].result == NW_OS_PENDING && !(lines[i] = bulk_lines(s, &items[i], &out[i])) &&
            out[i].result == NW_OS_PENDING) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            goto done;
        }
    long start = now_ms();
    char why[512] = "";
    for (unsigned attempt = 0;; attempt++) {
        size_t k = 0, bytes = 0;
        for (size_t i = 0; i <= n; i++) {
            bool take = i < n && out[i].result == NW_OS_PENDING;
            size_t l = take ? strlen(lines[i]) : 0;
            if (k && (i == n || bytes + l > s->max_bytes)) { /* one request at a time */
                send_bulk(s, lines, idx, k, out, why, sizeof why);
                k = bytes = 0;
            }
            if (take) {
                idx[k++] = i;
                bytes += l;
            }
        }
        bool left = false;
        for (size_t i = 0; i < n && !left; i++)
            left = out[i].result == NW_OS_PENDING;
        if (!left)
            break;
        long wait = s->retry_initial_ms << (attempt < 16 ? attempt : 16);
        if (wait > s->retry_max_ms || wait <= 0)
            wait = s->retry_max_ms;
        wait = wait / 2 + (long)(rand_r(&s->seed) % (unsigned)(wait / 2 + 1)); /* jitter */
        if (now_ms() - start + wait > s->retry_budget_ms) {
            rc = nw_err_set(err, NW_ERETRY, "search engine: items still failing after %ld ms%s%s",
                            now_ms() - start, why[0] ? ": " : "", why);
            break;
        }
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
done:
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
    free(idx);
    return rc;
}

char *nw_os_sink_bulk_body(nw_os_sink *s, const nw_os_item *items, size_t n, size_t *len)
{
    nw_buf body = NW_BUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        nw_os_outcome o = {.result = NW_OS_PENDING};
        char *l = bulk_lines(s, &items[i], &o);
        ok = l != NULL;
        nw_buf_puts(&body, l ? l : "");
        free(l);
    }
    if (!ok || nw_buf_failed(&body)) {
        nw_buf_free(&body);
        return NULL;
    }
    *len = body.len;
    return nw_buf_take(&body);
}

const char *nw_os_sink_bulk_path(void)
{
    return "/_bulk?" FILTER_PATH;
}
