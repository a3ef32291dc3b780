/*
 * test_consumer_postgres — newswire-consumer with the postgres sink, in
 * replay mode (`--from-file`, the backfill path), against a real server
 * started by nw_testpg:
 *   - a stream of versions and kills of 800 uris in shuffled order, with
 *     a story PostgreSQL refuses (its tsvector is over 1 MB), while the consumer is SIGKILLed ten
 *     times mid-stream (mid-transaction: batches are small) and restarted:
 *     in the end exactly one row per uri, at its newest version or its
 *     newest kill, and the refused stories in the dead-letter file with
 *     their SQLSTATE;
 *   - the server stopped for 3 s mid-stream: the consumer backs off,
 *     reconnects by itself and finishes with nothing lost;
 *   - the server down when the consumer starts: it waits, then fills in.
 * The seed is printed; NW_PG_SEED=<n> replays a run.
 * Skipped when the PostgreSQL binaries are absent.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_testpg.h"
#include "nw_testsink.h"
#include "nw_testutil.h"

#define URIS     800
#define VERSIONS 5

static nw_test_pg pg;
static char *tmp;
static pid_t consumer = -1;

static void setup(void)
{
    char why[1024] = "";
    int rc = nw_test_pg_start(&pg, why, sizeof why);
    if (rc == 1)
        cr_skip_test("%s", why);
    cr_assert_eq(rc, 0, "%s", why);
    tmp = nw_test_mkdtemp("consumer-pg");
}

static void teardown(void)
{
    if (consumer > 0) {
        kill(consumer, SIGKILL);
        waitpid(consumer, NULL, 0);
    }
    nw_test_pg_destroy(&pg);
    nw_test_rm_tmp(&tmp);
}

TestSuite(consumer_postgres, .init = setup, .fini = teardown, .timeout = 600);

/* The stream: every uri in VERSIONS versions, every 7th uri killed at a
 * version of its own, lines shuffled; one story PostgreSQL refuses. Returns the
 * expected table as "uri|state|version" lines sorted by uri. */
static char *write_stream(const char *path, unsigned seed, int uris)
{
    size_t cap = (size_t)uris * (VERSIONS + 1) + 1, n = 0;
    char **lines = calloc(cap, sizeof *lines);
    cr_assert_not_null(lines);
    char buf[1024];
    for (int u = 0; u < uris; u++) {
        int kill_at = u % 7 == 0 ? 2 + u % 3 : 0;
        for (int v = 1; v <= VERSIONS; v++) {
            snprintf(buf, sizeof buf,
                     "{\"uri\":\"urn:pg:%05d\",\"version\":\"%d\",\"versionCreated\":"
                     "\"2024-05-01T10:%02d:00Z\",\"pubStatus\":\"usable\",\"language\":\"en\","
                     "\"headlines\":[{\"value\":\"Story %d version %d about the harbour\"}],"
                     "\"bodies\":[{\"contentType\":\"text/plain\",\"value\":\"Body of story %d, "
                     "version %d. The harbour was closed by the storm.\"}]}",
                     u, v, v, u, v, u, v);
            lines[n++] = strdup(buf);
        }
        if (kill_at) {
            snprintf(buf, sizeof buf,
                     "{\"uri\":\"urn:pg:%05d\",\"version\":\"%d\",\"versionCreated\":"
                     "\"2024-05-01T10:%02d:00Z\",\"pubStatus\":\"canceled\"}",
                     u, kill_at, kill_at);
            lines[n++] = strdup(buf);
        }
    }
    /* PostgreSQL refuses it: its tsvector is over 1 MB (SQLSTATE 54000) */
    size_t big = 100000 * 8 + 256, bl = 0;
    char *poison = malloc(big);
    cr_assert_not_null(poison);
    bl += (size_t)snprintf(poison, big,
                           "{\"uri\":\"urn:pg:poison-1\",\"version\":\"1\",\"pubStatus\":"
                           "\"usable\",\"bodies\":[{\"value\":\"");
    for (int w = 0; w < 100000; w++)
        bl += (size_t)snprintf(poison + bl, big - bl, "w%06d ", w);
    snprintf(poison + bl, big - bl, "\"}]}");
    lines[n++] = poison;
    cr_assert_eq(nw_test_write_shuffled(path, lines, n, seed), 0);

    size_t ecap = (size_t)uris * 48 + 1, elen = 0;
    char *expect = malloc(ecap);
    for (int u = 0; u < uris; u++) {
        int kill_at = u % 7 == 0 ? 2 + u % 3 : 0;
        elen += (size_t)snprintf(expect + elen, ecap - elen, "urn:pg:%05d|%s|%d\n", u,
                                 kill_at ? "canceled" : "usable", kill_at ? kill_at : VERSIONS);
    }
    return expect;
}

static char *write_config(void)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "group: pg\n"
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "batch: {max_messages: 40}\n"
             "retry: {initial: 50ms, max: 500ms}\n"
             "chain:\n"
             "  - plugin: postgres\n"
             "    conninfo: \"%s connect_timeout=2\"\n",
             pg.conninfo);
    char *path = nw_test_write_in(tmp, "consumer.yaml", yaml);
    cr_assert_not_null(path);
    return path;
}

static pid_t start_consumer(const char *config, const char *in, const char *dlq)
{
    char log[1024];
    snprintf(log, sizeof log, "%s/consumer.log", tmp);
    pid_t pid = nw_test_replay_consumer(config, in, dlq, log);
    cr_assert_gt(pid, 0);
    return pid;
}

static char *table_rows(void)
{
    return nw_test_pg_query(&pg, "SELECT uri || '|' || state || '|' || version FROM stories "
                                 "WHERE uri NOT LIKE '%poison%' ORDER BY uri COLLATE \"C\"");
}

static long row_count(void)
{
    char *c = nw_test_pg_query(&pg, "SELECT count(*) FROM stories");
    long n = c ? atol(c) : -1; /* the table appears with the first connection */
    free(c);
    return n;
}

Test(consumer_postgres, ten_sigkills_one_row_per_uri_at_its_newest)
{
    unsigned seed =
        getenv("NW_PG_SEED") ? (unsigned)atoi(getenv("NW_PG_SEED")) : (unsigned)time(NULL);
    fprintf(stderr, "test_consumer_postgres: seed %u (NW_PG_SEED)\n", seed);
    char in[1024], dlq[1024];
    snprintf(in, sizeof in, "%s/stream.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    char *expect = write_stream(in, seed, URIS);
    char *config = write_config();

    srand(seed);
    int kills = 0;
    for (int runs = 0; kills < 10; runs++) {
        cr_assert_lt(runs, 40, "the consumer finishes before the kills land");
        consumer = start_consumer(config, in, dlq);
        nw_test_sleep_ms(150 + rand() % 700);
        kill(consumer, SIGKILL);
        if (nw_test_wait_exit(consumer) == 128 + SIGKILL) /* killed, not finished */
            kills++;
        consumer = -1;
    }
    consumer = start_consumer(config, in, dlq);
    int rc = nw_test_wait_exit(consumer);
    consumer = -1;
    cr_assert_eq(rc, 0, "the last run exited %d", rc);

    char *rows = table_rows();
    cr_assert_not_null(rows);
    cr_assert_str_eq(rows, expect, "the table differs from the newest versions");
    char *poison = nw_test_pg_query(&pg, "SELECT count(*) FROM stories WHERE uri LIKE '%poison%'");
    cr_expect_str_eq(poison, "0\n");
    char *dead = nw_test_read_file(dlq, NULL);
    cr_assert_not_null(dead);
    cr_expect(strstr(dead, "poison-1"), "the refused story is not a dead letter");
    cr_expect(strstr(dead, "SQLSTATE 54000"), "no SQLSTATE in the dead letter");
    free(dead);
    free(poison);
    free(rows);
    free(expect);
    free(config);
}

Test(consumer_postgres, server_stopped_mid_stream_resumes_by_itself)
{
    char in[1024], dlq[1024];
    snprintf(in, sizeof in, "%s/stream.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    char *expect = write_stream(in, 7, 3000);
    char *config = write_config();
    consumer = start_consumer(config, in, dlq);
    long n = -1;
    for (int i = 0; i < 600 && n <= 0; i++) {
        nw_test_sleep_ms(20);
        n = row_count();
    }
    cr_assert_gt(n, 0, "nothing written");
    cr_assert_eq(nw_test_pg_stop(&pg), 0);
    cr_assert_eq(waitpid(consumer, NULL, WNOHANG), 0, "the consumer finished before the stop");
    sleep(3);
    cr_assert_eq(waitpid(consumer, NULL, WNOHANG), 0,
                 "the consumer gave up while the server was down");
    cr_assert_eq(nw_test_pg_restart(&pg), 0);
    int rc = nw_test_wait_exit(consumer);
    consumer = -1;
    cr_assert_eq(rc, 0);
    char *rows = table_rows();
    cr_assert_str_eq(rows, expect, "rows lost or wrong after the outage");
    free(rows);
    free(expect);
    free(config);
}

Test(consumer_postgres, server_down_at_start_then_fills_in)
{
    char in[1024], dlq[1024];
    snprintf(in, sizeof in, "%s/stream.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    char *expect = write_stream(in, 11, 50);
    char *config = write_config();
    cr_assert_eq(nw_test_pg_stop(&pg), 0);
    consumer = start_consumer(config, in, dlq);
    sleep(2);
    cr_assert_eq(waitpid(consumer, NULL, WNOHANG), 0, "the consumer did not wait for the server");
    cr_assert_eq(nw_test_pg_restart(&pg), 0);
    int rc = nw_test_wait_exit(consumer);
    consumer = -1;
    cr_assert_eq(rc, 0);
    char *rows = table_rows();
    cr_assert_str_eq(rows, expect);
    free(rows);
    free(expect);
    free(config);
}

Test(consumer_postgres, wrong_password_is_a_config_error)
{
    char *r = nw_test_pg_query(&pg, "CREATE ROLE app LOGIN SUPERUSER PASSWORD 'right'");
    free(r);
    /* trust for everyone else, passwords for app */
    char hba[1024];
    snprintf(hba, sizeof hba, "%s/data/pg_hba.conf", pg.dir);
    const char *rules = "host all app 127.0.0.1/32 scram-sha-256\n"
                        "host all all 127.0.0.1/32 trust\n";
    cr_assert_eq(nw_test_write_file(hba, rules, strlen(rules)), 0);
    r = nw_test_pg_query(&pg, "SELECT pg_reload_conf()");
    free(r);
    char yaml[2048], path[1024], in[1024], dlq[1024];
    snprintf(in, sizeof in, "%s/stream.jsonl", tmp);
    snprintf(dlq, sizeof dlq, "%s/dlq.jsonl", tmp);
    free(write_stream(in, 3, 5));
    snprintf(yaml, sizeof yaml,
             "group: pg\nkafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "chain:\n  - plugin: postgres\n"
             "    conninfo: \"host=127.0.0.1 port=%d dbname=postgres user=app\"\n",
             pg.port);
    snprintf(path, sizeof path, "%s/consumer.yaml", tmp);
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    setenv("PGPASSWORD", "wrong-secret", 1);
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin,          "--config", path,      "--from-file", in,
                    "--dlq-file", dlq,        "--topic", "news.world",  NULL};
    char *out = NULL, *err = NULL;
    int rc = nw_test_run(argv, NULL, 60, &out, &err);
    cr_expect_eq(rc, 78, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "password authentication failed"), "%s", err);
    cr_expect(!strstr(err, "wrong-secret"), "the password was logged: %s", err);
    free(out);
    free(err);
    setenv("PGPASSWORD", "right", 1);
    rc = nw_test_run(argv, NULL, 60, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    unsetenv("PGPASSWORD");
    free(out);
    free(err);
    free(bin);
}
