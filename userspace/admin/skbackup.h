/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skbackup: the store as a whole from the administrator's side
 * (backup.c): sekictl init, backup and restore, and the check every other
 * command makes first, that the store it names exists (a mistyped
 * --store must not create an empty store).
 * Documentation/admin/backup.md, decisions/backup-format.md.
 */
#ifndef SKBACKUP_H
#define SKBACKUP_H

#include <stdbool.h>
#include <stdio.h>

#define SKA_DEFAULT_STORE	"/var/lib/sekisho/sekisho.db"
#define SKA_DEFAULT_CONFIG	"/etc/sekisho/sekishod.conf"

/* sekictl init: creates store (exit status; what it did on out) */
int ska_init(const char *store, FILE *out, FILE *err);

/* A passphrase from the administrator (stdin, or the terminal without
 * echo; confirm: ask twice).  0, or -1 (message printed). */
typedef int (*ska_pass_fn)(char *buf, size_t len, bool confirm, void *arg);

struct ska_backup_opt {
	const char *store;	/* path or URI */
	const char *config;	/* the bootstrap file (default SKA_DEFAULT_CONFIG) */
	const char *file;	/* the archive */
	const char *release;	/* this sekisho's release, for the manifest */
	bool encrypt;		/* backup: with a passphrase */
	bool force;		/* restore: replace a store and files that are not empty */
	ska_pass_fn pass;
	void *pass_arg;
	FILE *out, *err;
};

/* sekictl backup / restore: exit status 0, 1 refused or failed, 2 usage */
int ska_backup(const struct ska_backup_opt *o);
int ska_restore(const struct ska_backup_opt *o);

#endif
