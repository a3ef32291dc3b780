/*
 * nw_enrich_places — the story's list of entities (adding a person, an
 * organisation or a place, with their merge keys), the context of countries
 * and regions the story names, and the choice of a gazetteer place for a
 * capitalised span (demonyms, "state" nouns, context, population). Internal
 * to the enrich plugin. Writes only the instance's per-story scratch (its
 * entity list and context); never allocates and never writes the story.
 */
#ifndef NW_ENRICH_PLACES_H
#define NW_ENRICH_PLACES_H

#include "nw_enrich_internal.h"

/* Append an entity named name[0..len) first mentioned at token `first`;
 * NULL when the list is full or the name empty or too long. */
ent *nw_enrich_add_ent(nw_enrich *e, ent_type type, const char *name, size_t len, uint32_t first);

/* The story names the country cc (a country, a demonym, the dateline). */
void nw_enrich_add_context(nw_enrich *e, const char *cc);

/* The story names the region r ("Texas" picks Paris, Texas). */
void nw_enrich_add_context_region(nw_enrich *e, const nw_gaz_entry *r);

/* Best gazetteer place among hits[0..n), by kind, context and population;
 * NULL if nothing credible. */
const nw_gaz_entry *nw_enrich_best_place(const nw_enrich *e, const uint32_t *hits, size_t n,
                                         bool dateline);

/* Whether the known entity g counts in this story: a club named like its
 * town (flag s) only in a sport story, a band (flag m) only where music is
 * news (docs/enrich.md, "The table of known organisations"). */
bool nw_enrich_known_here(const nw_enrich *e, const nw_gaz_entry *g);

/* The known entity of kind `kind` named s[0..len) that counts here, or NULL. */
const nw_gaz_entry *nw_enrich_known_entity(const nw_enrich *e, const char *s, size_t len,
                                           nw_gaz_kind kind);

/* A person's merge keys: the last word (without an al-/el- particle). */
void nw_enrich_fill_person_keys(ent *x);

/* Add the place g first mentioned at token `first` (rel: its relation, or NULL). */
void nw_enrich_add_place(nw_enrich *e, const nw_gaz_entry *g, uint32_t first, const char *rel);

/* Add the organisation name[0..len) (known: its gazetteer entry, or NULL). */
void nw_enrich_add_org(nw_enrich *e, const char *name, size_t len, uint32_t first,
                       const nw_gaz_entry *known);

/* Add the person named by tokens a..b-1; the entity, or NULL. */
ent *nw_enrich_add_person(nw_enrich *e, size_t a, size_t b);

/* The dateline's country, when the dateline_country option asks for it. */
void nw_enrich_add_dateline_country(nw_enrich *e, const char *cc);

/* The span a..b-1 as a place (pass 2) or as context (pass 1): true when the
 * gazetteer knows it (a demonym included). */
bool nw_enrich_place_span(nw_enrich *e, size_t a, size_t b, bool pass2);

#endif
