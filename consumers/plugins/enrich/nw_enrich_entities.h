/*
 * nw_enrich_entities — the entity pass over a tokenized story: context,
 * spans, line-ups and repeated names in order, then the merging of short
 * forms, aliases and acronyms into full names and the dropping of entities
 * another one contains. Internal to the enrich plugin. Writes only the
 * instance's per-story entity list; never allocates and never writes the
 * story (nw_enrich.c does).
 */
#ifndef NW_ENRICH_ENTITIES_H
#define NW_ENRICH_ENTITIES_H

#include "nw_enrich_internal.h"

/* Find the story's people, organisations and places in e->toks. */
void nw_enrich_find_entities(nw_enrich *e);

#endif
