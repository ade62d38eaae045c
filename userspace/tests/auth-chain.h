/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the login chain's tests (auth-chain-login-test, auth-ad-test):
 * one round with name/value pairs, and a look into the audit trail. */
#ifndef SK_AUTH_CHAIN_TEST_H
#define SK_AUTH_CHAIN_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skchain.h"
#include "skstore.h"

/* a shell command made with printf's format: system()'s status */
__attribute__((format(printf, 1, 2)))
static inline int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* one round at now with up to three name/value pairs (NULL-terminated) */
static inline enum sk_step chain_step(struct sk_login *l, int64_t now, const char *group,
				      struct sk_form *f, ...)
{
	const char *names[4], *values[4];
	int n = 0;
	va_list ap;

	va_start(ap, f);
	while (n < 3) {
		const char *k = va_arg(ap, const char *);

		if (!k)
			break;
		names[n] = k;
		values[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	return sk_login_step(l, now, group, n, names, values, f);
}

static inline int chain_audit_fn(const struct sk_audit *a, void *arg)
{
	const char **want = arg;

	if (strstr(a->detail, want[0]))
		want[1] = "found";
	return 0;
}

/* an audit record of type whose detail holds text */
static inline bool chain_audited(struct sk_store *st, const char *type, const char *text)
{
	struct sk_audit_filter flt = { .type = type };
	const char *want[2] = { text, NULL };

	(void)sk_audit_list(st, &flt, chain_audit_fn, want);
	return want[1] != NULL;
}

#endif
