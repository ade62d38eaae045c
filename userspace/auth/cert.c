// SPDX-License-Identifier: GPL-2.0
/*
 * skauth client certificates: verification against the organisation's CA
 * with CRLs (OpenSSL X509_STORE) and optionally OCSP (request sent with
 * libcurl), then the identity the certificate is bound to.
 *
 * The TLS layer does NOT verify the client certificate (it only asks for
 * one); this is the one place that decides whether it is good, so the
 * decision is the same whichever front end received it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "curl_dl.h"
#include "skauth.h"

#define OCSP_RESP_MAX (64 * 1024)
#define OCSP_TIMEOUT_MS 5000L
#define OCSP_URL_MAX 1024
/* how far an OCSP response's thisUpdate may be in the future / how old a
 * response without nextUpdate may be: clock skew between us and the
 * responder, and responders that pre-generate responses */
#define OCSP_SKEW_S 300L
#define OCSP_MAXAGE_S (7L * 24 * 3600)

struct sk_certv {
	X509_STORE *store;	/* CA certificates + current CRLs */
	bool crl;		/* CRLs were given: check the leaf against them */
	char *ca_file;		/* kept to rebuild the store on CRL reload */
	char *ocsp_url;		/* NULL, "aia" or a URL */
	char last_error[256];	/* OpenSSL's words for the last refusal, for the log */
};

static const struct { const char *name; int bind; } bind_names[] = {
	{ "cn", SK_BIND_CN }, { "uid", SK_BIND_UID }, { "san-email", SK_BIND_SAN_EMAIL },
};

int sk_cert_bind_from_name(const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(bind_names) / sizeof(bind_names[0]); i++)
		if (!strcmp(s, bind_names[i].name))
			return bind_names[i].bind;
	return -1;
}

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* OpenSSL's first queued error as text (and the queue emptied) */
static const char *ossl_err(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* Loads every CRL of a PEM file into the store.  0 or -EINVAL. */
static int load_crls(X509_STORE *st, const char *crl_file, char *err, size_t errlen)
{
	char eb[160];
	X509_CRL *crl;
	BIO *b;
	int n = 0;

	b = BIO_new_file(crl_file, "r");
	if (!b) {
		seterr(err, errlen, "cannot read CRL file %s: %s", crl_file, ossl_err(eb, sizeof(eb)));
		return -EINVAL;
	}
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		int ok = X509_STORE_add_crl(st, crl);

		X509_CRL_free(crl);
		if (!ok) {
			BIO_free(b);
			seterr(err, errlen, "cannot add a CRL of %s: %s", crl_file,
			       ossl_err(eb, sizeof(eb)));
			return -EINVAL;
		}
		n++;
	}
	BIO_free(b);
	ERR_clear_error();	/* the loop ends on a "no start line" error */
	if (!n) {
		/* an empty file would silently turn revocation checks off */
		seterr(err, errlen, "no CRL found in %s", crl_file);
		return -EINVAL;
	}
	return 0;
}

static X509_STORE *build_store(const char *ca_file, const char *crl_file, char *err, size_t errlen)
{
	char eb[160];
	X509_STORE *st = X509_STORE_new();

	if (!st) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (X509_STORE_load_file(st, ca_file) != 1) {
		seterr(err, errlen, "cannot load CA file %s: %s", ca_file, ossl_err(eb, sizeof(eb)));
		X509_STORE_free(st);
		return NULL;
	}
	if (crl_file && load_crls(st, crl_file, err, errlen)) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

int sk_certv_new(const char *ca_file, const char *crl_file, const char *ocsp_url,
		 struct sk_certv **v, char *err, size_t errlen)
{
	struct sk_certv *cv;

	if (err && errlen)
		err[0] = '\0';
	if (!v || !ca_file || !*ca_file) {
		seterr(err, errlen, "a CA file is required");
		return -EINVAL;
	}
	if (ocsp_url && (strlen(ocsp_url) > OCSP_URL_MAX ||
			 (strcmp(ocsp_url, "aia") && strncmp(ocsp_url, "http://", 7) &&
			  strncmp(ocsp_url, "https://", 8)))) {
		seterr(err, errlen, "OCSP: \"aia\" or an http(s) URL expected");
		return -EINVAL;
	}
	cv = calloc(1, sizeof(*cv));
	if (!cv) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cv->ca_file = strdup(ca_file);
	cv->ocsp_url = ocsp_url ? strdup(ocsp_url) : NULL;
	if (!cv->ca_file || (ocsp_url && !cv->ocsp_url)) {
		seterr(err, errlen, "out of memory");
		sk_certv_free(cv);
		return -ENOMEM;
	}
	cv->store = build_store(ca_file, crl_file, err, errlen);
	if (!cv->store) {
		sk_certv_free(cv);
		return -EINVAL;
	}
	cv->crl = crl_file != NULL;
	*v = cv;
	return 0;
}

int sk_certv_reload_crl(struct sk_certv *v, const char *crl_file, char *err, size_t errlen)
{
	X509_STORE *st;

	if (err && errlen)
		err[0] = '\0';
	if (!v)
		return -EINVAL;
	/* a store cannot drop CRLs, so build a new one and swap it in only
	 * when it loaded completely: a bad file keeps the old CRLs */
	st = build_store(v->ca_file, crl_file, err, errlen);
	if (!st)
		return -EINVAL;
	X509_STORE_free(v->store);
	v->store = st;
	v->crl = crl_file != NULL;
	return 0;
}

void sk_certv_free(struct sk_certv *v)
{
	if (!v)
		return;
	X509_STORE_free(v->store);
	free(v->ca_file);
	free(v->ocsp_url);
	free(v);
}

const char *sk_certv_last_error(const struct sk_certv *v)
{
	return v ? v->last_error : "";
}

static const char *map_verify_error(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not-yet-valid";
	case X509_V_ERR_CERT_REVOKED:
		return "revoked";
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
		return "bad-usage";
	default:
		/* unknown issuer, bad signature, and also a missing or stale
		 * CRL: revocation status unknown means refuse (fail closed);
		 * last_error tells the administrator which it was */
		return "untrusted";
	}
}

/* A UTF-8 copy of the only entry of `nid` in the subject.  X509_NAME_get_
 * text_by_NID would copy the raw bytes (UCS-2 for a BMPString) and stop at
 * an embedded NUL ("alice\0.evil" reading as "alice"), so the entry is
 * converted with ASN1_STRING_to_UTF8 and its length checked instead. */
static int name_entry(X509 *cert, int nid, char *id, size_t idlen)
{
	X509_NAME *n = X509_get_subject_name(cert);
	unsigned char *u = NULL;
	int i, len, rc = -1;

	i = X509_NAME_get_index_by_NID(n, nid, -1);
	if (i < 0)
		return -1;
	/* two CNs (or UIDs) are ambiguous: which one is the user? */
	if (X509_NAME_get_index_by_NID(n, nid, i) >= 0)
		return -1;
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len <= 0)
		return -1;
	if ((size_t)len < idlen && strlen((char *)u) == (size_t)len) {
		memcpy(id, u, (size_t)len + 1);
		rc = 0;
	}
	OPENSSL_free(u);
	return rc;
}

static int san_email(X509 *cert, char *id, size_t idlen)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int i, rc = -1;

	if (!gens)
		return -1;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_EMAIL)
			continue;
		d = ASN1_STRING_get0_data(g->d.rfc822Name);
		len = ASN1_STRING_length(g->d.rfc822Name);
		if (len > 0 && (size_t)len < idlen && memchr(d, 0, (size_t)len) == NULL) {
			memcpy(id, d, (size_t)len);
			id[len] = '\0';
			rc = 0;
		}
		break;	/* the first rfc822Name is the user's */
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

static int identity(X509 *cert, enum sk_cert_bind bind, char *id, size_t idlen)
{
	int rc;
	char *s;

	switch (bind) {
	case SK_BIND_CN:
		rc = name_entry(cert, NID_commonName, id, idlen);
		break;
	case SK_BIND_UID:
		rc = name_entry(cert, NID_userId, id, idlen);
		break;
	case SK_BIND_SAN_EMAIL:
		rc = san_email(cert, id, idlen);
		break;
	default:
		rc = -1;
	}
	if (rc)
		return rc;
	/* an identity becomes a user-name lookup and log text: no controls */
	for (s = id; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return -1;
	return id[0] ? 0 : -1;
}

int sk_cert_facts(X509 *cert, char *serial, size_t seriallen, char *uid, size_t uidlen)
{
	static const char urn[] = "urn:uuid:";
	GENERAL_NAMES *gens;
	BIGNUM *bn;
	char *hex;
	int i, rc = 0;

	if (!cert || !serial || !seriallen || !uid || !uidlen)
		return -EINVAL;
	serial[0] = uid[0] = '\0';
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (!hex || strlen(hex) >= seriallen) {
		OPENSSL_free(hex);
		return -EINVAL;
	}
	memcpy(serial, hex, strlen(hex) + 1);
	OPENSSL_free(hex);
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens && !rc && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const char *d;
		char one[64];
		int len, k;

		if (g->type != GEN_URI)
			continue;
		d = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (len < (int)sizeof(urn) - 1 || strncasecmp(d, urn, sizeof(urn) - 1))
			continue;
		d += sizeof(urn) - 1;
		len -= (int)sizeof(urn) - 1;
		/* a UUID's 36 characters: hex and '-' only (no NUL, no controls) */
		if (len != 36 || (size_t)len >= uidlen) {
			rc = -EINVAL;
			break;
		}
		for (k = 0; k < len; k++) {
			if (!strchr("0123456789abcdefABCDEF-", d[k]) || !d[k]) {
				rc = -EINVAL;
				break;
			}
			one[k] = (char)(d[k] >= 'A' && d[k] <= 'F' ? d[k] + 'a' - 'A' : d[k]);
		}
		one[len] = '\0';
		if (!rc && uid[0] && strcmp(uid, one))
			rc = -EINVAL;	/* two identifiers: which user is it? */
		else if (!rc)
			memcpy(uid, one, (size_t)len + 1);
	}
	GENERAL_NAMES_free(gens);
	if (rc)
		uid[0] = '\0';
	return rc;
}

/* ---- OCSP ---- */

struct rbuf {
	unsigned char *p;
	size_t len;
	bool overflow;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rbuf *r = arg;
	size_t n = size * nmemb;
	unsigned char *np;

	if (r->len + n > OCSP_RESP_MAX) {
		r->overflow = true;
		return 0;	/* makes libcurl stop with a write error */
	}
	np = realloc(r->p, r->len + n);
	if (!np)
		return 0;
	r->p = np;
	memcpy(r->p + r->len, data, n);
	r->len += n;
	return n;
}

/* POSTs the DER request; 0 and the DER response in r, or -EIO */
static int ocsp_post(const char *url, const unsigned char *req, long reqlen, struct rbuf *r,
		     char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h;
	long code = 0;
	CURLcode cc;
	CURL *c;

	if (sk_curl_load(err, errlen))
		return -EIO;
	c = curl_easy_init();
	if (!c)
		return -EIO;
	h = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
	cc = h ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_URL, url);
	/* a URL taken from the certificate (AIA) is attacker-chosen: only
	 * plain HTTP(S) to the responder, no redirects, small answers */
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, reqlen);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, OCSP_TIMEOUT_MS);
	if (!cc)
		cc = curl_easy_perform(c);
	if (!cc)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc) {
		seterr(err, errlen, "OCSP request to %s failed: %s", url,
		       r->overflow ? "response too large" : cerr[0] ? cerr : curl_easy_strerror(cc));
		return -EIO;
	}
	if (code != 200) {
		seterr(err, errlen, "OCSP responder %s answered HTTP %ld", url, code);
		return -EIO;
	}
	return 0;
}

/*
 * Asks the responder about leaf (issued by issuer).  0 good, or a reason
 * key: "revoked" when the responder says so, "ocsp-failed" for anything
 * else (no answer, unsigned, unknown status): fail closed.
 */
static const char *ocsp_check(struct sk_certv *v, X509 *leaf, X509 *issuer,
			      STACK_OF(X509) *untrusted)
{
	const char *why = "ocsp-failed", *url = v->ocsp_url;
	STACK_OF(OPENSSL_STRING) *aia = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	unsigned char *der = NULL;
	const unsigned char *p;
	struct rbuf r = { 0 };
	int len, status, reason;

	if (!strcmp(url, "aia")) {
		aia = X509_get1_ocsp(leaf);
		if (!aia || sk_OPENSSL_STRING_num(aia) < 1) {
			snprintf(v->last_error, sizeof(v->last_error),
				 "OCSP: the certificate names no responder (AIA)");
			goto out;
		}
		url = sk_OPENSSL_STRING_value(aia, 0);
		if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
			snprintf(v->last_error, sizeof(v->last_error), "OCSP: AIA URL not http(s)");
			goto out;
		}
	}
	req = OCSP_REQUEST_new();
	id = OCSP_cert_to_id(NULL, leaf, issuer);
	if (!req || !id || !OCSP_request_add0_id(req, id)) {
		OCSP_CERTID_free(id);
		id = NULL;
		goto out;
	}
	/* the request owns id now; keep a copy to find the answer */
	id = OCSP_CERTID_dup(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)));
	/* a nonce so an old "good" answer cannot be replayed at us */
	if (!id || !OCSP_request_add1_nonce(req, NULL, -1))
		goto out;
	len = i2d_OCSP_REQUEST(req, &der);
	if (len <= 0)
		goto out;
	if (ocsp_post(url, der, len, &r, v->last_error, sizeof(v->last_error)))
		goto out;
	p = r.p;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r.len);
	if (!resp || OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: responder refused or garbled");
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (!bs) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: no basic response");
		goto out;
	}
	/* 1 = same nonce, -1 = responder sent none (many pre-sign): accepted
	 * with the freshness check below; 0 = a different one: refused */
	if (OCSP_check_nonce(req, bs) == 0) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: nonce mismatch");
		goto out;
	}
	/* signed by the CA or by a responder certificate the CA issued;
	 * untrusted = the verified chain, so a response that does not embed
	 * the signing CA certificate still finds it */
	if (OCSP_basic_verify(bs, untrusted, v->store, 0) <= 0) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: response signature not trusted");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: no status for this certificate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, OCSP_SKEW_S, nextupd ? -1 : OCSP_MAXAGE_S)) {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: response out of date");
		goto out;
	}
	if (status == V_OCSP_CERTSTATUS_GOOD) {
		why = NULL;
	} else if (status == V_OCSP_CERTSTATUS_REVOKED) {
		why = "revoked";
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: certificate revoked");
	} else {
		snprintf(v->last_error, sizeof(v->last_error), "OCSP: status unknown");
	}
out:
	ERR_clear_error();
	X509_email_free(aia);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	free(r.p);
	return why;
}

int sk_certv_check(struct sk_certv *v, X509 *cert, STACK_OF(X509) *chain, int64_t now,
		   enum sk_cert_bind bind, char *id, size_t idlen, const char **why)
{
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	STACK_OF(X509) *verified = NULL;
	const char *dummy;
	int rc = -EACCES, e;

	if (!why)
		why = &dummy;
	*why = "untrusted";
	if (id && idlen)
		id[0] = '\0';
	if (!v)
		return -EINVAL;
	v->last_error[0] = '\0';
	if (!cert) {
		*why = "no-cert";
		snprintf(v->last_error, sizeof(v->last_error), "no client certificate");
		return -EACCES;
	}
	if (!id || !idlen)
		return -EINVAL;
	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, v->store, cert, chain) != 1) {
		snprintf(v->last_error, sizeof(v->last_error), "out of memory");
		*why = "untrusted";
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	/* the caller's clock, so tests (and a gateway with a checked time
	 * source) decide what "now" is */
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	/* CRL flag on this verification only, not on the store: the store
	 * also checks OCSP responder certificates, which carry no CRL */
	if (v->crl)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
	/* purpose sslclient: extended key usage must allow clientAuth (if
	 * present), key usage digitalSignature (if present) */
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
		snprintf(v->last_error, sizeof(v->last_error), "cannot set purpose");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		*why = map_verify_error(e);
		snprintf(v->last_error, sizeof(v->last_error), "%s (depth %d)",
			 X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	if (v->ocsp_url) {
		verified = X509_STORE_CTX_get1_chain(ctx);
		/* [0] is the leaf, [1] its issuer; a self-signed leaf cannot
		 * be a user certificate */
		if (!verified || sk_X509_num(verified) < 2) {
			*why = "ocsp-failed";
			snprintf(v->last_error, sizeof(v->last_error), "OCSP: no issuer in the chain");
			goto out;
		}
		*why = ocsp_check(v, cert, sk_X509_value(verified, 1), verified);
		if (*why)
			goto out;
	}
	if (identity(cert, bind, id, idlen)) {
		id[0] = '\0';
		*why = "no-identity";
		snprintf(v->last_error, sizeof(v->last_error),
			 "the certificate has no usable %s", bind == SK_BIND_CN ? "CN" :
			 bind == SK_BIND_UID ? "UID" : "rfc822Name");
		goto out;
	}
	*why = NULL;
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(verified, X509_free);
	X509_STORE_CTX_free(ctx);
	return rc;
}
