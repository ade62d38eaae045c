/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skadmin: the store-backed administration commands of sekictl
 * (user, group, policy, device, ca, cert, profile, settings, session,
 * audit).  One implementation runs in two places:
 *   - inside sekishod, behind its control socket (the normal case: the
 *     daemon then applies the effects to live sessions at once);
 *   - inside sekictl itself with --store PATH (no daemon running, e.g.
 *     before the first start).
 *
 * Control socket wire format (SOCK_SEQPACKET, default
 * /run/sekisho/control.sock, mode 0660 root:sekisho-admin):
 *   request : one message = "SKA1" + argv strings, each NUL-terminated
 *             (argv[0] is the noun, e.g. "user"); at most SKA_REQ_MAX bytes.
 *             For commands that read stdin (user passwd, cert issue, import,
 *             settings set KEY -) the data
 *             follows in messages "SKAI" + bytes, ended by an empty "SKAI".
 *   reply   : messages "SKAO" + bytes (stdout), "SKAE" + bytes (stderr),
 *             and finally "SKAX" + one byte exit status; then the daemon
 *             closes the connection.
 * The daemon takes the caller's identity from SO_PEERCRED; it is recorded
 * in the audit trail as "uid=N(name)".
 */
#ifndef SKADMIN_H
#define SKADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "skstore.h"

#define SKA_REQ_MAX	65536
#define SKA_STDIN_MAX	(16 << 20)	/* CSV imports */
#define SKA_DEFAULT_SOCKET "/run/sekisho/control.sock"

struct sk_admin_caller {
	uid_t uid;
	pid_t pid;
	char name[64];			/* "uid=0(root)" */
};

/* What a command changed that a running daemon must apply now. */
#define SKA_KILL_MAX 256
struct sk_admin_effects {
	bool policies_changed;		/* re-program every kernel policy from the store */
	bool users_changed;		/* re-check live sessions: disabled/locked/expired users, devices */
	bool crl_changed;		/* reload the CRL */
	bool settings_changed;
	int n_kill;
	int64_t kill[SKA_KILL_MAX];	/* session ids to end now (cookie already invalid in the store) */
};

struct sk_admin_io {
	FILE *out, *err;		/* command output, messages */
	FILE *in;			/* stdin data (user passwd, import), may be NULL */
	bool json;			/* --json given anywhere on the line (already removed from argv) */
	bool remote;			/* behind the control socket: open no file the caller names */
	bool ja;			/* messages in Japanese (the caller's locale is ja_*; over
					 * the socket the client adds "--msg-lang=ja") */
};

/*
 * Runs one command.  argv[0] is the noun.  Returns the exit status:
 * 0 ok, 1 refused (store/system), 2 usage error.  Every change is one
 * transaction and writes one audit record "admin" with before/after.
 */
int sk_admin_exec(struct sk_store *st, const struct sk_admin_caller *who,
		  struct sk_admin_io *io, int argc, char **argv,
		  struct sk_admin_effects *fx);

/* true if argv[0] is a noun handled here (sekictl routes the rest to the kernel nouns) */
bool sk_admin_is_noun(const char *noun);
void sk_admin_help(FILE *f);

/* Server side for the daemon: handle one accepted control connection fd to
 * completion (reads the request, checks SO_PEERCRED: root or group
 * sekisho-admin, runs sk_admin_exec with io on memory streams, sends the
 * reply).  Returns the exit status, -errno on a transport error. */
int sk_admin_serve(struct sk_store *st, int fd, gid_t admin_gid, struct sk_admin_effects *fx);

/*
 * The same, for an event loop (sekishod): nothing waits for the client.
 *   c = sk_admin_conn_new(fd, admin_gid)   fd non-blocking; NULL on error
 *   sk_admin_conn_read(c)    when fd is readable: 1 the request (and its
 *                            input) is complete, 0 more is to come,
 *                            -errno the connection is to be closed
 *   sk_admin_conn_run(c, st, fx)   runs the command, queues the reply
 *   sk_admin_conn_write(c)   when fd is writable: 1 all sent, 0 the socket
 *                            is full (wait for it), -errno close
 *   sk_admin_conn_free(c)    wipes and frees (does not close fd)
 */
struct sk_admin_conn;
struct sk_admin_conn *sk_admin_conn_new(int fd, gid_t admin_gid);
int sk_admin_conn_fd(const struct sk_admin_conn *c);
int sk_admin_conn_read(struct sk_admin_conn *c);
void sk_admin_conn_run(struct sk_admin_conn *c, struct sk_store *st, struct sk_admin_effects *fx);
int sk_admin_conn_write(struct sk_admin_conn *c);
int sk_admin_conn_status(const struct sk_admin_conn *c);	/* exit status, -EPROTO if malformed */
void sk_admin_conn_free(struct sk_admin_conn *c);

/* Client side for sekictl: sends argv (and stdin data if the command needs
 * it) to the socket and copies the reply to stdout/stderr; returns the exit
 * status, or -errno if the socket cannot be reached. */
int sk_admin_client(const char *path, int argc, char **argv, FILE *in);

/*
 * The built-in CA keeps its files in the directory of setting "ca.dir"
 * (default /var/lib/sekisho/ca): ca.pem, ca.key (0600), crl.pem (rewritten
 * on every revoke; sekishod reloads it when fx->crl_changed).
 */

/*
 * Profile download for sekishod's GET /profile/<token>: checks the link
 * (hash of the token, expiry, download limit), counts the download, moves
 * the state to "waiting for device registration" and returns the package
 * (a tar: client.p12, settings.txt, README-ja.txt, README-en.txt) in a
 * malloc'd *body.  Returns the HTTP status: 200; 404 unknown link; 410
 * expired or used up (msg then holds a Japanese/English text for the body).
 */
int sk_admin_profile_fetch(struct sk_store *st, const char *token, int64_t now,
			   uint8_t **body, size_t *len, char *filename, size_t fnlen,
			   char *msg, size_t msglen);

/* usage_ja.c: the Japanese format of a usage message's English format (the
 * same conversions in the same order), NULL when there is none; sekictl's
 * usage errors under a Japanese locale.  _at: the i-th pair, NULL past the
 * end (tests). */
const char *ska_usage_ja(const char *en);
const char *ska_usage_ja_at(size_t i, const char **en);

#endif
