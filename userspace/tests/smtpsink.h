/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real SMTP server for the unit tests: Debian's python3-aiosmtpd, storing
 * what it receives in a Maildir under the test's directory, on a loopback
 * port derived from the pid (so parallel tests do not collide).
 */
#ifndef SK_TEST_SMTPSINK_H
#define SK_TEST_SMTPSINK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMTPSINK_PY "/usr/bin/python3"	/* the Debian python3 that has aiosmtpd */

struct smtpsink {
	pid_t pid;
	char url[64];		/* smtp://127.0.0.1:PORT once it listens */
	char maildir[300];
};

static inline bool smtpsink_listening(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* salt: a small number that differs between the tests of one run */
static inline bool smtpsink_start(struct smtpsink *s, const char *dir, int salt)
{
	int port = 20000 + (getpid() + salt) % 20000;
	char listen[64];

	snprintf(s->maildir, sizeof(s->maildir), "%s/mail", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	s->url[0] = '\0';
	s->pid = fork();
	if (s->pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(SMTPSINK_PY, SMTPSINK_PY, "-m", "aiosmtpd", "-n", "-l", listen, "-c",
		      "aiosmtpd.handlers.Mailbox", s->maildir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && s->pid > 0; i++) {
		if (smtpsink_listening(port)) {
			snprintf(s->url, sizeof(s->url), "smtp://127.0.0.1:%d", port);
			return true;
		}
		usleep(50000);
	}
	return false;
}

static inline void smtpsink_stop(struct smtpsink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

#endif
