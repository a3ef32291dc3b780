/*
 * nw_json — a fast JSON loader that builds ordinary jansson trees (see
 * nw_json.h for the contract).
 *
 * One recursive-descent pass over the buffer builds the tree with jansson's
 * own constructors (json_object_setn_new_nocheck, json_array_append_new,
 * json_stringn_nocheck, json_integer, json_real), in document order, so key
 * order and duplicate-key replacement are exactly what json_loadb does.
 * Strings are scanned eight bytes at a time for the bytes that need a look
 * ('"', '\\', controls, >= 0x80); keys without escapes are handed to jansson
 * straight from the input buffer. The grammar accepted here is a strict
 * subset of what jansson accepts: anything else (errors included) frees the
 * partial tree and reparses the whole buffer with json_loadb, so this module
 * never reports an error of its own. Invariant: never accept what jansson
 * rejects, never build a different tree from what it would build.
 */
#include "nw_json.h"
#include "nw_text.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper documents go to jansson (its own limit is JSON_PARSER_MAX_DEPTH,
 * 2048); keeps this parser's recursion short. */
#define NW_JSON_MAX_DEPTH 512
/* Reals longer than this go to jansson. */
#define NW_JSON_MAX_REAL 64

#define HANDLED_FLAGS ((size_t)(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL))

static atomic_ullong stat_fast;
static atomic_ullong stat_fallback;

typedef struct parser {
    const unsigned char *p;   /* next byte to read */
    const unsigned char *end; /* one past the last byte */
    size_t flags;
    unsigned depth;
    /* Decoded strings with escapes. Holds the whole input's length once
     * used: a decoded string is never longer than its source, and keys kept
     * while their value is parsed come from earlier, disjoint source. */
    char *scratch;
    size_t top; /* bytes of scratch held by pending escaped keys */
    size_t len; /* input length */
    char small[256];
} parser;

/* A string token: bytes at ptr (the input, or scratch when it had escapes). */
typedef struct str_tok {
    const char *ptr;
    size_t len;
    bool escaped;
    bool nul; /* contains U+0000 (only possible through \u0000) */
} str_tok;

/* ---------------------------------------------------------- scanning --- */

static inline bool is_digit(unsigned c)
{
    return c - '0' < 10u;
}

static inline void skip_ws(parser *ps)
{
    const unsigned char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

static inline int hex_value(unsigned c)
{
    if (c - '0' < 10u)
        return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6u)
        return (int)(c - 'a' + 10);
    return -1;
}

/* The four hex digits after "\u" at s (s points at the 'u'), or -1. */
static inline int32_t read_u_escape(const unsigned char *s, const unsigned char *end)
{
    if (end - s < 5)
        return -1;
    int32_t v = 0;
    for (int i = 1; i <= 4; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static inline char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes the rest of a string whose first escape is at s (content started
 * at a) into scratch at ps->top. */
static bool decode_escaped(parser *ps, const unsigned char *a, const unsigned char *s, str_tok *t)
{
    const unsigned char *end = ps->end;
    if (!ps->scratch) {
        ps->scratch = ps->len < sizeof ps->small ? ps->small : malloc(ps->len + 1);
        if (!ps->scratch)
            return false;
    }
    char *start = ps->scratch + ps->top, *o = start;
    memcpy(o, a, (size_t)(s - a));
    o += s - a;
    for (;;) {
        const unsigned char *r = nw_json_plain_run(s, end);
        memcpy(o, s, (size_t)(r - s));
        o += r - s;
        s = r;
        if (s >= end)
            return false;
        unsigned c = *s;
        if (c == '"')
            break;
        if (c >= 0x80) {
            size_t n = nw_utf8_seq_len(s, end);
            if (!n)
                return false;
            memcpy(o, s, n);
            o += n;
            s += n;
            continue;
        }
        if (c != '\\' || end - s < 2)
            return false; /* a control character, or the input ends */
        s++;
        switch (*s) {
        case '"':
        case '\\':
        case '/': *o++ = (char)*s; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int32_t cp = read_u_escape(s, end);
            if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 7 || s[5] != '\\' || s[6] != 'u')
                    return false;
                int32_t lo = read_u_escape(s + 6, end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
                s += 6;
            }
            if (cp == 0)
                t->nul = true;
            o = put_utf8(o, (uint32_t)cp);
            s += 4;
            break;
        }
        default: return false;
        }
        s++;
    }
    t->ptr = start;
    t->len = (size_t)(o - start);
    t->escaped = true;
    ps->p = s + 1;
    return true;
}

/* The string whose opening quote is at ps->p. */
static inline bool scan_string(parser *ps, str_tok *t)
{
    const unsigned char *a = ps->p + 1, *s = a, *end = ps->end;
    t->nul = false;
    for (;;) {
        s = nw_json_plain_run(s, end);
        if (s >= end)
            return false;
        unsigned c = *s;
        if (c == '"')
            break;
        if (c == '\\')
            return decode_escaped(ps, a, s, t);
        if (c < 0x80)
            return false; /* a control character */
        size_t n = nw_utf8_seq_len(s, end);
        if (!n)
            return false;
        s += n;
    }
    t->ptr = (const char *)a;
    t->len = (size_t)(s - a);
    t->escaped = false;
    ps->p = s + 1;
    return true;
}

/* ---------------------------------------------------------- numbers --- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* A real whose text is start..int_end (sign and integer part) and what
 * follows ('.', 'e' or 'E' at int_end). jansson: strtod on the token with
 * '.' as the locale's decimal point; overflow is an error. */
static json_t *parse_real(parser *ps, const unsigned char *start, const unsigned char *q)
{
    const unsigned char *end = ps->end;
    if (*q == '.') {
        q++;
        if (q >= end || !is_digit(*q))
            return NULL;
        while (q < end && is_digit(*q))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end || !is_digit(*q))
            return NULL;
        while (q < end && is_digit(*q))
            q++;
    }
    size_t n = (size_t)(q - start);
    if (n >= NW_JSON_MAX_REAL)
        return NULL;
    char tmp[NW_JSON_MAX_REAL];
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale == (locale_t)0)
        return NULL;
    locale_t old = uselocale(c_locale);
    char *stop;
    double v = strtod(tmp, &stop);
    uselocale(old);
    if (stop != tmp + n || isinf(v))
        return NULL;
    ps->p = q;
    return json_real(v);
}

static json_t *parse_number(parser *ps)
{
    const unsigned char *start = ps->p, *p = start, *end = ps->end;
    bool neg = *p == '-';
    if (neg)
        p++;
    const unsigned char *digits = p;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL;
    } else if (is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return NULL;
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return parse_real(ps, start, p);
    if (p - digits > 19)
        return NULL; /* does not fit: jansson's "too big integer" */
    uint64_t u = 0;
    for (const unsigned char *d = digits; d < p; d++)
        u = u * 10 + (uint64_t)(*d - '0');
    json_int_t v;
    if (neg) {
        if (u > (uint64_t)LLONG_MAX + 1)
            return NULL;
        v = u == (uint64_t)LLONG_MAX + 1 ? LLONG_MIN : -(json_int_t)u;
    } else {
        if (u > (uint64_t)LLONG_MAX)
            return NULL;
        v = (json_int_t)u;
    }
    ps->p = p;
    return json_integer(v);
}

/* ----------------------------------------------------------- values --- */

static json_t *parse_value(parser *ps);

static json_t *parse_object(parser *ps)
{
    if (++ps->depth > NW_JSON_MAX_DEPTH)
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        ps->depth--;
        return obj;
    }
    for (;;) {
        str_tok key;
        if (ps->p >= ps->end || *ps->p != '"' || !scan_string(ps, &key) || key.nul)
            goto bail;
        size_t saved_top = ps->top;
        if (key.escaped)
            ps->top += key.len; /* keep the key while its value is parsed */
        if ((ps->flags & JSON_REJECT_DUPLICATES) && json_object_getn(obj, key.ptr, key.len))
            goto bail;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            goto bail;
        ps->p++;
        skip_ws(ps);
        json_t *v = parse_value(ps);
        if (!v || json_object_setn_new_nocheck(obj, key.ptr, key.len, v))
            goto bail;
        ps->top = saved_top;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            ps->depth--;
            return obj;
        }
        goto bail;
    }
bail:
    json_decref(obj);
    return NULL;
}

static json_t *parse_array(parser *ps)
{
    if (++ps->depth > NW_JSON_MAX_DEPTH)
        return NULL;
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        ps->depth--;
        return arr;
    }
    for (;;) {
        json_t *v = parse_value(ps);
        if (!v || json_array_append_new(arr, v))
            goto bail;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            ps->depth--;
            return arr;
        }
        goto bail;
    }
bail:
    json_decref(arr);
    return NULL;
}

static inline bool literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return false;
    ps->p += n;
    return true;
}

/* The value at ps->p (no leading whitespace); NULL to hand over to jansson.
 * A value ends where its grammar ends; what follows is the caller's. */
static json_t *parse_value(parser *ps)
{
    if (ps->p >= ps->end)
        return NULL;
    switch (*ps->p) {
    case '{': return parse_object(ps);
    case '[': return parse_array(ps);
    case '"': {
        str_tok t;
        if (!scan_string(ps, &t) || (t.nul && !(ps->flags & JSON_ALLOW_NUL)))
            return NULL;
        return json_stringn_nocheck(t.ptr, t.len);
    }
    case 't': return literal(ps, "true", 4) ? json_true() : NULL;
    case 'f': return literal(ps, "false", 5) ? json_false() : NULL;
    case 'n': return literal(ps, "null", 4) ? json_null() : NULL;
    default:
        if (*ps->p == '-' || is_digit(*ps->p))
            return parse_number(ps);
        return NULL;
    }
}

/* ------------------------------------------------------------- entry --- */

static json_t *parse_fast(const char *buf, size_t len, size_t flags)
{
    if (!buf || (flags & ~HANDLED_FLAGS))
        return NULL;
    parser ps;
    ps.p = (const unsigned char *)buf;
    ps.end = ps.p + len;
    ps.flags = flags;
    ps.depth = 0;
    ps.scratch = NULL;
    ps.top = 0;
    ps.len = len;
    skip_ws(&ps);
    if (ps.p >= ps.end)
        return NULL;
    json_t *root = NULL;
    if ((flags & JSON_DECODE_ANY) || *ps.p == '{' || *ps.p == '[')
        root = parse_value(&ps);
    if (root) {
        skip_ws(&ps);
        if (ps.p != ps.end) { /* trailing bytes: jansson's "end of file expected" */
            json_decref(root);
            root = NULL;
        }
    }
    if (ps.scratch != ps.small)
        free(ps.scratch);
    return root;
}

json_t *nw_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
    json_t *root = parse_fast(buf, len, flags);
    if (!root) {
        atomic_fetch_add_explicit(&stat_fallback, 1, memory_order_relaxed);
        return json_loadb(buf, len, flags, error);
    }
    atomic_fetch_add_explicit(&stat_fast, 1, memory_order_relaxed);
    if (error) {
        /* what json_loadb leaves on success */
        error->text[0] = '\0';
        error->line = -1;
        error->column = -1;
        error->position = (int)len;
        memcpy(error->source, "<buffer>", sizeof "<buffer>");
    }
    return root;
}

void nw_json_stats_get(nw_json_stats *out)
{
    out->fast = atomic_load_explicit(&stat_fast, memory_order_relaxed);
    out->fallback = atomic_load_explicit(&stat_fallback, memory_order_relaxed);
}

void nw_json_stats_reset(void)
{
    atomic_store_explicit(&stat_fast, 0, memory_order_relaxed);
    atomic_store_explicit(&stat_fallback, 0, memory_order_relaxed);
}
