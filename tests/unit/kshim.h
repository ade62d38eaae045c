/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the few kernel facilities that the pure datapath
 * files (kmod/replay.c, kmod/allowlist.c, kmod/record.c) use.  Included only
 * through kmod/pure.h when __KERNEL__ is not defined.  Semantics follow the
 * kernel's: kvmalloc may fail (see kshim_fail_alloc_after), ERR_PTR encodes
 * -errno in the top page of the address space, bitmaps are arrays of
 * unsigned long with bit n in word n / BITS_PER_LONG.
 */
#ifndef _SEKISHO_KSHIM_H
#define _SEKISHO_KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <netinet/in.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef unsigned int gfp_t;

#define GFP_KERNEL	0x1u
#define GFP_ATOMIC	0x2u
#define __GFP_ZERO	0x100u

#define BITS_PER_LONG	((int)(sizeof(long) * CHAR_BIT))
#define BITS_PER_BYTE	8
#define BIT(nr)		(1UL << (nr))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define roundup(x, y)	((((x) + ((y) - 1)) / (y)) * (y))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))

/* ---- error pointers ---- */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* ---- allocation ---- */
/*
 * Fault injection for the unit tests: when kshim_fail_alloc_after is >= 0,
 * that many allocations succeed and every later one fails.
 */
extern long kshim_fail_alloc_after;
extern unsigned long kshim_live_allocs;

static inline void *kshim_alloc(size_t size, gfp_t gfp)
{
	void *p;

	if (kshim_fail_alloc_after == 0)
		return NULL;
	if (kshim_fail_alloc_after > 0)
		kshim_fail_alloc_after--;
	p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p)
		kshim_live_allocs++;
	return p;
}

static inline void kshim_free(const void *p)
{
	if (p) {
		kshim_live_allocs--;
		free((void *)p);
	}
}

static inline void *kvmalloc(size_t size, gfp_t gfp) { return kshim_alloc(size, gfp); }
static inline void *kvzalloc(size_t size, gfp_t gfp) { return kshim_alloc(size, gfp | __GFP_ZERO); }
static inline void *kmalloc(size_t size, gfp_t gfp) { return kshim_alloc(size, gfp); }
static inline void *kzalloc(size_t size, gfp_t gfp) { return kshim_alloc(size, gfp | __GFP_ZERO); }
static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kshim_alloc(n * size, gfp);
}
static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kshim_alloc(n * size, gfp | __GFP_ZERO);
}
static inline void kvfree(const void *p) { kshim_free(p); }
static inline void kfree(const void *p) { kshim_free(p); }

/* ---- sort: the kernel's sort() is a heapsort with an optional swap ---- */
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *),
			void (*swap)(void *, void *, int))
{
	(void)swap;
	qsort(base, num, size, cmp);
}

/* ---- byte order and unaligned access ---- */
static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline u64 get_unaligned_be48(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_be16(b) << 32 | get_unaligned_be32(b + 2);
}

static inline u64 get_unaligned_be64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_be32(b) << 32 | get_unaligned_be32(b + 4);
}

static inline void put_unaligned_be16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)(v >> 8);
	b[1] = (u8)v;
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)(v >> 24);
	b[1] = (u8)(v >> 16);
	b[2] = (u8)(v >> 8);
	b[3] = (u8)v;
}

static inline void put_unaligned_be48(u64 v, void *p)
{
	u8 *b = p;

	put_unaligned_be16((u16)(v >> 32), b);
	put_unaligned_be32((u32)v, b + 2);
}

static inline void put_unaligned_be64(u64 v, void *p)
{
	u8 *b = p;

	put_unaligned_be32((u32)(v >> 32), b);
	put_unaligned_be32((u32)v, b + 4);
}

static inline u32 be32_to_cpu(__be32 v) { return get_unaligned_be32(&v); }
static inline __be32 cpu_to_be32(u32 v) { __be32 r; put_unaligned_be32(v, &r); return r; }
static inline u16 be16_to_cpu(__be16 v) { return get_unaligned_be16(&v); }
static inline __be16 cpu_to_be16(u16 v) { __be16 r; put_unaligned_be16(v, &r); return r; }

/* ---- bitmaps (non-atomic variants only; callers serialise) ---- */
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1UL;
}

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int nbits)
{
	while (nbits && start % BITS_PER_LONG) {
		__clear_bit(start++, map);
		nbits--;
	}
	while (nbits >= (unsigned int)BITS_PER_LONG) {
		map[BIT_WORD(start)] = 0;
		start += BITS_PER_LONG;
		nbits -= BITS_PER_LONG;
	}
	while (nbits) {
		__clear_bit(start++, map);
		nbits--;
	}
}

#endif /* _SEKISHO_KSHIM_H */
