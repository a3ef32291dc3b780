/*
 * nw_search — what a story search asks and what a hit holds, shared by the
 * search indexes' readers (nw_fts_search over SQLite, nw_pg_search over the
 * postgres sink's table) and by `newswire search`, which formats hits the
 * same way whichever index answered. Types only: no index is reached here.
 */
#ifndef NW_SEARCH_H
#define NW_SEARCH_H

#include <stdint.h>

#define NW_SEARCH_NO_TIME INT64_MIN

typedef struct nw_search_query {
    const char *text; /* the natural query, or NULL/"" (then the newest first) */
    const char *category, *lang, *person, *place, *org; /* NULL = any */
    int64_t since_ms, until_ms;                         /* NW_SEARCH_NO_TIME = open */
    int limit;                                          /* <= 0: 20 */
} nw_search_query;

/* One hit, borrowed for the callback. Entity fields are one name per line or NULL. */
typedef struct nw_search_hit {
    const char *uri, *version, *version_created, *category, *headline, *snippet;
    const char *people, *places, *organisations, *subjects;
    double score; /* lower is better (0 when listing without a query) */
} nw_search_hit;

typedef void (*nw_search_hit_fn)(const nw_search_hit *hit, void *ctx);

#endif
