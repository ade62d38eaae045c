// SPDX-License-Identifier: GPL-2.0
/*
 * The binder process (binder.h): privilege separation for the DTLS port.
 * Each DTLS client gets its own UDP socket bound to the listen address and
 * port (usually 443) and connected to it, so that the kernel peer owns a
 * socket of its own.  Binding a port below 1024 needs CAP_NET_BIND_SERVICE;
 * rather than keeping it in the main process (which parses what workers
 * send), a process that does nothing else keeps it: it reads fixed-size
 * requests naming one of the addresses it got at fork time, and answers
 * with a bound socket.  It can open no file, create no other kind of
 * socket, bind nothing but what the main process configured at start, and
 * its seccomp filter kills it on any other system call.  Connecting the
 * socket to the client needs no capability: the main process does it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "binder.h"
#include "skfd.h"

/* what the binder owns once forked: a copy, so nothing of the parent's
 * context is needed after the fork */
struct binder_ctx {
	int fd;
	int n;
	struct sockaddr_storage addr[SKD_BINDER_MAX];
	socklen_t len[SKD_BINDER_MAX];
};

static int send_rep(int fd, uint32_t magic, int32_t status, int sock)
{
	struct skd_binder_rep r = { .magic = magic, .status = status };

	return sk_send_fd(fd, &r, sizeof(r), sock, 0) == (ssize_t)sizeof(r) ? 0 : -1;
}

/*
 * The allowlist.  Arguments are pinned where it matters: messages only on
 * the socketpair, sockets only UDP over IPv4/IPv6, and only the two socket
 * options the sockets need.  bind cannot be pinned to the addresses (they
 * are behind a pointer), which is why the addresses live in this process
 * and the request carries only an index.
 */
static int sandbox(int fd)
{
	static const int plain[] = {
		SCMP_SYS(bind), SCMP_SYS(close), SCMP_SYS(exit), SCMP_SYS(exit_group),
#ifdef __SANITIZE_ADDRESS__
		/* the ASan/UBSan runtime of the sanitizer build (reports, stack maps) */
		SCMP_SYS(write), SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(mmap),
		SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex),
		SCMP_SYS(sched_yield), SCMP_SYS(prctl), SCMP_SYS(readlink), SCMP_SYS(pread64),
		SCMP_SYS(lseek), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(openat),
		SCMP_SYS(read), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
#endif
	};
	static const int fams[] = { AF_INET, AF_INET6 };
	scmp_filter_ctx f;
	int rc = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) && !rc; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, plain[i], 0);
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
	for (size_t i = 0; i < 2 && !rc; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[i]),
				      SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(SOCK_DGRAM | SOCK_CLOEXEC)),
				      SCMP_A2(SCMP_CMP_EQ, 0));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				      SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
				      SCMP_A2(SCMP_CMP_EQ, SO_REUSEADDR));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				      SCMP_A1(SCMP_CMP_EQ, IPPROTO_IPV6),
				      SCMP_A2(SCMP_CMP_EQ, IPV6_V6ONLY));
	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc;
}

static int make_socket(const struct binder_ctx *b, uint32_t idx)
{
	const struct sockaddr_storage *ss;
	int fd, one = 1;

	if (idx >= (uint32_t)b->n)
		return -EINVAL;
	ss = &b->addr[idx];
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the listener of the main process holds the port with SO_REUSEADDR;
	 * a connected socket on the same port wins the lookup for its client */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, b->len[idx])) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* The request loop: exits on EOF (main closed or died) and on anything
 * that is not exactly one well-formed request. */
static void serve(const struct binder_ctx *b)
{
	for (;;) {
		struct skd_binder_req q;
		struct iovec iov = { &q, sizeof(q) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int s;

		n = recvmsg(b->fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* no control buffer: a descriptor sent to us sets MSG_CTRUNC
		 * (and the kernel closes it) */
		if (n != (ssize_t)sizeof(q) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    q.magic != SKD_BINDER_REQ_MAGIC)
			_exit(n == 0 ? 0 : 3);
		s = make_socket(b, q.idx);
		if (send_rep(b->fd, SKD_BINDER_REP_MAGIC, s < 0 ? -s : 0, s))
			_exit(4);
		if (s >= 0)
			close(s);
	}
}

static int drop(uid_t uid, gid_t gid, pid_t parent)
{
	int ret;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_BIND_SERVICE))
		return -EPERM;
	ret = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (ret)
		return -EPERM;
	/* after the credentials change, which clears the death signal; if
	 * the parent went already, getppid says so */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -errno;
	if (getppid() != parent)
		return -ESRCH;
	return 0;
}

static __attribute__((noreturn)) void child(struct binder_ctx *b, uid_t uid, gid_t gid,
					    pid_t parent)
{
	sigset_t none;
	int ret;

	/* nothing of the main process stays open: no listener, no store, no
	 * netlink socket, no control socket, not even stdio */
	if (b->fd > 0)
		close_range(0, (unsigned int)b->fd - 1, 0);
	close_range((unsigned int)b->fd + 1, ~0u, 0);
	/* the main process blocks the signals it reads through a signalfd */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, SKD_BINDER_NAME, 0, 0, 0);
	ret = drop(uid, gid, parent);
	if (!ret)
		ret = sandbox(b->fd);
	if (ret) {
		send_rep(b->fd, SKD_BINDER_READY_MAGIC, -ret, -1);
		_exit(2);
	}
	if (send_rep(b->fd, SKD_BINDER_READY_MAGIC, 0, -1))
		_exit(4);
	serve(b);
	_exit(0);
}

/* reads one reply; *sock gets the descriptor if there was exactly one */
static int recv_rep(int fd, struct skd_binder_rep *r, int *sock)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { r, sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int fds[2], nfd = 0;
	ssize_t n;

	*sock = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int x;

				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (nfd < 2)
					fds[nfd++] = x;
				else
					close(x);
			}
	if (n != (ssize_t)sizeof(*r) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfd > 1) {
		for (int i = 0; i < nfd; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (nfd)
		*sock = fds[0];
	return 0;
}

int skd_binder_start(const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
		     uid_t uid, gid_t gid, void (*scrub)(void *), void *scrub_arg,
		     int *fd, pid_t *pid, char *err, size_t errlen)
{
	struct binder_ctx b;
	struct skd_binder_rep r;
	struct pollfd pfd;
	struct timeval tv = { .tv_sec = 2 };
	pid_t parent = getpid(), p;
	int sv[2], sock, ret;

	if (n < 1 || n > SKD_BINDER_MAX) {
		snprintf(err, errlen, "binder: %d addresses (1 to %d)", n, SKD_BINDER_MAX);
		return -EINVAL;
	}
	memset(&b, 0, sizeof(b));
	b.n = n;
	for (int i = 0; i < n; i++) {
		if ((addrs[i].ss_family != AF_INET && addrs[i].ss_family != AF_INET6) ||
		    lens[i] > sizeof(b.addr[i])) {
			snprintf(err, errlen, "binder: address %d is not IPv4 or IPv6", i);
			return -EINVAL;
		}
		b.addr[i] = addrs[i];
		b.len[i] = lens[i];
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		snprintf(err, errlen, "binder: socketpair: %s", strerror(errno));
		return ret;
	}
	p = fork();
	if (p < 0) {
		ret = -errno;
		snprintf(err, errlen, "binder: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (p == 0) {
		close(sv[0]);
		if (scrub)
			scrub(scrub_arg);
		b.fd = sv[1];
		child(&b, uid, gid, parent);
	}
	close(sv[1]);
	/* a binder that does not answer within the timeout is treated as
	 * gone: the event loop must never hang on it */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pfd = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	ret = poll(&pfd, 1, 5000);
	if (ret == 1)
		ret = recv_rep(sv[0], &r, &sock);
	else
		ret = ret == 0 ? -ETIMEDOUT : -errno;
	if (!ret && sock >= 0) {
		close(sock);
		ret = -EPROTO;
	}
	if (!ret && r.magic != SKD_BINDER_READY_MAGIC)
		ret = -EPROTO;
	if (!ret && r.status) {
		ret = r.status > 0 ? -r.status : -EPROTO;
		snprintf(err, errlen,
			 "binder: set-up (user change, CAP_NET_BIND_SERVICE, seccomp) failed: %s",
			 strerror(-ret));
	} else if (ret) {
		snprintf(err, errlen, "binder: no ready message: %s", strerror(-ret));
	}
	if (ret) {
		close(sv[0]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		return ret;
	}
	*fd = sv[0];
	*pid = p;
	return 0;
}

int skd_binder_get(int fd, uint32_t idx)
{
	struct skd_binder_req q = { .magic = SKD_BINDER_REQ_MAGIC, .idx = idx };
	struct skd_binder_rep r;
	int sock, ret, type = 0;
	socklen_t tl = sizeof(type);
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	do
		n = send(fd, &q, sizeof(q), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n != (ssize_t)sizeof(q))
		return -EPROTO;
	ret = recv_rep(fd, &r, &sock);
	if (ret)
		return ret;
	if (r.magic != SKD_BINDER_REP_MAGIC || (r.status == 0) != (sock >= 0) || r.status < 0 ||
	    (sock >= 0 && (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) ||
			   type != SOCK_DGRAM))) {
		if (sock >= 0)
			close(sock);
		return -EPROTO;
	}
	return sock >= 0 ? sock : -r.status;
}
