/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The screen state machine: keyboard-only and pointer walks through every screen,
 * the actions they produce, and focus surviving model changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "ui.h"

#define W 1024
#define H 768

static model m;

static void setup_model(void) {
        model_vm vms[4] = {
                { .name = "ndvm", .type = "pv", .state = "running", .domid = 1, .memory_mib = 192, .vcpus = 1 },
                { .name = "personal", .type = "hvm", .state = "stopped", .domid = -1, .memory_mib = 2048, .vcpus = 2 },
                { .name = "uivm", .type = "pvh", .state = "running", .domid = 2, .memory_mib = 512, .vcpus = 1 },
                { .name = "work", .type = "hvm", .state = "stopped", .domid = -1, .memory_mib = 4096, .vcpus = 2 },
        };
        memset(&m, 0, sizeof(m));
        model_set_vms(&m, vms, 4);
        m.bus_connected = true;
        m.vmm_link = MODEL_LINK_UP;
        m.net_link = MODEL_LINK_UP;
}

static const lay_widget *focused(const ui *u) {
        static lay_layout l;
        int i;
        ui_layout(u, &m, W, H, &l);
        i = ui_focus_widget(u, &l);
        assert_true(i >= 0);
        return &l.widgets[i];
}

static ui_action key(ui *u, ui_key k) {
        return ui_key_press(u, &m, W, H, k);
}

static void test_keyboard_walk(void **state) {
        ui u;
        ui_action a;

        setup_model();
        ui_init(&u);
        /* Focus is visible from the start, on the first tile. */
        assert_int_equal(focused(&u)->kind, LAY_TILE);
        assert_int_equal(focused(&u)->index, 0);

        key(&u, UI_KEY_DOWN);                   /* work (row 2, column 1) */
        assert_int_equal(focused(&u)->index, 3);
        a = key(&u, UI_KEY_ENTER);
        assert_int_equal(a.kind, UI_ACTION_NONE);
        assert_int_equal(u.screen, LAY_SCREEN_DETAIL);
        assert_string_equal(u.detail_vm, "work");
        assert_int_equal(focused(&u)->kind, LAY_START);  /* stopped: Start first */

        a = key(&u, UI_KEY_ENTER);
        assert_int_equal(a.kind, UI_ACTION_START);
        assert_string_equal(a.vm, "work");
        assert_int_equal(u.screen, LAY_SCREEN_DETAIL);

        /* It started: Start is disabled, focus moves on to an enabled button. */
        model_vm_state_changed(&m, "work", "running", 9);
        assert_true(focused(&u)->enabled);
        assert_int_equal(focused(&u)->kind, LAY_BACK);

        key(&u, UI_KEY_ESCAPE);
        assert_int_equal(u.screen, LAY_SCREEN_HOME);
        assert_int_equal(focused(&u)->kind, LAY_TILE);
        assert_int_equal(focused(&u)->index, 3);        /* back on the tile we came from */

        /* Up twice reaches the tabs, Right moves along them, Enter opens. */
        key(&u, UI_KEY_UP);
        key(&u, UI_KEY_UP);
        assert_int_equal(focused(&u)->kind, LAY_TAB);
        assert_int_equal(focused(&u)->index, 0);
        key(&u, UI_KEY_RIGHT);
        key(&u, UI_KEY_ENTER);
        assert_int_equal(u.screen, LAY_SCREEN_NETWORK);
        key(&u, UI_KEY_RIGHT);
        key(&u, UI_KEY_ENTER);
        assert_int_equal(u.screen, LAY_SCREEN_ABOUT);
        key(&u, UI_KEY_ESCAPE);
        assert_int_equal(u.screen, LAY_SCREEN_HOME);
        assert_int_equal(focused(&u)->kind, LAY_TAB);
}

static void test_running_vm_switch_stop(void **state) {
        ui u;
        ui_action a;

        setup_model();
        ui_init(&u);
        key(&u, UI_KEY_RIGHT);
        key(&u, UI_KEY_RIGHT);                  /* uivm, running */
        key(&u, UI_KEY_ENTER);
        assert_string_equal(u.detail_vm, "uivm");
        assert_int_equal(focused(&u)->kind, LAY_SWITCH);
        a = key(&u, UI_KEY_ENTER);
        assert_int_equal(a.kind, UI_ACTION_SWITCH);
        assert_string_equal(a.vm, "uivm");
        key(&u, UI_KEY_LEFT);
        assert_int_equal(focused(&u)->kind, LAY_STOP);
        a = key(&u, UI_KEY_ENTER);
        assert_int_equal(a.kind, UI_ACTION_STOP);
        key(&u, UI_KEY_LEFT);                   /* Start is disabled: stays on Stop */
        assert_int_equal(focused(&u)->kind, LAY_STOP);
}

static void test_unreachable_disables_actions(void **state) {
        ui u;
        lay_layout l;

        setup_model();
        ui_init(&u);
        key(&u, UI_KEY_DOWN);
        key(&u, UI_KEY_ENTER);
        m.vmm_link = MODEL_LINK_DOWN;
        ui_layout(&u, &m, W, H, &l);
        assert_true(l.banner.h > 0);
        assert_false(l.widgets[lay_find(&l, LAY_START, 0)].enabled);
        assert_int_equal(key(&u, UI_KEY_ENTER).kind, UI_ACTION_NONE);
}

static void test_pointer(void **state) {
        ui u;
        lay_layout l;
        const lay_widget *w;
        ui_action a;

        setup_model();
        ui_init(&u);
        ui_layout(&u, &m, W, H, &l);
        w = &l.widgets[lay_find(&l, LAY_TILE, 1)];
        a = ui_click(&u, &m, W, H, w->r.x + w->r.w / 2, w->r.y + w->r.h / 2);
        assert_int_equal(a.kind, UI_ACTION_NONE);
        assert_int_equal(u.screen, LAY_SCREEN_DETAIL);
        assert_string_equal(u.detail_vm, "personal");

        ui_layout(&u, &m, W, H, &l);
        w = &l.widgets[lay_find(&l, LAY_START, 0)];
        a = ui_click(&u, &m, W, H, w->r.x + 2, w->r.y + 2);
        assert_int_equal(a.kind, UI_ACTION_START);
        assert_string_equal(a.vm, "personal");

        /* A click on a disabled button does nothing. */
        w = &l.widgets[lay_find(&l, LAY_SWITCH, 0)];
        a = ui_click(&u, &m, W, H, w->r.x + 2, w->r.y + 2);
        assert_int_equal(a.kind, UI_ACTION_NONE);

        w = &l.widgets[lay_find(&l, LAY_BACK, 0)];
        ui_click(&u, &m, W, H, w->r.x + 2, w->r.y + 2);
        assert_int_equal(u.screen, LAY_SCREEN_HOME);
        w = &l.widgets[lay_find(&l, LAY_TAB, 2)];
        ui_click(&u, &m, W, H, w->r.x + 2, w->r.y + 2);
        assert_int_equal(u.screen, LAY_SCREEN_ABOUT);
        /* Empty space: nothing. */
        ui_click(&u, &m, W, H, W - 2, H / 2);
        assert_int_equal(u.screen, LAY_SCREEN_ABOUT);
}

static void test_model_changes(void **state) {
        ui u;
        model_vm one = { .name = "ndvm", .state = "running" };

        setup_model();
        ui_init(&u);
        key(&u, UI_KEY_DOWN);
        key(&u, UI_KEY_RIGHT);                  /* tile 4? no: only 4 VMs, row 2 has one */
        key(&u, UI_KEY_ENTER);                  /* work */
        assert_string_equal(u.detail_vm, "work");
        /* The VM goes away: back home, focus stays valid. */
        model_set_vms(&m, &one, 1);
        ui_model_changed(&u, &m);
        assert_int_equal(u.screen, LAY_SCREEN_HOME);
        assert_int_equal(focused(&u)->kind, LAY_TILE);
        assert_int_equal(focused(&u)->index, 0);

        /* A focused tile past the end is clamped. */
        setup_model();
        ui_init(&u);
        key(&u, UI_KEY_DOWN);
        assert_int_equal(focused(&u)->index, 3);
        model_set_vms(&m, &one, 1);
        ui_model_changed(&u, &m);
        assert_int_equal(focused(&u)->index, 0);
        /* No VMs at all: the tabs. */
        model_set_vms(&m, NULL, 0);
        ui_model_changed(&u, &m);
        assert_int_equal(focused(&u)->kind, LAY_TAB);
}

static void test_key_names(void **state) {
        ui_key k;

        assert_int_equal(ui_key_from_string("Return", &k), 0);
        assert_int_equal(k, UI_KEY_ENTER);
        assert_int_equal(ui_key_from_string("shift+Tab", &k), 0);
        assert_int_equal(k, UI_KEY_BACKTAB);
        assert_int_equal(ui_key_from_string("down", &k), 0);
        assert_int_equal(k, UI_KEY_DOWN);
        assert_int_equal(ui_key_from_string("F13", &k), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keyboard_walk),
                cmocka_unit_test(test_running_vm_switch_stop),
                cmocka_unit_test(test_unreachable_disables_actions),
                cmocka_unit_test(test_pointer),
                cmocka_unit_test(test_model_changes),
                cmocka_unit_test(test_key_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
