/*
 * nw_enrich — the enrichment core: given a decoded ninjs story (jansson),
 * adds language, located (from the dateline), places, people, organisations
 * and IPTC Media Topic subjects, in standard ninjs 3.1 fields only.
 *
 * It owns the text heuristics (tokenizer, dateline, capitalised spans,
 * titles, organisation suffixes, acronyms, alias merging, place ambiguity,
 * topic scoring) and one language detector (nw_enrich_lang) per instance. It never removes
 * or overwrites what the provider gave, never fails a story for its text
 * (empty, binary, huge or odd text gets what can be found), and never loads
 * data itself: the tables come from nw_enrich_data. What it adds is marked
 * as described in docs/enrich.md ("rel" values starting "enrich:", subjects
 * with creator NW_ENRICH_CREATOR).
 *
 * One instance is used by one thread at a time; instances share the data.
 */
#ifndef NW_ENRICH_H
#define NW_ENRICH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "nw_enrich_data.h"
#include "nw_err.h"

/* Version of the enrichment rules and tables, written in the message header
 * NW_ENRICH_HEADER and as the subjects' creator. */
#define NW_ENRICH_VERSION "1.4"
#define NW_ENRICH_HEADER  "nw-enrich"
#define NW_ENRICH_CREATOR "newswire-enrich/" NW_ENRICH_VERSION

typedef struct nw_enrich_opts {
    bool language, dateline, places, people, organisations, subjects;
    size_t max_text_bytes;        /* text looked at per story (headline + body prefix) */
    int min_topic_confidence;     /* 0..100: top-level topics below it are left out */
    const char *textcat_conf;     /* libexttextcat config, NULL = textcat.conf of the data dir */
    const char *const *languages; /* tags to keep of those (nw_enrich_lang.h); borrowed */
    size_t nlanguages;            /* 0 = every language of textcat_conf */
    bool dateline_country;        /* the dateline town's country as a place (rel enrich:dateline) */
} nw_enrich_opts;

/* Every extractor on, 64 KiB of text, confidence 20, no dateline country. */
void nw_enrich_opts_default(nw_enrich_opts *o);

typedef struct nw_enrich nw_enrich;

/* `data` is borrowed and must outlive the instance. NULL on error (err says
 * which file or setting). */
nw_enrich *nw_enrich_new(const nw_enrich_data *data, const nw_enrich_opts *opts, nw_err *err);
void nw_enrich_free(nw_enrich *e);

typedef struct nw_enrich_result {
    size_t body_text_start; /* bytes of the first body taken by the dateline (0 if none) */
    unsigned people, places, organisations, subjects; /* entries added */
    bool language_added, located_added;
} nw_enrich_result;

/* Enrich `story` (a JSON object) in place. Returns 0, or NW_ENOMEM (the story
 * may then be partly enriched but stays valid). A non-object is left alone. */
int nw_enrich_story(nw_enrich *e, json_t *story, nw_enrich_result *res);

/* The tokenizer, exposed for the fuzz target and tests: calls `fn` for every
 * word token of `text` (offset, length, flags). Returns the token count. */
enum {
    NW_TOK_CAP = 1,        /* starts with an upper-case letter */
    NW_TOK_ALLCAPS = 2,    /* two or more letters, all upper case */
    NW_TOK_SENT_START = 4, /* first word of a sentence or paragraph */
    NW_TOK_BREAK = 8,      /* punctuation (not a plain space) before it */
};
typedef void (*nw_enrich_token_fn)(void *ctx, size_t off, size_t len, unsigned flags);
size_t nw_enrich_tokenize(const char *text, size_t len, nw_enrich_token_fn fn, void *ctx);

/* The words the subjects extractor scores `story` on (its first headline and
 * first body, HTML tags removed, at most max_text_bytes), each lower-cased as
 * the extractor looks it up: fn(ctx, word, len) per word (NUL-terminated,
 * borrowed for the call). For training the topic model (nw_enrich_train.h).
 * Returns the number of words, or NW_ENOMEM. A non-object has none. */
typedef void (*nw_enrich_word_fn)(void *ctx, const char *word, size_t len);
int nw_enrich_story_words(json_t *story, size_t max_text_bytes, nw_enrich_word_fn fn, void *ctx);

#endif
