/*
 * nw_ninjs — the ninjs codec. See nw_ninjs.h for the mapping decisions.
 *
 * Reading is two steps: an older document (1.x, 2.x) is first rewritten as a
 * 3.x-shaped JSON tree (to_v3_from_v1 / to_v3_from_v2), then decode_v3 fills
 * the story. Writing builds a 3.x object from the typed fields, then adds the
 * extras 3.1 defines, pruned against a compact description of the 3.1 schema
 * (the shape tables below). Nothing here mutates its input.
 */
#include "nw_ninjs.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"
#include "nw_json.h"
#include "nw_text.h"
#include "nw_time.h"

#define PATH_MAX_LEN 256

/* json_object_foreach, minus its two key -> iterator look-ups per member:
 * for walks that do not change the object. */
#define EACH_MEMBER(obj, k, v)                                                                     \
    for (void *each_it_ = json_object_iter((json_t *)(obj));                                       \
         each_it_ &&                                                                               \
         ((k) = json_object_iter_key(each_it_), (v) = json_object_iter_value(each_it_), 1);        \
         each_it_ = json_object_iter_next((json_t *)(obj), each_it_))

/* ============================================================ schema shapes */

/* A shape says what 3.1 allows for a value: its JSON type, and for objects
 * which properties (each with its own shape), for lists the shape of items.
 * `ok` (may be NULL) checks an object's required/oneOf constraints after
 * pruning; a value that fails its shape is dropped, never half-written. */
typedef struct shape shape;
typedef struct shape_field {
    const char *name;
    const shape *shape;
} shape_field;
struct shape {
    char kind; /* 'a' any, 's' string, 'i' integer, 'n' number, 'o' object, 'l' list */
    const shape_field *fields;
    const shape *item;
    bool (*ok)(const json_t *obj);
};

static const shape ANY = {'a', NULL, NULL, NULL};
static const shape STR = {'s', NULL, NULL, NULL};
static const shape INT = {'i', NULL, NULL, NULL};
static const shape NUM = {'n', NULL, NULL, NULL};

/* clang-format off */
#define OBJC(name, check, ...)                                                  \
    static const shape_field name##_fields[] = {__VA_ARGS__, {NULL, NULL}};     \
    static const shape name = {'o', name##_fields, NULL, check}
#define OBJ(name, ...) OBJC(name, NULL, __VA_ARGS__)
#define LIST(name, of) static const shape name = {'l', NULL, &of, NULL}
#define F(n)  {n, &STR}
#define FI(n) {n, &INT}
#define FN(n) {n, &NUM}
#define FA(n) {n, &ANY}
/* clang-format on */

static bool has(const json_t *o, const char *k)
{
    return json_object_get(o, k) != NULL;
}
/* datesObjectType: anyOf(oneOf(startDate, expectedStartDate), oneOf(endDate, expectedEndDate)) */
static bool dates_ok(const json_t *o)
{
    return has(o, "startDate") != has(o, "expectedStartDate") ||
           has(o, "endDate") != has(o, "expectedEndDate");
}
static bool contact_ok(const json_t *o)
{
    return has(o, "value") != has(o, "address");
}
static bool rights_ok(const json_t *o)
{
    return has(o, "linkedRights") != has(o, "encodedRights");
}
static bool rendition_ok(const json_t *o)
{
    return has(o, "name");
}

LIST(strings_shape, STR);
OBJ(address_shape, {"lines", &strings_shape}, F("locality"), F("area"), F("postalCode"),
    F("country"));
OBJC(contact_shape, contact_ok, F("type"), F("role"), F("lang"), F("name"), F("value"),
     {"address", &address_shape});
LIST(contacts_shape, contact_shape);
OBJ(symbol_shape, F("exchange"), F("symbolType"), F("symbol"));
LIST(symbols_shape, symbol_shape);
OBJ(organisation_shape, F("name"), F("rel"), F("uri"), F("literal"), {"symbols", &symbols_shape},
    {"contactInfo", &contacts_shape});
OBJ(poi_shape, FI("x"), FI("y"));
OBJC(rendition_shape, rendition_ok, F("name"), F("href"), F("contentType"), F("title"), FI("width"),
     FI("height"), FI("sizeInBytes"), FN("duration"), F("format"), F("aspectRatio"),
     F("videoCodec"), FN("frameRate"), {"poi", &poi_shape}, F("transportProtocol"), F("scanType"),
     F("bitrate"));
LIST(renditions_shape, rendition_shape);
OBJ(rrule_shape, F("frequency"), FI("interval"), F("until"), FI("count"));
LIST(rrules_shape, rrule_shape);
OBJ(recurrence_shape, FA("recurrenceDates"), {"recurrenceRules", &rrules_shape});
OBJC(dates_shape, dates_ok, F("startDate"), F("endDate"), F("expectedStartDate"),
     F("expectedEndDate"), F("expectedDuration"), {"recurrence", &recurrence_shape});
OBJ(reference_shape, F("name"), F("value"));
LIST(references_shape, reference_shape);
OBJ(commissioned_shape, F("by"), F("on"), {"references", &references_shape});
OBJ(event_details_shape, F("eventStatus"), F("plannedCoverageStatus"), {"dates", &dates_shape},
    {"organiser", &organisation_shape});
OBJ(audience_shape, F("audience"), FI("significance"));
LIST(audiences_shape, audience_shape);
OBJ(item_count_shape, FI("rangeFrom"), FI("rangeTo"));
OBJ(coverage_shape, F("uri"), F("title"), F("pubStatus"), F("type"),
    {"commissioned", &commissioned_shape}, {"dates", &dates_shape}, {"audiences", &audiences_shape},
    {"exclAudience", &strings_shape}, F("edNote"), FI("urgency"), F("language"),
    {"itemCount", &item_count_shape}, FI("wordCount"), {"renditions", &renditions_shape});
LIST(coverages_shape, coverage_shape);
OBJ(object_shape, F("name"), F("rel"), F("uri"), F("literal"));
LIST(objects_shape, object_shape);
OBJ(event_shape, F("id"), F("name"), F("rel"), F("uri"), F("literal"));
LIST(events_shape, event_shape);
OBJ(altid_shape, F("role"), F("value"));
LIST(altids_shape, altid_shape);
OBJ(trust_shape, F("role"), F("title"), F("href"));
LIST(trusts_shape, trust_shape);
OBJ(standard_shape, F("name"), F("version"), F("schema"));
OBJC(rights_shape, rights_ok, F("langId"), F("linkedRights"), F("encodedRights"));
OBJ(dst_shape, F("name"), F("uri"), F("literal"));

/* Top-level properties of 3.1 that the story keeps in `extra`. */
static const shape_field top_extra_fields[] = {
    F("representationType"),
    F("profile"),
    F("copyrightHolder"),
    F("usageTerms"),
    F("title"),
    F("expires"),
    {"objects", &objects_shape},
    {"events", &events_shape},
    {"eventDetails", &event_details_shape},
    {"plannedCoverage", &coverages_shape},
    {"renditions", &renditions_shape},
    {"altIds", &altids_shape},
    {"trustIndicators", &trusts_shape},
    {"standard", &standard_shape},
    {"rightsInfo", &rights_shape},
    {"digitalSourceType", &dst_shape},
    {NULL, NULL},
};

/* Extra properties allowed on texts and entities, besides the typed ones. */
static const shape_field body_extra_fields[] = {FI("charCount"), FI("wordCount"), {NULL, NULL}};
static const shape_field no_extra_fields[] = {{NULL, NULL}};
static const shape_field subject_extra_fields[] = {
    F("creator"), FI("relevance"), FI("confidence"), {NULL, NULL}};
static const shape_field place_extra_fields[] = {
    {"contactInfo", &contacts_shape}, FA("geoJSON"), {NULL, NULL}};
static const shape_field contact_extra_fields[] = {{"contactInfo", &contacts_shape}, {NULL, NULL}};
static const shape_field org_extra_fields[] = {
    {"symbols", &symbols_shape}, {"contactInfo", &contacts_shape}, {NULL, NULL}};

static const shape_field *find_field(const shape_field *fields, const char *name)
{
    for (; fields && fields->name; fields++)
        if (!strcmp(fields->name, name))
            return fields;
    return NULL;
}

/* ============================================================ small helpers */

static void note_drop(nw_ninjs_stats *st, const char *path, const char *key)
{
    if (!st)
        return;
    st->dropped++;
    char *buf = st->dropped_paths;
    size_t used = strlen(buf), cap = sizeof st->dropped_paths;
    if (used >= 3 && !strcmp(buf + used - 3, "..."))
        return; /* already cut */
    char entry[PATH_MAX_LEN + 64];
    int n = snprintf(entry, sizeof entry, "%s%s/%s", used ? "," : "", path, key);
    /* keep room for ",..." so a cut list is always marked */
    if (n > 0 && (size_t)n < sizeof entry && used + (size_t)n + 5 <= cap)
        memcpy(buf + used, entry, (size_t)n + 1);
    else
        memcpy(buf + used, used ? ",..." : "...", used ? 5 : 4);
}

/* Length of s (20 or 24) when it is a canonical timestamp (see
 * nw_ninjs_time_is_canonical), else 0. Reads s only up to its NUL. */
static size_t canonical_time_len(const char *s)
{
    /* checked byte by byte in order (&& stops at the first miss), so
     * nothing past a NUL is read */
    const unsigned char *u = (const unsigned char *)s;
#define DIG(i) (u[i] - (unsigned)'0' <= 9)
    if (!(DIG(0) && DIG(1) && DIG(2) && DIG(3) && u[4] == '-' && DIG(5) && DIG(6) && u[7] == '-' &&
          DIG(8) && DIG(9) && u[10] == 'T' && DIG(11) && DIG(12) && u[13] == ':' && DIG(14) &&
          DIG(15) && u[16] == ':' && DIG(17) && DIG(18)))
        return 0;
#define D2(i) ((u[i] - '0') * 10 + (u[(i) + 1] - '0'))
    int year = D2(0) * 100 + D2(2), month = D2(5), day = D2(8);
    if (!nw_time_valid_date(year, month, day) || D2(11) > 23 || D2(14) > 59 || D2(17) > 59)
        return 0; /* a leap second (:60) is written as the next minute */
#undef D2
    if (u[19] == 'Z')
        return u[20] ? 0 : 20;
    /* milliseconds: written only when not zero, always three digits */
    if (!(u[19] == '.' && DIG(20) && DIG(21) && DIG(22) && u[23] == 'Z' && !u[24]) ||
        !memcmp(s + 20, "000", 3))
        return 0;
#undef DIG
    return 24;
}

bool nw_ninjs_time_is_canonical(const char *s)
{
    return s && canonical_time_len(s) > 0;
}

static int oom(nw_err *err)
{
    return nw_err_set(err, NW_ENOMEM, "out of memory");
}

/* Set obj[key] = value (steals value). Returns 0 or NW_ENOMEM. */
static int set_new(json_t *obj, const char *key, json_t *value)
{
    if (!value)
        return NW_ENOMEM;
    return json_object_set_new(obj, key, value) ? NW_ENOMEM : 0;
}

static int set_string(json_t *obj, const char *key, const char *value)
{
    return value ? set_new(obj, key, json_string(value)) : 0;
}

/* *extra = *extra or a new object; then extra[key] = value (borrowed). */
static int extra_set(json_t **extra, const char *key, json_t *value)
{
    if (!*extra && !(*extra = json_object()))
        return NW_ENOMEM;
    return json_object_set(*extra, key, value) ? NW_ENOMEM : 0;
}

/* Integer value of a JSON integer, an integral real or a decimal string
 * ("172" from 1.x renditions); false when it is none of these. */
static bool as_integer(const json_t *v, json_int_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != (double)(json_int_t)d)
            return false;
        *out = (json_int_t)d;
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *out = (json_int_t)n;
    return true;
}

/* *out = copy of `value` pruned to `sh` (leaves shared by reference), or NULL when the value itself
 * does not fit (the caller counts that drop). Drops inside are counted under
 * `path`. Returns 0 or NW_ENOMEM. */
static int prune_value(const json_t *value, const shape *sh, const char *path, nw_ninjs_stats *st,
                       json_t **out)
{
    *out = NULL;
    json_int_t n;
    switch (sh->kind) {
    case 's':
        if (!json_is_string(value))
            return 0;
        break;
    case 'i':
        if (!as_integer(value, &n))
            return 0;
        return (*out = json_integer(n)) ? 0 : NW_ENOMEM;
    case 'n':
        if (json_is_number(value))
            break;
        if (!as_integer(value, &n))
            return 0;
        return (*out = json_integer(n)) ? 0 : NW_ENOMEM;
    case 'o': {
        if (!json_is_object(value))
            return 0;
        json_t *o = json_object();
        if (!o)
            return NW_ENOMEM;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)value, k, v)
        {
            const shape_field *f = find_field(sh->fields, k);
            if (!f) {
                note_drop(st, path, k);
                continue;
            }
            char sub[PATH_MAX_LEN];
            snprintf(sub, sizeof sub, "%s/%s", path, k);
            json_t *c;
            if (prune_value(v, f->shape, sub, st, &c) || (c && json_object_set_new(o, k, c))) {
                json_decref(o);
                return NW_ENOMEM;
            }
            if (!c)
                note_drop(st, path, k);
        }
        if (sh->ok && !sh->ok(o)) {
            json_decref(o);
            return 0;
        }
        *out = o;
        return 0;
    }
    case 'l': {
        if (!json_is_array(value))
            return 0;
        json_t *a = json_array();
        if (!a)
            return NW_ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach((json_t *)value, i, v)
        {
            char sub[PATH_MAX_LEN], idx[24];
            snprintf(sub, sizeof sub, "%s/%zu", path, i);
            json_t *c;
            if (prune_value(v, sh->item, sub, st, &c) || (c && json_array_append_new(a, c))) {
                json_decref(a);
                return NW_ENOMEM;
            }
            if (!c) {
                snprintf(idx, sizeof idx, "%zu", i);
                note_drop(st, path, idx);
            }
        }
        *out = a;
        return 0;
    }
    default: break;
    }
    /* leaves (strings, numbers, literals) are never changed in place: shared */
    if (!json_is_object(value) && !json_is_array(value))
        return (*out = json_incref((json_t *)value)) ? 0 : NW_ENOMEM;
    return (*out = json_deep_copy(value)) ? 0 : NW_ENOMEM;
}

/* ================================================================ encoder */

static const char *const news_types[] = {"text",      "audio",     "video", "picture",  "graphic",
                                         "composite", "component", "event", "planning", NULL};
static const char *const pub_statuses[] = {"usable", "withheld", "canceled", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

/* Names the writer fills from typed fields; an extra by one of these names is dropped. */
static const char *const typed_names[] = {"uri",
                                          "type",
                                          "version",
                                          "versionCreated",
                                          "firstCreated",
                                          "contentCreated",
                                          "embargoedUntil",
                                          "pubStatus",
                                          "urgency",
                                          "language",
                                          "slugline",
                                          "by",
                                          "located",
                                          "edNote",
                                          "copyrightNotice",
                                          "headlines",
                                          "bodies",
                                          "descriptions",
                                          "subjects",
                                          "places",
                                          "people",
                                          "organisations",
                                          "infoSources",
                                          "genres",
                                          "associations",
                                          NULL};

typedef struct entity_kind {
    const char *key;
    size_t offset;               /* of the nw_entity_list in nw_story */
    const char *rel_key;         /* "rel", "role" (infoSources) or NULL (genres) */
    const shape_field *extra_ok; /* other properties 3.1 allows */
} entity_kind;

static const entity_kind entity_kinds[] = {
    {"subjects", offsetof(nw_story, subjects), "rel", subject_extra_fields},
    {"places", offsetof(nw_story, places), "rel", place_extra_fields},
    {"people", offsetof(nw_story, people), "rel", contact_extra_fields},
    {"organisations", offsetof(nw_story, organisations), "rel", org_extra_fields},
    {"infoSources", offsetof(nw_story, info_sources), "role", contact_extra_fields},
    {"genres", offsetof(nw_story, genres), NULL, no_extra_fields},
};

typedef struct text_kind {
    const char *key;
    size_t offset;
    const shape_field *extra_ok;
} text_kind;

static const text_kind text_kinds[] = {
    {"headlines", offsetof(nw_story, headlines), no_extra_fields},
    {"bodies", offsetof(nw_story, bodies), body_extra_fields},
    {"descriptions", offsetof(nw_story, descriptions), no_extra_fields},
};

/* Copy the allowed members of `extra` into obj, skipping names in `typed`. */
static int add_extras(json_t *obj, const json_t *extra, const shape_field *ok,
                      const char *const *typed, const char *path, nw_ninjs_stats *st)
{
    if (!json_is_object(extra))
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)extra, k, v)
    {
        const shape_field *f = find_field(ok, k);
        if (!f || (typed && in_list(typed, k)) || json_object_get(obj, k)) {
            note_drop(st, path, k);
            continue;
        }
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s/%s", path, k);
        json_t *c;
        if (prune_value(v, f->shape, sub, st, &c) || (c && json_object_set_new(obj, k, c)))
            return NW_ENOMEM;
        if (!c)
            note_drop(st, path, k);
    }
    return 0;
}

/* The story's uri for messages, or "ninjs" when it cannot be printed. */
static const char *uri_label(const char *uri)
{
    return uri && uri[0] && nw_utf8_valid(uri, strlen(uri), NULL) ? uri : "ninjs";
}

/* A string jansson would refuse (and we would otherwise report as "out of
 * memory"): name the field. `path` is the object's JSON pointer. */
static int bad_utf8(nw_err *err, const char *uri, const char *path, const char *key)
{
    return nw_err_set(err, NW_EINVAL, "%s: %s/%s: string is not valid UTF-8", uri_label(uri), path,
                      key);
}

/* obj[key] = value as a JSON string, when value is not NULL. Returns 0, or
 * NW_EINVAL (not UTF-8) / NW_ENOMEM with err set. */
static int put_string(json_t *obj, const char *key, const char *value, const char *uri,
                      const char *path, nw_err *err)
{
    if (!value)
        return 0;
    size_t len = strlen(value);
    if (!nw_utf8_valid(value, len, NULL))
        return bad_utf8(err, uri, path, key);
    /* both checked: value just now, key a name of ours */
    json_t *v = json_stringn_nocheck(value, len);
    return !v || json_object_set_new_nocheck(obj, key, v) ? oom(err) : 0;
}

/* One headline/body/description as a JSON object; `path` is its pointer. */
static json_t *encode_text(const nw_text *t, const text_kind *kind, const char *uri,
                           const char *path, nw_ninjs_stats *st, nw_err *err)
{
    json_t *o = json_object();
    if (!o) {
        oom(err);
        return NULL;
    }
    if (put_string(o, "value", t->value ? t->value : "", uri, path, err) ||
        put_string(o, "role", t->role, uri, path, err) ||
        put_string(o, "contentType", t->content_type, uri, path, err)) {
        json_decref(o);
        return NULL;
    }
    if (add_extras(o, t->extra, kind->extra_ok, NULL, path, st)) {
        json_decref(o);
        oom(err);
        return NULL;
    }
    return o;
}

/* One subject/place/... as a JSON object; `path` is its pointer. */
static json_t *encode_entity(const nw_entity *e, const entity_kind *kind, const char *uri,
                             const char *path, nw_ninjs_stats *st, nw_err *err)
{
    json_t *o = json_object();
    if (!o) {
        oom(err);
        return NULL;
    }
    int rc = put_string(o, "name", e->name, uri, path, err) ||
             put_string(o, "uri", e->uri, uri, path, err) ||
             put_string(o, "literal", e->literal, uri, path, err);
    if (!rc && e->rel) {
        if (kind->rel_key)
            rc = put_string(o, kind->rel_key, e->rel, uri, path, err);
        else
            note_drop(st, path, "rel");
    }
    if (!rc && add_extras(o, e->extra, kind->extra_ok, NULL, path, st))
        rc = oom(err);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *encode_texts(const nw_text_list *list, const text_kind *kind, const char *uri,
                            const char *base, nw_ninjs_stats *st, nw_err *err)
{
    json_t *arr = json_array();
    if (!arr) {
        oom(err);
        return NULL;
    }
    for (size_t i = 0; i < list->len; i++) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s/%s/%zu", base, kind->key, i);
        json_t *o = encode_text(&list->items[i], kind, uri, path, st, err);
        if (!o || json_array_append_new(arr, o)) {
            if (o)
                oom(err);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *encode_entities(const nw_entity_list *list, const entity_kind *kind, const char *uri,
                               const char *base, nw_ninjs_stats *st, nw_err *err)
{
    json_t *arr = json_array();
    if (!arr) {
        oom(err);
        return NULL;
    }
    for (size_t i = 0; i < list->len; i++) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s/%s/%zu", base, kind->key, i);
        json_t *o = encode_entity(&list->items[i], kind, uri, path, st, err);
        if (!o || json_array_append_new(arr, o)) {
            if (o)
                oom(err);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int decode_v3(const json_t *obj, nw_story *s, int depth, const char *path, bool assoc_item,
                     nw_err *err);
static json_t *encode_story(const nw_story *s, int depth, const char *path, nw_ninjs_stats *st,
                            nw_err *err);

/* One association item (a 3.x object with name and rel) re-normalized; NULL
 * (and a counted drop) when it cannot be encoded. *fatal is set on NW_ENOMEM. */
static json_t *encode_association(const json_t *item, int depth, const char *path,
                                  nw_ninjs_stats *st, bool *fatal)
{
    if (!json_is_object(item))
        return NULL;
    json_t *name = json_object_get(item, "name");
    json_t *rel = json_object_get(item, "rel");
    nw_story *s = nw_story_new();
    json_t *out = NULL;
    nw_err e;
    nw_err_clear(&e);
    if (!s) {
        *fatal = true;
    } else if (decode_v3(item, s, depth, path, true, &e) == 0) {
        out = encode_story(s, depth, path, st, &e);
        if (!out && e.code == NW_ENOMEM)
            *fatal = true;
    } else if (e.code == NW_ENOMEM) {
        *fatal = true;
    }
    if (out) {
        /* 3.1 requires a name; an unnamed association is named by its relation */
        json_t *nm = json_is_string(name) ? name : json_is_string(rel) ? rel : NULL;
        if ((nm ? json_object_set(out, "name", nm)
                : json_object_set_new(out, "name", json_string("association"))) ||
            (json_is_string(rel) && json_object_set(out, "rel", rel))) {
            *fatal = true;
            json_decref(out);
            out = NULL;
        }
        if (name && !json_is_string(name))
            note_drop(st, path, "name");
        if (rel && !json_is_string(rel))
            note_drop(st, path, "rel");
    }
    nw_story_free(s);
    return out;
}

static int put_time(json_t *obj, const char *key, const char *value, nw_err *err)
{
    if (!value)
        return 0;
    if (canonical_time_len(value)) /* normalizing would give it back */
        return set_new(obj, key, json_string(value)) ? oom(err) : 0;
    char *norm = NULL;
    int rc = nw_time_normalize(value, NULL, &norm, err);
    if (rc)
        return nw_err_prefix(err, "%s: ", key);
    rc = set_new(obj, key, json_string(norm));
    free(norm);
    return rc ? oom(err) : 0;
}

/* What 3.1 would reject in the typed fields, checked before anything is
 * written (both writers). Returns 0 or NW_EINVAL / NW_ELIMIT with err set. */
static int check_story(const nw_story *s, int depth, const char *path, nw_err *err)
{
    if (depth > NW_NINJS_MAX_DEPTH)
        return nw_err_set(err, NW_ELIMIT, "%s: associations nest deeper than %d", path,
                          NW_NINJS_MAX_DEPTH);
    if (!s->uri || !s->uri[0])
        return nw_err_set(err, NW_EINVAL, "%s: story has no uri", path[0] ? path : "ninjs");
    const char *type = s->type ? s->type : "text";
    if (!in_list(news_types, type))
        return nw_err_set(err, NW_EINVAL, "%s: type '%s' is not a ninjs type", s->uri, type);
    if (s->pub_status && !in_list(pub_statuses, s->pub_status))
        return nw_err_set(err, NW_EINVAL, "%s: pubStatus '%s' is not usable, withheld or canceled",
                          s->uri, s->pub_status);
    if (s->urgency < 0 || s->urgency > 9)
        return nw_err_set(err, NW_EINVAL, "%s: urgency %d is outside 1..9", s->uri, s->urgency);
    return 0;
}

/* The typed string properties, in the order they are checked. */
typedef struct string_field {
    const char *key;
    size_t offset; /* of the char * in nw_story */
} string_field;

static const string_field string_fields[] = {
    {"uri", offsetof(nw_story, uri)},
    {"type", offsetof(nw_story, type)},
    {"version", offsetof(nw_story, version)},
    {"pubStatus", offsetof(nw_story, pub_status)},
    {"language", offsetof(nw_story, language)},
    {"slugline", offsetof(nw_story, slugline)},
    {"by", offsetof(nw_story, by)},
    {"located", offsetof(nw_story, located)},
    {"edNote", offsetof(nw_story, ed_note)},
    {"copyrightNotice", offsetof(nw_story, copyright_notice)},
};

static const string_field time_fields[] = {
    {"versionCreated", offsetof(nw_story, version_created)},
    {"firstCreated", offsetof(nw_story, first_created)},
    {"contentCreated", offsetof(nw_story, content_created)},
    {"embargoedUntil", offsetof(nw_story, embargoed_until)},
};

static const char *field_value(const nw_story *s, const string_field *f)
{
    const char *v = *(char *const *)((const char *)s + f->offset);
    if (!v && f->offset == offsetof(nw_story, type))
        return "text";
    return v;
}

/* The associations re-encoded (a new array, maybe empty), or NULL with err
 * set. Drops are counted. */
static json_t *encode_associations(const nw_story *s, int depth, const char *path,
                                   nw_ninjs_stats *st, nw_err *err)
{
    json_t *arr = json_array();
    if (!arr) {
        oom(err);
        return NULL;
    }
    size_t i;
    json_t *item;
    json_array_foreach(s->associations, i, item)
    {
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s/associations/%zu", path, i);
        bool fatal = false;
        json_t *enc = encode_association(item, depth + 1, sub, st, &fatal);
        if (fatal || (enc && json_array_append_new(arr, enc))) {
            json_decref(arr);
            oom(err);
            return NULL;
        }
        if (!enc) {
            char rel[48];
            snprintf(rel, sizeof rel, "associations/%zu", i);
            note_drop(st, path, rel);
        }
    }
    return arr;
}

/* The top-level extras 3.1 defines, pruned, in a new object (`expires`
 * normalized like the typed timestamps), or NULL with err set. */
static json_t *encode_top_extras(const nw_story *s, const char *path, nw_ninjs_stats *st,
                                 nw_err *err)
{
    json_t *o = json_object();
    if (!o || add_extras(o, s->extra, top_extra_fields, typed_names, path, st)) {
        json_decref(o);
        oom(err);
        return NULL;
    }
    json_t *exp = json_object_get(o, "expires");
    if (json_is_string(exp)) {
        char *norm = NULL;
        nw_err terr;
        nw_err_clear(&terr);
        if (nw_time_normalize(json_string_value(exp), NULL, &norm, &terr)) {
            nw_err_set(err, NW_EINVAL, "%s: expires: %s", s->uri, terr.msg);
            json_decref(o);
            return NULL;
        }
        int rc = set_new(o, "expires", json_string(norm));
        free(norm);
        if (rc) {
            json_decref(o);
            oom(err);
            return NULL;
        }
    }
    return o;
}

static json_t *encode_story(const nw_story *s, int depth, const char *path, nw_ninjs_stats *st,
                            nw_err *err)
{
    if (check_story(s, depth, path, err))
        return NULL;
    json_t *o = json_object();
    if (!o) {
        oom(err);
        return NULL;
    }
    for (size_t k = 0; k < sizeof string_fields / sizeof string_fields[0]; k++)
        if (put_string(o, string_fields[k].key, field_value(s, &string_fields[k]), s->uri, path,
                       err))
            goto fail;
    if (s->urgency && set_new(o, "urgency", json_integer(s->urgency))) {
        oom(err);
        goto fail;
    }
    nw_err terr;
    nw_err_clear(&terr);
    for (size_t k = 0; k < sizeof time_fields / sizeof time_fields[0]; k++) {
        if (put_time(o, time_fields[k].key, field_value(s, &time_fields[k]), &terr)) {
            nw_err_set(err, terr.code, "%s: %s", s->uri, terr.msg);
            goto fail;
        }
    }
    for (size_t k = 0; k < sizeof text_kinds / sizeof text_kinds[0]; k++) {
        const nw_text_list *l = (const nw_text_list *)((const char *)s + text_kinds[k].offset);
        if (!l->len)
            continue;
        json_t *arr = encode_texts(l, &text_kinds[k], s->uri, path, st, err);
        if (!arr)
            goto fail;
        if (set_new(o, text_kinds[k].key, arr)) {
            oom(err);
            goto fail;
        }
    }
    for (size_t k = 0; k < sizeof entity_kinds / sizeof entity_kinds[0]; k++) {
        const nw_entity_list *l =
            (const nw_entity_list *)((const char *)s + entity_kinds[k].offset);
        if (!l->len)
            continue;
        json_t *arr = encode_entities(l, &entity_kinds[k], s->uri, path, st, err);
        if (!arr)
            goto fail;
        if (set_new(o, entity_kinds[k].key, arr)) {
            oom(err);
            goto fail;
        }
    }
    if (s->associations) {
        if (!json_is_array(s->associations)) {
            note_drop(st, path, "associations");
        } else {
            json_t *arr = encode_associations(s, depth, path, st, err);
            if (!arr)
                goto fail;
            if (!json_array_size(arr))
                json_decref(arr);
            else if (set_new(o, "associations", arr)) {
                oom(err);
                goto fail;
            }
        }
    }
    if (!json_object_size(s->extra)) /* no extras: nothing to prune or add */
        return o;
    json_t *extras = encode_top_extras(s, path, st, err);
    if (!extras || json_object_update(o, extras)) {
        if (extras)
            oom(err);
        json_decref(extras);
        goto fail;
    }
    json_decref(extras);
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *nw_ninjs_encode_ex(const nw_story *story, nw_ninjs_stats *stats, nw_err *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!story) {
        nw_err_set(err, NW_EINVAL, "ninjs: no story");
        return NULL;
    }
    return encode_story(story, 0, "", stats, err);
}

json_t *nw_ninjs_encode(const nw_story *story, nw_err *err)
{
    return nw_ninjs_encode_ex(story, NULL, err);
}

/* ================================================================ dumps */

char *nw_ninjs_dumps_ex(const nw_story *story, nw_ninjs_stats *stats, nw_err *err)
{
    json_t *tree = nw_ninjs_encode_ex(story, stats, err);
    if (!tree)
        return NULL;
    char *text = json_dumps(tree, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(tree);
    if (!text)
        nw_err_set(err, NW_ENOMEM, "out of memory");
    return text;
}

char *nw_ninjs_dumps(const nw_story *story, nw_err *err)
{
    return nw_ninjs_dumps_ex(story, NULL, err);
}

/* ======================================================= version detection */

static bool has_prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

static int version_of_string(const char *v)
{
    if (v && v[0] >= '1' && v[0] <= '3' && (v[1] == '.' || v[1] == '\0'))
        return v[0] - '0';
    return 0;
}

/* Which version property name k (whose value is val) marks: 3 for the
 * camelCase 3.x names (versionCreated, firstCreated, contentCreated,
 * embargoedUntil, pubStatus, copyrightHolder, copyrightNotice, usageTerms,
 * edNote, altIds, infoSources, trustIndicators, rightsInfo,
 * representationType, digitalSourceType, eventDetails, plannedCoverage);
 * 1 for the 1.x-only ones (headline, byline, subject, place, person,
 * organisation, genre, infosource, event, object, $standard, trustindicator,
 * mimetype, headline_X, body_X, description_X, and renditions, associations
 * or altids given as an object); 2 for the 2.x lowercase ones (headlines,
 * bodies, descriptions, versioncreated, firstcreated, contentcreated,
 * embargoed, pubstatus, copyrightholder, copyrightnotice, usageterms, ednote,
 * altids, infosources, trustindicators, rightsinfo, representationtype,
 * digitalsourcetype); 0 for any other name. A switch on the first byte, then
 * a strcmp or two: this runs on every property of every story read. */
static int marker_of(const char *k, const json_t *val)
{
    int obj = json_is_object(val);
    /* clang-format off */
#define M(name, m) if (!strcmp(k, name)) return m;
    switch (k[0]) {
    case '$': M("$standard", 1) break;
    case 'a': M("altIds", 3) M("altids", obj ? 1 : 2) M("associations", obj ? 1 : 0) break;
    case 'b': M("byline", 1) M("bodies", 2) return has_prefix(k, "body_") ? 1 : 0;
    case 'c': M("contentCreated", 3) M("copyrightHolder", 3) M("copyrightNotice", 3)
              M("contentcreated", 2) M("copyrightholder", 2) M("copyrightnotice", 2) break;
    case 'd': M("digitalSourceType", 3) M("descriptions", 2) M("digitalsourcetype", 2)
              return has_prefix(k, "description_") ? 1 : 0;
    case 'e': M("embargoedUntil", 3) M("edNote", 3) M("eventDetails", 3) M("event", 1)
              M("embargoed", 2) M("ednote", 2) break;
    case 'f': M("firstCreated", 3) M("firstcreated", 2) break;
    case 'g': M("genre", 1) break;
    case 'h': M("headline", 1) M("headlines", 2) return has_prefix(k, "headline_") ? 1 : 0;
    case 'i': M("infoSources", 3) M("infosource", 1) M("infosources", 2) break;
    case 'm': M("mimetype", 1) break;
    case 'o': M("organisation", 1) M("object", 1) break;
    case 'p': M("pubStatus", 3) M("plannedCoverage", 3) M("place", 1) M("person", 1)
              M("pubstatus", 2) break;
    case 'r': M("rightsInfo", 3) M("representationType", 3) M("rightsinfo", 2)
              M("representationtype", 2) M("renditions", obj ? 1 : 0) break;
    case 's': M("subject", 1) break;
    case 't': M("trustIndicators", 3) M("trustindicator", 1) M("trustindicators", 2) break;
    case 'u': M("usageTerms", 3) M("usageterms", 2) break;
    case 'v': M("versionCreated", 3) M("versioncreated", 2) break;
    default: break;
    }
#undef M
    /* clang-format on */
    return 0;
}

int nw_ninjs_detect_version(const json_t *json)
{
    if (!json_is_object(json))
        return NW_EINVAL;
    /* one walk finds everything the rules below read */
    const json_t *std = NULL, *dollar_std = NULL, *schema_v = NULL;
    bool v1 = false, v2 = false, v3 = false;
    const char *k;
    json_t *val;
    EACH_MEMBER((json_t *)json, k, val)
    {
        int m = marker_of(k, val);
        v1 |= m == 1;
        v2 |= m == 2;
        v3 |= m == 3;
        if (k[0] == 's' && !strcmp(k, "standard"))
            std = val;
        else if (k[0] == '$' && !strcmp(k, "$standard"))
            dollar_std = val;
        else if (k[0] == '$' && !strcmp(k, "$schema"))
            schema_v = val;
    }
    int v = version_of_string(json_string_value(json_object_get(std, "version")));
    if (v)
        return v;
    if (dollar_std)
        return 1;
    const char *schema = json_string_value(schema_v);
    const char *at = schema ? strstr(schema, "ninjs-schema_") : NULL;
    if (at && (v = version_of_string(at + strlen("ninjs-schema_"))))
        return v;
    return v3 ? 3 : v1 ? 1 : v2 ? 2 : 3;
}

/* ================================================== 2.x -> 3.x (renaming) */

static const struct {
    const char *from, *to;
} v2_renames[] = {
    {"versioncreated", "versionCreated"},
    {"firstcreated", "firstCreated"},
    {"contentcreated", "contentCreated"},
    {"pubstatus", "pubStatus"},
    {"copyrightholder", "copyrightHolder"},
    {"copyrightnotice", "copyrightNotice"},
    {"usageterms", "usageTerms"},
    {"ednote", "edNote"},
    {"altids", "altIds"},
    {"infosources", "infoSources"},
    {"trustindicators", "trustIndicators"},
    {"rightsinfo", "rightsInfo"},
    {"representationtype", "representationType"},
    {"digitalsourcetype", "digitalSourceType"},
    {"contenttype", "contentType"},
    {"charcount", "charCount"},
    {"wordcount", "wordCount"},
    {"sizeinbytes", "sizeInBytes"},
    {"geojson", "geoJSON"},
    {"contactinfo", "contactInfo"},
    {"symboltype", "symbolType"},
    {"postalcode", "postalCode"},
    {"langid", "langId"},
    {"linkedrights", "linkedRights"},
    {"encodedrights", "encodedRights"},
    {"eventdetails", "eventDetails"},
    {"plannedcoverage", "plannedCoverage"},
    {"aspectratio", "aspectRatio"},
    {"videocodec", "videoCodec"},
    {"framerate", "frameRate"},
    {"scantype", "scanType"},
    {"transportprotocol", "transportProtocol"},
};

static const char *v2_name(const char *k)
{
    for (size_t i = 0; i < sizeof v2_renames / sizeof v2_renames[0]; i++)
        if (!strcmp(v2_renames[i].from, k))
            return v2_renames[i].to;
    return k;
}

/* Deep copy with 2.x names renamed at every depth, except inside GeoJSON
 * values (their keys belong to GeoJSON). `top` also renames embargoed. */
static json_t *rename_v2(const json_t *v, bool top)
{
    if (json_is_object(v)) {
        json_t *out = json_object();
        if (!out)
            return NULL;
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            const char *nk = top && !strcmp(k, "embargoed") ? "embargoedUntil" : v2_name(k);
            bool geo = !strcmp(nk, "geoJSON");
            json_t *cc = geo ? json_deep_copy(c) : rename_v2(c, !strcmp(k, "associations"));
            /* a 3.x name already present wins over the renamed 2.x one */
            if (json_object_get(out, nk) && strcmp(nk, k)) {
                json_decref(cc);
                continue;
            }
            if (set_new(out, nk, cc)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        if (!out)
            return NULL;
        size_t i;
        json_t *c;
        json_array_foreach((json_t *)v, i, c)
        {
            /* array items of associations are whole items: rename at their top too */
            json_t *cc = rename_v2(c, top);
            if (!cc || json_array_append_new(out, cc)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

/* ================================================== 1.x -> 3.x (mapping) */

static json_t *to_v3_from_v1(const json_t *in, int depth);

static bool is_abs_http(const char *s)
{
    return has_prefix(s, "http://") || has_prefix(s, "https://") || has_prefix(s, "urn:");
}

/* 1.x entity {code, scheme, name, rel, ...} -> 3.x {uri|literal, name, rel, ...}. */
static json_t *entity_from_v1(const json_t *e, bool rel_is_role)
{
    if (!json_is_object(e))
        return json_deep_copy(e);
    json_t *out = rename_v2(e, false);
    if (!out)
        return NULL;
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *scheme = json_string_value(json_object_get(e, "scheme"));
    int rc = 0;
    if (code && !json_object_get(e, "uri") && !json_object_get(e, "literal")) {
        if (scheme && is_abs_http(scheme)) {
            size_t n = strlen(scheme) + strlen(code) + 1;
            char *uri = malloc(n);
            if (!uri)
                rc = -1;
            else {
                snprintf(uri, n, "%s%s", scheme, code);
                rc = set_new(out, "uri", json_string(uri));
                free(uri);
            }
        } else {
            rc = set_new(out, is_abs_http(code) ? "uri" : "literal", json_string(code));
        }
        json_object_del(out, "code");
        /* a scheme that is a vocabulary name, not a URI prefix ("topic"),
         * stays behind in extra; the writer counts it as dropped */
        if (scheme && is_abs_http(scheme))
            json_object_del(out, "scheme");
    }
    if (!rc && rel_is_role && json_object_get(out, "rel") && !json_object_get(out, "role")) {
        rc = json_object_set(out, "role", json_object_get(out, "rel"));
        json_object_del(out, "rel");
    }
    json_t *symbols = json_object_get(out, "symbols");
    size_t i;
    json_t *sym;
    json_array_foreach(symbols, i, sym)
    {
        json_t *ticker = json_object_get(sym, "ticker");
        if (!rc && ticker && !json_object_get(sym, "symbol")) {
            rc = json_object_set(sym, "symbol", ticker);
            json_object_del(sym, "ticker");
        }
    }
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *entities_from_v1(const json_t *arr, bool rel_is_role)
{
    if (!json_is_array(arr))
        return json_deep_copy(arr);
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach((json_t *)arr, i, e)
    {
        json_t *c = entity_from_v1(e, rel_is_role);
        if (!out || !c || json_array_append_new(out, c)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* Map {key: {...}} to [{name: key, ...}], converting each value with `conv`
 * (NULL = rename_v2). Non-object values are skipped. */
static json_t *named_map_to_list(const json_t *map, int depth)
{
    json_t *out = json_array();
    if (!out)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        if (!json_is_object(v))
            continue;
        json_t *c = depth >= 0 ? to_v3_from_v1(v, depth + 1) : rename_v2(v, false);
        if (c && json_is_object(c) && !json_object_get(c, "name"))
            json_object_set_new(c, "name", json_string(k));
        if (!c || json_array_append_new(out, c)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* 1.x renditions: rename mimetype -> contentType besides the 2.x renames. */
static json_t *renditions_from_v1(const json_t *r)
{
    json_t *out = json_is_object(r) ? named_map_to_list(r, -1) : rename_v2(r, false);
    size_t i;
    json_t *it;
    json_array_foreach(out, i, it)
    {
        json_t *mt = json_object_get(it, "mimetype");
        if (mt && !json_object_get(it, "contentType"))
            json_object_set(it, "contentType", mt);
        json_object_del(it, "mimetype");
    }
    return out;
}

/* Append a 1.x text property (headline, body_X, description_X) to list `key`. */
static int add_v1_text(json_t *out, const char *key, const char *suffix, json_t *value)
{
    json_t *list = json_object_get(out, key);
    if (!list) {
        if (set_new(out, key, json_array()))
            return NW_ENOMEM;
        list = json_object_get(out, key);
    }
    json_t *t = json_object();
    if (!t || json_array_append_new(list, t) || json_object_set(t, "value", value))
        return NW_ENOMEM;
    if (!*suffix)
        return 0;
    static const struct {
        const char *fmt, *ctype;
    } formats[] = {
        {"text", "text/plain"}, {"html", "text/html"}, {"xhtml", "application/xhtml+xml"}};
    const char *last = strrchr(suffix, '_');
    const char *fmt = last ? last + 1 : suffix;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (!strcmp(fmt, formats[i].fmt)) {
            if (set_string(t, "contentType", formats[i].ctype))
                return NW_ENOMEM;
            if (last) {
                char role[128];
                snprintf(role, sizeof role, "%.*s", (int)(last - suffix), suffix);
                return set_string(t, "role", role);
            }
            return 0;
        }
    }
    return set_string(t, "role", suffix);
}

static json_t *to_v3_from_v1(const json_t *in, int depth)
{
    if (!json_is_object(in) || depth > NW_NINJS_MAX_DEPTH)
        return json_deep_copy(in);
    static const struct {
        const char *from, *to;
    } simple[] = {
        {"byline", "by"},
        {"usageterms", "usageTerms"},
        {"copyrightholder", "copyrightHolder"},
        {"copyrightnotice", "copyrightNotice"},
        {"ednote", "edNote"},
        {"pubstatus", "pubStatus"},
        {"representationtype", "representationType"},
        {"versioncreated", "versionCreated"},
        {"firstcreated", "firstCreated"},
        {"contentcreated", "contentCreated"},
        {"embargoed", "embargoedUntil"},
        {"$standard", "standard"},
    };
    static const struct {
        const char *from, *to;
        bool role;
    } entities[] = {
        {"subject", "subjects", false}, {"place", "places", false},
        {"person", "people", false},    {"organisation", "organisations", false},
        {"genre", "genres", false},     {"infosource", "infoSources", true},
        {"event", "events", false},     {"object", "objects", false},
    };
    json_t *out = json_object();
    if (!out)
        return NULL;
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)in, k, v)
    {
        if (rc)
            break;
        const char *to = NULL;
        for (size_t i = 0; i < sizeof simple / sizeof simple[0] && !to; i++)
            if (!strcmp(k, simple[i].from))
                to = simple[i].to;
        if (to) {
            rc = set_new(out, to, rename_v2(v, false));
            continue;
        }
        bool done = false;
        for (size_t i = 0; i < sizeof entities / sizeof entities[0] && !done; i++) {
            if (!strcmp(k, entities[i].from)) {
                rc = set_new(out, entities[i].to, entities_from_v1(v, entities[i].role));
                done = true;
            }
        }
        if (done)
            continue;
        if (json_is_string(v) && (!strcmp(k, "headline") || has_prefix(k, "headline_"))) {
            rc = add_v1_text(out, "headlines", k[8] ? k + 9 : "", v);
        } else if (json_is_string(v) && has_prefix(k, "body_")) {
            rc = add_v1_text(out, "bodies", k + 5, v);
        } else if (json_is_string(v) && has_prefix(k, "description_")) {
            rc = add_v1_text(out, "descriptions", k + 12, v);
        } else if (!strcmp(k, "renditions")) {
            rc = set_new(out, "renditions", renditions_from_v1(v));
        } else if (!strcmp(k, "associations")) {
            if (json_is_object(v)) {
                rc = set_new(out, k, named_map_to_list(v, depth));
            } else if (json_is_array(v)) {
                json_t *arr = json_array();
                size_t i;
                json_t *it;
                json_array_foreach(v, i, it)
                {
                    json_t *c = to_v3_from_v1(it, depth + 1);
                    if (!arr || !c || json_array_append_new(arr, c)) {
                        rc = NW_ENOMEM;
                        break;
                    }
                }
                rc = rc ? rc : set_new(out, k, arr);
                if (rc && arr && !json_object_get(out, k))
                    json_decref(arr);
            } else {
                rc = json_object_set(out, k, v);
            }
        } else if (!strcmp(k, "altids") && json_is_object(v)) {
            json_t *arr = json_array();
            const char *role;
            json_t *val;
            json_object_foreach(v, role, val)
            {
                json_t *it = json_object();
                if (!arr || !it || json_array_append_new(arr, it) || set_string(it, "role", role) ||
                    json_object_set(it, "value", val)) {
                    rc = NW_ENOMEM;
                    break;
                }
            }
            if (rc)
                json_decref(arr);
            else
                rc = set_new(out, "altIds", arr);
        } else if (!strcmp(k, "trustindicator") && json_is_array(v)) {
            json_t *arr = json_array();
            size_t i;
            json_t *it;
            json_array_foreach(v, i, it)
            {
                json_t *c = entity_from_v1(it, false);
                if (c && json_object_get(c, "uri") && !json_object_get(c, "role")) {
                    json_object_set(c, "role", json_object_get(c, "uri"));
                    json_object_del(c, "uri");
                }
                if (!arr || !c || json_array_append_new(arr, c)) {
                    rc = NW_ENOMEM;
                    break;
                }
            }
            if (rc)
                json_decref(arr);
            else
                rc = set_new(out, "trustIndicators", arr);
        } else if (!strcmp(k, "digitalsourcetype")) {
            rc = set_new(out, "digitalSourceType", entity_from_v1(v, false));
        } else if (!strcmp(k, "source") && json_is_string(v) &&
                   !json_object_get(in, "infosource")) {
            json_t *arr = json_array(), *it = json_object();
            if (!arr || !it || json_array_append_new(arr, it) ||
                set_string(it, "name", json_string_value(v)) || set_string(it, "role", "source")) {
                json_decref(arr);
                if (!arr)
                    json_decref(it);
                rc = NW_ENOMEM;
            } else {
                rc = set_new(out, "infoSources", arr);
            }
        } else {
            rc = set_new(out, v2_name(k), rename_v2(v, false));
        }
    }
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ================================================================ decoder */

static int type_error(nw_err *err, const char *path, const char *key, const char *what)
{
    return nw_err_set(err, NW_EINVAL, "ninjs: %s/%s: expected %s", path, key, what);
}

static int take_string(char **dst, const json_t *v, const char *path, const char *key, nw_err *err)
{
    if (!json_is_string(v))
        return type_error(err, path, key, "a string");
    return nw_story_set(dst, json_string_value(v)) ? oom(err) : 0;
}

static int take_time(char **dst, const json_t *v, const char *path, const char *key, nw_err *err)
{
    if (!json_is_string(v))
        return type_error(err, path, key, "a date-time string");
    if (canonical_time_len(json_string_value(v))) /* normalizing would give it back */
        return nw_story_set(dst, json_string_value(v)) ? oom(err) : 0;
    char *norm = NULL;
    nw_err terr;
    int rc = nw_time_normalize(json_string_value(v), NULL, &norm, &terr);
    if (rc)
        return nw_err_set(err, rc, "ninjs: %s/%s: %s", path, key, terr.msg);
    free(*dst);
    *dst = norm;
    return 0;
}

static int decode_texts(const json_t *arr, nw_text_list *list, const char *path, const char *key,
                        nw_err *err)
{
    if (!json_is_array(arr))
        return type_error(err, path, key, "an array");
    size_t i;
    json_t *item;
    json_array_foreach((json_t *)arr, i, item)
    {
        /* the item's path is only spelled out for an error */
        if (!json_is_object(item))
            return nw_err_set(err, NW_EINVAL, "ninjs: %s/%s/%zu: expected an object", path, key, i);
        /* one walk finds the typed members (keys are unique) */
        json_t *value = NULL, *role = NULL, *ct = NULL;
        const char *k;
        json_t *v;
        EACH_MEMBER(item, k, v)
        {
            if (!strcmp(k, "value"))
                value = v;
            else if (!strcmp(k, "role"))
                role = v;
            else if (!strcmp(k, "contentType"))
                ct = v;
        }
        if (!json_is_string(value))
            return nw_err_set(err, NW_EINVAL, "ninjs: %s/%s/%zu/value: expected a string", path,
                              key, i);
        if (nw_text_list_add(list, json_string_value(value), json_string_value(role),
                             json_string_value(ct)))
            return oom(err);
        /* the rest is extra: only walked again when there is some */
        size_t typed = 1 + json_is_string(role) + json_is_string(ct);
        if (json_object_size(item) == typed)
            continue;
        nw_text *t = &list->items[list->len - 1];
        json_object_foreach(item, k, v)
        {
            if (!strcmp(k, "value") || (!strcmp(k, "role") && json_is_string(v)) ||
                (!strcmp(k, "contentType") && json_is_string(v)))
                continue;
            if (extra_set(&t->extra, k, v))
                return oom(err);
        }
    }
    return 0;
}

static int decode_entities(const json_t *arr, nw_entity_list *list, const entity_kind *kind,
                           const char *path, nw_err *err)
{
    if (!json_is_array(arr))
        return type_error(err, path, kind->key, "an array");
    size_t i;
    json_t *item;
    json_array_foreach((json_t *)arr, i, item)
    {
        if (!json_is_object(item))
            return nw_err_set(err, NW_EINVAL, "ninjs: %s/%s/%zu: expected an object", path,
                              kind->key, i);
        /* one walk finds the typed members (keys are unique) */
        const char *name = NULL, *uri = NULL, *literal = NULL, *rel = NULL;
        size_t n_typed = 0;
        const char *k;
        json_t *v;
        EACH_MEMBER(item, k, v)
        {
            const char *sv = json_string_value(v);
            if (!sv)
                continue;
            if (!strcmp(k, "name"))
                name = sv;
            else if (!strcmp(k, "uri"))
                uri = sv;
            else if (!strcmp(k, "literal"))
                literal = sv;
            else if (kind->rel_key && !strcmp(k, kind->rel_key))
                rel = sv;
            else
                continue;
            n_typed++;
        }
        if (nw_entity_list_add(list, name, uri, literal, rel))
            return oom(err);
        /* the rest is extra: only walked again when there is some */
        if (json_object_size(item) == n_typed)
            continue;
        nw_entity *e = &list->items[list->len - 1];
        json_object_foreach(item, k, v)
        {
            bool typed = json_is_string(v) &&
                         (!strcmp(k, "name") || !strcmp(k, "uri") || !strcmp(k, "literal") ||
                          (kind->rel_key && !strcmp(k, kind->rel_key)));
            if (!typed && extra_set(&e->extra, k, v))
                return oom(err);
        }
    }
    return 0;
}

/* A 3.x association item, checked by decoding it (minus name/rel) as a story. */
static int check_association(const json_t *item, int depth, const char *path, nw_err *err)
{
    if (!json_is_object(item))
        return nw_err_set(err, NW_EINVAL, "ninjs: %s: expected an object", path);
    nw_story *s = nw_story_new();
    int rc = s ? decode_v3(item, s, depth, path, true, err) : oom(err);
    nw_story_free(s);
    return rc;
}

static int decode_keywords(const json_t *v, nw_story *s, bool *used, nw_err *err)
{
    *used = false;
    if (!json_is_array(v))
        return 0;
    size_t i;
    json_t *kw;
    json_array_foreach((json_t *)v, i, kw)
    {
        if (!json_is_string(kw))
            return 0; /* not the simple form: kept in extra as found */
    }
    json_array_foreach((json_t *)v, i, kw)
    {
        if (nw_entity_list_add(&s->subjects, json_string_value(kw), NULL, NULL, "keyword"))
            return oom(err);
    }
    *used = true;
    return 0;
}

static const struct {
    const char *from, *to;
} type_aliases[] = {
    {"story", "text"},    {"advisory", "text"}, {"preformatted", "text"},
    {"image", "picture"}, {"photo", "picture"},
};

/* The properties decode_v3 reads; the text and entity kinds in the order of
 * text_kinds and entity_kinds. */
enum v3_key {
    K_OTHER,
    K_NAME,
    K_REL,
    K_URI,
    K_TYPE,
    K_VERSION,
    K_VERSION_CREATED,
    K_FIRST_CREATED,
    K_CONTENT_CREATED,
    K_EMBARGOED_UNTIL,
    K_PUB_STATUS,
    K_URGENCY,
    K_LANGUAGE,
    K_SLUGLINE,
    K_BY,
    K_LOCATED,
    K_ED_NOTE,
    K_COPYRIGHT_NOTICE,
    K_ASSOCIATIONS,
    K_KEYWORDS,
    K_EXPIRES,
    K_HEADLINES, /* text_kinds[0] */
    K_BODIES,
    K_DESCRIPTIONS,
    K_SUBJECTS, /* entity_kinds[0] */
    K_PLACES,
    K_PEOPLE,
    K_ORGANISATIONS,
    K_INFO_SOURCES,
    K_GENRES,
};

/* Which property k is: a switch on its first byte, then a few strcmp (a
 * story has a dozen properties, each looked up once). */
static enum v3_key v3_key_of(const char *k)
{
    /* clang-format off */
#define IS(name, id) if (!strcmp(k, name)) return id;
    switch (k[0]) {
    case 'a': IS("associations", K_ASSOCIATIONS) break;
    case 'b': IS("by", K_BY) IS("bodies", K_BODIES) break;
    case 'c': IS("contentCreated", K_CONTENT_CREATED) IS("copyrightNotice", K_COPYRIGHT_NOTICE) break;
    case 'd': IS("descriptions", K_DESCRIPTIONS) break;
    case 'e': IS("embargoedUntil", K_EMBARGOED_UNTIL) IS("edNote", K_ED_NOTE) IS("expires", K_EXPIRES)
              break;
    case 'f': IS("firstCreated", K_FIRST_CREATED) break;
    case 'g': IS("genres", K_GENRES) break;
    case 'h': IS("headlines", K_HEADLINES) break;
    case 'i': IS("infoSources", K_INFO_SOURCES) break;
    case 'k': IS("keywords", K_KEYWORDS) break;
    case 'l': IS("language", K_LANGUAGE) IS("located", K_LOCATED) break;
    case 'n': IS("name", K_NAME) break;
    case 'o': IS("organisations", K_ORGANISATIONS) break;
    case 'p': IS("pubStatus", K_PUB_STATUS) IS("places", K_PLACES) IS("people", K_PEOPLE) break;
    case 'r': IS("rel", K_REL) break;
    case 's': IS("slugline", K_SLUGLINE) IS("subjects", K_SUBJECTS) break;
    case 't': IS("type", K_TYPE) break;
    case 'u': IS("uri", K_URI) IS("urgency", K_URGENCY) break;
    case 'v': IS("version", K_VERSION) IS("versionCreated", K_VERSION_CREATED) break;
    default: break;
    }
#undef IS
    /* clang-format on */
    return K_OTHER;
}

/* obj decoded into s; an association item (assoc_item) has its own name and
 * rel, which are not story fields and are skipped. */
static int decode_v3(const json_t *obj, nw_story *s, int depth, const char *path, bool assoc_item,
                     nw_err *err)
{
    if (depth > NW_NINJS_MAX_DEPTH)
        return nw_err_set(err, NW_ELIMIT, "ninjs: %s: associations nest deeper than %d",
                          path[0] ? path : "(root)", NW_NINJS_MAX_DEPTH);
    if (!json_is_object(obj))
        return nw_err_set(err, NW_EINVAL, "ninjs: %s: expected an object",
                          path[0] ? path : "(root)");
    const char *k;
    json_t *v;
    int rc = 0;
    EACH_MEMBER((json_t *)obj, k, v)
    {
        enum v3_key id = v3_key_of(k);
        switch (id) {
        case K_NAME:
        case K_REL:
            if (assoc_item)
                continue;
            rc = extra_set(&s->extra, k, v) ? oom(err) : 0;
            break;
        case K_URI: rc = take_string(&s->uri, v, path, k, err); break;
        case K_TYPE:
            rc = take_string(&s->type, v, path, k, err);
            for (size_t i = 0; !rc && i < sizeof type_aliases / sizeof type_aliases[0]; i++)
                if (!strcmp(s->type, type_aliases[i].from))
                    rc = nw_story_set(&s->type, type_aliases[i].to) ? oom(err) : 0;
            if (!rc && !in_list(news_types, s->type))
                rc = nw_err_set(err, NW_EINVAL, "ninjs: %s/type: '%s' is not a ninjs type", path,
                                s->type);
            break;
        case K_VERSION:
            if (json_is_number(v)) {
                char buf[40];
                if (json_is_integer(v))
                    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                else
                    snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
                rc = nw_story_set(&s->version, buf) ? oom(err) : 0;
            } else {
                rc = take_string(&s->version, v, path, k, err);
            }
            break;
        case K_VERSION_CREATED: rc = take_time(&s->version_created, v, path, k, err); break;
        case K_FIRST_CREATED: rc = take_time(&s->first_created, v, path, k, err); break;
        case K_CONTENT_CREATED: rc = take_time(&s->content_created, v, path, k, err); break;
        case K_EMBARGOED_UNTIL: rc = take_time(&s->embargoed_until, v, path, k, err); break;
        case K_PUB_STATUS:
            rc = take_string(&s->pub_status, v, path, k, err);
            if (!rc && !strcmp(s->pub_status, "cancelled"))
                rc = nw_story_set(&s->pub_status, "canceled") ? oom(err) : 0;
            if (!rc && !in_list(pub_statuses, s->pub_status))
                rc = nw_err_set(err, NW_EINVAL,
                                "ninjs: %s/pubStatus: '%s' is not usable, withheld or canceled",
                                path, s->pub_status);
            break;
        case K_URGENCY:
            if (!json_is_integer(v))
                rc = type_error(err, path, k, "an integer 1..9");
            else if (json_integer_value(v) < 1 || json_integer_value(v) > 9)
                rc = nw_err_set(err, NW_EINVAL,
                                "ninjs: %s/urgency: %" JSON_INTEGER_FORMAT " is outside 1..9", path,
                                json_integer_value(v));
            else
                s->urgency = (int)json_integer_value(v);
            break;
        case K_LANGUAGE: rc = take_string(&s->language, v, path, k, err); break;
        case K_SLUGLINE: rc = take_string(&s->slugline, v, path, k, err); break;
        case K_BY: rc = take_string(&s->by, v, path, k, err); break;
        case K_LOCATED: rc = take_string(&s->located, v, path, k, err); break;
        case K_ED_NOTE: rc = take_string(&s->ed_note, v, path, k, err); break;
        case K_COPYRIGHT_NOTICE: rc = take_string(&s->copyright_notice, v, path, k, err); break;
        case K_ASSOCIATIONS: {
            json_t *as_list = NULL;
            if (json_is_object(v)) {
                /* the 1.x map form in an otherwise 3.x document */
                if (!(as_list = named_map_to_list(v, -1)))
                    return oom(err);
                v = as_list;
            }
            if (!json_is_array(v)) {
                rc = type_error(err, path, k, "an array");
            } else {
                size_t i;
                json_t *item;
                json_array_foreach(v, i, item)
                {
                    char sub[PATH_MAX_LEN];
                    snprintf(sub, sizeof sub, "%s/associations/%zu", path, i);
                    /* an association that is not a valid item (no uri...) is kept
                     * as found; the writer drops and counts it */
                    nw_err aerr;
                    nw_err_clear(&aerr);
                    rc = check_association(item, depth + 1, sub, &aerr);
                    if (rc == NW_EINVAL)
                        rc = 0;
                    if (rc) {
                        nw_err_set(err, rc, "%s", aerr.msg);
                        break;
                    }
                }
                if (!rc) {
                    json_decref(s->associations);
                    s->associations = json_deep_copy(v);
                    rc = s->associations ? 0 : oom(err);
                }
            }
            json_decref(as_list);
            break;
        }
        case K_KEYWORDS: {
            bool used;
            rc = decode_keywords(v, s, &used, err);
            if (!rc && !used)
                rc = extra_set(&s->extra, k, v) ? oom(err) : 0;
            break;
        }
        case K_EXPIRES:
            if (json_is_string(v)) {
                char *norm = NULL;
                if (!(rc = take_time(&norm, v, path, k, err))) {
                    json_t *js = json_string(norm);
                    rc = !js || extra_set(&s->extra, k, js) ? oom(err) : 0;
                    json_decref(js);
                }
                free(norm);
            } else {
                rc = extra_set(&s->extra, k, v) ? oom(err) : 0;
            }
            break;
        case K_HEADLINES:
        case K_BODIES:
        case K_DESCRIPTIONS:
            rc = decode_texts(v, (nw_text_list *)((char *)s + text_kinds[id - K_HEADLINES].offset),
                              path, k, err);
            break;
        case K_SUBJECTS:
        case K_PLACES:
        case K_PEOPLE:
        case K_ORGANISATIONS:
        case K_INFO_SOURCES:
        case K_GENRES:
            rc = decode_entities(
                v, (nw_entity_list *)((char *)s + entity_kinds[id - K_SUBJECTS].offset),
                &entity_kinds[id - K_SUBJECTS], path, err);
            break;
        case K_OTHER: rc = extra_set(&s->extra, k, v) ? oom(err) : 0; break;
        }
        if (rc)
            return rc;
    }
    if (!s->uri) {
        /* Superdesk writes its identifier as guid */
        json_t *guid = json_object_get(obj, "guid");
        if (json_is_string(guid)) {
            if (nw_story_set(&s->uri, json_string_value(guid)))
                return oom(err);
            json_object_del(s->extra, "guid");
        }
    }
    if (!s->uri || !s->uri[0])
        return nw_err_set(err, NW_EINVAL, "ninjs: %s: missing 'uri'", path[0] ? path : "(root)");
    return 0;
}

int nw_ninjs_decode(const json_t *json, nw_story **out, nw_err *err)
{
    return nw_ninjs_decode_version(json, nw_ninjs_detect_version(json), out, err);
}

int nw_ninjs_decode_version(const json_t *json, int version, nw_story **out, nw_err *err)
{
    *out = NULL;
    if (version < 0 || !json_is_object(json))
        return nw_err_set(err, NW_EINVAL, "ninjs: expected a JSON object");
    if (version < 1 || version > 3)
        return nw_err_set(err, NW_EINVAL, "ninjs: no version %d", version);
    json_t *conv = NULL;
    const json_t *src = json;
    if (version == 1)
        src = conv = to_v3_from_v1(json, 0);
    else if (version == 2)
        src = conv = rename_v2(json, true);
    if (!src)
        return oom(err);
    nw_story *s = nw_story_new();
    if (!s) {
        json_decref(conv);
        return oom(err);
    }
    int rc = decode_v3(src, s, 0, "", false, err);
    json_decref(conv);
    if (rc) {
        nw_story_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int nw_ninjs_loads(const char *buf, size_t len, nw_story **out, nw_err *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *j = nw_json_loadb(buf, len, 0, &jerr);
    if (!j)
        return nw_err_set(err, NW_EINVAL, "ninjs: not JSON: line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    int rc = nw_ninjs_decode(j, out, err);
    json_decref(j);
    return rc;
}
