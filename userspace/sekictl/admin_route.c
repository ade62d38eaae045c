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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skadmin.h"

int sk_admin_route(int argc, char **argv);

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
	char **args, err[512];
	int n = 0, i, rc;
	bool json = false;

	args = calloc(argc + 1, sizeof(*args));
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
			fprintf(stderr, "sekictl: %s: %s\n", store, *err ? err : strerror(-rc));
			free(args);
			return 1;
		}
		io.json = json;
		rc = sk_admin_exec(st, &who, &io, n, args, &fx);
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
	rc = sk_admin_client(sock, n, args, stdin);
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
