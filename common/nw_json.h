/*
 * nw_json — the one JSON loader every part of newswire calls: jansson's
 * json_loadb(), behind a name of our own so that all loads go through one
 * place (counting, limits or a different library would change only this
 * header), and the value budget untrusted JSON input is held to before it
 * is loaded. It never does anything jansson does not, and never changes
 * what a document that fits the budget loads to.
 */
#ifndef NW_JSON_H
#define NW_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "nw_err.h"

/* json_loadb(buf, len, flags, error): a new reference (caller json_decref()s)
 * or NULL with *error filled by jansson (error may be NULL). Thread-safe. */
static inline json_t *nw_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
    return json_loadb(buf, len, flags, error);
}

/* The value budget of an untrusted JSON document (a wire file): at most this
 * many values, counted as one per '{', '[', ',' and ':' outside strings plus
 * one (objects, arrays, array items, object members and their keys). jansson
 * has no limit of its own, and a value costs it 50-100 bytes, the story made
 * of it and its encoding as much again: a 16 MiB file of a million keywords
 * took `newswire parse` to 1.1 GB. Real ninjs stories hold a few thousand
 * (docs/operations.md, "Sizing"). */
#define NW_JSON_MAX_VALUES 200000

/* Count buf's values as NW_JSON_MAX_VALUES does, without parsing (one pass
 * over the bytes; malformed JSON is counted as it comes and left to the
 * parser). 0 when within max; else NW_ELIMIT with err "line L (byte B): over
 * the limit of N JSON values ...", naming where the count passed max. */
int nw_json_check_values(const char *buf, size_t len, size_t max, nw_err *err);

#endif
