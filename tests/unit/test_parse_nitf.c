/*
 * test_parse_nitf — the "nitf" format: our own invented fixtures (always run),
 * every NITF file of the shared datasets (parses, validates against ninjs 3.1),
 * hand-checked fields of each agency's sample (AAP, AP, PA, EFE, NTB, Ritzau,
 * Canadian Press, IPTC), and nw_nitf_fill_story on the NITF the NewsML-G2
 * listings carry in inlineXML. Shared-data tests skip when ../shared is absent.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_nitf.h"
#include "nw_parser.h"
#include "nw_storycheck.h"
#include "nw_testutil.h"
#include "nw_xml.h"

#define NITF_SD "datasets/nitf/superdesk-core/"

/* ------------------------------------------------------------- helpers --- */

static char *fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "nitf/%s", name);
    return nw_test_fixture_path(rel);
}

static char *shared(const char *rel)
{
    char *p = nw_test_shared_path(rel);
    if (!p)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    return p;
}

/* Parse a file that must give exactly one story (frees path). */
static nw_story *parse_one(char *path, const char *category, nw_test_warnings *w)
{
    nw_parse_opts opts = {.default_category = category};
    nw_test_warnings quiet = {0};
    if (!w)
        w = &quiet; /* keep the test log clean */
    if (w) {
        opts.warn = nw_test_collect_warning;
        opts.warn_ctx = w;
    }
    nw_story_list list = {0};
    nw_err err = {0};
    int rc = nw_parse_file(path, "nitf", &opts, &list, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    cr_assert_eq(list.len, 1, "%s: %zu stories", path, list.len);
    nw_story *s = list.items[0];
    list.len = 0;
    nw_story_list_free(&list);
    free(path);
    return s;
}

/* Parse a file that must fail; returns the error message (frees path). */
static void parse_fail(char *path, const char *format, nw_err *err)
{
    nw_parse_opts opts = {.warn = nw_test_collect_warning, .warn_ctx = &(nw_test_warnings){0}};
    nw_story_list list = {0};
    int rc = nw_parse_file(path, format, &opts, &list, err);
    cr_assert_lt(rc, 0, "%s parsed but should not", path);
    cr_assert_eq(list.len, 0);
    free(path);
}

/* First paragraph of the plain body, malloc'd. */

/* Validate one story against ninjs 3.1 when the schema is there. */

/* ------------------------------------------------------------ fixtures --- */

Test(nitf_fixture, harbour_fields)
{
    nw_test_warnings w = {0};
    nw_story *s = parse_one(fixture("harbour.xml"), "general", &w);
    cr_expect_str_eq(s->uri, "urn:newswire:example-wire:EW%202024%2F77");
    cr_expect_str_eq(s->version, "3");
    cr_expect_str_eq(s->pub_status, "usable");
    cr_expect_str_eq(s->version_created, "2024-03-01T07:15:00Z");
    cr_expect_str_eq(s->first_created, "2024-03-01T07:15:00Z");
    cr_expect_str_eq(s->embargoed_until, "2024-03-01T11:00:00Z");
    cr_expect_str_eq(s->content_created, "2024-03-01T07:00:00Z");
    cr_expect_eq(s->urgency, 2);
    cr_expect_str_eq(s->language, "en-GB");
    cr_expect_str_eq(nw_story_headline(s), "Harbour talks resume after strike");
    const nw_text *sub = nw_test_find_text(&s->headlines, "subheadline");
    cr_assert_not_null(sub);
    cr_expect_str_eq(sub->value, "Union and port agree to meet");
    cr_expect_str_eq(s->by, "By Jo Reporter, Port correspondent");
    cr_expect_str_eq(s->located, "Lisbon, Portugal");
    cr_expect_str_eq(s->ed_note, "Embargoed to noon CET");
    cr_expect_str_eq(s->slugline, "harbour-talks");
    cr_expect_str_eq(s->copyright_notice, "Copyright 2024 Example Wire");
    cr_expect_str_eq(nw_story_provider(s), "Example Wire");
    cr_assert_eq(s->descriptions.len, 1);
    cr_expect_str_eq(s->descriptions.items[0].value, "Talks resume on Friday.");

    char *p1 = nw_test_first_paragraph(s);
    cr_expect_str_eq(p1, "LISBON \xE2\x80\x94 Talks between the Dockers Union and the port "
                         "resume today.");
    free(p1);
    const char *plain = nw_story_body(s, "text/plain");
    cr_expect_null(strstr(plain, "caption"), "media caption leaked into the body: %s", plain);
    cr_expect_null(strstr(plain, "alert"), "script leaked into the body: %s", plain);
    cr_expect_not_null(strstr(plain, "Background"));
    const char *html = nw_story_body(s, "text/html");
    cr_assert_not_null(html);
    cr_expect_not_null(strstr(html, "<h2>Background</h2>"), "%s", html);

    /* categories: the non-genre subject types; "Feature" is a genre */
    nw_test_assert_categories(s, (const char *[]){"business", "ports"}, 2);
    cr_expect_not_null(nw_test_find_entity(&s->genres, "Feature", NULL));
    cr_expect_not_null(nw_test_find_entity(&s->genres, "Current", NULL));
    const nw_entity *subj = nw_test_find_entity(&s->subjects, "Business", "subject");
    cr_assert_not_null(subj);
    cr_expect_str_eq(subj->uri, "http://cv.iptc.org/newscodes/subjectcode/04000000");
    bool xyz = false;
    for (size_t i = 0; i < s->subjects.len; i++)
        if (s->subjects.items[i].literal && !strcmp(s->subjects.items[i].literal, "xyz:B-17"))
            xyz = true;
    cr_expect(xyz, "provider subject code kept as literal");
    cr_expect_not_null(nw_test_find_entity(&s->subjects, "harbour", "keyword"));
    cr_expect_not_null(nw_test_find_entity(&s->organisations, "Dockers Union", NULL));
    cr_expect_not_null(nw_test_find_entity(&s->people, "Ana Lima", NULL));
    cr_expect_not_null(nw_test_find_entity(&s->places, "Setúbal", NULL));
    cr_expect_null(nw_test_find_entity(&s->people, "Jo Reporter", NULL),
                   "the byline is not a subject");
    json_t *alt = s->extra ? json_object_get(s->extra, "altIds") : NULL;
    cr_assert(json_is_array(alt));
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(alt, 0), "value")),
                     "EW 2024/77");
    cr_expect_str_eq(json_string_value(json_object_get(s->extra, "expires")),
                     "2024-04-01T00:00:00Z");
    cr_expect_eq(w.count, 0, "unexpected warnings: %s", w.all);
    nw_test_assert_valid_ninjs(NULL, s, "harbour.xml");
    nw_story_free(s);
}

Test(nitf_fixture, kill_keeps_uri)
{
    nw_story *a = parse_one(fixture("harbour.xml"), NULL, NULL);
    nw_story *k = parse_one(fixture("harbour_kill.xml"), NULL, NULL);
    cr_expect_str_eq(k->uri, a->uri);
    cr_expect_str_eq(k->pub_status, "canceled");
    cr_expect_str_eq(k->version, "4");
    cr_expect_str_eq(k->version_created, "2024-03-01T10:00:00Z");
    cr_expect_null(k->embargoed_until);
    cr_expect_eq(nw_story_categories(k, NULL, 0), 0, "no category and no default");
    nw_story_free(a);
    nw_story_free(k);
}

Test(nitf_fixture, bad_fields_warn_not_fail)
{
    nw_test_warnings w = {0};
    nw_story *s = parse_one(fixture("bad_fields.xml"), "misc", &w);
    cr_expect_str_eq(nw_story_headline(s), "Bad fields");
    cr_expect_null(s->version_created, "Feb 30 must not become a date");
    cr_expect_null(s->first_created);
    cr_expect_eq(s->urgency, 0);
    cr_expect_null(s->language);
    cr_expect_str_eq(s->version, "1");
    cr_expect_str_eq(s->pub_status, "usable");
    cr_expect(strncmp(s->uri, "urn:newswire:nitf:", 18) == 0, "hash uri: %s", s->uri);
    nw_test_assert_categories(s, (const char *[]){"misc"}, 1);
    cr_expect_geq(w.count, 6, "warnings:\n%s", w.all);
    cr_expect_not_null(strstr(w.all, "ed-urg '12'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "date.issue '2024-02-30T10:00:00Z'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "management-status 'maybe'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "bad_fields.xml: line "), "origin and line: %s", w.all);
    /* the same input always yields the same uri */
    nw_story *again = parse_one(fixture("bad_fields.xml"), NULL, NULL);
    cr_expect_str_eq(again->uri, s->uri);
    nw_story_free(again);
    nw_story_free(s);
}

Test(nitf_fixture, latin1_bytes)
{
    nw_story *s = parse_one(fixture("latin1.xml"), NULL, NULL);
    cr_expect_str_eq(nw_story_headline(s), "Café prices up");
    char *p = nw_test_first_paragraph(s);
    cr_expect_str_eq(p, "A café costs £2.");
    free(p);
    cr_expect_str_eq(s->uri, "urn:newswire:nitf:L1");
    nw_story_free(s);
}

Test(nitf_fixture, errors_are_clear)
{
    nw_err err = {0};
    parse_fail(fixture("not_nitf.xml"), "nitf", &err);
    cr_expect_not_null(strstr(err.msg, "not_nitf.xml: "), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "expected root element <nitf>, found <rss>"), "%s", err.msg);
    parse_fail(fixture("broken.xml"), "nitf", &err);
    cr_expect_not_null(strstr(err.msg, "broken.xml"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "7"), "line of the mismatch: %s", err.msg);
}

Test(nitf_fixture, detect)
{
    const char *doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE nitf SYSTEM \"x.dtd\">\n"
                      "<nitf><head/></nitf>";
    cr_expect_eq(nw_parser_detect(doc, strlen(doc)), &nw_parser_nitf);
    const char *ns = "<n:nitf xmlns:n=\"http://iptc.org/std/NITF/2006-10-18/\"/>";
    cr_expect_eq(nw_parser_detect(ns, strlen(ns)), &nw_parser_nitf);
    const char *g2 = "<newsItem><contentSet><inlineXML><nitf/></inlineXML></contentSet>"
                     "</newsItem>";
    cr_expect_neq(nw_parser_detect(g2, strlen(g2)), &nw_parser_nitf);
    cr_expect_eq(nw_parser_nitf.flags & NW_PARSER_RAW_BYTES, NW_PARSER_RAW_BYTES);
}

Test(nitf_fixture, auto_format)
{
    char *path = fixture("harbour.xml");
    nw_story_list list = {0};
    nw_err err = {0};
    cr_assert_eq(nw_parse_file(path, "auto", NULL, &list, &err), 0, "%s", err.msg);
    cr_assert_eq(list.len, 1);
    cr_expect_str_eq(nw_story_headline(list.items[0]), "Harbour talks resume after strike");
    nw_story_list_free(&list);
    free(path);
}

Test(nitf_fixture, fill_keeps_wrapper_values)
{
    char *path = fixture("harbour.xml");
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf);
    nw_xml_doc doc = {0};
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(buf, len, path, NULL, 0, &doc, &err), 0, "%s", err.msg);
    nw_story *s = nw_story_new();
    nw_story_set(&s->uri, "urn:example:wrapper");
    nw_story_set(&s->version, "9");
    nw_text_list_add(&s->headlines, "Wrapper headline", "main", NULL);
    cr_assert_eq(nw_nitf_fill_story(nw_xml_root(&doc), s, NULL, &err), 0, "%s", err.msg);
    cr_expect_str_eq(s->uri, "urn:example:wrapper");
    cr_expect_str_eq(s->version, "9");
    cr_expect_eq(s->headlines.len, 1);
    cr_expect_str_eq(nw_story_headline(s), "Wrapper headline");
    cr_expect_not_null(nw_story_body(s, "text/html"));
    cr_expect_str_eq(s->version_created, "2024-03-01T07:15:00Z");
    /* not a nitf element */
    xmlNodePtr head = nw_xml_child(nw_xml_root(&doc), "head");
    cr_expect_eq(nw_nitf_fill_story(head, s, NULL, &err), NW_EINVAL);
    cr_expect_not_null(strstr(err.msg, "expected a <nitf> element"), "%s", err.msg);
    nw_story_free(s);
    nw_xml_doc_free(&doc);
    free(buf);
    free(path);
}

/* -------------------------------------------------------- shared data --- */

static nw_jsonschema *load_schema(void)
{
    char *dir = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    if (!dir)
        return NULL;
    nw_jsonschema *schema = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_jsonschema_load_ninjs(&schema, dir, &err), 0, "%s", err.msg);
    free(dir);
    return schema;
}

Test(nitf_shared, every_file_parses_and_validates)
{
    static const char *const dirs[] = {"datasets/nitf/superdesk-core",
                                       "datasets/nitf/iptc-newsinjson"};
    nw_jsonschema *schema = NULL;
    size_t files = 0;
    for (size_t d = 0; d < 2; d++) {
        char *dir = shared(dirs[d]);
        if (!schema)
            schema = load_schema();
        DIR *dh = opendir(dir);
        cr_assert_not_null(dh, "%s", dir);
        struct dirent *e;
        while ((e = readdir(dh))) {
            size_t n = strlen(e->d_name);
            if (n < 4 || strcmp(e->d_name + n - 4, ".xml"))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            nw_test_warnings w = {0};
            nw_story *s = parse_one(strdup(path), "general", &w);
            cr_expect(s->uri && s->uri[0], "%s: no uri", path);
            cr_expect_gt(nw_story_categories(s, NULL, 0), 0, "%s: no category", path);
            nw_test_assert_valid_ninjs(schema, s, path);
            nw_story_free(s);
            files++;
        }
        closedir(dh);
        free(dir);
    }
    cr_expect_eq(files, 20, "the NITF datasets hold 20 files, saw %zu", files);
    nw_jsonschema_free(schema);
}

Test(nitf_shared, aap_sports)
{
    nw_story *s = parse_one(shared(NITF_SD "aap-sports.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newswire:australian-associated-press:AAP.123253116.6697929");
    cr_expect_str_eq(nw_story_headline(s), "RL:Ferguson returns at centre for Roosters");
    cr_expect_str_eq(s->version, "1");
    cr_expect_str_eq(s->pub_status, "usable");
    cr_expect_str_eq(s->version_created, "2015-02-18T16:01:41Z");
    cr_expect_eq(s->urgency, 5);
    nw_test_assert_categories(s, (const char *[]){"sport"}, 1);
    cr_expect_str_eq(s->slugline, "RL Roosters");
    char *p = nw_test_first_paragraph(s);
    cr_expect_str_eq(p, "Blake Ferguson has been named to make his top grade return at centre in "
                        "the Sydney Roosters NRL trial against Manly on Saturday.");
    free(p);
    nw_story_free(s);
}

Test(nitf_shared, aap_cyber_keeps_urn)
{
    nw_story *s = parse_one(shared(NITF_SD "aap-cyber.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newsml:localhost:2016-04-13T14:52:21.830724:"
                             "0a686ee3-ec38-4fbf-beeb-aae311aecfdb");
    cr_expect_str_eq(s->version_created, "2016-04-13T04:52:21Z");
    cr_expect_eq(s->urgency, 3);
    cr_expect_str_eq(s->located, "SYDNEY March 22 AAP -");
    nw_test_assert_categories(s, (const char *[]){"finance"}, 1);
    nw_story_free(s);
}

Test(nitf_shared, ap_nitf)
{
    nw_story *s = parse_one(shared(NITF_SD "ap-nitf.xml"), "world", NULL);
    cr_expect(!strncmp(s->uri, "urn:newswire:ap:", 16), "hash uri with AP slug: %s", s->uri);
    cr_expect_str_eq(nw_story_headline(s),
                     "Can trading pollution like stocks help fight climate change?");
    cr_expect_str_eq(s->by, "By BERNARD CONDON, AP Business Writer");
    cr_expect_str_eq(s->located, "NEW YORK");
    cr_expect_str_eq(s->version_created, "2015-12-10T19:10:44Z");
    cr_expect_str_eq(s->ed_note, "For global distribution");
    cr_expect_str_eq(nw_story_provider(s), "The Associated Press");
    nw_test_assert_categories(s, (const char *[]){"world"}, 1);
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "NEW YORK (AP) \xE2\x80\x94 The gas produced by hog manure"), "%s",
              p);
    free(p);
    nw_story_free(s);
}

Test(nitf_shared, ap_media_default_namespace)
{
    nw_story *s = parse_one(shared(NITF_SD "ap_media_text_nitf.xml"), NULL, NULL);
    cr_expect_str_eq(nw_story_headline(s), "BC-BBN--Top Ten");
    cr_expect_str_eq(s->version_created, "2019-07-03T04:05:12Z");
    const char *plain = nw_story_body(s, "text/plain");
    cr_assert_not_null(plain);
    cr_expect_not_null(strstr(plain, "McNeil NYM"), "table rows kept");
    cr_expect_not_null(strstr(plain, "Yelich, Milwaukee, 31"));
    nw_story_free(s);
}

Test(nitf_shared, pa3_embargoed)
{
    nw_story *s = parse_one(shared(NITF_SD "pa3.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newswire:pa:4a82e12e-6b39-47eb-8e59-2c616a7e32a4HHH-13-1");
    cr_expect_str_eq(s->pub_status, "usable");
    cr_expect_str_eq(s->version_created, "2016-09-08T12:24:46Z");
    cr_expect_str_eq(s->embargoed_until, "2016-09-08T23:01:00Z");
    cr_expect_eq(s->urgency, 4);
    cr_expect_str_eq(s->by, "By Benjamin Wright, Press Association");
    nw_test_assert_categories(s, (const char *[]){"politics"}, 1);
    cr_expect_str_eq(s->ed_note, "(see also POLITICS EU) Embargoed to 0001 Friday September 9");
    nw_story_free(s);
}

Test(nitf_shared, pa4_declared_latin1_is_utf8)
{
    nw_test_warnings w = {0};
    nw_story *s = parse_one(shared(NITF_SD "pa4.xml"), NULL, &w);
    const char *plain = nw_story_body(s, "text/plain");
    cr_expect_not_null(strstr(plain, "a reported \xC2\xA3"
                                     "25 million"),
                       "no mojibake");
    cr_expect_null(strstr(plain, "\xC3\x82\xC2\xA3"), "mojibake");
    nw_test_assert_categories(s, (const char *[]){"showbiz", "tv"}, 2);
    cr_expect_not_null(nw_test_find_entity(&s->places, "Portugal", NULL));
    nw_story_free(s);
}

Test(nitf_shared, pa5_real_latin1)
{
    nw_story *s = parse_one(shared(NITF_SD "pa5.xml"), NULL, NULL);
    cr_expect_str_eq(nw_story_headline(s), "HARD BREXIT TO COST UK UP TO \xC2\xA3"
                                           "66BN A YEAR, "
                                           "SAYS TREASURY");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "Treasury coffers will take a \xC2\xA3"
                                "66 billion"),
              "%s", p);
    free(p);
    cr_expect_not_null(nw_test_find_entity(&s->people, "Theresa May", NULL));
    cr_expect_not_null(nw_test_find_entity(&s->organisations, "European Union", NULL));
    nw_story_free(s);
}

Test(nitf_shared, efe_no_declaration_crlf)
{
    nw_story *s = parse_one(shared(NITF_SD "efe_nitf.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newswire:agencia-efe:22751909");
    cr_expect_str_eq(nw_story_headline(s), "Honduran president announces Cabinet changes");
    cr_expect_str_eq(s->language, "en-US");
    cr_expect_str_eq(s->content_created, "2017-01-02T22:28:00Z");
    cr_expect_null(s->located);
    nw_test_assert_categories(s, (const char *[]){"politics"}, 1);
    char *p = nw_test_first_paragraph(s);
    cr_expect_str_eq(p, "Tegucigalpa, Jan 2 (EFE).- Test body.");
    free(p);
    nw_story_free(s);
}

Test(nitf_shared, fishing_canceled)
{
    nw_story *s = parse_one(shared(NITF_SD "nitf-fishing.xml"), NULL, NULL);
    cr_expect_str_eq(s->pub_status, "canceled");
    cr_expect(strstr(s->uri, ":iptc.321656141.b") != NULL, "%s", s->uri);
    cr_expect_str_eq(s->version_created, "2002-02-25T19:30:00Z");
    cr_expect_str_eq(s->first_created, "2002-02-20T14:00:00Z");
    cr_expect_str_eq(s->located, "Newport News, VA");
    cr_expect_str_eq(s->by, "By Alan Karben, NITF Network News Online");
    nw_test_assert_categories(s, (const char *[]){"weather"}, 1);
    const char *plain = nw_story_body(s, "text/plain");
    cr_expect_null(strstr(plain, "This sample article was created"), "note is not body");
    cr_expect_null(strstr(plain, "captured on film"), "media caption is not body");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "The weather was superb today in Norfolk, Virginia."), "%s", p);
    free(p);
    cr_expect_not_null(nw_test_find_entity(&s->subjects, "Tide Forecasts", "series"));
    nw_story_free(s);
}

Test(nitf_shared, ntb_versions_share_uri)
{
    nw_story *s = parse_one(shared(NITF_SD "nitf-ntb.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newswire:ntb:faktisk-d9cde75b-256e-4989-b6a3-b8ad27f43a5c");
    cr_expect_str_eq(s->version, "48");
    cr_expect_str_eq(s->language, "nb-NO");
    cr_expect_str_eq(s->version_created, "2020-09-07T14:45:26Z");
    cr_expect_str_eq(s->located, "Oslo");
    nw_test_assert_categories(s, (const char *[]){"innenriks"}, 1);
    cr_expect_not_null(nw_test_find_entity(&s->genres, "Faktasjekk", NULL));
    nw_story_free(s);

    s = parse_one(shared("datasets/nitf/iptc-newsinjson/NTB_nitf_sample.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newswire:ntb:NTB5df9281a-a270-4dc5-a618-869bbc3bbca7");
    cr_expect_str_eq(nw_story_headline(s), "Pandemien herjer på den legeløse indiske landsbygda");
    nw_test_assert_categories(s, (const char *[]){"utenriks", "medisin-og-helse"}, 2);
    const nw_entity *sub = nw_test_find_entity(&s->subjects, "Sykdom", "subject");
    cr_assert_not_null(sub);
    cr_expect_str_eq(sub->uri, "http://cv.iptc.org/newscodes/subjectcode/07001000");
    nw_story_free(s);
}

Test(nitf_shared, mapping_test_utf8_under_latin1_declaration)
{
    nw_story *s = parse_one(shared(NITF_SD "mapping_test.xml"), NULL, NULL);
    cr_expect_str_eq(nw_story_headline(s),
                     "*En 41-årig mand, der onsdag blev anholdt og sat i forbindel");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "København /ritzau/:"), "%s", p);
    free(p);
    cr_expect_str_eq(s->uri, "urn:newswire:ritzau-dk:20160512:RTZ:8883:0");
    cr_expect_str_eq(s->version, "4");
    cr_expect_str_eq(s->language, "no-NO");
    cr_expect_str_eq(s->version_created, "2016-05-11T22:05:13Z");
    nw_test_assert_categories(s, (const char *[]){"utenriks", "kriminalitet-og-rettsvesen"}, 2);
    nw_story_free(s);
}

Test(nitf_shared, handle_invalid_fields_warns)
{
    nw_test_warnings w = {0};
    nw_story *s = parse_one(shared(NITF_SD "handle_invalid_fields.xml"), NULL, &w);
    cr_expect_str_eq(nw_story_headline(s), "Man accused of ramming gate at Rideau Hall with truck "
                                           "faces multiple charges");
    cr_expect_str_eq(s->version_created, "2020-07-03T20:51:36Z");
    cr_expect_null(s->embargoed_until, "bad date.release left out");
    cr_expect(!s->extra || !json_object_get(s->extra, "expires"), "bad date.expire left out");
    cr_expect_eq(s->urgency, 2);
    cr_expect_str_eq(s->by, "Mia Rabson and Jordan Press, The Canadian Press");
    cr_expect_str_eq(s->located, "Ottawa, Ontario, Canada");
    nw_test_assert_categories(s, (const char *[]){"national"}, 1);
    cr_expect_not_null(strstr(w.all, "date.expire 'YYYYMMDD000000-HHMM'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "date.release"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "without a refnum"), "%s", w.all);
    nw_story_free(s);
}

Test(nitf_shared, aap_finance_lite_empty)
{
    nw_test_warnings w = {0};
    nw_story *s = parse_one(shared(NITF_SD "aap-finance-lite.xml"), "finance", &w);
    cr_expect_eq(s->headlines.len, 0);
    cr_expect_eq(s->bodies.len, 0);
    cr_expect_str_eq(s->uri, "urn:newswire:agence-france-presse:AFP.121974877.6504909");
    cr_expect_not_null(strstr(w.all, "no headline"), "%s", w.all);
    nw_story_free(s);
}

/* NITF inside NewsML-G2 inlineXML: what the G2 parser hands to us. */
Test(nitf_shared, fill_from_g2_listing)
{
    char *path = shared("datasets/newsml-g2/iptc-newsml-g2/examples/"
                        "LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml");
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "%s", path);
    nw_xml_doc doc = {0};
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(buf, len, path, NULL, 0, &doc, &err), 0, "%s", err.msg);
    xmlNodePtr nitf = nw_xml_find(nw_xml_root(&doc), "nitf");
    cr_assert_not_null(nitf);
    nw_story *s = nw_story_new();
    cr_assert_eq(nw_nitf_fill_story(nitf, s, NULL, &err), 0, "%s", err.msg);
    cr_expect_str_eq(nw_story_headline(s),
                     "Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05p.m.");
    cr_expect_str_eq(s->by, "Sports Network");
    cr_expect_null(s->uri, "no doc-id: the wrapper sets the uri");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "(Sports Network) - With the Philadelphia Phillies"), "%s", p);
    free(p);
    cr_expect_eq(s->descriptions.len, 1);
    nw_story_free(s);
    nw_xml_doc_free(&doc);
    free(buf);
    free(path);
}
