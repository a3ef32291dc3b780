/*
 * postgres — the built-in sink plugin over nw_pg_sink (docs/postgres-sink.md).
 * The adapter between the plugin ABI and the core: settings, decoding the
 * story text, mapping per-story outcomes onto the host's write/flush
 * protocol, metrics. It never talks SQL itself.
 *
 * Settings: conninfo (required; a libpq connection string or URI: put the
 * password in a passfile or PGPASSWORD, never here), table (default
 * "stories").
 *
 * Metrics: newswire_postgres_stories_total{outcome="written|skipped_older|
 * skipped_same|skipped_killed|refused"} (docs/story-state.md, "Counters").
 *
 * Outcomes. A refused story is answered NW_PLUGIN_FATAL with its index (the
 * host dead-letters it with the SQLSTATE and message) after the core wrote
 * the rest of the batch; the host then hands back the stories after it,
 * whose outcomes are already known and are answered from `done` without
 * writing them twice.
 */
#include "postgres.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_pg_sink.h"

typedef struct pg_done {
    const void *ref;
    int32_t partition;
    int64_t offset;
} pg_done;

typedef struct pg_plugin {
    nw_pg_options opts;
    char *conninfo, *table;
    nw_pg_sink *sink; /* NULL until connected */
    const nw_plugin_api *api;
    nw_plugin_metric *m_written, *m_refused;
    nw_plugin_metric *m_skipped[3]; /* by nw_story_skip: older, same, killed */
    /* outcomes of stories the host will hand back after a FATAL answer */
    pg_done *done_ref; /* which stories: the host reuses its message structs */
    nw_pg_outcome *done;
    size_t ndone;
} pg_plugin;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pg_destroy(void *state)
{
    pg_plugin *p = state;
    if (!p)
        return;
    nw_pg_sink_close(p->sink);
    free(p->done_ref);
    free(p->done);
    free(p->conninfo);
    free(p->table);
    free(p);
}

/* Connect when not connected. 0, or the core's status with err. */
static int connect_sink(pg_plugin *p, nw_err *err)
{
    if (p->sink)
        return 0;
    return nw_pg_sink_open(&p->opts, &p->sink, err);
}

static nw_plugin_metric *counter(const nw_plugin_config *cfg, const char *outcome)
{
    if (!cfg->api || !cfg->api->metric)
        return NULL;
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", outcome);
    return cfg->api->metric(cfg->api->host, NW_PLUGIN_COUNTER, "newswire_postgres_stories_total",
                            "stories the postgres sink handled, by outcome", labels, NULL, 0);
}

typedef struct pg_conf {
    const char *conninfo, *table;
} pg_conf;

static const nw_plugin_config_entry pg_config_map[] = {
    {.key = "conninfo",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(pg_conf, conninfo),
     .description = "libpq connection string, e.g. \"host=db dbname=news user=newswire\" (the "
                    "password from PGPASSWORD or a passfile)"},
    {.key = "table",
     .type = NW_PLUGIN_T_STRING,
     .default_value = "stories",
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(pg_conf, table),
     .description = "table of the stories (created if missing)"},
    {.key = NULL},
};

static void *pg_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const pg_conf *conf = cfg->conf;
    const char *conninfo = conf->conninfo, *table = conf->table;
    pg_plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->conninfo = strdup(conninfo)) || !(p->table = strdup(table))) {
        pg_destroy(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->opts.conninfo = p->conninfo;
    p->opts.table = p->table;
    p->api = cfg->api;
    nw_err e = {0};
    int rc = connect_sink(p, &e);
    if (rc < 0 && rc != NW_ERETRY) { /* a refused login or a bad conninfo: a config error */
        snprintf(err, errlen, "%s", e.msg);
        pg_destroy(p);
        return NULL;
    }
    if (rc < 0 && cfg->api && cfg->api->log) /* unreachable: writes retry until it is back */
        cfg->api->log(cfg->api->host, 1, "postgres not reachable yet, will retry: %s", e.msg);
    p->m_written = counter(cfg, "written");
    for (int i = 0; i < 3; i++)
        p->m_skipped[i] = counter(cfg, nw_story_skip_name((nw_story_skip)i));
    p->m_refused = counter(cfg, "refused");
    return p;
}

static void count(pg_plugin *p, const nw_pg_outcome *o)
{
    if (!p->api || !p->api->metric_add)
        return;
    p->api->metric_add(o->result == NW_PG_WRITTEN ? p->m_written
                       : o->result == NW_PG_STALE ? p->m_skipped[o->skip]
                                                  : p->m_refused,
                       1);
}

/* Answer from the outcomes of the first refused story in out[0..n); keeps
 * those after it for the host's next call. */
static nw_plugin_status answer(pg_plugin *p, nw_plugin_msg *const *batch, const nw_pg_outcome *out,
                               size_t n, size_t *failed_index, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < n && out[i].result != NW_PG_REFUSED)
        count(p, &out[i++]);
    p->ndone = 0;
    if (i == n)
        return NW_PLUGIN_OK;
    count(p, &out[i]);
    snprintf(err, errlen, "%s%s%s%s", out[i].sqlstate[0] ? "SQLSTATE " : "", out[i].sqlstate,
             out[i].sqlstate[0] ? ": " : "", out[i].reason);
    *failed_index = i;
    size_t rest = n - i - 1;
    pg_done *refs = realloc(p->done_ref, (rest ? rest : 1) * sizeof *refs);
    if (refs)
        p->done_ref = refs;
    nw_pg_outcome *keep = refs ? realloc(p->done, (rest ? rest : 1) * sizeof *keep) : NULL;
    if (keep) { /* without memory the rest is simply written again: idempotent */
        p->done = keep;
        for (size_t k = 0; k < rest; k++) {
            const nw_plugin_msg *m = batch[i + 1 + k];
            p->done_ref[k] = (pg_done){m->host_ref, m->partition, m->offset};
            p->done[k] = out[i + 1 + k];
        }
        p->ndone = rest;
    }
    return NW_PLUGIN_FATAL;
}

static nw_plugin_status pg_write(void *state, nw_plugin_msg *const *batch, size_t count,
                                 size_t *failed_index, char *err, size_t errlen)
{
    pg_plugin *p = state;
    if (p->ndone && count == p->ndone) { /* the rest of a batch we answered FATAL */
        bool same = true;
        for (size_t i = 0; i < count && same; i++)
            same = batch[i]->host_ref == p->done_ref[i].ref &&
                   batch[i]->partition == p->done_ref[i].partition &&
                   batch[i]->offset == p->done_ref[i].offset;
        if (same) {
            nw_pg_outcome *out = malloc(count * sizeof *out);
            if (out) {
                memcpy(out, p->done, count * sizeof *out);
                nw_plugin_status st = answer(p, batch, out, count, failed_index, err, errlen);
                free(out);
                return st;
            }
        }
    }
    p->ndone = 0;
    nw_err e = {0};
    if (connect_sink(p, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    nw_pg_item *items = calloc(count ? count : 1, sizeof *items);
    nw_pg_outcome *out = calloc(count ? count : 1, sizeof *out);
    nw_plugin_status st = NW_PLUGIN_RETRY;
    if (!items || !out) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        items[i].story = batch[i]->doc; /* the host's document (plugin.h: parse once) */
        items[i].uri = batch[i]->uri;
        items[i].category = batch[i]->category;
    }
    int rc = nw_pg_sink_write(p->sink, items, count, now_ms(), out, &e);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e.msg);
        goto done;
    }
    st = answer(p, batch, out, count, failed_index, err, errlen);
done:
    free(items);
    free(out);
    return st;
}

static nw_plugin_status pg_flush(void *state, char *err, size_t errlen)
{
    pg_plugin *p = state;
    if (!p->sink)
        return NW_PLUGIN_OK; /* nothing was written */
    nw_err e = {0};
    if (nw_pg_sink_commit(p->sink, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

/* Ready: connected (or connecting now) and the server answers. */
static nw_plugin_status pg_ready(void *state, char *err, size_t errlen)
{
    pg_plugin *p = state;
    nw_err e = {0};
    if (connect_sink(p, &e) < 0 || nw_pg_sink_check(p->sink, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

nw_pg_stats nw_postgres_plugin_stats(const void *state)
{
    const pg_plugin *p = state;
    nw_pg_stats none = {0};
    return p->sink ? nw_pg_sink_stats(p->sink) : none;
}

const nw_plugin_descriptor nw_plugin_postgres = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "postgres",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(pg_config_map, pg_conf),
    .kind = NW_PLUGIN_SINK,
    .description = "keep the newest version of every story in a PostgreSQL table (jsonb, "
                   "full-text search)",
    .init = pg_init,
    .process = NULL,
    .write = pg_write,
    .flush = pg_flush,
    .destroy = pg_destroy,
    .ready = pg_ready,
};
