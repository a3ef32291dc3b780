/*
 * nw_testsink — helpers for the sink tests. See nw_testsink.h.
 */
#include "nw_testsink.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw_buf.h"
#include "nw_testutil.h"

pid_t nw_test_replay_consumer(const char *config, const char *in, const char *dlq, const char *log)
{
    char *bin = nw_test_bin_path("consumers/newswire-consumer");
    if (!bin)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "a", stderr))
            _exit(126);
        execl(bin, bin, "--config", config, "--from-file", in, "--dlq-file", dlq, "--topic",
              "news.world", (char *)NULL);
        _exit(127);
    }
    free(bin);
    return pid;
}

int nw_test_write_shuffled(const char *path, char **lines, size_t n, unsigned seed)
{
    srand(seed);
    for (size_t i = n ? n - 1 : 0; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1);
        char *t = lines[i];
        lines[i] = lines[j];
        lines[j] = t;
    }
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < n; i++) {
        if (f)
            fprintf(f, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return f && fclose(f) == 0 ? 0 : -1;
}

int nw_test_wait_exit(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t nw_test_os_server(const char *const extra[], char *base, size_t baselen)
{
    char script[1024];
    const char *src = getenv("NW_SOURCE_DIR");
    snprintf(script, sizeof script, "%s/tests/os_test_server.py", src ? src : ".");
    const char *argv[32] = {"/usr/bin/python3", script};
    size_t n = 2;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int fd = -1;
    pid_t pid = nw_test_spawn((char *const *)argv, &fd);
    if (pid < 0)
        return -1;
    char *line = nw_test_read_line(fd, 20);
    close(fd);
    int port = 0;
    if (!line || sscanf(line, "PORT %d", &port) != 1) {
        free(line);
        nw_test_stop(pid, 5);
        return -1;
    }
    free(line);
    snprintf(base, baselen, "http://127.0.0.1:%d", port);
    return pid;
}

static size_t collect(char *p, size_t size, size_t n, void *buf)
{
    nw_buf_append(buf, p, size * n);
    return size * n;
}

json_t *nw_test_http_json(const char *base, const char *path)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    nw_buf b = NW_BUF_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    json_t *j = rc == CURLE_OK && b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    nw_buf_free(&b);
    return j;
}
