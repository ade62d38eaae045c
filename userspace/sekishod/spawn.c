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
 *  - Exec, dynamic loading and OpenSSL's first TLS context cost 5 ms of
 *    CPU natively and 0.15-0.25 s under emulation, per connection.  So
 *    main execs a worker template (the worker program without fd 3): it
 *    makes its TLS contexts once and forks a worker per connection, for
 *    conf.worker_generation connections; then the next template is
 *    exec'd.  A generation shares one address layout; a worker that
 *    crashes or breaks the IPC protocol ends its generation at once
 *    (Documentation/decisions/key-holder.md, "Worker templates").  With
 *    worker_generation = 0, or while no template is ready, each worker is
 *    exec'd for its connection.
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
 * SIGHUP: the server certificate and key again from their paths, opened
 * by main as it runs then (the service user after the start: the files
 * must be readable by it, sekishod -t says so).  The new pair is checked
 * before anything changes: a new worker configuration is made with the
 * new chain and a new key holder is started on the new key and
 * certificate, which says "ok" only when they match.  Only then the old
 * key holder is ended (its socket closed, SIGKILL), the old descriptors
 * are closed and the template retires, so the next generation builds its
 * TLS contexts from the new chain while new connections get the new key
 * holder.  Sessions are not touched: a worker keeps its TLS connection,
 * a tunnel needs no signature.  A handshake in flight at that moment
 * loses its key holder and fails; its client connects again.
 * 0, or -1 with why in err: then the old pair stays in use.
 */
int skd_cert_reload(struct skd *d, char *err, size_t errlen)
{
	int old_key = d->key_fd, old_cert = d->cert_fd, old_wcfg = d->wcfg_fd;
	int old_kh = d->keyholder_fd;
	pid_t old_pid = d->keyholder_pid;
	int key, cert;

	key = open(d->conf.server_key, O_RDONLY | O_CLOEXEC);
	cert = open(d->conf.server_cert, O_RDONLY | O_CLOEXEC);
	if (key < 0 || cert < 0) {
		snprintf(err, errlen, "%s: %s", key < 0 ? d->conf.server_key : d->conf.server_cert,
			 strerror(errno));
		goto fail;
	}
	d->wcfg_fd = -1;
	if (make_wcfg(d, err, errlen)) {
		d->wcfg_fd = old_wcfg;
		goto fail;
	}
	d->key_fd = key;
	d->cert_fd = cert;
	if (skd_keyholder_start(d, err, errlen)) {
		close(d->wcfg_fd);
		d->wcfg_fd = old_wcfg;
		d->key_fd = old_key;
		d->cert_fd = old_cert;
		d->keyholder_fd = old_kh;
		d->keyholder_pid = old_pid;
		goto fail;
	}
	/* the new pair is in use: the old one goes */
	/* the old key holder: ended as skd_spawn_close ends one (its socket
	 * closed, then SIGKILL: it keeps no state, and a sanitizer's exit
	 * handlers cannot run in its sandbox); reap ignores its pid */
	if (old_kh >= 0)
		close(old_kh);
	if (old_pid > 0)
		kill(old_pid, SIGKILL);
	if (old_key >= 0)
		close(old_key);
	if (old_cert >= 0)
		close(old_cert);
	if (old_wcfg >= 0)
		close(old_wcfg);
	skd_template_retire(d, "the server certificate was reloaded");
	return 0;
fail:
	if (key >= 0)
		close(key);
	if (cert >= 0)
		close(cert);
	return -1;
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

/* fork + exec of a worker for client (-1: a template); main's end of its
 * IPC socket, or -1 */
/* A worker's IPC socketpair (sv[0] main's end) and its own socket to the
 * key holder, for the handshake's signature (kfd NULL: none, a DTLS
 * worker); -1 if either cannot be made. */
static int worker_sockets(struct skd *d, int sv[2], int *kfd, int64_t recheck)
{
	int sz = 4 * SK_IPC_MAX;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	/* an in-tunnel re-check (recheck.c): the mode is in the socket before
	 * the worker has it, so its first look finds it (worker/recheck.c) */
	if (recheck) {
		struct sk_ipc_recheck_mode m;

		memset(&m, 0, sizeof(m));
		skd_ipc_header(&m, SK_IPC_RECHECK_MODE, sizeof(m));
		m.session_id = recheck > 0 ? (uint64_t)recheck : 0;
		if (send(sv[0], &m, sizeof(m), MSG_DONTWAIT) != (ssize_t)sizeof(m)) {
			close(sv[0]);
			close(sv[1]);
			return -1;
		}
	}
	/* kfd NULL: a DTLS worker, which signs nothing */
	if (kfd && (*kfd = skd_keyholder_socket(d)) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

/* dtls: a DTLS worker for the UDP socket client, without a key holder */
static int worker_spawn(struct skd *d, int client, bool dtls, pid_t *pid, int64_t recheck)
{
	int sv[2], kfd = -1;

	if (worker_sockets(d, sv, dtls ? NULL : &kfd, recheck))
		return -1;
	*pid = fork();
	/* the child becomes sekishod-worker: a new program image, so nothing
	 * of ours (store pages, other users' logins, the SMTP password) */
	if (*pid == 0)
		skd_worker_exec(d, client, sv[1], kfd);
	if (*pid < 0)
		syslog(LOG_ERR, "fork: %m");
	close(sv[1]);
	if (kfd >= 0)
		close(kfd);
	if (*pid < 0) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/* the template's answer: how long main waits for two forks */
#define TEMPLATE_REPLY_MS 2000

/*
 * The current template is ended: main closes its socket, the template
 * exits (SIGCHLD reaps it) and the loop starts the next generation.
 */
void skd_template_retire(struct skd *d, const char *why)
{
	if (d->tmpl.fd < 0)
		return;
	if (why)
		syslog(LOG_WARNING, "worker template retired after %d workers: %s",
		       d->tmpl.uses, why);
	close(d->tmpl.fd);
	d->tmpl.fd = -1;
	d->tmpl.ready = false;
	d->tmpl.uses = 0;
}

/* a worker forked by the template; -1 if it cannot (it is retired then).
 * dtls: a DTLS worker ("d": the UDP socket and the IPC socket, no key
 * holder socket), else a connection's ("w": three sockets) */
static int template_worker(struct skd *d, int client, bool dtls, pid_t *pid, int64_t recheck)
{
	struct pollfd p = { .fd = d->tmpl.fd, .events = POLLIN };
	int sv[2], fds[3], kfd = -1, n = dtls ? 2 : 3;
	int32_t got = -1;
	siginfo_t si;
	bool sent;

	if (worker_sockets(d, sv, dtls ? NULL : &kfd, recheck))
		return -1;
	fds[0] = client;
	fds[1] = sv[1];
	fds[2] = kfd;
	sent = sk_send_fds(d->tmpl.fd, dtls ? "d" : "w", 1, fds, n, MSG_DONTWAIT) == 1;
	if (!sent || poll(&p, 1, TEMPLATE_REPLY_MS) != 1 ||
	    recv(d->tmpl.fd, &got, sizeof(got), MSG_DONTWAIT) != (ssize_t)sizeof(got))
		got = -1;
	close(sv[1]);
	if (kfd >= 0)
		close(kfd);
	/* main's child by now (reparented to this subreaper), or not ours */
	memset(&si, 0, sizeof(si));
	if (got <= 0 || waitid(P_PID, (id_t)got, &si, WEXITED | WNOHANG | WNOWAIT)) {
		close(sv[0]);
		skd_template_retire(d, got <= 0 ? "no worker forked" : "the worker is not ours");
		/* once the template has the client's socket, a worker of its
		 * may hold it: no second worker for it (-2), the connection
		 * is dropped */
		return sent ? -2 : -1;
	}
	if (++d->tmpl.uses >= d->conf.worker_generation)
		skd_template_retire(d, NULL);
	*pid = got;
	return sv[0];
}

static int start_worker(struct skd *d, int client, bool dtls, pid_t *pid, int64_t recheck)
{
	char c;

	/* the template says "r" once its TLS contexts are made */
	if (d->tmpl.fd >= 0 && !d->tmpl.ready &&
	    recv(d->tmpl.fd, &c, 1, MSG_DONTWAIT) == 1)
		d->tmpl.ready = c == 'r';
	if (d->tmpl.fd >= 0 && d->tmpl.ready) {
		int fd = template_worker(d, client, dtls, pid, recheck);

		if (fd != -1)
			return fd < 0 ? -1 : fd;
	}
	/* no template ready (starting, a new generation): exec'd now */
	return worker_spawn(d, client, dtls, pid, recheck);
}

int skd_worker_start(struct skd *d, int client, pid_t *pid, int64_t recheck)
{
	return start_worker(d, client, false, pid, recheck);
}

int skd_dtls_worker_start(struct skd *d, int udp, pid_t *pid)
{
	return start_worker(d, udp, true, pid, 0);
}

void skd_template_start(struct skd *d)
{
	pid_t pid;
	int fd;

	if (d->tmpl.fd >= 0 || d->tmpl.pid > 0 || d->conf.worker_generation <= 0 ||
	    d->keyholder_fd < 0 || d->stop || d->tmpl.failed)
		return;
	/* the template's workers are its grandchildren: they become ours
	 * when their parent exits (not inherited over fork: set here, in the
	 * process that runs the loop) */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		syslog(LOG_WARNING, "PR_SET_CHILD_SUBREAPER: %m; workers are exec'd per connection");
		d->tmpl.failed = true;
		return;
	}
	fd = worker_spawn(d, -1, false, &pid, 0);
	if (fd < 0) {
		syslog(LOG_WARNING, "cannot start a worker template; workers are exec'd "
		       "per connection until the next try");
		d->tmpl.failed = true;
		return;
	}
	d->tmpl.fd = fd;
	d->tmpl.pid = pid;
	d->tmpl.ready = false;
	d->tmpl.uses = 0;
}

bool skd_template_reaped(struct skd *d, pid_t pid, int status)
{
	if (pid != d->tmpl.pid || pid <= 0)
		return false;
	d->tmpl.pid = 0;
	if (d->tmpl.fd >= 0) {
		/* it ended on its own: not retired by main */
		syslog(LOG_WARNING, "worker template %s", WIFSIGNALED(status) ?
		       "was killed" : "exited");
		skd_template_retire(d, NULL);
		/* no start loop: the next try after the next connection */
		d->tmpl.failed = true;
	}
	return true;
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
	/* its key sockets went with it: a new template asks the new one */
	skd_template_retire(d, "the key holder was restarted");
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
	skd_template_retire(d, NULL);
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
