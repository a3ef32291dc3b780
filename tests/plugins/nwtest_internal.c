/* A plugin that calls a host-internal function (nw_chain_len, of the
 * consumer's chain runner), not part of <newswire/plugin.h>: the consumer
 * exports no internals, so loading it must fail with a clear error. */
#include <newswire/plugin.h>
#include <stdlib.h>

size_t nw_chain_len(const void *chain);

static void *internal_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    (void)err;
    (void)errlen;
    return malloc(nw_chain_len(NULL) + 1);
}

static nw_plugin_status internal_process(void *st, nw_plugin_msg *msg, char *err, size_t errlen)
{
    (void)st;
    (void)msg;
    (void)err;
    (void)errlen;
    return NW_PLUGIN_OK;
}

const nw_plugin_descriptor nw_plugin_entry = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "nwtest-internal",
    .version = "1.0.0",
    .kind = NW_PLUGIN_FILTER,
    .description = "uses a host internal",
    .init = internal_init,
    .process = internal_process,
    .destroy = free,
};
