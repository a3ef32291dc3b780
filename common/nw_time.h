/*
 * nw_time — timestamps: parse ISO 8601 / RFC 3339 text to epoch seconds,
 * turn civil (wall-clock) time in a named zone into epoch seconds, and format
 * epoch seconds as RFC 3339 UTC ("2015-12-16T00:43:03Z").
 *
 * It never guesses: a date that does not exist (month 13, Feb 30), a zone it
 * does not know, or trailing garbage is an error, never a nearby date.
 * Zones are "UTC"/"Z"/"GMT", fixed offsets ("+08:00", "+0800", "-05"), or IANA
 * names ("Europe/Berlin"); see nw_time_from_civil.
 */
#ifndef NW_TIME_H
#define NW_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "nw_err.h"

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus NUL, with room to spare. */
#define NW_TIME_RFC3339_MAX 32

/* Broken-down wall-clock time. Fields are as written (month 1..12, day 1..31). */
typedef struct nw_civil {
    int year;  /* 1..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31, checked against the month */
    int hour;  /* 0..23 */
    int min;   /* 0..59 */
    int sec;   /* 0..60; a leap second 60 is folded into the next second */
} nw_civil;

/* True when year/month/day is a real Gregorian date (year 1..9999). */
bool nw_time_valid_date(int year, int month, int day);

/* Days since 1970-01-01 of a (valid) proleptic Gregorian date. */
int64_t nw_time_days_from_civil(int year, int month, int day);

/* Epoch seconds of civil time read as UTC (no zone applied). Checks every field;
 * NW_EINVAL with a message naming the bad field. */
int nw_time_civil_to_utc(const nw_civil *c, int64_t *epoch, nw_err *err);

/* Parse a fixed UTC offset: "Z", "UTC", "GMT", "+08:00", "+0800", "+08", "-05:30".
 * Returns 0 and sets *seconds east of UTC, or NW_EINVAL. */
int nw_time_parse_offset(const char *s, int *seconds, nw_err *err);

/* Epoch seconds of civil time `c` in `zone` (a fixed offset as above or an IANA
 * name found under $TZDIR or /usr/share/zoneinfo). NULL zone = UTC. An unknown
 * zone is NW_EINVAL naming it.
 *
 * IANA zones are resolved with ICU's zone data, thread-safely (no TZ, no
 * tzset; each zone is loaded once and cached). Ambiguous local times (the
 * repeated hour when DST ends) resolve to the earlier instant; non-existent
 * ones (the skipped hour) are read with the offset before the change, i.e.
 * moved forward by the gap (as Python's zoneinfo with fold=0 does). The zone must also exist in the
 * system tz database (names are checked there first). */
int nw_time_from_civil(const nw_civil *c, const char *zone, int64_t *epoch, nw_err *err);

/* Parse an ISO 8601 / RFC 3339 timestamp:
 *   "2015-12-16T00:43:03Z", "...+00:00", "...+0000", "...-05", fractional seconds
 *   ("...03.123456Z", truncated to milliseconds), "T" or one space between date
 *   and time, "HH:MM" without seconds, and a date alone ("2015-12-16", midnight).
 * Without a zone suffix the time is read in `default_zone` (NULL = UTC).
 * *epoch receives seconds, *millis (may be NULL) 0..999. NW_EINVAL on anything
 * else, with the text quoted in the message. */
int nw_time_parse(const char *s, const char *default_zone, int64_t *epoch, int *millis,
                  nw_err *err);

/* Format as RFC 3339 UTC: "2015-12-16T00:43:03Z". Years outside 1..9999 are
 * refused (NW_EINVAL) so the output always has the fixed width. */
int nw_time_format(int64_t epoch, char out[NW_TIME_RFC3339_MAX]);
/* Same with milliseconds: "2015-12-16T00:43:03.120Z". millis must be 0..999. */
int nw_time_format_ms(int64_t epoch, int millis, char out[NW_TIME_RFC3339_MAX]);

/* Parse `s` (as nw_time_parse) and write it back in canonical form: RFC 3339
 * UTC, with milliseconds only when the input had a non-zero fraction.
 * Returns a malloc'd string in *out (caller frees), or NW_EINVAL/NW_ENOMEM. */
int nw_time_normalize(const char *s, const char *default_zone, char **out, nw_err *err);

#endif
