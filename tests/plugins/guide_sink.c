/*
 * lines-file — the minimal sink of docs/plugin-guide.md: appends every story
 * as one JSON line to a file and makes it durable in flush(). Counts stories
 * per partition and logs the count when the partition is revoked.
 */
#include <errno.h>
#include <newswire/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct conf {
    const char *file;
} conf;

static const nw_plugin_config_entry config_map[] = {
    {.key = "file",
     .type = NW_PLUGIN_T_STRING,
     .flags = NW_PLUGIN_REQUIRED,
     .offset = offsetof(conf, file),
     .description = "file the stories are appended to, one JSON line each"},
    {.key = NULL},
};

typedef struct state {
    FILE *out;
    const nw_plugin_api *api;
    uint64_t written[64]; /* stories per partition (0..63), for the revoke log */
} state;

static void *lf_init(const nw_plugin_config *cfg, char *err, size_t errlen)
{
    const conf *c = cfg->conf;
    state *s = calloc(1, sizeof *s);
    if (!s || !(s->out = fopen(c->file, "a"))) {
        snprintf(err, errlen, "file: cannot open %s: %s", c->file,
                 s ? strerror(errno) : "no memory");
        free(s);
        return NULL;
    }
    s->api = cfg->api;
    return s;
}

static nw_plugin_status lf_write(void *st, nw_plugin_msg *const *batch, size_t count,
                                 size_t *failed_index, char *err, size_t errlen)
{
    state *s = st;
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;
        const char *text = s->api->text(batch[i]->host_ref, &len); /* shared, made once */
        if (!text) {
            snprintf(err, errlen, "out of memory");
            return NW_PLUGIN_RETRY;
        }
        if (fwrite(text, 1, len, s->out) != len || fputc('\n', s->out) == EOF) {
            snprintf(err, errlen, "write: %s", strerror(errno));
            return NW_PLUGIN_RETRY; /* the host calls write() again with the same batch */
        }
        if (batch[i]->partition >= 0 && batch[i]->partition < 64)
            s->written[batch[i]->partition]++;
    }
    (void)failed_index; /* set it only with NW_PLUGIN_FATAL */
    return NW_PLUGIN_OK;
}

static nw_plugin_status lf_flush(void *st, char *err, size_t errlen)
{
    state *s = st;
    if (fflush(s->out) != 0 || fsync(fileno(s->out)) != 0) {
        snprintf(err, errlen, "flush: %s", strerror(errno));
        return NW_PLUGIN_RETRY; /* offsets stay uncommitted until this is OK */
    }
    return NW_PLUGIN_OK;
}

static nw_plugin_status lf_revoked(void *st, const char *topic, int32_t partition, char *err,
                                   size_t errlen)
{
    state *s = st;
    (void)err, (void)errlen;
    if (partition >= 0 && partition < 64)
        s->api->log(s->api->host, 2, "%s/%d revoked after %llu stories", topic, (int)partition,
                    (unsigned long long)s->written[partition]);
    return NW_PLUGIN_OK;
}

static void lf_destroy(void *st)
{
    state *s = st;
    fclose(s->out);
    free(s);
}

const nw_plugin_descriptor nw_plugin_entry = {
    NW_PLUGIN_DESCRIPTOR_HEAD,
    .name = "lines-file",
    .version = "1.0.0",
    .kind = NW_PLUGIN_SINK,
    .description = "append stories as JSON lines to one file",
    NW_PLUGIN_CONFIG_MAP(config_map, conf),
    .init = lf_init,
    .write = lf_write,
    .flush = lf_flush,
    .destroy = lf_destroy,
    .revoked = lf_revoked,
};
