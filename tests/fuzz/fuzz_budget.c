/*
 * fuzz_budget — libFuzzer target for the pre-parse limits: the byte scans
 * that refuse an input before a parser can blow up must never count less
 * than the parser then meets, or a hostile input gets past them.
 *   - nw_xml_overfull_tag (XML): no start tag libxml2 reads in the
 *     document has more attributes than the scan counted for it (the HTML
 *     scan is a best effort: libxml2's HTML tokenizer has quirks it does
 *     not follow, so it is not held to this);
 *   - nw_json_check_values: jansson never loads more values than counted.
 * Any input that breaks one aborts. Seeds: the XML, HTML and JSON seeds of
 * the other targets.
 */
#include <jansson.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_json.h"
#include "nw_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t most;     /* most attributes of one start tag the parser read */
static void *main_ctxt; /* tags in entities' text are parsed in contexts of their own */

static void on_start_ns(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                        const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                        int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    size_t n = (size_t)(nb_namespaces + nb_attributes - nb_defaulted);
    if (ctx == main_ctxt && n > most)
        most = n;
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void check_tags(const char *s, size_t len)
{
    if (most && nw_xml_overfull_tag(s, len, false, most - 1, 1) == 0) {
        fprintf(stderr, "fuzz_budget: an XML tag of %zu attributes got past the scan\n", most);
        abort();
    }
}

static size_t count_values(const json_t *v)
{
    size_t n = 1;
    if (json_is_array(v))
        for (size_t i = 0; i < json_array_size(v); i++)
            n += count_values(json_array_get(v, i));
    const char *k;
    json_t *m;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, m) n += count_values(m);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* libxml2 reads bytes as nw_xml gives them: UTF-8, no NUL */
    if (size == 0 || size > INT32_MAX || memchr(s, '\0', size))
        return 0;
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(NULL, NULL);

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt) {
        ctxt->sax->startElementNs = on_start_ns;
        main_ctxt = ctxt;
        most = 0;
        xmlDocPtr doc = xmlCtxtReadMemory(ctxt, s, (int)size, NULL, "UTF-8",
                                          XML_PARSE_NONET | XML_PARSE_NOERROR |
                                              XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        check_tags(s, size);
    }
    json_t *j = json_loadb(s, size, JSON_DECODE_ANY, NULL);
    if (j) {
        size_t n = count_values(j);
        json_decref(j);
        nw_err err;
        if (n > 1 && nw_json_check_values(s, size, n - 1, &err) == 0) {
            fprintf(stderr, "fuzz_budget: jansson loaded %zu values, more than counted\n", n);
            abort();
        }
    }
    return 0;
}
