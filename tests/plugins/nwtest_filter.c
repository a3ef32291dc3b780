/*
 * nwtest-filter — a test filter loaded by path, and the example of an
 * out-of-tree plugin: built against <newswire/plugin.h> and jansson alone
 * (`cc -shared -fPIC $(pkg-config --cflags --libs newswire-plugin)`).
 * Settings (its config map): drop_uri (list of uris to drop), fail_uri (uri
 * that fails permanently, "*" = every story), retries (how many times the
 * first story is answered NW_PLUGIN_RETRY), tag (value of an "nwtest-tag"
 * header added to every story it passes), touch (modify every story).
 */
#include <jansson.h>
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The settings, filled by the host from the config map below. */
typedef struct conf {
    nw_plugin_list drop_uri;
    const char *fail_uri, *tag;
    int64_t retries;
    bool touch;
} conf;

static const nw_plugin_config_entry config_map[] = {
    {.key = "drop_uri",
     .type = NW_PLUGIN_T_LIST,
     .offset = offsetof(conf, drop_uri),
     .description = "uris to drop"},
    {.key = "fail_uri",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(conf, fail_uri),
     .description = "uri that fails permanently (\"*\": every story)"},
    {.key = "retries",
     .type = NW_PLUGIN_T_INT,
     .default_value = "0",
     .min = 0,
     .max = 1000000,
     .offset = offsetof(conf, retries),
     .description = "answer NW_PLUGIN_RETRY this many times first"},
    {.key = "tag",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(conf, tag),
     .description = "value of an nwtest-tag header added to every story passed"},
    {.key = "touch",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(conf, touch),
     .description = "set \"nwtest\": true in every story (a change the next plugin sees)"},
    {.key = NULL},
};

typedef struct state {
    const conf *conf; /* the host's, valid until destroy */
    int64_t retries;
    const nw_plugin_api *api;
} state;

static void *filter_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->api = cfg->api;
    s->conf = cfg->conf;
    s->retries = s->conf->retries;
    return s;
}

static nw_plugin_status filter_process(void *st, nw_plugin_msg *msg, char *err, size_t errlen)
{
    state *s = st;
    if (s->retries > 0) {
        s->retries--;
        snprintf(err, errlen, "simulated outage");
        return NW_PLUGIN_RETRY;
    }
    const conf *c = s->conf;
    for (size_t i = 0; i < c->drop_uri.count; i++)
        if (!strcmp(c->drop_uri.items[i], msg->uri))
            return NW_PLUGIN_DROP;
    if (c->fail_uri && (!strcmp(c->fail_uri, "*") || !strcmp(c->fail_uri, msg->uri))) {
        snprintf(err, errlen, "simulated permanent failure for %s", msg->uri);
        return NW_PLUGIN_FATAL;
    }
    if (c->tag && s->api->add_header(msg->host_ref, "nwtest-tag", c->tag, strlen(c->tag)))
        return NW_PLUGIN_RETRY;
    if (c->touch) { /* modify the document in place, then say so */
        if (json_object_set_new(msg->doc, "nwtest", json_true()) < 0 ||
            s->api->doc_changed(msg->host_ref) < 0)
            return NW_PLUGIN_RETRY;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status filter_flush(void *st, char *err, size_t errlen)
{
    (void)st;
    (void)err;
    (void)errlen;
    return NW_PLUGIN_OK;
}

static void filter_destroy(void *st)
{
    free(st);
}

const nw_plugin_descriptor nw_plugin_entry = {
    NW_PLUGIN_DESCRIPTOR_HEAD, .name = "nwtest-filter",
    .version = "1.0.0",        NW_PLUGIN_CONFIG_MAP(config_map, conf),
    .kind = NW_PLUGIN_FILTER,  .description = "test filter: drops, fails or delays chosen stories",
    .init = filter_init,       .process = filter_process,
    .flush = filter_flush,     .destroy = filter_destroy,
};
