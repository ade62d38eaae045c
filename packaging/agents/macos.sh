#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sekisho posture agent for macOS: prints the endpoint.posture.* lines of
# report format 1 (Documentation/admin/posture.md) on standard output.
# sekisho-hostscan.sh runs it on Darwin (agents/macos.sh next to it) and
# appends its lines to the host scan report; run alone it shows what the
# gateway would be told.  Runs as the logged-in user, never as root, and
# uses only commands a standard user may run:
#   OS         sw_vers -productVersion / -productName
#   antivirus  XProtect (Apple's built-in scanner, vendor "apple", product
#              "xprotect"): its bundle's version and the date of its last
#              update (the bundle's modification time); allow it with
#              av.allowed=...,apple/xprotect
#   firewall   socketfilterfw --getglobalstate (the Application Firewall)
#   disk       fdesetup status (FileVault)
#   updates    softwareupdate --history: the newest install date
# What the agent says is the machine's claim: the gateway checks it
# against the group's policy, it does not prove it.
#
# NOT RUN ON macOS by this project: the development machines have no Mac.
# It is checked here with `sh -n` and run on Linux against stub commands
# (tests/posture/agents-test.sh), which shows its parsing and output
# format, not that macOS prints what the stubs print.
set -u
LC_ALL=C
export LC_ALL

line() { printf 'endpoint.posture.%s="%s";\n' "$1" "$2"; }
clean() { printf '%s' "$1" | tr -d '"\\\000-\037\177' | cut -c1-"${2:-90}"; }
# a date "YYYY-MM-DD" from seconds since 1970 (BSD date -r, GNU date -d @)
day_of() { date -u -r "$1" +%Y-%m-%d 2>/dev/null || date -u -d "@$1" +%Y-%m-%d 2>/dev/null; }

line format 1
line agent macos-1.0
line os.family macos
ver=$(sw_vers -productVersion 2>/dev/null)
case $ver in
*[!0-9.]* | "" | .* | *. | *..*) ;;
*) line os.version "$ver" ;;
esac
name=$(sw_vers -productName 2>/dev/null)
[ -n "$name" ] && line os.name "$(clean "$name $ver")"

# ---- XProtect ----
xp=
for b in /Library/Apple/System/Library/CoreServices/XProtect.bundle \
	/System/Library/CoreServices/XProtect.bundle; do
	[ -d "$b" ] && xp=$b && break
done
if [ -n "$xp" ]; then
	k='av["xprotect"]'
	line "$k.vendor" apple
	line "$k.product" xprotect
	v=$(defaults read "$xp/Contents/Info" CFBundleShortVersionString 2>/dev/null)
	line "$k.name" "$(clean "XProtect ${v:-}" 60)"
	line "$k.installed" true
	# XProtect is part of the system: it scans at every launch and
	# download; it cannot be switched off without disabling SIP
	line "$k.running" true
	line "$k.realtime" true
	t=$(stat -f %m "$xp/Contents/Info.plist" 2>/dev/null || stat -c %Y "$xp/Contents/Info.plist" 2>/dev/null)
	case $t in
	'' | *[!0-9]*) ;;
	*) d=$(day_of "$t") && [ -n "$d" ] && line "$k.definitions" "$d" ;;
	esac
fi

# ---- firewall ----
fw=$(/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate 2>/dev/null)
case $fw in
*"enabled"*) line firewall true ;;
*"disabled"*) line firewall false ;;
esac

# ---- FileVault ----
fv=$(fdesetup status 2>/dev/null | head -n 1)
case $fv in
"FileVault is On"*)
	line 'disk["root"].system' true
	line 'disk["root"].encrypted' true ;;
"FileVault is Off"*)
	line 'disk["root"].system' true
	line 'disk["root"].encrypted' false ;;
esac

# ---- last update: softwareupdate --history, dates "MM/DD/YYYY, HH:MM:SS" ----
last=$(softwareupdate --history 2>/dev/null |
	sed -n 's#.*\([01][0-9]\)/\([0-3][0-9]\)/\(20[0-9][0-9]\).*#\3-\1-\2#p' | sort | tail -n 1)
case $last in
20[0-9][0-9]-[01][0-9]-[0-3][0-9]) line update.last "$last" ;;
esac
exit 0
