/*
 * newswire-consumer — runs one plugin chain as a member of a Kafka consumer
 * group: `newswire-consumer --config FILE [--brokers B] [--group G]
 * [--exit-when-idle MS]`. Parses arguments, loads and validates the config,
 * installs the signal handlers (SIGTERM/SIGINT: drain and exit 0) and hands
 * over to nw_consumer. Exit codes: 0 ok, 64 usage, 78 config, 1 runtime.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_log.h"
#include "nw_plugin_registry.h"

extern char **environ;

static nw_consumer *running; /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    nw_consumer_stop(running);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: newswire-consumer --config FILE [--brokers HOST:PORT,...] [--group ID]\n"
            "                         [--exit-when-idle MS] [--list-plugins]\n"
            "\n"
            "  --config FILE        consumer config (YAML): kafka, group, topics, batch, chain\n"
            "  --brokers LIST       bootstrap servers, overriding kafka.bootstrap.servers\n"
            "  --group ID           consumer group, overriding `group`\n"
            "  --exit-when-idle MS  exit 0 once every assigned partition is at its end and\n"
            "                       nothing arrived for MS milliseconds (tests, demos)\n"
            "  --list-plugins       print the built-in plugins and exit\n"
            "\n"
            "SIGTERM/SIGINT finish the batch in flight, commit and exit 0.\n");
}

static int list_plugins(void)
{
    for (size_t i = 0; i < nw_plugin_registry_count(); i++) {
        const nw_plugin_descriptor *d = nw_plugin_registry_at(i);
        printf("%-16s %-6s %s\n", d->name, d->kind == NW_PLUGIN_SINK ? "sink" : "filter",
               d->description ? d->description : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"brokers", required_argument, NULL, 'b'},
        {"group", required_argument, NULL, 'g'},
        {"exit-when-idle", required_argument, NULL, 'i'},
        {"list-plugins", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    nw_consumer_opts opts = {.exit_when_idle_ms = -1};
    int ch;
    while ((ch = getopt_long(argc, argv, "c:b:g:i:lh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'b':
            opts.brokers = optarg;
            break;
        case 'g':
            opts.group = optarg;
            break;
        case 'i': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0) {
                fprintf(stderr, "newswire-consumer: --exit-when-idle: expected milliseconds, "
                                "got '%s'\n", optarg);
                return 64;
            }
            opts.exit_when_idle_ms = v;
            break;
        }
        case 'l':
            return list_plugins();
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 64;
        }
    }
    if (!config_path || optind != argc) {
        usage(stderr);
        return 64;
    }

    nw_err err = {0};
    nw_config *cfg = NULL;
    if (nw_config_load_file(config_path, &cfg, &err) < 0 ||
        nw_config_apply_env(cfg, environ, &err) < 0) {
        fprintf(stderr, "newswire-consumer: %s\n", err.msg);
        nw_config_free(cfg);
        return 78;
    }
    nw_consumer *c = NULL;
    if (nw_consumer_new(cfg, &opts, &c, &err) < 0) {
        fprintf(stderr, "newswire-consumer: %s\n", err.msg);
        nw_config_free(cfg);
        return err.code == NW_EINVAL ? 78 : 1;
    }

    running = c;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = nw_consumer_run(c, &err);
    if (rc < 0)
        nw_log_error("consumer", "%s", err.msg);
    running = NULL;
    nw_consumer_free(c);
    nw_config_free(cfg);
    return rc < 0 ? 1 : 0;
}
