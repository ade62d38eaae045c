// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl init, backup and restore (skbackup.h).  Only init creates a
 * store (sk_store_open); every other command opens it with
 * sk_store_open_existing.
 *
 * A backup is a ustar archive (decisions/backup-format.md):
 *   sekisho-backup/MANIFEST        format, release, schema version, time
 *   sekisho-backup/store.db        the store, as one SQLite snapshot
 *                                  (sk_store_copy: one read transaction,
 *                                  so a running daemon may keep writing)
 *   sekisho-backup/ca/NAME         the files of ca.dir
 *   sekisho-backup/sekishod.conf   the bootstrap file, when it exists
 * written with mode 0600, and optionally encrypted as a whole: a 40-byte
 * header (magic, scrypt parameters, salt, nonce), the AES-256-GCM
 * ciphertext of the archive, its 16-byte tag.  The header is the GCM
 * additional data, so a changed parameter fails like a changed byte.
 *
 * The reader takes only what the writer writes: regular files with the
 * names above, in bounded sizes, each name once; anything else refuses
 * the whole archive before a byte is restored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "admin_int.h"
#include "skbackup.h"
#include "skcopy.h"
#include "sktext.h"

#define BK_TOP		"sekisho-backup/"
#define BK_FORMAT	1
#define BK_MAGIC	"SKBKENC1"
#define BK_HDR		40		/* magic 8, kdf 1, log2 N 1, r 1, p 1, salt 16, nonce 12 */
#define BK_TAG		16
#define BK_KDF_SCRYPT	1
#define BK_LOG2N	17		/* scrypt N = 2^17, r = 8, p = 1: 128 MiB, about 0.5 s */
#define BK_R		8
#define BK_P		1
#define BK_MAXMEM	(300ULL << 20)	/* restore: scrypt parameters above this are refused */
#define BK_PASS_MIN	12
#define BK_PASS_MAX	1024
#define BK_CA_MAX	64		/* files in ca.dir */
#define BK_CA_SIZE	(1 << 20)
#define BK_CONF_SIZE	(64 << 10)
#define BK_MANIFEST_SIZE 4096
#define BK_NAME_MAX	64

/*
 * One audit record "admin" in store for a backup or restore (who ran
 * it, from the caller's uid; after: what it did, a JSON text).  The path
 * of the archive goes through the JSON escaping like every value.
 */
static void bk_audit(const char *store, const char *what, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void bk_audit(const char *store, const char *what, const char *file, const char *fmt, ...)
{
	struct sk_admin_caller who = { .uid = getuid(), .pid = getpid() };
	struct sk_admin_io io = { .out = stdout, .err = stderr };
	struct passwd *pw = getpwuid(who.uid);
	struct ska a = { .who = &who, .io = &io };
	char err[1024], *after = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	snprintf(who.name, sizeof(who.name), "uid=%u(%s)", (unsigned int)who.uid,
		 pw ? pw->pw_name : "?");
	snprintf(a.what, sizeof(a.what), "%s", what);
	if (sk_store_open_existing(store, &a.st, err, sizeof(err)))
		return;
	f = open_memstream(&after, &len);
	if (f) {
		fputc('{', f);
		if (file) {
			fputs("\"file\":", f);
			sk_json_escape(f, file);
			fputc(',', f);
		}
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputc('}', f);
		if (!fclose(f))
			ska_audit(&a, NULL, after, NULL, NULL);
	}
	free(after);
	sk_store_close(a.st);
}

int ska_init(const char *store, FILE *out, FILE *errf)
{
	struct sk_store *st;
	char err[1024] = "", shown[512];
	int rc;

	sk_store_mask(store, shown, sizeof(shown));
	rc = sk_store_open_existing(store, &st, err, sizeof(err));
	if (!rc) {
		fprintf(out, "%s exists already (schema version %d): nothing changed\n"
			"%s は既に存在します（スキーマ版 %d）。何も変更していません\n",
			shown, sk_store_schema_version(st), shown, sk_store_schema_version(st));
		sk_store_close(st);
		return 0;
	}
	if (rc == -ENOENT) {	/* the one command that creates a store */
		*err = 0;
		rc = sk_store_open(store, &st, err, sizeof(err));
	}
	if (rc) {
		fprintf(errf, "sekictl: init: %s: %s\n", shown, *err ? err : "cannot open");
		return 1;
	}
	fprintf(out, "created the store %s (schema version %d, empty)\n"
		"ストア %s を作成しました（スキーマ版 %d、空）\n",
		shown, sk_store_schema_version(st), shown, sk_store_schema_version(st));
	/* no audit record: an empty store stays empty, so that a restore
	 * into it needs no --force */
	sk_store_close(st);
	return 0;
}

/* ------------------------------------------------------------- ustar */

void ska_tar_header(char h[512], const char *name, uint64_t size, int mode, int64_t mtime)
{
	unsigned int sum = 0;
	int i;

	memset(h, 0, 512);
	snprintf(h, 100, "%s", name);
	snprintf(h + 100, 8, "%07o", mode);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(h + 136, 12, "%011llo", (unsigned long long)mtime);
	memset(h + 148, ' ', 8);		/* checksum counts itself as blanks */
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);		/* "ustar\0" */
	memcpy(h + 263, "00", 2);
	snprintf(h + 265, 32, "sekisho");
	snprintf(h + 297, 32, "sekisho");
	for (i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);	/* six digits, NUL, blank */
	h[155] = ' ';
}

struct bk {
	const struct ska_backup_opt *o;
	const char *verb;		/* "backup", "restore": prefix of every message */
	char work[256];			/* private directory (0700) */
	char shown[512];		/* the store, masked */
	char err[1024];
	int64_t rows;
	int tables, ca_files;
	unsigned char key[32];
};

static int bk_fail(struct bk *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bk_fail(struct bk *b, const char *fmt, ...)
{
	va_list ap;

	fprintf(b->o->err, "sekictl: %s: ", b->verb);
	va_start(ap, fmt);
	vfprintf(b->o->err, fmt, ap);
	va_end(ap);
	fputc('\n', b->o->err);
	return 1;
}

/* Copies n bytes from in to out (n = -1: to the end) */
static int copy_bytes(FILE *in, FILE *out, int64_t n)
{
	char buf[65536];

	while (n) {
		size_t want = n < 0 || n > (int64_t)sizeof(buf) ? sizeof(buf) : (size_t)n;
		size_t got = fread(buf, 1, want, in);

		if (!got)
			return n < 0 && !ferror(in) ? 0 : -EIO;
		if (fwrite(buf, 1, got, out) != got)
			return -EIO;
		if (n > 0)
			n -= (int64_t)got;
	}
	return 0;
}

/* One file of the archive from path (size known) */
static int tar_add(FILE *tar, const char *name, const char *path, int mode)
{
	char h[512], zero[512] = { 0 };
	struct stat sb;
	FILE *in;
	int rc;

	in = fopen(path, "re");
	if (!in)
		return -errno;
	if (fstat(fileno(in), &sb) || !S_ISREG(sb.st_mode)) {
		fclose(in);
		return -EINVAL;
	}
	ska_tar_header(h, name, (uint64_t)sb.st_size, mode, (int64_t)sb.st_mtime);
	rc = fwrite(h, 1, 512, tar) == 512 ? copy_bytes(in, tar, sb.st_size) : -EIO;
	fclose(in);
	if (!rc && sb.st_size % 512 &&
	    fwrite(zero, 1, 512 - sb.st_size % 512, tar) != (size_t)(512 - sb.st_size % 512))
		rc = -EIO;
	return rc;
}

/* ------------------------------------------------------- work directory */

static void work_clean(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX];

	if (!*dir || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			work_clean(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int work_make(struct bk *b)
{
	const char *t = getenv("TMPDIR");

	snprintf(b->work, sizeof(b->work), "%s/sekisho-backup.XXXXXX",
		 t && t[0] == '/' ? t : "/var/tmp");
	if (!mkdtemp(b->work)) {
		int e = errno;

		*b->work = 0;
		return bk_fail(b, "cannot make a private work directory below %s: %s (set TMPDIR "
			       "to a directory with room for a copy of the store)",
			       t && t[0] == '/' ? t : "/var/tmp", strerror(e));
	}
	return 0;
}

/* ------------------------------------------------------- the passphrase */

static int kdf(unsigned char key[32], const char *pass, const unsigned char *hdr)
{
	uint64_t n = 1ULL << hdr[9];

	return EVP_PBE_scrypt(pass, strlen(pass), hdr + 12, 16, n, hdr[10], hdr[11],
			      BK_MAXMEM, key, 32) == 1 ? 0 : -EIO;
}

static int get_pass(struct bk *b, char *pass, size_t len, bool confirm)
{
	size_t n;

	if (!b->o->pass || b->o->pass(pass, len, confirm, b->o->pass_arg))
		return -1;
	n = strcspn(pass, "\r\n");
	pass[n] = 0;
	if (confirm && n < BK_PASS_MIN) {
		fprintf(b->o->err, "sekictl: backup: the passphrase has %zu characters, at least %d "
			"are needed; nothing was written\n"
			"  パスフレーズが短すぎます（%zu 文字、%d 文字以上必要）。何も書き込んでいません\n",
			n, BK_PASS_MIN, n, BK_PASS_MIN);
		return -1;
	}
	return 0;
}

/* in (the plain archive) -> out: header, ciphertext, tag */
static int encrypt_to(struct bk *b, FILE *in, FILE *out)
{
	unsigned char hdr[BK_HDR], buf[65536], cbuf[65536 + 32], tag[BK_TAG];
	char pass[BK_PASS_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int outl, rc = -EIO;
	size_t got;

	if (get_pass(b, pass, sizeof(pass), true))
		return -EINVAL;
	memcpy(hdr, BK_MAGIC, 8);
	hdr[8] = BK_KDF_SCRYPT;
	hdr[9] = BK_LOG2N;
	hdr[10] = BK_R;
	hdr[11] = BK_P;
	if (RAND_bytes(hdr + 12, 16 + 12) != 1 || kdf(b->key, pass, hdr))
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, b->key, hdr + 28) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &outl, hdr, BK_HDR) != 1 ||
	    fwrite(hdr, 1, BK_HDR, out) != BK_HDR)
		goto out;
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (EVP_EncryptUpdate(ctx, cbuf, &outl, buf, (int)got) != 1 ||
		    fwrite(cbuf, 1, (size_t)outl, out) != (size_t)outl)
			goto out;
	}
	if (ferror(in) || EVP_EncryptFinal_ex(ctx, cbuf, &outl) != 1 ||
	    fwrite(cbuf, 1, (size_t)outl, out) != (size_t)outl ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BK_TAG, tag) != 1 ||
	    fwrite(tag, 1, BK_TAG, out) != BK_TAG)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(b->key, sizeof(b->key));
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* in (positioned after the header hdr, size bytes in all) -> out (the
 * plain archive, in the work directory); -EBADMSG: wrong passphrase or a
 * changed byte (out then holds nothing the caller may use) */
static int decrypt_to(struct bk *b, const unsigned char *hdr, FILE *in, int64_t size, FILE *out)
{
	unsigned char buf[65536], pbuf[65536 + 32], tag[BK_TAG];
	char pass[BK_PASS_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int64_t left = size - BK_HDR - BK_TAG;
	int outl, rc = -EIO;

	if (hdr[8] != BK_KDF_SCRYPT || hdr[9] < 10 || hdr[9] > 22 || !hdr[10] || !hdr[11] ||
	    hdr[11] > 4 || 128ULL * hdr[10] * (1ULL << hdr[9]) > BK_MAXMEM)
		return bk_fail(b, "the encryption header names a key derivation this "
			       "sekisho does not use (kdf %u, log2 N %u, r %u, p %u); nothing was "
			       "restored\n  暗号化ヘッダの鍵導出パラメータが不正です。何も復元していません",
			       hdr[8], hdr[9], hdr[10], hdr[11]), -EINVAL;
	if (left < 0)
		return bk_fail(b, "the file is too short to be an encrypted backup; "
			       "nothing was restored\n  暗号化バックアップとしては短すぎます。"
			       "何も復元していません"), -EINVAL;
	if (get_pass(b, pass, sizeof(pass), false))
		return -EINVAL;
	if (kdf(b->key, pass, hdr))
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, b->key, hdr + 28) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &outl, hdr, BK_HDR) != 1)
		goto out;
	while (left > 0) {
		size_t want = left > (int64_t)sizeof(buf) ? sizeof(buf) : (size_t)left;

		if (fread(buf, 1, want, in) != want ||
		    EVP_DecryptUpdate(ctx, pbuf, &outl, buf, (int)want) != 1 ||
		    fwrite(pbuf, 1, (size_t)outl, out) != (size_t)outl)
			goto out;
		left -= (int64_t)want;
	}
	if (fread(tag, 1, BK_TAG, in) != BK_TAG ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BK_TAG, tag) != 1)
		goto out;
	rc = EVP_DecryptFinal_ex(ctx, pbuf, &outl) == 1 ? 0 : -EBADMSG;
	if (rc)
		bk_fail(b, "the passphrase is wrong or the file was changed (the "
			"AES-256-GCM tag does not match); nothing was restored\n"
			"  パスフレーズが違うか、ファイルが改変されています（AES-256-GCM の"
			"認証タグが一致しません）。何も復元していません");
out:
	if (rc == -EIO)
		bk_fail(b, "cannot decrypt: %s", ferror(in) || feof(in) ?
			"the file could not be read to its end" : "OpenSSL failed");
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(b->key, sizeof(b->key));
	OPENSSL_cleanse(pbuf, sizeof(pbuf));
	return rc;
}

/* ---------------------------------------------------------------- backup */

static void count_table(const struct sk_copy_table *t, void *arg)
{
	struct bk *b = arg;

	b->rows += t->rows;
	b->tables++;
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > BK_NAME_MAX || s[0] == '.')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* the files of ca.dir into the archive (regular files with plain names) */
static int tar_ca(struct bk *b, FILE *tar, const char *cadir)
{
	char name[128], path[PATH_MAX];
	struct dirent *e;
	struct stat sb;
	DIR *d = opendir(cadir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!rc && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", cadir, e->d_name);
		if (!plain_name(e->d_name) || lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		if (sb.st_size > BK_CA_SIZE || b->ca_files >= BK_CA_MAX) {
			fprintf(b->o->err, "sekictl: backup: %s left out (larger than %d bytes, or "
				"more than %d files in ca.dir)\n", path, BK_CA_SIZE, BK_CA_MAX);
			continue;
		}
		snprintf(name, sizeof(name), BK_TOP "ca/%s", e->d_name);
		rc = tar_add(tar, name, path, sb.st_mode & 0644);
		b->ca_files += !rc;
	}
	closedir(d);
	return rc;
}

static int write_manifest(struct bk *b, int schema, const char *cadir, bool conf)
{
	char path[PATH_MAX], when[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(path, sizeof(path), "%s/MANIFEST", b->work);
	f = fopen(path, "wxe");
	if (!f)
		return -errno;
	fprintf(f, "sekisho-backup %d\nrelease %s\ncreated %s\nschema %d\nstore %s\n"
		"ca.dir %s\nconfig %s\n", BK_FORMAT, b->o->release ? b->o->release : "unknown",
		when, schema, sk_store_is_url(b->o->store) ? "postgresql" : "sqlite", cadir,
		conf ? b->o->config : "none");
	return fclose(f) ? -EIO : 0;
}

/* the output: a new file next to FILE (0600), renamed to FILE at the end */
static FILE *out_open(struct bk *b, char *tmp, size_t len)
{
	int fd;

	snprintf(tmp, len, "%s.partXXXXXX", b->o->file);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		bk_fail(b, "%s: %s", tmp, strerror(errno));
		*tmp = 0;
		return NULL;
	}
	fchmod(fd, 0600);
	return fdopen(fd, "w");
}

int ska_backup(const struct ska_backup_opt *o)
{
	static struct bk b;
	char err[1024] = "", cadir[SK_URL_MAX] = "", path[PATH_MAX], snap[PATH_MAX], part[PATH_MAX] = "";
	char tarpath[PATH_MAX];
	const char *conf = o->config ? o->config : SKA_DEFAULT_CONFIG;
	struct sk_store *st = NULL;
	FILE *tar = NULL, *out = NULL, *in = NULL;
	struct stat sb;
	bool have_conf;
	int rc, schema = 0, ret = 1;
	char zero[1024] = { 0 };

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.verb = "backup";
	sk_store_mask(o->store, b.shown, sizeof(b.shown));
	if (!lstat(o->file, &sb))
		return bk_fail(&b, "%s exists already: give a new file name (a backup never "
			       "overwrites one)\n  %s は既に存在します。新しいファイル名を指定して"
			       "ください（上書きしません）", o->file, o->file);
	/* ca.dir as the live store resolves it (the snapshot lies elsewhere) */
	if ((rc = sk_store_open_existing(o->store, &st, err, sizeof(err))))
		return rc == -ENOENT ? bk_fail(&b, "%s", err) : bk_fail(&b, "%s: %s", b.shown, err);
	ska_ca_dir(st, cadir, sizeof(cadir));
	sk_store_close(st);
	st = NULL;
	if (work_make(&b))
		return 1;
	/* one snapshot of the store */
	snprintf(snap, sizeof(snap), "%s/store.db", b.work);
	rc = sk_store_copy(o->store, snap, 0, count_table, &b, err, sizeof(err));
	if (rc) {
		bk_fail(&b, "snapshot of %s: %s", b.shown, err);
		goto out;
	}
	if ((rc = sk_store_open(snap, &st, err, sizeof(err)))) {
		bk_fail(&b, "the snapshot: %s", err);
		goto out;
	}
	schema = sk_store_schema_version(st);
	sk_store_close(st);
	have_conf = !stat(conf, &sb) && S_ISREG(sb.st_mode);
	if (have_conf && sb.st_size > BK_CONF_SIZE) {
		bk_fail(&b, "%s is larger than %d bytes: not a sekishod.conf", conf, BK_CONF_SIZE);
		goto out;
	}
	if ((rc = write_manifest(&b, schema, cadir, have_conf))) {
		bk_fail(&b, "the manifest: %s", strerror(-rc));
		goto out;
	}
	/* the archive: in the work directory when it is encrypted afterwards */
	if (o->encrypt) {
		snprintf(tarpath, sizeof(tarpath), "%s/archive.tar", b.work);
		tar = fopen(tarpath, "w+xe");
	} else {
		tar = out = out_open(&b, part, sizeof(part));
	}
	if (!tar) {
		if (o->encrypt)
			bk_fail(&b, "%s: %s", tarpath, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/MANIFEST", b.work);
	rc = tar_add(tar, BK_TOP "MANIFEST", path, 0600);
	if (!rc)
		rc = tar_add(tar, BK_TOP "store.db", snap, 0600);
	if (!rc)
		rc = tar_ca(&b, tar, cadir);
	if (!rc && have_conf)
		rc = tar_add(tar, BK_TOP "sekishod.conf", conf, sb.st_mode & 0644);
	if (!rc && fwrite(zero, 1, sizeof(zero), tar) != sizeof(zero))
		rc = -EIO;
	if (!rc && fflush(tar))
		rc = -EIO;
	if (rc) {
		bk_fail(&b, "writing the archive: %s", strerror(-rc));
		goto out;
	}
	if (o->encrypt) {
		rewind(tar);
		in = tar;
		tar = NULL;
		out = out_open(&b, part, sizeof(part));
		if (!out)
			goto out;
		if ((rc = encrypt_to(&b, in, out))) {
			if (rc != -EINVAL)
				bk_fail(&b, "encrypting: %s", strerror(-rc));
			goto out;
		}
	}
	if (fflush(out) || fsync(fileno(out))) {
		bk_fail(&b, "%s: %s", part, strerror(errno));
		goto out;
	}
	/* FILE appears whole or not at all, and never replaces a file */
	if (renameat2(AT_FDCWD, part, AT_FDCWD, o->file, RENAME_NOREPLACE)) {
		bk_fail(&b, "%s: %s", o->file, strerror(errno));
		goto out;
	}
	*part = 0;
	fprintf(o->out, "backup %s: the store %s (schema version %d, %d tables, %lld rows, one "
		"snapshot), %d files of ca.dir %s, %s; mode 0600%s\n"
		"バックアップ %s を作成しました: ストア %s（スキーマ版 %d、%d 表、%lld 行、"
		"一つのスナップショット）、ca.dir %s のファイル %d 個、%s。モード 0600%s\n",
		o->file, b.shown, schema, b.tables, (long long)b.rows, b.ca_files, cadir,
		have_conf ? conf : "no bootstrap file (none found)",
		o->encrypt ? ", encrypted (scrypt, AES-256-GCM)" : ", not encrypted",
		o->file, b.shown, schema, b.tables, (long long)b.rows, cadir, b.ca_files,
		have_conf ? conf : "ブートストラップ設定なし（見つかりません）",
		o->encrypt ? "、暗号化済み（scrypt、AES-256-GCM）" : "、暗号化なし");
	bk_audit(o->store, "backup", o->file, "\"schema\":%d,\"tables\":%d,\"rows\":%lld,"
		 "\"ca_files\":%d,\"config\":%s,\"encrypted\":%s", schema, b.tables,
		 (long long)b.rows, b.ca_files, have_conf ? "true" : "false",
		 o->encrypt ? "true" : "false");
	ret = 0;
out:
	if (tar)
		fclose(tar);
	if (in)
		fclose(in);
	if (out && out != tar)
		fclose(out);
	if (*part)
		unlink(part);
	work_clean(b.work);
	return ret;
}

/* --------------------------------------------------------------- restore */

struct entry {
	char name[BK_NAME_MAX + 1];	/* below ca/, or the top-level name */
	bool ca;
	int mode;
	int64_t size;
};

struct archive {
	bool manifest, store, conf;
	int n_ca;
	struct entry ca[BK_CA_MAX];
	int conf_mode;
	int format, schema;
	char release[64];
};

static int octal(const char *f, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (INT64_MAX >> 3))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i])
			return -1;
	*out = v;
	return 0;
}

/* One header: 1 an entry (name, size, mode), 0 the end, -1 refused (why) */
static int tar_head(const unsigned char *h, struct entry *e, char *why, size_t len)
{
	unsigned int sum = 0;
	int64_t want, mode;
	char name[101];
	const char *rest;
	int i;

	for (i = 0; i < 512 && !h[i]; i++)
		;
	if (i == 512)
		return 0;
	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	if (octal((const char *)h + 148, 8, &want) || want != sum)
		return snprintf(why, len, "a header's checksum is wrong"), -1;
	if (memcmp(h + 257, "ustar", 5))
		return snprintf(why, len, "not a ustar archive"), -1;
	if (h[156] != '0' && h[156])
		return snprintf(why, len, "an entry is not a regular file (type '%c')",
				h[156] >= 0x21 && h[156] < 0x7f ? h[156] : '?'), -1;
	if (h[345])
		return snprintf(why, len, "an entry has a long name (ustar prefix)"), -1;
	memcpy(name, h, 100);
	name[100] = 0;
	if (octal((const char *)h + 124, 12, &e->size) || octal((const char *)h + 100, 8, &mode))
		return snprintf(why, len, "a header's size or mode is not a number"), -1;
	e->mode = (int)(mode & 0644);
	if (strncmp(name, BK_TOP, strlen(BK_TOP)))
		return snprintf(why, len, "an entry lies outside %s", BK_TOP), -1;
	rest = name + strlen(BK_TOP);
	e->ca = !strncmp(rest, "ca/", 3);
	if (e->ca)
		rest += 3;
	if (!plain_name(rest) ||
	    (!e->ca && strcmp(rest, "MANIFEST") && strcmp(rest, "store.db") &&
	     strcmp(rest, "sekishod.conf"))) {
		/* the name, but only its printable ASCII */
		for (i = 0; name[i]; i++)
			if (name[i] < 0x20 || name[i] > 0x7e)
				name[i] = '?';
		return snprintf(why, len, "an entry has a name a backup does not have: \"%.80s\"",
				name), -1;
	}
	snprintf(e->name, sizeof(e->name), "%s", rest);
	return 1;
}

static int parse_manifest(struct archive *a, const char *path, char *why, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f)
		return snprintf(why, len, "MANIFEST: %s", strerror(errno)), -1;
	a->format = a->schema = -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n++ == 0 && sscanf(line, "sekisho-backup %d", &a->format) != 1)
			break;
		if (!strncmp(line, "schema ", 7))
			a->schema = atoi(line + 7);
		else if (!strncmp(line, "release ", 8))
			snprintf(a->release, sizeof(a->release), "%.63s", line + 8);
	}
	fclose(f);
	for (n = 0; a->release[n]; n++)
		if (a->release[n] < 0x20 || a->release[n] > 0x7e)
			a->release[n] = '?';
	if (a->format < 1)
		return snprintf(why, len, "MANIFEST does not begin with \"sekisho-backup N\": not a "
				"sekisho backup"), -1;
	if (a->format > BK_FORMAT)
		return snprintf(why, len, "the backup's format %d is newer than this sekisho's (%d): "
				"restore it with release %s or later", a->format, BK_FORMAT,
				a->release), -1;
	return 0;
}

/* The archive at tar into the work directory: every check before any
 * byte is restored */
static int unpack(struct bk *b, FILE *tar, struct archive *a)
{
	unsigned char h[512];
	char why[256] = "", path[PATH_MAX];
	struct entry e;
	FILE *f;
	int rc, i;

	snprintf(path, sizeof(path), "%s/ca", b->work);
	if (mkdir(path, 0700))
		return bk_fail(b, "%s: %s", path, strerror(errno));
	for (;;) {
		int64_t max;
		bool dup;

		if (fread(h, 1, 512, tar) != 512) {
			snprintf(why, sizeof(why), "the archive ends before its end marker");
			break;
		}
		rc = tar_head(h, &e, why, sizeof(why));
		if (rc <= 0)
			break;
		dup = e.ca ? false : !strcmp(e.name, "MANIFEST") ? a->manifest :
		      !strcmp(e.name, "store.db") ? a->store : a->conf;
		for (i = 0; e.ca && i < a->n_ca; i++)
			dup |= !strcmp(a->ca[i].name, e.name);
		max = e.ca ? BK_CA_SIZE : !strcmp(e.name, "MANIFEST") ? BK_MANIFEST_SIZE :
		      !strcmp(e.name, "sekishod.conf") ? BK_CONF_SIZE : INT64_MAX;
		if (dup || e.size > max || (e.ca && a->n_ca >= BK_CA_MAX)) {
			snprintf(why, sizeof(why), "%s%s %s", e.ca ? "ca/" : "", e.name, dup ?
				 "appears twice" : "is too large, or ca/ has too many files");
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s%s", b->work, e.ca ? "ca/" : "", e.name);
		f = fopen(path, "wxe");
		if (!f || copy_bytes(tar, f, e.size) || fclose(f)) {
			snprintf(why, sizeof(why), "%s%s: the archive ends inside it, or the work "
				 "directory is full", e.ca ? "ca/" : "", e.name);
			rc = -1;
			break;
		}
		if (e.size % 512 && fseeko(tar, 512 - e.size % 512, SEEK_CUR)) {
			rc = -1;
			break;
		}
		if (e.ca)
			a->ca[a->n_ca++] = e;
		else if (!strcmp(e.name, "MANIFEST"))
			a->manifest = true;
		else if (!strcmp(e.name, "store.db"))
			a->store = true;
		else
			a->conf = true, a->conf_mode = e.mode;
	}
	if (!rc && (!a->manifest || !a->store)) {
		snprintf(why, sizeof(why), "the archive has no %s", a->manifest ? "store.db" : "MANIFEST");
		rc = -1;
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/MANIFEST", b->work);
		rc = parse_manifest(a, path, why, sizeof(why));
	}
	if (rc)
		return bk_fail(b, "%s: %s; nothing was restored\n"
			       "  %s はバックアップとして受け付けられません。何も復元していません",
			       b->o->file, *why ? why : "cannot read it", b->o->file);
	return 0;
}

/* 1 when path exists with other content than src (a file of the work
 * directory), 0 absent or the same; -errno */
static int differs(const char *path, const char *src)
{
	char x[65536], y[65536];
	FILE *a = fopen(path, "re"), *c;
	size_t n, m;
	int rc = 0;

	if (!a)
		return errno == ENOENT ? 0 : -errno;
	c = fopen(src, "re");
	if (!c) {
		fclose(a);
		return -errno;
	}
	do {
		n = fread(x, 1, sizeof(x), a);
		m = fread(y, 1, sizeof(y), c);
		if (n != m || memcmp(x, y, n))
			rc = 1;
	} while (!rc && n);
	fclose(a);
	fclose(c);
	return rc;
}

/* src (work directory) to path: a new file renamed over it, mode */
static int put_file(const char *src, const char *path, int mode)
{
	char tmp[PATH_MAX];
	FILE *in, *out;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.restoreXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fchmod(fd, (mode_t)mode);
	out = fdopen(fd, "w");
	in = fopen(src, "re");
	rc = out && in ? copy_bytes(in, out, -1) : -EIO;
	if (in)
		fclose(in);
	if (!rc && (fflush(out) || fsync(fd)))
		rc = -EIO;
	if (out ? fclose(out) : close(fd))
		rc = rc ? rc : -EIO;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int ska_restore(const struct ska_backup_opt *o)
{
	static struct bk b;
	static struct archive a;
	char err[1024] = "", tdir[PATH_MAX], sdir[PATH_MAX], cadir[SK_URL_MAX], path[PATH_MAX];
	char src[PATH_MAX], conflicts[1024] = "", snap[PATH_MAX];
	const char *conf = o->config ? o->config : SKA_DEFAULT_CONFIG;
	unsigned char hdr[BK_HDR];
	struct sk_store *st = NULL;
	FILE *in = NULL, *tar = NULL;
	struct stat sb;
	size_t sl;
	int rc, i, ret = 1, schema;

	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	b.o = o;
	b.verb = "restore";
	sk_store_mask(o->store, b.shown, sizeof(b.shown));
	in = fopen(o->file, "re");
	if (!in || fstat(fileno(in), &sb) || !S_ISREG(sb.st_mode)) {
		bk_fail(&b, "%s: %s", o->file, in ? "not a regular file" : strerror(errno));
		goto out;
	}
	if (work_make(&b))
		goto out;
	if (fread(hdr, 1, sizeof(hdr), in) == sizeof(hdr) && !memcmp(hdr, BK_MAGIC, 8)) {
		snprintf(path, sizeof(path), "%s/archive.tar", b.work);
		tar = fopen(path, "w+xe");
		if (!tar) {
			bk_fail(&b, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (decrypt_to(&b, hdr, in, sb.st_size, tar) || fflush(tar))
			goto out;
		rewind(tar);
		fclose(in);
		in = NULL;
	} else {
		rewind(in);
		tar = in;
		in = NULL;
	}
	if (unpack(&b, tar, &a))
		goto out;
	/* the snapshot opens here (a newer schema is refused, an older one
	 * brought up to this sekisho's) */
	snprintf(snap, sizeof(snap), "%s/store.db", b.work);
	if (sk_store_open(snap, &st, err, sizeof(err))) {
		bk_fail(&b, "the store in %s (release %s, schema version %d): %s\n"
			"  nothing was restored; restore it with the sekisho that wrote it\n"
			"  何も復元していません。書いた sekisho で復元してください",
			o->file, a.release, a.schema, err);
		goto out;
	}
	schema = sk_store_schema_version(st);
	/* ca.dir below the snapshot's directory moves to the target's */
	ska_ca_dir(st, cadir, sizeof(cadir));
	snprintf(sdir, sizeof(sdir), "%s", sk_store_dir(st));
	sk_store_close(st);
	st = NULL;
	/* the target's state directory, without opening it: a refused
	 * restore leaves nothing behind, not even an empty schema */
	if ((rc = sk_store_dir_of(o->store, tdir, sizeof(tdir)))) {
		bk_fail(&b, "%s: cannot tell its state directory: %s", b.shown, strerror(-rc));
		goto out;
	}
	sl = strlen(sdir);
	if (!strncmp(cadir, sdir, sl) && cadir[sl] == '/') {
		snprintf(path, sizeof(path), "%s", cadir + sl);
		if (snprintf(cadir, sizeof(cadir), "%s%s", tdir, path) >= (int)sizeof(cadir)) {
			bk_fail(&b, "ca.dir below %s: the path is too long", tdir);
			goto out;
		}
	}
	/* files that exist with other content: only with --force */
	for (i = 0; i < a.n_ca; i++) {
		snprintf(path, sizeof(path), "%s/%s", cadir, a.ca[i].name);
		snprintf(src, sizeof(src), "%s/ca/%s", b.work, a.ca[i].name);
		if (differs(path, src) > 0 && strlen(conflicts) < 800)
			snprintf(conflicts + strlen(conflicts), sizeof(conflicts) - strlen(conflicts),
				 " %.200s", path);
	}
	snprintf(src, sizeof(src), "%s/sekishod.conf", b.work);
	if (a.conf && differs(conf, src) > 0)
		snprintf(conflicts + strlen(conflicts), sizeof(conflicts) - strlen(conflicts),
			 " %.200s", conf);
	if (*conflicts && !o->force) {
		bk_fail(&b, "these files exist with other content:%s; refusing to replace "
			"them without --force; nothing was restored\n"
			"  次のファイルは内容の異なるものが既にあります:%s。--force なしでは置き換え"
			"ません。何も復元していません", conflicts, conflicts);
		goto out;
	}
	/* the store: one transaction, refused when it is not empty (no --force) */
	b.rows = b.tables = 0;
	rc = sk_store_copy(snap, o->store, o->force ? SK_COPY_FORCE : 0, count_table, &b, err,
			   sizeof(err));
	if (rc) {
		bk_fail(&b, "%s%s", err, rc == -ENOTEMPTY ? "" : "; nothing was restored");
		goto out;
	}
	if (a.n_ca && mkdir(cadir, 0700) && errno != EEXIST) {
		bk_fail(&b, "the store was restored, but ca.dir %s cannot be made: %s",
			cadir, strerror(errno));
		goto out;
	}
	for (i = 0; i < a.n_ca; i++) {
		snprintf(path, sizeof(path), "%s/%s", cadir, a.ca[i].name);
		snprintf(src, sizeof(src), "%s/ca/%s", b.work, a.ca[i].name);
		if ((rc = put_file(src, path, a.ca[i].mode))) {
			bk_fail(&b, "the store was restored, but %s could not be written: %s",
				path, strerror(-rc));
			goto out;
		}
	}
	snprintf(src, sizeof(src), "%s/sekishod.conf", b.work);
	if (a.conf && (rc = put_file(src, conf, a.conf_mode))) {
		bk_fail(&b, "the store and ca.dir were restored, but %s could not be "
			"written: %s", conf, strerror(-rc));
		goto out;
	}
	fprintf(o->out, "restored %s (release %s): the store %s (schema version %d, %d tables, "
		"%lld rows, verified%s), %d files into ca.dir %s, %s\n"
		"復元しました %s（リリース %s）: ストア %s（スキーマ版 %d、%d 表、%lld 行、検証済み%s）、"
		"ca.dir %s にファイル %d 個、%s\n"
		"restart sekishod to use it / sekishod を再起動してください\n",
		o->file, a.release, b.shown, schema, b.tables, (long long)b.rows,
		o->force ? "; its earlier content replaced" : "", a.n_ca, cadir,
		a.conf ? conf : "no bootstrap file in the backup",
		o->file, a.release, b.shown, schema, b.tables, (long long)b.rows,
		o->force ? "、以前の内容は置き換え" : "", cadir, a.n_ca,
		a.conf ? conf : "ブートストラップ設定はバックアップにありません");
	/* in the restored store: the record of its own restore */
	bk_audit(o->store, "restore", o->file, "\"schema\":%d,\"tables\":%d,\"rows\":%lld,"
		 "\"ca_files\":%d,\"config\":%s,\"force\":%s", schema, b.tables,
		 (long long)b.rows, a.n_ca, a.conf ? "true" : "false", o->force ? "true" : "false");
	ret = 0;
out:
	if (in)
		fclose(in);
	if (tar)
		fclose(tar);
	work_clean(b.work);
	return ret;
}
