/*
 * nw_publish — the producer's publishing core: one nw_story in, one ninjs
 * JSON message per category topic out, counted until Kafka acknowledges it.
 *
 * Contract (docs/architecture.md "Delivery"): an idempotent producer (acks=all);
 * a full local queue means poll and retry, never drop; a message counts as
 * done only when its delivery report says so. The serialized story is made
 * once and reused for every topic. Used by `newswire-producer --once` and by
 * the spool/feed service, which tracks each input through a ticket.
 * Single-threaded: delivery reports are served from the caller's thread
 * inside publish/drain; nothing here is safe to call from two threads.
 */
#ifndef NW_PUBLISH_H
#define NW_PUBLISH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_err.h"
#include "nw_story.h"

/* Category slug used for stories that have none: topic "news.uncategorized". */
#define NW_PUBLISH_UNCATEGORIZED "uncategorized"
/* A story is routed to at most this many category topics. */
#define NW_PUBLISH_MAX_TOPICS 32

typedef struct nw_publish_ticket nw_publish_ticket;

/* Observer of every delivery report (after the ticket was updated): `kerr` is
 * the librdkafka error (0 = acknowledged), latency_us the time from send to
 * report (-1 when unknown). Runs on the thread that polls the publisher. */
typedef void (*nw_publish_delivery_fn)(void *ctx, nw_publish_ticket *ticket, const char *topic,
                                       int kerr, int64_t latency_us);

typedef struct nw_publish_opts {
    const char *topic_prefix;           /* NULL = NW_TOPIC_PREFIX_NEWS ("news.") */
    const char *uncategorized;          /* NULL = NW_PUBLISH_UNCATEGORIZED */
    nw_publish_delivery_fn on_delivery; /* may be NULL */
    void *on_delivery_ctx;              /* borrowed; must outlive the publisher */
} nw_publish_opts;

/* Per-input delivery accounting (one file, one feed item). The caller owns it
 * and must keep it alive until the publisher has been drained: delivery
 * reports update it. Zero-initialise before use; nw_publish_ticket_clear
 * before it is reused or freed. An input is done when acked == sent and
 * failed == 0. Thousands are alive at once (one per file in flight), so
 * the error text is allocated only when there is one. */
struct nw_publish_ticket {
    size_t sent;       /* messages handed to librdkafka */
    size_t acked;      /* successful delivery reports */
    size_t failed;     /* failed delivery reports or refused sends */
    size_t refused;    /* of `failed`, sends refused up front (never in `sent`) */
    char *first_error; /* the first failure (malloc'd by the publisher), NULL when none */
};

/* Free the ticket's error text and zero it. */
void nw_publish_ticket_clear(nw_publish_ticket *t);

/* The first failure, "" when none. Borrowed from the ticket. */
static inline const char *nw_publish_ticket_error(const nw_publish_ticket *t)
{
    return t->first_error ? t->first_error : "";
}

/* Messages of the ticket still waiting for a delivery report. */
static inline size_t nw_publish_ticket_outstanding(const nw_publish_ticket *t)
{
    return t->sent - t->acked - (t->failed - t->refused);
}

/* Totals over the publisher's life. */
typedef struct nw_publish_counts {
    size_t stories;  /* stories sent (each to one or more topics) */
    size_t messages; /* messages handed to librdkafka */
    size_t acked;
    size_t failed;
    size_t pending; /* still waiting for a delivery report */
} nw_publish_counts;

typedef struct nw_publisher nw_publisher;

/* A story serialized and routed, ready to send: lets a caller prepare every
 * story of an input before sending any of them. */
typedef struct nw_outmsg nw_outmsg;

/* New publisher on `conf`. Sets enable.idempotence=true, acks=all and the
 * delivery report callback on it (a conf that contradicts them is refused).
 * Takes ownership of conf on success only. opts may be NULL. */
nw_publisher *nw_publisher_new(rd_kafka_conf_t *conf, const nw_publish_opts *opts, nw_err *err);
/* What nw_publisher_new refuses in a configuration (acks weaker than all),
 * for a config check before anything starts. 0 or NW_EINVAL. */
int nw_publisher_check_conf(const rd_kafka_conf_t *conf, nw_err *err);
/* Destroys the producer without waiting: drain first. NULL accepted. */
void nw_publisher_free(nw_publisher *pub);

/* Serialize `story` (nw_ninjs_dumps) and compute its topics and headers.
 * `origin` (a path or URL, may be NULL) goes into the nw-origin header.
 * Fails with NW_EINVAL for a story without uri or a category that makes no
 * valid topic name. Caller frees with nw_outmsg_free. */
nw_outmsg *nw_publisher_prepare(nw_publisher *pub, const nw_story *story, const char *origin,
                                nw_err *err);
/* Same, but to exactly the given topics (1..NW_PUBLISH_MAX_TOPICS, checked
 * and de-duplicated) instead of <prefix><category-slug>: for callers with
 * their own routing rules (nw_route). */
nw_outmsg *nw_publisher_prepare_to(nw_publisher *pub, const nw_story *story, const char *origin,
                                   const char *const *topics, size_t ntopics, nw_err *err);
/* Same as nw_publisher_prepare_to, for a story the caller serialized
 * already (nw_ninjs_dumps of this very story, e.g. on another thread):
 * `json` (malloc'd, NUL-terminated, json_len bytes) is taken over in every
 * case, also on failure. json NULL serializes here. */
nw_outmsg *nw_publisher_prepare_to_json(nw_publisher *pub, const nw_story *story, char *json,
                                        size_t json_len, const char *origin,
                                        const char *const *topics, size_t ntopics, nw_err *err);
void nw_outmsg_free(nw_outmsg *msg);
/* The topics a prepared message goes to; *n receives the count. Borrowed. */
const char *const *nw_outmsg_topics(const nw_outmsg *msg, size_t *n);
/* The ninjs JSON value. Borrowed. */
const char *nw_outmsg_json(const nw_outmsg *msg);
/* Bytes of the value; the story uri (the key, borrowed). */
size_t nw_outmsg_json_len(const nw_outmsg *msg);
const char *nw_outmsg_key(const nw_outmsg *msg);
/* Approximate size of one Kafka record of this message (value + key +
 * headers), to compare with a topic's max message size. */
size_t nw_outmsg_record_size(const nw_outmsg *msg);

/* Queue `msg` to each of its topics (key = uri, headers per nw_kafka.h).
 * Blocks (serving delivery reports) while librdkafka's queue is full; never
 * drops. `ticket` (may be NULL) is updated now and by later delivery reports.
 * Returns negative when a message was refused outright (too large, fatal
 * producer error); those count as failed, the others stay queued. The
 * serialized value is handed to librdkafka by the last send: msg is spent
 * afterwards (nw_outmsg_json is NULL) and is only good for nw_outmsg_free. */
int nw_publisher_send(nw_publisher *pub, nw_outmsg *msg, nw_publish_ticket *ticket, nw_err *err);

/* prepare + send + free. */
int nw_publisher_publish(nw_publisher *pub, const nw_story *story, const char *origin,
                         nw_publish_ticket *ticket, nw_err *err);

/* Open `topic` now (its handle is kept for the sends), so that librdkafka
 * asks the cluster for its partitions and leaders while the caller is still
 * starting, not at the first message. 0, or negative with err when
 * librdkafka refuses the name. */
int nw_publisher_warm(nw_publisher *pub, const char *topic, nw_err *err);

/* Serve delivery reports without blocking (call now and then in a loop). */
void nw_publisher_poll(nw_publisher *pub);

/* Wait up to timeout_ms (< 0 = until every message has a report; bounded by
 * message.timeout.ms) for every queued message, then fill *counts (may be
 * NULL). Returns 0 when nothing is pending and nothing ever failed, NW_ERETRY
 * when messages are still pending, NW_EKAFKA when some failed (err says the
 * first failure). */
int nw_publisher_drain(nw_publisher *pub, int timeout_ms, nw_publish_counts *counts, nw_err *err);

/* Current totals. */
void nw_publisher_counts(const nw_publisher *pub, nw_publish_counts *counts);

/* Messages handed to librdkafka that have no delivery report yet. */
size_t nw_publisher_pending(const nw_publisher *pub);

/* The librdkafka handle, borrowed (for metadata probes, queue lengths and
 * wake-up fds); do not poll it behind the publisher's back from another thread. */
rd_kafka_t *nw_publisher_rk(nw_publisher *pub);

#endif
