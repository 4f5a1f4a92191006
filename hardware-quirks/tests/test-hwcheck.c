/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of libhwcheck: bad input becomes findings (never a crash), the
 * analysis rules, the quirk file parser, every quirk of quirks.d against a
 * synthetic machine that matches it and near misses that must not, JSON
 * escaping, redaction, and the Xen log wordings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "hwcheck.h"
#include "json.h"
#include "quirks.h"

static const char *quirks_dir;

/* ---- helpers to build ACPI tables ---- */

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t) v);
        put16(p + 2, (uint16_t) (v >> 16));
}
static void put64(uint8_t *p, uint64_t v) {
        put32(p, (uint32_t) v);
        put32(p + 4, (uint32_t) (v >> 32));
}

static void header(uint8_t *t, const char *sig, uint32_t len) {
        uint8_t sum = 0;

        memcpy(t, sig, 4);
        put32(t + 4, len);
        t[8] = 1;
        memcpy(t + 10, "CAIRN ", 6);
        memcpy(t + 16, "TESTTABL", 8);
        t[9] = 0;
        for (uint32_t i = 0; i < len; i++)
                sum = (uint8_t) (sum + t[i]);
        t[9] = (uint8_t) (0x100 - sum);
}

static void analyze_tables(struct hw_report *r, uint8_t **tables, size_t *sizes, size_t n) {
        hw_report_init(r);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(hw_report_add_acpi_table(r, tables[i], sizes[i], "test"), 0);
        assert_int_equal(hw_analyze(r), 0);
}

static bool has(const struct hw_report *r, const char *id) {
        return hw_findings_has(&r->findings, id);
}

/* DMAR with: unit 0 base unaligned + INCLUDE_ALL, unit 1 INCLUDE_ALL, RMRR base > limit */
static void test_dmar_rules(void **state) {
        uint8_t t[48 + 16 + 16 + 24] = {};
        uint8_t *p[1] = { t };
        size_t s[1] = { sizeof(t) };
        struct hw_report r;

        t[36] = 38;     /* 39 bits */
        t[37] = 0;      /* no interrupt remapping */
        put16(t + 48, 0);
        put16(t + 50, 16);
        t[52] = 1;
        put64(t + 56, 0xfed90010);
        put16(t + 64, 0);
        put16(t + 66, 16);
        t[68] = 1;
        put64(t + 72, 0xfed91000);
        put16(t + 80, 1);
        put16(t + 82, 24);
        put64(t + 88, 0x5000000);
        put64(t + 96, 0x4000fff);
        header(t, "DMAR", sizeof(t));
        analyze_tables(&r, p, s, 1);
        assert_non_null(r.acpi.dmar);
        assert_int_equal(r.acpi.dmar->host_address_width, 39);
        assert_int_equal(r.acpi.dmar->n_drhd, 2);
        assert_true(has(&r, "dmar-drhd-unaligned"));
        assert_true(has(&r, "dmar-multiple-include-all"));
        assert_true(has(&r, "dmar-rmrr-inverted"));
        assert_true(has(&r, "no-interrupt-remapping"));
        assert_false(has(&r, "no-iommu"));
        assert_false(has(&r, "acpi-checksum"));
        hw_report_done(&r);
}

static void test_bad_tables(void **state) {
        uint8_t t[256];
        struct hw_report r;

        /* shorter than a header */
        hw_report_init(&r);
        memcpy(t, "DMAR", 4);
        assert_int_equal(hw_report_add_acpi_table(&r, t, 10, "x"), 0);
        assert_true(has(&r, "acpi-table-truncated"));
        hw_report_done(&r);

        /* length past the end of the data */
        memset(t, 0, sizeof(t));
        header(t, "IVRS", 200);
        hw_report_init(&r);
        assert_int_equal(hw_report_add_acpi_table(&r, t, 60, "x"), 0);
        assert_true(has(&r, "acpi-table-truncated"));
        hw_report_done(&r);

        /* absurd length */
        memset(t, 0, sizeof(t));
        header(t, "APIC", 64);
        put32(t + 4, 0xffffffff);
        hw_report_init(&r);
        assert_int_equal(hw_report_add_acpi_table(&r, t, 64, "x"), 0);
        assert_true(has(&r, "acpi-table-truncated"));
        assert_null(r.acpi.madt);
        hw_report_done(&r);

        /* bad checksum */
        memset(t, 0, sizeof(t));
        header(t, "HPET", 56);
        t[9]++;
        hw_report_init(&r);
        assert_int_equal(hw_report_add_acpi_table(&r, t, 56, "x"), 0);
        assert_true(has(&r, "acpi-checksum"));
        assert_false(r.acpi.tables[0].checksum_ok);
        hw_report_done(&r);

        /* zero-length subtables in DMAR, IVRS and MADT: a finding, no endless loop */
        {
                static const char *const sigs[] = { "DMAR", "IVRS", "APIC" };
                static const char *const ids[] = { "acpi-dmar-malformed", "acpi-ivrs-malformed", "acpi-madt-malformed" };

                for (size_t i = 0; i < 3; i++) {
                        memset(t, 0, sizeof(t));
                        header(t, sigs[i], 128);
                        hw_report_init(&r);
                        assert_int_equal(hw_report_add_acpi_table(&r, t, 128, "x"), 0);
                        assert_true(has(&r, ids[i]));
                        hw_report_done(&r);
                }
        }
}

/* IVRS with a huge number of special-device entries: capped, with a finding. */
static void test_ivrs_absurd_count(void **state) {
        size_t ivhd_len = 24 + 8 * 1000, len = 48 + ivhd_len;
        uint8_t *t = calloc(1, len);
        struct hw_report r;

        assert_non_null(t);
        t[48] = 0x10;
        put16(t + 50, (uint16_t) ivhd_len);
        put64(t + 56, 0xfeb80000);
        for (size_t i = 0; i < 1000; i++) {
                uint8_t *e = t + 48 + 24 + 8 * i;

                e[0] = 0x48;
                e[4] = (uint8_t) i;
                e[7] = 1;
        }
        header(t, "IVRS", (uint32_t) len);
        hw_report_init(&r);
        assert_int_equal(hw_report_add_acpi_table(&r, t, len, "x"), 0);
        assert_int_equal(r.acpi.ivrs->ivhd[0].n_special, ACPI_IVRS_MAX_SPECIAL);
        assert_true(has(&r, "acpi-ivrs-too-many"));
        assert_int_equal(hw_analyze(&r), 0);
        hw_report_done(&r);
        free(t);
}

/* IVRS names IOAPIC 0x21 while the MADT has 0x04: both directions are found */
static void test_ivrs_madt_mismatch(void **state) {
        uint8_t iv[48 + 24 + 8] = {}, ma[44 + 12] = {};
        uint8_t *p[2] = { iv, ma };
        size_t s[2] = { sizeof(iv), sizeof(ma) };
        struct hw_report r;

        iv[48] = 0x10;
        put16(iv + 50, 32);
        put64(iv + 56, 0xfeb80000);
        iv[72] = 0x48;
        iv[76] = 0x21;
        put16(iv + 77, 0xa0);
        iv[79] = 1;
        header(iv, "IVRS", sizeof(iv));
        ma[44] = 1;
        ma[45] = 12;
        ma[46] = 4;
        put32(ma + 48, 0xfec00000);
        header(ma, "APIC", sizeof(ma));
        analyze_tables(&r, p, s, 2);
        assert_true(has(&r, "ivrs-ioapic-mismatch"));
        assert_true(has(&r, "ivrs-ioapic-missing"));
        assert_int_equal(r.acpi.ivrs->ivhd[0].special[0].device_id, 0xa0);
        hw_report_done(&r);

        /* matching handle: no finding */
        iv[76] = 4;
        header(iv, "IVRS", sizeof(iv));
        analyze_tables(&r, p, s, 2);
        assert_false(has(&r, "ivrs-ioapic-mismatch"));
        assert_false(has(&r, "ivrs-ioapic-missing"));
        assert_true(has(&r, "interrupt-remapping"));
        hw_report_done(&r);
}

static void test_tpm2_and_no_iommu(void **state) {
        uint8_t t[52] = {};
        uint8_t *p[1] = { t };
        size_t s[1] = { sizeof(t) };
        struct hw_report r;

        put32(t + 48, 2);       /* ACPI start method needs 56 bytes */
        header(t, "TPM2", sizeof(t));
        analyze_tables(&r, p, s, 1);
        assert_true(has(&r, "tpm2-table-short"));
        assert_true(has(&r, "no-iommu"));
        hw_report_done(&r);

        put32(t + 48, 6);       /* TIS: 52 is enough */
        header(t, "TPM2", sizeof(t));
        analyze_tables(&r, p, s, 1);
        assert_false(has(&r, "tpm2-table-short"));
        hw_report_done(&r);
}

static void test_virt_disabled(void **state) {
        struct hw_report r;

        hw_report_init(&r);
        r.cpu.known = true;
        strcpy(r.cpu.vendor, "GenuineIntel");
        r.cpu.vmx = true;
        r.cpu.virt_firmware_disabled = HW_YES;
        assert_int_equal(hw_analyze(&r), 0);
        assert_true(has(&r, "virt-disabled-by-firmware"));
        assert_false(has(&r, "cpu-virt"));
        hw_report_done(&r);
}

static void test_acpidump_text(void **state) {
        static const char good[] =
                "HPET @ 0x0000000000000000\n"
                "    0000: 48 50 45 54 38 00 00 00 01 00 41 20 20 20 20 20  HPET8.....A     \n"
                "    0010: 20 20 20 20 20 20 20 20 00 00 00 00 20 20 20 20          ....    \n"
                "    0020: 00 00 00 00 01 A2 86 80 00 00 00 00 00 00 D0 FE  ................\n"
                "    0030: 00 00 00 00 00 00 00 00                          ........\n\n";
        static const char gap[] =
                "APIC @ 0x0\n"
                "    0000: 41 50 49 43 2C 00 00 00 01 00 41 41 41 41 41 41  APIC,.....AAAAAA\n"
                "    0030: 00 00 00 00\n";
        struct hw_report r;

        hw_report_init(&r);
        assert_int_equal(hw_report_load_acpidump(&r, good, strlen(good)), 1);
        assert_int_equal(r.acpi.n_tables, 1);
        assert_string_equal(r.acpi.tables[0].signature, "HPET");
        assert_non_null(r.acpi.hpet);
        assert_int_equal(r.acpi.hpet->base, 0xfed00000);
        hw_report_done(&r);

        hw_report_init(&r);
        assert_true(hw_report_load_acpidump(&r, gap, strlen(gap)) >= 0);
        assert_true(has(&r, "acpidump-malformed"));
        hw_report_done(&r);

        hw_report_init(&r);
        assert_int_equal(hw_report_load_acpidump(&r, "garbage\n", 8), 0);
        assert_true(has(&r, "acpidump-empty"));
        hw_report_done(&r);
}

static size_t add_structure(uint8_t *t, size_t off, uint8_t type, const uint8_t *body, uint8_t blen,
                            const char *const *strings) {
        t[off] = type;
        t[off + 1] = (uint8_t) (4 + blen);
        t[off + 2] = 0;
        t[off + 3] = 0;
        memcpy(t + off + 4, body, blen);
        off += 4 + blen;
        if (!strings || !strings[0]) {
                t[off++] = 0;
                t[off++] = 0;
                return off;
        }
        for (size_t i = 0; strings[i]; i++) {
                memcpy(t + off, strings[i], strlen(strings[i]) + 1);
                off += strlen(strings[i]) + 1;
        }
        t[off++] = 0;
        return off;
}

static void test_smbios_binary(void **state) {
        uint8_t t[512] = {};
        uint8_t b1[23] = { 1, 2, 3, 4 };
        uint8_t b2[4] = { 1, 2, 0, 3 };
        const char *const s1[] = { "LENOVO", "81FB", "ideapad 330S-15ARR", "PF1234567", NULL };
        const char *const s2[] = { "LENOVO", "LNVNB161216", "SN-BOARD", NULL };
        struct hw_report r;
        struct redactor rd = {};
        size_t off = 0;

        for (int i = 0; i < 16; i++)
                b1[4 + i] = (uint8_t) (i + 1);
        off = add_structure(t, off, 1, b1, sizeof(b1) - 2, s1);
        off = add_structure(t, off, 2, b2, sizeof(b2), s2);
        off = add_structure(t, off, 127, NULL, 0, NULL);

        hw_report_init(&r);
        assert_int_equal(smbios_parse_table(&r.dmi, t, off, &r.findings), 0);
        assert_string_equal(r.dmi.field[SMBIOS_SYS_VENDOR], "LENOVO");
        assert_string_equal(r.dmi.field[SMBIOS_PRODUCT_NAME], "81FB");
        assert_string_equal(r.dmi.field[SMBIOS_PRODUCT_SERIAL], "PF1234567");
        assert_string_equal(r.dmi.field[SMBIOS_PRODUCT_UUID], "04030201-0605-0807-090A-0B0C0D0E0F10");
        assert_string_equal(r.dmi.field[SMBIOS_BOARD_NAME], "LNVNB161216");
        assert_null(r.dmi.field[SMBIOS_BOARD_VERSION]); /* string index 0 */
        assert_int_equal(r.findings.n, 0);
        hw_report_done(&r);

        /* redaction overwrites the serials and the UUID in place */
        assert_int_equal(redact_smbios_table(&rd, t, off), 0);
        assert_null(memmem(t, off, "PF1234567", 9));
        assert_null(memmem(t, off, "SN-BOARD", 8));
        assert_non_null(memmem(t, off, "81FB", 4));
        redactor_done(&rd);

        /* every truncation of the table: findings, never a crash */
        for (size_t n = 0; n < off; n++) {
                hw_report_init(&r);
                assert_int_equal(smbios_parse_table(&r.dmi, t, n, &r.findings), 0);
                hw_report_done(&r);
        }
        /* a structure claiming length 2 */
        t[1] = 2;
        hw_report_init(&r);
        assert_int_equal(smbios_parse_table(&r.dmi, t, off, &r.findings), 0);
        assert_true(has(&r, "smbios-malformed"));
        hw_report_done(&r);
}

static void test_dmidecode_text(void **state) {
        static const char text[] =
                "# dmidecode 3.4\nSMBIOS 3.2.0 present.\n\n"
                "Handle 0x0000, DMI type 0, 26 bytes\nBIOS Information\n\tVendor: LENOVO\n\tVersion: 7ZCN41WW\n"
                "\tRelease Date: 03/26/2019\n\tCharacteristics:\n\t\tUEFI is supported\n\n"
                "Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: LENOVO\n"
                "\tProduct Name: 81FB\n\tVersion: Not Specified\n\tSerial Number: PF0ABCDE\n"
                "\tUUID: 4c4c4544-0042-3010-8036-b4c04f334d32\n\n"
                "Handle 0x0004, DMI type 4, 48 bytes\nProcessor Information\n\tManufacturer: Advanced Micro Devices, Inc.\n"
                "\tID: 11 0F 81 00 FF FB 8B 17\n\tStatus: Populated, Enabled\n\n"
                "Handle 0x0005, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: SECOND\n";
        struct hw_report r;
        struct redactor rd = {};
        char *red;
        size_t n = 0;

        hw_report_init(&r);
        assert_int_equal(hw_report_load_dmidecode(&r, text, strlen(text)), 0);
        assert_string_equal(r.dmi.field[SMBIOS_SYS_VENDOR], "LENOVO");
        assert_null(r.dmi.field[SMBIOS_PRODUCT_VERSION]);
        assert_string_equal(r.dmi.field[SMBIOS_BIOS_DATE], "03/26/2019");
        assert_string_equal(r.dmi.version, "3.2.0");
        assert_true(r.dmi.bios_uefi);
        hw_report_cpu_from_smbios(&r);
        assert_string_equal(r.cpu.vendor, "AuthenticAMD");
        assert_int_equal(r.cpu.family, 0x17);
        assert_int_equal(r.cpu.model, 0x11);
        hw_report_done(&r);

        red = redact_dmidecode(&rd, text, strlen(text), &n);
        assert_non_null(red);
        assert_null(strstr(red, "PF0ABCDE"));
        assert_null(strstr(red, "4c4c4544"));
        assert_non_null(strstr(red, "Serial Number: SERIAL-1"));
        assert_non_null(strstr(red, "UUID: UUID-1"));
        free(red);
        /* the same value later in free text gets the same placeholder */
        red = redact_text(&rd, "sn PF0ABCDE mac 00:1A:2b:3c:4d:5e end", 37, &n);
        assert_string_equal(red, "sn SERIAL-1 mac MAC-1 end");
        free(red);
        redactor_done(&rd);
}

static void test_json_escape(void **state) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        json_write_escaped(f, "a\"b\\c\n\x01\xff\xc3\xa9");
        fclose(f);
        assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"");
        free(buf);
}

static void test_xen_wordings(void **state) {
        static const char old_log[] =
                "(XEN) HVM: VMX enabled\n(XEN) HVM: Hardware Assisted Paging detected.\n"
                "(XEN) Intel VT-d Interrupt Remapping enabled.\n(XEN) I/O virtualisation enabled\n";
        static const char new_log[] =
                "(XEN) HVM: SVM enabled\n(XEN) HVM: Hardware Assisted Paging (HAP) detected\n"
                "(XEN) AMD-Vi: IO-APIC 0x21 not found in IVRS\n(XEN) I/O virtualisation disabled\n"
                "(XEN) Interrupt remapping disabled\n";
        static const char info[] = "host                   : box\nvirt_caps              : pv hvm hap shadow\n";
        struct hw_xen x = { .hvm = HW_UNKNOWN, .hap = HW_UNKNOWN, .iommu = HW_UNKNOWN, .intremap = HW_UNKNOWN };

        assert_int_equal(hw_xen_parse_dmesg(&x, old_log, strlen(old_log)), 0);
        assert_int_equal(x.hvm, HW_YES);
        assert_int_equal(x.hap, HW_YES);
        assert_int_equal(x.intremap, HW_YES);
        assert_int_equal(x.iommu, HW_YES);
        assert_int_equal(hw_xen_parse_dmesg(&x, new_log, strlen(new_log)), 0);
        assert_int_equal(x.iommu, HW_NO);
        assert_int_equal(x.intremap, HW_NO);
        assert_int_equal(x.n_errors, 1); /* the IVRS line */
        assert_int_equal(hw_xen_parse_info(&x, info, strlen(info)), 0);
        assert_true(x.present);
        assert_string_equal(x.virt_caps, "pv hvm hap shadow");
        for (unsigned i = 0; i < x.n_errors; i++)
                free(x.errors[i]);
        free(x.virt_caps);
}

static void test_quirk_parse_errors(void **state) {
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                { "id = a\nreason = r\nsource = s\nxen_cmdline = x\n", "no match lines" },
                { "id = a\nreason = r\nsource = s\ndmi.sys_vendor = X\n", "no effect" },
                { "id = a\nsource = s\ndmi.sys_vendor = X\nadvice = y\n", "no \"reason\"" },
                { "id = a\nreason = r\ndmi.sys_vendor = X\nadvice = y\n", "no \"source\"" },
                { "id = a\nreason = r\nsource = s\ndmi.nonsense = X\nadvice = y\n", "f.quirk:4: unknown DMI field" },
                { "id = a\nreason = r\nsource = s\npci = 80861234\nadvice = y\n", "f.quirk:4: bad PCI match" },
                { "id = a\nreason = r\nsource = s\ncpu.family = 9-2\nadvice = y\n", "f.quirk:4: bad cpu.family" },
                { "id = a\nid = b\n", "f.quirk:2: \"id\" given twice" },
                { "id = A B\n", "f.quirk:1: id \"A B\"" },
                { "just text\n", "f.quirk:1: expected \"key = value\"" },
                { "id = a\nunsupported = maybe\n", "f.quirk:2: \"unsupported\" must be yes or no" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct quirk q;
                char *err = NULL;

                assert_int_equal(quirk_parse(cases[i].text, strlen(cases[i].text), "f.quirk", &q, &err), -EINVAL);
                assert_non_null(err);
                if (!strstr(err, cases[i].error))
                        fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, cases[i].error);
                free(err);
        }
}

/* A string that the glob matches: '*' dropped, '?' becomes 'x'. */
static char *glob_example(const char *glob) {
        char *s = malloc(strlen(glob) + 1), *o = s;

        assert_non_null(s);
        for (const char *p = glob; *p; p++) {
                if (*p == '*')
                        continue;
                *o++ = *p == '?' ? 'x' : *p;
        }
        *o = '\0';
        assert_int_equal(fnmatch(glob, s, 0), 0);
        return s;
}

/* Builds a machine that satisfies the first alternative of every key. */
static void synth_machine(const struct quirk *q, struct hw_report *r, struct hw_pci_dev *pci) {
        hw_report_init(r);
        r->pci = pci;
        r->n_pci = 0;
        r->cpu.from_smbios = true;
        for (size_t i = 0; i < q->n_conds; i++) {
                const struct quirk_cond *c = &q->conds[i];
                char *s;

                switch (c->kind) {
                case QUIRK_COND_DMI:
                        if (r->dmi.field[c->dmi_field])
                                break;
                        s = glob_example(c->pattern);
                        assert_int_equal(smbios_set_field(&r->dmi, c->dmi_field, s, strlen(s)), 0);
                        free(s);
                        break;
                case QUIRK_COND_PCI:
                        if (r->n_pci > 0)
                                break;
                        pci[0] = (struct hw_pci_dev) { .vendor = c->pci_vendor,
                                                       .device = (uint16_t) (c->pci_device >= 0 ? c->pci_device : 0x1234),
                                                       .revision = (uint8_t) (c->pci_revision >= 0 ? c->pci_revision : 0),
                                                       .class_code = c->pci_class >= 0 ? (uint32_t) c->pci_class << 8 : 0x030000,
                                                       .iommu_group = -1 };
                        r->n_pci = 1;
                        break;
                case QUIRK_COND_CPU_VENDOR:
                        s = glob_example(c->pattern);
                        snprintf(r->cpu.vendor, sizeof(r->cpu.vendor), "%s", s);
                        free(s);
                        break;
                case QUIRK_COND_CPU_FAMILY:
                        r->cpu.family = c->lo;
                        break;
                case QUIRK_COND_CPU_MODEL:
                        r->cpu.model = c->lo;
                        break;
                case QUIRK_COND_ACPI_TABLE:
                        memcpy(r->acpi.tables[r->acpi.n_tables++].signature, c->pattern, 5);
                        break;
                case QUIRK_COND_FINDING:
                        assert_int_equal(hw_findings_add(&r->findings, "test", c->pattern, HW_SEVERITY_WARN, "x"), 0);
                        break;
                }
        }
}

/* Breaks every condition of the key of conds[k] (a near miss). */
static void break_key(const struct quirk *q, size_t k, struct hw_report *r) {
        const struct quirk_cond *c = &q->conds[k];

        switch (c->kind) {
        case QUIRK_COND_DMI: {
                /* a near miss: the value with its last character changed */
                char *v = strdup(r->dmi.field[c->dmi_field]);
                size_t n = strlen(v);

                assert_true(n > 0);
                v[n - 1] = v[n - 1] == '#' ? '%' : '#';
                assert_int_equal(smbios_set_field(&r->dmi, c->dmi_field, v, n), 0);
                free(v);
                break;
        }
        case QUIRK_COND_PCI:
                /* same vendor, another device; or another vendor for "VVVV:*" */
                if (c->pci_device >= 0)
                        r->pci[0].device ^= 0x0800;
                else
                        r->pci[0].vendor ^= 0x0001;
                break;
        case QUIRK_COND_CPU_VENDOR:
                strcpy(r->cpu.vendor, "Cairn?Vendor");
                break;
        case QUIRK_COND_CPU_FAMILY:
                r->cpu.family = c->hi + 1;
                break;
        case QUIRK_COND_CPU_MODEL:
                r->cpu.model = c->hi + 1;
                break;
        case QUIRK_COND_ACPI_TABLE:
                r->acpi.n_tables = 0;
                break;
        case QUIRK_COND_FINDING:
                hw_findings_done(&r->findings);
                break;
        }
}

static void test_quirk_database(void **state) {
        struct quirk_db db = {};
        char *errors = NULL;
        unsigned near_misses = 0;

        assert_int_equal(quirk_db_load_dir(&db, quirks_dir, &errors), 0);
        if (errors)
                fail_msg("%s", errors);
        assert_true(db.n >= 25);

        for (size_t i = 0; i < db.n; i++) {
                const struct quirk *q = &db.quirks[i];
                struct hw_pci_dev pci[1];
                struct hw_report r;
                int m;

                synth_machine(q, &r, pci);
                m = quirk_matches(q, &r, NULL);
                if (m != 1)
                        fail_msg("quirk %s does not match a machine built from its own conditions", q->id);
                r.pci = NULL;
                hw_report_done(&r);

                for (size_t k = 0; k < q->n_conds; k++) {
                        bool first = true;

                        for (size_t j = 0; j < k; j++)
                                if (q->conds[j].kind == q->conds[k].kind &&
                                    (q->conds[k].kind != QUIRK_COND_DMI || q->conds[j].dmi_field == q->conds[k].dmi_field))
                                        first = false;
                        if (!first)
                                continue;
                        synth_machine(q, &r, pci);
                        break_key(q, k, &r);
                        m = quirk_matches(q, &r, NULL);
                        if (m != 0)
                                fail_msg("quirk %s still matches a near miss of line %u", q->id, q->conds[k].line);
                        near_misses++;
                        r.pci = NULL;
                        hw_report_done(&r);
                }
        }
        print_message("%zu quirks: each matches its machine; %u near misses do not match\n", db.n, near_misses);
        quirk_db_done(&db);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dmar_rules),
                cmocka_unit_test(test_bad_tables),
                cmocka_unit_test(test_ivrs_absurd_count),
                cmocka_unit_test(test_ivrs_madt_mismatch),
                cmocka_unit_test(test_tpm2_and_no_iommu),
                cmocka_unit_test(test_virt_disabled),
                cmocka_unit_test(test_acpidump_text),
                cmocka_unit_test(test_smbios_binary),
                cmocka_unit_test(test_dmidecode_text),
                cmocka_unit_test(test_json_escape),
                cmocka_unit_test(test_xen_wordings),
                cmocka_unit_test(test_quirk_parse_errors),
                cmocka_unit_test(test_quirk_database),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s QUIRKS_DIR\n", argv[0]);
                return 2;
        }
        quirks_dir = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
