/*
 * nw_parse_ninjs — the ninjs parser's two paths, exported for the tests and
 * the fuzz target that hold them to each other (everyone else goes through
 * nw_parser_ninjs, which tries the fast path and falls back to the tree).
 */
#ifndef NW_PARSE_NINJS_H
#define NW_PARSE_NINJS_H

#include <stddef.h>

#include "nw_err.h"
#include "nw_parser.h"

/* The fast path (nw_ninjs_direct plus the parser's uri and category steps):
 * 1 with one story appended to out when it took the document, 0 when it
 * declined, with out, opts->warn and everything else untouched. buf is
 * clean text, as nw_parser.parse gets it. */
int nw_ninjs_parse_direct(const char *buf, size_t len, const nw_parse_opts *opts,
                          nw_story_list *out);

/* The tree path alone: nw_json_loadb, then the shapes, the variants, the
 * decoder, the uri and category steps. As nw_parser.parse (opts defaults
 * filled by the caller). */
int nw_ninjs_parse_tree(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                        nw_err *err);

#endif
