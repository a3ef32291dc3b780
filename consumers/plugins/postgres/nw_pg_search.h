/*
 * nw_pg_search — the reader side of the postgres sink's table (what
 * `newswire search --postgres` and `newswire show --postgres` run):
 * websearch_to_tsquery over the weighted tsvector and its GIN index, with
 * the same filters and hits as the SQLite index (nw_search.h), best first by
 * ts_rank_cd (headline weighted over entities over body), snippets by
 * ts_headline; and a story's stored current version.
 *
 * Searches read only the `<table>_current` view, so killed, withheld and
 * not-yet-released embargoed stories are never found (docs/story-state.md).
 * Never writes, never logs or prints the conninfo (libpq's messages name
 * the host and port only).
 */
#ifndef NW_PG_SEARCH_H
#define NW_PG_SEARCH_H

#include "nw_err.h"
#include "nw_search.h"

typedef struct nw_pg_reader nw_pg_reader;

/* Connect (conninfo straight to libpq; 10 s connect_timeout unless it sets
 * one) and check that `table` (NULL = "stories") is a newswire story table.
 * NW_EIO: the server could not be reached or refused the login (err is
 * libpq's first line: host and port, never the password); NW_ENOTFOUND: no
 * such table; NW_EINVAL: a bad table name. */
int nw_pg_reader_open(const char *conninfo, const char *table, nw_pg_reader **out, nw_err *err);
void nw_pg_reader_close(nw_pg_reader *r);

/* Run the query (websearch syntax: words, "phrases", OR, -word; the caller
 * checks its shape, as `newswire search` does for both indexes); fn(hit) for
 * each hit, best first; score = -ts_rank_cd (lower is better, as bm25).
 * Each story's text is matched with the text-search configuration of its
 * language. Returns the number of hits, or NW_EINVAL (a query PostgreSQL
 * refuses: one line, no SQL) or NW_EIO. Snippets mark terms [like this]. */
int nw_pg_search(nw_pg_reader *r, const nw_search_query *q, nw_search_hit_fn fn, void *ctx,
                 nw_err *err);

/* The stored current version of `uri` as ninjs JSON (malloc'd, caller
 * frees) and its state ("usable", "canceled", "withheld", "embargoed": an
 * embargo already due reads "usable"; static) in *state (may be NULL).
 * NW_ENOTFOUND when the table has no such uri. */
int nw_pg_show(nw_pg_reader *r, const char *uri, char **ninjs, const char **state, nw_err *err);

#endif
