#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 10 (issue 3): hostile pre-login input.  Oversized and malformed
# request lines and headers, path traversal in every encoding, bad chunking,
# XML with DTDs, entities and deep nesting, forged and truncated cookies:
# each gets an error (tests/e2e/hostile.py sends them, one TLS connection
# each), kills at most its own worker, and a tunnel that was up before
# keeps carrying traffic; the daemon keeps serving new logins.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "hostile pre-login input"
sk_group eng factors=password >/dev/null
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
check "tunnel up before the attack" oc_wait_up a 180 || exit 1
wait_for 60 oc_dtls a
main_pid=$SEKISHOD_PID
while read -r name status secs; do
	case $name:$status in
	# XML auth is always answered 200 (§1.3): a forged context starts a
	# new login instead of resuming one
	context-cookie-forged:200) check "hostile: $name: a new login, the forged context ignored" true ;;
	# a request cut where it became impossible (issue 11 item 12): refused
	# at once, not at the 10 s header timeout
	prompt-*:4[0-9][0-9] | prompt-*:505)
		check "hostile: $name answered $status within 2 s (took $secs s)" \
			awk -v s="$secs" 'BEGIN { exit !(s < 2) }' ;;
	*:4[0-9][0-9]) check "hostile: $name answered $status" true ;;
	*) check "hostile: $name answered with an error (got $status)" false ;;
	esac
done < <(in_cli $PY "$E2E_DIR/hostile.py" $GW4 443)
check "hostile: the main process still runs" kill -0 "$main_pid"
check "hostile: the tunnel still carries traffic" ping_cli $SRV4
check "hostile: the client is still connected" oc_alive a
check "hostile: a new login still works" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin
oc_stop a
ktap_end
