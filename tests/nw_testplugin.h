/*
 * nw_testplugin — unit tests call a plugin's callbacks directly: an instance
 * made outside a chain from key/value settings (checked by the host's config
 * map reader, exactly like a chain entry's) and the chain's story callbacks
 * for nw_chain_msg stories. Header-only; each test file gets its own list of
 * settings, freed by nw_test_plugin_free_all() (call it in a .fini).
 */
#ifndef NW_TESTPLUGIN_H
#define NW_TESTPLUGIN_H

#include <newswire/plugin.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "nw_chain.h"
#include "nw_plugin_conf.h"

static nw_plugin_conf **nw_test_confs;
static size_t nw_test_nconfs, nw_test_confs_cap;

/* d->init with settings from NULL-terminated "key", "value" pairs (see
 * nw_plugin_conf_init_pairs) and `base` (instance name, api, brokers, ...).
 * A NULL base->api: the chain's story callbacks only; a caller's own api
 * must carry them (nw_chain_story_api) and outlive the instance. */
static inline void *nw_test_plugin_openv(const nw_plugin_descriptor *d, nw_plugin_config base,
                                         char *err, size_t errlen, const char *const *pairs)
{
    static nw_plugin_api story_only;
    if (!base.api) {
        nw_chain_story_api(&story_only);
        base.api = &story_only;
    }
    nw_plugin_conf *conf = NULL;
    void *st = nw_plugin_conf_init_pairs(d, pairs, &base, &conf, err, errlen);
    if (conf && nw_test_nconfs == nw_test_confs_cap) {
        nw_test_confs_cap = nw_test_confs_cap ? 2 * nw_test_confs_cap : 16;
        nw_test_confs = realloc(nw_test_confs, nw_test_confs_cap * sizeof *nw_test_confs);
    }
    if (conf)
        nw_test_confs[nw_test_nconfs++] = conf; /* kept until nw_test_plugin_free_all */
    return st;
}

/* The same with the pairs as arguments, ending with NULL; api may be NULL. */
static inline void *nw_test_plugin_open(const nw_plugin_descriptor *d, const nw_plugin_api *api,
                                        char *err, size_t errlen, ...)
{
    const char *pairs[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, errlen);
    for (const char *k; n < 62 && (k = va_arg(ap, const char *));) {
        pairs[n++] = k;
        pairs[n++] = va_arg(ap, const char *);
    }
    va_end(ap);
    pairs[n] = NULL;
    return nw_test_plugin_openv(d, (nw_plugin_config){.api = api}, err, errlen, pairs);
}

/* Free the settings of every instance opened so far (after their destroy). */
static inline void nw_test_plugin_free_all(void)
{
    for (size_t i = 0; i < nw_test_nconfs; i++)
        nw_plugin_conf_free(nw_test_confs[i]);
    free(nw_test_confs);
    nw_test_confs = NULL;
    nw_test_nconfs = nw_test_confs_cap = 0;
}

#endif
