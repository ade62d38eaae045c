#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/offline-download.sh WORK DIR DEB DKMS CACHE...: runs
# `scripts/offline-deps --download DIR DEB DKMS` for real, as the offline
# install's first step (Documentation/admin/install.md, "Offline
# installation"), with no network at all (a network namespace of its own,
# `unshare -n`) against a file: mirror in WORK made of the local apt
# caches (CACHE...: directories of .deb files, e.g. the package root's apt
# cache, debootstrap's downloads, the host's /var/cache/apt/archives).
# The mirror holds the cached files of the packages the list names, every
# cached version (the newest wins, as on a mirror); apt resolves the list
# against it as offline-deps does against the network.  Then checks that
# DIR holds exactly the list's packages at the printed versions plus the
# two packages, one file each.  Prints what it did; exit 0 or 1.
# Used by tests/deb/install.sh, whose chroot then installs DIR's files
# offline as the guide says.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
W=${1:?work dir}
DIR=${2:?download dir}
DEB=${3:?sekisho deb}
DKMS=${4:?sekisho-dkms deb}
shift 4
rm -rf "$W" "$DIR"
mkdir -p "$W/mirror" "$W/etc/apt.conf.d" "$W/etc/sources.list.d" "$W/etc/preferences.d" \
	"$W/etc/trusted.gpg.d" "$W/lists/partial" "$W/cache/archives/partial" || exit 1

# the names: offline-deps with the system's sources (a simulation, no
# download, no network)
names=$("$REPO/scripts/offline-deps" "$DEB" "$DKMS" | awk '{ print $1 }') || exit 1
[ -n "$names" ] || { echo "offline-deps printed nothing"; exit 1; }
# every cached file of those names (NAME_VERSION_ARCH.deb), linked into
# the mirror once per file name
n_files=0
for c in "$@"; do
	[ -d "$c" ] || continue
	for p in $names; do
		for f in "$c/${p}"_*.deb; do
			[ -f "$f" ] || continue
			[ -e "$W/mirror/${f##*/}" ] && continue
			ln -s "$f" "$W/mirror/${f##*/}" && n_files=$((n_files + 1))
		done
	done
done
(cd "$W/mirror" && dpkg-scanpackages -m . 2>"$W/scan.err") >"$W/mirror/Packages" ||
	{ cat "$W/scan.err"; exit 1; }
echo "mirror: $n_files cached files of the $(wc -w <<<"$names") names (from: $*)"
# apt with only that mirror: no other source, no other configuration
cat >"$W/apt.conf" <<EOF
Dir::Etc "$W/etc";
Dir::Etc::Parts "$W/etc/apt.conf.d";
Dir::State::Lists "$W/lists";
Dir::Cache "$W/cache";
Debug::NoLocking "1";
APT::Sandbox::User "$(id -un)";
Acquire::Languages "none";
EOF
echo "deb [trusted=yes] file:$W/mirror ./" >"$W/etc/sources.list"
export APT_CONFIG=$W/apt.conf
unshare -n apt-get -q update >"$W/update.log" 2>&1 || { cat "$W/update.log"; exit 1; }

# the download, as the guide says, in a namespace without any network
t0=$(date +%s.%N)
if ! unshare -n "$REPO/scripts/offline-deps" --download "$DIR" "$DEB" "$DKMS" >"$W/list" 2>"$W/download.err"; then
	tail -n 20 "$W/download.err"
	echo "scripts/offline-deps --download failed without a network"
	exit 1
fi
t1=$(date +%s.%N)
n=$(wc -l <"$W/list")
echo "scripts/offline-deps --download: $n packages listed, $(ls "$DIR" | wc -l) files in $DIR ($(du -sh "$DIR" | cut -f1)), $(echo "$t1 - $t0" | bc) s"
rc=0
# the same names as with the system's sources
diff <(echo "$names" | sort) <(awk '{ print $1 }' "$W/list" | sort) >"$W/names.diff" ||
	{ echo "the mirror resolves other names:"; cat "$W/names.diff"; rc=1; }
# exactly the list's packages at its versions, and the two packages
pv() { dpkg-deb --show --showformat='${Package} ${Version}\n' "$1"; }
for f in "$DIR"/*.deb; do pv "$f"; done | sort >"$W/have"
{ cat "$W/list"; pv "$DEB"; pv "$DKMS"; } | sort >"$W/want"
diff "$W/want" "$W/have" >"$W/files.diff" || { echo "DIR is not the list (want < > have):"; cat "$W/files.diff"; rc=1; }
[ "$(ls "$DIR"/*.deb | wc -l)" = $((n + 2)) ] || { echo "$(ls "$DIR"/*.deb | wc -l) files for $((n + 2)) packages"; rc=1; }
cmp -s "$DEB" "$DIR/${DEB##*/}" && cmp -s "$DKMS" "$DIR/${DKMS##*/}" ||
	{ echo "the two packages in DIR are not the given ones"; rc=1; }
exit $rc
