/*
 * validate — ninjs schema validation as a chain filter. See validate.h.
 */
#include "validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_json.h"
#include "nw_jsonschema.h"

typedef struct validate {
    nw_jsonschema *schemas;
    char *schema_uri; /* the ninjs schema's $id, owned */
    const nw_plugin_api *api;
} validate;

static const char *setting(const nw_plugin_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->setting_count; i++)
        if (!strcmp(cfg->settings[i].key, key))
            return cfg->settings[i].value;
    return NULL;
}

static void validate_destroy(void *state)
{
    validate *v = state;
    if (!v)
        return;
    nw_jsonschema_free(v->schemas);
    free(v->schema_uri);
    free(v);
}

static bool parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
        return *out = true, true;
    if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
        return *out = false, true;
    return false;
}

static void *validate_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    static const char *const known[] = {"schema", "geojson_schema", "check_formats"};
    for (size_t i = 0; i < cfg->setting_count; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok |= !strcmp(cfg->settings[i].key, known[k]);
        if (!ok) {
            snprintf(err, errlen,
                     "unknown key '%s' (validate accepts: schema, geojson_schema, check_formats)",
                     cfg->settings[i].key);
            return NULL;
        }
    }
    const char *schema = setting(cfg, "schema");
    if (!schema || !*schema) {
        snprintf(err, errlen, "missing key 'schema': the path of ninjs-schema_3.1.json");
        return NULL;
    }
    bool formats = true;
    const char *f = setting(cfg, "check_formats");
    if (f && !parse_bool(f, &formats)) {
        snprintf(err, errlen, "check_formats: expected true or false, got '%s'", f);
        return NULL;
    }

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
    const char *geo = setting(cfg, "geojson_schema");
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
    json_error_t jerr;
    json_t *doc = nw_json_loadb(msg->json, msg->json_len, 0, &jerr);
    if (!doc) {
        snprintf(err, errlen, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return NW_PLUGIN_FATAL;
    }
    nw_plugin_status st = NW_PLUGIN_OK;
    nw_err e;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "not a ninjs story: the message is JSON but not an object");
        st = NW_PLUGIN_FATAL;
    } else {
        int rc = nw_jsonschema_validate(v->schemas, v->schema_uri, doc, &e);
        if (rc == NW_ENOMEM) {
            snprintf(err, errlen, "out of memory");
            st = NW_PLUGIN_RETRY;
        } else if (rc != 0) {
            snprintf(err, errlen, "schema violation (%s): %s", v->schema_uri, e.msg);
            st = NW_PLUGIN_FATAL;
        }
    }
    json_decref(doc);
    return st;
}

static nw_plugin_status validate_flush(void *state, char *err, size_t errlen)
{
    (void)state;
    (void)err;
    (void)errlen;
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_validate = {
    .abi_version = NW_PLUGIN_ABI_VERSION,
    .name = "validate",
    .kind = NW_PLUGIN_FILTER,
    .description = "pass only ninjs stories valid against the IPTC schema; dead-letter the rest",
    .init = validate_init,
    .process = validate_process,
    .write = NULL,
    .flush = validate_flush,
    .destroy = validate_destroy,
};
