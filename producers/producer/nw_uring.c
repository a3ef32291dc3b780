/*
 * nw_uring — batched small-file reads through io_uring (see nw_uring.h).
 *
 * One chain per file: OPENAT into registered file slot i (a "direct"
 * descriptor: nothing enters the process's descriptor table), READ from slot
 * i, CLOSE slot i. The open is soft-linked to the read, so a failed open
 * cancels the rest of its chain (the slot stays empty); the read is
 * hard-linked to the close, so the close runs after a short read (the normal
 * case: the file is smaller than the buffer, which a soft link would count
 * as failure) and after a failed one. Every SQE yields exactly one CQE
 * (cancelled ones with -ECANCELED); the ring is set up with
 * IORING_SETUP_SUBMIT_ALL so that one bad SQE never leaves the rest of a
 * batch unsubmitted in the ring. Needs Linux 5.19 (sparse file tables);
 * older kernels refuse the setup and the caller falls back.
 *
 * Opens of names whose dentries are cached, and reads of cached pages, run
 * inline in the submitting thread; the rest is punted to io_uring's kernel
 * workers, which is slower but still correct. io_uring does not honour
 * O_NONBLOCK for files that can be polled: a read of a FIFO with a silent
 * writer would wait for ever, so a batch still waiting after
 * NW_URING_STALL_MS has what is left cancelled (-ECANCELED for the caller,
 * who then does those files the plain way).
 */
#define _GNU_SOURCE /* O_NOATIME in callers' flags */
#include "nw_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef NW_HAVE_URING

#include <liburing.h>

/* user_data of an SQE: file index * 3 + step, or CANCEL_TAG */
enum { STEP_OPEN, STEP_READ, STEP_CLOSE, STEPS };
#define CANCEL_TAG UINT64_MAX

/* A batch with completions missing this long has its waiting operations
 * cancelled (see nw_uring_read_files). */
#define NW_URING_STALL_MS 1000

struct nw_uring {
    struct io_uring ring;
    unsigned max;
    bool broken;     /* a batch could not be reaped: never used again */
    int *open_res;   /* per file: the open's result in the current batch */
    ssize_t *rd_res; /* per file: the read's result */
};

nw_uring *nw_uring_new(unsigned max_files, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (max_files == 0 || max_files > 1024) {
        *why = "bad batch size";
        return NULL;
    }
    nw_uring *u = calloc(1, sizeof *u);
    if (!u || !(u->open_res = calloc(max_files, sizeof *u->open_res)) ||
        !(u->rd_res = calloc(max_files, sizeof *u->rd_res))) {
        *why = "out of memory";
        if (u) {
            free(u->open_res);
            free(u);
        }
        return NULL;
    }
    u->max = max_files;
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SUBMIT_ALL;
    int rc = io_uring_queue_init_params(STEPS * max_files + 1, &u->ring, &p);
    if (rc < 0) {
        *why = rc == -ENOSYS   ? "io_uring_setup: not in this kernel"
               : rc == -EPERM  ? "io_uring_setup: not permitted (io_uring_disabled or seccomp)"
               : rc == -EINVAL ? "io_uring_setup: kernel too old (no IORING_SETUP_SUBMIT_ALL)"
               : rc == -ENOMEM ? "io_uring_setup: out of memory (locked memory limit?)"
                               : "io_uring_setup failed";
        free(u->rd_res);
        free(u->open_res);
        free(u);
        return NULL;
    }
    if ((rc = io_uring_register_files_sparse(&u->ring, max_files)) < 0) {
        *why = "io_uring: cannot register a sparse file table (kernel older than 5.19?)";
        nw_uring_free(u);
        return NULL;
    }
    *why = NULL;
    return u;
}

void nw_uring_free(nw_uring *u)
{
    if (!u)
        return;
    io_uring_queue_exit(&u->ring);
    free(u->rd_res);
    free(u->open_res);
    free(u);
}

int nw_uring_read_files(nw_uring *u, int dir_fd, size_t n, const char *const *names, int flags,
                        char *const *bufs, size_t cap, ssize_t *got)
{
    if (u->broken)
        return -EIO;
    if (n > u->max || cap > UINT_MAX)
        return -EINVAL;
    if (n == 0)
        return 0;
    flags &= ~O_CLOEXEC; /* refused for direct descriptors (never inherited anyway) */
    for (size_t i = 0; i < n; i++) {
        /* never NULL: the ring has STEPS * max entries and is empty here */
        struct io_uring_sqe *s = io_uring_get_sqe(&u->ring);
        io_uring_prep_openat_direct(s, dir_fd, names[i], flags, 0, (unsigned)i);
        s->flags |= IOSQE_IO_LINK;
        io_uring_sqe_set_data64(s, i * STEPS + STEP_OPEN);
        s = io_uring_get_sqe(&u->ring);
        io_uring_prep_read(s, (int)i, bufs[i], (unsigned)cap, 0);
        s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
        io_uring_sqe_set_data64(s, i * STEPS + STEP_READ);
        s = io_uring_get_sqe(&u->ring);
        io_uring_prep_close_direct(s, (unsigned)i);
        io_uring_sqe_set_data64(s, i * STEPS + STEP_CLOSE);
        u->open_res[i] = 0;
        u->rd_res[i] = -ECANCELED;
    }
    unsigned want = (unsigned)(n * STEPS), seen = 0;
    /* One system call: opens of cached names and reads of cached pages run
     * during it (the linked steps as task work on the way out), so their
     * completions are usually all there when it returns. */
    int rc;
    for (int tries = 0; io_uring_sq_ready(&u->ring) > 0; tries++) {
        rc = io_uring_submit(&u->ring);
        if (rc > 0 || ((rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) && tries < 1000))
            continue;
        /* SQEs are left in the ring (and some of the batch may be running):
         * the ring is never used again */
        u->broken = true;
        return rc < 0 ? rc : -EIO;
    }
    while (seen < want) {
        struct io_uring_cqe *c;
        struct __kernel_timespec ts = {.tv_sec = NW_URING_STALL_MS / 1000,
                                       .tv_nsec = (NW_URING_STALL_MS % 1000) * 1000000L};
        rc = io_uring_wait_cqe_timeout(&u->ring, &c, &ts);
        if (rc == -ETIME) {
            /* Something waits on more than a file's page cache: a read of
             * a FIFO (a file replaced after the scan saw it regular) would
             * wait for its writer forever, since io_uring polls rather than
             * honour O_NONBLOCK. Cancel whatever has not started: those
             * files end in -ECANCELED and the caller reads them the plain
             * way, which for a FIFO fails at once as it always did. */
            struct io_uring_sqe *cs = io_uring_get_sqe(&u->ring);
            if (cs) {
                io_uring_prep_cancel64(cs, 0, IORING_ASYNC_CANCEL_ANY);
                io_uring_sqe_set_data64(cs, CANCEL_TAG);
                io_uring_submit(&u->ring);
            }
            continue;
        }
        if (rc == -EINTR || rc == -EAGAIN)
            continue;
        if (rc < 0) {
            /* operations may still be in flight into the caller's buffers:
             * the caller must not reuse the ring (nor free it while they
             * could still land: in practice this does not happen) */
            u->broken = true;
            return rc;
        }
        uint64_t d = io_uring_cqe_get_data64(c);
        if (d < (uint64_t)want) {
            size_t i = (size_t)(d / STEPS);
            if (d % STEPS == STEP_OPEN)
                u->open_res[i] = c->res;
            else if (d % STEPS == STEP_READ)
                u->rd_res[i] = c->res;
            seen++;
        }
        io_uring_cqe_seen(&u->ring, c);
    }
    for (size_t i = 0; i < n; i++)
        got[i] = u->open_res[i] < 0 ? u->open_res[i] : u->rd_res[i];
    return 0;
}

#else /* no liburing at build time */

nw_uring *nw_uring_new(unsigned max_files, const char **why)
{
    (void)max_files;
    if (why)
        *why = "built without liburing";
    return NULL;
}

void nw_uring_free(nw_uring *u)
{
    (void)u;
}

int nw_uring_read_files(nw_uring *u, int dir_fd, size_t n, const char *const *names, int flags,
                        char *const *bufs, size_t cap, ssize_t *got)
{
    (void)u, (void)dir_fd, (void)n, (void)names, (void)flags, (void)bufs, (void)cap, (void)got;
    return -ENOSYS;
}

#endif
