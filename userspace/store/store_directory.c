// SPDX-License-Identifier: GPL-2.0
/*
 * Directories (LDAP/AD, schema version 7): names, KEY=VALUE
 * settings, the directory of a group.  store.c has validated every
 * argument.
 */
#include <errno.h>
#include <string.h>

#include "store_db.h"

int db_directory_add(struct sk_store *st, const char *name, int64_t now)
{
	int rc = db_exec(st, "INSERT INTO directories (name, created) VALUES (?1, ?2)", "ti",
			 name, now);

	return rc < 0 ? rc : 0;
}

int db_directory_del(struct sk_store *st, const char *name)
{
	int64_t n = 0;
	int rc = db_int_query(st, &n, "SELECT count(*) FROM users WHERE directory = ?1", "t", name);

	if (rc)
		return rc;
	if (n)
		return -EBUSY;	/* its users' records name it */
	rc = db_exec(st, "DELETE FROM directories WHERE name = ?1", "t", name);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

struct dname { char name[SK_NAME_MAX + 1]; };

static int name_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)
{
	int (*const *cb)(const char *, void *) = fn;
	struct dname *d = obj;

	(void)st;
	db_text(s, 0, d->name, sizeof(d->name));
	return (*cb)(d->name, arg);
}

int db_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg)
{
	return db_list(st, sizeof(struct dname), name_row, &fn, arg,
		       "SELECT name FROM directories ORDER BY name", "");
}

int db_directory_set(struct sk_store *st, const char *name, const char *key, const char *val)
{
	int64_t id;
	int rc = db_id_by_name(st, "directories", name, &id);

	if (rc)
		return rc;
	rc = val ? db_exec(st, "INSERT INTO directory_settings (directory_id, key, value)"
			   " VALUES (?1, ?2, ?3) ON CONFLICT (directory_id, key)"
			   " DO UPDATE SET value = excluded.value", "itt", id, key, val)
		 : db_exec(st, "DELETE FROM directory_settings WHERE directory_id = ?1 AND key = ?2",
			   "it", id, key);
	return rc < 0 ? rc : 0;
}

struct kv { char key[64]; char val[SK_TEXT_MAX]; };

static int kv_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)
{
	int (*const *cb)(const char *, const char *, void *) = fn;
	struct kv *k = obj;
	int rc;

	(void)st;
	db_text(s, 0, k->key, sizeof(k->key));
	db_text(s, 1, k->val, sizeof(k->val));
	rc = (*cb)(k->key, k->val, arg);
	memset(k->val, 0, sizeof(k->val));	/* may be the service password */
	return rc;
}

int db_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	int64_t id;
	int rc = db_id_by_name(st, "directories", name, &id);

	if (rc)
		return rc;
	return db_list(st, sizeof(struct kv), kv_row, &fn, arg,
		       "SELECT key, value FROM directory_settings WHERE directory_id = ?1 ORDER BY key",
		       "i", id);
}

int db_group_directory_set(struct sk_store *st, const char *group, const char *dir)
{
	int64_t gid, did;
	int rc = db_id_by_name(st, "groups", group, &gid);

	if (rc)
		return rc;
	if (!dir) {
		rc = db_exec(st, "DELETE FROM group_directory WHERE group_id = ?1", "i", gid);
		return rc < 0 ? rc : 0;
	}
	rc = db_id_by_name(st, "directories", dir, &did);
	if (rc)
		return rc;
	rc = db_exec(st, "INSERT INTO group_directory (group_id, directory_id) VALUES (?1, ?2)"
		     " ON CONFLICT (group_id) DO UPDATE SET directory_id = excluded.directory_id",
		     "ii", gid, did);
	return rc < 0 ? rc : 0;
}

int db_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len)
{
	int64_t gid;
	int rc = db_id_by_name(st, "groups", group, &gid);

	if (rc)
		return rc;
	rc = db_str(st, dir, len, "SELECT d.name FROM group_directory gd"
		    " JOIN directories d ON d.id = gd.directory_id WHERE gd.group_id = ?1", "i", gid);
	if (rc == -ENOENT) {
		if (len)
			dir[0] = '\0';
		return 0;
	}
	return rc;
}

int db_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len)
{
	return db_str(st, dir, len, "SELECT coalesce(directory, '') FROM users WHERE name = ?1",
		      "t", name);
}

int db_user_directory_set(struct sk_store *st, const char *name, const char *dir)
{
	int rc = dir ? db_exec(st, "UPDATE users SET directory = ?2 WHERE name = ?1", "tt", name, dir)
		     : db_exec(st, "UPDATE users SET directory = NULL WHERE name = ?1", "t", name);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}
