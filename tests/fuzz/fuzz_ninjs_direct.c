/*
 * fuzz_ninjs_direct — libFuzzer target for the ninjs parser's fast path
 * (nw_ninjs_direct) against its tree path: bytes -> nw_ninjs_parse_direct and
 * nw_ninjs_parse_tree. When the fast path takes the input, the tree path must
 * succeed without a warning and give the same story (field by field, and the
 * same nw_ninjs_dumps bytes); when it declines, it must leave nothing. The
 * input's first byte picks the default category (none, "bench", or one with
 * an empty slug), the rest is the document.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ninjs_direct_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const categories[] = {NULL, "bench", "!!!"};
    const char *category = size ? categories[data[0] % 3] : NULL;
    /* a seed file as it is (starting with '{' or whitespace) keeps all its bytes */
    if (size && (data[0] == '{' || data[0] == ' ' || data[0] == '\n' || data[0] == '['))
        category = "bench";
    else if (size)
        data++, size--;
    char *buf = malloc(size + 1); /* the parser gets NUL-terminated text */
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    bool accepted;
    const char *bad = ndc_check(buf, size, category, &accepted);
    if (bad) {
        fprintf(stderr, "fuzz_ninjs_direct: %s\n", bad);
        abort();
    }
    free(buf);
    return 0;
}
