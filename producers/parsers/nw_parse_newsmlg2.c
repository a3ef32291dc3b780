/*
 * nw_parse_newsmlg2 — the "newsml-g2" format: IPTC NewsML-G2 newsItem,
 * packageItem and newsMessage documents into stories. It owns the G2 ->
 * nw_story rules below; NITF bodies inside inlineXML go through nw_nitf.h.
 * Elements are matched by local name, so the default G2 namespace, no
 * namespace and Reuters' "ns0:" prefix read the same. It never fetches a
 * catalog (qcodes stay qcodes, a few IPTC schemes are expanded to their
 * cv.iptc.org URIs), never logs directly and never outputs a wrong date.
 *
 * Roots:
 *   newsItem     one story.
 *   packageItem  one story of type "composite"; every groupSet/group/itemRef
 *                (document order, a residref only once) becomes
 *                associations[] {name "item<N>", uri residref (href when no
 *                residref), type from itemRef/itemClass, headlines from
 *                itemRef/title (else itemRef/headline), descriptions from
 *                itemRef/description, version, pubStatus}.
 *   newsMessage  every newsItem/packageItem of itemSet is a story; other items
 *                there are skipped with a warning. An empty itemSet (or none)
 *                is zero stories, not an error (nw_parse_buffer itself then
 *                reports "no story found").
 *   conceptItem, knowledgeItem, catalogItem, catalog, planningItem and G2
 *                fragments (a bare groupSet, contentSet, contentMeta...):
 *                error "not a news item (<root>)". Planning items are refused
 *                too: they announce coverage, they are not copy, and routing
 *                them to news topics would mislead every consumer.
 *   anything else: error "not NewsML-G2: root element <x>".
 *
 * Item fields (im = itemMeta, cm = contentMeta):
 *   uri          @guid kept when it is a URI (has a scheme: urn:, tag:,
 *                http:...; stray bytes a URI cannot hold are percent-encoded),
 *                else "urn:newswire:<provider slug|newsml-g2>:<id>"; no guid:
 *                "urn:newswire:<slug>:<hash of headline + body>" (or of the
 *                item markup when it has neither).
 *   version      @version as written (Reuters' are big opaque integers, so it
 *                stays a string); absent = "1", the G2 default.
 *   type         im/itemClass qcode or uri, code after ':' or the last '/':
 *                text, picture, graphic, audio, video, composite, event,
 *                planning (ninat: and Reuters' icls: alike); unknown: left out
 *                with a warning. packageItem: always "composite".
 *   versionCreated, firstCreated, embargoedUntil (im/embargoed), contentCreated
 *                (cm/contentCreated): RFC 3339 UTC; a bad value is left out
 *                with a warning; times without a zone are read in opts->timezone.
 *   pubStatus    im/pubStatus stat:usable|withheld|canceled ("cancelled" too);
 *                absent = "usable" (the G2 default); another value: left out,
 *                warning.
 *   signals      ninjs 3.1 has no signals property: every im/signal becomes a
 *                subject {name <code>, literal <qcode>, rel "signal"} (uri
 *                http://cv.iptc.org/newscodes/signal/<code> for sig:), so
 *                sig:update / sig:correction stay machine-readable beside
 *                pubStatus and version without polluting edNote.
 *   edNote       every im/edNote text, joined with "\n".
 *   title        im/title -> extra "title".
 *   provider     infoSources[0] {name, role "source"}: im/provider name,
 *                @literal or qcode code, else rightsInfo/copyrightHolder name
 *                or @literal, else the host of provider@uri.
 *   infoSources  cm/infoSource {name, uri, literal qcode, role = @role code};
 *                cm/creditline {name, role "credit"} (3.1 has no creditline).
 *   copyright    rightsInfo/copyrightNotice -> copyrightNotice;
 *                copyrightHolder name|literal -> copyrightHolder;
 *                usageTerms -> usageTerms.
 *   urgency      cm/urgency 1..9, else left out with a warning.
 *   language     cm/language@tag, else the item's xml:lang.
 *   headlines    cm/headline (role = @role code, else "main" for the first),
 *                cm/subheadline role "subheadline"; text/plain.
 *   descriptions cm/description {role = @role code ("summary", "caption")}.
 *   slugline, by cm/slugline; cm/by, else the names of cm/creator elements
 *                that carry a <name>.
 *   located      cm/located name (or @literal), else cm/dateline text (3.1 has
 *                no dateline; the NITF mapping makes the same choice).
 *   subjects     cm/subject: {name = first <name> without a role (else the
 *                first), uri = @uri when it is a URI, else medtop:/subj:
 *                expanded to cv.iptc.org, literal = qcode (else @literal),
 *                rel "subject"}; @type cpnat:person -> people,
 *                cpnat:organisation -> organisations, cpnat:geoArea and
 *                cpnat:poi -> places (same shape, rel "subject"); a
 *                subject's <narrower> concepts (4 levels) are subjects too.
 *                cm/keyword -> subjects {name, rel "keyword"} (3.1 has no
 *                keywords).
 *   genres       cm/genre {name, uri (genre: expanded), literal qcode}.
 *   altIds       cm/altId -> altIds {role = @type code, value}.
 *   categories   the first rule that yields a name wins:
 *                1. im/memberOf names (@literal without a name): Reuters'
 *                   channels "Business", "Economy", ...;
 *                2. cm/subject that is the provider's desk: qcode scheme
 *                   ending in "cat", "category", "categorycode", "department"
 *                   or "desk", or @type code "category" (STT sttdepartment
 *                   "Politiikka", dpa dpacat "ku", AP apcategorycode);
 *                3. categories the NITF mapping finds in an NITF body
 *                   (nw_nitf_fill_story appends them even after 1 or 2);
 *                4. named top-level IPTC codes, medtop:/subj: NN000000
 *                   ("economy, business and finance");
 *                5. opts->default_category.
 *   bodies       contentSet, first alternative that yields text:
 *                inlineXML holding <nitf> -> nw_nitf_fill_story (G2 metadata
 *                set first wins); <html> -> its <body> serialized and cleaned
 *                by nw_html_add_bodies; HTML elements directly (p, div,
 *                section, body, ...) likewise — whatever the contenttype says
 *                (STT's "xhtml/xml", "application/xhtml+html"); other XML
 *                (SportsML, events) is not text: warning, no body.
 *                inlineData: plain text paragraphs (HTML when its contenttype
 *                says html); base64 and other encodings: warning, no body.
 *   renditions   each remoteContent {name = @rendition code (else
 *                "rendition<N>"), href, contentType, width, height,
 *                sizeInBytes}.
 */
#include <ctype.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_buf.h"
#include "nw_html.h"
#include "nw_nitf.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_xml.h"

#define G2_NS "http://iptc.org/std/nar/2006-10-01/"

/* ------------------------------------------------------------ helpers --- */

static bool is_element(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE;
}

/* Attribute value squeezed, or NULL when absent or blank. Caller frees. */
static char *attr(const xmlNode *n, const char *name)
{
    char *raw = nw_xml_attr(n, name);
    if (!raw)
        return NULL;
    char *sq = nw_text_squeeze(raw, strlen(raw));
    free(raw);
    if (sq && !sq[0]) {
        free(sq);
        return NULL;
    }
    return sq;
}

/* Squeezed text of the first child `name` of n, or NULL. Caller frees. */
static char *child_text(const xmlNode *n, const char *name)
{
    xmlNodePtr c = nw_xml_child(n, name);
    return c ? nw_xml_text(c) : NULL;
}

/* The code part of a qcode ("stat:usable" -> "usable") or of a URI (after
 * the last '/' or '#'). Borrowed from s. */
static const char *code_of(const char *s)
{
    if (!s)
        return NULL;
    const char *slash = strrchr(s, '/');
    const char *hash = strrchr(s, '#');
    if (slash || hash) {
        const char *p = slash > hash ? slash : hash;
        if (p[1])
            return p + 1;
    }
    const char *colon = strchr(s, ':');
    return colon && colon[1] ? colon + 1 : s;
}

/* "medtop" of "medtop:20000001" into out (lower-case); false when no scheme. */
static bool scheme_of(const char *qcode, char *out, size_t outlen)
{
    const char *colon = qcode ? strchr(qcode, ':') : NULL;
    if (!colon || colon == qcode || (size_t)(colon - qcode) >= outlen)
        return false;
    size_t n = (size_t)(colon - qcode);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)qcode[i]);
    out[n] = '\0';
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Does s start with a URI scheme ("urn:", "tag:", "http:") and go on? */
static bool has_scheme(const char *s)
{
    const char *p = s;
    if (!p || !isalpha((unsigned char)*p))
        return false;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':' && p[1] && p - s >= 2; /* "C:" is a drive, not a scheme */
}

static bool is_hex(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

/* A URI that has a scheme, with every byte an RFC 3986 URI cannot hold
 * (spaces, non-ASCII, quotes, a bad '%', a second '#') percent-encoded.
 * Malloc'd, NULL when out of memory. */
static char *uri_safe(const char *s)
{
    static const char ok[] = "-._~:/?#[]@!$&'()*+,;=";
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "");
    bool hash = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '%' && is_hex((char)p[1]) && is_hex((char)p[2])) {
            nw_buf_putc(&b, '%');
        } else if (c == '#' && !hash) {
            hash = true;
            nw_buf_putc(&b, '#');
        } else if (c != '%' && c != '#' && (isalnum(c) || (c < 0x80 && strchr(ok, c)))) {
            nw_buf_putc(&b, (char)c);
        } else {
            nw_buf_printf(&b, "%%%02X", c);
        }
    }
    return nw_buf_take(&b);
}

/* uri_safe(s) when s has a scheme, else NULL (also when out of memory). */
static char *uri_or_null(const char *s)
{
    return s && has_scheme(s) ? uri_safe(s) : NULL;
}

/* IPTC schemes whose codes we expand without the catalog. */
static const struct {
    const char *scheme, *base;
} iptc_schemes[] = {
    {"medtop", "http://cv.iptc.org/newscodes/mediatopic/"},
    {"subj", "http://cv.iptc.org/newscodes/subjectcode/"},
    {"genre", "http://cv.iptc.org/newscodes/genre/"},
    {"sig", "http://cv.iptc.org/newscodes/signal/"},
};

/* The entity uri: @uri when it is a URI, else an IPTC qcode expanded, else
 * NULL. Malloc'd. *oom set when an allocation failed. */
static char *entity_uri(const char *uri_attr, const char *qcode, bool *oom)
{
    if (uri_attr && has_scheme(uri_attr)) {
        char *u = uri_safe(uri_attr);
        *oom |= !u;
        return u;
    }
    char scheme[32];
    if (!qcode || !scheme_of(qcode, scheme, sizeof scheme))
        return NULL;
    const char *code = strchr(qcode, ':') + 1;
    if (!code[0])
        return NULL;
    for (size_t i = 0; i < sizeof iptc_schemes / sizeof iptc_schemes[0]; i++) {
        if (strcmp(scheme, iptc_schemes[i].scheme))
            continue;
        nw_buf b = NW_BUF_INIT;
        nw_buf_puts(&b, iptc_schemes[i].base);
        nw_buf_puts(&b, code);
        char *raw = nw_buf_take(&b);
        char *u = raw ? uri_safe(raw) : NULL;
        free(raw);
        *oom |= !u;
        return u;
    }
    return NULL;
}

/* What add_entity has in each entity list of a story, so that a new
 * entity is not compared with every one there (70,000 subjects took 10 s
 * of CPU): a key per entity (entity_key) in an object used as a set,
 * brought up to date with the items added by any path before each look-up. */
#define INDEX_LISTS 8
typedef struct entity_index {
    json_t *set; /* NULL until first used; json_decref it */
    const nw_entity_list *list[INDEX_LISTS];
    size_t indexed[INDEX_LISTS]; /* items of list[i] in the set */
    size_t n;
} entity_index;

/* A key equal for two entities of `list` exactly when their four fields
 * are (NULL or the same string). Malloc'd, NULL when out of memory. */
static char *entity_key(const nw_entity_list *list, const char *name, const char *uri,
                        const char *literal, const char *rel)
{
    const char *f[4] = {name, uri, literal, rel};
    nw_buf b = NW_BUF_INIT;
    nw_buf_printf(&b, "%p", (const void *)list);
    for (int k = 0; k < 4; k++) {
        if (f[k])
            nw_buf_printf(&b, "|%zu:%s", strlen(f[k]), f[k]);
        else
            nw_buf_puts(&b, "|-");
    }
    return nw_buf_take(&b);
}

/* Is the entity in list? 1 yes, 0 no, negative when out of memory. */
static int index_has(entity_index *ix, const nw_entity_list *list, const char *key)
{
    size_t slot = 0;
    while (slot < ix->n && ix->list[slot] != list)
        slot++;
    if (slot == INDEX_LISTS)
        return NW_ENOMEM; /* never: a story has fewer entity lists */
    if (slot == ix->n) {
        ix->list[slot] = list;
        ix->indexed[ix->n++] = 0;
    }
    if (!ix->set && !(ix->set = json_object()))
        return NW_ENOMEM;
    for (; ix->indexed[slot] < list->len; ix->indexed[slot]++) {
        const nw_entity *e = &list->items[ix->indexed[slot]];
        char *k = entity_key(list, e->name, e->uri, e->literal, e->rel);
        int rc = !k || json_object_set_new_nocheck(ix->set, k, json_null()) ? NW_ENOMEM : 0;
        free(k);
        if (rc)
            return rc;
    }
    return json_object_get(ix->set, key) != NULL;
}

/* Append an entity unless the same (name, uri, literal, rel) is there. */
static int add_entity(entity_index *ix, nw_entity_list *list, const char *name, const char *uri,
                      const char *literal, const char *rel)
{
    if (!name && !uri && !literal)
        return 0;
    char *key = entity_key(list, name, uri, literal, rel);
    int has = key ? index_has(ix, list, key) : NW_ENOMEM;
    free(key);
    if (has < 0)
        return has;
    return has ? 0 : nw_entity_list_add(list, name, uri, literal, rel);
}

/* The display name of a concept element: first <name> without a role (else
 * the first <name>). Malloc'd or NULL. */
static char *concept_name(const xmlNode *n)
{
    xmlNodePtr first = NULL;
    for (xmlNodePtr c = nw_xml_child(n, "name"); c; c = nw_xml_next(c, "name")) {
        if (!first)
            first = c;
        char *role = attr(c, "role");
        if (!role) {
            char *t = nw_xml_text(c);
            if (t)
                return t;
        }
        free(role);
    }
    return first ? nw_xml_text(first) : NULL;
}

/* Set a string extra property (story->extra[key] = value). */
static int set_extra_string(nw_story *story, const char *key, const char *value)
{
    if (!value)
        return 0;
    if (!story->extra && !(story->extra = json_object()))
        return NW_ENOMEM;
    json_t *s = json_string(value);
    if (!s || json_object_set_new(story->extra, key, s))
        return NW_ENOMEM;
    return 0;
}

/* Append obj (stolen) to the array story->extra[key]. */
static int append_extra(nw_story *story, const char *key, json_t *obj)
{
    if (!obj)
        return NW_ENOMEM;
    if (!story->extra && !(story->extra = json_object())) {
        json_decref(obj);
        return NW_ENOMEM;
    }
    json_t *arr = json_object_get(story->extra, key);
    if (!arr) {
        arr = json_array();
        if (!arr || json_object_set_new(story->extra, key, arr)) {
            json_decref(obj);
            return NW_ENOMEM;
        }
    }
    return json_array_append_new(arr, obj) ? NW_ENOMEM : 0;
}

/* json_object_set_new with a string copy, skipping NULL values. */
static int obj_set_str(json_t *o, const char *key, const char *value)
{
    if (!value)
        return 0;
    json_t *s = json_string(value);
    return !s || json_object_set_new(o, key, s) ? NW_ENOMEM : 0;
}

/* A positive decimal integer attribute, or -1. */
static long long int_attr(const xmlNode *n, const char *name)
{
    char *v = attr(n, name);
    if (!v)
        return -1;
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    bool ok = end && end != v && !*end && x >= 0 && isdigit((unsigned char)v[0]);
    free(v);
    return ok ? x : -1;
}

/* --------------------------------------------------------- the mapping --- */

/* One item being converted. */
typedef struct g2_item {
    const xmlNode *node;
    bool package;
    const nw_parse_opts *opts;
    nw_story *story;
    char *provider; /* name for uri slugs, may be NULL */
    entity_index entities;
} g2_item;

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

static const char *const ninjs_types[] = {"text",      "audio",     "video", "picture", "graphic",
                                          "composite", "component", "event", "planning"};

/* The ninjs type of an itemClass element, or NULL. Borrowed, static. */
static const char *type_of_class(const xmlNode *ic)
{
    char *q = attr(ic, "qcode");
    if (!q)
        q = attr(ic, "uri");
    if (!q)
        return NULL;
    const char *code = code_of(q), *type = NULL;
    for (size_t i = 0; i < sizeof ninjs_types / sizeof ninjs_types[0]; i++)
        if (!strcasecmp(code, ninjs_types[i]))
            type = ninjs_types[i];
    free(q);
    return type;
}

/* "usable"/"withheld"/"canceled" for a pubStatus element, or NULL. */
static const char *status_of(const xmlNode *ps, char **raw)
{
    char *q = attr(ps, "qcode");
    if (!q)
        q = attr(ps, "uri");
    *raw = q;
    if (!q)
        return NULL;
    const char *code = code_of(q);
    if (!strcasecmp(code, "usable"))
        return "usable";
    if (!strcasecmp(code, "withheld"))
        return "withheld";
    if (!strcasecmp(code, "canceled") || !strcasecmp(code, "cancelled"))
        return "canceled";
    return NULL;
}

/* Category candidates collected while mapping; owned strings. */
typedef struct names {
    char **items;
    size_t len;
} names;

static int names_add(names *n, const char *s)
{
    for (size_t i = 0; i < n->len; i++)
        if (!strcmp(n->items[i], s))
            return 0;
    char **grown = realloc(n->items, (n->len + 1) * sizeof *grown);
    if (!grown)
        return NW_ENOMEM;
    n->items = grown;
    if (!(n->items[n->len] = strdup(s)))
        return NW_ENOMEM;
    n->len++;
    return 0;
}

static void names_free(names *n)
{
    for (size_t i = 0; i < n->len; i++)
        free(n->items[i]);
    free(n->items);
    n->items = NULL;
    n->len = 0;
}

static int map_rights(g2_item *it)
{
    const xmlNode *ri = nw_xml_child(it->node, "rightsInfo");
    if (!ri)
        return 0;
    nw_story *s = it->story;
    int rc = 0;
    char *notice = child_text(ri, "copyrightNotice");
    if (notice)
        rc = nw_story_set(&s->copyright_notice, notice);
    free(notice);
    xmlNodePtr holder = nw_xml_child(ri, "copyrightHolder");
    if (rc == 0 && holder) {
        char *name = concept_name(holder);
        if (!name)
            name = attr(holder, "literal");
        rc = set_extra_string(s, "copyrightHolder", name);
        free(name);
    }
    char *terms = child_text(ri, "usageTerms");
    if (rc == 0)
        rc = set_extra_string(s, "usageTerms", terms);
    free(terms);
    return rc;
}

/* The provider's name (see the rules at the top). Malloc'd or NULL. */
static char *provider_name(const xmlNode *item, const xmlNode *prov)
{
    char *name = NULL;
    if (prov) {
        name = concept_name(prov);
        if (!name)
            name = attr(prov, "literal");
        if (!name) {
            char *q = attr(prov, "qcode");
            if (q && code_of(q)[0])
                name = strdup(code_of(q));
            free(q);
        }
    }
    if (!name) {
        xmlNodePtr holder = nw_xml_path(item, "rightsInfo/copyrightHolder");
        if (holder) {
            name = concept_name(holder);
            if (!name)
                name = attr(holder, "literal");
        }
    }
    if (!name && prov) {
        char *u = attr(prov, "uri");
        const char *host = u ? strstr(u, "://") : NULL;
        if (host) {
            host += 3;
            size_t n = strcspn(host, "/:?#");
            if (n)
                name = strndup(host, n);
        }
        free(u);
    }
    return name;
}

static int map_signal(g2_item *it, const xmlNode *sig)
{
    char *q = attr(sig, "qcode");
    char *u = attr(sig, "uri");
    int rc = 0;
    if (q || u) {
        bool oom = false;
        char *uri = entity_uri(u, q, &oom);
        const char *name = code_of(q ? q : u);
        rc = oom ? NW_ENOMEM
                 : add_entity(&it->entities, &it->story->subjects, name, uri, q, "signal");
        free(uri);
    }
    free(q);
    free(u);
    return rc;
}

static int map_item_meta(g2_item *it, nw_buf *ednote, names *members)
{
    const xmlNode *im = nw_xml_child(it->node, "itemMeta");
    nw_story *s = it->story;
    const nw_parse_opts *opts = it->opts;
    bool saw_status = false;

    xmlNodePtr prov = im ? nw_xml_child(im, "provider") : NULL;
    it->provider = provider_name(it->node, prov);
    if (it->provider) {
        char *puri = prov ? attr(prov, "uri") : NULL;
        char *safe = uri_or_null(puri);
        char *lit = prov ? attr(prov, "qcode") : NULL;
        int rc = nw_entity_list_add(&s->info_sources, it->provider, safe, lit, "source");
        free(puri);
        free(safe);
        free(lit);
        TRY(rc);
    }
    if (!im) {
        nw_parse_warn(opts, "line %ld: %s has no itemMeta", nw_xml_line(it->node),
                      it->package ? "packageItem" : "newsItem");
        return nw_story_set(&s->pub_status, "usable");
    }

    for (xmlNodePtr c = im->children; c; c = c->next) {
        if (!is_element(c))
            continue;
        long line = nw_xml_line(c);
        if (nw_xml_is(c, "itemClass")) {
            const char *type = type_of_class(c);
            if (!it->package && type)
                TRY(nw_story_set(&s->type, type));
            else if (!it->package) {
                char *q = attr(c, "qcode");
                nw_parse_warn(opts, "line %ld: itemClass '%s' has no ninjs type, left out", line,
                              q ? q : "");
                free(q);
            }
        } else if (nw_xml_is(c, "versionCreated") || nw_xml_is(c, "firstCreated") ||
                   nw_xml_is(c, "embargoed")) {
            char *v = nw_xml_text(c);
            char **field = nw_xml_is(c, "versionCreated") ? &s->version_created
                           : nw_xml_is(c, "firstCreated") ? &s->first_created
                                                          : &s->embargoed_until;
            int rc = v ? nw_wire_set_date(field, v, (const char *)c->name, line, opts) : 0;
            free(v);
            TRY(rc);
        } else if (nw_xml_is(c, "pubStatus")) {
            char *raw = NULL;
            const char *st = status_of(c, &raw);
            saw_status |= raw != NULL; /* an empty element is no status at all */
            if (st)
                TRY(nw_story_set(&s->pub_status, st));
            else if (raw)
                nw_parse_warn(opts,
                              "line %ld: pubStatus '%s' is not usable, withheld or "
                              "canceled, left out",
                              line, raw);
            free(raw);
        } else if (nw_xml_is(c, "edNote")) {
            char *t = nw_xml_text(c);
            if (t) {
                if (ednote->len)
                    nw_buf_putc(ednote, '\n');
                nw_buf_puts(ednote, t);
            }
            free(t);
        } else if (nw_xml_is(c, "signal")) {
            TRY(map_signal(it, c));
        } else if (nw_xml_is(c, "title")) {
            char *t = nw_xml_text(c);
            int rc = set_extra_string(s, "title", t);
            free(t);
            TRY(rc);
        } else if (nw_xml_is(c, "memberOf")) {
            char *name = concept_name(c);
            if (!name)
                name = attr(c, "literal");
            int rc = name ? names_add(members, name) : 0;
            free(name);
            TRY(rc);
        }
    }
    if (!saw_status)
        TRY(nw_story_set(&s->pub_status, "usable"));
    return 0;
}

typedef enum { K_SUBJECT, K_PERSON, K_ORG, K_PLACE } subject_kind;

static subject_kind kind_of(const xmlNode *subj)
{
    char *t = attr(subj, "type");
    if (!t)
        t = attr(subj, "typeuri");
    subject_kind k = K_SUBJECT;
    if (t) {
        char scheme[32];
        bool cpnat = (scheme_of(t, scheme, sizeof scheme) && !strcmp(scheme, "cpnat")) ||
                     strstr(t, "/cpnature/");
        const char *code = code_of(t);
        if (cpnat && !strcasecmp(code, "person"))
            k = K_PERSON;
        else if (cpnat && (!strcasecmp(code, "organisation") || !strcasecmp(code, "organization")))
            k = K_ORG;
        else if (cpnat && (!strcasecmp(code, "geoArea") || !strcasecmp(code, "poi")))
            k = K_PLACE;
    }
    free(t);
    return k;
}

/* Is this subject the provider's desk / category (rule 2)? */
static bool is_desk_subject(const char *qcode, const xmlNode *subj)
{
    char scheme[64];
    if (qcode && scheme_of(qcode, scheme, sizeof scheme)) {
        static const char *const suffixes[] = {"cat", "category", "categorycode", "department",
                                               "desk"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
            if (ends_with(scheme, suffixes[i]))
                return true;
    }
    char *t = attr(subj, "type");
    bool cat = t && !strcasecmp(code_of(t), "category");
    free(t);
    return cat;
}

/* A named top-level IPTC code (medtop:/subj: NN000000)? */
static bool is_iptc_top(const char *qcode)
{
    char scheme[16];
    if (!qcode || !scheme_of(qcode, scheme, sizeof scheme) ||
        (strcmp(scheme, "medtop") && strcmp(scheme, "subj")))
        return false;
    const char *code = strchr(qcode, ':') + 1;
    if (strlen(code) != 8 || strcmp(code + 2, "000000"))
        return false;
    return isdigit((unsigned char)code[0]) && isdigit((unsigned char)code[1]);
}

static int map_subject(g2_item *it, const xmlNode *c, names *desk, names *top, int depth)
{
    nw_story *s = it->story;
    char *name = concept_name(c);
    char *q = attr(c, "qcode");
    char *u = attr(c, "uri");
    char *lit = q ? NULL : attr(c, "literal");
    bool oom = false;
    char *uri = entity_uri(u, q, &oom);
    int rc = oom ? NW_ENOMEM : 0;
    if (rc == 0) {
        const char *literal = q ? q : lit;
        switch (kind_of(c)) {
        case K_PERSON:
            rc = add_entity(&it->entities, &s->people, name, uri, literal, "subject");
            break;
        case K_ORG:
            rc = add_entity(&it->entities, &s->organisations, name, uri, literal, "subject");
            break;
        case K_PLACE:
            rc = add_entity(&it->entities, &s->places, name, uri, literal, "subject");
            break;
        default: rc = add_entity(&it->entities, &s->subjects, name, uri, literal, "subject"); break;
        }
    }
    if (rc == 0 && name && is_desk_subject(q, c))
        rc = names_add(desk, name);
    else if (rc == 0 && name && is_iptc_top(q))
        rc = names_add(top, name);
    /* a narrower concept is a more specific subject of the same story */
    for (xmlNodePtr n = nw_xml_child(c, "narrower"); n && rc == 0 && depth < 4;
         n = nw_xml_next(n, "narrower"))
        rc = map_subject(it, n, desk, top, depth + 1);
    free(name);
    free(q);
    free(u);
    free(lit);
    free(uri);
    return rc;
}

/* A genre or infoSource: {name, uri, literal}. */
static int map_concept(entity_index *ix, nw_entity_list *list, const xmlNode *c, const char *role)
{
    char *name = concept_name(c);
    char *q = attr(c, "qcode");
    char *u = attr(c, "uri");
    char *lit = q ? NULL : attr(c, "literal");
    if (!name && lit) {
        name = lit;
        lit = NULL;
    }
    if (!name && q && role && code_of(q)[0]) /* an infoSource needs a name */
        name = strdup(code_of(q));
    bool oom = false;
    char *uri = entity_uri(u, q, &oom);
    int rc = oom ? NW_ENOMEM : add_entity(ix, list, name, uri, q ? q : lit, role);
    free(name);
    free(q);
    free(u);
    free(lit);
    free(uri);
    return rc;
}

static int add_text(nw_text_list *list, const xmlNode *c, const char *default_role)
{
    char *v = nw_xml_text(c);
    if (!v)
        return 0;
    char *r = attr(c, "role");
    const char *role = r ? code_of(r) : default_role;
    int rc = nw_text_list_add(list, v, role, "text/plain");
    free(v);
    free(r);
    return rc;
}

static int map_content_meta(g2_item *it, names *desk, names *top)
{
    const xmlNode *cm = nw_xml_child(it->node, "contentMeta");
    nw_story *s = it->story;
    const nw_parse_opts *opts = it->opts;
    char *lang = NULL, *dateline = NULL;
    nw_buf creators = NW_BUF_INIT;
    int rc = 0;

    for (xmlNodePtr c = cm ? cm->children : NULL; c && rc == 0; c = c->next) {
        if (!is_element(c))
            continue;
        long line = nw_xml_line(c);
        if (nw_xml_is(c, "urgency")) {
            char *v = nw_xml_text(c);
            if (v && strlen(v) == 1 && v[0] >= '1' && v[0] <= '9')
                s->urgency = v[0] - '0';
            else if (v)
                nw_parse_warn(opts, "line %ld: urgency '%s' is not 1..9, left out", line, v);
            free(v);
        } else if (nw_xml_is(c, "contentCreated")) {
            char *v = nw_xml_text(c);
            rc = v ? nw_wire_set_date(&s->content_created, v, "contentCreated", line, opts) : 0;
            free(v);
        } else if (nw_xml_is(c, "located") && !s->located) {
            char *v = concept_name(c);
            if (!v)
                v = attr(c, "literal");
            rc = nw_story_set(&s->located, v);
            free(v);
        } else if (nw_xml_is(c, "dateline") && !dateline) {
            dateline = nw_xml_text(c);
        } else if (nw_xml_is(c, "infoSource")) {
            char *r = attr(c, "role");
            rc = map_concept(&it->entities, &s->info_sources, c, r ? code_of(r) : NULL);
            free(r);
        } else if (nw_xml_is(c, "creditline")) {
            char *v = nw_xml_text(c);
            rc = v ? add_entity(&it->entities, &s->info_sources, v, NULL, NULL, "credit") : 0;
            free(v);
        } else if (nw_xml_is(c, "creator")) {
            xmlNodePtr nm = nw_xml_child(c, "name");
            char *v = nm ? nw_xml_text(nm) : NULL;
            if (v) {
                if (creators.len)
                    nw_buf_puts(&creators, ", ");
                nw_buf_puts(&creators, v);
            }
            free(v);
        } else if (nw_xml_is(c, "by") && !s->by) {
            char *v = nw_xml_text(c);
            rc = nw_story_set(&s->by, v);
            free(v);
        } else if (nw_xml_is(c, "language") && !lang) {
            lang = attr(c, "tag");
        } else if (nw_xml_is(c, "subject")) {
            rc = map_subject(it, c, desk, top, 0);
        } else if (nw_xml_is(c, "keyword")) {
            char *v = nw_xml_text(c);
            rc = v ? add_entity(&it->entities, &s->subjects, v, NULL, NULL, "keyword") : 0;
            free(v);
        } else if (nw_xml_is(c, "genre")) {
            rc = map_concept(&it->entities, &s->genres, c, NULL);
        } else if (nw_xml_is(c, "headline")) {
            rc = add_text(&s->headlines, c, s->headlines.len ? NULL : "main");
        } else if (nw_xml_is(c, "subheadline")) {
            rc = add_text(&s->headlines, c, "subheadline");
        } else if (nw_xml_is(c, "description")) {
            rc = add_text(&s->descriptions, c, NULL);
        } else if (nw_xml_is(c, "slugline") && !s->slugline) {
            char *v = nw_xml_text(c);
            rc = nw_story_set(&s->slugline, v);
            free(v);
        } else if (nw_xml_is(c, "altId")) {
            char *v = nw_xml_text(c);
            char *t = attr(c, "type");
            if (v) {
                json_t *o = json_object();
                rc = o ? obj_set_str(o, "value", v) : NW_ENOMEM;
                if (rc == 0 && t)
                    rc = obj_set_str(o, "role", code_of(t));
                if (rc == 0)
                    rc = append_extra(s, "altIds", o);
                else
                    json_decref(o);
            }
            free(v);
            free(t);
        }
    }
    if (rc == 0 && !s->by && creators.len)
        rc = nw_buf_failed(&creators) ? NW_ENOMEM : nw_story_set(&s->by, nw_buf_str(&creators));
    if (rc == 0 && !s->located && dateline) {
        /* "Berlin (dpa) - " -> "Berlin (dpa)" */
        size_t n = strlen(dateline);
        while (n && (dateline[n - 1] == '-' || dateline[n - 1] == ' '))
            n--;
        if (n)
            rc = nw_story_setn(&s->located, dateline, n);
    }
    if (rc == 0 && !lang)
        lang = attr(it->node, "lang");
    if (rc == 0 && lang)
        rc = nw_story_set(&s->language, lang);
    free(lang);
    free(dateline);
    nw_buf_free(&creators);
    return rc;
}

/* ------------------------------------------------------------- bodies --- */

static const char *const html_elements[] = {
    "body", "div", "p",  "section", "article",    "h1",  "h2",   "h3",     "h4",     "h5",
    "h6",   "ul",  "ol", "table",   "blockquote", "pre", "span", "header", "figure", "br",
};

static bool is_html_element(const xmlNode *n)
{
    for (size_t i = 0; i < sizeof html_elements / sizeof html_elements[0]; i++)
        if (nw_xml_is(n, html_elements[i]))
            return true;
    return n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, "http://www.w3.org/1999/xhtml");
}

static int add_html(g2_item *it, const char *markup, const xmlNode *where)
{
    nw_err herr = {0};
    int rc = nw_html_add_bodies(it->story, markup, strlen(markup), &herr);
    if (rc == NW_ENOMEM)
        return rc;
    if (rc < 0)
        nw_parse_warn(it->opts, "line %ld: body left out: %s", nw_xml_line(where), herr.msg);
    return 0;
}

static int map_inline_xml(g2_item *it, const xmlNode *ix, nw_err *err)
{
    xmlNodePtr root = NULL;
    bool has_text = false;
    for (xmlNodePtr c = ix->children; c; c = c->next) {
        if (is_element(c) && !root)
            root = c;
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            for (const xmlChar *p = c->content; *p && !has_text; p++)
                has_text = !isspace(*p);
        }
    }
    if (!root && !has_text)
        return 0;
    if (root && nw_xml_is(root, "nitf")) {
        nw_err nerr = {0};
        int rc = nw_nitf_fill_story(root, it->story, it->opts, &nerr);
        if (rc == NW_ENOMEM)
            return nw_err_set(err, rc, "out of memory");
        if (rc < 0)
            nw_parse_warn(it->opts, "line %ld: NITF body left out: %s", nw_xml_line(root),
                          nerr.msg);
        return 0;
    }
    const xmlNode *container = ix;
    if (root && nw_xml_is(root, "html")) {
        xmlNodePtr body = nw_xml_child(root, "body");
        container = body ? body : root;
    } else if (root && !is_html_element(root)) {
        char *ct = attr(ix, "contenttype");
        nw_parse_warn(it->opts, "line %ld: inlineXML <%s> (%s) is not text, not converted",
                      nw_xml_line(root), (const char *)root->name, ct ? ct : "no contenttype");
        free(ct);
        return 0;
    }
    if (root) {
        /* XHTML: clean the parsed tree itself, no serialize + re-parse */
        nw_err herr = {0};
        int rc = nw_html_add_bodies_node(it->story, container, &herr);
        if (rc == NW_ENOMEM)
            return nw_err_set(err, rc, "out of memory");
        if (rc < 0)
            nw_parse_warn(it->opts, "line %ld: body left out: %s", nw_xml_line(ix), herr.msg);
        return 0;
    }
    /* bare text: the markup path splits it into paragraphs on blank lines */
    char *markup = nw_xml_inner_markup(container);
    if (!markup)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    int rc = add_html(it, markup, ix);
    free(markup);
    return rc < 0 ? nw_err_set(err, rc, "out of memory") : 0;
}

static int map_inline_data(g2_item *it, const xmlNode *id, nw_err *err)
{
    char *enc = attr(id, "encoding");
    if (enc && strcasecmp(enc, "none")) {
        nw_parse_warn(it->opts, "line %ld: inlineData with encoding '%s' not converted",
                      nw_xml_line(id), enc);
        free(enc);
        return 0;
    }
    free(enc);
    xmlChar *raw = xmlNodeGetContent(id);
    if (!raw)
        return 0;
    char *ct = attr(id, "contenttype");
    bool html = ct && strstr(ct, "html");
    free(ct);
    char *markup = html ? strdup((const char *)raw) : nw_html_from_paragraphs((const char *)raw);
    xmlFree(raw);
    if (!markup)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    int rc = add_html(it, markup, id);
    free(markup);
    return rc < 0 ? nw_err_set(err, rc, "out of memory") : 0;
}

static int map_remote_content(g2_item *it, const xmlNode *rc_node, size_t index)
{
    json_t *o = json_object();
    if (!o)
        return NW_ENOMEM;
    char *rend = attr(rc_node, "rendition");
    char *href = attr(rc_node, "href");
    char *ct = attr(rc_node, "contenttype");
    char *safe = uri_or_null(href);
    char name[32];
    snprintf(name, sizeof name, "rendition%zu", index);
    int rc = obj_set_str(o, "name", rend && code_of(rend)[0] ? code_of(rend) : name);
    if (rc == 0)
        rc = obj_set_str(o, "href", safe);
    if (rc == 0)
        rc = obj_set_str(o, "contentType", ct);
    static const char *const ints[][2] = {
        {"width", "width"}, {"height", "height"}, {"size", "sizeInBytes"}};
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        long long v = int_attr(rc_node, ints[i][0]);
        if (v >= 0 && json_object_set_new(o, ints[i][1], json_integer(v)))
            rc = NW_ENOMEM;
    }
    free(rend);
    free(href);
    free(ct);
    free(safe);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    return append_extra(it->story, "renditions", o);
}

static int map_content_set(g2_item *it, nw_err *err)
{
    const xmlNode *cs = nw_xml_child(it->node, "contentSet");
    size_t renditions = 0;
    for (xmlNodePtr c = cs ? cs->children : NULL; c; c = c->next) {
        int rc = 0;
        bool text_done = it->story->bodies.len > 0;
        if (nw_xml_is(c, "inlineXML") && !text_done)
            rc = map_inline_xml(it, c, err);
        else if (nw_xml_is(c, "inlineData") && !text_done)
            rc = map_inline_data(it, c, err);
        else if (nw_xml_is(c, "remoteContent")) {
            rc = map_remote_content(it, c, ++renditions);
            if (rc < 0)
                nw_err_set(err, rc, "out of memory");
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------- associations --- */

/* seen: the uris of the associations so far (an object used as a set: a
 * package of 20,000 itemRefs took 4 s of CPU comparing each with all). */
static int map_item_ref(g2_item *it, const xmlNode *ref, size_t *count, json_t *seen)
{
    char *res = attr(ref, "residref");
    if (!res)
        res = attr(ref, "href");
    if (!res)
        return 0;
    char *uri = has_scheme(res) ? uri_safe(res) : NULL;
    if (!uri) {
        /* a bare id: same rule as the item uri, under the provider's slug */
        char *slug = nw_text_slug(it->provider ? it->provider : "newsml-g2");
        nw_buf b = NW_BUF_INIT;
        nw_buf_printf(&b, "urn:newswire:%s:", slug && slug[0] ? slug : "newsml-g2");
        for (const unsigned char *p = (const unsigned char *)res; *p; p++) {
            if (isalnum(*p) || strchr("._~:-", *p))
                nw_buf_putc(&b, (char)*p);
            else
                nw_buf_printf(&b, "%%%02X", *p);
        }
        free(slug);
        uri = nw_buf_take(&b);
    }
    free(res);
    if (!uri)
        return NW_ENOMEM;

    if (json_object_get(seen, uri)) {
        free(uri);
        return 0;
    }
    if (json_object_set_new_nocheck(seen, uri, json_null())) {
        free(uri);
        return NW_ENOMEM;
    }
    json_t *o = json_object();
    char name[32];
    snprintf(name, sizeof name, "item%zu", ++*count);
    int rc = o ? obj_set_str(o, "name", name) : NW_ENOMEM;
    if (rc == 0)
        rc = obj_set_str(o, "uri", uri);
    free(uri);
    xmlNodePtr ic = nw_xml_child(ref, "itemClass");
    if (rc == 0 && ic)
        rc = obj_set_str(o, "type", type_of_class(ic));
    char *version = attr(ref, "version");
    if (rc == 0)
        rc = obj_set_str(o, "version", version);
    free(version);
    xmlNodePtr ps = nw_xml_child(ref, "pubStatus");
    if (rc == 0 && ps) {
        char *raw = NULL;
        rc = obj_set_str(o, "pubStatus", status_of(ps, &raw));
        free(raw);
    }
    char *title = child_text(ref, "title");
    if (!title)
        title = child_text(ref, "headline");
    if (rc == 0 && title) {
        json_t *h = json_pack("[{s:s, s:s, s:s}]", "value", title, "role", "main", "contentType",
                              "text/plain");
        rc = !h || json_object_set_new(o, "headlines", h) ? NW_ENOMEM : 0;
    }
    free(title);
    char *desc = child_text(ref, "description");
    if (rc == 0 && desc) {
        xmlNodePtr dn = nw_xml_child(ref, "description");
        char *r = attr(dn, "role");
        json_t *d = json_pack("[{s:s, s:s}]", "value", desc, "contentType", "text/plain");
        if (!d || json_object_set_new(o, "descriptions", d)) /* o owns d from here */
            rc = NW_ENOMEM;
        if (rc == 0 && r)
            rc = obj_set_str(json_array_get(d, 0), "role", code_of(r));
        free(r);
    }
    free(desc);
    if (rc == 0 && !it->story->associations && !(it->story->associations = json_array()))
        rc = NW_ENOMEM;
    if (rc == 0)
        return json_array_append_new(it->story->associations, o) ? NW_ENOMEM : 0;
    json_decref(o);
    return rc;
}

static int map_group_set(g2_item *it)
{
    const xmlNode *gs = nw_xml_child(it->node, "groupSet");
    size_t count = 0;
    json_t *seen = json_object();
    int rc = seen ? 0 : NW_ENOMEM;
    json_t *arr = it->story->associations;
    for (size_t i = 0; rc == 0 && arr && i < json_array_size(arr); i++) {
        const char *u = json_string_value(json_object_get(json_array_get(arr, i), "uri"));
        if (u && json_object_set_new_nocheck(seen, u, json_null()))
            rc = NW_ENOMEM;
    }
    for (xmlNodePtr g = gs ? nw_xml_child(gs, "group") : NULL; rc == 0 && g;
         g = nw_xml_next(g, "group"))
        for (xmlNodePtr r = nw_xml_child(g, "itemRef"); rc == 0 && r; r = nw_xml_next(r, "itemRef"))
            rc = map_item_ref(it, r, &count, seen);
    json_decref(seen);
    return rc;
}

/* ---------------------------------------------------------- categories --- */

static int add_categories(g2_item *it, const names *list, nw_err *err)
{
    for (size_t i = 0; i < list->len; i++) {
        const char *have[64];
        size_t n = nw_story_categories(it->story, have, 64);
        char *slug = nw_text_slug(list->items[i]);
        if (!slug)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        bool dup = false;
        for (size_t k = 0; k < n && k < 64; k++)
            dup |= !strcmp(have[k], slug);
        free(slug);
        if (dup)
            continue;
        nw_err cerr = {0};
        int rc = nw_story_add_category(it->story, list->items[i], &cerr);
        if (rc == NW_ENOMEM)
            return nw_err_set(err, rc, "out of memory");
        if (rc < 0)
            nw_parse_warn(it->opts, "line %ld: category '%s' skipped: %s", nw_xml_line(it->node),
                          list->items[i], cerr.msg);
    }
    return 0;
}

/* --------------------------------------------------------------- items --- */

static int set_item_uri(g2_item *it, nw_err *err)
{
    nw_story *s = it->story;
    char *guid = attr(it->node, "guid");
    int rc = 0;
    const char *slug_src = it->provider ? it->provider : "newsml-g2";
    if (guid && has_scheme(guid)) {
        char *u = uri_safe(guid);
        rc = u ? nw_story_set(&s->uri, u) : NW_ENOMEM;
        free(u);
    } else if (guid) {
        /* the guid wins over a doc-id an NITF body may have set */
        char *slug = nw_text_slug(slug_src);
        rc = nw_story_set(&s->uri, NULL);
        if (rc == 0)
            rc = nw_wire_set_uri(s, slug && slug[0] ? slug : "newsml-g2", guid);
        free(slug);
    } else {
        nw_parse_warn(it->opts, "line %ld: item has no guid, uri derived from its content",
                      nw_xml_line(it->node));
        if (nw_story_headline(s) || nw_story_body(s, NULL)) {
            rc = nw_wire_set_hash_uri(s, slug_src);
        } else {
            char *markup = nw_xml_inner_markup(it->node);
            char hex[33];
            if (!markup) {
                rc = NW_ENOMEM;
            } else {
                nw_text_hash_hex(markup, strlen(markup), hex);
                char *slug = nw_text_slug(slug_src);
                nw_buf b = NW_BUF_INIT;
                nw_buf_printf(&b, "urn:newswire:%s:%s", slug && slug[0] ? slug : "newsml-g2", hex);
                free(slug);
                rc = nw_buf_failed(&b) ? NW_ENOMEM : nw_story_set(&s->uri, nw_buf_str(&b));
                nw_buf_free(&b);
            }
            free(markup);
        }
    }
    free(guid);
    if (rc == 0 && !s->uri)
        rc = NW_ENOMEM;
    return rc < 0 ? nw_err_set(err, rc, "out of memory") : 0;
}

static int item_fill(g2_item *it, nw_err *err)
{
    nw_story *s = it->story;
    nw_buf ednote = NW_BUF_INIT;
    names desk = {0}, top = {0}, members = {0};
    int rc = 0;

    char *version = attr(it->node, "version");
    rc = nw_story_set(&s->version, version ? version : "1");
    free(version);
    if (rc == 0 && it->package)
        rc = nw_story_set(&s->type, "composite");
    if (rc == 0)
        rc = map_rights(it);
    if (rc == 0)
        rc = map_item_meta(it, &ednote, &members);
    if (rc == 0 && ednote.len)
        rc = nw_buf_failed(&ednote) ? NW_ENOMEM : nw_story_set(&s->ed_note, nw_buf_str(&ednote));
    nw_buf_free(&ednote);
    if (rc == 0)
        rc = map_content_meta(it, &desk, &top);
    if (rc < 0) {
        nw_err_set(err, rc, "out of memory");
        goto done;
    }
    /* categories, rules 1-2, before the NITF body may add its own (rule 3) */
    rc = add_categories(it, members.len ? &members : &desk, err);
    if (rc == 0)
        rc = map_content_set(it, err);
    if (rc == 0 && it->package && (rc = map_group_set(it)) < 0)
        nw_err_set(err, rc, "out of memory");
    if (rc == 0 && nw_story_categories(s, NULL, 0) == 0)
        rc = add_categories(it, &top, err);
    if (rc == 0 && nw_story_categories(s, NULL, 0) == 0 && it->opts->default_category) {
        nw_err cerr = {0};
        rc = nw_story_add_category(s, it->opts->default_category, &cerr);
        if (rc == NW_ENOMEM)
            nw_err_set(err, rc, "out of memory");
        else if (rc < 0) {
            nw_parse_warn(it->opts, "default category '%s' skipped: %s", it->opts->default_category,
                          cerr.msg);
            rc = 0;
        }
    }
    if (rc == 0)
        rc = set_item_uri(it, err);
done:
    names_free(&desk);
    names_free(&top);
    names_free(&members);
    return rc;
}

/* Convert one newsItem or packageItem and append it to out. */
static int parse_item(const xmlNode *node, const nw_parse_opts *opts, nw_story_list *out,
                      nw_err *err)
{
    g2_item it = {.node = node, .package = nw_xml_is(node, "packageItem"), .opts = opts};
    it.story = nw_story_new();
    if (!it.story)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    int rc = item_fill(&it, err);
    free(it.provider);
    json_decref(it.entities.set);
    if (rc < 0) {
        nw_story_free(it.story);
        return rc;
    }
    if (nw_story_list_add(out, it.story) < 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ---------------------------------------------------------------- roots --- */

/* G2 documents that are not news: concept, knowledge, planning, catalog. */
static const char *const other_g2_roots[] = {"conceptItem", "knowledgeItem", "planningItem",
                                             "catalogItem", "catalog"};

static bool is_other_g2(const xmlNode *n)
{
    for (size_t i = 0; i < sizeof other_g2_roots / sizeof other_g2_roots[0]; i++)
        if (nw_xml_is(n, other_g2_roots[i]))
            return true;
    return false;
}

/* Parts of an item the Implementation Guide shows on their own. */
static const char *const g2_fragments[] = {"groupSet", "group",     "contentSet", "contentMeta",
                                           "itemMeta", "itemSet",   "rightsInfo", "partMeta",
                                           "assert",   "inlineXML", "header"};

static bool is_g2_fragment(const xmlNode *n)
{
    for (size_t i = 0; i < sizeof g2_fragments / sizeof g2_fragments[0]; i++)
        if (nw_xml_is(n, g2_fragments[i]))
            return true;
    return false;
}

static bool in_g2_namespace(const xmlNode *n)
{
    return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, G2_NS);
}

static int parse_message(const xmlNode *msg, const nw_parse_opts *opts, nw_story_list *out,
                         nw_err *err)
{
    xmlNodePtr set = nw_xml_child(msg, "itemSet");
    for (xmlNodePtr c = set ? set->children : NULL; c; c = c->next) {
        if (!is_element(c))
            continue;
        if (nw_xml_is(c, "newsItem") || nw_xml_is(c, "packageItem"))
            TRY(parse_item(c, opts, out, err));
        else
            nw_parse_warn(opts, "line %ld: <%s> in itemSet skipped (not a news item)",
                          nw_xml_line(c), (const char *)c->name);
    }
    return 0;
}

static int g2_parse(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                    nw_err *err)
{
    nw_xml_doc doc = {0};
    int rc = nw_xml_read(buf, len, NULL, NULL, opts->max_input_bytes, &doc, err);
    if (rc < 0)
        return rc;
    nw_xml_warn_decoding(&doc, opts);
    xmlNodePtr root = nw_xml_root(&doc);
    if (!root) {
        rc = nw_err_set(err, NW_EINVAL,
                        "no root element, expected a NewsML-G2 newsItem, "
                        "packageItem or newsMessage");
    } else if (nw_xml_is(root, "newsItem") || nw_xml_is(root, "packageItem")) {
        rc = parse_item(root, opts, out, err);
    } else if (nw_xml_is(root, "newsMessage")) {
        rc = parse_message(root, opts, out, err);
    } else if (nw_xml_is(root, "planningItem")) {
        rc = nw_err_set(err, NW_EINVAL,
                        "line %ld: not a news item (planningItem): planning items announce "
                        "coverage and are not converted to stories",
                        nw_xml_line(root));
    } else if (is_g2_fragment(root)) {
        rc = nw_err_set(err, NW_EINVAL,
                        "line %ld: not a news item (a <%s> fragment): expected a newsItem, "
                        "packageItem or newsMessage root",
                        nw_xml_line(root), (const char *)root->name);
    } else if (is_other_g2(root) || in_g2_namespace(root)) {
        rc = nw_err_set(err, NW_EINVAL,
                        "line %ld: not a news item (%s): expected a newsItem, packageItem or "
                        "newsMessage root",
                        nw_xml_line(root), (const char *)root->name);
    } else {
        rc = nw_err_set(err, NW_EINVAL,
                        "line %ld: not NewsML-G2: root element <%s>, expected newsItem, "
                        "packageItem or newsMessage",
                        nw_xml_line(root), (const char *)root->name);
    }
    nw_xml_doc_free(&doc);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ registry --- */

/* Does the start of buf name the G2 namespace? */
static bool mentions_g2_namespace(const char *buf, size_t len)
{
    static const char needle[] = "iptc.org/std/nar/";
    size_t k = sizeof needle - 1;
    size_t n = len < 8192 + k - 1 ? len : 8192 + k - 1; /* a match may start below 8192 */
    const char *end = buf + n;
    for (const char *p = buf; (size_t)(end - p) >= k && (p = memchr(p, 'i', (size_t)(end - p)));
         p++)
        if ((size_t)(end - p) >= k && !memcmp(p, needle, k))
            return true;
    return false;
}

static int g2_detect(const char *buf, size_t len)
{
    char root[64];
    if (!nw_wire_root_name(buf, len, root, sizeof root))
        return 0;
    bool ns = mentions_g2_namespace(buf, len);
    if (!strcmp(root, "newsItem") || !strcmp(root, "packageItem") || !strcmp(root, "newsMessage"))
        return ns ? 95 : 85;
    for (size_t i = 0; i < sizeof other_g2_roots / sizeof other_g2_roots[0]; i++)
        if (!strcmp(root, other_g2_roots[i]))
            return ns ? 90 : 60; /* ours, so the user gets "not a news item" */
    /* a G2 fragment as the Implementation Guide prints them: ours too, so the
     * message says what it is; only the names no other vocabulary uses */
    static const char *const distinctive[] = {"groupSet", "contentSet", "contentMeta",
                                              "itemMeta", "itemSet",    "partMeta"};
    for (size_t i = 0; i < sizeof distinctive / sizeof distinctive[0]; i++)
        if (!strcmp(root, distinctive[i]))
            return 60;
    return ns ? 50 : 0;
}

const nw_parser nw_parser_newsmlg2 = {
    .name = "newsml-g2",
    .description = "IPTC NewsML-G2: newsItem, packageItem, newsMessage (XHTML, NITF or text "
                   "bodies)",
    .detect = g2_detect,
    .parse = g2_parse,
    .flags = NW_PARSER_RAW_BYTES,
};
