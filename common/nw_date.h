/*
 * nw_date — dates as wires and feeds actually write them, to epoch seconds.
 * Builds on nw_time (which owns RFC 3339 and civil-time arithmetic).
 *
 * nw_date_parse() accepts, after trimming whitespace and newlines:
 *   - RFC 3339 / ISO 8601 (nw_time_parse), and compact ISO basic
 *     "20151216T004303Z", "20130605T120000-0400", "20151216T004303+0000"
 *   - RFC 822/1123/850 with numeric or named zones (UT, GMT, Z, EST/EDT,
 *     CST/CDT, MST/MDT, PST/PDT, military letters; CET/CEST, BST, IST...: a
 *     documented table) and with or without the day name and seconds
 *   - localized day and month names (English, Italian, Portuguese, Spanish,
 *     French, German, Dutch...; case and accents folded; "mer, 16 nov 2022")
 *   - two-digit years (00-49 -> 20xx, 50-99 -> 19xx, RFC 2822 section 4.3)
 *   - "YYYY-MM-DD HH:MM:SS", "YYYY/M/D H:MM:SS", "DD.MM.YYYY HH:MM"
 *   - Reuters-21578 "26-FEB-1987 15:01:01.79"
 * Times without a zone are read in `default_zone` (NULL = UTC). Anything else,
 * and any impossible date, is NW_EINVAL with the text quoted: the caller
 * leaves the field out with a warning — never a wrong date.
 */
#ifndef NW_DATE_H
#define NW_DATE_H

#include <stdint.h>

#include "nw_err.h"

int nw_date_parse(const char *s, const char *default_zone, int64_t *epoch, nw_err *err);

/* Parse and format as RFC 3339 UTC into a malloc'd string (caller frees). */
int nw_date_normalize(const char *s, const char *default_zone, char **out, nw_err *err);

#endif
