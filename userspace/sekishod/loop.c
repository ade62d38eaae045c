// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod's event loop: one epoll set over the TCP listeners, the DTLS
 * listeners, the control socket, the signalfd, the kernel events socket, the
 * workers' socketpairs and the sessions' connected UDP sockets.  A tick per
 * second runs the timers.  Workers are forked and exec'd here (spawn.c), one
 * per connection;
 * every message they send is checked for its type and exact length before
 * anything reads it, and a worker that breaks the protocol is killed.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cap-ng.h>

#include "daemon.h"
#include "skfd.h"

int skd_poll_add(struct skd *d, int fd, struct skd_ev *ev)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };

	return epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

void skd_poll_del(struct skd *d, int fd)
{
	epoll_ctl(d->ep, EPOLL_CTL_DEL, fd, NULL);
}

void skd_ipc_header(void *msg, enum sk_ipc_type type, size_t len)
{
	struct sk_ipc_hdr *h = msg;

	h->magic = SK_IPC_MAGIC;
	h->type = (uint16_t)type;
	h->reserved = 0;
	h->len = (uint32_t)len;
}

int skd_ipc_send(struct skd_worker *w, const void *msg, size_t len, int fd)
{
	ssize_t n;

	if (w->fd < 0 || len > SK_IPC_MAX)
		return -EPIPE;
	/* never block the whole gateway on one worker: its socket buffer is
	 * sized for the largest message, a full one means it stopped reading */
	n = sk_send_fd(w->fd, msg, len, fd, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

static void worker_close(struct skd *d, struct skd_worker *w)
{
	if (w->fd >= 0) {
		skd_poll_del(d, w->fd);
		close(w->fd);
		w->fd = -1;
	}
}

/* a free worker slot taken for a process just started (a login
 * connection, an in-tunnel re-check, a DTLS worker): the caller adds what
 * its kind needs and registers w->fd with the poll loop */
void skd_worker_slot(struct skd *d, struct skd_worker *w, pid_t pid, int ipc,
		     const struct sockaddr_storage *peer, int64_t now)
{
	memset(w, 0, sizeof(*w));
	w->ev.kind = SKD_EV_WORKER;
	w->ev.idx = (int)(w - d->workers);
	w->used = true;
	w->pid = pid;
	w->fd = ipc;
	w->peer = *peer;
	w->started = now;
	skd_conf_addr_text(peer, w->remote, sizeof(w->remote));
}

void skd_worker_kill(struct skd *d, struct skd_worker *w, const char *text)
{
	if (w->s) {
		struct skd_session *s = w->s;

		w->s = NULL;
		if (s->w == w) {
			s->w = NULL;
			/* a DTLS worker's end leaves its session as it was:
			 * the kernel carries it (dtlsw.c) */
			if (w->dtls_only)
				skd_dtlsw_ended(d, s);
			else
				s->detached_at = skd_now();
		}
	}
	if (text && w->fd >= 0) {
		struct sk_ipc_kill k;

		memset(&k, 0, sizeof(k));
		skd_ipc_header(&k, SK_IPC_KILL, sizeof(k));
		snprintf(k.text, sizeof(k.text), "%s", text);
		if (!skd_ipc_send(w, &k, sizeof(k), -1)) {
			/* it sends the client TERMINATE and exits; if not, SIGKILL */
			w->kill_at = skd_now() + 5;
			return;
		}
	}
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
	worker_close(d, w);
}

void skd_worker_fault(struct skd *d, struct skd_worker *w, const char *why)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "{\"pid\":%d,\"why\":\"%s\"}", (int)w->pid, why);
	skd_audit(d, "worker-protocol", w->s ? w->s->user : "", "", w->remote, "killed", detail);
	syslog(LOG_WARNING, "worker %d (%s) broke the protocol (%s): killed", (int)w->pid,
	       w->remote, why);
	skd_worker_kill(d, w, NULL);
	/* a worker that breaks the protocol may be an attacker's: the layout
	 * its generation shares is not used for another connection */
	skd_template_retire(d, "a worker broke the protocol");
}

/* per-source connection rate: true if this connection is over the limit */
static bool rate_exceeded(struct skd *d, const struct sockaddr_storage *ss, int64_t now)
{
	uint8_t a[16] = { 0 };
	struct skd_rate *slot = NULL, *oldest = NULL;
	int fam = ss->ss_family;

	if (fam == AF_INET)
		memcpy(a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	for (int i = 0; i < SKD_RATE_SLOTS; i++) {
		struct skd_rate *r = &d->rate[i];

		if (r->family == fam && !memcmp(r->addr, a, 16)) {
			slot = r;
			break;
		}
		if (!oldest || r->window < oldest->window)
			oldest = r;
	}
	if (!slot) {
		slot = oldest;
		memset(slot, 0, sizeof(*slot));
		slot->family = fam;
		memcpy(slot->addr, a, 16);
	}
	if (now - slot->window >= SKD_RATE_WINDOW) {
		slot->window = now;
		slot->count = 0;
	}
	return ++slot->count > d->conf.rate_per_source;
}

static void on_accept(struct skd *d, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct skd_worker *w = NULL;
	int64_t now = skd_now();
	int fd, ipc, one = 1;
	struct stat st = { 0 };
	pid_t pid;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* Every write of the worker is a whole TLS flight or HTTP answer.
	 * With Nagle, an answer written right after OpenSSL's TLS 1.3 session
	 * tickets waited for the client's delayed ACK: 40 ms per login. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (d->n_preauth >= d->conf.max_preauth || rate_exceeded(d, &ss, now)) {
		close(fd);	/* a flood meets a closed door, not a fork */
		return;
	}
	for (int i = 0; i < SKD_MAX_WORKERS; i++)
		if (!d->workers[i].used) {
			w = &d->workers[i];
			break;
		}
	/* which socket this is: a kernel TLS hand-off must bring it back (ktls.c) */
	if (fstat(fd, &st))
		st.st_ino = 0;
	/* forked by the worker template (spawn.c), or exec'd now */
	ipc = w ? skd_worker_start(d, fd, &pid, 0) : -1;
	close(fd);
	d->tmpl.failed = false;		/* the loop may try a template again */
	if (ipc < 0)
		return;
	skd_worker_slot(d, w, pid, ipc, &ss, now);
	w->client_dev = st.st_dev;
	w->client_ino = st.st_ino;
	d->n_preauth++;
	if (skd_poll_add(d, w->fd, &w->ev))
		skd_worker_kill(d, w, NULL);
}

static void reap(struct skd *d)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == d->binder_pid) {
			char why[64];

			d->binder_pid = 0;
			snprintf(why, sizeof(why), WIFSIGNALED(status) ? "killed by signal %d" :
				 "exited with status %d", WIFSIGNALED(status) ? WTERMSIG(status) :
				 WEXITSTATUS(status));
			skd_binder_lost(d, why);
			continue;
		}
		if (pid == d->keyholder_pid) {
			char why[64];

			snprintf(why, sizeof(why), WIFSIGNALED(status) ? "killed by signal %d" :
				 "exited with status %d", WIFSIGNALED(status) ? WTERMSIG(status) :
				 WEXITSTATUS(status));
			skd_keyholder_lost(d, why);
			continue;
		}
		if (skd_template_reaped(d, pid, status))
			continue;
		for (int i = 0; i < SKD_MAX_WORKERS; i++) {
			struct skd_worker *w = &d->workers[i];

			if (!w->used || w->pid != pid)
				continue;
			/* a worker that dies only ends its connection; one that
			 * crashed (or met seccomp) ends its template's
			 * generation too: a crash may be a probe of the layout
			 * the generation shares (main itself ends workers with
			 * SIGTERM or SIGKILL) */
			if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL &&
			    WTERMSIG(status) != SIGTERM)
				skd_template_retire(d, "a worker crashed");
			/* a tunnel's worker that did not end well (not
			 * main's SIGKILL): why a session lost its worker */
			if (w->tunnel && (WIFSIGNALED(status) ? WTERMSIG(status) != SIGKILL &&
					  WTERMSIG(status) != SIGTERM : WEXITSTATUS(status) != 0))
				syslog(LOG_WARNING, "worker %d (%s, a tunnel) %s %d", (int)pid, w->remote,
				       WIFSIGNALED(status) ? "killed by signal" : "exited with status",
				       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			skd_worker_gone(d, w);
			worker_close(d, w);
			memset(w, 0, sizeof(*w));
			w->fd = -1;
			break;
		}
	}
}

static void on_signal(struct skd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(d);
			break;
		case SIGTERM:
		case SIGINT:
			d->stop = true;
			break;
		case SIGHUP:
			/* the server certificate and key: the new pair is
			 * checked first, a bad one keeps the old */
			{
				char err[512];
				bool server = !skd_cert_reload(d, err, sizeof(err));

				if (!server)
					syslog(LOG_ERR, "SIGHUP: the server certificate was not "
					       "reloaded, the old one stays in use: %s", err);
				else
					skd_log("SIGHUP: server certificate %s and key reloaded; "
						"new connections use them", d->conf.server_cert);
				/* the metrics listener's own pair, and the server
				 * certificate's end in its text */
				if (skd_metrics_reload(d, server, err, sizeof(err)))
					syslog(LOG_ERR, "SIGHUP: the metrics certificate was not "
					       "reloaded, the old one stays in use: %s", err);
				else if (d->metrics_tls)
					skd_log("SIGHUP: metrics certificate %s and key reloaded",
						d->conf.metrics_cert);
				/* and its bearer token */
				skd_metrics_token_reload(d);
			}
			if (d->certv && d->conf.crl[0]) {
				char err[256];

				if (sk_certv_reload_crl(d->certv, d->conf.crl, err, sizeof(err)))
					syslog(LOG_ERR, "SIGHUP: CRL reload: %s", err);
				else
					skd_log("SIGHUP: CRL %s reloaded", d->conf.crl);
			}
			break;
		}
	}
}

static bool want_fd(uint16_t type)
{
	return type == SK_IPC_DTLS_KEYS || type == SK_IPC_KTLS;
}

static size_t exact_len(uint16_t type)
{
	switch (type) {
	case SK_IPC_HELLO: return sizeof(struct sk_ipc_hello);
	case SK_IPC_CONNECT: return sizeof(struct sk_ipc_connect);
	case SK_IPC_DTLS_KEYS: return sizeof(struct sk_ipc_dtls_keys);
	case SK_IPC_DTLS_FAIL: return sizeof(struct sk_ipc_dtls_fail);
	case SK_IPC_CSTP_END: return sizeof(struct sk_ipc_cstp_end);
	case SK_IPC_PROFILE: return sizeof(struct sk_ipc_profile);
	case SK_IPC_PAC: return sizeof(struct sk_ipc_pac);
	case SK_IPC_HOSTSCAN: return sizeof(struct sk_ipc_hostscan);
	case SK_IPC_KTLS: return sizeof(struct sk_ipc_ktls);
	case SK_IPC_KTLS_SKIP: return sizeof(struct sk_ipc_ktls_skip);
	case SK_IPC_RECHECK: return sizeof(struct sk_ipc_recheck);
	case SK_IPC_AUTH: return 0;	/* variable, checked by skd_on_auth */
	default: return (size_t)-1;	/* main -> worker types, or unknown */
	}
}

/*
 * Reads one message from worker w and handles it: the type, the exact
 * length and the descriptors are checked before anything reads the body,
 * and a worker that breaks the protocol is killed.  The event loop calls it
 * when w's socket is readable; so does the IPC fuzz target
 * (userspace/fuzz/ipc-fuzz.c), which plays a compromised worker.
 */
void skd_worker_recv(struct skd *d, struct skd_worker *w)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { d->rxbuf, SK_IPC_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	const struct sk_ipc_hdr *h = (const void *)d->rxbuf;
	int fds[4], nfd = 0;
	size_t want;
	ssize_t n;

	n = recvmsg(w->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the worker closed its end; SIGCHLD does the bookkeeping */
		skd_worker_gone(d, w);
		worker_close(d, w);
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfd < 4; i++)
				memcpy(&fds[nfd++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof(*h) ||
	    h->magic != SK_IPC_MAGIC || h->len != (uint32_t)n ||
	    (want = exact_len(h->type)) == (size_t)-1 || (want && (size_t)n != want) ||
	    (want_fd(h->type) ? nfd != 1 : nfd != 0) ||
	    /* a re-check worker sends RECHECK and nothing else; only it may */
	    (w->recheck_sid != 0) != (h->type == SK_IPC_RECHECK)) {
		for (int i = 0; i < nfd; i++)
			close(fds[i]);
		skd_worker_fault(d, w, "malformed message");
		return;
	}
	/* a DTLS worker (dtlsw.c) has one thing to say: the keys, or that
	 * its handshake failed.  Anything else (a CSTP_END that would end
	 * or detach the session, a login) is a compromised worker's */
	if (w->dtls_only && h->type != SK_IPC_DTLS_KEYS && h->type != SK_IPC_DTLS_FAIL) {
		for (int i = 0; i < nfd; i++)
			close(fds[i]);
		skd_worker_fault(d, w, "a DTLS worker's message other than DTLS_KEYS or DTLS_FAIL");
		return;
	}
	switch (h->type) {
	case SK_IPC_HELLO:
		break;		/* the accept address is the one we trust */
	case SK_IPC_AUTH:
		skd_on_auth(d, w, d->rxbuf, (size_t)n);
		break;
	case SK_IPC_CONNECT:
		skd_on_connect(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_DTLS_KEYS:
		skd_on_dtls_keys(d, w, (void *)d->rxbuf, fds[0]);
		sk_wipe(d->rxbuf, (size_t)n);
		break;
	case SK_IPC_DTLS_FAIL:
		skd_on_dtls_fail(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_CSTP_END:
		skd_on_cstp_end(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_PROFILE:
		skd_on_profile(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_PAC:
		skd_on_pac(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_HOSTSCAN:
		skd_on_hostscan(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_KTLS:
		skd_on_ktls(d, w, (void *)d->rxbuf, fds[0]);
		sk_wipe(d->rxbuf, (size_t)n);
		break;
	case SK_IPC_KTLS_SKIP:
		skd_on_ktls_skip(d, w, (const void *)d->rxbuf);
		break;
	case SK_IPC_RECHECK:
		skd_on_recheck(d, w, (const void *)d->rxbuf);
		break;
	}
}

/* Audit retention (admin/retention.c, audit.retention_days): a minute
 * after the start, then once a day (audit_prune_interval: shorter for
 * tests only); each gateway of a shared store does it (the transaction
 * makes the second one find nothing). */
bool skd_audit_prune_timer(struct skd *d, int64_t now)
{
	int every = d->conf.audit_prune_interval > 0 ? d->conf.audit_prune_interval : 86400;
	struct ska_prune r;
	char err[1024], *nl;

	if (!d->audit_prune_next)
		d->audit_prune_next = now + (every < 60 ? every : 60);
	if (now < d->audit_prune_next)
		return false;
	d->audit_prune_next = now + every;
	if (ska_audit_prune(d->st, "sekishod", now, 0, &r, err, sizeof(err))) {
		if ((nl = strchr(err, '\n')))
			*nl = '\0';	/* the English line */
		syslog(LOG_ERR, "audit retention: %s", err);
	} else if (r.deleted) {
		skd_log("audit retention: %lld record(s) older than %lld deleted%s%s",
			(long long)r.deleted, (long long)r.before,
			r.export_path[0] ? ", exported to " : "", r.export_path);
	}
	return true;
}

static void tick(struct skd *d, int64_t now)
{
	skd_timers(d, now);
	skd_control_timers(d, now);
	(void)ska_auditlog_poll(&d->auditlog, d->st);
	skd_metrics_timers(d, now);
	(void)skd_audit_prune_timer(d, now);
	skd_live_run(d);	/* connects again after a loss; connect timeouts */
	skd_recheck_timers(d, now);
	for (int i = 0; i < SKD_MAX_WORKERS; i++) {
		struct skd_worker *w = &d->workers[i];

		if (w->used && w->kill_at && now >= w->kill_at && w->pid > 0) {
			kill(w->pid, SIGKILL);
			w->kill_at = 0;
		}
	}
}

int skd_loop(struct skd *d)
{
	struct epoll_event evs[64];
	int64_t last = 0;

	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->ep < 0)
		return -errno;
	for (int i = 0; i < d->n_tcp; i++) {
		d->tcp_ev[i] = (struct skd_ev){ SKD_EV_TCP, i };
		skd_poll_add(d, d->tcp_fd[i], &d->tcp_ev[i]);
	}
	for (int i = 0; i < d->n_udp; i++) {
		d->udp_ev[i] = (struct skd_ev){ SKD_EV_UDP_LISTEN, i };
		skd_poll_add(d, d->udp_fd[i], &d->udp_ev[i]);
	}
	d->control_ev = (struct skd_ev){ SKD_EV_CONTROL, 0 };
	d->signal_ev = (struct skd_ev){ SKD_EV_SIGNAL, 0 };
	d->kernel_ev = (struct skd_ev){ SKD_EV_KERNEL, 0 };
	if (d->control_fd >= 0)
		skd_poll_add(d, d->control_fd, &d->control_ev);
	d->metrics_ev = (struct skd_ev){ SKD_EV_METRICS, 0 };
	if (d->metrics_fd >= 0)
		skd_poll_add(d, d->metrics_fd, &d->metrics_ev);
	d->recheck_ev = (struct skd_ev){ SKD_EV_RECHECK, 0 };
	if (d->recheck_fd >= 0)
		skd_poll_add(d, d->recheck_fd, &d->recheck_ev);
	skd_poll_add(d, d->sig_fd, &d->signal_ev);
	if (d->have_kernel && skd_kernel_event_fd(&d->k) >= 0)
		skd_poll_add(d, skd_kernel_event_fd(&d->k), &d->kernel_ev);
	/* after the privilege drop: the threads hold what this one holds */
	if (skd_hashq_start(d))
		syslog(LOG_WARNING, "no password hashing threads: hashing on the event loop");
	/* a shared PostgreSQL store: hear what other gateways change */
	skd_live_open(d);

	while (!d->stop) {
		int n = epoll_wait(d->ep, evs, 64, 1000);
		int64_t now;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			const struct skd_ev *ev = evs[i].data.ptr;

			switch (ev->kind) {
			case SKD_EV_TCP:
				on_accept(d, d->tcp_fd[ev->idx]);
				break;
			case SKD_EV_UDP_LISTEN:
				skd_udp_listener(d, ev->idx);
				break;
			case SKD_EV_CONTROL:
				skd_control_accept(d);
				break;
			case SKD_EV_CONTROL_CONN:
				skd_control_io(d, ev->idx);
				break;
			case SKD_EV_SIGNAL:
				on_signal(d);
				break;
			case SKD_EV_KERNEL:
				skd_kernel_events(&d->k, skd_kernel_event, d);
				break;
			case SKD_EV_WORKER:
				if (d->workers[ev->idx].used && d->workers[ev->idx].fd >= 0)
					skd_worker_recv(d, &d->workers[ev->idx]);
				break;
			case SKD_EV_SESSION_UDP:
				if (d->sessions[ev->idx].used)
					skd_udp_session(d, &d->sessions[ev->idx]);
				break;
			case SKD_EV_HASH:
				skd_hashq_done(d);
				break;
			case SKD_EV_METRICS:
				skd_metrics_accept(d);
				break;
			case SKD_EV_METRICS_CONN:
				skd_metrics_io(d);
				break;
			case SKD_EV_LISTEN:
				skd_live_run(d);
				break;
			case SKD_EV_RECHECK:
				skd_recheck_accept(d);
				break;
			}
		}
		/* after the batch (a retired template was reaped in it) */
		skd_template_start(d);
		now = skd_now();
		if (now != last) {
			tick(d, now);
			last = now;
		}
	}
	/* workers end with the daemon: their tunnels cannot outlive the
	 * kernel peers it removes */
	for (int i = 0; i < SKD_MAX_WORKERS; i++)
		if (d->workers[i].used && d->workers[i].pid > 0)
			kill(d->workers[i].pid, SIGTERM);
	return 0;
}
