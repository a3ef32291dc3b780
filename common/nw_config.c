/*
 * nw_config — YAML config files into a tree of nodes that remember their
 * line, origin and dotted path, so every later error can name all three.
 *
 * The tree is built from libyaml's event stream with an explicit stack (no
 * recursion on input depth). Aliases are resolved by copying the anchored
 * node; every node and every byte of text counts against fixed budgets, so
 * a hostile file (billion laughs, deep nesting, huge keys) fails quickly
 * with NW_ELIMIT instead of exhausting memory. This module never prints and
 * never exits; all failures come back as nw_err values.
 */
#include "nw_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

struct nw_cfg_node {
    nw_cfg_kind kind;
    int line;           /* 1-based; 0 for environment values */
    const char *origin; /* borrowed from nw_config (its origin or an env name) */
    char *path;         /* "" for the root */
    char *text;         /* NW_CFG_SCALAR only */
    size_t len, cap;    /* NW_CFG_MAP / NW_CFG_SEQ entries */
    nw_cfg_node **vals;
    char **keys;    /* NW_CFG_MAP only */
    int *key_lines; /* NW_CFG_MAP only */
};

struct nw_config {
    char *origin;
    nw_cfg_node *root;
    char **owned; /* origins of environment values ("env NEWSWIRE_X") */
    size_t nowned, owned_cap;
};

/* ------------------------------------------------------------------------ */
/* Nodes                                                                    */
/* ------------------------------------------------------------------------ */

static void node_free(nw_cfg_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->len; i++) {
        node_free(n->vals[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->vals);
    free(n->keys);
    free(n->key_lines);
    free(n->text);
    free(n->path);
    free(n);
}

static nw_cfg_node *node_new(nw_cfg_kind kind, int line, const char *origin, char *path)
{
    nw_cfg_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = line;
    n->origin = origin;
    n->path = path;
    return n;
}

/* Append an entry (key is NULL for lists). Takes ownership of key and val
 * only on success. */
static int node_append(nw_cfg_node *n, char *key, int key_line, nw_cfg_node *val)
{
    if (n->len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        nw_cfg_node **vals = realloc(n->vals, cap * sizeof *vals);
        if (!vals)
            return NW_ENOMEM;
        n->vals = vals;
        if (n->kind == NW_CFG_MAP) {
            char **keys = realloc(n->keys, cap * sizeof *keys);
            if (!keys)
                return NW_ENOMEM;
            n->keys = keys;
            int *lines = realloc(n->key_lines, cap * sizeof *lines);
            if (!lines)
                return NW_ENOMEM;
            n->key_lines = lines;
        }
        n->cap = cap;
    }
    if (n->kind == NW_CFG_MAP) {
        n->keys[n->len] = key;
        n->key_lines[n->len] = key_line;
    }
    n->vals[n->len++] = val;
    return 0;
}

/* "a.b" + "c" -> "a.b.c"; "" + "c" -> "c". Caller frees. */
static char *path_key(const char *parent, const char *key)
{
    size_t pl = strlen(parent), kl = strlen(key);
    char *p = malloc(pl + kl + 2);
    if (!p)
        return NULL;
    if (pl) {
        memcpy(p, parent, pl);
        p[pl++] = '.';
    }
    memcpy(p + pl, key, kl + 1);
    return p;
}

/* "chain" + 1 -> "chain[1]". Caller frees. */
static char *path_index(const char *parent, size_t i)
{
    size_t n = strlen(parent) + 24;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s[%zu]", parent, i);
    return p;
}

static const char *kind_phrase(const nw_cfg_node *n)
{
    switch (n->kind) {
    case NW_CFG_NULL: return "an empty value";
    case NW_CFG_SCALAR: return "a value";
    case NW_CFG_MAP: return "a map";
    case NW_CFG_SEQ: return "a list";
    }
    return "a value";
}

/* A printable, bounded rendering of user text for messages: 'maybe'. */
static void quote_text(const char *s, char *buf, size_t size)
{
    size_t o = 0, max = 48;
    if (size < 8)
        return;
    buf[o++] = '\'';
    for (size_t i = 0; s[i] && o + 5 < size; i++) {
        if (i == max) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
}

/* What a node holds, for "got ..." in messages. */
static void describe(const nw_cfg_node *n, char *buf, size_t size)
{
    if (n->kind == NW_CFG_SCALAR)
        quote_text(n->text, buf, size);
    else
        snprintf(buf, size, "%s", kind_phrase(n));
}

static int vnode_error(const char *origin, int line, const char *path, nw_err *err, int code,
                       const char *fmt, va_list ap)
{
    char msg[NW_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char where[NW_ERR_MSG_MAX];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d", origin, line);
    else
        snprintf(where, sizeof where, "%s", origin);
    if (path && *path)
        return nw_err_set(err, code, "%s: %s: %s", where, path, msg);
    return nw_err_set(err, code, "%s: %s", where, msg);
}

static int at_error(const char *origin, int line, const char *path, nw_err *err, int code,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int at_error(const char *origin, int line, const char *path, nw_err *err, int code,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnode_error(origin, line, path, err, code, fmt, ap);
    va_end(ap);
    return code;
}

int nw_cfg_error(const nw_cfg_node *node, nw_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (node)
        vnode_error(node->origin, node->line, node->path, err, code, fmt, ap);
    else
        nw_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------------------ */
/* Building the tree from libyaml events                                    */
/* ------------------------------------------------------------------------ */

typedef struct anchor {
    char *name;
    nw_cfg_node *node;
    bool complete; /* false while its map/list is still open */
} anchor;

typedef struct frame {
    nw_cfg_node *node;
    char *key; /* map: key read, value pending (owned) */
    int key_line;
    size_t anchor; /* 1 + index in builder.anchors of its anchor, or 0 */
} frame;

typedef struct builder {
    nw_config *cfg;
    const unsigned char *text;
    size_t text_len;
    frame stack[NW_CONFIG_MAX_DEPTH];
    int depth;
    anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t nodes; /* budget: NW_CONFIG_MAX_NODES */
    size_t bytes; /* budget: NW_CONFIG_MAX_TEXT */
    int docs;
    nw_err *err;
} builder;

static int oom(nw_err *err)
{
    return nw_err_set(err, NW_ENOMEM, "out of memory while loading the configuration");
}

/* Count `text_bytes` bytes of keys, values or paths against the budget. */
static int budget_text(builder *b, int line, const char *path, size_t text_bytes)
{
    b->bytes += text_bytes;
    if (b->bytes > NW_CONFIG_MAX_TEXT)
        return at_error(b->cfg->origin, line, path, b->err, NW_ELIMIT,
                        "too much text (the limit is %u bytes of keys, values and paths,"
                        " aliases expanded)",
                        NW_CONFIG_MAX_TEXT);
    return 0;
}

/* Count one node of `text_bytes` bytes against the budgets. */
static int budget(builder *b, int line, const char *path, size_t text_bytes)
{
    if (++b->nodes > NW_CONFIG_MAX_NODES)
        return at_error(b->cfg->origin, line, path, b->err, NW_ELIMIT,
                        "too many values (the limit is %u, aliases expanded)", NW_CONFIG_MAX_NODES);
    return budget_text(b, line, path, text_bytes);
}

/* The path the next value of the open container will have. Caller frees. */
static char *next_path(builder *b)
{
    if (b->depth == 0)
        return strdup("");
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == NW_CFG_MAP)
        return path_key(f->node->path, f->key);
    return path_index(f->node->path, f->node->len);
}

static int mark_line(const yaml_mark_t *m)
{
    return (int)m->line + 1;
}

/* Put a finished (or just opened) value into its parent; takes ownership. */
static int attach(builder *b, nw_cfg_node *n)
{
    if (b->depth == 0) {
        b->cfg->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    if (node_append(f->node, f->key, f->key_line, n) < 0) {
        node_free(n);
        return oom(b->err);
    }
    f->key = NULL;
    return 0;
}

static int push(builder *b, nw_cfg_node *n)
{
    if (b->depth == NW_CONFIG_MAX_DEPTH)
        return at_error(b->cfg->origin, n->line, n->path, b->err, NW_ELIMIT,
                        "nested deeper than %d maps and lists", NW_CONFIG_MAX_DEPTH);
    b->stack[b->depth].node = n;
    b->stack[b->depth].key = NULL;
    b->stack[b->depth].key_line = 0;
    b->stack[b->depth].anchor = 0;
    b->depth++;
    return 0;
}

static int add_anchor(builder *b, const char *name, nw_cfg_node *n, bool complete)
{
    if (b->nanchors == NW_CONFIG_MAX_ANCHORS)
        return at_error(b->cfg->origin, n->line, n->path, b->err, NW_ELIMIT,
                        "more than %d anchors ('&name')", NW_CONFIG_MAX_ANCHORS);
    if (b->nanchors == b->anchors_cap) {
        size_t cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
        anchor *a = realloc(b->anchors, cap * sizeof *a);
        if (!a)
            return oom(b->err);
        b->anchors = a;
        b->anchors_cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return oom(b->err);
    b->anchors[b->nanchors++] = (anchor){copy, n, complete};
    return 0;
}

static bool is_null_text(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* Refuse explicit tags: they are how YAML loaders get talked into building
 * objects, and newswire has no use for them. */
static int refuse_tag(builder *b, const yaml_char_t *tag, int line, const char *path)
{
    if (!tag)
        return 0;
    char q[64];
    quote_text((const char *)tag, q, sizeof q);
    return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                    "YAML tags are not supported (found %s); write the plain value", q);
}

/* Deep copy of an anchored node to the alias's place; `path` is owned (freed
 * on failure). The copy's lines stay those of the anchored text. */
static int copy_node(builder *b, const nw_cfg_node *src, char *path, int depth, nw_cfg_node **out)
{
    *out = NULL;
    int rc = 0;
    bool container = src->kind == NW_CFG_MAP || src->kind == NW_CFG_SEQ;
    if (container && depth > NW_CONFIG_MAX_DEPTH)
        rc = at_error(b->cfg->origin, src->line, path, b->err, NW_ELIMIT,
                      "nested deeper than %d maps and lists (aliases expanded)",
                      NW_CONFIG_MAX_DEPTH);
    if (rc == 0)
        rc = budget(b, src->line, path, strlen(path) + (src->text ? strlen(src->text) : 0));
    nw_cfg_node *n = rc == 0 ? node_new(src->kind, src->line, src->origin, path) : NULL;
    if (rc == 0 && !n)
        rc = oom(b->err);
    if (rc < 0) {
        free(path);
        return rc;
    }
    if (src->text && !(n->text = strdup(src->text)))
        rc = oom(b->err);
    for (size_t i = 0; rc == 0 && i < src->len; i++) {
        bool map = src->kind == NW_CFG_MAP;
        char *cpath = map ? path_key(path, src->keys[i]) : path_index(path, i);
        char *key = map ? strdup(src->keys[i]) : NULL;
        if (!cpath || (map && !key)) {
            free(cpath);
            free(key);
            rc = oom(b->err);
            break;
        }
        if (map && (rc = budget_text(b, src->key_lines[i], cpath, strlen(key))) < 0) {
            free(cpath);
            free(key);
            break;
        }
        nw_cfg_node *c;
        if ((rc = copy_node(b, src->vals[i], cpath, depth + 1, &c)) < 0) {
            free(key);
            break;
        }
        if (node_append(n, key, map ? src->key_lines[i] : 0, c) < 0) {
            free(key);
            node_free(c);
            rc = oom(b->err);
        }
    }
    if (rc < 0) {
        node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

typedef struct keyref {
    const char *key;
    size_t idx;
} keyref;

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Duplicate keys in one map: sort (key, position) pairs so a map with many
 * keys costs n log n, then report the earliest repeated key in file order. */
static int check_duplicates(builder *b, const nw_cfg_node *map)
{
    if (map->len < 2)
        return 0;
    keyref *refs = malloc(map->len * sizeof *refs);
    if (!refs)
        return oom(b->err);
    for (size_t i = 0; i < map->len; i++)
        refs[i] = (keyref){map->keys[i], i};
    qsort(refs, map->len, sizeof *refs, keyref_cmp);
    size_t dup = SIZE_MAX, first = 0, run = 0;
    for (size_t i = 1; i < map->len; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key)) {
            run = i;
            continue;
        }
        if (refs[i].idx < dup) {
            dup = refs[i].idx;
            first = refs[run].idx;
        }
    }
    free(refs);
    if (dup == SIZE_MAX)
        return 0;
    char *path = path_key(map->path, map->keys[dup]);
    if (!path)
        return oom(b->err);
    char q[64];
    quote_text(map->keys[dup], q, sizeof q);
    at_error(b->cfg->origin, map->key_lines[dup], path, b->err, NW_EINVAL,
             "duplicate key %s (first defined at line %d)", q, map->key_lines[first]);
    free(path);
    return NW_EINVAL;
}

/* A scalar event in key position of the open map. */
static int on_key(builder *b, const yaml_event_t *ev)
{
    frame *f = &b->stack[b->depth - 1];
    int line = mark_line(&ev->start_mark);
    const char *path = f->node->path;
    if (ev->type != YAML_SCALAR_EVENT) {
        const char *what = ev->type == YAML_ALIAS_EVENT           ? "an alias"
                           : ev->type == YAML_MAPPING_START_EVENT ? "a map"
                                                                  : "a list";
        return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                        "expected a key (a plain string), got %s", what);
    }
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (refuse_tag(b, ev->data.scalar.tag, line, path) < 0)
        return NW_EINVAL;
    if (ev->data.scalar.anchor)
        return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                        "anchors on keys are not supported");
    if (memchr(text, '\0', len))
        return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                        "a key contains a NUL character");
    if (plain && len == 0)
        return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                        "expected a key before ':', got nothing");
    if (plain && !strcmp(text, "<<"))
        return at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                        "merge keys ('<<') are not supported; write the settings out"
                        " or use a plain alias as the whole value");
    b->bytes += len;
    if (b->bytes > NW_CONFIG_MAX_TEXT)
        return at_error(b->cfg->origin, line, path, b->err, NW_ELIMIT,
                        "too much text (the limit is %u bytes)", NW_CONFIG_MAX_TEXT);
    f->key = strdup(text);
    if (!f->key)
        return oom(b->err);
    f->key_line = line;
    return 0;
}

/* A scalar, alias, map start or list start in value position. */
static int on_value(builder *b, const yaml_event_t *ev)
{
    int line = mark_line(&ev->start_mark);
    char *path = next_path(b);
    if (!path)
        return oom(b->err);
    int rc = 0;
    nw_cfg_node *n = NULL;
    const yaml_char_t *tag = NULL, *anchor_name = NULL;

    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        tag = ev->data.scalar.tag;
        anchor_name = ev->data.scalar.anchor;
        const char *text = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if ((rc = refuse_tag(b, tag, line, path)) < 0)
            break;
        if (memchr(text, '\0', len)) {
            rc = at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                          "the value contains a NUL character");
            break;
        }
        bool null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_text(text);
        if ((rc = budget(b, line, path, strlen(path) + (null ? 0 : len))) < 0)
            break;
        n = node_new(null ? NW_CFG_NULL : NW_CFG_SCALAR, line, b->cfg->origin, path);
        if (!n || (!null && !(n->text = strdup(text)))) {
            if (!n)
                free(path);
            path = NULL;
            rc = oom(b->err);
            break;
        }
        path = NULL;
        break;
    }
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        anchor_name = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if ((rc = refuse_tag(b, tag, line, path)) < 0)
            break;
        if ((rc = budget(b, line, path, strlen(path))) < 0)
            break;
        n = node_new(map ? NW_CFG_MAP : NW_CFG_SEQ, line, b->cfg->origin, path);
        if (!n) {
            rc = oom(b->err);
            break;
        }
        path = NULL;
        break;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        const anchor *a = NULL;
        for (size_t i = b->nanchors; i-- > 0;)
            if (!strcmp(b->anchors[i].name, name)) {
                a = &b->anchors[i];
                break;
            }
        if (!a) {
            rc = at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                          "unknown alias *%s (no anchor &%s before it)", name, name);
            break;
        }
        if (!a->complete) {
            rc = at_error(b->cfg->origin, line, path, b->err, NW_EINVAL,
                          "alias *%s is used inside the node it names", name);
            break;
        }
        rc = copy_node(b, a->node, path, b->depth + 1, &n);
        path = NULL;
        break;
    }
    default: break;
    }
    free(path);
    if (rc < 0 || !n)
        return rc < 0 ? rc : NW_EINVAL;

    bool container = n->kind == NW_CFG_MAP || n->kind == NW_CFG_SEQ;
    bool fresh = ev->type != YAML_ALIAS_EVENT;
    /* a map or list under a key is introduced on the key's line ("kafka:") */
    if (container && fresh && b->depth > 0 && b->stack[b->depth - 1].node->kind == NW_CFG_MAP)
        n->line = b->stack[b->depth - 1].key_line;
    if ((rc = attach(b, n)) < 0)
        return rc;
    if (anchor_name && (rc = add_anchor(b, (const char *)anchor_name, n, !container)) < 0)
        return rc;
    if (container && fresh) {
        if ((rc = push(b, n)) < 0)
            return rc;
        if (anchor_name)
            b->stack[b->depth - 1].anchor = b->nanchors;
    }
    return 0;
}

static int on_end(builder *b)
{
    frame *f = &b->stack[--b->depth];
    free(f->key);
    f->key = NULL;
    if (f->node->kind == NW_CFG_MAP) {
        int rc = check_duplicates(b, f->node);
        if (rc < 0)
            return rc;
    }
    if (f->anchor)
        b->anchors[f->anchor - 1].complete = true;
    return 0;
}

static int line_of_offset(const unsigned char *text, size_t len, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

static int syntax_error(builder *b, const yaml_parser_t *p)
{
    const char *origin = b->cfg->origin;
    const char *problem = p->problem ? p->problem : "unknown problem";
    switch (p->error) {
    case YAML_MEMORY_ERROR: return oom(b->err);
    case YAML_READER_ERROR:
        if (p->problem_value != -1)
            return nw_err_set(b->err, NW_EINVAL,
                              "%s:%d: invalid YAML text: %s (byte 0x%02x at offset %zu)", origin,
                              line_of_offset(b->text, b->text_len, p->problem_offset), problem,
                              (unsigned)p->problem_value & 0xffu, p->problem_offset);
        return nw_err_set(b->err, NW_EINVAL, "%s:%d: invalid YAML text: %s (offset %zu)", origin,
                          line_of_offset(b->text, b->text_len, p->problem_offset), problem,
                          p->problem_offset);
    default:
        if (p->context)
            return nw_err_set(b->err, NW_EINVAL,
                              "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)", origin,
                              p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                              p->context, p->context_mark.line + 1);
        return nw_err_set(b->err, NW_EINVAL, "%s:%zu:%zu: YAML syntax error: %s", origin,
                          p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
    }
}

static int on_event(builder *b, const yaml_event_t *ev, bool *done)
{
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT: return 0;
    case YAML_STREAM_END_EVENT: *done = true; return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return at_error(b->cfg->origin, mark_line(&ev->start_mark), "", b->err, NW_EINVAL,
                            "a second YAML document ('---'); a config file holds one");
        return 0;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: return on_end(b);
    default: break;
    }
    if (b->depth > 0) {
        frame *f = &b->stack[b->depth - 1];
        if (f->node->kind == NW_CFG_MAP && !f->key)
            return on_key(b, ev);
    }
    return on_value(b, ev);
}

static void builder_deinit(builder *b)
{
    for (int i = 0; i < b->depth; i++)
        free(b->stack[i].key);
    for (size_t i = 0; i < b->nanchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
}

static int build(builder *b)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return oom(b->err);
    yaml_parser_set_input_string(&parser, b->text, b->text_len);
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(b, &parser);
            break;
        }
        rc = on_event(b, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */
/* ------------------------------------------------------------------------ */

int nw_config_load_string(const char *text, size_t len, const char *origin, nw_config **out,
                          nw_err *err)
{
    *out = NULL;
    if (!origin)
        origin = "<string>";
    if (len > NW_CONFIG_MAX_BYTES)
        return nw_err_set(err, NW_ELIMIT, "%s: larger than the %u-byte limit for config files",
                          origin, NW_CONFIG_MAX_BYTES);
    nw_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->origin = strdup(origin))) {
        free(cfg);
        return oom(err);
    }
    builder b = {.cfg = cfg, .text = (const unsigned char *)text, .text_len = len, .err = err};
    int rc = build(&b);
    builder_deinit(&b);
    if (rc == 0 && cfg->root && cfg->root->kind != NW_CFG_MAP && cfg->root->kind != NW_CFG_NULL)
        rc =
            at_error(cfg->origin, cfg->root->line, "", err, NW_EINVAL,
                     "expected a map of settings at the top level, got %s", kind_phrase(cfg->root));
    if (rc == 0 && (!cfg->root || cfg->root->kind == NW_CFG_NULL)) {
        /* empty file, only comments, or a lone "~": no settings */
        node_free(cfg->root);
        char *path = strdup("");
        cfg->root = path ? node_new(NW_CFG_MAP, 1, cfg->origin, path) : NULL;
        if (!cfg->root) {
            free(path);
            rc = oom(err);
        }
    }
    if (rc < 0) {
        nw_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int nw_config_load_file(const char *path, nw_config **out, nw_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nw_err_set(err, errno == ENOENT ? NW_ENOTFOUND : NW_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    struct stat st;
    int bad = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (bad) {
        int e = bad;
        close(fd);
        return nw_err_set(err, NW_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > NW_CONFIG_MAX_BYTES) {
        close(fd);
        return nw_err_set(err, NW_ELIMIT, "%s: larger than the %u-byte limit for config files",
                          path, NW_CONFIG_MAX_BYTES);
    }
    /* read at most one byte past the limit: pipes and growing files too */
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return oom(err);
    }
    for (;;) {
        if (len == cap) {
            if (cap > NW_CONFIG_MAX_BYTES)
                break;
            size_t ncap = cap * 2 > (size_t)NW_CONFIG_MAX_BYTES + 1
                              ? (size_t)NW_CONFIG_MAX_BYTES + 1
                              : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                close(fd);
                return oom(err);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return nw_err_set(err, NW_EIO, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    int rc = nw_config_load_string(buf, len, path, out, err);
    free(buf);
    return rc;
}

void nw_config_free(nw_config *cfg)
{
    if (!cfg)
        return;
    node_free(cfg->root);
    for (size_t i = 0; i < cfg->nowned; i++)
        free(cfg->owned[i]);
    free(cfg->owned);
    free(cfg->origin);
    free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */
/* ------------------------------------------------------------------------ */

const nw_cfg_node *nw_config_root(const nw_config *cfg)
{
    return cfg ? cfg->root : NULL;
}

const char *nw_config_origin(const nw_config *cfg)
{
    return cfg ? cfg->origin : NULL;
}

nw_cfg_kind nw_cfg_kind_of(const nw_cfg_node *node)
{
    return node ? node->kind : NW_CFG_NULL;
}

int nw_cfg_line(const nw_cfg_node *node)
{
    return node ? node->line : 0;
}

const char *nw_cfg_path(const nw_cfg_node *node)
{
    return node ? node->path : "";
}

const char *nw_cfg_origin(const nw_cfg_node *node)
{
    return node ? node->origin : "";
}

const char *nw_cfg_scalar(const nw_cfg_node *node)
{
    return node && node->kind == NW_CFG_SCALAR ? node->text : NULL;
}

size_t nw_cfg_len(const nw_cfg_node *node)
{
    return node && (node->kind == NW_CFG_MAP || node->kind == NW_CFG_SEQ) ? node->len : 0;
}

const nw_cfg_node *nw_cfg_get(const nw_cfg_node *map, const char *key)
{
    if (!map || map->kind != NW_CFG_MAP || !key)
        return NULL;
    for (size_t i = 0; i < map->len; i++)
        if (!strcmp(map->keys[i], key))
            return map->vals[i];
    return NULL;
}

const char *nw_cfg_key_at(const nw_cfg_node *map, size_t i)
{
    return map && map->kind == NW_CFG_MAP && i < map->len ? map->keys[i] : NULL;
}

const nw_cfg_node *nw_cfg_value_at(const nw_cfg_node *map, size_t i)
{
    return map && map->kind == NW_CFG_MAP && i < map->len ? map->vals[i] : NULL;
}

const nw_cfg_node *nw_cfg_item(const nw_cfg_node *seq, size_t i)
{
    return seq && seq->kind == NW_CFG_SEQ && i < seq->len ? seq->vals[i] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Typed reads                                                              */
/* ------------------------------------------------------------------------ */

static int expected(const nw_cfg_node *node, nw_err *err, const char *what)
{
    char got[64];
    describe(node, got, sizeof got);
    return nw_cfg_error(node, err, NW_EINVAL, "expected %s, got %s", what, got);
}

/* Scalar text or an error saying what was expected. */
static int scalar_or_fail(const nw_cfg_node *node, const char *what, const char **text, nw_err *err)
{
    if (!node)
        return nw_err_set(err, NW_EINVAL, "missing value (expected %s)", what);
    if (node->kind != NW_CFG_SCALAR)
        return expected(node, err, what);
    *text = node->text;
    return 0;
}

/* Decimal digits only, no sign; false on overflow or anything else. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static size_t digit_prefix(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

int nw_cfg_as_string(const nw_cfg_node *node, const char **out, nw_err *err)
{
    return scalar_or_fail(node, "a string", out, err);
}

int nw_cfg_as_int(const nw_cfg_node *node, int64_t min, int64_t max, int64_t *out, nw_err *err)
{
    char what[96];
    if (min == INT64_MIN && max == INT64_MAX)
        snprintf(what, sizeof what, "an integer");
    else if (max == INT64_MAX)
        snprintf(what, sizeof what, "an integer of at least %" PRId64, min);
    else if (min == INT64_MIN)
        snprintf(what, sizeof what, "an integer of at most %" PRId64, max);
    else
        snprintf(what, sizeof what, "an integer between %" PRId64 " and %" PRId64, min, max);
    const char *s = "";
    int rc = scalar_or_fail(node, what, &s, err);
    if (rc < 0)
        return rc;
    bool neg = *s == '-';
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    uint64_t mag;
    if (!parse_u64(digits, strlen(digits), &mag))
        return expected(node, err, what);
    int64_t v;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return expected(node, err, what);
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return expected(node, err, what);
        v = (int64_t)mag;
    }
    if (v < min || v > max)
        return expected(node, err, what);
    *out = v;
    return 0;
}

int nw_cfg_as_bool(const nw_cfg_node *node, bool *out, nw_err *err)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const char *s = "";
    int rc = scalar_or_fail(node, "true or false", &s, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return expected(node, err, "true or false");
}

int nw_cfg_as_duration_ms(const nw_cfg_node *node, int64_t *out, nw_err *err)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    const char *what = "a duration such as 250ms, 5s, 2m, 72h or 3d";
    const char *s = "";
    int rc = scalar_or_fail(node, what, &s, err);
    if (rc < 0)
        return rc;
    size_t n = digit_prefix(s);
    uint64_t v;
    if (!parse_u64(s, n, &v))
        return expected(node, err, what);
    /* a bare number is refused (0 aside): "shutdown_timeout: 30" read as
     * milliseconds once cut a 30 s drain to 30 ms */
    if (!s[n] && v != 0)
        return nw_cfg_error(node, err, NW_EINVAL,
                            "duration '%s' has no unit: write %sms, %ss, %sm, %sh or %sd", s, s, s,
                            s, s, s);
    if (!s[n]) {
        *out = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(s + n, units[i].unit))
            continue;
        if (v > (uint64_t)INT64_MAX / units[i].ms)
            return nw_cfg_error(node, err, NW_EINVAL, "duration '%s' is too long", s);
        *out = (int64_t)(v * units[i].ms);
        return 0;
    }
    return expected(node, err, what);
}

int nw_cfg_as_size(const nw_cfg_node *node, uint64_t *out, nw_err *err)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"kb", 1000ull},
        {"mb", 1000000ull},
        {"gb", 1000000000ull},
        {"tb", 1000000000000ull},
        {"kib", 1ull << 10},
        {"mib", 1ull << 20},
        {"gib", 1ull << 30},
        {"tib", 1ull << 40},
    };
    const char *what = "a size such as 512, 64KiB, 5MB or 1GiB";
    const char *s = "";
    int rc = scalar_or_fail(node, what, &s, err);
    if (rc < 0)
        return rc;
    size_t n = digit_prefix(s);
    uint64_t v;
    if (!parse_u64(s, n, &v))
        return expected(node, err, what);
    const char *unit = s + n;
    if (*unit == ' ' && unit[1])
        unit++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(unit, units[i].unit))
            continue;
        if (v > UINT64_MAX / units[i].mult)
            return nw_cfg_error(node, err, NW_EINVAL, "size '%s' is too large", s);
        *out = v * units[i].mult;
        return 0;
    }
    return expected(node, err, what);
}

/* ------------------------------------------------------------------------ */
/* Table-driven reads                                                       */
/* ------------------------------------------------------------------------ */

/* Edit distance, for "did you mean"; short keys only. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_key(const nw_cfg_node *map, size_t i, const nw_cfg_field *fields, nw_err *err)
{
    const char *key = map->keys[i];
    const char *best = NULL;
    size_t best_d = 3; /* suggest within two edits */
    char known[256] = "";
    size_t used = 0;
    for (const nw_cfg_field *f = fields; f->key; f++) {
        size_t d = edit_distance(key, f->key);
        if (d < best_d) {
            best_d = d;
            best = f->key;
        }
        if (used < sizeof known - 1) {
            int w = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", f->key);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (used >= sizeof known - 1)
        memcpy(known + sizeof known - 4, "...", 4);
    char *path = path_key(map->path, key);
    if (!path)
        return oom(err);
    if (best)
        at_error(map->origin, map->key_lines[i], path, err, NW_EINVAL,
                 "unknown key; did you mean '%s'?", best);
    else
        at_error(map->origin, map->key_lines[i], path, err, NW_EINVAL,
                 "unknown key (expected one of: %s)", known);
    free(path);
    return NW_EINVAL;
}

static int read_field(const nw_cfg_node *node, const nw_cfg_field *f, char *dst, nw_err *err)
{
    int rc = 0;
    switch (f->type) {
    case NW_CFG_T_STRING: {
        const char *s = "";
        if ((rc = nw_cfg_as_string(node, &s, err)) == 0)
            memcpy(dst, &s, sizeof s);
        break;
    }
    case NW_CFG_T_INT: {
        int64_t v = 0;
        bool unbounded = f->min == 0 && f->max == 0;
        if ((rc = nw_cfg_as_int(node, unbounded ? INT64_MIN : f->min,
                                unbounded ? INT64_MAX : f->max, &v, err)) == 0)
            memcpy(dst, &v, sizeof v);
        break;
    }
    case NW_CFG_T_BOOL: {
        bool v = false;
        if ((rc = nw_cfg_as_bool(node, &v, err)) == 0)
            memcpy(dst, &v, sizeof v);
        break;
    }
    case NW_CFG_T_DURATION: {
        int64_t v = 0;
        if ((rc = nw_cfg_as_duration_ms(node, &v, err)) == 0)
            memcpy(dst, &v, sizeof v);
        break;
    }
    case NW_CFG_T_SIZE: {
        uint64_t v = 0;
        if ((rc = nw_cfg_as_size(node, &v, err)) == 0)
            memcpy(dst, &v, sizeof v);
        break;
    }
    case NW_CFG_T_NODE: memcpy(dst, &node, sizeof node); break;
    }
    return rc;
}

int nw_cfg_read(const nw_cfg_node *map, const nw_cfg_field *fields, void *out, nw_err *err)
{
    if (map && map->kind == NW_CFG_NULL)
        map = NULL;
    if (map && map->kind != NW_CFG_MAP)
        return expected(map, err, "a map");
    for (size_t i = 0; map && i < map->len; i++) {
        const nw_cfg_field *f = fields;
        while (f->key && strcmp(f->key, map->keys[i]))
            f++;
        if (!f->key)
            return unknown_key(map, i, fields, err);
    }
    for (const nw_cfg_field *f = fields; f->key; f++) {
        char *dst = (char *)out + f->offset;
        const nw_cfg_node *node = nw_cfg_get(map, f->key);
        if (node && node->kind != NW_CFG_NULL) {
            int rc = read_field(node, f, dst, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!f->default_value) {
            if (!map)
                return nw_err_set(err, NW_EINVAL, "missing required key '%s'", f->key);
            return nw_cfg_error(map, err, NW_EINVAL, "missing required key '%s'", f->key);
        }
        if (f->type == NW_CFG_T_NODE) {
            const nw_cfg_node *none = NULL;
            memcpy(dst, &none, sizeof none);
            continue;
        }
        if (f->type == NW_CFG_T_STRING) {
            memcpy(dst, &f->default_value, sizeof f->default_value);
            continue;
        }
        nw_cfg_node def = {.kind = NW_CFG_SCALAR,
                           .origin = "<default>",
                           .path = (char *)f->key,
                           .text = (char *)f->default_value};
        int rc = read_field(&def, f, dst, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Environment overrides                                                    */
/* ------------------------------------------------------------------------ */

#define ENV_PREFIX       "NEWSWIRE_"
#define ENV_MAX_SEGMENTS NW_CONFIG_MAX_DEPTH

static bool env_reserved(const char *name, size_t len)
{
    static const char *const reserved[] = {"NEWSWIRE_LOG_LEVEL", "NEWSWIRE_LOG_FORMAT",
                                           "NEWSWIRE_CONFIG"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == len && !memcmp(reserved[i], name, len))
            return true;
    return false;
}

/* Does `key` equal segs[0..k) joined by '.' (any case, '_' also matching '-')? */
static bool key_matches(const char *key, char *const *segs, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && *key++ != '.')
            return false;
        for (const char *s = segs[i]; *s; s++, key++) {
            char c = (char)tolower((unsigned char)*key);
            if (!*key || (c != *s && !(*s == '_' && c == '-')))
                return false;
        }
    }
    return *key == '\0';
}

/* The value under the key that matches segs[0..k), or NULL. */
static nw_cfg_node *find_env_key(const nw_cfg_node *map, char *const *segs, size_t k)
{
    for (size_t j = 0; j < map->len; j++)
        if (key_matches(map->keys[j], segs, k))
            return map->vals[j];
    return NULL;
}

static const char *own_origin(nw_config *cfg, const char *name, size_t len)
{
    if (cfg->nowned == cfg->owned_cap) {
        size_t cap = cfg->owned_cap ? cfg->owned_cap * 2 : 4;
        char **o = realloc(cfg->owned, cap * sizeof *o);
        if (!o)
            return NULL;
        cfg->owned = o;
        cfg->owned_cap = cap;
    }
    char *s = malloc(len + 5);
    if (!s)
        return NULL;
    memcpy(s, "env ", 4);
    memcpy(s + 4, name, len);
    s[len + 4] = '\0';
    cfg->owned[cfg->nowned++] = s;
    return s;
}

/* Turn a value node into a scalar from the environment, in place. */
static int set_env_scalar(nw_cfg_node *n, const char *value, const char *origin)
{
    char *text = strdup(value);
    if (!text)
        return NW_ENOMEM;
    free(n->text);
    n->text = text;
    n->kind = NW_CFG_SCALAR;
    n->line = 0;
    n->origin = origin;
    return 0;
}

/* Add `key` to `map` as a new scalar (last) or empty map; returns the node. */
static nw_cfg_node *add_env_entry(nw_cfg_node *map, const char *key, bool last, const char *value,
                                  const char *origin)
{
    char *path = path_key(map->path, key);
    char *k = strdup(key);
    nw_cfg_node *n = path ? node_new(last ? NW_CFG_SCALAR : NW_CFG_MAP, 0, origin, path) : NULL;
    if (!n || !k || (last && !(n->text = strdup(value))) || node_append(map, k, 0, n) < 0) {
        if (n)
            node_free(n);
        else
            free(path);
        free(k);
        return NULL;
    }
    return n;
}

static int apply_one(nw_config *cfg, const char *name, size_t name_len, const char *value,
                     nw_err *err)
{
    const char *origin = own_origin(cfg, name, name_len);
    if (!origin)
        return oom(err);
    /* split "A__B_C__D" into lower-case segments a, b_c, d */
    char *buf = strndup(name + strlen(ENV_PREFIX), name_len - strlen(ENV_PREFIX));
    if (!buf)
        return oom(err);
    char *segs[ENV_MAX_SEGMENTS];
    size_t nsegs = 0;
    int rc = 0;
    for (char *p = buf;;) {
        char *sep = strstr(p, "__");
        if (sep)
            *sep = '\0';
        if (!*p) {
            rc = nw_err_set(err, NW_EINVAL,
                            "%s: empty name between '__' separators (write A__B for a.b)", origin);
            goto out;
        }
        if (nsegs == ENV_MAX_SEGMENTS) {
            rc = nw_err_set(err, NW_ELIMIT, "%s: more than %d levels", origin, ENV_MAX_SEGMENTS);
            goto out;
        }
        for (char *c = p; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        segs[nsegs++] = p;
        if (!sep)
            break;
        p = sep + 2;
    }

    nw_cfg_node *node = cfg->root;
    for (size_t i = 0; i < nsegs;) {
        nw_cfg_node *child = NULL;
        size_t k;
        if (node->kind == NW_CFG_MAP) {
            for (k = nsegs - i; k > 0 && !child; k--)
                child = find_env_key(node, segs + i, k);
            k++; /* the loop decremented once more after the match */
            if (!child) {
                bool last = i + 1 == nsegs;
                child = add_env_entry(node, segs[i], last, value, origin);
                if (!child) {
                    rc = oom(err);
                    goto out;
                }
                if (last)
                    goto out;
                node = child;
                i++;
                continue;
            }
        } else { /* NW_CFG_SEQ */
            uint64_t idx;
            if (!parse_u64(segs[i], strlen(segs[i]), &idx) || idx >= node->len) {
                rc = nw_err_set(err, NW_EINVAL,
                                "%s: '%s' is a list of %zu item(s); '%s' is not the index of"
                                " one of them",
                                origin, *node->path ? node->path : "the top level", node->len,
                                segs[i]);
                goto out;
            }
            child = node->vals[idx];
            k = 1;
        }
        i += k;
        bool last = i == nsegs;
        if (child->kind == NW_CFG_MAP || child->kind == NW_CFG_SEQ) {
            if (last) {
                rc = nw_err_set(err, NW_EINVAL,
                                "%s: cannot replace %s '%s' (%s:%d) with a single value", origin,
                                kind_phrase(child), child->path, child->origin, child->line);
                goto out;
            }
            node = child;
        } else if (last) {
            if (set_env_scalar(child, value, origin) < 0)
                rc = oom(err);
            goto out;
        } else if (child->kind == NW_CFG_NULL) {
            child->kind = NW_CFG_MAP; /* "key:" left empty in the file: fill it */
            node = child;
        } else {
            rc = nw_err_set(err, NW_EINVAL,
                            "%s: '%s' is a single value (%s:%d), not a map with more keys", origin,
                            child->path, child->origin, child->line);
            goto out;
        }
    }
out:
    free(buf);
    return rc;
}

int nw_config_apply_env(nw_config *cfg, char *const *envp, nw_err *err)
{
    if (!cfg || !envp)
        return 0;
    size_t plen = strlen(ENV_PREFIX);
    for (char *const *e = envp; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, ENV_PREFIX, plen))
            continue;
        size_t name_len = (size_t)(eq - *e);
        if (env_reserved(*e, name_len))
            continue;
        if (name_len == plen)
            return nw_err_set(err, NW_EINVAL, "env %.*s: no setting named after the prefix",
                              (int)name_len, *e);
        int rc = apply_one(cfg, *e, name_len, eq + 1, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
