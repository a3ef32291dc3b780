/*
 * nw_plugin_conf — config maps: check a chain entry against a plugin's
 * settings table and fill its config struct. See nw_plugin_conf.h.
 */
#include "nw_plugin_conf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"

struct nw_plugin_conf {
    nw_plugin_config config; /* nw_plugin_conf_init_pairs: what init() received */
    void *data;              /* config_size bytes */
    void **owned;
    size_t nowned, cap;
};

/* ------------------------------------------------------------------ table */

/* Entry i, zero-extended when the plugin's entries are smaller than ours. */
static nw_plugin_config_entry entry_at(const nw_plugin_descriptor *d, size_t i)
{
    nw_plugin_config_entry e;
    memset(&e, 0, sizeof e);
    size_t sz = d->config_entry_size < sizeof e ? d->config_entry_size : sizeof e;
    memcpy(&e, (const char *)d->config_map + i * d->config_entry_size, sz);
    return e;
}

static size_t entry_count(const nw_plugin_descriptor *d)
{
    size_t n = 0;
    if (!d->config_map || d->config_entry_size < sizeof(const char *))
        return 0;
    while (entry_at(d, n).key)
        n++;
    return n;
}

static const char *type_name(nw_plugin_type t)
{
    switch (t) {
    case NW_PLUGIN_T_BOOL: return "bool";
    case NW_PLUGIN_T_INT: return "int";
    case NW_PLUGIN_T_SIZE: return "size";
    case NW_PLUGIN_T_DURATION: return "duration";
    case NW_PLUGIN_T_NUMBER: return "number";
    case NW_PLUGIN_T_STRING: return "string";
    case NW_PLUGIN_T_ENUM: return "enum";
    case NW_PLUGIN_T_LIST: return "list";
    case NW_PLUGIN_T_MAP: return "map";
    }
    return NULL;
}

static size_t type_size(nw_plugin_type t)
{
    switch (t) {
    case NW_PLUGIN_T_BOOL: return sizeof(bool);
    case NW_PLUGIN_T_INT: return sizeof(int64_t);
    case NW_PLUGIN_T_SIZE: return sizeof(uint64_t);
    case NW_PLUGIN_T_DURATION: return sizeof(int64_t);
    case NW_PLUGIN_T_NUMBER: return sizeof(double);
    case NW_PLUGIN_T_STRING: return sizeof(const char *);
    case NW_PLUGIN_T_ENUM: return sizeof(int);
    case NW_PLUGIN_T_LIST: return sizeof(nw_plugin_list);
    case NW_PLUGIN_T_MAP: return sizeof(nw_plugin_map);
    }
    return 0;
}

/* The comma-separated keys of the table, for "unknown key" messages. */
static void key_list(const nw_plugin_descriptor *d, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0, n = entry_count(d); i < n && used < outlen; i++) {
        nw_plugin_config_entry e = entry_at(d, i);
        int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", e.key);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ------------------------------------------------------------ ownership */

static void *keep(nw_plugin_conf *c, void *p)
{
    if (!p)
        return NULL;
    if (c->nowned == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        void **o = realloc(c->owned, cap * sizeof *o);
        if (!o) {
            free(p);
            return NULL;
        }
        c->owned = o;
        c->cap = cap;
    }
    c->owned[c->nowned++] = p;
    return p;
}

void nw_plugin_conf_free(nw_plugin_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->data);
    free(c);
}

const void *nw_plugin_conf_struct(const nw_plugin_conf *c)
{
    return c ? c->data : NULL;
}

/* ---------------------------------------------------------------- parsers */

static int oom(nw_err *err)
{
    return nw_err_set(err, NW_ENOMEM, "out of memory reading plugin settings");
}

static bool bounded(const nw_plugin_config_entry *e)
{
    return e->min != 0 || e->max != 0;
}

static int range_error(const nw_cfg_node *n, const nw_plugin_config_entry *e, const char *unit,
                       nw_err *err)
{
    if (e->max >= 1e12) /* "at least": as --describe shows it */
        return nw_cfg_error(n, err, NW_EINVAL, "expected %s of at least %g%s, got '%s'",
                            type_name(e->type), e->min, unit, nw_cfg_scalar(n));
    return nw_cfg_error(n, err, NW_EINVAL, "expected %s between %g and %g%s, got '%s'",
                        type_name(e->type), e->min, e->max, unit, nw_cfg_scalar(n));
}

static int parse_number(const nw_cfg_node *n, double *out, nw_err *err)
{
    const char *s;
    if (nw_cfg_as_string(n, &s, err) < 0)
        return NW_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return nw_cfg_error(n, err, NW_EINVAL, "expected a number, got '%s'", s);
    *out = v;
    return 0;
}

static int parse_enum(const nw_cfg_node *n, const nw_plugin_config_entry *e, int *out, nw_err *err)
{
    const char *s;
    if (nw_cfg_as_string(n, &s, err) < 0)
        return NW_EINVAL;
    int idx = 0;
    for (const char *p = e->choices; p && *p; idx++) {
        size_t len = strcspn(p, "|");
        if (len == strlen(s) && !strncmp(p, s, len)) {
            *out = idx;
            return 0;
        }
        p += len + (p[len] == '|');
    }
    nw_buf b = {0};
    for (const char *p = e->choices; p && *p;) {
        size_t len = strcspn(p, "|");
        nw_buf_printf(&b, "%s%.*s", b.len ? ", " : "", (int)len, p);
        p += len + (p[len] == '|');
    }
    int rc = nw_cfg_error(n, err, NW_EINVAL, "expected one of %s, got '%s'",
                          nw_buf_failed(&b) ? "(?)" : nw_buf_str(&b), s);
    nw_buf_free(&b);
    return rc;
}

static int check_count(const nw_cfg_node *n, const nw_plugin_config_entry *e, size_t count,
                       nw_err *err)
{
    if ((e->flags & NW_PLUGIN_NONEMPTY) && count == 0)
        return nw_cfg_error(n, err, NW_EINVAL, "expected a non-empty %s", type_name(e->type));
    if (bounded(e) && ((double)count < e->min || (double)count > e->max))
        return nw_cfg_error(n, err, NW_EINVAL, "expected a %s of %g to %g entries, got %zu",
                            type_name(e->type), e->min, e->max, count);
    return 0;
}

static int parse_list(nw_plugin_conf *c, const nw_cfg_node *n, const nw_plugin_config_entry *e,
                      nw_plugin_list *out, nw_err *err)
{
    /* a single scalar is a list of one */
    size_t count = nw_cfg_kind_of(n) == NW_CFG_SEQ ? nw_cfg_len(n) : 1;
    if (nw_cfg_kind_of(n) == NW_CFG_MAP)
        return nw_cfg_error(n, err, NW_EINVAL, "expected a list of strings, got a map");
    const char **items = keep(c, calloc(count + 1, sizeof *items));
    if (!items)
        return oom(err);
    for (size_t i = 0; i < count; i++) {
        const nw_cfg_node *it = nw_cfg_kind_of(n) == NW_CFG_SEQ ? nw_cfg_item(n, i) : n;
        const char *s;
        if (nw_cfg_kind_of(it) != NW_CFG_SCALAR)
            return nw_cfg_error(it, err, NW_EINVAL, "expected a list of strings");
        if (nw_cfg_as_string(it, &s, err) < 0)
            return NW_EINVAL;
        if (!(items[i] = keep(c, strdup(s))))
            return oom(err);
    }
    *out = (nw_plugin_list){items, count};
    return check_count(n, e, count, err);
}

typedef struct kv_vec {
    nw_plugin_kv *items;
    size_t len, cap;
} kv_vec;

/* Nested maps flatten with dots: {sasl: {mechanism: X}} -> "sasl.mechanism". */
static int flatten_map(nw_plugin_conf *c, kv_vec *v, const char *prefix, const nw_cfg_node *n,
                       nw_err *err)
{
    for (size_t i = 0; i < nw_cfg_len(n); i++) {
        const nw_cfg_node *val = nw_cfg_value_at(n, i);
        char *key = NULL;
        size_t kl = strlen(prefix) + strlen(nw_cfg_key_at(n, i)) + 2;
        if (!(key = keep(c, malloc(kl))))
            return oom(err);
        snprintf(key, kl, "%s%s%s", prefix, *prefix ? "." : "", nw_cfg_key_at(n, i));
        if (nw_cfg_kind_of(val) == NW_CFG_MAP) {
            int rc = flatten_map(c, v, key, val, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (nw_cfg_kind_of(val) == NW_CFG_SEQ)
            return nw_cfg_error(val, err, NW_EINVAL, "expected a string, got a list");
        const char *s = nw_cfg_kind_of(val) == NW_CFG_NULL ? "" : nw_cfg_scalar(val);
        if (v->len == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 8;
            nw_plugin_kv *it = realloc(v->items, cap * sizeof *it);
            if (!it)
                return oom(err);
            v->items = it;
            v->cap = cap;
        }
        char *copy = keep(c, strdup(s));
        if (!copy)
            return oom(err);
        v->items[v->len++] = (nw_plugin_kv){key, copy};
    }
    return 0;
}

static int parse_map(nw_plugin_conf *c, const nw_cfg_node *n, const nw_plugin_config_entry *e,
                     nw_plugin_map *out, nw_err *err)
{
    if (nw_cfg_kind_of(n) != NW_CFG_MAP)
        return nw_cfg_error(n, err, NW_EINVAL, "expected a map of settings, got %s",
                            nw_cfg_kind_of(n) == NW_CFG_SEQ ? "a list" : "a plain value");
    kv_vec v = {0};
    int rc = flatten_map(c, &v, "", n, err);
    if (rc == 0 && !keep(c, v.items ? v.items : malloc(1)))
        rc = oom(err);
    else if (rc < 0)
        free(v.items);
    if (rc < 0)
        return rc;
    *out = (nw_plugin_map){v.items, v.len};
    return check_count(n, e, v.len, err);
}

/* Parse node n per entry e and store the value at data + e->offset. */
static int store(nw_plugin_conf *c, const nw_plugin_config_entry *e, const nw_cfg_node *n,
                 nw_err *err)
{
    char *at = (char *)c->data + e->offset;
    switch (e->type) {
    case NW_PLUGIN_T_BOOL: {
        bool b = false;
        if (nw_cfg_as_bool(n, &b, err) < 0)
            return NW_EINVAL;
        memcpy(at, &b, sizeof b);
        return 0;
    }
    case NW_PLUGIN_T_INT: {
        int64_t v = 0;
        int64_t lo = bounded(e) ? (int64_t)e->min : INT64_MIN;
        int64_t hi = bounded(e) ? (int64_t)e->max : INT64_MAX;
        if (nw_cfg_as_int(n, lo, hi, &v, err) < 0)
            return NW_EINVAL;
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_SIZE: {
        uint64_t v = 0;
        if (nw_cfg_as_size(n, &v, err) < 0)
            return NW_EINVAL;
        if (bounded(e) && ((double)v < e->min || (double)v > e->max))
            return range_error(n, e, " bytes", err);
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_DURATION: {
        int64_t v = 0;
        if (nw_cfg_as_duration_ms(n, &v, err) < 0)
            return NW_EINVAL;
        if (bounded(e) && ((double)v < e->min || (double)v > e->max))
            return range_error(n, e, " ms", err);
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_NUMBER: {
        double v = 0;
        if (parse_number(n, &v, err) < 0)
            return NW_EINVAL;
        if (bounded(e) && (v < e->min || v > e->max))
            return range_error(n, e, "", err);
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_STRING: {
        const char *s;
        if (nw_cfg_as_string(n, &s, err) < 0)
            return NW_EINVAL;
        if ((e->flags & NW_PLUGIN_NONEMPTY) && !*s)
            return nw_cfg_error(n, err, NW_EINVAL, "expected a non-empty string");
        char *copy = keep(c, strdup(s));
        if (!copy)
            return oom(err);
        memcpy(at, &copy, sizeof copy);
        return 0;
    }
    case NW_PLUGIN_T_ENUM: {
        int v = 0;
        if (parse_enum(n, e, &v, err) < 0)
            return NW_EINVAL;
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_LIST: {
        nw_plugin_list v = {0};
        if (parse_list(c, n, e, &v, err) < 0)
            return err->code ? err->code : NW_EINVAL;
        memcpy(at, &v, sizeof v);
        return 0;
    }
    case NW_PLUGIN_T_MAP: {
        nw_plugin_map v = {0};
        if (parse_map(c, n, e, &v, err) < 0)
            return err->code ? err->code : NW_EINVAL;
        memcpy(at, &v, sizeof v);
        return 0;
    }
    }
    return nw_err_set(err, NW_EINVAL, "%s: unknown setting type %d", e->key, (int)e->type);
}

/* Store e's default (parsed like the file's text) into c. */
static int store_default(nw_plugin_conf *c, const nw_plugin_descriptor *d,
                         const nw_plugin_config_entry *e, nw_err *err)
{
    char origin[160];
    snprintf(origin, sizeof origin, "<default of %s.%s>", d->name, e->key);
    nw_buf text = {0};
    nw_buf_printf(&text, "v: %s\n", e->default_value);
    if (nw_buf_failed(&text))
        return oom(err);
    nw_config *cfg = NULL;
    int rc = nw_config_load_string(nw_buf_str(&text), text.len, origin, &cfg, err);
    nw_buf_free(&text);
    if (rc == 0) {
        const nw_cfg_node *v = nw_cfg_get(nw_config_root(cfg), "v");
        if (nw_cfg_kind_of(v) == NW_CFG_NULL && e->type != NW_PLUGIN_T_STRING)
            rc = 0; /* an empty default: the zero value */
        else
            rc = store(c, e, v, err);
    }
    nw_config_free(cfg);
    return rc;
}

/* --------------------------------------------------------------- reading */

static bool listed(const char *k, const char *const *keys)
{
    for (; keys && *keys; keys++)
        if (!strcmp(k, *keys))
            return true;
    return false;
}

static nw_plugin_conf *conf_alloc(const nw_plugin_descriptor *d)
{
    nw_plugin_conf *c = calloc(1, sizeof *c);
    if (c && !(c->data = calloc(1, d->config_size ? d->config_size : 1))) {
        free(c);
        c = NULL;
    }
    return c;
}

/* Read `item` (a map, or NULL: every setting takes its default) against d's
 * table. Keys in `skip` are left alone: the chain's own keys, or a section
 * another reader takes (then it is also a table entry, for describe and the
 * "accepts" list). */
static int conf_read(const nw_plugin_descriptor *d, const nw_cfg_node *item,
                     const char *const *skip, nw_plugin_conf **out, nw_err *err)
{
    *out = NULL;
    if (item && nw_cfg_kind_of(item) != NW_CFG_MAP && nw_cfg_kind_of(item) != NW_CFG_NULL)
        return nw_cfg_error(item, err, NW_EINVAL, "expected a map of settings, got %s",
                            nw_cfg_kind_of(item) == NW_CFG_SEQ ? "a list" : "a plain value");
    nw_plugin_conf *c = conf_alloc(d);
    if (!c)
        return oom(err);
    size_t n = entry_count(d);
    int rc = 0;
    /* unknown keys first: a typo is the likeliest mistake */
    for (size_t i = 0; i < nw_cfg_len(item) && rc == 0; i++) {
        const char *k = nw_cfg_key_at(item, i);
        if (listed(k, skip))
            continue;
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = !strcmp(entry_at(d, j).key, k);
        if (!known) {
            char keys[512];
            key_list(d, keys, sizeof keys);
            rc = nw_cfg_error(nw_cfg_value_at(item, i), err, NW_EINVAL,
                              "unknown key '%s' (%s accepts: %s)", k, d->name,
                              n ? keys : "no settings");
        }
    }
    for (size_t j = 0; j < n && rc == 0; j++) {
        nw_plugin_config_entry e = entry_at(d, j);
        const nw_cfg_node *v = nw_cfg_get(item, e.key);
        if (listed(e.key, skip) && (v || !(e.flags & NW_PLUGIN_REQUIRED)))
            continue; /* its own reader takes the value */
        bool empty = !v || nw_cfg_kind_of(v) == NW_CFG_NULL ||
                     (nw_cfg_kind_of(v) == NW_CFG_SCALAR && !*nw_cfg_scalar(v) &&
                      (e.type != NW_PLUGIN_T_STRING || (e.flags & NW_PLUGIN_REQUIRED)));
        if (!empty)
            rc = store(c, &e, v, err);
        else if (e.flags & NW_PLUGIN_REQUIRED)
            rc = nw_cfg_error(v ? v : item, err, NW_EINVAL, "missing required key '%s' (%s: %s)",
                              e.key, type_name(e.type), e.description ? e.description : "");
        else if (e.default_value)
            rc = store_default(c, d, &e, err);
    }
    if (rc < 0) {
        nw_plugin_conf_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int nw_plugin_conf_new(const nw_plugin_descriptor *d, const nw_cfg_node *item,
                       const char *const *host_keys, nw_plugin_conf **out, nw_err *err)
{
    return conf_read(d, item, host_keys, out, err);
}

int nw_plugin_conf_read_section(const nw_plugin_descriptor *d, const nw_cfg_node *map,
                                const char *const *read_elsewhere, nw_plugin_conf **out,
                                nw_err *err)
{
    return conf_read(d, map, read_elsewhere, out, err);
}

/* ------------------------------------------------------------ describing */

int nw_plugin_conf_check_map(const nw_plugin_descriptor *d, const char *origin, nw_err *err)
{
    if (!d->config_map)
        return 0;
    if (d->config_entry_size < offsetof(nw_plugin_config_entry, description) + sizeof(char *))
        return nw_err_set(err, NW_EINVAL,
                          "%s: plugin '%s' declares config map entries of %zu bytes (at least "
                          "%zu expected)",
                          origin, d->name, d->config_entry_size,
                          offsetof(nw_plugin_config_entry, description) + sizeof(char *));
    nw_plugin_conf *c = conf_alloc(d);
    if (!c)
        return oom(err);
    int rc = 0;
    for (size_t i = 0, n = entry_count(d); i < n && rc == 0; i++) {
        nw_plugin_config_entry e = entry_at(d, i);
        size_t sz = type_size(e.type);
        if (!sz)
            rc = nw_err_set(err, NW_EINVAL, "%s: plugin '%s': setting '%s' has unknown type %d",
                            origin, d->name, e.key, (int)e.type);
        else if (e.offset + sz > d->config_size)
            rc = nw_err_set(err, NW_EINVAL,
                            "%s: plugin '%s': setting '%s' lies outside its config struct "
                            "(offset %zu + %zu > config_size %zu)",
                            origin, d->name, e.key, e.offset, sz, d->config_size);
        else if (e.type == NW_PLUGIN_T_ENUM && (!e.choices || !*e.choices))
            rc = nw_err_set(err, NW_EINVAL, "%s: plugin '%s': enum setting '%s' has no choices",
                            origin, d->name, e.key);
        else if (e.default_value && store_default(c, d, &e, err) < 0)
            rc = nw_err_set(err, NW_EINVAL, "%s: plugin '%s': default of '%s' does not parse: %s",
                            origin, d->name, e.key, err->msg);
        for (size_t j = 0; j < i && rc == 0; j++)
            if (!strcmp(entry_at(d, j).key, e.key))
                rc = nw_err_set(err, NW_EINVAL, "%s: plugin '%s': setting '%s' declared twice",
                                origin, d->name, e.key);
    }
    nw_plugin_conf_free(c);
    return rc;
}

void nw_plugin_conf_describe_table(const nw_plugin_descriptor *d, const char *prefix, bool header,
                                   FILE *out)
{
    if (header)
        fprintf(out, "\n  %-24s %-10s %-16s %s\n", "KEY", "TYPE", "DEFAULT", "DESCRIPTION");
    for (size_t i = 0, n = entry_count(d); i < n; i++) {
        nw_plugin_config_entry e = entry_at(d, i);
        const char *def = (e.flags & NW_PLUGIN_REQUIRED) ? "(required)"
                          : e.default_value              ? e.default_value
                                                         : "-";
        char key[128];
        snprintf(key, sizeof key, "%s%s", prefix ? prefix : "", e.key);
        fprintf(out, "  %-24s %-10s %-16s %s", key, type_name(e.type) ? type_name(e.type) : "?",
                def, e.description ? e.description : "");
        if (e.type == NW_PLUGIN_T_ENUM)
            fprintf(out, " (one of %s)", e.choices);
        const char *unit = e.type == NW_PLUGIN_T_DURATION ? " ms"
                           : e.type == NW_PLUGIN_T_SIZE   ? " bytes"
                                                          : "";
        if (bounded(&e) && e.max >= 1e12)
            fprintf(out, " [at least %g%s]", e.min, unit);
        else if (bounded(&e))
            fprintf(out, " [%g..%g%s]", e.min, e.max, unit);
        fputc('\n', out);
    }
}

void nw_plugin_conf_describe(const nw_plugin_descriptor *d, FILE *out)
{
    fprintf(out, "%s %s (%s): %s\n", d->name, d->version ? d->version : "?",
            d->kind == NW_PLUGIN_SINK ? "sink" : "filter", d->description ? d->description : "");
    if (!entry_count(d)) {
        fprintf(out, "  (no settings)\n");
        return;
    }
    nw_plugin_conf_describe_table(d, NULL, true, out);
}

/* ------------------------------------------------------------ from pairs */

static void yaml_quoted(nw_buf *y, const char *v)
{
    if (v[0] == '[' || v[0] == '{') { /* a list or map as written */
        nw_buf_puts(y, v);
        return;
    }
    nw_buf_puts(y, "'");
    for (const char *s = v; *s; s++) {
        size_t run = strcspn(s, "'");
        nw_buf_printf(y, "%.*s", (int)run, s);
        s += run;
        if (!*s)
            break;
        nw_buf_puts(y, "''");
    }
    nw_buf_puts(y, "'");
}

/* The map setting a dotted pair key belongs to ("kafka.acks" -> kafka), or
 * NULL. */
static const char *map_of(const nw_plugin_descriptor *d, const char *k, size_t *prefix_len)
{
    const char *dot = strchr(k, '.');
    for (size_t j = 0, n = entry_count(d); dot && j < n; j++) {
        nw_plugin_config_entry e = entry_at(d, j);
        if (e.type == NW_PLUGIN_T_MAP && strlen(e.key) == (size_t)(dot - k) &&
            !strncmp(e.key, k, (size_t)(dot - k))) {
            *prefix_len = (size_t)(dot - k);
            return e.key;
        }
    }
    return NULL;
}

/* YAML for pairs: plain "key: value" lines, then each map setting's
 * "map.sub" pairs gathered under one "map:" key. */
static int pairs_yaml(const nw_plugin_descriptor *d, const char *const *pairs, nw_buf *y)
{
    size_t pl;
    for (size_t p = 0; pairs && pairs[p]; p += 2) {
        if (map_of(d, pairs[p], &pl))
            continue;
        nw_buf_printf(y, "\"%s\": ", pairs[p]);
        yaml_quoted(y, pairs[p + 1] ? pairs[p + 1] : "");
        nw_buf_puts(y, "\n");
    }
    for (size_t j = 0, n = entry_count(d); j < n; j++) {
        nw_plugin_config_entry e = entry_at(d, j);
        bool opened = false;
        for (size_t p = 0; e.type == NW_PLUGIN_T_MAP && pairs && pairs[p]; p += 2) {
            const char *m = map_of(d, pairs[p], &pl);
            if (!m || strcmp(m, e.key))
                continue;
            if (!opened)
                nw_buf_printf(y, "\"%s\":\n", e.key);
            opened = true;
            nw_buf_printf(y, "  \"%s\": ", pairs[p] + pl + 1);
            yaml_quoted(y, pairs[p + 1] ? pairs[p + 1] : "");
            nw_buf_puts(y, "\n");
        }
    }
    return nw_buf_failed(y) ? NW_ENOMEM : 0;
}

void *nw_plugin_conf_init_pairs(const nw_plugin_descriptor *d, const char *const *pairs,
                                const nw_plugin_config *base, nw_plugin_conf **conf_out, char *err,
                                size_t errlen)
{
    *conf_out = NULL;
    nw_buf y = {0};
    nw_config *cfg = NULL;
    nw_err e = {0};
    void *state = NULL;
    if (pairs_yaml(d, pairs, &y) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (nw_config_load_string(nw_buf_str(&y), y.len, "<settings>", &cfg, &e) < 0 ||
        nw_plugin_conf_new(d, nw_config_root(cfg), NULL, conf_out, &e) < 0) {
        snprintf(err, errlen, "%s", e.msg);
        goto out;
    }
    nw_plugin_config *pc = &(*conf_out)->config; /* valid until destroy (plugin.h) */
    if (base)
        *pc = *base;
    pc->struct_size = sizeof *pc;
    pc->conf = nw_plugin_conf_struct(*conf_out);
    if (!pc->instance_name)
        pc->instance_name = d->name;
    if (!pc->config_path)
        pc->config_path = "<settings>";
    state = d->init(pc, err, errlen);
    if (!state) {
        nw_plugin_conf_free(*conf_out);
        *conf_out = NULL;
    }
out:
    nw_config_free(cfg);
    nw_buf_free(&y);
    return state;
}
