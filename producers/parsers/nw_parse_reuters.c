/*
 * nw_parse_reuters — the Reuters-21578 SGML corpus ("reuters-sgml"): many
 * <REUTERS NEWID=..> blocks per file, no root, SGML not XML. A small
 * hand-written tag scanner (no libxml2: the files are not well-formed XML and
 * carry references to control characters XML forbids) turns each block into
 * one story. Raw bytes in: invalid UTF-8 (one 0xFC in reut2-017) is decoded
 * as windows-1252/Latin-1 with a warning; gzip input (the corpus as stored)
 * is decompressed here when built with zlib (NW_HAVE_ZLIB), else refused
 * with a hint. It never allocates more than the input limit allows and keeps
 * no state between calls.
 *
 * Mapping: NEWID -> uri "urn:newswire:reuters21578:<NEWID>"; DATE (read as
 * UTC) -> versionCreated/firstCreated; TOPICS -> subjects (literal
 * "reuters-topic:<code>") and the first topic is the routing category
 * (else opts->default_category); PLACES -> places, PEOPLE -> people,
 * ORGS/COMPANIES -> organisations, EXCHANGES -> subjects
 * ("reuters-exchange:<code>"); TITLE -> headline (as is, ALL CAPS kept);
 * DATELINE -> located (the place before ", <Mon> <day> -"); AUTHOR -> by;
 * BODY -> paragraphs (hard-wrapped lines re-joined, an indented line starts
 * a paragraph, the closing " Reuter" dropped). TYPE="BRIEF" has a headline
 * only; TYPE="UNPROC" keeps the whole TEXT as one preformatted body, its
 * first line as headline.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef NW_HAVE_ZLIB
#include <zlib.h>
#endif

#include "nw_buf.h"
#include "nw_date.h"
#include "nw_html.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"

#define URI_PREFIX "urn:newswire:reuters21578:"

/* ---------------------------------------------------------- scanning --- */

/* One tag: <NAME attrs> or </NAME>. */
typedef struct tag {
    const char *name;
    size_t name_len;
    const char *attrs; /* after the name, up to '>' */
    size_t attrs_len;
    bool closing;
    const char *start; /* the '<' */
    const char *after; /* just past the '>' */
} tag;

static bool tag_is(const tag *t, const char *name)
{
    size_t n = strlen(name);
    return t->name_len == n && !memcmp(t->name, name, n);
}

/* Next tag at or after p; false when there is none. A '<' not followed by a
 * letter, '/' or '!' is text (the corpus escapes '<' as &lt;, but be safe). */
static bool next_tag(const char *p, const char *end, tag *t)
{
    for (;;) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || lt + 1 >= end)
            return false;
        const char *q = lt + 1;
        bool closing = false;
        if (*q == '/') {
            closing = true;
            q++;
        }
        if (q < end && (isalpha((unsigned char)*q) || *q == '!')) {
            const char *n = q;
            while (q < end && (isalnum((unsigned char)*q) || *q == '!' || *q == '-'))
                q++;
            const char *gt = memchr(q, '>', (size_t)(end - q));
            if (!gt)
                return false;
            t->name = n;
            t->name_len = (size_t)(q - n);
            t->attrs = q;
            t->attrs_len = (size_t)(gt - q);
            t->closing = closing;
            t->start = lt;
            t->after = gt + 1;
            return true;
        }
        p = lt + 1;
    }
}

/* Value of attribute `name` (NAME="v" or NAME=v) in t, copied into out. */
static bool tag_attr(const tag *t, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = t->attrs, *end = t->attrs + t->attrs_len;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *k = p;
        while (p < end && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - k);
        if (klen == 0 && p < end) { /* stray '=' or the like */
            p++;
            continue;
        }
        const char *v = NULL, *vend = NULL;
        if (p < end && *p == '=') {
            p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                char qc = *p++;
                v = p;
                while (p < end && *p != qc)
                    p++;
                vend = p;
                if (p < end)
                    p++;
            } else {
                v = p;
                while (p < end && !isspace((unsigned char)*p))
                    p++;
                vend = p;
            }
        }
        if (klen == n && !strncasecmp(k, name, n) && v) {
            size_t vl = (size_t)(vend - v);
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
    }
    return false;
}

static int line_of(const char *buf, const char *at)
{
    int line = 1;
    for (const char *p = buf; p < at; p++)
        if (*p == '\n')
            line++;
    return line;
}

/* Line numbers of increasing positions, counted incrementally so a whole
 * file costs one pass. */
typedef struct line_counter {
    const char *buf, *pos;
    int line;
} line_counter;

static int line_at(line_counter *lc, const char *at)
{
    if (at < lc->pos) { /* positions normally only grow */
        lc->pos = lc->buf;
        lc->line = 1;
    }
    for (const char *p = lc->pos; p < at; p++)
        if (*p == '\n')
            lc->line++;
    lc->pos = at;
    return lc->line;
}

/* ------------------------------------------------------------ text --- */

static void put_utf8(nw_buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    nw_buf_append(b, s, n);
}

static bool keep_char(uint32_t cp)
{
    if (cp == '\n' || cp == '\t')
        return true;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
        return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return false;
    return true;
}

/* Append p[0..len) to b with character references decoded and control
 * characters (raw or referenced, other than LF and TAB) removed. Tags inside
 * (e.g. <D> in a list) are the caller's business: this sees text only. */
static void decode_text(nw_buf *b, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *run = p;
        while (p < end && *p != '&' && ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t') &&
               *p != 0x7F)
            p++;
        if (p > run)
            nw_buf_append(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (*p != '&') { /* a raw control character */
            p++;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
        if (!semi) {
            nw_buf_putc(b, *p++);
            continue;
        }
        const char *e = p + 1;
        size_t elen = (size_t)(semi - e);
        if (elen >= 2 && e[0] == '#') {
            uint32_t cp = 0;
            bool ok = true, hex = (e[1] == 'x' || e[1] == 'X');
            const char *d = e + (hex ? 2 : 1);
            if (d == semi)
                ok = false;
            for (; ok && d < semi; d++) {
                int v = isdigit((unsigned char)*d) ? *d - '0'
                        : hex && isxdigit((unsigned char)*d)
                            ? (tolower((unsigned char)*d) - 'a' + 10)
                            : -1;
                if (v < 0 || cp > 0x10FFFF)
                    ok = false;
                else
                    cp = cp * (hex ? 16 : 10) + (uint32_t)v;
            }
            if (ok) {
                if (keep_char(cp))
                    put_utf8(b, cp);
                p = semi + 1;
                continue;
            }
        } else if (elen == 2 && !memcmp(e, "lt", 2)) {
            nw_buf_putc(b, '<');
            p = semi + 1;
            continue;
        } else if (elen == 2 && !memcmp(e, "gt", 2)) {
            nw_buf_putc(b, '>');
            p = semi + 1;
            continue;
        } else if (elen == 3 && !memcmp(e, "amp", 3)) {
            nw_buf_putc(b, '&');
            p = semi + 1;
            continue;
        } else if (elen == 4 && !memcmp(e, "quot", 4)) {
            nw_buf_putc(b, '"');
            p = semi + 1;
            continue;
        } else if (elen == 4 && !memcmp(e, "apos", 4)) {
            nw_buf_putc(b, '\'');
            p = semi + 1;
            continue;
        }
        nw_buf_putc(b, *p++); /* unknown: keep the '&' as text */
    }
}

/* Decoded and squeezed text of p[0..len); malloc'd or NULL on OOM. */
static char *decoded_squeezed(const char *p, size_t len)
{
    nw_buf b = NW_BUF_INIT;
    decode_text(&b, p, len);
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return NULL;
    }
    char *s = nw_text_squeeze(nw_buf_str(&b), b.len);
    nw_buf_free(&b);
    return s;
}

static bool is_space_line(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

/* Drop a closing "Reuter" / "REUTER" sign-off (the last word of the text). */
static void drop_signoff(nw_buf *b)
{
    size_t n = b->len;
    while (n && isspace((unsigned char)b->data[n - 1]))
        n--;
    if (n >= 6 && !strncasecmp(b->data + n - 6, "reuter", 6) &&
        (n == 6 || isspace((unsigned char)b->data[n - 7]))) {
        n -= 6;
        while (n && isspace((unsigned char)b->data[n - 1]))
            n--;
    }
    nw_buf_truncate(b, n);
}

/* Body text (decoded) into paragraphs joined by "\n\n": an indented line or
 * a blank line starts a paragraph, other lines are joined with a space. */
static void body_paragraphs(const char *text, size_t len, nw_buf *out)
{
    const char *p = text, *end = text + len;
    bool in_para = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (is_space_line(p, le)) {
            in_para = false;
        } else {
            bool indented = (*p == ' ' || *p == '\t');
            const char *s = p, *e = le;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            if (in_para && !indented) {
                nw_buf_putc(out, ' ');
            } else if (out->len) {
                nw_buf_puts(out, "\n\n");
            }
            /* squeeze internal runs of blanks */
            for (const char *c = s; c < e; c++) {
                if ((*c == ' ' || *c == '\t') && c + 1 < e && (c[1] == ' ' || c[1] == '\t'))
                    continue;
                nw_buf_putc(out, *c == '\t' ? ' ' : *c);
            }
            in_para = true;
        }
        p = nl ? nl + 1 : end;
    }
}

/* ---------------------------------------------------------- the story --- */

typedef struct span {
    const char *p;
    size_t len;
    bool set;
} span;

typedef struct block {
    char newid[32];
    char type[16];
    span date, title, dateline, body, text, author;
} block;

static int add_list_items(nw_story *story, const char *list, const char *p, const char *end)
{
    /* <D>code</D><D>code</D>... */
    tag t;
    while (next_tag(p, end, &t)) {
        if (!t.closing && tag_is(&t, "D")) {
            tag c;
            const char *vend = next_tag(t.after, end, &c) ? c.start : end;
            char *v = decoded_squeezed(t.after, (size_t)(vend - t.after));
            if (!v)
                return NW_ENOMEM;
            int rc = 0;
            if (v[0]) {
                char lit[160];
                if (!strcmp(list, "TOPICS")) {
                    snprintf(lit, sizeof lit, "reuters-topic:%s", v);
                    nw_utf8_clip(lit);
                    rc = nw_entity_list_add(&story->subjects, v, NULL, lit, "subject");
                } else if (!strcmp(list, "EXCHANGES")) {
                    snprintf(lit, sizeof lit, "reuters-exchange:%s", v);
                    nw_utf8_clip(lit);
                    rc = nw_entity_list_add(&story->subjects, v, NULL, lit, "subject");
                } else if (!strcmp(list, "PLACES")) {
                    rc = nw_entity_list_add(&story->places, v, NULL, v, NULL);
                } else if (!strcmp(list, "PEOPLE")) {
                    rc = nw_entity_list_add(&story->people, v, NULL, v, NULL);
                } else {
                    rc = nw_entity_list_add(&story->organisations, v, NULL, v, NULL);
                }
            }
            free(v);
            if (rc)
                return NW_ENOMEM;
            p = vend;
            continue;
        }
        p = t.after;
    }
    return 0;
}

/* "    SALVADOR, Feb 26 - " -> "SALVADOR". */
static char *dateline_place(const char *s)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    size_t n = strlen(s);
    while (n && (s[n - 1] == '-' || s[n - 1] == ' '))
        n--;
    const char *comma = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',')
            comma = s + i;
    if (comma) {
        const char *m = comma + 1;
        while (*m == ' ')
            m++;
        for (size_t i = 0; i < 12; i++)
            if (!strncasecmp(m, months[i], 3)) {
                n = (size_t)(comma - s);
                break;
            }
    }
    return nw_text_squeeze(s, n);
}

static int set_date(nw_story *story, const span *date, const nw_parse_opts *opts, int line)
{
    /* "27-MAR-1987 14:04:26.14&#5;&#5;&#5;F": wire noise after the time */
    size_t dlen = 0;
    while (date->set && dlen < date->len && date->p[dlen] != '&' &&
           (unsigned char)date->p[dlen] >= 0x20)
        dlen++;
    char *d = date->set ? decoded_squeezed(date->p, dlen) : NULL;
    if (date->set && !d)
        return NW_ENOMEM;
    if (!d || !d[0]) {
        free(d);
        nw_parse_warn(opts, "line %d: story without a <DATE>", line);
        return 0;
    }
    /* "26-FEB-1987 15:01:01.79" plus, in a few stories, trailing wire noise:
     * keep the first two words */
    char *sp = strchr(d, ' ');
    if (sp) {
        char *sp2 = strchr(sp + 1, ' ');
        if (sp2)
            *sp2 = '\0';
    }
    int64_t epoch;
    nw_err derr = {0};
    char when[NW_TIME_RFC3339_MAX];
    if (nw_date_parse(d, "UTC", &epoch, &derr) < 0 || nw_time_format(epoch, when) < 0) {
        nw_parse_warn(opts, "line %d: <DATE> '%s' not understood, left out: %s", line, d, derr.msg);
        free(d);
        return 0;
    }
    free(d);
    if (nw_story_set(&story->version_created, when) || nw_story_set(&story->first_created, when))
        return NW_ENOMEM;
    return 0;
}

/* The text of <TEXT> for UNPROC stories: decoded, sign-off dropped. */
static int unproc_body(nw_story *story, const span *text)
{
    nw_buf raw = NW_BUF_INIT, html = NW_BUF_INIT;
    decode_text(&raw, text->p, text->len);
    drop_signoff(&raw);
    /* trim leading blank lines and trailing blanks */
    const char *s = nw_buf_str(&raw);
    while (*s == '\n' || *s == ' ')
        s++;
    int rc = 0;
    if (*s) {
        const char *nl = strchr(s, '\n');
        char *head = nw_text_squeeze(s, nl ? (size_t)(nl - s) : strlen(s));
        if (!head)
            rc = NW_ENOMEM;
        else if (head[0])
            rc = nw_text_list_add(&story->headlines, head, "main", "text/plain");
        free(head);
        nw_buf_puts(&html, "<pre>");
        nw_buf_html_escape(&html, s, strlen(s));
        nw_buf_puts(&html, "</pre>");
        if (!rc && !nw_buf_failed(&html))
            rc = nw_text_list_add(&story->bodies, s, NULL, "text/plain");
        if (!rc && !nw_buf_failed(&html))
            rc = nw_text_list_add(&story->bodies, nw_buf_str(&html), NULL, "text/html");
    }
    if (nw_buf_failed(&raw) || nw_buf_failed(&html))
        rc = NW_ENOMEM;
    nw_buf_free(&raw);
    nw_buf_free(&html);
    return rc;
}

/* "a\n\nb" -> "<p>a</p>\n<p>b</p>": what nw_html_from_paragraphs does, done
 * inline because this corpus is replayed in bulk and speed matters here. */
static char *paragraphs_html(const char *plain, size_t len)
{
    nw_buf b = NW_BUF_INIT;
    const char *p = plain, *end = plain + len;
    while (p < end) {
        const char *sep = strstr(p, "\n\n");
        const char *pe = sep ? sep : end;
        if (b.len)
            nw_buf_putc(&b, '\n');
        nw_buf_puts(&b, "<p>");
        nw_buf_html_escape(&b, p, (size_t)(pe - p));
        nw_buf_puts(&b, "</p>");
        p = sep ? sep + 2 : end;
    }
    return nw_buf_failed(&b) ? (nw_buf_free(&b), NULL) : nw_buf_take(&b);
}

static int body_texts(nw_story *story, const span *body)
{
    nw_buf dec = NW_BUF_INIT, paras = NW_BUF_INIT;
    decode_text(&dec, body->p, body->len);
    drop_signoff(&dec);
    body_paragraphs(nw_buf_str(&dec), dec.len, &paras);
    int rc = 0;
    if (nw_buf_failed(&dec) || nw_buf_failed(&paras))
        rc = NW_ENOMEM;
    else if (paras.len) {
        char *html = paragraphs_html(nw_buf_str(&paras), paras.len);
        if (!html || nw_text_list_add(&story->bodies, nw_buf_str(&paras), NULL, "text/plain") ||
            nw_text_list_add(&story->bodies, html, NULL, "text/html"))
            rc = NW_ENOMEM;
        free(html);
    }
    nw_buf_free(&dec);
    nw_buf_free(&paras);
    return rc;
}

/* Build one story from the REUTERS element whose start tag is `open` and
 * whose content runs to `end` (the closing tag or the end of input). */
static int parse_block(line_counter *lc, const tag *open, const char *end,
                       const nw_parse_opts *opts, nw_story_list *out, nw_err *err)
{
    int line = line_at(lc, open->start);
    char newid[32];
    if (!tag_attr(open, "NEWID", newid, sizeof newid) || !newid[0])
        return nw_err_set(err, NW_EINVAL, "line %d: <REUTERS> without a NEWID attribute", line);
    for (const char *c = newid; *c; c++)
        if (!isdigit((unsigned char)*c))
            return nw_err_set(err, NW_EINVAL, "line %d: NEWID \"%s\" is not a number", line, newid);
    char type[16] = "";

    nw_story *story = nw_story_new();
    if (!story)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    span date = {0}, title = {0}, dateline = {0}, body = {0}, text = {0}, author = {0};
    span *open_span = NULL;
    const char *list = NULL, *list_start = NULL;
    int rc = 0;
    tag t;
    const char *p = open->after;
    while (rc == 0 && p < end && next_tag(p, end, &t)) {
        if (open_span) { /* close the open element */
            open_span->len = (size_t)(t.start - open_span->p);
            open_span = NULL;
        }
        if (!t.closing) {
            span *s = tag_is(&t, "DATE")       ? &date
                      : tag_is(&t, "TITLE")    ? &title
                      : tag_is(&t, "DATELINE") ? &dateline
                      : tag_is(&t, "BODY")     ? &body
                      : tag_is(&t, "AUTHOR")   ? &author
                                               : NULL;
            if (s && !s->set) {
                s->p = t.after;
                s->len = 0;
                s->set = true;
                open_span = s;
            } else if (tag_is(&t, "TEXT") && !text.set) {
                tag_attr(&t, "TYPE", type, sizeof type);
                text.p = t.after;
                text.len = (size_t)(end - t.after);
                text.set = true;
            } else if (!list &&
                       (tag_is(&t, "TOPICS") || tag_is(&t, "PLACES") || tag_is(&t, "PEOPLE") ||
                        tag_is(&t, "ORGS") || tag_is(&t, "EXCHANGES") || tag_is(&t, "COMPANIES"))) {
                list = tag_is(&t, "TOPICS")      ? "TOPICS"
                       : tag_is(&t, "PLACES")    ? "PLACES"
                       : tag_is(&t, "PEOPLE")    ? "PEOPLE"
                       : tag_is(&t, "EXCHANGES") ? "EXCHANGES"
                                                 : "ORGS";
                list_start = t.after;
            }
        } else {
            if (tag_is(&t, "TEXT") && text.set)
                text.len = (size_t)(t.start - text.p);
            if (list &&
                (tag_is(&t, "TOPICS") || tag_is(&t, "PLACES") || tag_is(&t, "PEOPLE") ||
                 tag_is(&t, "ORGS") || tag_is(&t, "EXCHANGES") || tag_is(&t, "COMPANIES"))) {
                if (add_list_items(story, list, list_start, t.start))
                    rc = NW_ENOMEM;
                list = NULL;
            }
        }
        p = t.after;
    }
    if (open_span)
        open_span->len = (size_t)(end - open_span->p);

    char uri[sizeof URI_PREFIX + 32];
    snprintf(uri, sizeof uri, URI_PREFIX "%s", newid);
    if (rc == 0 &&
        (nw_story_set(&story->uri, uri) || nw_story_set(&story->type, "text") ||
         nw_story_set(&story->version, "1") || nw_story_set(&story->pub_status, "usable") ||
         nw_story_set(&story->language, "en") ||
         nw_entity_list_add(&story->info_sources, "Reuters", NULL, NULL, "source")))
        rc = NW_ENOMEM;
    if (rc == 0)
        rc = set_date(story, &date, opts, line);

    bool unproc = !strcasecmp(type, "UNPROC");
    if (rc == 0 && title.set) {
        char *h = decoded_squeezed(title.p, title.len);
        if (!h)
            rc = NW_ENOMEM;
        else if (h[0] && nw_text_list_add(&story->headlines, h, "main", "text/plain"))
            rc = NW_ENOMEM;
        free(h);
    }
    if (rc == 0 && dateline.set) {
        char *d = decoded_squeezed(dateline.p, dateline.len);
        char *place = d ? dateline_place(d) : NULL;
        if (!place || (place[0] && nw_story_set(&story->located, place)))
            rc = NW_ENOMEM;
        free(d);
        free(place);
    }
    if (rc == 0 && author.set) {
        char *a = decoded_squeezed(author.p, author.len);
        if (!a || (a[0] && nw_story_set(&story->by, a)))
            rc = NW_ENOMEM;
        free(a);
    }
    if (rc == 0) {
        if (unproc && text.set && !title.set)
            rc = unproc_body(story, &text);
        else if (body.set && strcasecmp(type, "BRIEF"))
            rc = body_texts(story, &body);
    }
    /* routing: the first topic */
    if (rc == 0) {
        const char *topic = NULL;
        for (size_t i = 0; i < story->subjects.len && !topic; i++)
            if (story->subjects.items[i].literal &&
                !strncmp(story->subjects.items[i].literal, "reuters-topic:", 14))
                topic = story->subjects.items[i].name;
        const char *cat = topic ? topic : opts->default_category;
        if (cat) {
            nw_err cerr = {0};
            rc = nw_story_add_category(story, cat, &cerr);
            if (rc == NW_EINVAL) {
                nw_parse_warn(opts, "line %d: category skipped: %s", line, cerr.msg);
                rc = 0;
            }
        }
    }
    if (rc < 0) {
        nw_story_free(story);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* -------------------------------------------------------------- gzip --- */

static bool is_gzip(const char *buf, size_t len)
{
    return len >= 2 && (unsigned char)buf[0] == 0x1F && (unsigned char)buf[1] == 0x8B;
}

#ifdef NW_HAVE_ZLIB
/* Inflate a gzip stream (concatenated members allowed), refusing more than
 * `limit` bytes of output. */
static int gunzip(const char *buf, size_t len, size_t limit, char **out, size_t *out_len,
                  nw_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    size_t cap = len * 4 + 1024, used = 0;
    if (cap > limit + 1)
        cap = limit + 1;
    char *o = malloc(cap + 1);
    if (!o) {
        inflateEnd(&z);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    z.next_in = (Bytef *)(uintptr_t)buf;
    z.avail_in = (uInt)len;
    int rc = 0;
    for (;;) {
        if (used == cap) {
            if (cap > limit) {
                rc = nw_err_set(err, NW_ELIMIT,
                                "gzip input inflates to more than the limit of %zu bytes", limit);
                break;
            }
            size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            char *n = realloc(o, ncap + 1);
            if (!n) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                break;
            }
            o = n;
            cap = ncap;
        }
        z.next_out = (Bytef *)o + used;
        z.avail_out = (uInt)(cap - used);
        int zr = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            inflateReset(&z); /* another member follows */
            continue;
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0) {
            rc = nw_err_set(err, NW_EINVAL, "gzip input is truncated (offset %zu)", len);
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = nw_err_set(err, NW_EINVAL, "gzip input is corrupt at offset %zu: %s",
                            (size_t)(len - z.avail_in), z.msg ? z.msg : "inflate failed");
            break;
        }
    }
    inflateEnd(&z);
    if (rc < 0) {
        free(o);
        return rc;
    }
    o[used] = '\0';
    *out = o;
    *out_len = used;
    return 0;
}
#endif

/* ------------------------------------------------------------ parser --- */

static bool has_newid(const char *p, size_t n)
{
    for (size_t i = 0; i + 6 <= n && p[i] != '>'; i++)
        if (!memcmp(p + i, "NEWID=", 6))
            return true;
    return false;
}

static int reuters_detect(const char *buf, size_t len)
{
    size_t n = len < 8192 ? len : 8192;
    const char *p = buf, *end = buf + n;
    while (p < end && isspace((unsigned char)*p))
        p++;
    size_t rest = (size_t)(end - p);
    if (rest >= 15 && !strncasecmp(p, "<!DOCTYPE lewis", 15))
        return 95;
    if (rest >= 9 && !memcmp(p, "<REUTERS ", 9) && has_newid(p, rest))
        return 90;
#ifdef NW_HAVE_ZLIB
    /* the sniff view of gzip bytes: 1F 8B, or 1F then 0x8B as windows-1252 (U+2039) */
    if (len >= 2 && (unsigned char)buf[0] == 0x1F &&
        ((unsigned char)buf[1] == 0x8B || (len >= 4 && !memcmp(buf + 1, "\xE2\x80\xB9", 3))))
        return 20;
#endif
    return 0;
}

static int reuters_parse_text(const char *buf, size_t len, const nw_parse_opts *opts,
                              nw_story_list *out, nw_err *err)
{
    const char *end = buf + len, *p = buf;
    size_t before = nw_story_list_count(out);
    line_counter lc = {buf, buf, 1};
    tag t;
    while (next_tag(p, end, &t)) {
        if (t.closing || !tag_is(&t, "REUTERS")) {
            p = t.after;
            continue;
        }
        /* the block runs to </REUTERS> (or the next <REUTERS, or the end) */
        const char *q = t.after, *block_end = end, *next = end;
        tag c;
        while (next_tag(q, end, &c)) {
            if (tag_is(&c, "REUTERS")) {
                block_end = c.start;
                next = c.closing ? c.after : c.start;
                if (!c.closing)
                    nw_parse_warn(opts, "line %d: <REUTERS> not closed before the next one",
                                  line_at(&lc, t.start));
                break;
            }
            q = c.after;
        }
        int rc = parse_block(&lc, &t, block_end, opts, out, err);
        if (rc < 0)
            return rc;
        p = next;
    }
    if (nw_story_list_count(out) == before)
        return nw_err_set(err, NW_EINVAL,
                          "no <REUTERS NEWID=...> element found (expected Reuters-21578 SGML)");
    return 0;
}

static int reuters_parse(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                         nw_err *err)
{
    char *owned = NULL;
    if (is_gzip(buf, len)) {
#ifdef NW_HAVE_ZLIB
        size_t n = 0;
        int rc = gunzip(buf, len, opts->max_input_bytes, &owned, &n, err);
        if (rc < 0)
            return rc;
        buf = owned;
        len = n;
#else
        return nw_err_set(err, NW_EINVAL,
                          "gzip-compressed input (this build has no zlib): decompress it first, "
                          "e.g. zcat FILE.sgm.gz | newswire parse --format reuters-sgml -");
#endif
    }
    size_t bad = 0;
    if (!nw_utf8_valid(buf, len, &bad)) {
        /* NULs would end the repaired C string early: refuse them */
        if (memchr(buf, '\0', len)) {
            free(owned);
            return nw_err_set(err, NW_EINVAL, "binary data, not SGML text (NUL byte at offset %zu)",
                              (size_t)((const char *)memchr(buf, '\0', len) - buf));
        }
        size_t count = 0;
        char *rep = nw_utf8_repair(buf, len, &count);
        if (!rep) {
            free(owned);
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        }
        nw_parse_warn(opts, "line %d: invalid UTF-8: %zu byte(s) decoded as windows-1252",
                      line_of(buf, buf + bad), count);
        free(owned);
        owned = rep;
        buf = rep;
        len = strlen(rep);
    }
    int rc = reuters_parse_text(buf, len, opts, out, err);
    free(owned);
    return rc;
}

const nw_parser nw_parser_reuters_sgml = {
    .name = "reuters-sgml",
    .description = "Reuters-21578 SGML (<REUTERS NEWID=..> blocks, several stories per file)",
    .detect = reuters_detect,
    .parse = reuters_parse,
    .flags = NW_PARSER_RAW_BYTES,
};
