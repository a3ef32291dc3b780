/*
 * nw_json — a fast JSON loader that builds ordinary jansson trees.
 *
 * nw_json_loadb() is a drop-in for jansson 2.14's json_loadb(): the same
 * tree (values, key order, string bytes, duplicate keys replaced in place),
 * the same json_error_t on success. It parses the common case itself (a
 * recursive-descent parser over the buffer, strings scanned eight bytes at a
 * time) and hands the whole buffer to the real json_loadb() whenever it meets
 * anything it does not handle exactly as jansson does, so every error (text,
 * line, column, position) is jansson's own. It never returns a tree jansson
 * would have rejected, and never reports an error itself.
 */
#ifndef NW_JSON_H
#define NW_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parse buf[0..len) like json_loadb(buf, len, flags, error). Flags handled
 * here: JSON_REJECT_DUPLICATES, JSON_DECODE_ANY, JSON_ALLOW_NUL; any other
 * flag goes to jansson. Returns a new reference (caller json_decref()s) or
 * NULL with *error filled by jansson (error may be NULL). Thread-safe. */
json_t *nw_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);

/* Loads since the start of the process (or the last reset), all threads:
 * fast = parsed here, fallback = handed to json_loadb() (errors included). */
typedef struct nw_json_stats {
    unsigned long long fast;
    unsigned long long fallback;
} nw_json_stats;

void nw_json_stats_get(nw_json_stats *out);
void nw_json_stats_reset(void);

/* First byte at or after s that is not plain JSON string content ('"', '\\',
 * < 0x20 or >= 0x80), or end. Eight bytes at a time on little-endian
 * machines. Inline: the string scanners of nw_json and nw_ninjs run
 * it over every string. */
static inline const unsigned char *nw_json_plain_run(const unsigned char *s,
                                                     const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (end - s >= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        /* high bit of a byte set for: < 0x20, == '"', == '\\', >= 0x80; the
         * lowest flagged byte is always a true one (borrows only go up) */
        uint64_t m = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x;
        m &= high;
        if (m)
            return s + (__builtin_ctzll(m) >> 3);
        s += 8;
    }
#endif
    while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
        s++;
    return s;
}

#endif
