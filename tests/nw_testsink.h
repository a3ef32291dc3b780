/*
 * nw_testsink — helpers shared by the tests of the database and search
 * sinks: newswire-consumer in replay mode as a child with its log in a
 * file, the exit status of a child, tests/os_test_server.py (the stand-in
 * for OpenSearch) and JSON over HTTP from it. Test code only; errors are
 * returned, not asserted.
 */
#ifndef NW_TESTSINK_H
#define NW_TESTSINK_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* newswire-consumer --config CONFIG --from-file IN --dlq-file DLQ --topic
 * news.world, its stderr appended to LOG. Returns the pid or -1. */
pid_t nw_test_replay_consumer(const char *config, const char *in, const char *dlq, const char *log);

/* Shuffle the n lines (seeded with srand(seed)) and write them to path, one
 * per line; frees every line and the array. 0, or -1 when path cannot be
 * written. */
int nw_test_write_shuffled(const char *path, char **lines, size_t n, unsigned seed);

/* Wait for a child: its exit status, or 128 + the signal that ended it. */
int nw_test_wait_exit(pid_t pid);

/* Start tests/os_test_server.py with the extra arguments (NULL-terminated,
 * may be NULL); its base URL ("http://127.0.0.1:PORT") into base. Returns
 * the pid or -1. The server dies with the test process. */
pid_t nw_test_os_server(const char *const extra[], char *base, size_t baselen);

/* GET base + path and decode the JSON answer; NULL on any failure. */
json_t *nw_test_http_json(const char *base, const char *path);

#endif
