/*
 * nw_route — routing rules for the producer (see nw_route.h).
 *
 * The category map is small (an operator writes it by hand), so it is a flat
 * array searched linearly with slugs as keys.
 */
#include "nw_route.h"

#include <stdlib.h>
#include <string.h>

#include "nw_log.h"
#include "nw_publish.h"
#include "nw_text.h"

/* Topics input must never reach (see nw_route.h): the dead-letter topic
 * consumers never read, the dedup fingerprint topic, and Kafka's and
 * tools' internal topics ("__consumer_offsets", "_schemas"). */
#define ROUTE_RESERVED_SLUG     "dlq"
#define ROUTE_SAFE_PREFIX       "category-"
#define ROUTE_FINGERPRINT_TOPIC "newswire.dedup.fingerprints"

bool nw_route_reserved_topic(const char *topic)
{
    size_t len = strlen(topic);
    size_t slug = sizeof ROUTE_RESERVED_SLUG - 1;
    if (topic[0] == '_' || !strcmp(topic, NW_TOPIC_DLQ) || !strcmp(topic, ROUTE_FINGERPRINT_TOPIC))
        return true;
    /* any "<prefix>dlq": consumers may name their dead-letter topic so */
    return len >= slug && !strcmp(topic + len - slug, ROUTE_RESERVED_SLUG) &&
           (len == slug || topic[len - slug - 1] == '.');
}

typedef struct route_entry {
    char *slug;  /* nw_text_slug of the configured category */
    char *topic; /* full topic name */
} route_entry;

struct nw_route {
    char *prefix;
    char *default_topic;
    nw_route_fanout fanout;
    route_entry *map;
    size_t nmap;
};

typedef struct route_fields {
    const char *topic_prefix;
    const char *default_topic;
    const char *fanout;
    const nw_cfg_node *categories;
} route_fields;

static const nw_cfg_field route_table[] = {
    {"topic_prefix", NW_CFG_T_STRING, NW_TOPIC_PREFIX_NEWS, offsetof(route_fields, topic_prefix), 0,
     0, "prefix of <prefix><category-slug> topics"},
    {"default_topic", NW_CFG_T_STRING, "", offsetof(route_fields, default_topic), 0, 0,
     "topic of stories without a category (default <prefix>uncategorized)"},
    {"fanout", NW_CFG_T_STRING, "all", offsetof(route_fields, fanout), 0, 0,
     "all: a story goes to every category's topic; first: to the first only"},
    {"categories", NW_CFG_T_NODE, "", offsetof(route_fields, categories), 0, 0,
     "map of category -> topic overriding <prefix><slug>"},
    {NULL},
};

void nw_route_free(nw_route *route)
{
    if (!route)
        return;
    for (size_t i = 0; i < route->nmap; i++) {
        free(route->map[i].slug);
        free(route->map[i].topic);
    }
    free(route->map);
    free(route->prefix);
    free(route->default_topic);
    free(route);
}

static int check_topic(const nw_cfg_node *node, const char *topic, nw_err *err)
{
    char out[NW_TOPIC_NAME_MAX + 1];
    nw_err terr = {0};
    if (nw_kafka_topic_name(NULL, topic, out, sizeof out, &terr) < 0)
        return nw_cfg_error(node, err, NW_EINVAL, "not a valid topic name: %s", terr.msg);
    if (nw_route_reserved_topic(topic))
        return nw_cfg_error(node, err, NW_EINVAL,
                            "topic %s is reserved (dead letters, dedup fingerprints or Kafka's "
                            "internal topics): stories must not go there",
                            topic);
    return 0;
}

nw_route *nw_route_from_config(const nw_cfg_node *routing, nw_err *err)
{
    route_fields f = {0};
    if (routing && nw_cfg_kind_of(routing) != NW_CFG_MAP) {
        nw_cfg_error(routing, err, NW_EINVAL, "expected a map");
        return NULL;
    }
    if (nw_cfg_read(routing, route_table, &f, err) < 0)
        return NULL;
    nw_route *r = calloc(1, sizeof *r);
    if (!r) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    if (!strcmp(f.fanout, "all")) {
        r->fanout = NW_ROUTE_ALL;
    } else if (!strcmp(f.fanout, "first")) {
        r->fanout = NW_ROUTE_FIRST;
    } else {
        nw_cfg_error(nw_cfg_get(routing, "fanout"), err, NW_EINVAL,
                     "expected 'all' or 'first', got '%s'", f.fanout);
        goto fail;
    }
    char probe[NW_TOPIC_NAME_MAX + 1];
    if (nw_kafka_topic_name(f.topic_prefix, NW_PUBLISH_UNCATEGORIZED, probe, sizeof probe, err) <
        0) {
        nw_err_prefix(err, "routing.topic_prefix: ");
        goto fail;
    }
    if (nw_route_reserved_topic(probe)) {
        nw_cfg_error(nw_cfg_get(routing, "topic_prefix"), err, NW_EINVAL,
                     "a prefix starting with '_' makes Kafka-internal topic names");
        goto fail;
    }
    if (!(r->prefix = strdup(f.topic_prefix)))
        goto oom;
    if (f.default_topic[0]) {
        if (check_topic(nw_cfg_get(routing, "default_topic"), f.default_topic, err) < 0)
            goto fail;
        r->default_topic = strdup(f.default_topic);
    } else {
        r->default_topic = strdup(probe);
    }
    if (!r->default_topic)
        goto oom;

    if (f.categories) {
        if (nw_cfg_kind_of(f.categories) != NW_CFG_MAP) {
            nw_cfg_error(f.categories, err, NW_EINVAL, "expected a map of category: topic");
            goto fail;
        }
        size_t n = nw_cfg_len(f.categories);
        r->map = calloc(n ? n : 1, sizeof *r->map);
        if (!r->map)
            goto oom;
        for (size_t i = 0; i < n; i++) {
            const nw_cfg_node *v = nw_cfg_value_at(f.categories, i);
            const char *topic;
            if (nw_cfg_as_string(v, &topic, err) < 0 || check_topic(v, topic, err) < 0)
                goto fail;
            char *slug = nw_text_slug(nw_cfg_key_at(f.categories, i));
            if (!slug)
                goto oom;
            if (!slug[0]) {
                free(slug);
                nw_cfg_error(v, err, NW_EINVAL, "category '%s' has no letters or digits",
                             nw_cfg_key_at(f.categories, i));
                goto fail;
            }
            r->map[r->nmap].slug = slug;
            if (!(r->map[r->nmap].topic = strdup(topic))) {
                r->nmap++;
                goto oom;
            }
            r->nmap++;
        }
    }
    return r;

oom:
    nw_err_set(err, NW_ENOMEM, "out of memory");
fail:
    nw_route_free(r);
    return NULL;
}

const char *nw_route_prefix(const nw_route *route)
{
    return route->prefix;
}

static const char *mapped_topic(const nw_route *r, const char *slug)
{
    for (size_t i = 0; i < r->nmap; i++)
        if (!strcmp(r->map[i].slug, slug))
            return r->map[i].topic;
    return NULL;
}

static int add_unique(char (*buf)[NW_TOPIC_NAME_MAX + 1], size_t *n, size_t max, const char *topic,
                      nw_err *err)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(buf[i], topic))
            return 0;
    if (*n == max)
        return nw_err_set(err, NW_ELIMIT, "story goes to more than %zu topics", max);
    /* every topic here was checked (at most NW_TOPIC_NAME_MAX bytes) when the
     * map was read or the name was made */
    size_t len = strnlen(topic, NW_TOPIC_NAME_MAX);
    memcpy(buf[*n], topic, len);
    buf[*n][len] = '\0';
    (*n)++;
    return 0;
}

/* The topic of one category slug: mapped, or <prefix><slug> made in `made`
 * (<prefix>category-<slug> when that would be a reserved topic, with a
 * warning naming `uri`). NULL with err when the slug makes no valid topic
 * name. */
static const char *slug_topic(const nw_route *r, const char *slug, const char *uri,
                              char made[NW_TOPIC_NAME_MAX + 1], nw_err *err)
{
    const char *topic = mapped_topic(r, slug);
    if (topic)
        return topic;
    if (nw_kafka_topic_name(r->prefix, slug, made, NW_TOPIC_NAME_MAX + 1, err) < 0) {
        nw_err_prefix(err, "category '%s': ", slug);
        return NULL;
    }
    if (!nw_route_reserved_topic(made))
        return made;
    char safe[NW_TOPIC_NAME_MAX + 1];
    snprintf(safe, sizeof safe, "%s%s", ROUTE_SAFE_PREFIX, slug);
    char reserved[NW_TOPIC_NAME_MAX + 1];
    memcpy(reserved, made, sizeof reserved);
    if (nw_kafka_topic_name(r->prefix, safe, made, NW_TOPIC_NAME_MAX + 1, err) < 0) {
        nw_err_prefix(err, "category '%s': ", slug);
        return NULL;
    }
    nw_log_warn("route",
                "category would route to a reserved topic, sent to a safe name instead uri=%s "
                "category=%s reserved=%s topic=%s",
                uri ? uri : "", slug, reserved, made);
    return made;
}

int nw_route_topics(const nw_route *route, const nw_story *story,
                    char (*buf)[NW_TOPIC_NAME_MAX + 1], size_t max, nw_err *err)
{
    const char *slugs[NW_PUBLISH_MAX_TOPICS];
    size_t ncat = nw_story_categories(story, slugs, NW_PUBLISH_MAX_TOPICS);
    if (ncat > NW_PUBLISH_MAX_TOPICS)
        ncat = NW_PUBLISH_MAX_TOPICS;
    if (route->fanout == NW_ROUTE_FIRST && ncat > 1)
        ncat = 1;
    size_t n = 0;
    for (size_t i = 0; i < ncat; i++) {
        char made[NW_TOPIC_NAME_MAX + 1];
        const char *topic = slug_topic(route, slugs[i], story->uri, made, err);
        if (!topic)
            return err ? err->code : NW_EINVAL;
        if (add_unique(buf, &n, max, topic, err) < 0)
            return err ? err->code : NW_ELIMIT;
    }
    if (n == 0 && add_unique(buf, &n, max, route->default_topic, err) < 0)
        return err ? err->code : NW_ELIMIT;
    return (int)n;
}

int nw_route_category_topic(const nw_route *route, const char *category,
                            char out[NW_TOPIC_NAME_MAX + 1], nw_err *err)
{
    const char *topic = route->default_topic;
    char made[NW_TOPIC_NAME_MAX + 1];
    char *slug = NULL;
    if (category && category[0]) {
        if (!(slug = nw_text_slug(category)))
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        if (slug[0] && !(topic = slug_topic(route, slug, NULL, made, err))) {
            free(slug);
            return err ? err->code : NW_EINVAL;
        }
    }
    size_t len = strnlen(topic, NW_TOPIC_NAME_MAX);
    memcpy(out, topic, len);
    out[len] = '\0';
    free(slug);
    return 0;
}
