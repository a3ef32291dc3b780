/*
 * nw_text — UTF-8 validation and repair, binary sniffing, whitespace folding,
 * slugs and content hashes. See nw_text.h for the contract.
 *
 * Invariants: every function is pure (no globals, no locale), works on byte
 * buffers that need not be NUL-terminated, and never reads past `len`.
 * Repair decodes stray bytes as windows-1252 (Latin-1 for 0xA0..0xFF); the five
 * bytes cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) become U+FFFD.
 */
#include "nw_text.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---------------------------------------------------------------- UTF-8 --- */

/* Length of the valid UTF-8 sequence at p[0..avail), or 0 when it is not one
 * (truncated, overlong, surrogate, above U+10FFFF). *cp receives the code point. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool nw_utf8_valid(const char *buf, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        /* ASCII eight bytes at a time: most news copy is mostly ASCII */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (!n) {
            if (bad_offset)
                *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* windows-1252 0x80..0x9F; 0xFFFD where cp1252 defines nothing. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

char *nw_utf8_repair(const char *buf, size_t len, size_t *repaired)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t fixed = 0;
    /* a re-decoded byte grows to at most 3 bytes */
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = p[i] < 0x80 ? 1 : utf8_decode(p + i, len - i, &cp);
        if (n) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
            continue;
        }
        unsigned char c = p[i++];
        cp = c < 0xA0 ? cp1252_high[c - 0x80] : c;
        o += utf8_encode(cp, out + o);
        fixed++;
    }
    out[o] = '\0';
    if (repaired)
        *repaired = fixed;
    char *shrunk = realloc(out, o + 1);
    return shrunk ? shrunk : out;
}

/* ------------------------------------------------------------ binary ----- */

bool nw_text_looks_binary(const char *buf, size_t len)
{
    if (len && memchr(buf, '\0', len))
        return true;
    /* control bytes other than TAB, LF, CR and FF count; comparisons rather
     * than a table lookup, so the compiler can run the loop 16+ bytes at a
     * time */
    const unsigned char *u = (const unsigned char *)buf;
    size_t n = len < 4096 ? len : 4096;
    unsigned ctl = 0;
    size_t i = 0;
#ifdef __SSE2__
    /* 16 bytes a turn: every file a spool reads is sniffed here */
    const __m128i top = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'),
                  cr = _mm_set1_epi8('\r'), ff = _mm_set1_epi8('\f');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, top), x); /* x <= 0x1F, unsigned */
        __m128i ok = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, lf)),
                                  _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, ff)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(ok, low));
        if (m) /* rare in text; without -mpopcnt this is a libgcc call */
            ctl += (unsigned)__builtin_popcount(m);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = u[i];
        ctl += (c < 0x20) & (c != '\t') & (c != '\n') & (c != '\r') & (c != '\f');
    }
    /* more than 1% of the sample */
    return ctl * 100 > n;
}

/* -------------------------------------------------------- whitespace ----- */

/* Byte length of the whitespace character at s[0..avail), 0 if none. ASCII
 * space/TAB/LF/VT/FF/CR, NBSP, the U+2000..U+200A spaces, U+2028/2029 line and
 * paragraph separators, U+202F narrow NBSP, U+205F, U+3000 and U+FEFF. */
static size_t space_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c < 0x80)
        return 0;
    uint32_t cp;
    size_t n = utf8_decode(s, avail, &cp);
    if (!n)
        return 0;
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return n;
    return 0;
}

char *nw_text_squeeze(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    bool pending = false;
    while (i < len) {
#ifdef __SSE2__
        /* Prose goes 16 bytes at a time: printable ASCII (as signed bytes,
         * exactly the ones > 0x20) and single spaces between them are copied
         * as they are; the first byte of anything else (a second space, a
         * TAB or newline, a byte >= 0x80) and a space that ends the block
         * are left to the byte-wise path. out has room: o <= i and
         * i + 16 <= len. */
        if (len - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            unsigned plain = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)));
            if (plain & 1) {
                unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
                unsigned stop = (~(plain | sp) & 0xFFFF) | (sp & (sp >> 1)) | 0x10000;
                unsigned run = (unsigned)__builtin_ctz(stop);
                if (sp >> (run - 1) & 1)
                    run--; /* what follows that space is not known yet */
                if (pending) {
                    out[o++] = ' ';
                    pending = false;
                }
                _mm_storeu_si128((__m128i *)(void *)(out + o), x);
                o += run;
                i += run;
                continue;
            }
        }
#endif
        size_t w = space_len(p + i, len - i);
        if (w) {
            pending = o > 0;
            i += w;
            continue;
        }
        if (pending) {
            out[o++] = ' ';
            pending = false;
        }
        out[o++] = (char)p[i++];
    }
    out[o] = '\0';
    return out;
}

/* -------------------------------------------------------------- slug ----- */

#define SLUG_MAX 100

/* Transliteration of U+00C0..U+00FF (NULL = drop: ×, ÷). */
static const char *const latin1_translit[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Latin Extended-A (U+0100..U+017F) as ranges of one base letter. */
static const struct {
    uint16_t lo, hi;
    const char *ascii;
} latin_ext_a[] = {
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"},  {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"},  {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"},  {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"},  {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

static const char *translit(uint32_t cp)
{
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1_translit[cp - 0xC0];
    for (size_t i = 0; i < sizeof latin_ext_a / sizeof latin_ext_a[0]; i++)
        if (cp >= latin_ext_a[i].lo && cp <= latin_ext_a[i].hi)
            return latin_ext_a[i].ascii;
    return NULL;
}

/* Non-ASCII punctuation and spaces separate words like ASCII punctuation does:
 * Latin-1 symbols, x and divide signs, General Punctuation, CJK punctuation,
 * fullwidth ASCII punctuation. */
static bool is_punct(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xFF01 && cp <= 0xFF0F) || cp == 0xFEFF || cp == 0xFFFD;
}

/* Length of s when it is a slug already (what nw_text_slug would return
 * unchanged: [a-z0-9] runs joined by single '-', at most SLUG_MAX bytes),
 * else 0. Categories usually are: each story's default category goes through
 * here. */
static size_t slug_already(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && s[i - 1] != '-'))
            return 0;
        if (i == SLUG_MAX)
            return 0;
    }
    return i > 0 && s[i - 1] != '-' ? i : 0;
}

char *nw_text_slug(const char *s)
{
    size_t same = s ? slug_already(s) : 0;
    if (same) {
        char *copy = malloc(same + 1);
        return copy ? memcpy(copy, s, same + 1) : NULL;
    }
    char *out = malloc(SLUG_MAX + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool dash = false; /* a separator is pending */
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)p), i = 0;
    while (i < len && o < SLUG_MAX) {
        const char *piece = NULL;
        char one[2] = {0, 0};
        uint32_t cp = p[i];
        size_t n = 1;
        if (cp >= 0x80) {
            n = utf8_decode(p + i, len - i, &cp);
            if (!n) {
                n = 1;
                cp = 0xFFFD;
            }
        }
        i += n;
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            one[0] = (char)cp;
            piece = one;
        } else if (cp >= 'A' && cp <= 'Z') {
            one[0] = (char)(cp - 'A' + 'a');
            piece = one;
        } else if (cp >= 0x80 && !is_punct(cp)) {
            piece = translit(cp);
            /* a letter we cannot spell is dropped, not turned into a separator */
            if (!piece)
                continue;
        }
        if (!piece) {
            dash = o > 0;
            continue;
        }
        size_t plen = strlen(piece);
        if (o + (dash ? 1 : 0) + plen > SLUG_MAX)
            break;
        if (dash)
            out[o++] = '-';
        dash = false;
        memcpy(out + o, piece, plen);
        o += plen;
    }
    while (o > 0 && out[o - 1] == '-')
        o--;
    out[o] = '\0';
    return out;
}

/* -------------------------------------------------------------- hash ----- */

void nw_text_hash_hex(const void *buf, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    XXH128_hash_t h = XXH3_128bits(buf, len);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    for (size_t i = 0; i < 16; i++) {
        out[2 * i] = hex[c.digest[i] >> 4];
        out[2 * i + 1] = hex[c.digest[i] & 0xF];
    }
    out[32] = '\0';
}

size_t nw_utf8_clip(char *s)
{
    size_t len = strlen(s);
    /* find the start of the last sequence (at most 3 continuation bytes back) */
    size_t i = len, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && back + 1 < need) {
        s[i - 1] = '\0';
        return i - 1;
    }
    return len;
}
