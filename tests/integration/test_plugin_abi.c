/*
 * test_plugin_abi — the consumer binary as an operator meets the plugin ABI:
 * --list-plugins (name, kind, version), --describe (a built-in's or a .so's
 * settings table), a plugin reaching for a host internal or built for ABI 1
 * refused at load with the file named, and a chain entry with a bad setting
 * refused before anything starts (exit 78, file:line:key).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_testutil.h"

static char *consumer(void)
{
    return nw_test_bin_path("consumers/newswire-consumer");
}

/* Run the consumer with up to 3 arguments; returns the exit status. */
static int run(const char *a1, const char *a2, const char *a3, char **out, char **err)
{
    char *bin = consumer();
    char *argv[] = {bin, (char *)a1, (char *)a2, (char *)a3, NULL};
    int rc = nw_test_run(argv, NULL, 60, out, err);
    free(bin);
    return rc;
}

Test(plugin_abi, list_plugins_names_kind_and_version)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(run("--list-plugins", NULL, NULL, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "VERSION"), "%s", out);
    cr_assert(strstr(out, "archive-fs") && strstr(out, "sink") && strstr(out, "0.1.0"), "%s", out);
    cr_assert(strstr(out, "dedup") && strstr(out, "filter"), "%s", out);
    free(out);
    free(err);
}

Test(plugin_abi, describe_prints_the_settings_table)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(run("--describe", "dedup", NULL, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "policy") && strstr(out, "enum") && strstr(out, "one of drop|mark|route"),
              "%s", out);
    cr_assert(strstr(out, "window") && strstr(out, "duration") && strstr(out, "72h"), "%s", out);
    cr_assert(strstr(out, "kafka") && strstr(out, "map"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(run("--describe", "archive-fs", NULL, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "root") && strstr(out, "(required)"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(run("--describe", "no-such-plugin", NULL, &out, &err), 64);
    cr_assert(strstr(err, "no-such-plugin"), "%s", err);
    free(out);
    free(err);
}

Test(plugin_abi, plugins_outside_the_abi_are_refused_by_name)
{
    char *internal = nw_test_bin_path("tests/plugins/nwtest_internal.so");
    char *out = NULL, *err = NULL;
    cr_assert_eq(run("--describe", internal, NULL, &out, &err), 78, "%s%s", out, err);
    cr_assert(strstr(err, internal) && strstr(err, "nw_chain_len"), "%s", err);
    free(out);
    free(err);
    char *abi1 = nw_test_bin_path("tests/plugins/nwtest_abi1.so");
    cr_assert_eq(run("--describe", abi1, NULL, &out, &err), 78);
    cr_assert(strstr(err, abi1) && strstr(err, "ABI version 1") && strstr(err, "ABI version 2"),
              "%s", err);
    free(out);
    free(err);
    free(internal);
    free(abi1);
}

Test(plugin_abi, a_bad_setting_stops_the_consumer_before_it_starts)
{
    char *tmp = nw_test_mkdtemp("plugin-abi");
    char cfg[4200], yaml[8600];
    snprintf(cfg, sizeof cfg, "%s/consumer.yaml", tmp);
    snprintf(yaml, sizeof yaml,
             "kafka:\n  bootstrap.servers: 127.0.0.1:1\n"
             "chain:\n  - plugin: archive-fs\n    root: %s/archive\n"
             "  - plugin: forward-kafka\n    flush_timeout: soon\n",
             tmp);
    cr_assert_eq(nw_test_write_file(cfg, yaml, strlen(yaml)), 0);
    char *out = NULL, *err = NULL;
    cr_assert_eq(run("--config", cfg, NULL, &out, &err), 78, "%s%s", out, err);
    char want[4400];
    snprintf(want, sizeof want, "%s:7: chain[1].flush_timeout:", cfg);
    cr_assert(strstr(err, want), "%s", err);
    free(out);
    free(err);
    /* no plugin's init ran: archive-fs never created its root */
    snprintf(cfg, sizeof cfg, "%s/archive", tmp);
    cr_assert_neq(access(cfg, F_OK), 0, "%s exists: archive-fs was initialised", cfg);
    nw_test_rm_rf(tmp);
    free(tmp);
}
