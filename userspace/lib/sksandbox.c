// SPDX-License-Identifier: GPL-2.0
/* The seccomp sandbox of the worker and the key holder; see sksandbox.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "sksandbox.h"

#ifdef __SANITIZE_ADDRESS__
/* the ASan/UBSan runtime of the sanitizer build (reports, stack maps) */
static const int sanitizer[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(gettid), SCMP_SYS(mprotect), SCMP_SYS(sched_yield), SCMP_SYS(prctl),
	SCMP_SYS(readlink), SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(getrlimit),
	SCMP_SYS(prlimit64), SCMP_SYS(clone), SCMP_SYS(wait4), SCMP_SYS(kill), SCMP_SYS(tgkill),
};
#endif

/* tried by libraries, harmless to refuse */
static const int refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(access), SCMP_SYS(faccessat),
#ifndef __SANITIZE_ADDRESS__
	SCMP_SYS(mprotect),	/* glibc malloc arenas; refusing just fails the allocation */
#endif
};

static int add(scmp_filter_ctx f, uint32_t action, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(f, action, calls[i], 0);

		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

int sk_sandbox_apply(const int *allowed, size_t n, char *err, size_t errlen)
{
	scmp_filter_ctx f;
	int rc;

	/* The bounding set can only shrink with CAP_SETPCAP; sekishod's main
	 * process emptied it when it dropped privileges, so its children only
	 * clear their (already empty) capability sets.  Asking libcap-ng for
	 * the bounding set without CAP_SETPCAP would only log a warning. */
	capng_get_caps_process();
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
		capng_clear(CAPNG_SELECT_BOTH);
		rc = capng_apply(CAPNG_SELECT_BOTH);
	} else {
		capng_clear(CAPNG_SELECT_CAPS);
		rc = capng_apply(CAPNG_SELECT_CAPS);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot drop capabilities");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %m");
		return -1;
	}
	f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	rc = add(f, SCMP_ACT_ALLOW, allowed, n);
#ifdef __SANITIZE_ADDRESS__
	if (!rc)
		rc = add(f, SCMP_ACT_ALLOW, sanitizer, sizeof(sanitizer) / sizeof(sanitizer[0]));
#endif
	if (!rc)
		rc = add(f, SCMP_ACT_ERRNO(EACCES), refused, sizeof(refused) / sizeof(refused[0]));
	if (rc) {
		seccomp_release(f);
		snprintf(err, errlen, "seccomp rule: %s", strerror(-rc));
		return -1;
	}
	rc = seccomp_load(f);
	seccomp_release(f);
	if (rc) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
