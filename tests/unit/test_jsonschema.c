/*
 * test_jsonschema — nw_jsonschema: each keyword on small inline schemas
 * (pass and fail), error messages and limits, then the IPTC ninjs
 * conformance suites, examples and doc-examples from the shared datasets.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_jsonschema.h"
#include "nw_testutil.h"

/* ------------------------------------------------------------ helpers */

static nw_err last_err;

/* Validates instance text against schema text (registered as urn:test);
 * returns the validate status, message in last_err. */
static int check_fmt(const char *schema, const char *instance, unsigned formats)
{
    json_error_t je;
    json_t *sch = json_loads(schema, JSON_DECODE_ANY, &je);
    cr_assert_not_null(sch, "bad test schema: %s", je.text);
    json_t *inst = json_loads(instance, JSON_DECODE_ANY, &je);
    cr_assert_not_null(inst, "bad test instance: %s", je.text);
    nw_jsonschema *s = nw_jsonschema_new();
    cr_assert_not_null(s);
    nw_jsonschema_set_formats(s, formats);
    nw_err_clear(&last_err);
    cr_assert_eq(nw_jsonschema_add(s, "urn:test", sch, &last_err), 0, "add: %s", last_err.msg);
    json_decref(sch); /* the registry keeps its own reference */
    int rc = nw_jsonschema_validate(s, "urn:test", inst, &last_err);
    json_decref(inst);
    nw_jsonschema_free(s);
    return rc;
}

static int check(const char *schema, const char *instance)
{
    return check_fmt(schema, instance, NW_JSONSCHEMA_FORMAT_ALL);
}

#define PASS(schema, inst)                                                                         \
    cr_assert_eq(check(schema, inst), 0, "expected valid: %s against %s: %s", inst, schema,        \
                 last_err.msg)
#define FAIL(schema, inst)                                                                         \
    cr_assert_eq(check(schema, inst), NW_EINVAL, "expected invalid: %s against %s", inst, schema)
#define FAIL_MSG(schema, inst, text)                                                               \
    do {                                                                                           \
        FAIL(schema, inst);                                                                        \
        cr_assert(strstr(last_err.msg, text) != NULL, "message '%s' lacks '%s'", last_err.msg,     \
                  text);                                                                           \
    } while (0)

/* ------------------------------------------------------------ keywords */

Test(jsonschema, type)
{
    PASS("{\"type\":\"string\"}", "\"x\"");
    FAIL_MSG("{\"type\":\"string\"}", "1", "(root): type: expected string, got integer");
    PASS("{\"type\":\"integer\"}", "3");
    PASS("{\"type\":\"integer\"}", "3.0"); /* 2020-12: integral reals are integers */
    FAIL("{\"type\":\"integer\"}", "0.1");
    PASS("{\"type\":\"number\"}", "3");
    PASS("{\"type\":\"number\"}", "0.5");
    FAIL("{\"type\":\"number\"}", "\"3\"");
    PASS("{\"type\":[\"string\",\"null\"]}", "null");
    FAIL_MSG("{\"type\":[\"string\",\"null\"]}", "true", "expected string|null, got boolean");
    PASS("{\"type\":\"boolean\"}", "false");
    PASS("{\"type\":\"array\"}", "[]");
    FAIL("{\"type\":\"object\"}", "[]");
}

Test(jsonschema, boolean_schemas_and_unknown_keywords)
{
    PASS("true", "{\"a\":1}");
    FAIL("false", "1");
    PASS("{\"title\":\"t\",\"x-vendor\":{\"type\":\"string\"},\"examples\":[1]}", "1");
    PASS("{\"properties\":{\"a\":true,\"b\":false}}", "{\"a\":1}");
    FAIL_MSG("{\"properties\":{\"a\":true,\"b\":false}}", "{\"b\":1}", "/b: false schema");
}

Test(jsonschema, properties_required)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"headlines\":{\"type\":\"array\","
                    "\"items\":{\"type\":\"object\",\"required\":[\"value\"],"
                    "\"properties\":{\"value\":{\"type\":\"string\"}}}}},\"required\":[\"uri\"]}";
    PASS(s, "{\"uri\":\"u\",\"headlines\":[{\"value\":\"h\"}]}");
    FAIL_MSG(s, "{\"headlines\":[]}", "(root): required property 'uri' missing");
    FAIL_MSG(s, "{\"uri\":\"u\",\"headlines\":[{\"value\":\"h\"},{\"role\":\"x\"}]}",
             "/headlines/1: required property 'value' missing");
    FAIL_MSG(s, "{\"uri\":\"u\",\"headlines\":[{\"value\":5}]}",
             "/headlines/0/value: type: expected string, got integer");
    /* keywords for other types do not apply */
    PASS("{\"required\":[\"a\"],\"minLength\":1,\"minimum\":5,\"minItems\":2}", "\"ab\"");
}

Test(jsonschema, json_pointer_escaping)
{
    FAIL_MSG("{\"properties\":{\"a/b\":{\"properties\":{\"c~d\":{\"type\":\"string\"}}}}}",
             "{\"a/b\":{\"c~d\":1}}", "/a~1b/c~0d: type");
}

Test(jsonschema, additional_and_pattern_properties)
{
    const char *s = "{\"properties\":{\"a\":{}},\"patternProperties\":{\"^x_\\\\d+$\":"
                    "{\"type\":\"integer\"}},\"additionalProperties\":false}";
    PASS(s, "{\"a\":1,\"x_12\":3}");
    FAIL_MSG(s, "{\"a\":1,\"x_12\":\"s\"}", "/x_12: type");
    FAIL_MSG(s, "{\"a\":1,\"x_1a\":3}", "/x_1a: additionalProperties: property not allowed");
    PASS("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"a\":\"1\",\"b\":\"2\"}");
    FAIL_MSG("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"a\":\"1\",\"b\":2}",
             "/b: type");
}

/* The ninjs 3.x shapes: the root and `associations` items $ref ninjsType,
 * add properties, and forbid anything else with unevaluatedProperties. */
Test(jsonschema, unevaluated_properties_with_ref)
{
    const char *s =
        "{\"$defs\":{\"base\":{\"type\":\"object\",\"properties\":{\"uri\":{\"type\":\"string\"},"
        "\"assoc\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/base\","
        "\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"],"
        "\"unevaluatedProperties\":false}}}}},"
        "\"$ref\":\"#/$defs/base\",\"required\":[\"uri\"],\"unevaluatedProperties\":false}";
    PASS(s, "{\"uri\":\"a\",\"assoc\":[{\"name\":\"n\",\"uri\":\"b\"}]}");
    FAIL_MSG(s, "{\"uri\":\"a\",\"random\":1}", "/random: unevaluatedProperties");
    /* `name` is evaluated inside an association, not at the root */
    FAIL_MSG(s, "{\"uri\":\"a\",\"name\":\"n\"}", "/name: unevaluatedProperties");
    FAIL_MSG(s, "{\"uri\":\"a\",\"assoc\":[{\"name\":\"n\",\"extra\":true}]}",
             "/assoc/0/extra: unevaluatedProperties");
    /* nested associations recurse through the same $ref */
    PASS(s, "{\"uri\":\"a\",\"assoc\":[{\"name\":\"n\",\"assoc\":[{\"name\":\"m\"}]}]}");
    FAIL(s, "{\"uri\":\"a\",\"assoc\":[{\"name\":\"n\",\"assoc\":[{\"name\":\"m\",\"x\":1}]}]}");
}

Test(jsonschema, unevaluated_properties_with_applicators)
{
    const char *all = "{\"allOf\":[{\"properties\":{\"a\":{}}},{\"properties\":{\"b\":{}}}],"
                      "\"unevaluatedProperties\":false}";
    PASS(all, "{\"a\":1,\"b\":2}");
    FAIL_MSG(all, "{\"a\":1,\"c\":2}", "/c: unevaluatedProperties");

    /* anyOf: every passing branch contributes, failing ones do not */
    const char *any = "{\"anyOf\":[{\"properties\":{\"a\":{\"type\":\"integer\"}}},"
                      "{\"properties\":{\"b\":{\"type\":\"integer\"}}}],"
                      "\"unevaluatedProperties\":false}";
    PASS(any, "{\"a\":1,\"b\":2}");
    FAIL_MSG(any, "{\"a\":1,\"b\":\"x\"}", "/b: unevaluatedProperties");

    const char *one = "{\"oneOf\":[{\"properties\":{\"a\":{}},\"required\":[\"a\"]},"
                      "{\"properties\":{\"b\":{}},\"required\":[\"b\"]}],"
                      "\"unevaluatedProperties\":false}";
    PASS(one, "{\"a\":1}");
    FAIL_MSG(one, "{\"b\":1,\"c\":1}", "/c: unevaluatedProperties");
    FAIL_MSG(one, "{\"a\":1,\"b\":1}", "oneOf: valid against more than one");

    /* a failing `not` or `if` contributes nothing; a passing `if` does */
    const char *cond = "{\"if\":{\"properties\":{\"k\":{\"const\":\"x\"}},\"required\":[\"k\"]},"
                       "\"then\":{\"properties\":{\"t\":{}}},\"else\":{\"properties\":{\"e\":{}}},"
                       "\"unevaluatedProperties\":false}";
    PASS(cond, "{\"k\":\"x\",\"t\":1}");
    FAIL_MSG(cond, "{\"k\":\"y\",\"t\":1}", "/k: unevaluatedProperties");
    PASS(cond, "{\"e\":1}");

    /* a nested unevaluatedProperties does not see its parent's siblings */
    FAIL_MSG("{\"properties\":{\"a\":{}},\"allOf\":[{\"unevaluatedProperties\":false}]}",
             "{\"a\":1}", "/a: unevaluatedProperties");
    PASS("{\"allOf\":[{\"properties\":{\"a\":{}},\"unevaluatedProperties\":false}],"
         "\"unevaluatedProperties\":false}",
         "{\"a\":1}");
    /* additionalProperties in a subschema evaluates everything it sees */
    PASS("{\"allOf\":[{\"additionalProperties\":true}],\"unevaluatedProperties\":false}",
         "{\"z\":1}");
    /* unevaluatedProperties with a schema */
    PASS("{\"properties\":{\"a\":{}},\"unevaluatedProperties\":{\"type\":\"string\"}}",
         "{\"a\":1,\"b\":\"s\"}");
    FAIL("{\"properties\":{\"a\":{}},\"unevaluatedProperties\":{\"type\":\"string\"}}",
         "{\"a\":1,\"b\":2}");
}

Test(jsonschema, arrays)
{
    PASS("{\"items\":{\"type\":\"string\"}}", "[\"a\",\"b\"]");
    FAIL_MSG("{\"items\":{\"type\":\"string\"}}", "[\"a\",2]", "/1: type");
    PASS("{\"prefixItems\":[{\"type\":\"integer\"}],\"items\":{\"type\":\"string\"}}", "[1,\"a\"]");
    FAIL("{\"prefixItems\":[{\"type\":\"integer\"}],\"items\":{\"type\":\"string\"}}", "[1,2]");
    FAIL_MSG("{\"minItems\":2}", "[1]", "minItems");
    FAIL_MSG("{\"maxItems\":1}", "[1,2]", "maxItems");
    PASS("{\"uniqueItems\":true}", "[1,\"1\",{\"a\":1},{\"a\":2}]");
    FAIL_MSG("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1.0}]", "uniqueItems");
    PASS("{\"contains\":{\"type\":\"string\"}}", "[1,\"a\"]");
    FAIL_MSG("{\"contains\":{\"type\":\"string\"}}", "[1,2]", "contains");
    /* draft-07 tuple form */
    const char *d7 = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
                     "\"items\":[{\"type\":\"integer\"}],\"additionalItems\":false}";
    PASS(d7, "[1]");
    FAIL(d7, "[1,2]");
    FAIL(d7, "[\"a\"]");
}

Test(jsonschema, enum_const)
{
    const char *e = "{\"enum\":[\"usable\",\"withheld\",\"canceled\",1,null]}";
    PASS(e, "\"usable\"");
    PASS(e, "1.0");
    PASS(e, "null");
    FAIL_MSG(e, "\"cancelled\"", "enum: 'cancelled' is not one of the allowed values");
    PASS("{\"const\":{\"a\":[1,2]}}", "{\"a\":[1,2.0]}");
    FAIL_MSG("{\"const\":{\"a\":[1,2]}}", "{\"a\":[2,1]}", "const");
    FAIL("{\"const\":\"a\"}", "\"a \"");
}

Test(jsonschema, numbers)
{
    const char *u = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}";
    PASS(u, "1");
    PASS(u, "9");
    FAIL_MSG(u, "0", "minimum: 0 is less than 1");
    FAIL_MSG(u, "10", "maximum");
    FAIL("{\"exclusiveMinimum\":1}", "1");
    PASS("{\"exclusiveMinimum\":1}", "1.5");
    FAIL("{\"exclusiveMaximum\":1}", "1");
    /* draft-04 boolean form */
    const char *d4 = "{\"$schema\":\"http://json-schema.org/draft-04/schema#\","
                     "\"minimum\":1,\"exclusiveMinimum\":true}";
    FAIL(d4, "1");
    PASS(d4, "2");
    PASS("{\"multipleOf\":3}", "9");
    FAIL("{\"multipleOf\":3}", "10");
    PASS("{\"multipleOf\":0.5}", "2.5");
    FAIL("{\"multipleOf\":0.5}", "2.25");
}

Test(jsonschema, strings)
{
    /* lengths count code points: "héllo" is 5 characters, 6 bytes */
    PASS("{\"maxLength\":5}", "\"h\\u00e9llo\"");
    FAIL_MSG("{\"maxLength\":4}", "\"h\\u00e9llo\"", "maxLength");
    PASS("{\"minLength\":2}", "\"\\u00e9\\u00e9\"");
    FAIL("{\"minLength\":3}", "\"\\u00e9\\u00e9\"");
}

Test(jsonschema, patterns)
{
    /* the ninjs truncatedDateTimeType pattern: non-capturing groups, [0-9]{4} */
    const char *t =
        "{\"pattern\":\"^(-?(?:[1-9][0-9]*)?[0-9]{4})(-(1[0-2]|0[1-9])(-(3[01]|0[1-9]|[12][0-9])"
        "(T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\\\\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9])"
        ":[0-5][0-9])?)?)?)?$\"}";
    PASS(t, "\"2024\"");
    PASS(t, "\"2024-02\"");
    PASS(t, "\"2024-02-29T10:00:00.5+01:00\"");
    FAIL_MSG(t, "\"February 29th 2024\"", "pattern: 'February 29th 2024' does not match");
    FAIL(t, "\"2024-13\"");
    /* ECMA escapes translated to POSIX */
    PASS("{\"pattern\":\"^\\\\d{3}-\\\\w+\\\\s\\\\S$\"}", "\"123-ab_9 x\"");
    FAIL("{\"pattern\":\"^\\\\d{3}$\"}", "\"12a\"");
    PASS("{\"pattern\":\"^[\\\\w.\\\\-]+@[a-z]+\\\\.[a-z]{2,}$\"}", "\"a.b-c@ex.com\"");
    FAIL("{\"pattern\":\"^[\\\\w.\\\\-]+@[a-z]+\\\\.[a-z]{2,}$\"}", "\"a b@ex.com\"");
    PASS("{\"pattern\":\"^[^\\\\]\\\\-]+$\"}", "\"abc\"");
    FAIL("{\"pattern\":\"^[^\\\\]\\\\-]+$\"}", "\"a-c\"");
    FAIL("{\"pattern\":\"^[^\\\\]\\\\-]+$\"}", "\"a]c\"");
    PASS("{\"pattern\":\"a\\\\/b\\\\{\"}", "\"xa/b{\""); /* unanchored search */
    PASS("{\"pattern\":\"^[\\\\^x]$\"}", "\"^\"");

    /* patterns count code points, as ECMA 262 does, not bytes: "h\u00e9\u00e9"
     * is 3 characters (5 bytes), "\u20ac" one (3 bytes) */
    PASS("{\"pattern\":\"^.{3}$\"}", "\"h\u00e9\u00e9\"");
    FAIL("{\"pattern\":\"^.{5}$\"}", "\"h\u00e9\u00e9\"");
    PASS("{\"pattern\":\"^[^a]$\"}", "\"\u20ac\"");
    PASS("{\"pattern\":\"^[\u00e9\u20ac]+$\"}", "\"\u20ac\u00e9\"");
    FAIL("{\"pattern\":\"^[\u00e9]$\"}", "\"\u00e8\"");
    PASS("{\"patternProperties\":{\"^.$\":{\"type\":\"integer\"}}}", "{\"\u00e9\":1}");
    FAIL("{\"patternProperties\":{\"^.$\":{\"type\":\"integer\"}}}", "{\"\u00e9\":\"x\"}");

    /* constructs POSIX cannot express are refused when the schema is added */
    nw_jsonschema *s = nw_jsonschema_new();
    json_t *bad = json_loads("{\"properties\":{\"a\":{\"pattern\":\"^(?=x)\"}}}", 0, NULL);
    nw_err err;
    cr_assert_eq(nw_jsonschema_add(s, "urn:bad", bad, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "'^(?=x)'") != NULL, "%s", err.msg);
    json_decref(bad);
    bad = json_loads("{\"patternProperties\":{\"a+?\":{}}}", 0, NULL);
    cr_assert_eq(nw_jsonschema_add(s, "urn:bad", bad, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "lazy") != NULL, "%s", err.msg);
    json_decref(bad);
    nw_jsonschema_free(s);
}

Test(jsonschema, format_date_time)
{
    const char *s = "{\"format\":\"date-time\"}";
    const char *good[] = {"\"2023-10-04T12:00:00Z\"", "\"2023-10-04T12:00:00+02:00\"",
                          "\"2024-02-29T23:59:59.123-05:30\"", "\"2023-10-04t12:00:00z\"",
                          "\"2016-12-31T23:59:60Z\""};
    const char *bad[] = {"\"2023-10-04T12:00:00+0000\"", "\"2023-10-04\"",
                         "\"2023-10-04T12:00:00\"",      "\"2023-02-29T12:00:00Z\"",
                         "\"2023-10-04 12:00:00Z\"",     "\"2023-10-04T24:00:00Z\"",
                         "\"2023-10-04T12:00:00.Z\"",    "\"Next Monday\""};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        PASS(s, good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        FAIL_MSG(s, bad[i], "format:");
    PASS(s, "42"); /* formats only apply to strings */
    cr_assert_eq(check_fmt(s, "\"Next Monday\"", 0), 0);
    PASS("{\"format\":\"email\"}", "\"not checked\"");
}

Test(jsonschema, format_uri)
{
    const char *s = "{\"format\":\"uri\"}";
    PASS(s, "\"http://www.example.com/a?b=c#d\"");
    PASS(s, "\"urn:newsml:example.com:20240101:abc\"");
    PASS(s, "\"https://x.org/%C3%A9\"");
    FAIL_MSG(s, "\"renditions-example\"", "not an absolute URI");
    FAIL(s, "\"http://exa mple.com\"");
    FAIL(s, "\"1http://x\"");
    FAIL(s, "\"http://x/%zz\"");
    FAIL(s, "\"http://x/\\u00e9\"");
    cr_assert_eq(check_fmt(s, "\"renditions-example\"", NW_JSONSCHEMA_FORMAT_DATE_TIME), 0);
}

Test(jsonschema, combinators)
{
    const char *any =
        "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"object\",\"required\":[\"a\"]}]}";
    PASS(any, "\"x\"");
    PASS(any, "{\"a\":1}");
    /* the message keeps the alternative that got deepest */
    FAIL_MSG(any, "{\"b\":1}", "(root): anyOf: no alternative matches");
    const char *deep =
        "{\"anyOf\":[{\"type\":\"string\"},{\"properties\":{\"a\":{\"type\":\"integer\"}}}]}";
    FAIL_MSG(deep, "{\"a\":\"x\"}", "closest: /a: type: expected integer");

    const char *one = "{\"oneOf\":[{\"required\":[\"value\"]},{\"required\":[\"address\"]}]}";
    PASS(one, "{\"value\":1}");
    FAIL_MSG(one, "{\"value\":1,\"address\":2}",
             "oneOf: valid against more than one alternative (#0 and #1)");
    FAIL_MSG(one, "{}", "oneOf: no alternative matches");

    PASS("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3");
    FAIL_MSG("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1", "minimum");

    PASS("{\"not\":{\"type\":\"string\"}}", "1");
    FAIL_MSG("{\"not\":{\"type\":\"string\"}}", "\"s\"", "not:");

    PASS("{\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":5},\"else\":{\"type\":\"string\"}}",
         "7");
    FAIL("{\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":5},\"else\":{\"type\":\"string\"}}",
         "3");
    FAIL("{\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":5},\"else\":{\"type\":\"string\"}}",
         "null");
    PASS("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"b\":1}");
    FAIL_MSG("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}", "requires 'b'");
    FAIL("{\"propertyNames\":{\"pattern\":\"^[a-z]+$\"}}", "{\"aB\":1}");
}

Test(jsonschema, local_refs)
{
    PASS(
        "{\"$defs\":{\"s\":{\"type\":\"string\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/s\"}}}",
        "{\"a\":\"x\"}");
    FAIL_MSG(
        "{\"$defs\":{\"s\":{\"type\":\"string\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/s\"}}}",
        "{\"a\":1}", "/a: type");
    PASS("{\"definitions\":{\"a/b\":{\"type\":\"string\"}},\"$ref\":\"#/definitions/a~1b\"}",
         "\"x\"");
    PASS("{\"definitions\":{\"l\":[{\"type\":\"string\"}]},\"$ref\":\"#/definitions/l/0\"}",
         "\"x\"");
    /* 2020-12: $ref siblings apply; draft-07: they are ignored */
    FAIL("{\"$defs\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/s\",\"minLength\":3}",
         "\"x\"");
    PASS("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
         "\"definitions\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/definitions/"
         "s\",\"minLength\":3}",
         "\"x\"");
    /* a recursive tree is fine */
    const char *tree = "{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\","
                       "\"items\":{\"$ref\":\"#\"}}},\"additionalProperties\":false}";
    PASS(tree, "{\"kids\":[{\"kids\":[{}]},{}]}");
    FAIL_MSG(tree, "{\"kids\":[{\"kids\":[{\"x\":1}]}]}", "/kids/0/kids/0/x: additionalProperties");
}

Test(jsonschema, ref_errors_and_recursion_limit)
{
    cr_assert_eq(check("{\"$ref\":\"#/$defs/missing\"}", "1"), NW_ENOTFOUND);
    cr_assert(strstr(last_err.msg, "#/$defs/missing") != NULL, "%s", last_err.msg);
    cr_assert_eq(check("{\"$ref\":\"https://nowhere.example/s.json\"}", "1"), NW_ENOTFOUND);
    cr_assert_eq(check("{\"$ref\":\"#\"}", "1"), NW_ELIMIT);
    cr_assert_eq(check("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":"
                       "\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}",
                       "{}"),
                 NW_ELIMIT);
}

Test(jsonschema, registry_external_refs)
{
    nw_jsonschema *s = nw_jsonschema_new();
    nw_err err;
    json_t *geo = json_loads("{\"$id\":\"https://geo.example/g.json#\",\"$defs\":{\"pt\":{"
                             "\"type\":\"array\",\"items\":{\"type\":\"number\"}}},"
                             "\"type\":\"object\",\"required\":[\"type\"]}",
                             0, NULL);
    json_t *main = json_loads("{\"$id\":\"urn:main\",\"properties\":{\"g\":{\"$ref\":"
                              "\"https://geo.example/g.json#\"},\"p\":{\"$ref\":"
                              "\"https://geo.example/g.json#/$defs/pt\"},\"r\":{\"$ref\":"
                              "\"other.json\"}}}",
                              0, NULL);
    json_t *other = json_loads("{\"type\":\"string\"}", 0, NULL);
    /* registered by $id (fragment dropped), by explicit uri, and relative refs */
    cr_assert_eq(nw_jsonschema_add(s, NULL, geo, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_jsonschema_add(s, NULL, main, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_jsonschema_add(s, "https://x.example/dir/base.json", main, &err), 0);
    cr_assert_eq(nw_jsonschema_add(s, "https://x.example/dir/other.json", other, &err), 0);
    cr_assert_eq(nw_jsonschema_add(s, NULL, other, &err), NW_EINVAL); /* no uri, no $id */
    json_decref(geo);
    json_decref(main);
    json_decref(other);

    json_t *ok = json_loads("{\"g\":{\"type\":\"Point\"},\"p\":[1,2.5]}", 0, NULL);
    json_t *bad = json_loads("{\"g\":{},\"p\":[1]}", 0, NULL);
    json_t *badp = json_loads("{\"p\":[\"x\"]}", 0, NULL);
    json_t *rel = json_loads("{\"r\":5}", 0, NULL);
    cr_assert_eq(nw_jsonschema_validate(s, "urn:main", ok, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_jsonschema_validate(s, "urn:main#", ok, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_jsonschema_validate(s, "urn:main", bad, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "/g: required property 'type' missing");
    cr_assert_eq(nw_jsonschema_validate(s, "urn:main", badp, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "/p/0: type: expected number, got string");
    /* fragment in the entry uri */
    json_t *pt = json_loads("[1,2]", 0, NULL);
    cr_assert_eq(nw_jsonschema_validate(s, "https://geo.example/g.json#/$defs/pt", pt, &err), 0);
    cr_assert_eq(nw_jsonschema_validate(s, "urn:nope", pt, &err), NW_ENOTFOUND);
    /* "other.json" resolves against the including document's uri */
    cr_assert_eq(nw_jsonschema_validate(s, "https://x.example/dir/base.json", rel, &err),
                 NW_EINVAL);
    cr_assert_str_eq(err.msg, "/r: type: expected string, got integer");
    cr_assert_eq(nw_jsonschema_validate(s, "urn:main", rel, &err), NW_ENOTFOUND);
    json_decref(ok);
    json_decref(bad);
    json_decref(badp);
    json_decref(rel);
    json_decref(pt);
    nw_jsonschema_free(s);
}

Test(jsonschema, load_file_errors)
{
    nw_jsonschema *s = nw_jsonschema_new();
    nw_err err;
    const char *uri = "x";
    cr_assert_eq(nw_jsonschema_load_file(s, "/nonexistent/schema.json", &uri, &err), NW_EIO);
    cr_assert_null(uri);
    char *dir = nw_test_mkdtemp("jsonschema");
    char path[512];
    snprintf(path, sizeof path, "%s/broken.json", dir);
    cr_assert_eq(nw_test_write_file(path, "{\"type\": }", 10), 0);
    cr_assert_eq(nw_jsonschema_load_file(s, path, NULL, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "broken.json:1:") != NULL, "%s", err.msg);
    snprintf(path, sizeof path, "%s/noid.json", dir);
    cr_assert_eq(nw_test_write_file(path, "{\"type\":\"string\"}", 17), 0);
    cr_assert_eq(nw_jsonschema_load_file(s, path, &uri, &err), 0, "%s", err.msg);
    cr_assert_str_eq(uri, path);
    json_t *v = json_string("ok");
    cr_assert_eq(nw_jsonschema_validate(s, path, v, &err), 0);
    json_decref(v);
    nw_test_rm_rf(dir);
    free(dir);
    nw_jsonschema_free(s);
    nw_jsonschema_free(NULL);
}

/* ------------------------------------------------------------ IPTC data */

static char *ninjs_dir(void)
{
    char *d = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    struct stat st;
    if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(d);
        cr_skip_test("shared datasets not available");
    }
    return d;
}

typedef struct verdicts {
    int checked, passed, failed, unloadable;
    char bad[1024]; /* names of files with the wrong verdict */
} verdicts;

static void note_bad(verdicts *v, const char *name, const char *why)
{
    size_t n = strlen(v->bad);
    snprintf(v->bad + n, sizeof v->bad - n, "%s (%s); ", name, why);
}

/* Validates every *.json in dir (sorted not needed); arrays are validated
 * item by item. expect_valid: 1 pass, 0 fail (unparseable counts as fail). */
static void run_dir(nw_jsonschema *s, const char *schema_uri, const char *dir, int expect_valid,
                    verdicts *v)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "missing %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_error_t je;
        json_t *inst = json_load_file(path, 0, &je);
        v->checked++;
        if (!inst) {
            v->unloadable++;
            if (expect_valid)
                note_bad(v, e->d_name, je.text);
            continue;
        }
        nw_err err;
        int rc = 0;
        if (json_is_array(inst)) {
            size_t i;
            json_t *item;
            json_array_foreach(inst, i, item)
            {
                if ((rc = nw_jsonschema_validate(s, schema_uri, item, &err)) != 0)
                    break;
            }
        } else {
            rc = nw_jsonschema_validate(s, schema_uri, inst, &err);
        }
        cr_assert(rc == 0 || rc == NW_EINVAL, "%s: schema problem: %s", path, err.msg);
        if (rc == 0)
            v->passed++;
        else
            v->failed++;
        if ((rc == 0) != expect_valid)
            note_bad(v, e->d_name, rc ? err.msg : "unexpectedly valid");
        json_decref(inst);
    }
    closedir(d);
}

static nw_jsonschema *load_schema(const char *root, const char *version, const char **uri)
{
    nw_jsonschema *s = nw_jsonschema_new();
    nw_err err;
    char path[1024];
    snprintf(path, sizeof path, "%s/test_suite/GeoJSON-schema.json", root);
    cr_assert_eq(nw_jsonschema_load_file(s, path, NULL, &err), 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/schemas/ninjs-schema%s.json", root, version);
    cr_assert_eq(nw_jsonschema_load_file(s, path, uri, &err), 0, "%s", err.msg);
    return s;
}

static void run_suite(const char *root, const char *version, const char *suite, unsigned formats,
                      int min_files)
{
    const char *uri;
    char dir[1024];
    verdicts v = {0};
    nw_jsonschema *s = load_schema(root, version, &uri);
    nw_jsonschema_set_formats(s, formats);
    snprintf(dir, sizeof dir, "%s/test_suite/%s/should_pass", root, suite);
    run_dir(s, uri, dir, 1, &v);
    snprintf(dir, sizeof dir, "%s/test_suite/%s/should_fail", root, suite);
    run_dir(s, uri, dir, 0, &v);
    cr_assert_str_empty(v.bad, "suite %s: wrong verdicts: %s", suite, v.bad);
    cr_assert_geq(v.checked, min_files, "suite %s: only %d files", suite, v.checked);
    cr_assert_gt(v.failed + v.unloadable, 0);
    nw_jsonschema_free(s);
}

Test(jsonschema_iptc, suite_3_0_and_3_1)
{
    char *root = ninjs_dir();
    run_suite(root, "_3.0", "3.0", NW_JSONSCHEMA_FORMAT_ALL, 35);
    run_suite(root, "_3.1", "3.1", NW_JSONSCHEMA_FORMAT_ALL, 2);
    free(root);
}

/* The older suites exercise the draft-04/07 paths. They were written when
 * formats were not checked (1.2 has "firstcreated": "this field is not
 * validated..." in should_pass), so formats are off here. */
Test(jsonschema_iptc, older_suites)
{
    char *root = ninjs_dir();
    const char *versions[] = {"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.0", "2.1", "2.2"};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        char v[16];
        snprintf(v, sizeof v, "_%s", versions[i]);
        run_suite(root, v, versions[i], 0, 2);
    }
    run_suite(root, "-dev_0.2_v1.5", "1.x_dev", 0, 10);
    run_suite(root, "-dev_0.1_v2.1", "2.x_dev", 0, 10);
    free(root);
}

Test(jsonschema_iptc, examples_3_0)
{
    char *root = ninjs_dir();
    char dir[1024], path[1100];
    const char *versions[] = {"_3.0", "_3.1"};
    for (size_t i = 0; i < 2; i++) {
        const char *uri;
        verdicts v = {0};
        nw_jsonschema *s = load_schema(root, versions[i], &uri);
        snprintf(dir, sizeof dir, "%s/examples/3.0", root);
        run_dir(s, uri, dir, 1, &v);
        cr_assert_str_empty(v.bad, "schema%s: %s", versions[i], v.bad);
        cr_assert_eq(v.passed, 18);

        /* The timeline collection (an array of 14 items) uses "events" as an
         * object and "estimatedStartDate": every item is invalid under both
         * 3.0 and 3.1 (python-jsonschema agrees). */
        snprintf(path, sizeof path,
                 "%s/examples/3.0/collection/20231016-event-timeline-sample.json", root);
        json_t *coll = json_load_file(path, 0, NULL);
        cr_assert(json_is_array(coll));
        cr_assert_eq(json_array_size(coll), 14);
        size_t k;
        json_t *item;
        nw_err err;
        json_array_foreach(coll, k, item)
        {
            cr_assert_eq(nw_jsonschema_validate(s, uri, item, &err), NW_EINVAL, "item %zu", k);
            cr_assert(strstr(err.msg, "/events") == err.msg ||
                          strstr(err.msg, "/eventDetails/dates") == err.msg,
                      "item %zu: %s", k, err.msg);
        }
        json_decref(coll);
        nw_jsonschema_free(s);
    }
    free(root);
}

Test(jsonschema_iptc, doc_examples_3_1)
{
    char *root = ninjs_dir();
    nw_jsonschema *s = NULL;
    nw_err err;
    char dir[1024], path[1100];
    cr_assert_eq(nw_jsonschema_load_ninjs(&s, root, &err), 0, "%s", err.msg);

    verdicts v = {0};
    snprintf(dir, sizeof dir, "%s/doc-examples/not-valid", root);
    run_dir(s, NW_JSONSCHEMA_NINJS_31_URI, dir, 0, &v);
    cr_assert_str_empty(v.bad, "%s", v.bad);
    cr_assert_eq(v.failed, 1);

    /* IPTC's renditions example uses "uri": "renditions-example", which is
     * not an absolute URI: strict mode says so, lenient mode passes it. */
    snprintf(path, sizeof path, "%s/doc-examples/3.1/002_renditions_example.json", root);
    json_t *inst = json_load_file(path, 0, NULL);
    cr_assert_not_null(inst);
    cr_assert_eq(nw_jsonschema_validate(s, NW_JSONSCHEMA_NINJS_31_URI, inst, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "/uri: format: 'renditions-example' is not an absolute URI");
    json_decref(inst);

    nw_jsonschema_set_formats(s, NW_JSONSCHEMA_FORMAT_DATE_TIME);
    memset(&v, 0, sizeof v);
    snprintf(dir, sizeof dir, "%s/doc-examples/3.1", root);
    run_dir(s, NW_JSONSCHEMA_NINJS_31_URI, dir, 1, &v);
    cr_assert_str_empty(v.bad, "%s", v.bad);
    cr_assert_eq(v.passed, 8);
    nw_jsonschema_free(s);
    free(root);
}

/* Error messages on real ninjs: pointer plus keyword. */
Test(jsonschema_iptc, messages_on_ninjs)
{
    char *root = ninjs_dir();
    nw_jsonschema *s = NULL;
    nw_err err;
    cr_assert_eq(nw_jsonschema_load_ninjs(&s, root, &err), 0, "%s", err.msg);
    struct {
        const char *doc, *msg;
    } cases[] = {
        {"{\"uri\":\"urn:x\",\"headlines\":[{\"value\":\"h\",\"role\":\"main\"}]}", NULL},
        {"{\"uri\":\"urn:x\",\"headlines\":[{\"role\":\"main\"}]}",
         "/headlines/0: required property 'value' missing"},
        {"{\"uri\":\"urn:x\",\"headlines\":[{\"value\":1}]}", "/headlines/0/value: type"},
        {"{\"uri\":\"urn:x\",\"pubStatus\":\"cancelled\"}", "/pubStatus: enum"},
        {"{\"uri\":\"urn:x\",\"urgency\":10}", "/urgency: maximum"},
        {"{\"uri\":\"urn:x\",\"versionCreated\":\"2024-01-01T10:00:00+0000\"}",
         "/versionCreated: format"},
        {"{\"type\":\"text\"}", "(root): required property 'uri' missing"},
        {"{\"uri\":\"urn:x\",\"headline\":\"1.x field\"}", "/headline: unevaluatedProperties"},
        {"{\"uri\":\"urn:x\",\"associations\":[{\"name\":\"a\",\"uri\":\"urn:y\",\"bogus\":1}]}",
         "/associations/0/bogus: unevaluatedProperties"},
        {"{\"uri\":\"urn:x\",\"associations\":[{\"uri\":\"urn:y\"}]}",
         "/associations/0: required property 'name' missing"},
        {"{\"uri\":\"urn:x\",\"places\":[{\"name\":\"p\",\"geoJSON\":{\"type\":\"Point\","
         "\"coordinates\":[1]}}]}",
         "/places/0/geoJSON: oneOf: no alternative matches; closest: "
         "/places/0/geoJSON/coordinates: minItems"},
        {"{\"uri\":\"urn:x\",\"places\":[{\"name\":\"p\",\"geoJSON\":{\"type\":\"Point\","
         "\"coordinates\":[10.7,59.9]}}]}",
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *inst = json_loads(cases[i].doc, 0, NULL);
        cr_assert_not_null(inst);
        int rc = nw_jsonschema_validate(s, NW_JSONSCHEMA_NINJS_31_URI, inst, &err);
        if (!cases[i].msg) {
            cr_assert_eq(rc, 0, "%s: %s", cases[i].doc, err.msg);
        } else {
            cr_assert_eq(rc, NW_EINVAL, "%s should fail", cases[i].doc);
            cr_assert(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
                      "%s: got '%s', want '%s...'", cases[i].doc, err.msg, cases[i].msg);
        }
        json_decref(inst);
    }
    nw_jsonschema_free(s);
    free(root);
}

Test(jsonschema_iptc, load_ninjs_missing_dir)
{
    nw_jsonschema *s = (nw_jsonschema *)1;
    nw_err err;
    cr_assert_lt(nw_jsonschema_load_ninjs(&s, "/nonexistent/ninjs", &err), 0);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "GeoJSON-schema.json") != NULL, "%s", err.msg);
}
