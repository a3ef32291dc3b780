/*
 * nw_testconsumer — a consumer run in-process on its own thread, for the
 * integration tests that watch it from the test thread (metrics, /readyz,
 * reloads, rebalances). Test code only.
 *
 *   nw_test_consumer r;
 *   nw_test_consumer_new(&r, cfg, &opts);   (takes cfg)
 *   nw_test_consumer_run(&r);               (nw_consumer_run on a thread)
 *   ...
 *   nw_test_consumer_stop(&r);              (nw_consumer_stop, join; r.rc, r.err)
 *   nw_test_consumer_free(&r);
 */
#ifndef NW_TESTCONSUMER_H
#define NW_TESTCONSUMER_H

#include <pthread.h>
#include <stdbool.h>

#include "nw_config.h"
#include "nw_consumer.h"
#include "nw_err.h"

typedef struct nw_test_consumer {
    nw_config *cfg; /* owned */
    nw_consumer *c; /* owned */
    pthread_t th;
    bool running; /* the thread was started and not joined yet */
    int rc;       /* nw_consumer_run's result, once joined */
    nw_err err;   /* and its message */
} nw_test_consumer;

/* Create the consumer from cfg (owned from here on, freed by
 * nw_test_consumer_free, also when creation fails), asserting it succeeds. */
void nw_test_consumer_new(nw_test_consumer *r, nw_config *cfg, const nw_consumer_opts *opts);
/* Load the config file at path, then nw_test_consumer_new. */
void nw_test_consumer_new_file(nw_test_consumer *r, const char *path, const nw_consumer_opts *opts);
/* Start nw_consumer_run on a thread. */
void nw_test_consumer_run(nw_test_consumer *r);
/* Wait for the thread to end by itself (the idle condition); r->rc is set. */
void nw_test_consumer_join(nw_test_consumer *r);
/* nw_consumer_stop, then join. */
void nw_test_consumer_stop(nw_test_consumer *r);
/* Stop and join when still running, then free the consumer and its config. */
void nw_test_consumer_free(nw_test_consumer *r);

#endif
