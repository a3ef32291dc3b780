/*
 * test_cli_train_topics — the built `newswire train-topics` end to end: a
 * directory of tagged ninjs (JSON lines and a JSON array) becomes a model the
 * enrich plugin loads through its `topic_model` setting and decides with;
 * bad input is named with its line; exit codes 0 / 64 / 65 / 66; a failed
 * run leaves an existing model alone.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enrich.h"
#include "nw_testplugin.h"
#include "nw_testutil.h"

typedef nw_test_cli run;

static run train_cmd(const char *first, ...)
{
    char *data = nw_test_bin_path("share/newswire/enrich");
    const char *const lead[] = {"train-topics", "--data-dir", data, NULL};
    va_list ap;
    va_start(ap, first);
    run r = nw_test_newswire(NULL, 60, lead, first, ap);
    va_end(ap);
    free(data);
    return r;
}

static void run_free(run *r)
{
    nw_test_cli_free(r);
}

/* One tagged story as a JSON line: weather words or sport words. */
static int tagged_line(char *out, size_t n, int i)
{
    return snprintf(out, n,
                    "{\"uri\":\"urn:t:%d\",\"headlines\":[{\"value\":\"Story %d\"}],"
                    "\"bodies\":[{\"contentType\":\"text/plain\",\"value\":\"%s\"}],"
                    "\"subjects\":[{\"uri\":\"http://cv.iptc.org/newscodes/mediatopic/%s\"}]}\n",
                    i, i,
                    i % 2 ? "Drizzle and fog, with gusts as the isobars tighten overnight."
                          : "The striker scored twice and the goalkeeper saved a penalty.",
                    i % 2 ? "17000000" : "15000000");
}

static char *make_archive(void)
{
    char *dir = nw_test_mkdtemp("train-topics");
    char path[4096], buf[16384];
    snprintf(path, sizeof path, "%s/sport", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/sport/2026", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    /* archive-fs style JSON lines, in a subdirectory */
    size_t len = 0;
    for (int i = 0; i < 20; i++)
        len += (size_t)tagged_line(buf + len, sizeof buf - len, i);
    snprintf(path, sizeof path, "%s/sport/2026/news.sport-0-00000000000000000000.jsonl", dir);
    cr_assert_eq(nw_test_write_file(path, buf, len), 0);
    /* a JSON array file, and a story without Media Topics */
    len = 0;
    buf[len++] = '[';
    for (int i = 20; i < 30; i++) {
        len += (size_t)tagged_line(buf + len, sizeof buf - len, i);
        buf[len++] = ',';
    }
    len += (size_t)snprintf(buf + len, sizeof buf - len, "{\"uri\":\"urn:t:untagged\"}]");
    snprintf(path, sizeof path, "%s/more.json", dir);
    cr_assert_eq(nw_test_write_file(path, buf, len), 0);
    /* not a JSON file: skipped inside a directory */
    snprintf(path, sizeof path, "%s/README.txt", dir);
    cr_assert_eq(nw_test_write_file(path, "notes\n", 6), 0);
    return dir;
}

static int no_change(void *ref)
{
    (void)ref;
    return 0;
}

static int no_header(void *ref, const char *name, const void *value, size_t len)
{
    (void)ref, (void)name, (void)value, (void)len;
    return 0;
}

/* The subjects the enrich plugin gives `body` with the model. */
static char *subjects_with(const char *model, const char *body)
{
    static nw_plugin_api api = {
        .struct_size = sizeof(nw_plugin_api), .doc_changed = no_change, .add_header = no_header};
    char err[512];
    char *data = nw_test_bin_path("share/newswire/enrich");
    void *st = nw_test_plugin_open(&nw_plugin_enrich, &api, err, sizeof err, "data_dir", data,
                                   "topic_model", model, "extractors", "subjects", NULL);
    free(data);
    cr_assert_not_null(st, "%s", err);
    json_t *doc = json_pack("{ss ss s[{ss ss}]}", "uri", "u", "type", "text", "bodies",
                            "contentType", "text/plain", "value", body);
    nw_plugin_msg msg = {.struct_size = sizeof msg, .doc = doc, .uri = "u"};
    nw_plugin_enrich.process(st, &msg, err, sizeof err);
    char *out = json_dumps(json_object_get(doc, "subjects"), JSON_COMPACT);
    json_decref(doc);
    nw_plugin_enrich.destroy(st);
    nw_test_plugin_free_all();
    return out ? out : strdup("null");
}

Test(train_topics, archive_to_model_the_plugin_uses)
{
    char *dir = make_archive();
    char model[4096];
    snprintf(model, sizeof model, "%s/model.tsv", dir);
    run r = train_cmd("-o", model, dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "2 files, 31 stories, 30 with a Media Topic, 1 without"), "%s", r.err);
    run_free(&r);
    char *subjects = subjects_with(model, "Fog and drizzle tonight; gusts later.");
    cr_expect(strstr(subjects, "mediatopic/17000000"), "%s", subjects);
    free(subjects);
    subjects = subjects_with(model, "The goalkeeper saved a penalty from the striker.");
    cr_expect(strstr(subjects, "mediatopic/15000000"), "%s", subjects);
    free(subjects);
    nw_test_rm_rf(dir);
    free(dir);
}

Test(train_topics, bad_input_is_named_and_the_old_model_stays)
{
    char *dir = make_archive();
    char model[4096], bad[4096], buf[2048];
    snprintf(model, sizeof model, "%s/model.tsv", dir);
    cr_assert_eq(nw_test_write_file(model, "previous\n", 9), 0);
    int len = tagged_line(buf, sizeof buf, 1);
    len += snprintf(buf + len, sizeof buf - (size_t)len, "{\"uri\": oops\n");
    snprintf(bad, sizeof bad, "%s/bad.jsonl", dir);
    cr_assert_eq(nw_test_write_file(bad, buf, (size_t)len), 0);
    run r = train_cmd("-o", model, dir, NULL);
    cr_expect_eq(r.status, 65);
    cr_expect(strstr(r.err, "bad.jsonl:2: not JSON"), "%s", r.err);
    run_free(&r);
    size_t n;
    char *kept = nw_test_read_file(model, &n);
    cr_expect_str_eq(kept, "previous\n");
    free(kept);

    /* only untagged stories: nothing to learn */
    snprintf(bad, sizeof bad, "%s/untagged.json", dir);
    cr_assert_eq(nw_test_write_file(bad, "{\"uri\":\"x\"}", 11), 0);
    r = train_cmd("-o", model, bad, NULL);
    cr_expect_eq(r.status, 65);
    cr_expect(strstr(r.err, "no story has a known Media Topic"), "%s", r.err);
    run_free(&r);

    r = train_cmd("-o", model, "/nonexistent-archive", NULL);
    cr_expect_eq(r.status, 66);
    cr_expect(strstr(r.err, "/nonexistent-archive"), "%s", r.err);
    run_free(&r);

    r = train_cmd(dir, NULL); /* no -o */
    cr_expect_eq(r.status, 64);
    cr_expect(strstr(r.err, "usage: newswire train-topics"), "%s", r.err);
    run_free(&r);
    nw_test_rm_rf(dir);
    free(dir);
}
