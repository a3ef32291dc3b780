/*
 * test_producer_service — `newswire-producer --config FILE` as a real child
 * process against an in-process embedded broker (nw_broker, so tests can
 * take it down): spool pick-up (renamed in and written in place), done/ and
 * failed/ moves with their .error, an oversized story, SIGHUP reload, SIGTERM
 * drain, /metrics and /readyz; the crash test (2,000 files, SIGKILL at
 * random moments, nothing lost) and the broker outage test (20 s down,
 * nothing lost, memory bounded, intake resumes by itself).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

static nw_broker *broker;
static nw_test_spool sp;

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 4, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    cr_assert_eq(nw_test_spool_init(&sp, "producer-service", false), 0);
}

static void teardown(void)
{
    nw_broker_free(broker);
    broker = NULL;
    nw_test_spool_cleanup(&sp);
}

TestSuite(producer_service, .init = setup, .fini = teardown, .timeout = 240);

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* Write the config: one spool at sp.spool plus `extra` YAML (may be ""). */
static void write_config(const char *format, const char *extra)
{
    cr_assert_eq(
        nw_test_spool_config(&sp, nw_broker_bootstrap(broker), format, "300ms", "1s", extra), 0);
}

/* The producer on sp.config; each run logs afresh, so http_port() finds
 * this run's line. The test waits for its exit itself. */
static pid_t start_producer(void)
{
    const char *args[] = {"--config", sp.config, NULL};
    pid_t pid = nw_test_start_logged("producers/newswire-producer", args, sp.log,
                                     NW_TEST_LOG_TRUNCATE, NULL);
    cr_assert(pid >= 0);
    return pid;
}

static void write_atomic(const char *dir, const char *name, const char *text)
{
    cr_assert_eq(nw_test_write_atomic(dir, name, text, strlen(text)), 0, "rename %s/%s: %s", dir,
                 name, strerror(errno));
}

static char *story_json(const char *uri, const char *headline, size_t body_len)
{
    char *body = malloc(body_len + 1);
    for (size_t i = 0; i < body_len; i++)
        body[i] = (i % 7 == 6) ? ' ' : 'a' + (char)(i % 26);
    body[body_len] = '\0';
    size_t cap = body_len + 512;
    char *out = malloc(cap);
    snprintf(out, cap,
             "{\"uri\":\"%s\",\"type\":\"text\",\"version\":\"1\","
             "\"versionCreated\":\"2024-03-05T14:30:00Z\",\"headlines\":[{\"value\":\"%s\"}],"
             "\"bodies\":[{\"value\":\"%s\",\"contentType\":\"text/plain\"}]}\n",
             uri, headline, body);
    free(body);
    return out;
}

/* Regular files (no dot-files, optionally no *.error) in spool/<sub>. */
static int count_files(const char *sub, bool with_errors)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", sp.spool, sub);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t l = strlen(e->d_name);
        bool is_err = l > 6 && !strcmp(e->d_name + l - 6, ".error");
        if (!is_err || with_errors)
            n++;
    }
    closedir(d);
    return n;
}

static bool wait_count(const char *sub, int want, int timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        if (count_files(sub, false) >= want)
            return true;
        usleep(50000);
    }
    return false;
}

static char *read_spool_file(const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", sp.spool, rel);
    return nw_test_read_file(path, NULL);
}

/* The HTTP port the producer logged ("http_port=N"), waiting for it. */
static int http_port(void)
{
    int port = nw_test_logged_http_port(sp.log, 15);
    cr_assert_gt(port, 0, "the producer never logged its http port");
    return port;
}

/* Value of the metric line starting with `series` ("name{labels}"), or -1. */
static double metric(const char *body, const char *series)
{
    for (const char *p = body; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (!strncmp(p, series, strlen(series)) && p[strlen(series)] == ' ')
            return atof(p + strlen(series) + 1);
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}

/* Distinct message keys (uris) across topics starting with prefix; also the
 * total message count in *total (may be NULL). Caller frees the keys. */
typedef struct keyset {
    char **keys;
    size_t len, cap;
} keyset;

static bool keyset_has(const keyset *k, const char *key)
{
    for (size_t i = 0; i < k->len; i++)
        if (!strcmp(k->keys[i], key))
            return true;
    return false;
}

static void keyset_free(keyset *k)
{
    for (size_t i = 0; i < k->len; i++)
        free(k->keys[i]);
    free(k->keys);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_key(const rd_kafka_message_t *m, void *ctx)
{
    keyset *ks = ctx;
    if (!m->key)
        return;
    if (ks->len == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 256;
        ks->keys = realloc(ks->keys, ks->cap * sizeof *ks->keys);
    }
    ks->keys[ks->len++] = strndup(m->key, m->key_len);
}

static keyset consume_keys(const char *prefix, size_t *total)
{
    keyset ks = {0};
    char err[512];
    long seen = nw_test_read_to_end(nw_broker_bootstrap(broker), prefix, true, 60000, add_key, &ks,
                                    err, sizeof err);
    cr_assert_geq(seen, 0, "%s", err);
    size_t n = ks.len;
    /* dedupe */
    qsort(ks.keys, ks.len, sizeof *ks.keys, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < ks.len; i++) {
        if (w && !strcmp(ks.keys[w - 1], ks.keys[i])) {
            free(ks.keys[i]);
            continue;
        }
        ks.keys[w++] = ks.keys[i];
    }
    ks.len = w;
    if (total)
        *total = n;
    return ks;
}

static char *incoming(void)
{
    return sp.incoming;
}

static void mkdirs(void)
{
    mkdir(sp.spool, 0755);
    mkdir(incoming(), 0755);
}

/* ------------------------------------------------------------------------ */
/* Behaviour                                                                */
/* ------------------------------------------------------------------------ */

Test(producer_service, picks_up_moves_and_reports)
{
    write_config("auto", "max_message_bytes: 20KiB\n");
    mkdirs();
    /* left from "before a crash": taken at start */
    char *s0 = story_json("urn:test:svc:0", "Left over", 100);
    write_atomic(incoming(), "000-left.json", s0);
    free(s0);
    pid_t pid = start_producer();
    int port = http_port();

    /* renamed in */
    char *s1 = story_json("urn:test:svc:1", "Renamed in", 100);
    write_atomic(incoming(), "001.json", s1);
    /* written in place, slowly: must not be taken half-written */
    char path[4096];
    snprintf(path, sizeof path, "%s/002.json", incoming());
    char *s2 = story_json("urn:test:svc:2", "Written in place", 2000);
    FILE *f = fopen(path, "w");
    size_t half = strlen(s2) / 2;
    fwrite(s2, 1, half, f);
    fflush(f);
    usleep(150000);
    fwrite(s2 + half, 1, strlen(s2) - half, f);
    fclose(f);
    /* a dot-file is never touched */
    char dot[4096];
    snprintf(dot, sizeof dot, "%s/.hidden.json", incoming());
    cr_assert_eq(nw_test_write_file(dot, s1, strlen(s1)), 0);
    /* a bad file: fails with the reason */
    write_atomic(incoming(), "003-bad.json", "{\"uri\": \"urn:x\", \"headlines\": [\n");
    /* an oversized story (30 KB > 20 KiB): failed, nothing sent */
    char *big = story_json("urn:test:svc:big", "Too big", 30000);
    write_atomic(incoming(), "004-big.json", big);
    free(big);
    /* a name collision in done/ */
    write_atomic(incoming(), "001.json.tmp", s1);

    cr_assert(wait_count("done", 4, 30), "done/ has %d files", count_files("done", false));
    cr_assert(wait_count("failed", 2, 30), "failed/ has %d files", count_files("failed", false));
    write_atomic(incoming(), "001.json", s1); /* same name again */
    cr_assert(wait_count("done", 5, 30));
    free(s1);
    free(s2);

    char *d = read_spool_file("done/001.json.1");
    cr_assert_not_null(d, "a second 001.json gets a suffix in done/");
    free(d);
    char *half_done = read_spool_file("done/002.json");
    cr_assert_not_null(half_done);
    cr_expect(strstr(half_done, "}]}") != NULL, "the in-place file was taken whole");
    free(half_done);
    char *e1 = read_spool_file("failed/003-bad.json.error");
    cr_assert_not_null(e1);
    cr_expect(strstr(e1, "003-bad.json") && strstr(e1, "parse error"), "error: %s", e1);
    free(e1);
    char *e2 = read_spool_file("failed/004-big.json.error");
    cr_assert_not_null(e2);
    cr_expect(strstr(e2, "urn:test:svc:big") && strstr(e2, "max_message_bytes"), "error: %s", e2);
    free(e2);
    cr_expect_eq(access(dot, F_OK), 0, "dot-files stay");
    cr_expect_eq(count_files("incoming", false), 0);

    /* /metrics and /readyz */
    char *m = nw_test_http_get(port, "/metrics");
    cr_assert_not_null(m);
    cr_expect_eq(metric(m, "newswire_producer_stories_published_total{input=\"wire\","
                           "format=\"auto\"}"),
                 5, "published: %s", m);
    cr_expect_eq(metric(m, "newswire_producer_items_failed_total{input=\"wire\","
                           "format=\"auto\"}"),
                 2);
    cr_expect_eq(metric(m, "newswire_producer_messages_acked_total"), 5);
    cr_expect_eq(metric(m, "newswire_producer_delivery_latency_seconds_count"), 5);
    cr_expect_eq(metric(m, "newswire_producer_files_in_flight"), 0);
    free(m);
    char *r = nw_test_http_get(port, "/readyz");
    cr_assert_not_null(r);
    cr_expect(strstr(r, " 200 ") != NULL, "readyz: %s", r);
    free(r);

    kill(pid, SIGTERM);
    cr_expect_eq(nw_test_exit_within(pid, 30), 0, "SIGTERM is a clean stop");

    /* in Kafka: the four good stories (001 twice), on news.general */
    size_t total = 0;
    keyset ks = consume_keys("news.", &total);
    cr_expect_eq(ks.len, 3, "distinct uris %zu", ks.len);
    cr_expect(keyset_has(&ks, "urn:test:svc:0") && keyset_has(&ks, "urn:test:svc:2"));
    cr_expect(!keyset_has(&ks, "urn:test:svc:big"), "an oversized story is never sent");
    keyset_free(&ks);
}

Test(producer_service, files_of_every_size_and_kind)
{
    /* waiting before the start (the scan's path: the loader trusts the
     * directory entry's type and reads without fstat first) */
    write_config("ninjs", "");
    mkdirs();
    char *small = story_json("urn:test:svc:small", "Small", 100);
    write_atomic(incoming(), "a-small.json", small);
    free(small);
    /* bigger than the loader's first read: read on to the end */
    char *large = story_json("urn:test:svc:large", "Large", 200000);
    write_atomic(incoming(), "b-large.json", large);
    size_t large_len = strlen(large);
    free(large);
    /* over the input limit: refused from its size, never read whole */
    char huge[4096];
    snprintf(huge, sizeof huge, "%s/c-huge.json", incoming());
    int fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, (off_t)17 << 20), 0);
    close(fd);
    /* not a regular file: left alone */
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s/d.fifo", incoming());
    cr_assert_eq(mkfifo(fifo, 0644), 0);

    pid_t pid = start_producer();
    cr_assert(wait_count("done", 2, 30), "done/ has %d files", count_files("done", false));
    cr_assert(wait_count("failed", 1, 30), "failed/ has %d", count_files("failed", false));
    char *got = read_spool_file("done/b-large.json");
    cr_assert_not_null(got);
    cr_expect_eq(strlen(got), large_len, "the large file was read whole");
    free(got);
    char *e = read_spool_file("failed/c-huge.json.error");
    cr_assert_not_null(e);
    cr_expect(strstr(e, "over the limit"), "error: %s", e);
    free(e);
    struct stat st;
    cr_expect(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO stays in incoming/");
    kill(pid, SIGTERM);
    cr_expect_eq(nw_test_exit_within(pid, 30), 0);

    /* info level: no line per file done, one summary; a failure has its own */
    char *log = nw_test_read_file(sp.log, NULL);
    cr_assert_not_null(log);
    cr_expect(!strstr(log, "file done"), "per-file success lines are debug: %s", log);
    cr_expect(strstr(log, "msg=\"files settled\" input=wire done=2 failed=1 stories=2"), "log: %s",
              log);
    cr_expect(strstr(log, "msg=\"file failed\" input=wire file=c-huge.json"), "log: %s", log);
    free(log);
}

/* The values of every message on `topic` with key `key`, in log order (the
 * key's partition), as one "|"-joined string of their headlines. */
typedef struct headlines {
    const char *key;
    char *out;
    size_t len, cap;
} headlines;

static void add_headline(const rd_kafka_message_t *m, void *ctx)
{
    headlines *hl = ctx;
    if (!m->key || m->key_len != strlen(hl->key) || memcmp(m->key, hl->key, m->key_len))
        return;
    /* the headline is the first "value" in the ninjs message */
    char *v = strndup(m->payload, m->len);
    const char *h = strstr(v, "\"headlines\"");
    const char *q = h ? strstr(h, "\"value\":\"") : NULL;
    if (q) {
        q += 9;
        const char *e = strchr(q, '"');
        if (e && hl->len + (size_t)(e - q) + 2 < hl->cap)
            hl->len += (size_t)snprintf(hl->out + hl->len, hl->cap - hl->len, "%s%.*s",
                                        hl->len ? "|" : "", (int)(e - q), q);
    }
    free(v);
}

static char *headlines_of_key(const char *topic, const char *key)
{
    headlines hl = {.key = key, .cap = 1 << 16};
    hl.out = calloc(1, hl.cap);
    char err[512];
    long seen = nw_test_read_to_end(nw_broker_bootstrap(broker), topic, false, 60000, add_headline,
                                    &hl, err, sizeof err);
    cr_assert_geq(seen, 0, "%s", err);
    return hl.out;
}

typedef struct named_version {
    char name[64], headline[32];
} named_version;

static int by_file_name(const void *a, const void *b)
{
    return strcmp(((const named_version *)a)->name, ((const named_version *)b)->name);
}

Test(producer_service, files_go_out_in_name_order)
{
    /* 300 versions of one story, one file each, waiting in incoming/ before
     * the start: they are read and parsed ahead on a helper thread, yet must
     * reach Kafka in file-name order (strcmp order), so the last version
     * stays the last. The names share a prefix and many share their next 8
     * bytes too (the scan sorts on those first), some end inside them. */
    write_config("ninjs", "");
    mkdirs();
    enum { N = 300 };
    static named_version v[N];
    for (int i = 0; i < N; i++) {
        if (i % 2)
            snprintf(v[i].name, sizeof v[i].name, "wire-%d-take-longer-than-eight-%d.json", i % 7,
                     i);
        else
            snprintf(v[i].name, sizeof v[i].name, "wire-%d.%d.json", i % 7, i);
        snprintf(v[i].headline, sizeof v[i].headline, "v%04d", i);
        char *st = story_json("urn:test:svc:order", v[i].headline, 50);
        write_atomic(incoming(), v[i].name, st);
        free(st);
        /* older than the settle time, so that every file is ready at the
         * first look (otherwise they become ready in waves as they age) */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", incoming(), v[i].name);
        struct timespec old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
        cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0, "%s", strerror(errno));
    }
    qsort(v, N, sizeof v[0], by_file_name);
    char want[N * 8] = "";
    size_t wl = 0;
    for (int i = 0; i < N; i++)
        wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%s", wl ? "|" : "", v[i].headline);
    pid_t pid = start_producer();
    cr_assert(wait_count("done", N, 60), "done/ has %d files", count_files("done", false));
    kill(pid, SIGTERM);
    cr_expect_eq(nw_test_exit_within(pid, 30), 0);
    char *got = headlines_of_key("news.general", "urn:test:svc:order");
    cr_expect_str_eq(got, want);
    free(got);
}

Test(producer_service, sighup_reloads_and_bad_config_is_refused)
{
    write_config("ninjs", "");
    mkdirs();
    pid_t pid = start_producer();
    http_port();
    char *s = story_json("urn:test:reload:1", "Before", 50);
    write_atomic(incoming(), "a.json", s);
    free(s);
    cr_assert(wait_count("done", 1, 30));

    /* new routing: category general -> news.renamed, and a second spool */
    char extra[2048];
    snprintf(extra, sizeof extra,
             "  - name: second\n    path: %s/second\n    format: ninjs\n"
             "routing:\n  categories: {General: news.renamed}\n",
             sp.dir);
    write_config("ninjs", extra);
    kill(pid, SIGHUP);
    char second_in[2048];
    snprintf(second_in, sizeof second_in, "%s/second/incoming", sp.dir);
    double end = nw_test_now_s() + 15;
    while (access(second_in, F_OK) != 0 && nw_test_now_s() < end)
        usleep(50000);
    cr_assert_eq(access(second_in, F_OK), 0, "the new spool was started");
    s = story_json("urn:test:reload:2", "After", 50);
    write_atomic(incoming(), "b.json", s);
    free(s);
    cr_assert(wait_count("done", 2, 30));

    /* a broken config is refused and the running one kept */
    cr_assert_eq(nw_test_write_file(sp.config, "spools: [ {path: relative} ]\n", 29), 0);
    kill(pid, SIGHUP);
    usleep(500000);
    s = story_json("urn:test:reload:3", "Still running", 50);
    write_atomic(incoming(), "c.json", s);
    free(s);
    cr_assert(wait_count("done", 3, 30), "the old config keeps working");
    kill(pid, SIGTERM);
    cr_expect_eq(nw_test_exit_within(pid, 30), 0);
    char *log = nw_test_read_file(sp.log, NULL);
    cr_expect(log && strstr(log, "reload refused"), "the refusal is logged");
    free(log);

    keyset a = consume_keys("news.renamed", NULL);
    cr_expect_eq(a.len, 2, "after the reload stories go to news.renamed (%zu)", a.len);
    cr_expect(keyset_has(&a, "urn:test:reload:2") && keyset_has(&a, "urn:test:reload:3"));
    keyset_free(&a);
    keyset b = consume_keys("news.general", NULL);
    cr_expect_eq(b.len, 1);
    keyset_free(&b);
}

/* Runs the producer on `text` as its config, expects a refusal at start
 * whose log names `why`, with the files in incoming/ left alone and nothing
 * reported by the sanitizers (the Kafka client starts on its own thread
 * alongside the inputs: both failures must join it and free everything). */
static void expect_start_refused(const char *text, const char *why)
{
    cr_assert_eq(nw_test_write_file(sp.config, text, strlen(text)), 0);
    pid_t pid = start_producer();
    int rc = nw_test_exit_within(pid, 30);
    char *log = nw_test_read_file(sp.log, NULL);
    cr_expect(rc > 0 && rc < 127, "refused with an exit code, got %d; log: %s", rc, log ? log : "");
    cr_expect(log && strstr(log, why), "the log names the cause (%s): %s", why, log ? log : "");
    cr_expect(log && !strstr(log, "Sanitizer"), "no sanitizer report: %s", log ? log : "");
    free(log);
}

Test(producer_service, start_failures_are_refused_cleanly)
{
    mkdirs();
    char *s = story_json("urn:test:refused:1", "Waits", 50);
    write_atomic(incoming(), "a.json", s);
    free(s);
    char text[4096];
    /* the Kafka client refuses (acks weaker than all) while the spool starts */
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n  acks: \"1\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "spools:\n  - {name: wire, path: %s, format: ninjs, settle_time: 0ms}\n",
             nw_broker_bootstrap(broker), sp.spool);
    expect_start_refused(text, "acks");
    cr_expect_eq(count_files("incoming", false), 1, "the waiting file is left in incoming/");
    cr_expect_eq(count_files("done", false), 0);

    /* a spool that cannot start (its incoming/ is a regular file: the root
     * itself passes the config check) while the Kafka client comes up */
    char blocker[2048];
    snprintf(blocker, sizeof blocker, "%s/blocked", sp.dir);
    cr_assert_eq(mkdir(blocker, 0755), 0);
    char in_file[2100];
    snprintf(in_file, sizeof in_file, "%s/incoming", blocker);
    cr_assert_eq(nw_test_write_file(in_file, "x", 1), 0);
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "spools:\n  - {name: blocked, path: %s, format: ninjs}\n",
             nw_broker_bootstrap(broker), blocker);
    expect_start_refused(text, "blocked");
}

Test(producer_service, sigterm_drains_outstanding_reports)
{
    write_config("ninjs", "");
    mkdirs();
    pid_t pid = start_producer();
    http_port();
    /* 300 files, then SIGTERM at once: whatever was taken is finished */
    for (int i = 0; i < 300; i++) {
        char name[64], uri[64];
        snprintf(name, sizeof name, "d%03d.json", i);
        snprintf(uri, sizeof uri, "urn:test:drain:%d", i);
        char *s = story_json(uri, "Drain", 40);
        write_atomic(incoming(), name, s);
        free(s);
    }
    usleep(300000);
    kill(pid, SIGTERM);
    cr_assert_eq(nw_test_exit_within(pid, 30), 0);
    int done = count_files("done", false), left = count_files("incoming", false);
    cr_expect_eq(done + left, 300, "done %d + incoming %d", done, left);
    keyset ks = consume_keys("news.", NULL);
    cr_expect_geq((int)ks.len, done, "every file in done/ is in Kafka");
    keyset_free(&ks);
    char *log = nw_test_read_file(sp.log, NULL);
    cr_expect(log && strstr(log, "stopped cleanly"), "%s", log ? log : "");
    free(log);
}

/* ------------------------------------------------------------------------ */
/* Crash test                                                               */
/* ------------------------------------------------------------------------ */

#define CRASH_FILES 2000
#define CRASH_BAD   7

static bool is_planted_bad(int i)
{
    return i % (CRASH_FILES / CRASH_BAD) == 13;
}

static void drop_crash_files(int from, int to)
{
    for (int i = from; i < to; i++) {
        char name[64], uri[64];
        snprintf(name, sizeof name, "c%04d.json", i);
        if (is_planted_bad(i)) {
            write_atomic(incoming(), name, "{\"uri\": \"urn:test:crash:bad\", ");
            continue;
        }
        snprintf(uri, sizeof uri, "urn:test:crash:%04d", i);
        char *s = story_json(uri, "Crash", 60);
        write_atomic(incoming(), name, s);
        free(s);
    }
}

Test(producer_service, crash_test_sigkill_loses_nothing, .timeout = 300)
{
    write_config("ninjs", "");
    mkdirs();
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    int kills = 0, dropped = 0;
    while (kills < 12) {
        int batch = CRASH_FILES / 12 + 1;
        if (dropped < CRASH_FILES) {
            int to = dropped + batch > CRASH_FILES ? CRASH_FILES : dropped + batch;
            drop_crash_files(dropped, to);
            dropped = to;
        }
        pid_t pid = start_producer();
        usleep((useconds_t)(50000 + rand() % 400000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        kills++;
    }
    if (dropped < CRASH_FILES)
        drop_crash_files(dropped, CRASH_FILES);
    /* the last run finishes everything */
    pid_t pid = start_producer();
    http_port(); /* started: signals are handled from here on */
    double end = nw_test_now_s() + 90;
    while (nw_test_now_s() < end && count_files("incoming", false) > 0)
        usleep(100000);
    kill(pid, SIGTERM);
    cr_assert_eq(nw_test_exit_within(pid, 30), 0);

    int done = count_files("done", false), failed = count_files("failed", false);
    cr_expect_eq(count_files("incoming", false), 0, "seed %u", seed);
    cr_expect_eq(failed, CRASH_BAD, "exactly the planted bad files fail (seed %u)", seed);
    cr_expect_eq(done + failed, CRASH_FILES, "done %d failed %d (seed %u)", done, failed, seed);
    for (int i = 0; i < CRASH_FILES; i++) {
        if (!is_planted_bad(i))
            continue;
        char rel[64];
        snprintf(rel, sizeof rel, "failed/c%04d.json", i);
        char *f = read_spool_file(rel);
        cr_expect_not_null(f, "%s is in failed/", rel);
        free(f);
    }
    size_t total = 0;
    keyset ks = consume_keys("news.", &total);
    cr_expect_eq((int)ks.len, CRASH_FILES - CRASH_BAD, "distinct uris %zu of %d (seed %u)", ks.len,
                 CRASH_FILES - CRASH_BAD, seed);
    cr_log_info("crash test: %d kills, %zu messages for %zu distinct uris (re-sent %zu)", kills,
                total, ks.len, total - ks.len);
    keyset_free(&ks);
}

/* ------------------------------------------------------------------------ */
/* Broker outage                                                            */
/* ------------------------------------------------------------------------ */

static long vm_rss_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *s = nw_test_read_file(path, NULL);
    const char *p = s ? strstr(s, "VmRSS:") : NULL;
    long kb = p ? atol(p + 6) : -1;
    free(s);
    return kb;
}

static void drop_outage_files(int from, int to)
{
    for (int i = from; i < to; i++) {
        char name[64], uri[64];
        snprintf(name, sizeof name, "o%04d.json", i);
        snprintf(uri, sizeof uri, "urn:test:outage:%04d", i);
        char *s = story_json(uri, "Outage", 200);
        write_atomic(incoming(), name, s);
        free(s);
    }
}

Test(producer_service, broker_outage_loses_nothing_and_resumes, .timeout = 200)
{
    write_config("ninjs", "max_inflight_messages: 100\n");
    mkdirs();
    pid_t pid = start_producer();
    int port = http_port();
    drop_outage_files(0, 200);
    cr_assert(wait_count("done", 200, 30), "before the outage");
    long rss_before = vm_rss_kb(pid);

    rd_kafka_mock_cluster_t *mc = nw_broker_cluster(broker);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    drop_outage_files(200, 1200);
    long rss_max = 0;
    bool saw_not_ready = false;
    double end = nw_test_now_s() + 20;
    while (nw_test_now_s() < end) {
        long kb = vm_rss_kb(pid);
        if (kb > rss_max)
            rss_max = kb;
        char *r = nw_test_http_get(port, "/readyz");
        if (r && strstr(r, " 503 "))
            saw_not_ready = true;
        free(r);
        usleep(500000);
    }
    int done_during = count_files("done", false);
    cr_expect_lt(done_during, 1200, "nothing can be done while the broker is down");
    cr_expect_gt(count_files("incoming", false), 0, "intake paused (back-pressure)");
    cr_expect(saw_not_ready, "/readyz says 503 while Kafka is down");
    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);

    cr_assert(wait_count("done", 1200, 90), "intake resumed by itself: done %d",
              count_files("done", false));
    cr_expect_eq(count_files("failed", false), 0);
    cr_expect_lt(rss_max, rss_before + 64 * 1024, "memory bounded: %ld kB before, %ld max",
                 rss_before, rss_max);
    kill(pid, SIGTERM);
    cr_assert_eq(nw_test_exit_within(pid, 30), 0);
    keyset ks = consume_keys("news.", NULL);
    cr_expect_eq(ks.len, 1200, "distinct uris %zu", ks.len);
    keyset_free(&ks);
    cr_log_info("outage: rss before %ld kB, max during %ld kB", rss_before, rss_max);
}
