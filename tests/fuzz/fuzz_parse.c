/*
 * fuzz_parse — libFuzzer target for the whole parse path of one format:
 * input hygiene (size, binary, UTF-8 repair, line ends), the parser, and the
 * ninjs encoder on whatever stories come out. Built once per registered
 * format with NW_FUZZ_FORMAT set to its name (fuzz_parse_<format>), and once
 * without (fuzz_parse_auto: format detection first). Any crash, leak or
 * sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nw_ninjs.h"
#include "nw_parser.h"

#ifndef NW_FUZZ_FORMAT
#define NW_FUZZ_FORMAT "auto"
#endif

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_parse_opts opts = {.origin = "fuzz", .max_input_bytes = 1 << 20, .warn = ignore_warning};
    nw_story_list stories = {0};
    nw_err err;
    if (nw_parse_buffer(NW_FUZZ_FORMAT, (const char *)data, size, &opts, &stories, &err) == 0) {
        for (size_t i = 0; i < stories.len; i++) {
            char *json = nw_ninjs_dumps(stories.items[i], &err);
            if (!json)
                abort(); /* a parser produced a story the codec cannot write */
            free(json);
        }
    }
    nw_story_list_free(&stories);
    return 0;
}
