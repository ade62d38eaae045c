#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile pre-login input for sekishod (issue 3, scenario 10).

Each case opens its own TLS connection to the gateway, sends raw bytes and
reads the status line.  Prints one line per case: NAME STATUS SECONDS, where
STATUS is the HTTP status code, "closed" (connection closed without a
status) or "timeout"; "-forged-context-adopted" is appended if the server set
the forged login context cookie it was sent; SECONDS is the time from the
last byte sent to the answer (or the close).  The "prompt-" cases (issue 11
item 12) send only the start of a request, cut right after the bytes that
make it impossible: the gateway must answer them at once, not at its read
timeout.  The caller decides what is acceptable; nothing here judges.

usage: hostile.py HOST PORT
"""
import socket
import ssl
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])

XML_HDR = b'<?xml version="1.0" encoding="UTF-8"?>\n'
INIT = (b'<config-auth client="vpn" type="init" aggregate-auth-version="2">'
        b'<version who="vpn">v9.01</version></config-auth>')


def post(path, body, extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: vpn.test\r\n"
            b"Content-Type: application/xml\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def get(path, extra=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: vpn.test\r\n" + extra + b"\r\n"


CASES = [
    ("long-request-line", b"GET /" + b"A" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("long-header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"B" * 20000 + b"\r\n\r\n"),
    ("many-headers", b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n"),
    ("huge-content-length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"),
    ("body-too-large", post(b"/", b"<a>" + b"x" * 70000 + b"</a>")),
    ("bad-method", b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("not-http", b"\x16\x03\x01\x00\x05hello\r\n\r\n"),
    ("nul-in-path", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("traversal-plain", get(b"/../../../../etc/passwd")),
    ("traversal-dotdot-profile", get(b"/profile/../../etc/passwd")),
    ("traversal-pct", get(b"/%2e%2e/%2e%2e/etc/passwd")),
    ("traversal-pct-upper", get(b"/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd")),
    ("traversal-double-pct", get(b"/%252e%252e/%252e%252e/etc/passwd")),
    ("traversal-overlong-utf8", get(b"/..%c0%af..%c0%afetc/passwd")),
    ("traversal-backslash", get(b"/..\\..\\etc\\passwd")),
    ("traversal-double-slash", get(b"//etc/passwd")),
    ("traversal-cscoe", get(b"/+CSCOE+/../../etc/passwd")),
    ("bad-chunk-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"),
    ("chunk-overflow", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"),
    ("cl-and-te", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("xml-doctype", post(b"/", XML_HDR + b'<!DOCTYPE x [<!ELEMENT x ANY>]>' + INIT)),
    ("xml-entity-expansion", post(b"/", XML_HDR +
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<config-auth client="vpn" type="init">&lol2;</config-auth>')),
    ("xml-external-entity", post(b"/", XML_HDR +
        b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/shadow">]><config-auth type="init">&xxe;</config-auth>')),
    ("xml-deep-nesting", post(b"/", XML_HDR + b"<a>" * 5000 + b"</a>" * 5000)),
    ("xml-malformed", post(b"/", XML_HDR + b"<config-auth type='init'><auth><username>x</config-auth>")),
    ("xml-not-utf8", post(b"/", XML_HDR + b"<config-auth type='init'>\xff\xfe</config-auth>")),
    ("cookie-forged-connect", b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.test\r\n"
        b"Cookie: webvpn=" + b"A" * 43 + b"\r\nX-CSTP-Version: 1\r\n\r\n"),
    ("cookie-truncated-connect", b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.test\r\n"
        b"Cookie: webvpn=abc\r\nX-CSTP-Version: 1\r\n\r\n"),
    ("cookie-garbage-connect", b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.test\r\n"
        b"Cookie: webvpn=\x01\x02;;==;webvpn=\r\nX-CSTP-Version: 1\r\n\r\n"),
    ("connect-no-cookie", b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.test\r\n\r\n"),
    ("connect-other-path", b"CONNECT /etc/passwd HTTP/1.1\r\nHost: vpn.test\r\n\r\n"),
    ("context-cookie-forged", post(b"/", XML_HDR + INIT, b"Cookie: webvpncontext=" + b"f" * 32 + b"\r\n")),
    # cut where the request became impossible: answered at once (505 / 400)
    ("prompt-http-2", b"GET / HTTP/2"),
    ("prompt-http-0.9", b"GET /\r\n"),
    ("prompt-empty-lines", b"\r\n" * 8),
    ("prompt-two-spaces", b"GET  /"),
    ("prompt-obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\n y"),
    ("prompt-bare-cr", b"GET / HTTP/1.1\r\nHost: x\ry"),
    ("prompt-space-before-colon", b"GET / HTTP/1.1\r\nHost : x"),
    ("prompt-chunk-overrun", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab"),
    ("prompt-chunk-too-large", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n"),
]


def run(name, data):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((HOST, PORT), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname="vpn.test") as s:
                try:
                    s.sendall(data)
                except OSError:
                    pass
                sent = time.monotonic()
                buf = b""
                while b"\r\n\r\n" not in buf and len(buf) < 16384:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
    except socket.timeout:
        return "timeout", 20.0
    except (OSError, ssl.SSLError):
        buf = b""
    took = time.monotonic() - sent if "sent" in locals() else 0.0
    line = buf.split(b"\r\n", 1)[0].split()
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        status = line[1].decode()
        # a forged login context must not be adopted: the answer is a new
        # login (200) with a context cookie of the server's own making
        if b"webvpncontext=" + b"f" * 32 in buf:
            status += "-forged-context-adopted"
        return status, took
    return "closed", took


for name, data in CASES:
    status, took = run(name, data)
    print(name, status, "%.1f" % took, flush=True)
