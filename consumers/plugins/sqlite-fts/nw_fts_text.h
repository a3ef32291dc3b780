/*
 * nw_fts_text — the texts the FTS index holds, read from a decoded ninjs
 * story: main headline, plain body (HTML reduced to text when the story has
 * no plain body), entity names, categories and provider. Every function
 * returns a malloc'd string (caller frees) or NULL when the story has none;
 * none of them fails on odd input or modifies the story.
 */
#ifndef NW_FTS_TEXT_H
#define NW_FTS_TEXT_H

#include <jansson.h>
#include <stdbool.h>

/* headlines[] with role "main", else the first one; else "headline" (ninjs 1.x). */
char *nw_fts_text_headline(const json_t *story);
/* bodies[]: the first text/plain (or untyped) body, else the first HTML body
 * as text; else "body_text" (ninjs 1.x); else descriptions[] joined. */
char *nw_fts_text_body(const json_t *story);
/* The `name` (else `literal`) of each entry of story[field], one per line.
 * skip_categories: leave out subjects with rel "category". */
char *nw_fts_text_names(const json_t *story, const char *field, bool skip_categories);
/* The category slugs (subjects with rel "category", their `literal`),
 * space-separated; `fallback` (the topic's) when there are none. */
char *nw_fts_text_categories(const json_t *story, const char *fallback);
/* The infoSources entry with role "source" (else the first): name, else uri. */
char *nw_fts_text_provider(const json_t *story);
/* HTML to text: tags dropped (block tags become newlines), the common
 * entities decoded. Returns malloc'd text. */
char *nw_fts_text_from_html(const char *html);

#endif
