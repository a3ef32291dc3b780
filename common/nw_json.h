/*
 * nw_json — the one JSON loader every part of newswire calls: jansson's
 * json_loadb(), behind a name of our own so that all loads go through one
 * place (counting, limits or a different library would change only this
 * header). It never does anything jansson does not.
 */
#ifndef NW_JSON_H
#define NW_JSON_H

#include <jansson.h>
#include <stddef.h>

/* json_loadb(buf, len, flags, error): a new reference (caller json_decref()s)
 * or NULL with *error filled by jansson (error may be NULL). Thread-safe. */
static inline json_t *nw_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
    return json_loadb(buf, len, flags, error);
}

#endif
