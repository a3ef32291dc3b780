/*
 * nw_err — the error value every fallible function in newswire fills.
 *
 * Convention: a function returns int (0 = ok, negative = failure) and, on
 * failure, writes a message a user can act on into the caller's nw_err
 * (file, line, key, what was expected). The caller owns the struct; it is
 * plain data, never allocated, and may be NULL when the caller does not care.
 * A library function never calls exit() and never prints the error itself.
 */
#ifndef NW_ERR_H
#define NW_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define NW_ERR_MSG_MAX 512

/* Status codes. Callers mostly test `< 0`; the codes let them tell kinds apart. */
enum {
    NW_OK = 0,
    NW_EINVAL = -1, /* bad input: the data or config is wrong, retrying won't help */
    NW_EIO = -2,    /* I/O failed (open, read, write, fsync) */
    NW_ENOMEM = -3, /* allocation failed */
    NW_ELIMIT = -4, /* a configured size or count limit was exceeded */
    NW_EKAFKA = -5, /* Kafka reported an error */
    NW_ERETRY = -6, /* transient failure: retry later */
    NW_ENOTFOUND = -7,
};

typedef struct nw_err {
    int code;                 /* one of the codes above, 0 when unset */
    char msg[NW_ERR_MSG_MAX]; /* NUL-terminated, empty when unset */
} nw_err;

/* Clear an error (code 0, empty message). NULL is accepted. */
void nw_err_clear(nw_err *err);

/* Set code and a printf-style message; returns `code` so callers can write
 * `return nw_err_set(err, NW_EINVAL, "...")`. NULL err is accepted. */
int nw_err_set(nw_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int nw_err_vset(nw_err *err, int code, const char *fmt, va_list ap);

/* Prefix an existing message with context ("file.xml: " + old message). */
int nw_err_prefix(nw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human name of a code ("invalid input", "I/O error", ...). */
const char *nw_err_code_name(int code);

#endif
