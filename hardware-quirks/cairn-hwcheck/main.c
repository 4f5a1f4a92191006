/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-hwcheck: can this machine run Cairn well, and which known quirks
 * apply?  Live on the machine (dom0, the ISO's diagnostics entry, any Linux)
 * or offline on dumps a customer sent. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "cairn-config.h"
#include "hwcheck.h"
#include "live.h"
#include "log.h"
#include "quirks.h"
#include "util.h"

#ifndef HWCHECK_QUIRKS_DIR
#define HWCHECK_QUIRKS_DIR "/usr/share/cairn/quirks.d"
#endif

#define INPUT_MAX (64u * 1024u * 1024u)

static bool arg_json;
static bool arg_check_quirks;
static bool arg_no_redact;
static bool arg_no_xen;
static bool arg_no_tpm;
static int arg_color = -1;
static const char *arg_acpidump;
static const char *arg_dmidecode;
static const char *arg_acpi_dir;
static const char *arg_dmi_dir;
static const char *arg_quirks_dir;
static const char *arg_bundle;
static const char *arg_output;
static const char *arg_tpm_tcti;

static void help(void) {
        printf("Usage: cairn-hwcheck [OPTIONS]\n"
               "\n"
               "Checks whether this machine (or the one whose dumps you give) can run Cairn\n"
               "well: CPU virtualisation, IOMMU and interrupt remapping, TPM, TXT, UEFI and\n"
               "Secure Boot, GPU/NIC/USB passthrough, and which known hardware quirks apply.\n"
               "\n"
               "Input (default: this machine, live):\n"
               "      --acpidump FILE    analyse the text output of `acpidump` a customer sent\n"
               "      --dmidecode FILE   with the `dmidecode` text of the same machine\n"
               "      --acpi-dir DIR     read binary ACPI tables from DIR\n"
               "                         (default /sys/firmware/acpi/tables)\n"
               "      --dmi-dir DIR      read smbios_entry_point and DMI from DIR\n"
               "                         (default /sys/firmware/dmi/tables)\n"
               "      --tpm-tcti CONF    query the TPM 2.0 through this tss2 TCTI\n"
               "                         (e.g. swtpm:host=127.0.0.1,port=2321)\n"
               "      --no-tpm           do not query the TPM\n"
               "      --no-xen           do not ask Xen (xl info / xl dmesg) even in dom0\n"
               "\n"
               "Output:\n"
               "      --json             print the JSON report (schema 1, docs/hwcheck.md)\n"
               "  -o, --output FILE      write the report to FILE instead of standard output\n"
               "      --bundle FILE      also write a support bundle (.tar.gz) to FILE: the raw\n"
               "                         data, report.json, report.txt and a README\n"
               "      --no-redact        keep serial numbers, UUIDs, asset tags, MAC addresses\n"
               "                         and host names in the bundle (redacted by default)\n"
               "      --color=WHEN       colour the terminal report: auto, always, never\n"
               "\n"
               "Quirk database:\n"
               "      --quirks-dir DIR   the quirk files (default %s,\n"
               "                         or $CAIRN_QUIRKS_DIR)\n"
               "      --check-quirks     validate the quirk database, print file:line of each\n"
               "                         error, and exit\n"
               "\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n"
               "      --log-level LEVEL  err, warning, notice, info, debug\n"
               "\n"
               "Exit status: 0 report written (verdict OK or WARN), 3 report written with\n"
               "verdict FAIL, 1 error (bad option, unreadable input, bad quirk database).\n",
               HWCHECK_QUIRKS_DIR);
}

enum {
        OPT_JSON = 0x100,
        OPT_ACPIDUMP,
        OPT_DMIDECODE,
        OPT_ACPI_DIR,
        OPT_DMI_DIR,
        OPT_TPM_TCTI,
        OPT_NO_TPM,
        OPT_NO_XEN,
        OPT_BUNDLE,
        OPT_NO_REDACT,
        OPT_COLOR,
        OPT_QUIRKS_DIR,
        OPT_CHECK_QUIRKS,
        OPT_VERSION,
        OPT_LOG_LEVEL,
};

static int parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "json", no_argument, NULL, OPT_JSON },
                { "output", required_argument, NULL, 'o' },
                { "acpidump", required_argument, NULL, OPT_ACPIDUMP },
                { "dmidecode", required_argument, NULL, OPT_DMIDECODE },
                { "acpi-dir", required_argument, NULL, OPT_ACPI_DIR },
                { "dmi-dir", required_argument, NULL, OPT_DMI_DIR },
                { "tpm-tcti", required_argument, NULL, OPT_TPM_TCTI },
                { "no-tpm", no_argument, NULL, OPT_NO_TPM },
                { "no-xen", no_argument, NULL, OPT_NO_XEN },
                { "bundle", required_argument, NULL, OPT_BUNDLE },
                { "no-redact", no_argument, NULL, OPT_NO_REDACT },
                { "color", required_argument, NULL, OPT_COLOR },
                { "quirks-dir", required_argument, NULL, OPT_QUIRKS_DIR },
                { "check-quirks", no_argument, NULL, OPT_CHECK_QUIRKS },
                { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
                {},
        };
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":ho:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("cairn-hwcheck %s\n", CAIRN_VERSION);
                        return 0;
                case OPT_JSON:
                        arg_json = true;
                        break;
                case 'o':
                        arg_output = optarg;
                        break;
                case OPT_ACPIDUMP:
                        arg_acpidump = optarg;
                        break;
                case OPT_DMIDECODE:
                        arg_dmidecode = optarg;
                        break;
                case OPT_ACPI_DIR:
                        arg_acpi_dir = optarg;
                        break;
                case OPT_DMI_DIR:
                        arg_dmi_dir = optarg;
                        break;
                case OPT_TPM_TCTI:
                        arg_tpm_tcti = optarg;
                        break;
                case OPT_NO_TPM:
                        arg_no_tpm = true;
                        break;
                case OPT_NO_XEN:
                        arg_no_xen = true;
                        break;
                case OPT_BUNDLE:
                        arg_bundle = optarg;
                        break;
                case OPT_NO_REDACT:
                        arg_no_redact = true;
                        break;
                case OPT_COLOR:
                        if (strcmp(optarg, "auto") == 0)
                                arg_color = -1;
                        else if (strcmp(optarg, "always") == 0)
                                arg_color = 1;
                        else if (strcmp(optarg, "never") == 0)
                                arg_color = 0;
                        else
                                return log_error_errno(-EINVAL, "--color wants auto, always or never, not \"%s\".", optarg);
                        break;
                case OPT_QUIRKS_DIR:
                        arg_quirks_dir = optarg;
                        break;
                case OPT_CHECK_QUIRKS:
                        arg_check_quirks = true;
                        break;
                case OPT_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "Unknown log level \"%s\".", optarg);
                        log_set_max_level(r);
                        break;
                case ':':
                        return log_error_errno(-EINVAL, "Option %s needs an argument. See --help.", argv[optind - 1]);
                default:
                        return log_error_errno(-EINVAL, "Unknown option %s. See --help.", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument \"%s\". See --help.", argv[optind]);
        if (arg_dmidecode && !arg_acpidump)
                return log_error_errno(-EINVAL, "--dmidecode needs --acpidump (offline mode). See --help.");
        if (arg_no_redact && !arg_bundle)
                return log_error_errno(-EINVAL, "--no-redact only applies with --bundle.");
        return 1;
}

static const char *quirks_dir(void) {
        const char *e;

        if (arg_quirks_dir)
                return arg_quirks_dir;
        e = getenv("CAIRN_QUIRKS_DIR");
        return e && *e ? e : HWCHECK_QUIRKS_DIR;
}

static int load_quirks(struct quirk_db *db, bool quiet_ok) {
        _cleanup_free_ char *errors = NULL;
        const char *dir = quirks_dir();
        int r;

        r = quirk_db_load_dir(db, dir, &errors);
        if (r < 0)
                return log_error_errno(r, "Cannot read the quirk database %s: %m", dir);
        if (errors)
                fprintf(stderr, "%s\n", errors);
        if (r > 0)
                return log_error_errno(-EINVAL, "The quirk database %s has %d error(s).", dir, r);
        if (!quiet_ok)
                printf("%s: %zu quirk(s), all valid.\n", dir, db->n);
        return 0;
}

static int read_input(const char *path, const char *what, char **ret, size_t *ret_size) {
        int r = read_full_file(path, INPUT_MAX, ret, ret_size);

        if (r == -EFBIG)
                return log_error_errno(r, "%s file %s is larger than %u MiB; is it the right file?", what, path,
                                       INPUT_MAX / 1024 / 1024);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s file %s: %m", what, path);
        return 0;
}

/* ---- the support bundle ---- */

static int add_text(struct bundle *b, struct redactor *rd, const char *name, const char *text, size_t size) {
        _cleanup_free_ char *red = NULL;
        size_t n = size;

        if (rd) {
                red = redact_text(rd, text, size, &n);
                if (!red)
                        return -ENOMEM;
                text = red;
        }
        return bundle_add(b, name, text, n);
}

static int add_file_raw(struct bundle *b, const char *name, const char *path, size_t max) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r = read_full_file(path, max, &data, &size);

        if (r < 0)
                return r;
        return bundle_add(b, name, data, size);
}

static int add_file_text(struct bundle *b, struct redactor *rd, const char *name, const char *path, size_t max) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r = read_full_file(path, max, &data, &size);

        if (r < 0)
                return r;
        return add_text(b, rd, name, data, size);
}

static char *pci_listing(const struct hw_report *r) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fprintf(f, "# address vendor:device rev class driver iommu_group\n");
        for (size_t i = 0; i < r->n_pci; i++) {
                const struct hw_pci_dev *p = &r->pci[i];

                fprintf(f, "%04x:%02x:%02x.%x %04x:%04x %02x %06x %s %d %s\n", p->domain, p->bus, p->dev, p->fn,
                        p->vendor, p->device, p->revision, p->class_code, p->driver[0] ? p->driver : "-",
                        p->iommu_group, hw_pci_class_name(p->class_code) ? hw_pci_class_name(p->class_code) : "");
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static char *tpm_listing(const struct hw_tpm *t) {
        char *s = NULL;
        const char *v = t->version == HW_TPM_2_0 ? "2.0" : t->version == HW_TPM_1_2 ? "1.2" :
                        t->version == HW_TPM_NONE ? "none" : "unknown";

        if (asprintf(&s, "version: %s\nmanufacturer: %s\nfirmware: %s\nowned: %s\nlockout: %s\nsource: %s\nerror: %s\n", v,
                     t->manufacturer, t->firmware_version,
                     t->owned == HW_YES ? "yes" : t->owned == HW_NO ? "no" : "unknown",
                     t->lockout == HW_YES ? "yes" : t->lockout == HW_NO ? "no" : "unknown", t->source, t->error) < 0)
                return NULL;
        return s;
}

static int write_bundle(struct hw_report *r, const char *acpidump_text, size_t acpidump_size,
                        const char *dmidecode_text, size_t dmidecode_size) {
        struct bundle b = {};
        struct redactor red = {}, *rd = arg_no_redact ? NULL : &red;
        _cleanup_free_ char *json = NULL, *text = NULL, *readme = NULL, *tmp = NULL;
        size_t json_size = 0, text_size = 0, readme_size = 0;
        char hostname[256] = "";
        char path[PATH_MAX];
        FILE *f;
        int k;

        /* Register what must not leave the machine before any text is added. */
        if (rd) {
                if (gethostname(hostname, sizeof(hostname) - 1) == 0 && hostname[0] &&
                    !redact_value(rd, REDACT_HOSTNAME, hostname)) {
                        k = -ENOMEM;
                        goto out;
                }
                for (int i = 0; i < _SMBIOS_FIELD_MAX; i++) {
                        enum redact_kind kind = i == SMBIOS_PRODUCT_UUID ? REDACT_UUID :
                                                (i == SMBIOS_BOARD_ASSET_TAG || i == SMBIOS_CHASSIS_ASSET_TAG) ? REDACT_ASSET :
                                                                                                             REDACT_SERIAL;
                        const char *ph;

                        if (!smbios_field_is_identifying(i) || !r->dmi.field[i])
                                continue;
                        ph = redact_value(rd, kind, r->dmi.field[i]);
                        if (!ph || smbios_set_field(&r->dmi, i, ph, strlen(ph)) < 0) {
                                k = -ENOMEM;
                                goto out;
                        }
                }
        }

        if (r->live) {
                const char *acpi_dir = arg_acpi_dir ? arg_acpi_dir : "/sys/firmware/acpi/tables";
                const char *dmi_dir = arg_dmi_dir ? arg_dmi_dir : "/sys/firmware/dmi/tables";
                _cleanup_free_ char *dmi = NULL;
                size_t dmi_size = 0;

                for (size_t i = 0; hw_live_acpi_tables[i]; i++)
                        for (unsigned inst = 0; inst <= 16; inst++) {
                                char name[64], table[16];

                                if (inst == 0)
                                        snprintf(table, sizeof(table), "%s", hw_live_acpi_tables[i]);
                                else
                                        snprintf(table, sizeof(table), "%s%u", hw_live_acpi_tables[i], inst);
                                snprintf(path, sizeof(path), "%s/%s", acpi_dir, table);
                                snprintf(name, sizeof(name), "acpi/%s.dat", table);
                                k = add_file_raw(&b, name, path, ACPI_MAX_TABLE_SIZE);
                                if (k == -ENOMEM)
                                        goto out;
                                if (k == -ENOENT && inst > 0)
                                        break;
                        }
                snprintf(path, sizeof(path), "%s/smbios_entry_point", dmi_dir);
                (void) add_file_raw(&b, "smbios/smbios_entry_point", path, 4096);
                snprintf(path, sizeof(path), "%s/DMI", dmi_dir);
                if (read_full_file(path, SMBIOS_MAX_TABLE_SIZE, &dmi, &dmi_size) >= 0) {
                        if (rd && redact_smbios_table(rd, (uint8_t *) dmi, dmi_size) < 0) {
                                k = -ENOMEM;
                                goto out;
                        }
                        k = bundle_add(&b, "smbios/DMI", dmi, dmi_size);
                        if (k < 0)
                                goto out;
                }
                (void) add_file_text(&b, rd, "cpuinfo.txt", "/proc/cpuinfo", 16 * 1024 * 1024);
                (void) add_file_text(&b, rd, "cmdline.txt", "/proc/cmdline", 64 * 1024);
                (void) add_file_text(&b, rd, "version.txt", "/proc/version", 64 * 1024);
                if (r->have_pci) {
                        tmp = pci_listing(r);
                        if (!tmp || (k = add_text(&b, rd, "pci.txt", tmp, strlen(tmp))) < 0) {
                                k = -ENOMEM;
                                goto out;
                        }
                        free(tmp);
                        tmp = NULL;
                }
                tmp = tpm_listing(&r->tpm);
                if (!tmp || (k = add_text(&b, rd, "tpm.txt", tmp, strlen(tmp))) < 0) {
                        k = -ENOMEM;
                        goto out;
                }
                free(tmp);
                tmp = NULL;
                if (r->xen.present) {
                        _cleanup_free_ char *info = NULL, *dmesg = NULL;
                        size_t n = 0;

                        if (hw_run_capture((char *const[]) { (char *) "xl", (char *) "info", NULL }, 1024 * 1024, &info, &n) >= 0)
                                (void) add_text(&b, rd, "xen/xl-info.txt", info, n);
                        if (hw_run_capture((char *const[]) { (char *) "xl", (char *) "dmesg", NULL }, 4 * 1024 * 1024, &dmesg, &n) >= 0)
                                (void) add_text(&b, rd, "xen/xl-dmesg.txt", dmesg, n);
                }
        } else {
                if (acpidump_text && (k = add_text(&b, rd, "input/acpidump.txt", acpidump_text, acpidump_size)) < 0)
                        goto out;
                if (dmidecode_text) {
                        _cleanup_free_ char *d = NULL;
                        size_t n = dmidecode_size;

                        d = rd ? redact_dmidecode(rd, dmidecode_text, dmidecode_size, &n) : strndup(dmidecode_text, dmidecode_size);
                        if (!d) {
                                k = -ENOMEM;
                                goto out;
                        }
                        k = bundle_add(&b, "input/dmidecode.txt", d, n);
                        if (k < 0)
                                goto out;
                }
        }

        f = open_memstream(&json, &json_size);
        if (!f) {
                k = -ENOMEM;
                goto out;
        }
        k = hw_report_write_json(r, f);
        fclose(f);
        if (k < 0 || (k = add_text(&b, rd, "report.json", json, json_size)) < 0)
                goto out;
        f = open_memstream(&text, &text_size);
        if (!f) {
                k = -ENOMEM;
                goto out;
        }
        k = hw_report_write_text(r, f, false);
        fclose(f);
        if (k < 0 || (k = add_text(&b, rd, "report.txt", text, text_size)) < 0)
                goto out;

        f = open_memstream(&readme, &readme_size);
        if (!f) {
                k = -ENOMEM;
                goto out;
        }
        fprintf(f, "Cairn support bundle, written by cairn-hwcheck %s (%s).\n\n", CAIRN_VERSION,
                r->live ? "live on the machine" : "offline from dumps");
        if (rd)
                fprintf(f, "REDACTED: serial numbers, UUIDs, asset tags, MAC addresses and host names are\n"
                           "replaced by stable placeholders (SERIAL-1, UUID-1, ASSET-1, MAC-1, HOSTNAME-1;\n"
                           "the same value has the same placeholder in every file). In the binary SMBIOS\n"
                           "table those strings are overwritten with 'X' and the system UUID with zeros.\n"
                           "%zu value(s) were redacted.\n\n",
                        red.n);
        else
                fprintf(f, "NOT REDACTED (--no-redact): this bundle contains serial numbers, UUIDs, asset\n"
                           "tags, MAC addresses and host names of the machine.\n\n");
        fprintf(f, "Files:\n");
        for (size_t i = 0; i < b.n; i++) {
                const char *n = b.files[i].name, *what = "";

                if (strncmp(n, "acpi/", 5) == 0)
                        what = "raw ACPI table from /sys/firmware/acpi/tables";
                else if (strcmp(n, "smbios/DMI") == 0)
                        what = "raw SMBIOS structure table";
                else if (strcmp(n, "smbios/smbios_entry_point") == 0)
                        what = "raw SMBIOS entry point";
                else if (strcmp(n, "cpuinfo.txt") == 0)
                        what = "/proc/cpuinfo";
                else if (strcmp(n, "cmdline.txt") == 0)
                        what = "/proc/cmdline, the running kernel's command line";
                else if (strcmp(n, "version.txt") == 0)
                        what = "/proc/version";
                else if (strcmp(n, "pci.txt") == 0)
                        what = "PCI devices: address, IDs, revision, class, driver, IOMMU group";
                else if (strcmp(n, "tpm.txt") == 0)
                        what = "TPM version, manufacturer, firmware, owner and lockout state";
                else if (strcmp(n, "xen/xl-info.txt") == 0)
                        what = "output of `xl info`";
                else if (strcmp(n, "xen/xl-dmesg.txt") == 0)
                        what = "output of `xl dmesg`, the hypervisor log";
                else if (strcmp(n, "input/acpidump.txt") == 0)
                        what = "the acpidump text that was analysed";
                else if (strcmp(n, "input/dmidecode.txt") == 0)
                        what = "the dmidecode text that was analysed";
                else if (strcmp(n, "report.json") == 0)
                        what = "the report as JSON (schema 1, see docs/hwcheck.md)";
                else if (strcmp(n, "report.txt") == 0)
                        what = "the report as shown on the terminal";
                fprintf(f, "  %-28s %s (%zu bytes)\n", n, what, b.files[i].size);
        }
        fprintf(f, "  %-28s this file\n", "README.txt");
        if (fclose(f) != 0) {
                k = -ENOMEM;
                goto out;
        }
        k = bundle_add(&b, "README.txt", readme, readme_size);
        if (k < 0)
                goto out;
        /* README first in the archive: move it to the front */
        {
                struct bundle_file last = b.files[b.n - 1];

                memmove(&b.files[1], &b.files[0], (b.n - 1) * sizeof(b.files[0]));
                b.files[0] = last;
        }

        k = bundle_write_targz(&b, arg_bundle);
        if (k < 0) {
                log_error_errno(k, "Cannot write the bundle %s: %m", arg_bundle);
                goto out;
        }
        log_notice("Support bundle written to %s (%zu files, %s).", arg_bundle, b.n,
                   rd ? "redacted" : "NOT redacted");
out:
        if (k == -ENOMEM)
                log_oom();
        bundle_done(&b);
        redactor_done(&red);
        return k < 0 ? k : 0;
}

int main(int argc, char **argv) {
        struct hw_report report;
        struct quirk_db db = {};
        _cleanup_free_ char *acpidump = NULL, *dmidecode = NULL;
        size_t acpidump_size = 0, dmidecode_size = 0;
        FILE *out = stdout;
        int r, ret = EXIT_FAILURE, verdict;

        log_set_program_name(argv[0]);
        log_set_max_level(LOG_LEVEL_NOTICE);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (arg_check_quirks) {
                r = load_quirks(&db, false);
                quirk_db_done(&db);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        hw_report_init(&report);
        r = load_quirks(&db, true);
        if (r < 0)
                goto out;

        if (arg_acpidump) {
                r = read_input(arg_acpidump, "acpidump", &acpidump, &acpidump_size);
                if (r < 0)
                        goto out;
                report.source = strdup(arg_acpidump);
                r = hw_report_load_acpidump(&report, acpidump, acpidump_size);
                if (r < 0) {
                        log_error_errno(r, "Cannot analyse %s: %m", arg_acpidump);
                        goto out;
                }
                if (arg_dmidecode) {
                        r = read_input(arg_dmidecode, "dmidecode", &dmidecode, &dmidecode_size);
                        if (r < 0)
                                goto out;
                        r = hw_report_load_dmidecode(&report, dmidecode, dmidecode_size);
                        if (r < 0) {
                                log_error_errno(r, "Cannot analyse %s: %m", arg_dmidecode);
                                goto out;
                        }
                }
        } else {
                struct hw_live_options o = {
                        .acpi_dir = arg_acpi_dir,
                        .dmi_dir = arg_dmi_dir,
                        .tpm_tcti = arg_tpm_tcti,
                        .no_xen = arg_no_xen,
                        .no_tpm = arg_no_tpm,
                };

                r = hw_live_collect(&report, &o);
                if (r < 0) {
                        log_error_errno(r, "Cannot examine this machine: %m");
                        goto out;
                }
        }

        r = hw_analyze(&report);
        if (r < 0) {
                log_oom();
                goto out;
        }
        r = quirk_db_apply(&db, &report);
        if (r < 0) {
                log_oom();
                goto out;
        }

        if (arg_output) {
                out = fopen(arg_output, "we");
                if (!out) {
                        log_error_errno(negative_errno(), "Cannot open %s: %m", arg_output);
                        out = stdout;
                        goto out;
                }
        }
        if (arg_json)
                r = hw_report_write_json(&report, out);
        else
                r = hw_report_write_text(&report, out, arg_color >= 0 ? arg_color : (!arg_output && isatty(STDOUT_FILENO)));
        if (r < 0) {
                log_error_errno(r, "Cannot write the report: %m");
                goto out;
        }

        verdict = HW_SEVERITY_OK;
        for (size_t i = 0; i < report.findings.n; i++)
                if ((int) report.findings.items[i].severity > verdict)
                        verdict = (int) report.findings.items[i].severity;
        for (size_t i = 0; i < report.n_quirks; i++)
                if (report.quirks[i].unsupported)
                        verdict = HW_SEVERITY_FAIL;

        if (arg_bundle) {
                r = write_bundle(&report, acpidump, acpidump_size, dmidecode, dmidecode_size);
                if (r < 0)
                        goto out;
        }
        ret = verdict == HW_SEVERITY_FAIL ? 3 : EXIT_SUCCESS;
out:
        if (out != stdout && fclose(out) != 0 && ret != EXIT_FAILURE) {
                log_error_errno(negative_errno(), "Cannot write %s: %m", arg_output);
                ret = EXIT_FAILURE;
        }
        hw_report_done(&report);
        quirk_db_done(&db);
        return ret;
}
