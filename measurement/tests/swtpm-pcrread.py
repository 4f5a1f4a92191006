#!/usr/bin/env python3
# swtpm-pcrread.py CTRL_SOCKET: read SHA-256 PCRs 0-9 from a running swtpm through its
# control channel (CMD_SET_DATAFD with a socketpair, then raw TPM2_PCR_Read).
import socket, struct, sys, array
ctrl = sys.argv[1]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(ctrl)
c.sendmsg([struct.pack('>I', 0x10)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [b.fileno()]))])
print('setdatafd', c.recv(4).hex(), file=sys.stderr)
def pcrread(pcrs):
    bm = [0,0,0]
    for p in pcrs: bm[p//8] |= 1 << (p%8)
    body = struct.pack('>IHB3B', 1, 0x000b, 3, *bm)
    cmd = struct.pack('>HII', 0x8001, 10 + len(body), 0x17e) + body
    a.sendall(cmd)
    hdr = a.recv(10); tag, size, rc = struct.unpack('>HII', hdr)
    data = b''
    while len(data) < size - 10: data += a.recv(size - 10 - len(data))
    assert rc == 0, hex(rc)
    off = 4  # update counter
    cnt, = struct.unpack_from('>I', data, off); off += 4
    for i in range(cnt): off += 2 + 1 + data[off+2]
    n, = struct.unpack_from('>I', data, off); off += 4
    out = []
    for i in range(n):
        l, = struct.unpack_from('>H', data, off); off += 2
        out.append(data[off:off+l].hex()); off += l
    return out
for p in range(10):
    print('%d: %s' % (p, pcrread([p])[0]))
