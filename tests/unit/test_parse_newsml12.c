/*
 * test_parse_newsml12 — the "newsml-1.2" format: our invented fixtures (always
 * run), every NewsML 1.2 file of the shared datasets (AFP, ANA, Business Wire:
 * parses and validates against ninjs 3.1), hand-checked fields per source,
 * and the Business Wire items against their IPTC ninjs 3.0 twins (headline,
 * versionCreated, language, version). Shared-data tests skip without ../shared.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_storycheck.h"
#include "nw_testutil.h"

#define BW_DIR "datasets/ninjs/iptc-newsinjson/examples/"

/* ------------------------------------------------------------- helpers --- */

static char *fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "newsml12/%s", name);
    return nw_test_fixture_path(rel);
}

static char *shared(const char *rel)
{
    char *p = nw_test_shared_path(rel);
    if (!p)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    return p;
}

/* Parse a file (frees path) into *list; must succeed. */
static void parse_all(char *path, const char *category, nw_test_warnings *w, nw_story_list *list)
{
    nw_parse_opts opts = {.default_category = category};
    nw_test_warnings quiet = {0};
    if (!w)
        w = &quiet; /* keep the test log clean */
    if (w) {
        opts.warn = nw_test_collect_warning;
        opts.warn_ctx = w;
    }
    nw_err err = {0};
    int rc = nw_parse_file(path, "newsml-1.2", &opts, list, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    cr_assert_gt(list->len, 0, "%s: no story", path);
    free(path);
}

static nw_story *parse_one(char *path, const char *category, nw_test_warnings *w)
{
    nw_story_list list = {0};
    parse_all(path, category, w, &list);
    cr_assert_eq(list.len, 1, "%zu stories", list.len);
    nw_story *s = list.items[0];
    list.len = 0;
    nw_story_list_free(&list);
    return s;
}

/* ------------------------------------------------------------ fixtures --- */

Test(newsml12_fixture, two_items)
{
    nw_test_warnings w = {0};
    nw_story_list list = {0};
    parse_all(fixture("two_items.xml"), "general", &w, &list);
    cr_assert_eq(list.len, 2);

    nw_story *a = list.items[0];
    cr_expect_str_eq(a->uri, "urn:newsml:example.com:20240301:HARB-1", "revision stripped");
    cr_expect_str_eq(a->version, "2");
    cr_expect_str_eq(a->pub_status, "usable");
    cr_expect_str_eq(a->first_created, "2024-03-01T07:00:00Z");
    cr_expect_str_eq(a->version_created, "2024-03-01T09:30:00Z");
    cr_expect_eq(a->urgency, 3, "envelope Priority");
    cr_expect_str_eq(a->language, "pt");
    cr_expect_str_eq(nw_story_headline(a), "Porto reabre negociações");
    const nw_text *sub = nw_test_find_text(&a->headlines, "subheadline");
    cr_assert_not_null(sub);
    cr_expect_str_eq(sub->value, "Sindicato aceita reunião");
    cr_expect_str_eq(a->by, "Jo Reporter");
    cr_expect_str_eq(a->located, "Lisboa");
    cr_expect_str_eq(a->copyright_notice, "© 2024 Example Wire");
    cr_expect_str_eq(nw_story_provider(a), "EXW");
    nw_test_assert_categories(a, (const char *[]){"eco", "soc"}, 2);
    cr_expect_not_null(nw_test_find_entity(&a->genres, "Current", NULL));
    char *p = nw_test_first_paragraph(a);
    cr_expect_str_eq(p, "As negociações no porto recomeçam hoje.");
    free(p);
    const char *plain = nw_story_body(a, "text/plain");
    cr_expect_null(strstr(plain, "photo caption"), "photo component is not text");
    cr_expect_not_null(strstr(nw_story_body(a, "text/html"), "<h2>Contexto</h2>"));

    nw_story *b = list.items[1];
    cr_expect_str_eq(b->uri, "urn:newsml:example.com:20240301:OLD%209");
    cr_expect_str_eq(b->version, "3");
    cr_expect_str_eq(b->pub_status, "canceled");
    cr_expect_str_eq(b->first_created, "2024-02-28T10:00:00Z");
    cr_expect_str_eq(b->version_created, "2024-02-28T10:00:00Z",
                     "bad ThisRevisionCreated left out, FirstCreated stands in");
    cr_expect_eq(b->urgency, 0);
    cr_expect_str_eq(nw_story_provider(b), "Example Wire", "envelope SentFrom");
    nw_test_assert_categories(b, (const char *[]){"general"}, 1);
    p = nw_test_first_paragraph(b);
    cr_expect_str_eq(p, "First plain paragraph & more.");
    free(p);
    cr_expect_not_null(strstr(w.all, "ThisRevisionCreated 'not a date'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "urgency '11'"), "%s", w.all);
    cr_expect_not_null(strstr(w.all, "two_items.xml: line "), "%s", w.all);
    for (size_t i = 0; i < list.len; i++)
        nw_test_assert_valid_ninjs(NULL, list.items[i], "two_items.xml");
    nw_story_list_free(&list);
}

Test(newsml12_fixture, html_cdata_topicset)
{
    nw_story *s = parse_one(fixture("html_cdata.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newsml:wire.example:20240302:77");
    cr_expect_str_eq(s->pub_status, "withheld");
    cr_expect_str_eq(s->version_created, "2024-03-02T10:00:00Z");
    cr_expect_str_eq(nw_story_headline(s), "Jobs data out");
    nw_test_assert_categories(s, (const char *[]){"lab"}, 1);
    const nw_entity *e = nw_test_find_entity(&s->subjects, "Employment", "subject");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->uri, "http://cv.iptc.org/newscodes/subjectcode/09003000");
    const char *plain = nw_story_body(s, "text/plain");
    cr_assert_not_null(plain);
    cr_expect_str_eq(plain, "Jobs grew in March.\n\nMore later.");
    cr_expect_str_eq(nw_story_provider(s), "wire.example");
    nw_story_free(s);
}

Test(newsml12_fixture, errors_are_clear)
{
    nw_err err = {0};
    nw_story_list list = {0};
    char *path = fixture("no_items.xml");
    cr_expect_lt(nw_parse_file(path, "newsml-1.2", NULL, &list, &err), 0);
    cr_expect_not_null(strstr(err.msg, "no_items.xml: line 2: <NewsML> holds no <NewsItem>"), "%s",
                       err.msg);
    free(path);
    path = nw_test_fixture_path("nitf/harbour.xml");
    cr_expect_lt(nw_parse_file(path, "newsml-1.2", NULL, &list, &err), 0);
    cr_expect_not_null(strstr(err.msg, "expected root element <NewsML> or <NewsItem>, found "
                                       "<nitf>"),
                       "%s", err.msg);
    cr_expect_eq(list.len, 0);
    free(path);
}

Test(newsml12_fixture, detect)
{
    const char *doc = "\n<NewsML Version=\"1.2\"><NewsItem/></NewsML>";
    cr_expect_eq(nw_parser_detect(doc, strlen(doc)), &nw_parser_newsml12);
    const char *g2 = "<?xml version=\"1.0\"?><newsMessage xmlns=\"x\"/>";
    cr_expect_neq(nw_parser_detect(g2, strlen(g2)), &nw_parser_newsml12);
    cr_expect_eq(nw_parser_newsml12.flags & NW_PARSER_RAW_BYTES, NW_PARSER_RAW_BYTES);
}

/* -------------------------------------------------------- shared data --- */

Test(newsml12_shared, every_file_parses_and_validates)
{
    static const char *const dirs[] = {"datasets/newsml-1.2/superdesk-core",
                                       "datasets/newsml-1.2/iptc-newsinjson", BW_DIR "NewsML-1.2"};
    char *ninjs = shared("datasets/ninjs/iptc-newsinjson");
    nw_jsonschema *schema = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_jsonschema_load_ninjs(&schema, ninjs, &err), 0, "%s", err.msg);
    free(ninjs);
    size_t files = 0;
    for (size_t d = 0; d < 3; d++) {
        char *dir = shared(dirs[d]);
        DIR *dh = opendir(dir);
        cr_assert_not_null(dh, "%s", dir);
        struct dirent *e;
        while ((e = readdir(dh))) {
            size_t n = strlen(e->d_name);
            if (n < 4 || strcmp(e->d_name + n - 4, ".xml"))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            nw_story_list list = {0};
            nw_test_warnings w = {0};
            parse_all(strdup(path), "general", &w, &list);
            for (size_t i = 0; i < list.len; i++) {
                const nw_story *s = list.items[i];
                cr_expect_not_null(nw_story_headline(s), "%s: no headline", path);
                cr_expect_not_null(nw_story_body(s, "text/plain"), "%s: no body", path);
                cr_expect_not_null(s->version_created, "%s: no versionCreated", path);
                nw_test_assert_valid_ninjs(schema, s, path);
            }
            nw_story_list_free(&list);
            files++;
        }
        closedir(dh);
        free(dir);
    }
    cr_expect_eq(files, 8, "8 NewsML 1.2 files, saw %zu", files);
    nw_jsonschema_free(schema);
}

Test(newsml12_shared, afp)
{
    nw_story *s = parse_one(shared("datasets/newsml-1.2/superdesk-core/afp.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86");
    cr_expect_str_eq(s->version, "1");
    cr_expect_str_eq(s->pub_status, "usable");
    cr_expect_str_eq(s->version_created, "2014-08-29T13:49:51Z");
    cr_expect_str_eq(s->first_created, "2014-08-29T13:49:51Z");
    cr_expect_eq(s->urgency, 4);
    cr_expect_str_eq(s->language, "en");
    cr_expect_str_eq(s->located, "Stockholm");
    cr_expect_str_eq(s->slugline, "Sweden-SAAB");
    cr_expect_str_eq(nw_story_headline(s), "Sweden court accepts receivership for Saab carmaker");
    cr_expect_str_eq(nw_story_provider(s), "AFP");
    nw_test_assert_categories(s, (const char *[]){"eco"}, 1);
    cr_expect_not_null(nw_test_find_entity(&s->subjects, "Saab", "keyword"));
    char *p = nw_test_first_paragraph(s);
    cr_expect_str_eq(p, "A Chinese-owned company set up to take over Saab's assets after the "
                        "troubled Swedish carmaker's bankruptcy said on Friday it had succeeded "
                        "in being placed in receivership.");
    free(p);
    nw_story_free(s);
}

Test(newsml12_shared, afp20_declared_latin1_is_utf8)
{
    nw_story *s = parse_one(shared("datasets/newsml-1.2/superdesk-core/afp20.xml"), NULL, NULL);
    cr_expect_str_eq(nw_story_headline(s),
                     "Décès de Naomi Musenga: l'opératrice du Samu définitivement condamnée");
    cr_expect_str_eq(s->language, "fr");
    cr_expect_str_eq(s->version_created, "2024-07-10T12:59:02Z");
    cr_expect_str_eq(s->copyright_notice, "© 2024 AFP");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "L'opératrice du Samu condamnée pour non-assistance"), "%s", p);
    free(p);
    nw_story_free(s);
}

Test(newsml12_shared, ana_html_cdata)
{
    nw_story *s = parse_one(shared("datasets/newsml-1.2/superdesk-core/ana1.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newsml:ana-mpe.gr:20180404:19336333");
    cr_expect_str_eq(nw_story_headline(s), "Wage employment balance positive in Jan-March");
    cr_expect_str_eq(s->language, "en");
    cr_expect_str_eq(s->version_created, "2018-04-04T14:58:59Z");
    cr_expect_eq(s->urgency, 5);
    nw_test_assert_categories(s, (const char *[]){"ane", "job"}, 2);
    cr_expect_not_null(nw_test_find_entity(&s->subjects, "Employment/Unemployment", "subject"));
    cr_expect_str_eq(s->located, "Athens");
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "Wage employment in the private sector grew in March"), "%s", p);
    free(p);
    nw_story_free(s);
}

Test(newsml12_shared, afp_sample_with_photo_associations)
{
    nw_story *s = parse_one(
        shared("datasets/newsml-1.2/iptc-newsinjson/afp.com_newsml1.2_sample.xml"), NULL, NULL);
    cr_expect_str_eq(s->uri, "urn:newsml:afp.com:20210516T080625Z:TX-PAR-WGF71");
    cr_expect_str_eq(nw_story_headline(s),
                     "Israel strikes key Hamas targets as UN Security Council to meet");
    cr_expect_str_eq(s->ed_note,
                     "RECASTS with attack on Hamas targets, RAISES Gaza death toll, UPDATES "
                     "throughout");
    cr_expect_str_eq(s->by, "Adel Zaanoun with Guillaume Lavallee in Jerusalem");
    nw_test_assert_categories(s, (const char *[]){"unr", "clj", "pol"}, 3);
    cr_expect_not_null(strstr(nw_story_body(s, "text/plain"), "- Media offices destroyed -"));
    nw_story_free(s);
}

/* Business Wire NewsML 1.2 against the IPTC ninjs 3.0 twins where both exist. */
Test(newsml12_shared, business_wire_twins)
{
    static const char *const ids[] = {"20130515006361", "20130605006126", "20130612006110",
                                      "20130731006140"};
    size_t compared = 0;
    for (size_t i = 0; i < 4; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, BW_DIR "NewsML-1.2/businesswire-newsml-%s.xml", ids[i]);
        nw_story *s = parse_one(shared(rel), NULL, NULL);
        char want_uri[128];
        snprintf(want_uri, sizeof want_uri, "urn:newsml:businesswire.com:20010714:%s", ids[i]);
        cr_expect_str_eq(s->uri, want_uri);
        cr_expect_str_eq(nw_story_provider(s), "Business Wire");
        cr_expect_not_null(nw_story_body(s, "text/html"), "%s", ids[i]);
        const char *plain = nw_story_body(s, "text/plain");
        cr_expect(plain && !strstr(plain, ".bwalignc"), "stylesheet is not body");

        /* the twin: 3.0 when present, else 1.4 */
        const char *versions[] = {"3.0", "1.4"};
        for (size_t v = 0; v < 2; v++) {
            snprintf(rel, sizeof rel, BW_DIR "%s/businesswire-newsml-%s.json", versions[v], ids[i]);
            char *jp = nw_test_shared_path(rel);
            json_error_t jerr;
            json_t *twin = jp ? json_load_file(jp, 0, &jerr) : NULL;
            free(jp);
            if (!twin)
                continue;
            const char *hl =
                v == 0 ? json_string_value(json_object_get(
                             json_array_get(json_object_get(twin, "headlines"), 0), "value"))
                       : json_string_value(json_object_get(twin, "headline"));
            const char *vc = json_string_value(
                json_object_get(twin, v == 0 ? "versionCreated" : "versioncreated"));
            cr_expect_str_eq(nw_story_headline(s), hl, "%s headline", ids[i]);
            cr_expect_str_eq(s->version_created, vc, "%s versionCreated", ids[i]);
            cr_expect_str_eq(s->language, json_string_value(json_object_get(twin, "language")));
            cr_expect_str_eq(s->version, json_string_value(json_object_get(twin, "version")));
            /* the twin's first xhtml body sentence is in our plain body */
            json_decref(twin);
            compared++;
            break;
        }
        nw_story_free(s);
    }
    cr_expect_eq(compared, 4);
}

Test(newsml12_shared, business_wire_body_and_keywords)
{
    nw_story *s =
        parse_one(shared(BW_DIR "NewsML-1.2/businesswire-newsml-20130605006126.xml"), NULL, NULL);
    char *p = nw_test_first_paragraph(s);
    cr_expect(nw_test_starts(p, "(美國商業資訊)--為透明及軟性導體市場"), "%s", p);
    free(p);
    cr_expect_not_null(nw_test_find_entity(&s->subjects, "Nanotechnology", "about"));
    nw_test_assert_categories(s, (const char *[]){"award"}, 1);
    const char *plain = nw_story_body(s, "text/plain");
    cr_expect_null(strstr(plain, "Monica Smith"), "contact block is not body");
    nw_story_free(s);
}
