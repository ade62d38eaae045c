// SPDX-License-Identifier: GPL-2.0
/*
 * store: directories (schema version 7): names, KEY=VALUE settings, the
 * directory of a group, refusals.  SQLite by default, PostgreSQL with
 * SK_TEST_STORE (store-test.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skstore.h"
#include "store-test.h"
#include "tap.h"

static struct tap t;

struct collect { char text[2048]; int n; };

static int name_fn(const char *name, void *arg)
{
	struct collect *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%s;", name);
	c->n++;
	return 0;
}

static int kv_fn(const char *key, const char *val, void *arg)
{
	struct collect *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%s=%s;", key, val);
	c->n++;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/sk-dirtest.XXXXXX", path[1024], err[256], out[SK_NAME_MAX + 1];
	struct sk_store *st = NULL;
	struct collect c;
	struct sk_group g;

	tap_begin();
	if (!mkdtemp(dir) || !test_store(dir, "store.db", path, sizeof(path)))
		return 1;
	tap_ok(&t, sk_store_open(path, &st, err, sizeof(err)) == 0, "open (%s)", err);
	if (!st)
		return tap_end(&t);
	tap_ok(&t, sk_store_schema_version(st) >= 7, "schema version %d", sk_store_schema_version(st));
	tap_ok(&t, sk_directory_add(st, "corp", err, sizeof(err)) == 0, "add corp");
	tap_ok(&t, sk_directory_add(st, "corp", err, sizeof(err)) == -EEXIST && strstr(err, "exists"),
	       "add corp again: -EEXIST (%s)", err);
	tap_ok(&t, sk_directory_add(st, "bad name", err, sizeof(err)) == -EINVAL, "a bad name refused");
	tap_ok(&t, sk_directory_add(st, "lab", err, sizeof(err)) == 0, "add lab");
	memset(&c, 0, sizeof(c));
	tap_ok(&t, sk_directory_list(st, name_fn, &c) == 0 && !strcmp(c.text, "corp;lab;"),
	       "list: %s", c.text);

	tap_ok(&t, sk_directory_set(st, "corp", "uri", "ldaps://dc1.example.jp", err, sizeof(err)) == 0,
	       "set uri");
	tap_ok(&t, sk_directory_set(st, "corp", "bind-password", "s3cret", err, sizeof(err)) == 0,
	       "set bind-password");
	tap_ok(&t, sk_directory_set(st, "corp", "uri", "ldaps://dc2.example.jp", err, sizeof(err)) == 0,
	       "set uri again (replaced)");
	tap_ok(&t, sk_directory_set(st, "corp", "Uri", "x", err, sizeof(err)) == -EINVAL,
	       "a key in capitals refused (%s)", err);
	tap_ok(&t, sk_directory_set(st, "corp", "base", "dc=x\n", err, sizeof(err)) == -EINVAL,
	       "a value with a newline refused (%s)", err);
	tap_ok(&t, sk_directory_set(st, "nope", "uri", "x", err, sizeof(err)) == -ENOENT,
	       "set on no directory: -ENOENT (%s)", err);
	memset(&c, 0, sizeof(c));
	tap_ok(&t, sk_directory_settings(st, "corp", kv_fn, &c) == 0 &&
	       !strcmp(c.text, "bind-password=s3cret;uri=ldaps://dc2.example.jp;"),
	       "settings: %s", c.text);
	tap_ok(&t, sk_directory_set(st, "corp", "bind-password", NULL, err, sizeof(err)) == 0,
	       "remove bind-password");
	memset(&c, 0, sizeof(c));
	tap_ok(&t, sk_directory_settings(st, "corp", kv_fn, &c) == 0 && c.n == 1, "one key left");

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	tap_ok(&t, sk_group_add(st, &g, err, sizeof(err)) == 0, "group staff (%s)", err);
	tap_ok(&t, sk_group_directory_get(st, "staff", out, sizeof(out)) == 0 && !out[0],
	       "group staff: no directory");
	tap_ok(&t, sk_group_directory_set(st, "staff", "corp") == 0 &&
	       sk_group_directory_get(st, "staff", out, sizeof(out)) == 0 && !strcmp(out, "corp"),
	       "group staff uses corp");
	tap_ok(&t, sk_group_directory_set(st, "staff", "nope") == -ENOENT, "no such directory: -ENOENT");
	tap_ok(&t, sk_group_directory_set(st, "nogroup", "corp") == -ENOENT, "no such group: -ENOENT");
	tap_ok(&t, sk_directory_del(st, "corp") == -EBUSY, "delete corp while staff uses it: -EBUSY");
	tap_ok(&t, sk_directory_del(st, "lab") == 0, "delete lab");
	tap_ok(&t, sk_directory_del(st, "lab") == -ENOENT, "delete lab again: -ENOENT");
	tap_ok(&t, sk_group_directory_set(st, "staff", NULL) == 0 &&
	       sk_group_directory_get(st, "staff", out, sizeof(out)) == 0 && !out[0],
	       "group staff: directory cleared");
	tap_ok(&t, sk_group_directory_set(st, "staff", "corp") == 0 && sk_group_del(st, "staff") == 0 &&
	       sk_directory_del(st, "corp") == 0,
	       "a deleted group frees its directory; corp deleted with its settings");
	{
		struct sk_user u;

		memset(&u, 0, sizeof(u));
		sk_group_defaults(&g);
		snprintf(g.name, sizeof(g.name), "staff2");
		(void)sk_group_add(st, &g, err, sizeof(err));
		snprintf(u.name, sizeof(u.name), "taro");
		snprintf(u.group, sizeof(u.group), "staff2");
		u.enabled = true;
		tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == 0, "user taro (%s)", err);
		tap_ok(&t, sk_user_directory_get(st, "taro", out, sizeof(out)) == 0 && !out[0],
		       "a new user is local (directory \"\")");
		tap_ok(&t, sk_directory_add(st, "ad", err, sizeof(err)) == 0 &&
		       sk_user_directory_set(st, "taro", "ad") == 0 &&
		       sk_user_directory_get(st, "taro", out, sizeof(out)) == 0 && !strcmp(out, "ad"),
		       "taro marked as a record of directory ad");
		tap_ok(&t, sk_directory_del(st, "ad") == -EBUSY, "delete ad while taro's record names it: -EBUSY");
		tap_ok(&t, sk_user_directory_get(st, "nobody", out, sizeof(out)) == -ENOENT &&
		       sk_user_directory_set(st, "nobody", "ad") == -ENOENT, "no such user: -ENOENT");
		tap_ok(&t, sk_user_directory_set(st, "taro", NULL) == 0 &&
		       sk_user_directory_get(st, "taro", out, sizeof(out)) == 0 && !out[0] &&
		       sk_directory_del(st, "ad") == 0, "taro local again; ad deleted");
	}
	sk_store_close(st);
	return tap_end(&t);
}
