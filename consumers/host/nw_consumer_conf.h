/*
 * nw_consumer_conf — the consumer's own settings (the top level of its file
 * and its batch, retry and http sections), declared as config-map tables of
 * the same kind a plugin declares (nw_plugin_config_entry) and read by the
 * same one-parser-per-type code (nw_plugin_conf): the same types, defaults
 * and errors naming file, line, key and what was expected (unknown key,
 * wrong type, out of range, missing required key), and the table printed by
 * `newswire-consumer --describe consumer` (docs/operations.md).
 *
 * Two entries of the top-level table are read elsewhere and only checked
 * for presence here: `kafka`, whose properties go to librdkafka
 * (nw_kafka_conf_new checks each one), and `chain`, whose entries nw_chain
 * checks against their plugins' tables. Checks beyond one value: retry.max
 * is at least retry.initial; topic names are not empty and "^regex" topics
 * compile.
 *
 * This module never opens Kafka, binds a port or starts a plugin.
 */
#ifndef NW_CONSUMER_CONF_H
#define NW_CONSUMER_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "nw_config.h"
#include "nw_err.h"
#include "nw_plugin_conf.h"

#define NW_CONSUMER_MAX_WORKERS  64
#define NW_CONSUMER_HTTP_DEFAULT "127.0.0.1:9465"

/* The checked settings. Strings and the topic list are owned by the struct
 * (nw_consumer_settings_free); nodes are borrowed from the config. */
typedef struct nw_consumer_settings {
    const nw_cfg_node *kafka;       /* the kafka map, or NULL */
    const nw_cfg_node *chain;       /* the chain list (present) */
    const nw_cfg_node *http_listen; /* http.listen when written (for messages), else NULL */
    const char *group;
    const char *const *topics; /* names or "^regex"; NULL when not set */
    size_t ntopics;            /* 0: every topic under topic_prefix */
    int64_t workers;
    uint64_t max_buffered_bytes;
    int64_t revoke_timeout_ms;
    const char *dlq_topic;    /* "" = log only */
    const char *topic_prefix; /* stripped from a topic to get the category */
    int64_t batch_max_messages, batch_max_ms;
    int64_t retry_initial_ms, retry_max_ms;
    const char *http_listen_addr; /* "" = off */
    int64_t http_ready_interval_ms;
    nw_plugin_conf *sections[4]; /* private: own what the members point to */
} nw_consumer_settings;

/* Read and check the whole file's settings (the chain only for presence).
 * On failure nothing is kept and err says file, line, key and what was
 * expected. */
int nw_consumer_settings_read(const nw_config *cfg, nw_consumer_settings *out, nw_err *err);
/* NULL-safe; leaves *s zeroed. */
void nw_consumer_settings_free(nw_consumer_settings *s);

/* Print the tables (key, type, default, description) for --describe consumer. */
void nw_consumer_settings_describe(FILE *out);

/* The tables as descriptors, for nw_plugin_conf_check_map in tests:
 * i = 0 the top level, 1 batch, 2 retry, 3 http; NULL beyond. */
const nw_plugin_descriptor *nw_consumer_settings_table(size_t i);

#endif
