// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl kpolicy add|set|del|list|show (kernel allowlists by numeric id; the store noun
 * "policy" is in userspace/admin): SEKISHO_CMD_POLICY_*.
 *
 * Rules: "ACTION PROTO PREFIX [PORTS]", one per --file line or one per
 * argument.  Big policies go out in one message (atomic replacement) and
 * are split into several POLICY nests when they exceed what one netlink
 * attribute can hold (see knl_encode_policy()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knl.h"
#include "sekictl.h"
#include "skjson.h"

#define RULES_FILE_MAX (32u << 20)

void sk_help_policy(FILE *f)
{
	fprintf(f,
"sekictl kpolicy add DEV ID [--file FILE|-] [RULE ...]\n"
"sekictl kpolicy set DEV ID [--file FILE|-] [RULE ...]   (replaces all rules)\n"
"sekictl kpolicy del DEV ID\n"
"sekictl kpolicy list|show DEV [ID] [--json]\n"
"  RULE: allow|deny any|tcp|udp|icmp|icmpv6 PREFIX [PORT|PORT-PORT], one quoted\n"
"        argument each, e.g. 'allow tcp 10.0.0.5 22' 'allow udp 10.1.0.0/16 1000-2000'\n"
"        PREFIX: ADDR, ADDR/LEN, any4, any6; the implicit last rule is deny\n");
}

static int add_rule(void *ctx, const struct sk_rule *r)
{
	struct sk_policy_args *a = ctx;

	if (a->nrules >= SEKISHO_MAX_RULES)
		return -1;
	if (a->nrules == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct sk_rule *nr = realloc(a->rules, ncap * sizeof(*nr));

		if (!nr)
			return -1;
		a->rules = nr;
		a->cap = ncap;
	}
	a->rules[a->nrules++] = *r;
	return 0;
}

void sk_policy_args_free(struct sk_policy_args *a)
{
	free(a->rules);
	a->rules = NULL;
	a->nrules = a->cap = 0;
}

int sk_policy_args_parse(int argc, char **argv, struct sk_policy_args *a,
			 char *err, size_t errlen)
{
	char e2[SK_ERRLEN];
	const char *file = NULL, *v;
	int i, r;

	memset(a, 0, sizeof(*a));
	if (argc < 2) {
		snprintf(err, errlen, "expected DEV ID");
		return -1;
	}
	a->dev = argv[0];
	if (sk_parse_u32(argv[1], &a->id, e2, sizeof(e2)) || !a->id) {
		snprintf(err, errlen, "policy ID: '%s' is not a number 1..4294967295",
			 argv[1]);
		return -1;
	}
	/* options first, so --file rules come before argv rules */
	for (i = 2; i < argc; i++) {
		v = NULL;
		r = sk_opt(argc, argv, &i, "file", &v, err, errlen);
		if (r < 0)
			return -1;
		if (r) {
			if (file) {
				snprintf(err, errlen, "--file given twice");
				return -1;
			}
			file = v;
		} else if (argv[i][0] == '-') {
			snprintf(err, errlen, "unknown option '%s'", argv[i]);
			return -1;
		}
	}
	if (file) {
		char *buf;
		size_t len;

		if (sk_read_file(file, RULES_FILE_MAX, &buf, &len, e2, sizeof(e2))) {
			snprintf(err, errlen, "--file: %s", e2);
			return -1;
		}
		r = sk_parse_rules_text(buf, len, add_rule, a, e2, sizeof(e2));
		free(buf);
		if (r) {
			snprintf(err, errlen, "--file %s: %s%s", file, e2,
				 a->nrules >= SEKISHO_MAX_RULES ? " (the limit is 65536)" : "");
			sk_policy_args_free(a);
			return -1;
		}
	}
	for (i = 2; i < argc; i++) {
		struct sk_rule rule;

		if (sk_flag(argv[i], "file")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--file=", 7))
			continue;
		if (sk_parse_rule(argv[i], &rule, e2, sizeof(e2))) {
			snprintf(err, errlen, "rule %s", e2);
			sk_policy_args_free(a);
			return -1;
		}
		if (add_rule(a, &rule)) {
			snprintf(err, errlen, "more than %d rules", SEKISHO_MAX_RULES);
			sk_policy_args_free(a);
			return -1;
		}
	}
	return 0;
}

static int policy_get_one(struct sk_ctx *ctx, struct knl *nl,
			  uint32_t ifindex, uint32_t id, struct knl_vec *pols);

/*
 * After sending a split policy, read back how many rules the kernel holds:
 * a module that looked only at the last POLICY nest would otherwise have
 * installed a fraction of the rules without saying so.
 */
static int verify_count(struct sk_ctx *ctx, struct knl *nl,
			unsigned int ifindex, const struct sk_policy_args *a)
{
	struct knl_vec pols = { .size = sizeof(struct knl_policy) };
	const struct knl_policy *p;
	size_t have;
	int ret;

	ret = policy_get_one(ctx, nl, ifindex, a->id, &pols);
	if (!ret && pols.n) {
		p = pols.items;
		have = p->has_num_rules ? p->num_rules : p->nrules;
		if (have != a->nrules)
			ret = sk_fail(ctx,
				      "the kernel holds %zu of the %zu rules: it did not take the policy split over several POLICY attributes (see Documentation/sekictl.md)",
				      have, a->nrules);
	}
	knl_policies_free(&pols);
	knl_vec_free(&pols);
	return ret;
}

static int policy_add_set(struct sk_ctx *ctx, int argc, char **argv, bool is_set)
{
	struct sk_policy_args a;
	char err[SK_ERRLEN];
	unsigned int ifindex;
	struct knl_msg m;
	struct knl nl;
	int ret = SK_EXIT_FAIL, split;

	if (sk_policy_args_parse(argc, argv, &a, err, sizeof(err)))
		return sk_usage(ctx, "%s", err);
	ifindex = sk_ifindex(ctx, a.dev);
	if (!ifindex)
		goto out;
	if (sk_knl_open(ctx, &nl))
		goto out;
	if (sk_knl(ctx, &nl, knl_msg_new(&m, &nl, is_set ? SEKISHO_CMD_POLICY_SET : SEKISHO_CMD_POLICY_NEW,
		       0, knl_policy_msg_size(a.rules, a.nrules) + 256)))
		goto out_nl;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	split = knl_encode_policy(&m, a.id, a.rules, a.nrules);
	if (split < 0) {
		sk_fail(ctx, "internal error: policy does not fit the message");
	} else if (!sk_knl(ctx, &nl, knl_do(&nl, &m, NULL, NULL)) &&
		   !(split && verify_count(ctx, &nl, ifindex, &a))) {
		ret = SK_EXIT_OK;
		fprintf(ctx->out, is_set ? "policy %u on %s replaced (%zu rule%s)\n"
					 : "policy %u added to %s (%zu rule%s)\n",
			a.id, a.dev, a.nrules, a.nrules == 1 ? "" : "s");
	}
	knl_msg_free(&m, false);
out_nl:
	knl_close(&nl);
out:
	sk_policy_args_free(&a);
	return ret;
}

static int policy_del(struct sk_ctx *ctx, int argc, char **argv)
{
	char e2[SK_ERRLEN];
	uint32_t id;
	int ret;

	if (argc < 2)
		return sk_usage(ctx, "expected DEV ID");
	if (argc > 2)
		return sk_usage(ctx, "unexpected argument '%s'", argv[2]);
	if (sk_parse_u32(argv[1], &id, e2, sizeof(e2)) || !id)
		return sk_usage(ctx, "policy ID: '%s' is not a number 1..4294967295",
				argv[1]);
	ret = sk_knl_del(ctx, argv[0], SEKISHO_CMD_POLICY_DEL, SEKISHO_A_POLICY,
			 SEKISHO_A_POLICY_ID, id, 0, 0);
	if (!ret)
		fprintf(ctx->out, "policy %u removed from %s\n", id, argv[0]);
	return ret;
}

static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl_vec *pols = data;
	const struct nlattr *a;

	/* several POLICY nests per message are allowed (split policies) */
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SEKISHO_A_POLICY &&
		    knl_decode_policy(a, pols))
			return -EBADMSG;
	return 0;
}

static void policy_reset(void *data)
{
	knl_policies_free(data);
}

static bool policy_incomplete(void *data)
{
	return knl_policies_incomplete(data);
}

static int policy_dump(struct sk_ctx *ctx, struct knl *nl, uint32_t ifindex,
		       struct knl_vec *pols)
{
	struct knl_msg m;
	int ret;

	if (sk_knl(ctx, nl, knl_msg_new(&m, nl, SEKISHO_CMD_POLICY_GET, 0, 256)))
		return SK_EXIT_FAIL;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	ret = knl_dump(nl, &m, policy_cb, policy_reset, policy_incomplete, pols);
	knl_msg_free(&m, false);
	return sk_knl(ctx, nl, ret);
}

static int policy_get_one(struct sk_ctx *ctx, struct knl *nl,
			  uint32_t ifindex, uint32_t id, struct knl_vec *pols)
{
	struct knl_msg m;
	struct nlattr *p;
	int ret;
	size_t i, keep = 0;

	if (sk_knl(ctx, nl, knl_msg_new(&m, nl, SEKISHO_CMD_POLICY_GET, 0, 256)))
		return SK_EXIT_FAIL;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	p = knl_nest_start(&m, SEKISHO_A_POLICY);
	knl_put_u32(&m, SEKISHO_A_POLICY_ID, id);
	knl_nest_end(&m, p);
	/* a policy too big for one reply: fall back to the (split) dump */
	ret = knl_do(nl, &m, policy_cb, pols);
	if (ret == -EMSGSIZE || (!ret && knl_policies_incomplete(pols))) {
		knl_policies_free(pols);
		ret = policy_dump(ctx, nl, ifindex, pols);
		if (ret)
			goto out;
		for (i = 0; i < pols->n; i++) {
			struct knl_policy *q = (struct knl_policy *)pols->items + i;

			if (q->id == id)
				((struct knl_policy *)pols->items)[keep++] = *q;
			else
				free(q->rules);
		}
		pols->n = keep;
		if (!keep)
			ret = sk_fail(ctx, "policy %u: %s", id, strerror(ENOENT));
	} else {
		ret = sk_knl(ctx, nl, ret);
	}
out:
	knl_msg_free(&m, false);
	return ret;
}

static int policy_list(struct sk_ctx *ctx, int argc, char **argv)
{
	struct knl_vec pols = { .size = sizeof(struct knl_policy) };
	struct sk_list_req r;
	struct knl nl;
	int ret;

	if ((ret = sk_list_open(ctx, argc, argv, "policy ID", &r, &nl)))
		return ret;
	ret = r.ids ? policy_get_one(ctx, &nl, r.ifindex, r.id, &pols)
		    : policy_dump(ctx, &nl, r.ifindex, &pols);
	knl_close(&nl);
	if (!ret)
		sk_print_list(ctx->out, SK_OBJ_POLICY, &pols, r.json, r.ids, r.dev);
	knl_policies_free(&pols);
	knl_vec_free(&pols);
	return ret;
}

static const struct sk_verb policy_verbs[] = {
	{ "add", "kpolicy add", .run_set = policy_add_set, .set = false },
	{ "set", "kpolicy set", .run_set = policy_add_set, .set = true },
	{ "del", "kpolicy del", .run = policy_del },
	{ "list", "kpolicy list", .run = policy_list },
	{ "show", "kpolicy show", .run = policy_list },
};

int sk_cmd_policy(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, policy_verbs, argc, argv);
}
