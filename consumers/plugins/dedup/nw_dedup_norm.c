/*
 * nw_dedup_norm — boilerplate removal, HTML stripping, NFC + case folding
 * and punctuation folding. See nw_dedup_norm.h.
 */
#include "nw_dedup_norm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

void nw_dedup_norm_init(nw_dedup_norm *n)
{
    memset(n, 0, sizeof *n);
}

void nw_dedup_norm_reset(nw_dedup_norm *n)
{
    n->len = 0;
    n->words = 0;
    if (n->text)
        n->text[0] = '\0';
}

void nw_dedup_norm_deinit(nw_dedup_norm *n)
{
    free(n->text);
    memset(n, 0, sizeof *n);
}

static int reserve(nw_dedup_norm *n, size_t extra)
{
    if (n->len + extra + 1 <= n->cap)
        return 0;
    size_t cap = n->cap ? n->cap : 1024;
    while (cap < n->len + extra + 1)
        cap *= 2;
    char *t = realloc(n->text, cap);
    if (!t)
        return -1;
    n->text = t;
    n->cap = cap;
    return 0;
}

/* ------------------------------------------------------------ boilerplate */

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    return len >= pl && !strncasecmp(s, prefix, pl);
}

/* needle: lower case; its first byte is checked before the whole of it */
static bool contains(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (((unsigned char)s[i] | 0x20) == (unsigned char)needle[0] &&
            !strncasecmp(s + i, needle, nl))
            return true;
    return false;
}

static size_t count_words(const char *s, size_t len)
{
    size_t w = 0;
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        bool sp = s[i] == ' ' || s[i] == '\t';
        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

bool nw_dedup_is_boilerplate(const char *line, size_t len)
{
    if (len > 300)
        return false; /* boilerplate lines are short; a paragraph of story is not */
    /* the letters of the line, lower-cased, for one-word sign-offs */
    char letters[16];
    size_t nl = 0;
    bool only_word = true;
    for (size_t i = 0; i < len && only_word; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c | 32) >= 'a' && (c | 32) <= 'z') {
            if (nl + 1 >= sizeof letters)
                only_word = false;
            else
                letters[nl++] = (char)(c | 32);
        } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')' && c != '\t') {
            only_word = false;
        }
    }
    letters[nl] = '\0';
    if (only_word && nl) {
        static const char *signoffs[] = {"reuter", "reuters", "ap",   "afp", "dpa", "upi",
                                         "end",    "ends",    "more", "mf",  NULL};
        for (size_t i = 0; signoffs[i]; i++)
            if (!strcmp(letters, signoffs[i]))
                return true;
    }
    size_t words = count_words(line, len);
    static const char *credit[] = {"(reporting",   "(editing",
                                   "(writing",     "(additional reporting",
                                   "(compiled by", "(by ",
                                   "reporting by", "editing by",
                                   "writing by",   "additional reporting by",
                                   "compiled by",  NULL};
    for (size_t i = 0; credit[i]; i++)
        if (starts_with(line, len, credit[i]) && words <= 25)
            return true;
    if (starts_with(line, len, "by ") && words <= 7)
        return true; /* a byline: "By Jane Doe, Reuters" */
    if (contains(line, len, "powered by disqus") || contains(line, len, "all rights reserved") ||
        starts_with(line, len, "copyright ") || starts_with(line, len, "(c) ") ||
        starts_with(line, len, "\xc2\xa9"))
        return true;
    static const char *site[] = {"click here",      "follow us",        "follow @",
                                 "share this",      "read more",        "sign up",
                                 "subscribe to",    "advertisement",    "related:",
                                 "related stories", "related articles", "please enable javascript",
                                 "email this",      "print this",       NULL};
    for (size_t i = 0; site[i]; i++)
        if (starts_with(line, len, site[i]) && words <= 15)
            return true;
    return false;
}

/* ------------------------------------------------------------------ HTML */

/* Plain text of an HTML fragment: tags out (block tags become newlines),
 * numeric references decoded, named ones become a space (punctuation is
 * folded anyway) except &amp; &nbsp;. Caller frees. */
static char *strip_html(const char *s, size_t len, size_t *outlen)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '<') {
            const char *gt = memchr(s + i, '>', len - i);
            size_t end = gt ? (size_t)(gt - s) + 1 : len;
            const char *t = s + i + 1;
            if (*t == '/')
                t++;
            bool block = !strncasecmp(t, "p", 1) || !strncasecmp(t, "br", 2) ||
                         !strncasecmp(t, "div", 3) || !strncasecmp(t, "li", 2) ||
                         (t[0] == 'h' && t[1] >= '1' && t[1] <= '6') || !strncasecmp(t, "tr", 2);
            o[k++] = block ? '\n' : ' ';
            i = end;
        } else if (s[i] == '&') {
            const char *semi = memchr(s + i, ';', len - i < 12 ? len - i : 12);
            if (!semi) {
                o[k++] = s[i++];
                continue;
            }
            size_t el = (size_t)(semi - (s + i)) + 1;
            if (s[i + 1] == '#') {
                long cp = s[i + 2] == 'x' || s[i + 2] == 'X' ? strtol(s + i + 3, NULL, 16)
                                                             : strtol(s + i + 2, NULL, 10);
                utf8proc_uint8_t buf[4];
                utf8proc_ssize_t n = utf8proc_codepoint_valid((utf8proc_int32_t)cp)
                                         ? utf8proc_encode_char((utf8proc_int32_t)cp, buf)
                                         : 0;
                if (n > 0 && (size_t)n <= el) {
                    memcpy(o + k, buf, (size_t)n);
                    k += (size_t)n;
                } else {
                    o[k++] = ' ';
                }
            } else {
                o[k++] = ' ';
            }
            i += el;
        } else {
            o[k++] = s[i++];
        }
    }
    o[k] = '\0';
    *outlen = k;
    return o;
}

/* ------------------------------------------------------------- folding */

static bool is_word_char(utf8proc_int32_t cp)
{
    if (cp < 128)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO; /* letters, marks, numbers */
}

/* UTF-8 of one line with invalid bytes dropped (caller frees), for the
 * rare line utf8proc refuses. */
static char *drop_invalid(const char *s, size_t len, size_t *outlen)
{
    char *valid = malloc(len + 1);
    if (!valid)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (r < 1) {
            i++;
            continue;
        }
        memcpy(valid + k, s + i, (size_t)r);
        k += (size_t)r;
        i += (size_t)r;
    }
    *outlen = k;
    return valid;
}

/* NFC + case fold of s[0..len) into *mapped (malloc'd by utf8proc); the
 * length, or -1. Invalid bytes are dropped first when utf8proc refuses the
 * line as it is (valid text, the usual case, is not copied). */
static utf8proc_ssize_t nfc_casefold(const char *s, size_t len, utf8proc_uint8_t **mapped)
{
    const int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE;
    utf8proc_ssize_t ml =
        utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, mapped, opts);
    if (ml != UTF8PROC_ERROR_INVALIDUTF8)
        return ml;
    size_t k;
    char *valid = drop_invalid(s, len, &k);
    if (!valid)
        return -1;
    ml = utf8proc_map((const utf8proc_uint8_t *)valid, (utf8proc_ssize_t)k, mapped, opts);
    free(valid);
    return ml;
}

/* ASCII byte -> itself lower-cased when it is a letter or a digit, else 0. */
static const unsigned char ascii_fold[128] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6',
    ['7'] = '7', ['8'] = '8', ['9'] = '9', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
    ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k',
    ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r',
    ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
    ['z'] = 'z', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
    ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm',
    ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

/* Every byte of s[0..len) is ASCII (8 at a time). */
static bool all_ascii(const char *s, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < len; i++)
        acc |= (unsigned char)s[i];
    return !(acc & 0x8080808080808080ull);
}

/* Fold src[0..slen) (ASCII bytes, or the NFC + case-folded UTF-8 of a
 * piece of a line) into words appended to n, continuing what the pieces
 * before it wrote: *in_word says whether the last one ended inside a word.
 * The output is written through a local cursor (n is updated once at the
 * end); ASCII bytes are classified inline, only other characters go to
 * utf8proc. */
static int fold_piece(nw_dedup_norm *n, const unsigned char *src, size_t slen, unsigned *in_word_p)
{
    if (reserve(n, slen + 1) < 0)
        return -1;
    char *const base = n->text;
    char *o = base + n->len;
    size_t words = 0;
    unsigned in_word = *in_word_p;
    for (size_t i = 0; i < slen;) {
        unsigned char c = src[i];
        if (c < 0x80) {
            /* branch-free: a space goes before a word that starts when
             * something precedes it, the byte (lower-cased) is written and
             * kept only when it belongs to a word. Never writes past
             * base + len + slen + 1 (reserved above). */
            unsigned char f = ascii_fold[c];
            unsigned word = f != 0;
            unsigned starts = word & ~in_word;
            *o = ' ';
            o += starts & (o != base);
            *o = (char)f;
            o += word;
            words += starts;
            in_word = word;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate(src + i, (utf8proc_ssize_t)(slen - i), &cp);
        if (r < 1) {
            i++;
            continue;
        }
        if (!is_word_char(cp)) {
            in_word = 0;
            i += (size_t)r;
            continue;
        }
        if (!in_word) {
            if (o != base)
                *o++ = ' ';
            words++;
            in_word = 1;
        }
        memcpy(o, src + i, (size_t)r);
        o += r;
        i += (size_t)r;
    }
    *o = '\0';
    n->len = (size_t)(o - base);
    n->words += words;
    *in_word_p = in_word;
    return 0;
}

/* Where the piece of s[0..len) that starts at `from` with a non-ASCII byte
 * ends: at the first ASCII byte followed by another ASCII byte or by the
 * end. NFC and case folding of the line are those of its pieces put
 * together, cut there: an ASCII character is a starter that composes with
 * nothing before it, and with nothing after it when an ASCII byte
 * follows. */
static size_t unicode_piece_end(const char *s, size_t len, size_t from)
{
    size_t i = from;
    while (i < len &&
           !(!((unsigned char)s[i] & 0x80) && (i + 1 == len || !((unsigned char)s[i + 1] & 0x80))))
        i++;
    return i;
}

/* Fold one line (valid or not) into words appended to n. Runs of ASCII,
 * the common case, need no NFC or case folding tables: only the pieces
 * around other characters (with the ASCII byte before them, which may
 * compose with a combining mark) go through utf8proc. */
static int fold_line(nw_dedup_norm *n, const char *s, size_t len)
{
    unsigned in_word = 0;
    if (all_ascii(s, len))
        return fold_piece(n, (const unsigned char *)s, len, &in_word);
    size_t saved_len = n->len, saved_words = n->words;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && !((unsigned char)s[j] & 0x80))
            j++;
        if (j < len && j > i)
            j--; /* the ASCII byte before a non-ASCII one goes with it */
        int rc = j > i ? fold_piece(n, (const unsigned char *)s + i, j - i, &in_word) : 0;
        if (rc == 0 && j < len) {
            size_t end = unicode_piece_end(s, len, j);
            utf8proc_uint8_t *mapped = NULL;
            utf8proc_ssize_t ml = nfc_casefold(s + j, end - j, &mapped);
            rc = ml < 0 ? -1 : fold_piece(n, mapped, (size_t)ml, &in_word);
            free(mapped);
            j = end;
        }
        if (rc < 0) {
            n->len = saved_len;
            n->words = saved_words;
            return -1;
        }
        i = j;
    }
    return 0;
}

/* Cut inline credits "(Reporting by X; Editing by Y)" out of a line: the
 * returned length ends before such a parenthesis when nothing but spaces
 * and punctuation follow its ')'. */
static size_t cut_trailing_credit(const char *s, size_t len)
{
    static const char *starts[] = {"(reporting",   "(editing", "(writing", "(additional reporting",
                                   "(compiled by", NULL};
    for (const char *p = memchr(s, '(', len); p;
         p = memchr(p + 1, '(', len - (size_t)(p - s) - 1)) {
        size_t i = (size_t)(p - s);
        for (size_t j = 0; starts[j]; j++) {
            if (!starts_with(s + i, len - i, starts[j]))
                continue;
            const char *close = memchr(s + i, ')', len - i);
            if (!close)
                return i;
            bool tail = true;
            for (const char *q = close + 1; q < s + len && tail; q++)
                tail = *q == ' ' || *q == '.' || *q == '\t';
            if (tail)
                return i;
        }
    }
    return len;
}

int nw_dedup_norm_add(nw_dedup_norm *n, const char *s, size_t len, bool html)
{
    char *plain = NULL;
    if (html) {
        if (!(plain = strip_html(s, len, &len)))
            return -1;
        s = plain;
    }
    size_t saved_len = n->len, saved_words = n->words;
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *line = s + i;
        size_t ll = end - i;
        while (ll && (*line == ' ' || *line == '\t' || *line == '\r'))
            line++, ll--;
        while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\t' || line[ll - 1] == '\r'))
            ll--;
        if (ll && !nw_dedup_is_boilerplate(line, ll))
            rc = fold_line(n, line, cut_trailing_credit(line, ll));
        i = end + 1;
    }
    free(plain);
    if (rc < 0) {
        n->len = saved_len;
        n->words = saved_words;
        if (n->text)
            n->text[n->len] = '\0';
    }
    return rc;
}
