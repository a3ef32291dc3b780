/*
 * test_consumer_opensearch — chaos run of newswire-consumer with the
 * opensearch sink against tests/os_test_server.py, in replay mode (the
 * backfill path): 20,000 story versions (5,000 uris in four versions, every
 * ninth uri also killed at a version of its own), shuffled, with 30% of the
 * items answered 429 at random, while the consumer is SIGKILLed five times
 * during bulk requests and restarted; then a run to the end. The server
 * must hold every uri exactly once at its newest version, every killed uri
 * as its kill (content-free, never resurrected), and the index template
 * must have been installed from deploy/. The seed is printed; NW_OS_SEED=<n>
 * replays a run.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_testsink.h"
#include "nw_testutil.h"

#define URIS     5000
#define VERSIONS 4

static pid_t server = -1, consumer = -1;
static char *tmp;
static char base[64];

static void teardown(void)
{
    if (consumer > 0) {
        kill(consumer, SIGKILL);
        waitpid(consumer, NULL, 0);
    }
    if (server > 0)
        nw_test_stop(server, 5);
    nw_test_rm_tmp(&tmp);
}

TestSuite(consumer_opensearch, .fini = teardown, .timeout = 600);

static int kill_version(int u)
{
    return u % 9 == 0 ? 1 + u % 3 : 0;
}

static void write_stream(const char *path, unsigned seed)
{
    size_t n = 0, cap = (size_t)URIS * (VERSIONS + 1);
    char **lines = calloc(cap, sizeof *lines);
    char buf[512];
    for (int u = 0; u < URIS; u++) {
        for (int v = 1; v <= VERSIONS; v++) {
            snprintf(buf, sizeof buf,
                     "{\"uri\":\"urn:os:%05d\",\"version\":\"%d\",\"versionCreated\":"
                     "\"2024-05-01T10:%02d:00Z\",\"firstCreated\":\"2024-05-01T09:00:00Z\","
                     "\"pubStatus\":\"usable\",\"headlines\":[{\"value\":\"Story %d v%d\"}]}",
                     u, v, v, u, v);
            lines[n++] = strdup(buf);
        }
        if (kill_version(u)) {
            snprintf(buf, sizeof buf,
                     "{\"uri\":\"urn:os:%05d\",\"version\":\"%d\",\"versionCreated\":"
                     "\"2024-05-01T10:%02d:00Z\",\"pubStatus\":\"canceled\"}",
                     u, kill_version(u), kill_version(u));
            lines[n++] = strdup(buf);
        }
    }
    cr_assert_eq(nw_test_write_shuffled(path, lines, n, seed), 0);
}

static json_t *get_json(const char *path)
{
    json_t *j = nw_test_http_json(base, path);
    cr_assert_not_null(j, "GET %s", path);
    return j;
}

static pid_t start_consumer(const char *config, const char *in, const char *dlq)
{
    char log[1024];
    snprintf(log, sizeof log, "%s/consumer.log", tmp);
    pid_t pid = nw_test_replay_consumer(config, in, dlq, log);
    cr_assert_gt(pid, 0);
    return pid;
}

Test(consumer_opensearch, chaos_429s_and_sigkills_newest_wins_no_kill_resurrected)
{
    unsigned seed =
        getenv("NW_OS_SEED") ? (unsigned)atoi(getenv("NW_OS_SEED")) : (unsigned)time(NULL);
    fprintf(stderr, "test_consumer_opensearch: seed %u (NW_OS_SEED)\n", seed);
    tmp = nw_test_mkdtemp("consumer-os");
    char seed_arg[32];
    const char *src = getenv("NW_SOURCE_DIR");
    snprintf(seed_arg, sizeof seed_arg, "%u", seed);
    const char *args[] = {"--p429", "0.3", "--seed", seed_arg, NULL};
    server = nw_test_os_server(args, base, sizeof base);
    cr_assert_gt(server, 0, "the test server did not start");

    char in[1024], dlq[1024], config[1024], yaml[2048];
    snprintf(in, sizeof in, "%s/stream.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    snprintf(config, sizeof config, "%s/consumer.yaml", tmp);
    write_stream(in, seed);
    snprintf(yaml, sizeof yaml,
             "group: os\n"
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "batch: {max_messages: 500}\n"
             "retry: {initial: 20ms, max: 200ms}\n"
             "chain:\n"
             "  - plugin: opensearch\n"
             "    url: %s\n"
             "    index: news-{category}\n"
             "    gzip: true\n"
             "    retry_initial: 5ms\n"
             "    retry_max: 50ms\n"
             "    template: %s/deploy/opensearch-template.json\n",
             base, src ? src : ".");
    cr_assert_eq(nw_test_write_file(config, yaml, strlen(yaml)), 0);

    srand(seed);
    int kills = 0;
    for (int runs = 0; kills < 5; runs++) {
        cr_assert_lt(runs, 30, "the consumer finishes before the kills land");
        json_t *st = get_json("/_nw/stats");
        long before = (long)json_integer_value(json_object_get(st, "requests"));
        json_decref(st);
        consumer = start_consumer(config, in, dlq);
        /* wait for bulk requests to flow, then kill at a random moment */
        for (int i = 0; i < 500; i++) {
            st = get_json("/_nw/stats");
            long now = (long)json_integer_value(json_object_get(st, "requests"));
            json_decref(st);
            if (now > before + 1)
                break;
            nw_test_sleep_ms(10);
        }
        nw_test_sleep_ms(rand() % 400);
        kill(consumer, SIGKILL);
        if (nw_test_wait_exit(consumer) == 128 + SIGKILL)
            kills++;
        consumer = -1;
    }
    consumer = start_consumer(config, in, dlq);
    int rc = nw_test_wait_exit(consumer);
    consumer = -1;
    cr_assert_eq(rc, 0, "the last run exited %d", rc);

    json_t *docs = get_json("/_nw/docs");
    cr_assert_eq(json_array_size(docs), URIS, "documents: %zu", json_array_size(docs));
    size_t i;
    json_t *d;
    int resurrected = 0, wrong = 0;
    json_array_foreach(docs, i, d)
    {
        int u = -1;
        sscanf(json_string_value(json_object_get(d, "id")), "urn:os:%d", &u);
        cr_assert(u >= 0 && u < URIS);
        const json_t *doc = json_object_get(d, "doc");
        const char *status = json_string_value(json_object_get(doc, "pubStatus"));
        const char *ver = json_string_value(json_object_get(doc, "version"));
        int want = kill_version(u) ? kill_version(u) : VERSIONS;
        if (kill_version(u) && strcmp(status, "canceled"))
            resurrected++;
        else if (atoi(ver) != want || (kill_version(u) && json_object_get(doc, "headlines")))
            wrong++;
        cr_expect_str_eq(json_string_value(json_object_get(d, "index")), "news-world");
    }
    cr_expect_eq(resurrected, 0, "kills resurrected");
    cr_expect_eq(wrong, 0, "documents not at their newest version");
    json_t *st = get_json("/_nw/stats");
    cr_expect_gt(json_integer_value(json_object_get(st, "injected_429")), 1000);
    cr_expect_geq(json_integer_value(json_object_get(st, "templates")), 1, "no template installed");
    json_decref(st);
    json_decref(docs);
    char *dead = nw_test_read_file(dlq, NULL);
    cr_expect(!dead || !*dead, "dead letters: %.300s", dead ? dead : "");
    free(dead);
}
