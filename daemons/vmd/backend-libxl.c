/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libxl backend.  libxl runs inside cairn-vmd's sd-event loop: its fds and
 * timeouts through libxl_osevent_register_hooks, its children through
 * libxl_childproc_setmode(mainloop) with a fork hook that adds an sd-event
 * child source per child and hands the status back with libxl_childproc_reaped.
 * Every domain operation is asynchronous (libxl_asyncop_how callbacks); domain
 * shutdown and death arrive as libxl events. */
#define LIBXL_API_VERSION 0x041400

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <libxl.h>
#include <libxl_utils.h>

#include "backend.h"
#include "log.h"
#include "util.h"

typedef struct LibxlBackend LibxlBackend;

/* A domain we watch for shutdown and death. */
typedef struct Domain {
        struct Domain *next;
        uint32_t domid;
        char name[VMDEF_NAME_MAX + 1];
        libxl_evgen_domain_death *evgen;
        bool destroying;         /* libxl_domain_destroy in flight */
        bool destroy_requested;  /* by the manager (Stop timeout) */
        bool shutdown_seen;
        VmExit how;
        /* Passed-through PCI devices (seg << 16 | bus << 8 | devfn), to stop
         * their DMA once the domain is dead or dying. */
        uint32_t pci[64];
        unsigned n_pci;
} Domain;

struct LibxlBackend {
        VmBackend base;
        sd_event *event;
        libxl_ctx *ctx;
        xentoollog_logger_stdiostream *logger;
        Domain *domains;
};

/* One asynchronous libxl operation. */
typedef struct Op {
        LibxlBackend *b;
        uint32_t domid;
        char name[VMDEF_NAME_MAX + 1];
        libxl_domain_config config;
        bool has_config;
        bool want_vfb;           /* hot-add a vfb before the unpause */
        sd_event_source *defer;  /* the create, run after the requesting turn */
} Op;

static int errno_from_libxl(int rc) {
        switch (rc) {
        case 0:
                return 0;
        case ERROR_NOMEM:
                return -ENOMEM;
        case ERROR_INVAL:
                return -EINVAL;
        case ERROR_DOMAIN_NOTFOUND:
        case ERROR_NOTFOUND:
                return -ENOENT;
        case ERROR_NOPARAVIRT:
                return -EOPNOTSUPP;
        case ERROR_TIMEDOUT:
                return -ETIMEDOUT;
        default:
                return -EIO;
        }
}

static const char *libxl_error_str(int rc) {
        return libxl_error_to_string(rc) ?: "unknown libxl error";
}

/* ---- osevent hooks: fds and timeouts on sd-event ---- */

typedef struct FdReg {
        LibxlBackend *b;
        sd_event_source *source;
        int fd;          /* libxl's fd */
        int watched_fd;  /* fd or a dup of it when another registration has fd */
        void *for_libxl;
        short events;
} FdReg;

typedef struct TimeReg {
        LibxlBackend *b;
        sd_event_source *source;
        void *for_libxl;
} TimeReg;

static int fd_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FdReg *reg = userdata;
        short pr = 0;

        if (revents & EPOLLIN)
                pr |= POLLIN;
        if (revents & EPOLLOUT)
                pr |= POLLOUT;
        if (revents & EPOLLPRI)
                pr |= POLLPRI;
        if (revents & EPOLLERR)
                pr |= POLLERR;
        if (revents & EPOLLHUP)
                pr |= POLLHUP;
        /* reg may be freed by fd_deregister inside this call: do not touch it after. */
        libxl_osevent_occurred_fd(reg->b->ctx, reg->for_libxl, reg->fd, reg->events, pr);
        return 0;
}

static uint32_t epoll_events(short events) {
        uint32_t e = 0;

        if (events & POLLIN)
                e |= EPOLLIN;
        if (events & POLLOUT)
                e |= EPOLLOUT;
        if (events & POLLPRI)
                e |= EPOLLPRI;
        return e;
}

static int fd_apply_events(FdReg *reg, short events) {
        int r;

        reg->events = events;
        if (events == 0)
                return sd_event_source_set_enabled(reg->source, SD_EVENT_OFF);
        r = sd_event_source_set_io_events(reg->source, epoll_events(events));
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(reg->source, SD_EVENT_ON);
}

static int hook_fd_register(void *user, int fd, void **for_app_registration_out, short events,
                            void *for_libxl) {
        LibxlBackend *b = user;
        FdReg *reg;
        int r;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return ERROR_OSEVENT_REG_FAIL;
        *reg = (FdReg) { .b = b, .fd = fd, .watched_fd = fd, .for_libxl = for_libxl };

        r = sd_event_add_io(b->event, &reg->source, fd, EPOLLIN, fd_io, reg);
        if (r == -EEXIST) {
                /* libxl may register one fd twice; epoll wants distinct fds. */
                reg->watched_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (reg->watched_fd < 0) {
                        free(reg);
                        return ERROR_OSEVENT_REG_FAIL;
                }
                r = sd_event_add_io(b->event, &reg->source, reg->watched_fd, EPOLLIN, fd_io, reg);
        }
        if (r >= 0)
                r = fd_apply_events(reg, events);
        if (r < 0) {
                log_debug_errno(r, "libxl fd %d registration failed: %m", fd);
                sd_event_source_disable_unref(reg->source);
                if (reg->watched_fd != fd)
                        close(reg->watched_fd);
                free(reg);
                return ERROR_OSEVENT_REG_FAIL;
        }
        (void) sd_event_source_set_description(reg->source, "libxl-fd");
        *for_app_registration_out = reg;
        return 0;
}

static int hook_fd_modify(void *user, int fd, void **for_app_registration_update, short events) {
        FdReg *reg = *for_app_registration_update;

        return fd_apply_events(reg, events) < 0 ? ERROR_OSEVENT_REG_FAIL : 0;
}

static void hook_fd_deregister(void *user, int fd, void *for_app_registration) {
        FdReg *reg = for_app_registration;

        sd_event_source_disable_unref(reg->source);
        if (reg->watched_fd != reg->fd)
                close(reg->watched_fd);
        free(reg);
}

static int time_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        TimeReg *reg = userdata;
        LibxlBackend *b = reg->b;
        void *for_libxl = reg->for_libxl;

        /* The registration ends when it fires; libxl re-registers if it wants. */
        sd_event_source_disable_unref(reg->source);
        free(reg);
        libxl_osevent_occurred_timeout(b->ctx, for_libxl);
        return 0;
}

static int hook_timeout_register(void *user, void **for_app_registration_out, struct timeval abs,
                                 void *for_libxl) {
        LibxlBackend *b = user;
        TimeReg *reg;
        uint64_t usec = (uint64_t) abs.tv_sec * 1000000 + (uint64_t) abs.tv_usec;
        int r;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return ERROR_OSEVENT_REG_FAIL;
        reg->b = b;
        reg->for_libxl = for_libxl;
        /* libxl's times are gettimeofday() ones; accuracy 1 us (the default slack is 250 ms). */
        r = sd_event_add_time(b->event, &reg->source, CLOCK_REALTIME, usec ?: 1, 1, time_fired, reg);
        if (r < 0) {
                free(reg);
                return ERROR_OSEVENT_REG_FAIL;
        }
        (void) sd_event_source_set_description(reg->source, "libxl-timeout");
        *for_app_registration_out = reg;
        return 0;
}

static int hook_timeout_modify(void *user, void **for_app_registration_update, struct timeval abs) {
        TimeReg *reg = *for_app_registration_update;

        /* Only ever "now" (abs == {0,0}). */
        if (sd_event_source_set_time(reg->source, 1) < 0)
                return ERROR_OSEVENT_REG_FAIL;
        return sd_event_source_set_enabled(reg->source, SD_EVENT_ONESHOT) < 0 ? ERROR_OSEVENT_REG_FAIL : 0;
}

static void hook_timeout_deregister(void *user, void *for_app_registration) {
        TimeReg *reg = for_app_registration;

        /* Never called by libxl 4.17; handled anyway. */
        sd_event_source_disable_unref(reg->source);
        free(reg);
}

static const libxl_osevent_hooks osevent_hooks = {
        .fd_register = hook_fd_register,
        .fd_modify = hook_fd_modify,
        .fd_deregister = hook_fd_deregister,
        .timeout_register = hook_timeout_register,
        .timeout_modify = hook_timeout_modify,
        .timeout_deregister = hook_timeout_deregister,
};

/* ---- children: our loop owns SIGCHLD ---- */

static LibxlBackend *fork_backend; /* the fork hook has no user pointer in use; one backend per process */

static int child_exited(sd_event_source *s, const siginfo_t *si, void *userdata) {
        LibxlBackend *b = userdata;
        int status, rc;

        switch (si->si_code) {
        case CLD_EXITED:
                status = W_EXITCODE(si->si_status, 0);
                break;
        case CLD_KILLED:
                status = si->si_status;
                break;
        case CLD_DUMPED:
                status = si->si_status | 0x80;
                break;
        default:
                return 0;
        }
        log_debug("libxl child %d exited (code %d, status %d)", (int) si->si_pid, si->si_code, si->si_status);
        sd_event_source_disable_unref(s);
        rc = libxl_childproc_reaped(b->ctx, si->si_pid, status);
        if (rc == ERROR_UNKNOWN_CHILD)
                log_debug("child %d was not libxl's", (int) si->si_pid);
        return 0;
}

static pid_t hook_fork(void *user) {
        LibxlBackend *b = user ?: fork_backend;
        sd_event_source *s = NULL;
        pid_t pid;
        int r;

        pid = fork();
        if (pid < 0)
                return pid;
        if (pid == 0) {
                sigset_t ss;

                /* The daemon blocks SIGCHLD for sd-event; libxl's children (hotplug
                 * scripts, device models) must not inherit that. */
                sigemptyset(&ss);
                sigaddset(&ss, SIGCHLD);
                sigprocmask(SIG_UNBLOCK, &ss, NULL);
                return 0;
        }
        r = sd_event_add_child(b->event, &s, pid, WEXITED, child_exited, b);
        if (r < 0)
                log_error_errno(r, "Cannot watch libxl child %d; it will be left a zombie: %m", (int) pid);
        else
                (void) sd_event_source_set_description(s, "libxl-child");
        return pid;
}

static const libxl_childproc_hooks childproc_hooks = {
        .chldowner = libxl_sigchld_owner_mainloop,
        .fork_replacement = hook_fork,
};

/* ---- domains ---- */

/* Clears a passed-through device's Bus Master Enable bit, so that it stops
 * DMA into memory that the dead domain no longer owns.  The guest's driver may
 * have left receive rings running (a crash, `xl destroy`), and a device without
 * a reset method (no FLR) keeps writing there after the pages are freed and
 * given to another domain.  The next owner's driver resets it and sets the bit
 * again.  Best effort: a device that is gone needs nothing. */
static void pci_stop_dma(const char *vm, uint32_t bdf) {
        char path[96];
        uint16_t cmd;
        int fd;

        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%x/config",
                 bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return;
        if (pread(fd, &cmd, sizeof(cmd), 4) == sizeof(cmd) && (cmd & 0x4)) {
                cmd &= (uint16_t) ~0x4;
                if (pwrite(fd, &cmd, sizeof(cmd), 4) == sizeof(cmd))
                        log_info("%s: PCI device %s: bus mastering off (its DMA stopped)", vm, path + 22);
        }
        close(fd);
}

static void domain_stop_dma(Domain *d) {
        for (unsigned i = 0; i < d->n_pci; i++)
                pci_stop_dma(d->name, d->pci[i]);
}

static Domain *domain_find(LibxlBackend *b, uint32_t domid) {
        for (Domain *d = b->domains; d; d = d->next)
                if (d->domid == domid)
                        return d;
        return NULL;
}

static void domain_unlink_free(LibxlBackend *b, Domain *d) {
        for (Domain **p = &b->domains; *p; p = &(*p)->next)
                if (*p == d) {
                        *p = d->next;
                        break;
                }
        if (d->evgen)
                libxl_evdisable_domain_death(b->ctx, d->evgen);
        free(d);
}

/* The domain is gone: tell the manager, stop watching. */
static void domain_finish(LibxlBackend *b, Domain *d, VmExit how) {
        char name[VMDEF_NAME_MAX + 1];
        uint32_t domid = d->domid;

        memcpy(name, d->name, sizeof(name));
        domain_stop_dma(d);
        domain_unlink_free(b, d);
        if (b->base.events && b->base.events->exited)
                b->base.events->exited(b->base.userdata, name, domid, how);
}

static int domain_watch(LibxlBackend *b, uint32_t domid, const char *name) {
        Domain *d;
        int rc;

        if (domain_find(b, domid))
                return 0;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->domid = domid;
        snprintf(d->name, sizeof(d->name), "%s", name);
        rc = libxl_evenable_domain_death(b->ctx, domid, 0, &d->evgen);
        if (rc) {
                free(d);
                log_error("%s: cannot watch domain %" PRIu32 " for death: %s", name, domid, libxl_error_str(rc));
                return errno_from_libxl(rc);
        }
        d->next = b->domains;
        b->domains = d;
        return 0;
}

static void domain_note_pci(Domain *d, const libxl_device_pci *pci, int n) {
        if (!d)
                return;
        for (int i = 0; i < n && d->n_pci < sizeof(d->pci) / sizeof(d->pci[0]); i++)
                d->pci[d->n_pci++] = (uint32_t) pci[i].domain << 16 | (uint32_t) pci[i].bus << 8 |
                                     (uint32_t) (pci[i].dev & 0x1f) << 3 | (pci[i].func & 7);
}

static void destroy_done(libxl_ctx *ctx, int rc, void *for_callback) {
        Op *op = for_callback;
        LibxlBackend *b = op->b;
        Domain *d = domain_find(b, op->domid);

        if (rc)
                log_warning("%s: destroying domain %" PRIu32 " reported %s", op->name, op->domid,
                            libxl_error_str(rc));
        if (d) {
                d->destroying = false;
                domain_finish(b, d, d->shutdown_seen ? d->how :
                                    d->destroy_requested ? VM_EXIT_DESTROYED : VM_EXIT_VANISHED);
        }
        free(op);
}

static int domain_destroy_async(LibxlBackend *b, Domain *d) {
        libxl_asyncop_how how = { .callback = destroy_done };
        Op *op;
        int rc;

        if (d->destroying)
                return 0;
        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        op->b = b;
        op->domid = d->domid;
        memcpy(op->name, d->name, sizeof(op->name));
        how.u.for_callback = op;
        d->destroying = true;
        domain_stop_dma(d);
        rc = libxl_domain_destroy(b->ctx, d->domid, &how);
        if (rc) {
                d->destroying = false;
                free(op);
                log_error("%s: cannot destroy domain %" PRIu32 ": %s", d->name, d->domid, libxl_error_str(rc));
                return errno_from_libxl(rc);
        }
        return 0;
}

static void event_occurs(void *user, libxl_event *ev) {
        LibxlBackend *b = user;
        Domain *d = domain_find(b, ev->domid);

        if (!d) {
                libxl_event_free(b->ctx, ev);
                return;
        }
        switch (ev->type) {
        case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN: {
                int reason = ev->u.domain_shutdown.shutdown_reason;

                log_info("%s: domain %" PRIu32 " shut down (%s)", d->name, d->domid,
                         libxl_shutdown_reason_to_string(reason) ?: "?");
                d->shutdown_seen = true;
                switch (reason) {
                case LIBXL_SHUTDOWN_REASON_POWEROFF:
                        d->how = VM_EXIT_POWEROFF;
                        break;
                case LIBXL_SHUTDOWN_REASON_REBOOT:
                case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
                        d->how = VM_EXIT_REBOOT;
                        break;
                default: /* crash, watchdog, suspend we did not ask for */
                        d->how = VM_EXIT_CRASH;
                        break;
                }
                /* A shut-down domain lingers until destroyed. */
                if (domain_destroy_async(b, d) < 0)
                        domain_finish(b, d, d->how);
                break;
        }
        case LIBXL_EVENT_TYPE_DOMAIN_DEATH:
                log_info("%s: domain %" PRIu32 " is gone", d->name, d->domid);
                if (!d->destroying)
                        domain_finish(b, d, d->shutdown_seen ? d->how :
                                            d->destroy_requested ? VM_EXIT_DESTROYED : VM_EXIT_VANISHED);
                break;
        default:
                break;
        }
        libxl_event_free(b->ctx, ev);
}

static void event_disaster(void *user, libxl_event_type type, const char *msg, int errnoval) {
        /* libxl already logged it critically.  No libxl calls allowed here: exit, and
         * let systemd restart us (running domains are adopted again). */
        log_error_errno(errnoval ? -abs(errnoval) : -EIO, "libxl event disaster: %s: %m", msg);
        _exit(EXIT_FAILURE);
}

static const libxl_event_hooks event_hooks = {
        .event_occurs_mask = LIBXL_EVENTMASK_ALL,
        .event_occurs = event_occurs,
        .disaster = event_disaster,
};

/* ---- the domain configuration ---- */

static void closedirp_libxl(DIR **d) {
        if (*d)
                closedir(*d);
}

/* Whether Xen has an IOMMU to confine a passed-through device (xl's
 * "directio" capability). */
static bool iommu_present(LibxlBackend *b) {
        libxl_physinfo info;
        bool r;

        libxl_physinfo_init(&info);
        if (libxl_get_physinfo(b->ctx, &info) != 0) {
                libxl_physinfo_dispose(&info);
                return false;
        }
        r = info.cap_hvm_directio;
        libxl_physinfo_dispose(&info);
        return r;
}

static int pci_class_devices(const VmPci *p, libxl_domain_config *cfg) {
        _cleanup_(closedirp_libxl) DIR *dir = opendir("/sys/bus/pci/devices");
        struct dirent *de;
        int found = 0;

        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                unsigned dom, bus, dev, fn;
                uint64_t cls;
                libxl_device_pci *n;

                if (sscanf(de->d_name, "%4x:%2x:%2x.%1x", &dom, &bus, &dev, &fn) != 4)
                        continue;
                if (asprintf(&path, "/sys/bus/pci/devices/%s/class", de->d_name) < 0)
                        return -ENOMEM;
                if (read_full_file(path, 64, &data, NULL) < 0 || parse_u64(strstrip(data), &cls) < 0)
                        continue;
                if (((cls >> 16) & 0xff) != p->class)
                        continue;
                if (cfg->num_pcidevs >= 64)
                        break;
                n = realloc(cfg->pcidevs, (cfg->num_pcidevs + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                cfg->pcidevs = n;
                libxl_device_pci_init(&n[cfg->num_pcidevs]);
                n[cfg->num_pcidevs].domain = dom;
                n[cfg->num_pcidevs].bus = bus;
                n[cfg->num_pcidevs].dev = dev;
                n[cfg->num_pcidevs].func = fn;
                cfg->num_pcidevs++;
                found++;
        }
        return found;
}

static int config_from_def(LibxlBackend *b, const VmDef *def, const uint8_t uuid[16],
                           libxl_domain_config *cfg, char **ret_error) {
        libxl_domain_type type = def->type == VM_TYPE_HVM ? LIBXL_DOMAIN_TYPE_HVM :
                                 def->type == VM_TYPE_PVH ? LIBXL_DOMAIN_TYPE_PVH : LIBXL_DOMAIN_TYPE_PV;
        libxl_domain_build_info *bi = &cfg->b_info;
        int rc;

#define DUP(dst, src) do { if (src) { (dst) = strdup(src); if (!(dst)) return -ENOMEM; } } while (0)
        cfg->c_info.type = type;
        DUP(cfg->c_info.name, def->name);
        memcpy(libxl_uuid_bytearray(&cfg->c_info.uuid), uuid, 16);

        libxl_domain_build_info_init_type(bi, type);
        bi->max_memkb = def->memory_mib * 1024;
        bi->target_memkb = bi->max_memkb;
        bi->max_vcpus = (int) def->vcpus;
        if (libxl_cpu_bitmap_alloc(b->ctx, &bi->avail_vcpus, (int) def->vcpus))
                return -ENOMEM;
        libxl_bitmap_set_none(&bi->avail_vcpus);
        for (unsigned i = 0; i < def->vcpus; i++)
                libxl_bitmap_set(&bi->avail_vcpus, (int) i);
        DUP(bi->kernel, def->kernel);
        DUP(bi->ramdisk, def->ramdisk);
        DUP(bi->cmdline, def->cmdline);

        if (def->cpuid) {
                _cleanup_free_ char *copy = strdup(def->cpuid);
                char *tok, *save = NULL;

                if (!copy)
                        return -ENOMEM;
                /* As xl: "host" then overrides, each one handed to libxl. */
                tok = strtok_r(copy, ",", &save);
                if (!tok || strcmp(tok, "host") != 0) {
                        if (asprintf(ret_error, "%s: cpuid= must start with \"host\"", def->path) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                while ((tok = strtok_r(NULL, ",", &save))) {
                        rc = libxl_cpuid_parse_config(&bi->cpuid, tok);
                        if (rc) {
                                if (asprintf(ret_error, "%s: cpuid item \"%s\" is not understood by libxl",
                                             def->path, tok) < 0)
                                        *ret_error = NULL;
                                return -EINVAL;
                        }
                }
        }

        if (def->n_disks) {
                cfg->disks = calloc(def->n_disks, sizeof(*cfg->disks));
                if (!cfg->disks)
                        return -ENOMEM;
                for (unsigned i = 0; i < def->n_disks; i++) {
                        libxl_device_disk *d = &cfg->disks[cfg->num_disks++];

                        libxl_device_disk_init(d);
                        DUP(d->pdev_path, def->disks[i].target);
                        DUP(d->vdev, def->disks[i].vdev);
                        d->format = LIBXL_DISK_FORMAT_RAW;
                        d->backend = LIBXL_DISK_BACKEND_UNKNOWN;
                        d->readwrite = def->disks[i].writable;
                        d->removable = 0;
                        d->is_cdrom = 0;
                }
        }

        if (def->n_nics) {
                cfg->nics = calloc(def->n_nics, sizeof(*cfg->nics));
                if (!cfg->nics)
                        return -ENOMEM;
                for (unsigned i = 0; i < def->n_nics; i++) {
                        const VmNic *n = &def->nics[i];
                        libxl_device_nic *x = &cfg->nics[cfg->num_nics++];

                        libxl_device_nic_init(x);
                        x->devid = (int) i;
                        DUP(x->backend_domname, n->backend);
                        DUP(x->bridge, n->bridge);
                        DUP(x->ip, n->ip);
                        DUP(x->model, n->model);
                        DUP(x->ifname, n->vifname);
                        DUP(x->script, n->script);
                        if (n->has_mac)
                                memcpy(x->mac, n->mac, 6);
                }
        }

        for (unsigned i = 0; i < def->n_pcis; i++) {
                const VmPci *p = &def->pcis[i];

                if (p->is_class) {
                        rc = pci_class_devices(p, cfg);
                        if (rc < 0)
                                return rc;
                        if (rc == 0)
                                log_warning("%s: no PCI device of class 0x%02x on this machine", def->name, p->class);
                } else {
                        libxl_device_pci *n = realloc(cfg->pcidevs, (cfg->num_pcidevs + 1) * sizeof(*n));

                        if (!n)
                                return -ENOMEM;
                        cfg->pcidevs = n;
                        libxl_device_pci_init(&n[cfg->num_pcidevs]);
                        n[cfg->num_pcidevs].domain = p->domain;
                        n[cfg->num_pcidevs].bus = p->bus;
                        n[cfg->num_pcidevs].dev = p->dev;
                        n[cfg->num_pcidevs].func = p->func;
                        cfg->num_pcidevs++;
                }
        }
        if (cfg->num_pcidevs > 0 && !iommu_present(b)) {
                /* Without an IOMMU a device given to a guest could write
                 * anywhere in memory: the VM starts without it. */
                log_warning("%s: no IOMMU, so its %d PCI device(s) are not passed through; it starts without them",
                            def->name, cfg->num_pcidevs);
                for (int i = 0; i < cfg->num_pcidevs; i++)
                        libxl_device_pci_dispose(&cfg->pcidevs[i]);
                free(cfg->pcidevs);
                cfg->pcidevs = NULL;
                cfg->num_pcidevs = 0;
        }
        /* The domain needs its IOMMU context from creation on; libxl attaches
         * the devices before the domain is unpaused.  e820_host stays off: a
         * small guest's RAM is far below any PCI hole, and the host's firmware
         * map (OVMF's, with a hole at 8 MiB) stops a PV guest at once. */
        if (cfg->num_pcidevs > 0)
                cfg->c_info.passthrough = LIBXL_PASSTHROUGH_ENABLED;
        for (int i = 0; i < cfg->num_pcidevs; i++) {
                /* Bind to pciback (no-op when it already is). */
                rc = libxl_device_pci_assignable_add(b->ctx, &cfg->pcidevs[i], 1);
                if (rc)
                        log_warning("%s: PCI %04x:%02x:%02x.%x cannot be made assignable: %s", def->name,
                                    cfg->pcidevs[i].domain, cfg->pcidevs[i].bus, cfg->pcidevs[i].dev,
                                    cfg->pcidevs[i].func, libxl_error_str(rc));
        }

        /* The vfb is not in the domain config: libxl spawns a QEMU device model
         * for every PV domain that has one at creation.  cairn-consoled is its
         * back end; create_done() hot-adds it while the domain is paused
         * (docs/consoled.md, "libxl, vfb and vkb without QEMU"). */
        if (def->vkb) {
                cfg->vkbs = calloc(1, sizeof(*cfg->vkbs));
                if (!cfg->vkbs)
                        return -ENOMEM;
                libxl_device_vkb_init(&cfg->vkbs[0]);
                cfg->num_vkbs = 1;
                /* Served by cairn-consoled in dom0, not by a device model. */
                cfg->vkbs[0].backend_type = LIBXL_VKB_BACKEND_LINUX;
                cfg->vkbs[0].backend_domid = 0;
                cfg->vkbs[0].feature_abs_pointer = true;
        }
        /* We destroy shut-down domains ourselves and apply the restart policy. */
        cfg->on_poweroff = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
        cfg->on_reboot = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
        cfg->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
#undef DUP
        return 0;
}

static void op_free(Op *op) {
        if (!op)
                return;
        if (op->has_config)
                libxl_domain_config_dispose(&op->config);
        sd_event_source_disable_unref(op->defer);
        free(op);
}

static void report_created(LibxlBackend *b, const char *name, uint32_t domid, int r, const char *error) {
        if (b->base.events && b->base.events->created)
                b->base.events->created(b->base.userdata, name, domid, r, error);
}

/* A step after the domain was made failed: destroy it, report a failed start. */
static void create_step_failed(Op *op, const char *step, int rc) {
        LibxlBackend *b = op->b;
        Domain *d = domain_find(b, op->domid);
        _cleanup_free_ char *why = NULL;

        if (asprintf(&why, "%s domain %" PRIu32 " failed: %s", step, op->domid, libxl_error_str(rc)) < 0)
                why = NULL;
        log_error("%s: %s", op->name, why ? why : step);
        if (d) {
                d->destroy_requested = true;
                (void) domain_destroy_async(b, d);
                /* Not "exited": the manager sees a failed start. */
                d->how = VM_EXIT_DESTROYED;
                d->shutdown_seen = true;
                domain_unlink_free(b, d);
        }
        report_created(b, op->name, op->domid, errno_from_libxl(rc), why);
        op_free(op);
}

static void unpause_done(libxl_ctx *ctx, int rc, void *for_callback) {
        Op *op = for_callback;

        if (rc) {
                create_step_failed(op, "unpausing", rc);
                return;
        }
        report_created(op->b, op->name, op->domid, 0, NULL);
        op_free(op);
}

static void unpause(Op *op) {
        libxl_asyncop_how how = { .callback = unpause_done, .u.for_callback = op };
        int rc;

        rc = libxl_domain_unpause(op->b->ctx, op->domid, &how);
        if (rc)
                unpause_done(op->b->ctx, rc, op);
}

static void vfb_added(libxl_ctx *ctx, int rc, void *for_callback) {
        Op *op = for_callback;

        if (rc) {
                create_step_failed(op, "adding the framebuffer (vfb) to", rc);
                return;
        }
        log_info("%s: vfb added to domain %" PRIu32 " (back end: cairn-consoled)", op->name, op->domid);
        unpause(op);
}

/* The PV framebuffer, served by cairn-consoled in dom0.  libxl writes the
 * standard front-end and back-end nodes (back end dom0, state Initialising);
 * no device model is involved since the vfb was not in the creation config. */
static void vfb_add(Op *op) {
        libxl_asyncop_how how = { .callback = vfb_added, .u.for_callback = op };
        libxl_device_vfb vfb;
        int rc;

        libxl_device_vfb_init(&vfb);
        vfb.backend_domid = 0;
        vfb.devid = 0;
        libxl_defbool_set(&vfb.vnc.enable, false);
        libxl_defbool_set(&vfb.sdl.enable, false);
        rc = libxl_device_vfb_add(op->b->ctx, op->domid, &vfb, &how);
        libxl_device_vfb_dispose(&vfb);
        if (rc)
                vfb_added(op->b->ctx, rc, op);
}

static void create_done(libxl_ctx *ctx, int rc, void *for_callback) {
        Op *op = for_callback;
        LibxlBackend *b = op->b;
        int r;

        if (rc) {
                _cleanup_free_ char *why = NULL;

                if (asprintf(&why, "libxl: %s (see the log for libxl's details)", libxl_error_str(rc)) < 0)
                        why = NULL;
                /* libxl destroys a half-made domain itself before failing. */
                report_created(b, op->name, VM_DOMID_INVALID, errno_from_libxl(rc), why);
                op_free(op);
                return;
        }

        log_info("%s: domain %" PRIu32 " created", op->name, op->domid);
        r = domain_watch(b, op->domid, op->name);
        if (r < 0) {
                report_created(b, op->name, op->domid, r, "cannot watch the new domain");
                op_free(op);
                return;
        }
        domain_note_pci(domain_find(b, op->domid), op->config.pcidevs, op->config.num_pcidevs);
        if (op->want_vfb)
                vfb_add(op);
        else
                unpause(op);
}

static int create_begin(sd_event_source *s, void *userdata) {
        Op *op = userdata;
        LibxlBackend *b = op->b;
        libxl_asyncop_how how = { .callback = create_done, .u.for_callback = op };
        int rc;

        op->defer = sd_event_source_disable_unref(op->defer);
        rc = libxl_domain_create_new(b->ctx, &op->config, &op->domid, &how, NULL);
        if (rc) {
                _cleanup_free_ char *why = NULL;

                log_error("%s: libxl refused to create the domain: %s", op->name, libxl_error_str(rc));
                if (asprintf(&why, "libxl refused to create the domain: %s", libxl_error_str(rc)) < 0)
                        why = NULL;
                report_created(b, op->name, VM_DOMID_INVALID, errno_from_libxl(rc), why);
                op_free(op);
        }
        return 0;
}

static int libxl_create(VmBackend *base, const VmDef *def, const uint8_t uuid[16]) {
        LibxlBackend *b = (LibxlBackend *) base;
        _cleanup_free_ char *error = NULL;
        Op *op;
        int r;

        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        op->b = b;
        op->domid = INVALID_DOMID;
        snprintf(op->name, sizeof(op->name), "%s", def->name);
        libxl_domain_config_init(&op->config);
        op->has_config = true;

        op->want_vfb = def->vfb;
        r = config_from_def(b, def, uuid, &op->config, &error);
        if (r < 0) {
                if (error)
                        log_error("%s", error);
                op_free(op);
                return r;
        }

        /* libxl builds a PV domain (loads and unpacks its kernel and ramdisk)
         * inside the call that starts the operation, before it first waits.
         * That takes tens of seconds on a slow machine, so it runs from the
         * event loop after this turn: the caller's D-Bus reply goes out first
         * and the outcome arrives through created(). */
        r = sd_event_add_defer(b->event, &op->defer, create_begin, op);
        if (r < 0) {
                op_free(op);
                return r;
        }
        (void) sd_event_source_set_description(op->defer, "libxl-create");
        return 0;
}

static void shutdown_done(libxl_ctx *ctx, int rc, void *for_callback) {
        Op *op = for_callback;
        LibxlBackend *b = op->b;

        if (rc == ERROR_NOPARAVIRT) {
                /* An HVM guest without PV drivers: press the ACPI power button. */
                log_info("%s: no PV shutdown, sending the ACPI power button", op->name);
                rc = libxl_send_trigger(b->ctx, op->domid, LIBXL_TRIGGER_POWER, 0, NULL);
        }
        if (rc)
                log_warning("%s: shutdown request failed: %s; the stop timeout will destroy it", op->name,
                            libxl_error_str(rc));
        free(op);
}

static int libxl_shutdown(VmBackend *base, uint32_t domid) {
        LibxlBackend *b = (LibxlBackend *) base;
        libxl_asyncop_how how = { .callback = shutdown_done };
        Domain *d = domain_find(b, domid);
        Op *op;
        int rc;

        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        op->b = b;
        op->domid = domid;
        snprintf(op->name, sizeof(op->name), "%s", d ? d->name : "?");
        how.u.for_callback = op;
        rc = libxl_domain_shutdown(b->ctx, domid, &how);
        if (rc) {
                free(op);
                return errno_from_libxl(rc);
        }
        return 0;
}

static int libxl_destroy(VmBackend *base, uint32_t domid) {
        LibxlBackend *b = (LibxlBackend *) base;
        Domain *d = domain_find(b, domid);

        if (!d)
                return -ENOENT;
        d->destroy_requested = true;
        return domain_destroy_async(b, d);
}

static int libxl_lookup(VmBackend *base, const char *name, VmDomainInfo *ret) {
        LibxlBackend *b = (LibxlBackend *) base;
        libxl_dominfo info;
        uint32_t domid;
        int rc, r;

        if (libxl_name_to_domid(b->ctx, name, &domid) != 0)
                return -ENOENT;
        libxl_dominfo_init(&info);
        rc = libxl_domain_info(b->ctx, &info, domid);
        if (rc) {
                libxl_dominfo_dispose(&info);
                return errno_from_libxl(rc);
        }
        ret->domid = domid;
        memcpy(ret->uuid, libxl_uuid_bytearray(&info.uuid), 16);
        ret->memory_kib = info.current_memkb;
        ret->vcpus = info.vcpu_online;
        libxl_dominfo_dispose(&info);

        r = domain_watch(b, domid, name);
        if (r >= 0) {
                /* An adopted domain: its passed-through devices, for domain_stop_dma(). */
                int n = 0;
                libxl_device_pci *pci = libxl_device_pci_list(b->ctx, domid, &n);

                domain_note_pci(domain_find(b, domid), pci, n);
                if (pci)
                        libxl_device_pci_list_free(pci, n);
        }
        return r;
}

static void libxl_backend_free(VmBackend *base) {
        LibxlBackend *b = (LibxlBackend *) base;

        while (b->domains)
                domain_unlink_free(b, b->domains);
        if (b->ctx)
                libxl_ctx_free(b->ctx);
        if (b->logger)
                xtl_logger_destroy((xentoollog_logger *) b->logger);
        sd_event_unref(b->event);
        if (fork_backend == b)
                fork_backend = NULL;
        free(b);
}

static const VmBackendOps libxl_ops = {
        .create = libxl_create,
        .shutdown = libxl_shutdown,
        .destroy = libxl_destroy,
        .lookup = libxl_lookup,
        .free = libxl_backend_free,
};

int vm_backend_libxl_new(sd_event *event, VmBackend **ret) {
        LibxlBackend *b;
        int rc;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->base.ops = &libxl_ops;
        b->event = sd_event_ref(event);
        b->logger = xtl_createlogger_stdiostream(stderr,
                                                 log_get_max_level() >= LOG_LEVEL_DEBUG ? XTL_DEBUG : XTL_WARN,
                                                 XTL_STDIOSTREAM_HIDE_PROGRESS);
        if (!b->logger) {
                libxl_backend_free(&b->base);
                return -ENOMEM;
        }
        rc = libxl_ctx_alloc(&b->ctx, LIBXL_VERSION, 0, (xentoollog_logger *) b->logger);
        if (rc) {
                b->ctx = NULL;
                libxl_backend_free(&b->base);
                return log_error_errno(errno_from_libxl(rc),
                                       "Cannot open libxl (is this dom0 with xenstored running?): %s",
                                       libxl_error_str(rc));
        }
        fork_backend = b;
        libxl_osevent_register_hooks(b->ctx, &osevent_hooks, b);
        libxl_childproc_setmode(b->ctx, &childproc_hooks, b);
        libxl_event_register_callbacks(b->ctx, &event_hooks, b);
        *ret = &b->base;
        return 0;
}
