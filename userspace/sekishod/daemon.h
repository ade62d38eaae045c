/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod's privileged main process: the one context (struct skd) and the
 * functions of main.c, daemon.c, loop.c, session.c, connect.c, ktls.c, udp.c
 * and control.c.  Everything mutable lives in struct skd; there is no other
 * global state (the signal mask is read through a signalfd).
 *
 * Bounds: SKD_MAX_WORKERS connections, SKD_MAX_SESSIONS sessions,
 * SKD_MAX_LOGINS logins in progress, each a fixed array allocated once.
 */
#ifndef SEKISHOD_DAEMON_H
#define SEKISHOD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "conf.h"
#include "ipc.h"
#include "kernel.h"
#include "skadmin.h"
#include "skauditlog.h"
#include "skauth.h"
#include "skchain.h"
#include "skstore.h"

#define SKD_MAX_WORKERS		4096
#define SKD_MAX_SESSIONS	4096
#define SKD_MAX_LOGINS		1024
#define SKD_MAX_POLICIES	1024	/* kernel policies we keep track of */
#define SKD_RATE_SLOTS		1024	/* sources tracked for the connection rate */
#define SKD_LOGIN_IDLE		600	/* a login in progress expires after 10 min idle */
#define SKD_STATS_EVERY		10	/* seconds between PEER_GET byte counters */
#define SKD_RATE_WINDOW		10	/* seconds of the per-source connection window */
#define SKD_REMOTE_MAX		(SK_ADDR_MAX * 2)
#define SKD_MAX_HOSTSCANS	1024	/* host scans kept (token -> report) */
#define SKD_HS_EXPIRE		600	/* a scan and its report live 10 min */
#define SKD_HS_WAIT		120	/* wait.html gives up (403) without a report by then */
#define SKD_KTLS_REASONS	15	/* kinds of kTLS fall-back counted (ktls.c) */
/* DTLS workers (dtlsw.c): started for a session's later DTLS handshake
 * when its own worker has left.  At most one per session at a time, at
 * most SKD_DTLS_WORKERS at once, one per session every SKD_DTLS_EVERY
 * seconds; one still alive SKD_DTLS_LIFE seconds after its start is
 * killed (its handshake times out after 15 s by itself). */
#define SKD_DTLS_WORKERS	32
#define SKD_DTLS_EVERY		5
#define SKD_DTLS_LIFE		20
#define SKD_HASH_THREADS_MAX	16	/* argon2id threads (conf hash_threads) */
#define SKD_CONTROL_MAX		8	/* control connections at once (one more: "busy") */
#define SKD_CONTROL_DEADLINE	10	/* s a control client has for its request (and input),
					 * and again for taking its reply */
/* Anonymous tables (issue 11 item 6): what one client may hold of the
 * logins in progress and the host scans.  A connection's own oldest entry
 * makes room for its next one; beyond the per-source bound, or with the
 * table full, the newcomer is refused: another source's entry is never
 * evicted. */
#define SKD_LOGINS_PER_CONN	2	/* logins in progress of one connection */
#define SKD_LOGINS_PER_SOURCE	64	/* of one source (IPv4 address, IPv6 /64) */
#define SKD_HS_PER_CONN		2	/* host scans one connection started */
#define SKD_HS_PER_SOURCE	64
/* In-tunnel posture re-checks (recheck.c, issue 12 (b)) */
#define SKD_RECHECK_MAX		16	/* re-check workers at once (then 503) */
#define SKD_RECHECK_EVERY	10	/* s between two re-checks of one session */
#define SKD_RECHECK_DEADLINE	30	/* s a re-check worker may live */

enum skd_ev_kind {
	SKD_EV_TCP = 1, SKD_EV_UDP_LISTEN, SKD_EV_CONTROL, SKD_EV_SIGNAL,
	SKD_EV_KERNEL, SKD_EV_WORKER, SKD_EV_SESSION_UDP, SKD_EV_HASH, SKD_EV_CONTROL_CONN,
	SKD_EV_METRICS, SKD_EV_METRICS_CONN, SKD_EV_LISTEN, SKD_EV_RECHECK,
};

/* the epoll tag of every descriptor we poll */
struct skd_ev {
	enum skd_ev_kind kind;
	int idx;
};

struct skd_session;
struct skd_recheck_pass;

/* A client source for the per-source bounds: the IPv4 address (also when
 * v4-mapped) or the IPv6 /64 (one customer's allocation, RFC 6177). */
struct skd_source {
	int family;
	uint8_t addr[16];
};

/* The connection that made an entry: the worker's slot and pid (a slot is
 * reused by a later connection with another pid). */
struct skd_owner {
	int idx;
	pid_t pid;
};

struct skd_worker {
	struct skd_ev ev;
	bool used;
	pid_t pid;
	int fd;				/* our end of the socketpair, -1 once closed */
	struct sockaddr_storage peer;
	char remote[SKD_REMOTE_MAX];	/* "addr:port" */
	bool tunnel;			/* got a 200 CONNECT: no longer pre-auth */
	bool ended;			/* sent CSTP_END */
	bool gone;			/* skd_worker_gone ran */
	struct skd_session *s;		/* the session of its tunnel */
	int64_t started;
	int64_t kill_at;		/* SIGKILL if still alive then (after a KILL message) */
	/* the client socket main accepted for it: a KTLS hand-off must
	 * bring back this very socket (ktls.c) */
	dev_t client_dev;
	ino_t client_ino;
	bool ktls_done;			/* it sent KTLS or KTLS_SKIP for its CONNECT */
	bool dtls_offered;		/* its CONNECT reply offered DTLS (X-DTLS-*) */
	/* an in-tunnel posture re-check's worker (recheck.c): the session
	 * its source address named at accept (-1: none); 0 = a login
	 * connection; recheck_why: the refusal decided at accept, 0 = none */
	int64_t recheck_sid;
	int recheck_why;
	/* its report passed: applied when the worker is gone (recheck.c) */
	struct skd_recheck_pass *recheck_pass;
	/* a DTLS worker (dtlsw.c): no TCP connection, one DTLS handshake of
	 * its session; only DTLS_KEYS and DTLS_FAIL are taken from it */
	bool dtls_only;
};

struct skd_session {
	struct skd_ev ev;		/* of udp_fd */
	bool used;
	int64_t id;			/* store id = kernel peer id */
	uint8_t cookie_hash[32];
	uint8_t app_id[32];
	bool has_app_id;
	char user[SK_NAME_MAX + 1];
	char group[SK_NAME_MAX + 1];
	char device[SK_NAME_MAX + 1];
	char lang[4];
	char remote[SKD_REMOTE_MAX];
	bool has4, has6;
	struct in_addr addr4;
	struct in6_addr addr6;
	int plen4, plen6;
	struct skd_worker *w;		/* the worker of the tunnel, NULL = detached */
	int64_t started;		/* login */
	int64_t expires;		/* absolute end (group session_timeout), 0 = none */
	int64_t detached_at;		/* 0 while a worker holds it */
	int64_t tunnel_started;		/* first CONNECT, 0 = none yet */
	int64_t last_seen;
	int udp_fd;			/* connected UDP socket the kernel peer uses, -1 */
	int stream_fd;			/* our end of the CSTP relay pair (kernel peer's STREAM), -1;
					 * with stream_ktls the client's TCP socket itself */
	bool stream_ktls;		/* the kernel reads CSTP from kernel TLS (ktls.c) */
	int64_t ktls_at;		/* when the kernel took the TLS stream (0: not) */
	bool udp_polled;
	bool peer_live;			/* a kernel peer exists */
	bool in_handshake;		/* the worker holds the UDP socket */
	int dtls_starts;		/* DTLS_STARTs its worker has not answered yet */
	int64_t dtls_start_at;
	/* kernel TLS and a DTLS key in the kernel: the worker leaves once
	 * the kernel has a record of the client's under that key (epoch, a
	 * sequence number above rx0): ktls.c, skd_ktls_timer */
	bool dtls_confirm;
	uint16_t dtls_epoch;
	uint64_t dtls_rx0;
	struct sockaddr_storage dtls_remote;
	/* the DTLS PSK of the TLS connection the kernel carries (from the
	 * worker's KTLS, only when DTLS was offered): a later handshake after
	 * the worker left is keyed with it (dtlsw.c).  A secret: wiped when
	 * the connection or the session ends, never logged or stored */
	uint8_t dtls_psk[32];
	bool has_psk;
	uint32_t dtls_base_mtu, dtls_mtu;	/* the CONNECT reply's, for the DTLS worker */
	int64_t dtls_spawned;		/* the last DTLS worker's start (rate limit) */
	uint32_t policy;
	int idle;
	uint64_t rx_bytes, tx_bytes;
	/* the counters of the kernel peers already replaced: a peer is made
	 * anew at every CONNECT and DTLS handshake, the totals go on */
	uint64_t rx_base, tx_base;
	/* posture (issue 12): the login's report (malloc'd, NULL = none),
	 * evaluated again at every CONNECT (Documentation/decisions/posture.md);
	 * quarantine: the remediation allowlist that replaces the group's
	 * policy, "" = none; quarantine_why: "check: reason" */
	struct sk_posture *posture;
	char quarantine[SK_PO_NAME];
	char quarantine_why[48];
	/* (issue 15, radacct.c) the RADIUS directory that accepted the login
	 * ("" = none), the Framed-IP-Address to assign ("" = the pool's),
	 * accounting state, and packets counted like the bytes */
	char radius_dir[SK_NAME_MAX + 1];
	char framed_ip[16];
	bool acct_started;
	int64_t acct_last;
	uint64_t rx_pkts, tx_pkts, rx_pbase, tx_pbase;
	/* (issue 15, dircheck.c) the directory re-check: last one, next look
	 * at the settings, the one running (NULL = none) */
	int64_t dir_checked, dir_next;
	struct skd_dirjob *dirjob;
	/* (issue 12 (b), recheck.c) the last in-tunnel re-check accepted
	 * (rate: one per SKD_RECHECK_EVERY s) and whether one is running */
	int64_t recheck_at;
	bool recheck_busy;
};

struct skd_login {
	bool used;
	char context[64];
	struct sk_login *l;
	int64_t last;
	/* a password verification is on a hashing thread (hashq.c): the
	 * login is theirs until skd_on_hashed; pending is the client's AUTH
	 * message of that round (it holds the password: wiped), kept to
	 * step the round again for the worker widx/wpid */
	bool hashing;
	bool dead;			/* freed while hashing: free when it returns */
	uint8_t *pending;
	size_t pending_len;
	int widx;
	pid_t wpid;
	struct skd_source src;		/* who started it (per-source bound) */
	struct skd_owner owner;		/* and on which connection */
};

/* One host scan (anyconnect-protocol.md §3): made when the reply to an
 * init carries <host-scan>, filled by scan.xml, used by the init re-POST
 * with Cookie sdesktop=TOKEN.  Found by the SHA-256 of the token or the
 * ticket (compared in constant time); bound to the client's address. */
enum skd_hs_state { SKD_HS_PENDING = 1, SKD_HS_HAVE, SKD_HS_BAD };
struct skd_hscan {
	bool used;
	enum skd_hs_state state;
	uint8_t token_hash[32], ticket_hash[32];
	char token[48];			/* answered to token.xml */
	int family;
	uint8_t addr[16];		/* the client address of the init */
	int64_t created;
	struct skd_source src;		/* per-source bound */
	struct skd_owner owner;		/* the connection of the init */
	struct sk_hostscan r;
};

/* one control connection (control.c); free while c is NULL */
struct skd_ctl {
	struct skd_ev ev;
	struct sk_admin_conn *c;
	int fd;
	int64_t deadline;		/* dropped then (skd_now seconds) */
	bool replying;			/* the command ran; its reply is going out */
};

struct skd_rate {
	uint8_t addr[16];
	int family;
	int64_t window;
	int count;
};

struct skd {
	struct skd_conf conf;
	const char *conf_path;
	struct sk_store *st;
	struct ska_auditlog auditlog;	/* the audit trail to syslog (audit_syslog) */
	/* the metrics listener (metrics.c), off: metrics_fd -1 */
	int metrics_fd, metrics_conn_fd;
	struct skd_ev metrics_ev, metrics_conn_ev;
	char metrics_req[4097];
	size_t metrics_len;
	int64_t metrics_deadline, metrics_cert_not_after;
	int64_t metrics_tls_not_after;	/* metrics_cert's notAfter, 0 = no TLS */
	char metrics_token[128];
	struct ssl_ctx_st *metrics_tls;	/* SSL_CTX of metrics_cert/metrics_key, or NULL */
	struct ssl_st *metrics_ssl;	/* the connection's TLS, or NULL */
	int64_t audit_prune_next;	/* the next audit prune (skd_audit_prune_timer) */
	struct skd_kernel k;
	bool have_kernel;
	struct sk_certv *certv;
	struct sk_mail_cfg mail;
	bool have_mail;
	char smtp_password[256];
	/* the mail relay in use: the store's smtp.* settings when smtp.url is
	 * set there (changed live with sekictl), else the bootstrap smtp_* */
	char mail_url[256], mail_from[256], mail_user[256], mail_password[256];
	struct sk_chain_cfg chain;
	char gateway_name[256];
	uid_t uid;
	gid_t gid, admin_gid;
	int n_tcp, n_udp;
	int tcp_fd[SKD_LISTEN_MAX];
	int udp_fd[SKD_LISTEN_MAX];
	struct sockaddr_storage udp_addr[SKD_LISTEN_MAX];
	socklen_t udp_len[SKD_LISTEN_MAX];
	struct skd_ev tcp_ev[SKD_LISTEN_MAX], udp_ev[SKD_LISTEN_MAX];
	struct skd_ev control_ev, signal_ev, kernel_ev;
	struct skd_ctl ctl[SKD_CONTROL_MAX];
	int control_deadline;		/* SKD_CONTROL_DEADLINE (tests: shorter) */
	int control_fd, sig_fd, ep;
	struct skd_worker *workers;	/* SKD_MAX_WORKERS */
	struct skd_session *sessions;	/* SKD_MAX_SESSIONS */
	struct skd_login *logins;	/* SKD_MAX_LOGINS */
	struct skd_rate *rate;		/* SKD_RATE_SLOTS */
	struct skd_hscan *hscans;	/* SKD_MAX_HOSTSCANS */
	/* workers, sessions, rate, hscans, rxbuf are MADV_WIPEONFORK: a forked
	 * worker finds them zeroed (daemon.c table_new) */
	bool tables_wipe_on_fork;
	struct skd_hashq *hashq;	/* password hashing threads */
	struct skd_ev hashq_ev;
	/* the binder process (binder.c) that binds the per-client DTLS
	 * sockets; binder_on: started (as root), so the main process has no
	 * CAP_NET_BIND_SERVICE and every socket comes from it.  binder_fd is
	 * -1 and binder_pid 0 once it is gone. */
	bool binder_on;
	bool binder_lost;		/* its loss was logged */
	int binder_fd;
	pid_t binder_pid;
	int n_preauth;
	uint32_t kpolicy[SKD_MAX_POLICIES];	/* policy ids programmed in the kernel */
	int n_kpolicy;
	int64_t last_stats;
	/* sessions of the store that no slot holds (a previous run's, not
	 * reconnected yet): swept by the timers while there are any */
	int orphans;
	/* this process's start, written with every heartbeat (gateways table) */
	int64_t started_at;
	bool stream_warned;		/* a kernel peer with the CSTP stream failed (logged once) */
	/* CSTP streams handed to kernel TLS, and those left to the relay by
	 * reason (ktls.c: skd_ktls_reason; metrics) */
	uint64_t ktls_handed;
	uint64_t ktls_relayed[SKD_KTLS_REASONS];
	/* DTLS workers (dtlsw.c): running now, started, ClientHellos refused
	 * by the per-session rate and by the global cap */
	int n_dtlsw;
	uint64_t dtlsw_started, dtlsw_rate, dtlsw_cap;
	bool stop;
	/* spawn.c: the executables main starts, the workers' configuration
	 * (memfd), the key and certificate files the key holder reads, and
	 * the key holder (keyholder_fd -1 and keyholder_pid 0 when gone) */
	int worker_exe, keyholder_exe, wcfg_fd, key_fd, cert_fd;
	const char *exe_dir;		/* tests: where the executables are (else
					 * next to sekishod, else the libexec dir) */
	int keyholder_fd;
	pid_t keyholder_pid;
	/* the worker template (spawn.c): exec'd, its TLS contexts made, it
	 * forks a worker per connection for conf.worker_generation of them.
	 * fd -1 when there is none or it was retired (pid > 0 until reaped) */
	struct skd_template {
		pid_t pid;
		int fd;
		int uses;		/* workers forked in this generation */
		bool ready;		/* it said "r" */
		bool failed;		/* its start failed or it died: not again
					 * before the next connection */
	} tmpl;
	uint8_t *rxbuf;			/* SK_IPC_MAX bytes, one IPC message */
	/* live changes of a shared PostgreSQL store (live.c); NULL on SQLite */
	struct sk_listen *listen;
	struct skd_ev listen_ev;
	bool listen_down_logged;
	/* the in-tunnel posture re-check listener (recheck.c), -1 = off,
	 * and its workers running */
	int recheck_fd;
	struct skd_ev recheck_ev;
	int n_recheck;
};

/* ---- daemon.c: startup and privileges ---- */
int skd_init(struct skd *d);			/* allocations, fds = -1 */
int skd_startup(struct skd *d, char *err, size_t errlen);
void skd_shutdown(struct skd *d);
int64_t skd_now(void);
void skd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void skd_audit(struct skd *d, const char *type, const char *user, const char *device,
	       const char *source, const char *result, const char *detail);

/* ---- spawn.c: the worker and key holder executables ---- */
int skd_spawn_init(struct skd *d, char *err, size_t errlen);	/* as root, at start */
int skd_keyholder_start(struct skd *d, char *err, size_t errlen);
void skd_keyholder_lost(struct skd *d, const char *why);	/* restarts it */
/* SIGHUP: the server certificate and key from their paths again; a pair
 * that does not match (or cannot be read) keeps the old one: -1, why in err */
int skd_cert_reload(struct skd *d, char *err, size_t errlen);
/* a new socket to the key holder for one worker, or -1 */
int skd_keyholder_socket(struct skd *d);
/* in the child of a fork: becomes the worker (does not return); client -1
 * makes a template, which forks workers for the clients main hands it */
void skd_worker_exec(struct skd *d, int client, int ipc, int key) __attribute__((noreturn));
/* a worker for the accepted socket client: forked by the template if one
 * is ready, else exec'd now; returns main's end of its IPC socket (pid in
 * *pid), or -1.  recheck > 0: an in-tunnel posture re-check of that
 * session (recheck.c), 0: a login connection */
int skd_worker_start(struct skd *d, int client, pid_t *pid, int64_t recheck);
void skd_template_start(struct skd *d);	/* if none (and worker_generation > 0) */
/* ends this generation (why: logged, NULL for the normal turn) */
void skd_template_retire(struct skd *d, const char *why);
/* SIGCHLD: pid was the template (forgotten now) */
bool skd_template_reaped(struct skd *d, pid_t pid, int status);
void skd_spawn_close(struct skd *d);

/* ---- loop.c: the event loop, workers and IPC ---- */
int skd_loop(struct skd *d);
/* one message from worker w (its socket is readable): checked, then handled */
void skd_worker_recv(struct skd *d, struct skd_worker *w);
int skd_ipc_send(struct skd_worker *w, const void *msg, size_t len, int fd);
void skd_ipc_header(void *msg, enum sk_ipc_type type, size_t len);
void skd_worker_slot(struct skd *d, struct skd_worker *w, pid_t pid, int ipc,
		     const struct sockaddr_storage *peer, int64_t now);
void skd_worker_kill(struct skd *d, struct skd_worker *w, const char *text);
void skd_worker_fault(struct skd *d, struct skd_worker *w, const char *why);
int skd_poll_add(struct skd *d, int fd, struct skd_ev *ev);
void skd_poll_del(struct skd *d, int fd);

/* ---- session.c: logins, sessions, addresses, timers ---- */
void skd_on_auth(struct skd *d, struct skd_worker *w, const uint8_t *msg, size_t len);
void skd_on_connect(struct skd *d, struct skd_worker *w, const struct sk_ipc_connect *m);
void skd_on_cstp_end(struct skd *d, struct skd_worker *w, const struct sk_ipc_cstp_end *m);
void skd_on_profile(struct skd *d, struct skd_worker *w, const struct sk_ipc_profile *m);
void skd_mail_refresh(struct skd *d);
/* true when stderr is the journal's stream (JOURNAL_STREAM): then -f does
 * not copy messages to stderr, which would log each one twice */
bool skd_stderr_is_journal(void);
/* metrics.c: the Prometheus listener (metrics_listen) */
struct knl_vec;
int skd_metrics_open(struct skd *d, char *err, size_t errlen);	/* as root, at start */
void skd_metrics_close(struct skd *d);
/* SIGHUP: metrics_cert/metrics_key again (as the service user); with
 * server_reloaded also the server certificate's end; the old pair stays
 * on failure */
int skd_metrics_reload(struct skd *d, bool server_reloaded, char *err, size_t errlen);
/* SIGHUP: metrics_token_file again (as the service user), logged and
 * audited; 1 replaced, 0 unchanged, -1 refused (the one in use stays) */
int skd_metrics_token_reload(struct skd *d);
void skd_metrics_accept(struct skd *d);
void skd_metrics_io(struct skd *d);
void skd_metrics_timers(struct skd *d, int64_t now);
/* the exposition text: sessions, logins, pools, kernel counters (devs), certificate */
void skd_metrics_write(FILE *f, struct skd *d, const struct knl_vec *devs);
/* a request read so far: 0 incomplete, 200 (the token matches), 401, 404, 405, 400 */
int skd_metrics_request(const char *req, size_t len, const char *token);
/* loop.c: audit retention, run from the tick: the first prune
 * min(60, audit_prune_interval) seconds after the first call, then every
 * audit_prune_interval seconds; now is the caller's clock (tests pass
 * their own).  Returns true when it pruned (or tried) at this call. */
bool skd_audit_prune_timer(struct skd *d, int64_t now);
/* The warning (en/ja) when both the bootstrap file's smtp_url and the
 * store's smtp.url (store_url) are set: the store's smtp.* are used for
 * every mail.  NULL when at most one is set. */
const char *skd_mail_warning(const struct skd_conf *c, const char *store_url);
void skd_on_pac(struct skd *d, struct skd_worker *w, const struct sk_ipc_pac *m);
void skd_worker_gone(struct skd *d, struct skd_worker *w);
/* recheck.c: the in-tunnel posture re-check (issue 12 (b)) */
int skd_recheck_open(struct skd *d, char *err, size_t errlen);	/* as root, after the device */
void skd_recheck_accept(struct skd *d);
/* may the peer at ss post a re-check now?  0 yes (its session marked
 * busy, the time kept), else why not (1 no live session has that
 * address, 2 the last one is under SKD_RECHECK_EVERY s old, 3 one is
 * running); *sid: the session, -1 none */
int skd_recheck_admit(struct skd *d, const struct sockaddr_storage *ss, int64_t now, int64_t *sid);
void skd_on_recheck(struct skd *d, struct skd_worker *w, const struct sk_ipc_recheck *m);
void skd_recheck_gone(struct skd *d, struct skd_worker *w);	/* from skd_worker_gone */
/* the session whose tunnel address is a (IPv4 or v4-mapped/IPv6), or NULL */
struct skd_session *skd_session_by_addr(struct skd *d, const struct sockaddr_storage *a);
/* "http://GW:PORT/recheck" for s (its pool's gateway address), "" if off */
void skd_recheck_url(const struct skd *d, const struct skd_session *s, char *out, size_t len);
void skd_recheck_close(struct skd *d);
/* a re-check worker still there SKD_RECHECK_DEADLINE s after its accept
 * is killed (its own limits end it sooner; this bounds a stuck one) */
void skd_recheck_timers(struct skd *d, int64_t now);
/* sekishod stops: the sessions stay in the store, detached, for the next
 * run (their workers and kernel peers go); returns how many */
int skd_sessions_suspend(struct skd *d);
/* the store's sessions no slot holds: deletes the killed, expired and
 * stale ones (start: marks the rest detached from now); sets d->orphans */
int skd_sessions_sweep(struct skd *d, int64_t now, bool start);
/* Several gateways: this gateway's heartbeat, and the sessions of gateways
 * silent for session.gateway_dead taken as detached ones (audited); from
 * the timers every SKD_STATS_EVERY seconds and at start. */
void skd_gateways_timer(struct skd *d, int64_t now);
/* The session's row says another gateway serves it now (to: its name), or
 * the row is gone (to ""): its worker, kernel peer and sockets go here,
 * the row stays as it is; audited ("session-moved"), no session-end. */
void skd_session_release(struct skd *d, struct skd_session *s, const char *to);
/* The store's row of s, read again: killed -> ended; another gateway's ->
 * released.  A store that cannot be read changes nothing. */
void skd_session_recheck_row(struct skd *d, struct skd_session *s);
/* ends the session: kernel peer, store row, audit "session-end" with reason */
void skd_session_end(struct skd *d, struct skd_session *s, const char *reason);
/* A fresh session slot's fields (fds -1). */
void skd_session_clear(struct skd_session *s);
/* (Re)creates the kernel peer of s: the CSTP stream s->stream_fd if >= 0 and
 * the DTLS socket udp_fd if >= 0.  A peer is replaced, never changed, since
 * its sockets go in at PEER_NEW only.  0 or -errno; s->peer_live tells. */
int skd_session_peer_new(struct skd *d, struct skd_session *s, int udp_fd);
/* Deletes the kernel peer of s (if any), adding its counters to the totals. */
void skd_session_peer_del(struct skd *d, struct skd_session *s);
struct skd_session *skd_session_by_id(struct skd *d, int64_t id);
struct skd_session *skd_session_by_cookie(struct skd *d, const uint8_t hash[32]);
struct skd_session *skd_session_by_appid(struct skd *d, const uint8_t app_id[32]);
void skd_timers(struct skd *d, int64_t now);
void skd_kernel_event(void *arg, enum skd_kevent kind, uint32_t peer, uint32_t reason);
void skd_cookie_make(const uint8_t raw[32], char out[44]);	/* base64url, no padding */
void skd_cookie_hash(const char *cookie, uint8_t hash[32]);
/* policy id of a session: the device's override, else the group's; 0 = deny all */
/* the policy id of a session: its quarantine allowlist, else its device's
 * or group's (skd_policy_for); 0 denies everything */
uint32_t skd_session_policy(struct skd *d, const struct skd_session *s);
uint32_t skd_policy_for(struct skd *d, const char *group, const char *device);

/* address pools */
struct skd_pool {
	int family;
	uint8_t net[16];
	int plen;
};
int skd_pool_parse(const char *text, struct skd_pool *p);	/* 0 or -EINVAL */
void skd_pool_gateway(const struct skd_pool *p, uint8_t out[16]);	/* first host */
bool skd_pool_usable(const struct skd_pool *p, const uint8_t *a);	/* a client address */
typedef bool (*skd_busy_fn)(void *arg, int family, const uint8_t *addr);
/* want (reconnect), then lease, then the first free address.  0 or -ENOSPC. */
int skd_pool_pick(const struct skd_pool *p, const uint8_t *want, const uint8_t *lease,
		  skd_busy_fn busy, void *arg, uint8_t out[16]);

/* ---- hashq.c: argon2id verifications off the event loop ---- */
struct skd_hashq;
int skd_hashq_start(struct skd *d);		/* after the privilege drop */
int skd_hashq_submit(struct skd *d, int login_slot);	/* sets .hashing */
/* notice.c: the chain's cfg.notice (a mail to the administrator, on a thread) */
void skd_notice(void *arg, const struct sk_mail_cfg *mail, const char *to, const char *subject,
		const char *body);
void skd_hashq_done(struct skd *d);		/* event loop: calls skd_on_hashed */
void skd_hashq_stop(struct skd *d);
/* session.c: a login's verification is back: step its round again */
void skd_on_hashed(struct skd *d, int login_slot);

/* ---- hscan.c: host scans (settings device.hostscan) ---- */
bool skd_hostscan_on(struct skd *d);
/* settings device.hostscan_skip names the client kind (enum sk_po_client):
 * it is not asked for the scan (it cannot run a CSD wrapper) */
bool skd_hostscan_skips(struct skd *d, unsigned int client);
void skd_source_of(const struct sockaddr_storage *ss, struct skd_source *src);
bool skd_source_eq(const struct skd_source *a, const struct skd_source *b);
/* a new scan for the client of w: ticket and token (32 hex digits each);
 * -EBUSY when its source holds SKD_HS_PER_SOURCE, -ENOSPC when the table
 * is full (nothing is evicted but the connection's own oldest) */
int skd_hs_new(struct skd *d, const struct skd_worker *w, int64_t now,
	       char ticket[48], char token[48]);
/* the live scan of token from the client of w, NULL if none */
struct skd_hscan *skd_hs_find(struct skd *d, const struct skd_worker *w, const char *token,
			      int64_t now);
void skd_on_hostscan(struct skd *d, struct skd_worker *w, const struct sk_ipc_hostscan *m);

/* ---- connect.c: the CONNECT reply header lines ---- */
struct skd_connect_params {
	const struct sk_group *g;
	bool has4, has6;		/* has6 only if the client asked for IPv6 */
	struct in_addr addr4;
	struct in6_addr addr6;
	int plen4, plen6;
	int base_mtu, mtu;
	int dpd, keepalive, rekey;
	int64_t session_left;		/* seconds, 0 = none */
	bool dtls;			/* PSK-NEGOTIATE offered */
	uint16_t dtls_port;
	const uint8_t *app_id;		/* 32 bytes */
	const char *pac_url;		/* for proxy modes server/none, NULL = not sent */
	/* a quarantined tunnel (issue 12): the failed check's message, shown
	 * before the group's banner; NULL or "" = none */
	const char *notice;
};
/* Returns the length written (NUL-terminated) or -1 if buf is too small. */
int skd_connect_headers(const struct skd_connect_params *p, char *buf, size_t len);
/* The tunnel MTU for DTLS-PSK with AES-GCM (§4.5). */
int skd_connect_mtu(int base_mtu, bool outer_v6);
/* A PAC file for proxy mode "server" (PROXY host:port, exclusions DIRECT)
 * or "none" (always DIRECT).  Length or -1. */
int skd_proxy_pac(const struct sk_group *g, char *buf, size_t len);

/* ---- ktls.c: the CSTP stream handed to kernel TLS (decisions/ktls-handoff.md) ---- */
/* setting session.ktls (default on) */
bool skd_ktls_enabled(struct skd *d);
/* the CONNECT reply's flags for a tunnel with the kernel relay relay (-1 =
 * none), DTLS offered or not: SK_CONNECT_KTLS, or 0 (counted and audited
 * when turned off) */
uint32_t skd_ktls_offer(struct skd *d, struct skd_worker *w, const struct skd_session *s,
			int relay);
void skd_on_ktls(struct skd *d, struct skd_worker *w, struct sk_ipc_ktls *m, int fd);
void skd_on_ktls_skip(struct skd *d, struct skd_worker *w, const struct sk_ipc_ktls_skip *m);
/* ending a session on kernel TLS: a CSTP DISCONNECT with text to the client */
void skd_ktls_bye(struct skd_session *s, const char *text);
/* the kernel ended the peer of a session on kernel TLS: true when handled
 * (a client's DISCONNECT ends the session; a closed or broken stream
 * detaches it for a reconnect with the cookie) */
bool skd_ktls_peer_gone(struct skd *d, struct skd_session *s, uint32_t reason);
/* the timers: a session on kernel TLS whose worker still waits for DTLS
 * session.dtls_wait s after the hand-off or the client's last DTLS attempt
 * lets it go (the kernel carries the CSTP) */
void skd_ktls_timer(struct skd *d, struct skd_session *s, int64_t now, int dtls_wait);
/* the reason keyword of counter i, NULL past the last */
const char *skd_ktls_reason(int i);

/* ---- dtlsw.c: later DTLS handshakes of sessions without a worker ---- */
/* a ClientHello (dg) for s, which has no worker: a DTLS worker is started
 * with fd (a UDP socket connected to the client; the caller keeps its
 * copy) if the session may have one now; true when started */
bool skd_dtlsw_allowed(struct skd *d, struct skd_session *s, int64_t now);
bool skd_dtlsw_start(struct skd *d, struct skd_session *s, int fd, const uint8_t *dg, size_t len);
/* the session's PSK goes (wiped) */
void skd_dtlsw_forget(struct skd_session *s);
/* s's DTLS worker was unlinked (it ended, or was killed) */
void skd_dtlsw_ended(struct skd *d, struct skd_session *s);
/* spawn.c: a DTLS worker for the connected UDP socket udp (forked by the
 * template if one is ready, else exec'd; no key holder socket); main's
 * end of its IPC socket, or -1 */
int skd_dtls_worker_start(struct skd *d, int udp, pid_t *pid);

/* ---- udp.c: the DTLS port ---- */
/* App-ID of a first ClientHello (§6.3), 0 or -1 if it is not one */
int skd_clienthello_appid(const uint8_t *dg, size_t len, uint8_t app_id[32]);
void skd_udp_listener(struct skd *d, int idx);
void skd_udp_session(struct skd *d, struct skd_session *s);
void skd_on_dtls_keys(struct skd *d, struct skd_worker *w, struct sk_ipc_dtls_keys *m, int fd);
void skd_on_dtls_fail(struct skd *d, struct skd_worker *w, const struct sk_ipc_dtls_fail *m);
void skd_session_udp_close(struct skd *d, struct skd_session *s);
/* the binder is gone (exited, or broke the protocol): log once, close our
 * end; new DTLS sockets are refused from then on, tunnels go on */
void skd_binder_lost(struct skd *d, const char *why);

/* ---- control.c: control socket and admin effects ---- */
int skd_control_open(struct skd *d, char *err, size_t errlen);
void skd_control_accept(struct skd *d);		/* the listening socket is readable */
void skd_control_io(struct skd *d, int idx);	/* connection idx is readable/writable */
void skd_control_timers(struct skd *d, int64_t now);	/* drops those past their deadline */
void skd_control_close_all(struct skd *d);
void skd_apply_effects(struct skd *d, const struct sk_admin_effects *fx);
int skd_program_policies(struct skd *d);

/* ---- live.c: changes other gateways (or psql) made in a shared store ---- */
void skd_live_open(struct skd *d);	/* at start; nothing on SQLite */
void skd_live_run(struct skd *d);	/* its descriptor is readable, and every tick */
void skd_live_close(struct skd *d);

#endif
