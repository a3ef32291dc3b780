/*
 * newswire — the operator's tool: parse files to ninjs without Kafka, run the
 * embedded broker. Dispatches to one function per subcommand (commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"parse", nw_cmd_parse, "parse wire files and print one ninjs JSON object per story"},
    {"broker", nw_cmd_broker, "run the embedded Kafka broker (librdkafka mock cluster)"},
    {"search", nw_cmd_search, "search the index kept by the sqlite-fts sink"},
    {"show", nw_cmd_show, "print a story's current version from the sqlite-fts index"},
    {"train-topics", nw_cmd_train_topics, "train the enrich plugin's topic model on tagged ninjs"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: newswire <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'newswire <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "newswire: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 64;
}
