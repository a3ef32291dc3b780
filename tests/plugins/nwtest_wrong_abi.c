/* A plugin that claims a future ABI version: the host must refuse it. */
#include <newswire/plugin.h>

const nw_plugin_descriptor nw_plugin_entry = {
    .abi_version = NW_PLUGIN_ABI_VERSION + 98,
    .name = "nwtest-wrong-abi",
    .kind = NW_PLUGIN_FILTER,
};
