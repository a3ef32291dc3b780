/*
 * test_encoding — nw_encoding: BOMs, UTF-16/32 with and without BOM, wrong
 * and missing declarations, legacy charsets, windows-1252 smart quotes, NFC,
 * over inline bytes and over the real feeds/wire files named in SOURCES.md
 * section 5, plus every feeds/feedparser-synthetic/ encoding file against the
 * expectations written in its XML comment where they apply to decoding.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_encoding.h"
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

static nw_decoded decode_ok(const char *buf, size_t len, const char *override, const char *declared)
{
    nw_decoded d;
    nw_err err = {0};
    int rc = nw_encoding_decode(buf, len, override, declared, &d, &err);
    cr_assert_eq(rc, 0, "decode failed: %s", err.msg);
    return d;
}

#define DECODE(lit, ov, decl) decode_ok(lit, sizeof(lit) - 1, ov, decl)

Test(encoding, boms)
{
    nw_decoded d = DECODE("\xEF\xBB\xBFh\xC3\xA9", NULL, NULL);
    cr_assert_str_eq(d.text, "h\xC3\xA9");
    cr_assert_str_eq(d.charset, "utf-8");
    nw_decoded_free(&d);

    d = DECODE("\xFF\xFEh\0\xE9\0", NULL, NULL);
    cr_assert_str_eq(d.text, "h\xC3\xA9");
    cr_assert_str_eq(d.charset, "utf-16le");
    nw_decoded_free(&d);

    d = DECODE("\xFE\xFF\0h\0\xE9", NULL, "iso-8859-1");
    cr_assert_str_eq(d.text, "h\xC3\xA9");
    cr_assert_str_eq(d.charset, "utf-16be");
    cr_assert(d.declared_wrong);
    nw_decoded_free(&d);

    d = DECODE("\xFF\xFE\0\0h\0\0\0\xE9\0\0\0", NULL, NULL);
    cr_assert_str_eq(d.text, "h\xC3\xA9");
    cr_assert_str_eq(d.charset, "utf-32le");
    nw_decoded_free(&d);

    d = DECODE("\0\0\xFE\xFF\0\0\0h\0\0\0\xE9", NULL, NULL);
    cr_assert_str_eq(d.text, "h\xC3\xA9");
    cr_assert_str_eq(d.charset, "utf-32be");
    nw_decoded_free(&d);
}

Test(encoding, utf16_32_without_bom)
{
    nw_decoded d = DECODE("<\0a\0>\0\xFC\0<\0/\0a\0>\0", NULL, "utf-16");
    cr_assert_str_eq(d.text, "<a>\xC3\xBC</a>");
    cr_assert_str_eq(d.charset, "utf-16le");
    cr_assert_not(d.declared_wrong);
    nw_decoded_free(&d);

    d = DECODE("\0<\0a\0>\0\xFC", NULL, NULL);
    cr_assert_str_eq(d.text, "<a>\xC3\xBC");
    cr_assert_str_eq(d.charset, "utf-16be");
    nw_decoded_free(&d);

    d = DECODE("\0\0\0<\0\0\0a", NULL, NULL);
    cr_assert_str_eq(d.text, "<a");
    cr_assert_str_eq(d.charset, "utf-32be");
    nw_decoded_free(&d);
}

Test(encoding, declared_latin1_but_utf8_is_utf8)
{
    nw_decoded d = DECODE("<t>f\xC3\xBCr</t>", NULL, "ISO-8859-1");
    cr_assert_str_eq(d.text, "<t>f\xC3\xBCr</t>");
    cr_assert_str_eq(d.charset, "utf-8");
    cr_assert(d.declared_wrong);
    nw_decoded_free(&d);

    /* really Latin-1: decoded as declared, nothing wrong */
    d = DECODE("<t>f\xFCr</t>", NULL, "iso-8859-1");
    cr_assert_str_eq(d.text, "<t>f\xC3\xBCr</t>");
    cr_assert_str_eq(d.charset, "iso-8859-1");
    cr_assert_not(d.declared_wrong);
    nw_decoded_free(&d);

    /* pure ASCII under a Latin-1 declaration keeps the declaration */
    d = DECODE("<t>fur</t>", NULL, "latin1");
    cr_assert_str_eq(d.charset, "iso-8859-1");
    cr_assert_not(d.declared_wrong);
    nw_decoded_free(&d);
}

/* UTF-8 bytes under a Shift_JIS declaration decoded without an error into
 * mojibake ("東京" became "譚ｱ莠ｬ"), with no warning. */
Test(encoding, declared_shift_jis_but_utf8_is_utf8)
{
    nw_decoded d = DECODE("<t>\xE6\x9D\xB1\xE4\xBA\xAC</t>", NULL, "Shift_JIS");
    cr_assert_str_eq(d.text, "<t>\xE6\x9D\xB1\xE4\xBA\xAC</t>");
    cr_assert_str_eq(d.charset, "utf-8");
    cr_assert(d.declared_wrong);
    nw_decoded_free(&d);
    /* real Shift_JIS still decodes as declared */
    d = DECODE("<t>\x93\x8C\x8B\x9E</t>", NULL, "Shift_JIS");
    cr_assert_str_eq(d.text, "<t>\xE6\x9D\xB1\xE4\xBA\xAC</t>");
    cr_assert_not(d.declared_wrong);
    nw_decoded_free(&d);
}

/* Invalid UTF-8 under a UTF-8 declaration: the bytes are repaired, the
 * declaration was right (the warning said "does not match; read as utf-8"). */
Test(encoding, invalid_utf8_declared_utf8_is_repaired_not_declared_wrong)
{
    nw_decoded d = DECODE("<t>Caf\xE9</t>", NULL, "UTF-8");
    cr_assert_str_eq(d.text, "<t>Caf\xC3\xA9</t>");
    cr_assert_eq(d.repaired, 1);
    cr_assert_not(d.declared_wrong);
    nw_decoded_free(&d);
}

Test(encoding, undeclared_fallbacks)
{
    nw_decoded d = DECODE("caf\xC3\xA9", NULL, NULL);
    cr_assert_str_eq(d.charset, "utf-8");
    cr_assert_eq(d.repaired, 0);
    nw_decoded_free(&d);

    d = DECODE("Not\xED"
               "cias \x93"
               "quoted\x94",
               NULL, NULL); /* UOL-style */
    cr_assert_str_eq(d.text, "Not\xC3\xAD"
                             "cias \xE2\x80\x9Cquoted\xE2\x80\x9D");
    cr_assert_str_eq(d.charset, "windows-1252");
    cr_assert_eq(d.repaired, 3);
    nw_decoded_free(&d);

    d = DECODE("caf\xC3\xA9 and M\xFCller", NULL, NULL); /* mixed: stray byte repaired */
    cr_assert_str_eq(d.text, "caf\xC3\xA9 and M\xC3\xBCller");
    cr_assert_str_eq(d.charset, "utf-8");
    cr_assert_eq(d.repaired, 1);
    nw_decoded_free(&d);
}

Test(encoding, smart_quotes)
{
    /* 0x92 under a Latin-1 declaration is windows-1252's right quote */
    nw_decoded d = DECODE("don\x92t", NULL, "iso-8859-1");
    cr_assert_str_eq(d.text, "don\xE2\x80\x99t");
    nw_decoded_free(&d);
    d = DECODE("don\x92t \x80 5", NULL, "windows-1252");
    cr_assert_str_eq(d.text, "don\xE2\x80\x99t \xE2\x82\xAC 5");
    nw_decoded_free(&d);
    /* U+0092 written in UTF-8 (C2 92) is demoronized too */
    d = DECODE("don\xC2\x92t", NULL, NULL);
    cr_assert_str_eq(d.text, "don\xE2\x80\x99t");
    nw_decoded_free(&d);
}

Test(encoding, legacy_charsets)
{
    struct {
        const char *bytes, *charset, *utf8, *reported;
    } cases[] = {
        {"\xD6\xD0\xCE\xC4", "gb2312", "\xE4\xB8\xAD\xE6\x96\x87", "gb2312"}, /* 中文 */
        {"\xA4\xA4\xA4\xE5", "big5", "\xE4\xB8\xAD\xE6\x96\x87", "big5"},     /* 中文 */
        {"\xB3\xE2", "euc-kr", "\xEB\x85\x84", "euc-kr"},                     /* 년 */
        {"\xF0\xD2\xC9\xD7\xC5\xD4", "koi8-r", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
         "koi8-r"}, /* Привет */
        {"\xCF\xF0\xE8", "windows-1251", "\xD0\x9F\xD1\x80\xD0\xB8", "windows-1251"}, /* При */
        {"\xB9\x9C", "cp1250", "\xC4\x85\xC5\x9B", "windows-1250"},                   /* ąś */
        {"\xB1\xB6\xA3", "ISO-8859-2", "\xC4\x85\xC5\x9B\xC5\x81", "iso-8859-2"},     /* ąśŁ */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nw_decoded d = decode_ok(cases[i].bytes, strlen(cases[i].bytes), NULL, cases[i].charset);
        cr_assert_str_eq(d.text, cases[i].utf8, "%s", cases[i].charset);
        cr_assert_str_eq(d.charset, cases[i].reported);
        cr_assert_eq(d.repaired, 0, "%s", cases[i].charset);
        nw_decoded_free(&d);
    }
}

Test(encoding, override_beats_declaration)
{
    nw_decoded d =
        DECODE("<?xml version='1.0' encoding='utf-8'?><a>\xD6\xD0</a>", "gb2312", "utf-8");
    cr_assert_str_eq(d.charset, "gb2312");
    cr_assert(strstr(d.text, "\xE4\xB8\xAD"));
    nw_decoded_free(&d);
}

Test(encoding, bogus_charset)
{
    /* ASCII / UTF-8 bytes: documented fallback to UTF-8, flagged */
    nw_decoded d = DECODE("<rss>caf\xC3\xA9</rss>", NULL, "bogus");
    cr_assert_str_eq(d.charset, "utf-8");
    cr_assert(d.declared_wrong);
    nw_decoded_free(&d);

    nw_err err = {0};
    cr_assert_eq(nw_encoding_decode("caf\xE9", 4, NULL, "bogus", &d, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "unknown charset 'bogus'"), "%s", err.msg);
}

Test(encoding, invalid_in_declared_multibyte)
{
    /* a lone lead byte at the end of GB2312 text: U+FFFD, counted */
    nw_decoded d = DECODE("\xD6\xD0\xD6", NULL, "gb2312");
    cr_assert_str_eq(d.text, "\xE4\xB8\xAD\xEF\xBF\xBD");
    cr_assert_eq(d.repaired, 1);
    nw_decoded_free(&d);
}

Test(encoding, nfc)
{
    nw_decoded d = DECODE("e\xCC\x81", NULL, NULL); /* e + combining acute */
    cr_assert_str_eq(d.text, "\xC3\xA9");
    nw_decoded_free(&d);
    char *s = nw_utf8_nfc("A\xCC\x8A", 3);
    cr_assert_str_eq(s, "\xC3\x85");
    free(s);
    cr_assert_null(nw_utf8_nfc("\xFF", 1));
}

Test(encoding, sniff_xml)
{
    char enc[40];
    const char d1[] = "\n <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>";
    cr_assert(nw_encoding_sniff_xml(d1, sizeof d1 - 1, enc, sizeof enc));
    cr_assert_str_eq(enc, "iso-8859-1");
    const char d2[] = "<\0?\0x\0m\0l\0 \0e\0n\0c\0o\0d\0i\0n\0g\0=\0'\0u\0"
                      "t\0f\0-\0001\0006\0'\0?\0>\0";
    cr_assert(nw_encoding_sniff_xml(d2, sizeof d2 - 1, enc, sizeof enc));
    cr_assert_str_eq(enc, "utf-16");
    cr_assert_not(nw_encoding_sniff_xml("<?xml version='1.0'?><a/>", 25, enc, sizeof enc));
    cr_assert_not(nw_encoding_sniff_xml("<?phpxml encoding='x'?>", 23, enc, sizeof enc));
    cr_assert_not(nw_encoding_sniff_xml("<a/>", 4, enc, sizeof enc));
    size_t bl = 9;
    cr_assert_str_eq(nw_encoding_sniff_unicode("\xFF\xFE<\0", 4, &bl), "utf-16le");
    cr_assert_eq(bl, 2);
    cr_assert_null(nw_encoding_sniff_unicode("<rss", 4, &bl));
}

/* ------------------------------------------------------------ real data --- */

/* Decode a shared file the way nw_xml_read does; skips when shared is absent. */
static nw_decoded decode_shared(const char *rel)
{
    char *path = shared_ds(rel);
    if (!path)
        cr_skip_test("shared datasets absent");
    size_t len = 0;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    char decl[40];
    bool has = nw_encoding_sniff_xml(buf, len, decl, sizeof decl);
    nw_decoded d;
    nw_err err = {0};
    cr_assert_eq(nw_encoding_decode(buf, len, NULL, has ? decl : NULL, &d, &err), 0, "%s: %s", rel,
                 err.msg);
    free(buf);
    free(path);
    return d;
}

static void expect_in(const char *rel, const char *charset, bool wrong, const char *const *words)
{
    nw_decoded d = decode_shared(rel);
    cr_assert_str_eq(d.charset, charset, "%s", rel);
    cr_assert_eq(d.declared_wrong, wrong, "%s", rel);
    cr_assert_eq(d.repaired, 0, "%s: %zu repaired", rel, d.repaired);
    for (size_t i = 0; words[i]; i++)
        cr_assert(strstr(d.text, words[i]), "%s: '%s' not found", rel, words[i]);
    /* never mojibake: no UTF-8-read-as-Latin-1 pairs */
    cr_assert_null(strstr(d.text, "\xC3\x83\xC2"), "%s: mojibake", rel);
    nw_decoded_free(&d);
}

Test(encoding_real, declared_latin1_really_utf8)
{
    expect_in("feeds/meteor-scrape/spiegel-feed.xml", "utf-8", true,
              (const char *const[]){"f\xC3\xBCr", "nat\xC3\xBCrlich",
                                    "\xC3\xBC"
                                    "bernehmen",
                                    NULL});
    expect_in("nitf/superdesk-core/pa4.xml", "utf-8", true,
              (const char *const[]){"\xC2\xA3"
                                    "25",
                                    NULL});
    expect_in("nitf/superdesk-core/mapping_test.xml", "utf-8", true,
              (const char *const[]){"Byr\xC3\xA5mottak", NULL});
    expect_in("newsml-1.2/superdesk-core/afp20.xml", "utf-8", true,
              (const char *const[]){"proc\xC3\xA8s",
                                    "D\xC3\xA9"
                                    "c\xC3\xA8s",
                                    NULL});
    expect_in("newsml-g2/iptc-newsml-g2/examples/LISTING_5_Multi-part_Video_in_NewsML-G2.xml",
              "utf-8", true, (const char *const[]){"B\xC3\xBClow", "anim\xC3\xA9", NULL});
}

Test(encoding_real, real_legacy_charsets)
{
    expect_in("nitf/superdesk-core/pa5.xml", "iso-8859-1", false,
              (const char *const[]){"\xC2\xA3"
                                    "66",
                                    NULL});
    expect_in("feeds/rss-parser/encoding.rss", "iso-8859-1", false,
              (const char *const[]){"Not\xC3\xAD"
                                    "cias",
                                    "Informa\xC3\xA7\xC3\xA3o", NULL});
    /* 新闻国内, 习近平 */
    expect_in("feeds/rss-parser/encoding-gb2312.xml", "gb2312", false,
              (const char *const[]){"\xE6\x96\xB0\xE9\x97\xBB\xE5\x9B\xBD\xE5\x86\x85",
                                    "\xE4\xB9\xA0\xE8\xBF\x91\xE5\xB9\xB3", NULL});
    /* 投资资讯网 */
    expect_in("feeds/RSParser/kc0011.rss", "gb2312", false,
              (const char *const[]){"\xE6\x8A\x95\xE8\xB5\x84\xE8\xB5\x84\xE8\xAE\xAF\xE7\xBD\x91",
                                    NULL});
    /* ZAŻÓŁĆ GĘSLĄ JAŹŃ */
    expect_in("feeds/rss-parser/latin2.rss", "iso-8859-2", false,
              (const char *const[]){"ZA\xC5\xBB\xC3\x93\xC5\x81\xC4\x86", "G\xC4\x98SL\xC4\x84",
                                    "Przyk\xC5\x82"
                                    "adowe",
                                    NULL});
}

Test(encoding_real, uol_latin1_without_declaration)
{
    nw_decoded d = decode_shared("feeds/rss-parser/uolNoticias.rss");
    cr_assert_str_eq(d.charset, "windows-1252");
    cr_assert_gt(d.repaired, 0);
    cr_assert(strstr(d.text, "\xC3\x9Altimas Not\xC3\xAD"
                             "cias"),
              "Últimas Notícias");
    nw_decoded_free(&d);
}

/* ------------------------------------------------- feedparser-synthetic --- */

/* The value of "Name: value" in the leading comment, or "" */
static void comment_field(const char *text, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *end = strstr(text, "-->");
    const char *p = strstr(text, name);
    if (!p || (end && p > end))
        return;
    p += strlen(name);
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\r\n");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* charset=... of a Content-type header, unquoted, or "" */
static void header_charset(const char *header, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = strstr(header, "charset");
    if (!p)
        return;
    p += 7;
    while (*p == ' ')
        p++;
    if (*p != '=')
        return; /* "charset:iso-8859-1" is a bogus parameter */
    p++;
    while (*p == ' ' || *p == '"' || *p == '\'')
        p++;
    size_t n = strcspn(p, "\"'; ");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static bool same_charset(const char *ours, const char *theirs)
{
    if (!strcmp(ours, theirs))
        return true;
    /* we report the declared GB2312 although GB18030 (its superset) decodes it */
    if (!strcmp(theirs, "gb18030") && !strcmp(ours, "gb2312"))
        return true;
    return false;
}

Test(encoding_real, feedparser_synthetic_all)
{
    char *dir = shared_ds("feeds/feedparser-synthetic/encoding");
    if (!dir)
        cr_skip_test("shared datasets absent");
    DIR *dh = opendir(dir);
    cr_assert_not_null(dh);
    struct dirent *de;
    int files = 0, charset_checked = 0, parsed = 0;
    while ((de = readdir(dh))) {
        if (!strstr(de->d_name, ".xml"))
            continue;
        files++;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len = 0;
        char *buf = nw_test_read_file(path, &len);
        cr_assert_not_null(buf);

        char decl[40], header[256], expect[512], override[40];
        bool has = nw_encoding_sniff_xml(buf, len, decl, sizeof decl);
        nw_decoded d;
        nw_err err = {0};
        /* first decode without knowing the HTTP header: always works */
        cr_assert_eq(nw_encoding_decode(buf, len, NULL, has ? decl : NULL, &d, &err), 0, "%s: %s",
                     de->d_name, err.msg);
        cr_assert(strstr(d.text, "<rss") || strstr(d.text, "<feed"), "%s: no root in %s",
                  de->d_name, d.text);
        comment_field(d.text, "Header:", header, sizeof header);
        comment_field(d.text, "Expect:", expect, sizeof expect);
        header_charset(header, override, sizeof override);
        nw_decoded_free(&d);

        /* then as fetched: the HTTP charset overrides */
        cr_assert_eq(nw_encoding_decode(buf, len, override[0] ? override : NULL, has ? decl : NULL,
                                        &d, &err),
                     0, "%s: %s", de->d_name, err.msg);
        const char *want = strstr(expect, "encoding == '");
        /* RFC 3023 text/... defaults without a charset are not emulated */
        bool text_default = !strncmp(header, "Content-type: text/", 19) && !override[0];
        if (want && !text_default && strstr(expect, "not bozo")) {
            char w[40];
            want += 13;
            size_t n = strcspn(want, "'");
            snprintf(w, sizeof w, "%.*s", (int)n, want);
            cr_assert(same_charset(d.charset, w), "%s: charset %s, feedparser says %s", de->d_name,
                      d.charset, w);
            charset_checked++;
        }
        nw_decoded_free(&d);

        /* and through nw_xml_read: every "not bozo" file is well-formed */
        nw_xml_doc x;
        int rc = nw_xml_read(buf, len, de->d_name, override[0] ? override : NULL, 0, &x, &err);
        if (strstr(expect, "not bozo")) {
            cr_assert_eq(rc, 0, "%s: %s", de->d_name, err.msg);
            parsed++;
            xmlNodePtr root = nw_xml_root(&x);
            xmlNodePtr desc = nw_xml_find(root, "description");
            char *t = desc ? nw_xml_text(desc) : NULL;
            if (strstr(expect, "'don\\u2019t'"))
                cr_assert_str_eq(t, "don\xE2\x80\x99t", "%s", de->d_name);
            if (strstr(expect, "\\xa3\\u201ctest.\\u201d"))
                cr_assert_str_eq(t, "This is a \xC2\xA3\xE2\x80\x9Ctest.\xE2\x80\x9D", "%s",
                                 de->d_name);
            if (strstr(expect, "== '\\ub144'")) {
                xmlNodePtr title = nw_xml_find(root, "title");
                char *tt = title ? nw_xml_text(title) : NULL;
                cr_assert((t && !strcmp(t, "\xEB\x85\x84")) || (tt && !strcmp(tt, "\xEB\x85\x84")),
                          "%s", de->d_name);
                free(tt);
            }
            free(t);
        }
        if (rc == 0)
            nw_xml_doc_free(&x);
        free(buf);
    }
    closedir(dh);
    free(dir);
    cr_assert_geq(files, 80);
    cr_assert_geq(charset_checked, 30, "only %d charsets checked", charset_checked);
    cr_assert_geq(parsed, 60, "only %d parsed", parsed);
}

/* nw_utf8_nfc_stable must never say "stable" for text NFC would change:
 * every code point it accepts is checked alone and after a set of starters
 * that take part in canonical compositions. */
static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

Test(encoding, nfc_stable_ranges_agree_with_utf8proc, .timeout = 120)
{
    static const uint32_t starters[] = {'a',
                                        'A',
                                        'e',
                                        'o',
                                        'u',
                                        '<',
                                        '=',
                                        0x0418 /* И */,
                                        0x0391 /* Α */,
                                        0x304B /* か */,
                                        0x1100 /* ᄀ */,
                                        0xAC00 /* 가 */,
                                        0x0915 /* क */,
                                        0x05D0 /* א */};
    size_t checked = 0;
    for (uint32_t cp = 0x80; cp < 0x20000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char one[8];
        size_t n = put_utf8(one, cp);
        if (!nw_utf8_nfc_stable(one, n))
            continue;
        checked++;
        for (size_t s = 0; s <= sizeof starters / sizeof starters[0]; s++) {
            char pair[16];
            size_t len = 0;
            if (s < sizeof starters / sizeof starters[0])
                len = put_utf8(pair, starters[s]);
            memcpy(pair + len, one, n);
            len += n;
            char *nfc = nw_utf8_nfc(pair, len);
            cr_assert_not_null(nfc);
            cr_assert(strlen(nfc) == len && !memcmp(nfc, pair, len),
                      "U+%04X is called NFC-stable but NFC changes it (after starter %zu)", cp, s);
            free(nfc);
        }
    }
    cr_assert_gt(checked, 35000, "only %zu code points checked", checked);
    /* and the ones that must not pass */
    cr_assert_not(nw_utf8_nfc_stable("e\xCC\x81", 3));             /* e + U+0301 */
    cr_assert_not(nw_utf8_nfc_stable("\xE2\x84\xA6", 3));          /* U+2126 OHM SIGN */
    cr_assert_not(nw_utf8_nfc_stable("\xE3\x82\x99", 3));          /* U+3099 voicing mark */
    cr_assert(nw_utf8_nfc_stable("\xE2\x80\x99 \xE4\xB8\xAD", 7)); /* ’ 中 */
}
