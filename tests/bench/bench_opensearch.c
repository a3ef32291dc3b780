/*
 * bench_opensearch — the opensearch sink's rate against an HTTP-level
 * ceiling, in the same run, on the test server (tests/os_test_server.py,
 * the documented `_bulk` behaviour, no injected failures). Stories: the ~2 KB
 * generated ninjs of nw_bench_story, fresh uris each round.
 *   sink:    nw_os_sink_write per batch (stories already decoded, as the host
 *            hands them): the bulk body built, posted, every item's status
 *            read;
 *   ceiling: the same bulk bodies (built by the sink beforehand, outside the
 *            timing) posted with libcurl on one connection, one request per
 *            batch, the answer read and checked for `"errors":false`.
 * The two write to different indexes of the server so neither meets the
 * other's versions; which goes first alternates from round to round.
 * Prints the median stories/s and spread ((max - min) / 2) of each, and the
 * median of the per-round ratios. The test server (Python) bounds both: this
 * measures what the sink adds per story on top of the HTTP exchange, not an
 * engine's indexing rate. Usage: bench_opensearch [stories (5000)]
 * [batch (500)] [rounds (5)].
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_bench.h"
#include "nw_buf.h"
#include "nw_os_sink.h"
#include "nw_testsink.h"
#include "nw_testutil.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t collect(char *p, size_t size, size_t n, void *buf)
{
    nw_buf_append(buf, p, size * n);
    return size * n;
}

/* POST every body to url on one handle; seconds taken, or -1 (printed). */
static double ceiling(CURL *c, const char *url, char **bodies, const size_t *lens, int nbodies)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    double t0 = now_s();
    for (int i = 0; i < nbodies; i++) {
        nw_buf resp = NW_BUF_INIT;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)lens[i]);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
        long status = 0;
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        bool ok =
            rc == CURLE_OK && status == 200 && resp.data && strstr(resp.data, "\"errors\": false");
        if (!ok) {
            fprintf(stderr, "bench_opensearch: ceiling: %s HTTP %ld %.200s\n",
                    curl_easy_strerror(rc), status, resp.data ? resp.data : "");
            nw_buf_free(&resp);
            curl_slist_free_all(h);
            return -1;
        }
        nw_buf_free(&resp);
    }
    double t = now_s() - t0;
    curl_slist_free_all(h);
    return t;
}

/* Every story through the sink, one write per batch; seconds, or -1. */
static double sink_pass(nw_os_sink *s, const nw_os_item *items, int n, int batch,
                        nw_os_outcome *out)
{
    double t0 = now_s();
    for (int i = 0; i < n; i += batch) {
        size_t k = (size_t)(n - i < batch ? n - i : batch);
        for (size_t j = 0; j < k; j++)
            out[j] = (nw_os_outcome){.result = NW_OS_PENDING};
        nw_err e = {0};
        if (nw_os_sink_write(s, items + i, k, out, &e) < 0) {
            fprintf(stderr, "bench_opensearch: sink: %s\n", e.msg);
            return -1;
        }
        for (size_t j = 0; j < k; j++)
            if (out[j].result != NW_OS_WRITTEN) {
                fprintf(stderr, "bench_opensearch: sink: item %zu not written (%d %s)\n", j,
                        out[j].status, out[j].reason);
                return -1;
            }
    }
    return now_s() - t0;
}

static nw_os_sink *open_sink(const char *base, const char *index)
{
    nw_os_options o = {.urls = base, .index = index};
    nw_os_sink *s = NULL;
    nw_err e = {0};
    if (nw_os_sink_open(&o, &s, &e) < 0) {
        fprintf(stderr, "bench_opensearch: %s\n", e.msg);
        exit(1);
    }
    return s;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int batch = argc > 2 ? atoi(argv[2]) : 500;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (n < 1 || batch < 1 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_opensearch [stories] [batch] [rounds]\n");
        return 64;
    }
    if (!getenv("NW_SOURCE_DIR"))
        setenv("NW_SOURCE_DIR", NW_BENCH_SOURCE_DIR, 0); /* where os_test_server.py is */
    char base[64];
    pid_t server = nw_test_os_server(NULL, base, sizeof base);
    if (server < 0) {
        fprintf(stderr, "bench_opensearch: the test server did not start (python3?)\n");
        return 1;
    }
    nw_os_sink *sink = open_sink(base, "bench-sink");
    nw_os_sink *former = open_sink(base, "bench-ceiling"); /* builds the ceiling's bodies */
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, nw_os_sink_bulk_path());

    double *sink_rate = calloc((size_t)rounds, sizeof *sink_rate);
    double *http_rate = calloc((size_t)rounds, sizeof *http_rate);
    double *ratio = calloc((size_t)rounds, sizeof *ratio);
    nw_os_item *items = calloc((size_t)n, sizeof *items);
    nw_os_outcome *out = calloc((size_t)batch, sizeof *out);
    int nbodies = (n + batch - 1) / batch;
    char **bodies = calloc((size_t)nbodies, sizeof *bodies);
    size_t *lens = calloc((size_t)nbodies, sizeof *lens);
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        json_t **docs = calloc((size_t)n, sizeof *docs);
        for (int i = 0; i < n; i++) {
            docs[i] = nw_bench_story(r, i);
            char *t = json_dumps(docs[i], JSON_COMPACT);
            bytes += strlen(t);
            free(t);
            items[i] = (nw_os_item){.story = docs[i], .category = "world"};
        }
        for (int b = 0; b < nbodies; b++) {
            int k = n - b * batch < batch ? n - b * batch : batch;
            bodies[b] = nw_os_sink_bulk_body(former, items + b * batch, (size_t)k, &lens[b]);
            if (!bodies[b]) {
                fprintf(stderr, "bench_opensearch: out of memory\n");
                return 1;
            }
        }
        for (int k = 0; k < 2; k++) {
            if ((k == 0) == (r % 2 == 0)) {
                double t = sink_pass(sink, items, n, batch, out);
                sink_rate[r] = t > 0 ? n / t : -1;
            } else {
                double t = ceiling(c, url, bodies, lens, nbodies);
                http_rate[r] = t > 0 ? n / t : -1;
            }
        }
        ratio[r] = sink_rate[r] > 0 && http_rate[r] > 0 ? sink_rate[r] / http_rate[r] : -1;
        for (int b = 0; b < nbodies; b++)
            free(bodies[b]);
        for (int i = 0; i < n; i++)
            json_decref(docs[i]);
        free(docs);
        printf("round %d: sink %.0f stories/s, ceiling %.0f stories/s, ratio %.2f (%s first)\n",
               r + 1, sink_rate[r], http_rate[r], ratio[r], r % 2 == 0 ? "sink" : "ceiling");
        fflush(stdout);
    }
    double ms, ss, mc, sc, mr, sr;
    nw_bench_stats(sink_rate, rounds, &ms, &ss);
    nw_bench_stats(http_rate, rounds, &mc, &sc);
    nw_bench_stats(ratio, rounds, &mr, &sr);
    printf("stories: %d x %d rounds, %.0f bytes of JSON on average, batches of %d\n", n, rounds,
           (double)bytes / ((double)n * rounds), batch);
    printf("sink:    median %.0f stories/s ± %.0f\n", ms, ss);
    printf("ceiling: median %.0f stories/s ± %.0f (the same bulk bodies through libcurl)\n", mc,
           sc);
    printf("ratio sink/ceiling: medians %.2f; per round: median %.2f ± %.2f\n", ms / mc, mr, sr);
    free(sink_rate);
    free(http_rate);
    free(ratio);
    free(items);
    free(out);
    free(bodies);
    free(lens);
    curl_easy_cleanup(c);
    nw_os_sink_close(sink);
    nw_os_sink_close(former);
    nw_test_stop(server, 5);
    return 0;
}
