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
#include <seccomp.h>

#include "sksandbox.h"
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
};

int sk_sandbox_enter(char *err, size_t errlen)
{
	return sk_sandbox_apply(allowed, sizeof(allowed) / sizeof(allowed[0]), err, errlen);
}
