/*
 * test_ninjs_direct — the ninjs parser's fast path (nw_ninjs_direct, read
 * straight from the bytes) held to its tree path (jansson tree, variants,
 * decoder): documents it must accept give exactly the tree path's story (field
 * by field and serialized); documents it must decline (variant names, wrong
 * types, bad escapes and times, duplicate keys, nesting, arrays, wrappers,
 * 2.x detection, categories that warn) leave no trace. Then every JSON file
 * of the fixtures, the fuzz seeds and the shared ninjs datasets, and seeded
 * byte mutations of the accepted documents, through the same check.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ninjs_direct_check.h"
#include "nw_ninjs_direct.h"
#include "nw_parse_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

#define BENCH_STORY                                                                                \
    "{\"uri\":\"urn:bench:ninjs:7\",\"type\":\"text\",\"version\":\"1\","                          \
    "\"versionCreated\":\"2024-03-05T14:30:00Z\",\"language\":\"en\","                             \
    "\"headlines\":[{\"value\":\"Benchmark story number 7\"}],"                                    \
    "\"bodies\":[{\"value\":\"Negotiators returned on Tuesday for a new round of talks (story "    \
    "7).\",\"contentType\":\"text/plain\"}]}\n"

/* Both paths agree on doc; returns whether the fast path took it. */
static bool same(const char *doc, const char *category)
{
    bool accepted;
    const char *bad = ndc_check(doc, strlen(doc), category, &accepted);
    cr_assert_null(bad, "%s: [%s]", bad, doc);
    return accepted;
}

static void accepts(const char *doc, const char *category)
{
    cr_assert(same(doc, category), "the fast path declined [%s]", doc);
}

static void declines(const char *doc, const char *category)
{
    cr_assert_not(same(doc, category), "the fast path accepted [%s]", doc);
}

/* A minimal 3.x story with `member` (a "key": value text) added. */
static void with_member(char *out, size_t cap, const char *member)
{
    snprintf(out, cap,
             "{\"uri\":\"urn:x:1\",\"versionCreated\":\"2024-03-05T14:30:00Z\","
             "\"headlines\":[{\"value\":\"H\"}],%s}",
             member);
}

static void accepts_member(const char *member, const char *category)
{
    char doc[1024];
    with_member(doc, sizeof doc, member);
    accepts(doc, category);
}

static void declines_member(const char *member)
{
    char doc[1024];
    with_member(doc, sizeof doc, member);
    declines(doc, "bench");
}

Test(ninjs_direct, bench_story_is_taken_and_equal)
{
    accepts(BENCH_STORY, "bench");
    accepts(BENCH_STORY, NULL);
    /* what it holds, not only that it matches */
    nw_parse_opts o = {.timezone = "UTC", .default_category = "bench"};
    nw_story_list l = {0};
    cr_assert_eq(nw_ninjs_parse_direct(BENCH_STORY, strlen(BENCH_STORY), &o, &l), 1);
    const nw_story *s = l.items[0];
    cr_assert_str_eq(s->uri, "urn:bench:ninjs:7");
    cr_assert_str_eq(s->version_created, "2024-03-05T14:30:00Z");
    cr_assert_str_eq(s->bodies.items[0].content_type, "text/plain");
    const char *slug = NULL;
    cr_assert_eq(nw_story_categories(s, &slug, 1), 1);
    cr_assert_str_eq(slug, "bench");
    nw_story_list_free(&l);
}

Test(ninjs_direct, parser_takes_the_fast_path_and_gives_the_same_bytes)
{
    nw_parse_opts o = {.default_category = "bench"};
    nw_story_list a = {0}, b = {0};
    nw_err err;
    cr_assert_eq(nw_parse_buffer("ninjs", BENCH_STORY, strlen(BENCH_STORY), &o, &a, &err), 0);
    cr_assert_eq(nw_parse_buffer("auto", BENCH_STORY, strlen(BENCH_STORY), &o, &b, &err), 0);
    char *ja = nw_ninjs_dumps(a.items[0], &err), *jb = nw_ninjs_dumps(b.items[0], &err);
    cr_assert_str_eq(ja, jb);
    free(ja);
    free(jb);
    nw_story_list_free(&a);
    nw_story_list_free(&b);
}

Test(ninjs_direct, accepted_documents_match_the_tree_path)
{
    static const char *const members[] = {
        "\"type\":\"text\"",
        "\"type\":\"story\"",
        "\"type\":\"advisory\"",
        "\"type\":\"preformatted\"",
        "\"type\":\"photo\"",
        "\"type\":\"image\"",
        "\"type\":\"planning\"",
        "\"version\":\"3\"",
        "\"version\":7",
        "\"version\":0",
        "\"version\":123456789012345",
        "\"pubStatus\":\"usable\"",
        "\"pubStatus\":\"withheld\"",
        "\"pubStatus\":\"cancelled\"",
        "\"pubStatus\":\"canceled\"",
        "\"urgency\":1",
        "\"urgency\":9",
        "\"language\":\"de-CH\",\"slugline\":\"s\",\"by\":\"B\",\"located\":\"L\"",
        "\"edNote\":\"n\",\"copyrightNotice\":\"(c)\"",
        "\"firstCreated\":\"2024-03-05T14:30:00.120Z\"",
        "\"firstCreated\":\"2024-03-05 14:30:00\"",
        "\"contentCreated\":\"2024-03-05T14:30:00+01:00\"",
        "\"embargoedUntil\":\"2024-03-05T14:30:00.000Z\"",
        "\"embargoedUntil\":\"2016-12-31T23:59:60Z\"",
        "\"bodies\":[]",
        "\"bodies\":[{\"value\":\"<p>x</p>\",\"contentType\":\"text/html\",\"role\":\"main\"}]",
        "\"descriptions\":[{\"role\":\"summary\",\"value\":\"d\"},{\"value\":\"e\"}]",
        "\"bodies\":[{\"value\":\"a\\nb\\t\\\"q\\\" \\\\ \\/ \\b\\f\\r\"}]",
        "\"bodies\":[{\"value\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u00E9\"}]",
        "\"bodies\":[{\"value\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}]",
        "\"bodies\":[{\"value\":\"a long role\",\"role\":"
        "\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"}]",
        "\"bodies\":[{\"value\":\"escaped role\",\"role\":\"r\\u00f4le\"}]",
        "\"subjects\":[{\"name\":\"Politics\",\"uri\":\"http://cv.iptc.org/newscodes/"
        "mediatopic/11000000\"}]",
        "\"subjects\":[{\"name\":\"Shipping\",\"rel\":\"category\"}]",
        "\"subjects\":[{\"literal\":\"x:Ferries\",\"rel\":\"category\"}]",
        "\"subjects\":[{\"rel\":\"category\"}]",
        "\"subjects\":[{\"name\":\"kw\",\"rel\":\"keyword\",\"literal\":\"k\"},"
        "{\"name\":\"Sport\",\"uri\":\"subject_custom/15000000\"}]",
        "\"subjects\":[{}]",
        "\"places\":[{\"name\":\"Berlin\",\"uri\":\"geo:1\"}],\"people\":[{\"name\":\"P\","
        "\"rel\":\"author\"}],\"organisations\":[{\"name\":\"O\",\"literal\":\"o\"}]",
        "\"genres\":[{\"name\":\"Feature\",\"uri\":\"http://cv.iptc.org/newscodes/genre/"
        "Feature\"}]",
        "\"infoSources\":[{\"name\":\"Example Wire\",\"role\":\"source\"}]",
        "\"uri\":\"story-123\"",
        "\"infoSources\":[{\"name\":\"Example Wire\",\"role\":\"source\"}],"
        "\"uri\":\"id with/spaces\"",
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        /* "uri" twice would be a duplicate: those replace the document's */
        if (!strncmp(members[i], "\"uri\"", 5) || strstr(members[i], "],\"uri\"")) {
            char doc[1024];
            snprintf(doc, sizeof doc, "{\"versionCreated\":\"2024-03-05T14:30:00Z\",%s}",
                     members[i]);
            accepts(doc, "bench");
            accepts(doc, NULL);
            continue;
        }
        accepts_member(members[i], "bench");
        accepts_member(members[i], NULL);
    }
    /* whitespace everywhere JSON allows it; no 2.x name at all: 3.x */
    accepts(" \n\t{ \"uri\" : \"urn:x\" , \"headlines\" : [ { \"value\" : \"h\" } ] ,"
            "\"pubStatus\":\"usable\" } \r\n ",
            "bench");
    accepts("{\"uri\":\"urn:x\"}", "bench");
    accepts("{\"uri\":\"urn:x\",\"language\":\"en\"}", NULL);
}

Test(ninjs_direct, variant_and_unknown_names_decline)
{
    static const char *const members[] = {
        "\"ednote\":\"x\"",
        "\"byline\":\"x\"",
        "\"persons\":[]",
        "\"rightsinfo\":{}",
        "\"rightsInfo\":{}",
        "\"copyrightholder\":\"x\"",
        "\"copyrightnotice\":\"x\"",
        "\"usageterms\":\"x\"",
        "\"usageTerms\":\"x\"",
        "\"embargoed\":\"2024-03-05T14:30:00Z\"",
        "\"provider\":\"x\"",
        "\"versioncreated\":\"2024-03-05T14:30:00Z\"",
        "\"firstcreated\":\"2024-03-05T14:30:00Z\"",
        "\"contentcreated\":\"2024-03-05T14:30:00Z\"",
        "\"pubstatus\":\"usable\"",
        "\"representationType\":\"full\"",
        "\"representationtype\":\"complete\"",
        "\"guid\":\"x\"",
        "\"keywords\":[\"a\"]",
        "\"associations\":[]",
        "\"expires\":\"2024-03-05T14:30:00Z\"",
        "\"standard\":{\"version\":\"2\"}",
        "\"$standard\":{}",
        "\"$schema\":\"http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json\"",
        "\"format\":\"digitalwires\"",
        "\"urn\":\"urn:x\",\"article_html\":\"<p>\"",
        "\"api_version\":\"2\",\"data\":{}",
        "\"properties\":{}",
        "\"item\":[]",
        "\"total\":1",
        "\"name\":\"x\"",
        "\"rel\":\"x\"",
        "\"headline\":\"x\"",
        "\"body_text\":\"x\"",
        "\"altIds\":[]",
        "\"renditions\":[]",
        "\"title\":\"x\"",
        "\"Uri\":\"x\"",
        "\"\":\"x\"",
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        declines_member(members[i]);
}

Test(ninjs_direct, wrong_types_and_bad_values_decline)
{
    static const char *const members[] = {
        "\"type\":1",
        "\"type\":null",
        "\"type\":\"\"",
        "\"type\":\"article\"",
        "\"language\":true",
        "\"slugline\":[]",
        "\"by\":{}",
        "\"version\":1.5",
        "\"version\":1e2",
        "\"version\":-1",
        "\"version\":01",
        "\"version\":1234567890123456",
        "\"version\":null",
        "\"urgency\":0",
        "\"urgency\":10",
        "\"urgency\":-1",
        "\"urgency\":3.0",
        "\"urgency\":\"3\"",
        "\"urgency\":03",
        "\"pubStatus\":\"draft\"",
        "\"pubStatus\":\"published\"",
        "\"pubStatus\":1",
        "\"firstCreated\":\"Last Tuesday\"",
        "\"firstCreated\":\"2024-13-01T00:00:00Z\"",
        "\"firstCreated\":\"2024-02-30T00:00:00Z\"",
        "\"contentCreated\":\"\"",
        "\"embargoedUntil\":20240305",
        "\"bodies\":{}",
        "\"bodies\":[1]",
        "\"bodies\":[[]]",
        "\"bodies\":[{}]",
        "\"bodies\":[{\"role\":\"main\"}]",
        "\"bodies\":[{\"value\":1}]",
        "\"bodies\":[{\"value\":null}]",
        "\"bodies\":[{\"value\":\"a\",\"role\":null}]",
        "\"bodies\":[{\"value\":\"a\",\"contentType\":1}]",
        "\"bodies\":[{\"value\":\"a\",\"charCount\":1}]",
        "\"bodies\":[{\"value\":\"a\",\"value\":\"b\"}]",
        "\"bodies\":[{\"value\":\"a\"},]",
        "\"bodies\":[{\"value\":\"a\",}]",
        "\"bodies\":[{\"val\\u0075e\":\"a\"}]",
        "\"subjects\":[{\"name\":1}]",
        "\"subjects\":[{\"name\":\"a\",\"relevance\":50}]",
        "\"subjects\":[{\"name\":\"a\",\"role\":\"x\"}]",
        "\"genres\":[{\"name\":\"a\",\"rel\":\"x\"}]",
        "\"infoSources\":[{\"name\":\"a\",\"rel\":\"x\"}]",
        "\"subjects\":[\"a\"]",
        "\"subjects\":[{\"name\":\"a\",\"name\":\"b\"}]",
        "\"subjects\":[{\"name\":\"a\",\"geoJSON\":{\"type\":\"Point\"}}]",
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        declines_member(members[i]);
}

Test(ninjs_direct, strings_jansson_refuses_or_keys_with_escapes_decline)
{
    static const char *const members[] = {
        "\"by\":\"a\\u0000b\"",
        "\"by\":\"\\ud800\"",
        "\"by\":\"\\udc00\"",
        "\"by\":\"\\ud800\\u0041\"",
        "\"by\":\"\\ud800x\"",
        "\"by\":\"\\x41\"",
        "\"by\":\"\\u12\"",
        "\"by\":\"\\u12g4\"",
        "\"by\":\"a\tb\"",
        "\"by\":\"a\nb\"",
        "\"by\":\"\xff\"",
        "\"by\":\"\xc0\xaf\"",
        "\"by\":\"\xed\xa0\x80\"",
        "\"by\":\"\xf4\x90\x80\x80\"",
        "\"by\":\"\xe2\x82\"",
        "\"b\\u0079\":\"x\"",
        "\"by\":'x'",
        "\"by\":x",
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        declines_member(members[i]);
}

Test(ninjs_direct, shapes_duplicates_and_structure_decline)
{
    static const char *const docs[] = {
        "[" BENCH_STORY "]",
        "{\"total\":1,\"item\":[" BENCH_STORY "]}",
        "{\"uri\":\"urn:a\",\"uri\":\"urn:b\",\"versionCreated\":\"2024-03-05T14:30:00Z\"}",
        "{\"uri\":\"urn:a\",\"language\":\"en\",\"language\":\"de\"}",
        "{\"uri\":\"urn:a\",\"headlines\":[],\"headlines\":[{\"value\":\"h\"}],"
        "\"pubStatus\":\"usable\"}",
        "{\"uri\":\"urn:a\",\"bodies\":[{\"value\":\"b\",\"extra\":{\"a\":{\"b\":[[[{}]]]}}}]}",
        "{\"uri\":\"urn:a\"} {}",
        "{\"uri\":\"urn:a\"},",
        "{\"uri\":\"urn:a\"}\v",
        "{\"uri\":\"urn:a\"",
        "{\"uri\":\"urn:a\",}",
        "{\"uri\" \"urn:a\"}",
        "{,}",
        "{}",
        "{\"uri\":\"\"}",
        "{\"language\":\"en\"}",
        "\"urn:a\"",
        "",
        "   ",
        /* headlines/bodies/descriptions without a 3.x-only name: read as 2.x */
        "{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"h\"}]}",
        "{\"uri\":\"urn:a\",\"bodies\":[],\"language\":\"en\",\"type\":\"text\"}",
        "{\"uri\":\"urn:a\",\"descriptions\":[{\"value\":\"d\"}],\"urgency\":3}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        declines(docs[i], "bench");
    /* and the bare reader declines a buffer cut anywhere in the story */
    for (size_t n = 0; n + 2 < strlen(BENCH_STORY); n++) {
        nw_story *s = NULL;
        cr_assert_eq(nw_ninjs_direct_read(BENCH_STORY, n, &s), 0, "cut at %zu", n);
        cr_assert_null(s);
    }
}

Test(ninjs_direct, categories_that_would_warn_decline)
{
    /* a default category whose slug is empty: the tree path warns */
    declines(BENCH_STORY, "!!!");
    /* a coded subject whose name has no slug: the tree path warns */
    char doc[512];
    with_member(doc, sizeof doc, "\"subjects\":[{\"name\":\"???\",\"uri\":\"http://x/1\"}]");
    declines(doc, "bench");
    /* the same with a usable second subject: still a warning, still declined */
    with_member(doc, sizeof doc,
                "\"subjects\":[{\"name\":\"???\",\"uri\":\"http://x/1\"},"
                "{\"name\":\"Sport\",\"uri\":\"http://x/2\"}]");
    declines(doc, "bench");
}

/* ------------------------------------------------------ every file --- */

typedef struct walk_ctx {
    long files, accepted;
} walk_ctx;

static void check_file(const char *path, size_t size, void *ctx)
{
    walk_ctx *w = ctx;
    (void)size;
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 5, ".json"))
        return;
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "%s", path);
    bool accepted;
    const char *bad = ndc_check(buf, len, "bench", &accepted);
    cr_assert_null(bad, "%s: %s", path, bad);
    bad = ndc_check(buf, len, NULL, &accepted);
    cr_assert_null(bad, "%s: %s", path, bad);
    w->files++;
    w->accepted += accepted;
    free(buf);
}

Test(ninjs_direct, every_json_file_agrees)
{
    walk_ctx w = {0};
    char *fixtures = nw_test_fixture_path("");
    nw_test_walk(fixtures, 1 << 20, check_file, &w);
    free(fixtures);
    char *seeds = nw_test_fixture_path("../fuzz/seeds");
    nw_test_walk(seeds, 1 << 20, check_file, &w);
    free(seeds);
    long own = w.files;
    cr_assert_gt(own, 10, "the fixtures hold JSON files");
    char *shared = nw_test_shared_path("datasets/ninjs");
    if (shared)
        nw_test_walk(shared, 1 << 22, check_file, &w);
    free(shared);
    cr_log_info("%ld JSON files (%ld own), %ld taken by the fast path", w.files, own, w.accepted);
}

/* -------------------------------------------------------- mutations --- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Bytes that matter to the reader, to splice in. */
static const char *const pieces[] = {
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\u00e9",
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    " ",
    "\n",
    "1",
    "0",
    "-",
    ".5",
    "\xc3",
    "\xa9",
    "\xff",
    "\t",
    "null",
    "\"by\":\"x\"",
    "\"uri\"",
    "\"type\"",
    "\"rel\"",
    "story",
    "draft",
    "Z",
    "+01:00",
    "cancelled",
    "e",
};

Test(ninjs_direct, seeded_mutations_agree)
{
    static const char *const bases[] = {
        BENCH_STORY,
        "{\"uri\":\"story-9\",\"type\":\"photo\",\"version\":3,\"urgency\":2,"
        "\"pubStatus\":\"cancelled\",\"firstCreated\":\"2024-03-05 14:30:00\","
        "\"headlines\":[{\"value\":\"caf\\u00e9\",\"role\":\"main\"}],"
        "\"subjects\":[{\"name\":\"Shipping\",\"rel\":\"category\"},{\"name\":\"Sport\","
        "\"uri\":\"subject_custom/1\"}],\"infoSources\":[{\"name\":\"Wire\",\"role\":"
        "\"source\"}],\"genres\":[{\"name\":\"g\"}]}",
    };
    long accepted = 0, total = 0;
    char buf[2048];
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        for (int round = 0; round < 6000; round++) {
            size_t len = strlen(bases[b]);
            memcpy(buf, bases[b], len + 1);
            int edits = 1 + (int)(rnd() % 3);
            for (int e = 0; e < edits; e++) {
                size_t at = len ? (size_t)(rnd() % len) : 0;
                switch (rnd() % 3) {
                case 0: /* delete a run */ {
                    size_t n = 1 + rnd() % 4;
                    if (at + n > len)
                        n = len - at;
                    memmove(buf + at, buf + at + n, len - at - n + 1);
                    len -= n;
                    break;
                }
                case 1: /* insert a piece */ {
                    const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
                    size_t n = strlen(p);
                    if (len + n + 1 >= sizeof buf)
                        break;
                    memmove(buf + at + n, buf + at, len - at + 1);
                    memcpy(buf + at, p, n);
                    len += n;
                    break;
                }
                default: /* flip a byte */
                    if (len)
                        buf[at] = (char)(rnd() & 0xFF);
                    break;
                }
            }
            bool ok;
            const char *bad = ndc_check(buf, len, round & 1 ? "bench" : NULL, &ok);
            cr_assert_null(bad, "%s: [%.*s]", bad, (int)len, buf);
            accepted += ok;
            total++;
        }
    }
    cr_assert_gt(accepted, 0, "some mutations stay in the subset");
    cr_log_info("%ld mutations, %ld taken by the fast path", total, accepted);
}
