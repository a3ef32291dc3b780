/*
 * test_story_state — the story-state contract (docs/story-state.md): the
 * version ordering rule, classification (usable, canceled, withheld,
 * embargoed) and the merge rule's independence from arrival order.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "nw_story_state.h"

static json_t *story(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    return j;
}

static nw_story_key key(const char *json)
{
    json_t *j = story(json);
    nw_story_key k = nw_story_key_of(j);
    json_decref(j);
    return k;
}

Test(story_state, version_numbers_order_before_times)
{
    nw_story_key v1 = key("{\"version\":\"1\",\"versionCreated\":\"2024-01-02T00:00:00Z\"}");
    nw_story_key v2 = key("{\"version\":\"2\",\"versionCreated\":\"2024-01-01T00:00:00Z\"}");
    nw_story_key v10 = key("{\"version\":10}");
    cr_assert_lt(nw_story_key_cmp(v1, v2), 0, "numbers decide even against the times");
    cr_assert_gt(nw_story_key_cmp(v2, v1), 0);
    cr_assert_gt(nw_story_key_cmp(v10, v2), 0, "10 > 2 numerically, not as text");
    cr_assert_eq(nw_story_key_cmp(v2, v2), 0);
}

Test(story_state, times_decide_ties_and_non_numeric_versions)
{
    nw_story_key a = key("{\"version\":\"2\",\"versionCreated\":\"2024-01-01T10:00:00Z\"}");
    nw_story_key b = key("{\"version\":\"2\",\"versionCreated\":\"2024-01-01T12:00:00+01:00\"}");
    cr_assert_lt(nw_story_key_cmp(a, b), 0, "11:00Z is later than 10:00Z");
    nw_story_key x = key("{\"version\":\"v-a\",\"versionCreated\":\"2024-01-01T10:00:00.5Z\"}");
    nw_story_key y = key("{\"version\":\"v-b\",\"versionCreated\":\"2024-01-01T10:00:00.25Z\"}");
    cr_assert_gt(nw_story_key_cmp(x, y), 0, "milliseconds count");
    nw_story_key none = key("{}");
    cr_assert_eq(nw_story_key_cmp(none, x), 0, "nothing to compare: the same version");
    cr_assert_eq(none.version, NW_STORY_NO_NUMBER);
    cr_assert_eq(none.created_ms, NW_STORY_NO_TIME);
}

static int classify(const char *json, int64_t now_ms, int64_t *until)
{
    json_t *j = story(json);
    nw_err err = {0};
    int c = nw_story_classify(j, now_ms, until, &err);
    json_decref(j);
    return c;
}

Test(story_state, classification)
{
    int64_t until = 0;
    const int64_t jan1 = 1704067200000; /* 2024-01-01T00:00:00Z */
    cr_assert_eq(classify("{}", jan1, &until), NW_STORY_USABLE);
    cr_assert_eq(until, NW_STORY_NO_TIME);
    cr_assert_eq(classify("{\"pubStatus\":\"usable\"}", jan1, NULL), NW_STORY_USABLE);
    cr_assert_eq(classify("{\"pubStatus\":\"canceled\"}", jan1, NULL), NW_STORY_CANCELED);
    cr_assert_eq(classify("{\"pubStatus\":\"cancelled\"}", jan1, NULL), NW_STORY_CANCELED);
    cr_assert_eq(classify("{\"pubStatus\":\"withheld\"}", jan1, NULL), NW_STORY_WITHHELD);
    cr_assert_eq(classify("{\"pubStatus\":\"draft\"}", jan1, NULL), NW_STORY_WITHHELD,
                 "an unknown status hides the story");
    const char *emb = "{\"embargoedUntil\":\"2024-01-01T00:00:05Z\"}";
    cr_assert_eq(classify(emb, jan1, &until), NW_STORY_EMBARGOED);
    cr_assert_eq(until, jan1 + 5000);
    cr_assert_eq(classify(emb, jan1 + 5000, &until), NW_STORY_USABLE, "released at the time");
    cr_assert_eq(
        classify("{\"pubStatus\":\"canceled\",\"embargoedUntil\":\"2030-01-01\"}", jan1, NULL),
        NW_STORY_CANCELED, "a kill is never embargoed");
    cr_assert_lt(classify("{\"embargoedUntil\":\"tomorrow\"}", jan1, NULL), 0,
                 "an unreadable embargo is refused, not ignored");
}

Test(story_state, bad_embargo_error_names_the_field)
{
    json_t *j = story("{\"embargoedUntil\":\"soon\"}");
    nw_err err = {0};
    cr_assert_eq(nw_story_classify(j, 0, NULL, &err), NW_EINVAL);
    cr_assert(strstr(err.msg, "embargoedUntil") && strstr(err.msg, "soon"), "%s", err.msg);
    json_decref(j);
}

/* The merge rule applied to a sequence, as a sink would. */
typedef struct {
    nw_story_class c;
    nw_story_key k;
} ver;

static ver merge(const ver *seq, size_t n)
{
    ver cur = {0};
    bool has = false;
    for (size_t i = 0; i < n; i++)
        if (nw_story_supersedes(has, cur.c, cur.k, seq[i].c, seq[i].k)) {
            cur = seq[i];
            has = true;
        }
    return cur;
}

Test(story_state, end_state_does_not_depend_on_arrival_order)
{
    ver v[4] = {{NW_STORY_USABLE, {1, 1000}},
                {NW_STORY_WITHHELD, {2, 2000}},
                {NW_STORY_USABLE, {3, 3000}},
                {NW_STORY_CANCELED, {2, 2500}}};
    /* every permutation of 4 versions: the kill wins, whatever came after it */
    int perm[4] = {0, 1, 2, 3};
    for (int n = 0; n < 24; n++) {
        ver seq[4];
        for (int i = 0; i < 4; i++)
            seq[i] = v[perm[i]];
        ver end = merge(seq, 4);
        cr_assert_eq(end.c, NW_STORY_CANCELED, "permutation %d", n);
        cr_assert_eq(end.k.version, 2);
        /* next permutation */
        int i = 2;
        while (i >= 0 && perm[i] > perm[i + 1])
            i--;
        if (i < 0)
            break;
        int j = 3;
        while (perm[j] < perm[i])
            j--;
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        for (int a = i + 1, b = 3; a < b; a++, b--)
            t = perm[a], perm[a] = perm[b], perm[b] = t;
    }
    /* without the kill: the newest version, whatever the order */
    ver no_kill[3] = {v[2], v[0], v[1]};
    cr_assert_eq(merge(no_kill, 3).k.version, 3);
    ver withheld_then_usable[2] = {v[1], v[2]};
    cr_assert_eq(merge(withheld_then_usable, 2).c, NW_STORY_USABLE);
}

Test(story_state, same_version_again_is_skipped_but_a_kill_is_not)
{
    nw_story_key k = {1, 1000};
    cr_assert_not(nw_story_supersedes(true, NW_STORY_USABLE, k, NW_STORY_USABLE, k));
    cr_assert(nw_story_supersedes(true, NW_STORY_USABLE, k, NW_STORY_CANCELED, k));
    cr_assert_not(nw_story_supersedes(true, NW_STORY_CANCELED, k, NW_STORY_CANCELED, k));
    nw_story_key older = {0, 500};
    cr_assert_not(nw_story_supersedes(true, NW_STORY_CANCELED, k, NW_STORY_USABLE, older));
    nw_story_key newer = {5, 5000};
    cr_assert_not(nw_story_supersedes(true, NW_STORY_CANCELED, k, NW_STORY_USABLE, newer),
                  "a kill is final");
    cr_assert(nw_story_supersedes(false, NW_STORY_USABLE, k, NW_STORY_USABLE, older));
    cr_assert_str_eq(nw_story_class_name(NW_STORY_EMBARGOED), "embargoed");
}

Test(story_state, kill_record_keeps_the_version_and_strips_the_content)
{
    json_t *story = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s}], s:[{s:s}], s:[{s:s}], s:s}", "uri", "urn:k",
        "type", "text", "version", "3", "versionCreated", "2026-01-02T03:04:05Z", "firstCreated",
        "2026-01-01T00:00:00Z", "pubStatus", "canceled", "headlines", "value", "Secret", "bodies",
        "value", "Body text", "people", "name", "Someone", "language", "en");
    cr_assert_not_null(story);
    json_t *k = nw_story_kill_record(story, "urn:k");
    cr_assert_not_null(k);
    cr_assert_eq(json_object_size(k), 6,
                 "uri, type, version, versionCreated, firstCreated, "
                 "pubStatus and nothing else");
    cr_assert_str_eq(json_string_value(json_object_get(k, "uri")), "urn:k");
    cr_assert_str_eq(json_string_value(json_object_get(k, "version")), "3");
    cr_assert_str_eq(json_string_value(json_object_get(k, "versionCreated")),
                     "2026-01-02T03:04:05Z");
    cr_assert_str_eq(json_string_value(json_object_get(k, "pubStatus")), "canceled");
    cr_assert_null(json_object_get(k, "headlines"));
    cr_assert_null(json_object_get(k, "bodies"));
    cr_assert_null(json_object_get(k, "people"));
    cr_assert_eq(nw_story_classify(k, 0, NULL, NULL), NW_STORY_CANCELED, "still a kill");
    cr_assert_eq(nw_story_key_cmp(nw_story_key_of(k), nw_story_key_of(story)), 0,
                 "same version as the kill");
    json_decref(k);

    /* the uri the sink resolved (the message key) when the story has none;
     * missing fields stay missing */
    json_t *bare = json_pack("{s:s}", "pubStatus", "canceled");
    k = nw_story_kill_record(bare, "urn:key");
    cr_assert_eq(json_object_size(k), 2);
    cr_assert_str_eq(json_string_value(json_object_get(k, "uri")), "urn:key");
    json_decref(k);
    json_decref(bare);
    json_decref(story);
}

Test(story_state, skip_reasons_are_told_apart)
{
    nw_story_key stored = {3, 3000}, older = {2, 2000}, newer = {4, 4000};
    cr_assert_eq(nw_story_skip_reason(NW_STORY_USABLE, stored, older), NW_STORY_SKIP_OLDER);
    cr_assert_eq(nw_story_skip_reason(NW_STORY_USABLE, stored, stored), NW_STORY_SKIP_SAME);
    cr_assert_eq(nw_story_skip_reason(NW_STORY_CANCELED, stored, newer), NW_STORY_SKIP_KILLED);
    cr_assert_eq(nw_story_skip_reason(NW_STORY_CANCELED, stored, older), NW_STORY_SKIP_KILLED);
    cr_assert_str_eq(nw_story_skip_name(NW_STORY_SKIP_OLDER), "skipped_older");
    cr_assert_str_eq(nw_story_skip_name(NW_STORY_SKIP_KILLED), "skipped_killed");
}
