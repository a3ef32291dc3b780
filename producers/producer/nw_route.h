/*
 * nw_route — the producer's routing rules: which Kafka topics one story goes
 * to. A category slug is looked up in an explicit category -> topic map, else
 * becomes <topic_prefix><slug>; fan-out "all" sends to the topic of every
 * category, "first" only to the first one; a story without a category (or
 * whose categories make no topic) goes to the default topic.
 *
 * Owns its copies of every string; immutable after nw_route_new, so the
 * service can swap one for another on reload while messages prepared with
 * the old rules are still in flight. Never touches Kafka.
 */
#ifndef NW_ROUTE_H
#define NW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_config.h"
#include "nw_err.h"
#include "nw_kafka.h"
#include "nw_story.h"

typedef enum nw_route_fanout {
    NW_ROUTE_ALL = 0,   /* every category's topic */
    NW_ROUTE_FIRST = 1, /* only the first category's topic */
} nw_route_fanout;

typedef struct nw_route nw_route;

/* Read the `routing` map of the producer config (NULL = every default):
 *   topic_prefix: "news."            prefix for <prefix><category-slug>
 *   default_topic: news.uncategorized  for stories without a category
 *                                    (default <prefix>uncategorized)
 *   fanout: all | first
 *   categories: {Mid-East: news.world, ...}  category (any spelling that
 *                                    slugs alike) -> topic, overriding the prefix
 * Every topic name is checked against Kafka's rules. Caller frees. */
nw_route *nw_route_from_config(const nw_cfg_node *routing, nw_err *err);
void nw_route_free(nw_route *route);

/* Topics for `story` into topics[0..max) as "<name>" strings written into
 * buf (each NW_TOPIC_NAME_MAX + 1 bytes, `max` of them), de-duplicated, in
 * category order. Returns the count (>= 1) or negative with err. */
int nw_route_topics(const nw_route *route, const nw_story *story,
                    char (*buf)[NW_TOPIC_NAME_MAX + 1], size_t max, nw_err *err);

/* The first topic of a story whose only category is `category` (NULL or
 * empty: one without a category) into out. 0, or negative with err. */
int nw_route_category_topic(const nw_route *route, const char *category,
                            char out[NW_TOPIC_NAME_MAX + 1], nw_err *err);

/* True for a topic no story may be published to: news.dlq (and any
 * "<prefix>dlq"), the dedup fingerprint topic, names starting with '_'
 * (Kafka's and tools' internal topics). A category whose slug would make
 * one is routed to <prefix>category-<slug> with a warning; a configured
 * topic that is one is a config error. */
bool nw_route_reserved_topic(const char *topic);

/* The configured prefix (borrowed). */
const char *nw_route_prefix(const nw_route *route);

#endif
