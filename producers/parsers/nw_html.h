/*
 * nw_html — HTML (or XHTML) fragments from bodies and feed descriptions into
 * the two forms a story carries: clean HTML and plain-text paragraphs.
 *
 * Parsed with libxml2's HTML parser (network off, errors silenced, a meta
 * charset inside the fragment ignored: input is UTF-8; invalid bytes are read
 * as windows-1252 first). Kept: p, h1-h6, ul/ol/li, blockquote, pre, br,
 * table rows as paragraphs (cells joined by " | "), a[href] (http/https/
 * mailto only), b/strong/i/em. No other attribute survives. Dropped with
 * their content: script, style, iframe, object, embed, noscript, form,
 * template, title, svg, math, audio, video, canvas, button, select, textarea
 * and comments. Everything else is unwrapped (its text kept). Entities are
 * decoded exactly once: "&lt;p&gt;" in the input is the text "<p>".
 * XHTML (e.g. nw_xml_inner_markup output, default namespace or prefixed)
 * cleans exactly like the same HTML; CDATA sections in it are text.
 * Paragraphs: block elements and <br><br> start a new paragraph, one <br> is
 * a line break ("\n" / "<br>"); empty paragraphs (only spaces or &nbsp;) are
 * removed; whitespace inside one is squeezed (kept in <pre>, blank lines
 * folded). A fragment with no block markup at all (plain text, or text with
 * inline tags only) is split into paragraphs on blank lines.
 * C1 control characters are never text: UTF-8 that was decoded as Latin-1
 * ("\u00e2\u0080\u00a6" for "\u2026") is repaired, other C1 characters are read as
 * windows-1252 (U+0092 -> U+2019), as HTML5 does for &#146;. Output is NFC.
 * Plain text joins paragraphs with "\n\n"; clean HTML puts each in its block
 * element (<p> by default; consecutive list items inside one <ul>/<ol>),
 * text escaped, blocks separated by "\n", no trailing newline.
 * Limits: fragments over 16 MiB are NW_ELIMIT; so is nesting deeper than
 * libxml2's 256 levels (the parser stops there; a truncated body is refused).
 *
 * Ownership: every string out is malloc'd and owned by the caller.
 */
#ifndef NW_HTML_H
#define NW_HTML_H

#include <libxml/tree.h>
#include <stddef.h>

#include "nw_err.h"
#include "nw_story.h"

typedef struct nw_html_result {
    char *plain; /* paragraphs joined by "\n\n"; "" when no text */
    char *html;  /* clean HTML; "" when no text */
    size_t paragraphs;
} nw_html_result;

/* Clean an HTML fragment (UTF-8; html may be NULL when len is 0). Returns 0,
 * or NW_ELIMIT / NW_ENOMEM / NW_EINVAL with err set and *out zeroed. */
int nw_html_clean(const char *html, size_t len, nw_html_result *out, nw_err *err);
void nw_html_result_free(nw_html_result *r);

/* How nw_html_clean_mode reads a fragment. NW_HTML_AUTO is nw_html_clean:
 * text without markup is cleaned without the parser (the same walk the
 * parsed tree would give), anything else is parsed with libxml2.
 * NW_HTML_PARSER always parses (tests hold the two to each other). */
typedef enum { NW_HTML_AUTO, NW_HTML_PARSER } nw_html_mode;
#define NW_HTML_NOT_SIMPLE 1
int nw_html_clean_mode(const char *html, size_t len, nw_html_mode mode, nw_html_result *out,
                       nw_err *err);

/* Clean the children of an element of an already parsed tree (XHTML in a
 * G2 inlineXML, a NITF body.content) exactly as nw_html_clean would clean
 * their serialized markup, without serializing and re-parsing: element
 * names are compared by local name, so namespaces do not matter. The tree
 * is only read. Returns 0 or negative with err set. */
int nw_html_clean_node(const xmlNode *parent, nw_html_result *out, nw_err *err);
/* nw_html_add_bodies for such an element. */
int nw_html_add_bodies_node(nw_story *story, const xmlNode *parent, nw_err *err);

/* How nw_html_add_bodies_mapped sees an element: as an element of the
 * name map() leaves in *name (its local name on entry), dropped with its
 * content, or as a single space of text. */
typedef enum { NW_HTML_MAP_ELEMENT, NW_HTML_MAP_DROP, NW_HTML_MAP_SPACE } nw_html_map_kind;
typedef struct nw_html_map {
    nw_html_map_kind (*map)(const xmlNode *el, const char **name, void *ctx);
    void *ctx;
} nw_html_map;

/* nw_html_add_bodies_node of a <div> holding copies of the tops whose
 * descendants were renamed, dropped or replaced by a space as map says
 * (the tops themselves are taken as they are) — without making the copy.
 * The tree is only read. Returns NW_HTML_NOT_SIMPLE, adding nothing, when
 * that content has no block element (the markup path must clean it: it
 * splits such text on blank lines); else 0 or negative with err set. */
int nw_html_add_bodies_mapped(nw_story *story, const xmlNode *const *tops, size_t ntops,
                              const nw_html_map *map, nw_err *err);

/* Plain text of a fragment: nw_html_clean's `plain` alone. Malloc'd or NULL. */
char *nw_html_to_text(const char *html, size_t len, nw_err *err);

/* Add the fragment to story->bodies as text/plain and text/html (role NULL).
 * Does nothing and returns 0 when the fragment has no text. */
int nw_html_add_bodies(nw_story *story, const char *html, size_t len, nw_err *err);

/* Paragraphs of plain text (split on blank lines, whitespace squeezed) as
 * clean HTML: "<p>a</p>\n<p>b</p>", "" when there is no text. Malloc'd
 * (NULL only when memory runs out); plain may be NULL. */
char *nw_html_from_paragraphs(const char *plain);

#endif
