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
static nw_test_spool sp; /* the producer is killed by teardown when a test stops early */

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_test_spool_init(&sp, "spool-hostile", true), 0);
}

static void teardown(void)
{
    nw_test_spool_cleanup(&sp);
    nw_broker_free(broker);
    broker = NULL;
}

TestSuite(spool_hostile, .init = setup, .fini = teardown, .timeout = 180);

static void start_producer(const char *format, const char *settle)
{
    cr_assert_eq(
        nw_test_spool_config(&sp, nw_broker_bootstrap(broker), format, settle, "200ms", NULL), 0);
    cr_assert_gt(nw_test_spool_start(&sp, NW_TEST_LOG_TRUNCATE, NULL), 0);
}

static void write_atomic(const char *name, const char *text)
{
    cr_assert_eq(nw_test_write_atomic(sp.incoming, name, text, strlen(text)), 0, "rename %s: %s",
                 name, strerror(errno));
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
    snprintf(dir, sizeof dir, "%s/done", sp.spool);
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
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        if (count_done() >= want)
            return true;
        usleep(50000);
    }
    return false;
}

/* The HTTP port the producer logged ("http_port=N"), waiting for it. */
static int http_port(void)
{
    int port = nw_test_logged_http_port(sp.log, 15);
    cr_assert_gt(port, 0, "the producer never logged its http port");
    return port;
}

/* Waits until /readyz answers with `status` (" 200 " or " 503 "). */
static bool wait_ready(int port, const char *status, int timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
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
    char *log = nw_test_read_file(sp.log, NULL);
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
    start_producer("ninjs", "100ms");
    int port = http_port();
    char *s = story("urn:test:replace:1");
    write_atomic("1.json", s);
    free(s);
    cr_assert(wait_done(1, 20), "done/ has %d", count_done());

    char old[2048];
    snprintf(old, sizeof old, "%s/incoming.old", sp.spool);
    cr_assert_eq(rename(sp.incoming, old), 0);
    cr_assert_eq(mkdir(sp.incoming, 0755), 0);
    s = story("urn:test:replace:2");
    write_atomic("2.json", s);
    free(s);
    cr_expect(wait_done(2, 20), "a file in the new incoming/ is taken (done/ has %d)",
              count_done());

    nw_test_rm_rf(sp.incoming);
    cr_expect(wait_ready(port, " 503 ", 10), "a missing incoming/ is not ready");
    cr_expect_geq(count_in_log("incoming folder is gone"), 1, "and the log says so");
    cr_assert_eq(mkdir(sp.incoming, 0755), 0);
    s = story("urn:test:replace:3");
    write_atomic("3.json", s);
    free(s);
    cr_expect(wait_done(3, 20), "a file in the remade incoming/ is taken (done/ has %d)",
              count_done());
    cr_expect(wait_ready(port, " 200 ", 10), "ready again");
    cr_expect_eq(nw_test_spool_stop(&sp, 30), 0);
}

/* A file written in place whose writer paused longer than settle_time was
 * published with only its first paragraph, silently. */
Test(spool_hostile, a_slow_writer_is_taken_whole_at_close)
{
    start_producer("headline-text", "200ms");
    http_port();
    char path[2048];
    snprintf(path, sizeof path, "%s/slow.txt", sp.incoming);
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
    cr_expect_eq(nw_test_spool_stop(&sp, 30), 0);
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
    snprintf(p, sizeof p, "%s/a-fifo", sp.incoming);
    cr_assert_eq(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/a-folder", sp.incoming);
    cr_assert_eq(mkdir(p, 0755), 0);
    char secret[2048];
    snprintf(secret, sizeof secret, "%s/secret.json", sp.dir);
    char *s = story("urn:test:secret");
    cr_assert_eq(nw_test_write_file(secret, s, strlen(s)), 0);
    free(s);
    start_producer("ninjs", "100ms");
    int port = http_port();
    /* a link renamed in (inotify sees it) must not be followed */
    char link_tmp[2048];
    snprintf(link_tmp, sizeof link_tmp, "%s/link.json", sp.dir);
    cr_assert_eq(symlink(secret, link_tmp), 0);
    snprintf(p, sizeof p, "%s/link.json", sp.incoming);
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
    cr_expect_eq(nw_test_spool_stop(&sp, 30), 0);
    char *all = published();
    cr_expect(strstr(all, "urn:test:odd:ok") != NULL);
    cr_expect(strstr(all, "urn:test:secret") == NULL, "a link is never followed: %s", all);
    free(all);
}
