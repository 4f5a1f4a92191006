/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "transport-unix.h"

static int make_address(const char *path, struct sockaddr_un *sa) {
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa->sun_path))
                return log_error_errno(-ENAMETOOLONG, "Socket path too long: %s", path);
        strcpy(sa->sun_path, path);
        return 0;
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *dir = strdup(path);

        if (!dir)
                return -ENOMEM;
        for (char *p = dir + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        return 0;
}

int rpc_unix_listen(const char *path, mode_t mode, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        int r;

        r = make_address(path, &sa);
        if (r < 0)
                return r;
        r = mkdir_parents(path);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Failed to create a socket: %m");
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "Failed to remove the old %s: %m", path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(negative_errno(), "Failed to bind %s: %m", path);
        if (chmod(path, mode) < 0)
                return log_error_errno(negative_errno(), "Failed to set the mode of %s: %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(negative_errno(), "Failed to listen on %s: %m", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int rpc_unix_connect(const char *path, unsigned timeout_sec, int *ret_fd) {
        struct sockaddr_un sa;
        int r;

        r = make_address(path, &sa);
        if (r < 0)
                return r;
        for (unsigned tries = 0;; tries++) {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (fd < 0)
                        return log_error_errno(negative_errno(), "Failed to create a socket: %m");
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
                r = negative_errno();
                if ((r != -ENOENT && r != -ECONNREFUSED) || tries >= timeout_sec * 10)
                        return log_error_errno(r, "Failed to connect to %s: %m", path);
                usleep(100 * 1000);
        }
}

struct RpcUnixServer {
        RpcDom0 *dom0;
        sd_event *event;
        char *domain;
        char *path;
        int fd;
        sd_event_source *io;
        unsigned n_accepted;
};

static int server_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RpcUnixServer *us = userdata;
        _cleanup_free_ char *name = NULL;
        RpcLink *link;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (asprintf(&name, "unix:%s#%u", us->path, ++us->n_accepted) < 0) {
                close(cfd);
                return 0;
        }
        r = rpc_link_new_socket(us->event, cfd, name, &link);
        if (r < 0) {
                log_error_errno(r, "Failed to set up link %s: %m", name);
                return 0;
        }
        r = rpc_dom0_add_link(us->dom0, link, us->domain);
        if (r < 0)
                log_error_errno(r, "Failed to serve link %s: %m", name);
        return 0;
}

int rpc_unix_server_new(sd_event *event, RpcDom0 *d, const char *path, const char *domain,
                        RpcUnixServer **ret) {
        _cleanup_(rpc_unix_server_freep) RpcUnixServer *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->fd = -1;
        s->dom0 = d;
        s->event = sd_event_ref(event);
        s->domain = strdup(domain);
        s->path = strdup(path);
        if (!s->domain || !s->path)
                return -ENOMEM;
        r = rpc_unix_listen(path, 0600, &s->fd);
        if (r < 0)
                return r;
        r = sd_event_add_io(event, &s->io, s->fd, EPOLLIN, server_io, s);
        if (r < 0)
                return r;
        log_info("Serving domain %s on unix:%s.", domain, path);
        *ret = TAKE_PTR(s);
        return 0;
}

RpcUnixServer *rpc_unix_server_free(RpcUnixServer *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->io);
        if (s->fd >= 0)
                close(s->fd);
        sd_event_unref(s->event);
        free(s->domain);
        free(s->path);
        free(s);
        return NULL;
}
