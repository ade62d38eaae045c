// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod's binder process (sekishod/binder.c), started the way sekishod
 * starts it, in a network namespace of its own (privileged ports start at
 * 1024 there whatever the host says): its credentials and sandbox as
 * /proc shows them, sockets bound to port 853 handed to a test process
 * that cannot bind 853 itself, refusals, the exact-length protocol, and
 * its death with the parent.  Needs root (skipped otherwise).  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <cap-ng.h>

#include "binder.h"
#include "tap.h"

#define NOBODY		65534
#define PORT_LOW	853
#define PORT_HIGH	40853
#define PORT_RECV	40854

static struct tap t;

static socklen_t addr4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return sizeof(*a);
}

static socklen_t addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &a->sin6_addr);
	return sizeof(*a);
}

/* a fresh network namespace with lo up */
static int netns(void)
{
	struct ifreq ifr;
	int fd, ret;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	/* the namespace's own floor (1024 by default), stated in case a
	 * distribution changes the default */
	fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1024", 4) != 4)
			ret = -1;
		close(fd);
	}
	return ret;
}

/* one "Key:\tvalue" line of /proc/PID/status, "" if absent */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			char *v = line + kl + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			break;
		}
	fclose(f);
}

static unsigned long long status_hex(pid_t pid, const char *key)
{
	char v[64];

	status_field(pid, key, v, sizeof(v));
	return v[0] ? strtoull(v, NULL, 16) : ~0ull;
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int start(const struct sockaddr_storage *a, const socklen_t *l, int n, int *fd,
		 pid_t *pid)
{
	char err[256] = "";
	int ret = skd_binder_start(a, l, n, NOBODY, NOBODY, NULL, NULL, fd, pid, err,
				   sizeof(err));

	if (ret)
		printf("# start: %s\n", err);
	return ret;
}

/* waits up to 3 s for pid to end; its wait status, or -1 */
static int wait_end(pid_t pid)
{
	for (int i = 0; i < 300; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

static void creds(pid_t pid)
{
	char name[64], uid[128];

	tap_ok(&t, status_hex(pid, "CapEff") == 1ull << CAP_NET_BIND_SERVICE,
	       "binder CapEff is CAP_NET_BIND_SERVICE only (%llx)", status_hex(pid, "CapEff"));
	tap_ok(&t, status_hex(pid, "CapPrm") == 1ull << CAP_NET_BIND_SERVICE,
	       "binder CapPrm is CAP_NET_BIND_SERVICE only (%llx)", status_hex(pid, "CapPrm"));
	tap_ok(&t, status_hex(pid, "CapBnd") == 0, "binder CapBnd is empty (%llx)",
	       status_hex(pid, "CapBnd"));
	tap_ok(&t, status_hex(pid, "CapInh") == 0 && status_hex(pid, "CapAmb") == 0,
	       "binder CapInh and CapAmb are empty");
	status_field(pid, "NoNewPrivs", name, sizeof(name));
	tap_ok(&t, !strcmp(name, "1"), "binder NoNewPrivs 1 (%s)", name);
	status_field(pid, "Seccomp", name, sizeof(name));
	tap_ok(&t, !strcmp(name, "2"), "binder Seccomp 2 (filter) (%s)", name);
	status_field(pid, "Uid", uid, sizeof(uid));
	tap_ok(&t, !strcmp(uid, "65534\t65534\t65534\t65534"), "binder runs as uid 65534 (%s)",
	       uid);
	status_field(pid, "Groups", uid, sizeof(uid));
	tap_ok(&t, uid[0] == '\0', "binder has no supplementary groups (%s)", uid);
	status_field(pid, "Name", name, sizeof(name));
	tap_ok(&t, !strcmp(name, SKD_BINDER_NAME), "binder is named %s (%s)", SKD_BINDER_NAME,
	       name);
	tap_ok(&t, count_fds(pid) == 1, "binder holds one descriptor (%d)", count_fds(pid));
}

/* the socket is bound to want, with SO_REUSEADDR; connected, it sends */
static void check_socket(int s, const struct sockaddr_storage *want, socklen_t wl,
			 const char *what)
{
	struct sockaddr_storage got, to, from;
	socklen_t gl = sizeof(got), fl = sizeof(from), tl;
	int one = 0, type = 0, fl2, r, v6 = 0;
	socklen_t ol = sizeof(one);
	char buf[16];

	tap_ok(&t, s >= 0, "%s: binder gives a socket (%d)", what, s);
	if (s < 0)
		return;
	tap_ok(&t, !getsockname(s, (struct sockaddr *)&got, &gl) && gl == wl &&
	       !memcmp(&got, want, wl), "%s: bound to the configured address and port", what);
	getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, &ol);
	tap_ok(&t, one == 1, "%s: SO_REUSEADDR set", what);
	ol = sizeof(type);
	getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &ol);
	tap_ok(&t, type == SOCK_DGRAM, "%s: a UDP socket", what);
	fl2 = fcntl(s, F_GETFD);
	tap_ok(&t, fl2 >= 0 && (fl2 & FD_CLOEXEC), "%s: close-on-exec", what);
	if (want->ss_family == AF_INET6) {
		ol = sizeof(v6);
		getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6, &ol);
		tap_ok(&t, v6 == 1, "%s: IPV6_V6ONLY set", what);
	}
	/* the main process connects it to the client: no capability needed */
	r = socket(want->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (want->ss_family == AF_INET6)
		tl = addr6(&to, "::1", PORT_RECV);
	else
		tl = addr4(&to, "127.0.0.1", PORT_RECV);
	if (r < 0 || bind(r, (struct sockaddr *)&to, tl)) {
		tap_ok(&t, false, "%s: receiver socket: %m", what);
		if (r >= 0)
			close(r);
		return;
	}
	tap_ok(&t, !connect(s, (struct sockaddr *)&to, tl) && send(s, "hello", 5, 0) == 5,
	       "%s: connects and sends", what);
	memset(buf, 0, sizeof(buf));
	tap_ok(&t, recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl) == 5 &&
	       !memcmp(buf, "hello", 5) && fl == wl && !memcmp(&from, want, wl),
	       "%s: the datagram comes from the bound port", what);
	close(r);
}

/* this process without CAP_NET_BIND_SERVICE cannot bind 853 itself */
static void drop_own_bind(bool drop)
{
	capng_get_caps_process();
	capng_update(drop ? CAPNG_DROP : CAPNG_ADD, CAPNG_EFFECTIVE, CAP_NET_BIND_SERVICE);
	if (capng_apply(CAPNG_SELECT_CAPS))
		printf("# capng_apply failed\n");
}

static void sockets(void)
{
	struct sockaddr_storage a[3], lst;
	socklen_t l[3], ll;
	int fd = -1, s, s2, one = 1, lfd, self, st;
	pid_t pid = 0;

	l[0] = addr4(&a[0], "127.0.0.1", PORT_LOW);
	l[1] = addr4(&a[1], "127.0.0.1", PORT_HIGH);
	l[2] = addr6(&a[2], "::1", PORT_LOW);
	/* the listener of the main process, made as root before the drop */
	ll = addr4(&lst, "127.0.0.1", PORT_LOW);
	lfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	tap_ok(&t, lfd >= 0 && !bind(lfd, (struct sockaddr *)&lst, ll),
	       "the DTLS listener binds 127.0.0.1:%d as root", PORT_LOW);
	if (!tap_ok(&t, start(a, l, 3, &fd, &pid) == 0 && fd >= 0 && pid > 0, "binder starts"))
		return;
	creds(pid);

	drop_own_bind(true);
	self = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(self, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	errno = 0;
	tap_ok(&t, bind(self, (struct sockaddr *)&a[0], l[0]) && errno == EACCES,
	       "without CAP_NET_BIND_SERVICE this process cannot bind port %d (%m)", PORT_LOW);
	close(self);

	s = skd_binder_get(fd, 0);
	check_socket(s, &a[0], l[0], "127.0.0.1:853");
	s2 = skd_binder_get(fd, 0);
	tap_ok(&t, s2 >= 0 && s2 != s, "a second socket on the same port (%d)", s2);
	if (s >= 0)
		close(s);
	if (s2 >= 0)
		close(s2);
	s = skd_binder_get(fd, 1);
	check_socket(s, &a[1], l[1], "127.0.0.1:40853");
	if (s >= 0)
		close(s);
	s = skd_binder_get(fd, 2);
	check_socket(s, &a[2], l[2], "[::1]:853");
	if (s >= 0)
		close(s);
	tap_ok(&t, skd_binder_get(fd, 3) == -EINVAL, "index 3 of 3 addresses: EINVAL");
	tap_ok(&t, skd_binder_get(fd, 0xffffffffu) == -EINVAL, "index 2^32-1: EINVAL");
	s = skd_binder_get(fd, 0);
	tap_ok(&t, s >= 0, "the binder goes on after a refusal");
	if (s >= 0)
		close(s);
	drop_own_bind(false);

	/* main closes its end: the binder ends normally (not a seccomp kill,
	 * which would show as SIGSYS) */
	close(fd);
	st = wait_end(pid);
	tap_ok(&t, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the binder exits 0 when main closes its end (status %#x)", st);
	close(lfd);
}

/* a request of the wrong length, or carrying a descriptor, ends it */
static void malformed(void)
{
	struct sockaddr_storage a;
	socklen_t l = addr4(&a, "127.0.0.1", PORT_HIGH);
	struct skd_binder_req q = { .magic = SKD_BINDER_REQ_MAGIC, .idx = 0 };
	int fd = -1, st;
	pid_t pid = 0;

	if (!tap_ok(&t, start(&a, &l, 1, &fd, &pid) == 0, "binder starts (short request)"))
		return;
	tap_ok(&t, send(fd, "abc", 3, 0) == 3, "a 3-byte request is sent");
	st = wait_end(pid);
	tap_ok(&t, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "the binder exits on it (status %#x)", st);
	tap_ok(&t, skd_binder_fatal(skd_binder_get(fd, 0)), "a request after that fails for good");
	close(fd);

	if (!tap_ok(&t, start(&a, &l, 1, &fd, &pid) == 0, "binder starts (long request)"))
		return;
	{
		uint8_t big[sizeof(q) + 1] = { 0 };

		memcpy(big, &q, sizeof(q));
		send(fd, big, sizeof(big), 0);
	}
	st = wait_end(pid);
	tap_ok(&t, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "a 9-byte request ends it (status %#x)", st);
	close(fd);

	if (!tap_ok(&t, start(&a, &l, 1, &fd, &pid) == 0, "binder starts (bad magic)"))
		return;
	q.magic = 0x12345678;
	send(fd, &q, sizeof(q), 0);
	st = wait_end(pid);
	tap_ok(&t, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "a bad magic ends it (status %#x)", st);
	close(fd);

	if (!tap_ok(&t, start(&a, &l, 1, &fd, &pid) == 0, "binder starts (descriptor)"))
		return;
	{
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { &q, sizeof(q) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;
		int zero = 0;

		q.magic = SKD_BINDER_REQ_MAGIC;
		memset(&u, 0, sizeof(u));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &zero, sizeof(int));
		sendmsg(fd, &mh, 0);
	}
	st = wait_end(pid);
	tap_ok(&t, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "a request carrying a descriptor ends it (status %#x)", st);
	close(fd);
}

/* the binder dies with the process that started it, even while its end
 * of the pair stays open elsewhere (so no EOF can end it) */
static void parent_death(void)
{
	struct sockaddr_storage a;
	socklen_t l = addr4(&a, "127.0.0.1", PORT_HIGH);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	pid_t mid, bpid = 0;
	struct iovec iov = { &bpid, sizeof(bpid) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int p[2], st = -1, held = -1;

	/* orphans come to us, so their end can be seen */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p))
		return;
	mid = fork();
	if (mid == 0) {
		int fd;
		pid_t b = 0;

		close(p[0]);
		if (start(&a, &l, 1, &fd, &b))
			_exit(1);
		/* its pid, and its end of the pair for us to hold */
		iov.iov_base = &b;
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(p[1], &mh, 0) != sizeof(b))
			_exit(1);
		pause();	/* killed below, its binder must follow */
		_exit(0);
	}
	close(p[1]);
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	if (recvmsg(p[0], &mh, MSG_CMSG_CLOEXEC) != sizeof(bpid))
		bpid = 0;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&held, CMSG_DATA(c), sizeof(int));
	close(p[0]);
	tap_ok(&t, bpid > 0 && held >= 0, "a process starts a binder (%d)", (int)bpid);
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	if (bpid > 0)
		st = wait_end(bpid);
	tap_ok(&t, st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "its binder is killed when it dies (status %#x)", st);
	if (held >= 0)
		close(held);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

static void bad_start(void)
{
	struct sockaddr_storage a[SKD_BINDER_MAX + 1];
	socklen_t l[SKD_BINDER_MAX + 1];
	char err[256];
	int fd = -1;
	pid_t pid = 0;

	for (int i = 0; i <= SKD_BINDER_MAX; i++)
		l[i] = addr4(&a[i], "127.0.0.1", PORT_HIGH);
	tap_ok(&t, skd_binder_start(a, l, 0, NOBODY, NOBODY, NULL, NULL, &fd, &pid, err,
				    sizeof(err)) == -EINVAL, "no address: EINVAL (%s)", err);
	tap_ok(&t, skd_binder_start(a, l, SKD_BINDER_MAX + 1, NOBODY, NOBODY, NULL, NULL, &fd,
				    &pid, err, sizeof(err)) == -EINVAL,
	       "%d addresses: EINVAL (%s)", SKD_BINDER_MAX + 1, err);
	a[0].ss_family = AF_UNIX;
	tap_ok(&t, skd_binder_start(a, l, 1, NOBODY, NOBODY, NULL, NULL, &fd, &pid, err,
				    sizeof(err)) == -EINVAL, "an AF_UNIX address: EINVAL (%s)", err);
}

int main(void)
{
	tap_begin();
	if (geteuid() != 0) {
		printf("1..0 # SKIP the binder changes user: needs root\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!tap_ok(&t, netns() == 0, "own network namespace with lo up (%m)"))
		return tap_end(&t);
	bad_start();
	sockets();
	malformed();
	parent_death();
	return tap_end(&t);
}
