// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "store-impl.h"

int sk_pg_open(const char *uri, struct sk_store **st, char *err, size_t errlen)
{
	char m[512];

	*st = NULL;
	sk_store_mask(uri, m, sizeof(m));
	sk_err(err, errlen, "%s: the PostgreSQL backend is not complete yet", m);
	return -ENOTSUP;
}
