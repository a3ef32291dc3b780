/*
 * bench_sqlite_fts — the sqlite-fts index: indexing rate of nw_fts_store
 * (decoded stories in, the story-state contract applied, one durable
 * transaction per batch of 500) against the raw FTS5 insert rate of the same
 * stories into the same schema (prepared INSERTs of pre-extracted columns,
 * same pragmas: WAL, synchronous=FULL, same batches), alternating, in the
 * same run; then search latency (two-word queries, top 20 by bm25) at
 * 100,000 stories, and at 1,000,000 when asked.
 *
 * Stories are synthetic, about 2 KB: a headline of 8 and a body of ~170
 * words drawn from a 20,000-word vocabulary with a Zipf-like law, 2 people
 * and 1 place. Queries pair two words of middling frequency (ranks 100 to
 * 2,000). The database lives in $TMPDIR (default /tmp).
 *
 * NW_BENCH_FTS_KEEP=DIR keeps the search indexes in DIR and reuses them.
 * Usage: bench_sqlite_fts [rounds (5)] [stories per round (20000)]
 *                         [search sizes, e.g. 100000,1000000 (100000)]
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw_fts_search.h"
#include "nw_fts_store.h"

#define BATCH 500
#define VOCAB 20000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU time: on a shared machine the wall-clock latency swings
 * with the load, the CPU a query costs much less. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *vocab[VOCAB];
static double cdf[VOCAB];

static void make_vocab(void)
{
    static const char *syl[] = {"ka", "lo",  "mi",  "ne",  "tra", "vo",  "shi", "ber", "gan", "dor",
                                "el", "ist", "qua", "run", "sen", "tol", "um",  "wex", "yor", "zi"};
    double total = 0;
    for (int i = 0; i < VOCAB; i++) {
        char w[32] = "";
        int n = 2 + (int)(next() % 3);
        for (int k = 0; k < n; k++)
            strcat(w, syl[next() % 20]);
        char suffix[12];
        snprintf(suffix, sizeof suffix, "%c%c", 'a' + i % 26, 'a' + (i / 26) % 26);
        strcat(w, suffix); /* distinct words */
        vocab[i] = strdup(w);
        total += 1.0 / pow(i + 1, 1.05);
        cdf[i] = total;
    }
    for (int i = 0; i < VOCAB; i++)
        cdf[i] /= total;
}

static const char *word(void)
{
    double u = (double)(next() % 1000000007) / 1000000007.0;
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return vocab[lo];
}

static char *words(int n)
{
    size_t cap = (size_t)n * 24 + 1, len = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " " : "", word());
    return s;
}

/* One story: decoded, its text, and the columns the raw baseline inserts. */
typedef struct story {
    json_t *json;
    char *raw;
    char *uri, *headline, *body, *people, *places;
} story;

static void make_story(story *st, long n, int version)
{
    char uri[64];
    snprintf(uri, sizeof uri, "urn:newswire:bench:%ld", n);
    st->uri = strdup(uri);
    st->headline = words(8);
    st->body = words(170);
    st->people = malloc(64);
    snprintf(st->people, 64, "%s %s\n%s %s", vocab[next() % 500], vocab[next() % 500],
             vocab[next() % 500], vocab[next() % 500]);
    st->places = strdup(vocab[next() % 300]);
    char v[16], created[32];
    snprintf(v, sizeof v, "%d", version);
    snprintf(created, sizeof created, "2026-01-%02ldT%02ld:%02ld:00Z", 1 + n % 28, n / 60 % 24,
             n % 60);
    char *p2 = strchr(st->people, '\n');
    st->json =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:[{s:s,s:s}],s:[{s:s#},{s:s}],s:[{s:s}],"
                  "s:[{s:s,s:s,s:s}]}",
                  "uri", uri, "type", "text", "version", v, "versionCreated", created, "pubStatus",
                  "usable", "language", "en", "headlines", "role", "main", "value", st->headline,
                  "bodies", "contentType", "text/plain", "value", st->body, "people", "name",
                  st->people, (int)(p2 - st->people), "name", p2 + 1, "places", "name", st->places,
                  "subjects", "rel", "category", "literal", "world", "name", "World");
    st->raw = json_dumps(st->json, JSON_COMPACT);
}

static void free_story(story *st)
{
    json_decref(st->json);
    free(st->raw);
    free(st->uri);
    free(st->headline);
    free(st->body);
    free(st->people);
    free(st->places);
}

static void db_path(char *out, size_t n, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/bench_sqlite_fts_%s_%d.db", tmp && *tmp ? tmp : "/tmp", tag,
             (int)getpid());
}

static void remove_db(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void check(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        fprintf(stderr, "bench_sqlite_fts: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

/* headline, body, people, places as parameters 2..5 (both statements). */
static void bind_texts(sqlite3_stmt *q, const story *st)
{
    const char *t[4] = {st->headline, st->body, st->people, st->places};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_text(q, 2 + i, t[i], -1, SQLITE_STATIC);
}

/* The raw baseline: stories/s. */
static double raw_rate(const story *s, long n)
{
    char path[512];
    db_path(path, sizeof path, "raw");
    remove_db(path);
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL),
          db, "pragmas");
    check(sqlite3_exec(db, nw_fts_schema_sql, NULL, NULL, NULL), db, "schema");
    sqlite3_stmt *ins, *fts;
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO stories(uri, version, version_num, version_created,"
                             " version_created_ms, pub_status, state, category, language,"
                             " headline, body, people, places, ninjs, indexed)"
                             " VALUES(?1,'1',1,'2026-01-01T00:00:00Z',0,'usable','usable',"
                             "'world','en',?2,?3,?4,?5,?6,1)",
                             -1, &ins, NULL),
          db, "prepare");
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO stories_fts(rowid, headline, body, people, places)"
                             " VALUES(?1,?2,?3,?4,?5)",
                             -1, &fts, NULL),
          db, "prepare");
    double t0 = now_s();
    for (long i = 0; i < n; i += BATCH) {
        check(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), db, "begin");
        for (long k = i; k < i + BATCH && k < n; k++) {
            sqlite3_bind_text(ins, 1, s[k].uri, -1, SQLITE_STATIC);
            bind_texts(ins, &s[k]);
            sqlite3_bind_text(ins, 6, s[k].raw, -1, SQLITE_STATIC);
            check(sqlite3_step(ins), db, "insert");
            sqlite3_reset(ins);
            sqlite3_bind_int64(fts, 1, sqlite3_last_insert_rowid(db));
            bind_texts(fts, &s[k]);
            check(sqlite3_step(fts), db, "fts insert");
            sqlite3_reset(fts);
        }
        check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
    }
    double dt = now_s() - t0;
    sqlite3_finalize(ins);
    sqlite3_finalize(fts);
    sqlite3_close(db);
    remove_db(path);
    return (double)n / dt;
}

/* Index s[0..n) through nw_fts_store into path. Returns stories/s. */
static double store_into(const char *path, const story *s, long n)
{
    nw_fts_store *st = NULL;
    nw_err err = {0};
    if (nw_fts_store_open(path, &st, &err) < 0) {
        fprintf(stderr, "bench_sqlite_fts: %s\n", err.msg);
        exit(1);
    }
    nw_fts_story in[BATCH];
    double t0 = now_s();
    for (long i = 0; i < n; i += BATCH) {
        long m = 0;
        for (long k = i; k < i + BATCH && k < n; k++, m++)
            in[m] = (nw_fts_story){s[k].json, s[k].raw, strlen(s[k].raw), "world"};
        if (nw_fts_store_write(st, in, (size_t)m, 0, NULL, &err) < 0) {
            fprintf(stderr, "bench_sqlite_fts: %s\n", err.msg);
            exit(1);
        }
    }
    double dt = now_s() - t0;
    nw_fts_store_close(st);
    return (double)n / dt;
}

static double store_rate(const story *s, long n)
{
    char path[512];
    db_path(path, sizeof path, "store");
    remove_db(path);
    double r = store_into(path, s, n);
    remove_db(path);
    return r;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void count_hit(const nw_fts_hit *h, void *ctx)
{
    (void)h;
    ++*(int *)ctx;
}

static void search_at(long size)
{
    char path[512];
    db_path(path, sizeof path, "search");
    /* NW_BENCH_FTS_KEEP=DIR keeps the index of each size in DIR and reuses it */
    const char *keep = getenv("NW_BENCH_FTS_KEEP");
    if (keep)
        snprintf(path, sizeof path, "%s/bench_sqlite_fts_%ld.db", keep, size);
    bool reuse = keep && access(path, F_OK) == 0;
    if (!reuse)
        remove_db(path);
    printf("search at %ld stories: %s the index...\n", size, reuse ? "reusing" : "building");
    fflush(stdout);
    const long chunk = 20000;
    story *s = calloc((size_t)chunk, sizeof *s);
    double build = 0;
    for (long done = 0; done < size && !reuse; done += chunk) {
        long m = size - done < chunk ? size - done : chunk;
        for (long k = 0; k < m; k++)
            make_story(&s[k], done + k, 1);
        build += (double)m / store_into(path, s, m);
        for (long k = 0; k < m; k++)
            free_story(&s[k]);
    }
    free(s);
    if (!reuse)
        printf("  built in %.1f s (%.0f stories/s)\n", build, (double)size / build);
    nw_fts_reader *r = NULL;
    nw_err err = {0};
    if (nw_fts_reader_open(path, &r, &err) < 0) {
        fprintf(stderr, "bench_sqlite_fts: %s\n", err.msg);
        exit(1);
    }
    enum { Q = 500 };
    double lat[Q], cpu[Q];
    long total_hits = 0;
    for (int i = 0; i < Q; i++) {
        char text[128];
        snprintf(text, sizeof text, "%s %s", vocab[100 + next() % 1900],
                 vocab[100 + next() % 1900]);
        nw_fts_query q = {
            .text = text, .since_ms = NW_FTS_NO_TIME, .until_ms = NW_FTS_NO_TIME, .limit = 20};
        int n = 0;
        double t0 = now_s(), c0 = cpu_s();
        if (nw_fts_search(r, &q, count_hit, &n, &err) < 0) {
            fprintf(stderr, "bench_sqlite_fts: %s\n", err.msg);
            exit(1);
        }
        lat[i] = (now_s() - t0) * 1000;
        cpu[i] = (cpu_s() - c0) * 1000;
        total_hits += n;
    }
    nw_fts_reader_close(r);
    qsort(lat, Q, sizeof lat[0], cmp_d);
    qsort(cpu, Q, sizeof cpu[0], cmp_d);
    printf("  %d two-word queries, top 20 by bm25: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max "
           "%.2f ms (%.1f hits per query)\n",
           Q, lat[Q / 2], lat[Q * 95 / 100], lat[Q * 99 / 100], lat[Q - 1], (double)total_hits / Q);
    printf("  CPU time per query: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n", cpu[Q / 2],
           cpu[Q * 95 / 100], cpu[Q * 99 / 100], cpu[Q - 1]);
    if (!keep)
        remove_db(path);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    long n = argc > 2 ? atol(argv[2]) : 20000;
    const char *sizes = argc > 3 ? argv[3] : "100000";
    if (rounds < 1 || n < 1) {
        fprintf(stderr, "usage: bench_sqlite_fts [rounds] [stories] [sizes,...]\n");
        return 64;
    }
    make_vocab();
    story *s = calloc((size_t)n, sizeof *s);
    size_t bytes = 0;
    for (long i = 0; i < n; i++) {
        make_story(&s[i], i, 1);
        bytes += strlen(s[i].raw);
    }
    printf("indexing %ld stories (%.1f KB of ninjs each), batches of %d, WAL, synchronous=FULL, "
           "%d rounds alternating\n",
           n, (double)bytes / (double)n / 1024, BATCH, rounds);
    double *raw = calloc((size_t)rounds, sizeof *raw), *st = calloc((size_t)rounds, sizeof *st);
    for (int r = 0; r < rounds; r++) {
        if (r % 2) {
            st[r] = store_rate(s, n);
            raw[r] = raw_rate(s, n);
        } else {
            raw[r] = raw_rate(s, n);
            st[r] = store_rate(s, n);
        }
        printf("  round %d: raw %.0f stories/s, nw_fts_store %.0f stories/s\n", r + 1, raw[r],
               st[r]);
        fflush(stdout);
    }
    qsort(raw, (size_t)rounds, sizeof *raw, cmp_d);
    qsort(st, (size_t)rounds, sizeof *st, cmp_d);
    double mr = raw[rounds / 2], ms = st[rounds / 2];
    printf("raw FTS5 inserts: median %.0f stories/s (spread %.0f-%.0f)\n", mr, raw[0],
           raw[rounds - 1]);
    printf("nw_fts_store:     median %.0f stories/s (spread %.0f-%.0f)\n", ms, st[0],
           st[rounds - 1]);
    printf("ratio of medians: %.2f (goal >= 0.80)\n", ms / mr);
    free(raw);
    free(st);
    for (long i = 0; i < n; i++)
        free_story(&s[i]);
    free(s);

    char *list = strdup(sizes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        if (atol(tok) > 0)
            search_at(atol(tok));
    free(list);
    for (int i = 0; i < VOCAB; i++)
        free(vocab[i]);
    return 0;
}
