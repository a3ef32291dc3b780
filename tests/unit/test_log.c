/*
 * Tests for nw_log: stderr is redirected (dup2) to a temporary file, lines
 * are read back and checked field by field, in logfmt and JSON, including
 * escaping, trailing key=value pairs, levels and concurrent writers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw_log.h"

typedef struct capture {
    int fd;
    int saved;
} capture;

static capture capture_start(void)
{
    char tmpl[] = "/tmp/nw_test_log_XXXXXX";
    capture c;
    c.fd = mkstemp(tmpl);
    cr_assert_geq(c.fd, 0);
    unlink(tmpl);
    fflush(stderr);
    c.saved = dup(STDERR_FILENO);
    cr_assert_geq(c.saved, 0);
    cr_assert_geq(dup2(c.fd, STDERR_FILENO), 0);
    return c;
}

/* Restore stderr and return everything written meanwhile (caller frees). */
static char *capture_end(capture c)
{
    dup2(c.saved, STDERR_FILENO);
    close(c.saved);
    off_t size = lseek(c.fd, 0, SEEK_END);
    cr_assert_geq(size, 0);
    char *buf = malloc((size_t)size + 1);
    cr_assert_eq(pread(c.fd, buf, (size_t)size, 0), size);
    buf[size] = '\0';
    close(c.fd);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The part of a logfmt line after "ts=<24 chars> ". */
static const char *after_ts(const char *line)
{
    cr_assert(!strncmp(line, "ts=", 3), "line: %s", line);
    /* 2026-11-27T04:40:00.123Z */
    const char *ts = line + 3;
    cr_assert_eq(strlen(ts) > 25, true);
    cr_assert_eq(ts[4], '-');
    cr_assert_eq(ts[10], 'T');
    cr_assert_eq(ts[19], '.');
    cr_assert_eq(ts[23], 'Z');
    cr_assert_eq(ts[24], ' ');
    return ts + 25;
}

Test(log, logfmt_line)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    nw_log_set_level(NW_LOG_INFO);
    capture c = capture_start();
    nw_log_info("producer", "spool scan done in %d ms", 12);
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 1);
    cr_assert_str_eq(after_ts(out), "level=info mod=producer msg=\"spool scan done in 12 ms\"\n");
    free(out);
}

Test(log, trailing_pairs_become_fields)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    capture c = capture_start();
    nw_log_warn("archive", "stored story uri=%s version=%d path=\"%s\"", "urn:x:1", 2, "a b");
    nw_log_warn("archive", "a=b c");                   /* a bare value with a space */
    nw_log_warn("archive", "level=bad");               /* reserved key: all msg */
    nw_log_warn("archive", "error: got 'a=b' x=1 y="); /* later candidate wins */
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 4);
    char *l2 = strchr(out, '\n') + 1;
    char *l3 = strchr(l2, '\n') + 1;
    char *l4 = strchr(l3, '\n') + 1;
    l2[-1] = l3[-1] = l4[-1] = '\0';
    cr_assert_str_eq(after_ts(out), "level=warn mod=archive msg=\"stored story\" uri=urn:x:1 "
                                    "version=2 path=\"a b\"");
    cr_assert_str_eq(after_ts(l2), "level=warn mod=archive msg=\"\" a=\"b c\"");
    cr_assert_str_eq(after_ts(l3), "level=warn mod=archive msg=\"level=bad\"");
    cr_assert_str_eq(after_ts(l4), "level=warn mod=archive msg=\"error: got 'a=b'\" x=1 y=\"\"\n");
    free(out);
}

/* A file name with a space collapsed every field into msg. */
Test(log, a_value_needing_escapes_keeps_its_field)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    capture c = capture_start();
    nw_log_error("spool", "file failed input=%s file=%s reason=\"%s\"", "wire", "my file \"1\".txt",
                 "bad");
    nw_log_error("spool", "file done file=%s level=%s stories=%d", "x level=error", "y", 2);
    char *out = capture_end(c);
    char *l2 = strchr(out, '\n') + 1;
    l2[-1] = '\0';
    cr_assert_str_eq(after_ts(out), "level=error mod=spool msg=\"file failed\" input=wire "
                                    "file=\"my file \\\"1\\\".txt\" reason=\"bad\"");
    cr_assert_str_eq(after_ts(l2), "level=error mod=spool msg=\"file done\" "
                                   "file=\"x level=error level=y\" stories=2\n");
    free(out);
}

Test(log, escaping_keeps_one_line)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    capture c = capture_start();
    nw_log_error("parser", "say \"hi\"\nlevel=error fake\tline\\ \x01\x7f caf\xc3\xa9 bad\xff");
    nw_log_error("parser", "uri=%s", "a\nts=forged");
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 2, "%s", out);
    char *l2 = strchr(out, '\n') + 1;
    l2[-1] = '\0';
    cr_assert_str_eq(after_ts(out), "level=error mod=parser msg=\"say \\\"hi\\\"\\nlevel=error "
                                    "fake\\tline\\\\ \\u0001\\u007f caf\xc3\xa9 bad\\ufffd\"");
    cr_assert_str_eq(after_ts(l2), "level=error mod=parser msg=\"\" uri=\"a\\nts=forged\"\n");
    free(out);
}

Test(log, json_lines)
{
    nw_log_set_format(NW_LOG_JSON);
    capture c = capture_start();
    nw_log_info("consumer", "committed uri=%s offset=%d note=\"x \\\"y\\\"\"", "urn:a", 42);
    nw_log_info("consumer", "ctl \x02 and \"quotes\" and bad \xc0\xaf utf8\n");
    nw_log_kv(NW_LOG_WARN, "kafka", "delivery failed", "topic", "news.world", "msg", "dup", "empty",
              NULL, (char *)NULL);
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 3);
    char *save = NULL;
    char *line = strtok_r(out, "\n", &save);
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", jerr.text, line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "info");
    cr_assert_str_eq(json_string_value(json_object_get(j, "mod")), "consumer");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "committed");
    cr_assert_str_eq(json_string_value(json_object_get(j, "uri")), "urn:a");
    cr_assert_str_eq(json_string_value(json_object_get(j, "offset")), "42");
    cr_assert_str_eq(json_string_value(json_object_get(j, "note")), "x \"y\"");
    cr_assert_eq(strlen(json_string_value(json_object_get(j, "ts"))), 24);
    json_decref(j);

    line = strtok_r(NULL, "\n", &save);
    j = json_loads(line, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", jerr.text, line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")),
                     "ctl \x02 and \"quotes\" and bad \xef\xbf\xbd\xef\xbf\xbd utf8\n");
    json_decref(j);

    line = strtok_r(NULL, "\n", &save);
    j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    cr_assert_not_null(j, "%s: %s", jerr.text, line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "delivery failed");
    cr_assert_str_eq(json_string_value(json_object_get(j, "topic")), "news.world");
    cr_assert_str_eq(json_string_value(json_object_get(j, "_msg")), "dup");
    cr_assert_str_eq(json_string_value(json_object_get(j, "empty")), "");
    json_decref(j);
    free(out);
}

Test(log, format_from_environment)
{
    setenv("NEWSWIRE_LOG_FORMAT", "JSON", 1);
    capture c = capture_start();
    nw_log_info("x", "hello");
    char *out = capture_end(c);
    cr_assert_eq(nw_log_get_format(), NW_LOG_JSON);
    cr_assert(!strncmp(out, "{\"ts\":\"", 7), "%s", out);
    cr_assert(strstr(out, "\"level\":\"info\",\"mod\":\"x\",\"msg\":\"hello\"}\n"), "%s", out);
    free(out);
}

Test(log, level_from_environment)
{
    setenv("NEWSWIRE_LOG_LEVEL", "debug", 1);
    unsetenv("NEWSWIRE_LOG_FORMAT");
    capture c = capture_start();
    nw_log_debug("x", "shown");
    char *out = capture_end(c);
    cr_assert_eq(nw_log_get_level(), NW_LOG_DEBUG);
    cr_assert(strstr(out, "level=debug mod=x msg=\"shown\""), "%s", out);
    free(out);
}

Test(log, bad_level_in_environment_warns_once)
{
    setenv("NEWSWIRE_LOG_LEVEL", "loud", 1);
    unsetenv("NEWSWIRE_LOG_FORMAT");
    capture c = capture_start();
    nw_log_debug("x", "hidden");
    nw_log_info("x", "shown");
    char *out = capture_end(c);
    cr_assert_eq(nw_log_get_level(), NW_LOG_INFO);
    cr_assert_eq(count_lines(out), 2, "%s", out);
    cr_assert(strstr(out, "level=warn mod=log msg=\"unknown NEWSWIRE_LOG_LEVEL; using info"
                          " (expected error, warn, info or debug)\" value=loud\n"),
              "%s", out);
    cr_assert(strstr(out, "msg=\"shown\""));
    cr_assert_null(strstr(out, "hidden"));
    free(out);
}

Test(log, explicit_level_filters_and_wins_over_env)
{
    setenv("NEWSWIRE_LOG_LEVEL", "debug", 1);
    nw_log_set_level(NW_LOG_WARN);
    cr_assert_eq(nw_log_get_level(), NW_LOG_WARN);
    cr_assert(!nw_log_enabled(NW_LOG_INFO));
    cr_assert(nw_log_enabled(NW_LOG_ERROR));
    capture c = capture_start();
    nw_log_info("x", "no");
    nw_log_debug("x", "no");
    nw_log_warn("x", "yes");
    nw_log_error("x", "yes");
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 2, "%s", out);
    cr_assert_null(strstr(out, "\"no\""));
    free(out);
}

Test(log, parse_names)
{
    cr_assert_eq(nw_log_level_parse("error"), NW_LOG_ERROR);
    cr_assert_eq(nw_log_level_parse("WARN"), NW_LOG_WARN);
    cr_assert_eq(nw_log_level_parse("warning"), NW_LOG_WARN);
    cr_assert_eq(nw_log_level_parse("Info"), NW_LOG_INFO);
    cr_assert_eq(nw_log_level_parse("debug"), NW_LOG_DEBUG);
    cr_assert_eq(nw_log_level_parse("trace"), -1);
    cr_assert_eq(nw_log_level_parse(NULL), -1);
    cr_assert_eq(nw_log_format_parse("json"), NW_LOG_JSON);
    cr_assert_eq(nw_log_format_parse("logfmt"), NW_LOG_LOGFMT);
    cr_assert_eq(nw_log_format_parse("xml"), -1);
    cr_assert_str_eq(nw_log_level_name(NW_LOG_WARN), "warn");
}

Test(log, errno_is_preserved_and_long_messages_are_cut)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    size_t n = 20000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    capture c = capture_start();
    errno = ENOENT;
    nw_log_info("x", "%s", big);
    cr_assert_eq(errno, ENOENT);
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), 1);
    cr_assert_lt(strlen(out), 8300);
    cr_assert(strstr(out, "xxx...\"\n"), "cut with a marker");
    free(out);
    free(big);
}

#define THREADS 4
#define LINES   500

static void *writer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < LINES; i++)
        nw_log_info("thread", "line from writer=%ld seq=%d pad=%s", id, i,
                    "................................................................");
    return NULL;
}

Test(log, concurrent_lines_do_not_interleave)
{
    nw_log_set_format(NW_LOG_LOGFMT);
    nw_log_set_level(NW_LOG_INFO);
    capture c = capture_start();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, writer, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *out = capture_end(c);
    cr_assert_eq(count_lines(out), THREADS * LINES);
    int seen[THREADS] = {0};
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long id;
        int seq;
        const char *rest = after_ts(line);
        cr_assert_eq(
            sscanf(rest, "level=info mod=thread msg=\"line from\" writer=%ld seq=%d", &id, &seq), 2,
            "%s", line);
        cr_assert(id >= 0 && id < THREADS);
        cr_assert_eq(seq, seen[id]++, "lines of one thread stay in order");
        cr_assert(strstr(rest, " pad=....") && line[strlen(line) - 1] == '.', "%s", line);
    }
    free(out);
}
