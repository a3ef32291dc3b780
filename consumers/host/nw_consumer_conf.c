/*
 * nw_consumer_conf — the consumer's settings tables and their reading. See
 * nw_consumer_conf.h.
 */
#include "nw_consumer_conf.h"

#include <regex.h>
#include <stddef.h>
#include <string.h>

#include "nw_kafka.h"

/* --------------------------------------------------------------- tables */

typedef struct top_conf {
    const char *group;
    nw_plugin_list topics;
    int64_t workers;
    uint64_t max_buffered;
    int64_t revoke_timeout;
    const char *dlq_topic, *topic_prefix;
    nw_plugin_map elsewhere; /* where the entries read elsewhere point; never written */
} top_conf;

#define ELSEWHERE offsetof(top_conf, elsewhere)

/* read by their own tables (batch, retry, http), librdkafka (kafka) and
 * nw_chain (chain) */
static const char *const top_read_elsewhere[] = {"kafka", "batch", "chain", "retry", "http", NULL};

static const nw_plugin_config_entry top_map[] = {
    {.key = "kafka",
     .type = NW_PLUGIN_T_MAP,
     .offset = ELSEWHERE,
     .description = "librdkafka properties, passed through and checked by librdkafka "
                    "(bootstrap.servers, security.protocol, ...)"},
    {.key = "group",
     .type = NW_PLUGIN_T_STRING,
     .default_value = "newswire-consumer",
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(top_conf, group),
     .description = "consumer group id"},
    {.key = "topics",
     .type = NW_PLUGIN_T_LIST,
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(top_conf, topics),
     .description = "topic names or ^regex patterns, or one of them (default: every "
                    "<topic_prefix> topic)"},
    {.key = "batch",
     .type = NW_PLUGIN_T_MAP,
     .offset = ELSEWHERE,
     .description = "batch.max_messages and batch.max_ms (below)"},
    {.key = "chain",
     .type = NW_PLUGIN_T_LIST,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = ELSEWHERE,
     .description = "the plugin chain: a list of {plugin: name | path: file.so, settings...}, "
                    "each checked against its plugin's table (--describe PLUGIN)"},
    {.key = "workers",
     .type = NW_PLUGIN_T_INT,
     .default_value = "1",
     .min = 1,
     .max = NW_CONSUMER_MAX_WORKERS,
     .offset = offsetof(top_conf, workers),
     .description = "worker threads, each with its own instance of the chain"},
    {.key = "max_buffered_bytes",
     .type = NW_PLUGIN_T_SIZE,
     .default_value = "64MiB",
     .offset = offsetof(top_conf, max_buffered),
     .description = "polled but unfinished story bytes above which every partition is paused"},
    {.key = "retry",
     .type = NW_PLUGIN_T_MAP,
     .offset = ELSEWHERE,
     .description = "back-off of retryable plugin failures: retry.initial, retry.max (below)"},
    {.key = "revoke_timeout",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "10s",
     .offset = offsetof(top_conf, revoke_timeout),
     .description = "how long a revoke waits for a batch that is retrying before abandoning it"},
    {.key = "http",
     .type = NW_PLUGIN_T_MAP,
     .offset = ELSEWHERE,
     .description = "http.listen (below)"},
    {.key = "dlq_topic",
     .type = NW_PLUGIN_T_STRING,
     .default_value = NW_TOPIC_DLQ,
     .offset = offsetof(top_conf, dlq_topic),
     .description = "topic for stories that failed permanently (\"\" = log only)"},
    {.key = "topic_prefix",
     .type = NW_PLUGIN_T_STRING,
     .default_value = NW_TOPIC_PREFIX_NEWS,
     .offset = offsetof(top_conf, topic_prefix),
     .description = "prefix stripped from a topic to get the story's category"},
    {.key = NULL},
};

typedef struct batch_conf {
    int64_t max_messages, max_ms;
} batch_conf;

static const nw_plugin_config_entry batch_map[] = {
    {.key = "max_messages",
     .type = NW_PLUGIN_T_INT,
     .default_value = "500",
     .min = 1,
     .max = 1000000,
     .offset = offsetof(batch_conf, max_messages),
     .description = "stories per batch"},
    {.key = "max_ms",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "1s",
     .offset = offsetof(batch_conf, max_ms),
     .description = "longest a story waits in a batch"},
    {.key = NULL},
};

typedef struct retry_conf {
    int64_t initial, max;
} retry_conf;

static const nw_plugin_config_entry retry_map[] = {
    {.key = "initial",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "100ms",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(retry_conf, initial),
     .description = "first back-off after a retryable failure (doubles each time)"},
    {.key = "max",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "30s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(retry_conf, max),
     .description = "back-off cap (at least retry.initial)"},
    {.key = NULL},
};

typedef struct http_conf {
    const char *listen;
    int64_t ready_interval;
} http_conf;

static const nw_plugin_config_entry http_map[] = {
    {.key = "listen",
     .type = NW_PLUGIN_T_STRING,
     .default_value = NW_CONSUMER_HTTP_DEFAULT,
     .offset = offsetof(http_conf, listen),
     .description = "HOST:PORT of /metrics, /healthz and /readyz (\"\" = off)"},
    {.key = "ready_interval",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "5s",
     .min = 0,
     .max = 1e12,
     .offset = offsetof(http_conf, ready_interval),
     .description = "how often each worker asks its plugins whether they can work (ready(), "
                    "for /readyz; at least 100ms)"},
    {.key = NULL},
};

/* Each table as the descriptor nw_plugin_conf reads: a name (in "accepts"
 * messages), the table and its struct; no callbacks. */
static const nw_plugin_descriptor tables[] = {
    {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "consumer",
     .description = "the consumer's own settings (the top level of its config file)",
     NW_PLUGIN_CONFIG_MAP(top_map, top_conf)},
    {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "batch", NW_PLUGIN_CONFIG_MAP(batch_map, batch_conf)},
    {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "retry", NW_PLUGIN_CONFIG_MAP(retry_map, retry_conf)},
    {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "http", NW_PLUGIN_CONFIG_MAP(http_map, http_conf)},
};
#define NTABLES (sizeof tables / sizeof tables[0])

const nw_plugin_descriptor *nw_consumer_settings_table(size_t i)
{
    return i < NTABLES ? &tables[i] : NULL;
}

/* ------------------------------------------------------------- reading */

/* Each subscription entry: not empty, and a "^regex" that compiles (here,
 * with its key and line, rather than as a bare Kafka error later). */
static int check_topics(const nw_cfg_node *node, const nw_plugin_list *topics, nw_err *err)
{
    for (size_t i = 0; i < topics->count; i++) {
        const nw_cfg_node *at = nw_cfg_kind_of(node) == NW_CFG_SEQ ? nw_cfg_item(node, i) : node;
        const char *t = topics->items[i];
        if (!*t)
            return nw_cfg_error(at, err, NW_EINVAL, "expected a topic name, got an empty value");
        if (t[0] != '^')
            continue;
        regex_t re;
        int rc = regcomp(&re, t, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[128];
            regerror(rc, &re, why, sizeof why);
            return nw_cfg_error(at, err, NW_EINVAL, "bad regular expression '%s': %s", t, why);
        }
        regfree(&re);
    }
    return 0;
}

int nw_consumer_settings_read(const nw_config *cfg, nw_consumer_settings *out, nw_err *err)
{
    memset(out, 0, sizeof *out);
    const nw_cfg_node *root = nw_config_root(cfg);
    const nw_cfg_node *batch = nw_cfg_get(root, "batch"), *retry = nw_cfg_get(root, "retry"),
                      *http = nw_cfg_get(root, "http");
    nw_plugin_conf **s = out->sections;
    if (nw_plugin_conf_read_section(&tables[0], root, top_read_elsewhere, &s[0], err) < 0 ||
        nw_plugin_conf_read_section(&tables[1], batch, NULL, &s[1], err) < 0 ||
        nw_plugin_conf_read_section(&tables[2], retry, NULL, &s[2], err) < 0 ||
        nw_plugin_conf_read_section(&tables[3], http, NULL, &s[3], err) < 0)
        goto fail;
    const top_conf *top = nw_plugin_conf_struct(s[0]);
    const batch_conf *bc = nw_plugin_conf_struct(s[1]);
    const retry_conf *rc = nw_plugin_conf_struct(s[2]);
    const http_conf *hc = nw_plugin_conf_struct(s[3]);
    if (check_topics(nw_cfg_get(root, "topics"), &top->topics, err) < 0)
        goto fail;
    if (rc->max < rc->initial) {
        const nw_cfg_node *at = nw_cfg_get(retry, "max") ? nw_cfg_get(retry, "max") : retry;
        nw_cfg_error(at, err, NW_EINVAL, "retry.max (%lld ms) is below retry.initial (%lld ms)",
                     (long long)rc->max, (long long)rc->initial);
        goto fail;
    }
    out->kafka = nw_cfg_get(root, "kafka");
    out->chain = nw_cfg_get(root, "chain");
    out->http_listen = nw_cfg_get(http, "listen");
    out->group = top->group;
    out->topics = top->topics.count ? top->topics.items : NULL;
    out->ntopics = top->topics.count;
    out->workers = top->workers;
    out->max_buffered_bytes = top->max_buffered;
    out->revoke_timeout_ms = top->revoke_timeout;
    out->dlq_topic = top->dlq_topic;
    out->topic_prefix = top->topic_prefix;
    out->batch_max_messages = bc->max_messages;
    out->batch_max_ms = bc->max_ms;
    out->retry_initial_ms = rc->initial;
    out->retry_max_ms = rc->max;
    out->http_listen_addr = hc->listen;
    out->http_ready_interval_ms = hc->ready_interval;
    return 0;
fail:
    nw_consumer_settings_free(out);
    return err->code ? err->code : NW_EINVAL;
}

void nw_consumer_settings_free(nw_consumer_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < NTABLES; i++)
        nw_plugin_conf_free(s->sections[i]);
    memset(s, 0, sizeof *s);
}

void nw_consumer_settings_describe(FILE *out)
{
    fprintf(out, "consumer: %s\n", tables[0].description);
    nw_plugin_conf_describe_table(&tables[0], NULL, true, out);
    for (size_t i = 1; i < NTABLES; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s.", tables[i].name);
        nw_plugin_conf_describe_table(&tables[i], prefix, false, out);
    }
    fprintf(out, "\nSizes: 512, 64KiB, 5MB; durations: 250ms, 5s, 2m, 72h, 3d. Every setting can "
                 "also come from NEWSWIRE_<PATH> (docs/operations.md).\n");
}
