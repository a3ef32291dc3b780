/*
 * nw_parse_iptc7901 — raw wire takes in IPTC 7901 / ANPA 1312 ("iptc7901"):
 * control-character framing (SYN SYN SOH header, STX text, ETX trailer, EOT),
 * AP formatting codes (TAB paragraph starts, BS table rows, DLE/RS/US cell
 * marks, '^' header lines ending in '<' or '='), CRLF and LF mixed, stray
 * Latin-1 bytes. Raw bytes in: invalid UTF-8 is decoded as windows-1252 with
 * a warning. Each SOH starts a take; each take is one story.
 *
 * Two header dialects: ANPA (AP): "<service><msgno> US <selector>" then
 * "<priority> <category> DC* <keyword> <version> MM-DD <words>"; IPTC 7901
 * (dpa): "<selector> <priority> <category> <words> [keyword] <source> <take>"
 * then a slug line ("Germany-politics/"). Mapping: priority -> urgency (AP
 * letters f/b/u/r/d/a -> 1/2/3/5/6/7, 7901 digits as is); category code ->
 * routing category (known AP codes named: "i" International, "s" Sports...,
 * others as the code); keyword/slug -> slugline; "1stLd"/"1ST LEAD" ->
 * version 2 (n-th lead -> n+1); headline, "Eds:" -> edNote, "By" -> by,
 * "CITY (AP) _" -> located, paragraphs -> bodies; the trailer time
 * ("AP-WF-02-20-16 0337GMT", "071341 GMT Okt 15") -> versionCreated.
 * uri "urn:newswire:<ap|dpa|iptc7901>:<slug>:<hash of provider, slug and
 * day>" so write-thrus of one story on one day keep their uri.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_buf.h"
#include "nw_encoding.h"
#include "nw_html.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"

#define SOH 0x01
#define STX 0x02
#define ETX 0x03
#define EOT 0x04
#define BS  0x08
#define US  0x1F

/* ------------------------------------------------------------ lines --- */

typedef struct line {
    const char *p;
    size_t len;
} line;

typedef struct lines {
    line *items;
    size_t len, cap;
} lines;

static int split_lines(const char *p, const char *end, lines *out)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (out->len == out->cap) {
            size_t ncap = out->cap ? out->cap * 2 : 32;
            line *n = realloc(out->items, ncap * sizeof *n);
            if (!n)
                return NW_ENOMEM;
            out->items = n;
            out->cap = ncap;
        }
        out->items[out->len++] = (line){p, (size_t)(le - p)};
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* The line as text: control characters (but a leading TAB, reported in
 * *indented) become spaces, runs squeezed, trailing '<' / '=' and blanks
 * removed. *caret: the line began with '^'; *mark: the '<' or '=' removed. */
static char *clean_line(const line *l, bool *indented, bool *caret, char *mark, bool *table)
{
    const char *p = l->p, *end = l->p + l->len;
    *indented = *caret = *table = false;
    *mark = 0;
    while (p < end && (unsigned char)*p < 0x20 && *p != '\t') {
        if (*p == BS)
            *table = true;
        p++;
    }
    if (p < end && *p == '\t')
        *indented = true;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p < end && *p == '^') {
        *caret = true;
        p++;
    }
    while (end > p && ((unsigned char)end[-1] <= 0x20 || end[-1] == 0x7F))
        end--;
    if (end > p && (end[-1] == '<' || end[-1] == '=')) {
        *mark = end[-1];
        end--;
    }
    nw_buf b = NW_BUF_INIT;
    for (const char *c = p; c < end; c++) {
        unsigned char u = (unsigned char)*c;
        nw_buf_putc(&b, u < 0x20 || u == 0x7F ? ' ' : *c);
    }
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return NULL;
    }
    char *s = nw_text_squeeze(nw_buf_str(&b), b.len);
    nw_buf_free(&b);
    return s;
}

/* AP typography: " _ " dash, ``quotes''. */
static char *ap_typography(const char *s)
{
    nw_buf b = NW_BUF_INIT;
    for (const char *c = s; *c; c++) {
        if (c[0] == '`' && c[1] == '`') {
            nw_buf_puts(&b, "\xE2\x80\x9C");
            c++;
        } else if (c[0] == '\'' && c[1] == '\'') {
            nw_buf_puts(&b, "\xE2\x80\x9D");
            c++;
        } else if (c[0] == ' ' && c[1] == '_' && (c[2] == ' ' || c[2] == '\0') && c > s) {
            nw_buf_puts(&b, " \xE2\x80\x94");
            c++;
        } else {
            nw_buf_putc(&b, *c);
        }
    }
    return nw_buf_take(&b);
}

/* ----------------------------------------------------------- header --- */

typedef struct take_info {
    bool anpa;
    char provider[16]; /* "ap", "dpa", "iptc7901" */
    char provider_name[24];
    char selector[32];
    char priority[8];
    char category[16];
    char slug[128];
    char version_text[64];
    int lead; /* n-th lead, 0 = first version */
} take_info;

static void copy_token(char *dst, size_t size, const char *p, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    nw_utf8_clip(dst);
}

/* "1stLd", "2ndLd-Writethru", "1ST LEAD" -> n. */
static int lead_number(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > s && isdigit((unsigned char)p[-1])))
            continue;
        int n = atoi(p);
        const char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (strlen(q) >= 2 && isalpha((unsigned char)q[0]) && isalpha((unsigned char)q[1])) {
            q += 2;
            while (*q == ' ' || *q == '-')
                q++;
            if (!strncasecmp(q, "ld", 2) || !strncasecmp(q, "lead", 4))
                return n > 0 && n < 100 ? n : 0;
        }
    }
    return 0;
}

/* Whitespace-separated tokens of one line (controls as blanks). */
static size_t tokens(const char *p, const char *end, const char **tok, size_t *tlen, size_t max)
{
    size_t n = 0;
    while (p < end && n < max) {
        while (p < end && (unsigned char)*p <= 0x20)
            p++;
        if (p >= end)
            break;
        const char *s = p;
        while (p < end && (unsigned char)*p > 0x20)
            p++;
        tok[n] = s;
        tlen[n++] = (size_t)(p - s);
    }
    return n;
}

static bool all_digits(const char *p, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

/* ANPA: line 1 "z6715 US -----", line 2 "r z DC3 DC1 BC-slug 1stLd-Writethru 02-20 0500". */
static void anpa_header(const line *l1, const line *l2, take_info *ti)
{
    const char *us = memchr(l1->p, US, l1->len);
    const char *end1 = l1->p + l1->len;
    if (us) {
        const char *tok[2];
        size_t tl[2];
        if (tokens(us + 1, end1, tok, tl, 1))
            copy_token(ti->selector, sizeof ti->selector, tok[0], tl[0]);
    }
    if (!l2)
        return;
    const char *tok[12];
    size_t tl[12];
    size_t n = tokens(l2->p, l2->p + l2->len, tok, tl, 12);
    size_t i = 0;
    if (i < n && tl[i] == 1 && isalpha((unsigned char)*tok[i]))
        copy_token(ti->priority, sizeof ti->priority, tok[i++], 1);
    if (i < n && tl[i] <= 3 && isalpha((unsigned char)*tok[i]))
        copy_token(ti->category, sizeof ti->category, tok[i], tl[i]), i++;
    if (i < n)
        copy_token(ti->slug, sizeof ti->slug, tok[i], tl[i]), i++;
    for (; i < n; i++) {
        bool date = tl[i] == 5 && isdigit((unsigned char)tok[i][0]) && tok[i][2] == '-';
        if (date || all_digits(tok[i], tl[i]))
            break;
        size_t o = strlen(ti->version_text);
        if (o + tl[i] + 2 < sizeof ti->version_text) {
            if (o)
                ti->version_text[o++] = ' ';
            memcpy(ti->version_text + o, tok[i], tl[i]);
            ti->version_text[o + tl[i]] = '\0';
        }
    }
    ti->lead = lead_number(ti->version_text);
}

/* IPTC 7901: "eca062 4 i 211 ccccb   dpa 061". */
static void iptc_header(const line *l1, take_info *ti)
{
    const char *tok[12];
    size_t tl[12];
    size_t n = tokens(l1->p, l1->p + l1->len, tok, tl, 12);
    if (n > 0)
        copy_token(ti->selector, sizeof ti->selector, tok[0], tl[0]);
    if (n > 1 && all_digits(tok[1], tl[1]))
        copy_token(ti->priority, sizeof ti->priority, tok[1], tl[1]);
    if (n > 2 && tl[2] <= 4)
        copy_token(ti->category, sizeof ti->category, tok[2], tl[2]);
    if (n >= 2 && all_digits(tok[n - 1], tl[n - 1]) && !all_digits(tok[n - 2], tl[n - 2]) &&
        n - 2 > 3) {
        char src[24];
        copy_token(src, sizeof src, tok[n - 2], tl[n - 2]);
        if (!strncasecmp(src, "dpa", 3)) {
            snprintf(ti->provider, sizeof ti->provider, "dpa");
            snprintf(ti->provider_name, sizeof ti->provider_name, "dpa");
        }
    }
}

static int priority_urgency(const take_info *ti)
{
    const char *p = ti->priority;
    if (!*p)
        return 0;
    if (isdigit((unsigned char)*p)) {
        int v = atoi(p);
        return v >= 1 && v <= 9 ? v : 0;
    }
    switch (tolower((unsigned char)*p)) {
    case 'f': return 1; /* flash */
    case 'b': return 2; /* bulletin */
    case 'u': return 3; /* urgent */
    case 'r': return 5; /* routine */
    case 'd': return 6; /* deferred */
    case 'a': return 7; /* advance */
    default: return 0;
    }
}

static const char *category_name(const char *code)
{
    static const char *const cats[][2] = {
        {"a", "Domestic News"}, {"d", "Food"},       {"e", "Entertainment"},  {"f", "Financial"},
        {"i", "International"}, {"k", "Commentary"}, {"l", "Lifestyle"},      {"n", "Regional"},
        {"o", "Weather"},       {"p", "Politics"},   {"q", "Sports Results"}, {"s", "Sports"},
        {"t", "Travel"},        {"v", "Advisories"}, {"w", "Washington"},
    };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (!strcasecmp(code, cats[i][0]))
            return cats[i][1];
    return code;
}

/* ------------------------------------------------------------ dates --- */

static int zone_offset(const char *z, int *secs)
{
    static const struct {
        const char *name;
        int hours;
    } zones[] = {{"GMT", 0},  {"UTC", 0},  {"UT", 0},   {"Z", 0},    {"EST", -5}, {"EDT", -4},
                 {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
                 {"BST", 1},  {"CET", 1},  {"MEZ", 1},  {"CEST", 2}, {"MESZ", 2}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (!strcasecmp(z, zones[i].name)) {
            *secs = zones[i].hours * 3600;
            return 0;
        }
    return -1;
}

static int month_number(const char *m)
{
    static const char *const en[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
    static const char *const de[] = {"jan", "feb", "mär", "apr", "mai", "jun",
                                     "jul", "aug", "sep", "okt", "nov", "dez"};
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(m, en[i], 3) || !strncasecmp(m, de[i], strlen(de[i])))
            return i + 1;
    if (!strncasecmp(m, "mrz", 3))
        return 3;
    return 0;
}

static int two_digit_year(int y)
{
    return y < 50 ? 2000 + y : 1900 + y;
}

/* The trailer's time as RFC 3339 into out; false when there is none. */
static bool trailer_time(const char *t, const nw_parse_opts *opts, char out[NW_TIME_RFC3339_MAX],
                         bool *seen)
{
    nw_civil c = {0};
    char zone[8] = "";
    int mm, dd, yy, hh, mi, n = 0;
    *seen = false;
    /* AP: "AP-WF-02-20-16 0337GMT" */
    for (const char *p = t; *p; p++) {
        if (sscanf(p, "%2d-%2d-%2d %2d%2d%7[A-Za-z]%n", &mm, &dd, &yy, &hh, &mi, zone, &n) >= 5 &&
            isdigit((unsigned char)p[0]) && (p == t || !isdigit((unsigned char)p[-1]))) {
            c = (nw_civil){two_digit_year(yy), mm, dd, hh, mi, 0};
            break;
        }
        zone[0] = '\0';
    }
    if (!c.year) { /* 7901: "071341 GMT Okt 15" or "211259 Nov 18" */
        const char *p = t;
        while (*p && !isdigit((unsigned char)*p))
            p++;
        char w1[8] = "", w2[8] = "";
        int dhm = 0;
        if (sscanf(p, "%2d%2d%2d %7s %7s %d", &dd, &hh, &mi, w1, w2, &yy) == 6 &&
            month_number(w2)) {
            snprintf(zone, sizeof zone, "%s", w1);
            c = (nw_civil){two_digit_year(yy), month_number(w2), dd, hh, mi, 0};
        } else if (sscanf(p, "%2d%2d%2d %7s %d", &dd, &hh, &mi, w1, &yy) == 5 && month_number(w1)) {
            c = (nw_civil){two_digit_year(yy), month_number(w1), dd, hh, mi, 0};
        }
        (void)dhm;
    }
    if (!c.year)
        return false;
    *seen = true;
    int64_t epoch;
    nw_err terr = {0};
    int off = 0;
    int rc;
    if (zone[0] && zone_offset(zone, &off) == 0) {
        rc = nw_time_civil_to_utc(&c, &epoch, &terr);
        epoch -= off;
    } else if (zone[0]) {
        nw_parse_warn(opts, "trailer time zone '%s' unknown, date left out", zone);
        return false;
    } else {
        rc = nw_time_from_civil(&c, opts->timezone, &epoch, &terr);
    }
    if (rc < 0 || nw_time_format(epoch, out) < 0) {
        nw_parse_warn(opts, "trailer date not valid, left out: %s", terr.msg);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------- text --- */

typedef struct take_text {
    char *headline;
    char *by;
    nw_buf ednote;
    nw_buf summary;
    nw_buf body; /* paragraphs joined by "\n\n" */
} take_text;

static void text_free(take_text *t)
{
    free(t->headline);
    free(t->by);
    nw_buf_free(&t->ednote);
    nw_buf_free(&t->summary);
    nw_buf_free(&t->body);
}

static void join_to(nw_buf *b, const char *sep, const char *s)
{
    if (b->len)
        nw_buf_puts(b, sep);
    nw_buf_puts(b, s);
}

static bool only_char(const char *s, char c)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s != c && *s != ' ')
            return false;
    return true;
}

static bool has_lower(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s))
            return true;
    return false;
}

/* A dpa desk sign-off: "dpa wsz jln npr". */
static bool is_signoff(const char *s)
{
    if (strncmp(s, "dpa ", 4))
        return false;
    for (s += 4; *s; s++)
        if (!islower((unsigned char)*s) && *s != ' ')
            return false;
    return true;
}

/* Body lines from index i on. */
static int body_from(const lines *ls, size_t i, bool ap, take_text *tt)
{
    bool in_para = false;
    for (; i < ls->len; i++) {
        bool ind, caret, table;
        char mark;
        char *s = clean_line(&ls->items[i], &ind, &caret, &mark, &table);
        if (!s)
            return NW_ENOMEM;
        if (ap) {
            char *t = ap_typography(s);
            free(s);
            if (!(s = t))
                return NW_ENOMEM;
        }
        if (!*s) {
            in_para = false;
        } else if (!ap && s[0] == '#' && strstr(s, "NOTEBOOK")) {
            free(s); /* "not for publication" from here */
            break;
        } else if (only_char(s, '_') || only_char(s, '*') || (!ap && is_signoff(s))) {
            in_para = false;
        } else {
            bool starts =
                ind || caret || table || (!ap && ls->items[i].len && ls->items[i].p[0] == ' ');
            if (in_para && !starts)
                nw_buf_putc(&tt->body, ' ');
            else if (tt->body.len)
                nw_buf_puts(&tt->body, "\n\n");
            nw_buf_puts(&tt->body, s);
            in_para = !(table || (ap && !ind));
        }
        free(s);
    }
    return nw_buf_failed(&tt->body) ? NW_ENOMEM : 0;
}

/* AP: '^' header lines (keyword, headline, photo, Eds, summary, By) then body. */
static int ap_text(const lines *ls, take_text *tt)
{
    size_t i = 0, hdr = 0;
    bool after_by = false;
    for (; i < ls->len; i++) {
        bool ind, caret, table;
        char mark;
        char *raw = clean_line(&ls->items[i], &ind, &caret, &mark, &table);
        if (!raw)
            return NW_ENOMEM;
        char *s = ap_typography(raw);
        free(raw);
        if (!s)
            return NW_ENOMEM;
        if (!caret || ind || table || !mark || (after_by && mark == '=' && !has_lower(s))) {
            free(s);
            break;
        }
        hdr++;
        if (hdr == 1) {
            /* keyword line "BC-..., 1st Ld-Writethru,416": kept as a fallback headline */
            char *comma = strrchr(s, ',');
            if (comma && (all_digits(comma + 1, strlen(comma + 1)) || !comma[1]))
                *comma = '\0';
            const char *dash = strstr(s, "--");
            tt->headline = strdup(dash ? dash + 2 : s);
            free(s);
            if (!tt->headline)
                return NW_ENOMEM;
            continue;
        }
        if (hdr == 2) {
            free(tt->headline);
            tt->headline = s;
            continue;
        }
        if (!strncmp(s, "AP Photo", 8)) {
            /* photo references: not text */
        } else if (!strncmp(s, "Eds:", 4) || !strncmp(s, "(Eds:", 5) ||
                   !strncmp(s, "EDITOR'S NOTE", 13)) {
            join_to(&tt->ednote, " ", s);
        } else if (!strncmp(s, "By ", 3) && !tt->by) {
            tt->by = strdup(s + 3);
            after_by = true;
            if (!tt->by) {
                free(s);
                return NW_ENOMEM;
            }
        } else if (after_by && mark == '=' && tt->by) {
            size_t n = strlen(tt->by) + strlen(s) + 3;
            char *b = malloc(n);
            if (!b) {
                free(s);
                return NW_ENOMEM;
            }
            snprintf(b, n, "%s, %s", tt->by, s);
            free(tt->by);
            tt->by = b;
        } else if (mark == '<') {
            join_to(&tt->summary, " ", s);
        } else {
            free(s);
            break; /* a body line that looks like a header line */
        }
        free(s);
    }
    return body_from(ls, i, true, tt);
}

/* IPTC 7901 (dpa): markers, headline, "By ... =", blank line, paragraphs. */
static int iptc_text(const lines *ls, take_text *tt, take_info *ti)
{
    size_t i = 0, first = 0, last = 0;
    while (i < ls->len) { /* skip leading blank lines */
        bool ind, caret, table;
        char mark;
        char *s = clean_line(&ls->items[i], &ind, &caret, &mark, &table);
        if (!s)
            return NW_ENOMEM;
        bool blank = !*s;
        free(s);
        if (!blank)
            break;
        i++;
    }
    first = i;
    char *prev = NULL;
    for (; i < ls->len; i++) {
        bool ind, caret, table;
        char mark;
        char *s = clean_line(&ls->items[i], &ind, &caret, &mark, &table);
        if (!s) {
            free(prev);
            return NW_ENOMEM;
        }
        if (!*s || i - first >= 6) {
            free(s);
            break;
        }
        if (!strncmp(s, "By ", 3) && mark == '=') {
            free(tt->by);
            tt->by = strdup(s + 3);
            free(s);
            continue;
        }
        if (prev) {
            join_to(&tt->ednote, " ", prev);
            if (!ti->lead)
                ti->lead = lead_number(prev);
            free(prev);
        }
        prev = s;
        last = i;
    }
    (void)last;
    tt->headline = prev;
    return body_from(ls, i, false, tt);
}

/* "ATLANTA (AP) _ ..." / "Berlin (dpa) - ..." -> the place. */
static char *located_of(const char *para)
{
    const char *open = strchr(para, '(');
    if (!open || open - para > 60 || open == para)
        return NULL;
    const char *close = strchr(open, ')');
    if (!close || close - open > 30)
        return NULL;
    const char *after = close + 1;
    if (strncmp(after, " \xE2\x80\x94", 4) && strncmp(after, " - ", 3) && strncmp(after, " _ ", 3))
        return NULL;
    return nw_text_squeeze(para, (size_t)(open - para));
}

/* ------------------------------------------------------------ story --- */

static void pct_encode(nw_buf *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("._~:-", *c))
            nw_buf_putc(b, (char)*c);
        else
            nw_buf_printf(b, "%%%02X", *c);
    }
}

static int build_story(const char *take, size_t take_len, const nw_parse_opts *opts, int index,
                       nw_story_list *out, nw_err *err)
{
    const char *end = take + take_len;
    const char *stx = memchr(take, STX, take_len);
    const char *etx = stx ? memchr(stx, ETX, (size_t)(end - stx)) : NULL;
    const char *text_start = stx ? stx + 1 : NULL;
    const char *text_end = etx ? etx : end;
    const char *eot = memchr(text_end, EOT, (size_t)(end - text_end));
    if (!stx)
        return nw_err_set(err, NW_EINVAL,
                          "take %d: no STX (0x02) start-of-text: expected an IPTC 7901 / ANPA "
                          "1312 header, STX, text, ETX",
                          index);

    take_info ti = {0};
    snprintf(ti.provider, sizeof ti.provider, "iptc7901");
    lines head = {0}, body = {0};
    take_text tt = {0};
    nw_story *story = NULL;
    nw_buf uri = NW_BUF_INIT, key = NW_BUF_INIT, trailer = NW_BUF_INIT;
    int rc = split_lines(take, stx, &head);
    if (!rc)
        rc = split_lines(text_start, text_end, &body);
    if (rc)
        goto oom;

    /* header */
    if (head.len && memchr(head.items[0].p, US, head.items[0].len)) {
        ti.anpa = true;
        anpa_header(&head.items[0], head.len > 1 ? &head.items[1] : NULL, &ti);
    } else if (head.len) {
        iptc_header(&head.items[0], &ti);
        for (size_t i = 1; i < head.len; i++) { /* the slug line */
            bool ind, caret, table;
            char mark;
            char *s = clean_line(&head.items[i], &ind, &caret, &mark, &table);
            if (!s)
                goto oom;
            size_t n = strlen(s);
            while (n && s[n - 1] == '/')
                s[--n] = '\0';
            if (n && !ti.slug[0])
                snprintf(ti.slug, sizeof ti.slug, "%s", s);
            free(s);
        }
    }
    nw_buf_append(&trailer, text_end, (size_t)((eot ? eot : end) - text_end));
    if (nw_buf_failed(&trailer))
        goto oom;
    bool ap_trailer = strstr(nw_buf_str(&trailer), "AP-") != NULL;
    if (ti.anpa || ap_trailer) {
        snprintf(ti.provider, sizeof ti.provider, ti.anpa && !ap_trailer ? "anpa" : "ap");
        snprintf(ti.provider_name, sizeof ti.provider_name, ti.anpa && !ap_trailer ? "ANPA" : "AP");
    }

    /* text */
    rc = ti.anpa ? ap_text(&body, &tt) : iptc_text(&body, &tt, &ti);
    if (rc)
        goto oom;

    story = nw_story_new();
    if (!story)
        goto oom;
    char when[NW_TIME_RFC3339_MAX] = "";
    bool seen = false;
    if (!trailer_time(nw_buf_str(&trailer), opts, when, &seen)) {
        when[0] = '\0';
        if (!seen)
            nw_parse_warn(opts, "take %d: no date in the trailer, versionCreated left out", index);
    }

    /* uri: provider, slug, day */
    nw_utf8_clip(ti.slug); /* the fixed-size copies may have cut a character */
    const char *slug = ti.slug[0] ? ti.slug : NULL;
    char hex[33];
    if (slug) {
        nw_buf_printf(&key, "%s\n%s\n%.10s", ti.provider, slug, when);
        nw_text_hash_hex(nw_buf_str(&key), key.len, hex);
    } else {
        nw_text_hash_hex(take, take_len, hex);
    }
    hex[16] = '\0';
    nw_buf_printf(&uri, "urn:newswire:%s:", ti.provider);
    if (slug) {
        pct_encode(&uri, slug);
        nw_buf_putc(&uri, ':');
    }
    nw_buf_puts(&uri, hex);
    char version[12];
    snprintf(version, sizeof version, "%d", ti.lead + 1);
    if (nw_buf_failed(&uri) || nw_buf_failed(&key) || nw_story_set(&story->uri, nw_buf_str(&uri)) ||
        nw_story_set(&story->type, "text") || nw_story_set(&story->version, version) ||
        nw_story_set(&story->pub_status, "usable") ||
        (slug && nw_story_set(&story->slugline, slug)) ||
        (when[0] && (nw_story_set(&story->version_created, when) ||
                     nw_story_set(&story->first_created, when))) ||
        (tt.by && *tt.by && nw_story_set(&story->by, tt.by)) ||
        (tt.ednote.len && nw_story_set(&story->ed_note, nw_buf_str(&tt.ednote))) ||
        (tt.headline && *tt.headline &&
         nw_text_list_add(&story->headlines, tt.headline, "main", "text/plain")) ||
        (tt.summary.len && nw_text_list_add(&story->descriptions, nw_buf_str(&tt.summary),
                                            "summary", "text/plain")) ||
        (ti.provider_name[0] &&
         nw_entity_list_add(&story->info_sources, ti.provider_name, NULL, NULL, "source")))
        goto oom;
    story->urgency = priority_urgency(&ti);
    if (tt.body.len) {
        char *html = nw_html_from_paragraphs(nw_buf_str(&tt.body));
        if (!html || nw_text_list_add(&story->bodies, nw_buf_str(&tt.body), NULL, "text/plain") ||
            nw_text_list_add(&story->bodies, html, NULL, "text/html")) {
            free(html);
            goto oom;
        }
        free(html);
        char *place = located_of(nw_buf_str(&tt.body));
        if (place && *place && nw_story_set(&story->located, place)) {
            free(place);
            goto oom;
        }
        free(place);
    }
    const char *cat = ti.category[0] ? category_name(ti.category) : opts->default_category;
    if (cat) {
        nw_err cerr = {0};
        rc = nw_story_add_category(story, cat, &cerr);
        if (rc == NW_ENOMEM)
            goto oom;
        if (rc < 0)
            nw_parse_warn(opts, "take %d: category skipped: %s", index, cerr.msg);
    }
    if (!story->headlines.len && !story->bodies.len) {
        rc = nw_err_set(err, NW_EINVAL, "take %d: no headline and no text between STX and ETX",
                        index);
        goto fail;
    }
    free(head.items);
    free(body.items);
    text_free(&tt);
    nw_buf_free(&uri);
    nw_buf_free(&key);
    nw_buf_free(&trailer);
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
oom:
    rc = nw_err_set(err, NW_ENOMEM, "out of memory");
fail:
    nw_story_free(story);
    free(head.items);
    free(body.items);
    text_free(&tt);
    nw_buf_free(&uri);
    nw_buf_free(&key);
    nw_buf_free(&trailer);
    return rc;
}

/* ------------------------------------------------------------ parser --- */

/* Valid UTF-8 copy with LF line ends and no NUL bytes. */
static char *clean_bytes(const char *buf, size_t len, const nw_parse_opts *opts, size_t *out_len)
{
    char *tmp = malloc(len + 1);
    if (!tmp)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\0')
            continue;
        if (buf[i] == '\r') {
            tmp[o++] = '\n';
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
        } else {
            tmp[o++] = buf[i];
        }
    }
    tmp[o] = '\0';
    size_t bad = 0;
    if (!nw_utf8_valid(tmp, o, &bad)) {
        size_t count = 0;
        char *rep = nw_utf8_repair(tmp, o, &count);
        free(tmp);
        if (!rep)
            return NULL;
        nw_parse_warn(opts, "invalid UTF-8 at offset %zu: %zu byte(s) decoded as windows-1252", bad,
                      count);
        tmp = rep;
        o = strlen(rep);
    }
    char *nfc = nw_utf8_nfc(tmp, o);
    if (nfc) {
        free(tmp);
        tmp = nfc;
        o = strlen(nfc);
    }
    *out_len = o;
    return tmp;
}

static int iptc7901_detect(const char *buf, size_t len)
{
    size_t n = len < 8192 ? len : 8192;
    size_t i = 0;
    while (i < n && ((unsigned char)buf[i] == 0x16 || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    if (i >= n || buf[i] != SOH)
        return 0;
    return memchr(buf + i, STX, n - i) ? 95 : 60;
}

static int iptc7901_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    size_t clen = 0;
    char *text = clean_bytes(buf, len, opts, &clen);
    if (!text)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    const char *p = text, *end = text + clen;
    const char *soh = memchr(p, SOH, clen);
    int rc = 0, index = 0;
    if (!soh) {
        rc = nw_err_set(err, NW_EINVAL,
                        "no SOH (0x01) start-of-header: not an IPTC 7901 / ANPA 1312 take");
    }
    while (rc == 0 && soh) {
        const char *next = memchr(soh + 1, SOH, (size_t)(end - soh - 1));
        const char *stop = next ? next : end;
        index++;
        rc = build_story(soh + 1, (size_t)(stop - soh - 1), opts, index, out, err);
        soh = next;
    }
    free(text);
    return rc;
}

const nw_parser nw_parser_iptc7901 = {
    .name = "iptc7901",
    .description = "IPTC 7901 / ANPA 1312 wire takes (SOH header, STX text, ETX trailer)",
    .detect = iptc7901_detect,
    .parse = iptc7901_parse,
    .flags = NW_PARSER_RAW_BYTES,
};
