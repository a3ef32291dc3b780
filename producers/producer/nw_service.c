/*
 * nw_service — the producer service loop (see nw_service.h).
 *
 * One thread does all the work: it waits in poll(2) on the signalfd, on a
 * pipe librdkafka writes to when delivery reports are queued, and on every
 * input's descriptor; then it serves delivery reports, runs the inputs
 * (intake under back-pressure, settling finished files) and updates the
 * gauges. A second, tiny thread probes Kafka with metadata requests so that
 * /readyz can tell "connected" without ever blocking the loop; the HTTP
 * server has its own thread (nw_http). Signals are blocked in every thread
 * and read from the signalfd: no work happens in a signal handler.
 */
#define _GNU_SOURCE
#include "nw_service.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_config.h"
#include "nw_http.h"
#include "nw_input.h"
#include "nw_kafka.h"
#include "nw_log.h"
#include "nw_metrics.h"
#include "nw_publish.h"
#include "nw_route.h"
#include "nw_sdnotify.h"

extern char **environ;

#define MAX_KINDS      8
#define DEFAULT_LISTEN "127.0.0.1:9464"

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

typedef struct svc_fields {
    const nw_cfg_node *kafka, *http, *routing;
    int64_t shutdown_ms;
    uint64_t max_message_bytes;
    int64_t max_inflight;
    const char *log_level;
    const nw_cfg_node *kinds[MAX_KINDS];
} svc_fields;

typedef struct http_fields {
    const char *listen;
} http_fields;

static const nw_cfg_field base_table[] = {
    {"kafka", NW_CFG_T_NODE, "", offsetof(svc_fields, kafka), 0, 0,
     "librdkafka properties, passed through unchanged"},
    {"http", NW_CFG_T_NODE, "", offsetof(svc_fields, http), 0, 0,
     "metrics and health endpoint: {listen: HOST:PORT}"},
    {"routing", NW_CFG_T_NODE, "", offsetof(svc_fields, routing), 0, 0,
     "category -> topic rules (see nw_route.h)"},
    {"shutdown_timeout", NW_CFG_T_DURATION, "30s", offsetof(svc_fields, shutdown_ms), 0, 0,
     "SIGTERM: how long to wait for outstanding delivery reports"},
    {"max_message_bytes", NW_CFG_T_SIZE, "1MB", offsetof(svc_fields, max_message_bytes), 0, 0,
     "largest message the topics accept; bigger stories fail their file"},
    {"max_inflight_messages", NW_CFG_T_INT, "10000", offsetof(svc_fields, max_inflight), 1, 1000000,
     "back-pressure: intake waits while this many messages lack a report"},
    {"log_level", NW_CFG_T_STRING, "", offsetof(svc_fields, log_level), 0, 0,
     "error, warn, info or debug (default NEWSWIRE_LOG_LEVEL or info)"},
};

static const nw_cfg_field http_table[] = {
    {"listen", NW_CFG_T_STRING, DEFAULT_LISTEN, offsetof(http_fields, listen), 0, 0,
     "HOST:PORT of /metrics /healthz /readyz"},
    {NULL},
};

/* A loaded and validated configuration. */
typedef struct svc_conf {
    nw_config *cfg;
    svc_fields f;
    char *listen;
    nw_route *route;
    nw_input **inputs;
    size_t ninputs;
    rd_kafka_conf_t *kconf; /* NULL once given to the publisher */
} svc_conf;

static void svc_conf_free(svc_conf *c)
{
    if (!c)
        return;
    nw_input_list_free(c->inputs, c->ninputs);
    nw_route_free(c->route);
    if (c->kconf)
        rd_kafka_conf_destroy(c->kconf);
    free(c->listen);
    nw_config_free(c->cfg);
    free(c);
}

static rd_kafka_conf_t *make_kafka_conf(const svc_conf *c, const char *brokers, nw_err *err)
{
    rd_kafka_conf_t *conf = nw_kafka_conf_new(c->f.kafka, brokers, err);
    if (!conf)
        return NULL;
    char mmb[32];
    /* room for our largest message plus record framing */
    snprintf(mmb, sizeof mmb, "%llu",
             (unsigned long long)(c->f.max_message_bytes + 65536 > 1000000
                                      ? c->f.max_message_bytes + 65536
                                      : 1000000));
    if ((!nw_cfg_get(c->f.kafka, "client.id") &&
         nw_kafka_conf_set(conf, "client.id", "newswire-producer", err) < 0) ||
        (!nw_cfg_get(c->f.kafka, "message.max.bytes") &&
         nw_kafka_conf_set(conf, "message.max.bytes", mmb, err) < 0)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char brokers_set[8];
    size_t len = sizeof brokers_set;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", brokers_set, &len) != RD_KAFKA_CONF_OK ||
        len <= 1) {
        nw_err_set(err, NW_EINVAL, "%s: kafka.bootstrap.servers is not set (or pass --brokers)",
                   nw_config_origin(c->cfg));
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* Prefix err with where `key` of `map` is in the file ("<file>:<line>:
 * http.listen: "), or with the file alone when the key is not written. */
static void where_is(const svc_conf *c, const nw_cfg_node *map, const char *key, nw_err *err)
{
    const nw_cfg_node *n = map ? nw_cfg_get(map, key) : NULL;
    if (n && nw_cfg_line(n) > 0)
        nw_err_prefix(err, "%s:%d: %s: ", nw_cfg_origin(n), nw_cfg_line(n), nw_cfg_path(n));
    else if (n)
        nw_err_prefix(err, "%s: %s: ", nw_cfg_origin(n), nw_cfg_path(n));
    else
        nw_err_prefix(err, "%s: ", nw_config_origin(c->cfg));
}

static svc_conf *load_conf(const nw_service_opts *opts, nw_err *err)
{
    svc_conf *c = calloc(1, sizeof *c);
    if (!c) {
        nw_err_set(err, NW_ENOMEM, "out of memory");
        return NULL;
    }
    if (nw_config_load_file(opts->config_path, &c->cfg, err) < 0 ||
        nw_config_apply_env(c->cfg, environ, err) < 0)
        goto fail;

    /* the table: base keys plus one per input kind */
    const nw_input_kind *kinds;
    size_t nkinds = nw_input_kinds(&kinds);
    size_t nbase = sizeof base_table / sizeof base_table[0];
    nw_cfg_field table[sizeof base_table / sizeof base_table[0] + MAX_KINDS + 1];
    memcpy(table, base_table, sizeof base_table);
    for (size_t i = 0; i < nkinds && i < MAX_KINDS; i++)
        table[nbase + i] = (nw_cfg_field){
            kinds[i].key, NW_CFG_T_NODE, "", offsetof(svc_fields, kinds) + i * sizeof(void *), 0, 0,
            "inputs"};
    table[nbase + (nkinds < MAX_KINDS ? nkinds : MAX_KINDS)] = (nw_cfg_field){NULL};
    if (nw_cfg_read(nw_config_root(c->cfg), table, &c->f, err) < 0)
        goto fail;

    if (c->f.log_level[0]) {
        int lvl = nw_log_level_parse(c->f.log_level);
        if (lvl < 0) {
            nw_cfg_error(nw_cfg_get(nw_config_root(c->cfg), "log_level"), err, NW_EINVAL,
                         "expected error, warn, info or debug, got '%s'", c->f.log_level);
            goto fail;
        }
    }
    if (c->f.max_message_bytes < 1024) {
        nw_cfg_error(nw_cfg_get(nw_config_root(c->cfg), "max_message_bytes"), err, NW_EINVAL,
                     "expected at least 1KiB");
        goto fail;
    }
    http_fields hf = {0};
    if (nw_cfg_read(c->f.http, http_table, &hf, err) < 0)
        goto fail;
    if (!(c->listen = strdup(hf.listen)))
        goto oom;
    if (nw_http_check_listen(c->listen, err) < 0) {
        where_is(c, c->f.http, "listen", err);
        goto fail;
    }
    if (!(c->route = nw_route_from_config(c->f.routing, err)))
        goto fail;
    for (size_t i = 0; i < nkinds && i < MAX_KINDS; i++)
        if (kinds[i].from_config(c->f.kinds[i], &c->inputs, &c->ninputs, err) < 0)
            goto fail;
    if (c->ninputs == 0)
        nw_log_warn("producer", "no inputs configured (spools: is empty) config=%s",
                    opts->config_path);
    if (!(c->kconf = make_kafka_conf(c, opts->brokers, err)))
        goto fail;
    if (nw_publisher_check_conf(c->kconf, err) < 0) {
        where_is(c, c->f.kafka, "acks", err);
        goto fail;
    }
    return c;

oom:
    nw_err_set(err, NW_ENOMEM, "out of memory");
fail:
    svc_conf_free(c);
    return NULL;
}

int nw_service_check_config(const nw_service_opts *opts, nw_err *err)
{
    svc_conf *c = load_conf(opts, err);
    if (!c)
        return err ? err->code : NW_EINVAL;
    svc_conf_free(c);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The service                                                              */
/* ------------------------------------------------------------------------ */

typedef struct svc {
    const nw_service_opts *opts;
    nw_metrics *metrics;
    nw_http *http;
    nw_publisher *pub;
    nw_input_env env;
    nw_input **active;
    size_t nactive;
    nw_input **retiring;
    size_t nretiring;
    int64_t shutdown_ms;
    int sig_fd;
    int kq_fd[2]; /* librdkafka wake-up pipe */
    rd_kafka_queue_t *mainq;

    /* shared with the probe and HTTP threads */
    atomic_bool kafka_up;
    atomic_int not_ready; /* 0 = ready, else a reason code below */
    atomic_bool stop_probe;
    pthread_t probe;
    bool probe_started;
    bool notified_ready;
    bool trimmed;          /* memory given back since the inputs were last busy */
    int64_t idle_since_ms; /* -1 while busy */

    /* what needs a restart, as it was at start (a reload says what of it
     * changed and was not applied): kafka.* as "key=value" lines, and
     * http.listen. Owned; values are never logged. */
    char *restart_kafka, *restart_listen;

    nw_counter *acked, *failed, *reloads_ok, *reloads_err;
    nw_histogram *latency;
    nw_gauge *queue_depth, *pending, *in_flight, *ready_g, *kafka_g;
} svc;

enum { NR_READY = 0, NR_KAFKA, NR_INPUTS, NR_STOPPING, NR_STARTING };

static const char *not_ready_reason(int code)
{
    switch (code) {
    case NR_KAFKA: return "not connected to Kafka";
    case NR_INPUTS: return "an input is not watching its source";
    case NR_STOPPING: return "shutting down";
    case NR_STARTING: return "starting";
    default: return "ready";
    }
}

static bool http_ready(void *ctx, char *reason, size_t len)
{
    svc *s = ctx;
    int code = atomic_load(&s->not_ready);
    if (code != NR_READY)
        snprintf(reason, len, "%s", not_ready_reason(code));
    return code == NR_READY;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_delivery(void *ctx, nw_publish_ticket *ticket, const char *topic, int kerr,
                        int64_t latency_us)
{
    svc *s = ctx;
    s->env.reports++;
    if (kerr) {
        nw_counter_inc(s->failed);
    } else {
        nw_counter_inc(s->acked);
        if (latency_us >= 0)
            nw_histogram_observe(s->latency, (double)latency_us / 1e6);
    }
}

/* Kafka reachability, probed off the loop thread. */
static void *probe_main(void *arg)
{
    svc *s = arg;
    rd_kafka_t *rk = nw_publisher_rk(s->pub);
    while (!atomic_load(&s->stop_probe)) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, 2000);
        if (md)
            rd_kafka_metadata_destroy(md);
        bool up = e == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (up != atomic_load(&s->kafka_up))
            nw_log(up ? NW_LOG_INFO : NW_LOG_WARN, "producer", "kafka %s error=\"%s\"",
                   up ? "reachable" : "unreachable", up ? "" : rd_kafka_err2str(e));
        atomic_store(&s->kafka_up, up);
        for (int i = 0; i < 10 && !atomic_load(&s->stop_probe); i++)
            usleep(up ? 100000 : 50000);
    }
    return NULL;
}

static void register_metrics(svc *s)
{
    nw_metrics *m = s->metrics;
    s->acked = nw_metrics_counter(m, "newswire_producer_messages_acked_total",
                                  "Messages with a successful delivery report", NULL);
    s->failed = nw_metrics_counter(m, "newswire_producer_messages_failed_total",
                                   "Messages with a failed delivery report", NULL);
    s->reloads_ok = nw_metrics_counter(m, "newswire_producer_reloads_total",
                                       "Configuration reloads (SIGHUP)", "result=\"ok\"");
    s->reloads_err = nw_metrics_counter(m, "newswire_producer_reloads_total",
                                        "Configuration reloads (SIGHUP)", "result=\"error\"");
    static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,    1,     2.5,  5,     10,   30};
    s->latency = nw_metrics_histogram(m, "newswire_producer_delivery_latency_seconds",
                                      "Time from send to delivery report", NULL, buckets,
                                      sizeof buckets / sizeof buckets[0]);
    s->queue_depth = nw_metrics_gauge(m, "newswire_producer_queue_depth",
                                      "Messages and requests in librdkafka's queues", NULL);
    s->pending = nw_metrics_gauge(m, "newswire_producer_messages_pending",
                                  "Messages waiting for a delivery report", NULL);
    s->in_flight = nw_metrics_gauge(m, "newswire_producer_files_in_flight",
                                    "Input items (spool files, feed items) taken in and not "
                                    "yet moved to done or failed",
                                    NULL);
    s->ready_g = nw_metrics_gauge(m, "newswire_producer_ready", "1 when /readyz says ready", NULL);
    s->kafka_g = nw_metrics_gauge(m, "newswire_producer_kafka_up",
                                  "1 when the last metadata request succeeded", NULL);
}

static size_t total_in_flight(const svc *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nactive; i++)
        n += s->active[i]->ops->in_flight(s->active[i]);
    for (size_t i = 0; i < s->nretiring; i++)
        n += s->retiring[i]->ops->in_flight(s->retiring[i]);
    return n;
}

static void update_state(svc *s, bool stopping)
{
    bool inputs_ok = true;
    for (size_t i = 0; i < s->nactive; i++)
        if (!s->active[i]->ops->ready(s->active[i]))
            inputs_ok = false;
    bool kafka = atomic_load(&s->kafka_up);
    int code = stopping ? NR_STOPPING : !kafka ? NR_KAFKA : !inputs_ok ? NR_INPUTS : NR_READY;
    atomic_store(&s->not_ready, code);
    nw_gauge_set(s->ready_g, code == NR_READY);
    nw_gauge_set(s->kafka_g, kafka);
    nw_gauge_set(s->queue_depth, rd_kafka_outq_len(nw_publisher_rk(s->pub)));
    nw_gauge_set(s->pending, (double)nw_publisher_pending(s->pub));
    nw_gauge_set(s->in_flight, (double)total_in_flight(s));
    if (code == NR_READY && !s->notified_ready) {
        s->notified_ready = true;
        nw_sd_notify("READY=1\nSTATUS=publishing");
        nw_log_info("producer", "ready inputs=%zu", s->nactive);
    }
}

/* The Kafka client, made on its own thread during start-up. */
typedef struct pub_start {
    rd_kafka_conf_t *kconf; /* owned until rd_kafka_new() takes it */
    nw_publish_opts opts;
    nw_publisher *pub;
    nw_err err;
    pthread_t thread;
    bool started; /* on a thread (else made inline) */
} pub_start;

static void *pub_start_main(void *arg)
{
    pub_start *ps = arg;
    ps->pub = nw_publisher_new(ps->kconf, &ps->opts, &ps->err);
    if (ps->pub)
        ps->kconf = NULL; /* rd_kafka_new() succeeded: the producer owns it */
    return NULL;
}

/* Wait for the client: on success it becomes the service's publisher (and
 * the inputs' env.pub); on failure its error goes to err (when given) and
 * the configuration goes back to c, which frees it. Returns 0 or the error
 * code. */
static int pub_start_join(pub_start *ps, svc *s, svc_conf *c, nw_err *err)
{
    if (ps->started)
        pthread_join(ps->thread, NULL);
    ps->started = false;
    c->kconf = ps->kconf;
    ps->kconf = NULL;
    s->pub = s->env.pub = ps->pub;
    if (s->pub)
        return 0;
    if (err)
        *err = ps->err;
    return ps->err.code ? ps->err.code : NW_EKAFKA;
}

/* Inputs started before the client was up open their default topics now. */
static void warm_inputs(svc *s)
{
    for (size_t i = 0; i < s->nactive; i++)
        if (s->active[i]->ops->warm)
            s->active[i]->ops->warm(s->active[i], &s->env);
}

static int start_inputs(svc *s, nw_input **list, size_t n, nw_err *err)
{
    for (size_t i = 0; i < n; i++) {
        nw_input_bind_metrics(list[i], s->metrics);
        if (list[i]->ops->start(list[i], &s->env, err) < 0)
            return err ? err->code : NW_EIO;
    }
    return 0;
}

static int append_input(nw_input ***arr, size_t *n, nw_input *in)
{
    nw_input **g = realloc(*arr, (*n + 1) * sizeof *g);
    if (!g)
        return NW_ENOMEM;
    *arr = g;
    g[(*n)++] = in;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Settings a reload cannot apply                                           */
/* ------------------------------------------------------------------------ */

/* kafka.* of a config as "key=value\n" lines (nested maps dotted, lists
 * joined with ','), so that two configs compare key by key. */
static void kafka_lines(const nw_cfg_node *map, const char *prefix, nw_buf *out)
{
    for (size_t i = 0; map && nw_cfg_kind_of(map) == NW_CFG_MAP && i < nw_cfg_len(map); i++) {
        const nw_cfg_node *v = nw_cfg_value_at(map, i);
        char key[512];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", nw_cfg_key_at(map, i));
        if (nw_cfg_kind_of(v) == NW_CFG_MAP) {
            kafka_lines(v, key, out);
            continue;
        }
        nw_buf_printf(out, "%s=", key);
        size_t n = nw_cfg_kind_of(v) == NW_CFG_SEQ ? nw_cfg_len(v) : 1;
        for (size_t k = 0; k < n; k++) {
            const char *val =
                nw_cfg_scalar(nw_cfg_kind_of(v) == NW_CFG_SEQ ? nw_cfg_item(v, k) : v);
            nw_buf_printf(out, "%s%s", k ? "," : "", val ? val : "");
        }
        nw_buf_putc(out, '\n');
    }
}

static char *kafka_text(const nw_cfg_node *kafka)
{
    nw_buf b = NW_BUF_INIT;
    kafka_lines(kafka, "", &b);
    return nw_buf_take(&b);
}

/* The value of `key` in kafka_text lines (a pointer to it, its length in
 * *len), or NULL. */
static const char *kafka_value(const char *text, const char *key, size_t klen, size_t *len)
{
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            *len = (size_t)(eol - p) - klen - 1;
            return p + klen + 1;
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* The keys of `a` whose value is not the same in `b` (or missing there),
 * appended to out as ", kafka.<key>". */
static void kafka_changed(const char *a, const char *b, nw_buf *out, bool missing_only)
{
    for (const char *p = a; p && *p;) {
        const char *eq = strchr(p, '='), *eol = strchr(p, '\n');
        size_t klen = (size_t)(eq - p), blen = 0;
        const char *bv = kafka_value(b, p, klen, &blen);
        size_t alen = (size_t)(eol - eq) - 1;
        if (!bv || (!missing_only && (blen != alen || memcmp(bv, eq + 1, alen))))
            nw_buf_printf(out, ", kafka.%.*s", (int)klen, p);
        p = eol + 1;
    }
}

/* Log what of a reloaded config needs a restart and was not applied. */
static void tell_not_applied(const svc *s, const svc_conf *c)
{
    char *now = kafka_text(c->f.kafka);
    nw_buf changed = NW_BUF_INIT;
    if (now && s->restart_kafka) {
        kafka_changed(now, s->restart_kafka, &changed, false);
        kafka_changed(s->restart_kafka, now, &changed, true);
    }
    if (s->restart_listen && strcmp(s->restart_listen, c->listen))
        nw_buf_puts(&changed, ", http.listen");
    if (changed.len)
        nw_log_warn("producer",
                    "reload: settings that need a restart changed and were NOT applied "
                    "not_applied=\"%s\"",
                    nw_buf_str(&changed) + 2);
    nw_buf_free(&changed);
    free(now);
}

/* SIGHUP: validate, then swap routing and reconcile inputs. */
static void reload(svc *s)
{
    nw_sd_notify("RELOADING=1\nSTATUS=reloading");
    nw_err err = {0};
    svc_conf *c = load_conf(s->opts, &err);
    if (!c) {
        nw_log_error("producer", "reload refused, keeping the running config error=\"%s\"",
                     err.msg);
        nw_counter_inc(s->reloads_err);
        nw_sd_notify("READY=1\nSTATUS=publishing (last reload failed)");
        return;
    }
    /* which fresh inputs are new sources, which continue an active one */
    size_t n = c->ninputs;
    nw_input **match = calloc(n ? n : 1, sizeof *match);
    bool *kept = calloc(s->nactive ? s->nactive : 1, sizeof *kept);
    nw_input **started = NULL;
    size_t nstarted = 0;
    if (!match || !kept)
        goto oom;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s->nactive && !match[i]; j++)
            if (!kept[j] && s->active[j]->ops == c->inputs[i]->ops &&
                s->active[j]->ops->same_source(s->active[j], c->inputs[i])) {
                match[i] = s->active[j];
                kept[j] = true;
            }
    /* start the new sources first: a failure leaves everything as it was */
    for (size_t i = 0; i < n; i++) {
        if (match[i])
            continue;
        if (append_input(&started, &nstarted, c->inputs[i]) < 0)
            goto oom;
        c->inputs[i] = NULL;
        nw_input_bind_metrics(started[nstarted - 1], s->metrics);
        if (started[nstarted - 1]->ops->start(started[nstarted - 1], &s->env, &err) < 0) {
            nw_log_error("producer", "reload refused, keeping the running config error=\"%s\"",
                         err.msg);
            nw_counter_inc(s->reloads_err);
            nw_input_list_free(started, nstarted);
            free(match);
            free(kept);
            svc_conf_free(c);
            nw_sd_notify("READY=1\nSTATUS=publishing (last reload failed)");
            return;
        }
    }
    /* commit: routing and limits first, then the inputs */
    nw_route_free((nw_route *)s->env.route);
    s->env.route = c->route;
    c->route = NULL;
    s->env.max_message_bytes = c->f.max_message_bytes;
    s->env.max_pending = (size_t)c->f.max_inflight;
    s->shutdown_ms = c->f.shutdown_ms;
    if (c->f.log_level[0])
        nw_log_set_level((nw_log_level)nw_log_level_parse(c->f.log_level));
    nw_input **next = NULL;
    size_t nnext = 0;
    for (size_t i = 0; i < n; i++) {
        if (match[i]) {
            match[i]->ops->adopt(match[i], c->inputs[i]);
            nw_input_bind_metrics(match[i], s->metrics);
            append_input(&next, &nnext, match[i]);
        }
    }
    for (size_t i = 0; i < nstarted; i++)
        append_input(&next, &nnext, started[i]);
    for (size_t j = 0; j < s->nactive; j++)
        if (!kept[j]) {
            nw_log_info("producer", "input removed, finishing its files input=%s in_flight=%zu",
                        s->active[j]->name, s->active[j]->ops->in_flight(s->active[j]));
            append_input(&s->retiring, &s->nretiring, s->active[j]);
        }
    free(s->active);
    s->active = next;
    s->nactive = nnext;
    free(started);
    free(match);
    free(kept);
    nw_log_info("producer", "reloaded config=%s inputs=%zu retiring=%zu", s->opts->config_path,
                s->nactive, s->nretiring);
    tell_not_applied(s, c);
    nw_counter_inc(s->reloads_ok);
    svc_conf_free(c);
    nw_sd_notify("READY=1\nSTATUS=publishing");
    return;

oom:
    nw_log_error("producer", "reload failed: out of memory");
    nw_input_list_free(started, nstarted);
    free(match);
    free(kept);
    svc_conf_free(c);
    nw_sd_notify("READY=1");
}

/* Run every input once; free retiring inputs that have settled everything. */
static void run_inputs(svc *s, int64_t now)
{
    for (size_t i = 0; i < s->nactive; i++)
        if (s->active[i]->ops->run(s->active[i], &s->env, now) < 0)
            nw_log_warn("producer", "input run failed input=%s", s->active[i]->name);
    if (s->nretiring) {
        nw_input_env quiet = s->env;
        quiet.intake = false;
        for (size_t i = 0; i < s->nretiring;) {
            nw_input *in = s->retiring[i];
            in->ops->run(in, &quiet, now);
            if (in->ops->in_flight(in) == 0) {
                nw_log_info("producer", "input retired input=%s", in->name);
                in->ops->free(in);
                s->retiring[i] = s->retiring[--s->nretiring];
            } else {
                i++;
            }
        }
    }
}

static int wait_timeout(const svc *s, int64_t now, bool draining)
{
    int64_t t = 1000;
    for (size_t i = 0; i < s->nactive; i++) {
        int64_t w = s->active[i]->ops->wait_ms(s->active[i], &s->env, now);
        if (w >= 0 && w < t)
            t = w;
    }
    if ((s->nretiring || draining || nw_publisher_pending(s->pub)) && t > 100)
        t = 100;
    return (int)t;
}

/* Serve delivery reports; the wake-up pipe is emptied first when poll(2)
 * said it holds something (reading it only then saves a system call per
 * loop turn). */
static void serve_kafka(svc *s, bool woken)
{
    char buf[256];
    while (woken && read(s->kq_fd[0], buf, sizeof buf) == (ssize_t)sizeof buf)
        ;
    nw_publisher_poll(s->pub);
}

static int handle_signals(svc *s, bool *draining, int64_t *deadline)
{
    struct signalfd_siginfo si;
    while (read(s->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            if (*draining)
                nw_log_info("producer", "SIGHUP ignored while shutting down");
            else
                reload(s);
        } else if (!*draining) {
            *draining = true;
            s->env.intake = false;
            *deadline = mono_ms() + s->shutdown_ms;
            nw_sd_notify("STOPPING=1\nSTATUS=draining");
            nw_log_info("producer",
                        "stopping: intake stopped, waiting for delivery reports signal=%s "
                        "pending=%zu in_flight=%zu timeout_ms=%lld",
                        si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM", nw_publisher_pending(s->pub),
                        total_in_flight(s), (long long)s->shutdown_ms);
        }
    }
    return 0;
}

/* Once the work of a burst is done (nothing in flight, nothing pending),
 * the memory its files took goes back to the system: glibc keeps freed heap
 * (in every thread's arena) otherwise, and a producer that parsed a few
 * large files stayed at gigabytes while idle. Once per idle period. */
static void give_back_when_idle(svc *s)
{
    bool idle = total_in_flight(s) == 0 && (!s->pub || nw_publisher_pending(s->pub) == 0);
    int64_t now = mono_ms();
    if (!idle) {
        s->idle_since_ms = -1;
        return;
    }
    if (s->idle_since_ms < 0)
        s->idle_since_ms = now;
    /* a second later: the loader threads free the last stories they get
     * back after the loop saw the work done */
    if (now - s->idle_since_ms >= 1000 && !s->trimmed) {
        malloc_trim(0);
        s->trimmed = true;
    } else if (now - s->idle_since_ms < 1000) {
        s->trimmed = false;
    }
}

static void loop(svc *s)
{
    bool draining = false;
    int64_t deadline = 0;
    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    for (;;) {
        int64_t now = mono_ms();
        size_t nfds = 2 + s->nactive + s->nretiring;
        if (nfds > pcap) {
            struct pollfd *g = realloc(pfd, nfds * sizeof *g);
            if (g) {
                pfd = g;
                pcap = nfds;
            } else {
                nfds = pcap;
            }
        }
        size_t k = 0;
        if (pcap >= 2) {
            pfd[k++] = (struct pollfd){.fd = s->sig_fd, .events = POLLIN};
            pfd[k++] = (struct pollfd){.fd = s->kq_fd[0], .events = POLLIN};
            for (size_t i = 0; i < s->nactive && k < pcap; i++)
                pfd[k++] =
                    (struct pollfd){.fd = s->active[i]->ops->fd(s->active[i]), .events = POLLIN};
            for (size_t i = 0; i < s->nretiring && k < pcap; i++)
                pfd[k++] = (struct pollfd){.fd = s->retiring[i]->ops->fd(s->retiring[i]),
                                           .events = POLLIN};
        }
        int timeout = wait_timeout(s, now, draining);
        int np = k ? poll(pfd, k, timeout) : 0;
        if (np < 0 && errno != EINTR)
            nw_log_error("producer", "poll: %s", strerror(errno));
        else if (!k)
            usleep(10000);
        bool polled = k >= 2 && np >= 0; /* revents are valid */

        serve_kafka(s, !polled || pfd[1].revents);
        if (!polled || pfd[0].revents)
            handle_signals(s, &draining, &deadline);
        run_inputs(s, mono_ms());
        update_state(s, draining);
        give_back_when_idle(s);

        if (draining) {
            size_t left = total_in_flight(s), pending = nw_publisher_pending(s->pub);
            if (left == 0 && pending == 0) {
                nw_log_info("producer", "stopped cleanly: every delivery report received");
                break;
            }
            if (mono_ms() >= deadline) {
                nw_log_warn("producer",
                            "shutdown timeout: files stay in incoming/ and are sent again at "
                            "the next start in_flight=%zu pending=%zu",
                            left, pending);
                break;
            }
        }
    }
    free(pfd);
}

static void svc_cleanup(svc *s)
{
    if (s->probe_started) {
        atomic_store(&s->stop_probe, true);
        pthread_join(s->probe, NULL);
    }
    nw_http_stop(s->http);
    /* The publisher goes first: a delivery report librdkafka still hands out
     * while it shuts down (after a shutdown timeout) must find the inputs'
     * tickets alive. */
    if (s->mainq)
        rd_kafka_queue_destroy(s->mainq);
    nw_publisher_free(s->pub);
    nw_input_list_free(s->active, s->nactive);
    nw_input_list_free(s->retiring, s->nretiring);
    nw_route_free((nw_route *)s->env.route);
    nw_metrics_free(s->metrics);
    free(s->restart_kafka);
    free(s->restart_listen);
    for (int i = 0; i < 2; i++)
        if (s->kq_fd[i] >= 0)
            close(s->kq_fd[i]);
    if (s->sig_fd >= 0)
        close(s->sig_fd);
}

int nw_service_run(const nw_service_opts *opts, nw_err *err)
{
    svc s = {.opts = opts, .sig_fd = -1, .kq_fd = {-1, -1}, .idle_since_ms = -1};
    atomic_init(&s.kafka_up, false);
    atomic_init(&s.not_ready, NR_STARTING);
    atomic_init(&s.stop_probe, false);

    /* every thread created from here on inherits the blocked mask */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0 ||
        (s.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
        return nw_err_set(err, NW_EIO, "signalfd: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN);

    svc_conf *c = load_conf(opts, err);
    if (!c) {
        close(s.sig_fd);
        return err && err->code ? err->code : NW_EINVAL;
    }
    if (c->f.log_level[0])
        nw_log_set_level((nw_log_level)nw_log_level_parse(c->f.log_level));
    int rc = 0;
    if (!(s.metrics = nw_metrics_new())) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    register_metrics(&s);
    s.restart_kafka = kafka_text(c->f.kafka);
    s.restart_listen = strdup(c->listen);
    /* no thread of ours runs yet: the setenv in there is safe */
    if (nw_kafka_skip_sasl_plugins(c->kconf))
        nw_log_debug("producer", "Cyrus SASL plugins not loaded (no SASL login configured)");
    /* The Kafka client starts on its own thread while this one opens the
     * HTTP endpoint and the inputs (a spool's first scan): start-up is the
     * longer of the two, not their sum. */
    pub_start ps = {.kconf = c->kconf,
                    .opts = {.topic_prefix = nw_route_prefix(c->route),
                             .on_delivery = on_delivery,
                             .on_delivery_ctx = &s}};
    c->kconf = NULL; /* pub_start's until joined */
    ps.started = pthread_create(&ps.thread, NULL, pub_start_main, &ps) == 0;
    if (!ps.started)
        pub_start_main(&ps);

    s.env = (nw_input_env){.pub = NULL, /* set when the client is up, before the loop */
                           .route = c->route,
                           .metrics = s.metrics,
                           .max_message_bytes = c->f.max_message_bytes,
                           .max_pending = (size_t)c->f.max_inflight,
                           .intake = true};
    c->route = NULL;
    s.shutdown_ms = c->f.shutdown_ms;
    s.active = c->inputs;
    s.nactive = c->ninputs;
    c->inputs = NULL;
    c->ninputs = 0;

    if (!(s.http = nw_http_start(c->listen, s.metrics, http_ready, &s, err))) {
        nw_err_prefix(err, "http.listen: ");
        rc = err && err->code ? err->code : NW_EIO;
        pub_start_join(&ps, &s, c, NULL);
        goto out;
    }
    if (start_inputs(&s, s.active, s.nactive, err) < 0) {
        rc = err && err->code ? err->code : NW_EIO;
        pub_start_join(&ps, &s, c, NULL);
        goto out;
    }
    if ((rc = pub_start_join(&ps, &s, c, err)) < 0)
        goto out;

    /* delivery reports wake poll(2) through this pipe */
    if (pipe2(s.kq_fd, O_NONBLOCK | O_CLOEXEC) < 0) {
        rc = nw_err_set(err, NW_EIO, "pipe: %s", strerror(errno));
        goto out;
    }
    s.mainq = rd_kafka_queue_get_main(nw_publisher_rk(s.pub));
    rd_kafka_queue_io_event_enable(s.mainq, s.kq_fd[1], "1", 1);
    warm_inputs(&s);
    if (pthread_create(&s.probe, NULL, probe_main, &s) != 0) {
        rc = nw_err_set(err, NW_EIO, "cannot start the Kafka probe thread");
        goto out;
    }
    s.probe_started = true;
    pthread_setname_np(s.probe, "nw-kafka-probe");
    nw_log_info("producer", "started config=%s inputs=%zu http=%s http_port=%d", opts->config_path,
                s.nactive, c->listen, nw_http_port(s.http));
    nw_sd_notify("STATUS=waiting for Kafka");
    svc_conf_free(c);
    c = NULL;

    loop(&s);

out:
    svc_conf_free(c);
    svc_cleanup(&s);
    return rc;
}
