/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport-vchan.c without Xen: libxenstore and libxenvchan are replaced with
 * fakes (-Wl,--wrap) backed by a table of domains and socketpairs.  Checks which
 * domains dom0 offers a vchan to and at which xenstore path, that a vchan is
 * offered again when the guest end goes away, that a destroyed domain's link is
 * dropped and a re-created one (new domid) gets a new vchan, and the path the
 * guest end connects to. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxenvchan.h>
#include <xenstore.h>

#include "dom0.h"
#include "transport-vchan.h"
#include "util.h"

/* ---- fake xenstore ---- */

typedef struct FakeDomain {
        unsigned domid;
        const char *name;
} FakeDomain;

static FakeDomain domains[8];
static size_t n_domains;
static int watch_pipe[2] = { -1, -1 };
static bool watch_pending;
static const char *own_domid = "7";
static int handle_dummy;

struct xs_handle *__wrap_xs_open(unsigned long flags);
void __wrap_xs_close(struct xs_handle *h);
bool __wrap_xs_watch(struct xs_handle *h, const char *path, const char *token);
int __wrap_xs_fileno(struct xs_handle *h);
char **__wrap_xs_check_watch(struct xs_handle *h);
char **__wrap_xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *num);
void *__wrap_xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *len);

struct xs_handle *__wrap_xs_open(unsigned long flags) {
        return (struct xs_handle *) &handle_dummy;
}

void __wrap_xs_close(struct xs_handle *h) {
}

bool __wrap_xs_watch(struct xs_handle *h, const char *path, const char *token) {
        return strcmp(path, "@introduceDomain") == 0 || strcmp(path, "@releaseDomain") == 0;
}

int __wrap_xs_fileno(struct xs_handle *h) {
        return watch_pipe[0];
}

char **__wrap_xs_check_watch(struct xs_handle *h) {
        char buf[16];

        if (!watch_pending) {
                errno = EAGAIN;
                return NULL;
        }
        watch_pending = false;
        (void) read(watch_pipe[0], buf, sizeof(buf));
        return calloc(2, sizeof(char *)); /* callers only free() it */
}

char **__wrap_xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *num) {
        /* one allocation: the pointers, then the strings, like libxenstore */
        char **v;
        char *p;

        assert_string_equal(path, "/local/domain");
        v = calloc(1, (n_domains + 1) * (sizeof(char *) + 12));
        assert_non_null(v);
        p = (char *) (v + n_domains + 1);
        sprintf(p, "0");
        v[0] = p;
        p += 12;
        for (size_t i = 0; i < n_domains; i++, p += 12) {
                sprintf(p, "%u", domains[i].domid);
                v[i + 1] = p;
        }
        *num = (unsigned) n_domains + 1;
        return v;
}

void *__wrap_xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *len) {
        const char *value = NULL;
        unsigned domid;
        char tail[32];

        if (strcmp(path, "domid") == 0)
                value = own_domid;
        else if (sscanf(path, "/local/domain/%u/%31s", &domid, tail) == 2 && strcmp(tail, "name") == 0) {
                if (domid == 0)
                        value = "Domain-0";
                for (size_t i = 0; i < n_domains; i++)
                        if (domains[i].domid == domid)
                                value = domains[i].name;
        }
        if (!value) {
                errno = ENOENT;
                return NULL;
        }
        *len = (unsigned) strlen(value);
        return strdup(value);
}

static void trigger_watch(void) {
        watch_pending = true;
        assert_int_equal(write(watch_pipe[1], "w", 1), 1);
}

/* ---- fake libxenvchan: each vchan is a socketpair ---- */

typedef struct FakeVchan {
        struct libxenvchan *v;
        unsigned domid;
        char path[128];
        int fd, peer;
        bool closed, is_server;
        bool waiting; /* a server whose client has not connected yet (is_open() == 2) */
} FakeVchan;

/* When set, new servers wait for their client (see FakeVchan.waiting). */
static bool servers_wait;

static FakeVchan vchans[32];
static size_t n_vchans;

struct libxenvchan *__wrap_libxenvchan_server_init(struct xentoollog_logger *logger, int domain, const char *xs_path,
                                                   size_t read_min, size_t write_min);
struct libxenvchan *__wrap_libxenvchan_client_init(struct xentoollog_logger *logger, int domain, const char *xs_path);
void __wrap_libxenvchan_close(struct libxenvchan *ctrl);
int __wrap_libxenvchan_read(struct libxenvchan *ctrl, void *data, size_t size);
int __wrap_libxenvchan_write(struct libxenvchan *ctrl, const void *data, size_t size);
int __wrap_libxenvchan_wait(struct libxenvchan *ctrl);
int __wrap_libxenvchan_fd_for_select(struct libxenvchan *ctrl);
int __wrap_libxenvchan_is_open(struct libxenvchan *ctrl);

static FakeVchan *fake_new(int domain, const char *xs_path, bool server) {
        FakeVchan *f;
        int fds[2];

        assert_true(n_vchans < ELEMENTSOF(vchans));
        f = &vchans[n_vchans++];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        *f = (FakeVchan) { .v = calloc(1, sizeof(struct libxenvchan)), .domid = (unsigned) domain, .fd = fds[0],
                           .peer = fds[1], .is_server = server, .waiting = server && servers_wait };
        assert_non_null(f->v);
        snprintf(f->path, sizeof(f->path), "%s", xs_path);
        return f;
}

static FakeVchan *fake_find(struct libxenvchan *v) {
        for (size_t i = 0; i < n_vchans; i++)
                if (vchans[i].v == v)
                        return &vchans[i];
        fail_msg("unknown vchan");
        return NULL;
}

struct libxenvchan *__wrap_libxenvchan_server_init(struct xentoollog_logger *logger, int domain, const char *xs_path,
                                                   size_t read_min, size_t write_min) {
        assert_true(read_min >= 4096 && write_min >= 4096);
        return fake_new(domain, xs_path, true)->v;
}

struct libxenvchan *__wrap_libxenvchan_client_init(struct xentoollog_logger *logger, int domain, const char *xs_path) {
        assert_int_equal(domain, 0); /* the server is always dom0 */
        return fake_new(domain, xs_path, false)->v;
}

void __wrap_libxenvchan_close(struct libxenvchan *ctrl) {
        FakeVchan *f = fake_find(ctrl);

        assert_false(f->closed);
        f->closed = true;
        close(f->fd);
        free(f->v);
        f->v = NULL;
}

int __wrap_libxenvchan_read(struct libxenvchan *ctrl, void *data, size_t size) {
        ssize_t n = recv(fake_find(ctrl)->fd, data, size, MSG_DONTWAIT);

        if (n < 0)
                return errno == EAGAIN ? 0 : -1;
        return n == 0 ? -1 : (int) n;
}

int __wrap_libxenvchan_write(struct libxenvchan *ctrl, const void *data, size_t size) {
        ssize_t n = send(fake_find(ctrl)->fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0)
                return errno == EAGAIN ? 0 : -1;
        return (int) n;
}

int __wrap_libxenvchan_wait(struct libxenvchan *ctrl) {
        return 0;
}

int __wrap_libxenvchan_fd_for_select(struct libxenvchan *ctrl) {
        return fake_find(ctrl)->fd;
}

int __wrap_libxenvchan_is_open(struct libxenvchan *ctrl) {
        return fake_find(ctrl)->waiting ? 2 : 1;
}

/* ---- tests ---- */

static size_t count_offers(unsigned domid, bool open_only) {
        size_t n = 0;

        for (size_t i = 0; i < n_vchans; i++)
                if (vchans[i].is_server && vchans[i].domid == domid && (!open_only || !vchans[i].closed))
                        n++;
        return n;
}

static FakeVchan *open_offer(unsigned domid) {
        for (size_t i = 0; i < n_vchans; i++)
                if (vchans[i].is_server && vchans[i].domid == domid && !vchans[i].closed)
                        return &vchans[i];
        return NULL;
}

static void spin(sd_event *e) {
        for (int i = 0; i < 10; i++)
                assert_true(sd_event_run(e, 5 * 1000) >= 0);
}

/* The rules file (a temporary copy of rules, its path in rules_path), the watch
 * pipe, an event loop and a bus that is never started. */
static void dom0_setup(char *rules_path, const char *rules, sd_event **e, sd_bus **bus) {
        int fd = mkstemp(rules_path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t) strlen(rules));
        close(fd);
        assert_int_equal(pipe(watch_pipe), 0);
        assert_true(sd_event_new(e) >= 0);
        assert_true(sd_bus_new(bus) >= 0);
}

/* Undoes dom0_setup() and forgets every fake vchan. */
static void dom0_teardown(const char *rules_path, sd_event *e, sd_bus *bus) {
        sd_bus_unref(bus);
        sd_event_unref(e);
        unlink(rules_path);
        for (size_t i = 0; i < n_vchans; i++) {
                if (!vchans[i].closed) {
                        close(vchans[i].fd);
                        free(vchans[i].v);
                }
                close(vchans[i].peer);
        }
        n_vchans = 0;
        close(watch_pipe[0]);
        close(watch_pipe[1]);
}

static void test_dom0(void **state) {
        char rules_path[] = "/tmp/cairn-rpc-vchan-rules.XXXXXX";
        const char rules[] = "allow uivm call destination=a.b interface=* member=*\n"
                             "allow ndvm call destination=a.b interface=* member=*\n";
        _cleanup_(rpc_dom0_freep) RpcDom0 *d = NULL;
        _cleanup_(rpc_vchan_server_freep) RpcVchanServer *s = NULL;
        sd_event *e = NULL;
        sd_bus *bus = NULL; /* never started: no signal rules, no calls */

        dom0_setup(rules_path, rules, &e, &bus);

        domains[0] = (FakeDomain) { 1, "uivm" };
        domains[1] = (FakeDomain) { 2, "ndvm" };
        domains[2] = (FakeDomain) { 3, "win10" };
        domains[3] = (FakeDomain) { 4, "Bad Name" };
        n_domains = 4;

        assert_int_equal(rpc_dom0_new(e, bus, rules_path, &d), 0);
        assert_int_equal(rpc_vchan_server_new(e, d, &s), 0);

        /* the two domains the rules name, at the documented path; nobody else */
        assert_int_equal(n_vchans, 2);
        assert_int_equal(count_offers(1, true), 1);
        assert_int_equal(count_offers(2, true), 1);
        assert_string_equal(open_offer(1)->path, "/local/domain/0/data/cairn-rpc/1");
        assert_string_equal(open_offer(2)->path, "/local/domain/0/data/cairn-rpc/2");

        /* a watch firing with nothing changed offers nothing new */
        trigger_watch();
        spin(e);
        assert_int_equal(n_vchans, 2);

        /* the UIVM's guest end goes away: a fresh vchan is offered to domain 1 */
        close(open_offer(1)->peer);
        spin(e);
        assert_int_equal(count_offers(1, false), 2);
        assert_int_equal(count_offers(1, true), 1);

        /* the NDVM is destroyed: its link is dropped, nothing offered... */
        domains[1] = domains[2];
        domains[2] = domains[3];
        n_domains = 3;
        trigger_watch();
        spin(e);
        assert_int_equal(count_offers(2, true), 0);
        /* ...until it comes back as domain 5 */
        domains[n_domains++] = (FakeDomain) { 5, "ndvm" };
        trigger_watch();
        spin(e);
        assert_int_equal(count_offers(5, true), 1);
        assert_string_equal(open_offer(5)->path, "/local/domain/0/data/cairn-rpc/5");
        assert_int_equal(count_offers(1, true), 1);

        /* frames flow on an offered vchan: a bad header drops it and it is offered again */
        {
                uint8_t junk[RPC_FRAME_HEADER_SIZE] = { 9 };
                FakeVchan *f = open_offer(5);

                assert_int_equal(write(f->peer, junk, sizeof(junk)), (ssize_t) sizeof(junk));
                spin(e);
                assert_true(f->closed);
                assert_int_equal(count_offers(5, false), 2);
                assert_int_equal(count_offers(5, true), 1);
        }

        s = rpc_vchan_server_free(s);
        d = rpc_dom0_free(d);
        dom0_teardown(rules_path, e, bus);
}

/* Reads one frame header from a fake vchan's guest side; -EAGAIN when there is none. */
static int read_frame(FakeVchan *f, RpcFrameHeader *h, uint8_t *payload, size_t size) {
        uint8_t buf[RPC_FRAME_HEADER_SIZE];
        ssize_t n = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT);

        if (n < 0)
                return -errno;
        assert_int_equal(n, (ssize_t) sizeof(buf));
        assert_int_equal(rpc_frame_header_decode(buf, h), 0);
        if (h->length > 0) {
                assert_true(h->length <= size);
                assert_int_equal(recv(f->peer, payload, h->length, MSG_WAITALL), (ssize_t) h->length);
        }
        return 0;
}

/* A domain named only in via= gets a vchan; dom0 opens its connection to that
 * domain's bus only once the guest end has connected (libxenvchan_is_open() says
 * 1), not into the ring of a vchan nobody reads yet. */
static void test_dom0_via(void **state) {
        char rules_path[] = "/tmp/cairn-rpc-vchan-rules.XXXXXX";
        const char rules[] = "allow uivm call destination=org.cairn.Network1 interface=* member=* via=ndvm\n";
        _cleanup_(rpc_dom0_freep) RpcDom0 *d = NULL;
        _cleanup_(rpc_vchan_server_freep) RpcVchanServer *s = NULL;
        uint8_t payload[RPC_FRAME_PAYLOAD_MAX], nudge[RPC_FRAME_HEADER_SIZE];
        RpcFrameHeader h;
        FakeVchan *f;
        sd_event *e = NULL;
        sd_bus *bus = NULL;

        dom0_setup(rules_path, rules, &e, &bus);
        domains[0] = (FakeDomain) { 1, "uivm" };
        domains[1] = (FakeDomain) { 2, "ndvm" };
        n_domains = 2;
        servers_wait = true;

        assert_int_equal(rpc_dom0_new(e, bus, rules_path, &d), 0);
        assert_int_equal(rpc_vchan_server_new(e, d, &s), 0);
        assert_int_equal(count_offers(1, true), 1);
        assert_int_equal(count_offers(2, true), 1);
        f = open_offer(2);
        spin(e);
        assert_int_equal(read_frame(f, &h, payload, sizeof(payload)), -EAGAIN);

        /* The guest end connects (the real client_init notifies the event channel;
         * here a CLOSE for an id that is not open, which dom0 ignores, wakes it). */
        f->waiting = false;
        rpc_frame_header_encode(nudge, RPC_FRAME_CLOSE, 7, 0);
        assert_int_equal(write(f->peer, nudge, sizeof(nudge)), (ssize_t) sizeof(nudge));
        spin(e);
        assert_int_equal(read_frame(f, &h, payload, sizeof(payload)), 0);
        assert_int_equal(h.type, RPC_FRAME_OPEN);
        assert_int_equal(h.conn, RPC_CONN_DOM0 | 1);
        /* then dom0's sd-bus client authenticates on it */
        assert_int_equal(read_frame(f, &h, payload, sizeof(payload)), 0);
        assert_int_equal(h.type, RPC_FRAME_DATA);
        assert_int_equal(h.conn, RPC_CONN_DOM0 | 1);
        assert_true(h.length >= 14 && memcmp(payload, "\0AUTH EXTERNAL", 14) == 0);
        /* nothing of the kind towards the UIVM, whose bus no rule names */
        assert_int_equal(read_frame(open_offer(1), &h, payload, sizeof(payload)), -EAGAIN);

        servers_wait = false;
        s = rpc_vchan_server_free(s);
        d = rpc_dom0_free(d);
        dom0_teardown(rules_path, e, bus);
}

static void test_guest(void **state) {
        sd_event *e = NULL;
        RpcLink *link = NULL;

        assert_true(sd_event_new(&e) >= 0);
        own_domid = "7";
        assert_int_equal(rpc_vchan_client_connect(e, 0, &link), 0);
        assert_int_equal(n_vchans, 1);
        assert_string_equal(vchans[0].path, "/local/domain/0/data/cairn-rpc/7");
        /* frames go out through the vchan */
        assert_int_equal(rpc_link_send(link, RPC_FRAME_OPEN, 1, NULL, 0), 0);
        {
                uint8_t b[RPC_FRAME_HEADER_SIZE];
                RpcFrameHeader h;

                assert_int_equal(read(vchans[0].peer, b, sizeof(b)), (ssize_t) sizeof(b));
                assert_int_equal(rpc_frame_header_decode(b, &h), 0);
                assert_int_equal(h.type, RPC_FRAME_OPEN);
        }
        rpc_link_free(link);
        assert_true(vchans[0].closed);
        close(vchans[0].peer);
        n_vchans = 0;

        own_domid = "not-a-number";
        assert_int_equal(rpc_vchan_client_connect(e, 0, &link), -ENOENT);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dom0),
                cmocka_unit_test(test_dom0_via),
                cmocka_unit_test(test_guest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
