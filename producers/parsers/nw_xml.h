/*
 * nw_xml — untrusted XML, read safely, and the small DOM helpers the XML
 * parsers share.
 *
 * nw_xml_read() decodes the bytes with nw_encoding first (so a wrong encoding
 * declaration cannot produce mojibake), drops prolog junk before the first '<'
 * (leading blank lines before <?xml), and hands UTF-8 to libxml2 with network
 * access off (XML_PARSE_NONET), no external DTD or entity loading (no
 * XML_PARSE_DTDLOAD / NOENT), libxml2's entity-amplification guard on (no
 * XML_PARSE_HUGE: billion-laughs fails fast, naming the line of the
 * reference), a depth limit and an input size limit. Entities: with a
 * DOCTYPE, the HTML/ISO entity sets news DTDs include (&eacute; &mdash;) are
 * known; every reference to an internal entity is replaced by its text in
 * the tree (bounded); a reference to an external or undefined entity fails
 * the document: text is never silently dropped (references are checked as
 * they are read, so the first bad one in the document is the one named).
 * Errors name the origin and line: "feed.xml:12: Opening and ending tag
 * mismatch: item and channel". nw_xml_read_stream reads the same way but
 * frees what its caller does not keep as it goes (large feeds: one item in
 * memory at a time).
 *
 * Helpers match elements by LOCAL name, ignoring namespaces, because real
 * feeds use no namespace, the default one, or odd prefixes (ns0:) for the
 * same vocabulary. Strings returned are malloc'd (caller frees) unless noted.
 *
 * Error messages: with an origin, "<origin>:<line>: <what>"; with origin NULL
 * (what a parser under nw_parse_buffer should pass, since nw_parse_buffer
 * prefixes the origin itself) "line <line>: <what>". CDATA sections become
 * ordinary text nodes (XML_PARSE_NOCDATA), so nw_xml_text of an RSS
 * <description><![CDATA[<p>..]]> is the HTML source.
 */
#ifndef NW_XML_H
#define NW_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "nw_err.h"

#define NW_XML_MAX_DEPTH 256
/* The node budget: the most nodes (elements, attributes and their text,
 * namespace declarations, text runs, comments, entity references, DTD
 * declarations) one parse's tree may hold at once. A document past it is
 * refused as soon as the count passes it ("doc.xml:123456: over the limit
 * of N XML nodes..."), so that the tree of an input within the 16 MiB size
 * limit stays near a hundred MB rather than several hundred (a node is
 * about 130 bytes; a one-line paragraph is two or three). Streaming counts
 * what is in memory: a feed's items are freed as they are read, so the
 * budget is per item there. Real news documents hold a few thousand nodes
 * (docs/operations.md, "Sizing", has the largest in the shared datasets). */
#define NW_XML_MAX_NODES 300000

typedef struct nw_xml_doc {
    xmlDocPtr doc;       /* owned */
    char charset[40];    /* charset the bytes were decoded from */
    bool declared_wrong; /* the declaration lied about the bytes */
    size_t repaired;     /* invalid UTF-8 bytes decoded as windows-1252 */
} nw_xml_doc;

/* Initialize libxml2 once per process (any thread; later calls return at
 * once). nw_xml_read calls it; so must any other first use of libxml2's
 * parsers (the HTML cleaner). */
void nw_xml_init(void);

/* Parse untrusted XML. max_bytes 0 = 16 MiB. On success fills *out (free with
 * nw_xml_doc_free). `override` is an HTTP charset or NULL. */
int nw_xml_read(const char *buf, size_t len, const char *origin, const char *override,
                size_t max_bytes, nw_xml_doc *out, nw_err *err);
void nw_xml_doc_free(nw_xml_doc *d);

/* Streaming: what happens to an element when it ends, asked when it starts
 * (its attributes read, its ancestors in the tree, not its content). */
typedef enum nw_xml_keep {
    NW_XML_SKIP,  /* freed when it ends; its children are asked in turn */
    NW_XML_SHELL, /* kept while open, its children asked in turn; `end` is called */
    NW_XML_WHOLE, /* its whole subtree is built; `end` gets it complete */
} nw_xml_keep;

typedef struct nw_xml_stream_ops {
    /* depth 0 is the root element */
    nw_xml_keep (*start)(void *ctx, xmlNodePtr node, int depth);
    /* A SHELL or WHOLE element ended; entity references in a WHOLE subtree
     * (and a SHELL's attributes) are replaced by their text already, and
     * node->parent and up are in the tree (with their attributes). Returns
     * 1 to keep the element in the tree, 0 to free it now, negative with
     * err set to stop the parse with that error. Not called once the
     * document is known to fail (depth, a bad entity; a fatal libxml2
     * error stops the parse). */
    int (*end)(void *ctx, xmlNodePtr node, int depth, nw_err *err);
    void *ctx;
} nw_xml_stream_ops;

/* nw_xml_read, with the tree pruned as it is read, so that memory is bounded
 * by what `ops` keeps (one item at a time, say) rather than the document:
 * every element not kept is freed as it ends, with the text, comments and
 * references before it. Security settings, limits, checks and error
 * messages are nw_xml_read's: the document must still be well formed to
 * its end, and its first error wins over what `end` returned before it
 * (but `end` has run: a caller handing results on must discard them on
 * failure). On success out->doc holds what was kept (the root at least).
 * ops NULL: nw_xml_read. */
int nw_xml_read_stream(const char *buf, size_t len, const char *origin, const char *override,
                       size_t max_bytes, const nw_xml_stream_ops *ops, nw_xml_doc *out,
                       nw_err *err);

struct nw_parse_opts;
/* The parse warning a document's decoding deserves (none, a declaration the
 * bytes contradict, invalid UTF-8 repaired), one wording for every XML
 * parser. */
void nw_xml_warn_decoding(const nw_xml_doc *d, const struct nw_parse_opts *opts);

/* Root element, or NULL. Borrowed. */
xmlNodePtr nw_xml_root(const nw_xml_doc *d);
/* True when node is an element with this local name. */
bool nw_xml_is(const xmlNode *node, const char *local_name);
/* First child element with this local name, or NULL. Borrowed. */
xmlNodePtr nw_xml_child(const xmlNode *node, const char *local_name);
/* Next sibling element (after `node`) with this local name, or NULL. Borrowed. */
xmlNodePtr nw_xml_next(const xmlNode *node, const char *local_name);
/* Descend by a '/'-separated path of local names ("head/docdata/doc-id"). Borrowed. */
xmlNodePtr nw_xml_path(const xmlNode *node, const char *path);
/* First descendant element (depth-first) with this local name. Borrowed. */
xmlNodePtr nw_xml_find(const xmlNode *node, const char *local_name);
/* Attribute value by local name (any namespace), or NULL. Malloc'd. */
char *nw_xml_attr(const xmlNode *node, const char *local_name);
/* Text content of node and its descendants (entity references to internal
 * entities expanded, unknown/external ones left out), whitespace squeezed,
 * C1 controls mapped as windows-1252 (&#146; -> U+2019), or NULL when empty.
 * Malloc'd. */
char *nw_xml_text(const xmlNode *node);
/* The children of node serialized as XML/XHTML markup (for inline bodies).
 * Malloc'd, "" when none. */
char *nw_xml_inner_markup(const xmlNode *node);
/* The most attributes one start tag may have. libxml2 (2.9) checks each
 * attribute of a tag against every one before it, before any callback of
 * ours can count them: 40,000 attributes in one tag took 12 s of CPU, and
 * 16 MiB of them would take hours. Real tags have a handful; a document
 * with a tag over the limit is refused before it is parsed. */
#define NW_XML_MAX_ATTRIBUTES 1000
/* The most attributes with a default value a document may declare in its
 * internal subset (<!ATTLIST p a CDATA "x">): libxml2 adds an element's
 * defaults to each of its tags with the same pairwise check. */
#define NW_XML_MAX_ATTRIBUTE_DEFAULTS 100
/* How messages about those two limits end. */
#define NW_XML_PAIRWISE "refused (the parser compares each attribute with every other)"
/* The line of the first start tag in s[0..len) with more than max
 * attributes, 0 when there is none; first_line is the line s starts on.
 * Read as libxml2's XML parser (html false) or HTML parser (true) reads
 * tags: comments, and in XML CDATA sections and processing instructions,
 * are skipped; quoted values may hold '>'; a start tag inside a declaration
 * (an entity's value) is counted too. For XML the count is never below
 * libxml2's (fuzz_budget checks it); for HTML it follows libxml2 2.9's
 * tokenizer as far as known (names of at most 100 characters, bogus
 * attributes dropped to a blank) and is a best effort. One pass, no
 * allocation. */
long nw_xml_overfull_tag(const char *s, size_t len, bool html, size_t max, long first_line);
/* A parse's count against NW_XML_MAX_NODES (zero-initialise). */
typedef struct nw_xml_budget {
    size_t nodes; /* in the tree now */
    bool over;    /* passed at `line`: the parse was stopped there */
    long line;
} nw_xml_budget;
/* n more nodes in ctxt's tree: past the budget, the parse is stopped
 * (xmlStopParser, once) and b->over set. For SAX wrappers around a tree
 * builder; nw_xml_read and the HTML cleaner use it. */
void nw_xml_budget_add(nw_xml_budget *b, xmlParserCtxtPtr ctxt, size_t n);
/* Nodes in node's subtree as the budget counts them (itself, its attributes
 * and their text, its namespace declarations, its descendants). */
size_t nw_xml_count_nodes(const xmlNode *node);
/* The node a libxml2 tree builder (XML or HTML) added last: the current
 * element's last child, or the document's. A SAX wrapper compares it before
 * and after the builder's callback to tell whether a node was added. */
xmlNodePtr nw_xml_last_added(xmlParserCtxtPtr ctxt);

/* 1-based source line of node (0 if unknown), for messages. */
long nw_xml_line(const xmlNode *node);

#endif
