/*
 * test_parse_feed — the "rss", "atom" and "jsonfeed" parsers: our own tiny
 * fixtures (tests/fixtures/feeds, always run), every file of the shared feed
 * datasets (each parses, or fails with a clear error; every story validates
 * against ninjs 3.1) and hand-checked expectations per publisher (skipped
 * when ../shared is absent).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

/* ------------------------------------------------------------- helpers --- */

/* Parse a file; rc returned, list filled. */
static int parse_path(const char *path, const char *format, nw_story_list *list,
                      nw_test_warnings *w, nw_err *err)
{
    nw_parse_opts opts = {.default_category = "general"};
    if (w) {
        opts.warn = nw_test_collect_warning;
        opts.warn_ctx = w;
    }
    return nw_parse_file(path, format, &opts, list, err);
}

static void parse_fixture(const char *rel, const char *format, nw_story_list *list,
                          nw_test_warnings *w)
{
    char *path = nw_test_fixture_path(rel);
    nw_err err = {0};
    int rc = parse_path(path, format, list, w, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    free(path);
}

/* Shared dataset file, or skip the test. Caller frees. */
static char *shared_feed(const char *rel)
{
    char buf[512];
    snprintf(buf, sizeof buf, "datasets/feeds/%s", rel);
    char *p = nw_test_shared_path(buf);
    if (!p)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    return p;
}

static void parse_shared(const char *rel, const char *format, nw_story_list *list,
                         nw_test_warnings *w)
{
    char *path = shared_feed(rel);
    nw_err err = {0};
    int rc = parse_path(path, format, list, w, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    free(path);
}

static const char *alt_link(const nw_story *s)
{
    json_t *ids = s->extra ? json_object_get(s->extra, "altIds") : NULL;
    json_t *first = json_array_get(ids, 0);
    const char *role = json_string_value(json_object_get(first, "role"));
    if (!role || strcmp(role, "link"))
        return NULL;
    return json_string_value(json_object_get(first, "value"));
}

static bool has_category(const nw_story *s, const char *slug)
{
    const char *slugs[32];
    size_t n = nw_story_categories(s, slugs, 32);
    for (size_t i = 0; i < n && i < 32; i++)
        if (!strcmp(slugs[i], slug))
            return true;
    return false;
}

static const char *description(const nw_story *s, const char *role)
{
    for (size_t i = 0; i < s->descriptions.len; i++)
        if (s->descriptions.items[i].role && !strcmp(s->descriptions.items[i].role, role))
            return s->descriptions.items[i].value;
    return NULL;
}

#define assert_str(got, want)                                                                      \
    do {                                                                                           \
        const char *g_ = (got);                                                                    \
        cr_assert(g_ && !strcmp(g_, (want)), "%s: got '%s', want '%s'", #got, g_ ? g_ : "(null)",  \
                  (want));                                                                         \
    } while (0)

#define assert_prefix(got, want)                                                                   \
    do {                                                                                           \
        const char *g_ = (got);                                                                    \
        cr_assert(g_ && !strncmp(g_, (want), strlen(want)), "%s: got '%s', want '%s...'", #got,    \
                  g_ ? g_ : "(null)", (want));                                                     \
    } while (0)

/* ------------------------------------------------------------ fixtures --- */

Test(feed_fixtures, rss2_item_fields)
{
    nw_story_list l = {0};
    nw_test_warnings w = {0};
    parse_fixture("feeds/harbour.rss", "auto", &l, &w);
    cr_assert_eq(l.len, 2);
    nw_story *s = l.items[0];
    /* guid not a URI: urn with the channel host slug, escaped id */
    assert_str(s->uri, "urn:newswire:feed:news-harbour-example:ferry%2042");
    /* double-escaped entities and escaped markup -> text */
    assert_str(nw_story_headline(s), "Ferry & tug collide near pier");
    /* 2-digit year and a named zone (BST = +01:00) */
    assert_str(s->version_created, "2024-05-14T08:30:00Z");
    assert_str(s->by, "Ana Ruiz");
    assert_str(s->language, "en-GB");
    assert_str(nw_story_provider(s), "Harbour Gazette");
    /* relative link resolved against the channel link */
    assert_str(alt_link(s), "https://news.harbour.example/2024/05/ferry-tug");
    cr_assert(has_category(s, "local") && has_category(s, "shipping"));
    cr_assert(!has_category(s, "general"), "default category only when none");
    cr_assert(strstr(w.all, "category skipped"), "warnings: %s", w.all);
    /* content:encoded wins; description becomes the summary */
    const char *plain = nw_story_body(s, "text/plain");
    assert_str(plain, "The ferry Aurora struck a tug.\n\nNo one was hurt.");
    const char *html = nw_story_body(s, "text/html");
    cr_assert(html && strstr(html, "href=\"https://news.harbour.example/fleet/ferry\""), "%s",
              html);
    cr_assert(!strstr(html, "script"));
    assert_str(description(s, "summary"), "A short summary.");

    nw_story *t = l.items[1];
    /* no guid, no link: a content hash, stable */
    assert_prefix(t->uri, "urn:newswire:feed:news-harbour-example:");
    cr_assert_eq(strlen(t->uri), strlen("urn:newswire:feed:news-harbour-example:") + 32);
    cr_assert_null(t->version_created, "an unparsable date is left out");
    cr_assert(strstr(w.all, "pubDate"), "warnings: %s", w.all);
    assert_str(nw_story_body(t, "text/plain"), "Nothing happened.");
    cr_assert_eq(t->descriptions.len, 0);
    cr_assert(has_category(t, "general"));

    nw_story_list again = {0};
    parse_fixture("feeds/harbour.rss", "rss", &again, NULL);
    assert_str(again.items[1]->uri, t->uri);
    nw_story_list_free(&again);
    nw_story_list_free(&l);
}

Test(feed_fixtures, atom_entry_fields)
{
    nw_story_list l = {0};
    parse_fixture("feeds/council.atom", "auto", &l, NULL);
    cr_assert_eq(l.len, 2);
    nw_story *s = l.items[0];
    assert_str(s->uri, "tag:council.example,2024:budget");
    assert_str(nw_story_headline(s), "Budget voté");
    assert_str(s->version_created, "2024-03-02T08:15:00Z");
    assert_str(s->first_created, "2024-03-01T07:00:00Z");
    assert_str(s->language, "fr-FR");
    assert_str(s->by, "Service presse");
    assert_str(nw_story_provider(s), "Conseil & Ville");
    /* xml:base on the feed */
    assert_str(alt_link(s), "https://council.example/news/2024/budget.html");
    cr_assert(has_category(s, "finances") && has_category(s, "politique"));
    assert_str(nw_story_body(s, "text/plain"), "Le conseil a voté le budget.\n\nUnanimité.");
    cr_assert(
        strstr(nw_story_body(s, "text/html"), "https://council.example/news/docs/budget.pdf"));
    assert_str(description(s, "summary"), "Le budget est adopté.");

    nw_story *t = l.items[1];
    assert_str(t->uri, "urn:newswire:feed:council-example:travaux-rue-haute");
    assert_str(t->version_created, "2024-03-02T10:00:00Z");
    cr_assert_null(t->first_created);
    /* type="text": the angle brackets are text, not markup */
    assert_str(nw_story_body(t, "text/plain"),
               "Première ligne.\n\nSeconde ligne <pas une balise>.");
    assert_str(t->by, "Service presse");
    nw_story_list_free(&l);
}

Test(feed_fixtures, rss1_rdf)
{
    nw_story_list l = {0};
    parse_fixture("feeds/moor.rdf", "auto", &l, NULL);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    assert_str(s->uri, "https://moor.example/notes/1");
    assert_str(nw_story_headline(s), "Grüße aus dem Moor");
    assert_str(s->version_created, "2023-11-05T11:00:00Z");
    assert_str(s->language, "de");
    cr_assert(has_category(s, "natur"));
    assert_str(nw_story_body(s, "text/plain"), "Nebel über dem Moor.");
    nw_story_list_free(&l);
}

Test(feed_fixtures, latin1_without_declaration)
{
    nw_story_list l = {0};
    parse_fixture("feeds/latin1-nodecl.rss", "rss", &l, NULL);
    cr_assert_eq(l.len, 1);
    assert_str(nw_story_headline(l.items[0]), "Notícias do São João");
    assert_str(nw_story_body(l.items[0], "text/plain"), "Coração");
    assert_str(l.items[0]->uri, "http://jornal.example/a");
    nw_story_list_free(&l);
}

Test(feed_fixtures, jsonfeed)
{
    nw_story_list l = {0};
    nw_test_warnings w = {0};
    parse_fixture("feeds/notes.json", "auto", &l, &w);
    cr_assert_eq(l.len, 2);
    nw_story *s = l.items[0];
    assert_str(s->uri, "urn:newswire:feed:notes-example:1");
    assert_str(nw_story_headline(s), "First & foremost");
    assert_str(s->version_created, "2024-01-02T08:04:05Z");
    assert_str(s->by, "Kim Lee");
    assert_str(alt_link(s), "https://notes.example/posts/first");
    assert_str(nw_story_body(s, "text/plain"), "Hello world.");
    cr_assert(strstr(nw_story_body(s, "text/html"), "https://notes.example/about"));
    assert_str(description(s, "summary"), "A greeting.");
    cr_assert(has_category(s, "meta") && has_category(s, "intro"));
    nw_story *t = l.items[1];
    assert_str(t->uri, "https://notes.example/posts/second");
    cr_assert_null(t->version_created);
    cr_assert(strstr(w.all, "date_modified"), "%s", w.all);
    nw_story_list_free(&l);
}

static void expect_error(const char *rel, const char *format, const char *want)
{
    char *path = nw_test_fixture_path(rel);
    nw_story_list l = {0};
    nw_err err = {0};
    int rc = parse_path(path, format, &l, NULL, &err);
    cr_assert_lt(rc, 0, "%s parsed", rel);
    cr_assert_eq(l.len, 0);
    cr_assert(strstr(err.msg, rel), "no origin in '%s'", err.msg);
    cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
    free(path);
}

Test(feed_fixtures, errors_are_clear)
{
    expect_error("feeds/empty-channel.rss", "auto", "has no <item> elements");
    expect_error("feeds/truncated.rss", "rss", ":");
    expect_error("feeds/not-a-feed.xml", "rss", "root element <html> is not a feed");
}

Test(feed_fixtures, detection)
{
    const char *rss = "<?xml version=\"1.0\"?>\n<!-- hi -->\n<rss version=\"2.0\"><channel>";
    const char *rdf = "<rdf:RDF xmlns:rdf=\"x\" xmlns=\"http://purl.org/rss/1.0/\">";
    const char *atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title>";
    const char *json = " {\"version\": \"https://jsonfeed.org/version/1\", \"items\": []}";
    cr_assert_gt(nw_parser_rss.detect(rss, strlen(rss)), 50);
    cr_assert_gt(nw_parser_rss.detect(rdf, strlen(rdf)), 50);
    cr_assert_eq(nw_parser_rss.detect(atom, strlen(atom)), 0);
    cr_assert_gt(nw_parser_atom.detect(atom, strlen(atom)), 50);
    cr_assert_eq(nw_parser_atom.detect(rss, strlen(rss)), 0);
    cr_assert_gt(nw_parser_jsonfeed.detect(json, strlen(json)), 50);
    cr_assert_eq(nw_parser_jsonfeed.detect("{\"uri\": \"x\"}", 12), 0);
    cr_assert_eq(nw_parser_find("rss")->flags & NW_PARSER_RAW_BYTES, NW_PARSER_RAW_BYTES);
    cr_assert_eq(nw_parser_find("atom")->flags & NW_PARSER_RAW_BYTES, NW_PARSER_RAW_BYTES);
}

/* nw_find_ci, the detectors' case-insensitive search: any case, any offset,
 * never past n, and a first byte that only matches with bit 0x20 flipped
 * ('@' vs '`') is not a match. */
Test(feed_fixtures, find_ci)
{
    const char *s = "{\"version\": \"https://JSONFeed.ORG/Version/1\"}";
    const char *at = nw_find_ci(s, strlen(s), "jsonfeed.org/version");
    cr_assert_not_null(at);
    cr_assert_eq(at - s, 21);
    cr_assert_eq(nw_find_ci(s, 21 + 19, "jsonfeed.org/version"), NULL, "cut one byte short");
    cr_assert_eq(nw_find_ci(s, 21 + 20, "jsonfeed.org/version"), at);
    cr_assert_eq(nw_find_ci("abc", 3, "ABC") - "abc", 0);
    cr_assert_null(nw_find_ci("@bc", 3, "`bc"));
    cr_assert_null(nw_find_ci("ab", 2, "abc"));
    cr_assert_null(nw_find_ci("", 0, "a"));
}

/* Parse hostile XML: it must fail, or parse without the payload showing up
 * (an external entity's content, or an exponential expansion). */
static void expect_safe(const char *name, const char *xml, const char *payload)
{
    nw_story_list l = {0};
    nw_err err = {0};
    nw_parse_opts opts = {
        .origin = name, .warn = nw_test_collect_warning, .warn_ctx = &(nw_test_warnings){0}};
    int rc = nw_parse_buffer("rss", xml, strlen(xml), &opts, &l, &err);
    bool leaked = false;
    size_t longest = 0;
    for (size_t i = 0; rc == 0 && i < l.len; i++) {
        const char *h = nw_story_headline(l.items[i]);
        const char *b = nw_story_body(l.items[i], NULL);
        leaked |= (h && strstr(h, payload)) || (b && strstr(b, payload));
        if (h && strlen(h) > longest)
            longest = strlen(h);
    }
    nw_story_list_free(&l);
    cr_assert(!leaked, "%s: hostile content reached a story", name);
    cr_assert_lt(longest, 100000, "%s: entity expansion reached a story", name);
    if (rc < 0)
        cr_assert(!strncmp(err.msg, name, strlen(name)), "%s", err.msg);
}

Test(feed_fixtures, hostile_input_is_safe)
{
    expect_safe("xxe.rss",
                "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
                "\"file:///etc/passwd\">]><rss><channel><item><title>T &x;</title>"
                "<description>D &x;</description></item></channel></rss>",
                "root:");
    expect_safe("lol.rss",
                "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"lollollollollollollollol\">"
                "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;"
                "&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;"
                "&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g "
                "\"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]><rss><channel><item><title>&g;</title>"
                "</item></channel></rss>",
                "lollollollollollollollollollollollollollollollollollollollollollollollollol"
                "lollollollollollollollollollollollollollollollollollollollollollollollollol"
                "lollollollollollollollollollollollollollollollollollollollollollollollollol");
}

/* -------------------------------------------------------- every file --- */

static nw_jsonschema *schema;

static void load_schema(void)
{
    char *dir = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    if (!dir)
        return;
    nw_err err;
    cr_assert_eq(nw_jsonschema_load_ninjs(&schema, dir, &err), 0, "%s", err.msg);
    free(dir);
}

static void validate(const char *path, const nw_story *s)
{
    nw_err err = {0};
    char *text = nw_ninjs_dumps(s, &err);
    cr_assert_not_null(text, "%s: %s", path, err.msg);
    json_error_t jerr;
    json_t *msg = json_loads(text, 0, &jerr);
    cr_assert_not_null(msg);
    int rc = nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err);
    cr_assert_eq(rc, 0, "%s: fails ninjs 3.1: %s\n%s", path, err.msg, text);
    json_decref(msg);
    free(text);
}

/* Files that must fail, and a piece of their message. */
static const struct {
    const char *rel, *want;
} broken[] = {
    {"rss-parser/unrecognized.rss", "unrecognized.rss: line 2: "},
    {"rss-parser/incomplete-fields.atom", "none of the 1 <entry> elements holds a story"},
    {"rss-parser/missing-fields.atom", "none of the 1 <entry> elements holds a story"},
    {"feed-rs/rss_2.0_invalid_1.xml", "rss_2.0_invalid_1.xml:"},
    {"feedparser-synthetic/illformed/aaa_illformed.xml", "aaa_illformed.xml:"},
    {"feedparser-synthetic/illformed/rss_empty_document.xml", "rss_empty_document.xml:"},
    {"feedparser-synthetic/illformed/rss_incomplete_cdata.xml", "rss_incomplete_cdata.xml:"},
};

typedef struct sweep {
    size_t files, parsed, failed, stories;
    char failures[8192];
} sweep;

static const char *must_fail(const char *path)
{
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        size_t n = strlen(path), k = strlen(broken[i].rel);
        if (n >= k && !strcmp(path + n - k, broken[i].rel))
            return broken[i].want;
    }
    return NULL;
}

static void sweep_file(const char *path, size_t size, void *ctx)
{
    sweep *sw = ctx;
    (void)size;
    nw_story_list l = {0};
    nw_test_warnings w = {0};
    nw_err err = {0};
    /* explicit format: a broken feed must fail in OUR parser, not be taken
     * for plain text by auto-detection (checked separately below) */
    const char *format = strstr(path, ".json") ? "jsonfeed" : "rss";
    int rc = parse_path(path, format, &l, &w, &err);
    sw->files++;
    const char *want = must_fail(path);
    if (want) {
        cr_assert_lt(rc, 0, "%s must fail", path);
        cr_assert(strstr(err.msg, want), "%s: message '%s' lacks '%s'", path, err.msg, want);
    }
    if (rc < 0) {
        sw->failed++;
        cr_assert_eq(l.len, 0);
        /* a clear error: origin, then what went wrong */
        cr_assert(!strncmp(err.msg, path, strlen(path)) && strlen(err.msg) > strlen(path) + 8,
                  "unclear error for %s: '%s'", path, err.msg);
        size_t n = strlen(sw->failures);
        snprintf(sw->failures + n, sizeof sw->failures - n, "  %s\n", err.msg);
        return;
    }
    sw->parsed++;
    sw->stories += l.len;
    /* auto-detection finds the feed (raw bytes, UTF-16/32, prolog junk) */
    nw_story_list a = {0};
    nw_err aerr = {0};
    cr_assert_eq(parse_path(path, "auto", &a, NULL, &aerr), 0, "%s: auto: %s", path, aerr.msg);
    cr_assert_eq(a.len, l.len, "%s: auto-detection chose another format", path);
    cr_assert_str_eq(a.items[0]->uri, l.items[0]->uri);
    nw_story_list_free(&a);
    if (schema)
        for (size_t i = 0; i < l.len; i++)
            validate(path, l.items[i]);
    nw_story_list_free(&l);
}

static sweep sweep_folder(const char *rel)
{
    char *dir = shared_feed(rel);
    sweep sw = {0};
    cr_assert_geq(nw_test_walk(dir, 0, sweep_file, &sw), 0, "cannot open %s", dir);
    free(dir);
    cr_log_info("%s: %zu files, %zu parsed (%zu stories), %zu failed:\n%s", rel, sw.files,
                sw.parsed, sw.stories, sw.failed, sw.failures);
    return sw;
}

TestSuite(feed_datasets, .init = load_schema);

Test(feed_datasets, rss_parser_all)
{
    sweep sw = sweep_folder("rss-parser");
    cr_assert_eq(sw.files, 15);
    cr_assert_eq(sw.failed, 3, "only the 3 broken files fail:\n%s", sw.failures);
}

Test(feed_datasets, feed_rs_all)
{
    sweep sw = sweep_folder("feed-rs");
    cr_assert_eq(sw.files, 19);
    cr_assert_eq(sw.failed, 1, "only rss_2.0_invalid_1.xml fails:\n%s", sw.failures);
}

Test(feed_datasets, rsparser_all)
{
    sweep sw = sweep_folder("RSParser");
    cr_assert_eq(sw.files, 6);
    cr_assert_eq(sw.failed, 0, "%s", sw.failures);
}

Test(feed_datasets, meteor_scrape_all)
{
    sweep sw = sweep_folder("meteor-scrape");
    cr_assert_eq(sw.files, 2);
    cr_assert_eq(sw.failed, 0, "%s", sw.failures);
    cr_assert_eq(sw.stories, 40);
}

Test(feed_datasets, superdesk_all)
{
    sweep sw = sweep_folder("superdesk-core");
    cr_assert_eq(sw.files, 4);
    cr_assert_eq(sw.failed, 0, "%s", sw.failures);
}

Test(feed_datasets, feedparser_synthetic_all)
{
    sweep sw = sweep_folder("feedparser-synthetic");
    cr_assert_eq(sw.files, 101);
    /* most are channel-only encoding tests: they fail with "no <item>" or
     * "has no <channel>"; the 17 with an item parse */
    cr_assert_geq(sw.parsed, 17, "%s", sw.failures);
}

static const char *first_plain(const char *rel)
{
    static char buf[256];
    nw_story_list l = {0};
    parse_shared(rel, "rss", &l, NULL);
    cr_assert_eq(l.len, 1, "%s", rel);
    const char *b = nw_story_body(l.items[0], "text/plain");
    snprintf(buf, sizeof buf, "%s", b ? b : "");
    nw_story_list_free(&l);
    return buf;
}

Test(feed_datasets, feedparser_encodings)
{
    /* C1 controls are windows-1252 punctuation ("demoronize") */
    assert_str(first_plain("feedparser-synthetic/encoding/demoronize-1.xml"), "don\u2019t");
    assert_str(first_plain("feedparser-synthetic/encoding/demoronize-2.xml"), "don\u2019t");
    assert_str(first_plain("feedparser-synthetic/encoding/euc-kr-item.xml"), "\ub144");
    assert_str(first_plain("feedparser-synthetic/encoding/http_text_xml_charset_2.xml"),
               "This is a \u00a3\u201ctest.\u201d");
}

/* ----------------------------------------------------- per publisher --- */

Test(feed_publishers, guardian)
{
    nw_story_list l = {0};
    parse_shared("rss-parser/guardian.rss", "auto", &l, NULL);
    cr_assert_eq(l.len, 55);
    nw_story *s = l.items[0];
    assert_str(nw_story_headline(s),
               "Trump State of the Union address promised unity but emphasized discord");
    assert_str(alt_link(s), "https://www.theguardian.com/us-news/2018/jan/31/"
                            "donald-trump-state-of-the-union-address-unity-discord");
    assert_str(s->uri, "https://www.theguardian.com/us-news/2018/jan/31/"
                       "donald-trump-state-of-the-union-address-unity-discord");
    assert_str(s->version_created, "2018-01-31T07:26:05Z");
    assert_str(nw_story_provider(s), "The Guardian");
    assert_str(s->language, "en-GB");
    cr_assert(has_category(s, "donald-trump") && has_category(s, "us-politics"));
    assert_prefix(nw_story_body(s, "text/plain"),
                  "The president’s ‘new American moment’ speech stirred Republican applause");
    nw_story_list_free(&l);
}

Test(feed_publishers, heise_atom)
{
    nw_story_list l = {0};
    parse_shared("rss-parser/heise.atom", "atom", &l, NULL);
    cr_assert_eq(l.len, 15);
    nw_story *s = l.items[0];
    assert_str(s->uri, "http://heise.de/-3088438");
    assert_str(nw_story_headline(s), "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei");
    assert_str(s->version_created, "2016-02-01T16:54:50Z");
    assert_str(s->first_created, "2016-02-01T16:22:00Z");
    assert_str(s->by, "heise online");
    assert_str(nw_story_provider(s), "heise developer neueste Meldungen");
    assert_prefix(nw_story_body(s, "text/plain"), "Die nun verfügbare Version 10");
    assert_prefix(description(s, "summary"), "Die nun verfügbare Version 10");
    nw_story_list_free(&l);
}

Test(feed_publishers, tencent_gb2312)
{
    nw_story_list l = {0};
    parse_shared("rss-parser/encoding-gb2312.xml", "auto", &l, NULL);
    cr_assert_gt(l.len, 0);
    assert_str(nw_story_headline(l.items[0]), "习近平为何如此强调崇尚英雄？");
    assert_str(nw_story_provider(l.items[0]), "新闻国内");
    nw_story_list_free(&l);
}

Test(feed_publishers, il_messaggero_italian_dates)
{
    nw_story_list l = {0};
    parse_shared("feed-rs/rss_2.0_ilmessaggero.xml", "auto", &l, NULL);
    cr_assert_gt(l.len, 0);
    nw_story *s = l.items[0];
    assert_str(
        nw_story_headline(s),
        "Missili Polonia, cosa è successo? Tensione Nato-Russia, Mosca: non siamo stati noi");
    assert_str(s->version_created, "2022-11-15T23:38:15Z");
    assert_str(s->language, "it-IT");
    cr_assert(has_category(s, "mondo"));
    nw_story_list_free(&l);
}

Test(feed_publishers, rtv_two_digit_years)
{
    nw_story_list l = {0};
    parse_shared("meteor-scrape/rtv-feed.xml", "auto", &l, NULL);
    cr_assert_eq(l.len, 10);
    nw_story *s = l.items[0];
    assert_str(s->version_created, "2015-03-31T15:36:18Z");
    assert_str(nw_story_headline(s),
               "Rentnercops - Start der neuen Serie - Das Erste, 31.03., 18:50 Uhr");
    assert_prefix(nw_story_body(s, "text/plain"), "Das Erste, am 31.03.2015 um 18:50 Uhr");
    nw_story_list_free(&l);
}

Test(feed_publishers, spiegel_umlauts)
{
    nw_story_list l = {0};
    nw_test_warnings w = {0};
    parse_shared("meteor-scrape/spiegel-feed.xml", "auto", &l, &w);
    cr_assert_eq(l.len, 30);
    assert_str(nw_story_headline(l.items[0]), "Trainerdiskussion: Tuchel zum HSV? Aber natürlich!");
    assert_str(l.items[0]->version_created, "2015-03-31T15:14:01Z");
    /* declared ISO-8859-1, bytes are UTF-8: read as UTF-8, and said so */
    cr_assert(strstr(w.all, "encoding declaration does not match"), "%s", w.all);
    nw_story_list_free(&l);

    nw_story_list m = {0};
    parse_shared("feed-rs/rss_2.0_spiegel.xml", "auto", &m, NULL);
    cr_assert_gt(m.len, 0);
    assert_prefix(nw_story_headline(m.items[0]),
                  "07.02. – die Wochenvorschau: Lockdown-Verlängerung");
    nw_story_list_free(&m);
}

Test(feed_publishers, la_nacion_content_encoded)
{
    nw_story_list l = {0};
    parse_shared("RSParser/lanacion.xml", "auto", &l, NULL);
    cr_assert_eq(l.len, 100);
    nw_story *s = l.items[0];
    assert_str(
        nw_story_headline(s),
        "El Gobierno aumentó un 50% el monto de la Tarjeta Alimentar, en medio de la crisis");
    assert_str(s->version_created, "2022-04-06T22:48:39Z");
    cr_assert(has_category(s, "politica"));
    assert_prefix(nw_story_body(s, "text/plain"), "En medio de la escalada inflacionaria");
    assert_prefix(description(s, "summary"), "Así se anunció tras un encuentro");
    cr_assert_null(s->by, "empty dc:creator is no byline");
    nw_story_list_free(&l);
}

Test(feed_publishers, uol_latin1_bytes)
{
    nw_story_list l = {0};
    parse_shared("rss-parser/uolNoticias.rss", "auto", &l, NULL);
    cr_assert_gt(l.len, 0);
    assert_str(nw_story_headline(l.items[0]),
               "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno");
    nw_story_list_free(&l);
}

Test(feed_publishers, wenn_atom)
{
    nw_story_list l = {0};
    parse_shared("superdesk-core/wenn-atom.xml", "auto", &l, NULL);
    cr_assert_gt(l.len, 0);
    nw_story *s = l.items[0];
    assert_str(s->uri, "urn:feed-wenn-com:newsfeedarticle:2:2222:1");
    assert_str(nw_story_headline(s), "Suge Knight involved in fatal hit and run incident");
    assert_str(nw_story_body(s, "text/plain"), "This is body content1.");
    assert_str(s->version_created, "2015-01-30T00:33:06Z");
    assert_str(s->language, "en");
    assert_str(s->by, "WENN Newsdesk");
    cr_assert(has_category(s, "music"));
    nw_story_list_free(&l);
}

Test(feed_publishers, wordpress_wxr)
{
    nw_story_list l = {0};
    parse_shared("superdesk-core/wordpress_wxr.xml", "auto", &l, NULL);
    nw_story *s = l.items[0];
    assert_str(nw_story_headline(s), "Starafrica to dispose assets for $6 million to clear debt");
    assert_str(s->uri, "http://sdnewtester.org/?p=216");
    assert_str(s->by, "admin");
    assert_str(s->version_created, "2013-07-29T16:03:54Z");
    cr_assert(has_category(s, "business") && has_category(s, "economy"));
    cr_assert(!has_category(s, "companies-2"), "post_tag is a keyword, not a category");
    assert_prefix(nw_story_body(s, "text/plain"), "By Tester Harare, July 19");
    nw_story_list_free(&l);

    nw_story_list t = {0};
    parse_shared("superdesk-core/wordpress_wxr_thumb.xml", "rss", &t, NULL);
    cr_assert_eq(t.len, 1, "the attachment item is not a story");
    assert_str(nw_story_headline(t.items[0]), "test post");
    nw_story_list_free(&t);
}

Test(feed_publishers, relative_urls)
{
    nw_story_list l = {0};
    parse_shared("feed-rs/rss_2.0_relurl_1.xml", "auto", &l, NULL);
    cr_assert_eq(l.len, 2);
    assert_str(l.items[0]->by, "Jonas Große Sundrup");
    assert_str(l.items[0]->version_created, "2021-03-02T22:39:15Z");
    /* <em> inside description is markup, kept as text */
    assert_str(description(l.items[1], "summary"),
               "Package managers take care of resolving dependencies for you, but over time, "
               "dependencies that are no longer needed might stay around. Time to change that.");
    nw_story_list_free(&l);
}

Test(feed_publishers, media_associations)
{
    nw_story_list l = {0};
    parse_shared("feed-rs/atom_mediarss_newscred_1.xml", "auto", &l, NULL);
    cr_assert_eq(l.len, 1);
    nw_story *s = l.items[0];
    /* no feed link: the site slug comes from the entry's link */
    assert_str(s->uri, "urn:newswire:feed:example-com:75ffea6b731bb4534f3138fd6b726791");
    assert_str(s->first_created, "2019-04-05T21:04:40Z");
    json_t *a = json_array_get(s->associations, 0);
    assert_str(json_string_value(json_object_get(a, "type")), "picture");
    assert_str(json_string_value(json_object_get(a, "name")), "picture1");
    json_t *r = json_array_get(json_object_get(a, "renditions"), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "width")), 2048);
    json_t *d = json_array_get(json_object_get(a, "descriptions"), 0);
    assert_str(json_string_value(json_object_get(d, "value")), "media description");
    nw_story_list_free(&l);

    nw_story_list b = {0};
    parse_shared("feed-rs/rss_2.0_bbc.xml", "auto", &b, NULL);
    cr_assert_eq(b.len, 1);
    assert_str(b.items[0]->uri, "urn:bbc:podcast:m000sjxt");
    a = json_array_get(b.items[0]->associations, 0);
    assert_str(json_string_value(json_object_get(a, "type")), "audio");
    nw_story_list_free(&b);
}
