/*
 * sqlite-fts — the built-in sink that keeps a searchable SQLite FTS5 index
 * of the current version of every story (`newswire search` reads it). It is
 * a thin adapter over nw_fts_store: write() decodes and checks the stories
 * and buffers them; flush() applies the buffer in one transaction and
 * commits it durably (nothing counts as indexed before flush() is OK).
 *
 * Settings: db (required: the database file; created with its schema, or
 * migrated; `newswire search --db` reads the same file). Not `path`: in a
 * chain entry that key loads a plugin from a shared object. Unknown keys
 * are refused.
 *
 * The story-state contract (docs/story-state.md): versions ordered by the
 * story's data, kills final and stripped, withheld hidden, embargoed stories
 * stored and released by a thread of this plugin (one per database file in
 * the process) within about a second of their time, and at every start.
 *
 * One writer per database file: the index is for one consumer instance
 * (one process; its `workers: N` instances share one connection and one
 * release thread). Scaled-out consumer groups index into PostgreSQL or
 * OpenSearch instead. Errors: a story that is not an object, has no uri or an
 * unreadable embargoedUntil fails permanently (dead letter); disk full,
 * read-only or busy databases are retryable (partitions pause, nothing
 * committed); a file that is not a database or is corrupt fails init with
 * its name.
 *
 * Metrics (when the host serves them): newswire_sqlite_fts_versions_total
 * {outcome="indexed|killed|withheld|embargoed|skipped_older|skipped_same|
 * skipped_killed"}, added per committed batch. Releases of embargoes are
 * logged ("embargoes released count=N").
 */
#ifndef NW_SQLITE_FTS_H
#define NW_SQLITE_FTS_H

#include <newswire/plugin.h>

#include "nw_fts_store.h"

extern const nw_plugin_descriptor nw_plugin_sqlite_fts;

/* The shared store behind an instance (what init returned), for tests. */
nw_fts_store *nw_sqlite_fts_store(const void *state);

#endif
