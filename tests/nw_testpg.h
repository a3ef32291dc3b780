/*
 * nw_testpg — a throwaway PostgreSQL server for tests: initdb in a
 * temporary directory, pg_ctl on 127.0.0.1 and a free port (as the postgres
 * user when the test runs as root: PostgreSQL refuses to run as root), trust
 * authentication, fsync off. Test code only.
 *
 * The binaries are looked up in $NW_PG_BINDIR, then /usr/lib/postgresql/
 * <15..>/bin. When there are none, nw_test_pg_start returns 1 and the test
 * reports itself skipped (deploy/deps.sh --test installs postgresql-15).
 */
#ifndef NW_TESTPG_H
#define NW_TESTPG_H

#include <stddef.h>

typedef struct nw_test_pg {
    char *dir;          /* the temporary directory (data in dir/data, socket and log in dir) */
    char *bindir;       /* where initdb and pg_ctl are */
    int port;           /* on 127.0.0.1 */
    char conninfo[256]; /* "host=127.0.0.1 port=N dbname=postgres user=postgres" */
    int as_postgres;    /* commands run through runuser -u postgres */
    int running;
} nw_test_pg;

/* initdb and start. 0 started; 1 no PostgreSQL binaries (why says so: skip);
 * -1 failed (why holds the error and the server log's tail). */
int nw_test_pg_start(nw_test_pg *pg, char *why, size_t whylen);
/* For a Criterion test's init: start, skip the test when there are no
 * PostgreSQL binaries, fail it when the server does not start. */
void nw_test_pg_start_or_skip(nw_test_pg *pg);
/* pg_ctl stop -m fast (clients are cut off). 0 or -1. */
int nw_test_pg_stop(nw_test_pg *pg);
/* Start again on the same port and data after a stop. 0 or -1. */
int nw_test_pg_restart(nw_test_pg *pg);
/* Stop if running and remove the directory. The struct may be reused. */
void nw_test_pg_destroy(nw_test_pg *pg);

/* Run one SQL text with psql -At; its output (caller frees) or NULL. */
char *nw_test_pg_query(const nw_test_pg *pg, const char *sql);

#endif
