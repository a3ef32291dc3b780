/*
 * nw_feed — the RSS/Atom/JSON Feed input: one URL polled on its own interval
 * (nw_http_fetch: conditional GET, timeouts, bounded redirects, gzip, size
 * limit), parsed with nw_parse_buffer, and each item published when it is
 * new or changed. Items are tracked by uri AND content hash in a per-feed
 * state file (nw_feed_state): an unchanged item is not sent again; a changed
 * one is sent as a new version (same uri, version + 1, versionCreated = now
 * unless the feed gives a newer one).
 *
 * Nothing lost: an item is recorded as seen only after Kafka acknowledged
 * every message made from it, and the HTTP validators (ETag/Last-Modified)
 * are kept only when every item of that response was delivered, so a crash
 * or a failed delivery means the item is sent again at the next poll, never
 * skipped. While one response's items are in flight the feed is not polled.
 * Fetch errors (transport, HTTP 4xx/5xx, malformed feed) are logged with the
 * URL, counted per feed and retried with exponential backoff; they never
 * stop the service or other inputs. Single-threaded (the service's loop).
 */
#ifndef NW_FEED_H
#define NW_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"
#include "nw_input.h"

typedef struct nw_feed_opts {
    const char *name;           /* input name (metrics, logs); required */
    const char *url;            /* http:// or https://; required */
    const char *format;         /* "auto", "rss", "atom", "jsonfeed"... (NULL = "auto") */
    const char *category;       /* default category for items naming none; may be NULL */
    const char *timezone;       /* zone of times written without one; NULL = UTC */
    const char *state_dir;      /* where the seen-items file lives; required */
    const char *user_agent;     /* NULL = "newswire-producer/<version> (feed poller)" */
    int64_t interval_ms;        /* poll interval; <= 0 = 5 min */
    int64_t timeout_ms;         /* whole request; <= 0 = 30 s */
    int64_t connect_timeout_ms; /* <= 0 = 10 s (never above timeout) */
    int64_t max_backoff_ms;     /* cap of the retry delay after errors; <= 0 = 1 h */
    size_t max_bytes;           /* response (decoded) size limit; 0 = 10 MiB */
    long max_redirects;         /* < 0 = 5 */
    int64_t state_max_age_ms;   /* forget items not seen for this long; <= 0 = 30 days */
    size_t state_max_items;     /* and keep at most this many; 0 = 10000 */
} nw_feed_opts;

/* A feed input (not started). Copies every string. */
nw_input *nw_feed_new(const nw_feed_opts *opts, nw_err *err);

/* Counters of one feed input since it started, for tests and diagnostics. */
typedef struct nw_feed_stats {
    uint64_t fetches;         /* requests completed (any outcome) */
    uint64_t not_modified;    /* 304 answers */
    uint64_t errors;          /* transport, HTTP and parse errors */
    uint64_t items_new;       /* items sent for the first time */
    uint64_t items_changed;   /* items sent again as a new version */
    uint64_t items_unchanged; /* items skipped: already sent with this content */
    uint64_t items_done;      /* items whose every message was acknowledged */
    uint64_t items_failed;    /* items that failed (refused, delivery failed) */
    unsigned consecutive_failures;
    char last_error[256]; /* "" when the last fetch went well */
} nw_feed_stats;

/* `in` must be a feed input. */
void nw_feed_get_stats(const nw_input *in, nw_feed_stats *out);

/* nw_input_kind_fn for the `feeds` config key. Either a list of feeds, or a
 * map holding shared settings and the list:
 *   feeds:
 *     state_dir: /var/lib/newswire/feeds   (default; per feed overrides)
 *     sources:
 *       - name: bbc-world                    (required, unique)
 *         url: https://feeds.bbci.co.uk/news/world/rss.xml   (required, unique)
 *         interval: 5m          format: auto          category: World
 *         timeout: 30s          connect_timeout: 10s  max_size: 10MiB
 *         max_redirects: 5      max_backoff: 1h       timezone: UTC
 *         user_agent: "..."     state_dir: ...        keep: 30d   keep_items: 10000
 * Validation only: nothing is fetched or written. */
int nw_feed_inputs_from_config(const nw_cfg_node *node, nw_input ***out, size_t *n, nw_err *err);

#endif
