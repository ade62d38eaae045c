// SPDX-License-Identifier: GPL-2.0
/*
 * libpq's table for lib/skdl.c (pq_dl.h).  The soname and the package
 * come from the build: those of the libpq.so the compiler would link
 * (userspace/Makefile).
 */
#include "pq_dl.h"
#include "skdl.h"

_Static_assert(sizeof(SK_SONAME_PQ) > 1, "libpq's soname is empty: is libpq-dev installed?");

/* the pointers the header declares, and their table */
SK_PQ_SYMS(SK_DL_DEFINE)
static const struct sk_dl_sym syms[] = { SK_PQ_SYMS(SK_DL_ENTRY) };

static struct sk_dl pq = {
	.sonames = { SK_SONAME_PQ, NULL },
	.what = "the PostgreSQL client library",
	.what_ja = "PostgreSQL クライアントライブラリ",
	.package = SK_PACKAGE_PQ,
	.syms = syms,
	.n_syms = sizeof(syms) / sizeof(syms[0]),
	SK_DL_STATE,
};

int sk_pq_load(char *err, size_t errlen)
{
	return sk_dl_load(&pq, err, errlen);
}
