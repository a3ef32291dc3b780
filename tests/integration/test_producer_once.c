/*
 * test_producer_once — `newswire broker` + `newswire-producer --once` as real
 * processes: stories land on news.<category> once per category, keyed by uri,
 * with the header contract and the ninjs JSON as value; bad inputs publish
 * nothing and make the exit status non-zero; --strict publishes nothing at
 * all; an unreachable broker is an error, never a silent success.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_kafka.h"
#include "nw_testutil.h"

#define STORY_FIXTURE "producer/ceasefire-two-categories.txt"

static pid_t broker_pid = -1;
static int broker_out = -1;
static char bootstrap[512];
static char *tmpdir;

static void start_broker(void)
{
    char *bin = nw_test_bin_path("producers/newswire");
    char *argv[] = {bin, "broker", "--brokers-count", "1", NULL};
    broker_pid = nw_test_spawn(argv, &broker_out);
    cr_assert(broker_pid > 0, "could not start %s", bin);
    char *line = nw_test_read_line(broker_out, 15);
    cr_assert_not_null(line, "broker printed no bootstrap line");
    cr_assert(!strncmp(line, "bootstrap=127.0.0.1:", 20), "first line: %s", line);
    snprintf(bootstrap, sizeof bootstrap, "%s", line + strlen("bootstrap="));
    free(line);
    free(bin);
    tmpdir = nw_test_mkdtemp("producer");
    cr_assert_not_null(tmpdir);
}

static void stop_broker(void)
{
    if (broker_pid > 0) {
        int status = nw_test_stop(broker_pid, 10);
        broker_pid = -1;
        close(broker_out);
        /* SIGTERM is a clean stop */
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "broker status %d", status);
    }
    nw_test_rm_tmp(&tmpdir);
}

TestSuite(producer_once, .init = start_broker, .fini = stop_broker, .timeout = 120);

/* Run newswire-producer with `args` (NULL-terminated) after "--brokers B --once". */
static int run_producer(char **errout, const char *const *args)
{
    char *bin = nw_test_bin_path("producers/newswire-producer");
    char *argv[32];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--brokers";
    argv[n++] = bootstrap;
    argv[n++] = "--once";
    for (; *args && n < 31; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    int rc = nw_test_run(argv, NULL, 90, NULL, errout);
    free(bin);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading topics back                                                      */
/* ------------------------------------------------------------------------ */

typedef struct got_msg {
    char *key;
    char *value;
    rd_kafka_headers_t *headers; /* owned copy */
} got_msg;

typedef struct got_list {
    got_msg items[64];
    size_t len;
} got_list;

static void got_list_free(got_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
        if (l->items[i].headers)
            rd_kafka_headers_destroy(l->items[i].headers);
    }
    l->len = 0;
}

static rd_kafka_t *new_consumer(void)
{
    char errstr[512];
    nw_err err = {0};
    rd_kafka_conf_t *conf = nw_kafka_conf_new(NULL, bootstrap, &err);
    cr_assert_not_null(conf, "%s", err.msg);
    cr_assert_eq(nw_kafka_conf_set(conf, "group.id", "test-producer-once", &err), 0);
    cr_assert_eq(nw_kafka_conf_set(conf, "enable.auto.commit", "false", &err), 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);
    return rk;
}

/* Topic names with `prefix` that exist on the broker, sorted, joined by ','. */
static char *topics_with_prefix(rd_kafka_t *rk, const char *prefix)
{
    const struct rd_kafka_metadata *md = NULL;
    cr_assert_eq(rd_kafka_metadata(rk, 1, NULL, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    const char *names[64];
    int n = 0;
    for (int i = 0; i < md->topic_cnt && n < 64; i++)
        if (!strncmp(md->topics[i].topic, prefix, strlen(prefix)))
            names[n++] = md->topics[i].topic;
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    char *out = calloc(1, 4096);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strncat(out, names[i], 4096 - strlen(out) - 2);
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

/* Every message of `topic` (all partitions, from the start). */
static void read_topic(rd_kafka_t *rk, const char *topic, got_list *out)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(md->topics[0].err, RD_KAFKA_RESP_ERR_NO_ERROR, "topic %s: %s", topic,
                 rd_kafka_err2str(md->topics[0].err));
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    int64_t expected = 0;
    for (int p = 0; p < nparts; p++) {
        int64_t lo, hi;
        cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000), 0);
        expected += hi - lo;
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    cr_assert_eq(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t got = 0;
    while (got < expected) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        cr_assert(now.tv_sec - start.tv_sec < 20, "read %lld of %lld messages of %s",
                  (long long)got, (long long)expected, topic);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (!m->err) {
            cr_assert(out->len < 64);
            got_msg *g = &out->items[out->len++];
            g->key = strndup(m->key ? (const char *)m->key : "", m->key_len);
            g->value = strndup(m->payload ? (const char *)m->payload : "", m->len);
            rd_kafka_headers_t *h = NULL;
            g->headers = rd_kafka_message_headers(m, &h) ? NULL : rd_kafka_headers_copy(h);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk, NULL);
}

static const char *header(const got_msg *g, const char *name, char *buf, size_t len)
{
    const void *val;
    size_t vlen;
    if (!g->headers || rd_kafka_header_get_last(g->headers, name, &val, &vlen))
        return NULL;
    snprintf(buf, len, "%.*s", (int)vlen, (const char *)val);
    return buf;
}

static char *write_tmp(const char *name, const void *data, size_t len)
{
    char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
    sprintf(path, "%s/%s", tmpdir, name);
    cr_assert_eq(nw_test_write_file(path, data, len), 0, "%s", path);
    return path;
}

/* A folder with one good story and the bad inputs next to it. */
static void make_mixed_folder(void)
{
    char *src = nw_test_fixture_path(STORY_FIXTURE);
    size_t len;
    char *story = nw_test_read_file(src, &len);
    cr_assert_not_null(story, "%s", src);
    free(write_tmp("b-good.txt", story, len));
    free(write_tmp("a-empty.txt", "", 0));
    static const unsigned char binary[] = {0x7f, 'E', 'L', 'F', 2,    1, 1, 0, 0, 0, 0,    0,
                                           0,    0,   3,   0,   0x3e, 0, 1, 0, 0, 0, 0xff, 0xfe};
    free(write_tmp("c-binary.bin", binary, sizeof binary));
    /* a dot-file is skipped: were it parsed, it would be one more bad file */
    free(write_tmp(".hidden", "\x01\x02\x03", 3));
    free(story);
    free(src);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

Test(producer_once, story_lands_once_in_each_category_topic)
{
    char *path = nw_test_fixture_path(STORY_FIXTURE);
    char *errout = NULL;
    const char *args[] = {path, NULL};
    int rc = run_producer(&errout, args);
    cr_assert_eq(rc, 0, "exit %d, stderr:\n%s", rc, errout);
    cr_assert(strstr(errout, "files=1 ") && strstr(errout, "acked=2 ") &&
                  strstr(errout, "failed=0"),
              "summary: %s", errout);

    rd_kafka_t *rk = new_consumer();
    char *topics = topics_with_prefix(rk, "news.");
    cr_assert_str_eq(topics, "news.americas,news.mid-east");
    free(topics);

    got_list me = {0}, am = {0};
    read_topic(rk, "news.mid-east", &me);
    read_topic(rk, "news.americas", &am);
    cr_assert_eq(me.len, 1, "news.mid-east has %zu messages", me.len);
    cr_assert_eq(am.len, 1, "news.americas has %zu messages", am.len);

    got_msg *g = &me.items[0];
    json_error_t jerr;
    json_t *doc = json_loads(g->value, 0, &jerr);
    cr_assert_not_null(doc, "value is not JSON: %s", jerr.text);
    const char *uri = json_string_value(json_object_get(doc, "uri"));
    cr_assert_not_null(uri);
    cr_assert_str_eq(g->key, uri, "key = uri");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "type")), "text");
    cr_assert_not_null(json_object_get(doc, "headlines"));
    cr_assert_str_eq(am.items[0].value, g->value, "one serialization, same bytes on both topics");
    cr_assert_str_eq(am.items[0].key, g->key);

    char a[256], b[256];
    cr_assert_str_eq(header(g, NW_HDR_SCHEMA, a, sizeof a), NW_SCHEMA_VERSION);
    cr_assert_str_eq(header(g, NW_HDR_CONTENT_TYPE, a, sizeof a), "application/json");
    cr_assert_str_eq(header(g, NW_HDR_PROVIDER, a, sizeof a), "Newswire Test Wire");
    cr_assert_str_eq(header(g, NW_HDR_ORIGIN, a, sizeof a), path);
    const char *ingest = header(g, NW_HDR_INGEST_TIME, a, sizeof a);
    cr_assert(ingest && strlen(ingest) == 24 && ingest[10] == 'T' && ingest[23] == 'Z',
              "ingest time: %s", ingest ? ingest : "(none)");
    const char *trace = header(g, NW_HDR_TRACE_ID, a, sizeof a);
    cr_assert(trace && strlen(trace) == 32 && strspn(trace, "0123456789abcdef") == 32,
              "trace id: %s", trace ? trace : "(none)");
    cr_assert_str_eq(header(&am.items[0], NW_HDR_TRACE_ID, b, sizeof b), trace,
                     "one trace id per story");

    json_decref(doc);
    got_list_free(&me);
    got_list_free(&am);
    rd_kafka_destroy(rk);
    free(errout);
    free(path);
}

Test(producer_once, bad_files_publish_nothing_and_fail_the_run)
{
    make_mixed_folder();
    char *errout = NULL;
    const char *args[] = {tmpdir, NULL};
    int rc = run_producer(&errout, args);
    cr_assert_eq(rc, 65, "exit %d, stderr:\n%s", rc, errout);
    cr_assert(strstr(errout, "a-empty.txt"), "names the empty file:\n%s", errout);
    cr_assert(strstr(errout, "c-binary.bin"), "names the binary file:\n%s", errout);
    cr_assert_null(strstr(errout, ".hidden"), "dot-files are skipped:\n%s", errout);
    cr_assert(strstr(errout, "files=3 bad_files=2 stories=1 messages=2 acked=2 failed=0"),
              "summary:\n%s", errout);

    rd_kafka_t *rk = new_consumer();
    char *topics = topics_with_prefix(rk, "news.");
    cr_assert_str_eq(topics, "news.americas,news.mid-east", "nothing from the bad files");
    free(topics);
    got_list me = {0};
    read_topic(rk, "news.mid-east", &me);
    cr_assert_eq(me.len, 1);
    char a[4096];
    cr_assert(strstr(header(&me.items[0], NW_HDR_ORIGIN, a, sizeof a), "b-good.txt"));
    got_list_free(&me);
    rd_kafka_destroy(rk);
    free(errout);
}

Test(producer_once, strict_aborts_before_publishing)
{
    make_mixed_folder();
    char *errout = NULL;
    const char *args[] = {"--strict", tmpdir, NULL};
    int rc = run_producer(&errout, args);
    cr_assert_eq(rc, 65, "exit %d, stderr:\n%s", rc, errout);
    cr_assert(strstr(errout, "a-empty.txt") && strstr(errout, "c-binary.bin"), "%s", errout);

    rd_kafka_t *rk = new_consumer();
    char *topics = topics_with_prefix(rk, "news.");
    cr_assert_str_eq(topics, "", "--strict published something: %s", topics);
    free(topics);
    rd_kafka_destroy(rk);
    free(errout);
}

Test(producer_once, category_from_dir_and_uncategorized)
{
    char *dir = nw_test_fixture_path("producer/bbc");
    char *errout = NULL;
    const char *args[] = {"--format", "headline-text", "--category-from-dir", dir, NULL};
    int rc = run_producer(&errout, args);
    cr_assert_eq(rc, 0, "exit %d, stderr:\n%s", rc, errout);
    free(errout);
    const char *args2[] = {"--format", "headline-text", "--topic-prefix", "wire.", dir, NULL};
    rc = run_producer(&errout, args2);
    cr_assert_eq(rc, 0, "exit %d, stderr:\n%s", rc, errout);

    rd_kafka_t *rk = new_consumer();
    char *topics = topics_with_prefix(rk, "news.");
    cr_assert_str_eq(topics, "news.tech");
    free(topics);
    topics = topics_with_prefix(rk, "wire.");
    cr_assert_str_eq(topics, "wire.uncategorized");
    free(topics);
    got_list t = {0};
    read_topic(rk, "news.tech", &t);
    cr_assert_eq(t.len, 1);
    cr_assert(strstr(t.items[0].value, "\"tech\""), "category in the value: %s", t.items[0].value);
    got_list_free(&t);
    rd_kafka_destroy(rk);
    free(errout);
    free(dir);
}

Test(producer_once, usage_and_missing_input)
{
    char *errout = NULL;
    const char *none[] = {NULL};
    cr_assert_eq(run_producer(&errout, none), 64, "%s", errout);
    free(errout);
    const char *missing[] = {"/nonexistent/newswire/input", NULL};
    cr_assert_eq(run_producer(&errout, missing), 66, "%s", errout);
    cr_assert(strstr(errout, "/nonexistent/newswire/input"), "%s", errout);
    free(errout);
    const char *badx[] = {"-X", "no.such.property=1", STORY_FIXTURE, NULL};
    char *path = nw_test_fixture_path(STORY_FIXTURE);
    badx[2] = path;
    cr_assert_eq(run_producer(&errout, badx), 78, "%s", errout);
    cr_assert(strstr(errout, "no.such.property"), "%s", errout);
    free(errout);
    /* the producer refuses a weaker acknowledgement than acks=all */
    const char *acks1[] = {"-X", "acks=1", path, NULL};
    cr_assert_eq(run_producer(&errout, acks1), 78, "%s", errout);
    cr_assert(strstr(errout, "acks"), "%s", errout);
    free(errout);
    free(path);
}

/* No broker listening: the run must fail once message.timeout.ms expires. */
Test(producer_once, unreachable_broker_is_an_error)
{
    char *bin = nw_test_bin_path("producers/newswire-producer");
    char *path = nw_test_fixture_path(STORY_FIXTURE);
    char *argv[] = {bin,  "--brokers", "127.0.0.1:1", "--once", "-X", "message.timeout.ms=1500",
                    path, NULL};
    char *errout = NULL;
    int rc = nw_test_run(argv, NULL, 60, NULL, &errout);
    cr_assert_eq(rc, 75, "exit %d, stderr:\n%s", rc, errout);
    cr_assert(strstr(errout, "acked=0 failed=2"), "%s", errout);
    free(errout);
    free(path);
    free(bin);
}

Test(producer_once, broker_help_documents_the_mock_limits)
{
    char *bin = nw_test_bin_path("producers/newswire");
    char *help[] = {bin, "broker", "--help", NULL};
    char *out = NULL;
    cr_assert_eq(nw_test_run(help, NULL, 10, &out, NULL), 0);
    cr_assert(strstr(out, "5 MB") && strstr(out, "session.timeout.ms") &&
                  strstr(out, "aborted transactions"),
              "%s", out);
    free(out);
    char *bad[] = {bin, "broker", "--partitions", "0", NULL};
    char *errout = NULL;
    cr_assert_eq(nw_test_run(bad, NULL, 10, NULL, &errout), 64);
    cr_assert(strstr(errout, "--partitions"), "%s", errout);
    free(errout);
    free(bin);
}
