/*
 * fuzz_fts_query — libFuzzer target for the search query translator
 * (nw_fts_match_expr, what `newswire search` runs on user input): any bytes
 * either come back as a one-line NW_EINVAL, or as an FTS5 expression that
 * FTS5 either runs or refuses with its own "fts5:" message (which the search
 * turns into a one-line query error) — never a crash, a leak, a multi-line
 * message or another kind of SQL error. Seeds: tests/fuzz/seeds/fts_query.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_fts_search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

static void open_db(void)
{
    if (db)
        return;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(headline, body, people, places,"
                     " organisations, subjects, tokenize = 'unicode61 remove_diacritics 2');"
                     "INSERT INTO t VALUES('Kerry in Moscow', 'civil war', 'John Kerry',"
                     " 'Moscow', 'UN', 'politics')",
                     NULL, NULL, NULL) != SQLITE_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_db();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nw_fts_query q = {.text = text, .person = size % 3 == 0 ? text : NULL};
    char *expr = NULL;
    nw_err err = {0};
    int rc = nw_fts_match_expr(&q, &expr, &err);
    if (rc < 0) {
        if (rc != NW_EINVAL || strncmp(err.msg, "query: ", 7))
            abort();
    } else if (expr) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL))
            abort();
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s != SQLITE_ROW && strncmp(sqlite3_errmsg(db), "fts5:", 5)) {
            fprintf(stderr, "expression '%s': %s\n", expr, sqlite3_errmsg(db));
            abort();
        }
        sqlite3_finalize(st);
    }
    free(expr);
    free(text);
    return 0;
}
