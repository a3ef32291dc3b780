/*
 * test_text — nw_text: UTF-8 validation and cp1252 repair, binary sniffing,
 * whitespace squeeze (NBSP included), slugs with transliteration, XXH3 hex.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "nw_text.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ------------------------------------------------------------- utf8_valid */

Test(utf8_valid, accepts_ascii_and_multibyte)
{
    cr_assert(nw_utf8_valid(S("plain ascii"), NULL));
    cr_assert(nw_utf8_valid(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb0"), NULL));
    cr_assert(nw_utf8_valid(S("\xf4\x8f\xbf\xbf"), NULL)); /* U+10FFFF */
    cr_assert(nw_utf8_valid("", 0, NULL));
}

Test(utf8_valid, rejects_bad_sequences_with_offset)
{
    size_t off = 99;
    cr_assert_not(nw_utf8_valid(S("ab\xc0\x80"), &off)); /* overlong NUL */
    cr_assert_eq(off, 2);
    cr_assert_not(nw_utf8_valid(S("\xe0\x80\x80"), &off)); /* overlong */
    cr_assert_eq(off, 0);
    cr_assert_not(nw_utf8_valid(S("x\xed\xa0\x80"), &off)); /* surrogate D800 */
    cr_assert_eq(off, 1);
    cr_assert_not(nw_utf8_valid(S("\xf4\x90\x80\x80"), &off)); /* > U+10FFFF */
    cr_assert_not(nw_utf8_valid(S("abc\xe2\x82"), &off));      /* truncated */
    cr_assert_eq(off, 3);
    cr_assert_not(nw_utf8_valid(S("caf\xe9"), &off)); /* Latin-1 */
    cr_assert_eq(off, 3);
    cr_assert_not(nw_utf8_valid(S("\x80"), NULL)); /* lone continuation */
}

/* ------------------------------------------------------------ utf8_repair */

Test(utf8_repair, latin1_and_cp1252_bytes)
{
    size_t n = 0;
    char *s = nw_utf8_repair(S("caf\xe9"), &n);
    cr_assert_str_eq(s, "caf\xc3\xa9");
    cr_assert_eq(n, 1);
    free(s);

    s = nw_utf8_repair(S("\x93quoted\x94 \x80 5\x96"), &n);
    cr_assert_str_eq(s, "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac 5\xe2\x80\x93");
    cr_assert_eq(n, 4);
    free(s);
}

Test(utf8_repair, valid_input_unchanged_and_undefined_bytes)
{
    size_t n = 7;
    char *s = nw_utf8_repair(S("na\xc3\xafve \xe2\x82\xac"), &n);
    cr_assert_str_eq(s, "na\xc3\xafve \xe2\x82\xac");
    cr_assert_eq(n, 0);
    free(s);

    /* 0x81 is undefined in cp1252 */
    s = nw_utf8_repair(S("a\x81"
                         "b"),
                       &n);
    cr_assert_str_eq(s, "a\xef\xbf\xbd"
                        "b");
    cr_assert_eq(n, 1);
    cr_assert(nw_utf8_valid(s, strlen(s), NULL));
    free(s);

    /* a truncated sequence at the end is repaired byte by byte */
    s = nw_utf8_repair(S("x\xe2\x82"), &n);
    cr_assert_eq(n, 2);
    cr_assert(nw_utf8_valid(s, strlen(s), NULL));
    free(s);
}

/* ----------------------------------------------------------- looks_binary */

Test(looks_binary, text_and_binary)
{
    cr_assert_not(nw_text_looks_binary(S("Hello\tworld\r\n\fnext page\n")));
    cr_assert_not(nw_text_looks_binary("", 0));
    cr_assert(nw_text_looks_binary(S("PK\x03\x04\0\0zip")));

    char buf[1000];
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 10; i++) /* exactly 1%: still text */
        buf[i * 97] = '\x01';
    cr_assert_not(nw_text_looks_binary(buf, sizeof buf));
    buf[999] = '\x1b'; /* 1.1% */
    cr_assert(nw_text_looks_binary(buf, sizeof buf));
}

/* ---------------------------------------------------------------- squeeze */

Test(squeeze, folds_and_trims)
{
    char *s = nw_text_squeeze(S("  a \t b\n\n c  "));
    cr_assert_str_eq(s, "a b c");
    free(s);
    s = nw_text_squeeze(S("\xc2\xa0"
                          "a\xc2\xa0\xc2\xa0"
                          "b\xe2\x80\x89"
                          "c\xc2\xa0"));
    cr_assert_str_eq(s, "a b c");
    free(s);
    s = nw_text_squeeze(S(" \t\n "));
    cr_assert_str_eq(s, "");
    free(s);
    /* not NUL-terminated input: only len bytes are read */
    s = nw_text_squeeze("ab  cdXXXX", 6);
    cr_assert_str_eq(s, "ab cd");
    free(s);
    /* non-space multibyte characters pass through */
    s = nw_text_squeeze(S("caf\xc3\xa9  \xe4\xb8\xad"));
    cr_assert_str_eq(s, "caf\xc3\xa9 \xe4\xb8\xad");
    free(s);
}

/* ------------------------------------------------------------------- slug */

static void check_slug(const char *in, const char *want)
{
    char *s = nw_text_slug(in);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, want, "slug(\"%s\") = \"%s\", want \"%s\"", in, s, want);
    free(s);
}

Test(slug, examples)
{
    check_slug("Mid-East", "mid-east");
    check_slug("Sci/Tech", "sci-tech");
    check_slug("  --Hello,   World!--  ", "hello-world");
    check_slug("Caf\xc3\xa9 Soci\xc3\xa9t\xc3\xa9", "cafe-societe");
    check_slug("Stra\xc3\x9f"
               "e",
               "strasse");
    check_slug("\xc5\x81\xc3\xb3"
               "d\xc5\xba",
               "lodz");
    check_slug("\xc3\x86sir \xc3\x98resund", "aesir-oresund");
    check_slug("Mid\xe2\x80\x94"
               "East",
               "mid-east");                     /* em dash separates */
    check_slug("\xe4\xb8\xad\xe5\x9b\xbd", ""); /* nothing transliterable */
    check_slug("World \xe4\xb8\xad News", "world-news");
    check_slug("", "");
    check_slug("2024 Olympics", "2024-olympics");
}

Test(slug, length_limit_without_trailing_dash)
{
    char in[400];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 60; i++)
        strcat(in, "ab ");
    char *s = nw_text_slug(in);
    cr_assert_leq(strlen(s), 100);
    cr_assert_geq(strlen(s), 98);
    cr_assert_neq(s[strlen(s) - 1], '-');
    cr_assert_eq(strncmp(s, "ab-ab-", 6), 0);
    free(s);
}

/* ------------------------------------------------------------------- hash */

Test(hash, xxh3_128_canonical_hex)
{
    char a[33], b[33], c[33];
    nw_text_hash_hex("", 0, a);
    /* XXH3-128 of the empty input (xxHash reference value) */
    cr_assert_str_eq(a, "99aa06d3014798d86001c324468d497f");

    nw_text_hash_hex("newswire", 8, b);
    XXH128_hash_t h = XXH3_128bits("newswire", 8);
    snprintf(c, sizeof c, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    cr_assert_str_eq(b, c);
    cr_assert_eq(strlen(b), 32);
    cr_assert_str_neq(a, b);

    nw_text_hash_hex("newswirE", 8, c);
    cr_assert_str_neq(b, c);
}
