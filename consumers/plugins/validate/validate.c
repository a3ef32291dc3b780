/*
 * validate — ninjs schema validation as a chain filter. See validate.h.
 */
#include "validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"

typedef struct validate {
    nw_jsonschema *schemas;
    char *schema_uri; /* the ninjs schema's $id, owned */
    const nw_plugin_api *api;
} validate;

typedef struct validate_conf {
    const char *schema, *geojson_schema;
    bool check_formats;
} validate_conf;

static const nw_plugin_config_entry validate_config_map[] = {
    {.key = "schema",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(validate_conf, schema),
     .description = "path of the IPTC ninjs JSON schema (ninjs-schema_3.1.json)"},
    {.key = "geojson_schema",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(validate_conf, geojson_schema),
     .description = "path of the GeoJSON schema ninjs refers to (unset: geoJSON not checked)"},
    {.key = "check_formats",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "true",
     .offset = offsetof(validate_conf, check_formats),
     .description = "check the date-time and uri formats the schema names"},
    {.key = NULL},
};

static void validate_destroy(void *state)
{
    validate *v = state;
    if (!v)
        return;
    nw_jsonschema_free(v->schemas);
    free(v->schema_uri);
    free(v);
}

static void *validate_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const validate_conf *conf = cfg->conf;
    const char *schema = conf->schema;
    bool formats = conf->check_formats;
    validate *v = calloc(1, sizeof *v);
    if (!v || !(v->schemas = nw_jsonschema_new())) {
        free(v);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->api = cfg->api;
    nw_jsonschema_set_formats(
        v->schemas, formats ? NW_JSONSCHEMA_FORMAT_DATE_TIME | NW_JSONSCHEMA_FORMAT_URI : 0);
    nw_err e;
    const char *uri = NULL;
    if (nw_jsonschema_load_file(v->schemas, schema, &uri, &e) != 0) {
        snprintf(err, errlen, "schema: %s", e.msg);
        validate_destroy(v);
        return NULL;
    }
    v->schema_uri = strdup(uri);
    if (!v->schema_uri) {
        snprintf(err, errlen, "out of memory");
        validate_destroy(v);
        return NULL;
    }
    const char *geo = conf->geojson_schema;
    int rc;
    if (geo && *geo) {
        rc = nw_jsonschema_load_file(v->schemas, geo, NULL, &e);
    } else {
        /* accept any geoJSON rather than fail every story that has one */
        json_t *anything = json_object();
        rc = anything ? nw_jsonschema_add(v->schemas, NW_JSONSCHEMA_GEOJSON_URI, anything, &e)
                      : nw_err_set(&e, NW_ENOMEM, "out of memory");
        json_decref(anything);
        if (rc == 0 && v->api && v->api->log)
            v->api->log(v->api->host, 1,
                        "no geojson_schema given: geoJSON members are not checked");
    }
    if (rc != 0) {
        snprintf(err, errlen, "geojson_schema: %s", e.msg);
        validate_destroy(v);
        return NULL;
    }
    return v;
}

static nw_plugin_status validate_process(void *state, nw_plugin_msg *msg, char *err, size_t errlen)
{
    validate *v = state;
    nw_err e;
    int rc = nw_jsonschema_validate(v->schemas, v->schema_uri, msg->doc, &e);
    if (rc == NW_ENOMEM) {
        snprintf(err, errlen, "out of memory");
        return NW_PLUGIN_RETRY;
    }
    if (rc != 0) {
        snprintf(err, errlen, "schema violation (%s): %s", v->schema_uri, e.msg);
        return NW_PLUGIN_FATAL;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status validate_flush(void *state, char *err, size_t errlen)
{
    (void)state;
    (void)err;
    (void)errlen;
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_validate = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "validate",
    .version = NW_VERSION,
    NW_PLUGIN_CONFIG_MAP(validate_config_map, validate_conf),
    .kind = NW_PLUGIN_FILTER,
    .description = "pass only ninjs stories valid against the IPTC schema; dead-letter the rest",
    .init = validate_init,
    .process = validate_process,
    .write = NULL,
    .flush = validate_flush,
    .destroy = validate_destroy,
};
