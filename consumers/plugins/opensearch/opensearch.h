/*
 * opensearch — the built-in sink plugin that indexes stories in OpenSearch
 * or Elasticsearch (docs/opensearch-sink.md). The work is done by
 * nw_os_sink; this is its plugin adapter.
 */
#ifndef NW_OPENSEARCH_PLUGIN_H
#define NW_OPENSEARCH_PLUGIN_H

#include <newswire/plugin.h>

#include "nw_os_sink.h"

extern const nw_plugin_descriptor nw_plugin_opensearch;

/* Counters of one instance (zero before the first connection). */
nw_os_stats nw_opensearch_plugin_stats(const void *state);

#endif
