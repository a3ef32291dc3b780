/*
 * nw_xml — untrusted XML through libxml2, safely, and local-name DOM helpers.
 * See nw_xml.h for the contract.
 *
 * Safety: the bytes are decoded by nw_encoding and libxml2 only ever sees
 * UTF-8 (XML_PARSE_IGNORE_ENC and a rewritten declaration, so it cannot
 * re-decode); XML_PARSE_NONET; no NOENT / DTDLOAD / DTDVALID, so external
 * entities and DTDs are never opened, and every external resource request
 * that might still be made is refused by a per-parse entity resolver; no
 * HUGE, so libxml2's entity-amplification and depth guards stay on. Errors
 * go to a per-context structured handler (never to stderr); the first one
 * is kept with its line. xmlInitParser() runs once (pthread_once), after
 * which parses in different threads are independent.
 *
 * The tree is libxml2's own SAX2 builder's; thin wrappers around its
 * element and reference callbacks check each entity reference as it is
 * read, apply the depth limit, keep the real line of elements past line
 * 65535 (psvi), and, when streaming, free what the caller does not keep as
 * each element ends (never a node the parser still refers to: only
 * elements that ended and the nodes before them).
 */
#include "nw_xml.h"

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nw_buf.h"
#include "nw_encoding.h"
#include "nw_parser.h"
#include "nw_text.h"

#define NW_XML_DEFAULT_MAX ((size_t)16 << 20)
/* Text that entity references may add to a document, beyond its own size
 * (libxml2's amplification guard refuses a billion laughs before this). */
#define NW_XML_MAX_EXPANSION ((size_t)1 << 20)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlInitParser();
}

void nw_xml_init(void)
{
    pthread_once(&init_once, init_libxml);
}

/* ------------------------------------------------------------- errors --- */

typedef struct err_state {
    int have; /* an error (level >= XML_ERR_ERROR) was captured */
    int code; /* libxml2's error code */
    int line;
    bool line_pending; /* raised inside an entity: line from `main` */
    const void *main;  /* the document's parser context */
    char msg[NW_ERR_MSG_MAX];
} err_state;

/* Structured handler: keep the first error, drop warnings. Never prints.
 * data is the err_state. */
static void on_xml_error(void *data, xmlErrorPtr e)
{
    err_state *st = data;
    if (!st || !e || st->have || e->level < XML_ERR_ERROR)
        return;
    st->have = 1;
    st->code = e->code;
    st->line = e->line;
    const char *m = e->message ? e->message : "malformed XML";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    if (n >= sizeof st->msg)
        n = sizeof st->msg - 1;
    memcpy(st->msg, m, n);
    st->msg[n] = '\0';
}

/* The same for errors raised through the parser context, whose data is the
 * context (SAX2 callbacks need ctxt->userData == ctxt): state in _private. */
static void on_ctxt_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = data;
    err_state *st = ctxt ? ctxt->_private : NULL;
    bool first = st && !st->have;
    on_xml_error(st, e);
    if (!st || !e || e->level < XML_ERR_ERROR)
        return;
    /* libxml2 parses an entity's text in a context of its own, which counts
     * lines from the entity's start (a billion laughs said "line 1"): the
     * line is taken from the document's context, which reports the error
     * again as it unwinds */
    if (ctxt != st->main) {
        if (first)
            st->line_pending = true;
    } else if (st->line_pending) {
        st->line = e->line;
        st->line_pending = false;
    }
}

/* An entity the document uses but does not declare. With a DOCTYPE, the
 * HTML 4 / ISO entity sets a news DTD (NITF, NewsML) includes are known
 * (&eacute; &mdash; &nbsp;...): the external DTD itself is never read, so
 * without this their text was silently dropped. Each one met is declared
 * in the document's internal subset as an internal entity. Without a
 * DOCTYPE an undeclared entity stays an error, as XML wants. */
static xmlEntityPtr get_entity(void *data, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = data;
    xmlEntityPtr ent = xmlSAX2GetEntity(ctxt, name);
    if (ent || !ctxt->myDoc || !ctxt->myDoc->intSubset || ctxt->inSubset)
        return ent;
    const htmlEntityDesc *h = htmlEntityLookup(name);
    if (!h)
        return NULL;
    char utf8[8];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)h->value, (utf8proc_uint8_t *)utf8);
    utf8[n > 0 ? n : 0] = '\0';
    return xmlAddDocEntity(ctxt->myDoc, name, XML_INTERNAL_GENERAL_ENTITY, NULL, NULL,
                           (const xmlChar *)utf8);
}

/* Handler for the unstructured channel: silence. */
static void on_generic_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Every external resource (DTD, entity, XInclude) is refused. */
static xmlParserInputPtr deny_entity(void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
    (void)ctx;
    (void)public_id;
    (void)system_id;
    return NULL;
}

/* A message for the user from libxml2's: some of its texts mislead. */
static const char *explain(const err_state *st)
{
    switch (st->code) {
    case XML_ERR_ENTITY_LOOP:
        return "entity expansion too large or recursive (refused: possible \"billion laughs\")";
    default: break;
    }
    if (strstr(st->msg, "Excessive depth") || strstr(st->msg, "XML_PARSE_HUGE"))
        return NULL; /* rewritten by the caller with the limit */
    return st->msg;
}

/* ------------------------------------------------------------ prolog --- */

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The UTF-8 text libxml2 gets, in two parts so that the document itself is
 * never copied (a 16 MiB feed is read from the decoded view): `head`, junk
 * before the first '<' dropped and an XML declaration rewritten to
 * `<?xml version="1.0"?>` (its encoding no longer applies), with the
 * newlines of both kept after it so line numbers in messages still match
 * the input; then the body, text[*body_at..len). Returns head (malloc'd),
 * NULL when out of memory. */
static char *prepare(const char *text, size_t len, size_t *head_len, size_t *body_at)
{
    const char *lt = memchr(text, '<', len);
    size_t start = lt ? (size_t)(lt - text) : len;
    size_t newlines = 0;
    for (size_t i = 0; i < start; i++)
        newlines += text[i] == '\n';
    const char *p = text + start;
    size_t rest = len - start;

    nw_buf b = NW_BUF_INIT;
    nw_buf_reserve(&b, newlines + 32);
    if (rest >= 6 && !memcmp(p, "<?xml", 5) && is_xml_space(p[5])) {
        const char *end = NULL;
        for (size_t i = 5; i + 1 < rest; i++) {
            if (p[i] == '?' && p[i + 1] == '>') {
                end = p + i + 2;
                break;
            }
        }
        if (end) {
            for (const char *q = p; q < end; q++)
                newlines += *q == '\n';
            nw_buf_puts(&b, "<?xml version=\"1.0\"?>");
            rest -= (size_t)(end - p);
            p = end;
        }
    }
    for (size_t i = 0; i < newlines; i++)
        nw_buf_putc(&b, '\n');
    *head_len = b.len;
    *body_at = (size_t)(p - text);
    return nw_buf_take(&b);
}

/* libxml2 reads the document through this (xmlCtxtReadIO) in chunks, from
 * head then body, rather than copying it whole first. */
typedef struct xml_source {
    const char *part[2];
    size_t left[2];
} xml_source;

static int source_read(void *ctx, char *buf, int len)
{
    xml_source *s = ctx;
    int got = 0;
    for (int i = 0; i < 2 && got < len; i++) {
        size_t n = s->left[i] < (size_t)(len - got) ? s->left[i] : (size_t)(len - got);
        memcpy(buf + got, s->part[i], n);
        s->part[i] += n;
        s->left[i] -= n;
        got += (int)n;
    }
    return got;
}

static int source_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* ------------------------------------------------------ parse state --- */

/* Marks a node the streaming reader keeps (nw_xml_stream_ops.end said so):
 * the unkept siblings before it are freed, it is not. */
static char keep_mark;

/* Element modes on the stack of open elements (nw_xml_keep, and inside a
 * WHOLE subtree). */
enum { MODE_SKIP = NW_XML_SKIP, MODE_SHELL = NW_XML_SHELL, MODE_WHOLE = NW_XML_WHOLE, MODE_INSIDE };

/* One parse: ctxt->_private (the error state first, for on_ctxt_error). The
 * first problem of each kind is kept, in document order; which one the
 * caller sees is decided at the end (a libxml2 error first, as in a parse
 * that stops there, then depth, then entities). */
typedef struct parse_state {
    err_state err;
    const nw_xml_stream_ops *ops; /* NULL: the whole tree is kept */
    const char *where;            /* starts messages: "<origin>:" or "line " */
    size_t budget;                /* entity text still allowed */
    int depth;                    /* open elements */
    int whole_depth;              /* depth of the WHOLE element being built, -1 none */
    unsigned char mode[NW_XML_MAX_DEPTH + 8];
    long deep_line; /* first element nested deeper than NW_XML_MAX_DEPTH */
    bool deep;
    bool entity_bad; /* entity_err holds the first bad reference */
    nw_err entity_err;
    bool stopped; /* ops->end failed: end_err */
    nw_err end_err;
    nw_xml_budget nodes;
    int defaults; /* attribute defaults declared (NW_XML_MAX_ATTRIBUTE_DEFAULTS) */
    /* the caller's handlers, back in place while ops->end runs */
    xmlStructuredErrorFunc old_serror;
    void *old_sctx;
    xmlGenericErrorFunc old_generic;
    void *old_gctx;
} parse_state;

/* ---------------------------------------------------------- entities --- */

/* A reference's problem, if any, kept as the parse's first entity problem:
 * every reference to an internal entity is replaced by its text in the
 * tree (parsers read text nodes, and an unexpanded reference's text was
 * silently lost); a reference to an entity the document does not define
 * (it would be in the external DTD, which is never loaded) or to an external
 * entity fails the document: text is never dropped. ps->budget bounds the
 * text added. Called for each reference as it is read (document order). */
static void check_ref(parse_state *ps, xmlNodePtr ref)
{
    if (ps->entity_bad)
        return;
    xmlEntityPtr ent = ref->children && ref->children->type == XML_ENTITY_DECL
                           ? (xmlEntityPtr)ref->children
                           : NULL;
    long line = nw_xml_line(ref->parent ? ref->parent : ref);
    if (!ent || (ent->etype != XML_INTERNAL_GENERAL_ENTITY &&
                 ent->etype != XML_INTERNAL_PREDEFINED_ENTITY)) {
        ps->entity_bad = true;
        nw_err_set(&ps->entity_err, NW_EINVAL,
                   "%s%ld: entity '&%s;' %s: refused rather than dropping its text", ps->where,
                   line, (const char *)ref->name,
                   ent ? "is external, and external entities are never read"
                       : "is not declared in the document nor an HTML/ISO entity (the "
                         "external DTD is never read)");
        return;
    }
    xmlChar *text = xmlNodeGetContent(ref);
    size_t len = text ? strlen((const char *)text) : 0;
    xmlFree(text);
    if (len > ps->budget) {
        ps->entity_bad = true;
        nw_err_set(&ps->entity_err, NW_ELIMIT,
                   "%s%ld: entity expansion too large (refused: possible \"billion laughs\")",
                   ps->where, line);
        return;
    }
    ps->budget -= len;
}

/* Check the references among the siblings from `first` on. */
static void check_refs(parse_state *ps, xmlNodePtr first)
{
    for (xmlNodePtr n = first; n; n = n->next)
        if (n->type == XML_ENTITY_REF_NODE)
            check_ref(ps, n);
}

/* Replace the (checked) references among the siblings from `first` on by
 * their text. */
static int replace_refs(xmlNodePtr first)
{
    for (xmlNodePtr n = first, next; n; n = next) {
        next = n->next;
        if (n->type != XML_ENTITY_REF_NODE)
            continue;
        xmlChar *text = xmlNodeGetContent(n);
        xmlNodePtr t = xmlNewDocText(n->doc, text ? text : BAD_CAST "");
        xmlFree(text);
        if (!t)
            return NW_ENOMEM;
        xmlReplaceNode(n, t);
        xmlFreeNode(n);
    }
    return 0;
}

/* The node after n in document order within root's subtree, entering an
 * element's children (never an entity reference's: they are the entity's);
 * NULL after the last. For iterative walks (no recursion on hostile
 * input). */
static xmlNodePtr next_in(const xmlNode *n, const xmlNode *root)
{
    if (n->type == XML_ELEMENT_NODE && n->children)
        return n->children;
    while (n != root && !n->next)
        n = n->parent;
    return n == root ? NULL : n->next;
}

/* Replace every reference in root's subtree, attributes included. */
static int replace_all_refs(xmlNodePtr root)
{
    for (xmlNodePtr n = root; n; n = next_in(n, root)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttrPtr a = n->properties; a; a = a->next)
            if (replace_refs(a->children) < 0)
                return NW_ENOMEM;
        if (replace_refs(n->children) < 0)
            return NW_ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------ node budget --- */

size_t nw_xml_count_nodes(const xmlNode *node)
{
    size_t n = 0;
    for (const xmlNode *c = node; c; c = next_in(c, node)) {
        n++;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (const xmlAttr *a = c->properties; a; a = a->next) {
            n++;
            for (const xmlNode *t = a->children; t; t = t->next)
                n++;
        }
        for (const xmlNs *ns = c->nsDef; ns; ns = ns->next)
            n++;
    }
    return n;
}

xmlNodePtr nw_xml_last_added(xmlParserCtxtPtr ctxt)
{
    if (ctxt->node)
        return ctxt->node->last;
    return ctxt->myDoc ? ctxt->myDoc->last : NULL;
}

void nw_xml_budget_add(nw_xml_budget *b, xmlParserCtxtPtr ctxt, size_t n)
{
    b->nodes += n;
    if (b->nodes <= NW_XML_MAX_NODES || b->over)
        return;
    b->over = true;
    b->line = ctxt->input ? ctxt->input->line : 0;
    xmlStopParser(ctxt);
}

static void add_nodes(parse_state *ps, xmlParserCtxtPtr ctxt, size_t n)
{
    nw_xml_budget_add(&ps->nodes, ctxt, n);
}

/* ------------------------------------------------ attributes per tag --- */

/* The blanks both libxml2 parsers skip in tags (IS_BLANK_CH). */
static bool is_tag_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Advance *i past the first `end` at or after it (to len when none),
 * counting the newlines passed. */
static void skip_past(const char *s, size_t len, size_t *i, const char *end, long *line)
{
    size_t n = strlen(end);
    for (; *i < len; (*i)++) {
        if (s[*i] == '\n')
            (*line)++;
        else if (s[*i] == end[0] && len - *i >= n && !memcmp(s + *i, end, n)) {
            *i += n;
            return;
        }
    }
}

static bool is_ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* libxml2's HTML parser reads a name (element or attribute) as at most 100
 * of these, the first not a digit or '-': a longer run is several names. */
static bool is_html_name_char(char c, bool first)
{
    return is_ascii_letter(c) || c == '_' || c == ':' || c == '.' ||
           (!first && ((c >= '0' && c <= '9') || c == '-'));
}

/* Where a name starting at k ends: HTML as above (k itself when none
 * starts there), XML at a blank, '>' or '='. */
static size_t name_end(const char *s, size_t len, size_t k, bool html)
{
    size_t start = k;
    if (html) {
        while (k < len && k - start < 100 && is_html_name_char(s[k], k == start))
            k++;
        return k;
    }
    while (k < len && !is_tag_space(s[k]) && s[k] != '>' && s[k] != '=')
        k++;
    return k;
}

static bool tag_ends_at(const char *s, size_t len, size_t k)
{
    return k >= len || s[k] == '>' || (s[k] == '/' && k + 1 < len && s[k + 1] == '>');
}

/* The attributes of the start tag at s[*i] ('<' then a name), read the way
 * libxml2 reads them: names (see name_end), each optionally followed by
 * '=' and a value, quoted (to its closing quote, '>' and newlines
 * included) or not (to a blank or '>'), up to '>' or "/>"; in HTML what is
 * not a name is skipped to the next blank. *i is left at the tag's end. */
static size_t tag_attributes(const char *s, size_t len, size_t *i, long *line, bool html)
{
    size_t n = 0;
    size_t k = name_end(s, len, *i + 1, html);
    for (;;) {
        while (k < len && is_tag_space(s[k]))
            *line += s[k++] == '\n';
        if (tag_ends_at(s, len, k))
            break;
        size_t end = name_end(s, len, k, html);
        if (end == k) { /* HTML: a bogus attribute, dropped to the next blank */
            while (k < len && !is_tag_space(s[k]) && !tag_ends_at(s, len, k))
                k++;
            continue;
        }
        n++;
        k = end;
        while (k < len && is_tag_space(s[k]))
            *line += s[k++] == '\n';
        if (k >= len || s[k] != '=')
            continue;
        for (k++; k < len && is_tag_space(s[k]); k++)
            *line += s[k] == '\n';
        if (k < len && (s[k] == '"' || s[k] == '\'')) {
            char q = s[k];
            for (k++; k < len && s[k] != q; k++)
                *line += s[k] == '\n';
            k++;
        } else {
            while (k < len && !is_tag_space(s[k]) && s[k] != '>')
                k++;
        }
    }
    *i = k;
    return n;
}

long nw_xml_overfull_tag(const char *s, size_t len, bool html, size_t max, long first_line)
{
    long line = first_line;
    size_t i = 0;
    while (i < len) {
        if (s[i] != '<') {
            line += s[i++] == '\n';
            continue;
        }
        if (len - i >= 4 && !memcmp(s + i, "<!--", 4)) {
            i += 4;
            skip_past(s, len, &i, "-->", &line);
        } else if (!html && len - i >= 9 && !memcmp(s + i, "<![CDATA[", 9)) {
            i += 9;
            skip_past(s, len, &i, "]]>", &line);
        } else if (!html && i + 1 < len && s[i + 1] == '?') {
            i += 2;
            skip_past(s, len, &i, "?>", &line);
        } else if (i + 1 >= len || s[i + 1] == '!' || s[i + 1] == '/' || is_tag_space(s[i + 1]) ||
                   (html && !is_ascii_letter(s[i + 1]))) {
            /* a declaration, an end tag, or (HTML) text: read on as
             * content, so that a start tag in an entity's value is counted
             * too */
            i++;
        } else {
            long at = line;
            if (tag_attributes(s, len, &i, &line, html) > max)
                return at;
        }
    }
    return 0;
}

/* ---------------------------------------------------- SAX callbacks --- */
/* libxml2's own tree builder (xmlSAX2*) does the work; these add, for the
 * document's own context (not the one an entity's text is parsed in): the
 * real line of elements past line 65535 (libxml2 keeps 65535 and guesses
 * from neighbours, which streaming frees), the depth limit, the check of
 * each entity reference as it is read, and streaming's pruning. */

static parse_state *state_of(xmlParserCtxtPtr ctxt)
{
    parse_state *ps = ctxt ? ctxt->_private : NULL;
    return ps && ps->err.main == ctxt ? ps : NULL;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    parse_state *ps = state_of(ctxt);
    if (!ps)
        return;
    int d = ps->depth++;
    xmlNodePtr n = ctxt->node != parent ? ctxt->node : NULL;
    int mode = MODE_SKIP;
    if (n) {
        if (n->line == USHRT_MAX && ctxt->input)
            n->psvi = (void *)(ptrdiff_t)ctxt->input->line;
        add_nodes(ps, ctxt, nw_xml_count_nodes(n));
        if (d + 1 > NW_XML_MAX_DEPTH && !ps->deep) {
            ps->deep = true;
            ps->deep_line = nw_xml_line(n);
        }
        for (xmlAttrPtr a = n->properties; a; a = a->next)
            check_refs(ps, a->children);
        /* what naming "UTF-8" would have recorded (see nw_xml_read_stream):
         * a streamed subtree may be serialized before the parse ends */
        if (d == 0 && ps->ops && ctxt->myDoc && !ctxt->myDoc->encoding)
            ctxt->myDoc->encoding = xmlStrdup(BAD_CAST "UTF-8");
        if (ps->ops && ps->whole_depth >= 0) {
            mode = MODE_INSIDE;
        } else if (ps->ops) {
            mode = (int)ps->ops->start(ps->ops->ctx, n, d);
            if (mode == MODE_WHOLE)
                ps->whole_depth = d;
            for (xmlAttrPtr a = n->properties; mode == MODE_SHELL && !ps->entity_bad && a;
                 a = a->next) {
                if (replace_refs(a->children) < 0) {
                    nw_err_set(&ps->end_err, NW_ENOMEM, "out of memory");
                    ps->stopped = true;
                    xmlStopParser(ctxt);
                    break;
                }
            }
        }
    }
    if (d < (int)sizeof ps->mode)
        ps->mode[d] = (unsigned char)mode;
}

/* Free node (its nodes leave the budget's count) */
static void free_counted(parse_state *ps, xmlNodePtr node)
{
    size_t n = nw_xml_count_nodes(node);
    ps->nodes.nodes = n < ps->nodes.nodes ? ps->nodes.nodes - n : 0;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* Free node and the siblings before it up to the last kept one. */
static void prune(parse_state *ps, xmlNodePtr node, bool keep)
{
    xmlNodePtr prev = node->prev;
    if (keep)
        node->_private = &keep_mark;
    else
        free_counted(ps, node);
    while (prev && prev->_private != &keep_mark) {
        xmlNodePtr p = prev->prev;
        free_counted(ps, prev);
        prev = p;
    }
}

/* ops->end with the caller's error handlers in place (a parser it runs, such
 * as the HTML cleaner's, must not report into this parse). */
static int call_end(parse_state *ps, xmlNodePtr node, int depth)
{
    xmlSetStructuredErrorFunc(ps->old_sctx, ps->old_serror);
    xmlSetGenericErrorFunc(ps->old_gctx, ps->old_generic);
    int rc = ps->ops->end(ps->ops->ctx, node, depth, &ps->end_err);
    xmlSetStructuredErrorFunc(&ps->err, on_xml_error);
    xmlSetGenericErrorFunc(NULL, on_generic_error);
    return rc;
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr node = ctxt->node;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
    parse_state *ps = state_of(ctxt);
    if (!ps || ps->depth == 0)
        return;
    int d = --ps->depth;
    if (!ps->ops || !node || d >= (int)sizeof ps->mode || ps->mode[d] == MODE_INSIDE || ps->stopped)
        return;
    int mode = ps->mode[d], keep = 0;
    if (mode == MODE_WHOLE)
        ps->whole_depth = -1;
    /* a document that fails anyway gets no more calls (after a fatal
     * libxml2 error there are none: the parser stops; a namespace error is
     * not fatal) */
    bool failing = ps->deep || ps->entity_bad;
    if (mode != MODE_SKIP && !failing) {
        if (mode == MODE_WHOLE && replace_all_refs(node) < 0) {
            keep = nw_err_set(&ps->end_err, NW_ENOMEM, "out of memory");
        } else {
            keep = call_end(ps, node, d);
        }
        if (keep < 0) {
            ps->stopped = true;
            xmlStopParser(ctxt);
            return;
        }
    }
    if (d > 0)
        prune(ps, node, keep > 0);
}

static void on_reference(void *ctx, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlNodePtr parent = ctxt->node, before = parent ? parent->last : NULL;
    xmlSAX2Reference(ctx, name);
    parse_state *ps = state_of(ctxt);
    if (!ps || !parent || parent->last == before)
        return;
    add_nodes(ps, ctxt, 1);
    if (parent->last->type == XML_ENTITY_REF_NODE)
        check_ref(ps, parent->last);
}

/* Text, comments, processing instructions: counted when the builder added
 * a node (text is appended to the text node before it when there is one). */
static void count_added(xmlParserCtxtPtr ctxt, xmlNodePtr before)
{
    parse_state *ps = state_of(ctxt);
    if (ps && nw_xml_last_added(ctxt) != before)
        add_nodes(ps, ctxt, 1);
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    xmlNodePtr before = nw_xml_last_added(ctx);
    xmlSAX2Characters(ctx, ch, len);
    count_added(ctx, before);
}

static void on_comment(void *ctx, const xmlChar *value)
{
    xmlNodePtr before = nw_xml_last_added(ctx);
    xmlSAX2Comment(ctx, value);
    count_added(ctx, before);
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    xmlNodePtr before = nw_xml_last_added(ctx);
    xmlSAX2ProcessingInstruction(ctx, target, data);
    count_added(ctx, before);
}

/* Declarations in the internal subset (entities, elements, attributes,
 * notations): each counted as a node (never freed before the document). */
static void count_declaration(void *ctx)
{
    parse_state *ps = state_of(ctx);
    if (ps)
        add_nodes(ps, ctx, 1);
}

/* The line the parser is at, for messages. */
static int line_now(xmlParserCtxtPtr ctxt)
{
    return ctxt->input ? ctxt->input->line : 0;
}

/* Stop the parse with the error already in ps->end_err. */
static void stop_parse(parse_state *ps, xmlParserCtxtPtr ctxt)
{
    ps->stopped = true;
    xmlStopParser(ctxt);
}

/* An entity's replacement text (character references replaced: "&#60;p"
 * is a tag there) is parsed as markup where the entity is used: its tags
 * are held to the attribute limit too. */
static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
    count_declaration(ctx);
    parse_state *ps = state_of(ctx);
    const char *text = (const char *)content;
    if (!ps || ps->stopped || !text ||
        !nw_xml_overfull_tag(text, strlen(text), false, NW_XML_MAX_ATTRIBUTES, 1))
        return;
    nw_err_set(&ps->end_err, NW_ELIMIT,
               "%s%d: an entity's text holds a start tag with over %d attributes: " NW_XML_PAIRWISE,
               ps->where, line_now(ctx), NW_XML_MAX_ATTRIBUTES);
    stop_parse(ps, ctx);
}

static void on_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr content)
{
    xmlSAX2ElementDecl(ctx, name, type, content);
    count_declaration(ctx);
}

/* An attribute declared with a default value: libxml2 adds every default
 * of an element to each of its start tags, checking each against all the
 * attributes there (then drops them: no XML_PARSE_DTDATTR), so defaults
 * are bounded like attributes. */
static void on_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *fullname, int type,
                              int def, const xmlChar *default_value, xmlEnumerationPtr tree)
{
    xmlSAX2AttributeDecl(ctx, elem, fullname, type, def, default_value, tree);
    count_declaration(ctx);
    parse_state *ps = state_of(ctx);
    if (!ps || ps->stopped || !default_value || def == XML_ATTRIBUTE_IMPLIED ||
        def == XML_ATTRIBUTE_REQUIRED || ++ps->defaults <= NW_XML_MAX_ATTRIBUTE_DEFAULTS)
        return;
    nw_err_set(&ps->end_err, NW_ELIMIT,
               "%s%d: over %d attribute defaults declared (<!ATTLIST>): " NW_XML_PAIRWISE,
               ps->where, line_now(ctx), NW_XML_MAX_ATTRIBUTE_DEFAULTS);
    stop_parse(ps, ctx);
}

static void on_notation_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                             const xmlChar *system_id)
{
    xmlSAX2NotationDecl(ctx, name, public_id, system_id);
    count_declaration(ctx);
}

/* -------------------------------------------------------------- read --- */

int nw_xml_read(const char *buf, size_t len, const char *origin, const char *override,
                size_t max_bytes, nw_xml_doc *out, nw_err *err)
{
    return nw_xml_read_stream(buf, len, origin, override, max_bytes, NULL, out, err);
}

static int depth_error(const parse_state *ps, long line, nw_err *err)
{
    return nw_err_set(err, NW_ELIMIT, "%s%ld: elements nested deeper than %d", ps->where, line,
                      NW_XML_MAX_DEPTH);
}

/* The error a finished parse ends with, in the order a whole-tree reader
 * meets them; 0 when none. */
static int parse_outcome(parse_state *ps, xmlDocPtr doc, nw_err *err)
{
    const char *where = ps->where;
    const err_state *st = &ps->err;
    if (ps->stopped)
        return nw_err_set(err, ps->end_err.code ? ps->end_err.code : NW_EINVAL, "%s",
                          ps->end_err.msg);
    /* the parse stopped there (what came before it is all there is), so
     * only a problem met before counts */
    if (ps->nodes.over && !ps->deep && !ps->entity_bad)
        return nw_err_set(err, NW_ELIMIT,
                          "%s%ld: over the limit of %d XML nodes (elements, attributes, text, "
                          "comments) in one document%s: refused to bound memory",
                          where, ps->nodes.line, NW_XML_MAX_NODES,
                          ps->ops ? " or one streamed item" : "");
    if (ps->nodes.over && !ps->deep)
        return nw_err_set(err, ps->entity_err.code, "%s", ps->entity_err.msg);
    if (ps->nodes.over)
        return depth_error(ps, ps->deep_line, err);
    if (!doc) {
        if (!st->have)
            return nw_err_set(err, NW_EINVAL, "%s%d: malformed XML", where, st->line);
        const char *m = explain(st);
        if (!m)
            return depth_error(ps, st->line, err);
        return nw_err_set(err, st->code == XML_ERR_ENTITY_LOOP ? NW_ELIMIT : NW_EINVAL, "%s%d: %s",
                          where, st->line, m);
    }
    if (!xmlDocGetRootElement(doc))
        return nw_err_set(err, NW_EINVAL, "%s%d: no root element", where, st->line);
    if (ps->deep)
        return depth_error(ps, ps->deep_line, err);
    if (ps->entity_bad)
        return nw_err_set(err, ps->entity_err.code, "%s", ps->entity_err.msg);
    return 0;
}

int nw_xml_read_stream(const char *buf, size_t len, const char *origin, const char *override,
                       size_t max_bytes, const nw_xml_stream_ops *ops, nw_xml_doc *out, nw_err *err)
{
    memset(out, 0, sizeof *out);
    if (max_bytes == 0)
        max_bytes = NW_XML_DEFAULT_MAX;
    if (!buf)
        len = 0;
    if (len > max_bytes)
        return nw_err_set(err, NW_ELIMIT, "input is %zu bytes, over the limit of %zu bytes", len,
                          max_bytes);
    nw_xml_init();

    char declared[40];
    bool has_decl = nw_encoding_sniff_xml(buf, len, declared, sizeof declared);
    nw_decoded dec;
    /* text already in UTF-8 NFC is not copied here: prepare() makes the one copy */
    int rc = nw_encoding_decode_view(buf ? buf : "", len, override, has_decl ? declared : NULL,
                                     &dec, err);
    if (rc < 0)
        return rc;

    size_t head_len = 0, body_at = 0;
    char *text = prepare(dec.text, dec.len, &head_len, &body_at);
    snprintf(out->charset, sizeof out->charset, "%s", dec.charset);
    out->declared_wrong = dec.declared_wrong;
    out->repaired = dec.repaired;
    const char *body = dec.text + body_at;
    size_t body_len = dec.len - body_at, text_len = head_len + body_len;
    if (!text) {
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    if (body_len == 0) {
        free(text);
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_EINVAL, "not XML: no element found");
    }
    if (text_len > INT32_MAX) {
        free(text);
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_ELIMIT, "input is too large for the XML parser");
    }
    const char *sep = origin ? ":" : " ";
    char where[NW_ERR_MSG_MAX / 2];
    snprintf(where, sizeof where, "%s%s", origin ? origin : "line", sep);
    long body_line = 1; /* head keeps the input's newlines before the body */
    for (size_t i = 0; i < head_len; i++)
        body_line += text[i] == '\n';
    long overfull = nw_xml_overfull_tag(body, body_len, false, NW_XML_MAX_ATTRIBUTES, body_line);
    if (overfull) {
        free(text);
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_ELIMIT,
                          "%s%ld: a start tag with over %d attributes: " NW_XML_PAIRWISE, where,
                          overfull, NW_XML_MAX_ATTRIBUTES);
    }

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        free(text);
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    parse_state *ps = calloc(1, sizeof *ps);
    if (!ps) {
        xmlFreeParserCtxt(ctxt);
        free(text);
        nw_decoded_free(&dec);
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    }
    ps->ops = ops;
    ps->where = where;
    ps->budget = NW_XML_MAX_EXPANSION + len;
    ps->whole_depth = -1;
    ctxt->_private = ps;
    ps->err.main = ctxt;
    ctxt->sax->serror = on_ctxt_error;
    ctxt->sax->resolveEntity = deny_entity;
    ctxt->sax->externalSubset = NULL; /* never load an external DTD */
    ctxt->sax->getEntity = get_entity;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->endElementNs = on_end;
    ctxt->sax->reference = on_reference;
    ctxt->sax->characters = on_characters;
    ctxt->sax->ignorableWhitespace = on_characters; /* xmlSAX2Characters too: blanks kept */
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_pi;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->elementDecl = on_element_decl;
    ctxt->sax->attributeDecl = on_attribute_decl;
    ctxt->sax->notationDecl = on_notation_decl;

    /* errors raised without a context go to this thread's global handlers:
     * route them to us for the duration of the parse, then restore */
    ps->old_serror = xmlStructuredError;
    ps->old_sctx = xmlStructuredErrorContext;
    ps->old_generic = xmlGenericError;
    ps->old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(&ps->err, on_xml_error);
    xmlSetGenericErrorFunc(NULL, on_generic_error);

    /* No encoding argument: the text is UTF-8 with a declaration that names
     * none, which libxml2 then reads in place (naming "UTF-8" makes it copy
     * every byte through its UTF-8 to UTF-8 converter). Its sniffing of the
     * first four bytes can only see "<?xm" (UTF-8) or a newline here, except
     * for a NUL right after the '<' ("<\0?\0" reads as UTF-16): then say it. */
    int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES |
                  XML_PARSE_COMPACT;
    const char *enc =
        (head_len > 1 && text[1] == '\0') || (head_len == 0 && body_len > 1 && body[1] == '\0')
            ? "UTF-8"
            : NULL;
    xml_source src = {{text, body}, {head_len, body_len}};
    xmlDocPtr doc = xmlCtxtReadIO(ctxt, source_read, source_close, &src, NULL, enc, options);

    xmlSetStructuredErrorFunc(ps->old_sctx, ps->old_serror);
    xmlSetGenericErrorFunc(ps->old_gctx, ps->old_generic);
    xmlFreeParserCtxt(ctxt);
    free(text);
    nw_decoded_free(&dec);

    rc = parse_outcome(ps, doc, err);
    free(ps);
    /* references in what streaming kept are replaced already */
    if (rc == 0 && !ops && replace_all_refs(xmlDocGetRootElement(doc)) < 0)
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    /* what naming "UTF-8" would have recorded: the serializer escapes
     * non-ASCII attribute text as character references without it */
    if (rc == 0 && !doc->encoding && !(doc->encoding = xmlStrdup(BAD_CAST "UTF-8")))
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
    if (rc < 0) {
        if (doc)
            xmlFreeDoc(doc);
        return rc;
    }
    out->doc = doc;
    return 0;
}

void nw_xml_warn_decoding(const nw_xml_doc *d, const nw_parse_opts *opts)
{
    if (d->declared_wrong)
        nw_parse_warn(opts, "the encoding declaration does not match the bytes; read as %s",
                      d->charset);
    if (d->repaired && !strcmp(d->charset, "utf-8"))
        nw_parse_warn(opts,
                      "invalid UTF-8: %zu byte(s) decoded as windows-1252 (a guess; check "
                      "those characters)",
                      d->repaired);
    else if (d->repaired)
        nw_parse_warn(opts, "%zu undecodable byte(s) in %s input replaced by U+FFFD", d->repaired,
                      d->charset);
}

void nw_xml_doc_free(nw_xml_doc *d)
{
    if (!d)
        return;
    if (d->doc)
        xmlFreeDoc(d->doc);
    d->doc = NULL;
}

/* ----------------------------------------------------------- helpers --- */

xmlNodePtr nw_xml_root(const nw_xml_doc *d)
{
    return d && d->doc ? xmlDocGetRootElement(d->doc) : NULL;
}

/* The local part of a name: after the prefix of an undeclared "ns0:x". */
static const char *local_of(const xmlChar *name)
{
    const char *s = (const char *)name;
    const char *colon = s ? strrchr(s, ':') : NULL;
    return colon ? colon + 1 : s;
}

bool nw_xml_is(const xmlNode *node, const char *local_name)
{
    if (!node || node->type != XML_ELEMENT_NODE || !node->name || !local_name)
        return false;
    const char *name = (const char *)node->name;
    if (name[0] == local_name[0] && !strcmp(name, local_name))
        return !strchr(name, ':'); /* else its local part is shorter */
    const char *colon = strrchr(name, ':');
    return colon && !strcmp(colon + 1, local_name);
}

xmlNodePtr nw_xml_child(const xmlNode *node, const char *local_name)
{
    if (!node)
        return NULL;
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (nw_xml_is(c, local_name))
            return c;
    return NULL;
}

xmlNodePtr nw_xml_next(const xmlNode *node, const char *local_name)
{
    if (!node)
        return NULL;
    for (xmlNodePtr c = node->next; c; c = c->next)
        if (nw_xml_is(c, local_name))
            return c;
    return NULL;
}

xmlNodePtr nw_xml_path(const xmlNode *node, const char *path)
{
    if (!node || !path)
        return NULL;
    xmlNodePtr cur = (xmlNodePtr)node;
    char part[128];
    while (*path && cur) {
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);
        if (n >= sizeof part)
            return NULL;
        if (n > 0) {
            memcpy(part, path, n);
            part[n] = '\0';
            cur = nw_xml_child(cur, part);
        }
        path += n + (slash ? 1 : 0);
    }
    return cur;
}

xmlNodePtr nw_xml_find(const xmlNode *node, const char *local_name)
{
    if (!node)
        return NULL;
    const xmlNode *n = node->children;
    while (n) {
        if (nw_xml_is(n, local_name))
            return (xmlNodePtr)n;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && !n->next) {
            n = n->parent;
            if (n == node)
                return NULL;
        }
        n = n ? n->next : NULL;
    }
    return NULL;
}

static char *xml_strdup_free(xmlChar *s)
{
    if (!s)
        return NULL;
    char *out = strdup((const char *)s);
    xmlFree(s);
    return out;
}

char *nw_xml_attr(const xmlNode *node, const char *local_name)
{
    if (!node || node->type != XML_ELEMENT_NODE || !local_name)
        return NULL;
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        if (!a->name || strcmp(local_of(a->name), local_name))
            continue;
        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
        if (!v)
            return strdup("");
        return xml_strdup_free(v);
    }
    return NULL;
}

char *nw_xml_text(const xmlNode *node)
{
    if (!node)
        return NULL;
    /* libxml2's own string is read in place (no strdup copy) and xmlFree'd */
    xmlChar *raw = xmlNodeGetContent(node);
    if (!raw)
        return NULL;
    const char *text = (const char *)raw;
    size_t len = strlen(text);
    char *sq;
    if (!memchr(text, 0xC2, len)) {
        /* no C1 control can be there (each starts with 0xC2): nothing to fix */
        sq = nw_text_squeeze(text, len);
    } else {
        /* &#146; and friends: windows-1252 code points written as references */
        size_t fixed_len = 0;
        char *fixed = nw_utf8_fix_c1(text, len, &fixed_len);
        if (!fixed) {
            xmlFree(raw);
            return NULL;
        }
        sq = nw_text_squeeze(fixed, fixed_len);
        free(fixed);
    }
    xmlFree(raw);
    if (sq && !*sq) {
        free(sq);
        return NULL;
    }
    return sq;
}

char *nw_xml_inner_markup(const xmlNode *node)
{
    if (!node)
        return NULL;
    xmlBufferPtr xb = xmlBufferCreate();
    if (!xb)
        return NULL;
    xmlSaveCtxtPtr sc = xmlSaveToBuffer(xb, "UTF-8", XML_SAVE_NO_DECL);
    if (!sc) {
        xmlBufferFree(xb);
        return NULL;
    }
    for (xmlNodePtr c = node->children; c; c = c->next)
        xmlSaveTree(sc, c);
    xmlSaveClose(sc);
    const xmlChar *content = xmlBufferContent(xb);
    char *out = strdup(content ? (const char *)content : "");
    xmlBufferFree(xb);
    return out;
}

long nw_xml_line(const xmlNode *node)
{
    if (!node)
        return 0;
    /* past line 65535 an element's own line is kept in psvi (on_start) */
    if (node->type == XML_ELEMENT_NODE && node->line == USHRT_MAX && node->psvi)
        return (long)(ptrdiff_t)node->psvi;
    long l = xmlGetLineNo(node);
    return l > 0 ? l : 0;
}
