/*
 * cmd_parse — `newswire parse`: wire files to ninjs JSON lines on stdout,
 * without Kafka. One compact JSON object per story per line; each file that
 * cannot be parsed is reported on stderr as "newswire: FILE: reason" and the
 * others are still printed. Exit 0, 64 (usage), 65 (a file failed) or 74
 * (stdout could not be written).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_text.h"
#include "nw_time.h"

#define EX_USAGE_   64
#define EX_DATAERR_ 65
#define EX_IOERR_   74

static void parse_usage(FILE *out)
{
    fprintf(out, "usage: newswire parse [--format FORMAT] [--timezone ZONE] [--category NAME]\n"
                 "                      [--ninjs-schema PATH] FILE...\n"
                 "\n"
                 "Parse wire files and print one ninjs JSON object per story per line.\n"
                 "FILE '-' reads standard input.\n"
                 "\n"
                 "  -f, --format FORMAT   auto (default: detect) or one of:\n");
    const nw_parser *const *all;
    size_t n = nw_parser_all(&all);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "                          %-14s %s\n", all[i]->name, all[i]->description);
    fprintf(out, "  -t, --timezone ZONE   zone of times written without one (default UTC;\n"
                 "                        \"+08:00\" or an IANA name like Asia/Shanghai)\n"
                 "  -c, --category NAME   category for stories whose input names none\n"
                 "  -s, --ninjs-schema PATH  the ninjs 3.1 schema ninjs input is checked\n"
                 "                        against (default $NW_NINJS_SCHEMA, else\n"
                 "                        " NW_NINJS_SCHEMA_DEFAULT ");\n"
                 "                        without it ninjs input fails, as in the producer\n"
                 "  -h, --help            this text\n"
                 "\n"
                 "Exit status: 0 ok, 64 usage error, 65 a file could not be parsed,\n"
                 "74 output could not be written.\n");
}

static void warn_to_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "newswire: warning: %s\n", msg);
}

/* Is `zone` one nw_time knows? Tried on a fixed date. */
static int zone_known(const char *zone, nw_err *err)
{
    nw_civil c = {2000, 1, 1, 12, 0, 0};
    int64_t epoch;
    return nw_time_from_civil(&c, zone, &epoch, err);
}

/* The JSON lines of one file, made as the parser hands each story on and
 * kept in a temporary file until the whole file has parsed: neither the
 * stories nor their JSON are ever all in memory. */
typedef struct lines_sink {
    FILE *out; /* tmpfile(); NULL when it could not be made */
    bool write_failed;
    size_t n;
    char failed[NW_ERR_MSG_MAX + 64]; /* the first story that could not be encoded */
} lines_sink;

static int sink_story(void *ctx, nw_story *story, nw_err *err)
{
    (void)err;
    lines_sink *ls = ctx;
    nw_err jerr = {0};
    char *line = ls->failed[0] ? NULL : nw_ninjs_dumps(story, &jerr);
    nw_story_free(story);
    ls->n++;
    if (!line && !ls->failed[0])
        snprintf(ls->failed, sizeof ls->failed, "story %zu: cannot encode as ninjs: %s", ls->n,
                 jerr.msg);
    if (line) {
        if (!ls->out || fputs(line, ls->out) < 0 || fputc('\n', ls->out) == EOF)
            ls->write_failed = true;
        free(line);
    }
    return 0;
}

/* Parse one file and print its stories; 0 ok, -1 the file failed. A file
 * prints all its stories or none. */
static int parse_one(const char *path, const char *format, const nw_parse_opts *opts)
{
    nw_story_list stories = {0};
    nw_err err = {0};
    lines_sink ls = {.out = tmpfile()};
    nw_parse_opts o = *opts;
    o.sink = sink_story;
    o.sink_ctx = &ls;
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    int rc = 0;
    if (nw_parse_file(path, format, &o, &stories, &err) < 0) {
        fprintf(stderr, "newswire: %s\n", err.msg);
        rc = -1;
    } else if (ls.failed[0]) {
        fprintf(stderr, "newswire: %s: %s\n", name, ls.failed);
        rc = -1;
    } else if (ls.write_failed || fflush(ls.out) != 0) {
        fprintf(stderr, "newswire: %s: cannot keep the output in a temporary file: %s\n", name,
                strerror(errno));
        rc = -1;
    } else {
        rewind(ls.out);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, ls.out)) > 0)
            fwrite(buf, 1, n, stdout);
    }
    if (ls.out)
        fclose(ls.out);
    nw_story_list_free(&stories);
    return rc;
}

int nw_cmd_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},   {"timezone", required_argument, NULL, 't'},
        {"category", required_argument, NULL, 'c'}, {"ninjs-schema", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *format = "auto", *schema_path = NULL;
    nw_parse_opts opts = {0};
    opts.warn = warn_to_stderr;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":f:t:c:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 't': opts.timezone = optarg; break;
        case 'c': opts.default_category = optarg; break;
        case 's': schema_path = optarg; break;
        case 'h': parse_usage(stdout); return 0;
        case ':':
            fprintf(stderr, "newswire parse: option '%s' needs a value\n", argv[optind - 1]);
            parse_usage(stderr);
            return EX_USAGE_;
        default:
            fprintf(stderr, "newswire parse: unknown option '%s'\n", argv[optind - 1]);
            parse_usage(stderr);
            return EX_USAGE_;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "newswire parse: no FILE given\n");
        parse_usage(stderr);
        return EX_USAGE_;
    }
    if (strcmp(format, "auto") && !nw_parser_find(format)) {
        fprintf(stderr, "newswire parse: --format: unknown format '%s' (see --help)\n", format);
        return EX_USAGE_;
    }
    nw_err err = {0};
    if (opts.timezone && zone_known(opts.timezone, &err) < 0) {
        fprintf(stderr, "newswire parse: --timezone: %s\n", err.msg);
        return EX_USAGE_;
    }
    if (opts.default_category) {
        char *slug = nw_text_slug(opts.default_category);
        int empty = !slug || !slug[0];
        free(slug);
        if (empty) {
            fprintf(stderr, "newswire parse: --category: '%s' has no letters or digits\n",
                    opts.default_category);
            return EX_USAGE_;
        }
    }

    nw_jsonschema *schema = NULL;
    int src = nw_ninjs_schema_open(schema_path, &schema, &err);
    if (src == NW_ENOTFOUND && schema_path) {
        fprintf(stderr, "newswire parse: --ninjs-schema: %s\n", err.msg);
        nw_jsonschema_free(schema);
        return EX_USAGE_;
    }
    if (src && src != NW_ENOTFOUND) {
        fprintf(stderr, "newswire parse: ninjs schema: %s\n", err.msg);
        return EX_USAGE_;
    }
    nw_parser_set_ninjs_schema(schema);

    int failed = 0;
    for (int i = optind; i < argc; i++) {
        if (parse_one(argv[i], format, &opts) < 0)
            failed++;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "newswire: cannot write to standard output\n");
            failed = -1;
            break;
        }
    }
    nw_parser_set_ninjs_schema(NULL);
    nw_jsonschema_free(schema);
    return failed < 0 ? EX_IOERR_ : failed ? EX_DATAERR_ : 0;
}
