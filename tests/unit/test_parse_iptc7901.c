/*
 * test_parse_iptc7901 — the IPTC 7901 / ANPA 1312 parser ("iptc7901"): own
 * fixtures (two AP takes in one file, a dpa lead, a take without STX), then
 * every take in the shared other-wire/anpa-iptc7901 folders: each parses,
 * validates against ninjs 3.1, and hand-checked fields hold for samples.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_jsonschema.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_testutil.h"

static int warnings;
static void count_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
    warnings++;
}

static int parse_path(const char *path, const char *format, nw_story_list *l, nw_err *err)
{
    nw_parse_opts o = {.warn = count_warning};
    return nw_parse_file(path, format, &o, l, err);
}

static int parse_fixture(const char *name, nw_story_list *l, nw_err *err)
{
    char *path = nw_test_fixture_path(name);
    int rc = parse_path(path, "iptc7901", l, err);
    free(path);
    return rc;
}

static const char *category(const nw_story *s)
{
    const char *slug = NULL;
    return nw_story_categories(s, &slug, 1) ? slug : NULL;
}

Test(iptc7901_fixture, two_ap_takes)
{
    nw_story_list l = {0};
    nw_err err;
    warnings = 0;
    cr_assert_eq(parse_fixture("iptc7901/two-takes-ap.tst", &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.len, 2, "one story per SOH take");
    const nw_story *s = l.items[0];
    cr_assert_str_eq(nw_story_headline(s), "Harbour talks resume in Rotterdam");
    cr_assert_str_eq(s->slugline, "BC-EU--Harbour-Talks");
    cr_assert_str_eq(s->version, "2", "1stLd-Writethru is the second version");
    cr_assert_eq(s->urgency, 3, "priority u");
    cr_assert_str_eq(category(s), "international");
    cr_assert_str_eq(s->by, "ANNA VISSER, Associated Press");
    cr_assert_str_eq(s->ed_note, "Eds: Updates with union reaction.");
    cr_assert_str_eq(s->version_created, "2024-03-01T22:46:00Z", "1746EST is 22:46 UTC");
    cr_assert_str_eq(s->located, "ROTTERDAM, Netherlands");
    cr_assert_str_eq(nw_story_provider(s), "AP");
    cr_assert(!strncmp(s->uri, "urn:newswire:ap:BC-EU--Harbour-Talks:", 37), "%s", s->uri);
    const char *body = nw_story_body(s, "text/plain");
    cr_assert(!strncmp(body,
                       "ROTTERDAM, Netherlands (AP) \xE2\x80\x94 Talks between dock workers and "
                       "the port resumed on Friday, union leader J\xC3\xBCrgen Meyer said.\n\n"
                       "\xE2\x80\x9CWe are close,\xE2\x80\x9D he said.",
                       150),
              "%s", body);
    cr_assert_gt(warnings, 0, "the Latin-1 byte is reported");
    s = l.items[1];
    cr_assert_str_eq(nw_story_headline(s), "Second story");
    cr_assert_eq(s->urgency, 2, "priority b");
    cr_assert_str_eq(s->version, "1");
    cr_assert_str_eq(s->version_created, "2024-03-01T18:00:00Z");
    cr_assert_str_neq(s->uri, l.items[0]->uri);
    nw_story_list_free(&l);
}

Test(iptc7901_fixture, dpa_lead_and_stable_uri)
{
    nw_story_list a = {0}, b = {0};
    nw_err err;
    cr_assert_eq(parse_fixture("iptc7901/dpa-lead.txt", &a, &err), 0, "%s", err.msg);
    cr_assert_eq(parse_fixture("iptc7901/dpa-lead.txt", &b, &err), 0, "%s", err.msg);
    const nw_story *s = a.items[0];
    cr_assert_str_eq(s->uri, b.items[0]->uri, "same input, same uri");
    cr_assert(!strncmp(s->uri, "urn:newswire:dpa:Football%2FKiel:", 33), "%s", s->uri);
    cr_assert_str_eq(nw_story_headline(s), "Kiel win the derby");
    cr_assert_str_eq(s->version, "2");
    cr_assert_str_eq(s->ed_note, "1ST LEAD");
    cr_assert_str_eq(s->by, "Jan Hansen, dpa");
    cr_assert_eq(s->urgency, 2);
    cr_assert_str_eq(category(s), "sports");
    cr_assert_str_eq(s->located, "Kiel");
    cr_assert_str_eq(s->version_created, "2024-10-12T15:30:00Z", "'121530 GMT Okt 24'");
    cr_assert_str_eq(nw_story_body(s, "text/plain"),
                     "Kiel (dpa) - Kiel won the derby on Saturday, the club said in a "
                     "statement.\n\nThe second paragraph.",
                     "hard wraps joined, desk sign-off dropped");
    nw_story_list_free(&a);
    nw_story_list_free(&b);
}

Test(iptc7901_fixture, errors)
{
    nw_story_list l = {0};
    nw_err err;
    cr_assert_lt(parse_fixture("iptc7901/no-stx.txt", &l, &err), 0);
    cr_assert(strstr(err.msg, "no-stx.txt: take 1: no STX (0x02) start-of-text"), "%s", err.msg);
    const char *plain = "just some text\n";
    nw_parse_opts o = {.origin = "x.txt"};
    cr_assert_lt(nw_parse_buffer("iptc7901", plain, strlen(plain), &o, &l, &err), 0);
    cr_assert_str_eq(err.msg,
                     "x.txt: no SOH (0x01) start-of-header: not an IPTC 7901 / ANPA 1312 take");
    /* garbage after SOH never crashes */
    const char junk[] = "\x01\x02\x03\x04\x01\x02^\x08\x10\x1e\x03\x04\x01\x02\x03";
    nw_parse_buffer("iptc7901", junk, sizeof junk - 1, &o, &l, &err);
    nw_story_list_free(&l);
    cr_assert_eq(nw_parser_detect("\x16\x16\x01z0001\x1f--\nx\x02y", 14), &nw_parser_iptc7901);
}

/* ------------------------------------------------------------- shared --- */

static nw_jsonschema *schema;

static void validate(const nw_story *s, const char *path)
{
    nw_err err;
    char *text = nw_ninjs_dumps(s, &err);
    cr_assert_not_null(text, "%s: %s", path, err.msg);
    json_t *msg = json_loads(text, 0, NULL);
    cr_assert_not_null(msg);
    cr_assert_eq(nw_jsonschema_validate(schema, NW_JSONSCHEMA_NINJS_31_URI, msg, &err), 0,
                 "%s fails ninjs 3.1: %s\n%s", path, err.msg, text);
    json_decref(msg);
    free(text);
}

static size_t check_dir(const char *rel, size_t *files)
{
    char *dir = nw_test_shared_path(rel);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    size_t stories = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type == DT_DIR)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        nw_story_list l = {0};
        nw_err err;
        cr_assert_eq(parse_path(path, "iptc7901", &l, &err), 0, "%s", err.msg);
        cr_assert_eq(l.len, 1, "%s: %zu takes", path, l.len);
        for (size_t i = 0; i < l.len; i++) {
            const nw_story *s = l.items[i];
            cr_assert_not_null(nw_story_headline(s), "%s: no headline", path);
            cr_assert_not_null(nw_story_body(s, "text/plain"), "%s: no body", path);
            cr_assert_not_null(s->version_created, "%s: no date", path);
            cr_assert_not_null(s->slugline, "%s: no slugline", path);
            cr_assert_gt(nw_story_categories(s, NULL, 0), 0, "%s: no category", path);
            validate(s, path);
        }
        stories += l.len;
        (*files)++;
        nw_story_list_free(&l);
    }
    closedir(d);
    free(dir);
    return stories;
}

static const nw_story *sample(const char *rel, nw_story_list *l)
{
    char *path = nw_test_shared_path(rel);
    nw_err err;
    cr_assert_eq(parse_path(path, "iptc7901", l, &err), 0, "%s", err.msg);
    free(path);
    return l->items[0];
}

Test(iptc7901_shared, every_take)
{
    char *root = nw_test_shared_path("datasets/other-wire/anpa-iptc7901");
    if (!root)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    free(root);
    char *ninjs_dir = nw_test_shared_path("datasets/ninjs/iptc-newsinjson");
    nw_err err;
    cr_assert_eq(nw_jsonschema_load_ninjs(&schema, ninjs_dir, &err), 0, "%s", err.msg);
    free(ninjs_dir);
    size_t files = 0;
    size_t n = check_dir("datasets/other-wire/anpa-iptc7901", &files);
    n += check_dir("datasets/other-wire/anpa-iptc7901/dpa-english", &files);
    cr_assert_eq(files, 17);
    cr_assert_eq(n, 17);
    nw_jsonschema_free(schema);
}

Test(iptc7901_shared, samples)
{
    char *root = nw_test_shared_path("datasets/other-wire/anpa-iptc7901");
    if (!root)
        cr_skip_test("shared datasets not found (NW_SHARED_DIR)");
    free(root);
    nw_story_list l = {0};
    const nw_story *s = sample("datasets/other-wire/anpa-iptc7901/ap_anpa-1.tst", &l);
    cr_assert_str_eq(nw_story_headline(s),
                     "Deng has 30 points, short-handed Heat beat Hawks 115-111");
    cr_assert_str_eq(s->version_created, "2016-02-20T03:37:00Z");
    cr_assert_str_eq(s->version, "2");
    cr_assert_str_eq(s->by, "CHARLES ODUM, AP Sports Writer");
    cr_assert_str_eq(s->located, "ATLANTA");
    cr_assert_str_eq(s->slugline, "BC-BKN--Heat-Hawks");
    cr_assert(!strncmp(nw_story_body(s, "text/plain"),
                       "ATLANTA (AP) \xE2\x80\x94 Luol Deng scored 30 points", 37));
    nw_story_list_free(&l);

    s = sample("datasets/other-wire/anpa-iptc7901/IPTC7901.txt", &l);
    cr_assert_str_eq(nw_story_headline(s),
                     "Germany Social Democrats: Coalition talks with Merkel could fail");
    cr_assert_str_eq(s->slugline, "Germany-politics");
    cr_assert_str_eq(nw_story_provider(s), "dpa");
    cr_assert_eq(s->urgency, 4);
    cr_assert(!strncmp(nw_story_body(s, "text/plain"),
                       "Berlin (dpa) - Negotiations between German conservatives headed by "
                       "Chancellor Angela Merkel",
                       90));
    cr_assert_null(strstr(nw_story_body(s, "text/plain"), "not for publication"));
    nw_story_list_free(&l);

    s = sample("datasets/other-wire/anpa-iptc7901/IPTC7901_odd_charset.txt", &l);
    cr_assert_str_eq(s->version_created, "2015-10-07T13:41:00Z");
    cr_assert_str_eq(s->version, "2", "1ST LEAD");
    nw_story_list_free(&l);

    s = sample("datasets/other-wire/anpa-iptc7901/dpa-english/dpa_four_line.txt", &l);
    cr_assert_str_eq(nw_story_headline(s),
                     "Switzerland joins list of countries resisting UN migration pact");
    cr_assert_str_eq(s->by, "dpa correspondents");
    nw_story_list_free(&l);
}
