/*
 * test_parse_feed_stream — RSS/Atom feeds read streaming (nw_parse_opts
 * .stream_above; nw_parse_feed.c, "large feeds") give what a whole read
 * gives: the same stories in the same order, the same warnings, the same
 * error, for every feed of our fixtures and of the shared datasets, and
 * for the shapes streaming could get wrong (metadata after the items,
 * items before the channel, lines past 65535, a malformed or hostile item
 * in the middle). A malformed item anywhere fails the file before any
 * story is handed on, as in a whole read: the document is checked to its
 * end first.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

/* What one parse gave: status, error, warnings and every story's JSON. */
typedef struct outcome {
    int rc;
    nw_err err;
    nw_buf warnings;
    nw_buf stories;
    size_t count;
} outcome;

static void collect_warning(void *ctx, const char *msg)
{
    outcome *o = ctx;
    nw_buf_puts(&o->warnings, msg);
    nw_buf_putc(&o->warnings, '\n');
}

static void add_story(outcome *o, const nw_story *s)
{
    nw_err jerr = {0};
    char *json = nw_ninjs_dumps(s, &jerr);
    cr_assert(json, "%s", jerr.msg);
    nw_buf_puts(&o->stories, json);
    nw_buf_putc(&o->stories, '\n');
    o->count++;
    free(json);
}

static int sink_story(void *ctx, nw_story *story, nw_err *err)
{
    (void)err;
    add_story(ctx, story);
    nw_story_free(story);
    return 0;
}

/* Parse buf as `format`, streaming when stream is true (every size), else
 * whole; stories handed to a sink when `sink`. */
static void parse_as(const char *buf, size_t len, const char *format, bool stream, bool sink,
                     outcome *o)
{
    memset(o, 0, sizeof *o);
    nw_parse_opts opts = {.origin = "feed.xml", .default_category = "general"};
    opts.warn = collect_warning;
    opts.warn_ctx = o;
    opts.stream_above = stream ? 1 : SIZE_MAX;
    if (sink) {
        opts.sink = sink_story;
        opts.sink_ctx = o;
    }
    nw_story_list list = {0};
    o->rc = nw_parse_buffer(format, buf, len, &opts, &list, &o->err);
    for (size_t i = 0; i < list.len; i++)
        add_story(o, list.items[i]);
    nw_story_list_free(&list);
}

static void outcome_free(outcome *o)
{
    nw_buf_free(&o->warnings);
    nw_buf_free(&o->stories);
}

static void assert_same(const char *what, const outcome *a, const outcome *b)
{
    cr_assert_eq(a->rc, b->rc, "%s: rc %d (%s) vs %d (%s)", what, a->rc, a->err.msg, b->rc,
                 b->err.msg);
    cr_assert_str_eq(a->err.msg, b->err.msg, "%s", what);
    cr_assert_str_eq(nw_buf_str(&a->warnings), nw_buf_str(&b->warnings), "%s", what);
    cr_assert_eq(a->count, b->count, "%s: %zu vs %zu stories", what, a->count, b->count);
    cr_assert(!strcmp(nw_buf_str(&a->stories), nw_buf_str(&b->stories)), "%s: stories differ",
              what);
}

/* Whole and streaming reads of buf agree, with and without a sink. */
static void check_same(const char *what, const char *buf, size_t len, const char *format)
{
    outcome whole, stream, streamed;
    parse_as(buf, len, format, false, false, &whole);
    parse_as(buf, len, format, true, false, &stream);
    parse_as(buf, len, format, true, true, &streamed);
    assert_same(what, &whole, &stream);
    if (whole.rc == 0)
        assert_same(what, &whole, &streamed);
    else
        cr_assert_eq(streamed.rc, whole.rc, "%s", what);
    outcome_free(&whole);
    outcome_free(&stream);
    outcome_free(&streamed);
}

typedef struct walk_state {
    long files;
} walk_state;

static void check_file(const char *path, size_t size, void *ctx)
{
    (void)size;
    walk_state *ws = ctx;
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert(buf, "%s", path);
    check_same(path, buf, len, "rss");
    check_same(path, buf, len, "auto");
    free(buf);
    ws->files++;
}

/* ------------------------------------------------------------ corpora --- */

Test(feed_stream, same_as_whole_on_every_fixture)
{
    const char *dirs[] = {"feeds", "xml", "fuzz-regressions"};
    walk_state ws = {0};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char *dir = nw_test_fixture_path(dirs[i]);
        cr_assert_geq(nw_test_walk(dir, 0, check_file, &ws), 0, "%s", dir);
        free(dir);
    }
    cr_assert_gt(ws.files, 10);
}

Test(feed_stream, same_as_whole_on_every_shared_feed)
{
    char *dir = nw_test_shared_path("datasets/feeds");
    if (!dir)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    walk_state ws = {0};
    cr_assert_geq(nw_test_walk(dir, 0, check_file, &ws), 0, "%s", dir);
    cr_assert_gt(ws.files, 100);
    free(dir);
}

/* ------------------------------------------------------------- shapes --- */

static void check_text(const char *what, const char *xml, const char *format)
{
    check_same(what, xml, strlen(xml), format);
}

Test(feed_stream, channel_metadata_after_the_items)
{
    check_text("rss",
               "<rss><channel><item><guid>a</guid><title>A</title></item>"
               "<title>Late Title</title><link>http://late.example/</link>"
               "<language>fr</language></channel></rss>",
               "rss");
    check_text("atom",
               "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>e1</id>"
               "<title>E</title></entry><title>T</title><link href='http://a.example/'/>"
               "<author><name>Ann</name></author></feed>",
               "atom");
    /* and the story does say it: provider and site from the late elements */
    outcome o;
    const char *x = "<rss><channel><item><guid>a</guid><title>A</title></item>"
                    "<title>Late</title><link>http://late.example/</link></channel></rss>";
    parse_as(x, strlen(x), "rss", true, true, &o);
    cr_assert_eq(o.rc, 0, "%s", o.err.msg);
    cr_assert(strstr(nw_buf_str(&o.stories), "urn:newswire:feed:late-example:a"), "%s",
              nw_buf_str(&o.stories));
    cr_assert(strstr(nw_buf_str(&o.stories), "\"Late\""), "%s", nw_buf_str(&o.stories));
    outcome_free(&o);
}

Test(feed_stream, items_beside_the_channel_keep_the_whole_read_order)
{
    /* RSS 1.0 items follow the channel; a broken 0.9x feed puts some before it */
    check_text("rdf after",
               "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
               "xmlns='http://purl.org/rss/1.0/'><channel><title>C</title></channel>"
               "<item rdf:about='http://x/1'><title>1</title></item>"
               "<item rdf:about='http://x/2'><title>2</title></item></rdf:RDF>",
               "rss");
    check_text("before",
               "<rss><item><title>root first</title></item><channel><title>C</title>"
               "<item><title>in channel</title></item></channel>"
               "<item><title>root after</title></item></rss>",
               "rss");
    check_text("bare rdf", "<rdf><item><title>1</title></item><item><title>2</title></item></rdf>",
               "rss");
    check_text("two channels",
               "<rss><channel><title>A</title><item><title>a</title></item>"
               "</channel><channel><title>B</title><item><title>b</title></item></channel></rss>",
               "rss");
    check_text("lone entry",
               "<entry xmlns='http://www.w3.org/2005/Atom'><id>x</id><title>Lone"
               "</title><entry><id>y</id><title>Nested</title></entry></entry>",
               "atom");
    check_text("no items", "<rss><channel><title>Empty</title></channel></rss>", "rss");
    check_text("no stories", "<rss><channel><item><guid>z</guid></item></channel></rss>", "rss");
}

/* A feed of n items, one per two lines, every 1,000th with a date that
 * cannot be read and every 1,500th empty (both warn with the item's line). */
static char *many_items(long n, size_t *len)
{
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Many</title>"
                    "<link>http://many.example/</link>\n");
    for (long i = 0; i < n; i++) {
        if (i % 1500 == 7)
            nw_buf_puts(&b, "<item>\n</item>\n");
        else
            nw_buf_printf(&b, "<item><title>t%ld</title>\n<pubDate>%s</pubDate></item>\n", i,
                          i % 1000 == 3 ? "sometime" : "Mon, 07 Dec 2026 04:00:00 GMT");
    }
    nw_buf_puts(&b, "</channel></rss>\n");
    *len = b.len;
    return nw_buf_take(&b);
}

Test(feed_stream, many_items_lines_past_65535)
{
    size_t len = 0;
    char *buf = many_items(34000, &len);
    check_same("many", buf, len, "rss");
    outcome o;
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_eq(o.rc, 0, "%s", o.err.msg);
    cr_assert_eq(o.count, 34000 - 23);
    /* item i starts on line 3 + 2 i: 33007 (empty) on 66017 */
    cr_assert(strstr(nw_buf_str(&o.warnings), "feed.xml: line 66017: <item> with no title"), "%s",
              nw_buf_str(&o.warnings) + o.warnings.len - 300);
    /* and 33003's unreadable pubDate is named by its item's line */
    cr_assert(strstr(nw_buf_str(&o.warnings), "line 66009: <pubDate> left out"), "%s",
              nw_buf_str(&o.warnings) + o.warnings.len - 300);
    outcome_free(&o);
    free(buf);
}

/* A broken item in the middle: the file fails with the line, and no story
 * reaches the sink, not even those of the items before it. */
Test(feed_stream, malformed_item_in_the_middle_fails_the_file_before_any_story)
{
    size_t len = 0;
    char *buf = many_items(3000, &len);
    char *mid = strstr(buf, "<title>t2000</title>");
    cr_assert(mid);
    memcpy(mid, "<title>t2000</titel>", 20);
    check_same("malformed", buf, len, "rss");
    outcome o;
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_lt(o.rc, 0);
    cr_assert_eq(o.count, 0, "%zu stories handed on before the error", o.count);
    cr_assert(strstr(o.err.msg, "feed.xml: line 4003: Opening and ending tag mismatch: title"),
              "%s", o.err.msg);
    outcome_free(&o);
    free(buf);
}

/* ----------------------------------------------------------- entities --- */

/* many_items with `decl` as internal subset and `ref` in item 1,500's title. */
static char *items_with_entity(const char *decl, const char *ref, size_t *len)
{
    size_t n = 0;
    char *items = many_items(2000, &n);
    nw_buf b = NW_BUF_INIT;
    nw_buf_printf(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [%s]>", decl);
    const char *body = strchr(items, '\n') + 1;
    const char *at = strstr(body, "<title>t1500</title>");
    nw_buf_append(&b, body, (size_t)(at - body));
    nw_buf_printf(&b, "<title>t1500 %s</title>", ref);
    nw_buf_puts(&b, at + strlen("<title>t1500</title>"));
    free(items);
    *len = b.len;
    return nw_buf_take(&b);
}

Test(feed_stream, entities_resolved_and_refused_as_in_a_whole_read)
{
    size_t len;
    char *buf = items_with_entity("<!ENTITY co \"Example Corp\">", "&co; &eacute;", &len);
    check_same("internal", buf, len, "rss");
    outcome o;
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_eq(o.rc, 0, "%s", o.err.msg);
    cr_assert(strstr(nw_buf_str(&o.stories), "t1500 Example Corp é"));
    outcome_free(&o);
    free(buf);

    buf = items_with_entity("", "&nosuch;", &len);
    check_same("undeclared", buf, len, "rss");
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_lt(o.rc, 0);
    cr_assert_eq(o.count, 0);
    cr_assert(strstr(o.err.msg, "feed.xml: line 3003: Entity 'nosuch' not defined"), "%s",
              o.err.msg);
    outcome_free(&o);
    free(buf);

    buf = items_with_entity("<!ENTITY x SYSTEM \"file:///etc/passwd\">", "&x;", &len);
    check_same("external", buf, len, "rss");
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_lt(o.rc, 0);
    cr_assert_eq(o.count, 0);
    cr_assert(!strstr(nw_buf_str(&o.stories), "root:"));
    outcome_free(&o);
    free(buf);
}

Test(feed_stream, billion_laughs_refused_with_its_line)
{
    nw_buf d = NW_BUF_INIT;
    nw_buf_puts(&d, "<!ENTITY lol0 \"lol\">");
    for (int i = 1; i <= 10; i++) {
        nw_buf_printf(&d, "<!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            nw_buf_printf(&d, "&lol%d;", i - 1);
        nw_buf_puts(&d, "\">");
    }
    size_t len;
    char *buf = items_with_entity(nw_buf_str(&d), "&lol10;", &len);
    check_same("laughs", buf, len, "rss");
    outcome o;
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_lt(o.rc, 0);
    cr_assert_eq(o.count, 0);
    cr_assert(strstr(o.err.msg, "feed.xml: line 3003: entity expansion too large"), "%s",
              o.err.msg);
    outcome_free(&o);
    free(buf);
    nw_buf_free(&d);

    /* many references to a 4 KB entity: over the expansion budget (1 MiB more
     * than the input) without libxml2's amplification guard seeing it */
    nw_buf big = NW_BUF_INIT, refs = NW_BUF_INIT;
    nw_buf_puts(&big, "<!ENTITY k \"");
    for (int i = 0; i < 4096; i++)
        nw_buf_putc(&big, 'k');
    nw_buf_puts(&big, "\">");
    for (int i = 0; i < 400; i++)
        nw_buf_puts(&refs, "&k;");
    buf = items_with_entity(nw_buf_str(&big), nw_buf_str(&refs), &len);
    check_same("budget", buf, len, "rss");
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_eq(o.count, 0);
    outcome_free(&o);
    free(buf);
    nw_buf_free(&big);
    nw_buf_free(&refs);
}

Test(feed_stream, too_deep_inside_an_item)
{
    nw_buf deep = NW_BUF_INIT;
    for (int i = 0; i < 300; i++)
        nw_buf_puts(&deep, "<b>");
    for (int i = 0; i < 300; i++)
        nw_buf_puts(&deep, "</b>");
    size_t len;
    char *buf = items_with_entity("", nw_buf_str(&deep), &len);
    check_same("deep", buf, len, "rss");
    outcome o;
    parse_as(buf, len, "rss", true, true, &o);
    cr_assert_lt(o.rc, 0);
    cr_assert_eq(o.count, 0);
    cr_assert(strstr(o.err.msg, "nested deeper than 256"), "%s", o.err.msg);
    outcome_free(&o);
    free(buf);
    nw_buf_free(&deep);
}
