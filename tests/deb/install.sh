#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/install.sh [BUILD]: the Debian packages installed with apt on a
# clean Debian 12 root and run by systemd (tests/run stage deb-vm), TAP.
#
#  1. the root: scripts/pkg-root (debootstrap, cached in SEKISHO_CACHE; the
#     test never writes it: an overlay mount on the host, upper layer in
#     BUILD/deb-vm, takes every change)
#  2. on the host, in a chroot of that overlay, as an administrator would:
#     the offline install (tests/deb/offline-download.sh: scripts/offline-deps
#     --download of sekisho_V.deb and sekisho-dkms_V.deb, BUILD/deb: the deb
#     stage's build, made if missing, without a network from a mirror of
#     the local apt caches; then apt install of that directory's .debs in
#     the chroot without a network), DKMS builds the module for every
#     installed kernel (6.1, the kernel the VM boots, and 6.12), then a
#     server certificate, one line changed in the conffile, the metrics
#     listener on 127.0.0.1 and the guide's example port, sekictl init, a
#     policy, a group and a user with a password, systemctl enable sekishod
#  3. boot 1 (scripts/vm-run --root --init systemd, Debian's 6.1 kernel):
#     tests/deb/install-guest.sh first: the gateway systemd started, every
#     unit of the package, a real openconnect (installed in the root as the
#     client side, run in a netns of the same VM) logs in with the
#     password and pings the internal host, audit lines once in the
#     journal, the listening ports (compared with the guides' "Ports to
#     open" by tests/deb/ports.sh), systemctl restart; then, with a tunnel
#     up and a ping
#     running, apt installs the sekisho package of release V+test1: its
#     postinst restarts the service, openconnect reconnects with its cookie
#     (same address, no prompt), the module stays V's
#  4. the upgrade, beside boot 1 (a second overlay on top of the first,
#     which the VM only reads): apt install of the V+test1 pair in a
#     chroot (tests/deb/reversion.sh: the same packages as release
#     V+test1, no second build): DKMS builds it for every installed kernel
#     and removes V; the conffile line and the store are kept, the unit
#     stays enabled
#  5. boot 2 (the reboot after the upgrade): install-guest.sh upgraded: the
#     new module loaded, store and config kept, login; then, with the
#     tunnel up, a different build of the module put where DKMS installs
#     it: the loaded one stays, also through a restart while a sekisho
#     device exists in another network namespace (the unit says why);
#     without it, `systemctl restart sekishod` replaces the module
#     (packaging/sekisho-module), and the client reconnects
# Needs root, qemu, debootstrap (scripts/deps) and, the first time, the
# network; about 5 minutes with the root cached on an idle 2-core machine
# (the DKMS builds on the host, the two boots under TCG).  SKIP when not
# root.  Each step prints "# ---- NAME: N s" (its own time).
# SEKISHO_DEB_VM_BOOT=0: the host part only (the boots print SKIP); =2:
# boot 2 only;
# SEKISHO_DEB_VM_SWAP=0: boot 2 leaves out the module swap under a live
# tunnel (on by default);
# SEKISHO_DEB_VM_LOCK=FILE: each boot under flock FILE (machines shared by
# several runs); SEKISHO_DEB_VM_TIMEOUT: each boot's limit (600 s);
# KEEP=1: leave the scratch roots (BUILD/deb-vm/root* are then unmounted
# but BUILD/deb-vm/upper* hold every change).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
VER=$(cat "$REPO/VERSION")
NEW=$VER+test1
OUT=$BUILD/deb
UP=$BUILD/deb-up
S=$BUILD/deb-vm
KLOG=${SEKISHO_DEB_VM_KLOG:-$S}
# ok DESC CMD..., tap_done (N, FAILED); the guest script uses the same
. "$REPO/tests/lib/tap.sh"
t0=$(date +%s)
tl=$t0
lap() { # NAME: this step's time (since the last lap)
	local t
	t=$(date +%s)
	echo "# ---- $1: $((t - tl)) s (total $((t - t0)) s)"
	tl=$t
}
echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (chroot, overlay mount, apt)"
	exit 0
fi

mounts=()
uppid=""
cleanup() {
	local i d m
	[ -n "$uppid" ] && kill "$uppid" 2>/dev/null && wait "$uppid" 2>/dev/null
	uppid=""
	# the upgrade's chroot mounts are its subshell's: not in mounts
	for d in "$S/root2" "$S/root"; do
		for m in dev/pts dev sys proc; do umount -l "$d/$m" 2>/dev/null; done
	done
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null; done
	mounts=()
	return 0
}
# --one-file-system: nothing below a mount left behind is removed
trap 'cleanup; [ -n "${KEEP:-}" ] || rm -rf --one-file-system "$S"/upper* "$S"/work* "$S"/root* "$S"/offline*' EXIT

# 1. the cached root
root0=$("$REPO/scripts/pkg-root" 2>"$S.pkg-root.log")
rc=$?
sed 's/^/# /' "$S.pkg-root.log"
if [ $rc != 0 ] || [ ! -d "$root0" ]; then
	ok "scripts/pkg-root: a clean Debian 12 root" false
	echo "1..$N"
	exit 1
fi
ok "scripts/pkg-root: a clean Debian 12 root ($root0, built in $(cat "$root0/../build-seconds") s)"
lap pkg-root

# the packages: the deb stage's, made here when missing; the upgrade's are
# the same packages as release NEW (tests/deb/reversion.sh)
deb=$OUT/sekisho_${VER}_amd64.deb dkms=$OUT/sekisho-dkms_${VER}_all.deb
if [ ! -f "$deb" ] || [ ! -f "$dkms" ]; then
	make -C "$REPO" -s deb BUILD="$BUILD" >"$S.make-deb.log" 2>&1 ||
		{ tail -n 30 "$S.make-deb.log" | sed 's/^/# /'; ok "make deb" false; echo "1..$N"; exit 1; }
fi
rm -rf "$UP"
newdeb=$UP/sekisho_${NEW}_amd64.deb newdkms=$UP/sekisho-dkms_${NEW}_all.deb
ok "tests/deb/reversion.sh: the packages as release $NEW (for the upgrade)" \
	"$REPO/tests/deb/reversion.sh" "$UP" "$NEW" "$deb" "$dkms"

# 2. the overlay and the chroot
cleanup
for d in "$S/root2" "$S/root"; do umount -l "$d" 2>/dev/null; done
rm -rf --one-file-system "$S"/upper* "$S"/work* "$S"/root* "$S/out"
mkdir -p "$S/upper" "$S/work" "$S/root" "$S/out"
if ! mount -t overlay overlay -o "lowerdir=$root0,upperdir=$S/upper,workdir=$S/work" "$S/root"; then
	ok "overlay mount of the cached root" false
	echo "1..$N"
	exit 1
fi
mounts+=("$S/root")
R=$S/root
chroot_up() { # ROOT
	local m
	for m in proc sys dev dev/pts; do
		mount --bind "/$m" "$1/$m" && mounts+=("$1/$m") || return 1
	done
	cp /etc/resolv.conf "$1/etc/resolv.conf"
}
chroot_down() { # ROOT
	local m i
	for m in dev/pts dev sys proc; do umount -l "$1/$m" 2>/dev/null; done
	for i in "${!mounts[@]}"; do
		case ${mounts[i]} in "$1"/*) unset "mounts[i]" ;; esac
	done
	mounts=("${mounts[@]}")
	rm -f "$1/etc/resolv.conf"
}
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }
k61=$("$REPO/scripts/kver.sh" default)
k612=$("$REPO/scripts/kver.sh" 6.12 2>/dev/null || true)
dkms_installed() { # VERSION KERNEL...: dkms status says installed for each
	local v=$1 k s rc=0
	shift
	s=$(in_root dkms status -m sekisho)
	echo "$s"
	for k in "$@"; do
		grep -qxF "sekisho/$v, $k, x86_64: installed" <<<"$s" || { echo "not installed: $v for $k"; rc=1; }
	done
	return $rc
}

chroot_up "$R"
mkdir -p "$R/root/debs"
cp "$deb" "$dkms" "$R/root/debs/"
# the offline install as the guide says (install.md, "Offline
# installation"): scripts/offline-deps --download, without a network,
# from a mirror of the local apt caches (the root's, debootstrap's, the
# host's); then apt installs the directory's every .deb in the chroot, in a
# network namespace of its own: nothing can come from the network
caches=("$root0/var/cache/apt/archives" "$root0/../../debs" /var/cache/apt/archives)
"$REPO/tests/deb/offline-download.sh" "$S/offline-work" "$S/offline" "$deb" "$dkms" "${caches[@]}" \
	>"$S/offline.log" 2>&1
off_rc=$?
sed 's/^/# /' "$S/offline.log"
ok "offline: scripts/offline-deps --download without a network (a file: mirror of the local apt caches): the list's packages at its versions and the two, one file each" \
	test "$off_rc" = 0
if [ "$off_rc" = 0 ]; then
	mkdir -p "$R/media/sekisho-offline" &&
		mount --bind -o ro "$S/offline" "$R/media/sekisho-offline" && mounts+=("$R/media/sekisho-offline")
	# apt says what it installed: the count of what was missing
	offline_install() {
		unshare -n chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
			DEBIAN_FRONTEND=noninteractive HOME=/root \
			sh -c 'apt-get install -y -q --no-install-recommends /media/sekisho-offline/*.deb' \
			>"$S/offline-install.log" 2>&1 || { tail -n 30 "$S/offline-install.log"; return 1; }
	}
	ok "offline: apt install --no-install-recommends /media/sekisho-offline/*.deb in the clean root, with no network (unshare -n)" \
		offline_install
	grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$S/offline-install.log" | sed 's/^/# offline install: /'
	umount "$R/media/sekisho-offline"
	for i in "${!mounts[@]}"; do
		[ "${mounts[i]}" = "$R/media/sekisho-offline" ] && unset "mounts[i]"
	done
	mounts=("${mounts[@]}")
else
	# the rest of the test still runs: the two packages, their
	# dependencies from the root's apt cache
	ok "apt install ./sekisho_${VER}_amd64.deb ./sekisho-dkms_${VER}_all.deb in the clean root (the offline directory failed)" \
		in_root apt-get install -y -q --no-install-recommends \
		"/root/debs/${deb##*/}" "/root/debs/${dkms##*/}"
fi
ok "DKMS built and installed sekisho $VER for every installed kernel ($k61${k612:+ $k612})" \
	dkms_installed "$VER" "$k61" $k612
ok "the service is not enabled by the installation (it needs a certificate first)" \
	sh -c "! chroot '$R' systemctl is-enabled sekishod"
lap install

# the administrator's part: certificate, config, store, group, user, enable
T=$S/certs
mkdir -p "$T"
certs() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
		-out "$T/ca.pem" -days 90 -subj "/CN=sekisho deb-vm test CA" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/server.key" \
		-out "$T/server.csr" -subj "/CN=vpn.test" &&
	printf 'subjectAltName=DNS:vpn.test,IP:10.10.1.1\nextendedKeyUsage=serverAuth\n' >"$T/ext" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 90 -extfile "$T/ext" -out "$T/server.pem" &&
	openssl x509 -in "$T/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64 >"$T/pin"
} 2>/dev/null
skctl="sekictl --store /var/lib/sekisho/sekisho.db"	# offline: sekishod is not running
admin() {
	install -m 0644 "$T/server.pem" "$R/etc/sekisho/server.pem" &&
	install -m 0640 "$T/server.key" "$R/etc/sekisho/server.key" &&
	in_root chgrp sekisho /etc/sekisho/server.key &&
	echo 'rate_per_source = 29' >>"$R/etc/sekisho/sekishod.conf" &&
	openssl rand -hex 32 >"$R/etc/sekisho/metrics.token" &&
	in_root chgrp sekisho /etc/sekisho/metrics.token && chmod 0640 "$R/etc/sekisho/metrics.token" &&
	printf '%s\n' 'metrics_listen = 127.0.0.1:9414' 'metrics_token_file = /etc/sekisho/metrics.token' \
		>>"$R/etc/sekisho/sekishod.conf" &&
	in_root sekictl init &&
	in_root $skctl policy add internal &&
	in_root $skctl policy rule add internal allow 10.20.0.0/24 &&
	in_root $skctl group add eng &&
	in_root $skctl group set eng factors=password policy=internal pool4=10.77.0.0/25 \
		split-include=10.20.0.0/24 &&
	in_root $skctl user add alice --email alice@example.test --group eng &&
	printf '%s\n' 'Deb-vm pass 1' | in_root $skctl user passwd alice --no-change-required &&
	in_root sekishod -t &&
	in_root systemctl enable sekishod
}
ok "test certificate (EC P-256, CN vpn.test)" certs
ok "admin in the chroot: certificate, a conffile line, the metrics listener (the guide's example port), sekictl init, policy, group, user, sekishod -t, systemctl enable" admin
chroot_down "$R"
# the guest's files; V's module as DKMS installed it for the kernel the VM
# boots (boot 2 puts it back in place of the new one); the sekisho
# package of release NEW (boot 1 installs it under a live tunnel)
mkdir -p "$R/root/sekisho-test"
cp "$REPO/tests/deb/install-guest.sh" "$REPO/tests/lib/tap.sh" "$REPO/tests/e2e/rec-env.sh" "$T/pin" \
	"$R/lib/modules/$k61/updates/dkms/"sekisho.ko* "$newdeb" "$R/root/sekisho-test/"
echo 'Deb-vm pass 1' >"$R/root/sekisho-test/password"
store0=$(sha256sum <"$R/var/lib/sekisho/sekisho.db")
lap admin

# 4. the upgrade, in the background beside boot 1: a second overlay whose
# lower layers are the first one's upper layer and the cached root (the VM
# only reads the first overlay: its changes stay in its own tmpfs)
R2=$S/root2
mkdir -p "$S/upper2" "$S/work2" "$R2"
rm -f "$S/upgrade.rc" "$S/upgrade.log"
upgrade() {
	local R=$R2
	chroot_up "$R" || return 1
	cp "$newdeb" "$newdkms" "$R/root/debs/"
	# --force-confold: where both the administrator and the new package
	# changed the conffile, keep the administrator's (dpkg's default
	# answer, N)
	in_root apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"/root/debs/${newdeb##*/}" "/root/debs/${newdkms##*/}"
}
if mount -t overlay overlay -o "lowerdir=$S/upper:$root0,upperdir=$S/upper2,workdir=$S/work2" "$R2"; then
	mounts+=("$R2")
	# niced: the VM beside it is the one with timeouts
	( renice -n 10 -p $BASHPID >/dev/null; upgrade >"$S/upgrade.log" 2>&1; echo $? >"$S/upgrade.rc" ) &
	uppid=$!
else
	echo 1 >"$S/upgrade.rc"
	echo "overlay mount of the upgrade's root failed" >"$S/upgrade.log"
fi

# 3./5. a boot: the guest's TAP lines continue our numbering
boot() { # NAME ROOT PHASE ARGS...
	local name=$1 root=$2 rc n
	shift 2
	if [ "${SEKISHO_DEB_VM_BOOT:-1}" = 0 ] || { [ "${SEKISHO_DEB_VM_BOOT:-1}" = 2 ] && [ "$name" = boot1 ]; }; then
		N=$((N + 1)); echo "ok $N - $name # SKIP SEKISHO_DEB_VM_BOOT=${SEKISHO_DEB_VM_BOOT:-1}"
		return
	fi
	rm -f "$S/out/install-guest.count"
	echo "# booting the root with systemd ($name)"
	VM_OUTDIR=$S/out ${SEKISHO_DEB_VM_LOCK:+flock "$SEKISHO_DEB_VM_LOCK"} "$REPO/scripts/vm-run" --kernel 6.1 --root "$root" --init systemd \
		--timeout "${SEKISHO_DEB_VM_TIMEOUT:-600}" --klog "$KLOG/deb-vm-$name.klog" \
		--env "TAP_START=$N" --env "SEKISHO_DEB_VM_SWAP=${SEKISHO_DEB_VM_SWAP:-1}" -- /bin/bash /root/sekisho-test/install-guest.sh "$@" >"$S/$name.tap"
	rc=$?
	cat "$S/$name.tap"
	FAILED=$((FAILED + $(grep -c '^not ok' "$S/$name.tap")))
	n=$(cat "$S/out/install-guest.count" 2>/dev/null || echo "$N")
	N=$n
	[ $rc = 0 ] || ok "$name: the VM (exit $rc; kernel log $KLOG/deb-vm-$name.klog)" false
}
boot boot1 "$R" first "$VER" "$NEW"
lap boot1
# the ports the guides (en, ja) say to open are the ones the installed
# gateway listens on (boot 1's `ss -lntup`, with the tunnel up)
if [ "${SEKISHO_DEB_VM_BOOT:-1}" = 1 ]; then
	ok "ports: the guides' ports to open (install.md, install-ja.md) are the ones sekishod listens on (ss -lntup in boot 1)" \
		"$REPO/tests/deb/ports.sh" "$S/out/ss-boot1.txt"
fi

wait "$uppid"
uppid=""
sed 's/^/# /' "$S/upgrade.log"
ok "apt install of the $NEW pair over $VER (beside boot 1)" test "$(cat "$S/upgrade.rc" 2>/dev/null)" = 0
umount -l "$R" 2>/dev/null	# boot 1's root: no longer needed
R=$R2
ok "DKMS built $NEW for every installed kernel ($k61${k612:+ $k612}) and removed $VER" \
	bash -c "$(declare -f in_root dkms_installed); R='$R'; dkms_installed '$NEW' $k61 $k612 && ! in_root dkms status -m sekisho -v '$VER' | grep -q ."
ok "upgrade: the conffile keeps the administrator's line, the unit stays enabled" \
	sh -c "grep -qx 'rate_per_source = 29' '$R/etc/sekisho/sekishod.conf' && chroot '$R' systemctl is-enabled sekishod"
ok "upgrade: the store is untouched (same bytes) and alice is in it" \
	sh -c "[ \"\$(sha256sum <'$R/var/lib/sekisho/sekisho.db')\" = '$store0' ] && chroot '$R' $skctl user list | grep -w alice"
# never under live tunnels: no maintainer script of either package, nor the
# DKMS postinst code they call, unloads or loads a module (dkms itself only
# with --modprobe-on-install, which nothing passes); the unit does, at start
no_reload() {
	local f=$R/var/lib/dpkg/info
	! grep -nE 'rmmod|modprobe|insmod' "$f"/sekisho.*inst "$f"/sekisho.*rm \
		"$f"/sekisho-dkms.*inst "$f"/sekisho-dkms.*rm "$R/usr/lib/dkms/common.postinst" 2>/dev/null &&
	! grep -rn 'modprobe-on-install' "$f"/sekisho* "$R/usr/lib/dkms/common.postinst" "$R/etc/dkms" 2>/dev/null
}
ok "upgrade: no maintainer script (sekisho, sekisho-dkms, dkms' common.postinst) unloads or loads a module" no_reload
# the programs are V's files (reversion.sh): dpkg says which release is installed
ok "upgrade: dpkg-query says sekisho and sekisho-dkms $NEW" \
	sh -c "[ \"\$(chroot '$R' dpkg-query -W -f '\${Version} \${db:Status-Abbrev}' sekisho sekisho-dkms)\" = '$NEW ii $NEW ii ' ]"
chroot_down "$R"
lap upgrade
boot boot2 "$R" upgraded "$NEW" "$VER"
lap boot2

echo "# $(($(date +%s) - t0)) s"
tap_done
