/*
 * test_validate_plugin — the `validate` filter: valid ninjs passes, a schema
 * violation, JSON that is not an object and broken JSON are permanent
 * failures (dead letters) with the reason; settings errors name the key.
 * The schema comes from the shared datasets, so most cases skip without them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_testutil.h"
#include "validate.h"

static char *schema_path, *geojson_path;

static void setup(void)
{
    schema_path =
        nw_test_shared_path("datasets/ninjs/iptc-newsinjson/schemas/ninjs-schema_3.1.json");
    geojson_path =
        nw_test_shared_path("datasets/ninjs/iptc-newsinjson/test_suite/GeoJSON-schema.json");
}

static void teardown(void)
{
    free(schema_path);
    free(geojson_path);
}

static void *make(const nw_plugin_setting *settings, size_t n, char *err, size_t errlen)
{
    nw_plugin_config cfg = {.instance_name = "validate",
                            .config_path = "t.yaml",
                            .settings = settings,
                            .setting_count = n};
    return nw_plugin_validate.init(&cfg, err, errlen);
}

static nw_plugin_status run(void *state, const char *json, char *err, size_t errlen)
{
    nw_plugin_msg msg = {
        .json = json, .json_len = strlen(json), .uri = "u", .topic = "news.x", .category = "x"};
    err[0] = '\0';
    return nw_plugin_validate.process(state, &msg, err, errlen);
}

TestSuite(validate, .init = setup, .fini = teardown);

Test(validate, settings_errors_name_the_key)
{
    char err[512];
    nw_plugin_setting none[] = {{"scheme", "x", 3}};
    cr_assert_null(make(none, 1, err, sizeof err));
    cr_assert(strstr(err, "unknown key 'scheme'"), "%s", err);
    cr_assert_null(make(NULL, 0, err, sizeof err));
    cr_assert(strstr(err, "missing key 'schema'"), "%s", err);
    nw_plugin_setting missing[] = {{"schema", "/nonexistent/ninjs.json", 3}};
    cr_assert_null(make(missing, 1, err, sizeof err));
    cr_assert(strstr(err, "schema: ") && strstr(err, "/nonexistent/ninjs.json"), "%s", err);
}

Test(validate, passes_valid_stories_and_dead_letters_the_rest)
{
    if (!schema_path)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    char err[1024];
    nw_plugin_setting s[] = {{"schema", schema_path, 3}, {"geojson_schema", geojson_path, 4}};
    void *v = make(s, 2, err, sizeof err);
    cr_assert_not_null(v, "%s", err);

    cr_assert_eq(run(v,
                     "{\"uri\":\"urn:newswire:test:1\",\"type\":\"text\",\"version\":\"1\","
                     "\"headlines\":[{\"value\":\"A headline\"}]}",
                     err, sizeof err),
                 NW_PLUGIN_OK, "%s", err);

    cr_assert_eq(run(v, "{\"type\":\"text\"}", err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert(strstr(err, "schema violation") && strstr(err, "uri"), "%s", err);

    cr_assert_eq(run(v, "{\"uri\":\"urn:x:1\",\"urgency\":12}", err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert(strstr(err, "/urgency"), "%s", err);

    cr_assert_eq(run(v, "{\"uri\":\"urn:x:1\",\"headline\":\"1.x name\"}", err, sizeof err),
                 NW_PLUGIN_FATAL, "3.1 has no `headline`: unevaluated property");

    cr_assert_eq(run(v, "[1,2]", err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert(strstr(err, "not an object"), "%s", err);

    cr_assert_eq(run(v, "{\"uri\": ", err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert(strstr(err, "invalid JSON at line 1"), "%s", err);

    cr_assert_eq(nw_plugin_validate.flush(v, err, sizeof err), NW_PLUGIN_OK);
    nw_plugin_validate.destroy(v);
}

Test(validate, without_a_geojson_schema_geojson_is_accepted)
{
    if (!schema_path)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    char err[1024];
    nw_plugin_setting s[] = {{"schema", schema_path, 3}};
    void *v = make(s, 1, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(run(v,
                     "{\"uri\":\"urn:x:1\",\"places\":[{\"name\":\"Oslo\",\"geoJSON\":"
                     "{\"type\":\"Point\",\"coordinates\":[10.7,59.9]}}]}",
                     err, sizeof err),
                 NW_PLUGIN_OK, "%s", err);
    nw_plugin_validate.destroy(v);
}
