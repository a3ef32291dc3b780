/*
 * nw_kafka — small Kafka helpers shared by the producer and the consumer:
 * building an rd_kafka_conf_t from `kafka.*` config keys, the topic naming
 * rules, the message header contract, a producer's topic-handle table, and
 * the embedded broker (librdkafka's mock cluster) used by the demo and the
 * tests.
 *
 * Header contract (docs/architecture.md "The message"): every message
 * the producer writes carries these headers; consumers keep them and add
 * their own on what they forward.
 */
#ifndef NW_KAFKA_H
#define NW_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdbool.h>
#include <stddef.h>

#include "nw_config.h"
#include "nw_err.h"

/* Message headers written by the producer. */
#define NW_HDR_SCHEMA       "nw-schema"      /* "ninjs/3.1" */
#define NW_HDR_PROVIDER     "nw-provider"    /* e.g. "AFP"; absent when unknown */
#define NW_HDR_CONTENT_TYPE "content-type"   /* "application/json" */
#define NW_HDR_INGEST_TIME  "nw-ingest-time" /* RFC 3339 UTC with milliseconds */
#define NW_HDR_TRACE_ID     "nw-trace-id"    /* 32 hex digits, one per input story */
#define NW_HDR_ORIGIN       "nw-origin"      /* the input it came from (file path, feed URL) */

#define NW_SCHEMA_VERSION    "ninjs/3.1"
#define NW_CONTENT_TYPE_JSON "application/json"

/* Default topic prefixes. */
#define NW_TOPIC_PREFIX_NEWS     "news."
#define NW_TOPIC_PREFIX_ENRICHED "enriched."
#define NW_TOPIC_DLQ             "news.dlq"

/* Kafka's limit on the length of a topic name. */
#define NW_TOPIC_NAME_MAX 249

/* Partition count of `topic` as the cluster rk talks to sees it: > 0, 0
 * when the topic does not exist, or NW_EKAFKA (negative) with err when the
 * metadata request failed (timeout_ms). */
int nw_kafka_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, nw_err *err);

/* Create `topic` with `partitions` partitions and cleanup.policy=compact
 * (a topic that keeps the latest record per key: shared state such as the
 * dedup fingerprints or the forward hold). An existing topic is fine.
 * 0, or NW_EINVAL / NW_EKAFKA with err. */
int nw_kafka_create_compacted_topic(rd_kafka_t *rk, const char *topic, int partitions, nw_err *err);

/* Write "<prefix><slug>" into out (size outlen); NW_ELIMIT if it does not fit
 * or exceeds Kafka's 249-character topic limit; NW_EINVAL for an empty slug or
 * a character Kafka refuses (only ASCII letters, digits, '.', '_', '-'). prefix
 * NULL means "". */
int nw_kafka_topic_name(const char *prefix, const char *slug, char *out, size_t outlen,
                        nw_err *err);

/* The category slug of a topic: "news.mid-east" with prefix "news." -> "mid-east".
 * Returns a pointer into topic, or NULL when the prefix does not match. */
const char *nw_kafka_topic_category(const char *topic, const char *prefix);

/* Topic handles of one producer, created on first use and kept until
 * nw_kafka_topics_clear/free. Producing by handle skips librdkafka's lookup
 * by name per message, and rd_kafka_topic_new() asks for the topic's metadata
 * at once: a topic first named in rd_kafka_producev(RD_KAFKA_V_TOPIC) waits
 * for librdkafka's periodic topic scan (up to a second) before its first
 * message can go out. One handle per topic ever sent to (librdkafka keeps a
 * topic object for each anyway). Not thread-safe: one thread uses a table. */
typedef struct nw_kafka_topics nw_kafka_topics;

/* Empty table; NULL when out of memory. Caller frees with nw_kafka_topics_free. */
nw_kafka_topics *nw_kafka_topics_new(void);
/* The handle of topic `name` on producer rk, borrowed: valid until the table
 * is cleared or freed. NULL when librdkafka refuses the topic or memory runs
 * out, with *why (may be NULL) set to the reason (never NO_ERROR or
 * QUEUE_FULL, so a caller never takes it for back-pressure). Every handle of
 * a table belongs to the rk of its first call: clear the table before that
 * rk is destroyed and before using it with another one. */
rd_kafka_topic_t *nw_kafka_topics_get(nw_kafka_topics *tbl, rd_kafka_t *rk, const char *name,
                                      rd_kafka_resp_err_t *why);
/* Destroy every handle (call before rd_kafka_destroy of their producer). */
void nw_kafka_topics_clear(nw_kafka_topics *tbl);
/* Clear and free; NULL is a no-op. */
void nw_kafka_topics_free(nw_kafka_topics *tbl);

/* New rd_kafka_conf_t with newswire's defaults (client.id "newswire", librdkafka
 * logs routed to nw_log), then every scalar under the config map `kafka` (may
 * be NULL) set verbatim ("kafka.acks: all" -> "acks"="all"; nested maps flatten
 * with dots; a list of scalars is joined with ','), then bootstrap.servers from
 * `brokers` when non-NULL. Errors name the key and its line ("line 7:
 * kafka.acks: ..."). Caller owns the result (pass it to rd_kafka_new, which
 * takes ownership on success). */
rd_kafka_conf_t *nw_kafka_conf_new(const nw_cfg_node *kafka_map, const char *brokers, nw_err *err);

/* Set one property; err names the key ("kafka.acks: ...") and never shows the
 * value of a credential (password, secret, token, key material). */
int nw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, nw_err *err);

/* librdkafka's first rd_kafka_new() in a process initializes Cyrus SASL,
 * which loads every plugin in the system's sasl2 directory (eight libraries
 * and libdb on Debian: 3-6 ms of start-up and their memory), though only a
 * GSSAPI (Kerberos) login through security.protocol sasl_plaintext or
 * sasl_ssl uses them: PLAIN, SCRAM and OAUTHBEARER are built into
 * librdkafka. Unless conf's security.protocol is a SASL one or SASL_PATH is
 * already set, this sets SASL_PATH to "" (no plugin directory). Returns true
 * when it did. Call it before the process's first rd_kafka_new() and before
 * it starts threads (it calls setenv). */
bool nw_kafka_skip_sasl_plugins(const rd_kafka_conf_t *conf);

/* Embedded broker: librdkafka's mock cluster on 127.0.0.1 (random ports).
 *
 * Known limits of the mock in librdkafka 2.0.2 (see deploy/BROKER.md): it keeps
 * about 5 MB per partition and silently drops older data; a consumer group
 * rebalance takes about session.timeout.ms; aborted transactions are not
 * filtered; topics auto-created by a client always get 4 partitions (2.0.2 has
 * no call to change that), so create topics that need another count with
 * nw_broker_create_topic() before clients use them. A consumer subscribed by
 * regex sees a new topic at its next metadata refresh
 * (topic.metadata.refresh.interval.ms). */
typedef struct nw_broker nw_broker;

#define NW_BROKER_MAX_BROKERS    16
#define NW_BROKER_MAX_PARTITIONS 1024

/* Start a mock cluster with `broker_count` brokers (1..16); `partitions`
 * (1..1024) is the count nw_broker_create_topic uses by default. Caller frees
 * with nw_broker_free. */
nw_broker *nw_broker_new(int broker_count, int partitions, nw_err *err);
/* Create `topic` with `partitions` (<= 0: the broker's default). Fails with
 * NW_EKAFKA when the topic already exists. */
int nw_broker_create_topic(nw_broker *broker, const char *topic, int partitions, nw_err *err);
/* "127.0.0.1:PORT[,...]"; borrowed, valid while the broker lives. */
const char *nw_broker_bootstrap(const nw_broker *broker);
/* The mock cluster handle, for tests that inject faults. */
rd_kafka_mock_cluster_t *nw_broker_cluster(nw_broker *broker);
void nw_broker_free(nw_broker *broker);

#endif
