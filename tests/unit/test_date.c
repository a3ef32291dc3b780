/*
 * test_date — nw_date: one case per date form found in the shared datasets
 * (RFC 822 with numeric and named zones, localized day/month names, two-digit
 * years, compact ISO from NITF/NewsML, Reuters-21578, slash dates, AM/PM),
 * refusal of impossible or ambiguous dates with the text in the message, and a
 * sweep over every feed date element in ../shared/datasets/feeds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_date.h"
#include "nw_testutil.h"
#include "nw_time.h"

static void norm_eq(const char *in, const char *zone, const char *want)
{
    char *out = NULL;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_date_normalize(in, zone, &out, &err);
    cr_assert_eq(rc, 0, "'%s' failed: %s", in, err.msg);
    cr_assert_str_eq(out, want, "'%s' -> '%s', want '%s'", in, out, want);
    free(out);
}

/* Must fail with NW_EINVAL, the text quoted, and `why` (may be NULL) in the message. */
static void bad(const char *in, const char *why)
{
    int64_t t = 12345;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_date_parse(in, NULL, &t, &err);
    cr_assert_eq(rc, NW_EINVAL, "'%s' should fail, got %lld", in, (long long)t);
    cr_assert_eq(t, 12345, "'%s': epoch written on failure", in);
    if (in[0] && strspn(in, " \t\r\n") < strlen(in)) {
        /* the message names the text (its first word is enough to find it) */
        char first[16];
        sscanf(in, " %15s", first);
        cr_assert(strstr(err.msg, first), "message '%s' does not name '%s'", err.msg, in);
    }
    if (why)
        cr_assert(strstr(err.msg, why), "message '%s' lacks '%s'", err.msg, why);
}

Test(forms, rfc822_numeric_and_named_zones)
{
    /* superdesk wordpress_wxr.xml, Livemint, NBC (GMT), Reuters "Z" */
    norm_eq("Wed, 25 Apr 2017 15:12:49 +0000", NULL, "2017-04-25T15:12:49Z");
    norm_eq("Wed, 12 Apr 2017 09:26:37 +0530", NULL, "2017-04-12T03:56:37Z");
    norm_eq("Fri, 13 May 2016 15:14:05 GMT", NULL, "2016-05-13T15:14:05Z");
    norm_eq("Tue, 15 Nov 2022 20:15:04 Z", NULL, "2022-11-15T20:15:04Z");
    norm_eq("Sun, 11 Jul 2010 16:07:04 PDT", NULL, "2010-07-11T23:07:04Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 EST", NULL, "2022-11-17T15:00:00Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 CET", NULL, "2022-11-17T09:00:00Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 GMT+0200", NULL, "2022-11-17T08:00:00Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 -0500 (EST)", NULL, "2022-11-17T15:00:00Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 +0000 GMT", NULL, "2022-11-17T10:00:00Z");
    norm_eq("Thu, 17 Nov 2022 10:00:00 +05:30", NULL, "2022-11-17T04:30:00Z");
    /* without day name, without seconds, explicit zone wins over the default */
    norm_eq("17 Nov 2022 10:00 GMT", "Asia/Tokyo", "2022-11-17T10:00:00Z");
    /* RSS 0.91 sample (heraldsun.rss): two-digit year and HHMM */
    norm_eq("03 Apr 02 1500 GMT", NULL, "2002-04-03T15:00:00Z");
    /* trailing CRLF and indentation inside <lastBuildDate> (rss-parser encoding.rss) */
    norm_eq("Wed, 03 Jan 2018 14:11:52 GMT\r\n      ", NULL, "2018-01-03T14:11:52Z");
}

Test(forms, localized_names)
{
    norm_eq("mer, 16 nov 2022 00:38:15 +0100", NULL, "2022-11-15T23:38:15Z"); /* Il Messaggero */
    norm_eq("Seg, 24 Set 2018 19:42:40 -0300", NULL, "2018-09-24T22:42:40Z"); /* Brazilian */
    norm_eq("Τρι, 29 Ιούν 2004 12:53:00 GMT", NULL, "2004-06-29T12:53:00Z");  /* feedparser */
    norm_eq("Segunda-feira, 24 Setembro 2018 19:42 -0300", NULL, "2018-09-24T22:42:00Z");
    norm_eq("mercoledì, 16 novembre 2022 10:00 +0100", NULL, "2022-11-16T09:00:00Z");
    norm_eq("Mi., 16. November 2022 10:00 MEZ", NULL, "2022-11-16T09:00:00Z");
    norm_eq("mié, 16 dic 2022 10:00:00 +0100", NULL, "2022-12-16T09:00:00Z");
    norm_eq("jeu., 17 févr. 2022 10:00:00 +0100", NULL, "2022-02-17T09:00:00Z");
    norm_eq("do, 17 mrt 2022 10:00:00 +0100", NULL, "2022-03-17T09:00:00Z");
    norm_eq("Sa, 17 März 2022 10:00:00 +0100", NULL, "2022-03-17T09:00:00Z");
    norm_eq("Tue, 17 Sept 2019 10:00:00 +0000", NULL, "2019-09-17T10:00:00Z");
    norm_eq("MON, 16 NOV 2022 10:00:00 GMT", NULL, "2022-11-16T10:00:00Z");
}

Test(forms, day_name_is_not_checked_against_the_date)
{
    /* 16 Nov 2022 was a Wednesday: the date wins, the day name is ignored */
    norm_eq("Mon, 16 Nov 2022 10:00:00 EST", NULL, "2022-11-16T15:00:00Z");
    norm_eq("Wed, 16 Nov 2022 10:00:00 EST", NULL, "2022-11-16T15:00:00Z");
}

Test(forms, two_digit_years)
{
    norm_eq("Tue, 31 Mar 15 17:36:18 +0200", NULL, "2015-03-31T15:36:18Z"); /* rtv.de */
    norm_eq("Fri, 01 Jan 49 00:00:00 GMT", NULL, "2049-01-01T00:00:00Z");
    norm_eq("Fri, 01 Jan 50 00:00:00 GMT", NULL, "1950-01-01T00:00:00Z");
    norm_eq("Fri, 31 Dec 99 23:59:59 GMT", NULL, "1999-12-31T23:59:59Z");
}

Test(forms, month_first_and_am_pm)
{
    /* NBC New York: month before day, 12-hour clock, no zone */
    norm_eq("Sat, Dec 16 2023 02:02:33 PM", NULL, "2023-12-16T14:02:33Z");
    norm_eq("Sat, Dec 16 2023 02:02:33 PM", "America/New_York", "2023-12-16T19:02:33Z");
    norm_eq("November 16, 2022, 10:00 AM EST", NULL, "2022-11-16T15:00:00Z");
    norm_eq("Dec 16th 2023 12:00 a.m.", NULL, "2023-12-16T00:00:00Z");
    norm_eq("Dec 16 2023 12:30 PM", NULL, "2023-12-16T12:30:00Z");
}

Test(forms, iso_and_compact)
{
    /* Atom/G2/ninjs */
    norm_eq("2016-06-27T07:36:54.007-07:00", NULL, "2016-06-27T14:36:54.007Z");
    norm_eq("2017-10-11T10:41:00+0100", NULL, "2017-10-11T09:41:00Z");
    norm_eq("2018-09-18 14:38:10", NULL, "2018-09-18T14:38:10Z");
    norm_eq("2018-01-30T17:32:18.397", "Europe/Copenhagen", "2018-01-30T16:32:18.397Z");
    norm_eq("2015-12-16", NULL, "2015-12-16T00:00:00Z");
    /* NITF date.issue, NewsML 1.2 DateAndTime / FirstCreated */
    norm_eq("20151216T004303Z", NULL, "2015-12-16T00:43:03Z");
    norm_eq("20151216T004303+0000", NULL, "2015-12-16T00:43:03Z");
    norm_eq("20130605T120000-0400", NULL, "2013-06-05T16:00:00Z");
    norm_eq("20180404T175903+0300", NULL, "2018-04-04T14:59:03Z");
    norm_eq("20130605", NULL, "2013-06-05T00:00:00Z");
    norm_eq("20080219+0100", NULL, "2008-02-18T23:00:00Z");
    /* ISO with a named zone or a space before the offset */
    norm_eq("2015-12-16 00:43:03 EST", NULL, "2015-12-16T05:43:03Z");
    norm_eq("2015-12-16T00:43:03Z ", NULL, "2015-12-16T00:43:03Z");
}

Test(forms, slash_dot_and_reuters)
{
    /* kc0011.rss (a Chinese forum: its zone is the caller's to give) */
    norm_eq("2020/1/10 14:33:00", NULL, "2020-01-10T14:33:00Z");
    norm_eq("2020/1/10 14:33:00", "Asia/Shanghai", "2020-01-10T06:33:00Z");
    norm_eq("16.11.2022 10:30", NULL, "2022-11-16T10:30:00Z");
    norm_eq("16.11.2022", "+01:00", "2022-11-15T23:00:00Z");
    /* Reuters-21578 <DATE>, with its padding, 1-digit fractions and wire codes */
    norm_eq("26-FEB-1987 15:01:01.79", NULL, "1987-02-26T15:01:01.790Z");
    norm_eq(" 9-APR-1987 13:32:06.7", NULL, "1987-04-09T13:32:06.700Z");
    norm_eq("3-MAR-1987  09:15:05.40", NULL, "1987-03-03T09:15:05.400Z");
    norm_eq("19-MAR-1987 16:05:52.94\t\t\tRM", NULL, "1987-03-19T16:05:52.940Z");
    norm_eq("9-APR-1987 00:00:00.00    # date added by S Finch as guesswork ", NULL,
            "1987-04-09T00:00:00Z");
}

Test(invalid, impossible_dates_name_the_text)
{
    bad("", "empty");
    bad("   \n ", "empty");
    bad("Next Monday", "Next"); /* ninjs 1.0 should_pass free text */
    bad("Last Tuesday", "Last");
    bad("Mon, 30 Feb 2015 10:00:00 GMT", "day 30");
    bad("2015-02-30", "day 30");
    bad("2015-02-29T10:00:00Z", "day 29"); /* 2015 is not a leap year */
    bad("2015-13-01", "month 13");
    bad("20151316T000000Z", "month 13");
    bad("Tue, 16 Foo 2022 10:00:00 GMT", "Foo");
    bad("Tue, 16 Nov 2022 25:00:00 GMT", "hour 25");
    bad("Tue, 16 Nov 2022 10:61:00 GMT", "minute 61");
    bad("31-MAR-1987 605:12:19.12", "605"); /* a typo in reut2 */
    bad("YYYYMMDD999999-HHMM", "YYYYMMDD"); /* a NITF template left in */
    bad("Foo, 16 Nov 2022 10:00:00 GMT", "not a day name");
    bad("Tue, 16 Nov 2022 10:00:00 XYZ", "unknown time zone");
    bad("Tue, 16 Nov 2022 10:00:00 +2500", "out of range");
    bad("Tue, 16 Nov 2022 10:00:00 GMT trailing", "trailing");
    bad("Tue, 16 Nov 202 10:00:00 GMT", "year");
    bad("Dec 16 2023 13:00 PM", "AM/PM");
}

Test(invalid, ambiguous_forms_are_refused)
{
    bad("02/10/16", "ambiguous");
    bad("02-10-16 10:00", "ambiguous");
    bad("Tue, 16 Nov 2022 10:00:00 IST", "ambiguous");
    bad("Tue, 16 Nov 2022 10:00:00 A", "military");
}

Test(invalid, null_and_unknown_default_zone)
{
    int64_t t;
    nw_err err;
    nw_err_clear(&err);
    cr_assert_eq(nw_date_parse(NULL, NULL, &t, &err), NW_EINVAL);
    nw_err_clear(&err);
    cr_assert_eq(nw_date_parse("2020/1/10 14:33:00", "Mars/Olympus", &t, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "Mars/Olympus") && strstr(err.msg, "2020/1/10"), "%s", err.msg);
}

/* ------------------------------------------------ sweep over the feeds --- */

/* Date values that are expected to fail, by a fragment of their text. */
static const char *const known_bad[] = {
    "\xd4\xf1\xe9", /* http_high_bit_date.xml: ISO-8859-7 bytes, the XML parser decodes them */
};

typedef struct sweep {
    size_t seen, failed;
    char report[4096];
} sweep;

static bool is_known_bad(const char *v)
{
    for (size_t i = 0; i < sizeof known_bad / sizeof known_bad[0]; i++)
        if (strstr(v, known_bad[i]))
            return true;
    return false;
}

static void sweep_text(sweep *sw, const char *path, const char *text)
{
    static const char *const tags[] = {"pubDate", "lastBuildDate", "updated", "published",
                                       "dc:date", "modified",      "issued"};
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        char otag[40], ctag[40];
        snprintf(otag, sizeof otag, "<%s>", tags[k]);
        snprintf(ctag, sizeof ctag, "</%s>", tags[k]);
        for (const char *p = strstr(text, otag); p; p = strstr(p, otag)) {
            p += strlen(otag);
            const char *end = strstr(p, ctag);
            if (!end || end - p > 200)
                continue;
            char v[256];
            size_t n = (size_t)(end - p);
            memcpy(v, p, n);
            v[n] = '\0';
            char *val = v;
            if (!strncmp(val, "<![CDATA[", 9)) {
                val += 9;
                char *c = strstr(val, "]]>");
                if (c)
                    *c = '\0';
            }
            if (strchr(val, '<') || strspn(val, " \t\r\n") == strlen(val))
                continue; /* nested markup or empty: not a date value */
            sw->seen++;
            int64_t t;
            nw_err err;
            nw_err_clear(&err);
            if (nw_date_parse(val, NULL, &t, &err) != 0 && !is_known_bad(val)) {
                sw->failed++;
                size_t used = strlen(sw->report);
                snprintf(sw->report + used, sizeof sw->report - used, "%s: %s\n", path, err.msg);
            }
        }
    }
}

static void sweep_file(const char *path, size_t size, void *ctx)
{
    size_t len;
    char *text = nw_test_read_file(path, &len);
    (void)size;
    if (text)
        sweep_text(ctx, path, text);
    free(text);
}

Test(datasets, every_feed_date_parses)
{
    char *feeds = nw_test_shared_path("datasets/feeds");
    struct stat st;
    if (!feeds || stat(feeds, &st)) {
        free(feeds);
        cr_skip_test("shared datasets not available");
    }
    sweep sw = {0};
    nw_test_walk(feeds, 4 * 1024 * 1024 - 1, sweep_file, &sw);
    free(feeds);
    cr_log_info("%zu feed dates parsed", sw.seen);
    cr_assert_gt(sw.seen, 500, "only %zu dates found", sw.seen);
    cr_assert_eq(sw.failed, 0, "%zu of %zu dates failed:\n%s", sw.failed, sw.seen, sw.report);
}

/* ------------------------------------------------------ token soup --- */

Test(robustness, token_soup_never_crashes_nor_misformats)
{
    static const char *const tok[] = {"Mon",      ",",
                                      " ",        "16",
                                      "Nov",      "2022",
                                      "10",       ":",
                                      "00",       "+",
                                      "0200",     "GMT",
                                      "-",        "/",
                                      ".",        "T",
                                      "Z",        "2015",
                                      "12",       "31",
                                      "1987",     "FEB",
                                      "PM",       "(",
                                      ")",        "\xce\xa4\xcf\x81\xce\xb9",
                                      "\xc2\xa0", "99999999999",
                                      "mer",      "\xff",
                                      "#",        "20151216",
                                      "\t",       "am",
                                      "9",        "60"};
    const size_t ntok = sizeof tok / sizeof tok[0];
    unsigned seed = 12345;
    size_t ok = 0;
    for (int i = 0; i < 20000; i++) {
        char s[256] = "";
        seed = seed * 1103515245u + 12345u;
        int parts = 1 + (int)(seed >> 16) % 12;
        for (int k = 0; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(s, tok[(seed >> 16) % ntok]);
        }
        char *out = NULL;
        nw_err err;
        nw_err_clear(&err);
        if (nw_date_normalize(s, NULL, &out, &err) == 0) {
            ok++;
            size_t len = strlen(out);
            cr_assert(len == 20 || len == 24, "'%s' -> '%s'", s, out);
            cr_assert_eq(out[4], '-');
            cr_assert_eq(out[len - 1], 'Z');
            free(out);
        } else {
            cr_assert_eq(err.code, NW_EINVAL, "'%s': %s", s, err.msg);
            cr_assert_neq(err.msg[0], '\0');
        }
    }
    cr_log_info("%zu of 20000 random token strings were dates", ok);
}
