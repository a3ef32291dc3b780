/*
 * nw_dedup_sync — shares fingerprints between every dedup instance through
 * one Kafka topic (default newswire.dedup.fingerprints; key = story uri,
 * value = one JSON fingerprint, created with cleanup.policy=compact when it
 * is missing — librdkafka's mock broker accepts and ignores that). Each
 * instance has its own idempotent producer and its own consumer with no
 * group: it assigns every partition from the beginning, reads to the end at
 * start (catch_up) and then whatever is new each time poll() is called, and
 * hands every fingerprint (its own included) to a callback. No other
 * network protocol and no database: the topic is the shared, durable state.
 */
#ifndef NW_DEDUP_SYNC_H
#define NW_DEDUP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "nw_dedup_index.h"
#include "nw_err.h"

typedef struct nw_dedup_sync nw_dedup_sync;

/* Called for every fingerprint read; fp and its strings are borrowed. */
typedef void (*nw_dedup_sync_fn)(void *ctx, const nw_dedup_fp *fp);

/* kv[0..n): librdkafka properties ("bootstrap.servers", "127.0.0.1:9092",
 * ...), set on both clients. `partitions` is used only when the topic has
 * to be created. Caller frees with nw_dedup_sync_free. */
int nw_dedup_sync_new(const char *const *kv, size_t n, const char *topic, int partitions,
                      nw_dedup_sync_fn fn, void *ctx, nw_dedup_sync **out, nw_err *err);
void nw_dedup_sync_free(nw_dedup_sync *s);

/* Read until every partition reached its end (as of the call), at most
 * timeout_ms. Returns 0, or NW_ERETRY when the time ran out. */
int nw_dedup_sync_catch_up(nw_dedup_sync *s, int timeout_ms, nw_err *err);

/* Hand whatever has arrived to the callback, waiting at most wait_ms for
 * the first message. Returns the number of fingerprints read. */
size_t nw_dedup_sync_poll(nw_dedup_sync *s, int wait_ms);

/* Queue one fingerprint (the Kafka send is asynchronous). */
int nw_dedup_sync_publish(nw_dedup_sync *s, const nw_dedup_fp *fp, nw_err *err);

/* Wait until every queued fingerprint is acknowledged (timeout_ms). Returns
 * 0, NW_ERETRY (not all acknowledged yet) or NW_EKAFKA (a delivery failed:
 * the failed count is reset so the caller's retry covers new ones only). */
int nw_dedup_sync_flush(nw_dedup_sync *s, int timeout_ms, nw_err *err);

/* Encode / decode the JSON value of a fingerprint message (for tests and
 * tools). encode returns a malloc'd string; decode fills *fp with pointers
 * into the returned json_t (the caller json_decref()s it after use). */
char *nw_dedup_fp_encode(const nw_dedup_fp *fp);
struct json_t;
struct json_t *nw_dedup_fp_decode(const void *buf, size_t len, nw_dedup_fp *fp);

typedef struct nw_dedup_sync_stats {
    uint64_t published, delivered, delivery_failures;
    uint64_t read, undecodable;
} nw_dedup_sync_stats;
nw_dedup_sync_stats nw_dedup_sync_get_stats(const nw_dedup_sync *s);

#endif
