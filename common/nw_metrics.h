/*
 * nw_metrics — Prometheus metrics for the services: counters, gauges and
 * histograms with fixed label sets, rendered in the text exposition format
 * (version 0.0.4) for the /metrics endpoint (nw_http).
 *
 * A metric family is created once per (name, labels) pair and returns a
 * handle that stays valid until nw_metrics_free(); asking again for the same
 * pair returns the same handle, so callers may cache it or look it up each
 * time. Updates are lock-free atomics and safe from any thread; creation and
 * rendering take the registry's mutex.
 *
 * Labels are passed pre-formatted as Prometheus writes them, without braces:
 * `topic="news.sport",partition="3"`. Use nw_metrics_label_escape() for values
 * that come from outside (file names, URLs).
 */
#ifndef NW_METRICS_H
#define NW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "nw_buf.h"

typedef struct nw_metrics nw_metrics;
typedef struct nw_counter nw_counter;
typedef struct nw_gauge nw_gauge;
typedef struct nw_histogram nw_histogram;

/* New empty registry; NULL on allocation failure. */
nw_metrics *nw_metrics_new(void);
/* Free the registry and every handle it gave out. */
void nw_metrics_free(nw_metrics *m);

/* Get or create. `labels` may be NULL or "". NULL on allocation failure or
 * when `name` is already registered with another type. */
nw_counter *nw_metrics_counter(nw_metrics *m, const char *name, const char *help,
                               const char *labels);
nw_gauge *nw_metrics_gauge(nw_metrics *m, const char *name, const char *help, const char *labels);
/* Buckets are upper bounds in ascending order (the +Inf bucket is implicit);
 * NULL = default latency buckets in seconds (0.0005 .. 10). All series of one
 * name share the buckets of its first registration. */
nw_histogram *nw_metrics_histogram(nw_metrics *m, const char *name, const char *help,
                                   const char *labels, const double *buckets, size_t nbuckets);

/* NULL handles are accepted and ignored, so a failed registration never crashes. */
void nw_counter_add(nw_counter *c, uint64_t v);
void nw_counter_inc(nw_counter *c);
uint64_t nw_counter_value(const nw_counter *c);
void nw_gauge_set(nw_gauge *g, double v);
void nw_gauge_add(nw_gauge *g, double v);
double nw_gauge_value(const nw_gauge *g);
void nw_histogram_observe(nw_histogram *h, double v);
uint64_t nw_histogram_count(const nw_histogram *h);

/* Append the whole registry in the text exposition format. */
void nw_metrics_render(nw_metrics *m, nw_buf *out);

/* Escape a label value (backslash, double quote, newline) into out. */
void nw_metrics_label_escape(nw_buf *out, const char *value);

#endif
