/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Focus, the secure attention key and the lock, driven by key codes the way
 * libinput delivers them; every key that reaches a domain is recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"

typedef struct Sent {
        int64_t domid;
        uint32_t key;
        bool pressed;
} Sent;

static Sent sent[256];
static size_t n_sent, n_pointer, n_focus_changes;
static char last_focus[80];
static bool lock_state;
static int64_t last_pointer_dom;
static int32_t last_x, last_y;

static void send_key(int64_t domid, uint32_t keycode, bool pressed, void *userdata) {
        assert_true(n_sent < 256);
        sent[n_sent++] = (Sent) { domid, keycode, pressed };
}

static void send_pointer(int64_t domid, int32_t x, int32_t y, int32_t wheel, void *userdata) {
        n_pointer++;
        last_pointer_dom = domid;
        last_x = x;
        last_y = y;
}

static void focus_changed(const char *name, void *userdata) {
        n_focus_changes++;
        snprintf(last_focus, sizeof(last_focus), "%s", name);
}

static void lock_changed(bool locked, void *userdata) {
        lock_state = locked;
}

static unsigned n_checks;
static uint64_t fake_now;

static int check_passphrase(const char *pass, void *userdata) {
        n_checks++;
        return strcmp(pass, "Open 5esame!") == 0;
}

static uint64_t now_usec(void *userdata) {
        return fake_now;
}

static const ConsoleHooks hooks = {
        .send_key = send_key,
        .send_pointer = send_pointer,
        .focus_changed = focus_changed,
        .lock_changed = lock_changed,
        .check_passphrase = check_passphrase,
        .now_usec = now_usec,
};

static Console *c;

static int setup(void **state) {
        n_sent = n_pointer = n_focus_changes = n_checks = 0;
        fake_now = 1000000;
        last_focus[0] = 0;
        lock_state = false;
        assert_int_equal(console_new(&hooks, NULL, &c), 0);
        assert_int_equal(console_surface_set(c, "uivm", 1, 1024, 768, SURFACE_CONNECTED), 0);
        assert_int_equal(console_surface_set(c, "work", 5, 800, 600, SURFACE_CONNECTED), 0);
        assert_int_equal(console_surface_set(c, "web", 6, 800, 600, SURFACE_WAITING), 0);
        return 0;
}

static int teardown(void **state) {
        c = console_free(c);
        return 0;
}

static void tap(uint32_t k) {
        console_key(c, k, true);
        console_key(c, k, false);
}

static void chord(uint32_t k) {
        console_key(c, KEY_LEFTCTRL, true);
        console_key(c, KEY_LEFTALT, true);
        tap(k);
        console_key(c, KEY_LEFTALT, false);
        console_key(c, KEY_LEFTCTRL, false);
}

static size_t count_to(int64_t domid, uint32_t key) {
        size_t n = 0;
        for (size_t i = 0; i < n_sent; i++)
                if (sent[i].domid == domid && (key == 0 || sent[i].key == key))
                        n++;
        return n;
}

/* Every domain saw as many releases as presses of each key. */
static void assert_balanced(void) {
        for (size_t i = 0; i < n_sent; i++) {
                int bal = 0;
                for (size_t j = 0; j < n_sent; j++)
                        if (sent[j].domid == sent[i].domid && sent[j].key == sent[i].key)
                                bal += sent[j].pressed ? 1 : -1;
                if (bal != 0)
                        fail_msg("domain %lld key %u left %s", (long long) sent[i].domid, sent[i].key,
                                 bal > 0 ? "pressed" : "released more than pressed");
        }
}

static void test_uivm_focused_first(void **state) {
        assert_string_equal(console_focused(c), "uivm");
        assert_string_equal(last_focus, "uivm");
        tap(KEY_A);
        assert_int_equal(count_to(1, KEY_A), 2);
        assert_int_equal(count_to(5, 0), 0);
        assert_int_equal(count_to(6, 0), 0);
}

static void test_focus_routes_keys(void **state) {
        assert_int_equal(console_focus(c, "work"), 0);
        assert_string_equal(last_focus, "work");
        tap(KEY_X);
        assert_int_equal(count_to(5, KEY_X), 2);
        assert_int_equal(count_to(1, KEY_X), 0);
        assert_int_equal(console_focus(c, "nope"), -ENOENT);
        assert_string_equal(console_focused(c), "work");

        /* Pointer: clamped to the focused surface, sent to it only. */
        console_pointer(c, 5000, -3, 0);
        assert_int_equal(n_pointer, 1);
        assert_int_equal(last_pointer_dom, 5);
        assert_int_equal(last_x, 799);
        assert_int_equal(last_y, 0);
}

static void test_held_key_released_on_switch(void **state) {
        assert_int_equal(console_focus(c, "work"), 0);
        console_key(c, KEY_W, true);            /* held while focus moves */
        assert_int_equal(console_focus(c, "uivm"), 0);
        /* work got its release at the switch; the physical release goes nowhere. */
        assert_int_equal(count_to(5, KEY_W), 2);
        assert_false(sent[n_sent - 1].pressed);
        console_key(c, KEY_W, false);
        assert_int_equal(count_to(1, KEY_W), 0);
        assert_int_equal(count_to(5, KEY_W), 2);
        assert_balanced();
}

static void test_sak(void **state) {
        size_t home;

        assert_int_equal(console_focus(c, "work"), 0);
        chord(KEY_HOME);
        assert_string_equal(console_focused(c), "uivm");
        /* Home never reached anyone; Ctrl and Alt were released in work. */
        home = count_to(5, KEY_HOME) + count_to(1, KEY_HOME);
        assert_int_equal(home, 0);
        assert_int_equal(count_to(1, KEY_LEFTCTRL), 0);
        assert_balanced();

        /* Right-hand modifiers too, and it is idempotent. */
        console_key(c, KEY_RIGHTCTRL, true);
        console_key(c, KEY_RIGHTALT, true);
        tap(KEY_HOME);
        console_key(c, KEY_RIGHTALT, false);
        console_key(c, KEY_RIGHTCTRL, false);
        assert_string_equal(console_focused(c), "uivm");
        assert_int_equal(count_to(1, KEY_HOME), 0);
        assert_balanced();
}

static void test_switch_hotkeys(void **state) {
        chord(KEY_F2);
        assert_string_equal(console_focused(c), "work");
        chord(KEY_F3);
        assert_string_equal(console_focused(c), "web");
        chord(KEY_F9);   /* no ninth surface: nothing changes */
        assert_string_equal(console_focused(c), "web");
        chord(KEY_F1);
        assert_string_equal(console_focused(c), "uivm");
        for (size_t i = 0; i < n_sent; i++)
                assert_true(sent[i].key < KEY_F1 || sent[i].key > KEY_F12);
        assert_balanced();
        /* F2 without the chord is an ordinary key. */
        tap(KEY_F2);
        assert_int_equal(count_to(1, KEY_F2), 2);
}

static void type(const char *s) {
        for (; *s; s++) {
                bool shift = false;
                uint32_t k = 0;
                char ch = *s;

                for (uint32_t cand = 1; cand < 128 && !k; cand++) {
                        if (console_key_to_char(cand, false) == ch)
                                k = cand;
                        else if (console_key_to_char(cand, true) == ch) {
                                k = cand;
                                shift = true;
                        }
                }
                assert_true(k != 0);
                if (shift)
                        console_key(c, KEY_LEFTSHIFT, true);
                tap(k);
                if (shift)
                        console_key(c, KEY_LEFTSHIFT, false);
        }
}

static void test_lock(void **state) {
        size_t before;

        assert_int_equal(console_focus(c, "work"), 0);
        console_key(c, KEY_Q, true);           /* held when the lock comes */
        assert_int_equal(console_lock(c), 0);
        assert_true(console_locked(c));
        assert_true(lock_state);
        assert_int_equal(count_to(5, KEY_Q), 2);   /* released at the lock */
        console_key(c, KEY_Q, false);

        /* While locked: nothing reaches any VM, focus cannot move. */
        before = n_sent;
        type("hello");
        tap(KEY_ENTER);
        assert_int_equal(n_sent, before);
        assert_int_equal(console_failed_attempts(c), 1);
        assert_true(console_locked(c));
        assert_int_equal(console_focus(c, "uivm"), -EBUSY);
        chord(KEY_F1);
        assert_string_equal(console_focused(c), "work");
        console_pointer(c, 1, 1, 0);
        assert_int_equal(n_pointer, 0);

        /* Backspace and Escape edit the prompt; SAK clears it. */
        type("Open");
        assert_int_equal(console_prompt_length(c), 4);
        tap(KEY_BACKSPACE);
        assert_int_equal(console_prompt_length(c), 3);
        tap(KEY_ESC);
        assert_int_equal(console_prompt_length(c), 0);
        type("xx");
        chord(KEY_HOME);
        assert_int_equal(console_prompt_length(c), 0);
        assert_true(console_locked(c));

        /* Wrong (case matters), then right. */
        type("open 5esame!");
        tap(KEY_ENTER);
        assert_true(console_locked(c));
        assert_int_equal(console_failed_attempts(c), 2);
        type("Open 5esame!");
        tap(KEY_KPENTER);
        assert_false(console_locked(c));
        assert_false(lock_state);
        assert_int_equal(n_sent, before);
        assert_string_equal(console_focused(c), "work");

        /* Unlocked: keys flow again. */
        tap(KEY_Z);
        assert_int_equal(count_to(5, KEY_Z), 2);
        assert_balanced();
}

static void test_backoff(void **state) {
        assert_int_equal(console_lock(c), 0);
        /* Three free attempts. */
        for (int i = 0; i < 3; i++) {
                type("guess");
                tap(KEY_ENTER);
        }
        assert_int_equal(n_checks, 3);
        assert_int_equal(console_failed_attempts(c), 3);
        assert_int_equal(console_backoff_remaining(c), 1000000);
        /* While backing off the prompt takes nothing, not even the right one. */
        type("Open 5esame!");
        assert_int_equal(console_prompt_length(c), 0);
        tap(KEY_ENTER);
        assert_int_equal(n_checks, 3);
        assert_true(console_locked(c));
        /* A second later it does; another wrong one doubles the wait. */
        fake_now += 1000000;
        assert_int_equal(console_backoff_remaining(c), 0);
        type("guess");
        tap(KEY_ENTER);
        assert_int_equal(n_checks, 4);
        assert_int_equal(console_backoff_remaining(c), 2000000);
        fake_now += 1999999;
        type("x");
        assert_int_equal(console_prompt_length(c), 0);
        fake_now += 1;
        /* Capped at a minute however many. */
        for (int i = 0; i < 20; i++) {
                fake_now += CONSOLE_BACKOFF_MAX_USEC;
                type("guess");
                tap(KEY_ENTER);
        }
        assert_int_equal(console_backoff_remaining(c), CONSOLE_BACKOFF_MAX_USEC);
        fake_now += CONSOLE_BACKOFF_MAX_USEC;
        type("Open 5esame!");
        tap(KEY_ENTER);
        assert_false(console_locked(c));
        /* The count starts over with the next lock. */
        assert_int_equal(console_failed_attempts(c), 0);
        assert_int_equal(console_backoff_remaining(c), 0);
        assert_int_equal(n_sent, 0);
}

static void test_lock_without_passphrase(void **state) {
        Console *d;
        ConsoleHooks h = hooks;

        h.check_passphrase = NULL;
        assert_int_equal(console_new(&h, NULL, &d), 0);
        assert_int_equal(console_lock(d), -EOPNOTSUPP);
        assert_false(console_locked(d));
        console_free(d);
}

static void test_surfaces(void **state) {
        const Surface *s;

        assert_int_equal(console_surfaces(c, &s), 3);
        assert_string_equal(s[1].name, "work");
        assert_int_equal(s[1].domid, 5);
        assert_int_equal(console_surface_set(c, "bad name", 7, 0, 0, SURFACE_WAITING), -EINVAL);
        assert_int_equal(console_surface_set(c, "x", 7, 0, 0, 9), -EINVAL);

        /* The UIVM sorts first even when it shows up last. */
        {
                Console *d;
                const Surface *t;

                assert_int_equal(console_new(&hooks, NULL, &d), 0);
                assert_int_equal(console_surface_set(d, "web", 6, 1, 1, SURFACE_CONNECTED), 0);
                assert_string_equal(console_focused(d), "");
                assert_int_equal(console_surface_set(d, "work", 5, 1, 1, SURFACE_CONNECTED), 0);
                assert_int_equal(console_surface_set(d, "uivm", 1, 1, 1, SURFACE_CONNECTED), 0);
                assert_int_equal(console_surfaces(d, &t), 3);
                assert_string_equal(t[0].name, "uivm");
                assert_string_equal(t[1].name, "web");
                assert_string_equal(t[2].name, "work");
                assert_string_equal(console_focused(d), "uivm");
                console_free(d);
        }

        /* The focused VM goes away: the UIVM comes forward, held keys are released. */
        assert_int_equal(console_focus(c, "work"), 0);
        console_key(c, KEY_E, true);
        assert_int_equal(console_surface_remove(c, "work"), 0);
        assert_string_equal(console_focused(c), "uivm");
        assert_int_equal(count_to(5, KEY_E), 2);
        console_key(c, KEY_E, false);
        assert_int_equal(console_surfaces(c, &s), 2);
        assert_int_equal(console_surface_remove(c, "work"), -ENOENT);

        /* A domain that restarts (new domid) gets no stale releases. */
        assert_int_equal(console_focus(c, "web"), 0);
        console_key(c, KEY_R, true);
        assert_int_equal(console_surface_set(c, "web", 9, 800, 600, SURFACE_CONNECTED), 0);
        assert_int_equal(count_to(6, KEY_R), 2);
        console_key(c, KEY_R, false);
        assert_int_equal(count_to(9, KEY_R), 0);
        assert_balanced();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_uivm_focused_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_focus_routes_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_held_key_released_on_switch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sak, setup, teardown),
                cmocka_unit_test_setup_teardown(test_switch_hotkeys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock_without_passphrase, setup, teardown),
                cmocka_unit_test_setup_teardown(test_surfaces, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
