// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 11 item 10: the control socket must not stall the gateway.  main's
 * real event loop (skd_loop) runs in a thread with a real store, its
 * control socket and one (fake) worker; the test plays the administrators
 * and the worker.  Control clients that connect and send nothing, or send
 * half a request (a command that takes input, without the input's end),
 * must not delay a login round of the worker nor another control command;
 * they are dropped at their deadline; a ninth connection at once is told
 * "busy" in both languages.  Before the fix each connection was served
 * inside the loop with a blocking 5 s read.  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

static struct tap t;
static struct skd d;
static char dir[] = "/tmp/sekishod-control-test.XXXXXX";
static char sock_path[100];
static int wend = -1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *loop_thread(void *arg)
{
	(void)arg;
	skd_loop(&d);
	return NULL;
}

static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* a whole sekictl command in a child (its output to /dev/null); its exit
 * status, and the seconds it took in *secs */
static int sekictl(double *secs, int argc, char **argv)
{
	double t0 = now_s();
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(nul, 1);
		dup2(nul, 2);
		_exit(sk_admin_client(sock_path, argc, argv, NULL));
	}
	waitpid(pid, &status, 0);
	*secs = now_s() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* one login round of the worker: an init; seconds until main's answer, or
 * a large number */
static double login_round(void)
{
	static uint8_t buf[SK_IPC_MAX];
	struct sk_ipc_auth *a = (struct sk_ipc_auth *)buf;
	struct pollfd p = { .fd = wend, .events = POLLIN };
	double t0;

	memset(buf, 0, sizeof(buf));
	a->is_init = 1;
	snprintf(a->group, sizeof(a->group), "staff");
	skd_ipc_header(a, SK_IPC_AUTH, sizeof(*a));
	t0 = now_s();
	if (send(wend, buf, sizeof(*a), 0) != (ssize_t)sizeof(*a) || poll(&p, 1, 20000) != 1 ||
	    recv(wend, buf, sizeof(buf), 0) < (ssize_t)sizeof(struct sk_ipc_auth_reply))
		return 1e9;
	return now_s() - t0;
}

/* true if the peer closed fd within secs */
static bool closed_within(int fd, double secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[256];

	while (poll(&p, 1, (int)(secs * 1000)) == 1) {
		ssize_t n = recv(fd, b, sizeof(b), 0);

		if (n <= 0)
			return true;
	}
	return false;
}

static bool setup(void)
{
	char path[256], err[512];
	struct sk_group g;
	struct skd_worker *w;
	int sv[2];

	if (!mkdtemp(dir) || skd_init(&d))
		return false;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err)))
		return false;
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	if (sk_group_add(d.st, &g, err, sizeof(err)))
		return false;
	snprintf(d.gateway_name, sizeof(d.gateway_name), "vpn.test");
	d.chain.st = d.st;
	d.chain.defer_hash = true;
	d.chain.gateway_name = d.gateway_name;
	d.chain.cert_bind = SK_BIND_CN;
	d.tmpl.fd = -1;
	d.tmpl.failed = true;		/* no worker executables here */
	d.control_deadline = 2;
	d.admin_gid = getgid();		/* this test is an administrator */
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	snprintf(d.conf.control, sizeof(d.conf.control), "%s", sock_path);
	if (skd_control_open(&d, err, sizeof(err))) {
		printf("# %s\n", err);
		return false;
	}
	/* the worker of one client connection */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return false;
	w = &d.workers[0];
	memset(w, 0, sizeof(*w));
	w->ev = (struct skd_ev){ SKD_EV_WORKER, 0 };
	w->used = true;
	w->fd = sv[0];
	w->pid = 0;
	((struct sockaddr_in *)&w->peer)->sin_family = AF_INET;
	((struct sockaddr_in *)&w->peer)->sin_addr.s_addr = htonl(0xc6336407);
	skd_conf_addr_text(&w->peer, w->remote, sizeof(w->remote));
	wend = sv[1];
	return true;
}

int main(void)
{
	char *list[] = { "group", "list", NULL };
	int idle[SKD_CONTROL_MAX], half, rc;
	double secs, worst = 0;
	pthread_t th;

	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);
	signal(SIGPIPE, SIG_IGN);
	if (!setup()) {
		printf("Bail out! setup\n");
		return 1;
	}
	if (pthread_create(&th, NULL, loop_thread, NULL)) {
		printf("Bail out! thread\n");
		return 1;
	}
	for (int i = 0; i < 100 && d.ep < 0; i++)
		usleep(10000);
	usleep(50000);
	skd_poll_add(&d, d.workers[0].fd, &d.workers[0].ev);

	secs = login_round();
	tap_ok(&t, secs < 1, "a login round with no control client: %.3f s", secs);

	/* an administrator connects and sends nothing */
	idle[0] = ctl_connect();
	/* another sends half a request: a command that takes input, no end */
	half = ctl_connect();
	{
		static const char req[] = "SKA1user\0passwd\0nobody";
		static const char in[] = "SKAIhalf a pass";

		if (half < 0 || send(half, req, sizeof(req), 0) != sizeof(req) ||
		    send(half, in, sizeof(in) - 1, 0) != sizeof(in) - 1)
			printf("# half request not sent\n");
	}
	usleep(100000);
	for (int i = 0; i < 5; i++) {
		secs = login_round();
		if (secs > worst)
			worst = secs;
	}
	tap_ok(&t, idle[0] >= 0 && half >= 0 && worst < 0.5,
	       "with a silent control client and one with half a request, login rounds take "
	       "%.3f s at worst", worst);
	rc = sekictl(&secs, 2, list);
	tap_ok(&t, rc == 0 && secs < 1,
	       "another administrator's command is answered meanwhile (exit %d in %.3f s)", rc, secs);

	/* the slots: 8 at once, the ninth is told why */
	for (int i = 1; i < SKD_CONTROL_MAX - 1; i++)
		idle[i] = ctl_connect();
	usleep(100000);
	{
		int ninth = ctl_connect();
		char b[1024] = "";
		struct pollfd p = { .fd = ninth, .events = POLLIN };
		ssize_t n = -1;

		if (ninth >= 0 && poll(&p, 1, 2000) == 1)
			n = recv(ninth, b, sizeof(b) - 1, 0);
		if (n > 0)
			b[n] = '\0';
		tap_ok(&t, n > 4 && !memcmp(b, "SKAE", 4) && strstr(b + 4, "too many control") &&
		       strstr(b + 4, "管理コマンドが多すぎます"),
		       "with %d control connections open, one more is refused with a reason (ja/en)",
		       SKD_CONTROL_MAX);
		if (ninth >= 0)
			close(ninth);
	}
	secs = login_round();
	tap_ok(&t, secs < 0.5, "logins still answered with every control slot taken: %.3f s", secs);

	/* the deadline: the silent ones and the half request are dropped */
	tap_ok(&t, closed_within(idle[0], d.control_deadline + 2.5) &&
	       closed_within(half, 1.5), "a control client that stays silent past the deadline "
	       "(%d s) is dropped, and so is the half request", d.control_deadline);
	for (int i = 1; i < SKD_CONTROL_MAX - 1; i++)
		closed_within(idle[i], 3);
	rc = sekictl(&secs, 2, list);
	tap_ok(&t, rc == 0 && secs < 1, "after that the slots are free again (exit %d in %.3f s)", rc,
	       secs);

	d.stop = true;
	pthread_join(th, NULL);
	tap_end(&t);
	skd_shutdown(&d);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			return 1;
	}
	return t.failed ? 1 : 0;
}
