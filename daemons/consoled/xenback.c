/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "kbdring.h"
#include "log.h"
#include "macro.h"
#include "xenback.h"
#include "util.h"
#include "xenbus-state.h"

#define XS_TOKEN "cairn-consoled"
#define BACKEND_ROOT "/local/domain/0/backend"
#define DOMID_MAX 0x7fefu              /* below DOMID_FIRST_RESERVED */
#define FRAME_MAX ((UINT64_C(1) << 40) - 1)
#define REFRESH_VISIBLE_MS 33u         /* XENFB_TYPE_REFRESH_PERIOD while shown */
#define REFRESH_HIDDEN 0u              /* XENFB_NO_REFRESH */

typedef enum DevType {
        DEV_VFB,
        DEV_VKBD,
} DevType;

/* The front end's directory: /local/domain/<domid>/device/<name>/<devid>. */
static const char *const dev_type_name[] = { [DEV_VFB] = "vfb", [DEV_VKBD] = "vkbd" };
/* The back end's: /local/domain/0/backend/<dir>/<domid>/<devid>.  libxl 4.17 puts
 * a vkb with backend_type linux under "vinput" (seen on Xen 4.17.7); "vkbd" holds
 * only QEMU's keyboards, which are not ours. */
static const char *const dev_backend_dir[] = { [DEV_VFB] = "vfb", [DEV_VKBD] = "vinput" };

typedef struct Dev {
        struct Dev *next;
        DevType type;
        uint32_t domid, devid;
        char be_path[256];
        char fe_path[128];
        bool fe_watched, seen, fresh, failed, ignored;

        void *page;
        bool page_granted;
        int local_port;
        uint32_t prod;          /* vkbd in ring / vfb in ring: ours */
        uint32_t cons;          /* vfb out ring: ours */

        FbConfig cfg;
        FbMode mode;
        uint8_t *fb;
} Dev;

struct XenBack {
        sd_event *event;
        FbLimits limits;
        XenBackHooks hooks;
        void *userdata;

        struct xs_handle *xs;
        xenforeignmemory_handle *fmem;
        xengnttab_handle *gnt;
        xenevtchn_handle *xce;
        sd_event_source *xs_source, *evtchn_source;
        Dev *devs;
};

/* ---- xenstore helpers; every value written by a guest is parsed as untrusted ---- */

static char *xs_get(XenBack *b, const char *dir, const char *node, unsigned *ret_len) {
        char path[384];

        snprintf(path, sizeof(path), "%s/%s", dir, node);
        return xs_read(b->xs, XBT_NULL, path, ret_len);
}

static int xs_get_uint(XenBack *b, const char *dir, const char *node, uint64_t max, uint64_t *ret) {
        _cleanup_free_ char *v = NULL;
        unsigned len = 0;

        v = xs_get(b, dir, node, &len);
        if (!v)
                return -ENOENT;
        return xenbus_parse_uint(v, len, max, ret);
}

static XenbusState xs_get_state(XenBack *b, const char *dir) {
        _cleanup_free_ char *v = NULL;
        unsigned len = 0;
        XenbusState s;

        v = xs_get(b, dir, "state", &len);
        if (!v || xenbus_state_parse(v, len, &s) < 0)
                return XENBUS_UNKNOWN;
        return s;
}

_printf_(4, 5)
static int xs_put(XenBack *b, const char *dir, const char *node, const char *fmt, ...) {
        char path[384], value[64];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(value, sizeof(value), fmt, ap);
        va_end(ap);
        snprintf(path, sizeof(path), "%s/%s", dir, node);
        if (!xs_write(b->xs, XBT_NULL, path, value, strlen(value)))
                return log_warning_errno(negative_errno(), "Failed to write %s: %m", path);
        return 0;
}

static int set_state(XenBack *b, Dev *d, XenbusState s) {
        log_debug("%s: back end state %s.", d->be_path, xenbus_state_to_string(s));
        return xs_put(b, d->be_path, "state", "%u", (unsigned) s);
}

/* ---- connecting and disconnecting one device ---- */

static void dev_disconnect(XenBack *b, Dev *d) {
        bool had_fb = d->fb;

        if (d->local_port >= 0) {
                (void) xenevtchn_unbind(b->xce, (evtchn_port_t) d->local_port);
                d->local_port = -1;
        }
        if (d->fb) {
                (void) xenforeignmemory_unmap(b->fmem, d->fb, d->cfg.n_pages);
                d->fb = NULL;
        }
        if (d->page) {
                if (d->page_granted)
                        (void) xengnttab_unmap(b->gnt, d->page, 1);
                else
                        (void) xenforeignmemory_unmap(b->fmem, d->page, 1);
                d->page = NULL;
        }
        if (had_fb && b->hooks.fb_state)
                b->hooks.fb_state(d->domid, false, d->failed, NULL, b->userdata);
}

/* A frontend that broke the protocol: unmap everything and close the device.
 * It stays closed until the frontend starts over (state Initialising). */
static void dev_fail(XenBack *b, Dev *d, const char *reason) {
        log_warning("Domain %u %s %u: %s; disconnecting it.", d->domid, dev_type_name[d->type],
                    d->devid, reason);
        d->failed = true;
        dev_disconnect(b, d);
        (void) set_state(b, d, XENBUS_CLOSED);
}

static int bind_evtchn(XenBack *b, Dev *d) {
        uint64_t port;
        xenevtchn_port_or_error_t local;
        int r;

        r = xs_get_uint(b, d->fe_path, "event-channel", UINT32_MAX, &port);
        if (r < 0)
                return r;
        local = xenevtchn_bind_interdomain(b->xce, d->domid, (evtchn_port_t) port);
        if (local < 0)
                return negative_errno();
        d->local_port = local;
        return 0;
}

static void *map_one(XenBack *b, uint32_t domid, uint64_t frame, int prot) {
        xen_pfn_t pfn = (xen_pfn_t) frame;
        int err = 0;
        void *p;

        p = xenforeignmemory_map(b->fmem, domid, prot, 1, &pfn, &err);
        if (p && err != 0) {
                (void) xenforeignmemory_unmap(b->fmem, p, 1);
                errno = -err;
                return NULL;
        }
        return p;
}

static int connect_vkbd(XenBack *b, Dev *d, const char **ret_reason) {
        uint64_t ref;
        int r;

        if (xs_get_uint(b, d->fe_path, "page-gref", UINT32_MAX, &ref) >= 0) {
                d->page = xengnttab_map_grant_ref(b->gnt, d->domid, (uint32_t) ref, PROT_READ | PROT_WRITE);
                d->page_granted = true;
        } else if (xs_get_uint(b, d->fe_path, "page-ref", FRAME_MAX, &ref) >= 0) {
                d->page = map_one(b, d->domid, ref, PROT_READ | PROT_WRITE);
                d->page_granted = false;
        } else {
                *ret_reason = "neither page-gref nor page-ref is a valid number";
                return -EPROTO;
        }
        if (!d->page) {
                *ret_reason = "its shared page cannot be mapped";
                return -EPROTO;
        }
        /* Resume from the index the frontend initialised, read once; ours from now on. */
        d->prod = __atomic_load_n((uint32_t *) d->page + 1, __ATOMIC_RELAXED);
        r = kbd_page_check(d->page, KBD_PAGE_SIZE, d->prod, ret_reason);
        if (r < 0)
                return r;
        r = bind_evtchn(b, d);
        if (r < 0) {
                *ret_reason = "its event channel cannot be bound";
                return -EPROTO;
        }
        return 0;
}

static int connect_vfb(XenBack *b, Dev *d, const char **ret_reason) {
        _cleanup_free_ char *protocol = NULL;
        _cleanup_free_ uint64_t *frames = NULL;
        _cleanup_free_ xen_pfn_t *pfns = NULL;
        _cleanup_free_ int *errs = NULL;
        const void *dir_ptrs[FB_PD_ENTRIES] = {};
        xen_pfn_t dir_pfns[FB_PD_ENTRIES];
        uint8_t *dirs = NULL;
        unsigned len = 0;
        uint64_t ref;
        int word, r;

        protocol = xs_get(b, d->fe_path, "protocol", &len);
        word = xenbus_protocol_word_size(protocol, len);
        if (word < 0) {
                *ret_reason = "its protocol (ABI) is not supported";
                return -EPROTO;
        }
        if (xs_get_uint(b, d->fe_path, "page-ref", FRAME_MAX, &ref) < 0) {
                *ret_reason = "page-ref is not a valid frame number";
                return -EPROTO;
        }
        d->page = map_one(b, d->domid, ref, PROT_READ | PROT_WRITE);
        d->page_granted = false;
        if (!d->page) {
                *ret_reason = "its shared page cannot be mapped";
                return -EPROTO;
        }
        r = fb_page_parse(d->page, FB_PAGE_SIZE, (unsigned) word, &b->limits, &d->cfg, ret_reason);
        if (r < 0)
                return r;

        /* The directory pages: mapped read-only, read once, unmapped. */
        for (uint32_t i = 0; i < d->cfg.n_dirs; i++)
                dir_pfns[i] = (xen_pfn_t) d->cfg.dirs[i];
        errs = calloc(MAX(d->cfg.n_pages, d->cfg.n_dirs), sizeof(int));
        frames = calloc(d->cfg.n_pages, sizeof(uint64_t));
        pfns = calloc(d->cfg.n_pages, sizeof(xen_pfn_t));
        if (!errs || !frames || !pfns)
                return -ENOMEM;
        dirs = xenforeignmemory_map(b->fmem, d->domid, PROT_READ, d->cfg.n_dirs, dir_pfns, errs);
        if (!dirs) {
                *ret_reason = "its framebuffer page directory cannot be mapped";
                return -EPROTO;
        }
        for (uint32_t i = 0; i < d->cfg.n_dirs; i++)
                dir_ptrs[i] = errs[i] == 0 ? dirs + (size_t) i * FB_PAGE_SIZE : NULL;
        r = fb_dir_collect(&d->cfg, dir_ptrs, frames, ret_reason);
        (void) xenforeignmemory_unmap(b->fmem, dirs, d->cfg.n_dirs);
        if (r < 0)
                return r;

        for (uint32_t i = 0; i < d->cfg.n_pages; i++)
                pfns[i] = (xen_pfn_t) frames[i];
        d->fb = xenforeignmemory_map(b->fmem, d->domid, PROT_READ, d->cfg.n_pages, pfns, errs);
        if (!d->fb) {
                *ret_reason = "its framebuffer cannot be mapped";
                return -EPROTO;
        }
        for (uint32_t i = 0; i < d->cfg.n_pages; i++)
                if (errs[i] != 0) {
                        *ret_reason = "a framebuffer page cannot be mapped";
                        return -EPROTO;
                }

        d->mode = d->cfg.mode;
        d->cons = __atomic_load_n((uint32_t *) d->page + 2, __ATOMIC_RELAXED);
        d->prod = __atomic_load_n((uint32_t *) d->page + 1, __ATOMIC_RELAXED);
        r = bind_evtchn(b, d);
        if (r < 0) {
                *ret_reason = "its event channel cannot be bound";
                return -EPROTO;
        }
        log_info("Domain %u framebuffer connected: %ux%u, %u bits, %u KiB.", d->domid,
                 d->mode.width, d->mode.height, d->mode.depth, d->cfg.mem_length / 1024);
        if (b->hooks.fb_state)
                b->hooks.fb_state(d->domid, true, false, &d->mode, b->userdata);
        return 0;
}

static void dev_init(XenBack *b, Dev *d) {
        d->failed = false;
        if (d->type == DEV_VFB) {
                (void) xs_put(b, d->be_path, "feature-resize", "1");
                /* Without it a Linux frontend never sends an update event: what
                 * the guest draws after the first redraw would not be shown. */
                (void) xs_put(b, d->be_path, "request-update", "1");
        } else {
                (void) xs_put(b, d->be_path, "feature-abs-pointer", "1");
                (void) xs_put(b, d->be_path, "width", "%u", b->limits.max_width);
                (void) xs_put(b, d->be_path, "height", "%u", b->limits.max_height);
        }
        (void) set_state(b, d, XENBUS_INIT_WAIT);
}

static int dev_frontend_path(XenBack *b, Dev *d) {
        _cleanup_free_ char *fe = NULL;
        char expect[128];
        unsigned len = 0;

        if (d->fe_path[0])
                return 0;
        if (d->ignored)
                return -EPERM;
        if (d->type == DEV_VKBD) {
                _cleanup_free_ char *bt = NULL;
                unsigned bt_len = 0;

                /* libxl writes backend-type: "qemu" devices belong to a device model. */
                bt = xs_get(b, d->be_path, "backend-type", &bt_len);
                if (bt && !(bt_len == 5 && memcmp(bt, "linux", 5) == 0)) {
                        log_debug("%s: backend-type is not \"linux\"; not ours.", d->be_path);
                        d->ignored = true;
                        return -EREMOTE;
                }
        }
        fe = xs_get(b, d->be_path, "frontend", &len);
        if (!fe)
                return -ENOENT;
        /* Written by the toolstack, but checked all the same: only the domain's own device. */
        snprintf(expect, sizeof(expect), "/local/domain/%u/device/%s/%u", d->domid,
                 dev_type_name[d->type], d->devid);
        if (len != strlen(expect) || memcmp(fe, expect, len) != 0) {
                d->ignored = true;
                return log_warning_errno(-EPERM, "%s: frontend node \"%.*s\" is not %s; ignoring the device.",
                                         d->be_path, (int) MIN(len, 100u), fe, expect);
        }
        snprintf(d->fe_path, sizeof(d->fe_path), "%s", expect);
        if (!xs_watch(b->xs, d->fe_path, XS_TOKEN))
                return log_warning_errno(negative_errno(), "Failed to watch %s: %m", d->fe_path);
        d->fe_watched = true;
        return 0;
}

static void dev_step(XenBack *b, Dev *d) {
        XenbusState be, fe;
        const char *reason = "protocol error";
        int r;

        if (dev_frontend_path(b, d) < 0)
                return;
        /* A back-end state left by an earlier consoled means nothing to this one. */
        be = d->fresh ? XENBUS_UNKNOWN : xs_get_state(b, d->be_path);
        d->fresh = false;
        fe = xs_get_state(b, d->fe_path);

        switch (xenbus_backend_step(be, fe)) {
        case XENBUS_ACTION_NONE:
                break;
        case XENBUS_ACTION_INIT:
                dev_disconnect(b, d);
                dev_init(b, d);
                break;
        case XENBUS_ACTION_CONNECT:
                dev_disconnect(b, d);
                r = d->type == DEV_VFB ? connect_vfb(b, d, &reason) : connect_vkbd(b, d, &reason);
                if (r < 0) {
                        dev_fail(b, d, reason);
                        break;
                }
                (void) set_state(b, d, XENBUS_CONNECTED);
                break;
        case XENBUS_ACTION_DISCONNECT:
                dev_disconnect(b, d);
                (void) set_state(b, d, XENBUS_CLOSED);
                break;
        }
}

static void dev_free(XenBack *b, Dev *d) {
        dev_disconnect(b, d);
        if (d->fe_watched)
                (void) xs_unwatch(b->xs, d->fe_path, XS_TOKEN);
        free(d);
}

static Dev *dev_find(XenBack *b, DevType type, uint32_t domid, uint32_t devid) {
        for (Dev *d = b->devs; d; d = d->next)
                if (d->type == type && d->domid == domid && d->devid == devid)
                        return d;
        return NULL;
}

static Dev *dev_find_connected(XenBack *b, DevType type, uint32_t domid) {
        for (Dev *d = b->devs; d; d = d->next)
                if (d->type == type && d->domid == domid && d->page && d->local_port >= 0)
                        return d;
        return NULL;
}

static void rescan(XenBack *b) {
        for (Dev *d = b->devs; d; d = d->next)
                d->seen = false;

        for (DevType t = DEV_VFB; t <= DEV_VKBD; t++) {
                char dir[128];
                unsigned n_doms = 0;
                _cleanup_free_ char **doms = NULL;

                snprintf(dir, sizeof(dir), "%s/%s", BACKEND_ROOT, dev_backend_dir[t]);
                doms = xs_directory(b->xs, XBT_NULL, dir, &n_doms);
                for (unsigned i = 0; doms && i < n_doms; i++) {
                        _cleanup_free_ char **ids = NULL;
                        char ddir[192];
                        unsigned n_ids = 0;
                        uint64_t domid;

                        if (xenbus_parse_uint(doms[i], strlen(doms[i]), DOMID_MAX, &domid) < 0 || domid == 0)
                                continue;
                        snprintf(ddir, sizeof(ddir), "%s/%u", dir, (unsigned) domid);
                        ids = xs_directory(b->xs, XBT_NULL, ddir, &n_ids);
                        for (unsigned j = 0; ids && j < n_ids; j++) {
                                uint64_t devid;
                                Dev *d;

                                if (xenbus_parse_uint(ids[j], strlen(ids[j]), 255, &devid) < 0)
                                        continue;
                                d = dev_find(b, t, (uint32_t) domid, (uint32_t) devid);
                                if (!d) {
                                        d = calloc(1, sizeof(Dev));
                                        if (!d) {
                                                log_oom();
                                                continue;
                                        }
                                        *d = (Dev) {
                                                .next = b->devs,
                                                .type = t,
                                                .domid = (uint32_t) domid,
                                                .devid = (uint32_t) devid,
                                                .local_port = -1,
                                                .fresh = true,
                                        };
                                        snprintf(d->be_path, sizeof(d->be_path), "%s/%u", ddir, (unsigned) devid);
                                        b->devs = d;
                                        log_debug("New %s device %s.", dev_type_name[t], d->be_path);
                                }
                                d->seen = true;
                                dev_step(b, d);
                        }
                }
        }

        for (Dev **p = &b->devs; *p;) {
                Dev *d = *p;

                if (d->seen) {
                        p = &d->next;
                        continue;
                }
                log_debug("%s went away.", d->be_path);
                *p = d->next;
                dev_free(b, d);
        }
}

static int on_xs(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        XenBack *b = userdata;
        char **vec;
        bool any = false;

        while ((vec = xs_check_watch(b->xs))) {
                free(vec);
                any = true;
        }
        if (any)
                rescan(b);
        return 0;
}

static int on_evtchn(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        XenBack *b = userdata;
        FbEvent ev[FB_OUT_RING_LEN];
        xenevtchn_port_or_error_t port;
        const char *reason = NULL;
        Dev *d;
        int n;

        port = xenevtchn_pending(b->xce);
        if (port < 0)
                return 0;
        (void) xenevtchn_unmask(b->xce, (evtchn_port_t) port);

        for (d = b->devs; d; d = d->next)
                if (d->local_port == port)
                        break;
        if (!d || d->type != DEV_VFB || !d->fb)
                return 0;   /* vkbd: the frontend consumed; nothing to read */

        n = fb_ring_consume(d->page, FB_PAGE_SIZE, &d->cons, &d->mode, d->cfg.mem_length,
                            &b->limits, ev, &reason);
        if (n < 0) {
                dev_fail(b, d, reason);
                return 0;
        }
        for (int i = 0; i < n; i++) {
                if (ev[i].type == FB_EVENT_RESIZE) {
                        log_info("Domain %u framebuffer resized to %ux%u.", d->domid,
                                 ev[i].mode.width, ev[i].mode.height);
                        if (b->hooks.fb_state)
                                b->hooks.fb_state(d->domid, true, false, &ev[i].mode, b->userdata);
                } else if (b->hooks.fb_update)
                        b->hooks.fb_update(d->domid, ev[i].x, ev[i].y, ev[i].width, ev[i].height,
                                           b->userdata);
        }
        (void) xenevtchn_notify(b->xce, (evtchn_port_t) port);
        return 0;
}

XenBack *xenback_free(XenBack *b) {
        if (!b)
                return NULL;
        /* No callbacks into a caller that is tearing down too. */
        b->hooks = (XenBackHooks) {};
        while (b->devs) {
                Dev *d = b->devs;
                b->devs = d->next;
                dev_free(b, d);
        }
        sd_event_source_disable_unref(b->xs_source);
        sd_event_source_disable_unref(b->evtchn_source);
        if (b->xce)
                xenevtchn_close(b->xce);
        if (b->gnt)
                xengnttab_close(b->gnt);
        if (b->fmem)
                xenforeignmemory_close(b->fmem);
        if (b->xs)
                xs_close(b->xs);
        free(b);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(XenBack *, xenback_free);

int xenback_new(sd_event *event, const FbLimits *limits, const XenBackHooks *hooks, void *userdata,
                XenBack **ret) {
        _cleanup_(xenback_freep) XenBack *b = NULL;
        int r;

        b = calloc(1, sizeof(XenBack));
        if (!b)
                return log_oom();
        b->event = event;
        b->limits = *limits;
        b->hooks = *hooks;
        b->userdata = userdata;

        b->xs = xs_open(0);
        if (!b->xs)
                return log_error_errno(negative_errno(), "Failed to open xenstore: %m");
        b->fmem = xenforeignmemory_open(NULL, 0);
        if (!b->fmem)
                return log_error_errno(negative_errno(), "Failed to open xenforeignmemory: %m");
        b->gnt = xengnttab_open(NULL, 0);
        if (!b->gnt)
                return log_error_errno(negative_errno(), "Failed to open the grant-table device: %m");
        b->xce = xenevtchn_open(NULL, 0);
        if (!b->xce)
                return log_error_errno(negative_errno(), "Failed to open the event-channel device: %m");

        r = sd_event_add_io(event, &b->xs_source, xs_fileno(b->xs), EPOLLIN, on_xs, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the xenstore connection: %m");
        r = sd_event_add_io(event, &b->evtchn_source, xenevtchn_fd(b->xce), EPOLLIN, on_evtchn, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch event channels: %m");

        for (DevType t = DEV_VFB; t <= DEV_VKBD; t++) {
                char dir[128];

                snprintf(dir, sizeof(dir), "%s/%s", BACKEND_ROOT, dev_backend_dir[t]);
                if (!xs_watch(b->xs, dir, XS_TOKEN))
                        return log_error_errno(negative_errno(), "Failed to watch %s: %m", dir);
        }
        /* No scan here: each new watch fires once at once, and on_xs() scans then,
         * after the caller holds the returned handle. */
        *ret = TAKE_PTR(b);
        return 0;
}

int xenback_send_key(XenBack *b, uint32_t domid, uint32_t keycode, bool pressed) {
        KbdEvent ev = { .type = KBD_EVENT_KEY, .keycode = keycode, .pressed = pressed };
        const char *reason = NULL;
        Dev *d;
        int r;

        d = dev_find_connected(b, DEV_VKBD, domid);
        if (!d)
                return log_debug_errno(-ENODEV, "Domain %u has no connected keyboard; key %u dropped.",
                                       domid, keycode);
        r = kbd_ring_push(d->page, KBD_PAGE_SIZE, &d->prod, &ev, &reason);
        if (r == -EPROTO) {
                dev_fail(b, d, reason);
                return r;
        }
        if (r < 0)
                return log_debug_errno(r, "Domain %u keyboard: %s; key %u dropped.", domid, reason, keycode);
        (void) xenevtchn_notify(b->xce, (evtchn_port_t) d->local_port);
        return 0;
}

int xenback_send_pointer(XenBack *b, uint32_t domid, int32_t x, int32_t y, uint32_t w, uint32_t h,
                         int32_t wheel) {
        KbdEvent ev = { .type = KBD_EVENT_POS, .z = wheel };
        const char *reason = NULL;
        Dev *d;
        int r;

        if (w == 0 || h == 0 || x < 0 || y < 0 || (uint32_t) x >= w || (uint32_t) y >= h)
                return -EINVAL;
        d = dev_find_connected(b, DEV_VKBD, domid);
        if (!d)
                return -ENODEV;
        /* The frontend's absolute axes run 0..width/height as written in dev_init(). */
        ev.x = (int32_t) ((uint64_t) x * b->limits.max_width / w);
        ev.y = (int32_t) ((uint64_t) y * b->limits.max_height / h);
        r = kbd_ring_push(d->page, KBD_PAGE_SIZE, &d->prod, &ev, &reason);
        if (r == -EPROTO) {
                dev_fail(b, d, reason);
                return r;
        }
        if (r < 0)
                return r;
        (void) xenevtchn_notify(b->xce, (evtchn_port_t) d->local_port);
        return 0;
}

const uint8_t *xenback_framebuffer(XenBack *b, uint32_t domid, FbMode *ret_mode, size_t *ret_size) {
        Dev *d = dev_find_connected(b, DEV_VFB, domid);

        if (!d || !d->fb)
                return NULL;
        *ret_mode = d->mode;
        *ret_size = (size_t) d->cfg.n_pages * FB_PAGE_SIZE;
        return d->fb;
}

void xenback_set_visible(XenBack *b, uint32_t domid, bool visible) {
        const char *reason = NULL;
        Dev *d = dev_find_connected(b, DEV_VFB, domid);
        int r;

        if (!d)
                return;
        r = fb_ring_push_refresh(d->page, FB_PAGE_SIZE, &d->prod,
                                 visible ? REFRESH_VISIBLE_MS : REFRESH_HIDDEN, &reason);
        if (r == -EPROTO) {
                dev_fail(b, d, reason);
                return;
        }
        if (r == 0)
                (void) xenevtchn_notify(b->xce, (evtchn_port_t) d->local_port);
}

int xenback_domain_name(XenBack *b, uint32_t domid, char *buf, size_t size) {
        _cleanup_free_ char *v = NULL;
        char path[64];
        unsigned len = 0;

        /* Written by the toolstack; the guest may read but not write it.  Checked anyway. */
        snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
        v = xs_read(b->xs, XBT_NULL, path, &len);
        if (!v)
                return negative_errno();
        if (len == 0 || len >= size || strlen(v) != len || !vm_name_is_valid(v))
                return log_warning_errno(-EINVAL, "%s is not a valid VM name; ignoring domain %u.", path, domid);
        memcpy(buf, v, len + 1);
        return 0;
}
