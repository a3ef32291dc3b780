/*
 * nw_enrich_lang — language detection for the enrich plugin: Cavnar and
 * Trenkle's n-gram rank order over libexttextcat's fingerprints (Debian's
 * libexttextcat-data), scored in one pass (docs/enrich.md, "Language").
 *
 * It owns the fingerprints (read once per process into one read-only model
 * that every detector shares, read again when textcat.conf or a fingerprint
 * file changed, which is how SIGHUP picks them up), the text's n-gram
 * profile, and the choice of candidates: the languages of the configuration
 * file, optionally narrowed to a configured list, and for each story only
 * those written in the script most of the story's letters are in (a Greek
 * text is compared with Greek only; a script only one language uses needs
 * no comparison at all). It never fails a story: any input, valid UTF-8 or
 * not, gets an answer or none.
 *
 * One detector is used by one thread at a time; the model it shares is
 * immutable.
 */
#ifndef NW_ENRICH_LANG_H
#define NW_ENRICH_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"

typedef struct nw_enrich_lang nw_enrich_lang;

/* Load (or share the already loaded) fingerprints listed in `conf`
 * (libexttextcat's format: "<file>.lm <name>" per line, files under
 * `fp_dir`). The language tag of a fingerprint is its file name without
 * ".lm" ("en", "zh-Hans", "sr-Latn"). When `only` has entries (tags, or
 * primary subtags: "zh" keeps zh-Hans and zh-Hant), only those languages are
 * candidates, and a tag the file lacks is an error. NULL with err naming the
 * file on failure. Thread-safe. */
nw_enrich_lang *nw_enrich_lang_new(const char *conf, const char *fp_dir, const char *const *only,
                                   size_t nonly, nw_err *err);
void nw_enrich_lang_free(nw_enrich_lang *l);

/* Bytes of a story's text the detector looks at (its start, cut at a
 * character boundary); more is ignored. How 400 was chosen, and what other
 * sizes give: docs/enrich.md, "Language". A build may set another size
 * (-DNW_ENRICH_LANG_SAMPLE=n) to measure it. */
#ifndef NW_ENRICH_LANG_SAMPLE
#define NW_ENRICH_LANG_SAMPLE 400
#endif

/* The language of `text` (len bytes, at most NW_ENRICH_LANG_SAMPLE of them
 * read; invalid UTF-8 is read byte by byte) into `out`; false when the text
 * is too short, has no letters or no n-gram of any candidate, or is in a
 * script no candidate is written in. A plainly English text (its words say
 * so, docs/enrich.md) is answered "en" without scoring n-grams, when English
 * is a candidate. */
bool nw_enrich_lang_detect(nw_enrich_lang *l, const char *text, size_t len, char out[16]);

#endif
