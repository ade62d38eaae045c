// SPDX-License-Identifier: GPL-2.0
/*
 * skdl: a shared library opened on first use (skdl.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skdl.h"

/* records the failure rc of dl with its message (the lock is held) */
static int fail(struct sk_dl *dl, int rc, const char *why)
{
	/* (a build where dpkg did not know the file) */
	const char *pkg = dl->package && dl->package[0] ? dl->package : "that has it";

	snprintf(dl->msg, sizeof(dl->msg),
		 "cannot load %s, %s (%s): install the Debian package %s / "
		 "%s（%s）を読み込めません。Debian パッケージ %s をインストールしてください",
		 dl->sonames[0], dl->what, why ? why : "?", pkg,
		 dl->sonames[0], dl->what_ja, pkg);
	atomic_store_explicit(&dl->state, rc, memory_order_release);
	return rc;
}

/* opens every soname and resolves the whole table into fn (not yet into
 * the pointers): 0, or the failure recorded */
static int load_locked(struct sk_dl *dl, void **handles, void **fn)
{
	const char *why;
	char buf[160];
	size_t i, h;

	for (h = 0; dl->sonames[h]; h++) {
		/* a bare soname: the loader's own search, as for a NEEDED entry */
		handles[h] = dlopen(dl->sonames[h], RTLD_NOW | RTLD_LOCAL);
		if (!handles[h]) {
			why = dlerror();
			return fail(dl, -ELIBACC, why);
		}
	}
	for (i = 0; i < dl->n_syms; i++) {
		fn[i] = NULL;
		for (h = 0; dl->sonames[h] && !fn[i]; h++)
			fn[i] = dlsym(handles[h], dl->syms[i].name);
		if (!fn[i]) {
			snprintf(buf, sizeof(buf), "no symbol %s", dl->syms[i].name);
			return fail(dl, -ELIBBAD, buf);
		}
	}
	return 0;
}

/* the first load of dl (the lock is held): 1, or -errno */
static int first_load(struct sk_dl *dl)
{
	void *handles[SK_DL_SONAMES_MAX] = { NULL }, **fn;
	size_t i;
	int rc;

	fn = calloc(dl->n_syms ? dl->n_syms : 1, sizeof(*fn));
	if (!fn)
		return -ENOMEM;		/* not kept: the next call tries again */
	rc = load_locked(dl, handles, fn);
	if (!rc) {
		for (i = 0; i < dl->n_syms; i++)
			*dl->syms[i].fn = fn[i];
		rc = dl->init ? dl->init() : 0;
		if (rc)
			fail(dl, rc, "its global setup failed");
	}
	free(fn);
	if (rc) {
		/* all or nothing: no pointer stays set */
		for (i = 0; i < dl->n_syms; i++)
			*dl->syms[i].fn = NULL;
		for (i = SK_DL_SONAMES_MAX; i-- > 0;)
			if (handles[i])
				dlclose(handles[i]);
		return rc;
	}
	/* every pointer is set before another thread can see state 1 */
	atomic_store_explicit(&dl->state, 1, memory_order_release);
	return 1;
}

int sk_dl_load(struct sk_dl *dl, char *err, size_t errlen)
{
	int rc = atomic_load_explicit(&dl->state, memory_order_acquire);

	if (rc == 0) {
		pthread_mutex_lock(&dl->lock);
		rc = atomic_load_explicit(&dl->state, memory_order_relaxed);
		if (rc == 0)
			rc = first_load(dl);
		pthread_mutex_unlock(&dl->lock);
	}
	if (rc == 1)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : dl->msg);
	return rc;
}

int sk_dl_loaded(struct sk_dl *dl)
{
	return atomic_load_explicit(&dl->state, memory_order_acquire) == 1;
}
