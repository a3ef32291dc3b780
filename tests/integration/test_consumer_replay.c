/*
 * test_consumer_replay — `newswire-consumer --from-file`: the chain runs over
 * a JSON-lines file of ninjs stories (tests/fixtures/consumer/replay.jsonl:
 * three good stories, a blank line, a line that is not JSON, a story without
 * a category) and what the chain forwards (nwtest-sink with emit: true) lands
 * in --to-file with topic, key, headers and value; bad lines and permanent
 * failures go to --dlq-file with their line numbers, or to stderr with exit
 * 65 when there is no --dlq-file. Never silently dropped.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_testutil.h"

static char *tmp;

static void teardown(void)
{
    nw_test_rm_tmp(&tmp);
}

TestSuite(replay, .fini = teardown);

static char *write_config(const char *sink_settings)
{
    char *so = nw_test_bin_path("tests/plugins/nwtest_sink.so");
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "group: replay\n"
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "batch: {max_messages: 2}\n"
             "chain:\n"
             "  - path: %s\n"
             "    emit: true\n"
             "%s",
             so, sink_settings);
    free(so);
    char *path = nw_test_write_in(tmp, "consumer.yaml", yaml);
    cr_assert_not_null(path);
    return path;
}

/* The JSON lines of a file as an array. */
static json_t *read_lines(const char *path)
{
    char *text = nw_test_read_file(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    json_t *arr = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t e;
        json_t *v = json_loads(line, 0, &e);
        cr_assert_not_null(v, "%s: not JSON: %s: %s", path, e.text, line);
        json_array_append_new(arr, v);
    }
    free(text);
    return arr;
}

static int run(char **argv, char **errout)
{
    return nw_test_run(argv, NULL, 60, NULL, errout);
}

Test(replay, forwards_records_and_dead_letters_bad_lines_with_line_numbers)
{
    tmp = nw_test_mkdtemp("replay");
    char *config = write_config("    fatal_uri: urn:newswire:test:replay-5\n");
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *in = nw_test_fixture_path("consumer/replay.jsonl");
    char out[4096], dlq[4096];
    snprintf(out, sizeof out, "%s/out.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    char *argv[] = {bin,         "--config", config,       "--from-file", in,
                    "--to-file", out,        "--dlq-file", dlq,           NULL};
    char *errout = NULL;
    int rc = run(argv, &errout);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, errout);

    json_t *recs = read_lines(out);
    cr_assert_eq(json_array_size(recs), 2, "forwarded records: %zu", json_array_size(recs));
    const char *want_topic[] = {"enriched.mid-east", "enriched.americas"};
    const char *want_key[] = {"urn:newswire:test:replay-1", "urn:newswire:test:replay-2"};
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(recs, i);
        cr_assert_str_eq(json_string_value(json_object_get(r, "topic")), want_topic[i]);
        cr_assert_str_eq(json_string_value(json_object_get(r, "key")), want_key[i]);
        json_t *value = json_object_get(r, "value");
        cr_assert(json_is_object(value), "value is the story object");
        cr_assert_str_eq(json_string_value(json_object_get(value, "uri")), want_key[i]);
        /* headers: the host's origin header (input line) and the sink's own */
        json_t *h = json_object_get(r, "headers");
        cr_assert_eq(json_array_size(h), 2);
        cr_assert_str_eq(json_string_value(json_array_get(json_array_get(h, 0), 0)), "nw-origin");
        char origin_tail[16];
        snprintf(origin_tail, sizeof origin_tail, ":%zu", i + 1);
        const char *origin = json_string_value(json_array_get(json_array_get(h, 0), 1));
        cr_assert(origin && strstr(origin, "replay.jsonl") &&
                      !strcmp(origin + strlen(origin) - strlen(origin_tail), origin_tail),
                  "origin %s", origin);
        cr_assert_str_eq(json_string_value(json_array_get(json_array_get(h, 1), 0)), "nwtest-sink");
    }

    json_t *dead = read_lines(dlq);
    cr_assert_eq(json_array_size(dead), 3, "dead letters: %zu", json_array_size(dead));
    int lines[] = {4, 5, 6};
    const char *why[] = {"not a ninjs story", "no category", "simulated permanent failure"};
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_array_get(dead, i);
        cr_assert_eq(json_integer_value(json_object_get(d, "line")), lines[i]);
        cr_assert(strstr(json_string_value(json_object_get(d, "error")), why[i]), "%s",
                  json_string_value(json_object_get(d, "error")));
        cr_assert(json_is_string(json_object_get(d, "raw")));
    }
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(dead, 2), "plugin")),
                     "nwtest-sink");
    json_decref(recs);
    json_decref(dead);
    free(errout);
    free(in);
    free(bin);
    free(config);
}

Test(replay, without_a_dlq_file_bad_lines_are_reported_and_exit_is_65)
{
    tmp = nw_test_mkdtemp("replay-stderr");
    char *config = write_config("");
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *in = nw_test_fixture_path("consumer/replay.jsonl");
    char out[4096];
    snprintf(out, sizeof out, "%s/out.jsonl", tmp);
    char *argv[] = {bin, "--config", config, "--from-file", in, "--to-file", out, NULL};
    char *errout = NULL;
    int rc = run(argv, &errout);
    cr_assert_eq(rc, 65, "exit %d: %s", rc, errout);
    cr_assert(strstr(errout, "replay.jsonl:4: not a ninjs story"), "%s", errout);
    cr_assert(strstr(errout, "replay.jsonl:5: the story has no category"), "%s", errout);
    json_t *recs = read_lines(out);
    cr_assert_eq(json_array_size(recs), 3, "3 good stories forwarded");
    json_decref(recs);
    free(errout);
    free(in);
    free(bin);
    free(config);
}

Test(replay, topic_option_overrides_the_category_and_retries_are_retried)
{
    tmp = nw_test_mkdtemp("replay-topic");
    char *config = write_config("    retries: 2\n");
    /* fast back-off for the retries */
    char *text = nw_test_read_file(config, NULL);
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "retry: {initial: 10ms, max: 20ms}\n%s", text);
    cr_assert_eq(nw_test_write_file(config, yaml, strlen(yaml)), 0);
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *in = nw_test_fixture_path("consumer/replay.jsonl");
    char out[4096], dlq[4096];
    snprintf(out, sizeof out, "%s/out.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    char *argv[] = {bin,          "--config", config,    "--from-file", in,  "--to-file", out,
                    "--dlq-file", dlq,        "--topic", "news.custom", NULL};
    char *errout = NULL;
    int rc = run(argv, &errout);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, errout);
    cr_assert(strstr(errout, "simulated outage"), "the retries were logged: %s", errout);
    json_t *recs = read_lines(out);
    /* with --topic the category-less story is fine too: 4 forwarded */
    cr_assert_eq(json_array_size(recs), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, i), "topic")),
                         "enriched.custom");
    json_decref(recs);
    free(text);
    free(errout);
    free(in);
    free(bin);
    free(config);
}
