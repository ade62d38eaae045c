#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/layers/run.sh - the userspace layers hold (TAP).
#
# userspace/Makefile names the layers and, for each, the folders it may use
# (USES_<layer>); it compiles every folder with exactly those include
# paths.  This script checks what the compiler alone cannot:
#   - includes: every #include "..." of a layer's sources (and of each unit
#     test, by its area prefix) names a header of a folder it may use, with
#     no path in it ("../auth/skauth.h" would slip past the -I list);
#   - links: no layer's static library refers to a symbol that only a layer
#     it may not use defines (an extern declaration written by hand would
#     compile);
#   - backends: the database client libraries are the store's own: no other
#     layer includes <sqlite3.h> or <libpq-fe.h>, refers to a sqlite3_* or
#     PQ* symbol, or names sqlite3 or libpq in its PKGS_ or DL_ line (every
#     layer compiles with every package's -I, so the compiler would not say);
#   - opened on first use: no program has libpq, libldap, liblber or libcurl
#     as NEEDED (readelf -d): they are dlopen'ed when a PostgreSQL store, a
#     directory or mail needs them (lib/skdl.h), so every other run of a
#     program does not load them and the 20-odd libraries they pull in;
#     and, as dpkg-shlibdeps cannot see them, the sekisho package's
#     Depends (debian/control) names the package of each;
# and then shows, in a scratch copy, that each check and the build itself
# fail on a planted violation.
#
#   tests/layers/run.sh [BUILD]     BUILD: the build dir of `make userspace`
#                                   (default: build/), whose libraries it reads
{
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build}
objdir=$build/obj/userspace
mk=$repo/userspace/Makefile
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

layers=$(sed -n 's/^LAYERS := //p' "$mk")
uses() { sed -n "s/^USES_$1 := //p" "$mk"; }
[ -n "$layers" ] || { echo "Bail out! no LAYERS in $mk"; exit 1; }

# check_includes ROOT: prints one line per violation
check_includes() {
	local root=$1 l f inc d okay area allowed
	for l in $layers tests; do
		for f in "$root/$l"/*.[ch]; do
			[ -f "$f" ] || continue
			if [ "$l" = tests ]; then
				area=$(basename "$f"); area=${area%%-*}
				case " $layers " in *" $area "*) ;; *) area=lib ;; esac
				allowed="$(uses "$area") tests"
			else
				allowed=$(uses "$l")
			fi
			while IFS=: read -r line inc; do
				if [[ $inc == */* ]]; then
					echo "${f#"$root"/}:$line: #include \"$inc\" names a path"
					continue
				fi
				okay=0
				for d in $allowed; do
					[ -f "$root/$d/$inc" ] && { okay=1; break; }
				done
				[ "$okay" = 1 ] ||
					echo "${f#"$root"/}:$line: #include \"$inc\" is not in a layer $l may use ($allowed)"
			done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
				 sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1:\2/')
		done
	done
}

# check_links DIR: DIR/lib<layer>.a for every layer; one line per violation
check_links() {
	local dir=$1 l m s tmp
	tmp=$(mktemp -d)
	for l in $layers; do
		[ -f "$dir/lib$l.a" ] || { echo "missing $dir/lib$l.a"; continue; }
		nm -g --defined-only "$dir/lib$l.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/def.$l"
		nm -u "$dir/lib$l.a" 2>/dev/null | awk '{ print $NF }' | sort -u >"$tmp/und.$l"
	done
	for l in $layers; do
		[ -f "$tmp/und.$l" ] || continue
		for m in $layers; do
			case " $(uses "$l") " in *" $m "*) continue ;; esac
			comm -12 "$tmp/und.$l" "$tmp/def.$m" | while read -r s; do
				echo "lib$l.a uses $s, defined in lib$m.a ($l may use: $(uses "$l"))"
			done
		done
	done
	rm -rf "$tmp"
}

# check_backends ROOT [LIBDIR] [MAKEFILE]: one line per violation
check_backends() {
	local root=$1 dir=${2:-} m=${3:-} l f
	for l in $layers; do
		[ "$l" = store ] && continue
		for f in "$root/$l"/*.[ch]; do
			[ -f "$f" ] || continue
			grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(sqlite3|libpq-fe)\.h>' "$f" |
				sed -E "s|^([0-9]+):.*<(.*)>.*|${f#"$root"/}:\1: #include <\2>: a backend of the store (only store/ may)|"
		done
		if [ -n "$dir" ] && [ -f "$dir/lib$l.a" ]; then
			nm -u "$dir/lib$l.a" 2>/dev/null | awk '{ print $NF }' | grep -E '^(sqlite3_|PQ)' |
				sort -u | sed "s/^/lib$l.a uses /; s/\$/, a symbol of a backend of the store/"
		fi
		if [ -n "$m" ] && sed -n "s/^\(PKGS\|DL\)_$l := //p" "$m" | grep -qwE 'sqlite3|libpq'; then
			echo "${m#"$(dirname "$root")"/}: PKGS_$l or DL_$l names sqlite3 or libpq (only store's may)"
		fi
	done
}

# check_needed PROGRAM...: one line per library opened on first use that
# a program links (NEEDED) all the same
check_needed() {
	local p lib
	for p; do
		[ -f "$p" ] || { echo "missing $p"; continue; }
		readelf -d "$p" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' |
			grep -E '^lib(pq|ldap|lber|curl)[.-]' | while read -r lib; do
				echo "$(basename "$p") links $lib (it is opened on first use: lib/skdl.h)"
			done
	done
}

# check_depends CONTROL: one line per library opened on first use whose
# package (dpkg's, of the .so the build links against, as userspace/Makefile
# finds it) the sekisho package's Depends does not name
check_depends() {
	local so f pkg deps
	deps=$(perl -MDpkg::Control::Info -e \
		'print Dpkg::Control::Info->new($ARGV[0])->get_pkg_by_name("sekisho")->{Depends} // ""' "$1")
	for so in libpq.so libldap.so liblber.so libcurl.so; do
		f=$(readlink -f "$(cc -print-file-name="$so")")
		pkg=$(dpkg-query -S "$f" 2>/dev/null | sed -n '1s/:.*//p')
		if [ -z "$pkg" ]; then echo "$so: no package has $f"
		elif ! tr ',' '\n' <<<"$deps" | grep -qE "^[[:space:]]*$pkg([[:space:]]|\$)"; then
			echo "debian/control: sekisho's Depends does not name $pkg ($so is opened on first use)"
		fi
	done
}

echo "TAP version 13"
echo "1..13"

v=$(check_includes "$repo/userspace")
if [ -z "$v" ]; then ok "includes: every quoted include is of a layer its file may use"
else sed 's/^/# /' <<<"$v"; not_ok "includes: $(wc -l <<<"$v") wrong-way include(s)"; fi

if [ ! -f "$objdir/libsekishod.a" ]; then
	make -s -C "$repo/userspace" BUILD="$build" libs >/dev/null 2>&1
fi
v=$(check_links "$objdir")
if [ -z "$v" ]; then ok "links: no library refers to a symbol of a layer it may not use"
else sed 's/^/# /' <<<"$v"; not_ok "links: $(wc -l <<<"$v") wrong-way reference(s)"; fi

v=$(check_backends "$repo/userspace" "$objdir" "$mk")
if [ -z "$v" ]; then ok "backends: only store includes, calls and links SQLite and libpq"
else sed 's/^/# /' <<<"$v"; not_ok "backends: $(wc -l <<<"$v") use(s) outside store"; fi

progs="sekictl sekictl-admin sekishod sekishod-worker sekishod-keyholder"
for p in $progs; do
	[ -f "$build/$p" ] || { make -s -C "$repo/userspace" BUILD="$build" all >/dev/null 2>&1; break; }
done
v=$(check_needed $(printf "$build/%s " $progs))
if [ -z "$v" ]; then ok "needed: no program links libpq, libldap, liblber or libcurl ($progs)"
else sed 's/^/# /' <<<"$v"; not_ok "needed: $(wc -l <<<"$v") library(ies) linked that are opened on first use"; fi
v=$(check_depends "$repo/debian/control")
if [ -z "$v" ]; then ok "depends: the sekisho package depends on the package of each library opened on first use"
else sed 's/^/# /' <<<"$v"; not_ok "depends: $(wc -l <<<"$v") missing"; fi

# ---- planted violations, in a scratch copy --------------------------------
scratch=$(mktemp -d /tmp/sk-layers.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp -a "$repo/userspace" "$scratch/userspace"
mkdir -p "$scratch/include" && cp -a "$repo/include/uapi" "$scratch/include/"
rm -rf "$scratch/userspace/fuzz"

# 1. store includes a header of auth (above it): the build refuses
echo '#include "skauth.h"' >>"$scratch/userspace/store/store.c"
out=$(make -C "$scratch/userspace" BUILD="$scratch/build" "$scratch/build/obj/userspace/store/store.o" 2>&1)
if [ $? -ne 0 ] && grep -q 'skauth.h' <<<"$out"; then
	ok "planted: store/store.c including skauth.h does not compile"
else
	sed 's/^/# /' <<<"$out" | tail -n 5; not_ok "planted: store/store.c including skauth.h compiled"
fi
v=$(check_includes "$scratch/userspace")
if grep -q 'store/store.c:.*skauth.h' <<<"$v"; then ok "planted: the include check names store/store.c -> skauth.h"
else not_ok "planted: the include check missed store/store.c -> skauth.h"; fi
cp "$repo/userspace/store/store.c" "$scratch/userspace/store/store.c"

# 2. a path in an include gets past -I; the include check catches it
echo '#include "../auth/skauth.h"' >>"$scratch/userspace/store/validate.c"
v=$(check_includes "$scratch/userspace")
if grep -q 'store/validate.c:.*names a path' <<<"$v"; then ok "planted: a relative include \"../auth/skauth.h\" is caught"
else sed 's/^/# /' <<<"$v"; not_ok "planted: a relative include was not caught"; fi
cp "$repo/userspace/store/validate.c" "$scratch/userspace/store/validate.c"

# 3. the CLI's headers are out of the daemon's reach
echo '#include "sekictl.h"' >>"$scratch/userspace/sekishod/kernel.c"
out=$(make -C "$scratch/userspace" BUILD="$scratch/build" "$scratch/build/obj/userspace/sekishod/kernel.o" 2>&1)
if [ $? -ne 0 ] && grep -q 'sekictl.h' <<<"$out"; then ok "planted: sekishod including sekictl.h does not compile"
else sed 's/^/# /' <<<"$out" | tail -n 5; not_ok "planted: sekishod including sekictl.h compiled"; fi
cp "$repo/userspace/sekishod/kernel.c" "$scratch/userspace/sekishod/kernel.c"

# 4. a hand-written extern declaration compiles; the link check catches it
mkdir -p "$scratch/libs"
cp "$objdir"/lib*.a "$scratch/libs/"
cat >"$scratch/planted.c" <<'C'
int sk_pw_verify(const char *hash, const char *password);
int sk_store_planted(const char *h);
int sk_store_planted(const char *h) { return sk_pw_verify(h, "x"); }
C
if cc -c -o "$scratch/planted.o" "$scratch/planted.c" && ar rs "$scratch/libs/libstore.a" "$scratch/planted.o" 2>/dev/null; then
	v=$(check_links "$scratch/libs")
	if grep -q 'libstore.a uses sk_pw_verify, defined in libauth.a' <<<"$v"; then
		ok "planted: libstore.a calling sk_pw_verify (auth) is caught"
	else
		sed 's/^/# /' <<<"$v"; not_ok "planted: the link check missed libstore.a -> sk_pw_verify"
	fi
else
	not_ok "planted: could not build the planted object"
fi
# 5. admin asks PostgreSQL itself (a hand-made "does it exist"): caught
echo '#include <libpq-fe.h>' >>"$scratch/userspace/admin/backup.c"
v=$(check_backends "$scratch/userspace")
if grep -q 'admin/backup.c:.*libpq-fe.h' <<<"$v"; then ok "planted: admin/backup.c including <libpq-fe.h> is caught"
else sed 's/^/# /' <<<"$v"; not_ok "planted: the backend check missed admin/backup.c -> <libpq-fe.h>"; fi
cp "$repo/userspace/admin/backup.c" "$scratch/userspace/admin/backup.c"

# 6. a program that links libpq after all: the NEEDED check names it
echo 'int main(void) { return 0; }' >"$scratch/needs-pq.c"
if cc -o "$scratch/sekictl-admin" "$scratch/needs-pq.c" -Wl,--no-as-needed \
	$(pkg-config --libs libpq) 2>/dev/null; then
	v=$(check_needed "$scratch/sekictl-admin")
	if grep -q 'sekictl-admin links libpq.so' <<<"$v"; then ok "planted: a sekictl-admin linking libpq is caught"
	else sed 's/^/# /' <<<"$v"; not_ok "planted: the NEEDED check missed libpq"; fi
else
	not_ok "planted: could not link the planted program"
fi
# 7. the package forgets libpq5: the Depends check names it
sed 's/, libpq5$//' "$repo/debian/control" >"$scratch/control"
v=$(check_depends "$scratch/control")
if grep -q "does not name libpq5" <<<"$v"; then ok "planted: a Depends without libpq5 is caught"
else sed 's/^/# /' <<<"$v"; not_ok "planted: the Depends check missed libpq5"; fi

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
exit
}
