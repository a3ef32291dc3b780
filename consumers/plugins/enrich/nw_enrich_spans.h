/*
 * nw_enrich_spans — finding the capitalised spans of a story: the walk over
 * its tokens (connectors, titles of nonorgs.tsv over "of the", hyphened pairs
 * of names, radio and channel numbers), the split of a span at its
 * connectors, and the single words no rule took that the story repeats
 * (guessed companies). What each span names is nw_enrich_classify's to
 * decide. Internal to the enrich plugin. Writes only the instance's
 * per-story scratch (through nw_enrich_classify and nw_enrich_names); never
 * allocates, never decides what a span names, never merges entities and
 * never writes the story.
 */
#ifndef NW_ENRICH_SPANS_H
#define NW_ENRICH_SPANS_H

#include "nw_enrich_internal.h"

/* Walk the capitalised spans; pass 1 records context (countries, demonyms),
 * pass 2 the entities. */
void nw_enrich_scan_spans(nw_enrich *e, bool pass2);

/* Split the span a..b-1 at its lower-case connectors and classify each part
 * (a place over a connector, a peerage's or an office's "of" kept whole). */
void nw_enrich_split_span(nw_enrich *e, size_t a, size_t b, bool pass2);

/* The word at token a is a plain name: three letters or more, no hyphen or
 * apostrophe, never written in lower case in the story. */
bool nw_enrich_plain_name(const nw_enrich *e, size_t a);

/* Count the single word at token a that no rule took. */
void nw_enrich_remember_lone(nw_enrich *e, size_t a);

/* Single words no rule took but the story names three times or more: guessed
 * companies ("Yukos"). */
void nw_enrich_add_repeated_names(nw_enrich *e);

#endif
