/*
 * nw_parser — the parser registry, input hygiene and bounded file reading.
 * See nw_parser.h for the contract.
 *
 * Invariants: a text parser only ever sees valid UTF-8 with LF line ends, no
 * BOM, no NUL bytes; a raw parser (NW_PARSER_RAW_BYTES) the original bytes;
 * both at most max_input_bytes long and NUL-terminated; detect() a bounded
 * UTF-8 sniff view of the start (sniff_view); the caller's
 * story list changes only when a whole input parsed; nothing here exits,
 * prints (warnings go through the callback) or reads more than the limit.
 */
#include "nw_parser.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_encoding.h"
#include "nw_log.h"
#include "nw_text.h"

/* ------------------------------------------------------------ registry --- */

/* Order matters for ties in detection: more specific formats first. */
static const nw_parser *const registry[] = {
    &nw_parser_rss,           &nw_parser_atom,     &nw_parser_jsonfeed,
    &nw_parser_reuters_sgml,  &nw_parser_iptc7901, &nw_parser_dpa_digitalwires,
    &nw_parser_ap_media_json, &nw_parser_ninjs,    &nw_parser_nitf,
    &nw_parser_newsml12,      &nw_parser_newsmlg2, &nw_parser_webcopy,
    &nw_parser_headline_text,
};
#define REGISTRY_LEN (sizeof registry / sizeof registry[0])

size_t nw_parser_all(const nw_parser *const **out)
{
    if (out)
        *out = registry;
    return REGISTRY_LEN;
}

const nw_parser *nw_parser_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        if (!strcmp(registry[i]->name, name))
            return registry[i];
    return NULL;
}

const nw_parser *nw_parser_detect(const char *buf, size_t len)
{
    const nw_parser *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < REGISTRY_LEN; i++) {
        int score = registry[i]->detect(buf, len);
        if (score > best_score) {
            best = registry[i];
            best_score = score;
        }
    }
    return best;
}

/* "webcopy, headline-text" into out. */
static void known_formats(char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < REGISTRY_LEN && o < size; i++) {
        int n = snprintf(out + o, size - o, "%s%s", i ? ", " : "", registry[i]->name);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

/* --------------------------------------------------------- story lists --- */

int nw_story_list_add(nw_story_list *list, nw_story *story)
{
    if (list->sink) {
        nw_err err = {0};
        int rc = list->sink(list->sink_ctx, story, &err);
        if (rc == 0)
            list->handed++;
        return rc < 0 ? rc : 0;
    }
    if (list->len == list->cap) {
        size_t ncap = list->cap ? list->cap * 2 : 4;
        nw_story **n = realloc(list->items, ncap * sizeof *n);
        if (!n) {
            nw_story_free(story);
            return NW_ENOMEM;
        }
        list->items = n;
        list->cap = ncap;
    }
    list->items[list->len++] = story;
    return 0;
}

size_t nw_story_list_count(const nw_story_list *list)
{
    return list->len + list->handed;
}

void nw_story_list_free(nw_story_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->len; i++)
        nw_story_free(list->items[i]); /* NULL: taken already */
    free(list->items);
    list->items = NULL;
    list->len = list->cap = 0;
}

/* ------------------------------------------------------------ matching --- */

const char *nw_find_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0)
        return s;
    /* ASCII letters differ from their other case in bit 0x20 alone: a byte
     * that differs elsewhere cannot start a match */
    char first = (char)(needle[0] | 0x20);
    for (size_t i = 0; i + k <= n; i++)
        if ((char)(s[i] | 0x20) == first && !strncasecmp(s + i, needle, k))
            return s + i;
    return NULL;
}

/* ------------------------------------------------------------ warnings --- */

void nw_parse_warn(const nw_parse_opts *opts, const char *fmt, ...)
{
    char body[NW_ERR_MSG_MAX], msg[NW_ERR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (opts && opts->origin)
        snprintf(msg, sizeof msg, "%s: %s", opts->origin, body);
    else
        snprintf(msg, sizeof msg, "%s", body);
    if (opts && opts->warn)
        opts->warn(opts->warn_ctx, msg);
    else
        nw_log_warn("parser", "%s", msg);
}

/* ------------------------------------------------------------- hygiene --- */

/* Offset of the first byte that makes the input binary: a NUL or a C0
 * control other than TAB, LF, CR, FF. */
static size_t first_control(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
            return i;
    }
    return len;
}

/* Copy buf with CRLF and lone CR turned into LF; NUL-terminated. The runs
 * between CRs are copied whole (most inputs have none at all). */
static char *normalize_newlines(const char *buf, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        const char *cr = memchr(buf + i, '\r', len - i);
        size_t run = cr ? (size_t)(cr - (buf + i)) : len - i;
        memcpy(out + o, buf + i, run);
        o += run;
        i += run;
        if (!cr)
            break;
        out[o++] = '\n';
        if (++i < len && buf[i] == '\n')
            i++;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int only_whitespace(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\f')
            return 0;
    return 1;
}

static int only_whitespace_raw(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\f')
            return 0;
    return 1;
}

/* The input starts like UTF-16/32 (a BOM or the NUL pattern of "<"). */
static bool is_wide(const char *buf, size_t len)
{
    const char *u = nw_encoding_sniff_unicode(buf, len, NULL);
    return u && strcmp(u, "utf-8") != 0;
}

/* Bytes of the input that detect() sees at most. */
#define SNIFF_MAX 8192

/* The UTF-8 "sniff view" of the start of the input that every detect()
 * gets (see nw_parser.h): newlines folded, malloc'd, NUL-terminated. */
static char *sniff_view(const char *buf, size_t len, size_t *out_len)
{
    size_t bom = 0;
    const char *uni = nw_encoding_sniff_unicode(buf, len, &bom);
    size_t n = len < SNIFF_MAX ? len : SNIFF_MAX;

    if (!uni || !strcmp(uni, "utf-8")) {
        const char *p = buf + bom;
        size_t m = n - bom, bad = 0;
        bool valid = nw_utf8_valid(p, m, &bad);
        /* a multi-byte sequence cut by the SNIFF_MAX limit is not an error */
        if (!valid && n < len && bad + 4 > m && nw_utf8_valid(p, bad, NULL)) {
            m = bad;
            valid = true;
        }
        if (valid)
            return normalize_newlines(p, m, out_len);
    } else {
        size_t unit = strstr(uni, "32") ? 4 : 2;
        n -= (n - bom) % unit;
    }

    char declared[40];
    bool has_decl = nw_encoding_sniff_xml(buf, n, declared, sizeof declared);
    nw_decoded d = {0};
    nw_err ignored = {0};
    char *out;
    if (nw_encoding_decode(buf, n, NULL, has_decl ? declared : NULL, &d, &ignored) == 0) {
        out = normalize_newlines(d.text, d.len, out_len);
        nw_decoded_free(&d);
    } else { /* an unknown charset on non-UTF-8 bytes: a rough view still helps */
        size_t count = 0;
        char *rep = nw_utf8_repair(buf + bom, n - bom, &count);
        out = rep ? normalize_newlines(rep, strlen(rep), out_len) : NULL;
        free(rep);
    }
    return out;
}

/* Run the chosen parser on text[0..len) (NUL-terminated) and move its
 * stories into out, all or nothing. */
static int run_parser(const nw_parser *parser, const char *text, size_t len,
                      const nw_parse_opts *opts, nw_story_list *out, nw_err *err)
{
    nw_story_list got = {.sink = opts->sink, .sink_ctx = opts->sink_ctx};
    int rc = parser->parse(text, len, opts, &got, err);
    if (rc >= 0 && nw_story_list_count(&got) == 0)
        rc = nw_err_set(err, NW_EINVAL, "%s: no story found", parser->name);
    if (rc < 0) {
        nw_story_list_free(&got);
        return rc;
    }
    size_t before = out->len;
    for (size_t i = 0; i < got.len; i++) {
        if (nw_story_list_add(out, got.items[i]) < 0) {
            for (size_t j = i + 1; j < got.len; j++)
                nw_story_free(got.items[j]);
            while (out->len > before)
                nw_story_free(out->items[--out->len]);
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            break;
        }
    }
    free(got.items);
    return rc < 0 ? rc : 0;
}

/* Text hygiene for a parser that wants clean text (see nw_parser.h). */
static int parse_text(const nw_parser *parser, const char *buf, size_t len,
                      const nw_parse_opts *opts, nw_story_list *out, nw_err *err)
{
    nw_decoded wide = {0};
    const char *text = buf;
    size_t text_len = len, skip = 0;
    if (is_wide(buf, len)) { /* UTF-16/32 text: decode it first */
        int rc = nw_encoding_decode(buf, len, NULL, NULL, &wide, err);
        if (rc < 0)
            return rc;
        text = wide.text;
        text_len = wide.len;
        if (wide.repaired)
            nw_parse_warn(opts, "%zu undecodable byte(s) in %s input replaced by U+FFFD",
                          wide.repaired, wide.charset);
    } else if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
        skip = 3;
        text += 3;
        text_len -= 3;
    }

    int rc = 0;
    char *repaired = NULL, *clean = NULL;
    size_t bad = 0;
    if (nw_text_looks_binary(text, text_len)) {
        rc = nw_err_set(err, NW_EINVAL, "binary data, not text (offset %zu)",
                        skip + first_control(text, text_len));
        goto done;
    }
    if (!nw_utf8_valid(text, text_len, &bad)) {
        size_t count = 0;
        repaired = nw_utf8_repair(text, text_len, &count);
        if (!repaired) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            goto done;
        }
        nw_parse_warn(opts,
                      "invalid UTF-8 at offset %zu: %zu byte(s) decoded as windows-1252 (a "
                      "guess; check those characters)",
                      skip + bad, count);
        text = repaired;
        text_len = strlen(repaired);
    }

    size_t clean_len = 0;
    clean = normalize_newlines(text, text_len, &clean_len);
    if (!clean) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto done;
    }
    if (only_whitespace(clean, clean_len))
        rc = nw_err_set(err, NW_EINVAL, "empty file (whitespace only)");
    else
        rc = run_parser(parser, clean, clean_len, opts, out, err);

done:
    free(clean);
    free(repaired);
    nw_decoded_free(&wide);
    return rc;
}

/* Limits, parser choice and dispatch; errors without the origin prefix. */
static int parse_clean(const char *format, const char *buf, size_t len, const nw_parse_opts *opts,
                       nw_story_list *out, nw_err *err)
{
    if (len > opts->max_input_bytes)
        return nw_err_set(err, NW_ELIMIT, "input is %zu bytes, over the limit of %zu bytes", len,
                          opts->max_input_bytes);
    if (len == 0)
        return nw_err_set(err, NW_EINVAL, "empty file");

    bool wide = is_wide(buf, len);
    size_t skip = !wide && len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (len == skip)
        return nw_err_set(err, NW_EINVAL, "empty file");
    if (!wide && only_whitespace_raw(buf + skip, len - skip))
        return nw_err_set(err, NW_EINVAL, "empty file (whitespace only)");

    const nw_parser *parser;
    char known[256];
    if (!format || !strcmp(format, "auto")) {
        /* Detection comes first: raw-bytes formats (IPTC 7901 control
         * framing, gzip'd SGML) look binary to a text check. UTF-16/32 has
         * NULs but is text, so it is exempt from the check too. */
        bool binary = !wide && nw_text_looks_binary(buf + skip, len - skip);
        size_t view_len = 0;
        char *view = sniff_view(buf, len, &view_len);
        if (!view)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        parser = nw_parser_detect(view, view_len);
        free(view);
        if (binary && (!parser || !(parser->flags & NW_PARSER_RAW_BYTES)))
            return nw_err_set(err, NW_EINVAL, "binary data, not text (offset %zu)",
                              skip + first_control(buf + skip, len - skip));
        if (!parser) {
            known_formats(known, sizeof known);
            return nw_err_set(err, NW_EINVAL, "unrecognised format (known: %s)", known);
        }
    } else {
        parser = nw_parser_find(format);
        if (!parser) {
            known_formats(known, sizeof known);
            return nw_err_set(err, NW_EINVAL, "unknown format '%s' (known: %s)", format, known);
        }
    }

    if (!(parser->flags & NW_PARSER_RAW_BYTES))
        return parse_text(parser, buf, len, opts, out, err);

    /* raw bytes, exactly as given, NUL-terminated for the parser's sake */
    char *copy = malloc(len + 1);
    if (!copy)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    memcpy(copy, buf, len);
    copy[len] = '\0';
    int rc = run_parser(parser, copy, len, opts, out, err);
    free(copy);
    return rc;
}

int nw_parse_buffer(const char *format, const char *buf, size_t len, const nw_parse_opts *opts,
                    nw_story_list *out, nw_err *err)
{
    nw_parse_opts o = {0};
    if (opts)
        o = *opts;
    if (!o.timezone || !*o.timezone)
        o.timezone = "UTC";
    if (o.max_input_bytes == 0)
        o.max_input_bytes = NW_PARSE_MAX_INPUT;
    if (o.default_category && !*o.default_category)
        o.default_category = NULL;
    int rc = parse_clean(format, buf ? buf : "", buf ? len : 0, &o, out, err);
    if (rc < 0 && o.origin && err)
        nw_err_prefix(err, "%s: ", o.origin);
    return rc;
}

/* ------------------------------------------------------------ reading --- */

/* Read all of fd, refusing more than `limit` bytes. NUL-terminates. */
static int read_bounded(int fd, size_t size_hint, size_t limit, char **out, size_t *out_len,
                        nw_err *err)
{
    size_t cap = size_hint < limit ? size_hint + 1 : limit + 1;
    if (cap < 4096)
        cap = 4096;
    size_t len = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > limit) /* read limit + 1 bytes: one too many */
                break;
            size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            char *n = realloc(buf, ncap + 1);
            if (!n) {
                free(buf);
                return nw_err_set(err, NW_ENOMEM, "out of memory");
            }
            buf = n;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return nw_err_set(err, NW_EIO, "read failed: %s", strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len > limit) {
        free(buf);
        return nw_err_set(err, NW_ELIMIT, "input is over the limit of %zu bytes", limit);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

static int read_input(const char *path, size_t limit, char **out, size_t *out_len, nw_err *err)
{
    int is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nw_err_set(err, errno == ENOENT ? NW_ENOTFOUND : NW_EIO, "cannot open: %s",
                          strerror(errno));
    struct stat st;
    int rc = 0;
    size_t hint = 0;
    if (fstat(fd, &st) != 0) {
        rc = nw_err_set(err, NW_EIO, "cannot stat: %s", strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = nw_err_set(err, NW_EINVAL, "is a directory, not a file");
    } else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > (uint64_t)limit) {
        /* refused from the size alone, before reading a byte */
        rc = nw_err_set(err, NW_ELIMIT, "file is %lld bytes, over the limit of %zu bytes",
                        (long long)st.st_size, limit);
    } else {
        if (S_ISREG(st.st_mode))
            hint = (size_t)st.st_size;
        rc = read_bounded(fd, hint, limit, out, out_len, err);
    }
    if (!is_stdin)
        close(fd);
    return rc;
}

int nw_parse_file(const char *path, const char *format, const nw_parse_opts *opts,
                  nw_story_list *out, nw_err *err)
{
    if (!path)
        return nw_err_set(err, NW_EINVAL, "no path given");
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    nw_parse_opts o = {0};
    if (opts)
        o = *opts;
    o.origin = name;
    size_t limit = o.max_input_bytes ? o.max_input_bytes : NW_PARSE_MAX_INPUT;

    char *buf = NULL;
    size_t len = 0;
    int rc = read_input(path, limit, &buf, &len, err);
    if (rc < 0) {
        if (err)
            nw_err_prefix(err, "%s: ", name);
        return rc;
    }
    rc = nw_parse_buffer(format, buf, len, &o, out, err);
    free(buf);
    return rc;
}
