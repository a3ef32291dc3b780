/*
 * test_spool — the producer's spool placement (nw_spool_place: collision
 * suffixes, .error files, orphan .error reuse, never replacing a file) and
 * routing rules (nw_route: category map, prefix, default topic, fan-out,
 * config errors). The producer's modules are not in a library the tests link,
 * so this test compiles them in.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_input.h"
#include "nw_kafka.h"
#include "nw_publish.h"
#include "nw_route.h"
#include "nw_spool.h"
#include "nw_testutil.h"

static char *dir;
static int in_fd, out_fd;

static void setup(void)
{
    dir = nw_test_mkdtemp("spool");
    cr_assert_not_null(dir);
    char p[1024];
    snprintf(p, sizeof p, "%s/in", dir);
    mkdir(p, 0755);
    in_fd = open(p, O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "%s/out", dir);
    mkdir(p, 0755);
    out_fd = open(p, O_RDONLY | O_DIRECTORY);
    cr_assert(in_fd >= 0 && out_fd >= 0);
}

static void teardown(void)
{
    close(in_fd);
    close(out_fd);
    nw_test_rm_rf(dir);
    free(dir);
}

static void put(const char *sub, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    cr_assert_eq(nw_test_write_file(p, text, strlen(text)), 0);
}

static char *get(const char *sub, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    return nw_test_read_file(p, NULL);
}

TestSuite(spool_place, .init = setup, .fini = teardown);

Test(spool_place, moves_and_suffixes_collisions)
{
    char dest[256];
    nw_err err = {0};
    put("in", "a.txt", "one");
    cr_assert_eq(nw_spool_place(in_fd, "a.txt", out_fd, NULL, dest, sizeof dest, &err), 0, "%s",
                 err.msg);
    cr_expect_str_eq(dest, "a.txt");
    put("in", "a.txt", "two");
    cr_assert_eq(nw_spool_place(in_fd, "a.txt", out_fd, NULL, dest, sizeof dest, &err), 0);
    cr_expect_str_eq(dest, "a.txt.1");
    put("in", "a.txt", "three");
    cr_assert_eq(nw_spool_place(in_fd, "a.txt", out_fd, NULL, dest, sizeof dest, &err), 0);
    cr_expect_str_eq(dest, "a.txt.2");
    char *one = get("out", "a.txt"), *two = get("out", "a.txt.1");
    cr_expect_str_eq(one, "one", "never replaced");
    cr_expect_str_eq(two, "two");
    free(one);
    free(two);
    cr_expect_null(get("in", "a.txt"));
}

Test(spool_place, writes_the_error_beside)
{
    char dest[256];
    nw_err err = {0};
    put("in", "bad.xml", "<x");
    cr_assert_eq(nw_spool_place(in_fd, "bad.xml", out_fd, "parse error: bad.xml:1: oops", dest,
                                sizeof dest, &err),
                 0, "%s", err.msg);
    char *e = get("out", "bad.xml.error");
    cr_assert_not_null(e);
    cr_expect_str_eq(e, "parse error: bad.xml:1: oops\n");
    free(e);
    /* an orphan .error (crash between writing it and the move) is reused */
    put("out", "other.xml.error", "stale");
    put("in", "other.xml", "<y");
    cr_assert_eq(nw_spool_place(in_fd, "other.xml", out_fd, "new reason", dest, sizeof dest, &err),
                 0);
    cr_expect_str_eq(dest, "other.xml");
    e = get("out", "other.xml.error");
    cr_expect_str_eq(e, "new reason\n");
    free(e);
    /* a collision puts the error beside the suffixed name */
    put("in", "bad.xml", "<z");
    cr_assert_eq(nw_spool_place(in_fd, "bad.xml", out_fd, "again", dest, sizeof dest, &err), 0);
    cr_expect_str_eq(dest, "bad.xml.1");
    e = get("out", "bad.xml.1.error");
    cr_expect_str_eq(e, "again\n");
    free(e);
}

Test(spool_place, vanished_source_is_not_found)
{
    nw_err err = {0};
    cr_expect_eq(nw_spool_place(in_fd, "nope", out_fd, "x", NULL, 0, &err), NW_ENOTFOUND);
    cr_expect_null(get("out", "nope.error"), "no error file for a file that is not there");
}

/* ------------------------------------------------------------------------ */
/* Routing                                                                  */
/* ------------------------------------------------------------------------ */

static nw_route *route_from(const char *yaml, nw_err *err)
{
    nw_config *cfg = NULL;
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "<test>", &cfg, err), 0, "%s", err->msg);
    nw_route *r = nw_route_from_config(nw_cfg_get(nw_config_root(cfg), "routing"), err);
    nw_config_free(cfg);
    return r;
}

static nw_story *story_with(const char *a, const char *b)
{
    nw_story *s = nw_story_new();
    nw_story_set(&s->uri, "urn:x");
    if (a)
        nw_story_add_category(s, a, NULL);
    if (b)
        nw_story_add_category(s, b, NULL);
    return s;
}

Test(route, defaults_prefix_and_uncategorized)
{
    nw_err err = {0};
    nw_route *r = route_from("other: 1\n", &err);
    cr_assert_not_null(r, "%s", err.msg);
    char t[4][NW_TOPIC_NAME_MAX + 1];
    nw_story *s = story_with("Mid-East", "Americas");
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 2);
    cr_expect_str_eq(t[0], "news.mid-east");
    cr_expect_str_eq(t[1], "news.americas");
    nw_story_free(s);
    s = story_with(NULL, NULL);
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 1);
    cr_expect_str_eq(t[0], "news.uncategorized");
    nw_story_free(s);
    nw_route_free(r);
}

Test(route, map_fanout_first_and_default)
{
    nw_err err = {0};
    nw_route *r = route_from("routing:\n  topic_prefix: wire.\n  default_topic: wire.misc\n"
                             "  fanout: first\n  categories: {mid east: wire.world, "
                             "Americas: wire.world}\n",
                             &err);
    cr_assert_not_null(r, "%s", err.msg);
    char t[4][NW_TOPIC_NAME_MAX + 1];
    nw_story *s = story_with("Mid-East", "Sport");
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 1);
    cr_expect_str_eq(t[0], "wire.world", "the map matches by slug");
    nw_story_free(s);
    s = story_with("Sport", "Mid-East");
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 1);
    cr_expect_str_eq(t[0], "wire.sport");
    nw_story_free(s);
    s = story_with(NULL, NULL);
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 1);
    cr_expect_str_eq(t[0], "wire.misc");
    nw_story_free(s);
    nw_route_free(r);

    r = route_from("routing:\n  categories: {Mid-East: news.world, Americas: news.world}\n", &err);
    cr_assert_not_null(r);
    s = story_with("Mid-East", "Americas");
    cr_expect_eq(nw_route_topics(r, s, t, 4, &err), 1, "two categories, one topic: sent once");
    nw_story_free(s);
    nw_route_free(r);
}

Test(route, topic_of_a_default_category)
{
    nw_err err = {0};
    nw_route *r = route_from("routing:\n  topic_prefix: wire.\n  default_topic: wire.misc\n"
                             "  categories: {mid east: wire.world}\n",
                             &err);
    cr_assert_not_null(r, "%s", err.msg);
    char t[NW_TOPIC_NAME_MAX + 1];
    cr_assert_eq(nw_route_category_topic(r, "Mid-East", t, &err), 0, "%s", err.msg);
    cr_expect_str_eq(t, "wire.world", "mapped by slug, as for a story");
    cr_assert_eq(nw_route_category_topic(r, "Sport News", t, &err), 0, "%s", err.msg);
    cr_expect_str_eq(t, "wire.sport-news");
    cr_assert_eq(nw_route_category_topic(r, NULL, t, &err), 0);
    cr_expect_str_eq(t, "wire.misc");
    cr_assert_eq(nw_route_category_topic(r, "", t, &err), 0);
    cr_expect_str_eq(t, "wire.misc");
    /* the same answer as routing a story of that one category */
    char st[4][NW_TOPIC_NAME_MAX + 1];
    nw_story *s = story_with("Sport News", NULL);
    cr_assert_eq(nw_route_topics(r, s, st, 4, &err), 1);
    cr_assert_eq(nw_route_category_topic(r, "Sport News", t, &err), 0);
    cr_expect_str_eq(t, st[0]);
    nw_story_free(s);
    nw_route_free(r);
}

/* An RSS item with <category>DLQ</category> went to news.dlq, which no
 * consumer reads: the story was never archived. */
Test(route, a_category_never_makes_a_reserved_topic)
{
    nw_err err = {0};
    nw_route *r = route_from("other: 1\n", &err);
    cr_assert_not_null(r, "%s", err.msg);
    char t[4][NW_TOPIC_NAME_MAX + 1];
    nw_story *s = story_with("DLQ", "Sport");
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 2, "%s", err.msg);
    cr_expect_str_eq(t[0], "news.category-dlq");
    cr_expect_str_eq(t[1], "news.sport");
    nw_story_free(s);
    char one[NW_TOPIC_NAME_MAX + 1];
    cr_assert_eq(nw_route_category_topic(r, "dlq", one, &err), 0, "%s", err.msg);
    cr_expect_str_eq(one, "news.category-dlq");
    nw_route_free(r);

    r = route_from("routing:\n  topic_prefix: \"\"\n", &err);
    cr_assert_not_null(r, "%s", err.msg);
    s = story_with("dlq", "__consumer_offsets");
    cr_assert_eq(nw_route_topics(r, s, t, 4, &err), 2, "%s", err.msg);
    cr_expect_str_eq(t[0], "category-dlq");
    cr_expect_neq(t[1][0], '_', "%s", t[1]);
    nw_story_free(s);
    nw_route_free(r);

    cr_expect(nw_route_reserved_topic("news.dlq"));
    cr_expect(nw_route_reserved_topic("wire.dlq"));
    cr_expect(nw_route_reserved_topic("newswire.dedup.fingerprints"));
    cr_expect(nw_route_reserved_topic("__consumer_offsets"));
    cr_expect(!nw_route_reserved_topic("news.dlq-watch"));
    cr_expect(!nw_route_reserved_topic("news.sport"));
}

Test(route, a_configured_reserved_topic_is_refused)
{
    nw_err err = {0};
    cr_expect_null(route_from("routing:\n  categories: {alerts: news.dlq}\n", &err));
    cr_expect(strstr(err.msg, "categories.alerts") && strstr(err.msg, "reserved"), "%s", err.msg);
    cr_expect_null(route_from("routing:\n  default_topic: __consumer_offsets\n", &err));
    cr_expect(strstr(err.msg, "default_topic") && strstr(err.msg, "reserved"), "%s", err.msg);
    cr_expect_null(route_from("routing:\n  topic_prefix: _x.\n", &err));
    cr_expect(strstr(err.msg, "topic_prefix"), "%s", err.msg);
}

Test(route, config_errors_name_the_key)
{
    nw_err err = {0};
    cr_expect_null(route_from("routing:\n  fanout: some\n", &err));
    cr_expect(strstr(err.msg, "fanout") && strstr(err.msg, "'all' or 'first'"), "%s", err.msg);
    cr_expect_null(route_from("routing:\n  categories: {sport: \"bad topic!\"}\n", &err));
    cr_expect(strstr(err.msg, "categories") && strstr(err.msg, ":3:") == NULL, "%s", err.msg);
    cr_expect_null(route_from("routing:\n  topic_prefix: \"a b\"\n", &err));
    cr_expect(strstr(err.msg, "topic_prefix"), "%s", err.msg);
    cr_expect_null(route_from("routing:\n  fanuot: all\n", &err));
    cr_expect(strstr(err.msg, "fanuot"), "%s", err.msg);
}

/* ------------------------------------------------------------------------ */
/* Spool configuration                                                      */
/* ------------------------------------------------------------------------ */

static int spools_from(const char *yaml, nw_err *err)
{
    nw_config *cfg = NULL;
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "<test>", &cfg, err), 0);
    nw_input **list = NULL;
    size_t n = 0;
    int rc = nw_spool_inputs_from_config(nw_cfg_get(nw_config_root(cfg), "spools"), &list, &n, err);
    if (rc == 0)
        rc = (int)n;
    nw_input_list_free(list, n);
    nw_config_free(cfg);
    return rc;
}

Test(spool_config, validates_every_field)
{
    nw_err err = {0};
    cr_expect_eq(spools_from("spools:\n  - {path: /tmp/wire}\n  - {path: /var/tmp, format: ninjs, "
                             "timezone: Europe/Paris}\n",
                             &err),
                 2, "%s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {path: relative}\n", &err), 0);
    cr_expect(strstr(err.msg, "absolute"), "%s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {path: /tmp/a, format: nosuch}\n", &err), 0);
    cr_expect(strstr(err.msg, "nosuch"), "%s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {path: /tmp/a, timezone: Mars/Olympus}\n", &err), 0);
    cr_expect(strstr(err.msg, "timezone"), "%s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {path: /tmp/x}\n  - {path: /var/tmp/x}\n", &err), 0);
    cr_expect(strstr(err.msg, "twice"), "same default name: %s", err.msg);
    cr_expect_lt(
        spools_from("spools:\n  - {path: /tmp/a, name: p}\n  - {path: /tmp/a/, name: q}\n", &err),
        0);
    cr_expect(strstr(err.msg, "already"), "same path: %s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {paht: /a}\n", &err), 0);
    cr_expect(strstr(err.msg, "paht"), "%s", err.msg);
    /* the root as start finds it: a folder, or creatable in one */
    cr_expect_lt(spools_from("spools:\n  - {path: /etc/hostname}\n", &err), 0);
    cr_expect(strstr(err.msg, "spools[0].path") && strstr(err.msg, "not a folder"), "%s", err.msg);
    cr_expect_lt(spools_from("spools:\n  - {path: /nonexistent-nw/x/spool}\n", &err), 0);
    cr_expect(strstr(err.msg, "cannot be created"), "%s", err.msg);
}

/* A ticket holds its first failure's text only when there is one, keeps
 * the first of several, and gives it back at clear (ASan checks the free). */
Test(publish_ticket, keeps_the_first_failure_text)
{
    nw_publish_ticket t = {0};
    cr_expect_str_eq(nw_publish_ticket_error(&t), "", "no failure, no text");

    nw_err err = {0};
    nw_broker *broker = nw_broker_new(1, 1, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    rd_kafka_conf_t *conf = nw_kafka_conf_new(NULL, nw_broker_bootstrap(broker), &err);
    cr_assert_not_null(conf, "%s", err.msg);
    char why[256];
    cr_assert_eq(rd_kafka_conf_set(conf, "message.max.bytes", "1000", why, sizeof why),
                 RD_KAFKA_CONF_OK, "%s", why);
    nw_publisher *pub = nw_publisher_new(conf, NULL, &err);
    cr_assert_not_null(pub, "%s", err.msg);

    /* two stories over librdkafka's message.max.bytes, to two topics:
     * refused up front */
    for (int i = 0; i < 2; i++) {
        nw_story *s = story_with(i ? "Weather" : "Sport", NULL);
        char body[3000];
        memset(body, 'a' + i, sizeof body - 1);
        body[sizeof body - 1] = '\0';
        cr_assert_eq(nw_text_list_add(&s->bodies, body, NULL, "text/plain"), 0);
        cr_expect_lt(nw_publisher_publish(pub, s, NULL, &t, &err), 0,
                     "an oversized story is refused");
        nw_story_free(s);
        if (i == 0) {
            cr_assert_not_null(t.first_error);
            cr_expect(strstr(t.first_error, "send to news.sport refused"), "%s", t.first_error);
        }
    }
    cr_expect_eq(t.failed, 2);
    cr_expect_eq(t.refused, 2);
    cr_expect_eq(nw_publish_ticket_outstanding(&t), 0);
    const char *first = nw_publish_ticket_error(&t);
    cr_expect(strstr(first, "send to news.sport refused"), "the first failure is kept: %s", first);
    nw_publish_ticket_clear(&t);
    cr_expect_null(t.first_error);
    cr_expect_eq(t.failed, 0);
    cr_expect_str_eq(nw_publish_ticket_error(&t), "");
    nw_publisher_free(pub);
    nw_broker_free(broker);
}
