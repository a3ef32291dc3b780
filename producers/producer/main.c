/*
 * newswire-producer — wire files to Kafka.
 *
 * This file owns the command line and the `--once` run: collect the input
 * files (folders recursively, sorted, dot-files skipped), parse each one,
 * publish its stories through nw_publish, wait for every delivery report and
 * report. A file that fails to parse publishes nothing and makes the exit
 * status 65; with --strict any bad file stops the run before anything is
 * published. Exit 0 only when every message was acknowledged.
 * With --config it hands over to the long-lived spool and feed service
 * (nw_service) and returns its status.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nw_kafka.h"
#include "nw_log.h"
#include "nw_parser.h"
#include "nw_publish.h"
#include "nw_service.h"

/* sysexits.h codes */
enum {
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_SOFTWARE = 70,
    EXIT_TEMPFAIL = 75,
    EXIT_CONFIG = 78,
};

#define PROG            "newswire-producer"
#define MAX_KAFKA_PROPS 64

typedef struct producer_args {
    const char *brokers;
    bool once;
    bool strict;
    bool category_from_dir;
    const char *format;
    const char *timezone;
    const char *category;
    const char *topic_prefix;
    const char *kafka_props[MAX_KAFKA_PROPS]; /* "key=value", borrowed from argv */
    size_t nkafka_props;
} producer_args;

typedef struct path_list {
    char **items;
    size_t len, cap;
} path_list;

typedef struct run_stats {
    size_t files, bad_files, stories;
} run_stats;

static void usage(FILE *out)
{
    fprintf(out, "usage: " PROG " --config FILE [--brokers HOST:PORT[,...]] [--check-config]\n"
                 "       " PROG " --brokers HOST:PORT[,...] --once [options] PATH...\n"
                 "\n"
                 "With --config, run as a service: watch the spool directories of FILE (see\n"
                 "deploy/producer.yaml), publish every story and move each file to done/ once\n"
                 "Kafka acknowledged all its messages (failed/ with a .error file otherwise).\n"
                 "SIGHUP reloads FILE, SIGTERM drains and exits 0. --check-config only\n"
                 "validates FILE (exit 0 or 78). --brokers overrides kafka.bootstrap.servers.\n"
                 "\n"
                 "Parse wire files and publish one ninjs JSON message per story and category to\n"
                 "Kafka topic <prefix><category-slug> (key = story uri), then wait until Kafka\n"
                 "has acknowledged every message. Folders are read recursively in sorted order;\n"
                 "names starting with '.' are skipped; '-' reads standard input.\n"
                 "\n"
                 "options:\n"
                 "  --brokers LIST        Kafka bootstrap servers (e.g. from `newswire broker`)\n"
                 "  --once                publish the given files and exit\n"
                 "  --format NAME         input format (default: detect per file)\n"
                 "  --timezone ZONE       zone of times written without one (default UTC)\n"
                 "  --category NAME       category for stories whose input names none\n"
                 "  --category-from-dir   use each file's parent folder name as that category\n"
                 "                        (folders laid out like bbc/<category>/NNN.txt)\n"
                 "  --topic-prefix P      topic prefix (default \"" NW_TOPIC_PREFIX_NEWS "\");"
                 " stories without\n"
                 "                        a category go to <prefix>" NW_PUBLISH_UNCATEGORIZED "\n"
                 "  --strict              any file that fails to parse aborts the run before\n"
                 "                        anything is published\n"
                 "  -X KEY=VALUE          librdkafka property (repeatable), e.g. -X acks=all\n"
                 "  -h, --help            this text\n"
                 "\n"
                 "exit status: 0 every message acknowledged; 64 usage; 65 some file could not be\n"
                 "parsed (the others were published); 66 a PATH does not exist; 75 some message\n"
                 "was not acknowledged by Kafka; 78 bad Kafka configuration.\n");
}

/* ------------------------------------------------------------------------ */
/* Collecting input files                                                   */
/* ------------------------------------------------------------------------ */

static int path_list_add(path_list *l, const char *path)
{
    if (l->len == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char **n = realloc(l->items, ncap * sizeof *n);
        if (!n)
            return NW_ENOMEM;
        l->items = n;
        l->cap = ncap;
    }
    if (!(l->items[l->len] = strdup(path)))
        return NW_ENOMEM;
    l->len++;
    return 0;
}

static void path_list_free(path_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Append the regular files under dir, sorted by name at every level. */
static int collect_dir(const char *dir, path_list *out, int depth, nw_err *err)
{
    if (depth > 64)
        return nw_err_set(err, NW_ELIMIT, "%s: folders nested deeper than 64 levels", dir);
    struct dirent **names;
    int n = scandir(dir, &names, skip_dot, by_name);
    if (n < 0)
        return nw_err_set(err, NW_EIO, "%s: %s", dir, strerror(errno));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
            char *path = malloc(len);
            struct stat st;
            if (!path) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
            } else {
                snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                         names[i]->d_name);
                if (stat(path, &st) < 0)
                    rc = nw_err_set(err, NW_EIO, "%s: %s", path, strerror(errno));
                else if (S_ISDIR(st.st_mode))
                    rc = collect_dir(path, out, depth + 1, err);
                else if (S_ISREG(st.st_mode) && path_list_add(out, path) < 0)
                    rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                free(path);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int collect_inputs(char **paths, int n, path_list *out, nw_err *err)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (!strcmp(paths[i], "-")) { /* standard input, read by nw_parse_file */
            if (path_list_add(out, paths[i]) < 0)
                return nw_err_set(err, NW_ENOMEM, "out of memory");
            continue;
        }
        if (stat(paths[i], &st) < 0)
            return nw_err_set(err, NW_ENOTFOUND, "%s: %s", paths[i], strerror(errno));
        int rc = S_ISDIR(st.st_mode) ? collect_dir(paths[i], out, 0, err)
                                     : (path_list_add(out, paths[i]) < 0
                                            ? nw_err_set(err, NW_ENOMEM, "out of memory")
                                            : 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The name of the folder that holds path ("bbc/tech/001.txt" -> "tech"), written
 * into buf; "" when the path has no folder part. */
static const char *parent_dir_name(const char *path, char *buf, size_t len)
{
    const char *end = strrchr(path, '/');
    buf[0] = '\0';
    if (!end)
        return buf;
    while (end > path && end[-1] == '/')
        end--;
    const char *start = end;
    while (start > path && start[-1] != '/')
        start--;
    size_t n = (size_t)(end - start);
    if (n >= len)
        n = len - 1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Parsing and publishing                                                   */
/* ------------------------------------------------------------------------ */

static int parse_one(const producer_args *a, const char *path, nw_story_list *list, nw_err *err)
{
    char dirname[256];
    nw_parse_opts opts = {0};
    opts.timezone = a->timezone;
    opts.default_category = a->category;
    if (a->category_from_dir) {
        parent_dir_name(path, dirname, sizeof dirname);
        if (dirname[0] && strcmp(dirname, ".") && strcmp(dirname, ".."))
            opts.default_category = dirname;
    }
    return nw_parse_file(path, a->format, &opts, list, err);
}

/* Parse `path` and publish all its stories, or none of them. */
static int publish_file(const producer_args *a, nw_publisher *pub, const char *path, run_stats *st)
{
    nw_story_list list = {0};
    nw_err err = {0};
    st->files++;
    if (parse_one(a, path, &list, &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        st->bad_files++;
        return err.code;
    }
    /* serialize every story first: a file is published whole or not at all */
    nw_outmsg **msgs = calloc(list.len ? list.len : 1, sizeof *msgs);
    int rc = 0;
    if (!msgs) {
        fprintf(stderr, PROG ": %s: out of memory\n", path);
        rc = NW_ENOMEM;
    }
    for (size_t i = 0; msgs && i < list.len; i++) {
        msgs[i] = nw_publisher_prepare(pub, list.items[i], path, &err);
        if (!msgs[i]) {
            fprintf(stderr, PROG ": %s: %s\n", path, err.msg);
            rc = err.code;
            break;
        }
    }
    if (rc < 0) {
        st->bad_files++;
    } else {
        for (size_t i = 0; i < list.len; i++) {
            /* refused sends are counted by the publisher and fail the run */
            if (nw_publisher_send(pub, msgs[i], NULL, &err) < 0)
                fprintf(stderr, PROG ": %s: %s\n", path, err.msg);
            st->stories++;
        }
    }
    for (size_t i = 0; msgs && i < list.len; i++)
        nw_outmsg_free(msgs[i]);
    free(msgs);
    nw_story_list_free(&list);
    return rc;
}

/* --strict: parse and serialize every file (and discard the result) before
 * publishing anything. Returns the number of bad files. */
static size_t check_files(const producer_args *a, nw_publisher *pub, const path_list *files)
{
    size_t bad = 0;
    for (size_t i = 0; i < files->len; i++) {
        nw_story_list list = {0};
        nw_err err = {0};
        if (parse_one(a, files->items[i], &list, &err) < 0) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            bad++;
        } else {
            for (size_t j = 0; j < list.len; j++) {
                nw_outmsg *m = nw_publisher_prepare(pub, list.items[j], files->items[i], &err);
                if (!m) {
                    fprintf(stderr, PROG ": %s: %s\n", files->items[i], err.msg);
                    bad++;
                    break;
                }
                nw_outmsg_free(m);
            }
        }
        nw_story_list_free(&list);
    }
    return bad;
}

static rd_kafka_conf_t *build_conf(const producer_args *a, nw_err *err)
{
    rd_kafka_conf_t *conf = nw_kafka_conf_new(NULL, a->brokers, err);
    if (!conf)
        return NULL;
    /* a one-shot run should give up on an unreachable cluster in reasonable
     * time; -X message.timeout.ms=... overrides */
    if (nw_kafka_conf_set(conf, "client.id", "newswire-producer", err) < 0 ||
        nw_kafka_conf_set(conf, "message.timeout.ms", "30000", err) < 0)
        goto fail;
    for (size_t i = 0; i < a->nkafka_props; i++) {
        const char *kv = a->kafka_props[i];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            nw_err_set(err, NW_EINVAL, "-X %s: expected KEY=VALUE", kv);
            goto fail;
        }
        char key[256];
        size_t klen = (size_t)(eq - kv);
        if (klen >= sizeof key) {
            nw_err_set(err, NW_EINVAL, "-X: property name too long");
            goto fail;
        }
        memcpy(key, kv, klen);
        key[klen] = '\0';
        if (nw_kafka_conf_set(conf, key, eq + 1, err) < 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static int run_once(const producer_args *a, char **paths, int npaths)
{
    path_list files = {0};
    run_stats st = {0};
    nw_publish_counts counts = {0};
    nw_err err = {0};
    int status = 0;
    nw_publisher *pub = NULL;

    if (collect_inputs(paths, npaths, &files, &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        status = err.code == NW_ENOTFOUND ? EXIT_NOINPUT : EXIT_SOFTWARE;
        goto out;
    }
    rd_kafka_conf_t *conf = build_conf(a, &err);
    if (!conf) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        status = EXIT_CONFIG;
        goto out;
    }
    nw_publish_opts popts = {.topic_prefix = a->topic_prefix};
    pub = nw_publisher_new(conf, &popts, &err);
    if (!pub) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        fprintf(stderr, PROG ": %s\n", err.msg);
        status = EXIT_CONFIG;
        goto out;
    }

    if (a->strict) {
        size_t bad = check_files(a, pub, &files);
        if (bad) {
            fprintf(stderr,
                    PROG ": --strict: %zu of %zu files could not be parsed; nothing "
                         "published\n",
                    bad, files.len);
            st.files = files.len;
            st.bad_files = bad;
            status = EXIT_DATAERR;
            goto out;
        }
    }

    for (size_t i = 0; i < files.len; i++)
        publish_file(a, pub, files.items[i], &st);

    /* every message has a report within message.timeout.ms: wait for all */
    if (nw_publisher_drain(pub, -1, &counts, &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        status = EXIT_TEMPFAIL;
    } else if (st.bad_files) {
        status = EXIT_DATAERR;
    }

out:
    fprintf(stderr,
            PROG ": files=%zu bad_files=%zu stories=%zu messages=%zu acked=%zu failed=%zu\n",
            st.files, st.bad_files, st.stories, counts.messages, counts.acked,
            counts.failed + counts.pending);
    nw_publisher_free(pub);
    path_list_free(&files);
    return status;
}

static int run_service(const char *config, const char *brokers, bool check_only, bool extra)
{
    if (extra) {
        fprintf(stderr, PROG ": --config takes no PATH arguments (inputs are in the config)\n");
        return EXIT_USAGE;
    }
    nw_service_opts o = {.config_path = config, .brokers = brokers};
    nw_err err = {0};
    if (check_only) {
        if (nw_service_check_config(&o, &err) < 0) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            return EXIT_CONFIG;
        }
        printf("%s: ok\n", config);
        return 0;
    }
    /* Buffers of 1 MiB and more (a large file's bytes) are mapped and
     * unmapped on their own: glibc otherwise raises its mmap threshold
     * after the first one is freed and serves the next from a thread's
     * heap, whose top malloc_trim never gives back (an idle service kept
     * 17 MB of a 16 MB read buffer). A fixed threshold also keeps the heap
     * trim threshold low. docs/operations.md, Sizing. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    int rc = nw_service_run(&o, &err);
    if (rc < 0) {
        nw_log_error("producer", "cannot run: %s", err.msg);
        return rc == NW_EINVAL || rc == NW_ENOTFOUND ? EXIT_CONFIG : EXIT_SOFTWARE;
    }
    return 0;
}

/* The ninjs 3.1 schema every ninjs input is checked against (NW_NINJS_SCHEMA
 * or the default path); NULL when it is unreadable or not a schema (the
 * error is printed). Without a file, an empty registry and one warning:
 * ninjs files then fail, nothing unchecked is published. */
static nw_jsonschema *open_ninjs_schema(void)
{
    nw_jsonschema *schema = NULL;
    nw_err err = {0};
    int rc = nw_ninjs_schema_open(NULL, &schema, &err);
    if (rc == NW_ENOTFOUND)
        nw_log_warn("producer", "%s", err.msg);
    else if (rc)
        fprintf(stderr, PROG ": ninjs schema: %s\n", err.msg);
    nw_parser_set_ninjs_schema(schema);
    return schema;
}

/* run_once or run_service with the ninjs schema loaded around it. */
static int with_schema(const producer_args *a, const char *config, bool check_only, bool extra,
                       char **paths, int npaths)
{
    nw_jsonschema *schema = open_ninjs_schema();
    if (!schema)
        return EXIT_CONFIG;
    int rc =
        config ? run_service(config, a->brokers, check_only, extra) : run_once(a, paths, npaths);
    nw_parser_set_ninjs_schema(NULL);
    nw_jsonschema_free(schema);
    return rc;
}

int main(int argc, char **argv)
{
    enum {
        OPT_BROKERS = 256,
        OPT_ONCE,
        OPT_FORMAT,
        OPT_TZ,
        OPT_CATEGORY,
        OPT_CAT_DIR,
        OPT_PREFIX,
        OPT_STRICT,
        OPT_CONFIG,
        OPT_CHECK
    };
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"once", no_argument, NULL, OPT_ONCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"timezone", required_argument, NULL, OPT_TZ},
        {"category", required_argument, NULL, OPT_CATEGORY},
        {"category-from-dir", no_argument, NULL, OPT_CAT_DIR},
        {"topic-prefix", required_argument, NULL, OPT_PREFIX},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    producer_args a = {0};
    const char *config = NULL;
    bool check_only = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hX:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BROKERS: a.brokers = optarg; break;
        case OPT_ONCE: a.once = true; break;
        case OPT_FORMAT: a.format = optarg; break;
        case OPT_TZ: a.timezone = optarg; break;
        case OPT_CATEGORY: a.category = optarg; break;
        case OPT_CAT_DIR: a.category_from_dir = true; break;
        case OPT_PREFIX: a.topic_prefix = optarg; break;
        case OPT_STRICT: a.strict = true; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_CHECK: check_only = true; break;
        case 'X':
            if (a.nkafka_props == MAX_KAFKA_PROPS) {
                fprintf(stderr, PROG ": at most %d -X options\n", MAX_KAFKA_PROPS);
                return EXIT_USAGE;
            }
            a.kafka_props[a.nkafka_props++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default:
            if (optopt > 0 && optopt < 128)
                fprintf(stderr, PROG ": option -%c: missing value or unknown\n", optopt);
            else
                fprintf(stderr, PROG ": unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (config && a.once) {
        fprintf(stderr, PROG ": --config and --once exclude each other\n");
        return EXIT_USAGE;
    }
    if (config)
        return with_schema(&a, config, check_only, optind < argc, NULL, 0);
    if (!a.once) {
        fprintf(stderr, PROG ": give --config FILE (service) or --once PATH... (one run)\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!a.brokers || !*a.brokers) {
        fprintf(stderr, PROG ": --brokers is required (try `newswire broker` for a local "
                             "one)\n");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, PROG ": no input: give one or more files or folders\n");
        return EXIT_USAGE;
    }
    if (a.category && a.category_from_dir) {
        fprintf(stderr, PROG ": --category and --category-from-dir exclude each other\n");
        return EXIT_USAGE;
    }
    for (int i = optind; a.strict && i < argc; i++)
        if (!strcmp(argv[i], "-")) {
            fprintf(stderr, PROG ": --strict reads every input twice; standard input ('-') "
                                 "can be read only once\n");
            return EXIT_USAGE;
        }
    if (a.format && !strcmp(a.format, "auto"))
        a.format = NULL;
    if (a.format && !nw_parser_find(a.format)) {
        const nw_parser *const *all;
        size_t n = nw_parser_all(&all);
        fprintf(stderr, PROG ": --format %s: unknown format (known: auto", a.format);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, ", %s", all[i]->name);
        fprintf(stderr, ")\n");
        return EXIT_USAGE;
    }
    return with_schema(&a, NULL, false, false, argv + optind, argc - optind);
}
