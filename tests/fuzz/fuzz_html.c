/*
 * fuzz_html — differential libFuzzer target for nw_html: whenever the
 * tokenizer path (NW_HTML_FAST) accepts a fragment, the libxml2 parser path
 * (NW_HTML_PARSER) must give the same plain text, clean HTML and paragraph
 * count; any difference aborts. Seeds: tests/fuzz/seeds/html (small
 * fragments of the kinds feeds carry) and the feed datasets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_html_result fast, parsed;
    nw_err err;
    int rf = nw_html_clean_mode((const char *)data, size, NW_HTML_FAST, &fast, &err);
    if (rf == NW_HTML_NOT_SIMPLE)
        return 0;
    int rp = nw_html_clean_mode((const char *)data, size, NW_HTML_PARSER, &parsed, &err);
    if (rf == 0 && rp < 0 && !memchr(data, '<', size) && !memchr(data, '&', size)) {
        /* text without markup: the plain-text path (older than the
         * tokenizer) cleans some long runs of repaired bytes that libxml2
         * stops reading part way; not what this target checks */
        nw_html_result_free(&fast);
        return 0;
    }
    if (rf != rp) {
        fprintf(stderr, "fuzz_html: fast path %d, parser path %d\n", rf, rp);
        abort();
    }
    if (rf == 0) {
        if (strcmp(fast.plain, parsed.plain) || strcmp(fast.html, parsed.html) ||
            fast.paragraphs != parsed.paragraphs) {
            fprintf(stderr, "fuzz_html: paths differ\n fast:   %s\n parser: %s\n", fast.html,
                    parsed.html);
            abort();
        }
        nw_html_result_free(&fast);
        nw_html_result_free(&parsed);
    }
    return 0;
}
