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
#include "nw_chain.h"
#include "nw_testplugin.h"
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
    nw_test_plugin_free_all();
    free(schema_path);
    free(geojson_path);
}

static void *make(const char *const *pairs, char *err, size_t errlen)
{
    return nw_test_plugin_openv(&nw_plugin_validate, (nw_plugin_config){0}, err, errlen, pairs);
}

/* The story as the host hands it over: decoded once (a value that is not a
 * JSON object never reaches the plugin; test_chain covers that). */
static nw_plugin_status run(void *state, const char *json, char *err, size_t errlen)
{
    nw_chain_msg m;
    cr_assert_eq(
        nw_chain_msg_init(&m, "news.x", "news.", 0, 0, "u", 1, json, strlen(json), -1, NULL), 0);
    cr_assert_eq(m.state, NW_MSG_LIVE, "%s", m.dead_reason);
    err[0] = '\0';
    nw_plugin_status st = nw_plugin_validate.process(state, &m.pub, err, errlen);
    nw_chain_msg_deinit(&m);
    return st;
}

TestSuite(validate, .init = setup, .fini = teardown);

Test(validate, settings_errors_name_the_key)
{
    char err[512];
    const char *none[] = {"scheme", "x", NULL};
    cr_assert_null(make(none, err, sizeof err));
    cr_assert(strstr(err, "unknown key 'scheme'"), "%s", err);
    const char *nothing[] = {NULL};
    cr_assert_null(make(nothing, err, sizeof err));
    cr_assert(strstr(err, "missing required key 'schema'"), "%s", err);
    const char *formats[] = {"schema", "x", "check_formats", "1", NULL};
    cr_assert_null(make(formats, err, sizeof err));
    cr_assert(strstr(err, "check_formats: expected"), "%s", err);
    const char *missing[] = {"schema", "/nonexistent/ninjs.json", NULL};
    cr_assert_null(make(missing, err, sizeof err));
    cr_assert(strstr(err, "schema: ") && strstr(err, "/nonexistent/ninjs.json"), "%s", err);
}

Test(validate, passes_valid_stories_and_dead_letters_the_rest)
{
    if (!schema_path)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    char err[1024];
    const char *s[] = {"schema", schema_path, "geojson_schema", geojson_path, NULL};
    void *v = make(s, err, sizeof err);
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

    cr_assert_eq(nw_plugin_validate.flush(v, err, sizeof err), NW_PLUGIN_OK);
    nw_plugin_validate.destroy(v);
}

Test(validate, without_a_geojson_schema_geojson_is_accepted)
{
    if (!schema_path)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    char err[1024];
    const char *s[] = {"schema", schema_path, NULL};
    void *v = make(s, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(run(v,
                     "{\"uri\":\"urn:x:1\",\"places\":[{\"name\":\"Oslo\",\"geoJSON\":"
                     "{\"type\":\"Point\",\"coordinates\":[10.7,59.9]}}]}",
                     err, sizeof err),
                 NW_PLUGIN_OK, "%s", err);
    nw_plugin_validate.destroy(v);
}
