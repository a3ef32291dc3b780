/*
 * nw_enrich_dateline — the dateline at the head of a story's body
 * ("MOSCOW (AFP) -", "LONDON, March 3 (Reuters) -") and its qualifier
 * ("Lebanon", "Va."). Internal to the enrich plugin. Owns nothing and never
 * allocates; reads the instance's data, never writes the story.
 */
#ifndef NW_ENRICH_DATELINE_H
#define NW_ENRICH_DATELINE_H

#include "nw_enrich_internal.h"

/* Recognise a dateline at the head of `b`: the bytes it takes (0 if none),
 * the place in place/place_len and what follows its comma in qual/qual_len. */
size_t nw_enrich_find_dateline(const char *b, size_t len, const char **place, size_t *place_len,
                               const char **qual, size_t *qual_len);

/* The country or US state a dateline qualifier q names, or NULL. */
const nw_gaz_entry *nw_enrich_dateline_qualifier(const nw_enrich *e, const char *q, size_t len);

#endif
