/*
 * test_fuzz_regressions — every input a fuzzer once crashed us with, kept in
 * tests/fixtures/fuzz-regressions/ as "<format>--<what broke>". Each must
 * parse or fail cleanly, and every story it yields must encode (a story the
 * codec cannot write — e.g. a string cut inside a UTF-8 sequence — is a bug).
 * Runs under ASan in `make test`, which is what catches use-after-free.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

Test(fuzz_regressions, every_saved_crash_now_parses_or_fails_cleanly)
{
    char *dir = nw_test_fixture_path("fuzz-regressions");
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *sep = strstr(e->d_name, "--");
        if (e->d_name[0] == '.' || !sep)
            continue;
        char format[64];
        snprintf(format, sizeof format, "%.*s", (int)(sep - e->d_name), e->d_name);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        nw_parse_opts opts = {.warn = quiet};
        nw_story_list stories = {0};
        nw_err err;
        if (nw_parse_file(path, format, &opts, &stories, &err) == 0) {
            for (size_t i = 0; i < stories.len; i++) {
                char *json = nw_ninjs_dumps(stories.items[i], &err);
                cr_assert_not_null(json, "%s: story %zu does not encode: %s", e->d_name, i,
                                   err.msg);
                free(json);
            }
        } else {
            cr_assert(strstr(err.msg, path) == err.msg, "error must name the file: %s", err.msg);
        }
        nw_story_list_free(&stories);
        seen++;
    }
    closedir(d);
    free(dir);
    cr_assert_geq(seen, 3);
}
