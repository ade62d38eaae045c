// SPDX-License-Identifier: GPL-2.0
/*
 * libcurl's table for lib/skdl.c (curl_dl.h).  The soname and the package
 * come from the build: those of the libcurl.so the compiler would link
 * (userspace/Makefile).
 */
#include <errno.h>

#include "curl_dl.h"
#include "skdl.h"

_Static_assert(sizeof(SK_SONAME_CURL) > 1, "libcurl's soname is empty: is libcurl-dev installed?");

/* the pointers the header declares, and their table */
SK_CURL_SYMS(SK_DL_DEFINE)
static const struct sk_dl_sym syms[] = { SK_CURL_SYMS(SK_DL_ENTRY) };

/* once per process, before any handle (not thread-safe before 7.84) */
static int curl_setup(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static struct sk_dl curl = {
	.sonames = { SK_SONAME_CURL, NULL },
	.what = "the curl library (mail, OCSP)",
	.what_ja = "curl ライブラリ（メール、OCSP）",
	.package = SK_PACKAGE_CURL,
	.syms = syms,
	.n_syms = sizeof(syms) / sizeof(syms[0]),
	.init = curl_setup,
	SK_DL_STATE,
};

int sk_curl_load(char *err, size_t errlen)
{
	return sk_dl_load(&curl, err, errlen);
}

void sk_curl_cleanup(void)
{
	if (sk_dl_loaded(&curl))
		curl_global_cleanup();
}
