/*
 * test_parse_newsmlg2 — the "newsml-g2" parser: the project's own tiny
 * fixtures (tests/fixtures/newsmlg2, always run) field by field, hostile
 * input, and every NewsML-G2 file of the shared datasets: news roots parse
 * and validate against ninjs 3.1, concept/knowledge/planning/catalog items and
 * fragments fail with "not a news item", the schema-invalid should_fail files
 * give the same outcome twice, and a hand-checked sample of each source holds
 * its headline, uri, version, pubStatus, dates, categories and first paragraph.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_nitf.h"
#include "nw_parser.h"
#include "nw_storycheck.h"
#include "nw_testutil.h"
#include "nw_xml.h"

/* ------------------------------------------------------------ helpers --- */

static nw_test_warnings warned;

static int parse_path(const char *path, nw_story_list *out, nw_err *err, const char *category)
{
    memset(&warned, 0, sizeof warned);
    nw_parse_opts opts = {
        .default_category = category, .warn = nw_test_collect_warning, .warn_ctx = &warned};
    return nw_parse_file(path, "newsml-g2", &opts, out, err);
}

static void parse_fixture(const char *name, nw_story_list *out)
{
    char rel[256];
    snprintf(rel, sizeof rel, "newsmlg2/%s", name);
    char *path = nw_test_fixture_path(rel);
    nw_err err = {0};
    cr_assert_eq(parse_path(path, out, &err, NULL), 0, "%s: %s", path, err.msg);
    free(path);
}

/* Path of a shared NewsML-G2 file; skips the test when shared is absent. */
static char *shared(const char *rel)
{
    char full[512];
    snprintf(full, sizeof full, "datasets/newsml-g2/%s", rel);
    char *p = nw_test_shared_path(full);
    if (!p)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    return p;
}

static void parse_shared(const char *rel, nw_story_list *out)
{
    char *path = shared(rel);
    nw_err err = {0};
    cr_assert_eq(parse_path(path, out, &err, NULL), 0, "%s: %s", path, err.msg);
    free(path);
}

static int raw_parse(const char *xml, nw_story_list *out, nw_err *err)
{
    memset(&warned, 0, sizeof warned);
    const nw_parser *p = nw_parser_find("newsml-g2");
    cr_assert_not_null(p);
    nw_parse_opts opts = {.timezone = "UTC",
                          .max_input_bytes = NW_PARSE_MAX_INPUT,
                          .warn = nw_test_collect_warning,
                          .warn_ctx = &warned};
    return p->parse(xml, strlen(xml), &opts, out, err);
}

static const nw_entity *find_entity(const nw_entity_list *l, const char *name, const char *rel)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].name && !strcmp(l->items[i].name, name) &&
            (!rel || (l->items[i].rel && !strcmp(l->items[i].rel, rel))))
            return &l->items[i];
    return NULL;
}

static size_t categories(const nw_story *s, const char **out, size_t max)
{
    return nw_story_categories(s, out, max);
}

/* First paragraph of the plain body, into buf. */
static const char *first_paragraph(const nw_story *s, char *buf, size_t size)
{
    const char *b = nw_story_body(s, "text/plain");
    if (!b)
        return NULL;
    size_t n = strcspn(b, "\n");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), b);
    return buf;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

static const char *text_role(const nw_text_list *l, size_t i)
{
    return i < l->len ? l->items[i].role : NULL;
}

/* ------------------------------------------------------ ninjs schema --- */

static nw_jsonschema *schema;

static void load_schema(void)
{
    char *dir = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    if (!dir)
        return;
    nw_err err;
    if (nw_jsonschema_load_ninjs(&schema, dir, &err) < 0)
        schema = NULL;
    free(dir);
}

static void unload_schema(void)
{
    nw_jsonschema_free(schema);
    schema = NULL;
}

/* Encodes, and validates against ninjs 3.1 (skipped, never passed, when
 * there is no schema). */
static void assert_valid(const nw_story *s, const char *where)
{
    nw_test_assert_valid_ninjs(schema, s, where);
}

TestSuite(newsmlg2, .init = load_schema, .fini = unload_schema);

/* ----------------------------------------------------------- fixtures --- */

Test(newsmlg2, fixture_text_item_every_field)
{
    nw_story_list l = {0};
    parse_fixture("text_xhtml.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:example.org:20240305:harbour-talks");
    cr_assert_str_eq(s->version, "3");
    cr_assert_str_eq(s->type, "text");
    cr_assert_str_eq(s->pub_status, "usable");
    cr_assert_str_eq(s->version_created, "2024-03-05T09:15:00Z");
    cr_assert_str_eq(s->first_created, "2024-03-05T07:00:00Z");
    cr_assert_str_eq(s->content_created, "2024-03-05T06:55:00Z");
    cr_assert_str_eq(s->embargoed_until, "2024-03-05T12:00:00Z");
    cr_assert_eq(s->urgency, 2);
    cr_assert_str_eq(s->language, "en-GB");
    cr_assert_str_eq(s->located, "Kiel");
    cr_assert_str_eq(s->by, "Jo Example");
    cr_assert_str_eq(s->slugline, "HARBOUR-TALKS");
    cr_assert_str_eq(s->ed_note, "Corrects the name of the port authority.");
    cr_assert_str_eq(s->copyright_notice, "(c) 2024 Example Wire Ltd");
    cr_assert_str_eq(json_string_value(json_object_get(s->extra, "copyrightHolder")),
                     "Example Wire Ltd");
    cr_assert_str_eq(json_string_value(json_object_get(s->extra, "title")), "HARBOUR-TALKS");

    cr_assert_eq(s->headlines.len, 2);
    cr_assert_str_eq(nw_story_headline(s), "Harbour talks resume after strike");
    cr_assert_str_eq(text_role(&s->headlines, 0), "main");
    cr_assert_str_eq(s->headlines.items[1].value, "Both sides meet in Kiel");
    cr_assert_str_eq(text_role(&s->headlines, 1), "subheadline");
    cr_assert_eq(s->descriptions.len, 1);
    cr_assert_str_eq(text_role(&s->descriptions, 0), "summary");

    /* XHTML body: <head><title> and <script> are not text, entities decoded */
    cr_assert_str_eq(nw_story_body(s, "text/plain"),
                     "Talks between port workers and the Kiel Port Authority resumed on "
                     "Tuesday.\n\nA deal is expected & welcomed.");
    cr_assert_not_null(
        strstr(nw_story_body(s, "text/html"), "<p>A deal is expected &amp; welcomed.</p>"));

    /* provider first, then infoSource and creditline */
    cr_assert_str_eq(nw_story_provider(s), "Example Wire");
    cr_assert_not_null(find_entity(&s->info_sources, "Kiel Harbour Office", "origProv"));
    cr_assert_not_null(find_entity(&s->info_sources, "Example Wire", "credit"));

    /* subjects keep code and scheme; IPTC codes get their URI */
    const nw_entity *e = find_entity(&s->subjects, "port", "subject");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->literal, "medtop:20000349");
    cr_assert_str_eq(e->uri, "http://cv.iptc.org/newscodes/mediatopic/20000349");
    cr_assert_not_null(find_entity(&s->people, "Ada Fjord", NULL));
    cr_assert_not_null(find_entity(&s->organisations, "Kiel Port Authority", NULL));
    cr_assert_not_null(find_entity(&s->places, "Germany", NULL));
    cr_assert_null(find_entity(&s->subjects, "Ada Fjord", NULL));
    cr_assert_not_null(find_entity(&s->subjects, "shipping", "keyword"));
    cr_assert_eq(s->genres.len, 1);
    cr_assert_str_eq(s->genres.items[0].literal, "genre:Current");
    cr_assert_null(s->genres.items[0].rel);

    /* the signal is a subject with rel "signal" */
    e = find_entity(&s->subjects, "correction", "signal");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->literal, "sig:correction");
    cr_assert_str_eq(e->uri, "http://cv.iptc.org/newscodes/signal/correction");

    /* the desk subject wins over the top-level medtop code */
    const char *cats[8];
    cr_assert_eq(categories(s, cats, 8), 1);
    cr_assert_str_eq(cats[0], "business");
    cr_assert_eq(warned.count, 0, "%s", warned.all);
    assert_valid(s, "text_xhtml.xml");
    nw_story_list_free(&l);
}

Test(newsmlg2, fixture_package_lists_its_items)
{
    nw_story_list l = {0};
    parse_fixture("package.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->type, "composite");
    cr_assert_str_eq(s->uri, "tag:example.org,2024:pkg-harbour");
    cr_assert_str_eq(s->version, "7");
    cr_assert_str_eq(nw_story_provider(s), "Example Wire");
    /* two distinct residrefs (the repeated one is listed once) */
    cr_assert_eq(json_array_size(s->associations), 2);
    json_t *a = json_array_get(s->associations, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), "item1");
    cr_assert_str_eq(json_string_value(json_object_get(a, "uri")),
                     "urn:newsml:example.org:20240305:harbour-talks");
    cr_assert_str_eq(json_string_value(json_object_get(a, "type")), "text");
    cr_assert_str_eq(json_string_value(json_object_get(a, "version")), "3");
    json_t *h = json_array_get(json_object_get(a, "headlines"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "value")),
                     "Harbour talks resume after strike");
    json_t *b = json_array_get(s->associations, 1);
    cr_assert_str_eq(json_string_value(json_object_get(b, "name")), "item2");
    /* a space is not allowed in a URI: percent-encoded, never dropped */
    cr_assert_str_eq(json_string_value(json_object_get(b, "uri")),
                     "urn:newsml:example.org:20240305:harbour-pic%201");
    cr_assert_str_eq(json_string_value(json_object_get(b, "type")), "picture");
    json_t *d = json_array_get(json_object_get(b, "descriptions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(d, "role")), "caption");
    assert_valid(s, "package.xml");
    nw_story_list_free(&l);
}

Test(newsmlg2, fixture_prefixed_message_kill_and_picture)
{
    nw_story_list l = {0};
    parse_fixture("message_ns0.xml", &l);
    cr_assert_eq(l.len, 2, "the conceptItem in itemSet is skipped");
    nw_story *kill = l.items[0], *pic = l.items[1];
    cr_assert_str_eq(kill->uri, "tag:example.org,0000:newsml_X1");
    cr_assert_str_eq(kill->version, "1542761538");
    cr_assert_str_eq(kill->pub_status, "canceled");
    cr_assert_str_eq(kill->version_created, "2024-03-06T08:59:00Z");
    cr_assert_str_eq(kill->language, "en");
    cr_assert_str_eq(nw_story_body(kill, "text/plain"),
                     "Please kill the story.\n\nIt was sent in error.");
    const char *cats[8];
    cr_assert_eq(categories(kill, cats, 8), 2);
    cr_assert_str_eq(cats[0], "us");
    cr_assert_str_eq(cats[1], "science");
    cr_assert_not_null(find_entity(&kill->subjects, "D", "signal"));

    /* a bare guid gets the newswire urn; a bad date and urgency are left out */
    cr_assert_str_eq(pic->uri, "urn:newswire:newsml-g2:X2-bare%20id");
    cr_assert_str_eq(pic->type, "picture");
    cr_assert_str_eq(pic->pub_status, "usable", "absent pubStatus is G2's default");
    cr_assert_null(pic->version_created);
    cr_assert_eq(pic->urgency, 0);
    json_t *r = json_array_get(json_object_get(pic->extra, "renditions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "highRes");
    cr_assert_str_eq(json_string_value(json_object_get(r, "href")),
                     "https://example.org/pic/x2.jpg");
    cr_assert_eq(json_integer_value(json_object_get(r, "width")), 4000);
    cr_assert_eq(json_integer_value(json_object_get(r, "sizeInBytes")), 123456);

    cr_assert_eq(warned.count, 3, "%s", warned.all);
    cr_assert_not_null(strstr(warned.all, "conceptItem"), "%s", warned.all);
    cr_assert_not_null(
        strstr(warned.all, "line 28: versionCreated 'yesterday at noon' is not a date"), "%s",
        warned.all);
    cr_assert_not_null(strstr(warned.all, "urgency '12'"), "%s", warned.all);
    assert_valid(kill, "message_ns0.xml#1");
    assert_valid(pic, "message_ns0.xml#2");
    nw_story_list_free(&l);
}

Test(newsmlg2, fixture_nitf_body_keeps_g2_metadata)
{
    nw_story_list l = {0};
    parse_fixture("nitf_body.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:example.org:20240307:ferry");
    cr_assert_str_eq(s->pub_status, "withheld");
    cr_assert_str_eq(nw_story_headline(s), "Ferry timetable changes", "G2 headline wins");
    char p[256];
    cr_assert_str_eq(first_paragraph(s, p, sizeof p),
                     "The morning ferry leaves ten minutes earlier from Monday.");
    const char *cats[4];
    cr_assert_eq(categories(s, cats, 4), 1);
    cr_assert_str_eq(cats[0], "sport", "named top-level IPTC code");
    assert_valid(s, "nitf_body.xml");
    nw_story_list_free(&l);
}

Test(newsmlg2, fixture_latin1_declared_and_real)
{
    nw_story_list l = {0};
    parse_fixture("latin1.xml", &l);
    cr_assert_eq(l.len, 1);
    cr_assert_str_eq(nw_story_headline(l.items[0]), "Caf\xC3\xA9 in M\xC3\xBCnster reopens");
    cr_assert_str_eq(nw_story_body(l.items[0], "text/plain"), "The caf\xC3\xA9 reopened.");
    /* no provider: default pubStatus, version and a time without zone read as UTC */
    cr_assert_str_eq(l.items[0]->version, "1");
    cr_assert_str_eq(l.items[0]->version_created, "2024-03-08T10:00:00Z");
    nw_story_list_free(&l);
}

Test(newsmlg2, empty_message_is_zero_stories_not_an_error)
{
    char *path = nw_test_fixture_path("newsmlg2/empty_message.xml");
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf);
    nw_story_list l = {0};
    nw_err err = {0};
    cr_assert_eq(raw_parse(buf, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.len, 0);
    /* nw_parse_buffer's own rule: an input must yield a story */
    cr_assert_lt(parse_path(path, &l, &err, NULL), 0);
    cr_assert_not_null(strstr(err.msg, "no story found"), "%s", err.msg);
    free(buf);
    free(path);
}

Test(newsmlg2, concept_item_is_not_a_news_item)
{
    char *path = nw_test_fixture_path("newsmlg2/concept.xml");
    nw_story_list l = {0};
    nw_err err = {0};
    cr_assert_eq(parse_path(path, &l, &err, NULL), NW_EINVAL);
    cr_assert_eq(l.len, 0);
    cr_assert_not_null(strstr(err.msg, "concept.xml: line 2: not a news item (conceptItem)"), "%s",
                       err.msg);
    /* auto-detection picks us, so the user gets the same clear message */
    nw_parse_opts opts = {.warn = nw_test_collect_warning, .warn_ctx = &warned};
    cr_assert_lt(nw_parse_file(path, "auto", &opts, &l, &err), 0);
    cr_assert_not_null(strstr(err.msg, "not a news item (conceptItem)"), "%s", err.msg);
    free(path);
}

Test(newsmlg2, detection_prefers_g2_for_every_fixture)
{
    static const char *const names[] = {"text_xhtml.xml", "package.xml", "message_ns0.xml",
                                        "nitf_body.xml", "latin1.xml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "newsmlg2/%s", names[i]);
        char *path = nw_test_fixture_path(rel);
        nw_story_list l = {0};
        nw_err err = {0};
        nw_parse_opts opts = {.warn = nw_test_collect_warning, .warn_ctx = &warned};
        cr_assert_eq(nw_parse_file(path, "auto", &opts, &l, &err), 0, "%s: %s", path, err.msg);
        cr_assert_geq(l.len, 1);
        nw_story_list_free(&l);
        free(path);
    }
    const nw_parser *p = nw_parser_find("newsml-g2");
    cr_assert_eq(p->detect("<rss version=\"2.0\"><channel/></rss>", 34), 0);
    cr_assert_eq(p->detect("<nitf><head/></nitf>", 20), 0);
    cr_assert_gt(p->detect("<groupSet root='G1'/>", 21), 50, "a G2 fragment is ours to refuse");
}

Test(newsmlg2, default_category_when_the_item_names_none)
{
    const char *xml =
        "<newsItem guid='urn:x:1' version='2'><itemMeta><itemClass qcode='ninat:text'/>"
        "</itemMeta><contentMeta><headline>H</headline></contentMeta></newsItem>";
    nw_parse_opts opts = {
        .default_category = "World News", .warn = nw_test_collect_warning, .warn_ctx = &warned};
    nw_story_list l = {0};
    nw_err err = {0};
    cr_assert_eq(nw_parse_buffer("newsml-g2", xml, strlen(xml), &opts, &l, &err), 0, "%s", err.msg);
    const char *cats[2];
    cr_assert_eq(categories(l.items[0], cats, 2), 1);
    cr_assert_str_eq(cats[0], "world-news");
    cr_assert_str_eq(l.items[0]->version, "2");
    nw_story_list_free(&l);
}

Test(newsmlg2, no_guid_gives_a_stable_hash_uri)
{
    const char *xml = "<newsItem><contentMeta><headline>Same</headline></contentMeta>"
                      "<contentSet><inlineData>Body text.</inlineData></contentSet></newsItem>";
    nw_story_list a = {0}, b = {0};
    nw_err err = {0};
    cr_assert_eq(raw_parse(xml, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(raw_parse(xml, &b, &err), 0, "%s", err.msg);
    cr_assert(starts_with(a.items[0]->uri, "urn:newswire:newsml-g2:"), "%s", a.items[0]->uri);
    cr_assert_str_eq(a.items[0]->uri, b.items[0]->uri);
    cr_assert_not_null(strstr(warned.all, "no guid"), "%s", warned.all);
    nw_story_list_free(&a);
    nw_story_list_free(&b);
}

Test(newsmlg2, odd_contenttypes_and_sportsml)
{
    const char *stt = "<newsItem guid='urn:x:2'><contentSet><inlineXML contenttype='xhtml/xml'>"
                      "<html><body><p>One.</p><p>Two.</p></body></html></inlineXML></contentSet>"
                      "</newsItem>";
    nw_story_list l = {0};
    nw_err err = {0};
    cr_assert_eq(raw_parse(stt, &l, &err), 0, "%s", err.msg);
    cr_assert_str_eq(nw_story_body(l.items[0], "text/plain"), "One.\n\nTwo.");
    nw_story_list_free(&l);

    const char *sports = "<newsItem guid='urn:x:3'><contentSet><inlineXML "
                         "contenttype='application/sportsml+xml'><sports-content><team>A</team>"
                         "</sports-content></inlineXML></contentSet></newsItem>";
    cr_assert_eq(raw_parse(sports, &l, &err), 0, "%s", err.msg);
    cr_assert_null(nw_story_body(l.items[0], NULL));
    cr_assert_not_null(strstr(warned.last, "inlineXML <sports-content>"), "%s", warned.last);
    nw_story_list_free(&l);
}

Test(newsmlg2, hostile_and_broken_input_fails_clearly)
{
    nw_story_list l = {0};
    nw_err err = {0};
    /* malformed: the error names the line */
    const char *bad = "<newsItem guid='urn:x:4'>\n<itemMeta>\n</newsItem>";
    cr_assert_lt(raw_parse(bad, &l, &err), 0);
    cr_assert_not_null(strstr(err.msg, "line 3: Opening and ending tag mismatch"), "%s", err.msg);
    nw_story_list_free(&l);

    /* XXE: the entity is never expanded from the file system */
    const char *xxe = "<?xml version='1.0'?><!DOCTYPE n [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                      "<newsItem guid='urn:x:5'><contentMeta><headline>&x;</headline>"
                      "</contentMeta></newsItem>";
    int rc = raw_parse(xxe, &l, &err);
    if (rc == 0) {
        const char *h = nw_story_headline(l.items[0]);
        cr_assert(!h || !strstr(h, "root:"), "XXE expanded: %s", h);
    }
    nw_story_list_free(&l);

    /* billion laughs: refused or bounded, never expanded into memory */
    const char *lol =
        "<?xml version='1.0'?><!DOCTYPE n [<!ENTITY a 'aaaaaaaaaa'>"
        "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
        "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
        "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
        "<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'><!ENTITY i '&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>]>"
        "<newsItem guid='urn:x:6'><contentMeta><headline>&i;</headline></contentMeta></newsItem>";
    rc = raw_parse(lol, &l, &err);
    if (rc == 0) {
        const char *h = nw_story_headline(l.items[0]);
        cr_assert(!h || strlen(h) < 1000000, "entities expanded to %zu bytes", strlen(h));
    }
    nw_story_list_free(&l);

    /* not G2 at all */
    cr_assert_lt(raw_parse("<rss version='2.0'><channel/></rss>", &l, &err), 0);
    cr_assert_not_null(strstr(err.msg, "not NewsML-G2: root element <rss>"), "%s", err.msg);
    /* a G2 fragment */
    cr_assert_lt(raw_parse("<groupSet root='a'><group id='a'/></groupSet>", &l, &err), 0);
    cr_assert_not_null(strstr(err.msg, "not a news item (a <groupSet> fragment)"), "%s", err.msg);
    /* planning */
    cr_assert_lt(raw_parse("<planningItem guid='urn:x:7'/>", &l, &err), 0);
    cr_assert_not_null(strstr(err.msg, "not a news item (planningItem)"), "%s", err.msg);
    cr_assert_eq(l.len, 0);
}

/* ------------------------------------------------------ shared files --- */

typedef enum { EXPECT_STORIES, EXPECT_NOT_NEWS, EXPECT_NOT_G2, EXPECT_EITHER } expectation;

static expectation expect_for(const char *path, const char *buf, size_t len)
{
    if (strstr(path, "/should_fail/"))
        return EXPECT_EITHER;
    if (strstr(path, "channel1-reuters-api-results"))
        return EXPECT_NOT_G2;
    char root[64];
    if (!nw_wire_root_name(buf, len, root, sizeof root))
        return EXPECT_EITHER;
    if (!strcmp(root, "newsItem") || !strcmp(root, "packageItem") || !strcmp(root, "newsMessage"))
        return EXPECT_STORIES;
    return EXPECT_NOT_NEWS;
}

typedef struct tally {
    size_t files, stories, not_news, not_g2, either;
} tally;

/* One file: parse it (twice for the schema-invalid ones) and check the outcome. */
static void check_shared_file(const char *path, tally *t)
{
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    expectation ex = expect_for(path, buf, len);
    nw_story_list l = {0};
    nw_err err = {0};
    int rc = parse_path(path, &l, &err, NULL);
    t->files++;
    switch (ex) {
    case EXPECT_STORIES:
        cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
        cr_assert_geq(l.len, 1, "%s", path);
        break;
    case EXPECT_NOT_NEWS:
        cr_assert_lt(rc, 0, "%s parsed, expected 'not a news item'", path);
        cr_assert_not_null(strstr(err.msg, "not a news item ("), "%s", err.msg);
        t->not_news++;
        break;
    case EXPECT_NOT_G2:
        cr_assert_lt(rc, 0, "%s parsed", path);
        cr_assert_not_null(strstr(err.msg, "not NewsML-G2"), "%s", err.msg);
        t->not_g2++;
        break;
    case EXPECT_EITHER: {
        /* schema-invalid G2 may still be readable; the outcome must be stable */
        nw_story_list again = {0};
        nw_err err2 = {0};
        int rc2 = parse_path(path, &again, &err2, NULL);
        cr_assert_eq(rc, rc2, "%s: outcome changed", path);
        cr_assert_eq(l.len, again.len, "%s", path);
        if (rc < 0)
            cr_assert_str_eq(err.msg, err2.msg);
        for (size_t i = 0; i < l.len; i++) {
            char *x = nw_ninjs_dumps(l.items[i], &err), *y = nw_ninjs_dumps(again.items[i], &err);
            cr_assert_str_eq(x, y, "%s: story %zu differs between runs", path, i);
            free(x);
            free(y);
        }
        cr_assert(rc == 0 || err.msg[0], "%s: failure without a message", path);
        nw_story_list_free(&again);
        t->either++;
        break;
    }
    }
    for (size_t i = 0; i < l.len; i++) {
        char where[1200];
        snprintf(where, sizeof where, "%s#%zu", path, i + 1);
        assert_valid(l.items[i], where);
        cr_assert_not_null(l.items[i]->uri);
    }
    t->stories += l.len;
    nw_story_list_free(&l);
    free(buf);
}

static void walk(const char *dir, tally *t, int depth)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "digitalwires-json"))
            continue; /* dpa's own JSON inputs are not G2 */
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth < 6)
            walk(path, t, depth + 1);
        else if (strlen(names[i]) > 4 && !strcmp(names[i] + strlen(names[i]) - 4, ".xml"))
            check_shared_file(path, t);
        free(names[i]);
    }
    free(names);
}

Test(newsmlg2, every_shared_g2_file, .timeout = 120)
{
    char *root = shared("");
    tally t = {0};
    walk(root, &t, 0);
    free(root);
    /* 35 + 161 IPTC, 34 Superdesk, 8 + 1 python-newsmlg2, 18 dpa, 10 APA, 1 TT */
    cr_assert_eq(t.files, 268, "files: %zu", t.files);
    cr_assert_eq(t.not_g2, 1);
    cr_assert_geq(t.not_news, 60, "not-news files: %zu", t.not_news);
    cr_assert_eq(t.either, 10, "should_fail files: %zu", t.either);
    cr_assert_geq(t.stories, 200, "stories: %zu", t.stories);
}

/* ------------------------------------------------- hand-checked samples --- */

Test(newsmlg2, iptc_text_document_with_nitf)
{
    nw_story_list l = {0};
    parse_shared("iptc-newsml-g2/examples/LISTING_2_NewsML-G2_Text_Document.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:acmenews.com:20161121:US-FINANCE-FED");
    cr_assert_str_eq(s->version, "11");
    cr_assert_str_eq(s->pub_status, "usable");
    cr_assert_str_eq(s->version_created, "2018-11-21T21:25:32Z");
    cr_assert_str_eq(nw_story_headline(s), "Fed to halt QE to avert \"bubble\"");
    cr_assert_str_eq(s->located, "New York, NY");
    cr_assert_str_eq(nw_story_provider(s), "Acme News and Media LLC");
    char p[512];
    first_paragraph(s, p, sizeof p);
    cr_assert(starts_with(p, "(New York, NY - October 21) Et, sent luptat luptat"), "%s", p);
    const char *cats[4];
    cr_assert_eq(categories(s, cats, 4), 1);
    cr_assert_str_eq(cats[0], "economy-business-and-finance");
    nw_story_list_free(&l);
}

Test(newsmlg2, iptc_listing5_declared_latin1_is_utf8)
{
    nw_story_list l = {0};
    parse_shared("iptc-newsml-g2/examples/LISTING_5_Multi-part_Video_in_NewsML-G2.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->type, "video");
    cr_assert_str_eq(s->uri, "tag:example.com,2008:407624");
    cr_assert_not_null(strstr(warned.all, "declaration does not match the bytes"), "%s",
                       warned.all);
    char *json = nw_ninjs_dumps(s, NULL);
    cr_assert_not_null(strstr(json, "Vicco von B\xC3\xBClow"), "B\xC3\xBClow mangled");
    cr_assert_null(strstr(json, "\xC3\x83"), "mojibake in %s", json);
    cr_assert_not_null(find_entity(&s->subjects, "Animation", "subject"), "narrower concept");
    free(json);
    /* the French name stays correct in the document we read */
    char *path = shared("iptc-newsml-g2/examples/LISTING_5_Multi-part_Video_in_NewsML-G2.xml");
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    nw_xml_doc doc = {0};
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(buf, len, path, NULL, 0, &doc, &err), 0, "%s", err.msg);
    bool found = false;
    for (xmlNodePtr n = nw_xml_find(nw_xml_root(&doc), "narrower"); n && !found;
         n = nw_xml_next(n, "narrower"))
        for (xmlNodePtr nm = nw_xml_child(n, "name"); nm && !found; nm = nw_xml_next(nm, "name")) {
            char *t = nw_xml_text(nm);
            found = t && !strcmp(t, "Dessin anim\xC3\xA9");
            free(t);
        }
    cr_assert(found, "'Dessin anim\xC3\xA9' not read correctly");
    nw_xml_doc_free(&doc);
    free(buf);
    free(path);
    nw_story_list_free(&l);
}

Test(newsmlg2, iptc_simple_package)
{
    nw_story_list l = {0};
    parse_shared("iptc-newsml-g2/examples/LISTING_6_Simple_NewsML-G2_Package.xml", &l);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->type, "composite");
    cr_assert_str_eq(s->uri, "tag:example.com,2008:UK-NEWS-TOPTEN:UK20081220098658");
    cr_assert_str_eq(s->ed_note, "Updates the previous version");
    cr_assert_not_null(find_entity(&s->subjects, "update", "signal"));
    cr_assert_eq(json_array_size(s->associations), 2);
    json_t *b = json_array_get(s->associations, 1);
    /* an em dash in the residref is percent-encoded UTF-8 */
    cr_assert_str_eq(json_string_value(json_object_get(b, "uri")),
                     "urn:newsml:iptc.org:20081007:tutorial%E2%80%94item-B");
    json_t *h = json_array_get(json_object_get(b, "headlines"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "value")),
                     "Barack Obama arrive \xC3\xA0 Washington");
    nw_story_list_free(&l);
}

Test(newsmlg2, reuters_update_then_kill_share_the_uri)
{
    nw_story_list a = {0}, b = {0};
    parse_shared(
        "superdesk-core/reuters/tag_reuters.com_2016_newsml_L1N14N0FF_version_978556838.xml", &a);
    parse_shared(
        "superdesk-core/reuters/tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538.xml", &b);
    cr_assert_eq(a.len, 1);
    cr_assert_eq(b.len, 1);
    nw_story *first = a.items[0], *kill = b.items[0];
    cr_assert_str_eq(first->uri, "tag:reuters.com,0000:newsml_L1N14N0FF");
    cr_assert_str_eq(kill->uri, first->uri);
    cr_assert_str_eq(first->version, "978556838");
    cr_assert_str_eq(kill->version, "1542761538");
    cr_assert_str_eq(first->pub_status, "usable");
    cr_assert_str_eq(kill->pub_status, "canceled");
    cr_assert_str_eq(first->version_created, "2016-01-04T15:43:34Z");
    cr_assert_str_eq(kill->version_created, "2016-01-04T16:34:45Z");
    cr_assert_lt(strcmp(first->version_created, kill->version_created), 0);
    cr_assert_str_eq(nw_story_headline(first),
                     "CORRECTED-S. Illinois battles flooding as Mississippi River builds "
                     "downstream");
    char p[256];
    first_paragraph(first, p, sizeof p);
    cr_assert(starts_with(p, "(In Jan. 3 story, corrects last paragraph"), "%s", p);
    const char *cats[16];
    cr_assert_eq(categories(first, cats, 16), 7);
    cr_assert_str_eq(cats[0], "business");
    cr_assert_str_eq(cats[6], "us");
    nw_story_list_free(&a);
    nw_story_list_free(&b);
}

Test(newsmlg2, reuters_results_listing_is_not_g2)
{
    char *path = shared("superdesk-core/reuters/channel1-reuters-api-results.xml");
    nw_story_list l = {0};
    nw_err err = {0};
    cr_assert_lt(parse_path(path, &l, &err, NULL), 0);
    cr_assert_not_null(strstr(err.msg, "not NewsML-G2: root element <results>"), "%s", err.msg);
    free(path);
}

Test(newsmlg2, stt_department_category_and_xhtml)
{
    nw_story_list l = {0};
    parse_shared("superdesk-core/stt_newsml_test.xml", &l);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:stt.fi:20171219:101801633");
    cr_assert_str_eq(s->version, "4");
    cr_assert_str_eq(s->version_created, "2017-10-18T09:16:43Z");
    cr_assert_str_eq(s->first_created, "2017-12-19T08:33:04Z");
    cr_assert_str_eq(s->language, "fi-FI");
    cr_assert_eq(s->urgency, 3);
    cr_assert_str_eq(s->located, "Helsinki");
    char p[256];
    cr_assert_str_eq(first_paragraph(s, p, sizeof p),
                     "*** DISCLAIMER: THIS IS AN AUTOMATED TRANSLATION FROM FINNISH ***");
    const char *cats[4];
    cr_assert_eq(categories(s, cats, 4), 1);
    cr_assert_str_eq(cats[0], "politics");
    cr_assert_not_null(find_entity(&s->subjects, "update", "signal"));
    nw_story_list_free(&l);

    parse_shared("superdesk-core/stt_newsml_test_no_hl.xml", &l);
    cr_assert_null(nw_story_headline(l.items[0]));
    nw_story_list_free(&l);
}

Test(newsmlg2, reuters_snep_package)
{
    nw_story_list l = {0};
    parse_shared("superdesk-core/snep.xml", &l);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->type, "composite");
    cr_assert_str_eq(s->uri, "tag:reuters.com,0000:newsml_TRE7AA2CP");
    cr_assert_str_eq(s->version, "472094323");
    cr_assert_str_eq(nw_story_headline(s), "OUSTPM Link List");
    cr_assert_eq(json_array_size(s->associations), 10);
    json_t *a = json_array_get(s->associations, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "uri")),
                     "tag:reuters.com,0000:newsml_BRE9220HA");
    json_t *h = json_array_get(json_object_get(a, "headlines"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "value")),
                     "At least 15 killed on Kenya coast on election day");
    nw_story_list_free(&l);
}

Test(newsmlg2, tt_message_package_text_and_picture)
{
    nw_story_list l = {0};
    parse_shared("iptc-newsinjson/TT_newsmlg2_sample.xml", &l);
    cr_assert_eq(l.len, 3);
    cr_assert_str_eq(l.items[0]->type, "composite");
    cr_assert_eq(json_array_size(l.items[0]->associations), 2);
    nw_story *s = l.items[1];
    cr_assert_str_eq(s->uri, "http://tt.se/media/text/210919-janguillou-879f202b");
    cr_assert_str_eq(nw_story_headline(s), "Jan Guillou skriver p\xC3\xA5 ny \"Hamilton\"-bok");
    cr_assert_str_eq(s->version_created, "2021-09-19T18:57:43Z");
    cr_assert_not_null(find_entity(&s->people, "Jan Guillou", NULL));
    cr_assert_not_null(find_entity(&s->organisations, "Aftonbladet", NULL));
    /* <head><title> is not body text; the article's own <h1> is */
    char p[512];
    cr_assert_str_eq(first_paragraph(s, p, sizeof p),
                     "Jan Guillou skriver p\xC3\xA5 ny \"Hamilton\"-bok");
    const char *cats[4];
    cr_assert_eq(categories(s, cats, 4), 1);
    cr_assert_str_eq(cats[0], "konst-kultur-och-noje");
    cr_assert_str_eq(l.items[2]->type, "picture");
    cr_assert_eq(json_array_size(json_object_get(l.items[2]->extra, "renditions")), 4);
    nw_story_list_free(&l);
}

Test(newsmlg2, dpa_embargoed)
{
    nw_story_list l = {0};
    parse_shared("dpa-digitalwires-to-newsmlg2/newsml-g2-output/embargoed.xml", &l);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:dpa.com:20090101:250123-930-353124");
    cr_assert_str_eq(s->embargoed_until, "2025-01-23T18:00:00Z");
    cr_assert_str_eq(s->version_created, "2025-01-23T13:10:47Z");
    cr_assert_str_eq(nw_story_headline(s),
                     "Steinmeier: Russland zerst\xC3\xB6rt kulturelles Erbe der Ukraine");
    cr_assert_str_eq(nw_story_provider(s), "dpa");
    const char *cats[4];
    cr_assert_eq(categories(s, cats, 4), 1);
    cr_assert_str_eq(cats[0], "ku");
    cr_assert_not_null(find_entity(&s->places, "Berlin", NULL));
    cr_assert_not_null(strstr(nw_story_body(s, "text/plain"), "Odessa"));
    nw_story_list_free(&l);
}

Test(newsmlg2, apa_minimal_and_python_simplest)
{
    nw_story_list l = {0};
    parse_shared("apa-xml-newsml-g2/t-expected/minimal.xml", &l);
    nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:newsml:apa.at:20120315:APA0379");
    cr_assert_str_eq(nw_story_headline(s),
                     "Saisonstart im Schweizerhaus: Run aufs Kr\xC3\xBCgerl im Prater");
    cr_assert_str_eq(s->version_created, "2012-01-01T13:00:00Z");
    cr_assert_eq(s->urgency, 5);
    cr_assert_not_null(nw_story_body(s, "text/plain"));
    nw_story_list_free(&l);

    parse_shared("iptc-python-newsmlg2/test_files/001_simplest_file.xml", &l);
    cr_assert_str_eq(l.items[0]->uri, "urn:newswire:iptc:simplest-test-from-file");
    nw_story_list_free(&l);

    /* "emptynewsmessage" holds a package and the item it references */
    parse_shared("iptc-python-newsmlg2/test_files/007_emptynewsmessage.xml", &l);
    cr_assert_eq(l.len, 2);
    json_t *a = json_array_get(l.items[0]->associations, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "uri")), l.items[1]->uri);
    nw_story_list_free(&l);
}
