/*
 * nw_spool — spool directory input (see nw_spool.h for the contract).
 *
 * Every name the spool knows is one entry in a hash set, in exactly one of
 * six lists: candidates (seen, maybe still being written), ready (complete,
 * waiting for intake), loading (with the loader thread), parsed (stories
 * waiting for room under back-pressure), in flight (its messages queued,
 * waiting for their delivery reports) and settling (with the mover thread).
 * An entry leaves the set only when its file has left incoming/ (or
 * vanished), so a scan never takes a file twice.
 *
 * Threads. The service loop thread owns the entries, the lists, Kafka and
 * every decision. Helper threads per spool do the file system work, parsing
 * and serializing, which cost more than publishing, so that they overlap
 * with it and with each other:
 *   loaders (SP_LOADERS of them, one shared queue): open, read and parse a
 *           ready file into stories and serialize each story to ninjs JSON;
 *   mover:  renames a finished file to done/ (or writes its .error and
 *           renames it to failed/), and fsyncs the directories now and then.
 * The loop hands an entry over with its state set to LOADING or SETTLING and
 * does not touch the entry's `job` part again until the helper hands it back
 * through the result queue (an eventfd wakes the loop; it is polled together
 * with the inotify descriptor through one epoll descriptor). A helper touches
 * only `job` and the entry's name, which never changes. Loaders finish out of
 * order; the LOADING list keeps file order and an entry leaves it only when
 * every entry before it is back, so stories are sent in file order (a
 * streamed large file excepted, see collect_results). Whether
 * a file moves, and where, is decided by the loop alone, when every message
 * made from the file has its delivery report; the mover only carries it out.
 */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "nw_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_log.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_time.h"

#define SP_BUCKETS     4096
#define SP_MAX_SUFFIX  100000
#define SP_LOAD_AHEAD  256           /* files with the loader (read, parsed, not yet sent) */
#define SP_KEEP_BUFFER (1 << 20)     /* the loader's read buffer is kept up to this size */
#define SP_POST_BATCH  16            /* a helper hands back its results this many at a time */
#define SP_LOADERS     2             /* loader threads per spool (parsing is the larger cost) */
#define SP_LOAD_TAKE   8             /* a loader takes this many files from the queue at once */
#define SP_SCAN_FIRST  SP_LOAD_AHEAD /* names of a scan that become entries at once */
#define SP_SCAN_BATCH  512           /* and per loop turn after that */
#define SP_READ_FIRST  65536         /* first read of a file, without fstat (see read_file) */
#define SP_SUMMARY_MS  10000         /* a progress line at info level at most this often */
#define SP_IGNORED_MAX 1024          /* odd names (FIFOs, folders, links) remembered */
/* A file inotify saw created is being written in place: it is taken at its
 * IN_CLOSE_WRITE, or (a writer that never closes, a hard link) once its
 * mtime is this old. */
#define SP_WRITER_GRACE_MS 60000LL
/* Directory fsyncs, by the mover, at most once per interval and once more
 * when the spool stops. They are not needed for correctness: a file is moved
 * only after all its messages were acknowledged, so a rename that a power
 * loss undoes (the file is back in incoming/) only means the file is sent
 * again, which the at-least-once contract allows (stable keys, idempotent
 * consumers). A journalling file system never loses the file itself in a
 * rename: it is in one directory or the other. The fsyncs only bound how
 * many files a power loss sends twice. */
#define SP_SYNC_INTERVAL_MS 1000
/* Large files are streamed (see "Streaming large files" below): a file over
 * SP_STREAM_MIN bytes is parsed twice, once to check it whole, then again
 * handing its stories to the loop in chunks of SP_CHUNK_STORIES stories or
 * SP_CHUNK_BYTES bytes of JSON, with at most SP_STREAM_BUDGET bytes of JSON
 * of the file waiting for the loop. */
#define SP_STREAM_MIN    ((size_t)1 << 20)
#define SP_CHUNK_STORIES 1024
#define SP_CHUNK_BYTES   ((size_t)1 << 20)
#define SP_STREAM_BUDGET ((size_t)8 << 20)

/* The lists, in the order a file goes through them. LOADING and SETTLING
 * entries are with a helper thread; PARSED ones hold their stories until
 * back-pressure lets them be sent. */
typedef enum sp_state {
    SP_CANDIDATE,
    SP_READY,
    SP_LOADING,
    SP_PARSED,
    SP_INFLIGHT,
    SP_SETTLING
} sp_state;
#define SP_NSTATES 6

/* What the loader found (sp_job.result of a LOAD). */
typedef enum sp_load_result {
    SP_LOADED,
    SP_VANISHED,
    SP_NOT_REGULAR,
    SP_UNPARSEABLE,
    SP_CHANGED,  /* its size is not what was read: still being written */
    SP_STREAMING /* checked whole; its stories follow in chunks (job.stream) */
} sp_load_result;

/* Parse settings, shared by reference with the loader (replaced on reload). */
typedef struct sp_popts {
    atomic_int refs;
    char *format; /* NULL = detect */
    char *timezone, *category;
} sp_popts;

struct sp_entry;
typedef struct sp_stream sp_stream;

/* The part of an entry a helper thread owns while the entry is LOADING or
 * SETTLING (see the top comment). */
typedef struct sp_job {
    struct sp_entry *qnext; /* in a helper's queue or the result queue */
    sp_popts *popts;        /* LOAD: the settings to parse with (a reference) */
    int result;             /* LOAD: sp_load_result; PLACE: 0 or an NW_E* code */
    bool failed;            /* PLACE input: to failed/ (with reason) rather than done/ */
    bool regular;           /* LOAD input: the scan saw a regular file (no fstat needed) */
    int loader;             /* LOAD: the index of the loader thread that parsed it */
    nw_story_list list;     /* LOAD: the stories (owned) */
    char **json;            /* LOAD: list.len ninjs serializations, NULL where it failed
                               (owned; the loop serializes those again, for the error) */
    size_t *json_len;
    off_t read_size;       /* LOAD: the bytes read, and the file's mtime after */
    int64_t read_mtime_ns; /* (the loop checks both again before done/) */
    char *reason;          /* why the file fails (owned): LOAD result, PLACE input */
    char *note;            /* PLACE: the name in failed/, or why the move failed (owned) */
    sp_stream *stream;     /* LOAD: SP_STREAMING: the chunks to come (a reference) */
} sp_job;

/* What a taken entry needs (allocated when the entry is first handed to the
 * loader): kept out of sp_entry so that the thousands of entries a scan may
 * find cost a few dozen bytes each. */
typedef struct sp_work {
    nw_publish_ticket ticket;
    size_t stories;
    sp_job job;
    /* a streamed file (job.stream) while the loop still takes its chunks */
    bool streaming;
    bool abandoned;         /* intake stopped mid-file: it stays in incoming/ */
    size_t stream_sent;     /* stories of it sent so far */
    struct sp_entry *snext; /* in nw_spool.streams */
} sp_work;

typedef struct sp_entry {
    sp_state state;
    bool back;        /* LOADING: the loader handed it back (see release_loaded) */
    bool regular;     /* the scan's directory entry said regular file */
    bool renoted;     /* inotify named it again while SETTLING */
    bool move_failed; /* the last move failed: retried at the next scan */
    bool writing;     /* inotify saw it created and no IN_CLOSE_WRITE yet */
    int64_t mtime_ns; /* at the last check (candidates) */
    off_t size;
    sp_work *w; /* NULL until taken; never NULL from LOADING on */
    struct sp_entry *hnext;
    struct sp_entry *prev, *next;
    char name[]; /* never changes (helpers read it) */
} sp_entry;

typedef struct sp_list {
    sp_entry *head, *tail;
    size_t len;
} sp_list;

typedef struct nw_spool nw_spool;

/* Entries handed over or back together (linked through job.qnext): one
 * lock and one wake-up per chain rather than per file. */
typedef struct sp_chain {
    sp_entry *head, *tail;
    size_t len;
} sp_chain;

/* The stories of a file the loop has sent. They go back to the loader that
 * allocated them and are freed there: glibc then serves that thread's next
 * stories from its own cache, where frees on the loop's thread would lock
 * the loader's arena and leave the loader to carve fresh memory. */
typedef struct sp_spent {
    nw_story_list list;
    char **json;
    size_t *json_len;
} sp_spent;

typedef struct sp_spent_vec {
    sp_spent *v;
    size_t len, cap;
} sp_spent_vec;

/* A queue of entries and the helper thread(s) serving it. */
typedef struct sp_worker {
    nw_spool *sp;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sp_entry *head, *tail; /* waiting, linked through job.qnext */
    bool stop;
    /* mover: directories renamed in or out of since the last fsync */
    bool dirty_incoming, dirty_done, dirty_failed;
    int64_t last_sync_ms;
} sp_worker;

/* One helper thread: the queue it serves and its own state. */
typedef struct sp_thread {
    sp_worker *w;
    pthread_t thread;
    bool started;
    /* loader: stories the loop handed back (guarded by w->mu) */
    sp_spent_vec spent;
    /* loader: read buffer reused from file to file */
    char *rbuf;
    size_t rcap;
} sp_thread;

/* The names a scan found, sorted; entries are made of them a batch per loop
 * turn (add_scanned) so that the first files are loading while the rest of
 * a large backlog is still being noted. */
typedef struct sp_scanned {
    nw_buf text;  /* per name: its d_type byte, the name, its NUL */
    nw_buf order; /* size_t offsets of the names in text, in name order once sorted */
    size_t n;     /* names in order */
    size_t next;  /* the first of them without an entry yet */
} sp_scanned;

struct nw_spool {
    nw_input base;
    char *path, *category, *timezone;
    int64_t settle_ms, scan_ms;
    int incoming_fd, done_fd, failed_fd;
    int ino_fd, wd, res_fd, ep_fd;
    bool started, watching;
    bool incoming_gone; /* <path>/incoming is missing or not a folder (not ready) */
    /* names in incoming/ that are not regular files (logged once each) */
    char **ignored;
    size_t n_ignored;
    nw_gauge *ignored_gauge;
    sp_entry *buckets[SP_BUCKETS];
    sp_list lists[SP_NSTATES];
    int64_t next_scan_ms;
    uint64_t seen_reports;
    bool need_settle;
    sp_popts *popts;
    sp_worker loader, mover; /* the queues */
    sp_thread loaders[SP_LOADERS], mover_thread;
    sp_chain to_mover;              /* settled during a run, handed to the mover in it */
    sp_spent_vec spent[SP_LOADERS]; /* sent during a run, per loader (handed at its end) */
    sp_scanned scanned;             /* names of the last scan not yet entries (see scan) */
    bool workers_init;
    atomic_bool noatime; /* O_NOATIME still worth trying (EPERM turns it off) */
    /* since the last progress line (SP_SUMMARY_MS) */
    int64_t summary_ms;
    size_t sum_done, sum_failed, sum_stories;
    /* helpers' finished entries, linked through job.qnext */
    pthread_mutex_t res_mu;
    sp_entry *res_head, *res_tail;
    /* entries whose chunks the loop still takes (linked through w->snext) */
    sp_entry *streams;
    /* env->max_message_bytes, for the loaders' check of a streamed file */
    atomic_size_t max_message_bytes;
};

/* ------------------------------------------------------------------------ */
/* Streamed files: the shared part                                          */
/* ------------------------------------------------------------------------ */

/* Stories of a streamed file on their way from its loader to the loop. */
typedef struct sp_chunk {
    struct sp_chunk *next;
    nw_story_list list;
    char **json; /* list.len serializations (owned) */
    size_t *json_len;
    size_t bytes; /* JSON bytes of the chunk (counted in the budget) */
} sp_chunk;

/* One streamed file, shared by its loader (which fills it) and its entry
 * (whose loop side empties it). Everything below `mu` is guarded by the
 * spool's loader mutex, and waits use the loader's condition variable, so
 * that stopping the loaders also wakes a loader waiting for room. */
struct sp_stream {
    int refs;              /* the loader's and the entry's */
    sp_chunk *head, *tail; /* waiting for the loop */
    size_t queued_bytes;   /* JSON bytes in them: at most SP_STREAM_BUDGET + a chunk */
    bool ended;            /* the loader is done (error set when the second pass failed) */
    bool cancel;           /* the loop wants no more (a send failed, intake stopped) */
    char *error;           /* why the second pass failed (owned) */
    size_t expected;       /* stories the first pass counted */
    /* the loader's alone */
    sp_chunk *filling;
    sp_popts *popts; /* a reference */
    size_t len;      /* bytes of the file, in the loader's read buffer */
};

static void chunk_free(sp_chunk *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->json && i < c->list.len; i++)
        free(c->json[i]);
    free(c->json);
    free(c->json_len);
    nw_story_list_free(&c->list);
    free(c);
}

static void popts_unref(sp_popts *p);

/* Drop one reference (under the loader mutex `mu`); the last frees it.
 * `cancel`: the entry's reference, the loader is to stop. */
static void stream_unref(pthread_mutex_t *mu, sp_stream *st, bool cancel)
{
    if (!st)
        return;
    pthread_mutex_lock(mu);
    bool last = --st->refs == 0;
    if (cancel)
        st->cancel = true;
    pthread_mutex_unlock(mu);
    if (!last)
        return;
    for (sp_chunk *c = st->head, *next; c; c = next) {
        next = c->next;
        chunk_free(c);
    }
    chunk_free(st->filling);
    popts_unref(st->popts);
    free(st->error);
    free(st);
}

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
    list_unlink(&sp->lists[e->state], e);
    e->state = to;
    list_push(&sp->lists[to], e);
}

static sp_entry *entry_add(nw_spool *sp, const char *name, sp_state st)
{
    size_t len = strlen(name);
    sp_entry *e = malloc(sizeof *e + len + 1);
    if (!e) {
        nw_log_error("spool", "out of memory input=%s file=%s", sp->base.name, name);
        return NULL;
    }
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, len + 1);
    e->state = st;
    e->size = -1;
    e->mtime_ns = -1;
    uint32_t h = name_hash(name);
    e->hnext = sp->buckets[h];
    sp->buckets[h] = e;
    list_push(&sp->lists[st], e);
    return e;
}

static void popts_unref(sp_popts *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
        free(p->format);
        free(p->timezone);
        free(p->category);
        free(p);
    }
}

/* Free the stories of a job and their serializations. */
static void job_drop_stories(sp_job *j)
{
    if (j->json)
        for (size_t i = 0; i < j->list.len; i++)
            free(j->json[i]);
    free(j->json);
    free(j->json_len);
    j->json = NULL;
    j->json_len = NULL;
    nw_story_list_free(&j->list);
}

static void job_clear(sp_job *j)
{
    job_drop_stories(j);
    popts_unref(j->popts);
    free(j->reason);
    free(j->note);
    memset(j, 0, sizeof *j);
}

static void spent_drop(const sp_spent *r)
{
    sp_job j = {.list = r->list, .json = r->json, .json_len = r->json_len};
    job_drop_stories(&j);
}

static void spent_free_all(sp_spent_vec *s)
{
    for (size_t i = 0; i < s->len; i++)
        spent_drop(&s->v[i]);
    s->len = 0;
}

static bool spent_push(sp_spent_vec *s, const sp_spent *r)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        sp_spent *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->len++] = *r;
    return true;
}

/* The loop is done with a job's stories: to their loader's list (freed here
 * when memory for the list runs out). */
static void job_spend(nw_spool *sp, sp_job *j)
{
    sp_spent r = {j->list, j->json, j->json_len};
    if (!spent_push(&sp->spent[j->loader], &r)) {
        job_drop_stories(j);
        return;
    }
    j->list = (nw_story_list){0};
    j->json = NULL;
    j->json_len = NULL;
}

/* The loop is done with e's stream: off the streams list, reference
 * dropped (its loader, if still at it, is told to stop). */
static void stream_detach(nw_spool *sp, sp_entry *e)
{
    if (!e->w || !e->w->job.stream)
        return;
    if (e->w->streaming) {
        sp_entry **pp = &sp->streams;
        while (*pp && *pp != e)
            pp = &(*pp)->w->snext;
        if (*pp)
            *pp = e->w->snext;
        e->w->streaming = false;
    }
    stream_unref(&sp->loader.mu, e->w->job.stream, true);
    e->w->job.stream = NULL;
    pthread_cond_broadcast(&sp->loader.cv);
}

/* Forget an entry (never one a helper holds). */
static void entry_remove(nw_spool *sp, sp_entry *e)
{
    stream_detach(sp, e);
    list_unlink(&sp->lists[e->state], e);
    sp_entry **pp = &sp->buckets[name_hash(e->name)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->w) {
        job_clear(&e->w->job);
        nw_publish_ticket_clear(&e->w->ticket);
        free(e->w);
    }
    free(e);
}

/* A name found in incoming/: dot-files and names already known are skipped.
 * Returns the entry when the name was new. */
static sp_entry *note_name(nw_spool *sp, const char *name, bool complete)
{
    if (name[0] == '.' || !name[0])
        return NULL;
    sp_entry *e = entry_find(sp, name);
    if (!e) {
        /* with no settle time a file counts as complete when first seen */
        return entry_add(sp, name, complete || sp->settle_ms == 0 ? SP_READY : SP_CANDIDATE);
    } else if (e->state == SP_CANDIDATE && complete) {
        e->writing = false;
        entry_move(sp, e, SP_READY);
    } else if (e->state == SP_SETTLING) {
        /* a new file of that name may have arrived after the move */
        e->renoted = true;
    }
    return NULL;
}

/* inotify saw `name` created in incoming/: a writer has it open, so it is
 * taken at its IN_CLOSE_WRITE rather than when its mtime settles (a writer
 * pausing longer than settle_time was published truncated). */
static void note_created(nw_spool *sp, const char *name)
{
    if (name[0] == '.' || !name[0])
        return;
    sp_entry *e = entry_find(sp, name);
    if (!e && (e = entry_add(sp, name, SP_CANDIDATE)))
        e->writing = true;
    else if (e && e->state == SP_CANDIDATE)
        e->writing = true;
    else if (e && e->state == SP_SETTLING)
        e->renoted = true;
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

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* fsync the directories the mover renamed in or out of (see
 * SP_SYNC_INTERVAL_MS for why this is not on the critical path). Runs on the
 * mover, so it names the spool by its path (the name may change on reload). */
static void sync_dirs(nw_spool *sp, sp_worker *w)
{
    /* destinations first: a file is never only in the old place's journal */
    if (w->dirty_done && fsync(sp->done_fd) < 0)
        nw_log_error("spool", "fsync failed dir=%s/done error=\"%s\"", sp->path, strerror(errno));
    if (w->dirty_failed && fsync(sp->failed_fd) < 0)
        nw_log_error("spool", "fsync failed dir=%s/failed error=\"%s\"", sp->path, strerror(errno));
    if (w->dirty_incoming && fsync(sp->incoming_fd) < 0)
        nw_log_error("spool", "fsync failed dir=%s/incoming error=\"%s\"", sp->path,
                     strerror(errno));
    w->dirty_done = w->dirty_failed = w->dirty_incoming = false;
    w->last_sync_ms = mono_ms();
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
    unsigned first = 0;
    if (!error_text) {
        /* The common case, one system call: the name is free in to_fd, and
         * RENAME_NOREPLACE says so atomically (EEXIST otherwise). */
        if (rename_noreplace(from_fd, name, to_fd, name) == 0) {
            if (dest && destlen) {
                size_t n = strnlen(name, destlen - 1);
                memcpy(dest, name, n);
                dest[n] = '\0';
            }
            return 0;
        }
        if (errno != EEXIST)
            return nw_err_set(err, errno == ENOENT ? NW_ENOTFOUND : NW_EIO, "%s -> %s: %s", name,
                              name, strerror(errno));
        first = 1;
    } else {
        /* no .error is written for a file that is gone */
        struct stat st;
        if (fstatat(from_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return nw_err_set(err, errno == ENOENT ? NW_ENOTFOUND : NW_EIO, "%s: %s", name,
                              strerror(errno));
    }
    char cand[NAME_MAX + 1];
    for (unsigned n = first; n < SP_MAX_SUFFIX; n++) {
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

/* ------------------------------------------------------------------------ */
/* Helper threads                                                           */
/* ------------------------------------------------------------------------ */

static sp_popts *popts_new(const char *format, const char *timezone, const char *category)
{
    sp_popts *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    if ((format && strcmp(format, "auto") && !(p->format = strdup(format))) ||
        (timezone && !(p->timezone = strdup(timezone))) ||
        (category && !(p->category = strdup(category)))) {
        popts_unref(p);
        return NULL;
    }
    return p;
}

static void chain_add(sp_chain *c, sp_entry *e)
{
    e->w->job.qnext = NULL;
    if (c->tail)
        c->tail->w->job.qnext = e;
    else
        c->head = e;
    c->tail = e;
    c->len++;
}

/* Hand a chain of entries (already LOADING or SETTLING) to a queue. */
static void worker_push_chain(sp_worker *w, sp_chain *c)
{
    if (!c->head)
        return;
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->w->job.qnext = c->head;
    else
        w->head = c->head;
    w->tail = c->tail;
    if (c->len > 1)
        pthread_cond_broadcast(&w->cv); /* every loader may take a share */
    else
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    *c = (sp_chain){0};
}

/* Hand the stories sent during a run back to their loaders and wake them
 * (a loader with nothing to load frees them at once). */
static void hand_spent(nw_spool *sp)
{
    for (size_t i = 0; i < SP_LOADERS; i++) {
        sp_spent_vec *mine = &sp->spent[i], *theirs = &sp->loaders[i].spent;
        if (!mine->len)
            continue;
        pthread_mutex_lock(&sp->loader.mu);
        if (!theirs->len) {
            sp_spent_vec t = *theirs; /* the empty one keeps its capacity here */
            *theirs = *mine;
            *mine = t;
        } else {
            for (size_t k = 0; k < mine->len; k++)
                if (!spent_push(theirs, &mine->v[k])) {
                    spent_drop(&mine->v[k]); /* no memory for the list: freed here */
                }
            mine->len = 0;
        }
        pthread_cond_broadcast(&sp->loader.cv);
        pthread_mutex_unlock(&sp->loader.mu);
    }
}

/* Hand a chain back to the loop. The eventfd is written only when the result
 * queue was empty: the loop reads the eventfd before it takes the queue, so
 * one wake-up covers everything queued until then. */
static void post_results(nw_spool *sp, sp_chain *c)
{
    if (!c->head)
        return;
    pthread_mutex_lock(&sp->res_mu);
    bool was_empty = !sp->res_head;
    if (sp->res_tail)
        sp->res_tail->w->job.qnext = c->head;
    else
        sp->res_head = c->head;
    sp->res_tail = c->tail;
    pthread_mutex_unlock(&sp->res_mu);
    *c = (sp_chain){0};
    if (was_empty) {
        uint64_t one = 1;
        if (write(sp->res_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            nw_log_error("spool", "eventfd write failed path=%s error=\"%s\"", sp->path,
                         strerror(errno));
    }
}

/* Wait for work; NULL when told to stop. Takes up to `max` entries at once
 * (the rest stays for another thread of the queue), linked through
 * job.qnext. With `wake_ms` >= 0 the wait ends after that long with NULL and
 * *timed_out. A loader passes its `spent` list (NULL otherwise): the wait
 * also ends when stories come back, which are moved to the empty *take
 * (then NULL may be returned without a stop). */
static sp_entry *worker_wait(sp_worker *w, size_t max, int64_t wake_ms, bool *timed_out,
                             sp_spent_vec *spent, sp_spent_vec *take)
{
    *timed_out = false;
    pthread_mutex_lock(&w->mu);
    while (!w->stop && !w->head && !(spent && spent->len)) {
        if (wake_ms < 0) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wake_ms / 1000;
        ts.tv_nsec += (long)(wake_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0 && !w->head) {
            *timed_out = true;
            break;
        }
    }
    if (spent && spent->len) {
        sp_spent_vec t = *take; /* empty: its capacity goes to the loop */
        *take = *spent;
        *spent = t;
    }
    sp_entry *batch = w->stop ? NULL : w->head;
    if (batch) {
        sp_entry *last = batch;
        for (size_t n = 1; n < max && last->w->job.qnext; n++)
            last = last->w->job.qnext;
        w->head = last->w->job.qnext;
        if (!w->head)
            w->tail = NULL;
        else
            pthread_cond_signal(&w->cv); /* more for a sibling */
        last->w->job.qnext = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    return batch;
}

/* How files in incoming/ are opened (plus O_NOATIME while it works). */
#define SP_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)

/* "<spool>/incoming/<name>" into out (cut at PATH_MAX - 1 bytes, like
 * snprintf, which costs ten times as much for this once or twice per file). */
static void incoming_path(const nw_spool *sp, const char *name, char out[PATH_MAX])
{
    static const char sub[] = "/incoming/";
    size_t at = 0;
    const char *parts[3] = {sp->path, sub, name};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > PATH_MAX - 1 - at)
            n = PATH_MAX - 1 - at;
        memcpy(out + at, parts[i], n);
        at += n;
    }
    out[at] = '\0';
}

/* Open `name` in incoming/ for reading, without an atime update (which
 * would dirty the inode in the journal for every file) where we may: only
 * the file's owner (or CAP_FOWNER) may ask for O_NOATIME, so the first EPERM
 * turns it off for the spool. */
static int open_incoming(nw_spool *sp, const char *name)
{
    int flags = SP_OPEN_FLAGS;
    if (atomic_load_explicit(&sp->noatime, memory_order_relaxed)) {
        int fd = openat(sp->incoming_fd, name, flags | O_NOATIME);
        if (fd >= 0 || errno != EPERM)
            return fd;
        atomic_store_explicit(&sp->noatime, false, memory_order_relaxed);
    }
    return openat(sp->incoming_fd, name, flags);
}

/* Make room for `want` bytes and a NUL in the thread's read buffer. */
static int reserve(sp_thread *t, size_t want)
{
    if (want + 1 <= t->rcap)
        return 0;
    size_t cap = t->rcap ? t->rcap : 4096;
    while (cap < want + 1)
        cap *= 2;
    char *g = realloc(t->rbuf, cap);
    if (!g)
        return -1;
    t->rbuf = g;
    t->rcap = cap;
    return 0;
}

/* Read `name` from incoming/ whole into the thread's buffer (NUL-terminated,
 * *len bytes). Opened relative to incoming/ (no path walk) without blocking
 * (a FIFO dropped in the spool must not hang the loader), and a short read
 * ends it (for a regular file that is the end of the file). A file the scan
 * saw as regular (`regular`) is read at once, SP_READ_FIRST bytes at most:
 * a small file costs open, one read and close. Otherwise, and for a file
 * bigger than that first read, type and size come from fstat on the open
 * descriptor, and a file over the input limit is refused from its size
 * before (more of) it is read. */
static sp_load_result read_file(nw_spool *sp, sp_thread *t, const char *name, bool regular,
                                size_t *len, nw_err *err)
{
    int fd = open_incoming(sp, name);
    if (fd < 0) {
        if (errno == ENOENT)
            return SP_VANISHED;
        if (errno == ELOOP)
            return SP_NOT_REGULAR; /* a symbolic link: never followed */
        nw_err_set(err, NW_EIO, "cannot open: %s", strerror(errno));
        return SP_UNPARSEABLE;
    }
    sp_load_result res = SP_LOADED;
    size_t got = 0, want = SP_READ_FIRST;
    bool sized = false;
    for (;;) {
        if (!sized && (!regular || got == SP_READ_FIRST)) {
            struct stat st;
            sized = true;
            if (fstat(fd, &st) < 0) {
                nw_err_set(err, NW_EIO, "cannot stat: %s", strerror(errno));
                res = SP_UNPARSEABLE;
                goto out;
            }
            if (!S_ISREG(st.st_mode)) {
                res = SP_NOT_REGULAR;
                goto out;
            }
            if ((uint64_t)st.st_size > (uint64_t)NW_PARSE_MAX_INPUT) {
                nw_err_set(err, NW_ELIMIT, "file is %lld bytes, over the limit of %zu bytes",
                           (long long)st.st_size, (size_t)NW_PARSE_MAX_INPUT);
                res = SP_UNPARSEABLE;
                goto out;
            }
            want = (size_t)st.st_size + 1 > got ? (size_t)st.st_size + 1 : got * 2;
        }
        if (want > NW_PARSE_MAX_INPUT + 1)
            want = NW_PARSE_MAX_INPUT + 1;
        if (reserve(t, want) < 0) {
            nw_err_set(err, NW_ENOMEM, "out of memory");
            res = SP_UNPARSEABLE;
            goto out;
        }
        ssize_t r = read(fd, t->rbuf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            nw_err_set(err, NW_EIO, "read failed: %s", strerror(errno));
            res = SP_UNPARSEABLE;
            goto out;
        }
        got += (size_t)r;
        if (got < want)
            break; /* short read: end of file */
        if (got > NW_PARSE_MAX_INPUT) {
            nw_err_set(err, NW_ELIMIT, "input is over the limit of %zu bytes",
                       (size_t)NW_PARSE_MAX_INPUT);
            res = SP_UNPARSEABLE;
            goto out;
        }
        if (sized)
            want = got * 2; /* it grew since fstat: read on */
    }
    t->rbuf[got] = '\0';
    *len = got;
out:
    close(fd);
    return res;
}

/* Serialize every story of a loaded job (the loop's largest share of work
 * per file otherwise). A story that does not serialize keeps NULL: the loop
 * serializes it again and fails the file with the codec's message. */
static void serialize_stories(sp_job *j)
{
    size_t n = j->list.len;
    if (!n || !(j->json = calloc(n, sizeof *j->json)) ||
        !(j->json_len = calloc(n, sizeof *j->json_len))) {
        free(j->json);
        j->json = NULL;
        return; /* the loop serializes them */
    }
    for (size_t i = 0; i < n; i++) {
        nw_err jerr = {0};
        j->json[i] = nw_ninjs_dumps(j->list.items[i], &jerr);
        j->json_len[i] = j->json[i] ? strlen(j->json[i]) : 0;
    }
}

static int64_t mtime_ns_of(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* After the read: the file's size and mtime by name, kept in the job (the
 * loop looks again before the file goes to done/: file_changed_after_read).
 * SP_CHANGED when the size is not what was read: a writer is still at it. */
static int check_after_read(nw_spool *sp, const char *name, size_t len, sp_job *j)
{
    struct stat st;
    if (fstatat(sp->incoming_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return SP_LOADED; /* gone already: its move says so */
    j->read_size = (off_t)len;
    j->read_mtime_ns = mtime_ns_of(&st);
    return (uint64_t)st.st_size != (uint64_t)len ? SP_CHANGED : SP_LOADED;
}

/* ------------------------------------------------------------------------ */
/* Streaming large files (loader side)                                      */
/* ------------------------------------------------------------------------ */
/*
 * A file is all or nothing: none of its stories may be sent when any of them
 * fails. A small file is parsed whole and every story prepared before the
 * first is sent. Held whole, a large file of tiny items costs ~40 times its
 * size (stories, their JSON, the messages), so a file over SP_STREAM_MIN
 * bytes goes another way, at the cost of a second parse:
 *   1. check: it is parsed with every story serialized, size-checked and
 *      dropped at once (parse errors, stories that do not serialize, have no
 *      uri or are over the max message size fail the file here, with
 *      nothing sent);
 *   2. stream: the entry goes back to the loop (SP_STREAMING) and the same
 *      bytes are parsed again, the stories handed over in chunks; the loader
 *      waits while SP_STREAM_BUDGET bytes of them wait for the loop, and the
 *      loop sends them as back-pressure (max_inflight_messages) allows.
 * The file settles as any other, once every message has its report. Only
 * one large file is parsed at a time in the whole service (big_busy), so the
 * memory of large files is bounded by one parse plus the budget, however
 * many loaders and spools take one at once. What pass 1 cannot check (the
 * routing rules are the loop's; a reload may change them between the
 * passes) may still fail a story in pass 2: the file then fails with the
 * number of its stories already sent in its .error (those were published;
 * at-least-once, never silent).
 */
static pthread_mutex_t big_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t big_cv = PTHREAD_COND_INITIALIZER;
static bool big_busy;

/* Wait for the service's one large-file slot; false when the loaders are
 * told to stop meanwhile. */
static bool big_acquire(sp_worker *w)
{
    pthread_mutex_lock(&big_mu);
    while (big_busy) {
        pthread_mutex_lock(&w->mu);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stop) {
            pthread_mutex_unlock(&big_mu);
            return false;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000; /* a stopping spool's loader looks again soon */
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&big_cv, &big_mu, &ts);
    }
    big_busy = true;
    pthread_mutex_unlock(&big_mu);
    return true;
}

/* Hand the free top of the calling thread's malloc arena back to the
 * system. malloc_trim(0) returns free chunks inside every arena, but the top
 * of a thread's arena only shrinks when a large free (64 KiB or more) merges
 * into it; the last frees of a parse are small ones, kept in the thread's
 * cache. Allocating a large chunk first merges the small free chunks into
 * the top; freeing it then shrinks the top (an idle service kept 37 MB of a
 * 16 MiB NITF refused part way through its parse without this).
 * docs/operations.md, Sizing. */
static void trim_thread_arena(void)
{
    void *volatile large = malloc((size_t)256 << 10); /* below the mmap threshold */
    free(large);
}

/* Give the slot back, and the memory of the parse to the system first: the
 * next large file may be parsed by another thread, in another malloc arena,
 * and the peak would then be one parse per arena. */
static void big_release(void)
{
    trim_thread_arena();
    malloc_trim(0);
    pthread_mutex_lock(&big_mu);
    big_busy = false;
    pthread_cond_broadcast(&big_cv);
    pthread_mutex_unlock(&big_mu);
}

/* Pass 1's sink: what would fail the file when sent, found before any is. */
typedef struct sp_check {
    size_t count, max_bytes;
    char error[NW_ERR_MSG_MAX + 256];
} sp_check;

static int check_sink(void *ctx, nw_story *story, nw_err *err)
{
    sp_check *c = ctx;
    nw_err jerr = {0};
    char *json = story->uri ? nw_ninjs_dumps(story, &jerr) : NULL;
    size_t len = json ? strlen(json) : 0;
    if (!story->uri)
        snprintf(c->error, sizeof c->error, "story %zu: no uri", c->count + 1);
    else if (!json)
        snprintf(c->error, sizeof c->error, "story %.200s: %s", story->uri, jerr.msg);
    else if (c->max_bytes && len > c->max_bytes)
        snprintf(c->error, sizeof c->error,
                 "story %s: message is over %zu bytes, over the max message size of %zu bytes "
                 "(max_message_bytes); not sent, never truncated",
                 story->uri, len, c->max_bytes);
    free(json);
    nw_story_free(story);
    if (c->error[0])
        return nw_err_set(err, NW_EINVAL, "%s", c->error);
    c->count++;
    return 0;
}

/* Hand the filling chunk to the loop, after waiting for room. 0, or
 * NW_ECANCELED-like negative when the loop wants no more. */
typedef struct sp_feed {
    nw_spool *sp;
    sp_stream *st;
} sp_feed;

static int stream_push(sp_feed *f)
{
    sp_stream *st = f->st;
    sp_worker *w = &f->sp->loader;
    sp_chunk *c = st->filling;
    if (!c)
        return 0;
    st->filling = NULL;
    pthread_mutex_lock(&w->mu);
    while (st->queued_bytes > SP_STREAM_BUDGET && !st->cancel && !w->stop)
        pthread_cond_wait(&w->cv, &w->mu);
    bool stop = st->cancel || w->stop;
    if (!stop) {
        c->next = NULL;
        if (st->tail)
            st->tail->next = c;
        else
            st->head = c;
        st->tail = c;
        st->queued_bytes += c->bytes;
    }
    pthread_mutex_unlock(&w->mu);
    if (stop) {
        chunk_free(c);
        return NW_EINVAL;
    }
    uint64_t one = 1;
    if (write(f->sp->res_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        nw_log_error("spool", "eventfd write failed path=%s error=\"%s\"", f->sp->path,
                     strerror(errno));
    return 0;
}

/* Pass 2's sink: serialize the story and add it to the filling chunk. */
static int stream_sink(void *ctx, nw_story *story, nw_err *err)
{
    sp_feed *f = ctx;
    sp_stream *st = f->st;
    sp_chunk *c = st->filling;
    if (!c) {
        if (!(c = calloc(1, sizeof *c)) || !(c->json = calloc(SP_CHUNK_STORIES, sizeof *c->json)) ||
            !(c->json_len = calloc(SP_CHUNK_STORIES, sizeof *c->json_len))) {
            chunk_free(c);
            nw_story_free(story);
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        }
        st->filling = c;
    }
    size_t i = c->list.len;
    if (nw_story_list_add(&c->list, story) < 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    nw_err jerr = {0};
    c->json[i] = nw_ninjs_dumps(story, &jerr); /* NULL: the loop serializes it */
    c->json_len[i] = c->json[i] ? strlen(c->json[i]) : 0;
    c->bytes += c->json_len[i] + 256; /* and the story: roughly as large */
    if (c->list.len == SP_CHUNK_STORIES || c->bytes >= SP_CHUNK_BYTES)
        return stream_push(f);
    return 0;
}

static void warn_nothing(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

/* Pass 2, after the entry went back to the loop: parse the bytes still in
 * the thread's read buffer again, into chunks. Ends the stream either way
 * and drops the loader's reference and the large-file slot. */
static void stream_run(nw_spool *sp, sp_thread *t, sp_stream *st, const char *name)
{
    char path[PATH_MAX];
    incoming_path(sp, name, path);
    sp_feed f = {sp, st};
    nw_parse_opts opts = {0};
    opts.timezone = st->popts->timezone;
    opts.default_category = st->popts->category;
    opts.origin = path;
    opts.sink = stream_sink;
    opts.sink_ctx = &f;
    opts.warn = warn_nothing; /* pass 1 warned already: the log says it once */
    nw_story_list none = {0};
    nw_err err = {0};
    int rc = nw_parse_buffer(st->popts->format, t->rbuf, st->len, &opts, &none, &err);
    if (rc == 0)
        rc = stream_push(&f);
    pthread_mutex_lock(&sp->loader.mu);
    if (rc < 0 && !st->cancel && !st->error)
        st->error = strdup(err.msg[0] ? err.msg : "the second parse failed");
    st->ended = true;
    pthread_mutex_unlock(&sp->loader.mu);
    uint64_t one = 1;
    if (write(sp->res_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        nw_log_error("spool", "eventfd write failed path=%s error=\"%s\"", sp->path,
                     strerror(errno));
    stream_unref(&sp->loader.mu, st, false);
    big_release();
}

/* A big file's buffer is not kept for the small ones that follow. */
static void drop_big_buffer(sp_thread *t)
{
    if (t->rcap > SP_KEEP_BUFFER) {
        free(t->rbuf);
        t->rbuf = NULL;
        t->rcap = 0;
    }
}

/* Pass 1 of a large file (see above): SP_STREAMING with j->stream set when
 * the whole file is good, SP_UNPARSEABLE with err otherwise, SP_CHANGED when
 * the loaders stop while it waits for its turn. Holds the large-file slot on
 * SP_STREAMING (stream_run gives it back). */
static int check_large(nw_spool *sp, sp_thread *t, sp_job *j, size_t len, nw_parse_opts *opts,
                       nw_err *err)
{
    if (!big_acquire(&sp->loader))
        return SP_CHANGED;
    sp_check check = {.max_bytes = atomic_load(&sp->max_message_bytes)};
    opts->sink = check_sink;
    opts->sink_ctx = &check;
    nw_story_list none = {0};
    if (nw_parse_buffer(j->popts->format, t->rbuf, len, opts, &none, err) < 0) {
        if (check.error[0]) /* the sink's own words, not the parser's summary */
            nw_err_set(err, NW_EINVAL, "%s: %s", opts->origin, check.error);
        big_release();
        return SP_UNPARSEABLE;
    }
    sp_stream *st = calloc(1, sizeof *st);
    if (!st) {
        big_release();
        nw_err_set(err, NW_ENOMEM, "%s: out of memory", opts->origin);
        return SP_UNPARSEABLE;
    }
    st->refs = 2;
    st->expected = check.count;
    st->len = len;
    st->popts = j->popts;
    atomic_fetch_add(&j->popts->refs, 1);
    j->stream = st;
    return SP_STREAMING;
}

/* Loader: read, parse and serialize one entry's file into e->w->job. */
static void load_one(nw_spool *sp, sp_thread *t, sp_entry *e)
{
    sp_job *j = &e->w->job;
    char path[PATH_MAX];
    incoming_path(sp, e->name, path);
    nw_err err = {0};
    size_t len = 0;
    j->loader = (int)(t - sp->loaders);
    j->result = read_file(sp, t, e->name, j->regular, &len, &err);
    if (j->result == SP_LOADED)
        j->result = check_after_read(sp, e->name, len, j);
    if (j->result == SP_LOADED) {
        nw_parse_opts opts = {0};
        opts.timezone = j->popts->timezone;
        opts.default_category = j->popts->category;
        opts.origin = path;
        if (len > SP_STREAM_MIN) {
            j->result = check_large(sp, t, j, len, &opts, &err);
        } else if (nw_parse_buffer(j->popts->format, t->rbuf, len, &opts, &j->list, &err) < 0) {
            nw_story_list_free(&j->list);
            j->result = SP_UNPARSEABLE;
        } else {
            serialize_stories(j);
        }
    } else if (j->result == SP_UNPARSEABLE) {
        nw_err_prefix(&err, "%s: ", path);
    }
    if (j->result == SP_UNPARSEABLE) {
        size_t n = strlen(err.msg) + 16;
        if ((j->reason = malloc(n)))
            snprintf(j->reason, n, "parse error: %s", err.msg);
    }
    if (j->result != SP_STREAMING)
        drop_big_buffer(t);
}

static void *loader_main(void *arg)
{
    sp_thread *t = arg;
    sp_worker *w = t->w;
    bool timed_out;
    sp_spent_vec spent = {0};
    for (;;) {
        sp_entry *batch = worker_wait(w, SP_LOAD_TAKE, -1, &timed_out, &t->spent, &spent);
        bool stopped = !batch && !spent.len;
        spent_free_all(&spent);
        if (stopped)
            break;
        if (!batch)
            continue;
        sp_chain done = {0};
        for (sp_entry *e = batch, *next; e; e = next) {
            next = e->w->job.qnext;
            load_one(w->sp, t, e);
            /* a streamed file goes back at once; its second pass follows
             * (the entry is the loop's from then on, the stream shared) */
            sp_stream *st = e->w->job.result == SP_STREAMING ? e->w->job.stream : NULL;
            char name[NAME_MAX + 1];
            if (st)
                snprintf(name, sizeof name, "%s", e->name);
            chain_add(&done, e);
            /* the first file of a batch goes at once, so the loop has work
             * while the loader parses the next ones */
            if (st || done.len >= SP_POST_BATCH || e == batch)
                post_results(w->sp, &done);
            if (st) {
                stream_run(w->sp, t, st, name);
                drop_big_buffer(t);
            }
        }
        post_results(w->sp, &done);
    }
    free(spent.v);
    return NULL;
}

/* Mover: carry out the loop's decision for one entry. */
static void place_one(nw_spool *sp, sp_worker *w, sp_entry *e)
{
    sp_job *j = &e->w->job;
    char dest[NAME_MAX + 1];
    nw_err err = {0};
    /* with no memory for the reason, the file still goes to failed/ */
    const char *reason = !j->failed ? NULL : j->reason ? j->reason : "failed (out of memory)";
    int to_fd = reason ? sp->failed_fd : sp->done_fd;
    j->result = nw_spool_place(sp->incoming_fd, e->name, to_fd, reason, dest, sizeof dest, &err);
    if (j->result == 0) {
        w->dirty_incoming = true;
        if (reason)
            w->dirty_failed = true;
        else
            w->dirty_done = true;
    }
    /* the loop reads the note only for a failed file or move: a file done
     * under its own name (nearly all of them) needs none */
    if (j->result != 0 || reason || strcmp(dest, e->name))
        j->note = strdup(j->result == 0 ? dest : err.msg);
}

static void *mover_main(void *arg)
{
    sp_thread *t = arg;
    sp_worker *w = t->w;
    nw_spool *sp = w->sp;
    for (;;) {
        bool dirty = w->dirty_done || w->dirty_failed || w->dirty_incoming;
        int64_t wake = -1;
        if (dirty) {
            wake = w->last_sync_ms + SP_SYNC_INTERVAL_MS - mono_ms();
            if (wake < 0)
                wake = 0;
        }
        bool timed_out;
        sp_entry *batch = worker_wait(w, SIZE_MAX, wake, &timed_out, NULL, NULL);
        if (!batch && !timed_out)
            break; /* stop: spool_free syncs what is left */
        sp_chain done = {0};
        for (sp_entry *e = batch, *next; e; e = next) {
            next = e->w->job.qnext;
            place_one(sp, w, e);
            chain_add(&done, e);
            if (done.len >= SP_POST_BATCH)
                post_results(sp, &done);
        }
        post_results(sp, &done);
        if ((w->dirty_done || w->dirty_failed || w->dirty_incoming) &&
            mono_ms() - w->last_sync_ms >= SP_SYNC_INTERVAL_MS)
            sync_dirs(sp, w);
    }
    return NULL;
}

static int worker_start(nw_spool *sp, sp_worker *w, sp_thread *t, void *(*fn)(void *),
                        const char *tname, nw_err *err)
{
    w->sp = sp;
    w->last_sync_ms = mono_ms();
    t->w = w;
    /* helpers must not take the service's signals (they are read from a
     * signalfd); the loop thread has them blocked already, and a new thread
     * inherits that mask */
    int rc = pthread_create(&t->thread, NULL, fn, t);
    if (rc != 0)
        return nw_err_set(err, NW_EIO, "spool %s: cannot start a thread: %s", sp->base.name,
                          strerror(rc));
    t->started = true;
    pthread_setname_np(t->thread, tname); /* top -H, perf: at most 15 characters */
    return 0;
}

/* Stop the threads serving w (every one of them sees `stop`). */
static void worker_stop(sp_worker *w, sp_thread *threads, size_t n)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n; i++)
        if (threads[i].started) {
            pthread_join(threads[i].thread, NULL);
            threads[i].started = false;
        }
}

/* ------------------------------------------------------------------------ */
/* The loop side                                                            */
/* ------------------------------------------------------------------------ */

/* Hand e to the mover: done/, or failed/ with `reason` (taken over; NULL
 * after an allocation failure still fails the file). */
static void settle(nw_spool *sp, sp_entry *e, bool failed, char *reason)
{
    sp_job *j = &e->w->job;
    job_drop_stories(j);
    free(j->note);
    j->note = NULL;
    if (reason != j->reason) {
        free(j->reason);
        j->reason = reason;
    }
    j->failed = failed;
    j->result = 0;
    e->move_failed = false;
    entry_move(sp, e, SP_SETTLING);
    chain_add(&sp->to_mover, e); /* handed over later in spool_run */
}

static char *dup_reason(const char *text)
{
    char *r = strdup(text);
    if (!r)
        nw_log_error("spool", "out of memory keeping a failure reason");
    return r;
}

/* The mover is done with e. */
static void settled(nw_spool *sp, sp_entry *e)
{
    sp_job *j = &e->w->job;
    const char *note = j->note ? j->note : "?";
    if (j->result == NW_ENOTFOUND) {
        nw_log_warn("spool", "file vanished from incoming before it was moved input=%s file=%s",
                    sp->base.name, e->name);
    } else if (j->result < 0) {
        nw_log_error("spool", "cannot move file input=%s file=%s error=\"%s\"", sp->base.name,
                     e->name, note);
        /* kept in flight (all its reports are in): the next scan tries again */
        e->move_failed = true;
        entry_move(sp, e, SP_INFLIGHT);
        return;
    } else if (j->failed) {
        nw_log_error("spool", "file failed input=%s file=%s moved_to=failed/%s reason=\"%s\"",
                     sp->base.name, e->name, note, j->reason ? j->reason : "out of memory");
    } else if (nw_log_enabled(NW_LOG_DEBUG)) {
        /* one line per file only at debug level: at thousands of files a
         * second that is a flood; info gets the summary (log_progress) */
        nw_log_debug("spool", "file done input=%s file=%s stories=%zu messages=%zu", sp->base.name,
                     e->name, e->w->stories, e->w->ticket.sent);
    }
    if (j->failed) {
        nw_counter_inc(sp->base.m.items_failed);
        nw_counter_add(sp->base.m.failed, e->w->stories ? e->w->stories : 1);
        sp->sum_failed++;
    } else {
        nw_counter_inc(sp->base.m.items_done);
        nw_counter_add(sp->base.m.published, e->w->stories);
        sp->sum_done++;
        sp->sum_stories += e->w->stories;
    }
    char again[NAME_MAX + 1] = "";
    if (e->renoted)
        snprintf(again, sizeof again, "%s", e->name);
    entry_remove(sp, e);
    if (again[0])
        note_name(sp, again, false);
}

/* At info level, a line per SP_SUMMARY_MS with what was settled since the
 * last one (each failed file has its own error line as well). */
static void log_progress(nw_spool *sp, int64_t now, bool force)
{
    if (!sp->sum_done && !sp->sum_failed)
        return;
    if (!force && now - sp->summary_ms < SP_SUMMARY_MS)
        return;
    nw_log_info("spool", "files settled input=%s done=%zu failed=%zu stories=%zu seconds=%.1f",
                sp->base.name, sp->sum_done, sp->sum_failed, sp->sum_stories,
                (double)(now - sp->summary_ms) / 1000);
    sp->sum_done = sp->sum_failed = sp->sum_stories = 0;
    sp->summary_ms = now;
}

/* ------------------------------------------------------------------------ */
/* Names that are not files: FIFOs, folders, links                          */
/* ------------------------------------------------------------------------ */

static bool is_ignored(const nw_spool *sp, const char *name)
{
    for (size_t i = 0; i < sp->n_ignored; i++)
        if (!strcmp(sp->ignored[i], name))
            return true;
    return false;
}

/* A name in incoming/ that is no regular file is left there: logged once
 * (while it stays) and counted in newswire_producer_spool_ignored_files. */
static void note_ignored(nw_spool *sp, const char *name, const char *what)
{
    if (is_ignored(sp, name))
        return;
    nw_log_warn("spool", "left in incoming, not taken input=%s file=%s type=\"%s\"", sp->base.name,
                name, what);
    char *copy;
    if (sp->n_ignored < SP_IGNORED_MAX && (copy = strdup(name))) {
        char **grown = realloc(sp->ignored, (sp->n_ignored + 1) * sizeof *grown);
        if (grown) {
            sp->ignored = grown;
            sp->ignored[sp->n_ignored++] = copy;
        } else {
            free(copy);
        }
    }
    nw_gauge_set(sp->ignored_gauge, (double)sp->n_ignored);
}

/* A scan found `name` again: it moves from the last scan's odd names (was)
 * to the current ones without a new log line. False when it was not one. */
static bool ignored_keep(nw_spool *sp, char **was, size_t n_was, const char *name)
{
    for (size_t i = 0; i < n_was; i++) {
        if (!was[i] || strcmp(was[i], name))
            continue;
        char **grown = realloc(sp->ignored, (sp->n_ignored + 1) * sizeof *grown);
        if (!grown)
            return true; /* forgotten: logged again at the next scan */
        sp->ignored = grown;
        sp->ignored[sp->n_ignored++] = was[i];
        was[i] = NULL;
        return true;
    }
    return false;
}

static void ignored_free(nw_spool *sp)
{
    for (size_t i = 0; i < sp->n_ignored; i++)
        free(sp->ignored[i]);
    free(sp->ignored);
    sp->ignored = NULL;
    sp->n_ignored = 0;
}

static const char *dirent_type_name(unsigned char type)
{
    switch (type) {
    case DT_DIR: return "directory";
    case DT_LNK: return "symbolic link";
    case DT_FIFO: return "FIFO";
    case DT_SOCK: return "socket";
    case DT_CHR: return "character device";
    case DT_BLK: return "block device";
    default: return "not a regular file";
    }
}

/* The loader is done with e, the head of the LOADING list (see
 * release_loaded). */
static void loaded(nw_spool *sp, sp_entry *e)
{
    sp_job *j = &e->w->job;
    switch ((sp_load_result)j->result) {
    case SP_VANISHED: entry_remove(sp, e); break;
    case SP_NOT_REGULAR:
        note_ignored(sp, e->name, "not a regular file");
        entry_remove(sp, e);
        break;
    case SP_UNPARSEABLE: settle(sp, e, true, j->reason); break;
    case SP_LOADED: entry_move(sp, e, SP_PARSED); break;
    case SP_STREAMING:
        /* in flight at once: pump_streams sends its chunks as they come */
        nw_counter_add(sp->base.m.parsed, j->stream->expected);
        e->w->stories = j->stream->expected;
        e->w->stream_sent = 0;
        e->w->abandoned = false;
        e->w->streaming = true;
        e->w->snext = sp->streams;
        sp->streams = e;
        nw_publish_ticket_clear(&e->w->ticket);
        entry_move(sp, e, SP_INFLIGHT);
        break;
    case SP_CHANGED:
        /* read again once it has settled (or its writer closed it) */
        nw_log_info("spool", "file changed while it was read, taken again later input=%s file=%s",
                    sp->base.name, e->name);
        job_drop_stories(j);
        e->mtime_ns = -1;
        e->size = -1;
        entry_move(sp, e, SP_CANDIDATE);
        break;
    }
}

/* Loaders hand entries back in any order; they go on in file order: from the
 * head of the LOADING list, as long as the head is back. */
static void release_loaded(nw_spool *sp)
{
    sp_entry *e;
    while ((e = sp->lists[SP_LOADING].head) && e->back) {
        e->back = false;
        loaded(sp, e);
    }
}

/* Take everything the helpers handed back. `signalled`: the eventfd is
 * readable (it must then be read before the queue is taken: see
 * post_results); the queue is taken either way. */
static void collect_results(nw_spool *sp, bool signalled)
{
    uint64_t count;
    if (signalled && read(sp->res_fd, &count, sizeof count) < 0 && errno != EAGAIN)
        nw_log_error("spool", "eventfd read failed input=%s error=\"%s\"", sp->base.name,
                     strerror(errno));
    pthread_mutex_lock(&sp->res_mu);
    sp_entry *e = sp->res_head;
    sp->res_head = sp->res_tail = NULL;
    pthread_mutex_unlock(&sp->res_mu);
    bool any_loaded = false;
    for (sp_entry *next; e; e = next) {
        next = e->w->job.qnext;
        e->w->job.qnext = NULL;
        if (e->state == SP_LOADING) {
            popts_unref(e->w->job.popts);
            e->w->job.popts = NULL;
            /* A streamed file goes on at once, ahead of files before it
             * still with a loader: its loader holds the service's one
             * large-file slot until the loop has taken its stories, and a
             * file before it may be waiting for that very slot. */
            if (e->w->job.result == SP_STREAMING) {
                loaded(sp, e);
                continue;
            }
            e->back = true;
            any_loaded = true;
        } else {
            settled(sp, e);
        }
    }
    if (any_loaded)
        release_loaded(sp);
}

/* Publish a parsed entry's stories, or fail the file when one of them cannot
 * be sent (unroutable, oversized): every story is prepared before any is
 * sent, so nothing of a failed file reaches Kafka. */
static void send_parsed(nw_spool *sp, nw_input_env *env, sp_entry *e)
{
    char path[PATH_MAX];
    incoming_path(sp, e->name, path);
    nw_story_list *list = &e->w->job.list;
    nw_err err = {0};
    nw_counter_add(sp->base.m.parsed, list->len);
    e->w->stories = list->len;

    nw_outmsg **msgs = calloc(list->len ? list->len : 1, sizeof *msgs);
    if (!msgs) {
        nw_log_error("spool", "out of memory input=%s file=%s", sp->base.name, e->name);
        job_drop_stories(&e->w->job);
        entry_move(sp, e, SP_READY); /* try again later */
        return;
    }
    sp_job *j = &e->w->job;
    for (size_t i = 0; i < list->len; i++) {
        /* the loader's serialization is taken over (NULL: serialized here) */
        char *json = j->json ? j->json[i] : NULL;
        if (json)
            j->json[i] = NULL;
        if (!(msgs[i] = nw_input_prepare_json(env, list->items[i], json, json ? j->json_len[i] : 0,
                                              path, &err))) {
            char reason[PATH_MAX + NW_ERR_MSG_MAX + 8];
            snprintf(reason, sizeof reason, "%s: %s", path, err.msg);
            for (size_t k = 0; k < i; k++)
                nw_outmsg_free(msgs[k]);
            free(msgs);
            settle(sp, e, true, dup_reason(reason));
            return;
        }
    }
    entry_move(sp, e, SP_INFLIGHT);
    nw_publish_ticket_clear(&e->w->ticket);
    for (size_t i = 0; i < list->len; i++) {
        if (!e->w->ticket.failed && nw_input_send(env, msgs[i], &e->w->ticket, &err) < 0)
            nw_log_error("spool", "send refused input=%s file=%s uri=%s error=\"%s\"",
                         sp->base.name, e->name, list->items[i]->uri, err.msg);
        else if (nw_log_enabled(NW_LOG_DEBUG))
            nw_log_debug("spool", "queued input=%s file=%s uri=%s", sp->base.name, e->name,
                         list->items[i]->uri);
        nw_outmsg_free(msgs[i]);
    }
    free(msgs);
    job_spend(sp, j);
    /* nothing to wait for (no stories, or every send refused): settle it
     * at the next turn (reports trigger the others) */
    if (nw_publish_ticket_outstanding(&e->w->ticket) == 0)
        sp->need_settle = true;
}

/* Send what a streamed file's loader handed over while there is room. A
 * story that fails here (routing) stops the stream and fails the file, its
 * .error saying how many of its stories went out before. Without intake the
 * stream stops and the file stays in incoming/ (sent again next time). */
static void pump_stream(nw_spool *sp, nw_input_env *env, sp_entry *e)
{
    sp_work *w = e->w;
    sp_stream *st = w->job.stream;
    char path[PATH_MAX];
    incoming_path(sp, e->name, path);
    bool ended = false;
    for (;;) {
        sp_chunk *c = NULL;
        pthread_mutex_lock(&sp->loader.mu);
        if (!env->intake || w->job.reason)
            st->cancel = true;
        if (!st->cancel && nw_input_room(env) > 0 && (c = st->head)) {
            st->head = c->next;
            if (!st->head)
                st->tail = NULL;
            st->queued_bytes -= c->bytes;
        }
        ended = st->ended && !st->head;
        if (st->cancel)
            ended = st->ended;
        pthread_mutex_unlock(&sp->loader.mu);
        if (!c)
            break;
        pthread_cond_broadcast(&sp->loader.cv); /* room for the loader */
        for (size_t i = 0; i < c->list.len && !w->job.reason; i++) {
            nw_err err = {0};
            char *json = c->json[i];
            c->json[i] = NULL;
            nw_outmsg *msg =
                nw_input_prepare_json(env, c->list.items[i], json, c->json_len[i], path, &err);
            if (!msg) {
                char reason[PATH_MAX + NW_ERR_MSG_MAX + 128];
                snprintf(reason, sizeof reason,
                         "%s: %s (%zu of the file's %zu stories were sent before)", path, err.msg,
                         w->stream_sent, w->stories);
                w->job.reason = dup_reason(reason);
                if (!w->job.reason)
                    w->job.reason = dup_reason("a story could not be sent");
                break;
            }
            if (nw_input_send(env, msg, &w->ticket, &err) < 0)
                nw_log_error("spool", "send refused input=%s file=%s uri=%s error=\"%s\"",
                             sp->base.name, e->name, c->list.items[i]->uri, err.msg);
            nw_outmsg_free(msg);
            w->stream_sent++;
        }
        chunk_free(c);
    }
    if (!env->intake && !w->job.reason)
        w->abandoned = true;
    if (!ended)
        return;
    /* the loader is done and every chunk taken: settle as any file */
    if (st->error && !w->job.reason) {
        char reason[PATH_MAX + NW_ERR_MSG_MAX + 128];
        snprintf(reason, sizeof reason,
                 "parse error: %s (second pass; %zu of the file's %zu stories were sent before)",
                 st->error, w->stream_sent, w->stories);
        w->job.reason = dup_reason(reason);
    } else if (!w->job.reason && !w->abandoned && w->stream_sent != w->stories) {
        char reason[256];
        snprintf(reason, sizeof reason, "the second pass made %zu stories where the first made %zu",
                 w->stream_sent, w->stories);
        w->job.reason = dup_reason(reason);
    }
    stream_detach(sp, e);
    sp->need_settle = true;
}

static bool stream_has_chunks(const nw_spool *sp, sp_stream *st)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)&sp->loader.mu;
    pthread_mutex_lock(mu);
    bool any = st->head != NULL;
    pthread_mutex_unlock(mu);
    return any;
}

static void pump_streams(nw_spool *sp, nw_input_env *env)
{
    for (sp_entry *e = sp->streams, *next; e; e = next) {
        next = e->w->snext;
        pump_stream(sp, env, e);
    }
}

/* Parsed entries go out while there is room; ready ones go to the loader so
 * that it stays up to SP_LOAD_AHEAD files ahead. Without intake (draining,
 * retiring) parsed stories are dropped: the files stay in incoming/ and are
 * taken again by the next run. */
static void intake(nw_spool *sp, nw_input_env *env)
{
    sp_list *parsed = &sp->lists[SP_PARSED], *ready = &sp->lists[SP_READY];
    if (!env->intake) {
        while (parsed->head) {
            job_drop_stories(&parsed->head->w->job);
            entry_move(sp, parsed->head, SP_READY);
        }
        return;
    }
    while (parsed->head && nw_input_room(env) > 0)
        send_parsed(sp, env, parsed->head);
    sp_chain hand = {0};
    while (ready->head && nw_input_room(env) > 0 &&
           sp->lists[SP_LOADING].len + parsed->len < SP_LOAD_AHEAD) {
        sp_entry *e = ready->head;
        if (!e->w && !(e->w = calloc(1, sizeof *e->w))) {
            nw_log_error("spool", "out of memory input=%s file=%s", sp->base.name, e->name);
            break;
        }
        e->w->job.popts = sp->popts;
        e->w->job.regular = e->regular;
        atomic_fetch_add(&sp->popts->refs, 1);
        entry_move(sp, e, SP_LOADING);
        chain_add(&hand, e);
        /* the first files go at once so that the loaders start early */
        if (hand.len >= SP_LOAD_TAKE * SP_LOADERS || sp->lists[SP_LOADING].len <= SP_LOADERS)
            worker_push_chain(&sp->loader, &hand);
    }
    worker_push_chain(&sp->loader, &hand);
}

/* Candidates whose mtime is settle_ms old become ready; vanished ones go. */
static void check_candidates(nw_spool *sp)
{
    int64_t now = realtime_ns();
    sp_entry *next;
    for (sp_entry *e = sp->lists[SP_CANDIDATE].head; e; e = next) {
        next = e->next;
        struct stat st;
        if (fstatat(sp->incoming_fd, e->name, &st, 0) < 0 || !S_ISREG(st.st_mode)) {
            entry_remove(sp, e);
            continue;
        }
        /* seen regular here, as a scan would have: the loader may skip its
         * fstat */
        e->regular = true;
        int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        bool unchanged = mt == e->mtime_ns && st.st_size == e->size;
        e->mtime_ns = mt;
        e->size = st.st_size;
        /* a writer still has it open (see note_created) */
        if (e->writing && sp->watching && now - mt < SP_WRITER_GRACE_MS * 1000000)
            continue;
        if (now - mt >= sp->settle_ms * 1000000 &&
            (unchanged || sp->settle_ms == 0 || now - mt >= 2 * sp->settle_ms * 1000000))
            entry_move(sp, e, SP_READY);
    }
}

static int scanned_add(sp_scanned *sc, const char *name, unsigned char type)
{
    size_t off = sc->text.len + 1;
    nw_buf_putc(&sc->text, (char)type);
    nw_buf_append(&sc->text, name, strlen(name) + 1);
    nw_buf_append(&sc->order, &off, sizeof off);
    if (nw_buf_failed(&sc->text) || nw_buf_failed(&sc->order))
        return -1;
    sc->n++;
    return 0;
}

static void scanned_reset(sp_scanned *sc)
{
    nw_buf_free(&sc->text);
    nw_buf_free(&sc->order);
    sc->n = sc->next = 0;
}

static int by_name(const void *a, const void *b, void *text)
{
    const char *t = text;
    return strcmp(t + *(const size_t *)a, t + *(const size_t *)b);
}

/* Sort the names in strcmp order. */
static void scanned_sort(sp_scanned *sc)
{
    if (sc->n > 1)
        qsort_r(sc->order.data, sc->n, sizeof(size_t), by_name, sc->text.data);
}

/* Make entries of up to `max` more names of the last scan, in name order. */
static void add_scanned(nw_spool *sp, size_t max)
{
    sp_scanned *sc = &sp->scanned;
    const char *text = sc->text.data;
    const size_t *offs = (const size_t *)(const void *)sc->order.data;
    for (size_t k = 0; k < max && sc->next < sc->n; k++) {
        size_t off = offs[sc->next++];
        sp_entry *e = note_name(sp, text + off, false);
        /* the loader may skip its fstat (a file replaced by a non-regular
         * one in between reads as empty: it fails rather than hangs) */
        if (e && text[off - 1] == DT_REG)
            e->regular = true;
    }
    if (sc->next == sc->n)
        scanned_reset(sc);
}

/* The safety net: every regular file in incoming/ we do not know yet, in
 * name order. Names already known are skipped while reading the directory,
 * so a scan of a busy spool copies and sorts only the new ones. The first
 * SP_SCAN_FIRST of them become entries at once, the others SP_SCAN_BATCH per
 * loop turn (a backlog of 100,000 files after an outage costs ~100 ms of
 * entries, which the loaders need not wait for). */
static void scan(nw_spool *sp)
{
    add_scanned(sp, SIZE_MAX); /* what is left of the last scan: older files */
    int fd = openat(sp->incoming_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        nw_log_error("spool", "cannot scan input=%s dir=%s/incoming error=\"%s\"", sp->base.name,
                     sp->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    sp_scanned *sc = &sp->scanned;
    struct dirent *de;
    /* the odd names still there are logged no more; the others are forgotten */
    char **was = sp->ignored;
    size_t n_was = sp->n_ignored;
    sp->ignored = NULL;
    sp->n_ignored = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN) {
            if (!ignored_keep(sp, was, n_was, de->d_name))
                note_ignored(sp, de->d_name, dirent_type_name(de->d_type));
            continue;
        }
        if (entry_find(sp, de->d_name))
            continue;
        if (scanned_add(sc, de->d_name, de->d_type) < 0) {
            nw_log_error("spool", "out of memory scanning input=%s", sp->base.name);
            break;
        }
    }
    closedir(d);
    for (size_t i = 0; i < n_was; i++)
        free(was[i]);
    free(was);
    nw_gauge_set(sp->ignored_gauge, (double)sp->n_ignored);
    if (sc->n)
        nw_log_debug("spool", "scan found files input=%s count=%zu", sp->base.name, sc->n);
    scanned_sort(sc);
    add_scanned(sp, SP_SCAN_FIRST);
    /* entries stuck in flight because a move failed get another try */
    sp->need_settle = true;
}

static int add_watch(nw_spool *sp, nw_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/incoming", sp->path);
    sp->wd = inotify_add_watch(sp->ino_fd, path,
                               IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF |
                                   IN_MOVE_SELF | IN_ONLYDIR);
    if (sp->wd < 0)
        return nw_err_set(err, NW_EIO, "%s: inotify: %s", path, strerror(errno));
    sp->watching = true;
    return 0;
}

/* Watch the path, not the folder: incoming/ may have been renamed away
 * ("mv incoming incoming.old; mkdir incoming") or deleted and made again
 * (inotify says nothing while our descriptor holds the deleted folder).
 * Run at every scan and whenever the watch reports its folder moved or
 * gone. A new incoming/ replaces the old one (dup2 onto incoming_fd, so the
 * helpers see it at their next call) and is scanned at once; a missing one
 * makes the spool not ready until it is back. */
static void check_incoming(nw_spool *sp)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/incoming", sp->path);
    struct stat now, held;
    int gone = stat(path, &now) < 0 ? errno : S_ISDIR(now.st_mode) ? 0 : ENOTDIR;
    if (gone) {
        if (!sp->incoming_gone)
            nw_log_error("spool",
                         "incoming folder is gone, not ready until it is back input=%s path=%s "
                         "error=\"%s\"",
                         sp->base.name, path, strerror(gone));
        sp->incoming_gone = true;
        return;
    }
    if (fstat(sp->incoming_fd, &held) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino && held.st_nlink > 0) {
        if (sp->incoming_gone)
            nw_log_info("spool", "incoming folder is back input=%s path=%s", sp->base.name, path);
        sp->incoming_gone = false;
        if (!sp->watching) {
            nw_err err = {0};
            if (add_watch(sp, &err) < 0)
                nw_log_error("spool", "cannot watch input=%s error=\"%s\"", sp->base.name, err.msg);
        }
        return;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, sp->incoming_fd) < 0) {
        nw_log_error("spool", "cannot open the new incoming folder input=%s path=%s error=\"%s\"",
                     sp->base.name, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        sp->incoming_gone = true;
        return;
    }
    close(fd);
    if (sp->wd >= 0)
        inotify_rm_watch(sp->ino_fd, sp->wd); /* gone already when its folder was */
    sp->watching = false;
    nw_err err = {0};
    if (add_watch(sp, &err) < 0)
        nw_log_error("spool", "cannot watch input=%s error=\"%s\"", sp->base.name, err.msg);
    nw_log_warn("spool", "incoming folder was replaced, reading the new one input=%s path=%s",
                sp->base.name, path);
    sp->incoming_gone = false;
    sp->next_scan_ms = 0;
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
            } else if (ev->wd != sp->wd) {
                /* the watch of a replaced incoming/ (see check_incoming) */
            } else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                sp->watching = false; /* check_incoming says what became of it */
            } else if (ev->len > 0 && (ev->mask & IN_ISDIR)) {
                note_ignored(sp, ev->name, "directory");
            } else if (ev->len > 0 && (ev->mask & IN_CREATE)) {
                note_created(sp, ev->name);
            } else if (ev->len > 0) {
                note_name(sp, ev->name, (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) != 0);
            }
            p += sizeof *ev + ev->len;
        }
    }
}

/* A file written in place that changed after it was read was published from
 * what it held then: it fails (with a reason saying so) rather than going to
 * done/ as if whole. NULL when it is unchanged (or gone). */
static char *file_changed_after_read(nw_spool *sp, const sp_entry *e)
{
    const sp_job *j = &e->w->job;
    struct stat st;
    if (!j->read_mtime_ns || fstatat(sp->incoming_fd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return NULL;
    if (st.st_size == j->read_size && mtime_ns_of(&st) == j->read_mtime_ns)
        return NULL;
    char reason[512];
    snprintf(reason, sizeof reason,
             "file changed after it was read: %lld bytes were read and published, it now has "
             "%lld bytes; a writer was still writing it in place (write elsewhere or under a "
             "dot-name and rename it into incoming/)",
             (long long)j->read_size, (long long)st.st_size);
    return dup_reason(reason);
}

/* Files finish roughly in the order they were sent, so the walk stops after
 * SP_SETTLE_LOOKAHEAD unfinished ones: settling costs O(finished), not
 * O(in flight), per loop turn. A scan walks the whole list now and then. */
#define SP_SETTLE_LOOKAHEAD 64

static void settle_finished(nw_spool *sp, bool full)
{
    sp_entry *next;
    size_t unfinished = 0;
    for (sp_entry *e = sp->lists[SP_INFLIGHT].head; e; e = next) {
        next = e->next;
        if (nw_publish_ticket_outstanding(&e->w->ticket) > 0) {
            if (!full && ++unfinished > SP_SETTLE_LOOKAHEAD)
                break;
            continue;
        }
        if (e->w->streaming)
            continue; /* its loader is still at it */
        if (e->w->abandoned) {
            /* intake stopped mid-file: it stays in incoming/ */
            entry_remove(sp, e);
        } else if (e->move_failed) {
            /* its move failed before: same decision, another try at scans */
            if (full)
                settle(sp, e, e->w->job.failed, e->w->job.reason);
        } else if (e->w->job.reason && !e->w->job.failed) {
            settle(sp, e, true, e->w->job.reason); /* a streamed file that failed */
        } else if (e->w->ticket.failed == 0) {
            char *changed = file_changed_after_read(sp, e);
            settle(sp, e, changed != NULL, changed);
        } else {
            char reason[512];
            snprintf(reason, sizeof reason,
                     "delivery failed for %zu of %zu messages (after librdkafka's retries); "
                     "first: %s",
                     e->w->ticket.failed, e->w->ticket.sent + e->w->ticket.refused,
                     nw_publish_ticket_error(&e->w->ticket));
            settle(sp, e, true, dup_reason(reason));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* nw_input callbacks                                                       */
/* ------------------------------------------------------------------------ */

static int spool_start(nw_input *in, nw_input_env *env, nw_err *err)
{
    nw_spool *sp = (nw_spool *)in;
    /* its metadata comes during the scan (when the client is up already;
     * else spool_warm, right after) */
    nw_input_warm_topic(env, in->name, sp->category);
    if (mkdir(sp->path, 0750) < 0 && errno != EEXIST)
        return nw_err_set(err, NW_EIO, "spool %s: %s: %s", in->name, sp->path, strerror(errno));
    if ((sp->incoming_fd = open_subdir(sp->path, "incoming", err)) < 0 ||
        (sp->done_fd = open_subdir(sp->path, "done", err)) < 0 ||
        (sp->failed_fd = open_subdir(sp->path, "failed", err)) < 0)
        return nw_err_prefix(err, "spool %s: ", in->name);
    if (env->metrics) {
        nw_buf labels = {0};
        nw_buf_puts(&labels, "input=\"");
        nw_metrics_label_escape(&labels, in->name);
        nw_buf_puts(&labels, "\"");
        sp->ignored_gauge = nw_metrics_gauge(env->metrics, "newswire_producer_spool_ignored_files",
                                             "Names in incoming/ that are not regular files "
                                             "(FIFOs, folders, links): left there, never taken",
                                             nw_buf_str(&labels));
        nw_buf_free(&labels);
    }
    sp->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (sp->ino_fd < 0)
        return nw_err_set(err, NW_EIO, "spool %s: inotify: %s", in->name, strerror(errno));
    if (add_watch(sp, err) < 0)
        return nw_err_prefix(err, "spool %s: ", in->name);
    /* the loop polls one descriptor per input: inotify and the helpers'
     * eventfd together */
    sp->res_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sp->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    if (sp->res_fd < 0 || sp->ep_fd < 0)
        return nw_err_set(err, NW_EIO, "spool %s: eventfd/epoll: %s", in->name, strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = sp->ino_fd;
    if (epoll_ctl(sp->ep_fd, EPOLL_CTL_ADD, sp->ino_fd, &ev) < 0)
        return nw_err_set(err, NW_EIO, "spool %s: epoll: %s", in->name, strerror(errno));
    ev.data.fd = sp->res_fd;
    if (epoll_ctl(sp->ep_fd, EPOLL_CTL_ADD, sp->res_fd, &ev) < 0)
        return nw_err_set(err, NW_EIO, "spool %s: epoll: %s", in->name, strerror(errno));
    for (size_t i = 0; i < SP_LOADERS; i++)
        if (worker_start(sp, &sp->loader, &sp->loaders[i], loader_main, "nw-spool-load", err) < 0)
            return err ? err->code : NW_EIO;
    if (worker_start(sp, &sp->mover, &sp->mover_thread, mover_main, "nw-spool-move", err) < 0)
        return err ? err->code : NW_EIO;
    sp->summary_ms = mono_ms();
    /* crash recovery: whatever is left in incoming/ was never acknowledged */
    scan(sp);
    sp->next_scan_ms = mono_ms() + sp->scan_ms;
    sp->seen_reports = env->reports;
    sp->started = true;
    nw_log_info("spool", "watching input=%s path=%s format=%s pending_files=%zu", in->name,
                sp->path, in->format,
                sp->lists[SP_CANDIDATE].len + sp->lists[SP_READY].len + sp->scanned.n -
                    sp->scanned.next);
    return 0;
}

static void spool_warm(nw_input *in, nw_input_env *env)
{
    nw_input_warm_topic(env, in->name, ((nw_spool *)in)->category);
}

static int spool_fd(const nw_input *in)
{
    return ((const nw_spool *)in)->ep_fd;
}

static int64_t spool_wait_ms(const nw_input *in, const nw_input_env *env, int64_t now)
{
    const nw_spool *sp = (const nw_spool *)in;
    if (!sp->started)
        return -1;
    const sp_list *parsed = &sp->lists[SP_PARSED];
    if (sp->need_settle || env->reports != sp->seen_reports || sp->scanned.n ||
        (parsed->len && !env->intake))
        return 0;
    for (const sp_entry *e = sp->streams; e; e = e->w->snext) {
        if (!env->intake && !e->w->abandoned)
            return 0; /* pump_stream stops it */
        if (env->intake && nw_input_room(env) > 0 && stream_has_chunks(sp, e->w->job.stream))
            return 0; /* chunks that came while there was no room */
    }
    if (env->intake && nw_input_room(env) > 0 &&
        (parsed->len ||
         (sp->lists[SP_READY].len && sp->lists[SP_LOADING].len + parsed->len < SP_LOAD_AHEAD)))
        return 0;
    int64_t wait = sp->next_scan_ms - now;
    if (wait < 0)
        wait = 0;
    if ((!sp->watching || sp->incoming_gone) && wait > 1000)
        wait = 1000; /* check_incoming looks for it every second */
    if (sp->lists[SP_CANDIDATE].len) {
        int64_t c = sp->settle_ms / 4 < 100 ? sp->settle_ms / 4 : 100;
        if (c < 10)
            c = 10;
        if (c < wait)
            wait = c;
    }
    return wait;
}

static int spool_run(nw_input *in, nw_input_env *env, int64_t now)
{
    nw_spool *sp = (nw_spool *)in;
    if (!sp->started)
        return 0;
    /* one system call says which of inotify and the eventfd have news */
    struct epoll_event evs[2];
    bool inotified = false, signalled = false;
    int nev = epoll_wait(sp->ep_fd, evs, 2, 0);
    for (int i = 0; i < nev; i++) {
        if (evs[i].data.fd == sp->ino_fd)
            inotified = true;
        else
            signalled = true;
    }
    if (inotified)
        read_events(sp);
    if (!sp->watching || now >= sp->next_scan_ms)
        check_incoming(sp);
    bool full = false;
    if (now >= sp->next_scan_ms) {
        scan(sp);
        sp->next_scan_ms = now + sp->scan_ms;
        full = true;
    }
    if (sp->scanned.n)
        add_scanned(sp, SP_SCAN_BATCH);
    if (sp->lists[SP_CANDIDATE].len)
        check_candidates(sp);
    /* files whose reports are all in go to the mover first: it works on
     * them while this thread takes in more */
    if (sp->need_settle || env->reports != sp->seen_reports) {
        sp->seen_reports = env->reports;
        sp->need_settle = false;
        settle_finished(sp, full);
    }
    worker_push_chain(&sp->mover, &sp->to_mover);
    collect_results(sp, signalled);
    atomic_store(&sp->max_message_bytes, env->max_message_bytes);
    pump_streams(sp, env);
    intake(sp, env);
    worker_push_chain(&sp->mover, &sp->to_mover);
    hand_spent(sp);
    log_progress(sp, now, false);
    return 0;
}

static size_t spool_in_flight(const nw_input *in)
{
    const nw_spool *sp = (const nw_spool *)in;
    return sp->lists[SP_LOADING].len + sp->lists[SP_PARSED].len + sp->lists[SP_INFLIGHT].len +
           sp->lists[SP_SETTLING].len;
}

static bool spool_ready(const nw_input *in)
{
    const nw_spool *sp = (const nw_spool *)in;
    return sp->started && sp->watching && !sp->incoming_gone;
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
    /* files with the loader keep the settings they were handed over with */
    sp_popts *p = popts_new(in->format, sp->timezone, sp->category);
    if (p) {
        popts_unref(sp->popts);
        sp->popts = p;
    } else {
        nw_log_error("spool", "out of memory on reload input=%s", fresh_in->name);
    }
    sp->settle_ms = fresh->settle_ms;
    sp->scan_ms = fresh->scan_ms;
}

static void spool_free(nw_input *in)
{
    nw_spool *sp = (nw_spool *)in;
    if (!sp)
        return;
    /* the helpers first: after this every entry is the loop's again */
    if (sp->workers_init) {
        worker_stop(&sp->loader, sp->loaders, SP_LOADERS);
        worker_stop(&sp->mover, &sp->mover_thread, 1);
    }
    if (sp->started)
        log_progress(sp, mono_ms(), true);
    if (sp->mover.dirty_done || sp->mover.dirty_failed || sp->mover.dirty_incoming)
        sync_dirs(sp, &sp->mover);
    for (size_t i = 0; i < SP_NSTATES; i++)
        while (sp->lists[i].head)
            entry_remove(sp, sp->lists[i].head);
    if (sp->workers_init) {
        sp_worker *ws[] = {&sp->loader, &sp->mover};
        for (size_t i = 0; i < 2; i++) {
            pthread_mutex_destroy(&ws[i]->mu);
            pthread_cond_destroy(&ws[i]->cv);
        }
        pthread_mutex_destroy(&sp->res_mu);
    }
    for (size_t i = 0; i < SP_LOADERS; i++) {
        free(sp->loaders[i].rbuf);
        spent_free_all(&sp->loaders[i].spent);
        free(sp->loaders[i].spent.v);
        spent_free_all(&sp->spent[i]);
        free(sp->spent[i].v);
    }
    popts_unref(sp->popts);
    scanned_reset(&sp->scanned);
    ignored_free(sp);
    int fds[] = {sp->ep_fd, sp->res_fd, sp->ino_fd, sp->incoming_fd, sp->done_fd, sp->failed_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
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
    .warm = spool_warm,
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
    sp->res_fd = sp->ep_fd = -1;
    pthread_mutex_init(&sp->res_mu, NULL);
    pthread_mutex_init(&sp->loader.mu, NULL);
    pthread_cond_init(&sp->loader.cv, NULL);
    pthread_mutex_init(&sp->mover.mu, NULL);
    pthread_cond_init(&sp->mover.cv, NULL);
    sp->workers_init = true;
    atomic_init(&sp->noatime, true);
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
        set_str(&sp->timezone, opts->timezone && opts->timezone[0] ? opts->timezone : NULL) < 0 ||
        !(sp->popts = popts_new(sp->base.format, sp->timezone, sp->category))) {
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

/* The spool root as start (and a reload, and --check-config) will find it:
 * a folder, or missing under a folder that exists (start creates it). */
static int check_root(const nw_cfg_node *node, const char *path, nw_err *err)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0
                                   : nw_cfg_error(node, err, NW_EINVAL, "%s is not a folder", path);
    if (errno != ENOENT)
        return nw_cfg_error(node, err, NW_EINVAL, "%s: %s", path, strerror(errno));
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    size_t len = strlen(parent);
    while (len > 1 && parent[len - 1] == '/')
        parent[--len] = '\0';
    char *slash = strrchr(parent, '/');
    if (slash)
        *(slash == parent ? slash + 1 : slash) = '\0';
    if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
        return nw_cfg_error(node, err, NW_EINVAL,
                            "%s does not exist and cannot be created: %s is not a folder", path,
                            parent);
    return 0;
}

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
        if (check_root(nw_cfg_get(item, "path"), f.path, err) < 0)
            return err ? err->code : NW_EINVAL;
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
