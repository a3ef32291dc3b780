/*
 * fuzz_html — libFuzzer target for nw_html: any fragment cleans without a
 * crash, leak or sanitizer report, and when nw_html_clean takes its
 * no-markup path the libxml2 parser path (NW_HTML_PARSER) must give the same
 * plain text, clean HTML and paragraph count; any difference aborts. Seeds:
 * tests/fuzz/seeds/html (small fragments of the kinds feeds carry) and the
 * feed datasets.
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
    int rf = nw_html_clean((const char *)data, size, &fast, &err);
    if (rf < 0 || memchr(data, '<', size) || memchr(data, '&', size)) {
        if (rf == 0)
            nw_html_result_free(&fast);
        return 0; /* markup: nw_html_clean parsed it, nothing to compare */
    }
    int rp = nw_html_clean_mode((const char *)data, size, NW_HTML_PARSER, &parsed, &err);
    if (rp < 0) {
        /* some long runs of repaired bytes libxml2 stops reading part way */
        nw_html_result_free(&fast);
        return 0;
    }
    if (strcmp(fast.plain, parsed.plain) || strcmp(fast.html, parsed.html) ||
        fast.paragraphs != parsed.paragraphs) {
        fprintf(stderr, "fuzz_html: paths differ\n plain path: %s\n parser:     %s\n", fast.html,
                parsed.html);
        abort();
    }
    nw_html_result_free(&fast);
    nw_html_result_free(&parsed);
    return 0;
}
