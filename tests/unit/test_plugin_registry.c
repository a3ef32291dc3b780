/*
 * test_plugin_registry — built-in lookup, unknown plugins, and loading
 * out-of-tree plugins by path: a good one, one built for another ABI
 * version, and a shared object that is not a plugin at all.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_fs.h"
#include "nw_chain.h"
#include "nw_plugin_registry.h"
#include "nw_testutil.h"

static char *plugin_path(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/plugins/%s.so", name);
    return nw_test_bin_path(rel);
}

Test(plugin_registry, finds_builtin_archive_fs)
{
    const nw_plugin_descriptor *d = nw_plugin_registry_find("archive-fs");
    cr_assert_not_null(d);
    cr_assert_eq(d, &nw_plugin_archive_fs);
    cr_assert_eq(d->kind, NW_PLUGIN_SINK);
    cr_assert_eq(d->abi_version, NW_PLUGIN_ABI_VERSION);
    cr_assert_eq(nw_plugin_descriptor_check(d, "built-in", NULL), 0);
    cr_assert_geq(nw_plugin_registry_count(), 1);
    bool listed = false;
    for (size_t i = 0; i < nw_plugin_registry_count(); i++)
        listed |= nw_plugin_registry_at(i) == d;
    cr_assert(listed);
}

Test(plugin_registry, unknown_name_is_null)
{
    cr_assert_null(nw_plugin_registry_find("archive-ftp"));
    cr_assert_null(nw_plugin_registry_find(""));
    cr_assert_null(nw_plugin_registry_find(NULL));
}

Test(plugin_registry, unknown_plugin_in_chain_names_it_and_the_builtins)
{
    const char *yaml = "chain:\n  - plugin: archive-ftp\n    root: /tmp/x\n";
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "c.yaml", &cfg, &err), 0, "%s", err.msg);
    nw_chain *chain = NULL;
    cr_assert_lt(nw_chain_new(nw_cfg_get(nw_config_root(cfg), "chain"), "c.yaml", &chain, &err), 0);
    cr_assert_null(chain);
    cr_assert(strstr(err.msg, "unknown plugin 'archive-ftp'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "archive-fs"), "built-ins listed: %s", err.msg);
    cr_assert(strstr(err.msg, "c.yaml:2"), "line named: %s", err.msg);
    nw_config_free(cfg);
}

Test(plugin_registry, loads_plugin_by_path)
{
    char *path = plugin_path("nwtest_filter");
    nw_plugin_module *mod = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_plugin_module_open(path, &mod, &err), 0, "%s", err.msg);
    const nw_plugin_descriptor *d = nw_plugin_module_descriptor(mod);
    cr_assert_str_eq(d->name, "nwtest-filter");
    cr_assert_eq(d->kind, NW_PLUGIN_FILTER);
    cr_assert_str_eq(nw_plugin_module_path(mod), path);
    nw_plugin_module_close(mod);
    free(path);
}

Test(plugin_registry, refuses_other_abi_version_with_clear_message)
{
    char *path = plugin_path("nwtest_wrong_abi");
    nw_plugin_module *mod = (nw_plugin_module *)1;
    nw_err err = {0};
    cr_assert_lt(nw_plugin_module_open(path, &mod, &err), 0);
    cr_assert_null(mod);
    cr_assert(strstr(err.msg, path), "names the file: %s", err.msg);
    char want[128];
    snprintf(want, sizeof want, "ABI version %d but this newswire-consumer speaks ABI version %d",
             NW_PLUGIN_ABI_VERSION + 98, NW_PLUGIN_ABI_VERSION);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert(strstr(err.msg, "rebuild"), "says what to do: %s", err.msg);
    free(path);
}

Test(plugin_registry, refuses_shared_object_without_entry)
{
    char *path = plugin_path("nwtest_no_entry");
    nw_plugin_module *mod = NULL;
    nw_err err = {0};
    cr_assert_lt(nw_plugin_module_open(path, &mod, &err), 0);
    cr_assert(strstr(err.msg, "not a newswire plugin"), "%s", err.msg);
    cr_assert(strstr(err.msg, NW_PLUGIN_ENTRY_SYMBOL), "%s", err.msg);
    free(path);
}

Test(plugin_registry, missing_file_is_an_error)
{
    nw_plugin_module *mod = NULL;
    nw_err err = {0};
    cr_assert_lt(nw_plugin_module_open("/nonexistent/plugin.so", &mod, &err), 0);
    cr_assert(strstr(err.msg, "cannot load plugin /nonexistent/plugin.so"), "%s", err.msg);
}

Test(plugin_registry, wrong_abi_by_path_in_chain_fails_with_line)
{
    char *path = plugin_path("nwtest_wrong_abi");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "chain:\n  - path: %s\n", path);
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "c.yaml", &cfg, &err), 0, "%s", err.msg);
    nw_chain *chain = NULL;
    cr_assert_lt(nw_chain_new(nw_cfg_get(nw_config_root(cfg), "chain"), "c.yaml", &chain, &err), 0);
    cr_assert(strstr(err.msg, "c.yaml:2"), "%s", err.msg);
    cr_assert(strstr(err.msg, "ABI version"), "%s", err.msg);
    nw_config_free(cfg);
    free(path);
}

static void *noop_init(const nw_plugin_config *c, char *e, size_t n)
{
    return (void *)1;
}
static nw_plugin_status noop_flush(void *s, char *e, size_t n)
{
    return NW_PLUGIN_OK;
}
static void noop_destroy(void *s)
{
}
static nw_plugin_status noop_write(void *s, nw_plugin_msg *const *b, size_t n, size_t *f, char *e,
                                   size_t l)
{
    return NW_PLUGIN_OK;
}

Test(plugin_registry, add_checks_descriptor_and_name)
{
    static const nw_plugin_descriptor bad = {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "reg-bad",
                                             .kind = NW_PLUGIN_FILTER,  .description = "no process",
                                             .init = noop_init,         .flush = noop_flush,
                                             .destroy = noop_destroy};
    static const nw_plugin_descriptor dup = {
        NW_PLUGIN_DESCRIPTOR_HEAD, .name = "archive-fs", .kind = NW_PLUGIN_SINK, .init = noop_init,
        .write = noop_write,       .flush = noop_flush,  .destroy = noop_destroy};
    nw_err err = {0};
    cr_assert_lt(nw_plugin_registry_add(&bad, &err), 0);
    cr_assert(strstr(err.msg, "no process callback"), "%s", err.msg);
    cr_assert_lt(nw_plugin_registry_add(&dup, &err), 0);
    cr_assert(strstr(err.msg, "already registered"), "%s", err.msg);
    cr_assert_null(nw_plugin_registry_find("reg-bad"));
}

Test(plugin_registry, refuses_an_abi_1_plugin_naming_file_and_both_versions)
{
    char *path = plugin_path("nwtest_abi1");
    nw_plugin_module *mod = NULL;
    nw_err err = {0};
    cr_assert_lt(nw_plugin_module_open(path, &mod, &err), 0);
    cr_assert_null(mod);
    cr_assert(strstr(err.msg, path), "names the file: %s", err.msg);
    char want[128];
    snprintf(want, sizeof want, "ABI version 1 but this newswire-consumer speaks ABI version %d",
             NW_PLUGIN_ABI_VERSION);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    free(path);
}

/* The consumer exports none of its internals: a plugin that calls one does
 * not load, and the error names the file and the symbol. */
Test(plugin_registry, a_plugin_using_a_host_internal_does_not_load)
{
    char *path = plugin_path("nwtest_internal");
    nw_plugin_module *mod = NULL;
    nw_err err = {0};
    cr_assert_lt(nw_plugin_module_open(path, &mod, &err), 0);
    cr_assert_null(mod);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "nw_chain_len"), "%s", err.msg);
    free(path);
}

typedef struct bad_conf {
    int64_t n;
} bad_conf;

Test(plugin_registry, config_maps_are_checked_when_registered)
{
    static const nw_plugin_config_entry outside[] = {
        {.key = "n", .type = NW_PLUGIN_T_INT, .offset = sizeof(bad_conf)}, {.key = NULL}};
    static const nw_plugin_config_entry bad_default[] = {
        {.key = "n", .type = NW_PLUGIN_T_INT, .default_value = "ten"}, {.key = NULL}};
    static const nw_plugin_config_entry no_choices[] = {{.key = "n", .type = NW_PLUGIN_T_ENUM},
                                                        {.key = NULL}};
    const nw_plugin_config_entry *maps[] = {outside, bad_default, no_choices};
    const char *want[] = {"outside its config struct", "default of 'n' does not parse",
                          "has no choices"};
    for (size_t i = 0; i < 3; i++) {
        nw_plugin_descriptor d = {
            NW_PLUGIN_DESCRIPTOR_HEAD, .name = "reg-map",
            .kind = NW_PLUGIN_SINK,    NW_PLUGIN_CONFIG_MAP(maps[i], bad_conf),
            .init = noop_init,         .write = noop_write,
            .flush = noop_flush,       .destroy = noop_destroy};
        nw_err err = {0};
        cr_assert_lt(nw_plugin_descriptor_check(&d, "test", &err), 0);
        cr_assert(strstr(err.msg, want[i]), "%s", err.msg);
    }
}
