// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: profile links (profile send, resend, list) and the download
 * behind sekishod's GET /profile/<token> (sk_admin_profile_fetch).
 *
 * send issues a client certificate for the user's device, keeps the
 * PKCS#12 package (and the random password that protects it) in
 * <ca.dir>/profiles/<id>.p12 and <id>.pass (0600) until the link is used
 * up, and mails profile.base_url + "/profile/" + token.  The token is 256
 * random bits (base64url); the store holds only SHA-256(token text).
 * The p12 password travels inside the package (settings.txt): the link is
 * the secret; the password exists because several clients (iOS among
 * them) refuse to import a PKCS#12 without one.
 *
 * The package is a plain ustar archive written here (POSIX.1-1988 header,
 * 512-byte blocks, no extensions: four small regular files do not need
 * libarchive).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "admin_int.h"
#include "skauth.h"

#define PROFILE_DAYS_DEFAULT	7
#define PROFILE_DOWNLOADS_DEFAULT 1
#define P12_MAX			(64 << 10)

static const char *state_key(enum sk_profile_state s)
{
	switch (s) {
	case SK_PROFILE_MAIL_PENDING: return "mail-pending";
	case SK_PROFILE_WAIT_DOWNLOAD: return "waiting-download";
	case SK_PROFILE_WAIT_REGISTER: return "waiting-registration";
	case SK_PROFILE_READY: return "ready";
	default: return "expired";
	}
}

static const char *state_en(enum sk_profile_state s)
{
	switch (s) {
	case SK_PROFILE_MAIL_PENDING: return "mail to send";
	case SK_PROFILE_WAIT_DOWNLOAD: return "waiting for download";
	case SK_PROFILE_WAIT_REGISTER: return "waiting for device registration";
	case SK_PROFILE_READY: return "ready";
	default: return "link expired";
	}
}

static const char *state_ja(enum sk_profile_state s)
{
	switch (s) {
	case SK_PROFILE_MAIL_PENDING: return "メールを送信してください。";
	case SK_PROFILE_WAIT_DOWNLOAD: return "プロフィールDL待ち";
	case SK_PROFILE_WAIT_REGISTER: return "デバイスID登録処理を行ってください。";
	case SK_PROFILE_READY: return "接続準備完了";
	default: return "URLの期限が切れました。再度メール送信してください。";
	}
}

/* A link not yet used whose time or downloads ran out reads as expired. */
static enum sk_profile_state effective_state(const struct sk_profile *p, int64_t now)
{
	if (p->state == SK_PROFILE_MAIL_PENDING || p->state == SK_PROFILE_WAIT_DOWNLOAD) {
		if (p->expires && p->expires <= now)
			return SK_PROFILE_EXPIRED;
	}
	return p->state;
}

static void pkg_path(struct sk_store *st, int64_t id, const char *ext, char *buf, size_t len)
{
	char dir[SK_URL_MAX];

	ska_ca_dir(st, dir, sizeof(dir));
	snprintf(buf, len, "%s/profiles/%lld.%s", dir, (long long)id, ext);
}

static void token_hash(const char *token, uint8_t out[32])
{
	SHA256((const unsigned char *)token, strlen(token), out);
}

static int new_token(char *tok, size_t len, uint8_t hash[32])
{
	uint8_t raw[32];
	char b64[64];
	int n, i, o = 0;

	if (sk_random(raw, sizeof(raw)))
		return -EIO;
	n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
	sk_wipe(raw, sizeof(raw));
	/* base64url without padding: the token goes into a URL path */
	for (i = 0; i < n && o + 1 < (int)len; i++) {
		if (b64[i] == '=')
			break;
		tok[o++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	}
	tok[o] = '\0';
	sk_wipe(b64, sizeof(b64));
	token_hash(tok, hash);
	return 0;
}

static int write_secret_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t w;
	int rc = 0;

	if (fd < 0)
		return -errno;
	w = write(fd, data, len);
	if (w < 0 || (size_t)w != len)
		rc = w < 0 ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

static int read_file(const char *path, uint8_t **data, size_t *len, size_t max)
{
	struct stat sb;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || sb.st_size < 0 || (size_t)sb.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	*data = malloc(sb.st_size + 1);
	if (!*data) {
		close(fd);
		return -ENOMEM;
	}
	r = read(fd, *data, sb.st_size);
	close(fd);
	if (r != sb.st_size) {
		free(*data);
		*data = NULL;
		return -EIO;
	}
	(*data)[r] = 0;
	*len = r;
	return 0;
}

/* ----------------------------------------------------------------- mail */

static int send_link_mail(struct ska *a, const struct sk_user *u, const char *device,
			  const char *url, const struct sk_profile *p, char *err, size_t errlen)
{
	char smtp_url[SK_URL_MAX], from[SK_EMAIL_MAX + 1], user[SK_NAME_MAX * 2];
	char pass[SK_TEXT_MAX], gw[SK_NAME_MAX * 2], exp[40], dl[32], dlen[32];
	struct sk_mail_cfg cfg = { 0 };
	char *body = NULL, subject[256];
	size_t blen;
	FILE *f;
	int rc;

	if (sk_setting_get(a->st, "smtp.url", smtp_url, sizeof(smtp_url)) || !smtp_url[0]) {
		snprintf(err, errlen, "smtp.url is not set ('sekictl settings set smtp.url smtp://HOST')");
		return -ENOENT;
	}
	if (sk_setting_get(a->st, "smtp.from", from, sizeof(from)) || !from[0])
		snprintf(from, sizeof(from), "sekisho@localhost");
	if (sk_setting_get(a->st, "smtp.user", user, sizeof(user)))
		user[0] = '\0';
	if (sk_setting_get(a->st, "smtp.password", pass, sizeof(pass)))
		pass[0] = '\0';
	if (sk_setting_get(a->st, "gateway.name", gw, sizeof(gw)) || !gw[0])
		snprintf(gw, sizeof(gw), "sekisho");
	cfg.url = smtp_url;
	cfg.from = from;
	cfg.user = user[0] ? user : NULL;
	cfg.password = pass[0] ? pass : NULL;
	ska_fmt_time(p->expires, exp, sizeof(exp));
	if (p->max_downloads) {
		snprintf(dl, sizeof(dl), "%d回", p->max_downloads);
		snprintf(dlen, sizeof(dlen), "%d", p->max_downloads);
	} else {
		snprintf(dl, sizeof(dl), "無制限");
		snprintf(dlen, sizeof(dlen), "unlimited");
	}
	snprintf(subject, sizeof(subject), "[%s] ユーザプロフィールのダウンロード / VPN profile download",
		 gw);
	f = open_memstream(&body, &blen);
	if (!f)
		return -ENOMEM;
	fprintf(f,
		"%s 様\n\n"
		"%s の VPN 接続に使うユーザプロフィール（デバイス %s 用）を用意しました。\n"
		"以下のURLにアクセスし、ユーザプロフィールをダウンロード後、インストールしてください。\n\n"
		"%s\n\n"
		"URLの有効期限 : %s\n"
		"ダウンロード回数 : %s\n\n"
		"心当たりのない場合は、このメールを破棄し管理者にご連絡ください。\n"
		"\n----\n\n"
		"Dear %s,\n\n"
		"Your VPN profile for %s (device %s) is ready.\n"
		"Download it from the link below and install it:\n\n"
		"%s\n\n"
		"The link expires at: %s\n"
		"Downloads allowed: %s\n\n"
		"If you did not expect this mail, delete it and tell your administrator.\n",
		u->name, gw, device, url, exp, dl, u->name, gw, device, url, exp, dlen);
	fclose(f);
	rc = sk_mail_send(&cfg, u->email, subject, body, err, errlen);
	sk_wipe(body, blen);
	free(body);
	sk_wipe(pass, sizeof(pass));
	return rc;
}

/* ------------------------------------------------------------ send/resend */

struct prof_tx { struct ska *a; struct sk_profile p; bool add; };

static int profile_apply(struct sk_store *st, void *arg)
{
	struct prof_tx *t = arg;
	char after[256], exp[40];
	int rc;

	rc = t->add ? sk_profile_add(st, &t->p) : sk_profile_update(st, &t->p);
	if (rc)
		return rc;
	ska_fmt_time(t->p.expires, exp, sizeof(exp));
	snprintf(after, sizeof(after),
		 "{\"profile\":%lld,\"state\":\"%s\",\"expires\":\"%s\",\"max_downloads\":%d}",
		 (long long)t->p.id, state_key(t->p.state), exp, t->p.max_downloads);
	return ska_audit(t->a, NULL, after, t->p.user, t->p.device);
}

struct find_prof { const char *user, *device; struct sk_profile p; bool found; };

static int find_latest(const struct sk_profile *p, void *arg)
{
	struct find_prof *f = arg;

	if (!strcmp(p->user, f->user) && !strcmp(p->device, f->device) &&
	    (!f->found || p->id > f->p.id)) {
		f->p = *p;
		f->found = true;
	}
	return 0;
}

static int purge_each(const struct sk_profile *p, void *arg)
{
	struct ska *a = arg;
	char path[SK_URL_MAX + 64];

	if (p->state != SK_PROFILE_EXPIRED)
		return 0;
	/* an expired link never serves its package again: the private key
	 * of a revoked certificate need not stay on the gateway */
	pkg_path(a->st, p->id, "p12", path, sizeof(path));
	unlink(path);
	pkg_path(a->st, p->id, "pass", path, sizeof(path));
	unlink(path);
	return 0;
}

void ska_profile_purge(struct ska *a)
{
	(void)sk_profile_list(a->st, purge_each, a);
}

/* Issues a certificate and stores the package files for profile id. */
static int make_package(struct ska *a, const struct sk_user *u, const char *device, int64_t id,
			char *serial, size_t seriallen)
{
	char dir[SK_URL_MAX], path[SK_URL_MAX + 64], pw[24];
	uint8_t raw[12], *p12 = NULL;
	size_t len = 0;
	int rc, i;
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

	/* 16 characters from a 56-letter alphabet without look-alikes */
	if (sk_random(raw, sizeof(raw)))
		return ska_fail(a, "no random bytes");
	for (i = 0; i < 16; i++)
		pw[i] = alpha[(raw[i % 12] ^ (i >= 12 ? raw[i - 12] >> 3 : 0)) % (sizeof(alpha) - 1)];
	pw[16] = '\0';
	sk_wipe(raw, sizeof(raw));
	rc = ska_cert_issue_p12(a, u, device, 365, pw, &p12, &len, serial, seriallen, id);
	if (rc) {
		sk_wipe(pw, sizeof(pw));
		return rc;
	}
	ska_ca_dir(a->st, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/profiles", dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		rc = -errno;
	if (!rc) {
		pkg_path(a->st, id, "p12", path, sizeof(path));
		rc = write_secret_file(path, p12, len);
	}
	if (!rc) {
		pkg_path(a->st, id, "pass", path, sizeof(path));
		rc = write_secret_file(path, pw, strlen(pw));
	}
	sk_wipe(pw, sizeof(pw));
	OPENSSL_cleanse(p12, len);
	free(p12);
	if (rc)
		return ska_fail(a, "%s: %s", path, strerror(-rc));
	return 0;
}

static int profile_send(struct ska *a, int argc, char **argv, bool resend)
{
	struct prof_tx t = { .a = a, .add = !resend };
	struct find_prof fp = { 0 };
	struct sk_user u;
	struct sk_device d;
	char base[SK_URL_MAX], url[SK_URL_MAX + 80], tok[64], err[SKA_ERR] = "";
	char serial[SK_NAME_MAX + 1] = "", path[SK_URL_MAX + 64];
	long days = PROFILE_DAYS_DEFAULT, downloads = PROFILE_DOWNLOADS_DEFAULT;
	bool no_mail = false, days_given = false, dl_given = false;
	const char *v;
	int i, m, rc;

	if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-')
		return ska_usage(a, "expected: profile %s USER DEVICE [--days 1..30] "
				 "[--downloads 1..5|unlimited] [--no-mail]", resend ? "resend" : "send");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--no-mail")) {
			no_mail = true;
		} else if ((m = ska_opt(a, argc, argv, &i, "days", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_int(v, 1, 30, &days))
				return ska_usage(a, "--days: expected 1 to 30, got '%s'", v);
			days_given = true;
		} else if ((m = ska_opt(a, argc, argv, &i, "downloads", &v))) {
			if (m < 0)
				return 2;
			if (!strcmp(v, "unlimited"))
				downloads = 0;
			else if (ska_parse_int(v, 1, 5, &downloads))
				return ska_usage(a, "--downloads: expected 1 to 5 or unlimited, got '%s'", v);
			dl_given = true;
		} else {
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
	}
	rc = sk_user_get(a->st, argv[0], &u);
	if (rc)
		return ska_store_fail(a, rc, argv[0], rc == -ENOENT ? "no such user" : "");
	sk_wipe(u.pw_hash, sizeof(u.pw_hash));
	sk_wipe(u.totp_secret, sizeof(u.totp_secret));
	rc = sk_device_get(a->st, argv[1], &d);
	if (rc)
		return ska_store_fail(a, rc, argv[1], rc == -ENOENT ? "no such device" : "");
	if (strcmp(d.user, u.name))
		return ska_fail(a, "device %s is not assigned to user %s; "
				"'sekictl device assign %s %s' first", d.name, u.name, u.name, d.name);
	if (sk_setting_get(a->st, "profile.base_url", base, sizeof(base)) || !base[0])
		return ska_fail(a, "profile.base_url is not set "
				"('sekictl settings set profile.base_url https://vpn.example.jp')");
	if (!no_mail && !u.email[0])
		return ska_fail(a, "user %s has no e-mail address", u.name);

	if (resend) {
		fp.user = u.name;
		fp.device = d.name;
		rc = sk_profile_list(a->st, find_latest, &fp);
		if (rc)
			return ska_store_fail(a, rc, "profiles", "");
		if (!fp.found)
			return ska_fail(a, "no profile for user %s and device %s; use 'profile send'",
					u.name, d.name);
		t.p = fp.p;
		if (days_given || effective_state(&t.p, a->now) == SK_PROFILE_EXPIRED)
			t.p.expires = a->now + days * 86400L;
		if (dl_given)
			t.p.max_downloads = (int)downloads;
		t.p.downloads = 0;
	} else {
		snprintf(t.p.user, sizeof(t.p.user), "%s", u.name);
		snprintf(t.p.device, sizeof(t.p.device), "%s", d.name);
		t.p.expires = a->now + days * 86400L;
		t.p.max_downloads = (int)downloads;
		t.p.created = a->now;
	}
	if (new_token(tok, sizeof(tok), t.p.token_hash))
		return ska_fail(a, "no random bytes for the link token");
	t.p.state = SK_PROFILE_MAIL_PENDING;
	if (resend) {
		/* A resend is a new link (new row, new token: sk_profile_update
		 * keeps the token hash) and the old link ends now; its package
		 * moves to the new row. */
		struct prof_tx old = { .a = a, .p = fp.p };
		char opath[SK_URL_MAX + 64];

		old.p.state = SK_PROFILE_EXPIRED;
		rc = ska_tx(a, profile_apply, &old);
		if (rc) {
			sk_wipe(tok, sizeof(tok));
			return ska_store_fail(a, rc, "profile", "");
		}
		t.add = true;
		t.p.created = a->now;
		rc = ska_tx(a, profile_apply, &t);
		if (!rc) {
			pkg_path(a->st, fp.p.id, "p12", opath, sizeof(opath));
			pkg_path(a->st, t.p.id, "p12", path, sizeof(path));
			if (!rename(opath, path)) {
				pkg_path(a->st, fp.p.id, "pass", opath, sizeof(opath));
				pkg_path(a->st, t.p.id, "pass", path, sizeof(path));
				if (rename(opath, path)) {
					pkg_path(a->st, t.p.id, "p12", path, sizeof(path));
					unlink(path);	/* no password: issue anew below */
				}
			}
		}
	} else {
		rc = ska_tx(a, profile_apply, &t);
	}
	if (rc) {
		sk_wipe(tok, sizeof(tok));
		return ska_store_fail(a, rc, "profile", "");
	}
	/* the package: the one moved over from the old link, else a new certificate */
	pkg_path(a->st, t.p.id, "p12", path, sizeof(path));
	if (!resend || access(path, R_OK)) {
		rc = make_package(a, &u, d.name, t.p.id, serial, sizeof(serial));
		if (rc) {
			sk_wipe(tok, sizeof(tok));
			return rc;
		}
		fprintf(a->io->out, "cert %s: issued to user %s for device %s\n", serial, u.name,
			d.name);
	}
	snprintf(url, sizeof(url), "%s%sprofile/%s", base,
		 base[strlen(base) - 1] == '/' ? "" : "/", tok);
	sk_wipe(tok, sizeof(tok));
	if (no_mail) {
		/* the administrator hands the link over another way */
		fprintf(a->io->out, "%s\n", url);
	} else {
		rc = send_link_mail(a, &u, d.name, url, &t.p, err, sizeof(err));
		if (rc) {
			sk_wipe(url, sizeof(url));
			ska_fail(a, "profile %lld: mail to %s failed: %s; the state stays "
				 "'mail to send'; retry with 'sekictl profile resend %s %s'",
				 (long long)t.p.id, u.email, err, u.name, d.name);
			return 1;
		}
	}
	sk_wipe(url, sizeof(url));
	t.p.state = SK_PROFILE_WAIT_DOWNLOAD;
	t.add = false;
	rc = ska_tx(a, profile_apply, &t);
	if (rc)
		return ska_store_fail(a, rc, "profile", "");
	if (no_mail)
		fprintf(a->io->out, "profile %lld (user %s, device %s): link printed above; "
			"mail to send -> waiting for download\n", (long long)t.p.id, u.name, d.name);
	else
		fprintf(a->io->out, "profile %lld (user %s, device %s): mailed to %s; "
			"mail to send -> waiting for download\n", (long long)t.p.id, u.name, d.name,
			u.email);
	return 0;
}

/* ------------------------------------------------------------------ list */

struct prof_list {
	struct ska *a;
	struct sk_json *j;
	int n;
	struct sk_profile *all;		/* every row, to hide superseded links */
	int nall, cap;
};

static int profile_collect(const struct sk_profile *p, void *arg)
{
	struct prof_list *l = arg;

	if (l->nall == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct sk_profile *n = realloc(l->all, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->all = n;
		l->cap = cap;
	}
	l->all[l->nall++] = *p;
	return 0;
}

static bool superseded(const struct prof_list *l, const struct sk_profile *p)
{
	for (int i = 0; i < l->nall; i++)
		if (l->all[i].id > p->id && !strcmp(l->all[i].user, p->user) &&
		    !strcmp(l->all[i].device, p->device))
			return true;
	return false;
}

static int profile_each(const struct sk_profile *p, void *arg)
{
	struct prof_list *l = arg;
	enum sk_profile_state s = effective_state(p, l->a->now);
	char exp[40], dl[32];

	ska_fmt_time(p->expires, exp, sizeof(exp));
	if (p->max_downloads)
		snprintf(dl, sizeof(dl), "%d/%d", p->downloads, p->max_downloads);
	else
		snprintf(dl, sizeof(dl), "%d/unlimited", p->downloads);
	if (l->j) {
		sk_json_obj_begin(l->j, NULL);
		sk_json_u64(l->j, "id", (uint64_t)p->id);
		sk_json_str(l->j, "user", p->user);
		sk_json_str(l->j, "device", p->device);
		sk_json_str(l->j, "state", state_key(s));
		sk_json_str(l->j, "status", state_en(s));
		sk_json_str(l->j, "status_ja", state_ja(s));
		sk_json_str(l->j, "expires", exp);
		sk_json_u64(l->j, "downloads", (uint64_t)p->downloads);
		sk_json_u64(l->j, "max_downloads", (uint64_t)p->max_downloads);
		sk_json_obj_end(l->j);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-6s %-16s %-16s %-32s %-25s %s\n", "ID", "USER",
				"DEVICE", "STATUS", "EXPIRES", "DOWNLOADS");
		fprintf(l->a->io->out, "%-6lld %-16s %-16s %-32s %-25s %s\n", (long long)p->id,
			p->user, p->device, state_en(s), exp, dl);
	}
	l->n++;
	return 0;
}

int ska_profile(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_json j;
	int rc;

	snprintf(a->what, sizeof(a->what), "profile %s", verb);
	if (!strcmp(verb, "send") || !strcmp(verb, "resend"))
		return profile_send(a, argc - 1, argv + 1, verb[0] == 'r');
	if (!strcmp(verb, "list")) {
		struct prof_list l = { .a = a };
		bool all = false;
		int i;

		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--all"))
				all = true;
			else
				return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
		ska_list_begin(a, &j, &l.j);
		/* one row per user and device (the latest link) unless --all */
		rc = sk_profile_list(a->st, profile_collect, &l);
		for (i = 0; !rc && i < l.nall; i++)
			if (all || !superseded(&l, &l.all[i]))
				profile_each(&l.all[i], &l);
		free(l.all);
		return ska_list_end(a, l.j, l.n, rc, "profiles");
	}
	return ska_usage(a, "unknown verb '%s' (send, resend, list)", verb);
}

/* ----------------------------------------------------------------- ustar */

struct tarbuf { uint8_t *p; size_t len, cap; };

static int tar_put(struct tarbuf *t, const void *data, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 16384);
		uint8_t *np;

		while (cap < t->len + n)
			cap *= 2;
		np = realloc(t->p, cap);
		if (!np)
			return -ENOMEM;
		t->p = np;
		t->cap = cap;
	}
	if (data)
		memcpy(t->p + t->len, data, n);
	else
		memset(t->p + t->len, 0, n);
	t->len += n;
	return 0;
}

/* One regular file: a 512-byte ustar header, the data, zero padding. */
static int tar_file(struct tarbuf *t, const char *name, const void *data, size_t n,
		    int mode, int64_t mtime)
{
	char h[512];

	ska_tar_header(h, name, n, mode, mtime);
	if (tar_put(t, h, 512) || tar_put(t, data, n) ||
	    (n % 512 && tar_put(t, NULL, 512 - n % 512)))
		return -ENOMEM;
	return 0;
}

static const char readme_ja[] =
"セキュアリモートアクセス ユーザプロフィール\n"
"\n"
"1. client.p12 をお使いの VPN クライアント（Cisco AnyConnect / openconnect）に\n"
"   クライアント証明書として取り込みます。パスワードは settings.txt に記載しています。\n"
"2. settings.txt の接続先（server）に、ユーザ名とパスワードで接続します。\n"
"   openconnect の例: openconnect -c client.p12 SERVER\n"
"   端末の確認（ホストスキャン）が有効なゲートウェイでは、同梱の\n"
"   sekisho-hostscan.sh を指定してください:\n"
"   openconnect -c client.p12 --csd-wrapper ./sekisho-hostscan.sh SERVER\n"
"3. 初回接続でデバイスが登録されると、接続準備完了になります。\n"
"\n"
"このファイルは他の人に渡さないでください。紛失した場合は管理者に連絡してください。\n";

static const char readme_en[] =
"Secure remote access: your VPN profile\n"
"\n"
"1. Import client.p12 into your VPN client (Cisco AnyConnect or openconnect) as the\n"
"   client certificate. Its password is in settings.txt.\n"
"2. Connect to the server named in settings.txt with your user name and password.\n"
"   With openconnect: openconnect -c client.p12 SERVER\n"
"   When the gateway checks devices (host scan), give it the included wrapper:\n"
"   openconnect -c client.p12 --csd-wrapper ./sekisho-hostscan.sh SERVER\n"
"3. Your first connection registers the device; the profile is then ready.\n"
"\n"
"Do not pass these files on. If you lose them, tell your administrator.\n";

/*
 * A file of packaging/ for the package: a host scan wrapper
 * (sekisho-hostscan.sh) or its posture agents (agents/linux.sh,
 * agents/macos.sh, which the wrapper runs from agents/ next to itself): the installed copy, else the
 * one of the source tree the program runs from (build/sekishod ->
 * ../packaging), so tests need no install.  NULL data when neither is
 * there: the package then goes without it.
 */
static void packaging_file(const char *name, uint8_t **data, size_t *len)
{
	char exe[512], path[700], *slash;
	ssize_t n;

	*data = NULL;
	*len = 0;
	/* make install puts them in PREFIX/libexec/sekisho (PREFIX /usr or /usr/local) */
	snprintf(path, sizeof(path), "/usr/libexec/sekisho/%s", name);
	if (!read_file(path, data, len, 65536))
		return;
	snprintf(path, sizeof(path), "/usr/local/libexec/sekisho/%s", name);
	if (!read_file(path, data, len, 65536))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = 0;
	snprintf(path, sizeof(path), "%s/../packaging/%s", exe, name);
	if (read_file(path, data, len, 65536)) {
		*data = NULL;
		*len = 0;
	}
}

/*
 * The host scan wrappers and the posture agents they run from agents/
 * next to themselves (issue 12, posture.md), those that packaging_file
 * finds: the shell wrapper for Linux and macOS, and for Windows the .bat
 * that starts the PowerShell wrapper (no execute bit there).  Without the
 * shell wrapper (no packaging/ found) the package carries none of them.
 */
static int tar_packaging(struct tarbuf *tb, int64_t now)
{
	static const struct { const char *name; int mode; } files[] = {
		{ "sekisho-hostscan.sh", 0755 }, { "agents/linux.sh", 0755 },
		{ "agents/macos.sh", 0755 }, { "sekisho-hostscan.bat", 0644 },
		{ "sekisho-hostscan.ps1", 0644 }, { "agents/windows.ps1", 0644 },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !rc; i++) {
		uint8_t *data;
		size_t len;

		packaging_file(files[i].name, &data, &len);
		if (!data && i == 0)
			return 0;
		if (data)
			rc = tar_file(tb, files[i].name, data, len, files[i].mode, now);
		free(data);
	}
	return rc;
}

struct fetch_tx { struct sk_profile p; };

static int fetch_apply(struct sk_store *st, void *arg)
{
	struct fetch_tx *t = arg;
	struct sk_audit r = { 0 };
	int rc;

	rc = sk_profile_update(st, &t->p);
	if (rc)
		return rc;
	r.time = time(NULL);
	snprintf(r.type, sizeof(r.type), "profile-download");
	snprintf(r.actor, sizeof(r.actor), "%s", t->p.user);
	snprintf(r.user, sizeof(r.user), "%s", t->p.user);
	snprintf(r.device, sizeof(r.device), "%s", t->p.device);
	snprintf(r.result, sizeof(r.result), "ok");
	snprintf(r.detail, sizeof(r.detail), "{\"profile\":%lld,\"downloads\":%d}",
		 (long long)t->p.id, t->p.downloads);
	return sk_audit_add(st, &r);
}

int sk_admin_profile_fetch(struct sk_store *st, const char *token, int64_t now,
			   uint8_t **body, size_t *len, char *filename, size_t fnlen,
			   char *msg, size_t msglen)
{
	struct fetch_tx t;
	struct sk_group g;
	struct sk_user u;
	struct tarbuf tb = { 0 };
	char path[SK_URL_MAX + 64], base[SK_URL_MAX], settings[2048];
	uint8_t hash[32], *p12 = NULL, *pass = NULL;
	size_t p12len = 0, passlen = 0;
	bool last;
	int rc;

	*body = NULL;
	*len = 0;
	if (msglen)
		*msg = '\0';
	if (!token || strlen(token) < 20 || strlen(token) > 64) {
		snprintf(msg, msglen, "このリンクは無効です。 / This link is not valid.");
		return 404;
	}
	token_hash(token, hash);
	rc = sk_profile_find(st, hash, &t.p);
	sk_wipe(hash, sizeof(hash));
	if (rc) {
		snprintf(msg, msglen, "このリンクは無効です。 / This link is not valid.");
		return rc == -ENOENT ? 404 : 500;
	}
	if (t.p.state == SK_PROFILE_EXPIRED || (t.p.expires && t.p.expires <= now) ||
	    (t.p.max_downloads && t.p.downloads >= t.p.max_downloads)) {
		if (t.p.state == SK_PROFILE_MAIL_PENDING || t.p.state == SK_PROFILE_WAIT_DOWNLOAD) {
			t.p.state = SK_PROFILE_EXPIRED;
			sk_profile_update(st, &t.p);
		}
		snprintf(msg, msglen,
			 "URLの有効期限が切れたか、ダウンロード回数の上限に達しました。管理者に再送信を依頼してください。"
			 " / This link has expired or has been used up. Ask your administrator to send it again.");
		return 410;
	}
	/* the link is the user's and the device's: not after either went
	 * (deletion expires the link too; this holds for older stores) */
	{
		struct sk_device d;

		if (sk_user_get(st, t.p.user, &u) || sk_device_get(st, t.p.device, &d) ||
		    strcmp(d.user, t.p.user)) {
			sk_wipe(&u, sizeof(u));
			t.p.state = SK_PROFILE_EXPIRED;
			sk_profile_update(st, &t.p);
			snprintf(msg, msglen,
				 "このリンクは無効になりました。管理者に連絡してください。"
				 " / This link is no longer valid. Tell your administrator.");
			return 410;
		}
		sk_wipe(&u, sizeof(u));
	}
	pkg_path(st, t.p.id, "p12", path, sizeof(path));
	rc = read_file(path, &p12, &p12len, P12_MAX);
	if (!rc) {
		pkg_path(st, t.p.id, "pass", path, sizeof(path));
		rc = read_file(path, &pass, &passlen, 256);
	}
	if (rc) {
		free(p12);
		free(pass);
		snprintf(msg, msglen, "プロフィールを用意できません。管理者に連絡してください。"
			 " / The profile is not available. Tell your administrator.");
		return rc == -ENOENT ? 410 : 500;
	}
	if (sk_setting_get(st, "profile.base_url", base, sizeof(base)))
		base[0] = '\0';
	if (sk_user_get(st, t.p.user, &u))
		memset(&u, 0, sizeof(u));
	if (!u.group[0] || sk_group_get(st, u.group, &g))
		memset(&g, 0, sizeof(g));
	sk_wipe(u.pw_hash, sizeof(u.pw_hash));
	sk_wipe(u.totp_secret, sizeof(u.totp_secret));
	snprintf(settings, sizeof(settings),
		 "# sekisho VPN profile\n"
		 "server = %s\n"
		 "user = %s\n"
		 "group = %s\n"
		 "device = %s\n"
		 "certificate = client.p12\n"
		 "certificate_password = %.*s\n"
		 "# device check (host scan): openconnect --csd-wrapper ./sekisho-hostscan.sh\n"
		 "csd_wrapper = sekisho-hostscan.sh\n",
		 base, t.p.user, g.label[0] ? g.label : u.group, t.p.device,
		 (int)passlen, (const char *)pass);
	rc = tar_file(&tb, "client.p12", p12, p12len, 0600, now);
	if (!rc)
		rc = tar_file(&tb, "settings.txt", settings, strlen(settings), 0600, now);
	if (!rc)
		rc = tar_file(&tb, "README-ja.txt", readme_ja, sizeof(readme_ja) - 1, 0644, now);
	if (!rc)
		rc = tar_file(&tb, "README-en.txt", readme_en, sizeof(readme_en) - 1, 0644, now);
	if (!rc)
		rc = tar_packaging(&tb, now);
	if (!rc)
		rc = tar_put(&tb, NULL, 1024);	/* end of archive: two zero blocks */
	sk_wipe(settings, sizeof(settings));
	OPENSSL_cleanse(p12, p12len);
	OPENSSL_cleanse(pass, passlen);
	free(p12);
	free(pass);
	if (rc) {
		if (tb.p)
			OPENSSL_cleanse(tb.p, tb.cap);
		free(tb.p);
		snprintf(msg, msglen, "internal error / 内部エラー");
		return 500;
	}
	t.p.downloads++;
	if (t.p.state != SK_PROFILE_READY)
		t.p.state = SK_PROFILE_WAIT_REGISTER;
	last = t.p.max_downloads && t.p.downloads >= t.p.max_downloads;
	rc = sk_store_tx(st, fetch_apply, &t);
	if (rc) {
		OPENSSL_cleanse(tb.p, tb.cap);
		free(tb.p);
		snprintf(msg, msglen, "internal error / 内部エラー");
		return 500;
	}
	if (last) {
		/* used up: the private key leaves the gateway for good */
		pkg_path(st, t.p.id, "p12", path, sizeof(path));
		unlink(path);
		pkg_path(st, t.p.id, "pass", path, sizeof(path));
		unlink(path);
	}
	snprintf(filename, fnlen, "sekisho-%s-%s.tar", t.p.user, t.p.device);
	*body = tb.p;
	*len = tb.len;
	return 200;
}
