/*
 * nw_story — constructors, setters and accessors of the story model. See nw_story.h.
 */
#include "nw_story.h"

#include <stdlib.h>
#include <string.h>

#include "nw_text.h"

nw_story *nw_story_new(void)
{
    return calloc(1, sizeof(nw_story));
}

static void text_list_free(nw_text_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].value);
        free(list->items[i].role);
        free(list->items[i].content_type);
        json_decref(list->items[i].extra);
    }
    free(list->items);
}

static void entity_list_free(nw_entity_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].name);
        free(list->items[i].uri);
        free(list->items[i].literal);
        free(list->items[i].rel);
        json_decref(list->items[i].extra);
    }
    free(list->items);
}

void nw_story_free(nw_story *s)
{
    if (!s)
        return;
    char **strings[] = {&s->uri,
                        &s->type,
                        &s->version,
                        &s->version_created,
                        &s->first_created,
                        &s->content_created,
                        &s->embargoed_until,
                        &s->pub_status,
                        &s->language,
                        &s->slugline,
                        &s->by,
                        &s->located,
                        &s->ed_note,
                        &s->copyright_notice};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    text_list_free(&s->headlines);
    text_list_free(&s->bodies);
    text_list_free(&s->descriptions);
    entity_list_free(&s->subjects);
    entity_list_free(&s->places);
    entity_list_free(&s->people);
    entity_list_free(&s->organisations);
    entity_list_free(&s->info_sources);
    entity_list_free(&s->genres);
    json_decref(s->associations);
    json_decref(s->extra);
    free(s);
}

int nw_story_setn(char **field, const char *value, size_t len)
{
    char *copy = NULL;
    if (value) {
        copy = malloc(len + 1);
        if (!copy)
            return NW_ENOMEM;
        memcpy(copy, value, len);
        copy[len] = '\0';
    }
    free(*field);
    *field = copy;
    return 0;
}

int nw_story_set(char **field, const char *value)
{
    return nw_story_setn(field, value, value ? strlen(value) : 0);
}

static int grow(void **items, size_t *cap, size_t len, size_t item_size)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *n = realloc(*items, ncap * item_size);
    if (!n)
        return NW_ENOMEM;
    memset((char *)n + *cap * item_size, 0, (ncap - *cap) * item_size);
    *items = n;
    *cap = ncap;
    return 0;
}

int nw_text_list_add(nw_text_list *list, const char *value, const char *role,
                     const char *content_type)
{
    if (grow((void **)&list->items, &list->cap, list->len, sizeof(nw_text)))
        return NW_ENOMEM;
    nw_text *t = &list->items[list->len];
    memset(t, 0, sizeof *t);
    if (nw_story_set(&t->value, value ? value : "") || nw_story_set(&t->role, role) ||
        nw_story_set(&t->content_type, content_type)) {
        free(t->value);
        free(t->role);
        free(t->content_type);
        memset(t, 0, sizeof *t);
        return NW_ENOMEM;
    }
    list->len++;
    return 0;
}

int nw_text_list_take(nw_text_list *list, char *value, const char *role, const char *content_type)
{
    if (!value)
        return nw_text_list_add(list, NULL, role, content_type);
    if (grow((void **)&list->items, &list->cap, list->len, sizeof(nw_text)))
        return NW_ENOMEM;
    nw_text *t = &list->items[list->len];
    memset(t, 0, sizeof *t);
    if (nw_story_set(&t->role, role) || nw_story_set(&t->content_type, content_type)) {
        free(t->role);
        free(t->content_type);
        memset(t, 0, sizeof *t);
        return NW_ENOMEM;
    }
    t->value = value;
    list->len++;
    return 0;
}

int nw_entity_list_add(nw_entity_list *list, const char *name, const char *uri, const char *literal,
                       const char *rel)
{
    if (grow((void **)&list->items, &list->cap, list->len, sizeof(nw_entity)))
        return NW_ENOMEM;
    nw_entity *e = &list->items[list->len];
    memset(e, 0, sizeof *e);
    if (nw_story_set(&e->name, name) || nw_story_set(&e->uri, uri) ||
        nw_story_set(&e->literal, literal) || nw_story_set(&e->rel, rel)) {
        free(e->name);
        free(e->uri);
        free(e->literal);
        free(e->rel);
        memset(e, 0, sizeof *e);
        return NW_ENOMEM;
    }
    list->len++;
    return 0;
}

int nw_story_add_category(nw_story *story, const char *name, nw_err *err)
{
    char *slug = nw_text_slug(name);
    if (!slug)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (!slug[0]) {
        free(slug);
        return nw_err_set(err, NW_EINVAL, "category '%s' has no letters or digits", name);
    }
    /* a category listed twice is one category */
    for (size_t i = 0; i < story->subjects.len; i++) {
        const nw_entity *e = &story->subjects.items[i];
        if (e->rel && !strcmp(e->rel, NW_REL_CATEGORY) && e->literal && !strcmp(e->literal, slug)) {
            free(slug);
            return 0;
        }
    }
    int rc = nw_entity_list_add(&story->subjects, name, NULL, slug, NW_REL_CATEGORY);
    free(slug);
    if (rc)
        return nw_err_set(err, rc, "out of memory");
    return 0;
}

size_t nw_story_categories(const nw_story *story, const char **slugs, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < story->subjects.len; i++) {
        const nw_entity *e = &story->subjects.items[i];
        if (!e->rel || strcmp(e->rel, NW_REL_CATEGORY) || !e->literal)
            continue;
        if (n < max)
            slugs[n] = e->literal;
        n++;
    }
    return n;
}

const char *nw_story_headline(const nw_story *story)
{
    return story->headlines.len ? story->headlines.items[0].value : NULL;
}

const char *nw_story_body(const nw_story *story, const char *content_type)
{
    for (size_t i = 0; i < story->bodies.len; i++) {
        const nw_text *t = &story->bodies.items[i];
        if (!content_type || (t->content_type && !strcmp(t->content_type, content_type)))
            return t->value;
    }
    return NULL;
}

const char *nw_story_provider(const nw_story *story)
{
    for (size_t i = 0; i < story->info_sources.len; i++) {
        const nw_entity *e = &story->info_sources.items[i];
        if (e->rel && !strcmp(e->rel, "source"))
            return e->name;
    }
    return NULL;
}
