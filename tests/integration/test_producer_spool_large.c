/*
 * test_producer_spool_large — the contract for files the spool streams
 * (over 1 MiB: checked whole by a first parse, then sent in chunks by a
 * second, see nw_spool.c "Streaming large files"), against
 * `newswire-producer --config FILE` as a child process and an in-process
 * embedded broker: a large file whose last item is broken publishes nothing
 * and lands in failed/ with its .error; a large good file publishes every
 * story exactly once and lands in done/, also with two of them taken at
 * once. Back-pressure is kept small (max_inflight_messages: 500) so that the
 * loader waits for the loop many times per file.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_kafka.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

#define ITEMS 40000 /* ~1.4 MB of RSS: over the streaming threshold */

static nw_broker *broker;
static nw_test_spool sp;

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 3, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    /* the mock broker keeps about 5 MB per partition (older messages are
     * dropped): 16 partitions hold two files of stories */
    cr_assert_eq(nw_broker_create_topic(broker, "news.general", 16, &err), 0, "%s", err.msg);
    cr_assert_eq(nw_test_spool_init(&sp, "spool-large", true), 0);
}

static void teardown(void)
{
    nw_test_spool_cleanup(&sp);
    nw_broker_free(broker);
    broker = NULL;
}

TestSuite(spool_large, .init = setup, .fini = teardown, .timeout = 600);

static void start_producer(void)
{
    cr_assert_eq(nw_test_spool_config(&sp, nw_broker_bootstrap(broker), "rss", "0s", "200ms",
                                      "max_inflight_messages: 500\n"),
                 0);
    cr_assert_gt(nw_test_spool_start(&sp, NW_TEST_LOG_TRUNCATE, NULL), 0);
}

/* An RSS feed of ITEMS items with uris <tag>-<n>, renamed into incoming/;
 * with `broken`, its last item is not well-formed. */
static void drop_feed(const char *name, const char *tag, bool broken)
{
    nw_buf b = {0};
    nw_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
                    "<title>Big</title><link>http://x/</link><description>d</description>\n");
    char item[256];
    for (int i = 0; i < ITEMS; i++) {
        bool last = i == ITEMS - 1;
        snprintf(item, sizeof item, "<item><guid>urn:%s-%d</guid><title>t%d</title>%s\n", tag, i, i,
                 last && broken ? "<item>" : "</item>");
        nw_buf_puts(&b, item);
    }
    nw_buf_puts(&b, "</channel></rss>\n");
    cr_assert(!nw_buf_failed(&b));
    cr_assert_gt(b.len, (size_t)1 << 20, "the feed must be over the streaming threshold");
    cr_assert_eq(nw_test_write_atomic(sp.incoming, name, b.data, b.len), 0, "%s: %s", name,
                 strerror(errno));
    nw_buf_free(&b);
}

static bool exists(const char *sub, const char *name)
{
    char p[2048];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s", sp.spool, sub, name);
    return stat(p, &st) == 0;
}

static bool wait_file(const char *sub, const char *name, int timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        if (exists(sub, name))
            return true;
        usleep(100000);
    }
    return false;
}

/* How often each uri of a tag was published. */
typedef struct seen {
    const char *tag;
    unsigned char counts[ITEMS];
    long other;
} seen;

static void count_uri(const rd_kafka_message_t *m, void *ctx)
{
    seen *s = ctx;
    char key[128];
    size_t n = m->key_len < sizeof key - 1 ? m->key_len : sizeof key - 1;
    memcpy(key, m->key, n);
    key[n] = '\0';
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "urn:%s-", s->tag);
    if (strncmp(key, prefix, (size_t)plen)) {
        s->other++;
        return;
    }
    long i = strtol(key + plen, NULL, 10);
    if (i >= 0 && i < ITEMS && s->counts[i] < 255)
        s->counts[i]++;
}

static seen *read_published(const char *tag)
{
    seen *s = calloc(1, sizeof *s);
    s->tag = tag;
    char err[512];
    long n = nw_test_read_to_end(nw_broker_bootstrap(broker), "news.", true, 60000, count_uri, s,
                                 err, sizeof err);
    cr_assert_geq(n, 0, "%s", err);
    return s;
}

static void assert_each_once(seen *s)
{
    int bad = -1;
    for (int i = 0; i < ITEMS && bad < 0; i++)
        if (s->counts[i] != 1)
            bad = i;
    int times = bad >= 0 ? s->counts[bad] : 1;
    long other = s->other;
    free(s);
    cr_assert_eq(bad, -1, "urn:<tag>-%d published %d times (%ld messages of other files)", bad,
                 times, other);
}

/* A large file whose very last item is broken: the first pass finds it,
 * nothing of the file is sent, it goes to failed/ with the parser's error;
 * a good large file after it goes through whole. */
Test(spool_large, broken_last_item_publishes_nothing)
{
    start_producer();
    drop_feed("bad.xml", "bad", true);
    cr_assert(wait_file("failed", "bad.xml", 300), "bad.xml never reached failed/");
    cr_assert(exists("failed", "bad.xml.error"));
    cr_assert(!exists("done", "bad.xml"));
    drop_feed("good.xml", "good", false);
    cr_assert(wait_file("done", "good.xml", 300), "good.xml never reached done/");
    cr_assert_eq(nw_test_spool_stop(&sp, 60), 0);
    seen *bad = read_published("bad");
    for (int i = 0; i < ITEMS; i++)
        cr_assert_eq(bad->counts[i], 0, "urn:bad-%d of the broken file was published", i);
    free(bad);
    seen *good = read_published("good");
    assert_each_once(good);
}

/* Two large files taken at once (two loaders): each is published whole,
 * every story exactly once, and both land in done/. */
Test(spool_large, two_good_files_publish_every_story_once)
{
    drop_feed("one.xml", "one", false);
    drop_feed("two.xml", "two", false);
    start_producer();
    cr_assert(wait_file("done", "one.xml", 300), "one.xml never reached done/");
    cr_assert(wait_file("done", "two.xml", 300), "two.xml never reached done/");
    cr_assert(!exists("incoming", "one.xml") && !exists("incoming", "two.xml"));
    cr_assert_eq(nw_test_spool_stop(&sp, 60), 0);
    seen *one = read_published("one");
    assert_each_once(one);
    seen *two = read_published("two");
    assert_each_once(two);
}
