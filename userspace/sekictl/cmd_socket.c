// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl socket hold [--bind ADDR:PORT] [--connect ADDR:PORT] [--pidfile F]
 *
 * Owns a UDP socket for tests: the module does not keep transport sockets
 * alive, and removes a socket's peers when its last fd closes.  Prints
 * "PID FD" (for `peer add --socket PID:FD`), then waits for SIGTERM or
 * SIGINT, closes the socket and exits 0.  Standard output is closed after
 * that line, so `read PID FD < <(sekictl socket hold ... &)` returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sekictl.h"

void sk_help_socket(FILE *f)
{
	fprintf(f,
"sekictl socket hold [--bind ADDR:PORT] [--connect ADDR:PORT] [--pidfile F]\n"
"                    (IPv6: [ADDR]:PORT; prints \"PID FD\", holds until SIGTERM)\n");
}

static int socket_hold(struct sk_ctx *ctx, int argc, char **argv)
{
	struct sk_endpoint bind_ep, conn_ep;
	bool has_bind = false, has_conn = false;
	const char *pidfile = NULL, *v;
	char err[SK_ERRLEN], e2[SK_ERRLEN], b[SK_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t sl;
	sigset_t set;
	int i, r, fd, family = AF_INET, sig, null;

	for (i = 0; i < argc; i++) {
		v = NULL;
		if ((r = sk_opt(argc, argv, &i, "bind", &v, err, sizeof(err)))) {
			if (r < 0)
				return sk_usage(ctx, "%s", err);
			if (sk_parse_endpoint(v, &bind_ep, e2, sizeof(e2)))
				return sk_usage(ctx, "--bind: %s", e2);
			has_bind = true;
		} else if ((r = sk_opt(argc, argv, &i, "connect", &v, err, sizeof(err)))) {
			if (r < 0)
				return sk_usage(ctx, "%s", err);
			if (sk_parse_endpoint(v, &conn_ep, e2, sizeof(e2)))
				return sk_usage(ctx, "--connect: %s", e2);
			has_conn = true;
		} else if ((r = sk_opt(argc, argv, &i, "pidfile", &v, err, sizeof(err)))) {
			if (r < 0)
				return sk_usage(ctx, "%s", err);
			pidfile = v;
		} else if (argv[i][0] == '-') {
			return sk_usage(ctx, "unknown option '%s'", argv[i]);
		} else {
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
		}
	}
	if (has_bind && has_conn && bind_ep.addr.family != conn_ep.addr.family)
		return sk_usage(ctx, "--bind and --connect addresses of different families");
	if (has_bind)
		family = bind_ep.addr.family;
	else if (has_conn)
		family = conn_ep.addr.family;

	/* block the signals before anyone can learn our pid */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	/* no CLOEXEC needed: we exec nothing; pidfd_getfd works regardless */
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return sk_fail(ctx, "socket: %s", strerror(errno));
	if (family == AF_INET6) {
		int one = 1;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (has_bind) {
		sk_endpoint_to_sockaddr(&bind_ep, &ss, &sl);
		if (bind(fd, (struct sockaddr *)&ss, sl))
			return sk_fail(ctx, "bind %s: %s",
				       sk_format_endpoint(&bind_ep, b, sizeof(b)),
				       strerror(errno));
	}
	if (has_conn) {
		sk_endpoint_to_sockaddr(&conn_ep, &ss, &sl);
		if (connect(fd, (struct sockaddr *)&ss, sl))
			return sk_fail(ctx, "connect %s: %s",
				       sk_format_endpoint(&conn_ep, b, sizeof(b)),
				       strerror(errno));
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f))
			return sk_fail(ctx, "--pidfile %s: %s", pidfile, strerror(errno));
	}
	fprintf(ctx->out, "%ld %d\n", (long)getpid(), fd);
	if (fflush(ctx->out))
		return sk_fail(ctx, "stdout: %s", strerror(errno));
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	for (;;) {
		if (sigwait(&set, &sig) == 0)
			break;
	}
	close(fd);
	if (pidfile)
		unlink(pidfile);
	return SK_EXIT_OK;
}

static const struct sk_verb socket_verbs[] = {
	{ "hold", "socket hold", .run = socket_hold },
};

int sk_cmd_socket(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, socket_verbs, argc, argv);
}
