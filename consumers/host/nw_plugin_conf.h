/*
 * nw_plugin_conf — a plugin's settings, read through its config map
 * (nw_plugin_config_entry table in the descriptor): every key of one chain
 * entry is checked against the table (unknown key, wrong type, out of range,
 * missing required key, bad enum value: errors name file, line and key and
 * what was expected), defaults are applied, and the values are stored into
 * the plugin's config struct. One parser per type, shared by every plugin:
 * the nw_cfg_as_* readers of nw_config (which the host's own settings use
 * too). This module never calls a plugin and never keeps a config node: the
 * strings it stores are its own copies.
 */
#ifndef NW_PLUGIN_CONF_H
#define NW_PLUGIN_CONF_H

#include <newswire/plugin.h>
#include <stdbool.h>
#include <stdio.h>

#include "nw_config.h"
#include "nw_err.h"

/* The filled config struct of one instance and the strings it points to. */
typedef struct nw_plugin_conf nw_plugin_conf;

/* Read the map `item` (a chain entry) against d's config map. Keys listed in
 * `host_keys` (NULL-terminated: "plugin", "path", "name") belong to the host
 * and are skipped. On success *out owns the struct; free with
 * nw_plugin_conf_free after the instance's destroy(). */
int nw_plugin_conf_new(const nw_plugin_descriptor *d, const nw_cfg_node *item,
                       const char *const *host_keys, nw_plugin_conf **out, nw_err *err);
/* The host's own settings use the same tables and parsers: a section of
 * the consumer's file (the top level, `batch`, ...) is read against an
 * nw_plugin_descriptor that carries only a name, a config map and its
 * struct size (nw_consumer_conf). `map` may be NULL (every setting takes its
 * default); anything else but a map is an error. Keys in `read_elsewhere`
 * (NULL-terminated: a sub-table, the kafka properties, the chain) are table
 * entries, so they are accepted and described, but their values are left
 * to their own reader. */
int nw_plugin_conf_read_section(const nw_plugin_descriptor *d, const nw_cfg_node *map,
                                const char *const *read_elsewhere, nw_plugin_conf **out,
                                nw_err *err);

/* The struct to pass as nw_plugin_config.conf (config_size bytes, or NULL
 * when the plugin has no config map). */
const void *nw_plugin_conf_struct(const nw_plugin_conf *conf);
void nw_plugin_conf_free(nw_plugin_conf *conf);

/* Check a descriptor's config map: entry size, known types, offsets within
 * config_size, enum choices, and that every default parses. `origin` names
 * the plugin in messages. */
int nw_plugin_conf_check_map(const nw_plugin_descriptor *d, const char *origin, nw_err *err);

/* Print d's name, version, kind and table (key, type, default,
 * description) for --describe. */
void nw_plugin_conf_describe(const nw_plugin_descriptor *d, FILE *out);
/* Print only the table's rows, each key after `prefix` ("batch."), with the
 * column titles first when `header`. */
void nw_plugin_conf_describe_table(const nw_plugin_descriptor *d, const char *prefix, bool header,
                                   FILE *out);

/* Tests and embedders: create an instance of `d` outside a chain from
 * NULL-terminated "key", "value" pairs, each value as it would be written in
 * YAML after "key: " (a list as "[a, b]"; "kafka.acks" is the entry "acks"
 * of the map setting "kafka"). Settings are checked exactly like a chain
 * entry's, then d->init runs with `base` (instance name, api, brokers,
 * subscription; NULL members get defaults; conf and struct_size are set
 * here). Returns the plugin's state, or NULL with the message in err (a
 * config error or the plugin's init error); *conf_out receives the
 * settings, which must outlive the state (nw_plugin_conf_free after
 * destroy). */
void *nw_plugin_conf_init_pairs(const nw_plugin_descriptor *d, const char *const *pairs,
                                const nw_plugin_config *base, nw_plugin_conf **conf_out, char *err,
                                size_t errlen);

#endif
