/*
 * fuzz_config — libFuzzer target for the YAML config loader: any bytes either
 * load into a tree (which we then walk completely) or fail with a message that
 * names the origin. Aliases, depth and size limits keep it bounded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const nw_cfg_node *node)
{
    if (!node)
        return;
    (void)nw_cfg_path(node);
    (void)nw_cfg_line(node);
    switch (nw_cfg_kind_of(node)) {
    case NW_CFG_MAP:
        for (size_t i = 0; i < nw_cfg_len(node); i++) {
            (void)nw_cfg_key_at(node, i);
            walk(nw_cfg_value_at(node, i));
        }
        break;
    case NW_CFG_SEQ:
        for (size_t i = 0; i < nw_cfg_len(node); i++)
            walk(nw_cfg_item(node, i));
        break;
    default: {
        nw_err err;
        int64_t ms;
        uint64_t bytes;
        (void)nw_cfg_as_duration_ms(node, &ms, &err);
        (void)nw_cfg_as_size(node, &bytes, &err);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_config *cfg = NULL;
    nw_err err;
    if (nw_config_load_string((const char *)data, size, "fuzz", &cfg, &err) != 0) {
        if (strncmp(err.msg, "fuzz", 4) != 0)
            abort(); /* every error must name its origin */
        return 0;
    }
    walk(nw_config_root(cfg));
    nw_config_free(cfg);
    return 0;
}
