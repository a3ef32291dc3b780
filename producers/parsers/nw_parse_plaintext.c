/*
 * nw_parse_plaintext — two plain-text layouts: "webcopy" (a story saved from
 * a news site: headline, a "Source:X Published: date" line, an optional photo
 * caption, paragraphs, "Posted in:" categories, site furniture) and
 * "headline-text" (line 1 headline, blank line, paragraphs; the BBC corpus).
 * Both produce one story with a text/plain and a text/html body.
 *
 * The text arrives clean from nw_parse_buffer (UTF-8, LF, no NUL). A
 * paragraph is a run of non-blank lines; its lines are joined and its
 * whitespace folded (nw_text_squeeze). The first non-blank line is always a
 * paragraph of its own: the headline.
 *
 * webcopy rules (the contract other teams rely on):
 *   - Source line: the first paragraph starting "Source:" (any case) that also
 *     holds "Published:". Provider = text between the two (infoSources
 *     {name, role "source"}); date = "YYYY-MM-DD H:MM[:SS]" ('T' or spaces
 *     between), optionally followed by a zone ("UTC", "+08:00", an IANA name)
 *     that overrides opts->timezone. versionCreated = firstCreated = that
 *     instant in UTC. Missing or bad Source line = error naming the line.
 *   - Paragraphs between the headline and the Source line open the body.
 *   - Caption: ONLY the paragraph right after the Source line, and only when
 *     it ends with a photo credit: one of the words Photo, Photos, Photograph,
 *     Picture, Pic, Image, Credit, Photo credit, File photo (any case, starting
 *     a word) followed by ':' or "by", then a credit of 1..80 bytes holding no
 *     sentence break (". "), optionally inside () or [] and followed by '.';
 *     or an agency credit in capitals "AFP PHOTO" / "AFP PHOTO / NAME". It
 *     becomes associations[0] = {name "picture1", type "picture",
 *     uri "<story uri>/picture1", descriptions [{role "caption",
 *     contentType "text/plain", value <whole paragraph>}]} and is not body.
 *   - Category lines "Posted in:", "Filed under:", "Categories:",
 *     "Category:" anywhere after the Source line: the list split on ',', ';'
 *     and '|' becomes categories (nw_story_add_category) and is not body.
 *     Without one, opts->default_category is used.
 *   - Site furniture (whole paragraph, any case, trailing ':' or "..."
 *     ignored). CUT lines end the article, dropping themselves and every
 *     paragraph after them: "blog comments powered by ..." / "comments
 *     powered by ...", "Share this", "Share this article", "Share this
 *     story", "Related posts", "Related articles", "Related stories",
 *     "Related", "You may also like", "Like this", "Comments", "Leave a
 *     comment", "Leave a reply", "Please enable JavaScript to view the
 *     comments ...". DROP lines are removed where they stand: "Advertisement",
 *     "Share", "Tweet", "Email", "Print". A CUT line that would leave no
 *     body at all is only dropped, never used to cut.
 *   - uri = "urn:newswire:<provider slug>:<YYYYMMDDTHHMMSSZ>:<first 16 hex of
 *     nw_text_hash_hex(headline)>" (provider slug = nw_text_slug(provider),
 *     or "src-<8 hex of the provider's hash>" when the slug is empty), so the
 *     same copy always gets the same uri.
 *
 * headline-text: no dates (versionCreated/firstCreated absent), category =
 * opts->default_category, uri = "urn:newswire:text:<nw_text_hash_hex(headline
 * "\n\n" plain body)>".
 *
 * Both: type "text", version "1", pubStatus "usable", language unset,
 * headlines [{value, role "main", contentType "text/plain"}], bodies
 * [{text/plain: paragraphs joined by "\n\n"}, {text/html: "<p>..</p>" per
 * paragraph, HTML-escaped, joined by "\n"}].
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"

/* ------------------------------------------------------------- strings --- */

/* A growable string; `oom` sticks once an allocation failed. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_append(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_append(b, s, strlen(s));
}

static void sb_html_escape(sbuf *b, const char *s)
{
    for (;;) {
        size_t n = strcspn(s, "&<>\"'"); /* runs between the specials, not bytes */
        sb_append(b, s, n);
        s += n;
        const char *rep;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: return; /* the end */
        }
        sb_puts(b, rep);
        s++;
    }
}

/* ---------------------------------------------------------- paragraphs --- */

typedef struct para {
    char *text; /* squeezed, non-empty, owned */
    int line;   /* 1-based line where it starts */
} para;

typedef struct para_list {
    para *items;
    size_t len, cap;
} para_list;

static void paras_free(para_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].text);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* The most paragraphs one text file may have. Each costs a list entry and a
 * string of its own (about 50 bytes for a one-letter one) before the story
 * is made of them: 16 MiB of "a\n\n" (5.6 million) took `newswire parse`
 * to 555 MB. Real stories have tens; 200,000 keeps such a list near 10 MB.
 * A file past it is refused (docs/operations.md, "Sizing"). */
#define MAX_PARAGRAPHS 200000

/* Squeeze buf[start..end) into a paragraph unless it is only whitespace. */
static int paras_push(para_list *l, const char *start, const char *end, int line, nw_err *err)
{
    char *text = nw_text_squeeze(start, (size_t)(end - start));
    if (!text)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (!text[0]) {
        free(text);
        return 0;
    }
    if (l->len == MAX_PARAGRAPHS) {
        free(text);
        return nw_err_set(err, NW_ELIMIT,
                          "line %d: over the limit of %d paragraphs in one text file: refused to "
                          "bound memory",
                          line, MAX_PARAGRAPHS);
    }
    if (l->len == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        para *n = realloc(l->items, ncap * sizeof *n);
        if (!n) {
            free(text);
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        }
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->len++] = (para){text, line};
    return 0;
}

static bool line_blank(const char *s, const char *end)
{
    for (; s < end; s++)
        if (*s != ' ' && *s != '\t' && *s != '\f' && *s != '\v')
            return false;
    return true;
}

/* Split into paragraphs; the first non-blank line is a paragraph of its own.
 * 0, or negative with err set. */
static int split_paragraphs(const char *buf, size_t len, para_list *out, nw_err *err)
{
    int rc = 0;
    const char *p = buf, *end = buf + len;
    const char *start = NULL; /* start of the current paragraph */
    int line = 1, start_line = 0;
    bool had_headline = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (line_blank(p, eol)) {
            if (start && (rc = paras_push(out, start, p, start_line, err)) < 0)
                return rc;
            start = NULL;
        } else {
            if (!start) {
                start = p;
                start_line = line;
            }
            if (!had_headline) {
                had_headline = true;
                if ((rc = paras_push(out, start, eol, start_line, err)) < 0)
                    return rc;
                start = NULL;
            }
        }
        p = nl ? nl + 1 : end;
        line++;
    }
    if (start && (rc = paras_push(out, start, end, start_line, err)) < 0)
        return rc;
    return 0;
}

/* Start of the line after `p`, or NULL at the end. */
static const char *next_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : NULL;
}

/* ------------------------------------------------------- small matchers --- */

static bool starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_source_line(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    return n >= 7 && !strncasecmp(s, "Source:", 7) && nw_find_ci(s, n, "Published:");
}

/* ------------------------------------------------------------- captions --- */

static const char *const credit_words[] = {
    "photo credit", "file photo", "photograph", "photos", "photo",
    "picture",      "image",      "credit",     "pic",
};

static bool is_word_start(const char *text, const char *p)
{
    if (p == text)
        return true;
    unsigned char c = (unsigned char)p[-1];
    return c == ' ' || c == '(' || c == '[' || c == '|' || c == '/' || c == '-';
}

/* Does text[q..end) look like a credit: 1..80 bytes, no sentence break? */
static bool credit_ok(const char *q, const char *end)
{
    while (q < end && *q == ' ')
        q++;
    size_t n = (size_t)(end - q);
    if (n < 1 || n > 80)
        return false;
    for (const char *s = q; s + 1 < end; s++)
        if ((*s == '.' || *s == '!' || *s == '?') && s[1] == ' ')
            return false;
    return true;
}

/* "AFP PHOTO" or "AFP PHOTO / NAME" in capitals at the end. */
static bool agency_photo_credit(const char *text, const char *end)
{
    const char *hit = NULL;
    for (const char *p = text; (p = strstr(p, " PHOTO")) && p < end; p++)
        hit = p;
    if (!hit)
        return false;
    /* an upper-case word of 2+ letters before it */
    const char *w = hit;
    size_t caps = 0;
    while (w > text && isupper((unsigned char)w[-1])) {
        w--;
        caps++;
    }
    if (caps < 2 || !is_word_start(text, w))
        return false;
    const char *q = hit + 6;
    while (q < end && *q == ' ')
        q++;
    if (q == end)
        return true;
    if (*q != '/')
        return false;
    return credit_ok(q + 1, end);
}

static bool is_caption(const char *text)
{
    size_t n = strlen(text);
    if (n > 1000)
        return false;
    const char *end = text + n;
    while (end > text && (end[-1] == '.' || end[-1] == ' '))
        end--;
    char closer = 0;
    if (end > text && (end[-1] == ')' || end[-1] == ']'))
        closer = *--end;
    if (agency_photo_credit(text, end))
        return true;
    /* the last credit word that starts a word (or opens the brackets) and
     * leads to a credit */
    char opener = closer == ')' ? '(' : '[';
    size_t from = end - text > 120 ? (size_t)(end - text) - 120 : 0;
    for (size_t off = (size_t)(end - text); off-- > from;) {
        const char *p = text + off;
        if (!is_word_start(text, p) || (closer && (p == text || p[-1] != opener)))
            continue;
        for (size_t i = 0; i < sizeof credit_words / sizeof credit_words[0]; i++) {
            size_t k = strlen(credit_words[i]);
            if ((size_t)(end - p) <= k || strncasecmp(p, credit_words[i], k))
                continue;
            const char *q = p + k;
            while (q < end && *q == ' ')
                q++;
            if (q < end && *q == ':')
                q++;
            else if (end - q > 3 && !strncasecmp(q, "by ", 3))
                q += 3;
            else
                continue;
            if (credit_ok(q, end))
                return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ furniture --- */

typedef enum { FURN_NONE, FURN_DROP, FURN_CUT } furniture;

static const char *const cut_exact[] = {
    "share this",       "share this article", "share this story", "related posts",
    "related articles", "related stories",    "related",          "you may also like",
    "like this",        "comments",           "leave a comment",  "leave a reply",
};
static const char *const cut_prefix[] = {
    "blog comments powered by",
    "comments powered by",
    "please enable javascript to view the comments",
};
static const char *const drop_exact[] = {"advertisement", "share", "tweet", "email", "print"};

static furniture classify_furniture(const char *text)
{
    size_t n = strlen(text);
    /* ignore a trailing ':' or "..." / "…" */
    while (n && (text[n - 1] == ':' || text[n - 1] == '.' || text[n - 1] == ' '))
        n--;
    if (n >= 3 && !memcmp(text + n - 3, "\xE2\x80\xA6", 3))
        n -= 3;
    for (size_t i = 0; i < sizeof cut_prefix / sizeof cut_prefix[0]; i++)
        if (starts_with_ci(text, cut_prefix[i]))
            return FURN_CUT;
    for (size_t i = 0; i < sizeof cut_exact / sizeof cut_exact[0]; i++)
        if (strlen(cut_exact[i]) == n && !strncasecmp(text, cut_exact[i], n))
            return FURN_CUT;
    for (size_t i = 0; i < sizeof drop_exact / sizeof drop_exact[0]; i++)
        if (strlen(drop_exact[i]) == n && !strncasecmp(text, drop_exact[i], n))
            return FURN_DROP;
    return FURN_NONE;
}

static const char *const category_labels[] = {
    "Posted in:", "Filed under:", "Categories:", "Category:"};

/* The list after a category label, or NULL when text is not a category line. */
static const char *category_list(const char *text)
{
    for (size_t i = 0; i < sizeof category_labels / sizeof category_labels[0]; i++)
        if (starts_with_ci(text, category_labels[i]))
            return text + strlen(category_labels[i]);
    return NULL;
}

static int add_categories(nw_story *story, const char *list, const para *where,
                          const nw_parse_opts *opts, nw_err *err)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",;|");
        char *name = nw_text_squeeze(p, n);
        if (!name)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        if (name[0]) {
            nw_err cerr = {0};
            int rc = nw_story_add_category(story, name, &cerr);
            if (rc == NW_ENOMEM) {
                free(name);
                return nw_err_set(err, NW_ENOMEM, "out of memory");
            }
            if (rc < 0)
                nw_parse_warn(opts, "line %d: category skipped: %s", where->line, cerr.msg);
        }
        free(name);
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

/* ---------------------------------------------------------- the story --- */

/* A story with the fields both layouts share: headline, bodies, status. */
static int story_common(nw_story *story, const char *headline, const para *body, size_t body_len,
                        sbuf *plain)
{
    sbuf html = {0};
    for (size_t i = 0; i < body_len; i++) {
        if (i)
            sb_puts(plain, "\n\n");
        sb_puts(plain, body[i].text);
        if (i)
            sb_puts(&html, "\n");
        sb_puts(&html, "<p>");
        sb_html_escape(&html, body[i].text);
        sb_puts(&html, "</p>");
    }
    int rc = NW_ENOMEM;
    if (!plain->oom && !html.oom && !nw_story_set(&story->type, "text") &&
        !nw_story_set(&story->version, "1") && !nw_story_set(&story->pub_status, "usable") &&
        !nw_text_list_add(&story->headlines, headline, "main", "text/plain") &&
        !nw_text_list_add(&story->bodies, plain->p, NULL, "text/plain") &&
        !nw_text_list_add(&story->bodies, html.p, NULL, "text/html"))
        rc = 0;
    free(html.p);
    return rc;
}

static int add_default_category(nw_story *story, const nw_parse_opts *opts, nw_err *err)
{
    if (!opts->default_category || nw_story_categories(story, NULL, 0) > 0)
        return 0;
    int rc = nw_story_add_category(story, opts->default_category, err);
    if (rc < 0 && rc != NW_ENOMEM)
        nw_err_prefix(err, "default category: ");
    return rc;
}

/* ------------------------------------------------------------- webcopy --- */

static int webcopy_detect(const char *buf, size_t len)
{
    const char *end = buf + (len < 8192 ? len : 8192);
    int lines = 0;
    for (const char *p = buf; p && p < end && lines < 64; p = next_line(p, end), lines++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (is_source_line(p, (size_t)((nl ? nl : end) - p)))
            return 90;
    }
    return 0;
}

/* Read min..max digits at *p into *v. */
static bool read_digits(const char **p, int min, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n >= min;
}

/* Parse "YYYY-MM-DD H:MM[:SS] [zone]" into *epoch. */
static int parse_published(const char *s, const char *default_zone, int64_t *epoch, nw_err *err)
{
    nw_civil c = {0};
    const char *p = s;
    if (!read_digits(&p, 4, 4, &c.year) || *p++ != '-' || !read_digits(&p, 1, 2, &c.month) ||
        *p++ != '-' || !read_digits(&p, 1, 2, &c.day) || (*p != 'T' && *p != ' '))
        goto bad;
    while (*p == 'T' || *p == ' ')
        p++;
    if (!read_digits(&p, 1, 2, &c.hour) || *p++ != ':' || !read_digits(&p, 2, 2, &c.min))
        goto bad;
    if (*p == ':' && (p++, !read_digits(&p, 2, 2, &c.sec)))
        goto bad;
    if (*p && *p != ' ')
        goto bad;
    while (*p == ' ')
        p++;
    return nw_time_from_civil(&c, *p ? p : default_zone, epoch, err);
bad:
    return nw_err_set(err, NW_EINVAL, "Published: '%s' is not a date 'YYYY-MM-DD H:MM[:SS]'", s);
}

/* Provider slug for the uri; never empty. */
static char *provider_slug(const char *provider)
{
    char *slug = nw_text_slug(provider);
    if (slug && !slug[0]) {
        char hex[33];
        nw_text_hash_hex(provider, strlen(provider), hex);
        free(slug);
        slug = malloc(4 + 8 + 1);
        if (slug)
            snprintf(slug, 13, "src-%.8s", hex);
    }
    return slug;
}

static int add_caption(nw_story *story, const char *caption)
{
    sbuf uri = {0};
    sb_puts(&uri, story->uri);
    sb_puts(&uri, "/picture1");
    if (uri.oom)
        return NW_ENOMEM;
    json_t *assoc = json_pack("[{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}]", "name", "picture1", "type",
                              "picture", "uri", uri.p, "descriptions", "role", "caption",
                              "contentType", "text/plain", "value", caption);
    free(uri.p);
    if (!assoc)
        return NW_ENOMEM;
    json_decref(story->associations);
    story->associations = assoc;
    return 0;
}

static int webcopy_build(const para_list *paras, const nw_parse_opts *opts, nw_story *story,
                         nw_err *err)
{
    const para *headline = &paras->items[0];
    if (is_source_line(headline->text, strlen(headline->text)))
        return nw_err_set(err, NW_EINVAL, "line %d: expected a headline before the Source: line",
                          headline->line);
    size_t src = 0;
    for (size_t i = 1; i < paras->len && !src; i++)
        if (is_source_line(paras->items[i].text, strlen(paras->items[i].text)))
            src = i;
    if (!src)
        return nw_err_set(err, NW_EINVAL,
                          "no 'Source: <provider> Published: <date>' line (plain text without "
                          "one: try --format headline-text)");
    const para *sp = &paras->items[src];

    /* Source:<provider> Published: <date> */
    const char *s = sp->text;
    while (*s == ' ')
        s++;
    s += 7;
    const char *pub = nw_find_ci(s, strlen(s), "Published:");
    char *provider = nw_text_squeeze(s, (size_t)(pub - s));
    if (!provider)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (!provider[0]) {
        free(provider);
        return nw_err_set(err, NW_EINVAL, "line %d: the Source: line names no provider", sp->line);
    }
    const char *date = pub + 10;
    while (*date == ' ')
        date++;
    int64_t epoch = 0;
    int rc = parse_published(date, opts->timezone, &epoch, err);
    char when[NW_TIME_RFC3339_MAX];
    if (rc == 0 && nw_time_format(epoch, when) < 0)
        rc = nw_err_set(err, NW_EINVAL, "Published: '%s' is out of range", date);
    if (rc < 0) {
        free(provider);
        return nw_err_prefix(err, "line %d: ", sp->line);
    }

    /* caption, categories, furniture, body */
    size_t first = src + 1;
    const char *caption = NULL;
    if (first < paras->len && is_caption(paras->items[first].text))
        caption = paras->items[first++].text;

    size_t cap = paras->len, n = 0;
    const para **body = malloc((cap ? cap : 1) * sizeof *body);
    if (!body) {
        free(provider);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    for (size_t i = 1; i < src; i++)
        body[n++] = &paras->items[i];
    bool cut = false;
    for (size_t i = first; i < paras->len && rc == 0; i++) {
        const para *p = &paras->items[i];
        const char *cats = category_list(p->text);
        if (cats) {
            rc = add_categories(story, cats, p, opts, err);
            continue;
        }
        if (cut)
            continue;
        furniture f = classify_furniture(p->text);
        if (f == FURN_CUT && n > 0)
            cut = true;
        if (f == FURN_NONE)
            body[n++] = p;
    }
    if (rc == 0 && n == 0)
        rc = nw_err_set(err, NW_EINVAL, "line %d: no body text after the Source: line", sp->line);

    /* the story */
    char *slug = NULL;
    para *flat = NULL;
    sbuf plain = {0}, uri = {0};
    if (rc == 0) {
        flat = malloc(n * sizeof *flat);
        slug = provider_slug(provider);
        if (!flat || !slug)
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            flat[i] = *body[i];
        char stamp[NW_TIME_RFC3339_MAX], hex[33];
        size_t o = 0;
        for (const char *w = when; *w; w++)
            if (*w != '-' && *w != ':')
                stamp[o++] = *w;
        stamp[o] = '\0';
        nw_text_hash_hex(headline->text, strlen(headline->text), hex);
        hex[16] = '\0';
        sb_puts(&uri, "urn:newswire:");
        sb_puts(&uri, slug);
        sb_puts(&uri, ":");
        sb_puts(&uri, stamp);
        sb_puts(&uri, ":");
        sb_puts(&uri, hex);
        if (uri.oom || nw_story_set(&story->uri, uri.p) ||
            story_common(story, headline->text, flat, n, &plain) ||
            nw_story_set(&story->version_created, when) ||
            nw_story_set(&story->first_created, when) ||
            nw_entity_list_add(&story->info_sources, provider, NULL, NULL, "source") ||
            (caption && add_caption(story, caption)))
            rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = add_default_category(story, opts, err);
    free(plain.p);
    free(uri.p);
    free(flat);
    free(slug);
    free(body);
    free(provider);
    return rc;
}

static int webcopy_parse(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                         nw_err *err)
{
    para_list paras = {0};
    int rc = split_paragraphs(buf, len, &paras, err);
    if (rc < 0) {
        paras_free(&paras);
        return rc;
    }
    if (paras.len == 0) {
        paras_free(&paras);
        return nw_err_set(err, NW_EINVAL, "no text");
    }
    nw_story *story = nw_story_new();
    rc = story ? webcopy_build(&paras, opts, story, err)
               : nw_err_set(err, NW_ENOMEM, "out of memory");
    paras_free(&paras);
    if (rc < 0) {
        nw_story_free(story);
        return rc;
    }
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ------------------------------------------------------- headline-text --- */

/* 40 for "short first line, blank line, more text"; 10 for any text of two
 * or more lines (a weak guess, so every other format wins over it); else 0. */
static int headline_text_detect(const char *buf, size_t len)
{
    const char *end = buf + len, *p = buf;
    while (p) { /* the first non-blank line */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!line_blank(p, nl ? nl : end))
            break;
        p = nl ? nl + 1 : NULL;
    }
    if (p) { /* markup or JSON is some other format's, even an unknown one */
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q < end && (*q == '<' || *q == '{' || *q == '['))
            return 0;
    }
    const char *nl = p ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    if (!nl || line_blank(nl + 1, end))
        return 0; /* nothing after the first line */
    const char *second = nl + 1;
    const char *nl2 = memchr(second, '\n', (size_t)(end - second));
    bool blank_after = line_blank(second, nl2 ? nl2 : end);
    return blank_after && nl - p <= 300 ? 40 : 10;
}

static int headline_text_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                               nw_story_list *out, nw_err *err)
{
    para_list paras = {0};
    int rc = split_paragraphs(buf, len, &paras, err);
    if (rc < 0) {
        paras_free(&paras);
        return rc;
    }
    if (paras.len < 2) {
        int line = paras.len ? paras.items[0].line : 1;
        paras_free(&paras);
        return nw_err_set(err, NW_EINVAL, "line %d: a headline but no body text", line);
    }
    nw_story *story = nw_story_new();
    sbuf plain = {0}, hashed = {0}, uri = {0};
    rc = story ? 0 : NW_ENOMEM;
    if (rc == 0)
        rc = story_common(story, paras.items[0].text, paras.items + 1, paras.len - 1, &plain);
    if (rc == 0) {
        char hex[33];
        sb_puts(&hashed, paras.items[0].text);
        sb_puts(&hashed, "\n\n");
        sb_puts(&hashed, plain.p);
        if (hashed.oom) {
            rc = NW_ENOMEM;
        } else {
            nw_text_hash_hex(hashed.p, hashed.len, hex);
            sb_puts(&uri, "urn:newswire:text:");
            sb_puts(&uri, hex);
            rc = uri.oom ? NW_ENOMEM : nw_story_set(&story->uri, uri.p);
        }
    }
    if (rc < 0)
        nw_err_set(err, rc, "out of memory");
    else
        rc = add_default_category(story, opts, err);
    free(plain.p);
    free(hashed.p);
    free(uri.p);
    paras_free(&paras);
    if (rc < 0) {
        nw_story_free(story);
        return rc;
    }
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ------------------------------------------------------------ registry --- */

const nw_parser nw_parser_webcopy = {
    .name = "webcopy",
    .description = "web copy: headline, 'Source:X Published: date', caption, paragraphs, "
                   "'Posted in:'",
    .detect = webcopy_detect,
    .parse = webcopy_parse,
};

const nw_parser nw_parser_headline_text = {
    .name = "headline-text",
    .description = "plain text: headline on line 1, blank line, paragraphs (BBC corpus)",
    .detect = headline_text_detect,
    .parse = headline_text_parse,
};
