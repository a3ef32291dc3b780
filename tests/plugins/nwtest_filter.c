/*
 * nwtest-filter — a test filter loaded by path. Settings: drop_uri (comma
 * list of uris to drop), fail_uri (uri that fails permanently, "*" = every
 * story), retries (how
 * many times the first story is answered NW_PLUGIN_RETRY), tag (value of an
 * "nwtest-tag" header added to every story it passes). Unknown keys refused.
 */
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct state {
    char drop[512];
    char fail[256];
    char tag[64];
    int retries;
    const nw_plugin_api *api;
} state;

static void *filter_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->api = cfg->api;
    for (size_t i = 0; i < cfg->setting_count; i++) {
        const nw_plugin_setting *kv = &cfg->settings[i];
        if (!strcmp(kv->key, "drop_uri")) {
            snprintf(s->drop, sizeof s->drop, ",%s,", kv->value);
        } else if (!strcmp(kv->key, "fail_uri")) {
            snprintf(s->fail, sizeof s->fail, "%s", kv->value);
        } else if (!strcmp(kv->key, "tag")) {
            snprintf(s->tag, sizeof s->tag, "%s", kv->value);
        } else if (!strcmp(kv->key, "retries")) {
            char *end;
            s->retries = (int)strtol(kv->value, &end, 10);
            if (*end || end == kv->value) {
                snprintf(err, errlen, "retries: expected an integer, got '%s'", kv->value);
                free(s);
                return NULL;
            }
        } else {
            snprintf(err, errlen,
                     "unknown key '%s' (nwtest-filter accepts: drop_uri, "
                     "fail_uri, retries, tag)",
                     kv->key);
            free(s);
            return NULL;
        }
    }
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
    char needle[300];
    snprintf(needle, sizeof needle, ",%s,", msg->uri);
    if (s->drop[0] && strstr(s->drop, needle))
        return NW_PLUGIN_DROP;
    if (s->fail[0] && (!strcmp(s->fail, "*") || !strcmp(s->fail, msg->uri))) {
        snprintf(err, errlen, "simulated permanent failure for %s", msg->uri);
        return NW_PLUGIN_FATAL;
    }
    if (s->tag[0] && s->api->add_header(msg->host_ref, "nwtest-tag", s->tag, strlen(s->tag)))
        return NW_PLUGIN_RETRY;
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
    .abi_version = NW_PLUGIN_ABI_VERSION,
    .name = "nwtest-filter",
    .kind = NW_PLUGIN_FILTER,
    .description = "test filter: drops, fails or delays chosen stories",
    .init = filter_init,
    .process = filter_process,
    .flush = filter_flush,
    .destroy = filter_destroy,
};
