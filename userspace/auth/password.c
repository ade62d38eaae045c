// SPDX-License-Identifier: GPL-2.0
/*
 * skauth passwords: argon2id encoded hashes (libargon2) and the password
 * policy.
 *
 * The encoded form "$argon2id$v=19$m=..,t=..,p=..$salt$hash" carries its own
 * parameters, so raising sk_pw_default later does not break stored hashes:
 * old ones keep verifying with the parameters they were made with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "skauth.h"
#include "skstore.h"

/* OWASP's minimum for argon2id in its memory-light form: 7 MiB, 5 passes,
 * one lane (the default of Keycloak too).  OWASP lists it as equal in
 * defence to 19 MiB with 2 passes; it is the faster of the two here and
 * keeps the memory of each hash, which anyone can start before logging
 * in, small.  Why not RFC 9106's 64 MiB, 3 passes:
 * Documentation/decisions/password-cost.md. */
const struct sk_pw_params sk_pw_default = { .t_cost = 5, .m_cost_kib = 7168, .parallelism = 1 };

#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
/* a password longer than this is refused before hashing: argon2 itself
 * would take it, but there is no reason to let a client post megabytes */
#define PW_MAX_LEN 1024
/* unpadded base64 length of n bytes */
#define B64_LEN(n) (((n) * 4 + 2) / 3)
/* bounds on parameters read back from an encoded hash: a corrupted or
 * planted row must not make a login allocate gigabytes or spin for minutes */
#define PW_MAX_M_KIB (1024u * 1024u)	/* 1 GiB */
#define PW_MAX_T 64u
#define PW_MAX_P 16u

static bool params_ok(uint32_t t, uint32_t m, uint32_t p)
{
	return t >= 1 && t <= PW_MAX_T && p >= 1 && p <= PW_MAX_P &&
	       m >= 8 * p && m <= PW_MAX_M_KIB;
}

void sk_pw_params_load(struct sk_store *st, struct sk_pw_params *p)
{
	*p = sk_pw_default;
	if (!st)
		return;
	p->m_cost_kib = (uint32_t)sk_setting_int(st, "password.memory_kib", (int)p->m_cost_kib);
	p->t_cost = (uint32_t)sk_setting_int(st, "password.time_cost", (int)p->t_cost);
	p->parallelism = (uint32_t)sk_setting_int(st, "password.parallelism", (int)p->parallelism);
	if (!params_ok(p->t_cost, p->m_cost_kib, p->parallelism))
		*p = sk_pw_default;
}

struct pw_encoded {
	uint32_t m, t, p;
	uint8_t salt[PW_SALT_LEN];
	uint8_t tag[PW_HASH_LEN];
};

/* Strict unpadded base64 of exactly n bytes: decoded with OpenSSL, then
 * encoded again and compared, so a character with stray spare bits or any
 * other non-canonical spelling is refused. */
static bool b64_exact(const char *in, size_t inlen, uint8_t *out, size_t n)
{
	unsigned char padded[64], dec[48], again[68];
	size_t plen = (inlen + 3) / 4 * 4;
	int dl;

	if (inlen != B64_LEN(n) || plen > sizeof(padded) || n > sizeof(dec) - 2)
		return false;
	memcpy(padded, in, inlen);
	memset(padded + inlen, '=', plen - inlen);
	dl = EVP_DecodeBlock(dec, padded, (int)plen);
	if (dl < (int)n)
		return false;
	EVP_EncodeBlock(again, dec, (int)n);
	if (memcmp(again, padded, plen)) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return false;
	}
	memcpy(out, dec, n);
	OPENSSL_cleanse(dec, sizeof(dec));
	return true;
}

/* Parses "$argon2id$v=19$m=M,t=T,p=P$SALT$TAG": only what sk_pw_hash
 * writes (a 16-byte salt, a 32-byte tag), with the cost bounded before
 * anything is allocated.  A shortened or otherwise damaged row is corrupt,
 * not a wrong password. */
static bool pw_decode(const char *enc, struct pw_encoded *e)
{
	unsigned int v, m, t, p;
	const char *salt, *tag;
	int used = 0;

	if (strncmp(enc, "$argon2id$", 10) != 0)
		return false;
	if (sscanf(enc + 10, "v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &p, &used) != 4 || !used)
		return false;
	if (v != ARGON2_VERSION_13 || !params_ok(t, m, p))
		return false;
	salt = enc + 10 + used;
	tag = strchr(salt, '$');
	if (!tag || !b64_exact(salt, (size_t)(tag - salt), e->salt, sizeof(e->salt)) ||
	    !b64_exact(tag + 1, strlen(tag + 1), e->tag, sizeof(e->tag)))
		return false;
	e->m = m;
	e->t = t;
	e->p = p;
	return true;
}

/*
 * argon2id's working memory (7 MiB by default) comes from here and not
 * from malloc:
 *  - MADV_DONTFORK keeps it out of every process forked while a hash runs.
 *    sekishod hashes on threads and forks a worker per connection; with
 *    malloc, a worker forked mid-hash kept a copy of the matrix (derived
 *    from a user's password) for its whole life.
 *  - Each thread keeps its area between hashes (pw_arena).  A fresh mapping
 *    per hash cost a page fault and a zeroed page for every 4 KiB, a third
 *    of the hash's time under emulation and a tenth natively; the hashing
 *    threads are few (conf hash_threads), so what stays mapped is bounded
 *    by their number times the largest cost they have met.
 * libargon2 wipes the memory before it hands it back (free_memory() clears
 * it before calling free_cbk), so nothing derived from a password stays in
 * the kept area between hashes.
 */
struct pw_arena {
	uint8_t *mem;
	size_t len;
	pid_t pid;	/* the mapping is not inherited: a forked child starts over */
	bool busy;
};

static _Thread_local struct pw_arena pw_arena;

static int pw_alloc(uint8_t **memory, size_t bytes)
{
	struct pw_arena *a = &pw_arena;
	void *p;

	*memory = NULL;
	if (a->mem && a->pid != getpid())
		*a = (struct pw_arena){ 0 };	/* MADV_DONTFORK: not mapped here */
	if (a->busy)
		return -1;
	if (a->mem && a->len >= bytes) {
		a->busy = true;
		*memory = a->mem;
		return 0;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (madvise(p, bytes, MADV_DONTFORK)) {
		munmap(p, bytes);
		return -1;
	}
	if (a->mem)
		munmap(a->mem, a->len);
	*a = (struct pw_arena){ .mem = p, .len = bytes, .pid = getpid(), .busy = true };
	*memory = p;
	return 0;
}

static void pw_free(uint8_t *memory, size_t bytes)
{
	if (memory == pw_arena.mem)
		pw_arena.busy = false;	/* already wiped by libargon2 */
	else
		munmap(memory, bytes);
}

void sk_pw_release(void)
{
	struct pw_arena *a = &pw_arena;

	if (a->mem && a->pid == getpid() && !a->busy)
		munmap(a->mem, a->len);
	*a = (struct pw_arena){ 0 };
}

/* argon2id of password and salt into out[PW_HASH_LEN], in the calling
 * thread's arena; p lanes on p threads, as the hash was made */
static int pw_argon2(const char *password, size_t pwlen, const uint8_t *salt,
		     uint32_t t, uint32_t m, uint32_t p, uint8_t *out)
{
	argon2_context ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = PW_HASH_LEN;
	ctx.pwd = (uint8_t *)password;	/* not written: no ARGON2_FLAG_CLEAR_PASSWORD */
	ctx.pwdlen = (uint32_t)pwlen;
	ctx.salt = (uint8_t *)salt;
	ctx.saltlen = PW_SALT_LEN;
	ctx.t_cost = t;
	ctx.m_cost = m;
	ctx.lanes = p;
	ctx.threads = p;
	ctx.version = ARGON2_VERSION_13;
	ctx.allocate_cbk = pw_alloc;
	ctx.free_cbk = pw_free;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	rc = argon2_ctx(&ctx, Argon2_id);
	if (rc == ARGON2_OK)
		return 0;
	OPENSSL_cleanse(out, PW_HASH_LEN);
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
}

/* unpadded base64 of n bytes into out (room for B64_LEN(n) + 1) */
static void b64_put(char *out, const uint8_t *in, size_t n)
{
	unsigned char buf[68];
	size_t len = B64_LEN(n);

	EVP_EncodeBlock(buf, in, (int)n);
	memcpy(out, buf, len);
	out[len] = '\0';
}

int sk_pw_hash(const char *password, const struct sk_pw_params *p, char *out, size_t outlen)
{
	uint8_t salt[PW_SALT_LEN], tag[PW_HASH_LEN];
	char s64[B64_LEN(PW_SALT_LEN) + 1], t64[B64_LEN(PW_HASH_LEN) + 1];
	size_t pwlen, need;
	int rc, n;

	if (!password || !out)
		return -EINVAL;
	if (!p)
		p = &sk_pw_default;
	pwlen = strlen(password);
	if (pwlen > PW_MAX_LEN || !params_ok(p->t_cost, p->m_cost_kib, p->parallelism))
		return -EINVAL;
	need = argon2_encodedlen(p->t_cost, p->m_cost_kib, p->parallelism, PW_SALT_LEN,
				 PW_HASH_LEN, Argon2_id);
	if (need > outlen || need > SK_PW_HASH_MAX)
		return -ENOSPC;
	rc = sk_random(salt, sizeof(salt));
	if (rc)
		return rc;
	rc = pw_argon2(password, pwlen, salt, p->t_cost, p->m_cost_kib, p->parallelism, tag);
	if (!rc) {
		b64_put(s64, salt, sizeof(salt));
		b64_put(t64, tag, sizeof(tag));
		n = snprintf(out, outlen, "$argon2id$v=%d$m=%u,t=%u,p=%u$%s$%s", ARGON2_VERSION_13,
			     p->m_cost_kib, p->t_cost, p->parallelism, s64, t64);
		if (n < 0 || (size_t)n >= outlen)
			rc = -ENOSPC;
	}
	sk_wipe(salt, sizeof(salt));
	sk_wipe(tag, sizeof(tag));
	sk_wipe(t64, sizeof(t64));
	if (rc)
		sk_wipe(out, outlen);
	return rc;
}

int sk_pw_verify(const char *encoded, const char *password)
{
	struct pw_encoded e;
	uint8_t out[PW_HASH_LEN];
	size_t pwlen;
	int rc;

	if (!encoded || strnlen(encoded, SK_PW_HASH_MAX + 1) > SK_PW_HASH_MAX ||
	    !pw_decode(encoded, &e))
		return -EINVAL;
	if (!password)
		return -EACCES;
	pwlen = strlen(password);
	if (pwlen > PW_MAX_LEN)
		return -EACCES;	/* could never have been set: a plain mismatch */
	rc = pw_argon2(password, pwlen, e.salt, e.t, e.m, e.p, out);
	if (!rc)
		rc = CRYPTO_memcmp(out, e.tag, sizeof(out)) ? -EACCES : 0;
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

/* number of UTF-8 code points (a Japanese character counts as one) */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a, cb = *b;

		if (ca >= 'A' && ca <= 'Z')
			ca = (char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
	}
	return *a == *b;
}

int sk_pw_policy(const char *user, const char *password, const char **why)
{
	bool lower = false, upper = false, digit = false, other = false;
	const char *s;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!password || utf8_chars(password) < 8) {
		*why = "too-short";
		return -EINVAL;
	}
	if (strlen(password) > PW_MAX_LEN) {
		/* no "too-long" key in the contract; such a password is
		 * refused as too simple to type rather than hashed */
		*why = "too-simple";
		return -EINVAL;
	}
	for (s = password; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			other = true;	/* ASCII symbols, spaces and non-ASCII */
	}
	if (lower + upper + digit + other < 2) {
		*why = "too-simple";
		return -EINVAL;
	}
	/* case-insensitive: "Alice123" for user "alice123" is no better */
	if (user && *user && ascii_caseeq(user, password)) {
		*why = "same-as-user";
		return -EINVAL;
	}
	return 0;
}
