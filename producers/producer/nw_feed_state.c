/*
 * nw_feed_state — the persistent seen-items store of a feed (see
 * nw_feed_state.h). In memory: a chained hash table keyed by uri that grows
 * by doubling. On disk (JSON lines, one object per line):
 *   {"newswire":"feed-state","v":1,"feed":"bbc","url":"https://...",
 *    "etag":"\"abc\"","last_modified":"Tue, 05 Mar 2024 14:30:00 GMT"}
 *   {"uri":"https://example.com/a","h":"0123456789abcdef","v":2,
 *    "vc":"2024-03-05T14:30:00Z","seen":1709649000}
 */
#define _GNU_SOURCE
#include "nw_feed_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "nw_buf.h"
#include "nw_json.h"
#include "nw_log.h"

#define FS_MAGIC       "feed-state"
#define FS_VERSION     1
#define FS_MIN_BUCKETS 64

typedef struct fs_entry {
    nw_feed_seen pub; /* pub.uri / pub.version_created point at the owned copies */
    char *uri, *vc;
    struct fs_entry *hnext;
} fs_entry;

struct nw_feed_state {
    fs_entry **buckets;
    size_t nbuckets, count;
    char *etag, *last_modified;
    bool dirty;
};

static uint64_t uri_hash(const char *uri)
{
    return XXH3_64bits(uri, strlen(uri));
}

nw_feed_state *nw_feed_state_new(void)
{
    nw_feed_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->nbuckets = FS_MIN_BUCKETS;
    if (!(st->buckets = calloc(st->nbuckets, sizeof *st->buckets))) {
        free(st);
        return NULL;
    }
    return st;
}

static void entry_free(fs_entry *e)
{
    free(e->uri);
    free(e->vc);
    free(e);
}

void nw_feed_state_free(nw_feed_state *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nbuckets; i++)
        for (fs_entry *e = st->buckets[i], *n; e; e = n) {
            n = e->hnext;
            entry_free(e);
        }
    free(st->buckets);
    free(st->etag);
    free(st->last_modified);
    free(st);
}

int nw_feed_state_path(const char *dir, const char *url, char *out, size_t len, nw_err *err)
{
    uint64_t h = XXH3_64bits(url, strlen(url));
    int n = snprintf(out, len, "%s/feed-%016" PRIx64 ".jsonl", dir, h);
    if (n < 0 || (size_t)n >= len)
        return nw_err_set(err, NW_ELIMIT, "%s: state path too long", dir);
    return 0;
}

static fs_entry *find(const nw_feed_state *st, const char *uri)
{
    for (fs_entry *e = st->buckets[uri_hash(uri) % st->nbuckets]; e; e = e->hnext)
        if (!strcmp(e->uri, uri))
            return e;
    return NULL;
}

const nw_feed_seen *nw_feed_state_get(const nw_feed_state *st, const char *uri)
{
    fs_entry *e = find(st, uri);
    return e ? &e->pub : NULL;
}

static void grow(nw_feed_state *st)
{
    size_t n = st->nbuckets * 2;
    fs_entry **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < st->nbuckets; i++)
        for (fs_entry *e = st->buckets[i], *next; e; e = next) {
            next = e->hnext;
            size_t k = uri_hash(e->uri) % n;
            e->hnext = b[k];
            b[k] = e;
        }
    free(st->buckets);
    st->buckets = b;
    st->nbuckets = n;
}

int nw_feed_state_put(nw_feed_state *st, const char *uri, uint64_t hash, unsigned version,
                      const char *version_created, int64_t seen)
{
    char *vc = NULL;
    if (version_created && !(vc = strdup(version_created)))
        return NW_ENOMEM;
    fs_entry *e = find(st, uri);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)) || !(e->uri = strdup(uri))) {
            free(e);
            free(vc);
            return NW_ENOMEM;
        }
        if (st->count + 1 > st->nbuckets)
            grow(st);
        size_t k = uri_hash(uri) % st->nbuckets;
        e->hnext = st->buckets[k];
        st->buckets[k] = e;
        st->count++;
    }
    free(e->vc);
    e->vc = vc;
    e->pub = (nw_feed_seen){
        .uri = e->uri, .hash = hash, .version = version, .version_created = e->vc, .seen = seen};
    st->dirty = true;
    return 0;
}

bool nw_feed_state_touch(nw_feed_state *st, const char *uri, int64_t seen)
{
    fs_entry *e = find(st, uri);
    if (!e)
        return false;
    if (e->pub.seen != seen) {
        e->pub.seen = seen;
        st->dirty = true;
    }
    return true;
}

static void unlink_entry(nw_feed_state *st, fs_entry *e)
{
    fs_entry **pp = &st->buckets[uri_hash(e->uri) % st->nbuckets];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    entry_free(e);
    st->count--;
    st->dirty = true;
}

/* newest first; ties by uri so the order is deterministic */
static int by_seen_desc(const void *a, const void *b)
{
    const fs_entry *x = *(fs_entry *const *)a, *y = *(fs_entry *const *)b;
    if (x->pub.seen != y->pub.seen)
        return x->pub.seen > y->pub.seen ? -1 : 1;
    return strcmp(x->uri, y->uri);
}

size_t nw_feed_state_prune(nw_feed_state *st, int64_t older_than, size_t max_items)
{
    size_t removed = 0;
    if (older_than > 0)
        for (size_t i = 0; i < st->nbuckets; i++)
            for (fs_entry *e = st->buckets[i], *n; e; e = n) {
                n = e->hnext;
                if (e->pub.seen < older_than) {
                    unlink_entry(st, e);
                    removed++;
                }
            }
    if (max_items && st->count > max_items) {
        fs_entry **all = malloc(st->count * sizeof *all);
        if (!all)
            return removed;
        size_t n = 0;
        for (size_t i = 0; i < st->nbuckets; i++)
            for (fs_entry *e = st->buckets[i]; e; e = e->hnext)
                all[n++] = e;
        qsort(all, n, sizeof *all, by_seen_desc);
        for (size_t i = max_items; i < n; i++) {
            unlink_entry(st, all[i]);
            removed++;
        }
        free(all);
    }
    return removed;
}

size_t nw_feed_state_count(const nw_feed_state *st)
{
    return st->count;
}

bool nw_feed_state_dirty(const nw_feed_state *st)
{
    return st->dirty;
}

const char *nw_feed_state_etag(const nw_feed_state *st)
{
    return st->etag;
}

const char *nw_feed_state_last_modified(const nw_feed_state *st)
{
    return st->last_modified;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int nw_feed_state_set_validators(nw_feed_state *st, const char *etag, const char *last_modified)
{
    if (same_str(st->etag, etag) && same_str(st->last_modified, last_modified))
        return 0;
    char *e = NULL, *l = NULL;
    if ((etag && !(e = strdup(etag))) || (last_modified && !(l = strdup(last_modified)))) {
        free(e);
        return NW_ENOMEM;
    }
    free(st->etag);
    free(st->last_modified);
    st->etag = e;
    st->last_modified = l;
    st->dirty = true;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* File format                                                              */
/* ------------------------------------------------------------------------ */

static int parse_line(nw_feed_state *st, const char *line, size_t len, bool first)
{
    json_error_t jerr;
    json_t *o = nw_json_loadb(line, len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return NW_EINVAL;
    }
    int rc = 0;
    const char *magic = json_string_value(json_object_get(o, "newswire"));
    if (magic) {
        if (!first || strcmp(magic, FS_MAGIC) ||
            json_integer_value(json_object_get(o, "v")) != FS_VERSION)
            rc = NW_EINVAL;
        else
            rc = nw_feed_state_set_validators(
                st, json_string_value(json_object_get(o, "etag")),
                json_string_value(json_object_get(o, "last_modified")));
        json_decref(o);
        return rc;
    }
    const char *uri = json_string_value(json_object_get(o, "uri"));
    const char *hex = json_string_value(json_object_get(o, "h"));
    json_t *v = json_object_get(o, "v"), *seen = json_object_get(o, "seen");
    char *end = NULL;
    uint64_t h = hex ? strtoull(hex, &end, 16) : 0;
    if (!uri || !uri[0] || !hex || !end || *end || strlen(hex) != 16 || !json_is_integer(v) ||
        json_integer_value(v) < 1 || json_integer_value(v) > UINT_MAX || !json_is_integer(seen)) {
        json_decref(o);
        return NW_EINVAL;
    }
    rc = nw_feed_state_put(st, uri, h, (unsigned)json_integer_value(v),
                           json_string_value(json_object_get(o, "vc")),
                           (int64_t)json_integer_value(seen));
    json_decref(o);
    return rc;
}

int nw_feed_state_load(const char *path, nw_feed_state **out, size_t *skipped, nw_err *err)
{
    *out = NULL;
    if (skipped)
        *skipped = 0;
    nw_feed_state *st = nw_feed_state_new();
    if (!st)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT) {
            *out = st;
            return 0;
        }
        nw_feed_state_free(st);
        return nw_err_set(err, NW_EIO, "%s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, bad = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        int r = parse_line(st, line, (size_t)n, lineno == 1);
        if (r == NW_ENOMEM) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            break;
        }
        if (r < 0) {
            bad++;
            nw_log_warn("feed",
                        "feed state: damaged line skipped, its item may be sent again "
                        "path=%s line=%zu",
                        path, lineno);
        }
    }
    if (rc == 0 && ferror(f))
        rc = nw_err_set(err, NW_EIO, "%s: read error", path);
    free(line);
    fclose(f);
    if (rc < 0) {
        nw_feed_state_free(st);
        return rc;
    }
    st->dirty = false;
    if (skipped)
        *skipped = bad;
    *out = st;
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void put_json_line(nw_buf *b, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s) {
        b->oom = true;
        return;
    }
    nw_buf_puts(b, s);
    nw_buf_putc(b, '\n');
    free(s);
}

int nw_feed_state_save(nw_feed_state *st, const char *path, const char *feed, const char *url,
                       nw_err *err)
{
    nw_buf b = NW_BUF_INIT;
    json_t *hdr = json_pack("{s:s, s:i}", "newswire", FS_MAGIC, "v", FS_VERSION);
    if (hdr && feed)
        json_object_set_new(hdr, "feed", json_string(feed));
    if (hdr && url)
        json_object_set_new(hdr, "url", json_string(url));
    if (hdr && st->etag)
        json_object_set_new(hdr, "etag", json_string(st->etag));
    if (hdr && st->last_modified)
        json_object_set_new(hdr, "last_modified", json_string(st->last_modified));
    if (!hdr)
        b.oom = true;
    else
        put_json_line(&b, hdr);
    for (size_t i = 0; i < st->nbuckets && !nw_buf_failed(&b); i++)
        for (fs_entry *e = st->buckets[i]; e && !nw_buf_failed(&b); e = e->hnext) {
            char hex[17];
            snprintf(hex, sizeof hex, "%016" PRIx64, e->pub.hash);
            json_t *o = json_pack("{s:s, s:s, s:I}", "uri", e->uri, "h", hex, "v",
                                  (json_int_t)e->pub.version);
            if (!o) {
                b.oom = true;
                break;
            }
            if (e->vc)
                json_object_set_new(o, "vc", json_string(e->vc));
            json_object_set_new(o, "seen", json_integer(e->pub.seen));
            put_json_line(&b, o);
        }
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }

    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        nw_buf_free(&b);
        return nw_err_set(err, NW_ELIMIT, "%s: path too long", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        nw_buf_free(&b);
        return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(e));
    }
    if (write_all(fd, b.data, b.len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        nw_buf_free(&b);
        return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(e));
    }
    nw_buf_free(&b);
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return nw_err_set(err, NW_EIO, "%s: %s", path, strerror(e));
    }
    /* the rename is durable once the directory is */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) < 0)
            nw_log_warn("feed", "feed state: directory fsync failed dir=%s error=\"%s\"", dir,
                        strerror(errno));
        close(dfd);
    }
    st->dirty = false;
    return 0;
}
