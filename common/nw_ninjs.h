/*
 * nw_ninjs — the ninjs codec: nw_story <-> IPTC ninjs JSON.
 *
 * Writes ninjs 3.x that validates against the 3.1 schema (whose root has
 * `unevaluatedProperties: false`): the writer emits only properties 3.1 defines
 * and drops the rest, counting them (nw_ninjs_stats) so callers can log what
 * was not carried. Reads ninjs 1.x, 2.x and 3.x, converting to the 3.x model.
 * It never invents content: conversions are renames and the documented
 * mappings below, and every timestamp is normalized to RFC 3339 UTC.
 *
 * Mapping decisions (reader):
 *  - Version detection (nw_ninjs_detect_version): `standard.version`, then
 *    `$standard` (1.x) or `$schema`, then property names: camelCase 3.x names win,
 *    then 1.x-only names (headline, body_*, byline, subject, place, renditions or
 *    associations as objects...), then 2.x lowercase names; default 3.
 *  - 2.x: lowercase names are renamed to their 3.x camelCase form at every depth
 *    (contenttype -> contentType, infosources -> infoSources, ...), `embargoed`
 *    -> `embargoedUntil`.
 *  - 1.x: headline[_X], body_X, description_X -> headlines/bodies/descriptions;
 *    a suffix ending in text/html/xhtml sets contentType (text/plain, text/html,
 *    application/xhtml+xml) and what precedes it the role ("caption_xhtml" ->
 *    role caption); other suffixes are the role ("main", "richtext").
 *    subject/place/person/organisation/genre/infosource/event/object -> the
 *    plural 3.x arrays; `code` with a URI `scheme` -> uri scheme+code, a code
 *    that is an absolute http(s)/urn URI -> uri, any other code -> literal (a
 *    scheme that is only a vocabulary name, e.g. Superdesk's "topic", is kept
 *    in the entity's extra and so dropped on write). byline -> by;
 *    renditions and associations maps -> arrays with `name` = the map key;
 *    altids map -> altIds [{role, value}]; $standard -> standard;
 *    trustindicator -> trustIndicators; a string `source` (Superdesk) -> an
 *    infoSource with role "source" when there is no infosource.
 *  - Any version: a `keywords` array of strings becomes subjects
 *    {name: keyword, rel: "keyword"} (3.1 has no keywords property);
 *    `guid` (Superdesk) is the uri when `uri` is absent; `version` given as a
 *    number becomes a string (2 -> "2", 1.2 -> "1.2"); pubStatus "cancelled"
 *    -> "canceled"; type aliases "story", "advisory", "preformatted" ->
 *    "text", "image"/"photo" -> "picture", any other type outside the 3.1
 *    enum is an error; timestamps without a zone are read as UTC; an
 *    `associations` map in a 3.x document is read like the 1.x map.
 *  - Strict where 3.1 is: a missing uri, a wrong JSON type for a typed
 *    property, an impossible timestamp, urgency outside 1..9 or another
 *    pubStatus are decode errors naming the JSON pointer.
 *  - Unknown top-level properties are kept in story->extra, unknown properties
 *    of texts and entities in their `extra`, as the reader found them (after
 *    the renames above).
 *  - Associations are kept as a 3.x array in story->associations, each item
 *    with its name/rel and everything it carried. The writer decodes each like
 *    a story and writes it back (times normalized, pruned, counted); an item it
 *    cannot write (no uri, not an object) is dropped and counted, not fatal.
 *    Nesting deeper than NW_NINJS_MAX_DEPTH is refused (NW_ELIMIT).
 *  - Provider identifiers (uri, guid) are carried verbatim even when they are
 *    not absolute URIs (IPTC's own examples use "renditions-example"): the
 *    story's identity is not the codec's to change.
 *
 * Writer: `type` defaults to "text"; a story without uri, or with a type,
 * pubStatus, urgency or timestamp 3.1 would reject, is refused (NW_EINVAL).
 * Extras whose names 3.1 defines (renditions, altIds, rightsInfo, title,
 * profile, expires, eventDetails, ...) are written, pruned to the properties
 * 3.1 allows inside them; everything else is dropped and counted.
 */
#ifndef NW_NINJS_H
#define NW_NINJS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"
#include "nw_story.h"

/* The schema the writer targets. */
#define NW_NINJS_SCHEMA_31 "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
/* How deep associations may nest (an association of an association ...). */
#define NW_NINJS_MAX_DEPTH 8

/* What the writer left out because ninjs 3.1 has no place for it. */
typedef struct nw_ninjs_stats {
    size_t dropped;          /* properties dropped */
    char dropped_paths[256]; /* JSON pointers, comma-separated, "..." when cut */
} nw_ninjs_stats;

/* Encode as a ninjs 3.x object. Returns a new reference (caller decrefs) or
 * NULL with err set. `stats` (may be NULL) is reset, then counts drops. */
json_t *nw_ninjs_encode_ex(const nw_story *story, nw_ninjs_stats *stats, nw_err *err);
json_t *nw_ninjs_encode(const nw_story *story, nw_err *err);

/* Encode to compact one-line JSON with keys sorted (so equal stories give equal
 * bytes). Returns a malloc'd string (caller frees) or NULL with err set. */
char *nw_ninjs_dumps_ex(const nw_story *story, nw_ninjs_stats *stats, nw_err *err);
char *nw_ninjs_dumps(const nw_story *story, nw_err *err);

/* Decode a ninjs 1.x/2.x/3.x object (borrowed) into a new story (*out, caller
 * frees with nw_story_free). Returns 0, NW_EINVAL (message names the JSON
 * pointer, e.g. "/headlines/0/value: expected a string"), NW_ELIMIT (nesting)
 * or NW_ENOMEM. *out is NULL on failure. */
int nw_ninjs_decode(const json_t *json, nw_story **out, nw_err *err);

/* nw_ninjs_decode for a caller that already ran nw_ninjs_detect_version on
 * this same object (unchanged since, or changed only in ways that keep the
 * answer): `version` is that answer, so the detection is not run twice. */
int nw_ninjs_decode_version(const json_t *json, int version, nw_story **out, nw_err *err);

/* Parse buf[0..len) as JSON and decode it. Syntax errors are NW_EINVAL with
 * "line L, column C" from jansson. */
int nw_ninjs_loads(const char *buf, size_t len, nw_story **out, nw_err *err);

/* True when s is a timestamp exactly as the codec writes it (RFC 3339 UTC,
 * "2024-03-05T14:30:00Z", or with a non-zero ".mmm" before the Z) and a real
 * one, so nw_time_normalize would return it unchanged: readers that check
 * many timestamps skip the full parse for these. */
bool nw_ninjs_time_is_canonical(const char *s);

/* 1, 2 or 3 for an object (see the detection rules above); NW_EINVAL when
 * json is not an object. */
int nw_ninjs_detect_version(const json_t *json);

#endif
