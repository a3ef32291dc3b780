/*
 * test_producer_notify — `newswire-producer --config FILE` talks to systemd
 * (Type=notify in deploy/newswire-producer.service): with NOTIFY_SOCKET set to
 * a unix datagram socket this test owns, the producer sends READY=1 once it
 * is connected to Kafka and watching its spool, and STOPPING=1 when SIGTERM
 * starts the drain; it then exits 0.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_testutil.h"

static nw_broker *broker;
static nw_test_spool sp;
static int sock = -1;
static char sock_path[108];

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_test_spool_init(&sp, "producer-notify", false), 0);
    /* sun_path is short: the socket gets a short name of its own */
    int n = snprintf(sock_path, sizeof sock_path, "/tmp/nwtest-notify-%ld.sock", (long)getpid());
    cr_assert(n > 0 && (size_t)n < sizeof sock_path);
    unlink(sock_path);
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert(sock >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
    cr_assert_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0, "bind %s: %s", sock_path,
                 strerror(errno));
}

static void teardown(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    unlink(sock_path);
    nw_broker_free(broker);
    broker = NULL;
    nw_test_spool_cleanup(&sp);
}

TestSuite(producer_notify, .init = setup, .fini = teardown, .timeout = 120);

/* Wait up to timeout_s for a datagram containing the line `want` (e.g.
 * "READY=1"); every datagram seen is appended to `seen`. */
static bool wait_notify(const char *want, int timeout_s, char *seen, size_t seen_len)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        struct pollfd p = {.fd = sock, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        char buf[4096];
        ssize_t r = recv(sock, buf, sizeof buf - 1, 0);
        if (r <= 0)
            continue;
        buf[r] = '\0';
        size_t used = strlen(seen);
        snprintf(seen + used, seen_len - used, "[%s]", buf);
        /* sd_notify sends newline-separated assignments */
        for (char *line = buf, *nl; line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (!strcmp(line, want))
                return true;
        }
    }
    return false;
}

Test(producer_notify, ready_then_stopping_reach_the_notify_socket)
{
    char text[4096];
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "shutdown_timeout: 10s\n"
             "spools:\n  - name: wire\n    path: %s\n    format: ninjs\n",
             nw_broker_bootstrap(broker), sp.spool);
    cr_assert_eq(nw_test_write_file(sp.config, text, strlen(text)), 0);
    char notify_env[160];
    snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", sock_path);
    const char *env[] = {notify_env, NULL};
    const char *args[] = {"--config", sp.config, NULL};
    pid_t pid = nw_test_start_logged("producers/newswire-producer", args, sp.log,
                                     NW_TEST_LOG_TRUNCATE, env);
    cr_assert(pid >= 0);

    char seen[8192] = "";
    bool ready = wait_notify("READY=1", 60, seen, sizeof seen);
    if (!ready) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        char *log = nw_test_read_file(sp.log, NULL);
        cr_assert_fail("no READY=1 on NOTIFY_SOCKET; got %s; log:\n%s", seen, log ? log : "");
    }

    seen[0] = '\0';
    cr_assert_eq(kill(pid, SIGTERM), 0);
    bool stopping = wait_notify("STOPPING=1", 30, seen, sizeof seen);
    int rc = nw_test_exit_within(pid, 30);
    cr_expect(stopping, "no STOPPING=1 after SIGTERM; got %s", seen);
    cr_expect_eq(rc, 0, "the producer did not exit 0 after SIGTERM (exit %d)", rc);
}
