/*
 * nw_buf — the one growable byte/string buffer used across newswire instead of
 * ad-hoc char arrays. Always NUL-terminated after the first append, so `data`
 * can be used as a C string; may also hold binary bytes (use `len`).
 *
 * Allocation failure is sticky: after one, every append is a no-op and
 * nw_buf_failed() says so, so callers can append freely and check once.
 * Ownership: the buffer owns `data`; nw_buf_free() releases it, and
 * nw_buf_take() hands it to the caller (who frees it with free()).
 */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct nw_buf {
    char *data; /* NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    bool oom;   /* an allocation failed; contents are incomplete */
} nw_buf;

#define NW_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

/* The out-of-line append (growth, failure); nw_buf_append is its inline fast
 * path for when the bytes fit. Use nw_buf_append. */
void nw_buf_append_grow(nw_buf *b, const void *data, size_t len);

static inline void nw_buf_append(nw_buf *b, const void *data, size_t len)
{
    /* fits with its NUL: b->cap > b->len whenever data is allocated */
    if (!b->oom && b->cap && len < b->cap - b->len) {
        if (len)
            memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return;
    }
    nw_buf_append_grow(b, data, len);
}

static inline void nw_buf_puts(nw_buf *b, const char *s)
{
    nw_buf_append(b, s, strlen(s));
}

static inline void nw_buf_putc(nw_buf *b, char c)
{
    nw_buf_append(b, &c, 1);
}
void nw_buf_printf(nw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nw_buf_vprintf(nw_buf *b, const char *fmt, va_list ap);
/* Append s with &, <, >, " and ' escaped for HTML/XML text and attributes. */
void nw_buf_html_escape(nw_buf *b, const char *s, size_t len);
/* Make room for `extra` more bytes up front (a hint: appends grow the buffer
 * anyway). An allocation failure is sticky like any other. */
void nw_buf_reserve(nw_buf *b, size_t extra);
/* Keep the first len bytes (len <= b->len). */
void nw_buf_truncate(nw_buf *b, size_t len);
/* True when an allocation failed at some point. */
bool nw_buf_failed(const nw_buf *b);
/* The string, or "" when nothing was appended. Borrowed. */
const char *nw_buf_str(const nw_buf *b);
/* Hand the malloc'd string to the caller ("" allocated when empty; NULL if an
 * allocation failed) and reset the buffer. */
char *nw_buf_take(nw_buf *b);
void nw_buf_free(nw_buf *b);

#endif
