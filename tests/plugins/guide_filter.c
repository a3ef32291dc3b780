/*
 * default-language — the minimal filter of docs/plugin-guide.md: a story
 * without "language" gets the configured one. Build:
 *   cc -std=c11 -shared -fPIC $(pkg-config --cflags --libs newswire-plugin) \
 *      guide_filter.c -o default-language.so
 */
#include <jansson.h>
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct conf {
    const char *language;
} conf;

static const nw_plugin_config_entry config_map[] = {
    {.key = "language",
     .type = NW_PLUGIN_T_STRING,
     .default_value = "en",
     .flags = NW_PLUGIN_NONEMPTY,
     .offset = offsetof(conf, language),
     .description = "BCP 47 tag given to stories that have none"},
    {.key = NULL},
};

typedef struct state {
    const conf *conf; /* the host's; valid until destroy() */
    const nw_plugin_api *api;
} state;

static void *dl_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->conf = cfg->conf;
    s->api = cfg->api;
    return s;
}

static nw_plugin_status dl_process(void *st, nw_plugin_msg *msg, char *err, size_t errlen)
{
    state *s = st;
    if (json_object_get(msg->doc, "language"))
        return NW_PLUGIN_OK; /* nothing to change: no text is made for it */
    if (json_object_set_new(msg->doc, "language", json_string(s->conf->language)) < 0 ||
        s->api->doc_changed(msg->host_ref) < 0) {
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY; /* transient: the host backs off and calls again */
    }
    return NW_PLUGIN_OK;
}

static void dl_destroy(void *st)
{
    free(st);
}

const nw_plugin_descriptor nw_plugin_entry = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "default-language",
    .version = "1.0.0",
    .kind = NW_PLUGIN_FILTER,
    .description = "give stories without a language the configured one",
    NW_PLUGIN_CONFIG_MAP(config_map, conf),
    .init = dl_init,
    .process = dl_process,
    .destroy = dl_destroy,
};
