#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sekisho posture agent for Linux: prints the endpoint.posture.* lines of
# report format 1 (Documentation/admin/posture.md) on standard output.
# sekisho-hostscan.sh appends them to the host scan report; run alone it
# shows what the gateway would be told.  Runs as openconnect's --csd-user,
# never as root, and reads only what any user may read:
#   OS         /etc/os-release (ID, VERSION_ID, PRETTY_NAME)
#   antivirus  ClamAV: clamd's pid file or socket (running), clamonacc
#              (real-time, on-access scanning), the definitions date of
#              the running clamd (clamdscan --version), else clamscan
#              --version (the world-readable daily.cvd/.cld)
#   firewall   an active nftables, firewalld or ufw service (systemctl
#              is-active); the ruleset itself needs CAP_NET_ADMIN
#              (nft list ruleset), so an active service counts as "on".
#              Without systemd, an nftables chain hooked at input, when
#              the ruleset is readable (root), else "unknown"
#   disk       the root file system sits on a dm-crypt (LUKS) device
#              (lsblk -s TYPE crypt)
#   updates    the last security update: the newest run in apt's
#              history that installed a version a "-security" suite
#              offers (apt-cache madison); Debian and Ubuntu, "unknown"
#              elsewhere or when no such run is found
# What the agent says is the machine's claim: the gateway checks it
# against the group's policy, it does not prove it.
set -u
LC_ALL=C
export LC_ALL

line() { printf 'endpoint.posture.%s="%s";\n' "$1" "$2"; }
# a value: no quotes, backslashes or control characters, one line, bounded
clean() { printf '%s' "$1" | tr -d '"\\\000-\037\177' | cut -c1-"${2:-90}"; }
# an identity token: a-z 0-9 . _ -
token() { printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9._-' | cut -c1-32; }
tf() { if [ "$1" = 1 ]; then echo true; else echo false; fi; }

line format 1
line agent linux-1.0
line os.family linux
osr=/etc/os-release
[ -r "$osr" ] || osr=/usr/lib/os-release
if [ -r "$osr" ]; then
	id=$(sed -n 's/^ID=//p' "$osr" | tr -d '"' | head -n 1)
	ver=$(sed -n 's/^VERSION_ID=//p' "$osr" | tr -d '"' | head -n 1)
	name=$(sed -n 's/^PRETTY_NAME=//p' "$osr" | tr -d '"' | head -n 1)
	[ -n "$(token "$id")" ] && line os.id "$(token "$id")"
	case $ver in
	*[!0-9.]* | "" | .* | *. | *..*) ;;
	*) line os.version "$ver" ;;
	esac
	[ -n "$name" ] && line os.name "$(clean "$name")"
fi

# ---- ClamAV ----
clamd_bin=
for b in /usr/sbin/clamd /usr/bin/clamd /usr/local/sbin/clamd; do
	[ -x "$b" ] && clamd_bin=$b && break
done
if [ -n "$clamd_bin" ]; then
	running=0
	for pf in /run/clamav/clamd.pid /var/run/clamav/clamd.pid /run/clamd.scan/clamd.pid; do
		if [ -r "$pf" ]; then
			pid=$(tr -cd '0-9' <"$pf")
			[ -n "$pid" ] && [ -d "/proc/$pid" ] && running=1
		fi
	done
	[ "$running" = 0 ] && [ -S /run/clamav/clamd.ctl ] && pgrep -x clamd >/dev/null 2>&1 && running=1
	[ "$running" = 0 ] && pgrep -x clamd >/dev/null 2>&1 && running=1
	onacc=0
	pgrep -x clamonacc >/dev/null 2>&1 && onacc=1
	k='av["clamav"]'
	line "$k.vendor" clamav
	line "$k.product" clamd
	v=$("$clamd_bin" --version 2>/dev/null | head -n 1)
	line "$k.name" "$(clean "${v:-ClamAV}" 60)"
	line "$k.installed" true
	line "$k.running" "$(tf "$running")"
	line "$k.realtime" "$(tf "$onacc")"
	# "ClamAV 1.0.7/27450/Mon Nov  4 09:28:12 2025": the part after the
	# second /.  The running clamd's loaded definitions first (clamdscan
	# asks the daemon: what it scans with), else the database files
	# clamscan reads (daily.cvd/.cld; no date without them)
	sv=$(clamdscan --version 2>/dev/null | head -n 1)
	case $sv in */*/*) ;; *) sv=$(clamscan --version 2>/dev/null | head -n 1) ;; esac
	d=$(printf '%s' "$sv" | cut -d/ -f3-)
	if [ -n "$d" ]; then
		d=$(date -u -d "$d" +%Y-%m-%d 2>/dev/null) && line "$k.definitions" "$d"
	fi
fi

# ---- firewall ----
fw=unknown
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	fw=false
	for s in nftables firewalld ufw; do
		systemctl is-active --quiet "$s" 2>/dev/null && fw=true
	done
elif command -v nft >/dev/null 2>&1 && rs=$(nft list ruleset 2>/dev/null); then
	# no systemd (a container, a minimal system): the ruleset itself,
	# readable only with CAP_NET_ADMIN (else "unknown"): on when a chain
	# filters incoming packets
	fw=false
	printf '%s\n' "$rs" | grep -q 'hook input' && fw=true
fi
[ "$fw" != unknown ] && line firewall "$fw"

# ---- root volume ----
src=$(findmnt -n -o SOURCE / 2>/dev/null)
if [ -n "$src" ] && command -v lsblk >/dev/null 2>&1; then
	types=$(lsblk -s -n -o TYPE "$src" 2>/dev/null)
	if [ -n "$types" ]; then
		enc=0
		printf '%s\n' "$types" | grep -qx crypt && enc=1
		line 'disk["root"].system' true
		line 'disk["root"].encrypted' "$(tf "$enc")"
	fi
fi

# ---- last security update ----
# apt's own history (Dir::Log::History, and its last rotation) lists, for
# each run, the packages it upgraded and the version each got.  A run is a
# security update when one of those versions is offered by a "-security"
# suite of this machine's sources (apt-cache madison: Debian's
# bookworm-security, Ubuntu's jammy-security), whoever ran it (apt,
# unattended-upgrades).  The date is that of the newest such run.  Nothing
# else counts: no apt, no history, or no version still listed by a
# security suite (the lists keep only the newest one) is "unknown",
# never the date of any upgrade.  Bounded: the newest 2000 upgrades, at
# most 500 packages asked in one apt-cache call of at most 30 s.
last=
if command -v apt-cache >/dev/null 2>&1; then
	hist=$(apt-config shell h Dir::Log::History/f 2>/dev/null | sed -n "s/^h='\([^']*\)'\$/\1/p")
	[ -n "$hist" ] || hist=/var/log/apt/history.log
	# "DATE PACKAGE VERSION" per upgraded package, oldest first
	ups=$({ [ -r "$hist.1.gz" ] && gzip -dc "$hist.1.gz" 2>/dev/null
		[ -r "$hist" ] && cat "$hist"; } | awk '
		/^Start-Date: / { d = $2; next }
		/^Upgrade: / && d ~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]$/ {
			n = split(substr($0, 10), e, /\), /)
			for (i = 1; i <= n; i++) {
				# "pkg:arch (old, new" with its ")" on the last one
				p = e[i]; sub(/ .*/, "", p); sub(/:.*/, "", p)
				v = e[i]; sub(/\)$/, "", v); sub(/.*, /, "", v)
				if (p ~ /^[a-z0-9][a-z0-9+.-]*$/ && v ~ /^[A-Za-z0-9.+~:-]+$/)
					print d, p, v
			}
		}' | tail -n 2000)
	if [ -n "$ups" ]; then
		set -f
		pkgs=$(printf '%s\n' "$ups" | cut -d' ' -f2 | sort -u | head -n 500)
		to=
		command -v timeout >/dev/null 2>&1 && to="timeout 30"
		# "pkg | version | URI SUITE/COMPONENT ARCH Packages"
		sec=$($to apt-cache madison $pkgs 2>/dev/null |
			awk -F'|' '$3 ~ /[a-z]-security\// { gsub(/ /, "", $1); gsub(/ /, "", $2); print $1, $2 }')
		set +f
		last=$({ printf '%s\n' "$sec"; echo --; printf '%s\n' "$ups"; } | awk '
			$0 == "--" { u = 1; next }
			!u { s[$1 " " $2] = 1; next }
			(($2 " " $3) in s) && $1 > m { m = $1 }
			END { print m }')
	fi
fi
case $last in
20[0-9][0-9]-[01][0-9]-[0-3][0-9]) line update.last "$last" ;;
esac
exit 0
