/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"
#include "log.h"
#include "util.h"

const char *const hw_live_acpi_tables[] = { "DMAR", "IVRS", "TPM2", "TCPA", "APIC", "MCFG", "FACP", "HPET", NULL };

static int read_msr(unsigned cpu, uint32_t msr, uint64_t *ret) {
        char path[64];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/dev/cpu/%u/msr", cpu);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = pread(fd, ret, sizeof(*ret), msr);
        if (n < 0)
                return negative_errno();
        if (n != sizeof(*ret))
                return -EIO;
        return 0;
}

static bool cpuinfo_has_flag(const char *cpuinfo, const char *flag) {
        size_t fl = strlen(flag);

        for (const char *p = cpuinfo; (p = strstr(p, flag)); p += fl) {
                char before = p == cpuinfo ? ' ' : p[-1];
                char after = p[fl];

                if ((before == ' ' || before == '\t') && (after == ' ' || after == '\n' || after == '\0'))
                        return true;
        }
        return false;
}

int hw_live_cpu(struct hw_cpu *c) {
        unsigned a, b, cc, d, max, maxext;
        _cleanup_free_ char *cpuinfo = NULL;

        if (!__get_cpuid(0, &max, &b, &cc, &d))
                return -ENOTSUP;
        memcpy(c->vendor, &b, 4);
        memcpy(c->vendor + 4, &d, 4);
        memcpy(c->vendor + 8, &cc, 4);
        c->vendor[12] = '\0';
        c->known = true;

        if (max >= 1) {
                __cpuid(1, a, b, cc, d);
                c->stepping = a & 0xf;
                c->family = (a >> 8) & 0xf;
                c->model = (a >> 4) & 0xf;
                if (c->family == 0xf)
                        c->family += (a >> 20) & 0xff;
                if (c->family == 6 || c->family >= 0xf)
                        c->model |= ((a >> 16) & 0xf) << 4;
                c->vmx = cc & (1u << 5);
                c->smx = cc & (1u << 6);
                c->x2apic = cc & (1u << 21);
                c->aes = cc & (1u << 25);
                c->rdrand = cc & (1u << 30);
                c->hypervisor = cc & (1u << 31);
        }
        __cpuid(0x80000000, maxext, b, cc, d);
        if (maxext >= 0x80000001) {
                __cpuid(0x80000001, a, b, cc, d);
                c->svm = cc & (1u << 2);
        }
        if (maxext >= 0x80000004) {
                unsigned regs[12];

                __cpuid(0x80000002, regs[0], regs[1], regs[2], regs[3]);
                __cpuid(0x80000003, regs[4], regs[5], regs[6], regs[7]);
                __cpuid(0x80000004, regs[8], regs[9], regs[10], regs[11]);
                memcpy(c->brand, regs, 48);
                c->brand[48] = '\0';
                for (char *p = c->brand; *p; p++)
                        if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                                *p = ' ';
                memmove(c->brand, strstrip(c->brand), strlen(strstrip(c->brand)) + 1);
        }
        if (c->svm && maxext >= 0x8000000a) {
                __cpuid(0x8000000a, a, b, cc, d);
                c->npt = d & 1;
        }
        c->n_cpus = (unsigned) sysconf(_SC_NPROCESSORS_ONLN);

        /* EPT is not in CPUID; the kernel lists it among the (vmx) flags. */
        if (read_full_file("/proc/cpuinfo", 16 * 1024 * 1024, &cpuinfo, NULL) >= 0)
                c->ept = c->vmx && cpuinfo_has_flag(cpuinfo, "ept");
        if (c->vmx && !c->ept) {
                uint64_t v;

                /* IA32_VMX_PROCBASED_CTLS2 allowed-1 bit 1 */
                if (read_msr(0, 0x48b, &v) >= 0)
                        c->ept = (v >> 33) & 1;
        }

        if (strcmp(c->vendor, "GenuineIntel") == 0) {
                uint64_t fc;

                if (read_msr(0, 0x3a, &fc) >= 0) {
                        c->virt_locked = (fc & 1) ? HW_YES : HW_NO;
                        c->virt_firmware_disabled = ((fc & 1) && !(fc & 4)) ? HW_YES : HW_NO;
                }
        } else if (strcmp(c->vendor, "AuthenticAMD") == 0 || strcmp(c->vendor, "HygonGenuine") == 0) {
                uint64_t vmcr;

                if (read_msr(0, 0xc0010114, &vmcr) >= 0) {
                        c->virt_locked = (vmcr & 8) ? HW_YES : HW_NO;
                        c->virt_firmware_disabled = (vmcr & 16) ? HW_YES : HW_NO;
                }
        }
        return 0;
}

static int read_sysfs_hex(const char *dir, const char *name, unsigned long *ret) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        uint64_t v;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = read_full_file(path, 4096, &data, NULL);
        if (r < 0)
                return r;
        r = parse_u64(strstrip(data), &v);
        if (r < 0)
                return r;
        *ret = (unsigned long) v;
        return 0;
}

static void link_basename(const char *dir, const char *name, char *buf, size_t size) {
        char path[PATH_MAX], target[PATH_MAX];
        ssize_t n;
        const char *b;

        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
                return;
        target[n] = '\0';
        b = strrchr(target, '/');
        b = b ? b + 1 : target;
        if (strlen(b) >= size)
                return;
        memcpy(buf, b, strlen(b) + 1);
}

static int pci_cmp(const void *a, const void *b) {
        const struct hw_pci_dev *x = a, *y = b;
        uint32_t kx = ((uint32_t) x->domain << 16) | ((uint32_t) x->bus << 8) | ((uint32_t) x->dev << 3) | x->fn;
        uint32_t ky = ((uint32_t) y->domain << 16) | ((uint32_t) y->bus << 8) | ((uint32_t) y->dev << 3) | y->fn;

        return kx < ky ? -1 : kx > ky;
}

int hw_live_pci(struct hw_report *r, const char *sysfs_dir) {
        DIR *d;
        struct dirent *de;

        d = opendir(sysfs_dir);
        if (!d)
                return negative_errno();
        r->have_pci = true;
        while ((de = readdir(d))) {
                unsigned dom, bus, dev, fn;
                unsigned long v;
                char dir[PATH_MAX], group[32];
                struct hw_pci_dev *p;

                if (de->d_name[0] == '.' || sscanf(de->d_name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
                        continue;
                if (r->n_pci >= HW_MAX_PCI)
                        break;
                if (!r->pci) {
                        r->pci = calloc(HW_MAX_PCI, sizeof(*r->pci));
                        if (!r->pci) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
                snprintf(dir, sizeof(dir), "%s/%s", sysfs_dir, de->d_name);
                p = &r->pci[r->n_pci];
                *p = (struct hw_pci_dev) { .domain = (uint16_t) dom, .bus = (uint8_t) bus, .dev = (uint8_t) dev,
                                           .fn = (uint8_t) fn, .iommu_group = -1 };
                if (read_sysfs_hex(dir, "vendor", &v) >= 0)
                        p->vendor = (uint16_t) v;
                if (read_sysfs_hex(dir, "device", &v) >= 0)
                        p->device = (uint16_t) v;
                if (read_sysfs_hex(dir, "class", &v) >= 0)
                        p->class_code = (uint32_t) v & 0xffffff;
                if (read_sysfs_hex(dir, "revision", &v) >= 0)
                        p->revision = (uint8_t) v;
                link_basename(dir, "driver", p->driver, sizeof(p->driver));
                link_basename(dir, "iommu_group", group, sizeof(group));
                if (group[0])
                        p->iommu_group = atoi(group);
                r->n_pci++;
        }
        closedir(d);
        if (r->n_pci > 1)
                qsort(r->pci, r->n_pci, sizeof(*r->pci), pci_cmp);
        return 0;
}

static enum hw_tristate efivar_bool(const char *name) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;

        if (asprintf(&path, "/sys/firmware/efi/efivars/%s-8be4df61-93ca-11d2-aa0d-00e098032b8c", name) < 0)
                return HW_UNKNOWN;
        if (read_full_file(path, 64, &data, &size) < 0 || size < 5)
                return HW_UNKNOWN;
        /* 4 bytes of attributes, then the value */
        return data[4] ? HW_YES : HW_NO;
}

int hw_live_firmware(struct hw_firmware *fw) {
        struct stat st;

        fw->uefi = stat("/sys/firmware/efi", &st) == 0 ? HW_YES : HW_NO;
        if (fw->uefi == HW_YES) {
                fw->secure_boot = efivar_bool("SecureBoot");
                fw->setup_mode = efivar_bool("SetupMode");
                if (fw->secure_boot == HW_UNKNOWN && stat("/sys/firmware/efi/efivars", &st) == 0)
                        fw->secure_boot = HW_NO;
        }
        return 0;
}

int hw_live_txt(struct hw_txt *t) {
        _cleanup_close_ int fd = -1;
        static const struct {
                off_t off;
                size_t field;
        } regs[] = {
                { 0x000, offsetof(struct hw_txt, sts) },
                { 0x008, offsetof(struct hw_txt, ests) },
                { 0x030, offsetof(struct hw_txt, errorcode) },
                { 0x110, offsetof(struct hw_txt, didvid) },
        };

        t->probed = true;
        fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(regs); i++) {
                uint64_t v;

                if (pread(fd, &v, sizeof(v), (off_t) 0xfed30000 + regs[i].off) != sizeof(v))
                        return negative_errno();
                memcpy((char *) t + regs[i].field, &v, sizeof(v));
        }
        t->readable = true;
        t->present = t->didvid != 0 && t->didvid != UINT64_MAX;
        return 0;
}

int hw_run_capture(char *const argv[], size_t max, char **ret_out, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int pfd[2], status;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (devnull >= 0) {
                        dup2(devnull, STDIN_FILENO);
                        dup2(devnull, STDERR_FILENO);
                }
                dup2(pfd[1], STDOUT_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(pfd[1]);
        buf = malloc(max + 1);
        if (!buf) {
                close(pfd[0]);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return -ENOMEM;
        }
        for (;;) {
                struct pollfd p = { .fd = pfd[0], .events = POLLIN };
                char sink[4096];
                ssize_t n;

                /* a stuck tool must not hang the diagnostics */
                if (poll(&p, 1, 20000) <= 0) {
                        kill(pid, SIGKILL);
                        break;
                }
                if (size < max)
                        n = read(pfd[0], buf + size, max - size);
                else
                        n = read(pfd[0], sink, sizeof(sink));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (size < max)
                        size += (size_t) n;
        }
        close(pfd[0]);
        if (waitpid(pid, &status, 0) < 0)
                return negative_errno();
        buf[size] = '\0';
        *ret_out = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static bool is_xen_dom0(void) {
        _cleanup_free_ char *caps = NULL;

        if (read_full_file("/proc/xen/capabilities", 4096, &caps, NULL) < 0)
                return false;
        return strstr(caps, "control_d") != NULL;
}

int hw_live_collect(struct hw_report *r, const struct hw_live_options *o) {
        const char *acpi_dir = o->acpi_dir ? o->acpi_dir : "/sys/firmware/acpi/tables";
        const char *dmi_dir = o->dmi_dir ? o->dmi_dir : "/sys/firmware/dmi/tables";
        _cleanup_free_ char *ep = NULL, *table = NULL;
        size_t ep_size = 0, table_size = 0, want = 0;
        char path[PATH_MAX];
        int k;

        r->live = true;

        /* ACPI.  Linux names a table that occurs more than once SIG1, SIG2, ...
         * (e.g. a firmware APIC plus one added with QEMU's -acpitable); the
         * first instance is the one the kernel and Xen use. */
        for (size_t i = 0; hw_live_acpi_tables[i]; i++)
                for (unsigned inst = 0; inst <= 16; inst++) {
                        _cleanup_free_ char *data = NULL;
                        char name[16];
                        size_t size = 0;

                        if (inst == 0)
                                snprintf(name, sizeof(name), "%s", hw_live_acpi_tables[i]);
                        else
                                snprintf(name, sizeof(name), "%s%u", hw_live_acpi_tables[i], inst);
                        snprintf(path, sizeof(path), "%s/%s", acpi_dir, name);
                        k = read_full_file(path, ACPI_MAX_TABLE_SIZE, &data, &size);
                        if (k == -ENOENT) {
                                if (inst == 0)
                                        continue;
                                break;
                        }
                        if (k < 0) {
                                r->acpi_incomplete = true;
                                if (hw_findings_add(&r->findings, "acpi", "acpi-unreadable", HW_SEVERITY_WARN,
                                                    "Cannot read %s: %s (run as root).", path, strerror(-k)) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        k = hw_report_add_acpi_table(r, (const uint8_t *) data, size, name);
                        if (k < 0)
                                return k;
                }
        if (access(acpi_dir, F_OK) == 0)
                r->have_acpi = true;
        else if (hw_findings_add(&r->findings, "acpi", "acpi-unavailable", HW_SEVERITY_WARN,
                                 "%s does not exist: no ACPI tables to examine.", acpi_dir) < 0)
                return -ENOMEM;

        /* SMBIOS */
        snprintf(path, sizeof(path), "%s/smbios_entry_point", dmi_dir);
        if (read_full_file(path, 4096, &ep, &ep_size) >= 0) {
                k = smbios_parse_entry_point(&r->dmi, (const uint8_t *) ep, ep_size, &want, &r->findings);
                if (k < 0)
                        return k;
        }
        snprintf(path, sizeof(path), "%s/DMI", dmi_dir);
        k = read_full_file(path, SMBIOS_MAX_TABLE_SIZE, &table, &table_size);
        if (k >= 0) {
                r->have_dmi = true;
                k = smbios_parse_table(&r->dmi, (const uint8_t *) table, table_size, &r->findings);
                if (k < 0)
                        return k;
        } else if (hw_findings_add(&r->findings, "smbios", "smbios-unreadable", HW_SEVERITY_WARN,
                                   k == -ENOENT ? "There is no %s: the firmware provides no SMBIOS, or this runs in a container; machine-specific quirks cannot be matched." :
                                                  "Cannot read %s (%s): run as root to match machine-specific quirks.",
                                   path, strerror(-k)) < 0)
                return -ENOMEM;

        (void) hw_live_cpu(&r->cpu);
        if (r->cpu.smx && strcmp(r->cpu.vendor, "GenuineIntel") == 0)
                (void) hw_live_txt(&r->txt);
        (void) hw_live_firmware(&r->firmware);
        k = hw_live_pci(r, "/sys/bus/pci/devices");
        if (k == -ENOMEM)
                return k;
        if (!o->no_tpm) {
                k = hw_tpm_query(&r->tpm, o->tpm_tcti);
                if (k == -ENOMEM)
                        return k;
        }
        if (!o->no_xen && is_xen_dom0()) {
                _cleanup_free_ char *info = NULL, *dmesg = NULL;
                size_t n = 0;

                if (hw_run_capture((char *const[]) { (char *) "xl", (char *) "info", NULL }, 1024 * 1024, &info, &n) == 0) {
                        k = hw_xen_parse_info(&r->xen, info, n);
                        if (k < 0)
                                return k;
                }
                if (hw_run_capture((char *const[]) { (char *) "xl", (char *) "dmesg", NULL }, 4 * 1024 * 1024, &dmesg, &n) == 0) {
                        k = hw_xen_parse_dmesg(&r->xen, dmesg, n);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}
