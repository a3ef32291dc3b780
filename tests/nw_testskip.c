/*
 * nw_testskip — compiled into every Criterion test program: when the shared
 * datasets (NW_SHARED_DIR, default ../shared) are missing and tests were
 * skipped for it, the program exits 77, which ctest reports as *skipped*
 * (SKIP_RETURN_CODE), never as passed. With NW_REQUIRE_SHARED set (not "0";
 * .ci/run sets it) a missing shared dir is a failure instead. A program with
 * a failing test keeps Criterion's failing status.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_testutil.h"

#define NW_TEST_SKIPPED 77

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (nw_test_shared_dir() || stats->tests_skipped == 0)
        return;
    const char *required = getenv("NW_REQUIRE_SHARED");
    if (required && *required && strcmp(required, "0")) {
        fprintf(stderr,
                "%zu tests need the shared datasets, which are missing (NW_SHARED_DIR), "
                "and NW_REQUIRE_SHARED is set: failing\n",
                stats->tests_skipped);
        exit(1);
    }
    if (stats->tests_failed == 0 && stats->tests_crashed == 0) {
        fprintf(stderr, "%zu tests skipped: the shared datasets are missing (NW_SHARED_DIR)\n",
                stats->tests_skipped);
        exit(NW_TEST_SKIPPED);
    }
}
