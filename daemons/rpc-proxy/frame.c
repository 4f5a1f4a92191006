/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "frame.h"
#include "macro.h"

static void put_le32(uint8_t *p, uint32_t v) {
        p[0] = v & 0xff;
        p[1] = (v >> 8) & 0xff;
        p[2] = (v >> 16) & 0xff;
        p[3] = (v >> 24) & 0xff;
}

static uint32_t get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint32_t get_be32(const uint8_t *p) {
        return (uint32_t) p[3] | (uint32_t) p[2] << 8 | (uint32_t) p[1] << 16 | (uint32_t) p[0] << 24;
}

void rpc_frame_header_encode(uint8_t out[RPC_FRAME_HEADER_SIZE], RpcFrameType type, uint32_t conn,
                             uint32_t length) {
        out[0] = (uint8_t) type;
        out[1] = out[2] = out[3] = 0;
        put_le32(out + 4, conn);
        put_le32(out + 8, length);
}

int rpc_frame_header_decode(const uint8_t in[RPC_FRAME_HEADER_SIZE], RpcFrameHeader *ret) {
        RpcFrameHeader h = {
                .type = in[0],
                .conn = get_le32(in + 4),
                .length = get_le32(in + 8),
        };

        if (in[1] != 0 || in[2] != 0 || in[3] != 0)
                return -EBADMSG;
        switch (h.type) {
        case RPC_FRAME_OPEN:
        case RPC_FRAME_CLOSE:
                if (h.length != 0)
                        return -EBADMSG;
                break;
        case RPC_FRAME_DATA:
                if (h.length == 0 || h.length > RPC_FRAME_PAYLOAD_MAX)
                        return -EBADMSG;
                break;
        default:
                return -EBADMSG;
        }
        *ret = h;
        return 0;
}

const char *rpc_frame_type_to_string(uint8_t type) {
        switch (type) {
        case RPC_FRAME_OPEN:
                return "OPEN";
        case RPC_FRAME_DATA:
                return "DATA";
        case RPC_FRAME_CLOSE:
                return "CLOSE";
        default:
                return "unknown";
        }
}

void rpc_frame_decoder_init(RpcFrameDecoder *d) {
        d->header_have = 0;
        d->payload_have = 0;
        d->current = (RpcFrameHeader) {};
}

int rpc_frame_decoder_feed(RpcFrameDecoder *d, const uint8_t *data, size_t size, size_t *ret_consumed,
                           RpcFrameHeader *ret_header, const uint8_t **ret_payload) {
        size_t used = 0;
        int r;

        for (;;) {
                if (d->header_have < RPC_FRAME_HEADER_SIZE) {
                        size_t n = MIN(RPC_FRAME_HEADER_SIZE - d->header_have, size - used);

                        memcpy(d->header + d->header_have, data + used, n);
                        d->header_have += n;
                        used += n;
                        if (d->header_have < RPC_FRAME_HEADER_SIZE)
                                break;
                        r = rpc_frame_header_decode(d->header, &d->current);
                        if (r < 0) {
                                *ret_consumed = used;
                                return r;
                        }
                        d->payload_have = 0;
                }

                size_t n = MIN(d->current.length - d->payload_have, size - used);
                memcpy(d->payload + d->payload_have, data + used, n);
                d->payload_have += n;
                used += n;
                if (d->payload_have == d->current.length) {
                        d->header_have = 0;
                        *ret_consumed = used;
                        *ret_header = d->current;
                        *ret_payload = d->payload;
                        return 1;
                }
                if (used == size)
                        break;
        }
        *ret_consumed = used;
        return 0;
}

void rpc_dbus_stream_init(RpcDbusStream *s) {
        *s = (RpcDbusStream) { .phase = RPC_DBUS_NUL };
}

void rpc_dbus_stream_init_server(RpcDbusStream *s) {
        *s = (RpcDbusStream) { .phase = RPC_DBUS_AUTH, .server = true };
}

/* A whole SASL line (without CR LF).  Returns 1 on the last line before messages:
 * the client's BEGIN, or the server's OK. */
static int auth_line(RpcDbusStream *s, const char **ret_reason) {
        for (size_t i = 0; i < s->line_len; i++) {
                unsigned char c = (unsigned char) s->line[i];

                if (c < 0x20 || c > 0x7e) {
                        *ret_reason = "control or non-ASCII byte in an authentication line";
                        return -EBADMSG;
                }
        }
        if (s->server)
                return s->line_len >= 3 && memcmp(s->line, "OK ", 3) == 0;
        return s->line_len == 5 && memcmp(s->line, "BEGIN", 5) == 0;
}

static int message_header(RpcDbusStream *s, const char **ret_reason) {
        const uint8_t *h = s->header;
        uint32_t body, fields;
        uint64_t total;

        if (h[0] != 'l' && h[0] != 'B') {
                *ret_reason = "bad endianness byte in a message header";
                return -EBADMSG;
        }
        if (h[1] < 1 || h[1] > 4) {
                *ret_reason = "bad message type in a message header";
                return -EBADMSG;
        }
        if (h[3] != 1) {
                *ret_reason = "bad protocol version in a message header";
                return -EBADMSG;
        }
        body = h[0] == 'l' ? get_le32(h + 4) : get_be32(h + 4);
        fields = h[0] == 'l' ? get_le32(h + 12) : get_be32(h + 12);
        /* header (16) + fields array, padded to 8, + body */
        total = 16 + (((uint64_t) fields + 7) & ~(uint64_t) 7) + body;
        if (total > RPC_MESSAGE_MAX) {
                *ret_reason = "message larger than the proxy's limit";
                return -EMSGSIZE;
        }
        s->remaining = total - 16;
        s->messages++;
        return 0;
}

int rpc_dbus_stream_feed(RpcDbusStream *s, const uint8_t *data, size_t size, const char **ret_reason) {
        static const char *unused;
        size_t i = 0;
        int r;

        if (!ret_reason)
                ret_reason = &unused;

        while (i < size) {
                switch (s->phase) {
                case RPC_DBUS_NUL:
                        if (data[i] != 0) {
                                *ret_reason = "stream does not start with a NUL byte";
                                return -EBADMSG;
                        }
                        i++;
                        s->auth_bytes = 1;
                        s->phase = RPC_DBUS_AUTH;
                        break;

                case RPC_DBUS_AUTH:
                        if (++s->auth_bytes > RPC_AUTH_MAX) {
                                *ret_reason = "authentication exchange too long";
                                return -EMSGSIZE;
                        }
                        if (data[i] == '\n') {
                                if (s->line_len == 0 || s->line[s->line_len - 1] != '\r') {
                                        *ret_reason = "authentication line not ended by CR LF";
                                        return -EBADMSG;
                                }
                                s->line_len--;
                                r = auth_line(s, ret_reason);
                                if (r < 0)
                                        return r;
                                s->line_len = 0;
                                if (r > 0)
                                        s->phase = RPC_DBUS_HEADER;
                        } else {
                                if (s->line_len >= sizeof(s->line)) {
                                        *ret_reason = "authentication line too long";
                                        return -EMSGSIZE;
                                }
                                s->line[s->line_len++] = (char) data[i];
                        }
                        i++;
                        break;

                case RPC_DBUS_HEADER: {
                        size_t n = MIN(sizeof(s->header) - s->header_have, size - i);

                        memcpy(s->header + s->header_have, data + i, n);
                        s->header_have += n;
                        i += n;
                        if (s->header_have == sizeof(s->header)) {
                                r = message_header(s, ret_reason);
                                if (r < 0)
                                        return r;
                                s->header_have = 0;
                                s->phase = s->remaining > 0 ? RPC_DBUS_REST : RPC_DBUS_HEADER;
                        }
                        break;
                }

                case RPC_DBUS_REST: {
                        size_t n = (size_t) MIN((uint64_t) (size - i), s->remaining);

                        s->remaining -= n;
                        i += n;
                        if (s->remaining == 0)
                                s->phase = RPC_DBUS_HEADER;
                        break;
                }
                }
        }
        return 0;
}
