/*
 * fuzz_parse — libFuzzer target for the whole parse path of every format:
 * input hygiene (size, binary, UTF-8 repair, line ends), format detection,
 * the parser, and the ninjs encoder on whatever stories come out. The first
 * input byte picks the format ("auto" or one registered parser) so a single
 * target covers them all. Any crash, leak or sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nw_ninjs.h"
#include "nw_parser.h"

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const nw_parser *const *parsers;
    size_t count = nw_parser_all(&parsers);
    size_t pick = data[0] % (count + 1);
    const char *format = pick == count ? "auto" : parsers[pick]->name;

    nw_parse_opts opts = {.origin = "fuzz", .max_input_bytes = 1 << 20, .warn = ignore_warning};
    nw_story_list stories = {0};
    nw_err err;
    if (nw_parse_buffer(format, (const char *)data + 1, size - 1, &opts, &stories, &err) == 0) {
        for (size_t i = 0; i < stories.len; i++) {
            char *json = nw_ninjs_dumps(stories.items[i], &err);
            free(json);
        }
    }
    nw_story_list_free(&stories);
    return 0;
}
