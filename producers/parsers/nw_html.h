/*
 * nw_html — HTML (or XHTML) fragments from bodies and feed descriptions into
 * the two forms a story carries: clean HTML and plain-text paragraphs.
 *
 * Parsed with libxml2's HTML parser (network off, no external loads). Kept:
 * p, h1-h6, ul/ol/li, blockquote, pre, br, table rows as paragraphs, a[href]
 * (http/https/mailto only), b/strong/i/em. Dropped with their content:
 * script, style, iframe, object, embed, noscript, form, template, and comments.
 * Everything else is unwrapped (its text kept). Entities are decoded.
 * Paragraphs: block elements and <br><br> start a new paragraph; empty
 * paragraphs are removed; whitespace inside one is squeezed.
 * Plain text joins paragraphs with "\n\n"; clean HTML wraps each in its block
 * element (<p> by default), escaped.
 *
 * Ownership: every string out is malloc'd and owned by the caller.
 */
#ifndef NW_HTML_H
#define NW_HTML_H

#include <stddef.h>

#include "nw_err.h"
#include "nw_story.h"

typedef struct nw_html_result {
    char *plain;  /* paragraphs joined by "\n\n"; "" when no text */
    char *html;   /* clean HTML; "" when no text */
    size_t paragraphs;
} nw_html_result;

/* Clean an HTML fragment (UTF-8). Returns 0 or negative with err set. */
int nw_html_clean(const char *html, size_t len, nw_html_result *out, nw_err *err);
void nw_html_result_free(nw_html_result *r);

/* Plain text of a fragment: nw_html_clean's `plain` alone. Malloc'd or NULL. */
char *nw_html_to_text(const char *html, size_t len, nw_err *err);

/* Add the fragment to story->bodies as text/plain and text/html (role NULL).
 * Does nothing and returns 0 when the fragment has no text. */
int nw_html_add_bodies(nw_story *story, const char *html, size_t len, nw_err *err);

/* Paragraphs of plain text (split on blank lines) as clean HTML: <p>..</p>\n. Malloc'd. */
char *nw_html_from_paragraphs(const char *plain);

#endif
