/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The binder: a tiny process forked by sekishod's main process at start-up,
 * while still root, whose one job is to make UDP sockets bound to the DTLS
 * listen addresses (usually port 443).  It keeps only CAP_NET_BIND_SERVICE,
 * runs as the service user under a seccomp allowlist, and binds only the
 * addresses it got at fork time: the main process asks by index and gets
 * the socket back over SCM_RIGHTS.  So the main process needs
 * CAP_NET_ADMIN only.
 *
 * Protocol over a SOCK_SEQPACKET socketpair, fixed sizes, checked exactly
 * on both sides:
 *   binder -> main, once:   struct skd_binder_rep, magic READY, status 0
 *                           (or the errno of its set-up, then it exits)
 *   main -> binder:         struct skd_binder_req, magic REQ, idx
 *   binder -> main:         struct skd_binder_rep, magic REP, status 0 and
 *                           one descriptor, or status = errno and none
 * Anything else from main makes the binder exit.
 */
#ifndef SEKISHOD_BINDER_H
#define SEKISHOD_BINDER_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SKD_BINDER_MAX		8	/* addresses (= SKD_LISTEN_MAX) */
#define SKD_BINDER_NAME		"sekishod-bind"	/* its comm, for ps and tests */

#define SKD_BINDER_REQ_MAGIC	0x534b4251u	/* "SKBQ" */
#define SKD_BINDER_REP_MAGIC	0x534b4252u	/* "SKBR" */
#define SKD_BINDER_READY_MAGIC	0x534b4259u	/* "SKBY" */

struct skd_binder_req {
	uint32_t magic;
	uint32_t idx;		/* index into the addresses given at start */
};

struct skd_binder_rep {
	uint32_t magic;
	int32_t status;		/* 0 (one descriptor attached) or an errno */
};

/*
 * Forks the binder.  addrs/lens: n (1..SKD_BINDER_MAX) addresses with their
 * ports; the binder binds only these.  It changes to uid/gid (dropping the
 * supplementary groups and the bounding set) keeping only
 * CAP_NET_BIND_SERVICE.  scrub, if set, runs in the child first (to wipe
 * secrets of the parent's memory image).  Waits up to 5 s for the binder to
 * say it is ready.  Returns 0 with *fd (main's end, CLOEXEC) and *pid, or
 * -errno with err filled in.  Call it before any thread starts.
 */
int skd_binder_start(const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
		     uid_t uid, gid_t gid, void (*scrub)(void *), void *scrub_arg,
		     int *fd, pid_t *pid, char *err, size_t errlen);

/*
 * A new UDP socket bound to address idx (SO_REUSEADDR, IPV6_V6ONLY for
 * IPv6, CLOEXEC, blocking).  Returns the descriptor or -errno: the binder's
 * own refusal (e.g. -EINVAL for an index out of range, -EADDRNOTAVAIL), or
 * -EPIPE/-ETIMEDOUT/-EPROTO when the binder is gone or broke the protocol
 * (then the caller should stop using it).
 */
int skd_binder_get(int fd, uint32_t idx);

/* true if skd_binder_get's error means the binder cannot be used again */
static inline int skd_binder_fatal(int ret)
{
	return ret == -EPIPE || ret == -ETIMEDOUT || ret == -EPROTO || ret == -ECONNRESET ||
	       ret == -EBADF;
}

#endif
