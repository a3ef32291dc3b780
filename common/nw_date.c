/*
 * nw_date — loose wire and feed dates to epoch seconds. See nw_date.h.
 *
 * Strategy: strict ISO 8601 goes through nw_time_parse first (the common case
 * in NewsML-G2, Atom and ninjs). Everything else goes through one small
 * hand-written scanner: an optional day name, a date (D MON Y, MON D Y,
 * D-MON-Y, Y/M/D, Y-M-D, YYYYMMDD, D.M.Y), an optional time (H:MM[:SS[.f]],
 * HHMM, HHMMSS, AM/PM) and an optional zone (numeric offset, a name from the
 * table below, "GMT+2"), then an RFC 822 "(comment)". Every field is checked
 * through nw_time, so an impossible date is an error, never a nearby date.
 *
 * Decisions (documented here because they are policy, not parsing):
 *   - A day name is checked to be a day name (in some language we know) but
 *     its value is ignored: "Mon, 16 Nov 2022" (a Wednesday) is 16 Nov 2022.
 *     Feeds get the weekday wrong far more often than the date.
 *   - Numeric dates with a 1-2 digit first field and '/' or '-' separators
 *     ("02/10/16", "02-10-16") are refused: D/M/Y and M/D/Y cannot be told
 *     apart. "D.M.Y" is European and accepted.
 *   - Military single-letter zones other than Z are refused (RFC 822 got their
 *     signs backwards; RFC 2822 section 4.3 says not to trust them), and so are
 *     abbreviations with several common meanings (IST, AST, ...).
 *   - Reuters-21578 <DATE> values carry wire codes after the time
 *     ("26-FEB-1987 15:01:01.79\t\t\tRM"): only in that D-MON-YYYY form, text
 *     after whitespace following a complete time is ignored.
 */
#include "nw_date.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_time.h"

#define DATE_MAX 160 /* longer text is not a date */
#define WORD_MAX 40  /* bytes of a folded word */

/* ------------------------------------------------------------- tables ---- */

/* Full month names, folded (lower case, accents removed, final sigma as σ).
 * A word matches when it is one of these or a prefix of at least 3 letters
 * that names one month only ("sept", "fev", "ιουν"). */
static const struct {
    const char *name;
    int month;
} month_names[] = {
    /* English, German, Dutch */
    {"january", 1},
    {"february", 2},
    {"march", 3},
    {"april", 4},
    {"may", 5},
    {"june", 6},
    {"july", 7},
    {"august", 8},
    {"september", 9},
    {"october", 10},
    {"november", 11},
    {"december", 12},
    {"januar", 1},
    {"janner", 1},
    {"februar", 2},
    {"marz", 3},
    {"maerz", 3},
    {"mai", 5},
    {"juni", 6},
    {"juli", 7},
    {"oktober", 10},
    {"dezember", 12},
    {"januari", 1},
    {"februari", 2},
    {"maart", 3},
    {"mei", 5},
    {"augustus", 8},
    /* Italian */
    {"gennaio", 1},
    {"febbraio", 2},
    {"marzo", 3},
    {"aprile", 4},
    {"maggio", 5},
    {"giugno", 6},
    {"luglio", 7},
    {"agosto", 8},
    {"settembre", 9},
    {"ottobre", 10},
    {"novembre", 11},
    {"dicembre", 12},
    /* Portuguese */
    {"janeiro", 1},
    {"fevereiro", 2},
    {"marco", 3},
    {"abril", 4},
    {"maio", 5},
    {"junho", 6},
    {"julho", 7},
    {"setembro", 9},
    {"outubro", 10},
    {"novembro", 11},
    {"dezembro", 12},
    /* Spanish */
    {"enero", 1},
    {"febrero", 2},
    {"mayo", 5},
    {"junio", 6},
    {"julio", 7},
    {"septiembre", 9},
    {"setiembre", 9},
    {"octubre", 10},
    {"noviembre", 11},
    {"diciembre", 12},
    /* French */
    {"janvier", 1},
    {"fevrier", 2},
    {"mars", 3},
    {"avril", 4},
    {"juin", 6},
    {"juillet", 7},
    {"aout", 8},
    {"septembre", 9},
    {"octobre", 10},
    {"decembre", 12},
    /* Greek, nominative and genitive ("29 Ιουνίου 2004") */
    {"ιανουαριοσ", 1},
    {"ιανουαριου", 1},
    {"φεβρουαριοσ", 2},
    {"φεβρουαριου", 2},
    {"μαρτιοσ", 3},
    {"μαρτιου", 3},
    {"απριλιοσ", 4},
    {"απριλιου", 4},
    {"μαιοσ", 5},
    {"μαιου", 5},
    {"ιουνιοσ", 6},
    {"ιουνιου", 6},
    {"ιουλιοσ", 7},
    {"ιουλιου", 7},
    {"αυγουστοσ", 8},
    {"αυγουστου", 8},
    {"σεπτεμβριοσ", 9},
    {"σεπτεμβριου", 9},
    {"οκτωβριοσ", 10},
    {"οκτωβριου", 10},
    {"νοεμβριοσ", 11},
    {"νοεμβριου", 11},
    {"δεκεμβριοσ", 12},
    {"δεκεμβριου", 12},
};

/* Abbreviations that are not prefixes of a full name. */
static const struct {
    const char *name;
    int month;
} month_aliases[] = {{"mrt", 3}, {"mrz", 3}};

/* Day names, folded. A word is a day name when it is a prefix (2+ letters)
 * of one of these; the value is never used (see the top comment). */
static const char *const day_names[] = {
    "monday",   "tuesday",    "wednesday", "thursday",  "friday",    "saturday", "sunday",
    "lunedi",   "martedi",    "mercoledi", "giovedi",   "venerdi",   "sabato",   "domenica",
    "segunda",  "terca",      "quarta",    "quinta",    "sexta",     "sabado",   "domingo",
    "lunes",    "martes",     "miercoles", "jueves",    "viernes",   "lundi",    "mardi",
    "mercredi", "jeudi",      "vendredi",  "samedi",    "dimanche",  "montag",   "dienstag",
    "mittwoch", "donnerstag", "freitag",   "samstag",   "sonnabend", "sonntag",  "maandag",
    "dinsdag",  "woensdag",   "donderdag", "vrijdag",   "zaterdag",  "zondag",   "δευτερα",
    "τριτη",    "τεταρτη",    "πεμπτη",    "παρασκευη", "σαββατο",   "κυριακη",
};

/* Named zones, in minutes east of UTC. US names as RFC 822 defines them;
 * the rest are the unambiguous abbreviations wires and feeds use. */
static const struct {
    const char *name;
    int minutes;
} zone_names[] = {
    {"ut", 0},     {"utc", 0},     {"gmt", 0},     {"z", 0},      {"wet", 0},    {"est", -300},
    {"edt", -240}, {"cst", -360},  {"cdt", -300},  {"mst", -420}, {"mdt", -360}, {"pst", -480},
    {"pdt", -420}, {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"nst", -210}, {"ndt", -150},
    {"west", 60},  {"bst", 60},    {"cet", 60},    {"met", 60},   {"mez", 60},   {"cest", 120},
    {"mest", 120}, {"mesz", 120},  {"eet", 120},   {"eest", 180}, {"msk", 180},  {"pkt", 300},
    {"ict", 420},  {"wib", 420},   {"hkt", 480},   {"sgt", 480},  {"awst", 480}, {"jst", 540},
    {"kst", 540},  {"acst", 570},  {"aest", 600},  {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},
};

/* Abbreviations refused because they mean different offsets in different places. */
static const char *const ambiguous_zones[] = {"ist", "ast", "adt", "bdt", "cat", "sst", "gst"};

/* ------------------------------------------------------------ folding ---- */

/* Decode one UTF-8 code point at p; *n gets its length (1 for a bad byte,
 * returned as U+FFFD). */
static unsigned decode_utf8(const unsigned char *p, size_t *n)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *n = 1;
        return c;
    }
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!len || c > 0xF4) {
        *n = 1;
        return 0xFFFD;
    }
    unsigned cp = c & (0xFF >> (len + 1));
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        cp = cp << 6 | (p[i] & 0x3F);
    }
    *n = (size_t)len;
    return cp;
}

static size_t encode_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Latin-1 letters U+00C0..U+00FF without their accents ('\0': not a letter). */
static const char latin1_fold[65] = "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
                                    "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

/* True when cp is part of a word: a letter we know how to fold, or any
 * other non-ASCII character except spaces (such words never match a table). */
static bool is_word_cp(unsigned cp)
{
    if (cp < 0x80)
        return isalpha((int)cp);
    if (cp == 0xA0 || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000)
        return false;
    return cp >= 0xC0;
}

/* Fold a code point: lower case, accents and Greek tonos removed, final
 * sigma as sigma. */
static unsigned fold_cp(unsigned cp)
{
    if (cp < 0x80)
        return (unsigned)tolower((int)cp);
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1_fold[cp - 0xC0] ? (unsigned char)latin1_fold[cp - 0xC0] : cp;
    if (cp >= 0x391 && cp <= 0x3A9)
        cp += 0x20; /* Greek capitals */
    switch (cp) {
    case 0x386:
    case 0x3AC: return 0x3B1; /* ά */
    case 0x388:
    case 0x3AD: return 0x3B5; /* έ */
    case 0x389:
    case 0x3AE: return 0x3B7; /* ή */
    case 0x38A:
    case 0x3AF:
    case 0x3CA:
    case 0x390: return 0x3B9; /* ί ϊ ΐ */
    case 0x38C:
    case 0x3CC: return 0x3BF; /* ό */
    case 0x38E:
    case 0x3CD:
    case 0x3CB:
    case 0x3B0: return 0x3C5; /* ύ ϋ ΰ */
    case 0x38F:
    case 0x3CE: return 0x3C9; /* ώ */
    case 0x3C2: return 0x3C3; /* ς */
    default: return cp;
    }
}

/* Number of characters (not bytes) in a UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Month number of a folded word, 0 when unknown or ambiguous. */
static int month_of(const char *key)
{
    for (size_t i = 0; i < sizeof month_aliases / sizeof month_aliases[0]; i++)
        if (!strcmp(key, month_aliases[i].name))
            return month_aliases[i].month;
    if (utf8_chars(key) < 3)
        return 0;
    int found = 0;
    for (size_t i = 0; i < sizeof month_names / sizeof month_names[0]; i++) {
        if (has_prefix(month_names[i].name, key)) {
            if (found && found != month_names[i].month)
                return 0;
            found = month_names[i].month;
        }
    }
    return found;
}

static bool is_day_name(const char *key)
{
    if (utf8_chars(key) < 2)
        return false;
    for (size_t i = 0; i < sizeof day_names / sizeof day_names[0]; i++)
        if (has_prefix(day_names[i], key))
            return true;
    return false;
}

/* ------------------------------------------------------------ scanner ---- */

typedef struct scan {
    const char *p;    /* cursor into text */
    const char *text; /* the trimmed text, for messages */
    char why[200];    /* reason for failure */
} scan;

typedef struct fields {
    nw_civil c;
    int millis;
    bool has_zone;
    int offset; /* seconds east of UTC when has_zone */
} fields;

static int fail(scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(scan *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return -1;
}

static bool at_space(const char *p)
{
    return *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' ||
           ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0);
}

static void skip_spaces(scan *s)
{
    while (at_space(s->p))
        s->p += (unsigned char)*s->p == 0xC2 ? 2 : 1;
}

/* Skip spaces and any of the separator characters in `seps`. */
static void skip_seps(scan *s, const char *seps)
{
    for (;;) {
        skip_spaces(s);
        if (*s->p && strchr(seps, *s->p))
            s->p++;
        else
            return;
    }
}

/* Read a word at the cursor into key (folded). Returns its length in bytes
 * of the source (0 when there is no word); the cursor is not moved. */
static size_t peek_word(const scan *s, char key[WORD_MAX])
{
    const unsigned char *p = (const unsigned char *)s->p;
    size_t used = 0, k = 0;
    bool overflow = false;
    for (;;) {
        size_t n;
        unsigned cp = decode_utf8(p + used, &n);
        if (!p[used] || !is_word_cp(cp))
            break;
        char enc[4];
        size_t en = encode_utf8(fold_cp(cp) > 0xFFFF ? 0xFFFD : fold_cp(cp), enc);
        if (k + en < WORD_MAX) {
            memcpy(key + k, enc, en);
            k += en;
        } else {
            overflow = true;
        }
        used += n;
    }
    key[k] = '\0';
    if (overflow)
        key[0] = '#'; /* too long to be anything we know */
    return used;
}

/* Read a run of digits; returns its length (0 if none) and the value in *v
 * (saturated, long runs are rejected by their length anyway). */
static size_t read_digits(scan *s, int *v)
{
    size_t n = 0;
    long val = 0;
    while (isdigit((unsigned char)s->p[n])) {
        if (val < 100000000)
            val = val * 10 + (s->p[n] - '0');
        n++;
    }
    s->p += n;
    *v = (int)val;
    return n;
}

static bool one_or_two(size_t ndigits)
{
    return ndigits == 1 || ndigits == 2;
}

static int two_digit_year(int y)
{
    return y < 50 ? 2000 + y : 1900 + y;
}

/* Year token: 4 digits, or 2 digits (RFC 2822 4.3: 00-49 -> 20xx, 50-99 -> 19xx). */
static int read_year(scan *s, int *year)
{
    const char *at = s->p;
    int v;
    size_t n = read_digits(s, &v);
    if (n == 4)
        *year = v;
    else if (n == 2)
        *year = two_digit_year(v);
    else if (n == 0)
        return fail(s, "expected a year at '%.20s'", at);
    else
        return fail(s, "year '%.*s' is not 2 or 4 digits", (int)n, at);
    return 0;
}

/* Optional day name ("Wed,", "mer,", "Segunda-feira,", "Τρι,"). */
static int skip_day_name(scan *s)
{
    char key[WORD_MAX];
    size_t n = peek_word(s, key);
    if (!n)
        return 0;
    const char *after = s->p + n;
    if (*after == '.')
        after++;
    bool comma = *after == ',';
    if (!comma && month_of(key))
        return 0; /* "Dec 16 2023": a month, not a day */
    if (!is_day_name(key)) {
        if (comma)
            return fail(s, "'%.*s' is not a day name", (int)n, s->p);
        return fail(s, "'%.*s' is not a month or day name", (int)n, s->p);
    }
    if (!comma && !at_space(after) && *after != '-')
        return fail(s, "expected ',' or a space after the day name '%.*s'", (int)n, s->p);
    s->p = after;
    if (has_prefix(s->p, "-feira"))
        s->p += 6;
    skip_seps(s, ",");
    return 0;
}

/* A month name at the cursor. */
static int read_month_name(scan *s, int *month)
{
    char key[WORD_MAX];
    size_t n = peek_word(s, key);
    if (!n)
        return fail(s, "expected a month name at '%.20s'", s->p);
    if (!(*month = month_of(key)))
        return fail(s, "'%.*s' is not a month name", (int)n, s->p);
    s->p += n;
    if (*s->p == '.')
        s->p++; /* "sept." */
    return 0;
}

/* "st", "nd", "rd", "th" after a day number. */
static void skip_ordinal(scan *s)
{
    static const char *const sfx[] = {"st", "nd", "rd", "th"};
    for (size_t i = 0; i < 4; i++) {
        if (!strncasecmp(s->p, sfx[i], 2) && !isalpha((unsigned char)s->p[2])) {
            s->p += 2;
            return;
        }
    }
}

typedef enum { FORM_OTHER, FORM_REUTERS, FORM_COMPACT } date_form;

/* The date part. Sets f->c year/month/day and *form. */
static int read_date(scan *s, fields *f, date_form *form)
{
    *form = FORM_OTHER;
    const char *at = s->p;
    if (!isdigit((unsigned char)*s->p)) {
        /* MON D[,] Y */
        if (read_month_name(s, &f->c.month))
            return -1;
        skip_seps(s, "-");
        if (!one_or_two(read_digits(s, &f->c.day)))
            return fail(s, "expected a day number after the month in '%.40s'", at);
        skip_ordinal(s);
        skip_seps(s, ",");
        return read_year(s, &f->c.year);
    }
    int a;
    size_t n = read_digits(s, &a);
    if (n == 8) {
        /* YYYYMMDD (NITF, NewsML 1.2) */
        *form = FORM_COMPACT;
        f->c.year = a / 10000;
        f->c.month = a / 100 % 100;
        f->c.day = a % 100;
        return 0;
    }
    if (n == 4) {
        /* Y-M-D, Y/M/D, Y.M.D with one or two digit fields */
        char sep = *s->p;
        if (sep != '-' && sep != '/' && sep != '.')
            return fail(s, "expected '-' or '/' after the year in '%.40s'", at);
        s->p++;
        f->c.year = a;
        if (!one_or_two(read_digits(s, &f->c.month)) || *s->p != sep)
            return fail(s, "expected a month number in '%.40s'", at);
        s->p++;
        if (!one_or_two(read_digits(s, &f->c.day)))
            return fail(s, "expected a day number in '%.40s'", at);
        return 0;
    }
    if (n != 1 && n != 2)
        return fail(s, "'%.*s' is not a day, month or year", (int)n, at);
    f->c.day = a;
    char sep = *s->p;
    if (sep == '-' && isalpha((unsigned char)s->p[1])) {
        /* Reuters-21578: 26-FEB-1987 */
        s->p++;
        if (read_month_name(s, &f->c.month))
            return -1;
        if (*s->p != '-')
            return fail(s, "expected '-' after the month in '%.40s'", at);
        s->p++;
        *form = FORM_REUTERS;
        return read_year(s, &f->c.year);
    }
    if (sep == '.' && isdigit((unsigned char)s->p[1])) {
        /* D.M.Y (European) */
        s->p++;
        if (!one_or_two(read_digits(s, &f->c.month)) || *s->p != '.')
            return fail(s, "expected D.M.YYYY in '%.40s'", at);
        s->p++;
        return read_year(s, &f->c.year);
    }
    if ((sep == '/' || sep == '-') && isdigit((unsigned char)s->p[1]))
        return fail(s, "numeric date is ambiguous (day/month or month/day?)");
    /* D MON Y, "16. November 2022" */
    skip_ordinal(s);
    skip_seps(s, ".");
    if (read_month_name(s, &f->c.month))
        return -1;
    skip_seps(s, ",-");
    return read_year(s, &f->c.year);
}

/* Optional time: H:MM[:SS[.frac]], HHMM, HHMMSS, then AM/PM. */
static int read_time(scan *s, fields *f, date_form form)
{
    const char *save = s->p;
    skip_seps(s, ",");
    bool comma = memchr(save, ',', (size_t)(s->p - save)) != NULL;
    bool tee = false;
    if ((*s->p == 'T' || *s->p == 't') && isdigit((unsigned char)s->p[1])) {
        s->p++;
        tee = true;
    } else if (!strncasecmp(s->p, "at ", 3) || !strncasecmp(s->p, "um ", 3)) {
        s->p += 3;
    }
    if (!isdigit((unsigned char)*s->p)) {
        s->p = save;
        return 0;
    }
    const char *at = s->p;
    int v;
    size_t n = read_digits(s, &v);
    if (*s->p == ':') {
        if (n > 2)
            return fail(s, "hour '%.*s' is not 1 or 2 digits", (int)n, at);
        f->c.hour = v;
        s->p++;
        if (read_digits(s, &f->c.min) != 2)
            return fail(s, "expected two-digit minutes in '%.20s'", at);
        if (*s->p == ':') {
            s->p++;
            if (read_digits(s, &f->c.sec) != 2)
                return fail(s, "expected two-digit seconds in '%.20s'", at);
        }
    } else if ((form == FORM_COMPACT && tee && (n == 4 || n == 6)) ||
               (form != FORM_COMPACT && n == 4 && !comma && !tee && at > save)) {
        /* bare digits: "20151216T0043[03]" or RFC 822 "03 Apr 02 1500 GMT" */
        f->c.hour = n == 4 ? v / 100 : v / 10000;
        f->c.min = n == 4 ? v % 100 : v / 100 % 100;
        f->c.sec = n == 4 ? 0 : v % 100;
    } else {
        return fail(s, "'%.*s' is not a time (expected HH:MM[:SS])", (int)n, at);
    }
    if ((*s->p == '.' || *s->p == ',') && isdigit((unsigned char)s->p[1])) {
        s->p++;
        int scale = 100;
        for (; isdigit((unsigned char)*s->p); s->p++, scale /= 10)
            f->millis += (*s->p - '0') * scale;
    }
    /* AM/PM, "a.m." */
    const char *q = s->p;
    while (*q == ' ')
        q++;
    int ampm = 0;
    if ((q[0] == 'a' || q[0] == 'A' || q[0] == 'p' || q[0] == 'P')) {
        size_t len = 0;
        if ((q[1] == 'm' || q[1] == 'M') && !isalpha((unsigned char)q[2]))
            len = 2;
        else if (q[1] == '.' && (q[2] == 'm' || q[2] == 'M') && q[3] == '.')
            len = 4;
        if (len) {
            ampm = (q[0] == 'p' || q[0] == 'P') ? 2 : 1;
            s->p = q + len;
        }
    }
    if (ampm) {
        if (f->c.hour < 1 || f->c.hour > 12)
            return fail(s, "hour %d with AM/PM is not 1..12", f->c.hour);
        f->c.hour = f->c.hour % 12 + (ampm == 2 ? 12 : 0);
    }
    return 0;
}

/* "+0200", "-05:00" after the sign at the cursor; "+2", "+02" too when
 * short_ok (after GMT/UTC: "GMT+2"). */
static int read_offset(scan *s, int *seconds, bool short_ok)
{
    int sign = *s->p == '-' ? -1 : 1;
    const char *at = s->p++;
    int hh, mm = 0;
    size_t n = read_digits(s, &hh);
    if (n == 4) {
        mm = hh % 100;
        hh /= 100;
    } else if (n == 1 || n == 2) {
        if (*s->p == ':') {
            s->p++;
            if (read_digits(s, &mm) != 2)
                return fail(s, "zone offset '%.8s' is not +HH:MM", at);
        } else if (!short_ok) {
            return fail(s, "zone offset '%.8s' is not +HHMM or +HH:MM", at);
        }
    } else {
        return fail(s, "zone offset '%.8s' is not +HHMM or +HH:MM", at);
    }
    if (hh > 23 || mm > 59)
        return fail(s, "zone offset '%.8s' is out of range", at);
    *seconds = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* Optional zone, then an optional "(comment)". */
static int read_zone(scan *s, fields *f)
{
    skip_spaces(s);
    char key[WORD_MAX];
    if (*s->p == '+' || *s->p == '-') {
        f->has_zone = true;
        if (read_offset(s, &f->offset, false))
            return -1;
        /* "+0000 GMT": a redundant zone name after the offset; the offset wins */
        skip_spaces(s);
        size_t n = peek_word(s, key);
        for (size_t i = 0; n && i < sizeof zone_names / sizeof zone_names[0]; i++)
            if (!strcmp(key, zone_names[i].name))
                s->p += n;
        return 0;
    }
    size_t n = peek_word(s, key);
    if (!n)
        return 0;
    const char *at = s->p;
    for (size_t i = 0; i < sizeof ambiguous_zones / sizeof ambiguous_zones[0]; i++)
        if (!strcmp(key, ambiguous_zones[i]))
            return fail(s, "time zone '%.*s' is ambiguous (use a numeric offset)", (int)n, at);
    for (size_t i = 0; i < sizeof zone_names / sizeof zone_names[0]; i++) {
        if (!strcmp(key, zone_names[i].name)) {
            s->p += n;
            f->has_zone = true;
            f->offset = zone_names[i].minutes * 60;
            /* "GMT+2", "UTC+05:30" */
            if (f->offset == 0 && (*s->p == '+' || *s->p == '-'))
                return read_offset(s, &f->offset, true);
            return 0;
        }
    }
    if (n == 1)
        return fail(s, "military time zone '%.*s' is ambiguous (RFC 2822 4.3)", (int)n, at);
    return fail(s, "unknown time zone '%.*s'", (int)n, at);
}

static void skip_comment(scan *s)
{
    skip_spaces(s);
    if (*s->p != '(')
        return;
    const char *close = strchr(s->p, ')');
    if (close)
        s->p = close + 1;
}

/* The loose grammar: [day name] date [time] [zone] [(comment)]. */
static int scan_loose(scan *s, fields *f)
{
    date_form form;
    skip_spaces(s);
    if (!isdigit((unsigned char)*s->p) && skip_day_name(s))
        return -1;
    if (read_date(s, f, &form) || read_time(s, f, form))
        return -1;
    if (form == FORM_REUTERS) {
        /* wire codes after the time, see the top comment */
        if (*s->p && !at_space(s->p))
            return fail(s, "unexpected '%.20s' after the time", s->p);
        return 0;
    }
    if (read_zone(s, f))
        return -1;
    skip_comment(s);
    skip_spaces(s);
    if (*s->p)
        return fail(s, "unexpected '%.20s' at the end", s->p);
    return 0;
}

/* ------------------------------------------------------------- public ---- */

static int parse_ms(const char *in, const char *default_zone, int64_t *epoch, int *millis,
                    nw_err *err)
{
    if (!in)
        return nw_err_set(err, NW_EINVAL, "missing date");
    /* trim: feeds put newlines and indentation inside <lastBuildDate> */
    while (at_space(in))
        in += (unsigned char)*in == 0xC2 ? 2 : 1;
    size_t len = strlen(in);
    while (len &&
           (isspace((unsigned char)in[len - 1]) ||
            (len >= 2 && (unsigned char)in[len - 2] == 0xC2 && (unsigned char)in[len - 1] == 0xA0)))
        len -= (unsigned char)in[len - 1] == 0xA0 ? 2 : 1;
    if (!len)
        return nw_err_set(err, NW_EINVAL, "empty date");
    if (len >= DATE_MAX)
        return nw_err_set(err, NW_EINVAL, "date '%.40s...' is too long (%zu bytes) to be a date",
                          in, len);
    char text[DATE_MAX];
    memcpy(text, in, len);
    text[len] = '\0';

    /* strict ISO 8601 first: the common case, and nw_time owns it */
    if (isdigit((unsigned char)text[0]) &&
        nw_time_parse(text, default_zone, epoch, millis, NULL) == 0)
        return 0;

    scan s = {.p = text, .text = text, .why = ""};
    fields f = {.c = {0}, .millis = 0, .has_zone = false, .offset = 0};
    if (scan_loose(&s, &f))
        return nw_err_set(err, NW_EINVAL, "date '%.80s' is not understood: %s", text, s.why);

    nw_civil c = f.c;
    int64_t t;
    int rc;
    if (f.has_zone) {
        int leap = c.sec == 60;
        if (leap)
            c.sec = 59;
        rc = nw_time_civil_to_utc(&c, &t, err);
        t += leap - f.offset;
    } else {
        rc = nw_time_from_civil(&c, default_zone, &t, err);
    }
    if (rc) {
        nw_err_prefix(err, "date '%.80s': ", text);
        return rc;
    }
    *epoch = t;
    if (millis)
        *millis = f.millis;
    return 0;
}

int nw_date_parse(const char *s, const char *default_zone, int64_t *epoch, nw_err *err)
{
    return parse_ms(s, default_zone, epoch, NULL, err);
}

int nw_date_normalize(const char *s, const char *default_zone, char **out, nw_err *err)
{
    int64_t t;
    int ms = 0;
    int rc = parse_ms(s, default_zone, &t, &ms, err);
    if (rc)
        return rc;
    char buf[NW_TIME_RFC3339_MAX];
    if ((ms ? nw_time_format_ms(t, ms, buf) : nw_time_format(t, buf)) != 0)
        return nw_err_set(err, NW_EINVAL, "date '%.80s' is outside years 1..9999", s);
    *out = strdup(buf);
    if (!*out)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    return 0;
}
