/*
 * nw_ninjs_direct — the common ninjs 3.x document read straight from its bytes
 * into an nw_story, with no jansson tree in between (the ninjs parser's fast
 * path; nw_parse_ninjs.c adds the parser-level steps: absolute uri, routing
 * categories).
 *
 * It reads a strict subset: one JSON object (valid UTF-8, no duplicate keys,
 * no escapes in keys) whose members are only simple ninjs 3.x properties that
 * decode without warnings, extras or conversions it does not mirror exactly.
 * Invariant: when it accepts, the story is exactly what the tree path
 * (nw_json_loadb, the parser's tolerate_variants, nw_ninjs_decode_version)
 * gives for the same bytes; for anything else it declines and leaves no trace
 * (no warning, no error, nothing allocated), so the tree path runs as before.
 */
#ifndef NW_NINJS_DIRECT_H
#define NW_NINJS_DIRECT_H

#include <stddef.h>

#include "nw_story.h"

/* Read buf[0..len) (need not be NUL-terminated). Returns 1 with *out a new
 * story (caller frees with nw_story_free) when the document is in the subset,
 * else 0 with *out NULL (also when out of memory: the caller's tree path then
 * reports it). The accepted subset, all at the top level of one object:
 *   uri, language, slugline, by, located, edNote, copyrightNotice: strings;
 *   type: a string (aliases mapped, must be a ninjs type);
 *   version: a string or a non-negative integer;
 *   versionCreated, firstCreated, contentCreated, embargoedUntil: strings
 *     that are timestamps (normalized like the decoder does);
 *   pubStatus: usable, withheld, canceled or cancelled;
 *   urgency: an integer 1..9;
 *   headlines, bodies, descriptions: arrays of objects with a string value
 *     and optional string role / contentType, nothing else;
 *   subjects, places, people, organisations, genres, infoSources: arrays of
 *     objects with only string name / uri / literal / rel (role for
 *     infoSources, none for genres);
 * with a non-empty uri, and read as ninjs 3.x by the version detection (a
 * 3.x-only name present whenever headlines, bodies or descriptions are). */
int nw_ninjs_direct_read(const char *buf, size_t len, nw_story **out);

#endif
