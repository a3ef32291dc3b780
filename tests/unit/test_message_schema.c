/*
 * test_message_schema — every message the project writes validates against
 * the official IPTC ninjs 3.1 schema (strict, formats checked): the parse
 * output of the seed story, the project's own fixtures and samples, and the
 * whole BBC corpus. The schema is read from the shared datasets, so these
 * tests skip without them.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_storycheck.h"
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
    for (size_t i = 0; i < stories.len; i++)
        nw_test_assert_valid_ninjs(schema, stories.items[i], path);
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

/* ------------------------------------------- every format, every file --- */

typedef struct tally {
    size_t files, parsed, stories, invalid;
    char first_invalid[4096 + NW_ERR_MSG_MAX + 8];
} tally;

static void validate_stories(const char *path, nw_story_list *stories, tally *t)
{
    for (size_t i = 0; i < stories->len; i++) {
        nw_err err;
        char *text = nw_ninjs_dumps(stories->items[i], &err);
        cr_assert_not_null(text, "%s: story %zu does not encode: %s", path, i, err.msg);
        json_t *msg = json_loads(text, 0, NULL);
        cr_assert_not_null(msg, "%s: we wrote invalid JSON", path);
        t->stories++;
        if (nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err) != 0) {
            if (!t->invalid++)
                snprintf(t->first_invalid, sizeof t->first_invalid, "%s: %s", path, err.msg);
        }
        json_decref(msg);
        free(text);
    }
}

/* Parse every file under dir (recursively) with format detection. Files that
 * fail to parse are the parsers' own tests' business (deliberately broken
 * samples); every story that does come out must be valid ninjs 3.1. */
static void walk(const char *dir, tally *t)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, t);
            continue;
        }
        const char *dot = strrchr(e->d_name, '.');
        if (!dot || !strcmp(dot, ".xsd") || !strcmp(dot, ".md") || !strcmp(dot, ".tsv") ||
            !strncmp(e->d_name, "README", 6) || strstr(e->d_name, "schema") ||
            strstr(e->d_name, "strings.lc") || strstr(e->d_name, "descriptions") ||
            !strcmp(dot, ".dtd"))
            continue;
        t->files++;
        int warnings = 0;
        nw_parse_opts opts = {.warn = quiet, .warn_ctx = &warnings, .max_input_bytes = 64u << 20};
        nw_story_list stories = {0};
        nw_err err;
        if (nw_parse_file(path, "auto", &opts, &stories, &err) == 0) {
            t->parsed++;
            validate_stories(path, &stories, t);
        }
        nw_story_list_free(&stories);
    }
    closedir(d);
}

static void check_tree(const char *rel, size_t min_stories)
{
    char *dir = nw_test_shared_path(rel);
    tally t = {0};
    walk(dir, &t);
    cr_log_info("%s: %zu files, %zu parsed, %zu stories, %zu invalid", rel, t.files, t.parsed,
                t.stories, t.invalid);
    cr_assert_eq(t.invalid, 0, "%s: %zu of %zu stories fail ninjs 3.1; first: %s", rel, t.invalid,
                 t.stories, t.first_invalid);
    cr_assert_geq(t.stories, min_stories, "%s: only %zu stories from %zu files", rel, t.stories,
                  t.files);
    free(dir);
}

Test(message_schema, nitf_output_validates)
{
    check_tree("datasets/nitf", 19);
}
Test(message_schema, newsml12_output_validates)
{
    check_tree("datasets/newsml-1.2", 4);
}
Test(message_schema, newsmlg2_output_validates, .timeout = 120)
{
    check_tree("datasets/newsml-g2", 100);
}
Test(message_schema, feed_output_validates, .timeout = 120)
{
    check_tree("datasets/feeds", 400);
}
Test(message_schema, ninjs_examples_output_validates)
{
    check_tree("datasets/ninjs/iptc-newsinjson/examples", 40);
    check_tree("datasets/ninjs/superdesk-core", 9);
}
Test(message_schema, other_wire_output_validates)
{
    check_tree("datasets/other-wire", 17);
}
Test(message_schema, reuters_output_validates, .timeout = 240)
{
    check_tree("datasets/corpora/reuters21578", 21578);
}
