/*
 * enrich — the plugin adapter over nw_enrich. See enrich.h.
 */
#include "enrich.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich.h"
#include "nw_enrich_data.h"
#include "nw_json.h"

typedef struct enrich_plugin {
    nw_enrich_data *data; /* shared by every instance of the process */
    nw_enrich *core;
    const nw_plugin_api *api;
} enrich_plugin;

static void enrich_destroy(void *state)
{
    enrich_plugin *p = state;
    if (!p)
        return;
    nw_enrich_free(p->core);
    nw_enrich_data_release(p->data);
    free(p);
}

static int parse_extractors(const char *list, nw_enrich_opts *o, char *err, size_t errlen)
{
    o->language = o->dateline = o->places = o->people = o->organisations = o->subjects = false;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *w = strtok_r(buf, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(w, "language"))
            o->language = true;
        else if (!strcmp(w, "dateline"))
            o->dateline = true;
        else if (!strcmp(w, "places"))
            o->places = true;
        else if (!strcmp(w, "people"))
            o->people = true;
        else if (!strcmp(w, "organisations") || !strcmp(w, "organizations"))
            o->organisations = true;
        else if (!strcmp(w, "subjects"))
            o->subjects = true;
        else {
            snprintf(err, errlen,
                     "extractors: unknown extractor '%s' (known: language, dateline, places, "
                     "people, organisations, subjects)",
                     w);
            return -1;
        }
    }
    return 0;
}

static int parse_uint(const char *key, const char *s, long lo, long hi, long *out, char *err,
                      size_t errlen)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        snprintf(err, errlen, "%s: expected a whole number from %ld to %ld, got '%s'", key, lo, hi,
                 s);
        return -1;
    }
    *out = v;
    return 0;
}

static void *enrich_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    nw_enrich_opts opts;
    nw_enrich_opts_default(&opts);
    const char *dir = NULL;
    for (size_t i = 0; i < cfg->setting_count; i++) {
        const char *k = cfg->settings[i].key, *v = cfg->settings[i].value;
        long n;
        if (!strcmp(k, "data_dir")) {
            dir = v;
        } else if (!strcmp(k, "extractors")) {
            if (parse_extractors(v, &opts, err, errlen) != 0)
                return NULL;
        } else if (!strcmp(k, "max_text_bytes")) {
            if (parse_uint(k, v, 256, 16 << 20, &n, err, errlen) != 0)
                return NULL;
            opts.max_text_bytes = (size_t)n;
        } else if (!strcmp(k, "min_topic_confidence")) {
            if (parse_uint(k, v, 0, 100, &n, err, errlen) != 0)
                return NULL;
            opts.min_topic_confidence = (int)n;
        } else {
            snprintf(err, errlen,
                     "unknown key '%s' (enrich accepts: data_dir, extractors, max_text_bytes, "
                     "min_topic_confidence)",
                     k);
            return NULL;
        }
    }
    char dir_buf[4200];
    if (!dir || !*dir)
        dir = nw_enrich_data_default_dir(dir_buf, sizeof dir_buf);
    enrich_plugin *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->api = cfg->api;
    nw_err e;
    nw_err_clear(&e);
    if (!(p->data = nw_enrich_data_acquire(dir, &e)) ||
        !(p->core = nw_enrich_new(p->data, &opts, &e))) {
        snprintf(err, errlen, "data: %s", e.msg);
        enrich_destroy(p);
        return NULL;
    }
    return p;
}

static nw_plugin_status enrich_process(void *state, nw_plugin_msg *msg, char *err, size_t errlen)
{
    enrich_plugin *p = state;
    json_error_t jerr;
    json_t *doc = nw_json_loadb(msg->json, msg->json_len, 0, &jerr);
    if (!json_is_object(doc)) {
        /* not ours to judge: validate or the sinks say what is wrong with it */
        json_decref(doc);
        return NW_PLUGIN_OK;
    }
    nw_enrich_result r;
    if (nw_enrich_story(p->core, doc, &r) != 0) {
        json_decref(doc);
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
    char *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!out || p->api->set_json(msg->host_ref, out, strlen(out)) != 0) {
        free(out);
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
    free(out);
    p->api->add_header(msg->host_ref, NW_ENRICH_HEADER, NW_ENRICH_VERSION,
                       strlen(NW_ENRICH_VERSION));
    if (r.body_text_start) {
        char n[32];
        int len = snprintf(n, sizeof n, "%zu", r.body_text_start);
        p->api->add_header(msg->host_ref, NW_ENRICH_HEADER "-text-start", n, (size_t)len);
    }
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_enrich = {
    .abi_version = NW_PLUGIN_ABI_VERSION,
    .name = "enrich",
    .kind = NW_PLUGIN_FILTER,
    .description = "add language, located, places, people, organisations and Media Topics",
    .init = enrich_init,
    .process = enrich_process,
    .write = NULL,
    .flush = NULL,
    .destroy = enrich_destroy,
};
