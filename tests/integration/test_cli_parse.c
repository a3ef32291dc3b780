/*
 * test_cli_parse — the built `newswire parse` binary end to end: good files
 * print one ninjs JSON line per story, bad files are named on stderr and the
 * others still print, exit codes 0 / 64 / 65, stdin, options.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_parser.h"
#include "nw_testutil.h"

typedef nw_test_cli run;

/* Run `newswire parse <args...>` (NULL-terminated), stdin from `input`. */
static run parse_cmd(const char *input, const char *first, ...)
{
    static const char *const lead[] = {"parse", NULL};
    va_list ap;
    va_start(ap, first);
    run r = nw_test_newswire(input, 30, lead, first, ap);
    va_end(ap);
    return r;
}

static void run_free(run *r)
{
    nw_test_cli_free(r);
}

/* Split stdout into lines; each must be one JSON object. Returns the count
 * and fills up to max headlines (json_t objects, caller decrefs). */
static size_t json_lines(const char *out, json_t **objs, size_t max)
{
    size_t n = 0;
    const char *p = out;
    while (*p) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "last line has no newline: '%s'", p);
        json_error_t jerr;
        json_t *o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
        cr_assert_not_null(o, "line %zu is not JSON: %s", n + 1, jerr.text);
        cr_assert(json_is_object(o));
        cr_assert(memchr(p, '\n', (size_t)(nl - p)) == NULL);
        if (n < max)
            objs[n] = o;
        else
            json_decref(o);
        n++;
        p = nl + 1;
    }
    return n;
}

static const char *headline_of(const json_t *o)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(o, "headlines"), 0), "value"));
}

static void decref_all(json_t **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(objs[i]);
}

Test(cli_parse, good_and_bad_files)
{
    char *harbour = nw_test_fixture_path("webcopy/harbour_talks.txt");
    char *buses = nw_test_fixture_path("webcopy/no_caption.txt");
    char *empty = nw_test_fixture_path("bad/empty.txt");
    char *binary = nw_test_fixture_path("bad/binary.png");
    run r = parse_cmd(NULL, harbour, empty, buses, binary, "/nonexistent.txt", NULL);
    cr_assert_eq(r.status, 65, "status %d, stderr: %s", r.status, r.err);

    json_t *objs[4];
    cr_assert_eq(json_lines(r.out, objs, 4), 2, "stdout: %s", r.out);
    cr_assert_str_eq(headline_of(objs[0]),
                     "Ministers agree on new harbour deal after all-night talks");
    cr_assert_str_eq(json_string_value(json_object_get(objs[0], "versionCreated")),
                     "2015-12-16T00:43:03Z");
    cr_assert_not_null(json_object_get(objs[0], "associations"));
    cr_assert_str_eq(headline_of(objs[1]), "City council votes to keep night buses running");
    cr_assert_null(strstr(r.out, "Disqus"));
    decref_all(objs, 2);

    char want[4200];
    snprintf(want, sizeof want, "newswire: %s: empty file\n", empty);
    cr_assert_not_null(strstr(r.err, want), "stderr: %s", r.err);
    snprintf(want, sizeof want, "newswire: %s: binary data, not text (offset 6)\n", binary);
    cr_assert_not_null(strstr(r.err, want), "stderr: %s", r.err);
    cr_assert_not_null(
        strstr(r.err, "newswire: /nonexistent.txt: cannot open: No such file or directory\n"),
        "stderr: %s", r.err);
    run_free(&r);

    /* all good: exit 0, nothing on stderr */
    r = parse_cmd(NULL, harbour, buses, NULL);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert_eq(json_lines(r.out, objs, 4), 2);
    decref_all(objs, 2);
    cr_assert_str_eq(r.err, "");
    run_free(&r);
    free(harbour);
    free(buses);
    free(empty);
    free(binary);
}

Test(cli_parse, options)
{
    char *harbour = nw_test_fixture_path("webcopy/harbour_talks.txt");
    run r = parse_cmd(NULL, "--timezone", "Asia/Shanghai", harbour, NULL);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    json_t *objs[2];
    cr_assert_eq(json_lines(r.out, objs, 2), 1);
    cr_assert_str_eq(json_string_value(json_object_get(objs[0], "versionCreated")),
                     "2015-12-15T16:43:03Z");
    decref_all(objs, 1);
    run_free(&r);

    /* forcing the wrong format is a data error naming the file */
    r = parse_cmd(NULL, "--format", "headline-text", harbour, NULL);
    cr_assert_eq(r.status, 0); /* any text has a headline and paragraphs */
    run_free(&r);
    char *bbc_like = nw_test_fixture_path("bad/invalid_utf8.txt");
    r = parse_cmd(NULL, "--format=webcopy", bbc_like, NULL);
    cr_assert_eq(r.status, 65);
    char want[4200];
    snprintf(want, sizeof want, "newswire: %s: no 'Source:", bbc_like);
    cr_assert_not_null(strstr(r.err, want), "stderr: %s", r.err);
    run_free(&r);

    /* repaired encoding: printed, with a warning naming the file */
    r = parse_cmd(NULL, "--category", "Business", bbc_like, NULL);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    snprintf(want, sizeof want, "newswire: warning: %s: invalid UTF-8 at offset 3", bbc_like);
    cr_assert_not_null(strstr(r.err, want), "stderr: %s", r.err);
    cr_assert_eq(json_lines(r.out, objs, 2), 1);
    cr_assert_str_eq(headline_of(objs[0]), "Caf\xC3\xA9 prices rise by 10%");
    json_t *subject = json_array_get(json_object_get(objs[0], "subjects"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(subject, "literal")), "business");
    decref_all(objs, 1);
    run_free(&r);
    free(bbc_like);
    free(harbour);
}

Test(cli_parse, stdin)
{
    run r = parse_cmd("Headline from a pipe\n\nFirst.\n\nSecond.\n", "-", NULL);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    json_t *objs[2];
    cr_assert_eq(json_lines(r.out, objs, 2), 1);
    cr_assert_str_eq(headline_of(objs[0]), "Headline from a pipe");
    decref_all(objs, 1);
    run_free(&r);

    r = parse_cmd("just one line", "-", NULL);
    cr_assert_eq(r.status, 65);
    const char *want = "newswire: <stdin>: unrecognised format (known: ";
    cr_assert_eq(strncmp(r.err, want, strlen(want)), 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "webcopy, headline-text)\n"), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    run_free(&r);

    /* a pipe over the limit is refused once it passes the limit */
    size_t big = NW_PARSE_MAX_INPUT + 4096;
    char *input = malloc(big + 1);
    cr_assert_not_null(input);
    memset(input, 'a', big);
    input[big] = '\0';
    r = parse_cmd(input, "-", NULL);
    free(input);
    cr_assert_eq(r.status, 65);
    cr_assert_str_eq(r.err, "newswire: <stdin>: input is over the limit of 16777216 bytes\n");
    run_free(&r);
}

Test(cli_parse, huge_file_refused_fast)
{
    char *dir = nw_test_mkdtemp("cliparse");
    char path[4096];
    snprintf(path, sizeof path, "%s/huge.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, 50L * 1000 * 1000), 0);
    close(fd);
    run r = parse_cmd(NULL, path, NULL);
    cr_assert_eq(r.status, 65);
    char want[4200];
    snprintf(want, sizeof want,
             "newswire: %s: file is 50000000 bytes, over the limit of 16777216 bytes\n", path);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    nw_test_rm_tmp(&dir);
}

Test(cli_parse, usage_errors)
{
    char *harbour = nw_test_fixture_path("webcopy/harbour_talks.txt");
    run r = parse_cmd(NULL, NULL);
    cr_assert_eq(r.status, 64);
    cr_assert_not_null(strstr(r.err, "no FILE given"));
    cr_assert_not_null(strstr(r.err, "usage: newswire parse"));
    run_free(&r);

    r = parse_cmd(NULL, "--bogus", harbour, NULL);
    cr_assert_eq(r.status, 64);
    cr_assert_not_null(strstr(r.err, "unknown option '--bogus'"), "%s", r.err);
    run_free(&r);

    r = parse_cmd(NULL, "--format", "no-such-format", harbour, NULL);
    cr_assert_eq(r.status, 64);
    cr_assert_not_null(strstr(r.err, "unknown format 'no-such-format'"), "%s", r.err);
    run_free(&r);

    r = parse_cmd(NULL, "--timezone", "Mars/Olympus_Mons", harbour, NULL);
    cr_assert_eq(r.status, 64);
    cr_assert_not_null(strstr(r.err, "--timezone"), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    run_free(&r);

    r = parse_cmd(NULL, "--category", "---", harbour, NULL);
    cr_assert_eq(r.status, 64);
    run_free(&r);

    r = parse_cmd(NULL, harbour, "--timezone", NULL);
    cr_assert_eq(r.status, 64); /* options may follow files; this one lacks its value */
    cr_assert_not_null(strstr(r.err, "needs a value"), "%s", r.err);
    run_free(&r);

    r = parse_cmd(NULL, "--help", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "webcopy"));
    cr_assert_not_null(strstr(r.out, "headline-text"));
    run_free(&r);
    free(harbour);
}

/* ninjs input is checked against the ninjs 3.1 schema: an invalid document
 * fails (exit 65, the schema's message); a schema path that does not exist
 * is a usage error; without any schema file ninjs input fails, saying why. */
Test(cli_parse, ninjs_input_is_checked_against_the_schema)
{
    char *bad = nw_test_shared_path("datasets/ninjs/iptc-newsinjson/test_suite/3.0/should_fail/"
                                    "005_planned_coverage_bad_urgency.json");
    char *schema = nw_test_shared_path("datasets/ninjs/iptc-newsinjson/schemas/"
                                       "ninjs-schema_3.1.json");
    char *good = nw_test_fixture_path("ninjs/array-two-versions.json");
    if (!bad || !schema)
        cr_skip_test("no shared datasets");
    run r = parse_cmd(NULL, "--ninjs-schema", schema, bad, good, NULL);
    cr_assert_eq(r.status, 65, "%s", r.err);
    cr_assert(strstr(r.err, "not valid ninjs 3.1: /plannedCoverage/0"), "%s", r.err);
    cr_assert_eq(json_lines(r.out, NULL, 0), 2, "the valid file still prints");
    run_free(&r);

    r = parse_cmd(NULL, "--ninjs-schema", "/nonexistent/schema.json", good, NULL);
    cr_assert_eq(r.status, 64, "%s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/schema.json"), "%s", r.err);
    run_free(&r);

    setenv("NW_NINJS_SCHEMA", "/nonexistent/schema.json", 1);
    r = parse_cmd(NULL, good, NULL);
    unsetenv("NW_NINJS_SCHEMA");
    cr_assert_eq(r.status, 65, "%s", r.err);
    cr_assert(strstr(r.err, "cannot be checked against the schema"), "%s", r.err);
    run_free(&r);
    free(bad);
    free(schema);
    free(good);
}
