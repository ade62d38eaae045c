// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod's directory re-check (dircheck.c, issue 15)
 * against the slapd of tests/lib/slapd.sh (the stage `directory` exports
 * SK_TEST_LDAP_*): a session of a directory user is checked again after
 * recheck-interval, on a thread; it stays while the directory still maps
 * the user to the session's group and ends ("directory-group-removed",
 * audited) once it does not; an entry that is gone ends it too; a
 * directory that does not answer ends nothing; no check before the
 * interval, none with recheck-interval 0, none for a local account; a
 * session that ends while its check runs abandons it.
 * With the Samba AD DC of tests/lib/samba.sh instead (SK_TEST_AD_*, the
 * stage runs this again in the DC's namespace): a session of a user an
 * administrator then disables in AD ends ("directory-user-disabled"), one
 * of an account past its accountExpires too.  TAP output.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dircheck.h"
#include "skldap.h"
#include "tap.h"

static struct tap t;
static struct skd *d;
static char err[256];

static void dset(const char *k, const char *v)
{
	if (sk_directory_set(d->st, "corp", k, v, err, sizeof(err)))
		printf("# directory set %s: %s\n", k, err);
}

static struct skd_session *session(const char *user, const char *group, int64_t started)
{
	struct skd_session *s = &d->sessions[0];

	skd_session_clear(s);
	s->used = true;
	s->id = 77;
	s->started = started;
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->group, sizeof(s->group), "%s", group);
	snprintf(s->remote, sizeof(s->remote), "192.0.2.5:4000");
	return s;
}

/* steps the timer until the running check is collected (at most 10 s) */
static void settle(struct skd_session *s, int64_t now)
{
	for (int i = 0; i < 200 && s->used && s->dirjob; i++) {
		usleep(50 * 1000);
		skd_dircheck(d, s, now);
	}
}

static int audit_fn(const struct sk_audit *a, void *arg)
{
	if (!strcmp(a->type, "directory-recheck"))
		snprintf(arg, 64, "%.60s", a->result);
	return 0;
}

static struct skd *new_daemon(char *path)
{
	char db[64];

	d = calloc(1, sizeof(*d));
	if (!d || !mkdtemp(path) || !(d->sessions = calloc(SKD_MAX_SESSIONS, sizeof(*d->sessions))))
		exit(1);
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		skd_session_clear(&d->sessions[i]);
	snprintf(db, sizeof(db), "%s/s.db", path);
	err[0] = '\0';
	tap_ok(&t, !sk_store_open(db, &d->st, err, sizeof(err)), "store (%s)", err);
	return d;
}

static void dir_user(const char *name)
{
	struct sk_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.group, sizeof(u.group), "staff");
	u.enabled = true;
	sk_user_add(d->st, &u, NULL, 0);
	sk_user_directory_set(d->st, name, "corp");
}

static void end_daemon(const char *path)
{
	char cmd[96];

	sk_store_close(d->st);
	free(d->sessions);
	free(d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
	if (system(cmd))
		printf("# could not remove %s\n", path);
}

/* a session's re-check against Samba: the audit's verdict, "" = stays */
static void ad_recheck(const char *user, int64_t now, char *last)
{
	struct sk_audit_filter flt = { .type = "directory-recheck" };
	struct skd_session *s = session(user, "staff", now - 100);

	s->dir_next = 0;
	skd_dircheck(d, s, now);
	settle(s, now);
	last[0] = '\0';
	sk_audit_list(d->st, &flt, audit_fn, last);
	if (s->used)
		last[0] = '\0';
}

static int ad_main(void)
{
	char path[] = "/tmp/sk-dircheck.XXXXXX", map[512], last[64];
	const char *base = getenv("SK_TEST_AD_BASE");
	struct sk_group g;
	int64_t now = skd_now();

	new_daemon(path);
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	sk_group_add(d->st, &g, err, sizeof(err));
	sk_directory_add(d->st, "corp", err, sizeof(err));
	dset("type", "ad");
	dset("uri", getenv("SK_TEST_AD_URI"));
	dset("tls", "ldaps");
	dset("ca-file", getenv("SK_TEST_AD_CA"));
	dset("bind-dn", getenv("SK_TEST_AD_BIND_DN"));
	dset("bind-password", getenv("SK_TEST_AD_BIND_PW"));
	dset("base", base);
	dset("recheck-interval", "60");
	snprintf(map, sizeof(map), "staff CN=vpn-staff,CN=Users,%s", base);
	dset("map-01", map);
	dir_user("rc1");
	dir_user("erin");

	ad_recheck("rc1", now, last);
	tap_ok(&t, !last[0], "AD: rc1 enabled and in vpn-staff: the session stays");
	/* an administrator disables rc1 in AD (userAccountControl 514) */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "umask 077 && printf '%%s' \"$SK_TEST_AD_ADMIN_PW\" > %s/adm && "
			 "printf 'dn: CN=rc1,CN=Users,%s\\nchangetype: modify\\nreplace: "
			 "userAccountControl\\nuserAccountControl: 514\\n' | LDAPTLS_CACERT=\"$SK_TEST_AD_CA\" "
			 "ldapmodify -x -H \"$SK_TEST_AD_URI\" -D \"$SK_TEST_AD_ADMIN_DN\" -y %s/adm "
			 ">/dev/null", path, base, path);
		tap_ok(&t, system(cmd) == 0, "AD: the administrator disables rc1 (ldapmodify)");
	}
	ad_recheck("rc1", now + 100, last);
	tap_ok(&t, !strcmp(last, "directory-user-disabled"),
	       "AD: rc1 disabled in AD: the re-check ends the session (%s)", last);
	ad_recheck("erin", now + 200, last);
	tap_ok(&t, !strcmp(last, "directory-user-expired"),
	       "AD: erin past accountExpires: the re-check ends the session (%s)", last);
	end_daemon(path);
	return tap_end(&t);
}

int main(void)
{
	char path[] = "/tmp/sk-dircheck.XXXXXX", map[512], last[64] = "";
	struct sk_audit_filter flt = { .type = "directory-recheck" };
	struct skd_session *s;
	struct sk_user u;
	struct sk_group g;
	int64_t now = skd_now();

	tap_begin();
	tap_ok(&t, sk_ldap_setting_check("recheck-interval", "5", err, sizeof(err)) &&
	       strstr(err, "10 to 86400"), "recheck-interval 5 refused: %s", err);
	tap_ok(&t, !sk_ldap_setting_check("recheck-interval", "0", err, sizeof(err)) &&
	       !sk_ldap_setting_check("recheck-interval", "600", err, sizeof(err)),
	       "recheck-interval 0 and 600 taken");
	if (getenv("SK_TEST_AD_URI") && getenv("SK_TEST_AD_ADMIN_PW"))
		return ad_main();
	if (!getenv("SK_TEST_LDAPS_URI")) {
		tap_skip(&t, "re-checks against slapd", "no slapd (tests/lib/slapd.sh: tests/run directory)");
		return tap_end(&t);
	}
	new_daemon(path);
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	sk_group_add(d->st, &g, err, sizeof(err));
	sk_directory_add(d->st, "corp", err, sizeof(err));
	dset("type", "openldap");
	dset("uri", getenv("SK_TEST_LDAPS_URI"));
	dset("tls", "ldaps");
	dset("ca-file", getenv("SK_TEST_LDAP_CA"));
	dset("bind-dn", getenv("SK_TEST_LDAP_BIND_DN"));
	dset("bind-password", getenv("SK_TEST_LDAP_BIND_PW"));
	dset("base", getenv("SK_TEST_LDAP_BASE"));
	dset("timeout", "2");
	snprintf(map, sizeof(map), "staff cn=vpn-staff,ou=groups,%s", getenv("SK_TEST_LDAP_BASE"));
	dset("map-01", map);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.group, sizeof(u.group), "staff");
	u.enabled = true;
	sk_user_add(d->st, &u, NULL, 0);
	sk_user_directory_set(d->st, "alice", "corp");
	snprintf(u.name, sizeof(u.name), "ghost");
	sk_user_add(d->st, &u, NULL, 0);
	sk_user_directory_set(d->st, "ghost", "corp");	/* no entry in slapd */
	snprintf(u.name, sizeof(u.name), "local");
	sk_user_add(d->st, &u, NULL, 0);

	s = session("alice", "staff", now - 100);
	skd_dircheck(d, s, now);
	tap_ok(&t, !s->dirjob && s->used, "recheck-interval unset (0): no check");
	dset("recheck-interval", "60");
	s = session("alice", "staff", now - 30);
	skd_dircheck(d, s, now);
	tap_ok(&t, !s->dirjob && s->used, "30 s after the login, interval 60: no check yet");
	skd_dircheck(d, s, now + 31);
	tap_ok(&t, s->dirjob != NULL, "after the interval: a check runs (on a thread)");
	settle(s, now + 31);
	tap_ok(&t, s->used && !s->dirjob && s->dir_checked == now + 31,
	       "alice is still in vpn-staff -> staff: the session stays");
	skd_dircheck(d, s, now + 50);
	tap_ok(&t, !s->dirjob, "the next check only after another interval");

	/* the mapping no longer gives staff: as if alice left the group */
	snprintf(map, sizeof(map), "staff cn=vpn-admins,ou=groups,%s", getenv("SK_TEST_LDAP_BASE"));
	dset("map-01", map);
	s->dir_next = 0;
	skd_dircheck(d, s, now + 100);
	settle(s, now + 100);
	sk_audit_list(d->st, &flt, audit_fn, last);
	tap_ok(&t, !s->used && !strcmp(last, "directory-group-removed"),
	       "no longer in a group mapped to staff: the session ended, audited (%s)", last);

	s = session("ghost", "staff", now - 100);
	skd_dircheck(d, s, now);
	settle(s, now);
	last[0] = '\0';
	sk_audit_list(d->st, &flt, audit_fn, last);
	tap_ok(&t, !s->used && !strcmp(last, "directory-user-removed"),
	       "an entry the directory no longer has: ended (%s)", last);

	s = session("local", "staff", now - 100);
	skd_dircheck(d, s, now);
	tap_ok(&t, !s->dirjob && s->used && s->dir_next == INT64_MAX, "a local account: never checked");

	/* the directory does not answer: not the user's fault */
	dset("uri", getenv("SK_TEST_LDAP_DEAD_URI"));
	dset("timeout", "1");
	s = session("alice", "staff", now - 100);
	skd_dircheck(d, s, now);
	tap_ok(&t, s->dirjob != NULL, "a check against a dead server runs");
	settle(s, now);
	tap_ok(&t, s->used, "the directory unreachable: the session stays");

	/* a session that ends while its check runs abandons it (the thread
	 * frees it: ASan sees a leak or a double free otherwise) */
	s = session("alice", "staff", now - 100);
	s->dir_next = 0;
	skd_dircheck(d, s, now + 200);
	tap_ok(&t, s->dirjob != NULL, "a check runs ...");
	skd_session_clear(s);
	tap_ok(&t, !s->dirjob, "... the session is cleared: the check is abandoned");
	sleep(2);

	end_daemon(path);
	return tap_end(&t);
}
