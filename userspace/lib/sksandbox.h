/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sandbox of the processes that need nothing but the descriptors they
 * were given (the worker, the key holder): no capabilities, no new
 * privileges, and a seccomp allowlist that kills the process on any other
 * system call.  Calls that libraries try harmlessly (open of a
 * configuration file, stat, access; mprotect for malloc arenas) fail with
 * EACCES instead, so a library probing the file system does not kill the
 * process; they can never succeed.
 */
#ifndef SK_SANDBOX_H
#define SK_SANDBOX_H

#include <stddef.h>

/* allowed: the process's own list (SCMP_SYS numbers).  0 or -1 with err. */
int sk_sandbox_apply(const int *allowed, size_t n, char *err, size_t errlen);

#endif
