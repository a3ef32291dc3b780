/*
 * nw_metrics — registry of metric families and series, atomic updates,
 * text exposition rendering. See nw_metrics.h.
 *
 * Layout: a registry holds families (name, help, type, buckets) in creation
 * order; a family holds its series (one per label set) in creation order.
 * Series never move or disappear before nw_metrics_free(), which is what
 * makes handing out raw pointers safe.
 */
#include "nw_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_COUNTER, T_GAUGE, T_HISTOGRAM } metric_type;

struct nw_counter {
    _Atomic uint64_t value;
};

struct nw_gauge {
    _Atomic uint64_t bits; /* a double, stored as its bit pattern */
};

struct nw_histogram {
    size_t nbuckets;
    const double *bounds;     /* the family's, borrowed */
    _Atomic uint64_t *counts; /* nbuckets + 1 (the last is +Inf), not cumulative */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_bits;
};

typedef struct series {
    struct series *next;
    char *labels;
    union {
        struct nw_counter counter;
        struct nw_gauge gauge;
        struct nw_histogram histogram;
    } u;
} series;

typedef struct family {
    struct family *next;
    char *name;
    char *help;
    metric_type type;
    double *bounds;
    size_t nbounds;
    series *first, *last;
} family;

struct nw_metrics {
    pthread_mutex_t lock;
    family *first, *last;
};

static const double default_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

nw_metrics *nw_metrics_new(void)
{
    nw_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void nw_metrics_free(nw_metrics *m)
{
    if (!m)
        return;
    for (family *f = m->first, *fn; f; f = fn) {
        fn = f->next;
        for (series *s = f->first, *sn; s; s = sn) {
            sn = s->next;
            if (f->type == T_HISTOGRAM)
                free(s->u.histogram.counts);
            free(s->labels);
            free(s);
        }
        free(f->name);
        free(f->help);
        free(f->bounds);
        free(f);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static family *find_family(nw_metrics *m, const char *name)
{
    for (family *f = m->first; f; f = f->next)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static family *add_family(nw_metrics *m, const char *name, const char *help, metric_type type,
                          const double *bounds, size_t nbounds)
{
    family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->type = type;
    if (type == T_HISTOGRAM) {
        if (!bounds || !nbounds) {
            bounds = default_buckets;
            nbounds = sizeof default_buckets / sizeof default_buckets[0];
        }
        f->bounds = malloc(nbounds * sizeof *f->bounds);
        if (f->bounds)
            memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
        f->nbounds = nbounds;
    }
    if (!f->name || !f->help || (type == T_HISTOGRAM && !f->bounds)) {
        free(f->name);
        free(f->help);
        free(f->bounds);
        free(f);
        return NULL;
    }
    if (m->last)
        m->last->next = f;
    else
        m->first = f;
    m->last = f;
    return f;
}

static series *find_series(family *f, const char *labels)
{
    for (series *s = f->first; s; s = s->next)
        if (!strcmp(s->labels, labels))
            return s;
    return NULL;
}

static series *add_series(family *f, const char *labels)
{
    series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->labels = strdup(labels);
    if (!s->labels) {
        free(s);
        return NULL;
    }
    if (f->type == T_HISTOGRAM) {
        struct nw_histogram *h = &s->u.histogram;
        h->nbuckets = f->nbounds;
        h->bounds = f->bounds;
        h->counts = calloc(f->nbounds + 1, sizeof *h->counts);
        if (!h->counts) {
            free(s->labels);
            free(s);
            return NULL;
        }
    }
    if (f->last)
        f->last->next = s;
    else
        f->first = s;
    f->last = s;
    return s;
}

static series *get_series(nw_metrics *m, const char *name, const char *help, const char *labels,
                          metric_type type, const double *bounds, size_t nbounds)
{
    if (!m || !name)
        return NULL;
    if (!labels)
        labels = "";
    pthread_mutex_lock(&m->lock);
    series *s = NULL;
    family *f = find_family(m, name);
    if (!f)
        f = add_family(m, name, help, type, bounds, nbounds);
    if (f && f->type == type) {
        s = find_series(f, labels);
        if (!s)
            s = add_series(f, labels);
    }
    pthread_mutex_unlock(&m->lock);
    return s;
}

nw_counter *nw_metrics_counter(nw_metrics *m, const char *name, const char *help,
                               const char *labels)
{
    series *s = get_series(m, name, help, labels, T_COUNTER, NULL, 0);
    return s ? &s->u.counter : NULL;
}

nw_gauge *nw_metrics_gauge(nw_metrics *m, const char *name, const char *help, const char *labels)
{
    series *s = get_series(m, name, help, labels, T_GAUGE, NULL, 0);
    return s ? &s->u.gauge : NULL;
}

nw_histogram *nw_metrics_histogram(nw_metrics *m, const char *name, const char *help,
                                   const char *labels, const double *buckets, size_t nbuckets)
{
    series *s = get_series(m, name, help, labels, T_HISTOGRAM, buckets, nbuckets);
    return s ? &s->u.histogram : NULL;
}

/* ------------------------------------------------------------- updates --- */

static uint64_t to_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static void atomic_add_double(_Atomic uint64_t *bits, double v)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, to_bits(from_bits(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void nw_counter_add(nw_counter *c, uint64_t v)
{
    if (c)
        atomic_fetch_add_explicit(&c->value, v, memory_order_relaxed);
}

void nw_counter_inc(nw_counter *c)
{
    nw_counter_add(c, 1);
}

uint64_t nw_counter_value(const nw_counter *c)
{
    return c ? atomic_load_explicit(&((nw_counter *)c)->value, memory_order_relaxed) : 0;
}

void nw_gauge_set(nw_gauge *g, double v)
{
    if (g)
        atomic_store_explicit(&g->bits, to_bits(v), memory_order_relaxed);
}

void nw_gauge_add(nw_gauge *g, double v)
{
    if (g)
        atomic_add_double(&g->bits, v);
}

double nw_gauge_value(const nw_gauge *g)
{
    return g ? from_bits(atomic_load_explicit(&((nw_gauge *)g)->bits, memory_order_relaxed)) : 0;
}

void nw_histogram_observe(nw_histogram *h, double v)
{
    if (!h || isnan(v))
        return;
    size_t i = 0;
    while (i < h->nbuckets && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_add_double(&h->sum_bits, v);
}

uint64_t nw_histogram_count(const nw_histogram *h)
{
    return h ? atomic_load_explicit(&((nw_histogram *)h)->count, memory_order_relaxed) : 0;
}

/* ----------------------------------------------------------- rendering --- */

void nw_metrics_label_escape(nw_buf *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            nw_buf_puts(out, "\\\\");
        else if (*p == '"')
            nw_buf_puts(out, "\\\"");
        else if (*p == '\n')
            nw_buf_puts(out, "\\n");
        else
            nw_buf_putc(out, *p);
    }
}

static void put_help(nw_buf *out, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            nw_buf_puts(out, "\\\\");
        else if (*p == '\n')
            nw_buf_puts(out, "\\n");
        else
            nw_buf_putc(out, *p);
    }
}

static void put_double(nw_buf *out, double v)
{
    if (isinf(v))
        nw_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        nw_buf_puts(out, "NaN");
    else
        nw_buf_printf(out, "%.17g", v);
}

/* name{labels[,extra]} */
static void put_series_name(nw_buf *out, const char *name, const char *suffix, const char *labels,
                            const char *extra)
{
    nw_buf_printf(out, "%s%s", name, suffix);
    bool has_labels = labels && *labels;
    if (!has_labels && !extra)
        return;
    nw_buf_putc(out, '{');
    if (has_labels)
        nw_buf_puts(out, labels);
    if (extra) {
        if (has_labels)
            nw_buf_putc(out, ',');
        nw_buf_puts(out, extra);
    }
    nw_buf_putc(out, '}');
}

static void render_histogram(nw_buf *out, const family *f, const series *s)
{
    const struct nw_histogram *h = &s->u.histogram;
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h->nbuckets; i++) {
        cumulative +=
            atomic_load_explicit(&((struct nw_histogram *)h)->counts[i], memory_order_relaxed);
        nw_buf le = NW_BUF_INIT;
        nw_buf_puts(&le, "le=\"");
        put_double(&le, i < h->nbuckets ? h->bounds[i] : INFINITY);
        nw_buf_putc(&le, '"');
        put_series_name(out, f->name, "_bucket", s->labels, nw_buf_str(&le));
        nw_buf_free(&le);
        nw_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
    }
    put_series_name(out, f->name, "_sum", s->labels, NULL);
    nw_buf_putc(out, ' ');
    put_double(out, from_bits(atomic_load_explicit(&((struct nw_histogram *)h)->sum_bits,
                                                   memory_order_relaxed)));
    nw_buf_putc(out, '\n');
    put_series_name(out, f->name, "_count", s->labels, NULL);
    nw_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
}

void nw_metrics_render(nw_metrics *m, nw_buf *out)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&m->lock);
    for (const family *f = m->first; f; f = f->next) {
        nw_buf_printf(out, "# HELP %s ", f->name);
        put_help(out, f->help);
        nw_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
        for (const series *s = f->first; s; s = s->next) {
            switch (f->type) {
            case T_COUNTER:
                put_series_name(out, f->name, "", s->labels, NULL);
                nw_buf_printf(out, " %llu\n", (unsigned long long)nw_counter_value(&s->u.counter));
                break;
            case T_GAUGE:
                put_series_name(out, f->name, "", s->labels, NULL);
                nw_buf_putc(out, ' ');
                put_double(out, nw_gauge_value(&s->u.gauge));
                nw_buf_putc(out, '\n');
                break;
            case T_HISTOGRAM: render_histogram(out, f, s); break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
}
