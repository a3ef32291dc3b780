/*
 * nw_time — timestamp parsing, zone arithmetic and RFC 3339 formatting.
 * See nw_time.h.
 *
 * Calendar arithmetic is done here in integers (proleptic Gregorian, days from
 * civil after H. Hinnant's well-known algorithm, written from its description),
 * so UTC and fixed offsets never touch libc time functions or TZ. IANA zones
 * take their offsets from ICU (ucal), one calendar per zone opened once and
 * cached: no TZ, no tzset(), no global state but that cache and its lock.
 */
#include "nw_time.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

/* ------------------------------------------------------------ calendar --- */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

bool nw_time_valid_date(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= days_in_month(year, month);
}

int64_t nw_time_days_from_civil(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                            /* [0, 399] */
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                    /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* Inverse of nw_time_days_from_civil. */
static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

static int check_civil(const nw_civil *c, nw_err *err)
{
    if (c->year < 1 || c->year > 9999)
        return nw_err_set(err, NW_EINVAL, "year %d out of range 1..9999", c->year);
    if (c->month < 1 || c->month > 12)
        return nw_err_set(err, NW_EINVAL, "month %d out of range 1..12", c->month);
    if (c->day < 1 || c->day > days_in_month(c->year, c->month))
        return nw_err_set(err, NW_EINVAL, "day %d does not exist in %04d-%02d", c->day, c->year,
                          c->month);
    if (c->hour < 0 || c->hour > 23)
        return nw_err_set(err, NW_EINVAL, "hour %d out of range 0..23", c->hour);
    if (c->min < 0 || c->min > 59)
        return nw_err_set(err, NW_EINVAL, "minute %d out of range 0..59", c->min);
    if (c->sec < 0 || c->sec > 60)
        return nw_err_set(err, NW_EINVAL, "second %d out of range 0..60", c->sec);
    return 0;
}

int nw_time_civil_to_utc(const nw_civil *c, int64_t *epoch, nw_err *err)
{
    int rc = check_civil(c, err);
    if (rc)
        return rc;
    *epoch = nw_time_days_from_civil(c->year, c->month, c->day) * 86400 + (int64_t)c->hour * 3600 +
             c->min * 60 + c->sec;
    return 0;
}

/* ------------------------------------------------------------- zones ----- */

static bool is_utc_name(const char *s)
{
    return !strcmp(s, "Z") || !strcmp(s, "z") || !strcasecmp(s, "UTC") || !strcasecmp(s, "GMT") ||
           !strcmp(s, "Etc/UTC") || !strcmp(s, "Etc/GMT") || !strcasecmp(s, "UT");
}

/* Read exactly n digits at *p; advance. -1 when they are not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* Parse an offset at *p ("Z", "+HH:MM", "+HHMM", "+HH"); advance past it.
 * Returns 0, or -1 when the text there is not an offset. */
static int scan_offset(const char **p, int *seconds)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *seconds = 0;
        *p = s + 1;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return -1;
    int sign = *s == '-' ? -1 : 1;
    s++;
    int hh = digits(&s, 2), mm = 0;
    if (hh < 0)
        return -1;
    if (*s == ':') {
        s++;
        if ((mm = digits(&s, 2)) < 0)
            return -1;
    } else if (isdigit((unsigned char)*s)) {
        if ((mm = digits(&s, 2)) < 0)
            return -1;
    }
    if (hh > 23 || mm > 59)
        return -1;
    *seconds = sign * (hh * 3600 + mm * 60);
    *p = s;
    return 0;
}

int nw_time_parse_offset(const char *s, int *seconds, nw_err *err)
{
    if (!s)
        return nw_err_set(err, NW_EINVAL, "missing time zone offset");
    if (is_utc_name(s)) {
        *seconds = 0;
        return 0;
    }
    const char *p = s;
    if (scan_offset(&p, seconds) || *p)
        return nw_err_set(err, NW_EINVAL, "'%s' is not a UTC offset (expected +HH:MM)", s);
    return 0;
}

/* An IANA name is letters, digits, '_', '-', '+' and '/'-separated parts, none
 * of them "." or "..", and a regular file in the tz database. */
static bool tz_exists(const char *name)
{
    size_t len = strlen(name);
    if (!len || len > 128 || name[0] == '/' || name[0] == '.')
        return false;
    for (const char *q = name; *q; q++) {
        if (!isalnum((unsigned char)*q) && !strchr("_-+/", *q))
            return false;
        if (*q == '/' && (q[1] == '/' || q[1] == '.' || !q[1]))
            return false;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[512];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return false;
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ICU calendars of the IANA zones met so far, one per zone, opened at its
 * first use and kept for the process's life; `zones_lock` guards the table
 * and every use of a calendar in it (a UCalendar is not thread-safe). */
#define ZONES_MAX 64
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[129];
    UCalendar *cal;
} zones[ZONES_MAX];
static size_t nzones;

/* The calendar of `zone` (cached), or NULL with err set. zones_lock held. */
static UCalendar *zone_calendar(const char *zone, nw_err *err)
{
    for (size_t i = 0; i < nzones; i++)
        if (!strcmp(zones[i].name, zone))
            return zones[i].cal;
    UChar id[129];
    u_uastrncpy(id, zone, 128);
    id[128] = 0;
    UErrorCode st = U_ZERO_ERROR;
    UChar canon[129];
    UBool system_id = false;
    ucal_getCanonicalTimeZoneID(id, -1, canon, 129, &system_id, &st);
    if (U_FAILURE(st) || !system_id) {
        nw_err_set(err, NW_EINVAL, "time zone '%s' is not known to ICU (%s)", zone,
                   u_errorName(st));
        return NULL;
    }
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        nw_err_set(err, NW_ENOMEM, "cannot open time zone '%s': %s", zone, u_errorName(st));
        return NULL;
    }
    if (nzones < ZONES_MAX) {
        snprintf(zones[nzones].name, sizeof zones[nzones].name, "%s", zone);
        zones[nzones++].cal = cal;
    } else {
        ucal_close(zones[ZONES_MAX - 1].cal); /* the last slot is reused */
        snprintf(zones[ZONES_MAX - 1].name, sizeof zones[0].name, "%s", zone);
        zones[ZONES_MAX - 1].cal = cal;
    }
    return cal;
}

/* UTC offset in seconds of `zone` at epoch second t. zones_lock held. */
static int offset_at(UCalendar *cal, int64_t t, UErrorCode *st)
{
    ucal_setMillis(cal, (UDate)t * 1000.0, st);
    int32_t raw = ucal_get(cal, UCAL_ZONE_OFFSET, st);
    int32_t dst = ucal_get(cal, UCAL_DST_OFFSET, st);
    return (raw + dst) / 1000;
}

/* Epoch seconds of local time `local` (civil time counted as if it were
 * UTC) in an IANA zone. Around a change of offset (from `before`, a day
 * earlier, to `after`, a day later): a local time that exists once is that
 * instant; one that exists twice (the hour repeated when DST ends) is the
 * earlier instant, and one that does not exist (the hour skipped when DST
 * starts) is read with the offset before the change, i.e. moved forward by
 * the gap. This is Python's zoneinfo with fold=0; glibc's mktime() (used
 * here before) agreed on gaps but took the later instant in folds. */
static int local_to_utc(const char *zone, int64_t local, int64_t *epoch, nw_err *err)
{
    pthread_mutex_lock(&zones_lock);
    UCalendar *cal = zone_calendar(zone, err);
    int rc = cal ? 0 : NW_EINVAL;
    if (cal) {
        UErrorCode st = U_ZERO_ERROR;
        int before = offset_at(cal, local - 86400, &st);
        int after = offset_at(cal, local + 86400, &st);
        int64_t t = local - before;
        if (before != after && offset_at(cal, t, &st) != before &&
            offset_at(cal, local - after, &st) == after)
            t = local - after;
        if (U_FAILURE(st))
            rc = nw_err_set(err, NW_EINVAL, "time not representable in zone '%s': %s", zone,
                            u_errorName(st));
        else
            *epoch = t;
    }
    pthread_mutex_unlock(&zones_lock);
    return rc;
}

int nw_time_from_civil(const nw_civil *c, const char *zone, int64_t *epoch, nw_err *err)
{
    int rc = check_civil(c, err);
    if (rc)
        return rc;
    /* a leap second is read as the first second of the next minute */
    nw_civil cc = *c;
    int extra = 0;
    if (cc.sec == 60) {
        cc.sec = 59;
        extra = 1;
    }
    int64_t t;
    int off;
    if (!zone || is_utc_name(zone)) {
        nw_time_civil_to_utc(&cc, &t, NULL);
    } else if (zone[0] == '+' || zone[0] == '-') {
        if ((rc = nw_time_parse_offset(zone, &off, err)))
            return rc;
        nw_time_civil_to_utc(&cc, &t, NULL);
        t -= off;
    } else if (tz_exists(zone)) {
        nw_time_civil_to_utc(&cc, &t, NULL);
        if ((rc = local_to_utc(zone, t, &t, err)))
            return rc;
    } else {
        return nw_err_set(err, NW_EINVAL,
                          "unknown time zone '%s' (expected UTC, +HH:MM or an IANA name)", zone);
    }
    *epoch = t + extra;
    return 0;
}

/* ------------------------------------------------------------- parse ----- */

int nw_time_parse(const char *s, const char *default_zone, int64_t *epoch, int *millis, nw_err *err)
{
    if (!s)
        return nw_err_set(err, NW_EINVAL, "missing timestamp");
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    nw_civil c = {0};
    int ms = 0, off = 0;
    bool has_zone = false;

    /* date: YYYY-MM-DD or YYYYMMDD */
    if ((c.year = digits(&p, 4)) < 0)
        goto bad;
    bool basic = *p != '-';
    if (!basic)
        p++;
    if ((c.month = digits(&p, 2)) < 0)
        goto bad;
    if (!basic && *p++ != '-')
        goto bad;
    if ((c.day = digits(&p, 2)) < 0)
        goto bad;

    /* time: [T| ]HH:MM[:SS[.frac]] (or HHMM[SS] in the basic form) */
    if ((*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
        p++;
        if ((c.hour = digits(&p, 2)) < 0)
            goto bad;
        if (!basic && *p++ != ':')
            goto bad;
        if ((c.min = digits(&p, 2)) < 0)
            goto bad;
        if ((!basic && *p == ':') || (basic && isdigit((unsigned char)*p))) {
            if (!basic)
                p++;
            if ((c.sec = digits(&p, 2)) < 0)
                goto bad;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    goto bad;
                int scale = 100;
                for (; isdigit((unsigned char)*p); p++, scale /= 10)
                    ms += (*p - '0') * scale;
            }
        }
        while (*p == ' ')
            p++;
        if (*p) {
            if (!strcasecmp(p, "UTC") || !strcasecmp(p, "GMT")) {
                p += 3;
            } else if (scan_offset(&p, &off)) {
                goto bad;
            }
            has_zone = true;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        goto bad;

    int rc;
    int64_t t;
    if (has_zone) {
        nw_civil cc = c;
        int leap = cc.sec == 60;
        if (leap)
            cc.sec = 59;
        if ((rc = nw_time_civil_to_utc(&cc, &t, err)))
            return nw_err_prefix(err, "timestamp '%s': ", s);
        t = t + leap - off;
    } else if ((rc = nw_time_from_civil(&c, default_zone, &t, err))) {
        return nw_err_prefix(err, "timestamp '%s': ", s);
    }
    *epoch = t;
    if (millis)
        *millis = ms;
    return 0;
bad:
    return nw_err_set(
        err, NW_EINVAL,
        "timestamp '%s' is not ISO 8601 (expected YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM])", s);
}

/* ------------------------------------------------------------ format ----- */

static char *put_digits(char *o, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + width;
}

static int format_common(int64_t epoch, int millis, bool with_ms, char out[NW_TIME_RFC3339_MAX])
{
    /* 0001-01-01 .. 9999-12-31 */
    if (epoch < -62135596800LL || epoch > 253402300799LL || millis < 0 || millis > 999) {
        out[0] = '\0';
        return NW_EINVAL;
    }
    int64_t days = epoch / 86400, rem = epoch % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / 3600), mm = (int)(rem / 60 % 60), ss = (int)(rem % 60);
    /* fixed-width by construction: every field is range-checked above */
    char *o = out;
    o = put_digits(o, y, 4);
    *o++ = '-';
    o = put_digits(o, m, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o++ = 'T';
    o = put_digits(o, hh, 2);
    *o++ = ':';
    o = put_digits(o, mm, 2);
    *o++ = ':';
    o = put_digits(o, ss, 2);
    if (with_ms) {
        *o++ = '.';
        o = put_digits(o, millis, 3);
    }
    *o++ = 'Z';
    *o = '\0';
    return 0;
}

int nw_time_format(int64_t epoch, char out[NW_TIME_RFC3339_MAX])
{
    return format_common(epoch, 0, false, out);
}

int nw_time_format_ms(int64_t epoch, int millis, char out[NW_TIME_RFC3339_MAX])
{
    return format_common(epoch, millis, true, out);
}

int nw_time_normalize(const char *s, const char *default_zone, char **out, nw_err *err)
{
    int64_t t;
    int ms;
    int rc = nw_time_parse(s, default_zone, &t, &ms, err);
    if (rc)
        return rc;
    char buf[NW_TIME_RFC3339_MAX];
    if ((ms ? nw_time_format_ms(t, ms, buf) : nw_time_format(t, buf)) != 0)
        return nw_err_set(err, NW_EINVAL, "timestamp '%s' is outside years 1..9999", s);
    *out = strdup(buf);
    if (!*out)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}
