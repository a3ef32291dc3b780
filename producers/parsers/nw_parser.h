/*
 * nw_parser — the one interface every wire-format parser implements, and the
 * registry that picks one: bytes + an origin name in, nw_story values or a
 * precise error out. A parser never reads files, never logs, never exits.
 *
 * nw_parse_buffer() owns input hygiene so parsers see clean text only: size
 * limit, empty and binary input refused, a UTF-8 BOM stripped, invalid UTF-8
 * repaired (stray bytes decoded as windows-1252/Latin-1, with a warning: the
 * repair is a best guess, not a guarantee of the right characters), CRLF and
 * lone CR turned into LF; UTF-16/32 text is decoded first. Parsers flagged
 * NW_PARSER_RAW_BYTES (the XML formats) get the original bytes instead and
 * decode themselves. The registry is one static table in nw_parser.c;
 * adding a format is one line there plus its nw_parse_<format>.c file.
 */
#ifndef NW_PARSER_H
#define NW_PARSER_H

#include <stddef.h>

#include "nw_err.h"
#include "nw_jsonschema.h"
#include "nw_story.h"

/* Default input size limit: larger inputs are refused with NW_ELIMIT. */
#define NW_PARSE_MAX_INPUT ((size_t)16 << 20)
/* Default nw_parse_opts.stream_above. */
#define NW_PARSE_STREAM_ABOVE ((size_t)1 << 20)

/* Takes a story as soon as a parser made it (ownership moves in every case);
 * 0, or negative with err to stop the parse. */
typedef int (*nw_story_sink_fn)(void *ctx, nw_story *story, nw_err *err);

/* Called for every non-fatal problem (a repaired encoding, a skipped
 * category...). `msg` starts with the origin when one is known
 * ("feed.txt: invalid UTF-8 ..."); it is borrowed for the call only. */
typedef void (*nw_parse_warn_fn)(void *ctx, const char *msg);

typedef struct nw_parse_opts {
    const char *origin;           /* names the input in messages (a path, "<stdin>"); may be NULL */
    const char *timezone;         /* zone of times written without one; NULL = "UTC".
                                   * Fixed offsets or IANA names (see nw_time.h) */
    const char *default_category; /* category for stories whose input names none; may be NULL */
    size_t max_input_bytes;       /* 0 = NW_PARSE_MAX_INPUT */
    nw_parse_warn_fn warn;        /* NULL = nw_log_warn(mod "parser") */
    void *warn_ctx;               /* passed to warn */
    /* Streaming: when set, each story goes to sink(sink_ctx, ...) as soon as
     * it is parsed and `out` stays empty. If the parse then fails, the
     * caller discards what its sink got (a file is still all or nothing). */
    nw_story_sink_fn sink;
    void *sink_ctx;
    /* XML feeds (rss, atom) larger than this many bytes are read streaming,
     * one item at a time in memory (nw_parse_feed.c, "large feeds"), the
     * same stories either way; 0 = NW_PARSE_STREAM_ABOVE. Tests set 1. */
    size_t stream_above;
} nw_parse_opts;
/* Every field borrowed for the duration of the call; an all-zero struct (or a
 * NULL opts pointer) means the defaults. */

/* The stories one input produced. The list owns its stories. Zero-initialise
 * it ({0}) before first use. With a sink, stories are handed to it as they
 * are added instead of being kept (a large input is never held whole:
 * see nw_parse_opts.sink); `handed` counts them. */
typedef struct nw_story_list {
    nw_story **items;
    size_t len, cap;
    nw_story_sink_fn sink; /* NULL = keep them in items */
    void *sink_ctx;
    size_t handed;
} nw_story_list;

/* Append a story (or hand it to the list's sink); the list takes ownership
 * of `story` in every case (on allocation failure the story is freed and
 * NW_ENOMEM returned). */
int nw_story_list_add(nw_story_list *list, nw_story *story);
/* Stories added so far: kept plus handed to the sink. */
size_t nw_story_list_count(const nw_story_list *list);
/* Free every story and the array; the list is left empty and reusable. */
void nw_story_list_free(nw_story_list *list);

/* nw_parser.flags: the parser wants the ORIGINAL bytes. nw_parse_buffer then
 * only applies the size limit and the empty check (no BOM stripping, UTF-8
 * repair, binary refusal or newline folding) and parse() gets buf exactly as
 * given (still NUL-terminated at buf[len], but NULs may occur inside, e.g.
 * UTF-16). The parser decodes itself (nw_xml_read / nw_encoding_decode).
 * XML formats set this so that the encoding declaration is honoured. */
#define NW_PARSER_RAW_BYTES 1u

/* A wire format. Both callbacks are pure functions of their arguments. */
typedef struct nw_parser {
    const char *name;        /* "webcopy", "headline-text", ... as given to --format */
    const char *description; /* one line for --help */
    /* Confidence 0..100 that buf (clean UTF-8, LF line ends) is this format;
     * 0 = certainly not. Must be cheap: look at the first few KiB only.
     * In auto-detection every parser, raw or not, gets a UTF-8 "sniff view"
     * of at most the first ~8 KiB: for input with a BOM, UTF-16/32 or invalid
     * UTF-8 the decoded text (nw_encoding_decode), else the bytes as they
     * are, newlines folded to LF. It may end in the middle of a line. */
    int (*detect)(const char *buf, size_t len);
    /* Parse the input and append stories to `out`. Without
     * NW_PARSER_RAW_BYTES buf is clean text (see nw_parse_buffer; buf[len] is
     * NUL and there is no NUL inside); with it, the original bytes.
     * On failure return negative with err set (message without the origin,
     * nw_parse_buffer adds it); `out` may then hold partial stories, which the
     * caller discards. `opts` is never NULL here and has its defaults filled. */
    int (*parse)(const char *buf, size_t len, const nw_parse_opts *opts, nw_story_list *out,
                 nw_err *err);
    unsigned flags; /* NW_PARSER_RAW_BYTES or 0 */
} nw_parser;

/* Built-in formats, each defined in its nw_parse_<file>.c and listed in the
 * registry table in nw_parser.c. */
extern const nw_parser nw_parser_rss;              /* nw_parse_feed.c */
extern const nw_parser nw_parser_atom;             /* nw_parse_feed.c */
extern const nw_parser nw_parser_jsonfeed;         /* nw_parse_feed.c */
extern const nw_parser nw_parser_reuters_sgml;     /* nw_parse_reuters.c */
extern const nw_parser nw_parser_iptc7901;         /* nw_parse_iptc7901.c */
extern const nw_parser nw_parser_ninjs;            /* nw_parse_ninjs.c */
extern const nw_parser nw_parser_dpa_digitalwires; /* nw_parse_ninjs.c */
extern const nw_parser nw_parser_ap_media_json;    /* nw_parse_ninjs.c */
extern const nw_parser nw_parser_nitf;             /* nw_parse_nitf.c */
extern const nw_parser nw_parser_newsml12;         /* nw_parse_newsml12.c */
extern const nw_parser nw_parser_newsmlg2;         /* nw_parse_newsmlg2.c */
extern const nw_parser nw_parser_webcopy;          /* nw_parse_plaintext.c */
extern const nw_parser nw_parser_headline_text;    /* nw_parse_plaintext.c */

/* The parser registered under `name`, or NULL. Borrowed, static. */
const nw_parser *nw_parser_find(const char *name);
/* The parser with the highest detect() confidence above 0, or NULL. Earlier
 * table entries win ties. buf should be clean text as parse() sees it. */
const nw_parser *nw_parser_detect(const char *buf, size_t len);
/* Registered parsers, in table order: returns the count, *out the array. */
size_t nw_parser_all(const nw_parser *const **out);

/* Parse one input. `format` is "auto" (or NULL) to detect, else a parser name.
 * Applies the hygiene described at the top, then the parser. Stories are
 * appended to `out` only on success: on failure `out` is left as it was.
 * Errors (message prefixed "<origin>: " when opts->origin is set):
 *   NW_ELIMIT "input is N bytes, over the limit of M bytes"
 *   NW_EINVAL "empty file", "empty file (whitespace only)",
 *             "binary data, not text (offset N)", "unknown format 'x' (known: ...)",
 *             "unrecognised format (known: ...)", or the parser's own message. */
int nw_parse_buffer(const char *format, const char *buf, size_t len, const nw_parse_opts *opts,
                    nw_story_list *out, nw_err *err);

/* Report a non-fatal problem through opts->warn (or the log), prefixed with
 * "<origin>: " when opts->origin is set. For parsers and nw_parse_buffer. */
void nw_parse_warn(const nw_parse_opts *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first case-insensitive (ASCII, as strncasecmp) occurrence of needle
 * in s[0..n), or NULL. For detectors and parsers: a byte compare first, so a
 * sniff of a few kilobytes costs a pass, not a strncasecmp per byte. */
const char *nw_find_ci(const char *s, size_t n, const char *needle);

/* Read `path` ("-" = standard input, named "<stdin>") and nw_parse_buffer it
 * with origin = the path. The size limit is checked before the content is
 * read: a regular file over the limit is refused from its size alone, a pipe
 * as soon as it passes the limit. Every error message starts with "<path>: ".
 * opts may be NULL; its origin is ignored (the path is the origin). */
int nw_parse_file(const char *path, const char *format, const nw_parse_opts *opts,
                  nw_story_list *out, nw_err *err);

/* ------------------------------------------------- ninjs schema checks --- */

/* Where the ninjs 3.1 schema is looked for when no path is given: the
 * NW_NINJS_SCHEMA environment variable, else this. Not part of newswire: the
 * schema is IPTC's (package it, or point NW_NINJS_SCHEMA at a copy). */
#define NW_NINJS_SCHEMA_DEFAULT "/usr/share/newswire/ninjs/ninjs-schema_3.1.json"

/* A registry holding the ninjs 3.1 schema read from `path` (NULL: the
 * default above) and the GeoJSON schema it refers to (NW_GEOJSON_SCHEMA, or
 * GeoJSON-schema.json beside the ninjs schema; without either, geometry is
 * not checked). Returns 0 with *out set; NW_ENOTFOUND when there is no file
 * at the path, with *out an EMPTY registry (every ninjs input then fails
 * with "cannot be checked": nothing unchecked is ever published) and err
 * saying so (the caller warns); other errors (unreadable, not a schema)
 * leave *out NULL. Free with nw_jsonschema_free. */
int nw_ninjs_schema_open(const char *path, nw_jsonschema **out, nw_err *err);

/* The registry the ninjs parser checks stories of ninjs input against, as
 * they will be written (nw_ninjs_encode), before the file is accepted: the
 * first violation fails the file with the schema's message ("story 2
 * (urn:x): not valid ninjs 3.1: /plannedCoverage/0/uri: ..."). Checked are
 * the stories that carry JSON of the input as it came (extras of the story,
 * its texts or entities; associations): the rest is written from typed
 * fields the decoder checked, valid by construction like every other
 * format's stories. The decoder's documented conversions (nw_ninjs.h:
 * renames, number versions to strings, pubStatus and type aliases,
 * timestamps to UTC) are the only repairs; anything else invalid is
 * refused, never published. A registry without the schema (no file) refuses
 * every ninjs input. NULL (the default) checks nothing: for tests and tools
 * that only read. Set once, before any parse runs; borrowed (must outlive
 * every parse). */
void nw_parser_set_ninjs_schema(const nw_jsonschema *schema);

#endif
