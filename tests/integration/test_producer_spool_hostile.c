/*
 * test_producer_spool_hostile — what a careless operator or a slow writer
 * does to a spool, against `newswire-producer --config FILE` as a child
 * process and an in-process embedded broker: incoming/ renamed away or
 * deleted and made again (the spool follows the path, and is not ready
 * while it is missing), a writer that pauses longer than settle_time in the
 * middle of a file (taken at its close, never published truncated), FIFOs,
 * folders and symbolic links in incoming/ (left alone, logged once each,
 * counted, a link never followed).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_kafka.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

static nw_broker *broker;
static pid_t producer = -1; /* killed by teardown when a test stops early */
static char *tmp;
static char spool[1024], config[1024], logpath[1024], in_dir[1100];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    tmp = nw_test_mkdtemp("spool-hostile");
    cr_assert_not_null(tmp);
    snprintf(spool, sizeof spool, "%s/spool", tmp);
    snprintf(in_dir, sizeof in_dir, "%s/incoming", spool);
    snprintf(config, sizeof config, "%s/producer.yaml", tmp);
    snprintf(logpath, sizeof logpath, "%s/producer.log", tmp);
    mkdir(spool, 0755);
    mkdir(in_dir, 0755);
}

static void teardown(void)
{
    if (producer > 0) {
        kill(producer, SIGKILL);
        waitpid(producer, NULL, 0);
        producer = -1;
    }
    nw_broker_free(broker);
    broker = NULL;
    nw_test_rm_rf(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(spool_hostile, .init = setup, .fini = teardown, .timeout = 180);

static pid_t start_producer(const char *format, const char *settle)
{
    char text[4096];
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "shutdown_timeout: 20s\n"
             "spools:\n"
             "  - name: wire\n    path: %s\n    format: %s\n    category: General\n"
             "    settle_time: %s\n    scan_interval: 200ms\n",
             nw_broker_bootstrap(broker), spool, format, settle);
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);
    char *bin = nw_test_bin_path("producers/newswire-producer");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "--config", config, (char *)NULL);
        _exit(127);
    }
    free(bin);
    producer = pid;
    return pid;
}

static int stop_producer(pid_t pid)
{
    kill(pid, SIGTERM);
    int status = 0;
    double end = now_s() + 30;
    while (now_s() < end) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            producer = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    producer = -1;
    return -1;
}

static void write_atomic(const char *name, const char *text)
{
    char tmpf[2048], final[2048];
    snprintf(tmpf, sizeof tmpf, "%s/.%s.part", in_dir, name);
    snprintf(final, sizeof final, "%s/%s", in_dir, name);
    cr_assert_eq(nw_test_write_file(tmpf, text, strlen(text)), 0);
    cr_assert_eq(rename(tmpf, final), 0, "rename %s: %s", final, strerror(errno));
}

static char *story(const char *uri)
{
    char *s = malloc(256);
    snprintf(s, 256, "{\"uri\": \"%s\", \"headlines\": [{\"value\": \"Story %s\"}]}", uri, uri);
    return s;
}

static int count_done(void)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/done", spool);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static bool wait_done(int want, int timeout_s)
{
    double end = now_s() + timeout_s;
    while (now_s() < end) {
        if (count_done() >= want)
            return true;
        usleep(50000);
    }
    return false;
}

/* The HTTP port the producer logged ("http_port=N"), waiting for it. */
static int http_port(void)
{
    int port = nw_test_logged_http_port(logpath, 15);
    cr_assert_gt(port, 0, "the producer never logged its http port");
    return port;
}

/* Waits until /readyz answers with `status` (" 200 " or " 503 "). */
static bool wait_ready(int port, const char *status, int timeout_s)
{
    double end = now_s() + timeout_s;
    while (now_s() < end) {
        char *r = nw_test_http_get(port, "/readyz");
        bool ok = r && strstr(r, status) != NULL;
        free(r);
        if (ok)
            return true;
        usleep(100000);
    }
    return false;
}

static int count_in_log(const char *needle)
{
    char *log = nw_test_read_file(logpath, NULL);
    int n = 0;
    for (const char *p = log; p && (p = strstr(p, needle)); p++)
        n++;
    free(log);
    return n;
}

static void add_value(const rd_kafka_message_t *m, void *ctx)
{
    nw_buf *all = ctx;
    nw_buf_append(all, m->payload, m->len);
    nw_buf_putc(all, '\n');
}

/* Every message value on news.* topics, one per line. */
static char *published(void)
{
    nw_buf all = {0};
    char err[512];
    long n = nw_test_read_to_end(nw_broker_bootstrap(broker), "news.", true, 30000, add_value, &all,
                                 err, sizeof err);
    cr_assert_geq(n, 0, "%s", err);
    char *s = strdup(nw_buf_str(&all));
    nw_buf_free(&all);
    return s;
}

/* "mv incoming incoming.old; mkdir incoming" left the producer reading
 * incoming.old; "rm -rf incoming; mkdir incoming" was not even logged, and
 * /readyz stayed ready while new files sat there forever. */
Test(spool_hostile, incoming_replaced_or_deleted_is_followed)
{
    pid_t pid = start_producer("ninjs", "100ms");
    int port = http_port();
    char *s = story("urn:test:replace:1");
    write_atomic("1.json", s);
    free(s);
    cr_assert(wait_done(1, 20), "done/ has %d", count_done());

    char old[2048];
    snprintf(old, sizeof old, "%s/incoming.old", spool);
    cr_assert_eq(rename(in_dir, old), 0);
    cr_assert_eq(mkdir(in_dir, 0755), 0);
    s = story("urn:test:replace:2");
    write_atomic("2.json", s);
    free(s);
    cr_expect(wait_done(2, 20), "a file in the new incoming/ is taken (done/ has %d)",
              count_done());

    nw_test_rm_rf(in_dir);
    cr_expect(wait_ready(port, " 503 ", 10), "a missing incoming/ is not ready");
    cr_expect_geq(count_in_log("incoming folder is gone"), 1, "and the log says so");
    cr_assert_eq(mkdir(in_dir, 0755), 0);
    s = story("urn:test:replace:3");
    write_atomic("3.json", s);
    free(s);
    cr_expect(wait_done(3, 20), "a file in the remade incoming/ is taken (done/ has %d)",
              count_done());
    cr_expect(wait_ready(port, " 200 ", 10), "ready again");
    cr_expect_eq(stop_producer(pid), 0);
}

/* A file written in place whose writer paused longer than settle_time was
 * published with only its first paragraph, silently. */
Test(spool_hostile, a_slow_writer_is_taken_whole_at_close)
{
    pid_t pid = start_producer("headline-text", "200ms");
    http_port();
    char path[2048];
    snprintf(path, sizeof path, "%s/slow.txt", in_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("Harbour deal agreed after all-night talks\n\n"
          "Transport ministers agreed early on Wednesday on a new harbour deal.\n\n",
          f);
    fflush(f);
    sleep(2); /* ten settle times */
    fputs("The closing paragraph arrives late but belongs to the story.\n\n"
          "Posted in: World\n",
          f);
    fclose(f);
    cr_assert(wait_done(1, 20), "done/ has %d", count_done());
    cr_expect_eq(stop_producer(pid), 0);
    char *all = published();
    cr_expect(strstr(all, "closing paragraph arrives late") != NULL,
              "the story was published whole: %s", all);
    free(all);
}

/* FIFOs, folders and symbolic links in incoming/ were left there forever
 * without a trace (and a link was followed to what it names). */
Test(spool_hostile, odd_files_are_logged_once_and_counted)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/a-fifo", in_dir);
    cr_assert_eq(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/a-folder", in_dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    char secret[2048];
    snprintf(secret, sizeof secret, "%s/secret.json", tmp);
    char *s = story("urn:test:secret");
    cr_assert_eq(nw_test_write_file(secret, s, strlen(s)), 0);
    free(s);
    pid_t pid = start_producer("ninjs", "100ms");
    int port = http_port();
    /* a link renamed in (inotify sees it) must not be followed */
    char link_tmp[2048];
    snprintf(link_tmp, sizeof link_tmp, "%s/link.json", tmp);
    cr_assert_eq(symlink(secret, link_tmp), 0);
    snprintf(p, sizeof p, "%s/link.json", in_dir);
    cr_assert_eq(rename(link_tmp, p), 0);
    s = story("urn:test:odd:ok");
    write_atomic("ok.json", s);
    free(s);
    cr_assert(wait_done(1, 20));
    usleep(1200000); /* several scans */
    cr_expect_eq(count_in_log("file=a-fifo"), 1, "the FIFO is logged once");
    cr_expect_eq(count_in_log("file=a-folder"), 1, "the folder is logged once");
    cr_expect_eq(count_in_log("file=link.json"), 1, "the link is logged once");
    char *m = nw_test_http_get(port, "/metrics");
    cr_assert_not_null(m);
    cr_expect(strstr(m, "newswire_producer_spool_ignored_files{input=\"wire\"} 3") != NULL,
              "three names counted: %s", m);
    free(m);
    cr_expect_eq(access(p, F_OK), 0, "the link stays in incoming/");
    cr_expect_eq(stop_producer(pid), 0);
    char *all = published();
    cr_expect(strstr(all, "urn:test:odd:ok") != NULL);
    cr_expect(strstr(all, "urn:test:secret") == NULL, "a link is never followed: %s", all);
    free(all);
}
