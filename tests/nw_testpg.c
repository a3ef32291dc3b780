/*
 * nw_testpg — throwaway PostgreSQL server for tests. See nw_testpg.h.
 */
#include "nw_testpg.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw_testutil.h"

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static char *find_bindir(void)
{
    const char *env = getenv("NW_PG_BINDIR");
    char path[512];
    if (env && *env) {
        snprintf(path, sizeof path, "%s/initdb", env);
        return access(path, X_OK) == 0 ? strdup(env) : NULL;
    }
    glob_t g;
    char *found = NULL;
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0) {
        /* the newest major version: glob sorts, and 15 > 14 as strings too */
        const char *last = g.gl_pathv[g.gl_pathc - 1];
        found = strndup(last, strlen(last) - strlen("/initdb"));
    }
    globfree(&g);
    return found;
}

/* Run a PostgreSQL binary (as postgres when root). Returns its exit status;
 * output into *out when non-NULL. */
static int pg_run(const nw_test_pg *pg, const char *const *args, const char *input, char **out)
{
    const char *argv[32];
    size_t n = 0;
    char bin[512];
    if (pg->as_postgres) {
        argv[n++] = "/usr/sbin/runuser";
        argv[n++] = "-u";
        argv[n++] = "postgres";
        argv[n++] = "--";
    }
    snprintf(bin, sizeof bin, "%s/%s", pg->bindir, args[0]);
    argv[n++] = bin;
    for (size_t i = 1; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *err = NULL;
    int rc = nw_test_run((char *const *)argv, input, 120, out, &err);
    if (rc != 0 && err && *err)
        fprintf(stderr, "nw_testpg: %s: %s", args[0], err);
    free(err);
    return rc;
}

static int ctl_start(nw_test_pg *pg)
{
    char data[600], log[600], opts[800];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    snprintf(log, sizeof log, "%s/server.log", pg->dir);
    snprintf(opts, sizeof opts,
             "-h 127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off "
             "-c max_connections=50 -c shared_buffers=64MB",
             pg->port, pg->dir);
    const char *args[] = {"pg_ctl", "-D", data, "-l", log,     "-w",
                          "-t",     "60", "-o", opts, "start", NULL};
    int rc = pg_run(pg, args, NULL, NULL);
    pg->running = rc == 0;
    return rc == 0 ? 0 : -1;
}

int nw_test_pg_start(nw_test_pg *pg, char *why, size_t whylen)
{
    memset(pg, 0, sizeof *pg);
    if (!(pg->bindir = find_bindir())) {
        snprintf(why, whylen,
                 "PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb, "
                 "NW_PG_BINDIR unset): install postgresql-15 (deploy/deps.sh --test)");
        return 1;
    }
    pg->as_postgres = geteuid() == 0;
    struct passwd *pw = pg->as_postgres ? getpwnam("postgres") : NULL;
    if (pg->as_postgres && !pw) {
        snprintf(why, whylen, "running as root and there is no postgres user to run the server");
        return -1;
    }
    pg->dir = nw_test_mkdtemp("pg");
    pg->port = free_port();
    if (!pg->dir || pg->port < 0) {
        snprintf(why, whylen, "no temporary directory or free port");
        return -1;
    }
    if (pw && chown(pg->dir, pw->pw_uid, pw->pw_gid) != 0) {
        snprintf(why, whylen, "chown %s to postgres failed", pg->dir);
        return -1;
    }
    char data[600];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    const char *init[] = {"initdb",   "-D", data,   "-A",        "trust",      "-U",
                          "postgres", "-E", "UTF8", "--no-sync", "--locale=C", NULL};
    char *out = NULL;
    int rc = pg_run(pg, init, NULL, &out);
    free(out);
    if (rc != 0) {
        snprintf(why, whylen, "initdb failed (status %d)", rc);
        return -1;
    }
    snprintf(pg->conninfo, sizeof pg->conninfo,
             "host=127.0.0.1 port=%d dbname=postgres user=postgres", pg->port);
    if (ctl_start(pg) < 0) {
        char log[600];
        snprintf(log, sizeof log, "%s/server.log", pg->dir);
        char *text = nw_test_read_file(log, NULL);
        snprintf(why, whylen, "pg_ctl start failed: %s", text ? text : "(no log)");
        free(text);
        return -1;
    }
    return 0;
}

int nw_test_pg_stop(nw_test_pg *pg)
{
    if (!pg->running)
        return 0;
    char data[600];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    const char *args[] = {"pg_ctl", "-D", data, "-m", "fast", "-w", "stop", NULL};
    int rc = pg_run(pg, args, NULL, NULL);
    if (rc == 0)
        pg->running = 0;
    return rc == 0 ? 0 : -1;
}

int nw_test_pg_restart(nw_test_pg *pg)
{
    return pg->running ? 0 : ctl_start(pg);
}

void nw_test_pg_destroy(nw_test_pg *pg)
{
    if (pg->dir) {
        nw_test_pg_stop(pg);
        nw_test_rm_rf(pg->dir);
    }
    free(pg->dir);
    free(pg->bindir);
    memset(pg, 0, sizeof *pg);
}

char *nw_test_pg_query(const nw_test_pg *pg, const char *sql)
{
    char port[16];
    snprintf(port, sizeof port, "%d", pg->port);
    const char *args[] = {"psql",     "-X",        "-At",      "-v", "ON_ERROR_STOP=1",
                          "-h",       "127.0.0.1", "-p",       port, "-U",
                          "postgres", "-d",        "postgres", NULL};
    char *out = NULL;
    if (pg_run(pg, args, sql, &out) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

void nw_test_pg_start_or_skip(nw_test_pg *pg)
{
    char why[1024] = "";
    int rc = nw_test_pg_start(pg, why, sizeof why);
    if (rc == 1)
        cr_skip_test("%s", why);
    cr_assert_eq(rc, 0, "%s", why);
}
