/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xenback.c against a fake Xen: xenstore is a table of nodes, guest memory is
 * one buffer of frames, grants map to the same frames, event channels are a
 * pipe.  The test plays the guest's frontends, honest and hostile, and checks
 * the back-end states, the mappings, and what reaches the hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/io/fbif.h>
#include <xen/io/kbdif.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "macro.h"
#include "xenback.h"

/* ---- fake xenstore ---- */

#define MAX_NODES 512

static struct {
        char *path, *value;
} nodes[MAX_NODES];
static int xs_pipe[2] = { -1, -1 };
static bool xs_pending;
static int n_watches, watches_at_close;

static void fire(void) {
        if (!xs_pending) {
                xs_pending = true;
                assert_int_equal(write(xs_pipe[1], "w", 1), 1);
        }
}

static int node_find(const char *path) {
        for (int i = 0; i < MAX_NODES; i++)
                if (nodes[i].path && strcmp(nodes[i].path, path) == 0)
                        return i;
        return -1;
}

static void node_set(const char *path, const char *value) {
        int i = node_find(path);

        if (i < 0)
                for (i = 0; i < MAX_NODES && nodes[i].path; i++)
                        ;
        assert_true(i < MAX_NODES);
        free(nodes[i].path);
        free(nodes[i].value);
        nodes[i].path = strdup(path);
        nodes[i].value = strdup(value);
        fire();
}

static const char *node_get(const char *path) {
        int i = node_find(path);
        return i < 0 ? NULL : nodes[i].value;
}

static void node_rm_tree(const char *prefix) {
        size_t n = strlen(prefix);

        for (int i = 0; i < MAX_NODES; i++)
                if (nodes[i].path && strncmp(nodes[i].path, prefix, n) == 0 &&
                    (nodes[i].path[n] == 0 || nodes[i].path[n] == '/')) {
                        free(nodes[i].path);
                        free(nodes[i].value);
                        nodes[i].path = nodes[i].value = NULL;
                }
        fire();
}

struct xs_handle *xs_open(unsigned long flags) {
        return (struct xs_handle *) 0x1;
}

/* Closing the connection drops its watches. */
void xs_close(struct xs_handle *h) {
        watches_at_close = n_watches;
        n_watches = 0;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len) {
        const char *v = node_get(path);

        if (!v) {
                errno = ENOENT;
                return NULL;
        }
        *len = (unsigned) strlen(v);
        return strdup(v);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data, unsigned int len) {
        char *v = strndup(data, len);

        node_set(path, v);
        free(v);
        return true;
}

/* One allocation holding the array and the strings, like libxenstore's. */
char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num) {
        char names[MAX_NODES][64];
        size_t n = 0, plen = strlen(path), total = 0;
        char **vec, *s;

        for (int i = 0; i < MAX_NODES; i++) {
                const char *p = nodes[i].path, *rest, *slash;
                size_t len;
                bool dup = false;

                if (!p || strncmp(p, path, plen) != 0 || p[plen] != '/')
                        continue;
                rest = p + plen + 1;
                slash = strchr(rest, '/');
                len = slash ? (size_t) (slash - rest) : strlen(rest);
                assert_true(len < 64);
                for (size_t j = 0; j < n; j++)
                        if (strlen(names[j]) == len && strncmp(names[j], rest, len) == 0)
                                dup = true;
                if (dup)
                        continue;
                memcpy(names[n], rest, len);
                names[n][len] = 0;
                total += len + 1;
                n++;
        }
        if (n == 0) {
                errno = ENOENT;
                return NULL;
        }
        vec = malloc(n * sizeof(char *) + total);
        assert_non_null(vec);
        s = (char *) (vec + n);
        for (size_t j = 0; j < n; j++) {
                vec[j] = strcpy(s, names[j]);
                s += strlen(names[j]) + 1;
        }
        *num = (unsigned) n;
        return vec;
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token) {
        n_watches++;
        fire();   /* a new watch fires once at once */
        return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token) {
        n_watches--;
        return true;
}

int xs_fileno(struct xs_handle *h) {
        return xs_pipe[0];
}

char **xs_check_watch(struct xs_handle *h) {
        char c, **vec;

        if (!xs_pending) {
                errno = EAGAIN;
                return NULL;
        }
        xs_pending = false;
        assert_int_equal(read(xs_pipe[0], &c, 1), 1);
        vec = calloc(2, sizeof(char *));
        assert_non_null(vec);
        return vec;
}

/* ---- fake guest memory: frames FIRST_FRAME.. in one buffer; gref N is frame N ---- */

#define FIRST_FRAME 0x1000u
#define N_FRAMES 1100u

static uint8_t *guest;
static int n_maps, n_unmaps, n_grant_maps, n_grant_unmaps;

static uint8_t *frame(uint64_t f) {
        assert_true(f >= FIRST_FRAME && f < FIRST_FRAME + N_FRAMES);
        return guest + (f - FIRST_FRAME) * 4096;
}

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger, unsigned open_flags) {
        return (xenforeignmemory_handle *) 0x2;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem) {
        return 0;
}

/* Only runs of consecutive frames can be mapped here (that is all the test uses). */
void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[]) {
        assert_int_equal(dom, 5);
        for (size_t i = 0; i < pages; i++) {
                if (arr[i] < FIRST_FRAME || arr[i] >= FIRST_FRAME + N_FRAMES || arr[i] != arr[0] + i) {
                        errno = EFAULT;
                        return NULL;
                }
                if (err)
                        err[i] = 0;
        }
        n_maps++;
        return frame(arr[0]);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages) {
        n_unmaps++;
        return 0;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags) {
        return (xengnttab_handle *) 0x3;
}

int xengnttab_close(xengnttab_handle *xgt) {
        return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot) {
        if (ref < FIRST_FRAME || ref >= FIRST_FRAME + N_FRAMES) {
                errno = EINVAL;
                return NULL;
        }
        n_grant_maps++;
        return frame(ref);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count) {
        n_grant_unmaps++;
        return 0;
}

/* ---- fake event channels: local port = remote + 100 ---- */

static int ev_pipe[2] = { -1, -1 };
static int n_binds, n_unbinds;
static unsigned notified[256];
static int pending_port = -1;

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags) {
        assert_int_equal(pipe(ev_pipe), 0);
        return (xenevtchn_handle *) 0x4;
}

int xenevtchn_close(xenevtchn_handle *xce) {
        close(ev_pipe[0]);
        close(ev_pipe[1]);
        return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce) {
        return ev_pipe[0];
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port) {
        if (remote_port > 100) {
                errno = EINVAL;
                return -1;
        }
        n_binds++;
        return (xenevtchn_port_or_error_t) (remote_port + 100);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port) {
        n_unbinds++;
        return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce) {
        char c;
        int p = pending_port;

        if (p < 0) {
                errno = EAGAIN;
                return -1;
        }
        assert_int_equal(read(ev_pipe[0], &c, 1), 1);
        pending_port = -1;
        return p;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port) {
        return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port) {
        if (port < 256)
                notified[port]++;
        return 0;
}

static void kick(int port) {
        pending_port = port;
        assert_int_equal(write(ev_pipe[1], "e", 1), 1);
}

/* ---- hooks ---- */

static int fb_connects, fb_disconnects, fb_failures, fb_updates;
static FbMode last_mode;
static uint32_t upd[4];

static void on_fb_state(uint32_t domid, bool connected, bool failed, const FbMode *mode, void *userdata) {
        assert_int_equal(domid, 5);
        if (connected) {
                fb_connects++;
                last_mode = *mode;
        } else {
                fb_disconnects++;
                fb_failures += failed;
        }
}

static void on_fb_update(uint32_t domid, uint32_t x, uint32_t y, uint32_t w, uint32_t h, void *userdata) {
        fb_updates++;
        upd[0] = x, upd[1] = y, upd[2] = w, upd[3] = h;
}

static const XenBackHooks hooks = { .fb_state = on_fb_state, .fb_update = on_fb_update };

/* ---- the guest's side ---- */

#define VFB_BE "/local/domain/0/backend/vfb/5/0"
#define VFB_FE "/local/domain/5/device/vfb/0"
#define VKBD_BE "/local/domain/0/backend/vinput/5/0"
#define VKBD_FE "/local/domain/5/device/vkbd/0"
#define VFB_PAGE 0x1000u
#define VKBD_PAGE 0x1003u
#define FB_FIRST 0x1010u

static sd_event *event;
static XenBack *xb;

static void settle(void) {
        for (int i = 0; i < 20; i++)
                assert_true(sd_event_run(event, 0) >= 0);
}

static void guest_fill_vfb_page(void) {
        struct xenfb_page *p = (struct xenfb_page *) frame(VFB_PAGE);
        uint64_t *dir0 = (uint64_t *) frame(0x1001), *dir1 = (uint64_t *) frame(0x1002);

        memset(p, 0, 4096);
        p->width = 1024;
        p->height = 768;
        p->line_length = 4096;
        p->mem_length = 1024 * 768 * 4;
        p->depth = 32;
        p->pd[0] = 0x1001;
        p->pd[1] = 0x1002;
        for (unsigned i = 0; i < 768; i++)
                (i < 512 ? dir0 : dir1)[i % 512] = FB_FIRST + i;
}

static void guest_devices(void) {
        node_set("/local/domain/5/name", "work");
        node_set(VFB_BE "/frontend", VFB_FE);
        node_set(VFB_BE "/frontend-id", "5");
        node_set(VFB_BE "/state", "1");
        node_set(VFB_FE "/state", "1");
        node_set(VKBD_BE "/frontend", VKBD_FE);
        node_set(VKBD_BE "/backend-type", "linux");
        node_set(VKBD_BE "/state", "1");
        node_set(VKBD_FE "/state", "1");
}

static void guest_connect(void) {
        guest_fill_vfb_page();
        memset(frame(VKBD_PAGE), 0, 4096);
        node_set(VFB_FE "/page-ref", "4096");
        node_set(VFB_FE "/event-channel", "7");
        node_set(VFB_FE "/protocol", "x86_64-abi");
        node_set(VFB_FE "/state", "3");
        node_set(VKBD_FE "/page-gref", "4099");
        node_set(VKBD_FE "/event-channel", "8");
        node_set(VKBD_FE "/state", "3");
        settle();
}

static void guest_out_event(const union xenfb_out_event *e) {
        struct xenfb_page *p = (struct xenfb_page *) frame(VFB_PAGE);

        XENFB_OUT_RING_REF(p, p->out_prod) = *e;
        p->out_prod++;
}

static int setup(void **state) {
        FbLimits limits;

        assert_int_equal(pipe(xs_pipe), 0);
        xs_pending = false;
        guest = aligned_alloc(4096, (size_t) N_FRAMES * 4096);
        assert_non_null(guest);
        memset(guest, 0, (size_t) N_FRAMES * 4096);
        assert_true(sd_event_new(&event) >= 0);
        guest_devices();
        fb_limits_default(&limits);
        assert_int_equal(xenback_new(event, &limits, &hooks, NULL, &xb), 0);
        settle();
        return 0;
}

static int teardown(void **state) {
        xb = xenback_free(xb);
        /* Everything mapped or bound was given back. */
        assert_int_equal(n_maps, n_unmaps);
        assert_int_equal(n_grant_maps, n_grant_unmaps);
        assert_int_equal(n_binds, n_unbinds);
        assert_int_equal(watches_at_close, 2);   /* the backend directories; no frontend left */
        event = sd_event_unref(event);
        close(xs_pipe[0]);
        close(xs_pipe[1]);
        for (int i = 0; i < MAX_NODES; i++) {
                free(nodes[i].path);
                free(nodes[i].value);
                nodes[i].path = nodes[i].value = NULL;
        }
        free(guest);
        return 0;
}

static void test_handshake(void **state) {
        const uint8_t *fb;
        FbMode mode;
        size_t size;

        /* Seen: features, InitWait. */
        assert_string_equal(node_get(VFB_BE "/state"), "2");
        assert_string_equal(node_get(VFB_BE "/feature-resize"), "1");
        assert_string_equal(node_get(VFB_BE "/request-update"), "1");
        assert_string_equal(node_get(VKBD_BE "/state"), "2");
        assert_string_equal(node_get(VKBD_BE "/feature-abs-pointer"), "1");
        assert_string_equal(node_get(VKBD_BE "/width"), "3840");
        assert_int_equal(fb_connects, 0);

        guest_connect();
        assert_string_equal(node_get(VFB_BE "/state"), "4");
        assert_string_equal(node_get(VKBD_BE "/state"), "4");
        assert_int_equal(fb_connects, 1);
        assert_int_equal(last_mode.width, 1024);
        assert_int_equal(last_mode.height, 768);
        fb = xenback_framebuffer(xb, 5, &mode, &size);
        assert_ptr_equal(fb, frame(FB_FIRST));
        assert_int_equal(size, 768 * 4096);
        assert_null(xenback_framebuffer(xb, 6, &mode, &size));
        {
                char name[65];
                assert_int_equal(xenback_domain_name(xb, 5, name, sizeof(name)), 0);
                assert_string_equal(name, "work");
                assert_true(xenback_domain_name(xb, 9, name, sizeof(name)) < 0);
        }
}

static void test_rings(void **state) {
        union xenfb_out_event e = { .update = { XENFB_TYPE_UPDATE, 10, 20, 30, 40 } };
        struct xenfb_page *vfb = (struct xenfb_page *) frame(VFB_PAGE);
        struct xenkbd_page *kbd = (struct xenkbd_page *) frame(VKBD_PAGE);
        union xenkbd_in_event *k;

        guest_connect();
        guest_out_event(&e);
        kick(107);
        settle();
        assert_int_equal(fb_updates, 1);
        assert_int_equal(upd[0], 10);
        assert_int_equal(upd[3], 40);
        assert_int_equal(vfb->out_cons, 1);
        assert_true(notified[107] >= 1);

        /* Shown: the frontend is asked for updates; hidden: for none. */
        xenback_set_visible(xb, 5, true);
        assert_int_equal(vfb->in_prod, 1);
        assert_int_equal(XENFB_IN_RING_REF(vfb, 0).refresh_period.period, 33);
        xenback_set_visible(xb, 5, false);
        assert_int_equal(XENFB_IN_RING_REF(vfb, 1).refresh_period.period, XENFB_NO_REFRESH);

        /* Keys and pointer into the keyboard ring, scaled to the advertised range. */
        assert_int_equal(xenback_send_key(xb, 5, KEY_A, true), 0);
        assert_int_equal(xenback_send_pointer(xb, 5, 512, 384, 1024, 768, -1), 0);
        assert_int_equal(kbd->in_prod, 2);
        k = &XENKBD_IN_RING_REF(kbd, 0);
        assert_int_equal(k->type, XENKBD_TYPE_KEY);
        assert_int_equal(k->key.keycode, KEY_A);
        assert_int_equal(k->key.pressed, 1);
        k = &XENKBD_IN_RING_REF(kbd, 1);
        assert_int_equal(k->type, XENKBD_TYPE_POS);
        assert_int_equal(k->pos.abs_x, 1920);
        assert_int_equal(k->pos.abs_y, 1200);
        assert_int_equal(k->pos.rel_z, -1);
        assert_int_equal(notified[108], 2);
        assert_int_equal(xenback_send_pointer(xb, 5, 1024, 0, 1024, 768, 0), -EINVAL);
        assert_int_equal(xenback_send_key(xb, 6, KEY_A, true), -ENODEV);
}

static void test_hostile_vfb(void **state) {
        union xenfb_out_event e = { .resize = { XENFB_TYPE_RESIZE, 3840, 2160, 15360, 32, 0 } };
        FbMode mode;
        size_t size;

        guest_connect();
        assert_int_equal(fb_connects, 1);
        /* A resize far past mem_length: disconnected, back end Closed, mappings gone. */
        guest_out_event(&e);
        kick(107);
        settle();
        assert_int_equal(fb_failures, 1);
        assert_string_equal(node_get(VFB_BE "/state"), "6");
        assert_null(xenback_framebuffer(xb, 5, &mode, &size));
        /* The keyboard is unaffected. */
        assert_string_equal(node_get(VKBD_BE "/state"), "4");
        /* Still Connected on the frontend: nothing happens until it starts over. */
        node_set(VFB_FE "/state", "4");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "6");
        node_set(VFB_FE "/state", "1");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "2");
        guest_connect();
        assert_string_equal(node_get(VFB_BE "/state"), "4");
        assert_int_equal(fb_connects, 2);
}

static void test_hostile_setup(void **state) {
        /* page-ref not a number; then a page whose header lies. */
        node_set(VFB_FE "/page-ref", "4096x");
        node_set(VFB_FE "/event-channel", "7");
        node_set(VFB_FE "/state", "3");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "6");
        assert_int_equal(fb_connects, 0);

        node_set(VFB_FE "/state", "1");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "2");
        guest_fill_vfb_page();
        ((struct xenfb_page *) frame(VFB_PAGE))->mem_length = 4096;
        node_set(VFB_FE "/page-ref", "4096");
        node_set(VFB_FE "/state", "3");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "6");
        assert_int_equal(fb_connects, 0);

        /* A directory pointing outside the guest's memory. */
        node_set(VFB_FE "/state", "1");
        settle();
        guest_fill_vfb_page();
        ((uint64_t *) frame(0x1002))[10] = 0x900000;
        node_set(VFB_FE "/state", "3");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "6");
        assert_int_equal(fb_connects, 0);

        /* An unknown ABI. */
        node_set(VFB_FE "/state", "1");
        settle();
        guest_fill_vfb_page();
        node_set(VFB_FE "/protocol", "arm-abi");
        node_set(VFB_FE "/state", "3");
        settle();
        assert_string_equal(node_get(VFB_BE "/state"), "6");

        /* A keyboard whose consumer index is off by more than a ring. */
        node_set(VKBD_FE "/page-gref", "4099");
        node_set(VKBD_FE "/event-channel", "8");
        node_set(VKBD_FE "/state", "3");
        settle();
        assert_string_equal(node_get(VKBD_BE "/state"), "4");
        ((struct xenkbd_page *) frame(VKBD_PAGE))->in_cons = 1000;
        assert_int_equal(xenback_send_key(xb, 5, KEY_B, true), -EPROTO);
        assert_string_equal(node_get(VKBD_BE "/state"), "6");
        assert_int_equal(xenback_send_key(xb, 5, KEY_B, true), -ENODEV);
}

static void test_foreign_devices(void **state) {
        /* A back-end directory naming another domain's frontend is not served. */
        node_set("/local/domain/0/backend/vfb/6/0/frontend", VFB_FE);
        node_set("/local/domain/0/backend/vfb/6/0/state", "1");
        /* A QEMU-served keyboard is not ours: in QEMU's directory, or marked so. */
        node_set("/local/domain/0/backend/vkbd/7/0/frontend", "/local/domain/7/device/vkbd/0");
        node_set("/local/domain/0/backend/vkbd/7/0/backend-type", "qemu");
        node_set("/local/domain/0/backend/vkbd/7/0/state", "1");
        node_set("/local/domain/0/backend/vinput/8/0/frontend", "/local/domain/8/device/vkbd/0");
        node_set("/local/domain/0/backend/vinput/8/0/backend-type", "qemu");
        node_set("/local/domain/0/backend/vinput/8/0/state", "1");
        /* Garbage directory names. */
        node_set("/local/domain/0/backend/vfb/0/0/state", "1");
        node_set("/local/domain/0/backend/vfb/abc/0/state", "1");
        node_set("/local/domain/0/backend/vfb/5/x/state", "1");
        settle();
        assert_string_equal(node_get("/local/domain/0/backend/vfb/6/0/state"), "1");
        assert_string_equal(node_get("/local/domain/0/backend/vkbd/7/0/state"), "1");
        assert_string_equal(node_get("/local/domain/0/backend/vinput/8/0/state"), "1");
        assert_string_equal(node_get("/local/domain/0/backend/vfb/0/0/state"), "1");
        assert_string_equal(node_get(VFB_BE "/state"), "2");
}

static void test_removal(void **state) {
        guest_connect();
        assert_int_equal(fb_connects, 1);
        /* The toolstack removes the devices when the domain goes. */
        node_rm_tree("/local/domain/0/backend/vfb/5");
        node_rm_tree("/local/domain/0/backend/vinput/5");
        settle();
        assert_int_equal(fb_disconnects, 1);
        assert_int_equal(fb_failures, 0);
        assert_int_equal(n_watches, 2);   /* only the two backend directories remain */
        assert_int_equal(xenback_send_key(xb, 5, KEY_A, true), -ENODEV);
}

static int reset(void **state) {
        fb_connects = fb_disconnects = fb_failures = fb_updates = 0;
        memset(notified, 0, sizeof(notified));
        return setup(state);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_handshake, reset, teardown),
                cmocka_unit_test_setup_teardown(test_rings, reset, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_vfb, reset, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_setup, reset, teardown),
                cmocka_unit_test_setup_teardown(test_foreign_devices, reset, teardown),
                cmocka_unit_test_setup_teardown(test_removal, reset, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
