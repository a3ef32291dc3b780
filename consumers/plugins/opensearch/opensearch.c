/*
 * opensearch — the built-in sink plugin over nw_os_sink
 * (docs/opensearch-sink.md): settings and secrets, decoding the story text,
 * per-story outcomes onto the host's write protocol. No HTTP here.
 *
 * Settings: url (required; one or more, comma-separated), index (default
 * "news"; {category} and {date} are substituted), username with
 * password_env or password_file, or api_key_env / api_key_file; ca (CA
 * bundle path), tls_verify (default true), gzip (default false), timeout
 * (default 30s), max_bytes (largest request body, default 5MiB),
 * retry_initial and retry_max (the items' back-off, default 100ms and 5s),
 * retry_budget (how long a write keeps retrying items before it answers
 * RETRY, default 60s), template (a JSON file installed as the index template
 * "newswire" at start, e.g. deploy/opensearch-template.json).
 *
 * Metrics: newswire_opensearch_stories_total{outcome="written|skipped_older|
 * skipped_same|skipped_killed|refused"} (docs/story-state.md, "Counters").
 *
 * The outcomes of the last batch are kept with the host's references: when
 * the host hands back the same stories (after RETRY, or the rest after a
 * FATAL answer), settled ones are not sent again.
 */
#include "opensearch.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One story of the last batch and its outcome. The host reuses its message
 * structs, so a story is recognised by the struct and its place in the
 * stream together. */
typedef struct os_done {
    const void *ref;
    const char *topic;
    int32_t partition;
    int64_t offset;
    nw_os_outcome out;
} os_done;

/* newswire_opensearch_stories_total{outcome=...}, from the sink's counters. */
enum { OS_WRITTEN, OS_SKIPPED_OLDER, OS_SKIPPED_SAME, OS_SKIPPED_KILLED, OS_REFUSED, OS_NOUTCOMES };
static const char *const os_outcomes[OS_NOUTCOMES] = {"written", "skipped_older", "skipped_same",
                                                      "skipped_killed", "refused"};

typedef struct os_plugin {
    nw_os_sink *sink;
    const nw_plugin_api *api;
    nw_plugin_metric *m_outcome[OS_NOUTCOMES]; /* NULL without metrics */
    uint64_t reported[OS_NOUTCOMES];           /* what the metrics were given so far */
    nw_os_options opts;
    char *strings[8]; /* owned copies behind opts */
    os_done *done;    /* the last batch, kept while the host may hand it back */
    size_t ndone;
} os_plugin;

static void os_destroy(void *state)
{
    os_plugin *p = state;
    if (!p)
        return;
    nw_os_sink_close(p->sink);
    for (size_t i = 0; i < sizeof p->strings / sizeof *p->strings; i++) {
        if (p->strings[i])
            memset(p->strings[i], 0, strlen(p->strings[i])); /* secrets among them */
        free(p->strings[i]);
    }
    for (size_t i = 0; i < p->ndone; i++)
        free((char *)p->done[i].topic);
    free(p->done);
    free(p);
}

/* A secret from an environment variable or the first line of a file. */
static char *read_secret(const char *key, const char *value, bool from_env, char *err,
                         size_t errlen)
{
    if (from_env) {
        const char *v = getenv(value);
        if (!v || !*v) {
            snprintf(err, errlen, "%s: environment variable %s is not set", key, value);
            return NULL;
        }
        return strdup(v);
    }
    FILE *f = fopen(value, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read %s: %s", key, value, strerror(errno));
        return NULL;
    }
    char line[4096] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (!got || !*line) {
        snprintf(err, errlen, "%s: %s is empty", key, value);
        return NULL;
    }
    return strdup(line);
}

typedef struct os_conf {
    nw_plugin_list url;
    const char *index, *username, *password_env, *password_file, *api_key_env, *api_key_file, *ca,
        *template_path;
    bool tls_verify, gzip;
    int64_t timeout_ms, retry_initial_ms, retry_max_ms, retry_budget_ms;
    uint64_t max_bytes;
} os_conf;

static const nw_plugin_config_entry os_config_map[] = {
    {.key = "url",
     .type = NW_PLUGIN_T_LIST,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(os_conf, url),
     .description = "base URL(s) of the engine, tried in turn"},
    {.key = "index",
     .type = NW_PLUGIN_T_STRING,
     .default_value = "news",
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(os_conf, index),
     .description = "index name; {category} and {date} are substituted"},
    {.key = "username",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, username),
     .description = "basic-auth user (with password_env or password_file)"},
    {.key = "password_env",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, password_env),
     .description = "environment variable holding the password"},
    {.key = "password_file",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, password_file),
     .description = "file whose first line is the password"},
    {.key = "api_key_env",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, api_key_env),
     .description = "environment variable holding an API key"},
    {.key = "api_key_file",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, api_key_file),
     .description = "file whose first line is an API key"},
    {.key = "ca",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, ca),
     .description = "CA bundle to verify the engine with"},
    {.key = "tls_verify",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "true",
     .offset = offsetof(os_conf, tls_verify),
     .description = "verify the engine's TLS certificate (false: tests only)"},
    {.key = "gzip",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(os_conf, gzip),
     .description = "compress request bodies"},
    {.key = "timeout",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "30s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(os_conf, timeout_ms),
     .description = "per request"},
    {.key = "max_bytes",
     .type = NW_PLUGIN_T_SIZE,
     .default_value = "5MiB",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(os_conf, max_bytes),
     .description = "largest request body"},
    {.key = "retry_initial",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "100ms",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(os_conf, retry_initial_ms),
     .description = "first back-off of an item the engine refused for now"},
    {.key = "retry_max",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "5s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(os_conf, retry_max_ms),
     .description = "longest back-off of an item"},
    {.key = "retry_budget",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "60s",
     .min = 1,
     .max = 1e12,
     .offset = offsetof(os_conf, retry_budget_ms),
     .description = "how long a write keeps retrying items before it answers RETRY"},
    {.key = "template",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(os_conf, template_path),
     .description = "JSON file installed as the index template \"newswire\" at start"},
    {.key = NULL},
};

/* A secret named by key=value, NULL when value is unset (no error). */
static int secret(const char *key, const char *value, bool from_env, char **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    if (!value)
        return 0;
    return (*out = read_secret(key, value, from_env, err, errlen)) ? 0 : -1;
}

static void metrics_init(os_plugin *p, const nw_plugin_config *cfg)
{
    const nw_plugin_api *a = cfg->api;
    p->api = a;
    if (!a || !a->metric || !a->metric_add)
        return;
    for (int i = 0; i < OS_NOUTCOMES; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "outcome=\"%s\"", os_outcomes[i]);
        p->m_outcome[i] =
            a->metric(a->host, NW_PLUGIN_COUNTER, "newswire_opensearch_stories_total",
                      "stories the opensearch sink handled, by outcome", labels, NULL, 0);
    }
}

/* Add what the sink counted since the last call to the metrics. */
static void metrics_report(os_plugin *p)
{
    if (!p->sink || !p->api || !p->api->metric_add)
        return;
    nw_os_stats s = nw_os_sink_stats(p->sink);
    uint64_t now[OS_NOUTCOMES] = {s.written, s.skipped_older, s.skipped_same, s.skipped_killed,
                                  s.refused};
    for (int i = 0; i < OS_NOUTCOMES; i++) {
        if (now[i] > p->reported[i])
            p->api->metric_add(p->m_outcome[i], (double)(now[i] - p->reported[i]));
        p->reported[i] = now[i];
    }
}

static void *os_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const os_conf *c = cfg->conf;
    os_plugin *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    nw_os_options *o = &p->opts;
    /* url: a list, or one comma-separated string as before */
    size_t ulen = 1;
    for (size_t i = 0; i < c->url.count; i++)
        ulen += strlen(c->url.items[i]) + 1;
    if (!(p->strings[0] = calloc(1, ulen))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < c->url.count; i++) {
        if (i)
            strcat(p->strings[0], ",");
        strcat(p->strings[0], c->url.items[i]);
    }
    o->urls = p->strings[0];
    o->index = c->index;
    o->username = c->username;
    o->ca_path = c->ca;
    if (secret("password_env", c->password_env, true, &p->strings[3], err, errlen) < 0 ||
        (!p->strings[3] &&
         secret("password_file", c->password_file, false, &p->strings[3], err, errlen) < 0) ||
        secret("api_key_env", c->api_key_env, true, &p->strings[4], err, errlen) < 0 ||
        (!p->strings[4] &&
         secret("api_key_file", c->api_key_file, false, &p->strings[4], err, errlen) < 0))
        goto fail;
    o->password = p->strings[3];
    o->api_key = p->strings[4];
    o->gzip = c->gzip;
    o->timeout_ms = (long)c->timeout_ms;
    o->max_bytes = (size_t)c->max_bytes;
    o->retry_initial_ms = (long)c->retry_initial_ms;
    o->retry_max_ms = (long)c->retry_max_ms;
    o->retry_budget_ms = (long)c->retry_budget_ms;
    const char *template_path = c->template_path;
    int verify = c->tls_verify;
    o->insecure = !verify;
    nw_err e = {0};
    int rc = nw_os_sink_open(o, &p->sink, &e);
    if (rc < 0 && rc != NW_ERETRY) {
        snprintf(err, errlen, "%s", e.msg);
        goto fail;
    }
    if (rc < 0 && cfg->api && cfg->api->log)
        cfg->api->log(cfg->api->host, 1, "search engine not reachable yet, will retry: %s", e.msg);
    if (template_path && p->sink) {
        FILE *f = fopen(template_path, "r");
        char *text = NULL;
        size_t len = 0;
        if (f) {
            FILE *m = open_memstream(&text, &len);
            int ch;
            while (m && (ch = fgetc(f)) != EOF)
                fputc(ch, m);
            if (m)
                fclose(m);
            fclose(f);
        }
        if (!text || nw_os_sink_put_template(p->sink, "newswire", text, &e) < 0) {
            snprintf(err, errlen, "template: %s", text ? e.msg : "cannot read the file");
            free(text);
            goto fail;
        }
        free(text);
    }
    metrics_init(p, cfg);
    return p;
fail:
    os_destroy(p);
    return NULL;
}

static bool same_story(const os_done *d, const nw_plugin_msg *m)
{
    return d->ref == m->host_ref && d->partition == m->partition && d->offset == m->offset &&
           d->topic && m->topic && !strcmp(d->topic, m->topic);
}

/* Outcomes of the last batch for this batch, when the host hands back the
 * same stories (or the tail of them after a FATAL answer); else all
 * pending. Then remembers this batch. */
static int recall(os_plugin *p, nw_plugin_msg *const *batch, size_t count, nw_os_outcome *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (nw_os_outcome){.result = NW_OS_PENDING};
    size_t off = 0;
    while (count && off < p->ndone && !same_story(&p->done[off], batch[0]))
        off++;
    if (count && off < p->ndone && p->ndone - off == count) {
        bool same = true;
        for (size_t i = 0; i < count && same; i++)
            same = same_story(&p->done[off + i], batch[i]);
        for (size_t i = 0; i < count && same; i++)
            out[i] = p->done[off + i].out;
    }
    for (size_t i = 0; i < p->ndone; i++)
        free((char *)p->done[i].topic);
    p->ndone = 0;
    os_done *d = realloc(p->done, (count ? count : 1) * sizeof *d);
    if (!d)
        return -1;
    p->done = d;
    for (size_t i = 0; i < count; i++)
        d[i] = (os_done){batch[i]->host_ref, strdup(batch[i]->topic ? batch[i]->topic : ""),
                         batch[i]->partition, batch[i]->offset, out[i]};
    p->ndone = count;
    return 0;
}

/* Keep the outcomes of this batch, or forget it when the host is done with it. */
static void remember(os_plugin *p, const nw_os_outcome *out, size_t count, bool keep)
{
    for (size_t i = 0; i < count && i < p->ndone; i++)
        p->done[i].out = out[i];
    if (!keep) {
        for (size_t i = 0; i < p->ndone; i++)
            free((char *)p->done[i].topic);
        p->ndone = 0;
    }
}

static nw_plugin_status os_write(void *state, nw_plugin_msg *const *batch, size_t count,
                                 size_t *failed_index, char *err, size_t errlen)
{
    os_plugin *p = state;
    nw_os_item *items = calloc(count ? count : 1, sizeof *items);
    nw_os_outcome *out = calloc(count ? count : 1, sizeof *out);
    nw_plugin_status st = NW_PLUGIN_RETRY;
    nw_err e = {0};
    if (!items || !out || recall(p, batch, count, out) < 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!p->sink && nw_os_sink_open(&p->opts, &p->sink, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (out[i].result != NW_OS_PENDING)
            continue;
        /* the host's document and its shared text (plugin.h: parse once;
         * NULL text, out of memory: the sink serializes the story) */
        size_t tl = 0;
        const char *t = p->api && p->api->text ? p->api->text(batch[i]->host_ref, &tl) : NULL;
        items[i] = (nw_os_item){batch[i]->doc, batch[i]->uri, batch[i]->category, t, tl};
    }
    int rc = nw_os_sink_write(p->sink, items, count, out, &e);
    metrics_report(p);
    if (rc < 0) {
        remember(p, out, count, true); /* RETRY: the host hands the same stories back */
        snprintf(err, errlen, "%s", e.msg);
        goto done;
    }
    st = NW_PLUGIN_OK;
    for (size_t i = 0; i < count; i++) {
        if (out[i].result == NW_OS_REFUSED) {
            *failed_index = i;
            snprintf(err, errlen, "%s", out[i].reason);
            st = NW_PLUGIN_FATAL;
            break;
        }
    }
    /* FATAL: the host hands back the stories after the refused one */
    remember(p, out, count, st == NW_PLUGIN_FATAL);
done:
    free(items);
    free(out);
    return st;
}

static nw_plugin_status os_flush(void *state, char *err, size_t errlen)
{
    (void)state;
    (void)err;
    (void)errlen;
    return NW_PLUGIN_OK; /* write() returns only when the engine acknowledged every item */
}

/* Ready: the cluster answers (the sink opened now if it could not be at start). */
static nw_plugin_status os_ready(void *state, char *err, size_t errlen)
{
    os_plugin *p = state;
    nw_err e = {0};
    int rc = p->sink ? nw_os_sink_check(p->sink, &e) : nw_os_sink_open(&p->opts, &p->sink, &e);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

nw_os_stats nw_opensearch_plugin_stats(const void *state)
{
    const os_plugin *p = state;
    nw_os_stats none = {0};
    return p->sink ? nw_os_sink_stats(p->sink) : none;
}

const nw_plugin_descriptor nw_plugin_opensearch = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "opensearch",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(os_config_map, os_conf),
    .kind = NW_PLUGIN_SINK,
    .description = "index the newest version of every story in OpenSearch / Elasticsearch "
                   "(_bulk, external versions)",
    .init = os_init,
    .process = NULL,
    .write = os_write,
    .flush = os_flush,
    .destroy = os_destroy,
    .ready = os_ready,
};
