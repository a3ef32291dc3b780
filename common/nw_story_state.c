/*
 * nw_story_state — version ordering and classification of story versions
 * (docs/story-state.md). See nw_story_state.h.
 */
#include "nw_story_state.h"

#include <string.h>

#include "nw_time.h"

static int64_t version_number(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? json_integer_value(v) : NW_STORY_NO_NUMBER;
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 18)
        return NW_STORY_NO_NUMBER;
    int64_t n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return NW_STORY_NO_NUMBER;
        n = n * 10 + (*s - '0');
    }
    return n;
}

static int64_t time_ms(const json_t *v, bool *bad)
{
    const char *s = json_string_value(v);
    if (!s) {
        if (bad)
            *bad = v != NULL && !json_is_null(v);
        return NW_STORY_NO_TIME;
    }
    int64_t epoch;
    int millis = 0;
    if (nw_time_parse(s, NULL, &epoch, &millis, NULL) < 0) {
        if (bad)
            *bad = true;
        return NW_STORY_NO_TIME;
    }
    return epoch * 1000 + millis;
}

nw_story_key nw_story_key_of(const json_t *story)
{
    nw_story_key k = {version_number(json_object_get(story, "version")),
                      time_ms(json_object_get(story, "versionCreated"), NULL)};
    return k;
}

static int cmp64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

int nw_story_key_cmp(nw_story_key a, nw_story_key b)
{
    if (a.version != NW_STORY_NO_NUMBER && b.version != NW_STORY_NO_NUMBER &&
        a.version != b.version)
        return cmp64(a.version, b.version);
    if (a.created_ms != NW_STORY_NO_TIME && b.created_ms != NW_STORY_NO_TIME)
        return cmp64(a.created_ms, b.created_ms);
    return 0;
}

int nw_story_classify(const json_t *story, int64_t now_ms, int64_t *embargo_ms, nw_err *err)
{
    if (embargo_ms)
        *embargo_ms = NW_STORY_NO_TIME;
    const char *status = json_string_value(json_object_get(story, "pubStatus"));
    if (status && (!strcmp(status, "canceled") || !strcmp(status, "cancelled")))
        return NW_STORY_CANCELED;
    if (status && strcmp(status, "usable"))
        return NW_STORY_WITHHELD;
    bool bad = false;
    const json_t *eu = json_object_get(story, "embargoedUntil");
    int64_t until = time_ms(eu, &bad);
    if (bad)
        return nw_err_set(err, NW_EINVAL, "embargoedUntil: not a timestamp (%s)",
                          json_is_string(eu) ? json_string_value(eu) : "not a string");
    if (until != NW_STORY_NO_TIME && until > now_ms) {
        if (embargo_ms)
            *embargo_ms = until;
        return NW_STORY_EMBARGOED;
    }
    return NW_STORY_USABLE;
}

const char *nw_story_class_name(nw_story_class c)
{
    switch (c) {
    case NW_STORY_USABLE: return "usable";
    case NW_STORY_CANCELED: return "canceled";
    case NW_STORY_WITHHELD: return "withheld";
    case NW_STORY_EMBARGOED: return "embargoed";
    }
    return "unknown";
}

bool nw_story_supersedes(bool has_stored, nw_story_class sc, nw_story_key sk, nw_story_class ic,
                         nw_story_key ik)
{
    if (!has_stored)
        return true;
    int c = nw_story_key_cmp(ik, sk);
    if (sc == NW_STORY_CANCELED) /* a kill is final: only a newer kill record replaces it */
        return ic == NW_STORY_CANCELED && c > 0;
    if (ic == NW_STORY_CANCELED) /* a kill wins over any version, older ones included */
        return true;
    return c > 0;
}

json_t *nw_story_kill_record(const json_t *story, const char *uri)
{
    static const char *const keep[] = {"type", "version", "versionCreated", "firstCreated",
                                       "pubStatus"};
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = uri ? json_object_set_new(o, "uri", json_string(uri)) : 0;
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        json_t *v = json_object_get(story, keep[i]);
        if (v)
            rc |= json_object_set(o, keep[i], v);
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

nw_story_skip nw_story_skip_reason(nw_story_class sc, nw_story_key sk, nw_story_key ik)
{
    if (sc == NW_STORY_CANCELED)
        return NW_STORY_SKIP_KILLED;
    return nw_story_key_cmp(ik, sk) < 0 ? NW_STORY_SKIP_OLDER : NW_STORY_SKIP_SAME;
}

const char *nw_story_skip_name(nw_story_skip why)
{
    switch (why) {
    case NW_STORY_SKIP_OLDER: return "skipped_older";
    case NW_STORY_SKIP_SAME: return "skipped_same";
    case NW_STORY_SKIP_KILLED: return "skipped_killed";
    }
    return "skipped";
}
