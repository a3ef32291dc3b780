/*
 * nw_parse_ninjs — the JSON wire formats: IPTC ninjs 1.x/2.x/3.x ("ninjs":
 * one object, an array of objects, or Superdesk's {"total", "item": [...]}
 * wrapper), dpa's "digitalwires" JSON ("dpa-digitalwires") and AP Media API
 * JSON ("ap-media-json", recognised and refused as not supported yet). The
 * ninjs mapping itself is nw_ninjs_decode's; this file finds the objects,
 * reads the tolerant variants (the camelCase GraphQL dialect: ednote, byline,
 * persons, rightsinfo, provider) and decides the routing categories:
 *
 *   1. subjects with rel "category" are the categories (their literal is
 *      re-derived as the slug of the name, so any input is routable);
 *   2. else the names of the Superdesk/AAP `service` entries;
 *   3. else the name of the first coded subject (one with a uri or literal,
 *      not a keyword) — a genre is a form, not a section, and is not used;
 *   4. else opts->default_category.
 *
 * digitalwires: urn -> uri, version, pubstatus, embargoed, urgency, headline
 * (kicker/subhead as extra headlines), teaser -> description, byline, dateline
 * -> located, article_html -> bodies, categories[]: dpasubject/subject ->
 * subjects, keyword -> subjects rel "keyword", geosubject -> places, person ->
 * people, genre -> genres, provider -> infoSources; routing category = the
 * desk ("pl" Politik, "wi" Wirtschaft, ... known codes named, others as is).

 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_html.h"
#include "nw_json.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"

/* json_object_foreach, minus its two key -> iterator look-ups per member:
 * for walks that do not change the object. */
#define EACH_MEMBER(obj, k, v)                                                                     \
    for (void *each_it_ = json_object_iter((json_t *)(obj));                                       \
         each_it_ &&                                                                               \
         ((k) = json_object_iter_key(each_it_), (v) = json_object_iter_value(each_it_), 1);        \
         each_it_ = json_object_iter_next((json_t *)(obj), each_it_))

/* Where an object is, for messages: "[3]", "/item/0", or "(root)". */
static const char *at(const char *where)
{
    return where ? where : "(root)";
}

/* ---------------------------------------------------------- shapes --- */

typedef enum shape {
    SHAPE_NINJS,
    SHAPE_DIGITALWIRES,
    SHAPE_AP_MEDIA,
} shape;

/* The members of an object that tell its shape, found in one walk (keys are
 * unique): cheaper than a look-up each on the small objects of a feed. */
typedef struct shape_keys {
    const json_t *format, *urn, *article_html, *api_version, *data; /* digitalwires, AP */
    const json_t *schema, *properties, *uri;                        /* a JSON Schema */
    const json_t *item, *items_, *total, *offset, *limit, *meta_;   /* Superdesk's wrapper */
} shape_keys;

static void scan_shape_keys(const json_t *o, shape_keys *sk)
{
    memset(sk, 0, sizeof *sk);
    if (!json_is_object(o))
        return;
    const char *k;
    json_t *v;
    EACH_MEMBER((json_t *)o, k, v)
    {
        const json_t **slot = NULL;
        switch (k[0]) {
        case 'f': slot = !strcmp(k, "format") ? &sk->format : NULL; break;
        case 'u': slot = !strcmp(k, "urn") ? &sk->urn : !strcmp(k, "uri") ? &sk->uri : NULL; break;
        case 'a':
            slot = !strcmp(k, "article_html")  ? &sk->article_html
                   : !strcmp(k, "api_version") ? &sk->api_version
                                               : NULL;
            break;
        case 'd': slot = !strcmp(k, "data") ? &sk->data : NULL; break;
        case '$': slot = !strcmp(k, "$schema") ? &sk->schema : NULL; break;
        case 'p': slot = !strcmp(k, "properties") ? &sk->properties : NULL; break;
        case 'i': slot = !strcmp(k, "item") ? &sk->item : NULL; break;
        case '_':
            slot = !strcmp(k, "_items") ? &sk->items_ : !strcmp(k, "_meta") ? &sk->meta_ : NULL;
            break;
        case 't': slot = !strcmp(k, "total") ? &sk->total : NULL; break;
        case 'o': slot = !strcmp(k, "offset") ? &sk->offset : NULL; break;
        case 'l': slot = !strcmp(k, "limit") ? &sk->limit : NULL; break;
        default: break;
        }
        if (slot)
            *slot = v;
    }
}

/* For an object scanned into sk (not an object: all NULL, so false). */
static bool is_digitalwires(const shape_keys *sk)
{
    const char *fmt = json_string_value(sk->format);
    if (fmt && !strncmp(fmt, "digitalwires", 12))
        return true;
    return json_is_string(sk->urn) && sk->article_html;
}

static bool is_ap_media(const shape_keys *sk)
{
    return sk->api_version && json_is_object(sk->data);
}

/* root_keys: root scanned (all NULL when root is an array). */
static shape shape_of(const json_t *root, const shape_keys *root_keys)
{
    shape_keys first;
    const shape_keys *probe = root_keys;
    if (json_is_array(root)) {
        scan_shape_keys(json_array_get(root, 0), &first);
        probe = &first;
    }
    if (is_ap_media(probe))
        return SHAPE_AP_MEDIA;
    if (is_digitalwires(probe))
        return SHAPE_DIGITALWIRES;
    return SHAPE_NINJS;
}

static const char *shape_format(shape s)
{
    return s == SHAPE_DIGITALWIRES ? "dpa-digitalwires"
           : s == SHAPE_AP_MEDIA   ? "ap-media-json"
                                   : "ninjs";
}

/* Superdesk's API wrapper: {"total": n, "limit": .., "offset": .., "item": [...]}. */
static json_t *wrapper_items(const shape_keys *root_keys)
{
    const json_t *items = root_keys->item;
    if (!json_is_array(items))
        items = root_keys->items_;
    if (json_is_array(items) &&
        (root_keys->total || root_keys->offset || root_keys->limit || root_keys->meta_))
        return (json_t *)items;
    return NULL;
}

static int load_json(const char *buf, size_t len, json_t **out, nw_err *err)
{
    json_error_t je;
    *out = NULL;
    int rc = nw_json_check_values(buf, len, NW_JSON_MAX_VALUES, err);
    if (rc < 0)
        return rc;
    *out = nw_json_loadb(buf, len, JSON_DECODE_ANY, &je);
    if (!*out)
        return nw_err_set(err, NW_EINVAL, "line %d, column %d: invalid JSON: %s", je.line,
                          je.column, je.text);
    if (!json_is_object(*out) && !json_is_array(*out)) {
        json_decref(*out);
        *out = NULL;
        return nw_err_set(err, NW_EINVAL, "expected a JSON object or array at the top level");
    }
    return 0;
}

/* ------------------------------------------------------- categories --- */

static int add_category(nw_story *story, const char *name, const nw_parse_opts *opts,
                        const char *where, nw_err *err)
{
    nw_err cerr = {0};
    int rc = nw_story_add_category(story, name, &cerr);
    if (rc == NW_ENOMEM)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (rc < 0)
        nw_parse_warn(opts, "%s: category skipped: %s", at(where), cerr.msg);
    return 0;
}

/* Subjects with rel "category": literal := slug(name, or the code after the
 * last ':'). Returns how many are usable. */
static int normalize_category_subjects(nw_story *story, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < story->subjects.len; i++) {
        nw_entity *e = &story->subjects.items[i];
        if (!e->rel || strcmp(e->rel, NW_REL_CATEGORY))
            continue;
        const char *src = e->name;
        if (!src || !*src) {
            src = e->literal ? e->literal : e->uri;
            const char *colon = src ? strrchr(src, ':') : NULL;
            if (colon && colon[1])
                src = colon + 1;
        }
        char *slug = src ? nw_text_slug(src) : NULL;
        if (src && !slug)
            return NW_ENOMEM;
        if (slug && slug[0]) {
            /* src may point into e->literal: name it before replacing that */
            if (!e->name && nw_story_set(&e->name, src)) {
                free(slug);
                return NW_ENOMEM;
            }
            free(e->literal);
            e->literal = slug;
            (*count)++;
        } else { /* nothing routable: keep it as a plain subject */
            free(slug);
            if (nw_story_set(&e->rel, "subject"))
                return NW_ENOMEM;
        }
    }
    return 0;
}

static int ninjs_categories(nw_story *story, const nw_parse_opts *opts, const char *where,
                            nw_err *err)
{
    size_t have = 0;
    if (normalize_category_subjects(story, &have))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (have)
        return 0;
    /* 2. service */
    const json_t *service = story->extra ? json_object_get(story->extra, "service") : NULL;
    if (json_is_string(service))
        return add_category(story, json_string_value(service), opts, where, err);
    if (json_is_array(service)) {
        size_t i;
        const json_t *s;
        int rc = 0;
        json_array_foreach(service, i, s)
        {
            const char *name = json_string_value(json_object_get(s, "name"));
            if (!name)
                name = json_string_value(json_object_get(s, "code"));
            if (!name)
                name = json_string_value(s);
            if (name && (rc = add_category(story, name, opts, where, err)) < 0)
                return rc;
        }
        if (nw_story_categories(story, NULL, 0))
            return 0;
    }
    /* 3. the first coded subject */
    for (size_t i = 0; i < story->subjects.len; i++) {
        const nw_entity *e = &story->subjects.items[i];
        if (e->rel && !strcmp(e->rel, "keyword"))
            continue;
        if (e->name && *e->name && (e->uri || e->literal)) {
            int rc = add_category(story, e->name, opts, where, err);
            if (rc < 0)
                return rc;
            if (nw_story_categories(story, NULL, 0))
                return 0;
        }
    }
    if (opts->default_category)
        return add_category(story, opts->default_category, opts, where, err);
    return 0;
}

/* ------------------------------------------------------------ ninjs --- */

static void rename_key(json_t *o, const char *from, const char *to)
{
    json_t *v = json_object_get(o, from);
    if (!v || json_object_get(o, to))
        return;
    json_object_set(o, to, v);
    json_object_del(o, from);
}

/* The top-level properties tolerate_variants reads, found in one walk of
 * the object instead of a look-up each. */
enum variant_key {
    /* the timestamps, in the order they are checked */
    V_VERSIONCREATED,
    V_VERSIONCREATED3,
    V_FIRSTCREATED,
    V_FIRSTCREATED3,
    V_EMBARGOED,
    V_EMBARGOEDUNTIL,
    V_CONTENTCREATED,
    V_CONTENTCREATED3,
    V_N_TIMES,
    V_PUBSTATUS3 = V_N_TIMES,
    V_PUBSTATUS,
    V_REPRESENTATIONTYPE3,
    V_REPRESENTATIONTYPE,
    V_PROVIDER,
    /* legacy names renamed on 3.x */
    V_EDNOTE,
    V_BYLINE,
    V_PERSONS,
    V_RIGHTSINFO,
    V_COPYRIGHTHOLDER,
    V_COPYRIGHTNOTICE,
    V_USAGETERMS,
    V_COUNT,
    V_OTHER = V_COUNT,
};

static const char *const variant_names[V_COUNT] = {
    "versioncreated",
    "versionCreated",
    "firstcreated",
    "firstCreated",
    "embargoed",
    "embargoedUntil",
    "contentcreated",
    "contentCreated",
    "pubStatus",
    "pubstatus",
    "representationType",
    "representationtype",
    "provider",
    "ednote",
    "byline",
    "persons",
    "rightsinfo",
    "copyrightholder",
    "copyrightnotice",
    "usageterms",
};

static enum variant_key variant_key_of(const char *k)
{
    int from = 0, to = 0; /* the candidates: variant_names[from, to) */
    switch (k[0]) {
    case 'b': from = V_BYLINE, to = V_BYLINE + 1; break;
    case 'c':
        if (!strcmp(k, "contentcreated") || !strcmp(k, "contentCreated"))
            return k[7] == 'c' ? V_CONTENTCREATED : V_CONTENTCREATED3;
        from = V_COPYRIGHTHOLDER, to = V_COPYRIGHTNOTICE + 1;
        break;
    case 'e':
        if (!strcmp(k, "ednote"))
            return V_EDNOTE;
        from = V_EMBARGOED, to = V_EMBARGOEDUNTIL + 1;
        break;
    case 'f': from = V_FIRSTCREATED, to = V_FIRSTCREATED3 + 1; break;
    case 'p':
        if (!strcmp(k, "provider"))
            return V_PROVIDER;
        if (!strcmp(k, "persons"))
            return V_PERSONS;
        from = V_PUBSTATUS3, to = V_PUBSTATUS + 1;
        break;
    case 'r':
        if (!strcmp(k, "rightsinfo"))
            return V_RIGHTSINFO;
        from = V_REPRESENTATIONTYPE3, to = V_REPRESENTATIONTYPE + 1;
        break;
    case 'u': from = V_USAGETERMS, to = V_USAGETERMS + 1; break;
    case 'v': from = V_VERSIONCREATED, to = V_VERSIONCREATED3 + 1; break;
    default: break;
    }
    for (int i = from; i < to; i++)
        if (!strcmp(k, variant_names[i]))
            return (enum variant_key)i;
    return V_OTHER;
}

/* The camelCase GraphQL dialect and other 3.x look-alikes: legacy names
 * next to 3.x ones. Changes o in place (the caller's freshly loaded tree).
 * Returns the ninjs version of o (nw_ninjs_detect_version), which its changes
 * keep: on 3.x it only renames legacy keys to 3.x names and drops
 * `provider`, and on 1.x and 2.x it changes nothing the detection reads. */
static int tolerate_variants(json_t *o, const nw_parse_opts *opts, const char *where)
{
    /* one walk: which of the names below o has (keys are unique) */
    json_t *has[V_COUNT] = {0};
    const char *key;
    json_t *val;
    EACH_MEMBER(o, key, val)
    {
        enum variant_key id = variant_key_of(key);
        if (id != V_OTHER)
            has[id] = val;
    }
    /* ninjs 1.0 did not check formats ("Last Tuesday"): such a timestamp is
     * left out with a warning, never guessed */
    for (size_t i = 0; i < V_N_TIMES; i++) {
        const char *v = json_string_value(has[i]);
        if (!v || nw_ninjs_time_is_canonical(v)) /* the usual case: no parse */
            continue;
        int64_t epoch;
        nw_err terr = {0};
        if (nw_time_parse(v, "UTC", &epoch, NULL, &terr) < 0) {
            nw_parse_warn(opts, "%s%s%s: '%s' is not a timestamp, left out", where ? where : "",
                          where ? ": " : "", variant_names[i], v);
            json_object_del(o, variant_names[i]);
            has[i] = NULL;
        }
    }
    const char *status = json_string_value(has[V_PUBSTATUS3]);
    if (!status)
        status = json_string_value(has[V_PUBSTATUS]);
    if (status && !strcmp(status, "draft")) { /* GraphQL dialect: not for publication */
        nw_parse_warn(opts, "%s%spubStatus 'draft' read as 'withheld'", where ? where : "",
                      where ? ": " : "");
        json_object_set_new(o, has[V_PUBSTATUS3] ? "pubStatus" : "pubstatus",
                            json_string("withheld"));
    }
    for (size_t i = V_REPRESENTATIONTYPE3; i <= V_REPRESENTATIONTYPE; i++) {
        const char *rep = json_string_value(has[i]);
        if (!rep || !strcmp(rep, "full") || !strcmp(rep, "partial"))
            continue;
        if (!strcmp(rep, "complete")) { /* 1.x wording of "full" */
            json_object_set_new(o, variant_names[i], json_string("full"));
        } else {
            nw_parse_warn(opts, "%s%srepresentationType '%s' unknown, left out", where ? where : "",
                          where ? ": " : "", rep);
            json_object_del(o, variant_names[i]);
        }
    }
    int version = nw_ninjs_detect_version(o);
    if (version != 3)
        return version;
    static const struct {
        enum variant_key from;
        const char *to;
    } renames[] = {
        {V_EDNOTE, "edNote"},
        {V_BYLINE, "by"},
        {V_PERSONS, "people"},
        {V_RIGHTSINFO, "rightsInfo"},
        {V_COPYRIGHTHOLDER, "copyrightHolder"},
        {V_COPYRIGHTNOTICE, "copyrightNotice"},
        {V_USAGETERMS, "usageTerms"},
        {V_EMBARGOED, "embargoedUntil"},
    };
    for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++)
        if (has[renames[i].from])
            rename_key(o, variant_names[renames[i].from], renames[i].to);
    const char *provider = json_string_value(has[V_PROVIDER]);
    if (provider && *provider) {
        json_t *sources = json_object_get(o, "infoSources");
        bool has_source = false;
        size_t i;
        json_t *s;
        json_array_foreach(sources, i, s)
        {
            const char *role = json_string_value(json_object_get(s, "role"));
            if (role && !strcmp(role, "source"))
                has_source = true;
        }
        if (!has_source) {
            if (!json_is_array(sources)) {
                sources = json_array();
                json_object_set_new(o, "infoSources", sources);
            }
            json_array_insert_new(sources, 0,
                                  json_pack("{s:s, s:s}", "name", provider, "role", "source"));
        }
        json_object_del(o, "provider");
    }
    return version;
}

/* Numbers, or arrays of them, all the way down (GeoJSON coordinates). */
static bool numeric_tree(const json_t *v, int depth)
{
    if (json_is_number(v))
        return true;
    if (!json_is_array(v) || depth > 6 || json_array_size(v) == 0)
        return false;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) if (!numeric_tree(x, depth + 1)) return false;
    return true;
}

/* A shallow GeoJSON check: a known type with coordinates (or geometries /
 * features) of the right kind. */
static bool geojson_ok(const json_t *g, int depth)
{
    static const char *const geometries[] = {"Point",           "MultiPoint", "LineString",
                                             "MultiLineString", "Polygon",    "MultiPolygon"};
    const char *type = json_string_value(json_object_get(g, "type"));
    if (!type || depth > 4)
        return false;
    for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++)
        if (!strcmp(type, geometries[i]))
            return numeric_tree(json_object_get(g, "coordinates"), 0);
    const char *list_key = !strcmp(type, "GeometryCollection")  ? "geometries"
                           : !strcmp(type, "FeatureCollection") ? "features"
                                                                : NULL;
    if (list_key) {
        const json_t *list = json_object_get(g, list_key);
        size_t i;
        const json_t *x;
        if (!json_is_array(list))
            return false;
        json_array_foreach(list, i, x) if (!geojson_ok(x, depth + 1)) return false;
        return true;
    }
    if (!strcmp(type, "Feature")) {
        const json_t *geom = json_object_get(g, "geometry");
        return json_is_null(geom) || geojson_ok(geom, depth + 1);
    }
    return false;
}

/* True when s starts with a URI scheme ("urn:", "tag:", "http:"...). */
static bool has_scheme(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    const char *p = s + 1;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':' && p[1];
}

/* "urn:newswire:<slug>:<id>" with id percent-encoded outside [A-Za-z0-9._~:-];
 * malloc'd or NULL. */
static char *newswire_urn(const char *slug, const char *id)
{
    nw_buf b = NW_BUF_INIT;
    nw_buf_printf(&b, "urn:newswire:%s:", slug);
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        if (isalnum(*c) || strchr("._~:-", *c))
            nw_buf_putc(&b, (char)*c);
        else
            nw_buf_printf(&b, "%%%02X", *c);
    }
    if (nw_buf_failed(&b)) {
        nw_buf_free(&b);
        return NULL;
    }
    return nw_buf_take(&b);
}

/* The "urn:newswire:..." for id, the provider's slug made on first use
 * (*slug, freed by the caller). NULL when out of memory. */
static char *story_urn(const nw_story *story, char **slug, const char *id)
{
    if (!*slug) {
        const char *provider = nw_story_provider(story);
        if (!(*slug = nw_text_slug(provider ? provider : "ninjs")))
            return NULL;
    }
    return newswire_urn((*slug)[0] ? *slug : "ninjs", id);
}

/* A provider id that is not a URI (story or association) becomes
 * "urn:newswire:<provider slug, else ninjs>:<id>". */
static int absolute_uri(nw_story *story)
{
    char *slug = NULL; /* most stories never need it */
    int rc = 0;
    if (story->uri && !has_scheme(story->uri)) {
        char *u = story_urn(story, &slug, story->uri);
        rc = u ? nw_story_set(&story->uri, u) : NW_ENOMEM;
        free(u);
    }
    size_t i;
    json_t *a;
    json_array_foreach(story->associations, i, a)
    {
        const char *au = json_string_value(json_object_get(a, "uri"));
        if (!au) /* Superdesk items: the writer takes guid as the uri */
            au = json_string_value(json_object_get(a, "guid"));
        if (rc == 0 && au && !has_scheme(au)) {
            char *u = story_urn(story, &slug, au);
            if (!u || json_object_set_new(a, "uri", json_string(u)))
                rc = NW_ENOMEM;
            free(u);
        }
    }
    free(slug);
    /* an entity "uri" that is no URI ("subject_custom/02000000") is a code:
     * it becomes the literal (or is dropped when there already is one) */
    nw_entity_list *lists[] = {&story->subjects,      &story->places, &story->people,
                               &story->organisations, &story->genres, &story->info_sources};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0] && rc == 0; l++)
        for (size_t k = 0; k < lists[l]->len; k++) {
            nw_entity *e = &lists[l]->items[k];
            json_t *geo = e->extra ? json_object_get(e->extra, "geoJSON") : NULL;
            if (geo && !geojson_ok(geo, 0))
                json_object_del(e->extra, "geoJSON"); /* malformed: not carried */
            if (!e->uri || has_scheme(e->uri))
                continue;
            if (!e->literal) {
                e->literal = e->uri;
            } else {
                free(e->uri);
            }
            e->uri = NULL;
        }
    return rc;
}

static int decode_ninjs(json_t *obj, const shape_keys *keys, const nw_parse_opts *opts,
                        const char *where, nw_story_list *out, nw_err *err)
{
    if (!json_is_object(obj))
        return nw_err_set(err, NW_EINVAL, "%s: expected a ninjs object", at(where));
    shape_keys own;
    if (!keys) {
        scan_shape_keys(obj, &own);
        keys = &own;
    }
    if (is_digitalwires(keys) || is_ap_media(keys))
        return nw_err_set(err, NW_EINVAL, "%s: this is %s JSON, not ninjs (use --format %s)", where,
                          is_ap_media(keys) ? "AP Media API" : "dpa digitalwires",
                          is_ap_media(keys) ? "ap-media-json" : "dpa-digitalwires");
    if (keys->schema && keys->properties && !keys->uri)
        return nw_err_set(err, NW_EINVAL, "%s: this is a JSON Schema, not a ninjs document",
                          at(where));
    /* the loaded tree is ours: changed in place */
    int version = tolerate_variants(obj, opts, where);
    nw_story *story = NULL;
    int rc = nw_ninjs_decode_version(obj, version, &story, err);
    if (rc < 0)
        return where ? nw_err_prefix(err, "%s: ", where) : rc;
    if ((!story->type && nw_story_set(&story->type, "text")) || absolute_uri(story)) {
        nw_story_free(story);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    rc = ninjs_categories(story, opts, where, err);
    if (rc < 0) {
        nw_story_free(story);
        return rc;
    }
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ----------------------------------------------------- digitalwires --- */

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

static int set_time(char **field, const json_t *o, const char *key, const nw_parse_opts *opts,
                    const char *where)
{
    const char *s = jstr(o, key);
    if (!s)
        return 0;
    char *norm = NULL;
    nw_err terr = {0};
    if (nw_time_normalize(s, "UTC", &norm, &terr) < 0) {
        if (terr.code == NW_ENOMEM)
            return NW_ENOMEM;
        nw_parse_warn(opts, "%s: %s '%s' is not a timestamp, left out", at(where), key, s);
        return 0;
    }
    int rc = nw_story_set(field, norm);
    free(norm);
    return rc;
}

/* "pl" -> "Politik"; unknown desks keep their code. */
static const char *dpa_desk_name(const char *code)
{
    static const char *const desks[][2] = {
        {"pl", "Politik"},      {"wi", "Wirtschaft"},     {"vm", "Vermischtes"},
        {"ku", "Kultur"},       {"sp", "Sport"},          {"rs", "Redaktionsservice"},
        {"wt", "Wissenschaft"}, {"mw", "Modernes Leben"},
    };
    for (size_t i = 0; i < sizeof desks / sizeof desks[0]; i++)
        if (!strcmp(code, desks[i][0]))
            return desks[i][1];
    return code;
}

/* "Berlin (dpa) - " -> "Berlin"; "MADRID, 21 Nov. 2024 (Europa Press) -" -> "MADRID". */
static char *dateline_place(const char *s)
{
    size_t n = strcspn(s, "(,");
    return nw_text_squeeze(s, n);
}

static int dw_categories(nw_story *story, const json_t *cats, const nw_parse_opts *opts,
                         const char *where, nw_err *err)
{
    size_t i;
    const json_t *c;
    int rc = 0;
    json_array_foreach(cats, i, c)
    {
        const char *type = jstr(c, "type"), *name = jstr(c, "name"), *qcode = jstr(c, "qcode");
        if (!type || !name)
            continue;
        if (!strcmp(type, "dnltype:dpasubject") || !strcmp(type, "dnltype:subject"))
            rc = nw_entity_list_add(&story->subjects, name, NULL, qcode, "subject");
        else if (!strcmp(type, "dnltype:keyword"))
            rc = nw_entity_list_add(&story->subjects, name, NULL, qcode, "keyword");
        else if (!strcmp(type, "dnltype:geosubject"))
            rc = nw_entity_list_add(&story->places, name, NULL, qcode, NULL);
        else if (!strcmp(type, "dnltype:person"))
            rc = nw_entity_list_add(&story->people, name, NULL, qcode, NULL);
        else if (!strcmp(type, "dnltype:genre"))
            rc = nw_entity_list_add(&story->genres, name, NULL, qcode, NULL);
        else if (!strcmp(type, "dnltype:provider"))
            rc = nw_entity_list_add(&story->info_sources, name, NULL, NULL, "source");
        else if (!strcmp(type, "dnltype:desk"))
            rc = add_category(story, dpa_desk_name(name), opts, where, err);
        if (rc < 0)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    return 0;
}

static int dw_story(const json_t *o, const nw_parse_opts *opts, const char *where, nw_story *story,
                    nw_err *err)
{
    const char *urn = jstr(o, "urn");
    if (!urn)
        return nw_err_set(err, NW_EINVAL, "%s: no \"urn\" (expected dpa digitalwires JSON)", where);
    int rc = 0;
    char version[32] = "";
    const json_t *v = json_object_get(o, "version");
    if (json_is_integer(v))
        snprintf(version, sizeof version, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        snprintf(version, sizeof version, "%s", json_string_value(v));
    const char *status = jstr(o, "pubstatus");
    if (status && !strcmp(status, "cancelled"))
        status = "canceled";
    if (status && strcmp(status, "usable") && strcmp(status, "withheld") &&
        strcmp(status, "canceled")) {
        nw_parse_warn(opts, "%s: pubstatus '%s' unknown, left out", at(where), status);
        status = NULL;
    }
    const char *type = jstr(o, "type");
    if (type && strcmp(type, "text") && strcmp(type, "composite") && strcmp(type, "picture") &&
        strcmp(type, "audio") && strcmp(type, "video") && strcmp(type, "graphic"))
        type = NULL;
    if (nw_story_set(&story->uri, urn) ||
        nw_story_set(&story->type, !type || !strcmp(type, "graphic") ? "text" : type) ||
        (version[0] && nw_story_set(&story->version, version)) ||
        (status && nw_story_set(&story->pub_status, status)) ||
        nw_story_set(&story->language, jstr(o, "language")) ||
        nw_story_set(&story->by, jstr(o, "byline")) ||
        nw_story_set(&story->copyright_notice, jstr(o, "copyrightnotice")))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    const json_t *urg = json_object_get(o, "urgency");
    if (json_is_integer(urg) && json_integer_value(urg) >= 1 && json_integer_value(urg) <= 9)
        story->urgency = (int)json_integer_value(urg);
    if (set_time(&story->version_created, o, "version_created", opts, where) ||
        set_time(&story->content_created, o, "content_created", opts, where) ||
        set_time(&story->embargoed_until, o, "embargoed", opts, where))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    const char *usage = jstr(o, "usageterms");
    if (usage) {
        if (!story->extra)
            story->extra = json_object();
        if (!story->extra || json_object_set_new(story->extra, "usageTerms", json_string(usage)))
            return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    /* texts */
    const char *headline = jstr(o, "headline");
    if ((headline && nw_text_list_add(&story->headlines, headline, "main", "text/plain")) ||
        (jstr(o, "kicker") &&
         nw_text_list_add(&story->headlines, jstr(o, "kicker"), "kicker", "text/plain")) ||
        (jstr(o, "subhead") &&
         nw_text_list_add(&story->headlines, jstr(o, "subhead"), "subhead", "text/plain")) ||
        (jstr(o, "teaser") &&
         nw_text_list_add(&story->descriptions, jstr(o, "teaser"), "summary", "text/plain")))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    const char *dateline = jstr(o, "dateline");
    if (dateline) {
        char *place = dateline_place(dateline);
        if (!place || (place[0] && nw_story_set(&story->located, place))) {
            free(place);
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        }
        free(place);
    }
    const char *html = jstr(o, "article_html");
    if (html && (rc = nw_html_add_bodies(story, html, strlen(html), err)) < 0)
        return nw_err_prefix(err, "%s: article_html: ", at(where));
    /* editorial notes */
    nw_buf notes = NW_BUF_INIT;
    size_t i;
    const json_t *n;
    json_array_foreach(json_object_get(o, "ednotes"), i, n)
    {
        const char *t = jstr(n, "ednote");
        if (t) {
            if (notes.len)
                nw_buf_puts(&notes, " / ");
            nw_buf_puts(&notes, t);
        }
    }
    rc = nw_buf_failed(&notes) || (notes.len && nw_story_set(&story->ed_note, nw_buf_str(&notes)))
             ? NW_ENOMEM
             : 0;
    nw_buf_free(&notes);
    if (rc)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if ((rc = dw_categories(story, json_object_get(o, "categories"), opts, where, err)) < 0)
        return rc;
    if (story->info_sources.len == 0 &&
        nw_entity_list_add(&story->info_sources, "dpa", NULL, NULL, "source"))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (!nw_story_categories(story, NULL, 0) && opts->default_category)
        return add_category(story, opts->default_category, opts, where, err);
    return 0;
}

static int decode_digitalwires(json_t *obj, const shape_keys *keys, const nw_parse_opts *opts,
                               const char *where, nw_story_list *out, nw_err *err)
{
    (void)keys;
    if (!json_is_object(obj))
        return nw_err_set(err, NW_EINVAL, "%s: expected a digitalwires object", at(where));
    nw_story *story = nw_story_new();
    if (!story)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    int rc = dw_story(obj, opts, where, story, err);
    if (rc < 0) {
        nw_story_free(story);
        return rc;
    }
    if (nw_story_list_add(out, story))
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}

/* ------------------------------------------------------------ driver --- */

/* keys: obj scanned by scan_shape_keys, or NULL when it was not. */
typedef int (*decode_fn)(json_t *obj, const shape_keys *keys, const nw_parse_opts *opts,
                         const char *where, nw_story_list *out, nw_err *err);

/* Each object of root (an array, a wrapper, or root itself; root_keys is
 * root scanned); fn may change the objects in place (root belongs to the
 * caller, who frees it after). */
static int each_object(json_t *root, const shape_keys *root_keys, decode_fn fn,
                       const nw_parse_opts *opts, nw_story_list *out, nw_err *err)
{
    json_t *items = json_is_array(root) ? root : wrapper_items(root_keys);
    if (!items)
        return fn(root, root_keys, opts, NULL, out, err);
    if (json_array_size(items) == 0)
        return nw_err_set(err, NW_EINVAL, "%s is empty: no story",
                          json_is_array(root) ? "the array" : "the \"item\" list");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        char where[48];
        snprintf(where, sizeof where, json_is_array(root) ? "[%zu]" : "/item/%zu", i);
        int rc = fn(it, NULL, opts, where, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --------------------------------------------------------- schema check --- */

static const nw_jsonschema *ninjs_schema; /* nw_parser_set_ninjs_schema */

void nw_parser_set_ninjs_schema(const nw_jsonschema *schema)
{
    ninjs_schema = schema;
}

int nw_ninjs_schema_open(const char *path, nw_jsonschema **out, nw_err *err)
{
    *out = NULL;
    if (!path || !*path)
        path = getenv("NW_NINJS_SCHEMA");
    if (!path || !*path)
        path = NW_NINJS_SCHEMA_DEFAULT;
    nw_jsonschema *s = nw_jsonschema_new();
    if (!s)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (access(path, F_OK) != 0) {
        *out = s;
        return nw_err_set(err, NW_ENOTFOUND,
                          "no ninjs 3.1 schema at %s: every ninjs input will fail until it is "
                          "installed there or NW_NINJS_SCHEMA names it",
                          path);
    }
    int rc = nw_jsonschema_load_file(s, path, NULL, err);
    const char *geo = getenv("NW_GEOJSON_SCHEMA");
    char beside[4096];
    const char *slash = strrchr(path, '/');
    if (!geo || !*geo) {
        snprintf(beside, sizeof beside, "%.*sGeoJSON-schema.json",
                 slash ? (int)(slash - path + 1) : 0, path);
        geo = beside;
    }
    if (rc == 0 && access(geo, F_OK) == 0) {
        rc = nw_jsonschema_load_file(s, geo, NULL, err);
    } else if (rc == 0) { /* geometry unchecked, as the validate plugin does */
        json_t *anything = json_true();
        rc = nw_jsonschema_add(s, NW_JSONSCHEMA_GEOJSON_URI, anything, err);
        json_decref(anything);
    }
    if (rc) {
        nw_jsonschema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static bool has_members(const json_t *o)
{
    return o && (!json_is_object(o) || json_object_size(o) > 0);
}

/* Does the story carry JSON of the input as it came (extras of the story,
 * of a text or of an entity; associations)? Everything else the writer
 * writes from typed fields the decoder checked (uri, type, pubStatus,
 * urgency, timestamps, plain strings): valid by construction, like the
 * stories of the other formats (test_parse_ninjs validates every dataset
 * story). */
static bool carries_input_json(const nw_story *s)
{
    if (has_members(s->extra) || has_members(s->associations))
        return true;
    const nw_text_list *texts[] = {&s->headlines, &s->bodies, &s->descriptions};
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < texts[l]->len; i++)
            if (has_members(texts[l]->items[i].extra))
                return true;
    const nw_entity_list *ents[] = {&s->subjects,      &s->places,       &s->people,
                                    &s->organisations, &s->info_sources, &s->genres};
    for (size_t l = 0; l < 6; l++)
        for (size_t i = 0; i < ents[l]->len; i++)
            if (has_members(ents[l]->items[i].extra))
                return true;
    return false;
}

/* The stories out[from..] that carry input JSON, as they will be written,
 * against the schema. Without a schema loaded (an empty registry) every
 * story is refused, so that nothing goes unchecked by accident. */
static int check_schema(const nw_story_list *out, size_t from, nw_err *err)
{
    for (size_t i = from; ninjs_schema && i < out->len; i++) {
        if (!carries_input_json(out->items[i]) &&
            nw_jsonschema_has(ninjs_schema, NW_JSONSCHEMA_NINJS_31_URI))
            continue;
        nw_err verr = {0};
        json_t *doc = nw_ninjs_encode(out->items[i], &verr);
        if (!doc)
            continue; /* the writer refuses it later, with its own message */
        int rc = nw_jsonschema_validate(ninjs_schema, NW_JSONSCHEMA_NINJS_31_URI, doc, &verr);
        json_decref(doc);
        if (rc == NW_EINVAL)
            return nw_err_set(err, NW_EINVAL, "story %zu (%s): not valid ninjs 3.1: %s",
                              i - from + 1, out->items[i]->uri, verr.msg);
        if (rc)
            return nw_err_set(err, rc, "ninjs input cannot be checked against the schema: %s",
                              verr.msg);
    }
    return 0;
}

/* ninjs stories go on only after the schema check of the whole input: with
 * a streaming list (a sink) they are decoded into a list of their own first,
 * checked, and only then handed on, so an invalid document never reaches the
 * sink (a ninjs file is small; the streaming is for large feeds). */
static int decode_checked(json_t *root, const shape_keys *root_keys, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    nw_story_list held = {0};
    nw_story_list *dst = out->sink ? &held : out;
    size_t from = dst->len;
    int rc = each_object(root, root_keys, decode_ninjs, opts, dst, err);
    if (rc == 0)
        rc = check_schema(dst, from, err);
    if (dst == &held) {
        for (size_t i = 0; i < held.len; i++) {
            nw_story *story = held.items[i];
            held.items[i] = NULL;
            if (rc == 0)
                rc = nw_story_list_add(out, story); /* takes the story in every case */
            else
                nw_story_free(story);
        }
        held.len = 0;
        nw_story_list_free(&held);
    }
    return rc;
}

static int parse_as(shape want, const char *buf, size_t len, const nw_parse_opts *opts,
                    nw_story_list *out, nw_err *err)
{
    json_t *root = NULL;
    int rc = load_json(buf, len, &root, err);
    if (rc < 0)
        return rc;
    shape_keys root_keys;
    scan_shape_keys(root, &root_keys);
    shape got = shape_of(root, &root_keys);
    if (got == SHAPE_AP_MEDIA) {
        rc = nw_err_set(err, NW_EINVAL,
                        "AP Media API JSON (api_version/data) is not supported yet: convert it "
                        "to ninjs first");
    } else if (want != got && want != SHAPE_NINJS) {
        rc = nw_err_set(err, NW_EINVAL, "not %s JSON (this looks like %s)", shape_format(want),
                        shape_format(got));
    } else if (got == SHAPE_NINJS) {
        rc = decode_checked(root, &root_keys, opts, out, err);
    } else {
        rc = each_object(root, &root_keys, decode_digitalwires, opts, out, err);
    }
    json_decref(root);
    return rc;
}

/* ---------------------------------------------------------- detection --- */

/* Does `quoted` ("\"name\"", or a prefix of one; two bytes at least)
 * occur in buf[0..len)? The byte after each quote is compared before the
 * rest: most quotes start another name. */
static bool has_key(const char *buf, size_t len, const char *quoted)
{
    size_t n = strlen(quoted);
    for (const char *p = buf; (p = memchr(p, '"', (size_t)(buf + len - p))) != NULL; p++) {
        if ((size_t)(buf + len - p) < n)
            return false;
        if (p[1] == quoted[1] && !memcmp(p, quoted, n))
            return true;
    }
    return false;
}

static const char *json_start(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p < end && (*p == '{' || *p == '[') ? p : NULL;
}

static size_t sniff_len(size_t len)
{
    return len < 8192 ? len : 8192;
}

static int ninjs_detect(const char *buf, size_t len)
{
    len = sniff_len(len);
    if (!json_start(buf, len))
        return 0;
    if (has_key(buf, len, "\"api_version\"") || has_key(buf, len, "\"article_html\""))
        return 0;
    static const char *const keys[] = {
        "\"uri\"",       "\"guid\"",           "\"headlines\"",      "\"headline\"",
        "\"$standard\"", "\"versioncreated\"", "\"versionCreated\"", "\"pubstatus\"",
        "\"pubStatus\"", "\"body_html\"",      "\"body_text\"",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (has_key(buf, len, keys[i]))
            return 80;
    return 25; /* some JSON: ninjs is the best guess, and its errors are precise */
}

static int digitalwires_detect(const char *buf, size_t len)
{
    len = sniff_len(len);
    if (!json_start(buf, len))
        return 0;
    if (has_key(buf, len, "\"digitalwires") ||
        (has_key(buf, len, "\"urn\"") && has_key(buf, len, "\"article_html\"")))
        return 90;
    return 0;
}

static int ap_media_detect(const char *buf, size_t len)
{
    len = sniff_len(len);
    if (!json_start(buf, len))
        return 0;
    return has_key(buf, len, "\"api_version\"") && has_key(buf, len, "\"data\"") ? 90 : 0;
}

static int ninjs_parse(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                       nw_err *err)
{
    return parse_as(SHAPE_NINJS, buf, len, opts, out, err);
}

static int digitalwires_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                              nw_story_list *out, nw_err *err)
{
    return parse_as(SHAPE_DIGITALWIRES, buf, len, opts, out, err);
}

static int ap_media_parse(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out, nw_err *err)
{
    return parse_as(SHAPE_AP_MEDIA, buf, len, opts, out, err);
}

const nw_parser nw_parser_ninjs = {
    .name = "ninjs",
    .description = "IPTC ninjs 1.x/2.x/3.x JSON: one object, an array, or a Superdesk item list",
    .detect = ninjs_detect,
    .parse = ninjs_parse,
};

const nw_parser nw_parser_dpa_digitalwires = {
    .name = "dpa-digitalwires",
    .description = "dpa digitalwires JSON (urn, article_html, categories)",
    .detect = digitalwires_detect,
    .parse = digitalwires_parse,
};

const nw_parser nw_parser_ap_media_json = {
    .name = "ap-media-json",
    .description = "AP Media API JSON (recognised; not supported yet)",
    .detect = ap_media_detect,
    .parse = ap_media_parse,
};
