/*
 * nw_enrich_spans — the span rules: what each capitalised span of a story
 * names (a person, an organisation, a place, or nothing), by titles, cues,
 * appositives, lists, tickers, acronyms and the words around it, and the
 * single words a story repeats. Internal to the enrich plugin. Writes only
 * the instance's per-story scratch (through nw_enrich_places); never
 * allocates, never merges entities and never writes the story.
 */
#ifndef NW_ENRICH_SPANS_H
#define NW_ENRICH_SPANS_H

#include "nw_enrich_internal.h"

/* Walk the capitalised spans; pass 1 records context (countries, demonyms),
 * pass 2 the entities. */
void nw_enrich_scan_spans(nw_enrich *e, bool pass2);

/* Single words no rule took but the story names three times or more: guessed
 * companies ("Yukos"). */
void nw_enrich_add_repeated_names(nw_enrich *e);

#endif
