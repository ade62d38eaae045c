#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 10: a worker serving a pre-login connection holds no secret.
# sekishod-worker is exec'd (a worker template per generation, which forks
# the workers) and the TLS private key lives in sekishod-keyholder, so the
# memory of a live worker, and of the template, must contain
# none of: another user's TOTP seed (base32, as the store keeps it), a
# password hash string, the SMTP password, the server key in PEM, in DER,
# or its private numbers (d, p, q, big- and little-endian).  The scan reads
# /proc/PID/mem of that worker after other users logged in through main.
# The same scan of the key holder and of main must find what they hold
# (the key; the SMTP password and the seed): proof that it would see them.
# The server key is RSA here, so every login also signs through the key
# holder's RSA-PSS path.
. "$(dirname "$0")/lib.sh"
E2E_SMTP=1	# reads the mail sekishod sends
trap 'sekishod_stop; kill $HOLD_PID 2>/dev/null; e2e_cleanup' EXIT
sk_begin "worker secrets"

# an RSA server certificate from the test CA instead of the EC one
rsa_server() {
	CERT_NEWKEY="-newkey rsa:2048" _cert_issue server-rsa "/CN=$VPN_HOST" v3_server || return 1
	cp "$CERTS/server-rsa.pem" "$CERTS/server.pem" && cp "$CERTS/server-rsa.key" "$CERTS/server.key" ||
		return 1
	chmod 0600 "$CERTS/server.key"
	PIN=$(openssl x509 -in "$CERTS/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
}
check "certs: an RSA server key" rsa_server || exit 1

smtp_pw="Smtp-canary-$(openssl rand -hex 12)"
printf '%s\n' "$smtp_pw" >"$T/smtp.pw"
chmod 0600 "$T/smtp.pw"
sekishod_conf "smtp_user = relay" "smtp_password_file = $T/smtp.pw"
check "store: group eng (password)" sk_group eng factors=password
check "store: group tok (password + TOTP)" sk_group tok factors=password,totp
check "store: user alice" sk_user alice eng Secret-pass1
check "store: user bob" sk_user bob tok Bob-secret-2
uri=$(skctl user set bob totp=new)
seed=$(sed -n 's/.*[?&]secret=\([A-Z2-7=]*\).*/\1/p' <<<"$uri")
hash=$($PY -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT pw_hash FROM users WHERE name = ?", ("bob",)).fetchone()[0])' "$SK_STORE")
check "canaries: bob's TOTP seed and password hash" test -n "$seed" -a -n "$hash"

# the canaries, as hex
canaries() {
	$PY - "$CERTS/server.key" "$seed" "$hash" "$smtp_pw" <<'PY'
import json, re, subprocess, sys
key, seed, pwhash, smtp = sys.argv[1:5]
c = {"totp_seed": seed.encode().hex(), "pw_hash": pwhash.encode().hex(),
     "smtp_password": smtp.encode().hex()}
pem = [l for l in open(key).read().splitlines() if l and not l.startswith("-----")]
c["key_pem_line"] = pem[len(pem) // 2].encode().hex()
der = subprocess.run(["openssl", "pkey", "-in", key, "-outform", "der"], capture_output=True).stdout
c["key_der"] = der[len(der) // 2:len(der) // 2 + 32].hex()
text = subprocess.run(["openssl", "rsa", "-in", key, "-text", "-noout"], capture_output=True, text=True).stdout
for name in ("privateExponent", "prime1", "prime2"):
    m = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    b = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1))).lstrip(b"\0")
    c["rsa_%s_be" % name] = b[:24].hex()
    c["rsa_%s_le" % name] = b[::-1][:24].hex()
json.dump(c, sys.stdout)
PY
}
canaries >"$T/canaries.json"
check "canaries: $($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/canaries.json") written" \
	test -s "$T/canaries.json"

check "sekishod: starts (worker and key holder executables)" sekishod_start || exit 1
# main handles both users' logins (their hashes, bob's seed) before the scan
check "login: alice (password, RSA-signed handshake)" with_input $'Secret-pass1\n' oc_auth_cookie \
	-u alice --passwd-on-stdin --authgroup eng
check "login: bob (password + TOTP)" with_input $'Bob-secret-2\n' oc_auth_cookie -u bob --authgroup tok \
	--passwd-on-stdin --token-mode=totp --token-secret "base32:$seed"

# a pre-login connection held open: its worker is the one to scan
rm -f "$T/held"
ip netns exec cli $PY "$E2E_DIR/memscan.py" hold "$VPN_HOST" "$GW4" 120 "$T/held" &
HOLD_PID=$!
check "a pre-login connection (TLS + init, form answered) is held open" wait_for 60 test -f "$T/held"

# gw_pid NAME: the newest process of ns gw whose Name: is NAME
gw_pid() {
	local p best=
	for p in $(ip netns pids gw); do
		grep -qx "Name:[[:space:]]*$1" "/proc/$p/status" 2>/dev/null || continue
		[ -z "$best" ] || [ "$p" -gt "$best" ] && best=$p
	done
	echo "$best"
}
# the worker of the held connection owns its TCP socket; the template
# (exec'd, forks the workers) owns none
wpid=$(ip netns exec gw ss -Htnp state established 2>/dev/null |
	grep -o '"sekishod-worker",pid=[0-9]*' | head -n 1 | sed 's/.*pid=//')
check "the held connection has a worker process ($wpid)" test -n "$wpid"
check "the worker is sekishod-worker (exec'd, not a copy of main)" sh -c \
	"readlink /proc/$wpid/exe | grep -q '/sekishod-worker\$'"
out=$($PY "$E2E_DIR/memscan.py" scan "$wpid" "$T/canaries.json")
rc=$?
printf '%s\n' "$out" | sed 's/^/# worker: /'
check "worker $wpid: none of the canaries in its memory" test "$rc" = 0
spid=$(for p in $(ip netns pids gw); do
	[ "$p" != "$wpid" ] && grep -qx "Name:[[:space:]]*sekishod-worker" "/proc/$p/status" 2>/dev/null &&
		echo "$p"
done | head -n 1)
check "the worker template waits for the next client ($spid)" test -n "$spid" -a "$spid" != "$wpid"
out=$($PY "$E2E_DIR/memscan.py" scan "$spid" "$T/canaries.json")
rc=$?
printf '%s\n' "$out" | sed 's/^/# template: /'
check "template $spid: none of the canaries in its memory" test "$rc" = 0

# the scan sees secrets where they are
khpid=$(gw_pid sekishod-keyhol)
out=$($PY "$E2E_DIR/memscan.py" scan "$khpid" "$T/canaries.json")
printf '%s\n' "$out" | sed 's/^/# key holder: /'
check "control: the scan finds the private key in the key holder ($khpid)" grep -q '^found rsa_' <<<"$out"
check_not "control: the key holder holds no SMTP password, seed or hash" \
	grep -qE '^found (smtp_password|totp_seed|pw_hash)' <<<"$out"
mpid=$SEKISHOD_PID
out=$($PY "$E2E_DIR/memscan.py" scan "$mpid" "$T/canaries.json")
printf '%s\n' "$out" | sed 's/^/# main: /'
check "control: the scan finds the SMTP password in main ($mpid)" grep -q '^found smtp_password' <<<"$out"
check_not "main never read the private key (no d, p or q)" grep -q '^found rsa_' <<<"$out"
kill $HOLD_PID 2>/dev/null
ktap_end
