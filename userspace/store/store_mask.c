// SPDX-License-Identifier: GPL-2.0
/* A store string fit for messages: any password replaced by "***". */
#include <stdio.h>
#include <string.h>

#include "store-impl.h"

/*
 * postgresql://user:SECRET@host/db?password=SECRET&sslmode=... ->
 * postgresql://user:***@host/db?password=***&sslmode=...  A path is
 * returned as it is.  Truncated to len, always terminated.
 */
void sk_store_mask(const char *store, char *out, size_t len)
{
	const char *p, *auth, *at, *colon, *q;
	size_t n = 0;

	if (!len)
		return;
	out[0] = '\0';
	if (!store)
		return;
	if (!sk_store_is_url(store)) {
		snprintf(out, len, "%s", store);
		return;
	}
#define PUT(s, l) do { size_t _l = (l); if (n + _l >= len) _l = len - 1 - n; \
		memcpy(out + n, (s), _l); n += _l; out[n] = '\0'; } while (0)
	auth = strstr(store, "://") + 3;
	PUT(store, (size_t)(auth - store));
	/* the authority ends at the first '/', '?' or '#'; the user info at its last '@' */
	p = auth + strcspn(auth, "/?#");
	at = NULL;
	for (q = auth; q < p; q++)
		if (*q == '@')
			at = q;
	if (at) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon) {
			PUT(auth, (size_t)(colon - auth));
			PUT(":***", 4);
		} else {
			PUT(auth, (size_t)(at - auth));
		}
		auth = at;
	}
	PUT(auth, (size_t)(p - auth));
	/* path and query: every password=VALUE parameter */
	while (*p) {
		const char *amp;

		q = p;
		if ((*q == '?' || *q == '&') && !strncmp(q + 1, "password=", 9)) {
			PUT(q, 10);
			PUT("***", 3);
			amp = strchr(q + 1, '&');
			p = amp ? amp : q + strlen(q);
			continue;
		}
		amp = strpbrk(q + 1, "?&");
		p = amp ? amp : q + strlen(q);
		PUT(q, (size_t)(p - q));
	}
#undef PUT
}
