/*
 * nw_enrich_classify — what one capitalised span of a story names (a person,
 * an organisation, a place, or nothing): known organisations (entities.tsv),
 * events, works and products of nonorgs.tsv, the organisation cues, legal
 * forms, lists, tickers, acronyms and guessed organisations, by titles,
 * cues, appositives and the words around the span. Internal to the enrich
 * plugin. Writes only the instance's per-story scratch (through
 * nw_enrich_names and nw_enrich_places); never walks the story for spans
 * (nw_enrich_spans does), never allocates, never merges entities and never
 * writes the story.
 */
#ifndef NW_ENRICH_CLASSIFY_H
#define NW_ENRICH_CLASSIFY_H

#include "nw_enrich_internal.h"

/* Deal with one span of capitalised tokens a..b-1 (connectors inside). */
void nw_enrich_classify_span(nw_enrich *e, size_t a, size_t b, bool pass2);

/* The kind of nonorgs.tsv the span s..s+len is named in, or 0; with `org`,
 * also the known organisation of that name (entities.tsv). */
uint8_t nw_enrich_nonorg_kind(const nw_enrich *e, const char *s, size_t len,
                              const nw_gaz_entry **org);

#endif
