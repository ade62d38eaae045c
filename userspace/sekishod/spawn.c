// SPDX-License-Identifier: GPL-2.0
/*
 * The processes main starts from executables of their own (fork + exec,
 * so that none inherits main's memory): the key holder, once, and a
 * worker per connection.
 *
 *  - At start (as root), main opens both executables, the private key
 *    file and the certificate file, and writes the workers' configuration
 *    (certificate chain and client CA list: public material) into a sealed
 *    memfd.  It never reads the key: the key holder does.
 *  - The key holder runs as the service user from its first instruction
 *    (the child drops privileges before exec) and keeps the key; main
 *    keeps the key file's descriptor so that it can start a new one after
 *    a crash without privileges.
 *  - Each worker gets the client socket, its IPC socket, its own socket
 *    to the key holder and the configuration memfd (ipc.h, SK_WFD_*).
 *  - Exec, dynamic loading and the TLS context cost a few milliseconds
 *    natively and a tenth of a second under emulation: main keeps
 *    conf.spare_workers workers started ahead (without fd 3), each waiting
 *    on its IPC socket for the client socket accept hands it.  Every worker
 *    is still a fresh image with its own address layout, and serves one
 *    connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cap-ng.h>

#include "daemon.h"
#include "keyop.h"
#include "skfd.h"

#ifndef SK_LIBEXECDIR
#define SK_LIBEXECDIR "/usr/local/libexec/sekisho"
#endif

#define KEYHOLDER_READY_MS 10000

/* sekishod-worker next to our own executable (a build tree), else in the
 * libexec directory (an installation) */
static int open_exe(const char *dir, const char *name, char *err, size_t errlen)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = dir ? 0 : readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd = -1;

	if (dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = open(path, O_PATH | O_CLOEXEC);
	} else if (n > 0) {
		self[n] = 0;
		snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
		fd = open(path, O_PATH | O_CLOEXEC);
	}
	if (fd < 0 && !dir) {
		snprintf(path, sizeof(path), "%s/%s", SK_LIBEXECDIR, name);
		fd = open(path, O_PATH | O_CLOEXEC);
	}
	if (fd < 0)
		snprintf(err, errlen, "%s: %s (install it next to sekishod or in %s)", name,
			 strerror(errno), SK_LIBEXECDIR);
	return fd;
}

static int append_file(int mfd, const char *path, uint32_t *len, char *err, size_t errlen)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (*len + (size_t)n > SK_WCFG_PEM_MAX || write(mfd, buf, (size_t)n) != n) {
			snprintf(err, errlen, "%s: larger than %d bytes or unwritable", path,
				 SK_WCFG_PEM_MAX);
			close(fd);
			return -1;
		}
		*len += (uint32_t)n;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_wcfg(struct skd *d, char *err, size_t errlen)
{
	struct sk_wcfg c = { .magic = SK_WCFG_MAGIC };
	int fd = memfd_create("sekishod-worker-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	snprintf(c.dtls_ciphers, sizeof(c.dtls_ciphers), "%s", d->conf.dtls_ciphers);
	if (lseek(fd, sizeof(c), SEEK_SET) != (off_t)sizeof(c) ||
	    append_file(fd, d->conf.server_cert, &c.cert_len, err, errlen) ||
	    (d->conf.client_ca[0] &&
	     append_file(fd, d->conf.client_ca, &c.ca_len, err, errlen)))
		goto fail;
	c.size = (uint32_t)(sizeof(c) + c.cert_len + c.ca_len);
	if (pwrite(fd, &c, sizeof(c), 0) != (ssize_t)sizeof(c) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
		snprintf(err, errlen, "worker configuration: %s", strerror(errno));
		goto fail;
	}
	d->wcfg_fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

int skd_spawn_init(struct skd *d, char *err, size_t errlen)
{
	d->worker_exe = open_exe(d->exe_dir, "sekishod-worker", err, errlen);
	if (d->worker_exe < 0)
		return -1;
	d->keyholder_exe = open_exe(d->exe_dir, "sekishod-keyholder", err, errlen);
	if (d->keyholder_exe < 0)
		return -1;
	d->key_fd = open(d->conf.server_key, O_RDONLY | O_CLOEXEC);
	d->cert_fd = open(d->conf.server_cert, O_RDONLY | O_CLOEXEC);
	if (d->key_fd < 0 || d->cert_fd < 0) {
		snprintf(err, errlen, "%s: %s", d->key_fd < 0 ? d->conf.server_key :
			 d->conf.server_cert, strerror(errno));
		return -1;
	}
	return make_wcfg(d, err, errlen);
}

/*
 * In a child: give it exactly the descriptors in fds[], as 3, 4, ... (stdin,
 * stdout and stderr stay; an fds[i] of -1 leaves 3 + i closed), and the
 * executable's descriptor right after them, close-on-exec; close the rest.
 * Returns the executable's new number, or -1.  Everything is moved above 64
 * first, so that no dup2 overwrites a descriptor still to be moved.
 */
static int child_fds(const int *fds, int n, int exe)
{
	int tmp[8];

	for (int i = 0; i <= n; i++) {
		int fd = i < n ? fds[i] : exe;

		tmp[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 64);
		if (fd >= 0 && tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (tmp[i] < 0 ? close(3 + i) < 0 && errno != EBADF :
		    dup2(tmp[i], 3 + i) < 0)	/* dup2 clears close-on-exec */
			return -1;
	if (dup3(tmp[n], 3 + n, O_CLOEXEC) < 0)
		return -1;
	close_range(4 + (unsigned int)n, ~0u, 0);
	return 3 + n;
}

/* a child that cannot become its program says why on fd (if >= 0) */
__attribute__((noreturn))
static void child_fail(int fd, const char *what)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));

	if (fd >= 0 && n > 0)
		send(fd, msg, (size_t)n, MSG_NOSIGNAL);
	_exit(126);
}

__attribute__((noreturn))
static void exec_child(int exe, const char *name, int report)
{
	char *const argv[] = { (char *)name, NULL };
	char *const envp[] = { NULL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* the bounding set went at the privilege drop; the rest goes here */
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS))
		child_fail(report, "dropping capabilities");
	execveat(exe, "", argv, envp, AT_EMPTY_PATH);
	child_fail(report, name);
}

void skd_worker_exec(struct skd *d, int client, int ipc, int key)
{
	const int fds[] = { client, ipc, key, d->wcfg_fd };	/* = SK_WFD_CLIENT .. _CONFIG */
	int exe = child_fds(fds, 4, d->worker_exe);

	if (exe < 0)
		_exit(126);
	exec_child(exe, "sekishod-worker", -1);
}

/* fork + exec of a worker for client (-1: a spare); main's end of its IPC
 * socket, or -1 */
static int worker_spawn(struct skd *d, int client, pid_t *pid)
{
	int sv[2], kfd, sz = 4 * SK_IPC_MAX;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	/* its own socket to the key holder, for the handshake's signature */
	kfd = skd_keyholder_socket(d);
	if (kfd < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	*pid = fork();
	/* the child becomes sekishod-worker: a new program image, so nothing
	 * of ours (store pages, other users' logins, the SMTP password) */
	if (*pid == 0)
		skd_worker_exec(d, client, sv[1], kfd);
	if (*pid < 0)
		syslog(LOG_ERR, "fork: %m");
	close(sv[1]);
	close(kfd);
	if (*pid < 0) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

static void spare_forget(struct skd *d, int i)
{
	close(d->spares[i].fd);
	d->spares[i] = d->spares[--d->n_spares];
}

int skd_worker_start(struct skd *d, int client, pid_t *pid)
{
	/* a spare whose socket is gone (it died) is dropped */
	while (d->n_spares > 0) {
		struct skd_spare sp = d->spares[--d->n_spares];

		if (sk_send_fd(sp.fd, "c", 1, client, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
			*pid = sp.pid;
			return sp.fd;
		}
		kill(sp.pid, SIGKILL);
		close(sp.fd);
	}
	return worker_spawn(d, client, pid);
}

void skd_spares_fill(struct skd *d)
{
	while (d->n_spares < d->conf.spare_workers && d->keyholder_fd >= 0 && !d->stop) {
		pid_t pid;
		int fd = worker_spawn(d, -1, &pid);

		if (fd < 0) {
			/* no retry storm: the next accept tries again */
			if (!d->spare_failed)
				syslog(LOG_WARNING, "cannot start a spare worker; "
				       "connections start their own");
			d->spare_failed = true;
			return;
		}
		d->spare_failed = false;
		d->spares[d->n_spares].pid = pid;
		d->spares[d->n_spares++].fd = fd;
	}
}

void skd_spares_drop(struct skd *d)
{
	while (d->n_spares > 0) {
		kill(d->spares[0].pid, SIGKILL);	/* SIGCHLD reaps it */
		spare_forget(d, 0);
	}
}

bool skd_spare_reaped(struct skd *d, pid_t pid)
{
	for (int i = 0; i < d->n_spares; i++)
		if (d->spares[i].pid == pid) {
			spare_forget(d, i);
			return true;
		}
	return false;
}

int skd_keyholder_start(struct skd *d, char *err, size_t errlen)
{
	char ready[SK_KEYHOLDER_READY_MAX + 1];
	struct pollfd p;
	int sv[2];
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "key holder socket: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		const int fds[] = { sv[1], d->key_fd, d->cert_fd };
		int exe;

		/* as the service user from its first instruction: it needs no
		 * privilege, the key file is already open */
		if (geteuid() == 0) {
			capng_clear(CAPNG_SELECT_BOTH);
			if (capng_change_id((int)d->uid, (int)d->gid,
					    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING))
				child_fail(sv[1], "dropping to the service user");
		}
		/* it goes with main (it also ends when the control socket closes) */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		exe = child_fds(fds, 3, d->keyholder_exe);
		if (exe < 0)
			child_fail(sv[1], "descriptors");
		exec_child(exe, "sekishod-keyholder", 3);
	}
	close(sv[1]);
	p.fd = sv[0];
	p.events = POLLIN;
	n = poll(&p, 1, KEYHOLDER_READY_MS) == 1 ? recv(sv[0], ready, sizeof(ready) - 1, 0) : -1;
	if (n != 2 || memcmp(ready, "ok", 2)) {
		if (n > 0) {
			ready[n] = 0;
			for (ssize_t i = 0; i < n; i++)
				if ((unsigned char)ready[i] < 0x20)
					ready[i] = ' ';
		}
		snprintf(err, errlen, "key holder: %s", n > 0 ? ready :
			 "did not start (is sekishod-keyholder of this build?)");
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	d->keyholder_fd = sv[0];
	d->keyholder_pid = pid;
	return 0;
}

void skd_keyholder_lost(struct skd *d, const char *why)
{
	char err[SK_KEYHOLDER_READY_MAX + 64];

	d->keyholder_pid = 0;
	if (d->keyholder_fd >= 0)
		close(d->keyholder_fd);
	d->keyholder_fd = -1;
	/* their sockets went with it: new spares ask the new one */
	skd_spares_drop(d);
	if (d->stop)
		return;
	syslog(LOG_ERR, "key holder %s; starting a new one", why);
	if (skd_keyholder_start(d, err, sizeof(err)))
		syslog(LOG_ERR, "%s: new TLS connections fail until sekishod restarts", err);
}

int skd_keyholder_socket(struct skd *d)
{
	int sv[2];

	if (d->keyholder_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	if (sk_send_fd(d->keyholder_fd, "w", 1, sv[0], MSG_DONTWAIT) != 1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[0]);
	return sv[1];
}

void skd_spawn_close(struct skd *d)
{
	skd_spares_drop(d);
	if (d->keyholder_fd >= 0)
		close(d->keyholder_fd);	/* it exits on EOF */
	if (d->keyholder_pid > 0) {
		kill(d->keyholder_pid, SIGKILL);
		waitpid(d->keyholder_pid, NULL, 0);
	}
	d->keyholder_fd = -1;
	d->keyholder_pid = 0;
	if (d->worker_exe >= 0)
		close(d->worker_exe);
	if (d->keyholder_exe >= 0)
		close(d->keyholder_exe);
	if (d->wcfg_fd >= 0)
		close(d->wcfg_fd);
	if (d->key_fd >= 0)
		close(d->key_fd);
	if (d->cert_fd >= 0)
		close(d->cert_fd);
	d->worker_exe = d->keyholder_exe = d->wcfg_fd = d->key_fd = d->cert_fd = -1;
}
