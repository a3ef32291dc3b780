/*
 * nw_libxml — libxml2, loaded with dlopen() at its first use instead of being
 * linked: the producers' binaries do not pay at every process start for
 * libxml2 and what it pulls in (ICU, libstdc++, liblzma: ~120 page faults and
 * several ms), only when they meet their first XML document (or an HTML
 * fragment the parser must read, or a JSON Feed's URLs, which libxml2's URI
 * code resolves).
 *
 * How the calls are redirected: this header includes every libxml2 header
 * the parsers use (for the types, macros and declarations), declares a table
 * with one pointer per libxml2 function they call (typed from those
 * declarations: NW_DL_SYM checks each at compile time), and then maps every
 * one of those names to its pointer:
 *
 *     #define xmlFreeDoc (nw_libxml()->xmlFreeDoc)
 *
 * so the call sites keep libxml2's spelling and need no edit. Why this way
 * rather than writing the table at every call site: a call that is missed
 * cannot stay unnoticed. A libxml2 function used without a mapping here is an
 * undefined symbol when newswire and newswire-producer are linked (they do
 * not link libxml2); a mapping without a table entry does not compile; a
 * libxml2 header included after this one (its declarations would be mangled
 * by the mappings) does not compile either. nw_libxml() loads the library on
 * its first call, whoever calls first, so no call can reach a table that was
 * not filled yet.
 *
 * Rules for a .c file that calls libxml2: include "nw_libxml.h" (after, or
 * instead of, the libxml2 headers; not from a header, so that code that
 * links libxml2 itself, the tests, keeps the real functions), add the
 * function to NW_LIBXML_FUNCTIONS and to the mappings below, and call
 * nw_libxml_require() at the module's entry points, before any document
 * exists: that is where a missing library becomes an error value instead of
 * a call through a NULL pointer. Calls on a document or node need no check
 * (a document exists only when the library was loaded).
 *
 * Globals: libxml2's `xmlFree` is a variable holding a function pointer: the
 * table keeps its address (what dlsym returns for a variable) and the mapping
 * reads through it. xmlGenericError and friends are macros over functions
 * (__xmlGenericError() & co. return the calling thread's slot): those
 * functions are mapped.
 *
 * Loading: once per process (pthread_once; threads meeting their first XML
 * file together wait for the one load), soname NW_LIBXML_SONAME or the
 * NW_LIBXML_SONAME environment variable when set (tests use it to check the
 * missing-library path), xmlInitParser() right after. The library stays
 * loaded for the process's life. A failed load is final: every later
 * nw_libxml_require() gives the same error.
 */
#ifndef NW_LIBXML_H
#define NW_LIBXML_H

#include <libxml/HTMLparser.h>
#include <libxml/dict.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlsave.h>
#include <stdbool.h>

#include "nw_err.h"

#ifdef LIBXML_THREAD_ALLOC_ENABLED
#error "nw_libxml maps xmlFree as libxml2's global variable; this libxml2 makes it per-thread"
#endif

/* The library dlopen()ed (override: the NW_LIBXML_SONAME environment variable). */
#define NW_LIBXML_SONAME "libxml2.so.2"

/* Every libxml2 function (and the xmlFree variable) the parsers call. */
/* clang-format off */
#define NW_LIBXML_FUNCTIONS(X)                                                                     \
    /* parser set-up and errors (nw_xml.c) */                                                     \
    X(xmlInitParser) X(xmlNewParserCtxt) X(xmlFreeParserCtxt) X(xmlCtxtReadMemory)                 \
    X(xmlSetGenericErrorFunc) X(xmlSetStructuredErrorFunc) X(__xmlGenericError)                    \
    X(__xmlGenericErrorContext) X(__xmlStructuredError) X(__xmlStructuredErrorContext)             \
    /* documents and nodes */                                                                     \
    X(xmlFree) X(xmlStrdup) X(xmlFreeDoc) X(xmlDocGetRootElement) X(xmlGetLineNo)                  \
    X(xmlNodeGetContent) X(xmlNodeListGetString) X(xmlGetProp) X(xmlGetNsProp) X(xmlNodeGetLang)  \
    /* serializing (nw_xml_inner_markup) */                                                       \
    X(xmlBufferCreate) X(xmlBufferFree) X(xmlBufferContent) X(xmlSaveToBuffer) X(xmlSaveTree)      \
    X(xmlSaveClose)                                                                                \
    /* building and editing trees (NITF bodies) */                                                \
    X(xmlNewDoc) X(xmlNewDocNode) X(xmlNewDocText) X(xmlDocCopyNode) X(xmlDocSetRootElement)       \
    X(xmlAddChild) X(xmlReplaceNode) X(xmlUnlinkNode) X(xmlFreeNode) X(xmlNodeSetName)             \
    X(xmlSetNs) X(xmlDictReference)                                                                \
    /* URIs (feeds) */                                                                            \
    X(xmlParseURI) X(xmlFreeURI) X(xmlBuildURI)                                                    \
    /* the HTML parser and its tables (nw_html.c) */                                              \
    X(htmlNewParserCtxt) X(htmlFreeParserCtxt) X(htmlCtxtReadMemory) X(htmlTagLookup)             \
    X(htmlEntityLookup)
/* clang-format on */

/* One pointer per entry, named as libxml2 names it, with the type of its
 * address (xmlFree: xmlFreeFunc *, the address of the variable). */
#define NW_LIBXML_POINTER(name) __typeof__(&name) name;
typedef struct nw_libxml_api {
    NW_LIBXML_FUNCTIONS(NW_LIBXML_POINTER)
} nw_libxml_api;
#undef NW_LIBXML_POINTER

/* The table, loading the library first when this is the first call from any
 * thread. Never NULL; when the load failed every pointer in it is NULL (so
 * entry points check nw_libxml_require first). Borrowed, static. */
const nw_libxml_api *nw_libxml(void);

/* 0 when libxml2 is loaded (loading it on the first call); else NW_ENOTFOUND
 * with a message naming the soname and the loader's reason, the same on
 * every call. */
int nw_libxml_require(nw_err *err);

/* The mappings: libxml2's names become the table's pointers. Not in
 * nw_libxml.c, which needs the real names to fill the table. */
#ifndef NW_LIBXML_NO_MAPPING
#define xmlInitParser               (nw_libxml()->xmlInitParser)
#define xmlNewParserCtxt            (nw_libxml()->xmlNewParserCtxt)
#define xmlFreeParserCtxt           (nw_libxml()->xmlFreeParserCtxt)
#define xmlCtxtReadMemory           (nw_libxml()->xmlCtxtReadMemory)
#define xmlSetGenericErrorFunc      (nw_libxml()->xmlSetGenericErrorFunc)
#define xmlSetStructuredErrorFunc   (nw_libxml()->xmlSetStructuredErrorFunc)
#define __xmlGenericError           (nw_libxml()->__xmlGenericError)
#define __xmlGenericErrorContext    (nw_libxml()->__xmlGenericErrorContext)
#define __xmlStructuredError        (nw_libxml()->__xmlStructuredError)
#define __xmlStructuredErrorContext (nw_libxml()->__xmlStructuredErrorContext)
#define xmlFree                     (*nw_libxml()->xmlFree)
#define xmlStrdup                   (nw_libxml()->xmlStrdup)
#define xmlFreeDoc                  (nw_libxml()->xmlFreeDoc)
#define xmlDocGetRootElement        (nw_libxml()->xmlDocGetRootElement)
#define xmlGetLineNo                (nw_libxml()->xmlGetLineNo)
#define xmlNodeGetContent           (nw_libxml()->xmlNodeGetContent)
#define xmlNodeListGetString        (nw_libxml()->xmlNodeListGetString)
#define xmlGetProp                  (nw_libxml()->xmlGetProp)
#define xmlGetNsProp                (nw_libxml()->xmlGetNsProp)
#define xmlNodeGetLang              (nw_libxml()->xmlNodeGetLang)
#define xmlBufferCreate             (nw_libxml()->xmlBufferCreate)
#define xmlBufferFree               (nw_libxml()->xmlBufferFree)
#define xmlBufferContent            (nw_libxml()->xmlBufferContent)
#define xmlSaveToBuffer             (nw_libxml()->xmlSaveToBuffer)
#define xmlSaveTree                 (nw_libxml()->xmlSaveTree)
#define xmlSaveClose                (nw_libxml()->xmlSaveClose)
#define xmlNewDoc                   (nw_libxml()->xmlNewDoc)
#define xmlNewDocNode               (nw_libxml()->xmlNewDocNode)
#define xmlNewDocText               (nw_libxml()->xmlNewDocText)
#define xmlDocCopyNode              (nw_libxml()->xmlDocCopyNode)
#define xmlDocSetRootElement        (nw_libxml()->xmlDocSetRootElement)
#define xmlAddChild                 (nw_libxml()->xmlAddChild)
#define xmlReplaceNode              (nw_libxml()->xmlReplaceNode)
#define xmlUnlinkNode               (nw_libxml()->xmlUnlinkNode)
#define xmlFreeNode                 (nw_libxml()->xmlFreeNode)
#define xmlNodeSetName              (nw_libxml()->xmlNodeSetName)
#define xmlSetNs                    (nw_libxml()->xmlSetNs)
#define xmlDictReference            (nw_libxml()->xmlDictReference)
#define xmlParseURI                 (nw_libxml()->xmlParseURI)
#define xmlFreeURI                  (nw_libxml()->xmlFreeURI)
#define xmlBuildURI                 (nw_libxml()->xmlBuildURI)
#define htmlNewParserCtxt           (nw_libxml()->htmlNewParserCtxt)
#define htmlFreeParserCtxt          (nw_libxml()->htmlFreeParserCtxt)
#define htmlCtxtReadMemory          (nw_libxml()->htmlCtxtReadMemory)
#define htmlTagLookup               (nw_libxml()->htmlTagLookup)
#define htmlEntityLookup            (nw_libxml()->htmlEntityLookup)
#endif

#endif
