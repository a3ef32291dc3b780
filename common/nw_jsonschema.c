/*
 * nw_jsonschema — JSON Schema validation over jansson. See nw_jsonschema.h.
 *
 * Design. The validator interprets the schema documents directly (no
 * compilation step) with one recursive function, v_schema(), that returns
 * 1 (valid), 0 (invalid, message recorded) or a negative NW_* code for a
 * problem with the schema itself (unresolvable $ref, recursion too deep).
 *
 * Invariants:
 *  - The first failure wins: keywords of a schema object stop at the first
 *    failing one, and the recorded message is only replaced where a failure
 *    was expected (the branches of anyOf/oneOf/not/if/contains).
 *  - unevaluatedProperties is honest: each object instance carries a bitset
 *    over its keys (in jansson's iteration order, stable for a const object)
 *    saying which keys some successful applicator evaluated — properties,
 *    patternProperties, additionalProperties, unevaluatedProperties, and
 *    in-place applicators ($ref, allOf, anyOf, oneOf, if/then/else,
 *    dependentSchemas) merging the bitsets of the branches that passed.
 *    The bitset is only kept where an unevaluatedProperties is in scope.
 *  - Draft-04/06/07 documents (by their "$schema") ignore siblings of $ref
 *    and read an "items" array as a tuple; everything else is 2020-12.
 *  - Regexes (ECMA 262 in the schema) are translated to POSIX ERE and
 *    compiled once when a document is added; validation never writes to
 *    the registry.
 */
#include "nw_jsonschema.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_text.h"

#define JS_MAX_DEPTH  512 /* nested v_schema() calls: guards cyclic $refs */
#define JS_RX_BUCKETS 64

typedef struct js_doc {
    char *uri;    /* registry key, no fragment */
    json_t *root; /* own reference */
    int legacy;   /* draft-04/06/07 semantics */
    struct js_doc *next;
} js_doc;

typedef struct js_rx {
    char *src; /* the pattern as written in the schema (ECMA 262) */
    regex_t re;
    struct js_rx *next;
} js_rx;

struct nw_jsonschema {
    unsigned formats; /* NW_JSONSCHEMA_FORMAT_* asserted */
    js_doc *docs;
    js_rx *rx[JS_RX_BUCKETS];
};

/* ---------------------------------------------------------------- strings */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}
static void sb_putc(sbuf *b, char c)
{
    sb_putn(b, &c, 1);
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Copy of `uri` without its fragment (everything from '#'). */
static char *uri_strip_fragment(const char *uri)
{
    size_t n = strcspn(uri, "#");
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, uri, n);
        p[n] = '\0';
    }
    return p;
}

/* ------------------------------------------------- ECMA 262 -> POSIX ERE */

/* One bracket-expression element: a byte range, or the [:space:] class. */
typedef struct rx_range {
    unsigned lo, hi; /* code points */
} rx_range;

/* The code point of the UTF-8 sequence at src[*k] (src[*k] >= 0x80),
 * advancing *k past it; -1 when it is not well-formed. */
static int rx_code_point(const char *src, size_t *k)
{
    const unsigned char *p = (const unsigned char *)src + *k;
    size_t n = nw_utf8_seq_len(p, p + strlen((const char *)p));
    if (!n)
        return -1;
    int cp = p[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3F);
    *k += n;
    return cp;
}

/* Code point c in UTF-8 (the patterns run in a UTF-8 locale: utf8_locale). */
static void rx_put_code_point(sbuf *b, unsigned c)
{
    if (c < 0x80) {
        sb_putc(b, (char)c);
    } else if (c < 0x800) {
        sb_putc(b, (char)(0xC0 | c >> 6));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        sb_putc(b, (char)(0xE0 | c >> 12));
        sb_putc(b, (char)(0x80 | (c >> 6 & 0x3F)));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    } else {
        sb_putc(b, (char)(0xF0 | c >> 18));
        sb_putc(b, (char)(0x80 | (c >> 12 & 0x3F)));
        sb_putc(b, (char)(0x80 | (c >> 6 & 0x3F)));
        sb_putc(b, (char)(0x80 | (c & 0x3F)));
    }
}

static int is_ere_special(char c)
{
    return c && strchr(".[]{}()*+?^$|\\", c) != NULL;
}

/* Escaped character meaning a single byte (\n, \., \/ ...), or -1. */
static int rx_escaped_char(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    default: break;
    }
    if ((unsigned char)c < 0x80 && c > ' ' && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
        !(c >= 'A' && c <= 'Z'))
        return (unsigned char)c;
    return -1;
}

static void rx_emit_endpoint(sbuf *b, unsigned c)
{
    if (c == ']' || c == '-' || c == '^' || c == '[') {
        sb_puts(b, "[.");
        sb_putc(b, (char)c);
        sb_puts(b, ".]");
    } else {
        rx_put_code_point(b, c);
    }
}

/* Translates the bracket expression at src[*i] == '['; advances *i past ']'. */
static int rx_bracket(const char *src, size_t *i, sbuf *b, const char **why)
{
    rx_range r[128];
    size_t nr = 0;
    int neg = 0, space = 0;
    size_t k = *i + 1;

    if (src[k] == '^') {
        neg = 1;
        k++;
    }
    if (src[k] == ']') {
        *why = "empty character class";
        return -1;
    }
    while (src[k] && src[k] != ']') {
        int lo, hi, cls = 0;
        /* one atom */
        if (src[k] == '\\') {
            char e = src[k + 1];
            k += 2;
            if (e == 'd') {
                cls = 1;
                if (nr + 1 > 128)
                    goto toolong;
                r[nr++] = (rx_range){'0', '9'};
            } else if (e == 'w') {
                cls = 1;
                if (nr + 4 > 128)
                    goto toolong;
                r[nr++] = (rx_range){'0', '9'};
                r[nr++] = (rx_range){'A', 'Z'};
                r[nr++] = (rx_range){'a', 'z'};
                r[nr++] = (rx_range){'_', '_'};
            } else if (e == 's') {
                cls = 1;
                space = 1;
            } else if (e == 'b') {
                lo = '\b';
                goto single;
            } else {
                lo = rx_escaped_char(e);
                if (lo < 0) {
                    *why = "unsupported escape in character class";
                    return -1;
                }
                goto single;
            }
            continue;
        }
        if ((unsigned char)src[k] < 0x80) {
            lo = (unsigned char)src[k++];
        } else if ((lo = rx_code_point(src, &k)) < 0) {
            *why = "invalid UTF-8 in character class";
            return -1;
        }
    single:
        (void)cls;
        hi = lo;
        if (src[k] == '-' && src[k + 1] && src[k + 1] != ']') {
            k++;
            if (src[k] == '\\') {
                hi = rx_escaped_char(src[k + 1]);
                k += 2;
                if (hi < 0) {
                    *why = "unsupported range end in character class";
                    return -1;
                }
            } else if ((unsigned char)src[k] < 0x80) {
                hi = (unsigned char)src[k++];
            } else if ((hi = rx_code_point(src, &k)) < 0) {
                *why = "invalid UTF-8 in character class";
                return -1;
            }
            if (hi < lo) {
                *why = "range out of order in character class";
                return -1;
            }
        }
        if (nr + 1 > 128)
            goto toolong;
        r[nr++] = (rx_range){(unsigned)lo, (unsigned)hi};
    }
    if (src[k] != ']') {
        *why = "unterminated character class";
        return -1;
    }
    *i = k + 1;

    /* POSIX places ']' first, '-' last, '^' anywhere but first, and reads
     * "[:" "[." "[=" specially, so literal ']' '-' '^' '[' are held back. */
    int rb = 0, dash = 0, caret = 0, lb = 0;
    sbuf body = {0};
    for (size_t j = 0; j < nr; j++) {
        if (r[j].lo == r[j].hi) {
            switch (r[j].lo) {
            case ']': rb = 1; break;
            case '-': dash = 1; break;
            case '^': caret = 1; break;
            case '[': lb = 1; break;
            default: rx_put_code_point(&body, r[j].lo); break;
            }
        } else {
            rx_emit_endpoint(&body, r[j].lo);
            sb_putc(&body, '-');
            rx_emit_endpoint(&body, r[j].hi);
        }
    }
    if (space)
        sb_puts(&body, "[:space:]");
    if (body.oom) {
        free(body.p);
        *why = "out of memory";
        return -1;
    }
    if (!neg && !rb && !lb && body.n == 0 && caret) {
        sb_puts(b, dash ? "[-^]" : "\\^");
    } else {
        sb_putc(b, '[');
        if (neg)
            sb_putc(b, '^');
        if (rb)
            sb_putc(b, ']');
        if (body.n)
            sb_putn(b, body.p, body.n);
        if (lb)
            sb_putc(b, '[');
        if (caret)
            sb_putc(b, '^');
        if (dash)
            sb_putc(b, '-');
        sb_putc(b, ']');
    }
    free(body.p);
    return 0;
toolong:
    *why = "character class too long";
    return -1;
}

/* Is src[i] == '{' the start of a quantifier {n}, {n,} or {n,m}? Returns
 * the index of its '}' or 0. */
static size_t rx_quantifier_end(const char *src, size_t i)
{
    size_t k = i + 1;
    if (!(src[k] >= '0' && src[k] <= '9'))
        return 0;
    while (src[k] >= '0' && src[k] <= '9')
        k++;
    if (src[k] == ',') {
        k++;
        while (src[k] >= '0' && src[k] <= '9')
            k++;
    }
    return src[k] == '}' ? k : 0;
}

/*
 * Translates the ECMA 262 constructs JSON schemas use into POSIX ERE:
 * \d \w \s (and negations), (?: ), escapes, {n,m}, bracket expressions.
 * Lookaround, backreferences, lazy quantifiers, \b and \u are refused.
 * Returns a malloc'd ERE or NULL with *why set.
 */
static char *rx_translate(const char *src, const char **why)
{
    sbuf b = {0};
    size_t i = 0;

    while (src[i]) {
        char ch = src[i];
        if (ch == '\\') {
            char e = src[i + 1];
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 'w': rep = "[A-Za-z0-9_]"; break;
            case 'W': rep = "[^A-Za-z0-9_]"; break;
            case 's': rep = "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case '\0': *why = "trailing backslash"; goto fail;
            default: break;
            }
            if (rep) {
                sb_puts(&b, rep);
            } else {
                int c = rx_escaped_char(e);
                if (c < 0) {
                    *why = "unsupported escape (\\b, \\B, backreference, \\u, \\x, \\p ...)";
                    goto fail;
                }
                if (is_ere_special((char)c))
                    sb_putc(&b, '\\');
                sb_putc(&b, (char)c);
            }
            i += 2;
        } else if (ch == '(') {
            if (src[i + 1] == '?') {
                if (src[i + 2] != ':') {
                    *why = "unsupported group (lookaround or named group)";
                    goto fail;
                }
                i += 3;
            } else {
                i++;
            }
            sb_putc(&b, '(');
        } else if (ch == '[') {
            if (rx_bracket(src, &i, &b, why) < 0)
                goto fail;
        } else if (ch == '{') {
            size_t end = rx_quantifier_end(src, i);
            if (end) {
                sb_putn(&b, src + i, end - i + 1);
                i = end + 1;
                if (src[i] == '?') {
                    *why = "lazy quantifier";
                    goto fail;
                }
            } else {
                sb_puts(&b, "\\{");
                i++;
            }
        } else if (ch == '*' || ch == '+' || ch == '?') {
            sb_putc(&b, ch);
            i++;
            if (src[i] == '?') {
                *why = "lazy quantifier";
                goto fail;
            }
        } else if (ch == '}') {
            sb_puts(&b, "\\}");
            i++;
        } else {
            sb_putc(&b, ch);
            i++;
        }
    }
    if (b.oom) {
        *why = "out of memory";
        goto fail;
    }
    if (!b.p)
        sb_puts(&b, "");
    return b.p;
fail:
    free(b.p);
    return NULL;
}

/* Patterns are compiled and run in a UTF-8 locale (C.UTF-8, for this thread
 * only: uselocale), so that '.', a bracket expression or {n} counts code
 * points, as ECMA 262 does, not bytes. Created once; (locale_t)0 when the C
 * library has no C.UTF-8. */
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_loc;

static void utf8_init(void)
{
    utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t utf8_locale(void)
{
    pthread_once(&utf8_once, utf8_init);
    return utf8_loc;
}

static const js_rx *rx_find(const nw_jsonschema *s, const char *src)
{
    for (const js_rx *r = s->rx[hash_str(src) % JS_RX_BUCKETS]; r; r = r->next)
        if (strcmp(r->src, src) == 0)
            return r;
    return NULL;
}

static int rx_add(nw_jsonschema *s, const char *src, nw_err *err)
{
    if (rx_find(s, src))
        return 0;
    const char *why = NULL;
    char *ere = rx_translate(src, &why);
    if (!ere)
        return nw_err_set(err, NW_EINVAL, "pattern '%s': %s", src, why);
    js_rx *r = calloc(1, sizeof *r);
    if (!r || !(r->src = strdup(src))) {
        free(r);
        free(ere);
        return nw_err_set(err, NW_ENOMEM, "out of memory compiling pattern");
    }
    locale_t utf8 = utf8_locale();
    if (!utf8) {
        free(ere);
        free(r->src);
        free(r);
        return nw_err_set(err, NW_EINVAL, "pattern '%s': no C.UTF-8 locale to match it in", src);
    }
    locale_t old = uselocale(utf8);
    int rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
    uselocale(old);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &r->re, msg, sizeof msg);
        nw_err_set(err, NW_EINVAL, "pattern '%s' (as POSIX '%s'): %s", src, ere, msg);
        free(ere);
        free(r->src);
        free(r);
        return NW_EINVAL;
    }
    free(ere);
    uint32_t h = hash_str(src) % JS_RX_BUCKETS;
    r->next = s->rx[h];
    s->rx[h] = r;
    return 0;
}

/* Compiles every "pattern" and "patternProperties" key found in `node`. */
static int rx_collect(nw_jsonschema *s, const json_t *node, nw_err *err)
{
    const char *key;
    json_t *val;
    size_t idx;

    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key, val)
        {
            if (strcmp(key, "pattern") == 0 && json_is_string(val)) {
                if (rx_add(s, json_string_value(val), err) < 0)
                    return err ? err->code : NW_EINVAL;
            } else if (strcmp(key, "patternProperties") == 0 && json_is_object(val)) {
                const char *pk;
                json_t *pv;
                json_object_foreach(val, pk, pv)
                {
                    (void)pv;
                    if (rx_add(s, pk, err) < 0)
                        return err ? err->code : NW_EINVAL;
                }
            }
            int rc = rx_collect(s, val, err);
            if (rc < 0)
                return rc;
        }
    } else if (json_is_array(node)) {
        json_array_foreach((json_t *)node, idx, val)
        {
            int rc = rx_collect(s, val, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* -------------------------------------------------------------- registry */

nw_jsonschema *nw_jsonschema_new(void)
{
    nw_jsonschema *s = calloc(1, sizeof *s);
    if (s)
        s->formats = NW_JSONSCHEMA_FORMAT_ALL;
    return s;
}

void nw_jsonschema_set_formats(nw_jsonschema *s, unsigned formats)
{
    if (s)
        s->formats = formats;
}

void nw_jsonschema_free(nw_jsonschema *s)
{
    if (!s)
        return;
    for (js_doc *d = s->docs, *n; d; d = n) {
        n = d->next;
        free(d->uri);
        json_decref(d->root);
        free(d);
    }
    for (size_t i = 0; i < JS_RX_BUCKETS; i++) {
        for (js_rx *r = s->rx[i], *n; r; r = n) {
            n = r->next;
            regfree(&r->re);
            free(r->src);
            free(r);
        }
    }
    free(s);
}

static const js_doc *doc_find(const nw_jsonschema *s, const char *uri, size_t len)
{
    for (const js_doc *d = s->docs; d; d = d->next)
        if (strlen(d->uri) == len && memcmp(d->uri, uri, len) == 0)
            return d;
    return NULL;
}

bool nw_jsonschema_has(const nw_jsonschema *s, const char *uri)
{
    return s && uri && doc_find(s, uri, strcspn(uri, "#")) != NULL;
}

static int schema_is_legacy(const json_t *schema)
{
    const char *v = json_string_value(json_object_get(schema, "$schema"));
    return v && (strstr(v, "draft-04") || strstr(v, "draft-06") || strstr(v, "draft-07") ||
                 strstr(v, "draft-03"));
}

static int doc_put(nw_jsonschema *s, const char *uri, json_t *schema, nw_err *err)
{
    char *key = uri_strip_fragment(uri);
    if (!key)
        return nw_err_set(err, NW_ENOMEM, "out of memory registering schema");
    for (js_doc *d = s->docs; d; d = d->next) {
        if (strcmp(d->uri, key) == 0) { /* replace */
            free(key);
            json_decref(d->root);
            d->root = json_incref(schema);
            d->legacy = schema_is_legacy(schema);
            return 0;
        }
    }
    js_doc *d = calloc(1, sizeof *d);
    if (!d) {
        free(key);
        return nw_err_set(err, NW_ENOMEM, "out of memory registering schema");
    }
    d->uri = key;
    d->root = json_incref(schema);
    d->legacy = schema_is_legacy(schema);
    d->next = s->docs;
    s->docs = d;
    return 0;
}

static const char *schema_own_id(const json_t *schema)
{
    const char *id = json_string_value(json_object_get(schema, "$id"));
    if (!id && schema_is_legacy(schema))
        id = json_string_value(json_object_get(schema, "id"));
    return id;
}

int nw_jsonschema_add(nw_jsonschema *s, const char *uri, json_t *schema, nw_err *err)
{
    if (!s || !schema || !(json_is_object(schema) || json_is_boolean(schema)))
        return nw_err_set(err, NW_EINVAL, "schema must be a JSON object or boolean");
    const char *id = schema_own_id(schema);
    if (!uri && !id)
        return nw_err_set(err, NW_EINVAL, "schema has no $id and no uri was given");
    int rc = rx_collect(s, schema, err);
    if (rc < 0)
        return rc;
    if (uri && (rc = doc_put(s, uri, schema, err)) < 0)
        return rc;
    if (id &&
        (!uri || strcspn(id, "#") != strcspn(uri, "#") || strncmp(id, uri, strcspn(id, "#")) != 0))
        rc = doc_put(s, id, schema, err);
    return rc;
}

int nw_jsonschema_load_file(nw_jsonschema *s, const char *path, const char **uri_out, nw_err *err)
{
    json_error_t je;
    if (uri_out)
        *uri_out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nw_err_set(err, NW_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root)
        return nw_err_set(err, NW_EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    const char *id = json_is_object(root) ? schema_own_id(root) : NULL;
    int rc = nw_jsonschema_add(s, id ? NULL : path, root, err);
    if (rc < 0) {
        nw_err_prefix(err, "%s: ", path);
    } else if (uri_out) {
        const char *key = id ? id : path;
        const js_doc *d = doc_find(s, key, strcspn(key, "#"));
        *uri_out = d ? d->uri : NULL;
    }
    json_decref(root);
    return rc;
}

int nw_jsonschema_load_ninjs(nw_jsonschema **out, const char *ninjs_dir, nw_err *err)
{
    char path[4096];
    json_error_t je;
    int rc;

    *out = NULL;
    nw_jsonschema *s = nw_jsonschema_new();
    if (!s)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/test_suite/GeoJSON-schema.json", ninjs_dir);
    json_t *geo = json_load_file(path, 0, &je);
    if (!geo) {
        rc = je.line < 0
                 ? nw_err_set(err, NW_EIO, "%s", je.text)
                 : nw_err_set(err, NW_EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        goto fail;
    }
    rc = nw_jsonschema_add(s, NW_JSONSCHEMA_GEOJSON_URI, geo, err);
    json_decref(geo);
    if (rc < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/schemas/ninjs-schema_3.1.json", ninjs_dir);
    const char *uri = NULL;
    if ((rc = nw_jsonschema_load_file(s, path, &uri, err)) < 0)
        goto fail;
    if (!uri || strcmp(uri, NW_JSONSCHEMA_NINJS_31_URI) != 0) {
        rc = nw_err_set(err, NW_EINVAL, "%s: $id is '%s', expected '%s'", path,
                        uri ? uri : "(none)", NW_JSONSCHEMA_NINJS_31_URI);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    nw_jsonschema_free(s);
    return rc;
}

/* ------------------------------------------------------------ validation */

typedef struct js_seg {
    const char *key; /* NULL for an array index */
    size_t idx;
} js_seg;

typedef struct vctx {
    const nw_jsonschema *s;
    const js_doc *doc; /* document the current schema node lives in */
    int depth;
    size_t npath;
    js_seg path[JS_MAX_DEPTH + 1];
    int msg_set;
    size_t msg_depth; /* instance depth of the recorded failure */
    char msg[NW_ERR_MSG_MAX];
} vctx;

/* Bitset over an object instance's keys: which ones were evaluated. */
typedef struct evbits {
    uint64_t *w;
    size_t nw;
    uint64_t buf[4];
} evbits;

static int ev_init(evbits *e, const json_t *obj)
{
    e->nw = (json_object_size(obj) + 63) / 64;
    e->w = e->nw <= 4 ? e->buf : calloc(e->nw, sizeof(uint64_t));
    if (!e->w)
        return NW_ENOMEM;
    memset(e->w, 0, e->nw * sizeof(uint64_t));
    return 0;
}

static void ev_deinit(evbits *e)
{
    if (e->w && e->w != e->buf)
        free(e->w);
    e->w = NULL;
}

static void ev_set(evbits *e, size_t i)
{
    if (e)
        e->w[i / 64] |= (uint64_t)1 << (i % 64);
}

static int ev_get(const evbits *e, size_t i)
{
    return (e->w[i / 64] >> (i % 64)) & 1;
}

static void ev_or(evbits *dst, const evbits *src)
{
    if (dst)
        for (size_t i = 0; i < dst->nw; i++)
            dst->w[i] |= src->w[i];
}

static void path_push_key(vctx *c, const char *key)
{
    c->path[c->npath].key = key;
    c->npath++;
}

static void path_push_idx(vctx *c, size_t idx)
{
    c->path[c->npath].key = NULL;
    c->path[c->npath].idx = idx;
    c->npath++;
}

static void path_pop(vctx *c)
{
    c->npath--;
}

/* JSON pointer of the current instance location into buf ("(root)" for ""). */
static void path_format(const vctx *c, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (c->npath == 0) {
        snprintf(buf, cap, "(root)");
        return;
    }
    for (size_t i = 0; i < c->npath && n + 2 < cap; i++) {
        buf[n++] = '/';
        if (c->path[i].key) {
            for (const char *k = c->path[i].key; *k && n + 3 < cap; k++) {
                if (*k == '~' || *k == '/') {
                    buf[n++] = '~';
                    buf[n++] = *k == '~' ? '0' : '1';
                } else {
                    buf[n++] = *k;
                }
            }
        } else {
            int w = snprintf(buf + n, cap - n, "%zu", c->path[i].idx);
            n += w > 0 ? (size_t)w : 0;
            if (n >= cap)
                n = cap - 1;
        }
    }
    buf[n < cap ? n : cap - 1] = '\0';
}

__attribute__((format(printf, 2, 3))) static int fail(vctx *c, const char *fmt, ...)
{
    if (c->msg_set)
        return 0;
    char where[200];
    va_list ap;
    path_format(c, where, sizeof where);
    int n = snprintf(c->msg, sizeof c->msg, "%s: ", where);
    if (n < 0 || (size_t)n >= sizeof c->msg)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(c->msg + n, sizeof c->msg - (size_t)n, fmt, ap);
    va_end(ap);
    c->msg_set = 1;
    c->msg_depth = c->npath;
    return 0;
}

/* A problem with the schema rather than the instance. */
__attribute__((format(printf, 3, 4))) static int hard(vctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->msg_set = 1;
    return code;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int real_is_integral(double d)
{
    return d >= -9.2e18 && d <= 9.2e18 && (double)(long long)d == d;
}

static int type_matches(const char *t, const json_t *v)
{
    switch (t[0]) {
    case 'o': return strcmp(t, "object") == 0 && json_is_object(v);
    case 'a':
        if (strcmp(t, "any") == 0)
            return 1; /* draft-03 */
        return strcmp(t, "array") == 0 && json_is_array(v);
    case 's': return strcmp(t, "string") == 0 && json_is_string(v);
    case 'i':
        return strcmp(t, "integer") == 0 &&
               (json_is_integer(v) || (json_is_real(v) && real_is_integral(json_real_value(v))));
    case 'n':
        if (strcmp(t, "number") == 0)
            return json_is_number(v);
        return strcmp(t, "null") == 0 && json_is_null(v);
    case 'b': return strcmp(t, "boolean") == 0 && json_is_boolean(v);
    default: return 0;
    }
}

/* -1, 0, 1; exact for two integers. */
static int num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y;
}

/* JSON Schema equality: 1 == 1.0, objects unordered. */
static int js_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return num_cmp(a, b) == 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!js_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, v)
        {
            json_t *w = json_object_get(b, k);
            if (!w || !js_equal(v, w))
                return 0;
        }
        return 1;
    }
    default: return 1; /* true, false, null */
    }
}

static size_t utf8_length(const char *s, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            len++;
    return len;
}

/* Short, printable rendering of a value for messages. */
static const char *show(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v)) {
        snprintf(buf, cap, "'%.60s%s'", json_string_value(v),
                 json_string_length(v) > 60 ? "..." : "");
    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, cap, "%.17g", json_real_value(v));
    } else {
        snprintf(buf, cap, "%s",
                 json_is_true(v)    ? "true"
                 : json_is_false(v) ? "false"
                                    : type_name(v));
    }
    return buf;
}

/* ------------------------------------------------------------ formats */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static int is_date_time(const char *s)
{
    int y, mo, d, h, mi, se, oh, om;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return 0;
    s += 19;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
        return 1;
    if ((*s == '+' || *s == '-') && digits(s + 1, 2, &oh) && s[3] == ':' && digits(s + 4, 2, &om) &&
        s[6] == '\0')
        return oh <= 23 && om <= 59;
    return 0;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 URI (absolute, fragment allowed): scheme ":" then only URI
 * characters and well-formed %HH escapes; one '#' at most. */
static int is_uri(const char *s)
{
    static const char ok[] = "-._~:/?#[]@!$&'()*+,;=";
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':')
        return 0;
    int hashes = 0;
    for (p++; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            if (!is_hex(p[1]) || !is_hex(p[2]))
                return 0;
            p += 2;
        } else if (c == '#') {
            if (++hashes > 1)
                return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c && strchr(ok, c)))) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------ $ref */

/* Follows a JSON pointer ("/a/b~1c/0", percent-decoded) from root. */
static const json_t *pointer_get(const json_t *root, const char *ptr)
{
    const json_t *cur = root;
    char seg[256];

    if (*ptr == '\0')
        return root;
    if (*ptr != '/')
        return NULL;
    while (*ptr == '/' && cur) {
        size_t n = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char ch = *ptr++;
            if (ch == '~') {
                if (*ptr == '0')
                    ch = '~';
                else if (*ptr == '1')
                    ch = '/';
                else
                    return NULL;
                ptr++;
            } else if (ch == '%' && is_hex(ptr[0]) && is_hex(ptr[1])) {
                char hx[3] = {ptr[0], ptr[1], 0};
                ch = (char)strtol(hx, NULL, 16);
                ptr += 2;
            }
            if (n + 1 >= sizeof seg)
                return NULL;
            seg[n++] = ch;
        }
        seg[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long i = strtoul(seg, &end, 10);
            if (n == 0 || *end)
                return NULL;
            cur = json_array_get(cur, i);
        } else {
            return NULL;
        }
    }
    return cur;
}

/* Resolves `ref` against the current document; NULL when unresolvable. */
static const json_t *ref_resolve(const vctx *c, const char *ref, const js_doc **doc_out)
{
    const js_doc *doc = c->doc;
    size_t ulen = strcspn(ref, "#");
    const char *frag = ref[ulen] == '#' ? ref + ulen + 1 : "";

    if (ulen > 0) {
        size_t sch = strcspn(ref, ":/?#");
        if (ref[sch] == ':' && sch > 0) { /* absolute */
            doc = doc_find(c->s, ref, ulen);
        } else { /* relative to the current base */
            const char *base = doc ? doc->uri : "";
            const char *slash = strrchr(base, '/');
            size_t blen = slash ? (size_t)(slash - base) + 1 : 0;
            char buf[1024];
            if (blen + ulen >= sizeof buf)
                return NULL;
            memcpy(buf, base, blen);
            memcpy(buf + blen, ref, ulen);
            doc = doc_find(c->s, buf, blen + ulen);
        }
    }
    if (!doc)
        return NULL;
    *doc_out = doc;
    return pointer_get(doc->root, frag);
}

/* ------------------------------------------------------------ keywords */

static int v_schema(vctx *c, const json_t *sch, const json_t *inst, evbits *ev);

static int v_ref(vctx *c, const json_t *ref, const json_t *inst, evbits *ev)
{
    const char *r = json_string_value(ref);
    const js_doc *doc = NULL;
    if (!r)
        return 1;
    const json_t *target = ref_resolve(c, r, &doc);
    if (!target) {
        char where[200];
        path_format(c, where, sizeof where);
        return hard(c, NW_ENOTFOUND, "%s: $ref '%s' cannot be resolved (register the schema)",
                    where, r);
    }
    const js_doc *saved = c->doc;
    c->doc = doc;
    int rc = v_schema(c, target, inst, ev);
    c->doc = saved;
    return rc;
}

static int v_type(vctx *c, const json_t *t, const json_t *inst)
{
    if (json_is_string(t)) {
        if (type_matches(json_string_value(t), inst))
            return 1;
        return fail(c, "type: expected %s, got %s", json_string_value(t), type_name(inst));
    }
    if (json_is_array(t)) {
        size_t i;
        json_t *e;
        char names[160] = "";
        json_array_foreach(t, i, e)
        {
            if (json_is_string(e) && type_matches(json_string_value(e), inst))
                return 1;
            if (json_is_string(e) &&
                strlen(names) + strlen(json_string_value(e)) + 3 < sizeof names) {
                if (names[0])
                    strcat(names, "|");
                strcat(names, json_string_value(e));
            }
        }
        return fail(c, "type: expected %s, got %s", names, type_name(inst));
    }
    return 1;
}

/* Runs the alternatives; reports how many matched and keeps the message of
 * the failing alternative that got deepest into the instance. */
static int v_alternatives(vctx *c, const char *kw, const json_t *arr, const json_t *inst,
                          evbits *ev)
{
    size_t i, nvalid = 0, first = 0, second = 0;
    json_t *sub;
    char *best = NULL; /* heap, not stack: this frame recurses */
    size_t best_depth = 0;
    int one = kw[0] == 'o', rc;

    if (!json_is_array(arr))
        return 1;
    json_array_foreach(arr, i, sub)
    {
        evbits scratch = {0};
        if (ev && (rc = ev_init(&scratch, inst)) < 0)
            return hard(c, rc, "out of memory");
        c->msg_set = 0;
        rc = v_schema(c, sub, inst, ev ? &scratch : NULL);
        if (rc < 0) {
            ev_deinit(&scratch);
            free(best);
            return rc;
        }
        if (rc == 1) {
            ev_or(ev, &scratch); /* anyOf: every passing branch counts */
            if (nvalid == 0) {
                first = i;
            } else if (nvalid == 1) {
                second = i;
            }
            nvalid++;
        } else if (!best || c->msg_depth > best_depth) {
            if (!best && !(best = malloc(sizeof c->msg))) {
                ev_deinit(&scratch);
                return hard(c, NW_ENOMEM, "out of memory");
            }
            best_depth = c->msg_depth;
            memcpy(best, c->msg, sizeof c->msg);
        }
        ev_deinit(&scratch);
        c->msg_set = 0;
        if (one ? nvalid > 1 : (nvalid > 0 && !ev))
            break;
    }
    if (one && nvalid == 1)
        rc = 1;
    else if (one && nvalid > 1)
        rc = fail(c, "oneOf: valid against more than one alternative (#%zu and #%zu)", first,
                  second);
    else if (nvalid == 0)
        rc = fail(c, "%s: no alternative matches; closest: %s", kw, best ? best : "(none)");
    else
        rc = 1;
    free(best);
    return rc;
}

static int v_allof(vctx *c, const json_t *arr, const json_t *inst, evbits *ev)
{
    size_t i;
    json_t *sub;
    if (!json_is_array(arr))
        return 1;
    json_array_foreach(arr, i, sub)
    {
        int rc = v_schema(c, sub, inst, ev);
        if (rc != 1)
            return rc;
    }
    return 1;
}

static int v_not(vctx *c, const json_t *sub, const json_t *inst)
{
    int rc = v_schema(c, sub, inst, NULL);
    if (rc < 0)
        return rc;
    c->msg_set = 0;
    if (rc == 1)
        return fail(c, "not: must not be valid against the 'not' schema");
    return 1;
}

static int v_if(vctx *c, const json_t *sch, const json_t *cond, const json_t *inst, evbits *ev)
{
    evbits scratch = {0};
    int rc;
    if (ev && (rc = ev_init(&scratch, inst)) < 0)
        return hard(c, rc, "out of memory");
    rc = v_schema(c, cond, inst, ev ? &scratch : NULL);
    if (rc < 0) {
        ev_deinit(&scratch);
        return rc;
    }
    const json_t *next;
    if (rc == 1) {
        ev_or(ev, &scratch);
        next = json_object_get(sch, "then");
    } else {
        c->msg_set = 0;
        next = json_object_get(sch, "else");
    }
    ev_deinit(&scratch);
    return next ? v_schema(c, next, inst, ev) : 1;
}

static int rx_match(vctx *c, const char *pattern, const char *s)
{
    const js_rx *r = rx_find(c->s, pattern);
    if (!r)
        return hard(c, NW_EINVAL, "pattern '%s' was not compiled (schema modified after add?)",
                    pattern);
    locale_t old = uselocale(utf8_locale()); /* compiled, so it exists */
    int rc = regexec(&r->re, s, 0, NULL, 0);
    uselocale(old);
    return rc == 0;
}

static int v_string(vctx *c, const char *kw, const json_t *val, const json_t *inst)
{
    const char *s = json_string_value(inst);
    char b1[80];
    if (kw[0] == 'p') { /* pattern */
        if (!json_is_string(val))
            return 1;
        int m = rx_match(c, json_string_value(val), s);
        if (m < 0)
            return m;
        return m ? 1
                 : fail(c, "pattern: %s does not match '%s'", show(inst, b1, sizeof b1),
                        json_string_value(val));
    }
    if (kw[0] == 'f') { /* format */
        const char *f = json_string_value(val);
        if (!f)
            return 1;
        unsigned on = c->s->formats;
        if ((on & NW_JSONSCHEMA_FORMAT_DATE_TIME) && strcmp(f, "date-time") == 0 &&
            !is_date_time(s))
            return fail(c, "format: %s is not an RFC 3339 date-time", show(inst, b1, sizeof b1));
        if ((on & NW_JSONSCHEMA_FORMAT_URI) && strcmp(f, "uri") == 0 && !is_uri(s))
            return fail(c, "format: %s is not an absolute URI", show(inst, b1, sizeof b1));
        return 1;
    }
    if (!json_is_number(val))
        return 1;
    double lim = json_number_value(val);
    double len = (double)utf8_length(s, json_string_length(inst));
    if (kw[1] == 'i' && len < lim) /* minLength */
        return fail(c, "minLength: length %.0f < %.0f", len, lim);
    if (kw[1] == 'a' && len > lim) /* maxLength */
        return fail(c, "maxLength: length %.0f > %.0f", len, lim);
    return 1;
}

static int v_number(vctx *c, const char *kw, const json_t *sch, const json_t *val,
                    const json_t *inst)
{
    char b1[64], b2[64];
    if (json_is_boolean(val))
        return 1; /* draft-04 exclusiveMinimum/Maximum: handled with minimum/maximum */
    if (!json_is_number(val))
        return 1;
    int cmp = num_cmp(inst, val);
    if (strcmp(kw, "minimum") == 0) {
        int excl = json_is_true(json_object_get(sch, "exclusiveMinimum"));
        if (cmp < 0 || (excl && cmp == 0))
            return fail(c, "minimum: %s is less than %s%s", show(inst, b1, sizeof b1),
                        excl ? "or equal to " : "", show(val, b2, sizeof b2));
    } else if (strcmp(kw, "maximum") == 0) {
        int excl = json_is_true(json_object_get(sch, "exclusiveMaximum"));
        if (cmp > 0 || (excl && cmp == 0))
            return fail(c, "maximum: %s is greater than %s%s", show(inst, b1, sizeof b1),
                        excl ? "or equal to " : "", show(val, b2, sizeof b2));
    } else if (strcmp(kw, "exclusiveMinimum") == 0) {
        if (cmp <= 0)
            return fail(c, "exclusiveMinimum: %s is not greater than %s", show(inst, b1, sizeof b1),
                        show(val, b2, sizeof b2));
    } else if (strcmp(kw, "exclusiveMaximum") == 0) {
        if (cmp >= 0)
            return fail(c, "exclusiveMaximum: %s is not less than %s", show(inst, b1, sizeof b1),
                        show(val, b2, sizeof b2));
    } else if (strcmp(kw, "multipleOf") == 0) {
        int ok;
        if (json_is_integer(inst) && json_is_integer(val) && json_integer_value(val) != 0) {
            ok = json_integer_value(inst) % json_integer_value(val) == 0;
        } else {
            double d = json_number_value(val);
            ok = d > 0 && real_is_integral(json_number_value(inst) / d);
        }
        if (!ok)
            return fail(c, "multipleOf: %s is not a multiple of %s", show(inst, b1, sizeof b1),
                        show(val, b2, sizeof b2));
    }
    return 1;
}

/* properties, patternProperties, additionalProperties of one schema object. */
static int v_props(vctx *c, const json_t *sch, const json_t *inst, evbits *ev)
{
    const json_t *props = json_object_get(sch, "properties");
    const json_t *pp = json_object_get(sch, "patternProperties");
    const json_t *ap = json_object_get(sch, "additionalProperties");
    const char *key;
    json_t *val;
    size_t i = 0;
    int rc;

    if (!json_is_object(props))
        props = NULL;
    if (!json_is_object(pp))
        pp = NULL;
    if (!props && !pp && !ap)
        return 1;
    json_object_foreach((json_t *)inst, key, val)
    {
        int matched = 0;
        path_push_key(c, key);
        const json_t *sub = props ? json_object_get(props, key) : NULL;
        if (sub) {
            matched = 1;
            if ((rc = v_schema(c, sub, val, NULL)) != 1)
                goto out;
        }
        if (pp) {
            const char *pk;
            json_t *pv;
            json_object_foreach((json_t *)pp, pk, pv)
            {
                int m = rx_match(c, pk, key);
                if (m < 0) {
                    rc = m;
                    goto out;
                }
                if (m) {
                    matched = 1;
                    if ((rc = v_schema(c, pv, val, NULL)) != 1)
                        goto out;
                }
            }
        }
        if (!matched && ap) {
            matched = 1;
            if (json_is_false(ap)) {
                rc = fail(c, "additionalProperties: property not allowed");
                goto out;
            }
            if ((rc = v_schema(c, ap, val, NULL)) != 1)
                goto out;
        }
        path_pop(c);
        if (matched)
            ev_set(ev, i);
        i++;
    }
    return 1;
out:
    path_pop(c);
    return rc;
}

static int v_unevaluated(vctx *c, const json_t *uneval, const json_t *inst, evbits *ev)
{
    const char *key;
    json_t *val;
    size_t i = 0;
    json_object_foreach((json_t *)inst, key, val)
    {
        if (!ev_get(ev, i)) {
            path_push_key(c, key);
            int rc = json_is_false(uneval) ? fail(c, "unevaluatedProperties: property not allowed")
                                           : v_schema(c, uneval, val, NULL);
            path_pop(c);
            if (rc != 1)
                return rc;
            ev_set(ev, i);
        }
        i++;
    }
    return 1;
}

static int v_object_misc(vctx *c, const char *kw, const json_t *val, const json_t *inst, evbits *ev)
{
    size_t i;
    json_t *e;
    int rc;

    if (strcmp(kw, "required") == 0) {
        if (!json_is_array(val))
            return 1; /* draft-03 boolean form: not supported */
        json_array_foreach(val, i, e)
        {
            if (json_is_string(e) && !json_object_get(inst, json_string_value(e)))
                return fail(c, "required property '%s' missing", json_string_value(e));
        }
    } else if (strcmp(kw, "minProperties") == 0 || strcmp(kw, "maxProperties") == 0) {
        if (!json_is_number(val))
            return 1;
        double n = (double)json_object_size(inst), lim = json_number_value(val);
        if (kw[1] == 'i' ? n < lim : n > lim)
            return fail(c, "%s: %.0f properties, limit %.0f", kw, n, lim);
    } else if (strcmp(kw, "propertyNames") == 0) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)inst, key, v)
        {
            json_t *ks = json_string(key);
            if (!ks)
                return hard(c, NW_ENOMEM, "out of memory");
            path_push_key(c, key);
            rc = v_schema(c, val, ks, NULL);
            path_pop(c);
            json_decref(ks);
            if (rc != 1)
                return rc;
        }
    } else { /* dependentRequired, dependentSchemas, dependencies */
        const char *key;
        json_t *dep;
        if (!json_is_object(val))
            return 1;
        json_object_foreach((json_t *)val, key, dep)
        {
            if (!json_object_get(inst, key))
                continue;
            if (json_is_array(dep)) {
                json_array_foreach(dep, i, e)
                {
                    if (json_is_string(e) && !json_object_get(inst, json_string_value(e)))
                        return fail(c, "%s: property '%s' requires '%s'", kw, key,
                                    json_string_value(e));
                }
            } else if ((rc = v_schema(c, dep, inst, ev)) != 1) {
                return rc;
            }
        }
    }
    return 1;
}

static int v_array(vctx *c, const char *kw, const json_t *sch, const json_t *val,
                   const json_t *inst)
{
    size_t n = json_array_size(inst), i, start = 0;
    int rc;
    json_t *e;

    if (strcmp(kw, "items") == 0 || strcmp(kw, "additionalItems") == 0) {
        const json_t *sub = val;
        if (json_is_array(val)) { /* draft-04/07 tuple form */
            if (kw[0] == 'a')
                return 1;
            for (i = 0; i < n && i < json_array_size(val); i++) {
                path_push_idx(c, i);
                rc = v_schema(c, json_array_get(val, i), json_array_get(inst, i), NULL);
                path_pop(c);
                if (rc != 1)
                    return rc;
            }
            return 1;
        }
        if (kw[0] == 'a') { /* additionalItems applies only after an items array */
            const json_t *items = json_object_get(sch, "items");
            if (!json_is_array(items))
                return 1;
            start = json_array_size(items);
        } else {
            const json_t *prefix = json_object_get(sch, "prefixItems");
            if (json_is_array(prefix))
                start = json_array_size(prefix);
        }
        for (i = start; i < n; i++) {
            path_push_idx(c, i);
            rc = json_is_false(sub) ? fail(c, "%s: no item allowed here", kw)
                                    : v_schema(c, sub, json_array_get(inst, i), NULL);
            path_pop(c);
            if (rc != 1)
                return rc;
        }
    } else if (strcmp(kw, "prefixItems") == 0) {
        if (!json_is_array(val))
            return 1;
        for (i = 0; i < n && i < json_array_size(val); i++) {
            path_push_idx(c, i);
            rc = v_schema(c, json_array_get(val, i), json_array_get(inst, i), NULL);
            path_pop(c);
            if (rc != 1)
                return rc;
        }
    } else if (strcmp(kw, "minItems") == 0 || strcmp(kw, "maxItems") == 0) {
        if (!json_is_number(val))
            return 1;
        double lim = json_number_value(val);
        if (kw[1] == 'i' ? (double)n < lim : (double)n > lim)
            return fail(c, "%s: %zu items, limit %.0f", kw, n, lim);
    } else if (strcmp(kw, "uniqueItems") == 0) {
        if (!json_is_true(val))
            return 1;
        for (i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (js_equal(json_array_get(inst, i), json_array_get(inst, j)))
                    return fail(c, "uniqueItems: items %zu and %zu are equal", i, j);
    } else if (strcmp(kw, "contains") == 0) {
        size_t found = 0;
        const json_t *mn = json_object_get(sch, "minContains");
        const json_t *mx = json_object_get(sch, "maxContains");
        double lo = json_is_number(mn) ? json_number_value(mn) : 1;
        json_array_foreach(inst, i, e)
        {
            rc = v_schema(c, val, e, NULL);
            if (rc < 0)
                return rc;
            found += rc == 1;
        }
        c->msg_set = 0;
        if ((double)found < lo)
            return fail(c, "contains: %zu matching items, need at least %.0f", found, lo);
        if (json_is_number(mx) && (double)found > json_number_value(mx))
            return fail(c, "maxContains: %zu matching items, limit %.0f", found,
                        json_number_value(mx));
    }
    return 1;
}

enum kw_kind {
    KW_IGNORE,
    KW_REF,
    KW_TYPE,
    KW_ENUM,
    KW_CONST,
    KW_ALLOF,
    KW_ALT, /* anyOf, oneOf */
    KW_NOT,
    KW_IF,
    KW_PROPS,
    KW_UNEVAL,
    KW_OBJECT,
    KW_ARRAY,
    KW_STRING,
    KW_NUMBER,
};

static enum kw_kind kw_classify(const char *k)
{
    switch (k[0]) {
    case '$': return strcmp(k, "$ref") == 0 ? KW_REF : KW_IGNORE;
    case 'a':
        if (!strcmp(k, "allOf"))
            return KW_ALLOF;
        if (!strcmp(k, "anyOf"))
            return KW_ALT;
        if (!strcmp(k, "additionalProperties"))
            return KW_PROPS;
        if (!strcmp(k, "additionalItems"))
            return KW_ARRAY;
        return KW_IGNORE;
    case 'c':
        if (!strcmp(k, "const"))
            return KW_CONST;
        if (!strcmp(k, "contains"))
            return KW_ARRAY;
        return KW_IGNORE;
    case 'd':
        if (!strcmp(k, "dependentRequired") || !strcmp(k, "dependentSchemas") ||
            !strcmp(k, "dependencies"))
            return KW_OBJECT;
        return KW_IGNORE;
    case 'e':
        if (!strcmp(k, "enum"))
            return KW_ENUM;
        if (!strcmp(k, "exclusiveMinimum") || !strcmp(k, "exclusiveMaximum"))
            return KW_NUMBER;
        return KW_IGNORE;
    case 'f': return strcmp(k, "format") == 0 ? KW_STRING : KW_IGNORE;
    case 'i':
        if (!strcmp(k, "if"))
            return KW_IF;
        if (!strcmp(k, "items"))
            return KW_ARRAY;
        return KW_IGNORE;
    case 'm':
        if (!strcmp(k, "minimum") || !strcmp(k, "maximum") || !strcmp(k, "multipleOf"))
            return KW_NUMBER;
        if (!strcmp(k, "minLength") || !strcmp(k, "maxLength"))
            return KW_STRING;
        if (!strcmp(k, "minItems") || !strcmp(k, "maxItems"))
            return KW_ARRAY;
        if (!strcmp(k, "minProperties") || !strcmp(k, "maxProperties"))
            return KW_OBJECT;
        return KW_IGNORE;
    case 'n': return strcmp(k, "not") == 0 ? KW_NOT : KW_IGNORE;
    case 'o': return strcmp(k, "oneOf") == 0 ? KW_ALT : KW_IGNORE;
    case 'p':
        if (!strcmp(k, "properties") || !strcmp(k, "patternProperties"))
            return KW_PROPS;
        if (!strcmp(k, "pattern"))
            return KW_STRING;
        if (!strcmp(k, "prefixItems"))
            return KW_ARRAY;
        if (!strcmp(k, "propertyNames"))
            return KW_OBJECT;
        return KW_IGNORE;
    case 'r': return strcmp(k, "required") == 0 ? KW_OBJECT : KW_IGNORE;
    case 't': return strcmp(k, "type") == 0 ? KW_TYPE : KW_IGNORE;
    case 'u':
        if (!strcmp(k, "unevaluatedProperties"))
            return KW_UNEVAL;
        if (!strcmp(k, "uniqueItems"))
            return KW_ARRAY;
        return KW_IGNORE;
    default: return KW_IGNORE;
    }
}

static int v_keywords(vctx *c, const json_t *sch, const json_t *inst, evbits *ev)
{
    const char *kw;
    json_t *val;
    int props_done = 0, rc = 1;
    const json_t *uneval = NULL;
    char b1[80];

    json_object_foreach((json_t *)sch, kw, val)
    {
        switch (kw_classify(kw)) {
        case KW_IGNORE: continue;
        case KW_REF: rc = v_ref(c, val, inst, ev); break;
        case KW_TYPE: rc = v_type(c, val, inst); break;
        case KW_ENUM: {
            size_t i;
            json_t *e;
            if (!json_is_array(val))
                continue;
            rc = 0;
            json_array_foreach(val, i, e)
            {
                if (js_equal(e, inst)) {
                    rc = 1;
                    break;
                }
            }
            if (!rc)
                rc =
                    fail(c, "enum: %s is not one of the allowed values", show(inst, b1, sizeof b1));
            break;
        }
        case KW_CONST:
            rc = js_equal(val, inst)
                     ? 1
                     : fail(c, "const: %s is not the required value", show(inst, b1, sizeof b1));
            break;
        case KW_ALLOF: rc = v_allof(c, val, inst, ev); break;
        case KW_ALT: rc = v_alternatives(c, kw, val, inst, ev); break;
        case KW_NOT: rc = v_not(c, val, inst); break;
        case KW_IF: rc = v_if(c, sch, val, inst, ev); break;
        case KW_PROPS:
            if (props_done || !json_is_object(inst))
                continue;
            props_done = 1;
            rc = v_props(c, sch, inst, ev);
            break;
        case KW_UNEVAL: uneval = val; continue;
        case KW_OBJECT:
            if (!json_is_object(inst))
                continue;
            rc = v_object_misc(c, kw, val, inst, ev);
            break;
        case KW_ARRAY:
            if (!json_is_array(inst))
                continue;
            rc = v_array(c, kw, sch, val, inst);
            break;
        case KW_STRING:
            if (!json_is_string(inst))
                continue;
            rc = v_string(c, kw, val, inst);
            break;
        case KW_NUMBER:
            if (!json_is_number(inst))
                continue;
            rc = v_number(c, kw, sch, val, inst);
            break;
        }
        if (rc != 1)
            return rc;
    }
    if (uneval && json_is_object(inst))
        return v_unevaluated(c, uneval, inst, ev);
    return 1;
}

static int v_schema(vctx *c, const json_t *sch, const json_t *inst, evbits *ev)
{
    int rc;

    if (json_is_true(sch))
        return 1;
    if (json_is_false(sch))
        return fail(c, "false schema: no value allowed");
    if (!json_is_object(sch))
        return 1;
    if (c->depth >= JS_MAX_DEPTH || c->npath >= JS_MAX_DEPTH) {
        char where[200];
        path_format(c, where, sizeof where);
        return hard(c, NW_ELIMIT, "%s: schema nesting deeper than %d (cyclic $ref?)", where,
                    JS_MAX_DEPTH);
    }
    c->depth++;
    if (c->doc && c->doc->legacy) {
        const json_t *ref = json_object_get(sch, "$ref");
        if (ref) { /* draft-04/07: $ref replaces its siblings */
            rc = v_ref(c, ref, inst, ev);
            c->depth--;
            return rc;
        }
    }
    /* unevaluatedProperties sees only what this schema object and its own
     * subschemas evaluated, never a sibling's work: it gets a fresh bitset,
     * merged into the caller's when the object passes. */
    evbits local = {0};
    if (json_is_object(inst) && json_object_get(sch, "unevaluatedProperties")) {
        if ((rc = ev_init(&local, inst)) < 0) {
            c->depth--;
            return hard(c, rc, "out of memory");
        }
        rc = v_keywords(c, sch, inst, &local);
        if (rc == 1)
            ev_or(ev, &local);
    } else {
        rc = v_keywords(c, sch, inst, ev);
    }
    ev_deinit(&local);
    c->depth--;
    return rc;
}

int nw_jsonschema_validate(const nw_jsonschema *s, const char *schema_uri, const json_t *instance,
                           nw_err *err)
{
    if (!s || !schema_uri || !instance)
        return nw_err_set(err, NW_EINVAL, "nw_jsonschema_validate: NULL argument");
    vctx *c = malloc(sizeof *c);
    if (!c)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    c->s = s;
    c->doc = NULL;
    c->depth = 0;
    c->npath = 0;
    c->msg_set = 0;
    c->msg_depth = 0;
    c->msg[0] = '\0';

    const js_doc *doc = NULL;
    const json_t *root = ref_resolve(c, schema_uri, &doc);
    int rc;
    if (!root) {
        rc = nw_err_set(err, NW_ENOTFOUND, "schema '%s' is not registered", schema_uri);
    } else {
        c->doc = doc;
        rc = v_schema(c, root, instance, NULL);
        if (rc == 1)
            rc = 0;
        else if (rc == 0)
            rc = nw_err_set(err, NW_EINVAL, "%s", c->msg);
        else
            nw_err_set(err, rc, "%s", c->msg);
    }
    free(c);
    return rc;
}
