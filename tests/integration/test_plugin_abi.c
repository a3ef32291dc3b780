/*
 * test_plugin_abi — the consumer binary as an operator meets the plugin ABI:
 * --list-plugins (name, kind, version), --describe (a built-in's or a .so's
 * settings table), a plugin reaching for a host internal or built for ABI 1
 * refused at load with the file named, and a chain entry with a bad setting
 * refused before anything starts (exit 78, file:line:key), and partition
 * callbacks around a partition's stories in the real consumer.
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_kafka.h"
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
    nw_test_rm_tmp(&tmp);
}

/* The real consumer on the embedded broker: every partition is announced
 * (assigned) before its first story reaches the sink and revoked after its
 * last one was flushed. */
Test(plugin_abi, partitions_are_assigned_before_and_revoked_after_their_stories, .timeout = 120)
{
    char *tmp = nw_test_mkdtemp("plugin-abi-parts");
    nw_err err = {0};
    nw_broker *broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.parts", 2, &err), 0, "%s", err.msg);
    char errstr[512];
    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", nw_broker_bootstrap(broker), errstr,
                      sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
    for (int i = 0; i < 20; i++) {
        char key[64], value[128];
        snprintf(key, sizeof key, "urn:parts:%d", i);
        snprintf(value, sizeof value, "{\"uri\":\"%s\"}", key);
        cr_assert_eq(rd_kafka_producev(
                         p, RD_KAFKA_V_TOPIC("news.parts"), RD_KAFKA_V_PARTITION(i % 2),
                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, strlen(key)),
                         RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END),
                     0);
    }
    cr_assert_eq(rd_kafka_flush(p, 30000), 0);
    rd_kafka_destroy(p);

    char *sink = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char record[4200], yaml[12800];
    snprintf(record, sizeof record, "%s/record.txt", tmp);
    snprintf(yaml, sizeof yaml,
             "kafka:\n  bootstrap.servers: %s\ngroup: parts\ntopics: news.parts\n"
             "http:\n  listen: \"\"\nbatch:\n  max_messages: 4\n"
             "chain:\n  - path: %s\n    record: %s\n    partitions: true\n",
             nw_broker_bootstrap(broker), sink, record);
    nw_config *cfg = NULL;
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "parts.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    nw_consumer_opts opts = {.exit_when_idle_ms = 1000};
    nw_consumer *c = NULL;
    cr_assert_eq(nw_consumer_new(cfg, &opts, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_consumer_run(c, &err), 0, "%s", err.msg);
    nw_consumer_free(c);
    nw_config_free(cfg);

    char *text = nw_test_read_file(record, NULL);
    cr_assert_not_null(text);
    for (int part = 0; part < 2; part++) {
        char plus[64], minus[64], story[64];
        snprintf(plus, sizeof plus, "+news.parts %d\n", part);
        snprintf(minus, sizeof minus, "-news.parts %d\n", part);
        snprintf(story, sizeof story, "news.parts %d ", part);
        const char *a = strstr(text, plus), *r = strstr(text, minus);
        cr_assert(a && r, "partition %d events missing:\n%s", part, text);
        int stories = 0;
        for (const char *s = text; (s = strstr(s, story)); s++) {
            if (s > text && s[-1] != '\n')
                continue; /* inside a "+"/"-" line */
            cr_assert(s > a && s < r, "story line of partition %d outside its assignment:\n%s",
                      part, text);
            stories++;
        }
        cr_assert_eq(stories, 10, "partition %d: %d stories\n%s", part, stories, text);
    }
    free(text);
    free(sink);
    nw_broker_free(broker);
    nw_test_rm_tmp(&tmp);
}
