/*
 * enrich — the plugin adapter over nw_enrich. See enrich.h.
 */
#include "enrich.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich.h"
#include "nw_enrich_data.h"

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

typedef struct enrich_conf {
    const char *data_dir;
    const char *topic_model;
    nw_plugin_list extractors;
    nw_plugin_list languages;
    uint64_t max_text_bytes;
    int64_t min_topic_confidence;
    bool dateline_country;
} enrich_conf;

static const nw_plugin_config_entry enrich_config_map[] = {
    {.key = "data_dir",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(enrich_conf, data_dir),
     .description = "directory of the gazetteer and topic data (default: the installed one)"},
    {.key = "topic_model",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(enrich_conf, topic_model),
     .description = "topic keyword file to use instead of the data directory's "
                    "topic_keywords.tsv (e.g. one `newswire train-topics` wrote)"},
    {.key = "extractors",
     .type = NW_PLUGIN_T_LIST,
     .default_value = "[language, dateline, places, people, organisations, subjects]",
     .offset = offsetof(enrich_conf, extractors),
     .description = "which fields to fill: language, dateline, places, people, organisations, "
                    "subjects"},
    {.key = "languages",
     .type = NW_PLUGIN_T_LIST,
     .offset = offsetof(enrich_conf, languages),
     .description = "languages to tell apart (tags of textcat.conf: en, de, zh-Hans; \"zh\" "
                    "keeps both Chinese scripts); empty: all of textcat.conf"},
    {.key = "max_text_bytes",
     .type = NW_PLUGIN_T_SIZE,
     .default_value = "65536",
     .min = 256,
     .max = 16 << 20,
     .offset = offsetof(enrich_conf, max_text_bytes),
     .description = "bytes of a story's text the extractors read"},
    {.key = "min_topic_confidence",
     .type = NW_PLUGIN_T_INT,
     .default_value = "20",
     .min = 0,
     .max = 100,
     .offset = offsetof(enrich_conf, min_topic_confidence),
     .description = "least confidence (0-100) of a subject to be added"},
    {.key = "dateline_country",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(enrich_conf, dateline_country),
     .description = "add the dateline town's country to places (rel enrich:dateline) when the "
                    "text does not name it: the story's focus, not a place it mentions"},
    {.key = NULL},
};

/* The extractors named in the list (an item may itself be a comma list, as
 * "language, dateline" written on one line). */
static int set_extractors(const nw_plugin_list *list, nw_enrich_opts *o, char *err, size_t errlen)
{
    o->language = o->dateline = o->places = o->people = o->organisations = o->subjects = false;
    for (size_t i = 0; i < list->count; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", list->items[i]);
        for (char *save = NULL, *w = strtok_r(buf, ", ", &save); w;
             w = strtok_r(NULL, ", ", &save)) {
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
    }
    return 0;
}

static void *enrich_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const enrich_conf *conf = cfg->conf;
    nw_enrich_opts opts;
    nw_enrich_opts_default(&opts);
    if (set_extractors(&conf->extractors, &opts, err, errlen) != 0)
        return NULL;
    /* languages: items may themselves be comma lists ("en, de") */
    char lang_buf[1024] = "";
    const char *langs[64];
    size_t nlangs = 0, used = 0;
    for (size_t i = 0; i < conf->languages.count; i++) {
        int n = snprintf(lang_buf + used, sizeof lang_buf - used, "%s,", conf->languages.items[i]);
        if (n < 0 || (size_t)n >= sizeof lang_buf - used) {
            snprintf(err, errlen, "languages: too long a list");
            return NULL;
        }
        used += (size_t)n;
    }
    for (char *save = NULL, *w = strtok_r(lang_buf, ", ", &save); w;
         w = strtok_r(NULL, ", ", &save)) {
        if (nlangs == sizeof langs / sizeof langs[0]) {
            snprintf(err, errlen, "languages: more than %zu", nlangs);
            return NULL;
        }
        langs[nlangs++] = w;
    }
    opts.languages = langs;
    opts.nlanguages = nlangs;
    opts.max_text_bytes = (size_t)conf->max_text_bytes;
    opts.min_topic_confidence = (int)conf->min_topic_confidence;
    opts.dateline_country = conf->dateline_country;
    const char *dir = conf->data_dir;
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
    const char *model = conf->topic_model && *conf->topic_model ? conf->topic_model : NULL;
    if (!(p->data = nw_enrich_data_acquire_model(dir, model, &e)) ||
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
    nw_enrich_result r;
    /* the host's document, changed in place (plugin.h: parse once) */
    if (nw_enrich_story(p->core, msg->doc, &r) != 0 || p->api->doc_changed(msg->host_ref) != 0) {
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
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
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "enrich",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(enrich_config_map, enrich_conf),
    .kind = NW_PLUGIN_FILTER,
    .description = "add language, located, places, people, organisations and Media Topics",
    .init = enrich_init,
    .process = enrich_process,
    .write = NULL,
    .flush = NULL,
    .destroy = enrich_destroy,
};
