/*
 * cmd_broker — `newswire broker`: run the embedded Kafka broker (librdkafka's
 * mock cluster, nw_broker) in the foreground for demos and tests.
 *
 * Its first line on stdout is "bootstrap=HOST:PORT[,...]" (flushed), so a
 * script or test can start it and read where to connect; everything after
 * that is logs on stderr. SIGTERM or SIGINT stops it cleanly (exit 0).
 * The data lives in memory only and is gone when the process ends.
 *
 * With --control, stdin takes fault commands, one per line, so a test or the
 * end-to-end harness can make the broker unavailable without killing the
 * process and its data: "down ID|all", "up ID|all", "rtt ID|all MS", "status".
 * Each command is answered with one stdout line, "ok ..." or "error ...".
 * End of input leaves the broker running until a signal.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "commands.h"
#include "nw_kafka.h"
#include "nw_log.h"

#define BROKER_MAX_TOPICS 64

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void broker_usage(FILE *out)
{
    fprintf(out,
            "usage: newswire broker [--brokers-count N] [--partitions N] [--topic NAME]...\n"
            "                       [--control]\n"
            "\n"
            "Run an in-memory Kafka cluster (librdkafka's mock cluster) on 127.0.0.1 until\n"
            "SIGTERM or SIGINT. The first stdout line is \"bootstrap=HOST:PORT[,...]\":\n"
            "pass it to --brokers or kafka.bootstrap.servers. Logs go to stderr.\n"
            "\n"
            "options:\n"
            "  --brokers-count N  number of brokers in the cluster (1..%d, default 1)\n"
            "  --partitions N     partitions of the topics named with --topic (1..%d,\n"
            "                     default 4)\n"
            "  --topic NAME       create NAME at start with --partitions partitions\n"
            "                     (repeatable); other topics are created on first use\n"
            "  --control          read fault commands on stdin, one per line, each\n"
            "                     answered on stdout with \"ok ...\" or \"error ...\":\n"
            "                       down ID|all     disconnect broker(s), refuse new\n"
            "                                       connections (data is kept)\n"
            "                       up ID|all       accept connections again\n"
            "                       rtt ID|all MS   add MS milliseconds to every response\n"
            "                       status          print the brokers' states\n"
            "  -h, --help         this text\n"
            "\n"
            "Known limits of the mock cluster in librdkafka 2.0.2 (a demo/test broker,\n"
            "not a store):\n"
            "  - it keeps only about 5 MB per partition and silently drops older data, so\n"
            "    a slow consumer can miss messages without any error;\n"
            "  - topics auto-created by a client always get 4 partitions; use --topic to\n"
            "    create topics with another count before clients use them;\n"
            "  - a consumer group rebalance takes about session.timeout.ms: set\n"
            "    session.timeout.ms to 3000-6000 in consumer configs that use it;\n"
            "  - a consumer subscribed by regex (^news\\..*) sees a new topic only at its\n"
            "    next metadata refresh (topic.metadata.refresh.interval.ms);\n"
            "  - aborted transactions are not filtered (read_committed sees them);\n"
            "  - ports are random on every start and nothing survives a restart.\n"
            "See deploy/BROKER.md.\n",
            NW_BROKER_MAX_BROKERS, NW_BROKER_MAX_PARTITIONS);
}

static int parse_count(const char *opt, const char *text, int max, int *out)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < 1 || v > max) {
        fprintf(stderr, "newswire broker: %s: expected a number from 1 to %d, got '%s'\n", opt, max,
                text ? text : "");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* ---------------------------------------------------------------- control */

typedef struct broker_state {
    int down;   /* 1 while set down by a command */
    int rtt_ms; /* added latency, 0 for none */
} broker_state;

/* Apply cmd to broker `id` (1-based, as the mock cluster numbers them) or to
 * every broker when id is 0. */
static void control_apply(rd_kafka_mock_cluster_t *mc, broker_state *st, int count, int id,
                          const char *cmd, int ms)
{
    for (int b = id ? id : 1; b <= (id ? id : count); b++) {
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!strcmp(cmd, "down")) {
            e = rd_kafka_mock_broker_set_down(mc, b);
            if (!e)
                st[b - 1].down = 1;
        } else if (!strcmp(cmd, "up")) {
            e = rd_kafka_mock_broker_set_up(mc, b);
            if (!e)
                st[b - 1].down = 0;
        } else {
            e = rd_kafka_mock_broker_set_rtt(mc, b, ms);
            if (!e)
                st[b - 1].rtt_ms = ms;
        }
        if (e) {
            printf("error %s %d: %s\n", cmd, b, rd_kafka_err2str(e));
            return;
        }
        nw_log_info("broker", "control: broker %d %s rtt_ms=%d", b, cmd, ms);
    }
    char who[16];
    snprintf(who, sizeof who, id ? "%d" : "all", id);
    if (!strcmp(cmd, "rtt"))
        printf("ok rtt %s %d\n", who, ms);
    else
        printf("ok %s %s\n", cmd, who);
}

/* Parse "ID" or "all" into 0 (all) or 1..count; -1 when it is neither. */
static int control_target(const char *word, int count)
{
    if (!word)
        return -1;
    if (!strcmp(word, "all"))
        return 0;
    char *end;
    long v = strtol(word, &end, 10);
    return (*end || end == word || v < 1 || v > count) ? -1 : (int)v;
}

static void control_line(rd_kafka_mock_cluster_t *mc, broker_state *st, int count, char *line)
{
    char *save = NULL;
    char *cmd = strtok_r(line, " \t\r\n", &save);
    if (!cmd)
        return;
    if (!strcmp(cmd, "status")) {
        printf("ok status");
        for (int b = 0; b < count; b++)
            printf(" %d=%s/rtt%d", b + 1, st[b].down ? "down" : "up", st[b].rtt_ms);
        printf("\n");
        return;
    }
    if (strcmp(cmd, "down") && strcmp(cmd, "up") && strcmp(cmd, "rtt")) {
        printf("error unknown command '%s' (down ID|all, up ID|all, rtt ID|all MS, status)\n", cmd);
        return;
    }
    const char *who = strtok_r(NULL, " \t\r\n", &save);
    int id = control_target(who, count);
    if (id < 0) {
        printf("error %s: expected a broker id from 1 to %d or 'all', got '%s'\n", cmd, count,
               who ? who : "");
        return;
    }
    int ms = 0;
    if (!strcmp(cmd, "rtt")) {
        const char *w = strtok_r(NULL, " \t\r\n", &save);
        char *end = NULL;
        long v = w ? strtol(w, &end, 10) : -1;
        if (!w || *end || v < 0 || v > 600000) {
            printf("error rtt: expected milliseconds from 0 to 600000, got '%s'\n", w ? w : "");
            return;
        }
        ms = (int)v;
    }
    control_apply(mc, st, count, id, cmd, ms);
}

/* Read commands from stdin until end of input or a stop signal. The stop
 * signals stay blocked except inside ppoll(), as in the plain wait. */
static void run_control(nw_broker *broker, int count, const sigset_t *wait_mask)
{
    rd_kafka_mock_cluster_t *mc = nw_broker_cluster(broker);
    broker_state st[NW_BROKER_MAX_BROKERS] = {{0, 0}};
    char line[256];
    size_t used = 0;
    while (!stop_signal) {
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        int n = ppoll(&pfd, 1, NULL, wait_mask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        ssize_t got = read(0, line + used, sizeof line - 1 - used);
        if (got <= 0)
            return; /* end of input: keep running until a signal */
        used += (size_t)got;
        line[used] = '\0';
        char *nl;
        while ((nl = memchr(line, '\n', used))) {
            *nl = '\0';
            control_line(mc, st, count, line);
            fflush(stdout);
            size_t rest = used - (size_t)(nl + 1 - line);
            memmove(line, nl + 1, rest);
            used = rest;
            line[used] = '\0';
        }
        if (used == sizeof line - 1) {
            printf("error command longer than %zu bytes\n", sizeof line - 2);
            fflush(stdout);
            used = 0;
        }
    }
}

int nw_cmd_broker(int argc, char **argv)
{
    int brokers = 1, partitions = 4, control = 0;
    const char *topics[BROKER_MAX_TOPICS];
    size_t ntopics = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* accept both "--opt value" and "--opt=value" */
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
#define IS(name) (nlen == strlen(name) && !strncmp(a, name, nlen))
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            broker_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--control")) {
            control = 1;
        } else if (IS("--brokers-count") || IS("--partitions") || IS("--topic")) {
            if (!eq)
                i++;
            if (!val) {
                fprintf(stderr, "newswire broker: %.*s needs a value\n", (int)nlen, a);
                return 64;
            }
            if (IS("--brokers-count")) {
                if (parse_count("--brokers-count", val, NW_BROKER_MAX_BROKERS, &brokers) < 0)
                    return 64;
            } else if (IS("--partitions")) {
                if (parse_count("--partitions", val, NW_BROKER_MAX_PARTITIONS, &partitions) < 0)
                    return 64;
            } else {
                if (ntopics == BROKER_MAX_TOPICS) {
                    fprintf(stderr, "newswire broker: at most %d --topic options\n",
                            BROKER_MAX_TOPICS);
                    return 64;
                }
                topics[ntopics++] = val;
            }
        } else {
            fprintf(stderr, "newswire broker: unknown argument '%s'\n", a);
            broker_usage(stderr);
            return 64;
        }
#undef IS
    }

    /* Block the stop signals before any thread exists so librdkafka's threads
     * inherit the mask and only sigsuspend() below receives them. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);

    nw_err err = {0};
    nw_broker *broker = nw_broker_new(brokers, partitions, &err);
    if (!broker) {
        fprintf(stderr, "newswire broker: %s\n", err.msg);
        return 69; /* EX_UNAVAILABLE */
    }
    for (size_t i = 0; i < ntopics; i++) {
        if (nw_broker_create_topic(broker, topics[i], partitions, &err) < 0) {
            fprintf(stderr, "newswire broker: %s\n", err.msg);
            nw_broker_free(broker);
            return 64;
        }
    }

    printf("bootstrap=%s\n", nw_broker_bootstrap(broker));
    fflush(stdout);
    nw_log_info("broker", "embedded broker ready bootstrap=%s brokers=%d topics=%zu",
                nw_broker_bootstrap(broker), brokers, ntopics);

    sigset_t wait_mask = old;
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    if (control)
        run_control(broker, brokers, &wait_mask);
    while (!stop_signal)
        sigsuspend(&wait_mask);

    nw_log_info("broker", "stopping on signal %d", (int)stop_signal);
    nw_broker_free(broker);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}
