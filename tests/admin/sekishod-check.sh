#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sekishod -t (issue 14, Operations): what the start needs, checked
# without starting, on the host (no module, no daemon): the service user
# and the admin group exist, the files the start reads are there, the key
# matches the certificate, the certificate's dates, the key encrypted, the
# files the user reads again on SIGHUP, the store exists (not created),
# opens and is not newer, the metrics token file and TLS pair; one line per
# check in English and Japanese, exit 1 on any error; -T checks the syntax
# only.  TAP.
# Usage: tests/admin/sekishod-check.sh (SEKISHOD=, SEKICTL= to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
SEKISHOD=${SEKISHOD:-$(dirname "$SEKICTL")/sekishod}
T=$(mktemp -d /tmp/sk-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=UTC

. "$REPO/tests/lib/tap.sh"
echo "TAP version 13"
if [ "$(id -u)" != 0 ] || ! getent passwd nobody >/dev/null || ! getent group nogroup >/dev/null ||
   [ ! -x "$SEKISHOD" ]; then
	echo "ok 1 sekishod -t # SKIP needs root, nobody/nogroup and $SEKISHOD"
	echo "1..1"
	exit 0
fi
chmod 0755 "$T"
key() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
	-out "$T/$1.pem" -subj "/CN=$1" "${@:2}" 2>/dev/null; }
key gw -days 400
key other -days 400
key soon -days 5
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -passout pass:secret12 \
	-keyout "$T/enc.key" -out "$T/enc.pem" -subj /CN=enc -days 400 2>/dev/null
"$SEKICTL" init --store "$T/s.db" >/dev/null
conf() {	# NAME KEY=VALUE...: a bootstrap file from the good one with changes
	local f=$T/$1.conf kv; shift
	printf 'store = %s/s.db\nuser = nobody\nadmin_group = nogroup\ncontrol = %s/c.sock\nserver_cert = %s/gw.pem\nserver_key = %s/gw.key\n' \
		"$T" "$T" "$T" "$T" >"$f"
	for kv in "$@"; do
		sed -i "/^${kv%%=*} = /d" "$f"
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$f"
	done
	echo "$f"
}
chmod 0644 "$T/gw.pem"
chmod 0600 "$T/gw.key"

ok "a good configuration: every check ok or a warning, exit 0 (en/ja)" \
	expect 0 "0 error(s).*エラー 0 件" sh -c "'$SEKISHOD' -t -c '$(conf good)' | tr '\n' ' '"
ok "each check on its own line: user, group, key matches, validity, store" sh -c \
	"out=\$('$SEKISHOD' -t -c '$(conf good)') &&
	 for l in '^ok      user nobody exists' '^ok      group nogroup exists' '^ok      server_key .* matches the certificate' \
	          '^ok      server_cert .* is valid for [0-9]* more days' '^ok      store .*s.db opens (schema version'; do
		printf '%s\n' \"\$out\" | grep -q \"\$l\" || { echo \"missing: \$l\"; printf '%s\n' \"\$out\"; exit 1; }
	 done"
ok "the key the user cannot read: a warning that SIGHUP cannot reload it" \
	expect 0 "^warning .*gw.key: user nobody cannot read it, so SIGHUP cannot reload" "$SEKISHOD" -t -c "$(conf good)"
chgrp nogroup "$T/gw.key"; chmod 0640 "$T/gw.key"
ok "key readable by the service user's group: ok" expect 0 "^ok      user nobody can read what SIGHUP reloads" \
	"$SEKISHOD" -t -c "$(conf good)"
ok "a key that does not match the certificate: error, exit 1 (en/ja)" \
	expect 1 "error   server_key $T/other.key does not match the certificate $T/gw.pem.*対になっていません" \
	bash -o pipefail -c "'$SEKISHOD' -t -c '$(conf mismatch server_key="$T/other.key")' | tr '\n' ' '"
ok "an encrypted key: error (no passphrase can be asked)" expect 1 "not an unencrypted PEM private key" \
	"$SEKISHOD" -t -c "$(conf enc server_cert="$T/enc.pem" server_key="$T/enc.key")"
ok "a certificate close to its end: warning" expect 0 "^warning server_cert $T/soon.pem is valid for [45] more days" \
	"$SEKISHOD" -t -c "$(conf soon server_cert="$T/soon.pem" server_key="$T/soon.key")"
ok "a missing file: error naming it" expect 1 "^error   crl $T/nosuch.crl: No such file" \
	"$SEKISHOD" -t -c "$(conf crl crl="$T/nosuch.crl")"
ok "a user that does not exist: error naming the fix" expect 1 "^error   user sk-nosuch-user does not exist: create it (useradd --system" \
	"$SEKISHOD" -t -c "$(conf nouser user=sk-nosuch-user)"
ok "a group that does not exist: error" expect 1 "^error   group sk-nosuch-group does not exist" \
	"$SEKISHOD" -t -c "$(conf nogroup admin_group=sk-nosuch-group)"
ok "a store that does not exist: error naming sekictl init" expect 1 "^error   the store $T/nosuch.db does not exist.*sekictl init" \
	"$SEKISHOD" -t -c "$(conf nostore store="$T/nosuch.db")"
ok "and -t did not create it" test ! -e "$T/nosuch.db"
ok "sekishod itself refuses to start on a store that does not exist (names sekictl init)" \
	expect 1 "the store $T/nosuch.db does not exist.*sekictl init" \
	timeout 20 "$SEKISHOD" -f -c "$T/nostore.conf"
ok "and did not create it" test ! -e "$T/nosuch.db"
cp "$T/s.db" "$T/newer.db"
sqlite3 "$T/newer.db" "UPDATE schema_version SET version = 999"
ok "a store of a newer schema: error" expect 1 "^error   store $T/newer.db does not open: the store's schema version 999 is newer" \
	"$SEKISHOD" -t -c "$(conf newer store="$T/newer.db")"
ok "and it was not changed" test "$(sqlite3 "$T/newer.db" "SELECT version FROM schema_version")" = 999
ok "a syntax error: exit 2, the line named" expect 2 "line 7" sh -c \
	"printf 'bogus_key = 1\n' >> '$(conf syntax)'; '$SEKISHOD' -t -c '$T/syntax.conf'"
# the metrics listener: its token file, and with TLS its own pair
openssl rand -hex 20 >"$T/token"
M=("metrics_listen=127.0.0.1:9414" "metrics_token_file=$T/token")
ok "metrics over TLS with its own pair: ok (en/ja)" \
	expect 0 "ok      metrics_key $T/other.key matches metrics_cert $T/other.pem.*メトリクスの TLS" \
	bash -c "'$SEKISHOD' -t -c '$(conf mok "${M[@]}" metrics_cert="$T/other.pem" metrics_key="$T/other.key")' | tr '\n' ' '"
ok "metrics TLS with the gateway's own key: error naming why" \
	expect 1 "^error   metrics TLS: metrics_cert $T/gw.pem has the gateway's key" \
	"$SEKISHOD" -t -c "$(conf mgw "${M[@]}" metrics_cert="$T/gw.pem" metrics_key="$T/gw.key")"
ok "metrics TLS with a key that is not the certificate's: error" expect 1 "^error   metrics TLS: metrics_key $T/soon.key" \
	"$SEKISHOD" -t -c "$(conf mbad "${M[@]}" metrics_cert="$T/other.pem" metrics_key="$T/soon.key")"
# SIGHUP reads the token again as the service user
chmod 0600 "$T/token"
ok "a token file the service user cannot read: a warning that SIGHUP cannot reload it" \
	expect 0 "^warning metrics_token_file $T/token: user nobody cannot read it, so SIGHUP cannot reload the metrics token" \
	"$SEKISHOD" -t -c "$(conf mtu "${M[@]}")"
chgrp nogroup "$T/token"; chmod 0640 "$T/token"
ok "... readable by its group: ok, the token named (en/ja)" \
	expect 0 "ok      user nobody can read what SIGHUP reloads .CRL, certificate, key, metrics token.*メトリクスのトークン" \
	bash -c "'$SEKISHOD' -t -c '$(conf mtr "${M[@]}")' | tr '\n' ' '"
ok "a missing metrics token file: error naming it" expect 1 "^error   metrics_token_file $T/nosuch.token: No such file" \
	"$SEKISHOD" -t -c "$(conf mtok metrics_listen=127.0.0.1:9414 metrics_token_file="$T/nosuch.token")"
# posture_recheck_port (issue 12 (b)): each quarantining group's remediation
# allowlist must let TCP to its pool's gateway address and the port through
"$SEKICTL" --store "$T/s.db" policy add remed >/dev/null
"$SEKICTL" --store "$T/s.db" policy rule add remed allow tcp 10.20.0.10/32 port 443 >/dev/null
"$SEKICTL" --store "$T/s.db" group add eng pool4=10.77.0.0/25 >/dev/null
"$SEKICTL" --store "$T/s.db" posture set eng posture=on av.outcome=quarantine quarantine.allowlist=remed >/dev/null
ok "posture_recheck_port, a remediation policy without it: a warning naming the rule to add (en/ja)" \
	expect 0 "warning group eng: remediation policy remed does not let the posture re-check through.*allow tcp 10.77.0.1/32 port 8444.*修復用ポリシー remed" \
	bash -c "'$SEKISHOD' -t -c '$(conf rc1 posture_recheck_port=8444)' | tr '\n' ' '"
"$SEKICTL" --store "$T/s.db" policy rule add remed allow tcp 10.77.0.1/32 port 8444 >/dev/null
ok "... with the rule: ok" expect 0 "^ok      group eng: remediation policy remed lets the posture re-check through (tcp 10.77.0.1 port 8444)" \
	"$SEKISHOD" -t -c "$(conf rc2 posture_recheck_port=8444)"
ok "... without posture_recheck_port: not checked" sh -c "! '$SEKISHOD' -t -c '$(conf rc3)' | grep -q 're-check'"
ok "-T: the syntax only (files not checked)" expect 0 "configuration syntax ok" \
	"$SEKISHOD" -T -c "$(conf nouser2 user=sk-nosuch-user server_key="$T/nosuch.key")"
tap_done
