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
 *   partitions: true         record "+topic partition" / "-topic partition"
 *                            lines when partitions are assigned / revoked
 * Unknown keys are refused (by the host, from the config map). Built
 * against <newswire/plugin.h> alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct conf {
    const char *record, *fail_while_exists, *fatal_uri;
    int64_t retries, delay_ms;
    bool emit, partitions;
} conf;

static const nw_plugin_config_entry config_map[] = {
    {.key = "record",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(conf, record),
     .description = "file the flushed stories are appended to"},
    {.key = "fail_while_exists",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(conf, fail_while_exists),
     .description = "write() answers NW_PLUGIN_RETRY while this file exists"},
    {.key = "retries",
     .type = NW_PLUGIN_T_INT,
     .default_value = "0",
     .min = 0,
     .max = 1000000,
     .offset = offsetof(conf, retries),
     .description = "the first N write() calls answer NW_PLUGIN_RETRY"},
    {.key = "fatal_uri",
     .type = NW_PLUGIN_T_STRING,
     .offset = offsetof(conf, fatal_uri),
     .description = "write() fails this story permanently"},
    {.key = "delay_ms",
     .type = NW_PLUGIN_T_INT,
     .default_value = "0",
     .min = 0,
     .max = 600000,
     .offset = offsetof(conf, delay_ms),
     .description = "sleep this long in every write()"},
    {.key = "emit",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(conf, emit),
     .description = "forward every story through emit() (replay mode)"},
    {.key = "partitions",
     .type = NW_PLUGIN_T_BOOL,
     .default_value = "false",
     .offset = offsetof(conf, partitions),
     .description = "append \"+topic partition\" / \"-topic partition\" lines to record when "
                    "a partition is assigned / revoked"},
    {.key = NULL},
};

typedef struct state {
    const conf *c;
    int64_t retries;
    char *pending; /* record lines not yet flushed */
    size_t plen, pcap;
    const nw_plugin_api *api;
    const char *name;
} state;

static void *sink_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->api = cfg->api;
    s->name = cfg->instance_name;
    s->c = cfg->conf;
    s->retries = s->c->retries;
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
    const conf *c = s->c;
    if (c->delay_ms) {
        struct timespec ts = {(time_t)(c->delay_ms / 1000), (long)(c->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (s->retries > 0) {
        s->retries--;
        snprintf(err, errlen, "simulated outage (%lld more)", (long long)s->retries);
        return NW_PLUGIN_RETRY;
    }
    if (c->fail_while_exists && access(c->fail_while_exists, F_OK) == 0) {
        snprintf(err, errlen, "simulated outage while %s exists", c->fail_while_exists);
        return NW_PLUGIN_RETRY;
    }
    for (size_t i = 0; i < count; i++) {
        const nw_plugin_msg *m = batch[i];
        if (c->fatal_uri && !strcmp(m->uri, c->fatal_uri)) {
            *failed_index = i;
            snprintf(err, errlen, "simulated permanent failure for %s", m->uri);
            return NW_PLUGIN_FATAL;
        }
        if (c->record) {
            char line[1024];
            int n = snprintf(line, sizeof line, "%s %d %lld %s\n", m->topic, (int)m->partition,
                             (long long)m->offset, m->uri);
            if (n < 0 || (size_t)n >= sizeof line || append(s, line, (size_t)n) < 0) {
                *failed_index = i;
                snprintf(err, errlen, "record line too long or out of memory");
                return NW_PLUGIN_FATAL;
            }
        }
        if (c->emit && s->api->emit) {
            char topic[300];
            snprintf(topic, sizeof topic, "enriched.%s", m->category);
            nw_plugin_header h[64];
            size_t nh = 0;
            for (size_t k = 0; k < m->header_count && nh < 63; k++)
                h[nh++] = m->headers[k];
            h[nh++] = (nw_plugin_header){"nwtest-sink", s->name, strlen(s->name)};
            size_t len = 0;
            const char *text = s->api->text(m->host_ref, &len);
            if (!text || s->api->emit(s->api->host, topic, m->uri, text, len, h, nh) < 0) {
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
    if (!s->plen || !s->c->record)
        return NW_PLUGIN_OK;
    int fd = open(s->c->record, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", s->c->record, strerror(errno));
        return NW_PLUGIN_RETRY;
    }
    ssize_t w = write(fd, s->pending, s->plen);
    close(fd);
    if (w != (ssize_t)s->plen) {
        snprintf(err, errlen, "%s: short write", s->c->record);
        return NW_PLUGIN_RETRY;
    }
    s->plen = 0;
    return NW_PLUGIN_OK;
}

/* One line straight to the record file (assigned/revoked come between batches). */
static nw_plugin_status record_event(state *s, char sign, const char *topic, int32_t partition,
                                     char *err, size_t errlen)
{
    if (!s->c->partitions || !s->c->record)
        return NW_PLUGIN_OK;
    char line[512];
    int n = snprintf(line, sizeof line, "%c%s %d\n", sign, topic, (int)partition);
    int fd = open(s->c->record, O_WRONLY | O_APPEND | O_CREAT, 0644);
    ssize_t w = fd >= 0 && n > 0 ? write(fd, line, (size_t)n) : -1;
    if (fd >= 0)
        close(fd);
    if (w != n) {
        snprintf(err, errlen, "%s: cannot record a partition event", s->c->record);
        return NW_PLUGIN_FATAL;
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status sink_assigned(void *st, const char *topic, int32_t partition, char *err,
                                      size_t errlen)
{
    return record_event(st, '+', topic, partition, err, errlen);
}

static nw_plugin_status sink_revoked(void *st, const char *topic, int32_t partition, char *err,
                                     size_t errlen)
{
    return record_event(st, '-', topic, partition, err, errlen);
}

static void sink_destroy(void *st)
{
    state *s = st;
    free(s->pending);
    free(s);
}

const nw_plugin_descriptor nw_plugin_entry = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "nwtest-sink",
    .version = "1.0.0",
    NW_PLUGIN_CONFIG_MAP(config_map, conf),
    .kind = NW_PLUGIN_SINK,
    .description = "test sink: records, fails on demand, emits in replay mode",
    .init = sink_init,
    .write = sink_write,
    .flush = sink_flush,
    .destroy = sink_destroy,
    .assigned = sink_assigned,
    .revoked = sink_revoked,
};
