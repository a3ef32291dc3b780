/*
 * test_sdnotify — nw_sd_notify speaks the systemd notify protocol itself:
 * each state arrives as one datagram on the unix socket NOTIFY_SOCKET names,
 * a path or an abstract "@name" (sockets this test binds); outside systemd
 * (unset or empty) nothing is sent and 0 is returned; a malformed or too long
 * NOTIFY_SOCKET and a socket nobody listens on are negative errno values; the
 * variable is never unset. The binary does not link libsystemd.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nw_sdnotify.h"

static int sock = -1;
static char sock_path[108]; /* a filesystem socket to unlink, or "" */

static void close_socket(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    if (sock_path[0])
        unlink(sock_path);
    sock_path[0] = '\0';
}

TestSuite(sdnotify, .fini = close_socket);

/* Bind a datagram socket at /tmp/nwtest-sdnotify-PID.sock; returns its path. */
static const char *bind_path_socket(void)
{
    snprintf(sock_path, sizeof sock_path, "/tmp/nwtest-sdnotify-%ld.sock", (long)getpid());
    unlink(sock_path);
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert(sock >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
    cr_assert_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
    return sock_path;
}

/* Bind a datagram socket to an abstract address the kernel picks (autobind:
 * an address of the family alone); returns it spelled "@name". */
static const char *bind_abstract_socket(void)
{
    static char name[64];
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert(sock >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    cr_assert_eq(bind(sock, (struct sockaddr *)&a, sizeof a.sun_family), 0, "autobind: %s",
                 strerror(errno));
    socklen_t alen = sizeof a;
    cr_assert_eq(getsockname(sock, (struct sockaddr *)&a, &alen), 0);
    size_t n = alen - offsetof(struct sockaddr_un, sun_path);
    cr_assert(n > 1 && a.sun_path[0] == '\0' && n < sizeof name);
    name[0] = '@';
    memcpy(name + 1, a.sun_path + 1, n - 1);
    name[n] = '\0';
    return name;
}

/* The next datagram on sock (waits up to 5 s), or "" when none came. */
static void recv_state(char *buf, size_t len)
{
    buf[0] = '\0';
    struct pollfd p = {.fd = sock, .events = POLLIN};
    if (poll(&p, 1, 5000) != 1)
        return;
    ssize_t r = recv(sock, buf, len - 1, 0);
    buf[r > 0 ? r : 0] = '\0';
}

static bool libsystemd_loaded(void)
{
    void *h = dlopen("libsystemd.so.0", RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        dlclose(h); /* NOLOAD took a reference */
    return h != NULL;
}

Test(sdnotify, outside_systemd_nothing_is_sent)
{
    cr_assert(!libsystemd_loaded(), "nothing should link libsystemd any more");
    unsetenv("NOTIFY_SOCKET");
    cr_assert_eq(nw_sd_notify("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    cr_assert_eq(nw_sd_notify("READY=1"), 0);
}

/* With NOTIFY_SOCKET=where, each state arrives whole as one datagram. */
static void states_arrive(const char *where)
{
    setenv("NOTIFY_SOCKET", where, 1);
    static const char *const states[] = {"READY=1", "RELOADING=1\nSTATUS=reloading",
                                         "STOPPING=1\nSTATUS=draining"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        cr_assert_eq(nw_sd_notify(states[i]), 1);
        char buf[512];
        recv_state(buf, sizeof buf);
        cr_assert_str_eq(buf, states[i]);
    }
    cr_assert_str_eq(getenv("NOTIFY_SOCKET"), where, "the variable stays set");
}

Test(sdnotify, states_reach_a_path_socket)
{
    states_arrive(bind_path_socket());
}

Test(sdnotify, states_reach_an_abstract_socket)
{
    states_arrive(bind_abstract_socket());
    cr_assert(!libsystemd_loaded());
}

Test(sdnotify, bad_addresses_are_negative_errno_values)
{
    setenv("NOTIFY_SOCKET", "run/notify", 1); /* neither absolute nor abstract */
    cr_assert_eq(nw_sd_notify("READY=1"), -EINVAL);
    setenv("NOTIFY_SOCKET", "@", 1); /* an empty abstract name */
    cr_assert_eq(nw_sd_notify("READY=1"), -EINVAL);

    char longer[200];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    longer[0] = '/';
    setenv("NOTIFY_SOCKET", longer, 1);
    cr_assert_eq(nw_sd_notify("READY=1"), -ENAMETOOLONG);
    longer[0] = '@';
    setenv("NOTIFY_SOCKET", longer, 1);
    cr_assert_eq(nw_sd_notify("READY=1"), -EINVAL);

    /* sun_path holds 107 bytes and a NUL: the longest path that fits */
    char fits[108];
    snprintf(fits, sizeof fits, "/tmp/nwtest-sdnotify-%ld-", (long)getpid());
    memset(fits + strlen(fits), 'y', sizeof fits - 1 - strlen(fits));
    fits[sizeof fits - 1] = '\0';
    setenv("NOTIFY_SOCKET", fits, 1);
    cr_assert_eq(nw_sd_notify("READY=1"), -ENOENT, "no socket there: sendto's error");
}

Test(sdnotify, a_socket_nobody_listens_on_is_an_errno_value)
{
    char where[108];
    snprintf(where, sizeof where, "/tmp/nwtest-sdnotify-absent-%ld.sock", (long)getpid());
    unlink(where);
    setenv("NOTIFY_SOCKET", where, 1);
    cr_assert_eq(nw_sd_notify("READY=1"), -ENOENT);

    /* bound once, then closed: the path is left behind, nobody reads it */
    const char *gone = bind_path_socket();
    close(sock);
    sock = -1;
    setenv("NOTIFY_SOCKET", gone, 1);
    cr_assert_eq(nw_sd_notify("READY=1"), -ECONNREFUSED);
}
