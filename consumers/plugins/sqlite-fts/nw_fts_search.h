/*
 * nw_fts_search — the reader side of the SQLite FTS5 story index (what
 * `newswire search` and `newswire show` run): turning a natural query
 * ("kerry moscow", "\"civil war\"", "syria -russia") into an FTS5 expression,
 * searching with filters, best first by bm25 (headline weighted over body),
 * and reading a story's current version. It opens the database read-only
 * and never blocks the writer (WAL). Only the index's rows are ever found:
 * killed, withheld and embargoed stories are not in it.
 */
#ifndef NW_FTS_SEARCH_H
#define NW_FTS_SEARCH_H

#include <stdint.h>

#include "nw_err.h"
#include "nw_search.h"

typedef struct nw_fts_reader nw_fts_reader;

/* Open `path` read-only. NW_ENOTFOUND when there is no such file, NW_EINVAL
 * when it is not a newswire index (err names it). */
int nw_fts_reader_open(const char *path, nw_fts_reader **out, nw_err *err);
void nw_fts_reader_close(nw_fts_reader *r);

/* The query and hit types are the shared ones (nw_search.h); score is
 * bm25: lower is better. */
#define NW_FTS_NO_TIME NW_SEARCH_NO_TIME
typedef nw_search_query nw_fts_query;
typedef nw_search_hit nw_fts_hit;
typedef nw_search_hit_fn nw_fts_hit_fn;

/* The FTS5 expression for a natural query plus the entity filters, into a
 * malloc'd *out (NULL when there is nothing to match). NW_EINVAL with a
 * one-line message saying what is wrong (an unterminated quote, only
 * excluded words). Words are quoted, so punctuation is never syntax. */
int nw_fts_match_expr(const nw_fts_query *q, char **out, nw_err *err);

/* Run the query; fn(hit) for each hit, best first. Returns the number of
 * hits, or NW_EINVAL (a query FTS5 refuses: the message says why, in one
 * line, without SQL) or NW_EIO. Snippets mark the query terms [like this]. */
int nw_fts_search(nw_fts_reader *r, const nw_fts_query *q, nw_fts_hit_fn fn, void *ctx,
                  nw_err *err);

/* The stored current version of `uri` as ninjs JSON (malloc'd, caller
 * frees) and its state ("usable", "canceled", "withheld", "embargoed";
 * static) in *state (may be NULL). NW_ENOTFOUND when the index has no such uri. */
int nw_fts_show(nw_fts_reader *r, const char *uri, char **ninjs, const char **state, nw_err *err);

#endif
