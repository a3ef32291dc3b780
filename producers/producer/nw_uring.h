/*
 * nw_uring — reads a batch of small files with one system call, through
 * io_uring: per file a linked chain open (into a registered file slot, so no
 * descriptor is ever installed) -> read -> close, and one submission for
 * the whole batch. On this kind of machine that costs ~2-3 us of CPU per
 * file where open, read and close as three system calls cost ~6-8 us.
 *
 * A ring is owned by one thread (no locking). When io_uring is unavailable
 * (built without liburing: NW_HAVE_URING undefined; the kernel lacks it,
 * kernel.io_uring_disabled, or a seccomp filter refuses it) nw_uring_new
 * fails and the caller uses plain system calls instead: this module is only
 * ever a faster path, never the only one.
 */
#ifndef NW_URING_H
#define NW_URING_H

#include <stddef.h>
#include <sys/types.h>

typedef struct nw_uring nw_uring;

/* A ring for batches of up to `max_files` files. NULL when io_uring cannot
 * be used; *why (may be NULL) then gets a static string saying why. */
nw_uring *nw_uring_new(unsigned max_files, const char **why);

/* Frees the ring (NULL is fine). */
void nw_uring_free(nw_uring *u);

/* For each of the n (<= max_files) files: open names[i] relative to dir_fd
 * with `flags` (O_CLOEXEC is implied: no descriptor is installed), read at
 * most `cap` bytes from offset 0 into bufs[i] (caller's memory, left alone
 * after the call returns), close. got[i] is the number of bytes read, or
 * -errno of the open or the read that failed (-ECANCELED: the batch waited
 * over a second, e.g. on a FIFO, and what had not finished was cancelled;
 * O_NONBLOCK does not stop io_uring from waiting on a FIFO's writer).
 * Returns 0 when every file has
 * its result, or -errno when the batch could not be run at all (got[] is
 * then meaningless). Every operation has completed when this returns. */
int nw_uring_read_files(nw_uring *u, int dir_fd, size_t n, const char *const *names, int flags,
                        char *const *bufs, size_t cap, ssize_t *got);

#endif
