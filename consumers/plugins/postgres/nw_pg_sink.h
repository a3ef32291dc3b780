/*
 * nw_pg_sink — the PostgreSQL story sink (docs/postgres-sink.md): one row
 * per uri holding the version the story-state contract (nw_story_state,
 * docs/story-state.md) says is current, the full ninjs as jsonb and a
 * weighted tsvector for websearch_to_tsquery.
 *
 * Owns: the connection (conninfo straight to libpq: TLS, passfile,
 * PGPASSWORD and the like are libpq's; the conninfo is never logged), the
 * versioned schema (created and migrated at open), the open transaction,
 * and the rows written in it since the last commit (kept so that a lost
 * connection is healed by replaying them: the caller only retries).
 * Never: decides by arrival order or Kafka offset, drops a story silently,
 * lets an older version or anything after a kill replace a stored row.
 *
 * A batch: the newest version of each uri (nw_story_supersedes) is COPYed
 * into a temporary table, then one INSERT ... ON CONFLICT (uri) DO UPDATE
 * ... WHERE the incoming version supersedes the stored one. When PostgreSQL
 * refuses a value (SQLSTATE class 22, 23 or 54) the batch is redone row by
 * row under savepoints: the refused rows get their SQLSTATE and message,
 * the rest go in. Connection loss, serialization failures, deadlocks,
 * shutdowns and lack of resources answer NW_ERETRY and nothing of the call
 * counts; calling again (write or commit) reconnects and replays.
 *
 * Not thread-safe: one sink per thread (the consumer's workers each open
 * their own; the upsert makes concurrent writers agree).
 */
#ifndef NW_PG_SINK_H
#define NW_PG_SINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "nw_err.h"
#include "nw_story_state.h"

/* The schema version this build creates and migrates to. */
#define NW_PG_SCHEMA_VERSION 1

typedef struct nw_pg_sink nw_pg_sink;

typedef struct nw_pg_options {
    const char *conninfo; /* libpq connection string or URI (borrowed for open) */
    const char *table;    /* table name, [a-z_][a-z0-9_]*, NULL = "stories" */
} nw_pg_options;

/* One story of a batch. */
typedef struct nw_pg_item {
    const json_t *story;  /* the decoded ninjs object (borrowed for the call) */
    const char *uri;      /* used when the story has no "uri" (the message key), may be NULL */
    const char *category; /* the topic's category, may be NULL */
} nw_pg_item;

typedef enum nw_pg_result {
    NW_PG_WRITTEN = 0, /* the row now holds this version (inserted or updated) */
    NW_PG_STALE = 1,   /* older, a replay, or after a kill: skipped, not an error */
    NW_PG_REFUSED = 2, /* bad story or a value PostgreSQL refused: dead-letter it */
} nw_pg_result;

typedef struct nw_pg_outcome {
    nw_pg_result result;
    nw_story_skip skip; /* NW_PG_STALE: older, the same version, or after a kill */
    char sqlstate[6];   /* NW_PG_REFUSED by PostgreSQL: its SQLSTATE, else "" */
    char reason[256];   /* NW_PG_REFUSED: what was wrong */
} nw_pg_outcome;

typedef struct nw_pg_stats {
    uint64_t written, stale, refused;                     /* outcomes handed out */
    uint64_t skipped_older, skipped_same, skipped_killed; /* the stale ones, by reason */
    uint64_t commits;                                     /* COMMITs that succeeded */
    uint64_t connects;  /* successful connections (1 + reconnects) */
    uint64_t transient; /* calls answered NW_ERETRY */
    uint64_t replayed;  /* rows replayed after a lost transaction */
} nw_pg_stats;

/* Connect, create or migrate the schema, prepare the session. On failure
 * returns NW_ERETRY when the server could not be reached (or is starting or
 * stopping), NW_EINVAL for a bad conninfo, a refused login or a schema newer
 * than this build; *out stays NULL. The message never holds the conninfo. */
int nw_pg_sink_open(const nw_pg_options *opts, nw_pg_sink **out, nw_err *err);

/* Write n stories inside the open transaction (begun as needed); out[i]
 * receives the outcome of items[i]. Returns 0, or NW_ERETRY (transient:
 * call again with the same items; outcomes unset), or NW_ENOMEM. */
int nw_pg_sink_write(nw_pg_sink *s, const nw_pg_item *items, size_t n, int64_t now_ms,
                     nw_pg_outcome *out, nw_err *err);

/* COMMIT what was written since the last commit. 0, or NW_ERETRY: call
 * again (it reconnects and replays the uncommitted rows first). */
int nw_pg_sink_commit(nw_pg_sink *s, nw_err *err);

/* Is the server reachable and the session usable? Between batches (no
 * transaction open) a `SELECT 1` on the sink's connection; a lost
 * connection is reconnected (uncommitted rows are still replayed by the
 * next write). 0, or NW_ERETRY / NW_EINVAL with err naming the server
 * (host and port, never the conninfo). Quick: bounded by connect_timeout. */
int nw_pg_sink_check(nw_pg_sink *s, nw_err *err);

/* Roll back anything uncommitted and disconnect. NULL is accepted. */
void nw_pg_sink_close(nw_pg_sink *s);

nw_pg_stats nw_pg_sink_stats(const nw_pg_sink *s);

/* What the sink runs per batch, for the benchmark's SQL-level ceiling: the
 * staging table's columns (COPY nw_stage (<these>) FROM STDIN) and the
 * upsert from nw_stage into the sink's table. Borrowed strings. */
const char *nw_pg_sink_stage_columns(void);
const char *nw_pg_sink_upsert_sql(const nw_pg_sink *s);

/* True when t is a table name the sink accepts ([a-z_][a-z0-9_]*, at most 40). */
bool nw_pg_table_name_ok(const char *t);

/* How a SQLSTATE is handled: 1 transient (retry with back-off), 0 the value
 * was refused (that story to the dead letters), -1 anything else (retried
 * too, and logged as an error: the table or the server needs an operator).
 * NULL or "" (no SQLSTATE: the connection broke) is transient. */
int nw_pg_sqlstate_kind(const char *sqlstate);

#endif
