// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the loader of libraries opened on first use
 * (userspace/lib/skdl.c) with glibc's libm: a whole table resolved and
 * callable, a missing library and a missing symbol refused with a message
 * naming the library and the package (en / ja), nothing half-set, the
 * failure kept, the global setup run once when threads race to the first
 * load, a failed setup leaving nothing set.  TAP output. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "skdl.h"
#include "tap.h"

static struct tap t;

static double (*p_cos)(double), (*p_sqrt)(double), (*p_none)(double);
static atomic_int setups;

static int count_setup(void)
{
	/* slow enough that, without the loader's lock, the racers would all
	 * be here at once */
	usleep(50000);
	atomic_fetch_add(&setups, 1);
	return p_cos && p_sqrt ? 0 : -EINVAL;	/* every pointer is set before it */
}

static int failing_setup(void)
{
	return -EIO;
}

static const struct sk_dl_sym good_syms[] = {
	{ "cos", (void **)&p_cos }, { "sqrt", (void **)&p_sqrt },
};
static const struct sk_dl_sym bad_syms[] = {
	{ "cos", (void **)&p_cos }, { "sk_no_such_symbol", (void **)&p_none },
};

static struct sk_dl libm_good = {
	.sonames = { "libm.so.6", NULL }, .what = "the maths library", .what_ja = "数学ライブラリ",
	.package = "libc6", .syms = good_syms, .n_syms = 2, .init = count_setup, SK_DL_STATE,
};

static void *racer(void *arg)
{
	(void)arg;
	return (void *)(long)sk_dl_load(&libm_good, NULL, 0);
}

int main(void)
{
	struct sk_dl absent = {
		.sonames = { "libsekisho-absent.so.0", NULL }, .what = "a library that is not there",
		.what_ja = "ないライブラリ", .package = "sekisho-absent", .syms = good_syms,
		.n_syms = 2, SK_DL_STATE,
	};
	struct sk_dl half = {
		.sonames = { "libm.so.6", NULL }, .what = "the maths library", .what_ja = "数学ライブラリ",
		.package = "libc6", .syms = bad_syms, .n_syms = 2, SK_DL_STATE,
	};
	struct sk_dl bad_setup = {
		.sonames = { "libm.so.6", NULL }, .what = "the maths library", .what_ja = "数学ライブラリ",
		.package = "libc6", .syms = good_syms, .n_syms = 2, .init = failing_setup, SK_DL_STATE,
	};
	char err[512] = "", again[512] = "";
	pthread_t th[4];
	long rcs[4];
	int rc, i, started = 0;

	tap_begin();

	rc = sk_dl_load(&absent, err, sizeof(err));
	tap_ok(&t, rc == -ELIBACC, "a library that is not there: -ELIBACC (%d)", rc);
	tap_ok(&t, strstr(err, "libsekisho-absent.so.0") && strstr(err, "install the Debian package sekisho-absent") &&
		   strstr(err, "Debian パッケージ sekisho-absent をインストールしてください"),
	       "its message names the soname and the package, in English and Japanese: %s", err);
	tap_ok(&t, !p_cos && !p_sqrt && !sk_dl_loaded(&absent), "no pointer is set");
	/* kept: not even tried again (a library that would now open) */
	absent.sonames[0] = "libm.so.6";
	rc = sk_dl_load(&absent, again, sizeof(again));
	tap_ok(&t, rc == -ELIBACC && !strcmp(err, again) && !p_cos,
	       "the failure is kept: the same answer again, nothing opened");

	rc = sk_dl_load(&half, err, sizeof(err));
	tap_ok(&t, rc == -ELIBBAD && strstr(err, "no symbol sk_no_such_symbol"),
	       "a missing symbol: -ELIBBAD naming it (%d: %s)", rc, err);
	tap_ok(&t, !p_cos && !p_none, "all or nothing: cos, which resolved, is not set either");

	rc = sk_dl_load(&bad_setup, err, sizeof(err));
	tap_ok(&t, rc == -EIO && strstr(err, "global setup failed") && !p_cos && !p_sqrt,
	       "a failed global setup: its -errno, no pointer set (%d: %s)", rc, err);

	/* four threads race to the first load: one setup, every one sees the table */
	for (i = 0; i < 4; i++)
		started += !pthread_create(&th[i], NULL, racer, NULL);
	for (i = 0; i < started; i++) {
		void *r;

		pthread_join(th[i], &r);
		rcs[i] = (long)r;
	}
	tap_ok(&t, started == 4 && !rcs[0] && !rcs[1] && !rcs[2] && !rcs[3],
	       "four threads load libm at once: all succeed");
	tap_ok(&t, atomic_load(&setups) == 1, "the global setup ran once (%d), after every symbol",
	       atomic_load(&setups));
	tap_ok(&t, sk_dl_loaded(&libm_good) && p_cos && p_sqrt && p_cos(0.0) == 1.0 &&
		   p_sqrt(16.0) == 4.0, "the resolved functions are libm's: cos(0) = 1, sqrt(16) = 4");
	rc = sk_dl_load(&libm_good, err, sizeof(err));
	tap_ok(&t, rc == 0 && atomic_load(&setups) == 1, "a later load: 0, no second setup");
	return tap_end(&t);
}
