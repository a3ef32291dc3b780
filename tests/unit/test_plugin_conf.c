/*
 * test_plugin_conf — config maps: every type read into the plugin's struct
 * (bool, int, size, duration, number, string, enum, list, map), defaults,
 * and every kind of error (unknown key, wrong type, out of range, missing
 * required key, bad enum value) naming file, line and key.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nw_plugin_conf.h"

typedef struct typed {
    bool flag;
    int64_t count;
    uint64_t bytes;
    int64_t wait_ms;
    double ratio;
    const char *name;
    int mode;
    nw_plugin_list tags;
    nw_plugin_map props;
} typed;

static const nw_plugin_config_entry typed_map[] = {
    {.key = "flag",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "true",
     .offset = offsetof(typed, flag)},
    {.key = "count",
     .type = NW_PLUGIN_T_INT,
     .default_value = "3",
     .min = 1,
     .max = 10,
     .offset = offsetof(typed, count)},
    {.key = "bytes",
     .type = NW_PLUGIN_T_SIZE,
     .default_value = "1KiB",
     .offset = offsetof(typed, bytes)},
    {.key = "wait",
     .type = NW_PLUGIN_T_DURATION,
     .default_value = "250ms",
     .offset = offsetof(typed, wait_ms)},
    {.key = "ratio",
     .type = NW_PLUGIN_T_NUMBER,
     .default_value = "0.5",
     .min = 0,
     .max = 1,
     .offset = offsetof(typed, ratio)},
    {.key = "name",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(typed, name),
     .description = "what it is called"},
    {.key = "mode",
     .type = NW_PLUGIN_T_ENUM,
     .default_value = "fast",
     .choices = "slow|fast|off",
     .offset = offsetof(typed, mode)},
    {.key = "tags", .type = NW_PLUGIN_T_LIST, .offset = offsetof(typed, tags)},
    {.key = "props", .type = NW_PLUGIN_T_MAP, .offset = offsetof(typed, props)},
    {.key = NULL},
};

static const nw_plugin_descriptor typed_plugin = {NW_PLUGIN_DESCRIPTOR_HEAD, .name = "typed",
                                                  .kind = NW_PLUGIN_SINK,
                                                  NW_PLUGIN_CONFIG_MAP(typed_map, typed)};

static nw_config *cfg;
static nw_plugin_conf *conf;

static void teardown(void)
{
    nw_plugin_conf_free(conf);
    conf = NULL;
    nw_config_free(cfg);
    cfg = NULL;
}

TestSuite(plugin_conf, .fini = teardown);

/* Read `yaml` (a chain entry: "plugin: typed" plus settings). */
static int read_entry(const char *yaml, nw_err *err)
{
    nw_config_free(cfg);
    nw_plugin_conf_free(conf);
    cfg = NULL;
    conf = NULL;
    nw_err lerr = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "c.yaml", &cfg, &lerr), 0, "%s",
                 lerr.msg);
    static const char *const host_keys[] = {"plugin", NULL};
    return nw_plugin_conf_new(&typed_plugin, nw_config_root(cfg), host_keys, &conf, err);
}

Test(plugin_conf, the_table_itself_is_valid)
{
    nw_err err = {0};
    cr_assert_eq(nw_plugin_conf_check_map(&typed_plugin, "test", &err), 0, "%s", err.msg);
}

Test(plugin_conf, defaults_fill_what_is_not_set)
{
    nw_err err = {0};
    cr_assert_eq(read_entry("plugin: typed\nname: x\n", &err), 0, "%s", err.msg);
    const typed *t = nw_plugin_conf_struct(conf);
    cr_assert(t->flag);
    cr_assert_eq(t->count, 3);
    cr_assert_eq(t->bytes, 1024);
    cr_assert_eq(t->wait_ms, 250);
    cr_assert_float_eq(t->ratio, 0.5, 1e-9);
    cr_assert_str_eq(t->name, "x");
    cr_assert_eq(t->mode, 1);
    cr_assert_eq(t->tags.count, 0);
    cr_assert_eq(t->props.count, 0);
}

Test(plugin_conf, every_type_is_read_and_lists_and_maps_stay_what_they_are)
{
    nw_err err = {0};
    cr_assert_eq(read_entry("plugin: typed\nname: feed\nflag: off\ncount: 10\nbytes: 64MiB\n"
                            "wait: 2m\nratio: 0.25\nmode: slow\ntags: [a, 'b,c', d]\n"
                            "props:\n  acks: all\n  sasl: {mechanism: PLAIN}\n  empty:\n",
                            &err),
                 0, "%s", err.msg);
    const typed *t = nw_plugin_conf_struct(conf);
    cr_assert_not(t->flag);
    cr_assert_eq(t->count, 10);
    cr_assert_eq(t->bytes, 64ull << 20);
    cr_assert_eq(t->wait_ms, 120000);
    cr_assert_float_eq(t->ratio, 0.25, 1e-9);
    cr_assert_eq(t->mode, 0);
    cr_assert_eq(t->tags.count, 3);
    cr_assert_str_eq(t->tags.items[1], "b,c", "a comma inside an item is not a separator");
    cr_assert_eq(t->props.count, 3);
    cr_assert_str_eq(t->props.items[0].key, "acks");
    cr_assert_str_eq(t->props.items[1].key, "sasl.mechanism", "nested maps flatten with dots");
    cr_assert_str_eq(t->props.items[1].value, "PLAIN");
    cr_assert_str_eq(t->props.items[2].value, "");
    /* a single value is a list of one */
    cr_assert_eq(read_entry("plugin: typed\nname: x\ntags: solo\n", &err), 0, "%s", err.msg);
    t = nw_plugin_conf_struct(conf);
    cr_assert_eq(t->tags.count, 1);
    cr_assert_str_eq(t->tags.items[0], "solo");
}

static void expect(const char *yaml, const char *a, const char *b)
{
    nw_err err = {0};
    cr_assert_lt(read_entry(yaml, &err), 0, "accepted: %s", yaml);
    cr_assert_null(conf);
    cr_assert(strstr(err.msg, a), "'%s' not in: %s", a, err.msg);
    if (b)
        cr_assert(strstr(err.msg, b), "'%s' not in: %s", b, err.msg);
}

Test(plugin_conf, errors_name_file_line_key_and_what_was_expected)
{
    expect("plugin: typed\nname: x\ncolour: red\n", "c.yaml:3: colour: unknown key 'colour'",
           "typed accepts: flag, count");
    expect("plugin: typed\nflag: true\n", "missing required key 'name'", "what it is called");
    expect("plugin: typed\nname: ''\n", "missing required key 'name'", NULL);
    expect("plugin: typed\nname: x\nflag: 1\n", "c.yaml:3: flag: expected true or false", NULL);
    expect("plugin: typed\nname: x\ncount: 11\n",
           "c.yaml:3: count: expected an integer between 1 and 10", NULL);
    expect("plugin: typed\nname: x\ncount: three\n", "count: expected an integer", NULL);
    expect("plugin: typed\nname: x\nbytes: lots\n", "c.yaml:3: bytes:", NULL);
    expect("plugin: typed\nname: x\nwait: soon\n", "c.yaml:3: wait:", NULL);
    expect("plugin: typed\nname: x\nratio: 2\n", "c.yaml:3: ratio: expected number between 0 and 1",
           NULL);
    expect("plugin: typed\nname: x\nratio: nan\n", "ratio: expected a number", NULL);
    expect("plugin: typed\nname: x\nmode: turbo\n",
           "c.yaml:3: mode: expected one of slow, fast, off, got 'turbo'", NULL);
    expect("plugin: typed\nname: [a]\n", "c.yaml:2: name: expected a string", "got a list");
    expect("plugin: typed\nname: x\ntags: {a: b}\n", "c.yaml:3: tags: expected a list", NULL);
    expect("plugin: typed\nname: x\ntags: [[a]]\n", "tags[0]: expected a list of strings", NULL);
    expect("plugin: typed\nname: x\nprops: [a]\n", "c.yaml:3: props: expected a map", NULL);
    expect("plugin: typed\nname: x\nprops: {a: [b]}\n", "props.a: expected a string", NULL);
}

Test(plugin_conf, describe_prints_the_table)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    nw_plugin_conf_describe(&typed_plugin, f);
    fclose(f);
    cr_assert(strstr(buf, "KEY"), "%s", buf);
    cr_assert(strstr(buf, "wait") && strstr(buf, "duration") && strstr(buf, "250ms"), "%s", buf);
    cr_assert(strstr(buf, "(required)") && strstr(buf, "what it is called"), "%s", buf);
    cr_assert(strstr(buf, "one of slow|fast|off"), "%s", buf);
    free(buf);
}
