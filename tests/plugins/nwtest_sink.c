/*
 * nwtest-sink — a test sink loaded by path that fails on demand. Settings:
 *   record: FILE             on every flush, append "topic partition offset uri"
 *                            lines for the stories written since the last flush
 *                            (one write(2) per flush, O_APPEND, so instances of
 *                            several workers can share the file)
 *   fail_while_exists: FILE  write() answers NW_PLUGIN_RETRY while FILE exists
 *   retries: N               the first N write() calls answer NW_PLUGIN_RETRY
 *   fatal_uri: URI           write() fails that story permanently
 *   delay_ms: N              sleep this long in every write()
 *   emit: true               forward every story through nw_plugin_api.emit
 *                            (replay mode) to "enriched.<category>"
 * Unknown keys are refused. Built against <newswire/plugin.h> alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct state {
    char record[1024];
    char fail_file[1024];
    char fatal_uri[512];
    int retries;
    long delay_ms;
    int emit;
    char *pending; /* record lines not yet flushed */
    size_t plen, pcap;
    const nw_plugin_api *api;
    const char *name;
} state;

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    return (*end || end == v || errno) ? -1 : 0;
}

static void *sink_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->api = cfg->api;
    s->name = cfg->instance_name;
    for (size_t i = 0; i < cfg->setting_count; i++) {
        const nw_plugin_setting *kv = &cfg->settings[i];
        long v = 0;
        if (!strcmp(kv->key, "record")) {
            snprintf(s->record, sizeof s->record, "%s", kv->value);
        } else if (!strcmp(kv->key, "fail_while_exists")) {
            snprintf(s->fail_file, sizeof s->fail_file, "%s", kv->value);
        } else if (!strcmp(kv->key, "fatal_uri")) {
            snprintf(s->fatal_uri, sizeof s->fatal_uri, "%s", kv->value);
        } else if (!strcmp(kv->key, "emit")) {
            s->emit = !strcmp(kv->value, "true");
        } else if (!strcmp(kv->key, "retries") || !strcmp(kv->key, "delay_ms")) {
            if (parse_long(kv->value, &v) < 0 || v < 0) {
                snprintf(err, errlen, "%s: expected a non-negative integer, got '%s'", kv->key,
                         kv->value);
                free(s);
                return NULL;
            }
            if (kv->key[0] == 'r')
                s->retries = (int)v;
            else
                s->delay_ms = v;
        } else {
            snprintf(err, errlen,
                     "unknown key '%s' (nwtest-sink accepts: record, "
                     "fail_while_exists, retries, fatal_uri, delay_ms, emit)",
                     kv->key);
            free(s);
            return NULL;
        }
    }
    return s;
}

static int append(state *s, const char *line, size_t len)
{
    if (s->plen + len > s->pcap) {
        size_t cap = (s->pcap + len) * 2;
        char *p = realloc(s->pending, cap);
        if (!p)
            return -1;
        s->pending = p;
        s->pcap = cap;
    }
    memcpy(s->pending + s->plen, line, len);
    s->plen += len;
    return 0;
}

static nw_plugin_status sink_write(void *st, nw_plugin_msg *const *batch, size_t count,
                                   size_t *failed_index, char *err, size_t errlen)
{
    state *s = st;
    if (s->delay_ms) {
        struct timespec ts = {s->delay_ms / 1000, (s->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (s->retries > 0) {
        s->retries--;
        snprintf(err, errlen, "simulated outage (%d more)", s->retries);
        return NW_PLUGIN_RETRY;
    }
    if (s->fail_file[0] && access(s->fail_file, F_OK) == 0) {
        snprintf(err, errlen, "simulated outage while %s exists", s->fail_file);
        return NW_PLUGIN_RETRY;
    }
    for (size_t i = 0; i < count; i++) {
        const nw_plugin_msg *m = batch[i];
        if (s->fatal_uri[0] && !strcmp(m->uri, s->fatal_uri)) {
            *failed_index = i;
            snprintf(err, errlen, "simulated permanent failure for %s", m->uri);
            return NW_PLUGIN_FATAL;
        }
        if (s->record[0]) {
            char line[1024];
            int n = snprintf(line, sizeof line, "%s %d %lld %s\n", m->topic, (int)m->partition,
                             (long long)m->offset, m->uri);
            if (n < 0 || (size_t)n >= sizeof line || append(s, line, (size_t)n) < 0) {
                *failed_index = i;
                snprintf(err, errlen, "record line too long or out of memory");
                return NW_PLUGIN_FATAL;
            }
        }
        if (s->emit && s->api->emit) {
            char topic[300];
            snprintf(topic, sizeof topic, "enriched.%s", m->category);
            nw_plugin_header h[64];
            size_t nh = 0;
            for (size_t k = 0; k < m->header_count && nh < 63; k++)
                h[nh++] = m->headers[k];
            h[nh++] = (nw_plugin_header){"nwtest-sink", s->name, strlen(s->name)};
            if (s->api->emit(s->api->host, topic, m->uri, m->json, m->json_len, h, nh) < 0) {
                snprintf(err, errlen, "emit failed");
                return NW_PLUGIN_RETRY;
            }
        }
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status sink_flush(void *st, char *err, size_t errlen)
{
    state *s = st;
    if (!s->plen || !s->record[0])
        return NW_PLUGIN_OK;
    int fd = open(s->record, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", s->record, strerror(errno));
        return NW_PLUGIN_RETRY;
    }
    ssize_t w = write(fd, s->pending, s->plen);
    close(fd);
    if (w != (ssize_t)s->plen) {
        snprintf(err, errlen, "%s: short write", s->record);
        return NW_PLUGIN_RETRY;
    }
    s->plen = 0;
    return NW_PLUGIN_OK;
}

static void sink_destroy(void *st)
{
    state *s = st;
    free(s->pending);
    free(s);
}

const nw_plugin_descriptor nw_plugin_entry = {
    .abi_version = NW_PLUGIN_ABI_VERSION,
    .name = "nwtest-sink",
    .kind = NW_PLUGIN_SINK,
    .description = "test sink: records, fails on demand, emits in replay mode",
    .init = sink_init,
    .write = sink_write,
    .flush = sink_flush,
    .destroy = sink_destroy,
};
