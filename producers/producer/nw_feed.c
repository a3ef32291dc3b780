/*
 * nw_feed — the feed input (see nw_feed.h for the contract).
 *
 * A feed is always in one of three phases:
 *   idle      waiting for next_poll_ms (interval, or backoff after errors);
 *   fetching  one GET in progress (nw_http_fetch on the loop's poll);
 *   batch     the items of the last 200 response that are new or changed:
 *             queued (prepared, waiting for room under back-pressure), then
 *             sent (waiting for their delivery reports), then settled. When
 *             the last one settles the state file is saved and the feed goes
 *             back to idle. The validators of that response are committed
 *             only when every item of the batch was acknowledged.
 * Content hash: XXH3-64 of the story as the parser made it, serialized by
 * nw_ninjs_dumps (sorted keys, so equal stories hash equal) before we set
 * version and versionCreated.
 */
#define _GNU_SOURCE
#include "nw_feed.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

#include "nw_encoding.h"
#include "nw_feed_state.h"
#include "nw_http_fetch.h"
#include "nw_log.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_time.h"

#define FD_DEFAULT_INTERVAL_MS (5 * 60 * 1000)
#define FD_DEFAULT_TIMEOUT_MS  30000
#define FD_DEFAULT_CONNECT_MS  10000
#define FD_DEFAULT_BACKOFF_MS  (60 * 60 * 1000)
#define FD_DEFAULT_MAX_BYTES   ((size_t)10 << 20)
#define FD_DEFAULT_KEEP_MS     ((int64_t)30 * 24 * 3600 * 1000)
#define FD_DEFAULT_KEEP_ITEMS  10000
#define FD_DEFAULT_UA          "newswire-producer/0.1 (feed poller; +https://iptc.org/standards/ninjs/)"
/* an unchanged item's last-seen time is refreshed at most this often, so a
 * poll that finds nothing new does not rewrite the state file */
#define FD_TOUCH_EVERY_S 3600

typedef struct fd_item {
    char *uri;
    uint64_t hash;
    unsigned version;
    char *vc;       /* versionCreated sent */
    bool changed;   /* a new version of a known item */
    nw_outmsg *msg; /* prepared, not yet sent; NULL once sent */
    nw_publish_ticket ticket;
    struct fd_item *next;
} fd_item;

typedef struct nw_feed {
    nw_input base;
    /* settings (replaced by adopt) */
    char *url, *category, *timezone, *state_dir, *user_agent;
    int64_t interval_ms, timeout_ms, connect_ms, max_backoff_ms, keep_ms;
    size_t max_bytes, keep_items;
    long max_redirects;

    /* running */
    bool started;
    char state_path[PATH_MAX];
    nw_feed_state *state;
    nw_http_fetch *http;
    nw_metrics *metrics; /* borrowed from the env at start */
    int64_t next_poll_ms;
    uint64_t seen_reports;

    /* the batch */
    fd_item *head, *tail;
    size_t nitems;
    bool batch;
    bool batch_ok;
    char *batch_etag, *batch_lm;

    nw_feed_stats stats;
} nw_feed;

static const nw_input_ops feed_ops;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static int set_str(char **dst, const char *src)
{
    char *n = NULL;
    if (src && !(n = strdup(src)))
        return NW_ENOMEM;
    free(*dst);
    *dst = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

static nw_counter *feed_counter(nw_feed *fd, const char *name, const char *help, const char *key,
                                const char *value)
{
    if (!fd->metrics)
        return NULL;
    nw_buf l = NW_BUF_INIT;
    nw_buf_puts(&l, "feed=\"");
    nw_metrics_label_escape(&l, fd->base.name);
    nw_buf_printf(&l, "\",%s=\"%s\"", key, value);
    nw_counter *c = nw_metrics_counter(fd->metrics, name, help, nw_buf_str(&l));
    nw_buf_free(&l);
    return c;
}

static void count_fetch(nw_feed *fd, const char *result)
{
    fd->stats.fetches++;
    nw_counter_inc(feed_counter(fd, "newswire_producer_feed_fetches_total",
                                "Feed requests completed, by result", "result", result));
}

static void count_items(nw_feed *fd, const char *result, uint64_t n)
{
    if (n)
        nw_counter_add(feed_counter(fd, "newswire_producer_feed_items_total",
                                    "Feed items seen in responses: new, changed or unchanged",
                                    "result", result),
                       n);
}

static void mark_success(nw_feed *fd)
{
    fd->stats.consecutive_failures = 0;
    fd->stats.last_error[0] = '\0';
    if (fd->metrics) {
        nw_buf l = NW_BUF_INIT;
        nw_buf_puts(&l, "feed=\"");
        nw_metrics_label_escape(&l, fd->base.name);
        nw_buf_puts(&l, "\"");
        nw_gauge_set(
            nw_metrics_gauge(fd->metrics, "newswire_producer_feed_last_success_timestamp_seconds",
                             "Unix time of the feed's last successful fetch", nw_buf_str(&l)),
            (double)wall_s());
        nw_buf_free(&l);
    }
}

/* A failed fetch: logged with the URL, counted, retried with backoff. */
static void fetch_failed(nw_feed *fd, int64_t now, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fetch_failed(nw_feed *fd, int64_t now, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fd->stats.last_error, sizeof fd->stats.last_error, fmt, ap);
    va_end(ap);
    fd->stats.errors++;
    count_fetch(fd, "error");
    nw_counter_inc(feed_counter(fd, "newswire_producer_feed_fetch_errors_total",
                                "Feed fetch errors (transport, HTTP status, malformed feed)",
                                "reason", reason));
    unsigned n = ++fd->stats.consecutive_failures;
    int64_t cap = fd->max_backoff_ms > fd->interval_ms ? fd->max_backoff_ms : fd->interval_ms;
    int64_t delay = fd->interval_ms;
    for (unsigned i = 1; i < n && delay < cap; i++)
        delay *= 2;
    if (delay > cap)
        delay = cap;
    fd->next_poll_ms = now + delay;
    nw_log_error("feed",
                 "fetch failed, retrying later input=%s url=%s reason=%s failures=%u "
                 "retry_in_ms=%lld error=\"%s\"",
                 fd->base.name, fd->url, reason, n, (long long)delay, fd->stats.last_error);
}

/* ------------------------------------------------------------------------ */
/* The batch                                                                */
/* ------------------------------------------------------------------------ */

static void item_free(fd_item *it)
{
    nw_publish_ticket_clear(&it->ticket);
    nw_outmsg_free(it->msg);
    free(it->uri);
    free(it->vc);
    free(it);
}

static void batch_push(nw_feed *fd, fd_item *it)
{
    if (fd->tail)
        fd->tail->next = it;
    else
        fd->head = it;
    fd->tail = it;
    fd->nitems++;
}

static void batch_clear(nw_feed *fd)
{
    for (fd_item *it = fd->head, *n; it; it = n) {
        n = it->next;
        item_free(it);
    }
    fd->head = fd->tail = NULL;
    fd->nitems = 0;
    free(fd->batch_etag);
    free(fd->batch_lm);
    fd->batch_etag = fd->batch_lm = NULL;
    fd->batch = false;
}

static void save_state(nw_feed *fd)
{
    if (!nw_feed_state_dirty(fd->state))
        return;
    nw_err err = {0};
    if (nw_feed_state_save(fd->state, fd->state_path, fd->base.name, fd->url, &err) < 0)
        nw_log_error("feed",
                     "cannot save feed state, items may be sent again after a restart "
                     "input=%s url=%s error=\"%s\"",
                     fd->base.name, fd->url, err.msg);
}

/* Every item settled: keep the validators when everything was delivered,
 * bound and save the state, go back to idle. */
static void batch_finish(nw_feed *fd)
{
    if (fd->batch_ok) {
        if (nw_feed_state_set_validators(fd->state, fd->batch_etag, fd->batch_lm) < 0)
            nw_log_error("feed", "out of memory input=%s", fd->base.name);
    } else {
        /* without validators the next poll gets the whole feed again, and
         * the items that failed are tried again */
        nw_feed_state_set_validators(fd->state, NULL, NULL);
    }
    int64_t now = wall_s();
    size_t pruned = nw_feed_state_prune(fd->state, now - fd->keep_ms / 1000, fd->keep_items);
    if (pruned)
        nw_log_debug("feed", "forgot old items input=%s count=%zu", fd->base.name, pruned);
    save_state(fd);
    batch_clear(fd);
}

static void settle_item(nw_feed *fd, fd_item *it)
{
    if (it->ticket.failed == 0) {
        if (nw_feed_state_put(fd->state, it->uri, it->hash, it->version, it->vc, wall_s()) < 0) {
            nw_log_error("feed", "out of memory, item will be sent again input=%s uri=%s",
                         fd->base.name, it->uri);
            fd->batch_ok = false;
        }
        fd->stats.items_done++;
        nw_counter_inc(fd->base.m.items_done);
        nw_counter_inc(fd->base.m.published);
        nw_log_info("feed", "item published input=%s uri=%s version=%u messages=%zu", fd->base.name,
                    it->uri, it->version, it->ticket.sent);
    } else {
        fd->stats.items_failed++;
        fd->batch_ok = false;
        nw_counter_inc(fd->base.m.items_failed);
        nw_counter_inc(fd->base.m.failed);
        nw_log_error("feed",
                     "item delivery failed, it will be sent again at the next poll input=%s "
                     "url=%s uri=%s failed=%zu error=\"%s\"",
                     fd->base.name, fd->url, it->uri, it->ticket.failed,
                     nw_publish_ticket_error(&it->ticket));
    }
}

/* Settle sent items whose messages all have a report. */
static void settle_finished(nw_feed *fd)
{
    fd_item **pp = &fd->head, *prev = NULL;
    while (*pp) {
        fd_item *it = *pp;
        if (!it->msg && nw_publish_ticket_outstanding(&it->ticket) == 0) {
            settle_item(fd, it);
            *pp = it->next;
            if (fd->tail == it)
                fd->tail = prev;
            fd->nitems--;
            item_free(it);
        } else {
            prev = it;
            pp = &it->next;
        }
    }
}

/* Send queued items while there is room. */
static void send_queued(nw_feed *fd, nw_input_env *env)
{
    for (fd_item *it = fd->head; it && nw_input_room(env) > 0; it = it->next) {
        if (!it->msg)
            continue;
        nw_err err = {0};
        if (nw_input_send(env, it->msg, &it->ticket, &err) < 0)
            nw_log_error("feed", "send refused input=%s url=%s uri=%s error=\"%s\"", fd->base.name,
                         fd->url, it->uri, err.msg);
        nw_outmsg_free(it->msg);
        it->msg = NULL;
    }
}

/* Intake stopped (draining, or this feed was removed): items not yet sent
 * are dropped unrecorded, so they are fetched and sent again later. */
static void drop_queued(nw_feed *fd)
{
    fd_item **pp = &fd->head, *prev = NULL;
    size_t dropped = 0;
    while (*pp) {
        fd_item *it = *pp;
        if (it->msg) {
            *pp = it->next;
            if (fd->tail == it)
                fd->tail = prev;
            fd->nitems--;
            item_free(it);
            dropped++;
        } else {
            prev = it;
            pp = &it->next;
        }
    }
    if (dropped) {
        fd->batch_ok = false;
        nw_log_info("feed",
                    "intake stopped, unsent items will be fetched again input=%s "
                    "count=%zu",
                    fd->base.name, dropped);
    }
}

/* ------------------------------------------------------------------------ */
/* A response                                                               */
/* ------------------------------------------------------------------------ */

static int time_cmp(const char *a, const char *b)
{
    int64_t ea, eb;
    int ma = 0, mb = 0;
    if (nw_time_parse(a, "UTC", &ea, &ma, NULL) < 0 || nw_time_parse(b, "UTC", &eb, &mb, NULL) < 0)
        return strcmp(a, b);
    if (ea != eb)
        return ea < eb ? -1 : 1;
    return ma < mb ? -1 : ma > mb;
}

/* Decide what to do with one parsed story; NULL when it is not to be sent
 * (unchanged, duplicate in this response) or on failure (logged). */
static fd_item *item_for_story(nw_feed *fd, nw_input_env *env, nw_story *s, int64_t now_wall,
                               nw_feed_state *listed, uint64_t *unchanged)
{
    if (!s->uri)
        return NULL;
    /* a uri listed twice: the first wins, or the two would take turns */
    if (nw_feed_state_get(listed, s->uri)) {
        nw_log_debug("feed", "item listed twice, first kept input=%s uri=%s", fd->base.name,
                     s->uri);
        return NULL;
    }
    if (nw_feed_state_put(listed, s->uri, 0, 1, NULL, 0) < 0) {
        nw_log_error("feed", "out of memory input=%s", fd->base.name);
        fd->batch_ok = false;
        return NULL;
    }
    nw_err err = {0};
    char *json = nw_ninjs_dumps(s, &err);
    if (!json) {
        nw_log_error("feed", "cannot serialize item input=%s url=%s uri=%s error=\"%s\"",
                     fd->base.name, fd->url, s->uri, err.msg);
        fd->batch_ok = false;
        return NULL;
    }
    uint64_t hash = XXH3_64bits(json, strlen(json));
    free(json);
    const nw_feed_seen *seen = nw_feed_state_get(fd->state, s->uri);
    if (seen && seen->hash == hash) {
        int64_t every =
            fd->keep_ms / 4000 < FD_TOUCH_EVERY_S ? fd->keep_ms / 4000 : FD_TOUCH_EVERY_S;
        if (now_wall - seen->seen >= every)
            nw_feed_state_touch(fd->state, s->uri, now_wall);
        (*unchanged)++;
        return NULL;
    }

    /* version: one more than what we sent; never below a version the feed gives */
    unsigned version = seen ? seen->version + 1 : 1;
    if (s->version) {
        char *end;
        unsigned long v = strtoul(s->version, &end, 10);
        if (!*end && v > version && v < UINT_MAX)
            version = (unsigned)v;
    }
    char vbuf[16], nowbuf[NW_TIME_RFC3339_MAX];
    snprintf(vbuf, sizeof vbuf, "%u", version);
    nw_time_format(now_wall, nowbuf);
    bool stale = !s->version_created || (seen && seen->version_created &&
                                         time_cmp(s->version_created, seen->version_created) <= 0);
    if (nw_story_set(&s->version, vbuf) < 0 ||
        (stale && nw_story_set(&s->version_created, nowbuf) < 0)) {
        nw_log_error("feed", "out of memory input=%s", fd->base.name);
        fd->batch_ok = false;
        return NULL;
    }
    fd_item *it = calloc(1, sizeof *it);
    if (!it || !(it->uri = strdup(s->uri)) || !(it->vc = strdup(s->version_created))) {
        if (it)
            item_free(it);
        nw_log_error("feed", "out of memory input=%s", fd->base.name);
        fd->batch_ok = false;
        return NULL;
    }
    it->hash = hash;
    it->version = version;
    it->changed = seen != NULL;
    if (!(it->msg = nw_input_prepare(env, s, fd->url, &err))) {
        /* too big or unroutable: not recorded, so it is tried again at each
         * full fetch and stays visible in logs and metrics */
        nw_log_error("feed", "item refused input=%s url=%s uri=%s error=\"%s\"", fd->base.name,
                     fd->url, s->uri, err.msg);
        fd->stats.items_failed++;
        nw_counter_inc(fd->base.m.items_failed);
        nw_counter_inc(fd->base.m.failed);
        fd->batch_ok = false;
        item_free(it);
        return NULL;
    }
    return it;
}

/* The HTTP charset reaches the parser only for documents that do not say
 * their own encoding (no BOM, no XML encoding declaration): those are
 * decoded here. nw_parse_opts has no charset field yet, so a declaration
 * that contradicts the HTTP header is left to the parser's own sniffing. */
static int decode_with_http_charset(const nw_fetch_result *r, nw_decoded *dec, nw_err *err)
{
    char declared[64];
    if (!r->charset || !strcasecmp(r->charset, "utf-8") || !strcasecmp(r->charset, "utf8") ||
        nw_encoding_sniff_unicode(r->body.data, r->body.len, NULL) ||
        nw_encoding_sniff_xml(r->body.data, r->body.len, declared, sizeof declared))
        return 0;
    if (nw_encoding_decode(r->body.data, r->body.len, r->charset, NULL, dec, err) < 0)
        return err ? err->code : NW_EINVAL;
    return 1;
}

static void handle_ok(nw_feed *fd, nw_input_env *env, nw_fetch_result *r, int64_t now)
{
    nw_parse_opts opts = {0};
    opts.origin = fd->url;
    opts.timezone = fd->timezone;
    opts.default_category = fd->category;
    nw_story_list list = {0};
    nw_err err = {0};
    nw_decoded dec = {0};
    int d = decode_with_http_charset(r, &dec, &err);
    /* the fetch bounded the size already (decoding may have grown it) */
    opts.max_input_bytes = (d > 0 ? dec.len : r->body.len) + 1;
    int rc = d < 0 ? d
                   : nw_parse_buffer(strcmp(fd->base.format, "auto") ? fd->base.format : NULL,
                                     d ? dec.text : r->body.data, d ? dec.len : r->body.len, &opts,
                                     &list, &err);
    nw_decoded_free(&dec);
    if (rc < 0) {
        fetch_failed(fd, now, "parse", "malformed feed: %s", err.msg);
        return;
    }
    count_fetch(fd, "ok");
    mark_success(fd);
    fd->next_poll_ms = now + fd->interval_ms;
    nw_counter_add(fd->base.m.parsed, list.len);

    fd->batch = true;
    fd->batch_ok = true;
    if (set_str(&fd->batch_etag, r->etag) < 0 || set_str(&fd->batch_lm, r->last_modified) < 0)
        fd->batch_ok = false;
    int64_t now_wall = wall_s();
    uint64_t unchanged = 0, fresh = 0, changed = 0;
    nw_feed_state *listed = nw_feed_state_new();
    if (!listed) {
        nw_log_error("feed", "out of memory input=%s", fd->base.name);
        fd->batch_ok = false;
    }
    for (size_t i = 0; listed && i < list.len; i++) {
        fd_item *it = item_for_story(fd, env, list.items[i], now_wall, listed, &unchanged);
        if (!it)
            continue;
        if (it->changed)
            changed++;
        else
            fresh++;
        batch_push(fd, it);
    }
    nw_feed_state_free(listed);
    nw_story_list_free(&list);
    fd->stats.items_new += fresh;
    fd->stats.items_changed += changed;
    fd->stats.items_unchanged += unchanged;
    count_items(fd, "new", fresh);
    count_items(fd, "changed", changed);
    count_items(fd, "unchanged", unchanged);
    nw_log(fresh || changed ? NW_LOG_INFO : NW_LOG_DEBUG, "feed",
           "fetched input=%s url=%s status=%ld bytes=%zu ms=%lld new=%llu changed=%llu "
           "unchanged=%llu",
           fd->base.name, fd->url, r->status, r->body.len, (long long)r->elapsed_ms,
           (unsigned long long)fresh, (unsigned long long)changed, (unsigned long long)unchanged);
}

static void handle_result(nw_feed *fd, nw_input_env *env, nw_fetch_result *r, int64_t now)
{
    if (r->error != NW_FETCH_OK) {
        fetch_failed(fd, now, nw_fetch_error_name(r->error), "%s", r->message);
    } else if (r->status == 304) {
        count_fetch(fd, "not_modified");
        fd->stats.not_modified++;
        mark_success(fd);
        fd->next_poll_ms = now + fd->interval_ms;
        nw_log_debug("feed", "not modified input=%s url=%s", fd->base.name, fd->url);
    } else if (r->status < 200 || r->status > 299) {
        const char *reason = r->status >= 500   ? "http_5xx"
                             : r->status >= 400 ? "http_4xx"
                                                : "http_other";
        fetch_failed(fd, now, reason, "HTTP status %ld", r->status);
    } else {
        handle_ok(fd, env, r, now);
    }
}

static void start_fetch(nw_feed *fd, int64_t now)
{
    nw_fetch_req req = {.url = fd->url,
                        .etag = nw_feed_state_etag(fd->state),
                        .last_modified = nw_feed_state_last_modified(fd->state),
                        .user_agent = fd->user_agent,
                        .connect_timeout_ms = fd->connect_ms,
                        .timeout_ms = fd->timeout_ms,
                        .max_bytes = fd->max_bytes,
                        .max_redirects = fd->max_redirects};
    nw_err err = {0};
    if (nw_http_fetch_start(fd->http, &req, &err) < 0)
        fetch_failed(fd, now, "network", "%s", err.msg);
}

/* ------------------------------------------------------------------------ */
/* nw_input callbacks                                                       */
/* ------------------------------------------------------------------------ */

static int mkdirs(const char *path, nw_err *err)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return nw_err_set(err, NW_ELIMIT, "%s: path too long", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0750) < 0 && errno != EEXIST)
                return nw_err_set(err, NW_EIO, "%s: cannot create: %s", p, strerror(errno));
            *s = c;
            if (!c)
                break;
        }
    }
    return 0;
}

static int feed_start(nw_input *in, nw_input_env *env, nw_err *err)
{
    nw_feed *fd = (nw_feed *)in;
    size_t skipped = 0;
    if (mkdirs(fd->state_dir, err) < 0 ||
        nw_feed_state_path(fd->state_dir, fd->url, fd->state_path, sizeof fd->state_path, err) <
            0 ||
        nw_feed_state_load(fd->state_path, &fd->state, &skipped, err) < 0)
        return nw_err_prefix(err, "feed %s: ", in->name);
    if (!(fd->http = nw_http_fetch_new(err)))
        return nw_err_prefix(err, "feed %s: ", in->name);
    fd->metrics = env->metrics;
    fd->seen_reports = env->reports;
    fd->next_poll_ms = mono_ms(); /* first poll right away */
    fd->started = true;
    nw_log_info("feed",
                "polling input=%s url=%s interval_ms=%lld format=%s known_items=%zu "
                "state=%s",
                in->name, fd->url, (long long)fd->interval_ms, in->format,
                nw_feed_state_count(fd->state), fd->state_path);
    return 0;
}

static int feed_fd(const nw_input *in)
{
    const nw_feed *fd = (const nw_feed *)in;
    return fd->http ? nw_http_fetch_fd(fd->http) : -1;
}

static int64_t feed_wait_ms(const nw_input *in, const nw_input_env *env, int64_t now)
{
    const nw_feed *fd = (const nw_feed *)in;
    if (!fd->started)
        return -1;
    if (fd->batch) {
        if (env->reports != fd->seen_reports)
            return 0;
        for (const fd_item *it = fd->head; it; it = it->next)
            if (it->msg)
                return env->intake && nw_input_room(env) > 0 ? 0 : -1;
        return fd->nitems == 0 ? 0 : -1;
    }
    if (nw_http_fetch_busy(fd->http))
        return env->intake ? nw_http_fetch_wait_ms(fd->http, now) : 0;
    if (!env->intake)
        return -1;
    return fd->next_poll_ms > now ? fd->next_poll_ms - now : 0;
}

static int feed_run(nw_input *in, nw_input_env *env, int64_t now)
{
    nw_feed *fd = (nw_feed *)in;
    if (!fd->started)
        return 0;
    if (nw_http_fetch_busy(fd->http)) {
        if (!env->intake) {
            nw_http_fetch_cancel(fd->http);
            nw_log_info("feed", "fetch abandoned: intake stopped input=%s url=%s", in->name,
                        fd->url);
        } else {
            nw_fetch_result r;
            if (nw_http_fetch_run(fd->http, now, &r) == 1) {
                handle_result(fd, env, &r, mono_ms());
                nw_fetch_result_free(&r);
            }
        }
    }
    if (fd->batch) {
        if (env->intake)
            send_queued(fd, env);
        else
            drop_queued(fd);
        fd->seen_reports = env->reports;
        settle_finished(fd);
        if (fd->nitems == 0)
            batch_finish(fd);
    }
    if (!fd->batch && !nw_http_fetch_busy(fd->http) && env->intake && now >= fd->next_poll_ms)
        start_fetch(fd, now);
    /* a fast server may answer at once: serve it in this turn */
    if (nw_http_fetch_busy(fd->http) && nw_http_fetch_wait_ms(fd->http, mono_ms()) == 0) {
        nw_fetch_result r;
        if (nw_http_fetch_run(fd->http, mono_ms(), &r) == 1) {
            handle_result(fd, env, &r, mono_ms());
            nw_fetch_result_free(&r);
        }
    }
    return 0;
}

static size_t feed_in_flight(const nw_input *in)
{
    return ((const nw_feed *)in)->nitems;
}

static bool feed_ready(const nw_input *in)
{
    /* a feed whose server is down does not make the service unready: it is
     * counted and logged, and the other inputs go on */
    return ((const nw_feed *)in)->started;
}

static bool feed_same_source(const nw_input *in, const nw_input *fresh)
{
    const nw_feed *a = (const nw_feed *)in, *b = (const nw_feed *)fresh;
    return !strcmp(a->url, b->url) && !strcmp(a->state_dir, b->state_dir);
}

static void feed_adopt(nw_input *in, const nw_input *fresh_in)
{
    nw_feed *fd = (nw_feed *)in;
    const nw_feed *fresh = (const nw_feed *)fresh_in;
    if (set_str(&fd->category, fresh->category) < 0 ||
        set_str(&fd->timezone, fresh->timezone) < 0 ||
        set_str(&fd->user_agent, fresh->user_agent) < 0 || set_str(&in->name, fresh_in->name) < 0 ||
        set_str(&in->format, fresh_in->format) < 0)
        nw_log_error("feed", "out of memory on reload input=%s", fresh_in->name);
    if (fd->started && fresh->interval_ms < fd->interval_ms &&
        fd->next_poll_ms > mono_ms() + fresh->interval_ms)
        fd->next_poll_ms = mono_ms() + fresh->interval_ms;
    fd->interval_ms = fresh->interval_ms;
    fd->timeout_ms = fresh->timeout_ms;
    fd->connect_ms = fresh->connect_ms;
    fd->max_backoff_ms = fresh->max_backoff_ms;
    fd->keep_ms = fresh->keep_ms;
    fd->max_bytes = fresh->max_bytes;
    fd->keep_items = fresh->keep_items;
    fd->max_redirects = fresh->max_redirects;
}

static void feed_free(nw_input *in)
{
    nw_feed *fd = (nw_feed *)in;
    if (!fd)
        return;
    batch_clear(fd);
    if (fd->state) {
        save_state(fd); /* refreshed seen times; never an unacknowledged item */
        nw_feed_state_free(fd->state);
    }
    nw_http_fetch_free(fd->http);
    free(fd->url);
    free(fd->category);
    free(fd->timezone);
    free(fd->state_dir);
    free(fd->user_agent);
    nw_input_deinit(in);
    free(fd);
}

static const nw_input_ops feed_ops = {
    .kind = "feed",
    .start = feed_start,
    .fd = feed_fd,
    .wait_ms = feed_wait_ms,
    .run = feed_run,
    .in_flight = feed_in_flight,
    .ready = feed_ready,
    .same_source = feed_same_source,
    .adopt = feed_adopt,
    .free = feed_free,
};

void nw_feed_get_stats(const nw_input *in, nw_feed_stats *out)
{
    *out = ((const nw_feed *)in)->stats;
}

/* ------------------------------------------------------------------------ */
/* Construction and configuration                                           */
/* ------------------------------------------------------------------------ */

nw_input *nw_feed_new(const nw_feed_opts *o, nw_err *err)
{
    if (!o->name || !o->name[0] || !o->url || !o->url[0] || !o->state_dir || !o->state_dir[0]) {
        nw_err_set(err, NW_EINVAL, "feed: name, url and state_dir are required");
        return NULL;
    }
    nw_feed *fd = calloc(1, sizeof *fd);
    if (!fd) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    if (nw_input_init(&fd->base, &feed_ops, o->name, o->format ? o->format : "auto") < 0 ||
        set_str(&fd->url, o->url) < 0 || set_str(&fd->state_dir, o->state_dir) < 0 ||
        set_str(&fd->category, o->category && o->category[0] ? o->category : NULL) < 0 ||
        set_str(&fd->timezone, o->timezone && o->timezone[0] ? o->timezone : NULL) < 0 ||
        set_str(&fd->user_agent,
                o->user_agent && o->user_agent[0] ? o->user_agent : FD_DEFAULT_UA) < 0) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        feed_free(&fd->base);
        return NULL;
    }
    fd->interval_ms = o->interval_ms > 0 ? o->interval_ms : FD_DEFAULT_INTERVAL_MS;
    fd->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : FD_DEFAULT_TIMEOUT_MS;
    fd->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : FD_DEFAULT_CONNECT_MS;
    fd->max_backoff_ms = o->max_backoff_ms > 0 ? o->max_backoff_ms : FD_DEFAULT_BACKOFF_MS;
    fd->max_bytes = o->max_bytes ? o->max_bytes : FD_DEFAULT_MAX_BYTES;
    fd->max_redirects = o->max_redirects >= 0 ? o->max_redirects : 5;
    fd->keep_ms = o->state_max_age_ms > 0 ? o->state_max_age_ms : FD_DEFAULT_KEEP_MS;
    fd->keep_items = o->state_max_items ? o->state_max_items : FD_DEFAULT_KEEP_ITEMS;
    return &fd->base;
}

typedef struct feed_fields {
    const char *name, *url, *format, *category, *timezone, *state_dir, *user_agent;
    int64_t interval_ms, timeout_ms, connect_ms, backoff_ms, keep_ms;
    uint64_t max_bytes;
    int64_t max_redirects, keep_items;
} feed_fields;

static const nw_cfg_field feed_table[] = {
    {"name", NW_CFG_T_STRING, NULL, offsetof(feed_fields, name), 0, 0,
     "input name in logs and metrics (unique)"},
    {"url", NW_CFG_T_STRING, NULL, offsetof(feed_fields, url), 0, 0,
     "http:// or https:// URL of the RSS, Atom or JSON feed"},
    {"interval", NW_CFG_T_DURATION, "5m", offsetof(feed_fields, interval_ms), 0, 0,
     "how often the feed is polled"},
    {"format", NW_CFG_T_STRING, "auto", offsetof(feed_fields, format), 0, 0,
     "auto, rss, atom, jsonfeed (or any parser name)"},
    {"category", NW_CFG_T_STRING, "", offsetof(feed_fields, category), 0, 0,
     "category of items naming none"},
    {"timezone", NW_CFG_T_STRING, "UTC", offsetof(feed_fields, timezone), 0, 0,
     "zone of times written without one (IANA name or offset)"},
    {"timeout", NW_CFG_T_DURATION, "30s", offsetof(feed_fields, timeout_ms), 0, 0,
     "whole request, redirects included"},
    {"connect_timeout", NW_CFG_T_DURATION, "10s", offsetof(feed_fields, connect_ms), 0, 0,
     "TCP and TLS connection (never above timeout)"},
    {"max_size", NW_CFG_T_SIZE, "10MiB", offsetof(feed_fields, max_bytes), 0, 0,
     "largest response accepted, after decompression"},
    {"max_redirects", NW_CFG_T_INT, "5", offsetof(feed_fields, max_redirects), 0, 20,
     "redirects followed (http and https only)"},
    {"max_backoff", NW_CFG_T_DURATION, "1h", offsetof(feed_fields, backoff_ms), 0, 0,
     "longest wait between retries after errors (the delay doubles from interval)"},
    {"user_agent", NW_CFG_T_STRING, "", offsetof(feed_fields, user_agent), 0, 0,
     "User-Agent header (default newswire-producer/<version>)"},
    {"state_dir", NW_CFG_T_STRING, "", offsetof(feed_fields, state_dir), 0, 0,
     "directory of the seen-items file (default: feeds.state_dir)"},
    {"keep", NW_CFG_T_DURATION, "30d", offsetof(feed_fields, keep_ms), 0, 0,
     "forget items not seen in the feed for this long"},
    {"keep_items", NW_CFG_T_INT, "10000", offsetof(feed_fields, keep_items), 1, 10000000,
     "remember at most this many items per feed"},
    {NULL},
};

#define FD_DEFAULT_STATE_DIR "/var/lib/newswire/feeds"

typedef struct feeds_fields {
    const char *state_dir;
    const nw_cfg_node *sources;
} feeds_fields;

static const nw_cfg_field feeds_table[] = {
    {"state_dir", NW_CFG_T_STRING, FD_DEFAULT_STATE_DIR, offsetof(feeds_fields, state_dir), 0, 0,
     "directory of the per-feed seen-items files"},
    {"sources", NW_CFG_T_NODE, NULL, offsetof(feeds_fields, sources), 0, 0, "the list of feeds"},
    {NULL},
};

static bool http_url(const char *u)
{
    return (!strncasecmp(u, "http://", 7) && u[7]) || (!strncasecmp(u, "https://", 8) && u[8]);
}

static int feed_from_item(const nw_cfg_node *item, const char *state_dir, nw_input ***out,
                          size_t *n, size_t first, nw_err *err)
{
    feed_fields f = {0};
    if (nw_cfg_read(item, feed_table, &f, err) < 0)
        return err ? err->code : NW_EINVAL;
    if (!http_url(f.url))
        return nw_cfg_error(nw_cfg_get(item, "url"), err, NW_EINVAL,
                            "expected an http:// or https:// URL, got '%s'", f.url);
    if (strcmp(f.format, "auto") && !nw_parser_find(f.format))
        return nw_cfg_error(nw_cfg_get(item, "format"), err, NW_EINVAL, "unknown format '%s'",
                            f.format);
    nw_civil probe = {2024, 1, 1, 12, 0, 0};
    int64_t epoch;
    nw_err tzerr = {0};
    if (nw_time_from_civil(&probe, f.timezone, &epoch, &tzerr) < 0)
        return nw_cfg_error(nw_cfg_get(item, "timezone"), err, NW_EINVAL, "%s", tzerr.msg);
    if (f.interval_ms < 100)
        return nw_cfg_error(nw_cfg_get(item, "interval"), err, NW_EINVAL,
                            "expected at least 100ms");
    if (f.timeout_ms < 100)
        return nw_cfg_error(nw_cfg_get(item, "timeout"), err, NW_EINVAL, "expected at least 100ms");
    if (f.max_bytes < 1024)
        return nw_cfg_error(nw_cfg_get(item, "max_size"), err, NW_EINVAL, "expected at least 1KiB");
    if (f.keep_ms < 1000)
        return nw_cfg_error(nw_cfg_get(item, "keep"), err, NW_EINVAL, "expected at least 1s");
    const char *dir = f.state_dir[0] ? f.state_dir : state_dir;
    if (dir[0] != '/')
        return nw_cfg_error(f.state_dir[0] ? nw_cfg_get(item, "state_dir") : item, err, NW_EINVAL,
                            "state_dir: expected an absolute path, got '%s'", dir);
    nw_feed_opts o = {.name = f.name,
                      .url = f.url,
                      .format = f.format,
                      .category = f.category,
                      .timezone = f.timezone,
                      .state_dir = dir,
                      .user_agent = f.user_agent,
                      .interval_ms = f.interval_ms,
                      .timeout_ms = f.timeout_ms,
                      .connect_timeout_ms = f.connect_ms,
                      .max_backoff_ms = f.backoff_ms,
                      .max_bytes = (size_t)f.max_bytes,
                      .max_redirects = (long)f.max_redirects,
                      .state_max_age_ms = f.keep_ms,
                      .state_max_items = (size_t)f.keep_items};
    nw_input *in = nw_feed_new(&o, err);
    if (!in)
        return err ? err->code : NW_ENOMEM;
    nw_input **grown = realloc(*out, (*n + 1) * sizeof *grown);
    if (!grown) {
        in->ops->free(in);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    *out = grown;
    (*out)[(*n)++] = in;
    for (size_t j = first; j + 1 < *n; j++) {
        const nw_feed *a = (const nw_feed *)(*out)[j], *b = (const nw_feed *)in;
        if (!strcmp(a->base.name, b->base.name))
            return nw_cfg_error(nw_cfg_get(item, "name"), err, NW_EINVAL,
                                "feed name '%s' is used twice", b->base.name);
        if (!strcmp(a->url, b->url))
            return nw_cfg_error(nw_cfg_get(item, "url"), err, NW_EINVAL,
                                "url %s is already feed '%s'", b->url, a->base.name);
    }
    return 0;
}

int nw_feed_inputs_from_config(const nw_cfg_node *node, nw_input ***out, size_t *n, nw_err *err)
{
    if (!node || nw_cfg_kind_of(node) == NW_CFG_NULL)
        return 0;
    const char *state_dir = FD_DEFAULT_STATE_DIR;
    const nw_cfg_node *list = node;
    if (nw_cfg_kind_of(node) == NW_CFG_MAP) {
        feeds_fields ff = {0};
        if (nw_cfg_read(node, feeds_table, &ff, err) < 0)
            return err ? err->code : NW_EINVAL;
        if (ff.state_dir[0] != '/')
            return nw_cfg_error(nw_cfg_get(node, "state_dir"), err, NW_EINVAL,
                                "expected an absolute path, got '%s'", ff.state_dir);
        state_dir = ff.state_dir;
        list = ff.sources;
        if (nw_cfg_kind_of(list) == NW_CFG_NULL)
            return 0;
    }
    if (nw_cfg_kind_of(list) != NW_CFG_SEQ)
        return nw_cfg_error(list, err, NW_EINVAL,
                            "expected a list of feeds (or a map with state_dir and sources)");
    size_t first = *n;
    for (size_t i = 0; i < nw_cfg_len(list); i++) {
        int rc = feed_from_item(nw_cfg_item(list, i), state_dir, out, n, first, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
