/*
 * nw_encoding — bytes in whatever charset a provider used, to NFC UTF-8.
 *
 * Decision order (nw_encoding_decode): a byte-order mark wins (UTF-8, UTF-16
 * LE/BE, UTF-32 LE/BE); then UTF-16/32 without BOM sniffed from the NUL
 * pattern of an ASCII first character ("<?xml", "<", a blank); then an
 * override (an HTTP charset); then the declared charset (XML declaration,
 * meta tag) — except that a single-byte declaration (ISO-8859-x,
 * windows-125x, KOI8, ASCII) contradicted by bytes that are valid UTF-8 with
 * at least one multi-byte sequence is treated as UTF-8 and reported (the
 * Spiegel/pa4 trap), and so is a multi-byte declaration (GB2312, Big5...)
 * the bytes are not valid in but are valid UTF-8; then UTF-8 if valid; else
 * stray bytes decoded as windows-1252 (charset "windows-1252" when no valid
 * multi-byte UTF-8 is present) with `repaired` counting them.
 * ISO-8859-1 and US-ASCII are decoded as their superset windows-1252 (as
 * browsers do: "smart quotes" in 0x80-0x9F); GB2312/GBK as GB18030, EUC-KR
 * as CP949, Big5 as Big5-HKSCS. Conversion uses iconv, one U+FFFD per
 * undecodable byte (counted in `repaired`). An unknown charset name falls
 * back to UTF-8 (declared_wrong set) when the bytes are valid UTF-8, else is
 * an NW_EINVAL error naming it. C1 controls (U+0080..U+009F, never meant
 * in news text: windows-1252 "smart quotes" mislabelled as Latin-1 or
 * encoded as UTF-8 from those bytes) become their windows-1252 characters
 * (U+0092 -> U+2019). The result is NFC-normalized (utf8proc).
 *
 * Ownership: nw_decoded.text is malloc'd and owned by the caller
 * (nw_decoded_free). Nothing here keeps state between calls.
 */
#ifndef NW_ENCODING_H
#define NW_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"

typedef struct nw_decoded {
    char *text; /* NFC UTF-8, NUL-terminated, no BOM (UTF-16/32 input
                 * may carry U+0000 inside: use len) */
    size_t len;
    char charset[40]; /* the charset actually used, canonical lower-case ("utf-8", "iso-8859-1") */
    bool declared_wrong; /* a declaration was present and contradicted by the bytes */
    size_t repaired;     /* bytes that had to be guessed (invalid in the charset used) */
    bool borrowed;       /* text points into the caller's input (nw_encoding_decode_view) */
} nw_decoded;

/* Decode buf. `override` (an HTTP charset) and `declared` may be NULL.
 * Returns 0, or NW_EINVAL (unknown charset, undecodable input) with err set. */
int nw_encoding_decode(const char *buf, size_t len, const char *override, const char *declared,
                       nw_decoded *out, nw_err *err);
/* nw_decoded_free does not free borrowed text. */
void nw_decoded_free(nw_decoded *d);

/* nw_encoding_decode without the copy when there is nothing to convert:
 * when the result would be byte for byte the input (valid UTF-8 that is
 * already NFC and has no C1 controls, or ASCII in a single-byte charset),
 * out->text points into buf (out->borrowed set; it is then NOT
 * NUL-terminated: use len, and keep buf alive while using it). Otherwise
 * exactly nw_encoding_decode. */
int nw_encoding_decode_view(const char *buf, size_t len, const char *override, const char *declared,
                            nw_decoded *out, nw_err *err);

/* The encoding named by an XML declaration at the start of buf (after an
 * optional BOM and whitespace; also read from UTF-16/32 declarations), copied
 * lower-case into out. Returns false when there is no declaration or no
 * encoding pseudo-attribute. */
bool nw_encoding_sniff_xml(const char *buf, size_t len, char *out, size_t outlen);

/* "utf-8", "utf-16le", "utf-16be", "utf-32le" or "utf-32be" when buf starts
 * with a byte-order mark (*bom_len = its length) or, for UTF-16/32, with the
 * NUL pattern of an ASCII character (*bom_len = 0); else NULL. Static string.
 * bom_len may be NULL. */
const char *nw_encoding_sniff_unicode(const char *buf, size_t len, size_t *bom_len);

/* Copy of UTF-8 s[0..len) with C1 controls U+0080..U+009F replaced by the
 * windows-1252 characters of the same byte value (U+0092 -> U+2019; the five
 * unassigned ones stay). Malloc'd; *out_len (may be NULL) gets the length.
 * NULL when out of memory. */
char *nw_utf8_fix_c1(const char *s, size_t len, size_t *out_len);

/* NFC-normalize UTF-8 text. Returns a malloc'd string (caller frees) or NULL
 * when s is not valid UTF-8 or memory runs out. */
char *nw_utf8_nfc(const char *s, size_t len);

/* True when valid UTF-8 s[0..len) is certainly NFC already: every code point
 * lies in ranges NFC never changes and that never compose with a preceding
 * character (Latin, Greek, Cyrillic, punctuation, symbols, CJK, Hangul
 * syllables, kana, emoji). The cheap test that lets callers skip utf8proc for
 * most news copy. False means "normalize to be sure", not "not NFC". */
bool nw_utf8_nfc_stable(const char *s, size_t len);

#endif
