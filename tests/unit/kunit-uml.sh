#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kunit-uml.sh: run the KUnit suites sekisho_replay, sekisho_allowlist and
# sekisho_record in a User-Mode Linux kernel with KASAN, without the QEMU
# rig and without loading modules on the host.  For developers; the real
# run is sekisho_kunit.ko on the debug kernel (scripts/vm-run).
#
#   tests/unit/kunit-uml.sh [BUILD]	default build/kunit-uml
#
# Needs a Linux source tree: $KSRC, or /usr/src/linux-source-6.12.tar.xz
# (apt-get install linux-source-6.12), extracted once into BUILD/src.  The
# test files are copied into BUILD/src/lib/sekisho/ with the directory
# layout they expect, and kunit.py builds and boots UML (about 5 minutes on
# two cores, 1.5 GB of disk).  Exit status is kunit.py's.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/kunit-uml}
mkdir -p "$build"
build=$(cd "$build" && pwd)

src=${KSRC:-}
if [ -z "$src" ]; then
	src=$build/src
	if [ ! -f "$src/Makefile" ]; then
		tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
		if [ -z "$tarball" ]; then
			echo "kunit-uml: no kernel source; set KSRC or install linux-source-6.12" >&2
			exit 2
		fi
		echo "kunit-uml: extracting $tarball"
		mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" --strip-components=1
	fi
fi

# lib/sekisho: kmod/ and include/uapi/ as in the repository, built in
t=$src/lib/sekisho
rm -rf "$t"
mkdir -p "$t/kmod/tests" "$t/include/uapi/linux"
cp "$top"/kmod/pure.h "$top"/kmod/replay.[ch] "$top"/kmod/allowlist.[ch] \
   "$top"/kmod/record.[ch] "$t/kmod/"
cp "$top"/kmod/tests/*.[ch] "$t/kmod/tests/"
cp "$top/include/uapi/linux/sekisho.h" "$t/include/uapi/linux/"
cat > "$t/Kconfig" <<'KCONFIG'
config SEKISHO_KUNIT
	bool "KUnit tests of the sekisho pure datapath parts"
	depends on KUNIT
KCONFIG
cat > "$t/Makefile" <<'MAKEFILE'
obj-$(CONFIG_SEKISHO_KUNIT) += kmod/tests/kunit_mod.o \
	kmod/tests/replay_kunit.o kmod/tests/allowlist_kunit.o \
	kmod/tests/record_kunit.o kmod/tests/replay_copy.o \
	kmod/tests/allowlist_copy.o kmod/tests/record_copy.o
MAKEFILE
cat > "$t/.kunitconfig" <<'KUNITCONFIG'
CONFIG_KUNIT=y
CONFIG_SEKISHO_KUNIT=y
CONFIG_KASAN=y
CONFIG_KASAN_VMALLOC=y
KUNITCONFIG
grep -q 'lib/sekisho/Kconfig' "$src/lib/Kconfig" ||
	echo 'source "lib/sekisho/Kconfig"' >> "$src/lib/Kconfig"
grep -q 'sekisho/' "$src/lib/Makefile" ||
	echo 'obj-y += sekisho/' >> "$src/lib/Makefile"

cd "$src"
exec ./tools/testing/kunit/kunit.py run --arch=um \
	--kunitconfig=lib/sekisho/.kunitconfig --build_dir="$build/um" \
	--jobs="$(nproc)"
