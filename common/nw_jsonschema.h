/*
 * nw_jsonschema — a JSON Schema validator over jansson, sized for the IPTC
 * ninjs schemas: the draft 2020-12 applicators they use (including
 * unevaluatedProperties with $ref/allOf/anyOf/oneOf), plus the draft-04/07
 * basics of the older ninjs schemas. It owns a registry of schema documents
 * keyed by URI (so "$ref": "https://geojson.org/..." resolves to a local copy)
 * and their precompiled regular expressions. It never fetches anything over
 * the network and never prints; unknown keywords are ignored as annotations.
 */
#ifndef NW_JSONSCHEMA_H
#define NW_JSONSCHEMA_H

#include <jansson.h>
#include <stdbool.h>

#include "nw_err.h"

/* The $id of the ninjs 3.1 schema and of GeoJSON, as the registry keys them
 * (no trailing '#'). */
#define NW_JSONSCHEMA_NINJS_31_URI "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
#define NW_JSONSCHEMA_GEOJSON_URI  "https://geojson.org/schema/GeoJSON.json"

typedef struct nw_jsonschema nw_jsonschema;

/* Which "format" values are asserted (others are annotations). */
enum {
    NW_JSONSCHEMA_FORMAT_DATE_TIME = 1 << 0, /* RFC 3339 date-time */
    NW_JSONSCHEMA_FORMAT_URI = 1 << 1,       /* RFC 3986 absolute URI (scheme ':' ...) */
    NW_JSONSCHEMA_FORMAT_ALL = NW_JSONSCHEMA_FORMAT_DATE_TIME | NW_JSONSCHEMA_FORMAT_URI,
};

/* An empty registry asserting NW_JSONSCHEMA_FORMAT_ALL, or NULL when out of
 * memory. Free with nw_jsonschema_free. */
nw_jsonschema *nw_jsonschema_new(void);

/* Chooses the asserted formats (a mask of NW_JSONSCHEMA_FORMAT_*). IPTC's own
 * examples and conformance suite use bare ids such as "uri": "001_urgency",
 * which only pass without NW_JSONSCHEMA_FORMAT_URI; a lenient consumer may
 * drop it, the producer should keep it. */
void nw_jsonschema_set_formats(nw_jsonschema *s, unsigned formats);

/* Frees the registry, its references to the schema documents and its
 * compiled patterns. NULL is accepted. */
void nw_jsonschema_free(nw_jsonschema *s);

/*
 * Registers `schema` (an object or a boolean) under `uri` and, when it differs,
 * under the schema's own "$id" (draft-04: "id"). Fragments and a trailing '#'
 * are dropped from both. `uri` may be NULL when the schema has an $id.
 * Every "pattern" and "patternProperties" regex is compiled here, so a schema
 * using an ECMA construct this validator cannot translate fails now, with the
 * pattern named, not at validation time.
 * Ownership: borrows `schema` and takes its own reference (json_incref); the
 * caller keeps (and must still decref) its reference. Do not modify the
 * schema afterwards. Re-registering a URI replaces the older document.
 * Returns 0, NW_EINVAL (no usable uri, bad pattern) or NW_ENOMEM.
 */
int nw_jsonschema_add(nw_jsonschema *s, const char *uri, json_t *schema, nw_err *err);

/*
 * Reads the JSON file at `path` and registers it under its $id (or, without
 * an $id, under `path` itself). When `uri_out` is non-NULL it receives the
 * registered URI, a string borrowed from the registry (valid until free).
 * Returns 0, NW_EIO (cannot read), NW_EINVAL (not JSON: message has
 * file:line:column) or an error from nw_jsonschema_add.
 */
int nw_jsonschema_load_file(nw_jsonschema *s, const char *path, const char **uri_out, nw_err *err);

/* True when a schema document is registered under `uri` (fragment ignored). */
bool nw_jsonschema_has(const nw_jsonschema *s, const char *uri);

/*
 * Validates `instance` against the schema at `schema_uri`, which may carry a
 * JSON-pointer fragment ("...ninjs-schema_3.1.json#/$defs/renditionType").
 * Formats "date-time" and "uri" are checked as set by
 * nw_jsonschema_set_formats (both by default); other formats are annotations.
 * Returns 0 when valid; NW_EINVAL when not, with a message naming the JSON
 * pointer of the first failing instance location and the keyword, e.g.
 * "/headlines/0: required property 'value' missing" ("(root)" for the top);
 * NW_ENOTFOUND when schema_uri or a $ref cannot be resolved; NW_ELIMIT when
 * $ref recursion or nesting is too deep. Borrows everything. Read-only on the
 * registry, so concurrent calls on one registry are safe once loading is done.
 */
int nw_jsonschema_validate(const nw_jsonschema *s, const char *schema_uri, const json_t *instance,
                           nw_err *err);

/*
 * Convenience for the project: a new registry holding the ninjs 3.1 schema
 * and the GeoJSON schema it references, from the IPTC repository layout
 * (`ninjs_dir` = ".../ninjs/iptc-newsinjson": schemas/ninjs-schema_3.1.json
 * and test_suite/GeoJSON-schema.json, registered under
 * NW_JSONSCHEMA_GEOJSON_URI). On success *out owns the registry (free with
 * nw_jsonschema_free); on failure *out is NULL. Validate with
 * nw_jsonschema_validate(*out, NW_JSONSCHEMA_NINJS_31_URI, msg, err).
 */
int nw_jsonschema_load_ninjs(nw_jsonschema **out, const char *ninjs_dir, nw_err *err);

#endif
