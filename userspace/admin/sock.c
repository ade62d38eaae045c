// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: the control socket (wire format in skadmin.h).
 *
 * Which commands carry standard input is fixed here on both sides
 * (needs_stdin): user passwd, cert issue (the PKCS#12 password), the
 * imports and `settings set KEY -` (a secret setting's value).  The client
 * never lets the daemon open the administrator's files: `import FILE`
 * travels as `import -` with the file's bytes as input, `settings set KEY
 * --file FILE` as `settings set KEY -` with the file's first line, and
 * `cert issue ... --out FILE` as `--out -` with the PKCS#12 written to FILE
 * by the client.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_int.h"
#include "skauth.h"

#define SKA_ARGS_MAX	512
#define SKA_CHUNK	32768
#define SKA_DENIED	"permission denied: root or group sekisho-admin required\n" \
			"権限がありません: root または sekisho-admin グループのメンバーである必要があります\n"

static bool needs_stdin(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (!strcmp(argv[0], "user") && !strcmp(argv[1], "passwd"))
		return true;
	if (!strcmp(argv[0], "cert") && !strcmp(argv[1], "issue"))
		return true;
	if ((!strcmp(argv[0], "user") || !strcmp(argv[0], "device")) &&
	    !strcmp(argv[1], "import"))
		return true;
	if (argc >= 4 && !strcmp(argv[0], "settings") && !strcmp(argv[1], "set") &&
	    !strcmp(argv[3], "-"))
		return true;
	if (argc >= 3 && !strcmp(argv[0], "posture") && !strcmp(argv[1], "test") &&
	    !strcmp(argv[2], "-"))
		return true;
	return false;
}

static int send_msg(int fd, const char *tag, const void *data, size_t len)
{
	uint8_t buf[4 + SKA_CHUNK];
	ssize_t w;

	if (len > SKA_CHUNK)
		return -EMSGSIZE;
	memcpy(buf, tag, 4);
	if (len)
		memcpy(buf + 4, data, len);
	do
		w = send(fd, buf, 4 + len, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == 4 + len ? 0 : -EIO;
}

static ssize_t recv_msg(int fd, void *buf, size_t len)
{
	ssize_t r;

	do
		r = recv(fd, buf, len, MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if ((size_t)r > len)
		return -EMSGSIZE;
	return r;
}

/* ---------------------------------------------------------------- server */

static bool peer_is_admin(const struct ucred *cr, gid_t admin_gid, char *name, size_t namelen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int ng = 256, i;

	snprintf(name, namelen, "uid=%u", (unsigned int)cr->uid);
	if (!getpwuid_r(cr->uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(name, namelen, "uid=%u(%s)", (unsigned int)cr->uid, pw.pw_name);
	if (cr->uid == 0)
		return true;
	if (admin_gid == (gid_t)-1)
		return false;
	if (cr->gid == admin_gid)
		return true;
	if (!res)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) < 0)
		ng = 256;	/* more groups than fit: check the ones we got */
	for (i = 0; i < ng && i < 256; i++)
		if (groups[i] == admin_gid)
			return true;
	return false;
}

/*
 * One control connection, driven by its caller's event loop: the request
 * and its input are collected from a non-blocking socket as they arrive
 * (sk_admin_conn_read), the command runs once they are complete
 * (sk_admin_conn_run), and the reply goes out as fast as the client takes
 * it (sk_admin_conn_write).  Nothing here waits for the client.
 */
struct sk_admin_conn {
	int fd;
	gid_t admin_gid;
	struct ucred cr;
	char *req;			/* the request message, SKA_REQ_MAX + 1 */
	ssize_t req_len;		/* -1 until it came */
	bool bad;			/* malformed request: answered, not run */
	bool want_in, in_done;		/* the command takes input; its end came */
	char *in;
	size_t inlen;
	uint8_t *m;			/* one input message */
	/* the reply: stdout, stderr, status; phase 0 out, 1 err, 2 status, 3 done */
	char *obuf, *ebuf;
	size_t olen, elen, off;
	int phase, status;
};

struct sk_admin_conn *sk_admin_conn_new(int fd, gid_t admin_gid)
{
	struct sk_admin_conn *c = calloc(1, sizeof(*c));
	socklen_t crlen = sizeof(c->cr);

	if (!c)
		return NULL;
	c->fd = fd;
	c->admin_gid = admin_gid;
	c->req_len = -1;
	c->req = malloc(SKA_REQ_MAX + 1);
	c->m = malloc(4 + SKA_CHUNK);
	if (!c->req || !c->m || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cr, &crlen)) {
		sk_admin_conn_free(c);
		return NULL;
	}
	return c;
}

int sk_admin_conn_fd(const struct sk_admin_conn *c)
{
	return c->fd;
}

void sk_admin_conn_free(struct sk_admin_conn *c)
{
	if (!c)
		return;
	if (c->in)
		sk_wipe(c->in, c->inlen);
	if (c->m)
		sk_wipe(c->m, 4 + SKA_CHUNK);
	if (c->obuf)
		sk_wipe(c->obuf, c->olen);	/* a PKCS#12, an otpauth URI */
	if (c->req)
		sk_wipe(c->req, SKA_REQ_MAX + 1);	/* argv may hold a one-time value */
	free(c->in);
	free(c->m);
	free(c->obuf);
	free(c->ebuf);
	free(c->req);
	free(c);
}

static int split_argv(struct sk_admin_conn *c, char **argv)
{
	int argc = 0;

	for (ssize_t i = 4; i < c->req_len && argc < SKA_ARGS_MAX; i += strlen(c->req + i) + 1)
		argv[argc++] = c->req + i;
	argv[argc] = NULL;
	return argc;
}

int sk_admin_conn_read(struct sk_admin_conn *c)
{
	ssize_t r;

	if (c->req_len < 0) {
		do
			r = recv(c->fd, c->req, SKA_REQ_MAX, MSG_TRUNC | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (r == 0)
			return -EPIPE;	/* gone before asking */
		if (r > SKA_REQ_MAX)
			r = 0;		/* too long: malformed */
		c->req_len = r;
		c->req[r] = '\0';
		if (r < 4 || memcmp(c->req, "SKA1", 4) || (r > 4 && c->req[r - 1] != '\0')) {
			c->bad = true;
			return 1;
		}
		{
			char *argv[SKA_ARGS_MAX + 1];
			int argc = split_argv(c, argv);

			c->want_in = argc && needs_stdin(argc, argv);
		}
	}
	/* standard input of the command, if it takes one (read even when the
	 * caller is refused, so that it sees our answer rather than EPIPE) */
	while (c->want_in && !c->in_done) {
		do
			r = recv(c->fd, c->m, 4 + SKA_CHUNK, MSG_TRUNC | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (r < 4 || r > 4 + SKA_CHUNK || memcmp(c->m, "SKAI", 4))
			return -EPROTO;
		if (r == 4) {
			c->in_done = true;
			break;
		}
		if (c->inlen + r - 4 > SKA_STDIN_MAX)
			return -EFBIG;
		{
			char *n = realloc(c->in, c->inlen + r - 4 + 1);

			if (!n)
				return -ENOMEM;
			c->in = n;
		}
		memcpy(c->in + c->inlen, c->m + 4, r - 4);
		c->inlen += r - 4;
		sk_wipe(c->m + 4, r - 4);
	}
	return 1;
}

void sk_admin_conn_run(struct sk_admin_conn *c, struct sk_store *st, struct sk_admin_effects *fx)
{
	struct sk_admin_caller who = { 0 };
	struct sk_admin_io io = { 0 };
	char *argv[SKA_ARGS_MAX + 1];
	int argc, i, j;
	bool admin;

	c->phase = 0;
	c->off = 0;
	if (c->bad) {
		c->ebuf = strdup("malformed request\n");
		c->elen = c->ebuf ? strlen(c->ebuf) : 0;
		c->status = 2;
		return;
	}
	argc = split_argv(c, argv);
	admin = peer_is_admin(&c->cr, c->admin_gid, who.name, sizeof(who.name));
	who.uid = c->cr.uid;
	who.pid = c->cr.pid;
	if (!admin) {
		c->ebuf = strdup(SKA_DENIED);
		c->elen = c->ebuf ? strlen(c->ebuf) : 0;
		c->status = 1;
		return;
	}
	/* --json (and the client's locale) anywhere on the line */
	for (i = j = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			io.json = true;
		else if (!strcmp(argv[i], "--msg-lang=ja"))
			io.ja = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	io.out = open_memstream(&c->obuf, &c->olen);
	io.err = open_memstream(&c->ebuf, &c->elen);
	io.in = c->in ? fmemopen(c->in, c->inlen, "r") : NULL;
	io.remote = true;
	if (!io.out || !io.err) {
		c->status = 1;
	} else if (!argc) {
		fputs("sekictl: empty command\n", io.err);
		c->status = 2;
	} else {
		c->status = sk_admin_exec(st, &who, &io, argc, argv, fx);
	}
	if (io.out)
		fclose(io.out);
	if (io.err)
		fclose(io.err);
	if (io.in)
		fclose(io.in);
	if (c->in)
		sk_wipe(c->in, c->inlen);
}

/* one message of the reply without waiting: 1 sent, 0 the socket is full */
static int send_now(int fd, const char *tag, const void *data, size_t len)
{
	uint8_t buf[4 + SKA_CHUNK];
	ssize_t w;

	memcpy(buf, tag, 4);
	if (len)
		memcpy(buf + 4, data, len);
	do
		w = send(fd, buf, 4 + len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	sk_wipe(buf, sizeof(buf));
	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	return (size_t)w == 4 + len ? 1 : -EIO;
}

int sk_admin_conn_write(struct sk_admin_conn *c)
{
	int rc;

	while (c->phase < 2) {
		const char *buf = c->phase ? c->ebuf : c->obuf;
		size_t len = buf ? (c->phase ? c->elen : c->olen) : 0;
		size_t n = len - c->off > SKA_CHUNK ? SKA_CHUNK : len - c->off;

		if (c->off >= len) {
			c->phase++;
			c->off = 0;
			continue;
		}
		rc = send_now(c->fd, c->phase ? "SKAE" : "SKAO", buf + c->off, n);
		if (rc <= 0)
			return rc;
		c->off += n;
	}
	if (c->phase == 2) {
		uint8_t st8 = (uint8_t)c->status;

		rc = send_now(c->fd, "SKAX", &st8, 1);
		if (rc <= 0)
			return rc;
		c->phase = 3;
	}
	return 1;
}

int sk_admin_conn_status(const struct sk_admin_conn *c)
{
	return c->bad ? -EPROTO : c->status;
}

/* The blocking form of the above, for a caller without an event loop. */
int sk_admin_serve(struct sk_store *st, int fd, gid_t admin_gid, struct sk_admin_effects *fx)
{
	struct sk_admin_conn *c = sk_admin_conn_new(fd, admin_gid);
	struct pollfd p = { .fd = fd };
	int rc;

	if (!c)
		return -errno ? -errno : -ENOMEM;
	p.events = POLLIN;
	while ((rc = sk_admin_conn_read(c)) == 0)
		if (poll(&p, 1, 5000) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
	if (rc < 0) {
		sk_admin_conn_free(c);
		return rc;
	}
	sk_admin_conn_run(c, st, fx);
	p.events = POLLOUT;
	while ((rc = sk_admin_conn_write(c)) == 0)
		if (poll(&p, 1, 5000) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
	if (rc > 0)
		rc = sk_admin_conn_status(c);
	sk_admin_conn_free(c);
	return rc;
}

/* ---------------------------------------------------------------- client */

int sk_admin_client(const char *path, int argc, char **argv, FILE *in)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *req = NULL, *copy[SKA_ARGS_MAX];
	const char *infile = NULL, *outfile = NULL;
	uint8_t *m = NULL;
	FILE *src = NULL, *dst = stdout;
	size_t off = 4;
	int fd, i, nc, rc = 0, status = -EPIPE, outfd = -1;

	if (argc < 1 || argc > SKA_ARGS_MAX)
		return -E2BIG;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* local files stay local: see the header comment */
	for (i = nc = 0; i < argc; i++) {
		if (i == 3 && argc >= 5 && !strcmp(argv[0], "settings") && !strcmp(argv[1], "set") &&
		    !strcmp(argv[3], "--file")) {
			infile = argv[++i];
			copy[nc++] = "-";
		} else if (i == 3 && !strcmp(argv[0], "settings") && !strcmp(argv[1], "set") &&
			   !strncmp(argv[3], "--file=", 7)) {
			infile = argv[3] + 7;
			copy[nc++] = "-";
		} else {
			copy[nc++] = argv[i];
		}
	}
	argc = nc;
	if (argc >= 3 && (!strcmp(argv[0], "user") || !strcmp(argv[0], "device")) &&
	    !strcmp(argv[1], "import") && strcmp(argv[2], "-")) {
		infile = argv[2];
		copy[2] = "-";
	}
	/* posture test REPORT-FILE: the report travels as input (the daemon
	 * reads at most the gateway's bound of it and refuses more) */
	if (argc >= 3 && !strcmp(argv[0], "posture") && !strcmp(argv[1], "test") &&
	    argv[2][0] != '-') {
		infile = argv[2];
		copy[2] = "-";
	}
	if (argc >= 2 && !strcmp(argv[0], "cert") && !strcmp(argv[1], "issue")) {
		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--out") && i + 1 < argc && strcmp(argv[i + 1], "-")) {
				outfile = argv[i + 1];
				copy[i + 1] = "-";
			} else if (!strncmp(argv[i], "--out=", 6) && strcmp(argv[i] + 6, "-")) {
				outfile = argv[i] + 6;
				copy[i] = "--out=-";
			}
		}
	}
	req = malloc(SKA_REQ_MAX);
	m = malloc(4 + SKA_CHUNK + 1);
	if (!req || !m) {
		free(req);
		free(m);
		return -ENOMEM;
	}
	memcpy(req, "SKA1", 4);
	for (i = 0; i < argc; i++) {
		size_t l = strlen(copy[i]) + 1;

		if (off + l > SKA_REQ_MAX) {
			free(req);
			free(m);
			return -E2BIG;
		}
		memcpy(req + off, copy[i], l);
		off += l;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		free(req);
		free(m);
		return rc;
	}
	if (send(fd, req, off, MSG_NOSIGNAL) != (ssize_t)off) {
		rc = -errno;
		goto out;
	}
	if (needs_stdin(argc, copy)) {
		src = infile ? fopen(infile, "r") : in;
		if (!src) {
			rc = infile ? -errno : 0;
			if (infile) {
				fprintf(stderr, "sekictl: %s: %s\n", infile, strerror(errno));
				status = 1;
				rc = 0;
				goto out;
			}
		}
		/* a password: only its line, so that a terminal is not read to EOF */
		if (src && strcmp(copy[1], "import") && strcmp(copy[0], "posture")) {
			if (fgets((char *)m + 4, SKA_CHUNK, src)) {
				rc = send_msg(fd, "SKAI", m + 4, strlen((char *)m + 4));
				sk_wipe(m + 4, SKA_CHUNK);
				if (rc)
					goto out;
			}
			src = NULL;
		}
		while (src) {
			size_t n = fread(m + 4, 1, SKA_CHUNK, src);

			if (!n)
				break;
			rc = send_msg(fd, "SKAI", m + 4, n);
			if (rc)
				goto out;
		}
		if (src && src != in)
			fclose(src);
		rc = send_msg(fd, "SKAI", NULL, 0);
		if (rc)
			goto out;
	}
	if (outfile) {
		outfd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (outfd < 0 || !(dst = fdopen(outfd, "w"))) {
			fprintf(stderr, "sekictl: %s: %s\n", outfile, strerror(errno));
			if (outfd >= 0)
				close(outfd);
			outfd = -1;
			status = 1;
			goto out;
		}
	}
	for (;;) {
		ssize_t r = recv_msg(fd, m, 4 + SKA_CHUNK);

		if (r <= 0) {
			rc = r < 0 ? (int)r : 0;
			break;
		}
		if (r < 4)
			continue;
		if (!memcmp(m, "SKAO", 4))
			fwrite(m + 4, 1, r - 4, dst);
		else if (!memcmp(m, "SKAE", 4))
			fwrite(m + 4, 1, r - 4, stderr);
		else if (!memcmp(m, "SKAX", 4) && r == 5) {
			status = m[4];
			break;
		}
	}
	if (outfile) {
		if (fclose(dst) && !status)
			status = 1;
		outfd = -1;
		if (status)
			unlink(outfile);
		else
			fprintf(stderr, "sekictl: cert issue: wrote %s\n", outfile);
	}
	fflush(stdout);
out:
	close(fd);
	free(req);
	free(m);
	if (rc < 0 && status == -EPIPE)
		return rc;
	return status;
}
