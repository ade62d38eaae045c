#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 7 (issue 3): sessions seen and ended by the administrator.
# `session list --json` shows the user and the assigned address; `session
# kill ID` ends the tunnel (the kernel peer goes) and the cookie dies with it.
# The same gateway also shows (issue 14) the metrics listener over TLS
# (metrics_cert/metrics_key of its own; a scrape with the bearer token
# agrees with `session list` and `sekictl show`, and its counters move with
# a ping; a wrong token and plain HTTP get no metrics; no secret in the
# text; SIGHUP reloads a new metrics pair, shown with its end, the
# gateway's own pair and a new bearer token (the old one then gets 401; a
# token the start would refuse keeps the one in use; both audited), and
# the session stays) and the daily audit prune
# firing in the running daemon (audit_prune_interval = 2, the test-only
# interval): the planted records older than audit.retention_days are
# exported, then deleted, and nothing else.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "session list and kill"
check "store: group and user" sk_group eng factors=password
sk_user alice eng Secret-pass1 >/dev/null
# metrics: a key and certificate of the listener's own, the token in a
# file, the header for curl in a file (never on a command line)
M=$T/metrics
mkdir -p "$M" && chmod 700 "$M"
# the pair where the service user can read it (SIGHUP reloads it as that
# user): the key 0640 root:sekisho, as the admin guide says
MT=$T/mtls
mkdir -p "$MT" && chmod 750 "$MT"
mpair() { # NAME DAYS: a key and certificate MT/NAME.key, .pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$MT/$1.key" \
		-out "$MT/$1.pem" -days "$2" -subj "/CN=metrics" -addext "subjectAltName=IP:$GW4" 2>/dev/null &&
	chmod 640 "$MT/$1.key" && chgrp "$(id -g sekisho)" "$MT" "$MT/$1.key"
}
# the service user, as sekishod_start makes it
getent passwd sekisho >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sekisho
check "metrics: its own key and certificate" mpair tls 2
# a test token without another openssl start (printf is a builtin); the
# file where the service user can read it (SIGHUP reloads it as that
# user): 0640 root:sekisho, as the admin guide says
newtok() { local t= _; for _ in 1 2 3 4 5 6 7 8; do printf -v t '%s%04x' "$t" $RANDOM; done; printf -v "$1" %s "$t"; }
newtok tok
printf '%s\n' "$tok" >"$MT/token"; chmod 640 "$MT/token"; chgrp "$(id -g sekisho)" "$MT/token"
printf 'Authorization: Bearer %s\n' "$tok" >"$M/header"
printf 'Authorization: Bearer %s\n' "0123456789abcdef-not-the-token" >"$M/wrong"
sekishod_conf "metrics_listen = $GW4:9414" "metrics_token_file = $MT/token" \
	"metrics_cert = $MT/tls.pem" "metrics_key = $MT/tls.key" "audit_prune_interval = 2" "gateway = e2e-gw"
# retention: two records older than 400 days, one just younger, planted
# before the start; the export goes below the state directory
skctl settings set audit.export_dir "$SK_LIB/audit-export" >/dev/null
sqlite3 "$SK_STORE" "INSERT INTO audit (time, type, actor) VALUES
	(strftime('%s','now') - 500 * 86400, 'login', 'prune-old-1'),
	(strftime('%s','now') - 401 * 86400, 'login', 'prune-old-2'),
	(strftime('%s','now') - 399 * 86400, 'login', 'prune-kept')"
check "sekishod: starts" sekishod_start || exit 1
cookie=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin | sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p")
check "cookie from --authenticate" test -n "$cookie"
OC_INPUT="$cookie"$'\n' oc_connect a --cookie-on-stdin
check "tunnel up with the cookie" oc_wait_up a 180 || exit 1
addr=$(oc_env a INTERNAL_IP4_ADDRESS)
json=$(skctl_live session list --json)
check "session list --json is JSON" $PY -c 'import json,sys; json.loads(sys.argv[1])' "$json"
check "session list shows alice at $addr" bash -c "grep -q '\"alice\"' <<<'$json' && grep -q '\"$addr\"' <<<'$json'"

# ---- metrics over TLS, on the gateway that carries alice's tunnel
t_ops=$SECONDS
scrape() {	# scrape HEADER-FILE: the text, or curl's failure
	in_gw curl -sS --max-time 10 --cacert "$MT/tls.pem" -H "@$1" "https://$GW4:9414/metrics"
}
metric() { awk -v k="$1" 'index($0, k " ") == 1 { print $NF; exit }' <<<"$2"; }
between() { [ "$1" -le "$2" ] && [ "$2" -le "$3" ]; }
# contains TEXT PATTERN...: every pattern is in TEXT; lacks TEXT PATTERN...: none is
contains() { local t=$1 p; shift; for p; do grep -q -- "$p" <<<"$t" || { echo "missing: $p"; return 1; }; done; }
lacks() { local t=$1 p; shift; for p; do ! grep -qF -- "$p" <<<"$t" || { echo "found: $p"; return 1; }; done; }
# the device-wide counters of one `sekictl show` (its first NAME: lines)
stat_of() { awk -v k="$1:" '$1 == k { print $2; exit }' <<<"$2"; }
check "ping through the tunnel (traffic before the first scrape)" ping_cli "$SRV4"
s1=$(in_gw "$SEKICTL" show)
m1=$(scrape "$M/header")
s2=$(in_gw "$SEKICTL" show)
rx1=$(stat_of rx_packets "$s1"); tx1=$(stat_of tx_packets "$s1"); dp1=$(stat_of drop_policy "$s1")
rx2=$(stat_of rx_packets "$s2"); tx2=$(stat_of tx_packets "$s2"); dp2=$(stat_of drop_policy "$s2")
n_list=$(grep -o '"user": *"[^"]*"' <<<"$json" | wc -l)
check "metrics over TLS: sessions of group eng = session list's $n_list" \
	test "$(metric 'sekisho_sessions{gateway="e2e-gw",group="eng"}' "$m1")" = "$n_list"
check "metrics: rx/tx packets within sekictl show's before and after ($rx1..$rx2, $tx1..$tx2)" \
	between "$rx1" "$(metric 'sekisho_kernel_packets_total{device="sk0",direction="rx"}' "$m1")" "$rx2"
check "metrics: tx packets too" \
	between "$tx1" "$(metric 'sekisho_kernel_packets_total{device="sk0",direction="tx"}' "$m1")" "$tx2"
check "metrics: drops by reason (policy) as sekictl show" \
	between "$dp1" "$(metric 'sekisho_kernel_drops_total{device="sk0",reason="policy"}' "$m1")" "$dp2"
check "metrics: alice's login counted" test "$(metric 'sekisho_logins_total{result="ok"}' "$m1")" -ge 1
check "metrics: ... and its password factor" \
	test "$(metric 'sekisho_factor_results_total{factor="password",result="ok"}' "$m1")" -ge 1
check "metrics: pool use" test "$(metric 'sekisho_pool_addresses_used{group="eng",family="ipv4"}' "$m1")" = 1
check "metrics: both certificates' ends" contains "$m1" \
	'^sekisho_certificate_expiry_timestamp_seconds{certificate="metrics"} [0-9]' \
	'^sekisho_certificate_expiry_timestamp_seconds{certificate="server"} [0-9]'
check "ping through the tunnel again" ping_cli "$SRV4"
m2=$(scrape "$M/header")
pk() { echo $(( $(metric 'sekisho_kernel_packets_total{device="sk0",direction="rx"}' "$1") +
	$(metric 'sekisho_kernel_packets_total{device="sk0",direction="tx"}' "$1") )); }
check "metrics: the packet counters moved with the ping ($(pk "$m1") -> $(pk "$m2"))" \
	test "$(pk "$m2")" -ge "$(( $(pk "$m1") + 6 ))"
wrong=$(in_gw curl -sS --max-time 10 --cacert "$MT/tls.pem" -H "@$M/wrong" -o /dev/null -w '%{http_code}' \
	"https://$GW4:9414/metrics")
check "metrics: a wrong token gets 401 ($wrong)" test "$wrong" = 401
plain=$(in_gw curl -sS --max-time 10 -H "@$M/header" "http://$GW4:9414/metrics" 2>&1)
check_not "metrics: plain HTTP to the TLS listener gets no metrics" grep -q sekisho_sessions <<<"$plain"
check "metrics: no secret in the text (token, password, cookie)" \
	lacks "$m1$m2" "$tok" Secret-pass1 "$cookie"
log=$(cat "$T/sekishod.log")
check "metrics: the refusal is logged, without the token" \
	contains "$log" 'metrics: a request without the right bearer token'
check "metrics: no token in the log" lacks "$log" "$tok"
# SIGHUP: a new pair (30 days) in place of the files and a new token; the
# scrape then shows the pair and its end and needs the new token, and
# alice's session is untouched
sid=$(sk_session_id alice)
check "metrics: a new pair (30 days) over the files" mpair new 30
mv "$MT/new.key" "$MT/tls.key"; mv "$MT/new.pem" "$MT/tls.pem"
end=$(date -d "$(openssl x509 -enddate -noout -in "$MT/tls.pem" | cut -d= -f2)" +%s)
# the gateway's key readable by the service user too, as the admin guide
# says, so that the same SIGHUP reloads the gateway's pair
chgrp "$(id -g sekisho)" "$CERTS/server.key" && chmod 640 "$CERTS/server.key"
newtok tok2
printf '%s\n' "$tok2" >"$MT/token"
printf 'Authorization: Bearer %s\n' "$tok2" >"$M/header2"
kill -HUP "$SEKISHOD_PID"
check "SIGHUP: the metrics certificate reloaded (log)" \
	wait_for 20 grep -q "SIGHUP: metrics certificate $MT/tls.pem and key reloaded" "$T/sekishod.log"
check "SIGHUP: ... and the gateway's own certificate and key (log)" \
	grep -q "SIGHUP: server certificate .* and key reloaded" "$T/sekishod.log"
check "SIGHUP: ... and the metrics token (log)" \
	wait_for 20 grep -q "SIGHUP: metrics token reloaded from $MT/token" "$T/sekishod.log"
m3=$(scrape "$M/header2")
check "metrics after SIGHUP: the new certificate (curl verified it) and its end $end" \
	test "$(metric 'sekisho_certificate_expiry_timestamp_seconds{certificate="metrics"}' "$m3")" = "$end"
same_session() {
	[ -n "$sid" ] && [ "$(sk_session_id alice)" = "$sid" ] && kill -0 "$(oc_pid a)" &&
		! grep -qx reconnect "$T/oc-a/reasons" && ping_cli "$SRV4"
}
check "SIGHUP dropped no session: the same session $sid, no reconnect, ping" same_session
code() { in_gw curl -sS --max-time 10 --cacert "$MT/tls.pem" -H "@$1" -o /dev/null -w '%{http_code}' \
	"https://$GW4:9414/metrics"; }
c_old=$(code "$M/header")
check "metrics after SIGHUP: the old token gets 401 ($c_old), the new one the text" \
	test "$c_old" = 401 -a -n "$(metric 'sekisho_sessions{gateway="e2e-gw",group="eng"}' "$m3")"
# a token the start would refuse (a blank in it): the one in use stays
printf '%s\n' "not a token 0123456789" >"$MT/token"
kill -HUP "$SEKISHOD_PID"
check "SIGHUP with a token the start refuses: logged, the one in use stays" \
	wait_for 20 grep -q "SIGHUP: the metrics token was not reloaded, the one in use stays: .*printable" "$T/sekishod.log"
c_new=$(code "$M/header2")
check "... the new token still gets the text ($c_new)" test "$c_new" = 200
daudit=$(skctl_live audit export --type daemon)
check "the token's reload and refusal audited (type daemon), without the tokens" \
	bash -c 'contains() { local t=$1 p; shift; for p; do grep -q -- "$p" <<<"$t" || { echo "missing: $p"; return 1; }; done; }
		contains "$1" "\"result\":\"metrics-token-reloaded\"" "\"result\":\"metrics-token-kept\"" &&
		! grep -qF -e "$2" -e "$3" <<<"$1$4"' _ "$daudit" "$tok" "$tok2" "$(cat "$T/sekishod.log")"

# ---- the daily audit prune, fired by the running daemon's timer
check "audit prune: the timer fired (2 records deleted, exported)" \
	wait_for 30 grep -q "audit retention: 2 record(s) older than .* deleted, exported to $SK_LIB/audit-export/" \
	"$T/sekishod.log"
exp=$(cat "$SK_LIB"/audit-export/audit-before-*.jsonl 2>/dev/null)
check "audit prune: the export holds the two old records" \
	contains "$exp" '"actor":"prune-old-1"' '"actor":"prune-old-2"'
check "audit prune: ... and nothing else" lacks "$exp" prune-kept '"result":"ok"'
check "audit prune: the export is mode 0600" \
	test "$(stat -c %a "$SK_LIB"/audit-export/audit-before-*.jsonl)" = 600
left=$(skctl_live audit export --type login)
check "audit prune: the younger record and today's login are kept" \
	contains "$left" '"actor":"prune-kept"' '"result":"ok"'
check "audit prune: the old ones are gone" lacks "$left" prune-old
check "audit prune: audited once (later runs found nothing)" \
	test "$(skctl_live audit export --type audit-prune | grep -c '"deleted":2')" = 1
diag "metrics and audit prune checks: $((SECONDS - t_ops)) s"

id=$(sk_session_id alice)
check "session kill $id" skctl_live session kill "$id"
check "kill: the client loses its tunnel" wait_for 60 sh -c "! kill -0 $(oc_pid a) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env a TUNDEV)"
no_peers() { [ "$(sk_stat peers)" = 0 ]; }
check "kill: the kernel peer is gone" wait_for 10 no_peers
# the killed session's cookie no longer opens a tunnel: CONNECT gets 401,
# which openconnect reports with exit status 2 (§7.4)
OC_INPUT="$cookie"$'\n' oc_connect k --cookie-on-stdin
wait_for 120 test -f "$T/oc-k/rc"
check "kill: the cookie is dead (openconnect exit $(cat "$T/oc-k/rc" 2>/dev/null), 2 = cookie rejected)" test "$(cat "$T/oc-k/rc" 2>/dev/null)" = 2
oc_stop a
check "kill: list is empty" sh -c "! ip netns exec gw $SEKICTL --socket $SK_SOCK session list --json | grep -q alice"
ktap_end
