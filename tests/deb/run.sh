#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/run.sh [BUILD]: the Debian packages (tests/run stage deb), TAP.
#   make deb (in BUILD/deb: an exported copy, dpkg-buildpackage -b there;
#   the source tree is not written), lintian on each package with no error
#   and no warning, the contents and modes of each package, the conffile
#   with every key of the parser commented out, the man pages render
#   without warnings, --version prints VERSION, dkms.conf follows VERSION,
#   the offline install's package list (scripts/offline-deps) is the
#   guides' and is closed, and `make install DESTDIR=...` writes nothing
#   outside DESTDIR.
# Host only, no root needed except for nothing; about a minute.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/deb
VER=$(cat "$REPO/VERSION")
T=$(mktemp -d /tmp/sk-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { # DESC CMD...: ok when CMD exits 0; its output as comments
	local d=$1 o
	shift
	if o=$("$@" 2>&1); then ok "$d"; else not_ok "$d"; fi
	[ -n "$o" ] && printf '%s\n' "$o" | sed 's/^/# /'
	return 0
}

echo "TAP version 13"
echo "1..23"

# 1: build (and the source tree is not written: git status before = after)
st0=$(git -C "$REPO" status --porcelain --ignored 2>/dev/null | grep -v '^!! build/' | sort)
if make -C "$REPO" -s deb BUILD="$BUILD" >"$T/build.log" 2>&1; then
	ok "make deb builds sekisho and sekisho-dkms $VER"
else
	tail -n 40 "$T/build.log" | sed 's/^/# /'
	not_ok "make deb builds sekisho and sekisho-dkms $VER"
fi
st1=$(git -C "$REPO" status --porcelain --ignored 2>/dev/null | grep -v '^!! build/' | sort)
check "make deb writes nothing in the source tree outside build/" \
	diff <(echo "$st0") <(echo "$st1")

deb=$OUT/sekisho_${VER}_amd64.deb
dkms=$OUT/sekisho-dkms_${VER}_all.deb
if [ ! -f "$deb" ] || [ ! -f "$dkms" ]; then
	echo "Bail out! no packages in $OUT"
	exit 1
fi
for f in "$OUT/sekisho_${VER}_amd64.changes" "$OUT/sekisho_${VER}_amd64.buildinfo"; do
	[ -f "$f" ] || echo "# missing $f"
done

# 3-4: lintian, each package, no error and no warning
lint() {
	lintian --fail-on error,warning --display-info "$1" 2>&1 |
		grep -v '^running with root privileges' ; return "${PIPESTATUS[0]}"
}
check "lintian sekisho: no errors, no warnings" lint "$deb"
check "lintian sekisho-dkms: no errors, no warnings" lint "$dkms"

# contents: "MODE PATH" of each package
contents() { dpkg-deb -c "$1" | awk '{ p = $6; sub(/^\./, "", p); print $1, p }'; }
contents "$deb" >"$T/sekisho.list"
contents "$dkms" >"$T/dkms.list"
echo "# sekisho $VER:"
sed 's/^/#   /' "$T/sekisho.list"
expect() { # LIST "MODE PATH"...: each line present
	local l=$1 e rc=0
	shift
	for e in "$@"; do
		grep -qxF -- "$e" "$l" || { echo "missing: $e"; rc=1; }
	done
	return $rc
}
check "sekisho: programs, unit, sysusers, tmpfiles, conffile, man pages, docs with their modes" \
	expect "$T/sekisho.list" \
	"-rwxr-xr-x /usr/sbin/sekishod" \
	"-rwxr-xr-x /usr/sbin/sekictl" \
	"-rwxr-xr-x /usr/libexec/sekisho/sekictl-admin" \
	"-rwxr-xr-x /usr/libexec/sekisho/sekishod-worker" \
	"-rwxr-xr-x /usr/libexec/sekisho/sekishod-keyholder" \
	"-rwxr-xr-x /usr/libexec/sekisho/sekisho-hostscan.sh" \
	"-rwxr-xr-x /usr/libexec/sekisho/agents/linux.sh" \
	"-rw-r--r-- /usr/libexec/sekisho/agents/windows.ps1" \
	"-rw-r--r-- /usr/libexec/sekisho/sekisho-hostscan.bat" \
	"-rw-r--r-- /usr/libexec/sekisho/sekisho-hostscan.ps1" \
	"-rw-r--r-- /lib/systemd/system/sekishod.service" \
	"-rwxr-xr-x /usr/libexec/sekisho/sekisho-module" \
	"-rw-r--r-- /usr/lib/sysusers.d/sekisho.conf" \
	"-rw-r--r-- /usr/lib/tmpfiles.d/sekisho.conf" \
	"-rw-r--r-- /etc/sekisho/sekishod.conf" \
	"-rw-r--r-- /usr/share/man/man8/sekishod.8.gz" \
	"-rw-r--r-- /usr/share/man/man8/sekictl.8.gz" \
	"-rw-r--r-- /usr/share/man/man5/sekishod.conf.5.gz" \
	"-rw-r--r-- /usr/share/doc/sekisho/copyright" \
	"-rw-r--r-- /usr/share/doc/sekisho/README.md" \
	"-rw-r--r-- /usr/share/doc/sekisho/admin/sekishod.md" \
	"-rw-r--r-- /usr/share/doc/sekisho/admin/install.md" \
	"-rw-r--r-- /usr/share/doc/sekisho/admin/install-ja.md" \
	"-rw-r--r-- /usr/share/doc/sekisho/sekictl.md" \
	"-rw-r--r-- /usr/share/doc/sekisho/examples/sekishod.conf.example"
# nothing writable by others, no set-id file, nothing under /usr/local
check "sekisho: no world-writable or set-id file, nothing in /usr/local" \
	bash -c "! grep -E '^(.{8}w|...s|......s)|/usr/local' '$T/sekisho.list'"

x=$T/x
mkdir -p "$x"
dpkg-deb -x "$deb" "$x"
dpkg-deb -e "$deb" "$T/ctl"
check "sekisho: /etc/sekisho/sekishod.conf is its only conffile" \
	diff <(echo /etc/sekisho/sekishod.conf) "$T/ctl/conffiles"
units() {
	grep -qE '^ExecStart=/usr/sbin/sekishod -f -c /etc/sekisho/sekishod.conf$' "$1" &&
	grep -qE '^ExecStartPre=/usr/sbin/sekishod -t ' "$1" &&
	! grep -n '/usr/local' "$1" &&
	grep -qx 'u sekisho - "sekisho VPN gateway" /var/lib/sekisho /usr/sbin/nologin' "$2" &&
	grep -qx 'g sekisho-admin -' "$2" &&
	grep -qx 'd /var/lib/sekisho 0750 sekisho sekisho -' "$3" &&
	grep -q 'systemd-sysusers.*sekisho.conf' "$4" &&
	grep -q 'systemd-tmpfiles.*sekisho.conf' "$4" &&
	[ "$(grep -n systemd-sysusers "$4" | cut -d: -f1 | head -n 1)" -lt \
	  "$(grep -n systemd-tmpfiles "$4" | cut -d: -f1 | head -n 1)" ]
}
check "sekisho: unit runs /usr/sbin/sekishod; sysusers (sekisho, sekisho-admin) before tmpfiles (/var/lib/sekisho 0750 sekisho) in postinst" \
	units "$x/lib/systemd/system/sekishod.service" "$x/usr/lib/sysusers.d/sekisho.conf" \
	"$x/usr/lib/tmpfiles.d/sekisho.conf" "$T/ctl/postinst"
# the unit's module step at start (ExecStartPre=+ sekisho-module): run
# against a fake /sys/module/sekisho, /sys/class/net, /proc and fake
# modinfo, modprobe, rmmod, ip, nsenter (each prints what it was asked);
# the loaded module is replaced when its version or its srcversion differs
# from the one on disk (srcversion hashes the source files only: two
# releases of one source share it, as the install test's V and V+test1
# do), and only when that ends nothing but the stopped service's own
# device; a step that blocks ends the start after the limit
swap_case() { # SCRIPT LOADED_VERSION LOADED_SRC DISK_VERSION DISK_SRC [OPTION...]: what it ran, its exit
	local s=$1 f=$T/swap o rc
	shift
	rm -rf "$f"; mkdir -p "$f/sys/holders" "$f/bin" "$f/net" "$f/proc/self/ns" "$f/proc/1/ns" "$f/netns"
	echo "$1" >"$f/sys/version"; echo "$2" >"$f/sys/srcversion"; echo live >"$f/sys/initstate"
	echo 0 >"$f/sys/refcnt"
	echo self >"$f/proc/self/ns/net"; ln "$f/proc/self/ns/net" "$f/proc/1/ns/net"; echo init >"$f/proc/1/comm"
	printf '#!/bin/sh\ncase "$2" in version) echo %s ;; srcversion) echo %s ;; esac\n' "$3" "$4" >"$f/bin/modinfo"
	printf '#!/bin/sh\necho "modprobe $*"\n' >"$f/bin/modprobe"
	printf '#!/bin/sh\necho "rmmod $*"\n' >"$f/bin/rmmod"
	printf '#!/bin/sh\necho "ip $*" >&2\n[ -z "${FAKE_NS:-}" ] || echo "7: sk9: <POINTOPOINT,NOARP,UP> mtu 1400"\n' >"$f/bin/ip"
	printf '#!/bin/sh\nns=${1#--net=}; shift\n[ "$ns" = "%s" ] && export FAKE_NS=1\nexec "$@"\n' "$f/proc/2/ns/net" >"$f/bin/nsenter"
	chmod +x "$f"/bin/*
	shift 4
	for o; do
		case $o in
		dev) mkdir -p "$f/net/sk0/sekisho"; echo 2 >"$f/net/sk0/sekisho/peers"; mkdir -p "$f/net/eth0" ;;
		gone) rm -rf "$f/sys" ;;
		going) echo going >"$f/sys/initstate" ;;
		running) mkdir -p "$f/proc/4242"; echo sekishod >"$f/proc/4242/comm" ;;
		used) echo 1 >"$f/sys/refcnt" ;;
		otherns) mkdir -p "$f/proc/2/ns"; echo other >"$f/proc/2/ns/net" ;;
		hang) printf '#!/bin/sh\necho $$ >"%s/hang.pid"\nexec sleep 20 >/dev/null 2>&1\n' "$f" >"$f/bin/rmmod" ;;
		busy) printf '#!/bin/sh\necho "rmmod: ERROR: Module sekisho is in use" >&2; exit 1\n' >"$f/bin/rmmod" ;;
		esac
	done
	sed -e "s|^SYS=.*|SYS=$f/sys|" -e "s|^NET=.*|NET=$f/net|" -e "s|^PROC=.*|PROC=$f/proc|" \
		-e "s|^NETNS=.*|NETNS=$f/netns|" "$s" >"$f/sekisho-module"
	o=$(PATH=$f/bin:$PATH SEKISHO_MODULE_TIMEOUT=1 LANG=${SWAP_LANG:-C.UTF-8} timeout 10 sh "$f/sekisho-module" 2>&1)
	rc=$?
	printf '%s\n' "$o" | grep -E '^(modprobe|rmmod|ip link)' | tr '\n' ';'
	echo "exit $rc"
	printf '%s\n' "$o" | grep '^sekisho: ' >&2
}
mod=$x/usr/libexec/sekisho/sekisho-module
swap() {
	local a b c d
	a=$(swap_case "$mod" 1.0 AAA 1.0 AAA gone) b=$(swap_case "$mod" 1.0 AAA 1.0 AAA)
	c=$(swap_case "$mod" 1.0 AAA 1.0+t1 AAA dev) d=$(swap_case "$mod" 1.0 AAA 1.0 BBB)
	echo "not loaded: $a; same: $b; version differs: $c; srcversion differs: $d"
	[ "$a" = "modprobe sekisho;exit 0" ] && [ "$b" = "modprobe sekisho;exit 0" ] &&
		[ "$c" = "ip link del sk0;rmmod sekisho;modprobe sekisho;exit 0" ] &&
		[ "$d" = "rmmod sekisho;modprobe sekisho;exit 0" ]
}
check "sekisho: the unit's ExecStartPre=+ is $(basename "$mod"), shipped executable" \
	sh -c "grep -qx 'ExecStartPre=+/usr/libexec/sekisho/sekisho-module' '$x/lib/systemd/system/sekishod.service' && test -x '$mod' && sh -n '$mod'"
check "sekisho: at start the loaded module is replaced when its version or source differs (the service's stopped device deleted first), kept when the same" swap
keeps() {
	local o rc=0 c
	for c in running used otherns busy; do
		o=$(swap_case "$mod" 1.0 AAA 1.0 BBB dev $c 2>&1)
		echo "$c: $o" | tr '\n' ' '; echo
		# busy: rmmod refused after the device went (sekishod makes it again)
		[ $c = busy ] || ! grep -q 'rmmod sekisho;\|ip link del' <<<"$o" || rc=1
		grep -q '^sekisho: the loaded module 1.0 (AAA) stays' <<<"$o" || rc=1
		grep -q 'modprobe sekisho;exit 0' <<<"$o" || rc=1
	done
	return $rc
}
check "sekisho: ... but kept, with the reason, when sekishod runs outside the service, the module is in use, a sekisho device is in another namespace, or rmmod fails" keeps
blocks() {
	local o t0=$SECONDS rc=0
	o=$(swap_case "$mod" 1.0 AAA 1.0 BBB dev hang 2>&1)
	[ -f "$T/swap/hang.pid" ] && kill "$(cat "$T/swap/hang.pid")" 2>/dev/null
	echo "blocked rmmod (limit 1 s): $o ($((SECONDS - t0)) s)" | tr '\n' ' '; echo
	grep -q 'exit 1' <<<"$o" && grep -q 'did not finish within 1 s' <<<"$o" &&
		[ $((SECONDS - t0)) -le 5 ] || rc=1
	o=$(swap_case "$mod" 1.0 AAA 1.0 BBB going 2>&1)
	echo "a removal that never finished: $o" | tr '\n' ' '; echo
	grep -q '^exit 1' <<<"$o" && grep -q 'reboot' <<<"$o" || rc=1
	return $rc
}
check "sekisho: a module step that blocks ends the start after SEKISHO_MODULE_TIMEOUT with the reason (no hang); a removal left unfinished fails the start" blocks
ja() {
	local o
	o=$(SWAP_LANG=ja_JP.UTF-8 swap_case "$mod" 1.0 AAA 1.0 BBB dev running 2>&1)
	echo "$o"
	grep -q 'このサービスの外で sekishod が動いています' <<<"$o"
}
check "sekisho: its messages in Japanese under a Japanese locale" ja
check "sekisho: Depends from \${shlibs:Depends} (libc6, libssl3, libsqlite3-0, libmnl0)" \
	bash -c "d=\$(dpkg-deb -f '$deb' Depends); echo \"\$d\"; for l in libc6 libssl3 libsqlite3-0 libmnl0 libcurl4; do grep -q \"\$l \" <<<\"\$d\" || exit 1; done"

# the conffile: every key of the parser, commented out with its default
check "conffile: every key conf.c accepts is commented out with its default and explained (and in sekishod.conf(5)); sekishod -T (the syntax) takes it as it is and uncommented" \
	"$REPO/tests/deb/conf-keys.sh" "$x/etc/sekisho/sekishod.conf" \
	"$REPO/Documentation/man/sekishod.conf.5" "$x/usr/sbin/sekishod"

# man pages as installed
manok() {
	local m w rc=0
	for m in "$@"; do
		w=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null)
		[ -z "$w" ] || { echo "$m: $w"; rc=1; }
		MANWIDTH=80 man -E UTF-8 -l "$m" 2>/dev/null | grep -q "sekisho $VER" ||
			{ echo "$m: no 'sekisho $VER' in the footer"; rc=1; }
	done
	return $rc
}
check "man pages sekishod(8), sekictl(8), sekishod.conf(5) render without warnings, release $VER" \
	manok "$x/usr/share/man/man8/sekishod.8.gz" "$x/usr/share/man/man8/sekictl.8.gz" \
	"$x/usr/share/man/man5/sekishod.conf.5.gz"

# --version
check "sekishod --version and -V print 'sekishod $VER'" \
	bash -c "[ \"\$('$x/usr/sbin/sekishod' --version)\" = 'sekishod $VER' ] && [ \"\$('$x/usr/sbin/sekishod' -V)\" = 'sekishod $VER' ]"
check "sekictl --version prints $VER and the netlink family version" \
	bash -c "'$x/usr/sbin/sekictl' --version | tee /dev/stderr | grep -qE '^sekictl $VER \\(sekisho netlink family version [0-9]+\\)\$'"

# sekisho-dkms
echo "# sekisho-dkms $VER:"
sed 's/^/#   /' "$T/dkms.list"
dkmsok() {
	local d=$T/d s=/usr/src/sekisho-$VER
	mkdir -p "$d"
	dpkg-deb -x "$dkms" "$d"
	expect "$T/dkms.list" "-rw-r--r-- $s/dkms.conf" "-rw-r--r-- $s/Kbuild" \
		"-rw-r--r-- $s/kmod/Kbuild" "-rw-r--r-- $s/kmod/main.c" \
		"-rw-r--r-- $s/include/uapi/linux/sekisho.h" || return 1
	# every source file of the module's Kbuild is there
	for o in $(sed -n '/^sekisho-y/,/[^\\]$/p' "$REPO/kmod/Kbuild" | tr ' \\' '\n\n' | grep '\.o$'); do
		[ -f "$d$s/kmod/${o%.o}.c" ] || { echo "missing kmod/${o%.o}.c"; return 1; }
	done
	grep -qx "PACKAGE_VERSION=\"$VER\"" "$d$s/dkms.conf" || { echo "dkms.conf: not $VER"; return 1; }
	# the module's MODULE_VERSION (sysfs, modinfo) is VERSION (kmod/Kbuild)
	[ "$(cat "$d$s/VERSION" 2>/dev/null)" = "$VER" ] || { echo "no VERSION $VER in the DKMS tree"; return 1; }
	grep -q 'MODULE_VERSION(SEKISHO_RELEASE)' "$d$s/kmod/main.c" || { echo "main.c: MODULE_VERSION not from VERSION"; return 1; }
	grep -qx 'AUTOINSTALL="yes"' "$d$s/dkms.conf" || { echo "dkms.conf: no AUTOINSTALL"; return 1; }
	diff "$REPO/dkms.conf" "$d$s/dkms.conf" || return 1
	dpkg-deb -f "$dkms" Depends | grep -q dkms || { echo "no dependency on dkms"; return 1; }
	dpkg-deb -e "$dkms" "$T/ctl.dkms" && grep -q DKMS_NAME=sekisho "$T/ctl.dkms/postinst" || return 1
	# and then every installed kernel with headers, not only running + newest
	grep -q 'dkms install -m sekisho -v "$DKMS_VERSION" -k "$k"' "$T/ctl.dkms/postinst" ||
		{ echo "postinst: no build for every installed kernel"; return 1; }
	sh -n "$T/ctl.dkms/postinst"
}
check "sekisho-dkms: the module's source in /usr/src/sekisho-$VER with VERSION (the module's version), dkms.conf of VERSION with AUTOINSTALL, DKMS postinst building for every installed kernel" dkmsok

# the offline install (Documentation/admin/install.md, "Offline
# installation"): scripts/offline-deps run for real on these packages; the
# list the guides (en, ja) print is its list (the kernel ABI number aside);
# every package of it can be downloaded at that version (apt's URIs, no
# download); and it is closed: apt installs sekisho, sekisho-dkms and
# linux-headers-amd64 on an empty system whose only packages are those
# (a flat repository of their records, as the copied directory is)
offline() {
	local list n o=$T/offline g
	mkdir -p "$o/repo" "$o/lists/partial" "$o/cache/archives/partial" "$o/etc/sources.list.d" "$o/etc/preferences.d"
	list=$("$REPO/scripts/offline-deps" "$deb" "$dkms") || { echo "scripts/offline-deps failed"; return 1; }
	n=$(wc -l <<<"$list")
	echo "scripts/offline-deps: $n packages"
	grep -qvE '^[a-z0-9][a-z0-9.+-]+ [0-9A-Za-z.+~:-]+$' <<<"$list" && { echo "not NAME VERSION lines"; return 1; }
	grep -qE '^sekisho(-dkms)? ' <<<"$list" && { echo "sekisho's own packages in the list"; return 1; }
	grep -q '^linux-headers-amd64 ' <<<"$list" || { echo "no linux-headers-amd64"; return 1; }
	# the guides' lists: the same names (linux-headers-6.1.0-N-* as one)
	norm() { tr ' ' '\n' | sed -E '/^$/d; s/^linux-headers-([0-9.]+)-[0-9]+-/linux-headers-\1-N-/' | sort -u; }
	for g in install.md install-ja.md; do
		diff <(awk '{ print $1 }' <<<"$list" | norm) <(awk '
			/^## (Offline installation|オフラインインストール)/ { sec = 1; next }
			sec && /^## / { exit }
			!sec { next }
			/^```sh/ { insh = 1; next }
			/^```$/ { if (insh) { insh = 0; next } if (inb) exit; inb = 1; next }
			inb' "$REPO/Documentation/admin/$g" | norm) ||
			{ echo "Documentation/admin/$g: its list is not scripts/offline-deps' (regenerate it)"; return 1; }
		tr '\n' ' ' <"$REPO/Documentation/admin/$g" | grep -qE "(\(| )$n (packages|パッケージ)" ||
			{ echo "Documentation/admin/$g does not say $n packages"; return 1; }
	done
	# --download: each NAME=VERSION has a URI in the configured sources
	apt-get download --print-uris $(awk '{ print $1 "=" $2 }' <<<"$list") >"$o/uris" 2>"$o/uris.err" ||
		{ cat "$o/uris.err"; return 1; }
	[ "$(grep -c '\.deb' "$o/uris")" = "$n" ] || { echo "$(grep -c '\.deb' "$o/uris") URIs for $n packages"; return 1; }
	# closed: a flat repository of exactly those records and the two packages
	apt-cache show $(awk '{ print $1 "=" $2 }' <<<"$list") | awk -v RS= -v ORS='\n\n' '
		{ p = ""; if (match($0, /(^|\n)Package: [^\n]*/)) p = substr($0, RSTART, RLENGTH) }
		!seen[p]++' >"$o/repo/Packages"
	(cd "$o/repo" && cp "$deb" "$dkms" . && dpkg-scanpackages -m . 2>/dev/null | grep -v '^$' | sed 's/^Package:/\nPackage:/') >>"$o/repo/Packages"
	echo "deb [trusted=yes] file:$o/repo ./" >"$o/etc/sources.list"
	: >"$o/status"
	local aptopt=(-o "Dir::Etc=$o/etc" -o "Dir::State::Lists=$o/lists" -o "Dir::State::status=$o/status"
		-o "Dir::Cache=$o/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")
	apt-get "${aptopt[@]}" -q update >"$o/update.log" 2>&1 || { cat "$o/update.log"; return 1; }
	apt-get "${aptopt[@]}" -s -q install --no-install-recommends sekisho sekisho-dkms linux-headers-amd64 \
		>"$o/install.log" 2>&1 || { tail -n 20 "$o/install.log"; return 1; }
	echo "apt -s on an empty system with only those: $(grep -c '^Inst ' "$o/install.log") packages installed"
	[ "$(grep -c '^Inst ' "$o/install.log")" = $((n + 2)) ]
}
check "offline install: scripts/offline-deps lists what the guides (en, ja) list; each at its version in the sources; with only those packages apt installs both on an empty system" offline

# make install DESTDIR: nothing outside DESTDIR.  Run in the exported copy
# (its module objects are its own), reusing the package's userspace build.
src=$OUT/src
dest=$T/dest
kver=$("$REPO/scripts/kver.sh" default 2>/dev/null)
touch "$T/stamp"
sleep 1
if make -C "$src" install DESTDIR="$dest" PREFIX=/usr BUILD="$src/debian/build" \
	>"$T/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr (module for $kver, programs, unit, config, docs)"
else
	tail -n 30 "$T/install.log" | sed 's/^/# /'
	not_ok "make install DESTDIR=... PREFIX=/usr"
fi
outside() {
	# anything of ours, or any module index, written after the stamp
	local f
	f=$(find /lib/modules /usr /etc /var/lib /lib/systemd -xdev -newer "$T/stamp" \
		\( -path '*seki*' -o -path '/lib/modules/*' \) 2>/dev/null)
	[ -z "$f" ] || { echo "written outside DESTDIR:"; echo "$f"; return 1; }
	grep -q '^depmod' "$T/install.log" && { echo "depmod ran"; return 1; }
	return 0
}
check "make install DESTDIR: nothing written outside DESTDIR (no depmod on the host)" outside
inside() {
	local f rc=0
	for f in "lib/modules/$kver/updates/kmod/sekisho.ko" usr/sbin/sekishod usr/sbin/sekictl \
		usr/libexec/sekisho/sekishod-worker usr/libexec/sekisho/sekishod-keyholder \
		usr/libexec/sekisho/sekictl-admin \
		usr/lib/systemd/system/sekishod.service etc/sekisho/sekishod.conf \
		usr/share/doc/sekisho/admin/install.md usr/share/man/man8/sekishod.8; do
		[ -f "$dest/$f" ] || { echo "missing \$DESTDIR/$f"; rc=1; }
	done
	find "$dest" -name 'modules.dep*' | grep . && { echo "a module index in DESTDIR"; rc=1; }
	return $rc
}
check "make install DESTDIR: module in DESTDIR/lib/modules/$kver/updates, programs, unit, config, docs, man pages" inside

echo "# $FAILED of $N failed"
[ "$FAILED" = 0 ]
