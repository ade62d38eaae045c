// SPDX-License-Identifier: GPL-2.0
/*
 * auth/ldap.c: the pure parts (RFC 4515 escaping, name normalisation,
 * value checks, Active Directory's userAccountControl and bind codes,
 * group mapping, configuration checks) always; the checks against a real
 * slapd when tests/lib/slapd.sh started one (SK_TEST_LDAP_URI and the
 * rest in the environment: the `directory` stage of tests/run), else
 * those are skipped.
 *
 * AD's in-chain rule (1.2.840.113556.1.4.1941) and the refused-bind codes
 * cannot be produced by slapd: they are covered here with crafted values
 * only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "skldap.h"
#include "tap.h"

static struct tap t;

static void escape_tests(void)
{
	char out[128];

	sk_ldap_escape("*", 1, out, sizeof(out));
	tap_ok(&t, !strcmp(out, "\\2a"), "escape: * -> \\2a (%s)", out);
	sk_ldap_escape(")(", 2, out, sizeof(out));
	tap_ok(&t, !strcmp(out, "\\29\\28"), "escape: )( -> \\29\\28 (%s)", out);
	sk_ldap_escape("a\0b", 3, out, sizeof(out));
	tap_ok(&t, !strcmp(out, "a\\00b"), "escape: NUL -> \\00 (%s)", out);
	sk_ldap_escape("a\\b", 3, out, sizeof(out));
	tap_ok(&t, !strcmp(out, "a\\5cb"), "escape: \\ -> \\5c (%s)", out);
	sk_ldap_escape("admin)(|(uid=*", 14, out, sizeof(out));
	tap_ok(&t, !strcmp(out, "admin\\29\\28|\\28uid=\\2a"), "escape: admin)(|(uid=* (%s)", out);
	sk_ldap_escape("山田", strlen("山田"), out, sizeof(out));
	tap_ok(&t, !strcmp(out, "山田"), "escape: UTF-8 passes");
	tap_ok(&t, sk_ldap_escape("****", 4, out, 12) == -ENOSPC, "escape: too small -> -ENOSPC");
	tap_ok(&t, sk_ldap_escape("****", 4, out, 13) == 0, "escape: exactly fits");
}

static void normalize_tests(void)
{
	static const char *const good[][2] = {
		{ "alice", "alice" }, { "alice@sekisho.test", "alice" },
		{ "SEKISHO\\alice", "alice" }, { "a.b-c_d@x", "a.b-c_d" },
	};
	static const char *const bad[] = {
		"", "@x", "a@", "\\a", "D\\", "a b", "a*", "*", ")(", "admin)(|(uid=*",
		"x@y@z", "D\\a@b", "D\\E\\a", "a\n", "山田",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char out[SK_NAME_MAX + 1], err[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(&t, !sk_ldap_normalize(good[i][0], out, sizeof(out), err, sizeof(err)) &&
		       !strcmp(out, good[i][1]), "normalize %s -> %s", good[i][0], good[i][1]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sk_ldap_normalize(bad[i], out, sizeof(out), err, sizeof(err));

		tap_ok(&t, rc == -EINVAL && !out[0] && err[0], "normalize refuses [%zu] (%s)", i, err);
	}
}

static void value_tests(void)
{
	char big[600];

	tap_ok(&t, sk_ldap_value_ok("Ada Lovelace", 12, 64), "value: text ok");
	tap_ok(&t, sk_ldap_value_ok("山田 太郎", strlen("山田 太郎"), 64), "value: UTF-8 ok");
	tap_ok(&t, !sk_ldap_value_ok("a\nb", 3, 64), "value: newline refused");
	tap_ok(&t, !sk_ldap_value_ok("a\x1b[2J", 5, 64), "value: escape sequence refused");
	tap_ok(&t, !sk_ldap_value_ok("a\0b", 3, 64), "value: NUL refused");
	tap_ok(&t, !sk_ldap_value_ok("\xff\xfe", 2, 64), "value: invalid UTF-8 refused");
	tap_ok(&t, !sk_ldap_value_ok("\xc2\x85", 2, 64), "value: C1 control refused");
	memset(big, 'a', sizeof(big));
	tap_ok(&t, !sk_ldap_value_ok(big, 65, 64), "value: longer than the bound refused");
	tap_ok(&t, !sk_ldap_value_ok(big, sizeof(big), 1000), "value: longer than a DN refused");
}

static void ad_tests(void)
{
	struct sk_ldap_state s;
	uint32_t v = 0;

	tap_ok(&t, !sk_ldap_parse_uac("514", 3, &v) && v == 514, "uac: 514");
	tap_ok(&t, !sk_ldap_parse_uac("66048", 5, &v) && v == 66048, "uac: 66048");
	tap_ok(&t, !sk_ldap_parse_uac("-2147483646", 11, &v) && v == 0x80000002u,
	       "uac: a negative 32-bit value");
	tap_ok(&t, sk_ldap_parse_uac("", 0, &v) == -EINVAL, "uac: empty refused");
	tap_ok(&t, sk_ldap_parse_uac("5x", 2, &v) == -EINVAL, "uac: not a number refused");
	tap_ok(&t, sk_ldap_parse_uac("-", 1, &v) == -EINVAL, "uac: - refused");
	tap_ok(&t, sk_ldap_parse_uac("99999999999", 11, &v) == -EINVAL, "uac: out of range refused");
	tap_ok(&t, sk_ldap_parse_uac("51 4", 4, &v) == -EINVAL, "uac: space refused");

	memset(&s, 0, sizeof(s));
	sk_ldap_uac_state(512, &s);
	tap_ok(&t, !s.disabled && !s.locked && !s.pw_expired, "uac 512 (normal): nothing");
	sk_ldap_uac_state(514, &s);
	tap_ok(&t, s.disabled && !s.locked, "uac 514: disabled");
	memset(&s, 0, sizeof(s));
	sk_ldap_uac_state(0x10, &s);
	tap_ok(&t, s.locked && !s.disabled, "uac 0x10: locked");
	memset(&s, 0, sizeof(s));
	sk_ldap_uac_state(0x800000, &s);
	tap_ok(&t, s.pw_expired, "uac 0x800000: password expired");

	static const struct { const char *d; unsigned int code; int what; } codes[] = {
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563", 0x52e, 0 },
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563", 0x773, 1 },
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563", 0x775, 2 },
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563", 0x533, 3 },
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 701, v4563", 0x701, 5 },
		{ "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v4563", 0x532, 4 },
		{ "Invalid credentials", 0, 0 },
		{ "x, data zz, v1", 0, 0 },
		{ "x, data 773x, v1", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		unsigned int c;
		bool ok;

		memset(&s, 0, sizeof(s));
		c = sk_ldap_ad_bind_code(codes[i].d, &s);
		ok = c == codes[i].code;
		switch (codes[i].what) {
		case 0: ok = ok && !s.must_change && !s.locked && !s.disabled && !s.pw_expired &&
				!s.expired; break;
		case 1: ok = ok && s.must_change; break;
		case 2: ok = ok && s.locked; break;
		case 3: ok = ok && s.disabled; break;
		case 4: ok = ok && s.pw_expired; break;
		case 5: ok = ok && s.expired && !s.disabled; break;
		}
		tap_ok(&t, ok, "AD bind code %x from a crafted diagnostic [%zu]", codes[i].code, i);
	}

	/* accountExpires: a FILETIME, 0 and 0x7FFFFFFFFFFFFFFF never */
	tap_ok(&t, sk_ldap_ad_expired("0", 1, 0) == 0, "accountExpires 0: never");
	tap_ok(&t, sk_ldap_ad_expired("9223372036854775807", 19, 2000000000) == 0,
	       "accountExpires 0x7FFFFFFFFFFFFFFF: never");
	/* 2000-01-01 00:00:00 UTC = 946684800 */
	tap_ok(&t, sk_ldap_ad_expired("125911584000000000", 18, 946684800) == 1 &&
	       sk_ldap_ad_expired("125911584000000000", 18, 946684799) == 0,
	       "accountExpires 2000-01-01: expired from that second on");
	tap_ok(&t, sk_ldap_ad_expired("12x", 3, 0) == -EINVAL && sk_ldap_ad_expired("", 0, 0) == -EINVAL &&
	       sk_ldap_ad_expired("99999999999999999999", 20, 0) == -EINVAL,
	       "accountExpires: not a number refused");
	{
		uint8_t b[64];
		int n = sk_ldap_unicode_pwd("a\xc3\xa9\xf0\x9f\x98\x80", b, sizeof(b));
		static const uint8_t want[] = { '"', 0, 'a', 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde, '"', 0 };

		tap_ok(&t, n == (int)sizeof(want) && !memcmp(b, want, sizeof(want)),
		       "unicodePwd: quoted UTF-16LE, a surrogate pair for U+1F600 (%d bytes)", n);
		tap_ok(&t, sk_ldap_unicode_pwd("a\nb", b, sizeof(b)) == -EINVAL &&
		       sk_ldap_unicode_pwd("\xff", b, sizeof(b)) == -EINVAL,
		       "unicodePwd: a control character or invalid UTF-8 refused");
		tap_ok(&t, sk_ldap_unicode_pwd("abcd", b, 11) == -ENOSPC &&
		       sk_ldap_unicode_pwd("abcd", b, 12) == 12, "unicodePwd: bounded by the buffer");
	}
}

static void map_tests(void)
{
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));
	struct sk_ldap_result *r = calloc(1, sizeof(*r));

	tap_ok(&t, sk_ldap_dn_equal("CN=VPN Users,OU=Groups,DC=example,DC=jp",
				    "cn=vpn users, ou=groups, dc=example, dc=jp"),
	       "DNs equal in another case and spacing");
	tap_ok(&t, !sk_ldap_dn_equal("cn=vpn,dc=example", "cn=vpn2,dc=example"), "DNs differ");
	sk_ldap_cfg_defaults(c, SK_LDAP_AD);
	c->n_maps = 3;
	snprintf(c->maps[0].dn, sizeof(c->maps[0].dn), "cn=admins,dc=x");
	snprintf(c->maps[0].group, sizeof(c->maps[0].group), "admins");
	snprintf(c->maps[1].dn, sizeof(c->maps[1].dn), "cn=staff,dc=x");
	snprintf(c->maps[1].group, sizeof(c->maps[1].group), "staff");
	snprintf(c->maps[2].dn, sizeof(c->maps[2].dn), "cn=staff2,dc=x");
	snprintf(c->maps[2].group, sizeof(c->maps[2].group), "staff");
	r->n_groups = 3;
	snprintf(r->groups[0], sizeof(r->groups[0]), "CN=Staff2,DC=X");
	snprintf(r->groups[1], sizeof(r->groups[1]), "cn=staff,dc=x");
	snprintf(r->groups[2], sizeof(r->groups[2]), "cn=unrelated,dc=x");
	sk_ldap_map_groups(c, r);
	tap_ok(&t, r->n_mapped == 1 && !strcmp(r->mapped[0], "staff"),
	       "mapping: two rules to one group give it once; unmapped groups ignored");
	r->n_groups = 0;
	sk_ldap_map_groups(c, r);
	tap_ok(&t, r->n_mapped == 0, "mapping: no group, nothing mapped");
	free(c);
	free(r);
}

static void cfg_tests(void)
{
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));
	char err[256];

	sk_ldap_cfg_defaults(c, SK_LDAP_AD);
	tap_ok(&t, !strcmp(sk_ldap_filter(c), "(sAMAccountName=%s)"), "AD default filter");
	c->type = SK_LDAP_OPENLDAP;
	tap_ok(&t, !strcmp(sk_ldap_filter(c), "(uid=%s)"), "OpenLDAP default filter");
	c->n_uris = 1;
	snprintf(c->uris[0], sizeof(c->uris[0]), "ldap://127.0.0.1");
	snprintf(c->base, sizeof(c->base), "dc=x");
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == -EINVAL, "tls ldaps with ldap:// refused (%s)", err);
	c->tls = SK_LDAP_TLS_PLAIN;
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == -EPERM && strstr(err, "allow-plain"),
	       "plain refused without allow-plain (%s)", err);
	c->allow_plain = true;
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == 0, "plain with allow-plain");
	c->tls = SK_LDAP_TLS_STARTTLS;
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == 0, "starttls with ldap://");
	static const char *const badf[] = { "uid=%s", "(uid=%s)(x=1)", "(uid=%s%s)", "(uid=%d)",
					    "((uid=%s)", "(uid=x)", "(uid=%s\n)" };
	for (size_t i = 0; i < sizeof(badf) / sizeof(badf[0]); i++) {
		snprintf(c->filter, sizeof(c->filter), "%s", badf[i]);
		tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == -EINVAL, "filter refused [%zu]", i);
	}
	snprintf(c->filter, sizeof(c->filter), "(&(objectClass=person)(uid=%%s))");
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == 0, "filter (&(objectClass=person)(uid=%%s))");
	c->timeout = 0;
	tap_ok(&t, sk_ldap_cfg_check(c, err, sizeof(err)) == -EINVAL, "timeout 0 refused");
	free(c);
}

/* ---------------------------------------------------------------- slapd */

static const char *env(const char *k)
{
	return getenv(k);
}

static void base_cfg(struct sk_ldap_cfg *c, enum sk_ldap_tls tls)
{
	sk_ldap_cfg_defaults(c, SK_LDAP_OPENLDAP);
	c->tls = tls;
	c->n_uris = 1;
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s",
		 env(tls == SK_LDAP_TLS_LDAPS ? "SK_TEST_LDAPS_URI" : "SK_TEST_LDAP_URI"));
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", env("SK_TEST_LDAP_CA"));
	snprintf(c->bind_dn, sizeof(c->bind_dn), "%s", env("SK_TEST_LDAP_BIND_DN"));
	snprintf(c->bind_pw, sizeof(c->bind_pw), "%s", env("SK_TEST_LDAP_BIND_PW"));
	snprintf(c->base, sizeof(c->base), "%s", env("SK_TEST_LDAP_BASE"));
	c->timeout = 2;
	c->n_maps = 2;
	snprintf(c->maps[0].dn, sizeof(c->maps[0].dn), "cn=vpn-admins,ou=groups,%.400s", c->base);
	snprintf(c->maps[0].group, sizeof(c->maps[0].group), "admins");
	snprintf(c->maps[1].dn, sizeof(c->maps[1].dn), "cn=vpn-staff,ou=groups,%.400s", c->base);
	snprintf(c->maps[1].group, sizeof(c->maps[1].group), "staff");
}

static double since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (b.tv_nsec - a->tv_nsec) / 1e9;
}

/* a TCP port that accepts connections (the kernel's backlog) and never answers */
static int blackhole(char *uri, size_t len, const char *scheme)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	snprintf(uri, len, "%s://127.0.0.1:%u", scheme, ntohs(a.sin_port));
	return fd;
}

static void server_tests(void)
{
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));
	struct sk_ldap_result *r = calloc(1, sizeof(*r));
	char err[512], hole[64];
	struct timespec t0;
	int rc, hfd;

	/* right password over LDAPS: groups mapped, attributes read */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->n_mapped == 1 && !strcmp(r->mapped[0], "staff"),
	       "ldaps: alice, right password -> group staff (rc %d %s)", rc, err);
	tap_ok(&t, !strcmp(r->dn, "uid=alice,ou=people,dc=sekisho,dc=test") &&
	       !strcmp(r->mail, "alice@sekisho.test") && !strcmp(r->display, "alice Test"),
	       "ldaps: alice's DN, mail and display name (%s, %s, %s)", r->dn, r->mail, r->display);
	rc = sk_ldap_check(c, "alice", "wrong-pw", r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES && !r->pw_checked, "ldaps: wrong password refused (%s)", err);
	rc = sk_ldap_check(c, "alice", NULL, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !r->pw_checked && r->n_mapped == 1,
	       "lookup without a password (sekictl directory test)");
	rc = sk_ldap_check(c, "bob", "bob-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->n_mapped == 0 && r->n_groups == 1,
	       "bob: password right, in no mapped group (n_mapped %d)", r->n_mapped);
	rc = sk_ldap_check(c, "alice@sekisho.test", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !strcmp(r->account, "alice"), "alice@sekisho.test -> alice");
	rc = sk_ldap_check(c, "SEKISHO\\alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !strcmp(r->account, "alice"), "SEKISHO\\alice -> alice");

	/* nested groups: carol is in sub-team, itself in vpn-admins */
	rc = sk_ldap_check(c, "carol", "carol-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->n_mapped == 0, "carol without nested: no mapped group");
	c->nested = true;
	rc = sk_ldap_check(c, "carol", "carol-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->n_mapped == 1 && !strcmp(r->mapped[0], "admins") && r->n_groups == 2,
	       "carol with nested: admins through sub-team (groups %d)", r->n_groups);
	c->nested = false;

	/* names that are not unique, bad values, users without a password */
	rc = sk_ldap_check(c, "twin", "twin-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -ENOENT && strstr(err, "more than one"), "twin: two entries refused (%s)", err);
	rc = sk_ldap_check(c, "nobody", "x-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -ENOENT, "unknown name: -ENOENT (%s)", err);
	rc = sk_ldap_check(c, "mallory", "mallory-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !r->mail[0] && r->dropped >= 1,
	       "mallory: a mail value that is not an address is left out");
	rc = sk_ldap_check(c, "nopw", "anything", r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES, "an entry without a password refuses every password");

	/* injection: nothing reaches the directory, nobody is found */
	static const char *const inj[] = { "*", ")(", "admin)(|(uid=*", "adm*", "a\\00", "*)(uid=*" };
	for (size_t i = 0; i < sizeof(inj) / sizeof(inj[0]); i++) {
		rc = sk_ldap_check(c, inj[i], "admin-pw-1", r, err, sizeof(err));
		tap_ok(&t, rc != 0 && !r->dn[0] && !r->pw_checked,
		       "injection %s finds nobody (rc %d: %s)", inj[i], rc, err);
	}

	/* empty password: refused before any connection (a black hole would
	 * take the timeout) */
	hfd = blackhole(hole, sizeof(hole), "ldaps");
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s", hole);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sk_ldap_check(c, "alice", "", r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && since(&t0) < 0.5, "empty password refused without a bind (%s)", err);

	/* first URI dead (refused), second answers */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	c->n_uris = 2;
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s", env("SK_TEST_LDAP_DEAD_URI"));
	snprintf(c->uris[1], sizeof(c->uris[1]), "%s", env("SK_TEST_LDAPS_URI"));
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !strcmp(r->uri, env("SK_TEST_LDAPS_URI")),
	       "first URI dead: the second answers (rc %d %s)", rc, err);
	/* first URI a black hole: the timeout, then the second */
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s", hole);
	c->timeout = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && since(&t0) < 3.5, "first URI silent: the second after the timeout "
	       "(rc %d, %.1f s)", rc, since(&t0));
	/* all dead: a clear refusal within the timeouts */
	snprintf(c->uris[1], sizeof(c->uris[1]), "%s", env("SK_TEST_LDAP_DEAD_URI"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -EHOSTDOWN && since(&t0) < 3.5 && strstr(err, "no directory server answered"),
	       "all servers dead: -EHOSTDOWN in %.1f s (%s)", since(&t0), err);
	close(hfd);

	/* TLS */
	base_cfg(c, SK_LDAP_TLS_STARTTLS);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked, "starttls: alice logs in (rc %d %s)", rc, err);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", env("SK_TEST_LDAP_OTHER_CA"));
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "StartTLS failed") && strstr(err, "certificate"),
	       "starttls with another CA: refused with a TLS message (%s)", err);
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", env("SK_TEST_LDAP_OTHER_CA"));
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "TLS failed") && strstr(err, "certificate"),
	       "ldaps with another CA: refused with a TLS message (%s)", err);
	base_cfg(c, SK_LDAP_TLS_PLAIN);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -EPERM && strstr(err, "allow-plain"), "plain LDAP refused (%s)", err);
	c->allow_plain = true;
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked, "plain LDAP with allow-plain (rc %d %s)", rc, err);

	/* the service bind */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	snprintf(c->bind_pw, sizeof(c->bind_pw), "not-the-password");
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == -EKEYREJECTED && strstr(err, "service bind") && !strstr(err, "not-the-password"),
	       "a wrong service password: refused, named, not shown (%s)", err);

	/* AD attributes (the test schema has them): sAMAccountName,
	 * userAccountControl 514 (disabled), pwdLastSet 0 */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	c->type = SK_LDAP_AD;
	rc = sk_ldap_check(c, "adam", "adam-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->state.disabled && r->state.must_change &&
	       !r->state.locked, "type ad: sAMAccountName, disabled and must-change read (rc %d %s)",
	       rc, err);

	/* the ppolicy overlay: reset1's password was reset by an administrator */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	rc = sk_ldap_check(c, "reset1", "reset1-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->state.must_change,
	       "ppolicy: reset1's bind answers changeAfterReset -> must change (rc %d %s)", rc, err);
	rc = sk_ldap_check(c, "alice", "alice-pw-1", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !r->state.must_change && !r->state.pw_expired,
	       "ppolicy: alice's bind says nothing to change");

	/* a password change on OpenLDAP: the user's bind, then password-modify */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	rc = sk_ldap_passwd(c, "pwc", "wrong-old", "pwc-pw-2", err, sizeof(err));
	tap_ok(&t, rc == -EACCES, "change: a wrong old password refused by the user bind (%s)", err);
	rc = sk_ldap_passwd(c, "pwc", "pwc-pw-1", "pwc-pw-2", err, sizeof(err));
	tap_ok(&t, rc == 0, "change: pwc's password changed with password-modify (%s)", err);
	tap_ok(&t, sk_ldap_check(c, "pwc", "pwc-pw-2", r, err, sizeof(err)) == 0 && r->pw_checked &&
	       sk_ldap_check(c, "pwc", "pwc-pw-1", r, err, sizeof(err)) == -EACCES,
	       "change: the new password binds, the old one no longer");
	rc = sk_ldap_passwd(c, "nochg", "nochg-pw-1", "nochg-pw-2", err, sizeof(err));
	tap_ok(&t, rc == -ENOTSUP && strstr(err, "does not let"),
	       "change: an ACL without self write: -ENOTSUP, named (%s)", err);
	base_cfg(c, SK_LDAP_TLS_STARTTLS);
	c->tls = SK_LDAP_TLS_PLAIN;
	c->allow_plain = true;
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s", getenv("SK_TEST_LDAP_URI"));
	rc = sk_ldap_passwd(c, "pwc", "pwc-pw-2", "pwc-pw-3", err, sizeof(err));
	tap_ok(&t, rc == -ENOTSUP && strstr(err, "TLS only"),
	       "change: never over plain LDAP, even when allowed for binds (%s)", err);
	/* back, for the next run against the same slapd (the ASan build) */
	base_cfg(c, SK_LDAP_TLS_LDAPS);
	rc = sk_ldap_passwd(c, "pwc", "pwc-pw-2", "pwc-pw-1", err, sizeof(err));
	tap_ok(&t, rc == 0, "change: pwc's password back (%s)", err);
	sk_ldap_cfg_wipe(c);
	free(c);
	free(r);
}

int main(void)
{
	tap_begin();
	escape_tests();
	normalize_tests();
	value_tests();
	ad_tests();
	map_tests();
	cfg_tests();
	if (getenv("SK_TEST_LDAP_URI") && getenv("SK_TEST_LDAPS_URI"))
		server_tests();
	else
		tap_skip(&t, "checks against slapd", "no server (tests/lib/slapd.sh: tests/run directory)");
	return tap_end(&t);
}
