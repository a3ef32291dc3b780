/*
 * test_consumer_conf — the consumer's own settings read through the same
 * config-map tables and parsers as plugin settings: values and defaults,
 * and every kind of error (unknown key, wrong type, out of range, missing
 * required key, a section that is not a map, retry.max below
 * retry.initial, a bad topic) naming file, line and key and what was
 * expected; the tables pass the same check as a plugin's, and --describe
 * prints them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_consumer_conf.h"

static nw_config *cfg;
static nw_consumer_settings cs;

static void teardown(void)
{
    nw_consumer_settings_free(&cs);
    nw_config_free(cfg);
    cfg = NULL;
}

TestSuite(consumer_conf, .fini = teardown);

static int read_yaml(const char *yaml, nw_err *err)
{
    nw_config_free(cfg);
    cfg = NULL;
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "c.yaml", &cfg, err), 0, "%s", err->msg);
    return nw_consumer_settings_read(cfg, &cs, err);
}

/* `yaml` is refused with a message that starts with `prefix` and holds
 * `needle` (when not NULL). */
static void expect_error(const char *yaml, const char *prefix, const char *needle)
{
    nw_err err = {0};
    cr_assert_lt(read_yaml(yaml, &err), 0, "accepted:\n%s", yaml);
    cr_expect(!strncmp(err.msg, prefix, strlen(prefix)), "'%s' does not start with '%s'", err.msg,
              prefix);
    if (needle)
        cr_expect(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
    cr_expect_null(cs.group, "nothing kept on failure");
}

#define CHAIN "chain: [{plugin: archive-fs, root: /tmp/x}]\n"

Test(consumer_conf, defaults)
{
    nw_err err = {0};
    cr_assert_eq(read_yaml(CHAIN, &err), 0, "%s", err.msg);
    cr_expect_str_eq(cs.group, "newswire-consumer");
    cr_expect_eq(cs.ntopics, 0);
    cr_expect_null(cs.topics);
    cr_expect_eq(cs.workers, 1);
    cr_expect_eq(cs.max_buffered_bytes, 64u << 20);
    cr_expect_eq(cs.revoke_timeout_ms, 10000);
    cr_expect_str_eq(cs.dlq_topic, "news.dlq");
    cr_expect_str_eq(cs.topic_prefix, "news.");
    cr_expect_eq(cs.batch_max_messages, 500);
    cr_expect_eq(cs.batch_max_ms, 1000);
    cr_expect_eq(cs.retry_initial_ms, 100);
    cr_expect_eq(cs.retry_max_ms, 30000);
    cr_expect_str_eq(cs.http_listen_addr, NW_CONSUMER_HTTP_DEFAULT);
    cr_expect_null(cs.http_listen);
    cr_expect_null(cs.kafka);
    cr_expect_not_null(cs.chain);
}

Test(consumer_conf, every_setting_read)
{
    nw_err err = {0};
    const char *yaml = "kafka: {bootstrap.servers: [a:9092, b:9092]}\n"
                       "group: archive\n"
                       "topics: [news.world, \"^news\\\\.s.*\"]\n"
                       "batch: {max_messages: 37, max_ms: 20ms}\n"
                       "workers: 4\n"
                       "max_buffered_bytes: 1MiB\n"
                       "retry: {initial: 5ms, max: 2s}\n"
                       "revoke_timeout: 3s\n"
                       "http: {listen: \"\"}\n"
                       "dlq_topic: \"\"\n"
                       "topic_prefix: wire.\n" CHAIN;
    cr_assert_eq(read_yaml(yaml, &err), 0, "%s", err.msg);
    cr_expect_str_eq(cs.group, "archive");
    cr_assert_eq(cs.ntopics, 2);
    cr_expect_str_eq(cs.topics[0], "news.world");
    cr_expect_str_eq(cs.topics[1], "^news\\.s.*");
    cr_expect_eq(cs.batch_max_messages, 37);
    cr_expect_eq(cs.batch_max_ms, 20);
    cr_expect_eq(cs.workers, 4);
    cr_expect_eq(cs.max_buffered_bytes, 1u << 20);
    cr_expect_eq(cs.retry_initial_ms, 5);
    cr_expect_eq(cs.retry_max_ms, 2000);
    cr_expect_eq(cs.revoke_timeout_ms, 3000);
    cr_expect_str_eq(cs.http_listen_addr, "");
    cr_expect_not_null(cs.http_listen);
    cr_expect_str_eq(cs.dlq_topic, "");
    cr_expect_str_eq(cs.topic_prefix, "wire.");
    cr_expect_not_null(cs.kafka, "the kafka map is passed through, lists included");
}

Test(consumer_conf, one_topic_is_a_list_of_one)
{
    nw_err err = {0};
    cr_assert_eq(read_yaml("topics: news.world\n" CHAIN, &err), 0, "%s", err.msg);
    cr_assert_eq(cs.ntopics, 1);
    cr_expect_str_eq(cs.topics[0], "news.world");
}

Test(consumer_conf, environment_overrides_are_read_by_the_same_parsers)
{
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(CHAIN, strlen(CHAIN), "c.yaml", &cfg, &err), 0);
    char *env[] = {"NEWSWIRE_WORKERS=3", "NEWSWIRE_BATCH__MAX_MS=50ms", NULL};
    cr_assert_eq(nw_config_apply_env(cfg, env, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_consumer_settings_read(cfg, &cs, &err), 0, "%s", err.msg);
    cr_expect_eq(cs.workers, 3);
    cr_expect_eq(cs.batch_max_ms, 50);

    nw_consumer_settings_free(&cs);
    char *bad[] = {"NEWSWIRE_WORKERS=many", NULL};
    cr_assert_eq(nw_config_apply_env(cfg, bad, &err), 0, "%s", err.msg);
    cr_assert_lt(nw_consumer_settings_read(cfg, &cs, &err), 0);
    cr_expect(strstr(err.msg, "env NEWSWIRE_WORKERS") && strstr(err.msg, "workers"), "%s", err.msg);
}

Test(consumer_conf, unknown_key_names_file_line_key_and_what_is_accepted)
{
    expect_error("grop: x\n" CHAIN,
                 "c.yaml:1: grop: unknown key 'grop' (consumer accepts: kafka, group, topics",
                 "chain");
    expect_error(CHAIN "batch:\n  max_message: 5\n",
                 "c.yaml:3: batch.max_message: unknown key 'max_message' (batch accepts: "
                 "max_messages, max_ms)",
                 NULL);
    expect_error(CHAIN "http: {port: 9}\n", "c.yaml:2: http.port: unknown key 'port'", "listen");
    expect_error(CHAIN "retry: {intial: 5ms}\n", "c.yaml:2: retry.intial: unknown key", NULL);
}

Test(consumer_conf, wrong_type)
{
    expect_error(CHAIN "workers: many\n", "c.yaml:2: workers: expected an integer", "'many'");
    expect_error(CHAIN "revoke_timeout: 10\n", "c.yaml:2: revoke_timeout:", "no unit");
    expect_error(CHAIN "max_buffered_bytes: lots\n", "c.yaml:2: max_buffered_bytes:", "size");
    expect_error(CHAIN "group: [a, b]\n", "c.yaml:2: group:", "a list");
    expect_error(CHAIN "topics: {a: b}\n", "c.yaml:2: topics: expected a list of strings", NULL);
    expect_error(CHAIN "batch: 5\n",
                 "c.yaml:2: batch: expected a map of settings, got a plain value", NULL);
    expect_error(CHAIN "retry: [1s]\n", "c.yaml:2: retry: expected a map of settings, got a list",
                 NULL);
}

Test(consumer_conf, out_of_range)
{
    expect_error(CHAIN "workers: 0\n", "c.yaml:2: workers: expected an integer between 1 and 64",
                 "'0'");
    expect_error(CHAIN "workers: 65\n", "c.yaml:2: workers:", "65");
    expect_error(CHAIN "batch: {max_messages: 0}\n",
                 "c.yaml:2: batch.max_messages:", "between 1 and 1000000");
    expect_error(CHAIN "retry: {initial: 0ms}\n",
                 "c.yaml:2: retry.initial: expected duration of at least 1 ms, got '0ms'", NULL);
    expect_error(CHAIN "retry: {initial: 2s, max: 1s}\n",
                 "c.yaml:2: retry.max: retry.max (1000 ms) is below retry.initial (2000 ms)", NULL);
}

Test(consumer_conf, missing_required_and_empty_values)
{
    expect_error("workers: 2\n", "c.yaml:1: missing required key 'chain'", NULL);
    expect_error(CHAIN "group: \"\"\n", "c.yaml:2: group: expected a non-empty string", NULL);
    expect_error(CHAIN "topics: []\n", "c.yaml:2: topics: expected a non-empty list", NULL);
    expect_error(CHAIN "topics: [news.a, \"\"]\n",
                 "c.yaml:2: topics[1]: expected a topic name, got an empty value", NULL);
    expect_error(CHAIN "topics: [news.a, \"^news\\\\.(\"]\n",
                 "c.yaml:2: topics[1]: bad regular expression '^news\\.('", NULL);
}

Test(consumer_conf, tables_pass_the_plugin_table_check)
{
    size_t n = 0;
    for (const nw_plugin_descriptor *d; (d = nw_consumer_settings_table(n)); n++) {
        nw_err err = {0};
        cr_expect_eq(nw_plugin_conf_check_map(d, "consumer", &err), 0, "%s", err.msg);
    }
    cr_expect_eq(n, 4);
}

Test(consumer_conf, describe_prints_key_type_default_and_description)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    nw_consumer_settings_describe(out);
    fclose(out);
    const char *rows[] = {"KEY",
                          "workers                  int        1 ",
                          "chain                    list       (required)",
                          "batch.max_messages       int        500",
                          "retry.initial            duration   100ms",
                          "http.listen              string     127.0.0.1:9465",
                          "revoke_timeout           duration   10s"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(strstr(text, rows[i]), "'%s' not in:\n%s", rows[i], text);
    free(text);
}
