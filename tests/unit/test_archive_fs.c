/*
 * test_archive_fs — the archive-fs sink through its descriptor: directory
 * layout and dates, file naming, identical replays leave files untouched,
 * replays with other batch boundaries remove the stale files, the fsync
 * setting, config validation and permanent failures for bad stories.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_fs.h"
#include "nw_chain.h"
#include "nw_testplugin.h"
#include "nw_testutil.h"

static char *root;
static const nw_plugin_descriptor *af = &nw_plugin_archive_fs;

static void setup(void)
{
    root = nw_test_mkdtemp("archive-fs");
    cr_assert_not_null(root);
}

static void teardown(void)
{
    nw_test_plugin_free_all();
    nw_test_rm_rf(root);
    free(root);
}

TestSuite(archive_fs, .init = setup, .fini = teardown);

static void *open_archive(const char *fsync_value, char *err, size_t errlen)
{
    return nw_test_plugin_open(af, NULL, err, errlen, "root", root, fsync_value ? "fsync" : NULL,
                               fsync_value, NULL);
}

static void *must_open(const char *fsync_value)
{
    char err[512] = "";
    void *st = open_archive(fsync_value, err, sizeof err);
    cr_assert_not_null(st, "%s", err);
    return st;
}

/* A story on topic news.<cat>, partition p, offset o. */
static void story(nw_chain_msg *m, const char *cat, int32_t p, int64_t o, const char *json,
                  int64_t ts)
{
    char topic[128];
    snprintf(topic, sizeof topic, "news.%s", cat);
    cr_assert_eq(
        nw_chain_msg_init(m, topic, "news.", p, o, "urn:x", 5, json, strlen(json), ts, NULL), 0);
}

static char *dated_json(int64_t o)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "{\"uri\":\"urn:s%lld\",\"versionCreated\":\"2015-12-16T00:43:03Z\"}",
             (long long)o);
    return buf;
}

/* Write offsets [first, last] of news.world/0 as one batch and flush. */
static void write_range(void *st, int64_t first, int64_t last)
{
    size_t n = (size_t)(last - first + 1);
    nw_chain_msg *msgs = calloc(n, sizeof *msgs);
    nw_plugin_msg **ptrs = calloc(n, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        story(&msgs[i], "world", 0, first + (int64_t)i, dated_json(first + (int64_t)i), -1);
        ptrs[i] = &msgs[i].pub;
    }
    size_t failed = 99;
    char err[512] = "";
    cr_assert_eq(af->write(st, ptrs, n, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    for (size_t i = 0; i < n; i++)
        nw_chain_msg_deinit(&msgs[i]);
    free(msgs);
    free(ptrs);
}

static char *path_in(const char *rel)
{
    char *p = malloc(strlen(root) + strlen(rel) + 2);
    sprintf(p, "%s/%s", root, rel);
    return p;
}

static int count_files(const char *rel_dir)
{
    char *dir = path_in(rel_dir);
    DIR *d = opendir(dir);
    free(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int count_lines(const char *rel)
{
    char *p = path_in(rel);
    size_t len = 0;
    char *s = nw_test_read_file(p, &len);
    free(p);
    if (!s)
        return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    free(s);
    return n;
}

#define DAY   "world/2015/12/16/"
#define FILE0 DAY "news.world-0-00000000000000000000.jsonl"
#define FILE2 DAY "news.world-0-00000000000000000002.jsonl"
#define FILE5 DAY "news.world-0-00000000000000000005.jsonl"

Test(archive_fs, path_and_name_from_category_date_partition_offset)
{
    void *st = must_open("false");
    nw_chain_msg m;
    story(&m, "mid-east", 3, 12345,
          "{\"uri\":\"urn:1\",\"versionCreated\":\"2015-12-16T00:43:03Z\"}", -1);
    nw_plugin_msg *p = &m.pub;
    size_t failed;
    char err[512];
    cr_assert_eq(af->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_OK);
    char *want = path_in("mid-east/2015/12/16/news.mid-east-3-00000000000000012345.jsonl");
    struct stat sb;
    cr_assert_neq(stat(want, &sb), 0, "nothing is written before flush");
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    size_t len;
    char *body = nw_test_read_file(want, &len);
    cr_assert_not_null(body, "missing %s", want);
    cr_assert_str_eq(body, "{\"uri\":\"urn:1\",\"versionCreated\":\"2015-12-16T00:43:03Z\"}\n");
    cr_assert_eq(count_files("mid-east/2015/12/16"), 1, "no temp files left");
    free(body);
    free(want);
    nw_chain_msg_deinit(&m);
    af->destroy(st);
}

Test(archive_fs, date_falls_back_and_is_utc)
{
    void *st = must_open("false");
    nw_chain_msg m[4];
    /* firstCreated with an offset: 2015-12-31T22:30-05:00 is 2016-01-01 UTC */
    story(&m[0], "a", 0, 0, "{\"uri\":\"u\",\"firstCreated\":\"2015-12-31T22:30:00.5-05:00\"}", -1);
    /* versionCreated wins over firstCreated */
    story(&m[1], "b", 0, 0,
          "{\"uri\":\"u\",\"versionCreated\":\"2020-02-29T10:00:00Z\",\"firstCreated\":"
          "\"2001-01-01T00:00:00Z\"}",
          -1);
    /* no dates (or garbage): the Kafka timestamp, 2021-06-15T12:00:00Z */
    story(&m[2], "c", 0, 0, "{\"uri\":\"u\",\"versionCreated\":\"yesterday\"}", 1623758400000);
    /* nothing at all */
    story(&m[3], "d", 0, 0, "{\"uri\":\"u\"}", -1);
    nw_plugin_msg *p[4] = {&m[0].pub, &m[1].pub, &m[2].pub, &m[3].pub};
    size_t failed;
    char err[512] = "";
    cr_assert_eq(af->write(st, p, 4, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(count_files("a/2016/01/01"), 1);
    cr_assert_eq(count_files("b/2020/02/29"), 1);
    cr_assert_eq(count_files("c/2021/06/15"), 1);
    cr_assert_eq(count_files("d/undated"), 1);
    for (int i = 0; i < 4; i++)
        nw_chain_msg_deinit(&m[i]);
    af->destroy(st);
}

Test(archive_fs, identical_replay_leaves_file_untouched)
{
    void *st = must_open("false");
    write_range(st, 0, 4);
    char *f0 = path_in(FILE0);
    /* backdate the file: a rewrite would move its mtime to now */
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, f0, old, 0), 0);
    write_range(st, 0, 4);
    struct stat sb;
    cr_assert_eq(stat(f0, &sb), 0);
    cr_assert_eq(sb.st_mtim.tv_sec, 1000000000, "file was rewritten");
    nw_archive_fs_stats s = nw_archive_fs_get_stats(st);
    cr_assert_eq(s.files_written, 1);
    cr_assert_eq(s.files_unchanged, 1);
    cr_assert_eq(count_lines(FILE0), 5);
    free(f0);
    af->destroy(st);
}

Test(archive_fs, replay_with_other_boundaries_removes_stale_files)
{
    void *st = must_open("false");
    write_range(st, 0, 1); /* committed, say: never touched again */
    write_range(st, 2, 4); /* batch A, not committed */
    write_range(st, 5, 9); /* batch B, not committed */
    cr_assert_eq(count_files(DAY), 3);
    af->destroy(st);

    /* restart: replay from offset 2 as one batch 2..9 */
    st = must_open("false");
    write_range(st, 2, 9);
    cr_assert_eq(count_files(DAY), 2);
    cr_assert_eq(count_lines(FILE0), 2);
    cr_assert_eq(count_lines(FILE2), 8);
    cr_assert_eq(count_lines(FILE5), -1, "stale file removed");
    cr_assert_eq(nw_archive_fs_get_stats(st).files_removed, 1);
    af->destroy(st);
}

Test(archive_fs, replay_in_smaller_batches_converges)
{
    void *st = must_open("false");
    write_range(st, 0, 9);
    af->destroy(st);
    st = must_open("false");
    write_range(st, 0, 4);
    write_range(st, 5, 9);
    cr_assert_eq(count_lines(FILE0), 5);
    cr_assert_eq(count_lines(FILE5), 5);
    cr_assert_eq(count_files(DAY), 2);
    af->destroy(st);
}

Test(archive_fs, stale_rule_stays_in_its_topic_partition)
{
    void *st = must_open("false");
    /* partition 1 of the same topic and a topic whose name extends ours */
    nw_chain_msg m[2];
    story(&m[0], "world", 1, 3, dated_json(3), -1);
    cr_assert_eq(nw_chain_msg_init(&m[1], "news.world-0", "news.", 0, 3, "k", 1, dated_json(3),
                                   strlen(dated_json(3)), -1, NULL),
                 0);
    free(m[1].topic); /* same category directory as news.world */
    m[1].topic = strdup("news.world-0");
    m[1].pub.topic = m[1].topic;
    m[1].pub.category = "world";
    nw_plugin_msg *p[2] = {&m[0].pub, &m[1].pub};
    size_t failed;
    char err[512] = "";
    cr_assert_eq(af->write(st, p, 2, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    write_range(st, 0, 9);
    cr_assert_eq(count_files(DAY), 3, "other partition/topic files kept");
    cr_assert_eq(nw_archive_fs_get_stats(st).files_removed, 0);
    for (int i = 0; i < 2; i++)
        nw_chain_msg_deinit(&m[i]);
    af->destroy(st);
}

Test(archive_fs, retried_write_does_not_duplicate)
{
    void *st = must_open("false");
    nw_chain_msg m[2];
    story(&m[0], "world", 0, 0, dated_json(0), -1);
    story(&m[1], "world", 0, 1, dated_json(1), -1);
    nw_plugin_msg *p[2] = {&m[0].pub, &m[1].pub};
    size_t failed;
    char err[512] = "";
    cr_assert_eq(af->write(st, p, 2, &failed, err, sizeof err), NW_PLUGIN_OK);
    cr_assert_eq(af->write(st, p, 2, &failed, err, sizeof err), NW_PLUGIN_OK);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(count_lines(FILE0), 2);
    for (int i = 0; i < 2; i++)
        nw_chain_msg_deinit(&m[i]);
    af->destroy(st);
}

Test(archive_fs, fsync_setting)
{
    void *st = must_open("false");
    write_range(st, 0, 2);
    cr_assert_eq(nw_archive_fs_get_stats(st).fsyncs, 0);
    af->destroy(st);
    nw_test_rm_rf(root);

    st = must_open(NULL); /* default: true */
    write_range(st, 0, 2);
    /* file + its directory + the parents of the 4 directories created */
    cr_assert_geq(nw_archive_fs_get_stats(st).fsyncs, 2 + 4);
    af->destroy(st);
    st = must_open("yes");
    uint64_t before = nw_archive_fs_get_stats(st).fsyncs;
    write_range(st, 3, 3);
    cr_assert_eq(nw_archive_fs_get_stats(st).fsyncs - before, 2, "file and directory");
    af->destroy(st);
}

Test(archive_fs, settings_are_validated)
{
    char err[512] = "";
    cr_assert_null(open_archive("sometimes", err, sizeof err));
    cr_assert(strstr(err, "fsync: expected true or false"), "%s", err);

    cr_assert_null(
        nw_test_plugin_open(af, NULL, err, sizeof err, "root", "/tmp", "rotate", "daily", NULL));
    cr_assert(strstr(err, "unknown key 'rotate'"), "%s", err);

    cr_assert_null(nw_test_plugin_open(af, NULL, err, sizeof err, NULL));
    cr_assert(strstr(err, "missing required key 'root'"), "%s", err);

    cr_assert_null(
        nw_test_plugin_open(af, NULL, err, sizeof err, "root", "/proc/nope/archive", NULL));
    cr_assert(strstr(err, "cannot create directory /proc/nope/archive"), "%s", err);
}

Test(archive_fs, bad_stories_fail_permanently_at_their_index)
{
    void *st = must_open("false");
    nw_chain_msg m[3];
    story(&m[0], "world", 0, 0, dated_json(0), -1);
    story(&m[1], "world", 0, 1, dated_json(1), -1);
    story(&m[2], "..", 0, 2, dated_json(2), -1);
    nw_plugin_msg *p[3] = {&m[0].pub, &m[1].pub, &m[2].pub};
    size_t failed = 99;
    char err[512] = "";
    cr_assert_eq(af->write(st, p, 3, &failed, err, sizeof err), NW_PLUGIN_FATAL);
    cr_assert_eq(failed, 2);
    cr_assert(strstr(err, "cannot be a directory name"), "%s", err);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(count_lines(FILE0), 2, "the good stories before the bad one are archived");
    for (int i = 0; i < 3; i++)
        nw_chain_msg_deinit(&m[i]);
    af->destroy(st);
}

Test(archive_fs, multi_line_json_becomes_one_line)
{
    void *st = must_open("false");
    nw_chain_msg m;
    story(&m, "world", 0, 0,
          "{\n  \"uri\": \"urn:s0\",\n  \"versionCreated\": \"2015-12-16T00:43:03Z\"\n}", -1);
    nw_plugin_msg *p = &m.pub;
    size_t failed;
    char err[512] = "";
    cr_assert_eq(af->write(st, &p, 1, &failed, err, sizeof err), NW_PLUGIN_OK);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    char *f = path_in(FILE0);
    char *body = nw_test_read_file(f, NULL);
    cr_assert_str_eq(body, "{\"uri\":\"urn:s0\",\"versionCreated\":\"2015-12-16T00:43:03Z\"}\n");
    free(body);
    free(f);
    nw_chain_msg_deinit(&m);
    af->destroy(st);
}

/* The story-state contract (docs/story-state.md): the archive keeps every
 * version that arrived, a kill included, as a record of its own. */
Test(archive_fs, kills_and_embargoed_versions_are_archived_as_records)
{
    void *st = must_open("false");
    const char *json[3] = {
        "{\"uri\":\"urn:k\",\"version\":\"1\",\"versionCreated\":\"2015-12-16T00:43:03Z\"}",
        "{\"uri\":\"urn:k\",\"version\":\"2\",\"versionCreated\":\"2015-12-16T01:00:00Z\","
        "\"pubStatus\":\"canceled\"}",
        "{\"uri\":\"urn:e\",\"version\":\"1\",\"versionCreated\":\"2015-12-16T02:00:00Z\","
        "\"embargoedUntil\":\"2099-01-01T00:00:00Z\"}"};
    nw_chain_msg m[3];
    nw_plugin_msg *p[3];
    for (int i = 0; i < 3; i++) {
        story(&m[i], "world", 0, i, json[i], -1);
        p[i] = &m[i].pub;
    }
    size_t failed = 99;
    char err[512] = "";
    cr_assert_eq(af->write(st, p, 3, &failed, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    cr_assert_eq(af->flush(st, err, sizeof err), NW_PLUGIN_OK, "%s", err);
    char *path = path_in(FILE0);
    char *text = nw_test_read_file(path, NULL);
    cr_assert_not_null(text);
    cr_assert_eq(count_lines(FILE0), 3);
    cr_assert(strstr(text, "\"pubStatus\":\"canceled\""), "the kill is a record:\n%s", text);
    cr_assert(strstr(text, "\"embargoedUntil\""), "%s", text);
    free(text);
    free(path);
    for (int i = 0; i < 3; i++)
        nw_chain_msg_deinit(&m[i]);
    af->destroy(st);
}
