/*
 * nw_buf — growable buffer with sticky allocation failure. See nw_buf.h.
 */
#include "nw_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(nw_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *n = realloc(b->data, cap);
    if (!n) {
        b->oom = true;
        return false;
    }
    b->data = n;
    b->cap = cap;
    return true;
}

void nw_buf_reserve(nw_buf *b, size_t extra)
{
    if (b->oom)
        return;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->oom = true;
        return;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    char *n = realloc(b->data, need);
    if (!n) {
        b->oom = true;
        return;
    }
    if (!b->data)
        n[0] = '\0';
    b->data = n;
    b->cap = need;
}

void nw_buf_append_grow(nw_buf *b, const void *data, size_t len)
{
    if (!reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void nw_buf_vprintf(nw_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0 || !reserve(b, (size_t)n)) {
        if (n < 0)
            b->oom = true;
        va_end(again);
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    va_end(again);
    b->len += (size_t)n;
}

void nw_buf_printf(nw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nw_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void nw_buf_html_escape(nw_buf *b, const char *s, size_t len)
{
    static const unsigned char special[256] = {
        ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1};
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < len; i++) {
        if (!special[(unsigned char)s[i]])
            continue;
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        nw_buf_append(b, s + run, i - run);
        nw_buf_puts(b, rep);
        run = i + 1;
    }
    nw_buf_append(b, s + run, len - run);
}

void nw_buf_truncate(nw_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

bool nw_buf_failed(const nw_buf *b)
{
    return b->oom;
}

const char *nw_buf_str(const nw_buf *b)
{
    return b->data ? b->data : "";
}

char *nw_buf_take(nw_buf *b)
{
    char *s = NULL;
    if (!b->oom)
        s = b->data ? b->data : calloc(1, 1);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
    return s;
}

void nw_buf_free(nw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
