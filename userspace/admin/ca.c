// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: the built-in CA (ca init, ca show) and the client certificates
 * it issues (cert issue, cert revoke, cert list).
 *
 * Keys are ECDSA P-256: every AnyConnect-capable client (openconnect with
 * GnuTLS or OpenSSL, Cisco's clients on Windows, macOS, iOS and Android)
 * takes them, and they are cheap to generate inside an admin command.
 * Files in ca.dir: ca.key (0600), ca.pem, crl.pem (rewritten from the
 * store on every revoke, atomically: write a temporary file, rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "admin_int.h"
#include "skauth.h"

#define CA_DEFAULT_DIR	"/var/lib/sekisho/ca"
#define CA_DAYS_DEFAULT	3650
#define CERT_DAYS_DEFAULT 365

int ska_ca_dir(struct sk_store *st, char *dir, size_t len)
{
	if (sk_setting_get(st, "ca.dir", dir, len) || !dir[0])
		snprintf(dir, len, "%s", CA_DEFAULT_DIR);
	return 0;
}

static void ca_path(struct sk_store *st, const char *file, char *buf, size_t len)
{
	char dir[SK_URL_MAX];

	ska_ca_dir(st, dir, sizeof(dir));
	snprintf(buf, len, "%s/%s", dir, file);
}

static void ssl_err(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown OpenSSL error");
	ERR_clear_error();
}

/* Writes data to path via path.tmp + rename, with the given mode. */
static int write_file_atomic(const char *path, int mode,
			     int (*writer)(FILE *f, void *arg), void *arg)
{
	char tmp[SK_URL_MAX + 16];
	FILE *f;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	rc = writer(f, arg);
	if (fflush(f) || fsync(fileno(f)))
		rc = rc ? rc : -errno;
	if (fclose(f))
		rc = rc ? rc : -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int w_key(FILE *f, void *arg)
{
	return PEM_write_PrivateKey(f, arg, NULL, NULL, 0, NULL, NULL) ? 0 : -EIO;
}

static int w_cert(FILE *f, void *arg)
{
	return PEM_write_X509(f, arg) ? 0 : -EIO;
}

static int w_crl(FILE *f, void *arg)
{
	return PEM_write_X509_CRL(f, arg) ? 0 : -EIO;
}

static int rand_serial(ASN1_INTEGER *ai, char *hex, size_t hexlen)
{
	unsigned char b[16];
	BIGNUM *bn;
	char *h;
	int rc = -EIO;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[0] &= 0x7f;		/* positive */
	b[0] |= 0x40;		/* and always 16 bytes long */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn && BN_to_ASN1_INTEGER(bn, ai)) {
		h = BN_bn2hex(bn);
		if (h) {
			snprintf(hex, hexlen, "%s", h);
			OPENSSL_free(h);
			rc = 0;
		}
	}
	BN_free(bn);
	return rc;
}

static int add_ext(X509 *issuer, X509 *subject, X509_CRL *crl, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx(&ctx, issuer, subject, NULL, crl, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -EINVAL;
	ok = crl ? X509_CRL_add_ext(crl, ex, -1) : X509_add_ext(subject, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -EIO;
}

static int load_ca(struct ska *a, EVP_PKEY **key, X509 **cert)
{
	char path[SK_URL_MAX + 16];
	FILE *f;

	*key = NULL;
	*cert = NULL;
	ca_path(a->st, "ca.pem", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return ska_fail(a, "%s: %s (create the CA with 'sekictl ca init')", path,
				strerror(errno));
	*cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ca_path(a->st, "ca.key", path, sizeof(path));
	f = fopen(path, "r");
	if (!f) {
		X509_free(*cert);
		*cert = NULL;
		return ska_fail(a, "%s: %s", path, strerror(errno));
	}
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!*key || !*cert) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		return ska_fail(a, "the CA files in the CA directory are unreadable or corrupt");
	}
	return 0;
}

/* ------------------------------------------------------------------- CRL */

struct crl_build { X509_CRL *crl; int n, rc; };

static int crl_each(const struct sk_cert *c, void *arg)
{
	struct crl_build *b = arg;
	X509_REVOKED *r;
	ASN1_INTEGER *ai = NULL;
	ASN1_TIME *t = NULL;
	BIGNUM *bn = NULL;

	if (!c->revoked_at)
		return 0;
	r = X509_REVOKED_new();
	if (r && BN_hex2bn(&bn, c->serial) && (ai = BN_to_ASN1_INTEGER(bn, NULL)) &&
	    (t = ASN1_TIME_set(NULL, (time_t)c->revoked_at)) &&
	    X509_REVOKED_set_serialNumber(r, ai) && X509_REVOKED_set_revocationDate(r, t) &&
	    X509_CRL_add0_revoked(b->crl, r)) {
		r = NULL;
		b->n++;
	} else {
		b->rc = -EIO;
	}
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(ai);
	ASN1_TIME_free(t);
	BN_free(bn);
	return 0;
}

/* CRL number: the time of writing, which only grows (RFC 5280 5.2.3) */
static bool crl_number(X509_CRL *crl, int64_t now)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	bool ok = ai && ASN1_INTEGER_set_int64(ai, now) &&
		  X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai, 0, 0) == 1;

	ASN1_INTEGER_free(ai);
	return ok;
}

/* Rebuilds crl.pem from the store's revoked certificates; 0 or 1 (message printed). */
static int write_crl(struct ska *a, EVP_PKEY *key, X509 *ca)
{
	struct crl_build b = { 0 };
	char path[SK_URL_MAX + 16], err[256];
	ASN1_TIME *lu = NULL, *nu = NULL;
	int rc = -EIO;

	b.crl = X509_CRL_new();
	if (!b.crl)
		return ska_fail(a, "out of memory");
	lu = ASN1_TIME_set(NULL, (time_t)a->now);
	/* next update: the CA's own end, since the CRL is rewritten on each revoke
	 * and OpenSSL refuses a CRL past its nextUpdate */
	nu = ASN1_TIME_dup(X509_get0_notAfter(ca));
	if (X509_CRL_set_version(b.crl, 1) &&
	    X509_CRL_set_issuer_name(b.crl, X509_get_subject_name(ca)) && lu && nu &&
	    X509_CRL_set1_lastUpdate(b.crl, lu) && X509_CRL_set1_nextUpdate(b.crl, nu) &&
	    !add_ext(ca, NULL, b.crl, NID_authority_key_identifier, "keyid:always") &&
	    crl_number(b.crl, a->now)) {
		sk_cert_list(a->st, NULL, crl_each, &b);
		if (!b.rc) {
			X509_CRL_sort(b.crl);
			if (X509_CRL_sign(b.crl, key, EVP_sha256()))
				rc = 0;
		}
	}
	ASN1_TIME_free(lu);
	ASN1_TIME_free(nu);
	if (rc) {
		ssl_err(err, sizeof(err));
		X509_CRL_free(b.crl);
		return ska_fail(a, "cannot build the CRL: %s", err);
	}
	ca_path(a->st, "crl.pem", path, sizeof(path));
	rc = write_file_atomic(path, 0644, w_crl, b.crl);
	X509_CRL_free(b.crl);
	if (rc)
		return ska_fail(a, "%s: %s", path, strerror(-rc));
	a->fx->crl_changed = true;
	return 0;
}

struct cert_count { const char *user, *device; int n; };

static int cert_count_each(const struct sk_cert *c, void *arg)
{
	struct cert_count *k = arg;

	if (!c->revoked_at && (!k->user || !strcmp(c->user, k->user)) &&
	    (!k->device || !strcmp(c->device, k->device)))
		k->n++;
	return 0;
}

int ska_valid_certs(struct ska *a, const char *user, const char *device)
{
	struct cert_count k = { user, device, 0 };

	return sk_cert_list(a->st, user, cert_count_each, &k) ? 0 : k.n;
}

int ska_revoked(struct ska *a)
{
	char path[SK_URL_MAX + 16];
	EVP_PKEY *key;
	X509 *ca;
	int rc;

	ska_profile_purge(a);
	ca_path(a->st, "ca.pem", path, sizeof(path));
	if (access(path, F_OK))
		return 0;	/* no built-in CA: nothing it issued to list */
	if ((rc = load_ca(a, &key, &ca)))
		return rc;
	rc = write_crl(a, key, ca);
	EVP_PKEY_free(key);
	X509_free(ca);
	return rc;
}

/* -------------------------------------------------------------------- ca */

static int mkdir_p(const char *dir, int mode)
{
	char buf[SK_URL_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int ca_init(struct ska *a, int argc, char **argv)
{
	const char *cn = NULL, *v;
	char dir[SK_URL_MAX], kpath[SK_URL_MAX + 16], cpath[SK_URL_MAX + 16], serial[64];
	char name[SK_NAME_MAX * 2], err[256], after[SK_TEXT_MAX];
	bool force = false;
	long days = CA_DAYS_DEFAULT;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *nm;
	int i, m, rc = 1;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			force = true;
		} else if ((m = ska_opt(a, argc, argv, &i, "cn", &cn))) {
			if (m < 0)
				return 2;
		} else if ((m = ska_opt(a, argc, argv, &i, "days", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_int(v, 1, 36500, &days))
				return ska_usage(a, "--days: expected 1 to 36500, got '%s'", v);
		} else {
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!cn) {
		if (sk_setting_get(a->st, "gateway.name", name, sizeof(name)) || !name[0])
			snprintf(name, sizeof(name), "sekisho");
		snprintf(name + strlen(name), sizeof(name) - strlen(name), " CA");
		cn = name;
	}
	if (!*cn || strlen(cn) > 64)
		return ska_usage(a, "--cn: 1 to 64 characters");
	ska_ca_dir(a->st, dir, sizeof(dir));
	ca_path(a->st, "ca.key", kpath, sizeof(kpath));
	ca_path(a->st, "ca.pem", cpath, sizeof(cpath));
	if (!force && (!access(kpath, F_OK) || !access(cpath, F_OK)))
		return ska_fail(a, "%s already holds a CA; every certificate it issued would stop "
				"working. Use --force to replace it anyway", dir);
	rc = mkdir_p(dir, 0700);
	if (rc)
		return ska_fail(a, "%s: %s", dir, strerror(-rc));
	rc = 1;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (!key || !x || !X509_set_version(x, 2) ||
	    rand_serial(X509_get_serialNumber(x), serial, sizeof(serial)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L) ||
	    !X509_set_pubkey(x, key) || !(nm = X509_get_subject_name(x)) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, nm) ||
	    add_ext(x, x, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(x, x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    add_ext(x, x, NULL, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ssl_err(err, sizeof(err));
		ska_fail(a, "cannot create the CA: %s", err);
		goto out;
	}
	rc = write_file_atomic(kpath, 0600, w_key, key);
	if (!rc)
		rc = write_file_atomic(cpath, 0644, w_cert, x);
	if (rc) {
		rc = ska_fail(a, "%s: %s", dir, strerror(-rc));
		goto out;
	}
	if (write_crl(a, key, x)) {
		rc = 1;
		goto out;
	}
	{
		char na[40];
		size_t len;
		char *buf = NULL;
		FILE *f = open_memstream(&buf, &len);

		ska_fmt_time(a->now + days * 86400L, na, sizeof(na));
		if (f) {
			fputs("{\"cn\":", f);
			sk_json_escape(f, cn);
			fprintf(f, ",\"serial\":\"%s\",\"not_after\":\"%s\",\"replaced\":%s}", serial,
				na, force ? "true" : "false");
			fclose(f);
		}
		snprintf(after, sizeof(after), "%s", buf ? buf : "null");
		free(buf);
		ska_audit(a, NULL, after, NULL, NULL);
		fprintf(a->io->out, "ca: created \"%s\" in %s (serial %s, valid until %s)\n", cn, dir,
			serial, na);
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

static int ca_show(struct ska *a)
{
	char path[SK_URL_MAX + 16], dir[SK_URL_MAX], subj[256], nb[40], na[40], fp[100];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	ASN1_INTEGER *sn;
	BIGNUM *bn;
	char *serial = NULL;
	struct sk_json j;
	int64_t t;
	X509 *x;
	FILE *f;

	ska_ca_dir(a->st, dir, sizeof(dir));
	ca_path(a->st, "ca.pem", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return ska_fail(a, "%s: %s (create the CA with 'sekictl ca init')", path,
				strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return ska_fail(a, "%s: not a PEM certificate", path);
	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	{
		struct tm tm;

		ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm);
		t = timegm(&tm);
		ska_fmt_time(t, nb, sizeof(nb));
		ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm);
		t = timegm(&tm);
		ska_fmt_time(t, na, sizeof(na));
	}
	sn = X509_get_serialNumber(x);
	bn = ASN1_INTEGER_to_BN(sn, NULL);
	if (bn)
		serial = BN_bn2hex(bn);
	BN_free(bn);
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (i = 0; i < mdlen && i * 3 + 3 <= sizeof(fp); i++)
		snprintf(fp + i * 3, sizeof(fp) - i * 3, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
	if (a->io->json) {
		sk_json_init(&j, a->io->out);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "dir", dir);
		sk_json_str(&j, "subject", subj);
		sk_json_str(&j, "serial", serial ? serial : "");
		sk_json_str(&j, "not_before", nb);
		sk_json_str(&j, "not_after", na);
		sk_json_str(&j, "sha256", fp);
		sk_json_obj_end(&j);
		fputc('\n', a->io->out);
	} else {
		fprintf(a->io->out, "dir         %s\nsubject     %s\nserial      %s\n"
			"not-before  %s\nnot-after   %s\nsha256      %s\n", dir, subj,
			serial ? serial : "?", nb, na, fp);
	}
	OPENSSL_free(serial);
	X509_free(x);
	return 0;
}

int ska_ca(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "show";

	snprintf(a->what, sizeof(a->what), "ca %s", verb);
	if (!strcmp(verb, "init"))
		return ca_init(a, argc - 1, argv + 1);
	if (!strcmp(verb, "show")) {
		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		return ca_show(a);
	}
	return ska_usage(a, "unknown verb '%s' (init, show)", verb);
}

/* ------------------------------------------------------------------ cert */

struct cert_tx { struct ska *a; struct sk_cert c; };

static int cert_add_apply(struct sk_store *st, void *arg)
{
	struct cert_tx *t = arg;
	char after[SK_TEXT_MAX + 256], na[40];
	char *buf = NULL;
	size_t len;
	FILE *f;
	int rc;

	rc = sk_cert_add(st, &t->c);
	if (rc)
		return rc;
	ska_fmt_time(t->c.not_after, na, sizeof(na));
	f = open_memstream(&buf, &len);
	if (f) {
		fprintf(f, "{\"serial\":\"%s\",\"user\":", t->c.serial);
		sk_json_escape(f, t->c.user);
		fputs(",\"device\":", f);
		sk_json_escape(f, t->c.device);
		fprintf(f, ",\"not_after\":\"%s\"}", na);
		fclose(f);
	}
	snprintf(after, sizeof(after), "%s", buf ? buf : "null");
	free(buf);
	return ska_audit(t->a, NULL, after, t->c.user, t->c.device);
}

int ska_cert_issue_p12(struct ska *a, const struct sk_user *u, const char *device,
		       int days, const char *password, uint8_t **p12out, size_t *p12len,
		       char *serial_out, size_t seriallen, int64_t keep_profile)
{
	struct cert_tx t = { .a = a };
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	STACK_OF(X509) *cas = NULL;
	PKCS12 *p12 = NULL;
	X509_NAME *nm;
	char san[SK_EMAIL_MAX + SK_UID_LEN + 40], err[256];
	unsigned char *der = NULL;
	int len = 0, rc, n;
	struct tm tm;
	time_t ca_end;

	*p12out = NULL;
	rc = load_ca(a, &cakey, &ca);
	if (rc)
		return rc;
	rc = 1;
	/* never beyond the CA's own validity */
	ASN1_TIME_to_tm(X509_get0_notAfter(ca), &tm);
	ca_end = timegm(&tm);
	if (a->now + days * 86400L > ca_end)
		days = (int)((ca_end - a->now) / 86400);
	if (days < 1) {
		ska_fail(a, "the CA expires in less than a day; renew it with 'sekictl ca init --force'");
		goto out;
	}
	if (strlen(u->uid) != SK_UID_LEN) {
		ska_fail(a, "user %s has no identifier (uid); open the store with this sekictl "
			 "once to migrate it", u->name);
		goto out;
	}
	/* the user record, not only its name: a later user of the same name
	 * has another uid, and auth/chain.c refuses this certificate for it.
	 * A URN of RFC 4122 in the subjectAltName rather than a subject
	 * attribute: CN and UID already carry the name (cert.bind), and the
	 * subject serialNumber is too easily taken for the certificate's. */
	snprintf(san, sizeof(san), "URI:urn:uuid:%s%s%s", u->uid, u->email[0] ? ",email:" : "",
		 u->email);
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (!key || !x || !X509_set_version(x, 2) ||
	    rand_serial(X509_get_serialNumber(x), t.c.serial, sizeof(t.c.serial)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L) ||
	    !X509_set_pubkey(x, key) || !(nm = X509_get_subject_name(x)) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)u->name, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "UID", MBSTRING_UTF8, (const unsigned char *)u->name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    add_ext(ca, x, NULL, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(ca, x, NULL, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(ca, x, NULL, NID_ext_key_usage, "clientAuth") ||
	    add_ext(ca, x, NULL, NID_subject_key_identifier, "hash") ||
	    add_ext(ca, x, NULL, NID_authority_key_identifier, "keyid:always") ||
	    add_ext(ca, x, NULL, NID_subject_alt_name, san) ||
	    !X509_sign(x, cakey, EVP_sha256())) {
		ssl_err(err, sizeof(err));
		ska_fail(a, "cannot issue the certificate: %s", err);
		goto out;
	}
	cas = sk_X509_new_null();
	if (!cas || !sk_X509_push(cas, ca))
		goto oom;
	/* AES-256-CBC PBES2 for both the key and the certificates, SHA-256 MAC
	 * (OpenSSL 3 default): no RC2/3DES that recent clients refuse */
	p12 = PKCS12_create(password, u->name, key, x, cas, NID_aes_256_cbc, NID_aes_256_cbc,
			    0, 0, 0);
	sk_X509_free(cas);
	if (!p12) {
		ssl_err(err, sizeof(err));
		ska_fail(a, "cannot build the PKCS#12 file: %s", err);
		goto out;
	}
	len = i2d_PKCS12(p12, &der);
	if (len <= 0)
		goto oom;
	snprintf(t.c.user, sizeof(t.c.user), "%s", u->name);
	snprintf(t.c.user_uid, sizeof(t.c.user_uid), "%s", u->uid);
	snprintf(t.c.device, sizeof(t.c.device), "%s", device);
	X509_NAME_oneline(X509_get_subject_name(x), t.c.subject, sizeof(t.c.subject));
	t.c.not_before = a->now - 300;
	t.c.not_after = a->now + days * 86400L;
	rc = ska_tx(a, cert_add_apply, &t);
	if (rc) {
		rc = ska_store_fail(a, rc, t.c.serial, "");
		goto out;
	}
	/* one valid certificate per user and device: the new one supersedes
	 * the earlier ones and their links */
	n = sk_cert_revoke_for(a->st, u->name, device, t.c.serial, keep_profile, a->now);
	if (n < 0) {
		rc = ska_store_fail(a, n, t.c.serial, "");
		goto out;
	}
	if (n > 0) {
		fprintf(a->io->err, "cert: %d earlier certificate%s of user %s for device %s "
			"revoked (superseded)\n", n, n == 1 ? "" : "s", u->name, device);
		if (ska_revoked(a)) {
			rc = 1;
			goto out;
		}
	} else {
		ska_profile_purge(a);
	}
	*p12out = malloc(len);
	if (!*p12out)
		goto oom;
	memcpy(*p12out, der, len);
	*p12len = len;
	snprintf(serial_out, seriallen, "%s", t.c.serial);
	rc = 0;
	goto out;
oom:
	rc = ska_fail(a, "out of memory");
out:
	if (der) {
		OPENSSL_cleanse(der, len > 0 ? len : 0);
		OPENSSL_free(der);
	}
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	X509_free(x);
	X509_free(ca);
	return rc;
}

static int w_bytes(FILE *f, void *arg)
{
	const struct { const uint8_t *p; size_t n; } *b = arg;

	return fwrite(b->p, 1, b->n, f) == b->n ? 0 : -EIO;
}

static int cert_issue(struct ska *a, int argc, char **argv)
{
	const char *out = NULL, *v;
	char pw[256], serial[SK_NAME_MAX + 1];
	struct sk_user u;
	struct sk_device d;
	long days = CERT_DAYS_DEFAULT;
	uint8_t *p12 = NULL;
	size_t len = 0, n;
	int i, m, rc;

	if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-')
		return ska_usage(a, "expected: cert issue USER DEVICE [--days N] --out FILE.p12");
	for (i = 2; i < argc; i++) {
		if ((m = ska_opt(a, argc, argv, &i, "out", &out))) {
			if (m < 0)
				return 2;
		} else if ((m = ska_opt(a, argc, argv, &i, "days", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_int(v, 1, 3650, &days))
				return ska_usage(a, "--days: expected 1 to 3650, got '%s'", v);
		} else {
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!out)
		return ska_usage(a, "--out FILE.p12 is required (- for standard output)");
	rc = sk_user_get(a->st, argv[0], &u);
	if (rc)
		return ska_store_fail(a, rc, argv[0], rc == -ENOENT ? "no such user" : "");
	sk_wipe(u.pw_hash, sizeof(u.pw_hash));
	sk_wipe(u.totp_secret, sizeof(u.totp_secret));
	rc = sk_device_get(a->st, argv[1], &d);
	if (rc)
		return ska_store_fail(a, rc, argv[1], rc == -ENOENT ? "no such device" : "");
	/* a certificate is for a device of the user's (what the device
	 * check at login and the revocation on unassign rely on) */
	if (strcmp(d.user, u.name))
		return ska_fail(a, "device %s is not assigned to user %s; assign it first: "
				"sekictl device assign %s %s\n"
				"  デバイス %s はユーザ %s に割り当てられていません。先に "
				"sekictl device assign %s %s を実行してください。",
				d.name, u.name, u.name, d.name, d.name, u.name, u.name, d.name);
	if (!a->io->in || !fgets(pw, sizeof(pw), a->io->in))
		return ska_usage(a, "expected the PKCS#12 password on standard input");
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (n < 4) {
		sk_wipe(pw, sizeof(pw));
		return ska_usage(a, "the PKCS#12 password must have at least 4 characters "
				 "(some clients refuse shorter ones)");
	}
	rc = ska_cert_issue_p12(a, &u, d.name, (int)days, pw, &p12, &len, serial, sizeof(serial), 0);
	sk_wipe(pw, sizeof(pw));
	if (rc)
		return rc;
	if (!strcmp(out, "-")) {
		/* binary on stdout (the control socket client writes it to the
		 * file the administrator named); the message goes to stderr */
		rc = fwrite(p12, 1, len, a->io->out) == len ? 0 : -EIO;
		fprintf(a->io->err, "cert %s: issued to user %s for device %s\n", serial, u.name, d.name);
	} else {
		struct { const uint8_t *p; size_t n; } b = { p12, len };

		rc = write_file_atomic(out, 0600, w_bytes, &b);
		if (!rc)
			fprintf(a->io->out, "cert %s: issued to user %s for device %s -> %s\n", serial,
				u.name, d.name, out);
	}
	OPENSSL_cleanse(p12, len);
	free(p12);
	if (rc)
		return ska_fail(a, "%s: %s (the certificate %s is recorded; revoke it if it is lost)",
				out, strerror(-rc), serial);
	return 0;
}

struct revoke_tx { struct ska *a; struct sk_cert c; };

static int cert_revoke_apply(struct sk_store *st, void *arg)
{
	struct revoke_tx *t = arg;
	char before[128], after[128];
	int rc;

	rc = sk_cert_revoke(st, t->c.serial, t->a->now);
	if (rc)
		return rc;
	snprintf(before, sizeof(before), "{\"serial\":\"%s\",\"revoked\":false}", t->c.serial);
	snprintf(after, sizeof(after), "{\"serial\":\"%s\",\"revoked\":true}", t->c.serial);
	return ska_audit(t->a, before, after, t->c.user, t->c.device);
}

static int cert_each(const struct sk_cert *c, void *arg)
{
	struct ska_list *l = arg;
	char na[40], ra[40];

	ska_fmt_time(c->not_after, na, sizeof(na));
	ska_fmt_time(c->revoked_at, ra, sizeof(ra));
	if (l->j) {
		sk_json_obj_begin(l->j, NULL);
		sk_json_str(l->j, "serial", c->serial);
		sk_json_str(l->j, "user", c->user);
		sk_json_str(l->j, "device", c->device);
		sk_json_str(l->j, "subject", c->subject);
		sk_json_str(l->j, "not_after", na);
		if (c->revoked_at)
			sk_json_str(l->j, "revoked_at", ra);
		else
			sk_json_null(l->j, "revoked_at");
		sk_json_obj_end(l->j);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-34s %-16s %-16s %-25s %s\n", "SERIAL", "USER",
				"DEVICE", "NOT-AFTER", "STATE");
		fprintf(l->a->io->out, "%-34s %-16s %-16s %-25s %s%s\n", c->serial, c->user,
			c->device[0] ? c->device : "-", na, c->revoked_at ? "revoked " : "",
			c->revoked_at ? ra : c->not_after < l->a->now ? "expired" : "valid");
	}
	l->n++;
	return 0;
}

int ska_cert(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_json j;
	int rc;

	snprintf(a->what, sizeof(a->what), "cert %s", verb);
	if (!strcmp(verb, "issue"))
		return cert_issue(a, argc - 1, argv + 1);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };
		const char *user = NULL;

		if ((rc = ska_only_opt(a, argc, argv, "user", &user)))
			return rc;
		ska_list_begin(a, &j, &l.j);
		rc = sk_cert_list(a->st, user, cert_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "certificates");
	}
	if (!strcmp(verb, "revoke")) {
		struct revoke_tx t = { .a = a };
		EVP_PKEY *key;
		X509 *ca;
		char *p;

		if (argc != 2)
			return ska_usage(a, "expected: cert revoke SERIAL (from 'sekictl cert list')");
		snprintf(t.c.serial, sizeof(t.c.serial), "%s", argv[1]);
		for (p = t.c.serial; *p; p++)	/* serials are stored in upper-case hex */
			if (*p >= 'a' && *p <= 'f')
				*p -= 'a' - 'A';
		rc = sk_cert_get(a->st, t.c.serial, &t.c);
		if (rc)
			return ska_store_fail(a, rc, argv[1], rc == -ENOENT ? "no such certificate" : "");
		if (t.c.revoked_at) {
			fprintf(a->io->out, "cert %s: already revoked\n", t.c.serial);
			return 0;
		}
		/* load the CA first: a revoke that cannot reach the CRL must not half-happen */
		if ((rc = load_ca(a, &key, &ca)))
			return rc;
		rc = ska_tx(a, cert_revoke_apply, &t);
		if (rc) {
			rc = ska_store_fail(a, rc, t.c.serial, "");
		} else {
			rc = write_crl(a, key, ca);
			if (!rc)
				fprintf(a->io->out, "cert %s (user %s, device %s): revoked; CRL rewritten\n",
					t.c.serial, t.c.user, t.c.device[0] ? t.c.device : "-");
			a->fx->users_changed = true;
		}
		EVP_PKEY_free(key);
		X509_free(ca);
		return rc;
	}
	return ska_usage(a, "unknown verb '%s' (issue, revoke, list)", verb);
}
