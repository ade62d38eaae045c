// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl: the program administrators and scripts run.
 *
 *   sekictl NOUN [VERB] [ARGS...]      sekictl help, sekictl NOUN help
 *
 * It runs the kernel nouns itself (knouns.c: generic netlink to sekisho.ko
 * through libmnl) and execs sekictl-admin, the whole CLI (main.c), for
 * every other command: the store nouns, diagnose, batch, help.  Why two
 * programs: sekictl-admin maps 38 shared libraries at each start (libpq,
 * libldap, libcurl and theirs), which in the test VMs costs about 2 s per
 * run under the debug kernel and a good part of a second under plain TCG;
 * a `sekictl show` in a monitoring loop should not load a PostgreSQL
 * client.  This one needs libmnl and libc (decisions/sekictl-split.md).
 * sekictl-admin is looked for next to this program, then in
 * SK_LIBEXECDIR, like sekishod finds its worker.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "sekictl.h"

static void exec_admin(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int err;

	if (n > 0) {
		self[n] = 0;
		snprintf(path, sizeof(path), "%s/sekictl-admin", dirname(self));
		execv(path, argv);
	}
	snprintf(path, sizeof(path), "%s/sekictl-admin", SK_LIBEXECDIR);
	execv(path, argv);
	err = errno;
	if (sk_locale_ja())
		fprintf(stderr, "sekictl: %s を実行できません (%s)。sekisho パッケージを入れ直してください。\n",
			path, strerror(err));
	else
		fprintf(stderr, "sekictl: cannot run %s (%s): install the sekisho package again\n",
			path, strerror(err));
}

int main(int argc, char **argv)
{
	struct sk_ctx ctx = { .what = "", .out = stdout };
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("sekictl %s (sekisho netlink family version %d)\n",
		       SK_VERSION, SEKISHO_FAMILY_VERSION);
		return SK_EXIT_OK;
	}
	if (argc >= 2) {
		rc = sk_kernel_dispatch(&ctx, argc - 1, argv + 1);
		if (rc >= 0)
			return rc;
	}
	exec_admin(argv);
	return SK_EXIT_FAIL;
}
