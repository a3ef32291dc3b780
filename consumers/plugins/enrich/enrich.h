/*
 * enrich — filter plugin that adds language, located, places, people,
 * organisations and IPTC Media Topic subjects to each story, offline and
 * in-process (the work is done by nw_enrich; this file only adapts it to the
 * plugin ABI: settings, decode, re-encode, headers). It never fails a story
 * for its text: a story that is not JSON passes through unchanged.
 *
 * Settings (all optional; docs/enrich.md):
 *   data_dir              directory of the data files (default: share/newswire/enrich beside
 *                         the program: an install under any prefix, or the build tree)
 *   extractors            comma list of language, dateline, places, people,
 *                         organisations, subjects (default: all)
 *   max_text_bytes        text looked at per story (default 65536)
 *   min_topic_confidence  0..100 (default 20)
 *
 * Headers added: "nw-enrich" = NW_ENRICH_VERSION; "nw-enrich-text-start" =
 * bytes of the first body taken by a dateline (only when one was found).
 */
#ifndef NW_PLUGIN_ENRICH_H
#define NW_PLUGIN_ENRICH_H

#include <newswire/plugin.h>

extern const nw_plugin_descriptor nw_plugin_enrich;

#endif
