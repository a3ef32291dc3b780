/*
 * nw_enrich_lineups — sports line-ups and other lists of names
 * ("Dudek, Finnan, Hyypia, Carragher ..."): their names are people.
 * Internal to the enrich plugin. Writes only the instance's per-story
 * scratch (entities, token classes); never allocates, never writes the story.
 */
#ifndef NW_ENRICH_LINEUPS_H
#define NW_ENRICH_LINEUPS_H

#include "nw_enrich_internal.h"

/* Read the story's line-ups: a sport story's, or another's of five names or
 * more; adds their people. */
void nw_enrich_read_lineups(nw_enrich *e);

#endif
