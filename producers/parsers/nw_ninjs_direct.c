/*
 * nw_ninjs_direct — a ninjs 3.x object read straight from its bytes into an
 * nw_story (see nw_ninjs_direct.h for the contract and the subset).
 *
 * One pass over the buffer: strings are scanned eight bytes at a time for
 * the bytes that need a look ('"', '\\', controls, >= 0x80), checked the way
 * jansson checks them (strict UTF-8, no controls, valid escapes, no \u0000,
 * no lone surrogates) and copied once into the story. Every rule of the tree
 * path that could warn, fail, keep an extra or convert is a decline here:
 * unknown or variant names (ednote, byline, provider, representationType,
 * usageTerms ...), duplicate keys, wrong JSON types, reals, negative numbers,
 * timestamps nw_time_parse refuses, pubStatus "draft" or unknown, types
 * outside the ninjs enum, members of texts and entities that would be extras,
 * a missing or empty uri, a document the version detection would read as 2.x.
 * What it accepts mirrors nw_parse_ninjs.c's tolerate_variants and
 * nw_ninjs.c's decode_v3 (take_string, take_time, type aliases, the pubStatus
 * and urgency checks, decode_texts, decode_entities): keep them in step.
 */
#include "nw_ninjs_direct.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_json.h"
#include "nw_ninjs.h"
#include "nw_text.h"
#include "nw_time.h"

typedef struct reader {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* one past the last byte */
} reader;

/* A string token: its source bytes between the quotes, already checked. */
typedef struct span {
    const char *ptr;
    size_t len;
    bool escaped; /* has backslash escapes: decode_into() before use */
} span;

/* ------------------------------------------------------------ tokens --- */

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline void skip_ws(reader *r)
{
    while (r->p < r->end && is_ws(*r->p))
        r->p++;
}

/* The next token is c: consumed (true), or left alone (false). */
static inline bool eat(reader *r, unsigned char c)
{
    skip_ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    return false;
}

/* A string token at r (after whitespace). Checks the raw bytes (controls,
 * UTF-8); escapes are only skipped here and checked by decode_into(). */
static bool scan_string(reader *r, span *s)
{
    skip_ws(r);
    if (r->p >= r->end || *r->p != '"')
        return false;
    const unsigned char *start = r->p + 1, *p = start, *end = r->end;
    bool escaped = false;
    for (;;) {
        p = nw_json_plain_run(p, end);
        if (p >= end)
            return false;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            if (end - p < 2)
                return false;
            escaped = true;
            p += 2;
        } else if (c < 0x20) {
            return false;
        } else if (c >= 0x80) {
            size_t n = nw_utf8_seq_len(p, end);
            if (!n)
                return false;
            p += n;
        }
    }
    s->ptr = (const char *)start;
    s->len = (size_t)(p - start);
    s->escaped = escaped;
    r->p = p + 1;
    return true;
}

static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* An escaped string decoded into out (room for s->len + 1 bytes: decoding
 * never grows). False for an escape jansson refuses: unknown, short \u, a
 * lone surrogate, U+0000. */
static bool decode_into(const span *s, char *out)
{
    const char *p = s->ptr, *end = p + s->len;
    char *o = out;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++; /* scan_string: a byte follows every backslash */
        switch (*p++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp = end - p >= 4 ? hex4(p) : -1;
            if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return false;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | cp >> 12);
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | cp >> 18);
                *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: return false;
        }
    }
    *o = '\0';
    return true;
}

/* The string as a new C string (caller frees); NULL on a bad escape or
 * when out of memory. */
static char *take(const span *s)
{
    char *c = malloc(s->len + 1);
    if (!c)
        return NULL;
    if (!s->escaped) {
        memcpy(c, s->ptr, s->len);
        c[s->len] = '\0';
    } else if (!decode_into(s, c)) {
        free(c);
        return NULL;
    }
    return c;
}

/* The string as a C string for a call that copies it: in small (cap bytes)
 * when it fits, else a new one in *heap (caller frees). NULL as take(). */
static const char *borrow(const span *s, char *small, size_t cap, char **heap)
{
    *heap = NULL;
    if (s->len < cap) {
        if (!s->escaped) {
            memcpy(small, s->ptr, s->len);
            small[s->len] = '\0';
            return small;
        }
        return decode_into(s, small) ? small : NULL;
    }
    return *heap = take(s);
}

/* A JSON integer jansson reads as an integer: 0 or [1-9][0-9]*, here at most
 * 15 digits and never negative (the rest declines). */
static bool scan_uint(reader *r, long long *out)
{
    skip_ws(r);
    const unsigned char *p = r->p, *end = r->end;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    long long n = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (++digits > 15 || (digits == 2 && n == 0))
            return false; /* too long, or a leading zero (jansson: error) */
        n = n * 10 + (*p++ - '0');
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return false; /* a real */
    r->p = p;
    *out = n;
    return true;
}

/* ----------------------------------------------------------- members --- */

/* The top-level names read here. */
enum key {
    K_URI,
    K_TYPE,
    K_VERSION,
    K_VERSION_CREATED,
    K_FIRST_CREATED,
    K_CONTENT_CREATED,
    K_EMBARGOED_UNTIL,
    K_PUB_STATUS,
    K_URGENCY,
    K_LANGUAGE,
    K_SLUGLINE,
    K_BY,
    K_LOCATED,
    K_ED_NOTE,
    K_COPYRIGHT_NOTICE,
    K_HEADLINES, /* the texts, in this order */
    K_BODIES,
    K_DESCRIPTIONS,
    K_SUBJECTS, /* the entities, in this order */
    K_PLACES,
    K_PEOPLE,
    K_ORGANISATIONS,
    K_GENRES,
    K_INFO_SOURCES,
    K_UNKNOWN,
};

#define BIT(k) (1u << (k))
/* What nw_ninjs_detect_version reads among these names: 3.x-only names, and
 * the 2.x names (3.x has them too) that make a document without any 3.x-only
 * name 2.x. */
#define V3_MARKERS                                                                                 \
    (BIT(K_VERSION_CREATED) | BIT(K_FIRST_CREATED) | BIT(K_CONTENT_CREATED) |                      \
     BIT(K_EMBARGOED_UNTIL) | BIT(K_PUB_STATUS) | BIT(K_COPYRIGHT_NOTICE) | BIT(K_ED_NOTE) |       \
     BIT(K_INFO_SOURCES))
#define V2_MARKERS (BIT(K_HEADLINES) | BIT(K_BODIES) | BIT(K_DESCRIPTIONS))

static enum key key_of(const char *k, size_t n)
{
    /* clang-format off */
#define IS(name, id) if (n == sizeof name - 1 && !memcmp(k, name, n)) return id;
    if (n == 0)
        return K_UNKNOWN;
    switch (k[0]) {
    case 'b': IS("bodies", K_BODIES) IS("by", K_BY) break;
    case 'c': IS("contentCreated", K_CONTENT_CREATED) IS("copyrightNotice", K_COPYRIGHT_NOTICE)
              break;
    case 'd': IS("descriptions", K_DESCRIPTIONS) break;
    case 'e': IS("embargoedUntil", K_EMBARGOED_UNTIL) IS("edNote", K_ED_NOTE) break;
    case 'f': IS("firstCreated", K_FIRST_CREATED) break;
    case 'g': IS("genres", K_GENRES) break;
    case 'h': IS("headlines", K_HEADLINES) break;
    case 'i': IS("infoSources", K_INFO_SOURCES) break;
    case 'l': IS("language", K_LANGUAGE) IS("located", K_LOCATED) break;
    case 'o': IS("organisations", K_ORGANISATIONS) break;
    case 'p': IS("pubStatus", K_PUB_STATUS) IS("places", K_PLACES) IS("people", K_PEOPLE) break;
    case 's': IS("slugline", K_SLUGLINE) IS("subjects", K_SUBJECTS) break;
    case 't': IS("type", K_TYPE) break;
    case 'u': IS("uri", K_URI) IS("urgency", K_URGENCY) break;
    case 'v': IS("version", K_VERSION) IS("versionCreated", K_VERSION_CREATED) break;
    default: break;
    }
#undef IS
    /* clang-format on */
    return K_UNKNOWN;
}

/* Where each plain string and timestamp goes (read_member uses it for
 * those keys only). */
static const size_t string_field[K_UNKNOWN] = {
    [K_URI] = offsetof(nw_story, uri),
    [K_VERSION_CREATED] = offsetof(nw_story, version_created),
    [K_FIRST_CREATED] = offsetof(nw_story, first_created),
    [K_CONTENT_CREATED] = offsetof(nw_story, content_created),
    [K_EMBARGOED_UNTIL] = offsetof(nw_story, embargoed_until),
    [K_LANGUAGE] = offsetof(nw_story, language),
    [K_SLUGLINE] = offsetof(nw_story, slugline),
    [K_BY] = offsetof(nw_story, by),
    [K_LOCATED] = offsetof(nw_story, located),
    [K_ED_NOTE] = offsetof(nw_story, ed_note),
    [K_COPYRIGHT_NOTICE] = offsetof(nw_story, copyright_notice),
};

static bool read_string(reader *r, char **dst)
{
    span s;
    if (!scan_string(r, &s))
        return false;
    char *v = take(&s);
    if (!v)
        return false;
    free(*dst);
    *dst = v;
    return true;
}

/* tolerate_variants leaves out (with a warning) what nw_time_parse refuses;
 * take_time keeps a canonical timestamp and normalizes the rest. */
static bool fix_time(char **t)
{
    if (nw_ninjs_time_is_canonical(*t))
        return true;
    int64_t epoch;
    nw_err terr = {0};
    if (nw_time_parse(*t, "UTC", &epoch, NULL, &terr) < 0)
        return false;
    char *norm = NULL;
    if (nw_time_normalize(*t, NULL, &norm, &terr) != 0)
        return false;
    free(*t);
    *t = norm;
    return true;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

/* decode_v3's `type`: aliases, then the 3.1 enum (else an error: decline). */
static bool fix_type(char **type)
{
    static const char *const aliases[][2] = {
        {"story", "text"},    {"advisory", "text"}, {"preformatted", "text"},
        {"image", "picture"}, {"photo", "picture"},
    };
    static const char *const types[] = {"text",      "audio",     "video", "picture",  "graphic",
                                        "composite", "component", "event", "planning", NULL};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(*type, aliases[i][0]) && nw_story_set(type, aliases[i][1]))
            return false;
    return in_list(types, *type);
}

/* tolerate_variants turns "draft" into "withheld" with a warning (decline);
 * decode_v3 reads "cancelled" as "canceled" and refuses other values. */
static bool fix_pub_status(char **status)
{
    static const char *const statuses[] = {"usable", "withheld", "canceled", NULL};
    if (!strcmp(*status, "cancelled") && nw_story_set(status, "canceled"))
        return false;
    return in_list(statuses, *status);
}

/* An object whose members are only strings named in names[0..n), each at
 * most once: their spans into f[] and a bit per name seen into *seen. */
static bool read_string_members(reader *r, const char *const *names, size_t n, span *f,
                                unsigned *seen)
{
    *seen = 0;
    if (!eat(r, '{'))
        return false;
    if (eat(r, '}'))
        return true;
    do {
        span k;
        if (!scan_string(r, &k) || k.escaped)
            return false;
        int id = -1;
        for (size_t i = 0; i < n; i++)
            if (k.len == strlen(names[i]) && !memcmp(k.ptr, names[i], k.len))
                id = (int)i;
        if (id < 0 || (*seen & BIT(id)) || !eat(r, ':') || !scan_string(r, &f[id]))
            return false;
        *seen |= BIT(id);
    } while (eat(r, ','));
    return eat(r, '}');
}

/* {"value": s, "role": s, "contentType": s} (value required), as decode_texts. */
static bool read_text(reader *r, nw_text_list *list)
{
    static const char *const names[] = {"value", "role", "contentType"};
    span f[3];
    unsigned seen;
    if (!read_string_members(r, names, 3, f, &seen) || !(seen & 1))
        return false;
    char role_s[64], ct_s[64], *role_h = NULL, *ct_h = NULL;
    const char *role = NULL, *ct = NULL;
    char *value = take(&f[0]);
    bool ok = value && (!(seen & 2) || (role = borrow(&f[1], role_s, sizeof role_s, &role_h))) &&
              (!(seen & 4) || (ct = borrow(&f[2], ct_s, sizeof ct_s, &ct_h))) &&
              nw_text_list_take(list, value, role, ct) == 0;
    if (!ok)
        free(value);
    free(role_h);
    free(ct_h);
    return ok;
}

/* Objects with only string name/uri/literal/rel (rel_key: "rel", "role" or
 * NULL), as decode_entities reads them without extras. */
static bool read_entity(reader *r, nw_entity_list *list, const char *rel_key)
{
    const char *names[] = {"name", "uri", "literal", rel_key};
    span f[4];
    unsigned seen;
    if (!read_string_members(r, names, rel_key ? 4 : 3, f, &seen))
        return false;
    char small[4][64], *heap[4] = {NULL, NULL, NULL, NULL};
    const char *v[4] = {NULL, NULL, NULL, NULL};
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++)
        if (seen & BIT(i))
            ok = (v[i] = borrow(&f[i], small[i], sizeof small[i], &heap[i])) != NULL;
    ok = ok && nw_entity_list_add(list, v[0], v[1], v[2], v[3]) == 0;
    for (int i = 0; i < 4; i++)
        free(heap[i]);
    return ok;
}

/* An array of texts (rel_key unused) or of entities. */
static bool read_list(reader *r, void *list, bool texts, const char *rel_key)
{
    if (!eat(r, '['))
        return false;
    if (eat(r, ']'))
        return true;
    do {
        if (texts ? !read_text(r, list) : !read_entity(r, list, rel_key))
            return false;
    } while (eat(r, ','));
    return eat(r, ']');
}

static bool read_member(reader *r, nw_story *s, enum key id)
{
    switch (id) {
    case K_TYPE: return read_string(r, &s->type) && fix_type(&s->type);
    case K_PUB_STATUS: return read_string(r, &s->pub_status) && fix_pub_status(&s->pub_status);
    case K_VERSION: {
        skip_ws(r);
        if (r->p < r->end && *r->p == '"')
            return read_string(r, &s->version);
        long long n;
        char buf[24];
        if (!scan_uint(r, &n))
            return false;
        snprintf(buf, sizeof buf, "%lld", n);
        return nw_story_set(&s->version, buf) == 0;
    }
    case K_URGENCY: {
        long long n;
        if (!scan_uint(r, &n) || n < 1 || n > 9)
            return false;
        s->urgency = (int)n;
        return true;
    }
    case K_VERSION_CREATED:
    case K_FIRST_CREATED:
    case K_CONTENT_CREATED:
    case K_EMBARGOED_UNTIL: {
        char **t = (char **)((char *)s + string_field[id]);
        return read_string(r, t) && fix_time(t);
    }
    case K_HEADLINES: return read_list(r, &s->headlines, true, NULL);
    case K_BODIES: return read_list(r, &s->bodies, true, NULL);
    case K_DESCRIPTIONS: return read_list(r, &s->descriptions, true, NULL);
    case K_SUBJECTS: return read_list(r, &s->subjects, false, "rel");
    case K_PLACES: return read_list(r, &s->places, false, "rel");
    case K_PEOPLE: return read_list(r, &s->people, false, "rel");
    case K_ORGANISATIONS: return read_list(r, &s->organisations, false, "rel");
    case K_GENRES: return read_list(r, &s->genres, false, NULL);
    case K_INFO_SOURCES: return read_list(r, &s->info_sources, false, "role");
    case K_UNKNOWN: return false;
    default: return read_string(r, (char **)((char *)s + string_field[id]));
    }
}

static bool read_story(reader *r, nw_story *s)
{
    uint32_t seen = 0;
    if (!eat(r, '{'))
        return false;
    if (!eat(r, '}')) {
        do {
            span k;
            if (!scan_string(r, &k) || k.escaped)
                return false;
            enum key id = key_of(k.ptr, k.len);
            if (id == K_UNKNOWN || (seen & BIT(id)) || !eat(r, ':') || !read_member(r, s, id))
                return false;
            seen |= BIT(id);
        } while (eat(r, ','));
        if (!eat(r, '}'))
            return false;
    }
    skip_ws(r);
    if (r->p != r->end)
        return false; /* more after the object: jansson refuses it */
    if ((seen & V2_MARKERS) && !(seen & V3_MARKERS))
        return false;           /* detected as 2.x: renamed by rename_v2 first */
    return s->uri && s->uri[0]; /* decode_v3: "missing 'uri'" */
}

int nw_ninjs_direct_read(const char *buf, size_t len, nw_story **out)
{
    *out = NULL;
    if (!buf)
        return 0;
    reader r = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    nw_story *s = nw_story_new();
    if (!s)
        return 0;
    if (!read_story(&r, s)) {
        nw_story_free(s);
        return 0;
    }
    *out = s;
    return 1;
}
