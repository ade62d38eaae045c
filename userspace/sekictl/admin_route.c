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
#include <stdarg.h>
#include <termios.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skadmin.h"
#include "skbackup.h"
#include "skdiag.h"

int sk_admin_route(int argc, char **argv);
int sk_diagnose_route(const char *store, int n, char **args, bool json, bool ja);
bool sk_ops_is_noun(const char *noun);
void sk_ops_help(FILE *f);
bool sk_locale_ja(void);	/* util.c */

/* "sekictl: " and the message (en, or ja under a Japanese locale; both
 * take the same arguments) on stderr */
__attribute__((format(printf, 1, 3), format(printf, 2, 3)))
static void say(const char *en, const char *ja, ...)
{
	va_list ap;

	va_start(ap, ja);
	fputs("sekictl: ", stderr);
	vfprintf(stderr, sk_locale_ja() ? ja : en, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* ---- init, backup, restore: the store as a whole, here (skbackup.h) ---- */

bool sk_ops_is_noun(const char *noun)
{
	return !strcmp(noun, "init") || !strcmp(noun, "backup") || !strcmp(noun, "restore") ||
	       !strcmp(noun, "diagnose");
}

void sk_ops_help(FILE *f)
{
	fprintf(f,
"  sekictl init [--store PATH|URL]\n"
"      create a new, empty store (every other command refuses a store that\n"
"      does not exist)\n"
"  sekictl [--store S] backup [--config CONF] [--encrypt] FILE\n"
"      the store (one snapshot, while sekishod runs), the files of ca.dir and\n"
"      the bootstrap file CONF in one archive FILE (mode 0600, never\n"
"      overwritten); --encrypt: with a passphrase read from stdin\n"
"  sekictl [--store S] restore [--config CONF] [--force] FILE\n"
"      put them back (the passphrase from stdin when FILE is encrypted);\n"
"      refuses a newer schema, and a store or files with other content\n"
"      unless --force.  Without --store: $SEKISHO_STORE, else the store = of\n"
"      CONF (default " SKA_DEFAULT_CONFIG "), else " SKA_DEFAULT_STORE "\n"
"  sekictl [--store S] diagnose [--config CONF] [--json]\n"
"      the operator's checklist on this host (module, device, forwarding,\n"
"      routes and NAT, listeners, certificates, CRL, SMTP, time, store,\n"
"      kernel policies, DNS under each group's allowlist): ok / warning /\n"
"      error, each with what to do; exit 1 with any error\n");
}

/* the passphrase of backup/restore: the terminal without echo, else one line of stdin */
static int backup_pass(char *buf, size_t len, bool confirm, void *arg)
{
	char again[1024];
	int rc = 0;

	(void)arg;
	if (!isatty(0)) {
		if (fgets(buf, (int)len, stdin))
			return 0;
		fprintf(stderr, "sekictl: the passphrase is read from stdin, which is empty; "
			"nothing was done\n  パスフレーズを標準入力から読みますが、空です。"
			"何もしていません\n");
		return -1;
	}
	if (read_hidden("Backup passphrase: ", buf, len))
		return -1;
	if (confirm) {
		if (read_hidden("Again: ", again, sizeof(again)) ||
		    strcspn(buf, "\r\n") != strcspn(again, "\r\n") ||
		    strncmp(buf, again, strcspn(buf, "\r\n"))) {
			fprintf(stderr, "sekictl: the two entries differ; nothing was written\n");
			rc = -1;
		}
		sk_wipe(again, sizeof(again));
	}
	return rc;
}

static int ops_route(const char *store, int n, char **args, const char *release)
{
	struct ska_backup_opt o = { .out = stdout, .err = stderr, .pass = backup_pass,
				    .release = release };
	static char from_conf[512];
	int i, files = 0;

	for (i = 1; i < n; i++) {
		if (!strcmp(args[i], "--config") && i + 1 < n && strcmp(args[0], "init"))
			o.config = args[++i];
		else if (!strcmp(args[i], "--encrypt") && !strcmp(args[0], "backup"))
			o.encrypt = true;
		else if (!strcmp(args[i], "--force") && !strcmp(args[0], "restore"))
			o.force = true;
		else if (args[i][0] != '-' && !files++)
			o.file = args[i];
		else
			files = 2;
	}
	if (files != !!strcmp(args[0], "init")) {
		fprintf(stderr, "sekictl: usage:\n");
		sk_ops_help(stderr);
		return 2;
	}
	/* the store = line of the bootstrap file, if it has one */
	if (!store && ska_conf_get(o.config ? o.config : SKA_DEFAULT_CONFIG, "store", from_conf,
				   sizeof(from_conf)))
		store = from_conf;
	o.store = store ? store : SKA_DEFAULT_STORE;
	if (!strcmp(args[0], "init"))
		return ska_init(o.store, stdout, stderr);
	return !strcmp(args[0], "backup") ? ska_backup(&o) : ska_restore(&o);
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
			say("%s needs a value", "%s には値が必要です", argv[i]);
			free(args);
			return 2;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n && sk_ops_is_noun(args[0])) {
		if (!store && getenv("SEKISHO_STORE") && *getenv("SEKISHO_STORE"))
			store = getenv("SEKISHO_STORE");
		rc = sock ? (fprintf(stderr, "sekictl: %s runs here on the store (--store), not "
				     "through sekishod's control socket: leave out --socket\n"
				     "  %s は制御ソケット経由ではなく、このホストでストアに対して実行"
				     "します（--store）。--socket を外してください\n", args[0], args[0]), 2)
			  : n > 1 && is_help(args[1]) ? (sk_ops_help(stdout), 0)
			  : !strcmp(args[0], "diagnose") ? sk_diagnose_route(store, n, args, json,
									     sk_locale_ja())
			  : ops_route(store, n, args, SK_VERSION);
		free(args);
		return rc;
	}
	if (!n || !sk_admin_is_noun(args[0])) {
		if (n)
			say("--store and --socket go with the store nouns (user, group, policy, ...)\n"
			    "Try 'sekictl help'.", "--store と --socket はストアの名詞（user、group、"
			    "policy など）と一緒に使います\n使い方は 'sekictl help' を参照してください。");
		else
			say("missing command\nTry 'sekictl help'.",
			    "コマンドがありません\n使い方は 'sekictl help' を参照してください。");
		free(args);
		return 2;
	}
	/* the environment, for scripts and batch files: --store/--socket win */
	if (!store && !sock && getenv("SEKISHO_STORE") && *getenv("SEKISHO_STORE"))
		store = getenv("SEKISHO_STORE");
	if (store && sock) {
		say("give --store or --socket, not both",
		    "--store と --socket のどちらか一方だけを指定してください");
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
		/* only init (and restore, store copy) create a store */
		rc = sk_store_open_existing(store, &st, err, sizeof(err));
		if (rc == -ENOENT) {	/* the message names the store and init */
			fprintf(stderr, "sekictl: %s\n", err);
			free(args);
			return 1;
		}
		if (rc) {
			char shown[512];

			/* a PostgreSQL URI may hold a password */
			sk_store_mask(store, shown, sizeof(shown));
			fprintf(stderr, "sekictl: %s: %s\n", shown, *err ? err : strerror(-rc));
			free(args);
			return 1;
		}
		io.json = json;
		io.ja = sk_locale_ja();
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
	if (sk_locale_ja())
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
		say("sekishod is not running (no control socket at %s); "
		    "use --store /var/lib/sekisho/sekisho.db",
		    "sekishod が動いていません（制御ソケット %s がありません）。"
		    "--store /var/lib/sekisho/sekisho.db を指定してください", sock);
		return 1;
	}
	if (rc == -EACCES || rc == -EPERM) {
		say("%s: permission denied: root or group sekisho-admin required",
		    "%s: 権限がありません。root かグループ sekisho-admin のメンバーで実行してください",
		    sock);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "sekictl: %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	return rc;
}
