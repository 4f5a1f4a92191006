/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "vmdef.h"

static VmDef *parse_ok(const char *text) {
        VmDef *def = NULL;
        char *err = NULL;
        int r = vmdef_parse("t.vm", NULL, text, strlen(text), &def, &err);

        if (r < 0)
                fail_msg("unexpected error: %s", err);
        free(err);
        return def;
}

static char *parse_err(const char *text) {
        VmDef *def = NULL;
        char *err = NULL;

        assert_int_equal(vmdef_parse("t.vm", NULL, text, strlen(text), &def, &err), -EINVAL);
        assert_null(def);
        assert_non_null(err);
        return err;
}

static void test_full(void **state) {
        VmDef *def = parse_ok(
                "# the network VM\n"
                "name=ndvm\n"
                "type=pv\n"
                "memory=192   # MiB\n"
                "vcpus=2\n"
                "kernel=/usr/lib/cairn/vm/vmlinuz\n"
                "ramdisk=/usr/lib/cairn/vm/initrd.img\n"
                "cmdline=console=hvc0 quiet cairn.vm=ndvm\n"
                "cpuid=host,rdtscp=0\n"
                "disk=/dev/mapper/cairn-ndvm,xvda,r\n"
                "disk=/dev/mapper/cairn-ndvm-rw,xvdb,w\n"
                "nic=backend=ndvm2,bridge=xenbr0,mac=00:16:3E:00:00:10\n"
                "pci=class:0x02\n"
                "pci=0000:00:03.1\n"
                "\n"
                "vfb=yes\nvkb=no\nautostart=yes\norder=10\nrestart=on-crash\nrestart_max=3\n"
                "shutdown_timeout=20\n");

        assert_string_equal(def->name, "ndvm");
        assert_int_equal(def->type, VM_TYPE_PV);
        assert_int_equal(def->memory_mib, 192);
        assert_int_equal(def->vcpus, 2);
        assert_string_equal(def->cmdline, "console=hvc0 quiet cairn.vm=ndvm");
        assert_string_equal(def->cpuid, "host,rdtscp=0");
        assert_int_equal(def->n_disks, 2);
        assert_string_equal(def->disks[1].target, "/dev/mapper/cairn-ndvm-rw");
        assert_false(def->disks[0].writable);
        assert_true(def->disks[1].writable);
        assert_int_equal(def->n_nics, 1);
        assert_string_equal(def->nics[0].backend, "ndvm2");
        assert_true(def->nics[0].has_mac);
        assert_int_equal(def->nics[0].mac[2], 0x3e);
        assert_int_equal(def->n_pcis, 2);
        assert_true(def->pcis[0].is_class);
        assert_int_equal(def->pcis[0].class, 2);
        assert_int_equal(def->pcis[1].dev, 3);
        assert_int_equal(def->pcis[1].func, 1);
        assert_true(def->vfb);
        assert_false(def->vkb);
        assert_true(def->autostart);
        assert_int_equal(def->order, 10);
        assert_int_equal(def->restart, VM_RESTART_ON_CRASH);
        assert_int_equal(def->restart_max, 3);
        assert_int_equal(def->shutdown_timeout, 20);
        vmdef_free(def);
}

static void test_defaults(void **state) {
        VmDef *def = parse_ok("name=a\nkernel=/k\n");

        assert_int_equal(def->type, VM_TYPE_PV);
        assert_int_equal(def->memory_mib, 128);
        assert_int_equal(def->vcpus, 1);
        assert_false(def->autostart);
        assert_int_equal(def->restart, VM_RESTART_NEVER);
        assert_int_equal(def->restart_max, 5);
        assert_int_equal(def->shutdown_timeout, 30);
        vmdef_free(def);
        /* hvm needs no kernel */
        def = parse_ok("name=win\ntype=hvm\n");
        assert_null(def->kernel);
        vmdef_free(def);
}

static void test_errors(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "kernel=/k\n", "t.vm: no name= line" },
                { "name=a\nkernel=/k\nmemory=0\n", "t.vm:3: memory \"0\" is not a number of MiB from 16 to 1048576" },
                { "name=a\nkernel=/k\nmemory=-5\n", "t.vm:3: memory \"-5\" is not a number of MiB from 16 to 1048576" },
                { "name=a\nkernel=/k\nmemory=99999999999999999999999\n", "t.vm:3: memory \"99999999999999999999999\" is not a number of MiB from 16 to 1048576" },
                { "name=A\n", "t.vm:1: name \"A\" is not [a-z0-9-]{1,32}" },
                { "name=a\nname=b\n", "t.vm:2: name= given twice" },
                { "name=a\nfoo=1\n", "t.vm:2: unknown key \"foo\"" },
                { "name=a\njunk\n", "t.vm:2: expected key=value, got \"junk\"" },
                { "name=a\n", "t.vm: a pv VM needs kernel=" },
                { "name=a\nkernel=relative\n", "t.vm:2: kernel \"relative\" is not an absolute path" },
                { "name=a\nkernel=/k\ndisk=/d,xvda\n", "t.vm:3: disk= wants target,vdev,r|w" },
                { "name=a\nkernel=/k\ndisk=/d,xvda,x\n", "t.vm:3: disk mode \"x\" is not r or w" },
                { "name=a\nkernel=/k\nnic=mac=01:00:00:00:00:00\n", "t.vm:3: nic mac \"01:00:00:00:00:00\" is not a unicast xx:xx:xx:xx:xx:xx" },
                { "name=a\nkernel=/k\nnic=colour=red\n", "t.vm:3: unknown nic key \"colour\" (backend, bridge, mac, ip, model, vifname, script)" },
                { "name=a\nkernel=/k\npci=0000:00:20.0\n", "t.vm:3: pci \"0000:00:20.0\" is neither a BDF like 0000:00:03.0 nor class:0xCC" },
                { "name=a\nkernel=/k\nrestart=sometimes\n", "t.vm:3: restart \"sometimes\" is not never, on-crash or always" },
                { "name=a\nkernel=/k\ncmdline=\x01\n", "t.vm:3: control character in line" },
                { "name=a\nkernel=\n", "t.vm:2: kernel= has an empty value" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *err = parse_err(cases[i].text);
                assert_string_equal(err, cases[i].error);
                free(err);
        }
}

static void test_bounds(void **state) {
        char *big, *err;
        VmDef *def = NULL;
        size_t n = VMDEF_FILE_MAX + 1;

        /* A file over the limit and a line over the limit. */
        big = malloc(n);
        assert_non_null(big);
        memset(big, '#', n);
        assert_int_equal(vmdef_parse("t.vm", NULL, big, n, &def, &err), -EINVAL);
        assert_string_equal(err, "t.vm: file larger than 65536 bytes");
        free(err);
        memcpy(big, "cmdline=", 8);
        assert_int_equal(vmdef_parse("t.vm", NULL, big, VMDEF_LINE_MAX + 10, &def, &err), -EINVAL);
        assert_string_equal(err, "t.vm:1: line longer than 4096 characters");
        free(err);
        free(big);

        /* NUL bytes are refused. */
        assert_int_equal(vmdef_parse("t.vm", NULL, "name=a\0x\n", 9, &def, &err), -EINVAL);
        assert_string_equal(err, "t.vm: file contains a NUL byte");
        free(err);

        /* At most VMDEF_DISKS_MAX disks. */
        {
                char text[4096] = "name=a\nkernel=/k\n";
                for (int i = 0; i <= VMDEF_DISKS_MAX; i++)
                        sprintf(text + strlen(text), "disk=/d%d,xvd%c,r\n", i, 'a' + i);
                err = parse_err(text);
                assert_string_equal(err, "t.vm:19: too many disk= lines (at most 16)");
                free(err);
        }
}

static void test_roundtrip(void **state) {
        VmDef *def = parse_ok("name=ui\ntype=pvh\nkernel=/k\nnic=bridge=br0,mac=00:16:3e:00:00:01\npci=class:0x3\n");
        VmDef *again = NULL;
        char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        FILE *f;

        f = open_memstream(&a, &na);
        vmdef_dump(def, f);
        fclose(f);
        assert_non_null(strstr(a, "pci=class:0x03\n"));
        assert_non_null(strstr(a, "type=pvh\n"));
        assert_int_equal(vmdef_parse("t.vm", "ui", a, na, &again, NULL), 0);
        f = open_memstream(&b, &nb);
        vmdef_dump(again, f);
        fclose(f);
        assert_string_equal(a, b);
        free(a);
        free(b);
        vmdef_free(def);
        vmdef_free(again);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int n_reports;
static char last_report[512];

static void record(const char *message, void *userdata) {
        n_reports++;
        snprintf(last_report, sizeof(last_report), "%s", message);
}

static void test_dirs(void **state) {
        char d1[] = "/tmp/test-vmdef-XXXXXX", d2[] = "/tmp/test-vmdef-XXXXXX", cmd[128];
        char *dirs[3];
        VmDef **defs = NULL;
        size_t n = 0;
        int errors;

        assert_non_null(mkdtemp(d1));
        assert_non_null(mkdtemp(d2));
        write_file(d1, "ndvm.vm", "name=ndvm\nkernel=/k\n");
        write_file(d1, "broken.vm", "name=broken\nkernel=/k\nmemory=lots\n");
        write_file(d1, "other.vm", "name=notother\nkernel=/k\n");
        write_file(d1, "ignored.txt", "garbage\n");
        write_file(d2, "ndvm.vm", "name=ndvm\nkernel=/k2\n");
        write_file(d2, "uivm.vm", "name=uivm\nkernel=/k\n");

        dirs[0] = d1;
        dirs[1] = (char *) "/nonexistent/vms";
        dirs[2] = d2;
        errors = vmdef_load_dirs(dirs, 3, &defs, &n, record, NULL);
        /* broken.vm, other.vm (name mismatch) and the second ndvm are reported and skipped. */
        assert_int_equal(errors, 3);
        assert_int_equal(n_reports, 3);
        assert_int_equal(n, 2);
        assert_string_equal(defs[0]->name, "ndvm");
        assert_string_equal(defs[0]->kernel, "/k");
        assert_string_equal(defs[1]->name, "uivm");
        assert_non_null(strstr(last_report, "VM ndvm is already defined by"));
        vmdef_free_many(defs, n);

        snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d1, d2);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_dirs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
