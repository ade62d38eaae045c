// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl store: the store as a whole, here on the host (not through
 * sekishod): copy one store to another (SQLite <-> PostgreSQL, or a new
 * file), and the rows and digests of one store.
 *
 * Only skstore.h here: sekictl.h and skstore.h both name a struct
 * sk_policy (see admin_route.c); dispatch.c calls in through
 * sk_store_cmd() and sk_store_help().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "skcopy.h"

int sk_store_cmd(FILE *out, int argc, char **argv);
void sk_store_help(FILE *f);

void sk_store_help(FILE *f)
{
	fprintf(f,
"  sekictl store copy [--force] FROM TO\n"
"      copy a whole store (path or postgresql:// URI) into another: one\n"
"      snapshot of FROM, one transaction on TO, verified (rows and digest per\n"
"      table) before it commits; TO must be empty unless --force (then its\n"
"      content is replaced); both of this sekisho's schema version\n"
"  sekictl store digest STORE\n"
"      the rows and the digest of each table of STORE\n");
}

struct shown {
	FILE *out;
	int64_t rows;
	int tables;
};

static void show_table(const struct sk_copy_table *t, void *arg)
{
	struct shown *s = arg;

	if (!s->tables)
		fprintf(s->out, "  %-22s %10s  %s\n", "table", "rows", "digest");

	/* the digest covers secrets too: it is a hash of the whole table,
	 * not of one value */
	fprintf(s->out, "  %-22s %10lld  %.16s\n", t->name, (long long)t->rows, t->digest);
	s->rows += t->rows;
	s->tables++;
}

int sk_store_cmd(FILE *out, int argc, char **argv)
{
	struct shown s = { .out = out };
	char err[1024] = "", from[512], to[512];
	const char *a[2] = { NULL, NULL };
	unsigned int flags = 0;
	int i, n = 0, rc;

	if (argc < 1) {
		sk_store_help(stderr);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") && !strcmp(argv[0], "copy"))
			flags |= SK_COPY_FORCE;
		else if (argv[i][0] == '-' && argv[i][1])
			n = 3;	/* an unknown option: usage */
		else if (n < 2)
			a[n++] = argv[i];
		else
			n = 3;
	}
	if (!strcmp(argv[0], "digest") && n == 1) {
		sk_store_mask(a[0], from, sizeof(from));
		fprintf(out, "%s\n", from);
		rc = sk_store_digest(a[0], show_table, &s, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "sekictl: store digest: %s\n", *err ? err : strerror(-rc));
			return 1;
		}
		fprintf(out, "  %-22s %10lld  (%d tables)\n", "total", (long long)s.rows, s.tables);
		return 0;
	}
	if (strcmp(argv[0], "copy") || n != 2) {
		fprintf(stderr, "sekictl: usage:\n");
		sk_store_help(stderr);
		return 2;
	}
	sk_store_mask(a[0], from, sizeof(from));
	sk_store_mask(a[1], to, sizeof(to));
	fprintf(out, "copying %s to %s%s\n", from, to,
		flags & SK_COPY_FORCE ? " (--force: its content is replaced)" : "");
	fflush(out);
	rc = sk_store_copy(a[0], a[1], flags, show_table, &s, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sekictl: store copy: %s\n", *err ? err : strerror(-rc));
		return 1;
	}
	fprintf(out, "  %-22s %10lld  (%d tables)\n"
		"verified: every table has the same rows and digest in %s and in %s; committed\n"
		"検証済み: すべての表の行数とダイジェストがコピー元とコピー先で一致しました。"
		"コミットしました\n", "total", (long long)s.rows, s.tables, from, to);
	return 0;
}
