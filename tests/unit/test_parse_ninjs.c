/*
 * test_parse_ninjs — the JSON wire parsers ("ninjs", "dpa-digitalwires",
 * "ap-media-json"): own fixtures (an array with an update and a kill, a
 * Superdesk wrapper, digitalwires, truncated JSON), then every file of the
 * shared ninjs folders (should_fail files fail with a clear message or are
 * read tolerantly; everything read validates against ninjs 3.1), the
 * GraphQL camelCase variant, the 19 dpa digitalwires files and the AP Media
 * API files (refused as not supported, with that message).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_buf.h"
#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static int parse_path(const char *path, const char *format, const char *category, nw_story_list *l,
                      nw_err *err)
{
    nw_parse_opts o = {.warn = quiet, .default_category = category};
    return nw_parse_file(path, format, &o, l, err);
}

static int parse_fixture(const char *name, const char *format, nw_story_list *l, nw_err *err)
{
    char *path = nw_test_fixture_path(name);
    int rc = parse_path(path, format, NULL, l, err);
    free(path);
    return rc;
}

static const char *category(const nw_story *s)
{
    const char *slug = NULL;
    return nw_story_categories(s, &slug, 1) ? slug : NULL;
}

Test(ninjs_fixture, array_with_update_and_kill)
{
    nw_story_list l = {0};
    nw_err err;
    cr_assert_eq(parse_fixture("ninjs/array-two-versions.json", "auto", &l, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(l.len, 2);
    cr_assert_str_eq(l.items[0]->uri, l.items[1]->uri, "versions keep the uri");
    cr_assert_str_eq(l.items[0]->version_created, "2024-03-01T09:00:00Z");
    cr_assert_str_eq(category(l.items[0]), "shipping", "rel category subjects are kept");
    cr_assert_str_eq(l.items[1]->version, "2");
    cr_assert_str_eq(l.items[1]->pub_status, "canceled");
    nw_story_list_free(&l);
}

Test(ninjs_fixture, superdesk_wrapper_and_service)
{
    nw_story_list l = {0};
    nw_err err;
    cr_assert_eq(parse_fixture("ninjs/superdesk-wrapper.json", "ninjs", &l, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(l.len, 1);
    const nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "tag:example.org,2024:ferry");
    cr_assert_str_eq(s->type, "text", "type story read as text");
    cr_assert_str_eq(nw_story_headline(s), "Ferry timetable changes");
    cr_assert_str_eq(category(s), "transport", "service name is the category");
    nw_story_list_free(&l);
}

Test(ninjs_fixture, digitalwires)
{
    nw_story_list l = {0};
    nw_err err;
    char *path = nw_test_fixture_path("ninjs/digitalwires.json");
    char *text = nw_test_read_file(path, NULL);
    cr_assert_eq(nw_parser_detect(text, strlen(text)), &nw_parser_dpa_digitalwires);
    free(text);
    cr_assert_eq(parse_path(path, "auto", NULL, &l, &err), 0, "%s", err.msg);
    const nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:dpa.com:20090101:000000-99-000001");
    cr_assert_str_eq(s->version, "2");
    cr_assert_str_eq(s->embargoed_until, "2025-01-23T18:00:00Z");
    cr_assert_str_eq(s->version_created, "2025-01-23T09:00:00Z");
    cr_assert_str_eq(nw_story_headline(s), "F\xC3\xA4hre f\xC3\xA4hrt wieder");
    cr_assert_str_eq(s->located, "Kiel");
    cr_assert_str_eq(category(s), "vermischtes", "desk vm");
    cr_assert_str_eq(nw_story_body(s, "text/plain"), "Die F\xC3\xA4hre f\xC3\xA4hrt wieder.");
    cr_assert_eq(s->urgency, 3);
    nw_story_list_free(&l);
    /* asked for the wrong JSON format */
    cr_assert_lt(parse_path(path, "ap-media-json", NULL, &l, &err), 0);
    cr_assert(strstr(err.msg, "not ap-media-json JSON (this looks like dpa-digitalwires)"), "%s",
              err.msg);
    free(path);
}

Test(ninjs_fixture, syntax_errors_have_line_and_column)
{
    nw_story_list l = {0};
    nw_err err;
    cr_assert_lt(parse_fixture("ninjs/truncated.json", "ninjs", &l, &err), 0);
    cr_assert(strstr(err.msg, "truncated.json: line 4, column 0: invalid JSON"), "%s", err.msg);
    nw_parse_opts o = {.origin = "x.json", .warn = quiet};
    cr_assert_lt(nw_parse_buffer("ninjs", "[]", 2, &o, &l, &err), 0);
    cr_assert_str_eq(err.msg, "x.json: the array is empty: no story");
    cr_assert_lt(nw_parse_buffer("ninjs", "[{\"uri\":\"a\"},3]", 15, &o, &l, &err), 0);
    cr_assert_str_eq(err.msg, "x.json: [1]: expected a ninjs object");
    cr_assert_eq(l.len, 0);
}

/* Warnings joined with '\n' (ctx is an nw_buf). */
static void collect(void *ctx, const char *msg)
{
    nw_buf_puts(ctx, msg);
    nw_buf_putc(ctx, '\n');
}

/* The tolerant reading of 3.x look-alikes: bad timestamps (lowercase or
 * camelCase, not a date, no such day) left out with a warning in the order
 * they are checked, pubStatus "draft" (on pubStatus even when it is not a
 * string), representationType "complete" and unknown ones, legacy names
 * renamed unless the 3.x name is there, `provider` as the source, and a
 * leap second or zero milliseconds normalized. */
Test(ninjs_fixture, variants_read_tolerantly)
{
    static const char in[] =
        "[{\"uri\":\"a1\",\"versioncreated\":\"Last Tuesday\",\"versionCreated\":"
        "\"2024-03-05T14:30:00Z\",\"firstCreated\":\"2024-02-30T00:00:00Z\",\"embargoed\":"
        "\"2024-03-06T00:00:00+01:00\",\"contentCreated\":\"2024-03-05 10:00\",\"pubStatus\":"
        "\"draft\",\"representationType\":\"complete\",\"representationtype\":\"weird\","
        "\"ednote\":\"note\",\"byline\":\"Jane\",\"persons\":[{\"name\":\"P\"}],\"rightsinfo\":{"
        "\"langId\":\"en\",\"linkedRights\":\"http://x\"},\"copyrightholder\":\"H\","
        "\"copyrightnotice\":\"N\",\"usageterms\":\"U\",\"provider\":\"Acme News\","
        "\"headlines\":[{\"value\":\"H1\"}]},"
        "{\"uri\":\"a2\",\"pubstatus\":\"draft\",\"pubStatus\":5,\"embargoed\":\"bad\","
        "\"embargoedUntil\":\"2024-01-01T00:00:00.500Z\",\"headlines\":[{\"value\":\"H2\"}]},"
        "{\"uri\":\"a3\",\"edNote\":\"kept\",\"ednote\":\"dropped\",\"embargoed\":"
        "\"2024-01-02T00:00:00Z\",\"versionCreated\":\"2024-01-01T00:00:60Z\",\"firstCreated\":"
        "\"2024-01-01T00:00:00.000Z\",\"infoSources\":[{\"name\":\"X\",\"role\":\"source\"}],"
        "\"provider\":\"Other\",\"headlines\":[{\"value\":\"H3\"}]}]";
    static const char *const want[] = {
        "{\"by\":\"Jane\",\"contentCreated\":\"2024-03-05T10:00:00Z\",\"copyrightHolder\":\"H\","
        "\"copyrightNotice\":\"N\",\"edNote\":\"note\",\"embargoedUntil\":\"2024-03-05T23:00:00Z\","
        "\"headlines\":[{\"value\":\"H1\"}],\"infoSources\":[{\"name\":\"Acme News\",\"role\":"
        "\"source\"}],\"people\":[{\"name\":\"P\"}],\"pubStatus\":\"withheld\","
        "\"representationType\":\"full\",\"rightsInfo\":{\"langId\":\"en\",\"linkedRights\":"
        "\"http://x\"},\"type\":\"text\",\"uri\":\"urn:newswire:acme-news:a1\",\"usageTerms\":"
        "\"U\",\"versionCreated\":\"2024-03-05T14:30:00Z\"}",
        "{\"embargoedUntil\":\"2024-01-01T00:00:00.500Z\",\"headlines\":[{\"value\":\"H2\"}],"
        "\"pubStatus\":\"withheld\",\"type\":\"text\",\"uri\":\"urn:newswire:ninjs:a2\"}",
        "{\"edNote\":\"kept\",\"embargoedUntil\":\"2024-01-02T00:00:00Z\",\"firstCreated\":"
        "\"2024-01-01T00:00:00Z\",\"headlines\":[{\"value\":\"H3\"}],\"infoSources\":[{\"name\":"
        "\"X\",\"role\":\"source\"}],\"type\":\"text\",\"uri\":\"urn:newswire:x:a3\","
        "\"versionCreated\":\"2024-01-01T00:01:00Z\"}",
    };
    nw_buf warnings = NW_BUF_INIT;
    nw_parse_opts o = {.origin = "v.json", .warn = collect, .warn_ctx = &warnings};
    nw_story_list l = {0};
    nw_err err;
    cr_assert_eq(nw_parse_buffer("ninjs", in, sizeof in - 1, &o, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.len, 3);
    for (size_t i = 0; i < l.len; i++) {
        char *json = nw_ninjs_dumps(l.items[i], &err);
        cr_assert_not_null(json, "%s", err.msg);
        cr_assert_str_eq(json, want[i]);
        free(json);
    }
    cr_assert_str_eq(nw_buf_str(&warnings),
                     "v.json: [0]: versioncreated: 'Last Tuesday' is not a timestamp, left out\n"
                     "v.json: [0]: firstCreated: '2024-02-30T00:00:00Z' is not a timestamp, left "
                     "out\n"
                     "v.json: [0]: pubStatus 'draft' read as 'withheld'\n"
                     "v.json: [0]: representationType 'weird' unknown, left out\n"
                     "v.json: [1]: embargoed: 'bad' is not a timestamp, left out\n"
                     "v.json: [1]: pubStatus 'draft' read as 'withheld'\n");
    nw_buf_free(&warnings);
    nw_story_list_free(&l);
}

/* ------------------------------------------------------------- shared --- */

static nw_jsonschema *schema;

static void load_schema(void)
{
    char *dir = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    if (!dir)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    nw_err err;
    cr_assert_eq(nw_jsonschema_load_ninjs(&schema, dir, &err), 0, "%s", err.msg);
    free(dir);
}

/* Every story of l validates; returns how many do not (only tolerated for
 * the deliberately invalid should_fail inputs, where `strict` is false). */
static size_t validate_all_ex(const nw_story_list *l, const char *path, bool strict)
{
    size_t bad = 0;
    for (size_t i = 0; i < l->len; i++) {
        nw_err err;
        char *text = nw_ninjs_dumps(l->items[i], &err);
        if (!text) {
            cr_assert(!strict, "%s: %s", path, err.msg);
            bad++;
            continue;
        }
        json_t *msg = json_loads(text, 0, NULL);
        int rc = nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err);
        if (rc != 0) {
            cr_assert(!strict, "%s [%zu] fails ninjs 3.1: %s\n%s", path, i, err.msg, text);
            cr_log_info("%s [%zu] read tolerantly but fails ninjs 3.1: %s", path, i, err.msg);
            bad++;
        }
        json_decref(msg);
        free(text);
    }
    return bad;
}

static void validate_all(const nw_story_list *l, const char *path)
{
    validate_all_ex(l, path, true);
}

typedef struct tally {
    size_t files, ok, failed, stories, invalid_out;
} tally;

/* Parse every .json under dir (recursive). Files under should_fail/ may fail
 * (with a message); every other file must parse. */
static void walk(const char *dir, tally *t)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(e->d_name, "schemas") && strcmp(e->d_name, "NewsML-1.2"))
                walk(path, t);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") || strstr(e->d_name, "GeoJSON") ||
            strstr(path, "schema-extension/extension-schema"))
            continue;
        nw_story_list l = {0};
        nw_err err;
        int rc = parse_path(path, "auto", NULL, &l, &err);
        t->files++;
        if (rc < 0) {
            cr_assert(strstr(path, "should_fail") || strstr(path, "not-valid"), "%s must parse: %s",
                      path, err.msg);
            cr_assert(strstr(err.msg, path) && strlen(err.msg) > strlen(path) + 10, "%s", err.msg);
            t->failed++;
        } else {
            t->invalid_out += validate_all_ex(&l, path, !strstr(path, "should_fail"));
            t->ok++;
            t->stories += l.len;
        }
        nw_story_list_free(&l);
    }
    closedir(d);
}

Test(ninjs_shared, every_ninjs_file, .init = load_schema)
{
    char *dir = nw_test_shared_path("datasets/ninjs");
    tally t = {0};
    walk(dir, &t);
    free(dir);
    cr_log_info("ninjs: %zu files, %zu parsed (%zu stories), %zu refused, %zu should_fail "
                "stories read but invalid",
                t.files, t.ok, t.stories, t.failed, t.invalid_out);
    cr_assert_leq(t.invalid_out, 1, "only 3.0/should_fail/005 (plannedCoverage urgency 11)");
    cr_assert_gt(t.ok, 180);
    cr_assert_gt(t.failed, 15, "the malformed should_fail files are refused");
    nw_jsonschema_free(schema);
}

static const nw_story *one(const char *rel, const char *format, nw_story_list *l)
{
    char *path = nw_test_shared_path(rel);
    nw_err err;
    cr_assert_eq(parse_path(path, format, NULL, l, &err), 0, "%s", err.msg);
    free(path);
    return l->items[0];
}

Test(ninjs_shared, deliberate_failures_say_why)
{
    char *p = nw_test_shared_path("datasets/ninjs/iptc-newsinjson/test_suite/1.0/should_fail");
    if (!p)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"001_no_uri_declared.json", "missing 'uri'"},
        {"009_body_text_with_cr.json", "line 3, column 41: invalid JSON"},
        {"010_body_must_be_string.json", "line 7, column 18: invalid JSON"},
        {"012_location_not_object.json", "line 10, column 5: invalid JSON"},
        {"015_pubstatus_commissioned.json", "'commissioned' is not usable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", p, cases[i].file);
        nw_story_list l = {0};
        nw_err err;
        cr_assert_lt(parse_path(path, "auto", NULL, &l, &err), 0, "%s parsed", path);
        cr_assert(strstr(err.msg, cases[i].want), "%s", err.msg);
    }
    free(p);
}

Test(ninjs_shared, samples_and_categories)
{
    char *root = nw_test_shared_path("datasets/ninjs");
    if (!root)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    free(root);
    nw_story_list l = {0};
    const nw_story *s = one("datasets/ninjs/superdesk-core/bbc-ninjs-text-test.json", "auto", &l);
    cr_assert_str_eq(s->uri, "https://www.example.com//12345");
    cr_assert_str_eq(category(s), "planning-permission");
    cr_assert_str_eq(s->version_created, "2018-05-28T16:40:08Z");
    nw_story_list_free(&l);

    s = one("datasets/ninjs/superdesk-core/ninjs1.json", "ninjs", &l);
    cr_assert_str_eq(category(s), "advisory", "from service");
    nw_story_list_free(&l);

    s = one("datasets/ninjs/superdesk-core/ninjs_embargoed.json", "ninjs", &l);
    cr_assert_not_null(s->embargoed_until);
    cr_assert_str_eq(category(s), "environment");
    nw_story_list_free(&l);

    s = one("datasets/ninjs/superdesk-core/ninjs4.json", "ninjs", &l);
    cr_assert_str_eq(category(s), "science", "first coded subject");
    nw_story_list_free(&l);

    /* the camelCase GraphQL dialect: 23 items, tolerant reading */
    s = one("datasets/ninjs/iptc-newsinjson/variants/graphql-data-camelcase.json", "auto", &l);
    cr_assert_eq(l.len, 23);
    cr_assert_str_eq(s->version_created, "2019-11-15T14:39:44Z");
    cr_assert_str_eq(s->ed_note, "TURKEY OUT  NOV. 11, 2019 FILE PHOTO", "ednote -> edNote");
    cr_assert_str_eq(nw_story_provider(s), "AP", "provider -> infoSources role source");
    cr_assert_str_eq(category(s), "international-news");
    nw_story_list_free(&l);
}

Test(ninjs_shared, digitalwires_all_19)
{
    char *dir =
        nw_test_shared_path("datasets/newsml-g2/dpa-digitalwires-to-newsmlg2/digitalwires-json");
    if (!dir)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    load_schema();
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".json"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        nw_story_list l = {0};
        nw_err err;
        cr_assert_eq(parse_path(path, "auto", "wire", &l, &err), 0, "%s", err.msg);
        cr_assert_eq(l.len, 1);
        cr_assert(!strncmp(l.items[0]->uri, "urn:newsml:", 11));
        cr_assert_gt(nw_story_categories(l.items[0], NULL, 0), 0);
        validate_all(&l, path);
        nw_story_list_free(&l);
        files++;
    }
    closedir(d);
    cr_assert_eq(files, 19);
    nw_story_list l = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/embargoed.json", dir);
    nw_err err;
    cr_assert_eq(parse_path(path, "dpa-digitalwires", NULL, &l, &err), 0, "%s", err.msg);
    const nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:dpa.com:20090101:250123-930-353124");
    cr_assert_str_eq(s->embargoed_until, "2025-01-23T18:00:00Z");
    cr_assert_str_eq(s->version, "1");
    cr_assert_str_eq(s->pub_status, "usable");
    cr_assert_str_eq(category(s), "kultur");
    cr_assert(!strncmp(nw_story_headline(s), "Steinmeier: Russland zerst\xC3\xB6rt", 30));
    cr_assert_str_eq(s->located, "Berlin");
    nw_story_list_free(&l);
    free(dir);
    nw_jsonschema_free(schema);
}

Test(ninjs_shared, ap_media_is_refused_clearly)
{
    char *dir = nw_test_shared_path("datasets/other-wire/ap-media-api-json");
    if (!dir)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    static const char *const files[] = {"ap_media_feed.json", "ap_media_item.json",
                                        "ap_media_picture.json", "ap_media_text_feed.json",
                                        "ap_media_text_item.json"};
    for (size_t i = 0; i < 5; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        nw_story_list l = {0};
        nw_err err;
        cr_assert_lt(parse_path(path, "auto", NULL, &l, &err), 0);
        cr_assert(strstr(err.msg, "AP Media API JSON (api_version/data) is not supported yet"),
                  "%s", err.msg);
    }
    free(dir);
}

/* ---------------------------------------- ninjs input checked by the schema */

/* A registry from NW_NINJS_SCHEMA (ctest sets it to the shared copy), or
 * the test is skipped. */
static nw_jsonschema *schema_or_skip(void)
{
    nw_jsonschema *s = NULL;
    nw_err err = {0};
    int rc = nw_ninjs_schema_open(NULL, &s, &err);
    if (rc == NW_ENOTFOUND) {
        nw_jsonschema_free(s);
        cr_skip_test("%s", err.msg);
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    return s;
}

Test(ninjs_schema, invalid_input_fails_the_file_with_the_schema_error)
{
    char *path = nw_test_shared_path("datasets/ninjs/iptc-newsinjson/test_suite/3.0/should_fail/"
                                     "005_planned_coverage_bad_urgency.json");
    if (!path)
        cr_skip_test("no shared datasets");
    nw_jsonschema *s = schema_or_skip();
    nw_story_list l = {0};
    nw_err err = {0};
    /* without a schema (tools that only read) it passes through */
    cr_assert_eq(parse_path(path, "ninjs", NULL, &l, &err), 0, "%s", err.msg);
    nw_story_list_free(&l);
    nw_parser_set_ninjs_schema(s);
    cr_assert_eq(parse_path(path, "ninjs", NULL, &l, &err), NW_EINVAL);
    cr_assert_eq(l.len, 0, "nothing of the file is kept");
    cr_assert(strstr(err.msg, "story 1 (") &&
                  strstr(err.msg, "not valid ninjs 3.1: /plannedCoverage/0"),
              "%s", err.msg);
    /* a valid document still goes through */
    cr_assert_eq(parse_fixture("ninjs/array-two-versions.json", "auto", &l, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(l.len, 2);
    nw_story_list_free(&l);
    nw_parser_set_ninjs_schema(NULL);
    nw_jsonschema_free(s);
    free(path);
}

Test(ninjs_schema, without_the_schema_file_ninjs_input_fails_and_says_why)
{
    nw_jsonschema *s = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_ninjs_schema_open("/nonexistent/ninjs-schema_3.1.json", &s, &err),
                 NW_ENOTFOUND);
    cr_assert(strstr(err.msg, "/nonexistent/ninjs-schema_3.1.json"), "%s", err.msg);
    cr_assert_not_null(s, "an empty registry, so that ninjs input fails");
    nw_parser_set_ninjs_schema(s);
    nw_story_list l = {0};
    cr_assert_eq(parse_fixture("ninjs/array-two-versions.json", "auto", &l, &err), NW_ENOTFOUND);
    cr_assert(strstr(err.msg, "cannot be checked against the schema"), "%s", err.msg);
    cr_assert_eq(l.len, 0);
    /* the other formats are valid by construction and not checked */
    cr_assert_eq(parse_fixture("ninjs/digitalwires.json", "auto", &l, &err), 0, "%s", err.msg);
    nw_story_list_free(&l);
    nw_parser_set_ninjs_schema(NULL);
    nw_jsonschema_free(s);
}
