/*
 * sqlite-fts — plugin adapter over nw_fts_store: settings, the per-process
 * registry that makes the `workers: N` instances of one database share one
 * store and one embargo release thread, buffering between write() and
 * flush(). Design in sqlite_fts.h.
 */
#include "sqlite_fts.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_log.h"

#define MOD "sqlite-fts"
/* The release thread looks for due embargoes at least this often. */
#define RELEASE_POLL_MS 1000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- registry */

/* One open database file of the process. */
typedef struct shared {
    char *key; /* absolute path of the database file */
    nw_fts_store *store;
    int refs;
    pthread_t releaser;
    pthread_mutex_t lock; /* guards stop and the condition */
    pthread_cond_t wake;
    bool stop;
    struct shared *next;
} shared;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static shared *registry;

static void *release_loop(void *arg)
{
    shared *sh = arg;
    pthread_mutex_lock(&sh->lock);
    while (!sh->stop) {
        pthread_mutex_unlock(&sh->lock);
        int64_t next = INT64_MAX;
        nw_err err = {0};
        int n = nw_fts_store_release_due(sh->store, now_ms(), &next, &err);
        if (n < 0)
            nw_log_warn(MOD, "releasing embargoes failed (retried) error=\"%s\"", err.msg);
        else if (n > 0)
            nw_log_info(MOD, "embargoes released count=%d db=%s", n, sh->key);
        int64_t now = now_ms();
        int64_t wait =
            next == INT64_MAX || next - now > RELEASE_POLL_MS ? RELEASE_POLL_MS : next - now;
        if (wait < 1)
            wait = 1;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait / 1000;
        until.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&sh->lock);
        if (!sh->stop)
            pthread_cond_timedwait(&sh->wake, &sh->lock, &until);
    }
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

/* "/abs/dir/name" for path, whether or not the file exists yet. */
static char *absolute_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    const char *base = slash ? slash + 1 : path;
    char real[PATH_MAX];
    char *out = NULL;
    if (dir && realpath(dir, real)) {
        size_t n = strlen(real) + strlen(base) + 2;
        out = malloc(n);
        if (out)
            snprintf(out, n, "%s/%s", strcmp(real, "/") ? real : "", base);
    }
    free(dir);
    return out;
}

static shared *shared_acquire(const char *path, nw_err *err)
{
    char *key = absolute_path(path);
    if (!key) {
        nw_err_set(err, NW_EINVAL, "path: the directory of %s does not exist: %s", path,
                   strerror(errno));
        return NULL;
    }
    pthread_mutex_lock(&registry_lock);
    shared *sh = registry;
    while (sh && strcmp(sh->key, key))
        sh = sh->next;
    if (sh) {
        sh->refs++;
        free(key);
        pthread_mutex_unlock(&registry_lock);
        return sh;
    }
    sh = calloc(1, sizeof *sh);
    if (!sh) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        goto fail;
    }
    sh->key = key;
    key = NULL;
    if (nw_fts_store_open(sh->key, &sh->store, err) < 0)
        goto fail;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->wake, NULL);
    if (pthread_create(&sh->releaser, NULL, release_loop, sh) != 0) {
        nw_err_set(err, NW_ERETRY, "cannot start the embargo release thread");
        pthread_cond_destroy(&sh->wake);
        pthread_mutex_destroy(&sh->lock);
        nw_fts_store_close(sh->store);
        goto fail;
    }
    sh->refs = 1;
    sh->next = registry;
    registry = sh;
    pthread_mutex_unlock(&registry_lock);
    return sh;
fail:
    if (sh)
        free(sh->key);
    free(sh);
    free(key);
    pthread_mutex_unlock(&registry_lock);
    return NULL;
}

static void shared_release(shared *sh)
{
    pthread_mutex_lock(&registry_lock);
    if (--sh->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    for (shared **p = &registry; *p; p = &(*p)->next)
        if (*p == sh) {
            *p = sh->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_lock(&sh->lock);
    sh->stop = true;
    pthread_cond_signal(&sh->wake);
    pthread_mutex_unlock(&sh->lock);
    pthread_join(sh->releaser, NULL);
    pthread_cond_destroy(&sh->wake);
    pthread_mutex_destroy(&sh->lock);
    nw_fts_store_close(sh->store);
    free(sh->key);
    free(sh);
}

/* ---------------------------------------------------------------- instance */

typedef struct pending {
    json_t *story; /* owned reference */
    char *raw;     /* copy of the message's JSON text */
    size_t raw_len;
    char *category;
} pending;

/* What happened to each version, as the series
 * newswire_sqlite_fts_versions_total{outcome="..."}. */
static const char *const outcomes[] = {"indexed",       "killed",        "withheld",
                                       "embargoed",     "skipped_older", "skipped_same",
                                       "skipped_killed"};
#define NOUTCOMES (sizeof outcomes / sizeof outcomes[0])

typedef struct sqlite_fts {
    shared *sh;
    pending *buf;
    size_t n, cap;
    const nw_plugin_api *api;
    nw_plugin_metric *m_outcome[NOUTCOMES]; /* NULL without metrics */
} sqlite_fts;

static void metrics_init(sqlite_fts *p)
{
    const nw_plugin_api *a = p->api;
    if (!a || !a->metric || !a->metric_add)
        return;
    for (size_t i = 0; i < NOUTCOMES; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "outcome=\"%s\"", outcomes[i]);
        p->m_outcome[i] =
            a->metric(a->host, NW_PLUGIN_COUNTER, "newswire_sqlite_fts_versions_total",
                      "Story versions the index received, by what became of them "
                      "(docs/story-state.md)",
                      labels, NULL, 0);
    }
}

static void metrics_add(sqlite_fts *p, const nw_fts_stats *b)
{
    if (!p->api || !p->api->metric_add)
        return;
    const uint64_t v[NOUTCOMES] = {b->indexed,       b->killed,        b->withheld,
                                   b->embargoed,     b->skipped_older, b->skipped_same,
                                   b->skipped_killed};
    for (size_t i = 0; i < NOUTCOMES; i++)
        if (v[i])
            p->api->metric_add(p->m_outcome[i], (double)v[i]);
}

static void pending_clear(sqlite_fts *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_decref(p->buf[i].story);
        free(p->buf[i].raw);
        free(p->buf[i].category);
    }
    p->n = 0;
}

static void fts_destroy(void *state)
{
    sqlite_fts *p = state;
    if (!p)
        return;
    pending_clear(p);
    free(p->buf);
    if (p->sh)
        shared_release(p->sh);
    free(p);
}

typedef struct fts_conf {
    const char *db;
} fts_conf;

static const nw_plugin_config_entry fts_config_map[] = {
    {.key = "db",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(fts_conf, db),
     .description = "the index database file, e.g. /var/lib/newswire/search.db"},
    {.key = NULL},
};

static void *fts_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const char *path = ((const fts_conf *)cfg->conf)->db;
    sqlite_fts *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    nw_err e = {0};
    if (!(p->sh = shared_acquire(path, &e))) {
        snprintf(err, errlen, "db: %s", e.msg);
        free(p);
        return NULL;
    }
    p->api = cfg->api;
    metrics_init(p);
    return p;
}

nw_fts_store *nw_sqlite_fts_store(const void *state)
{
    return ((const sqlite_fts *)state)->sh->store;
}

/* Decode, check and buffer one story. */
static nw_plugin_status add_story(sqlite_fts *p, const nw_plugin_msg *m, char *err, size_t errlen)
{
    /* The host's document, kept until flush(): a sink's flush comes before any
     * later plugin of the chain runs, so the tree does not change meanwhile. */
    json_t *story = m->doc;
    nw_err e = {0};
    if (nw_fts_story_check(story, &e) < 0) {
        snprintf(err, errlen, "story at %s/%d/%" PRId64 " cannot be indexed: %s", m->topic,
                 (int)m->partition, m->offset, e.msg);
        return NW_PLUGIN_FATAL;
    }
    size_t text_len = 0;
    const char *text = p->api->text(m->host_ref, &text_len);
    if (!text)
        goto oom;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        pending *nb = realloc(p->buf, cap * sizeof *nb);
        if (!nb)
            goto oom;
        p->buf = nb;
        p->cap = cap;
    }
    pending *slot = &p->buf[p->n];
    slot->story = json_incref(story);
    slot->raw = strndup(text, text_len);
    slot->raw_len = text_len;
    slot->category = m->category ? strdup(m->category) : NULL;
    if (!slot->raw || (m->category && !slot->category)) {
        json_decref(slot->story);
        free(slot->raw);
        free(slot->category);
        goto oom;
    }
    p->n++;
    return NW_PLUGIN_OK;
oom:
    snprintf(err, errlen, "out of memory buffering a story");
    return NW_PLUGIN_RETRY;
}

static nw_plugin_status fts_write(void *state, nw_plugin_msg *const *batch, size_t count,
                                  size_t *failed_index, char *err, size_t errlen)
{
    sqlite_fts *p = state;
    for (size_t i = 0; i < count; i++) {
        nw_plugin_status st = add_story(p, batch[i], err, errlen);
        if (st == NW_PLUGIN_FATAL)
            *failed_index = i;
        if (st != NW_PLUGIN_OK) /* RETRY: the ones buffered are skipped as the */
            return st;          /* same version when handed in again */
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status fts_flush(void *state, char *err, size_t errlen)
{
    sqlite_fts *p = state;
    if (p->n == 0)
        return NW_PLUGIN_OK;
    nw_fts_story *in = malloc(p->n * sizeof *in);
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
    for (size_t i = 0; i < p->n; i++)
        in[i] =
            (nw_fts_story){p->buf[i].story, p->buf[i].raw, p->buf[i].raw_len, p->buf[i].category};
    nw_err e = {0};
    nw_fts_stats done;
    int rc = nw_fts_store_write(p->sh->store, in, p->n, now_ms(), &done, &e);
    free(in);
    if (rc < 0) { /* nothing committed: the buffer stays for the retry */
        snprintf(err, errlen, "%s", e.msg);
        return NW_PLUGIN_RETRY;
    }
    metrics_add(p, &done);
    pending_clear(p);
    /* an embargo may now be due sooner than the release thread expects */
    pthread_mutex_lock(&p->sh->lock);
    pthread_cond_signal(&p->sh->wake);
    pthread_mutex_unlock(&p->sh->lock);
    return NW_PLUGIN_OK;
}

/* Ready: the database file and its directory (journal, WAL) are writable. */
static nw_plugin_status fts_ready(void *state, char *err, size_t errlen)
{
    const char *path = ((sqlite_fts *)state)->sh->key;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    const char *bad = access(path, W_OK) != 0 ? path : access(dir, W_OK) != 0 ? dir : NULL;
    if (!bad)
        return NW_PLUGIN_OK;
    snprintf(err, errlen, "%s is not writable: %s", bad, strerror(errno));
    return NW_PLUGIN_RETRY;
}

const nw_plugin_descriptor nw_plugin_sqlite_fts = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "sqlite-fts",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(fts_config_map, fts_conf),
    .kind = NW_PLUGIN_SINK,
    .description = "keep a searchable SQLite FTS5 index of the current version of every story",
    .init = fts_init,
    .process = NULL,
    .write = fts_write,
    .flush = fts_flush,
    .destroy = fts_destroy,
    .ready = fts_ready,
};
