/*
 * test_parse_plaintext — the parser interface (nw_parser: hygiene, limits,
 * registry, detection) and the two plain-text formats, "webcopy" and
 * "headline-text", on the shared seed story, the BBC corpus (both skipped
 * when ../shared is absent) and our own fixtures (always run).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"
#include "nw_text.h"

#define SEED "examples/000_6618c4effffb78b3.txt"

/* ------------------------------------------------------------- helpers --- */

/* Warnings collected by the parser's callback. */
/* Parse a file that must succeed with exactly one story; caller frees. */
static nw_story *parse_one(const char *path, const char *format, const char *zone,
                           const char *category, nw_test_warnings *w)
{
    nw_parse_opts opts = {.timezone = zone, .default_category = category};
    if (w) {
        opts.warn = nw_test_collect_warning;
        opts.warn_ctx = w;
    }
    nw_story_list list = {0};
    nw_err err = {0};
    int rc = nw_parse_file(path, format, &opts, &list, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    cr_assert_eq(list.len, 1, "%s: %zu stories", path, list.len);
    nw_story *s = list.items[0];
    list.len = 0; /* take it out of the list */
    nw_story_list_free(&list);
    return s;
}

static nw_story *parse_text(const char *text, const char *format, nw_err *err, int *rc)
{
    nw_parse_opts opts = {.origin = "t.txt"};
    nw_story_list list = {0};
    *rc = nw_parse_buffer(format, text, strlen(text), &opts, &list, err);
    if (*rc < 0) {
        cr_assert_eq(list.len, 0);
        return NULL;
    }
    cr_assert_eq(list.len, 1);
    nw_story *s = list.items[0];
    list.len = 0;
    nw_story_list_free(&list);
    return s;
}

/* Error message of a file that must fail. */
static void expect_file_error(const char *path, const char *format, int code, const char *msg)
{
    nw_story_list list = {0};
    nw_err err = {0};
    int rc = nw_parse_file(path, format, NULL, &list, &err);
    cr_assert_eq(rc, code, "%s: rc %d (%s)", path, rc, err.msg);
    cr_assert_eq(list.len, 0);
    char want[1024];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    cr_assert_str_eq(err.msg, want);
    nw_story_list_free(&list);
}

static int count_substr(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static const json_t *caption_of(const nw_story *s)
{
    cr_assert(json_is_array(s->associations), "no associations");
    cr_assert_eq(json_array_size(s->associations), 1);
    const json_t *a = json_array_get(s->associations, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), "picture1");
    cr_assert_str_eq(json_string_value(json_object_get(a, "type")), "picture");
    char uri[512];
    snprintf(uri, sizeof uri, "%s/picture1", s->uri);
    cr_assert_str_eq(json_string_value(json_object_get(a, "uri")), uri);
    const json_t *d = json_array_get(json_object_get(a, "descriptions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(d, "role")), "caption");
    cr_assert_str_eq(json_string_value(json_object_get(d, "contentType")), "text/plain");
    return json_object_get(d, "value");
}

static void expect_categories(const nw_story *s, const char *a, const char *b)
{
    const char *slugs[4];
    size_t n = nw_story_categories(s, slugs, 4);
    cr_assert_eq(n, b ? 2 : a ? 1 : 0, "%zu categories", n);
    if (a)
        cr_assert_str_eq(slugs[0], a);
    if (b)
        cr_assert_str_eq(slugs[1], b);
}

/* The uri rule: urn:newswire:<slug>:<stamp>:<16 hex of the headline's hash>. */
static void expect_webcopy_uri(const nw_story *s, const char *slug, const char *stamp)
{
    char hex[33], want[256];
    const char *h = nw_story_headline(s);
    nw_text_hash_hex(h, strlen(h), hex);
    snprintf(want, sizeof want, "urn:newswire:%s:%s:%.16s", slug, stamp, hex);
    cr_assert_str_eq(s->uri, want);
}

/* Everything the brief asks of the seed story, on any file in its layout
 * (AFP, 2015-12-16 0:43:03, Mid-East + Americas, "Photo: AFP" caption,
 * Disqus footer). */
static void check_seed_layout(const char *path, const char *headline, const char *first_para,
                              const char *last_para, size_t paragraphs)
{
    nw_story *s = parse_one(path, "auto", NULL, NULL, NULL);
    cr_assert_str_eq(nw_story_headline(s), headline);
    cr_assert_str_eq(nw_story_provider(s), "AFP");
    cr_assert_eq(s->info_sources.len, 1);
    cr_assert_str_eq(s->info_sources.items[0].rel, "source");
    cr_assert_str_eq(s->version_created, "2015-12-16T00:43:03Z");
    cr_assert_str_eq(s->first_created, "2015-12-16T00:43:03Z");
    cr_assert_str_eq(s->type, "text");
    cr_assert_str_eq(s->version, "1");
    cr_assert_str_eq(s->pub_status, "usable");
    cr_assert_null(s->language);
    expect_categories(s, "mid-east", "americas");
    cr_assert_str_eq(s->subjects.items[0].name, "Mid-East");
    expect_webcopy_uri(s, "afp", "20151216T004303Z");

    /* caption: in the association, not in a body */
    const char *caption = json_string_value(caption_of(s));
    cr_assert_not_null(caption);
    size_t clen = strlen(caption);
    cr_assert(clen > 12 && !strcmp(caption + clen - 10, "Photo: AFP"), "caption '%s'", caption);
    const char *plain = nw_story_body(s, "text/plain");
    const char *html = nw_story_body(s, "text/html");
    cr_assert_not_null(plain);
    cr_assert_not_null(html);
    cr_assert_eq(s->bodies.len, 2);
    for (size_t i = 0; i < s->bodies.len; i++) {
        cr_assert_null(strstr(s->bodies.items[i].value, "Photo: AFP"));
        cr_assert_null(strstr(s->bodies.items[i].value, "Posted in"));
        cr_assert_null(strstr(s->bodies.items[i].value, "Source:"));
    }
    /* paragraphs */
    cr_assert_eq(strncmp(plain, first_para, strlen(first_para)), 0, "body starts '%.60s'", plain);
    size_t plen = strlen(plain), llen = strlen(last_para);
    cr_assert(plen > llen && !strcmp(plain + plen - llen, last_para), "body ends '%s'",
              plain + (plen > 60 ? plen - 60 : 0));
    cr_assert_eq((size_t)count_substr(plain, "\n\n"), paragraphs - 1);
    cr_assert_eq((size_t)count_substr(html, "<p>"), paragraphs);
    cr_assert_eq((size_t)count_substr(html, "</p>"), paragraphs);
    cr_assert_eq(strncmp(html, "<p>", 3), 0);

    /* no Disqus anywhere, including the JSON the pipeline carries */
    nw_err err = {0};
    char *json = nw_ninjs_dumps(s, &err);
    cr_assert_not_null(json, "%s", err.msg);
    cr_assert_null(strstr(json, "Disqus"), "Disqus in %s", json);
    cr_assert_null(strstr(json, "powered by"));
    cr_assert_not_null(strstr(json, "picture1"));

    /* deterministic: the same file twice gives the same uri and bytes */
    nw_story *again = parse_one(path, "auto", NULL, NULL, NULL);
    cr_assert_str_eq(again->uri, s->uri);
    char *json2 = nw_ninjs_dumps(again, &err);
    cr_assert_str_eq(json2, json);
    free(json2);
    free(json);
    nw_story_free(again);

    /* the source zone */
    nw_story *sh = parse_one(path, "webcopy", "Asia/Shanghai", NULL, NULL);
    cr_assert_str_eq(sh->version_created, "2015-12-15T16:43:03Z");
    cr_assert_str_eq(sh->first_created, "2015-12-15T16:43:03Z");
    expect_webcopy_uri(sh, "afp", "20151215T164303Z");
    nw_story_free(sh);
    nw_story_free(s);
}

/* ------------------------------------------------------------ the seed --- */

Test(webcopy, seed_story)
{
    char *path = nw_test_shared_path(SEED);
    if (!path || access(path, R_OK) != 0) {
        free(path);
        cr_skip_test("shared examples not available");
    }
    check_seed_layout(path, "Kerry seeks an end to Syrian civil war in Moscow talks",
                      "US Secretary of State John Kerry brought his campaign",
                      "leading talks through the 17-nation International Syria Support Group.", 10);
    free(path);
}

Test(webcopy, own_fixture_same_checks)
{
    char *path = nw_test_fixture_path("webcopy/harbour_talks.txt");
    check_seed_layout(path, "Ministers agree on new harbour deal after all-night talks",
                      "Transport ministers from the two neighbouring states",
                      "expected to vote before the end of the year.", 4);
    nw_story *s = parse_one(path, "webcopy", NULL, NULL, NULL);
    /* HTML escaping of the paragraph with & and <...> */
    cr_assert_not_null(strstr(nw_story_body(s, "text/html"),
                              "both fleets &amp; gives smaller boats &lt;priority&gt;"));
    cr_assert_not_null(strstr(nw_story_body(s, "text/plain"), "both fleets & gives"));
    nw_story_free(s);
    free(path);
}

Test(webcopy, no_caption_and_site_furniture)
{
    char *path = nw_test_fixture_path("webcopy/no_caption.txt");
    nw_story *s = parse_one(path, "auto", NULL, NULL, NULL);
    cr_assert_null(s->associations);
    cr_assert_str_eq(nw_story_provider(s), "Reuters");
    cr_assert_str_eq(s->version_created, "2016-03-01T18:05:00Z"); /* no seconds */
    expect_webcopy_uri(s, "reuters", "20160301T180500Z");
    expect_categories(s, "local", "transport");
    const char *plain = nw_story_body(s, "text/plain");
    cr_assert_eq(strncmp(plain, "The city council voted on Tuesday", 33), 0);
    cr_assert_eq(count_substr(plain, "\n\n"), 2);
    const char *gone[] = {"Share this", "Tweet", "Related posts", "Council election dates",
                          "Posted in"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        cr_assert_null(strstr(plain, gone[i]), "'%s' kept", gone[i]);
    nw_story_free(s);
    free(path);
}

Test(webcopy, no_category_uses_default)
{
    char *path = nw_test_fixture_path("webcopy/no_category.txt");
    nw_story *s = parse_one(path, "auto", NULL, NULL, NULL);
    expect_categories(s, NULL, NULL);
    cr_assert_str_eq(json_string_value(caption_of(s)),
                     "Snow ploughs clear the road below the summit on Sunday. (Photo: AP)");
    const char *plain = nw_story_body(s, "text/plain");
    cr_assert_null(strstr(plain, "Advertisement"));
    cr_assert_null(strstr(plain, "Snow ploughs"));
    cr_assert_eq(count_substr(plain, "\n\n"), 1);
    nw_story_free(s);

    s = parse_one(path, "auto", NULL, "Weather & Climate", NULL);
    expect_categories(s, "weather-climate", NULL);
    nw_story_free(s);
    free(path);

    /* a Posted in: line wins over the default */
    path = nw_test_fixture_path("webcopy/no_caption.txt");
    s = parse_one(path, "auto", NULL, "weather", NULL);
    expect_categories(s, "local", "transport");
    nw_story_free(s);
    free(path);
}

/* ------------------------------------------------------- caption rules --- */

static const char *caption_for(const char *para)
{
    static char value[1024];
    char text[2048];
    snprintf(text, sizeof text,
             "A headline\n\nSource:AFP Published: 2015-12-16 0:43:03\n\n%s\n\nThe body.\n", para);
    nw_err err = {0};
    int rc;
    nw_story *s = parse_text(text, "webcopy", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    const char *got = NULL;
    if (s->associations) {
        snprintf(value, sizeof value, "%s", json_string_value(caption_of(s)));
        got = value;
        cr_assert_null(strstr(nw_story_body(s, NULL), para));
    } else {
        cr_assert_not_null(strstr(nw_story_body(s, NULL), para));
    }
    nw_story_free(s);
    return got;
}

Test(webcopy, caption_rule)
{
    const char *yes[] = {
        "Two men shake hands. Photo: AFP",
        "Two men shake hands. PHOTO: Reuters/Jane Doe.",
        "Two men shake hands (Photo: AP)",
        "Two men shake hands [Picture: Getty Images]",
        "Two men shake hands. Photograph by John Smith",
        "Two men shake hands. Image: EPA-EFE",
        "Two men shake hands. File photo: Xinhua",
        "Two men shake hands in Moscow. AFP PHOTO / KIRILL KUDRYAVTSEV",
        "Two men shake hands in Moscow. AFP PHOTO",
        "Two men shake hands. Credit: Agence France-Presse",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_assert_not_null(caption_for(yes[i]), "not a caption: '%s'", yes[i]);
    cr_assert_str_eq(caption_for(yes[0]), yes[0]);

    const char *no[] = {
        "The minister said the talks went well.",
        "He showed a photo of the site. It was taken in May, officials said.",
        "Photo: AFP. The talks went on until late in the night, officials said.",
        "The photographer: a man who was there all day and saw everything that happened from "
        "the start of the talks until the very end of the night",
        "The photo was shared widely online.",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert_null(caption_for(no[i]), "taken as a caption: '%s'", no[i]);
}

Test(webcopy, caption_only_right_after_source)
{
    const char *text = "Headline\n\nSource:AFP Published: 2015-12-16 0:43:03\n\nFirst para.\n\n"
                       "Men shake hands. Photo: AFP\n";
    nw_err err = {0};
    int rc;
    nw_story *s = parse_text(text, "webcopy", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_null(s->associations);
    cr_assert_str_eq(nw_story_body(s, "text/plain"), "First para.\n\nMen shake hands. Photo: AFP");
    nw_story_free(s);
}

/* ---------------------------------------------------- webcopy details --- */

Test(webcopy, published_with_zone_and_errors)
{
    nw_err err = {0};
    int rc;
    nw_story *s = parse_text("H\n\nSource: dpa Published: 2015-12-16 08:43 +08:00\n\nBody.\n",
                             "webcopy", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(s->version_created, "2015-12-16T00:43:00Z");
    cr_assert_str_eq(nw_story_provider(s), "dpa");
    nw_story_free(s);

    s = parse_text("H\n\nSource:AFP Published: yesterday\n\nBody.\n", "webcopy", &err, &rc);
    cr_assert_eq(rc, NW_EINVAL);
    cr_assert_str_eq(err.msg,
                     "t.txt: line 3: Published: 'yesterday' is not a date 'YYYY-MM-DD H:MM[:SS]'");

    s = parse_text("H\n\nSource:AFP Published: 2015-02-30 10:00\n\nBody.\n", "webcopy", &err, &rc);
    cr_assert_eq(rc, NW_EINVAL);
    cr_assert_eq(strncmp(err.msg, "t.txt: line 3: ", 15), 0, "%s", err.msg);

    s = parse_text("H\n\nSource: Published: 2015-02-03 10:00\n\nBody.\n", "webcopy", &err, &rc);
    cr_assert_eq(rc, NW_EINVAL);
    cr_assert_str_eq(err.msg, "t.txt: line 3: the Source: line names no provider");

    s = parse_text("H\n\nSource:AFP Published: 2015-02-03 10:00\n\nblog comments powered by "
                   "Disqus\n",
                   "webcopy", &err, &rc);
    cr_assert_eq(rc, NW_EINVAL);
    cr_assert_str_eq(err.msg, "t.txt: line 3: no body text after the Source: line");

    s = parse_text("Just a headline\n\nAnd a paragraph.\n", "webcopy", &err, &rc);
    cr_assert_eq(rc, NW_EINVAL);
    cr_assert_eq(strncmp(err.msg, "t.txt: no 'Source: <provider> Published: <date>' line", 53), 0,
                 "%s", err.msg);
}

Test(webcopy, crlf_bom_and_wrapped_lines)
{
    const char *text = "\xEF\xBB\xBF"
                       "Wrapped story\r\n\r\nSource:AFP Published: 2015-12-16 0:43:03\r\n\r\n"
                       "First line of a paragraph\r\nwrapped onto a second.\r\n\r\n"
                       "Second\tparagraph.\r\n\r\nPosted in: Sport | Mid-East\r\n";
    nw_err err = {0};
    int rc;
    nw_story *s = parse_text(text, "auto", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(nw_story_headline(s), "Wrapped story");
    cr_assert_str_eq(nw_story_body(s, "text/plain"),
                     "First line of a paragraph wrapped onto a second.\n\nSecond paragraph.");
    cr_assert_str_eq(nw_story_body(s, "text/html"),
                     "<p>First line of a paragraph wrapped onto a second.</p>\n"
                     "<p>Second paragraph.</p>");
    expect_categories(s, "sport", "mid-east");
    nw_story_free(s);
}

/* ------------------------------------------------------- headline-text --- */

/* Every HTML special of a paragraph is escaped in the text/html body, at
 * the start, the end, next to each other and between runs of text. */
Test(headline_text, html_body_escapes_every_special)
{
    const char *text = "Quotes\n\n\"A\" & 'b' <c>&&<<\n\n'x\n";
    nw_parse_opts opts = {.default_category = "Sport"};
    nw_story_list list = {0};
    nw_err err = {0};
    cr_assert_eq(nw_parse_buffer("headline-text", text, strlen(text), &opts, &list, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(list.len, 1);
    cr_assert_str_eq(nw_story_body(list.items[0], "text/html"),
                     "<p>&quot;A&quot; &amp; &#39;b&#39; &lt;c&gt;&amp;&amp;&lt;&lt;</p>\n"
                     "<p>&#39;x</p>");
    nw_story_list_free(&list);
}

Test(headline_text, layout_and_uri)
{
    const char *text = "Claxton wins again\n\nFirst paragraph.\n\nSecond & last <b>.\n";
    nw_parse_opts opts = {.default_category = "Sport"};
    nw_story_list list = {0};
    nw_err err = {0};
    cr_assert_eq(nw_parse_buffer("auto", text, strlen(text), &opts, &list, &err), 0, "%s", err.msg);
    cr_assert_eq(list.len, 1);
    nw_story *s = list.items[0];
    cr_assert_str_eq(nw_story_headline(s), "Claxton wins again");
    cr_assert_str_eq(nw_story_body(s, "text/plain"), "First paragraph.\n\nSecond & last <b>.");
    cr_assert_str_eq(nw_story_body(s, "text/html"),
                     "<p>First paragraph.</p>\n<p>Second &amp; last &lt;b&gt;.</p>");
    cr_assert_null(s->version_created);
    cr_assert_null(s->first_created);
    cr_assert_null(s->associations);
    expect_categories(s, "sport", NULL);
    char hex[33], want[80];
    const char *hashed = "Claxton wins again\n\nFirst paragraph.\n\nSecond & last <b>.";
    nw_text_hash_hex(hashed, strlen(hashed), hex);
    snprintf(want, sizeof want, "urn:newswire:text:%s", hex);
    cr_assert_str_eq(s->uri, want);
    /* same text, same uri; other body, other uri */
    cr_assert_eq(nw_parse_buffer("headline-text", text, strlen(text), &opts, &list, &err), 0);
    cr_assert_str_eq(list.items[1]->uri, want);
    const char *other = "Claxton wins again\n\nFirst paragraph.\n";
    cr_assert_eq(nw_parse_buffer("headline-text", other, strlen(other), &opts, &list, &err), 0);
    cr_assert_str_neq(list.items[2]->uri, want);
    nw_story_list_free(&list);

    /* a headline alone is not a story */
    nw_story *none = parse_text("Only a headline\n", "headline-text", &err, &(int){0});
    cr_assert_null(none);
    cr_assert_str_eq(err.msg, "t.txt: line 1: a headline but no body text");
}

Test(headline_text, detection_tells_formats_apart)
{
    const char *web = "H\n\nSource:AFP Published: 2015-12-16 0:43:03\n\nBody.\n";
    const char *bbc = "Headline\n\nBody one.\n\nBody two.\n";
    cr_assert_str_eq(nw_parser_detect(web, strlen(web))->name, "webcopy");
    cr_assert_str_eq(nw_parser_detect(bbc, strlen(bbc))->name, "headline-text");
    cr_assert_null(nw_parser_detect("one line", 8));
    cr_assert_str_eq(nw_parser_find("webcopy")->name, "webcopy");
    cr_assert_str_eq(nw_parser_find("headline-text")->name, "headline-text");
    cr_assert_null(nw_parser_find("no-such-format"));
    cr_assert_null(nw_parser_find(NULL));
}

Test(headline_text, bbc_corpus_parses)
{
    char *root = nw_test_shared_path("datasets/corpora/bbc-fulltext/bbc");
    DIR *top = root ? opendir(root) : NULL;
    if (!top) {
        free(root);
        cr_skip_test("BBC corpus not available");
    }
    closedir(top);
    const char *cats[] = {"business", "entertainment", "politics", "sport", "tech"};
    size_t files = 0, repaired = 0;
    for (size_t c = 0; c < 5; c++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, cats[c]);
        DIR *d = opendir(dir);
        cr_assert_not_null(d, "%s", dir);
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".txt"))
                continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            nw_test_warnings w = {0};
            nw_story *s = parse_one(path, "auto", NULL, cats[c], &w);
            cr_assert_not_null(nw_story_headline(s), "%s", path);
            cr_assert(nw_story_headline(s)[0], "%s: empty headline", path);
            cr_assert_not_null(nw_story_body(s, "text/plain"), "%s", path);
            cr_assert_not_null(nw_story_body(s, "text/html"), "%s", path);
            cr_assert_eq(strncmp(s->uri, "urn:newswire:text:", 18), 0, "%s: %s", path, s->uri);
            cr_assert_eq(strlen(s->uri), 18 + 32);
            cr_assert_null(s->version_created, "%s", path);
            expect_categories(s, cats[c], NULL);
            if (w.count) {
                repaired++;
                cr_assert_eq(c, 3, "%s: unexpected warning %s", path, w.last);
                cr_assert_str_eq(e->d_name, "199.txt");
                cr_assert_not_null(strstr(w.last, "invalid UTF-8 at offset"), "%s", w.last);
                cr_assert_eq(strncmp(w.last, path, strlen(path)), 0, "%s", w.last);
                /* the Latin-1 pound sign, decoded */
                cr_assert_not_null(strstr(nw_story_body(s, "text/plain"), "\xC2\xA3"));
                cr_assert(
                    nw_utf8_valid(nw_story_body(s, NULL), strlen(nw_story_body(s, NULL)), NULL));
            }
            nw_story_free(s);
            files++;
        }
        closedir(d);
    }
    free(root);
    cr_assert_eq(files, 2225, "%zu BBC files", files);
    cr_assert_eq(repaired, 1, "%zu files repaired", repaired);
}

/* ---------------------------------------------------------- bad inputs --- */

Test(bad_input, exact_errors)
{
    char *empty = nw_test_fixture_path("bad/empty.txt");
    char *binary = nw_test_fixture_path("bad/binary.png");
    char *blank = nw_test_fixture_path("bad/whitespace.txt");
    expect_file_error(empty, "auto", NW_EINVAL, "empty file");
    expect_file_error(empty, "webcopy", NW_EINVAL, "empty file");
    expect_file_error(binary, "auto", NW_EINVAL, "binary data, not text (offset 6)");
    expect_file_error(blank, "auto", NW_EINVAL, "empty file (whitespace only)");
    expect_file_error("/nonexistent/story.txt", "auto", NW_ENOTFOUND,
                      "cannot open: No such file or directory");
    expect_file_error("/", "auto", NW_EINVAL, "is a directory, not a file");
    char *web = nw_test_fixture_path("webcopy/no_caption.txt");
    nw_story_list list = {0};
    nw_err ferr = {0};
    cr_assert_eq(nw_parse_file(web, "no-such-format", NULL, &list, &ferr), NW_EINVAL);
    char want[1024];
    snprintf(want, sizeof want, "%s: unknown format 'no-such-format' (known: ", web);
    cr_assert_eq(strncmp(ferr.msg, want, strlen(want)), 0, "%s", ferr.msg);
    cr_assert_not_null(strstr(ferr.msg, "webcopy, headline-text)"), "%s", ferr.msg);
    free(web);
    free(empty);
    free(binary);
    free(blank);

    nw_err err = {0};
    int rc;
    cr_assert_null(parse_text("single line, no layout", "auto", &err, &rc));
    const char *want_unknown = "t.txt: unrecognised format (known: ";
    cr_assert_eq(strncmp(err.msg, want_unknown, strlen(want_unknown)), 0, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "webcopy, headline-text)"), "%s", err.msg);
    cr_assert_null(parse_text("Head\n\nBody \x01\x02\x03\x04 with controls\n", "auto", &err, &rc));
    cr_assert_str_eq(err.msg, "t.txt: binary data, not text (offset 11)");
}

Test(bad_input, invalid_utf8_repaired_with_warning)
{
    char *path = nw_test_fixture_path("bad/invalid_utf8.txt");
    nw_test_warnings w = {0};
    nw_story *s = parse_one(path, "auto", NULL, NULL, &w);
    cr_assert_eq(w.count, 1);
    char want[4200];
    snprintf(want, sizeof want,
             "%s: invalid UTF-8 at offset 3: 3 byte(s) decoded as windows-1252 (a "
             "guess; check those characters)",
             path);
    cr_assert_str_eq(w.last, want);
    cr_assert_str_eq(nw_story_headline(s), "Caf\xC3\xA9 prices rise by 10%");
    cr_assert_not_null(strstr(nw_story_body(s, "text/plain"), "costs \xC2\xA3"
                                                              "2.50"));
    nw_story_free(s);
    free(path);
}

Test(bad_input, oversized_file_refused_before_reading)
{
    char *dir = nw_test_mkdtemp("parse");
    cr_assert_not_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/huge.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    /* 50 MB, sparse: nothing to read would be fast anyway, so time it */
    cr_assert_eq(ftruncate(fd, 50L * 1000 * 1000), 0);
    close(fd);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_file_error(path, "auto", NW_ELIMIT,
                      "file is 50000000 bytes, over the limit of 16777216 bytes");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert(ms < 100, "took %.1f ms", ms);

    /* a configured smaller limit, on a file and on a buffer */
    snprintf(path, sizeof path, "%s/small.txt", dir);
    cr_assert_eq(nw_test_write_file(path, "Head\n\nBody text.\n", 17), 0);
    nw_parse_opts opts = {.max_input_bytes = 10};
    nw_story_list list = {0};
    nw_err err = {0};
    cr_assert_eq(nw_parse_file(path, "auto", &opts, &list, &err), NW_ELIMIT);
    char want[4200];
    snprintf(want, sizeof want, "%s: file is 17 bytes, over the limit of 10 bytes", path);
    cr_assert_str_eq(err.msg, want);
    opts.origin = "buf";
    cr_assert_eq(nw_parse_buffer("auto", "Head\n\nBody text.\n", 17, &opts, &list, &err),
                 NW_ELIMIT);
    cr_assert_str_eq(err.msg, "buf: input is 17 bytes, over the limit of 10 bytes");
    opts.max_input_bytes = 17;
    cr_assert_eq(nw_parse_file(path, "auto", &opts, &list, &err), 0, "%s", err.msg);
    cr_assert_eq(list.len, 1);
    nw_story_list_free(&list);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(bad_input, failure_leaves_list_unchanged)
{
    nw_story_list list = {0};
    nw_err err = {0};
    const char *good = "Head\n\nBody.\n";
    cr_assert_eq(nw_parse_buffer(NULL, good, strlen(good), NULL, &list, &err), 0);
    cr_assert_eq(list.len, 1);
    const char *bad = "H\n\nSource:AFP Published: never\n\nBody.\n";
    cr_assert_lt(nw_parse_buffer("auto", bad, strlen(bad), NULL, &list, &err), 0);
    cr_assert_eq(list.len, 1);
    cr_assert_eq(strncmp(err.msg, "line 3: Published:", 18), 0, "%s", err.msg); /* no origin */
    cr_assert_lt(nw_parse_buffer("auto", "", 0, NULL, &list, &err), 0);
    cr_assert_str_eq(err.msg, "empty file");
    cr_assert_lt(nw_parse_buffer("auto", "\xEF\xBB\xBF", 3, NULL, &list, &err), 0);
    cr_assert_str_eq(err.msg, "empty file"); /* a BOM alone */
    cr_assert_eq(list.len, 1);
    nw_story_list_free(&list);
    cr_assert_eq(list.len, 0);
    cr_assert_null(list.items);
    nw_story_list_free(&list); /* idempotent */
}
