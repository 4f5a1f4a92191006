/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A private dbus-daemon for tests: vmd, consoled and netd run their D-Bus
 * interfaces on one. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "test-dbus.h"
#include "util.h"

#define DBUS_DAEMON "/usr/bin/dbus-daemon"

void test_dbus_require(void) {
        if (access(DBUS_DAEMON, X_OK) < 0) {
                printf("SKIP: %s is not installed (Debian package dbus-daemon)\n", DBUS_DAEMON);
                exit(77);
        }
}

pid_t test_dbus_spawn(const char *dir, const char *policy, char *address, size_t size) {
        char conf[512];
        int pipefd[2];
        ssize_t n;
        FILE *f;
        pid_t pid;

        if (size < 2 || (size_t) snprintf(conf, sizeof(conf), "%s/bus.conf", dir) >= sizeof(conf))
                return -EINVAL;
        f = fopen(conf, "we");
        if (!f)
                return -errno;
        fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                   "<busconfig><type>system</type><listen>unix:path=%s/bus</listen>\n"
                   "<auth>EXTERNAL</auth>\n%s</busconfig>\n",
                dir, policy ?: TEST_DBUS_ALLOW_ALL);
        if (fclose(f) != 0)
                return -errno;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                if (dup2(pipefd[1], 1) < 0)
                        _exit(126);
                execl(DBUS_DAEMON, "dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile",
                      "--nosyslog", "--print-address=1", (char *) NULL);
                _exit(127);
        }
        close(pipefd[1]);
        /* The address is one line, printed once the bus listens. */
        n = read(pipefd[0], address, size - 1);
        close(pipefd[0]);
        if (n <= 0) {
                test_dbus_stop(pid);
                return n < 0 ? -errno : -EIO;
        }
        address[n] = 0;
        strstrip(address);
        return pid;
}

void test_dbus_stop(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
}
