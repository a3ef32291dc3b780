/*
 * nw_fts_text — texts of a ninjs story for the FTS index. See nw_fts_text.h.
 */
#include "nw_fts_text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nw_buf.h"

static const char *str_member(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* NULL for an empty buffer; the string otherwise. */
static char *take_nonempty(nw_buf *b)
{
    if (b->len == 0) {
        nw_buf_free(b);
        return NULL;
    }
    return nw_buf_take(b);
}

char *nw_fts_text_headline(const json_t *story)
{
    const json_t *list = json_object_get(story, "headlines");
    const char *first = NULL;
    size_t i;
    const json_t *h;
    json_array_foreach(list, i, h)
    {
        const char *v = str_member(h, "value");
        const char *role = str_member(h, "role");
        if (v && role && !strcmp(role, "main"))
            return strdup(v);
        if (v && !first)
            first = v;
    }
    return dup_or_null(first ? first : str_member(story, "headline"));
}

static bool is_html(const char *type)
{
    return type && (strstr(type, "html") != NULL);
}

char *nw_fts_text_body(const json_t *story)
{
    const json_t *list = json_object_get(story, "bodies");
    const char *html = NULL;
    size_t i;
    const json_t *b;
    json_array_foreach(list, i, b)
    {
        const char *v = str_member(b, "value");
        const char *type = str_member(b, "contentType");
        if (!v)
            continue;
        if (!is_html(type))
            return strdup(v);
        if (!html)
            html = v;
    }
    if (html)
        return nw_fts_text_from_html(html);
    const char *legacy = str_member(story, "body_text");
    if (legacy)
        return strdup(legacy);
    nw_buf out = NW_BUF_INIT;
    json_array_foreach(json_object_get(story, "descriptions"), i, b)
    {
        const char *v = str_member(b, "value");
        if (!v)
            continue;
        if (out.len)
            nw_buf_putc(&out, '\n');
        nw_buf_puts(&out, v);
    }
    return take_nonempty(&out);
}

char *nw_fts_text_names(const json_t *story, const char *field, bool skip_categories)
{
    nw_buf out = NW_BUF_INIT;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(story, field), i, e)
    {
        const char *rel = str_member(e, "rel");
        if (skip_categories && rel && !strcmp(rel, "category"))
            continue;
        const char *name = str_member(e, "name");
        if (!name)
            name = str_member(e, "literal");
        if (!name)
            continue;
        if (out.len)
            nw_buf_putc(&out, '\n');
        nw_buf_puts(&out, name);
    }
    return take_nonempty(&out);
}

char *nw_fts_text_categories(const json_t *story, const char *fallback)
{
    nw_buf out = NW_BUF_INIT;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(story, "subjects"), i, e)
    {
        const char *rel = str_member(e, "rel");
        const char *slug = str_member(e, "literal");
        if (!rel || strcmp(rel, "category") || !slug)
            continue;
        if (out.len)
            nw_buf_putc(&out, ' ');
        nw_buf_puts(&out, slug);
    }
    if (out.len == 0 && fallback && *fallback)
        nw_buf_puts(&out, fallback);
    return take_nonempty(&out);
}

char *nw_fts_text_provider(const json_t *story)
{
    const json_t *list = json_object_get(story, "infoSources");
    const json_t *pick = json_array_get(list, 0);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *role = str_member(e, "role");
        if (role && !strcmp(role, "source")) {
            pick = e;
            break;
        }
    }
    const char *name = str_member(pick, "name");
    return dup_or_null(name ? name : str_member(pick, "uri"));
}

static const struct {
    const char *name;
    const char *text;
} entities[] = {{"amp;", "&"},  {"lt;", "<"},  {"gt;", ">"},  {"quot;", "\""},
                {"apos;", "'"}, {"#39;", "'"}, {"nbsp;", " "}};

static bool block_tag(const char *tag)
{
    static const char *blocks[] = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"};
    const char *t = tag + (tag[0] == '/');
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        size_t n = strlen(blocks[i]);
        if (!strncasecmp(t, blocks[i], n) && strchr(" />\t\n", t[n]))
            return true;
    }
    return false;
}

char *nw_fts_text_from_html(const char *html)
{
    nw_buf out = NW_BUF_INIT;
    for (const char *p = html; *p;) {
        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (!end)
                break;
            if (block_tag(p + 1) && out.len && out.data[out.len - 1] != '\n')
                nw_buf_putc(&out, '\n');
            p = end + 1;
            continue;
        }
        if (*p == '&') {
            bool done = false;
            for (size_t i = 0; i < sizeof entities / sizeof entities[0] && !done; i++) {
                size_t n = strlen(entities[i].name);
                if (!strncmp(p + 1, entities[i].name, n)) {
                    nw_buf_puts(&out, entities[i].text);
                    p += 1 + n;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        nw_buf_putc(&out, *p++);
    }
    return nw_buf_take(&out);
}
