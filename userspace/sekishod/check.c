// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod -t: what the start will need, checked without starting (the
 * syntax of the bootstrap file is already checked when this runs):
 * the service user and the admin group, the files the start reads
 * (server certificate and key, client CA, CRL, SMTP password), the key
 * matching the certificate and its dates, the files the daemon reads
 * again as its user after the start (SIGHUP: CRL, certificate and key),
 * and the store: it exists, opens (not newer than this sekisho) and
 * its paths lie below the state directory.
 *
 * One line per check, "ok", "warning" or "error", in English and
 * Japanese, each failure with what to do.  Exit status 0 without errors,
 * 1 with any (sekishod.service runs it as ExecStartPre=).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "skbackup.h"
#include "skdiag.h"
#include "skstore.h"

#define CHK_EXPIRY_WARN_DAYS	30

struct chk {
	FILE *out;
	int errors, warnings;
};

enum { CHK_OK, CHK_WARN, CHK_ERR };

/* One check: en and ja take the same arguments, in the same order */
__attribute__((format(printf, 3, 5), format(printf, 4, 5)))
static void say(struct chk *c, int level, const char *en, const char *ja, ...)
{
	static const char *const tag[] = { "ok", "warning", "error" };
	va_list ap, aq;

	va_start(ap, ja);
	va_copy(aq, ap);
	fprintf(c->out, "%-8s", tag[level]);
	vfprintf(c->out, en, ap);
	fprintf(c->out, "\n%-8s", "");
	vfprintf(c->out, ja, aq);
	fputc('\n', c->out);
	va_end(aq);
	va_end(ap);
	c->errors += level == CHK_ERR;
	c->warnings += level == CHK_WARN;
}

static void ssl_why(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "no PEM data");
	ERR_clear_error();
}

/* a key with a passphrase: sekishod cannot ask for one */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static bool readable(struct chk *c, const char *key, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	say(c, CHK_ERR, "%s %s: %s: the start reads it (as root); fix the path in the "
	    "bootstrap file or the file", "%s %s: %s: 起動時に (root で) 読みます。ブートストラップ"
	    "設定のパスかファイルを直してください", key, path, strerror(errno));
	return false;
}

static void check_pair(struct chk *c, const struct skd_conf *conf)
{
	char why[256];
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	FILE *f;
	int days = 0, secs = 0;

	if ((f = fopen(conf->server_cert, "re"))) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!x) {
		ssl_why(why, sizeof(why));
		say(c, CHK_ERR, "server_cert %s: not a PEM certificate (%s)",
		    "server_cert %s: PEM 形式の証明書ではありません (%s)", conf->server_cert, why);
		return;
	}
	if ((f = fopen(conf->server_key, "re"))) {
		k = PEM_read_PrivateKey(f, NULL, no_pass, NULL);
		fclose(f);
	}
	if (!k) {
		ssl_why(why, sizeof(why));
		say(c, CHK_ERR, "server_key %s: not an unencrypted PEM private key (%s); sekishod "
		    "cannot ask for a passphrase", "server_key %s: 暗号化されていない PEM 秘密鍵では"
		    "ありません (%s)。sekishod はパスフレーズを入力できません", conf->server_key, why);
	} else if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		say(c, CHK_ERR, "server_key %s does not match the certificate %s: give the key the "
		    "certificate was issued for", "server_key %s は証明書 %s と対になっていません。"
		    "証明書を発行した鍵を指定してください", conf->server_key, conf->server_cert);
	} else {
		say(c, CHK_OK, "server_key %s matches the certificate %s",
		    "server_key %s は証明書 %s と対になっています", conf->server_key, conf->server_cert);
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		say(c, CHK_ERR, "server_cert %s is not valid yet (check the clock and the certificate)",
		    "server_cert %s はまだ有効期間前です（時刻と証明書を確認してください）",
		    conf->server_cert);
	else if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) || days < 0 || secs < 0)
		say(c, CHK_ERR, "server_cert %s has expired: renew it, then sekishod reloads it on "
		    "SIGHUP", "server_cert %s の有効期限が切れています。更新してください（SIGHUP で"
		    "読み直します）", conf->server_cert);
	else
		say(c, days < CHK_EXPIRY_WARN_DAYS ? CHK_WARN : CHK_OK,
		    "server_cert %s is valid for %d more days", "server_cert %s の残り有効期間は %d 日です",
		    conf->server_cert, days);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* the metrics listener's token file and, with TLS, its own pair (metrics.c
 * loads them the same way at start) */
static void check_metrics(struct chk *c, const struct skd_conf *conf)
{
	char why[512];
	int64_t end = 0;

	if (!readable(c, "metrics_token_file", conf->metrics_token_file) || !conf->metrics_cert[0])
		return;
	if (!readable(c, "metrics_cert", conf->metrics_cert) ||
	    !readable(c, "metrics_key", conf->metrics_key))
		return;
	if (skd_metrics_tls_check(conf, &end, why, sizeof(why)))
		say(c, CHK_ERR, "metrics TLS: %s", "メトリクスの TLS を設定できません: %s", why);
	else if (end && end < (int64_t)time(NULL))
		say(c, CHK_ERR, "metrics_cert %s has expired: renew it, then sekishod reloads it on "
		    "SIGHUP", "metrics_cert %s の有効期限が切れています。更新してください（SIGHUP で"
		    "読み直します）",
		    conf->metrics_cert);
	else
		say(c, CHK_OK, "metrics_key %s matches metrics_cert %s (TLS on the metrics listener)",
		    "metrics_key %s は metrics_cert %s と対になっています（メトリクスの TLS）",
		    conf->metrics_key, conf->metrics_cert);
}

/*
 * What the daemon reads again after it dropped to the service user: the
 * CRL (SIGHUP), the certificate and key (SIGHUP reload), the metrics
 * listener's certificate, key and token (SIGHUP).  A child takes the user's
 * identity and tries each; its exit status has one bit per file it could
 * not open.
 */
static void check_as_user(struct chk *c, const struct skd_conf *conf, uid_t uid, gid_t gid)
{
	const char *const files[] = { conf->crl, conf->server_cert, conf->server_key,
				      conf->metrics_cert, conf->metrics_key,
				      conf->metrics_listen_len ? conf->metrics_token_file : "" };
	struct group *gr = getgrgid(gid);
	char group[64];
	int st = 0;
	pid_t pid;

	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : conf->user);

	if (geteuid() != 0) {
		say(c, CHK_WARN, "not run as root: the files were read as uid %u, not as root and "
		    "as user %s the way sekishod reads them", "root 以外で実行しました。ファイルは"
		    "uid %u で読みました（sekishod は root とユーザ %s で読みます）",
		    (unsigned int)geteuid(), conf->user);
		return;
	}
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int bad = 0;

		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		for (int i = 0; i < 6; i++) {
			int fd = files[i][0] ? open(files[i], O_RDONLY | O_CLOEXEC) : 0;

			if (fd < 0)
				bad |= 1 << i;
			else if (fd > 0)
				close(fd);
		}
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 255)
		return;
	st = WEXITSTATUS(st);
	if (st & 1)
		say(c, CHK_WARN, "crl %s: user %s cannot read it, so SIGHUP cannot reload it (make it "
		    "readable: chgrp %s, chmod g+r)", "crl %s: ユーザ %s が読めないため SIGHUP で再読み込み"
		    "できません（chgrp %s、chmod g+r で読めるようにしてください）",
		    conf->crl, conf->user, group);
	if (st & 6)
		say(c, CHK_WARN, "%s: user %s cannot read it, so SIGHUP cannot reload the server "
		    "certificate (a restart can); to reload without a restart: chgrp %s and chmod "
		    "0640 the key, chmod 0644 the certificate", "%s: ユーザ %s が読めないため SIGHUP で"
		    "サーバ証明書を再読み込みできません（再起動ではできます）。鍵を chgrp %s・chmod 0640、"
		    "証明書を chmod 0644 にしてください", st & 4 ? conf->server_key : conf->server_cert,
		    conf->user, group);
	if (st & 24)
		say(c, CHK_WARN, "%s: user %s cannot read it, so SIGHUP cannot reload the metrics "
		    "certificate (a restart can); to reload without a restart: chgrp %s and chmod "
		    "0640 the key, chmod 0644 the certificate", "%s: ユーザ %s が読めないため SIGHUP で"
		    "メトリクスの証明書を再読み込みできません（再起動ではできます）。鍵を chgrp %s・"
		    "chmod 0640、証明書を chmod 0644 にしてください",
		    st & 16 ? conf->metrics_key : conf->metrics_cert, conf->user, group);
	if (st & 32)
		say(c, CHK_WARN, "metrics_token_file %s: user %s cannot read it, so SIGHUP cannot "
		    "reload the metrics token (a restart can); to reload without a restart: chgrp %s "
		    "and chmod 0640 it", "metrics_token_file %s: ユーザ %s が読めないため SIGHUP で"
		    "メトリクスのトークンを再読み込みできません（再起動ではできます）。chgrp %s・"
		    "chmod 0640 にしてください", conf->metrics_token_file, conf->user, group);
	if (!(st & 63))
		/* each language takes its own of the last two arguments */
		say(c, CHK_OK, "user %s can read what SIGHUP reloads (CRL, certificate, key%s%.0s%s%.0s)",
		    "ユーザ %s は SIGHUP で読み直すファイル (CRL、証明書、鍵%.0s%s%.0s%s) を読めます",
		    conf->user,
		    conf->metrics_cert[0] ? ", metrics certificate and key" : "",
		    conf->metrics_cert[0] ? "、メトリクスの証明書と鍵" : "",
		    conf->metrics_listen_len ? ", metrics token" : "",
		    conf->metrics_listen_len ? "、メトリクスのトークン" : "");
}

static void check_store(struct chk *c, const char *store)
{
	struct sk_store *st;
	char err[1024] = "", shown[512];
	int rc;

	sk_store_mask(store, shown, sizeof(shown));
	rc = sk_store_open_existing(store, &st, err, sizeof(err));
	if (rc == -ENOENT) {
		/* the message is in both languages already */
		fprintf(c->out, "%-8s%s\n", "error", err);
		c->errors++;
		return;
	}
	if (rc) {
		say(c, CHK_ERR, "store %s does not open: %s", "ストア %s を開けません: %s", shown, err);
		return;
	}
	if (sk_store_check_paths(st, err, sizeof(err)))
		say(c, CHK_ERR, "store %s: %s", "ストア %s: %s", shown, err);
	else
		say(c, CHK_OK, "store %s opens (schema version %d)",
		    "ストア %s を開けます（スキーマ版 %d）", shown, sk_store_schema_version(st));
	sk_store_close(st);
}

static void recheck_say(void *arg, bool ok, const char *en, const char *ja)
{
	/* each language prints its own text, skipping the other */
	say(arg, ok ? CHK_OK : CHK_WARN, "%s%.0s", "%.0s%s", en, ja);
}

/* posture_recheck_port: each quarantining group's remediation allowlist
 * must let TCP to its pool's gateway address and the port through (the
 * kernel checks a peer's packets to the gateway too); sekictl diagnose
 * says the same (ska_recheck_rules) */
static void check_recheck(struct chk *c, const struct skd_conf *conf)
{
	struct sk_store *st;
	char err[1024];

	if (sk_store_open_existing(conf->store, &st, err, sizeof(err)))
		return;		/* check_store says why */
	ska_recheck_rules(st, (uint16_t)conf->posture_recheck_port, recheck_say, c);
	sk_store_close(st);
}

int skd_check(const struct skd_conf *conf, const char *path, FILE *out)
{
	struct chk c = { .out = out };
	struct passwd *pw;
	struct group *gr;
	bool files = true;

	say(&c, CHK_OK, "configuration %s: syntax", "設定 %s: 書式", path);
	pw = getpwnam(conf->user);
	if (!pw)
		say(&c, CHK_ERR, "user %s does not exist: create it (useradd --system %s; the "
		    "package's sysusers snippet does)", "ユーザ %s が存在しません。作成してください"
		    "（useradd --system %s。パッケージの sysusers が作成します）", conf->user, conf->user);
	else
		say(&c, CHK_OK, "user %s exists", "ユーザ %s が存在します", conf->user);
	gr = getgrnam(conf->admin_group);
	if (!gr)
		say(&c, CHK_ERR, "group %s does not exist: create it (groupadd --system %s)",
		    "グループ %s が存在しません。作成してください（groupadd --system %s）",
		    conf->admin_group, conf->admin_group);
	else
		say(&c, CHK_OK, "group %s exists", "グループ %s が存在します", conf->admin_group);
	files &= readable(&c, "server_cert", conf->server_cert);
	files &= readable(&c, "server_key", conf->server_key);
	if (conf->client_ca[0])
		readable(&c, "client_ca", conf->client_ca);
	if (conf->crl[0])
		readable(&c, "crl", conf->crl);
	if (conf->smtp_password_file[0])
		readable(&c, "smtp_password_file", conf->smtp_password_file);
	if (files)
		check_pair(&c, conf);
	if (conf->metrics_listen_len)
		check_metrics(&c, conf);
	if (pw)
		check_as_user(&c, conf, pw->pw_uid, pw->pw_gid);
	check_store(&c, conf->store);
	if (conf->posture_recheck_port)
		check_recheck(&c, conf);
	fprintf(out, "sekishod: %s: %d error(s), %d warning(s)%s\n"
		"sekishod: %s: エラー %d 件、警告 %d 件%s\n", path, c.errors, c.warnings,
		c.errors ? ": sekishod would not start" : "", path, c.errors, c.warnings,
		c.errors ? "。このままでは起動しません" : "");
	return c.errors ? 1 : 0;
}
