/*
 * newswire-consumer — runs one plugin chain as a member of a Kafka consumer
 * group: `newswire-consumer --config FILE [--brokers B] [--group G]
 * [--exit-when-idle MS] [--from-time RFC3339]`, or over a file instead of
 * Kafka: `--from-file IN.jsonl [--to-file OUT.jsonl] [--dlq-file F]
 * [--topic T]` (nw_replay). Parses arguments, loads and validates the config,
 * installs the signal handlers (SIGTERM/SIGINT: drain and exit 0; SIGHUP:
 * reload the chain) and hands over to nw_consumer or nw_replay.
 * Exit codes: 0 ok, 64 usage, 78 config, 65 replay input had bad lines that
 * were only reported on stderr (no --dlq-file), 1 runtime.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_consumer_conf.h"
#include "nw_log.h"
#include "nw_plugin_conf.h"
#include "nw_plugin_registry.h"
#include "nw_replay.h"
#include "nw_time.h"

extern char **environ;

static nw_consumer *running; /* for the signal handlers only */
static volatile sig_atomic_t replay_stop;

static void on_signal(int sig)
{
    (void)sig;
    replay_stop = 1;
    nw_consumer_stop(running);
}

static void on_hup(int sig)
{
    (void)sig;
    nw_consumer_reload(running);
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: newswire-consumer --config FILE [--brokers HOST:PORT,...] [--group ID]\n"
        "                         [--exit-when-idle MS] [--from-time RFC3339]\n"
        "       newswire-consumer --config FILE --from-file IN.jsonl [--to-file OUT.jsonl]\n"
        "                         [--dlq-file BAD.jsonl] [--topic TOPIC]\n"
        "       newswire-consumer --config FILE --check-config\n"
        "       newswire-consumer --list-plugins\n"
        "       newswire-consumer --describe consumer|PLUGIN|FILE.so\n"
        "\n"
        "  --config FILE        consumer config (YAML): kafka, group, topics, batch, chain,\n"
        "                       workers, max_buffered_bytes, retry, http, ... (see\n"
        "                       --describe consumer)\n"
        "  --brokers LIST       bootstrap servers, overriding kafka.bootstrap.servers\n"
        "  --group ID           consumer group, overriding `group`\n"
        "  --exit-when-idle MS  exit 0 once every assigned partition is at its end and\n"
        "                       nothing arrived for MS milliseconds (tests, demos)\n"
        "  --from-time TIME     partitions the group has no committed offset for start at\n"
        "                       the first message at or after TIME (e.g. 2024-05-01T00:00:00Z)\n"
        "  --from-file IN       run the chain over a JSON-lines file of ninjs stories\n"
        "                       instead of Kafka (\"-\" = stdin); offset = line number\n"
        "  --to-file OUT        where records the chain forwards go, as JSON lines\n"
        "                       {topic,key,headers,value} (default stdout)\n"
        "  --dlq-file F         bad lines and permanent failures as JSON lines\n"
        "                       {line,error,plugin,raw} (default: reported on stderr)\n"
        "  --topic T            topic of every replayed story (default\n"
        "                       <topic_prefix><first category slug>)\n"
        "  --check-config       validate FILE as the service would at start (keys, chain,\n"
        "                       plugins, Kafka properties, topics, http.listen), print\n"
        "                       \"FILE: ok\" and exit 0, or the error and exit 78\n"
        "  --list-plugins       print the built-in plugins (name, kind, version) and exit\n"
        "  --describe PLUGIN    print a plugin's settings (key, type, default, description);\n"
        "                       PLUGIN is a built-in name or the path of a plugin .so;\n"
        "                       `--describe consumer` prints the consumer's own settings\n"
        "\n"
        "SIGTERM/SIGINT finish the batches in flight, commit and exit 0.\n"
        "SIGHUP rebuilds the plugin chain from the config file between batches.\n");
}

static int list_plugins(void)
{
    printf("%-16s %-6s %-8s %s\n", "NAME", "KIND", "VERSION", "DESCRIPTION");
    for (size_t i = 0; i < nw_plugin_registry_count(); i++) {
        const nw_plugin_descriptor *d = nw_plugin_registry_at(i);
        printf("%-16s %-6s %-8s %s\n", d->name, d->kind == NW_PLUGIN_SINK ? "sink" : "filter",
               d->version ? d->version : "?", d->description ? d->description : "");
    }
    printf("\nOut-of-tree plugins load by `path:`; a bare file name is looked up in %s.\n",
           NW_PLUGIN_DIR);
    return 0;
}

/* --describe: the consumer's own settings ("consumer"), a built-in by name,
 * or a plugin file by path. */
static int describe_plugin(const char *what)
{
    if (!strcmp(what, "consumer")) { /* the host's own settings (no plugin takes this name) */
        nw_consumer_settings_describe(stdout);
        return 0;
    }
    const nw_plugin_descriptor *d = nw_plugin_registry_find(what);
    nw_plugin_module *mod = NULL;
    if (!d && strchr(what, '/')) {
        nw_err err = {0};
        if (nw_plugin_module_open(what, &mod, &err) < 0) {
            fprintf(stderr, "newswire-consumer: %s\n", err.msg);
            return 78;
        }
        d = nw_plugin_module_descriptor(mod);
    }
    if (!d) {
        fprintf(stderr,
                "newswire-consumer: --describe: no built-in plugin '%s' (see --list-plugins; "
                "give a path for a plugin .so)\n",
                what);
        return 64;
    }
    nw_plugin_conf_describe(d, stdout);
    nw_plugin_module_close(mod);
    return 0;
}

static int run_replay(nw_config *cfg, const nw_replay_opts *ropts)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    nw_err err = {0};
    nw_replay_stats st = {0};
    int rc = nw_replay_run(cfg, ropts, &replay_stop, &st, &err);
    nw_config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "newswire-consumer: %s\n", err.msg);
        return rc == NW_EINVAL ? 78 : 1;
    }
    if (!ropts->dlq_path && (st.bad_lines || st.dead))
        return 65; /* reported on stderr only */
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
        {"describe", required_argument, NULL, 'd'},
        {"from-time", required_argument, NULL, 't'},
        {"from-file", required_argument, NULL, 'F'},
        {"to-file", required_argument, NULL, 'O'},
        {"dlq-file", required_argument, NULL, 'D'},
        {"topic", required_argument, NULL, 'T'},
        {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    nw_consumer_opts opts = {.exit_when_idle_ms = -1};
    nw_replay_opts ropts = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "c:b:g:i:lh", longopts, NULL)) != -1) {
        switch (ch) {
        case 't': {
            int64_t epoch;
            int millis = 0;
            nw_err terr = {0};
            if (nw_time_parse(optarg, "UTC", &epoch, &millis, &terr) < 0) {
                fprintf(stderr, "newswire-consumer: --from-time: %s\n", terr.msg);
                return 64;
            }
            opts.from_time_ms = epoch * 1000 + millis;
            break;
        }
        case 'F': ropts.in_path = optarg; break;
        case 'O': ropts.out_path = optarg; break;
        case 'D': ropts.dlq_path = optarg; break;
        case 'T': ropts.topic = optarg; break;
        case 'c': config_path = optarg; break;
        case 'b': opts.brokers = optarg; break;
        case 'g': opts.group = optarg; break;
        case 'i': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0) {
                fprintf(stderr,
                        "newswire-consumer: --exit-when-idle: expected milliseconds, "
                        "got '%s'\n",
                        optarg);
                return 64;
            }
            opts.exit_when_idle_ms = v;
            break;
        }
        case 'C': opts.check_only = true; break;
        case 'l': return list_plugins();
        case 'd': return describe_plugin(optarg);
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 64;
        }
    }
    if (!config_path || optind != argc) {
        usage(stderr);
        return 64;
    }
    if (!ropts.in_path && (ropts.out_path || ropts.dlq_path || ropts.topic)) {
        fprintf(stderr, "newswire-consumer: --to-file, --dlq-file and --topic need "
                        "--from-file\n");
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
    if (ropts.in_path)
        return run_replay(cfg, &ropts);

    nw_consumer *c = NULL;
    if (nw_consumer_new(cfg, &opts, &c, &err) < 0) {
        fprintf(stderr, "newswire-consumer: %s\n", err.msg);
        nw_config_free(cfg);
        return err.code == NW_EINVAL ? 78 : 1;
    }

    if (opts.check_only) {
        nw_consumer_free(c);
        nw_config_free(cfg);
        printf("%s: ok\n", config_path);
        return 0;
    }
    running = c;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = nw_consumer_run(c, &err);
    if (rc < 0)
        nw_log_error("consumer", "%s", err.msg);
    running = NULL;
    nw_consumer_free(c);
    nw_config_free(cfg);
    return rc < 0 ? 1 : 0;
}
