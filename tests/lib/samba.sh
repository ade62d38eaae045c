# SPDX-License-Identifier: GPL-2.0
# tests/lib/samba.sh - a throw-away Samba Active Directory domain controller
# for the directory tests (source it).  Needs root and Debian's samba,
# samba-ad-dc, samba-ad-provision and samba-dsdb-modules (scripts/deps).
#
#   samba_start  a DC of its own: a copy of a cached, provisioned domain
#                (${SEKISHO_CACHE:-/var/cache/sekisho}/samba-ad-<hash of
#                this file and the samba version>, under /tmp when the
#                cache is not writable; made once by samba_base, under a
#                lock; a shared one while a run copies it), started as
#                `samba -M single --foreground` in a
#                network namespace of its own (AD's ports are fixed: 389,
#                636, 88, ... must not meet the host's or another run's),
#                only the ldap service, LDAPS with the certificate Samba
#                generated for dc1.sekisho.test (its CA: private/tls/ca.pem;
#                the name resolves through /etc/netns/NS/hosts, which
#                `ip netns exec` mounts over /etc/hosts).  Run the tests
#                with `ip netns exec "$SAMBA_NS" ...`.
#                `samba_start NS` runs it in the existing namespace NS
#                instead (the e2e scenario's ns gw; the name dc1.sekisho.test
#                is then the caller's to resolve), and uses a base that a
#                read-only cache already holds (the e2e VM sees the host's
#                cache read-only: `samba_base` on the host makes it first)
#                rather than provisioning one.  SAMBA_NO_PROVISION=1: fail
#                rather than provision (minutes under the VM's emulation).
#                Exports SAMBA_DIR, SAMBA_NS, SK_TEST_AD_URI (ldaps://),
#                SK_TEST_AD_CA, SK_TEST_AD_BASE, SK_TEST_AD_BIND_DN,
#                SK_TEST_AD_BIND_PW (the service account svc-vpn, a plain
#                user), SK_TEST_AD_ADMIN_DN and SK_TEST_AD_ADMIN_PW (the
#                domain's Administrator, for the tests that change an
#                account), SK_TEST_AD_PW (the users' password),
#                SK_TEST_AD_DOMAIN (SEKISHO), SK_TEST_AD_REALM (sekisho.test).
#   samba_stop   stops the DC, removes its copy and its namespace.
#
# The domain SEKISHO.TEST (NetBIOS SEKISHO), DC dc1.  Password policy: AD's
# defaults (complexity on, at least 7 characters, history 24) except
# minimum age 0 and a lockout after 5 wrong passwords (30 minutes).
# The people (password $SK_TEST_AD_PW unless said; CN = the account name,
# in CN=Users):
#   alice   in vpn-staff; mail alice@sekisho.test, displayName "Alice Test"
#   bob     in other-team only (no mapped group)
#   carol   in sub-team, which is a member of vpn-admins (nested)
#   dave    in vpn-staff, disabled (userAccountControl 514)
#   erin    in vpn-staff, accountExpires in 2000 (expired)
#   chg1 chg2 chg3 chg4
#           in vpn-staff, must change the password (pwdLastSet 0)
#   lock1   in vpn-staff (the AD lockout tests lock it)
#   rc1 rc2 in vpn-staff (the re-check tests disable them)
#   svc-vpn the service account (no groups but Domain Users)

SAMBA_DIR=""
SAMBA_NS=""
SAMBA_PID=""
SAMBA_SRC=${BASH_SOURCE[0]}
SAMBA_REALM=sekisho.test
SAMBA_SUFFIX=DC=sekisho,DC=test
# test-only secrets of a throw-away domain, fixed because the provisioned
# domain is cached
SAMBA_ADMIN_PW='Adm1n-Sk-Test'
SAMBA_USER_PW='Ad-Pass-1x'
SAMBA_SVC_PW='Svc-Pass-1x'

samba_conf() {
	local d=$1
	cat <<EOF
[global]
	netbios name = DC1
	realm = SEKISHO.TEST
	workgroup = SEKISHO
	server role = active directory domain controller
	server services = ldap
	interfaces = lo
	bind interfaces only = yes
	private dir = $d/private
	state directory = $d/state
	cache directory = $d/cache
	lock directory = $d
	pid directory = $d
	binddns dir = $d/bind-dns
	ntp signd socket directory = $d/ntp_signd
	winbindd socket directory = $d/winbindd
	log file = $d/log.%m
	tls enabled = yes
	# Samba accepts the previous password for an hour after a change
	# (as AD does for NTLM only); the tests check that a changed one is
	# refused at once
	old password allowed period = 0
EOF
}

# the users, groups and policy, offline on the base's sam.ldb (one python
# process: samba-tool costs a second per call)
samba_people() {
	local d=$1
	/usr/bin/python3 - "$d" "$SAMBA_USER_PW" "$SAMBA_SVC_PW" <<'PY'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

d, pw, svc = sys.argv[1], sys.argv[2], sys.argv[3]
lp = LoadParm()
lp.load(d + "/etc/smb.conf")
s = SamDB(url=d + "/private/sam.ldb", session_info=system_session(), lp=lp)
base = str(s.domain_dn())
m = ldb.Message(ldb.Dn(s, base))
for k, v in (("minPwdAge", "0"), ("lockoutThreshold", "5"),
             ("lockoutDuration", str(-30 * 60 * 10**7)),
             ("lockOutObservationWindow", str(-30 * 60 * 10**7))):
    m[k] = ldb.MessageElement(v, ldb.FLAG_MOD_REPLACE, k)
s.modify(m)
users = {
    "alice": "vpn-staff", "bob": "other-team", "carol": "sub-team",
    "dave": "vpn-staff", "erin": "vpn-staff", "chg1": "vpn-staff",
    "chg2": "vpn-staff", "chg3": "vpn-staff", "chg4": "vpn-staff", "lock1": "vpn-staff",
    "rc1": "vpn-staff", "rc2": "vpn-staff",
}
for g in ("vpn-staff", "other-team", "sub-team", "vpn-admins"):
    s.newgroup(g)
s.newuser("svc-vpn", svc, useusernameascn=True)
for u, g in users.items():
    extra = {}
    if u == "alice":
        extra = dict(mailaddress="alice@sekisho.test", givenname="Alice", surname="Test")
    s.newuser(u, pw, useusernameascn=True,
              force_password_change_at_next_login_req=u.startswith("chg"), **extra)
    s.add_remove_group_members(g, [u], add_members_operation=True)
s.add_remove_group_members("vpn-admins", ["sub-team"], add_members_operation=True)
s.disable_account("(sAMAccountName=dave)")
m = ldb.Message(ldb.Dn(s, "CN=erin,CN=Users," + base))
# 2000-01-01 as a FILETIME (100 ns since 1601)
m["accountExpires"] = ldb.MessageElement("125911584000000000", ldb.FLAG_MOD_REPLACE,
                                         "accountExpires")
s.modify(m)
PY
}

# runs samba from directory d in namespace ns, waits until LDAPS answers
samba_run() {
	local d=$1 ns=$2
	ip netns exec "$ns" samba -M single --foreground --no-process-group --debug-stdout \
		-s "$d/etc/smb.conf" </dev/null >"$d/samba.out" 2>&1 8>&- &
	SAMBA_PID=$!
	# a loaded machine: up to 60 s
	ip netns exec "$ns" bash -c 'for _ in $(seq 600); do
		(exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null && exit 0; sleep 0.1; done; exit 1' &&
		[ -s "$d/private/tls/ca.pem" ] && kill -0 "$SAMBA_PID" 2>/dev/null
}

samba_ns() {
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	mkdir -p "/etc/netns/$ns"
	printf '127.0.0.1 localhost dc1.%s\n' "$SAMBA_REALM" >"/etc/netns/$ns/hosts"
}

samba_ns_del() {
	[ -n "$1" ] || return 0
	ip netns del "$1" 2>/dev/null
	rm -rf "/etc/netns/$1"
}

# The provisioned domain with its people and Samba's TLS certificate,
# made once (about a minute) under $SAMBA_BASE.  Returns 0 holding a
# shared lock on the cache (fd 8) until samba_start has copied it: a run
# of another version of this file deletes the older bases under the
# exclusive lock
samba_base() {
	local cache key tmp ns rc=0
	cache=${SEKISHO_CACHE:-/var/cache/sekisho}
	key=$( { cat "$SAMBA_SRC"; samba -V; } | sha256sum | cut -c1-16)
	# a read-only cache that holds the base (the e2e VM): as it is, no
	# lock (nobody can change it from here)
	if [ -d "$cache" ] && [ ! -w "$cache" ] && [ -f "$cache/samba-ad-$key/private/tls/cert.pem" ]; then
		SAMBA_BASE=$cache/samba-ad-$key
		exec 8</dev/null
		return 0
	fi
	if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
		cache=/tmp
	fi
	SAMBA_BASE=$cache/samba-ad-$key
	exec 8>"$cache/samba-ad.lock"
	flock 8
	# Samba's certificate lasts about two years: a base older than a
	# year is made again
	if [ -f "$SAMBA_BASE/private/tls/cert.pem" ] &&
		openssl x509 -in "$SAMBA_BASE/private/tls/cert.pem" -noout -checkend 2592000 >/dev/null 2>&1 &&
		[ -n "$(find "$SAMBA_BASE/private/tls/cert.pem" -mtime -365)" ]; then
		flock -s 8
		return 0
	fi
	if [ "${SAMBA_NO_PROVISION:-0}" = 1 ]; then
		echo "# samba: no provisioned domain in $cache, and SAMBA_NO_PROVISION=1"
		flock -u 8
		return 1
	fi
	echo "# samba: provisioning $SAMBA_REALM into $SAMBA_BASE (once)"
	# bases of earlier versions of this file (about 35 MB each)
	find "$cache" -maxdepth 1 -name 'samba-ad-*' ! -name '*.lock' -exec rm -rf {} + 2>/dev/null
	tmp=$(mktemp -d "$cache/samba-ad-$key.tmp.XXXXXX") || { flock -u 8; return 1; }
	samba-tool domain provision --realm=SEKISHO.TEST --domain=SEKISHO --server-role=dc \
		--dns-backend=NONE --host-name=dc1 --adminpass="$SAMBA_ADMIN_PW" \
		--targetdir="$tmp" >"$tmp.provision.log" 2>&1 || rc=1
	[ $rc = 0 ] && samba_conf "$tmp" >"$tmp/etc/smb.conf" && samba_people "$tmp" >>"$tmp.provision.log" 2>&1 || rc=1
	if [ $rc = 0 ]; then
		# one start writes Samba's own CA and certificate into private/tls
		ns=sk-smbp-$$
		samba_ns "$ns" && samba_run "$tmp" "$ns" || rc=1
		[ -n "$SAMBA_PID" ] && kill "$SAMBA_PID" 2>/dev/null && wait "$SAMBA_PID" 2>/dev/null
		SAMBA_PID=""
		samba_ns_del "$ns"
		rm -f "$tmp"/*.pid "$tmp"/log.* "$tmp/samba.out"
	fi
	if [ $rc = 0 ]; then
		mv "$tmp" "$SAMBA_BASE" && rm -f "$tmp.provision.log"
	else
		echo "# samba: provisioning failed:"
		sed 's/^/# /' "$tmp.provision.log" "$tmp/samba.out" 2>/dev/null | tail -n 40
		rm -rf "$tmp" "$tmp.provision.log"
	fi
	[ $rc = 0 ] && flock -s 8 || flock -u 8
	return $rc
}

samba_start() {
	local d t0 own=${1:-}
	command -v samba >/dev/null && command -v samba-tool >/dev/null || {
		echo "# samba: not installed (scripts/deps: samba samba-ad-dc samba-ad-provision)"; return 1; }
	[ "$(id -u)" = 0 ] || { echo "# samba: needs root (a network namespace)"; return 1; }
	t0=$(date +%s)
	samba_base || return 1
	d=$(mktemp -d /tmp/sk-samba.XXXXXX) || return 1
	SAMBA_DIR=$d
	cp -a "$SAMBA_BASE/." "$d/" || { flock -u 8; return 1; }
	flock -u 8
	samba_conf "$d" >"$d/etc/smb.conf"
	if [ -n "$own" ]; then
		SAMBA_NS=$own
		SAMBA_NS_OWN=0
	else
		SAMBA_NS=sk-smb-$$-${RANDOM}
		SAMBA_NS_OWN=1
		samba_ns "$SAMBA_NS" || { echo "# samba: no network namespace"; return 1; }
	fi
	if ! samba_run "$d" "$SAMBA_NS"; then
		echo "# samba: no LDAPS answer within 60 s:"
		sed 's/^/# /' "$d/samba.out" | tail -n 30
		return 1
	fi
	echo "# samba: up in $(($(date +%s) - t0)) s"
	export SAMBA_DIR SAMBA_NS
	export SK_TEST_AD_URI="ldaps://dc1.$SAMBA_REALM"
	export SK_TEST_AD_CA="$d/private/tls/ca.pem"
	export SK_TEST_AD_BASE="$SAMBA_SUFFIX"
	export SK_TEST_AD_BIND_DN="CN=svc-vpn,CN=Users,$SAMBA_SUFFIX"
	export SK_TEST_AD_BIND_PW="$SAMBA_SVC_PW"
	export SK_TEST_AD_ADMIN_DN="CN=Administrator,CN=Users,$SAMBA_SUFFIX"
	export SK_TEST_AD_ADMIN_PW="$SAMBA_ADMIN_PW"
	export SK_TEST_AD_PW="$SAMBA_USER_PW"
	export SK_TEST_AD_DOMAIN=SEKISHO
	export SK_TEST_AD_REALM="$SAMBA_REALM"
}

samba_stop() {
	if [ -n "$SAMBA_PID" ]; then
		kill "$SAMBA_PID" 2>/dev/null
		wait "$SAMBA_PID" 2>/dev/null
		SAMBA_PID=""
	fi
	[ "${SAMBA_NS_OWN:-1}" = 0 ] || samba_ns_del "$SAMBA_NS"
	SAMBA_NS=""
	[ -n "$SAMBA_DIR" ] && rm -rf "$SAMBA_DIR"
	SAMBA_DIR=""
	unset SK_TEST_AD_URI SK_TEST_AD_CA SK_TEST_AD_BASE SK_TEST_AD_BIND_DN SK_TEST_AD_BIND_PW \
		SK_TEST_AD_ADMIN_DN SK_TEST_AD_ADMIN_PW SK_TEST_AD_PW SK_TEST_AD_DOMAIN SK_TEST_AD_REALM
}
