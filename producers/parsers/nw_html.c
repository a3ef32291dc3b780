/*
 * nw_html — HTML and XHTML fragments to clean HTML and plain paragraphs.
 * See nw_html.h.
 *
 * Three steps:
 *   1. prepare: make the bytes safe for libxml2's HTML parser — repair
 *      invalid UTF-8 (windows-1252 for stray bytes, so libxml2 never falls
 *      back to Latin-1 for the whole fragment), drop C0 controls, turn XHTML
 *      CDATA sections into escaped text, and, when the fragment has no block
 *      markup at all (plain text, or text with inline tags only), wrap its
 *      blank-line-separated paragraphs in <p>.
 *   2. parse with htmlReadMemory: no network, errors and warnings off (the
 *      parser is lenient; we never print), meta charset ignored.
 *   3. walk the tree iteratively (no recursion, so depth costs nothing) and
 *      emit paragraphs into two buffers at once: plain text and clean HTML
 *      rebuilt from scratch — no attribute of the input survives except a
 *      vetted a[href], so onclick, style and friends cannot leak through.
 * Steps 2 and 3 are skipped for text without markup: clean_plain feeds the
 * walker the events the parsed tree would give.
 * nw_html_add_bodies_mapped walks a tree through a renaming map (NITF's
 * hl1, bq, media...) instead of walking a mapped copy of it.
 */
#include "nw_html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "nw_buf.h"
#include "nw_encoding.h"
#include "nw_text.h"
#include "nw_xml.h"

/* Fragments larger than this are refused; nw_xml refuses documents above the
 * same size, so a body that came out of one always fits. */
#define NW_HTML_MAX_BYTES (16u * 1024 * 1024)
/* Inline elements (b, i, a...) kept open at once; deeper ones are unwrapped. */
#define INLINE_MAX 16
/* Ancestors looked at to classify a paragraph (li, h2, blockquote...). */
#define KIND_DEPTH 32
/* Longest href kept. */
#define HREF_MAX 4096

static char *repair_c1(const char *s);

/* ------------------------------------------------------------ element sets */

/* What an element does, by name (exact, lower case as the HTML parser
 * makes them). One sorted table, searched once per element, instead of
 * string lists scanned one by one:
 *   EL_DROP   dropped with everything inside: script, style, iframe, object,
 *             embed, noscript, form, template, title, meta, link, base, svg,
 *             math, button, select, textarea, audio, video, canvas, map,
 *             frameset, applet;
 *   EL_BLOCK  starts and ends a paragraph (EL_PRE: and is preformatted);
 *   EL_BR, EL_CELL (td, th), EL_B ... EL_A the inline elements kept;
 * `marks` says the tag counts as block markup for has_block_markup (a
 * fragment without any is split into paragraphs on blank lines). */
typedef enum {
    EL_OTHER,
    EL_DROP,
    EL_BR,
    EL_CELL,
    EL_BLOCK,
    EL_PRE,
    EL_B,
    EL_STRONG,
    EL_I,
    EL_EM,
    EL_A
} element_class;

typedef struct element_info {
    const char *name;
    unsigned char cls;
    bool marks;
} element_info;

/* clang-format off */
static const element_info elements[] = { /* sorted by strcmp */
    {"a", EL_A, false},          {"address", EL_BLOCK, true},   {"applet", EL_DROP, false},
    {"article", EL_BLOCK, true}, {"aside", EL_BLOCK, true},     {"audio", EL_DROP, false},
    {"b", EL_B, false},          {"base", EL_DROP, false},      {"blockquote", EL_BLOCK, true},
    {"body", EL_BLOCK, false},   {"br", EL_BR, true},           {"button", EL_DROP, false},
    {"canvas", EL_DROP, false},  {"caption", EL_BLOCK, false},  {"center", EL_BLOCK, true},
    {"dd", EL_BLOCK, true},      {"details", EL_BLOCK, false},  {"div", EL_BLOCK, true},
    {"dl", EL_BLOCK, true},      {"dt", EL_BLOCK, true},        {"em", EL_EM, false},
    {"embed", EL_DROP, false},   {"fieldset", EL_BLOCK, false}, {"figcaption", EL_BLOCK, true},
    {"figure", EL_BLOCK, true},  {"footer", EL_BLOCK, true},    {"form", EL_DROP, false},
    {"frameset", EL_DROP, false},{"h1", EL_BLOCK, true},        {"h2", EL_BLOCK, true},
    {"h3", EL_BLOCK, true},      {"h4", EL_BLOCK, true},        {"h5", EL_BLOCK, true},
    {"h6", EL_BLOCK, true},      {"header", EL_BLOCK, true},    {"hr", EL_BLOCK, true},
    {"i", EL_I, false},          {"iframe", EL_DROP, false},    {"legend", EL_BLOCK, false},
    {"li", EL_BLOCK, true},      {"link", EL_DROP, false},      {"main", EL_BLOCK, true},
    {"map", EL_DROP, false},     {"math", EL_DROP, false},      {"meta", EL_DROP, false},
    {"nav", EL_BLOCK, true},     {"noscript", EL_DROP, false},  {"object", EL_DROP, false},
    {"ol", EL_BLOCK, true},      {"p", EL_BLOCK, true},         {"pre", EL_PRE, true},
    {"script", EL_DROP, false},  {"section", EL_BLOCK, true},   {"select", EL_DROP, false},
    {"strong", EL_STRONG, false},{"style", EL_DROP, false},     {"summary", EL_BLOCK, false},
    {"svg", EL_DROP, false},     {"table", EL_BLOCK, true},     {"tbody", EL_BLOCK, false},
    {"td", EL_CELL, true},       {"template", EL_DROP, false},  {"textarea", EL_DROP, false},
    {"tfoot", EL_BLOCK, false},  {"th", EL_CELL, false},        {"thead", EL_BLOCK, false},
    {"title", EL_DROP, false},   {"tr", EL_BLOCK, true},        {"ul", EL_BLOCK, true},
    {"video", EL_DROP, false},
};
/* clang-format on */

/* Two names equal: the first letters rule out most pairs without a call. */
static inline bool name_eq(const char *a, const char *b)
{
    return a[0] == b[0] && !strcmp(a, b);
}

/* Binary search of a table sorted by name whose rows (`stride` bytes each)
 * begin with a `const char *name`; the row, or NULL. Inlined into each
 * lookup, so the stride is a constant there. */
static inline const void *name_search(const void *table, size_t n, size_t stride, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *row = (const char *)table + mid * stride;
        const char *key = *(const char *const *)row;
        /* the first letters decide most steps without a call */
        int c = (unsigned char)name[0] - (unsigned char)key[0];
        if (!c)
            c = strcmp(name, key);
        if (!c)
            return row;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const element_info *element_lookup(const char *name)
{
    _Static_assert(offsetof(element_info, name) == 0, "rows begin with the name");
    if (!name[0] || strnlen(name, 11) > 10) /* "blockquote", "figcaption" are the longest */
        return NULL;
    return name_search(elements, sizeof elements / sizeof elements[0], sizeof elements[0], name);
}

static element_class class_of(const char *name)
{
    const element_info *e = element_lookup(name);
    return e ? (element_class)e->cls : EL_OTHER;
}

static bool is_block_class(element_class c)
{
    return c == EL_BLOCK || c == EL_PRE;
}

typedef enum { IN_B, IN_STRONG, IN_I, IN_EM, IN_A } inline_type;
static const char *const inline_names[] = {"b", "strong", "i", "em", "a", NULL};

/* The local name, lower case as the HTML parser made it; a prefix that
 * survived ("xhtml:p") is dropped so XHTML cleans like HTML. */
static const char *local_name(const xmlNode *n)
{
    const char *name = (const char *)n->name;
    const char *colon = name ? strrchr(name, ':') : NULL;
    return colon ? colon + 1 : name ? name : "";
}

/* ------------------------------------------------------------ paragraphs */

typedef enum { K_P, K_H1, K_H2, K_H3, K_H4, K_H5, K_H6, K_UL, K_OL, K_QUOTE, K_PRE } para_kind;

static const char *const kind_tag[] = {"p",  "h1", "h2", "h3",         "h4", "h5",
                                       "h6", "li", "li", "blockquote", "pre"};

typedef struct open_inline {
    const void *node; /* the element that opened it (a tree node) */
    inline_type type;
    char *href;   /* IN_A only, owned */
    bool emitted; /* its start tag is in the current paragraph's html */
} open_inline;

typedef struct walker {
    nw_buf plain, html;   /* finished paragraphs */
    nw_buf pplain, phtml; /* the paragraph being built */
    size_t paragraphs;
    int open_list;      /* K_UL, K_OL or -1: the list element open in html */
    para_kind kind;     /* of the paragraph being built */
    bool pending_space; /* whitespace seen since the last word */
    bool pending_cell;  /* a new table cell began */
    int pending_br;     /* <br>s since the last word */
    int pre_depth;
    open_inline stack[INLINE_MAX];
    size_t depth;
    size_t links;                 /* IN_A entries on the stack */
    const struct tree_view *view; /* a mapped tree (nw_html_add_bodies_mapped), or NULL */
} walker;

/* Elements of a tree seen through a map, below some top elements that are
 * seen as they are (nw_html_add_bodies_mapped). */
typedef struct tree_view {
    const nw_html_map *map;
    const xmlNode *const *tops;
    size_t ntops;
} tree_view;

static bool is_top(const tree_view *v, const xmlNode *n)
{
    for (size_t i = 0; i < v->ntops; i++)
        if (v->tops[i] == n)
            return true;
    return false;
}

/* How the walk sees element n: its (mapped) local name in *name. */
static nw_html_map_kind element_view(const walker *w, const xmlNode *n, const char **name)
{
    *name = local_name(n);
    if (!w->view || is_top(w->view, n))
        return NW_HTML_MAP_ELEMENT;
    return w->view->map->map(n, name, w->view->map->ctx);
}

/* kind_of in a mapped tree: the same climb, mapped names, ending at a top
 * (above it the copy the map stands for has only a <div> and a document). */
static para_kind kind_of_view(const walker *w, const xmlNode *n)
{
    for (int i = 0; n && i < KIND_DEPTH; n = n->parent, i++) {
        const char *name;
        if (n->type != XML_ELEMENT_NODE || element_view(w, n, &name) != NW_HTML_MAP_ELEMENT)
            continue;
        if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
            return (para_kind)(K_H1 + (name[1] - '1'));
        if (name_eq(name, "blockquote"))
            return K_QUOTE;
        if (name_eq(name, "pre"))
            return K_PRE;
        if (name_eq(name, "li")) {
            for (int j = 0; n && j < KIND_DEPTH; n = n->parent, j++) {
                const char *up;
                if (n->type == XML_ELEMENT_NODE && element_view(w, n, &up) == NW_HTML_MAP_ELEMENT) {
                    if (name_eq(up, "ol"))
                        return K_OL;
                    if (name_eq(up, "ul"))
                        return K_UL;
                }
                if (is_top(w->view, n))
                    break;
            }
            return K_UL;
        }
        if (is_top(w->view, n))
            break;
    }
    return K_P;
}

/* Nearest enclosing element that gives the paragraph its kind. */
static para_kind kind_of(const xmlNode *n)
{
    for (int i = 0; n && i < KIND_DEPTH; n = n->parent, i++) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = local_name(n);
        if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
            return (para_kind)(K_H1 + (name[1] - '1'));
        if (name_eq(name, "blockquote"))
            return K_QUOTE;
        if (name_eq(name, "pre"))
            return K_PRE;
        if (name_eq(name, "li")) {
            for (int j = 0; n && j < KIND_DEPTH; n = n->parent, j++)
                if (n->type == XML_ELEMENT_NODE && name_eq(local_name(n), "ol"))
                    return K_OL;
                else if (n->type == XML_ELEMENT_NODE && name_eq(local_name(n), "ul"))
                    return K_UL;
            return K_UL;
        }
    }
    return K_P;
}

/* "<tag>" or "</tag>" (open is "<" or "</"). */
static void put_tag(nw_buf *b, const char *open, const char *tag)
{
    nw_buf_puts(b, open);
    nw_buf_puts(b, tag);
    nw_buf_putc(b, '>');
}

static void close_inlines(walker *w)
{
    for (size_t i = w->depth; i-- > 0;) {
        open_inline *o = &w->stack[i];
        if (o->emitted) {
            put_tag(&w->phtml, "</", inline_names[o->type]);
            o->emitted = false;
        }
    }
}

static void open_inlines(walker *w)
{
    for (size_t i = 0; i < w->depth; i++) {
        open_inline *o = &w->stack[i];
        if (o->emitted)
            continue;
        if (o->type == IN_A) {
            nw_buf_puts(&w->phtml, "<a href=\"");
            nw_buf_html_escape(&w->phtml, o->href, strlen(o->href));
            nw_buf_puts(&w->phtml, "\">");
        } else {
            put_tag(&w->phtml, "<", inline_names[o->type]);
        }
        o->emitted = true;
    }
}

static bool is_ws_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void trim_end(nw_buf *b)
{
    size_t n = b->len;
    while (n && is_ws_byte(b->data[n - 1]))
        n--;
    nw_buf_truncate(b, n);
}

static void close_list(walker *w)
{
    if (w->open_list >= 0) {
        nw_buf_printf(&w->html, "\n</%s>", w->open_list == K_OL ? "ol" : "ul");
        w->open_list = -1;
    }
}

/* End the paragraph being built: move it to the output if it has text. */
static void flush(walker *w)
{
    trim_end(&w->phtml);
    close_inlines(w);
    trim_end(&w->pplain);
    if (w->pplain.len) {
        if (w->paragraphs)
            nw_buf_puts(&w->plain, "\n\n");
        nw_buf_append(&w->plain, w->pplain.data, w->pplain.len);

        bool item = w->kind == K_UL || w->kind == K_OL;
        if (w->open_list >= 0 && (!item || (int)w->kind != w->open_list))
            close_list(w);
        if (w->html.len)
            nw_buf_putc(&w->html, '\n');
        if (item && w->open_list < 0) {
            nw_buf_printf(&w->html, "<%s>\n", w->kind == K_OL ? "ol" : "ul");
            w->open_list = (int)w->kind;
        }
        const char *tag = kind_tag[w->kind];
        put_tag(&w->html, "<", tag);
        nw_buf_append(&w->html, w->phtml.data, w->phtml.len);
        put_tag(&w->html, "</", tag);
        w->paragraphs++;
    }
    nw_buf_truncate(&w->pplain, 0);
    nw_buf_truncate(&w->phtml, 0);
    w->pending_space = w->pending_cell = false;
    w->pending_br = 0;
}

/* Everything that must precede a word: paragraph start, breaks, spaces,
 * cell separators and the lazily opened inline tags. */
static void before_word(walker *w, const void *where)
{
    if (w->pending_br >= 2 && w->pplain.len)
        flush(w);
    if (!w->pplain.len) {
        w->kind = w->pre_depth ? K_PRE : w->view ? kind_of_view(w, where) : kind_of(where);
        w->pending_space = w->pending_cell = false;
    } else if (w->pending_br == 1) {
        nw_buf_putc(&w->pplain, '\n');
        nw_buf_puts(&w->phtml, "<br>");
        w->pending_space = false;
    }
    w->pending_br = 0;
    if (w->pending_cell) {
        nw_buf_puts(&w->pplain, " | ");
        nw_buf_puts(&w->phtml, " | ");
    } else if (w->pending_space) {
        nw_buf_putc(&w->pplain, ' ');
        nw_buf_putc(&w->phtml, ' ');
    }
    w->pending_space = w->pending_cell = false;
    open_inlines(w);
}

static void put_text(walker *w, const char *s, size_t n)
{
    nw_buf_append(&w->pplain, s, n);
    nw_buf_html_escape(&w->phtml, s, n);
}

/* Length of the whitespace at s (ASCII, or a no-break space), 0 if none. */
static const unsigned char ws_table[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1};

/* Bytes where a word may end: NUL, whitespace_table's bytes and 0xC2. */
static const unsigned char word_stop[256] = {
    [0] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1, [0xC2] = 1};

static size_t space_at(const char *s)
{
    if (ws_table[(unsigned char)*s])
        return 1;
    if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    return 0;
}

static void add_text(walker *w, const char *s, const void *node)
{
    if (w->pre_depth) {
        /* preformatted: keep spaces and single line breaks, fold blank lines */
        const char *p = s;
        while (*p) {
            size_t run = strcspn(p, "\r\n");
            if (run) {
                if (strspn(p, " \t\f\v") == run) {
                    p += run; /* a line of spaces is an empty line */
                    continue;
                }
                before_word(w, node);
                put_text(w, p, run);
                p += run;
            }
            if (*p == '\r' || *p == '\n') {
                p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
                if (w->pplain.len && w->pplain.data[w->pplain.len - 1] != '\n') {
                    nw_buf_putc(&w->pplain, '\n');
                    nw_buf_putc(&w->phtml, '\n');
                }
            }
        }
        return;
    }
    /* Words, whitespace runs squeezed to one space. Only the first word of
     * a text node can start a paragraph, follow a <br> or a cell, or need
     * inline tags opened (before_word); after it, a run of words separated
     * by single spaces is appended in one go. */
    const char *p = s;
    size_t sp;
    while ((sp = space_at(p))) {
        p += sp;
        if (w->pplain.len)
            w->pending_space = true;
    }
    if (!*p)
        return;
    before_word(w, node);
    for (;;) {
        const char *run = p;
        for (;;) {
            /* to the next NUL, whitespace byte or 0xC2 (maybe a no-break
             * space): same stop as `*p && !space_at(p)`, in fewer tests */
            for (;;) {
                while (!word_stop[(unsigned char)*p])
                    p++;
                if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] != 0xA0) {
                    p++;
                    continue;
                }
                break;
            }
            if (p[0] == ' ' && p[1] && !space_at(p + 1)) {
                p++;
                continue;
            }
            break;
        }
        put_text(w, run, (size_t)(p - run));
        if (!*p)
            return;
        while ((sp = space_at(p))) /* p is at whitespace */
            p += sp;
        if (!*p) {
            w->pending_space = true;
            return;
        }
        nw_buf_putc(&w->pplain, ' ');
        nw_buf_putc(&w->phtml, ' ');
    }
}

/* ------------------------------------------------------------ links */

/* A copy of an href value when it is safe to keep (http, https, mailto),
 * else NULL (v may be NULL). */
static char *safe_href(const char *v)
{
    if (!v)
        return NULL;
    const char *s = v;
    while (is_ws_byte(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_ws_byte(s[n - 1]))
        n--;
    bool ok = n > 0 && n <= HREF_MAX &&
              (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8) ||
               !strncasecmp(s, "mailto:", 7));
    for (size_t i = 0; ok && i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            ok = false;
    return ok ? strndup(s, n) : NULL;
}

/* ------------------------------------------------------------ the walk */

/* Enter an element of class c, identified by id until leave_element.
 * href_of(href_arg) gives its raw href attribute (or NULL); it is asked for
 * links only. Returns true when its children should be visited. */
static bool enter_element(walker *w, element_class c, const void *id,
                          char *(*href_of)(const void *), const void *href_arg)
{
    switch (c) {
    case EL_DROP: return false;
    case EL_BR: w->pending_br++; return false;
    case EL_CELL:
        if (w->pplain.len)
            w->pending_cell = true;
        return true;
    case EL_BLOCK:
    case EL_PRE:
        flush(w);
        if (c == EL_PRE)
            w->pre_depth++;
        return true;
    case EL_B:
    case EL_STRONG:
    case EL_I:
    case EL_EM:
    case EL_A: {
        inline_type t = (inline_type)(c - EL_B);
        if (w->depth >= INLINE_MAX || (t == IN_A && w->links))
            return true; /* unwrapped */
        char *href = NULL;
        if (t == IN_A && !(href = href_of(href_arg)))
            return true; /* unsafe or missing href: keep the text only */
        w->stack[w->depth++] = (open_inline){id, t, href, false};
        if (t == IN_A)
            w->links++;
        return true;
    }
    default: return true;
    }
}

/* Leave an element entered with enter_element (its children visited, or
 * skipped when enter_element said so). */
static void leave_element(walker *w, element_class c, const void *id)
{
    if (c == EL_DROP)
        return;
    if (w->depth && w->stack[w->depth - 1].node == id) {
        open_inline *o = &w->stack[--w->depth];
        if (o->emitted)
            put_tag(&w->phtml, "</", inline_names[o->type]);
        if (o->type == IN_A)
            w->links--;
        free(o->href);
        return;
    }
    if (is_block_class(c)) {
        flush(w);
        if (c == EL_PRE && w->pre_depth > 0)
            w->pre_depth--;
    }
}

/* The safe href of a tree's <a>. */
static char *node_href(const void *a)
{
    xmlChar *v = xmlGetProp((const xmlNode *)a, (const xmlChar *)"href");
    char *copy = safe_href((const char *)v);
    xmlFree(v);
    return copy;
}

/* Enter a node of a tree. Returns true when its children should be visited. */
static bool enter(walker *w, const xmlNode *n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content) {
            char *fixed = repair_c1((const char *)n->content);
            add_text(w, fixed ? fixed : (const char *)n->content, n);
            free(fixed);
        }
        return false;
    }
    if (n->type != XML_ELEMENT_NODE)
        return false; /* comments, processing instructions, DTD */
    const char *name;
    switch (element_view(w, n, &name)) {
    case NW_HTML_MAP_DROP: return false;
    case NW_HTML_MAP_SPACE: add_text(w, " ", n); return false; /* n: its place in the tree */
    default: return enter_element(w, class_of(name), n, node_href, n);
    }
}

static void leave(walker *w, const xmlNode *n)
{
    const char *name;
    if (n->type == XML_ELEMENT_NODE && element_view(w, n, &name) == NW_HTML_MAP_ELEMENT)
        leave_element(w, class_of(name), n);
}

/* Visit the nodes below top (not top itself). */
static void walk_children(walker *w, xmlNode *top)
{
    xmlNode *n = top->children;
    while (n) {
        if (enter(w, n) && n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        for (;;) {
            if (n->type == XML_ELEMENT_NODE)
                leave(w, n);
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (!n || n == top) {
                n = NULL;
                break;
            }
        }
    }
}

static void walk(walker *w, xmlNode *top)
{
    walk_children(w, top);
    flush(w);
    close_list(w);
}

static void walker_free(walker *w)
{
    for (size_t i = 0; i < w->depth; i++)
        free(w->stack[i].href);
    w->depth = 0;
    nw_buf_free(&w->plain);
    nw_buf_free(&w->html);
    nw_buf_free(&w->pplain);
    nw_buf_free(&w->phtml);
}

/* ------------------------------------------------------------ prepare */

/* True when the tag counts as block markup (see element_info.marks). */
static bool marks_block(const char *name)
{
    const element_info *e = element_lookup(name);
    return e && e->marks;
}

/* True when s has a start or end tag of a block element. */
static bool has_block_markup(const char *s, size_t len)
{
    const char *end = s + len;
    for (const char *p = memchr(s, '<', len); p; p = memchr(p, '<', (size_t)(end - p))) {
        p++;
        if (p < end && *p == '/')
            p++;
        char name[16];
        size_t n = 0;
        while (p + n < end && n < sizeof name - 1 &&
               ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
                (p[n] >= '0' && p[n] <= '9') || p[n] == ':')) {
            name[n] = (char)(p[n] | 0x20);
            n++;
        }
        name[n] = '\0';
        if (!n || (p + n < end && !strchr(" \t\r\n/>", p[n])))
            continue;
        char *colon = strrchr(name, ':');
        if (marks_block(colon ? colon + 1 : name))
            return true;
    }
    return false;
}

/* Bytes that the HTML parser chokes on, or that are never text: C0 controls
 * other than TAB, LF, CR, FF, and DEL. */
static bool is_junk_byte(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F;
}

/* Copy s to out without junk bytes, CDATA sections turned into escaped text. */
static void copy_clean(nw_buf *out, const char *s, size_t len)
{
    /* the usual case, neither: one copy */
    bool plain = true;
    for (const char *q = memchr(s, '<', len); q && plain;
         q = memchr(q + 1, '<', (size_t)(s + len - q - 1)))
        plain = (size_t)(s + len - q) < 9 || memcmp(q, "<![CDATA[", 9);
    size_t i = 0;
    /* eight bytes at a time: any byte below 0x20 or equal to 0x7F? */
    for (; plain && i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
        uint64_t low = (x - ones * 0x20) & ~x & highs;
        uint64_t y = x ^ (ones * 0x7F);
        uint64_t del = (y - ones) & ~y & highs;
        if (low | del)
            for (size_t k = i; k < i + 8; k++)
                plain = plain && !is_junk_byte((unsigned char)s[k]);
    }
    for (; plain && i < len; i++)
        plain = !is_junk_byte((unsigned char)s[i]);
    if (plain) {
        nw_buf_append(out, s, len);
        return;
    }
    const char *end = s + len;
    const char *p = s;
    while (p < end) {
        const char *cdata = NULL;
        for (const char *q = memchr(p, '<', (size_t)(end - p)); q;
             q = memchr(q + 1, '<', (size_t)(end - q - 1))) {
            if ((size_t)(end - q) >= 9 && !memcmp(q, "<![CDATA[", 9)) {
                cdata = q;
                break;
            }
        }
        const char *stop = cdata ? cdata : end;
        const char *run = p;
        for (; p < stop; p++) {
            if (is_junk_byte((unsigned char)*p)) {
                nw_buf_append(out, run, (size_t)(p - run));
                run = p + 1;
            }
        }
        nw_buf_append(out, run, (size_t)(p - run));
        if (!cdata)
            break;
        const char *body = cdata + 9;
        const char *close = body;
        while (close + 2 < end && memcmp(close, "]]>", 3))
            close++;
        if (close + 2 >= end)
            close = end; /* unterminated: the rest is text */
        for (const char *c = body; c < close; c++)
            if (!is_junk_byte((unsigned char)*c))
                nw_buf_html_escape(out, c, 1);
        p = close < end ? close + 3 : end;
    }
}

/* Wrap blank-line-separated paragraphs in <p>, for fragments without block markup. */
static void wrap_paragraphs(nw_buf *out, const char *s, size_t len)
{
    const char *end = s + len;
    const char *p = s;
    while (p < end) {
        /* find the next blank line: "\n", optional spaces, "\n" */
        const char *q = p, *para_end = end, *next = end;
        while ((q = memchr(q, '\n', (size_t)(end - q)))) {
            const char *r = q + 1;
            while (r < end && (*r == ' ' || *r == '\t' || *r == '\r'))
                r++;
            if (r < end && *r == '\n') {
                para_end = q;
                next = r + 1;
                break;
            }
            q = r;
        }
        nw_buf_puts(out, "<p>");
        nw_buf_append(out, p, (size_t)(para_end - p));
        nw_buf_puts(out, "</p>\n");
        p = next;
    }
}

/* Step 1 of prepare: junk bytes dropped, CDATA turned into text, invalid
 * UTF-8 repaired. */
static int prepare_bytes(const char *html, size_t len, nw_buf *clean, nw_err *err)
{
    /* junk bytes are ASCII, never inside a UTF-8 sequence: drop them first,
     * so a NUL cannot cut the text short in the UTF-8 repair below */
    copy_clean(clean, html, len);
    if (clean->len && !nw_utf8_valid(clean->data, clean->len, NULL)) {
        size_t n;
        char *repaired = nw_utf8_repair(clean->data, clean->len, &n);
        nw_buf_free(clean);
        if (!repaired)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        nw_buf_puts(clean, repaired);
        free(repaired);
    }
    if (nw_buf_failed(clean)) {
        nw_buf_free(clean);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    return 0;
}

/* The fragment as the HTML parser will read it (see the top comment):
 * takes the output of prepare_bytes. */
static int prepare(nw_buf *clean, nw_buf *out, nw_err *err)
{
    if (!has_block_markup(nw_buf_str(clean), clean->len) &&
        memchr(nw_buf_str(clean), '\n', clean->len)) {
        wrap_paragraphs(out, nw_buf_str(clean), clean->len);
        nw_buf_free(clean);
    } else {
        *out = *clean;
        *clean = (nw_buf)NW_BUF_INIT;
    }
    if (nw_buf_failed(out)) {
        nw_buf_free(out);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    return 0;
}

/* True when the HTML parser would see plain text in s: no tag, no entity,
 * and nothing it drops or rewrites (a form feed and U+FFFE/U+FFFF are not
 * XML characters and vanish; a leading BOM is skipped). Such a fragment is
 * cleaned without parsing it (clean_plain), with the same result. */
static bool is_plain_text(const char *s, size_t len)
{
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<' || c == '&' || c == '\f')
            return false;
        if (c == 0xEF && i + 2 < len && (unsigned char)s[i + 1] == 0xBF &&
            ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ C1 repair */

/* windows-1252 characters for bytes 0x80..0x9F (0: undefined there). */
static const unsigned short cp1252_c1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* A Latin-1-range code point (U+0080..U+00FF) encoded at p, or -1. */
static int latin1_at(const unsigned char *p)
{
    if ((p[0] == 0xC2 || p[0] == 0xC3) && (p[1] & 0xC0) == 0x80)
        return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    return -1;
}

static bool has_c1(const char *s)
{
    for (const char *p = s; (p = strchr(p, '\xC2')); p++)
        if ((unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9F)
            return true;
    return false;
}

static void put_utf8(nw_buf *b, unsigned cp)
{
    char e[3];
    if (cp < 0x800) {
        e[0] = (char)(0xC0 | cp >> 6);
        e[1] = (char)(0x80 | (cp & 0x3F));
        nw_buf_append(b, e, 2);
    } else {
        e[0] = (char)(0xE0 | cp >> 12);
        e[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        e[2] = (char)(0x80 | (cp & 0x3F));
        nw_buf_append(b, e, 3);
    }
}

/* C1 control characters (U+0080..U+009F) are never text. Where they complete
 * a UTF-8 sequence that was decoded as Latin-1 ("â\u0080¦" for "…": double
 * encoded UTF-8) the sequence is repaired; elsewhere they are read as the
 * windows-1252 characters they stand for (U+0092 -> ’), as HTML5 does for
 * &#146;. Text without C1 characters is returned as is (NULL: unchanged). */
static char *repair_c1(const char *s)
{
    if (!has_c1(s))
        return NULL;
    nw_buf out = NW_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int lead = latin1_at(p);
        if (lead >= 0xC2 && lead <= 0xF4) {
            int need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
            unsigned char bytes[4] = {(unsigned char)lead};
            const unsigned char *q = p + 2;
            bool c1 = false;
            int i;
            for (i = 1; i <= need; i++, q += 2) {
                int c = latin1_at(q);
                if (c < 0x80 || c > 0xBF)
                    break;
                c1 |= c <= 0x9F;
                bytes[i] = (unsigned char)c;
            }
            if (i > need && c1 && nw_utf8_valid((const char *)bytes, (size_t)need + 1, NULL)) {
                nw_buf_append(&out, bytes, (size_t)need + 1);
                p = q;
                continue;
            }
        }
        int c = latin1_at(p);
        if (c >= 0x80 && c <= 0x9F) {
            unsigned cp = cp1252_c1[c - 0x80];
            if (cp)
                put_utf8(&out, cp);
            p += 2;
            continue;
        }
        nw_buf_putc(&out, (char)*p++);
    }
    return nw_buf_take(&out);
}

/* ------------------------------------------------------------ public */

static char *nfc_if_needed(const char *s, bool *oom)
{
    if (nw_utf8_nfc_stable(s, strlen(s)))
        return NULL;
    char *n = (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
    if (!n)
        *oom = true;
    return n;
}

/* Take the buffer as the final string, NFC-normalized. */
static char *finish(nw_buf *b, bool *oom)
{
    char *s = nw_buf_take(b);
    if (!s) {
        *oom = true;
        return NULL;
    }
    char *n = nfc_if_needed(s, oom);
    if (n) {
        free(s);
        return n;
    }
    if (*oom) {
        free(s);
        return NULL;
    }
    return s;
}

/* Turn a finished walk into the result (NFC, C1 repair); frees the walker. */
static int walker_result(walker *w, nw_html_result *out, nw_err *err)
{
    bool oom = nw_buf_failed(&w->plain) || nw_buf_failed(&w->html) || nw_buf_failed(&w->pplain) ||
               nw_buf_failed(&w->phtml);
    size_t paragraphs = w->paragraphs;
    char *plain = oom ? NULL : finish(&w->plain, &oom);
    char *clean = oom ? NULL : finish(&w->html, &oom);
    walker_free(w);
    if (oom) {
        free(plain);
        free(clean);
        return nw_err_set(err, NW_ENOMEM, "out of memory cleaning HTML");
    }
    out->plain = plain;
    out->html = clean;
    out->paragraphs = paragraphs;
    return 0;
}

/* nw_html_clean of plain text (is_plain_text): the walk the parsed tree
 * would get, without the parser. The tree would be one <p> per blank-line
 * separated paragraph (wrap_paragraphs) when the text has a newline, else
 * one <p> (the parser's implied paragraph) holding the text; text nodes
 * get repair_c1 like in enter(). Takes nothing from `clean`. */
static int clean_plain(const nw_buf *clean, nw_html_result *out, nw_err *err)
{
    walker w = {.open_list = -1};
    const char *s = clean->data, *end = s + clean->len;
    bool split = memchr(s, '\n', clean->len) != NULL;
    nw_buf para = NW_BUF_INIT;
    const char *p = s;
    while (p < end) {
        const char *para_end = end, *next = end;
        if (split) /* the paragraph ends at a blank line, as in wrap_paragraphs */
            for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q)));) {
                const char *r = q + 1;
                while (r < end && (*r == ' ' || *r == '\t' || *r == '\r'))
                    r++;
                if (r < end && *r == '\n') {
                    para_end = q;
                    next = r + 1;
                    break;
                }
                q = r;
            }
        nw_buf_truncate(&para, 0);
        nw_buf_append(&para, p, (size_t)(para_end - p));
        if (nw_buf_failed(&para))
            break;
        char *fixed = repair_c1(nw_buf_str(&para));
        add_text(&w, fixed ? fixed : nw_buf_str(&para), NULL);
        free(fixed);
        flush(&w);
        p = next;
    }
    flush(&w);
    close_list(&w);
    bool oom = nw_buf_failed(&para);
    nw_buf_free(&para);
    if (oom) {
        walker_free(&w);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    return walker_result(&w, out, err);
}

/* The tree builder's callbacks, each node it adds counted against the node
 * budget (nw_xml.h, NW_XML_MAX_NODES) in ctxt->_private. */
static void count_added(xmlParserCtxtPtr ctxt, xmlNodePtr parent, xmlNodePtr before)
{
    if (ctxt->node != parent) /* an element was opened */
        nw_xml_budget_add(ctxt->_private, ctxt, nw_xml_count_nodes(ctxt->node));
    else if (nw_xml_last_added(ctxt) != before)
        nw_xml_budget_add(ctxt->_private, ctxt, 1);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = nw_xml_last_added(ctxt);
    xmlSAX2StartElement(ctx, name, atts);
    count_added(ctxt, parent, before);
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = nw_xml_last_added(ctxt);
    xmlSAX2Characters(ctx, ch, len);
    count_added(ctxt, parent, before);
}

static void on_cdata(void *ctx, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = nw_xml_last_added(ctxt);
    xmlSAX2CDataBlock(ctx, ch, len);
    count_added(ctxt, parent, before);
}

static void on_comment(void *ctx, const xmlChar *value)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = nw_xml_last_added(ctxt);
    xmlSAX2Comment(ctx, value);
    count_added(ctxt, parent, before);
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = nw_xml_last_added(ctxt);
    xmlSAX2ProcessingInstruction(ctx, target, data);
    count_added(ctxt, parent, before);
}

/* Parse src with libxml2's HTML parser and walk the tree into w. */
static int parse_and_walk(const nw_buf *src, size_t len, walker *w, nw_err *err)
{
    nw_xml_init();
    long overfull = nw_xml_overfull_tag(src->data, src->len, true, NW_XML_MAX_ATTRIBUTES, 1);
    if (overfull)
        return nw_err_set(err, NW_ELIMIT,
                          "HTML fragment (%zu bytes): a start tag with over %d attributes at its "
                          "line %ld: " NW_XML_PAIRWISE,
                          len, NW_XML_MAX_ATTRIBUTES, overfull);
    int rc = 0;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (!ctxt)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    nw_xml_budget budget = {0};
    ctxt->_private = &budget;
    ctxt->sax->startElement = on_start;
    ctxt->sax->characters = on_characters;
    ctxt->sax->cdataBlock = on_cdata;
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_pi;
    htmlDocPtr doc =
        htmlCtxtReadMemory(ctxt, src->data, (int)src->len, NULL, "UTF-8",
                           HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                               HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC);
    if (budget.over) {
        rc = nw_err_set(err, NW_ELIMIT,
                        "HTML fragment (%zu bytes): over the limit of %d nodes (elements, "
                        "attributes, text, comments) at its line %ld: refused to bound memory",
                        len, NW_XML_MAX_NODES, budget.line);
    } else if (ctxt->instate == XML_PARSER_EOF) {
        /* the parser gave up part way (nesting deeper than libxml2's 256
         * levels): refuse rather than return a silently truncated body */
        const char *why = ctxt->lastError.message ? ctxt->lastError.message : "unknown error";
        size_t wl = strlen(why);
        while (wl && (why[wl - 1] == '\n' || why[wl - 1] == ' '))
            wl--;
        rc = nw_err_set(err, NW_ELIMIT, "HTML fragment (%zu bytes) not read to the end: %.*s", len,
                        (int)wl, why);
    } else if (doc) {
        walk(w, (xmlNode *)doc);
    }
    /* no document: nothing the parser could read, i.e. no text */
    xmlFreeDoc(doc);
    htmlFreeParserCtxt(ctxt);
    return rc;
}

int nw_html_clean_mode(const char *html, size_t len, nw_html_mode mode, nw_html_result *out,
                       nw_err *err)
{
    memset(out, 0, sizeof *out);
    if (!html && len)
        return nw_err_set(err, NW_EINVAL, "HTML fragment is NULL");
    if (len > NW_HTML_MAX_BYTES)
        return nw_err_set(err, NW_ELIMIT, "HTML fragment of %zu bytes exceeds the %u byte limit",
                          len, NW_HTML_MAX_BYTES);

    nw_buf clean = NW_BUF_INIT, src = NW_BUF_INIT;
    int rc = prepare_bytes(html ? html : "", len, &clean, err);
    if (rc)
        return rc;
    if (mode != NW_HTML_PARSER && clean.len && is_plain_text(clean.data, clean.len)) {
        rc = clean_plain(&clean, out, err);
        nw_buf_free(&clean);
        return rc;
    }
    rc = prepare(&clean, &src, err);
    if (rc)
        return rc;
    walker w = {.open_list = -1};
    if (src.len)
        rc = parse_and_walk(&src, len, &w, err);
    nw_buf_free(&src);
    if (rc) {
        walker_free(&w);
        return rc;
    }
    return walker_result(&w, out, err);
}

int nw_html_clean(const char *html, size_t len, nw_html_result *out, nw_err *err)
{
    return nw_html_clean_mode(html, len, NW_HTML_AUTO, out, err);
}

/* True when some element under parent starts a block (p, div, br, li...). */
/* The node after n in document order within root's subtree, entering n's
 * children when `descend`; NULL after the last. */
static const xmlNode *walk_next(const xmlNode *n, const xmlNode *root, bool descend)
{
    if (descend && n->children)
        return n->children;
    while (!n->next && n->parent && n->parent != root)
        n = n->parent;
    return n->next;
}

static bool has_block_element(const xmlNode *parent)
{
    for (const xmlNode *n = parent->children; n;) {
        bool element = n->type == XML_ELEMENT_NODE;
        if (element && marks_block(local_name(n)))
            return true;
        n = walk_next(n, parent, element);
    }
    return false;
}

int nw_html_clean_node(const xmlNode *parent, nw_html_result *out, nw_err *err)
{
    memset(out, 0, sizeof *out);
    if (!parent)
        return nw_err_set(err, NW_EINVAL, "no element to clean");
    if (!has_block_element(parent)) {
        /* text with at most inline markup: paragraphs come from its blank
         * lines, which only the markup path (prepare) knows how to split */
        char *markup = nw_xml_inner_markup(parent);
        if (!markup)
            return nw_err_set(err, NW_ENOMEM, "out of memory");
        int rc = nw_html_clean(markup, strlen(markup), out, err);
        free(markup);
        return rc;
    }
    walker w = {.open_list = -1};
    walk(&w, (xmlNode *)parent);
    return walker_result(&w, out, err);
}

void nw_html_result_free(nw_html_result *r)
{
    if (!r)
        return;
    free(r->plain);
    free(r->html);
    memset(r, 0, sizeof *r);
}

char *nw_html_to_text(const char *html, size_t len, nw_err *err)
{
    nw_html_result r;
    if (nw_html_clean(html, len, &r, err))
        return NULL;
    free(r.html);
    return r.plain;
}

/* Move r's two forms into story->bodies (r keeps what was not taken). */
static int add_result_bodies(nw_story *story, nw_html_result *r)
{
    if (nw_text_list_take(&story->bodies, r->plain, NULL, "text/plain"))
        return NW_ENOMEM;
    r->plain = NULL;
    if (nw_text_list_take(&story->bodies, r->html, NULL, "text/html"))
        return NW_ENOMEM;
    r->html = NULL;
    return 0;
}

int nw_html_add_bodies(nw_story *story, const char *html, size_t len, nw_err *err)
{
    if (!story)
        return nw_err_set(err, NW_EINVAL, "no story to add a body to");
    nw_html_result r;
    int rc = nw_html_clean(html, len, &r, err);
    if (rc)
        return rc;
    if (r.paragraphs && add_result_bodies(story, &r))
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    nw_html_result_free(&r);
    return rc;
}

int nw_html_add_bodies_node(nw_story *story, const xmlNode *parent, nw_err *err)
{
    if (!story)
        return nw_err_set(err, NW_EINVAL, "no story to add a body to");
    nw_html_result r;
    int rc = nw_html_clean_node(parent, &r, err);
    if (rc)
        return rc;
    if (r.paragraphs && add_result_bodies(story, &r))
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    nw_html_result_free(&r);
    return rc;
}

/* has_block_element over the tops and what is below them, as mapped. */
static bool has_block_view(const walker *w)
{
    const tree_view *v = w->view;
    for (size_t t = 0; t < v->ntops; t++) {
        if (marks_block(local_name(v->tops[t])))
            return true;
        const xmlNode *top = v->tops[t];
        for (const xmlNode *n = top->children; n;) {
            const char *name;
            bool element =
                n->type == XML_ELEMENT_NODE && element_view(w, n, &name) == NW_HTML_MAP_ELEMENT;
            if (element && marks_block(name))
                return true;
            n = walk_next(n, top, element);
        }
    }
    return false;
}

int nw_html_add_bodies_mapped(nw_story *story, const xmlNode *const *tops, size_t ntops,
                              const nw_html_map *map, nw_err *err)
{
    if (!story || !map || (ntops && !tops))
        return nw_err_set(err, NW_EINVAL, "nothing to add a body from");
    tree_view v = {map, tops, ntops};
    walker w = {.open_list = -1, .view = &v};
    if (!has_block_view(&w))
        return NW_HTML_NOT_SIMPLE; /* the markup path splits such text on blank lines */
    for (size_t t = 0; t < ntops; t++) {
        xmlNode *top = (xmlNode *)tops[t];
        if (enter(&w, top) && top->children)
            walk_children(&w, top);
        leave(&w, top);
    }
    flush(&w);
    close_list(&w);
    nw_html_result r;
    int rc = walker_result(&w, &r, err);
    if (rc)
        return rc;
    if (r.paragraphs && add_result_bodies(story, &r))
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    nw_html_result_free(&r);
    return rc;
}

char *nw_html_from_paragraphs(const char *plain)
{
    nw_buf out = NW_BUF_INIT;
    const char *p = plain ? plain : "";
    while (*p) {
        /* a paragraph ends at a line holding only whitespace */
        const char *end = p;
        for (;;) {
            const char *nl = strchr(end, '\n');
            if (!nl) {
                end = p + strlen(p);
                break;
            }
            const char *r = nl + 1;
            while (*r == ' ' || *r == '\t' || *r == '\r')
                r++;
            if (*r == '\n' || !*r) {
                end = nl;
                break;
            }
            end = r;
        }
        char *para = nw_text_squeeze(p, (size_t)(end - p));
        if (!para) {
            nw_buf_free(&out);
            return NULL;
        }
        if (para[0]) {
            if (out.len)
                nw_buf_putc(&out, '\n');
            nw_buf_puts(&out, "<p>");
            nw_buf_html_escape(&out, para, strlen(para));
            nw_buf_puts(&out, "</p>");
        }
        free(para);
        p = *end ? end + 1 : end;
    }
    return nw_buf_take(&out);
}
