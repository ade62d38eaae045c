#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13: two gateways, one PostgreSQL store.  A PostgreSQL 15 started in
# the VM as tests/lib/pg.sh does on the host (the cached initdb base), two
# sekishod in two namespaces (gw as in every scenario, and gw2 with a link
# of its own to cli), each with its own sekisho device and gateway name.
# What is single-use or counted stays so across them: a TOTP code used on
# A is refused on B; wrong passwords on A and B add up to a lockout, which
# B then enforces; each audit record names the gateway that wrote it.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/pg.sh
. "$REPO/tests/lib/pg.sh"
trap 'stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
sk_begin "two gateways, one PostgreSQL store"
check "postgresql: starts in the VM" pg_start || exit 1
SK_STORE=$SK_TEST_STORE
export SEKISHO_STATE_DIR=$SK_LIB
# the daemon reads the password from its own copy of the passfile: it
# connects again as the service user after a lost connection
getent passwd sekisho >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sekisho
install -m 0600 -o sekisho "$PGPASSFILE" "$T/pgpass.sekisho"
skctl() { "$SEKICTL" --store "$SK_STORE" "$@"; }
check "store: sekictl init on PostgreSQL" "$SEKICTL" init --store "$SK_STORE"
check "store: group with password,totp" sk_group eng factors=password,totp
check "store: user alice" sk_user alice eng Secret-pass1
skctl settings set lockout.threshold 4 >/dev/null
secret=$(skctl user set alice totp=new | sed -n 's/.*[?&]secret=\([A-Z2-7=]*\).*/\1/p')
check "totp: a base32 secret" test -n "$secret"

# gateway B: namespace gw2, c1 10.10.2.2 <-> h0 10.10.2.1
GWB4=10.10.2.1
ip netns add gw2 && ip -n gw2 link set lo up &&
	ip link add c1 netns cli type veth peer name h0 netns gw2 &&
	ip -n cli addr add 10.10.2.2/24 dev c1 && ip -n gw2 addr add $GWB4/24 dev h0 &&
	ip -n cli link set c1 up && ip -n gw2 link set h0 up
check "topology: namespace gw2 linked to cli" ip netns exec cli ping -c 1 -W 2 $GWB4
sekishod_conf "gateway = gw-a"
sed -e "s/^listen = .*/listen = $GWB4:443/" -e "s/^device = .*/device = sk1/" \
	-e "s|^control = .*|control = $T/run/b.sock|" -e "s/^gateway = .*/gateway = gw-b/" \
	"$T/sekishod.conf" >"$T/sekishod-b.conf"

# gw_start NS CONF LOG PIDVAR SOCK: sekishod_start for a store that exists
gw_start() {
	load_module || return 1
	getent group sekisho-admin >/dev/null || groupadd --system sekisho-admin || return 1
	mkdir -p "$SK_LIB" "$T/run" && chown -R sekisho: "$SK_LIB"
	PGPASSFILE=$T/pgpass.sekisho ip netns exec "$1" "$SEKISHOD" -f -c "$2" >"$3" 2>&1 &
	printf -v "$4" '%s' $!
	wait_for 60 grep -q "ready: " "$3" && wait_for 10 test -S "$5" || { tail -n 30 "$3"; return 1; }
}
check "gateway A: starts on the PostgreSQL store" gw_start gw "$T/sekishod.conf" "$T/sekishod.log" SEKISHOD_PID "$SK_SOCK" || exit 1
check "gateway B: starts on the same store" gw_start gw2 "$T/sekishod-b.conf" "$T/sekishod-b.log" GWB_PID "$T/run/b.sock" || exit 1

# on_b CMD...: an openconnect helper of lib.sh against gateway B
# shellcheck disable=SC2034 # GW4 is read by oc_common
on_b() { local GW4=$GWB4; "$@"; }
# totp_now SECRET: the code of this 30 s step (RFC 6238, SHA-1, 6 digits)
totp_now() {
	$PY - "$1" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1].rstrip('=')
k = base64.b32decode(s + '=' * (-len(s) % 8))
h = hmac.new(k, struct.pack('>Q', int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15
print('%06d' % ((struct.unpack('>I', h[o:o + 4])[0] & 0x7fffffff) % 1000000))
EOF
}
code=$(totp_now "$secret")
check "totp: code $code logs in on A" with_input $'Secret-pass1\n' oc_auth_cookie -u alice \
	--passwd-on-stdin --form-entry "otp:secondary_password=$code"
check "totp: the same code is refused on B" with_input $'Secret-pass1\n' on_b oc_auth_refused -u alice \
	--passwd-on-stdin --form-entry "otp:secondary_password=$code"

# lockout.threshold 4: two wrong passwords on A, two on B
for gw in a a b b; do
	if [ $gw = a ]; then with_input $'Wrong-pass9\n' oc_auth -u alice --passwd-on-stdin >/dev/null
	else with_input $'Wrong-pass9\n' on_b oc_auth -u alice --passwd-on-stdin >/dev/null; fi
done
check "lockout: 2 failures on A + 2 on B lock alice" sh -c "'$SEKICTL' --store '$SK_STORE' --json user show alice | grep -q '\"locked\":\"\\?yes\\|\"locked\":true'"
code=$(totp_now "$secret")
check "lockout: B refuses the right password while locked" with_input $'Secret-pass1\n' on_b oc_auth_refused \
	-u alice --passwd-on-stdin --form-entry "otp:secondary_password=$code"
json=$(skctl audit list --type login --json)
named() { grep -q "\"gateway\":\"$1\"" <<<"$json"; }
check "audit: login records of both gateways, each named" eval "named gw-a && named gw-b"
ktap_end
