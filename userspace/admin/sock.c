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

static int send_stream(int fd, const char *tag, const char *data, size_t len)
{
	size_t off = 0;
	int rc;

	while (off < len) {
		size_t n = len - off > SKA_CHUNK ? SKA_CHUNK : len - off;

		rc = send_msg(fd, tag, data + off, n);
		if (rc)
			return rc;
		off += n;
	}
	return 0;
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

int sk_admin_serve(struct sk_store *st, int fd, gid_t admin_gid, struct sk_admin_effects *fx)
{
	struct sk_admin_caller who = { 0 };
	struct sk_admin_io io = { 0 };
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	char *req, *argv[SKA_ARGS_MAX + 1], *in = NULL, *obuf = NULL, *ebuf = NULL;
	size_t inlen = 0, olen = 0, elen = 0;
	ssize_t r;
	int argc = 0, i, j, rc, status;
	bool admin;
	uint8_t st8;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen))
		return -errno;
	req = malloc(SKA_REQ_MAX + 1);
	if (!req)
		return -ENOMEM;
	r = recv_msg(fd, req, SKA_REQ_MAX);
	if (r < 0) {
		free(req);
		return (int)r;
	}
	if (r < 4 || memcmp(req, "SKA1", 4) || (r > 4 && req[r - 1] != '\0')) {
		free(req);
		send_msg(fd, "SKAE", "malformed request\n", 18);
		st8 = 2;
		send_msg(fd, "SKAX", &st8, 1);
		return -EPROTO;
	}
	for (i = 4; i < r && argc < SKA_ARGS_MAX; i += strlen(req + i) + 1)
		argv[argc++] = req + i;
	argv[argc] = NULL;
	admin = peer_is_admin(&cr, admin_gid, who.name, sizeof(who.name));
	who.uid = cr.uid;
	who.pid = cr.pid;

	/* standard input of the command, if it takes one (read even when the
	 * caller is refused, so that it sees our answer rather than EPIPE) */
	if (argc && needs_stdin(argc, argv)) {
		uint8_t *m = malloc(4 + SKA_CHUNK);

		rc = m ? 0 : -ENOMEM;
		while (!rc) {
			r = recv_msg(fd, m, 4 + SKA_CHUNK);
			if (r < 4 || memcmp(m, "SKAI", 4)) {
				rc = r < 0 ? (int)r : -EPROTO;
				break;
			}
			if (r == 4)
				break;
			if (inlen + r - 4 > SKA_STDIN_MAX) {
				rc = -EFBIG;
				break;
			}
			{
				char *n = realloc(in, inlen + r - 4 + 1);

				if (!n) {
					rc = -ENOMEM;
					break;
				}
				in = n;
			}
			memcpy(in + inlen, m + 4, r - 4);
			inlen += r - 4;
		}
		free(m);
		if (rc) {
			free(req);
			if (in)
				sk_wipe(in, inlen);
			free(in);
			return rc;
		}
	}
	if (!admin) {
		send_msg(fd, "SKAE", SKA_DENIED, strlen(SKA_DENIED));
		st8 = 1;
		send_msg(fd, "SKAX", &st8, 1);
		free(req);
		if (in)
			sk_wipe(in, inlen);
		free(in);
		return 1;
	}
	/* --json anywhere on the line */
	for (i = j = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			io.json = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	io.out = open_memstream(&obuf, &olen);
	io.err = open_memstream(&ebuf, &elen);
	io.in = in ? fmemopen(in, inlen, "r") : NULL;
	io.remote = true;
	if (!io.out || !io.err) {
		status = 1;
		rc = -ENOMEM;
	} else if (!argc) {
		fputs("sekictl: empty command\n", io.err);
		status = 2;
	} else {
		status = sk_admin_exec(st, &who, &io, argc, argv, fx);
	}
	if (io.out)
		fclose(io.out);
	if (io.err)
		fclose(io.err);
	if (io.in)
		fclose(io.in);
	rc = send_stream(fd, "SKAO", obuf, obuf ? olen : 0);
	if (!rc)
		rc = send_stream(fd, "SKAE", ebuf, ebuf ? elen : 0);
	st8 = (uint8_t)status;
	if (!rc)
		rc = send_msg(fd, "SKAX", &st8, 1);
	/* outputs may hold a PKCS#12 or an otpauth URI */
	if (obuf)
		sk_wipe(obuf, olen);
	if (in)
		sk_wipe(in, inlen);
	free(obuf);
	free(ebuf);
	free(in);
	free(req);
	return rc ? rc : status;
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
		if (src && strcmp(copy[1], "import")) {
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
