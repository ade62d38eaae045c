// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the argon2id password hashes and the password policy
 * (userspace/auth/password.c).  Cheap parameters (t=1, m=1024 KiB) keep it
 * fast; one hash with the defaults checks they work. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <argon2.h>

#include "skauth.h"
#include "skstore.h"
#include "tap.h"

static struct tap t;

/* the cost of new password hashes follows the store's settings */
static void cost_settings(void)
{
	char dir[] = "/tmp/sk-pwcost-XXXXXX", path[64], err[256], h[SK_PW_HASH_MAX];
	struct sk_pw_params pp;
	struct sk_store *st;

	if (!mkdtemp(dir) || (snprintf(path, sizeof(path), "%s/s.db", dir),
			      sk_store_open(path, &st, err, sizeof(err)))) {
		tap_ok(&t, 0, "password cost: a scratch store");
		return;
	}
	sk_pw_params_load(st, &pp);
	tap_ok(&t, pp.m_cost_kib == 7168 && pp.t_cost == 5 && pp.parallelism == 1,
	       "password cost: OWASP's by default (t=5, 7 MiB, p=1)");
	sk_setting_set(st, "password.memory_kib", "19456", err, sizeof(err));
	sk_setting_set(st, "password.time_cost", "2", err, sizeof(err));
	sk_setting_set(st, "password.parallelism", "2", err, sizeof(err));
	sk_pw_params_load(st, &pp);
	tap_ok(&t, pp.m_cost_kib == 19456 && pp.t_cost == 2 && pp.parallelism == 2 &&
	       sk_pw_hash("Cost-test-1", &pp, h, sizeof(h)) == 0 &&
	       !strncmp(h, "$argon2id$v=19$m=19456,t=2,p=2$", 31),
	       "password cost: settings apply to new hashes (%.31s)", h);
	tap_ok(&t, sk_pw_verify(h, "Cost-test-1") == 0 && sk_pw_verify(h, "Cost-test-2") == -EACCES,
	       "password cost: a two-lane hash verifies");
	sk_store_close(st);
	unlink(path);
	rmdir(dir);
}

static void policy(const char *user, const char *pw, const char *want_why)
{
	const char *why = "unset";
	int rc = sk_pw_policy(user, pw, &why);

	if (want_why)
		tap_ok(&t, rc == -EINVAL && why && !strcmp(why, want_why),
		       "policy \"%s\" refused: %s (want %s)", pw ? pw : "(null)", why ? why : "NULL", want_why);
	else
		tap_ok(&t, rc == 0 && !why, "policy \"%s\" accepted (rc %d, why %s)", pw, rc,
		       why ? why : "NULL");
}

int main(void)
{
	const struct sk_pw_params cheap = { .t_cost = 1, .m_cost_kib = 1024, .parallelism = 1 };
	char h[SK_PW_HASH_MAX], h2[SK_PW_HASH_MAX], bad[SK_PW_HASH_MAX + 64];
	int rc;

	tap_begin();
	cost_settings();
	rc = sk_pw_hash("Correct horse 1", &cheap, h, sizeof(h));
	tap_ok(&t, rc == 0, "hash: %s", rc ? "error" : h);
	tap_ok(&t, !strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30), "encoded argon2id with the parameters");
	tap_ok(&t, sk_pw_verify(h, "Correct horse 1") == 0, "verify the right password");
	tap_ok(&t, sk_pw_verify(h, "Correct horse 2") == -EACCES, "wrong password -EACCES");
	tap_ok(&t, sk_pw_verify(h, "") == -EACCES, "empty password -EACCES");
	tap_ok(&t, sk_pw_verify(h, NULL) == -EACCES, "NULL password -EACCES");
	rc = sk_pw_hash("Correct horse 1", &cheap, h2, sizeof(h2));
	tap_ok(&t, rc == 0 && strcmp(h, h2) != 0, "same password, different salt, different hash");
	tap_ok(&t, sk_pw_verify(h2, "Correct horse 1") == 0, "second hash verifies too");

	/* UTF-8 passwords */
	rc = sk_pw_hash("パスワード2024", &cheap, h2, sizeof(h2));
	tap_ok(&t, rc == 0 && sk_pw_verify(h2, "パスワード2024") == 0 &&
		   sk_pw_verify(h2, "パスワード2025") == -EACCES, "Japanese password round trip");

	/* sk_pw_verify computes with its own allocator (argon2_ctx): it must
	 * agree with libargon2's own verification for every cost it takes */
	{
		static const struct sk_pw_params costs[] = {
			{ 1, 1024, 1 }, { 2, 2048, 2 }, { 3, 4096, 4 },
		};
		bool agree = true;

		for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
			const char *pw[] = { "Correct horse 1", "correct horse 1", "" };

			if (sk_pw_hash("Correct horse 1", &costs[i], h2, sizeof(h2))) {
				agree = false;
				continue;
			}
			for (size_t k = 0; k < 3; k++) {
				bool ours = sk_pw_verify(h2, pw[k]) == 0;
				bool lib = argon2id_verify(h2, pw[k], strlen(pw[k])) == ARGON2_OK;

				if (ours != lib || ours != (k == 0))
					agree = false;
			}
		}
		tap_ok(&t, agree, "sk_pw_verify agrees with argon2id_verify (3 costs x 3 passwords)");
	}

	/* hashes written by libargon2 itself (stores made before sk_pw_hash
	 * encoded its own) still verify, through the arena at a new size */
	{
		static const uint8_t salt[16] = "sekisho-salt-16b";
		char lib[SK_PW_HASH_MAX];

		rc = argon2id_hash_encoded(2, 8192, 2, "Correct horse 1", 15, salt, sizeof(salt), 32,
					   lib, sizeof(lib));
		tap_ok(&t, rc == ARGON2_OK && sk_pw_verify(lib, "Correct horse 1") == 0 &&
			   sk_pw_verify(lib, "Correct horse 2") == -EACCES,
		       "a libargon2-encoded hash verifies (m=8192 after smaller ones)");
		/* smaller again: the kept area is reused */
		tap_ok(&t, sk_pw_verify(h, "Correct horse 1") == 0, "back to m=1024 in the kept area");
	}

	/* a forked child does not inherit the kept area (MADV_DONTFORK): its
	 * first hash maps its own instead of touching the parent's address */
	{
		pid_t pid = fork();
		int st = -1;
		bool waited;

		if (pid == 0)
			_exit(sk_pw_verify(h, "Correct horse 1") == 0 &&
			      sk_pw_verify(h, "Correct horse 2") == -EACCES ? 0 : 1);
		waited = pid > 0 && waitpid(pid, &st, 0) == pid;
		tap_ok(&t, waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "a forked child verifies (status %d)", st);
		sk_pw_release();
		tap_ok(&t, sk_pw_verify(h, "Correct horse 1") == 0, "verifies again after sk_pw_release");
		sk_pw_release();
	}

	/* malformed hashes */
	tap_ok(&t, sk_pw_verify("", "x") == -EINVAL, "empty hash -EINVAL");
	tap_ok(&t, sk_pw_verify(NULL, "x") == -EINVAL, "NULL hash -EINVAL");
	tap_ok(&t, sk_pw_verify("plaintext", "plaintext") == -EINVAL, "not a hash -EINVAL");
	/* every shortening, whatever the spare bits of the last character */
	rc = 0;
	for (int cut = 1; cut <= 12; cut++) {
		snprintf(bad, sizeof(bad), "%s", h);
		bad[strlen(bad) - cut] = '\0';
		if (sk_pw_verify(bad, "Correct horse 1") != -EINVAL)
			rc = -1;
	}
	tap_ok(&t, rc == 0, "truncated hash (1..12 characters cut) -EINVAL");
	snprintf(bad, sizeof(bad), "$argon2i%s", h + 9);
	tap_ok(&t, sk_pw_verify(bad, "Correct horse 1") == -EINVAL, "argon2i hash -EINVAL");
	tap_ok(&t, sk_pw_verify("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
				"x") == -EINVAL, "4 GiB memory cost refused -EINVAL");
	tap_ok(&t, sk_pw_verify("$argon2id$v=19$m=1024,t=1,p=1$!!!$!!!", "x") == -EINVAL,
	       "bad base64 -EINVAL");

	/* hashing refusals */
	tap_ok(&t, sk_pw_hash("x", &cheap, h2, 20) == -ENOSPC, "short output buffer -ENOSPC");
	{
		const struct sk_pw_params zero = { 0, 1024, 1 };

		tap_ok(&t, sk_pw_hash("x", &zero, h2, sizeof(h2)) == -EINVAL, "t=0 -EINVAL");
	}

	/* the defaults (t=5, 7 MiB): one round trip */
	rc = sk_pw_hash("Default params 9", NULL, h2, sizeof(h2));
	tap_ok(&t, rc == 0 && !strncmp(h2, "$argon2id$v=19$m=7168,t=5,p=1$", 30),
	       "default parameters: %s", rc ? "error" : h2);
	tap_ok(&t, sk_pw_verify(h2, "Default params 9") == 0, "default-parameter hash verifies");

	/* policy */
	policy("alice", "Abcdef1", "too-short");
	policy("alice", "", "too-short");
	policy("alice", NULL, "too-short");
	policy("alice", "パスワード", "too-short");	/* 5 characters, 15 bytes */
	policy("alice", "abcdefgh", "too-simple");
	policy("alice", "12345678", "too-simple");
	policy("alice", "ABCDEFGHIJ", "too-simple");
	policy("alice1234", "Alice1234", "same-as-user");
	policy("alice1234", "alice1234", "same-as-user");
	policy("alice", "abcdefg1", NULL);
	policy("alice", "abcd efgh", NULL);	/* space counts as a symbol */
	policy("alice", "パスワードabc", NULL);	/* 8 characters, two classes */
	policy("alice", "Abcdefgh", NULL);
	policy(NULL, "Abcdefgh", NULL);
	return tap_end(&t);
}
