/*
 * test_consumer_scale — scaling out one consumer group over a 6-partition
 * topic (`newswire broker --topic news.scale --partitions 6`). Each instance
 * runs the chain [archive-fs on a shared root, archive-fs on its own root]:
 * the shared root is "downstream" (what an operator's shared storage would
 * hold), the own root shows which partitions the instance processed.
 *   1. instances A and B: both archive, their partitions are disjoint and
 *      together cover all six;
 *   2. C joins: all three archive new stories, partitions still disjoint;
 *   3. B is killed with SIGKILL while stories stream in: A and C take over
 *      B's partitions;
 *   4. A and C drain on SIGTERM: the shared archive holds every story exactly
 *      once (distinct uris == lines == stories produced).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
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
#define PHASE      1200 /* stories per phase */
#define PHASES     3
#define STORIES    (PHASE * PHASES)
#define TOPIC      "news.scale"
#define URI_PREFIX "urn:newswire:scale:"

enum { A, B, C, NINST };
static const char *inst_name[NINST] = {"A", "B", "C"};
static pid_t inst_pid[NINST] = {-1, -1, -1};
static pid_t broker_pid = -1;
static char *tmp, *config_path, *shared_root;
static char inst_root[NINST][4096], inst_log[NINST][4096];

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
}

TestSuite(consumer_scale, .fini = teardown);

static char *start_broker(void)
{
    static const char *const args[] = {"--partitions", "6", "--topic", TOPIC, NULL};
    char *bs = NULL;
    broker_pid = nw_test_start_broker(args, &bs);
    cr_assert_gt(broker_pid, 0, "newswire broker did not start");
    return bs;
}

/* Stories [from, to) to TOPIC, keyed by uri, paced over ~spread_ms. */
static void produce(const char *bs, int from, int to, int spread_ms)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cr_assert_not_null(rk, "%s", errstr);
    int step = spread_ms > 0 ? (to - from) / (spread_ms / 10) : 0;
    for (int i = from; i < to; i++) {
        char key[64], value[512];
        snprintf(key, sizeof key, URI_PREFIX "%05d", i);
        snprintf(value, sizeof value,
                 "{\"uri\":\"%s\",\"type\":\"text\",\"version\":\"1\","
                 "\"versionCreated\":\"2024-05-02T08:00:00Z\","
                 "\"headlines\":[{\"value\":\"Scale test story %d\"}]}",
                 key, i);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE(value, strlen(value)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        cr_assert_eq(e, 0, "produce: %s", rd_kafka_err2str(e));
        if (step > 0 && (i - from) % step == step - 1) {
            rd_kafka_poll(rk, 0);
            nw_test_sleep_ms(10);
        }
    }
    cr_assert_eq(rd_kafka_flush(rk, 30000), 0, "stories not acknowledged");
    rd_kafka_destroy(rk);
}

static void write_config(const char *bs)
{
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  bootstrap.servers: \"%s\"\n"
             "  session.timeout.ms: 3000\n"
             "  heartbeat.interval.ms: 300\n"
             "group: nwtest-scale\n"
             "topics: " TOPIC "\n"
             "batch: {max_messages: 100, max_ms: 100ms}\n"
             "retry: {initial: 50ms, max: 1s}\n"
             "http: {listen: \"\"}\n"
             "chain:\n"
             "  - plugin: archive-fs\n"
             "    name: shared\n"
             "    root: %s\n"
             "    fsync: false\n"
             "  - plugin: archive-fs\n"
             "    name: own\n"
             "    root: set-per-instance-by-NEWSWIRE_CHAIN__1__ROOT\n"
             "    fsync: false\n",
             bs, shared_root);
    config_path = nw_test_write_in(tmp, "consumer.yaml", yaml);
    cr_assert_not_null(config_path);
}

static void spawn(int i)
{
    char root[4200];
    snprintf(root, sizeof root, "NEWSWIRE_CHAIN__1__ROOT=%s", inst_root[i]);
    const char *env[] = {root, NULL};
    const char *args[] = {"--config", config_path, NULL};
    pid_t pid = nw_test_start_logged("consumers/newswire-consumer", args, inst_log[i],
                                     NW_TEST_LOG_STDOUT | NW_TEST_DIE_WITH_TEST, env);
    cr_assert_geq(pid, 0);
    inst_pid[i] = pid;
}

static char *log_of(int i)
{
    char *s = nw_test_read_file(inst_log[i], NULL);
    return s ? s : strdup("");
}

/* Wait until instance i logged an assignment of at least one partition. */
static void wait_assigned(int i, int timeout_ms)
{
    for (int waited = 0;; waited += 100) {
        char *log = log_of(i);
        bool got = false;
        /* key=value logs: msg="partitions assigned" count=N total=M ... */
        static const char tag[] = "partitions assigned\" count=";
        for (char *p = log; (p = strstr(p, tag)); p++)
            got |= p[sizeof tag - 1] >= '1' && p[sizeof tag - 1] <= '9';
        if (got) {
            free(log);
            return;
        }
        if (waited >= timeout_ms)
            cr_assert_fail("instance %s got no partition in %d ms\n%s", inst_name[i], timeout_ms,
                           log);
        int st;
        if (waitpid(inst_pid[i], &st, WNOHANG) == inst_pid[i])
            cr_assert_fail("instance %s exited (%d)\n%s", inst_name[i], st, log);
        free(log);
        nw_test_sleep_ms(100);
    }
}

/* --------------------------------------------------------------- archives */

/* Partitions with a file in root whose name is not in `before` (a list of
 * names separated by '\n'; NULL = none). Returns a bit mask; *names (if
 * non-NULL) receives the current names. */
static unsigned new_partitions(const char *root, const char *before, char **names)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.jsonl' -type f -printf '%%f\\n' | sort", root);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char line[512];
    unsigned mask = 0;
    size_t cap = 4096, len = 0;
    char *all = calloc(1, cap);
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (len + l + 1 > cap)
            all = realloc(all, cap *= 2);
        memcpy(all + len, line, l + 1);
        len += l;
        line[strcspn(line, "\n")] = '\0';
        char needle[520];
        snprintf(needle, sizeof needle, "%s\n", line);
        if (before && strstr(before, needle))
            continue;
        int p = -1;
        long long off;
        if (sscanf(line, TOPIC "-%d-%lld.jsonl", &p, &off) == 2 && p >= 0 && p < PARTITIONS)
            mask |= 1u << p;
    }
    pclose(f);
    if (names)
        *names = all;
    else
        free(all);
    return mask;
}

typedef struct tally {
    int count[STORIES];
    long lines, distinct, foreign;
} tally;

static void scan(const char *root, tally *t)
{
    memset(t, 0, sizeof *t);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.jsonl' -type f", root);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char path[4096];
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = '\0';
        char *c = nw_test_read_file(path, NULL);
        if (!c)
            continue; /* replaced between find and read */
        for (char *line = c, *nl; *line && (nl = strchr(line, '\n')); line = nl + 1) {
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

static void wait_shared(long want, int timeout_ms, tally *t)
{
    for (int waited = 0;; waited += 200) {
        scan(shared_root, t);
        if (t->distinct >= want)
            return;
        if (waited >= timeout_ms) {
            char *la = log_of(A), *lc = log_of(C);
            cr_assert_fail("shared archive holds %ld of %ld stories after %d ms\n--- A:\n%.3000s"
                           "\n--- C:\n%.3000s",
                           t->distinct, want, timeout_ms, la, lc);
        }
        nw_test_sleep_ms(200);
    }
}

static int popcount(unsigned m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* ------------------------------------------------------------------- test */

Test(consumer_scale, two_then_three_instances_share_and_take_over, .timeout = 300)
{
    tmp = nw_test_mkdtemp("consumer-scale");
    char *bs = start_broker();
    size_t n = strlen(tmp) + 32;
    shared_root = malloc(n);
    snprintf(shared_root, n, "%s/shared", tmp);
    for (int i = 0; i < NINST; i++) {
        snprintf(inst_root[i], sizeof inst_root[i], "%s/own-%s", tmp, inst_name[i]);
        snprintf(inst_log[i], sizeof inst_log[i], "%s/%s.log", tmp, inst_name[i]);
    }
    write_config(bs);
    static tally t;

    /* 1. two instances share the six partitions */
    spawn(A);
    spawn(B);
    wait_assigned(A, 30000);
    wait_assigned(B, 30000);
    nw_test_sleep_ms(1000); /* let the cooperative rebalance settle */
    produce(bs, 0, PHASE, 0);
    wait_shared(PHASE, 30000, &t);
    char *names[NINST] = {NULL, NULL, NULL};
    unsigned pa = new_partitions(inst_root[A], NULL, &names[A]);
    unsigned pb = new_partitions(inst_root[B], NULL, &names[B]);
    cr_log_info("phase 1: A has partitions 0x%02x, B 0x%02x", pa, pb);
    cr_assert(pa && pb, "both instances archive (A 0x%02x, B 0x%02x)", pa, pb);
    cr_assert_eq(pa & pb, 0, "a partition was processed by both (A 0x%02x, B 0x%02x)", pa, pb);
    cr_assert_eq(pa | pb, (1u << PARTITIONS) - 1, "partitions not covered: 0x%02x", pa | pb);

    /* 2. a third instance joins */
    spawn(C);
    wait_assigned(C, 30000);
    nw_test_sleep_ms(1500);
    produce(bs, PHASE, 2 * PHASE, 0);
    wait_shared(2 * PHASE, 30000, &t);
    char *names2[NINST];
    unsigned q[NINST];
    for (int i = 0; i < NINST; i++) {
        q[i] = new_partitions(inst_root[i], names[i], &names2[i]);
        free(names[i]);
    }
    cr_log_info("phase 2: A 0x%02x, B 0x%02x, C 0x%02x", q[A], q[B], q[C]);
    for (int i = 0; i < NINST; i++)
        cr_assert(q[i], "instance %s archived nothing in phase 2", inst_name[i]);
    cr_assert_eq(q[A] & q[B], 0);
    cr_assert_eq(q[A] & q[C], 0);
    cr_assert_eq(q[B] & q[C], 0);
    cr_assert_eq(q[A] | q[B] | q[C], (1u << PARTITIONS) - 1);
    cr_assert_eq(popcount(q[C]), 2, "C took 0x%02x; expected two partitions", q[C]);

    /* 3. B is killed while stories stream in; A and C take over */
    pid_t killer = fork();
    cr_assert_geq(killer, 0);
    if (killer == 0) {
        nw_test_sleep_ms(700);
        kill(inst_pid[B], SIGKILL);
        _exit(0);
    }
    produce(bs, 2 * PHASE, 3 * PHASE, 2000);
    waitpid(killer, NULL, 0);
    int st;
    waitpid(inst_pid[B], &st, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "B was not killed (%d)", st);
    inst_pid[B] = -1;
    wait_shared(STORIES, 60000, &t);
    unsigned r[NINST];
    for (int i = 0; i < NINST; i += 2)
        r[i] = new_partitions(inst_root[i], names2[i], NULL);
    for (int i = 0; i < NINST; i++)
        free(names2[i]);
    cr_log_info("phase 3: A 0x%02x, C 0x%02x (B had 0x%02x)", r[A], r[C], q[B]);
    cr_assert_eq((r[A] | r[C]) & q[B], q[B], "B's partitions 0x%02x not taken over", q[B]);

    /* 4. drain and check downstream */
    for (int i = 0; i < NINST; i += 2) {
        int ws = nw_test_stop(inst_pid[i], 30);
        inst_pid[i] = -1;
        char *l = log_of(i);
        cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "instance %s did not drain (%d)\n%s",
                  inst_name[i], ws, l);
        free(l);
    }
    scan(shared_root, &t);
    int missing = 0, doubled = 0;
    for (int i = 0; i < STORIES; i++) {
        missing += t.count[i] == 0;
        doubled += t.count[i] > 1;
    }
    cr_log_info("shared archive: %ld lines, %ld distinct of %d", t.lines, t.distinct, STORIES);
    cr_assert_eq(t.foreign, 0);
    cr_assert_eq(missing, 0, "%d stories lost", missing);
    cr_assert_eq(doubled, 0, "%d stories doubled", doubled);
    cr_assert_eq(t.lines, STORIES);
    cr_assert_eq(t.distinct, STORIES);

    free(config_path);
    free(shared_root);
    free(bs);
}
