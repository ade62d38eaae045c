// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the host scan report parser (lib/hostscan.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostscan.h"
#include "tap.h"

/* anyconnect-protocol.md §3.4 as the stock 9.01 csd-post.sh writes it */
static const char stock[] =
	"endpoint.os.version=\"Linux\";\n"
	"endpoint.os.servicepack=\"6.1.0-13-amd64\";\n"
	"endpoint.os.architecture=\"x86_64\";\n"
	"endpoint.policy.location=\"Default\";\n"
	"endpoint.device.protection=\"none\";\n"
	"endpoint.device.protection_version=\"3.1.03103\";\n"
	"endpoint.device.hostname=\"vm\";\n"
	"endpoint.device.port[\"9217\"]=\"true\";\n"
	"endpoint.device.port[\"139\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"9217\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"139\"]=\"true\";\n"
	"endpoint.device.MAC[\"FFFF.FFFF.FFFF\"]=\"true\";\n"
	"endpoint.device.protection_extension=\"3.6.4900.2\";\n"
	"endpoint.fw[\"IPTablesFW\"]={};\n"
	"endpoint.fw[\"IPTablesFW\"].exists=\"true\";\n"
	"endpoint.fw[\"IPTablesFW\"].description=\"IPTables (Linux)\";\n"
	"endpoint.fw[\"IPTablesFW\"].version=\"1.6.1\";\n"
	"endpoint.fw[\"IPTablesFW\"].enabled=\"ok\";\n"
	"endpoint.file[\"LABEL\"]={};\n"
	"endpoint.file[\"LABEL\"].path=\"/p\";\n"
	"endpoint.process[\"LABEL\"]={};\n"
	"endpoint.process[\"LABEL\"].exists=\"false\";\n";

static int parse(const char *s, struct sk_hostscan *r, char *err, size_t errlen)
{
	return sk_hostscan_parse(s, strlen(s), r, err, errlen);
}

int main(void)
{
	struct tap t = { 0 };
	struct sk_hostscan r;
	char err[256], mac[18], *big;
	size_t cap;
	int rc;

	tap_begin();

	rc = parse(stock, &r, err, sizeof(err));
	tap_ok(&t, rc == 0, "stock csd-post.sh report parses (%s)", err);
	tap_ok(&t, !strcmp(r.os_version, "Linux") && !strcmp(r.os_arch, "x86_64") &&
		   !strcmp(r.hostname, "vm"), "os version, architecture, hostname kept");
	tap_ok(&t, r.n_macs == 0, "the placeholder MAC FFFF.FFFF.FFFF is dropped (n_macs=%d)", r.n_macs);
	tap_ok(&t, r.device_id[0] == 0, "no device id in the stock report");

	rc = parse("endpoint.device.id=\"  SN-1 \";\r\n"
		   "endpoint.device.MAC[\"0011.22AA.BbCc\"]=\"true\";\n"
		   "endpoint.device.MAC[\"52:54:00:AB:cd:EF\"]=\"true\";\n"
		   "endpoint.device.MAC[\"52-54-00-00-00-02\"]=\"true\";\n"
		   "endpoint.device.MAC[\"52:54:00:ab:cd:ef\"]=\"true\";\n"
		   "endpoint.device.MAC[\"52:54:00:00:00:09\"]=\"false\";\n"
		   "  endpoint.device.hostname=\"a \"quoted\" name\";  \n"
		   "\n", &r, err, sizeof(err));
	tap_ok(&t, rc == 0, "report with id and MACs parses (%s)", err);
	tap_ok(&t, !strcmp(r.device_id, "SN-1"), "device id trimmed: '%s'", r.device_id);
	tap_ok(&t, r.n_macs == 3, "three distinct present MACs (n_macs=%d)", r.n_macs);
	tap_ok(&t, r.n_macs == 3 && !strcmp(r.macs[0], "00:11:22:aa:bb:cc") &&
		   !strcmp(r.macs[1], "52:54:00:ab:cd:ef") && !strcmp(r.macs[2], "52:54:00:00:00:02"),
	       "MACs normalised to lower-case colon form (%s %s %s)", r.macs[0], r.macs[1], r.macs[2]);
	tap_ok(&t, !strcmp(r.hostname, "a \"quoted\" name"), "value runs to the last quote: '%s'", r.hostname);

	tap_ok(&t, sk_hostscan_mac_norm("0011.2233.4455", mac) == 0 && !strcmp(mac, "00:11:22:33:44:55"),
	       "mac_norm Cisco form");
	tap_ok(&t, sk_hostscan_mac_norm("00:11-22:33:44:55", mac) == -EINVAL, "mac_norm mixed separators refused");
	tap_ok(&t, sk_hostscan_mac_norm("0011.2233.44g5", mac) == -EINVAL, "mac_norm non-hex refused");
	tap_ok(&t, sk_hostscan_mac_norm("", mac) == -EINVAL, "mac_norm empty refused");

	/* more than SK_HS_MACS: the first ones are kept, no error */
	cap = 64 * 64;
	big = calloc(1, cap);
	for (int i = 0; i < 20; i++)
		snprintf(big + strlen(big), cap - strlen(big),
			 "endpoint.device.MAC[\"02:00:00:00:00:%02x\"]=\"true\";\n", i + 1);
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.n_macs == SK_HS_MACS, "20 MACs: %d kept", r.n_macs);
	free(big);

	/* errors */
	rc = parse("endpoint.device.id=\"SN-1;\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "line 1") && strstr(err, "quote"),
	       "missing closing quote refused: %s", err);
	rc = parse("endpoint.os.version=\"Linux\";\nendpoint.device.id=SN-1;\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "line 2"), "missing quotes refused: %s", err);
	tap_ok(&t, r.os_version[0] == 0, "a refused report leaves nothing behind");
	rc = parse("endpoint.os.version=\"Linux\"\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "';'"), "missing ';' refused: %s", err);
	rc = parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "endpoint."), "garbage refused: %s", err);
	rc = parse("endpoint.device.MAC[\"zz\"]=\"true\";\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "MAC"), "malformed MAC key refused: %s", err);
	rc = parse("endpoint.fw[\"x=\"true\";\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "unterminated key refused: %s", err);
	rc = parse("endpoint..x=\"1\";\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "empty name refused: %s", err);
	rc = sk_hostscan_parse("endpoint.a=\"\0\";\n", 15, &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "NUL"), "NUL byte refused: %s", err);
	rc = parse("endpoint.a=\"x\x01y\";\n", &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "control"), "control character refused: %s", err);

	cap = SK_HS_LINE_MAX + 64;
	big = malloc(cap);
	memset(big, 'a', cap);
	memcpy(big, "endpoint.device.hostname=\"", 26);
	memcpy(big + SK_HS_LINE_MAX - 2, "\";\n", 4);
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "longer than 127"),
	       "a %d-byte line is allowed, a kept value that long is not: %s", SK_HS_LINE_MAX, err);
	memcpy(big + SK_HS_LINE_MAX - 2, "x\";\n", 5);
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "longer than 4096"), "oversized line refused: %s", err);
	memcpy(big, "endpoint.fw.x=\"", 15);
	memcpy(big + SK_HS_LINE_MAX - 2, "\";\n", 4);
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == 0, "a %d-byte line of an ignored path is fine (%s)", SK_HS_LINE_MAX, err);
	free(big);

	cap = (SK_HS_LINES_MAX + 1) * 24 + 1;
	big = calloc(1, cap);
	for (int i = 0; i < SK_HS_LINES_MAX; i++)
		strcat(big, "endpoint.a.b=\"1\";\n");
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == 0, "%d lines accepted (%s)", SK_HS_LINES_MAX, err);
	strcat(big, "endpoint.a.b=\"1\";\n");
	rc = parse(big, &r, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && strstr(err, "more than 1024 lines"), "too many lines refused: %s", err);
	free(big);

	rc = parse("", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.n_macs == 0 && !r.device_id[0], "empty report: nothing known");

	/* a report from another process, every byte set: terminated in place */
	memset(&r, 'A', sizeof(r));
	r.n_macs = 99;
	sk_hostscan_terminate(&r);
	tap_ok(&t, strlen(r.device_id) == SK_HS_STR - 1 && strlen(r.hostname) == SK_HS_STR - 1 &&
	       strlen(r.os_version) == SK_HS_STR - 1 && strlen(r.os_arch) == SK_HS_STR - 1 &&
	       strlen(r.macs[SK_HS_MACS - 1]) == 17 && r.n_macs == 0,
	       "terminate: strings end inside their fields, a bad MAC count is 0");
	r.n_macs = 2;
	sk_hostscan_terminate(&r);
	tap_ok(&t, r.n_macs == 2, "terminate: a valid MAC count stays");

	return tap_end(&t);
}
