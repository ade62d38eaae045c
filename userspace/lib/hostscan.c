// SPDX-License-Identifier: GPL-2.0
/*
 * Parser of the host scan report (hostscan.h; grammar from
 * anyconnect-protocol.md §3.4).  The input comes from the network through
 * an unprivileged worker, so everything is bounded: line length, line
 * count, kept string sizes, MAC count.  Nothing is allocated.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hostscan.h"

static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err && errlen) {
		if (line > 0)
			n = snprintf(err, errlen, "host scan report line %d: ", line);
		else
			n = snprintf(err, errlen, "host scan report: ");
		if (n < 0 || (size_t)n >= errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void sk_hostscan_terminate(struct sk_hostscan *r)
{
	r->os_version[SK_HS_STR - 1] = r->os_arch[SK_HS_STR - 1] = 0;
	r->hostname[SK_HS_STR - 1] = r->device_id[SK_HS_STR - 1] = 0;
	if (r->n_macs < 0 || r->n_macs > SK_HS_MACS)
		r->n_macs = 0;
	for (int i = 0; i < SK_HS_MACS; i++)
		r->macs[i][17] = 0;
	sk_posture_sanitize(&r->posture);
}

int sk_hostscan_mac_norm(const char *s, char out[18])
{
	uint8_t b[6];
	size_t len = strlen(s);
	int k = 0;

	if (len == 14 && s[4] == '.' && s[9] == '.') {
		/* Cisco: three groups of four hex digits */
		for (size_t i = 0; i < 14; i += 5)
			for (size_t j = 0; j < 4; j += 2) {
				int hi = hexval(s[i + j]), lo = hexval(s[i + j + 1]);

				if (hi < 0 || lo < 0)
					return -EINVAL;
				b[k++] = (uint8_t)(hi << 4 | lo);
			}
	} else if (len == 17 && (s[2] == ':' || s[2] == '-')) {
		for (size_t i = 0; i < 17; i += 3) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);

			if (hi < 0 || lo < 0 || (i + 2 < 17 && s[i + 2] != s[2]))
				return -EINVAL;
			b[k++] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		return -EINVAL;
	}
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
}

#define HS_SHAPE 64	/* longest path shape kept, NUL included */

/* What a parsed path means to us. */
enum hs_field { HS_OTHER = 0, HS_OS_VERSION, HS_OS_ARCH, HS_HOSTNAME, HS_DEVICE_ID, HS_MAC,
		HS_POSTURE };

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * Parses "PATH=" at p (after "endpoint."), up to end.  Sets *field, the
 * first ["key"] in key/keylen (for MAC), and returns the position after
 * '=', or NULL with *why set.
 */
static const char *parse_path(const char *p, const char *end, enum hs_field *field,
			      const char **key, size_t *keylen, const char **why, char shape[HS_SHAPE])
{
	/* the shape of the path: idents joined by '.', a key shown as "[]" */
	size_t sl = 0;
	bool overflow = false;

	*key = NULL;
	*keylen = 0;
	for (bool first = true;; first = false) {
		if (first || (p < end && *p == '.')) {
			const char *s;

			if (!first)
				p++;
			s = p;
			while (p < end && ident_char(*p))
				p++;
			if (p == s) {
				*why = "expected a name after \"endpoint.\" or \".\"";
				return NULL;
			}
			if (!first) {
				if (sl + 1 < HS_SHAPE)
					shape[sl++] = '.';
				else
					overflow = true;
			}
			if (sl + (size_t)(p - s) < HS_SHAPE) {
				memcpy(shape + sl, s, (size_t)(p - s));
				sl += (size_t)(p - s);
			} else {
				overflow = true;
			}
		} else if (p + 1 < end && p[0] == '[' && p[1] == '"') {
			const char *s = p + 2, *q = s;

			/* no escaping is defined: the key ends at the first "] */
			while (q + 1 < end && !(q[0] == '"' && q[1] == ']'))
				q++;
			if (q + 1 >= end) {
				*why = "missing '\"]' after a [\"key\"";
				return NULL;
			}
			if (!*key) {
				*key = s;
				*keylen = (size_t)(q - s);
			}
			if (sl + 2 < HS_SHAPE) {
				shape[sl++] = '[';
				shape[sl++] = ']';
			} else {
				overflow = true;
			}
			p = q + 2;
		} else if (p < end && *p == '=') {
			break;
		} else {
			*why = "expected '.', '[\"' or '=' in the path";
			return NULL;
		}
	}
	shape[sl] = 0;
	*field = HS_OTHER;
	if (overflow)
		;	/* longer than anything we keep: ignored */
	else if (!strcmp(shape, "os.version"))
		*field = HS_OS_VERSION;
	else if (!strcmp(shape, "os.architecture"))
		*field = HS_OS_ARCH;
	else if (!strcmp(shape, "device.hostname"))
		*field = HS_HOSTNAME;
	else if (!strcmp(shape, "device.id"))
		*field = HS_DEVICE_ID;
	else if (!strcmp(shape, "device.MAC[]"))
		*field = HS_MAC;
	else if (!strncmp(shape, "posture.", 8))
		*field = HS_POSTURE;
	return p + 1;
}

static int keep(char dst[SK_HS_STR], const char *v, size_t vl, bool trim, int line,
		char *err, size_t errlen)
{
	if (trim) {
		while (vl && isspace((unsigned char)*v)) {
			v++;
			vl--;
		}
		while (vl && isspace((unsigned char)v[vl - 1]))
			vl--;
	}
	if (vl >= SK_HS_STR)
		return fail(err, errlen, line, "value longer than %d bytes", SK_HS_STR - 1);
	memcpy(dst, v, vl);
	dst[vl] = 0;
	return 0;
}

static int add_mac(struct sk_hostscan *out, const char *key, size_t keylen, int line,
		   char *err, size_t errlen)
{
	char text[24], mac[18];

	if (keylen >= sizeof(text))
		return fail(err, errlen, line, "MAC address key is not a MAC address");
	memcpy(text, key, keylen);
	text[keylen] = 0;
	if (sk_hostscan_mac_norm(text, mac))
		return fail(err, errlen, line, "MAC address key is not a MAC address");
	/* placeholders (stock csd-post.sh) and the null address identify nothing */
	if (!strcmp(mac, "ff:ff:ff:ff:ff:ff") || !strcmp(mac, "00:00:00:00:00:00"))
		return 0;
	for (int i = 0; i < out->n_macs; i++)
		if (!strcmp(out->macs[i], mac))
			return 0;
	if (out->n_macs < SK_HS_MACS)
		memcpy(out->macs[out->n_macs++], mac, sizeof(mac));
	return 0;
}

static int parse_line(const char *p, const char *end, int line, struct sk_hostscan *out,
		      char *err, size_t errlen)
{
	static const char prefix[] = "endpoint.";
	const char *why = NULL, *key, *v;
	size_t keylen;
	enum hs_field field;
	char shape[HS_SHAPE];

	for (const char *q = p; q < end; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return fail(err, errlen, line, "control character in the line");
	if ((size_t)(end - p) < sizeof(prefix) - 1 || memcmp(p, prefix, sizeof(prefix) - 1))
		return fail(err, errlen, line, "does not start with \"endpoint.\"");
	p = parse_path(p + sizeof(prefix) - 1, end, &field, &key, &keylen, &why, shape);
	if (!p)
		return fail(err, errlen, line, "%s", why);
	if (end - p == 3 && !memcmp(p, "{};", 3))
		return 0;	/* an object declaration: nothing to keep */
	if (p >= end || *p != '"')
		return fail(err, errlen, line, "value must be \"text\" or {}");
	if (end[-1] != ';')
		return fail(err, errlen, line, "missing ';' at the end");
	/* no escaping is defined: the value runs to the last quote before ';' */
	if (end - p < 3 || end[-2] != '"')
		return fail(err, errlen, line, "missing closing quote");
	v = p + 1;
	switch (field) {
	case HS_OS_VERSION:
		return keep(out->os_version, v, (size_t)(end - 2 - v), false, line, err, errlen);
	case HS_OS_ARCH:
		return keep(out->os_arch, v, (size_t)(end - 2 - v), false, line, err, errlen);
	case HS_HOSTNAME:
		return keep(out->hostname, v, (size_t)(end - 2 - v), false, line, err, errlen);
	case HS_DEVICE_ID:
		return keep(out->device_id, v, (size_t)(end - 2 - v), true, line, err, errlen);
	case HS_MAC:
		if (end - 2 - v != 4 || memcmp(v, "true", 4))
			return 0;	/* only present interfaces count */
		return add_mac(out, key, keylen, line, err, errlen);
	case HS_POSTURE:
		if (sk_posture_field(&out->posture, shape + 8, key, keylen, v, (size_t)(end - 2 - v),
				     &why))
			return fail(err, errlen, line, "%s", why);
		return 0;
	default:
		return 0;
	}
}

int sk_hostscan_parse(const char *buf, size_t len, struct sk_hostscan *out,
		      char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	int line = 0, rc;

	if (err && errlen)
		err[0] = 0;
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return fail(err, errlen, 0, "no data");
	if (len && memchr(buf, 0, len))
		return fail(err, errlen, 0, "NUL byte in the report");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *next = nl ? nl + 1 : end;

		if (++line > SK_HS_LINES_MAX) {
			rc = fail(err, errlen, 0, "more than %d lines", SK_HS_LINES_MAX);
			goto bad;
		}
		if (e - p > SK_HS_LINE_MAX) {
			rc = fail(err, errlen, line, "longer than %d bytes", SK_HS_LINE_MAX);
			goto bad;
		}
		/* tolerate CRLF and indentation, as scripts and editors produce them */
		while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e) {
			rc = parse_line(p, e, line, out, err, errlen);
			if (rc)
				goto bad;
		}
		p = next;
	}
	sk_posture_finish(&out->posture);
	return 0;
bad:
	/* all or nothing: a half-read report must not identify a device */
	memset(out, 0, sizeof(*out));
	return rc;
}
