// SPDX-License-Identifier: GPL-2.0
/*
 * The known settings, their defaults and how each value is checked.
 * Documentation/admin/store.md lists the same table; keep them together.
 * Unknown keys are refused so that a typo never silently does nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "posture.h"
#include "store-impl.h"
#include "sktext.h"

static const struct sk_setting_def defs[] = {
	{ "gateway.name", "", SK_SET_TEXT, 0, 0,
	  "host name the clients connect to (certificate name, profile host)" },
	{ "smtp.url", "", SK_SET_URL, 0, 0, "SMTP server for OTP and notices, smtp:// or smtps://" },
	{ "smtp.from", "", SK_SET_EMAIL, 0, 0, "From: address of the gateway's mails" },
	{ "smtp.user", "", SK_SET_TEXT, 0, 0, "SMTP AUTH user name (\"\" = no AUTH)" },
	{ "smtp.password", "", SK_SET_SECRET, 0, 0,
	  "SMTP AUTH password (secret: masked, audited as changed only, set from stdin or a file)" },
	{ "password.memory_kib", "7168", SK_SET_INT, 7168, 1048576,
	  "argon2id memory of new password hashes in KiB (OWASP minimum: 7168 with 5 passes, 19456 with 2)" },
	{ "password.time_cost", "5", SK_SET_INT, 1, 10,
	  "argon2id passes of new password hashes (OWASP: 5 with 7 MiB, 2 with 19 MiB; RFC 9106: 3 with 64 MiB)" },
	{ "password.parallelism", "1", SK_SET_INT, 1, 16,
	  "argon2id lanes (threads) of new password hashes (OWASP: 1; RFC 9106: 4)" },
	{ "otp.ttl", "300", SK_SET_INT, 30, 3600, "seconds an e-mailed one-time code stays valid" },
	{ "otp.resend_min", "30", SK_SET_INT, 0, 3600, "minimum seconds between two OTP mails" },
	{ "otp.max_per_hour", "5", SK_SET_INT, 1, 100, "OTP mails per user per hour" },
	{ "lockout.threshold", "10", SK_SET_INT, 0, 1000,
	  "consecutive failures that lock an account (0 = never)" },
	{ "lockout.duration", "900", SK_SET_TEXT, 0, 0,
	  "seconds the first lock of an account lasts, doubled at each further lock until a "
	  "successful login (permanent = until an administrator unlocks)" },
	{ "lockout.max_duration", "86400", SK_SET_INT, 1, 31536000,
	  "longest lock in seconds that the doubling of lockout.duration reaches" },
	{ "lockout.source_threshold", "50", SK_SET_INT, 0, 100000,
	  "failures from one source (an IPv4 address, an IPv6 /64) within the window that block it (0 = never)" },
	{ "lockout.source_window", "600", SK_SET_INT, 1, 86400,
	  "window in seconds for lockout.source_threshold" },
	{ "lockout.source_block", "900", SK_SET_INT, 1, 86400,
	  "seconds a blocked source stays blocked" },
	{ "source.never_block", "", SK_SET_TEXT, 0, 0,
	  "address ranges never blocked, comma-separated CIDR (an office NAT, a carrier's CGNAT range)" },
	{ "login.max_tries", "3", SK_SET_INT, 1, 20, "tries per factor within one login" },
	{ "totp.window", "1", SK_SET_INT, 0, 10, "TOTP steps accepted either side of now" },
	{ "session.grace", "300", SK_SET_INT, 0, 86400,
	  "seconds a disconnected session's cookie still reconnects" },
	{ "session.gateway_dead", "60", SK_SET_INT, 20, 86400,
	  "seconds without a heartbeat (every 10 s) after which the other gateways sharing the store "
	  "take a gateway's sessions as detached ones (then session.grace ends them)" },
	{ "session.dpd", "30", SK_SET_INT, 0, 3600, "dead peer detection interval (X-CSTP-DPD)" },
	{ "session.keepalive", "20", SK_SET_INT, 0, 3600, "keepalive interval (X-CSTP-Keepalive)" },
	{ "session.ktls", "on", SK_SET_BOOL, 0, 0,
	  "the TLS side of tunnels carried by the kernel (kernel TLS) where the suite allows it; "
	  "off = the worker relays every CSTP stream" },
	{ "session.ktls_dtls", "on", SK_SET_BOOL, 0, 0,
	  "kernel TLS also for tunnels offered DTLS (their DTLS joins the kernel peer, then the "
	  "worker leaves); off: they keep the worker's relay" },
	{ "session.dtls_wait", "60", SK_SET_INT, 0, 86400,
	  "seconds after the hand-off or the last DTLS attempt that a tunnel on kernel TLS keeps its "
	  "worker for a DTLS handshake (UDP may be blocked); then the worker leaves and a later DTLS "
	  "handshake gets a short-lived DTLS worker (0 = wait for ever)" },
	{ "notify.admin_email", "", SK_SET_EMAIL, 0, 0, "administrator address for notices (\"\" = none)" },
	{ "device.auto_register", "off", SK_SET_BOOL, 0, 0,
	  "register an unknown device on its first successful login" },
	{ "device.hostscan", "off", SK_SET_BOOL, 0, 0,
	  "ask every client for a host scan (device ID, MACs); clients need --csd-wrapper" },
	{ "device.hostscan_skip", "windows,cisco", SK_SET_TEXT, 0, 0,
	  "clients not asked for the host scan because they cannot run a CSD wrapper: windows "
	  "(openconnect, OpenConnect-GUI on Windows), cisco (Cisco Secure Client), comma-separated "
	  "(\"\" = ask every client); they log in with no report, which the group's posture "
	  "policy refuses or quarantines (report.outcome)" },
	/* a path's default is relative to the state directory (sk_store_dir) */
	{ "ca.dir", "ca", SK_SET_PATH, 0, 0,
	  "directory of the built-in CA (below the state directory, the store's)" },
	{ "profile.base_url", "", SK_SET_URL, 0, 0, "https:// prefix of profile download links" },
	{ "cert.bind", "cn", SK_SET_TEXT, 0, 0,
	  "client certificate field matched against the user: cn, email or uid" },
	{ "default.group", "", SK_SET_NAME, 0, 0, "group of users added without one (\"\" = required)" },
	{ "audit.retention_days", "400", SK_SET_INT, 0, 36500,
	  "days the audit trail is kept: sekishod deletes older records once a day (0 = keep "
	  "forever; at least 30; 400 keeps 13 months, a whole fiscal year)" },
	/* a path with no default: "" = not set */
	{ "audit.export_dir", "", SK_SET_PATH, 0, 0,
	  "directory (below the state directory) where the records are written as JSON lines "
	  "before they are deleted (\"\" = no export)" },
	{ "directory.default", "", SK_SET_NAME, 0, 0,
	  "directory (sekictl directory) that checks the passwords of groups without one of "
	  "their own (\"\" = none: local accounts)" },
};

const struct sk_setting_def *sk_setting_defs(int *n)
{
	*n = (int)(sizeof(defs) / sizeof(defs[0]));
	return defs;
}

const struct sk_setting_def *sk_setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (!strcmp(defs[i].key, key))
			return &defs[i];
	return NULL;
}

bool sk_setting_secret(const char *key)
{
	const struct sk_setting_def *d = key ? sk_setting_find(key) : NULL;

	return d && d->kind == SK_SET_SECRET;
}


int sk_setting_validate(const struct sk_setting_def *d, const char *val, char *err, size_t errlen)
{
	const char *why;

	if (strlen(val) >= SK_TEXT_MAX)
		return sk_err(err, errlen, "%s: value longer than %d bytes", d->key, SK_TEXT_MAX - 1);
	/* one line of UTF-8 without control characters (lib/sktext.h) */
	if ((why = sk_text_check(val, SK_TEXT_MAX - 1, false)))
		return sk_err(err, errlen, "%s: %s", d->key, why);
	switch (d->kind) {
	case SK_SET_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		if (!*val || *end || errno)
			return sk_err(err, errlen, "%s: '%s' is not a whole number", d->key, val);
		if (v < d->min || v > d->max)
			return sk_err(err, errlen, "%s: %ld is outside %ld..%ld", d->key, v, d->min,
				      d->max);
		if (!strcmp(d->key, "audit.retention_days") && v && v < SK_AUDIT_RETENTION_MIN)
			return sk_err(err, errlen,
				      "audit.retention_days: %ld days is below the minimum of %d; "
				      "use %d or more (400 keeps a whole fiscal year), or 0 to keep "
				      "every record\n  audit.retention_days: %ld 日は最小値 %d 日より"
				      "短すぎます。%d 以上（400 で会計年度 1 年分を保持）か、すべて"
				      "保持する 0 を指定してください。", v, SK_AUDIT_RETENTION_MIN,
				      SK_AUDIT_RETENTION_MIN, v, SK_AUDIT_RETENTION_MIN,
				      SK_AUDIT_RETENTION_MIN);
		return 0;
	}
	case SK_SET_BOOL:
		if (strcmp(val, "on") && strcmp(val, "off"))
			return sk_err(err, errlen, "%s: must be on or off", d->key);
		return 0;
	case SK_SET_EMAIL:
		return *val ? sk_valid_email(d->key, val, err, errlen) : 0;
	case SK_SET_NAME:
		return *val ? sk_valid_name(d->key, val, err, errlen) : 0;
	case SK_SET_URL:
		if (!*val)
			return 0;
		if (strncmp(val, "smtp://", 7) && strncmp(val, "smtps://", 8) &&
		    strncmp(val, "https://", 8) && strncmp(val, "http://", 7))
			return sk_err(err, errlen, "%s: '%s' is not a smtp://, smtps:// or https:// URL",
				      d->key, val);
		if (strlen(val) >= SK_URL_MAX)
			return sk_err(err, errlen, "%s: URL longer than %d bytes", d->key, SK_URL_MAX - 1);
		if (strchr(val, ' '))
			return sk_err(err, errlen, "%s: URL contains a space", d->key);
		return 0;
	case SK_SET_PATH: {
		const char *p;

		if (!*val && !*d->def)
			return 0;	/* an optional path: "" = not set */
		if (val[0] != '/')
			return sk_err(err, errlen, "%s: must be an absolute path", d->key);
		/* written the one way: no "//", "/./", "/../" or trailing '/',
		 * so that the check below the state directory is a prefix test */
		for (p = val; *p; p++)
			if (*p == '/' && (p[1] == '/' || p[1] == '\0' ||
					  (p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
					  (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
				return sk_err(err, errlen, "%s: '%s' is not a plain absolute path "
					      "(no //, /./, /../ or trailing /)", d->key, val);
		return 0;
	}
	case SK_SET_SECRET:
		return 0;
	case SK_SET_TEXT: {
		unsigned int mask;

		if (!strcmp(d->key, "cert.bind") && strcmp(val, "cn") && strcmp(val, "email") &&
		    strcmp(val, "uid"))
			return sk_err(err, errlen, "cert.bind: must be cn, email or uid");
		if (!strcmp(d->key, "lockout.duration") && strcmp(val, "permanent")) {
			char *end;
			long v;

			errno = 0;
			v = strtol(val, &end, 10);
			if (!*val || *end || errno || v < 1 || v > 31536000)
				return sk_err(err, errlen, "lockout.duration: must be a number of seconds "
					      "(1..31536000) or permanent");
		}
		if (!strcmp(d->key, "device.hostscan_skip") && sk_po_client_list(val, &mask))
			return sk_err(err, errlen,
				      "device.hostscan_skip: '%s' is not a list of windows and cisco "
				      "(\"\" = scan every client)\n  device.hostscan_skip: '%s' は "
				      "windows と cisco のカンマ区切りではありません（\"\" で全クライアント"
				      "をスキャン）", val, val);
		if (!strcmp(d->key, "source.never_block")) {
			char why[SK_TEXT_MAX];

			if (sk_cidr_list_check(val, why, sizeof(why)))
				return sk_err(err, errlen, "source.never_block: %s", why);
		}
		return 0;
	}
	}
	return 0;
}

/* 0 when path is dir or below it (both absolute, plain) */
static bool below(const char *dir, const char *path, bool or_equal)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return path[0] == '/' && (or_equal || path[1]);
	return !strncmp(path, dir, n) && (path[n] == '/' ? path[n + 1] != '\0' : or_equal && !path[n]);
}

/*
 * Root acts on these paths at start (sekishod gives ca.dir to the service
 * user): an administrator who may change settings must not be able to name
 * /dev or /etc.  The value must be below the state directory, as written
 * and after symbolic links are resolved (the deepest part that exists).
 */
int sk_setting_path_ok(const struct sk_setting_def *d, const char *dir, const char *val,
		       char *err, size_t errlen)
{
	char part[PATH_MAX], real[PATH_MAX], rdir[PATH_MAX], *slash;
	bool whole = true;
	struct stat sb;

	if (!below(dir, val, false))
		goto outside;
	if (!realpath(dir, rdir))
		return 0;	/* no state directory yet: nothing below it exists either */
	snprintf(part, sizeof(part), "%s", val);
	while (lstat(part, &sb) && errno == ENOENT && (slash = strrchr(part, '/')) && slash != part) {
		*slash = '\0';
		whole = false;
	}
	/* what exists of it resolves below the state directory (a parent
	 * that does not exist yet may be the state directory itself) */
	if (realpath(part, real) && !below(rdir, real, !whole))
		goto outside;
	return 0;
outside:
	sk_err(err, errlen,
	       "%s: %s is not below the state directory %s (root gives that tree to the service "
	       "user at start); use a directory below it, such as %s/%s\n"
	       "  %s: %s は状態ディレクトリ %s の下ではありません（起動時に root がその中を"
	       "サービスユーザに渡します）。%s/%s のようにその下のディレクトリを指定してください。",
	       d->key, val, dir, strcmp(dir, "/") ? dir : "", d->def,
	       d->key, val, dir, strcmp(dir, "/") ? dir : "", d->def);
	return -EPERM;
}
