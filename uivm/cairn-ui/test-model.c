/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State labels and tones, memory and error wording, text sanitising, signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

static void test_states(void **state) {
        assert_string_equal(model_state_label("running"), "Running");
        assert_string_equal(model_state_label("restarting"), "Restarting");
        assert_string_equal(model_state_label("failed"), "Failed");
        assert_string_equal(model_state_label("bogus"), "Unknown");
        assert_string_equal(model_state_label(NULL), "Unknown");
        assert_int_equal(model_state_tone("running"), MODEL_TONE_GOOD);
        assert_int_equal(model_state_tone("starting"), MODEL_TONE_BUSY);
        assert_int_equal(model_state_tone("stopping"), MODEL_TONE_BUSY);
        assert_int_equal(model_state_tone("stopped"), MODEL_TONE_IDLE);
        assert_int_equal(model_state_tone("crashed"), MODEL_TONE_BAD);
        assert_int_equal(model_state_tone("weird"), MODEL_TONE_BAD);

        assert_true(model_can_start("stopped"));
        assert_true(model_can_start("crashed"));
        assert_false(model_can_start("running"));
        assert_true(model_can_stop("running"));
        assert_false(model_can_stop("stopped"));
        assert_true(model_can_switch("running"));
        assert_false(model_can_switch("starting"));
        assert_string_equal(model_type_label("pvh"), "PVH");
        assert_string_equal(model_type_label("x"), "?");
}

static void test_memory(void **state) {
        char b[32];

        model_format_memory(192, b, sizeof(b));
        assert_string_equal(b, "192 MiB");
        model_format_memory(1024, b, sizeof(b));
        assert_string_equal(b, "1 GiB");
        model_format_memory(4096, b, sizeof(b));
        assert_string_equal(b, "4 GiB");
        model_format_memory(1536, b, sizeof(b));
        assert_string_equal(b, "1.5 GiB");
        model_format_memory(1500, b, sizeof(b));
        assert_string_equal(b, "1500 MiB");
        model_format_memory(0, b, sizeof(b));
        assert_string_equal(b, "0 MiB");
}

static void test_copy_text(void **state) {
        char b[8];

        model_copy_text(b, sizeof(b), "abc\n\x1b[2J");
        assert_string_equal(b, "abc??[2");
        model_copy_text(b, sizeof(b), "\xc3\xa9t\xc3\xa9");
        assert_string_equal(b, "??t??");
        model_copy_text(b, sizeof(b), NULL);
        assert_string_equal(b, "");
}

static void test_errors(void **state) {
        char b[160];

        model_format_error("start", "work", "org.cairn.Error.InvalidState", "work is running", b, sizeof(b));
        assert_string_equal(b, "Cannot start work now: work is running");
        model_format_error("stop", "gone", "org.cairn.Error.NoSuchVM", "x", b, sizeof(b));
        assert_string_equal(b, "There is no VM named gone any more.");
        model_format_error("start", "work", "org.freedesktop.DBus.Error.ServiceUnknown", "blah", b, sizeof(b));
        assert_string_equal(b, "Cannot start work: the VM manager does not answer.");
        model_format_error("switch to", "work", "org.freedesktop.DBus.Error.ServiceUnknown", NULL, b, sizeof(b));
        assert_string_equal(b, "Cannot switch to work: the console server does not answer.");
        model_format_error("start", "work", "org.cairn.Error.Failed", "out of memory\n", b, sizeof(b));
        assert_string_equal(b, "Could not start work: out of memory?");
        model_format_error("start", "work", NULL, NULL, b, sizeof(b));
        assert_string_equal(b, "Could not start work.");
}

static void test_service_sentence(void **state) {
        model_vm vm = { .name = "ndvm", .state = "restarting" };
        char b[96];

        assert_string_equal(model_service_vm_sentence(&vm, b, sizeof(b)), "The NDVM is restarting.");
        strcpy(vm.state, "failed");
        assert_string_equal(model_service_vm_sentence(&vm, b, sizeof(b)),
                            "The NDVM has failed and will not be restarted.");
        strcpy(vm.state, "running");
        assert_null(model_service_vm_sentence(&vm, b, sizeof(b)));
        assert_null(model_service_vm_sentence(NULL, b, sizeof(b)));
}

static void test_vms(void **state) {
        static model m;
        model_vm in[3] = {
                { .name = "work", .state = "stopped", .domid = -1 },
                { .name = "ndvm", .state = "running", .domid = 1 },
                { .name = "personal", .state = "stopped", .domid = -1 },
        };

        model_set_vms(&m, in, 3);
        assert_int_equal(m.n_vms, 3);
        /* Sorted by name. */
        assert_string_equal(m.vms[0].name, "ndvm");
        assert_string_equal(m.vms[1].name, "personal");
        assert_string_equal(m.vms[2].name, "work");
        assert_int_equal(model_vm_state_changed(&m, "work", "running", 7), 2);
        assert_string_equal(m.vms[2].state, "running");
        assert_int_equal(m.vms[2].domid, 7);
        assert_int_equal(model_vm_state_changed(&m, "nope", "running", 7), -ENOENT);
        assert_null(model_find_vm(&m, "nope"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_memory),
                cmocka_unit_test(test_copy_text),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_service_sentence),
                cmocka_unit_test(test_vms),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
