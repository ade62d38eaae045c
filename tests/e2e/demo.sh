#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo (scripts/demo boots the VM and runs this): the gateway doing its
# job with the real components of the e2e lab (tests/e2e/lib.sh): sekishod
# with a group (password, then a one-time code by e-mail) and a user; the
# real openconnect client logs in with the password and the code read from
# the mail the gateway sent to the lab's SMTP server; ping and an HTTP fetch
# from the internal server through the tunnel; then what an administrator
# sees: sekictl session list, sekictl show (the kernel's counters) and the
# audit lines of that login, each checked: the session with its address,
# the kernel's counters moved, the login's audit records (password,
# the mail sent, the code, the login, the session's start).  make check
# runs it too, in the e2e VM (run-all.sh's list): what the README says
# the newcomer sees is tested; sekishod-email-otp.sh no longer repeats
# its plain first login.
. "$(dirname "$0")/lib.sh"
E2E_SMTP=1
trap 'stop_bg HTTP_PID; sekishod_stop; e2e_cleanup' EXIT
say() { printf '\n=== %s\n' "$*"; }

sk_begin "make demo: sekishod, openconnect, a password and an e-mailed code"
say "1. the store: group staff (password, then a one-time code by e-mail), user hanako"
check "group staff" sk_group staff factors=password,email-otp
check "user hanako (山田 花子)" sk_user hanako staff 'Demo-pass1'
skctl user set hanako display-name="山田 花子" >/dev/null
skctl group show staff | grep -E '^(factors|pool4|dns|policy) '
say "2. sekishod starts (the kernel module carries the tunnels)"
check "sekishod: starts" sekishod_start || exit 1
# an internal web page on the server behind the gateway
mkdir -p "$T/www" && echo "hello from the internal server $SRV4" >"$T/www/index.html"
(cd "$T/www" && exec ip netns exec srv $PY -m http.server 8080 --bind $SRV4) >/dev/null 2>&1 &
HTTP_PID=$!
wait_for 10 in_srv sh -c 'ss -ltn | grep -q ":8080 "'

say "3. openconnect logs in: the password, then the code from the mail"
oc_connect_fifo a -u hanako --passwd-on-stdin
oc_type Demo-pass1
code=$(mail_wait_code "hanako@$MAIL_DOMAIN" 60)
check "the gateway mailed a one-time code ($code)" test -n "$code"
oc_type "$code"
check "tunnel up" oc_wait_up a 180 || exit 1
oc_type_close
addr=$(oc_env a INTERNAL_IP4_ADDRESS)
echo "client address $addr, DNS $(oc_env a INTERNAL_IP4_DNS)"

say "4. through the tunnel to the internal server $SRV4"
check "ping $SRV4" ping_cli $SRV4
page=$(in_cli $PY -c "import urllib.request; print(urllib.request.urlopen('http://$SRV4:8080/', timeout=10).read().decode().strip())" 2>&1)
check "HTTP fetch: '$page'" test "$page" = "hello from the internal server $SRV4"

say "5. what the administrator sees: sekictl session list"
out=$(skctl_live session list)
printf '%s\n' "$out"
check "session list: hanako at $addr" awk -v a="$addr" '/hanako/ && index($0, a) { f = 1 } END { exit !f }' <<<"$out"
say "sekictl show (the kernel: devices, sessions, counters)"
out=$(in_gw "$SEKICTL" show)
printf '%s\n' "$out"
# the device-wide counters (the first NAME: lines): the data went through
# the module
stat_of() { awk -v k="$1:" '$1 == k { print $2; exit }' <<<"$out"; }
check "sekictl show: the module carried it (rx_packets $(stat_of rx_packets), tx_packets $(stat_of tx_packets))" \
	test "$(stat_of rx_packets)" -gt 0 -a "$(stat_of tx_packets)" -gt 0
say "sekictl audit list --user hanako (this login)"
out=$(skctl_live audit list --user hanako)
printf '%s\n' "$out"
# TIME TYPE ACTOR USER DEVICE RESULT DETAIL
audited() { # TYPE RESULT [DETAIL-TEXT]
	awk -v t="$1" -v r="$2" -v d="${3:-}" '$2 == t && $6 == r && index($0, d) { f = 1 } END { exit !f }' <<<"$out"
}
check "audit: the password factor ok" audited factor ok '"password"'
check "audit: the code mailed (otp-sent ok)" audited otp-sent ok
check "audit: the e-mailed code ok" audited factor ok '"email-otp"'
check "audit: the login ok" audited login ok
check "audit: the session's start" audited session-start ok
oc_stop a
ktap_end
