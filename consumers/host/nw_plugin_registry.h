/*
 * nw_plugin_registry — finds consumer plugins by name or path. Built-ins come
 * from the table CMake generates (nw_builtin_plugins.h); out-of-tree plugins
 * are shared objects opened with dlopen() whose exported descriptor
 * (NW_PLUGIN_ENTRY_SYMBOL) is checked for the ABI version before anything
 * else in it is read. The registry never creates plugin instances (nw_chain
 * does) and never unloads a shared object while a descriptor from it is used.
 * The only global is the list of descriptors registered at run time.
 */
#ifndef NW_PLUGIN_REGISTRY_H
#define NW_PLUGIN_REGISTRY_H

#include <newswire/plugin.h>
#include <stddef.h>

#include "nw_err.h"

/* Maximum number of descriptors nw_plugin_registry_add() accepts. */
#define NW_PLUGIN_REGISTRY_MAX_EXTRA 32

/* A built-in or registered plugin by name, or NULL. Borrowed, static. */
const nw_plugin_descriptor *nw_plugin_registry_find(const char *name);

/* Number of built-in + registered plugins, and the i-th one (for --help). */
size_t nw_plugin_registry_count(void);
const nw_plugin_descriptor *nw_plugin_registry_at(size_t i);

/* Register a descriptor compiled into the program (tests, embedders). The
 * descriptor must outlive the process's use of the registry. Fails when the
 * name is taken, the descriptor is invalid or the table is full. Not
 * thread-safe: call before building chains. */
int nw_plugin_registry_add(const nw_plugin_descriptor *desc, nw_err *err);

/* Check a descriptor: ABI version, name, kind and the callbacks its kind
 * needs. `origin` names it in messages (a path or "built-in"). */
int nw_plugin_descriptor_check(const nw_plugin_descriptor *desc, const char *origin, nw_err *err);

/* A plugin loaded from a shared object. */
typedef struct nw_plugin_module nw_plugin_module;

/* dlopen(path), look up NW_PLUGIN_ENTRY_SYMBOL and check it. On success
 * *out owns the handle; its descriptor stays valid until
 * nw_plugin_module_close(). Errors name the path and what to do. */
int nw_plugin_module_open(const char *path, nw_plugin_module **out, nw_err *err);
const nw_plugin_descriptor *nw_plugin_module_descriptor(const nw_plugin_module *mod);
const char *nw_plugin_module_path(const nw_plugin_module *mod);
/* dlclose and free. NULL is accepted. */
void nw_plugin_module_close(nw_plugin_module *mod);

#endif
