/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bytes a guest sends on its link: frames, and inside DATA frames the
 * D-Bus stream of each connection (a client's stream for the guest's own ids; a
 * bus's stream, in server mode, for the ids dom0 opened: RPC_CONN_DOM0).
 * Input: byte 0 sets the read chunk size. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static RpcFrameDecoder d;
        static RpcDbusStream streams[8];
        size_t chunk, pos = 1;

        if (size < 1)
                return 0;
        chunk = data[0] ? data[0] : 4096;
        rpc_frame_decoder_init(&d);
        for (size_t i = 0; i < 4; i++) {
                rpc_dbus_stream_init(&streams[i]);
                rpc_dbus_stream_init_server(&streams[4 + i]);
        }

        while (pos < size) {
                size_t len = chunk < size - pos ? chunk : size - pos, off = 0;

                while (off < len) {
                        RpcFrameHeader h;
                        const uint8_t *payload;
                        size_t used = SIZE_MAX;
                        int r = rpc_frame_decoder_feed(&d, data + pos + off, len - off, &used, &h, &payload);

                        if (used > len - off)
                                abort();
                        off += used;
                        if (r < 0)
                                return 0; /* the link is dropped */
                        if (r == 0) {
                                if (off != len)
                                        abort();
                                break;
                        }
                        if (h.type == RPC_FRAME_DATA) {
                                const char *reason = NULL;
                                bool server = h.conn & RPC_CONN_DOM0;
                                RpcDbusStream *s = &streams[(server ? 4 : 0) + h.conn % 4];

                                if (h.length == 0 || h.length > RPC_FRAME_PAYLOAD_MAX)
                                        abort();
                                if (rpc_dbus_stream_feed(s, payload, h.length, &reason) < 0) {
                                        if (!reason)
                                                abort();
                                        if (server)
                                                rpc_dbus_stream_init_server(s);
                                        else
                                                rpc_dbus_stream_init(s);
                                }
                        } else if (h.length != 0)
                                abort();
                }
                pos += len;
        }
        return 0;
}
