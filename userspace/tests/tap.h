/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP producer for the userspace unit tests. */
#ifndef SK_USER_TAP_H
#define SK_USER_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	int n, failed;
};

__attribute__((format(printf, 3, 4)))
static inline bool tap_ok(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	t->n++;
	if (!cond)
		t->failed++;
	printf("%sok %d - ", cond ? "" : "not ", t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/* a test that does not apply here: "ok N - what # SKIP why" */
static inline void tap_skip(struct tap *t, const char *what, const char *why)
{
	t->n++;
	printf("ok %d - %s # SKIP %s\n", t->n, what, why);
	fflush(stdout);
}

static inline void tap_begin(void)
{
	printf("TAP version 13\n");
}

static inline int tap_end(struct tap *t)
{
	printf("1..%d\n# %d passed, %d failed\n", t->n, t->n - t->failed,
	       t->failed);
	return t->failed ? 1 : 0;
}

#endif /* SK_USER_TAP_H */
