/*
 * test_json_fast — nw_json_loadb against jansson's json_loadb, differential:
 * for every input and flag set both give NULL with the same json_error_t
 * (text, line, column, position, source, error code), or trees that are
 * json_equal and dump to the same bytes (JSON_COMPACT, which also shows key
 * order and the sign of -0.0), and the same json_error_t after success.
 * Inputs: every .json/.jsonl document of the shared datasets and the test
 * fixtures (the fast path must take >= 95% of the dataset documents), a hand
 * list of edge cases, and thousands of generated documents, mutated ones
 * included. tests/fuzz/fuzz_json does the same on arbitrary input.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_json.h"
#include "nw_testutil.h"

/* Flag sets every input is tried with. */
static const size_t flag_sets[] = {
    0,
    JSON_DECODE_ANY,
    JSON_REJECT_DUPLICATES,
    JSON_DECODE_ANY | JSON_ALLOW_NUL,
    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
};
#define N_FLAG_SETS (sizeof flag_sets / sizeof flag_sets[0])

/* A printable, bounded rendering of an input for failure messages. */
static const char *show(const char *buf, size_t len)
{
    static char out[700];
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02X", c);
    }
    out[o] = '\0';
    return out;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Both loaders on one input; asserts they agree. Returns true when
 * nw_json_loadb parsed it itself (no fallback to jansson). */
static bool same(const char *buf, size_t len, size_t flags)
{
    json_error_t ej, en;
    memset(&ej, 0x5A, sizeof ej);
    memset(&en, 0x5A, sizeof en);
    json_t *a = json_loadb(buf, len, flags, &ej);
    nw_json_stats before, after;
    nw_json_stats_get(&before);
    json_t *b = nw_json_loadb(buf, len, flags, &en);
    nw_json_stats_get(&after);
    bool fast = after.fast > before.fast;
    cr_assert_eq(after.fast + after.fallback, before.fast + before.fallback + 1);
    if (!a) {
        cr_assert_null(b, "flags %zx: jansson rejects (%s) but the fast path accepts [%s]", flags,
                       ej.text, show(buf, len));
        cr_assert(!fast);
    } else {
        cr_assert_not_null(b, "flags %zx: jansson accepts but nw_json_loadb fails (%s) [%s]", flags,
                           en.text, show(buf, len));
        char *da = dump(a), *db = dump(b);
        cr_assert(json_equal(a, b), "flags %zx: trees differ [%s]\n jansson %s\n fast    %s", flags,
                  show(buf, len), da, db);
        cr_assert_str_eq(da, db, "flags %zx: dumps differ [%s]", flags, show(buf, len));
        free(da);
        free(db);
    }
    cr_assert(!memcmp(&ej, &en, sizeof ej),
              "flags %zx: json_error_t differs [%s]\n jansson %d:%d:%d %s\n fast    %d:%d:%d %s",
              flags, show(buf, len), ej.line, ej.column, ej.position, ej.text, en.line, en.column,
              en.position, en.text);
    json_decref(a);
    json_decref(b);
    return fast;
}

/* Every flag set; returns whether the fast path took the flags-0 load. */
static bool same_all_flags(const char *buf, size_t len)
{
    bool fast = same(buf, len, 0);
    for (size_t i = 1; i < N_FLAG_SETS; i++)
        same(buf, len, flag_sets[i]);
    /* flags left to jansson: always the fallback, same answers */
    same(buf, len, JSON_DISABLE_EOF_CHECK);
    same(buf, len, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY);
    return fast;
}

/* ------------------------------------------- datasets and fixtures --- */

typedef struct tally {
    size_t docs, fast, valid;
} tally;

static void check_doc(tally *t, const char *buf, size_t len)
{
    t->docs++;
    json_t *j = json_loadb(buf, len, 0, NULL);
    if (j)
        t->valid++;
    json_decref(j);
    if (same_all_flags(buf, len))
        t->fast++;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void check_file(const char *path, size_t size, void *ctx)
{
    (void)size;
    tally *t = ctx;
    bool lines = ends_with(path, ".jsonl") || ends_with(path, ".ndjson");
    if (!lines && !ends_with(path, ".json"))
        return;
    size_t len;
    char *buf = nw_test_read_file(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    if (!lines) {
        check_doc(t, buf, len);
    } else {
        for (char *p = buf, *end = buf + len; p < end;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n)
                check_doc(t, p, n);
            p += n + 1;
        }
    }
    free(buf);
}

Test(json_fast, same_as_jansson_on_every_dataset_document, .timeout = 240)
{
    char *root = nw_test_shared_path("datasets");
    struct stat st;
    if (!root || stat(root, &st)) {
        free(root);
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    }
    tally t = {0};
    nw_test_walk(root, 64 * 1024 * 1024, check_file, &t);
    free(root);
    cr_log_info("dataset JSON documents: %zu (%zu valid), on the fast path: %zu", t.docs, t.valid,
                t.fast);
    cr_assert_gt(t.docs, 300, "only %zu documents found", t.docs);
    cr_assert_geq(t.fast * 100, t.docs * 95, "only %zu of %zu documents on the fast path", t.fast,
                  t.docs);
}

Test(json_fast, same_as_jansson_on_every_fixture, .timeout = 120)
{
    char *root = nw_test_fixture_path("");
    tally t = {0};
    nw_test_walk(root, 64 * 1024 * 1024, check_file, &t);
    free(root);
    cr_log_info("fixture JSON documents: %zu (%zu valid), on the fast path: %zu", t.docs, t.valid,
                t.fast);
    cr_assert_gt(t.docs, 5);
}

/* -------------------------------------------------------- edge cases --- */

/* Inputs whose flags-0 load must take the fast path. */
static const char *const fast_cases[] = {
    "{}",
    "[]",
    " \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n1 \t\r\n, \"b\":[ 1 , 2 ] } \t\r\n",
    "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
    "[\"\\u0041\\u00e9\\u00E9\\u20AC\\uffff\\uD83D\\uDE00\\udbff\\udfff\"]",
    "[\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF\x7F\"]",
    "[0,-0,1,-1,123456789,9223372036854775807,-9223372036854775808]",
    "[999999999999999999,1000000000000000000,-999999999999999999]",
    "[1.5,-0.0,0.0,1e5,1E5,1e+5,1e-5,-2.5E-3,1.7976931348623157e308,4.9e-324,1e-400]",
    "[0.1,0.30000000000000004,123456789012345678901234567890.5,2.2250738585072014e-308]",
    "[true,false,null,[],{},[[]],{\"\":{}}]",
    "{\"a\":1,\"b\":2,\"a\":3}",
    "{\"a\":1,\"\\u0061\":2}",
    "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}",
    "{\"k\\u00e9y\":\"v\",\"k\\u00e9y2\":{\"n\\u00e9sted\\n\":\"x\\ty\"}}",
    "[\"a long string of plain text that runs over several eight byte words and more\"]",
    "[\"12345678\",\"1234567\",\"123456789\",\"\",\"\\\"\",\"x\\\"\"]",
};

/* Inputs jansson rejects (all flag sets) or that need a flag. */
static const char *const other_cases[] = {
    "",
    " ",
    "\xEF\xBB\xBF{}",
    "{",
    "[",
    "]",
    "{]",
    "[}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\" 1}",
    "{\"a\":1,}",
    "[1,]",
    "[,1]",
    "[1 2]",
    "{a:1}",
    "{'a':1}",
    "{} x",
    "{}{}",
    "[] ]",
    "{}\x01",
    "1",
    "-1",
    "1.5",
    "\"str\"",
    "true",
    "false",
    "null",
    "  null  ",
    "nul",
    "truex",
    "[truex]",
    "[tru]",
    "[True]",
    "[nan]",
    "[inf]",
    "[-]",
    "[+1]",
    "[01]",
    "[-01]",
    "[00]",
    "[1.]",
    "[.5]",
    "[1.e5]",
    "[1e]",
    "[1e+]",
    "[1E-]",
    "[0x10]",
    "[1a]",
    "[1.5.3]",
    "[9223372036854775808]",
    "[-9223372036854775809]",
    "[18446744073709551616]",
    "[99999999999999999999]",
    "[10000000000000000000000000000]",
    "[1e400]",
    "[-1e400]",
    "[1e308,1.8e308]",
    "[0.00000000000000000000000000000000000000000000000000000000000000000000000000001]",
    "[\"\\u0000\"]",
    "[\"a\\u0000b\"]",
    "{\"\\u0000\":1}",
    "{\"a\\u0000\":1}",
    "\"\\u0000\"",
    "[\"\\uD800\"]",
    "[\"\\uDC00\"]",
    "[\"\\uD800\\u0041\"]",
    "[\"\\uD800\\uD800\"]",
    "[\"\\uD800\\n\"]",
    "[\"\\uD800x\"]",
    "[\"\\uD83D\\uDE0\"]",
    "[\"\\u12\"]",
    "[\"\\u12G4\"]",
    "[\"\\x41\"]",
    "[\"\\a\"]",
    "[\"\\",
    "[\"\\\"]",
    "[\"abc",
    "[\"abc\\u00",
    "[\"a\x01\"]",
    "[\"a\x1F\"]",
    "[\"a\nb\"]",
    "[\"a\tb\"]",
    "[\"\x80\"]",
    "[\"\xBF\"]",
    "[\"\xC0\x80\"]",
    "[\"\xC1\xBF\"]",
    "[\"\xC2\"]",
    "[\"\xC2\x41\"]",
    "[\"\xE0\x80\x80\"]",
    "[\"\xE0\x9F\xBF\"]",
    "[\"\xED\xA0\x80\"]",
    "[\"\xED\xBF\xBF\"]",
    "[\"\xEF\xBF\"]",
    "[\"\xF0\x80\x80\x80\"]",
    "[\"\xF0\x8F\xBF\xBF\"]",
    "[\"\xF4\x90\x80\x80\"]",
    "[\"\xF5\x80\x80\x80\"]",
    "[\"\xF8\x88\x80\x80\x80\"]",
    "[\"\xFE\"]",
    "[\"\xFF\"]",
    "[\"\xC3\xA9",
    "[\"\xF0\x9F\x98",
    "[\xC3\xA9]",
    "{\"\xC3\xA9\":1}",
    "{\"\xED\xA0\x80\":1}",
    "{\"a\":1,\"a\":2}",
    "{\"a\":{\"b\":1,\"b\":2}}",
    "[{\"a\":1},{\"a\":1}]",
    "{\"a\":1,\"\\u0061\":2}",
    "{\"\":1,\"\":2}",
    "[1]\n",
    "[1]\r\n\t ",
    "\v[1]",
    "\f[1]",
    "[1]\v",
    "\xA0[1]",
    "/*c*/[1]",
    "[1]//",
};

Test(json_fast, edge_cases_same_as_jansson)
{
    for (size_t i = 0; i < sizeof fast_cases / sizeof fast_cases[0]; i++)
        cr_assert(same_all_flags(fast_cases[i], strlen(fast_cases[i])),
                  "not on the fast path: [%s]", show(fast_cases[i], strlen(fast_cases[i])));
    for (size_t i = 0; i < sizeof other_cases / sizeof other_cases[0]; i++)
        same_all_flags(other_cases[i], strlen(other_cases[i]));
}

Test(json_fast, embedded_nul_bytes_and_null_buffer)
{
    static const char with_nul[][8] = {"[1]\0", "[\"\0\"]", "\0[1]", "[1,\0 2]", "{\"\0\":1}"};
    static const size_t lens[] = {4, 5, 4, 7, 8};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        same_all_flags(with_nul[i], lens[i]);
    /* a length shorter than the text: only the first len bytes count */
    same_all_flags("[1]]]", 3);
    same_all_flags("{\"a\":\"bc\"}", 8);
    same_all_flags("[12345]", 4);
    same_all_flags("[tru]", 4);
    same_all_flags("[\"\xC3\xA9\"]", 3);
    same_all_flags("[\"\\u0041\"]", 6);
    same_all_flags("[\"\\uD83D\\uDE00\"]", 10);
    same_all_flags("[1.5e10]", 5);
    json_error_t ej, en;
    memset(&ej, 0x5A, sizeof ej);
    memset(&en, 0x5A, sizeof en);
    cr_assert_null(json_loadb(NULL, 3, 0, &ej));
    cr_assert_null(nw_json_loadb(NULL, 3, 0, &en));
    cr_assert(!memcmp(&ej, &en, sizeof ej));
    json_t *j = nw_json_loadb("{\"a\":1}", 7, 0, NULL); /* error may be NULL */
    cr_assert(json_is_object(j));
    json_decref(j);
    cr_assert_null(nw_json_loadb("{", 1, 0, NULL));
}

static char *nested(const char *open, const char *inner, const char *close, int depth)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc((size_t)depth * (lo + lc) + li + 1), *p = s;
    for (int i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (int i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

Test(json_fast, deep_nesting_same_as_jansson, .timeout = 120)
{
    static const int depths[] = {1, 2, 100, 510, 511, 512, 513, 1000, 2047, 2048, 2049, 3000};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        int d = depths[i];
        char *a = nested("[", "", "]", d), *b = nested("[", "1", "]", d);
        char *c = nested("{\"a\":", "{}", "}", d), *e = nested("[{\"k\":", "null", "}]", d);
        char *f = nested("[", "", "", d); /* unclosed */
        bool fa = same_all_flags(a, strlen(a));
        same_all_flags(b, strlen(b));
        same_all_flags(c, strlen(c));
        same_all_flags(e, strlen(e));
        same_all_flags(f, strlen(f));
        if (d <= 512)
            cr_assert(fa, "depth %d not on the fast path", d);
        else
            cr_assert(!fa, "depth %d on the fast path", d);
        free(a);
        free(b);
        free(c);
        free(e);
        free(f);
    }
}

/* ------------------------------------------------ generated documents --- */

typedef struct gen {
    uint64_t rng;
    bool bad; /* this document may carry invalid strings */
    char *b;
    size_t len, cap;
} gen;

static uint32_t rnd(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng >> 32);
}

static unsigned rn(gen *g, unsigned n)
{
    return rnd(g) % n;
}

static void put(gen *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->b = realloc(g->b, g->cap);
        cr_assert_not_null(g->b);
    }
    memcpy(g->b + g->len, s, n);
    g->len += n;
}

static void puts_(gen *g, const char *s)
{
    put(g, s, strlen(s));
}

static void pick(gen *g, const char *const *list, size_t n)
{
    puts_(g, list[rn(g, (unsigned)n)]);
}
#define PICK(g, list) pick(g, list, sizeof list / sizeof list[0])

static void gen_ws(gen *g)
{
    static const char *const ws[] = {" ", "\n", "\t", "\r", "  ", " \n\t\r "};
    if (rn(g, 3) == 0)
        PICK(g, ws);
}

static void gen_string_body(gen *g)
{
    static const char *const esc[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"};
    static const char *const uesc[] = {
        "\\u0041",        "\\u00e9",        "\\u00E9",        "\\u0001", "\\u001f", "\\u007F",
        "\\u0080",        "\\u07ff",        "\\u0800",        "\\u20ac", "\\uFFFF", "\\uFEFF",
        "\\uD83D\\uDE00", "\\ud800\\udc00", "\\uDBFF\\uDFFF", "\\u0000"};
    static const char *const bad_esc[] = {
        "\\uD800", "\\uDC00", "\\uD800\\u0041", "\\u12", "\\uZZZZ", "\\x", "\\", "\\uD800\\uD800"};
    static const char *const utf8[] = {"\xC3\xA9",         "\xE2\x82\xAC",    "\xF0\x9F\x98\x80",
                                       "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF",    "\xC2\x80",
                                       "\xDF\xBF",         "\xE0\xA0\x80",    "\xED\x9F\xBF",
                                       "\xEE\x80\x80",     "\xF0\x90\x80\x80"};
    static const char *const bad_utf8[] = {
        "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80",        "\xFF", "\x01", "\x1F", "\n",
        "\xC3",     "\xE2\x82",     "\xF5\x80\x80\x80", "\xE0\x9F\xBF"};
    static const char plain[] = "abcxyzABCXYZ0129 .,:;!?-_'{}[]<>#\x7F~";
    unsigned n = rn(g, 4) == 0 ? rn(g, 40) : rn(g, 10);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = rn(g, 100);
        if (k < 70)
            put(g, &plain[rn(g, sizeof plain - 1)], 1);
        else if (k < 80)
            PICK(g, esc);
        else if (k < 88)
            PICK(g, uesc);
        else if (k < 97)
            PICK(g, utf8);
        else if (k < 99 && g->bad)
            PICK(g, bad_utf8);
        else if (g->bad)
            PICK(g, bad_esc);
    }
}

static void gen_string(gen *g)
{
    puts_(g, "\"");
    gen_string_body(g);
    puts_(g, "\"");
}

static void gen_key(gen *g)
{
    static const char *const keys[] = {"\"a\"", "\"b\"",        "\"uri\"",       "\"\\u0061\"",
                                       "\"\"",  "\"k\\u00e9\"", "\"k\xC3\xA9\"", "\"type\""};
    if (rn(g, 3))
        PICK(g, keys);
    else
        gen_string(g);
}

static void gen_number(gen *g)
{
    static const char *const fixed[] = {"0",
                                        "-0",
                                        "1",
                                        "-1",
                                        "9223372036854775807",
                                        "-9223372036854775808",
                                        "9223372036854775808",
                                        "-9223372036854775809",
                                        "999999999999999999",
                                        "1000000000000000000",
                                        "18446744073709551615",
                                        "1.5",
                                        "-0.0",
                                        "0.0",
                                        "1e5",
                                        "1E+5",
                                        "1e-5",
                                        "2.5E-3",
                                        "1e400",
                                        "-1e400",
                                        "1e-400",
                                        "1.7976931348623157e308",
                                        "4.9e-324",
                                        "0.1",
                                        "123.456e7",
                                        "01",
                                        "1.",
                                        ".5",
                                        "-",
                                        "1e",
                                        "+1",
                                        "1.e5",
                                        "0e0",
                                        "-0e-0",
                                        "00",
                                        "1.5e",
                                        "123456789012345678901234567890"};
    if (rn(g, 2)) {
        PICK(g, fixed);
        return;
    }
    char tmp[48];
    unsigned digits = 1 + rn(g, 20);
    size_t o = 0;
    if (rn(g, 2))
        tmp[o++] = '-';
    tmp[o++] = (char)('1' + rn(g, 9));
    for (unsigned i = 1; i < digits; i++)
        tmp[o++] = (char)('0' + rn(g, 10));
    if (rn(g, 4) == 0) {
        tmp[o++] = '.';
        for (unsigned i = 0, m = 1 + rn(g, 8); i < m; i++)
            tmp[o++] = (char)('0' + rn(g, 10));
    }
    if (rn(g, 5) == 0)
        o += (size_t)snprintf(tmp + o, sizeof tmp - o, "e%d", (int)rn(g, 700) - 350);
    tmp[o] = '\0';
    puts_(g, tmp);
}

static void gen_value(gen *g, int depth)
{
    static const char *const lits[] = {"true", "false", "null"};
    unsigned k = depth > 5 ? 3 + rn(g, 5) : rn(g, 8);
    switch (k) {
    case 0:
    case 1: {
        puts_(g, "{");
        gen_ws(g);
        for (unsigned i = 0, n = rn(g, 6); i < n; i++) {
            if (i) {
                puts_(g, ",");
                gen_ws(g);
            }
            gen_key(g);
            gen_ws(g);
            puts_(g, ":");
            gen_ws(g);
            gen_value(g, depth + 1);
            gen_ws(g);
        }
        puts_(g, "}");
        break;
    }
    case 2: {
        puts_(g, "[");
        gen_ws(g);
        for (unsigned i = 0, n = rn(g, 6); i < n; i++) {
            if (i) {
                puts_(g, ",");
                gen_ws(g);
            }
            gen_value(g, depth + 1);
            gen_ws(g);
        }
        puts_(g, "]");
        break;
    }
    case 3:
    case 4: gen_string(g); break;
    case 5:
    case 6: gen_number(g); break;
    default: PICK(g, lits);
    }
}

static void mutate(gen *g)
{
    static const char interesting[] = "{}[]:,\"\\ 0-eE.tfnu\x00\x01\x80\xC3\xFF\n";
    for (unsigned m = 0, n = 1 + rn(g, 3); m < n && g->len; m++) {
        size_t at = rn(g, (unsigned)g->len);
        switch (rn(g, 5)) {
        case 0: g->b[at] = (char)rnd(g); break;
        case 1: g->b[at] = interesting[rn(g, sizeof interesting - 1)]; break;
        case 2:
            memmove(g->b + at, g->b + at + 1, g->len - at - 1);
            g->len--;
            break;
        case 3: g->len = at; break;
        default: {
            char c = interesting[rn(g, sizeof interesting - 1)];
            put(g, &c, 1); /* grows the buffer; then move it into place */
            memmove(g->b + at + 1, g->b + at, g->len - at - 1);
            g->b[at] = c;
        }
        }
    }
}

Test(json_fast, generated_documents_same_as_jansson, .timeout = 240)
{
    gen g = {.rng = 0x9E3779B97F4A7C15ull};
    size_t docs = 0, fast = 0, accepted = 0;
    for (int i = 0; i < 6000; i++) {
        g.len = 0;
        g.bad = rn(&g, 4) == 0;
        gen_ws(&g);
        if (rn(&g, 10) == 0)
            gen_value(&g, 0); /* sometimes a scalar at the top */
        else if (rn(&g, 2))
            (puts_(&g, "{\"uri\":"), gen_value(&g, 1), puts_(&g, ",\"x\":"), gen_value(&g, 1),
             puts_(&g, "}"));
        else
            (puts_(&g, "["), gen_value(&g, 1), puts_(&g, ","), gen_value(&g, 1), puts_(&g, "]"));
        gen_ws(&g);
        bool mutated = i % 2 == 1;
        if (mutated)
            mutate(&g);
        docs++;
        json_t *j = json_loadb(g.b, g.len, 0, NULL);
        if (j)
            accepted++;
        json_decref(j);
        if (same_all_flags(g.b, g.len))
            fast++;
    }
    free(g.b);
    cr_log_info("generated documents: %zu, accepted by jansson: %zu, on the fast path: %zu", docs,
                accepted, fast);
    /* the generator mostly writes valid JSON: the fast path must carry most */
    cr_assert_gt(fast * 2, accepted, "fast %zu of %zu accepted", fast, accepted);
}

Test(json_fast, stats_count_fast_and_fallback_loads)
{
    nw_json_stats_reset();
    json_t *j = nw_json_loadb("{\"a\":[1,2]}", 11, 0, NULL);
    json_decref(j);
    j = nw_json_loadb("{\"a\":[1,2]", 10, 0, NULL);
    cr_assert_null(j);
    j = nw_json_loadb("[1]", 3, JSON_DISABLE_EOF_CHECK, NULL);
    json_decref(j);
    nw_json_stats s;
    nw_json_stats_get(&s);
    cr_assert_eq(s.fast, 1);
    cr_assert_eq(s.fallback, 2);
}
