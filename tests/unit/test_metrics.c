/* test_metrics — metric registry, exposition format, and the HTTP endpoint. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nw_http.h"
#include "nw_metrics.h"

static char *render(nw_metrics *m)
{
    nw_buf out = NW_BUF_INIT;
    nw_metrics_render(m, &out);
    return nw_buf_take(&out);
}

Test(metrics, counter_and_gauge_render_in_exposition_format)
{
    nw_metrics *m = nw_metrics_new();
    nw_counter *c = nw_metrics_counter(m, "nw_stories_total", "Stories seen", "input=\"spool\"");
    nw_counter_add(c, 41);
    nw_counter_inc(c);
    cr_assert_eq(nw_metrics_counter(m, "nw_stories_total", "ignored", "input=\"spool\""), c,
                 "same name and labels must give the same handle");
    nw_gauge *g = nw_metrics_gauge(m, "nw_queue_depth", "Messages queued", NULL);
    nw_gauge_set(g, 2.5);
    nw_gauge_add(g, -1);
    char *text = render(m);
    cr_assert_str_eq(text, "# HELP nw_stories_total Stories seen\n"
                           "# TYPE nw_stories_total counter\n"
                           "nw_stories_total{input=\"spool\"} 42\n"
                           "# HELP nw_queue_depth Messages queued\n"
                           "# TYPE nw_queue_depth gauge\n"
                           "nw_queue_depth 1.5\n");
    free(text);
    nw_metrics_free(m);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    nw_metrics *m = nw_metrics_new();
    const double bounds[] = {0.1, 1};
    nw_histogram *h =
        nw_metrics_histogram(m, "nw_latency_seconds", "Latency", "plugin=\"a\"", bounds, 2);
    nw_histogram_observe(h, 0.05);
    nw_histogram_observe(h, 0.5);
    nw_histogram_observe(h, 0.5);
    nw_histogram_observe(h, 7);
    cr_assert_eq(nw_histogram_count(h), 4);
    char *text = render(m);
    cr_assert(
        strstr(text, "nw_latency_seconds_bucket{plugin=\"a\",le=\"0.10000000000000001\"} 1\n"),
        "%s", text);
    cr_assert(strstr(text, "nw_latency_seconds_bucket{plugin=\"a\",le=\"1\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "nw_latency_seconds_bucket{plugin=\"a\",le=\"+Inf\"} 4\n"), "%s", text);
    cr_assert(strstr(text, "nw_latency_seconds_sum{plugin=\"a\"} 8.05"), "%s", text);
    cr_assert(strstr(text, "nw_latency_seconds_count{plugin=\"a\"} 4\n"), "%s", text);
    free(text);
    nw_metrics_free(m);
}

Test(metrics, a_name_keeps_its_type)
{
    nw_metrics *m = nw_metrics_new();
    cr_assert_not_null(nw_metrics_counter(m, "x", "", NULL));
    cr_assert_null(nw_metrics_gauge(m, "x", "", NULL));
    nw_gauge_set(NULL, 1); /* NULL handles are ignored */
    nw_metrics_free(m);
}

Test(metrics, label_values_are_escaped)
{
    nw_buf b = NW_BUF_INIT;
    nw_metrics_label_escape(&b, "a\"b\\c\nd");
    cr_assert_str_eq(nw_buf_str(&b), "a\\\"b\\\\c\\nd");
    nw_buf_free(&b);
}

static void *bump(void *arg)
{
    for (int i = 0; i < 100000; i++)
        nw_counter_inc(arg);
    return NULL;
}

Test(metrics, counters_are_exact_under_concurrency)
{
    nw_metrics *m = nw_metrics_new();
    nw_counter *c = nw_metrics_counter(m, "n", "", NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, bump, c);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(nw_counter_value(c), 400000);
    nw_metrics_free(m);
}

/* One HTTP/1.0 GET against 127.0.0.1:port; returns the whole response. */
static char *http_get(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    nw_buf out = NW_BUF_INIT;
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0)
        nw_buf_append(&out, chunk, (size_t)got);
    close(fd);
    return nw_buf_take(&out);
}

static bool ready_flag;

static bool is_ready(void *ctx, char *reason, size_t len)
{
    (void)ctx;
    snprintf(reason, len, "no partitions assigned yet");
    return ready_flag;
}

Test(http, serves_metrics_health_and_readiness)
{
    nw_metrics *m = nw_metrics_new();
    nw_counter_add(nw_metrics_counter(m, "nw_up_total", "up", NULL), 3);
    nw_err err;
    nw_http *http = nw_http_start("127.0.0.1:0", m, is_ready, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    int port = nw_http_port(http);
    cr_assert_gt(port, 0);

    char *r = http_get(port, "/metrics");
    cr_assert(strstr(r, " 200 "), "%s", r);
    cr_assert(strstr(r, "nw_up_total 3\n"), "%s", r);
    free(r);

    r = http_get(port, "/healthz");
    cr_assert(strstr(r, " 200 "), "%s", r);
    free(r);

    ready_flag = false;
    r = http_get(port, "/readyz");
    cr_assert(strstr(r, " 503 "), "%s", r);
    cr_assert(strstr(r, "not ready: no partitions assigned yet"), "%s", r);
    free(r);
    ready_flag = true;
    r = http_get(port, "/readyz");
    cr_assert(strstr(r, " 200 "), "%s", r);
    free(r);

    r = http_get(port, "/nope");
    cr_assert(strstr(r, " 404 "), "%s", r);
    free(r);
    nw_http_stop(http);
    nw_metrics_free(m);
}

Test(http, bad_listen_addresses_are_named)
{
    nw_err err;
    cr_assert_null(nw_http_start("nohost", NULL, NULL, NULL, &err));
    cr_assert(strstr(err.msg, "'nohost'"), "%s", err.msg);
    cr_assert_null(nw_http_start("127.0.0.1:99999", NULL, NULL, NULL, &err));
    cr_assert(strstr(err.msg, "bad port"), "%s", err.msg);
    cr_assert_null(nw_http_start("example.com:80", NULL, NULL, NULL, &err));
    cr_assert(strstr(err.msg, "IPv4"), "%s", err.msg);
}

/* A connected socket to 127.0.0.1:port that gives up reading after `secs`. */
static int connect_with_timeout(int port, int secs)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct timeval tv = {.tv_sec = secs};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Regression: with 64 connections open and silent (the old limit), /healthz
 * waited in the backlog until one timed out (10 s), so probes failed. */
Test(http, healthz_answers_while_many_idle_clients_are_connected)
{
    nw_err err;
    nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    int port = nw_http_port(http);
    enum { IDLE = 100 };
    int idle[IDLE];
    for (int i = 0; i < IDLE; i++)
        idle[i] = connect_with_timeout(port, 1);
    /* less than the old idle timeout (10 s): only a served request passes */
    int fd = connect_with_timeout(port, 5);
    const char req[] = "GET /healthz HTTP/1.0\r\n\r\n";
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    cr_assert_gt(n, 0, "no answer to /healthz with %d idle clients connected", IDLE);
    buf[n] = '\0';
    cr_assert(strstr(buf, " 200 "), "%s", buf);
    close(fd);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    nw_http_stop(http);
}

/* A client that connects and sends nothing is closed after the idle timeout. */
Test(http, an_idle_connection_is_closed_by_the_server)
{
    nw_err err;
    nw_http *http = nw_http_start("127.0.0.1:0", NULL, NULL, NULL, &err);
    cr_assert_not_null(http, "%s", err.msg);
    /* closed within a few seconds: waits 6 s (3 idle timeouts; the old
     * timeout, 10 s, fails here) */
    int fd = connect_with_timeout(nw_http_port(http), 6);
    char c;
    ssize_t n = read(fd, &c, 1);
    cr_assert_eq(n, 0, "the idle connection was not closed (read: %zd)", n);
    close(fd);
    nw_http_stop(http);
}
