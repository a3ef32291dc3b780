/*
 * test_producer_feeds — the feed input against a local HTTP server
 * (libmicrohttpd on 127.0.0.1, in this process, serving the canned feeds of
 * tests/fixtures/feedserver/) and the embedded broker. Most cases drive the
 * input directly with a small loop like the service's (poll on its fd, run,
 * serve delivery reports), so they can look at its counters; one case runs
 * the real `newswire-producer` with a `feeds:` config.
 * Cases: new item published; unchanged item not re-sent; changed item sent
 * as a new version; 304 honoured; 500; timeout; malformed feed counted while
 * another feed goes on; restart keeps the seen state; an item is recorded
 * only after its ack; charset from Content-Type; gzip; redirects; size limit.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "nw_feed.h"
#include "nw_feed_state.h"
#include "nw_input.h"
#include "nw_kafka.h"
#include "nw_metrics.h"
#include "nw_publish.h"
#include "nw_route.h"
#include "nw_testkafka.h"
#include "nw_testutil.h"

/* ------------------------------------------------------------------------ */
/* The feed server                                                          */
/* ------------------------------------------------------------------------ */

static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static char *wire_body; /* what /wire serves (guarded) */
static size_t wire_len;
static bool wire_etags; /* /wire sends an ETag and honours If-None-Match */
static int wire_requests, wire_304, wire_conditional, gzip_sent;
static int slow_ms = 1500;

static struct MHD_Daemon *mhd;
static int port;

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "feedserver/%s", name);
    char *path = nw_test_fixture_path(rel);
    char *text = nw_test_read_file(path, len);
    cr_assert_not_null(text, "fixture %s", path);
    free(path);
    return text;
}

static void serve_wire(const char *fixture_name)
{
    size_t len;
    char *text = fixture(fixture_name, &len);
    pthread_mutex_lock(&srv_lock);
    free(wire_body);
    wire_body = text;
    wire_len = len;
    pthread_mutex_unlock(&srv_lock);
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, const char *ctype,
                                 const void *body, size_t len, const char *etag,
                                 const char *encoding)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (etag)
        MHD_add_response_header(r, "ETag", etag);
    if (encoding)
        MHD_add_response_header(r, "Content-Encoding", encoding);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_fixture(struct MHD_Connection *c, const char *name, const char *ctype)
{
    size_t len;
    char *text = fixture(name, &len);
    enum MHD_Result rc = send_body(c, 200, ctype, text, len, NULL, NULL);
    free(text);
    return rc;
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Location", to);
    enum MHD_Result rc = MHD_queue_response(c, 302, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    const char *rss = "application/rss+xml";
    if (!strcmp(url, "/wire")) {
        pthread_mutex_lock(&srv_lock);
        wire_requests++;
        char *body = malloc(wire_len + 1);
        memcpy(body, wire_body, wire_len);
        size_t len = wire_len;
        bool etags = wire_etags;
        const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
        if (inm)
            wire_conditional++;
        char etag[40];
        snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)XXH3_64bits(body, len));
        bool match = etags && inm && !strcmp(inm, etag);
        if (match)
            wire_304++;
        pthread_mutex_unlock(&srv_lock);
        enum MHD_Result rc = match ? send_body(c, 304, NULL, "", 0, etag, NULL)
                                   : send_body(c, 200, rss, body, len, etags ? etag : NULL, NULL);
        free(body);
        return rc;
    }
    if (!strcmp(url, "/atom"))
        return send_fixture(c, "atom.xml", "application/atom+xml");
    if (!strcmp(url, "/malformed"))
        return send_fixture(c, "malformed.xml", rss);
    if (!strcmp(url, "/cp1251"))
        return send_fixture(c, "cp1251-nodecl.xml",
                            "application/rss+xml; charset=\"windows-1251\"");
    if (!strcmp(url, "/err500")) {
        const char *m = "internal error\n";
        return send_body(c, 500, "text/plain", m, strlen(m), NULL, NULL);
    }
    if (!strcmp(url, "/gone")) {
        const char *m = "gone\n";
        return send_body(c, 404, "text/plain", m, strlen(m), NULL, NULL);
    }
    if (!strcmp(url, "/slow")) {
        usleep((useconds_t)slow_ms * 1000);
        return send_fixture(c, "rss-v1.xml", rss);
    }
    if (!strcmp(url, "/redirect"))
        return redirect(c, "/atom");
    if (!strcmp(url, "/loop"))
        return redirect(c, "/loop");
    if (!strcmp(url, "/big")) {
        size_t len = 64 * 1024;
        char *big = malloc(len);
        memset(big, ' ', len);
        enum MHD_Result rc = send_body(c, 200, rss, big, len, NULL, NULL);
        free(big);
        return rc;
    }
    if (!strcmp(url, "/gzip")) {
        const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
        if (!ae || !strstr(ae, "gzip")) {
            const char *m = "gzip required\n";
            return send_body(c, 406, "text/plain", m, strlen(m), NULL, NULL);
        }
        size_t len;
        char *text = fixture("atom.xml", &len);
        z_stream z = {0};
        cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
        size_t cap = deflateBound(&z, len) + 64;
        unsigned char *out = malloc(cap);
        z.next_in = (unsigned char *)text;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        size_t zlen = z.total_out;
        deflateEnd(&z);
        pthread_mutex_lock(&srv_lock);
        gzip_sent++;
        pthread_mutex_unlock(&srv_lock);
        enum MHD_Result rc = send_body(c, 200, "application/atom+xml", out, zlen, NULL, "gzip");
        free(out);
        free(text);
        return rc;
    }
    const char *m = "not found\n";
    return send_body(c, 404, "text/plain", m, strlen(m), NULL, NULL);
}

static void server_start(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                           NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                           MHD_OPTION_END);
    cr_assert_not_null(mhd);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
    cr_assert_not_null(info);
    port = info->port;
}

static char *url_of(const char *path)
{
    static char buf[4][256];
    static int k;
    char *u = buf[k++ % 4];
    snprintf(u, 256, "http://127.0.0.1:%d%s", port, path);
    return u;
}

/* ------------------------------------------------------------------------ */
/* Broker, publisher and a small loop                                       */
/* ------------------------------------------------------------------------ */

static nw_broker *broker;
static char *tmp;
static char state_dir[1024];
static nw_publisher *pub;
static nw_metrics *metrics;
static nw_input_env env;

static int64_t mono_ms(void)
{
    return (int64_t)(nw_test_now_s() * 1000);
}

static void on_delivery(void *ctx, nw_publish_ticket *t, const char *topic, int kerr,
                        int64_t latency_us)
{
    env.reports++;
}

static void setup(void)
{
    nw_err err = {0};
    broker = nw_broker_new(1, 2, &err);
    cr_assert_not_null(broker, "%s", err.msg);
    server_start();
    serve_wire("rss-v1.xml");
    tmp = nw_test_mkdtemp("producer-feeds");
    cr_assert_not_null(tmp);
    snprintf(state_dir, sizeof state_dir, "%s/state", tmp);
    rd_kafka_conf_t *conf = nw_kafka_conf_new(NULL, nw_broker_bootstrap(broker), &err);
    cr_assert_not_null(conf, "%s", err.msg);
    nw_publish_opts po = {.on_delivery = on_delivery};
    pub = nw_publisher_new(conf, &po, &err);
    cr_assert_not_null(pub, "%s", err.msg);
    metrics = nw_metrics_new();
    nw_route *route = nw_route_from_config(NULL, &err);
    cr_assert_not_null(route, "%s", err.msg);
    env = (nw_input_env){.pub = pub,
                         .route = route,
                         .metrics = metrics,
                         .max_message_bytes = 1 << 20,
                         .max_pending = 1000,
                         .intake = true};
}

static void teardown(void)
{
    if (pub) {
        nw_publisher_drain(pub, 5000, NULL, NULL);
        nw_publisher_free(pub);
    }
    nw_route_free((nw_route *)env.route);
    nw_metrics_free(metrics);
    MHD_stop_daemon(mhd);
    nw_broker_free(broker);
    nw_test_rm_tmp(&tmp);
    free(wire_body);
    wire_body = NULL;
}

TestSuite(producer_feeds, .init = setup, .fini = teardown, .timeout = 120);

static nw_input *feed(const char *name, const char *path, int64_t interval_ms, int64_t timeout_ms)
{
    nw_feed_opts o = {.name = name,
                      .url = url_of(path),
                      .category = "Feeds Test",
                      .state_dir = state_dir,
                      .interval_ms = interval_ms,
                      .timeout_ms = timeout_ms,
                      .max_backoff_ms = interval_ms * 4,
                      .max_redirects = -1};
    nw_err err = {0};
    nw_input *in = nw_feed_new(&o, &err);
    cr_assert_not_null(in, "%s", err.msg);
    nw_input_bind_metrics(in, metrics);
    cr_assert_eq(in->ops->start(in, &env, &err), 0, "%s", err.msg);
    return in;
}

static nw_feed_stats stats(const nw_input *in)
{
    nw_feed_stats s;
    nw_feed_get_stats(in, &s);
    return s;
}

/* One turn of the service's loop for these inputs. */
static void turn(nw_input **ins, size_t n)
{
    struct pollfd pfd[8];
    int64_t now = mono_ms(), wait = 20;
    for (size_t i = 0; i < n; i++) {
        pfd[i] = (struct pollfd){.fd = ins[i]->ops->fd(ins[i]), .events = POLLIN};
        int64_t w = ins[i]->ops->wait_ms(ins[i], &env, now);
        if (w >= 0 && w < wait)
            wait = w;
    }
    poll(pfd, n, (int)wait);
    nw_publisher_poll(pub);
    for (size_t i = 0; i < n; i++)
        ins[i]->ops->run(ins[i], &env, mono_ms());
}

/* Run until every input completed `fetches` requests and settled its items. */
static void run_fetches(nw_input **ins, size_t n, uint64_t fetches, double timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    for (;;) {
        bool done = true;
        for (size_t i = 0; i < n; i++)
            if (stats(ins[i]).fetches < fetches || ins[i]->ops->in_flight(ins[i]) > 0)
                done = false;
        if (done)
            return;
        cr_assert(nw_test_now_s() < end, "timed out waiting for %llu fetches",
                  (unsigned long long)fetches);
        turn(ins, n);
    }
}

static void run_for(nw_input **ins, size_t n, double seconds)
{
    double end = nw_test_now_s() + seconds;
    while (nw_test_now_s() < end)
        turn(ins, n);
}

static void free_input(nw_input *in)
{
    /* no ticket may outlive its item */
    nw_publisher_drain(pub, 10000, NULL, NULL);
    in->ops->free(in);
}

/* ------------------------------------------------------------------------ */
/* Reading what reached Kafka                                               */
/* ------------------------------------------------------------------------ */

typedef struct msg {
    char *key;
    char *version;
    char *version_created;
    char *headline;
    char *origin;
} msg;

typedef struct msgs {
    msg *m;
    size_t len;
} msgs;

static void msgs_free(msgs *ms)
{
    for (size_t i = 0; i < ms->len; i++) {
        free(ms->m[i].key);
        free(ms->m[i].version);
        free(ms->m[i].version_created);
        free(ms->m[i].headline);
        free(ms->m[i].origin);
    }
    free(ms->m);
    ms->m = NULL;
    ms->len = 0;
}

static char *jdup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? strdup(s) : NULL;
}

static void add_msg(const rd_kafka_message_t *m, void *ctx)
{
    msgs *ms = ctx;
    json_t *v = json_loadb(m->payload, m->len, 0, NULL);
    cr_assert_not_null(v, "message is JSON");
    ms->m = realloc(ms->m, (ms->len + 1) * sizeof *ms->m);
    msg *x = &ms->m[ms->len++];
    x->key = strndup(m->key, m->key_len);
    x->version = jdup(v, "version");
    x->version_created = jdup(v, "versionCreated");
    x->headline = jdup(json_array_get(json_object_get(v, "headlines"), 0), "value");
    x->origin = NULL;
    rd_kafka_headers_t *h = NULL;
    const void *hv;
    size_t hl;
    if (rd_kafka_message_headers(m, &h) == 0 &&
        rd_kafka_header_get_last(h, NW_HDR_ORIGIN, &hv, &hl) == 0)
        x->origin = strndup(hv, hl);
    json_decref(v);
}

/* Every message on topics starting with "news.", from the beginning. */
static msgs consume_all(void)
{
    msgs ms = {0};
    char err[512];
    long seen = nw_test_read_to_end(nw_broker_bootstrap(broker), "news.", true, 20000, add_msg, &ms,
                                    err, sizeof err);
    cr_assert_geq(seen, 0, "%s", err);
    return ms;
}

static size_t count_key(const msgs *ms, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < ms->len; i++)
        n += !strcmp(ms->m[i].key, key);
    return n;
}

static const msg *find_version(const msgs *ms, const char *key, const char *version)
{
    for (size_t i = 0; i < ms->len; i++)
        if (!strcmp(ms->m[i].key, key) && ms->m[i].version && !strcmp(ms->m[i].version, version))
            return &ms->m[i];
    return NULL;
}

static double metric(const char *series)
{
    nw_buf out = NW_BUF_INIT;
    nw_metrics_render(metrics, &out);
    double v = -1;
    for (const char *p = nw_buf_str(&out); p && *p;) {
        const char *eol = strchr(p, '\n');
        if (!strncmp(p, series, strlen(series)) && p[strlen(series)] == ' ') {
            v = atof(p + strlen(series) + 1);
            break;
        }
        p = eol ? eol + 1 : NULL;
    }
    nw_buf_free(&out);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                    */
/* ------------------------------------------------------------------------ */

Test(producer_feeds, new_unchanged_and_changed_items)
{
    wire_etags = false; /* every poll gets the whole feed: the content hash decides */
    nw_input *in = feed("wire", "/wire", 150, 5000);
    nw_input *ins[] = {in};

    run_fetches(ins, 1, 1, 20);
    nw_feed_stats s = stats(in);
    cr_expect_eq(s.items_new, 2);
    cr_expect_eq(s.items_done, 2);
    msgs ms = consume_all();
    cr_expect_eq(ms.len, 2, "two new items published, got %zu", ms.len);
    const msg *h = find_version(&ms, "urn:feedtest:harbour", "1");
    cr_assert_not_null(h, "harbour published as version 1");
    cr_expect_str_eq(h->headline, "Harbour reopens after storm");
    cr_expect_str_eq(h->version_created, "2024-03-05T14:30:00Z", "the feed's pubDate");
    cr_expect_str_eq(h->origin, url_of("/wire"));
    msgs_free(&ms);

    /* unchanged: polled twice more, nothing sent */
    run_fetches(ins, 1, 3, 20);
    s = stats(in);
    cr_expect_eq(s.items_new, 2);
    cr_expect_eq(s.items_unchanged, 4);
    cr_expect_eq(s.errors, 0);
    ms = consume_all();
    cr_expect_eq(ms.len, 2, "unchanged items are not sent again, got %zu", ms.len);
    msgs_free(&ms);

    /* changed: budget is a new version, rail is new, harbour stays */
    serve_wire("rss-v2.xml");
    run_fetches(ins, 1, 4, 20);
    s = stats(in);
    cr_expect_eq(s.items_new, 3);
    cr_expect_eq(s.items_changed, 1);
    ms = consume_all();
    cr_expect_eq(ms.len, 4, "got %zu messages", ms.len);
    cr_expect_eq(count_key(&ms, "urn:feedtest:harbour"), 1);
    cr_expect_eq(count_key(&ms, "urn:feedtest:budget"), 2);
    cr_expect_eq(count_key(&ms, "urn:feedtest:rail"), 1);
    const msg *b2 = find_version(&ms, "urn:feedtest:budget", "2");
    cr_assert_not_null(b2, "the changed item is version 2");
    cr_expect_str_eq(b2->headline, "Council approves budget after all-night session");
    /* the feed kept the old pubDate: versionCreated becomes the time it was sent */
    cr_assert_not_null(b2->version_created);
    cr_expect_gt(strcmp(b2->version_created, "2024-03-05T15:00:00Z"), 0, "%s", b2->version_created);
    cr_expect_not_null(find_version(&ms, "urn:feedtest:rail", "1"));
    msgs_free(&ms);

    cr_expect_eq(metric("newswire_producer_feed_items_total{feed=\"wire\",result=\"changed\"}"), 1);
    cr_expect_eq(metric("newswire_producer_stories_published_total{input=\"wire\","
                        "format=\"auto\"}"),
                 4);
    free_input(in);
}

Test(producer_feeds, not_modified_304)
{
    wire_etags = true;
    nw_input *in = feed("wire", "/wire", 150, 5000);
    nw_input *ins[] = {in};
    run_fetches(ins, 1, 3, 20);
    nw_feed_stats s = stats(in);
    cr_expect_eq(s.items_new, 2);
    cr_expect_geq(s.not_modified, 2, "the server answered 304: %llu",
                  (unsigned long long)s.not_modified);
    pthread_mutex_lock(&srv_lock);
    int cond = wire_conditional, n304 = wire_304;
    pthread_mutex_unlock(&srv_lock);
    cr_expect_geq(cond, 2, "If-None-Match was sent");
    cr_expect_eq(n304, (int)s.not_modified);
    cr_expect_eq(s.items_unchanged, 0, "304: nothing parsed");
    cr_expect_eq(metric("newswire_producer_feed_fetches_total{feed=\"wire\","
                        "result=\"not_modified\"}"),
                 (double)s.not_modified);
    msgs ms = consume_all();
    cr_expect_eq(ms.len, 2);
    msgs_free(&ms);

    /* the feed changes: a new ETag, a full answer */
    serve_wire("rss-v2.xml");
    uint64_t f = stats(in).fetches;
    run_fetches(ins, 1, f + 1, 20);
    cr_expect_eq(stats(in).items_changed, 1);
    cr_expect_eq(stats(in).items_new, 3);
    free_input(in);
}

Test(producer_feeds, http_500_is_counted_and_retried_with_backoff)
{
    nw_input *in = feed("err", "/err500", 100, 5000);
    nw_input *ins[] = {in};
    run_for(ins, 1, 1.6);
    nw_feed_stats s = stats(in);
    /* delays 100, 200, 400, 400 (cap 4 x interval): 4-5 tries in 1.6 s, not 16 */
    cr_expect_geq(s.errors, 3, "errors=%llu", (unsigned long long)s.errors);
    cr_expect_leq(s.errors, 6, "backoff: errors=%llu", (unsigned long long)s.errors);
    cr_expect_eq(s.consecutive_failures, s.errors);
    cr_expect(strstr(s.last_error, "500") != NULL, "%s", s.last_error);
    cr_expect_eq(metric("newswire_producer_feed_fetch_errors_total{feed=\"err\","
                        "reason=\"http_5xx\"}"),
                 (double)s.errors);
    cr_expect_eq(s.items_new, 0);
    cr_expect(in->ops->ready(in), "a failing feed does not make the service unready");
    free_input(in);

    in = feed("gone", "/gone", 100, 5000);
    nw_input *ins2[] = {in};
    run_fetches(ins2, 1, 1, 10);
    cr_expect_eq(metric("newswire_producer_feed_fetch_errors_total{feed=\"gone\","
                        "reason=\"http_4xx\"}"),
                 1);
    free_input(in);
}

Test(producer_feeds, timeout)
{
    slow_ms = 1500;
    nw_input *in = feed("slow", "/slow", 5000, 300);
    nw_input *ins[] = {in};
    double t0 = nw_test_now_s();
    run_fetches(ins, 1, 1, 10);
    double took = nw_test_now_s() - t0;
    nw_feed_stats s = stats(in);
    cr_expect_eq(s.errors, 1);
    cr_expect_lt(took, 1.2, "the request was cut at its timeout (took %.2fs)", took);
    cr_expect_eq(metric("newswire_producer_feed_fetch_errors_total{feed=\"slow\","
                        "reason=\"timeout\"}"),
                 1);
    cr_expect_eq(s.items_new, 0);
    free_input(in);
}

Test(producer_feeds, malformed_feed_does_not_stop_other_feeds)
{
    nw_input *bad = feed("bad", "/malformed", 100, 5000);
    nw_input *good = feed("atom", "/atom", 100, 5000);
    nw_input *ins[] = {bad, good};
    run_fetches(ins, 2, 2, 20);
    nw_feed_stats sb = stats(bad), sg = stats(good);
    cr_expect_geq(sb.errors, 2);
    cr_expect(strstr(sb.last_error, "malformed feed") != NULL, "%s", sb.last_error);
    cr_expect_geq(metric("newswire_producer_feed_fetch_errors_total{feed=\"bad\","
                         "reason=\"parse\"}"),
                  2);
    cr_expect_eq(sg.errors, 0);
    cr_expect_eq(sg.items_new, 1);
    msgs ms = consume_all();
    cr_expect_eq(ms.len, 1);
    cr_expect_eq(count_key(&ms, "urn:feedtest:painting"), 1);
    msgs_free(&ms);
    free_input(bad);
    free_input(good);
}

Test(producer_feeds, restart_keeps_seen_state)
{
    wire_etags = false;
    nw_input *in = feed("wire", "/wire", 150, 5000);
    nw_input *ins[] = {in};
    run_fetches(ins, 1, 1, 20);
    cr_expect_eq(stats(in).items_new, 2);
    free_input(in);

    /* a new process: the state file says both items were delivered */
    in = feed("wire", "/wire", 150, 5000);
    ins[0] = in;
    run_fetches(ins, 1, 2, 20);
    nw_feed_stats s = stats(in);
    cr_expect_eq(s.items_new, 0, "nothing is sent again after a restart");
    cr_expect_eq(s.items_unchanged, 4);
    free_input(in);

    /* renamed feed, same URL: same state */
    wire_etags = true;
    in = feed("wire-renamed", "/wire", 150, 5000);
    ins[0] = in;
    run_fetches(ins, 1, 2, 20);
    cr_expect_eq(stats(in).items_new, 0);
    free_input(in);
    /* and the validators survive too: the first request is conditional */
    in = feed("wire", "/wire", 150, 5000);
    ins[0] = in;
    run_fetches(ins, 1, 1, 20);
    cr_expect_eq(stats(in).not_modified, 1, "validators kept across restarts");
    free_input(in);

    msgs ms = consume_all();
    cr_expect_eq(ms.len, 2, "got %zu messages", ms.len);
    msgs_free(&ms);
}

static bool state_has(const char *url, const char *uri)
{
    char path[2048];
    nw_feed_state_path(state_dir, url, path, sizeof path, NULL);
    nw_feed_state *st = NULL;
    if (nw_feed_state_load(path, &st, NULL, NULL) < 0)
        return false;
    bool has = nw_feed_state_get(st, uri) != NULL;
    nw_feed_state_free(st);
    return has;
}

Test(producer_feeds, recorded_only_after_ack)
{
    wire_etags = false;
    rd_kafka_mock_cluster_t *mc = nw_broker_cluster(broker);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    nw_input *in = feed("wire", "/wire", 150, 5000);
    nw_input *ins[] = {in};
    /* fetched and sent, but the broker is down: no acks */
    double end = nw_test_now_s() + 10;
    while (stats(in).fetches < 1 && nw_test_now_s() < end)
        turn(ins, 1);
    run_for(ins, 1, 0.8);
    cr_expect_eq(stats(in).fetches, 1, "no new poll while items are in flight");
    cr_expect_eq(in->ops->in_flight(in), 2);
    cr_expect_not(state_has(url_of("/wire"), "urn:feedtest:harbour"),
                  "not recorded before its ack");
    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
    run_fetches(ins, 1, 1, 30);
    cr_expect_eq(stats(in).items_done, 2);
    cr_expect(state_has(url_of("/wire"), "urn:feedtest:harbour"), "recorded after its ack");
    free_input(in);
}

Test(producer_feeds, charset_from_content_type)
{
    nw_input *in = feed("cyr", "/cp1251", 1000, 5000);
    nw_input *ins[] = {in};
    run_fetches(ins, 1, 1, 20);
    cr_expect_eq(stats(in).errors, 0, "%s", stats(in).last_error);
    msgs ms = consume_all();
    cr_assert_eq(ms.len, 1);
    cr_expect_str_eq(ms.m[0].headline,
                     "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0: \xd0\xbe\xd1\x82\xd0\xba"
                     "\xd1\x80\xd1\x8b\xd1\x82 \xd0\xbd\xd0\xbe\xd0\xb2\xd1\x8b\xd0\xb9 \xd0\xbc"
                     "\xd0\xbe\xd1\x81\xd1\x82"); /* "Москва: открыт новый мост" */
    msgs_free(&ms);
    free_input(in);
}

Test(producer_feeds, gzip_redirects_and_size_limit)
{
    nw_input *gz = feed("gz", "/gzip", 1000, 5000);
    nw_input *rd = feed("redirected", "/redirect", 1000, 5000);
    nw_input *loop = feed("loop", "/loop", 1000, 5000);
    nw_feed_opts o = {.name = "big",
                      .url = url_of("/big"),
                      .state_dir = state_dir,
                      .interval_ms = 1000,
                      .max_bytes = 8192,
                      .max_redirects = -1};
    nw_err err = {0};
    nw_input *big = nw_feed_new(&o, &err);
    cr_assert_not_null(big);
    nw_input_bind_metrics(big, metrics);
    cr_assert_eq(big->ops->start(big, &env, &err), 0);
    nw_input *ins[] = {gz, rd, loop, big};
    run_fetches(ins, 4, 1, 20);
    cr_expect_eq(stats(gz).errors, 0, "%s", stats(gz).last_error);
    cr_expect_eq(stats(gz).items_new, 1);
    cr_expect_eq(gzip_sent, 1);
    cr_expect_eq(stats(rd).errors, 0, "%s", stats(rd).last_error);
    cr_expect_eq(stats(loop).errors, 1);
    cr_expect_eq(metric("newswire_producer_feed_fetch_errors_total{feed=\"loop\","
                        "reason=\"redirects\"}"),
                 1);
    cr_expect_eq(stats(big).errors, 1);
    cr_expect_eq(metric("newswire_producer_feed_fetch_errors_total{feed=\"big\","
                        "reason=\"too_large\"}"),
                 1);
    free_input(gz);
    free_input(rd);
    free_input(loop);
    free_input(big);
}

Test(producer_feeds, config_forms_and_errors)
{
    const char *text = "feeds:\n"
                       "  state_dir: /var/lib/nw-test\n"
                       "  sources:\n"
                       "    - name: a\n      url: http://example.com/a.xml\n"
                       "    - name: b\n      url: https://example.com/b.xml\n"
                       "      interval: 2m\n      format: atom\n      category: World\n"
                       "      state_dir: /srv/feeds\n"
                       "list:\n"
                       "  - name: c\n    url: http://example.com/c.xml\n"
                       "bad_url:\n  - {name: d, url: ftp://example.com/d}\n"
                       "dup:\n"
                       "  - {name: e, url: http://example.com/e}\n"
                       "  - {name: e, url: http://example.com/f}\n"
                       "bad_key:\n  - {name: g, url: http://example.com/g, intervall: 5m}\n"
                       "bad_format:\n  - {name: h, url: http://example.com/h, format: word}\n"
                       "relative:\n  - {name: i, url: http://example.com/i, state_dir: x}\n";
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, strlen(text), "t.yaml", &cfg, &err), 0, "%s", err.msg);
    const nw_cfg_node *root = nw_config_root(cfg);
    nw_input **list = NULL;
    size_t n = 0;
    cr_assert_eq(nw_feed_inputs_from_config(nw_cfg_get(root, "feeds"), &list, &n, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(list[1]->name, "b");
    cr_expect_str_eq(list[1]->format, "atom");
    cr_expect_str_eq(list[0]->ops->kind, "feed");
    cr_assert_eq(nw_feed_inputs_from_config(nw_cfg_get(root, "list"), &list, &n, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(n, 3);
    nw_input_list_free(list, n);

    const char *bad[] = {"bad_url", "dup", "bad_key", "bad_format", "relative"};
    const char *want[] = {"http", "used twice", "intervall", "word", "absolute"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        list = NULL;
        n = 0;
        nw_err_clear(&err);
        cr_expect_lt(nw_feed_inputs_from_config(nw_cfg_get(root, bad[i]), &list, &n, &err), 0,
                     "%s is refused", bad[i]);
        cr_expect(strstr(err.msg, want[i]) && strstr(err.msg, "t.yaml:"), "%s: %s", bad[i],
                  err.msg);
        nw_input_list_free(list, n);
    }
    nw_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* The real service                                                         */
/* ------------------------------------------------------------------------ */

static pid_t start_producer(const char *config, const char *log)
{
    const char *args[] = {"--config", config, NULL};
    pid_t pid = nw_test_start_logged("producers/newswire-producer", args, log, 0, NULL);
    cr_assert(pid >= 0);
    return pid;
}

static int stop_producer(pid_t pid)
{
    return nw_test_term(pid, 20);
}

static bool wait_messages(size_t want, double timeout_s)
{
    double end = nw_test_now_s() + timeout_s;
    while (nw_test_now_s() < end) {
        msgs ms = consume_all();
        size_t n = ms.len;
        msgs_free(&ms);
        if (n >= want)
            return true;
        usleep(200000);
    }
    return false;
}

Test(producer_feeds, service_polls_feeds_from_config)
{
    wire_etags = true;
    char config[2048], log[2048];
    snprintf(config, sizeof config, "%s/producer.yaml", tmp);
    snprintf(log, sizeof log, "%s/producer.log", tmp);
    char text[4096];
    snprintf(text, sizeof text,
             "kafka:\n  bootstrap.servers: \"%s\"\n"
             "http: {listen: \"127.0.0.1:0\"}\n"
             "shutdown_timeout: 10s\n"
             "feeds:\n"
             "  state_dir: %s\n"
             "  sources:\n"
             "    - name: wire\n      url: %s\n      interval: 200ms\n"
             "      category: Feeds Test\n"
             "    - name: broken\n      url: %s\n      interval: 200ms\n",
             nw_broker_bootstrap(broker), state_dir, url_of("/wire"), url_of("/malformed"));
    cr_assert_eq(nw_test_write_file(config, text, strlen(text)), 0);

    pid_t pid = start_producer(config, log);
    cr_expect(wait_messages(2, 30), "both items of the feed reached Kafka");
    serve_wire("rss-v2.xml");
    cr_expect(wait_messages(4, 30), "the new and the changed item reached Kafka");
    usleep(600000); /* a few more polls: 304s */
    cr_expect_eq(stop_producer(pid), 0, "SIGTERM: clean exit");

    /* restarted: the seen state holds, nothing is sent again */
    pid = start_producer(config, log);
    usleep(1500000);
    cr_expect_eq(stop_producer(pid), 0);
    msgs ms = consume_all();
    cr_expect_eq(ms.len, 4, "got %zu messages", ms.len);
    cr_expect_eq(count_key(&ms, "urn:feedtest:budget"), 2);
    msgs_free(&ms);

    char *logtext = nw_test_read_file(log, NULL);
    cr_assert_not_null(logtext);
    cr_expect(strstr(logtext, "fetch failed") && strstr(logtext, "/malformed"),
              "the broken feed is logged with its URL");
    free(logtext);
}
