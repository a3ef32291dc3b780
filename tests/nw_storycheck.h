/*
 * nw_storycheck — Criterion assertions shared by the parser tests about a
 * parsed story. Test code only; a failed check fails the calling test.
 */
#ifndef NW_STORYCHECK_H
#define NW_STORYCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_jsonschema.h"
#include "nw_story.h"

/* The first paragraph of the text/plain body (asserted present). Caller frees. */
char *nw_test_first_paragraph(const nw_story *s);
/* True when s is non-NULL and starts with prefix. */
bool nw_test_starts(const char *s, const char *prefix);
/* The entity named `name` (with `rel`, when non-NULL), or NULL. Borrowed. */
const nw_entity *nw_test_find_entity(const nw_entity_list *l, const char *name, const char *rel);
/* The text with this role, or NULL. Borrowed. */
const nw_text *nw_test_find_text(const nw_text_list *l, const char *role);
/* The story's category slugs are exactly want[0..n), in order. */
void nw_test_assert_categories(const nw_story *s, const char *const *want, size_t n);
/* The story encodes and validates against ninjs 3.1: against `schema`, or
 * when it is NULL the schema NW_NINJS_SCHEMA names; without one the test is
 * skipped (never passed unchecked). */
void nw_test_assert_valid_ninjs(nw_jsonschema *schema, const nw_story *s, const char *what);

#endif
