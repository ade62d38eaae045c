#!/bin/sh
# Print the kernel release of Debian's kernel headers.
#   kver.sh default  the 6.1 release that linux-headers-amd64 points at
#   kver.sh 6.12     the newest installed 6.12 headers
# Falls back to the newest release under /usr/src when dpkg knows nothing.
set -eu
want=${1:-default}
pick() { ls -d /usr/src/linux-headers-"$1"*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n 1; }
case "$want" in
default|6.1)
	r=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null | sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p')
	[ -n "$r" ] || r=$(pick 6.1.)
	;;
*) r=$(pick "$want") ;;
esac
[ -n "$r" ] || { echo "kver.sh: no linux-headers for '$want' (run scripts/deps)" >&2; exit 1; }
echo "$r"
