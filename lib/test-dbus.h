/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A private dbus-daemon for tests that need a real bus. */

#include <stddef.h>
#include <sys/types.h>

/* The policy of such a bus when the caller gives none: anyone may own, send
 * and receive anything. */
#define TEST_DBUS_ALLOW_ALL                                                      \
        "<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\n"    \
        "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy>\n"

/* Exits the test with 77 (meson's "skipped") and says so when there is no
 * /usr/bin/dbus-daemon (Debian package dbus-daemon). */
void test_dbus_require(void);

/* Writes DIR/bus.conf (a system-type bus listening on DIR/bus with POLICY,
 * XML put inside <busconfig>, or TEST_DBUS_ALLOW_ALL when NULL), starts
 * dbus-daemon on it and stores its address in ADDRESS.  Returns its pid, or
 * -errno. */
pid_t test_dbus_spawn(const char *dir, const char *policy, char *address, size_t size);

/* Stops what test_dbus_spawn() started (pid <= 0: nothing). */
void test_dbus_stop(pid_t pid);
