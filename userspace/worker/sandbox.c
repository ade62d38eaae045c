// SPDX-License-Identifier: GPL-2.0
/*
 * The worker's sandbox: no capabilities, no_new_privs, and a seccomp
 * allowlist that kills the process on anything else.  The worker only
 * reads and writes descriptors it was given (TLS socket, IPC socket, UDP
 * sockets received over IPC), so it needs no open, no socket, no exec.
 * Calls that libraries may try harmlessly (open of a config or CA file)
 * fail with EACCES instead of killing, so a library probing the file system
 * does not take the connection down; they can never succeed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "worker.h"

/* the syscalls the worker really uses (found by running the tests under the filter) */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(close), SCMP_SYS(shutdown),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(getpid),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
#ifdef __SANITIZE_ADDRESS__
	/* the ASan/UBSan runtime of the sanitizer build (reports, stack maps) */
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(gettid), SCMP_SYS(mprotect), SCMP_SYS(sched_yield), SCMP_SYS(prctl),
	SCMP_SYS(readlink), SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(getrlimit),
	SCMP_SYS(prlimit64), SCMP_SYS(clone), SCMP_SYS(wait4), SCMP_SYS(kill), SCMP_SYS(tgkill),
#endif
};

/* tried by libraries, harmless to refuse */
static const int refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(access), SCMP_SYS(faccessat),
#ifndef __SANITIZE_ADDRESS__
	SCMP_SYS(mprotect),	/* glibc malloc arenas; refusing just fails the allocation */
#endif
};

int sk_sandbox_enter(char *err, size_t errlen)
{
	scmp_filter_ctx f;
	int rc;

	/* The bounding set can only shrink with CAP_SETPCAP; sekishod's main
	 * process emptied it when it dropped privileges, so a worker forked
	 * from it only clears its (already empty) capability sets.  Asking
	 * libcap-ng for the bounding set without CAP_SETPCAP would only log a
	 * warning per connection. */
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
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
		if (rc && rc != -EEXIST)
			goto fail;
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), refused[i], 0);
		if (rc && rc != -EEXIST)
			goto fail;
	}
	rc = seccomp_load(f);
	seccomp_release(f);
	if (rc) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
fail:
	seccomp_release(f);
	snprintf(err, errlen, "seccomp rule: %s", strerror(-rc));
	return -1;
}
