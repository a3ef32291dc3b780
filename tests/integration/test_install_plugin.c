/*
 * test_install_plugin — what a third party does: `cmake --install` newswire
 * into a prefix, build a plugin against the installed <newswire/plugin.h>
 * alone (no newswire source or library), and have the consumer host load it
 * by path. tests/plugins/nwtest_filter.c is the example plugin. Also what
 * else the install holds: the pkg-config file (its flags build the plugin),
 * the plugin directory, the systemd units with the prefix's paths, their
 * sysusers.d entry and the example configs.
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

    /* the pkg-config file, the plugin directory, the units with the
     * prefix's paths and their sysusers.d entry, the example configs */
    char path[4400];
    snprintf(path, sizeof path, "%s/lib/systemd/system/newswire-consumer.service", prefix);
    char *unit = nw_test_read_file(path, NULL);
    cr_assert_not_null(unit, "%s not installed", path);
    char want[8400];
    snprintf(want, sizeof want, "ExecStart=%s/bin/newswire-consumer --config %s/etc/newswire/",
             prefix, prefix);
    cr_assert(strstr(unit, want), "unit paths do not match the prefix:\n%s", unit);
    cr_assert(strstr(unit, "User=newswire") && !strstr(unit, "@CMAKE") && !strstr(unit, "@NW_"),
              "%s", unit);
    free(unit);
    snprintf(path, sizeof path, "%s/lib/systemd/system/newswire-producer.service", prefix);
    unit = nw_test_read_file(path, NULL);
    cr_assert_not_null(unit, "%s not installed", path);
    snprintf(want, sizeof want, "ExecStart=%s/bin/newswire-producer", prefix);
    cr_assert(strstr(unit, want), "%s", unit);
    free(unit);
    snprintf(path, sizeof path, "%s/lib/sysusers.d/newswire.conf", prefix);
    char *users = nw_test_read_file(path, NULL);
    cr_assert(users && strstr(users, "u newswire"), "%s missing or without the user", path);
    free(users);
    snprintf(path, sizeof path, "%s/share/newswire/examples/consumer-archive.yaml", prefix);
    cr_assert(exists(path), "%s not installed", path);
    char libdir[4200] = "";
    static const char *const libdirs[] = {"lib", "lib64", "lib/x86_64-linux-gnu",
                                          "lib/aarch64-linux-gnu", NULL};
    for (size_t i = 0; libdirs[i] && !libdir[0]; i++) {
        snprintf(path, sizeof path, "%s/%s/pkgconfig/newswire-plugin.pc", prefix, libdirs[i]);
        if (exists(path))
            snprintf(libdir, sizeof libdir, "%s/%s", prefix, libdirs[i]);
    }
    cr_assert(libdir[0], "newswire-plugin.pc not installed");
    snprintf(path, sizeof path, "%s/newswire/plugins", libdir);
    cr_assert(exists(path), "plugin directory %s not installed", path);

    /* pkg-config --cflags --libs newswire-plugin, as a plugin author runs it */
    snprintf(path, sizeof path, "%s/pkgconfig", libdir);
    setenv("PKG_CONFIG_PATH", path, 1);
    static const char *const pkgconfigs[] = {"/usr/bin/pkg-config", "/usr/bin/pkgconf", NULL};
    const char *pkgconfig = find_cmd(pkgconfigs);
    cr_assert_not_null(pkgconfig, "pkg-config not found");
    char *pc[] = {(char *)pkgconfig, "--cflags", "--libs", "newswire-plugin", NULL};
    rc = nw_test_run(pc, NULL, 60, &out, &err);
    cr_assert_eq(rc, 0, "pkg-config failed (%d): %s%s", rc, out, err);
    /* its -I names the installed include directory: compile with it */
    char inc[4200] = "", header_dir[4200 + sizeof "/newswire/plugin.h"];
    sscanf(out, "%4199s", inc);
    snprintf(header_dir, sizeof header_dir, "%s/newswire/plugin.h", inc + 2);
    cr_assert(!strncmp(inc, "-I", 2) && exists(header_dir) && strstr(out, "-ljansson"), "flags: %s",
              out);
    free(out);
    free(err);

    /* the example plugin, compiled with nothing but the installed header
     * (and jansson, whose tree the story is) */
    static const char *const ccs[] = {"/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", NULL};
    const char *cc = find_cmd(ccs);
    cr_assert_not_null(cc, "no C compiler");
    const char *src_dir = getenv("NW_SOURCE_DIR");
    char src[4200];
    snprintf(src, sizeof src, "%s/tests/plugins/nwtest_filter.c", src_dir ? src_dir : ".");
    snprintf(so, sizeof so, "%s/my_filter.so", tmp);
    char *build[] = {(char *)cc, "-std=c11", "-Wall", "-Wextra", "-Werror",   "-shared", "-fPIC",
                     inc,        src,        "-o",    so,        "-ljansson", NULL};
    rc = nw_test_run(build, NULL, 120, &out, &err);
    cr_assert_eq(rc, 0, "building the plugin failed (%d): %s%s", rc, out, err);
    free(out);
    free(err);

    /* the installed consumer loads it and reads its settings table */
    char *describe[] = {consumer, "--describe", so, NULL};
    rc = nw_test_run(describe, NULL, 60, &out, &err);
    cr_assert_eq(rc, 0, "--describe failed (%d): %s%s", rc, out, err);
    cr_assert(strstr(out, "nwtest-filter 1.0.0") && strstr(out, "drop_uri") && strstr(out, "list"),
              "%s", out);
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
    nw_test_rm_tmp(&tmp);
}
