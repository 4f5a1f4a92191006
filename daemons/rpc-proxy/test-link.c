/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The link layer over a socketpair, in one process with sd-event: frames in and
 * out (DATA split at 64 KiB), a bad header or the peer going away ends the link
 * (close handler called once), throttling past the high-water mark and the
 * writable callback after draining, and the queue cap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"

typedef struct Seen {
        unsigned frames, closes, writable;
        int close_error;
        RpcFrameHeader last[8];
        size_t data_bytes;
        uint8_t data[256 * 1024];
} Seen;

static void on_frame(RpcLink *l, const RpcFrameHeader *h, const uint8_t *payload, void *userdata) {
        Seen *s = userdata;

        if (s->frames < 8)
                s->last[s->frames] = *h;
        s->frames++;
        if (h->type == RPC_FRAME_DATA && s->data_bytes + h->length <= sizeof(s->data)) {
                memcpy(s->data + s->data_bytes, payload, h->length);
                s->data_bytes += h->length;
        }
}

static void on_close(RpcLink *l, int error, void *userdata) {
        Seen *s = userdata;

        s->closes++;
        s->close_error = error;
}

static void on_writable(RpcLink *l, void *userdata) {
        ((Seen *) userdata)->writable++;
}

typedef struct Fixture {
        sd_event *event;
        RpcLink *link;
        int peer;
        Seen *seen;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        int fds[2];

        assert_non_null(f);
        f->seen = calloc(1, sizeof(Seen));
        assert_non_null(f->seen);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_true(sd_event_new(&f->event) >= 0);
        assert_int_equal(rpc_link_new_socket(f->event, fds[0], "test", &f->link), 0);
        rpc_link_set_handlers(f->link, on_frame, on_close, f->seen);
        rpc_link_set_writable_handler(f->link, on_writable);
        f->peer = fds[1];
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        rpc_link_free(f->link);
        sd_event_unref(f->event);
        if (f->peer >= 0)
                close(f->peer);
        free(f->seen);
        free(f);
        return 0;
}

static void spin(Fixture *f, unsigned times) {
        for (unsigned i = 0; i < times; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
}

static void put(int fd, RpcFrameType type, uint32_t conn, const uint8_t *payload, uint32_t n) {
        uint8_t h[RPC_FRAME_HEADER_SIZE];

        rpc_frame_header_encode(h, type, conn, n);
        assert_int_equal(write(fd, h, sizeof(h)), (ssize_t) sizeof(h));
        if (n)
                assert_int_equal(write(fd, payload, n), (ssize_t) n);
}

static void test_receive(void **state) {
        Fixture *f = *state;
        static uint8_t payload[RPC_FRAME_PAYLOAD_MAX];

        for (size_t i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t) (i % 253);
        put(f->peer, RPC_FRAME_OPEN, 9, NULL, 0);
        put(f->peer, RPC_FRAME_DATA, 9, payload, sizeof(payload));
        put(f->peer, RPC_FRAME_DATA, 9, payload, 10);
        put(f->peer, RPC_FRAME_CLOSE, 9, NULL, 0);
        for (int i = 0; i < 100 && f->seen->frames < 4; i++)
                spin(f, 1);
        assert_int_equal(f->seen->frames, 4);
        assert_int_equal(f->seen->last[0].type, RPC_FRAME_OPEN);
        assert_int_equal(f->seen->last[1].length, RPC_FRAME_PAYLOAD_MAX);
        assert_int_equal(f->seen->last[2].length, 10);
        assert_int_equal(f->seen->last[3].type, RPC_FRAME_CLOSE);
        assert_int_equal(f->seen->data_bytes, RPC_FRAME_PAYLOAD_MAX + 10);
        assert_memory_equal(f->seen->data, payload, sizeof(payload));
        assert_memory_equal(f->seen->data + sizeof(payload), payload, 10);
        assert_int_equal(f->seen->closes, 0);
}

static void test_send_splits(void **state) {
        Fixture *f = *state;
        size_t n = 200 * 1024, got = 0, frames = 0;
        uint8_t *data = malloc(n), *back = malloc(n);
        RpcFrameDecoder *d = malloc(sizeof(*d));

        assert_non_null(data);
        assert_non_null(back);
        assert_non_null(d);
        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t) (i * 31);
        rpc_frame_decoder_init(d);
        assert_int_equal(rpc_link_send(f->link, RPC_FRAME_DATA, 3, data, n), 0);
        assert_int_equal(rpc_link_send(f->link, RPC_FRAME_DATA, 3, data, 0), 0); /* no empty DATA frame */
        while (got < n) {
                uint8_t buf[8192];
                ssize_t r;

                spin(f, 1);
                r = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT);
                if (r <= 0)
                        continue;
                for (size_t pos = 0; pos < (size_t) r;) {
                        RpcFrameHeader h;
                        const uint8_t *p;
                        size_t used;
                        int k = rpc_frame_decoder_feed(d, buf + pos, (size_t) r - pos, &used, &h, &p);

                        assert_true(k >= 0);
                        pos += used;
                        if (k == 1) {
                                assert_int_equal(h.type, RPC_FRAME_DATA);
                                assert_int_equal(h.conn, 3);
                                assert_true(h.length <= RPC_FRAME_PAYLOAD_MAX);
                                memcpy(back + got, p, h.length);
                                got += h.length;
                                frames++;
                        }
                }
        }
        assert_int_equal(got, n);
        assert_int_equal(frames, 4); /* 64 + 64 + 64 + 8 KiB */
        assert_memory_equal(back, data, n);
        assert_int_equal(rpc_link_queued(f->link), 0);
        free(data);
        free(back);
        free(d);
}

static void test_bad_header(void **state) {
        Fixture *f = *state;
        uint8_t junk[RPC_FRAME_HEADER_SIZE] = { 7 };

        put(f->peer, RPC_FRAME_OPEN, 1, NULL, 0);
        assert_int_equal(write(f->peer, junk, sizeof(junk)), (ssize_t) sizeof(junk));
        put(f->peer, RPC_FRAME_OPEN, 2, NULL, 0); /* never seen: the link is dead */
        spin(f, 5);
        assert_int_equal(f->seen->frames, 1);
        assert_int_equal(f->seen->closes, 1);
        assert_int_equal(f->seen->close_error, -EBADMSG);
        assert_int_equal(rpc_link_is_dead(f->link), -EBADMSG);
        assert_int_equal(rpc_link_send(f->link, RPC_FRAME_OPEN, 5, NULL, 0), -EBADMSG);
        assert_int_equal(f->seen->closes, 1);
}

static void test_peer_gone(void **state) {
        Fixture *f = *state;

        close(f->peer);
        f->peer = -1;
        spin(f, 3);
        assert_int_equal(f->seen->closes, 1);
        assert_int_equal(f->seen->close_error, -EPIPE);
}

static void test_throttle(void **state) {
        Fixture *f = *state;
        size_t n = RPC_LINK_HIGH_WATER + 512 * 1024, drained = 0;
        uint8_t *data = calloc(1, n), buf[65536];

        assert_non_null(data);
        /* the peer reads nothing: the socket buffer fills, the rest is queued */
        assert_int_equal(rpc_link_send(f->link, RPC_FRAME_DATA, 1, data, n), 0);
        assert_true(rpc_link_queued(f->link) > RPC_LINK_HIGH_WATER);
        assert_true(rpc_link_is_throttled(f->link));
        assert_int_equal(f->seen->writable, 0);
        /* the peer drains: once under the low-water mark the owner is told, once */
        for (int i = 0; i < 10000 && rpc_link_queued(f->link) > 0; i++) {
                ssize_t r = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT);

                if (r > 0)
                        drained += (size_t) r;
                spin(f, 1);
        }
        assert_int_equal(rpc_link_queued(f->link), 0);
        assert_false(rpc_link_is_throttled(f->link));
        assert_int_equal(f->seen->writable, 1);
        assert_int_equal(f->seen->closes, 0);
        /* everything arrived: the payload and one header per 64 KiB frame */
        for (;;) {
                ssize_t r = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT);

                if (r <= 0)
                        break;
                drained += (size_t) r;
        }
        assert_int_equal(drained, n + (n / RPC_FRAME_PAYLOAD_MAX) * RPC_FRAME_HEADER_SIZE);
        free(data);
}

static void test_overflow(void **state) {
        Fixture *f = *state;
        size_t n = RPC_LINK_QUEUE_MAX + 1024 * 1024;
        uint8_t *data = calloc(1, n);

        assert_non_null(data);
        assert_int_equal(rpc_link_send(f->link, RPC_FRAME_DATA, 1, data, n), -ENOBUFS);
        assert_int_equal(f->seen->closes, 1);
        assert_int_equal(f->seen->close_error, -ENOBUFS);
        free(data);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_splits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
                cmocka_unit_test_setup_teardown(test_peer_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
