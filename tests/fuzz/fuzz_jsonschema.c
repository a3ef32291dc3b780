/*
 * fuzz_jsonschema — libFuzzer target for the JSON Schema validator
 * (nw_jsonschema). The input is JSON used twice: as a schema (registered,
 * which translates and compiles its patterns, then asked to validate a few
 * fixed instances and the input itself), and as an instance of the ninjs
 * 3.1 schema when NW_NINJS_SCHEMA names it (tests/fuzz/run.sh sets it from
 * the shared datasets). Errors are values; only a crash, a leak or a
 * sanitizer report is a finding. Seeds: tests/fuzz/seeds/jsonschema and
 * the ninjs examples.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nw_jsonschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nw_jsonschema *ninjs; /* NULL when NW_NINJS_SCHEMA is unset or unreadable */
static json_t *fixed[4];

static void init(void)
{
    static const char *const texts[] = {
        "{\"uri\":\"urn:x\",\"headlines\":[{\"value\":\"h\\u00e9\"}]}", "[1,\"a\",null,true,2.5]",
        "\"2024-03-05T14:30:00Z\"", "{\"a\":{\"b\":[{}]},\"x_1\":\"\\u20ac\"}"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        fixed[i] = json_loads(texts[i], 0, NULL);
    const char *path = getenv("NW_NINJS_SCHEMA");
    nw_err err;
    if (path && *path && (ninjs = nw_jsonschema_new())) {
        json_t *anything = json_true();
        if (nw_jsonschema_load_file(ninjs, path, NULL, &err) ||
            nw_jsonschema_add(ninjs, NW_JSONSCHEMA_GEOJSON_URI, anything, &err)) {
            nw_jsonschema_free(ninjs);
            ninjs = NULL;
        }
        json_decref(anything);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready++)
        init();
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!doc)
        return 0;
    nw_err err;
    if (ninjs)
        nw_jsonschema_validate(ninjs, NW_JSONSCHEMA_NINJS_31_URI, doc, &err);
    nw_jsonschema *s = nw_jsonschema_new();
    if (s && nw_jsonschema_add(s, "urn:fuzz", doc, &err) == 0) {
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            if (fixed[i])
                nw_jsonschema_validate(s, "urn:fuzz", fixed[i], &err);
        nw_jsonschema_validate(s, "urn:fuzz", doc, &err);
        nw_jsonschema_validate(s, "urn:fuzz#/properties/a", doc, &err);
    }
    nw_jsonschema_free(s);
    json_decref(doc);
    return 0;
}
