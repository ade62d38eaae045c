// SPDX-License-Identifier: GPL-2.0
/*
 * libldap's and liblber's table for lib/skdl.c (ldap_dl.h).  The sonames
 * and the package come from the build: those of the libldap.so and
 * liblber.so the compiler would link (userspace/Makefile).
 */
#include <errno.h>

#include "ldap_dl.h"
#include "skdl.h"

_Static_assert(sizeof(SK_SONAME_LDAP) > 1 && sizeof(SK_SONAME_LBER) > 1,
	       "libldap's soname is empty: is libldap-dev installed?");

/* the pointers the header declares, and their table */
SK_LDAP_SYMS(SK_DL_DEFINE)
static const struct sk_dl_sym syms[] = { SK_LDAP_SYMS(SK_DL_ENTRY) };

/* libldap's global setup (options, its TLS library) runs at its first
 * call; a global option read is that call, here under the loader's lock */
static int ldap_setup(void)
{
	int v = 0;

	return ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v) == LDAP_OPT_SUCCESS ? 0 : -EIO;
}

static struct sk_dl ldap = {
	.sonames = { SK_SONAME_LDAP, SK_SONAME_LBER, NULL },
	.what = "the OpenLDAP client library",
	.what_ja = "OpenLDAP クライアントライブラリ",
	.package = SK_PACKAGE_LDAP,
	.syms = syms,
	.n_syms = sizeof(syms) / sizeof(syms[0]),
	.init = ldap_setup,
	SK_DL_STATE,
};

int sk_ldap_load(char *err, size_t errlen)
{
	return sk_dl_load(&ldap, err, errlen);
}
