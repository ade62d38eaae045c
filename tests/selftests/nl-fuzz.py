#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed and random generic netlink input to the sekisho family.

Every malformed request must be refused with an error code and, where the
module can say what is wrong, an extack message; random input must never
crash the kernel (the VM rig fails the run on any splat).  KTAP result lines.

Usage: nl-fuzz.py IFNAME [ITERATIONS]   (IFNAME: an existing sekisho device)
"""
import errno
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
NLA_F_NESTED = 0x8000

# From include/uapi/linux/sekisho.h (tests/uapi/check-spec.py keeps it true).
CMD = dict(DEV_GET=1, PEER_NEW=2, PEER_SET=3, PEER_GET=4, PEER_DEL=5, KEY_NEW=6,
           KEY_DEL=7, POLICY_NEW=8, POLICY_SET=9, POLICY_GET=10, POLICY_DEL=11)
A_IFINDEX, A_IFNAME, A_DEV, A_PEER, A_KEYCONF, A_POLICY = 1, 2, 3, 4, 5, 6
PEER_ID, PEER_SOCKET, PEER_REMOTE_IPV4, PEER_REMOTE_PORT, PEER_VPN_IPV4 = 2, 3, 4, 6, 10
PEER_ROUTES, PEER_ROUTE, PEER_POLICY_ID = 12, 13, 14
KC_PEER_ID, KC_EPOCH, KC_CIPHER, KC_ENC, KC_DEC = 1, 2, 3, 4, 5
KD_KEY, KD_IV, KD_SEQ = 2, 3, 4
POL_ID, POL_RULES, POL_RULE = 1, 2, 3
R_ACTION, R_FAMILY, R_ADDR, R_PREFIXLEN, R_PROTO, R_PMIN, R_PMAX = 1, 2, 3, 4, 5, 6, 7

n_tests = 0
n_failed = 0


def result(ok, name, diag=""):
    global n_tests, n_failed
    n_tests += 1
    if ok:
        print(f"ok {n_tests} {name}", flush=True)
    else:
        n_failed += 1
        print(f"not ok {n_tests} {name}", flush=True)
        for line in str(diag).splitlines():
            print(f"# {line}")


def attr(t, payload):
    if isinstance(payload, list):
        payload = b"".join(payload)
        t |= NLA_F_NESTED
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, t) + payload + b"\0" * ((4 - ln % 4) % 4)


def u8(t, v): return attr(t, struct.pack("=B", v))
def u16(t, v): return attr(t, struct.pack("=H", v))
def u32(t, v): return attr(t, struct.pack("=I", v))
def u64(t, v): return attr(t, struct.pack("=Q", v))


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
        self.s.bind((0, 0))
        self.s.settimeout(5)
        self.seq = 1
        self.fam = self.family("sekisho")

    def send_raw(self, data):
        self.s.send(data)

    def msg(self, mtype, cmd, attrs, flags=NLM_F_REQUEST | NLM_F_ACK):
        body = struct.pack("=BBH", cmd, 1, 0) + attrs
        self.seq += 1
        return struct.pack("=IHHII", 16 + len(body), mtype, flags, self.seq, 0) + body

    def request(self, cmd, attrs, flags=NLM_F_REQUEST | NLM_F_ACK, mtype=None):
        """Returns (errno, extack message, replies)."""
        self.send_raw(self.msg(self.fam if mtype is None else mtype, cmd, attrs, flags))
        return self.collect()

    def collect(self):
        replies = []
        while True:
            data = self.s.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ, flg, seq, pid = struct.unpack_from("=IHHII", data, off)
                if ln < 16:
                    return (-1, "bad reply", replies)
                if typ == NLMSG_ERROR:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    msg = ""
                    inner = struct.unpack_from("=I", data, off + 20)[0]
                    aoff = off + 20 + (16 if flg & 0x100 else inner)  # NLM_F_CAPPED
                    while aoff + 4 <= off + ln:
                        alen, atype = struct.unpack_from("=HH", data, aoff)
                        if alen < 4:
                            break
                        if atype == NLMSGERR_ATTR_MSG:
                            msg = data[aoff + 4:aoff + alen].rstrip(b"\0").decode()
                        aoff += (alen + 3) & ~3
                    return (-err, msg, replies)
                if typ == NLMSG_DONE:
                    return (0, "", replies)
                replies.append(data[off:off + ln])
                off += (ln + 3) & ~3

    def family(self, name):
        a = attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        err, msg, rep = self.request(CTRL_CMD_GETFAMILY, a, mtype=GENL_ID_CTRL)
        if err or not rep:
            raise SystemExit(f"family {name}: errno {err} {msg}")
        m = rep[0]
        off = 20
        while off + 4 <= len(m):
            alen, atype = struct.unpack_from("=HH", m, off)
            if atype == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("=H", m, off + 4)[0]
            off += (alen + 3) & ~3
        raise SystemExit("no family id")


def expect_refusal(g, name, cmd, attrs, want_errno=None, want_msg=True):
    """want_errno: one code or a tuple of acceptable codes (attribute
    policies answer ERANGE for out-of-range integers and binary lengths)."""
    err, msg, _ = g.request(CMD[cmd], attrs)
    want = want_errno if isinstance(want_errno, tuple) else (want_errno,)
    ok = err != 0 and (want_errno is None or err in want) and (msg or not want_msg)
    result(ok, f"{name} -> {errno.errorcode.get(err, err)}: {msg or '(no message)'}",
           f"want {[errno.errorcode.get(w) for w in want]} with a message")


def main():
    ifname = sys.argv[1]
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    ifindex = socket.if_nametoindex(ifname)
    g = Genl()
    IF = u32(A_IFINDEX, ifindex)
    lo = u32(A_IFINDEX, socket.if_nametoindex("lo"))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    devnull = os.open("/dev/null", os.O_RDONLY)

    def peer(*a): return attr(A_PEER, list(a))

    expect_refusal(g, "peer new without device", "PEER_NEW", peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno())), errno.EINVAL)
    expect_refusal(g, "peer new on a device of another type", "PEER_NEW", lo + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno())))
    expect_refusal(g, "peer new with unknown ifindex", "PEER_NEW", u32(A_IFINDEX, 999999) + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno())), errno.ENODEV)
    expect_refusal(g, "peer new with id 0", "PEER_NEW", IF + peer(u32(PEER_ID, 0), u32(PEER_SOCKET, udp.fileno())), (errno.EINVAL, errno.ERANGE))
    expect_refusal(g, "peer new without socket", "PEER_NEW", IF + peer(u32(PEER_ID, 1)), errno.EINVAL)
    # with a VPN address, so that netlink.c's checks pass and the socket is what is refused
    VPN = attr(PEER_VPN_IPV4, b"\x0a\x58\0\x63")
    expect_refusal(g, "peer new with a TCP socket", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, tcp.fileno()), VPN), (errno.ENOTSOCK, errno.EPROTONOSUPPORT))
    expect_refusal(g, "peer new with a file, not a socket", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, devnull), VPN), (errno.ENOTSOCK, errno.EPROTONOSUPPORT))
    expect_refusal(g, "peer new with a closed fd", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, 4000), VPN), errno.EBADF)
    expect_refusal(g, "remote address of 3 bytes", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno()), attr(PEER_REMOTE_IPV4, b"\1\2\3")), (errno.EINVAL, errno.ERANGE))
    expect_refusal(g, "route with prefix 40 on IPv4", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno()), attr(PEER_ROUTES, [attr(PEER_ROUTE, [attr(1, b"\x0a\0\0\0"), u8(2, 40)])])), errno.EINVAL)
    expect_refusal(g, "peer with unknown policy", "PEER_NEW", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno()), u32(PEER_POLICY_ID, 4242), VPN), errno.ENOENT)
    expect_refusal(g, "peer del of unknown peer", "PEER_DEL", IF + peer(u32(PEER_ID, 77)), errno.ENOENT)
    kd = lambda k, iv: [attr(KD_KEY, k), attr(KD_IV, iv)]
    expect_refusal(g, "key for unknown peer", "KEY_NEW", IF + attr(A_KEYCONF, [u32(KC_PEER_ID, 77), u16(KC_EPOCH, 1), u32(KC_CIPHER, 2), attr(KC_ENC, kd(b"k" * 32, b"i" * 4)), attr(KC_DEC, kd(b"k" * 32, b"i" * 4))]), errno.ENOENT)
    expect_refusal(g, "unknown cipher", "KEY_NEW", IF + attr(A_KEYCONF, [u32(KC_PEER_ID, 77), u16(KC_EPOCH, 1), u32(KC_CIPHER, 9), attr(KC_ENC, kd(b"k" * 32, b"i" * 4)), attr(KC_DEC, kd(b"k" * 32, b"i" * 4))]), (errno.EINVAL, errno.ERANGE))
    expect_refusal(g, "key without decrypt direction", "KEY_NEW", IF + attr(A_KEYCONF, [u32(KC_PEER_ID, 77), u16(KC_EPOCH, 1), u32(KC_CIPHER, 2), attr(KC_ENC, kd(b"k" * 32, b"i" * 4))]), errno.EINVAL)

    def rule(*a): return attr(POL_RULE, list(a))
    expect_refusal(g, "policy id 0", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 0)]), (errno.EINVAL, errno.ERANGE))
    expect_refusal(g, "rule with ports on icmp", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), attr(R_ADDR, b"\x0a\0\0\0"), u8(R_PREFIXLEN, 8), u8(R_PROTO, 1), u16(R_PMIN, 1), u16(R_PMAX, 2))])]), errno.EINVAL)
    expect_refusal(g, "rule with prefix 33", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), attr(R_ADDR, b"\x0a\0\0\0"), u8(R_PREFIXLEN, 33))])]), errno.EINVAL)
    expect_refusal(g, "rule with host bits set", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), attr(R_ADDR, b"\x0a\0\0\1"), u8(R_PREFIXLEN, 8))])]), errno.EINVAL)
    expect_refusal(g, "rule with unknown protocol", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), u8(R_PROTO, 47))])]), errno.EINVAL)
    expect_refusal(g, "rule with port range reversed", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), u8(R_PROTO, 6), u16(R_PMIN, 9), u16(R_PMAX, 2))])]), errno.EINVAL)
    expect_refusal(g, "rule with IPv6 address on IPv4 family", "POLICY_NEW", IF + attr(A_POLICY, [u32(POL_ID, 9), attr(POL_RULES, [rule(u8(R_ACTION, 1), u8(R_FAMILY, 2), attr(R_ADDR, b"\0" * 16))])]), errno.EINVAL)
    expect_refusal(g, "delete unknown policy", "POLICY_DEL", IF + attr(A_POLICY, [u32(POL_ID, 31337)]), errno.ENOENT)
    expect_refusal(g, "nested attribute that is not nested", "PEER_DEL", IF + u32(A_PEER, 5), errno.EINVAL)
    expect_refusal(g, "PEER_DEL with a peer attribute it does not take", "PEER_DEL", IF + peer(u32(PEER_ID, 1), attr(PEER_VPN_IPV4, b"\x0a\x58\0\2")), errno.EINVAL)
    expect_refusal(g, "PEER_SET with a socket and half a remote endpoint", "PEER_SET", IF + peer(u32(PEER_ID, 1), u32(PEER_SOCKET, udp.fileno()), u16(PEER_REMOTE_PORT, 4433)), errno.EINVAL)
    err, msg, _ = g.request(CMD["PEER_GET"], IF + peer(u32(PEER_ID, 1)), flags=NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
    # the message only where the kernel passes extack to a dump's start (not 6.1)
    result(err == errno.EINVAL, f"PEER_GET dump with a peer nest -> {errno.errorcode.get(err, err)}: {msg or '(no message)'}",
           "want EINVAL")
    expect_refusal(g, "unknown top-level attribute (strict)", "PEER_DEL", IF + u32(60, 5) + peer(u32(PEER_ID, 1)), errno.EINVAL, want_msg=False)

    # Truncated netlink message: attribute claims more than the message holds.
    g.send_raw(g.msg(g.fam, CMD["PEER_DEL"], IF + struct.pack("=HH", 200, A_PEER) + b"\0" * 8))
    err, msg, _ = g.collect()
    result(err == errno.EINVAL or err == errno.ERANGE, f"attribute longer than the message -> {errno.errorcode.get(err, err)}")

    # Without CAP_NET_ADMIN every operation is refused, GET included.
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534)
            os.setuid(65534)
            u = Genl()
            bad = 0
            for c in CMD.values():
                e, _, _ = u.request(c, IF)
                bad += e != errno.EPERM
            os._exit(1 if bad else 0)
        except BaseException:
            os._exit(2)
    _, st = os.waitpid(pid, 0)
    result(os.WEXITSTATUS(st) == 0, "every operation needs CAP_NET_ADMIN (EPERM as nobody)")

    # Random soup: attribute trees with random types, lengths and nesting.
    rnd = random.Random(int(os.environ.get("FUZZ_SEED", "1")))

    def soup(depth=0):
        out = []
        for _ in range(rnd.randint(0, 6)):
            t = rnd.randint(0, 24)
            if depth < 4 and rnd.random() < 0.35:
                out.append(attr(t, soup(depth + 1) or [b""]))
            else:
                choice = rnd.random()
                if choice < 0.3:
                    out.append(u32(t, rnd.choice([0, 1, ifindex, 0xffffffff, rnd.getrandbits(32), udp.fileno()])))
                elif choice < 0.5:
                    out.append(u8(t, rnd.getrandbits(8)))
                elif choice < 0.6:
                    out.append(u64(t, rnd.getrandbits(64)))
                else:
                    out.append(attr(t, rnd.randbytes(rnd.choice([0, 1, 3, 4, 12, 16, 32, 33, 300]))))
        return out

    crashed = 0
    answered = 0
    for i in range(iters):
        cmd = rnd.randint(0, 20)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if rnd.random() < 0.2 else 0)
        attrs = b"".join(soup())
        if rnd.random() < 0.7:
            attrs = IF + attrs
        try:
            g.request(cmd, attrs, flags)
            answered += 1
        except (socket.timeout, OSError) as e:
            crashed += 1
            print(f"# iteration {i}: {e}")
            g = Genl()
    result(crashed == 0, f"{iters} random messages all answered ({answered})")
    # Clean up anything the random input managed to create.
    for c, a in (("PEER_DEL", peer), ):
        for pid_ in range(0, 25):
            g.request(CMD[c], IF + a(u32(PEER_ID, pid_)))
    for pol in range(0, 25):
        g.request(CMD["POLICY_DEL"], IF + attr(A_POLICY, [u32(POL_ID, pol)]))
    err, msg, _ = g.request(CMD["DEV_GET"], IF)
    result(err == 0, "device still answers after the fuzzing")
    return 0 if n_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
