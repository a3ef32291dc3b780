/*
 * nw_dedup_norm — the text normalization dedup compares: boilerplate lines
 * removed (bylines, "Reuter", "(Reporting by ...)", "blog comments powered
 * by Disqus", copyright and share/follow lines), simple HTML tags dropped,
 * then NFC + Unicode case folding (utf8proc) and every run of characters
 * that are not letters or digits folded to one space. The output is the
 * words of the text separated by single spaces: two copies of a story that
 * differ only in case, spacing, punctuation, markup or boilerplate give the
 * same bytes. Pure functions of their input; no globals.
 */
#ifndef NW_DEDUP_NORM_H
#define NW_DEDUP_NORM_H

#include <stdbool.h>
#include <stddef.h>

/* An output buffer: text[0..len) is NUL-terminated; words counts them. */
typedef struct nw_dedup_norm {
    char *text;
    size_t len, cap;
    size_t words;
} nw_dedup_norm;

void nw_dedup_norm_init(nw_dedup_norm *n);
void nw_dedup_norm_reset(nw_dedup_norm *n); /* empty, keeps the memory */
void nw_dedup_norm_deinit(nw_dedup_norm *n);

/* Append the normalized words of s[0..len) (UTF-8; invalid bytes are
 * ignored). `html` strips tags and decodes the common entities first.
 * Boilerplate is judged line by line (a line = a paragraph in ninjs plain
 * bodies; lines over 300 bytes are never boilerplate). Returns 0, or -1 when out of memory (n keeps
 * what it had). */
int nw_dedup_norm_add(nw_dedup_norm *n, const char *s, size_t len, bool html);

/* True when one line (already trimmed, any case) is boilerplate that never
 * carries the story: exposed for the tests. */
bool nw_dedup_is_boilerplate(const char *line, size_t len);

#endif
