#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What this Linux machine can check of the posture agents (issue 12):
#   - every shell agent and the wrapper parse (sh -n);
#   - the macOS agent, run on Linux against stub commands (sw_vers,
#     fdesetup, softwareupdate, defaults) put first on PATH: its parsing of
#     their output and its report, which the gateway's parser accepts
#     (sekictl posture test).  The stubs print what Apple documents; the
#     agent was not run on macOS.  Its absolute paths (XProtect bundle,
#     socketfilterfw) are absent here: no antivirus or firewall line.
#   - the Windows agent's syntax, with the tree-sitter PowerShell grammar
#     (WebAssembly, npm packages web-tree-sitter and tree-sitter-powershell
#     in $SEKISHO_TS_DIR/node_modules, default /tmp/sekisho-ts; skipped
#     without them); there is no PowerShell in Debian, so it is not run.
#   - the wrapper's --recheck (issue 12 (b)), as nobody, against a local
#     HTTP server in the gateway's place: the report posted, the answer
#     printed, the exit status.
# Usage: tests/posture/agents-test.sh [BUILD]   (TAP; BUILD has sekictl)
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)
BUILD=${1:-$REPO/build}
. "$REPO/tests/lib/tap.sh"
T=$(mktemp -d /tmp/agents-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
A=$REPO/packaging/agents

for f in "$A/linux.sh" "$A/macos.sh" "$REPO/packaging/sekisho-hostscan.sh"; do
	ok "sh -n ${f#"$REPO"/}" sh -n "$f"
	command -v dash >/dev/null && ok "dash -n ${f#"$REPO"/}" dash -n "$f"
done

# ---- the wrapper's --recheck (issue 12 (b)): the report to the URL ----
# a local HTTP server in the gateway's place (python3's http.server) keeps
# what it got and answers as sekishod does; the wrapper runs as nobody
ok "--recheck without a URL of the notice's form: exit 2, ja/en" sh -c \
	"out=\$(sh '$REPO/packaging/sekisho-hostscan.sh' --recheck https://evil.example/ 2>&1); test \$? = 2 &&
	 printf '%s' \"\$out\" | grep -q 'needs the URL of the quarantine notice' &&
	 printf '%s' \"\$out\" | grep -q '隔離の通知にある URL'"
cat >"$T/srv.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        open(sys.argv[2], "wb").write(self.command.encode() + b" " + self.path.encode() + b"\n" + body)
        self.send_response(403 if b"fail" in open(sys.argv[3], "rb").read() else 200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write("隔離は続きます。/ The quarantine stays.\n".encode())
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.handle_request()
PY
rc_run() {	# ANSWER: one re-check against the server; its exit status
	local port
	echo "$1" >"$T/answer"
	rm -f "$T/port" "$T/got"
	/usr/bin/python3 "$T/srv.py" "$T/port" "$T/got" "$T/answer" &
	for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	port=$(cat "$T/port")
	setpriv --reuid=nobody --regid=nogroup --clear-groups sh "$REPO/packaging/sekisho-hostscan.sh" \
		--recheck "http://127.0.0.1:$port/recheck" >"$T/out" 2>&1
	local rc=$?
	wait
	return $rc
}
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	rc_run ok
	ok "--recheck as nobody: POST /recheck with the report and the posture block, exit 0 on 200" \
		sh -c "head -n 1 '$T/got' | grep -qx 'POST /recheck' && grep -q '^endpoint.os.version=' '$T/got' &&
		       grep -q '^endpoint.posture.format=\"1\";' '$T/got'"
	rc_run fail
	ok "--recheck: the gateway's refusal printed (ja/en)" sh -c \
		"grep -q '隔離は続きます。/ The quarantine stays' '$T/out'"
	rc_run fail; r=$?
	ok "--recheck: exit 1 on a refusal (got $r)" test "$r" = 1
else
	echo "ok $((N += 1)) --recheck as nobody # SKIP needs root and setpriv"
fi

# ---- the Linux agent's last security update, from real apt state ----
# A scratch apt (APT_CONFIG: its own sources, lists, status and history;
# apt-config and apt-cache read it as on a client): Packages lists of a
# Debian security suite, the main suite and an Ubuntu security suite,
# and apt history blocks.  Only a run that installed a version a
# "-security" suite offers counts.
A_=$T/apt
mkdir -p "$A_/lists/partial" "$A_/cache/archives/partial" "$A_/etc/sources.list.d" "$A_/etc/preferences.d" "$A_/log"
chmod 755 "$T"
: >"$A_/status"
cat >"$A_/apt.conf" <<E
Dir::State::Lists "$A_/lists";
Dir::State::status "$A_/status";
Dir::Cache "$A_/cache";
Dir::Etc::sourcelist "$A_/etc/sources.list";
Dir::Etc::sourceparts "$A_/etc/sources.list.d";
Dir::Etc::preferencesparts "$A_/etc/preferences.d";
Dir::Log::History "$A_/log/history.log";
E
cat >"$A_/etc/sources.list" <<'E'
deb http://deb.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main
deb http://archive.example/ubuntu jammy-security main
E
arch=$(dpkg --print-architecture)
pk() { printf 'Package: %s\nVersion: %s\nArchitecture: %s\nDescription: x\n\n' "$1" "$2" "$arch"; }
{ pk libssl3 3.0.15-1~deb12u1; pk tzdata 2025b-0+deb12u1; pk libc6 2.36-9+deb12u10; } \
	>"$A_/lists/deb.example_debian_dists_bookworm_main_binary-${arch}_Packages"
{ pk libssl3 3.0.17-1~deb12u2; pk libc6 2.36-9+deb12u13; } \
	>"$A_/lists/security.example_debian-security_dists_bookworm-security_main_binary-${arch}_Packages"
pk openssh-client 1:8.9p1-3ubuntu0.13 \
	>"$A_/lists/archive.example_ubuntu_dists_jammy-security_main_binary-${arch}_Packages"
# block DAYS-AGO UPGRADE-LINE: one run of apt as history.log writes it
block() {
	local d
	d=$(date -d "$1 days ago" +%F)
	printf 'Start-Date: %s  06:25:13\nCommandline: apt-get upgrade\nUpgrade: %s\nEnd-Date: %s  06:25:20\n\n' "$d" "$2" "$d"
}
upd() { APT_CONFIG="$A_/apt.conf" sh "$A/linux.sh" | sed -n 's/^endpoint\.posture\.update\.last="\(.*\)";$/\1/p'; }
d10=$(date -d '10 days ago' +%F) d40=$(date -d '40 days ago' +%F) d5=$(date -d '5 days ago' +%F)
# a security run 10 days ago, then two newer ones that installed only
# versions of the main suite or versions no list offers any more
{ block 10 'libc6:amd64 (2.36-9+deb12u10, 2.36-9+deb12u13), libssl3:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2)'
  block 3 'tzdata:all (2025a-0+deb12u1, 2025b-0+deb12u1)'
  block 2 'libssl3:amd64 (3.0.17-1~deb12u2, 3.0.18-1~deb12u1)'; } >"$A_/log/history.log"
v=$(upd)
ok "linux.sh update.last: the newest run that installed a -security version ($v, want $d10), not the newest upgrade" \
	test "$v" = "$d10"
# nothing from a security suite: unknown, not the date of some upgrade
block 1 'tzdata:all (2025a-0+deb12u1, 2025b-0+deb12u1)' >"$A_/log/history.log"
v=$(upd)
ok "linux.sh update.last: upgrades from the main suite only -> no line (unknown) ($v)" test -z "$v"
# the security run is in last month's rotated log
block 40 'libc6:amd64 (2.36-9+deb12u10, 2.36-9+deb12u13)' | gzip >"$A_/log/history.log.1.gz"
v=$(upd)
ok "linux.sh update.last: found in history.log.1.gz ($v, want $d40)" test "$v" = "$d40"
# Ubuntu's security pocket, the epoch in the version kept
block 5 'openssh-client:amd64 (1:8.9p1-3ubuntu0.10, 1:8.9p1-3ubuntu0.13)' >>"$A_/log/history.log"
v=$(upd)
ok "linux.sh update.last: Ubuntu jammy-security, epoch 1: ($v, want $d5)" test "$v" = "$d5"
if [ "$(id -u)" = 0 ]; then
	v=$(APT_CONFIG="$A_/apt.conf" setpriv --reuid=nobody --regid=nogroup --clear-groups sh "$A/linux.sh" |
		sed -n 's/^endpoint\.posture\.update\.last="\(.*\)";$/\1/p')
	ok "linux.sh update.last as nobody (no root: the lists, history and apt-cache are readable) ($v)" \
		test "$v" = "$d5"
fi
rm -f "$A_/log/history.log.1.gz" "$A_/log/history.log"
v=$(upd)
ok "linux.sh update.last: no history -> no line ($v)" test -z "$v"

# ---- the macOS agent against stubs ----
mkdir -p "$T/bin"
stub() { printf '#!/bin/sh\n%s\n' "$2" >"$T/bin/$1" && chmod +x "$T/bin/$1"; }
stub sw_vers 'case $1 in -productVersion) echo 14.6.1 ;; -productName) echo macOS ;; esac'
stub fdesetup 'echo "FileVault is On."'
stub softwareupdate "cat <<'E'
Display Name                                       Version    Date
------------                                       -------    ----
macOS Sonoma 14.6.1                                14.6.1     08/08/2024, 10:12:01
XProtectPlistConfigData                            5272       11/04/2025, 09:28:12
Background Task Management Configuration          1.0        10/28/2025, 22:01:00
E"
rep=$(PATH="$T/bin:$PATH" sh "$A/macos.sh")
has() { local p; for p in "$@"; do grep -qF -- "$p" <<<"$rep" || { printf "%s\n" "$rep"; return 1; }; done; }
ok "macos.sh: family, version, name" has 'os.family="macos"' 'os.version="14.6.1"' 'os.name="macOS 14.6.1"'
ok "macos.sh: FileVault on -> root encrypted" has 'disk["root"].system="true"' 'disk["root"].encrypted="true"'
ok "macos.sh: the newest softwareupdate --history date" has 'update.last="2025-11-04"'
stub fdesetup 'echo "FileVault is Off."'
rep=$(PATH="$T/bin:$PATH" sh "$A/macos.sh")
ok "macos.sh: FileVault off -> not encrypted" has 'disk["root"].encrypted="false"'
ok "macos.sh: every line is endpoint.posture.KEY=\"VALUE\";" sh -c "! grep -vE '^endpoint\\.posture\\.[][A-Za-z0-9_.\"-]+=\"[^\"]*\";\$' <<'E'
$rep
E
"
SEKICTL=$BUILD/sekictl
if [ -x "$SEKICTL" ]; then
	db=$T/s.db
	"$SEKICTL" init --store "$db" >/dev/null 2>&1
	"$SEKICTL" --store "$db" group add g >/dev/null 2>&1
	"$SEKICTL" --store "$db" posture set g posture=on av=off firewall=off updates=off disk=on >/dev/null 2>&1
	printf 'endpoint.os.version="Darwin";\n%s\n' "$rep" >"$T/mac.txt"
	ok "the gateway's parser reads the macOS report; FileVault off refuses" \
		expect 1 'disk-unencrypted' "$SEKICTL" --store "$db" posture test "$T/mac.txt" --group g
else
	echo "ok $((N += 1)) the gateway's parser reads the macOS report # SKIP no $SEKICTL"
fi

# ---- the Windows agent: syntax ----
TS=${SEKISHO_TS_DIR:-/var/cache/sekisho/ts}
[ -d "$TS/node_modules" ] || [ -n "${SEKISHO_TS_DIR:-}" ] || TS=/tmp/sekisho-ts
if command -v node >/dev/null && [ -f "$TS/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ] &&
	[ -d "$TS/node_modules/web-tree-sitter" ]; then
	# V8 compiles the grammar's 1 MB of WebAssembly again in the background
	# (TurboFan) and the exit waits for it: 25 s of CPU per run here,
	# against 0.3 s with the baseline compiler only
	nf=()
	node --liftoff-only -e 0 2>/dev/null && nf=(--liftoff-only)
	node() { command node "${nf[@]}" "$@"; }
	cp "$here/ps-syntax.mjs" "$TS/" &&
		ok "windows.ps1: no syntax error (tree-sitter-powershell)" node "$TS/ps-syntax.mjs" "$A/windows.ps1"
	ok "sekisho-hostscan.ps1: no syntax error (tree-sitter-powershell)" \
		node "$TS/ps-syntax.mjs" "$REPO/packaging/sekisho-hostscan.ps1"
	printf 'function f {\n  if ($x) { "a"\n}\n' >"$T/bad.ps1"
	ok "the syntax check finds a missing brace" expect 1 'MISSING' node "$TS/ps-syntax.mjs" "$T/bad.ps1"
else
	echo "ok $((N += 1)) windows.ps1 syntax # SKIP no node or npm packages in $TS (scripts/deps installs them)"
fi

# ---- the Windows wrapper: the same requests as the Linux one ----
# (it cannot run here: no PowerShell; what can be compared is that it
# asks the same URLs with the same cookie, pinned to the gateway's key,
# HTTPS only, and that the .bat that starts it passes every argument)
PSW=$REPO/packaging/sekisho-hostscan.ps1 SHW=$REPO/packaging/sekisho-hostscan.sh
for s in '/+CSCOE+/sdesktop/token.xml?ticket=$ticket&stub=$stub' '/+CSCOE+/sdesktop/scan.xml?reusebrowser=1' \
	'Cookie: sdesktop=$token' '--pinnedpubkey' 'sha256//' "'--proto', '=https'" '<token>([A-Za-z0-9_-]+)</token>' \
	'--data-binary' "'Content-Type: text/xml'"; do
	ok "sekisho-hostscan.ps1 has: $s" grep -qF -- "$s" "$PSW"
done
ok "sekisho-hostscan.sh has the same two URLs" sh -c "grep -qF '/+CSCOE+/sdesktop/token.xml?ticket=\$ticket&stub=\$stub' '$SHW' &&
	grep -qF '/+CSCOE+/sdesktop/scan.xml?reusebrowser=1' '$SHW'"
CMD=$REPO/packaging/sekisho-hostscan.bat
ok "sekisho-hostscan.bat runs the .ps1 next to it with every argument" grep -qF -- '-File "%~dp0sekisho-hostscan.ps1" %*' "$CMD"
ok "sekisho-hostscan.bat has CRLF line ends (cmd.exe)" test "$(grep -c $'\r$' "$CMD")" = "$(wc -l <"$CMD")"
tap_done
