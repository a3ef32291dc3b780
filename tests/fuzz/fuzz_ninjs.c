/*
 * fuzz_ninjs — libFuzzer target for the ninjs decoder (1.x/2.x/3.x) and the
 * 3.x encoder: bytes -> nw_ninjs_loads -> nw_ninjs_dumps -> nw_ninjs_loads.
 * A story that decodes must encode, and what we encode must decode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw_ninjs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_story *story = NULL;
    nw_err err;
    if (nw_ninjs_loads((const char *)data, size, &story, &err) != 0)
        return 0;
    char *json = nw_ninjs_dumps(story, &err);
    if (json) {
        nw_story *again = NULL;
        if (nw_ninjs_loads(json, strlen(json), &again, &err) != 0)
            abort(); /* we wrote something we cannot read back */
        nw_story_free(again);
    }
    free(json);
    nw_story_free(story);
    return 0;
}
