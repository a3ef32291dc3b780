/*
 * nw_service — `newswire-producer --config FILE`: the long-lived producer.
 * Owns the event loop (signals through signalfd, librdkafka's queue wake-up
 * pipe, every input's descriptor), the publisher, the routing rules, the
 * metrics registry with its /metrics /healthz /readyz endpoint, systemd
 * readiness (sd_notify) and the life cycle: SIGHUP reloads inputs and
 * routing after validating the new config (a bad one is logged and the old
 * one kept); SIGTERM/SIGINT stop intake and wait, at most shutdown_timeout,
 * for every delivery report and file move, then return 0.
 * Never exits the process itself; main() maps the result to an exit status.
 */
#ifndef NW_SERVICE_H
#define NW_SERVICE_H

#include "nw_err.h"

typedef struct nw_service_opts {
    const char *config_path; /* required */
    const char *brokers;     /* overrides kafka.bootstrap.servers when non-NULL */
} nw_service_opts;

/* Validate a config file as the service would (config tree, routing,
 * inputs, Kafka settings) without starting anything. */
int nw_service_check_config(const nw_service_opts *opts, nw_err *err);

/* Run until SIGTERM/SIGINT. Returns 0 after a clean stop (also when the
 * shutdown timeout left messages unacknowledged: their files stay in
 * incoming/ and are sent again at the next start), NW_EINVAL for a bad
 * config, other negatives when the service could not start. The caller must
 * not have started threads yet (signals are blocked here for every thread). */
int nw_service_run(const nw_service_opts *opts, nw_err *err);

#endif
