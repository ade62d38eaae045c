/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skdl: a shared library opened on first use (dlopen), for the libraries
 * only some stores and some logins need: libpq (a PostgreSQL store),
 * libldap/liblber (directories), libcurl (mail, OCSP).  Linking them made
 * every run of every program load them and the 20-odd libraries they pull
 * in (Documentation/decisions/userspace-deps.md).
 *
 * A library is described once, in the layer that uses it (store/pq_dl.c,
 * auth/ldap_dl.c, auth/curl_dl.c): fixed sonames, taken from the build,
 * never a path from configuration; the table of symbols it must have,
 * each stored into a function pointer declared with the type of the
 * library's own prototype; and an optional global setup.  sk_dl_load()
 * opens it RTLD_NOW|RTLD_LOCAL and resolves the whole table, all or
 * nothing, once per process, under a lock (the directory binds run on the
 * hashing threads).  A failure is kept: the next call returns it again
 * without a second attempt.
 */
#ifndef SKDL_H
#define SKDL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define SK_DL_SONAMES_MAX 2

struct sk_dl_sym {
	const char *name;
	void **fn;		/* the function pointer its address goes into */
};

struct sk_dl {
	/* the description */
	const char *sonames[SK_DL_SONAMES_MAX + 1];	/* opened in order, NULL-ended */
	const char *what, *what_ja;	/* "the PostgreSQL client library" */
	const char *package;		/* the Debian package that has it */
	const struct sk_dl_sym *syms;
	size_t n_syms;
	int (*init)(void);	/* once, after every symbol: 0 or -errno */
	/* the state (sk_dl_load's) */
	pthread_mutex_t lock;
	atomic_int state;	/* 0 not tried, 1 loaded, -errno failed */
	char msg[384];		/* the failure, in English and Japanese */
};

/* For a library's list of functions X(name) ... (pq_dl.h and the like):
 * SK_DL_DECLARE declares, after the library's own header, the pointer
 * sk_dl_NAME with the type of the library's prototype; SK_DL_DEFINE
 * defines it (in the table's .c) and SK_DL_ENTRY makes its table entry. */
#define SK_DL_DECLARE(f) extern __typeof__(f) *sk_dl_##f;
#define SK_DL_DEFINE(f) __typeof__(sk_dl_##f) sk_dl_##f;
#define SK_DL_ENTRY(f) { #f, (void **)&sk_dl_##f },

/* the static initialiser of a struct sk_dl's state */
#define SK_DL_STATE .lock = PTHREAD_MUTEX_INITIALIZER, .state = 0

/* 0 once every symbol of dl is resolved and its init succeeded; else
 * -ELIBACC (a library could not be opened), -ELIBBAD (a symbol is
 * missing) or init's -errno, with one sentence in err (en / ja) naming
 * the library and the package to install. */
int sk_dl_load(struct sk_dl *dl, char *err, size_t errlen);

/* whether dl is loaded (for a cleanup that must not load it) */
int sk_dl_loaded(struct sk_dl *dl);

#endif
