/*
 * nw_parse_newsml12 — the "newsml-1.2" format: IPTC NewsML 1.2 envelopes (AFP,
 * ANA, Business Wire). Every NewsML/NewsItem becomes one story. It owns the
 * NewsML 1.2 -> nw_story rules below; NITF inside DataContent goes through
 * nw_nitf_body_markup. It never fetches the Catalog or a DTD, never logs
 * directly and never outputs a wrong date (a bad one: warning, field left out).
 *
 * Mapping (id = NewsItem/Identification/NewsIdentifier, mgmt = NewsManagement):
 *   uri          id/PublicIdentifier without its trailing ":<RevisionId>[flag]"
 *                part, so every revision of an item keeps one uri
 *                ("urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86"); without
 *                one "urn:newsml:<ProviderId>:<DateId>:<NewsItemId>"
 *                (percent-encoded parts); without ids a content hash.
 *   version      id/RevisionId (leading zeros dropped)
 *   firstCreated / versionCreated   mgmt/FirstCreated / mgmt/ThisRevisionCreated
 *   pubStatus    mgmt/Status@FormalName: Usable, Withheld, Canceled/Cancelled;
 *                Embargoed = usable with embargoedUntil from
 *                mgmt/StatusWillChange/DateAndTime (withheld without one)
 *   urgency      mgmt/Urgency@FormalName 1..9, else NewsEnvelope/Priority
 *   Text components: the NewsComponent tree is walked depth-first; a component
 *   whose Role is Photo, Picture, Image, Graphic, Video, Audio, Logo,
 *   StyleSheet or Contact (with its sub-components) is not text and is
 *   skipped, as is every ContentItem whose MediaType is not Text, whose
 *   MimeType is not text/xhtml/xml/nitf, whose Format is CSS or that has no
 *   DataContent (an Href to a photo). From the text components:
 *   headlines    the first NewsLines/HeadLine (role "main", else the text of a
 *                Role "HeadLine" component), NewsLines/SubHeadLine or a Role
 *                "SubHeadLine" component (role "subheadline")
 *   by           NewsLines/ByLine, else AdministrativeMetadata/Creator/Party
 *   located      DescriptiveMetadata Location (or direct Property) City, else
 *                NewsLines/DateLine when it has letters
 *   contentCreated DescriptiveMetadata/DateLineDate
 *   copyrightNotice NewsLines/CopyrightLine; slugline NewsLines/SlugLine;
 *   edNote       NewsLine of type AdvisoryLine
 *   language     DescriptiveMetadata/Language@FormalName (lower-cased), else
 *                NewsItem@xml:lang
 *   bodies       the DataContent of components without a Role or with Role
 *                Main, Body, Text or Content: NITF (<nitf>/body.content), XHTML
 *                (<html>/body), loose NITF/HTML elements (<p>...), HTML text
 *                (CDATA) or plain text (paragraphs); all parts joined, one
 *                text/plain + text/html pair
 *   subjects     SubjectCode/Subject|SubjectMatter|SubjectDetail@FormalName (IPTC
 *                codes; names from TopicSet/Topic descriptions when given),
 *                Property Keyword -> {name, rel "keyword"}, Business Wire
 *                Metadata properties -> {name, rel "about"} (as the IPTC ninjs
 *                twins of those files do)
 *   genres       DescriptiveMetadata/Genre@FormalName; places: Location City
 *                and Country properties
 *   provider     AdministrativeMetadata/Provider/Party, else
 *                NewsEnvelope/SentFrom/Party, else Source/Party, else ProviderId
 *   categories   the provider's own section codes: AFP SubjectCode children @cat
 *                ("ECO", "POL"), ANA TopicSet Description Variant="Category",
 *                Business Wire Metadata BWCategoryKeywords; else
 *                opts->default_category
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

#define OOM(err)            nw_err_set((err), NW_ENOMEM, "out of memory")
#define MAX_COMPONENT_DEPTH 64

typedef struct item_ctx {
    nw_story *story;
    const nw_parse_opts *opts;
    const xmlNode *envelope;
    char *headline, *subheadline, *role_headline, *role_subheadline;
    char *provider, *creator, *source, *dateline, *city;
    nw_buf body; /* HTML of every text part */
    bool oom;
} item_ctx;

static void ctx_free(item_ctx *c)
{
    free(c->headline);
    free(c->subheadline);
    free(c->role_headline);
    free(c->role_subheadline);
    free(c->provider);
    free(c->creator);
    free(c->source);
    free(c->dateline);
    free(c->city);
    nw_buf_free(&c->body);
}

/* ------------------------------------------------------------- helpers --- */

/* Squeezed attribute, NULL when absent/blank; sets c->oom on failure. */
static char *attr(item_ctx *c, const xmlNode *n, const char *name)
{
    if (!n)
        return NULL;
    char *raw = nw_xml_attr(n, name);
    if (!raw)
        return NULL;
    char *s = nw_text_squeeze(raw, strlen(raw));
    free(raw);
    if (!s)
        c->oom = true;
    else if (!s[0])
        free(s), s = NULL;
    return s;
}

static char *formal(item_ctx *c, const xmlNode *n)
{
    return attr(c, n, "FormalName");
}

/* Squeezed text (NULL when empty). nw_xml_text squeezes already. */
static char *text(const xmlNode *n)
{
    return n ? nw_xml_text(n) : NULL;
}

/* Keep the first value seen: *slot takes v when empty, else v is freed. */
static void keep_first(char **slot, char *v)
{
    if (!*slot)
        *slot = v;
    else
        free(v);
}

static int set_if_absent(char **field, const char *value)
{
    return *field || !value ? 0 : nw_story_set(field, value);
}

static bool has_letter(const char *s)
{
    for (; *s; s++)
        if (isalpha((unsigned char)*s) || (unsigned char)*s >= 0x80)
            return true;
    return false;
}

static int add_category(item_ctx *c, const char *name)
{
    nw_err cerr = {0};
    int rc = nw_story_add_category(c->story, name, &cerr);
    if (rc == NW_ENOMEM)
        return rc;
    if (rc < 0)
        nw_parse_warn(c->opts, "category skipped: %s", cerr.msg);
    return 0;
}

static bool is_iptc_code(const char *s)
{
    if (!s || strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* ----------------------------------------------------------- metadata --- */

static int map_newslines(item_ctx *c, const xmlNode *nl)
{
    nw_story *s = c->story;
    int rc = 0;
    for (xmlNodePtr e = nl->children; e && !rc; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        char *v = NULL;
        if (nw_xml_is(e, "NewsLine")) {
            char *type = formal(c, nw_xml_child(e, "NewsLineType"));
            char *t = text(nw_xml_child(e, "NewsLineText"));
            if (t && type && !strcasecmp(type, "AdvisoryLine"))
                rc = set_if_absent(&s->ed_note, t);
            else if (t && type && !strcasecmp(type, "KeywordLine"))
                rc = nw_wire_add_entity(&s->subjects, t, NULL, NULL, "keyword");
            free(type);
            free(t);
            continue;
        }
        v = text(e);
        if (!v)
            continue;
        if (nw_xml_is(e, "HeadLine"))
            keep_first(&c->headline, v), v = NULL;
        else if (nw_xml_is(e, "SubHeadLine"))
            keep_first(&c->subheadline, v), v = NULL;
        else if (nw_xml_is(e, "ByLine"))
            rc = set_if_absent(&s->by, v);
        else if (nw_xml_is(e, "DateLine"))
            keep_first(&c->dateline, v), v = NULL;
        else if (nw_xml_is(e, "CopyrightLine"))
            rc = set_if_absent(&s->copyright_notice, v);
        else if (nw_xml_is(e, "SlugLine"))
            rc = set_if_absent(&s->slugline, v);
        free(v);
    }
    return rc;
}

static int map_admin(item_ctx *c, const xmlNode *am)
{
    xmlNodePtr n;
    if ((n = nw_xml_child(am, "Provider")))
        keep_first(&c->provider, formal(c, nw_xml_child(n, "Party")));
    if ((n = nw_xml_child(am, "Creator")))
        keep_first(&c->creator, formal(c, nw_xml_child(n, "Party")));
    if ((n = nw_xml_child(am, "Source")))
        keep_first(&c->source, formal(c, nw_xml_child(n, "Party")));
    return 0;
}

/* City/Country (and region) properties of a Location or DescriptiveMetadata. */
static int map_place_properties(item_ctx *c, const xmlNode *parent)
{
    int rc = 0;
    for (xmlNodePtr p = nw_xml_child(parent, "Property"); p && !rc;
         p = nw_xml_next(p, "Property")) {
        char *name = formal(c, p);
        char *value = attr(c, p, "Value");
        if (name && value && !strcasecmp(name, "City")) {
            rc = nw_wire_add_entity(&c->story->places, value, NULL, NULL, NULL);
            if (!c->city)
                c->city = value, value = NULL;
        } else if (name && value &&
                   (!strcasecmp(name, "Country") || !strcasecmp(name, "CountryArea") ||
                    !strcasecmp(name, "WorldRegion"))) {
            rc = nw_wire_add_entity(&c->story->places, value, NULL, NULL, NULL);
        } else if (name && value && !strcasecmp(name, "Keyword")) {
            rc = nw_wire_add_entity(&c->story->subjects, value, NULL, NULL, "keyword");
        }
        free(name);
        free(value);
    }
    return rc;
}

static int map_descriptive(item_ctx *c, const xmlNode *dm)
{
    nw_story *s = c->story;
    int rc = 0;
    for (xmlNodePtr e = dm->children; e && !rc; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (nw_xml_is(e, "Language")) {
            char *lang = formal(c, e);
            if (lang && !s->language) {
                for (char *p = lang; *p; p++)
                    *p = (char)(*p == '_' ? '-' : tolower((unsigned char)*p));
                rc = nw_story_set(&s->language, lang);
            }
            free(lang);
        } else if (nw_xml_is(e, "Genre")) {
            char *g = formal(c, e);
            if (g)
                rc = nw_wire_add_entity(&s->genres, g, NULL, NULL, NULL);
            free(g);
        } else if (nw_xml_is(e, "SubjectCode")) {
            for (xmlNodePtr sc = e->children; sc && !rc; sc = sc->next) {
                if (!nw_xml_is(sc, "Subject") && !nw_xml_is(sc, "SubjectMatter") &&
                    !nw_xml_is(sc, "SubjectDetail"))
                    continue;
                char *code = formal(c, sc);
                char *cat = attr(c, sc, "cat");
                if (is_iptc_code(code))
                    rc = nw_wire_add_iptc_subject(s, code, NULL);
                else if (code)
                    rc = nw_wire_add_entity(&s->subjects, NULL, NULL, code, "subject");
                if (!rc && cat)
                    rc = add_category(c, cat);
                free(code);
                free(cat);
            }
        } else if (nw_xml_is(e, "Location")) {
            rc = map_place_properties(c, e);
        } else if (nw_xml_is(e, "DateLineDate") && !s->content_created) {
            char *d = text(e);
            rc = nw_wire_set_date(&s->content_created, d, "DateLineDate", nw_xml_line(e), c->opts);
            free(d);
        }
    }
    if (!rc)
        rc = map_place_properties(c, dm);
    return rc;
}

/* ANA: TopicSet/Topic with FormalName code and Description Name/Category. */
static int map_topicset(item_ctx *c, const xmlNode *ts)
{
    int rc = 0;
    for (xmlNodePtr t = nw_xml_child(ts, "Topic"); t && !rc; t = nw_xml_next(t, "Topic")) {
        char *code = text(nw_xml_child(t, "FormalName"));
        char *name = NULL, *any_name = NULL;
        for (xmlNodePtr d = nw_xml_child(t, "Description"); d && !rc;
             d = nw_xml_next(d, "Description")) {
            char *variant = attr(c, d, "Variant");
            char *lang = attr(c, d, "lang");
            char *v = text(d);
            if (v && variant && !strcasecmp(variant, "Category")) {
                rc = add_category(c, v);
            } else if (v && (!variant || !strcasecmp(variant, "Name"))) {
                bool mine = lang && c->story->language && !strncasecmp(lang, c->story->language, 2);
                bool en = lang && !strncasecmp(lang, "en", 2);
                if ((mine || (en && !name)) && !name)
                    name = v, v = NULL;
                else if (!any_name)
                    any_name = v, v = NULL;
            }
            free(variant);
            free(lang);
            free(v);
        }
        const char *use = name ? name : any_name;
        if (!rc && is_iptc_code(code))
            rc = nw_wire_add_iptc_subject(c->story, code, use);
        else if (!rc && (code || use))
            rc = nw_wire_add_entity(&c->story->subjects, use, NULL, code, "subject");
        free(code);
        free(name);
        free(any_name);
    }
    return rc;
}

/* Business Wire: Metadata/Property keywords. */
static int map_metadata(item_ctx *c, const xmlNode *md)
{
    int rc = 0;
    for (xmlNodePtr p = nw_xml_child(md, "Property"); p && !rc; p = nw_xml_next(p, "Property")) {
        char *name = formal(c, p);
        char *value = attr(c, p, "Value");
        if (value)
            rc = nw_wire_add_entity(&c->story->subjects, value, NULL, NULL, "about");
        if (!rc && value && name && !strcasecmp(name, "BWCategoryKeywords"))
            rc = add_category(c, value);
        free(name);
        free(value);
    }
    return rc;
}

/* ------------------------------------------------------------- content --- */

static const char *const non_text_roles[] = {
    "photo", "picture", "image", "graphic", "video", "audio", "logo", "stylesheet", "contact",
};
static const char *const body_roles[] = {"main", "body", "text", "content"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcasecmp(s, list[i]))
            return true;
    return false;
}

/* Is this ContentItem text we can read? */
static bool text_content_item(item_ctx *c, const xmlNode *ci)
{
    if (!nw_xml_child(ci, "DataContent"))
        return false;
    char *media = formal(c, nw_xml_child(ci, "MediaType"));
    char *mime = formal(c, nw_xml_child(ci, "MimeType"));
    char *format = formal(c, nw_xml_child(ci, "Format"));
    bool ok = true;
    if (media && strcasecmp(media, "Text"))
        ok = false;
    if (mime && strncasecmp(mime, "text/", 5) && !strstr(mime, "xhtml") && !strstr(mime, "xml") &&
        !strstr(mime, "nitf"))
        ok = false;
    if ((mime && !strcasecmp(mime, "text/css")) || (format && !strcasecmp(format, "CSS")))
        ok = false;
    free(media);
    free(mime);
    free(format);
    return ok;
}

static bool looks_like_html(const char *s)
{
    for (const char *p = s; (p = strchr(p, '<')); p++) {
        if (isalpha((unsigned char)p[1]) || (p[1] == '/' && isalpha((unsigned char)p[2])))
            return true;
    }
    return false;
}

/* DataContent -> HTML fragment (malloc'd; "" when empty; NULL on OOM). */
static char *data_content_markup(const xmlNode *ci)
{
    const xmlNode *dc = nw_xml_child(ci, "DataContent");
    bool has_element = false;
    for (xmlNodePtr e = dc->children; e; e = e->next)
        if (e->type == XML_ELEMENT_NODE)
            has_element = true;
    if (has_element) {
        xmlNodePtr nitf = nw_xml_child(dc, "nitf");
        if (nitf)
            return nw_nitf_body_markup(nitf);
        xmlNodePtr html = nw_xml_child(dc, "html");
        if (html) {
            xmlNodePtr body = nw_xml_find(html, "body");
            return body ? nw_nitf_body_markup(body) : strdup("");
        }
        return nw_nitf_body_markup(dc);
    }
    /* text: HTML in CDATA or escaped, or plain paragraphs */
    xmlChar *raw = xmlNodeGetContent(dc);
    if (!raw)
        return strdup("");
    char *out = looks_like_html((const char *)raw) ? strdup((const char *)raw)
                                                   : nw_html_from_paragraphs((const char *)raw);
    xmlFree(raw);
    return out;
}

/* Text of a Role HeadLine/SubHeadLine component's first text ContentItem. */
static char *component_text(item_ctx *c, const xmlNode *comp)
{
    for (xmlNodePtr ci = nw_xml_child(comp, "ContentItem"); ci;
         ci = nw_xml_next(ci, "ContentItem")) {
        if (!text_content_item(c, ci))
            continue;
        char *markup = data_content_markup(ci);
        if (!markup) {
            c->oom = true;
            return NULL;
        }
        nw_err herr = {0};
        char *plain = nw_html_to_text(markup, strlen(markup), &herr);
        free(markup);
        if (plain && plain[0]) {
            char *sq = nw_text_squeeze(plain, strlen(plain));
            free(plain);
            return sq;
        }
        free(plain);
    }
    return NULL;
}

static int walk_component(item_ctx *c, const xmlNode *comp, int depth)
{
    if (depth > MAX_COMPONENT_DEPTH)
        return 0;
    char *role = formal(c, nw_xml_child(comp, "Role"));
    int rc = 0;
    if (in_list(role, non_text_roles, sizeof non_text_roles / sizeof non_text_roles[0])) {
        free(role);
        return 0;
    }
    for (xmlNodePtr e = comp->children; e && !rc; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (nw_xml_is(e, "NewsLines"))
            rc = map_newslines(c, e);
        else if (nw_xml_is(e, "AdministrativeMetadata"))
            rc = map_admin(c, e);
        else if (nw_xml_is(e, "DescriptiveMetadata"))
            rc = map_descriptive(c, e);
        else if (nw_xml_is(e, "TopicSet"))
            rc = map_topicset(c, e);
        else if (nw_xml_is(e, "Metadata"))
            rc = map_metadata(c, e);
    }
    if (!rc && role && !strcasecmp(role, "HeadLine"))
        keep_first(&c->role_headline, component_text(c, comp));
    else if (!rc && role && !strcasecmp(role, "SubHeadLine"))
        keep_first(&c->role_subheadline, component_text(c, comp));
    else if (!rc &&
             (!role || in_list(role, body_roles, sizeof body_roles / sizeof body_roles[0]))) {
        for (xmlNodePtr ci = nw_xml_child(comp, "ContentItem"); ci;
             ci = nw_xml_next(ci, "ContentItem")) {
            if (!text_content_item(c, ci))
                continue;
            char *markup = data_content_markup(ci);
            if (!markup) {
                c->oom = true;
                break;
            }
            if (markup[0]) {
                if (c->body.len)
                    nw_buf_putc(&c->body, '\n');
                nw_buf_puts(&c->body, markup);
            }
            free(markup);
        }
    }
    free(role);
    for (xmlNodePtr sub = nw_xml_child(comp, "NewsComponent"); sub && !rc;
         sub = nw_xml_next(sub, "NewsComponent"))
        rc = walk_component(c, sub, depth + 1);
    return rc;
}

/* ------------------------------------------------------ ids and status --- */

static char *strip_revision(const char *pubid, const char *revision)
{
    const char *colon = strrchr(pubid, ':');
    if (revision && colon && colon > pubid) {
        size_t k = strlen(revision);
        const char *tail = colon + 1;
        if (!strncmp(tail, revision, k) &&
            (tail[k] == '\0' || (isalpha((unsigned char)tail[k]) && tail[k + 1] == '\0')))
            return strndup(pubid, (size_t)(colon - pubid));
    }
    return strdup(pubid);
}

static void put_encoded(nw_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '.' || *p == '_' || *p == '~' || *p == '-')
            nw_buf_putc(b, (char)*p);
        else
            nw_buf_printf(b, "%%%02X", *p);
    }
}

static int map_identification(item_ctx *c, const xmlNode *item)
{
    nw_story *s = c->story;
    xmlNodePtr ident = nw_xml_child(item, "Identification");
    xmlNodePtr ni = ident ? nw_xml_child(ident, "NewsIdentifier") : NULL;
    if (!ni)
        return 0;
    char *provider_id = text(nw_xml_child(ni, "ProviderId"));
    char *date_id = text(nw_xml_child(ni, "DateId"));
    char *item_id = text(nw_xml_child(ni, "NewsItemId"));
    char *revision = text(nw_xml_child(ni, "RevisionId"));
    char *pubid = text(nw_xml_child(ni, "PublicIdentifier"));
    int rc = 0;

    if (revision) {
        const char *v = revision;
        bool digits = true;
        for (const char *p = v; *p; p++)
            digits = digits && isdigit((unsigned char)*p);
        if (digits) {
            while (v[0] == '0' && v[1])
                v++;
            rc = nw_story_set(&s->version, v);
        } else {
            nw_parse_warn(c->opts, "line %ld: RevisionId '%s' is not a number, ignored",
                          nw_xml_line(nw_xml_child(ni, "RevisionId")), revision);
        }
    }
    if (!rc && pubid) {
        char *base = strip_revision(pubid, revision);
        rc = base ? nw_wire_set_uri(s, provider_id, base) : NW_ENOMEM;
        free(base);
    } else if (!rc && provider_id && date_id && item_id) {
        nw_buf b = NW_BUF_INIT;
        nw_buf_puts(&b, "urn:newsml:");
        put_encoded(&b, provider_id);
        nw_buf_putc(&b, ':');
        put_encoded(&b, date_id);
        nw_buf_putc(&b, ':');
        put_encoded(&b, item_id);
        rc = nw_buf_failed(&b) ? NW_ENOMEM : nw_story_set(&s->uri, b.data);
        nw_buf_free(&b);
    } else if (!rc && item_id) {
        rc = nw_wire_set_uri(s, provider_id ? provider_id : "newsml", item_id);
    }
    if (!c->source && provider_id)
        c->source = provider_id, provider_id = NULL;
    free(provider_id);
    free(date_id);
    free(item_id);
    free(revision);
    free(pubid);
    return rc;
}

static int map_management(item_ctx *c, const xmlNode *item)
{
    nw_story *s = c->story;
    xmlNodePtr m = nw_xml_child(item, "NewsManagement");
    int rc = 0;
    char *v;
    xmlNodePtr n;
    if (m && (n = nw_xml_child(m, "FirstCreated"))) {
        v = text(n);
        rc = nw_wire_set_date(&s->first_created, v, "FirstCreated", nw_xml_line(n), c->opts);
        free(v);
    }
    if (!rc && m && (n = nw_xml_child(m, "ThisRevisionCreated"))) {
        v = text(n);
        rc = nw_wire_set_date(&s->version_created, v, "ThisRevisionCreated", nw_xml_line(n),
                              c->opts);
        free(v);
    }
    if (!rc && s->version_created && !s->first_created)
        rc = nw_story_set(&s->first_created, s->version_created);
    if (!rc && s->first_created && !s->version_created)
        rc = nw_story_set(&s->version_created, s->first_created);

    char *status = m ? formal(c, nw_xml_child(m, "Status")) : NULL;
    const char *ps = "usable";
    if (status) {
        if (!strcasecmp(status, "Usable"))
            ps = "usable";
        else if (!strcasecmp(status, "Withheld"))
            ps = "withheld";
        else if (!strcasecmp(status, "Canceled") || !strcasecmp(status, "Cancelled"))
            ps = "canceled";
        else if (!strcasecmp(status, "Embargoed")) {
            xmlNodePtr swc = nw_xml_child(m, "StatusWillChange");
            xmlNodePtr when = swc ? nw_xml_child(swc, "DateAndTime") : NULL;
            v = text(when);
            if (!rc && v)
                rc = nw_wire_set_date(&s->embargoed_until, v, "StatusWillChange/DateAndTime",
                                      nw_xml_line(when), c->opts);
            free(v);
            ps = s->embargoed_until ? "usable" : "withheld";
        } else {
            nw_parse_warn(c->opts, "line %ld: Status '%s' unknown, read as usable",
                          nw_xml_line(nw_xml_child(m, "Status")), status);
        }
    }
    free(status);
    if (!rc)
        rc = nw_story_set(&s->pub_status, ps);

    xmlNodePtr urg = m ? nw_xml_child(m, "Urgency") : NULL;
    if (!urg && c->envelope)
        urg = nw_xml_child(c->envelope, "Priority");
    char *u = formal(c, urg);
    if (u) {
        if (strlen(u) == 1 && u[0] >= '1' && u[0] <= '9')
            s->urgency = u[0] - '0';
        else
            nw_parse_warn(c->opts, "line %ld: urgency '%s' is not 1..9, left out", nw_xml_line(urg),
                          u);
    }
    free(u);
    return rc;
}

/* ---------------------------------------------------------- one story --- */

static int parse_item(const xmlNode *item, const xmlNode *envelope, const nw_parse_opts *opts,
                      nw_story_list *out, nw_err *err)
{
    nw_story *s = nw_story_new();
    if (!s)
        return OOM(err);
    item_ctx c = {.story = s, .opts = opts, .envelope = envelope, .body = NW_BUF_INIT};
    int rc = nw_story_set(&s->type, "text");
    if (!rc)
        rc = map_identification(&c, item);
    if (!rc)
        rc = map_management(&c, item);
    for (xmlNodePtr comp = nw_xml_child(item, "NewsComponent"); comp && !rc;
         comp = nw_xml_next(comp, "NewsComponent"))
        rc = walk_component(&c, comp, 0);

    /* headlines */
    const char *main = c.headline ? c.headline : c.role_headline;
    const char *sub = c.subheadline ? c.subheadline : c.role_subheadline;
    if (!rc && main)
        rc = nw_text_list_add(&s->headlines, main, "main", "text/plain");
    if (!rc && sub)
        rc = nw_text_list_add(&s->headlines, sub, "subheadline", "text/plain");
    if (!rc && !main)
        nw_parse_warn(opts, "line %ld: NewsItem has no HeadLine", nw_xml_line(item));

    /* people and places */
    if (!rc && !s->by && c.creator)
        rc = nw_story_set(&s->by, c.creator);
    if (!rc && !s->located) {
        if (c.city)
            rc = nw_story_set(&s->located, c.city);
        else if (c.dateline && has_letter(c.dateline))
            rc = nw_story_set(&s->located, c.dateline);
    }
    if (!rc && !s->language) {
        char *lang = attr(&c, item, "lang");
        if (lang)
            rc = nw_story_set(&s->language, lang);
        free(lang);
    }

    /* provider */
    if (!rc) {
        char *sent = NULL;
        if (!c.provider && envelope) {
            xmlNodePtr sf = nw_xml_child(envelope, "SentFrom");
            sent = formal(&c, sf ? nw_xml_child(sf, "Party") : NULL);
        }
        const char *prov = c.provider ? c.provider : sent ? sent : c.source;
        if (prov)
            rc = nw_entity_list_add(&s->info_sources, prov, NULL, NULL, "source");
        free(sent);
    }

    /* bodies */
    if (!rc && nw_buf_failed(&c.body))
        rc = NW_ENOMEM;
    if (!rc && c.body.len)
        rc = nw_html_add_bodies(s, c.body.data, c.body.len, err);
    if (rc < 0 && rc != NW_ENOMEM) {
        ctx_free(&c);
        nw_story_free(s);
        return rc;
    }
    if (!rc && c.oom)
        rc = NW_ENOMEM;
    if (!rc && !s->uri)
        rc = nw_wire_set_hash_uri(s, nw_story_provider(s) ? nw_story_provider(s) : "newsml");
    if (!rc && !s->version)
        rc = nw_story_set(&s->version, "1");
    if (!rc && nw_story_categories(s, NULL, 0) == 0 && opts->default_category) {
        rc = nw_story_add_category(s, opts->default_category, err);
        if (rc < 0 && rc != NW_ENOMEM) {
            nw_err_prefix(err, "default category: ");
            ctx_free(&c);
            nw_story_free(s);
            return rc;
        }
    }
    ctx_free(&c);
    if (rc < 0) {
        nw_story_free(s);
        return OOM(err);
    }
    if (nw_story_list_add(out, s) < 0)
        return OOM(err);
    return 0;
}

/* ------------------------------------------------------------- parser --- */

static int newsml12_detect(const char *buf, size_t len)
{
    char root[64];
    if (!nw_wire_root_name(buf, len < 8192 ? len : 8192, root, sizeof root))
        return 0;
    if (!strcmp(root, "NewsML"))
        return 95;
    if (!strcmp(root, "NewsItem"))
        return 80;
    return 0;
}

static int newsml12_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    nw_xml_doc doc = {0};
    int rc = nw_xml_read(buf, len, NULL, NULL, opts->max_input_bytes, &doc, err);
    if (rc < 0)
        return rc;
    nw_xml_warn_decoding(&doc, opts);
    xmlNodePtr root = nw_xml_root(&doc);
    if (root && nw_xml_is(root, "NewsItem")) {
        rc = parse_item(root, NULL, opts, out, err);
    } else if (root && nw_xml_is(root, "NewsML")) {
        xmlNodePtr env = nw_xml_child(root, "NewsEnvelope");
        size_t items = 0;
        for (xmlNodePtr it = nw_xml_child(root, "NewsItem"); it && rc == 0;
             it = nw_xml_next(it, "NewsItem"), items++)
            rc = parse_item(it, env, opts, out, err);
        if (rc == 0 && items == 0)
            rc = nw_err_set(err, NW_EINVAL, "line %ld: <NewsML> holds no <NewsItem>",
                            nw_xml_line(root));
    } else {
        rc = nw_err_set(err, NW_EINVAL,
                        "line %ld: expected root element <NewsML> or <NewsItem>, found <%s>",
                        root ? nw_xml_line(root) : 0L, root ? (const char *)root->name : "nothing");
    }
    nw_xml_doc_free(&doc);
    return rc;
}

const nw_parser nw_parser_newsml12 = {
    .name = "newsml-1.2",
    .description = "IPTC NewsML 1.2 (AFP, ANA, Business Wire): one story per NewsItem",
    .detect = newsml12_detect,
    .parse = newsml12_parse,
    .flags = NW_PARSER_RAW_BYTES,
};
