/*
 * nw_testkafka — reading topics back in tests: every message of a topic from
 * the beginning, and a message's headers as strings. Errors are returned,
 * not asserted, so callers assert with their own context.
 */
#ifndef NW_TESTKAFKA_H
#define NW_TESTKAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#define NW_TEST_TOPIC_MAX 256

/* Messages read back; owned until nw_test_topic_free. */
typedef struct nw_test_topic {
    rd_kafka_message_t *m[NW_TEST_TOPIC_MAX];
    int n;
    rd_kafka_t *rk;
} nw_test_topic;

/* Every message of `topic` (all partitions, from the beginning): reads until
 * `want` arrived, then about half a second longer to catch extra (duplicate)
 * messages, or until ~timeout_ms passed. Returns 0 (out->n may still be
 * below want), or -1 with a message in err; out is always freeable. */
int nw_test_read_topic(const char *bootstrap, const char *topic, int want, int timeout_ms,
                       nw_test_topic *out, char *err, size_t errlen);
void nw_test_topic_free(nw_test_topic *t);

/* fn(m, ctx) for every message of the topic named `topic` (or, with
 * `prefix`, of every topic whose name starts with it), all partitions from
 * the beginning, until each partition's end or ~timeout_ms. m is borrowed for
 * the call. Returns how many messages fn saw (0 when no topic matches a
 * prefix), or -1 with a message in err (also when an exact topic is absent). */
typedef void (*nw_test_message_fn)(const rd_kafka_message_t *m, void *ctx);
long nw_test_read_to_end(const char *bootstrap, const char *topic, bool prefix, int timeout_ms,
                         nw_test_message_fn fn, void *ctx, char *err, size_t errlen);

/* The last value of header `name` copied into buf as a string, or NULL. */
const char *nw_test_header(rd_kafka_message_t *m, const char *name, char *buf, size_t len);

#endif
