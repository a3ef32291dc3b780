/*
 * nw_os_sink — the OpenSearch / Elasticsearch story sink
 * (docs/opensearch-sink.md): stories indexed through the `_bulk` API with
 * `_id` = uri and `version_type=external`, so that the engine itself
 * rejects a stale or replayed version (409) whatever the arrival order.
 *
 * Owns: the HTTP client (libcurl), the request bodies of one batch, the
 * retry of single items. Never: resends an item the engine accepted,
 * deletes a document (a kill is indexed as a content-free canceled
 * document whose external version outranks every non-kill), holds more
 * than one request body (max_bytes) at a time.
 *
 * Per item: 2xx written; 409 stale (counted, skipped); 429 and 5xx retried
 * alone with jittered exponential back-off; other 4xx refused with the
 * engine's reason (dead letter). A request that failed as a whole
 * (connection, timeout, 5xx or 429 for the request) is sent again whole.
 * Not thread-safe: one sink per thread.
 */
#ifndef NW_OS_SINK_H
#define NW_OS_SINK_H

#include <jansson.h>
#include <stdint.h>

#include "nw_err.h"
#include "nw_story_state.h"

typedef struct nw_os_sink nw_os_sink;

typedef struct nw_os_options {
    const char *urls;      /* one or more base URLs, comma-separated (tried in turn) */
    const char *index;     /* name, or a pattern with {category} and {date} (YYYY.MM.DD) */
    const char *username;  /* basic auth, with password */
    const char *password;  /* from the plugin's password_env / password_file */
    const char *api_key;   /* "Authorization: ApiKey <api_key>" instead of basic */
    const char *ca_path;   /* CA bundle for TLS, NULL = system */
    int insecure;          /* 1 = do not verify TLS peers (tests only) */
    int gzip;              /* compress request bodies */
    long timeout_ms;       /* per request (default 30000) */
    size_t max_bytes;      /* largest request body (default 5 MiB) */
    long retry_initial_ms; /* item back-off start (default 100) */
    long retry_max_ms;     /* item back-off cap (default 5000) */
    long retry_budget_ms;  /* give up a write after this long: NW_ERETRY (default 60000) */
} nw_os_options;

typedef struct nw_os_item {
    const json_t *story;  /* borrowed for the call */
    const char *uri;      /* when the story has none (the message key), may be NULL */
    const char *category; /* for {category}, may be NULL */
    /* the story's JSON text as the chain shares it (nw_plugin_api.text),
     * borrowed for the call: sent as the document when it is one line;
     * NULL, or more than one line: the sink serializes the story itself */
    const char *text;
    size_t text_len;
} nw_os_item;

typedef enum nw_os_result {
    NW_OS_PENDING = -1, /* not settled yet (only inside a write that failed) */
    NW_OS_WRITTEN = 0,
    NW_OS_STALE = 1,   /* 409: the engine holds this version or a newer one (or a kill) */
    NW_OS_REFUSED = 2, /* a 4xx for the item, or a bad story: dead-letter it */
} nw_os_result;

typedef struct nw_os_outcome {
    nw_os_result result;
    nw_story_skip skip; /* NW_OS_STALE: older, the same version, or after a kill */
    int status;         /* the item's HTTP status, 0 when refused before sending */
    char reason[256];   /* NW_OS_REFUSED: the engine's error type and reason */
} nw_os_outcome;

typedef struct nw_os_stats {
    uint64_t written, stale, refused;
    uint64_t skipped_older, skipped_same, skipped_killed; /* the stale ones, by reason */
    uint64_t requests;                                    /* _bulk requests answered */
    uint64_t request_fails; /* requests that failed whole (sent again) */
    uint64_t item_retries;  /* items sent again after a 429 or 5xx */
} nw_os_stats;

/* Check the options and reach the cluster (GET /). NW_EINVAL: bad options
 * or credentials refused (401/403); NW_ERETRY: not reachable now. */
int nw_os_sink_open(const nw_os_options *opts, nw_os_sink **out, nw_err *err);

/* Index n stories. out[i] must be NW_OS_PENDING for the items to send; the
 * others are left alone, so a caller retrying after NW_ERETRY passes the
 * outcomes back and settled items are not sent again. Returns 0 when every
 * item settled, NW_ERETRY when the retry budget ran out (some still
 * PENDING), NW_ENOMEM. */
int nw_os_sink_write(nw_os_sink *s, const nw_os_item *items, size_t n, nw_os_outcome *out,
                     nw_err *err);

/* Does the cluster answer (GET / on the nodes in turn, at most 5 s each)?
 * 0; NW_EINVAL when the credentials are refused (401/403); NW_ERETRY with
 * err naming the node and what failed. */
int nw_os_sink_check(nw_os_sink *s, nw_err *err);

/* Install an index template (a JSON text) as _index_template/<name>. */
int nw_os_sink_put_template(nw_os_sink *s, const char *name, const char *json, nw_err *err);

/* For the benchmark's ceiling: the NDJSON `_bulk` body a write of these n
 * stories sends (all in one request), malloc'd with its length in *len, and
 * the request's path (static). NULL when out of memory or a story is
 * refused before sending. */
char *nw_os_sink_bulk_body(nw_os_sink *s, const nw_os_item *items, size_t n, size_t *len);
const char *nw_os_sink_bulk_path(void);

void nw_os_sink_close(nw_os_sink *s);
nw_os_stats nw_os_sink_stats(const nw_os_sink *s);

/* The external version of a story: kills above every non-kill (a kill stays
 * final), then the numeric version, then versionCreated in 10 ms steps.
 * Monotonic in the ordering rule for stories that all carry a number or all
 * lack one. 0 when nothing orders the story. */
uint64_t nw_os_external_version(const json_t *story);

#endif
