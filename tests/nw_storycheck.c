/*
 * nw_storycheck — assertions the parser tests share about a parsed story:
 * its first paragraph, entities and texts by name or role, its categories,
 * and that it encodes to valid ninjs 3.1. See nw_storycheck.h.
 */
#include "nw_storycheck.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "nw_ninjs.h"

char *nw_test_first_paragraph(const nw_story *s)
{
    const char *b = nw_story_body(s, "text/plain");
    cr_assert_not_null(b, "no text/plain body");
    const char *end = strstr(b, "\n\n");
    return strndup(b, end ? (size_t)(end - b) : strlen(b));
}

bool nw_test_starts(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

const nw_entity *nw_test_find_entity(const nw_entity_list *l, const char *name, const char *rel)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].name && !strcmp(l->items[i].name, name) &&
            (!rel || (l->items[i].rel && !strcmp(l->items[i].rel, rel))))
            return &l->items[i];
    return NULL;
}

const nw_text *nw_test_find_text(const nw_text_list *l, const char *role)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].role && !strcmp(l->items[i].role, role))
            return &l->items[i];
    return NULL;
}

void nw_test_assert_categories(const nw_story *s, const char *const *want, size_t n)
{
    const char *got[16];
    size_t k = nw_story_categories(s, got, 16);
    cr_assert_eq(k, n, "categories: %zu, want %zu (first '%s')", k, n, k ? got[0] : "");
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(got[i], want[i]);
}

/* The ninjs 3.1 schema from NW_NINJS_SCHEMA (ctest points it into the shared
 * datasets; GeoJSON from NW_GEOJSON_SCHEMA or unchecked), loaded once per
 * test process; NULL when it cannot be read. */
static nw_jsonschema *env_schema(void)
{
    static nw_jsonschema *schema;
    static bool tried;
    if (tried)
        return schema;
    tried = true;
    const char *path = getenv("NW_NINJS_SCHEMA"), *geo = getenv("NW_GEOJSON_SCHEMA");
    nw_jsonschema *s = path && *path ? nw_jsonschema_new() : NULL;
    nw_err err = {0};
    if (!s || nw_jsonschema_load_file(s, path, NULL, &err))
        goto fail;
    if (geo && *geo) {
        if (nw_jsonschema_load_file(s, geo, NULL, &err))
            goto fail;
    } else {
        json_t *anything = json_true();
        int rc = nw_jsonschema_add(s, NW_JSONSCHEMA_GEOJSON_URI, anything, &err);
        json_decref(anything);
        if (rc)
            goto fail;
    }
    return schema = s;
fail:
    nw_jsonschema_free(s);
    return NULL;
}

void nw_test_assert_valid_ninjs(nw_jsonschema *schema, const nw_story *s, const char *what)
{
    nw_err err = {0};
    char *text = nw_ninjs_dumps(s, &err);
    cr_assert_not_null(text, "%s: %s", what, err.msg);
    if (!schema)
        schema = env_schema();
    if (!schema) {
        free(text);
        cr_skip_test("%s: no ninjs 3.1 schema to check it against (NW_NINJS_SCHEMA unset or "
                     "unreadable: the shared datasets are missing?)",
                     what);
    }
    json_error_t jerr;
    json_t *msg = json_loads(text, 0, &jerr);
    cr_assert_not_null(msg, "%s: invalid JSON: %s", what, jerr.text);
    int rc = nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err);
    cr_assert_eq(rc, 0, "%s: fails ninjs 3.1: %s\n%s", what, err.msg, text);
    json_decref(msg);
    free(text);
}
