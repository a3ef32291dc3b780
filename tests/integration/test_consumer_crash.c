/*
 * test_consumer_crash — at-least-once under SIGKILL. `newswire broker` (a
 * child) holds four news.* topics of four partitions; a producer thread in
 * this test trickles 20,000 small ninjs stories (~150 bytes, keyed by uri)
 * plus four planted poison messages (invalid JSON twice, two that are JSON
 * but not a ninjs object) into them, while `newswire-consumer` with an
 * archive-fs chain is killed with SIGKILL at random moments and restarted,
 * until at least ten kills hit a consumer that held partitions (a rejoin
 * takes ~5 s on the mock; one kill in four lands during start-up instead). A last run with
 * --exit-when-idle drains what is left. Then:
 *   - every story is in the archive exactly once: 20,000 distinct uris and
 *     20,000 lines over all .jsonl files (archive-fs rewrites a replayed
 *     file identically and removes stale ones, so no line is doubled);
 *   - news.dlq holds every planted poison message and nothing else. A dead
 *     letter is at-least-once, like every Kafka output of the consumer
 *     (docs/architecture.md "Delivery"): the consumer acknowledges it and then commits the
 *     job's offset, so a SIGKILL between the two replays it. A poison may
 *     therefore be there twice, but never more often than the kills allow.
 * The seed is printed; NW_CRASH_SEED=<n> replays a run's kill schedule.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_testutil.h"

#define STORIES    20000
#define TOPICS     4
#define MIN_KILLS  10
#define URI_PREFIX "urn:newswire:crash:"

static pid_t broker_pid = -1, consumer_pid = -1;
static char *tmp;

static void teardown(void)
{
    nw_test_end_child(&consumer_pid, 0);
    nw_test_end_child(&broker_pid, 5);
    nw_test_rm_tmp(&tmp);
}

TestSuite(consumer_crash, .fini = teardown);

/* ------------------------------------------------------------------ broker */

static char *start_broker(void)
{
    static const char *const args[] = {"--partitions", "4",       "--topic", "news.t0",
                                       "--topic",      "news.t1", "--topic", "news.t2",
                                       "--topic",      "news.t3", NULL};
    char *bs = NULL;
    broker_pid = nw_test_start_broker(args, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    return bs;
}

/* ---------------------------------------------------------------- producer */

/* The planted poison messages: (position in the stream, key, value). */
static const struct {
    int at;
    const char *key, *value;
} poison[] = {
    {2500, "urn:newswire:poison:1", "{\"uri\":\"urn:newswire:poison:1\",\"headlines\":[{"},
    {8000, "urn:newswire:poison:2", "this is not JSON at all"},
    {13000, "urn:newswire:poison:3", "[\"urn:newswire:poison:3\",\"an array, not a story\"]"},
    {19000, "urn:newswire:poison:4", "\"a JSON string where a ninjs object belongs\""},
};
#define NPOISON (sizeof poison / sizeof poison[0])

typedef struct feeder {
    const char *bootstrap;
    int per_s;           /* pacing: stories per second */
    atomic_int produced; /* stories handed to librdkafka */
    atomic_int failed;   /* delivery errors */
    atomic_int done;
    char error[256];
} feeder;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    feeder *f = opaque;
    if (m->err)
        atomic_fetch_add(&f->failed, 1);
}

static int story_json(char *buf, size_t len, int i)
{
    return snprintf(buf, len,
                    "{\"uri\":\"" URI_PREFIX "%05d\",\"type\":\"text\",\"version\":\"1\","
                    "\"versionCreated\":\"2024-03-%02dT10:%02d:00Z\",\"language\":\"en\","
                    "\"headlines\":[{\"value\":\"Crash test story %d\"}]}",
                    i, 1 + i % 3, i % 60, i);
}

static int produce_one(rd_kafka_t *rk, const char *topic, const char *key, const char *value)
{
    for (int tries = 0; tries < 1000; tries++) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_HEADER("nw-schema", "ninjs/3.1", -1), RD_KAFKA_V_END);
        if (!e)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return -1;
        rd_kafka_poll(rk, 10);
    }
    return -1;
}

/* Trickles every story (and the poison) in, ~per_ms stories per ms. */
static void *feed(void *arg)
{
    feeder *f = arg;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", f->bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_conf_set_opaque(conf, f);
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        snprintf(f->error, sizeof f->error, "producer: %.200s", errstr);
        atomic_store(&f->done, 1);
        return NULL;
    }
    char value[512], key[64], topic[32];
    size_t next_poison = 0;
    double start = nw_test_now_s();
    for (int i = 0; i < STORIES; i++) {
        if (next_poison < NPOISON && poison[next_poison].at == i) {
            snprintf(topic, sizeof topic, "news.t%d", (int)next_poison % TOPICS);
            if (produce_one(rk, topic, poison[next_poison].key, poison[next_poison].value) < 0)
                snprintf(f->error, sizeof f->error, "could not produce poison %zu", next_poison);
            next_poison++;
        }
        story_json(value, sizeof value, i);
        snprintf(key, sizeof key, URI_PREFIX "%05d", i);
        snprintf(topic, sizeof topic, "news.t%d", i % TOPICS);
        if (produce_one(rk, topic, key, value) < 0) {
            snprintf(f->error, sizeof f->error, "could not produce story %d", i);
            break;
        }
        atomic_store(&f->produced, i + 1);
        rd_kafka_poll(rk, 0);
        double due = start + (double)(i + 1) / f->per_s;
        if (nw_test_now_s() < due)
            nw_test_sleep_ms((long)((due - nw_test_now_s()) * 1000) + 1);
    }
    if (rd_kafka_flush(rk, 60000))
        snprintf(f->error, sizeof f->error, "flush: messages left unacknowledged");
    rd_kafka_destroy(rk);
    atomic_store(&f->done, 1);
    return NULL;
}

/* ---------------------------------------------------------------- consumer */

static char *config_path, *log_path;

static void write_config(const char *bs, const char *archive)
{
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 3000\n"
             "  heartbeat.interval.ms: 300\n"
             "  topic.metadata.refresh.interval.ms: 2000\n"
             "group: nwtest-crash\n"
             "topics: \"^news\\\\..*\"\n"
             "batch: {max_messages: 200, max_ms: 100ms}\n"
             "retry: {initial: 50ms, max: 1s}\n"
             "http: {listen: \"\"}\n"
             "chain:\n"
             "  - plugin: archive-fs\n"
             "    root: %s\n"
             "    fsync: false\n",
             bs, archive);
    config_path = nw_test_write_in(tmp, "consumer.yaml", yaml);
    cr_assert_not_null(config_path);
    size_t n = strlen(tmp) + 32;
    log_path = malloc(n);
    snprintf(log_path, n, "%s/consumer.log", tmp);
}

/* newswire-consumer in the background, stdout+stderr appended to the log. */
static pid_t spawn_consumer(const char *exit_when_idle)
{
    const char *args[] = {"--config", config_path, exit_when_idle ? "--exit-when-idle" : NULL,
                          exit_when_idle, NULL};
    pid_t pid = nw_test_start_logged("consumers/newswire-consumer", args, log_path,
                                     NW_TEST_LOG_STDOUT | NW_TEST_DIE_WITH_TEST, NULL);
    cr_assert_geq(pid, 0);
    return pid;
}

/* How many times the consumers logged getting partitions (count >= 1). */
static int assignments(void)
{
    char *log = nw_test_read_file(log_path, NULL);
    if (!log)
        return 0;
    static const char tag[] = "partitions assigned\" count=";
    int n = 0;
    for (char *p = log; (p = strstr(p, tag)); p++)
        n += p[sizeof tag - 1] >= '1' && p[sizeof tag - 1] <= '9';
    free(log);
    return n;
}

static char *log_tail(void)
{
    size_t len = 0;
    char *all = nw_test_read_file(log_path, &len);
    if (!all)
        return strdup("(no log)");
    size_t keep = len > 6000 ? 6000 : len;
    char *t = strdup(all + len - keep);
    free(all);
    return t;
}

/* ----------------------------------------------------------------- checks */

typedef struct tally {
    int *count; /* per story index */
    long lines, distinct, foreign, files;
} tally;

static void scan_archive(const char *archive, tally *t)
{
    memset(t->count, 0, STORIES * sizeof *t->count);
    t->lines = t->distinct = t->foreign = t->files = 0;
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.jsonl' -type f", archive);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char path[4096];
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = '\0';
        char *c = nw_test_read_file(path, NULL);
        cr_assert_not_null(c, "%s", path);
        t->files++;
        for (char *line = c, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            cr_assert_not_null(nl, "%s: last line not terminated", path);
            *nl = '\0';
            t->lines++;
            const char *u = strstr(line, "\"uri\":\"" URI_PREFIX);
            int i = u ? atoi(u + strlen("\"uri\":\"" URI_PREFIX)) : -1;
            if (i < 0 || i >= STORIES)
                t->foreign++;
            else if (t->count[i]++ == 0)
                t->distinct++;
        }
        free(c);
    }
    pclose(f);
}

/* Keys of every message in news.dlq (with its nw-error header checked). */
static int read_dlq(const char *bs, char keys[][64], int max)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "nwtest-crash-dlq-reader", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "news.dlq", NULL);
    const struct rd_kafka_metadata *md = NULL;
    cr_assert_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
    cr_assert_eq(md->topics[0].err, 0, "news.dlq: %s", rd_kafka_err2str(md->topics[0].err));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, "news.dlq", md->topics[0].partitions[p].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    cr_assert_eq(rd_kafka_assign(rk, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    int n = 0;
    for (int idle = 0; idle < 20 && n < max;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            idle++;
            continue;
        }
        if (!m->err) {
            snprintf(keys[n], 64, "%.*s", (int)m->key_len, (const char *)m->key);
            rd_kafka_headers_t *h = NULL;
            const void *v;
            size_t vl;
            cr_assert(!rd_kafka_message_headers(m, &h) &&
                          !rd_kafka_header_get_last(h, "nw-error", &v, &vl) &&
                          !rd_kafka_header_get_last(h, "nw-origin-offset", &v, &vl),
                      "dead letter %s lacks nw-error / nw-origin-offset", keys[n]);
            n++;
            idle = 0;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

/* ------------------------------------------------------------------- test */

Test(consumer_crash, sigkill_ten_times_loses_and_doubles_nothing, .timeout = 400)
{
    double t0 = nw_test_now_s();
    tmp = nw_test_mkdtemp("consumer-crash");
    char *bs = start_broker();
    char archive[4096];
    snprintf(archive, sizeof archive, "%s/archive", tmp);
    write_config(bs, archive);

    const char *seed_env = getenv("NW_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
                             : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    cr_log_info("crash test seed=%u (NW_CRASH_SEED=%u replays the kill schedule)", seed, seed);

    /* 300 stories/s: the feed lasts ~67 s, so the kills land mid-stream */
    feeder f = {.bootstrap = bs, .per_s = 300};
    pthread_t feeder_thread;
    cr_assert_eq(pthread_create(&feeder_thread, NULL, feed, &f), 0);

    tally ty = {.count = calloc(STORIES, sizeof(int))};
    int kills = 0, at_work = 0;
    while (at_work < MIN_KILLS || !atomic_load(&f.done)) {
        int assigned_before = assignments();
        consumer_pid = spawn_consumer(NULL);
        /* A (re)join takes ~5 s on the mock (session.timeout.ms plus its
         * rebalance delay) and the backlog of that gap is archived within
         * about a second. So one kill in four comes at a random moment of
         * the start-up, the others at a random moment of the first 1.5 s
         * after the consumer got its partitions: mid-batch, mid-commit. */
        long wait;
        bool early = rand() % 4 == 0;
        if (early) {
            wait = 300 + rand() % 4000;
            nw_test_sleep_ms(wait);
        } else {
            for (wait = 0; assignments() == assigned_before && wait < 20000; wait += 50)
                nw_test_sleep_ms(50);
            long extra = rand() % 1500;
            nw_test_sleep_ms(extra);
            wait += extra;
        }
        int status;
        if (waitpid(consumer_pid, &status, WNOHANG) == consumer_pid) {
            char *t = log_tail();
            cr_assert_fail("consumer exited by itself (status %d) before kill %d\n%s", status,
                           kills + 1, t);
        }
        kill(consumer_pid, SIGKILL);
        waitpid(consumer_pid, &status, 0);
        consumer_pid = -1;
        kills++;
        bool joined = assignments() > assigned_before;
        at_work += joined;
        scan_archive(archive, &ty);
        cr_log_info("kill %d after %ld ms (%s): fed %d stories, %ld archived (%ld lines)", kills,
                    wait, joined ? "had partitions" : "still joining", atomic_load(&f.produced),
                    ty.distinct, ty.lines);
        cr_assert_lt(nw_test_now_s() - t0, 330,
                     "kill loop too slow"); /* a hang, not a speed goal */
    }
    pthread_join(feeder_thread, NULL);
    cr_assert_str_eq(f.error, "", "feeder: %s", f.error);
    cr_assert_eq(atomic_load(&f.failed), 0, "%d stories not acknowledged by the broker",
                 atomic_load(&f.failed));
    cr_assert_eq(atomic_load(&f.produced), STORIES);

    /* the last run drains what is left and exits once idle */
    consumer_pid = spawn_consumer("4000");
    int status = 0, waited = 0;
    while (waitpid(consumer_pid, &status, WNOHANG) == 0 && waited < 150000) {
        nw_test_sleep_ms(100);
        waited += 100;
    }
    if (waited >= 150000) {
        kill(consumer_pid, SIGKILL);
        waitpid(consumer_pid, &status, 0);
    }
    consumer_pid = -1;
    char *t = log_tail();
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "final consumer run failed (status %d, waited %d ms)\n%s", status, waited, t);
    free(t);

    scan_archive(archive, &ty);
    int missing = 0, doubled = 0, first_missing = -1, first_doubled = -1;
    for (int i = 0; i < STORIES; i++) {
        if (ty.count[i] == 0 && missing++ == 0)
            first_missing = i;
        if (ty.count[i] > 1 && doubled++ == 0)
            first_doubled = i;
    }
    cr_log_info("%d kills, %ld archive files, %ld lines, %ld distinct uris, %.1f s", kills,
                ty.files, ty.lines, ty.distinct, nw_test_now_s() - t0);
    cr_assert_eq(ty.foreign, 0, "%ld archived lines are not planted stories (poison?)", ty.foreign);
    cr_assert_eq(missing, 0, "%d stories lost, first %d", missing, first_missing);
    cr_assert_eq(doubled, 0, "%d stories doubled, first %d", doubled, first_doubled);
    cr_assert_eq(ty.distinct, STORIES);
    cr_assert_eq(ty.lines, STORIES, "%ld lines for %d stories", ty.lines, STORIES);
    free(ty.count);

    char keys[64][64];
    int n = read_dlq(bs, keys, 64);
    int seen[NPOISON] = {0};
    for (int i = 0; i < n; i++) {
        size_t p = 0;
        while (p < NPOISON && strcmp(keys[i], poison[p].key))
            p++;
        cr_assert_lt(p, NPOISON, "unexpected dead letter %s", keys[i]);
        seen[p]++;
    }
    int replayed = 0;
    for (size_t p = 0; p < NPOISON; p++) {
        cr_assert_geq(seen[p], 1, "poison %s is not in news.dlq", poison[p].key);
        replayed += seen[p] - 1;
    }
    cr_log_info("%d dead letters, %d of them replays after a kill", n, replayed);
    cr_assert_leq(replayed, kills, "%d dead letters replayed for %d kills", replayed, kills);
    cr_assert_geq(kills, MIN_KILLS);
    cr_assert_geq(at_work, MIN_KILLS, "only %d kills hit a consumer holding partitions", at_work);

    free(config_path);
    free(log_path);
    free(bs);
}
