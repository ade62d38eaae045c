/* SPDX-License-Identifier: GPL-2.0 */
/* A self-signed certificate for the key k (one hour), for the TLS tests. */
#ifndef SK_TESTCERT_H
#define SK_TESTCERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

static inline X509 *test_self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"vpn.example.jp", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	return x;
}

#endif
