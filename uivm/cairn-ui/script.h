/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Offscreen scripts: one command per line, '#' comments.
 *   key NAME                 Up Down Left Right Tab shift+Tab Return Escape
 *   click X Y                a left click at a pixel
 *   move X Y                 the pointer moves
 *   wait-signal              until a StateChanged signal is applied
 *   wait-state VM STATE      until the VM is in that state
 *   wait-connected           until the VM manager answered
 *   wait-disconnected        until the VM manager is unreachable
 *   wait-network             until the network service answered
 *   sleep MS
 *   screenshot FILE.png
 *   quit
 * Waits give up after the script timeout (cairn-ui exits with an error). */
#pragma once

#include <limits.h>
#include <stddef.h>

#include "ui.h"

typedef enum script_op {
        SCRIPT_KEY,
        SCRIPT_CLICK,
        SCRIPT_MOVE,
        SCRIPT_WAIT_SIGNAL,
        SCRIPT_WAIT_STATE,
        SCRIPT_WAIT_CONNECTED,
        SCRIPT_WAIT_DISCONNECTED,
        SCRIPT_WAIT_NETWORK,
        SCRIPT_SLEEP,
        SCRIPT_SCREENSHOT,
        SCRIPT_QUIT,
} script_op;

typedef struct script_cmd {
        script_op op;
        unsigned line;
        ui_key key;
        int x, y;               /* click, move; sleep: x = ms */
        char arg[PATH_MAX];     /* screenshot file; wait-state VM */
        char arg2[32];          /* wait-state STATE */
} script_cmd;

typedef struct script {
        script_cmd *cmds;
        size_t n;
        size_t pc;
} script;

/* Parse a script; errors are logged as "FILE:LINE: what is wrong" and return -EINVAL. */
int script_parse(const char *name, const char *text, script *ret);
int script_load(const char *path, script *ret);
void script_done(script *s);
