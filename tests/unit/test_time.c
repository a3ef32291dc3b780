/*
 * test_time — nw_time: ISO 8601 / RFC 3339 parsing (zones, fractions, date
 * only, no zone), civil time in IANA zones and fixed offsets, refusal of dates
 * that do not exist, RFC 3339 UTC formatting.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_time.h"

static int64_t parse_ok(const char *s, const char *zone, int *ms)
{
    int64_t t = 0;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_time_parse(s, zone, &t, ms, &err);
    cr_assert_eq(rc, 0, "parse '%s' failed: %s", s, err.msg);
    return t;
}

static void parse_bad(const char *s, const char *zone, const char *msg_part)
{
    int64_t t = 0;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_time_parse(s, zone, &t, NULL, &err);
    cr_assert_eq(rc, NW_EINVAL, "parse '%s' should fail, got %lld", s, (long long)t);
    if (msg_part)
        cr_assert(strstr(err.msg, msg_part), "message '%s' lacks '%s'", err.msg, msg_part);
}

static void norm_eq(const char *in, const char *zone, const char *want)
{
    char *out = NULL;
    nw_err err;
    nw_err_clear(&err);
    cr_assert_eq(nw_time_normalize(in, zone, &out, &err), 0, "%s: %s", in, err.msg);
    cr_assert_str_eq(out, want, "normalize '%s' = '%s', want '%s'", in, out, want);
    free(out);
}

Test(parse, zone_forms)
{
    const int64_t want = 1450226583; /* 2015-12-16T00:43:03Z */
    cr_assert_eq(parse_ok("2015-12-16T00:43:03Z", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16T00:43:03z", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16T00:43:03+00:00", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16T00:43:03+0000", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16T08:43:03+08:00", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16T08:43:03+0800", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-15T19:13:03-05:30", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-15T19:43:03-05", NULL, NULL), want);
    cr_assert_eq(parse_ok("2015-12-16 00:43:03Z", NULL, NULL), want);
    cr_assert_eq(parse_ok("20151216T004303Z", NULL, NULL), want);
    cr_assert_eq(parse_ok("  2015-12-16T00:43:03Z\n", NULL, NULL), want);
    /* an explicit zone wins over the default one */
    cr_assert_eq(parse_ok("2015-12-16T00:43:03Z", "Asia/Shanghai", NULL), want);
}

Test(parse, fractions_date_only_and_minutes)
{
    int ms = -1;
    cr_assert_eq(parse_ok("2015-12-16T00:43:03.123456Z", NULL, &ms), 1450226583);
    cr_assert_eq(ms, 123);
    cr_assert_eq(parse_ok("2015-12-16T00:43:03.5+01:00", NULL, &ms), 1450226583 - 3600);
    cr_assert_eq(ms, 500);
    cr_assert_eq(parse_ok("2015-12-16", NULL, &ms), 1450224000);
    cr_assert_eq(ms, 0);
    cr_assert_eq(parse_ok("2015-12-16T00:43Z", NULL, NULL), 1450226580);
    cr_assert_eq(parse_ok("1970-01-01T00:00:00Z", NULL, NULL), 0);
    cr_assert_eq(parse_ok("1969-12-31T23:59:59Z", NULL, NULL), -1);
    /* a leap second is the first second of the next minute */
    cr_assert_eq(parse_ok("2016-12-31T23:59:60Z", NULL, NULL), 1483228800);
}

Test(parse, no_zone_uses_caller_zone)
{
    /* 2023-01-15T12:00:00 local */
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", NULL, NULL), 1673784000);
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", "UTC", NULL), 1673784000);
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", "Asia/Shanghai", NULL), 1673784000 - 8 * 3600);
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", "Europe/Berlin", NULL), 1673784000 - 3600);
    cr_assert_eq(parse_ok("2023-07-01T12:00:00", "Europe/Berlin", NULL), 1688205600);
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", "+08:00", NULL), 1673784000 - 8 * 3600);
    cr_assert_eq(parse_ok("2023-01-15T12:00:00", "-0330", NULL), 1673784000 + 3 * 3600 + 1800);
    cr_assert_eq(parse_ok("2023-01-15", "Asia/Shanghai", NULL), 1673740800 - 8 * 3600);
}

Test(parse, impossible_dates_are_errors)
{
    parse_bad("2015-13-01T00:00:00Z", NULL, "month 13");
    parse_bad("2015-02-30", NULL, "day 30");
    parse_bad("2015-02-29", NULL, NULL);
    parse_bad("1900-02-29", NULL, NULL);
    parse_bad("2015-04-31T10:00:00Z", NULL, NULL);
    parse_bad("2015-00-10", NULL, NULL);
    parse_bad("2015-12-16T24:00:00Z", NULL, "hour 24");
    parse_bad("2015-12-16T23:60:00Z", NULL, NULL);
    parse_bad("2015-12-16T23:59:61Z", NULL, NULL);
    parse_bad("2015-12-16T00:43:03+25:00", NULL, NULL);
    /* valid leap days */
    cr_assert_eq(parse_ok("2016-02-29", NULL, NULL), 1456704000);
    cr_assert_eq(parse_ok("2000-02-29", NULL, NULL), 951782400);
}

Test(parse, malformed_text_is_an_error)
{
    parse_bad("", NULL, NULL);
    parse_bad("Next Monday", NULL, "Next Monday");
    parse_bad("2015-12-16T00:43:03Zjunk", NULL, NULL);
    parse_bad("2015-12-16T00:43:03.Z", NULL, NULL);
    parse_bad("2015-12-1", NULL, NULL);
    parse_bad("15-12-16", NULL, NULL);
    parse_bad("2015/12/16", NULL, NULL);
    parse_bad("2015-12-16T", NULL, NULL);
    parse_bad("2015-12-16T00:43:03 +0000 extra", NULL, NULL);
    cr_assert_eq(nw_time_parse(NULL, NULL, &(int64_t){0}, NULL, NULL), NW_EINVAL);
}

Test(zones, unknown_zone_is_named)
{
    parse_bad("2023-01-15T12:00:00", "Mars/Olympus_Mons", "Mars/Olympus_Mons");
    parse_bad("2023-01-15T12:00:00", "../../etc/passwd", "../../etc/passwd");
    parse_bad("2023-01-15T12:00:00", "Europe", NULL); /* a directory, not a zone */
    parse_bad("2023-01-15T12:00:00", "+8:00", NULL);
}

/* DST gaps and folds. Expected values computed offline with Python's
 * zoneinfo over Debian's tzdata 2025b, e.g.
 *   python3 -c 'from zoneinfo import ZoneInfo; from datetime import datetime;
 *     print(int(datetime(2024,3,31,1,30,tzinfo=ZoneInfo("Europe/London")).timestamp()))'
 * (fold=0: a repeated local time is the earlier instant, a skipped one is read
 * with the offset before the change). The comment on each line is the UTC
 * instant. Lord Howe moves by 30 minutes; the 2060 lines are past the last
 * transition listed in the zone files (the zone's rule takes over). */
static const struct {
    const char *zone, *local;
    int64_t epoch;
} dst_cases[] = {
    {"Europe/London", "2024-03-31 00:30", 1711845000},       /* 2024-03-31T00:30:00Z */
    {"Europe/London", "2024-03-31 01:30", 1711848600},       /* gap: 01:30:00Z */
    {"Europe/London", "2024-03-31 02:30", 1711848600},       /* 2024-03-31T01:30:00Z */
    {"Europe/London", "2024-10-27 00:30", 1729985400},       /* 2024-10-26T23:30:00Z */
    {"Europe/London", "2024-10-27 01:30", 1729989000},       /* fold: 00:30:00Z */
    {"Europe/London", "2024-10-27 02:30", 1729996200},       /* 2024-10-27T02:30:00Z */
    {"Europe/London", "2060-07-01 12:00", 2855905200},       /* 2060-07-01T11:00:00Z */
    {"Europe/London", "1950-01-01 00:00", -631152000},       /* 1950-01-01T00:00:00Z */
    {"America/New_York", "2024-03-10 01:30", 1710052200},    /* 2024-03-10T06:30:00Z */
    {"America/New_York", "2024-03-10 02:30", 1710055800},    /* gap: 07:30:00Z */
    {"America/New_York", "2024-03-10 03:30", 1710055800},    /* 2024-03-10T07:30:00Z */
    {"America/New_York", "2024-11-03 00:30", 1730608200},    /* 2024-11-03T04:30:00Z */
    {"America/New_York", "2024-11-03 01:30", 1730611800},    /* fold: 05:30:00Z */
    {"America/New_York", "2024-11-03 02:30", 1730619000},    /* 2024-11-03T07:30:00Z */
    {"America/New_York", "2060-11-07 01:30", 2867031000},    /* fold: 2060-11-07T05:30:00Z */
    {"Australia/Lord_Howe", "2024-04-07 01:15", 1712412900}, /* 2024-04-06T14:15:00Z */
    {"Australia/Lord_Howe", "2024-04-07 01:45", 1712414700}, /* fold: 14:45:00Z */
    {"Australia/Lord_Howe", "2024-04-07 02:15", 1712418300}, /* 2024-04-06T15:45:00Z */
    {"Australia/Lord_Howe", "2024-10-06 01:45", 1728141300}, /* 2024-10-05T15:15:00Z */
    {"Australia/Lord_Howe", "2024-10-06 02:15", 1728143100}, /* gap: 15:45:00Z */
    {"Australia/Lord_Howe", "2024-10-06 02:45", 1728143100}, /* 2024-10-05T15:45:00Z */
    {"Australia/Lord_Howe", "2060-01-15 12:00", 2841354000}, /* 2060-01-15T01:00:00Z */
};

Test(zones, dst_gaps_and_folds_match_the_reference)
{
    for (size_t i = 0; i < sizeof dst_cases / sizeof dst_cases[0]; i++) {
        nw_civil c = {0};
        cr_assert_eq(sscanf(dst_cases[i].local, "%d-%d-%d %d:%d", &c.year, &c.month, &c.day,
                            &c.hour, &c.min),
                     5);
        int64_t t = 0;
        nw_err err;
        nw_err_clear(&err);
        cr_assert_eq(nw_time_from_civil(&c, dst_cases[i].zone, &t, &err), 0, "%s", err.msg);
        cr_expect_eq(t, dst_cases[i].epoch, "%s %s: %lld, want %lld", dst_cases[i].zone,
                     dst_cases[i].local, (long long)t, (long long)dst_cases[i].epoch);
    }
}

/* Many threads converting in many zones at once (run under TSan/ASan: no
 * race; the answers are the same as on one thread). */
static void *convert_many(void *arg)
{
    (void)arg;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < sizeof dst_cases / sizeof dst_cases[0]; i++) {
            nw_civil c = {0};
            sscanf(dst_cases[i].local, "%d-%d-%d %d:%d", &c.year, &c.month, &c.day, &c.hour,
                   &c.min);
            int64_t t = 0;
            if (nw_time_from_civil(&c, dst_cases[i].zone, &t, NULL) || t != dst_cases[i].epoch)
                return (void *)1;
        }
    return NULL;
}

Test(zones, threads_convert_without_tz)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, convert_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_expect_null(r, "thread %d got a different answer", i);
    }
}

Test(zones, civil_and_tz_restored)
{
    setenv("TZ", "America/New_York", 1);
    tzset();
    nw_civil c = {2024, 3, 31, 1, 30, 0};
    int64_t t;
    nw_err err;
    cr_assert_eq(nw_time_from_civil(&c, "Europe/Berlin", &t, &err), 0, "%s", err.msg);
    cr_assert_eq(t, 1711845000); /* 00:30Z, still CET */
    c.hour = 3;
    cr_assert_eq(nw_time_from_civil(&c, "Europe/Berlin", &t, &err), 0);
    cr_assert_eq(t, 1711845000 + 3600); /* 03:30 CEST = 01:30Z */
    cr_assert_str_eq(getenv("TZ"), "America/New_York");

    nw_civil bad = {2023, 2, 29, 0, 0, 0};
    cr_assert_eq(nw_time_from_civil(&bad, "UTC", &t, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "day 29"), "%s", err.msg);

    int off;
    cr_assert_eq(nw_time_parse_offset("+05:45", &off, NULL), 0);
    cr_assert_eq(off, 5 * 3600 + 45 * 60);
    cr_assert_eq(nw_time_parse_offset("GMT", &off, NULL), 0);
    cr_assert_eq(off, 0);
    cr_assert_eq(nw_time_parse_offset("+05:45x", &off, NULL), NW_EINVAL);
}

Test(format, rfc3339_utc)
{
    char buf[NW_TIME_RFC3339_MAX];
    cr_assert_eq(nw_time_format(1450226583, buf), 0);
    cr_assert_str_eq(buf, "2015-12-16T00:43:03Z");
    cr_assert_eq(nw_time_format(0, buf), 0);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    cr_assert_eq(nw_time_format(-1, buf), 0);
    cr_assert_str_eq(buf, "1969-12-31T23:59:59Z");
    cr_assert_eq(nw_time_format_ms(1450226583, 120, buf), 0);
    cr_assert_str_eq(buf, "2015-12-16T00:43:03.120Z");
    cr_assert_eq(nw_time_format(253402300799LL, buf), 0);
    cr_assert_str_eq(buf, "9999-12-31T23:59:59Z");
    cr_assert_eq(nw_time_format(253402300800LL, buf), NW_EINVAL);
    cr_assert_eq(nw_time_format_ms(0, 1000, buf), NW_EINVAL);
}

Test(format, normalize)
{
    norm_eq("2017-08-24T04:38:34+0000", NULL, "2017-08-24T04:38:34Z");
    norm_eq("2022-06-29T02:30:00+00:00", NULL, "2022-06-29T02:30:00Z");
    norm_eq("2023-10-04T21:00:00+02:00", NULL, "2023-10-04T19:00:00Z");
    norm_eq("2018-05-30T15:14:24", NULL, "2018-05-30T15:14:24Z");
    norm_eq("2018-05-30T15:14:24.25Z", NULL, "2018-05-30T15:14:24.250Z");
    norm_eq("2018-05-30T15:14:24.000Z", NULL, "2018-05-30T15:14:24Z");
    norm_eq("2015-12-16", "Asia/Shanghai", "2015-12-15T16:00:00Z");
}

Test(calendar, agrees_with_timegm_over_centuries)
{
    /* every day 1600..2400 round-trips through parse and format, and matches
     * the C library's timegm where time_t covers it */
    int64_t prev = 0;
    bool first = true;
    for (int y = 1600; y <= 2400; y += 1) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                if (!nw_time_valid_date(y, m, d))
                    continue;
                int64_t days = nw_time_days_from_civil(y, m, d);
                if (!first)
                    cr_assert_eq(days, prev + 1, "%04d-%02d-%02d", y, m, d);
                prev = days;
                first = false;
                if (d == 28 || d == 1) {
                    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
                    cr_assert_eq((int64_t)timegm(&tm), days * 86400);
                    char buf[NW_TIME_RFC3339_MAX], want[16];
                    nw_time_format(days * 86400, buf);
                    snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                    cr_assert_eq(strncmp(buf, want, 10), 0, "%s vs %s", buf, want);
                }
            }
        }
    }
    cr_assert_not(nw_time_valid_date(2023, 2, 29));
    cr_assert(nw_time_valid_date(2024, 2, 29));
    cr_assert_not(nw_time_valid_date(0, 1, 1));
}
