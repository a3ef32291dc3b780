/*
 * nw_log — one structured line per event on stderr, logfmt or JSON.
 *
 * Every line is built in memory and handed to the kernel with one write(2),
 * so lines from concurrent threads never interleave (no lock is held while
 * formatting). The only state is the level and format, atomics read from the
 * environment once. Every byte of caller text goes through one escaper, so a
 * message can never forge a field or a line; logging never changes errno.
 */
#include "nw_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX    8192 /* bytes of msg kept; the rest becomes "..." */
#define VALUE_MAX  1024 /* bytes of one field value kept */
#define KEY_MAX    64
#define FIELDS_MAX 32

/* ------------------------------------------------------------------------ */
/* Level and format                                                         */
/* ------------------------------------------------------------------------ */

static atomic_int g_level = -1; /* -1 until the environment or a set decides */
static atomic_int g_format = -1;
static atomic_int g_bad_env = 0; /* bit 1: level, bit 2: format; warned once */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int nw_log_level_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(name, level_names[i]))
            return i;
    if (!strcasecmp(name, "warning"))
        return NW_LOG_WARN;
    return -1;
}

const char *nw_log_level_name(nw_log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "info";
}

int nw_log_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (!strcasecmp(name, "logfmt"))
        return NW_LOG_LOGFMT;
    if (!strcasecmp(name, "json"))
        return NW_LOG_JSON;
    return -1;
}

/* Take defaults from the environment unless a setter already decided. */
static void init_from_env(void)
{
    const char *lv = getenv("NEWSWIRE_LOG_LEVEL");
    int level = lv && *lv ? nw_log_level_parse(lv) : NW_LOG_INFO;
    if (level < 0) {
        level = NW_LOG_INFO;
        atomic_fetch_or(&g_bad_env, 1);
    }
    int expect = -1;
    atomic_compare_exchange_strong(&g_level, &expect, level);

    const char *fv = getenv("NEWSWIRE_LOG_FORMAT");
    int format = fv && *fv ? nw_log_format_parse(fv) : NW_LOG_LOGFMT;
    if (format < 0) {
        format = NW_LOG_LOGFMT;
        atomic_fetch_or(&g_bad_env, 2);
    }
    expect = -1;
    atomic_compare_exchange_strong(&g_format, &expect, format);
}

static void warn_bad_env(void);

static void ensure_init(void)
{
    pthread_once(&g_once, init_from_env);
    if (atomic_load_explicit(&g_bad_env, memory_order_relaxed))
        warn_bad_env();
}

void nw_log_set_level(nw_log_level level)
{
    atomic_store(&g_level, (int)level);
    ensure_init();
}

nw_log_level nw_log_get_level(void)
{
    ensure_init();
    return (nw_log_level)atomic_load(&g_level);
}

bool nw_log_enabled(nw_log_level level)
{
    return (int)level <= (int)nw_log_get_level();
}

void nw_log_set_format(nw_log_format format)
{
    atomic_store(&g_format, (int)format);
    ensure_init();
}

nw_log_format nw_log_get_format(void)
{
    ensure_init();
    return (nw_log_format)atomic_load(&g_format);
}

/* ------------------------------------------------------------------------ */
/* Line buffer and escaping                                                 */
/* ------------------------------------------------------------------------ */

typedef struct line {
    char *p;
    size_t len, cap;
    bool failed; /* out of memory: the line is dropped */
    char local[2048];
} line;

static void line_init(line *l)
{
    l->p = l->local;
    l->len = 0;
    l->cap = sizeof l->local;
    l->failed = false;
}

static void line_deinit(line *l)
{
    if (l->p != l->local)
        free(l->p);
}

static bool line_reserve(line *l, size_t n)
{
    if (l->failed)
        return false;
    if (l->len + n <= l->cap)
        return true;
    size_t cap = l->cap * 2;
    while (cap < l->len + n)
        cap *= 2;
    char *p = l->p == l->local ? malloc(cap) : realloc(l->p, cap);
    if (!p) {
        l->failed = true;
        return false;
    }
    if (l->p == l->local)
        memcpy(p, l->local, l->len);
    l->p = p;
    l->cap = cap;
    return true;
}

static void put(line *l, const char *s, size_t n)
{
    if (!line_reserve(l, n))
        return;
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Append s[0..n) escaped for the inside of a JSON or logfmt string. */
static void put_escaped(line *l, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        const char *esc = NULL;
        char hex[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(hex, sizeof hex, "\\u%04x", c);
                esc = hex;
            }
        }
        if (esc) {
            puts_(l, esc);
            i++;
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (k == 0) {
            puts_(l, "\\ufffd");
            i++;
            continue;
        }
        put(l, s + i, k);
        i += k;
    }
}

/* logfmt values go bare when they are plain printable ASCII without '=' or '"'. */
static bool needs_quotes(const char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '=' || c == '"' || c == '\\')
            return true;
    }
    return false;
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* A field key, restricted to [A-Za-z0-9_.-] (others become '_'). */
static void put_key(line *l, const char *k, size_t n, nw_log_format fmt)
{
    if (n > KEY_MAX)
        n = KEY_MAX;
    if (n == 0) {
        k = "_";
        n = 1;
    }
    if (fmt == NW_LOG_JSON)
        put(l, ",\"", 2);
    else
        put(l, " ", 1);
    for (size_t i = 0; i < n; i++)
        put(l, key_char(k[i]) ? &k[i] : "_", 1);
    puts_(l, fmt == NW_LOG_JSON ? "\":" : "=");
}

static void put_value(line *l, const char *v, size_t n, size_t max, bool force_quotes,
                      nw_log_format fmt)
{
    bool cut = n > max;
    if (cut)
        n = max;
    bool quote = fmt == NW_LOG_JSON || force_quotes || cut || needs_quotes(v, n);
    if (quote)
        put(l, "\"", 1);
    put_escaped(l, v, n);
    if (cut)
        puts_(l, "...");
    if (quote)
        put(l, "\"", 1);
}

static bool reserved_key(const char *k, size_t n)
{
    static const char *const reserved[] = {"ts", "level", "mod", "msg"};
    for (size_t i = 0; i < 4; i++)
        if (strlen(reserved[i]) == n && !memcmp(reserved[i], k, n))
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* Trailing key=value pairs in a message                                    */
/* ------------------------------------------------------------------------ */

typedef struct field {
    const char *key;
    size_t key_len;
    const char *val; /* raw text; quoted values keep their escapes */
    size_t val_len;
    bool quoted;
} field;

/* True when the spaces at p are followed by "key=" with a key that is not
 * reserved: where a bare value ends. */
static bool starts_pair(const char *p)
{
    while (*p == ' ')
        p++;
    const char *k = p;
    while (key_char(*p))
        p++;
    return p > k && *p == '=' && !reserved_key(k, (size_t)(p - k));
}

/* Parse s as a run of key=value items to its end. Returns the count, or -1. */
static int parse_pairs(const char *s, field *out)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        const char *k = p;
        while (key_char(*p))
            p++;
        size_t klen = (size_t)(p - k);
        if (klen == 0 || *p != '=' || reserved_key(k, klen) || n == FIELDS_MAX)
            return -1;
        p++;
        field f = {k, klen, p, 0, false};
        if (*p == '"') {
            f.quoted = true;
            f.val = ++p;
            while (*p && *p != '"')
                p += (*p == '\\' && p[1]) ? 2 : 1;
            if (*p != '"')
                return -1;
            f.val_len = (size_t)(p - f.val);
            p++;
        } else {
            /* a bare value runs to the next " key=" or the end, spaces,
             * quotes and control characters included (a file name with a
             * space stays one field, written quoted and escaped) */
            while (*p && !(*p == ' ' && starts_pair(p)))
                p++;
            f.val_len = (size_t)(p - f.val);
            while (f.val_len && f.val[f.val_len - 1] == ' ')
                f.val_len--;
        }
        if (*p && *p != ' ')
            return -1;
        while (*p == ' ')
            p++;
        out[n++] = f;
    }
    return n;
}

/* Split msg into its text and a tail of pairs; returns the text length. */
static size_t split_pairs(const char *msg, field *fields, int *nfields)
{
    *nfields = 0;
    int tries = 0;
    for (const char *p = msg; *p && tries < 64; p++) {
        if (p != msg && p[-1] != ' ')
            continue;
        const char *k = p;
        while (key_char(*k))
            k++;
        if (k == p || *k != '=')
            continue;
        tries++;
        int n = parse_pairs(p, fields);
        if (n > 0) {
            *nfields = n;
            size_t len = (size_t)(p - msg);
            while (len > 0 && msg[len - 1] == ' ')
                len--;
            return len;
        }
    }
    return strlen(msg);
}

/* A quoted tail value written back without its logfmt escapes for \" and \\. */
static void put_pair_value(line *l, const field *f, nw_log_format fmt)
{
    if (!f->quoted) {
        put_value(l, f->val, f->val_len, VALUE_MAX, false, fmt);
        return;
    }
    char buf[VALUE_MAX];
    size_t n = 0;
    for (size_t i = 0; i < f->val_len && n < sizeof buf; i++) {
        char c = f->val[i];
        if (c == '\\' && i + 1 < f->val_len && (f->val[i + 1] == '"' || f->val[i + 1] == '\\'))
            c = f->val[++i];
        buf[n++] = c;
    }
    put_value(l, buf, n, VALUE_MAX, true, fmt);
}

/* ------------------------------------------------------------------------ */
/* Writing a line                                                           */
/* ------------------------------------------------------------------------ */

static void put_header(line *l, nw_log_format fmt, nw_log_level level, const char *mod)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    if (!mod || !*mod)
        mod = "-";
    if (fmt == NW_LOG_JSON) {
        puts_(l, "{\"ts\":\"");
        puts_(l, when);
        puts_(l, "\",\"level\":\"");
        puts_(l, nw_log_level_name(level));
        puts_(l, "\",\"mod\":");
        put_value(l, mod, strlen(mod), KEY_MAX, true, fmt);
        puts_(l, ",\"msg\":");
    } else {
        puts_(l, "ts=");
        puts_(l, when);
        puts_(l, " level=");
        puts_(l, nw_log_level_name(level));
        puts_(l, " mod=");
        put_value(l, mod, strlen(mod), KEY_MAX, false, fmt);
        puts_(l, " msg=");
    }
}

static void write_line(line *l, nw_log_format fmt)
{
    if (fmt == NW_LOG_JSON)
        put(l, "}", 1);
    put(l, "\n", 1);
    if (l->failed)
        return;
    size_t off = 0;
    while (off < l->len) {
        ssize_t w = write(STDERR_FILENO, l->p + off, l->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void vlog_kv(nw_log_level level, const char *mod, const char *msg, va_list ap)
{
    nw_log_format fmt = nw_log_get_format();
    line l;
    line_init(&l);
    put_header(&l, fmt, level, mod);
    put_value(&l, msg ? msg : "", msg ? strlen(msg) : 0, MSG_MAX, true, fmt);
    const char *key;
    int count = 0;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        if (count++ == FIELDS_MAX)
            continue;
        size_t klen = strlen(key);
        if (reserved_key(key, klen)) {
            /* keep the header fields unique: msg -> _msg */
            char renamed[KEY_MAX + 2] = "_";
            snprintf(renamed + 1, sizeof renamed - 1, "%s", key);
            put_key(&l, renamed, strlen(renamed), fmt);
        } else {
            put_key(&l, key, klen, fmt);
        }
        if (!val)
            val = "";
        put_value(&l, val, strlen(val), VALUE_MAX, false, fmt);
    }
    write_line(&l, fmt);
    line_deinit(&l);
}

void nw_log_kv(nw_log_level level, const char *mod, const char *msg, ...)
{
    if (!nw_log_enabled(level))
        return;
    int saved = errno;
    va_list ap;
    va_start(ap, msg);
    vlog_kv(level, mod, msg, ap);
    va_end(ap);
    errno = saved;
}

void nw_log(nw_log_level level, const char *mod, const char *fmt, ...)
{
    if (!nw_log_enabled(level))
        return;
    int saved = errno;
    char local[1024];
    char *big = NULL;
    const char *msg = local;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(local, sizeof local, fmt, ap);
    va_end(ap);
    if (n < 0) {
        msg = "(unformattable log message)";
    } else if ((size_t)n >= sizeof local && (big = malloc((size_t)n + 1)) != NULL) {
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        msg = big;
    } /* on malloc failure keep the truncated local copy */
    va_end(ap2);

    field fields[FIELDS_MAX];
    int nfields = 0;
    size_t text_len = split_pairs(msg, fields, &nfields);
    nw_log_format f = nw_log_get_format();
    line l;
    line_init(&l);
    put_header(&l, f, level, mod);
    put_value(&l, msg, text_len, MSG_MAX, true, f);
    for (int i = 0; i < nfields; i++) {
        put_key(&l, fields[i].key, fields[i].key_len, f);
        put_pair_value(&l, &fields[i], f);
    }
    write_line(&l, f);
    line_deinit(&l);
    free(big);
    errno = saved;
}

/* Outside the pthread_once: logging from inside it would deadlock. */
static void warn_bad_env(void)
{
    int bad = atomic_exchange(&g_bad_env, 0);
    if (bad & 1)
        nw_log_kv(NW_LOG_WARN, "log",
                  "unknown NEWSWIRE_LOG_LEVEL; using info (expected error,"
                  " warn, info or debug)",
                  "value", getenv("NEWSWIRE_LOG_LEVEL"), (char *)NULL);
    if (bad & 2)
        nw_log_kv(NW_LOG_WARN, "log",
                  "unknown NEWSWIRE_LOG_FORMAT; using logfmt (expected"
                  " logfmt or json)",
                  "value", getenv("NEWSWIRE_LOG_FORMAT"), (char *)NULL);
}
