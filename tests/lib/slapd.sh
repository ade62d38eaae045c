# SPDX-License-Identifier: GPL-2.0
# tests/lib/slapd.sh - a throw-away OpenLDAP slapd for the directory tests
# (source it).  Needs Debian's slapd, ldap-utils and openssl.
#
#   slapd_start  a server of its own in a new temporary directory:
#                - a test CA, a server certificate for 127.0.0.1/localhost
#                  and a second CA that did not sign it (openssl);
#                - its configuration loaded with `slapadd -n0` from a
#                  generated cn=config LDIF: the core, cosine,
#                  inetorgperson schemas and three AD attributes (sAMAccountName,
#                  userAccountControl, pwdLastSet; an auxiliary class),,
#                  an mdb database for dc=sekisho,dc=test, the memberof
#                  overlay, TLS with the test CA's server certificate;
#                - listening on ldap://127.0.0.1:P1, ldaps://127.0.0.1:P2
#                  (free high ports) and a unix socket (ldapi);
#                - run as the user openldap when started as root (the
#                  directory is given to it), else as the caller;
#                - users and (nested) groups added through the socket with
#                  ldapadd, so the overlay writes memberOf.
#                Exports SLAPD_DIR, SK_TEST_LDAP_URI, SK_TEST_LDAPS_URI,
#                SK_TEST_LDAPI_URI, SK_TEST_LDAP_DEAD_URI (a port nobody
#                listens on), SK_TEST_LDAP_CA, SK_TEST_LDAP_OTHER_CA,
#                SK_TEST_LDAP_BASE, SK_TEST_LDAP_BIND_DN,
#                SK_TEST_LDAP_BIND_PW.
#   slapd_stop   stops the server and removes the directory.
#
# The people (password = NAME-pw-1 unless said otherwise):
#   alice   in vpn-staff
#   bob     in other-team only (no mapped group)
#   carol   in sub-team, which is a member of vpn-admins (nested)
#   admin   in vpn-admins (the injection tests must never find it)
#   twin    two entries (one in ou=people, one in ou=more): not unique
#   mallory in vpn-staff, mail "evil mail@x.test" (not an address: dropped)
#   adam    inetOrgPerson + the AD attributes: sAMAccountName adam,
#           (in adam-team)
#           userAccountControl 514 (disabled), pwdLastSet 0
#   nopw    in vpn-staff, no userPassword
#   pwc     in no group; changes its password (the ACL lets every user
#           write its own userPassword: password-modify)
#   nochg   in no group; the ACL does not let it write its userPassword
#   reset1  in vpn-staff; an administrator reset its password (pwdReset,
#           the ppolicy overlay: it must change it; $SLAPD_DIR/reset1.ldif
#           sets that again, as cn=admin with $SLAPD_DIR/rootpw)

SLAPD_DIR=""
SLAPD_BASE=dc=sekisho,dc=test

slapd_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# P-256 keys: an RSA key generation costs seconds under the e2e VM's
# emulated CPU, and libldap checks either the same way
slapd_certs() {
	local d=$1 k="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	(
		cd "$d" || exit 1
		# shellcheck disable=SC2086 # $k: several options
		openssl req -x509 $k -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=sekisho test directory CA" >/dev/null 2>&1 || exit 1
		# shellcheck disable=SC2086
		openssl req -x509 $k -keyout other-ca.key -out other-ca.pem \
			-days 2 -subj "/CN=another CA" >/dev/null 2>&1 || exit 1
		# shellcheck disable=SC2086
		openssl req $k -keyout server.key -out server.csr \
			-subj "/CN=127.0.0.1" >/dev/null 2>&1 || exit 1
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 2 -extfile ext >/dev/null 2>&1 || exit 1
	)
}

slapd_config() {
	local d=$1
	cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $d/slapd.pid
olcTLSCACertificateFile: $d/ca.pem
olcTLSCertificateFile: $d/server.pem
olcTLSCertificateKeyFile: $d/server.key
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: cn=adtest,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adtest
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.96 NAME 'pwdLastSet'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.990 NAME 'sekishoTestADUser' AUXILIARY
  MAY ( sAMAccountName $ userAccountControl $ pwdLastSet ) )

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SLAPD_BASE
olcRootDN: cn=admin,$SLAPD_BASE
olcRootPW: $SLAPD_ROOTPW
olcDbDirectory: $d/db
olcDbMaxSize: 67108864
olcAccess: to dn.exact="uid=nochg,ou=people,$SLAPD_BASE" attrs=userPassword by anonymous auth by * none
olcAccess: to attrs=userPassword by self write by anonymous auth by * none
olcAccess: to * by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {1}ppolicy
olcPPolicyDefault: cn=default,ou=policies,$SLAPD_BASE
olcPPolicyHashCleartext: TRUE
EOF
}

slapd_person() {	# uid ou [mail] [password]
	local mail=${3:-$1@sekisho.test} pw=${4-$1-pw-1}
	printf 'dn: uid=%s,ou=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n' \
		"$1" "$2" "$SLAPD_BASE" "$1" "$1" "$1"
	printf 'mail: %s\ndisplayName: %s Test\n' "$mail" "$1"
	[ -n "$pw" ] && printf 'userPassword: %s\n' "$pw"
	echo
}

slapd_group() {	# cn member-dn...
	local cn=$1
	shift
	printf 'dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n' "$cn" "$SLAPD_BASE" "$cn"
	for m; do printf 'member: %s\n' "$m"; done
	echo
}

slapd_data() {
	local b=$SLAPD_BASE p="ou=people,$SLAPD_BASE" g="ou=groups,$SLAPD_BASE"
	printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: sekisho\no: sekisho test\n\n' "$b"
	for ou in people more groups system policies; do
		printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' "$ou" "$b" "$ou"
	done
	printf 'dn: cn=sekisho,ou=system,%s\nobjectClass: person\ncn: sekisho\nsn: service\nuserPassword: %s\n\n' \
		"$b" "$SK_TEST_LDAP_BIND_PW"
	slapd_person alice people
	slapd_person bob people
	slapd_person carol people
	slapd_person admin people
	slapd_person twin people
	slapd_person twin more
	slapd_person mallory people "evil mail@x.test"
	slapd_person nopw people "" ""
	slapd_person pwc people
	slapd_person nochg people
	# the password policy: a reset password must change, 8 characters
	printf 'dn: cn=default,ou=policies,%s\nobjectClass: person\nobjectClass: pwdPolicy\n' "$b"
	printf 'cn: default\nsn: policy\npwdAttribute: userPassword\npwdMustChange: TRUE\n'
	printf 'pwdAllowUserChange: TRUE\npwdMinLength: 8\npwdCheckQuality: 2\n\n'
	slapd_person reset1 people
	printf 'dn: uid=reset1,%s\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n\n' "$p" \
		>"$SLAPD_DIR/reset1.ldif"
	printf 'dn: cn=adam,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: sekishoTestADUser\n' "$b"
	printf 'cn: adam\nsn: adam\nsAMAccountName: adam\n'
	printf 'userAccountControl: 514\npwdLastSet: 0\nmail: adam@sekisho.test\nuserPassword: adam-pw-1\n\n'
	slapd_group other-team "uid=bob,$p"
	slapd_group adam-team "cn=adam,$p"
	slapd_group sub-team "uid=carol,$p"
	slapd_group vpn-staff "uid=alice,$p" "uid=mallory,$p" "uid=nopw,$p" "uid=reset1,$p"
	slapd_group vpn-admins "uid=admin,$p" "cn=sub-team,$g"
}

slapd_start() {
	local d p1 p2 p3 as=() sock
	command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || {
		echo "# slapd: not installed (apt-get install slapd ldap-utils)"; return 1; }
	command -v ldapadd >/dev/null || { echo "# slapd: no ldapadd (ldap-utils)"; return 1; }
	d=$(mktemp -d /tmp/sk-slapd.XXXXXX) || return 1
	chmod 0755 "$d"
	SLAPD_DIR=$d
	SLAPD_ROOTPW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
	SK_TEST_LDAP_BIND_PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
	slapd_certs "$d" || { echo "# slapd: openssl failed"; return 1; }
	mkdir -p "$d/slapd.d" "$d/db"
	slapd_config "$d" >"$d/config.ldif"
	if [ "$(id -u)" = 0 ]; then
		as=(runuser -u openldap --)
		chown -R openldap:openldap "$d"
	fi
	"${as[@]}" /usr/sbin/slapadd -n0 -F "$d/slapd.d" -l "$d/config.ldif" >"$d/slapadd.log" 2>&1 ||
		{ echo "# slapd: slapadd -n0 failed:"; sed 's/^/# /' "$d/slapadd.log"; return 1; }
	# free ports can be taken by someone else before slapd binds them:
	# up to three tries with new ones
	for try in 1 2 3; do
		p1=$(slapd_free_port) p2=$(slapd_free_port) p3=$(slapd_free_port)
		while [ "$p2" = "$p1" ]; do p2=$(slapd_free_port); done
		while [ "$p3" = "$p1" ] || [ "$p3" = "$p2" ]; do p3=$(slapd_free_port); done
		sock=$(printf '%s/ldapi' "$d" | sed 's|/|%2F|g')
		rm -f "$d/slapd.pid"
		"${as[@]}" /usr/sbin/slapd -F "$d/slapd.d" \
			-h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/ ldapi://$sock/" \
			>"$d/slapd.log" 2>&1 || { echo "# slapd: did not start (try $try):"; sed 's/^/# /' "$d/slapd.log"; continue; }
		# ready when it answers on its socket (a loaded machine: up to 20 s)
		for _ in $(seq 200); do
			ldapwhoami -x -H "ldapi://$sock" >/dev/null 2>&1 && break 2
			sleep 0.1
		done
		echo "# slapd: no answer on ldapi after 20 s (try $try)"
		[ -f "$d/slapd.pid" ] && kill "$(cat "$d/slapd.pid")" 2>/dev/null
		sleep 0.5
	done
	ldapwhoami -x -H "ldapi://$sock" >/dev/null 2>&1 || return 1
	export SLAPD_DIR
	export SK_TEST_LDAP_URI="ldap://127.0.0.1:$p1"
	export SK_TEST_LDAPS_URI="ldaps://127.0.0.1:$p2"
	export SK_TEST_LDAPI_URI="ldapi://$sock"
	export SK_TEST_LDAP_DEAD_URI="ldaps://127.0.0.1:$p3"
	export SK_TEST_LDAP_CA="$d/ca.pem"
	export SK_TEST_LDAP_OTHER_CA="$d/other-ca.pem"
	export SK_TEST_LDAP_BASE="$SLAPD_BASE"
	export SK_TEST_LDAP_BIND_DN="cn=sekisho,ou=system,$SLAPD_BASE"
	export SK_TEST_LDAP_BIND_PW
	slapd_data >"$d/data.ldif"
	# the root password through a file, never a command line
	(umask 077; printf '%s' "$SLAPD_ROOTPW" >"$d/rootpw")
	ldapadd -x -H "$SK_TEST_LDAPI_URI" -D "cn=admin,$SLAPD_BASE" -y "$d/rootpw" \
		-f "$d/data.ldif" >"$d/ldapadd.log" 2>&1 ||
		{ echo "# slapd: loading the test data failed:"; sed 's/^/# /' "$d/ldapadd.log"; return 1; }
	ldapmodify -x -H "$SK_TEST_LDAPI_URI" -D "cn=admin,$SLAPD_BASE" -y "$d/rootpw" \
		-f "$d/reset1.ldif" >>"$d/ldapadd.log" 2>&1 ||
		{ echo "# slapd: the reset of reset1 failed:"; sed 's/^/# /' "$d/ldapadd.log"; return 1; }
	return 0
}

slapd_stop() {
	[ -n "$SLAPD_DIR" ] && [ -d "$SLAPD_DIR" ] || return 0
	if [ -f "$SLAPD_DIR/slapd.pid" ]; then
		local pid
		pid=$(cat "$SLAPD_DIR/slapd.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$SLAPD_DIR"
	SLAPD_DIR=""
	unset SK_TEST_LDAP_URI SK_TEST_LDAPS_URI SK_TEST_LDAPI_URI SK_TEST_LDAP_DEAD_URI \
		SK_TEST_LDAP_CA SK_TEST_LDAP_OTHER_CA SK_TEST_LDAP_BASE SK_TEST_LDAP_BIND_DN \
		SK_TEST_LDAP_BIND_PW
}
