/*
 * fuzz_json — differential libFuzzer target for nw_json: nw_json_loadb and
 * jansson's json_loadb on the same bytes, with each flag set the project
 * uses (and two it leaves to jansson), must both fail with the same
 * json_error_t, or both succeed with equal trees that dump to the same bytes
 * (JSON_COMPACT: key order, -0.0) and the same json_error_t; any difference
 * aborts. Seeds: tests/fuzz/seeds/json and the ninjs datasets.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, size_t flags, const json_error_t *ej, const json_error_t *en)
{
    fprintf(stderr, "fuzz_json: %s (flags 0x%zx)\n jansson: %d:%d:%d %s\n fast:    %d:%d:%d %s\n",
            what, flags, ej->line, ej->column, ej->position, ej->text, en->line, en->column,
            en->position, en->text);
    abort();
}

static void check(const char *buf, size_t len, size_t flags)
{
    json_error_t ej, en;
    memset(&ej, 0x5A, sizeof ej);
    memset(&en, 0x5A, sizeof en);
    json_t *a = json_loadb(buf, len, flags, &ej);
    json_t *b = nw_json_loadb(buf, len, flags, &en);
    if (!a != !b)
        fail(a ? "only jansson accepts" : "only the fast path accepts", flags, &ej, &en);
    if (memcmp(&ej, &en, sizeof ej))
        fail("json_error_t differs", flags, &ej, &en);
    if (a) {
        if (!json_equal(a, b))
            fail("trees differ", flags, &ej, &en);
        char *da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
        char *db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!da || !db || strcmp(da, db)) {
            fprintf(stderr, " jansson: %s\n fast:    %s\n", da ? da : "?", db ? db : "?");
            fail("dumps differ", flags, &ej, &en);
        }
        free(da);
        free(db);
    }
    json_decref(a);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t flag_sets[] = {
        0,
        JSON_DECODE_ANY,
        JSON_REJECT_DUPLICATES,
        JSON_DECODE_ANY | JSON_ALLOW_NUL,
        JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
        JSON_DISABLE_EOF_CHECK,
        JSON_DECODE_INT_AS_REAL,
    };
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++)
        check(buf, size, flag_sets[i]);
    free(buf);
    return 0;
}
