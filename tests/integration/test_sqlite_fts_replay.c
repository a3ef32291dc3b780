/*
 * test_sqlite_fts_replay — the sqlite-fts sink through the real consumer in
 * replay mode (`newswire-consumer --from-file`), and `newswire search` /
 * `show` over what it built:
 *   - replaying the same file twice, and the same stories in reverse order
 *     into a fresh index, leave the same rows and versions (idempotent,
 *     order-independent: docs/story-state.md);
 *   - the CLI finds, excludes, marks snippets, prints --json, shows a story,
 *     and reports a bad query in one line;
 *   - crash: 20,000 stories with updates (some out of order), kills (some
 *     before the story), withheld versions and embargoes; the consumer is
 *     SIGKILLed during indexing 10 times, each restart replays the file from
 *     the start (offset 0), then a full run. PRAGMA integrity_check is ok,
 *     every story is at its newest version, and the FTS index holds exactly
 *     the usable rows with their current text (nothing killed, withheld,
 *     embargoed or outdated is searchable).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw_testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = nw_test_mkdtemp("sqlite-fts-replay");
    cr_assert_not_null(tmp);
}

static void teardown(void)
{
    nw_test_rm_tmp(&tmp);
}

TestSuite(sqlite_fts_replay, .init = setup, .fini = teardown);

static char *in_tmp(const char *name)
{
    size_t n = strlen(tmp) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", tmp, name);
    return p;
}

/* A consumer config with one sqlite-fts sink on db; returns its path. */
static char *write_config(const char *name, const char *db)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "batch: {max_messages: 200, max_ms: 100ms}\n"
             "chain:\n"
             "  - plugin: sqlite-fts\n"
             "    db: %s\n",
             db);
    char *path = in_tmp(name);
    cr_assert_eq(nw_test_write_file(path, yaml, strlen(yaml)), 0);
    return path;
}

static int replay(const char *config, const char *input)
{
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *argv[] = {bin,           "--config", (char *)config, "--from-file",
                    (char *)input, "--topic",  "news.world",   NULL};
    char *err = NULL;
    int rc = nw_test_run(argv, NULL, 300, NULL, &err);
    if (rc != 0)
        cr_log_error("newswire-consumer: %s", err ? err : "");
    free(err);
    free(bin);
    return rc;
}

/* Every row as "uri version state indexed", sorted, one per line. */
static char *dump(const char *db)
{
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h,
                                    "SELECT uri || ' ' || ifnull(version, '-') || ' ' || state ||"
                                    " ' ' || indexed FROM stories ORDER BY uri",
                                    -1, &q, NULL),
                 SQLITE_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(q, 0);
        size_t n = strlen(row);
        if (len + n + 2 > cap)
            out = realloc(out, cap = (cap + n) * 2);
        memcpy(out + len, row, n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return out;
}

/* tests/fixtures/search/stories.jsonl (also read by test_pg_search): two
 * versions of urn:t:1 (the older after), urn:t:2, a kill of urn:t:3 after
 * its story, an embargo until 2099, a withheld story, a story with nothing
 * but a uri. Written in file order or reversed. */
static char *write_lines(const char *name, bool reversed)
{
    char *fixture = nw_test_fixture_path("search/stories.jsonl");
    size_t total = 0;
    char *text = nw_test_read_file(fixture, &total);
    cr_assert_not_null(text, "%s", fixture);
    free(fixture);
    char *lines[64];
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 64;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    char *buf = malloc(total + n + 1), *p = buf;
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "%s\n", lines[reversed ? n - 1 - k : k]);
    char *path = in_tmp(name);
    cr_assert_eq(nw_test_write_file(path, buf, (size_t)(p - buf)), 0);
    free(buf);
    free(text);
    return path;
}

static int search(const char *db, const char *const args[], char **out, char **err)
{
    char *bin = nw_test_bin_path("producers/newswire");
    char *argv[16] = {bin, "search", "--db", (char *)db};
    int n = 4;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int rc = nw_test_run(argv, NULL, 60, out, err);
    free(bin);
    return rc;
}

Test(sqlite_fts_replay, twice_and_reversed_leave_the_same_index, .timeout = 300)
{
    char *in = write_lines("in.jsonl", false), *rev = write_lines("rev.jsonl", true);
    char *db = in_tmp("a.db"), *db2 = in_tmp("b.db");
    char *cfg = write_config("a.yaml", db), *cfg2 = write_config("b.yaml", db2);
    cr_assert_eq(replay(cfg, in), 0);
    char *first = dump(db);
    cr_assert_eq(replay(cfg, in), 0);
    char *second = dump(db);
    cr_assert_eq(replay(cfg2, rev), 0);
    char *reversed = dump(db2);
    cr_assert_str_eq(first, second, "replaying twice changed the index");
    cr_assert_str_eq(first, reversed, "arrival order changed the end state");
    cr_assert_str_eq(first, "urn:t:1 2 usable 1\n"
                            "urn:t:2 1 usable 1\n"
                            "urn:t:3 2 canceled 0\n"
                            "urn:t:4 1 embargoed 0\n"
                            "urn:t:5 1 withheld 0\n"
                            "urn:t:6 1 usable 1\n");

    char *out = NULL, *err = NULL;
    const char *syria[] = {"syria", NULL};
    cr_assert_eq(search(db, syria, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "urn:t:1") && strstr(out, "urn:t:2"), "%s", out);
    cr_assert(!strstr(out, "urn:t:3") && !strstr(out, "urn:t:4") && !strstr(out, "urn:t:5"),
              "killed, embargoed and withheld stories are not searchable:\n%s", out);
    cr_assert(strstr(out, "[Syria]"), "snippet marks the term:\n%s", out);
    free(out);
    free(err);
    const char *excl[] = {"syria", "-russia", NULL};
    cr_assert_eq(search(db, excl, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "urn:t:1") && !strstr(out, "urn:t:2"), "%s", out);
    free(out);
    free(err);
    const char *phrase[] = {"--json", "civil war", NULL}; /* one argv: a phrase */
    cr_assert_eq(search(db, phrase, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"uri\":\"urn:t:1\"") && strstr(out, "\"version\":\"2\"") &&
                  strstr(out, "\"people\":[\"John Kerry\"]") && strstr(out, "\"score\":"),
              "%s", out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line per hit:\n%s", out);
    free(out);
    free(err);
    const char *person[] = {"--person", "kerry", "--place", "moscow", NULL};
    cr_assert_eq(search(db, person, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "urn:t:1"), "%s", out);
    free(out);
    free(err);
    const char *old[] = {"fly", NULL};
    cr_assert_eq(search(db, old, &out, &err), 1, "v1's headline is gone: %s", out);
    free(out);
    free(err);
    const char *bad[] = {"syria", "OR", NULL};
    cr_assert_eq(search(db, bad, &out, &err), 65);
    cr_assert(strstr(err, "query: OR needs something after it") && !strstr(err, "SQL"), "%s", err);
    free(out);
    free(err);

    char *bin = nw_test_bin_path("producers/newswire");
    char *show[] = {bin, "show", "--db", db, "urn:t:3", NULL};
    cr_assert_eq(nw_test_run(show, NULL, 60, &out, &err), 0);
    cr_assert(strstr(out, "\"pubStatus\":\"canceled\"") && !strstr(out, "ceasefire"),
              "the kill record, content stripped: %s", out);
    cr_assert(strstr(err, "canceled"), "%s", err);
    free(out);
    free(err);
    free(bin);

    free(first);
    free(second);
    free(reversed);
    free(in);
    free(rev);
    free(db);
    free(db2);
    free(cfg);
    free(cfg2);
}

/* ------------------------------------------------------------------ crash */

#define CRASH_STORIES 20000
#define KILLS         10

/* What happens to story i (deterministic). */
static bool has_v2(int i)
{
    return i % 3 == 0;
}
static bool killed(int i)
{
    return i % 10 == 1;
}
static bool withheld_v2(int i)
{
    return i % 30 == 6;
} /* v2 withheld (has_v2) */
static bool embargo_future(int i)
{
    return i % 20 == 7;
}
static bool embargo_past(int i)
{
    return i % 20 == 8;
}

static void story_line(FILE *f, int i, int v, const char *status)
{
    fprintf(f,
            "{\"uri\":\"urn:crash:%05d\",\"version\":\"%d\",\"versionCreated\":"
            "\"2026-01-01T%02d:%02d:00Z\",\"pubStatus\":\"%s\"",
            i, v, v, i % 60, status);
    if (!strcmp(status, "canceled")) {
        fputs("}\n", f);
        return;
    }
    if (embargo_future(i))
        fputs(",\"embargoedUntil\":\"2099-01-01T00:00:00Z\"", f);
    if (embargo_past(i))
        fputs(",\"embargoedUntil\":\"2020-01-01T00:00:00Z\"", f);
    fprintf(f,
            ",\"headlines\":[{\"value\":\"Crash story %d marker\"}],\"bodies\":[{\"contentType\":"
            "\"text/plain\",\"value\":\"%s text of story %d, with some words to index: harbour "
            "bridge council budget grain prices chess final river survey.\"}]}\n",
            i, v == 1 ? "firstdraft" : "seconddraft", i);
}

static char *write_crash_input(void)
{
    char *path = in_tmp("crash.jsonl");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < CRASH_STORIES; i++) {
        bool v2_first = has_v2(i) && i % 2 == 0;
        bool kill_first = killed(i) && i % 4 == 1;
        if (kill_first)
            story_line(f, i, 3, "canceled");
        if (v2_first)
            story_line(f, i, 2, withheld_v2(i) ? "withheld" : "usable");
        story_line(f, i, 1, "usable");
        if (has_v2(i) && !v2_first)
            story_line(f, i, 2, withheld_v2(i) ? "withheld" : "usable");
        if (killed(i) && !kill_first)
            story_line(f, i, 3, "canceled");
    }
    fclose(f);
    return path;
}

static pid_t spawn_replay(const char *config, const char *input)
{
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    char *log = in_tmp("consumer.log");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        freopen(log, "a", stdout);
        freopen(log, "a", stderr);
        execl(bin, bin, "--config", config, "--from-file", input, "--topic", "news.world",
              (char *)NULL);
        _exit(127);
    }
    free(bin);
    free(log);
    return pid;
}

static long count(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    long n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* Stories in the index now; -1 while it cannot be read (not made yet). */
static long indexed_rows(const char *db)
{
    sqlite3 *h;
    long rows = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM stories", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            rows = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    return rows;
}

/* Poll the index every 2 ms until it holds more stories than `before` and
 * not all of them, or the run ends (false). A kill then lands while the
 * index is being built, however slow or busy the machine is; a kill at a
 * random time may always land before the first commit or after the last. */
static bool wait_until_indexing(const char *db, pid_t pid, long before)
{
    int status;
    for (;;) {
        long rows = indexed_rows(db);
        if (rows > before && rows < CRASH_STORIES)
            return true;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a run failed");
            return false;
        }
        nw_test_sleep_ms(2);
    }
}

Test(sqlite_fts_replay, sigkill_during_indexing_then_replay, .timeout = 900)
{
    char *in = write_crash_input();
    char *db = in_tmp("crash.db");
    char *cfg = write_config("crash.yaml", db);
    unsigned seed = (unsigned)time(NULL);
    if (getenv("NW_CRASH_SEED"))
        seed = (unsigned)atoi(getenv("NW_CRASH_SEED"));
    cr_log_info("seed %u (NW_CRASH_SEED=%u replays it)", seed, seed);
    srand(seed);
    int kills = 0, mid_indexing = 0;
    for (int round = 0; round < 50 && kills < KILLS; round++) {
        long before = indexed_rows(db);
        pid_t pid = spawn_replay(cfg, in);
        int status;
        if (round % 2) { /* every other kill while a batch is being indexed */
            if (!wait_until_indexing(db, pid, before < 0 ? 0 : before))
                continue; /* it finished first: try again */
        } else {          /* the others at any time, start-up included */
            struct timespec ts = {0, (200 + rand() % 1800) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a run failed");
            continue; /* it finished before the kill: try again */
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        kills++;
        long rows = indexed_rows(db);
        mid_indexing += rows > 0 && rows < CRASH_STORIES;
    }
    cr_log_info("%d kills, %d of them while the index was being built", kills, mid_indexing);
    cr_assert_eq(kills, KILLS, "the consumer always finished before the kill");
    cr_assert_gt(mid_indexing, 0, "no kill landed while the index was being built");
    cr_assert_eq(replay(cfg, in), 0, "the final run");

    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);

    cr_assert_eq(count(h, "SELECT count(*) FROM stories"), CRASH_STORIES);
    /* every row at its expected version and state */
    cr_assert_eq(
        sqlite3_prepare_v2(h, "SELECT uri, version, state, indexed FROM stories", -1, &q, NULL),
        SQLITE_OK);
    long usable = 0, first_drafts = 0, second_drafts = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int i = atoi((const char *)sqlite3_column_text(q, 0) + strlen("urn:crash:"));
        int v = atoi((const char *)sqlite3_column_text(q, 1));
        const char *state = (const char *)sqlite3_column_text(q, 2);
        int want_v = killed(i) ? 3 : has_v2(i) ? 2 : 1;
        const char *want_state = killed(i)                     ? "canceled"
                                 : has_v2(i) && withheld_v2(i) ? "withheld"
                                 : embargo_future(i)           ? "embargoed"
                                                               : "usable";
        cr_assert_eq(v, want_v, "story %d at version %d, want %d", i, v, want_v);
        cr_assert_str_eq(state, want_state, "story %d", i);
        cr_assert_eq(sqlite3_column_int(q, 3), !strcmp(want_state, "usable"), "story %d", i);
        if (!strcmp(want_state, "usable")) {
            usable++;
            if (want_v == 1)
                first_drafts++;
            else
                second_drafts++;
        }
    }
    sqlite3_finalize(q);
    /* the FTS index holds exactly the usable rows, with their current text */
    cr_assert_eq(count(h, "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'marker'"),
                 usable);
    cr_assert_eq(count(h, "SELECT count(*) FROM stories_fts JOIN stories s ON s.id ="
                          " stories_fts.rowid WHERE stories_fts MATCH 'marker' AND s.indexed = 1"),
                 usable);
    cr_assert_eq(count(h, "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'firstdraft'"),
                 first_drafts, "no outdated text is searchable");
    cr_assert_eq(count(h, "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'seconddraft'"),
                 second_drafts);
    sqlite3_close(h);
    free(in);
    free(db);
    free(cfg);
}
