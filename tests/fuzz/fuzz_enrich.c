/*
 * fuzz_enrich — libFuzzer target for the enrich plugin's tokenizer and
 * matchers: the input bytes are the body of a ninjs story (its first line
 * also the headline), plain and as HTML, and run through nw_enrich_story
 * with the build tree's data. Must never crash, and the story must stay a
 * JSON object whose added arrays hold objects with string names. The
 * tokenizer's offsets must stay inside the input. The language detector
 * (nw_enrich_lang) also reads the raw bytes, invalid UTF-8 included, every
 * candidate and only Latin ones: an answer is a tag of the list.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich.h"
#include "nw_enrich_data.h"
#include "nw_enrich_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nw_enrich *core;
static nw_enrich_lang *langs[2]; /* every language; two Latin ones */
static size_t input_len;

static void check_token(void *ctx, size_t off, size_t len, unsigned flags)
{
    (void)ctx;
    (void)flags;
    if (len == 0 || off + len > input_len)
        abort();
}

static void check_array(json_t *story, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(story, key), i, v)
    {
        if (!json_is_object(v) || !json_is_string(json_object_get(v, "name")))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!core) {
        nw_err err;
        nw_enrich_data *d = nw_enrich_data_acquire(NW_ENRICH_FUZZ_DATA_DIR, &err);
        nw_enrich_opts o;
        nw_enrich_opts_default(&o);
        if (!d || !(core = nw_enrich_new(d, &o, &err))) {
            fprintf(stderr, "fuzz_enrich: %s\n", err.msg);
            abort();
        }
        static const char *const two[] = {"cs", "sk"};
        const char *conf = NW_ENRICH_FUZZ_DATA_DIR "/textcat.conf";
        langs[0] = nw_enrich_lang_new(conf, "/usr/share/libexttextcat/", NULL, 0, &err);
        langs[1] =
            langs[0] ? nw_enrich_lang_new(conf, "/usr/share/libexttextcat/", two, 2, &err) : NULL;
        if (!langs[1]) {
            fprintf(stderr, "fuzz_enrich: %s\n", err.msg);
            abort();
        }
    }
    for (int i = 0; i < 2; i++) {
        char tag[16];
        if (nw_enrich_lang_detect(langs[i], (const char *)data, size, tag) &&
            (!memchr(tag, '\0', sizeof tag) || !tag[0]))
            abort();
    }
    input_len = size;
    nw_enrich_tokenize((const char *)data, size, check_token, NULL);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    for (int html = 0; html < 2; html++) {
        json_t *s = json_object();
        json_object_set_new(s, "uri", json_string("u"));
        /* jansson refuses invalid UTF-8: then the story has no text at all */
        json_t *body = json_stringn_nocheck(text, strlen(text));
        json_object_set_new(s, html ? "body_html" : "body_text", body);
        if (nl)
            json_object_set_new(s, "headline", json_stringn_nocheck(text, (size_t)(nl - text)));
        nw_enrich_result r;
        nw_enrich_story(core, s, &r);
        check_array(s, "people");
        check_array(s, "places");
        check_array(s, "organisations");
        check_array(s, "subjects");
        json_decref(s);
    }
    free(text);
    return 0;
}
