// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the SMTP mail (userspace/auth/mail.c) against a REAL SMTP
 * server: python3-aiosmtpd storing into a Maildir.  The stored messages
 * are read back with Python's own mailbox/email parser (a second, well-kept
 * MIME implementation), which prints one line per message; the checks are
 * made here.  SKIPs when aiosmtpd is not installed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "skauth.h"
#include "tap.h"

static struct tap t;

/* a python with aiosmtpd: Debian's package installs into /usr/bin/python3,
 * which may not be the first python3 on PATH */
static const char *find_python(void)
{
	static const char *const cands[] = { "/usr/bin/python3", "python3" };
	char cmd[256];
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s -c 'import aiosmtpd' >/dev/null 2>&1", cands[i]);
		if (system(cmd) == 0)
			return cands[i];
	}
	return NULL;
}

/* a TCP port nobody listens on right now (bound then released) */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &l))
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

static bool can_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (s >= 0)
		close(s);
	return ok;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int count_new(const char *dir)
{
	char p[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/new", dir);
	d = opendir(p);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static const char reader_py[] =
	"import mailbox, sys, email.header, email.utils\n"
	"md = mailbox.Maildir(sys.argv[1], factory=None, create=False)\n"
	"for key, m in md.items():\n"
	"    subj = str(email.header.make_header(email.header.decode_header(m['Subject'])))\n"
	"    body = m.get_payload(decode=True).decode('utf-8')\n"
	"    date_ok = email.utils.parsedate_to_datetime(m['Date']) is not None\n"
	"    f = [m['To'], subj, m.get_content_type(), str(m.get_content_charset()),\n"
	"         m['Content-Transfer-Encoding'], m['MIME-Version'], str(date_ok),\n"
	"         str(m['Message-ID'] is not None and m['Message-ID'].startswith('<')),\n"
	"         body.replace('\\r\\n', '\\\\n').replace('\\n', '\\\\n').replace('\\t', ' ')]\n"
	"    sys.stdout.write('\\t'.join(f) + '\\n')\n";

enum { F_TO, F_SUBJ, F_CTYPE, F_CHARSET, F_CTE, F_MIME, F_DATE, F_MID, F_BODY, F_N };

/* the stored message to `to`, split into fields (pointers into buf) */
static bool find_msg(char *buf, const char *to, char *f[F_N])
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *s2 = NULL, *tok;
		int i = 0;

		for (tok = strtok_r(p, "\t", &s2); tok && i < F_N; tok = strtok_r(NULL, "\t", &s2))
			f[i++] = tok;
		if (i == F_N && !strcmp(f[F_TO], to))
			return true;
	}
	return false;
}

static size_t read_all(const char *py, const char *script, const char *dir, char *out, size_t len)
{
	char cmd[1024];
	size_t n = 0, r;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s %s", py, script, dir);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	pclose(p);
	return n;
}

int main(void)
{
	const char *py = find_python();
	char dir[] = "/tmp/sk-mail-test-XXXXXX", url[64], err[256], code[7], script[100];
	char listen[32], log[100], md[100], out1[16384], out2[16384], *f[F_N];
	const char *long_subj = "長い件名のテスト：プロファイルのダウンロード用リンクをお送りします / "
				"Your VPN profile download link is ready";
	struct sk_mail_cfg cfg = { .from = "sekisho@gw.example.jp", .timeout_ms = 5000 };
	int port, dead, rc, i;
	pid_t pid;
	FILE *fs;

	tap_begin();
	if (!py) {
		printf("1..0 # SKIP python3-aiosmtpd is not installed (apt install python3-aiosmtpd)\n");
		return 0;
	}
	if (!mkdtemp(dir) || (port = free_port()) < 0) {
		tap_ok(&t, false, "temporary directory and port");
		return tap_end(&t);
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s.log", dir);
	/* a path that does not exist yet: the Mailbox handler creates the
	 * Maildir (cur, new, tmp) only then */
	snprintf(md, sizeof(md), "%s/Maildir", dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (freopen(log, "w", stdout) && freopen(log, "a", stderr))
			execlp(py, py, "-m", "aiosmtpd", "-n", "-l", listen, "-c",
			       "aiosmtpd.handlers.Mailbox", md, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 150 && !can_connect(port); i++)
		msleep(100);
	if (!tap_ok(&t, can_connect(port), "aiosmtpd listens on %s (python %s)", listen, py))
		goto out;
	tap_ok(&t, sk_auth_global_init() == 0, "global init (curl, oath)");
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	cfg.url = url;

	/* the one-time code mail */
	tap_ok(&t, sk_otp_generate(code) == 0, "code %s", code);
	rc = sk_mail_send_otp(&cfg, "関所 VPN", "alice@example.jp", "alice", code, 5, err, sizeof(err));
	tap_ok(&t, rc == 0, "OTP mail sent (rc %d %s)", rc, err);
	/* a generic mail with a long Japanese subject (folded encoded words) */
	rc = sk_mail_send(&cfg, "bob@example.jp", long_subj,
			  "プロファイル: https://vpn.example.jp/profile/abc\nProfile: https://vpn.example.jp/profile/abc\n",
			  err, sizeof(err));
	tap_ok(&t, rc == 0, "generic mail sent (rc %d %s)", rc, err);
	for (i = 0; i < 100 && count_new(md) < 2; i++)
		msleep(100);
	tap_ok(&t, count_new(md) == 2, "two messages in the Maildir (%d)", count_new(md));

	snprintf(script, sizeof(script), "%s.py", dir);
	fs = fopen(script, "w");
	if (fs) {
		fputs(reader_py, fs);
		fclose(fs);
	}
	read_all(py, script, md, out1, sizeof(out1));
	memcpy(out2, out1, sizeof(out1));
	if (tap_ok(&t, find_msg(out1, "alice@example.jp", f), "message to alice@example.jp found")) {
		tap_ok(&t, !strcmp(f[F_SUBJ], "[関所 VPN] ワンタイムパスワード / One-time code"),
		       "decoded subject: %s", f[F_SUBJ]);
		tap_ok(&t, !strcmp(f[F_CTYPE], "text/plain") && !strcmp(f[F_CHARSET], "utf-8"),
		       "text/plain; charset=UTF-8 (%s %s)", f[F_CTYPE], f[F_CHARSET]);
		tap_ok(&t, !strcmp(f[F_CTE], "base64") && !strcmp(f[F_MIME], "1.0"),
		       "base64 body, MIME-Version 1.0");
		tap_ok(&t, !strcmp(f[F_DATE], "True") && !strcmp(f[F_MID], "True"),
		       "Date parses, Message-ID present");
		tap_ok(&t, strstr(f[F_BODY], code) != NULL, "decoded body contains the code %s", code);
		tap_ok(&t, strstr(f[F_BODY], "ワンタイムパスワード") && strstr(f[F_BODY], "5 分") &&
			   strstr(f[F_BODY], "5 minutes") && strstr(f[F_BODY], "関所 VPN"),
		       "body has both languages, the minutes and the gateway name");
		tap_ok(&t, strstr(f[F_BODY], "管理者") && strstr(f[F_BODY], "tell your administrator"),
		       "body says to tell the administrator");
		tap_ok(&t, strstr(f[F_BODY], "ワンタイム") < strstr(f[F_BODY], "one-time code"),
		       "Japanese first, then English");
	}
	if (tap_ok(&t, find_msg(out2, "bob@example.jp", f), "message to bob@example.jp found")) {
		tap_ok(&t, !strcmp(f[F_SUBJ], long_subj), "long subject decodes whole: %s", f[F_SUBJ]);
		tap_ok(&t, strstr(f[F_BODY], "プロファイル: https://vpn.example.jp/profile/abc\\n") != NULL,
		       "generic body intact");
	}

	/* refusals */
	dead = free_port();
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", dead);
	err[0] = '\0';
	rc = sk_mail_send_otp(&cfg, "関所 VPN", "alice@example.jp", "alice", code, 5, err, sizeof(err));
	tap_ok(&t, rc == -EIO && err[0], "refused connection: -EIO with \"%s\"", err);
	cfg.url = "http://127.0.0.1/";
	rc = sk_mail_send(&cfg, "alice@example.jp", "s", "b", err, sizeof(err));
	tap_ok(&t, rc == -EIO, "non-SMTP URL refused by libcurl: %s", err);
	cfg.url = url;
	rc = sk_mail_send(&cfg, "alice@example.jp\r\nBcc: eve@example.jp", "s", "b", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "CRLF in the recipient: -EINVAL (%s)", err);
	rc = sk_mail_send(&cfg, "alice@example.jp", "s\r\nBcc: eve@example.jp", "b", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "CRLF in the subject: -EINVAL");
	rc = sk_mail_send_otp(&cfg, "gw", "alice@example.jp", "alice", "12ab56", 5, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "non-digit code: -EINVAL");
	rc = sk_mail_send_otp(&cfg, "gw", "alice@example.jp", "alice", "123456", 0, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "0 minutes: -EINVAL");
	cfg.url = NULL;
	rc = sk_mail_send(&cfg, "alice@example.jp", "s", "b", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "no relay configured: -EINVAL (%s)", err);
	sk_auth_global_cleanup();
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s %s.log %s.py", dir, dir, dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_end(&t);
}
