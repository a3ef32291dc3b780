/*
 * nw_fts_store — the writer side of the SQLite FTS5 story index: schema and
 * migrations, applying batches of decoded stories under the story-state
 * contract (docs/story-state.md) in one durable transaction, and releasing
 * embargoes that fell due. The sqlite-fts plugin is a thin adapter over it;
 * the benchmark and tests drive it directly.
 *
 * Schema (user_version 1): table `stories` (one row per uri: the current
 * version's columns, its full ninjs, its state) and the external-content
 * FTS5 table `stories_fts` (headline, body, people, places, organisations,
 * subjects; unicode61 with remove_diacritics) that holds exactly the rows
 * whose state is usable. WAL journal, synchronous=FULL: a returned write is
 * on disk. Readers (nw_fts_search) never block the writer.
 *
 * One connection per store, guarded by a mutex: every call is thread-safe,
 * so the `workers: N` instances of one process share one store. It must
 * never hold a transaction open between calls, and never let an older
 * version, or anything after a kill, reach the FTS table.
 */
#ifndef NW_FTS_STORE_H
#define NW_FTS_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_err.h"

/* The schema version this build writes (PRAGMA user_version). */
#define NW_FTS_SCHEMA_VERSION 1

typedef struct nw_fts_store nw_fts_store;

/* What happened to the versions handed in, since open. */
typedef struct nw_fts_stats {
    uint64_t indexed;        /* usable versions made searchable (new or replacing) */
    uint64_t killed;         /* kills stored (content stripped, out of the index) */
    uint64_t withheld;       /* withheld versions stored (hidden) */
    uint64_t embargoed;      /* embargoed versions stored (hidden until due) */
    uint64_t released;       /* embargoed versions made searchable when due */
    uint64_t skipped_older;  /* an older version than the stored one */
    uint64_t skipped_same;   /* the same version again (replay) */
    uint64_t skipped_killed; /* any version of a killed uri */
    uint64_t refused;        /* not a story (see nw_fts_story_check) */
    uint64_t transactions;   /* committed */
} nw_fts_stats;

/* One story handed to nw_fts_store_write. All borrowed for the call. */
typedef struct nw_fts_story {
    const json_t *story; /* the decoded ninjs object */
    const char *raw;     /* its JSON text as received (stored as is), or NULL: dumped */
    size_t raw_len;
    const char
        *category; /* the topic's category slug: used when the story names none; may be NULL */
} nw_fts_story;

/* Open (create, migrate) the index at `path` for writing. 0 and *out, or:
 * NW_EINVAL when the file is not an SQLite database, is corrupt or has a newer
 * schema (err names the file: a start-up error), NW_ERETRY when it cannot be
 * opened or written now (read-only, disk full, locked). */
int nw_fts_store_open(const char *path, nw_fts_store **out, nw_err *err);

/* Close (NULL ok). Nothing is pending: every write was committed. */
void nw_fts_store_close(nw_fts_store *s);

/* 0 when `story` can be indexed, else NW_EINVAL naming what is wrong (not an
 * object, no uri, an unreadable embargoedUntil): a permanent failure. */
int nw_fts_story_check(const json_t *story, nw_err *err);

/* Apply n stories, in order, in one transaction, and commit it durably.
 * now_ms decides embargoes. Stories failing nw_fts_story_check are skipped
 * (counted as refused). 0 and, when `batch` is not NULL, what this batch did
 * in *batch (transactions = 1); or NW_ERETRY (disk full, read-only, I/O,
 * busy: nothing of the batch is committed; call again with the same
 * stories). */
int nw_fts_store_write(nw_fts_store *s, const nw_fts_story *stories, size_t n, int64_t now_ms,
                       nw_fts_stats *batch, nw_err *err);

/* Make every embargoed story due at now_ms searchable, in one transaction.
 * Returns the number released (>= 0) or NW_ERETRY. *next_due_ms (may be
 * NULL) receives the earliest release time still pending, or INT64_MAX. */
int nw_fts_store_release_due(nw_fts_store *s, int64_t now_ms, int64_t *next_due_ms, nw_err *err);

nw_fts_stats nw_fts_store_stats(nw_fts_store *s);

/* The schema's statements, for the benchmark's raw baseline (same tables). */
extern const char nw_fts_schema_sql[];

#endif
