/*
 * ninjs_direct_check — the differential check of the ninjs parser's fast path
 * against its tree path, shared by tests/unit/test_ninjs_direct.c and
 * tests/fuzz/fuzz_ninjs_direct.c (header-only: static functions).
 *
 * ndc_check(buf, len, category, &accepted) runs nw_ninjs_parse_direct and
 * nw_ninjs_parse_tree on the same bytes and returns NULL when they agree:
 * a decline left nothing (no story, no warning); an acceptance gave one story
 * equal field by field (strings, lists, extras, associations) to the tree
 * path's, which succeeded without a warning, and both serialize to the same
 * bytes (nw_ninjs_dumps). Otherwise a message saying what differs.
 */
#ifndef NINJS_DIRECT_CHECK_H
#define NINJS_DIRECT_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_ninjs.h"
#include "nw_parse_ninjs.h"
#include "nw_parser.h"

static void ndc_count_warn(void *ctx, const char *msg)
{
    (void)msg;
    (*(int *)ctx)++;
}

static bool ndc_str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool ndc_json_eq(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal((json_t *)a, (json_t *)b));
}

static bool ndc_texts_eq(const nw_text_list *a, const nw_text_list *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++) {
        const nw_text *x = &a->items[i], *y = &b->items[i];
        if (!ndc_str_eq(x->value, y->value) || !ndc_str_eq(x->role, y->role) ||
            !ndc_str_eq(x->content_type, y->content_type) || !ndc_json_eq(x->extra, y->extra))
            return false;
    }
    return true;
}

static bool ndc_entities_eq(const nw_entity_list *a, const nw_entity_list *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++) {
        const nw_entity *x = &a->items[i], *y = &b->items[i];
        if (!ndc_str_eq(x->name, y->name) || !ndc_str_eq(x->uri, y->uri) ||
            !ndc_str_eq(x->literal, y->literal) || !ndc_str_eq(x->rel, y->rel) ||
            !ndc_json_eq(x->extra, y->extra))
            return false;
    }
    return true;
}

/* NULL when a and b are the same story, else the first field that differs. */
static const char *ndc_story_diff(const nw_story *a, const nw_story *b)
{
#define NDC_S(f)                                                                                   \
    if (!ndc_str_eq(a->f, b->f))                                                                   \
        return #f;
    NDC_S(uri)
    NDC_S(type)
    NDC_S(version)
    NDC_S(version_created)
    NDC_S(first_created)
    NDC_S(content_created)
    NDC_S(embargoed_until)
    NDC_S(pub_status)
    NDC_S(language)
    NDC_S(slugline)
    NDC_S(by)
    NDC_S(located)
    NDC_S(ed_note)
    NDC_S(copyright_notice)
#undef NDC_S
    if (a->urgency != b->urgency)
        return "urgency";
    if (!ndc_texts_eq(&a->headlines, &b->headlines))
        return "headlines";
    if (!ndc_texts_eq(&a->bodies, &b->bodies))
        return "bodies";
    if (!ndc_texts_eq(&a->descriptions, &b->descriptions))
        return "descriptions";
    if (!ndc_entities_eq(&a->subjects, &b->subjects))
        return "subjects";
    if (!ndc_entities_eq(&a->places, &b->places))
        return "places";
    if (!ndc_entities_eq(&a->people, &b->people))
        return "people";
    if (!ndc_entities_eq(&a->organisations, &b->organisations))
        return "organisations";
    if (!ndc_entities_eq(&a->info_sources, &b->info_sources))
        return "info_sources";
    if (!ndc_entities_eq(&a->genres, &b->genres))
        return "genres";
    if (!ndc_json_eq(a->associations, b->associations))
        return "associations";
    if (!ndc_json_eq(a->extra, b->extra))
        return "extra";
    return NULL;
}

/* See the top comment. category: opts.default_category (may be NULL). */
static const char *ndc_check(const char *buf, size_t len, const char *category, bool *accepted)
{
    static char msg[160];
    int direct_warns = 0, tree_warns = 0;
    nw_parse_opts od = {.timezone = "UTC",
                        .default_category = category,
                        .warn = ndc_count_warn,
                        .warn_ctx = &direct_warns};
    nw_parse_opts ot = od;
    ot.warn_ctx = &tree_warns;
    nw_story_list direct = {0}, tree = {0};
    *accepted = nw_ninjs_parse_direct(buf, len, &od, &direct) == 1;
    const char *bad = NULL;
    if (direct_warns) {
        bad = "the fast path warned";
    } else if (!*accepted) {
        if (direct.len)
            bad = "the fast path declined but left a story";
    } else if (direct.len != 1) {
        bad = "the fast path accepted without exactly one story";
    } else {
        nw_err err = {0};
        int rc = nw_ninjs_parse_tree(buf, len, &ot, &tree, &err);
        if (rc < 0) {
            snprintf(msg, sizeof msg, "accepted what the tree path refuses: %.100s", err.msg);
            bad = msg;
        } else if (tree_warns) {
            bad = "accepted what the tree path warns about";
        } else if (tree.len != 1) {
            bad = "the tree path gave another number of stories";
        } else if ((bad = ndc_story_diff(direct.items[0], tree.items[0])) != NULL) {
            snprintf(msg, sizeof msg, "the stories differ in %s", bad);
            bad = msg;
        } else {
            nw_err e1 = {0}, e2 = {0};
            char *j1 = nw_ninjs_dumps(direct.items[0], &e1);
            char *j2 = nw_ninjs_dumps(tree.items[0], &e2);
            if (!ndc_str_eq(j1, j2) || (!j1 && strcmp(e1.msg, e2.msg)))
                bad = "the stories serialize differently";
            free(j1);
            free(j2);
        }
    }
    nw_story_list_free(&direct);
    nw_story_list_free(&tree);
    return bad;
}

#endif
