/*
 * test_metrics_format — both services' /metrics pass `promtool check metrics`
 * (Prometheus naming and exposition conventions: newswire_ prefix, _total,
 * _seconds, _bytes, help text) after real traffic: the producer binary
 * publishes a spool file to the embedded broker and an in-process consumer
 * archives it, so labelled series exist. Skips when promtool is missing
 * (deploy/deps.sh --test installs it: Debian package prometheus).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_kafka.h"
#include "nw_testconsumer.h"
#include "nw_testutil.h"

static nw_broker *broker;
static char *tmp;
static pid_t producer = -1;

static void teardown(void)
{
    nw_test_end_child(&producer, 20);
    nw_broker_free(broker);
    broker = NULL;
    nw_test_rm_tmp(&tmp);
}

TestSuite(metrics_format, .fini = teardown);

static char *find_promtool(void)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char p[4096];
        snprintf(p, sizeof p, "%s/promtool", d);
        if (access(p, X_OK) == 0) {
            free(copy);
            return strdup(p);
        }
    }
    free(copy);
    return NULL;
}

/* GET path on 127.0.0.1:port; returns the body of a 200 answer or NULL. */
static char *http_get(int port, const char *path)
{
    char *body = NULL;
    if (nw_test_http_status(port, path, &body) != 200) {
        free(body);
        body = NULL;
    }
    return body;
}

static void check_metrics(const char *promtool, const char *service, const char *text)
{
    char *out = NULL, *errout = NULL;
    char *argv[] = {(char *)promtool, "check", "metrics", NULL};
    int rc = nw_test_run(argv, text, 60, &out, &errout);
    cr_assert_eq(rc, 0, "promtool check metrics on the %s:\n%s%s\n--- metrics:\n%s", service,
                 out ? out : "", errout ? errout : "", text);
    free(out);
    free(errout);
}

Test(metrics_format, both_services_pass_promtool, .timeout = 180)
{
    char *promtool = find_promtool();
    if (!promtool)
        cr_skip_test("promtool not installed (deploy/deps.sh --test)");
    tmp = nw_test_mkdtemp("metricsfmt");
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_broker_create_topic(broker, "news.general", 2, &err), 0, "%s", err.msg);

    /* the producer binary, one spool, one story */
    char spool[4096], config[4096], logpath[4096], incoming[4200], story[4400];
    snprintf(spool, sizeof spool, "%s/spool", tmp);
    snprintf(config, sizeof config, "%s/producer.yaml", tmp);
    snprintf(logpath, sizeof logpath, "%s/producer.log", tmp);
    char text[16384];
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "spools:\n"
             "  - name: wire\n    path: %s\n    format: headline-text\n    category: General\n"
             "    settle_time: 100ms\n    scan_interval: 1s\n",
             nw_broker_bootstrap(broker), spool);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    mkdir(spool, 0755);
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    mkdir(incoming, 0755);
    const char *args[] = {"--config", config, NULL};
    producer = nw_test_start_logged("producers/newswire-producer", args, logpath, 0, NULL);
    cr_assert(producer >= 0);
    int pport = nw_test_logged_http_port(logpath, 15);
    cr_assert_gt(pport, 0, "the producer never logged its http port");
    snprintf(story, sizeof story, "%s/story.txt", incoming);
    const char *copy = "Metrics check\n\nA story to make the counters count.\n";
    cr_assert_eq(nw_test_write_file(story, copy, strlen(copy)), 0);

    /* an in-process consumer that archives it */
    char cconfig[4096], archive[4096];
    snprintf(cconfig, sizeof cconfig, "%s/consumer.yaml", tmp);
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n  statistics.interval.ms: 200\n"
             "topics: news.general\n"
             "batch: {max_messages: 10, max_ms: 20ms}\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "chain:\n  - plugin: archive-fs\n    root: %s\n",
             nw_broker_bootstrap(broker), archive);
    cr_assert_eq(nw_test_write_file(cconfig, text, strlen(text)), 0);
    nw_test_consumer r;
    nw_consumer_opts opts = {.group = "metrics-format", .exit_when_idle_ms = -1};
    nw_test_consumer_new_file(&r, cconfig, &opts);
    nw_test_consumer_run(&r);
    int cport = nw_consumer_http_port(r.c);

    /* wait for the story to be archived (processed by archive-fs) */
    char *cm = NULL;
    for (int i = 0; i < 600; i++) {
        free(cm);
        cm = http_get(cport, "/metrics");
        if (cm && strstr(cm, "newswire_consumer_processed_total{") &&
            strstr(cm, "newswire_consumer_lag_messages{"))
            break;
        nw_test_sleep_ms(50);
    }
    cr_assert(cm && strstr(cm, "newswire_consumer_processed_total{"), "%s", cm ? cm : "");
    nw_test_sleep_ms(600); /* lag series known */
    free(cm);
    cm = http_get(cport, "/metrics");
    char *pm = http_get(pport, "/metrics");
    cr_assert_not_null(cm);
    cr_assert_not_null(pm);
    cr_assert(strstr(pm, "newswire_producer_stories_published_total"), "%s", pm);
    check_metrics(promtool, "consumer", cm);
    check_metrics(promtool, "producer", pm);
    free(cm);
    free(pm);
    free(promtool);

    nw_test_consumer_stop(&r);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    nw_test_consumer_free(&r);
}
