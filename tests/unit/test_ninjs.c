/*
 * test_ninjs — the ninjs codec: round trips over the IPTC 3.x examples, decoding
 * every 1.x/2.x/3.x example and Superdesk fixture, schema-3.1 validity of every
 * re-encoded story (with nw_jsonschema), and the documented mappings.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_testutil.h"
#include "nw_time.h"

#define NINJS_DIR "datasets/ninjs/iptc-newsinjson"

/* ---------------------------------------------------------------- helpers */

typedef struct file_list {
    char **paths;
    size_t len, cap;
} file_list;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json under dir (recursively), sorted. */
static void collect_json(const char *dir, file_list *fl)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(n);
        snprintf(p, n, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect_json(p, fl);
            free(p);
        } else if (n > 6 && !strcmp(p + strlen(p) - 5, ".json")) {
            if (fl->len == fl->cap) {
                fl->cap = fl->cap ? fl->cap * 2 : 32;
                fl->paths = realloc(fl->paths, fl->cap * sizeof *fl->paths);
            }
            fl->paths[fl->len++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
    qsort(fl->paths, fl->len, sizeof *fl->paths, cmp_str);
}

static void free_list(file_list *fl)
{
    for (size_t i = 0; i < fl->len; i++)
        free(fl->paths[i]);
    free(fl->paths);
    memset(fl, 0, sizeof *fl);
}

/* "<shared>/datasets/ninjs/<rel>", or skip the test when the datasets are absent. */
static char *dataset(const char *rel)
{
    char full[512];
    snprintf(full, sizeof full, "datasets/ninjs/%s", rel);
    char *p = nw_test_shared_path(full);
    struct stat st;
    if (!p || stat(p, &st) != 0) {
        free(p);
        cr_skip_test("shared ninjs datasets not found (set NW_SHARED_DIR)");
    }
    return p;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert_not_null(j, "%s: %d:%d: %s", path, je.line, je.column, je.text);
    return j;
}

/* The stories a file holds: an object, each element of an array, or each
 * element of Superdesk's search-result wrapper {"item": [...]}. New reference. */
static json_t *items_of(json_t *doc)
{
    if (json_is_array(doc))
        return json_incref(doc);
    json_t *arr = json_array();
    json_t *wrapped = json_object_get(doc, "item");
    if (json_is_array(wrapped) && !json_object_get(doc, "uri"))
        json_array_extend(arr, wrapped);
    else
        json_array_append(arr, doc);
    return arr;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Apply the writer's documented normalizations to a 3.x input: timestamps to
 * RFC 3339 UTC, a missing type becomes "text"; same inside associations. */
static void normalize_expected(json_t *o)
{
    static const char *const times[] = {"versionCreated", "firstCreated", "contentCreated",
                                        "embargoedUntil", "expires",      NULL};
    for (size_t i = 0; times[i]; i++) {
        json_t *v = json_object_get(o, times[i]);
        if (!json_is_string(v))
            continue;
        char *norm = NULL;
        nw_err err;
        cr_assert_eq(nw_time_normalize(json_string_value(v), NULL, &norm, &err), 0, "%s", err.msg);
        json_object_set_new(o, times[i], json_string(norm));
        free(norm);
    }
    if (!json_object_get(o, "type"))
        json_object_set_new(o, "type", json_string("text"));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(o, "associations"), i, a) normalize_expected(a);
}

/* Remove a JSON pointer ("/a/0/b") from doc; missing paths are ignored. */
static void remove_pointer(json_t *doc, const char *ptr)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ptr);
    json_t *cur = doc, *parent = NULL;
    char *last = NULL, *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        parent = cur;
        last = tok;
        if (json_is_object(cur))
            cur = json_object_get(cur, tok);
        else if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            return;
        if (!cur)
            return;
    }
    if (json_is_object(parent))
        json_object_del(parent, last);
    else if (json_is_array(parent))
        json_array_remove(parent, strtoul(last, NULL, 10));
}

/* Remove every dropped path the writer reported, last first (so an array
 * index still means what it meant when it was noted). */
static void remove_dropped(json_t *doc, const nw_ninjs_stats *st)
{
    cr_assert_null(strstr(st->dropped_paths, "..."), "too many drops to check: %s",
                   st->dropped_paths);
    char buf[sizeof st->dropped_paths];
    memcpy(buf, st->dropped_paths, sizeof buf);
    char *parts[64];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
        parts[n++] = tok;
    while (n)
        remove_pointer(doc, parts[--n]);
}

static nw_story *decode_ok(const json_t *j, const char *what)
{
    nw_story *s = NULL;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_ninjs_decode(j, &s, &err);
    cr_assert_eq(rc, 0, "%s: decode failed: %s", what, err.msg);
    cr_assert_not_null(s);
    return s;
}

static nw_story *loads_ok(const char *text)
{
    nw_story *s = NULL;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_ninjs_loads(text, strlen(text), &s, &err);
    cr_assert_eq(rc, 0, "loads failed: %s", err.msg);
    return s;
}

/* -------------------------------------------------- round trips over 3.x */

static size_t round_trip_dir(const char *rel)
{
    char *dir = dataset(rel);
    file_list fl = {0};
    collect_json(dir, &fl);
    size_t checked = 0;
    for (size_t f = 0; f < fl.len; f++) {
        json_t *doc = load_json(fl.paths[f]);
        json_t *items = items_of(doc);
        size_t i;
        json_t *in;
        json_array_foreach(items, i, in)
        {
            nw_story *s = decode_ok(in, fl.paths[f]);
            nw_ninjs_stats st;
            nw_err err;
            json_t *out = nw_ninjs_encode_ex(s, &st, &err);
            cr_assert_not_null(out, "%s[%zu]: encode failed: %s", fl.paths[f], i, err.msg);
            json_t *want = json_deep_copy(in);
            normalize_expected(want);
            remove_dropped(want, &st);
            if (!json_equal(want, out)) {
                char *a = dump(want), *b = dump(out);
                cr_assert_fail("%s[%zu] round trip differs\nwant %.600s\ngot  %.600s", fl.paths[f],
                               i, a, b);
            }
            json_decref(want);
            json_decref(out);
            nw_story_free(s);
            checked++;
        }
        json_decref(items);
        json_decref(doc);
    }
    free_list(&fl);
    free(dir);
    return checked;
}

Test(round_trip, examples_3_0)
{
    size_t n = round_trip_dir("iptc-newsinjson/examples/3.0");
    /* 16 files plus a collection of 14 items */
    cr_assert_geq(n, 29, "only %zu items checked", n);
}

Test(round_trip, doc_examples_3_1)
{
    size_t n = round_trip_dir("iptc-newsinjson/doc-examples/3.1");
    cr_assert_geq(n, 8, "only %zu items checked", n);
}

/* --------------------------- every example decodes; output validates on 3.1 */

/* Set the string at JSON pointer `ptr` in doc; false when the path is missing. */
static bool replace_pointer(json_t *doc, const char *ptr, const char *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ptr);
    json_t *cur = doc, *parent = NULL;
    char *last = NULL, *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        parent = cur;
        last = tok;
        cur = json_is_object(cur)  ? json_object_get(cur, tok)
              : json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
                                   : NULL;
        if (!cur)
            return false;
    }
    if (json_is_object(parent))
        return json_object_set_new(parent, last, json_string(value)) == 0;
    if (json_is_array(parent))
        return json_array_set_new(parent, strtoul(last, NULL, 10), json_string(value)) == 0;
    return false;
}

/*
 * Validate `out` against 3.1 with every format asserted. IPTC's own examples
 * use bare identifiers ("uri": "renditions-example") and Superdesk guids are
 * not always URIs; the codec carries a provider's identifier verbatim, so a
 * "not an absolute URI" failure is accepted only for a value that appears in
 * the input, and validation goes on with a placeholder in its place, so any
 * other problem still fails.
 */
static int validate_carrying_ids(const nw_jsonschema *v, const json_t *in, const json_t *out,
                                 nw_err *err)
{
    json_t *copy = json_deep_copy(out);
    char *in_text = dump(in);
    int rc;
    for (int round = 0; round < 50; round++) {
        rc = nw_jsonschema_validate(v, NW_JSONSCHEMA_NINJS_31_URI, copy, err);
        const char *fmt = rc ? strstr(err->msg, ": format: '") : NULL;
        if (!fmt || !strstr(fmt, "is not an absolute URI"))
            break;
        char ptr[256], val[128];
        snprintf(ptr, sizeof ptr, "%.*s", (int)(fmt - err->msg), err->msg);
        const char *vs = fmt + strlen(": format: '");
        const char *ve = strstr(vs, "' is not");
        snprintf(val, sizeof val, "\"%.*s", (int)(ve - vs), vs);
        char *dots = strstr(val, "...");
        if (dots)
            *dots = '\0';
        else
            strcat(val, "\"");
        if (!strstr(in_text, val) || !replace_pointer(copy, ptr, "urn:test:provider-id"))
            break;
    }
    free(in_text);
    json_decref(copy);
    return rc;
}

static size_t decode_validate_dir(const nw_jsonschema *v, const char *rel)
{
    char *dir = dataset(rel);
    file_list fl = {0};
    collect_json(dir, &fl);
    size_t checked = 0;
    for (size_t f = 0; f < fl.len; f++) {
        json_t *doc = load_json(fl.paths[f]);
        /* the schema-extension example ships its JSON Schema next to it */
        if (json_object_get(doc, "$schema") && !json_object_get(doc, "uri")) {
            json_decref(doc);
            continue;
        }
        json_t *items = items_of(doc);
        size_t i;
        json_t *in;
        json_array_foreach(items, i, in)
        {
            nw_story *s = decode_ok(in, fl.paths[f]);
            nw_err err;
            nw_err_clear(&err);
            json_t *out = nw_ninjs_encode(s, &err);
            cr_assert_not_null(out, "%s[%zu]: encode failed: %s", fl.paths[f], i, err.msg);
            int rc = validate_carrying_ids(v, in, out, &err);
            if (rc) {
                char *d = dump(out);
                cr_assert_fail("%s[%zu]: not valid ninjs 3.1: %s\n%.800s", fl.paths[f], i, err.msg,
                               d);
            }
            json_decref(out);
            nw_story_free(s);
            checked++;
        }
        json_decref(items);
        json_decref(doc);
    }
    free_list(&fl);
    free(dir);
    return checked;
}

static nw_jsonschema *load_validator(void)
{
    char *dir = dataset("iptc-newsinjson");
    nw_jsonschema *v = NULL;
    nw_err err;
    nw_err_clear(&err);
    cr_assert_eq(nw_jsonschema_load_ninjs(&v, dir, &err), 0, "schema: %s", err.msg);
    free(dir);
    return v;
}

Test(decode_all, v1_examples_valid_as_3_1)
{
    nw_jsonschema *v = load_validator();
    size_t n = decode_validate_dir(v, "iptc-newsinjson/examples/1.4");
    n += decode_validate_dir(v, "iptc-newsinjson/doc-examples/1.6");
    cr_assert_geq(n, 17, "only %zu items", n);
    nw_jsonschema_free(v);
}

Test(decode_all, v2_examples_valid_as_3_1)
{
    nw_jsonschema *v = load_validator();
    size_t n = decode_validate_dir(v, "iptc-newsinjson/examples/2.1");
    n += decode_validate_dir(v, "iptc-newsinjson/doc-examples/2.2");
    cr_assert_geq(n, 20, "only %zu items", n);
    nw_jsonschema_free(v);
}

Test(decode_all, v3_examples_valid_as_3_1)
{
    nw_jsonschema *v = load_validator();
    size_t n = decode_validate_dir(v, "iptc-newsinjson/examples/3.0");
    n += decode_validate_dir(v, "iptc-newsinjson/doc-examples/3.1");
    cr_assert_geq(n, 37, "only %zu items", n);
    nw_jsonschema_free(v);
}

Test(decode_all, superdesk_fixtures_valid_as_3_1)
{
    nw_jsonschema *v = load_validator();
    size_t n = decode_validate_dir(v, "superdesk-core");
    cr_assert_geq(n, 9, "only %zu items", n);
    nw_jsonschema_free(v);
}

/* ------------------------------------------------------- version detection */

static int detect(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j, "%s", text);
    int v = nw_ninjs_detect_version(j);
    json_decref(j);
    return v;
}

Test(detect, by_standard_schema_and_names)
{
    cr_assert_eq(
        detect("{\"uri\":\"u\",\"standard\":{\"version\":\"2.1\"},\"versionCreated\":\"x\"}"), 2);
    cr_assert_eq(detect("{\"uri\":\"u\",\"$standard\":{\"version\":\"1.4\"}}"), 1);
    cr_assert_eq(
        detect(
            "{\"uri\":\"u\",\"$schema\":\"http://www.iptc.org/std/ninjs/ninjs-schema_1.6.json\"}"),
        1);
    cr_assert_eq(detect("{\"uri\":\"u\",\"headline\":\"h\",\"versioncreated\":\"x\"}"), 1);
    cr_assert_eq(detect("{\"uri\":\"u\",\"body_html\":\"<p/>\"}"), 1);
    cr_assert_eq(detect("{\"uri\":\"u\",\"renditions\":{\"main\":{}}}"), 1);
    cr_assert_eq(detect("{\"uri\":\"u\",\"headlines\":[],\"versioncreated\":\"x\"}"), 2);
    cr_assert_eq(detect("{\"uri\":\"u\",\"pubstatus\":\"usable\"}"), 2);
    cr_assert_eq(detect("{\"uri\":\"u\",\"headlines\":[],\"versionCreated\":\"x\"}"), 3);
    cr_assert_eq(detect("{\"uri\":\"u\"}"), 3);
    json_t *arr = json_array();
    cr_assert_eq(nw_ninjs_detect_version(arr), NW_EINVAL);
    json_decref(arr);
}

/* ------------------------------------------------------------ 1.x mapping */

Test(decode_v1, texts_entities_and_times)
{
    nw_story *s = loads_ok(
        "{\"guid\":\"urn:newsml:example:1\",\"type\":\"story\",\"version\":2,"
        "\"versioncreated\":\"2017-08-24T04:38:34+0000\",\"pubstatus\":\"cancelled\","
        "\"headline\":\"Hello\",\"headline_alt\":\"Alt\",\"body_html\":\"<p>Hi</p>\","
        "\"body_text\":\"Hi\",\"description_caption_xhtml\":\"<p>c</p>\",\"byline\":\"Ann\","
        "\"subject\":[{\"code\":\"01000000\",\"scheme\":\"http://cv.iptc.org/newscodes/subjectcode/"
        "\","
        "\"name\":\"arts\"},{\"code\":\"x1\",\"name\":\"local\"},"
        "{\"code\":\"http://www.wikidata.org/entity/Q1\",\"name\":\"q\"}],"
        "\"keywords\":[\"China\",\"dogs\"],\"source\":\"AAP\",\"priority\":6}");
    cr_assert_str_eq(s->uri, "urn:newsml:example:1");
    cr_assert_str_eq(s->type, "text");
    cr_assert_str_eq(s->version, "2");
    cr_assert_str_eq(s->version_created, "2017-08-24T04:38:34Z");
    cr_assert_str_eq(s->pub_status, "canceled");
    cr_assert_str_eq(s->by, "Ann");
    cr_assert_eq(s->headlines.len, 2);
    cr_assert_str_eq(nw_story_headline(s), "Hello");
    cr_assert_str_eq(s->headlines.items[1].role, "alt");
    cr_assert_str_eq(nw_story_body(s, "text/html"), "<p>Hi</p>");
    cr_assert_str_eq(nw_story_body(s, "text/plain"), "Hi");
    cr_assert_str_eq(s->descriptions.items[0].role, "caption");
    cr_assert_str_eq(s->descriptions.items[0].content_type, "application/xhtml+xml");
    cr_assert_eq(s->subjects.len, 5);
    cr_assert_str_eq(s->subjects.items[0].uri, "http://cv.iptc.org/newscodes/subjectcode/01000000");
    cr_assert_null(s->subjects.items[1].uri);
    cr_assert_str_eq(s->subjects.items[1].literal, "x1");
    cr_assert_str_eq(s->subjects.items[2].uri, "http://www.wikidata.org/entity/Q1");
    cr_assert_str_eq(s->subjects.items[3].name, "China");
    cr_assert_str_eq(s->subjects.items[3].rel, "keyword");
    cr_assert_str_eq(nw_story_provider(s), "AAP");
    cr_assert_not_null(json_object_get(s->extra, "priority"));

    /* the unknown `priority` is dropped on write, and counted */
    nw_ninjs_stats st;
    nw_err err;
    char *out = nw_ninjs_dumps_ex(s, &st, &err);
    cr_assert_not_null(out, "%s", err.msg);
    cr_assert_eq(st.dropped, 1);
    cr_assert_str_eq(st.dropped_paths, "/priority");
    cr_assert_null(strstr(out, "priority"));
    cr_assert_null(strstr(out, "keywords"));
    cr_assert(strstr(out, "\"rel\":\"keyword\""));
    free(out);
    nw_story_free(s);
}

Test(decode_v1, renditions_and_associations_maps)
{
    nw_story *s = loads_ok(
        "{\"uri\":\"http://x/1\",\"headline\":\"h\",\"renditions\":{\"main\":{\"href\":"
        "\"http://x/1.jpg\",\"mimetype\":\"image/jpeg\",\"width\":\"172\",\"media\":\"m\"}},"
        "\"associations\":{\"featuremedia\":{\"guid\":\"http://x/pic\",\"type\":\"picture\","
        "\"headline\":\"pic\",\"versioncreated\":\"2019-03-25T09:06:25+0000\"},"
        "\"broken\":{\"id\":\"no-uri\"}}}");
    nw_ninjs_stats st;
    nw_err err;
    json_t *o = nw_ninjs_encode_ex(s, &st, &err);
    cr_assert_not_null(o, "%s", err.msg);
    json_t *r = json_array_get(json_object_get(o, "renditions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "main");
    cr_assert_str_eq(json_string_value(json_object_get(r, "contentType")), "image/jpeg");
    cr_assert_eq(json_integer_value(json_object_get(r, "width")), 172);
    cr_assert_null(json_object_get(r, "media"));
    json_t *assoc = json_object_get(o, "associations");
    cr_assert_eq(json_array_size(assoc), 1);
    json_t *a = json_array_get(assoc, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), "featuremedia");
    cr_assert_str_eq(json_string_value(json_object_get(a, "uri")), "http://x/pic");
    cr_assert_str_eq(json_string_value(json_object_get(a, "versionCreated")),
                     "2019-03-25T09:06:25Z");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(a, "headlines"), 0), "value")),
                     "pic");
    cr_assert_eq(st.dropped, 2, "%s", st.dropped_paths);
    cr_assert(strstr(st.dropped_paths, "/renditions/0/media"), "%s", st.dropped_paths);
    cr_assert(strstr(st.dropped_paths, "/associations/1"), "%s", st.dropped_paths);
    json_decref(o);
    nw_story_free(s);
}

Test(decode_v2, lowercase_names_renamed)
{
    nw_story *s = loads_ok(
        "{\"uri\":\"http://x/2\",\"versioncreated\":\"2019-11-15T14:39:44+01:00\","
        "\"embargoed\":\"2030-01-01T00:00:00Z\",\"ednote\":\"note\",\"copyrightnotice\":\"(c)\","
        "\"bodies\":[{\"contenttype\":\"text/html\",\"value\":\"<p/>\",\"charcount\":4}],"
        "\"infosources\":[{\"name\":\"AP\",\"role\":\"source\"}],"
        "\"places\":[{\"name\":\"Turkey\",\"geojson\":{\"type\":\"Point\",\"coordinates\":[35,39]}}"
        "],"
        "\"usageterms\":\"editorial\"}");
    cr_assert_str_eq(s->version_created, "2019-11-15T13:39:44Z");
    cr_assert_str_eq(s->embargoed_until, "2030-01-01T00:00:00Z");
    cr_assert_str_eq(s->ed_note, "note");
    cr_assert_str_eq(s->copyright_notice, "(c)");
    cr_assert_str_eq(nw_story_body(s, "text/html"), "<p/>");
    cr_assert_eq(json_integer_value(json_object_get(s->bodies.items[0].extra, "charCount")), 4);
    cr_assert_str_eq(nw_story_provider(s), "AP");
    cr_assert_not_null(json_object_get(s->places.items[0].extra, "geoJSON"));
    cr_assert_str_eq(json_string_value(json_object_get(s->extra, "usageTerms")), "editorial");
    nw_story_free(s);
}

/* ------------------------------------------------------------- decode errors */

static void decode_fails(const char *text, int code, const char *msg_part)
{
    nw_story *s = (nw_story *)1;
    nw_err err;
    nw_err_clear(&err);
    int rc = nw_ninjs_loads(text, strlen(text), &s, &err);
    cr_assert_eq(rc, code, "'%s' gave %d (%s)", text, rc, err.msg);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, msg_part), "message '%s' lacks '%s'", err.msg, msg_part);
}

Test(decode_errors, named_and_located)
{
    decode_fails("{\"uri\": \"u\",\n  \"type\": }", NW_EINVAL, "line 2");
    decode_fails("[1,2]", NW_EINVAL, "object");
    decode_fails("{\"type\":\"text\"}", NW_EINVAL, "uri");
    decode_fails("{\"uri\":\"u\",\"versionCreated\":\"2015-02-30T00:00:00Z\"}", NW_EINVAL,
                 "/versionCreated");
    decode_fails("{\"uri\":\"u\",\"urgency\":12}", NW_EINVAL, "urgency");
    decode_fails("{\"uri\":\"u\",\"headlines\":[{\"role\":\"main\"}]}", NW_EINVAL,
                 "/headlines/0/value");
    decode_fails("{\"uri\":\"u\",\"pubStatus\":\"commissioned\"}", NW_EINVAL, "commissioned");
    decode_fails("{\"uri\":\"u\",\"headlines\":\"h\",\"versionCreated\":\"x\"}", NW_EINVAL,
                 "/headlines");
}

Test(decode_errors, nesting_limit)
{
    /* associations nested deeper than NW_NINJS_MAX_DEPTH */
    char buf[4096] = "";
    for (int i = 0; i <= NW_NINJS_MAX_DEPTH + 1; i++)
        strcat(buf, "{\"uri\":\"http://x/"
                    "a\",\"versionCreated\":\"2020-01-01T00:00:00Z\",\"associations\":[");
    strcat(buf, "{\"uri\":\"http://x/leaf\",\"name\":\"leaf\"}");
    for (int i = 0; i <= NW_NINJS_MAX_DEPTH + 1; i++)
        strcat(buf, i ? "]}" : "]}");
    nw_story *s;
    nw_err err;
    cr_assert_eq(nw_ninjs_loads(buf, strlen(buf), &s, &err), NW_ELIMIT, "%s", err.msg);
}

/* ------------------------------------------------------------------ encoder */

Test(encode, requires_uri_and_fills_type)
{
    nw_story *s = nw_story_new();
    nw_err err;
    nw_err_clear(&err);
    cr_assert_null(nw_ninjs_encode(s, &err));
    cr_assert_eq(err.code, NW_EINVAL);
    cr_assert(strstr(err.msg, "uri"), "%s", err.msg);

    nw_story_set(&s->uri, "urn:x:1");
    json_t *o = nw_ninjs_encode(s, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")), "text");
    cr_assert_eq(json_object_size(o), 2);
    json_decref(o);
    nw_story_free(s);
}

Test(encode, refuses_what_3_1_rejects)
{
    nw_story *s = nw_story_new();
    nw_err err;
    nw_story_set(&s->uri, "urn:x:1");
    nw_story_set(&s->type, "story");
    cr_assert_null(nw_ninjs_encode(s, &err));
    cr_assert(strstr(err.msg, "story"), "%s", err.msg);
    nw_story_set(&s->type, "picture");
    nw_story_set(&s->pub_status, "killed");
    cr_assert_null(nw_ninjs_encode(s, &err));
    nw_story_set(&s->pub_status, "usable");
    s->urgency = 10;
    cr_assert_null(nw_ninjs_encode(s, &err));
    s->urgency = 1;
    nw_story_set(&s->version_created, "yesterday");
    cr_assert_null(nw_ninjs_encode(s, &err));
    cr_assert(strstr(err.msg, "versionCreated"), "%s", err.msg);
    /* a parser's offset form is normalized, not refused */
    nw_story_set(&s->version_created, "2017-08-24T14:38:34+1000");
    json_t *o = nw_ninjs_encode(s, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(o, "versionCreated")),
                     "2017-08-24T04:38:34Z");
    json_decref(o);
    nw_story_free(s);
}

Test(encode, extras_kept_pruned_or_dropped)
{
    nw_story *s = loads_ok("{\"uri\":\"urn:x:2\",\"title\":\"T\",\"profile\":\"p\",\"foo\":1,"
                           "\"altIds\":[{\"role\":\"r\",\"value\":\"v\",\"bad\":true}],"
                           "\"rightsInfo\":{\"linkedRights\":\"http://r\"},"
                           "\"subjects\":[{\"name\":\"s\",\"relevance\":50,\"weird\":1}],"
                           "\"genres\":[{\"name\":\"g\",\"rel\":\"about\"}]}");
    cr_assert_not_null(json_object_get(s->extra, "foo"));
    cr_assert_not_null(json_object_get(s->subjects.items[0].extra, "weird"));
    nw_ninjs_stats st;
    nw_err err;
    json_t *o = nw_ninjs_encode_ex(s, &st, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(o, "title")), "T");
    cr_assert_str_eq(json_string_value(json_object_get(o, "profile")), "p");
    cr_assert_not_null(json_object_get(o, "rightsInfo"));
    cr_assert_null(json_object_get(o, "foo"));
    json_t *alt = json_array_get(json_object_get(o, "altIds"), 0);
    cr_assert_null(json_object_get(alt, "bad"));
    json_t *subj = json_array_get(json_object_get(o, "subjects"), 0);
    cr_assert_eq(json_integer_value(json_object_get(subj, "relevance")), 50);
    cr_assert_null(json_object_get(subj, "weird"));
    cr_assert_eq(st.dropped, 4, "%s", st.dropped_paths);
    cr_assert(strstr(st.dropped_paths, "/foo"));
    cr_assert(strstr(st.dropped_paths, "/altIds/0/bad"));
    cr_assert(strstr(st.dropped_paths, "/subjects/0/weird"));
    cr_assert(strstr(st.dropped_paths, "/genres/0/rel"));
    json_decref(o);
    nw_story_free(s);
}

Test(encode, dumps_compact_sorted_stable)
{
    nw_story *s = nw_story_new();
    nw_err err;
    nw_story_set(&s->uri, "urn:x:3");
    nw_story_set(&s->language, "en");
    nw_text_list_add(&s->headlines, "Mid-East \"talks\"", "main", NULL);
    cr_assert_eq(nw_story_add_category(s, "Mid-East", &err), 0);
    char *a = nw_ninjs_dumps(s, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_assert_str_eq(a,
                     "{\"headlines\":[{\"role\":\"main\",\"value\":\"Mid-East \\\"talks\\\"\"}],"
                     "\"language\":\"en\",\"subjects\":[{\"literal\":\"mid-east\",\"name\":"
                     "\"Mid-East\",\"rel\":\"category\"}],\"type\":\"text\",\"uri\":\"urn:x:3\"}");
    cr_assert_null(strchr(a, '\n'));
    /* decode -> dumps gives the same bytes */
    nw_story *back = loads_ok(a);
    char *b = nw_ninjs_dumps(back, &err);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    nw_story_free(back);
    nw_story_free(s);
}

Test(encode, drop_list_is_marked_when_cut)
{
    nw_story *s = nw_story_new();
    nw_story_set(&s->uri, "urn:x:4");
    s->extra = json_object();
    for (int i = 0; i < 80; i++) {
        char k[48];
        snprintf(k, sizeof k, "unknown_property_%02d", i);
        json_object_set_new(s->extra, k, json_integer(i));
    }
    nw_ninjs_stats st;
    nw_err err;
    json_t *o = nw_ninjs_encode_ex(s, &st, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_eq(json_object_size(o), 2); /* uri and type */
    cr_assert_eq(st.dropped, 80);
    size_t n = strlen(st.dropped_paths);
    cr_assert_lt(n, sizeof st.dropped_paths);
    cr_assert_str_eq(st.dropped_paths + n - 4, ",...", "%s", st.dropped_paths);
    cr_assert_eq(strncmp(st.dropped_paths, "/unknown_property_00,/unknown_property_01,", 42), 0);
    json_decref(o);
    nw_story_free(s);
}

Test(decode_v3, lenient_forms)
{
    nw_story *s =
        loads_ok("{\"uri\":\"urn:x:5\",\"version\":1.2,\"versionCreated\":\"2020-01-01\","
                 "\"associations\":{\"main\":{\"uri\":\"urn:x:6\",\"type\":\"picture\"}}}");
    cr_assert_str_eq(s->version, "1.2");
    cr_assert_str_eq(s->version_created, "2020-01-01T00:00:00Z");
    cr_assert_eq(json_array_size(s->associations), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(s->associations, 0), "name")),
                     "main");
    nw_story_free(s);
    decode_fails("{\"uri\":\"urn:x:5\",\"type\":\"invalid\"}", NW_EINVAL, "'invalid'");
}

Test(decode_v2, associations_are_renamed_as_items)
{
    nw_story *s =
        loads_ok("{\"uri\":\"http://x/7\",\"versioncreated\":\"2019-11-15T14:39:44Z\","
                 "\"associations\":[{\"name\":\"pic\",\"uri\":\"http://x/8\","
                 "\"embargoed\":\"2030-01-01T01:00:00+01:00\",\"pubstatus\":\"usable\"}]}");
    nw_err err;
    json_t *o = nw_ninjs_encode(s, &err);
    cr_assert_not_null(o, "%s", err.msg);
    json_t *a = json_array_get(json_object_get(o, "associations"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "embargoedUntil")),
                     "2030-01-01T00:00:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(a, "pubStatus")), "usable");
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), "pic");
    json_decref(o);
    nw_story_free(s);
}

Test(encode, invalid_utf8_is_named_not_out_of_memory)
{
    nw_story *s = nw_story_new();
    nw_story_set(&s->uri, "urn:x:5");
    nw_text_list_add(&s->headlines, "fine", "main", NULL);
    nw_text_list_add(&s->headlines, "bad \xFF byte", "sub", NULL);
    nw_err err;
    nw_err_clear(&err);
    cr_assert_null(nw_ninjs_dumps(s, &err));
    cr_assert_eq(err.code, NW_EINVAL);
    cr_assert_str_eq(err.msg, "urn:x:5: /headlines/1/value: string is not valid UTF-8");
    /* an entity and a typed property are named the same way */
    free(s->headlines.items[1].value);
    s->headlines.items[1].value = strdup("ok");
    nw_entity_list_add(&s->places, "Z\xC3\x28rich", NULL, NULL, NULL);
    nw_err_clear(&err);
    cr_assert_null(nw_ninjs_dumps(s, &err));
    cr_assert_str_eq(err.msg, "urn:x:5: /places/0/name: string is not valid UTF-8");
    nw_story_set(&s->slugline, "\xED\xA0\x80"); /* a surrogate */
    nw_err_clear(&err);
    cr_assert_null(nw_ninjs_dumps(s, &err));
    cr_assert_str_eq(err.msg, "urn:x:5: /slugline: string is not valid UTF-8");
    nw_story_free(s);
}

/* nw_ninjs_time_is_canonical is exactly "nw_time_normalize gives it back". */
static void canonical_agrees(const char *s)
{
    char *norm = NULL;
    nw_err err;
    nw_err_clear(&err);
    bool same = nw_time_normalize(s, NULL, &norm, &err) == 0 && !strcmp(norm, s);
    free(norm);
    cr_assert_eq(nw_ninjs_time_is_canonical(s), same, "'%s': normalize %s", s,
                 same ? "gives it back" : "does not give it back");
}

Test(time, canonical_is_what_normalize_gives_back)
{
    static const char *const cases[] = {
        "2024-03-05T14:30:00Z",
        "2024-03-05T14:30:00.123Z",
        "2024-03-05T14:30:00.010Z",
        "2024-03-05T14:30:00.000Z",
        "2024-03-05T14:30:00.1Z",
        "2024-03-05T14:30:00.1234Z",
        "2024-03-05T14:30:60Z",
        "2024-03-05T24:00:00Z",
        "2024-03-05T14:60:00Z",
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-03-05t14:30:00Z",
        "2024-03-05T14:30:00z",
        "2024-03-05 14:30:00Z",
        "2024-03-05T14:30:00+00:00",
        "2024-03-05T14:30:00Z ",
        " 2024-03-05T14:30:00Z",
        "2024-03-05T14:30Z",
        "2024-03-05T14:30:00",
        "20240305T143000Z",
        "2024-03-05",
        "",
        "2024-03-05T14:30:00.",
        "2024-03-05T14:30:00.12",
        "2024-03-05T14:30:00.12Z",
        "2024-3-05T14:30:00Z",
        "2024-03-05T14:30:00UTC",
        "２０２４-03-05T14:30:00Z",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        canonical_agrees(cases[i]);
    cr_assert_not(nw_ninjs_time_is_canonical(NULL));
    /* every day edge of a few years, hours and seconds at their limits */
    static const int years[] = {1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999};
    for (size_t y = 0; y < sizeof years / sizeof years[0]; y++)
        for (int m = 0; m <= 13; m++)
            for (int d = 0; d <= 32; d++) {
                char s[40];
                snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:59:%02dZ", years[y], m, d,
                         d % 2 ? 23 : 24, d % 3 ? 59 : 60);
                canonical_agrees(s);
                snprintf(s, sizeof s, "%04d-%02d-%02dT00:00:00.%03dZ", years[y], m, d, d * 31);
                canonical_agrees(s);
            }
}

/* The detection reads every name before it decides: a 3.x name after a
 * 1.x one still makes 3, and the standard/$schema rules win over names. */
Test(detect, any_order_of_names)
{
    cr_assert_eq(detect("{\"uri\":\"u\",\"headline\":\"h\",\"versionCreated\":\"x\"}"), 3);
    cr_assert_eq(detect("{\"uri\":\"u\",\"bodies\":[],\"byline\":\"b\"}"), 1);
    cr_assert_eq(detect("{\"altids\":[],\"uri\":\"u\"}"), 2);
    cr_assert_eq(detect("{\"altids\":{},\"uri\":\"u\"}"), 1);
    cr_assert_eq(detect("{\"associations\":[],\"uri\":\"u\"}"), 3);
    cr_assert_eq(detect("{\"headlines\":[],\"description_text\":\"d\"}"), 1);
    cr_assert_eq(detect("{\"edNote\":\"n\",\"standard\":{\"version\":\"1.5\"}}"), 1);
    cr_assert_eq(
        detect("{\"pubStatus\":\"usable\",\"$schema\":\"http://x/ninjs-schema_2.0.json\"}"), 2);
    cr_assert_eq(detect("{\"pubStatus\":\"usable\",\"$standard\":{}}"), 1);
    cr_assert_eq(detect("{\"standard\":{\"version\":\"9\"},\"pubstatus\":\"usable\"}"), 2);
}
