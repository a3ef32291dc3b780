/*
 * cmd_train_topics — `newswire train-topics`: trains the enrich plugin's topic
 * keyword model on an operator's own archive of ninjs stories tagged with
 * IPTC Media Topics (files, JSON lines such as archive-fs writes, or
 * directories of them) and writes it where the plugin's `topic_model`
 * setting points (docs/enrich.md). The counting and the choice of keywords
 * are nw_enrich_train's; this file reads inputs and reports. It never
 * changes an input and replaces the output only once it is complete.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "nw_enrich_data.h"
#include "nw_enrich_train.h"

static const char train_usage[] =
    "usage: newswire train-topics -o MODEL.tsv [--data-dir DIR] [--min-df N] PATH...\n"
    "\n"
    "Trains the enrich plugin's topic model on ninjs stories whose subjects carry IPTC\n"
    "Media Topic uris (" NW_MEDIATOPIC_URI "<code>), and writes it to MODEL.tsv;\n"
    "point the plugin at it with `topic_model: MODEL.tsv` (SIGHUP reloads it).\n"
    "PATH: a file holding a ninjs object, a JSON array of them or JSON lines (archive-fs's\n"
    ".jsonl files), or a directory whose .json, .jsonl and .ndjson files are read, recursively.\n"
    "--data-dir: the enrich data whose mediatopics.tsv maps codes to top-level topics\n"
    "(default: the installed one). --min-df: least stories of a topic a keyword occurs in (5).\n"
    "Exit status: 0 written, 64 usage, 65 bad input or too few tagged stories, 66 a PATH\n"
    "cannot be read, 73 MODEL.tsv cannot be written.\n";

typedef struct train_run {
    nw_topic_trainer *trainer;
    size_t files, stories, untagged;
    int status; /* first failure's exit status, 0 while fine */
} train_run;

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int add_story(train_run *r, json_t *story)
{
    int rc = nw_topic_trainer_add(r->trainer, story);
    if (rc < 0) {
        fprintf(stderr, "newswire train-topics: out of memory\n");
        return r->status = 70;
    }
    r->stories++;
    r->untagged += rc == 0;
    return 0;
}

/* One input file: a JSON value (an object or an array of objects), else JSON lines. */
static int train_file(train_run *r, const char *path)
{
    size_t len;
    char *buf = read_all(path, &len);
    if (!buf) {
        fprintf(stderr, "newswire train-topics: %s: cannot read\n", path);
        return r->status = 66;
    }
    r->files++;
    json_error_t jerr;
    json_t *doc = json_loadb(buf, len, 0, &jerr);
    if (doc) {
        size_t i;
        json_t *v;
        if (json_is_array(doc)) {
            json_array_foreach(doc, i, v)
            {
                if (add_story(r, v) != 0)
                    break;
            }
        } else {
            add_story(r, doc);
        }
        json_decref(doc);
        free(buf);
        return r->status;
    }
    int lineno = 0;
    for (char *line = buf, *next; line && !r->status; line = next) {
        lineno++;
        next = strchr(line, '\n');
        size_t n = next ? (size_t)(next - line) : strlen(line);
        if (next)
            next++;
        if (strspn(line, " \t\r") >= n)
            continue;
        json_t *story = json_loadb(line, n, 0, &jerr);
        if (!story) {
            fprintf(stderr, "newswire train-topics: %s:%d: not JSON (%s)\n", path, lineno,
                    jerr.text);
            r->status = 65;
            break;
        }
        add_story(r, story);
        json_decref(story);
    }
    free(buf);
    return r->status;
}

static bool json_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson"));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or a directory's JSON files and subdirectories in name order. */
static int train_path(train_run *r, const char *path, bool given)
{
    struct stat st;
    if ((given ? stat(path, &st) : lstat(path, &st)) != 0) {
        fprintf(stderr, "newswire train-topics: %s: no such file or directory\n", path);
        return r->status = 66;
    }
    if (S_ISLNK(st.st_mode))
        return 0; /* inside a directory: links are not followed (no loops) */
    if (!S_ISDIR(st.st_mode))
        return given || json_name(path) ? train_file(r, path) : 0;
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "newswire train-topics: %s: cannot open the directory\n", path);
        return r->status = 66;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        if (!r->status && (size_t)snprintf(sub, sizeof sub, "%s/%s", path, names[i]) < sizeof sub)
            train_path(r, sub, false);
        free(names[i]);
    }
    free(names);
    return r->status;
}

/* Write the model beside `out` and rename it into place. */
static int write_model(const nw_topic_trainer *t, const char *out, unsigned min_df)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "newswire train-topics: %s: cannot create\n", tmp);
        return 73;
    }
    nw_err err;
    nw_err_clear(&err);
    int n = nw_topic_trainer_write(t, f, min_df, &err);
    if (fclose(f) != 0 && n > 0) {
        n = NW_EIO;
        nw_err_set(&err, NW_EIO, "cannot write the model");
    }
    if (n <= 0) {
        unlink(tmp);
        fprintf(stderr, "newswire train-topics: %s: %s\n", out, err.msg);
        return n == NW_EINVAL ? 65 : n == NW_ENOMEM ? 70 : 73;
    }
    if (rename(tmp, out) != 0) {
        unlink(tmp);
        fprintf(stderr, "newswire train-topics: %s: cannot replace\n", out);
        return 73;
    }
    fprintf(stderr, "newswire train-topics: %d keywords -> %s\n", n, out);
    return 0;
}

int nw_cmd_train_topics(int argc, char **argv)
{
    const char *out = NULL, *data_dir = NULL;
    long min_df = 5;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(train_usage, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            break;
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out"))
            out = argv[++i];
        else if (!strcmp(argv[i], "--data-dir"))
            data_dir = argv[++i];
        else if (!strcmp(argv[i], "--min-df")) {
            char *end;
            min_df = strtol(argv[++i], &end, 10);
            if (*end || min_df < 1 || min_df > 1000000) {
                fprintf(stderr, "newswire train-topics: --min-df: a number from 1, not '%s'\n",
                        argv[i]);
                return 64;
            }
        } else
            break;
    }
    if (!out || i >= argc) {
        fputs(train_usage, stderr);
        return 64;
    }
    char dir_buf[4200];
    if (!data_dir)
        data_dir = nw_enrich_data_default_dir(dir_buf, sizeof dir_buf);
    nw_err err;
    nw_err_clear(&err);
    nw_enrich_data *data = nw_enrich_data_load(data_dir, &err);
    if (!data) {
        fprintf(stderr, "newswire train-topics: %s\n", err.msg);
        return 66;
    }
    train_run r = {.trainer = nw_topic_trainer_new(data, &err)};
    if (!r.trainer) {
        nw_enrich_data_release(data);
        fprintf(stderr, "newswire train-topics: %s\n", err.msg);
        return 70;
    }
    for (; i < argc && !r.status; i++)
        train_path(&r, argv[i], true);
    if (!r.status) {
        fprintf(stderr,
                "newswire train-topics: %zu files, %zu stories, %zu with a Media Topic, %zu "
                "without (left out)\n",
                r.files, r.stories, nw_topic_trainer_stories(r.trainer), r.untagged);
        r.status = write_model(r.trainer, out, (unsigned)min_df);
    }
    nw_topic_trainer_free(r.trainer);
    nw_enrich_data_release(data);
    return r.status;
}
