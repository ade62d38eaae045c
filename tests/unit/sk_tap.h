/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace side of kmod/tests/sk_test.h: runs the cases of one suite and
 * prints TAP ("1..N", "ok N - name", "not ok N - name", diagnostics as
 * "# ..." lines).  SK_ASSERT aborts the case with longjmp, as a KUnit
 * assertion does; memory from SK_ALLOC is released when the case ends,
 * and a case that leaves kvmalloc memory of the code under test behind
 * fails.  Include from exactly one translation unit per program.
 *
 * SK_FILTER=substring in the environment runs only matching cases.
 */
#ifndef _SEKISHO_SK_TAP_H
#define _SEKISHO_SK_TAP_H

#include "kshim.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

long kshim_fail_alloc_after = -1;
unsigned long kshim_live_allocs;

struct sk_test {
	const char *name;
	int failures;
	jmp_buf abort;
	void **allocs;
	size_t nallocs;
};

struct sk_case {
	const char *name;
	void (*fn)(struct sk_test *test);
};

__attribute__((format(printf, 4, 5)))
static void sk_report(struct sk_test *t, const char *file, int line,
		      const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	printf("    # %s: %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void *sk_alloc(struct sk_test *t, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	void **a;

	if (!p)
		return NULL;
	a = realloc(t->allocs, (t->nallocs + 1) * sizeof(*a));
	if (!a) {
		free(p);
		return NULL;
	}
	t->allocs = a;
	t->allocs[t->nallocs++] = p;
	return p;
}

#define SK_TEST(fn)		static void fn(struct sk_test *test)
#define SK_FAIL(...)		sk_report(test, __FILE__, __LINE__, __VA_ARGS__)
#define SK_EXPECT(c)		do { if (!(c)) SK_FAIL("expected %s", #c); } while (0)
#define SK_EXPECT_MSG(c, ...)	do { if (!(c)) SK_FAIL(__VA_ARGS__); } while (0)
#define SK_EXPECT_EQ(a, b)						\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b)						\
			SK_FAIL("expected %s == %s (%lld != %lld)",	\
				#a, #b, _a, _b);			\
	} while (0)
#define SK_ASSERT(c)							\
	do {								\
		if (!(c)) {						\
			SK_FAIL("assertion %s", #c);			\
			longjmp(test->abort, 1);			\
		}							\
	} while (0)
#define SK_ASSERT_MSG(c, ...)						\
	do {								\
		if (!(c)) {						\
			SK_FAIL(__VA_ARGS__);				\
			longjmp(test->abort, 1);			\
		}							\
	} while (0)
#define SK_INFO(...)							\
	do { printf("    # "); printf(__VA_ARGS__); printf("\n"); } while (0)
#define SK_ALLOC(n, size)	sk_alloc(test, n, size)
#define SK_CASE(fn)		{ #fn, fn }

/* run one case; returns its number of failures */
static int sk_run_one(const struct sk_case *c)
{
	/* static: its fields change between setjmp() and longjmp() */
	static struct sk_test t;
	static unsigned long live;
	size_t j;

	memset(&t, 0, sizeof(t));
	t.name = c->name;
	live = kshim_live_allocs;
	if (!setjmp(t.abort)) {
		c->fn(&t);
		if (kshim_live_allocs != live)
			sk_report(&t, __FILE__, __LINE__,
				  "%ld allocations of the code under test not freed",
				  (long)(kshim_live_allocs - live));
	}
	kshim_fail_alloc_after = -1;
	for (j = 0; j < t.nallocs; j++)
		free(t.allocs[j]);
	free(t.allocs);
	return t.failures;
}

static int sk_run(const char *suite, const struct sk_case *c, size_t n)
{
	const char *filter = getenv("SK_FILTER");
	int failed = 0;
	size_t i;

	printf("# suite %s\n1..%zu\n", suite, n);
	for (i = 0; i < n; i++) {
		int f;

		if (filter && !strstr(c[i].name, filter)) {
			printf("ok %zu - %s # SKIP filtered\n", i + 1, c[i].name);
			continue;
		}
		f = sk_run_one(&c[i]);
		printf("%sok %zu - %s\n", f ? "not " : "", i + 1, c[i].name);
		fflush(stdout);
		if (f)
			failed++;
	}
	if (failed)
		printf("# %s: %d of %zu failed\n", suite, failed, n);
	return failed ? 1 : 0;
}

#define SK_SUITE(sname, ...)						\
	static const struct sk_case sname##_cases[] = { __VA_ARGS__ };	\
	int main(void)							\
	{								\
		return sk_run(#sname, sname##_cases,			\
			      ARRAY_SIZE(sname##_cases));		\
	}

#endif /* _SEKISHO_SK_TAP_H */
