/*
 * archive-fs — JSON lines archive sink: config, buffering by output file,
 * crash-safe file replacement and stale-file removal. Design and the replay
 * rules are in archive_fs.h.
 */
#include "archive_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One output file being assembled: the stories of one topic-partition that
 * fall in one directory, in offset order. */
typedef struct af_file {
    char *dir; /* <root>/<category>/<YYYY>/<MM>/<DD> */
    char *topic;
    int32_t partition;
    int64_t first, last;
    char *buf; /* JSON lines */
    size_t len, cap;
} af_file;

typedef struct archive_fs {
    char *root;
    bool fsync;
    const nw_plugin_api *api;
    af_file *files;
    size_t nfiles, cap;
    nw_archive_fs_stats stats;
} archive_fs;

/* ------------------------------------------------------------------ config */

typedef struct af_conf {
    const char *root;
    bool fsync;
} af_conf;

static const nw_plugin_config_entry af_config_map[] = {
    {.key = "root",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(af_conf, root),
     .description = "the archive directory, created if missing (e.g. /var/lib/newswire/archive)"},
    {.key = "fsync",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "true",
     .offset = offsetof(af_conf, fsync),
     .description = "fsync files and directories (false: for tests and throwaway archives)"},
    {.key = NULL},
};

static void af_destroy(void *state);

/* mkdir -p; fsyncs the parent of every directory it creates when do_sync. */
static int make_dirs(archive_fs *af, const char *path, bool do_sync)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0755) == 0) {
            if (do_sync) {
                char *slash = strrchr(p, '/');
                char *parent = slash && slash != p ? strndup(p, (size_t)(slash - p)) : strdup("/");
                int fd = parent ? open(parent, O_RDONLY | O_DIRECTORY) : -1;
                if (fd >= 0) {
                    fsync(fd);
                    if (af)
                        af->stats.fsyncs++;
                    close(fd);
                }
                free(parent);
            }
        } else if (errno != EEXIST) {
            rc = -1;
        } else {
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                rc = -1;
            }
        }
        *s = saved;
        if (rc < 0 || saved == '\0')
            break;
    }
    int saved_errno = errno;
    free(p);
    errno = saved_errno;
    return rc;
}

static void *af_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const af_conf *conf = cfg->conf;
    const char *root = conf->root;
    if (!*root) {
        snprintf(err, errlen, "root: must not be empty (the archive directory)");
        return NULL;
    }
    archive_fs *af = calloc(1, sizeof *af);
    if (!af || !(af->root = strdup(root))) {
        free(af);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t rl = strlen(af->root);
    while (rl > 1 && af->root[rl - 1] == '/')
        af->root[--rl] = '\0';
    af->fsync = conf->fsync;
    af->api = cfg->api;
    if (make_dirs(af, af->root, af->fsync) < 0) {
        snprintf(err, errlen, "root: cannot create directory %s: %s", af->root, strerror(errno));
        af_destroy(af);
        return NULL;
    }
    return af;
}

static void af_destroy(void *state)
{
    archive_fs *af = state;
    if (!af)
        return;
    for (size_t i = 0; i < af->nfiles; i++) {
        free(af->files[i].dir);
        free(af->files[i].topic);
        free(af->files[i].buf);
    }
    free(af->files);
    free(af->root);
    free(af);
}

nw_archive_fs_stats nw_archive_fs_get_stats(const void *state)
{
    return ((const archive_fs *)state)->stats;
}

/* ------------------------------------------------------------------- write */

/* RFC 3339 ("2015-12-16T00:43:03Z", fractions, offsets, or a bare date) to
 * a UTC time_t. Returns -1 when s is not one. */
static int parse_rfc3339(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *p = s + 10;
    long offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 8)
            return -1;
        p += 1 + m;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om, k = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5)
                return -1;
            offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
            p += 1 + k;
        } else if (*p) {
            return -1;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *out = timegm(&tm) - offset;
    return 0;
}

static bool safe_dir_name(const char *s)
{
    return s && *s && s[0] != '.' && !strchr(s, '/') && strlen(s) <= 200;
}

static af_file *file_for(archive_fs *af, const char *dir, const nw_plugin_msg *m)
{
    for (size_t i = 0; i < af->nfiles; i++) {
        af_file *f = &af->files[i];
        if (f->partition == m->partition && !strcmp(f->dir, dir) && !strcmp(f->topic, m->topic))
            return f;
    }
    if (af->nfiles == af->cap) {
        size_t cap = af->cap ? af->cap * 2 : 8;
        af_file *nf = realloc(af->files, cap * sizeof *nf);
        if (!nf)
            return NULL;
        af->files = nf;
        af->cap = cap;
    }
    af_file *f = &af->files[af->nfiles];
    memset(f, 0, sizeof *f);
    f->dir = strdup(dir);
    f->topic = strdup(m->topic);
    if (!f->dir || !f->topic) {
        free(f->dir);
        free(f->topic);
        return NULL;
    }
    f->partition = m->partition;
    f->first = f->last = m->offset;
    af->nfiles++;
    return f;
}

static int append(af_file *f, const char *s, size_t n)
{
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + n + 1)
            cap *= 2;
        char *b = realloc(f->buf, cap);
        if (!b)
            return -1;
        f->buf = b;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = '\0';
    return 0;
}

/* Buffer one story. Returns NW_PLUGIN_OK, FATAL (bad story) or RETRY (memory). */
static nw_plugin_status add_story(archive_fs *af, const nw_plugin_msg *m, char *err, size_t errlen)
{
    const json_t *root = m->doc;
    if (!safe_dir_name(m->category)) {
        snprintf(err, errlen, "category '%s' cannot be a directory name", m->category);
        return NW_PLUGIN_FATAL;
    }
    time_t t = 0;
    bool dated = false;
    const char *fields[] = {"versionCreated", "firstCreated"};
    for (size_t i = 0; i < 2 && !dated; i++) {
        const char *v = json_string_value(json_object_get(root, fields[i]));
        dated = v && parse_rfc3339(v, &t) == 0;
    }
    if (!dated && m->timestamp_ms >= 0) {
        t = (time_t)(m->timestamp_ms / 1000);
        dated = true;
    }
    char dir[4096];
    if (dated) {
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(dir, sizeof dir, "%s/%s/%04d/%02d/%02d", af->root, m->category, tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
    } else {
        snprintf(dir, sizeof dir, "%s/%s/undated", af->root, m->category);
    }

    /* A write() retried after a partial failure hands us the same stories
     * again: offsets already buffered for this file are skipped. */
    for (size_t i = 0; i < af->nfiles; i++) {
        const af_file *f = &af->files[i];
        if (f->partition == m->partition && m->offset >= f->first && m->offset <= f->last &&
            !strcmp(f->topic, m->topic) && !strcmp(f->dir, dir))
            return NW_PLUGIN_OK;
    }

    /* One story per line: keep the producer's bytes unless they span lines. */
    char *compact = NULL;
    size_t len = 0;
    const char *line = af->api->text(m->host_ref, &len);
    if (line && (memchr(line, '\n', len) || memchr(line, '\r', len))) {
        compact = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        line = compact;
        len = compact ? strlen(compact) : 0;
    }
    af_file *f = line ? file_for(af, dir, m) : NULL;
    if (!f || append(f, line, len) < 0 || append(f, "\n", 1) < 0) {
        free(compact);
        snprintf(err, errlen, "out of memory buffering a story");
        return NW_PLUGIN_RETRY;
    }
    free(compact);
    if (m->offset < f->first)
        f->first = m->offset;
    if (m->offset > f->last)
        f->last = m->offset;
    af->stats.stories++;
    return NW_PLUGIN_OK;
}

static nw_plugin_status af_write(void *state, nw_plugin_msg *const *batch, size_t count,
                                 size_t *failed_index, char *err, size_t errlen)
{
    archive_fs *af = state;
    for (size_t i = 0; i < count; i++) {
        nw_plugin_status st = add_story(af, batch[i], err, errlen);
        if (st == NW_PLUGIN_FATAL) {
            *failed_index = i;
            return st;
        }
        if (st != NW_PLUGIN_OK) /* RETRY: stories before i stay buffered and are */
            return st;          /* skipped when the host hands them in again */
    }
    return NW_PLUGIN_OK;
}

/* ------------------------------------------------------------------- flush */

static int sync_fd(archive_fs *af, int fd)
{
    if (!af->fsync)
        return 0;
    af->stats.fsyncs++;
    return fsync(fd);
}

static int sync_dir(archive_fs *af, const char *dir)
{
    if (!af->fsync)
        return 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = sync_fd(af, fd);
    close(fd);
    return rc;
}

/* True when path exists with exactly buf[0..len) as content. */
static bool same_content(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && (size_t)st.st_size == len;
    char chunk[65536];
    for (size_t off = 0; same && off < len;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0 || off + (size_t)n > len || memcmp(chunk, buf + off, (size_t)n))
            same = false;
        else
            off += (size_t)n;
    }
    close(fd);
    return same;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* First offset of `name` when it is "<prefix><20 digits>.jsonl", else -1. */
static int64_t offset_of(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) || strlen(name) != pl + 20 + 6 ||
        strcmp(name + pl + 20, ".jsonl"))
        return -1;
    int64_t v = 0;
    for (size_t i = pl; i < pl + 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

/* Delete files of the same topic-partition whose first offset is in (first, last]. */
static int remove_stale(archive_fs *af, const af_file *f, char *err, size_t errlen)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s-%d-", f->topic, (int)f->partition);
    DIR *d = opendir(f->dir);
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", f->dir, strerror(errno));
        return -1;
    }
    int removed = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t off = offset_of(e->d_name, prefix);
        if (off <= f->first || off > f->last)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
        if (unlink(path) < 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove stale %s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        removed++;
        af->stats.files_removed++;
        if (af->api && af->api->log)
            af->api->log(af->api->host, 2,
                         "removed stale archive file %s (superseded by "
                         "offsets %" PRId64 "-%" PRId64 ")",
                         path, f->first, f->last);
    }
    closedir(d);
    if (rc == 0 && removed && sync_dir(af, f->dir) < 0) {
        snprintf(err, errlen, "fsync %s: %s", f->dir, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int flush_file(archive_fs *af, const af_file *f, char *err, size_t errlen)
{
    if (make_dirs(af, f->dir, af->fsync) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", f->dir, strerror(errno));
        return -1;
    }
    char name[512], path[4700], tmp[4700];
    snprintf(name, sizeof name, "%s-%d-%020" PRId64 ".jsonl", f->topic, (int)f->partition,
             f->first);
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", f->dir, name);

    if (same_content(path, f->buf, f->len)) {
        af->stats.files_unchanged++;
    } else {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
            return -1;
        }
        if (write_all(fd, f->buf, f->len) < 0 || sync_fd(af, fd) < 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        if (close(fd) < 0 || rename(tmp, path) < 0) {
            snprintf(err, errlen, "cannot move %s into place: %s", tmp, strerror(errno));
            unlink(tmp);
            return -1;
        }
        if (sync_dir(af, f->dir) < 0) {
            snprintf(err, errlen, "fsync %s: %s", f->dir, strerror(errno));
            return -1;
        }
        af->stats.files_written++;
    }
    return remove_stale(af, f, err, errlen);
}

static nw_plugin_status af_flush(void *state, char *err, size_t errlen)
{
    archive_fs *af = state;
    /* Done files leave the list one by one, so a retry redoes only the rest. */
    while (af->nfiles) {
        af_file *f = &af->files[0];
        if (flush_file(af, f, err, errlen) < 0)
            return NW_PLUGIN_RETRY;
        free(f->dir);
        free(f->topic);
        free(f->buf);
        memmove(af->files, af->files + 1, (af->nfiles - 1) * sizeof *af->files);
        af->nfiles--;
    }
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_archive_fs = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "archive-fs",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(af_config_map, af_conf),
    .kind = NW_PLUGIN_SINK,
    .description = "archive stories as JSON lines under <root>/<category>/<YYYY>/<MM>/<DD>/",
    .init = af_init,
    .process = NULL,
    .write = af_write,
    .flush = af_flush,
    .destroy = af_destroy,
    .write_in_parts = true, /* write() only buffers lines; the files are written in flush() */
};
