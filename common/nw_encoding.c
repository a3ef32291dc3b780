/*
 * nw_encoding — charset detection and conversion to NFC UTF-8.
 * See nw_encoding.h for the decision order.
 *
 * Implementation notes: windows-1252 (and ISO-8859-1 / US-ASCII, which are
 * decoded as their windows-1252 superset, as browsers do) is decoded here by
 * table so it can never fail; everything else goes through iconv with one
 * U+FFFD per undecodable byte. NFC comes from utf8proc. No state is kept.
 */
#include "nw_encoding.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nw_text.h"

/* --------------------------------------------------------------- names --- */

typedef struct charset_info {
    const char *canon; /* what nw_decoded.charset reports */
    const char *iconv; /* name given to iconv_open; NULL = built-in cp1252 */
    bool single_byte;  /* subject to the "declared Latin-1 but really UTF-8" rule */
} charset_info;

/* Aliases seen in feeds and wire copy, after lower-casing and turning '_'
 * into '-'. Names not listed here are tried with iconv as they are. */
static const struct {
    const char *alias;
    charset_info info;
} aliases[] = {
    {"utf-8", {"utf-8", "UTF-8", false}},
    {"utf8", {"utf-8", "UTF-8", false}},
    {"unicode-1-1-utf-8", {"utf-8", "UTF-8", false}},
    {"utf-16", {"utf-16", "UTF-16", false}},
    {"utf16", {"utf-16", "UTF-16", false}},
    {"u16", {"utf-16", "UTF-16", false}},
    {"ucs-2", {"utf-16", "UTF-16", false}},
    {"utf-16le", {"utf-16le", "UTF-16LE", false}},
    {"utf-16be", {"utf-16be", "UTF-16BE", false}},
    {"utf-32", {"utf-32", "UTF-32", false}},
    {"utf32", {"utf-32", "UTF-32", false}},
    {"u32", {"utf-32", "UTF-32", false}},
    {"ucs-4", {"utf-32", "UTF-32", false}},
    {"utf-32le", {"utf-32le", "UTF-32LE", false}},
    {"utf-32be", {"utf-32be", "UTF-32BE", false}},
    {"us-ascii", {"us-ascii", NULL, true}},
    {"ascii", {"us-ascii", NULL, true}},
    {"ansi-x3.4-1968", {"us-ascii", NULL, true}},
    {"iso-8859-1", {"iso-8859-1", NULL, true}},
    {"iso8859-1", {"iso-8859-1", NULL, true}},
    {"iso-8859-1:1987", {"iso-8859-1", NULL, true}},
    {"iso-ir-100", {"iso-8859-1", NULL, true}},
    {"latin1", {"iso-8859-1", NULL, true}},
    {"latin-1", {"iso-8859-1", NULL, true}},
    {"l1", {"iso-8859-1", NULL, true}},
    {"windows-1252", {"windows-1252", NULL, true}},
    {"cp1252", {"windows-1252", NULL, true}},
    {"x-cp1252", {"windows-1252", NULL, true}},
    {"windows-1250", {"windows-1250", "CP1250", true}},
    {"cp1250", {"windows-1250", "CP1250", true}},
    {"windows-1251", {"windows-1251", "CP1251", true}},
    {"cp1251", {"windows-1251", "CP1251", true}},
    {"windows-1253", {"windows-1253", "CP1253", true}},
    {"windows-1254", {"windows-1254", "CP1254", true}},
    {"windows-1257", {"windows-1257", "CP1257", true}},
    {"iso-8859-2", {"iso-8859-2", "ISO-8859-2", true}},
    {"iso8859-2", {"iso-8859-2", "ISO-8859-2", true}},
    {"latin2", {"iso-8859-2", "ISO-8859-2", true}},
    {"iso-8859-15", {"iso-8859-15", "ISO-8859-15", true}},
    {"latin-9", {"iso-8859-15", "ISO-8859-15", true}},
    {"koi8-r", {"koi8-r", "KOI8-R", true}},
    {"koi8-u", {"koi8-u", "KOI8-U", true}},
    /* GB2312 and GBK are subsets of GB18030: decode with the superset. */
    {"gb2312", {"gb2312", "GB18030", false}},
    {"gb-2312-80", {"gb2312", "GB18030", false}},
    {"euc-cn", {"gb2312", "GB18030", false}},
    {"gbk", {"gbk", "GB18030", false}},
    {"x-gbk", {"gbk", "GB18030", false}},
    {"cp936", {"gbk", "GB18030", false}},
    {"gb18030", {"gb18030", "GB18030", false}},
    {"big5", {"big5", "BIG5-HKSCS", false}},
    {"big-5", {"big5", "BIG5-HKSCS", false}},
    {"cn-big5", {"big5", "BIG5-HKSCS", false}},
    {"big5-hkscs", {"big5-hkscs", "BIG5-HKSCS", false}},
    /* EUC-KR is a subset of Microsoft's CP949 (UHC). */
    {"euc-kr", {"euc-kr", "CP949", false}},
    {"ks-c-5601-1987", {"euc-kr", "CP949", false}},
    {"cp949", {"euc-kr", "CP949", false}},
    {"shift-jis", {"shift-jis", "CP932", false}},
    {"sjis", {"shift-jis", "CP932", false}},
    {"euc-jp", {"euc-jp", "EUC-JP", false}},
    {"iso-2022-jp", {"iso-2022-jp", "ISO-2022-JP", false}},
};

/* Canonical form of a charset name: trimmed of blanks and quotes,
 * lower-case, '_' -> '-'. Returns false when nothing is left. */
static bool canon_name(const char *name, char *out, size_t outlen)
{
    while (*name && (isspace((unsigned char)*name) || *name == '"' || *name == '\''))
        name++;
    size_t n = strlen(name);
    while (n && (isspace((unsigned char)name[n - 1]) || name[n - 1] == '"' || name[n - 1] == '\''))
        n--;
    if (n == 0 || n >= outlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        out[i] = c == '_' ? '-' : c;
    }
    out[n] = '\0';
    return true;
}

/* Fill *info for a canonical name. Unlisted names are passed to iconv as
 * given; single_byte is then guessed from the family name. */
static void lookup_charset(const char *canon, charset_info *info, char *iconv_buf, size_t iconv_len)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (!strcmp(aliases[i].alias, canon)) {
            *info = aliases[i].info;
            return;
        }
    }
    snprintf(iconv_buf, iconv_len, "%s", canon);
    info->canon = canon;
    info->iconv = iconv_buf;
    info->single_byte = !strncmp(canon, "iso-8859-", 9) || !strncmp(canon, "windows-125", 11) ||
                        !strncmp(canon, "cp125", 5) || !strncmp(canon, "koi8", 4);
}

/* -------------------------------------------------------------- sniffing --- */

/* Unicode encoding from a BOM, with its length, or NULL. */
static const char *bom_charset(const unsigned char *b, size_t len, size_t *bom_len)
{
    if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        *bom_len = 3;
        return "utf-8";
    }
    if (len >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0) {
        *bom_len = 4;
        return "utf-32le";
    }
    if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF) {
        *bom_len = 4;
        return "utf-32be";
    }
    if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
        *bom_len = 2;
        return "utf-16le";
    }
    if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
        *bom_len = 2;
        return "utf-16be";
    }
    return NULL;
}

/* UTF-16/32 without BOM from the NUL pattern of an ASCII first character
 * ("<", a blank, a letter), or NULL. */
static const char *wide_charset(const unsigned char *b, size_t len)
{
    if (len < 4)
        return NULL;
    if (!b[0] && !b[1] && !b[2] && b[3] && b[3] < 0x80)
        return "utf-32be";
    if (b[0] && b[0] < 0x80 && !b[1] && !b[2] && !b[3])
        return "utf-32le";
    if (!b[0] && b[1] && b[1] < 0x80 && !b[2] && b[3] && b[3] < 0x80)
        return "utf-16be";
    if (b[0] && b[0] < 0x80 && !b[1] && b[2] && b[2] < 0x80 && !b[3])
        return "utf-16le";
    return NULL;
}

const char *nw_encoding_sniff_unicode(const char *buf, size_t len, size_t *bom_len)
{
    size_t bl = 0;
    const char *cs = buf ? bom_charset((const unsigned char *)buf, len, &bl) : NULL;
    if (!cs && buf)
        cs = wide_charset((const unsigned char *)buf, len);
    if (bom_len)
        *bom_len = bl;
    return cs;
}

bool nw_encoding_sniff_xml(const char *buf, size_t len, char *out, size_t outlen)
{
    if (!buf || !out || outlen == 0)
        return false;
    const unsigned char *b = (const unsigned char *)buf;
    size_t bl = 0;
    const char *cs = nw_encoding_sniff_unicode(buf, len, &bl);
    size_t unit = 1;
    bool be = false;
    if (cs && strcmp(cs, "utf-8")) {
        unit = strstr(cs, "32") ? 4 : 2;
        be = strstr(cs, "be") != NULL;
    }
    /* an ASCII image of the first characters: enough for the declaration */
    char head[512];
    size_t h = 0;
    for (size_t i = bl; i + unit <= len && h < sizeof head - 1; i += unit) {
        uint32_t c = 0;
        for (size_t k = 0; k < unit; k++)
            c = be ? (c << 8) | b[i + k] : c | (uint32_t)b[i + k] << (8 * k);
        head[h++] = c > 0 && c < 0x80 ? (char)c : '?';
    }
    head[h] = '\0';
    const char *p = head;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (strncmp(p, "<?xml", 5) || !(p[5] == ' ' || p[5] == '\t' || p[5] == '\n' || p[5] == '\r'))
        return false;
    const char *end = strstr(p, "?>");
    if (!end)
        return false;
    for (const char *q = p + 5; q < end; q++) {
        if (strncmp(q, "encoding", 8) ||
            !(q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n' || q[-1] == '\r'))
            continue;
        const char *v = q + 8;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        if (*v != '=')
            continue;
        v++;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        char quote = *v;
        if (quote != '"' && quote != '\'')
            return false;
        const char *close = memchr(v + 1, quote, (size_t)(end - v - 1));
        if (!close)
            return false;
        size_t n = (size_t)(close - v - 1);
        if (n == 0 || n >= outlen)
            return false;
        for (size_t i = 0; i < n; i++)
            out[i] = (char)tolower((unsigned char)v[1 + i]);
        out[n] = '\0';
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ decoders --- */

/* windows-1252 0x80..0x9F; the five unassigned bytes map to the C1 control
 * of the same value, as ISO-8859-1 would. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static size_t put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
}

/* Decode windows-1252; never fails except for memory. *high counts bytes >= 0x80. */
static char *decode_cp1252(const unsigned char *b, size_t len, size_t *out_len, size_t *high)
{
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, h = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = b[i];
        if (c >= 0x80) {
            h++;
            if (c < 0xA0)
                c = cp1252_c1[c - 0x80];
        }
        o += put_utf8(out + o, c);
    }
    out[o] = '\0';
    *out_len = o;
    if (high)
        *high = h;
    return out;
}

/* Converters to UTF-8 kept open for reuse: glibc loads a gconv module
 * (dlopen) on every iconv_open and unloads it on iconv_close, which cost
 * more than the conversion for a feed of a few kB. A converter is taken
 * out of the pool while in use (a handle is not thread-safe), reset, and
 * put back; at most ICONV_POOL idle ones are kept, for the process's life. */
#define ICONV_POOL 8
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[40];
    iconv_t cd;
} pool[ICONV_POOL];
static size_t pool_len;

/* A converter from charset to UTF-8 in its initial state, or (iconv_t)-1. */
static iconv_t cd_get(const char *charset)
{
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < pool_len; i++) {
        if (!strcmp(pool[i].name, charset)) {
            iconv_t cd = pool[i].cd;
            pool[i] = pool[--pool_len];
            pthread_mutex_unlock(&pool_lock);
            iconv(cd, NULL, NULL, NULL, NULL);
            return cd;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return iconv_open("UTF-8", charset);
}

/* Give back a converter from cd_get. */
static void cd_put(const char *charset, iconv_t cd)
{
    if (cd == (iconv_t)-1)
        return;
    pthread_mutex_lock(&pool_lock);
    if (pool_len < ICONV_POOL && strlen(charset) < sizeof pool[0].name) {
        snprintf(pool[pool_len].name, sizeof pool[0].name, "%s", charset);
        pool[pool_len++].cd = cd;
        cd = (iconv_t)-1;
    }
    pthread_mutex_unlock(&pool_lock);
    if (cd != (iconv_t)-1)
        iconv_close(cd);
}

/* Decode with iconv. strict: fail (return -1, NULL) at the first undecodable
 * byte; else write U+FFFD for it and count it in *bad. Returns 0, -1 when
 * strict decoding failed, NW_ENOMEM, or NW_EINVAL when iconv does not know
 * the charset. */
static int decode_iconv(const char *charset, const char *buf, size_t len, bool strict, char **out,
                        size_t *out_len, size_t *bad)
{
    iconv_t cd = cd_get(charset);
    if (cd == (iconv_t)-1)
        return NW_EINVAL;
    size_t cap = len * 2 + 64, o = 0;
    char *res = malloc(cap + 1);
    if (!res) {
        cd_put(charset, cd);
        return NW_ENOMEM;
    }
    char *in = (char *)buf;
    size_t inleft = len;
    size_t nbad = 0;
    int rc = 0;
    while (inleft > 0) {
        char *op = res + o;
        size_t oleft = cap - o;
        size_t r = iconv(cd, &in, &inleft, &op, &oleft);
        o = (size_t)(op - res);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG || cap - o < 8) {
            size_t ncap = cap * 2;
            char *n = realloc(res, ncap + 1);
            if (!n) {
                rc = NW_ENOMEM;
                break;
            }
            res = n;
            cap = ncap;
            continue;
        }
        /* EILSEQ, or EINVAL: an incomplete sequence at the end */
        if (strict) {
            rc = -1;
            break;
        }
        int incomplete = errno == EINVAL;
        memcpy(res + o, "\xEF\xBF\xBD", 3);
        o += 3;
        nbad += incomplete ? inleft : 1;
        if (incomplete)
            break;
        in++;
        inleft--;
        iconv(cd, NULL, NULL, NULL, NULL); /* reset shift state */
    }
    cd_put(charset, cd);
    if (rc != 0) {
        free(res);
        return rc;
    }
    res[o] = '\0';
    *out = res;
    *out_len = o;
    if (bad)
        *bad = nbad;
    return 0;
}

/* True when buf has at least one valid multi-byte UTF-8 sequence (buf is
 * known to be valid UTF-8: any byte >= 0x80 then belongs to one). */
static bool has_high_byte(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)buf[i] >= 0x80)
            return true;
    return false;
}

/* NFC of valid UTF-8 s[0..len) (embedded U+0000 allowed); *out_len gets
 * the length. NULL when out of memory or utf8proc refuses. */
static char *nfc_len(const char *s, size_t len, size_t *out_len)
{
    if (nw_utf8_nfc_stable(s, len)) {
        char *out = malloc(len + 1);
        if (!out)
            return NULL;
        memcpy(out, s, len);
        out[len] = '\0';
        *out_len = len;
        return out;
    }
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0) {
        free(dst);
        return NULL;
    }
    *out_len = (size_t)n;
    return (char *)dst;
}

/* Code points that NFC never changes and that never compose with what comes
 * before them: canonical-decomposition singletons, composition exclusions,
 * combining marks (ccc != 0) and composing second halves (Hangul jamo, Indic
 * vowel signs, kana voicing marks) all lie outside these ranges. Ranges are
 * checked exhaustively against utf8proc in tests/unit/test_encoding.c. */
static const struct {
    uint32_t lo, hi;
} nfc_stable_ranges[] = {
    {0x0000, 0x02FF}, {0x0370, 0x0373}, {0x0375, 0x037D}, {0x037F, 0x0386},   {0x0388, 0x0482},
    {0x048A, 0x052F}, {0x1E00, 0x1EFF}, {0x2002, 0x20CF}, {0x20DD, 0x20E0},   {0x20E2, 0x20E4},
    {0x2100, 0x2125}, {0x2127, 0x2129}, {0x212C, 0x2328}, {0x232B, 0x2ADB},   {0x2ADD, 0x2BFF},
    {0x3000, 0x3029}, {0x3030, 0x3098}, {0x309B, 0x30FF}, {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},
    {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFF00, 0xFFEF}, {0x1F300, 0x1FAFF},
};

static bool nfc_stable_cp(uint32_t cp)
{
    size_t lo = 0, hi = sizeof nfc_stable_ranges / sizeof nfc_stable_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < nfc_stable_ranges[mid].lo)
            hi = mid;
        else if (cp > nfc_stable_ranges[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool nw_utf8_nfc_stable(const char *s, size_t len)
{
    /* Fast path first: no byte >= 0xCC means no code point from U+0300 on. */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        /* ASCII eight bytes at a time */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w & 0x8080808080808080ull)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        if (*p < 0xCC) {
            p++;
            continue;
        }
        /* a lead byte of U+0300 or above: decode it (input is valid UTF-8) */
        uint32_t cp;
        size_t n;
        if (*p < 0xE0) {
            cp = *p & 0x1F;
            n = 2;
        } else if (*p < 0xF0) {
            cp = *p & 0x0F;
            n = 3;
        } else {
            cp = *p & 0x07;
            n = 4;
        }
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        if (!nfc_stable_cp(cp))
            return false;
        p += n;
    }
    return true;
}

char *nw_utf8_nfc(const char *s, size_t len)
{
    size_t n;
    if (!s || !nw_utf8_valid(s, len, NULL))
        return NULL;
    return nfc_len(s, len, &n);
}

char *nw_utf8_fix_c1(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + len / 2 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F) {
            o += put_utf8(out + o, cp1252_c1[(unsigned char)s[i + 1] - 0x80]);
            i++;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

/* True when s has a C1 control (U+0080..U+009F). */
static bool has_c1(const char *s, size_t len)
{
    /* every C1 control starts with 0xC2: jump from one to the next with
     * memchr instead of walking every byte after the first (a no-break
     * space near the top of a feed made that a byte loop over the rest) */
    const char *end = s + len;
    for (const char *p = s; p < end; p++) {
        p = memchr(p, 0xC2, (size_t)(end - p));
        if (!p)
            return false;
        if (p + 1 < end && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9F)
            return true;
    }
    return false;
}

static char *memdup0(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

/* -------------------------------------------------------------- decode --- */

void nw_decoded_free(nw_decoded *d)
{
    if (!d)
        return;
    if (!d->borrowed)
        free(d->text);
    d->borrowed = false;
    d->text = NULL;
    d->len = 0;
}

/* Set out->text to the NFC form of the UTF-8 string `text` (which is freed). */
static int finish(nw_decoded *out, char *text, size_t len, nw_err *err)
{
    if (!text)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (has_c1(text, len)) {
        size_t fixed_len = 0;
        char *fixed = nw_utf8_fix_c1(text, len, &fixed_len);
        free(text);
        if (!fixed)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        text = fixed;
        len = fixed_len;
    }
    size_t n = 0;
    char *nfc = nfc_len(text, len, &n);
    free(text);
    if (!nfc)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    out->text = nfc;
    out->len = n;
    return 0;
}

/* Set out->text to the NFC form of the valid UTF-8 body[0..len): the body
 * itself when `borrow` and nothing would change, else a converted copy. */
static int finish_copy(nw_decoded *out, const char *body, size_t len, bool borrow, nw_err *err)
{
    if (borrow && !has_c1(body, len) && nw_utf8_nfc_stable(body, len)) {
        out->text = (char *)body;
        out->len = len;
        out->borrowed = true;
        return 0;
    }
    return finish(out, memdup0(body, len), len, err);
}

/* Decode `body` in charset `info`; falls back to UTF-8 when a declared
 * charset is contradicted by valid UTF-8. */
static int decode_as(const char *body, size_t len, const charset_info *info, bool declared,
                     bool borrow, nw_decoded *out, nw_err *err)
{
    bool valid = nw_utf8_valid(body, len, NULL);
    snprintf(out->charset, sizeof out->charset, "%s", info->canon);

    if (info->iconv && !strcmp(info->iconv, "UTF-8")) {
        if (valid)
            return finish_copy(out, body, len, borrow, err);
        size_t count = 0;
        char *rep = nw_utf8_repair(body, len, &count);
        if (!rep)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        /* the declaration is right, the bytes are broken: repaired, not
         * "declared wrong" (which said "read as utf-8" of bytes that are not) */
        out->repaired = count;
        return finish(out, rep, strlen(rep), err);
    }

    if (valid && has_high_byte(body, len)) {
        /* the Spiegel/pa4 trap: declared Latin-1 (or Shift_JIS, GB2312...),
         * written in UTF-8; legacy text that is also valid UTF-8 with bytes
         * over 0x7F is rare enough, and UTF-8 read as Shift_JIS decodes to
         * mojibake without an error */
        snprintf(out->charset, sizeof out->charset, "utf-8");
        out->declared_wrong = declared;
        return finish_copy(out, body, len, borrow, err);
    }

    char *text = NULL;
    size_t tlen = 0;
    if (!info->iconv) {
        if (!has_high_byte(body, len)) /* ASCII: windows-1252 changes nothing */
            return finish_copy(out, body, len, borrow, err);
        text = decode_cp1252((const unsigned char *)body, len, &tlen, NULL);
        if (!text)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        return finish(out, text, tlen, err);
    }
    int rc = decode_iconv(info->iconv, body, len, true, &text, &tlen, NULL);
    if (rc == -1 && valid && has_high_byte(body, len)) {
        /* not decodable as declared, but valid UTF-8: the declaration lied */
        snprintf(out->charset, sizeof out->charset, "utf-8");
        out->declared_wrong = declared;
        return finish_copy(out, body, len, borrow, err);
    }
    if (rc == -1)
        rc = decode_iconv(info->iconv, body, len, false, &text, &tlen, &out->repaired);
    if (rc == NW_ENOMEM)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (rc < 0)
        return nw_err_set(err, NW_EINVAL, "unknown charset '%s'", info->canon);
    return finish(out, text, tlen, err);
}

static int decode_impl(const char *buf, size_t len, const char *override, const char *declared,
                       bool borrow, nw_decoded *out, nw_err *err)
{
    memset(out, 0, sizeof *out);
    if (!buf)
        buf = "";
    char name[40], iconv_name[40];
    charset_info info;

    /* 1. a byte-order mark, 2. the NUL pattern of UTF-16/32 */
    size_t bl = 0;
    const char *uni = nw_encoding_sniff_unicode(buf, len, &bl);
    if (uni) {
        lookup_charset(uni, &info, iconv_name, sizeof iconv_name);
        const char *body = buf + bl;
        size_t blen = len - bl;
        if (declared && canon_name(declared, name, sizeof name)) {
            charset_info d;
            lookup_charset(name, &d, iconv_name, sizeof iconv_name);
            /* "utf-16" for UTF-16LE bytes is right; "iso-8859-1" is not */
            out->declared_wrong = strncmp(d.canon, uni, 6) != 0;
        }
        if (!strcmp(uni, "utf-8")) {
            bool wrong = out->declared_wrong;
            int rc = decode_as(body, blen, &info, false, borrow, out, err);
            out->declared_wrong = wrong || out->declared_wrong;
            return rc;
        }
        char *text = NULL;
        size_t tlen = 0;
        snprintf(out->charset, sizeof out->charset, "%s", uni);
        int rc = decode_iconv(info.iconv, body, blen, false, &text, &tlen, &out->repaired);
        if (rc < 0)
            return nw_err_set(err, rc == NW_ENOMEM ? NW_ENOMEM : NW_EINVAL,
                              rc == NW_ENOMEM ? "out of memory" : "cannot decode %s", uni);
        return finish(out, text, tlen, err);
    }

    /* 3. the override, 4. the declaration; an unknown name falls back to
     * UTF-8 when the bytes are valid UTF-8, else is an error naming it */
    const char *given[2] = {override, declared};
    for (int i = 0; i < 2; i++) {
        if (!given[i] || !canon_name(given[i], name, sizeof name))
            continue;
        lookup_charset(name, &info, iconv_name, sizeof iconv_name);
        if (info.iconv && strcmp(info.iconv, "UTF-8")) {
            iconv_t cd = cd_get(info.iconv);
            if (cd == (iconv_t)-1) {
                if (nw_utf8_valid(buf, len, NULL)) {
                    lookup_charset("utf-8", &info, iconv_name, sizeof iconv_name);
                    out->declared_wrong = true;
                    return decode_as(buf, len, &info, false, borrow, out, err);
                }
                return nw_err_set(err, NW_EINVAL,
                                  "unknown charset '%s' (and the bytes are not UTF-8)", name);
            }
            cd_put(info.iconv, cd);
        }
        return decode_as(buf, len, &info, true, borrow, out, err);
    }

    /* 5. UTF-8 when valid, 6. else windows-1252 */
    if (nw_utf8_valid(buf, len, NULL)) {
        snprintf(out->charset, sizeof out->charset, "utf-8");
        return finish_copy(out, buf, len, borrow, err);
    }
    /* stray bytes decoded as windows-1252, valid UTF-8 sequences kept; when
     * every byte >= 0x80 was stray, this is plain windows-1252 text */
    size_t count = 0, high = 0;
    for (size_t i = 0; i < len; i++)
        high += (unsigned char)buf[i] >= 0x80;
    char *text = nw_utf8_repair(buf, len, &count);
    if (!text)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    snprintf(out->charset, sizeof out->charset, "%s", count == high ? "windows-1252" : "utf-8");
    out->repaired = count;
    return finish(out, text, strlen(text), err);
}

int nw_encoding_decode(const char *buf, size_t len, const char *override, const char *declared,
                       nw_decoded *out, nw_err *err)
{
    return decode_impl(buf, len, override, declared, false, out, err);
}

int nw_encoding_decode_view(const char *buf, size_t len, const char *override, const char *declared,
                            nw_decoded *out, nw_err *err)
{
    return decode_impl(buf, len, override, declared, true, out, err);
}
