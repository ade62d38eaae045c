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
