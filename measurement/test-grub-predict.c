/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known-answer tests of the GRUB replay on a synthetic medium (fake modules that are
 * minimal ELF objects with a .moddeps section).  The expected PCR 8 value was computed
 * independently (Python hashlib over the documented strings); the measured sequence
 * itself was checked against a real OVMF + swtpm boot (docs/measurement.md). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "grub-predict.h"
#include "grubmod.h"
#include "util.h"

static char root[] = "/tmp/cairn-test-predict.XXXXXX";

static void put(const char *rel, const void *data, size_t size) {
        char path[512], *slash;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                mkdir(path, 0755);
                *slash = '/';
        }
        assert_int_equal(write_file_atomic(path, data, size, 0644), 0);
}

/* A minimal ELF64 relocatable: section 1 .shstrtab, section 2 .moddeps. */
static size_t make_module(const char *deps, size_t deps_len, uint8_t *out) {
        static const char shstr[] = "\0.shstrtab\0.moddeps\0";
        size_t off = 64, shstr_off, deps_off, shoff;

        memset(out, 0, 1024);
        memcpy(out, "\177ELF\2\1\1", 7);
        shstr_off = off;
        memcpy(out + off, shstr, sizeof(shstr));
        off += sizeof(shstr);
        deps_off = off;
        memcpy(out + off, deps, deps_len);
        off += deps_len;
        off = (off + 7) & ~(size_t) 7;
        shoff = off;
        out[0x28] = (uint8_t) shoff;
        out[0x29] = (uint8_t) (shoff >> 8);
        out[0x3a] = 64; /* shentsize */
        out[0x3c] = 3;  /* shnum */
        out[0x3e] = 1;  /* shstrndx */
        /* section 1: name 1, offset, size */
        out[shoff + 64 + 0] = 1;
        out[shoff + 64 + 0x18] = (uint8_t) shstr_off;
        out[shoff + 64 + 0x20] = sizeof(shstr);
        out[shoff + 128 + 0] = 11;
        out[shoff + 128 + 0x18] = (uint8_t) deps_off;
        out[shoff + 128 + 0x20] = (uint8_t) deps_len;
        return shoff + 3 * 64;
}

static void module(const char *name, const char *deps, size_t deps_len) {
        uint8_t buf[1024];
        char rel[128];
        size_t n = make_module(deps, deps_len, buf);

        snprintf(rel, sizeof(rel), "/boot/grub/x86_64-efi/%s.mod", name);
        put(rel, buf, n);
}

static const char stub[] = "set superusers=\"cairn-admin\"\n"
                           "export superusers\n"
                           "# measurement starts here (the multi-line form the ISO uses)\n"
                           "if [ \"$grub_platform\" = \"efi\" ]; then\n"
                           "\tinsmod tpm\n"
                           "fi\n"
                           "configfile /boot/grub/cairn.cfg\n";

static const char cairn_cfg[] = "# Cairn boot menu\n"
                                "set timeout=3\n"
                                "set xen_args=console=com1\n"
                                "serial --unit=0 --speed=115200\n"
                                "terminal_output serial console\n"
                                "menuentry \"Cairn\" --unrestricted {\n"
                                "\tmultiboot2 /boot/xen.gz $xen_args dom0_mem=512M\n"
                                "# a comment GRUB never sees\n"
                                "\tmodule2 /boot/vmlinuz root=x cairn.verity=00ff\n"
                                "\tmodule2 /boot/initrd.img\n"
                                "}\n";

static int setup(void **state) {
        static const char *const plain[] = { "part_gpt", "part_msdos", "fshelp", "fat", "part_apple", "iso9660",
                                             "gzio", "test", "tpm", "boot", "configfile", "relocator", "terminfo" };

        assert_non_null(mkdtemp(root));
        put("/boot/grub/x86_64-efi/command.lst",
            "configfile: configfile\nmultiboot2: multiboot2\nmodule2: multiboot2\n*serial: serial\n[: test\n"
            "terminal_output: terminal\n",
            strlen("configfile: configfile\nmultiboot2: multiboot2\nmodule2: multiboot2\n*serial: serial\n[: test\n"
                   "terminal_output: terminal\n"));
        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                module(plain[i], "", 0);
        module("normal", "boot\0terminal\0", 15);
        module("terminal", "", 0);
        module("multiboot2", "relocator\0boot\0", 15);
        module("serial", "terminfo\0", 9);
        put("/boot/grub/grub.cfg", stub, strlen(stub));
        put("/boot/grub/cairn.cfg", cairn_cfg, strlen(cairn_cfg));
        put("/boot/xen.gz", "XEN-IMAGE", 9);
        put("/boot/vmlinuz", "KERNEL", 6);
        put("/boot/initrd.img", "", 0);
        return 0;
}

static int teardown(void **state) {
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static int run(const char *cfg_override, int entry, meas_log *log, char **error) {
        _cleanup_(boot_source_freep) boot_source *src = NULL;
        grub_predict_options o = GRUB_PREDICT_OPTIONS_INIT;

        if (cfg_override)
                put("/boot/grub/cairn.cfg", cfg_override, strlen(cfg_override));
        o.entry = entry;
        assert_int_equal(boot_source_open_dir(root, &src), 0);
        return grub_predict(src, &o, log, error);
}

static void test_kat(void **state) {
        meas_log log = {};
        uint8_t v[MEAS_DIGEST_SIZE];
        char hex[65], *error = NULL;
        static const char *const pcr9_paths[] = {
                "/boot/grub/x86_64-efi/configfile.mod", "/boot/grub/cairn.cfg",
                "/boot/grub/x86_64-efi/serial.mod",     "/boot/grub/x86_64-efi/terminfo.mod",
                "/boot/grub/x86_64-efi/multiboot2.mod", "/boot/grub/x86_64-efi/relocator.mod",
                "/boot/xen.gz",                         "/boot/vmlinuz",
                "/boot/initrd.img",
        };
        size_t k = 0;

        assert_int_equal(run(cairn_cfg, -1, &log, &error), 0);
        meas_log_replay(&log, 8, v);
        hex_encode(v, sizeof(v), hex);
        assert_string_equal(hex, "3e218dac7550710138082928395fe8854f8b9835872f84ab7970cec63239cc18");

        /* PCR 9: modules as they are first needed (each before its new dependencies;
         * normal, terminal, boot, test, tpm were loaded before measurement), then files. */
        for (size_t i = 0; i < log.n_events; i++) {
                if (log.events[i].pcr != 9)
                        continue;
                assert_true(k < ELEMENTSOF(pcr9_paths));
                assert_string_equal(log.events[i].text, pcr9_paths[k]);
                k++;
        }
        assert_int_equal(k, ELEMENTSOF(pcr9_paths));
        for (size_t i = 0; i < log.n_events; i++)
                if (log.events[i].kind == MEAS_KIND_KERNEL) {
                        hex_encode(log.events[i].digest, MEAS_DIGEST_SIZE, hex);
                        assert_string_equal(hex, "f118969062245d97a391461cf5fc99a160b2db9f78dc35079f0557256fbae222");
                } else if (log.events[i].kind == MEAS_KIND_MODULE_CMDLINE && log.events[i].index == 1) {
                        hex_encode(log.events[i].digest, MEAS_DIGEST_SIZE, hex);
                        assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
                }
        meas_log_done(&log);
}

static void test_refuse(void **state) {
        static const char *const bad[] = {
                "if true; then set a=b; fi\n",
                "set a=b; set c=d\n",
                "linux /boot/vmlinuz\n",
                "menuentry x {\n\tmultiboot2 /boot/xen.gz $undefined\n}\n",
                "menuentry x {\n\tmultiboot2 (hd0)/boot/xen.gz\n}\n",
                "set prefix=/elsewhere\n",
                "menuentry x {\n\tmodule2 /boot/vmlinuz \"a b\"\n}\n",
                "source /boot/grub/missing.cfg\n",
                "set a=\"x\\y\"\n",
                "menuentry x {\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                meas_log log = {};
                char *error = NULL;

                assert_true(run(bad[i], -1, &log, &error) < 0);
                assert_non_null(error);
                assert_non_null(strstr(error, ":")); /* names file and line */
                free(error);
                meas_log_done(&log);
        }
}

static void test_entries(void **state) {
        static const char two[] = "set default=1\n"
                                  "menuentry \"A\" --id a {\n\tmultiboot2 /boot/xen.gz a\n}\n"
                                  "menuentry \"B b\" --id=b {\n\tmultiboot2 /boot/xen.gz b\n}\n";
        meas_log log = {};
        char *error = NULL;
        bool found = false;

        assert_int_equal(run(two, -1, &log, &error), 0);
        for (size_t i = 0; i < log.n_events; i++)
                if (log.events[i].kind == MEAS_KIND_GRUB_COMMAND && strcmp(log.events[i].text, "setparams B b") == 0)
                        found = true;
                else if (log.events[i].kind == MEAS_KIND_KERNEL_CMDLINE)
                        assert_string_equal(log.events[i].text, "b");
        assert_true(found);
        meas_log_done(&log);

        assert_int_equal(run(two, 0, &log, &error), 0);
        for (size_t i = 0; i < log.n_events; i++)
                if (log.events[i].kind == MEAS_KIND_KERNEL_CMDLINE)
                        assert_string_equal(log.events[i].text, "a");
        meas_log_done(&log);

        assert_int_equal(run(two, 5, &log, &error), -ERANGE);
        free(error);
        meas_log_done(&log);
}

static void test_bios(void **state) {
        _cleanup_(boot_source_freep) boot_source *src = NULL;
        grub_predict_options o = GRUB_PREDICT_OPTIONS_INIT;
        meas_log log = {};
        char *error = NULL;

        put("/boot/grub/cairn.cfg", cairn_cfg, strlen(cairn_cfg));
        o.bios = true;
        assert_int_equal(boot_source_open_dir(root, &src), 0);
        assert_int_equal(grub_predict(src, &o, &log, &error), 0);
        assert_int_equal(log.n_events, 0);
        meas_log_done(&log);
}

static void test_moddeps(void **state) {
        uint8_t buf[1024];
        char **names = NULL;
        size_t n = make_module("a\0bb\0", 5, buf);

        assert_int_equal(grubmod_deps(buf, n, &names), 2);
        assert_string_equal(names[0], "a");
        assert_string_equal(names[1], "bb");
        strv_free(names);
        assert_int_equal(grubmod_deps(buf, 40, &names), -EBADMSG);
        buf[0x3c] = 200; /* shnum beyond the file */
        assert_int_equal(grubmod_deps(buf, n, &names), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kat),
                cmocka_unit_test(test_refuse),
                cmocka_unit_test(test_entries),
                cmocka_unit_test(test_bios),
                cmocka_unit_test(test_moddeps),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
