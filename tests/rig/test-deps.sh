#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/deps --profile demo (what `make demo` installs, issue 14): its
# list is a part of the full list (`make check` keeps every package), it
# leaves out the test toolchain, and on this machine every library the
# programs link (userspace/Makefile's pkg-config modules, http_parser) and
# every program the demo runs (the VM rig, the lab, the client) comes from
# a package of the demo list.  An unknown profile is refused.  TAP output.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
D=$REPO/scripts/deps
echo "TAP version 13"
full=$("$D" --list)
demo=$("$D" --profile demo --list)
in_demo() { grep -qx -- "$1" <<<"$demo"; }
subset() {
	local p rc=0
	for p in $demo; do grep -qx -- "$p" <<<"$full" || { echo "not in the full list: $p"; rc=1; }; done
	return $rc
}
ok "the demo list ($(wc -l <<<"$demo") packages) is part of the full list ($(wc -l <<<"$full"))" subset
lean() {
	local p rc=0
	for p in clang sparse postgresql-15 slapd freeradius samba linux-source-6.12 lintian debootstrap \
		dkms ocserv 'linux-headers-6.12.*-amd64'; do
		in_demo "$p" && { echo "in the demo list: $p"; rc=1; }
	done
	return $rc
}
ok "the demo list leaves out the test toolchain and the 6.12 kernel" lean
ok "an unknown profile: exit 2" expect 2 "unknown profile 'nope'" "$D" --profile nope --list
names_profile() { grep -q "demo profile\|^deps: missing" <<<"$("$D" --profile demo --check 2>&1)"; }
ok "--check with the demo profile names it (or what is missing)" names_profile

# every file's package is in the demo list: one dpkg -S for all of them
# (it reads dpkg's whole file database each time); merged /usr: a file
# dpkg does not know under /usr/bin is asked for again under /bin
from_demo() {
	local f p rc=0 out alt=()
	out=$(dpkg -S "$@" 2>/dev/null)
	for f in "$@"; do
		grep -q ": $f\$" <<<"$out" || alt+=("${f#/usr}")
	done
	[ ${#alt[@]} -gt 0 ] && out+=$'\n'$(dpkg -S "${alt[@]}" 2>/dev/null)
	for f in "$@"; do
		p=$(grep -E ": (/usr)?${f#/usr}\$" <<<"$out" | head -n 1 | cut -d: -f1)
		if [ -z "$p" ]; then echo "no package owns $f"; rc=1
		elif ! in_demo "$p"; then echo "$f is in $p, not in the demo list"; rc=1; fi
	done
	return $rc
}
if ! command -v dpkg >/dev/null || ! command -v pkg-config >/dev/null; then
	echo "ok 5 # SKIP no dpkg or pkg-config"
	echo "ok 6 # SKIP no dpkg or pkg-config"
	N=6
	tap_done; exit
fi
libs=()
for m in $(sed -n 's/^ALL_PKGS := //p' "$REPO/userspace/Makefile"); do
	libs+=("$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)/$m.pc")
done
libs+=(/usr/include/http_parser.h)
ok "the libraries the programs link (${#libs[@]}) come from demo packages" from_demo "${libs[@]}"
# what the VM rig, the lab and the demo run (the compilers and python3
# come with build-essential and python3-aiosmtpd)
cmds=()
for c in qemu-system-x86_64 busybox file cpio ip ping nsenter openconnect openssl iperf3 socat; do
	cmds+=("$(command -v "$c" 2>/dev/null || echo "/usr/bin/$c")")
done
cmds+=(/usr/lib/python3/dist-packages/aiosmtpd)
ok "the programs the demo runs (${#cmds[@]}) come from demo packages" from_demo "${cmds[@]}"
tap_done
