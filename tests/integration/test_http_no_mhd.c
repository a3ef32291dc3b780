/*
 * test_http_no_mhd — the producer service without libmicrohttpd: with
 * NW_HTTP_MHD_SONAME naming a library that does not exist, the service still
 * starts (the endpoint's port is bound and logged), the first scrape logs one
 * error naming the library and is refused, and the producer goes on: files
 * dropped in its spool before and after that are published and moved to
 * done/, and SIGTERM still stops it cleanly (exit 0).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_testutil.h"

#define MISSING "libnw-test-no-such-microhttpd.so.12"

/* Poll `cond` every 20 ms for up to `seconds`. */
#define WAIT_UNTIL(cond, seconds)                                                                  \
    do {                                                                                           \
        for (int nw_i_ = 0; nw_i_ < (seconds)*50 && !(cond); nw_i_++)                              \
            usleep(20000);                                                                         \
    } while (0)

/* The log so far (caller frees; "" when unreadable). */
static char *log_text(const char *path)
{
    char *s = nw_test_read_file(path, NULL);
    return s ? s : strdup("");
}

static int logged_port(const char *path)
{
    char *log = log_text(path);
    const char *p = strstr(log, "http_port=");
    int port = p ? atoi(p + strlen("http_port=")) : 0;
    free(log);
    return port;
}

static bool logged(const char *path, const char *what)
{
    char *log = log_text(path);
    bool found = strstr(log, what) != NULL;
    free(log);
    return found;
}

static bool exists(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Drop a ninjs fixture into incoming/ as `name` (written aside, then
 * renamed in). */
static void drop_story(const char *spool, const char *name)
{
    char *fixture = nw_test_fixture_path("ninjs/array-two-versions.json");
    size_t len = 0;
    char *body = nw_test_read_file(fixture, &len);
    cr_assert_not_null(body, "%s", fixture);
    char part[1200], path[1200];
    snprintf(part, sizeof part, "%s/.%s.part", spool, name);
    snprintf(path, sizeof path, "%s/incoming/%s", spool, name);
    cr_assert_eq(nw_test_write_file(part, body, len), 0);
    cr_assert_eq(rename(part, path), 0, "%s: %s", path, strerror(errno));
    free(body);
    free(fixture);
}

/* The broker and the folder live in the test: a failure leaves the folder
 * (config, spool, the producer's log) behind to look at. */
Test(http_no_mhd, a_scrape_without_the_library_leaves_the_producer_publishing, .timeout = 120)
{
    nw_err err = {0};
    nw_broker *broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    char *tmp = nw_test_mkdtemp("http-no-mhd");
    cr_assert_not_null(tmp);
    char spool[1024], incoming[1100], done[1100], config[1024], logpath[1024];
    snprintf(spool, sizeof spool, "%s/spool", tmp);
    snprintf(incoming, sizeof incoming, "%s/incoming", spool);
    snprintf(done, sizeof done, "%s/done", spool);
    snprintf(config, sizeof config, "%s/producer.yaml", tmp);
    snprintf(logpath, sizeof logpath, "%s/producer.log", tmp);
    cr_assert_eq(mkdir(spool, 0755), 0);
    cr_assert_eq(mkdir(incoming, 0755), 0);
    drop_story(spool, "first.json");
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "kafka:\n  bootstrap.servers: \"%s\"\n"
                     "http: {listen: \"127.0.0.1:0\"}\n"
                     "shutdown_timeout: 10s\n"
                     "spools:\n  - {name: wire, path: %s, format: ninjs, settle_time: 0ms}\n",
                     nw_broker_bootstrap(broker), spool);
    cr_assert_eq(nw_test_write_file(config, text, (size_t)n), 0);

    /* the child inherits stderr: point it at the log for the spawn */
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(logfd >= 0);
    int saved = dup(2);
    dup2(logfd, 2);
    close(logfd);
    setenv("NW_HTTP_MHD_SONAME", MISSING, 1);
    char *bin = nw_test_bin_path("producers/newswire-producer");
    char *argv[] = {bin, "--config", config, NULL};
    pid_t pid = nw_test_spawn(argv, NULL);
    unsetenv("NW_HTTP_MHD_SONAME");
    dup2(saved, 2);
    close(saved);
    free(bin);
    cr_assert(pid > 0);

    int port = 0;
    WAIT_UNTIL((port = logged_port(logpath)) > 0, 30);
    cr_assert_gt(port, 0, "no http_port in the log:\n%s", log_text(logpath));
    WAIT_UNTIL(exists(done, "first.json"), 30);
    cr_assert(exists(done, "first.json"), "first.json not done; log:\n%s", log_text(logpath));

    /* a scrape: the connection is dropped, the error logged, and the port
     * closes */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
    dprintf(fd, "GET /metrics HTTP/1.0\r\n\r\n");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 10000), 1, "the connection was neither answered nor dropped");
    char buf[256];
    cr_assert_leq(read(fd, buf, sizeof buf), 0, "no answer expected");
    close(fd);
    WAIT_UNTIL(logged(logpath, MISSING), 10);
    cr_assert(logged(logpath, "level=error"), "log:\n%s", log_text(logpath));
    cr_assert(logged(logpath, MISSING), "the error names the library; log:\n%s", log_text(logpath));

    /* the producer goes on */
    cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "the producer exited");
    drop_story(spool, "second.json");
    WAIT_UNTIL(exists(done, "second.json"), 30);
    cr_assert(exists(done, "second.json"), "second.json not done; log:\n%s", log_text(logpath));

    int status = nw_test_stop(pid, 30);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d; log:\n%s", status,
              log_text(logpath));
    nw_broker_free(broker);
    nw_test_rm_rf(tmp);
    free(tmp);
}
