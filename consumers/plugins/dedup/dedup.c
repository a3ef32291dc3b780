/*
 * dedup — plugin glue: settings, story fields, verdict, policy, metrics.
 * The design is in dedup.h; the parts are nw_dedup_norm (text folding),
 * nw_dedup_sketch (fingerprints), nw_dedup_index (the window) and
 * nw_dedup_sync (the shared Kafka topic).
 */
#include "dedup.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nw_dedup_norm.h"
#include "nw_dedup_sketch.h"
#include "nw_time.h"

typedef enum { POLICY_DROP, POLICY_MARK, POLICY_ROUTE } policy;

#define LAT_BUCKETS 40

typedef struct dedup {
    policy pol;
    char *route_topic, *header;
    double threshold;
    double containment; /* 0: resemblance only */
    size_t short_words;
    const nw_plugin_api *api;
    nw_dedup_index *idx;
    nw_dedup_sync *sync;
    nw_dedup_norm norm;
    nw_dedup_stats st;
    uint64_t lat_buckets[LAT_BUCKETS];
    double lat_total_us;
    nw_dedup_verdict last;
    /* Prometheus series through the host (NULL without metrics) and what
     * this instance has added to the shared ones so far */
    const nw_plugin_api *mapi;
    nw_plugin_metric *m_verdict[4], *m_stories, *m_bytes, *m_evict_age, *m_evict_cap, *m_remote,
        *m_lookup, *m_pending, *m_overflow;
    double sh_stories, sh_bytes, sh_pending;
    uint64_t sh_evict_age, sh_evict_cap, sh_remote, sh_overflow;
} dedup;

/* ------------------------------------------------------------ settings */

typedef struct dedup_conf {
    int policy; /* POLICY_* */
    const char *route_topic, *fingerprint_topic, *header;
    double threshold, containment;
    int64_t window_ms, bootstrap_timeout_ms, short_words, max_stories, fingerprint_partitions;
    nw_plugin_map kafka;
} dedup_conf;

static const nw_plugin_config_entry dedup_config_map[] = {
    {.key = "policy",
     .type = NW_PLUGIN_T_ENUM,
     .default_value = "mark",
     .choices = "drop|mark|route",
     .offset = offsetof(dedup_conf, policy),
     .description = "what happens to duplicates: dropped, marked (header + association) or routed"},
    {.key = "route_topic",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(dedup_conf, route_topic),
     .description = "where policy route sends duplicates (e.g. news.duplicates)"},
    {.key = "threshold",
     .type = NW_PLUGIN_T_NUMBER,
     .default_value = "0.55",
     .min = 0,
     .max = 1,
     .offset = offsetof(dedup_conf, threshold),
     .description = "estimated Jaccard similarity from which a story is a near-duplicate, (0, 1]"},
    {.key = "containment",
     .type = NW_PLUGIN_T_NUMBER,
     .default_value = "0.70", /* NW_DEDUP_CONTAINMENT */
     .min = 0,
     .max = 1,
     .offset = offsetof(dedup_conf, containment),
     .description = "share of a story's shingles found in an earlier one from which it is a "
                    "near-duplicate (contained copy), [0, 1]"},
    {.key = "window",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "72h",
     .min = 1,
     .max = 1e15,
     .offset = offsetof(dedup_conf, window_ms),
     .description = "stories older than the newest seen minus this are forgotten"},
    {.key = "short_words",
     .type = NW_PLUGIN_T_INT,
     .default_value = "20",
     .min = 0,
     .max = 100000,
     .offset = offsetof(dedup_conf, short_words),
     .description = "bodies with fewer words are short items: headline + body, exact matches only"},
    {.key = "max_stories",
     .type = NW_PLUGIN_T_INT,
     .default_value = "1000000",
     .min = 1,
     .max = (double)NW_DEDUP_INDEX_MAX,
     .offset = offsetof(dedup_conf, max_stories),
     .description = "index capacity in story versions (the oldest go first)"},
    {.key = "header",
     .type = NW_PLUGIN_T_STRING,
     .default_value = "nw-dedup",
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(dedup_conf, header),
     .description = "name of the verdict header"},
    {.key = "fingerprint_topic",
     .type = NW_PLUGIN_T_STRING,
     .default_value = NW_DEDUP_DEFAULT_TOPIC,
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(dedup_conf, fingerprint_topic),
     .description = "compacted topic the instances share fingerprints through"},
    {.key = "fingerprint_partitions",
     .type = NW_PLUGIN_T_INT,
     .default_value = "1",
     .min = 1,
     .max = 1024,
     .offset = offsetof(dedup_conf, fingerprint_partitions),
     .description = "partitions of the fingerprint topic when dedup creates it"},
    {.key = "bootstrap_timeout",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "60s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(dedup_conf, bootstrap_timeout_ms),
     .description = "how long init may read the fingerprint topic"},
    {.key = "kafka",
     .type = NW_PLUGIN_T_MAP,
     .offset = offsetof(dedup_conf, kafka),
     .description = "librdkafka properties of the fingerprint clients (bootstrap.servers: the "
                    "consumer's brokers by default)"},
    {.key = NULL},
};

/* Fingerprint records read from the topic go into the index. */
static void on_fingerprint(void *ctx, const nw_dedup_fp *fp)
{
    dedup *d = ctx;
    nw_err e = {0};
    if (nw_dedup_index_add(d->idx, fp, &e) == 0)
        d->st.remote++;
}

static void dd_destroy(void *state);
static void metrics_init(dedup *d);
static void metrics_sync(dedup *d);

static void *dd_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const dedup_conf *conf = cfg->conf;
    dedup *d = calloc(1, sizeof *d);
    const char **kv = calloc(2 * conf->kafka.count + 3, sizeof *kv);
    if (!d || !kv) {
        free(d);
        free(kv);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t nkv = 0, max_stories = (size_t)conf->max_stories,
           partitions = (size_t)conf->fingerprint_partitions;
    int64_t window_s = (conf->window_ms + 999) / 1000,
            boot_s = (conf->bootstrap_timeout_ms + 999) / 1000;
    const char *topic = conf->fingerprint_topic, *route = conf->route_topic, *header = conf->header;
    bool has_brokers = false;
    d->pol = (policy)conf->policy;
    d->threshold = conf->threshold;
    d->containment = conf->containment;
    d->short_words = (size_t)conf->short_words;
    d->api = cfg->api;
    nw_dedup_norm_init(&d->norm);
    if (!(d->threshold > 0)) {
        snprintf(err, errlen, "threshold: expected a number in (0, 1], got %g", d->threshold);
        goto fail;
    }
    for (size_t i = 0; i < conf->kafka.count; i++) {
        kv[nkv++] = conf->kafka.items[i].key;
        kv[nkv++] = conf->kafka.items[i].value;
        has_brokers |=
            !strcmp(conf->kafka.items[i].key, "bootstrap.servers") && *conf->kafka.items[i].value;
    }
    if (d->pol == POLICY_ROUTE && (!route || !*route)) {
        snprintf(err, errlen, "route_topic: required with policy route (e.g. news.duplicates)");
        goto fail;
    }
    d->route_topic = route ? strdup(route) : NULL;
    d->header = strdup(header);
    nw_err e = {0};
    if (!d->header || nw_dedup_index_new(max_stories, window_s, &d->idx, &e) < 0) {
        snprintf(err, errlen, "max_stories: %s", e.msg[0] ? e.msg : "out of memory");
        goto fail;
    }
    bool replay = cfg->api && cfg->api->emit;
    if (!has_brokers && cfg->brokers && *cfg->brokers) {
        /* default: share fingerprints on the cluster the consumer reads from */
        kv[nkv++] = "bootstrap.servers";
        kv[nkv++] = cfg->brokers;
        has_brokers = true;
    }
    if (has_brokers && !replay) {
        if (nw_dedup_sync_new(kv, nkv / 2, topic, (int)partitions, on_fingerprint, d, &d->sync,
                              &e) < 0 ||
            nw_dedup_sync_catch_up(d->sync, (int)(boot_s * 1000), &e) < 0) {
            snprintf(err, errlen, "kafka.bootstrap.servers: fingerprint topic %s: %s", topic,
                     e.msg);
            goto fail;
        }
        d->st.shared = true;
        if (d->api && d->api->log)
            d->api->log(d->api->host, 2, "dedup index loaded from %s: %" PRIu64 " fingerprints",
                        topic, d->st.remote);
    } else if (d->api && d->api->log) {
        d->api->log(d->api->host, replay ? 2 : 1,
                    "dedup index is local to this process (%s): not shared, not kept "
                    "across restarts",
                    replay ? "replay mode" : "no kafka.bootstrap.servers");
    }
    metrics_init(d);
    metrics_sync(d);
    free(kv);
    return d;
fail:
    free(kv);
    dd_destroy(d);
    return NULL;
}

static void dd_destroy(void *state)
{
    dedup *d = state;
    if (!d)
        return;
    if (d->mapi) {
        /* this instance's share of the summed gauges goes with it */
        d->mapi->metric_add(d->m_stories, -d->sh_stories);
        d->mapi->metric_add(d->m_bytes, -d->sh_bytes);
        d->mapi->metric_add(d->m_pending, -d->sh_pending);
    }
    nw_dedup_sync_free(d->sync);
    nw_dedup_index_free(d->idx);
    nw_dedup_norm_deinit(&d->norm);
    free(d->route_topic);
    free(d->header);
    free(d);
}

/* ------------------------------------------------------------- metrics */

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Lookup time buckets, seconds: 0.25 us .. 1 ms. */
static const double lookup_buckets[] = {2.5e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 1e-4, 1e-3};

static void metrics_init(dedup *d)
{
    const nw_plugin_api *a = d->api;
    if (!a || !a->metric || !a->metric_add)
        return;
    d->mapi = a;
    void *h = a->host;
    for (int k = 0; k < 4; k++) {
        char l[48];
        snprintf(l, sizeof l, "verdict=\"%s\"", nw_dedup_kind_name((nw_dedup_kind)k));
        d->m_verdict[k] = a->metric(h, NW_PLUGIN_COUNTER, "newswire_dedup_verdicts_total",
                                    "Stories judged by dedup, by verdict", l, NULL, 0);
    }
    d->m_stories = a->metric(h, NW_PLUGIN_GAUGE, "newswire_dedup_index_stories",
                             "Story versions in the dedup index (all workers)", NULL, NULL, 0);
    d->m_bytes = a->metric(h, NW_PLUGIN_GAUGE, "newswire_dedup_index_bytes",
                           "Memory allocated by the dedup index (all workers)", NULL, NULL, 0);
    d->m_evict_age =
        a->metric(h, NW_PLUGIN_COUNTER, "newswire_dedup_evictions_total",
                  "Stories evicted from the dedup index, by reason", "reason=\"age\"", NULL, 0);
    d->m_evict_cap = a->metric(h, NW_PLUGIN_COUNTER, "newswire_dedup_evictions_total",
                               "Stories evicted from the dedup index, by reason",
                               "reason=\"capacity\"", NULL, 0);
    d->m_overflow =
        a->metric(h, NW_PLUGIN_COUNTER, "newswire_dedup_index_key_overflows_total",
                  "Index keys lost because both of their buckets were full", NULL, NULL, 0);
    d->m_remote = a->metric(h, NW_PLUGIN_COUNTER, "newswire_dedup_remote_fingerprints_total",
                            "Fingerprints of other instances added from the fingerprint topic",
                            NULL, NULL, 0);
    d->m_pending =
        a->metric(h, NW_PLUGIN_GAUGE, "newswire_dedup_sync_unacked",
                  "Fingerprints published but not yet acknowledged by Kafka", NULL, NULL, 0);
    d->m_lookup = a->metric(h, NW_PLUGIN_HISTOGRAM, "newswire_dedup_lookup_seconds",
                            "Time of one dedup index lookup", NULL, lookup_buckets,
                            sizeof lookup_buckets / sizeof lookup_buckets[0]);
}

/* Bring the gauges and the counters kept in the index up to date (after
 * init and every flush, i.e. once per batch). */
static void metrics_sync(dedup *d)
{
    if (!d->mapi)
        return;
    nw_dedup_index_stats is = nw_dedup_index_get_stats(d->idx);
    double stories = (double)is.stories, bytes = (double)is.memory_bytes;
    d->mapi->metric_add(d->m_stories, stories - d->sh_stories);
    d->mapi->metric_add(d->m_bytes, bytes - d->sh_bytes);
    d->sh_stories = stories;
    d->sh_bytes = bytes;
    d->mapi->metric_add(d->m_evict_age, (double)(is.evicted_age - d->sh_evict_age));
    d->mapi->metric_add(d->m_evict_cap, (double)(is.evicted_capacity - d->sh_evict_cap));
    d->mapi->metric_add(d->m_overflow, (double)(is.slot_overwrites - d->sh_overflow));
    d->mapi->metric_add(d->m_remote, (double)(d->st.remote - d->sh_remote));
    d->sh_evict_age = is.evicted_age;
    d->sh_evict_cap = is.evicted_capacity;
    d->sh_overflow = is.slot_overwrites;
    d->sh_remote = d->st.remote;
    if (d->sync) {
        nw_dedup_sync_stats ss = nw_dedup_sync_get_stats(d->sync);
        double pending = (double)(ss.published - ss.delivered - ss.delivery_failures);
        d->mapi->metric_add(d->m_pending, pending - d->sh_pending);
        d->sh_pending = pending;
    }
}

static void observe_lookup(dedup *d, double us)
{
    if (d->mapi)
        d->mapi->metric_add(d->m_lookup, us / 1e6);
    double ns = us * 1000;
    int b = ns < 1 ? 0 : (int)log2(ns);
    if (b >= LAT_BUCKETS)
        b = LAT_BUCKETS - 1;
    d->lat_buckets[b]++;
    d->lat_total_us += us;
    d->st.lookups++;
}

nw_dedup_stats nw_dedup_get_stats(const void *state)
{
    const dedup *d = state;
    nw_dedup_stats s = d->st;
    s.index = nw_dedup_index_get_stats(d->idx);
    if (d->sync)
        s.sync = nw_dedup_sync_get_stats(d->sync);
    if (s.lookups) {
        s.lookup_mean_us = d->lat_total_us / (double)s.lookups;
        uint64_t acc = 0;
        for (int b = 0; b < LAT_BUCKETS; b++) {
            acc += d->lat_buckets[b];
            if (acc * 2 >= s.lookups) {
                s.lookup_median_us = pow(2, b + 0.5) / 1000; /* geometric bucket middle */
                break;
            }
        }
    }
    return s;
}

void nw_dedup_last_verdict(const void *state, nw_dedup_verdict *out)
{
    *out = ((const dedup *)state)->last;
}

size_t nw_dedup_sync_now(void *state, int wait_ms)
{
    dedup *d = state;
    return d->sync ? nw_dedup_sync_poll(d->sync, wait_ms) : 0;
}

bool nw_dedup_knows(void *state, const char *uri, const char *version)
{
    nw_dedup_hit h;
    return nw_dedup_index_get(((dedup *)state)->idx, uri, version ? version : "", &h, NULL) == 1;
}

/* ------------------------------------------------------------- process */

/* The story's time: versionCreated, firstCreated, the message time, now. */
static int64_t story_time(json_t *root, const nw_plugin_msg *m)
{
    const char *fields[] = {"versionCreated", "firstCreated"};
    for (int i = 0; i < 2; i++) {
        const char *v = json_string_value(json_object_get(root, fields[i]));
        int64_t t;
        if (v && nw_time_parse(v, NULL, &t, NULL, NULL) == 0)
            return t;
    }
    if (m->timestamp_ms > 0)
        return m->timestamp_ms / 1000;
    return (int64_t)time(NULL);
}

static bool is_html(json_t *text)
{
    const char *ct = json_string_value(json_object_get(text, "contentType"));
    return ct && strstr(ct, "html");
}

/* Normalized body (every bodies[] value) into d->norm; words of the body. */
static int normalize_body(dedup *d, json_t *root)
{
    json_t *bodies = json_object_get(root, "bodies");
    for (size_t i = 0; i < json_array_size(bodies); i++) {
        json_t *b = json_array_get(bodies, i);
        json_t *v = json_object_get(b, "value");
        if (json_is_string(v) && nw_dedup_norm_add(&d->norm, json_string_value(v),
                                                   json_string_length(v), is_html(b)) < 0)
            return -1;
    }
    return 0;
}

static int normalize_headline(dedup *d, json_t *root)
{
    json_t *h = json_array_get(json_object_get(root, "headlines"), 0);
    json_t *v = json_object_get(h, "value");
    return json_is_string(v)
               ? nw_dedup_norm_add(&d->norm, json_string_value(v), json_string_length(v), false)
               : 0;
}

/* s into dst[0..size), cut to fit, NUL-terminated. */
static void copy_cut(char *dst, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Add the ninjs association naming the original to the story JSON. */
static int add_association(dedup *d, json_t *root, nw_plugin_msg *m, const char *of)
{
    json_t *assoc = json_object_get(root, "associations");
    if (!json_is_array(assoc)) {
        assoc = json_array();
        json_object_set_new(root, "associations", assoc);
    }
    for (size_t i = 0; i < json_array_size(assoc); i++) {
        json_t *a = json_array_get(assoc, i);
        const char *rel = json_string_value(json_object_get(a, "rel"));
        const char *uri = json_string_value(json_object_get(a, "uri"));
        if (rel && uri && !strcmp(rel, "duplicateOf") && !strcmp(uri, of))
            return 0; /* already there (a replayed, already marked story) */
    }
    if (json_array_append_new(assoc, json_pack("{s:s, s:s, s:s}", "name", "duplicateOf", "rel",
                                               "duplicateOf", "uri", of)) < 0)
        return -1;
    return d->api->doc_changed(m->host_ref);
}

static nw_plugin_status apply(dedup *d, json_t *root, nw_plugin_msg *m, const nw_dedup_hit *v,
                              char *err, size_t errlen)
{
    bool dup = v->kind >= NW_DEDUP_DUPLICATE;
    d->last.kind = v->kind;
    d->last.score = v->score;
    copy_cut(d->last.of, sizeof d->last.of, dup && v->of ? v->of : "");
    if (dup && d->pol == POLICY_DROP) {
        d->st.dropped++;
        return NW_PLUGIN_DROP;
    }
    char hv[1024];
    const char *value = nw_dedup_kind_name(v->kind);
    if (dup) {
        snprintf(hv, sizeof hv, "%s; of=%s; score=%.2f", value, v->of, v->score);
        value = hv;
    }
    if (d->api->add_header(m->host_ref, d->header, value, strlen(value)) < 0) {
        snprintf(err, errlen, "out of memory adding the %s header", d->header);
        return NW_PLUGIN_RETRY;
    }
    if (dup && d->pol == POLICY_MARK) {
        if (add_association(d, root, m, v->of) < 0) {
            snprintf(err, errlen, "out of memory marking %s", m->uri);
            return NW_PLUGIN_RETRY;
        }
        d->st.marked++;
    } else if (dup && d->pol == POLICY_ROUTE) {
        if (d->api->set_route(m->host_ref, d->route_topic) < 0) {
            snprintf(err, errlen, "out of memory routing %s", m->uri);
            return NW_PLUGIN_RETRY;
        }
        d->st.routed++;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status dd_process(void *state, nw_plugin_msg *m, char *err, size_t errlen)
{
    dedup *d = state;
    if (d->sync)
        nw_dedup_sync_poll(d->sync, 0);
    json_t *root = m->doc;
    const char *uri = m->uri && *m->uri ? m->uri : json_string_value(json_object_get(root, "uri"));
    const char *status = json_string_value(json_object_get(root, "pubStatus"));
    if (!uri || (status && (!strcmp(status, "canceled") || !strcmp(status, "withheld")))) {
        d->st.passed++;
        return NW_PLUGIN_OK;
    }
    char version[64] = "";
    json_t *jv = json_object_get(root, "version");
    if (json_is_string(jv))
        copy_cut(version, sizeof version, json_string_value(jv));
    else if (json_is_integer(jv))
        snprintf(version, sizeof version, "%" JSON_INTEGER_FORMAT, json_integer_value(jv));

    nw_dedup_hit v = {.kind = NW_DEDUP_NEW};
    bool uri_known = false;
    double t0 = mono_us();
    int known = nw_dedup_index_get(d->idx, uri, version, &v, &uri_known);
    nw_dedup_fp fp = {.uri = uri, .version = version, .time_s = story_time(root, m)};
    if (known) {
        observe_lookup(d, mono_us() - t0);
        d->st.replays++;
    } else {
        nw_dedup_norm_reset(&d->norm);
        if (normalize_body(d, root) < 0) {
            snprintf(err, errlen, "out of memory normalizing %s", uri);
            return NW_PLUGIN_RETRY;
        }
        fp.short_text = d->norm.words < d->short_words;
        if (fp.short_text) {
            nw_dedup_norm_reset(&d->norm);
            if (normalize_headline(d, root) < 0 || normalize_body(d, root) < 0) {
                snprintf(err, errlen, "out of memory normalizing %s", uri);
                return NW_PLUGIN_RETRY;
            }
            d->st.short_texts++;
        }
        nw_dedup_sketch_compute(d->norm.text ? d->norm.text : "", d->norm.len, &fp.sk);
        t0 = mono_us();
        if (uri_known)
            v.kind = NW_DEDUP_UPDATE;
        else if (!nw_dedup_index_find(d->idx, &fp.sk, fp.short_text, uri,
                                      &(nw_dedup_rule){d->threshold, d->containment}, &v))
            v.kind = NW_DEDUP_NEW;
        observe_lookup(d, mono_us() - t0);
        fp.kind = v.kind;
        fp.score = v.score;
        /* v.of points into the index: keep a copy across the insert */
        char of[1024] = "";
        if (v.kind >= NW_DEDUP_DUPLICATE && v.of)
            copy_cut(of, sizeof of, v.of);
        fp.of = of;
        nw_err e = {0};
        int rc = nw_dedup_index_add(d->idx, &fp, &e);
        if (rc < 0) {
            snprintf(err, errlen, "%s: %s", uri, e.msg);
            return rc == NW_ENOMEM ? NW_PLUGIN_RETRY : NW_PLUGIN_FATAL;
        }
        if (d->sync && nw_dedup_sync_publish(d->sync, &fp, &e) < 0 && d->api->log)
            d->api->log(d->api->host, 1, "fingerprint of %s not published: %s", uri, e.msg);
        /* v.of must survive the insert: re-read it from the index */
        if (v.kind >= NW_DEDUP_DUPLICATE)
            nw_dedup_index_get(d->idx, uri, version, &v, NULL);
    }
    d->st.stories++;
    d->st.verdicts[v.kind]++;
    if (d->mapi)
        d->mapi->metric_add(d->m_verdict[v.kind], 1);
    return apply(d, root, m, &v, err, errlen);
}

static nw_plugin_status dd_flush(void *state, char *err, size_t errlen)
{
    dedup *d = state;
    nw_err e = {0};
    int rc = d->sync ? nw_dedup_sync_flush(d->sync, 10000, &e) : 0;
    metrics_sync(d);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_dedup = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "dedup",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(dedup_config_map, dedup_conf),
    .kind = NW_PLUGIN_FILTER,
    .description = "flag exact and near-duplicate stories (drop, mark or route them); "
                   "state shared through a Kafka topic",
    .init = dd_init,
    .process = dd_process,
    .write = NULL,
    .flush = dd_flush,
    .destroy = dd_destroy,
};
