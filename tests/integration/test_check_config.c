/*
 * test_check_config — `--check-config` of newswire-producer and
 * newswire-consumer runs the validation the services run at start: a config
 * it passes is not refused by the service, and every refusal names file,
 * line and key (listen port 99999, kafka.acks: 1 for the producer, a spool
 * path that is a file or cannot be created, a bare number as a duration, a
 * bad `topics` regular expression, a bad librdkafka property, the
 * consumer's own settings checked by their table; `--describe consumer`
 * prints that table). A SIGHUP that changes settings needing a restart says
 * which were not applied, and a reload to a spool root that cannot be
 * created is refused like a start.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_testutil.h"

static char *tmp;
static char config[1024];

static void setup(void)
{
    tmp = nw_test_mkdtemp("check-config");
    cr_assert_not_null(tmp);
    snprintf(config, sizeof config, "%s/service.yaml", tmp);
}

static void teardown(void)
{
    nw_test_rm_tmp(&tmp);
}

TestSuite(check_config, .init = setup, .fini = teardown, .timeout = 120);

/* Runs `bin --config <config> --check-config` on `text`; returns the exit
 * status, stderr in *errout (caller frees). */
static int check(const char *bin_rel, const char *text, char **errout)
{
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    char *bin = nw_test_bin_path(bin_rel);
    char *argv[] = {bin, "--config", config, "--check-config", NULL};
    char *out = NULL;
    int rc = nw_test_run(argv, NULL, 30, &out, errout);
    free(out);
    free(bin);
    return rc;
}

/* The check refuses `text` with a message holding every one of `needles`. */
static void expect_refused(const char *bin_rel, const char *text, const char *const needles[])
{
    char *err = NULL;
    int rc = check(bin_rel, text, &err);
    cr_expect_neq(rc, 0, "--check-config passed:\n%s", text);
    for (size_t i = 0; needles[i]; i++)
        cr_expect(err && strstr(err, needles[i]), "'%s' not in: %s", needles[i], err ? err : "");
    free(err);
}

#define PRODUCER "producers/newswire-producer"
#define CONSUMER "consumers/newswire-consumer"

Test(check_config, producer_check_refuses_what_the_service_refuses)
{
    char text[2048], file[1024];
    snprintf(file, sizeof file, "%s/a-file", tmp);
    cr_assert_eq(nw_test_write_file(file, "x", 1), 0);

    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "http: {listen: \"127.0.0.1:99999\"}\n"
             "spools: [{path: %s/spool}]\n",
             tmp);
    expect_refused(PRODUCER, text, (const char *const[]){"service.yaml:2:", "listen", NULL});

    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"127.0.0.1:1\"\n  acks: 1\n"
             "spools: [{path: %s/spool}]\n",
             tmp);
    expect_refused(PRODUCER, text,
                   (const char *const[]){"service.yaml:3:", "kafka.acks", "acks=all", NULL});

    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "spools:\n  - path: %s\n",
             file);
    expect_refused(
        PRODUCER, text,
        (const char *const[]){"service.yaml:3:", "spools[0].path", "not a folder", NULL});

    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "spools:\n  - path: %s/no/such/root\n",
             tmp);
    expect_refused(PRODUCER, text,
                   (const char *const[]){"service.yaml:3:", "cannot be created", NULL});

    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "shutdown_timeout: 30\n"
             "spools: [{path: %s/spool}]\n",
             tmp);
    expect_refused(PRODUCER, text,
                   (const char *const[]){"service.yaml:2:", "shutdown_timeout", "no unit", NULL});

    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"127.0.0.1:1\"\n  no.such.property: 1\n"
             "spools: [{path: %s/spool}]\n",
             tmp);
    expect_refused(PRODUCER, text,
                   (const char *const[]){"service.yaml:3:", "kafka.no.such.property", NULL});

    /* and a good one passes */
    snprintf(text, sizeof text,
             "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "spools: [{path: %s/spool, settle_time: 0}]\n",
             tmp);
    char *err = NULL;
    cr_expect_eq(check(PRODUCER, text, &err), 0, "%s", err);
    free(err);
}

Test(check_config, consumer_has_a_check_that_refuses_what_the_service_refuses)
{
    char text[2048];
    const char *head = "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\n";
    char chain[1024];
    snprintf(chain, sizeof chain, "chain:\n  - plugin: archive-fs\n    root: %s/archive\n", tmp);

    snprintf(text, sizeof text, "%stopics: [\"news.a\", \"^news\\\\.(\"]\n%s", head, chain);
    expect_refused(
        CONSUMER, text,
        (const char *const[]){"service.yaml:2:", "topics[1]", "regular expression", NULL});

    snprintf(text, sizeof text, "%shttp: {listen: \"127.0.0.1:99999\"}\n%s", head, chain);
    expect_refused(CONSUMER, text, (const char *const[]){"service.yaml:2:", "http.listen", NULL});

    snprintf(text, sizeof text, "kafka:\n  bootstrap.servers: \"127.0.0.1:1\"\n  linger.ms: x\n%s",
             chain);
    expect_refused(CONSUMER, text,
                   (const char *const[]){"service.yaml:3:", "kafka.linger.ms", NULL});

    snprintf(text, sizeof text, "%srevoke_timeout: 10\n%s", head, chain);
    expect_refused(CONSUMER, text,
                   (const char *const[]){"service.yaml:2:", "revoke_timeout", "no unit", NULL});

    /* the host's own settings: the same table errors as a plugin's */
    snprintf(text, sizeof text, "%sbatch:\n  max_message: 5\n%s", head, chain);
    expect_refused(CONSUMER, text,
                   (const char *const[]){"service.yaml:3:", "batch.max_message", "unknown key",
                                         "max_messages", NULL});
    snprintf(text, sizeof text, "%sworkers: 0\n%s", head, chain);
    expect_refused(CONSUMER, text,
                   (const char *const[]){"service.yaml:2:", "workers", "between 1 and 64", NULL});

    snprintf(text, sizeof text, "%shttp: {listen: \"127.0.0.1:0\"}\n%s", head, chain);
    char *err = NULL;
    cr_expect_eq(check(CONSUMER, text, &err), 0, "%s", err);
    free(err);
}

/* --describe consumer prints the host's own table like a plugin's */
Test(check_config, consumer_describes_its_own_settings)
{
    char *bin = nw_test_bin_path(CONSUMER);
    char *argv[] = {bin, "--describe", "consumer", NULL};
    char *out = NULL, *err = NULL;
    cr_expect_eq(nw_test_run(argv, NULL, 30, &out, &err), 0, "%s", err ? err : "");
    const char *rows[] = {
        "KEY",          "TYPE",     "DEFAULT", "DESCRIPTION",        "group", "newswire-consumer",
        "batch.max_ms", "duration", "1s",      "max_buffered_bytes", "64MiB", "http.listen"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(out && strstr(out, rows[i]), "'%s' not in:\n%s", rows[i], out ? out : "");
    free(out);
    free(err);
    free(bin);
}

static bool wait_log(const char *path, const char *needle, int timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        char *log = nw_test_read_file(path, NULL);
        bool found = log && strstr(log, needle);
        free(log);
        if (found)
            return true;
        usleep(50000);
    }
    return false;
}

/* A SIGHUP that changed kafka.* said "reloaded" as if it had been applied;
 * a reload to a spool root that cannot be created is refused like a start. */
Test(check_config, reload_says_what_needs_a_restart)
{
    nw_err e = {0};
    nw_broker *broker = nw_broker_new(1, 1, &e);
    cr_assert_not_null(broker, "%s", e.msg);
    char text[2048], logpath[1024];
    snprintf(logpath, sizeof logpath, "%s/producer.log", tmp);
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n  linger.ms: 5\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "spools: [{path: %s/spool}]\n",
             nw_broker_bootstrap(broker), tmp);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    char *bin = nw_test_bin_path(PRODUCER);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(bin, bin, "--config", config, (char *)NULL);
        _exit(127);
    }
    free(bin);
    cr_assert(wait_log(logpath, "http_port=", 20));

    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n  linger.ms: 50\n  acks: all\n"
             "http: {listen: \"127.0.0.1:9\"}\n"
             "spools: [{path: %s/spool}]\n",
             nw_broker_bootstrap(broker), tmp);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    kill(pid, SIGHUP);
    cr_expect(wait_log(logpath, "not_applied=\"kafka.linger.ms, kafka.acks, http.listen\"", 20),
              "the reload names what it did not apply");

    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "spools: [{path: %s/spool}, {path: %s/missing/root}]\n",
             nw_broker_bootstrap(broker), tmp, tmp);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    kill(pid, SIGHUP);
    cr_expect(wait_log(logpath, "reload refused", 20), "refused like a start");
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/missing", tmp);
    cr_expect_neq(access(missing, F_OK), 0, "nothing was created");

    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    nw_broker_free(broker);
}
