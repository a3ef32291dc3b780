/*
 * nw_hostile — generated inputs in the shapes that cost a parser the most
 * memory per byte (a million one-line paragraphs, a million keywords, deep
 * nesting...), one per wire format, for the memory-bound tests and
 * bench_parse_memory. Each is a head, a unit repeated (with its closing part
 * after the last one when the units nest) and a tail; "%ld" in a unit is
 * its number. Test code only; never committed as files.
 */
#ifndef NW_HOSTILE_H
#define NW_HOSTILE_H

#include <stddef.h>

#include "nw_buf.h"

typedef struct nw_hostile {
    const char *name;   /* "nitf-paragraphs" */
    const char *format; /* the parser's name, for --format */
    const char *head;
    const char *unit;  /* repeated; "%ld" = its number */
    const char *close; /* NULL: units follow each other; else each unit
                        * nests in the one before and this closes it */
    const char *tail;
    long max_units; /* 0, or the most units the format allows (libxml2 refuses
                     * a text node over 10 MB) */
    long under;     /* units just under the budget that refuses this shape
                     * (XML nodes, JSON values, paragraphs...), the largest
                     * input of it that is accepted; 0 when none applies */
} nw_hostile;

/* Every shape, in a fixed order; returns the count. */
size_t nw_hostile_all(const nw_hostile **out);
/* The shape called `name`, or NULL. */
const nw_hostile *nw_hostile_find(const char *name);

/* Write h into *b: as many units as fit in max_bytes (head and tail
 * included), at most max_units (0 = no limit). Returns the units written,
 * -1 when out of memory. */
long nw_hostile_make(const nw_hostile *h, size_t max_bytes, long max_units, nw_buf *b);

#endif
