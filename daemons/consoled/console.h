/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Focus, secure attention key and lock: which domain sees the keyboard, pointer
 * and display, decided in dom0 and nowhere else.  Pure state: input arrives as
 * Linux key codes, output leaves through the hooks; no Xen, no SDL, no D-Bus.
 *
 * Keys (documented in docs/consoled.md):
 *   Ctrl+Alt+Home        secure attention key: the UIVM comes forward (while
 *                        locked: the lock prompt is cleared).  Never delivered.
 *   Ctrl+Alt+F1..F12     focus the N-th surface in ListSurfaces order.
 *   while locked         every key goes to the dom0 lock prompt; Enter checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_UIVM "uivm"
#define CONSOLE_MAX_SURFACES 32
#define CONSOLE_NAME_MAX 64
#define CONSOLE_PASS_MAX 256
#define CONSOLE_KEY_CNT 0x300

typedef enum SurfaceState {
        SURFACE_WAITING = 0,       /* devices seen, frontend not connected yet */
        SURFACE_CONNECTED = 1,     /* framebuffer mapped, being shown when focused */
        SURFACE_FAILED = 2,        /* frontend broke the protocol and was disconnected */
        _SURFACE_STATE_MAX,
} SurfaceState;

typedef struct Surface {
        char name[CONSOLE_NAME_MAX + 1];
        int64_t domid;             /* -1 when the VM is not running */
        uint32_t width, height;
        SurfaceState state;
} Surface;

typedef struct Console Console;

typedef struct ConsoleHooks {
        /* Deliver a key to a domain's keyboard (frontend ring). */
        void (*send_key)(int64_t domid, uint32_t keycode, bool pressed, void *userdata);
        /* Deliver an absolute pointer position (in the domain's framebuffer pixels). */
        void (*send_pointer)(int64_t domid, int32_t x, int32_t y, int32_t wheel, void *userdata);
        void (*focus_changed)(const char *name, void *userdata);
        void (*lock_changed)(bool locked, void *userdata);
        /* Something to redraw: the lock prompt or the focused surface. */
        void (*redraw)(void *userdata);
        /* Check a passphrase typed at the lock prompt: 1 right, 0 wrong, <0 error. */
        int (*check_passphrase)(const char *pass, void *userdata);
        /* CLOCK_MONOTONIC in microseconds; without it there is no back-off. */
        uint64_t (*now_usec)(void *userdata);
} ConsoleHooks;

/* After this many wrong passphrases in a row the prompt takes no input for 1 s,
 * then 2, 4 ... up to CONSOLE_BACKOFF_MAX_USEC after each further wrong one. */
#define CONSOLE_BACKOFF_FREE_ATTEMPTS 3
#define CONSOLE_BACKOFF_MAX_USEC (60ULL * 1000000ULL)

int console_new(const ConsoleHooks *hooks, void *userdata, Console **ret);
Console *console_free(Console *c);

/* Add or update a surface (by name).  The UIVM's is always first, the others in
 * the order they appeared (that is ListSurfaces' order and Ctrl+Alt+F<n>'s). */
int console_surface_set(Console *c, const char *name, int64_t domid, uint32_t width,
                        uint32_t height, SurfaceState state);
int console_surface_remove(Console *c, const char *name);
size_t console_surfaces(Console *c, const Surface **ret);
const Surface *console_surface_find(Console *c, const char *name);

const char *console_focused(Console *c);
/* -ENOENT for an unknown VM, -EBUSY while locked. */
int console_focus(Console *c, const char *name);

bool console_locked(Console *c);
/* Lock: focus stays, but nothing reaches any VM until the passphrase is given. */
int console_lock(Console *c);
size_t console_prompt_length(Console *c);
unsigned console_failed_attempts(Console *c);
/* Microseconds until the prompt takes input again (0: it does now). */
uint64_t console_backoff_remaining(Console *c);

/* Input from the physical devices. */
void console_key(Console *c, uint32_t keycode, bool pressed);
/* x, y in the focused surface's pixels (the display maps screen to surface). */
void console_pointer(Console *c, int32_t x, int32_t y, int32_t wheel);

/* Which character a key types at the lock prompt (US layout), 0 for none. */
char console_key_to_char(uint32_t keycode, bool shift);
