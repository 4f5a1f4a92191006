/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM definition parser.  The files come from the config volume, so this is
 * untrusted-input code: bounded sizes, every value checked, no counts trusted. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "vmdef.h"

static const char *const vm_type_table[_VM_TYPE_MAX] = {
        [VM_TYPE_PV] = "pv",
        [VM_TYPE_PVH] = "pvh",
        [VM_TYPE_HVM] = "hvm",
};

static const char *const vm_restart_table[_VM_RESTART_MAX] = {
        [VM_RESTART_NEVER] = "never",
        [VM_RESTART_ON_CRASH] = "on-crash",
        [VM_RESTART_ALWAYS] = "always",
};

const char *vm_type_to_string(VmType t) {
        return t >= 0 && t < _VM_TYPE_MAX ? vm_type_table[t] : NULL;
}

const char *vm_restart_to_string(VmRestart r) {
        return r >= 0 && r < _VM_RESTART_MAX ? vm_restart_table[r] : NULL;
}

static void vmdef_disk_done(VmDisk *d) {
        free(d->target);
        free(d->vdev);
}

static void vmdef_nic_done(VmNic *n) {
        free(n->backend);
        free(n->bridge);
        free(n->ip);
        free(n->model);
        free(n->vifname);
        free(n->script);
}

VmDef *vmdef_free(VmDef *def) {
        if (!def)
                return NULL;
        free(def->path);
        free(def->kernel);
        free(def->ramdisk);
        free(def->cmdline);
        free(def->cpuid);
        for (unsigned i = 0; i < def->n_disks && i < VMDEF_DISKS_MAX; i++)
                vmdef_disk_done(&def->disks[i]);
        for (unsigned i = 0; i < def->n_nics && i < VMDEF_NICS_MAX; i++)
                vmdef_nic_done(&def->nics[i]);
        for (unsigned i = 0; i < def->n_requires && i < VMDEF_REQUIRES_MAX; i++)
                free(def->requires[i]);
        free(def);
        return NULL;
}

void vmdef_freep(VmDef **p) {
        if (*p)
                *p = vmdef_free(*p);
}

void vmdef_free_many(VmDef **defs, size_t n) {
        for (size_t i = 0; i < n; i++)
                vmdef_free(defs[i]);
        free(defs);
}

/* Parser state: where we are, for messages. */
typedef struct Parser {
        const char *path;
        unsigned line;
        char *error;
        unsigned seen;  /* bit per single-valued key */
} Parser;

static int _printf_(2, 3) parse_error(Parser *p, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        free(p->error);
        p->error = NULL;
        if (p->line > 0) {
                if (asprintf(&p->error, "%s:%u: %s", p->path, p->line, msg ?: "out of memory") < 0)
                        p->error = NULL;
        } else if (asprintf(&p->error, "%s: %s", p->path, msg ?: "out of memory") < 0)
                p->error = NULL;
        return -EINVAL;
}

static int parse_bool(const char *v, bool *ret) {
        if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
                *ret = true;
        else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int parse_range(const char *v, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t u;

        /* Decimal only: no signs, no spaces, no hex surprises. */
        if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 19)
                return -EINVAL;
        if (parse_u64(v, &u) < 0)
                return -EINVAL;
        if (u < min || u > max)
                return -ERANGE;
        *ret = u;
        return 0;
}

static bool path_valid(const char *v) {
        return v[0] == '/' && strlen(v) < 4096 && !strstr(v, "/../") && !strstr(v, ",");
}

static int dup_value(Parser *p, const char *key, const char *v, char **ret) {
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

static int parse_mac(const char *v, uint8_t mac[6]) {
        /* xx:xx:xx:xx:xx:xx */
        if (strlen(v) != 17)
                return -EINVAL;
        for (unsigned i = 0; i < 6; i++) {
                int hi = unhexchar(v[i * 3]), lo = unhexchar(v[i * 3 + 1]);

                if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
                        return -EINVAL;
                mac[i] = (uint8_t) (hi << 4 | lo);
        }
        if (mac[0] & 1)
                return -EINVAL; /* multicast */
        return 0;
}

static bool simple_token(const char *v, size_t max) {
        size_t n = strlen(v);

        if (n == 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
                      (v[i] >= '0' && v[i] <= '9') || strchr("-_./:", v[i])))
                        return false;
        return true;
}

static int parse_disk(Parser *p, VmDef *def, char *v) {
        char *target, *vdev, *mode, *extra;
        VmDisk *d;

        if (def->n_disks >= VMDEF_DISKS_MAX)
                return parse_error(p, "too many disk= lines (at most %d)", VMDEF_DISKS_MAX);
        target = v;
        vdev = strchr(target, ',');
        if (!vdev)
                return parse_error(p, "disk= wants target,vdev,r|w");
        *vdev++ = 0;
        mode = strchr(vdev, ',');
        if (!mode)
                return parse_error(p, "disk= wants target,vdev,r|w");
        *mode++ = 0;
        extra = strchr(mode, ',');
        if (extra)
                return parse_error(p, "disk= has more than three fields");
        if (!path_valid(target))
                return parse_error(p, "disk target \"%s\" is not an absolute path", target);
        if (!simple_token(vdev, 16) || strchr(vdev, '/') || strchr(vdev, ':'))
                return parse_error(p, "disk vdev \"%s\" is not a device name like xvda", vdev);
        if (strcmp(mode, "r") != 0 && strcmp(mode, "w") != 0)
                return parse_error(p, "disk mode \"%s\" is not r or w", mode);
        for (unsigned i = 0; i < def->n_disks; i++)
                if (strcmp(def->disks[i].vdev, vdev) == 0)
                        return parse_error(p, "disk vdev %s given twice", vdev);

        d = &def->disks[def->n_disks];
        d->target = strdup(target);
        d->vdev = strdup(vdev);
        d->writable = mode[0] == 'w';
        def->n_disks++;
        if (!d->target || !d->vdev)
                return -ENOMEM;
        return 0;
}

static int parse_nic(Parser *p, VmDef *def, char *v) {
        VmNic *n;
        char *item, *save = NULL;
        unsigned items = 0;

        if (def->n_nics >= VMDEF_NICS_MAX)
                return parse_error(p, "too many nic= lines (at most %d)", VMDEF_NICS_MAX);
        n = &def->nics[def->n_nics++];

        for (item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(item, '='), **field = NULL;

                if (!eq)
                        return parse_error(p, "nic item \"%s\" is not key=value", item);
                *eq++ = 0;
                if (strcmp(item, "mac") == 0) {
                        if (n->has_mac)
                                return parse_error(p, "nic mac given twice");
                        if (parse_mac(eq, n->mac) < 0)
                                return parse_error(p, "nic mac \"%s\" is not a unicast xx:xx:xx:xx:xx:xx", eq);
                        n->has_mac = true;
                        items++;
                        continue;
                }
                if (strcmp(item, "backend") == 0) {
                        if (!vm_name_is_valid(eq))
                                return parse_error(p, "nic backend \"%s\" is not a VM name", eq);
                        field = &n->backend;
                } else if (strcmp(item, "bridge") == 0) {
                        if (!simple_token(eq, 15) || strchr(eq, '/'))
                                return parse_error(p, "nic bridge \"%s\" is not an interface name", eq);
                        field = &n->bridge;
                } else if (strcmp(item, "vifname") == 0) {
                        if (!simple_token(eq, 15) || strchr(eq, '/'))
                                return parse_error(p, "nic vifname \"%s\" is not an interface name", eq);
                        field = &n->vifname;
                } else if (strcmp(item, "ip") == 0) {
                        if (!simple_token(eq, 64) || strchr(eq, '/') != strrchr(eq, '/'))
                                return parse_error(p, "nic ip \"%s\" is not an address", eq);
                        field = &n->ip;
                } else if (strcmp(item, "model") == 0) {
                        if (!simple_token(eq, 32) || strchr(eq, '/'))
                                return parse_error(p, "nic model \"%s\" is not a model name", eq);
                        field = &n->model;
                } else if (strcmp(item, "script") == 0) {
                        if (!simple_token(eq, 255))
                                return parse_error(p, "nic script \"%s\" is not a script path", eq);
                        field = &n->script;
                } else
                        return parse_error(p, "unknown nic key \"%s\" (backend, bridge, mac, ip, model, vifname, script)",
                                           item);
                if (*field)
                        return parse_error(p, "nic %s given twice", item);
                *field = strdup(eq);
                if (!*field)
                        return -ENOMEM;
                items++;
        }
        if (items == 0)
                return parse_error(p, "nic= lists no key=value items");
        return 0;
}

static int parse_hex(const char *s, size_t len, unsigned max, unsigned *ret) {
        unsigned v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int d = unhexchar(s[i]);
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned) d;
                if (v > max)
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

static int parse_pci(Parser *p, VmDef *def, const char *v) {
        VmPci pci = {};
        unsigned dom, bus, dev, fn, cls;

        if (def->n_pcis >= VMDEF_PCI_MAX)
                return parse_error(p, "too many pci= lines (at most %d)", VMDEF_PCI_MAX);
        if (startswith(v, "class:")) {
                const char *c = v + strlen("class:");

                if (startswith(c, "0x") || startswith(c, "0X"))
                        c += 2;
                if (strlen(c) > 2 || parse_hex(c, strlen(c), 0xff, &cls) < 0)
                        return parse_error(p, "pci class \"%s\" is not class:0xCC", v);
                pci.is_class = true;
                pci.class = (uint8_t) cls;
        } else {
                /* DDDD:BB:DD.F */
                if (strlen(v) != 12 || v[4] != ':' || v[7] != ':' || v[10] != '.' ||
                    parse_hex(v, 4, 0xffff, &dom) < 0 || parse_hex(v + 5, 2, 0xff, &bus) < 0 ||
                    parse_hex(v + 8, 2, 0x1f, &dev) < 0 || parse_hex(v + 11, 1, 7, &fn) < 0)
                        return parse_error(p, "pci \"%s\" is neither a BDF like 0000:00:03.0 nor class:0xCC", v);
                pci.domain = (uint16_t) dom;
                pci.bus = (uint8_t) bus;
                pci.dev = (uint8_t) dev;
                pci.func = (uint8_t) fn;
        }
        for (unsigned i = 0; i < def->n_pcis; i++)
                if (memcmp(&def->pcis[i], &pci, sizeof(pci)) == 0)
                        return parse_error(p, "pci %s given twice", v);
        def->pcis[def->n_pcis++] = pci;
        return 0;
}

enum {
        SEEN_NAME = 1u << 0,
        SEEN_TYPE = 1u << 1,
        SEEN_MEMORY = 1u << 2,
        SEEN_VCPUS = 1u << 3,
        SEEN_KERNEL = 1u << 4,
        SEEN_RAMDISK = 1u << 5,
        SEEN_CMDLINE = 1u << 6,
        SEEN_CPUID = 1u << 7,
        SEEN_VFB = 1u << 8,
        SEEN_VKB = 1u << 9,
        SEEN_AUTOSTART = 1u << 10,
        SEEN_ORDER = 1u << 11,
        SEEN_RESTART = 1u << 12,
        SEEN_RESTART_MAX = 1u << 13,
        SEEN_SHUTDOWN_TIMEOUT = 1u << 14,
};

static const struct {
        const char *key;
        unsigned bit; /* 0: repeatable */
} keys[] = {
        { "name", SEEN_NAME },
        { "type", SEEN_TYPE },
        { "memory", SEEN_MEMORY },
        { "vcpus", SEEN_VCPUS },
        { "kernel", SEEN_KERNEL },
        { "ramdisk", SEEN_RAMDISK },
        { "cmdline", SEEN_CMDLINE },
        { "cpuid", SEEN_CPUID },
        { "disk", 0 },
        { "nic", 0 },
        { "pci", 0 },
        { "requires", 0 },
        { "vfb", SEEN_VFB },
        { "vkb", SEEN_VKB },
        { "autostart", SEEN_AUTOSTART },
        { "order", SEEN_ORDER },
        { "restart", SEEN_RESTART },
        { "restart_max", SEEN_RESTART_MAX },
        { "shutdown_timeout", SEEN_SHUTDOWN_TIMEOUT },
};

/* requires=cairn-UNIT.service: one of Cairn's systemd services (a template
 * instance is fine) that cairn-vmd starts, and waits for, before each start of
 * the VM.  Only cairn-* units: a definition cannot make vmd start any unit. */
static int parse_requires(Parser *p, VmDef *def, const char *v) {
        size_t n = strlen(v);

        if (n < 9 || n > VMDEF_UNIT_MAX || strcmp(v + n - 8, ".service") != 0 ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@-") != n ||
            strncmp(v, "cairn-", 6) != 0)
                return parse_error(p, "requires \"%s\" is not one of Cairn's systemd services (cairn-NAME.service, [A-Za-z0-9:_.@-])", v);
        for (unsigned i = 0; i < def->n_requires; i++)
                if (strcmp(def->requires[i], v) == 0)
                        return parse_error(p, "requires \"%s\" is given twice", v);
        if (def->n_requires >= VMDEF_REQUIRES_MAX)
                return parse_error(p, "more than %d requires= lines", VMDEF_REQUIRES_MAX);
        def->requires[def->n_requires] = strdup(v);
        if (!def->requires[def->n_requires])
                return -ENOMEM;
        def->n_requires++;
        return 0;
}

static int parse_assignment(Parser *p, VmDef *def, const char *key, char *v) {
        uint64_t u;
        bool b;
        int r;

        if (strcmp(key, "name") == 0) {
                if (!vm_name_is_valid(v))
                        return parse_error(p, "name \"%s\" is not [a-z0-9-]{1,%d}", v, VMDEF_NAME_MAX);
                strcpy(def->name, v);
        } else if (strcmp(key, "type") == 0) {
                for (int t = 0; t < _VM_TYPE_MAX; t++)
                        if (strcmp(v, vm_type_table[t]) == 0) {
                                def->type = t;
                                return 0;
                        }
                return parse_error(p, "type \"%s\" is not pv, pvh or hvm", v);
        } else if (strcmp(key, "memory") == 0) {
                r = parse_range(v, 16, 1024 * 1024, &u);
                if (r < 0)
                        return parse_error(p, "memory \"%s\" is not a number of MiB from 16 to 1048576", v);
                def->memory_mib = u;
        } else if (strcmp(key, "vcpus") == 0) {
                r = parse_range(v, 1, 128, &u);
                if (r < 0)
                        return parse_error(p, "vcpus \"%s\" is not a number from 1 to 128", v);
                def->vcpus = (unsigned) u;
        } else if (strcmp(key, "kernel") == 0 || strcmp(key, "ramdisk") == 0) {
                if (!path_valid(v))
                        return parse_error(p, "%s \"%s\" is not an absolute path", key, v);
                return dup_value(p, key, v, key[0] == 'k' ? &def->kernel : &def->ramdisk);
        } else if (strcmp(key, "cmdline") == 0)
                return dup_value(p, key, v, &def->cmdline);
        else if (strcmp(key, "cpuid") == 0) {
                if (!simple_token(v, 512) && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_=,:x-") != strlen(v))
                        return parse_error(p, "cpuid \"%s\" has characters outside [a-z0-9_=,:-]", v);
                return dup_value(p, key, v, &def->cpuid);
        } else if (strcmp(key, "disk") == 0)
                return parse_disk(p, def, v);
        else if (strcmp(key, "nic") == 0)
                return parse_nic(p, def, v);
        else if (strcmp(key, "pci") == 0)
                return parse_pci(p, def, v);
        else if (strcmp(key, "requires") == 0)
                return parse_requires(p, def, v);
        else if (strcmp(key, "vfb") == 0 || strcmp(key, "vkb") == 0 || strcmp(key, "autostart") == 0) {
                if (parse_bool(v, &b) < 0)
                        return parse_error(p, "%s \"%s\" is not yes or no", key, v);
                if (key[0] == 'a')
                        def->autostart = b;
                else if (key[1] == 'f')
                        def->vfb = b;
                else
                        def->vkb = b;
        } else if (strcmp(key, "order") == 0) {
                r = parse_range(v, 0, 1000000, &u);
                if (r < 0)
                        return parse_error(p, "order \"%s\" is not a number from 0 to 1000000", v);
                def->order = (int64_t) u;
        } else if (strcmp(key, "restart") == 0) {
                for (int t = 0; t < _VM_RESTART_MAX; t++)
                        if (strcmp(v, vm_restart_table[t]) == 0) {
                                def->restart = t;
                                return 0;
                        }
                return parse_error(p, "restart \"%s\" is not never, on-crash or always", v);
        } else if (strcmp(key, "restart_max") == 0) {
                r = parse_range(v, 0, 1000, &u);
                if (r < 0)
                        return parse_error(p, "restart_max \"%s\" is not a number from 0 to 1000", v);
                def->restart_max = (unsigned) u;
        } else if (strcmp(key, "shutdown_timeout") == 0) {
                r = parse_range(v, 1, 3600, &u);
                if (r < 0)
                        return parse_error(p, "shutdown_timeout \"%s\" is not a number of seconds from 1 to 3600", v);
                def->shutdown_timeout = (unsigned) u;
        }
        return 0;
}

static int parse_line(Parser *p, VmDef *def, char *line) {
        char *eq, *key, *v, *hash;
        unsigned bit = 0;
        bool known = false;

        /* A '#' at the start or after white space starts a comment. */
        for (hash = line; (hash = strchr(hash, '#')); hash++)
                if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
                        *hash = 0;
                        break;
                }
        line = strstrip(line);
        if (!*line)
                return 0;

        for (const char *c = line; *c; c++)
                if ((unsigned char) *c < 0x20 && *c != '\t')
                        return parse_error(p, "control character in line");
                else if ((unsigned char) *c >= 0x7f)
                        return parse_error(p, "non-ASCII character in line");

        eq = strchr(line, '=');
        if (!eq)
                return parse_error(p, "expected key=value, got \"%s\"", line);
        *eq = 0;
        key = strstrip(line);
        v = strstrip(eq + 1);

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(key, keys[i].key) == 0) {
                        known = true;
                        bit = keys[i].bit;
                        break;
                }
        if (!known)
                return parse_error(p, "unknown key \"%s\"", key);
        if (bit && (p->seen & bit))
                return parse_error(p, "%s= given twice", key);
        p->seen |= bit;
        if (!*v)
                return parse_error(p, "%s= has an empty value", key);
        if (strlen(v) > VMDEF_VALUE_MAX)
                return parse_error(p, "%s= value longer than %d characters", key, VMDEF_VALUE_MAX);

        return parse_assignment(p, def, key, v);
}

int vmdef_parse(const char *path, const char *expect_name, const char *data, size_t size,
                VmDef **ret, char **ret_error) {
        _cleanup_(vmdef_freep) VmDef *def = NULL;
        _cleanup_free_ char *line = NULL;
        Parser p = { .path = path ?: "(definition)" };
        size_t pos = 0;
        int r = 0;

        if (ret_error)
                *ret_error = NULL;

        if (size > VMDEF_FILE_MAX) {
                r = parse_error(&p, "file larger than %d bytes", VMDEF_FILE_MAX);
                goto fail;
        }
        if (memchr(data, 0, size)) {
                r = parse_error(&p, "file contains a NUL byte");
                goto fail;
        }

        def = calloc(1, sizeof(*def));
        line = malloc(VMDEF_LINE_MAX + 1);
        if (!def || !line)
                return -ENOMEM;
        def->path = strdup(p.path);
        if (!def->path)
                return -ENOMEM;
        def->type = VM_TYPE_PV;
        def->memory_mib = 128;
        def->vcpus = 1;
        def->restart = VM_RESTART_NEVER;
        def->restart_max = 5;
        def->shutdown_timeout = 30;

        while (pos < size) {
                const char *nl = memchr(data + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (data + pos)) : size - pos;

                p.line++;
                if (len > VMDEF_LINE_MAX) {
                        r = parse_error(&p, "line longer than %d characters", VMDEF_LINE_MAX);
                        goto fail;
                }
                memcpy(line, data + pos, len);
                line[len] = 0;
                pos += len + (nl ? 1 : 0);

                r = parse_line(&p, def, line);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        goto fail;
        }
        p.line = 0;

        if (!(p.seen & SEEN_NAME)) {
                r = parse_error(&p, "no name= line");
                goto fail;
        }
        if (expect_name && strcmp(def->name, expect_name) != 0) {
                r = parse_error(&p, "name=%s does not match the file name (%s.vm)", def->name, expect_name);
                goto fail;
        }
        if (def->type != VM_TYPE_HVM && !def->kernel) {
                r = parse_error(&p, "a %s VM needs kernel=", vm_type_to_string(def->type));
                goto fail;
        }
        if (def->ramdisk && !def->kernel) {
                r = parse_error(&p, "ramdisk= without kernel=");
                goto fail;
        }
        for (unsigned i = 0; i < def->n_nics; i++)
                if (def->nics[i].backend && strcmp(def->nics[i].backend, def->name) == 0) {
                        r = parse_error(&p, "nic backend is the VM itself");
                        goto fail;
                }

        *ret = TAKE_PTR(def);
        return 0;

fail:
        if (ret_error)
                *ret_error = TAKE_PTR(p.error);
        free(p.error);
        return r;
}

int vmdef_load(const char *path, VmDef **ret, char **ret_error) {
        _cleanup_free_ char *data = NULL, *expect = NULL;
        const char *base = strrchr(path, '/');
        size_t size, n;
        int r;

        if (ret_error)
                *ret_error = NULL;
        base = base ? base + 1 : path;
        n = strlen(base);
        if (n < 4 || strcmp(base + n - 3, ".vm") != 0) {
                if (ret_error && asprintf(ret_error, "%s: file name does not end in .vm", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        expect = strndup(base, n - 3);
        if (!expect)
                return -ENOMEM;

        r = read_full_file(path, VMDEF_FILE_MAX, &data, &size);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s%s", path, strerror(-r),
                                          r == -EFBIG ? " (over 64 KiB)" : "") < 0)
                        *ret_error = NULL;
                return r;
        }
        return vmdef_parse(path, expect, data, size, ret, ret_error);
}

static void closedirp_vmdef(DIR **d) {
        if (*d)
                closedir(*d);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int vmdef_load_dirs(char *const *dirs, size_t n_dirs, VmDef ***ret_defs, size_t *ret_n,
                    vmdef_report_t report, void *userdata) {
        VmDef **defs = NULL;
        size_t n = 0;
        int errors = 0;

        for (size_t d = 0; d < n_dirs; d++) {
                _cleanup_(closedirp_vmdef) DIR *dir = NULL;
                char **names = NULL;
                size_t n_names = 0;
                struct dirent *de;

                dir = opendir(dirs[d]);
                if (!dir) {
                        if (errno != ENOENT) {
                                char *m = NULL;
                                if (asprintf(&m, "%s: cannot open directory: %m", dirs[d]) >= 0)
                                        report(m, userdata);
                                free(m);
                                errors++;
                        }
                        continue;
                }
                while ((de = readdir(dir))) {
                        size_t l = strlen(de->d_name);
                        char **nn;

                        if (de->d_name[0] == '.' || l < 4 || strcmp(de->d_name + l - 3, ".vm") != 0)
                                continue;
                        if (n_names >= 1024)
                                break; /* bounded */
                        nn = realloc(names, (n_names + 1) * sizeof(char *));
                        if (!nn)
                                break;
                        names = nn;
                        names[n_names] = strdup(de->d_name);
                        if (names[n_names])
                                n_names++;
                }
                qsort(names, n_names, sizeof(char *), cmp_str);

                for (size_t i = 0; i < n_names; i++) {
                        _cleanup_free_ char *path = NULL, *err = NULL;
                        _cleanup_(vmdef_freep) VmDef *def = NULL;
                        bool dup = false;
                        VmDef **nd;

                        if (asprintf(&path, "%s/%s", dirs[d], names[i]) < 0) {
                                path = NULL;
                                continue;
                        }
                        if (vmdef_load(path, &def, &err) < 0) {
                                report(err ?: path, userdata);
                                errors++;
                                continue;
                        }
                        for (size_t j = 0; j < n; j++)
                                if (strcmp(defs[j]->name, def->name) == 0) {
                                        char *m = NULL;
                                        if (asprintf(&m, "%s: VM %s is already defined by %s, ignored", path,
                                                     def->name, defs[j]->path) >= 0)
                                                report(m, userdata);
                                        free(m);
                                        errors++;
                                        dup = true;
                                        break;
                                }
                        if (dup)
                                continue;
                        nd = realloc(defs, (n + 1) * sizeof(VmDef *));
                        if (!nd)
                                continue;
                        defs = nd;
                        defs[n++] = TAKE_PTR(def);
                }
                for (size_t i = 0; i < n_names; i++)
                        free(names[i]);
                free(names);
        }

        *ret_defs = defs;
        *ret_n = n;
        return errors;
}

static void dump_str(FILE *f, const char *key, const char *v) {
        if (v)
                fprintf(f, "%s=%s\n", key, v);
}

void vmdef_dump(const VmDef *def, FILE *f) {
        fprintf(f, "name=%s\n", def->name);
        fprintf(f, "type=%s\n", vm_type_to_string(def->type));
        fprintf(f, "memory=%" PRIu64 "\n", def->memory_mib);
        fprintf(f, "vcpus=%u\n", def->vcpus);
        dump_str(f, "kernel", def->kernel);
        dump_str(f, "ramdisk", def->ramdisk);
        dump_str(f, "cmdline", def->cmdline);
        dump_str(f, "cpuid", def->cpuid);
        for (unsigned i = 0; i < def->n_disks; i++)
                fprintf(f, "disk=%s,%s,%s\n", def->disks[i].target, def->disks[i].vdev,
                        def->disks[i].writable ? "w" : "r");
        for (unsigned i = 0; i < def->n_nics; i++) {
                const VmNic *n = &def->nics[i];
                const char *sep = "";

                fputs("nic=", f);
#define NIC_ITEM(k, v) do { if (v) { fprintf(f, "%s%s=%s", sep, k, v); sep = ","; } } while (0)
                NIC_ITEM("backend", n->backend);
                NIC_ITEM("bridge", n->bridge);
                if (n->has_mac) {
                        fprintf(f, "%smac=%02x:%02x:%02x:%02x:%02x:%02x", sep, n->mac[0], n->mac[1],
                                n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
                        sep = ",";
                }
                NIC_ITEM("ip", n->ip);
                NIC_ITEM("model", n->model);
                NIC_ITEM("vifname", n->vifname);
                NIC_ITEM("script", n->script);
#undef NIC_ITEM
                fputc('\n', f);
        }
        for (unsigned i = 0; i < def->n_pcis; i++) {
                const VmPci *p = &def->pcis[i];
                if (p->is_class)
                        fprintf(f, "pci=class:0x%02x\n", p->class);
                else
                        fprintf(f, "pci=%04x:%02x:%02x.%x\n", p->domain, p->bus, p->dev, p->func);
        }
        for (unsigned i = 0; i < def->n_requires; i++)
                fprintf(f, "requires=%s\n", def->requires[i]);
        fprintf(f, "vfb=%s\n", def->vfb ? "yes" : "no");
        fprintf(f, "vkb=%s\n", def->vkb ? "yes" : "no");
        fprintf(f, "autostart=%s\n", def->autostart ? "yes" : "no");
        fprintf(f, "order=%" PRId64 "\n", def->order);
        fprintf(f, "restart=%s\n", vm_restart_to_string(def->restart));
        fprintf(f, "restart_max=%u\n", def->restart_max);
        fprintf(f, "shutdown_timeout=%u\n", def->shutdown_timeout);
}
