/*
 * nw_spool — spool directory input (see nw_spool.h for the contract).
 *
 * Every name the spool knows is one entry in a hash set, in exactly one of
 * three lists: candidates (seen, maybe still being written), ready (complete,
 * waiting for intake) and in flight (its messages queued, waiting for their
 * delivery reports). An entry leaves the set only when its file has left
 * incoming/ (or vanished), so a scan never takes a file twice.
 */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "nw_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw_log.h"
#include "nw_parser.h"
#include "nw_time.h"

#define SP_BUCKETS     4096
#define SP_TAKE_BUDGET 256 /* files taken per run() before the loop polls again */
#define SP_MAX_SUFFIX  100000
/* Directory fsyncs are grouped: at most one round per interval while files
 * keep finishing. A rename not yet on disk at a power loss only means the
 * file is sent again (at-least-once), never lost. */
#define SP_SYNC_INTERVAL_MS 100

typedef enum sp_state { SP_CANDIDATE, SP_READY, SP_INFLIGHT } sp_state;

typedef struct sp_entry {
    char *name;
    sp_state state;
    int64_t mtime_ns; /* at the last check (candidates) */
    off_t size;
    nw_publish_ticket ticket;
    size_t stories;
    struct sp_entry *hnext;
    struct sp_entry *prev, *next;
} sp_entry;

typedef struct sp_list {
    sp_entry *head, *tail;
    size_t len;
} sp_list;

typedef struct nw_spool {
    nw_input base;
    char *path, *category, *timezone;
    int64_t settle_ms, scan_ms;
    int incoming_fd, done_fd, failed_fd;
    int ino_fd, wd;
    bool started, watching;
    sp_entry *buckets[SP_BUCKETS];
    sp_list candidates, ready, inflight;
    int64_t next_scan_ms;
    uint64_t seen_reports;
    bool need_settle;
    bool dirty_incoming, dirty_done, dirty_failed;
    int64_t last_sync_ms;
} nw_spool;

static const nw_input_ops spool_ops;

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */
/* ------------------------------------------------------------------------ */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % SP_BUCKETS;
}

static sp_entry *entry_find(nw_spool *sp, const char *name)
{
    for (sp_entry *e = sp->buckets[name_hash(name)]; e; e = e->hnext)
        if (!strcmp(e->name, name))
            return e;
    return NULL;
}

static sp_list *list_of(nw_spool *sp, sp_state st)
{
    return st == SP_CANDIDATE ? &sp->candidates : st == SP_READY ? &sp->ready : &sp->inflight;
}

static void list_push(sp_list *l, sp_entry *e)
{
    e->next = NULL;
    e->prev = l->tail;
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
    l->len++;
}

static void list_unlink(sp_list *l, sp_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
    l->len--;
}

static void entry_move(nw_spool *sp, sp_entry *e, sp_state to)
{
    list_unlink(list_of(sp, e->state), e);
    e->state = to;
    list_push(list_of(sp, to), e);
}

static sp_entry *entry_add(nw_spool *sp, const char *name, sp_state st)
{
    sp_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->name = strdup(name))) {
        free(e);
        nw_log_error("spool", "out of memory input=%s file=%s", sp->base.name, name);
        return NULL;
    }
    e->state = st;
    e->size = -1;
    e->mtime_ns = -1;
    uint32_t h = name_hash(name);
    e->hnext = sp->buckets[h];
    sp->buckets[h] = e;
    list_push(list_of(sp, st), e);
    return e;
}

static void entry_remove(nw_spool *sp, sp_entry *e)
{
    list_unlink(list_of(sp, e->state), e);
    sp_entry **pp = &sp->buckets[name_hash(e->name)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    free(e->name);
    free(e);
}

/* A name found in incoming/: dot-files and names already known are skipped. */
static void note_name(nw_spool *sp, const char *name, bool complete)
{
    if (name[0] == '.' || !name[0])
        return;
    sp_entry *e = entry_find(sp, name);
    if (!e) {
        e = entry_add(sp, name, complete ? SP_READY : SP_CANDIDATE);
    } else if (e->state == SP_CANDIDATE && complete) {
        entry_move(sp, e, SP_READY);
    }
}

/* ------------------------------------------------------------------------ */
/* Time and directories                                                     */
/* ------------------------------------------------------------------------ */

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_subdir(const char *root, const char *sub, nw_err *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", root, sub) >= (int)sizeof path)
        return nw_err_set(err, NW_ELIMIT, "%s/%s: path too long", root, sub);
    if (mkdir(path, 0750) < 0 && errno != EEXIST)
        return nw_err_set(err, NW_EIO, "%s: cannot create: %s", path, strerror(errno));
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nw_err_set(err, NW_EIO, "%s: %s", path, strerror(errno));
    return fd;
}

static void sync_dirs(nw_spool *sp)
{
    /* destinations first: a file is never only in the old place's journal */
    if (sp->dirty_done && fsync(sp->done_fd) < 0)
        nw_log_error("spool", "fsync failed input=%s dir=%s/done error=\"%s\"", sp->base.name,
                     sp->path, strerror(errno));
    if (sp->dirty_failed && fsync(sp->failed_fd) < 0)
        nw_log_error("spool", "fsync failed input=%s dir=%s/failed error=\"%s\"", sp->base.name,
                     sp->path, strerror(errno));
    if (sp->dirty_incoming && fsync(sp->incoming_fd) < 0)
        nw_log_error("spool", "fsync failed input=%s dir=%s/incoming error=\"%s\"", sp->base.name,
                     sp->path, strerror(errno));
    sp->dirty_done = sp->dirty_failed = sp->dirty_incoming = false;
}

/* ------------------------------------------------------------------------ */
/* Placing a file in done/ or failed/                                       */
/* ------------------------------------------------------------------------ */

static int write_error_file(int dir_fd, const char *name, const char *text, nw_err *err)
{
    char tmp[NAME_MAX + 32], final[NAME_MAX + 32];
    snprintf(tmp, sizeof tmp, ".%s.error.tmp", name);
    snprintf(final, sizeof final, "%s.error", name);
    int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(errno));
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlinkat(dir_fd, tmp, 0);
            return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if ((len == 0 || text[len - 1] != '\n') && write(fd, "\n", 1) != 1) {
        int e = errno;
        close(fd);
        unlinkat(dir_fd, tmp, 0);
        return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(e));
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        unlinkat(dir_fd, tmp, 0);
        return nw_err_set(err, NW_EIO, "%s: %s", tmp, strerror(e));
    }
    if (renameat(dir_fd, tmp, dir_fd, final) < 0) {
        int e = errno;
        unlinkat(dir_fd, tmp, 0);
        return nw_err_set(err, NW_EIO, "%s: %s", final, strerror(e));
    }
    return 0;
}

static bool exists_at(int dir_fd, const char *name)
{
    struct stat st;
    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* rename without replacing; falls back to check-then-rename where the file
 * system lacks RENAME_NOREPLACE (we are the only writer of done/ and failed/). */
static int rename_noreplace(int from_fd, const char *from, int to_fd, const char *to)
{
    if (renameat2(from_fd, from, to_fd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (exists_at(to_fd, to)) {
        errno = EEXIST;
        return -1;
    }
    return renameat(from_fd, from, to_fd, to);
}

int nw_spool_place(int from_fd, const char *name, int to_fd, const char *error_text, char *dest,
                   size_t destlen, nw_err *err)
{
    struct stat st;
    if (fstatat(from_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return nw_err_set(err, errno == ENOENT ? NW_ENOTFOUND : NW_EIO, "%s: %s", name,
                          strerror(errno));
    char cand[NAME_MAX + 1];
    for (unsigned n = 0; n < SP_MAX_SUFFIX; n++) {
        int len = n == 0 ? snprintf(cand, sizeof cand, "%s", name)
                         : snprintf(cand, sizeof cand, "%s.%u", name, n);
        if (len < 0 || (size_t)len >= sizeof cand - 8) /* room for ".error" */
            return nw_err_set(err, NW_ELIMIT, "%s: name too long for a suffix", name);
        if (exists_at(to_fd, cand))
            continue;
        /* an orphan <cand>.error (a crash between writing it and the move)
         * is simply replaced */
        if (error_text && write_error_file(to_fd, cand, error_text, err) < 0)
            return err ? err->code : NW_EIO;
        if (rename_noreplace(from_fd, name, to_fd, cand) == 0) {
            if (dest)
                snprintf(dest, destlen, "%s", cand);
            return 0;
        }
        int e = errno;
        if (e == EEXIST)
            continue;
        if (error_text) {
            char ename[NAME_MAX + 16];
            snprintf(ename, sizeof ename, "%s.error", cand);
            unlinkat(to_fd, ename, 0);
        }
        return nw_err_set(err, e == ENOENT ? NW_ENOTFOUND : NW_EIO, "%s -> %s: %s", name, cand,
                          strerror(e));
    }
    return nw_err_set(err, NW_ELIMIT, "%s: more than %d files of that name", name, SP_MAX_SUFFIX);
}

/* Settle one entry: move its file and forget it. Keeps the entry (to retry
 * at the next scan) when the move fails for another reason than a vanished
 * file. */
static void settle(nw_spool *sp, sp_entry *e, const char *error_text)
{
    char dest[NAME_MAX + 1];
    nw_err err = {0};
    int to_fd = error_text ? sp->failed_fd : sp->done_fd;
    int rc = nw_spool_place(sp->incoming_fd, e->name, to_fd, error_text, dest, sizeof dest, &err);
    if (rc == NW_ENOTFOUND) {
        nw_log_warn("spool", "file vanished from incoming before it was moved input=%s file=%s",
                    sp->base.name, e->name);
    } else if (rc < 0) {
        nw_log_error("spool", "cannot move file input=%s file=%s error=\"%s\"", sp->base.name,
                     e->name, err.msg);
        return;
    } else {
        sp->dirty_incoming = true;
        if (error_text) {
            sp->dirty_failed = true;
            nw_log_error("spool", "file failed input=%s file=%s moved_to=failed/%s reason=\"%s\"",
                         sp->base.name, e->name, dest, error_text);
        } else {
            sp->dirty_done = true;
            nw_log_info("spool", "file done input=%s file=%s stories=%zu messages=%zu",
                        sp->base.name, e->name, e->stories, e->ticket.sent);
        }
    }
    if (error_text) {
        nw_counter_inc(sp->base.m.items_failed);
        nw_counter_add(sp->base.m.failed, e->stories ? e->stories : 1);
    } else {
        nw_counter_inc(sp->base.m.items_done);
        nw_counter_add(sp->base.m.published, e->stories);
    }
    entry_remove(sp, e);
}

/* ------------------------------------------------------------------------ */
/* Intake                                                                   */
/* ------------------------------------------------------------------------ */

/* Parse e's file and queue all its messages, or settle it failed. */
static void take(nw_spool *sp, nw_input_env *env, sp_entry *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/incoming/%s", sp->path, e->name);
    struct stat st;
    if (fstatat(sp->incoming_fd, e->name, &st, 0) < 0 || !S_ISREG(st.st_mode)) {
        if (errno != ENOENT)
            nw_log_warn("spool", "not a regular file, left alone input=%s file=%s", sp->base.name,
                        e->name);
        entry_remove(sp, e);
        return;
    }
    nw_parse_opts opts = {0};
    opts.timezone = sp->timezone;
    opts.default_category = sp->category;
    nw_story_list list = {0};
    nw_err err = {0};
    if (nw_parse_file(path, strcmp(sp->base.format, "auto") ? sp->base.format : NULL, &opts, &list,
                      &err) < 0) {
        char reason[NW_ERR_MSG_MAX + 32];
        snprintf(reason, sizeof reason, "parse error: %s", err.msg);
        settle(sp, e, reason);
        return;
    }
    nw_counter_add(sp->base.m.parsed, list.len);
    e->stories = list.len;

    /* every story is prepared before any is sent: an unroutable or oversized
     * story fails the whole file and nothing of it reaches Kafka */
    nw_outmsg **msgs = calloc(list.len ? list.len : 1, sizeof *msgs);
    if (!msgs) {
        nw_story_list_free(&list);
        nw_log_error("spool", "out of memory input=%s file=%s", sp->base.name, e->name);
        entry_move(sp, e, SP_READY); /* try again later */
        return;
    }
    for (size_t i = 0; i < list.len; i++) {
        if (!(msgs[i] = nw_input_prepare(env, list.items[i], path, &err))) {
            char reason[PATH_MAX + NW_ERR_MSG_MAX + 8];
            snprintf(reason, sizeof reason, "%s: %s", path, err.msg);
            for (size_t j = 0; j < i; j++)
                nw_outmsg_free(msgs[j]);
            free(msgs);
            nw_story_list_free(&list);
            settle(sp, e, reason);
            return;
        }
    }
    entry_move(sp, e, SP_INFLIGHT);
    memset(&e->ticket, 0, sizeof e->ticket);
    for (size_t i = 0; i < list.len; i++) {
        if (!e->ticket.failed && nw_input_send(env, msgs[i], &e->ticket, &err) < 0)
            nw_log_error("spool", "send refused input=%s file=%s uri=%s error=\"%s\"",
                         sp->base.name, e->name, list.items[i]->uri, err.msg);
        else if (nw_log_enabled(NW_LOG_DEBUG))
            nw_log_debug("spool", "queued input=%s file=%s uri=%s", sp->base.name, e->name,
                         list.items[i]->uri);
        nw_outmsg_free(msgs[i]);
    }
    free(msgs);
    nw_story_list_free(&list);
    sp->need_settle = true;
}

/* Candidates whose mtime is settle_ms old become ready; vanished ones go. */
static void check_candidates(nw_spool *sp)
{
    int64_t now = realtime_ns();
    sp_entry *next;
    for (sp_entry *e = sp->candidates.head; e; e = next) {
        next = e->next;
        struct stat st;
        if (fstatat(sp->incoming_fd, e->name, &st, 0) < 0 || !S_ISREG(st.st_mode)) {
            entry_remove(sp, e);
            continue;
        }
        int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        bool unchanged = mt == e->mtime_ns && st.st_size == e->size;
        e->mtime_ns = mt;
        e->size = st.st_size;
        if (now - mt >= sp->settle_ms * 1000000 &&
            (unchanged || sp->settle_ms == 0 || now - mt >= 2 * sp->settle_ms * 1000000))
            entry_move(sp, e, SP_READY);
    }
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* The safety net: every regular file in incoming/ we do not know yet. */
static void scan(nw_spool *sp)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/incoming", sp->path);
    struct dirent **names;
    int n = scandir(path, &names, not_dot, by_name);
    if (n < 0) {
        nw_log_error("spool", "cannot scan input=%s dir=%s error=\"%s\"", sp->base.name, path,
                     strerror(errno));
        return;
    }
    size_t added = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if ((names[i]->d_type == DT_REG || names[i]->d_type == DT_UNKNOWN) &&
            !entry_find(sp, name)) {
            note_name(sp, name, false);
            added++;
        }
        free(names[i]);
    }
    free(names);
    if (added)
        nw_log_debug("spool", "scan found files input=%s count=%zu", sp->base.name, added);
    /* entries stuck in flight because a move failed get another try */
    sp->need_settle = true;
}

static int add_watch(nw_spool *sp, nw_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/incoming", sp->path);
    sp->wd = inotify_add_watch(sp->ino_fd, path,
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                   IN_ONLYDIR);
    if (sp->wd < 0)
        return nw_err_set(err, NW_EIO, "%s: inotify: %s", path, strerror(errno));
    sp->watching = true;
    return 0;
}

static void read_events(nw_spool *sp)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(sp->ino_fd, buf, sizeof buf);
        if (len <= 0) {
            if (len < 0 && errno == EINTR)
                continue;
            return; /* EAGAIN: drained */
        }
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_Q_OVERFLOW) {
                nw_log_warn("spool", "inotify queue overflow, scanning input=%s", sp->base.name);
                sp->next_scan_ms = 0;
            } else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                if (sp->watching)
                    nw_log_error("spool", "incoming folder went away input=%s path=%s",
                                 sp->base.name, sp->path);
                sp->watching = false;
            } else if (ev->len > 0) {
                note_name(sp, ev->name, (ev->mask & IN_MOVED_TO) != 0);
            }
            p += sizeof *ev + ev->len;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* nw_input callbacks                                                       */
/* ------------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int spool_start(nw_input *in, nw_input_env *env, nw_err *err)
{
    nw_spool *sp = (nw_spool *)in;
    if (mkdir(sp->path, 0750) < 0 && errno != EEXIST)
        return nw_err_set(err, NW_EIO, "spool %s: %s: %s", in->name, sp->path, strerror(errno));
    if ((sp->incoming_fd = open_subdir(sp->path, "incoming", err)) < 0 ||
        (sp->done_fd = open_subdir(sp->path, "done", err)) < 0 ||
        (sp->failed_fd = open_subdir(sp->path, "failed", err)) < 0)
        return nw_err_prefix(err, "spool %s: ", in->name);
    sp->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (sp->ino_fd < 0)
        return nw_err_set(err, NW_EIO, "spool %s: inotify: %s", in->name, strerror(errno));
    if (add_watch(sp, err) < 0)
        return nw_err_prefix(err, "spool %s: ", in->name);
    /* crash recovery: whatever is left in incoming/ was never acknowledged */
    scan(sp);
    sp->next_scan_ms = mono_ms() + sp->scan_ms;
    sp->seen_reports = env->reports;
    sp->started = true;
    nw_log_info("spool", "watching input=%s path=%s format=%s pending_files=%zu", in->name,
                sp->path, in->format, sp->candidates.len + sp->ready.len);
    return 0;
}

static int spool_fd(const nw_input *in)
{
    return ((const nw_spool *)in)->ino_fd;
}

static int64_t spool_wait_ms(const nw_input *in, const nw_input_env *env, int64_t now)
{
    const nw_spool *sp = (const nw_spool *)in;
    if (!sp->started)
        return -1;
    if (sp->need_settle || (env->intake && sp->ready.len && nw_input_room(env) > 0))
        return 0;
    int64_t wait = sp->next_scan_ms - now;
    if (sp->dirty_done || sp->dirty_failed || sp->dirty_incoming) {
        int64_t w = sp->last_sync_ms + SP_SYNC_INTERVAL_MS - now;
        if (w < wait)
            wait = w;
    }
    if (wait < 0)
        wait = 0;
    if (sp->candidates.len) {
        int64_t c = sp->settle_ms / 4 < 100 ? sp->settle_ms / 4 : 100;
        if (c < 10)
            c = 10;
        if (c < wait)
            wait = c;
    }
    return wait;
}

/* Files finish roughly in the order they were sent, so the walk stops after
 * SP_SETTLE_LOOKAHEAD unfinished ones: settling costs O(finished), not
 * O(in flight), per loop turn. A scan walks the whole list now and then. */
#define SP_SETTLE_LOOKAHEAD 64

static void settle_finished(nw_spool *sp, bool full)
{
    sp_entry *next;
    size_t unfinished = 0;
    for (sp_entry *e = sp->inflight.head; e; e = next) {
        next = e->next;
        if (nw_publish_ticket_outstanding(&e->ticket) > 0) {
            if (!full && ++unfinished > SP_SETTLE_LOOKAHEAD)
                break;
            continue;
        }
        if (e->ticket.failed == 0) {
            settle(sp, e, NULL);
        } else {
            char reason[512];
            snprintf(reason, sizeof reason,
                     "delivery failed for %zu of %zu messages (after librdkafka's retries); "
                     "first: %s",
                     e->ticket.failed, e->ticket.sent + e->ticket.refused, e->ticket.first_error);
            settle(sp, e, reason);
        }
    }
}

static int spool_run(nw_input *in, nw_input_env *env, int64_t now)
{
    nw_spool *sp = (nw_spool *)in;
    if (!sp->started)
        return 0;
    read_events(sp);
    if (!sp->watching) {
        nw_err err = {0};
        if (add_watch(sp, &err) == 0) {
            nw_log_info("spool", "watching again input=%s", in->name);
            sp->next_scan_ms = 0;
        }
    }
    bool full = false;
    if (now >= sp->next_scan_ms) {
        scan(sp);
        sp->next_scan_ms = now + sp->scan_ms;
        full = true;
    }
    if (sp->candidates.len)
        check_candidates(sp);
    for (int budget = SP_TAKE_BUDGET;
         budget > 0 && env->intake && sp->ready.head && nw_input_room(env) > 0; budget--)
        take(sp, env, sp->ready.head);
    if (sp->need_settle || env->reports != sp->seen_reports) {
        sp->seen_reports = env->reports;
        sp->need_settle = false;
        settle_finished(sp, full);
    }
    if ((sp->dirty_done || sp->dirty_failed || sp->dirty_incoming) &&
        (now - sp->last_sync_ms >= SP_SYNC_INTERVAL_MS || sp->inflight.len == 0)) {
        sync_dirs(sp);
        sp->last_sync_ms = now;
    }
    return 0;
}

static size_t spool_in_flight(const nw_input *in)
{
    return ((const nw_spool *)in)->inflight.len;
}

static bool spool_ready(const nw_input *in)
{
    const nw_spool *sp = (const nw_spool *)in;
    return sp->started && sp->watching;
}

static int set_str(char **dst, const char *src)
{
    char *n = NULL;
    if (src && !(n = strdup(src)))
        return NW_ENOMEM;
    free(*dst);
    *dst = n;
    return 0;
}

static bool spool_same_source(const nw_input *in, const nw_input *fresh)
{
    return !strcmp(((const nw_spool *)in)->path, ((const nw_spool *)fresh)->path);
}

static void spool_adopt(nw_input *in, const nw_input *fresh_in)
{
    nw_spool *sp = (nw_spool *)in;
    const nw_spool *fresh = (const nw_spool *)fresh_in;
    if (set_str(&sp->category, fresh->category) < 0 ||
        set_str(&sp->timezone, fresh->timezone) < 0 || set_str(&in->name, fresh_in->name) < 0 ||
        set_str(&in->format, fresh_in->format) < 0)
        nw_log_error("spool", "out of memory on reload input=%s", fresh_in->name);
    sp->settle_ms = fresh->settle_ms;
    sp->scan_ms = fresh->scan_ms;
}

static void spool_free(nw_input *in)
{
    nw_spool *sp = (nw_spool *)in;
    if (!sp)
        return;
    if (sp->dirty_done || sp->dirty_failed || sp->dirty_incoming)
        sync_dirs(sp);
    sp_list *lists[] = {&sp->candidates, &sp->ready, &sp->inflight};
    for (size_t i = 0; i < 3; i++)
        while (lists[i]->head)
            entry_remove(sp, lists[i]->head);
    if (sp->ino_fd >= 0)
        close(sp->ino_fd);
    int fds[] = {sp->incoming_fd, sp->done_fd, sp->failed_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(sp->path);
    free(sp->category);
    free(sp->timezone);
    nw_input_deinit(in);
    free(sp);
}

static const nw_input_ops spool_ops = {
    .kind = "spool",
    .start = spool_start,
    .fd = spool_fd,
    .wait_ms = spool_wait_ms,
    .run = spool_run,
    .in_flight = spool_in_flight,
    .ready = spool_ready,
    .same_source = spool_same_source,
    .adopt = spool_adopt,
    .free = spool_free,
};

/* ------------------------------------------------------------------------ */
/* Construction and configuration                                           */
/* ------------------------------------------------------------------------ */

nw_input *nw_spool_new(const nw_spool_opts *opts, nw_err *err)
{
    if (!opts->path || !opts->path[0]) {
        nw_err_set(err, NW_EINVAL, "spool: no path");
        return NULL;
    }
    nw_spool *sp = calloc(1, sizeof *sp);
    if (!sp) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    sp->incoming_fd = sp->done_fd = sp->failed_fd = sp->ino_fd = sp->wd = -1;
    /* the path without trailing slashes names the spool by default */
    size_t plen = strlen(opts->path);
    while (plen > 1 && opts->path[plen - 1] == '/')
        plen--;
    char name[256];
    const char *base = opts->path + plen;
    while (base > opts->path && base[-1] != '/')
        base--;
    snprintf(name, sizeof name, "%.*s", (int)(opts->path + plen - base), base);
    if (nw_input_init(&sp->base, &spool_ops, opts->name && opts->name[0] ? opts->name : name,
                      opts->format ? opts->format : "auto") < 0 ||
        !(sp->path = strndup(opts->path, plen)) ||
        set_str(&sp->category, opts->category && opts->category[0] ? opts->category : NULL) < 0 ||
        set_str(&sp->timezone, opts->timezone && opts->timezone[0] ? opts->timezone : NULL) < 0) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        spool_free(&sp->base);
        return NULL;
    }
    sp->settle_ms = opts->settle_ms;
    sp->scan_ms = opts->scan_ms > 0 ? opts->scan_ms : 10000;
    return &sp->base;
}

typedef struct spool_fields {
    const char *name, *path, *format, *category, *timezone;
    int64_t settle_ms, scan_ms;
} spool_fields;

static const nw_cfg_field spool_table[] = {
    {"name", NW_CFG_T_STRING, "", offsetof(spool_fields, name), 0, 0,
     "input name in logs and metrics (default: last part of path)"},
    {"path", NW_CFG_T_STRING, NULL, offsetof(spool_fields, path), 0, 0,
     "spool root holding incoming/ done/ failed/ (created when missing)"},
    {"format", NW_CFG_T_STRING, "auto", offsetof(spool_fields, format), 0, 0,
     "parser name, or auto to detect per file"},
    {"category", NW_CFG_T_STRING, "", offsetof(spool_fields, category), 0, 0,
     "category of stories whose input names none"},
    {"timezone", NW_CFG_T_STRING, "UTC", offsetof(spool_fields, timezone), 0, 0,
     "zone of times written without one (IANA name or offset)"},
    {"settle_time", NW_CFG_T_DURATION, "1s", offsetof(spool_fields, settle_ms), 0, 0,
     "a file written in place is taken once unchanged this long"},
    {"scan_interval", NW_CFG_T_DURATION, "10s", offsetof(spool_fields, scan_ms), 0, 0,
     "safety-net rescan of incoming/ (inotify does the rest)"},
    {NULL},
};

int nw_spool_inputs_from_config(const nw_cfg_node *list, nw_input ***out, size_t *n, nw_err *err)
{
    if (!list || nw_cfg_kind_of(list) == NW_CFG_NULL)
        return 0;
    if (nw_cfg_kind_of(list) != NW_CFG_SEQ)
        return nw_cfg_error(list, err, NW_EINVAL, "expected a list of spool directories");
    size_t first = *n;
    for (size_t i = 0; i < nw_cfg_len(list); i++) {
        const nw_cfg_node *item = nw_cfg_item(list, i);
        spool_fields f = {0};
        if (nw_cfg_read(item, spool_table, &f, err) < 0)
            return err ? err->code : NW_EINVAL;
        if (strcmp(f.format, "auto") && !nw_parser_find(f.format))
            return nw_cfg_error(nw_cfg_get(item, "format"), err, NW_EINVAL, "unknown format '%s'",
                                f.format);
        nw_civil probe = {2024, 1, 1, 12, 0, 0};
        int64_t epoch;
        nw_err tzerr = {0};
        if (nw_time_from_civil(&probe, f.timezone, &epoch, &tzerr) < 0)
            return nw_cfg_error(nw_cfg_get(item, "timezone"), err, NW_EINVAL, "%s", tzerr.msg);
        if (f.path[0] != '/')
            return nw_cfg_error(nw_cfg_get(item, "path"), err, NW_EINVAL,
                                "expected an absolute path, got '%s'", f.path);
        if (f.scan_ms < 100)
            return nw_cfg_error(nw_cfg_get(item, "scan_interval"), err, NW_EINVAL,
                                "expected at least 100ms");
        nw_spool_opts o = {.name = f.name,
                           .path = f.path,
                           .format = f.format,
                           .category = f.category,
                           .timezone = f.timezone,
                           .settle_ms = f.settle_ms,
                           .scan_ms = f.scan_ms};
        nw_input *in = nw_spool_new(&o, err);
        if (!in)
            return err ? err->code : NW_ENOMEM;
        nw_input **grown = realloc(*out, (*n + 1) * sizeof *grown);
        if (!grown) {
            in->ops->free(in);
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        }
        *out = grown;
        (*out)[(*n)++] = in;
        for (size_t j = first; j + 1 < *n; j++) {
            const nw_spool *a = (const nw_spool *)(*out)[j], *b = (const nw_spool *)in;
            if (!strcmp(a->base.name, b->base.name))
                return nw_cfg_error(item, err, NW_EINVAL,
                                    "spool name '%s' is used twice (set name: to tell them "
                                    "apart)",
                                    b->base.name);
            if (!strcmp(a->path, b->path))
                return nw_cfg_error(nw_cfg_get(item, "path"), err, NW_EINVAL,
                                    "path %s is already spool '%s'", b->path, a->base.name);
        }
    }
    return 0;
}
