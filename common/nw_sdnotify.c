/*
 * nw_sdnotify — the systemd notify protocol, one datagram per state. See
 * nw_sdnotify.h.
 */
#include "nw_sdnotify.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nw_log.h"

#define MOD "systemd"

/* NOTIFY_SOCKET -> a unix socket address: "/path" (the length counts the
 * path's NUL, as systemd spells it) or "@name" (abstract: a leading NUL byte
 * and no terminator). Returns 0, or a negative errno value, logged. */
static int notify_address(const char *where, struct sockaddr_un *sa, socklen_t *salen)
{
    size_t len = strlen(where);
    if (where[0] != '/' && where[0] != '@') {
        nw_log_error(MOD,
                     "cannot notify systemd: NOTIFY_SOCKET must be an absolute path or @name "
                     "notify_socket=\"%s\"",
                     where);
        return -EINVAL;
    }
    bool abstract = where[0] == '@';
    /* a path needs room for its NUL; an abstract name has none */
    if (len + (abstract ? 0 : 1) > sizeof sa->sun_path || (abstract && len < 2)) {
        nw_log_error(MOD,
                     "cannot notify systemd: NOTIFY_SOCKET does not fit a unix socket address "
                     "(at most %zu bytes) notify_socket=\"%s\"",
                     sizeof sa->sun_path - 1, where);
        return abstract ? -EINVAL : -ENAMETOOLONG;
    }
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, where, len);
    if (abstract)
        sa->sun_path[0] = '\0';
    *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
    return 0;
}

int nw_sd_notify(const char *state)
{
    const char *where = getenv("NOTIFY_SOCKET");
    if (!where || !*where)
        return 0;
    struct sockaddr_un sa;
    socklen_t salen;
    int rc = notify_address(where, &sa, &salen);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        nw_log_warn(MOD, "cannot notify systemd: socket: %s", strerror(-rc));
        return rc;
    }
    size_t n = strlen(state);
    ssize_t sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
    rc = sent < 0 ? -errno : 1;
    close(fd);
    if (rc < 0)
        nw_log_warn(MOD, "cannot notify systemd: sendto %s: %s", where, strerror(-rc));
    return rc;
}
