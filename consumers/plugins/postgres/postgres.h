/*
 * postgres — the built-in sink plugin that keeps the newest version of every
 * story in a PostgreSQL table (docs/postgres-sink.md). The work is done by
 * nw_pg_sink; this is its plugin adapter.
 */
#ifndef NW_POSTGRES_PLUGIN_H
#define NW_POSTGRES_PLUGIN_H

#include <newswire/plugin.h>

#include "nw_pg_sink.h"

extern const nw_plugin_descriptor nw_plugin_postgres;

/* Counters of one instance (all zero before the first connection). `state`
 * is what nw_plugin_postgres.init returned. */
nw_pg_stats nw_postgres_plugin_stats(const void *state);

#endif
