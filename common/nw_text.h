/*
 * nw_text — small text utilities shared by parsers and plugins: UTF-8
 * validation and repair, whitespace trimming and folding, slugs for topic
 * and folder names, and stable content hashes for derived identifiers.
 *
 * Functions that return char * allocate with malloc; the caller frees.
 * None of them keeps state or touches globals.
 */
#ifndef NW_TEXT_H
#define NW_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when buf[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * On false, *bad_offset (if non-NULL) receives the offset of the first bad byte. */
bool nw_utf8_valid(const char *buf, size_t len, size_t *bad_offset);

/* Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80, p < end), or 0
 * when it is not one: truncated, overlong, a surrogate or above U+10FFFF (the
 * rules of nw_utf8_valid and of jansson). Inline: the JSON scanners call it
 * for every non-ASCII character. */
static inline size_t nw_utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Copy buf[0..len) into a new NUL-terminated string, decoding every byte that is
 * not part of a valid UTF-8 sequence as Latin-1 / windows-1252 (the documented
 * repair for stray single bytes in agency copy). *repaired counts the bytes
 * that were re-decoded. Returns NULL on allocation failure. */
char *nw_utf8_repair(const char *buf, size_t len, size_t *repaired);

/* Drop a UTF-8 sequence left incomplete at the end of s (what a byte-bounded
 * copy such as snprintf into a fixed buffer can leave), in place. Returns the
 * new length. */
size_t nw_utf8_clip(char *s);

/* True when buf has a NUL byte or C0 control characters other than TAB, LF, CR,
 * FF in more than 1% of the first 4 KiB: a binary file, not text. */
bool nw_text_looks_binary(const char *buf, size_t len);

/* New string: s[0..len) with leading/trailing whitespace removed and internal
 * runs of whitespace (including NBSP) folded to one space. */
char *nw_text_squeeze(const char *s, size_t len);

/* Slug for topic and folder names: lower-case ASCII letters and digits, other
 * runs become one '-', no leading/trailing '-', at most 100 bytes.
 * "Mid-East" -> "mid-east", "Sci/Tech" -> "sci-tech". Non-ASCII letters are
 * transliterated where simple (é -> e) and dropped otherwise. Returns "" when
 * nothing is left (caller decides whether that is an error). */
char *nw_text_slug(const char *s);

/* Stable 128-bit content hash (XXH3-128) of buf as 32 lower-case hex digits
 * written into out (33 bytes with the NUL). */
void nw_text_hash_hex(const void *buf, size_t len, char out[33]);

#endif
