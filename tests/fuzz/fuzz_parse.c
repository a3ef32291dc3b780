/*
 * fuzz_parse — libFuzzer target for the whole parse path of one format:
 * input hygiene (size, binary, UTF-8 repair, line ends), the parser, and the
 * ninjs encoder on whatever stories come out. Built once per registered
 * format with NW_FUZZ_FORMAT set to its name (fuzz_parse_<format>), and once
 * without (fuzz_parse_auto: format detection first). Any crash, leak or
 * sanitizer report is a bug.
 *
 * For the XML feed formats ("rss", "atom" and "auto") every input is also
 * parsed streaming (nw_parse_opts.stream_above = 1: the path of feeds over
 * 1 MiB, one item in memory at a time) and the two must agree exactly:
 * status, error message, warnings and every story's JSON. A difference
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"
#include "nw_ninjs.h"
#include "nw_parser.h"

#ifndef NW_FUZZ_FORMAT
#define NW_FUZZ_FORMAT "auto"
#endif

/* What one parse said: status, error, warnings, stories as JSON lines. */
typedef struct outcome {
    int rc;
    nw_err err;
    nw_buf said;
} outcome;

static void keep_warning(void *ctx, const char *msg)
{
    outcome *o = ctx;
    nw_buf_puts(&o->said, msg);
    nw_buf_putc(&o->said, '\n');
}

static void parse_once(const uint8_t *data, size_t size, size_t stream_above, outcome *o)
{
    memset(o, 0, sizeof *o);
    nw_parse_opts opts = {.origin = "fuzz", .max_input_bytes = 1 << 20, .warn = keep_warning};
    opts.warn_ctx = o;
    opts.stream_above = stream_above;
    nw_story_list stories = {0};
    o->rc = nw_parse_buffer(NW_FUZZ_FORMAT, (const char *)data, size, &opts, &stories, &o->err);
    if (o->rc == 0) {
        for (size_t i = 0; i < stories.len; i++) {
            char *json = nw_ninjs_dumps(stories.items[i], &o->err);
            if (!json)
                abort(); /* a parser produced a story the codec cannot write */
            nw_buf_puts(&o->said, json);
            nw_buf_putc(&o->said, '\n');
            free(json);
        }
    }
    nw_story_list_free(&stories);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome whole;
    parse_once(data, size, SIZE_MAX, &whole);
    if (!strcmp(NW_FUZZ_FORMAT, "rss") || !strcmp(NW_FUZZ_FORMAT, "atom") ||
        !strcmp(NW_FUZZ_FORMAT, "auto")) {
        outcome stream;
        parse_once(data, size, 1, &stream);
        if (stream.rc != whole.rc || strcmp(stream.err.msg, whole.err.msg) ||
            strcmp(nw_buf_str(&stream.said), nw_buf_str(&whole.said))) {
            fprintf(stderr,
                    "streaming and whole reads differ:\n  whole  %d %s\n%s\n  stream %d %s\n%s\n",
                    whole.rc, whole.err.msg, nw_buf_str(&whole.said), stream.rc, stream.err.msg,
                    nw_buf_str(&stream.said));
            abort();
        }
        nw_buf_free(&stream.said);
    }
    nw_buf_free(&whole.said);
    return 0;
}
