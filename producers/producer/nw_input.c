/*
 * nw_input — the input kind registry and the publishing helpers shared by
 * every input (see nw_input.h).
 */
#include "nw_input.h"

#include <stdlib.h>
#include <string.h>

#include "nw_feed.h"
#include "nw_log.h"
#include "nw_spool.h"

/* One line per input kind. The feed poller adds {"feeds", ...} here. */
static const nw_input_kind kinds[] = {
    {"spools", nw_spool_inputs_from_config},
    {"feeds", nw_feed_inputs_from_config},
};

size_t nw_input_kinds(const nw_input_kind **out)
{
    *out = kinds;
    return sizeof kinds / sizeof kinds[0];
}

int nw_input_init(nw_input *in, const nw_input_ops *ops, const char *name, const char *format)
{
    memset(in, 0, sizeof *in);
    in->ops = ops;
    if (!(in->name = strdup(name)) || !(in->format = strdup(format ? format : "auto"))) {
        free(in->name);
        in->name = NULL;
        return NW_ENOMEM;
    }
    return 0;
}

void nw_input_deinit(nw_input *in)
{
    free(in->name);
    free(in->format);
    in->name = in->format = NULL;
}

void nw_input_bind_metrics(nw_input *in, nw_metrics *metrics)
{
    if (!metrics)
        return;
    nw_buf labels = {0};
    nw_buf_puts(&labels, "input=\"");
    nw_metrics_label_escape(&labels, in->name);
    nw_buf_puts(&labels, "\",format=\"");
    nw_metrics_label_escape(&labels, in->format);
    nw_buf_puts(&labels, "\"");
    const char *l = nw_buf_str(&labels);
    in->m.parsed = nw_metrics_counter(metrics, "newswire_producer_stories_parsed_total",
                                      "Stories parsed from an input", l);
    in->m.published = nw_metrics_counter(metrics, "newswire_producer_stories_published_total",
                                         "Stories whose every message Kafka acknowledged", l);
    in->m.failed = nw_metrics_counter(metrics, "newswire_producer_stories_failed_total",
                                      "Stories that failed (parse, size or delivery)", l);
    in->m.items_done = nw_metrics_counter(metrics, "newswire_producer_items_done_total",
                                          "Input items (files, feed items) settled done", l);
    in->m.items_failed = nw_metrics_counter(metrics, "newswire_producer_items_failed_total",
                                            "Input items settled failed", l);
    nw_buf_free(&labels);
}

size_t nw_input_room(const nw_input_env *env)
{
    size_t pending = nw_publisher_pending(env->pub);
    return pending >= env->max_pending ? 0 : env->max_pending - pending;
}

void nw_input_warm_topic(nw_input_env *env, const char *input, const char *category)
{
    char topic[NW_TOPIC_NAME_MAX + 1];
    nw_err err = {0};
    if (!env->pub)
        return;
    if (nw_route_category_topic(env->route, category, topic, &err) < 0 ||
        nw_publisher_warm(env->pub, topic, &err) < 0)
        nw_log_debug("producer", "topic not opened ahead input=%s error=\"%s\"", input, err.msg);
}

nw_outmsg *nw_input_prepare(nw_input_env *env, const nw_story *story, const char *origin,
                            nw_err *err)
{
    return nw_input_prepare_json(env, story, NULL, 0, origin, err);
}

nw_outmsg *nw_input_prepare_json(nw_input_env *env, const nw_story *story, char *json,
                                 size_t json_len, const char *origin, nw_err *err)
{
    char topics[NW_PUBLISH_MAX_TOPICS][NW_TOPIC_NAME_MAX + 1];
    int n = nw_route_topics(env->route, story, topics, NW_PUBLISH_MAX_TOPICS, err);
    if (n < 0) {
        free(json);
        nw_err_prefix(err, "story %s: ", story->uri ? story->uri : "(no uri)");
        return NULL;
    }
    const char *tp[NW_PUBLISH_MAX_TOPICS];
    for (int i = 0; i < n; i++)
        tp[i] = topics[i];
    nw_outmsg *msg =
        nw_publisher_prepare_to_json(env->pub, story, json, json_len, origin, tp, (size_t)n, err);
    if (!msg)
        return NULL;
    size_t size = nw_outmsg_record_size(msg);
    if (env->max_message_bytes && size > env->max_message_bytes) {
        nw_err_set(err, NW_ELIMIT,
                   "story %s: message is %zu bytes, over the max message size of %zu bytes "
                   "(max_message_bytes) for topic %s; not sent, never truncated",
                   story->uri, size, env->max_message_bytes, topics[0]);
        nw_outmsg_free(msg);
        return NULL;
    }
    return msg;
}

int nw_input_send(nw_input_env *env, nw_outmsg *msg, nw_publish_ticket *ticket, nw_err *err)
{
    return nw_publisher_send(env->pub, msg, ticket, err);
}

void nw_input_list_free(nw_input **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        if (list[i])
            list[i]->ops->free(list[i]);
    free(list);
}
