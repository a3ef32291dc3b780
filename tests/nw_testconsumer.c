/* nw_testconsumer — see nw_testconsumer.h. */
#include "nw_testconsumer.h"

#include <criterion/criterion.h>
#include <string.h>

static void *run_thread(void *arg)
{
    nw_test_consumer *r = arg;
    r->rc = nw_consumer_run(r->c, &r->err);
    return NULL;
}

void nw_test_consumer_new(nw_test_consumer *r, nw_config *cfg, const nw_consumer_opts *opts)
{
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    nw_err err = {0};
    cr_assert_eq(nw_consumer_new(r->cfg, opts, &r->c, &err), 0, "%s", err.msg);
}

void nw_test_consumer_new_file(nw_test_consumer *r, const char *path, const nw_consumer_opts *opts)
{
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_file(path, &cfg, &err), 0, "%s", err.msg);
    nw_test_consumer_new(r, cfg, opts);
}

void nw_test_consumer_run(nw_test_consumer *r)
{
    cr_assert_eq(pthread_create(&r->th, NULL, run_thread, r), 0);
    r->running = true;
}

void nw_test_consumer_join(nw_test_consumer *r)
{
    if (!r->running)
        return;
    pthread_join(r->th, NULL);
    r->running = false;
}

void nw_test_consumer_stop(nw_test_consumer *r)
{
    if (r->running)
        nw_consumer_stop(r->c);
    nw_test_consumer_join(r);
}

void nw_test_consumer_free(nw_test_consumer *r)
{
    nw_test_consumer_stop(r);
    nw_consumer_free(r->c);
    nw_config_free(r->cfg);
    r->c = NULL;
    r->cfg = NULL;
}
