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

#include <argon2.h>

#include "skauth.h"
#include "skstore.h"

/* RFC 9106 section 4, second recommended option is t=3, m=64 MiB, p=4;
 * p=1 because sekishod hashes in one thread per login and the gateway may
 * run several logins at once on few cores. */
const struct sk_pw_params sk_pw_default = { .t_cost = 3, .m_cost_kib = 65536, .parallelism = 1 };

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
	if (!params_ok(p->t_cost, p->m_cost_kib, p->parallelism))
		*p = sk_pw_default;
}

int sk_pw_hash(const char *password, const struct sk_pw_params *p, char *out, size_t outlen)
{
	unsigned char salt[PW_SALT_LEN];
	size_t pwlen, need;
	int rc;

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
	rc = argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism, password, pwlen,
				   salt, sizeof(salt), PW_HASH_LEN, out, outlen);
	sk_wipe(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		sk_wipe(out, outlen);
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* Reads m, t, p from "$argon2id$v=19$m=M,t=T,p=P$..." to bound them before
 * argon2 allocates anything.  libargon2 decodes the rest strictly. */
static bool encoded_params_ok(const char *enc)
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
	/* Only what sk_pw_hash writes: a 16-byte salt and a 32-byte tag,
	 * unpadded base64.  libargon2 alone would take a shortened tag whose
	 * spare bits happen to be zero and then report a mismatch; a row
	 * damaged that way is corrupt, not a wrong password. */
	salt = enc + 10 + used;
	tag = strchr(salt, '$');
	return tag && (size_t)(tag - salt) == B64_LEN(PW_SALT_LEN) &&
	       strlen(tag + 1) == B64_LEN(PW_HASH_LEN);
}

int sk_pw_verify(const char *encoded, const char *password)
{
	size_t pwlen;
	int rc;

	if (!encoded || strnlen(encoded, SK_PW_HASH_MAX + 1) > SK_PW_HASH_MAX ||
	    !encoded_params_ok(encoded))
		return -EINVAL;
	if (!password)
		return -EACCES;
	pwlen = strlen(password);
	if (pwlen > PW_MAX_LEN)
		return -EACCES;	/* could never have been set: a plain mismatch */
	/* argon2id_verify recomputes and compares in constant time */
	rc = argon2id_verify(encoded, password, pwlen);
	switch (rc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return -EACCES;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	default:	/* decoding failures, bad salt/hash lengths */
		return -EINVAL;
	}
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
