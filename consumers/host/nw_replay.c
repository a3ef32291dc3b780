/*
 * nw_replay — a plugin chain over a JSON-lines file, writing what it
 * forwards as JSON lines. See nw_replay.h.
 */
#include "nw_replay.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_chain.h"
#include "nw_consumer_conf.h"
#include "nw_json.h"
#include "nw_kafka.h"
#include "nw_log.h"
#include "nw_ninjs.h"
#include "nw_story.h"

#define MOD "replay"

typedef struct replay {
    const nw_replay_opts *opts;
    const char *topic_prefix;
    FILE *out, *dlq;
    bool out_owned, dlq_owned;
    bool out_failed;
    nw_replay_stats *stats;
} replay;

/* ------------------------------------------------------------------ output */

/* A header value or key as a JSON string; bytes that are not UTF-8 become
 * null rather than a line that is not JSON. */
static json_t *string_or_null(const void *v, size_t len)
{
    json_t *s = v ? json_stringn(v, len) : NULL;
    return s ? s : json_null();
}

static int write_line(FILE *f, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    int rc = text && fputs(text, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
    free(text);
    return rc;
}

static int on_emit(void *ctx, const char *instance, const char *topic, const char *key,
                   const void *value, size_t value_len, const nw_plugin_header *headers,
                   size_t header_count)
{
    replay *r = ctx;
    json_t *rec = json_object();
    json_object_set_new(rec, "topic", json_string(topic));
    json_object_set_new(rec, "key", key ? string_or_null(key, strlen(key)) : json_null());
    json_t *hs = json_array();
    for (size_t i = 0; i < header_count; i++) {
        json_t *pair = json_array();
        json_array_append_new(pair, json_string(headers[i].name ? headers[i].name : ""));
        json_array_append_new(pair, string_or_null(headers[i].value, headers[i].value_len));
        json_array_append_new(hs, pair);
    }
    json_object_set_new(rec, "headers", hs);
    json_t *v = value ? nw_json_loadb(value, value_len, 0, NULL) : NULL;
    json_object_set_new(rec, "value", v ? v : string_or_null(value, value_len));
    int rc = write_line(r->out, rec);
    json_decref(rec);
    if (rc < 0) {
        r->out_failed = true;
        nw_log_error(MOD, "cannot write to the output plugin=%s error=\"%s\"", instance,
                     strerror(errno));
        return -1;
    }
    r->stats->emitted++;
    return 0;
}

/* A line that is not a story, or a story that failed permanently. */
static void dead_line(replay *r, uint64_t line, const char *plugin, const char *why,
                      const char *raw, size_t raw_len)
{
    if (r->dlq) {
        json_t *rec = json_object();
        json_object_set_new(rec, "line", json_integer((json_int_t)line));
        json_object_set_new(rec, "error", json_string(why));
        if (plugin)
            json_object_set_new(rec, "plugin", json_string(plugin));
        json_object_set_new(rec, "raw", string_or_null(raw, raw_len));
        if (write_line(r->dlq, rec) < 0)
            nw_log_error(MOD, "cannot write to the dead-letter file line=%llu error=\"%s\"",
                         (unsigned long long)line, why);
        json_decref(rec);
    } else {
        fprintf(stderr, "%s:%llu: %s%s%s\n", r->opts->in_path, (unsigned long long)line,
                plugin ? plugin : "", plugin ? ": " : "", why);
    }
}

static int sync_file(FILE *f, const char *what, nw_err *err)
{
    if (fflush(f) != 0)
        return nw_err_set(err, NW_EIO, "%s: %s", what, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && fsync(fileno(f)) != 0)
        return nw_err_set(err, NW_EIO, "%s: fsync: %s", what, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------- input */

/* Build the chain message for one line; on a bad line returns negative with
 * the reason in why. */
static int line_to_msg(replay *r, uint64_t line, const char *text, size_t len, nw_chain_msg *m,
                       char *why, size_t whylen)
{
    nw_err err = {0};
    nw_story *story = NULL;
    if (nw_ninjs_loads(text, len, &story, &err) < 0) {
        snprintf(why, whylen, "not a ninjs story: %.400s", err.msg);
        return NW_EINVAL;
    }
    char topic[NW_TOPIC_NAME_MAX + 1];
    const char *slug = NULL;
    int rc = 0;
    if (r->opts->topic) {
        snprintf(topic, sizeof topic, "%s", r->opts->topic);
    } else if (nw_story_categories(story, &slug, 1) == 0 || !slug) {
        snprintf(why, whylen,
                 "the story has no category to derive a topic from "
                 "(use --topic)");
        rc = NW_EINVAL;
    } else if (nw_kafka_topic_name(r->topic_prefix, slug, topic, sizeof topic, &err) < 0) {
        snprintf(why, whylen, "category '%.60s': %.400s", slug, err.msg);
        rc = NW_EINVAL;
    }
    const char *uri = story->uri ? story->uri : "";
    if (rc == 0 && !*uri) {
        snprintf(why, whylen, "the story has no uri");
        rc = NW_EINVAL;
    }
    if (rc == 0 && nw_chain_msg_init(m, topic, r->topic_prefix, 0, (int64_t)line, uri, strlen(uri),
                                     text, len, -1, &err) < 0) {
        snprintf(why, whylen, "%s", err.msg);
        rc = NW_ENOMEM;
    }
    nw_story_free(story);
    if (rc == 0) {
        char origin[4200];
        snprintf(origin, sizeof origin, "%s:%llu", r->opts->in_path, (unsigned long long)line);
        if (nw_chain_msg_add_header(m, NW_HDR_ORIGIN, origin, strlen(origin)) < 0) {
            nw_chain_msg_deinit(m);
            snprintf(why, whylen, "out of memory");
            rc = NW_ENOMEM;
        }
    }
    return rc;
}

typedef struct pending {
    nw_chain_msg msg;
    uint64_t line;
} pending;

static int run_batch(replay *r, nw_chain *chain, pending *b, size_t n, nw_err *err)
{
    if (!n)
        return 0;
    nw_chain_msg **ptrs = malloc(n * sizeof *ptrs);
    if (!ptrs)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &b[i].msg;
    int rc = nw_chain_run(chain, ptrs, n, err);
    free(ptrs);
    if (rc < 0)
        return nw_err_set(err, rc, "lines %llu-%llu not finished: %s",
                          (unsigned long long)b[0].line, (unsigned long long)b[n - 1].line,
                          err->msg);
    if (r->out_failed)
        return nw_err_set(err, NW_EIO, "cannot write the output");
    for (size_t i = 0; i < n; i++) {
        nw_chain_msg *m = &b[i].msg;
        if (m->state == NW_MSG_DEAD) {
            r->stats->dead++;
            dead_line(r, b[i].line, m->dead_plugin, m->dead_reason, m->json, m->json_len);
        } else if (m->state == NW_MSG_DROPPED) {
            r->stats->dropped++;
        }
    }
    if (sync_file(r->out, "output", err) < 0)
        return NW_EIO;
    if (r->dlq && sync_file(r->dlq, "dead-letter file", err) < 0)
        return NW_EIO;
    return 0;
}

static int open_files(replay *r, FILE **in, nw_err *err)
{
    const nw_replay_opts *o = r->opts;
    *in = !strcmp(o->in_path, "-") ? stdin : fopen(o->in_path, "r");
    if (!*in)
        return nw_err_set(err, NW_EIO, "--from-file %s: %s", o->in_path, strerror(errno));
    if (!o->out_path || !strcmp(o->out_path, "-")) {
        r->out = stdout;
    } else if (!(r->out = fopen(o->out_path, "w"))) {
        return nw_err_set(err, NW_EIO, "--to-file %s: %s", o->out_path, strerror(errno));
    } else {
        r->out_owned = true;
    }
    if (o->dlq_path) {
        if (!(r->dlq = fopen(o->dlq_path, "w")))
            return nw_err_set(err, NW_EIO, "--dlq-file %s: %s", o->dlq_path, strerror(errno));
        r->dlq_owned = true;
    }
    return 0;
}

int nw_replay_run(const nw_config *cfg, const nw_replay_opts *opts, volatile sig_atomic_t *stop,
                  nw_replay_stats *stats, nw_err *err)
{
    nw_replay_stats local = {0};
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    /* the same settings tables as the service (nw_consumer_conf): a file
     * replay accepts is one the service accepts */
    nw_consumer_settings cs;
    if (nw_consumer_settings_read(cfg, &cs, err) < 0)
        return NW_EINVAL;
    replay r = {.opts = opts, .stats = stats, .topic_prefix = cs.topic_prefix};
    int64_t max_messages = cs.batch_max_messages;

    nw_chain *chain = NULL;
    nw_chain_opts copts = {.emit = on_emit, .emit_ctx = &r};
    if (nw_chain_new_ex(cs.chain, nw_config_origin(cfg), &copts, &chain, err) < 0) {
        nw_consumer_settings_free(&cs);
        return NW_EINVAL;
    }
    nw_chain_set_retry(chain, cs.retry_initial_ms, cs.retry_max_ms, stop);

    FILE *in = NULL;
    pending *b = calloc((size_t)max_messages, sizeof *b);
    size_t nb = 0;
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0;
    int rc = b ? open_files(&r, &in, err) : nw_err_set(err, NW_ENOMEM, "out of memory");
    while (rc == 0 && !(stop && *stop)) {
        errno = 0;
        ssize_t len = getline(&line, &cap, in);
        if (len < 0) {
            if (ferror(in))
                rc = nw_err_set(err, NW_EIO, "--from-file %s: line %llu: %s", opts->in_path,
                                (unsigned long long)lineno + 1, strerror(errno));
            break;
        }
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        size_t sp = strspn(line, " \t");
        if ((size_t)len == sp)
            continue; /* blank */
        stats->lines++;
        char why[NW_ERR_MSG_MAX];
        if (line_to_msg(&r, lineno, line, (size_t)len, &b[nb].msg, why, sizeof why) < 0) {
            stats->bad_lines++;
            dead_line(&r, lineno, NULL, why, line, (size_t)len);
            continue;
        }
        b[nb++].line = lineno;
        stats->stories++;
        if ((int64_t)nb == max_messages) {
            rc = run_batch(&r, chain, b, nb, err);
            for (size_t i = 0; i < nb; i++)
                nw_chain_msg_deinit(&b[i].msg);
            nb = 0;
        }
    }
    if (rc == 0 && nb && !(stop && *stop))
        rc = run_batch(&r, chain, b, nb, err);
    else if (rc == 0 && nb)
        rc = nw_err_set(err, NW_ERETRY, "stopped before lines %llu-%llu",
                        (unsigned long long)b[0].line, (unsigned long long)b[nb - 1].line);
    for (size_t i = 0; i < nb; i++)
        nw_chain_msg_deinit(&b[i].msg);
    if (rc == 0 && nw_chain_flush(chain, err) < 0)
        rc = NW_ERETRY;
    nw_chain_free(chain);
    if (rc == 0 && r.out && sync_file(r.out, "output", err) < 0)
        rc = NW_EIO;
    if (r.out_owned && fclose(r.out) != 0 && rc == 0)
        rc = nw_err_set(err, NW_EIO, "--to-file %s: %s", opts->out_path, strerror(errno));
    if (r.dlq_owned)
        fclose(r.dlq);
    if (in && in != stdin)
        fclose(in);
    free(line);
    free(b);
    nw_consumer_settings_free(&cs);
    nw_log_info(MOD,
                "replay finished lines=%llu stories=%llu emitted=%llu bad_lines=%llu "
                "dead=%llu dropped=%llu",
                (unsigned long long)stats->lines, (unsigned long long)stats->stories,
                (unsigned long long)stats->emitted, (unsigned long long)stats->bad_lines,
                (unsigned long long)stats->dead, (unsigned long long)stats->dropped);
    return rc;
}
