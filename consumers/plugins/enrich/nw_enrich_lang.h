/*
 * nw_enrich_lang — language detection for the enrich plugin, over
 * libexttextcat's fingerprints and comparison (fp_Create / fp_Compare).
 *
 * It owns the choice of candidates: the languages of a libexttextcat
 * configuration file, optionally narrowed to a configured list, and for each
 * story only those written in the script most of the story's letters are in
 * (a Greek text is compared with Greek only; a script only one language uses
 * needs no comparison at all). It never ranks n-grams itself: the library
 * does (docs/enrich.md, "Language").
 *
 * One detector is used by one thread at a time.
 */
#ifndef NW_ENRICH_LANG_H
#define NW_ENRICH_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"

typedef struct nw_enrich_lang nw_enrich_lang;

/* Load the fingerprints listed in `conf` (libexttextcat's format: "<file>.lm
 * <name>" per line, files under `fp_dir`). The language tag of a fingerprint
 * is its file name without ".lm" ("en", "zh-Hans", "sr-Latn"). When `only`
 * has entries (tags, or primary subtags: "zh" keeps zh-Hans and zh-Hant),
 * only those languages are kept, and a tag the file lacks is an error.
 * NULL with err naming the file on failure. */
nw_enrich_lang *nw_enrich_lang_new(const char *conf, const char *fp_dir, const char *const *only,
                                   size_t nonly, nw_err *err);
void nw_enrich_lang_free(nw_enrich_lang *l);

/* Bytes of a story's text worth giving to nw_enrich_lang_detect (its start,
 * cut at a character boundary). */
#define NW_ENRICH_LANG_SAMPLE 600

/* The language of `text` (UTF-8, len bytes, all of them read) into
 * `out`; false when the text is too short, has no letters, or is in a script
 * no candidate is written in. */
bool nw_enrich_lang_detect(nw_enrich_lang *l, const char *text, size_t len, char out[16]);

#endif
