// SPDX-License-Identifier: GPL-2.0
/*
 * Rule text for the store, on top of lib/skparse.c (linked, not copied).
 *
 * The store's grammar is  "allow|deny [tcp|udp|icmp|icmpv6|any] PREFIX [port N[-M]]".
 * sekictl's is            "allow|deny PROTO PREFIX [N[-M]]".
 * We accept both (protocol optional, "port" keyword optional) by rewriting
 * the words into sekictl's form and letting sk_parse_rule() do the real
 * work, so the two parsers can never disagree on addresses or ranges.
 * Output is the store's canonical form: the protocol is always written and
 * ports follow the word "port".
 *
 * This file includes skparse.h only: its struct sk_rule differs from the
 * store's, so values cross through struct sk_rule_flat.
 */
#include <stdio.h>
#include <string.h>

#include "skparse.h"
#include "store-rule.h"

static int fail(char *err, size_t errlen, const char *what, const char *text)
{
	snprintf(err, errlen, "rule '%s': %s", text, what);
	return -1;
}

static bool is_proto(const char *w)
{
	static const char *const names[] = { "any", "tcp", "udp", "icmp", "icmpv6" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(w, names[i]))
			return true;
	return false;
}

int sk_rule_text_parse(const char *text, struct sk_rule_flat *out, char *err, size_t errlen)
{
	char buf[256], canon[300];
	char *w[8], *p, *save = NULL;
	int n = 0, i = 0;
	struct sk_rule r;
	const char *proto = "any", *ports = NULL;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(buf))
		return fail(err, errlen, "too long", "");
	strcpy(buf, text);
	for (p = strtok_r(buf, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == (int)(sizeof(w) / sizeof(w[0])))
			return fail(err, errlen, "too many words", text);
		w[n++] = p;
	}
	if (n < 2)
		return fail(err, errlen,
			    "expected allow|deny [tcp|udp|icmp|icmpv6|any] PREFIX [port N[-M]]",
			    text);
	i = 1;
	if (is_proto(w[i]))
		proto = w[i++];
	if (i >= n)
		return fail(err, errlen, "missing PREFIX (an address, A/len, any4 or any6)", text);
	p = w[i++];
	if (i < n && !strcmp(w[i], "port")) {
		i++;
		if (i >= n)
			return fail(err, errlen, "'port' needs N or N-M", text);
	}
	if (i < n)
		ports = w[i++];
	if (i < n)
		return fail(err, errlen, "unexpected words after the ports", text);
	snprintf(canon, sizeof(canon), "%s %s %s%s%s", w[0], proto, p, ports ? " " : "",
		 ports ? ports : "");
	if (sk_parse_rule(canon, &r, err, errlen))
		return -1;
	out->allow = r.action == SK_ACTION_ALLOW;
	out->family = r.dst.addr.family;
	memcpy(out->addr, r.dst.addr.a, 16);
	out->prefixlen = r.dst.len;
	out->proto = r.proto;
	out->port_min = r.has_ports ? r.port_min : 0;
	out->port_max = r.has_ports ? r.port_max : 65535;
	return 0;
}

int sk_rule_text_format(const struct sk_rule_flat *in, char *buf, size_t len)
{
	struct sk_rule r;
	char tmp[128];
	const char *sp;
	int n;

	memset(&r, 0, sizeof(r));
	r.action = in->allow ? SK_ACTION_ALLOW : SK_ACTION_DENY;
	r.proto = (uint8_t)in->proto;
	r.dst.addr.family = in->family;
	memcpy(r.dst.addr.a, in->addr, 16);
	r.dst.len = (uint8_t)in->prefixlen;
	r.has_ports = !(in->port_min == 0 && in->port_max == 65535);
	r.port_min = (uint16_t)in->port_min;
	r.port_max = (uint16_t)in->port_max;
	if (!r.has_ports) {
		sk_format_rule(&r, tmp, sizeof(tmp));
		n = snprintf(buf, len, "%s", tmp);
	} else {
		/* sekictl form "... PREFIX N-M": insert the word "port" */
		sk_format_rule(&r, tmp, sizeof(tmp));
		sp = strrchr(tmp, ' ');
		n = snprintf(buf, len, "%.*s port%s", (int)(sp - tmp), tmp, sp);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
