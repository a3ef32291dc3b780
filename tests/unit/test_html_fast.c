/*
 * test_html_fast — nw_html's tokenizer path (NW_HTML_FAST) against the
 * libxml2 parser path (NW_HTML_PARSER): whenever the tokenizer accepts a
 * fragment, both give the same plain text, clean HTML and paragraph count,
 * byte for byte. Checked on every description/content/summary fragment of
 * the shared feeds (skipped without them), on every pair of the tags the
 * tokenizer knows, and on thousands of generated fragments; the share it
 * accepts is logged. tests/fuzz/fuzz_html does the same on arbitrary input.
 */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_html.h"
#include "nw_testutil.h"
#include "nw_xml.h"

typedef struct tally {
    size_t fragments, fast, differ;
    char report[4096];
} tally;

/* Both paths over one fragment; records a difference in t. Returns true
 * when the tokenizer accepted it. */
static bool compare(tally *t, const char *what, const char *frag, size_t len)
{
    nw_html_result a, b;
    nw_err err;
    nw_err_clear(&err);
    t->fragments++;
    int ra = nw_html_clean_mode(frag, len, NW_HTML_FAST, &a, &err);
    if (ra == NW_HTML_NOT_SIMPLE) {
        cr_assert_null(a.plain);
        return false;
    }
    int rb = nw_html_clean_mode(frag, len, NW_HTML_PARSER, &b, &err);
    cr_assert_eq(ra, rb, "%s: fast %d, parser %d on [%.*s]", what, ra, rb, (int)len, frag);
    if (ra)
        return true;
    t->fast++;
    if (strcmp(a.plain, b.plain) || strcmp(a.html, b.html) || a.paragraphs != b.paragraphs) {
        t->differ++;
        size_t used = strlen(t->report);
        snprintf(t->report + used, sizeof t->report - used,
                 "%s: [%.*s]\n fast   [%.200s]\n parser [%.200s]\n", what,
                 (int)(len > 200 ? 200 : len), frag, a.html, b.html);
    }
    nw_html_result_free(&a);
    nw_html_result_free(&b);
    return true;
}

/* ------------------------------------------------- the shared feeds --- */

static bool is_carrier(const xmlNode *n)
{
    static const char *const names[] = {"description", "encoded",  "summary",
                                        "content",     "subtitle", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!xmlStrcmp(n->name, (const xmlChar *)names[i]))
            return true;
    return false;
}

static bool has_element_child(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

static void visit(tally *t, const char *path, xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_carrier(n)) {
            /* what the feed parser hands nw_html: the markup of child
             * elements, else the text (escaped HTML or CDATA) */
            char *frag = NULL;
            if (has_element_child(n)) {
                frag = nw_xml_inner_markup(n);
            } else {
                xmlChar *text = xmlNodeGetContent(n);
                frag = text ? strdup((const char *)text) : NULL;
                xmlFree(text);
            }
            if (frag)
                compare(t, path, frag, strlen(frag));
            free(frag);
        }
        visit(t, path, n->children);
    }
}

static void scan_file(const char *path, size_t size, void *ctx)
{
    (void)size;
    xmlDocPtr doc =
        xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return; /* not XML, or deliberately broken */
    visit(ctx, path, doc->children);
    xmlFreeDoc(doc);
}

static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

Test(fast_path, same_as_parser_on_every_feed_fragment, .timeout = 120)
{
    char *root = nw_test_shared_path("datasets/feeds");
    struct stat st;
    if (!root || stat(root, &st)) {
        free(root);
        cr_skip_test("shared datasets not available");
    }
    xmlSetGenericErrorFunc(NULL, quiet); /* UTF-32 samples make libxml2's I/O layer talk */
    tally t = {0};
    nw_test_walk(root, 8 * 1024 * 1024, scan_file, &t);
    free(root);
    cr_log_info("feed fragments: %zu, on the fast path: %zu", t.fragments, t.fast);
    cr_assert_gt(t.fragments, 400, "only %zu fragments found", t.fragments);
    cr_assert_gt(t.fast * 10, t.fragments * 8, "only %zu of %zu fragments on the fast path", t.fast,
                 t.fragments);
    cr_assert_eq(t.differ, 0, "%zu fragments differ:\n%s", t.differ, t.report);
}

/* ------------------------------------------------------- tag pairs --- */

/* Every tag the tokenizer has rules for, and a few the parser does not
 * know (plain containers for it, blocks or dropped for the cleaner). */
static const char *const tags[] = {
    "a",   "abbr",     "b",       "big",    "blockquote", "br",   "caption", "cite",   "code",
    "col", "colgroup", "dd",      "div",    "dl",         "dt",   "em",      "font",   "h1",
    "h2",  "h3",       "h4",      "h5",     "h6",         "hr",   "i",       "img",    "li",
    "ol",  "p",        "q",       "s",      "small",      "span", "strike",  "strong", "sub",
    "sup", "table",    "tbody",   "td",     "tfoot",      "th",   "thead",   "tr",     "tt",
    "u",   "ul",       "section", "figure", "svg",        "mark", "x-y"};

static bool is_void(const char *t)
{
    return !strcmp(t, "br") || !strcmp(t, "img") || !strcmp(t, "hr") || !strcmp(t, "col");
}

static void open_tag(char *out, size_t size, const char *t)
{
    if (!strcmp(t, "a"))
        snprintf(out, size, "<a href=\"http://e.example/?a=1&amp;b\">");
    else
        snprintf(out, size, "<%s>", t);
}

/* Each pair (outer, inner) in a few arrangements: nested and closed,
 * closed in the wrong order, left open, inside a list item and a heading.
 * The tokenizer must accept them all (they use its tags only) and agree. */
Test(fast_path, every_tag_pair_same_as_parser, .timeout = 120)
{
    const size_t n = sizeof tags / sizeof tags[0];
    tally t = {0};
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            const char *o = tags[i], *in = tags[j];
            char oo[64], io[64], oc[32], ic[32];
            open_tag(oo, sizeof oo, o);
            open_tag(io, sizeof io, in);
            snprintf(oc, sizeof oc, is_void(o) ? "" : "</%s>", o);
            snprintf(ic, sizeof ic, is_void(in) ? "" : "</%s>", in);
            char frags[6][512];
            snprintf(frags[0], sizeof frags[0], "%sone %stwo%s three%s four", oo, io, ic, oc);
            snprintf(frags[1], sizeof frags[1], "%sone %stwo%s three%s four", oo, io, oc, ic);
            snprintf(frags[2], sizeof frags[2], "lead %sone\n\n%stwo", oo, io);
            snprintf(frags[3], sizeof frags[3], "<ul><li>%sa %sb%s c<li>d%s</ul>e", oo, io, ic, oc);
            snprintf(frags[4], sizeof frags[4], "<h2>%sa</h2>%sb &amp; c%s<p>d", oo, io, ic);
            snprintf(frags[5], sizeof frags[5], "%s%s<br>x<br><br>y &nbsp; z%s%s", oo, io, ic, oc);
            for (size_t k = 0; k < 6; k++) {
                char what[64];
                snprintf(what, sizeof what, "pair %s/%s #%zu", o, in, k);
                bool fast = compare(&t, what, frags[k], strlen(frags[k]));
                cr_assert(fast, "%s declined: [%s]", what, frags[k]);
            }
        }
    }
    cr_log_info("tag pair fragments: %zu", t.fragments);
    cr_assert_eq(t.differ, 0, "%zu fragments differ:\n%s", t.differ, t.report);
}

/* ------------------------------------------------- generated soup --- */

Test(fast_path, generated_fragments_same_as_parser, .timeout = 120)
{
    static const char *const tok[] = {"<p>",
                                      "</p>",
                                      "<b>",
                                      "</b>",
                                      "<i>",
                                      "</i>",
                                      "<em>",
                                      "</em>",
                                      "<strong>",
                                      "</strong>",
                                      "<br>",
                                      "<br/>",
                                      "<br />",
                                      "<li>",
                                      "</li>",
                                      "<ul>",
                                      "</ul>",
                                      "<ol>",
                                      "</ol>",
                                      "<div>",
                                      "</div>",
                                      "<h2>",
                                      "</h2>",
                                      "<h3 id=x>",
                                      "</h3>",
                                      "<blockquote>",
                                      "</blockquote>",
                                      "<td>",
                                      "</td>",
                                      "<tr>",
                                      "</tr>",
                                      "<table>",
                                      "</table>",
                                      "<th>",
                                      "<span class=\"c\">",
                                      "</span>",
                                      "<font size=2>",
                                      "</font>",
                                      "<img src=\"i.png\" alt='a'>",
                                      "<hr>",
                                      "<section>",
                                      "</section>",
                                      "<svg><path d=\"M0\"/></svg>",
                                      "<svg>",
                                      "</svg>",
                                      "<a href=\"http://x.example/a?b=1&amp;c=2\">",
                                      "<a href='https://y.example'>",
                                      "<a href=mailto:z@example.org>",
                                      "<a href=\"javascript:x\">",
                                      "<a name=n>",
                                      "<A HREF=\"HTTP://U.EXAMPLE\">",
                                      "<a href=\"/rel\" target=_blank>",
                                      "<h:a href='http://p.example'>",
                                      "</h:a>",
                                      "<h:p>",
                                      "</h:p>",
                                      "<h:li>",
                                      "</a>",
                                      "<P>",
                                      "</P>",
                                      "<!-- c -->",
                                      "<!---->",
                                      "<!-- a -- b -->",
                                      "<!",
                                      "<?pi?>",
                                      "<script>x</script>",
                                      "<style>p{}</style>",
                                      "<pre>",
                                      "</pre>",
                                      "<toto>",
                                      "</toto>",
                                      "</x>",
                                      "<x-y>",
                                      "</x-y>",
                                      "<p/>",
                                      "<b/>",
                                      "&amp;",
                                      "&lt;",
                                      "&gt;",
                                      "&quot;",
                                      "&nbsp;",
                                      "&apos;",
                                      "&hellip;",
                                      "&eacute;",
                                      "&copy",
                                      "&unknown;",
                                      "&#39;",
                                      "&#x2019;",
                                      "&#146;",
                                      "&#0;",
                                      "&#xD800;",
                                      "&#12",
                                      "&#;",
                                      "& ",
                                      "&",
                                      "&amp",
                                      "text",
                                      " ",
                                      "  ",
                                      "\n",
                                      "\n\n",
                                      "\r\n",
                                      "\t",
                                      "caf\xC3\xA9",
                                      "\xC2\xA0",
                                      "\xC2\x92",
                                      "\xC3\xA2\xC2\x80\xC2\xA6",
                                      "\xE2\x80\x99",
                                      "\xEF\xBF\xBE",
                                      "\f",
                                      "\xEF\xBB\xBF",
                                      "x\xCC\x81",
                                      "<",
                                      ">",
                                      "</",
                                      "<3",
                                      "]]>",
                                      "<![CDATA[a<b]]>",
                                      "\"q'",
                                      "<p class=\"a\" class=\"b\">",
                                      "<a href=\"http://one.example\" href=\"http://two.example\">",
                                      "<div\n style=\"x\"\n>",
                                      "<b >",
                                      "</b >",
                                      "< b>",
                                      "<b",
                                      "<img src=x/>",
                                      "<p =x>",
                                      "<p a=>",
                                      "<h1>",
                                      "</h1>",
                                      "<dl>",
                                      "<dt>",
                                      "<dd>",
                                      "</dl>",
                                      "<caption>",
                                      "<col>",
                                      "<colgroup>",
                                      "<tbody>",
                                      "<thead>",
                                      "<tfoot>",
                                      "<u>",
                                      "<s>",
                                      "<small>",
                                      "<sub>",
                                      "<code>",
                                      "</code>",
                                      "<q>",
                                      "<cite>",
                                      "<abbr>",
                                      "<tt>",
                                      "<big>",
                                      "<strike>"};
    const size_t ntok = sizeof tok / sizeof tok[0];
    /* the same without the tokens the tokenizer always declines, so that
     * most of these take the fast path */
    const char *easy[sizeof tok / sizeof tok[0]];
    size_t neasy = 0;
    for (size_t i = 0; i < ntok; i++) {
        nw_html_result r;
        nw_err err;
        if (nw_html_clean_mode(tok[i], strlen(tok[i]), NW_HTML_FAST, &r, &err) == 0) {
            easy[neasy++] = tok[i];
            nw_html_result_free(&r);
        }
    }
    cr_assert_gt(neasy, ntok / 2);
    tally t = {0};
    unsigned seed = 20261127;
    for (int i = 0; i < 10000; i++) {
        bool all = i < 5000;
        char s[2048] = "";
        seed = seed * 1103515245u + 12345u;
        int parts = 1 + (int)(seed >> 16) % 40;
        for (int k = 0; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(s, all ? tok[(seed >> 16) % ntok] : easy[(seed >> 16) % neasy]);
        }
        char what[32];
        snprintf(what, sizeof what, "soup #%d", i);
        compare(&t, what, s, strlen(s));
    }
    cr_log_info("generated fragments: %zu, on the fast path: %zu", t.fragments, t.fast);
    cr_assert_gt(t.fast, 3000, "only %zu generated fragments on the fast path", t.fast);
    cr_assert_eq(t.differ, 0, "%zu fragments differ:\n%s", t.differ, t.report);
}

/* Simple fragments the tokenizer is for; the parser would agree. */
Test(fast_path, takes_common_fragments)
{
    static const char *const frags[] = {
        "<p>Hello <b>world</b> &amp; more</p><p>Second <a href=\"https://x.example\">link</a></p>",
        "Intro text<br><br>second <i>part</i>",
        "<div class=\"md\"><p>It&#39;s here</p>\n<ul><li>one</li><li>two</li></ul></div>",
        "<!-- SC_OFF --><div class=\"md\"><p>x</p></div><!-- SC_ON -->",
        "<section><p>unclosed<p>next</section>after",
        "<img src=\"a.png\" width=100><p>caption &mdash; text</p>",
        "<p><b>bold</p>after",
    };
    tally t = {0};
    for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++)
        cr_assert(compare(&t, "common", frags[i], strlen(frags[i])), "declined: %s", frags[i]);
    cr_assert_eq(t.differ, 0, "%s", t.report);
}

/* What the tokenizer must leave to the parser. */
Test(fast_path, declines_what_it_does_not_replay)
{
    static const char *const frags[] = {
        "<script>x</script>text",
        "<p>a<!-- b -- c -->d</p>",
        "a <!DOCTYPE html> b",
        "<pre>  code</pre>",
        "a < b",
        "<p>&#0;</p>",
        "\xEF\xBB\xBFtext<p>",
        "x\fy<b>z</b>",
        "<body><p>x</p></body>",
        "<iframe src=x></iframe>",
        "<p .a=1>x</p>",
        "<a href>x</a>",
        "<x:4>dropped by the parser</x:4>",
        "<p>a<xmp>b</xmp>c",
        "<p>a<listing>b",
        "a &zn\xC3\x9B\xC3\x9B b",
    };
    for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++) {
        nw_html_result r;
        nw_err err;
        int rc = nw_html_clean_mode(frags[i], strlen(frags[i]), NW_HTML_FAST, &r, &err);
        cr_assert_eq(rc, NW_HTML_NOT_SIMPLE, "[%s] taken (%d)", frags[i], rc);
        /* and nw_html_clean still cleans it */
        cr_assert_eq(nw_html_clean(frags[i], strlen(frags[i]), &r, &err), 0, "[%s]: %s", frags[i],
                     err.msg);
        nw_html_result_free(&r);
    }
}
