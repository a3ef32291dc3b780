/*
 * test_memory_bounds — issue 15 item 6: no input within the 16 MiB size
 * limit may take a parser to hundreds of MB. Every format's worst shape
 * (tests/nw_hostile.c) just past its budget is refused with a message that
 * names the limit and where it was passed: the XML node budget
 * (NW_XML_MAX_NODES, per document, per streamed feed item, and in the HTML
 * cleaner), the JSON value budget (NW_JSON_MAX_VALUES) and the plain-text
 * paragraph limit; the same shape just under it still parses. The peaks
 * themselves are bench_parse_memory's; this test only bounds the growth of
 * its own peak where a refused input used to cost hundreds of MB.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nw_buf.h"
#include "nw_hostile.h"
#include "nw_html.h"
#include "nw_json.h"
#include "nw_parser.h"
#include "nw_testutil.h"
#include "nw_xml.h"

typedef struct result {
    int rc;
    nw_err err;
    size_t stories;
    nw_buf warnings;
} result;

static void keep_warning(void *ctx, const char *msg)
{
    result *r = ctx;
    nw_buf_puts(&r->warnings, msg);
    nw_buf_putc(&r->warnings, '\n');
}

static int count_story(void *ctx, nw_story *story, nw_err *err)
{
    (void)err;
    ((result *)ctx)->stories++;
    nw_story_free(story);
    return 0;
}

/* Parse `units` units of the shape (streaming feeds from 1 byte when
 * `stream`), stories counted and freed as they come. */
static result parse_shape(const char *name, long units, bool stream)
{
    const nw_hostile *h = nw_hostile_find(name);
    cr_assert_not_null(h, "%s", name);
    nw_buf b = NW_BUF_INIT;
    cr_assert_eq(nw_hostile_make(h, NW_PARSE_MAX_INPUT, units, &b), units, "%s", name);
    result r = {0};
    nw_parse_opts opts = {.origin = "big",
                          .warn = keep_warning,
                          .warn_ctx = &r,
                          .sink = count_story,
                          .sink_ctx = &r,
                          .stream_above = stream ? 1 : SIZE_MAX};
    nw_story_list list = {.sink = count_story, .sink_ctx = &r};
    r.rc = nw_parse_buffer(h->format, b.data, b.len, &opts, &list, &r.err);
    nw_story_list_free(&list);
    nw_buf_free(&b);
    return r;
}

static void refused(const char *name, long units, bool stream, const char *want)
{
    result r = parse_shape(name, units, stream);
    cr_assert_eq(r.rc, NW_ELIMIT, "%s: %d %s", name, r.rc, r.err.msg);
    cr_assert(strstr(r.err.msg, want), "%s: %s", name, r.err.msg);
    cr_assert(!strncmp(r.err.msg, "big: ", 5), "%s: %s", name, r.err.msg);
    cr_assert(strstr(r.err.msg, "refused to bound memory"), "%s: %s", name, r.err.msg);
    nw_buf_free(&r.warnings);
}

static void accepted(const char *name, long units, bool stream)
{
    result r = parse_shape(name, units, stream);
    cr_assert_eq(r.rc, 0, "%s: %s", name, r.err.msg);
    cr_assert_geq(r.stories, 1, "%s", name);
    nw_buf_free(&r.warnings);
}

#define XML_LIMIT  "over the limit of 300000 XML nodes"
#define JSON_LIMIT "over the limit of 200000 JSON values"

Test(bounds, the_budgets_are_what_the_messages_say)
{
    cr_assert_eq(NW_XML_MAX_NODES, 300000);
    cr_assert_eq(NW_JSON_MAX_VALUES, 200000);
}

/* ---------------------------------------------------------------- XML --- */

Test(bounds, xml_documents_past_the_node_budget_are_refused)
{
    /* nodes per unit: <p>a b</p>\n 3, <br/> 1, <!----> 1, &e; 1 (and the
     * text between), <subject qcode=".."/>\n 4 */
    long n = NW_XML_MAX_NODES;
    refused("nitf-paragraphs", n / 3 + 100, false, XML_LIMIT " (elements, attributes, text");
    refused("nitf-empty-elements", n + 100, false, XML_LIMIT);
    refused("nitf-comments", n + 100, false, XML_LIMIT);
    refused("nitf-entity-references", n + 100, false, XML_LIMIT);
    refused("newsmlg2-subjects", n / 4 + 100, false, XML_LIMIT);
    refused("newsmlg2-itemrefs", n / 4 + 100, false, XML_LIMIT);
    refused("newsmlg2-paragraphs", n / 3 + 100, false, XML_LIMIT);
    refused("newsml12-paragraphs", n / 3 + 100, false, XML_LIMIT);
}

Test(bounds, the_message_names_the_line_where_the_budget_was_passed)
{
    /* one paragraph a line from line 3: node 300,001 is on line ~100,002 */
    result r = parse_shape("nitf-paragraphs", NW_XML_MAX_NODES / 3 + 100, false);
    long line = 0;
    cr_assert_eq(sscanf(r.err.msg, "big: line %ld:", &line), 1, "%s", r.err.msg);
    cr_assert(line > 99000 && line < 101000, "%s", r.err.msg);
    nw_buf_free(&r.warnings);
}

Test(bounds, a_streamed_feed_item_past_the_node_budget_is_refused)
{
    refused("rss-item-categories", NW_XML_MAX_NODES / 3 + 100, true,
            XML_LIMIT " (elements, attributes, text, comments) in one document or one "
                      "streamed item");
    refused("atom-entry-xhtml", NW_XML_MAX_NODES / 3 + 100, true, XML_LIMIT);
    /* read whole, the same */
    refused("rss-item-categories", NW_XML_MAX_NODES / 3 + 100, false, XML_LIMIT);
}

Test(bounds, xml_just_under_the_node_budget_still_parses)
{
    accepted("nitf-paragraphs", NW_XML_MAX_NODES / 3 - 1000, false);
    /* a streamed feed frees each item: many items are no problem */
    accepted("rss-item-categories", NW_XML_MAX_NODES / 3 - 1000, true);
}

Test(bounds, an_html_body_past_the_node_budget_is_left_out_with_a_warning)
{
    /* feeds leave out a body the cleaner refuses, saying why (their rule
     * for every bad body) */
    result r = parse_shape("rss-item-cdata-html", NW_XML_MAX_NODES / 3 + 100, false);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    cr_assert(strstr(nw_buf_str(&r.warnings), "body left out: HTML fragment"), "%s",
              nw_buf_str(&r.warnings));
    cr_assert(strstr(nw_buf_str(&r.warnings), "over the limit of 300000 nodes"), "%s",
              nw_buf_str(&r.warnings));
    nw_buf_free(&r.warnings);
    /* under it, the body is there */
    r = parse_shape("rss-item-cdata-html", 1000, false);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    cr_assert(!strstr(nw_buf_str(&r.warnings), "body left out"), "%s", nw_buf_str(&r.warnings));
    nw_buf_free(&r.warnings);
}

Test(bounds, the_refused_tree_is_never_built)
{
    /* before the budget, a 16 MiB NITF of one-line paragraphs built a tree
     * of 600 MB; refused, this process grows by far less */
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    nw_buf b = NW_BUF_INIT;
    long units = nw_hostile_make(nw_hostile_find("nitf-paragraphs"), NW_PARSE_MAX_INPUT, 0, &b);
    cr_assert_gt(units, 1000000);
    nw_story_list list = {0};
    nw_err err = {0};
    int rc = nw_parse_buffer("nitf", b.data, b.len, NULL, &list, &err);
    getrusage(RUSAGE_SELF, &after);
    nw_buf_free(&b);
    cr_assert_eq(rc, NW_ELIMIT, "%s", err.msg);
    cr_assert_lt(after.ru_maxrss - before.ru_maxrss, 200 * 1024, "grew %ld KiB",
                 after.ru_maxrss - before.ru_maxrss);
}

/* --------------------------------------------------------------- JSON --- */

Test(bounds, json_past_the_value_budget_is_refused_before_it_is_loaded)
{
    long n = NW_JSON_MAX_VALUES;
    refused("ninjs-keywords", n + 100, false, JSON_LIMIT " (objects, arrays, items, members)");
    refused("ninjs-numbers", n + 100, false, JSON_LIMIT);
    refused("ninjs-subjects", n / 3 + 100, false, JSON_LIMIT);
    refused("ninjs-stories", n / 3 + 100, false, JSON_LIMIT);
    refused("jsonfeed-items", n / 5 + 100, false, JSON_LIMIT);
    refused("jsonfeed-numbers", n + 100, false, JSON_LIMIT);
}

Test(bounds, json_just_under_the_value_budget_still_parses)
{
    accepted("ninjs-keywords", NW_JSON_MAX_VALUES - 1000, false);
    accepted("jsonfeed-items", NW_JSON_MAX_VALUES / 5 - 1000, false);
}

Test(bounds, the_value_count_skips_strings_and_names_line_and_byte)
{
    nw_err err = {0};
    /* [1,2,3]: the array and three items; the fourth value starts at the
     * second comma, byte 4 */
    cr_assert_eq(nw_json_check_values("[1,2,3]", 7, 4, &err), 0);
    cr_assert_eq(nw_json_check_values("[1,2,3]", 7, 3, &err), NW_ELIMIT);
    cr_assert_str_eq(err.msg, "line 1 (byte 4): over the limit of 3 JSON values (objects, "
                              "arrays, items, members) in one document: refused to bound memory");
    /* separators inside strings, escaped quotes included, are text */
    const char *s = "{\"a,b:[{\": \"x\\\",y,z\"}";
    cr_assert_eq(nw_json_check_values(s, strlen(s), 3, &err), 0, "%s", err.msg);
    /* the second comma, byte 6 (from 0) on line 3 */
    cr_assert_eq(nw_json_check_values("[\n1,\n2,\n3]", 10, 3, &err), NW_ELIMIT);
    cr_assert(!strncmp(err.msg, "line 3 (byte 6):", 16), "%s", err.msg);
}

/* --------------------------------------------------------- plain text --- */

Test(bounds, text_past_the_paragraph_limit_is_refused)
{
    refused("webcopy-paragraphs", 200100, false,
            "over the limit of 200000 paragraphs in one text file");
    accepted("webcopy-paragraphs", 199000, false);
}

/* -------------------------------------------------- attributes per tag --- */

/* "<p a0="" a1="" ...>" with n attributes, `between` before each. */
static char *tag_with(size_t n, const char *between)
{
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "<p");
    for (size_t i = 0; i < n; i++)
        nw_buf_printf(&b, "%sa%zu=\"\"", between, i);
    nw_buf_puts(&b, ">x</p>");
    return nw_buf_take(&b);
}

Test(bounds, a_tag_with_too_many_attributes_is_refused_before_parsing)
{
    /* libxml2 compares each attribute with every one before it: 40,000 in
     * one tag took 12 s of CPU, a 16 MiB tag hours */
    result r = parse_shape("nitf-attributes", NW_XML_MAX_ATTRIBUTES + 1, false);
    cr_assert_eq(r.rc, NW_ELIMIT, "%s", r.err.msg);
    cr_assert_str_eq(r.err.msg, "big: line 3: a start tag with over 1000 attributes: refused (the "
                                "parser compares each attribute with every other)");
    r = parse_shape("nitf-attributes", NW_XML_MAX_ATTRIBUTES, false);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    /* the whole 16 MiB shape is refused at once */
    r = parse_shape("nitf-attributes", 1000000, false);
    cr_assert_eq(r.rc, NW_ELIMIT, "%s", r.err.msg);
}

Test(bounds, attributes_are_counted_as_the_parser_reads_tags)
{
    char *t = tag_with(1001, " ");
    cr_assert_eq(nw_xml_overfull_tag(t, strlen(t), false, 1000, 7), 7);
    cr_assert_eq(nw_xml_overfull_tag(t, strlen(t), false, 1001, 1), 0);
    free(t);
    /* newlines between attributes move the line count, not the tag's line */
    t = tag_with(3, "\n");
    cr_assert_eq(nw_xml_overfull_tag(t, strlen(t), false, 2, 1), 1);
    free(t);
    /* quoted values may hold '>' and spaces; comments, CDATA and PIs are
     * not tags; an end tag has no attributes to check */
    const char *s = "<a x=\"> y z\" w='> v'/><!-- <b c d e> --><![CDATA[<f g h i>]]>"
                    "<?pi <j k l m>?></a k l m n>";
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), false, 2, 1), 0);
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), false, 1, 1), 1);
    /* a tag in an entity's value is counted: it is parsed where it is used */
    s = "<!DOCTYPE d [<!ENTITY e \"<p a='' b='' c=''/>\">]>\n<d>&e;</d>";
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), false, 2, 1), 1);
    /* HTML: values without quotes or without '=' are attributes too, and a
     * CDATA section is not skipped (the HTML parser does not know it) */
    s = "<p a b=1 c=\"x y\" d>";
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), true, 3, 1), 1);
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), true, 4, 1), 0);
    s = "<![CDATA[ <p a b c> ]]>";
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), true, 2, 1), 1);
    cr_assert_eq(nw_xml_overfull_tag(s, strlen(s), false, 2, 1), 0);
}

Test(bounds, an_html_body_with_a_tag_of_too_many_attributes_is_refused)
{
    char *t = tag_with(NW_XML_MAX_ATTRIBUTES + 1, " ");
    nw_html_result out;
    nw_err err = {0};
    cr_assert_eq(nw_html_clean(t, strlen(t), &out, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "a start tag with over 1000 attributes at its line 1"), "%s",
              err.msg);
    free(t);
    t = tag_with(NW_XML_MAX_ATTRIBUTES, " ");
    cr_assert_eq(nw_html_clean(t, strlen(t), &out, &err), 0, "%s", err.msg);
    cr_assert_str_eq(out.plain, "x");
    nw_html_result_free(&out);
    free(t);
}

Test(bounds, too_many_attribute_defaults_are_refused)
{
    /* libxml2 adds every default of an element to each of its tags, each
     * checked against all the attributes there: 200,000 defaults did not
     * parse in 20 s */
    result r = parse_shape("nitf-attribute-defaults", NW_XML_MAX_ATTRIBUTE_DEFAULTS + 1, false);
    cr_assert_eq(r.rc, NW_ELIMIT, "%s", r.err.msg);
    cr_assert(strstr(r.err.msg, "big: line 2: over 100 attribute defaults declared (<!ATTLIST>)"),
              "%s", r.err.msg);
    r = parse_shape("nitf-attribute-defaults", 200000, false);
    cr_assert_eq(r.rc, NW_ELIMIT, "%s", r.err.msg);
    r = parse_shape("nitf-attribute-defaults", NW_XML_MAX_ATTRIBUTE_DEFAULTS, false);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
}

Test(bounds, a_tag_in_an_entity_text_is_held_to_the_attribute_limit)
{
    /* "&#60;" is '<' in an entity's replacement text, parsed as markup
     * where the entity is used */
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE d [\n<!ENTITY e \"&#60;p");
    for (int i = 0; i <= NW_XML_MAX_ATTRIBUTES; i++)
        nw_buf_printf(&b, " a%d=''", i);
    nw_buf_puts(&b, "/>\">\n]>\n<d>&e;</d>\n");
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(b.data, b.len, "e.xml", NULL, 0, &d, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "e.xml:3: an entity's text holds a start tag with over 1000 "
                              "attributes: refused"),
              "%s", err.msg);
    nw_buf_free(&b);
}
