/*
 * test_html — nw_html: scripts and styles dropped with their content,
 * entities decoded once, paragraphs from p/br/div/li/tables, links kept only
 * for safe schemes, every other attribute gone, inline markup nested,
 * malformed, huge and deep input bounded, plain text split on blank lines,
 * XHTML cleaned exactly like HTML, and libxml2 kept quiet.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_html.h"
#include "nw_story.h"

typedef struct cleaned {
    char *plain, *html;
    size_t paragraphs;
} cleaned;

static cleaned clean(const char *in)
{
    nw_html_result r;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_html_clean(in, in ? strlen(in) : 0, &r, &err);
    cr_assert_eq(rc, 0, "clean failed: %s", err.msg);
    cr_assert_not_null(r.plain);
    cr_assert_not_null(r.html);
    return (cleaned){r.plain, r.html, r.paragraphs};
}

static void cleaned_free(cleaned *c)
{
    free(c->plain);
    free(c->html);
}

/* Clean `in` and compare both forms (want_html NULL: not checked). */
static void expect(const char *in, const char *want_plain, const char *want_html)
{
    cleaned c = clean(in);
    cr_assert_str_eq(c.plain, want_plain, "plain of [%s]:\n got [%s]\nwant [%s]", in, c.plain,
                     want_plain);
    if (want_html)
        cr_assert_str_eq(c.html, want_html, "html of [%s]:\n got [%s]\nwant [%s]", in, c.html,
                         want_html);
    cleaned_free(&c);
}

Test(clean, empty_input)
{
    const char *empties[] = {"",
                             "   \n\t ",
                             "<p> </p>",
                             "<p>&nbsp;</p><div>\xc2\xa0</div>",
                             "<br><br>",
                             "<script>x()</script>",
                             "<!-- only a comment -->"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        cleaned c = clean(empties[i]);
        cr_assert_str_eq(c.plain, "", "[%s] -> [%s]", empties[i], c.plain);
        cr_assert_str_eq(c.html, "", "[%s] -> [%s]", empties[i], c.html);
        cr_assert_eq(c.paragraphs, 0);
        cleaned_free(&c);
    }
    cleaned c = clean(NULL);
    cr_assert_str_eq(c.plain, "");
    cleaned_free(&c);
}

Test(clean, scripts_and_styles_dropped_with_content)
{
    expect("<p>Hello<script>alert('x')</script> world</p><style>p{color:red}</style>"
           "<noscript>enable js</noscript><iframe src='https://evil'>frame text</iframe>"
           "<object>obj</object><form><input value=v>form text</form>"
           "<template>tpl</template><p>end</p>",
           "Hello world\n\nend", "<p>Hello world</p>\n<p>end</p>");
    /* a script before any body text lands in <head> in libxml2's tree */
    expect("<script>var a = '<p>not text</p>';</script>Visible", "Visible", "<p>Visible</p>");
    expect("<p>a<!-- secret -->b</p>", "ab", "<p>ab</p>");
}

Test(clean, entities_decoded)
{
    expect("<p>AT&amp;T caf&eacute; don&#8217;t &#x2019; &lt;tag&gt; &quot;q&quot; 5&nbsp;km</p>",
           "AT&T caf\u00e9 don\u2019t \u2019 <tag> \"q\" 5 km",
           "<p>AT&amp;T caf\u00e9 don\u2019t \u2019 &lt;tag&gt; &quot;q&quot; 5 km</p>");
    /* a combining accent from an entity is composed (NFC) */
    expect("<p>cafe&#x301;</p>", "caf\u00e9", "<p>caf\u00e9</p>");
}

Test(clean, paragraphs_from_blocks_and_breaks)
{
    expect("<div>One</div><p>Two<br>line</p>Three<br><br>Four"
           "<ul><li>a</li><li>b</li></ul><ol><li>first</li></ol><p>after</p>",
           "One\n\nTwo\nline\n\nThree\n\nFour\n\na\n\nb\n\nfirst\n\nafter",
           "<p>One</p>\n<p>Two<br>line</p>\n<p>Three</p>\n<p>Four</p>\n"
           "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n<p>after</p>");
    /* whitespace inside a paragraph is squeezed; <br> <br> with a space is two */
    expect("<p>  lots \n\n of\t space  </p>a<br> <br>b", "lots of space\n\na\n\nb", NULL);
    expect("<h2>Title</h2><blockquote><p>Quote</p></blockquote><p>Body</p>",
           "Title\n\nQuote\n\nBody", "<h2>Title</h2>\n<blockquote>Quote</blockquote>\n<p>Body</p>");
    expect("<table><tr><th>Name</th><th>Score</th></tr><tr><td>A</td><td>1</td></tr></table>",
           "Name | Score\n\nA | 1", "<p>Name | Score</p>\n<p>A | 1</p>");
    expect("<pre>  code();\n\n\n  more();\n</pre>", "  code();\n  more();",
           "<pre>  code();\n  more();</pre>");
}

Test(clean, paragraph_count)
{
    cleaned c = clean("<p>a</p><p>b</p><p> </p><li>c</li>");
    cr_assert_eq(c.paragraphs, 3);
    cleaned_free(&c);
}

Test(clean, links_kept_only_for_safe_schemes)
{
    expect("<p><a href=\"https://example.com/a?b=1&amp;c=2\" onclick=\"x()\">safe</a> "
           "<a href=\"javascript:alert(1)\">bad</a> <a href=\" JaVaScRiPt:alert(1)\">bad2</a> "
           "<a href=\"java&#10;script:alert(1)\">bad3</a> <a href=\"data:text/html,x\">bad4</a> "
           "<a href=\"mailto:x@example.com\">mail</a> <a href=\"/relative\">rel</a> "
           "<a name=\"anchor\">noref</a> <a href=\"HTTP://EXAMPLE.COM\">up</a></p>",
           "safe bad bad2 bad3 bad4 mail rel noref up",
           "<p><a href=\"https://example.com/a?b=1&amp;c=2\">safe</a> bad bad2 bad3 bad4 "
           "<a href=\"mailto:x@example.com\">mail</a> rel noref "
           "<a href=\"HTTP://EXAMPLE.COM\">up</a></p>");
    /* an href cannot break out of its attribute */
    cleaned c = clean("<a href='https://x.example/\"><script>alert(1)</script>'>t</a>");
    cr_assert_null(strstr(c.html, "<script"), "%s", c.html);
    cr_assert_not_null(strstr(c.html, "&quot;&gt;&lt;script&gt;"), "%s", c.html);
    cleaned_free(&c);
}

Test(clean, attributes_removed)
{
    cleaned c = clean("<p class=\"x\" style=\"color:red\" onclick=\"evil()\" id=\"p1\">Hi "
                      "<img src=x onerror=alert(1)> <b onmouseover=\"x()\">bold</b> "
                      "<span style=\"x\" data-x=\"1\">span</span></p>");
    cr_assert_str_eq(c.html, "<p>Hi <b>bold</b> span</p>");
    cr_assert_str_eq(c.plain, "Hi bold span");
    cleaned_free(&c);
}

Test(clean, nested_inline_tags)
{
    expect("<p><b>bold <i>both</i></b> <em>em</em> <strong>s</strong> <span>plain</span> "
           "<u>u</u>x</p>",
           "bold both em s plain ux",
           "<p><b>bold <i>both</i></b> <em>em</em> <strong>s</strong> plain ux</p>");
    /* inline markup across a paragraph break is closed and reopened */
    expect("<p><b>one<br><br>two</b></p>", "one\n\ntwo", "<p><b>one</b></p>\n<p><b>two</b></p>");
    /* trailing space inside an inline element moves outside it */
    expect("<p><b>word </b>next</p>", "word next", "<p><b>word</b> next</p>");
    /* no link inside a link, whatever the parser made of the nesting */
    cleaned c =
        clean("<p><a href='http://a.example'>x <b><a href='http://b.example'>y</a></b></a></p>");
    const char *first = strstr(c.html, "<a ");
    cr_assert_not_null(first, "%s", c.html);
    const char *second = strstr(first + 1, "<a ");
    const char *close = strstr(first, "</a>");
    cr_assert(!second || (close && close < second), "nested link in %s", c.html);
    cr_assert_str_eq(c.plain, "x y");
    cleaned_free(&c);
}

Test(clean, malformed_html)
{
    expect("<p>one<p>two <b>bold<div>three</i></p>", "one\n\ntwo bold\n\nthree", NULL);
    expect("<p>unclosed <b>bold <i>italic", "unclosed bold italic",
           "<p>unclosed <b>bold <i>italic</i></b></p>");
    expect("</p></div>stray end tags</b>", "stray end tags", "<p>stray end tags</p>");
    expect("<p>a < b && c > d</p>", "a < b && c > d", "<p>a &lt; b &amp;&amp; c &gt; d</p>");
    expect("<p title='unterminated>text", "", "");
    cleaned c = clean("<<<>>><p>x</p></</>");
    cr_assert_not_null(strstr(c.plain, "x"), "%s", c.plain);
    cleaned_free(&c);
}

Test(clean, huge_and_deep_input_bounded, .timeout = 20)
{
    const size_t n = 20000;
    /* elements that close themselves (p, li, a) flatten; the others nest until
     * libxml2's depth limit, which is a clear error, not a truncated body */
    const struct {
        const char *tag;
        bool nests;
    } cases[] = {{"<div>", true}, {"<b>", true},   {"<a href='http://x.example'>", false},
                 {"<p>", false},  {"<li>", false}, {"<td>", false}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        size_t tl = strlen(cases[t].tag);
        char *big = malloc(n * tl + 8);
        cr_assert_not_null(big);
        for (size_t i = 0; i < n; i++)
            memcpy(big + i * tl, cases[t].tag, tl);
        strcpy(big + n * tl, "deep");
        nw_html_result r;
        nw_err err;
        nw_err_clear(&err);
        int rc = nw_html_clean(big, strlen(big), &r, &err);
        if (cases[t].nests) {
            cr_assert_eq(rc, NW_ELIMIT, "%s: rc %d", cases[t].tag, rc);
            cr_assert_not_null(strstr(err.msg, "depth"), "%s", err.msg);
            cr_assert_null(r.plain);
        } else {
            cr_assert_eq(rc, 0, "%s: %s", cases[t].tag, err.msg);
            cr_assert_not_null(strstr(r.plain, "deep"), "%s", cases[t].tag);
            nw_html_result_free(&r);
        }
        free(big);
    }
    /* nesting within the limit is fine */
    char nested[4096] = "";
    for (int i = 0; i < 200; i++)
        strcat(nested, "<span>");
    strcat(nested, "ok");
    expect(nested, "ok", "<p>ok</p>");

    /* 1 MiB of paragraphs */
    size_t len = 1u << 20;
    char *many = malloc(len + 1);
    cr_assert_not_null(many);
    for (size_t i = 0; i < len; i += 16)
        memcpy(many + i, "<p>abc&amp;d</p>", 16);
    many[len] = '\0';
    cleaned c = clean(many);
    cr_assert_eq(c.paragraphs, len / 16);
    cleaned_free(&c);
    free(many);
}

Test(clean, over_the_size_limit_is_refused)
{
    size_t len = (16u << 20) + 1;
    char *big = malloc(len);
    cr_assert_not_null(big);
    memset(big, 'a', len);
    nw_html_result r;
    nw_err err;
    nw_err_clear(&err);
    cr_assert_eq(nw_html_clean(big, len, &r, &err), NW_ELIMIT);
    cr_assert_not_null(strstr(err.msg, "limit"), "%s", err.msg);
    cr_assert_null(r.plain);
    free(big);
}

Test(forms, plain_text_split_on_blank_lines)
{
    expect("First para line one\nline two.\n\nSecond para.\r\n\r\n\n  Third &amp; last.\n",
           "First para line one line two.\n\nSecond para.\n\nThird & last.",
           "<p>First para line one line two.</p>\n<p>Second para.</p>\n<p>Third &amp; last.</p>");
    /* inline markup only: still split on blank lines */
    expect("Text with <b>bold</b>.\n\nAnd <a href='https://x.example'>a link</a>.",
           "Text with bold.\n\nAnd a link.",
           "<p>Text with <b>bold</b>.</p>\n<p>And <a href=\"https://x.example\">a link</a>.</p>");
    /* block markup present: blank lines are just whitespace */
    expect("<p>one\n\nstill one</p>", "one still one", "<p>one still one</p>");
    expect("single line, no tags", "single line, no tags", "<p>single line, no tags</p>");
}

Test(forms, escaped_markup_is_decoded_once)
{
    /* the RSS parser hands over "&lt;p&gt;" already unescaped once when the
     * feed escaped twice: what is left is text, not markup */
    expect("&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;", "<p>Hello &amp; bye</p>",
           "<p>&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;</p>");
    expect("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script>alert(1)</script>",
           "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
}

Test(forms, cdata_sections_are_text)
{
    expect("<p>before <![CDATA[<b>not bold</b> & co]]> after</p>",
           "before <b>not bold</b> & co after",
           "<p>before &lt;b&gt;not bold&lt;/b&gt; &amp; co after</p>");
    expect("<p>x <![CDATA[unterminated <i>", "x unterminated <i>", NULL);
}

Test(forms, xhtml_cleans_like_html)
{
    const char *html = "<p>Hello <b>world</b> &amp; caf&#233;</p><p>Second<br>line</p>"
                       "<ul><li>x</li></ul><p><a href=\"https://x.example\">l</a>&#160;z</p>";
    const char *xhtml_default =
        "<p xmlns=\"http://www.w3.org/1999/xhtml\">Hello <b>world</b> &amp; caf\u00e9</p>"
        "<p xmlns=\"http://www.w3.org/1999/xhtml\">Second<br/>line</p>"
        "<ul xmlns=\"http://www.w3.org/1999/xhtml\"><li>x</li></ul>"
        "<p xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"https://x.example\">l</a>"
        "\u00a0z</p>";
    const char *xhtml_prefixed =
        "<h:div xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:p>Hello <h:b>world</h:b> &amp; "
        "caf&#xE9;</h:p>\n  <h:p>Second<h:br/>line</h:p><h:ul><h:li>x</h:li></h:ul>"
        "<h:p><h:a href=\"https://x.example\">l</h:a>&#xA0;z</h:p></h:div>";
    cleaned a = clean(html), b = clean(xhtml_default), c = clean(xhtml_prefixed);
    cr_assert_str_eq(a.plain, "Hello world & caf\u00e9\n\nSecond\nline\n\nx\n\nl z");
    cr_assert_str_eq(b.plain, a.plain);
    cr_assert_str_eq(b.html, a.html);
    cr_assert_str_eq(c.plain, a.plain);
    cr_assert_str_eq(c.html, a.html);
    cleaned_free(&a);
    cleaned_free(&b);
    cleaned_free(&c);
}

Test(forms, mojibake_and_cp1252_controls)
{
    /* feedparser double-encoded-html.xml: "…" as UTF-8 read as Latin-1 */
    expect("\xc3\xa2\xc2\x80\xc2\xa6", "\u2026", "<p>\u2026</p>");
    /* demoronize-1/2/3: U+0092 raw or as &#146; is a windows-1252 apostrophe */
    expect("don\xc2\x92t", "don\u2019t", NULL);
    expect("don&#146;t", "don\u2019t", NULL);
    /* legitimate Latin-1 letters are left alone */
    expect("<p>\u00c3\u00a9t\u00e9</p>", "\u00c3\u00a9t\u00e9", NULL);
    /* invalid UTF-8 bytes are read as windows-1252, not fed to libxml2 */
    expect("<p>caf\xe9 \x93q\x94</p>", "caf\u00e9 \u201cq\u201d", NULL);
    /* a meta charset in the fragment does not change the decoding */
    expect("<meta charset='iso-8859-1'><p>caf\xc3\xa9</p>", "caf\u00e9", NULL);
    /* NUL and control bytes are dropped */
    cleaned c;
    nw_html_result r;
    cr_assert_eq(nw_html_clean("<p>a\0b\x01"
                               "c</p>",
                               12, &r, NULL),
                 0);
    c = (cleaned){r.plain, r.html, r.paragraphs};
    cr_assert_str_eq(c.plain, "abc");
    cleaned_free(&c);
}

/* ---------------------------------------------------------- helpers --- */

Test(api, to_text_and_add_bodies)
{
    nw_err err;
    nw_err_clear(&err);
    char *t = nw_html_to_text("<p>a</p><p>b</p>", 16, &err);
    cr_assert_str_eq(t, "a\n\nb");
    free(t);

    nw_story *s = nw_story_new();
    cr_assert_not_null(s);
    cr_assert_eq(nw_html_add_bodies(s, "<p>   </p>", 10, &err), 0);
    cr_assert_eq(s->bodies.len, 0, "an empty fragment adds no body");
    const char *frag = "<p>Hello <b>there</b></p>";
    cr_assert_eq(nw_html_add_bodies(s, frag, strlen(frag), &err), 0, "%s", err.msg);
    cr_assert_eq(s->bodies.len, 2);
    cr_assert_str_eq(nw_story_body(s, "text/plain"), "Hello there");
    cr_assert_str_eq(nw_story_body(s, "text/html"), "<p>Hello <b>there</b></p>");
    cr_assert_null(s->bodies.items[0].role);
    nw_story_free(s);
    cr_assert_eq(nw_html_add_bodies(NULL, frag, strlen(frag), &err), NW_EINVAL);
}

Test(api, from_paragraphs)
{
    char *h = nw_html_from_paragraphs("a\nb\n\n  \n c & <d> \n\n\n");
    cr_assert_str_eq(h, "<p>a b</p>\n<p>c &amp; &lt;d&gt;</p>");
    free(h);
    h = nw_html_from_paragraphs("");
    cr_assert_str_eq(h, "");
    free(h);
    h = nw_html_from_paragraphs(NULL);
    cr_assert_str_eq(h, "");
    free(h);
}

static void redirect_stderr(void)
{
    cr_redirect_stderr();
}

Test(api, libxml2_prints_nothing, .init = redirect_stderr)
{
    const char *noisy[] = {"<p>unclosed <b>",
                           "<html><html><body><body>x",
                           "&bogus; &#xD800; &#0;",
                           "<p =x>y</p>",
                           "<?php echo 1 ?><!DOCTYPE foo [<!ENTITY e 'x'>]>&e;",
                           "\xff\xfe<p>z"};
    for (size_t i = 0; i < sizeof noisy / sizeof noisy[0]; i++) {
        cleaned c = clean(noisy[i]);
        cleaned_free(&c);
    }
    fflush(stderr);
    cr_assert_stderr_eq_str("");
}

/* ------------------------------------------------ the shared datasets --- */

#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sys/stat.h>

#include "nw_testutil.h"

/* Only the markup nw_html promises comes out: these tags, no attribute but a
 * safe href. Returns NULL when fine, else the offending spot. */
static const char *foreign_markup(const char *html)
{
    static const char *const ok[] = {"p",  "br", "b",          "strong", "i",  "em", "a",
                                     "ul", "ol", "li",         "h1",     "h2", "h3", "h4",
                                     "h5", "h6", "blockquote", "pre",    NULL};
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *q = p + 1 + (p[1] == '/');
        size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyz0123456789");
        bool known = false;
        for (size_t i = 0; ok[i]; i++)
            known |= strlen(ok[i]) == n && !strncmp(q, ok[i], n);
        if (!known)
            return p;
        if (q[n] == '>')
            continue;
        if (p[1] == '/' || strncmp(q, "a href=\"", 8) ||
            (strncmp(q + 8, "http://", 7) && strncmp(q + 8, "https://", 8) &&
             strncmp(q + 8, "mailto:", 7)))
            return p;
    }
    return NULL;
}

typedef struct corpus {
    size_t fragments, xhtml;
    size_t failed;
    char report[2048];
} corpus;

static void note(corpus *c, const char *path, const char *what)
{
    c->failed++;
    size_t used = strlen(c->report);
    snprintf(c->report + used, sizeof c->report - used, "%s: %.120s\n", path, what);
}

static void check_fragment(corpus *c, const char *path, const char *frag)
{
    nw_html_result r;
    nw_err err;
    nw_err_clear(&err);
    c->fragments++;
    if (nw_html_clean(frag, strlen(frag), &r, &err)) {
        note(c, path, err.msg);
        return;
    }
    const char *bad = foreign_markup(r.html);
    if (bad)
        note(c, path, bad);
    nw_html_result_free(&r);
}

/* XHTML (as nw_xml_inner_markup would serialize it) and the same nodes
 * serialized as HTML must clean to the same result. */
static void check_inline_xml(corpus *c, const char *path, xmlDocPtr doc, xmlNodePtr node)
{
    xmlBufferPtr xb = xmlBufferCreate(), hb = xmlBufferCreate();
    for (xmlNodePtr k = node->children; k; k = k->next) {
        xmlNodeDump(xb, doc, k, 0, 0);
        htmlNodeDump(hb, doc, k);
    }
    const char *x = (const char *)xmlBufferContent(xb), *h = (const char *)xmlBufferContent(hb);
    nw_html_result rx, rh;
    if (nw_html_clean(x, strlen(x), &rx, NULL) == 0) {
        if (nw_html_clean(h, strlen(h), &rh, NULL) == 0) {
            c->xhtml++;
            if (strcmp(rx.plain, rh.plain) || strcmp(rx.html, rh.html))
                note(c, path, "XHTML and HTML serializations clean differently");
            xmlChar *text = xmlNodeGetContent(node);
            bool has_text =
                text && strspn((const char *)text, " \t\r\n") < strlen((const char *)text);
            xmlFree(text);
            if (!rx.paragraphs && has_text)
                note(c, path, "inlineXML with text gave no paragraph");
            nw_html_result_free(&rh);
        }
        nw_html_result_free(&rx);
    } else {
        note(c, path, "inlineXML failed to clean");
    }
    xmlBufferFree(xb);
    xmlBufferFree(hb);
}

static bool is_html_carrier(const xmlNode *n)
{
    static const char *const names[] = {"description", "encoded",  "summary",
                                        "content",     "subtitle", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!xmlStrcmp(n->name, (const xmlChar *)names[i]))
            return true;
    return false;
}

static void visit(corpus *c, const char *path, xmlDocPtr doc, xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!xmlStrcmp(n->name, (const xmlChar *)"inlineXML")) {
            check_inline_xml(c, path, doc, n);
            continue;
        }
        if (is_html_carrier(n) && n->children && n->children->type != XML_ELEMENT_NODE) {
            xmlChar *text = xmlNodeGetContent(n);
            if (text)
                check_fragment(c, path, (const char *)text);
            xmlFree(text);
        }
        visit(c, path, doc, n->children);
    }
}

static void scan_file(const char *path, size_t size, void *ctx)
{
    (void)size;
    const char *dot = strrchr(path, '.');
    if (!dot ||
        (strcmp(dot, ".xml") && strcmp(dot, ".rss") && strcmp(dot, ".atom") && strcmp(dot, ".rdf")))
        return;
    xmlDocPtr doc =
        xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return; /* the deliberately broken ones: the parsers' business */
    visit(ctx, path, doc, doc->children);
    xmlFreeDoc(doc);
}

static void quiet(void *ctx, const char *fmt, ...)
{
}

Test(datasets, feed_and_g2_bodies_clean, .timeout = 60)
{
    char *root = nw_test_shared_path("datasets");
    struct stat st;
    if (!root || stat(root, &st)) {
        free(root);
        cr_skip_test("shared datasets not available");
    }
    xmlSetGenericErrorFunc(NULL, quiet); /* UTF-32 samples make libxml2's I/O layer talk */
    corpus c = {0};
    const char *dirs[] = {"feeds", "newsml-g2"};
    for (size_t i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        nw_test_walk(path, 8 * 1024 * 1024, scan_file, &c);
    }
    free(root);
    cr_log_info("%zu feed fragments, %zu inlineXML bodies", c.fragments, c.xhtml);
    cr_assert_gt(c.fragments, 300, "only %zu fragments found", c.fragments);
    cr_assert_gt(c.xhtml, 30, "only %zu inlineXML bodies found", c.xhtml);
    cr_assert_eq(c.failed, 0, "%zu problems:\n%s", c.failed, c.report);
}

/* feedparser-synthetic expectations, the description read as an RSS parser would */
static char *description_of(const char *rel)
{
    char *path = nw_test_shared_path(rel);
    if (!path)
        return NULL;
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    free(path);
    if (!doc)
        return NULL;
    char *out = NULL;
    for (xmlNodePtr n = xmlDocGetRootElement(doc); n; n = n->children ? n->children : n->next) {
        while (n && n->type != XML_ELEMENT_NODE)
            n = n->next;
        if (!n)
            break;
        if (!xmlStrcmp(n->name, (const xmlChar *)"description")) {
            xmlChar *t = xmlNodeGetContent(n);
            out = strdup((const char *)t);
            xmlFree(t);
            break;
        }
    }
    xmlFreeDoc(doc);
    return out;
}

Test(datasets, feedparser_double_encoded_and_demoronize)
{
    const struct {
        const char *file, *want;
    } cases[] = {
        {"datasets/feeds/feedparser-synthetic/encoding/double-encoded-html.xml", "\u2026"},
        {"datasets/feeds/feedparser-synthetic/encoding/demoronize-1.xml", "don\u2019t"},
        {"datasets/feeds/feedparser-synthetic/encoding/demoronize-2.xml", "don\u2019t"},
        {"datasets/feeds/feedparser-synthetic/encoding/demoronize-3.xml", "don\u2019t"},
    };
    if (!nw_test_shared_dir())
        cr_skip_test("shared datasets not available");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *d = description_of(cases[i].file);
        cr_assert_not_null(d, "%s: no description", cases[i].file);
        char *t = nw_html_to_text(d, strlen(d), NULL);
        cr_assert_str_eq(t, cases[i].want, "%s", cases[i].file);
        free(t);
        free(d);
    }
}

Test(robustness, token_soup_stays_clean)
{
    static const char *const tok[] = {"<p>",
                                      "</p>",
                                      "<b>",
                                      "</b>",
                                      "<a href='http://x.example'>",
                                      "</a>",
                                      "<br>",
                                      "&amp;",
                                      "&#146;",
                                      "\xc3\xa2\xc2\x80",
                                      "<script>",
                                      "</script>",
                                      "text",
                                      " ",
                                      "\n\n",
                                      "<![CDATA[",
                                      "]]>",
                                      "<li>",
                                      "<pre>",
                                      "</pre>",
                                      "<td>",
                                      "<",
                                      ">",
                                      "&",
                                      "\xff",
                                      "<!--",
                                      "-->",
                                      "<h:p>",
                                      "<a href='javascript:x'>",
                                      "<style>",
                                      "<div onclick='x'>",
                                      "</div>",
                                      "<ol>",
                                      "<i>",
                                      "\xc2"};
    const size_t ntok = sizeof tok / sizeof tok[0];
    unsigned seed = 4242;
    for (int i = 0; i < 3000; i++) {
        char s[1024] = "";
        seed = seed * 1103515245u + 12345u;
        int parts = 1 + (int)(seed >> 16) % 40;
        for (int k = 0; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(s, tok[(seed >> 16) % ntok]);
        }
        nw_html_result r;
        nw_err err;
        nw_err_clear(&err);
        cr_assert_eq(nw_html_clean(s, strlen(s), &r, &err), 0, "[%s]: %s", s, err.msg);
        const char *bad = foreign_markup(r.html);
        cr_assert_null(bad, "[%s] -> [%s]", s, r.html);
        cr_assert_eq(r.plain[0] == '\0', r.paragraphs == 0, "[%s]", s);
        nw_html_result_free(&r);
    }
}

/* Text with no markup is cleaned without the HTML parser; the result must
 * be what the parser path gives. An empty comment forces that path and
 * adds nothing (it is not block markup, and comments are dropped). */
Test(plain_text, same_as_parsed)
{
    static const char *const tok[] = {"word",
                                      " ",
                                      "  ",
                                      "\n",
                                      "\n\n",
                                      "\n \t\n",
                                      "\r\n",
                                      "\t",
                                      "caf\xC3\xA9",
                                      "\xC2\xA0",
                                      "\xC2\x92",
                                      "\xC3\xA2\xC2\x80\xC2\xA6",
                                      "\xE2\x80\x99",
                                      "\xFF",
                                      "\x01",
                                      "\x7F",
                                      ">",
                                      "\"q'",
                                      "\v",
                                      "x\xCC\x81",
                                      "\xEF\xBB\xBF",
                                      "e\xCC\x81t\xC3\xA9"};
    const size_t ntok = sizeof tok / sizeof tok[0];
    unsigned seed = 777;
    for (int i = 0; i < 4000; i++) {
        char s[1024] = "", forced[1100];
        seed = seed * 1103515245u + 12345u;
        int parts = 1 + (int)(seed >> 16) % 30;
        for (int k = 0; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(s, tok[(seed >> 16) % ntok]);
        }
        if (!strncmp(s, "\xEF\xBB\xBF", 3))
            continue; /* a leading BOM is left to the parser: the plain path never sees one */
        snprintf(forced, sizeof forced, "%s<!---->", s);
        cleaned a = clean(s), b = clean(forced);
        cr_assert_str_eq(a.plain, b.plain, "[%s]", s);
        cr_assert_str_eq(a.html, b.html, "[%s]", s);
        cr_assert_eq(a.paragraphs, b.paragraphs, "[%s]", s);
        cleaned_free(&a);
        cleaned_free(&b);
    }
}
