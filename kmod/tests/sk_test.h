/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thin macro layer so that one test source runs as a KUnit suite inside
 * the kernel (module sekisho_kunit) and as a TAP program on the host
 * (tests/unit, through tests/unit/sk_tap.h).  Only what both sides can do:
 *
 *	SK_TEST(fn)		a test case; the context is "struct sk_test *test"
 *	SK_EXPECT(c), SK_EXPECT_EQ(a, b), SK_EXPECT_MSG(c, fmt, ...)
 *	SK_ASSERT(c), SK_ASSERT_MSG(c, fmt, ...)   abort the case on failure
 *	SK_FAIL(fmt, ...)	record a failure and go on
 *	SK_INFO(fmt, ...)	a diagnostic line
 *	SK_ALLOC(n, size)	zeroed memory freed when the case ends
 *	SK_SUITE(name, SK_CASE(fn), ...)
 *
 * Random data comes from a local xorshift64* with a fixed seed, so a
 * failure reproduces on both sides.
 */
#ifndef _SEKISHO_SK_TEST_H
#define _SEKISHO_SK_TEST_H

#ifdef __KERNEL__
#include <kunit/test.h>
#include <linux/module.h>

/* the context of a case: struct kunit here, struct sk_test on the host */
#define sk_test kunit

#define SK_TEST(fn)		static void fn(struct kunit *test)
#define SK_EXPECT(c)		KUNIT_EXPECT_TRUE(test, c)
#define SK_EXPECT_MSG(c, fmt, ...) \
	KUNIT_EXPECT_TRUE_MSG(test, c, fmt, ##__VA_ARGS__)
#define SK_EXPECT_EQ(a, b) \
	KUNIT_EXPECT_EQ(test, (long long)(a), (long long)(b))
#define SK_ASSERT(c)		KUNIT_ASSERT_TRUE(test, c)
#define SK_ASSERT_MSG(c, fmt, ...) \
	KUNIT_ASSERT_TRUE_MSG(test, c, fmt, ##__VA_ARGS__)
#define SK_FAIL(fmt, ...)	KUNIT_FAIL(test, fmt, ##__VA_ARGS__)
#define SK_INFO(fmt, ...)	kunit_info(test, fmt, ##__VA_ARGS__)
#define SK_ALLOC(n, size)	kunit_kcalloc(test, n, size, GFP_KERNEL)
#define SK_CASE(fn)		KUNIT_CASE(fn)
#define SK_SUITE(sname, ...)						\
	static struct kunit_case sname##_cases[] = { __VA_ARGS__, {} };	\
	static struct kunit_suite sname##_suite = {			\
		.name = #sname,						\
		.test_cases = sname##_cases,				\
	};								\
	kunit_test_suite(sname##_suite)

#else /* userspace */
#include "../../tests/unit/sk_tap.h"
#endif

/* xorshift64* (Vigna); state must not be 0 */
struct sk_rng {
	u64 s;
};

static inline void sk_rng_seed(struct sk_rng *r, u64 seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline u64 sk_rand64(struct sk_rng *r)
{
	u64 x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline u32 sk_rand32(struct sk_rng *r)
{
	return (u32)(sk_rand64(r) >> 32);
}

/* uniform enough in [0, n) for test data; n > 0 */
static inline u32 sk_below(struct sk_rng *r, u32 n)
{
	return (u32)(((u64)sk_rand32(r) * n) >> 32);
}

/* true with probability pct / 100 */
static inline bool sk_chance(struct sk_rng *r, u32 pct)
{
	return sk_below(r, 100) < pct;
}

#endif /* _SEKISHO_SK_TEST_H */
