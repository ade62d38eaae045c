// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl source: the login failure score of each source (an IPv4 address,
 * an IPv6 /64) and its block (store: sk_source_*, auth/chain.c).
 *   source list [--json]      every scored source, the latest failure first
 *   source unblock ADDR       forgets the source's block and count
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

static void source_obj(struct ska *a, const struct sk_source *s, struct ska_obj *o)
{
	ska_obj_add(o, "source", KT_STR, "%s", s->prefix);
	ska_obj_add(o, "failures", KT_NUM, "%d", s->failures);
	ska_obj_time(o, "window-start", s->window_start);
	ska_obj_time(o, "last-failure", s->last_fail);
	ska_obj_add(o, "blocked", KT_BOOL, "%s", s->blocked_until > a->now ? "yes" : "no");
	ska_obj_time(o, "blocked-until", s->blocked_until);
	ska_obj_add(o, "blocks", KT_NUM, "%d", s->blocks);
	ska_obj_add(o, "never-block", KT_BOOL, "%s",
		    sk_source_never_block(a->st, s->prefix) ? "yes" : "no");
}

static int source_each(const struct sk_source *s, void *arg)
{
	struct ska_list *l = arg;
	struct ska_obj o = { 0 };

	source_obj(l->a, s, &o);
	if (l->j) {
		ska_obj_json(l->j, NULL, &o, NULL, 0);
	} else {
		char last[40], until[40];

		ska_fmt_time(s->last_fail, last, sizeof(last));
		ska_fmt_time(s->blocked_until, until, sizeof(until));
		if (!l->n)
			fprintf(l->a->io->out, "%-24s %-8s %-25s %-25s %s\n", "SOURCE", "FAILURES",
				"LAST FAILURE", "BLOCKED UNTIL", "BLOCKS");
		fprintf(l->a->io->out, "%-24s %-8d %-25s %-25s %d\n", s->prefix, s->failures, last,
			s->blocked_until > l->a->now ? until : "-", s->blocks);
	}
	l->n++;
	ska_obj_free(&o);
	return 0;
}

struct unblock_tx { struct ska *a; struct sk_source s; char *before; };

static int source_unblock_apply(struct sk_store *st, void *arg)
{
	struct unblock_tx *u = arg;
	int rc = sk_source_del(st, u->s.prefix);

	return rc ? rc : ska_audit(u->a, u->before, NULL, NULL, NULL);
}

int ska_source(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_json j;
	int rc;

	snprintf(a->what, sizeof(a->what), "source %s", verb);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };

		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		ska_list_begin(a, &j, &l.j);
		rc = sk_source_list(a->st, source_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "sources");
	}
	if (!strcmp(verb, "unblock")) {
		struct unblock_tx u = { .a = a };
		struct ska_obj o = { 0 };
		char key[SK_ADDR_MAX];

		if (argc != 2)
			return ska_usage(a, "expected: source unblock ADDRESS (an IPv4 address, or an "
					 "IPv6 address or /64, as 'source list' shows)");
		if (sk_source_key(argv[1], key, sizeof(key)))
			return ska_usage(a, "'%s' is not an IPv4 address, an IPv6 address or an IPv6 "
					 "/64", argv[1]);
		rc = sk_source_get(a->st, key, &u.s);
		if (rc)
			return ska_store_fail(a, rc, key, rc == -ENOENT ?
					      "no failure recorded for this source" : "");
		source_obj(a, &u.s, &o);
		u.before = ska_obj_json_text(&o, NULL, 0);
		ska_obj_free(&o);
		rc = ska_tx(a, source_unblock_apply, &u);
		free(u.before);
		if (rc)
			return ska_store_fail(a, rc, key, "");
		fprintf(a->io->out, "source %s: %s\n", key,
			u.s.blocked_until > a->now ? "unblocked" : "failure count cleared (it was not blocked)");
		return 0;
	}
	return ska_usage(a, "unknown verb '%s' (list, unblock)", verb);
}
