/*
 * nw_enrich_data — the read-only tables behind the enrich plugin: the
 * gazetteer (countries, regions, cities, demonyms), the known-entity table,
 * the names that are no organisation (events, works, products),
 * the IPTC Media Topics and the topic keyword model, loaded from one data
 * directory (docs/enrich.md lists the files), the keyword model optionally
 * from a file of its own (a trained one: `topic_model`).
 *
 * A loaded set is immutable and reference counted: nw_enrich_data_acquire()
 * hands every plugin instance of a process the same copy, and loads a new one
 * only when a file (or the model's path) changed (size, mtime, inode), which is how SIGHUP (the
 * host re-creates the chain) picks up new data. It never downloads anything and never guesses: a
 * missing or malformed file is an error naming the file and line.
 */
#ifndef NW_ENRICH_DATA_H
#define NW_ENRICH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_err.h"

typedef enum nw_gaz_kind {
    NW_GAZ_COUNTRY = 1,
    NW_GAZ_REGION = 2,
    NW_GAZ_CITY = 3,
    NW_GAZ_DEMONYM = 4,
    NW_GAZ_ORG = 5,    /* known organisation (entities.tsv) */
    NW_GAZ_PERSON = 6, /* known person (entities.tsv) */
    /* names that are no organisation, person or place (nonorgs.tsv) */
    NW_GAZ_EVENT = 7,   /* competition, award, festival, war: "Champions League" */
    NW_GAZ_WORK = 8,    /* programme, film, song, game: "Family Guy" */
    NW_GAZ_PRODUCT = 9, /* product or brand on a product: "Big Mac", "Linux" */
} nw_gaz_kind;

/* The kinds of nonorgs.tsv: a name that looks like an organisation's and is none. */
static inline bool nw_gaz_kind_is_nonorg(uint8_t kind)
{
    return kind >= NW_GAZ_EVENT && kind <= NW_GAZ_PRODUCT;
}

/* One gazetteer or known-entity entry; strings point into the loaded file. */
typedef struct nw_gaz_entry {
    const char *code; /* ISO code or GeoNames id; "" for known entities */
    const char *name; /* the canonical name written to the story */
    const char *uri;  /* "" when none */
    char cc[3];       /* country (ISO 3166-1 alpha-2), "" if none */
    uint8_t kind;     /* nw_gaz_kind */
    bool common_word; /* the name is also an English word: needs context */
    bool sport;       /* a club named like its town: only in sport stories */
    bool music;       /* a band (flag m): only where music is news (docs/enrich.md) */
    uint32_t population;
    const char *region; /* cities: their first-level region's name ("Texas"), else "" */
} nw_gaz_entry;

#define NW_TOPIC_TOP_COUNT 17

typedef struct nw_topic {
    char code[9]; /* "11000000" */
    uint8_t level;
    uint8_t top; /* index 0..16 of its top-level topic */
    const char *label;
} nw_topic;

typedef struct nw_enrich_data nw_enrich_data;

/* Load (or share the already loaded) data of `dir`. Returns a reference the
 * caller releases with nw_enrich_data_release(); NULL with err set naming the
 * file on failure. Thread-safe. */
nw_enrich_data *nw_enrich_data_acquire(const char *dir, nw_err *err);
void nw_enrich_data_release(nw_enrich_data *d);

/* The same with the topic keyword model read from `topic_model` (a file in
 * topic_keywords.tsv's format, e.g. written by `newswire train-topics`)
 * instead of the directory's topic_keywords.tsv; NULL = the directory's. */
nw_enrich_data *nw_enrich_data_acquire_model(const char *dir, const char *topic_model, nw_err *err);

/* Load without sharing (tests, tools); free with nw_enrich_data_release. */
nw_enrich_data *nw_enrich_data_load(const char *dir, nw_err *err);
nw_enrich_data *nw_enrich_data_load_model(const char *dir, const char *topic_model, nw_err *err);

/* The Media Topic of `code` ("15054000"), or NULL. */
const nw_topic *nw_enrich_data_topic_code(const nw_enrich_data *d, const char *code);

/* Entries whose name or variant equals `key` (ASCII case-insensitive, `len`
 * bytes). Returns the number found (at most `max`), their indexes in `out`. */
size_t nw_enrich_data_lookup(const nw_enrich_data *d, const char *key, size_t len, uint32_t *out,
                             size_t max);
const nw_gaz_entry *nw_enrich_data_entry(const nw_enrich_data *d, uint32_t index);

/* The hash the tables find `key` by (ASCII case folded): a word's, computed
 * once, serves every lookup of that word. Not stable across versions. */
uint64_t nw_enrich_data_hash(const char *key, size_t len);

/* Topic keyword hits of a word or phrase (ASCII case-insensitive; `hash` is
 * nw_enrich_data_hash(key, len)): callback per (topic, weight). Returns the
 * number of hits; *head (when not NULL) says whether a multi-word keyword
 * starts with `key`. */
typedef void (*nw_topic_hit_fn)(void *ctx, uint32_t topic, float weight);
size_t nw_enrich_data_topic_hits(const nw_enrich_data *d, const char *key, size_t len,
                                 uint64_t hash, nw_topic_hit_fn fn, void *ctx, bool *head);
const nw_topic *nw_enrich_data_topic(const nw_enrich_data *d, uint32_t index);

/* Whether `word` starts a multi-word name (gazetteer, entities): callers
 * look longer phrases up only after such a word. */
bool nw_enrich_data_name_head(const nw_enrich_data *d, const char *word, size_t len);
/* Index of the top-level topic number `top` (0..16). */
uint32_t nw_enrich_data_top_topic(const nw_enrich_data *d, unsigned top);

/* The country entry of an ISO 3166-1 alpha-2 code, or NULL. */
const nw_gaz_entry *nw_enrich_data_country(const nw_enrich_data *d, const char *cc);

/* The directory the set was loaded from. */
const char *nw_enrich_data_dir(const nw_enrich_data *d);

/* Bytes held by the tables (files + indexes), for the benchmark. */
size_t nw_enrich_data_bytes(const nw_enrich_data *d);

/* The directory the build or install put the data in: share/newswire/enrich
 * beside the running program's directory (an install under any prefix, or the
 * build tree), else the configured install directory, else the build tree's.
 * May write the path into buf (len bytes) and return it. */
const char *nw_enrich_data_default_dir(char *buf, size_t len);

#endif
