/*
 * `newswire broker --control`: fault commands on stdin make the embedded
 * broker unavailable and available again without losing its data, which the
 * end-to-end harness uses for its broker outage (docs/benchmarks.md).
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw_testkafka.h"
#include "nw_testutil.h"

typedef struct control_broker {
    pid_t pid;
    int in;  /* its stdin: commands */
    int out; /* its stdout: bootstrap line, then answers */
    char *bootstrap;
} control_broker;

static void control_start(control_broker *b)
{
    char *bin = nw_test_bin_path("producers/newswire");
    int in[2], out[2];
    cr_assert(bin && pipe(in) == 0 && pipe(out) == 0);
    b->pid = fork();
    cr_assert(b->pid >= 0);
    if (b->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execl(bin, bin, "broker", "--control", "--topic", "ctl", "--partitions", "1", (char *)NULL);
        _exit(127);
    }
    free(bin);
    close(in[0]);
    close(out[1]);
    b->in = in[1];
    b->out = out[0];
    char *line = nw_test_read_line(b->out, 20);
    cr_assert(line && !strncmp(line, "bootstrap=", 10), "no bootstrap line: %s", line);
    b->bootstrap = strdup(line + 10);
    free(line);
}

/* Send one command and return its answer line (caller frees). */
static char *control_send(control_broker *b, const char *cmd)
{
    cr_assert(write(b->in, cmd, strlen(cmd)) == (ssize_t)strlen(cmd));
    cr_assert(write(b->in, "\n", 1) == 1);
    char *line = nw_test_read_line(b->out, 10);
    cr_assert(line, "no answer to '%s'", cmd);
    return line;
}

static void control_stop(control_broker *b)
{
    close(b->in);
    close(b->out);
    cr_expect_eq(nw_test_stop(b->pid, 10), 0, "the broker did not stop cleanly");
    free(b->bootstrap);
}

static rd_kafka_resp_err_t last_delivery;
static int deliveries;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    last_delivery = m->err;
    deliveries++;
}

/* Produce one message and wait for its delivery report. */
static rd_kafka_resp_err_t produce_one(rd_kafka_t *rk, const char *value)
{
    int before = deliveries;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC("ctl"), RD_KAFKA_V_VALUE((void *)value, strlen(value)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "%s", rd_kafka_err2str(e));
    for (int i = 0; i < 300 && deliveries == before; i++)
        rd_kafka_poll(rk, 100);
    cr_assert_neq(deliveries, before, "no delivery report in 30 s");
    return last_delivery;
}

static rd_kafka_t *producer_new(const char *bootstrap)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err), 0);
    cr_assert_eq(rd_kafka_conf_set(conf, "message.timeout.ms", "2000", err, sizeof err), 0);
    cr_assert_eq(rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err), 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert(rk, "%s", err);
    return rk;
}

Test(broker_control, down_refuses_clients_up_serves_them_again_with_the_data_kept, .timeout = 120)
{
    control_broker b;
    control_start(&b);
    rd_kafka_t *rk = producer_new(b.bootstrap);
    cr_assert_eq(produce_one(rk, "before"), RD_KAFKA_RESP_ERR_NO_ERROR);

    char *a = control_send(&b, "down all");
    cr_assert_str_eq(a, "ok down all");
    free(a);
    a = control_send(&b, "status");
    cr_assert_str_eq(a, "ok status 1=down/rtt0");
    free(a);
    cr_assert_eq(produce_one(rk, "while-down"), RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
                 "a message was delivered to a broker that is down");

    a = control_send(&b, "up 1");
    cr_assert_str_eq(a, "ok up 1");
    free(a);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
    for (int i = 0; i < 10 && e != RD_KAFKA_RESP_ERR_NO_ERROR; i++)
        e = produce_one(rk, "after");
    cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "not delivered after up: %s", rd_kafka_err2str(e));
    rd_kafka_destroy(rk);

    /* The message from before the outage is still there. */
    nw_test_topic t;
    char err[256];
    cr_assert_eq(nw_test_read_topic(b.bootstrap, "ctl", 2, 20000, &t, err, sizeof err), 0, "%s",
                 err);
    cr_assert_geq(t.n, 2);
    cr_assert_eq(t.m[0]->len, 6);
    cr_assert_eq(memcmp(t.m[0]->payload, "before", 6), 0);
    nw_test_topic_free(&t);
    control_stop(&b);
}

Test(broker_control, bad_commands_are_answered_with_an_error_and_change_nothing, .timeout = 60)
{
    control_broker b;
    control_start(&b);
    const char *bad[][2] = {
        {"bogus", "error unknown command 'bogus'"},
        {"down 2", "error down: expected a broker id from 1 to 1 or 'all', got '2'"},
        {"down", "error down: expected a broker id from 1 to 1 or 'all', got ''"},
        {"rtt all", "error rtt: expected milliseconds from 0 to 600000, got ''"},
        {"rtt all -5", "error rtt: expected milliseconds from 0 to 600000, got '-5'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *a = control_send(&b, bad[i][0]);
        cr_assert(!strncmp(a, bad[i][1], strlen(bad[i][1])), "'%s' -> '%s'", bad[i][0], a);
        free(a);
    }
    char *a = control_send(&b, "rtt all 25");
    cr_assert_str_eq(a, "ok rtt all 25");
    free(a);
    a = control_send(&b, "status");
    cr_assert_str_eq(a, "ok status 1=up/rtt25");
    free(a);
    control_stop(&b);
}
