/*
 * nw_parse_nitf — the "nitf" format: NITF 2.x-3.6 documents (one story each),
 * and the NITF mapping other parsers reuse (see nw_nitf.h). Elements are
 * matched by local name, so no namespace, the default NITF namespace and
 * extra prefixes all read the same. It owns the NITF -> nw_story rules below
 * and the small wire helpers declared in nw_nitf.h; it never fetches a DTD,
 * never logs directly and never outputs a wrong date (bad values: warning).
 *
 * Mapping (head = nitf/head, docdata = head/docdata, bh = body/body.head):
 *   uri          docdata/doc-id@id-string (kept when it already is a URI, else
 *                "urn:newswire:<regsrc or provider slug>:<id>"). NTB: when
 *                meta NTBID is a prefix of the id followed by "_<n>" (NTB
 *                appends the version), NTBID is the id, so versions share it.
 *                No id: "urn:newswire:<slug>:<hash of headline + body>".
 *   altIds       the raw doc-id@id-string, role "doc-id"
 *   version      docdata/du-key@version (digits, leading zeros dropped), else "1"
 *   versionCreated  docdata/date.issue@norm; firstCreated = the earliest
 *                head/revision-history@norm, else date.issue
 *   contentCreated  bh/dateline/story.date@norm
 *   embargoedUntil  date.release@norm when later than date.issue (or
 *                management-status "embargoed"); expires = date.expire@norm
 *   pubStatus    docdata@management-status: usable, withheld, canceled
 *                ("cancelled" too); "embargoed" = usable; else usable + warning
 *   urgency      urgency@ed-urg (under docdata or head), 1..9, else warning
 *   language     nitf@xml:lang, else nitf@baselang (BCP 47 shape checked)
 *   headlines    bh/hedline/hl1 role "main" (head/title when hl1 is empty),
 *                each hl2 role "subheadline"; title = head/title
 *   by           bh/byline text without byttl, then ", <byttl>"
 *   located      bh/dateline/location text, else the dateline text
 *   descriptions bh/abstract as text/plain, role "summary"
 *   bodies       every body/body.content through nw_nitf_add_bodies (media and
 *                notes dropped, hl2 -> h2, a lone <br> -> space)
 *   edNote       docdata/ed-msg@info; slugline: meta anpa-keyword, meta
 *                NTBStikkord, else du-key@key
 *   copyright    doc.copyright: copyrightNotice "Copyright <year> <holder>",
 *                copyrightHolder = holder (else rights/rights.owner)
 *   provider     infoSources {name, role "source"}: bh/distributor, else
 *                doc-id@regsrc, del-list/from-src@src-name, meta aap-source,
 *                doc.copyright@holder
 *   subjects     tobject.subject@tobject.subject.refnum: 8 digits (ipr absent
 *                or IPTC) -> IPTC subject code uri; other codes -> literal
 *                "<ipr>:<code>"; name = the most specific of detail/matter/
 *                type. key-list/keyword@key (or text) -> {name, rel "keyword"};
 *                series@series.name -> {name, rel "series"}
 *   genres       tobject.property@tobject.property.type, and tobject@tobject.type
 *                when it is a standard NITF genre (News, Feature, Analysis...)
 *   places/people/organisations  docdata/identified-content location/person/
 *                org, docdata/evloc (city, county-dist, state-prov), and the
 *                person/org/location tags inside body.content
 *   categories   what each agency uses for its sections, first rule that
 *                yields a name wins:
 *                1. tobject@tobject.type when it is not a NITF genre (NTB's
 *                   desks "Innenriks"/"Utenriks") plus every distinct
 *                   tobject.subject@tobject.subject.type, "CODE:NAME" read as
 *                   NAME (AAP "Finance"/"Sport"/"Justice", EFE "Politics",
 *                   NTB "Medisin og helse", IPTC sample "Weather");
 *                2. docdata/doc-scope@scope (PA "SPORT", "SOCCER", "POLITICS",
 *                   "SHOWBIZ"+"TV"; Canadian Press "National");
 *                3. meta name="category"|"categoria" of 2+ characters (PA
 *                   service codes, EFE "POL") — AAP's one-letter
 *                   anpa-category codes are not names and are ignored;
 *                4. opts->default_category (AP ships none).
 */
#include <ctype.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_buf.h"
#include "nw_date.h"
#include "nw_html.h"
#include "nw_nitf.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"
#include "nw_xml.h"

#define OOM(err) nw_err_set((err), NW_ENOMEM, "out of memory")

/* ------------------------------------------------------- DOM utilities --- */

static bool is_element(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE;
}

/* Append the text below n to b, skipping elements named in skip (NULL-ended). */
static void collect_text(const xmlNode *n, nw_buf *b, const char *const *skip, int depth)
{
    if (depth > NW_XML_MAX_DEPTH)
        return;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content)
                nw_buf_puts(b, (const char *)c->content);
        } else if (is_element(c)) {
            bool skipped = false;
            for (size_t i = 0; skip && skip[i]; i++)
                if (nw_xml_is(c, skip[i]))
                    skipped = true;
            if (!skipped) {
                nw_buf_putc(b, ' ');
                collect_text(c, b, skip, depth + 1);
                nw_buf_putc(b, ' ');
            }
        }
    }
}

/* Squeezed text of n without the skipped elements; NULL when empty or OOM
 * (*oom says which). */
static char *text_without(const xmlNode *n, const char *const *skip, bool *oom)
{
    if (!n)
        return NULL;
    nw_buf b = NW_BUF_INIT;
    collect_text(n, &b, skip, 0);
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        *oom = true;
        return NULL;
    }
    char *s = nw_text_squeeze(nw_buf_str(&b), b.len);
    nw_buf_free(&b);
    if (!s) {
        *oom = true;
        return NULL;
    }
    /* "Newport News , VA": no space before a comma left by collect_text */
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == ' ' && (r[1] == ',' || r[1] == '.' || r[1] == ';'))
            continue;
        *w++ = *r;
    }
    *w = '\0';
    if (!s[0]) {
        free(s);
        return NULL;
    }
    return s;
}

/* Attribute value, squeezed; NULL when absent or blank. *oom set on failure. */
static char *attr_text(const xmlNode *n, const char *name, bool *oom)
{
    if (!n)
        return NULL;
    char *raw = nw_xml_attr(n, name);
    if (!raw)
        return NULL;
    char *s = nw_text_squeeze(raw, strlen(raw));
    free(raw);
    if (!s) {
        *oom = true;
        return NULL;
    }
    if (!s[0]) {
        free(s);
        return NULL;
    }
    return s;
}

/* A <location>: its text, or when it only wraps elements (city, state,
 * country...) their texts joined by ", ". */
static char *location_text(const xmlNode *loc, const char *const *skip, bool *oom)
{
    bool loose_text = false;
    for (const xmlNode *c = loc->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            for (const xmlChar *p = c->content; *p; p++)
                if (!isspace(*p))
                    loose_text = true;
    if (loose_text)
        return text_without(loc, skip, oom);
    nw_buf b = NW_BUF_INIT;
    for (const xmlNode *c = loc->children; c; c = c->next) {
        if (!is_element(c))
            continue;
        char *part = text_without(c, skip, oom);
        if (part) {
            if (b.len)
                nw_buf_puts(&b, ", ");
            nw_buf_puts(&b, part);
        }
        free(part);
    }
    if (nw_buf_failed(&b))
        *oom = true;
    char *out = b.len && !b.oom ? nw_buf_take(&b) : NULL;
    nw_buf_free(&b);
    return out;
}

/* `meta name=...` content under head (name compared without case). Malloc'd. */
static char *meta_content(const xmlNode *head, const char *name, bool *oom)
{
    for (xmlNodePtr m = nw_xml_child(head, "meta"); m; m = nw_xml_next(m, "meta")) {
        char *n = nw_xml_attr(m, "name");
        bool match = n && !strcasecmp(n, name);
        free(n);
        if (match)
            return attr_text(m, "content", oom);
    }
    return NULL;
}

/* ----------------------------------------------------- shared helpers --- */

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* "20131020T192751+1100" -> "2013-10-20T19:27:51+1100"; false when s is not
 * ISO 8601 basic date-time. */
static bool basic_to_extended(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n < 15 || !all_digits(s, 8) || (s[8] != 'T' && s[8] != 't') || !all_digits(s + 9, 6))
        return false;
    const char *zone = s + 15;
    size_t zn = strlen(zone);
    bool zone_ok =
        zn == 0 || !strcmp(zone, "Z") || !strcmp(zone, "z") ||
        ((zone[0] == '+' || zone[0] == '-') &&
         ((zn == 5 && all_digits(zone + 1, 4)) ||
          (zn == 6 && all_digits(zone + 1, 2) && zone[3] == ':' && all_digits(zone + 4, 2)) ||
          (zn == 3 && all_digits(zone + 1, 2))));
    if (!zone_ok)
        return false;
    int w = snprintf(out, outlen, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%s", s, s + 4, s + 6, s + 9, s + 11,
                     s + 13, zone);
    return w > 0 && (size_t)w < outlen;
}

int nw_wire_set_date(char **field, const char *value, const char *what, long line,
                     const nw_parse_opts *opts)
{
    if (!value)
        return 0;
    char *s = nw_text_squeeze(value, strlen(value));
    if (!s)
        return NW_ENOMEM;
    if (!s[0]) {
        free(s);
        return 0;
    }
    const char *zone = opts && opts->timezone ? opts->timezone : NULL;
    char ext[64];
    char *out = NULL;
    nw_err derr = {0};
    int rc;
    if (basic_to_extended(s, ext, sizeof ext))
        rc = nw_time_normalize(ext, zone, &out, &derr);
    else
        rc = nw_date_normalize(s, zone, &out, &derr);
    if (rc == NW_ENOMEM) {
        free(s);
        return NW_ENOMEM;
    }
    if (rc < 0 || !out) {
        if (line > 0)
            nw_parse_warn(opts, "line %ld: %s '%s' is not a date, left out (%s)", line, what, s,
                          derr.msg);
        else
            nw_parse_warn(opts, "%s '%s' is not a date, left out (%s)", what, s, derr.msg);
        free(s);
        free(out);
        return 0;
    }
    free(s);
    free(*field);
    *field = out;
    return 0;
}

/* Does id start with a URI scheme we keep as is? */
static bool is_uri(const char *id)
{
    static const char *const schemes[] = {"urn:", "tag:", "http://", "https://"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (!strncasecmp(id, schemes[i], strlen(schemes[i])) && id[strlen(schemes[i])])
            return true;
    const char *p = id;
    if (!isalpha((unsigned char)*p))
        return false;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return !strncmp(p, "://", 3) && p[3];
}

static char *uri_slug(const char *provider)
{
    char *slug = provider ? nw_text_slug(provider) : NULL;
    if (provider && !slug)
        return NULL;
    if (!slug || !slug[0]) {
        free(slug);
        slug = strdup("nitf");
    }
    return slug;
}

int nw_wire_set_uri(nw_story *story, const char *provider, const char *id)
{
    if (story->uri || !id || !id[0])
        return 0;
    if (is_uri(id))
        return nw_story_set(&story->uri, id);
    char *slug = uri_slug(provider);
    if (!slug)
        return NW_ENOMEM;
    nw_buf b = NW_BUF_INIT;
    nw_buf_printf(&b, "urn:newswire:%s:", slug);
    free(slug);
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (isalnum(*p) || *p == '.' || *p == '_' || *p == '~' || *p == ':' || *p == '-')
            nw_buf_putc(&b, (char)*p);
        else
            nw_buf_printf(&b, "%%%02X", *p);
    }
    int rc = nw_buf_failed(&b) ? NW_ENOMEM : nw_story_set(&story->uri, nw_buf_str(&b));
    nw_buf_free(&b);
    return rc;
}

int nw_wire_set_hash_uri(nw_story *story, const char *provider)
{
    if (story->uri)
        return 0;
    nw_buf b = NW_BUF_INIT;
    const char *h = nw_story_headline(story);
    const char *body = nw_story_body(story, "text/plain");
    nw_buf_puts(&b, h ? h : "");
    nw_buf_puts(&b, "\n\n");
    nw_buf_puts(&b, body ? body : "");
    char hex[33];
    nw_text_hash_hex(nw_buf_str(&b), b.len, hex);
    bool failed = nw_buf_failed(&b);
    nw_buf_free(&b);
    char *slug = uri_slug(provider);
    if (failed || !slug) {
        free(slug);
        return NW_ENOMEM;
    }
    nw_buf u = NW_BUF_INIT;
    nw_buf_printf(&u, "urn:newswire:%s:%s", slug, hex);
    free(slug);
    int rc = nw_buf_failed(&u) ? NW_ENOMEM : nw_story_set(&story->uri, nw_buf_str(&u));
    nw_buf_free(&u);
    return rc;
}

/* English names of the 17 top-level IPTC subject codes (NN000000). */
static const char *const iptc_top_names[] = {
    NULL,
    "arts, culture and entertainment",
    "crime, law and justice",
    "disaster and accident",
    "economy, business and finance",
    "education",
    "environmental issue",
    "health",
    "human interest",
    "labour",
    "lifestyle and leisure",
    "politics",
    "religion and belief",
    "science and technology",
    "social issue",
    "sport",
    "unrest, conflicts and war",
    "weather",
};

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int nw_wire_add_entity(nw_entity_list *list, const char *name, const char *uri, const char *literal,
                       const char *rel)
{
    if (!name && !literal && !uri)
        return 0;
    for (size_t i = 0; i < list->len; i++) {
        const nw_entity *e = &list->items[i];
        if (!same(e->rel, rel))
            continue;
        if (name && e->name && !strcmp(e->name, name))
            return 0;
        if (!name && literal && same(e->literal, literal))
            return 0;
        if (!name && !literal && same(e->uri, uri))
            return 0;
    }
    return nw_entity_list_add(list, name, uri, literal, rel);
}

int nw_wire_add_iptc_subject(nw_story *story, const char *code, const char *name)
{
    char uri[96], literal[64];
    snprintf(uri, sizeof uri, "http://cv.iptc.org/newscodes/subjectcode/%s", code);
    snprintf(literal, sizeof literal, "subj:%s", code);
    for (size_t i = 0; i < story->subjects.len; i++) {
        nw_entity *e = &story->subjects.items[i];
        if (e->uri && !strcmp(e->uri, uri)) {
            /* a later occurrence may carry the name the first one lacked */
            if (!e->name && name)
                return nw_story_set(&e->name, name);
            return 0;
        }
    }
    if (!name && strlen(code) == 8 && all_digits(code, 8) && !strcmp(code + 2, "000000")) {
        int top = (code[0] - '0') * 10 + (code[1] - '0');
        if (top >= 1 && top <= 17)
            name = iptc_top_names[top];
    }
    return nw_entity_list_add(&story->subjects, name, uri, literal, "subject");
}

bool nw_wire_root_name(const char *buf, size_t len, char *out, size_t outlen)
{
    const char *p = buf, *end = buf + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p >= end || *p != '<')
            return false;
        if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
            const char *q = NULL;
            for (const char *s = p + 4; s + 3 <= end; s++)
                if (!memcmp(s, "-->", 3)) {
                    q = s + 3;
                    break;
                }
            if (!q)
                return false;
            p = q;
        } else if (end - p >= 2 && (p[1] == '?' || p[1] == '!')) {
            /* PI or DOCTYPE (an internal subset's brackets are skipped) */
            int bracket = 0;
            const char *s = p + 2;
            for (; s < end; s++) {
                if (*s == '[')
                    bracket++;
                else if (*s == ']')
                    bracket--;
                else if (*s == '>' && bracket <= 0)
                    break;
            }
            if (s >= end)
                return false;
            p = s + 1;
        } else {
            p++;
            const char *name = p;
            while (p < end && !isspace((unsigned char)*p) && *p != '>' && *p != '/')
                p++;
            const char *colon = memchr(name, ':', (size_t)(p - name));
            if (colon)
                name = colon + 1;
            size_t n = (size_t)(p - name);
            if (n == 0 || n >= outlen)
                return false;
            memcpy(out, name, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------- the body --- */

static bool blank_text(const xmlNode *n)
{
    if (n->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *p = n->content; p && *p; p++)
        if (!isspace(*p))
            return false;
    return true;
}

/* A <br> with no <br> right before or after it (whitespace aside). */
static bool lone_br(const xmlNode *br)
{
    const xmlNode *p = br->prev, *n = br->next;
    while (p && blank_text(p))
        p = p->prev;
    while (n && blank_text(n))
        n = n->next;
    return !(p && nw_xml_is(p, "br")) && !(n && nw_xml_is(n, "br"));
}

/* Map NITF-only elements in a copied subtree to what nw_html understands. */
static void map_body_elements(xmlNodePtr n, int depth)
{
    if (depth > NW_XML_MAX_DEPTH)
        return;
    xmlNodePtr c = n->children;
    while (c) {
        xmlNodePtr next = c->next;
        if (c->type == XML_ELEMENT_NODE) {
            if (nw_xml_is(c, "media") || nw_xml_is(c, "note") || nw_xml_is(c, "body.end") ||
                nw_xml_is(c, "body.head")) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
                c = next;
                continue;
            }
            if (nw_xml_is(c, "br") && lone_br(c)) {
                /* a wire line wrap inside a paragraph (AAP): a space */
                xmlNodePtr space = xmlNewDocText(c->doc, BAD_CAST " ");
                if (space) {
                    xmlReplaceNode(c, space);
                    xmlFreeNode(c);
                }
                c = next;
                continue;
            }
            if (nw_xml_is(c, "hl1"))
                xmlNodeSetName(c, BAD_CAST "h1");
            else if (nw_xml_is(c, "hl2"))
                xmlNodeSetName(c, BAD_CAST "h2");
            else if (nw_xml_is(c, "bq"))
                xmlNodeSetName(c, BAD_CAST "blockquote");
            else if (nw_xml_is(c, "block") || nw_xml_is(c, "body.content"))
                xmlNodeSetName(c, BAD_CAST "div");
            xmlSetNs(c, NULL);
            map_body_elements(c, depth + 1);
        }
        c = next;
    }
}

/* Markup of one element's mapped children, appended to b. */
static void append_mapped(const xmlNode *node, nw_buf *b)
{
    xmlDocPtr tmp = xmlNewDoc(BAD_CAST "1.0");
    if (!tmp) {
        b->oom = true;
        return;
    }
    xmlNodePtr copy = xmlDocCopyNode((xmlNodePtr)node, tmp, 1);
    if (!copy) {
        xmlFreeDoc(tmp);
        b->oom = true;
        return;
    }
    xmlDocSetRootElement(tmp, copy);
    map_body_elements(copy, 0);
    char *markup = nw_xml_inner_markup(copy);
    if (!markup) {
        b->oom = true;
    } else {
        if (b->len)
            nw_buf_putc(b, '\n');
        nw_buf_puts(b, markup);
        free(markup);
    }
    xmlFreeDoc(tmp);
}

char *nw_nitf_body_markup(const xmlNode *node)
{
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "");
    if (node && nw_xml_is(node, "nitf"))
        node = nw_xml_child(node, "body");
    if (node && nw_xml_is(node, "body") && nw_xml_child(node, "body.content")) {
        for (xmlNodePtr bc = nw_xml_child(node, "body.content"); bc;
             bc = nw_xml_next(bc, "body.content"))
            append_mapped(bc, &b);
    } else if (node) {
        append_mapped(node, &b);
    }
    return nw_buf_take(&b);
}

/* Copy node (mapped to HTML names) under root; false when memory ran out. */
static bool adopt_mapped(const xmlNode *node, xmlDocPtr tmp, xmlNodePtr root)
{
    xmlNodePtr copy = xmlDocCopyNode((xmlNodePtr)node, tmp, 1);
    if (!copy)
        return false;
    if (!xmlAddChild(root, copy)) {
        xmlFreeNode(copy);
        return false;
    }
    map_body_elements(copy, 0);
    return true;
}

/* The NITF-only elements as map_body_elements maps them, for
 * nw_html_add_bodies_mapped (no copy of the tree). */
static bool dropped_in_body(const xmlNode *c)
{
    return nw_xml_is(c, "media") || nw_xml_is(c, "note") || nw_xml_is(c, "body.end") ||
           nw_xml_is(c, "body.head");
}

static nw_html_map_kind map_body_element(const xmlNode *c, const char **name, void *ctx)
{
    (void)ctx;
    if (dropped_in_body(c))
        return NW_HTML_MAP_DROP;
    if (nw_xml_is(c, "br") && lone_br(c))
        return NW_HTML_MAP_SPACE;
    if (nw_xml_is(c, "hl1"))
        *name = "h1";
    else if (nw_xml_is(c, "hl2"))
        *name = "h2";
    else if (nw_xml_is(c, "bq"))
        *name = "blockquote";
    else if (nw_xml_is(c, "block") || nw_xml_is(c, "body.content"))
        *name = "div";
    return NW_HTML_MAP_ELEMENT;
}

/* True when map_body_elements' in-place edits could make a lone <br>
 * decision differ from lone_br on the untouched tree: an element it drops
 * beside a <br> (the <br> after it then sees past it). Those bodies take
 * the copy. */
static bool drop_beside_br(const xmlNode *top)
{
    const xmlNode *n = top;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && n->children) {
            bool drop = false, br = false;
            for (const xmlNode *c = n->children; c; c = c->next) {
                drop |= c->type == XML_ELEMENT_NODE && dropped_in_body(c);
                br |= nw_xml_is(c, "br");
            }
            if (drop && br)
                return true;
            n = n->children;
            continue;
        }
        while (n != top && !n->next)
            n = n->parent;
        n = n == top ? NULL : n->next;
    }
    return false;
}

/* The bodies straight from the document tree when that gives what the copy
 * would; NW_HTML_NOT_SIMPLE when the copy is needed. */
static int add_bodies_in_place(const xmlNode *node, nw_story *story, nw_err *err)
{
    const xmlNode *tops[16];
    size_t n = 0;
    if (nw_xml_is(node, "body") && nw_xml_child(node, "body.content")) {
        for (xmlNodePtr bc = nw_xml_child(node, "body.content"); bc;
             bc = nw_xml_next(bc, "body.content")) {
            if (n == sizeof tops / sizeof tops[0])
                return NW_HTML_NOT_SIMPLE;
            tops[n++] = bc;
        }
    } else {
        tops[n++] = node;
    }
    for (size_t i = 0; i < n; i++)
        if (drop_beside_br(tops[i]))
            return NW_HTML_NOT_SIMPLE;
    static const nw_html_map map = {map_body_element, NULL};
    return nw_html_add_bodies_mapped(story, tops, n, &map, err);
}

int nw_nitf_add_bodies(const xmlNode *node, nw_story *story, nw_err *err)
{
    /* The same body.content elements nw_nitf_body_markup serializes, mapped
     * under one wrapper and cleaned as a tree: no serialize and re-parse
     * round trip (a third of the parse time on NITF). Walked in place
     * through the map when that is the same (add_bodies_in_place), else
     * copied and mapped. */
    if (node && nw_xml_is(node, "nitf"))
        node = nw_xml_child(node, "body");
    if (!node)
        return 0;
    int in_place = add_bodies_in_place(node, story, err);
    if (in_place != NW_HTML_NOT_SIMPLE)
        return in_place;
    xmlDocPtr tmp = xmlNewDoc(BAD_CAST "1.0");
    if (tmp && node->doc && node->doc->dict) {
        /* names of the copies come from the document's dictionary instead
         * of one malloc'd string each (xmlFreeDoc drops the reference) */
        tmp->dict = node->doc->dict;
        xmlDictReference(tmp->dict);
    }
    xmlNodePtr root = tmp ? xmlNewDocNode(tmp, NULL, BAD_CAST "div", NULL) : NULL;
    if (!root) {
        xmlFreeDoc(tmp);
        return OOM(err);
    }
    xmlDocSetRootElement(tmp, root);
    bool ok = true;
    if (nw_xml_is(node, "body") && nw_xml_child(node, "body.content")) {
        for (xmlNodePtr bc = nw_xml_child(node, "body.content"); bc && ok;
             bc = nw_xml_next(bc, "body.content"))
            ok = adopt_mapped(bc, tmp, root);
    } else {
        ok = adopt_mapped(node, tmp, root);
    }
    int rc = ok ? nw_html_add_bodies_node(story, root, err) : OOM(err);
    xmlFreeDoc(tmp);
    return rc;
}

/* --------------------------------------------------- the NITF mapping --- */

/* Everything one fill needs, so helpers take one argument. */
typedef struct nitf_ctx {
    const xmlNode *root, *head, *docdata, *body, *bhead;
    nw_story *story;
    const nw_parse_opts *opts;
    nw_err *err;
    bool oom;
} nitf_ctx;

/* Standard NITF tobject.type values: genres, not sections. */
static const char *const nitf_genres[] = {
    "news",
    "analysis",
    "archive material",
    "background",
    "feature",
    "forecast",
    "history",
    "obituary",
    "opinion",
    "polls & surveys",
    "profile",
    "results listings & tables",
    "side bar & supporting information",
    "summary",
    "transcript & verbatim",
    "advisory",
    "press release",
    "current",
    "article",
};

static bool is_nitf_genre(const char *s)
{
    for (size_t i = 0; i < sizeof nitf_genres / sizeof nitf_genres[0]; i++)
        if (!strcasecmp(s, nitf_genres[i]))
            return true;
    return false;
}

static int set_if_absent(char **field, const char *value)
{
    if (*field || !value)
        return 0;
    return nw_story_set(field, value);
}

static int add_category(nitf_ctx *c, const char *name, int *added)
{
    nw_err cerr = {0};
    int rc = nw_story_add_category(c->story, name, &cerr);
    if (rc == NW_ENOMEM)
        return rc;
    if (rc < 0)
        nw_parse_warn(c->opts, "category skipped: %s", cerr.msg);
    else
        ++*added;
    return 0;
}

static bool json_set_string(json_t **obj, const char *key, const char *value)
{
    if (!*obj && !(*obj = json_object()))
        return false;
    if (json_object_get(*obj, key))
        return true;
    json_t *s = json_string(value);
    return s && json_object_set_new(*obj, key, s) == 0;
}

/* ids, version, status, dates */
static int map_docdata(nitf_ctx *c)
{
    nw_story *s = c->story;
    const xmlNode *dd = c->docdata;
    int rc = 0;

    /* provider, for the uri slug and infoSources */
    char *provider = NULL, *regsrc = NULL;
    xmlNodePtr docid = dd ? nw_xml_child(dd, "doc-id") : NULL;
    regsrc = attr_text(docid, "regsrc", &c->oom);
    if (c->bhead)
        provider = text_without(nw_xml_child(c->bhead, "distributor"), NULL, &c->oom);
    if (!provider && regsrc && !(provider = strdup(regsrc)))
        c->oom = true;
    if (!provider && dd) {
        xmlNodePtr dl = nw_xml_child(dd, "del-list");
        provider = attr_text(dl ? nw_xml_child(dl, "from-src") : NULL, "src-name", &c->oom);
    }
    if (!provider)
        provider = meta_content(c->head, "aap-source", &c->oom);
    if (!provider && dd)
        provider = attr_text(nw_xml_child(dd, "doc.copyright"), "holder", &c->oom);
    if (provider && !nw_story_provider(s))
        rc = nw_entity_list_add(&s->info_sources, provider, NULL, NULL, "source");

    /* uri */
    char *id = attr_text(docid, "id-string", &c->oom);
    if (!rc && id && !s->uri) {
        char *ntbid = meta_content(c->head, "NTBID", &c->oom);
        const char *use = id;
        size_t k = ntbid ? strlen(ntbid) : 0;
        if (k && !strncmp(id, ntbid, k) && id[k] == '_' &&
            all_digits(id + k + 1, strlen(id + k + 1)))
            use = ntbid;
        rc = nw_wire_set_uri(s, regsrc ? regsrc : provider, use);
        if (!rc) {
            json_t *alt = json_pack("[{s:s, s:s}]", "role", "doc-id", "value", id);
            if (!alt || (!s->extra && !(s->extra = json_object())))
                rc = NW_ENOMEM;
            else if (!json_object_get(s->extra, "altIds"))
                json_object_set(s->extra, "altIds", alt);
            json_decref(alt);
        }
        free(ntbid);
    }
    free(id);
    free(regsrc);
    free(provider);
    if (rc || !dd)
        return rc;

    /* version */
    char *ver = attr_text(nw_xml_child(dd, "du-key"), "version", &c->oom);
    if (ver && all_digits(ver, strlen(ver))) {
        const char *v = ver;
        while (v[0] == '0' && v[1])
            v++;
        rc = set_if_absent(&s->version, v);
    } else if (ver) {
        nw_parse_warn(c->opts, "line %ld: du-key version '%s' is not a number, ignored",
                      nw_xml_line(nw_xml_child(dd, "du-key")), ver);
    }
    free(ver);

    /* status */
    char *status = attr_text(dd, "management-status", &c->oom);
    bool embargoed = false;
    if (!rc && status && !s->pub_status) {
        const char *ps = NULL;
        if (!strcasecmp(status, "usable"))
            ps = "usable";
        else if (!strcasecmp(status, "withheld"))
            ps = "withheld";
        else if (!strcasecmp(status, "canceled") || !strcasecmp(status, "cancelled"))
            ps = "canceled";
        else if (!strcasecmp(status, "embargoed"))
            ps = "usable", embargoed = true;
        else
            nw_parse_warn(c->opts, "line %ld: management-status '%s' unknown, read as usable",
                          nw_xml_line(dd), status);
        if (ps)
            rc = nw_story_set(&s->pub_status, ps);
    }
    free(status);
    if (rc)
        return rc;

    /* dates */
    xmlNodePtr n;
    char *v;
    if ((n = nw_xml_child(dd, "date.issue")) && !s->version_created) {
        v = nw_xml_attr(n, "norm");
        rc = nw_wire_set_date(&s->version_created, v, "date.issue", nw_xml_line(n), c->opts);
        free(v);
    }
    if (!rc && !s->first_created) {
        char *earliest = NULL;
        for (xmlNodePtr r = nw_xml_child(c->head, "revision-history"); r && !rc;
             r = nw_xml_next(r, "revision-history")) {
            char *when = NULL;
            v = nw_xml_attr(r, "norm");
            rc = v ? nw_wire_set_date(&when, v, "revision-history", nw_xml_line(r), c->opts) : 0;
            free(v);
            if (when && (!earliest || strcmp(when, earliest) < 0)) {
                free(earliest);
                earliest = when;
            } else {
                free(when);
            }
        }
        if (!rc && !earliest && s->version_created)
            rc = nw_story_set(&s->first_created, s->version_created);
        else if (earliest)
            s->first_created = earliest, earliest = NULL;
        free(earliest);
    }
    if (!rc && (n = nw_xml_child(dd, "date.release")) && !s->embargoed_until) {
        char *rel = NULL;
        v = nw_xml_attr(n, "norm");
        rc = nw_wire_set_date(&rel, v, "date.release", nw_xml_line(n), c->opts);
        free(v);
        if (rel && (embargoed || !s->version_created || strcmp(rel, s->version_created) > 0))
            s->embargoed_until = rel, rel = NULL;
        free(rel);
    }
    if (!rc && (n = nw_xml_child(dd, "date.expire"))) {
        char *exp = NULL;
        v = nw_xml_attr(n, "norm");
        rc = nw_wire_set_date(&exp, v, "date.expire", nw_xml_line(n), c->opts);
        free(v);
        if (exp && !json_set_string(&s->extra, "expires", exp))
            rc = NW_ENOMEM;
        free(exp);
    }
    if (rc)
        return rc;

    /* urgency: docdata/urgency, or head/urgency in some feeds */
    n = nw_xml_child(dd, "urgency");
    if (!n)
        n = nw_xml_child(c->head, "urgency");
    char *urg = attr_text(n, "ed-urg", &c->oom);
    if (urg && !s->urgency) {
        if (strlen(urg) == 1 && urg[0] >= '1' && urg[0] <= '9')
            s->urgency = urg[0] - '0';
        else
            nw_parse_warn(c->opts, "line %ld: urgency ed-urg '%s' is not 1..9, left out",
                          nw_xml_line(n), urg);
    }
    free(urg);

    /* editorial note, copyright */
    char *msg = attr_text(nw_xml_child(dd, "ed-msg"), "info", &c->oom);
    rc = set_if_absent(&s->ed_note, msg);
    free(msg);
    n = nw_xml_child(dd, "doc.copyright");
    char *holder = attr_text(n, "holder", &c->oom);
    char *year = attr_text(n, "year", &c->oom);
    if (!holder && c->bhead) {
        xmlNodePtr rights = nw_xml_child(c->bhead, "rights");
        holder = text_without(rights ? nw_xml_child(rights, "rights.owner") : NULL, NULL, &c->oom);
    }
    if (!rc && holder) {
        if (!s->copyright_notice) {
            nw_buf b = NW_BUF_INIT;
            nw_buf_printf(&b, "Copyright %s%s%s", year ? year : "", year ? " " : "", holder);
            rc = nw_buf_failed(&b) ? NW_ENOMEM : nw_story_set(&s->copyright_notice, b.data);
            nw_buf_free(&b);
        }
        if (!rc && !json_set_string(&s->extra, "copyrightHolder", holder))
            rc = NW_ENOMEM;
    }
    free(holder);
    free(year);
    return rc;
}

/* hl1/hl2/title, byline, dateline, abstract */
static int map_body_head(nitf_ctx *c)
{
    nw_story *s = c->story;
    int rc = 0;
    bool oom = false;
    char *title = c->head ? text_without(nw_xml_child(c->head, "title"), NULL, &oom) : NULL;
    if (title && !json_set_string(&s->extra, "title", title))
        oom = true;
    const xmlNode *bh = c->bhead;
    xmlNodePtr hed = bh ? nw_xml_child(bh, "hedline") : NULL;
    if (s->headlines.len == 0) {
        char *hl1 = text_without(hed ? nw_xml_child(hed, "hl1") : NULL, NULL, &oom);
        const char *main = hl1 ? hl1 : title;
        if (main)
            rc = nw_text_list_add(&s->headlines, main, "main", "text/plain");
        for (xmlNodePtr h = hed ? nw_xml_child(hed, "hl2") : NULL; h && !rc;
             h = nw_xml_next(h, "hl2")) {
            char *hl2 = text_without(h, NULL, &oom);
            if (hl2)
                rc = nw_text_list_add(&s->headlines, hl2, "subheadline", "text/plain");
            free(hl2);
        }
        free(hl1);
    }
    free(title);
    if (rc || oom || !bh)
        return rc ? rc : oom ? NW_ENOMEM : 0;

    /* byline */
    xmlNodePtr by = nw_xml_child(bh, "byline");
    if (by && !s->by) {
        static const char *const skip_byttl[] = {"byttl", NULL};
        char *who = text_without(by, skip_byttl, &oom);
        char *ttl = text_without(nw_xml_child(by, "byttl"), NULL, &oom);
        if (who && ttl) {
            nw_buf b = NW_BUF_INIT;
            nw_buf_printf(&b, "%s, %s", who, ttl);
            rc = nw_buf_failed(&b) ? NW_ENOMEM : nw_story_set(&s->by, b.data);
            nw_buf_free(&b);
        } else if (who || ttl) {
            rc = nw_story_set(&s->by, who ? who : ttl);
        }
        free(who);
        free(ttl);
    }

    /* dateline */
    xmlNodePtr dl = nw_xml_child(bh, "dateline");
    if (!rc && dl) {
        static const char *const skip_date[] = {"story.date", NULL};
        xmlNodePtr loc = nw_xml_child(dl, "location");
        char *where = loc ? location_text(loc, skip_date, &oom) : text_without(dl, skip_date, &oom);
        if (where)
            rc = set_if_absent(&s->located, where);
        free(where);
        xmlNodePtr sd = nw_xml_child(dl, "story.date");
        if (!rc && sd && !s->content_created) {
            char *norm = nw_xml_attr(sd, "norm");
            if (!norm)
                norm = nw_xml_text(sd);
            rc =
                nw_wire_set_date(&s->content_created, norm, "story.date", nw_xml_line(sd), c->opts);
            free(norm);
        }
    }

    /* abstract */
    xmlNodePtr ab = nw_xml_child(bh, "abstract");
    if (!rc && ab && s->descriptions.len == 0) {
        char *markup = nw_nitf_body_markup(ab);
        nw_err herr = {0};
        char *plain = markup ? nw_html_to_text(markup, strlen(markup), &herr) : NULL;
        if (!markup)
            oom = true;
        if (plain && plain[0])
            rc = nw_text_list_add(&s->descriptions, plain, "summary", "text/plain");
        free(plain);
        free(markup);
    }
    return rc ? rc : oom ? NW_ENOMEM : 0;
}

/* tobject, key-list, series, genres, categories */
static int map_classification(nitf_ctx *c)
{
    nw_story *s = c->story;
    const xmlNode *head = c->head;
    int rc = 0, cats = 0;
    if (!head)
        return 0;
    for (xmlNodePtr t = nw_xml_child(head, "tobject"); t && !rc; t = nw_xml_next(t, "tobject")) {
        char *type = attr_text(t, "tobject.type", &c->oom);
        if (type) {
            if (is_nitf_genre(type))
                rc = nw_wire_add_entity(&s->genres, type, NULL, NULL, NULL);
            else
                rc = add_category(c, type, &cats);
        }
        free(type);
        for (xmlNodePtr p = nw_xml_child(t, "tobject.property"); p && !rc;
             p = nw_xml_next(p, "tobject.property")) {
            char *g = attr_text(p, "tobject.property.type", &c->oom);
            if (g)
                rc = nw_wire_add_entity(&s->genres, g, NULL, NULL, NULL);
            free(g);
        }
        for (xmlNodePtr sub = nw_xml_child(t, "tobject.subject"); sub && !rc;
             sub = nw_xml_next(sub, "tobject.subject")) {
            char *ref = attr_text(sub, "tobject.subject.refnum", &c->oom);
            char *ipr = attr_text(sub, "tobject.subject.ipr", &c->oom);
            char *st = attr_text(sub, "tobject.subject.type", &c->oom);
            char *sm = attr_text(sub, "tobject.subject.matter", &c->oom);
            char *sd = attr_text(sub, "tobject.subject.detail", &c->oom);
            const char *name = sd ? sd : sm ? sm : st;
            if (st) {
                const char *colon = strchr(st, ':');
                rc = add_category(c, colon && colon[1] ? colon + 1 : st, &cats);
            }
            if (rc) {
                /* fall through to free */
            } else if (!ref) {
                nw_parse_warn(c->opts, "line %ld: tobject.subject without a refnum, skipped",
                              nw_xml_line(sub));
            } else if ((!ipr || !strcasecmp(ipr, "IPTC")) && strlen(ref) == 8 &&
                       all_digits(ref, 8)) {
                rc = nw_wire_add_iptc_subject(s, ref, name);
            } else {
                nw_buf lit = NW_BUF_INIT;
                char *scheme = ipr ? nw_text_slug(ipr) : NULL;
                nw_buf_printf(&lit, "%s:%s", scheme && scheme[0] ? scheme : "nitf", ref);
                free(scheme);
                rc = nw_buf_failed(&lit)
                         ? NW_ENOMEM
                         : nw_wire_add_entity(&s->subjects, name, NULL, lit.data, "subject");
                nw_buf_free(&lit);
            }
            free(ref);
            free(ipr);
            free(st);
            free(sm);
            free(sd);
        }
    }
    const xmlNode *dd = c->docdata;
    if (!rc && dd) {
        xmlNodePtr kl = nw_xml_child(dd, "key-list");
        for (xmlNodePtr k = kl ? nw_xml_child(kl, "keyword") : NULL; k && !rc;
             k = nw_xml_next(k, "keyword")) {
            char *kw = attr_text(k, "key", &c->oom);
            if (!kw)
                kw = text_without(k, NULL, &c->oom);
            if (kw)
                rc = nw_wire_add_entity(&s->subjects, kw, NULL, NULL, "keyword");
            free(kw);
        }
        char *series = attr_text(nw_xml_child(dd, "series"), "series.name", &c->oom);
        if (!rc && series)
            rc = nw_wire_add_entity(&s->subjects, series, NULL, NULL, "series");
        free(series);
        if (nw_story_categories(s, NULL, 0) > 0)
            cats = 1; /* a wrapper (or rule 1) already named the sections */
        for (xmlNodePtr sc = cats ? NULL : nw_xml_child(dd, "doc-scope"); sc && !rc;
             sc = nw_xml_next(sc, "doc-scope")) {
            char *scope = attr_text(sc, "scope", &c->oom);
            int dummy = 0;
            if (scope)
                rc = add_category(c, scope, &dummy);
            free(scope);
        }
        if (nw_story_categories(s, NULL, 0) > 0)
            cats = 1;
    }
    if (!rc && cats == 0) {
        static const char *const names[] = {"category", "categoria"};
        for (size_t i = 0; i < 2 && !rc && cats == 0; i++) {
            char *cat = meta_content(head, names[i], &c->oom);
            if (cat && strlen(cat) >= 2)
                rc = add_category(c, cat, &cats);
            free(cat);
        }
    }
    /* slugline */
    if (!rc && !s->slugline) {
        char *slug = meta_content(head, "anpa-keyword", &c->oom);
        if (!slug)
            slug = meta_content(head, "NTBStikkord", &c->oom);
        if (!slug && dd)
            slug = attr_text(nw_xml_child(dd, "du-key"), "key", &c->oom);
        rc = set_if_absent(&s->slugline, slug);
        free(slug);
    }
    return rc;
}

/* person/org/location elements below n (identified-content, body tags). */
static int collect_entities(nitf_ctx *c, const xmlNode *n, int depth)
{
    if (depth > NW_XML_MAX_DEPTH)
        return 0;
    int rc = 0;
    for (xmlNodePtr e = n->children; e && !rc; e = e->next) {
        if (!is_element(e))
            continue;
        nw_entity_list *list = nw_xml_is(e, "person")     ? &c->story->people
                               : nw_xml_is(e, "org")      ? &c->story->organisations
                               : nw_xml_is(e, "location") ? &c->story->places
                                                          : NULL;
        if (!list) {
            if (!nw_xml_is(e, "media") && !nw_xml_is(e, "byline") && !nw_xml_is(e, "distributor") &&
                !nw_xml_is(e, "dateline"))
                rc = collect_entities(c, e, depth + 1);
            continue;
        }
        char *name = list == &c->story->places ? location_text(e, NULL, &c->oom)
                                               : text_without(e, NULL, &c->oom);
        char *code = attr_text(e, list == &c->story->places ? "location-code" : "value", &c->oom);
        char *src = attr_text(e, list == &c->story->places ? "code-source" : "idsrc", &c->oom);
        char *literal = NULL;
        if (code) {
            nw_buf b = NW_BUF_INIT;
            nw_buf_printf(&b, "%s%s%s", src ? src : "", src ? ":" : "", code);
            literal = nw_buf_take(&b);
            if (!literal)
                rc = NW_ENOMEM;
        }
        if (!rc && (name || literal))
            rc = nw_wire_add_entity(list, name, NULL, literal, NULL);
        free(name);
        free(code);
        free(src);
        free(literal);
    }
    return rc;
}

static int map_entities(nitf_ctx *c)
{
    int rc = 0;
    const xmlNode *dd = c->docdata;
    if (dd) {
        xmlNodePtr ic = nw_xml_child(dd, "identified-content");
        if (ic)
            rc = collect_entities(c, ic, 0);
        for (xmlNodePtr ev = nw_xml_child(dd, "evloc"); ev && !rc; ev = nw_xml_next(ev, "evloc")) {
            static const char *const parts[] = {"city", "county-dist", "state-prov", "iso-cc"};
            for (size_t i = 0; i < 4 && !rc; i++) {
                char *v = attr_text(ev, parts[i], &c->oom);
                if (v)
                    rc = nw_wire_add_entity(&c->story->places, v, NULL, NULL, NULL);
                free(v);
                if (v)
                    break;
            }
        }
    }
    for (xmlNodePtr bc = c->body ? nw_xml_child(c->body, "body.content") : NULL; bc && !rc;
         bc = nw_xml_next(bc, "body.content"))
        rc = collect_entities(c, bc, 0);
    return rc;
}

/* Subtags of 1..8 letters/digits joined by '-' (or '_'), the first 2..8 letters. */
static bool bcp47_shape(const char *s)
{
    size_t run = 0, subtags = 0;
    for (const char *p = s;; p++) {
        if (*p == '-' || *p == '_' || *p == '\0') {
            if (run == 0 || run > 8 || (subtags == 0 && run < 2))
                return false;
            subtags++;
            run = 0;
            if (!*p)
                return true;
        } else if (isalpha((unsigned char)*p) || (subtags > 0 && isdigit((unsigned char)*p))) {
            run++;
        } else {
            return false;
        }
    }
}

static int map_language(nitf_ctx *c)
{
    if (c->story->language)
        return 0;
    char *lang = attr_text(c->root, "lang", &c->oom);
    if (!lang)
        lang = attr_text(c->root, "baselang", &c->oom);
    int rc = 0;
    if (lang && bcp47_shape(lang)) {
        for (char *p = lang; *p; p++)
            if (*p == '_')
                *p = '-';
        rc = nw_story_set(&c->story->language, lang);
    } else if (lang) {
        nw_parse_warn(c->opts, "line %ld: language '%s' is not a BCP 47 tag, left out",
                      nw_xml_line(c->root), lang);
    }
    free(lang);
    return rc;
}

int nw_nitf_fill_story(xmlNodePtr nitf_root, nw_story *story, const nw_parse_opts *opts,
                       nw_err *err)
{
    if (!is_element(nitf_root) || !nw_xml_is(nitf_root, "nitf"))
        return nw_err_set(err, NW_EINVAL, "line %ld: expected a <nitf> element, found <%s>",
                          nitf_root ? nw_xml_line(nitf_root) : 0L,
                          nitf_root && nitf_root->name ? (const char *)nitf_root->name : "none");
    nitf_ctx c = {.root = nitf_root, .story = story, .opts = opts, .err = err};
    c.head = nw_xml_child(nitf_root, "head");
    c.docdata = c.head ? nw_xml_child(c.head, "docdata") : NULL;
    c.body = nw_xml_child(nitf_root, "body");
    c.bhead = c.body ? nw_xml_child(c.body, "body.head") : NULL;

    int rc = set_if_absent(&story->type, "text");
    if (!rc)
        rc = map_body_head(&c);
    if (!rc && story->bodies.len == 0 && c.body)
        rc = nw_nitf_add_bodies(c.body, story, err);
    if (rc && rc != NW_ENOMEM)
        return rc; /* nw_html set err */
    if (!rc)
        rc = map_docdata(&c);
    if (!rc)
        rc = map_classification(&c);
    if (!rc)
        rc = map_entities(&c);
    if (!rc)
        rc = map_language(&c);
    if (!rc && c.oom)
        rc = NW_ENOMEM;
    if (rc == NW_ENOMEM)
        return OOM(err);
    return rc;
}

/* ------------------------------------------------------------ parser --- */

static int nitf_detect(const char *buf, size_t len)
{
    char root[64];
    if (!nw_wire_root_name(buf, len < 8192 ? len : 8192, root, sizeof root))
        return 0;
    return !strcmp(root, "nitf") ? 95 : 0;
}

static int nitf_parse(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                      nw_err *err)
{
    nw_xml_doc doc = {0};
    int rc = nw_xml_read(buf, len, NULL, NULL, opts->max_input_bytes, &doc, err);
    if (rc < 0)
        return rc;
    nw_xml_warn_decoding(&doc, opts);
    xmlNodePtr root = nw_xml_root(&doc);
    if (!root || !nw_xml_is(root, "nitf")) {
        rc = nw_err_set(err, NW_EINVAL, "line %ld: expected root element <nitf>, found <%s>",
                        root ? nw_xml_line(root) : 0L, root ? (const char *)root->name : "nothing");
        nw_xml_doc_free(&doc);
        return rc;
    }
    nw_story *story = nw_story_new();
    if (!story) {
        nw_xml_doc_free(&doc);
        return OOM(err);
    }
    rc = nw_nitf_fill_story(root, story, opts, err);
    if (!rc && !story->version)
        rc = nw_story_set(&story->version, "1");
    if (!rc && !story->pub_status)
        rc = nw_story_set(&story->pub_status, "usable");
    if (!rc && !story->uri) {
        /* the same slug a doc-id would have used: regsrc, else the provider */
        xmlNodePtr head = nw_xml_child(root, "head");
        xmlNodePtr dd = head ? nw_xml_child(head, "docdata") : NULL;
        char *regsrc = dd ? nw_xml_attr(nw_xml_child(dd, "doc-id"), "regsrc") : NULL;
        rc = nw_wire_set_hash_uri(story, regsrc && regsrc[0] ? regsrc : nw_story_provider(story));
        free(regsrc);
    }
    if (rc == NW_ENOMEM)
        OOM(err);
    if (!rc && !nw_story_headline(story))
        nw_parse_warn(opts, "no headline (hedline/hl1 and head/title are empty)");
    if (!rc && nw_story_categories(story, NULL, 0) == 0 && opts->default_category) {
        rc = nw_story_add_category(story, opts->default_category, err);
        if (rc < 0 && rc != NW_ENOMEM)
            nw_err_prefix(err, "default category: ");
    }
    nw_xml_doc_free(&doc);
    if (rc < 0) {
        nw_story_free(story);
        return rc;
    }
    if (nw_story_list_add(out, story) < 0)
        return OOM(err);
    return 0;
}

const nw_parser nw_parser_nitf = {
    .name = "nitf",
    .description = "NITF 2.x-3.6 (News Industry Text Format), one story per document",
    .detect = nitf_detect,
    .parse = nitf_parse,
    .flags = NW_PARSER_RAW_BYTES,
};
