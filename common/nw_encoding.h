/*
 * nw_encoding — bytes in whatever charset a provider used, to NFC UTF-8.
 *
 * Decision order (nw_encoding_decode): a byte-order mark wins (UTF-8, UTF-16
 * LE/BE, UTF-32 LE/BE); then an override (an HTTP charset); then the declared
 * charset (XML declaration, meta tag) — except that a single-byte declaration
 * (ISO-8859-x, windows-125x, ASCII) contradicted by bytes that are valid UTF-8
 * with at least one multi-byte sequence is treated as UTF-8 and reported
 * (the Spiegel/pa4 trap); then UTF-16/32 without BOM sniffed from the
 * "<?xml" / "<" pattern of NULs; then UTF-8 if valid; else windows-1252
 * with a warning. Conversion uses iconv; an unknown charset name is an error
 * naming it. The result is NFC-normalized (utf8proc).
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
    char *text;           /* NFC UTF-8, NUL-terminated, no BOM */
    size_t len;
    char charset[40];     /* the charset actually used, canonical lower-case ("utf-8", "iso-8859-1") */
    bool declared_wrong;  /* a declaration was present and contradicted by the bytes */
    size_t repaired;      /* bytes that had to be guessed (invalid in the charset used) */
} nw_decoded;

/* Decode buf. `override` (an HTTP charset) and `declared` may be NULL.
 * Returns 0, or NW_EINVAL (unknown charset, undecodable input) with err set. */
int nw_encoding_decode(const char *buf, size_t len, const char *override, const char *declared,
                       nw_decoded *out, nw_err *err);
void nw_decoded_free(nw_decoded *d);

/* The encoding named by an XML declaration at the start of buf (after an
 * optional BOM and whitespace; also read from UTF-16/32 declarations), copied
 * lower-case into out. Returns false when there is no declaration or no
 * encoding pseudo-attribute. */
bool nw_encoding_sniff_xml(const char *buf, size_t len, char *out, size_t outlen);

/* NFC-normalize UTF-8 text. Returns a malloc'd string (caller frees) or NULL
 * when s is not valid UTF-8 or memory runs out. */
char *nw_utf8_nfc(const char *s, size_t len);

#endif
