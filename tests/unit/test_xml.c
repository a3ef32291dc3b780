/*
 * test_xml — nw_xml: safe reading of untrusted XML (billion laughs, XXE,
 * external DTDs, depth bombs, size limits, no stderr output), encodings and
 * prolog junk, error messages with lines, the local-name DOM helpers, the
 * raw/sniff path of nw_parse_buffer, and every XML file of the shared
 * datasets parsing (or failing with a clear error where SOURCES.md says it
 * is broken).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_parser.h"
#include "nw_testutil.h"
#include "nw_xml.h"

/* "<shared>/datasets/<rel>" when it exists, else NULL (the test skips). */
static char *shared_ds(const char *rel)
{
    char r[1024];
    snprintf(r, sizeof r, "datasets/%s", rel);
    char *p = nw_test_shared_path(r);
    if (p && access(p, R_OK) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

static int read_str(const char *s, nw_xml_doc *d, nw_err *err)
{
    return nw_xml_read(s, strlen(s), "t.xml", NULL, 0, d, err);
}

static char *root_text(const char *s, const char *elem)
{
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(read_str(s, &d, &err), 0, "%s", err.msg);
    char *t = nw_xml_text(nw_xml_find(nw_xml_root(&d), elem));
    nw_xml_doc_free(&d);
    return t;
}

static char *fixture_text(const char *rel, const char *elem, nw_xml_doc *keep)
{
    char *path = nw_test_fixture_path(rel);
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "%s", path);
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(buf, len, rel, NULL, 0, &d, &err), 0, "%s", err.msg);
    char *t = nw_xml_text(nw_xml_find(nw_xml_root(&d), elem));
    if (keep)
        *keep = d;
    else
        nw_xml_doc_free(&d);
    free(buf);
    free(path);
    return t;
}

/* ------------------------------------------------------------ helpers --- */

Test(xml, local_name_helpers)
{
    const char *s =
        "<?xml version='1.0'?>\n"
        "<ns0:newsItem xmlns:ns0='http://iptc.org/std/nar/2006-10-01/' xmlns:x='urn:x'>\n"
        "  <ns0:itemMeta><ns0:title x:lang='en' plain='yes'>  Harbour\n  talks </ns0:title>"
        "</ns0:itemMeta>\n"
        "  <contentSet xmlns='http://www.w3.org/1999/xhtml'><p>One <b>bold</b> step</p>"
        "<p>Two &amp; caf\xC3\xA9</p></contentSet>\n"
        "  <undeclared:thing>u</undeclared:thing>\n"
        "</ns0:newsItem>\n";
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(read_str(s, &d, &err), 0, "%s", err.msg);
    xmlNodePtr root = nw_xml_root(&d);
    cr_assert(nw_xml_is(root, "newsItem"));
    xmlNodePtr title = nw_xml_path(root, "itemMeta/title");
    cr_assert_not_null(title);
    char *t = nw_xml_text(title);
    cr_assert_str_eq(t, "Harbour talks");
    free(t);
    char *lang = nw_xml_attr(title, "lang");
    cr_assert_str_eq(lang, "en");
    free(lang);
    cr_assert_null(nw_xml_attr(title, "missing"));
    cr_assert_eq(nw_xml_line(title), 3);

    xmlNodePtr cs = nw_xml_child(root, "contentSet");
    xmlNodePtr p1 = nw_xml_child(cs, "p");
    xmlNodePtr p2 = nw_xml_next(p1, "p");
    cr_assert_not_null(p2);
    cr_assert_null(nw_xml_next(p2, "p"));
    char *m = nw_xml_inner_markup(cs);
    cr_assert_str_eq(m, "<p>One <b>bold</b> step</p><p>Two &amp; caf\xC3\xA9</p>");
    free(m);
    cr_assert_not_null(nw_xml_find(root, "b"));
    cr_assert_null(nw_xml_find(root, "nothing"));
    char *u = nw_xml_text(nw_xml_find(root, "thing"));
    cr_assert_str_eq(u, "u");
    free(u);
    nw_xml_doc_free(&d);
}

Test(xml, cdata_is_text)
{
    char *t = root_text("<rss><description><![CDATA[<p>Hi &amp; bye</p>]]></description></rss>",
                        "description");
    cr_assert_str_eq(t, "<p>Hi &amp; bye</p>");
    free(t);
    cr_assert_null(root_text("<rss><d>  \n </d></rss>", "d"));
}

/* ---------------------------------------------------------- encodings --- */

Test(xml, encodings_and_prolog)
{
    nw_xml_doc d;
    char *t = fixture_text("xml/declared-latin1-really-utf8.xml", "title", &d);
    cr_assert_str_eq(t, "Sch\xC3\xBCler f\xC3\xBCr Gr\xC3\xBC\xC3\x9F"
                        "e");
    cr_assert(d.declared_wrong);
    cr_assert_str_eq(d.charset, "utf-8");
    nw_xml_doc_free(&d);
    free(t);

    t = fixture_text("xml/real-latin1.xml", "title", &d);
    cr_assert_str_eq(t, "Not\xC3\xAD"
                        "cias de S\xC3\xA3o Paulo");
    cr_assert_not(d.declared_wrong);
    nw_xml_doc_free(&d);
    free(t);

    t = fixture_text("xml/utf16le-bom.xml", "title", NULL);
    cr_assert_str_eq(
        t, "Za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87 g\xC4\x99\xC5\x9Bl\xC4\x85 ja\xC5\xBA\xC5\x84");
    free(t);
    t = fixture_text("xml/utf16be-nobom.xml", "title", NULL);
    cr_assert_str_eq(t, "\xE6\x96\xB0\xE9\x97\xBB");
    free(t);
    t = fixture_text("xml/gb2312.xml", "title", NULL);
    cr_assert_str_eq(t, "\xE6\x96\xB0\xE9\x97\xBB\xE5\x9B\xBD\xE5\x86\x85");
    free(t);

    /* blank lines before <?xml: accepted, and lines still match the file */
    t = fixture_text("xml/prolog-junk.xml", "title", &d);
    cr_assert_str_eq(t, "Junk before the declaration");
    cr_assert_eq(nw_xml_line(nw_xml_find(nw_xml_root(&d), "title")), 6);
    nw_xml_doc_free(&d);
    free(t);

    t = fixture_text("xml/phpxml.rss", "title", NULL);
    cr_assert_str_eq(t, "PHP prolog \xE2\x80\x93 still fine");
    free(t);
}

Test(xml, override_charset)
{
    const char s[] = "<?xml version='1.0' encoding='utf-8'?><a>\xD6\xD0\xCE\xC4</a>";
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(s, sizeof s - 1, NULL, "gb2312", 0, &d, &err), 0, "%s", err.msg);
    char *t = nw_xml_text(nw_xml_root(&d));
    cr_assert_str_eq(t, "\xE4\xB8\xAD\xE6\x96\x87");
    free(t);
    nw_xml_doc_free(&d);
}

/* ------------------------------------------------------------- errors --- */

Test(xml, errors_name_origin_and_line)
{
    nw_xml_doc d;
    nw_err err = {0};
    const char *bad = "<rss>\n<channel>\n<item></channel>\n</rss>\n";
    cr_assert_eq(read_str(bad, &d, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "t.xml:3: Opening and ending tag mismatch: item"), "%s", err.msg);

    cr_assert_eq(nw_xml_read(bad, strlen(bad), NULL, NULL, 0, &d, &err), NW_EINVAL);
    cr_assert(!strncmp(err.msg, "line 3: Opening and ending tag mismatch", 39), "%s", err.msg);

    cr_assert_eq(read_str("just text, no markup", &d, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "not XML: no element found");
    cr_assert_eq(read_str("", &d, &err), NW_EINVAL);
    cr_assert_lt(read_str("<rss><item>truncated", &d, &err), 0);
    cr_assert(strstr(err.msg, "t.xml:1:"), "%s", err.msg);
}

Test(xml, nothing_reaches_stderr)
{
    char *dir = nw_test_mkdtemp("xmlstderr");
    char path[512];
    snprintf(path, sizeof path, "%s/err.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    dup2(fd, 2);
    close(fd);

    const char *docs[] = {
        "<a><b></a>",
        "<a xmlns:x='u'><y:b/></a>",
        "<?xml version='1.0' encoding='utf-16'?><a>\xC3\xA9</a>",
        "<!DOCTYPE a SYSTEM 'http://127.0.0.1:9/none.dtd'><a>&undefined;</a>",
        "<a>\x01</a>",
        "<a b='1' b='2'/>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        nw_xml_doc d;
        nw_err err = {0};
        if (read_str(docs[i], &d, &err) == 0)
            nw_xml_doc_free(&d);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t len = 99;
    char *out = nw_test_read_file(path, &len);
    cr_assert_eq(len, 0, "libxml2 wrote to stderr: %s", out);
    free(out);
    nw_test_rm_tmp(&dir);
}

/* ----------------------------------------------------------- security --- */

Test(xml_security, billion_laughs)
{
    /* lolN references lol(N-1) ten times: 10^10 "lol"s when expanded */
    nw_buf b = NW_BUF_INIT;
    nw_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 \"lol\">\n");
    for (int i = 1; i <= 10; i++) {
        nw_buf_printf(&b, "<!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            nw_buf_printf(&b, "&lol%d;", i - 1);
        nw_buf_puts(&b, "\">\n");
    }
    nw_buf_puts(&b, "]>\n<lolz>&lol10;</lolz>\n");

    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    nw_xml_doc d;
    nw_err err = {0};
    int rc = nw_xml_read(b.data, b.len, "lol.xml", NULL, 0, &d, &err);
    getrusage(RUSAGE_SELF, &after);
    nw_buf_free(&b);
    if (rc == 0) {
        /* a reference left unexpanded is fine too, as long as the text is small */
        char *t = nw_xml_text(nw_xml_root(&d));
        cr_assert(!t || strlen(t) < 1000000, "entities were expanded");
        free(t);
        nw_xml_doc_free(&d);
        cr_assert_fail("billion laughs accepted");
    }
    cr_assert_lt(rc, 0);
    /* the line of the reference, not "line 1" of the entity's own text */
    cr_assert(strstr(err.msg, "lol.xml:15:"), "%s", err.msg);
    cr_assert(strstr(err.msg, "entit"), "%s", err.msg);
    cr_assert_lt(after.ru_maxrss - before.ru_maxrss, 200 * 1024, "grew %ld KiB",
                 after.ru_maxrss - before.ru_maxrss);
}

/* With <!DOCTYPE nitf SYSTEM "nitf-3-2.dtd"> "Caf&eacute; said &mdash;" came
 * out as "Caf said", and an internal <!ENTITY co "Example Corp"> was deleted
 * the same way, exit 0. */
Test(xml_entities, news_dtd_entities_are_resolved)
{
    char *t = root_text("<?xml version=\"1.0\"?>\n<!DOCTYPE nitf SYSTEM \"nitf-3-2.dtd\">\n"
                        "<nitf><p a=\"T&eacute;l&eacute;\">Caf&eacute; said &mdash; "
                        "&ldquo;fine&rdquo; &amp; &#233;</p></nitf>",
                        "p");
    cr_assert_str_eq(t, "Café said — “fine” & é");
    free(t);
    nw_xml_doc d;
    nw_err err = {0};
    const char *attr = "<!DOCTYPE nitf SYSTEM \"n.dtd\"><nitf><p a=\"T&eacute;l&eacute;\"/></nitf>";
    cr_assert_eq(read_str(attr, &d, &err), 0, "%s", err.msg);
    char *a = nw_xml_attr(nw_xml_find(nw_xml_root(&d), "p"), "a");
    cr_assert_str_eq(a, "Télé");
    free(a);
    nw_xml_doc_free(&d);

    t = root_text("<?xml version=\"1.0\"?>\n<!DOCTYPE nitf [\n<!ENTITY co \"Example Corp\">\n"
                  "<!ENTITY both \"&co; and &eacute;\">\n]>\n"
                  "<nitf><p>Shares of &co; rose; &both;.</p></nitf>",
                  "p");
    cr_assert_str_eq(t, "Shares of Example Corp rose; Example Corp and é.");
    free(t);
    char *m = NULL;
    cr_assert_eq(
        read_str("<!DOCTYPE r [<!ENTITY co \"Example Corp\">]><r><p>A &co; B</p></r>", &d, &err), 0,
        "%s", err.msg);
    m = nw_xml_inner_markup(nw_xml_root(&d));
    cr_assert_str_eq(m, "<p>A Example Corp B</p>", "markup carries the text too");
    free(m);
    nw_xml_doc_free(&d);
}

Test(xml_entities, an_unknown_entity_fails_the_file_never_dropped)
{
    nw_xml_doc d;
    nw_err err = {0};
    int rc = read_str("<?xml version=\"1.0\"?>\n<!DOCTYPE nitf SYSTEM \"nitf.dtd\">\n<nitf>\n"
                      "<p>An &madeup; word.</p></nitf>",
                      &d, &err);
    cr_assert_eq(rc, NW_EINVAL, "an entity only the external DTD could define: %s", err.msg);
    cr_assert(strstr(err.msg, "t.xml:4:") && strstr(err.msg, "&madeup;") &&
                  strstr(err.msg, "refused"),
              "%s", err.msg);
    /* no DOCTYPE: refused as before (XML has no &eacute;) */
    rc = read_str("<nitf><p>Caf&eacute;</p></nitf>", &d, &err);
    cr_assert_eq(rc, NW_EINVAL, "%s", err.msg);
    cr_assert(strstr(err.msg, "eacute"), "%s", err.msg);
}

/* A listening TCP socket on 127.0.0.1; *port gets its port. */
static int listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    cr_assert_geq(s, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s, 8), 0);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return s;
}

Test(xml_security, xxe_never_loads)
{
    char *dir = nw_test_mkdtemp("xxe");
    char secret[512];
    snprintf(secret, sizeof secret, "%s/secret.txt", dir);
    nw_test_write_file(secret, "TOPSECRET-42", 12);
    int port = 0;
    int ls = listener(&port);

    char docs[6][1024];
    snprintf(docs[0], sizeof docs[0],
             "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file://%s'>]><r>a&x;b</r>",
             secret);
    snprintf(docs[1], sizeof docs[1], "<!DOCTYPE r [<!ENTITY x SYSTEM '%s'>]><r>&x;</r>", secret);
    snprintf(docs[2], sizeof docs[2],
             "<!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><r>&x;</r>");
    snprintf(docs[3], sizeof docs[3],
             "<!DOCTYPE r [<!ENTITY x SYSTEM 'http://127.0.0.1:%d/x'>]><r>&x;</r>", port);
    snprintf(docs[4], sizeof docs[4],
             "<!DOCTYPE r [<!ENTITY %% p SYSTEM 'http://127.0.0.1:%d/p.dtd'> %%p;]><r/>", port);
    snprintf(docs[5], sizeof docs[5], "<!DOCTYPE r SYSTEM 'http://127.0.0.1:%d/r.dtd'><r>ok</r>",
             port);
    for (int i = 0; i < 6; i++) {
        nw_xml_doc d;
        nw_err err = {0};
        int rc = nw_xml_read(docs[i], strlen(docs[i]), "x.xml", NULL, 0, &d, &err);
        if (rc == 0) {
            char *t = nw_xml_text(nw_xml_root(&d));
            cr_assert(!t || !strstr(t, "TOPSECRET"), "doc %d leaked: %s", i, t);
            cr_assert(!t || !strstr(t, "root:"), "doc %d leaked /etc/passwd", i);
            char *m = nw_xml_inner_markup(nw_xml_root(&d));
            cr_assert(!strstr(m, "TOPSECRET") && !strstr(m, "root:"), "doc %d leaked: %s", i, m);
            free(m);
            free(t);
            nw_xml_doc_free(&d);
        } else {
            cr_assert(!strstr(err.msg, "TOPSECRET"), "%s", err.msg);
        }
    }
    /* nobody connected to our port */
    int c = accept(ls, NULL, NULL);
    cr_assert_lt(c, 0, "the parser fetched a URL");
    close(ls);
    nw_test_rm_tmp(&dir);
}

Test(xml_security, external_dtd_not_loaded_doc_parses)
{
    char *t = fixture_text("xml/external-dtd.xml", "p", NULL);
    cr_assert_str_eq(t, "Nets & boats.");
    free(t);
    char *path = shared_ds("nitf/superdesk-core/nitf-fishing.xml");
    if (!path)
        return;
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read(buf, len, "nitf-fishing.xml", NULL, 0, &d, &err), 0, "%s", err.msg);
    cr_assert(nw_xml_is(nw_xml_root(&d), "nitf"));
    nw_xml_doc_free(&d);
    free(buf);
    free(path);
}

static int nested(int depth, nw_err *err)
{
    nw_buf b = NW_BUF_INIT;
    for (int i = 0; i < depth; i++)
        nw_buf_puts(&b, "<a>");
    nw_buf_puts(&b, "x");
    for (int i = 0; i < depth; i++)
        nw_buf_puts(&b, "</a>");
    nw_xml_doc d;
    int rc = nw_xml_read(b.data, b.len, "deep.xml", NULL, 0, &d, err);
    if (rc == 0)
        nw_xml_doc_free(&d);
    nw_buf_free(&b);
    return rc;
}

Test(xml_security, depth_bomb)
{
    nw_err err = {0};
    cr_assert_eq(nested(100000, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "deep.xml:1: elements nested deeper than 256"), "%s", err.msg);
    cr_assert_eq(nested(NW_XML_MAX_DEPTH + 1, &err), NW_ELIMIT, "%s", err.msg);
    cr_assert_eq(nested(NW_XML_MAX_DEPTH, &err), 0, "%s", err.msg);
    cr_assert_eq(nested(200, &err), 0, "%s", err.msg);
}

Test(xml_security, size_limits)
{
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read("<a>0123456789</a>", 17, "s.xml", NULL, 10, &d, &err), NW_ELIMIT);
    cr_assert_str_eq(err.msg, "input is 17 bytes, over the limit of 10 bytes");

    /* a 1 GB file is refused from its size alone (sparse: no disk used) */
    char *dir = nw_test_mkdtemp("huge");
    char path[512];
    snprintf(path, sizeof path, "%s/huge.xml", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "<a>", 3), 3);
    cr_assert_eq(ftruncate(fd, (off_t)1 << 30), 0);
    close(fd);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    nw_story_list list = {0};
    int rc = nw_parse_file(path, "auto", NULL, &list, &err);
    getrusage(RUSAGE_SELF, &after);
    cr_assert_eq(rc, NW_ELIMIT, "%s", err.msg);
    cr_assert(strstr(err.msg, "file is 1073741824 bytes, over the limit of 16777216 bytes"), "%s",
              err.msg);
    cr_assert_lt(after.ru_maxrss - before.ru_maxrss, 64 * 1024);
    nw_test_rm_tmp(&dir);
}

/* --------------------------------------------- raw input in nw_parse_buffer --- */

Test(parser_raw, utf16_text_is_not_binary)
{
    /* "Harbour talks\n\nBody text here.\n" in UTF-16LE with a BOM */
    const char *src = "Harbour talks\n\nBody text here.\n";
    nw_buf b = NW_BUF_INIT;
    nw_buf_append(&b, "\xFF\xFE", 2);
    for (const char *p = src; *p; p++) {
        nw_buf_putc(&b, *p);
        nw_buf_putc(&b, '\0');
    }
    nw_story_list list = {0};
    nw_err err = {0};
    nw_parse_opts opts = {.origin = "u16.txt"};
    cr_assert_eq(nw_parse_buffer("auto", b.data, b.len, &opts, &list, &err), 0, "%s", err.msg);
    cr_assert_eq(list.len, 1);
    cr_assert_str_eq(nw_story_headline(list.items[0]), "Harbour talks");
    nw_story_list_free(&list);
    /* real binary is still refused */
    cr_assert_eq(nw_parse_buffer("auto", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, &opts, &list, &err),
                 NW_EINVAL);
    cr_assert(strstr(err.msg, "binary data"), "%s", err.msg);
    nw_buf_free(&b);
}

Test(parser_raw, every_registered_parser_survives_utf16_and_latin1)
{
    /* detection on odd input: no crash, a clear error or a story */
    static const char u16[] =
        "\xFF\xFE<\0?\0x\0m\0l\0 \0v\0e\0r\0s\0i\0o\0n\0=\0'\0\x31\0.\0\x30\0'\0?\0>\0<\0r\0/\0>\0";
    const char *inputs[] = {
        u16,
        "<?xml version='1.0' "
        "encoding='iso-8859-1'?><rss><channel><title>f\xFCr</title></channel></rss>",
        "<?xml version='1.0' encoding='bogus'?><x>\xFF\xFE</x>",
    };
    size_t lens[] = {sizeof u16 - 1, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        size_t len = lens[i] ? lens[i] : strlen(inputs[i]);
        nw_story_list list = {0};
        nw_err err = {0};
        int rc = nw_parse_buffer("auto", inputs[i], len, NULL, &list, &err);
        if (rc < 0)
            cr_assert(err.msg[0], "input %zu: error without a message", i);
        cr_assert(!strstr(err.msg, "binary data"), "input %zu: %s", i, err.msg);
        nw_story_list_free(&list);
    }
}

/* ------------------------------------------------------- shared files --- */

/* Files SOURCES.md says are not well-formed XML (or not XML at all). */
static const char *const known_broken[] = {
    "rss_2.0_invalid_1.xml", /* Reuters "Most Read", truncated */
    "unrecognized.rss",      /* not a feed, not well-formed */
    "bozo_invalid-bytes-with-bom.xml",
    "bozo_double-encoded-html.xml", /* undefined HTML entity &acirc; */
    "aaa_illformed.xml",
    "rss_empty_document.xml",
    "rss_incomplete_cdata.xml",
    "rdf_channel_empty_textinput.xml",
    "rss_item_link_corrupted_ampersands.xml",
    NULL,
};

static bool is_known_broken(const char *name)
{
    for (size_t i = 0; known_broken[i]; i++)
        if (!strcmp(known_broken[i], name))
            return true;
    return false;
}

static bool xml_name(const char *n)
{
    size_t l = strlen(n);
    const char *exts[] = {".xml", ".rss", ".atom", ".rdf", NULL};
    for (size_t i = 0; exts[i]; i++) {
        size_t e = strlen(exts[i]);
        if (l > e && !strcmp(n + l - e, exts[i]))
            return true;
    }
    return false;
}

static void walk(const char *dir, int *ok, int *broken)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, ok, broken);
            continue;
        }
        if (!xml_name(de->d_name))
            continue;
        size_t len = 0;
        char *buf = nw_test_read_file(path, &len);
        cr_assert_not_null(buf);
        nw_xml_doc d;
        nw_err err = {0};
        int rc = nw_xml_read(buf, len, de->d_name, NULL, 0, &d, &err);
        if (is_known_broken(de->d_name)) {
            cr_assert_lt(rc, 0, "%s parsed but is known broken", path);
            cr_assert(!strncmp(err.msg, de->d_name, strlen(de->d_name)), "%s", err.msg);
            (*broken)++;
        } else {
            cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
            cr_assert_not_null(nw_xml_root(&d));
            nw_xml_doc_free(&d);
            (*ok)++;
        }
        free(buf);
    }
    closedir(dh);
}

Test(xml_shared, every_xml_file)
{
    const char *dirs[] = {"feeds", "nitf", "newsml-1.2", "newsml-g2", "other-wire/ritzau", NULL};
    int ok = 0, broken = 0;
    for (size_t i = 0; dirs[i]; i++) {
        char *p = shared_ds(dirs[i]);
        if (!p)
            cr_skip_test("shared datasets absent");
        walk(p, &ok, &broken);
        free(p);
    }
    cr_assert_geq(ok, 200, "only %d files parsed", ok);
    cr_assert_eq(broken, 9, "%d known-broken files found", broken);
}

Test(xml_shared, real_text_comes_out_right)
{
    struct {
        const char *rel, *elem, *want;
    } cases[] = {
        {"feeds/meteor-scrape/spiegel-feed.xml", "channel", "SPIEGEL"},
        {"feeds/rss-parser/uolNoticias.rss", "title", "UOL Noticias"},
        {"feeds/rss-parser/latin2.rss", "channel", "ZA\xC5\xBB\xC3\x93\xC5\x81\xC4\x86"},
        {"feeds/rss-parser/encoding-gb2312.xml", "channel", "\xE6\x96\xB0\xE9\x97\xBB"},
        {"feeds/RSParser/phpxml.rss", "channel", "Utrecht"},
        {"nitf/superdesk-core/pa4.xml", "nitf",
         "\xC2\xA3"
         "25"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = shared_ds(cases[i].rel);
        if (!path)
            cr_skip_test("shared datasets absent");
        size_t len = 0;
        char *buf = nw_test_read_file(path, &len);
        nw_xml_doc d;
        nw_err err = {0};
        cr_assert_eq(nw_xml_read(buf, len, cases[i].rel, NULL, 0, &d, &err), 0, "%s", err.msg);
        xmlNodePtr root = nw_xml_root(&d);
        xmlNodePtr n = nw_xml_is(root, cases[i].elem) ? root : nw_xml_find(root, cases[i].elem);
        char *t = nw_xml_text(n);
        cr_assert(t && strstr(t, cases[i].want), "%s: '%s' not in text", cases[i].rel,
                  cases[i].want);
        cr_assert(!strstr(t, "\xC3\x83\xC2"), "%s: mojibake", cases[i].rel);
        free(t);
        nw_xml_doc_free(&d);
        free(buf);
        free(path);
    }
}

/* ---------------------------------------------------------- streaming --- */

/* Keeps <a> whole (entities replaced when it ends), frees everything else;
 * an <a> holding "stop" stops the read with an error. */
typedef struct keep_a {
    int ended;
    char seen[256];
} keep_a;

static nw_xml_keep keep_a_start(void *ctx, xmlNodePtr node, int depth)
{
    (void)ctx;
    return depth == 0 ? NW_XML_SHELL : nw_xml_is(node, "a") ? NW_XML_WHOLE : NW_XML_SKIP;
}

static int keep_a_end(void *ctx, xmlNodePtr node, int depth, nw_err *err)
{
    keep_a *k = ctx;
    if (depth == 0)
        return 1;
    k->ended++;
    char *t = nw_xml_text(node);
    size_t n = strlen(k->seen);
    snprintf(k->seen + n, sizeof k->seen - n, "[%s]", t ? t : "");
    int rc = t && !strcmp(t, "stop")
                 ? nw_err_set(err, NW_EINVAL, "stopped at line %ld", nw_xml_line(node))
                 : 1;
    free(t);
    return rc;
}

Test(xml_stream, keeps_what_it_is_told_and_frees_the_rest)
{
    const char *x = "<!DOCTYPE r [<!ENTITY co \"Example Corp\">]>\n<r><a>1 &co;</a>x<b><a>in b"
                    "</a></b>\n<a>3</a><c/></r>";
    keep_a k = {0};
    nw_xml_stream_ops ops = {keep_a_start, keep_a_end, &k};
    nw_xml_doc d;
    nw_err err = {0};
    cr_assert_eq(nw_xml_read_stream(x, strlen(x), "s.xml", NULL, 0, &ops, &d, &err), 0, "%s",
                 err.msg);
    /* the <a> inside the skipped <b> is asked for too, and freed with <b> */
    cr_assert_str_eq(k.seen, "[1 Example Corp][in b][3]");
    xmlNodePtr root = nw_xml_root(&d);
    int kids = 0;
    for (xmlNodePtr c = root->children; c; c = c->next)
        kids++;
    /* the two top-level <a>; the text, <b> and <c> between and after them freed */
    cr_assert_eq(kids, 2);
    nw_xml_doc_free(&d);

    /* an error from `end` stops the read with it */
    const char *y = "<r><a>go</a>\n<a>stop</a><a>never</a></r>";
    memset(&k, 0, sizeof k);
    cr_assert_lt(nw_xml_read_stream(y, strlen(y), "s.xml", NULL, 0, &ops, &d, &err), 0);
    cr_assert_str_eq(err.msg, "stopped at line 2");
    cr_assert_str_eq(k.seen, "[go][stop]");

    /* a malformed document fails as nw_xml_read does, whatever `end` said */
    const char *z = "<r><a>1</a>\n<a>2</b></r>";
    memset(&k, 0, sizeof k);
    cr_assert_lt(nw_xml_read_stream(z, strlen(z), "s.xml", NULL, 0, &ops, &d, &err), 0);
    cr_assert(strstr(err.msg, "s.xml:2: Opening and ending tag mismatch"), "%s", err.msg);
    cr_assert_str_eq(k.seen, "[1]");
}
