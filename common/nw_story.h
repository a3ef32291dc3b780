/*
 * nw_story — the in-memory model of one news story, shaped after IPTC ninjs 3.x.
 *
 * Every parser fills an nw_story; the ninjs codec (nw_ninjs) turns it into the
 * one JSON message the pipeline carries, and back. The struct holds typed
 * fields for what the pipeline reads (uri, version, times, status, texts,
 * categories, entities) and keeps everything else the input carried in
 * `extra` JSON so nothing a provider sent is silently dropped on the way.
 *
 * Ownership: an nw_story owns every string and json_t it points to. All
 * setters copy their input. nw_story_free() releases everything.
 * Strings are NUL-terminated UTF-8; NULL means "absent".
 */
#ifndef NW_STORY_H
#define NW_STORY_H

#include <jansson.h>
#include <stddef.h>

#include "nw_err.h"

/* A headline, body or description: ninjs `{value, role, contentType}`. */
typedef struct nw_text {
    char *value;        /* required */
    char *role;         /* e.g. "main", "caption"; NULL if absent */
    char *content_type; /* e.g. "text/plain", "text/html"; NULL if absent */
    json_t *extra;      /* other properties of the object (charCount...), owned, may be NULL */
} nw_text;

/* A subject, place, person, organisation, info source or genre:
 * ninjs `{name, uri, literal, rel|role}`. */
typedef struct nw_entity {
    char *name;
    char *uri;
    char *literal;
    char *rel;     /* `rel` for subjects/places/people/orgs, `role` for infoSources */
    json_t *extra; /* other properties (relevance, contactInfo, geoJSON...), owned, may be NULL */
} nw_entity;

typedef struct nw_text_list {
    nw_text *items;
    size_t len, cap;
} nw_text_list;

typedef struct nw_entity_list {
    nw_entity *items;
    size_t len, cap;
} nw_entity_list;

/* Subject `rel` that marks a routing category; the slug is in `literal`. */
#define NW_REL_CATEGORY "category"

typedef struct nw_story {
    char *uri;             /* required in every message */
    char *type;            /* ninjs newsObjectType: "text", "picture", ... */
    char *version;         /* ninjs version string ("1", "2", ...) */
    char *version_created; /* RFC 3339 UTC */
    char *first_created;   /* RFC 3339 UTC */
    char *content_created; /* RFC 3339 UTC */
    char *embargoed_until; /* RFC 3339 UTC */
    char *pub_status;      /* "usable", "withheld" or "canceled" */
    int urgency;           /* 1 (most urgent) .. 9, 0 = absent */
    char *language;        /* BCP 47 tag */
    char *slugline;
    char *by;
    char *located;
    char *ed_note;
    char *copyright_notice;

    nw_text_list headlines;
    nw_text_list bodies;
    nw_text_list descriptions;

    nw_entity_list subjects; /* includes categories (rel "category") */
    nw_entity_list places;
    nw_entity_list people;
    nw_entity_list organisations;
    nw_entity_list info_sources; /* the provider is role "source" */
    nw_entity_list genres;

    json_t *associations; /* ninjs `associations` array, owned, may be NULL */
    json_t *extra;        /* every other top-level property, owned object, may be NULL */
} nw_story;

/* Allocate an empty story. Returns NULL on allocation failure. Free with nw_story_free. */
nw_story *nw_story_new(void);
void nw_story_free(nw_story *story);

/* Replace *field with a copy of value (NULL clears it). Returns 0 or NW_ENOMEM. */
int nw_story_set(char **field, const char *value);
/* Same, copying at most len bytes of value. */
int nw_story_setn(char **field, const char *value, size_t len);

/* Append a text (copies). role/content_type may be NULL. Returns 0 or NW_ENOMEM. */
int nw_text_list_add(nw_text_list *list, const char *value, const char *role,
                     const char *content_type);
/* Append a text taking value (malloc'd; the list frees it from now on);
 * role/content_type are copied. On NW_ENOMEM value is still the caller's. */
int nw_text_list_take(nw_text_list *list, char *value, const char *role, const char *content_type);
/* Append an entity (copies). Any string may be NULL. Returns 0 or NW_ENOMEM. */
int nw_entity_list_add(nw_entity_list *list, const char *name, const char *uri, const char *literal,
                       const char *rel);

/* Add a routing category: a subject {name, rel: "category", literal: slug}.
 * The slug is derived with nw_text_slug(); an empty slug is refused (NW_EINVAL). */
int nw_story_add_category(nw_story *story, const char *name, nw_err *err);

/* Categories in order: fills up to `max` borrowed pointers to the slugs
 * (valid while the story lives) and returns how many the story has. */
size_t nw_story_categories(const nw_story *story, const char **slugs, size_t max);

/* First headline / body of the given content type (NULL = any), or NULL. Borrowed. */
const char *nw_story_headline(const nw_story *story);
const char *nw_story_body(const nw_story *story, const char *content_type);

/* The provider: name of the first infoSource with role "source", or NULL. Borrowed. */
const char *nw_story_provider(const nw_story *story);

#endif
