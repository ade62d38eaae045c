#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 2 (issue 3): password + one-time code by e-mail (real SMTP in gw).
# The code is read from the delivered mail; wrong, reused and live-changed
# relay settings are covered.
. "$(dirname "$0")/lib.sh"
E2E_SMTP=1	# reads the mail sekishod sends
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "password + e-mail OTP"
check "store: group with password,email-otp" sk_group eng factors=password,email-otp
check "store: user alice" sk_user alice eng Secret-pass1
# back-to-back logins: no minimum gap between two logins' mails here (the
# hourly cap and the per-login resend gap are covered by auth-chain-login-test)
check "settings: otp.resend_min 0, otp.max_per_hour 20" sh -c \
	"$SEKICTL --store '$SK_STORE' settings set otp.resend_min 0 >/dev/null && $SEKICTL --store '$SK_STORE' settings set otp.max_per_hour 20 >/dev/null"
check "sekishod: starts" sekishod_start || exit 1

# the first login (tests/e2e/demo.sh, in the same e2e list, logs in with
# the code at the first try): a wrong code is refused, then the right one
# still works; then traffic through the kernel
oc_connect_fifo b -u alice --passwd-on-stdin
oc_type Secret-pass1
code=$(mail_wait_code "alice@$MAIL_DOMAIN" 60)
check "otp: a mail with a 6-digit code arrived ($code)" test -n "$code"
bad=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
oc_type "$bad"
oc_type "$code"
check "otp: wrong code refused, retry with the right code succeeds" oc_wait_up b 180
check "otp: the client saw the refusal" grep -qiE 'invalid|wrong|incorrect|間違' "$T/oc-b/log"
oc_type_close
check "otp: ping srv" ping_cli $SRV4
rx0=$(sk_stat rx_bytes)
up=$(iperf_mbps -t 3); down=$(iperf_mbps -t 3 -R)
check "otp: iperf3 up ${up:-?} / down ${down:-?} Mbit/s" test -n "$up" -a -n "$down"
rx1=$(sk_stat rx_bytes)
check "otp: the kernel carried it (rx_bytes ${rx0:-?} -> ${rx1:-?})" test $(( ${rx1:-0} - ${rx0:-0} )) -gt 1000000
oc_stop b

# single use: the previous code does not open another session
old=$code
oc_connect_fifo c -u alice --passwd-on-stdin
oc_type Secret-pass1
new=$(mail_wait_code "alice@$MAIL_DOMAIN" 60)
oc_type "$old"
oc_type_close
check_not "otp: a used code is refused" oc_wait_up c 120
check "otp: each login got a new code" test "$new" != "$old"

# an expired code: otp.ttl is live; the late code is refused and a new
# one is mailed in the same login
check "settings: otp.ttl 30 s, the shortest allowed (live)" skctl_live settings set otp.ttl 30
oc_connect_fifo e -u alice --passwd-on-stdin
oc_type Secret-pass1
late=$(mail_wait_code "alice@$MAIL_DOMAIN" 60)
t_late=$(date +%s)
# while the code ages: the second sink for the relay change below (its
# Python start takes seconds of the emulated CPU).  Not with the client's
# input FIFO (fd 7) open: the client would wait for more input forever.
mkdir -p "$T/maildir2"/{tmp,new,cur}
ip netns exec gw $PY -m aiosmtpd -n -l "$GW4:2525" -c aiosmtpd.handlers.Mailbox "$T/maildir2" \
	>"$T/smtp2.log" 2>&1 7>&- &
wait_for 20 in_gw sh -c 'ss -ltn | grep -q ":2525 "'
left=$((t_late + 32 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
oc_type "$late"
resent=$(mail_wait_code "alice@$MAIL_DOMAIN" 60)
oc_type_close
check_not "otp: an expired code is refused" oc_wait_up e 120
check "otp: the refusal says it expired" grep -qiE 'expired|有効期限' "$T/oc-e/log"
check "otp: a new code was mailed after the expiry ($resent)" test -n "$resent" -a "$resent" != "$late"
skctl_live settings set otp.ttl 300 >/dev/null

# the relay is a live setting: move it to the second sink on port 2525
check "settings: smtp.url changed live" skctl_live settings set smtp.url "smtp://$GW4:2525"
oc_connect_fifo d -u alice --passwd-on-stdin
oc_type Secret-pass1
code=$(MAILDIR=$T/maildir2 mail_wait_code "alice@$MAIL_DOMAIN" 60)
oc_type "$code"
oc_type_close
check "settings: the code came through the new relay" oc_wait_up d 180
oc_stop d
ktap_end
