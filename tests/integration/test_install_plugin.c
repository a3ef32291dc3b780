/*
 * test_install_plugin — what a third party does: `cmake --install` newswire
 * into a prefix, build a plugin against the installed <newswire/plugin.h>
 * alone (no newswire source or library), and have the consumer host load it
 * by path. tests/plugins/nwtest_filter.c is the example plugin.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_plugin_registry.h"
#include "nw_testutil.h"

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static const char *find_cmd(const char *const *candidates)
{
    for (; *candidates; candidates++)
        if (access(*candidates, X_OK) == 0)
            return *candidates;
    return NULL;
}

Test(install, a_plugin_built_against_the_installed_header_loads, .timeout = 240)
{
    char *tmp = nw_test_mkdtemp("install");
    cr_assert_not_null(tmp);
    char prefix[4096], so[4200], header[4200], consumer[4200];
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    static const char *const cmakes[] = {"/usr/bin/cmake", "/usr/local/bin/cmake", NULL};
    const char *cmake = find_cmd(cmakes);
    cr_assert_not_null(cmake, "cmake not found");
    const char *bin = getenv("NW_BIN_DIR");
    cr_assert_not_null(bin);

    char *out = NULL, *err = NULL;
    char *install[] = {(char *)cmake, "--install", (char *)bin, "--prefix", prefix, NULL};
    int rc = nw_test_run(install, NULL, 180, &out, &err);
    cr_assert_eq(rc, 0, "cmake --install failed (%d): %s%s", rc, out, err);
    free(out);
    free(err);

    snprintf(header, sizeof header, "%s/include/newswire/plugin.h", prefix);
    snprintf(consumer, sizeof consumer, "%s/bin/newswire-consumer", prefix);
    cr_assert(exists(header), "%s not installed", header);
    cr_assert(exists(consumer), "%s not installed", consumer);

    /* the example plugin, compiled with nothing but the installed header */
    static const char *const ccs[] = {"/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", NULL};
    const char *cc = find_cmd(ccs);
    cr_assert_not_null(cc, "no C compiler");
    const char *src_dir = getenv("NW_SOURCE_DIR");
    char src[4200], inc[4200];
    snprintf(src, sizeof src, "%s/tests/plugins/nwtest_filter.c", src_dir ? src_dir : ".");
    snprintf(inc, sizeof inc, "-I%s/include", prefix);
    snprintf(so, sizeof so, "%s/my_filter.so", tmp);
    char *build[] = {(char *)cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared",
                     "-fPIC",    inc,        src,     "-o",      so,        NULL};
    rc = nw_test_run(build, NULL, 120, &out, &err);
    cr_assert_eq(rc, 0, "building the plugin failed (%d): %s%s", rc, out, err);
    free(out);
    free(err);

    nw_plugin_module *mod = NULL;
    nw_err e;
    cr_assert_eq(nw_plugin_module_open(so, &mod, &e), 0, "%s", e.msg);
    const nw_plugin_descriptor *d = nw_plugin_module_descriptor(mod);
    cr_assert_not_null(d);
    cr_assert_eq(d->abi_version, NW_PLUGIN_ABI_VERSION);
    cr_assert_eq(d->kind, NW_PLUGIN_FILTER);
    nw_plugin_module_close(mod);
    nw_test_rm_rf(tmp);
    free(tmp);
}
