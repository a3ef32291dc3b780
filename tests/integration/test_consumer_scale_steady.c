/*
 * test_consumer_scale_steady — the scale measurement of docs/operations.md
 * ("Scaling"): a 6-partition topic on the embedded broker under a steady
 * load (~100 stories/s from a producer thread), consumer instances 1 -> 3
 * (scale-out: two processes join) -> 1 (scale-in: SIGTERM to both). Asserts
 * 0 stories lost and 0 duplicate lines in the shared archive; prints the
 * longest pause in processing after each scale event (the longest time the
 * archive did not grow while stories kept arriving). Pauses are printed,
 * never asserted: on the mock cluster a rebalance takes about
 * session.timeout.ms, which a real broker does not.
 *
 * Run twice: with dynamic membership, and with static membership
 * (group.instance.id per instance, as the Kubernetes manifests set it), where
 * a stopped instance does not leave the group and its partitions wait for
 * its session to time out.
 */
#define _XOPEN_SOURCE 700 /* nftw (FTW_PHYS, struct FTW) */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
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

#define PARTITIONS 6
#define TOPIC      "news.steady"
#define URI_PREFIX "urn:newswire:steady:"
#define RATE       100   /* stories per second */
#define MAX_STORY  20000 /* more than the run produces */
#define SESSION_MS 6000

enum { A, B, C, NINST };
static const char *inst_name[NINST] = {"A", "B", "C"};
static pid_t inst_pid[NINST] = {-1, -1, -1};
static pid_t broker_pid = -1;
static char *tmp, *bs;
static char config_path[4096], shared_root[4096], inst_log[NINST][4096];
static bool static_members;

static void teardown(void)
{
    for (int i = 0; i < NINST; i++)
        if (inst_pid[i] > 0) {
            kill(inst_pid[i], SIGKILL);
            waitpid(inst_pid[i], NULL, 0);
            inst_pid[i] = -1;
        }
    nw_test_end_child(&broker_pid, 5);
    nw_test_rm_tmp(&tmp);
    free(bs);
    bs = NULL;
}

TestSuite(scale_steady, .fini = teardown);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- producer */

static atomic_int produced;
static atomic_bool producing;

static void *produce_steadily(void *arg)
{
    (void)arg;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk)
        return NULL;
    int64_t start = now_ms();
    for (int i = 0; atomic_load(&producing) && i < MAX_STORY; i++) {
        char key[64], value[512];
        snprintf(key, sizeof key, URI_PREFIX "%05d", i);
        snprintf(value, sizeof value,
                 "{\"uri\":\"%s\",\"type\":\"text\",\"version\":\"1\","
                 "\"versionCreated\":\"2024-05-02T08:00:00Z\","
                 "\"headlines\":[{\"value\":\"Steady story %d\"}]}",
                 key, i);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_KEY(key, strlen(key)),
                                 RD_KAFKA_V_VALUE(value, strlen(value)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        atomic_store(&produced, i + 1);
        rd_kafka_poll(rk, 0);
        int64_t due = start + (int64_t)(i + 1) * 1000 / RATE;
        int64_t wait = due - now_ms();
        if (wait > 0)
            nw_test_sleep_ms((long)wait);
    }
    rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    return NULL;
}

/* --------------------------------------------------------- archive monitor */

/* When the archive grew, per partition (archive-fs names its files
 * <topic>-<partition>-<first offset>.jsonl) and in all (index ALL), sampled
 * every 20 ms by the monitor thread. At 100 stories/s each partition gets a
 * story every 60 ms on average. */
static atomic_bool monitoring;
#define MAX_SAMPLES 20000
#define ALL         PARTITIONS
static int64_t grew_at[PARTITIONS + 1][MAX_SAMPLES];
static atomic_int ngrew[PARTITIONS + 1];
static long long walk_sum[PARTITIONS + 1];

static int add_size(const char *path, const struct stat *st, int type, struct FTW *f)
{
    if (type != FTW_F)
        return 0;
    int p = -1;
    long long off;
    if (sscanf(path + f->base, TOPIC "-%d-%lld.jsonl", &p, &off) == 2 && p >= 0 && p < PARTITIONS)
        walk_sum[p] += st->st_size;
    walk_sum[ALL] += st->st_size;
    return 0;
}

static void *monitor(void *arg)
{
    (void)arg;
    long long last[PARTITIONS + 1];
    for (int p = 0; p <= ALL; p++)
        last[p] = -1;
    while (atomic_load(&monitoring)) {
        memset(walk_sum, 0, sizeof walk_sum);
        nftw(shared_root, add_size, 16, FTW_PHYS);
        int64_t now = now_ms();
        for (int p = 0; p <= ALL; p++) {
            if (walk_sum[p] <= last[p])
                continue;
            last[p] = walk_sum[p];
            int n = atomic_load(&ngrew[p]);
            if (n < MAX_SAMPLES) {
                grew_at[p][n] = now;
                atomic_store(&ngrew[p], n + 1);
            }
        }
        nw_test_sleep_ms(20);
    }
    return NULL;
}

/* Longest time in [from, to] in which partition p (or ALL) did not grow. */
static int64_t longest_pause_of(int p, int64_t from, int64_t to)
{
    int n = atomic_load(&ngrew[p]);
    int64_t prev = from, longest = 0;
    for (int i = 0; i < n; i++) {
        if (grew_at[p][i] < from)
            continue;
        if (grew_at[p][i] > to)
            break;
        if (grew_at[p][i] - prev > longest)
            longest = grew_at[p][i] - prev;
        prev = grew_at[p][i];
    }
    if (to - prev > longest)
        longest = to - prev;
    return longest;
}

/* The longest pause of any one partition in [from, to]; the whole
 * archive's in *all. */
static int64_t longest_pause(int64_t from, int64_t to, int64_t *all)
{
    int64_t worst = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        int64_t l = longest_pause_of(p, from, to);
        worst = l > worst ? l : worst;
    }
    *all = longest_pause_of(ALL, from, to);
    return worst;
}

/* --------------------------------------------------------------- instances */

static void write_config(void)
{
    char yaml[16384];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: %d\n"
             "  heartbeat.interval.ms: 500\n"
             "group: nwtest-steady\n"
             "topics: " TOPIC "\n"
             "batch: {max_messages: 100, max_ms: 50ms}\n"
             "revoke_timeout: 5s\n"
             "http: {listen: \"\"}\n"
             "chain:\n"
             "  - plugin: archive-fs\n"
             "    root: %s\n"
             "    fsync: false\n",
             bs, SESSION_MS, shared_root);
    cr_assert_eq(nw_test_write_file(config_path, yaml, strlen(yaml)), 0);
}

static void spawn(int i)
{
    char id[128];
    snprintf(id, sizeof id, "NEWSWIRE_KAFKA__GROUP__INSTANCE__ID=steady-%s", inst_name[i]);
    const char *env[] = {static_members ? id : NULL, NULL};
    const char *args[] = {"--config", config_path, NULL};
    pid_t pid = nw_test_start_logged("consumers/newswire-consumer", args, inst_log[i],
                                     NW_TEST_LOG_STDOUT | NW_TEST_DIE_WITH_TEST, env);
    cr_assert_geq(pid, 0);
    inst_pid[i] = pid;
}

static bool logged(int i, const char *what)
{
    char *log = nw_test_read_file(inst_log[i], NULL);
    bool got = log && strstr(log, what);
    free(log);
    return got;
}

static void wait_logged(int i, const char *what, int timeout_ms)
{
    for (int waited = 0; !logged(i, what); waited += 100) {
        if (waited >= timeout_ms) {
            char *log = nw_test_read_file(inst_log[i], NULL);
            cr_assert_fail("instance %s never logged \"%s\"\n%.4000s", inst_name[i], what,
                           log ? log : "");
        }
        nw_test_sleep_ms(100);
    }
}

/* SIGTERM and wait: the drain must end in exit status 0. */
static void stop_instance(int i)
{
    kill(inst_pid[i], SIGTERM);
    int st = 0;
    waitpid(inst_pid[i], &st, 0);
    inst_pid[i] = -1;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "instance %s: status %d after SIGTERM",
              inst_name[i], st);
}

/* ------------------------------------------------------------------ tally */

static int counts[MAX_STORY];

static void count_file(const char *path)
{
    char *c = nw_test_read_file(path, NULL);
    for (char *line = c, *nl; line && *line && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        const char *u = strstr(line, "\"uri\":\"" URI_PREFIX);
        int i = u ? atoi(u + strlen("\"uri\":\"" URI_PREFIX)) : -1;
        if (i >= 0 && i < MAX_STORY)
            counts[i]++;
    }
    free(c);
}

static int count_walk(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    if (type == FTW_F && strstr(path, ".jsonl"))
        count_file(path);
    return 0;
}

/* How many of the first n stories the archive lacks and holds twice. */
static void tally(int n, int *lost, int *doubled)
{
    memset(counts, 0, sizeof counts);
    nftw(shared_root, count_walk, 16, FTW_PHYS);
    *lost = *doubled = 0;
    for (int i = 0; i < n; i++) {
        *lost += counts[i] == 0;
        *doubled += counts[i] > 1;
    }
}

static void run_scale(bool statically)
{
    static_members = statically;
    tmp = nw_test_mkdtemp("scale-steady");
    static const char *const args[] = {"--partitions", "6", "--topic", TOPIC, NULL};
    broker_pid = nw_test_start_broker(args, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    snprintf(config_path, sizeof config_path, "%s/consumer.yaml", tmp);
    snprintf(shared_root, sizeof shared_root, "%s/archive", tmp);
    mkdir(shared_root, 0755);
    for (int i = 0; i < NINST; i++)
        snprintf(inst_log[i], sizeof inst_log[i], "%s/%s.log", tmp, inst_name[i]);
    write_config();
    for (int p = 0; p <= ALL; p++)
        atomic_store(&ngrew[p], 0);
    atomic_store(&produced, 0);

    spawn(A);
    wait_logged(A, "partitions assigned\" count=6", 30000);
    pthread_t prod, mon;
    atomic_store(&producing, true);
    atomic_store(&monitoring, true);
    cr_assert_eq(pthread_create(&prod, NULL, produce_steadily, NULL), 0);
    cr_assert_eq(pthread_create(&mon, NULL, monitor, NULL), 0);
    nw_test_sleep_ms(5000); /* steady state with one instance */
    int64_t base_from = now_ms() - 4000;
    int64_t base_all, base_pause = longest_pause(base_from, now_ms(), &base_all);

    /* scale-out 1 -> 3 */
    int64_t out_at = now_ms();
    spawn(B);
    spawn(C);
    wait_logged(B, "partitions assigned\" count=", 60000);
    wait_logged(C, "partitions assigned\" count=", 60000);
    nw_test_sleep_ms(SESSION_MS + 4000);
    int64_t out_all, out_pause = longest_pause(out_at, now_ms(), &out_all);

    /* scale-in 3 -> 1: SIGTERM drains and leaves */
    int64_t in_at = now_ms();
    stop_instance(B);
    stop_instance(C);
    int64_t stopped_at = now_ms();
    nw_test_sleep_ms(2 * SESSION_MS + 8000); /* on the mock, up to two rebalances */
    int64_t in_all, in_pause = longest_pause(in_at, now_ms(), &in_all);

    atomic_store(&producing, false);
    pthread_join(prod, NULL);
    int n = atomic_load(&produced);
    /* everything produced reaches the archive */
    int lost = n, doubled = 0;
    for (int waited = 0; waited < 60000 && lost; waited += 500) {
        tally(n, &lost, &doubled);
        if (lost)
            nw_test_sleep_ms(500);
    }
    atomic_store(&monitoring, false);
    pthread_join(mon, NULL);
    stop_instance(A);
    tally(n, &lost, &doubled);

    printf("scale_steady %s membership: %d stories at %d/s over 6 partitions; longest pause "
           "of a partition (of the whole archive): steady %lld ms (%lld), scale-out 1->3 "
           "%lld ms (%lld), scale-in 3->1 %lld ms (%lld); SIGTERM drain of two instances "
           "%lld ms; lost %d, duplicates %d (session.timeout.ms %d, embedded broker)\n",
           statically ? "static" : "dynamic", n, RATE, (long long)base_pause, (long long)base_all,
           (long long)out_pause, (long long)out_all, (long long)in_pause, (long long)in_all,
           (long long)(stopped_at - in_at), lost, doubled, SESSION_MS);
    fflush(stdout);
    cr_assert_gt(n, RATE * 10, "the load ran (%d stories)", n);
    cr_assert_eq(lost, 0, "%d of %d stories never reached the archive", lost, n);
    cr_assert_eq(doubled, 0, "%d stories archived twice", doubled);
}

Test(scale_steady, dynamic_membership, .timeout = 400)
{
    run_scale(false);
}

Test(scale_steady, static_membership, .timeout = 400)
{
    run_scale(true);
}
