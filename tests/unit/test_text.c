/*
 * test_text — nw_text: UTF-8 validation and cp1252 repair, binary sniffing,
 * whitespace squeeze (NBSP included), slugs with transliteration, XXH3 hex.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
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

/* The rule, byte by byte: more than 1% of the first 4096 bytes are controls
 * other than TAB/LF/CR/FF (NUL anywhere is binary, and never generated here). */
static bool binary_by_rule(const unsigned char *u, size_t len)
{
    size_t n = len < 4096 ? len : 4096, ctl = 0;
    for (size_t i = 0; i < n; i++)
        ctl += u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r' && u[i] != '\f';
    return ctl * 100 > n;
}

/* Every length around the 16-byte steps and the 4096-byte sample, with
 * controls, allowed controls and bytes >= 0x80 (which are not controls) at
 * every position, and counts on both sides of 1%. */
Test(looks_binary, agrees_with_the_rule_at_every_length)
{
    static unsigned char buf[4200];
    const unsigned char pool[] = {'a',  0x01, 0x1f, 0x20, '\t', '\n',
                                  '\r', '\f', 0x0b, 0x80, 0xff, 0x9f};
    unsigned seed = 12345;
    for (size_t len = 1; len < sizeof buf; len += (len < 80 ? 1 : 37)) {
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                /* rounds 0-1 mostly text, 2-3 dense controls */
                unsigned pick = (seed >> 16) % (round < 2 ? 64 : 12);
                buf[i] = pick < sizeof pool ? pool[pick] : 'x';
            }
            cr_assert_eq(nw_text_looks_binary((const char *)buf, len), binary_by_rule(buf, len),
                         "len %zu round %d", len, round);
        }
    }
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

/* Squeeze by the rule, one character at a time: ASCII space and TAB..CR, and
 * the Unicode spaces listed in nw_text.h, fold into one ' ' between words. */
static size_t space_by_rule(const unsigned char *p, size_t avail)
{
    static const char *const wide[] = {"\xc2\xa0", "\xe2\x80\x89", "\xe2\x80\xa8", "\xe3\x80\x80",
                                       "\xef\xbb\xbf"};
    if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))
        return 1;
    for (size_t k = 0; k < sizeof wide / sizeof wide[0]; k++) {
        size_t n = strlen(wide[k]);
        if (avail >= n && !memcmp(p, wide[k], n))
            return n;
    }
    return 0;
}

static char *squeeze_by_rule(const unsigned char *p, size_t len)
{
    char *out = malloc(len + 1);
    size_t o = 0, i = 0;
    bool pending = false;
    while (i < len) {
        size_t w = space_by_rule(p + i, len - i);
        if (w) {
            pending = o > 0;
            i += w;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = false;
        out[o++] = (char)p[i++];
    }
    out[o] = '\0';
    return out;
}

/* Runs of every length on both sides of the 16-byte steps, spaces of every
 * kind at every position, controls and multibyte letters next to them, and
 * input that is not NUL-terminated (the buffer goes on with letters). */
Test(squeeze, agrees_with_the_rule_at_every_length)
{
    static const char *const pieces[] = {"a",
                                         "word",
                                         "Negotiators",
                                         " ",
                                         "  ",
                                         "\t",
                                         "\n\n",
                                         "\xc2\xa0",
                                         "\xe2\x80\x89",
                                         "\xef\xbb\xbf",
                                         "\x01",
                                         "\x7f",
                                         "!",
                                         "\xc3\xa9",
                                         "\xe4\xb8\xad",
                                         "0123456789abcdefXYZ"};
    static char buf[2048];
    unsigned seed = 777;
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t want = (seed >> 16) % 200;
        while (len < want) {
            seed = seed * 1103515245u + 12345u;
            const char *pc = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(pc);
            memcpy(buf + len, pc, n);
            len += n;
        }
        memset(buf + len, 'Q', 32); /* past len: never read */
        char *got = nw_text_squeeze(buf, len);
        char *ref = squeeze_by_rule((const unsigned char *)buf, len);
        cr_assert_str_eq(got, ref, "round %d len %zu", round, len);
        free(got);
        free(ref);
    }
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

/* Inputs that are slugs already take a shortcut; the edges of "already". */
Test(slug, inputs_that_are_slugs_already)
{
    check_slug("bench-ninjs", "bench-ninjs");
    check_slug("a", "a");
    check_slug("2024", "2024");
    check_slug("a--b", "a-b");
    check_slug("-a", "a");
    check_slug("a-", "a");
    check_slug("-", "");
    check_slug("ab-C", "ab-c");
    char in[128], want[128];
    memset(in, 'x', 100);
    in[100] = '\0';
    check_slug(in, in); /* exactly the limit */
    in[99] = '-';
    in[100] = 'y';
    in[101] = '\0';
    memcpy(want, in, 99);
    want[99] = '\0';
    check_slug(in, want); /* one over: cut, and no trailing dash */
    memset(in, 'z', 101);
    in[101] = '\0';
    memcpy(want, in, 100);
    want[100] = '\0';
    check_slug(in, want);
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
