/* A plugin built against ABI version 1 (its descriptor as that header laid
 * it out): the host must refuse it, naming the file and both versions. */
#include <stdint.h>

typedef struct abi1_descriptor {
    uint32_t abi_version;
    const char *name;
    int kind;
    const char *description;
} abi1_descriptor;

const abi1_descriptor nw_plugin_entry = {1, "nwtest-abi1", 1, "an ABI 1 plugin"};
