// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl: routing of the store nouns (user, group, policy, device, ca,
 * cert, profile, settings, session, audit) to skadmin.
 *
 *   sekictl [--store PATH | --socket PATH] [--json] NOUN VERB ...
 *
 * With --store (or $SEKISHO_STORE, handy for `sekictl batch`) the command runs here on the SQLite file (no daemon: before
 * the first start, or for recovery); otherwise it goes to sekishod's
 * control socket (--socket, $SEKISHO_CONTROL, or the default path) so that
 * the daemon applies it to live sessions at once.
 *
 * Kept apart from the kernel nouns' files: skstore.h and sekictl.h both
 * name a struct sk_policy and a struct sk_rule (different things), so no
 * file includes both.
 */
#include <errno.h>
#include <pwd.h>
#include <termios.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skadmin.h"

int sk_admin_route(int argc, char **argv);

/* OPENSSL_cleanse without pulling OpenSSL headers into this file */
void sk_wipe(void *p, size_t len);

/* Reads one line from the terminal without echo; 0 or -1. */
static int read_hidden(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool restore = false;
	int rc = -1;

	fputs(prompt, stderr);
	fflush(stderr);
	if (!tcgetattr(0, &old)) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = !tcsetattr(0, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)len, stdin))
		rc = 0;
	if (restore)
		tcsetattr(0, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/*
 * user passwd, cert issue and `settings set KEY -` read a password (a
 * secret setting) from stdin; on a terminal ask for it without echo (twice)
 * and hand the commands a memory stream instead.  Returns the stream to use
 * as stdin, NULL on a mismatch (message printed).
 */
static FILE *password_input(int n, char **args, char *buf, size_t len)
{
	bool passwd = n >= 2 && !strcmp(args[0], "user") && !strcmp(args[1], "passwd");
	bool p12 = n >= 2 && !strcmp(args[0], "cert") && !strcmp(args[1], "issue");
	bool setting = n >= 4 && !strcmp(args[0], "settings") && !strcmp(args[1], "set") &&
		       !strcmp(args[3], "-");
	char again[256], prompt[128];

	if ((!passwd && !p12 && !setting) || !isatty(0))
		return stdin;
	snprintf(prompt, sizeof(prompt), "%s: ", passwd ? "New password" : p12 ? "PKCS#12 password" :
		 args[2]);
	if (read_hidden(prompt, buf, len))
		return NULL;
	if (read_hidden("Again: ", again, sizeof(again)) || strcmp(buf, again)) {
		sk_wipe(again, sizeof(again));
		fprintf(stderr, "sekictl: the two entries differ; nothing changed\n");
		return NULL;
	}
	sk_wipe(again, sizeof(again));
	return fmemopen(buf, strlen(buf), "r");
}

/* the caller's locale for messages: LC_ALL, LC_MESSAGES, LANG (the first set) */
static bool locale_ja(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return !strncmp(v, "ja", 2);
	}
	return false;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

int sk_admin_route(int argc, char **argv)
{
	const char *store = NULL, *sock = NULL;
	struct sk_admin_io io = { .out = stdout, .err = stderr, .in = stdin };
	struct sk_admin_effects fx = { 0 };
	struct sk_admin_caller who = { 0 };
	char **args, err[512], pwbuf[256] = "";
	FILE *in;
	int n = 0, i, rc;
	bool json = false;

	args = calloc(argc + 2, sizeof(*args));	/* + --msg-lang, NULL */
	if (!args)
		return 1;
	for (i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "--store") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			*(argv[i][3] == 't' ? &store : &sock) = argv[i + 1];
			i++;
		} else if (!strncmp(argv[i], "--store=", 8)) {
			store = argv[i] + 8;
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			sock = argv[i] + 9;
		} else if (!strcmp(argv[i], "--store") || !strcmp(argv[i], "--socket")) {
			fprintf(stderr, "sekictl: %s needs a value\n", argv[i]);
			free(args);
			return 2;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			args[n++] = argv[i];
		}
	}
	if (!n || !sk_admin_is_noun(args[0])) {
		fprintf(stderr, "sekictl: %s\nTry 'sekictl help'.\n",
			n ? "--store and --socket go with the store nouns (user, group, policy, ...)" :
			    "missing command");
		free(args);
		return 2;
	}
	/* the environment, for scripts and batch files: --store/--socket win */
	if (!store && !sock && getenv("SEKISHO_STORE") && *getenv("SEKISHO_STORE"))
		store = getenv("SEKISHO_STORE");
	if (store && sock) {
		fprintf(stderr, "sekictl: give --store or --socket, not both\n");
		free(args);
		return 2;
	}
	/* help needs neither the store nor the daemon */
	if (n > 1 && is_help(args[1])) {
		rc = sk_admin_exec(NULL, &who, &io, n, args, &fx);
		free(args);
		return rc;
	}
	if (store) {
		struct sk_store *st;
		struct passwd *pw = getpwuid(getuid());

		who.uid = getuid();
		who.pid = getpid();
		snprintf(who.name, sizeof(who.name), "uid=%u(%s)", (unsigned int)who.uid,
			 pw ? pw->pw_name : "?");
		rc = sk_store_open(store, &st, err, sizeof(err));
		if (rc) {
			char shown[512];

			/* a PostgreSQL URI may hold a password */
			sk_store_mask(store, shown, sizeof(shown));
			fprintf(stderr, "sekictl: %s: %s\n", shown, *err ? err : strerror(-rc));
			free(args);
			return 1;
		}
		io.json = json;
		io.ja = locale_ja();
		io.in = password_input(n, args, pwbuf, sizeof(pwbuf));
		rc = io.in ? sk_admin_exec(st, &who, &io, n, args, &fx) : 1;
		if (io.in && io.in != stdin)
			fclose(io.in);
		sk_wipe(pwbuf, sizeof(pwbuf));
		sk_store_close(st);
		free(args);
		return rc;
	}
	if (!sock)
		sock = getenv("SEKISHO_CONTROL");
	if (!sock || !*sock)
		sock = SKA_DEFAULT_SOCKET;
	if (json)
		args[n++] = "--json";
	if (locale_ja())
		args[n++] = "--msg-lang=ja";
	in = password_input(n, args, pwbuf, sizeof(pwbuf));
	if (!in) {
		free(args);
		return 1;
	}
	rc = sk_admin_client(sock, n, args, in);
	if (in != stdin)
		fclose(in);
	sk_wipe(pwbuf, sizeof(pwbuf));
	free(args);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		fprintf(stderr, "sekictl: sekishod is not running (no control socket at %s); "
			"use --store /var/lib/sekisho/sekisho.db\n", sock);
		return 1;
	}
	if (rc == -EACCES || rc == -EPERM) {
		fprintf(stderr, "sekictl: %s: permission denied: root or group sekisho-admin "
			"required\n", sock);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "sekictl: %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	return rc;
}
