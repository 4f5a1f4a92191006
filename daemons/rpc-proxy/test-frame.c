/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

static void test_header_roundtrip(void **state) {
        uint8_t b[RPC_FRAME_HEADER_SIZE];
        RpcFrameHeader h;

        rpc_frame_header_encode(b, RPC_FRAME_DATA, 0x01020304, 300);
        assert_int_equal(b[0], 2);
        assert_int_equal(b[4], 0x04); /* little endian */
        assert_int_equal(b[7], 0x01);
        assert_int_equal(b[8], 300 & 0xff);
        assert_int_equal(b[9], 300 >> 8);
        assert_int_equal(rpc_frame_header_decode(b, &h), 0);
        assert_int_equal(h.type, RPC_FRAME_DATA);
        assert_int_equal(h.conn, 0x01020304);
        assert_int_equal(h.length, 300);

        rpc_frame_header_encode(b, RPC_FRAME_OPEN, 7, 0);
        assert_int_equal(rpc_frame_header_decode(b, &h), 0);
        assert_int_equal(h.type, RPC_FRAME_OPEN);
        rpc_frame_header_encode(b, RPC_FRAME_DATA, 7, RPC_FRAME_PAYLOAD_MAX);
        assert_int_equal(rpc_frame_header_decode(b, &h), 0);
}

static void test_header_refused(void **state) {
        uint8_t b[RPC_FRAME_HEADER_SIZE];
        RpcFrameHeader h;

        rpc_frame_header_encode(b, RPC_FRAME_DATA, 1, 0);
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG); /* empty DATA */
        rpc_frame_header_encode(b, RPC_FRAME_DATA, 1, RPC_FRAME_PAYLOAD_MAX + 1);
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
        rpc_frame_header_encode(b, RPC_FRAME_DATA, 1, UINT32_MAX);
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
        rpc_frame_header_encode(b, RPC_FRAME_OPEN, 1, 1);
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
        rpc_frame_header_encode(b, RPC_FRAME_CLOSE, 1, 5);
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
        for (unsigned t = 0; t < 256; t++) {
                rpc_frame_header_encode(b, (RpcFrameType) t, 1, 0);
                if (t == RPC_FRAME_OPEN || t == RPC_FRAME_CLOSE)
                        assert_int_equal(rpc_frame_header_decode(b, &h), 0);
                else
                        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
        }
        rpc_frame_header_encode(b, RPC_FRAME_OPEN, 1, 0);
        b[2] = 1;
        assert_int_equal(rpc_frame_header_decode(b, &h), -EBADMSG);
}

static size_t put_frame(uint8_t *p, RpcFrameType type, uint32_t conn, const char *payload) {
        size_t n = payload ? strlen(payload) : 0;

        rpc_frame_header_encode(p, type, conn, (uint32_t) n);
        if (n)
                memcpy(p + RPC_FRAME_HEADER_SIZE, payload, n);
        return RPC_FRAME_HEADER_SIZE + n;
}

static size_t make_stream(uint8_t *buf) {
        size_t n = 0;

        n += put_frame(buf + n, RPC_FRAME_OPEN, 5, NULL);
        n += put_frame(buf + n, RPC_FRAME_DATA, 5, "hello world");
        n += put_frame(buf + n, RPC_FRAME_CLOSE, 5, NULL);
        return n;
}

static void check_frames(RpcFrameHeader *h, char payloads[3][32]) {
        assert_int_equal(h[0].type, RPC_FRAME_OPEN);
        assert_int_equal(h[0].conn, 5);
        assert_int_equal(h[1].type, RPC_FRAME_DATA);
        assert_int_equal(h[1].length, 11);
        assert_string_equal(payloads[1], "hello world");
        assert_int_equal(h[2].type, RPC_FRAME_CLOSE);
}

static void test_decoder_chunking(void **state) {
        uint8_t buf[256];
        size_t n = make_stream(buf);
        RpcFrameDecoder *d = malloc(sizeof(*d));

        assert_non_null(d);
        /* Every split of the stream into pieces of size `step` gives the same frames. */
        for (size_t step = 1; step <= n; step++) {
                RpcFrameHeader got[3];
                char payloads[3][32] = {};
                size_t n_got = 0;

                rpc_frame_decoder_init(d);
                for (size_t pos = 0; pos < n;) {
                        size_t len = step < n - pos ? step : n - pos, off = 0;

                        while (off < len) {
                                RpcFrameHeader h;
                                const uint8_t *payload;
                                size_t used;
                                int r = rpc_frame_decoder_feed(d, buf + pos + off, len - off, &used, &h, &payload);

                                assert_true(r >= 0);
                                assert_true(used <= len - off);
                                off += used;
                                if (r == 1) {
                                        assert_true(n_got < 3);
                                        memcpy(payloads[n_got], payload, h.length);
                                        got[n_got++] = h;
                                } else
                                        assert_int_equal(off, len);
                        }
                        pos += len;
                }
                assert_int_equal(n_got, 3);
                check_frames(got, payloads);
        }
        free(d);
}

static void test_decoder_bad_header(void **state) {
        uint8_t buf[256];
        size_t n = put_frame(buf, RPC_FRAME_OPEN, 1, NULL);
        RpcFrameDecoder *d = malloc(sizeof(*d));
        RpcFrameHeader h;
        const uint8_t *payload;
        size_t used;

        assert_non_null(d);
        buf[n] = 9; /* unknown type */
        memset(buf + n + 1, 0, RPC_FRAME_HEADER_SIZE - 1);
        rpc_frame_decoder_init(d);
        assert_int_equal(rpc_frame_decoder_feed(d, buf, n + RPC_FRAME_HEADER_SIZE, &used, &h, &payload), 1);
        assert_int_equal(used, n);
        assert_int_equal(rpc_frame_decoder_feed(d, buf + used, RPC_FRAME_HEADER_SIZE, &used, &h, &payload),
                         -EBADMSG);
        free(d);
}

/* ---- D-Bus stream checker ---- */

static size_t put_message(uint8_t *p, char endian, uint32_t fields, uint32_t body) {
        size_t total = 16 + ((fields + 7) & ~7u) + body;

        memset(p, 0xaa, total);
        p[0] = (uint8_t) endian;
        p[1] = 1;
        p[2] = 0;
        p[3] = 1;
        for (int i = 0; i < 4; i++) {
                int shift = endian == 'l' ? 8 * i : 8 * (3 - i);

                p[4 + i] = (uint8_t) (body >> shift);
                p[8 + i] = 0;
                p[12 + i] = (uint8_t) (fields >> shift);
        }
        return total;
}

static const char auth[] = "\0AUTH EXTERNAL 30\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";

static void test_stream_good(void **state) {
        static uint8_t buf[3 * 1024 * 1024];
        RpcDbusStream s;
        size_t n = sizeof(auth) - 1;
        const char *reason = NULL;

        memcpy(buf, auth, n);
        n += put_message(buf + n, 'l', 61, 5);
        n += put_message(buf + n, 'B', 8, 0);
        n += put_message(buf + n, 'l', 16, RPC_MESSAGE_MAX - 32); /* exactly at the limit */

        for (size_t step = 1; step <= 4096; step *= 2) {
                rpc_dbus_stream_init(&s);
                for (size_t pos = 0; pos < n; pos += step)
                        assert_int_equal(rpc_dbus_stream_feed(&s, buf + pos, step < n - pos ? step : n - pos, &reason), 0);
                assert_int_equal(s.messages, 3);
                assert_int_equal(s.phase, RPC_DBUS_HEADER);
        }
}

static int feed_all(const void *data, size_t size, const char **reason) {
        RpcDbusStream s;

        rpc_dbus_stream_init(&s);
        return rpc_dbus_stream_feed(&s, data, size, reason);
}

static void test_stream_refused(void **state) {
        static uint8_t buf[64 * 1024];
        const char *reason = NULL;
        size_t n;

        assert_int_equal(feed_all("AUTH EXTERNAL\r\n", 15, &reason), -EBADMSG);
        assert_string_equal(reason, "stream does not start with a NUL byte");

        assert_int_equal(feed_all("\0AUTH\nBEGIN\r\n", 13, &reason), -EBADMSG);
        assert_string_equal(reason, "authentication line not ended by CR LF");

        assert_int_equal(feed_all("\0AUTH \x01\r\n", 9, &reason), -EBADMSG);
        assert_string_equal(reason, "control or non-ASCII byte in an authentication line");

        buf[0] = 0;
        memset(buf + 1, 'A', RPC_AUTH_LINE_MAX + 1);
        assert_int_equal(feed_all(buf, RPC_AUTH_LINE_MAX + 2, &reason), -EMSGSIZE);
        assert_string_equal(reason, "authentication line too long");

        /* Many short lines: the whole exchange is capped too. */
        n = 1;
        while (n < RPC_AUTH_MAX + 16) {
                memcpy(buf + n, "DATA\r\n", 6);
                n += 6;
        }
        assert_int_equal(feed_all(buf, n, &reason), -EMSGSIZE);
        assert_string_equal(reason, "authentication exchange too long");

        n = sizeof(auth) - 1;
        memcpy(buf, auth, n);
        put_message(buf + n, 'l', 8, 0);
        buf[n] = 'x';
        assert_int_equal(feed_all(buf, n + 24, &reason), -EBADMSG);
        assert_string_equal(reason, "bad endianness byte in a message header");

        put_message(buf + n, 'l', 8, 0);
        buf[n + 3] = 2;
        assert_int_equal(feed_all(buf, n + 24, &reason), -EBADMSG);
        assert_string_equal(reason, "bad protocol version in a message header");

        put_message(buf + n, 'l', 8, 0);
        buf[n + 1] = 0;
        assert_int_equal(feed_all(buf, n + 24, &reason), -EBADMSG);
        assert_string_equal(reason, "bad message type in a message header");

        /* Over the limit by one byte, in the body or in the header fields; and lengths near 4 GiB. */
        put_message(buf + n, 'l', 16, 0);
        buf[n + 4] = 0xe1, buf[n + 5] = 0xff, buf[n + 6] = 0x0f, buf[n + 7] = 0; /* body = 1 MiB - 31 */
        assert_int_equal(feed_all(buf, n + 16, &reason), -EMSGSIZE);
        assert_string_equal(reason, "message larger than the proxy's limit");
        memset(buf + n + 4, 0xff, 4);
        assert_int_equal(feed_all(buf, n + 16, &reason), -EMSGSIZE);
        memset(buf + n + 4, 0, 4);
        memset(buf + n + 12, 0xff, 4);
        assert_int_equal(feed_all(buf, n + 16, &reason), -EMSGSIZE);
}

/* A bus's side of the exchange, as dom0 sees it from a guest's bus (via= rules). */
static void test_stream_server(void **state) {
        static const char ok[] = "OK 1234567890abcdef1234567890abcdef\r\n";
        static uint8_t buf[4096];
        const char *reason = NULL;
        RpcDbusStream s;
        size_t n = sizeof(ok) - 1;

        memcpy(buf, ok, n);
        n += put_message(buf + n, 'l', 61, 5);
        n += put_message(buf + n, 'l', 8, 0);
        for (size_t step = 1; step <= 64; step *= 2) {
                rpc_dbus_stream_init_server(&s);
                for (size_t pos = 0; pos < n; pos += step)
                        assert_int_equal(rpc_dbus_stream_feed(&s, buf + pos, step < n - pos ? step : n - pos, &reason), 0);
                assert_int_equal(s.messages, 2);
        }

        /* A client's BEGIN does not end the server's lines; only OK does. */
        rpc_dbus_stream_init_server(&s);
        assert_int_equal(rpc_dbus_stream_feed(&s, (const uint8_t *) "DATA\r\nBEGIN\r\n", 13, &reason), 0);
        assert_int_equal(s.phase, RPC_DBUS_AUTH);
        assert_int_equal(s.messages, 0);

        /* No leading NUL from a server: it is an authentication line's byte, and refused. */
        rpc_dbus_stream_init_server(&s);
        assert_int_equal(rpc_dbus_stream_feed(&s, (const uint8_t *) "\0OK x\r\n", 7, &reason), -EBADMSG);
        assert_string_equal(reason, "control or non-ASCII byte in an authentication line");

        /* The message limit holds in this direction too. */
        n = sizeof(ok) - 1;
        memcpy(buf, ok, n);
        put_message(buf + n, 'l', 16, 0);
        memset(buf + n + 4, 0xff, 4);
        rpc_dbus_stream_init_server(&s);
        assert_int_equal(rpc_dbus_stream_feed(&s, buf, n + 16, &reason), -EMSGSIZE);
        assert_string_equal(reason, "message larger than the proxy's limit");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stream_server),
                cmocka_unit_test(test_header_roundtrip),
                cmocka_unit_test(test_header_refused),
                cmocka_unit_test(test_decoder_chunking),
                cmocka_unit_test(test_decoder_bad_header),
                cmocka_unit_test(test_stream_good),
                cmocka_unit_test(test_stream_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
