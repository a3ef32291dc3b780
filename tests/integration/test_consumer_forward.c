/*
 * test_consumer_forward — deploy/consumer-forward.yaml, as shipped, run once
 * against `newswire broker`: stories published with `newswire-producer
 * --once` go through archive-fs then forward-kafka; every enriched.<category>
 * topic must hold its stories once, keyed by uri, with the producer's headers
 * carried and the forward headers added, the archive must hold them too and
 * the group must have committed everything. Only the addresses and the
 * archive root are overridden (environment, as a container would).
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

static pid_t broker_pid = -1;
static char *tmp;

static void teardown(void)
{
    if (broker_pid > 0)
        nw_test_stop(broker_pid, 5);
    broker_pid = -1;
    if (tmp)
        nw_test_rm_rf(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(consumer_forward, .fini = teardown);

/* `newswire broker` as a child that dies with us; returns the bootstrap. */
static char *start_broker(void)
{
    char *bs = NULL;
    broker_pid = nw_test_start_broker(NULL, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    return bs;
}

static void write_story(const char *dir, const char *name, const char *headline,
                        const char *categories)
{
    char path[4096], text[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(text, sizeof text,
             "%s\n\nSource:AFP Published: 2024-03-0%d 10:15:00\n\n"
             "%s, the wire reported on Tuesday, in a story written for this test.\n\n"
             "Posted in: %s\n",
             headline, (int)strlen(name) % 9 + 1, headline, categories);
    cr_assert_eq(nw_test_write_file(path, text, strlen(text)), 0);
}

/* Every message of `topic` from the beginning (see nw_test_read_topic). */
static void read_topic(const char *bs, const char *topic, int want, nw_test_topic *g)
{
    char err[512];
    cr_assert_eq(nw_test_read_topic(bs, topic, want, 10000, g, err, sizeof err), 0, "%s", err);
}

/* Lines of every .jsonl file under dir, appended to *all. */
static int archive_lines(const char *dir, char **all)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.jsonl' -type f | sort", dir);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char path[4096];
    int lines = 0;
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = '\0';
        char *c = nw_test_read_file(path, NULL);
        cr_assert_not_null(c);
        for (char *p = c; *p; p++)
            lines += *p == '\n';
        *all = realloc(*all, strlen(*all) + strlen(c) + 1);
        strcat(*all, c);
        free(c);
    }
    pclose(f);
    return lines;
}

Test(consumer_forward, deploy_example_archives_and_forwards_with_keys_and_headers, .timeout = 240)
{
    tmp = nw_test_mkdtemp("consumer-forward");
    char *bs = start_broker();

    char in[4096], archive[4096];
    snprintf(in, sizeof in, "%s/in", tmp);
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    cr_assert_eq(mkdir(in, 0755), 0);
    write_story(in, "a.txt", "Ceasefire talks resume in Cairo", "Mid-East, Americas");
    write_story(in, "bb.txt", "Cup final goes to extra time", "Sport");
    write_story(in, "ccc.txt", "Central bank holds rates", "Business");

    char *producer = nw_test_bin_path("producers/newswire-producer");
    char *pargv[] = {producer, "--brokers", bs, "--once", in, NULL};
    char *out = NULL, *errout = NULL;
    int rc = nw_test_run(pargv, NULL, 60, &out, &errout);
    cr_assert_eq(rc, 0, "producer exit %d\n%s", rc, errout);
    free(out), free(errout);

    /* the shipped example, with the addresses and the root overridden */
    char *config = NULL;
    {
        const char *src = getenv("NW_SOURCE_DIR");
        cr_assert_not_null(src, "NW_SOURCE_DIR not set");
        size_t n = strlen(src) + 64;
        config = malloc(n);
        snprintf(config, n, "%s/deploy/consumer-forward.yaml", src);
    }
    setenv("NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS", bs, 1);
    setenv("NEWSWIRE_KAFKA__SESSION__TIMEOUT__MS", "6000", 1);
    setenv("NEWSWIRE_CHAIN__0__ROOT", archive, 1);
    setenv("NEWSWIRE_CHAIN__1__BROKERS", bs, 1);
    setenv("NEWSWIRE_HTTP__LISTEN", "", 1);

    /* it loads and validates as a config (the same check the binary does) */
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_file(config, &cfg, &err), 0, "%s", err.msg);
    nw_config_free(cfg);

    char *consumer = nw_test_bin_path("consumers/newswire-consumer");
    char *cargv[] = {consumer,         "--config",         config, "--group",
                     "nwtest-forward", "--exit-when-idle", "3000", NULL};
    rc = nw_test_run(cargv, NULL, 120, &out, &errout);
    cr_assert_eq(rc, 0, "consumer exit %d\n%s", rc, errout);
    free(out), free(errout);

    /* archive: one line per (story, category) */
    char *lines = strdup("");
    cr_assert_eq(archive_lines(archive, &lines), 4, "archive:\n%s", lines);

    struct {
        const char *topic, *origin, *needle;
    } want[] = {
        {"enriched.mid-east", "news.mid-east", "Ceasefire talks"},
        {"enriched.americas", "news.americas", "Ceasefire talks"},
        {"enriched.sport", "news.sport", "Cup final"},
        {"enriched.business", "news.business", "Central bank"},
    };
    char b[256], b2[256];
    char ceasefire_uri[256] = "";
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        nw_test_topic g;
        read_topic(bs, want[i].topic, 1, &g);
        cr_assert_eq(g.n, 1, "%s holds %d messages", want[i].topic, g.n);
        rd_kafka_message_t *m = g.m[0];
        char *value = strndup(m->payload, m->len);
        cr_assert(strstr(value, want[i].needle), "%s: %s", want[i].topic, value);
        /* key = uri, and that uri is the one archived */
        cr_assert_gt(m->key_len, 0, "%s: no key", want[i].topic);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)m->key_len, (const char *)m->key);
        char quoted[300];
        snprintf(quoted, sizeof quoted, "\"uri\":\"%s\"", key);
        cr_assert(strstr(value, quoted) || strstr(value, key), "%s: key %s not the uri of %s",
                  want[i].topic, key, value);
        cr_assert(strstr(lines, key), "%s: %s not archived", want[i].topic, key);
        if (!strcmp(want[i].needle, "Ceasefire talks")) {
            if (!ceasefire_uri[0])
                snprintf(ceasefire_uri, sizeof ceasefire_uri, "%s", key);
            else
                cr_assert_str_eq(key, ceasefire_uri, "one story, one key in both categories");
        }
        /* producer headers carried, forward headers added */
        cr_assert_not_null(nw_test_header(m, "nw-trace-id", b, sizeof b), "%s: nw-trace-id lost",
                           want[i].topic);
        cr_assert_str_eq(nw_test_header(m, "nw-schema", b, sizeof b), "ninjs/3.1");
        cr_assert_str_eq(nw_test_header(m, "content-type", b, sizeof b), "application/json");
        cr_assert_str_eq(nw_test_header(m, "nw-forwarded-by", b, sizeof b), "forward-kafka");
        cr_assert_str_eq(nw_test_header(m, "nw-origin-topic", b2, sizeof b2), want[i].origin);
        cr_assert_str_eq(nw_test_header(m, "nw-origin-offset", b, sizeof b), "0");
        cr_assert_not_null(nw_test_header(m, "nw-origin-partition", b, sizeof b));
        free(value);
        nw_test_topic_free(&g);
    }
    free(lines);
    free(consumer);
    free(producer);
    free(config);
    free(bs);
}
