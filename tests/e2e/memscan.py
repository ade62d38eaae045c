#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
memscan.py - look for secrets in a live process, and hold a pre-login
connection open to the gateway so that there is a worker to look at.

  memscan.py scan PID CANARIES.json   print one line per canary found in
                                      PID's readable memory (/proc/PID/mem);
                                      exit 0 if none, 1 if any, 2 on error
  memscan.py hold HOST ADDR SECONDS READYFILE
                                      TLS to ADDR:443 (SNI HOST), POST an
                                      AnyConnect init, read the login form,
                                      touch READYFILE, then keep the
                                      connection open for SECONDS

CANARIES.json: {"name": "hex bytes", ...}.  Each canary is searched as
given; the caller adds byte-reversed forms where memory may hold a number
little-endian (OpenSSL's BIGNUM limbs on x86).
"""
import json
import os
import re
import socket
import ssl
import sys
import time


def scan(pid, canaries):
    found = set()
    longest = max((len(c) for c in canaries.values()), default=1)
    with open(f"/proc/{pid}/maps") as f:
        maps = f.read().splitlines()
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    regions = 0
    try:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r" or line.endswith(("[vvar]", "[vsyscall]")):
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            pos, tail = start, b""
            while pos < end:
                n = min(end - pos, 1 << 20)
                try:
                    chunk = os.pread(fd, n, pos)
                except OSError:
                    break
                if not chunk:
                    break
                data = tail + chunk
                for name, c in canaries.items():
                    if name not in found and c in data:
                        found.add(name)
                tail = data[-(longest - 1):] if longest > 1 else b""
                pos += len(chunk)
            regions += 1
    finally:
        os.close(fd)
    return found, regions


def hold(host, addr, seconds, ready):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection((addr, 443), timeout=60), server_hostname=host)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" type="init">'
            '<version who="vpn">9.01</version><group-access>https://%s/</group-access>'
            '</config-auth>' % host).encode()
    s.sendall(b"POST / HTTP/1.1\r\nHost: " + host.encode() +
              b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\n\r\n" + body)
    got = b""
    while b"</config-auth>" not in got:
        d = s.recv(65536)
        if not d:
            break
        got += d
    if b"<auth" not in got:
        print("no login form in the answer", file=sys.stderr)
        return 1
    open(ready, "w").close()
    time.sleep(seconds)
    s.close()
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "scan":
        canaries = {k: bytes.fromhex(v) for k, v in json.load(open(sys.argv[3])).items()}
        found, regions = scan(int(sys.argv[2]), canaries)
        for name in sorted(found):
            print(f"found {name}")
        print(f"# {len(canaries)} canaries, {regions} regions, {len(found)} found")
        return 1 if found else 0
    if len(sys.argv) == 6 and sys.argv[1] == "hold":
        return hold(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
