/*
 * nw_plugin_registry — built-in table, run-time registrations and dlopen of
 * out-of-tree plugins, with the ABI check. See nw_plugin_registry.h.
 */
#include "nw_plugin_registry.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "nw_builtin_plugins.h"
#include "nw_plugin_conf.h"

static const nw_plugin_descriptor *extra_plugins[NW_PLUGIN_REGISTRY_MAX_EXTRA];
static size_t extra_count;

#define BUILTIN_COUNT (sizeof nw_builtin_plugins / sizeof nw_builtin_plugins[0] - 1)

size_t nw_plugin_registry_count(void)
{
    return BUILTIN_COUNT + extra_count;
}

const nw_plugin_descriptor *nw_plugin_registry_at(size_t i)
{
    if (i < BUILTIN_COUNT)
        return nw_builtin_plugins[i];
    i -= BUILTIN_COUNT;
    return i < extra_count ? extra_plugins[i] : NULL;
}

const nw_plugin_descriptor *nw_plugin_registry_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < nw_plugin_registry_count(); i++) {
        const nw_plugin_descriptor *d = nw_plugin_registry_at(i);
        if (!strcmp(d->name, name))
            return d;
    }
    return NULL;
}

int nw_plugin_descriptor_check(const nw_plugin_descriptor *d, const char *origin, nw_err *err)
{
    if (!d)
        return nw_err_set(err, NW_EINVAL, "%s: no plugin descriptor", origin);
    if (d->abi_version != NW_PLUGIN_ABI_VERSION)
        return nw_err_set(err, NW_EINVAL,
                          "%s: plugin was built for plugin ABI version %u but this "
                          "newswire-consumer speaks ABI version %d; rebuild the plugin "
                          "against this release's <newswire/plugin.h> "
                          "(docs/plugin-guide.md)",
                          origin, (unsigned)d->abi_version, NW_PLUGIN_ABI_VERSION);
    /* ABI 2 minor 0 is the least a version-2 descriptor holds (plugin.h rule 3) */
    size_t least = offsetof(nw_plugin_descriptor, revoked) + sizeof d->revoked;
    if (d->struct_size < least)
        return nw_err_set(err, NW_EINVAL,
                          "%s: plugin descriptor is %u bytes, less than ABI version %d's %zu; "
                          "start it with NW_PLUGIN_DESCRIPTOR_HEAD",
                          origin, (unsigned)d->struct_size, NW_PLUGIN_ABI_VERSION, least);
    if (!d->name || !*d->name)
        return nw_err_set(err, NW_EINVAL, "%s: plugin descriptor has no name", origin);
    if (d->kind != NW_PLUGIN_FILTER && d->kind != NW_PLUGIN_SINK)
        return nw_err_set(err, NW_EINVAL, "%s: plugin '%s' has unknown kind %d", origin, d->name,
                          (int)d->kind);
    if (!d->init || !d->destroy)
        return nw_err_set(err, NW_EINVAL, "%s: plugin '%s' lacks init or destroy", origin, d->name);
    if (d->kind == NW_PLUGIN_FILTER && !d->process)
        return nw_err_set(err, NW_EINVAL, "%s: filter plugin '%s' has no process callback", origin,
                          d->name);
    if (d->kind == NW_PLUGIN_SINK && (!d->write || !d->flush))
        return nw_err_set(err, NW_EINVAL, "%s: sink plugin '%s' has no %s callback", origin,
                          d->name, !d->write ? "write" : "flush");
    /* a filter may leave flush NULL (plugin.h): the host checks before calling it */
    return nw_plugin_conf_check_map(d, origin, err) < 0 ? NW_EINVAL : 0;
}

int nw_plugin_registry_add(const nw_plugin_descriptor *desc, nw_err *err)
{
    if (nw_plugin_descriptor_check(desc, "registered plugin", err) < 0)
        return NW_EINVAL;
    if (nw_plugin_registry_find(desc->name))
        return nw_err_set(err, NW_EINVAL, "plugin '%s' is already registered", desc->name);
    if (extra_count == NW_PLUGIN_REGISTRY_MAX_EXTRA)
        return nw_err_set(err, NW_ELIMIT, "plugin registry is full (%d extra plugins)",
                          NW_PLUGIN_REGISTRY_MAX_EXTRA);
    extra_plugins[extra_count++] = desc;
    return 0;
}

/* ------------------------------------------------------------------------ */

struct nw_plugin_module {
    void *dl;
    const nw_plugin_descriptor *desc;
    char *path;
};

int nw_plugin_module_open(const char *path, nw_plugin_module **out, nw_err *err)
{
    *out = NULL;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        return nw_err_set(err, NW_EINVAL, "cannot load plugin %s: %s", path,
                          why ? why : "unknown dlopen error");
    }
    dlerror();
    const nw_plugin_descriptor *d = dlsym(dl, NW_PLUGIN_ENTRY_SYMBOL);
    if (!d) {
        dlclose(dl);
        return nw_err_set(err, NW_EINVAL,
                          "%s is not a newswire plugin: it does not export the symbol '%s' "
                          "(define `const nw_plugin_descriptor %s`)",
                          path, NW_PLUGIN_ENTRY_SYMBOL, NW_PLUGIN_ENTRY_SYMBOL);
    }
    if (nw_plugin_descriptor_check(d, path, err) < 0) {
        dlclose(dl);
        return NW_EINVAL;
    }
    nw_plugin_module *mod = calloc(1, sizeof *mod);
    if (!mod || !(mod->path = strdup(path))) {
        free(mod);
        dlclose(dl);
        return nw_err_set(err, NW_ENOMEM, "out of memory loading %s", path);
    }
    mod->dl = dl;
    mod->desc = d;
    *out = mod;
    return 0;
}

const nw_plugin_descriptor *nw_plugin_module_descriptor(const nw_plugin_module *mod)
{
    return mod->desc;
}

const char *nw_plugin_module_path(const nw_plugin_module *mod)
{
    return mod->path;
}

void nw_plugin_module_close(nw_plugin_module *mod)
{
    if (!mod)
        return;
    dlclose(mod->dl);
    free(mod->path);
    free(mod);
}
