#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sekisho-hostscan.sh: the host scan (CSD) wrapper for openconnect against a
# sekisho gateway with settings device.hostscan on:
#
#   openconnect --csd-wrapper /usr/libexec/sekisho/sekisho-hostscan.sh https://vpn.example.jp/
#
# openconnect runs it with -ticket, -stub, -url ... and the environment
# CSD_TOKEN, CSD_HOSTNAME, CSD_SHA256 (the gateway's public key hash).  It
# asks the gateway for the scan token, then posts a report in the AnyConnect
# host scan syntax (one endpoint.*="..."; line each) with:
#   the OS (uname), the host name,
#   endpoint.device.id: this device's serial ID, which the gateway matches
#     against (or auto-registers into) the user's devices:
#       $SEKISHO_DEVICE_ID if set, else /sys/class/dmi/id/product_serial if
#       readable and not empty or "0", else /etc/machine-id;
#   endpoint.device.MAC["xxxx.xxxx.xxxx"]: one per network interface with a
#     real MAC address (not loopback), or the space-separated aa:bb:... list
#     in $SEKISHO_DEVICE_MACS (for tests).
#   endpoint.posture.*: the machine's posture from agents/linux.sh (macOS:
#     agents/macos.sh) next to
#     this script (OS, ClamAV, firewall, LUKS, last update), if present.
# Every request is pinned to the gateway's key (curl --pinnedpubkey), as the
# stock csd-post.sh does.  The report is an assertion by this machine, not a
# proof: it identifies a registered device, it does not authenticate one.
#
# Leaving a quarantine without a new login (issue 12 (b)):
#
#   sekisho-hostscan.sh --recheck http://10.77.0.1:8444/recheck
#
# run by the user (no root needed) while the quarantined tunnel is up,
# with the URL the gateway's quarantine notice names: the same report,
# posted through the tunnel to the gateway's address on it (plain HTTP:
# the tunnel is the encryption; the gateway knows the session by the
# tunnel's address).  Prints the gateway's answer; exit 0 when the
# quarantine was lifted, 1 when it stays (the answer says why).
set -u

ticket='' stub=0 url='' recheck=''
if [ "${1:-}" = --recheck ]; then
	recheck=${2:-}
	case $recheck in
	http://[0-9]*.[0-9]*.[0-9]*.[0-9]*:[0-9]*/recheck | http://\[[0-9a-fA-F:]*\]:[0-9]*/recheck) ;;
	*)
		printf 'sekisho-hostscan: --recheck needs the URL of the quarantine notice (http://ADDRESS:PORT/recheck)\n' >&2
		printf 'sekisho-hostscan: --recheck には隔離の通知にある URL (http://アドレス:ポート/recheck) を指定してください\n' >&2
		exit 2 ;;
	esac
	set --
fi
while [ $# -gt 0 ]; do
	case $1 in
	-ticket) shift; ticket=$(printf '%s' "${1:-}" | tr -d '"') ;;
	-stub) shift; stub=$(printf '%s' "${1:-}" | tr -d '"') ;;
	-url) shift; url=$(printf '%s' "${1:-}" | tr -d '"') ;;
	esac
	[ $# -gt 0 ] && shift
done

say() { printf 'sekisho-hostscan: %s\n' "$*" >&2; }

host=${CSD_HOSTNAME:-}
[ -n "$host" ] || [ -n "$recheck" ] ||
	{ say "CSD_HOSTNAME is not set (run me from openconnect --csd-wrapper)"; exit 1; }
# -url carries the port when the gateway is not on 443; CSD_HOSTNAME does not
base="https://$host"
auth=$(printf '%s' "$url" | sed -n 's#^https://\([^/]*\)/.*#\1#p')
case $auth in
"$host" | "$host":[0-9]*) base="https://$auth" ;;
esac
case $ticket in
*[!A-Za-z0-9_-]* | "") [ -n "$recheck" ] || { say "bad or missing -ticket"; exit 1; } ;;
esac
case $stub in
*[!0-9]* | "") stub=0 ;;
esac

if [ -n "${CSD_SHA256:-}" ]; then
	# -k: the pinned key is the check (the gateway may use a private CA)
	set -- -k --pinnedpubkey "sha256//$CSD_SHA256"
else
	set --
fi
set -- "$@" -s --max-time 30 --proto =https

if [ -z "$recheck" ]; then
	token=$(curl "$@" "$base/+CSCOE+/sdesktop/token.xml?ticket=$ticket&stub=$stub" |
		sed -n 's#.*<token>\([A-Za-z0-9_-]*\)</token>.*#\1#p')
	[ -n "$token" ] || token=${CSD_TOKEN:-}
	case $token in
	*[!A-Za-z0-9_-]* | "") say "no scan token from the gateway"; exit 1 ;;
	esac
fi

# a value in the report: no quotes, no control characters, one line
clean() { printf '%s' "$1" | tr -d '"\000-\037\177' | cut -c1-120; }

id=${SEKISHO_DEVICE_ID:-}
if [ -z "$id" ] && [ -r /sys/class/dmi/id/product_serial ]; then
	id=$(cat /sys/class/dmi/id/product_serial 2>/dev/null)
	[ "$id" = 0 ] && id=
fi
[ -n "$id" ] || id=$(cat /etc/machine-id 2>/dev/null)

macs=${SEKISHO_DEVICE_MACS:-}
if [ -z "$macs" ]; then
	for dev in /sys/class/net/*; do
		[ -e "$dev/address" ] || continue
		[ "$(cat "$dev/type" 2>/dev/null)" = 1 ] || continue	# ARPHRD_ETHER only
		[ "${dev##*/}" = lo ] && continue
		a=$(cat "$dev/address" 2>/dev/null)
		case $a in
		00:00:00:00:00:00 | "") continue ;;
		esac
		macs="$macs $a"
	done
fi

report=$(mktemp) || exit 1
trap 'rm -f "$report"' EXIT
{
	printf 'endpoint.os.version="%s";\n' "$(clean "$(uname -s)")"
	printf 'endpoint.os.servicepack="%s";\n' "$(clean "$(uname -r)")"
	printf 'endpoint.os.architecture="%s";\n' "$(clean "$(uname -m)")"
	printf 'endpoint.policy.location="Default";\n'
	printf 'endpoint.device.hostname="%s";\n' "$(clean "$(uname -n)")"
	[ -n "$id" ] && printf 'endpoint.device.id="%s";\n' "$(clean "$id")"
	for m in $macs; do
		# aa:bb:cc:dd:ee:ff -> aabb.ccdd.eeff (Cisco form)
		c=$(printf '%s' "$m" | tr -d ':-' | tr 'A-F' 'a-f')
		case $c in
		[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
		*) say "ignoring '$m': not a MAC address"; continue ;;
		esac
		printf 'endpoint.device.MAC["%s.%s.%s"]="true";\n' "$(echo "$c" | cut -c1-4)" \
			"$(echo "$c" | cut -c5-8)" "$(echo "$c" | cut -c9-12)"
	done
	# the posture block (report format 1, Documentation/admin/posture.md)
	# from the agent next to this wrapper, when there is one
	case $(uname -s) in
	Linux) agent="$(dirname "$0")/agents/linux.sh" ;;
	Darwin) agent="$(dirname "$0")/agents/macos.sh" ;;
	*) agent= ;;
	esac
	if [ -n "$agent" ] && [ -r "$agent" ]; then
		sh "$agent" 2>/dev/null | grep '^endpoint\.posture\.' | head -n 200
	fi
} >"$report"

if [ -n "$recheck" ]; then
	# through the tunnel: the gateway's answer (ja / en) is the output
	answer=$(curl -s --max-time 30 --proto =http -H 'Content-Type: text/plain' -H 'Expect: ' \
		--data-binary "@$report" -w '\n%{http_code}' "$recheck")
	code=$(printf '%s\n' "$answer" | tail -n 1)
	printf '%s\n' "$answer" | sed '$d'
	case $code in
	200) exit 0 ;;
	000) say "the gateway could not be reached at $recheck (is the VPN connected?)"; exit 1 ;;
	*) exit 1 ;;
	esac
fi
answer=$(curl "$@" -H 'Content-Type: text/xml' -H "Cookie: sdesktop=$token" -H 'Expect: ' \
	--data-binary "@$report" -w '\n%{http_code}' "$base/+CSCOE+/sdesktop/scan.xml?reusebrowser=1")
code=$(printf '%s\n' "$answer" | tail -n 1)
if [ "$code" != 200 ]; then
	say "the gateway refused the report (HTTP $code): $(printf '%s\n' "$answer" | sed '$d')"
	exit 1
fi
say "report sent (device id ${id:-none}, $(echo "$macs" | wc -w) MAC address(es))"
exit 0
