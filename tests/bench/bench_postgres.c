/*
 * bench_postgres — the postgres sink's rate against the SQL-level ceiling,
 * in the same run, on a throwaway server (nw_testpg: fsync off, the same for
 * both). Stories: ~2 KB generated English-like ninjs (headline, body of
 * ~300 words, people, organisations, places), fresh uris each round.
 *   sink:    nw_pg_sink_write (stories already decoded, as the host hands
 *            them) + nw_pg_sink_commit per batch;
 *   ceiling: the same rows (read back from the sink's table in the staging
 *            format, outside the timing) through BEGIN, TRUNCATE, COPY into
 *            the staging table, the sink's own upsert, COMMIT per batch, on
 *            a connection of its own.
 * Both into an emptied table (tsvector and GIN index maintained); which one
 * goes first alternates from round to round. Prints the median stories/s and
 * spread (min..max) of each, the ratio of the medians and the median of the
 * per-round ratios (the two runs of a round share the machine's load). Usage: bench_postgres
 * [stories (default 5000)] [batch (500)] [rounds (5)]. Exits 0 with a note when PostgreSQL is not
 * installed.
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_bench.h"
#include "nw_buf.h"
#include "nw_pg_sink.h"
#include "nw_testpg.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench_postgres: %s: %s", sql, PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
}

/* The rows of the sink's table in the staging format, one COPY line each. */
static char *stage_lines(PGconn *c, size_t *len)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "COPY (SELECT %s FROM stories) TO STDOUT",
             nw_pg_sink_stage_columns());
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        fprintf(stderr, "bench_postgres: copy out: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    nw_buf b = NW_BUF_INIT;
    char *row;
    int n;
    while ((n = PQgetCopyData(c, &row, 0)) > 0) {
        nw_buf_append(&b, row, (size_t)n);
        PQfreemem(row);
    }
    PQclear(PQgetResult(c));
    *len = b.len;
    return nw_buf_take(&b);
}

/* The ceiling: the lines through COPY + upsert + COMMIT per batch. */
static double ceiling(PGconn *c, const char *upsert, const char *lines, size_t len, int batch)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "COPY nw_stage (%s) FROM STDIN", nw_pg_sink_stage_columns());
    double t0 = now_s();
    const char *p = lines, *end = lines + len;
    while (p < end) {
        const char *q = p;
        for (int k = 0; k < batch && q < end; k++)
            q = strchr(q, '\n') + 1;
        exec_ok(c, "BEGIN");
        exec_ok(c, "TRUNCATE nw_stage");
        PGresult *r = PQexec(c, copy);
        PQclear(r);
        PQputCopyData(c, p, (int)(q - p));
        PQputCopyEnd(c, NULL);
        while ((r = PQgetResult(c))) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                fprintf(stderr, "bench_postgres: copy: %s", PQerrorMessage(c));
                exit(1);
            }
            PQclear(r);
        }
        exec_ok(c, upsert);
        exec_ok(c, "COMMIT");
        p = q;
    }
    return now_s() - t0;
}

/* Every story through the sink, a commit per batch. 0 or -1 (printed). */
static int sink_pass(nw_pg_sink *s, const nw_pg_item *items, int n, int batch, nw_pg_outcome *out)
{
    nw_err e = {0};
    for (int i = 0; i < n; i += batch) {
        size_t k = (size_t)(n - i < batch ? n - i : batch);
        if (nw_pg_sink_write(s, items + i, k, 0, out, &e) < 0 || nw_pg_sink_commit(s, &e) < 0) {
            fprintf(stderr, "bench_postgres: sink: %s\n", e.msg);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int batch = argc > 2 ? atoi(argv[2]) : 500;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (n < 1 || batch < 1 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_postgres [stories] [batch] [rounds]\n");
        return 64;
    }
    nw_test_pg pg;
    char why[1024];
    int rc = nw_test_pg_start(&pg, why, sizeof why);
    if (rc == 1) {
        printf("bench_postgres: skipped: %s\n", why);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "bench_postgres: %s\n", why);
        nw_test_pg_destroy(&pg);
        return 1;
    }
    nw_pg_options o = {pg.conninfo, "stories"};
    nw_pg_sink *s = NULL;
    nw_err e = {0};
    if (nw_pg_sink_open(&o, &s, &e) < 0) {
        fprintf(stderr, "bench_postgres: %s\n", e.msg);
        nw_test_pg_destroy(&pg);
        return 1;
    }
    PGconn *c = PQconnectdb(pg.conninfo);
    char stage[1024];
    snprintf(stage, sizeof stage,
             "CREATE TEMPORARY TABLE nw_stage AS SELECT %s FROM stories WITH NO DATA",
             nw_pg_sink_stage_columns());
    exec_ok(c, stage);

    double *sink_rate = calloc((size_t)rounds, sizeof *sink_rate);
    double *sql_rate = calloc((size_t)rounds, sizeof *sql_rate);
    double *ratio = calloc((size_t)rounds, sizeof *ratio);
    nw_pg_item *items = calloc((size_t)n, sizeof *items);
    nw_pg_outcome *out = calloc((size_t)batch, sizeof *out);
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        json_t **docs = calloc((size_t)n, sizeof *docs);
        for (int i = 0; i < n; i++) {
            docs[i] = nw_bench_story(r, i);
            char *t = json_dumps(docs[i], JSON_COMPACT);
            bytes += strlen(t);
            free(t);
            items[i] = (nw_pg_item){docs[i], NULL, "world"};
        }
        /* the ceiling's rows: the sink's own, read back from an untimed pass */
        if (sink_pass(s, items, n, batch, out) < 0)
            return 1;
        size_t len;
        char *lines = stage_lines(c, &len);
        /* alternate which goes first, so neither profits from the order */
        for (int k = 0; k < 2; k++) {
            exec_ok(c, "TRUNCATE stories");
            exec_ok(c, "VACUUM ANALYZE stories");
            if ((k == 0) == (r % 2 == 0)) {
                double t0 = now_s();
                if (sink_pass(s, items, n, batch, out) < 0)
                    return 1;
                sink_rate[r] = n / (now_s() - t0);
            } else {
                sql_rate[r] = n / ceiling(c, nw_pg_sink_upsert_sql(s), lines, len, batch);
            }
        }
        ratio[r] = sink_rate[r] / sql_rate[r];
        free(lines);
        for (int i = 0; i < n; i++)
            json_decref(docs[i]);
        free(docs);
        printf("round %d: sink %.0f stories/s, ceiling %.0f stories/s, ratio %.2f (%s first)\n",
               r + 1, sink_rate[r], sql_rate[r], ratio[r], r % 2 == 0 ? "sink" : "ceiling");
        fflush(stdout);
    }
    qsort(sink_rate, (size_t)rounds, sizeof *sink_rate, cmp_double);
    qsort(sql_rate, (size_t)rounds, sizeof *sql_rate, cmp_double);
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    double ms = sink_rate[rounds / 2], mc = sql_rate[rounds / 2];
    printf("stories: %d x %d rounds, %.0f bytes of JSON on average, batches of %d\n", n, rounds,
           (double)bytes / ((double)n * rounds), batch);
    printf("sink:    median %.0f stories/s (min %.0f, max %.0f)\n", ms, sink_rate[0],
           sink_rate[rounds - 1]);
    printf("ceiling: median %.0f stories/s (min %.0f, max %.0f)\n", mc, sql_rate[0],
           sql_rate[rounds - 1]);
    printf("ratio sink/ceiling (medians): %.2f; per round: median %.2f (min %.2f, max %.2f)\n",
           ms / mc, ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
    free(sink_rate);
    free(sql_rate);
    free(ratio);
    free(items);
    free(out);
    PQfinish(c);
    nw_pg_sink_close(s);
    nw_test_pg_destroy(&pg);
    return 0;
}
