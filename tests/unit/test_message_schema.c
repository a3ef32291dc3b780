/*
 * test_message_schema — every message the project writes validates against
 * the official IPTC ninjs 3.1 schema (strict, formats checked): the parse
 * output of the seed story, the project's own fixtures and samples, and the
 * whole BBC corpus. The schema is read from the shared datasets, so these
 * tests skip without them.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

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

static void unload_schema(void)
{
    nw_jsonschema_free(schema);
    schema = NULL;
}

static void quiet(void *ctx, const char *msg)
{
    (void)msg;
    ++*(int *)ctx;
}

/* Parse one file and validate every message it becomes; returns the story count. */
static size_t check_file(const char *path, const char *format, const char *category)
{
    int warnings = 0;
    nw_parse_opts opts = {.default_category = category, .warn = quiet, .warn_ctx = &warnings};
    nw_story_list stories = {0};
    nw_err err;
    cr_assert_eq(nw_parse_file(path, format, &opts, &stories, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < stories.len; i++) {
        char *text = nw_ninjs_dumps(stories.items[i], &err);
        cr_assert_not_null(text, "%s: %s", path, err.msg);
        json_error_t jerr;
        json_t *msg = json_loads(text, 0, &jerr);
        cr_assert_not_null(msg, "%s: we wrote invalid JSON: %s", path, jerr.text);
        int rc = nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err);
        cr_assert_eq(rc, 0, "%s: message fails ninjs 3.1: %s\n%s", path, err.msg, text);
        json_decref(msg);
        free(text);
    }
    size_t n = stories.len;
    nw_story_list_free(&stories);
    return n;
}

/* Check every regular file of dir (not recursive) with a suffix; returns stories. */
static size_t check_dir(const char *dir, const char *suffix, const char *format,
                        const char *category)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    size_t stories = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name), s = strlen(suffix);
        if (e->d_name[0] == '.' || n < s || strcmp(e->d_name + n - s, suffix))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        stories += check_file(path, format, category);
    }
    closedir(d);
    return stories;
}

TestSuite(message_schema, .init = load_schema, .fini = unload_schema);

Test(message_schema, seed_story_and_own_samples_validate)
{
    char *seed = nw_test_shared_path("examples/000_6618c4effffb78b3.txt");
    cr_assert_eq(check_file(seed, "auto", NULL), 1);
    free(seed);

    char *fixtures = nw_test_fixture_path("webcopy");
    cr_assert_geq(check_dir(fixtures, ".txt", "auto", NULL), 3);
    free(fixtures);

    const char *src = getenv("NW_SOURCE_DIR");
    char samples[4096];
    snprintf(samples, sizeof samples, "%s/deploy/samples", src ? src : ".");
    cr_assert_geq(check_dir(samples, ".txt", "webcopy", NULL), 5);
}

Test(message_schema, whole_bbc_corpus_validates, .timeout = 240)
{
    static const char *const categories[] = {"business", "entertainment", "politics", "sport",
                                              "tech"};
    size_t total = 0;
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "datasets/corpora/bbc-fulltext/bbc/%s", categories[i]);
        char *dir = nw_test_shared_path(rel);
        total += check_dir(dir, ".txt", "headline-text", categories[i]);
        free(dir);
    }
    cr_assert_eq(total, 2225, "the BBC corpus has 2,225 stories, got %zu", total);
}
