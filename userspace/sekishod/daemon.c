// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod startup: everything that needs root happens here, in this
 * order, and then the process keeps only CAP_NET_ADMIN (peers, keys and
 * policies over genetlink):
 *   store (and its directory handed to the service user), previous sessions
 *   dropped, client-certificate verifier, mail, the sekisho device, TCP and
 *   UDP listeners, control socket, kernel policies, gateway addresses (which
 *   route each pool to the device), the TLS context for the workers, the
 *   binder process (binder.c).
 * The per-client UDP sockets bind the DTLS port again (usually 443) long
 * after the drop; that needs CAP_NET_BIND_SERVICE, which only the binder
 * keeps: a process of its own, forked after daemon() (whose fork would
 * orphan it) and before the drop and the hashing threads (hashq.c), running
 * as the service user under seccomp, that binds only the configured DTLS
 * addresses and hands the sockets over.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>

#include "binder.h"
#include "daemon.h"
#include "skbackup.h"

int64_t skd_now(void)
{
	return (int64_t)time(NULL);
}

void skd_log(const char *fmt, ...)
{
	va_list ap;

	/* stderr goes to the journal under systemd (-f); syslog otherwise */
	va_start(ap, fmt);
	vsyslog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void skd_audit(struct skd *d, const char *type, const char *user, const char *device,
	       const char *source, const char *result, const char *detail)
{
	struct sk_audit a;

	memset(&a, 0, sizeof(a));
	a.time = skd_now();
	snprintf(a.type, sizeof(a.type), "%s", type);
	snprintf(a.actor, sizeof(a.actor), "%s", user && user[0] ? user : "-");
	snprintf(a.user, sizeof(a.user), "%s", user ? user : "");
	snprintf(a.device, sizeof(a.device), "%s", device ? device : "");
	snprintf(a.source, sizeof(a.source), "%s", source ? source : "");
	snprintf(a.result, sizeof(a.result), "%s", result ? result : "");
	snprintf(a.detail, sizeof(a.detail), "%s", detail && detail[0] ? detail : "{}");
	if (sk_audit_add(d->st, &a))
		syslog(LOG_WARNING, "audit record %s for %s could not be stored", type,
		       user ? user : "-");
}

/*
 * The per-client tables (and the IPC receive buffer, which main writes at
 * every message) are large (the session table alone is 4096 slots,
 * about 2.7 MB) and every worker is a fork of this process.  A worker needs
 * none of them, and they hold other users' sessions, addresses and host
 * scans, which the worker used to wipe after the fork: every page it wrote
 * became a private copy, and since a free session slot is not all zeros
 * (udp_fd = stream_fd = -1), that was the whole table, 2.7 MB per tunnel
 * (measured with tests/bench/worker-mem.sh).  So they get mappings of their
 * own, made MADV_WIPEONFORK once the daemon() fork is behind us: the worker
 * sees fresh zero pages, which cost nothing until written, and nothing of
 * the parent's.  Where the kernel lacks it (before 4.14),
 * skd->tables_wipe_on_fork stays false and the worker wipes the slots in
 * use.
 */
static size_t table_len(size_t n, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n * size + pg - 1) / pg * pg;
}

static void *table_new(size_t n, size_t size)
{
	void *p = mmap(NULL, table_len(n, size), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool table_wipe_on_fork(void *p, size_t n, size_t size)
{
	return madvise(p, table_len(n, size), MADV_WIPEONFORK) == 0;
}

/* After daemon(): its fork must keep the tables.  Before the binder and
 * the first worker.  Not the login table: the worker frees the logins in
 * progress, whose heap parts (password hashes, posted passwords) it did
 * inherit (loop.c child). */
static void tables_wipe_on_fork(struct skd *d)
{
	d->tables_wipe_on_fork =
		table_wipe_on_fork(d->workers, SKD_MAX_WORKERS, sizeof(*d->workers)) &&
		table_wipe_on_fork(d->sessions, SKD_MAX_SESSIONS, sizeof(*d->sessions)) &&
		table_wipe_on_fork(d->rate, SKD_RATE_SLOTS, sizeof(*d->rate)) &&
		table_wipe_on_fork(d->hscans, SKD_MAX_HOSTSCANS, sizeof(*d->hscans)) &&
		table_wipe_on_fork(d->rxbuf, 1, SK_IPC_MAX);
	if (!d->tables_wipe_on_fork)
		syslog(LOG_WARNING, "MADV_WIPEONFORK: %m; workers wipe the tables they inherit");
}

static void table_free(void *p, size_t n, size_t size)
{
	if (p)
		munmap(p, table_len(n, size));
}

int skd_init(struct skd *d)
{
	memset(d, 0, sizeof(*d));
	d->auditlog.fd = -1;
	d->metrics_fd = d->metrics_conn_fd = -1;
	d->recheck_fd = -1;
	d->control_fd = d->sig_fd = d->ep = d->binder_fd = -1;
	d->worker_exe = d->keyholder_exe = d->wcfg_fd = d->key_fd = d->cert_fd = -1;
	d->keyholder_fd = d->tmpl.fd = -1;
	for (int i = 0; i < SKD_LISTEN_MAX; i++)
		d->tcp_fd[i] = d->udp_fd[i] = -1;
	d->workers = table_new(SKD_MAX_WORKERS, sizeof(*d->workers));
	d->sessions = table_new(SKD_MAX_SESSIONS, sizeof(*d->sessions));
	d->logins = table_new(SKD_MAX_LOGINS, sizeof(*d->logins));
	d->rate = table_new(SKD_RATE_SLOTS, sizeof(*d->rate));
	d->hscans = table_new(SKD_MAX_HOSTSCANS, sizeof(*d->hscans));
	d->rxbuf = table_new(1, SK_IPC_MAX);
	if (!d->workers || !d->sessions || !d->logins || !d->rate || !d->rxbuf || !d->hscans)
		return -ENOMEM;
	for (int i = 0; i < SKD_MAX_WORKERS; i++) {
		d->workers[i].fd = -1;
		d->workers[i].ev.kind = SKD_EV_WORKER;
		d->workers[i].ev.idx = i;
	}
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		skd_session_clear(&d->sessions[i]);
	skd_conf_defaults(&d->conf);
	return 0;
}

static int read_secret(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "smtp_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "smtp_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* the state directory and the database files belong to the service user,
 * so that SQLite can still create its -wal/-shm files after the drop */
static void store_owner(const char *path, uid_t uid, gid_t gid)
{
	char dir[SKD_PATH_MAX], f[SKD_PATH_MAX + 8];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	snprintf(dir, sizeof(dir), "%s", path);
	if (chown(dirname(dir), uid, gid) && errno != ENOENT)
		syslog(LOG_WARNING, "chown %s: %m", dir);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
		if (chown(f, uid, gid) && errno != ENOENT)
			syslog(LOG_WARNING, "chown %s: %m", f);
	}
}

static int mkdir_parent(const char *path, mode_t mode)
{
	char dir[SKD_PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (mkdir(dir, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The store's sessions of a previous run: the killed, expired and stale
 * ones go, the others wait for their client's reconnect (session.c,
 * decisions/session-persistence.md). */
static void old_sessions(struct skd *d)
{
	int dropped = skd_sessions_sweep(d, skd_now(), true);
	char detail[64];

	if (dropped) {
		snprintf(detail, sizeof(detail), "{\"sessions\":%d}", dropped);
		skd_audit(d, "daemon", "", "", "", "sessions-dropped", detail);
	}
	if (d->orphans) {
		snprintf(detail, sizeof(detail), "{\"sessions\":%d}", d->orphans);
		skd_audit(d, "daemon", "", "", "", "sessions-resumable", detail);
		skd_log("%d sessions of the previous run can resume", d->orphans);
	}
}

static int listen_tcp(struct skd *d, char *err, size_t errlen)
{
	for (int i = 0; i < d->conf.n_listen; i++) {
		const struct sockaddr_storage *ss = &d->conf.listen[i];
		char text[128];
		int one = 1, fd;

		skd_conf_addr_text(ss, text, sizeof(text));
		fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errlen, "listen %s: %s", text, strerror(errno));
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss->ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)ss, d->conf.listen_len[i]) ||
		    listen(fd, 1024)) {
			snprintf(err, errlen, "listen %s: %s", text, strerror(errno));
			close(fd);
			return -1;
		}
		d->tcp_fd[d->n_tcp++] = fd;
	}
	return 0;
}

/* One UDP socket on the DTLS port per listen address.  SO_REUSEADDR only:
 * the per-client sockets bound to the same port later are created by the
 * service user, and SO_REUSEPORT groups require the same owner; connected
 * UDP sockets win the kernel's lookup over this unconnected one anyway. */
static int listen_udp(struct skd *d, char *err, size_t errlen)
{
	for (int i = 0; i < d->conf.n_listen; i++) {
		struct sockaddr_storage ss = d->conf.listen[i];
		socklen_t sl = d->conf.listen_len[i];
		char text[128];
		int one = 1, fd;

		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(d->conf.dtls_port);
		else
			((struct sockaddr_in *)&ss)->sin_port = htons(d->conf.dtls_port);
		skd_conf_addr_text(&ss, text, sizeof(text));
		fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errlen, "DTLS socket %s: %s", text, strerror(errno));
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl)) {
			snprintf(err, errlen, "DTLS socket %s: %s", text, strerror(errno));
			close(fd);
			return -1;
		}
		d->udp_addr[d->n_udp] = ss;
		d->udp_len[d->n_udp] = sl;
		d->udp_fd[d->n_udp++] = fd;
	}
	return 0;
}

struct gw_arg {
	struct skd *d;
	int n, failed;
};

static int add_gateway(const struct sk_group *g, void *arg)
{
	struct gw_arg *a = arg;
	const char *pools[2] = { g->pool4, g->pool6 };

	for (int i = 0; i < 2; i++) {
		struct skd_pool p;
		uint8_t gw[16];
		int ret;

		if (!pools[i][0] || skd_pool_parse(pools[i], &p))
			continue;
		skd_pool_gateway(&p, gw);
		ret = skd_kernel_addr_add(&a->d->k, p.family, gw, p.plen);
		if (ret) {
			syslog(LOG_ERR, "group %s: gateway address of pool %s: %s", g->name,
			       pools[i], strerror(-ret));
			a->failed++;
		} else {
			a->n++;
		}
	}
	return 0;
}

static int drop_privileges(struct skd *d, char *err, size_t errlen)
{
	int ret;

	if (geteuid() != 0) {
		syslog(LOG_WARNING, "not started as root: keeping uid %u as it is", geteuid());
		return 0;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	/* port 443 is the binder's business (binder.c) */
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	ret = capng_change_id((int)d->uid, (int)d->gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (ret) {
		snprintf(err, errlen, "dropping to user %s: capng_change_id failed (%d)",
			 d->conf.user, ret);
		return -1;
	}
	return 0;
}

/* In the binder, right after the fork: it needs nothing of the main
 * process's memory, so the secrets in it go (the SMTP passwords; main
 * never holds the TLS private key, the key holder does). */
static void binder_scrub(void *arg)
{
	struct skd *d = arg;

	sk_wipe(d->smtp_password, sizeof(d->smtp_password));
	sk_wipe(d->mail_password, sizeof(d->mail_password));
}

static int start_binder(struct skd *d, char *err, size_t errlen)
{
	if (geteuid() != 0 || !d->n_udp)
		return 0;	/* drop_privileges keeps the uid: udp.c binds itself */
	if (skd_binder_start(d->udp_addr, d->udp_len, d->n_udp, d->uid, d->gid, binder_scrub, d,
			     &d->binder_fd, &d->binder_pid, err, errlen))
		return -1;
	d->binder_on = true;
	skd_log("binder process %d binds the DTLS sockets", (int)d->binder_pid);
	return 0;
}

/*
 * The mail relay: the store's smtp.* settings win when smtp.url is set
 * there, so an administrator can move the relay with `sekictl settings set`
 * on a running gateway; otherwise the bootstrap file's smtp_* keys.
 */
const char *skd_mail_warning(const struct skd_conf *c, const char *store_url)
{
	if (!c->smtp_url[0] || !store_url || !store_url[0])
		return NULL;
	return "smtp_url in the bootstrap file and the store's smtp.url are both set: the "
	       "store's smtp.url, smtp.from, smtp.user and smtp.password are used for every mail "
	       "(one-time codes too); remove smtp_url, smtp_user and smtp_password_file from the "
	       "bootstrap file / ブートストラップファイルの smtp_url とストアの smtp.url の両方が"
	       "設定されています。すべてのメール（ワンタイムパスワードを含む）にストアの smtp.* が"
	       "使われます。ブートストラップファイルの smtp_url、smtp_user、smtp_password_file を"
	       "削除してください";
}

void skd_mail_refresh(struct skd *d)
{
	char url[sizeof(d->mail_url)] = "";
	const char *warn;

	memset(&d->mail, 0, sizeof(d->mail));
	d->have_mail = false;
	if (!sk_setting_get(d->st, "smtp.url", url, sizeof(url)) && url[0]) {
		if ((warn = skd_mail_warning(&d->conf, url)))
			syslog(LOG_WARNING, "%s", warn);
		snprintf(d->mail_url, sizeof(d->mail_url), "%s", url);
		if (sk_setting_get(d->st, "smtp.from", d->mail_from, sizeof(d->mail_from)) ||
		    !d->mail_from[0])
			snprintf(d->mail_from, sizeof(d->mail_from), "%s", d->conf.smtp_from);
		if (sk_setting_get(d->st, "smtp.user", d->mail_user, sizeof(d->mail_user)))
			d->mail_user[0] = '\0';
		if (sk_setting_get(d->st, "smtp.password", d->mail_password, sizeof(d->mail_password)))
			d->mail_password[0] = '\0';
	} else if (d->conf.smtp_url[0]) {
		snprintf(d->mail_url, sizeof(d->mail_url), "%s", d->conf.smtp_url);
		snprintf(d->mail_from, sizeof(d->mail_from), "%s", d->conf.smtp_from);
		snprintf(d->mail_user, sizeof(d->mail_user), "%s", d->conf.smtp_user);
		snprintf(d->mail_password, sizeof(d->mail_password), "%s", d->smtp_password);
	} else {
		return;
	}
	d->mail.url = d->mail_url;
	d->mail.from = d->mail_from;
	d->mail.user = d->mail_user[0] ? d->mail_user : NULL;
	d->mail.password = d->mail_password[0] ? d->mail_password : NULL;
	d->mail.starttls = !strncmp(d->mail_url, "smtp://", 7) && d->mail.user;
	d->have_mail = true;
}

/* The CRL to enforce: the bootstrap file's, else the built-in CA's
 * (ca.dir/crl.pem), so that a revocation survives a restart. */
static const char *crl_path(struct skd *d, char *buf, size_t len)
{
	char dir[SKD_PATH_MAX] = "";

	if (d->conf.crl[0])
		return d->conf.crl;
	if (!sk_setting_get(d->st, "ca.dir", dir, sizeof(dir)) && dir[0]) {
		snprintf(buf, len, "%s/crl.pem", dir);
		if (!access(buf, R_OK))
			return buf;
	}
	return NULL;
}

/* chown a directory tree without following symbolic links (depth-bounded:
 * ca.dir holds files and one profiles/ directory) */
static void chown_tree(int dfd, uid_t uid, gid_t gid, int depth)
{
	DIR *dir;
	struct dirent *e;

	if (fchown(dfd, uid, gid))
		syslog(LOG_WARNING, "chown in ca.dir: %m");
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	while ((e = readdir(dir))) {
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR && depth > 0) {
			fd = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				chown_tree(fd, uid, gid, depth - 1);
		} else if (fchownat(dirfd(dir), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW)) {
			syslog(LOG_WARNING, "chown %s in ca.dir: %m", e->d_name);
		}
	}
	closedir(dir);
}

/*
 * `sekictl --store ... ca init` run as root before the first start leaves
 * ca.dir root-only; the admin commands run inside the daemon as its user
 * (cert issue, profile downloads), so the daemon takes ownership while it
 * is still root.
 */
static void ca_dir_owner(struct skd *d)
{
	char dir[SKD_PATH_MAX] = "";
	int fd;

	if (sk_setting_get(d->st, "ca.dir", dir, sizeof(dir)) || !dir[0])
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		chown_tree(fd, d->uid, d->gid, 2);
}

struct legacy { struct skd *d; int64_t now; int n; char first[SK_NAME_MAX * 2 + 2]; };

static int legacy_each(const struct sk_cert *c, void *arg)
{
	struct legacy *l = arg;
	struct sk_user u;

	if (c->revoked_at || c->user_uid[0] || c->not_after <= l->now ||
	    sk_user_get(l->d->st, c->user, &u) || !u.legacy_certs)
		return 0;
	sk_wipe(&u, sizeof(u));
	if (!l->n++)
		snprintf(l->first, sizeof(l->first), "%s %s", c->user, c->device);
	return 0;
}

/*
 * Certificates the built-in CA issued before users had a uid carry none:
 * auth/chain.c accepts them only for the user record that existed at the
 * upgrade (never for a name deleted and created again).  Say how many are
 * left, so that the administrator replaces them.
 */
static void legacy_certs_warning(struct skd *d)
{
	struct legacy l = { .d = d, .now = skd_now() };

	(void)sk_cert_list(d->st, NULL, legacy_each, &l);
	if (l.n)
		syslog(LOG_WARNING, "%d valid certificate%s issued before users had an identifier "
		       "(uid) %s accepted for the users who had them at the upgrade; replace %s "
		       "with 'sekictl profile send USER DEVICE' (the old one is revoked), e.g. %s",
		       l.n, l.n == 1 ? "" : "s", l.n == 1 ? "is" : "are", l.n == 1 ? "it" : "them",
		       l.first);
}

/* Groups that sign in with a certificate alone, allowed only by the
 * administrator's override (migration 4 set it for the groups that were
 * like that before the upgrade): named at every start with the fix, since
 * a compromised worker can pass that factor for any certificate it has
 * seen (sekishod-security.md, "The certificate factor"). */
struct cert_only { char names[512]; int n; };

static int cert_only_each(const struct sk_group *g, void *arg)
{
	struct cert_only *c = arg;
	size_t len = strlen(c->names);

	if (sk_group_cert_only(g) && g->cert_only_ok) {
		if (len + strlen(g->name) + 3 < sizeof(c->names))
			snprintf(c->names + len, sizeof(c->names) - len, "%s%s", c->n ? ", " : "",
				 g->name);
		c->n++;
	}
	return 0;
}

static void cert_only_warning(struct skd *d)
{
	struct cert_only c = { .n = 0 };

	(void)sk_group_list(d->st, cert_only_each, &c);
	if (c.n)
		syslog(LOG_WARNING, "group%s %s sign%s in with a client certificate alone "
		       "(cert-only-ok=yes): a compromised worker can pass that factor for any "
		       "certificate it has seen; add a factor with 'sekictl group set NAME "
		       "factors=cert,password cert-only-ok=no' (or email-otp, totp), see "
		       "sekishod-security.md", c.n == 1 ? "" : "s", c.names, c.n == 1 ? "s" : "");
}

static void chain_setup(struct skd *d)
{
	char v[256] = "";
	int bind;

	if (sk_setting_get(d->st, "gateway.name", d->gateway_name, sizeof(d->gateway_name)) ||
	    !d->gateway_name[0])
		gethostname(d->gateway_name, sizeof(d->gateway_name) - 1);
	d->chain.st = d->st;
	d->chain.mail = d->have_mail ? &d->mail : NULL;
	d->chain.certv = d->certv;
	d->chain.defer_hash = true;	/* argon2id on hashq.c's threads */
	d->chain.notice = skd_notice;	/* notices mailed off the login's path */
	d->chain.notice_arg = d;
	d->chain.gateway_name = d->gateway_name;
	d->chain.cert_bind = SK_BIND_CN;
	if (!sk_setting_get(d->st, "cert.bind", v, sizeof(v))) {
		/* the store spells the SAN e-mail binding "email" */
		bind = sk_cert_bind_from_name(!strcmp(v, "email") ? "san-email" : v);
		if (bind >= 0)
			d->chain.cert_bind = (enum sk_cert_bind)bind;
	}
}

/*
 * Each tunnel holds a few descriptors in main (its UDP socket, its CSTP
 * relay, the worker's IPC socket): started by hand, outside the systemd
 * unit's LimitNOFILE, the usual soft limit of 1024 would cap the gateway
 * far below max_sessions.  The hard limit is what the administrator
 * allows; take all of it.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			syslog(LOG_WARNING, "raising the open file limit: %m");
	}
}

/* true when stderr is the journal's stream (systemd sets JOURNAL_STREAM
 * to its "device:inode"; a redirected stderr no longer matches) */
bool skd_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &sb) &&
	       (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

int skd_startup(struct skd *d, char *err, size_t errlen)
{
	char crl[SKD_PATH_MAX + 16];
	struct passwd *pw;
	struct group *gr;
	sigset_t set;
	struct gw_arg gwa = { d, 0, 0 };
	int ret;

	/* -f copies each message to stderr, except when stderr is the
	 * journal (systemd's JOURNAL_STREAM): the journal reads /dev/log
	 * too, and would show every message twice */
	openlog("sekishod", LOG_PID | (d->conf.foreground && !skd_stderr_is_journal() ? LOG_PERROR : 0),
		LOG_DAEMON);
	raise_nofile();
	pw = getpwnam(d->conf.user);
	if (!pw) {
		snprintf(err, errlen, "user %s does not exist (create it: useradd --system %s)",
			 d->conf.user, d->conf.user);
		return -1;
	}
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	gr = getgrnam(d->conf.admin_group);
	if (!gr) {
		snprintf(err, errlen, "group %s does not exist (create it: groupadd --system %s)",
			 d->conf.admin_group, d->conf.admin_group);
		return -1;
	}
	d->admin_gid = gr->gr_gid;

	if (d->conf.smtp_password_file[0] &&
	    read_secret(d->conf.smtp_password_file, d->smtp_password, sizeof(d->smtp_password),
			err, errlen))
		return -1;

	/* a file store's directory; a PostgreSQL store (a URI) has none */
	if (!sk_store_is_url(d->conf.store) && (ret = mkdir_parent(d->conf.store, 0750))) {
		snprintf(err, errlen, "store directory of %s: %s", d->conf.store, strerror(-ret));
		return -1;
	}
	/* only sekictl init creates a store: a mistyped store = must not
	 * start a gateway on a new, empty one */
	if (sk_store_open_existing(d->conf.store, &d->st, err, errlen))
		return -1;
	if (geteuid() == 0 && !sk_store_is_url(d->conf.store))
		store_owner(d->conf.store, d->uid, d->gid);
	/* every audit record and session row of this process names it */
	if (d->conf.gateway[0])
		sk_store_set_gateway(d->st, d->conf.gateway);
	/* from the newest record on: this start's records are sent (and
	 * counted for the metrics, also with audit_syslog = no) */
	if ((ret = ska_auditlog_open(&d->auditlog, d->st, d->conf.audit_syslog_socket, "sekishod")))
		syslog(LOG_WARNING, "audit records are not sent to syslog (%s): %s",
		       d->conf.audit_syslog_socket, strerror(-ret));
	d->auditlog.quiet = !d->conf.audit_syslog;
	d->started_at = skd_now();
	old_sessions(d);
	skd_gateways_timer(d, d->started_at);	/* the first heartbeat */

	/* root acts on the store's paths (ca_dir_owner): only below the
	 * state directory, whoever wrote the store */
	if (sk_store_check_paths(d->st, err, errlen))
		return -1;
	legacy_certs_warning(d);
	cert_only_warning(d);
	if (geteuid() == 0)
		ca_dir_owner(d);
	if (d->conf.client_ca[0] &&
	    sk_certv_new(d->conf.client_ca, crl_path(d, crl, sizeof(crl)),
			 strcmp(d->conf.ocsp, "none") ? d->conf.ocsp : NULL, &d->certv, err, errlen))
		return -1;
	skd_mail_refresh(d);
	chain_setup(d);

	/* the worker and key holder executables, the key file (main never
	 * reads it) and the workers' configuration; opened as root */
	if (skd_spawn_init(d, err, errlen))
		return -1;

	if (skd_kernel_open(&d->k, d->conf.device, d->conf.mtu, err, errlen))
		return -1;
	d->have_kernel = true;
	/* the peers a previous run left (its sessions get new ones at their
	 * reconnect), before the policies they may hold are reprogrammed */
	if ((ret = skd_kernel_peer_flush(&d->k)) > 0)
		skd_log("device %s: %d peers of the previous run deleted", d->conf.device, ret);
	if (listen_tcp(d, err, errlen) || listen_udp(d, err, errlen))
		return -1;
	if (skd_control_open(d, err, errlen))
		return -1;
	if (skd_metrics_open(d, err, errlen))
		return -1;
	if (skd_recheck_open(d, err, errlen))
		return -1;
	if (skd_program_policies(d))
		syslog(LOG_ERR, "some policies could not be programmed into the kernel; their sessions deny everything");
	sk_group_list(d->st, add_gateway, &gwa);
	skd_log("device %s: %d gateway addresses%s", d->conf.device, gwa.n,
		gwa.failed ? " (some failed, see above)" : "");

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	if (!d->conf.foreground && daemon(0, 0)) {
		snprintf(err, errlen, "daemon: %s", strerror(errno));
		return -1;
	}
	tables_wipe_on_fork(d);
	if (start_binder(d, err, errlen) || skd_keyholder_start(d, err, errlen) ||
	    drop_privileges(d, err, errlen))
		return -1;
	skd_log("key holder process %d holds the TLS key", (int)d->keyholder_pid);
	skd_audit(d, "daemon", "", "", "", "started", "{}");
	return 0;
}

void skd_shutdown(struct skd *d)
{
	int kept = 0;
	char detail[64];

	skd_hashq_stop(d);	/* first: its threads use logins */
	skd_live_close(d);
	/* the sessions stay in the store for the next run */
	if (d->sessions && d->st)
		kept = skd_sessions_suspend(d);
	if (d->logins)
		for (int i = 0; i < SKD_MAX_LOGINS; i++)
			if (d->logins[i].used && d->logins[i].l) {
				if (d->logins[i].pending)
					sk_wipe(d->logins[i].pending, d->logins[i].pending_len);
				free(d->logins[i].pending);
				sk_login_free(d->logins[i].l);
			}
	for (int i = 0; i < d->n_tcp; i++)
		close(d->tcp_fd[i]);
	for (int i = 0; i < d->n_udp; i++)
		close(d->udp_fd[i]);
	if (d->binder_fd >= 0)
		close(d->binder_fd);	/* it exits on EOF */
	if (d->binder_pid > 0) {
		kill(d->binder_pid, SIGKILL);
		waitpid(d->binder_pid, NULL, 0);
	}
	skd_control_close_all(d);
	if (d->control_fd >= 0) {
		close(d->control_fd);
		unlink(d->conf.control);
	}
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->ep >= 0)
		close(d->ep);
	if (d->have_kernel)
		skd_kernel_close(&d->k);
	if (d->certv)
		sk_certv_free(d->certv);
	skd_spawn_close(d);
	if (d->st) {
		snprintf(detail, sizeof(detail), "{\"sessions_kept\":%d}", kept);
		skd_audit(d, "daemon", "", "", "", "stopped", detail);
		(void)ska_auditlog_poll(&d->auditlog, d->st);
		sk_store_close(d->st);
	}
	sk_wipe(d->smtp_password, sizeof(d->smtp_password));
	table_free(d->workers, SKD_MAX_WORKERS, sizeof(*d->workers));
	table_free(d->sessions, SKD_MAX_SESSIONS, sizeof(*d->sessions));
	table_free(d->logins, SKD_MAX_LOGINS, sizeof(*d->logins));
	if (d->hscans)
		sk_wipe(d->hscans, SKD_MAX_HOSTSCANS * sizeof(*d->hscans));
	table_free(d->hscans, SKD_MAX_HOSTSCANS, sizeof(*d->hscans));
	table_free(d->rate, SKD_RATE_SLOTS, sizeof(*d->rate));
	table_free(d->rxbuf, 1, SK_IPC_MAX);
	ska_auditlog_close(&d->auditlog);
	skd_metrics_close(d);
	skd_recheck_close(d);
	closelog();
}
