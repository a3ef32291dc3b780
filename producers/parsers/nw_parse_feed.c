/*
 * nw_parse_feed — syndication feeds: "rss" (RSS 0.9x, RSS 1.0/RDF, RSS 2.0,
 * WordPress WXR exports), "atom" (Atom 1.0, the Atom 0.3 namespace, a lone
 * <entry> document) and "jsonfeed" (JSON Feed 1.0/1.1). Every item/entry is
 * one story. "rss" and "atom" share one reader and the ROOT ELEMENT decides
 * the dialect, so either name parses either kind of XML feed.
 *
 * Mapping (the contract other teams rely on):
 *   uri        guid / atom:id / rdf:about / JSON id, kept when it is a URI
 *              (scheme ':' ...; bytes outside RFC 3986 are percent-encoded,
 *              IRI-style), else "urn:newswire:feed:<site>:<id>" with <site>
 *              = slug of the channel link's host (else of the channel title,
 *              else of the item link's host, else "unknown") and the id
 *              percent-encoded outside [A-Za-z0-9._~:-]; no id: the item's
 *              link (made absolute); no
 *              link: "urn:newswire:feed:<site>:<XXH3-128 hex of channel link
 *              \n title \n description>", stable across runs.
 *   link       ninjs 3.1 has no `link`: it goes to altIds [{role "link",
 *              value <absolute url>}] (an association would need a uri and a
 *              type for a web page that is not a news object).
 *   headline   title, as text (entities decoded, markup dropped), role "main".
 *   dates      versionCreated: RSS pubDate > dc:date > dcterms:modified >
 *              atom:updated > atom:published; Atom updated > published.
 *              firstCreated: published / dcterms:created / dcterms:issued
 *              when present. Loose forms via nw_date (localised names,
 *              two-digit years, named zones; zone-less in opts->timezone); an
 *              unparsable date is left out with a warning naming the line.
 *   categories RSS <category> and <dc:subject>, Atom <category label|term>
 *              (nw_story_add_category; an http(s) RSS domain becomes the
 *              subject's uri; one without letters/digits is skipped with a
 *              warning); WXR <category domain="post_tag"> is a keyword, not a
 *              category: subject {name, rel "keyword"}. None: default_category.
 *   bodies     content:encoded > atom:content (text, html, xhtml) >
 *              description / summary / excerpt:encoded, through
 *              nw_html_add_bodies; relative href/src are resolved against
 *              xml:base (inherited) or the channel link first. When a full
 *              content exists the description also becomes descriptions
 *              [{role "summary", contentType "text/plain"}].
 *   by         RSS author ("mail (Name)" -> Name) / dc:creator / atom
 *              author/name (entry, its source, else the feed's), joined ", ".
 *   provider   infoSources [{name <channel title>, role "source", uri
 *              <channel link when a URI>}].
 *   language   item xml:lang / dc:language > channel language / dc:language
 *              > root xml:lang ("en_US" -> "en-US").
 *   media      <enclosure>, Atom rel="enclosure", media:content (media:group)
 *              and, failing a picture, media:thumbnail -> associations
 *              {name "picture1"/"video1"/"audio1", uri, type, renditions
 *              [{name "original", href, contentType, width, height}],
 *              descriptions [{role "caption"}] from media:description/title}.
 *   status     pubStatus "usable"; WXR wp:status draft/pending/private/future
 *              -> "withheld", trash -> "canceled"; WXR attachments, menu items
 *              and revisions are not stories (skipped). No version: feeds
 *              carry none, and inventing "1" would hide updates.
 * JSON Feed: id (string or number) / url / title / content_html >
 * content_text > summary / date_modified > date_published (firstCreated when
 * both) / authors[].name (1.1) or author.name (1.0) / tags -> categories /
 * language; feed title and home_page_url as for RSS. Not RAW_BYTES: JSON is
 * UTF-8 by definition, so nw_parse_buffer's hygiene applies.
 * Text: C1 controls (U+0080..U+009F, windows-1252 bytes read as Latin-1)
 * become the punctuation windows-1252 meant (feedparser's "demoronize").
 * Items with neither a title nor any text (nothing to read, even if they
 * have an id or a link) are skipped with a warning. A feed without any
 * story is an error naming what was expected.
 * Memory: an RSS/Atom feed over nw_parse_opts.stream_above (1 MiB) is read
 * streaming, one item in memory at a time, with the same result as a whole
 * read (see "large feeds" below; docs/operations.md, Sizing).
 */
#include <ctype.h>
#include <jansson.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_buf.h"
#include "nw_date.h"
#include "nw_html.h"
#include "nw_json.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_xml.h"

#define NS_ATOM      "http://www.w3.org/2005/Atom"
#define NS_ATOM03    "http://purl.org/atom/ns#"
#define NS_DC        "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS   "http://purl.org/dc/terms/"
#define NS_CONTENT   "http://purl.org/rss/1.0/modules/content/"
#define NS_WP_PREFIX "http://wordpress.org/export/"

/* ----------------------------------------------------------- detection --- */

/* The first element's start ("<name"), skipping the prolog: declarations,
 * PIs, comments and DOCTYPE. NULL when none in the window. */
static const char *first_element(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        p = memchr(p, '<', (size_t)(end - p));
        if (!p || p + 1 >= end)
            return NULL;
        if (p[1] == '?' || p[1] == '!') {
            const char *close;
            if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
                close = NULL;
                for (const char *q = p + 4; q + 3 <= end; q++)
                    if (!memcmp(q, "-->", 3)) {
                        close = q + 2;
                        break;
                    }
            } else {
                close = memchr(p, '>', (size_t)(end - p));
            }
            if (!close)
                return NULL;
            p = close + 1;
            continue;
        }
        return p;
    }
    return NULL;
}

static bool name_is(const char *el, const char *end, const char *name)
{
    size_t k = strlen(name);
    if ((size_t)(end - el) < k + 1 || strncasecmp(el + 1, name, k))
        return false;
    char c = el + 1 + k < end ? el[1 + k] : ' ';
    return c == ' ' || c == '>' || c == '\n' || c == '\t' || c == '\r' || c == '/';
}

/* The root's local name after an optional prefix, e.g. "<ns0:feed" -> "feed". */
static const char *local_start(const char *el, const char *end)
{
    const char *p = el + 1;
    for (const char *q = p; q < end && *q != ' ' && *q != '>' && *q != '\n'; q++)
        if (*q == ':')
            return q; /* so that name_is(q, ...) skips the ':' */
    return el;
}

static int rss_detect(const char *buf, size_t len)
{
    size_t n = len < 8192 ? len : 8192;
    const char *el = first_element(buf, n);
    if (!el)
        return 0;
    const char *end = buf + n;
    const char *loc = local_start(el, end);
    if (name_is(loc, end, "rss"))
        return 90;
    if (name_is(loc, end, "rdf")) {
        if (nw_find_ci(el, (size_t)(end - el), "purl.org/rss/1.0") ||
            nw_find_ci(el, (size_t)(end - el), "netscape.com/rdf/simple/0.9"))
            return 90;
        if (nw_find_ci(el, (size_t)(end - el), "<item>")) /* a bare <rdf> of items */
            return 40;
    }
    return 0;
}

static int atom_detect(const char *buf, size_t len)
{
    size_t n = len < 8192 ? len : 8192;
    const char *el = first_element(buf, n);
    if (!el)
        return 0;
    const char *end = buf + n;
    const char *loc = local_start(el, end);
    if (!name_is(loc, end, "feed") && !name_is(loc, end, "entry"))
        return 0;
    if (nw_find_ci(el, (size_t)(end - el), NS_ATOM) ||
        nw_find_ci(el, (size_t)(end - el), NS_ATOM03))
        return 90;
    return name_is(loc, end, "feed") ? 30 : 0;
}

static int jsonfeed_detect(const char *buf, size_t len)
{
    size_t n = len < 8192 ? len : 8192;
    size_t i = 0;
    while (i < n && isspace((unsigned char)buf[i]))
        i++;
    if (i == n || buf[i] != '{')
        return 0;
    return nw_find_ci(buf + i, n - i, "jsonfeed.org/version") ? 95 : 0;
}

/* ------------------------------------------------------------- strings --- */

static bool is_blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* Length of a URI scheme followed by ':' at the start of s, or 0. */
static size_t scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' && s[i + 1] ? i : 0;
}

static bool is_hex_digit(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

/* An IRI or sloppy URI as a valid RFC 3986 URI: every byte outside the URI
 * characters is percent-encoded, as is a '%' that starts no escape and any
 * '#' after the first. Malloc'd or NULL. */
/* A URI byte kept as it is: ASCII letters, digits, "-._~:/?#[]@!$&'()*+,;=". */
static bool uri_keeps(unsigned c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case ':':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']':
    case '@':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=': return true;
    default: return false;
    }
}

static char *uri_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    nw_buf b = NW_BUF_INIT;
    int hashes = 0;
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        unsigned c = *p;
        bool keep = uri_keeps(c);
        if (c == '#' && ++hashes > 1)
            keep = false;
        if (c == '%' && is_hex_digit((char)p[1]) && is_hex_digit((char)p[2]))
            keep = true;
        if (keep)
            continue;
        nw_buf_append(&b, run, (size_t)(p - run));
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        nw_buf_append(&b, esc, 3);
        run = p + 1;
    }
    nw_buf_append(&b, run, (size_t)(p - run));
    return nw_buf_take(&b);
}

/* Percent-encode everything outside [A-Za-z0-9._~:-]. */
static void id_escape(nw_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("._~:-", *p))
            nw_buf_putc(b, (char)*p);
        else
            nw_buf_printf(b, "%%%02X", *p);
    }
}

/* s squeezed; NULL when s is NULL or nothing is left. Malloc'd. */
static char *squeeze_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *t = nw_text_squeeze(s, strlen(s));
    if (t && !t[0]) {
        free(t);
        t = NULL;
    }
    return t;
}

/* HTML (or text that may hold entities and tags) to one line of text. */
static char *html_line(const char *s)
{
    if (!s)
        return NULL;
    if (!strpbrk(s, "<&"))
        return squeeze_or_null(s);
    nw_err herr = {0};
    char *plain = nw_html_to_text(s, strlen(s), &herr);
    char *line = squeeze_or_null(plain);
    free(plain);
    return line ? line : squeeze_or_null(s);
}

/* C1 controls (U+0080..U+009F) in text are windows-1252 bytes that went
 * through a Latin-1 decoder ("demoronize"): map them to the characters
 * windows-1252 meant; the five it leaves undefined are dropped. Takes
 * ownership of s; returns s or a new string (NULL stays NULL). */
static char *fix_c1(char *s)
{
    static const unsigned short cp1252[32] = {
        0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
    };
    if (!s)
        return NULL;
    const char *hit = s;
    while ((hit = strchr(hit, '\xC2')) &&
           !((unsigned char)hit[1] >= 0x80 && (unsigned char)hit[1] <= 0x9F))
        hit++;
    if (!hit)
        return s;
    nw_buf b = NW_BUF_INIT;
    for (const char *p = s; *p; p++) {
        unsigned char c1 = (unsigned char)p[1];
        if ((unsigned char)*p == 0xC2 && c1 >= 0x80 && c1 <= 0x9F) {
            unsigned cp = cp1252[c1 - 0x80];
            if (cp) {
                char u[4] = {(char)(0xE0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3F)),
                             (char)(0x80 | (cp & 0x3F)), 0};
                if (cp < 0x800) {
                    u[0] = (char)(0xC0 | cp >> 6);
                    u[1] = (char)(0x80 | (cp & 0x3F));
                    u[2] = 0;
                }
                nw_buf_puts(&b, u);
            }
            p++;
        } else {
            nw_buf_putc(&b, *p);
        }
    }
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return s; /* out of memory: keep the text as it was */
    }
    free(s);
    return nw_buf_take(&b);
}

/* Text content squeezed (nw_xml_text) with C1 controls repaired. */
static char *xml_text(const xmlNode *n)
{
    return fix_c1(nw_xml_text(n));
}

/* --------------------------------------------------------------- nodes --- */

static bool ns_is(const xmlNode *n, const char *href)
{
    const char *h = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
    if (!href || !h)
        return !href && !h;
    return !strcmp(h, href);
}

static bool ns_starts(const xmlNode *n, const char *prefix)
{
    return n->ns && n->ns->href && !strncmp((const char *)n->ns->href, prefix, strlen(prefix));
}

static bool local_is(const xmlNode *n, const char *name)
{
    /* the first letters rule out most children without a call */
    return n && n->type == XML_ELEMENT_NODE && n->name && n->name[0] == (xmlChar)name[0] &&
           !strcmp((const char *)n->name, name);
}

/* First child element with this local name in the parent's own namespace
 * (the feed vocabulary), so <itunes:title> or <wenn_cm:title> never win. */
static xmlNodePtr own_child(const xmlNode *parent, const char *name)
{
    const char *pns = parent->ns && parent->ns->href ? (const char *)parent->ns->href : NULL;
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (local_is(c, name) && ns_is(c, pns))
            return c;
    /* RSS elements without a namespace inside a namespaced parent */
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (local_is(c, name) && !c->ns)
            return c;
    return NULL;
}

/* First child element with this local name in a namespace starting `ns`. */
static xmlNodePtr ns_child(const xmlNode *parent, const char *name, const char *ns)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (local_is(c, name) && ns_starts(c, ns))
            return c;
    return NULL;
}

/* Raw text content (entities and CDATA decoded, not squeezed). Malloc'd. */
static char *raw_text(const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    char *s = strdup(c ? (const char *)c : "");
    xmlFree(c);
    return fix_c1(s);
}

static bool has_element_child(const xmlNode *n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* The element's content as an HTML string: its markup when it holds real
 * child elements (unescaped HTML in a description), else its text (CDATA or
 * entity-escaped HTML). Malloc'd. */
static char *html_of(const xmlNode *n)
{
    return has_element_child(n) ? fix_c1(nw_xml_inner_markup(n)) : raw_text(n);
}

static char *attr(const xmlNode *n, const char *name)
{
    char *v = nw_xml_attr(n, name);
    if (v && is_blank(v)) {
        free(v);
        v = NULL;
    }
    return v;
}

/* --------------------------------------------------------------- links --- */

/* ref resolved against base (RFC 3986); a copy of ref when it cannot be. */
static char *resolve(const char *ref, const char *base)
{
    if (!ref)
        return NULL;
    if (base && !scheme_len(ref)) {
        xmlChar *r = xmlBuildURI((const xmlChar *)ref, (const xmlChar *)base);
        if (r) {
            char *s = strdup((const char *)r);
            xmlFree(r);
            return s;
        }
    }
    return strdup(ref);
}

/* The base URI in force at node: xml:base attributes from the root down,
 * starting from `fallback` (the channel link). Malloc'd or NULL. */
static char *base_of(const xmlNode *node, const char *fallback)
{
    if (!node || node->type != XML_ELEMENT_NODE)
        return fallback ? strdup(fallback) : NULL;
    char *parent = base_of(node->parent, fallback);
    xmlChar *b = xmlGetNsProp(node, (const xmlChar *)"base", XML_XML_NAMESPACE);
    if (!b)
        return parent;
    char *here = resolve((const char *)b, parent);
    xmlFree(b);
    free(parent);
    return here;
}

/* Copy of html with relative href="" / src="" values resolved against base:
 * every "href" or "src" (any case) that follows whitespace and is followed
 * by optional spaces and '=' (found from the '=', which is rarer than the
 * letters), the value up to its quote (or to whitespace or '>'). */
static char *absolutize_html(const char *html, const char *base)
{
    if (!base || !scheme_len(base))
        return strdup(html);
    nw_buf b = NW_BUF_INIT;
    const char *p = html, *run = html, *eq;
    while ((eq = strchr(p, '='))) {
        const char *e = eq;
        while (e > p && e[-1] == ' ')
            e--;
        const char *name = e - p >= 4 && !strncasecmp(e - 4, "href", 4)  ? e - 4
                           : e - p >= 3 && !strncasecmp(e - 3, "src", 3) ? e - 3
                                                                         : NULL;
        if (!name || name == html || !isspace((unsigned char)name[-1])) {
            p = eq + 1;
            continue;
        }
        const char *q = eq + 1;
        while (*q == ' ')
            q++;
        char quote = (*q == '"' || *q == '\'') ? *q : 0;
        const char *v = quote ? q + 1 : q;
        const char *ve = v;
        while (*ve && (quote ? *ve != quote : !isspace((unsigned char)*ve) && *ve != '>'))
            ve++;
        if (ve == v || scheme_len(v) || *v == '#') {
            p = ve;
            continue;
        }
        char *ref = strndup(v, (size_t)(ve - v));
        char *abs = ref ? resolve(ref, base) : NULL;
        nw_buf_append(&b, run, (size_t)(v - run));
        nw_buf_puts(&b, abs ? abs : "");
        free(ref);
        free(abs);
        run = p = ve;
    }
    if (run == html)
        return strdup(html); /* nothing relative */
    nw_buf_puts(&b, run);
    return nw_buf_take(&b);
}

/* ------------------------------------------------------------ the feed --- */

typedef enum { DIALECT_RSS, DIALECT_RDF, DIALECT_ATOM } dialect;

typedef struct feed {
    const nw_parse_opts *opts;
    dialect kind;
    xmlNodePtr root, channel;
    char *title;    /* channel title (text) */
    char *link;     /* channel link, absolute when possible */
    char *language; /* channel language */
    char *author;   /* Atom feed-level author names */
    char *site;     /* slug for derived uris */
    bool wxr;       /* a WordPress export */
} feed;

static void feed_free(feed *f)
{
    free(f->title);
    free(f->link);
    free(f->language);
    free(f->author);
    free(f->site);
}

/* The text of a child element, squeezed (HTML only when asked). */
static char *child_text(const xmlNode *parent, const char *name)
{
    xmlNodePtr c = own_child(parent, name);
    return c ? xml_text(c) : NULL;
}

/* An Atom text construct (type text|html|xhtml) as one line of text. */
static char *atom_text(const xmlNode *n)
{
    if (!n)
        return NULL;
    char *type = attr(n, "type");
    char *s = html_of(n), *out;
    if (type &&
        (!strcasecmp(type, "html") || !strcasecmp(type, "xhtml") || !strcasecmp(type, "text/html")))
        out = html_line(s);
    else if (has_element_child(n))
        out = html_line(s);
    else
        out = squeeze_or_null(s);
    free(type);
    free(s);
    return out;
}

/* "en_US" -> "en-US"; NULL when not a plausible BCP 47 tag. Malloc'd. */
static char *language_tag(const char *s)
{
    char *t = squeeze_or_null(s);
    if (!t)
        return NULL;
    size_t n = strlen(t);
    bool ok = n >= 2 && n <= 35 && isalpha((unsigned char)t[0]);
    for (size_t i = 0; ok && i < n; i++) {
        if (t[i] == '_')
            t[i] = '-';
        ok = isalnum((unsigned char)t[i]) || t[i] == '-';
    }
    if (!ok) {
        free(t);
        return NULL;
    }
    /* canonical case: language lower, region upper ("IT-it" -> "it-IT") */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (t[i] != '-' && t[i])
            continue;
        size_t k = i - start;
        for (size_t j = start; j < i; j++)
            t[j] = (char)(start > 0 && k == 2 ? toupper((unsigned char)t[j])
                                              : tolower((unsigned char)t[j]));
        start = i + 1;
    }
    return t;
}

static char *xml_lang(const xmlNode *n)
{
    xmlChar *l = xmlNodeGetLang(n);
    char *t = l ? language_tag((const char *)l) : NULL;
    xmlFree(l);
    return t;
}

/* Names of the <author> children (Atom person constructs), joined ", ". */
static char *atom_authors(const xmlNode *parent)
{
    nw_buf b = NW_BUF_INIT;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!local_is(c, "author") || !ns_is(c, parent->ns ? (const char *)parent->ns->href : NULL))
            continue;
        char *name = child_text(c, "name");
        if (!name)
            name = child_text(c, "email");
        if (name) {
            if (b.len)
                nw_buf_puts(&b, ", ");
            nw_buf_puts(&b, name);
            free(name);
        }
    }
    if (!b.len) {
        nw_buf_free(&b);
        return NULL;
    }
    return nw_buf_take(&b);
}

/* Host of an absolute URL, slugged; NULL when none. */
static char *host_slug(const char *url)
{
    if (!url)
        return NULL;
    xmlURIPtr u = xmlParseURI(url);
    char *slug = NULL;
    if (u && u->server && u->server[0]) {
        const char *h = u->server;
        if (!strncasecmp(h, "www.", 4))
            h += 4;
        slug = nw_text_slug(h);
    }
    xmlFreeURI(u);
    if (slug && !slug[0]) {
        free(slug);
        slug = NULL;
    }
    return slug;
}

/* The channel's own <link> (not an atom:link), resolved. */
static char *rss_link(const xmlNode *parent, const char *base)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!local_is(c, "link") || ns_is(c, NS_ATOM))
            continue;
        char *t = xml_text(c);
        if (!t)
            continue;
        char *r = resolve(t, base);
        free(t);
        return r;
    }
    return NULL;
}

/* The entry's or feed's alternate link (rel absent or "alternate", HTML
 * first), resolved against its xml:base. */
static char *atom_link(const xmlNode *parent, const char *fallback)
{
    xmlNodePtr best = NULL;
    int best_score = 0;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!local_is(c, "link") || !(ns_is(c, NS_ATOM) || ns_is(c, NS_ATOM03)))
            continue;
        char *href = attr(c, "href");
        if (!href)
            continue;
        char *rel = attr(c, "rel"), *type = attr(c, "type");
        int score = 1;
        if (!rel || !strcmp(rel, "alternate"))
            score = 3 + (type && strstr(type, "html") ? 1 : 0);
        else if (!strcmp(rel, "self") || !strcmp(rel, "enclosure") || !strcmp(rel, "replies"))
            score = 0;
        if (score > best_score) {
            best = c;
            best_score = score;
        }
        free(href);
        free(rel);
        free(type);
    }
    if (!best)
        return NULL;
    char *href = attr(best, "href");
    char *base = base_of(best, fallback);
    char *r = resolve(href, base);
    free(href);
    free(base);
    return r;
}

static int feed_open(feed *f, const nw_xml_doc *doc, const nw_parse_opts *opts, nw_err *err)
{
    memset(f, 0, sizeof *f);
    f->opts = opts;
    f->root = nw_xml_root(doc);
    if (!f->root)
        return nw_err_set(err, NW_EINVAL, "no root element: expected <rss>, <rdf:RDF> or <feed>");
    const char *rname = (const char *)f->root->name;
    if (local_is(f->root, "rss")) {
        f->kind = DIALECT_RSS;
        f->channel = own_child(f->root, "channel");
        if (!f->channel)
            f->channel = nw_xml_child(f->root, "channel");
    } else if (local_is(f->root, "RDF") || local_is(f->root, "rdf")) {
        /* RSS 1.0 / 0.90; a bare <rdf> of items (no channel) is accepted */
        f->kind = DIALECT_RDF;
        f->channel = nw_xml_child(f->root, "channel");
        if (!f->channel && nw_xml_child(f->root, "item"))
            f->channel = f->root;
    } else if ((local_is(f->root, "feed") || local_is(f->root, "entry")) &&
               (ns_is(f->root, NS_ATOM) || ns_is(f->root, NS_ATOM03) || !f->root->ns)) {
        f->kind = DIALECT_ATOM;
        f->channel = local_is(f->root, "feed") ? f->root : NULL;
    } else {
        return nw_err_set(err, NW_EINVAL,
                          "line %ld: root element <%s> is not a feed: expected <rss>, "
                          "<rdf:RDF> or Atom <feed>",
                          nw_xml_line(f->root), rname);
    }
    if (f->kind != DIALECT_ATOM && !f->channel)
        return nw_err_set(err, NW_EINVAL, "line %ld: <%s> has no <channel>", nw_xml_line(f->root),
                          rname);

    const xmlNode *ch = f->channel;
    if (ch) {
        char *base = base_of(ch, NULL);
        if (f->kind == DIALECT_ATOM) {
            f->title = atom_text(own_child(ch, "title"));
            f->link = atom_link(ch, NULL);
            if (!f->link) {
                char *id = child_text(ch, "id");
                if (id && !strncasecmp(id, "http", 4))
                    f->link = id;
                else
                    free(id);
            }
            f->author = atom_authors(ch);
        } else {
            char *t = child_text(ch, "title");
            f->title = html_line(t);
            free(t);
            f->link = rss_link(ch, base);
            f->language = child_text(ch, "language");
            if (!f->language) {
                xmlNodePtr l = ns_child(ch, "language", NS_DC);
                f->language = l ? xml_text(l) : NULL;
            }
            /* a WordPress export declares the wp: namespace (wxr_version is
             * not always there) */
            for (xmlNsPtr ns = f->root->nsDef; ns && !f->wxr; ns = ns->next)
                f->wxr = ns->href &&
                         !strncmp((const char *)ns->href, NS_WP_PREFIX, strlen(NS_WP_PREFIX)) &&
                         !strstr((const char *)ns->href, "excerpt");
        }
        free(base);
        if (f->language) {
            char *t = language_tag(f->language);
            free(f->language);
            f->language = t;
        }
    }
    if (!f->language)
        f->language = xml_lang(f->root);
    f->site = host_slug(f->link);
    if (!f->site && f->title) {
        f->site = nw_text_slug(f->title);
        if (f->site && !f->site[0]) {
            free(f->site);
            f->site = NULL;
        }
    }
    if (!f->site)
        f->site = strdup("unknown");
    if (!f->site)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ------------------------------------------------------------ one item --- */

/* What one item/entry says, before it becomes a story. */
typedef struct item {
    xmlNodePtr node;
    long line;
    char *id;
    char *link;
    char *title;
    char *updated; /* raw date text: versionCreated */
    const char *updated_el;
    char *published; /* raw date text: firstCreated */
    const char *published_el;
    char *content; /* HTML (or text when content_is_text) */
    bool content_is_text;
    xmlNodePtr content_node;
    char *summary; /* HTML */
    bool summary_is_text;
    xmlNodePtr summary_node;
    char *by;
    char *language;
    const char *status; /* pubStatus */
    bool skip;          /* not a story (WXR attachment ...) */
} item;

static void item_free(item *it)
{
    free(it->id);
    free(it->link);
    free(it->title);
    free(it->updated);
    free(it->published);
    free(it->content);
    free(it->summary);
    free(it->by);
    free(it->language);
}

static void set_date(char **slot, const char **slot_el, xmlNodePtr n, const char *label)
{
    if (*slot || !n)
        return;
    char *t = xml_text(n);
    if (t) {
        *slot = t;
        *slot_el = label;
    }
}

static void append_name(nw_buf *b, const char *name)
{
    if (!name || !*name)
        return;
    if (b->len)
        nw_buf_puts(b, ", ");
    nw_buf_puts(b, name);
}

/* RSS author: "mail@example.com (Name)" -> "Name". Malloc'd or NULL. */
static char *rss_author_name(const xmlNode *n)
{
    char *t = xml_text(n);
    if (!t)
        return NULL;
    char *open = strchr(t, '(');
    size_t len = strlen(t);
    if (open && len && t[len - 1] == ')' && memchr(t, '@', (size_t)(open - t))) {
        char *name = squeeze_or_null((t[len - 1] = '\0', open + 1));
        if (name) {
            free(t);
            return name;
        }
        t[len - 1] = ')';
    }
    return t;
}

static void read_rss_item(const feed *f, item *it)
{
    xmlNodePtr n = it->node;
    xmlNodePtr guid = own_child(n, "guid");
    if (guid) {
        it->id = xml_text(guid);
        char *perma = attr(guid, "isPermaLink");
        bool is_link = !perma || !strcasecmp(perma, "true");
        free(perma);
        if (is_link && it->id && scheme_len(it->id) && !strncasecmp(it->id, "http", 4)) {
            /* a permalink guid doubles as the link when <link> is missing */
            it->link = strdup(it->id);
        }
    }
    if (!it->id && f->kind == DIALECT_RDF)
        it->id = attr(n, "about");
    if (!it->id) {
        xmlNodePtr aid = ns_child(n, "id", NS_ATOM);
        it->id = aid ? xml_text(aid) : NULL;
    }
    char *base = base_of(n, f->link);
    char *link = rss_link(n, base);
    if (!link)
        link = atom_link(n, f->link);
    if (link) {
        free(it->link);
        it->link = link;
    }
    free(base);

    char *t = child_text(n, "title");
    it->title = html_line(t);
    free(t);

    set_date(&it->updated, &it->updated_el, own_child(n, "pubDate"), "pubDate");
    set_date(&it->updated, &it->updated_el, ns_child(n, "date", NS_DC), "dc:date");
    set_date(&it->updated, &it->updated_el, ns_child(n, "modified", NS_DCTERMS),
             "dcterms:modified");
    set_date(&it->updated, &it->updated_el, ns_child(n, "updated", NS_ATOM), "atom:updated");
    set_date(&it->published, &it->published_el, ns_child(n, "created", NS_DCTERMS),
             "dcterms:created");
    set_date(&it->published, &it->published_el, ns_child(n, "issued", NS_DCTERMS),
             "dcterms:issued");
    set_date(&it->published, &it->published_el, ns_child(n, "published", NS_ATOM),
             "atom:published");
    if (!it->updated && it->published) {
        it->updated = it->published;
        it->updated_el = it->published_el;
        it->published = NULL;
    }

    xmlNodePtr c = ns_child(n, "encoded", NS_CONTENT);
    if (c) {
        it->content = html_of(c);
        it->content_node = c;
        if (is_blank(it->content)) {
            free(it->content);
            it->content = NULL;
        }
    }
    /* the first non-blank of description, WXR excerpt, atom:summary */
    xmlNodePtr cands[3] = {own_child(n, "description"), ns_child(n, "encoded", NS_WP_PREFIX),
                           ns_child(n, "summary", NS_ATOM)};
    for (int i = 0; i < 3 && !it->summary; i++) {
        if (!cands[i])
            continue;
        it->summary = html_of(cands[i]);
        it->summary_node = cands[i];
        if (is_blank(it->summary)) {
            free(it->summary);
            it->summary = NULL;
        }
    }

    nw_buf by = NW_BUF_INIT;
    for (xmlNodePtr a = n->children; a; a = a->next) {
        char *name = NULL;
        if (local_is(a, "author") &&
            (ns_is(a, NULL) || ns_is(a, n->ns ? (const char *)n->ns->href : NULL)))
            name = rss_author_name(a);
        else if (local_is(a, "creator") && ns_is(a, NS_DC))
            name = xml_text(a);
        else if (local_is(a, "author") && ns_is(a, NS_ATOM)) {
            xmlNodePtr nm = nw_xml_child(a, "name");
            name = nm ? xml_text(nm) : NULL;
        }
        if (name && !strstr(nw_buf_str(&by), name))
            append_name(&by, name);
        free(name);
    }
    it->by = by.len ? nw_buf_take(&by) : NULL;
    nw_buf_free(&by);

    it->language = xml_lang(n);
    if (!it->language) {
        xmlNodePtr l = ns_child(n, "language", NS_DC);
        char *lt = l ? xml_text(l) : NULL;
        it->language = language_tag(lt);
        free(lt);
    }
    if (f->language && it->language && n->parent) {
        /* xml:lang inherited from the root is not more specific than <language> */
        xmlChar *own = xmlGetNsProp(n, (const xmlChar *)"lang", XML_XML_NAMESPACE);
        if (!own && !ns_child(n, "language", NS_DC)) {
            free(it->language);
            it->language = NULL;
        }
        xmlFree(own);
    }

    it->status = "usable";
    if (f->wxr) {
        xmlNodePtr pt = ns_child(n, "post_type", NS_WP_PREFIX);
        char *type = pt ? xml_text(pt) : NULL;
        if (type && (!strcmp(type, "attachment") || !strcmp(type, "nav_menu_item") ||
                     !strcmp(type, "revision") || !strcmp(type, "wp_block")))
            it->skip = true;
        free(type);
        xmlNodePtr st = ns_child(n, "status", NS_WP_PREFIX);
        char *status = st ? xml_text(st) : NULL;
        if (status &&
            (!strcmp(status, "draft") || !strcmp(status, "pending") || !strcmp(status, "private") ||
             !strcmp(status, "future") || !strcmp(status, "auto-draft")))
            it->status = "withheld";
        else if (status && !strcmp(status, "trash"))
            it->status = "canceled";
        free(status);
    }
}

static bool atom_type_usable(const char *type, bool *is_text)
{
    *is_text = false;
    if (!type || !strcasecmp(type, "text") || !strcasecmp(type, "text/plain")) {
        *is_text = true;
        return true;
    }
    return !strcasecmp(type, "html") || !strcasecmp(type, "xhtml") ||
           !strcasecmp(type, "text/html") || !strcasecmp(type, "application/xhtml+xml");
}

/* An Atom content/summary element as (html or text, is_text). */
static char *atom_body(xmlNodePtr n, bool *is_text)
{
    char *type = attr(n, "type");
    char *src = attr(n, "src");
    char *out = NULL;
    if (!src && atom_type_usable(type, is_text)) {
        if (*is_text && has_element_child(n)) {
            *is_text = false; /* markup where text was promised: read it as HTML */
            out = nw_xml_inner_markup(n);
        } else if (!*is_text && has_element_child(n)) {
            out = nw_xml_inner_markup(n); /* xhtml: the div subtree */
        } else {
            out = raw_text(n);
        }
    }
    free(type);
    free(src);
    if (out && is_blank(out)) {
        free(out);
        out = NULL;
    }
    return out;
}

static void read_atom_entry(const feed *f, item *it)
{
    xmlNodePtr n = it->node;
    it->id = child_text(n, "id");
    it->link = atom_link(n, f->link);
    it->title = atom_text(own_child(n, "title"));
    set_date(&it->updated, &it->updated_el, own_child(n, "updated"), "updated");
    set_date(&it->updated, &it->updated_el, own_child(n, "modified"), "modified"); /* 0.3 */
    set_date(&it->published, &it->published_el, own_child(n, "published"), "published");
    set_date(&it->published, &it->published_el, own_child(n, "issued"), "issued"); /* 0.3 */
    if (!it->updated && it->published) {
        it->updated = it->published;
        it->updated_el = it->published_el;
        it->published = NULL;
    }
    xmlNodePtr c = own_child(n, "content");
    if (c) {
        it->content = atom_body(c, &it->content_is_text);
        it->content_node = c;
    }
    xmlNodePtr s = own_child(n, "summary");
    if (s) {
        it->summary = atom_body(s, &it->summary_is_text);
        it->summary_node = s;
    }
    it->by = atom_authors(n);
    if (!it->by) {
        xmlNodePtr src = own_child(n, "source");
        it->by = src ? atom_authors(src) : NULL;
    }
    if (!it->by && f->author)
        it->by = strdup(f->author);
    it->language = xml_lang(n);
    it->status = "usable";
}

/* ---------------------------------------------------------- the story --- */

static int oom(nw_err *err)
{
    return nw_err_set(err, NW_ENOMEM, "out of memory");
}

/* uri for an item id: kept when it is a URI, else urn:newswire:feed:<site>:
 * with the feed's site, or the item link's host when the feed names none. */
static char *id_uri(const feed *f, const char *id, const char *link)
{
    if (scheme_len(id))
        return uri_escape(id);
    char *own = strcmp(f->site, "unknown") ? NULL : host_slug(link);
    nw_buf b = NW_BUF_INIT;
    nw_buf_printf(&b, "urn:newswire:feed:%s:", own ? own : f->site);
    id_escape(&b, id);
    free(own);
    return nw_buf_take(&b);
}

static int story_uri(const feed *f, const item *it, nw_story *s, nw_err *err)
{
    char *uri = NULL;
    if (it->id)
        uri = id_uri(f, it->id, it->link);
    else if (it->link)
        uri = id_uri(f, it->link, NULL);
    else {
        nw_buf h = NW_BUF_INIT;
        nw_buf_puts(&h, f->link ? f->link : "");
        nw_buf_putc(&h, '\n');
        nw_buf_puts(&h, it->title ? it->title : "");
        nw_buf_putc(&h, '\n');
        nw_buf_puts(&h, it->summary ? it->summary : (it->content ? it->content : ""));
        if (nw_buf_failed(&h)) {
            nw_buf_free(&h);
            return oom(err);
        }
        char hex[33];
        nw_text_hash_hex(h.data ? h.data : "", h.len, hex);
        nw_buf_free(&h);
        nw_buf b = NW_BUF_INIT;
        nw_buf_printf(&b, "urn:newswire:feed:%s:%s", f->site, hex);
        uri = nw_buf_take(&b);
    }
    if (!uri)
        return oom(err);
    int rc = nw_story_set(&s->uri, uri);
    free(uri);
    return rc ? oom(err) : 0;
}

static int story_date(const feed *f, char **field, const char *raw, const char *el, long line,
                      nw_err *err)
{
    if (!raw)
        return 0;
    char *out = NULL;
    nw_err derr = {0};
    int rc = nw_date_normalize(raw, f->opts->timezone, &out, &derr);
    if (rc == NW_ENOMEM)
        return oom(err);
    if (rc < 0) {
        nw_parse_warn(f->opts, "line %ld: <%s> left out: %s", line, el, derr.msg);
        return 0;
    }
    rc = nw_story_set(field, out);
    free(out);
    return rc ? oom(err) : 0;
}

/* Add an HTML (or plain text) fragment as bodies, links made absolute. */
static int add_bodies(const feed *f, nw_story *s, const char *text, bool is_text, xmlNodePtr where,
                      nw_err *err)
{
    char *html;
    if (is_text) {
        html = nw_html_from_paragraphs(text);
    } else {
        char *base = base_of(where, f->link);
        html = absolutize_html(text, base);
        free(base);
    }
    if (!html)
        return oom(err);
    nw_err herr = {0};
    int rc = nw_html_add_bodies(s, html, strlen(html), &herr);
    free(html);
    if (rc == NW_ENOMEM)
        return oom(err);
    if (rc < 0)
        nw_parse_warn(f->opts, "line %ld: body left out: %s", nw_xml_line(where), herr.msg);
    return 0;
}

static int add_category(const feed *f, nw_story *s, const char *name, const char *uri, long line,
                        nw_err *err)
{
    char *clean = html_line(name);
    if (!clean)
        return 0;
    size_t before = s->subjects.len;
    nw_err cerr = {0};
    int rc = nw_story_add_category(s, clean, &cerr);
    if (rc == NW_ENOMEM) {
        free(clean);
        return oom(err);
    }
    if (rc < 0)
        nw_parse_warn(f->opts, "line %ld: category skipped: %s", line, cerr.msg);
    else if (uri && s->subjects.len > before && !strncasecmp(uri, "http", 4) && scheme_len(uri)) {
        char *u = uri_escape(uri);
        if (!u || nw_story_set(&s->subjects.items[s->subjects.len - 1].uri, u)) {
            free(u);
            free(clean);
            return oom(err);
        }
        free(u);
    }
    free(clean);
    return 0;
}

static int add_categories(const feed *f, const item *it, nw_story *s, nw_err *err)
{
    int rc = 0;
    const char *own_ns = it->node->ns ? (const char *)it->node->ns->href : NULL;
    for (xmlNodePtr c = it->node->children; c && rc == 0; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        long line = nw_xml_line(c);
        if (local_is(c, "category") && f->kind == DIALECT_ATOM && ns_is(c, own_ns)) {
            char *name = attr(c, "label");
            if (!name)
                name = attr(c, "term");
            if (name)
                rc = add_category(f, s, name, NULL, line, err);
            free(name);
        } else if (local_is(c, "category") && (ns_is(c, own_ns) || !c->ns)) {
            char *name = xml_text(c), *domain = attr(c, "domain");
            if (name && f->wxr && domain && !strcmp(domain, "post_tag")) {
                if (nw_entity_list_add(&s->subjects, name, NULL, NULL, "keyword"))
                    rc = oom(err);
            } else if (name) {
                rc = add_category(f, s, name, domain, line, err);
            }
            free(name);
            free(domain);
        } else if (local_is(c, "subject") && ns_is(c, NS_DC)) {
            char *name = xml_text(c);
            if (name)
                rc = add_category(f, s, name, NULL, line, err);
            free(name);
        }
    }
    return rc;
}

static int add_link(nw_story *s, const char *link, nw_err *err)
{
    if (!link || !scheme_len(link))
        return 0;
    char *u = uri_escape(link);
    json_t *ids = json_array(), *one = json_object();
    int rc = 0;
    if (!u || !ids || !one || json_object_set_new(one, "role", json_string("link")) ||
        json_object_set_new(one, "value", json_string(u)) || json_array_append(ids, one))
        rc = -1;
    if (rc == 0 && !s->extra && !(s->extra = json_object()))
        rc = -1;
    if (rc == 0 && json_object_set(s->extra, "altIds", ids))
        rc = -1;
    json_decref(one);
    json_decref(ids);
    free(u);
    return rc ? oom(err) : 0;
}

static int add_provider(const feed *f, nw_story *s, nw_err *err)
{
    if (!f->title)
        return 0;
    char *u = f->link && scheme_len(f->link) ? uri_escape(f->link) : NULL;
    int rc = nw_entity_list_add(&s->info_sources, f->title, u, NULL, "source");
    free(u);
    return rc ? oom(err) : 0;
}

/* The ninjs type of a media object from its MIME type or MRSS medium. */
static const char *media_type(const char *mime, const char *medium)
{
    const char *m = medium ? medium : mime;
    if (!m)
        return NULL;
    if (!strncasecmp(m, "image", 5))
        return "picture";
    if (!strncasecmp(m, "video", 5))
        return "video";
    if (!strncasecmp(m, "audio", 5))
        return "audio";
    return NULL;
}

/* One enclosure / media:content as an association {name, uri, type,
 * renditions [{name "original", href, contentType, width, height}],
 * descriptions [{role "caption"}]}. Unknown kinds and duplicates are skipped. */
static int add_media(const feed *f, nw_story *s, xmlNodePtr m, const char *url_attr,
                     const char *default_medium, unsigned *counts, nw_err *err)
{
    char *url = attr(m, url_attr), *mime = attr(m, "type"), *medium = attr(m, "medium");
    if (!medium && default_medium)
        medium = strdup(default_medium);
    char *base = base_of(m, f->link);
    char *abs = url ? resolve(url, base) : NULL;
    char *href = abs && scheme_len(abs) ? uri_escape(abs) : NULL;
    const char *type = media_type(mime, medium);
    int rc = 0;
    size_t i;
    json_t *a;
    json_array_foreach(s->associations, i, a)
    {
        const char *u = json_string_value(json_object_get(a, "uri"));
        if (href && u && !strcmp(u, href))
            type = NULL; /* the same file named twice */
    }
    if (href && type) {
        unsigned n = ++counts[type[0] == 'p' ? 0 : type[0] == 'v' ? 1 : 2];
        char name[32], *caption = NULL;
        snprintf(name, sizeof name, "%s%u", type, n);
        xmlNodePtr d = ns_child(m, "description", "http://search.yahoo.com/mrss");
        if (!d)
            d = ns_child(m, "title", "http://search.yahoo.com/mrss");
        char *raw = d ? raw_text(d) : NULL;
        caption = html_line(raw);
        free(raw);
        json_t *r = json_pack("{s:s, s:s}", "name", "original", "href", href);
        json_t *o = json_pack("{s:s, s:s, s:s}", "name", name, "uri", href, "type", type);
        if (r && mime)
            json_object_set_new(r, "contentType", json_string(mime));
        for (int k = 0; r && k < 2; k++) {
            char *v = attr(m, k ? "height" : "width");
            long px = v ? strtol(v, NULL, 10) : 0;
            if (px > 0)
                json_object_set_new(r, k ? "height" : "width", json_integer(px));
            free(v);
        }
        if (!r || !o || json_object_set_new(o, "renditions", json_pack("[o]", r)))
            rc = -1;
        else
            r = NULL;
        if (!rc && caption)
            json_object_set_new(o, "descriptions",
                                json_pack("[{s:s, s:s}]", "role", "caption", "value", caption));
        if (!rc && !s->associations && !(s->associations = json_array()))
            rc = -1;
        if (!rc && json_array_append(s->associations, o))
            rc = -1;
        json_decref(r);
        json_decref(o);
        free(caption);
    }
    free(url);
    free(mime);
    free(medium);
    free(base);
    free(abs);
    free(href);
    return rc ? oom(err) : 0;
}

/* <enclosure>, Atom <link rel="enclosure">, media:content (also inside
 * media:group) and media:thumbnail when nothing else names a picture. */
static int add_all_media(const feed *f, const item *it, nw_story *s, nw_err *err)
{
    unsigned counts[3] = {0, 0, 0};
    int rc = 0;
    for (xmlNodePtr c = it->node->children; c && !rc; c = c->next) {
        if (local_is(c, "enclosure") && !c->ns)
            rc = add_media(f, s, c, "url", NULL, counts, err);
        else if (local_is(c, "link") && (ns_is(c, NS_ATOM) || ns_is(c, NS_ATOM03))) {
            char *rel = attr(c, "rel");
            if (rel && !strcmp(rel, "enclosure"))
                rc = add_media(f, s, c, "href", NULL, counts, err);
            free(rel);
        } else if (local_is(c, "content") && ns_starts(c, "http://search.yahoo.com/mrss")) {
            rc = add_media(f, s, c, "url", NULL, counts, err);
        } else if (local_is(c, "group") && ns_starts(c, "http://search.yahoo.com/mrss")) {
            for (xmlNodePtr g = c->children; g && !rc; g = g->next)
                if (local_is(g, "content") && ns_starts(g, "http://search.yahoo.com/mrss"))
                    rc = add_media(f, s, g, "url", NULL, counts, err);
        }
    }
    if (!rc && counts[0] == 0) {
        xmlNodePtr t = ns_child(it->node, "thumbnail", "http://search.yahoo.com/mrss");
        if (t) {
            rc = add_media(f, s, t, "url", "image", counts, err);
        }
    }
    return rc;
}

/* Build the story of one read item; *story NULL when it is skipped. */
static int item_story(const feed *f, const item *it, nw_story **story, nw_err *err)
{
    *story = NULL;
    if (!it->title && !it->content && !it->summary) {
        nw_parse_warn(f->opts, "line %ld: <%s> with no title and no text skipped", it->line,
                      (const char *)it->node->name);
        return 0;
    }
    nw_story *s = nw_story_new();
    if (!s)
        return oom(err);
    int rc = story_uri(f, it, s, err);
    if (!rc && (nw_story_set(&s->type, "text") || nw_story_set(&s->pub_status, it->status)))
        rc = oom(err);
    if (!rc && it->title && nw_text_list_add(&s->headlines, it->title, "main", "text/plain"))
        rc = oom(err);
    if (!rc)
        rc = story_date(f, &s->version_created, it->updated, it->updated_el, it->line, err);
    if (!rc)
        rc = story_date(f, &s->first_created, it->published, it->published_el, it->line, err);
    if (!rc && it->content) {
        rc = add_bodies(f, s, it->content, it->content_is_text, it->content_node, err);
        if (!rc && it->summary) {
            char *plain = it->summary_is_text ? squeeze_or_null(it->summary) : NULL;
            if (!it->summary_is_text) {
                nw_err herr = {0};
                char *p = nw_html_to_text(it->summary, strlen(it->summary), &herr);
                plain = p && *p ? p : (free(p), NULL);
            }
            if (plain && nw_text_list_add(&s->descriptions, plain, "summary", "text/plain"))
                rc = oom(err);
            free(plain);
        }
    } else if (!rc && it->summary) {
        rc = add_bodies(f, s, it->summary, it->summary_is_text, it->summary_node, err);
    }
    if (!rc && it->by && nw_story_set(&s->by, it->by))
        rc = oom(err);
    const char *lang = it->language ? it->language : f->language;
    if (!rc && lang && nw_story_set(&s->language, lang))
        rc = oom(err);
    if (!rc)
        rc = add_link(s, it->link, err);
    if (!rc)
        rc = add_provider(f, s, err);
    if (!rc)
        rc = add_categories(f, it, s, err);
    if (!rc)
        rc = add_all_media(f, it, s, err);
    if (!rc && nw_story_categories(s, NULL, 0) == 0 && f->opts->default_category) {
        nw_err cerr = {0};
        int crc = nw_story_add_category(s, f->opts->default_category, &cerr);
        if (crc == NW_ENOMEM)
            rc = oom(err);
        else if (crc < 0)
            nw_parse_warn(f->opts, "default category skipped: %s", cerr.msg);
    }
    if (rc) {
        nw_story_free(s);
        return rc;
    }
    *story = s;
    return 0;
}

static int feed_item(const feed *f, xmlNodePtr node, nw_story_list *out, nw_err *err)
{
    item it = {0};
    it.node = node;
    it.line = nw_xml_line(node);
    if (f->kind == DIALECT_ATOM)
        read_atom_entry(f, &it);
    else
        read_rss_item(f, &it);
    nw_story *s = NULL;
    int rc = 0;
    if (!it.skip)
        rc = item_story(f, &it, &s, err);
    item_free(&it);
    if (rc == 0 && s && nw_story_list_add(out, s))
        rc = oom(err);
    return rc;
}

/* The <item>/<entry> children of parent, in order, each one a story; each
 * freed once read (the tree is not read again). *items counts them. */
static int feed_children(const feed *f, xmlNodePtr parent, const char *want, size_t *items,
                         nw_story_list *out, nw_err *err)
{
    int rc = 0;
    for (xmlNodePtr c = parent->children, next; c && rc == 0; c = next) {
        next = c->next;
        if (!local_is(c, want) || c == f->channel)
            continue;
        (*items)++;
        rc = feed_item(f, c, out, err);
        xmlUnlinkNode(c);
        xmlFreeNode(c);
    }
    return rc;
}

/* What a feed with `items` <want> elements and `made` stories ends with. */
static int feed_outcome(const feed *f, size_t items, size_t made, nw_err *err)
{
    const char *want = f->kind == DIALECT_ATOM ? "entry" : "item";
    if (items == 0)
        return nw_err_set(err, NW_EINVAL, "line %ld: %s has no <%s> elements: no story to make",
                          nw_xml_line(f->channel ? f->channel : f->root),
                          f->kind == DIALECT_ATOM ? "the Atom <feed>" : "the RSS <channel>", want);
    if (made == 0)
        return nw_err_set(err, NW_EINVAL,
                          "none of the %zu <%s> elements holds a story (no title and no "
                          "text, or not a post)",
                          items, want);
    return 0;
}

/* The whole document in memory: for inputs up to stream_above bytes. */
static int xml_feed_parse_whole(const char *buf, size_t len, const nw_parse_opts *opts,
                                nw_story_list *out, nw_err *err)
{
    nw_xml_doc doc = {0};
    int rc = nw_xml_read(buf, len, NULL, NULL, opts->max_input_bytes, &doc, err);
    if (rc < 0)
        return rc;
    nw_xml_warn_decoding(&doc, opts);
    feed f;
    rc = feed_open(&f, &doc, opts, err);
    size_t items = 0, before = nw_story_list_count(out);
    if (rc == 0) {
        const char *want = f.kind == DIALECT_ATOM ? "entry" : "item";
        if (f.kind == DIALECT_ATOM && !f.channel) { /* a lone <entry> document */
            items = 1;
            rc = feed_item(&f, f.root, out, err);
        }
        /* RSS 2.0 items live in <channel>, RSS 1.0 items beside it (and a
         * few broken RSS 0.9x feeds put them there too) */
        if (rc == 0 && f.channel)
            rc = feed_children(&f, f.channel, want, &items, out, err);
        if (rc == 0 && f.channel != f.root)
            rc = feed_children(&f, f.root, want, &items, out, err);
        if (rc == 0)
            rc = feed_outcome(&f, items, nw_story_list_count(out) - before, err);
    }
    feed_free(&f);
    nw_xml_doc_free(&doc);
    return rc;
}

/* ------------------------------------------------------- large feeds --- */
/*
 * A feed over opts->stream_above bytes is never held whole: read whole, a
 * feed of 470,000 tiny items took 270 MB and more in libxml2's tree alone.
 * It is read twice by nw_xml_read_stream, with the same settings, checks and
 * messages as xml_feed_parse_whole, and the same stories in the same order:
 *   1. survey: the whole document is read and checked (well-formed, depth,
 *      entities) and only what feed_open looks at is kept: the root, the
 *      root's <channel> elements, and their (and the root's) title, link,
 *      id, author and language children, at most SURVEY_META_MAX of them.
 *      feed_open runs on that. Nothing is made yet, so metadata that comes
 *      after the items, and any error anywhere, count as for a whole read.
 *   2. items: the document is read again and each <item>/<entry> of the
 *      chosen channel (or the root) is built whole, made into a story,
 *      handed on (opts->sink) and freed. Memory: one item at a time.
 * Items beside the channel that come before it (a broken RSS 0.9x feed)
 * are made after the channel's, as a whole read does: a third read then
 * takes them. A lone Atom <entry> document is one item: built whole.
 */
#define SURVEY_META_MAX 1000
#define SURVEY_CHANNELS 64

typedef struct survey {
    int ord;                     /* root's child elements seen */
    int meta;                    /* metadata elements kept */
    bool item_kept;              /* the first root-level <item> (nw_xml_child) */
    int first_item, first_entry; /* ordinal of the first root-level one, -1 */
    int channels;
    xmlNodePtr channel[SURVEY_CHANNELS];
    int channel_ord[SURVEY_CHANNELS];
} survey;

static bool is_meta(const xmlNode *n)
{
    return nw_xml_is(n, "title") || nw_xml_is(n, "link") || nw_xml_is(n, "id") ||
           nw_xml_is(n, "author") || nw_xml_is(n, "language");
}

static nw_xml_keep survey_start(void *ctx, xmlNodePtr node, int depth)
{
    survey *s = ctx;
    if (depth == 0)
        return NW_XML_SHELL;
    if (depth == 1) {
        int ord = s->ord++;
        if (local_is(node, "item") && s->first_item < 0)
            s->first_item = ord;
        if (local_is(node, "entry") && s->first_entry < 0)
            s->first_entry = ord;
        if (nw_xml_is(node, "channel") && s->channels < SURVEY_CHANNELS) {
            s->channel[s->channels] = node;
            s->channel_ord[s->channels++] = ord;
            return NW_XML_SHELL;
        }
        if (nw_xml_is(node, "item") && !s->item_kept) {
            s->item_kept = true;
            return NW_XML_SHELL;
        }
    }
    if (depth == 1 || (depth == 2 && nw_xml_is(node->parent, "channel"))) {
        if (is_meta(node) && s->meta < SURVEY_META_MAX) {
            s->meta++;
            return NW_XML_WHOLE;
        }
    }
    return NW_XML_SKIP;
}

static int survey_end(void *ctx, xmlNodePtr node, int depth, nw_err *err)
{
    (void)ctx;
    (void)node;
    (void)depth;
    (void)err;
    return 1; /* all it asked for is kept */
}

/* Pass 2 (and 3): the items. */
typedef struct harvest {
    const feed *f;
    nw_story_list *out;
    const char *want;
    int channel_ord; /* the channel's ordinal among the root's children; -1 the
                      * root itself; -2 none (a lone entry) */
    bool channel_items, root_items;
    int ord;
    xmlNodePtr channel; /* this read's channel element while it is open */
    size_t items;
} harvest;

static nw_xml_keep harvest_start(void *ctx, xmlNodePtr node, int depth)
{
    harvest *h = ctx;
    if (depth == 0)
        return h->channel_ord == -2 ? NW_XML_WHOLE : NW_XML_SHELL;
    if (depth == 1) {
        int ord = h->ord++;
        if (ord == h->channel_ord) {
            h->channel = node;
            return NW_XML_SHELL;
        }
        bool wanted = h->channel_ord == -1 ? h->channel_items : h->root_items;
        return wanted && local_is(node, h->want) ? NW_XML_WHOLE : NW_XML_SKIP;
    }
    if (depth == 2 && h->channel_items && node->parent == h->channel && local_is(node, h->want))
        return NW_XML_WHOLE;
    return NW_XML_SKIP;
}

static int harvest_end(void *ctx, xmlNodePtr node, int depth, nw_err *err)
{
    harvest *h = ctx;
    if (depth == 0 && h->channel_ord == -2) { /* a lone <entry> document */
        h->items++;
        int rc = feed_item(h->f, node, h->out, err);
        if (rc == 0)
            rc = feed_children(h->f, node, h->want, &h->items, h->out, err);
        return rc < 0 ? rc : 1;
    }
    if (depth == 0)
        return 1;
    if (node == h->channel) {
        h->channel = NULL;
        return 0;
    }
    h->items++;
    int rc = feed_item(h->f, node, h->out, err);
    return rc < 0 ? rc : 0;
}

static int harvest_read(const char *buf, size_t len, const nw_parse_opts *opts, harvest *h,
                        nw_err *err)
{
    nw_xml_stream_ops ops = {harvest_start, harvest_end, h};
    nw_xml_doc doc = {0};
    h->ord = 0;
    h->channel = NULL;
    int rc = nw_xml_read_stream(buf, len, NULL, NULL, opts->max_input_bytes, &ops, &doc, err);
    nw_xml_doc_free(&doc);
    return rc;
}

static int xml_feed_parse_stream(const char *buf, size_t len, const nw_parse_opts *opts,
                                 nw_story_list *out, nw_err *err)
{
    survey s = {.first_item = -1, .first_entry = -1};
    nw_xml_stream_ops ops = {survey_start, survey_end, &s};
    nw_xml_doc doc = {0};
    int rc = nw_xml_read_stream(buf, len, NULL, NULL, opts->max_input_bytes, &ops, &doc, err);
    if (rc < 0)
        return rc;
    nw_xml_warn_decoding(&doc, opts);
    feed f;
    rc = feed_open(&f, &doc, opts, err);
    size_t before = nw_story_list_count(out);
    harvest h = {.f = &f, .out = out};
    if (rc == 0) {
        h.want = f.kind == DIALECT_ATOM ? "entry" : "item";
        int first = f.kind == DIALECT_ATOM ? s.first_entry : s.first_item;
        h.channel_ord = !f.channel ? -2 : f.channel == f.root ? -1 : 0;
        for (int i = 0; i < s.channels; i++)
            if (s.channel[i] == f.channel)
                h.channel_ord = s.channel_ord[i];
        h.channel_items = true;
        h.root_items = h.channel_ord >= 0 && !(first >= 0 && first < h.channel_ord);
        rc = harvest_read(buf, len, opts, &h, err);
        if (rc == 0 && h.channel_ord >= 0 && !h.root_items && first >= 0) {
            /* items beside the channel, before it: after the channel's */
            h.channel_items = false;
            h.root_items = true;
            rc = harvest_read(buf, len, opts, &h, err);
        }
        if (rc == 0)
            rc = feed_outcome(&f, h.items, nw_story_list_count(out) - before, err);
    }
    feed_free(&f);
    nw_xml_doc_free(&doc);
    return rc;
}

static int xml_feed_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    size_t above = opts->stream_above ? opts->stream_above : NW_PARSE_STREAM_ABOVE;
    return len > above ? xml_feed_parse_stream(buf, len, opts, out, err)
                       : xml_feed_parse_whole(buf, len, opts, out, err);
}

/* ----------------------------------------------------------- JSON Feed --- */

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && !is_blank(json_string_value(v)) ? json_string_value(v) : NULL;
}

/* Names of an `authors` array or an `author` object, joined ", ". */
static char *json_authors(const json_t *o)
{
    nw_buf b = NW_BUF_INIT;
    const json_t *arr = json_object_get(o, "authors");
    size_t i;
    const json_t *a;
    if (json_is_array(arr)) {
        json_array_foreach(arr, i, a) append_name(&b, jstr(a, "name"));
    }
    if (!b.len && json_is_object(json_object_get(o, "author")))
        append_name(&b, jstr(json_object_get(o, "author"), "name"));
    if (!b.len) {
        nw_buf_free(&b);
        return NULL;
    }
    return nw_buf_take(&b);
}

static int jsonfeed_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    json_error_t jerr;
    int rc = nw_json_check_values(buf, len, NW_JSON_MAX_VALUES, err);
    if (rc < 0)
        return rc;
    json_t *root = nw_json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return nw_err_set(err, NW_EINVAL, "line %d: not valid JSON: %s", jerr.line, jerr.text);
    const char *version = jstr(root, "version");
    const json_t *items = json_object_get(root, "items");
    if (!json_is_object(root) || !version || !strstr(version, "jsonfeed.org/version/")) {
        json_decref(root);
        return nw_err_set(err, NW_EINVAL,
                          "not a JSON Feed: expected an object with \"version\": "
                          "\"https://jsonfeed.org/version/1.1\"");
    }
    if (!json_is_array(items)) {
        json_decref(root);
        return nw_err_set(err, NW_EINVAL, "JSON Feed has no \"items\" array");
    }
    feed f = {0};
    f.opts = opts;
    f.kind = DIALECT_RSS;
    f.title = squeeze_or_null(jstr(root, "title"));
    f.link = jstr(root, "home_page_url") ? strdup(jstr(root, "home_page_url")) : NULL;
    f.language = language_tag(jstr(root, "language"));
    f.author = json_authors(root);
    f.site = host_slug(f.link);
    if (!f.site && f.title)
        f.site = nw_text_slug(f.title);
    if (f.site && !f.site[0]) {
        free(f.site);
        f.site = NULL;
    }
    if (!f.site)
        f.site = strdup("unknown");
    if (!f.site)
        rc = oom(err);
    size_t i;
    const json_t *o;
    json_array_foreach(items, i, o)
    {
        if (rc)
            break;
        if (!json_is_object(o)) {
            nw_parse_warn(opts, "items[%zu] is not an object: skipped", i);
            continue;
        }
        nw_story *s = nw_story_new();
        if (!s) {
            rc = oom(err);
            break;
        }
        const json_t *idv = json_object_get(o, "id");
        char idbuf[64];
        const char *id = jstr(o, "id");
        if (!id && json_is_integer(idv)) {
            snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(idv));
            id = idbuf;
        }
        char *link = resolve(jstr(o, "url"), f.link);
        char *title = html_line(jstr(o, "title"));
        const char *html = jstr(o, "content_html"), *text = jstr(o, "content_text");
        const char *summary = jstr(o, "summary");
        char *uri = NULL;
        if (id)
            uri = id_uri(&f, id, link);
        else if (link)
            uri = id_uri(&f, link, NULL);
        else {
            nw_buf h = NW_BUF_INIT;
            nw_buf_printf(&h, "%s\n%s\n%s", f.link ? f.link : "", title ? title : "",
                          html ? html : (text ? text : ""));
            char hex[33];
            nw_text_hash_hex(nw_buf_str(&h), h.len, hex);
            nw_buf_free(&h);
            nw_buf b = NW_BUF_INIT;
            nw_buf_printf(&b, "urn:newswire:feed:%s:%s", f.site, hex);
            uri = nw_buf_take(&b);
        }
        if (!uri || nw_story_set(&s->uri, uri) || nw_story_set(&s->type, "text") ||
            nw_story_set(&s->pub_status, "usable") ||
            (title && nw_text_list_add(&s->headlines, title, "main", "text/plain")))
            rc = oom(err);
        const char *mod = jstr(o, "date_modified"), *pub = jstr(o, "date_published");
        if (!rc)
            rc = story_date(&f, &s->version_created, mod ? mod : pub,
                            mod ? "date_modified" : "date_published", 0, err);
        if (!rc && mod && pub)
            rc = story_date(&f, &s->first_created, pub, "date_published", 0, err);
        const char *body = html ? html : text;
        if (!rc && body) {
            char *abs = html ? absolutize_html(html, f.link) : NULL;
            char *h = html ? abs : nw_html_from_paragraphs(text);
            nw_err herr = {0};
            if (!h || nw_html_add_bodies(s, h, strlen(h), &herr) == NW_ENOMEM)
                rc = oom(err);
            free(h);
        } else if (!rc && summary) {
            char *h = nw_html_from_paragraphs(summary);
            nw_err herr = {0};
            if (!h || nw_html_add_bodies(s, h, strlen(h), &herr) == NW_ENOMEM)
                rc = oom(err);
            free(h);
            summary = NULL;
        }
        if (!rc && summary && body &&
            nw_text_list_add(&s->descriptions, summary, "summary", "text/plain"))
            rc = oom(err);
        char *by = json_authors(o);
        if (!rc && (by || f.author) && nw_story_set(&s->by, by ? by : f.author))
            rc = oom(err);
        free(by);
        char *lang = language_tag(jstr(o, "language"));
        if (!rc && (lang || f.language) && nw_story_set(&s->language, lang ? lang : f.language))
            rc = oom(err);
        free(lang);
        if (!rc)
            rc = add_link(s, link, err);
        if (!rc)
            rc = add_provider(&f, s, err);
        const json_t *tags = json_object_get(o, "tags"), *tag;
        size_t k;
        if (json_is_array(tags)) {
            json_array_foreach(tags, k, tag)
            {
                if (!rc && json_is_string(tag))
                    rc = add_category(&f, s, json_string_value(tag), NULL, 0, err);
            }
        }
        if (!rc && nw_story_categories(s, NULL, 0) == 0 && opts->default_category) {
            nw_err cerr = {0};
            if (nw_story_add_category(s, opts->default_category, &cerr) == NW_ENOMEM)
                rc = oom(err);
        }
        free(uri);
        free(link);
        free(title);
        if (rc) {
            nw_story_free(s);
            break;
        }
        if (nw_story_list_add(out, s))
            rc = oom(err);
    }
    if (rc == 0 && json_array_size(items) == 0)
        rc = nw_err_set(err, NW_EINVAL, "JSON Feed \"items\" is empty: no story to make");
    feed_free(&f);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------ registry --- */

const nw_parser nw_parser_rss = {
    .name = "rss",
    .description = "RSS 0.9x, 1.0 (RDF) and 2.0 feeds, WordPress WXR exports (one story per item)",
    .detect = rss_detect,
    .parse = xml_feed_parse,
    .flags = NW_PARSER_RAW_BYTES,
};

const nw_parser nw_parser_atom = {
    .name = "atom",
    .description = "Atom 1.0 feeds and entries (one story per entry)",
    .detect = atom_detect,
    .parse = xml_feed_parse,
    .flags = NW_PARSER_RAW_BYTES,
};

const nw_parser nw_parser_jsonfeed = {
    .name = "jsonfeed",
    .description = "JSON Feed 1.0/1.1 (one story per item)",
    .detect = jsonfeed_detect,
    .parse = jsonfeed_parse,
};
