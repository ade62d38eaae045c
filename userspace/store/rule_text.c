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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "skstore.h"

static int fail(char *err, size_t errlen, const char *what, const char *text)
{
	snprintf(err, errlen, "rule '%s': %s", text, what);
	return -EINVAL;
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

int sk_rule_parse(const char *text, struct sk_rule *out, char *err, size_t errlen)
{
	char buf[256], canon[300];
	char *w[8], *p, *save = NULL;
	int n = 0, i = 0;
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
	return sk_parse_rule(canon, out, err, errlen) ? -EINVAL : 0;
}

int sk_rule_format(const struct sk_rule *in, char *buf, size_t len)
{
	if (!sk_rule_ok(in))
		return -EINVAL;
	char tmp[128];
	const char *sp;
	int n;

	if (!in->has_ports) {
		sk_format_rule(in, tmp, sizeof(tmp));
		n = snprintf(buf, len, "%s", tmp);
	} else {
		/* sekictl form "... PREFIX N-M": insert the word "port" */
		sk_format_rule(in, tmp, sizeof(tmp));
		sp = strrchr(tmp, ' ');
		n = snprintf(buf, len, "%.*s port%s", (int)(sp - tmp), tmp, sp);
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
