#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/reversion.sh OUT NEW DEB...: the same packages as release NEW,
# for tests/deb/install.sh's upgrade, without a second build.
#
# Each DEB (sekisho_V_amd64.deb, sekisho-dkms_V_all.deb) is unpacked with
# dpkg-deb -R and packed again into OUT as NEW:
#   - DEBIAN/control: Version, and the "(= V)" of the Recommends;
#   - sekisho-dkms: /usr/src/sekisho-V becomes /usr/src/sekisho-NEW, its
#     VERSION file (the module's MODULE_VERSION, so DKMS builds a module
#     that says NEW in /sys/module/sekisho/version) and dkms.conf's
#     PACKAGE_VERSION say NEW, and so do the DKMS_VERSION lines of the
#     maintainer scripts dh_dkms wrote;
#   - the first line of the Debian changelog; DEBIAN/md5sums again.
# The programs are the same files: `sekishod --version` still prints V
# (the test asks dpkg-query for the installed version instead;
# Documentation/decisions/packaging.md, "The upgrade test's second
# release").  About a second, against a full dpkg-buildpackage (about
# 100 s of CPU) for SEKISHO_DEB_VERSION=NEW scripts/make-deb.
set -euo pipefail
out=${1:?usage: tests/deb/reversion.sh OUT NEW DEB...}
new=${2:?usage: tests/deb/reversion.sh OUT NEW DEB...}
shift 2
[[ $new =~ ^[0-9]+(\.[0-9]+)*(\+[a-z0-9.]+)?$ ]] || { echo "reversion: version '$new' is not N.N.N[+suffix]" >&2; exit 2; }
mkdir -p "$out"
for deb in "$@"; do
	pkg=$(dpkg-deb -f "$deb" Package)
	old=$(dpkg-deb -f "$deb" Version)
	arch=$(dpkg-deb -f "$deb" Architecture)
	d=$(mktemp -d "$out/.re-$pkg.XXXXXX")
	dpkg-deb -R "$deb" "$d/x"
	x=$d/x
	qold=${old//./\\.}
	sed -i -e "s/^Version: $qold\$/Version: $new/" -e "s/(= $qold)/(= $new)/g" "$x/DEBIAN/control"
	if [ -d "$x/usr/src/sekisho-$old" ]; then
		mv "$x/usr/src/sekisho-$old" "$x/usr/src/sekisho-$new"
		echo "$new" >"$x/usr/src/sekisho-$new/VERSION"
		sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$new\"/" "$x/usr/src/sekisho-$new/dkms.conf"
	fi
	for f in "$x"/DEBIAN/postinst "$x"/DEBIAN/prerm "$x"/DEBIAN/preinst "$x"/DEBIAN/postrm; do
		[ -f "$f" ] && sed -i "s/^DKMS_VERSION=$qold\$/DKMS_VERSION=$new/" "$f"
	done
	cl=$x/usr/share/doc/$pkg/changelog.gz
	if [ -f "$cl" ]; then
		gzip -dc "$cl" | sed "1s/($qold)/($new)/" | gzip -9n >"$cl.new"
		touch -r "$cl" "$cl.new"
		mv "$cl.new" "$cl"
	fi
	(cd "$x" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
		xargs -0r md5sum) >"$d/md5sums"
	mv "$d/md5sums" "$x/DEBIAN/md5sums"
	chmod 0644 "$x/DEBIAN/md5sums"
	# what was renamed or rewritten must say NEW, nothing may still say V
	if grep -rlsE "(sekisho-|DKMS_VERSION=|PACKAGE_VERSION=\"|^Version: )$qold([^+.0-9a-z]|\$)" \
		"$x/DEBIAN" "$x/usr/src" >"$d/left"; then
		echo "reversion: $pkg still names $old in:" >&2
		cat "$d/left" >&2
		exit 1
	fi
	dpkg-deb --root-owner-group -Zxz -z1 -b "$x" "$out/${pkg}_${new}_$arch.deb" >/dev/null
	rm -rf "$d"
	echo "$out/${pkg}_${new}_$arch.deb"
done
