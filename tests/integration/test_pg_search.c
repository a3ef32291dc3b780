/*
 * test_pg_search — `newswire search --postgres` and `newswire show
 * --postgres` over a table the postgres sink built (newswire-consumer in
 * replay mode) on a real server started by nw_testpg; the same stories and
 * questions as test_sqlite_fts_replay's CLI part, plus what PostgreSQL adds:
 *   - found, excluded, phrase, entity filters, --json, the snippet marked;
 *     killed, withheld and not-yet-released embargoed stories never found,
 *     an embargo already due found; an old version's words gone;
 *   - the headline weighs more than the body; --category, --lang, --since;
 *     each story matched with its language's stemming (French plural);
 *   - a bad query is one line (exit 65), no SQL; an unreachable server is
 *     exit 69 naming the host and not the password; no table is exit 66;
 *   - show prints the kill record with its content stripped.
 * Skipped when the PostgreSQL binaries are absent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_testpg.h"
#include "nw_testutil.h"

static nw_test_pg pg;
static char *tmp;

static void setup(void)
{
    nw_test_pg_start_or_skip(&pg);
    tmp = nw_test_mkdtemp("pg-search");
}

static void teardown(void)
{
    nw_test_pg_destroy(&pg);
    if (tmp)
        nw_test_rm_rf(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(pg_search, .init = setup, .fini = teardown, .timeout = 300);

/* After tests/fixtures/search/stories.jsonl (the SQLite search test's stories). */
static const char *const lines[] = {
    /* released already: found */
    "{\"uri\":\"urn:t:7\",\"version\":\"1\",\"embargoedUntil\":\"2020-01-01T00:00:00Z\","
    "\"versionCreated\":\"2019-12-31T00:00:00Z\","
    "\"headlines\":[{\"value\":\"Syria report released\"}]}",
    /* the headline weighs more than the body */
    "{\"uri\":\"urn:g:body\",\"version\":\"1\",\"language\":\"en\",\"headlines\":[{\"value\":"
    "\"Markets\"}],\"bodies\":[{\"contentType\":\"text/plain\",\"value\":\"Grain prices rose as "
    "grain ships docked\"}]}",
    "{\"uri\":\"urn:g:head\",\"version\":\"1\",\"language\":\"en\",\"headlines\":[{\"value\":"
    "\"Grain prices fall\"}],\"bodies\":[{\"contentType\":\"text/plain\",\"value\":\"Markets were "
    "calm\"}]}",
    /* French stemming: the plural found by the singular */
    "{\"uri\":\"urn:fr:1\",\"version\":\"1\",\"language\":\"fr\",\"headlines\":[{\"value\":"
    "\"Les pêcheurs bloquent le port de Calais\"}]}",
};

/* Build the table: newswire-consumer --from-file with the postgres sink. */
static void fill(void)
{
    char in[1024], cfg[1024], yaml[1024];
    snprintf(in, sizeof in, "%s/in.jsonl", tmp);
    snprintf(cfg, sizeof cfg, "%s/pg.yaml", tmp);
    char *fixture = nw_test_fixture_path("search/stories.jsonl");
    size_t len = 0, cap = 1 << 14;
    char *shared = nw_test_read_file(fixture, &len);
    cr_assert(shared && len < cap / 2, "%s", fixture);
    free(fixture);
    char *buf = malloc(cap);
    memcpy(buf, shared, len);
    free(shared);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\n", lines[i]);
    cr_assert_eq(nw_test_write_file(in, buf, len), 0);
    free(buf);
    snprintf(yaml, sizeof yaml,
             "chain:\n"
             "  - plugin: postgres\n"
             "    conninfo: \"%s\"\n",
             pg.conninfo);
    cr_assert_eq(nw_test_write_file(cfg, yaml, strlen(yaml)), 0);
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin, "--config", cfg, "--from-file", in, "--topic", "news.world", NULL};
    char *err = NULL;
    cr_assert_eq(nw_test_run(argv, NULL, 120, NULL, &err), 0, "%s", err ? err : "");
    free(err);
    free(bin);
}

/* `newswire <cmd> --postgres <conninfo> args...` */
static int run_cli(const char *cmd, const char *conninfo, const char *const args[], char **out,
                   char **err)
{
    char *bin = nw_test_bin_path("producers/newswire");
    char *argv[24] = {bin, (char *)cmd, "--postgres", (char *)conninfo};
    int n = 4;
    for (int i = 0; args[i] && n < 23; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int rc = nw_test_run(argv, NULL, 60, out, err);
    free(bin);
    return rc;
}

static int search(const char *const args[], char **out, char **err)
{
    return run_cli("search", pg.conninfo, args, out, err);
}

/* The uris of --json hits, in order, space-separated. */
static char *hit_uris(const char *const args[])
{
    const char *with_json[20] = {"--json"};
    int n = 1;
    for (int i = 0; args[i] && n < 19; i++)
        with_json[n++] = args[i];
    with_json[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = search(with_json, &out, &err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, err);
    char *uris = calloc(1, strlen(out) + 1);
    for (const char *p = out; (p = strstr(p, "\"uri\":\"")); p += 7) {
        const char *end = strchr(p + 7, '"');
        if (*uris)
            strcat(uris, " ");
        strncat(uris, p + 7, (size_t)(end - p - 7));
    }
    free(out);
    free(err);
    return uris;
}

static void expect_hits(const char *const args[], const char *want)
{
    char *got = hit_uris(args);
    cr_assert_str_eq(got, want, "search %s %s: got '%s'", args[0], args[1] ? args[1] : "", got);
    free(got);
}

Test(pg_search, same_questions_as_the_sqlite_index)
{
    fill();
    char *out = NULL, *err = NULL;
    const char *syria[] = {"syria", NULL};
    cr_assert_eq(search(syria, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "urn:t:1") && strstr(out, "urn:t:2") && strstr(out, "urn:t:7"), "%s",
              out);
    cr_assert(!strstr(out, "urn:t:3") && !strstr(out, "urn:t:4") && !strstr(out, "urn:t:5"),
              "killed, embargoed and withheld stories are not searchable:\n%s", out);
    cr_assert(strstr(out, "[Syria]"), "snippet marks the term:\n%s", out);
    cr_assert(strstr(out, "2026-03-02T10:00:00Z"), "versionCreated in UTC:\n%s", out);
    cr_assert(strstr(err, "3 hits"), "%s", err);
    free(out);
    free(err);

    const char *excl[] = {"syria", "-russia", NULL};
    expect_hits(excl, "urn:t:7 urn:t:1");
    const char *phrase[] = {"--json", "civil war", NULL}; /* one argv: a phrase */
    cr_assert_eq(search(phrase, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"uri\":\"urn:t:1\"") && strstr(out, "\"version\":\"2\"") &&
                  strstr(out, "\"people\":[\"John Kerry\"]") && strstr(out, "\"score\":") &&
                  strstr(out, "\"category\":\"world\""),
              "%s", out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line per hit:\n%s", out);
    free(out);
    free(err);
    const char *reversed[] = {"war civil", NULL};
    expect_hits(reversed, "");
    const char *person[] = {"--person", "kerry", "--place", "moscow", NULL};
    expect_hits(person, "urn:t:1");
    const char *nobody[] = {"--person", "lavrov", NULL};
    expect_hits(nobody, "");
    const char *either[] = {"kerry", "OR", "russia", NULL};
    char *both = hit_uris(either);
    cr_assert(strstr(both, "urn:t:1") && strstr(both, "urn:t:2"), "%s", both);
    free(both);
    const char *old[] = {"fly", NULL};
    cr_assert_eq(search(old, &out, &err), 1, "v1's headline is gone: %s", out);
    free(out);
    free(err);

    /* ranking, filters, languages */
    const char *grain[] = {"grain", NULL};
    expect_hits(grain, "urn:g:head urn:g:body");
    const char *sport[] = {"--category", "sport", "grain", NULL};
    expect_hits(sport, "");
    const char *world[] = {"--category", "world", "--lang", "en", "grain", NULL};
    expect_hits(world, "urn:g:head urn:g:body");
    const char *german[] = {"--lang", "de", "grain", NULL};
    expect_hits(german, "");
    const char *since[] = {"--since", "2026-03-02T09:45:00Z", "syria", NULL};
    expect_hits(since, "urn:t:1");
    const char *until[] = {"--until", "2026-03-02T09:45:00Z", "syria", NULL};
    expect_hits(until, "urn:t:2 urn:t:7"); /* twice in urn:t:2: ranked first */
    const char *french[] = {"pêcheur", NULL};
    expect_hits(french, "urn:fr:1");
    const char *newest[] = {"--lang", "fr", NULL}; /* filters alone: newest first */
    expect_hits(newest, "urn:fr:1");
    const char *limit[] = {"--limit", "1", "syria", NULL};
    char *one = hit_uris(limit);
    cr_assert_eq(strchr(one, ' '), NULL, "%s", one);
    free(one);

    /* bad queries: one line, exit 65, no SQL */
    const char *bad[][4] = {{"syria", "OR", NULL},
                            {"-russia", NULL},
                            {"\"civil war", NULL},
                            {"(kerry", "OR", "russia)", NULL},
                            {"kerr*", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(search(bad[i], &out, &err), 65, "%s: %s", bad[i][0], err);
        cr_assert(!strncmp(err, "newswire search: query: ", 24) &&
                      strchr(err, '\n') == err + strlen(err) - 1 && !strstr(err, "SELECT"),
                  "%s", err);
        free(out);
        free(err);
    }

    /* show: the kill record, content stripped; an embargo not due yet */
    const char *kill[] = {"urn:t:3", NULL};
    cr_assert_eq(run_cli("show", pg.conninfo, kill, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"canceled\"") && !strstr(out, "ceasefire"),
              "the kill record, content stripped: %s", out);
    cr_assert(strstr(err, "canceled"), "%s", err);
    free(out);
    free(err);
    const char *held[] = {"urn:t:4", NULL};
    cr_assert_eq(run_cli("show", pg.conninfo, held, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "under embargo") && strstr(err, "embargoed"), "%s", err);
    free(out);
    free(err);
    const char *released[] = {"urn:t:7", NULL};
    cr_assert_eq(run_cli("show", pg.conninfo, released, &out, &err), 0, "%s", err);
    cr_assert_str_eq(err, "", "a released embargo is usable");
    free(out);
    free(err);
    const char *none[] = {"urn:t:404", NULL};
    cr_assert_eq(run_cli("show", pg.conninfo, none, &out, &err), 1);
    free(out);
    free(err);
}

Test(pg_search, unreachable_server_and_missing_table)
{
    char *out = NULL, *err = NULL;
    const char *q[] = {"syria", NULL};
    /* nothing listens on port 1 */
    const char *gone = "host=127.0.0.1 port=1 dbname=news user=newswire password=s3cret-pw "
                       "connect_timeout=2";
    cr_assert_eq(run_cli("search", gone, q, &out, &err), 69, "%s", err);
    cr_assert(strstr(err, "127.0.0.1") && !strstr(err, "s3cret-pw"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    free(out);
    free(err);
    const char *notable[] = {"--table", "nope", "syria", NULL};
    cr_assert_eq(search(notable, &out, &err), 66, "%s", err);
    cr_assert(strstr(err, "no newswire story table nope"), "%s", err);
    free(out);
    free(err);
    const char *badname[] = {"--table", "Bad-Name", "syria", NULL};
    cr_assert_eq(search(badname, &out, &err), 66, "%s", err);
    free(out);
    free(err);
    /* --db and --postgres together: usage */
    const char *both[] = {"--db", "x.db", "syria", NULL};
    cr_assert_eq(search(both, &out, &err), 64, "%s", err);
    free(out);
    free(err);
}
