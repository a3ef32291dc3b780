/*
 * nw_feed_state — what a feed input remembers across restarts: for every item
 * it has delivered, the item's uri, a hash of its content, the version it was
 * sent as and when it was last seen in the feed; plus the feed's HTTP
 * validators (ETag, Last-Modified) of the last fully delivered fetch.
 *
 * One small file per feed, JSON lines (a header line, then one line per
 * item), replaced atomically: written to a temp file, fsync'd, renamed over
 * the old one, directory fsync'd. A damaged line is skipped with a warning
 * (the item is then sent again: at-least-once, never lost). Bounded by
 * nw_feed_state_prune (age and count). Never records anything by itself: the
 * feed input calls put() only after Kafka acknowledged the item.
 */
#ifndef NW_FEED_STATE_H
#define NW_FEED_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_err.h"

typedef struct nw_feed_state nw_feed_state;

/* One remembered item. Strings borrowed from the state; valid until the entry
 * is replaced, pruned or the state freed. */
typedef struct nw_feed_seen {
    const char *uri;
    uint64_t hash;               /* content hash of the version sent */
    unsigned version;            /* ninjs version it was sent as (1, 2, ...) */
    const char *version_created; /* RFC 3339 UTC it was sent with; may be NULL */
    int64_t seen;                /* epoch seconds it was last seen in the feed */
} nw_feed_seen;

/* Empty state; NULL when out of memory. */
nw_feed_state *nw_feed_state_new(void);
void nw_feed_state_free(nw_feed_state *st);

/* "<dir>/feed-<16 hex digits of a hash of url>.jsonl" into out (size len):
 * the state follows the feed's URL, not its name, so renaming a feed keeps
 * it. NW_ELIMIT when it does not fit. */
int nw_feed_state_path(const char *dir, const char *url, char *out, size_t len, nw_err *err);

/* Read the file at `path` into a new state (*out, caller frees). A missing
 * file gives an empty state. Damaged lines are skipped and counted in
 * *skipped (may be NULL), each logged as a warning naming path and line.
 * NW_EIO when the file exists but cannot be read. */
int nw_feed_state_load(const char *path, nw_feed_state **out, size_t *skipped, nw_err *err);

/* Write the state to `path` atomically (temp + fsync + rename + directory
 * fsync). `feed` and `url` go into the header line for people reading it
 * (may be NULL). Clears the dirty flag on success. */
int nw_feed_state_save(nw_feed_state *st, const char *path, const char *feed, const char *url,
                       nw_err *err);

/* The item with this uri, or NULL. */
const nw_feed_seen *nw_feed_state_get(const nw_feed_state *st, const char *uri);

/* Record (insert or replace) an item. version_created may be NULL. Copies.
 * 0 or NW_ENOMEM. */
int nw_feed_state_put(nw_feed_state *st, const char *uri, uint64_t hash, unsigned version,
                      const char *version_created, int64_t seen);

/* Note that a known item is still in the feed (keeps it from ageing out).
 * False when the uri is unknown. */
bool nw_feed_state_touch(nw_feed_state *st, const char *uri, int64_t seen);

/* Forget items last seen before `older_than` (epoch seconds; 0 = no age
 * limit), then the least recently seen beyond `max_items` (0 = no count
 * limit). Returns how many were forgotten. */
size_t nw_feed_state_prune(nw_feed_state *st, int64_t older_than, size_t max_items);

size_t nw_feed_state_count(const nw_feed_state *st);
/* True when something changed since the last load or save. */
bool nw_feed_state_dirty(const nw_feed_state *st);

/* The validators of the last fully delivered fetch; NULL when none.
 * Borrowed. */
const char *nw_feed_state_etag(const nw_feed_state *st);
const char *nw_feed_state_last_modified(const nw_feed_state *st);
/* Replace both (NULL clears one). 0 or NW_ENOMEM. */
int nw_feed_state_set_validators(nw_feed_state *st, const char *etag, const char *last_modified);

#endif
