/*
 * nw_chain — builds plugin instances from config and runs batches through
 * them with retries. See nw_chain.h for the contract.
 */
#include "nw_chain.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_json.h"
#include "nw_log.h"
#include "nw_metrics.h"
#include "nw_plugin_conf.h"
#include "nw_plugin_registry.h"

/* Counters of one (instance, topic) pair, cached so the hot path takes no
 * registry lock. A chain sees few topics; past the cache size, lookups go to
 * the registry (still correct, only slower). */
#define TOPIC_CACHE 32
typedef struct topic_counters {
    char *topic;
    nw_counter *processed, *dropped, *dead;
} topic_counters;

/* A series a plugin registered through nw_plugin_api.metric. */
struct nw_plugin_metric {
    nw_plugin_metric_type type;
    nw_counter *counter;
    nw_gauge *gauge;
    nw_histogram *hist;
    struct nw_plugin_metric *next; /* the instance's list, freed with it */
};

typedef struct chain_instance {
    char *name;
    struct nw_plugin_metric *plugin_metrics; /* owned */
    const nw_plugin_descriptor *desc;
    nw_plugin_module *module; /* NULL for built-ins */
    nw_plugin_conf *conf;     /* its settings; outlives state */
    nw_plugin_config config;  /* what init() received: valid until destroy() (plugin.h) */
    void *state;              /* from desc->init; NULL until created */
    nw_plugin_api api;        /* api.host points to this instance */
    nw_chain *chain;
    nw_histogram *lat[3]; /* process|write, flush; NULL without metrics */
    nw_gauge *ready;      /* newswire_plugin_ready{plugin}; NULL without metrics */
    topic_counters topics[TOPIC_CACHE];
    size_t ntopics;
} chain_instance;

/* A noted partition assignment or revocation, not yet delivered. */
typedef struct partition_event {
    char *topic;
    int32_t partition;
    bool assigned;
} partition_event;

struct nw_chain {
    chain_instance *inst;
    size_t len;
    pthread_mutex_t events_mu;
    partition_event *events; /* under events_mu */
    size_t nevents, events_cap;
    int64_t retry_initial_ms, retry_max_ms;
    volatile sig_atomic_t *stop;
    nw_chain_stats stats;
    nw_chain_opts opts;
    _Atomic int backing_off;
    char retry_reason[256]; /* under events_mu: why it is backing off */
};

/* ---------------------------------------------------------------- messages */

static char *dup_n(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static _Atomic uint64_t doc_decodes, doc_serializations;

nw_chain_doc_counts nw_chain_get_doc_counts(void)
{
    return (nw_chain_doc_counts){atomic_load(&doc_decodes), atomic_load(&doc_serializations)};
}

/* The one decode of a story: a JSON object, or m dead with the reason. */
static void decode_story(nw_chain_msg *m)
{
    json_error_t jerr;
    atomic_fetch_add_explicit(&doc_decodes, 1, memory_order_relaxed);
    json_t *doc = nw_json_loadb(m->json, m->json_len, 0, &jerr);
    if (json_is_object(doc)) {
        m->pub.doc = doc;
        return;
    }
    if (doc)
        snprintf(m->dead_reason, sizeof m->dead_reason,
                 "not a ninjs story: the message is JSON but not an object");
    else
        snprintf(m->dead_reason, sizeof m->dead_reason,
                 "not a JSON object: invalid JSON at line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    json_decref(doc);
    m->state = NW_MSG_DEAD;
    m->dead_plugin = NW_CHAIN_HOST_NAME;
}

static int msg_init(nw_chain_msg *m, const char *topic, const char *topic_prefix, int32_t partition,
                    int64_t offset, const void *key, size_t key_len, const void *json,
                    size_t json_len, bool borrow, int64_t timestamp_ms, nw_err *err)
{
    memset(m, 0, sizeof *m);
    m->topic = strdup(topic ? topic : "");
    m->uri = dup_n(key ? key : "", key ? key_len : 0);
    m->json_borrowed = borrow && json;
    m->json = m->json_borrowed ? (char *)json : dup_n(json ? json : "", json ? json_len : 0);
    if (!m->topic || !m->uri || !m->json) {
        nw_chain_msg_deinit(m);
        return nw_err_set(err, NW_ENOMEM, "out of memory copying a message");
    }
    m->json_len = json ? json_len : 0;
    const char *category = NULL;
    if (topic_prefix && *topic_prefix) {
        size_t pl = strlen(topic_prefix);
        if (!strncmp(m->topic, topic_prefix, pl) && m->topic[pl])
            category = m->topic + pl;
    }
    m->pub.struct_size = sizeof m->pub;
    m->pub.uri = m->uri;
    m->pub.topic = m->topic;
    m->pub.category = category ? category : m->topic;
    m->pub.partition = partition;
    m->pub.offset = offset;
    m->pub.timestamp_ms = timestamp_ms;
    m->pub.host_ref = m;
    m->state = NW_MSG_LIVE;
    if (borrow)
        m->undecoded = true; /* nw_chain_run decodes it, part by part */
    else
        decode_story(m);
    return 0;
}

int nw_chain_msg_init(nw_chain_msg *m, const char *topic, const char *topic_prefix,
                      int32_t partition, int64_t offset, const void *key, size_t key_len,
                      const void *json, size_t json_len, int64_t timestamp_ms, nw_err *err)
{
    return msg_init(m, topic, topic_prefix, partition, offset, key, key_len, json, json_len, false,
                    timestamp_ms, err);
}

int nw_chain_msg_init_borrowed(nw_chain_msg *m, const char *topic, const char *topic_prefix,
                               int32_t partition, int64_t offset, const void *key, size_t key_len,
                               const void *json, size_t json_len, int64_t timestamp_ms, nw_err *err)
{
    return msg_init(m, topic, topic_prefix, partition, offset, key, key_len, json, json_len, true,
                    timestamp_ms, err);
}

static int header_room(nw_chain_msg *m)
{
    if (m->pub.header_count < m->header_cap)
        return 0;
    size_t cap = m->header_cap ? m->header_cap * 2 : 8;
    nw_plugin_header *h = realloc(m->headers, cap * sizeof *h);
    if (!h)
        return NW_ENOMEM;
    m->headers = h;
    m->header_cap = cap;
    m->pub.headers = h;
    return 0;
}

int nw_chain_msg_add_header(nw_chain_msg *m, const char *name, const void *value, size_t len)
{
    if (header_room(m) < 0)
        return NW_ENOMEM;
    char *n = strdup(name);
    char *v = dup_n(value ? value : "", value ? len : 0);
    if (!n || !v) {
        free(n);
        free(v);
        return NW_ENOMEM;
    }
    m->headers[m->pub.header_count++] = (nw_plugin_header){n, v, value ? len : 0};
    return 0;
}

int nw_chain_msg_add_header_borrowed(nw_chain_msg *m, const char *name, const void *value,
                                     size_t len)
{
    if (m->borrowed_headers != m->pub.header_count)
        return nw_chain_msg_add_header(m, name, value, len); /* after a copied one: copy */
    if (header_room(m) < 0)
        return NW_ENOMEM;
    m->headers[m->pub.header_count++] =
        (nw_plugin_header){name, value ? value : "", value ? len : 0};
    m->borrowed_headers++;
    return 0;
}

static int append_text(const char *buffer, size_t size, void *data)
{
    nw_buf_append(data, buffer, size);
    return 0;
}

const char *nw_chain_msg_text(nw_chain_msg *m, size_t *len)
{
    if (!m->changed) {
        if (m->json_borrowed) { /* a Kafka value has no NUL: copy it, once, when asked */
            char *copy = dup_n(m->json, m->json_len);
            if (!copy)
                return NULL;
            m->json = copy;
            m->json_borrowed = false;
        }
        if (len)
            *len = m->json_len;
        return m->json;
    }
    if (!m->text && !m->pub.doc)
        return NULL; /* released after the chain's last write (release_story) */
    if (!m->text) {
        atomic_fetch_add_explicit(&doc_serializations, 1, memory_order_relaxed);
        /* into one buffer the size of the original (plus a margin): a
         * changed story is about as long, so it seldom grows */
        nw_buf b = NW_BUF_INIT;
        nw_buf_reserve(&b, m->json_len + m->json_len / 4 + 64);
        if (json_dump_callback(m->pub.doc, append_text, &b, JSON_COMPACT | JSON_PRESERVE_ORDER) <
                0 ||
            nw_buf_failed(&b)) {
            nw_buf_free(&b);
            return NULL;
        }
        m->text_len = b.len;
        m->text = nw_buf_take(&b);
    }
    if (len)
        *len = m->text_len;
    return m->text;
}

void nw_chain_msg_deinit(nw_chain_msg *m)
{
    for (size_t i = m->borrowed_headers; i < m->pub.header_count; i++) {
        free((char *)m->headers[i].name);
        free((void *)m->headers[i].value);
    }
    json_decref(m->pub.doc);
    free(m->headers);
    if (!m->json_borrowed)
        free(m->json);
    free(m->text);
    free(m->uri);
    free(m->topic);
    free(m->route);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------ host API callbacks */

static void api_log(void *host, int level, const char *fmt, ...)
{
    chain_instance *in = host;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (level < NW_LOG_ERROR)
        level = NW_LOG_ERROR;
    if (level > NW_LOG_DEBUG)
        level = NW_LOG_DEBUG;
    nw_log((nw_log_level)level, "plugin", "%s plugin=%s", buf, in ? in->name : "?");
}

static const char *api_text(void *host_ref, size_t *len)
{
    return host_ref ? nw_chain_msg_text(host_ref, len) : NULL;
}

static int api_doc_changed(void *host_ref)
{
    nw_chain_msg *m = host_ref;
    if (!m)
        return -1;
    m->changed = true;
    free(m->text);
    m->text = NULL;
    return 0;
}

static int api_set_doc(void *host_ref, json_t *doc)
{
    nw_chain_msg *m = host_ref;
    if (!m || !json_is_object(doc)) {
        json_decref(doc);
        return -1;
    }
    if (doc != m->pub.doc) { /* msg->doc itself: the same as doc_changed */
        json_decref(m->pub.doc);
        m->pub.doc = doc;
    }
    return api_doc_changed(m);
}

static int api_add_header(void *host_ref, const char *name, const void *value, size_t len)
{
    nw_chain_msg *m = host_ref;
    if (!m || !name)
        return -1;
    return nw_chain_msg_add_header(m, name, value, len) < 0 ? -1 : 0;
}

static int api_set_route(void *host_ref, const char *topic)
{
    nw_chain_msg *m = host_ref;
    char *copy = topic ? strdup(topic) : NULL;
    if (!m || (topic && !copy))
        return -1;
    free(m->route);
    m->route = copy;
    m->pub.route = copy; /* what later plugins read */
    return 0;
}

void nw_chain_story_api(nw_plugin_api *api)
{
    api->struct_size = sizeof *api;
    api->text = api_text;
    api->doc_changed = api_doc_changed;
    api->set_doc = api_set_doc;
    api->add_header = api_add_header;
    api->set_route = api_set_route;
}

static int api_emit(void *host, const char *topic, const char *key, const void *value,
                    size_t value_len, const nw_plugin_header *headers, size_t header_count)
{
    chain_instance *in = host;
    if (!in || !topic || !in->chain->opts.emit)
        return -1;
    return in->chain->opts.emit(in->chain->opts.emit_ctx, in->name, topic, key, value, value_len,
                                headers, header_count);
}

/* ----------------------------------------------------------------- metrics */

static char *label_pair(const char *name, const char *value, const char *name2, const char *value2)
{
    nw_buf b = {0};
    nw_buf_printf(&b, "%s=\"", name);
    nw_metrics_label_escape(&b, value);
    nw_buf_puts(&b, "\"");
    if (name2) {
        nw_buf_printf(&b, ",%s=\"", name2);
        nw_metrics_label_escape(&b, value2);
        nw_buf_puts(&b, "\"");
    }
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return NULL;
    }
    return nw_buf_take(&b);
}

static void instance_metrics_init(chain_instance *in, nw_metrics *m)
{
    static const char *ops[3] = {"process", "write", "flush"};
    for (int i = 0; i < 3; i++) {
        char *l = label_pair("plugin", in->name, "op", ops[i]);
        in->lat[i] =
            nw_metrics_histogram(m, "newswire_consumer_plugin_seconds",
                                 "Time spent in a plugin call, by plugin and call", l, NULL, 0);
        free(l);
    }
    char *l = label_pair("plugin", in->name, NULL, NULL);
    in->ready = nw_metrics_gauge(m, "newswire_plugin_ready",
                                 "1 when the plugin can do its work (its ready() check, no retry "
                                 "pending), 0 when not: /readyz names it",
                                 l);
    free(l);
    nw_gauge_set(in->ready, 1);
}

static bool metric_name_ok(const char *n)
{
    if (!n || !*n || (*n >= '0' && *n <= '9'))
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '_' || *n == ':'))
            return false;
    return true;
}

static nw_plugin_metric *api_metric(void *host, nw_plugin_metric_type type, const char *name,
                                    const char *help, const char *labels, const double *buckets,
                                    size_t nbuckets)
{
    chain_instance *in = host;
    nw_metrics *m = in ? in->chain->opts.metrics : NULL;
    if (!m || !metric_name_ok(name) || (labels && strchr(labels, '\n')))
        return NULL;
    nw_buf b = {0};
    nw_buf_puts(&b, "plugin=\"");
    nw_metrics_label_escape(&b, in->name);
    nw_buf_puts(&b, "\"");
    if (labels && *labels)
        nw_buf_printf(&b, ",%s", labels);
    struct nw_plugin_metric *pm = calloc(1, sizeof *pm);
    if (nw_buf_failed(&b) || !pm) {
        nw_buf_free(&b);
        free(pm);
        return NULL;
    }
    const char *l = nw_buf_str(&b);
    const char *h = help && *help ? help : name;
    pm->type = type;
    if (type == NW_PLUGIN_COUNTER)
        pm->counter = nw_metrics_counter(m, name, h, l);
    else if (type == NW_PLUGIN_GAUGE)
        pm->gauge = nw_metrics_gauge(m, name, h, l);
    else if (type == NW_PLUGIN_HISTOGRAM)
        pm->hist = nw_metrics_histogram(m, name, h, l, nbuckets ? buckets : NULL, nbuckets);
    nw_buf_free(&b);
    if (!pm->counter && !pm->gauge && !pm->hist) {
        free(pm);
        return NULL;
    }
    pm->next = in->plugin_metrics;
    in->plugin_metrics = pm;
    return pm;
}

static void api_metric_add(nw_plugin_metric *pm, double v)
{
    if (!pm)
        return;
    if (pm->counter && v > 0)
        nw_counter_add(pm->counter, (uint64_t)(v + 0.5));
    else if (pm->gauge)
        nw_gauge_add(pm->gauge, v);
    else if (pm->hist)
        nw_histogram_observe(pm->hist, v);
}

static void api_metric_set(nw_plugin_metric *pm, double v)
{
    if (pm && pm->gauge)
        nw_gauge_set(pm->gauge, v);
}

static topic_counters *counters_for(chain_instance *in, const char *topic, topic_counters *scratch)
{
    nw_metrics *m = in->chain->opts.metrics;
    for (size_t i = 0; i < in->ntopics; i++)
        if (!strcmp(in->topics[i].topic, topic))
            return &in->topics[i];
    topic_counters *tc = in->ntopics < TOPIC_CACHE ? &in->topics[in->ntopics] : scratch;
    char *l = label_pair("plugin", in->name, "topic", topic);
    tc->processed = nw_metrics_counter(m, "newswire_consumer_processed_total",
                                       "Stories a plugin finished with, by plugin and topic", l);
    tc->dropped = nw_metrics_counter(m, "newswire_consumer_dropped_total",
                                     "Stories a filter dropped, by plugin and topic", l);
    tc->dead = nw_metrics_counter(m, "newswire_consumer_dead_letters_total",
                                  "Stories a plugin failed permanently (dead-lettered), by "
                                  "plugin and topic",
                                  l);
    free(l);
    if (tc != scratch) {
        tc->topic = strdup(topic);
        if (!tc->topic)
            return scratch;
        in->ntopics++;
    }
    return tc;
}

typedef enum { COUNT_PROCESSED, COUNT_DROPPED, COUNT_DEAD } count_kind;

static void count_story(chain_instance *in, const nw_chain_msg *m, count_kind k)
{
    if (!in->chain->opts.metrics)
        return;
    topic_counters scratch;
    topic_counters *tc = counters_for(in, m->topic, &scratch);
    nw_counter_inc(k == COUNT_PROCESSED ? tc->processed
                   : k == COUNT_DROPPED ? tc->dropped
                                        : tc->dead);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ construction */

static int where(nw_err *err, int code, const char *origin, const nw_cfg_node *node,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int where(nw_err *err, int code, const char *origin, const nw_cfg_node *node,
                 const char *fmt, ...)
{
    char msg[NW_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nw_err_set(err, code, "%s:%d: %s: %s", origin, node ? nw_cfg_line(node) : 0,
                      node ? nw_cfg_path(node) : "chain", msg);
}

static int read_string_key(const nw_cfg_node *item, const char *key, const char **out, nw_err *err)
{
    *out = NULL;
    const nw_cfg_node *n = nw_cfg_get(item, key);
    if (!n)
        return 0;
    return nw_cfg_as_string(n, out, err);
}

/* "/etc/newswire/consumer.yaml" + "plugins/x.so" -> "/etc/newswire/plugins/x.so". */
static char *resolve_against_config(const char *config_path, const char *path)
{
    if (path[0] == '/' || !config_path || !strchr(config_path, '/'))
        return strdup(path);
    size_t dir = (size_t)(strrchr(config_path, '/') - config_path);
    size_t n = dir + strlen(path) + 2;
    char *full = malloc(n);
    if (full)
        snprintf(full, n, "%.*s/%s", (int)dir, config_path, path);
    return full;
}

/* A bare file name ("myplugin.so") not beside the config is looked up in
 * the installed plugin directory (NW_PLUGIN_DIR). */
static char *resolve_path(const char *config_path, const char *path)
{
    char *full = resolve_against_config(config_path, path);
    if (!full || strchr(path, '/') || access(full, F_OK) == 0)
        return full;
    size_t n = strlen(NW_PLUGIN_DIR) + strlen(path) + 2;
    char *installed = malloc(n);
    if (installed)
        snprintf(installed, n, "%s/%s", NW_PLUGIN_DIR, path);
    if (installed && access(installed, F_OK) == 0) {
        free(full);
        return installed;
    }
    free(installed);
    return full;
}

/* The setting an init error is about ("root: required", "unknown key
 * 'colour'"), so the message points at its line; else the whole item. */
static const nw_cfg_node *blamed_node(const nw_cfg_node *item, const char *msg)
{
    for (size_t i = 0; i < nw_cfg_len(item); i++) {
        const char *k = nw_cfg_key_at(item, i);
        size_t kl = strlen(k);
        char quoted[256];
        snprintf(quoted, sizeof quoted, "'%s'", k);
        if ((!strncmp(msg, k, kl) && (msg[kl] == ':' || msg[kl] == '.')) || strstr(msg, quoted))
            return nw_cfg_value_at(item, i);
    }
    return item;
}

static int build_instance(nw_chain *c, size_t idx, const nw_cfg_node *item, const char *config_path,
                          nw_err *err)
{
    const char *origin = config_path ? config_path : "<config>";
    chain_instance *in = &c->inst[idx];
    in->chain = c;
    if (nw_cfg_kind_of(item) != NW_CFG_MAP)
        return where(err, NW_EINVAL, origin, item,
                     "expected a map with 'plugin: <name>' or 'path: <file.so>'");

    const char *plugin = NULL, *path = NULL, *name = NULL;
    if (read_string_key(item, "plugin", &plugin, err) < 0 ||
        read_string_key(item, "path", &path, err) < 0 ||
        read_string_key(item, "name", &name, err) < 0)
        return NW_EINVAL;
    if (!plugin && !path)
        return where(err, NW_EINVAL, origin, item,
                     "missing 'plugin' (a built-in plugin name) or 'path' (a plugin .so)");

    if (path) {
        char *full = resolve_path(config_path, path);
        if (!full)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        nw_err lerr = {0};
        int rc = nw_plugin_module_open(full, &in->module, &lerr);
        free(full);
        if (rc < 0)
            return where(err, rc, origin, nw_cfg_get(item, "path"), "%s", lerr.msg);
        in->desc = nw_plugin_module_descriptor(in->module);
        if (plugin && strcmp(plugin, in->desc->name))
            return where(err, NW_EINVAL, origin, nw_cfg_get(item, "plugin"),
                         "'%s' does not match the name '%s' of the plugin loaded from %s", plugin,
                         in->desc->name, path);
    } else {
        in->desc = nw_plugin_registry_find(plugin);
        if (!in->desc) {
            char known[256] = "";
            for (size_t i = 0; i < nw_plugin_registry_count(); i++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "",
                         nw_plugin_registry_at(i)->name);
            }
            return where(err, NW_EINVAL, origin, nw_cfg_get(item, "plugin"),
                         "unknown plugin '%s' (built-in plugins: %s; load others with "
                         "'path: /path/to/plugin.so')",
                         plugin, known);
        }
    }

    /* Instance name: explicit, else the plugin name, made unique by index. */
    char buf[256];
    if (name) {
        snprintf(buf, sizeof buf, "%s", name);
        for (size_t i = 0; i < idx; i++)
            if (!strcmp(c->inst[i].name, buf))
                return where(err, NW_EINVAL, origin, nw_cfg_get(item, "name"),
                             "instance name '%s' is already used by chain[%zu]", name, i);
    } else {
        snprintf(buf, sizeof buf, "%s", in->desc->name);
        for (size_t i = 0; i < idx; i++)
            if (!strcmp(c->inst[i].name, buf)) {
                snprintf(buf, sizeof buf, "%s#%zu", in->desc->name, idx);
                break;
            }
    }
    if (!(in->name = strdup(buf)))
        return nw_err_set(err, NW_ENOMEM, "out of memory");

    static const char *const host_keys[] = {"plugin", "path", "name", NULL};
    nw_err cerr = {0};
    if (nw_plugin_conf_new(in->desc, item, host_keys, &in->conf, &cerr) < 0)
        return nw_err_set(err, cerr.code ? cerr.code : NW_EINVAL, "%s", cerr.msg);
    in->api = (nw_plugin_api){
        .struct_size = sizeof in->api,
        .log = api_log,
        .host = in,
        .emit = c->opts.emit ? api_emit : NULL,
        .metric = c->opts.metrics ? api_metric : NULL,
        .metric_add = c->opts.metrics ? api_metric_add : NULL,
        .metric_set = c->opts.metrics ? api_metric_set : NULL,
    };
    nw_chain_story_api(&in->api);
    if (c->opts.metrics)
        instance_metrics_init(in, c->opts.metrics);
    return 0;
}

/* ------------------------------------------------- plugin init, guarded */

/* The plugin whose init() runs (main thread), for the crash report. */
static const char *volatile init_running;
static struct sigaction init_saved[3];
static const int init_signals[3] = {SIGSEGV, SIGBUS, SIGABRT};

static void on_init_crash(int sig)
{
    const char *name = init_running;
    static const char pre[] = "newswire-consumer: plugin ", post[] = " crashed in init()\n";
    if (write(2, pre, sizeof pre - 1) < 0 ||
        write(2, name ? name : "?", strlen(name ? name : "?")) < 0 ||
        write(2, post, sizeof post - 1) < 0) {
        /* nothing more to say */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* d->init with a crash report naming the plugin (the process still dies:
 * a plugin that crashes cannot be trusted with the rest of it). */
static void *guarded_init(const nw_plugin_descriptor *d, const nw_plugin_config *pc, char *err,
                          size_t errlen)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_init_crash;
    sigemptyset(&sa.sa_mask);
    init_running = d->name;
    for (int i = 0; i < 3; i++)
        sigaction(init_signals[i], &sa, &init_saved[i]);
    void *state = d->init(pc, err, errlen);
    for (int i = 0; i < 3; i++)
        sigaction(init_signals[i], &init_saved[i], NULL);
    init_running = NULL;
    err[errlen - 1] = '\0'; /* a plugin that forgot the NUL */
    return state;
}

/* Call init() of a built instance (every instance's settings were checked
 * first, so a config error never leaves a half-initialised chain). */
static int init_instance(nw_chain *c, size_t idx, const nw_cfg_node *item, const char *config_path,
                         nw_err *err)
{
    const char *origin = config_path ? config_path : "<config>";
    chain_instance *in = &c->inst[idx];
    in->config = (nw_plugin_config){
        .struct_size = sizeof in->config,
        .instance_name = in->name,
        .config_path = origin,
        .conf = nw_plugin_conf_struct(in->conf),
        .api = &in->api,
        .brokers = c->opts.brokers,
        .subscription = c->opts.subscription,
        .subscription_count = c->opts.subscription_count,
    };
    char perr[NW_ERR_MSG_MAX] = "";
    in->state = guarded_init(in->desc, &in->config, perr, sizeof perr);
    if (!in->state)
        return where(err, NW_EINVAL, origin, blamed_node(item, perr), "plugin %s: %s",
                     in->desc->name, perr[0] ? perr : "init failed (no reason given)");
    return 0;
}

int nw_chain_new(const nw_cfg_node *chain_seq, const char *config_path, nw_chain **out, nw_err *err)
{
    return nw_chain_new_ex(chain_seq, config_path, NULL, out, err);
}

int nw_chain_new_ex(const nw_cfg_node *chain_seq, const char *config_path,
                    const nw_chain_opts *opts, nw_chain **out, nw_err *err)
{
    *out = NULL;
    const char *origin = config_path ? config_path : "<config>";
    if (!chain_seq || nw_cfg_kind_of(chain_seq) != NW_CFG_SEQ || nw_cfg_len(chain_seq) == 0)
        return where(err, NW_EINVAL, origin, chain_seq,
                     "expected a non-empty list of plugins, e.g. "
                     "'chain: [{plugin: archive-fs, root: /var/lib/newswire/archive}]'");
    nw_chain *c = calloc(1, sizeof *c);
    if (!c || !(c->inst = calloc(nw_cfg_len(chain_seq), sizeof *c->inst))) {
        free(c);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    c->retry_initial_ms = 100;
    c->retry_max_ms = 30000;
    pthread_mutex_init(&c->events_mu, NULL);
    if (opts)
        c->opts = *opts;
    /* every entry's plugin and settings first, then the init()s: a config
     * error never starts a half-built chain */
    for (size_t i = 0; i < nw_cfg_len(chain_seq); i++) {
        c->len = i + 1; /* so nw_chain_free cleans a partial instance */
        if (build_instance(c, i, nw_cfg_item(chain_seq, i), config_path, err) < 0) {
            int code = err && err->code ? err->code : NW_EINVAL;
            nw_chain_free(c);
            return code;
        }
    }
    for (size_t i = 0; i < c->len; i++) {
        if (init_instance(c, i, nw_cfg_item(chain_seq, i), config_path, err) < 0) {
            int code = err && err->code ? err->code : NW_EINVAL;
            nw_chain_free(c);
            return code;
        }
    }
    bool has_sink = false;
    for (size_t i = 0; i < c->len; i++)
        has_sink |= c->inst[i].desc->kind == NW_PLUGIN_SINK;
    if (!has_sink)
        nw_log_warn("chain",
                    "chain has no sink: stories are filtered and committed "
                    "without being stored config=%s",
                    origin);
    *out = c;
    return 0;
}

void nw_chain_free(nw_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->len; i++) {
        chain_instance *in = &c->inst[i];
        char e[NW_ERR_MSG_MAX] = "";
        /* flush is optional for filters (plugin.h) */
        if (in->state && in->desc->flush && in->desc->flush(in->state, e, sizeof e) != NW_PLUGIN_OK)
            nw_log_warn("chain", "final flush failed plugin=%s error=\"%s\"", in->name, e);
    }
    nw_chain_deliver_events(c); /* revokes come after the final flush */
    for (size_t i = 0; i < c->len; i++) {
        chain_instance *in = &c->inst[i];
        if (in->state)
            in->desc->destroy(in->state);
        nw_plugin_conf_free(in->conf);
        nw_plugin_module_close(in->module);
        while (in->plugin_metrics) {
            struct nw_plugin_metric *next = in->plugin_metrics->next;
            free(in->plugin_metrics);
            in->plugin_metrics = next;
        }
        for (size_t t = 0; t < in->ntopics; t++)
            free(in->topics[t].topic);
        free(in->name);
    }
    for (size_t i = 0; i < c->nevents; i++)
        free(c->events[i].topic);
    free(c->events);
    pthread_mutex_destroy(&c->events_mu);
    free(c->inst);
    free(c);
}

size_t nw_chain_len(const nw_chain *c)
{
    return c->len;
}

const char *nw_chain_instance_name(const nw_chain *c, size_t i)
{
    return i < c->len ? c->inst[i].name : NULL;
}

const nw_plugin_descriptor *nw_chain_descriptor(const nw_chain *c, size_t i)
{
    return i < c->len ? c->inst[i].desc : NULL;
}

void nw_chain_set_retry(nw_chain *c, int64_t initial_ms, int64_t max_ms,
                        volatile sig_atomic_t *stop)
{
    c->retry_initial_ms = initial_ms > 0 ? initial_ms : 1;
    c->retry_max_ms = max_ms >= c->retry_initial_ms ? max_ms : c->retry_initial_ms;
    c->stop = stop;
}

nw_chain_stats nw_chain_get_stats(const nw_chain *c)
{
    return c->stats;
}

bool nw_chain_backing_off(const nw_chain *c)
{
    return atomic_load(&((nw_chain *)c)->backing_off) != 0;
}

/* ------------------------------------------------------------------ running */

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Wait before retry `attempt` (0-based). Returns false when told to stop. */
static bool backoff(nw_chain *c, const chain_instance *in, unsigned attempt, const char *what,
                    const char *reason)
{
    c->stats.retries++;
    int64_t wait = c->retry_initial_ms;
    for (unsigned i = 0; i < attempt && wait < c->retry_max_ms; i++)
        wait *= 2;
    if (wait > c->retry_max_ms)
        wait = c->retry_max_ms;
    nw_log_warn("chain",
                "retryable failure, backing off plugin=%s op=%s attempt=%u "
                "wait_ms=%lld error=\"%s\"",
                in->name, what, attempt + 1, (long long)wait, reason);
    atomic_store(&c->backing_off, 1);
    pthread_mutex_lock(&c->events_mu);
    snprintf(c->retry_reason, sizeof c->retry_reason, "plugin %s retrying: %s", in->name, reason);
    pthread_mutex_unlock(&c->events_mu);
    nw_gauge_set(in->ready, 0);
    for (int64_t slept = 0; slept < wait; slept += 50) {
        if (c->stop && *c->stop)
            return false;
        sleep_ms(wait - slept < 50 ? wait - slept : 50);
    }
    return !(c->stop && *c->stop);
}

static void mark_dead(nw_chain *c, nw_chain_msg *m, const chain_instance *in, const char *why)
{
    if (m->state == NW_MSG_DEAD)
        return;
    m->state = NW_MSG_DEAD;
    m->dead_plugin = in->name;
    count_story((chain_instance *)in, m, COUNT_DEAD);
    snprintf(m->dead_reason, sizeof m->dead_reason, "%s", why[0] ? why : "permanent failure");
    c->stats.dead++;
    nw_log_error("chain",
                 "permanent failure plugin=%s uri=\"%s\" topic=%s "
                 "partition=%d offset=%lld error=\"%s\"",
                 in->name, m->uri, m->topic, (int)m->pub.partition, (long long)m->pub.offset,
                 m->dead_reason);
}

static int stopped(nw_err *err, const chain_instance *in)
{
    return nw_err_set(err, NW_ERETRY, "stopped while retrying plugin %s", in->name);
}

/* A filter's process() over the live stories of msgs[0..n). */
static int filter_process(nw_chain *c, chain_instance *in, nw_chain_msg *const *msgs, size_t n,
                          nw_err *err)
{
    for (size_t i = 0; i < n; i++) {
        nw_chain_msg *m = msgs[i];
        for (unsigned attempt = 0; m->state == NW_MSG_LIVE; attempt++) {
            char e[NW_ERR_MSG_MAX] = "";
            double t0 = in->lat[0] ? mono_s() : 0;
            nw_plugin_status st = in->desc->process(in->state, &m->pub, e, sizeof e);
            if (in->lat[0])
                nw_histogram_observe(in->lat[0], mono_s() - t0);
            if (st == NW_PLUGIN_OK) {
                count_story(in, m, COUNT_PROCESSED);
                break;
            }
            if (st == NW_PLUGIN_DROP) {
                m->state = NW_MSG_DROPPED;
                c->stats.dropped++;
                count_story(in, m, COUNT_DROPPED);
            } else if (st == NW_PLUGIN_RETRY) {
                if (!backoff(c, in, attempt, "process", e))
                    return stopped(err, in);
            } else {
                mark_dead(c, m, in, e);
            }
        }
    }
    return 0;
}

/* A filter may keep state that must be durable before the batch's offsets
 * are stored (dedup publishes fingerprints): flush it too. Retryable
 * failures back off like a sink's; a permanent one is logged and the batch
 * goes on, since the stories themselves are fine. */
static int filter_flush(nw_chain *c, chain_instance *in, nw_err *err)
{
    if (!in->desc->flush)
        return 0;
    for (unsigned attempt = 0;; attempt++) {
        char e[NW_ERR_MSG_MAX] = "";
        double t0 = in->lat[2] ? mono_s() : 0;
        nw_plugin_status st = in->desc->flush(in->state, e, sizeof e);
        if (in->lat[2])
            nw_histogram_observe(in->lat[2], mono_s() - t0);
        if (st == NW_PLUGIN_OK || st == NW_PLUGIN_DROP)
            return 0;
        if (st != NW_PLUGIN_RETRY) {
            nw_log_error("chain", "filter flush failed permanently plugin=%s error=\"%s\"",
                         in->name, e);
            return 0;
        }
        if (!backoff(c, in, attempt, "flush", e))
            return stopped(err, in);
    }
}

/* A sink's write() of the live stories of msgs[0..n). */
static int sink_write(nw_chain *c, chain_instance *in, nw_chain_msg *const *msgs, size_t n,
                      nw_err *err)
{
    nw_plugin_msg **live = malloc((n ? n : 1) * sizeof *live);
    if (!live)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i]->state == NW_MSG_LIVE)
            live[count++] = &msgs[i]->pub;

    int rc = 0;
    size_t pos = 0;
    unsigned attempt = 0;
    while (pos < count) {
        char e[NW_ERR_MSG_MAX] = "";
        size_t failed = SIZE_MAX;
        double t0 = in->lat[1] ? mono_s() : 0;
        nw_plugin_status st =
            in->desc->write(in->state, live + pos, count - pos, &failed, e, sizeof e);
        if (in->lat[1])
            nw_histogram_observe(in->lat[1], mono_s() - t0);
        if (st == NW_PLUGIN_OK || st == NW_PLUGIN_DROP)
            break;
        if (st == NW_PLUGIN_RETRY) {
            if (!backoff(c, in, attempt++, "write", e)) {
                rc = stopped(err, in);
                break;
            }
            continue;
        }
        attempt = 0;
        if (failed < count - pos) { /* one story failed; the sink accepted those before it */
            mark_dead(c, live[pos + failed]->host_ref, in, e);
            pos += failed + 1;
        } else { /* the sink could not say which: all of them */
            for (; pos < count; pos++)
                mark_dead(c, live[pos]->host_ref, in, e);
        }
    }
    free(live);
    return rc;
}

/* A sink's flush() after every write of the batch: the stories still live
 * in msgs[0..n) are the ones it accepted. */
static int sink_flush(nw_chain *c, chain_instance *in, nw_chain_msg *const *msgs, size_t n,
                      nw_err *err)
{
    for (unsigned attempt = 0;; attempt++) {
        char e[NW_ERR_MSG_MAX] = "";
        double t0 = in->lat[2] ? mono_s() : 0;
        nw_plugin_status st = in->desc->flush(in->state, e, sizeof e);
        if (in->lat[2])
            nw_histogram_observe(in->lat[2], mono_s() - t0);
        if (st == NW_PLUGIN_OK || st == NW_PLUGIN_DROP)
            break;
        if (st == NW_PLUGIN_RETRY) {
            if (!backoff(c, in, attempt, "flush", e))
                return stopped(err, in);
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (msgs[i]->state == NW_MSG_LIVE)
                mark_dead(c, msgs[i], in, e);
        break;
    }
    if (c->opts.metrics)
        for (size_t i = 0; i < n; i++)
            if (msgs[i]->state == NW_MSG_LIVE)
                count_story(in, msgs[i], COUNT_PROCESSED);
    return 0;
}

/* -------------------------------------------------------- partition events */

int nw_chain_note_partition(nw_chain *c, const char *topic, int32_t partition, bool assigned)
{
    char *t = strdup(topic ? topic : "");
    if (!t)
        return NW_ENOMEM;
    pthread_mutex_lock(&c->events_mu);
    int rc = 0;
    if (c->nevents == c->events_cap) {
        size_t cap = c->events_cap ? c->events_cap * 2 : 16;
        partition_event *ev = realloc(c->events, cap * sizeof *ev);
        if (ev) {
            c->events = ev;
            c->events_cap = cap;
        } else {
            rc = NW_ENOMEM;
        }
    }
    if (rc == 0)
        c->events[c->nevents++] = (partition_event){t, partition, assigned};
    else
        free(t);
    pthread_mutex_unlock(&c->events_mu);
    return rc;
}

static bool wants_partitions(const nw_plugin_descriptor *d)
{
    return NW_PLUGIN_HAS(d, nw_plugin_descriptor, revoked) && (d->assigned || d->revoked);
}

void nw_chain_deliver_events(nw_chain *c)
{
    pthread_mutex_lock(&c->events_mu);
    partition_event *ev = c->events;
    size_t n = c->nevents;
    c->events = NULL;
    c->nevents = c->events_cap = 0;
    pthread_mutex_unlock(&c->events_mu);
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < c->len; s++) {
            chain_instance *in = &c->inst[s];
            if (!in->state || !wants_partitions(in->desc))
                continue;
            nw_plugin_status (*cb)(void *, const char *, int32_t, char *, size_t) =
                ev[i].assigned ? in->desc->assigned : in->desc->revoked;
            char e[NW_ERR_MSG_MAX] = "";
            if (cb && cb(in->state, ev[i].topic, ev[i].partition, e, sizeof e) != NW_PLUGIN_OK)
                nw_log_warn("chain",
                            "partition %s failed plugin=%s topic=%s partition=%d error=\"%s\"",
                            ev[i].assigned ? "assigned" : "revoked", in->name, ev[i].topic,
                            (int)ev[i].partition, e);
        }
        free(ev[i].topic);
    }
    free(ev);
}

void nw_chain_retry_reason(nw_chain *c, char *reason, size_t reason_len)
{
    pthread_mutex_lock(&c->events_mu);
    snprintf(reason, reason_len, "%s", atomic_load(&c->backing_off) ? c->retry_reason : "");
    pthread_mutex_unlock(&c->events_mu);
}

bool nw_chain_check_ready(nw_chain *c, char *reason, size_t reason_len)
{
    nw_chain_deliver_events(c);
    bool all = true;
    for (size_t s = 0; s < c->len; s++) {
        chain_instance *in = &c->inst[s];
        const nw_plugin_descriptor *d = in->desc;
        char e[NW_ERR_MSG_MAX] = "";
        bool ok = !in->state || !NW_PLUGIN_HAS(d, nw_plugin_descriptor, ready) || !d->ready ||
                  d->ready(in->state, e, sizeof e) == NW_PLUGIN_OK;
        nw_gauge_set(in->ready, ok ? 1 : 0);
        if (!ok && all)
            snprintf(reason, reason_len, "plugin %s: %s", in->name, e[0] ? e : "(no reason given)");
        all = all && ok;
    }
    return all;
}

/* ------------------------------------------------------------------ running */

/* Stories a part-writing sink receives per write() (and every stage before
 * it runs over per part): a few dozen decoded stories stay in the CPU's
 * caches from decode to encode. 16, 32 and 64 measured alike
 * (docs/benchmarks.md, bench_consumer). */
#define PART_STORIES 32

static void log_host_dead(nw_chain *c, const nw_chain_msg *m)
{
    c->stats.dead++;
    nw_log_error("chain",
                 "permanent failure plugin=%s uri=\"%s\" topic=%s partition=%d "
                 "offset=%lld error=\"%s\"",
                 NW_CHAIN_HOST_NAME, m->uri, m->topic, (int)m->pub.partition,
                 (long long)m->pub.offset, m->dead_reason);
}

/* Decode the live stories of msgs[0..n) that were left for the run
 * (nw_chain_msg_init_borrowed). */
static void decode_part(nw_chain *c, nw_chain_msg *const *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nw_chain_msg *m = msgs[i];
        if (!m->undecoded)
            continue;
        m->undecoded = false;
        if (m->state != NW_MSG_LIVE)
            continue; /* dropped by the host (a tombstone): never decoded */
        decode_story(m);
        if (m->state == NW_MSG_DEAD)
            log_host_dead(c, m);
    }
}

/* After the chain's last write of a story its document and text are not
 * needed any more (plugin.h: borrowed for the call): free them now rather
 * than with the batch. */
static void release_story(nw_chain_msg *m)
{
    json_decref(m->pub.doc);
    m->pub.doc = NULL;
    free(m->text);
    m->text = NULL;
}

/* The stages [first, *last] of the segment starting at `first`: filters up
 * to and including the next sink (or the chain's end). True when it runs in
 * parts: its sink writes in parts (nw_plugin_descriptor.write_in_parts) or
 * it has none. */
static bool segment(const nw_chain *c, size_t first, size_t *last)
{
    size_t s = first;
    while (s + 1 < c->len && c->inst[s].desc->kind != NW_PLUGIN_SINK)
        s++;
    *last = s;
    const nw_plugin_descriptor *d = c->inst[s].desc;
    return d->kind != NW_PLUGIN_SINK ||
           (NW_PLUGIN_HAS(d, nw_plugin_descriptor, write_in_parts) && d->write_in_parts);
}

/* Segment by segment: its filters and its sink's write() over each part of
 * the batch, then the flush()es of its stages in chain order, so a sink's
 * flush() comes before any later plugin sees the batch (plugin-guide.md). */
int nw_chain_run(nw_chain *c, nw_chain_msg *const *msgs, size_t n, nw_err *err)
{
    nw_chain_deliver_events(c);
    c->stats.stories += n;
    for (size_t i = 0; i < n; i++) {
        nw_chain_msg *m = msgs[i];
        if (m->state == NW_MSG_DEAD && m->dead_plugin &&
            !strcmp(m->dead_plugin, NW_CHAIN_HOST_NAME))
            log_host_dead(c, m);
    }
    int rc = 0;
    for (size_t first = 0, last = 0; first < c->len && rc == 0; first = last + 1) {
        bool parts = segment(c, first, &last);
        size_t part = parts ? PART_STORIES : (n ? n : 1);
        /* the chain's last segment in parts: release each part when written */
        bool release = parts && last + 1 == c->len;
        for (size_t k = 0; k < n && rc == 0; k += part) {
            size_t np = n - k < part ? n - k : part;
            decode_part(c, msgs + k, np);
            for (size_t s = first; s <= last && rc == 0; s++) {
                chain_instance *in = &c->inst[s];
                rc = in->desc->kind == NW_PLUGIN_FILTER ? filter_process(c, in, msgs + k, np, err)
                                                        : sink_write(c, in, msgs + k, np, err);
            }
            for (size_t i = k; release && rc == 0 && i < k + np; i++)
                release_story(msgs[i]);
        }
        for (size_t s = first; s <= last && rc == 0; s++) {
            chain_instance *in = &c->inst[s];
            rc = in->desc->kind == NW_PLUGIN_FILTER ? filter_flush(c, in, err)
                                                    : sink_flush(c, in, msgs, n, err);
        }
    }
    atomic_store(&c->backing_off, 0);
    return rc;
}

int nw_chain_flush(nw_chain *c, nw_err *err)
{
    return nw_chain_run(c, NULL, 0, err) < 0 ? NW_ERETRY : 0;
}
