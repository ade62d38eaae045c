#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fragmented traffic for control.sh (issue 11, item 11).

  frag.py listen FILE PORT...       UDP on 0.0.0.0 and :: for each PORT; one
                                     line "PORT LENGTH" per datagram in FILE
  frag.py send DST PORT SIZE        one UDP datagram of SIZE bytes (the
                                     client's kernel fragments it at the tun MTU)
  frag.py tiny DEV SRC DST          a UDP first fragment of 2 bytes (no ports,
                                     RFC 7112), written straight to DEV (a tun)
"""
import os
import select
import socket
import struct
import sys


def listen(path, ports):
    socks = []
    for port in ports:
        for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            socks.append((s, port))
    with open(path, "a", buffering=1) as out:
        while True:
            ready, _, _ = select.select([s for s, _ in socks], [], [])
            for s, port in socks:
                if s in ready:
                    data = s.recv(65536)
                    out.write("%d %d\n" % (port, len(data)))


def send(dst, port, size):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.sendto(b"f" * size, (dst, port))


def tiny(dev, src, dst):
    """An IP packet whose only fragment so far is the first, two bytes of a
    UDP header long: the ports are not in it."""
    body = b"\x13\x88"  # the source port's two bytes, nothing more
    if ":" in dst:
        fh = struct.pack("!BBHI", socket.IPPROTO_UDP, 0, 1, 0x5e5e)  # offset 0, M=1
        pl = fh + body
        ip = struct.pack("!IHBB", 6 << 28, len(pl), 44, 64) + \
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        pkt, proto = ip + pl, 0x86DD
    else:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0x5e5e, 0x2000,  # MF
                          64, socket.IPPROTO_UDP, 0, socket.inet_aton(src), socket.inet_aton(dst))
        csum = 0
        for i in range(0, 20, 2):
            csum += (hdr[i] << 8) | hdr[i + 1]
        while csum >> 16:
            csum = (csum & 0xFFFF) + (csum >> 16)
        hdr = hdr[:10] + struct.pack("!H", ~csum & 0xFFFF) + hdr[12:]
        pkt, proto = hdr + body, 0x0800
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
    s.sendto(pkt, (dev, proto))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "listen":
        listen(sys.argv[2], [int(p) for p in sys.argv[3:]])
    elif cmd == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "tiny":
        tiny(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
