/*
 * test_pipeline — the end-to-end test of the foundations: `newswire broker`
 * (embedded Kafka), `newswire-producer --once` with the seed story (two
 * categories: Mid-East, Americas), then `newswire-consumer` with an
 * archive-fs chain until idle. The archive must hold the story once per
 * category, the group's committed offsets must equal the end offsets, and a
 * second run with a new group over the same archive must change no file.
 * The consumer runs with two workers (each its own archive-fs instance).
 * Also checks that deploy/consumer-archive.yaml is a valid consumer config.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_testutil.h"
#include "nw_text.h"

static pid_t broker_pid = -1;
static char *tmp;

static void teardown(void)
{
    nw_test_end_child(&broker_pid, 5);
    nw_test_rm_tmp(&tmp);
}

TestSuite(pipeline, .fini = teardown);

/* ------------------------------------------------------------------ helpers */

/* Start `newswire broker`; returns the bootstrap servers (caller frees). */
static char *start_broker(void)
{
    char *bs = NULL;
    broker_pid = nw_test_start_broker(NULL, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    return bs;
}

/* The seed story from the shared examples, or a stand-in in the same web
 * copy format when the shared data is absent. Caller frees. */
static char *seed_story(void)
{
    char *p = nw_test_shared_path("examples/000_6618c4effffb78b3.txt");
    struct stat st;
    if (p && stat(p, &st) == 0)
        return p;
    free(p);
    size_t n = strlen(tmp) + 32;
    p = malloc(n);
    snprintf(p, n, "%s/seed.txt", tmp);
    const char *text =
        "Kerry seeks an end to Syrian civil war in Moscow talks\n\n"
        "Source:AFP Published: 2015-12-16 0:43:03\n\n"
        "US Secretary of State John Kerry brought his campaign to end the Syrian civil war "
        "to Moscow on Tuesday.\n\n"
        "Posted in: Mid-East, Americas\n";
    cr_assert_eq(nw_test_write_file(p, text, strlen(text)), 0);
    return p;
}

static void run_producer(const char *brokers, const char *story)
{
    char *bin = nw_test_bin_path("producers/newswire-producer");
    char *argv[] = {bin, "--brokers", (char *)brokers, "--once", (char *)story, NULL};
    char *out = NULL, *errout = NULL;
    int rc = nw_test_run(argv, NULL, 60, &out, &errout);
    cr_assert_eq(rc, 0, "producer exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, errout);
    free(out);
    free(errout);
    free(bin);
}

/* Consumer config with the archive-fs chain, preceded by `extra_chain` items. */
static char *write_config_chain(const char *brokers, const char *archive, const char *extra_chain)
{
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 6000\n"
             "  heartbeat.interval.ms: 500\n"
             "group: set-by-the-command-line\n"
             "topics: \"^news\\\\..*\"\n"
             "batch: {max_messages: 500, max_ms: 500ms}\n"
             "workers: 2\n" /* one chain instance per worker; drain waits for both */
             "http: {listen: \"127.0.0.1:0\"}\n"
             "chain:\n"
             "%s"
             "  - plugin: archive-fs\n"
             "    root: %s\n",
             brokers, extra_chain, archive);
    char *path = nw_test_write_in(tmp, "consumer.yaml", yaml);
    cr_assert_not_null(path);
    return path;
}

static char *write_config(const char *brokers, const char *archive)
{
    return write_config_chain(brokers, archive, "");
}

static void run_consumer(const char *config, const char *group)
{
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin,           "--config",         (char *)config, "--group",
                    (char *)group, "--exit-when-idle", "3000",         NULL};
    char *out = NULL, *errout = NULL;
    int rc = nw_test_run(argv, NULL, 120, &out, &errout);
    cr_assert_eq(rc, 0, "consumer exit %d\nstderr:\n%s", rc, errout);
    free(out);
    free(errout);
    free(bin);
}

/* Every regular file under dir as "relpath mtime_ns size hash\n" lines,
 * appended to *buf, in sorted order per directory. */
static void snapshot_dir(const char *dir, const char *rel, char **buf, size_t *len)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (size_t i = 0; i < n; i++) {
        char path[4096], r[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            snapshot_dir(path, r, buf, len);
        } else if (stat(path, &st) == 0) {
            size_t flen = 0;
            char *content = nw_test_read_file(path, &flen);
            char hash[33];
            nw_text_hash_hex(content, flen, hash);
            char line[4400];
            int l = snprintf(line, sizeof line, "%s %lld.%09ld %zu %s\n", r,
                             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, flen, hash);
            *buf = realloc(*buf, *len + (size_t)l + 1);
            memcpy(*buf + *len, line, (size_t)l + 1);
            *len += (size_t)l;
            free(content);
        }
        free(names[i]);
    }
}

static char *snapshot(const char *dir)
{
    char *buf = strdup("");
    size_t len = 0;
    snapshot_dir(dir, "", &buf, &len);
    return buf;
}

/* All archive lines (concatenated) of files under <archive>/<category>. */
static char *category_lines(const char *archive, const char *category, int *files)
{
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", archive, category);
    char *snap = snapshot(dir);
    char *all = strdup("");
    *files = 0;
    for (char *line = strtok(snap, "\n"); line; line = strtok(NULL, "\n")) {
        char rel[4096];
        sscanf(line, "%4095s", rel);
        char path[8600];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        char *content = nw_test_read_file(path, NULL);
        cr_assert_not_null(content);
        all = realloc(all, strlen(all) + strlen(content) + 1);
        strcat(all, content);
        free(content);
        (*files)++;
    }
    free(snap);
    return all;
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* Committed offsets of `group` equal the end offsets of every partition of
 * the topics; returns the number of messages seen (sum of end offsets). */
static int64_t assert_committed_at_end(const char *brokers, const char *group,
                                       const char *const *topics, int ntopics)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr), 0);
    cr_assert_eq(rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr), 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);

    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < ntopics; t++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[t], NULL);
        const struct rd_kafka_metadata *md = NULL;
        cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
        cr_assert_eq(md->topic_cnt, 1);
        cr_assert_eq(md->topics[0].err, 0, "topic %s: %s", topics[t],
                     rd_kafka_err2str(md->topics[0].err));
        for (int p = 0; p < md->topics[0].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, topics[t], md->topics[0].partitions[p].id);
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
    cr_assert_eq(rd_kafka_committed(rk, parts, 10000), 0);
    int64_t total = 0;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo = 0, hi = 0;
        cr_assert_eq(
            rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &lo, &hi, 10000), 0);
        total += hi;
        if (hi > 0)
            cr_assert_eq(tp->offset, hi, "group %s, %s[%d]: committed %lld, end %lld", group,
                         tp->topic, (int)tp->partition, (long long)tp->offset, (long long)hi);
        else
            cr_assert(tp->offset == RD_KAFKA_OFFSET_INVALID || tp->offset == 0,
                      "%s[%d]: committed %lld on an empty partition", tp->topic, (int)tp->partition,
                      (long long)tp->offset);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
    return total;
}

/* -------------------------------------------------------------------- tests */

Test(pipeline, seed_story_is_archived_once_per_category_and_replay_changes_nothing, .timeout = 300)
{
    tmp = nw_test_mkdtemp("pipeline");
    char *brokers = start_broker();
    char *story = seed_story();
    run_producer(brokers, story);

    char archive[4096];
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    char *config = write_config(brokers, archive);
    run_consumer(config, "nwtest-archive-1");

    const char *cats[] = {"mid-east", "americas"};
    char *first_line = NULL;
    for (int i = 0; i < 2; i++) {
        int files = 0;
        char *lines = category_lines(archive, cats[i], &files);
        cr_assert_eq(files, 1, "%s: %d archive files", cats[i], files);
        cr_assert_eq(count_char(lines, '\n'), 1, "%s: the story once, got:\n%s", cats[i], lines);
        cr_assert(strstr(lines, "Kerry"), "%s: not the seed story:\n%s", cats[i], lines);
        cr_assert(strstr(lines, "\"uri\""), "%s: not ninjs:\n%s", cats[i], lines);
        if (!first_line)
            first_line = strdup(lines);
        else
            cr_assert_str_eq(lines, first_line, "both categories archive the same story");
        free(lines);
    }
    char *snap1 = snapshot(archive);
    cr_assert_eq(count_char(snap1, '\n'), 2, "exactly two files:\n%s", snap1);
    cr_assert(strstr(snap1, "mid-east/2015/12/16/news.mid-east-"), "%s", snap1);

    const char *topics[] = {"news.mid-east", "news.americas"};
    cr_assert_eq(assert_committed_at_end(brokers, "nwtest-archive-1", topics, 2), 2);

    /* replay everything with a new group into the same archive */
    run_consumer(config, "nwtest-archive-2");
    char *snap2 = snapshot(archive);
    cr_assert_str_eq(snap2, snap1, "the replay changed the archive");
    assert_committed_at_end(brokers, "nwtest-archive-2", topics, 2);

    free(snap1);
    free(snap2);
    free(first_line);
    free(config);
    free(story);
    free(brokers);
}

/* Read up to `want` messages of `topic` from the beginning (all partitions).
 * The messages hold *rk_out: destroy them before rd_kafka_destroy(*rk_out). */
static int read_topic(const char *brokers, const char *topic, rd_kafka_message_t **out, int want,
                      rd_kafka_t **rk_out)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "nwtest-reader", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
    cr_assert_eq(md->topics[0].err, 0, "topic %s: %s", topic, rd_kafka_err2str(md->topics[0].err));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[p].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    cr_assert_eq(rd_kafka_assign(rk, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    int n = 0;
    for (int i = 0; i < 100 && n < want; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m && !m->err)
            out[n++] = m;
        else if (m)
            rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    *rk_out = rk;
    return n;
}

static const char *header(rd_kafka_message_t *m, const char *name, char *buf, size_t len)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t vlen;
    buf[0] = '\0';
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &vlen))
        return NULL;
    snprintf(buf, len, "%.*s", (int)vlen, (const char *)v);
    return buf;
}

Test(pipeline, permanent_failures_go_to_the_dlq_and_are_committed, .timeout = 300)
{
    tmp = nw_test_mkdtemp("pipeline-dlq");
    char *brokers = start_broker();
    char *story = seed_story();
    run_producer(brokers, story);
    char archive[4096];
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    char *so = nw_test_bin_path("tests/plugins/nwtest_filter.so");
    char extra[4600];
    snprintf(extra, sizeof extra, "  - path: %s\n    fail_uri: \"*\"\n", so);
    char *config = write_config_chain(brokers, archive, extra);
    run_consumer(config, "nwtest-dlq");

    char *snap = snapshot(archive);
    cr_assert_str_eq(snap, "", "nothing archived:\n%s", snap);
    const char *topics[] = {"news.mid-east", "news.americas"};
    cr_assert_eq(assert_committed_at_end(brokers, "nwtest-dlq", topics, 2), 2);

    rd_kafka_message_t *dl[4];
    rd_kafka_t *reader = NULL;
    int n = read_topic(brokers, "news.dlq", dl, 3, &reader);
    cr_assert_eq(n, 2, "dead letters: %d", n);
    char a[256], b[256];
    for (int i = 0; i < n; i++) {
        cr_assert_str_eq(header(dl[i], "nw-plugin", a, sizeof a), "nwtest-filter");
        cr_assert(strstr(header(dl[i], "nw-error", a, sizeof a), "simulated permanent failure"),
                  "%s", a);
        const char *t = header(dl[i], "nw-origin-topic", a, sizeof a);
        cr_assert(t && (!strcmp(t, "news.mid-east") || !strcmp(t, "news.americas")), "%s", a);
        cr_assert_str_eq(header(dl[i], "nw-origin-offset", b, sizeof b), "0");
        cr_assert_not_null(header(dl[i], "nw-origin-partition", b, sizeof b));
        cr_assert_not_null(header(dl[i], "nw-trace-id", b, sizeof b), "original headers kept");
        char *value = strndup(dl[i]->payload, dl[i]->len);
        cr_assert(strstr(value, "Kerry"), "the original story is the value: %s", value);
        free(value);
        rd_kafka_message_destroy(dl[i]);
    }
    rd_kafka_destroy(reader);
    free(snap);
    free(config);
    free(so);
    free(story);
    free(brokers);
}

Test(pipeline, sigterm_drains_commits_and_exits_zero, .timeout = 300)
{
    tmp = nw_test_mkdtemp("pipeline-term");
    char *brokers = start_broker();
    char *story = seed_story();
    run_producer(brokers, story);
    char archive[4096];
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    char *config = write_config(brokers, archive);
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin, "--config", config, "--group", "nwtest-term", NULL};
    pid_t pid = nw_test_spawn(argv, NULL);
    cr_assert_gt(pid, 0);
    /* wait until both stories are archived, then stop it */
    int files = 0;
    for (int i = 0; i < 300 && files < 2; i++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        char *snap = snapshot(archive);
        files = count_char(snap, '\n');
        free(snap);
    }
    cr_assert_eq(files, 2, "consumer archived %d files", files);
    int status = nw_test_stop(pid, 30);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "wait status %d", status);
    const char *topics[] = {"news.mid-east", "news.americas"};
    cr_assert_eq(assert_committed_at_end(brokers, "nwtest-term", topics, 2), 2);
    free(bin);
    free(config);
    free(story);
    free(brokers);
}

Test(pipeline, deploy_example_config_is_valid)
{
    tmp = nw_test_mkdtemp("deploy-config");
    const char *src = getenv("NW_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/deploy/consumer-archive.yaml", src ? src : ".");
    size_t len = 0;
    char *text = nw_test_read_file(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    /* point the archive root at a temp dir; everything else as shipped */
    const char *old_root = "/var/lib/newswire/archive";
    char *at = strstr(text, old_root);
    cr_assert_not_null(at, "the example archives under %s", old_root);
    char *patched = malloc(len + strlen(tmp) + 1);
    sprintf(patched, "%.*s%s%s", (int)(at - text), text, tmp, at + strlen(old_root));

    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(patched, strlen(patched), path, &cfg, &err), 0, "%s",
                 err.msg);
    nw_consumer *c = NULL;
    nw_consumer_opts opts = {.brokers = "127.0.0.1:1", .exit_when_idle_ms = -1};
    cr_assert_eq(nw_consumer_new(cfg, &opts, &c, &err), 0, "%s", err.msg);
    nw_consumer_free(c);
    nw_config_free(cfg);
    free(patched);
    free(text);
}

Test(pipeline, consumer_rejects_bad_config_with_exit_78)
{
    tmp = nw_test_mkdtemp("bad-config");
    char path[4096];
    snprintf(path, sizeof path, "%s/bad.yaml", tmp);
    const char *yaml =
        "group: g\nchain:\n  - plugin: archive-fs\n    root: /tmp/x\n    rotate: daily\n";
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin, "--config", path, NULL};
    char *errout = NULL;
    int rc = nw_test_run(argv, NULL, 30, NULL, &errout);
    cr_assert_eq(rc, 78, "exit %d: %s", rc, errout);
    cr_assert(strstr(errout, "bad.yaml:5") && strstr(errout, "unknown key 'rotate'"), "%s", errout);
    free(errout);
    free(bin);
}
