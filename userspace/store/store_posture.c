// SPDX-License-Identifier: GPL-2.0
/*
 * Device posture policy keys and each device's last report
 * (schema version 6).  store.c has validated every argument.
 */
#include <errno.h>
#include <string.h>

#include "store_db.h"

/* scope is enum sk_posture_scope, checked by store.c: the table names are
 * our own constants, never caller input */
static const char *const set_sql[2] = {
	"INSERT INTO group_posture (group_id, key, value) SELECT id, ?2, ?3 FROM groups"
	" WHERE name = ?1 ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value",
	"INSERT INTO device_posture (device_id, key, value) SELECT id, ?2, ?3 FROM devices"
	" WHERE name = ?1 ON CONFLICT (device_id, key) DO UPDATE SET value = excluded.value",
};
static const char *const del_sql[2] = {
	"DELETE FROM group_posture WHERE key = ?2 AND group_id = (SELECT id FROM groups WHERE name = ?1)",
	"DELETE FROM device_posture WHERE key = ?2 AND device_id = (SELECT id FROM devices WHERE name = ?1)",
};
static const char *const list_sql[2] = {
	"SELECT p.key, p.value FROM group_posture p JOIN groups g ON g.id = p.group_id"
	" WHERE g.name = ?1 ORDER BY p.key",
	"SELECT p.key, p.value FROM device_posture p JOIN devices d ON d.id = p.device_id"
	" WHERE d.name = ?1 ORDER BY p.key",
};

int db_posture_set(struct sk_store *st, int scope, const char *name, const char *key,
		   const char *val)
{
	int64_t id;
	int rc;

	rc = db_id_by_name(st, scope ? "devices" : "groups", name, &id);
	if (rc)
		return rc;
	rc = val ? db_exec(st, set_sql[scope], "ttt", name, key, val)
		 : db_exec(st, del_sql[scope], "tt", name, key);
	return rc < 0 ? rc : 0;
}

struct kv { char key[64]; char val[1024]; };

static int kv_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)
{
	int (*const *cb)(const char *, const char *, void *) = fn;
	struct kv *k = obj;

	(void)st;
	db_text(s, 0, k->key, sizeof(k->key));
	db_text(s, 1, k->val, sizeof(k->val));
	return (*cb)(k->key, k->val, arg);
}

int db_posture_list(struct sk_store *st, int scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	int64_t id;
	int rc = db_id_by_name(st, scope ? "devices" : "groups", name, &id);

	if (rc)
		return rc;
	return db_list(st, sizeof(struct kv), kv_row, &fn, arg, list_sql[scope], "t", name);
}

int db_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l)
{
	int rc = db_exec(st, "INSERT INTO device_posture_last (device_id, time, outcome, report, verdicts)"
			 " SELECT id, ?2, ?3, ?4, ?5 FROM devices WHERE name = ?1"
			 " ON CONFLICT (device_id) DO UPDATE SET time = excluded.time,"
			 " outcome = excluded.outcome, report = excluded.report,"
			 " verdicts = excluded.verdicts",
			 "titt" "t", device, l->time, l->outcome, l->report, l->verdicts);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

static void last_row(struct db_stmt *s, void *obj)
{
	struct sk_posture_last *l = obj;

	l->time = db_i64(s, 0);
	db_text(s, 1, l->outcome, sizeof(l->outcome));
	db_text(s, 2, l->report, sizeof(l->report));
	db_text(s, 3, l->verdicts, sizeof(l->verdicts));
}

int db_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l)
{
	memset(l, 0, sizeof(*l));
	return db_get(st, last_row, l, "SELECT p.time, p.outcome, p.report, p.verdicts"
		      " FROM device_posture_last p JOIN devices d ON d.id = p.device_id"
		      " WHERE d.name = ?1", "t", device);
}
