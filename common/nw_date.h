/*
 * nw_date — dates as wires and feeds actually write them, to epoch seconds.
 * Builds on nw_time (which owns RFC 3339 and civil-time arithmetic).
 *
 * nw_date_parse() accepts, after trimming whitespace, newlines and NBSP:
 *   - RFC 3339 / ISO 8601 (nw_time_parse), and compact ISO basic
 *     "20151216T004303Z", "20130605T120000-0400", "20151216T004303+0000",
 *     "20130605", "20080219+0100"
 *   - RFC 822/1123/850 with numeric or named zones, with or without the day
 *     name and seconds, "(comment)" after the zone, "GMT+2". Zone names: UT,
 *     UTC, GMT, Z, EST/EDT, CST/CDT, MST/MDT, PST/PDT (RFC 822), AKST/AKDT,
 *     HST, NST/NDT, WET/WEST, BST (British), CET/CEST, MET/MEST, MEZ/MESZ,
 *     EET/EEST, MSK, PKT, ICT, WIB, HKT, SGT, AWST, JST, KST, ACST, AEST/AEDT,
 *     NZST/NZDT. Refused as ambiguous: IST, AST, ADT, BDT, CAT, SST, GST and
 *     military letters other than Z (RFC 2822 4.3).
 *   - localized day and month names (English, Italian, Portuguese, Spanish,
 *     French, German, Dutch, Greek; case and accents folded; any unambiguous
 *     3+ letter prefix of a month: "mer, 16 nov 2022", "Seg, 24 Set 2018",
 *     "16. November 2022", "Τρι, 29 Ιούν 2004")
 *   - month first: "Dec 16 2023 02:02:33 PM", "November 16, 2022, 10:00 AM";
 *     12-hour clocks with AM/PM/a.m./p.m.
 *   - two-digit years (00-49 -> 20xx, 50-99 -> 19xx, RFC 2822 section 4.3);
 *     RFC 822 times without a colon ("03 Apr 02 1500 GMT")
 *   - "YYYY-MM-DD HH:MM:SS", "YYYY/M/D H:MM:SS", "DD.MM.YYYY HH:MM"
 *   - Reuters-21578 "26-FEB-1987 15:01:01.79"; in that form only, wire codes
 *     after the time ("...01.79\t\t\tRM") are ignored.
 * A day name is checked to be a day name but not against the date: "Mon, 16
 * Nov 2022" (a Wednesday) is 16 Nov 2022 — feeds get weekdays wrong far more
 * often than dates. Numeric D/M/Y vs M/D/Y ("02/10/16") is refused.
 * Times without a zone are read in `default_zone` (NULL = UTC; an offset or
 * an IANA name, see nw_time_from_civil). Anything else, and any impossible
 * date (Feb 30, month 13, hour 25), is NW_EINVAL with the text quoted: the
 * caller leaves the field out with a warning — never a wrong date.
 * Stateless and thread-safe (except what nw_time_from_civil says about IANA
 * zones).
 */
#ifndef NW_DATE_H
#define NW_DATE_H

#include <stdint.h>

#include "nw_err.h"

/* Parse `s` (NUL-terminated UTF-8). 0 and *epoch set, or NW_EINVAL with err
 * naming the text and what was wrong; *epoch is untouched on failure. */
int nw_date_parse(const char *s, const char *default_zone, int64_t *epoch, nw_err *err);

/* Parse and format as RFC 3339 UTC into a malloc'd string (caller frees).
 * A fraction of a second is kept to milliseconds when non-zero
 * ("2016-06-27T14:36:54.007Z"); nw_date_parse drops it. */
int nw_date_normalize(const char *s, const char *default_zone, char **out, nw_err *err);

#endif
