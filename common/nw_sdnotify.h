/*
 * nw_sdnotify — systemd readiness notifications (Type=notify units) without
 * libsystemd. The notify protocol is small and documented as stable
 * (sd_notify(3)): NOTIFY_SOCKET names a unix datagram socket, an absolute
 * path or "@name" for the abstract namespace, and each state ("READY=1",
 * "STATUS=...", "RELOADING=1", "STOPPING=1", newline-separated) is one
 * datagram sent to it. Outside systemd (NOTIFY_SOCKET unset or empty:
 * containers, tests, a shell) nothing is sent.
 *
 * It never changes the environment (NOTIFY_SOCKET stays set for later
 * notifications) and keeps no state: each call opens and closes its socket.
 */
#ifndef NW_SDNOTIFY_H
#define NW_SDNOTIFY_H

/* Send `state` (borrowed) to the service manager. Returns 0 when
 * NOTIFY_SOCKET is unset or empty (as sd_notify does), 1 when the datagram
 * was sent, or a negative errno value: -EINVAL when NOTIFY_SOCKET is neither
 * an absolute path nor "@name", -ENAMETOOLONG when it does not fit a unix
 * socket address (both logged as errors), or what socket/sendto failed with
 * (logged as a warning). Thread-safe. */
int nw_sd_notify(const char *state);

#endif
