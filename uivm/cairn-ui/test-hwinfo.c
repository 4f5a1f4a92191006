/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The About screen's summary of a cairn-hwcheck report. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hwinfo.h"

static const char *sample_path;

static void test_sample(void **state) {
        hwinfo h;

        assert_int_equal(hwinfo_load(sample_path, &h), 0);
        assert_true(h.present);
        assert_string_equal(h.machine, "LENOVO ThinkPad T14 Gen 3");
        assert_string_equal(h.cpu, "12th Gen Intel(R) Core(TM) i7-1260P (16 threads)");
        assert_string_equal(h.memory, "32 GiB");
        assert_string_equal(h.tpm, "TPM 2.0, STM");
        assert_string_equal(h.measured, "Measured with TPM 2.0");
        assert_string_equal(h.secure_boot, "On");
        assert_string_equal(h.iommu, "Enabled");
        assert_string_equal(h.verdict, "ok");
}

static void test_sparse(void **state) {
        const char *j = "{\"schema\":1,\"dmi\":{\"sys_vendor\":null,\"product_name\":\"Box\\u0007\"},"
                        "\"cpu\":null,\"tpm\":{\"version\":\"none\"},\"firmware\":{\"uefi\":false},"
                        "\"xen\":null,\"summary\":{\"verdict\":\"<script>\"}}";
        hwinfo h;

        assert_int_equal(hwinfo_parse(j, strlen(j), &h), 0);
        assert_string_equal(h.machine, "Box?");
        assert_string_equal(h.cpu, "Unknown");
        assert_string_equal(h.memory, "Unknown");
        assert_string_equal(h.tpm, "None found");
        assert_string_equal(h.measured, "Not measured: no TPM");
        assert_string_equal(h.secure_boot, "Legacy BIOS");
        assert_string_equal(h.iommu, "Unknown");
        assert_string_equal(h.verdict, "unknown");
}

static void test_rejects(void **state) {
        static const char *const bad[] = {
                "", "{", "[]", "{\"schema\":2}", "{\"schema\":\"1\"}", "{\"dmi\":{}}", "{\"schema\":1} x",
        };
        hwinfo h;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(hwinfo_parse(bad[i], strlen(bad[i]), &h), -EINVAL);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample),
                cmocka_unit_test(test_sparse),
                cmocka_unit_test(test_rejects),
        };
        if (argc < 2)
                return 77;
        sample_path = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
