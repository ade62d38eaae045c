#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The CSTP stream of a peer (SEKISHO_A_PEER_STREAM), driven the way
sekishod's worker drives it: this process holds both ends of a
SOCK_SEQPACKET pair, gives one to the kernel and writes and reads raw IP
packets on the other.  Run in the gateway namespace of lib.sh's topology
(sk0 10.88.0.1/24, the server 10.20.0.2 routed through the gateway) with
the allow-all policy 1.  KTAP result lines.

Usage: stream.py IFNAME
"""
import importlib.util
import os
import select
import socket
import struct
import sys
import time

_spec = importlib.util.spec_from_file_location(
    "nlfuzz", os.path.join(os.path.dirname(os.path.abspath(__file__)), "nl-fuzz.py"))
nl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nl)



def uapi_peer_attr(name):
    """The value of SEKISHO_A_PEER_<name>, counted in the uapi header."""
    hdr = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "../../include/uapi/linux/sekisho.h")
    body = open(hdr).read().split("enum sekisho_a_peer {", 1)[1].split("};", 1)[0]
    names = [ln.strip().split(",")[0] for ln in body.splitlines()
             if ln.strip().startswith("SEKISHO_A_PEER_")]
    return names.index("SEKISHO_A_PEER_" + name)


PEER_STREAM = uapi_peer_attr("STREAM")
PEER_ID_V = 77
VPN = "10.88.0.77"
SRV = "10.20.0.2"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def icmp_echo(src, dst, ident, seq, size=56):
    data = bytes((i & 0xff for i in range(size)))
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


def wait_reply(sock, ident, seq, timeout=3.0):
    """An echo reply from SRV to VPN with ident/seq arrives on sock."""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([sock], [], [], max(0, end - time.time()))
        if not r:
            break
        try:
            pkt = sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            continue
        if len(pkt) < 28 or pkt[0] >> 4 != 4:
            continue
        src, dst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
        ihl = (pkt[0] & 15) * 4
        typ, _, _, pid, pseq = struct.unpack_from("!BBHHH", pkt, ihl)
        if src == SRV and dst == VPN and typ == 0 and pid == ident and pseq == seq:
            return True
    return False


def closed_by_kernel(sock, timeout=5.0):
    """The other end goes away (EOF or reset) before any echo reply."""
    end = time.time() + timeout
    seq = 0
    while time.time() < end:
        try:
            sock.send(icmp_echo(VPN, SRV, 0x5159, seq))
            seq += 1
            r, _, _ = select.select([sock], [], [], 0.3)
            if r:
                pkt = sock.recv(65536, socket.MSG_DONTWAIT)
                if not pkt:
                    return True
                if len(pkt) >= 20 and socket.inet_ntoa(pkt[12:16]) == SRV:
                    return False
        except (ConnectionResetError, BrokenPipeError, ConnectionRefusedError):
            return True
        except BlockingIOError:
            pass
    return False


def drain(sock):
    while True:
        try:
            sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            return


def peer_new(g, ifindex, pid, extra, vpn=VPN):
    attrs = [nl.u32(nl.PEER_ID, pid), attr_in4(nl.PEER_VPN_IPV4, vpn),
             nl.u32(nl.PEER_POLICY_ID, 1)] + extra
    return g.request(nl.CMD["PEER_NEW"], nl.u32(nl.A_IFINDEX, ifindex) +
                     nl.attr(nl.A_PEER, attrs))


def peer_del(g, ifindex, pid):
    return g.request(nl.CMD["PEER_DEL"], nl.u32(nl.A_IFINDEX, ifindex) +
                     nl.attr(nl.A_PEER, [nl.u32(nl.PEER_ID, pid)]))


def attr_in4(t, a):
    return nl.attr(t, socket.inet_aton(a))


def refused(name, res, want):
    err, msg, _ = res
    nl.result(err == want and bool(msg), f"{name} -> {err} {msg!r}",
              f"want errno {want} with a message")


def main():
    ifname = sys.argv[1]
    ifindex = socket.if_nametoindex(ifname)
    g = nl.Genl()
    k, w = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    # refusals: each says what is wrong and changes nothing
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    refused("stream: a UDP socket as the stream is refused",
            peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, udp.fileno())]), 91)
    udp.close()
    refused("stream: neither socket nor stream is refused",
            peer_new(g, ifindex, PEER_ID_V, []), 22)
    refused("stream: a remote endpoint without a UDP socket is refused",
            peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, k.fileno()),
                                             attr_in4(nl.PEER_REMOTE_IPV4, "10.10.1.2"),
                                             nl.u16(nl.PEER_REMOTE_PORT, 4433)]), 22)
    lone = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    refused("stream: an unconnected socket is refused",
            peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, lone.fileno())]), 107)
    lone.close()

    err, msg, _ = peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, k.fileno())])
    nl.result(err == 0, "stream: peer with only a stream added", f"{err} {msg}")
    if err:
        return
    refused("stream: the same stream for a second peer is refused",
            peer_new(g, ifindex, PEER_ID_V + 1, [nl.u32(PEER_STREAM, k.fileno())],
                     vpn="10.88.0.78"), 16)
    kc = nl.attr(nl.A_KEYCONF, [nl.u32(nl.KC_PEER_ID, PEER_ID_V), nl.u16(nl.KC_EPOCH, 1),
                                nl.u32(nl.KC_CIPHER, 2),
                                nl.attr(nl.KC_ENC, [nl.attr(nl.KD_KEY, b"k" * 32),
                                                    nl.attr(nl.KD_IV, b"i" * 4)]),
                                nl.attr(nl.KC_DEC, [nl.attr(nl.KD_KEY, b"k" * 32),
                                                    nl.attr(nl.KD_IV, b"i" * 4)])])
    refused("stream: a DTLS key for a peer without a UDP socket is refused",
            g.request(nl.CMD["KEY_NEW"], nl.u32(nl.A_IFINDEX, ifindex) + kc), 22)
    refused("stream: PEER_SET cannot change the stream",
            g.request(nl.CMD["PEER_SET"], nl.u32(nl.A_IFINDEX, ifindex) +
                      nl.attr(nl.A_PEER, [nl.u32(nl.PEER_ID, PEER_ID_V),
                                          nl.u32(PEER_STREAM, k.fileno())])), 22)

    # the data path: an echo request written by the "worker" reaches the
    # server through the gateway, the reply comes back on the stream
    ok = 0
    for i in range(5):
        w.send(icmp_echo(VPN, SRV, 0x5151, i))
        ok += wait_reply(w, 0x5151, i)
    nl.result(ok == 5, f"stream: ping through the stream ({ok}/5 replies)")
    w.send(icmp_echo(VPN, SRV, 0x5152, 1, size=1300))
    nl.result(wait_reply(w, 0x5152, 1), "stream: 1328-byte ping")
    w.send(icmp_echo("10.88.0.99", SRV, 0x5153, 1))
    nl.result(not wait_reply(w, 0x5153, 1, 1.5), "stream: a spoofed source gets no reply")
    w.send(b"\x45" + b"\0" * 10)
    w.send(b"")
    w.send(icmp_echo(VPN, SRV, 0x5154, 1, size=3000))   # more than the MTU
    w.send(icmp_echo(VPN, SRV, 0x5155, 1))
    nl.result(wait_reply(w, 0x5155, 1), "stream: malformed, empty and oversized messages "
              "dropped, the next packet passes")

    # a burst the worker does not read: the kernel queues what fits and drops
    # the rest, it never blocks
    for i in range(3000):
        try:
            w.send(icmp_echo(VPN, SRV, 0x5156, i), socket.MSG_DONTWAIT)
        except BlockingIOError:
            time.sleep(0.01)
    time.sleep(2)
    drain(w)
    w.send(icmp_echo(VPN, SRV, 0x5157, 1))
    nl.result(wait_reply(w, 0x5157, 1, 5), "stream: after an unread burst of 3000 the "
              "stream still works")

    # the kernel holds its own reference: closing our copy changes nothing
    kfd = k.detach()
    os.close(kfd)
    w.send(icmp_echo(VPN, SRV, 0x5158, 1))
    nl.result(wait_reply(w, 0x5158, 1), "stream: works after userspace closed its fd "
              "of the kernel's end")

    err, msg, _ = peer_del(g, ifindex, PEER_ID_V)
    nl.result(err == 0, "stream: peer deleted", f"{err} {msg}")
    nl.result(closed_by_kernel(w), "stream: after PEER_DEL nothing passes and the kernel "
              "closes its end (it held the last reference)")
    w.close()

    # a new pair: delete and re-add with the same stream (what sekishod does
    # when DTLS comes up), then the worker end goes away under the peer
    k, w = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    err, msg, _ = peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, k.fileno())])
    err2, msg2, _ = peer_del(g, ifindex, PEER_ID_V)
    err3, msg3, _ = peer_new(g, ifindex, PEER_ID_V, [nl.u32(PEER_STREAM, k.fileno())])
    nl.result(err == 0 and err2 == 0 and err3 == 0,
              "stream: the same stream attaches again after PEER_DEL",
              f"{err} {msg} / {err2} {msg2} / {err3} {msg3}")
    w.send(icmp_echo(VPN, SRV, 0x515a, 1))
    nl.result(wait_reply(w, 0x515a, 1), "stream: ping after re-attaching")
    w.close()
    # the server's replies to what is still in flight meet a closed pair
    os.system(f"ip netns exec srv ping -c 3 -i 0.2 -W 1 {VPN} >/dev/null 2>&1")
    err, msg, _ = peer_del(g, ifindex, PEER_ID_V)
    nl.result(err == 0, "stream: peer deleted after the worker end closed", f"{err} {msg}")
    k.close()


if __name__ == "__main__":
    main()
    print(f"1..{nl.n_tests}")
    sys.exit(1 if nl.n_failed else 0)
