#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The kTLS stream of a peer (SEKISHO_A_PEER_STREAM_KIND ktls).

Run in the gateway namespace of lib.sh's topology with the allow-all
policy 1.  For each connection sk-ktls-gw (tests/tools) accepts on
10.10.1.1, does the TLS handshake with OpenSSL, installs kernel TLS and
passes the socket here; this script hands it to the module with PEER_NEW.
The far end is a real TLS client (Python's ssl module, OpenSSL) whose
socket lives in the cli namespace; it speaks CSTP (anyconnect-protocol.md
§5) with raw IP packets in DATA frames.  KTAP result lines.

The DTLS side added live (PEER_SET with a UDP socket, then KEY_NEW): a
kTLS peer under CSTP traffic gets its UDP socket and key without its
stream being touched; sk-testpeer (TESTPEER, with the keys of lib.sh's
gen_keys in T) is its DTLS client; pings go over both; a new socket drops
the old one's keys; closing the UDP socket ends the peer (socket-closed)
and its TCP connection; rmmod runs with traffic on both.

Usage: ktls.py IFNAME SK_KTLS_GW SEKICTL
"""
import ctypes
import importlib.util
import os
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nl = load("nlfuzz", "nl-fuzz.py")
sp = load("streampy", "stream.py")
sp.nl = nl                      # one test counter for both

PEER_STREAM = sp.uapi_peer_attr("STREAM")
PEER_STREAM_KIND = sp.uapi_peer_attr("STREAM_KIND")
KIND_KTLS = 1
VPN, SRV = sp.VPN, sp.SRV
GW_ADDR = "10.10.1.1:4443"
DATA, DPD_REQ, DPD_RESP, DISCONNECT, KEEPALIVE = 0, 3, 4, 5, 7
libc = ctypes.CDLL(None, use_errno=True)
# The debug kernel (KASAN, lockdep under TCG) encrypts a record many times
# slower than the stack answers a ping: a burst of pings fills the peer's
# transmit queue (256) however the module schedules its works, and the
# excess is dropped and counted (tx_errors), as by any bounded queue.
# There a burst checks that every ping was answered or counted as dropped;
# on Debian's kernels, that every one was answered.
DEBUG_KERNEL = "sekisho-debug" in os.uname().release


def all_answered(got, n, lost):
    """(ok, what) for a burst of n pings, got answered, lost dropped."""
    if DEBUG_KERNEL:
        return len(got) + lost == n, "each answered or counted as dropped (debug kernel): " \
            f"{len(got)}/{n}, tx_errors +{lost}"
    return len(got) == n and lost == 0, f"every one answered: {len(got)}/{n}, tx_errors +{lost}"


def skip(name, why):
    nl.n_tests += 1
    print(f"ok {nl.n_tests} {name} # SKIP {why}", flush=True)


def counter(name, ifname="sk0"):
    with open(f"/sys/class/net/{ifname}/sekisho/{name}") as f:
        return int(f.read())


def cli_socket():
    """A TCP socket of the cli namespace (setns affects this thread only)."""
    me = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open("/run/netns/cli", os.O_RDONLY)
    try:
        if libc.setns(other, 0x40000000):
            raise OSError(ctypes.get_errno(), "setns cli")
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        libc.setns(me, 0x40000000)
        os.close(me)
        os.close(other)


def frame(typ, payload=b"", magic=b"STF\x01", length=None):
    n = len(payload) if length is None else length
    return magic + struct.pack("!HBB", n, typ, 0) + payload


class Client:
    """The far end: OpenSSL through memory BIOs, so that records can be cut."""

    def __init__(self, sock, tls13):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        v = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
        ctx.minimum_version = ctx.maximum_version = v
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out)
        self.sock = sock
        self.buf = b""
        self.raw = b""          # ciphertext of a record not complete yet
        self.eof = False

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def handshake(self):
        self.sock.settimeout(5)
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("EOF in the handshake")
                self.inc.write(data)

    def record(self, data):
        """The TLS record(s) of data, not sent."""
        self.obj.write(data)
        return self.out.read()

    def send(self, typ, payload=b""):
        self.sock.sendall(self.record(frame(typ, payload)))

    def read_some(self, end):
        """Bytes from the socket before time end; None after end, or at the
        end of the stream (which sets eof)."""
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return None
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return None
        return data

    def frames(self, timeout):
        """Frames that arrive within timeout; sets eof when the stream ends."""
        out = []
        end = time.time() + timeout
        while not self.eof:
            data = self.read_some(end)
            if data is None:
                break
            self.inc.write(data)
            while True:
                try:
                    self.buf += self.obj.read(65536)
                except ssl.SSLWantReadError:
                    break
                except (ssl.SSLError, ssl.SSLEOFError):
                    self.eof = True
                    break
            while len(self.buf) >= 8:
                n = struct.unpack_from("!H", self.buf, 4)[0]
                if len(self.buf) < 8 + n:
                    break
                out.append((self.buf[6], self.buf[8:8 + n]))
                self.buf = self.buf[8 + n:]
            if out:
                break
        return out

    def record_frames(self, timeout):
        """Frames that arrive within timeout, decrypted one TLS record at a
        time: (frames, records that were not exactly one whole frame)."""
        out, bad = [], 0
        end = time.time() + timeout
        while not self.eof and not out:
            data = self.read_some(end)
            if data is None:
                break
            self.raw += data
            while len(self.raw) >= 5:
                n = 5 + struct.unpack_from("!H", self.raw, 3)[0]
                if len(self.raw) < n:
                    break
                self.inc.write(self.raw[:n])
                self.raw = self.raw[n:]
                try:
                    pt = self.obj.read(65536)
                except ssl.SSLWantReadError:
                    continue
                except (ssl.SSLError, ssl.SSLEOFError):
                    self.eof = True
                    break
                if len(pt) < 8 or len(pt) != 8 + struct.unpack_from("!H", pt, 4)[0]:
                    bad += 1
                else:
                    out.append((pt[6], pt[8:]))
        return out, bad

    def answer_pings(self, frames):
        """Echo replies to the echo requests among frames; how many."""
        n = 0
        for typ, p in frames:
            if typ != DATA or len(p) < 28 or p[0] != 0x45 or p[20] != 8:
                continue
            src, dst = socket.inet_ntoa(p[12:16]), socket.inet_ntoa(p[16:20])
            ident, seq = struct.unpack_from("!HH", p, 24)
            rep = sp.icmp_echo(dst, src, ident, seq, size=len(p) - 28)
            rep = rep[:20] + b"\0" + rep[21:]          # type 0: reply
            rep = rep[:22] + b"\0\0" + rep[24:]
            rep = rep[:22] + struct.pack("!H", sp.csum(rep[20:])) + rep[24:]
            self.send(DATA, rep)
            n += 1
        return n


def wait_eof(cl, timeout=5.0):
    """Read (and drop) frames until the stream ends."""
    end = time.time() + timeout
    while not cl.eof and time.time() < end:
        cl.frames(end - time.time())
    return cl.eof


def echo_replies(frames, ident):
    seqs = set()
    for typ, p in frames:
        if typ == DATA and len(p) >= 28 and p[20] == 0 and \
                struct.unpack_from("!H", p, 24)[0] == ident:
            seqs.add(struct.unpack_from("!H", p, 26)[0])
    return seqs


class Gateway:
    def __init__(self, ifname, tool):
        self.ifindex = socket.if_nametoindex(ifname)
        self.tool = tool
        self.g = nl.Genl()
        self.next_id = 100

    def connect(self, tls, cipher):
        """(Client, kTLS fd or None, status) of one fresh connection."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        gw = subprocess.Popen([self.tool, "--listen", GW_ADDR, "--tls", tls,
                               "--cipher", cipher, "--pass-fd", str(theirs.fileno())],
                              pass_fds=[theirs.fileno()], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        theirs.close()
        try:
            if gw.stdout.readline().strip() != b"listening":
                return None, None, "sk-ktls-gw: " + gw.stderr.read().decode()
            s = cli_socket()
            host, port = GW_ADDR.split(":")
            s.connect((host, int(port)))
            cl = Client(s, tls == "1.3")
            cl.handshake()
            mine.settimeout(5)
            msg, fds, _, _ = socket.recv_fds(mine, 256, 1)
            status = msg.decode().strip()
            return cl, (fds[0] if fds else None), status
        except Exception as e:      # noqa: BLE001 - reported as a failure
            return None, None, f"{type(e).__name__}: {e} {gw.stderr.read().decode()}"
        finally:
            mine.close()
            try:
                gw.wait(5)
            except subprocess.TimeoutExpired:
                gw.kill()
                gw.wait()

    def peer_new(self, fd, kind=KIND_KTLS, vpn=VPN):
        pid = self.next_id
        self.next_id += 1
        extra = [nl.u32(PEER_STREAM, fd)]
        if kind is not None:
            extra.append(nl.u32(PEER_STREAM_KIND, kind))
        err, msg, _ = sp.peer_new(self.g, self.ifindex, pid, extra, vpn=vpn)
        return pid, err, msg

    def peer_set(self, pid, extra):
        err, msg, _ = self.g.request(nl.CMD["PEER_SET"], nl.u32(nl.A_IFINDEX, self.ifindex) +
                                     nl.attr(nl.A_PEER, [nl.u32(nl.PEER_ID, pid)] + extra))
        return err, msg

    def exists(self, pid):
        err, _, _ = self.g.request(nl.CMD["PEER_GET"], nl.u32(nl.A_IFINDEX, self.ifindex) +
                                   nl.attr(nl.A_PEER, [nl.u32(nl.PEER_ID, pid)]))
        return err == 0


def wait_gone(gw, pid, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if not gw.exists(pid):
            return True
        time.sleep(0.05)
    return False


def reason_of(events, pid, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        with open(events) as f:
            for line in f:
                w = line.split()
                if "peer-del" in w and f"peer {pid} " in line + " " and "reason" in w:
                    return w[w.index("reason") + 1]
        time.sleep(0.05)
    return None


def refusals(gw, cl, fd):
    """What a ktls stream must be: each refusal says what is wrong."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    _, err, msg = gw.peer_new(udp.fileno())
    sp.refused("ktls: a UDP socket is refused", (err, msg, None), 91)
    udp.close()
    k, w = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    _, err, msg = gw.peer_new(k.fileno())
    sp.refused("ktls: a SOCK_SEQPACKET socket as ktls is refused", (err, msg, None), 91)
    k.close()
    w.close()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    _, err, msg = gw.peer_new(tcp.fileno())
    sp.refused("ktls: an unconnected TCP socket is refused", (err, msg, None), 107)
    tcp.close()
    _, err, msg = gw.peer_new(fd, kind=None)
    sp.refused("ktls: a kTLS socket as the worker relay is refused", (err, msg, None), 91)
    _, err, msg = gw.peer_new(fd, kind=2)
    sp.refused("ktls: an unknown stream kind is refused", (err, msg, None), 34)
    err, msg, _ = sp.peer_new(gw.g, gw.ifindex, 99, [nl.u32(PEER_STREAM_KIND, KIND_KTLS)])
    sp.refused("ktls: a stream kind without a stream is refused", (err, msg, None), 22)
    nl.result("STREAM_KIND" in msg, "ktls: ... and the message names the kind", msg)


def plain_tcp_refused(gw):
    """A connected TCP socket without kernel TLS."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("10.10.1.1", 0))
    ls.listen(1)
    c = cli_socket()
    c.connect(ls.getsockname())
    a, _ = ls.accept()
    _, err, msg = gw.peer_new(a.fileno())
    sp.refused("ktls: a TCP socket without kernel TLS is refused", (err, msg, None), 92)
    for s in (a, c, ls):
        s.close()


def data_path(gw, cl, pid, name):
    """Pings both ways, DPD and keepalive; True when all passed."""
    ident = 0x6b00 + pid
    rx0, tx0 = counter("rx_packets"), counter("tx_packets")
    dpd0, ka0 = counter("dpd_answered"), counter("keepalives")
    for i in range(3):
        cl.send(DATA, sp.icmp_echo(VPN, SRV, ident, i))
    got = set()
    end = time.time() + 3
    while len(got) < 3 and time.time() < end:
        got |= echo_replies(cl.frames(0.5), ident)
    ok = len(got) == 3
    nl.result(ok, f"{name}: client -> server ping through the kernel ({len(got)}/3)")
    cl.send(DATA, sp.icmp_echo(VPN, SRV, ident, 9, size=1300))
    big = 9 in echo_replies(cl.frames(2), ident)
    nl.result(big, f"{name}: 1328-byte ping")
    ping = subprocess.Popen(["ip", "netns", "exec", "srv", "ping", "-c", "3", "-i", "0.2",
                             "-W", "2", VPN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    answered = 0
    end = time.time() + 4
    while ping.poll() is None and time.time() < end:
        answered += cl.answer_pings(cl.frames(0.2))
    out = ping.communicate(timeout=5)[0].decode()
    back = ping.returncode == 0 and "3 received" in out
    nl.result(back, f"{name}: server -> client ping through the kernel "
              f"({answered} answered)", out)
    cl.send(DPD_REQ, b"probe-" + bytes([pid & 0xff]))
    cl.send(KEEPALIVE)
    fr = cl.frames(2)
    dpd = any(t == DPD_RESP and p == b"probe-" + bytes([pid & 0xff]) for t, p in fr)
    time.sleep(0.1)
    dpd_c, ka_c = counter("dpd_answered") - dpd0, counter("keepalives") - ka0
    nl.result(dpd and dpd_c >= 1 and ka_c >= 1,
              f"{name}: DPD answered by the kernel with the same payload, keepalive "
              f"counted (dpd_answered +{dpd_c}, keepalives +{ka_c})")
    # frames cut across TLS records at odd places (a header cut in two, a
    # payload cut in two, two frames' bytes in one record), each record
    # read on its own: the module completes a frame a bulk read cut
    cident = ident + 0x40
    blob = b"".join(frame(DATA, sp.icmp_echo(VPN, SRV, cident, i)) for i in range(3))
    cuts = [0, 3, 8 + 50, len(blob) // 2 + 1, len(blob) - 5, len(blob)]
    got = set()
    try:
        for a, b in zip(cuts, cuts[1:]):
            cl.sock.sendall(cl.record(blob[a:b]))
            time.sleep(0.05)
        end = time.time() + 3
        while len(got) < 3 and time.time() < end and not cl.eof:
            got |= echo_replies(cl.frames(0.5), cident)
    except OSError:
        pass        # the module ended the stream: a frame was lost
    cut = len(got) == 3
    nl.result(cut, f"{name}: frames cut across TLS records at any byte: "
              f"every ping answered ({len(got)}/3)")
    # a burst: 40 pings in one write, read in one receive run and handed up
    # together; their 40 replies queue together and go out in one corked
    # run of sends: every reply comes back, each TLS record exactly one
    # whole frame (openconnect reads a frame per record)
    bident, nb = ident + 0x80, 40
    cl.sock.sendall(b"".join(cl.record(frame(DATA, sp.icmp_echo(VPN, SRV, bident, i,
                                                                size=1000)))
                             for i in range(nb)))
    got, bad = set(), 0
    end = time.time() + 5
    while len(got) < nb and time.time() < end and not cl.eof:
        fr, b = cl.record_frames(0.5)
        bad += b
        got |= echo_replies(fr, bident)
    cl.inc.write(cl.raw)
    cl.raw = b""
    burst = len(got) == nb and bad == 0
    nl.result(burst, f"{name}: a burst of {nb} pings answered ({len(got)}/{nb}), one frame "
              f"per TLS record ({bad} records otherwise)")
    # 400 small pings in ONE record: one bulk read returns them all, more
    # than the transmit queue holds (256); the stream's works share one
    # CPU's pool, so the receive run must stop at its frame budget and let
    # the transmit work send the replies before it delivers more
    fident, nf = ident + 0xc0, 400
    err0 = counter("tx_errors")
    cl.sock.sendall(cl.record(b"".join(frame(DATA, sp.icmp_echo(VPN, SRV, fident, i,
                                                                size=0))
                                       for i in range(nf))))
    got = set()
    end = time.time() + 8
    while len(got) < nf and time.time() < end and not cl.eof:
        got |= echo_replies(cl.frames(0.5), fident)
    flood, what = all_answered(got, nf, counter("tx_errors") - err0)
    flood = flood and not cl.eof
    nl.result(flood, f"{name}: {nf} pings in one TLS record: {what}")
    nb += len(got)
    rx, tx = counter("rx_packets") - rx0, counter("tx_packets") - tx0
    carried = rx >= 10 + nb and tx >= 10 + nb
    nl.result(carried, f"{name}: the kernel counted the packets (rx +{rx}, tx +{tx})")
    return ok and big and back and dpd and cut and burst and flood and carried


def one_suite(gw, events, tls, cipher, first):
    name = f"TLS {tls} {cipher}"
    cl, fd, status = gw.connect(tls, cipher)
    if status.startswith("notls"):
        return "notls"
    if status.startswith("nocipher"):
        skip(f"ktls: {name}", f"the kernel cannot offload it ({status})")
        return "skip"
    nl.result(fd is not None and status == "ok", f"{name}: handshake and kTLS installed",
              status)
    if fd is None:
        return "fail"
    if first:
        refusals(gw, cl, fd)
        plain_tcp_refused(gw)
    pid, err, msg = gw.peer_new(fd)
    os.close(fd)            # the kernel holds its own reference
    nl.result(err == 0, f"{name}: peer with the kTLS stream added", f"{err} {msg}")
    if err:
        return "fail"
    data_path(gw, cl, pid, name)
    cl.send(DISCONNECT, b"\xb0Aborted by caller")
    gone = wait_gone(gw, pid)
    why = reason_of(events, pid)
    eof = wait_eof(cl)
    nl.result(gone and why == "client-disconnect" and eof,
              f"{name}: DISCONNECT ends the peer (reason {why}) and the kernel closes "
              "the connection")
    cl.sock.close()
    return "ok"


def ending(gw, events, tls, cipher, name, act, want, stat=None):
    """A fresh connection and peer, one ping, then act(client); the peer must
    go away with reason want (and counter stat grow)."""
    t0 = time.time()
    cl, fd, status = gw.connect(tls, cipher)
    if fd is None:
        nl.result(False, f"{name}: connection", status)
        return
    pid, err, msg = gw.peer_new(fd)
    os.close(fd)
    if err:
        nl.result(False, f"{name}: peer added", f"{err} {msg}")
        return
    cl.send(DATA, sp.icmp_echo(VPN, SRV, 0x6c00 + pid, 1))
    first = bool(echo_replies(cl.frames(2), 0x6c00 + pid))
    c0 = counter(stat) if stat else 0
    act(cl)
    gone = wait_gone(gw, pid)
    why = reason_of(events, pid)
    grew = counter(stat) - c0 if stat else 1
    extra = f", {stat} +{grew}" if stat else ""
    nl.result(first and gone and why == want and grew > 0,
              f"{name}: the peer ends (reason {why}{extra})",
              f"first ping {first}, gone {gone}, want {want}")
    print(f"# {name}: {time.time() - t0:.1f} s", flush=True)
    try:
        cl.sock.close()
    except OSError:
        pass


def tamper(cl):
    rec = bytearray(cl.record(frame(DATA, sp.icmp_echo(VPN, SRV, 0x6d00, 1))))
    rec[-1] ^= 0x55                 # the AEAD tag
    cl.sock.sendall(bytes(rec))


def truncate(cl):
    rec = cl.record(frame(DATA, sp.icmp_echo(VPN, SRV, 0x6d01, 1)))
    cl.sock.sendall(rec[:len(rec) // 2])
    cl.sock.shutdown(socket.SHUT_WR)


def traffic(cl, count, ident, vpn=VPN):
    """A ping flood from the server and count pings from the client; the
    flood's process."""
    ping = subprocess.Popen(["ip", "netns", "exec", "srv", "ping", "-c", str(4 * count),
                             "-i", "0.005", "-W", "1", vpn], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for i in range(count):
        cl.send(DATA, sp.icmp_echo(vpn, SRV, ident, i))
    return ping


def reset_under_traffic(cl):
    ping = traffic(cl, 50, 0x6d02)
    time.sleep(0.3)
    cl.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cl.sock.close()
    ping.wait(10)


def close_notify(cl):
    try:
        cl.obj.unwrap()
    except ssl.SSLWantReadError:
        pass
    cl.flush()


def rmmod_with_traffic(gw, tls, cipher, dtls):
    """With dtls (a DtlsSide whose client runs): the peer also has a UDP
    socket and key, and the DTLS client pings too."""
    vpn = DUAL_VPN if dtls else VPN
    cl, fd, status = gw.connect(tls, cipher)
    if fd is None:
        nl.result(False, "rmmod: connection", status)
        return
    pid, err, msg = gw.peer_new(fd, vpn=vpn)
    os.close(fd)
    both, udp = "", None
    if dtls and not err:
        udp = dtls.socket()     # open until the end: closing it ends the peer
        err, msg = dtls.add(gw, pid, udp)
        both = " and a DTLS key"
        dping = subprocess.Popen(["ip", "netns", "exec", "cli", "ping", "-c", "200", "-i",
                                  "0.005", "-W", "1", SRV], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    ping = traffic(cl, 100, 0x6e00, vpn)
    time.sleep(0.2)
    gw.g.s.close()
    rc = subprocess.run(["rmmod", "sekisho"], capture_output=True, text=True)
    wait_eof(cl)
    nl.result(err == 0 and rc.returncode == 0 and cl.eof,
              f"rmmod with a live kTLS peer{both} under traffic: clean, the connection "
              "closes", f"peer {err} {msg}; rmmod {rc.returncode} {rc.stderr}; eof {cl.eof}")
    ping.wait(10)
    if udp:
        dping.wait(10)
        udp.close()
    cl.sock.close()


DUAL_VPN = "10.88.0.2"      # sk-testpeer's tun0 address
UDP_GW = ("10.10.1.1", 4433)
UDP_CLI = ("10.10.1.2", 40000)


class DtlsSide:
    """The DTLS half of a peer: UDP sockets on the gateway, the key of
    lib.sh's gen_keys, sk-testpeer as the client in the cli namespace."""

    def __init__(self, sekictl, testpeer, tdir):
        self.sekictl, self.testpeer, self.t = sekictl, testpeer, tdir
        self.proc = None

    def socket(self, port=UDP_GW[1], connect=True):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind((UDP_GW[0], port))
        if connect:
            u.connect(UDP_CLI)
        return u

    def key(self, pid):
        r = subprocess.run([self.sekictl, "key", "add", "sk0", str(pid), "--epoch", "1",
                            "--cipher", "aes128-gcm", "--keys", f"{self.t}/gw.keys"],
                           capture_output=True, text=True)
        return r.returncode, (r.stdout + r.stderr).strip()

    def add(self, gw, pid, udp, extra=()):
        """PEER_SET with the socket, then KEY_NEW: (errno, message)."""
        err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, udp.fileno())] + list(extra))
        if err:
            return err, msg
        rc, out = self.key(pid)
        return (0, "") if rc == 0 else (-1, out)

    def keys(self, pid):
        """The peer's DTLS key slots as sekictl shows them."""
        r = subprocess.run([self.sekictl, "peer", "show", "sk0", str(pid), "--json"],
                           capture_output=True, text=True)
        return r.stdout.count('"epoch"')

    def start(self):
        subprocess.run(["ip", "-n", "cli", "link", "del", "tun0"], stderr=subprocess.DEVNULL)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", "cli", self.testpeer, "tunnel", "--local",
             "%s:%d" % UDP_CLI, "--remote", "%s:%d" % UDP_GW, "--cipher", "aes128-gcm",
             "--epoch", "1", "--keys", f"{self.t}/cli.keys", "--tun", "tun0",
             "--tun-addr", DUAL_VPN + "/24", "--mtu", "1400"],
            stdout=subprocess.DEVNULL, stderr=open(f"{self.t}/dual-peer.log", "w"))
        end = time.time() + 10
        while time.time() < end:
            if subprocess.run(["ip", "-n", "cli", "link", "show", "tun0"],
                              capture_output=True).returncode == 0:
                subprocess.run(["ip", "-n", "cli", "route", "replace", "10.20.0.0/24", "dev",
                                "tun0"])
                return True
            time.sleep(0.05)
        return False

    def pause(self, stop):
        """SIGSTOP/SIGCONT: a silent client (any record it sends, even its
        tun device's own traffic, moves the kernel's answers to DTLS)."""
        if self.proc:
            self.proc.send_signal(signal.SIGSTOP if stop else signal.SIGCONT)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


def ns_ping(ns, dst, count=3):
    r = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2",
                        "-W", "2", dst], capture_output=True, text=True)
    return r.returncode == 0, r.stdout


def set_refusals(gw, dtls, pid):
    """PEER_SET with a socket: each refusal says what is wrong."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, tcp.fileno())])
    sp.refused("dtls live: PEER_SET with a TCP socket is refused", (err, msg, None), 93)
    tcp.close()
    unbound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, unbound.fileno())])
    sp.refused("dtls live: PEER_SET with an unbound UDP socket is refused", (err, msg, None),
               22)
    unbound.close()
    loose = dtls.socket(port=4434, connect=False)
    err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, loose.fileno())])
    sp.refused("dtls live: an unconnected socket without a remote is refused",
               (err, msg, None), 89)
    err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, loose.fileno()),
                                 nl.u16(nl.PEER_REMOTE_PORT, 40000)])
    sp.refused("dtls live: a remote port without an address is refused", (err, msg, None), 22)
    loose.close()
    nl.result(gw.exists(pid), "dtls live: the peer lives on after the refusals")


def send_slowly(sock, data, chunk=700):
    """Frames cut across sends, so that the kernel holds half-read ones."""
    for i in range(0, len(data), chunk):
        sock.sendall(data[i:i + chunk])
        time.sleep(0.002)


def dual(gw, events, dtls, tls, cipher):
    """A kTLS peer gets its UDP socket and DTLS key live, under traffic."""
    t0 = time.time()
    name = f"dtls live ({tls} {cipher})"
    cl, fd, status = gw.connect(tls, cipher)
    if fd is None:
        nl.result(False, f"{name}: connection", status)
        return False
    pid, err, msg = gw.peer_new(fd, vpn=DUAL_VPN)
    os.close(fd)
    if err:
        nl.result(False, f"{name}: kTLS peer added", f"{err} {msg}")
        return False
    set_refusals(gw, dtls, pid)
    # 300 pings over the stream, written in pieces while PEER_SET and
    # KEY_NEW run: every reply must come back, on the same stream
    ident, n = 0x6f00, 300
    recs = b"".join(cl.record(frame(DATA, sp.icmp_echo(DUAL_VPN, SRV, ident, i)))
                    for i in range(n))
    udp = dtls.socket()
    err0 = counter("tx_errors")
    writer = threading.Thread(target=send_slowly, args=(cl.sock, recs))
    writer.start()
    time.sleep(0.02)
    err, msg = dtls.add(gw, pid, udp)
    writer.join()
    got = set()
    end = time.time() + 5
    while len(got) < n and time.time() < end and not cl.eof:
        got |= echo_replies(cl.frames(0.5), ident)
    nl.result(err == 0, f"{name}: PEER_SET adds the UDP socket and KEY_NEW its key "
              "to the live kTLS peer", f"{err} {msg}")
    all_back, what = all_answered(got, n, counter("tx_errors") - err0)
    nl.result(all_back and gw.exists(pid) and not cl.eof,
              f"{name}: the stream went on under it ({what}; peer alive)")
    nl.result(dtls.keys(pid) == 1, f"{name}: the peer shows its DTLS key")
    # DTLS: sk-testpeer's tun0 carries the cli namespace's pings
    up = dtls.start()
    ok, out = ns_ping("cli", SRV)
    nl.result(up and ok, f"{name}: client -> server ping over DTLS", out)
    ok, out = ns_ping("srv", DUAL_VPN)
    nl.result(ok, f"{name}: server -> client ping over DTLS (the client talked DTLS last)",
              out)
    # TLS again: the client's next frame moves the answers back to the stream
    dtls.pause(True)
    cl.send(DATA, sp.icmp_echo(DUAL_VPN, SRV, ident + 1, 1))
    back = echo_replies(cl.frames(2), ident + 1)
    nl.result(bool(back), f"{name}: client -> server ping over kTLS beside DTLS")
    ping = subprocess.Popen(["ip", "netns", "exec", "srv", "ping", "-c", "3", "-i", "0.2",
                             "-W", "2", DUAL_VPN], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    answered = 0
    end = time.time() + 4
    while ping.poll() is None and time.time() < end:
        answered += cl.answer_pings(cl.frames(0.2))
    out = ping.communicate(timeout=5)[0].decode()
    nl.result(answered >= 3 and ping.returncode == 0,
              f"{name}: server -> client ping over kTLS (the client talked TLS last, "
              f"{answered} answered)", out)
    # a new socket (a handshake from a new address) drops the old one's keys
    # and frees the old socket: closing it then changes nothing
    new = dtls.socket(port=4434, connect=False)
    err, msg = gw.peer_set(pid, [nl.u32(nl.PEER_SOCKET, new.fileno()),
                                 sp.attr_in4(nl.PEER_REMOTE_IPV4, UDP_CLI[0]),
                                 nl.u16(nl.PEER_REMOTE_PORT, UDP_CLI[1])])
    udp.close()
    keys = dtls.keys(pid)
    nl.result(err == 0 and keys == 0 and gw.exists(pid),
              f"{name}: a new UDP socket replaces the old one and drops its key; closing "
              "the old one leaves the peer", f"{err} {msg} keys {keys}")
    rc, out = dtls.key(pid)
    nl.result(rc == 0, f"{name}: KEY_NEW for the new socket", out)
    # closing the peer's UDP socket ends the peer, and with it the stream
    new.close()
    gone = wait_gone(gw, pid)
    why = reason_of(events, pid)
    eof = wait_eof(cl)
    nl.result(gone and why == "socket-closed" and eof,
              f"{name}: closing the UDP socket ends the peer (reason {why}) and its TCP "
              f"connection (eof {eof})")
    print(f"# {name}: {time.time() - t0:.1f} s", flush=True)
    cl.sock.close()
    dtls.pause(False)
    return True


def main():
    ifname, tool, sekictl = sys.argv[1:4]
    gw = Gateway(ifname, tool)
    events = os.environ.get("T", "/tmp") + "/ktls-events.txt"
    mon = subprocess.Popen([sekictl, "monitor", "--timeout", "300"],
                           stdout=open(events, "w"), stderr=subprocess.STDOUT)
    time.sleep(0.3)
    first = True
    done = []
    for tls in ("1.2", "1.3"):
        for cipher in ("aes128", "aes256", "chacha"):
            t0 = time.time()
            r = one_suite(gw, events, tls, cipher, first)
            print(f"# TLS {tls} {cipher}: {time.time() - t0:.1f} s", flush=True)
            if r == "notls":
                skip("ktls", "no kernel TLS (the tls module is not available)")
                mon.kill()
                return
            if r == "ok":
                done.append((tls, cipher))
            first = False
    if not done:
        mon.kill()
        return
    tls, cipher = done[-1]
    t = f"TLS {tls} {cipher}"
    ending(gw, events, tls, cipher, f"{t}: a tampered record", tamper,
           "tls-bad-record", "drop_auth")
    ending(gw, events, tls, cipher, f"{t}: a record cut short, then FIN", truncate,
           "stream-closed")
    ending(gw, events, tls, cipher, f"{t}: TCP reset under traffic", reset_under_traffic,
           "stream-closed")
    ending(gw, events, tls, cipher, f"{t}: close_notify (an alert record)", close_notify,
           "tls-record")
    ending(gw, events, tls, cipher, f"{t}: a bad CSTP header",
           lambda c: c.sock.sendall(c.record(frame(DATA, b"x" * 40, magic=b"STG\x01"))),
           "stream-malformed", "drop_malformed")
    ending(gw, events, tls, cipher, f"{t}: a CSTP length over the MTU bound",
           lambda c: c.sock.sendall(c.record(frame(DATA, b"", length=65535))),
           "stream-malformed", "drop_malformed")
    dtls = DtlsSide(sekictl, os.environ["TESTPEER"], os.environ["T"])
    live = dual(gw, events, dtls, tls, cipher)
    mon.kill()
    # the DTLS client keeps running: its records reach the next peer's key
    rmmod_with_traffic(gw, tls, cipher, dtls if live and dtls.proc else None)
    dtls.stop()


if __name__ == "__main__":
    main()
    print(f"1..{nl.n_tests}")
    sys.exit(1 if nl.n_failed else 0)
