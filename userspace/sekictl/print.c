// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output of devices, peers and policies.  The text form is
 * for people (and grep: one "label: value" per line); the JSON form is
 * the stable interface for scripts (Documentation/sekictl.md).
 */
#include <inttypes.h>
#include <string.h>

#include "sekictl.h"
#include "skjson.h"

static void print_stats(FILE *f, const struct knl_stats *s, const char *indent)
{
	int i;

	for (i = 0; i < KNL_NSTATS; i++)
		if (knl_stat_names[i] && s->has[i])
			fprintf(f, "%s%s: %" PRIu64 "\n", indent, knl_stat_names[i],
				s->v[i]);
}

void sk_print_dev(FILE *f, const struct knl_dev *d)
{
	fprintf(f, "device: %s\n", d->ifname[0] ? d->ifname : "?");
	fprintf(f, "  ifindex: %u\n", d->ifindex);
	if (d->has_peers)
		fprintf(f, "  peers: %u\n", d->num_peers);
	if (d->has_policies)
		fprintf(f, "  policies: %u\n", d->num_policies);
	print_stats(f, &d->stats, "  ");
}

void sk_print_peer(FILE *f, const struct knl_peer *p, const char *ind)
{
	char b[SK_ADDRSTRLEN];
	unsigned int i;

	fprintf(f, "%speer: %u\n", ind, p->id);
	if (p->has_remote)
		fprintf(f, "%s  endpoint: %s\n", ind,
			sk_format_endpoint(&p->remote, b, sizeof(b)));
	else
		fprintf(f, "%s  endpoint: (socket's peer)\n", ind);
	if (p->has_local_addr)
		fprintf(f, "%s  local: %s\n", ind,
			sk_format_endpoint(&p->local, b, sizeof(b)));
	if (p->has_local_port)
		fprintf(f, "%s  local port: %u\n", ind, p->local.port);
	if (p->has_vpn4 || p->has_vpn6) {
		fprintf(f, "%s  vpn addresses:", ind);
		if (p->has_vpn4)
			fprintf(f, " %s", sk_format_addr(&p->vpn4, b, sizeof(b)));
		if (p->has_vpn6)
			fprintf(f, "%s %s", p->has_vpn4 ? "," : "",
				sk_format_addr(&p->vpn6, b, sizeof(b)));
		fputc('\n', f);
	} else {
		fprintf(f, "%s  vpn addresses: (none)\n", ind);
	}
	fprintf(f, "%s  routes:", ind);
	for (i = 0; i < p->nroutes; i++)
		fprintf(f, "%s %s", i ? "," : "",
			sk_format_prefix(&p->routes[i], false, b, sizeof(b)));
	fprintf(f, "%s\n", p->nroutes ? "" : " (none)");
	if (p->has_policy)
		fprintf(f, "%s  policy: %u%s\n", ind, p->policy,
			p->policy ? "" : " (deny everything)");
	if (p->has_idle) {
		if (p->idle)
			fprintf(f, "%s  idle timeout: %u s\n", ind, p->idle);
		else
			fprintf(f, "%s  idle timeout: never\n", ind);
	}
	if (p->has_last_rx)
		fprintf(f, "%s  last rx: %" PRIu64 ".%03u s ago\n", ind,
			p->last_rx_ms / 1000, (unsigned int)(p->last_rx_ms % 1000));
	else
		fprintf(f, "%s  last rx: never\n", ind);
	for (i = 0; i < p->nkeys; i++) {
		const struct knl_keyinfo *k = &p->keys[i];

		fprintf(f, "%s  key %s: epoch %u, %s", ind, knl_slot_name(k->slot),
			k->epoch, sk_cipher_name(k->cipher));
		if (k->has_tx_seq)
			fprintf(f, ", tx seq %" PRIu64, k->tx_seq);
		if (k->has_rx_seq)
			fprintf(f, ", rx seq %" PRIu64, k->rx_seq);
		fputc('\n', f);
	}
	if (!p->nkeys)
		fprintf(f, "%s  keys: (none)\n", ind);
	{
		char sub[16];

		snprintf(sub, sizeof(sub), "%s  ", ind);
		print_stats(f, &p->stats, sub);
	}
}

void sk_print_policy(FILE *f, const struct knl_policy *p, const char *ifname)
{
	char b[128];
	size_t i;

	/* a comment header, so the output is itself a valid rules file */
	fprintf(f, "# policy %u on %s: %zu rule%s", p->id, ifname, p->nrules,
		p->nrules == 1 ? "" : "s");
	if (p->has_refs)
		fprintf(f, ", used by %u peer%s", p->refs, p->refs == 1 ? "" : "s");
	fputc('\n', f);
	for (i = 0; i < p->nrules; i++)
		fprintf(f, "%s\n", sk_format_rule(&p->rules[i], b, sizeof(b)));
}

void sk_json_stats(struct sk_json *j, const struct knl_stats *s)
{
	int i;

	sk_json_obj_begin(j, "stats");
	for (i = 0; i < KNL_NSTATS; i++)
		if (knl_stat_names[i] && s->has[i])
			sk_json_u64(j, knl_stat_names[i], s->v[i]);
	sk_json_obj_end(j);
}

void sk_json_dev(struct sk_json *j, const struct knl_dev *d)
{
	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "ifindex", d->ifindex);
	sk_json_str(j, "ifname", d->ifname);
	if (d->has_peers)
		sk_json_u64(j, "num_peers", d->num_peers);
	if (d->has_policies)
		sk_json_u64(j, "num_policies", d->num_policies);
	sk_json_stats(j, &d->stats);
}

void sk_json_peer(struct sk_json *j, const struct knl_peer *p)
{
	char b[SK_ADDRSTRLEN];
	unsigned int i;

	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "id", p->id);
	if (p->has_remote) {
		sk_json_str(j, "remote", sk_format_endpoint(&p->remote, b, sizeof(b)));
		sk_json_str(j, "remote_addr", sk_format_addr(&p->remote.addr, b, sizeof(b)));
		sk_json_u64(j, "remote_port", p->remote.port);
	}
	if (p->has_local_addr)
		sk_json_str(j, "local_addr", sk_format_addr(&p->local.addr, b, sizeof(b)));
	if (p->has_local_port)
		sk_json_u64(j, "local_port", p->local.port);
	if (p->has_vpn4)
		sk_json_str(j, "vpn_ipv4", sk_format_addr(&p->vpn4, b, sizeof(b)));
	if (p->has_vpn6)
		sk_json_str(j, "vpn_ipv6", sk_format_addr(&p->vpn6, b, sizeof(b)));
	sk_json_arr_begin(j, "routes");
	for (i = 0; i < p->nroutes; i++)
		sk_json_str(j, NULL, sk_format_prefix(&p->routes[i], false, b, sizeof(b)));
	sk_json_arr_end(j);
	if (p->has_policy)
		sk_json_u64(j, "policy", p->policy);
	if (p->has_idle)
		sk_json_u64(j, "idle_timeout", p->idle);
	if (p->has_last_rx)
		sk_json_u64(j, "last_rx_msecs", p->last_rx_ms);
	else
		sk_json_null(j, "last_rx_msecs");
	sk_json_arr_begin(j, "keys");
	for (i = 0; i < p->nkeys; i++) {
		const struct knl_keyinfo *k = &p->keys[i];

		sk_json_obj_begin(j, NULL);
		sk_json_str(j, "slot", knl_slot_name(k->slot));
		sk_json_u64(j, "epoch", k->epoch);
		sk_json_str(j, "cipher", sk_cipher_name(k->cipher));
		if (k->has_tx_seq)
			sk_json_u64(j, "tx_seq", k->tx_seq);
		if (k->has_rx_seq)
			sk_json_u64(j, "rx_seq", k->rx_seq);
		sk_json_obj_end(j);
	}
	sk_json_arr_end(j);
	sk_json_stats(j, &p->stats);
	sk_json_obj_end(j);
}

void sk_json_policy(struct sk_json *j, const struct knl_policy *p)
{
	char b[128];
	size_t i;

	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "id", p->id);
	sk_json_u64(j, "num_rules", p->nrules);
	if (p->has_refs)
		sk_json_u64(j, "refs", p->refs);
	sk_json_arr_begin(j, "rules");
	for (i = 0; i < p->nrules; i++) {
		const struct sk_rule *r = &p->rules[i];
		const char *pn = sk_proto_name(r->proto);

		sk_json_obj_begin(j, NULL);
		sk_json_str(j, "rule", sk_format_rule(r, b, sizeof(b)));
		sk_json_str(j, "action", r->action == SK_ACTION_ALLOW ? "allow" : "deny");
		sk_json_str(j, "family", r->dst.addr.family == AF_INET6 ? "ipv6" : "ipv4");
		if (pn)
			sk_json_str(j, "proto", pn);
		else
			sk_json_u64(j, "proto", r->proto);
		sk_json_str(j, "prefix", sk_format_prefix(&r->dst, false, b, sizeof(b)));
		if (r->has_ports) {
			sk_json_u64(j, "port_min", r->port_min);
			sk_json_u64(j, "port_max", r->port_max);
		}
		sk_json_obj_end(j);
	}
	sk_json_arr_end(j);
	sk_json_obj_end(j);
}

static void print_one(FILE *f, struct sk_json *j, enum sk_obj kind,
		      const void *item, const char *ifname)
{
	switch (kind) {
	case SK_OBJ_DEV:
		if (j) {
			sk_json_dev(j, item);
			sk_json_obj_end(j);
		} else {
			sk_print_dev(f, item);
		}
		break;
	case SK_OBJ_PEER:
		if (j)
			sk_json_peer(j, item);
		else
			sk_print_peer(f, item, "");
		break;
	case SK_OBJ_POLICY:
		if (j)
			sk_json_policy(j, item);
		else
			sk_print_policy(f, item, ifname);
		break;
	}
}

void sk_print_list(FILE *f, enum sk_obj kind, const struct knl_vec *v,
		   bool json, bool one, const char *ifname)
{
	struct sk_json j;
	size_t k;

	sk_json_init(&j, f);
	if (json && !one)
		sk_json_arr_begin(&j, NULL);
	for (k = 0; k < v->n; k++) {
		if (k && !json)
			fputc('\n', f);
		print_one(f, json ? &j : NULL, kind, (const char *)v->items + k * v->size,
			  ifname);
	}
	if (json) {
		if (!one)
			sk_json_arr_end(&j);
		fputc('\n', f);
	}
}
