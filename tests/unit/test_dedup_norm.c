/*
 * test_dedup_norm — dedup's text normalization: case, whitespace and
 * punctuation folding, NFC and case folding of non-ASCII text, boilerplate
 * lines and inline credits removed, HTML stripped, invalid UTF-8 tolerated.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nw_dedup_norm.h"

static char *norm_of(const char *s, bool html)
{
    nw_dedup_norm n;
    nw_dedup_norm_init(&n);
    cr_assert_eq(nw_dedup_norm_add(&n, s, strlen(s), html), 0);
    char *out = strdup(n.text ? n.text : "");
    nw_dedup_norm_deinit(&n);
    return out;
}

#define NORM_EQ(in, html, want)                                                                    \
    do {                                                                                           \
        char *got_ = norm_of(in, html);                                                            \
        cr_assert_str_eq(got_, want, "norm(%s)", in);                                              \
        free(got_);                                                                                \
    } while (0)

Test(dedup_norm, folds_case_space_and_punctuation)
{
    NORM_EQ("  The Bank's RATE -- unchanged,\tsays  Governor.  ", false,
            "the bank s rate unchanged says governor");
    NORM_EQ("U.S. output rose 1.5 pct", false, "u s output rose 1 5 pct");
    NORM_EQ("", false, "");
    NORM_EQ("!!! ...", false, "");
}

Test(dedup_norm, nfc_and_casefold)
{
    /* "Café" composed vs decomposed (e + U+0301), and upper case */
    char *a = norm_of("Caf\xc3\xa9 Z\xc3\x9cRICH", false);
    char *b = norm_of("CAFE\xcc\x81 z\xc3\xbcrich", false);
    cr_assert_str_eq(a, b);
    cr_assert_str_eq(a, "caf\xc3\xa9 z\xc3\xbcrich");
    free(a), free(b);
    /* curly quotes and the pound sign are punctuation */
    NORM_EQ("\xe2\x80\x9cWe will\xe2\x80\x9d, \xc2\xa3"
            "5m",
            false, "we will 5m");
    /* invalid bytes are dropped, not fatal */
    NORM_EQ("sport \xa3 5m", false, "sport 5m");
    /* only the pieces around non-ASCII characters go through NFC: the
     * ASCII letter before a combining mark still composes with it, at the
     * start, the middle and the end of a line, after an invalid byte too */
    NORM_EQ("E\xcc\x81t\xc3\xa9 COTE\xcc\x81 caf\xc3\xa9, NAI\xcc\x88VE Stra\xc3\x9f"
            "e CAFE\xcc\x81",
            false, "\xc3\xa9t\xc3\xa9 cot\xc3\xa9 caf\xc3\xa9 na\xc3\xafve strasse caf\xc3\xa9");
    NORM_EQ("cafe\xa3\xcc\x81 abc", false, "caf\xc3\xa9 abc");
}

Test(dedup_norm, boilerplate_lines_are_removed)
{
    const char *body =
        "By Jane Doe, Reuters\n"
        "Oil prices rose on Monday.\n"
        "Traders said supply was tight. (Reporting by Jane Doe; Editing by Max Roe)\n"
        "(Additional reporting by Tom Poe in London)\n"
        "blog comments powered by Disqus\n"
        "Copyright 2024 Example News. All rights reserved.\n"
        "Follow us on Twitter\n"
        " Reuter\n";
    NORM_EQ(body, false, "oil prices rose on monday traders said supply was tight");
    cr_assert(nw_dedup_is_boilerplate("REUTER", 6));
    cr_assert(nw_dedup_is_boilerplate("By John Smith", 13));
    /* a sentence that starts with "By" is kept */
    const char *s = "By the end of the year the company expects to have hired 500 people";
    cr_assert(!nw_dedup_is_boilerplate(s, strlen(s)));
}

Test(dedup_norm, html_is_stripped)
{
    NORM_EQ("<p>Oil&nbsp;prices <b>rose</b>.</p><p>By Jane Doe</p><p>Caf&#233; &amp; bar</p>", true,
            "oil prices rose caf\xc3\xa9 bar");
}

Test(dedup_norm, appends_and_counts_words)
{
    nw_dedup_norm n;
    nw_dedup_norm_init(&n);
    cr_assert_eq(nw_dedup_norm_add(&n, "Head Line", 9, false), 0);
    cr_assert_eq(nw_dedup_norm_add(&n, "body text here", 14, false), 0);
    cr_assert_str_eq(n.text, "head line body text here");
    cr_assert_eq(n.words, 5);
    nw_dedup_norm_reset(&n);
    cr_assert_eq(n.len, 0);
    cr_assert_eq(n.words, 0);
    nw_dedup_norm_deinit(&n);
}
