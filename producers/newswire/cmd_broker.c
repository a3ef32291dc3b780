/*
 * cmd_broker — `newswire broker`: run the embedded Kafka broker (librdkafka's
 * mock cluster, nw_broker) in the foreground for demos and tests.
 *
 * Its first line on stdout is "bootstrap=HOST:PORT[,...]" (flushed), so a
 * script or test can start it and read where to connect; everything after
 * that is logs on stderr. SIGTERM or SIGINT stops it cleanly (exit 0).
 * The data lives in memory only and is gone when the process ends.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int nw_cmd_broker(int argc, char **argv)
{
    int brokers = 1, partitions = 4;
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
    while (!stop_signal)
        sigsuspend(&wait_mask);

    nw_log_info("broker", "stopping on signal %d", (int)stop_signal);
    nw_broker_free(broker);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}
