/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skcopy: a whole store copied into another (sekictl store copy,
 * store_copy.c; Documentation/admin/store.md "Moving a store").
 */
#ifndef SKCOPY_H
#define SKCOPY_H

#include "skstore.h"

/* ---- copying a whole store (sekictl store copy; store_copy.c) ----
 * The tables come from the schema description; each is reported after
 * the copy committed (rows, and the digest both sides had: 64 hex digits,
 * the sum of each row's SHA-256, so the row order does not matter). */
struct sk_copy_table {
	char name[SK_NAME_MAX + 1];
	int64_t rows;
	char digest[65];
};
#define SK_COPY_FORCE	1	/* replace a target that is not empty */
/* Copies from into to (paths or postgresql:// URIs), in one read
 * transaction on from and one write transaction on to, verified before
 * it commits.  0; -EPROTO a schema version other than this program's or a
 * table it does not know (nothing written); -ENOTEMPTY to has rows and no
 * SK_COPY_FORCE; -EIO verification or the database failed (rolled back);
 * err says which, masked (sk_store_mask), in English and Japanese. */
int sk_store_copy(const char *from, const char *to, unsigned int flags,
		  void (*report)(const struct sk_copy_table *t, void *arg), void *arg,
		  char *err, size_t errlen);
/* The same rows and digests for one store, in one read transaction */
int sk_store_digest(const char *store, void (*report)(const struct sk_copy_table *t, void *arg),
		    void *arg, char *err, size_t errlen);

#endif
