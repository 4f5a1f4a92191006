/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The frame protocol one link (a vchan, or a unix socket under test) carries
 * between a guest end and the dom0 end, and a bounded checker of the D-Bus byte
 * stream inside one connection.  Everything that arrives from a guest is
 * untrusted: the decoder refuses any header that is not exactly right, and the
 * stream checker caps the authentication phase and every message's size.
 *
 * Frame: 12-byte header, little endian, then `length` payload bytes.
 *   u8 type (1 OPEN, 2 DATA, 3 CLOSE), u8[3] zero, u32 connection id, u32 length
 * OPEN and CLOSE carry no payload; DATA carries 1..RPC_FRAME_PAYLOAD_MAX bytes of
 * the connection's raw D-Bus stream. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_FRAME_HEADER_SIZE 12u
/* Connection ids with this bit set are opened by dom0 towards a guest's own bus
 * (rules with via=); the others by the guest end, towards dom0. */
#define RPC_CONN_DOM0 0x80000000u
#define RPC_FRAME_PAYLOAD_MAX (64u * 1024u)
/* Largest D-Bus message (header + body) a guest may send through the proxy. */
#define RPC_MESSAGE_MAX (1024u * 1024u)
/* Largest SASL authentication exchange a guest may send before BEGIN. */
#define RPC_AUTH_MAX (16u * 1024u)
#define RPC_AUTH_LINE_MAX 1024u

typedef enum RpcFrameType {
        RPC_FRAME_OPEN = 1,
        RPC_FRAME_DATA = 2,
        RPC_FRAME_CLOSE = 3,
} RpcFrameType;

typedef struct RpcFrameHeader {
        uint8_t type;
        uint32_t conn;
        uint32_t length;
} RpcFrameHeader;

void rpc_frame_header_encode(uint8_t out[RPC_FRAME_HEADER_SIZE], RpcFrameType type, uint32_t conn,
                             uint32_t length);
/* 0, or -EBADMSG for an unknown type, non-zero reserved bytes or a bad length. */
int rpc_frame_header_decode(const uint8_t in[RPC_FRAME_HEADER_SIZE], RpcFrameHeader *ret);
const char *rpc_frame_type_to_string(uint8_t type);

/* Incremental decoder: bytes in, whole frames out. */
typedef struct RpcFrameDecoder {
        uint8_t header[RPC_FRAME_HEADER_SIZE];
        size_t header_have;
        RpcFrameHeader current;
        size_t payload_have;
        uint8_t payload[RPC_FRAME_PAYLOAD_MAX];
} RpcFrameDecoder;

void rpc_frame_decoder_init(RpcFrameDecoder *d);
/* Consumes bytes from data until one frame is complete or data is used up.
 * Returns 1 with *ret_header and *ret_payload (valid until the next call) when a
 * frame is complete, 0 when more bytes are needed, -EBADMSG on a bad header
 * (the link must then be dropped).  *ret_consumed is always set. */
int rpc_frame_decoder_feed(RpcFrameDecoder *d, const uint8_t *data, size_t size, size_t *ret_consumed,
                           RpcFrameHeader *ret_header, const uint8_t **ret_payload);

/* Follows one client-to-server D-Bus stream (or, in server mode, the bus's side
 * of it): the SASL lines up to BEGIN (or OK), then message boundaries from each
 * fixed header.  It does not parse messages (sd-bus
 * does); it only refuses what no honest client sends. */
typedef enum RpcDbusPhase {
        RPC_DBUS_NUL,
        RPC_DBUS_AUTH,
        RPC_DBUS_HEADER,
        RPC_DBUS_REST,
} RpcDbusPhase;

typedef struct RpcDbusStream {
        RpcDbusPhase phase;
        bool server;    /* follows a bus's replies to a client (no NUL; messages after "OK ...") */
        size_t auth_bytes;
        char line[RPC_AUTH_LINE_MAX];
        size_t line_len;
        uint8_t header[16];
        size_t header_have;
        uint64_t remaining;
        uint64_t messages;
} RpcDbusStream;

/* Follows a client's bytes towards a bus. */
void rpc_dbus_stream_init(RpcDbusStream *s);
/* Follows a bus's bytes towards a client that negotiated no fds: SASL lines up
 * to the server's "OK GUID", then messages. */
void rpc_dbus_stream_init_server(RpcDbusStream *s);
/* 0 when the bytes are acceptable; -EBADMSG (malformed) or -EMSGSIZE (over a
 * limit) otherwise, with a static description in *ret_reason. */
int rpc_dbus_stream_feed(RpcDbusStream *s, const uint8_t *data, size_t size, const char **ret_reason);
