/*
 * nw_nitf — the NITF (News Industry Text Format 2.x-3.6) mapping onto
 * nw_story, shared by the "nitf" parser (nw_parse_nitf.c), the NewsML 1.2
 * parser (NITF inside DataContent) and the NewsML-G2 parser (NITF inside
 * inlineXML). The element-by-element rules are written at the top of
 * nw_parse_nitf.c. Everything here works on a DOM already read safely with
 * nw_xml_read(); elements are matched by local name, so NITF with no
 * namespace, the default NITF namespace or odd prefixes reads the same.
 * Nothing here logs (warnings go through nw_parse_warn), exits or keeps state.
 */
#ifndef NW_NITF_H
#define NW_NITF_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"
#include "nw_parser.h"
#include "nw_story.h"

/* Fill `story` from the <nitf> element `nitf_root` (any namespace). Existing
 * values win, so a wrapper (a NewsML-G2 item) can set its own metadata first:
 *   - scalars (uri, version, dates, pubStatus, urgency, language, by,
 *     located, slugline, edNote, copyright, title/expires extras) are set only
 *     when the story has none;
 *   - headlines, bodies and descriptions are added only when the story has
 *     none of that kind; the provider (infoSources role "source") only when
 *     the story names none;
 *   - subjects, genres, places, people, organisations and categories are
 *     appended (a name already present with the same rel is not repeated).
 * It never adds opts->default_category and never derives a hash uri: both are
 * the caller's job (the uri stays NULL when the NITF has no doc-id).
 * Bad field values (a date or urgency that does not parse, an unknown
 * management-status) are left out with a warning through nw_parse_warn(opts).
 * opts may be NULL (defaults: UTC, warnings to the log). The DOM is not
 * modified. Returns 0, NW_EINVAL when nitf_root is not an element named
 * "nitf", or NW_ENOMEM; err names the problem. */
int nw_nitf_fill_story(xmlNodePtr nitf_root, nw_story *story, const nw_parse_opts *opts,
                       nw_err *err);

/* Add the NITF body markup under `node` (a <body.content>, a <nitf> whose
 * <body> holds one or more <body.content>, or any element whose children are
 * NITF/HTML paragraphs) to story->bodies as text/plain + text/html through
 * nw_html_add_bodies. NITF-only elements are mapped first (hl1/hl2 -> h1/h2,
 * bq -> blockquote; media, note and body.end dropped; block unwrapped; a lone
 * <br> inside a paragraph, a wire line wrap as AAP sends them, becomes a space). Adds
 * nothing when there is no text. The DOM is not modified. 0 or negative. */
int nw_nitf_add_bodies(const xmlNode *node, nw_story *story, nw_err *err);

/* Same mapping, returning the HTML fragment instead (malloc'd, "" when there
 * is nothing; NULL when out of memory), so a caller can join several parts. */
char *nw_nitf_body_markup(const xmlNode *node);

/* ------------------------------------------------ shared wire helpers --- */
/* Used by the NITF and NewsML 1.2 parsers; small enough not to deserve a
 * module of their own. */

/* Normalize a wire timestamp (ISO 8601 extended or basic "20131020T192751+1100",
 * "2016-04-13 04:52:21+00:00", or anything nw_date_parse reads; no zone =
 * opts->timezone) into *field as RFC 3339 UTC. A value that does not parse
 * leaves *field unchanged and is reported with nw_parse_warn naming `what` and
 * the source line. Returns 0 or NW_ENOMEM. */
int nw_wire_set_date(char **field, const char *value, const char *what, long line,
                     const nw_parse_opts *opts);

/* Set story->uri from a provider id when the story has none: an id that
 * already is a URI (urn:, tag:, http:, https:, or "scheme://") is kept, else
 * "urn:newswire:<slug>:<id>" with the id's characters outside
 * [A-Za-z0-9._~:-] percent-encoded (slug = nw_text_slug(provider), "nitf" when
 * that is empty or provider is NULL). Returns 0 or NW_ENOMEM. */
int nw_wire_set_uri(nw_story *story, const char *provider, const char *id);

/* When the story still has no uri: "urn:newswire:<slug>:<32 hex>" from
 * nw_text_hash_hex of the headline, "\n\n" and the plain body, so the same
 * copy always gets the same uri. Returns 0 or NW_ENOMEM. */
int nw_wire_set_hash_uri(nw_story *story, const char *provider);

/* Add an IPTC subject code ("04000000") as subjects {name, uri
 * "http://cv.iptc.org/newscodes/subjectcode/<code>", literal "subj:<code>",
 * rel "subject"}; name NULL = the English name of a top-level code when known.
 * A code already present is not added twice. Returns 0 or NW_ENOMEM. */
int nw_wire_add_iptc_subject(nw_story *story, const char *code, const char *name);

/* Append an entity unless one with the same name (or literal, when name is
 * NULL) and rel is already in the list. Returns 0 or NW_ENOMEM. */
int nw_wire_add_entity(nw_entity_list *list, const char *name, const char *uri, const char *literal,
                       const char *rel);

/* Root-element sniffing for detect(): the local name of the first element of
 * an XML text (skipping a BOM, the declaration, comments, PIs and a DOCTYPE)
 * copied into out; false when none is found in buf. */
bool nw_wire_root_name(const char *buf, size_t len, char *out, size_t outlen);

#endif
