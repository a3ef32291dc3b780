/*
 * nw_enrich_words — the enrich core's word lists (stop words, titles,
 * organisation suffixes and trailers, connectors, with the lists of
 * nw_enrich_names) hashed once into a class table, and the tokenizer
 * (nw_enrich_tokenize, declared in nw_enrich.h) with the callback that
 * records a story's tokens in the instance. Internal to the enrich plugin.
 * Owns the class table (built once per process, read-only after); never
 * allocates per story and never decides what a span names.
 */
#ifndef NW_ENRICH_WORDS_H
#define NW_ENRICH_WORDS_H

#include "nw_enrich_internal.h"

/* Build the word-class table once per process (thread-safe; idempotent). */
void nw_enrich_class_init(void);

/* nw_enrich_token_fn appending a token to the nw_enrich instance `ctx`
 * (its word class, its paragraph) */
void nw_enrich_collect_token(void *ctx, size_t off, size_t len, unsigned flags);

#endif
