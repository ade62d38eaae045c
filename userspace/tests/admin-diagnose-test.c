// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekictl diagnose (admin/skdiag.h) for everything that
 * needs no kernel: a /proc and /sys of the test's own (forwarding, routes,
 * listeners, module, device), a bootstrap file naming real certificates
 * made with openssl (a chain in order and one out of order, a key of
 * another certificate, expiry seen from a later clock), the built-in CA's
 * CRL (fresh, then stale), the SMTP relay (Debian's aiosmtpd answers EHLO,
 * a closed port does not), the store, and the DNS server a group pushes
 * against its own allowlist, the posture re-check's rule in a remediation
 * allowlist (posture_recheck_port).  Each line's status and both languages;
 * --json.  The kernel's policies: the e2e scenario sekishod-password.sh.
 * TAP output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "skdiag.h"
#include "tap.h"
#include "store-test.h"
#include "admin-run.h"
#include "smtpsink.h"

static struct tap t;
static char dir[64], froot[128], conf[160], storep[256];

static void put(const char *rel, const char *text)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", froot, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	if (system(cmd) || !(f = fopen(p, "w"))) {
		printf("# cannot write %s\n", p);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* runs diagnose; the output in buf; returns the exit status */
static int diag(char *buf, size_t len, bool json, bool ja, int64_t now, const char *nat)
{
	struct ska_diag_opt o = { .config = conf, .store = storep, .root = froot, .json = json,
				  .ja = ja, .now = now, .nat_rules = nat ? nat : "" };
	char *m = NULL;
	size_t ml = 0;
	int rc;

	o.out = open_memstream(&m, &ml);
	rc = ska_diagnose(&o);
	fclose(o.out);
	snprintf(buf, len, "%s", m ? m : "");
	free(m);
	return rc;
}

/* the line of check (text form) that holds needle, with its status */
static bool line(const char *out, const char *status, const char *check, const char *needle)
{
	char head[64];
	const char *p = out;

	snprintf(head, sizeof(head), "%-8s%-14s ", status, check);
	while ((p = strstr(p, head))) {
		const char *e = strchr(p, '\n');

		if (!e)
			e = p + strlen(p);
		if (!needle || (memmem(p, (size_t)(e - p), needle, strlen(needle))))
			return true;
		p = e;
	}
	printf("# no line '%s%s' in:\n%s", head, needle ? needle : "", out);
	return false;
}

static void write_conf(const char *cert, const char *key, const char *extra)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s", conf);
	if (!(f = fopen(p, "w")))
		return;
	fprintf(f, "# test\nlisten = 0.0.0.0:443\nlisten = [::]:8443\ndtls_port = 443\n"
		"device = sk0\nserver_cert = %s\nserver_key = %s\n%s", cert, key, extra);
	fclose(f);
}

int main(void)
{
	static char out[1 << 16];
	char e[512], cadir[300], extra[1400], cmd[2048];
	struct smtpsink smtp = { 0 };
	int64_t now = time(NULL);

	tap_begin();
	setenv("TZ", "UTC", 1);
	snprintf(dir, sizeof(dir), "/tmp/sk-diag-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(froot, sizeof(froot), "%s/froot", dir);
	snprintf(conf, sizeof(conf), "%s/sekishod.conf", dir);
	if (!test_store(dir, "s.db", storep, sizeof(storep)) ||
	    sk_store_open(storep, &st, e, sizeof(e))) {
		printf("# store: %s\n", e);
		return 1;
	}
	/* a group whose pushed DNS server its allowlist does not let through */
	run("policy add office");
	run("policy rule add office allow tcp 10.10.0.0/16 port 443");
	run("group add staff pool4=10.77.0.0/24 dns=10.10.0.53 policy=office");
	run("ca init --cn Test-CA --days 100");
	sk_store_close(st);
	st = NULL;
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);

	/* certificates: a CA, a server certificate it issued, another key */
	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	 "-keyout ca.key -out ca.pem -days 3650 -subj /CN=diag-ca 2>/dev/null && "
	   "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key "
	   "-out srv.csr -subj /CN=vpn.example.jp 2>/dev/null && "
	   "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 "
	   "-out srv.pem 2>/dev/null && cat srv.pem ca.pem > chain.pem && "
	   "cat ca.pem srv.pem > wrong.pem && "
	   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key "
	   "-out other.pem -days 30 -subj /CN=other 2>/dev/null", dir);
	if (system(cmd))
		printf("# openssl failed\n");
	now = time(NULL);	/* after the certificates were made */
	snprintf(extra, sizeof(extra), "store = %s\nclient_ca = %s/ca.pem\ncrl = %s/crl.pem\n",
		 storep, cadir, cadir);
	{
		char c[300], k[300];

		snprintf(c, sizeof(c), "%s/chain.pem", dir);
		snprintf(k, sizeof(k), "%s/srv.key", dir);
		write_conf(c, k, extra);
	}

	/* a host where nothing is set up */
	put("/proc/sys/net/ipv4/ip_forward", "0\n");
	put("/proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n");
	put("/proc/net/tcp", "  sl  local_address rem_address   st\n");
	put("/proc/net/udp", "  sl  local_address rem_address   st\n");
	tap_ok(&t, diag(out, sizeof(out), false, false, now, NULL) == 1, "nothing set up: exit 1");
	tap_ok(&t, line(out, "ok", "config", "read"),
	       "the bootstrap file is read");
	tap_ok(&t, line(out, "error", "module", "modprobe sekisho"), "module missing: error, what to do");
	tap_ok(&t, line(out, "error", "device", "no device sk0"), "device missing: error");
	tap_ok(&t, line(out, "error", "forwarding", "sysctl -w net.ipv4.ip_forward=1"),
	       "IPv4 forwarding off: error with the sysctl");
	tap_ok(&t, line(out, "error", "route", "10.77.0.0/24 of group staff has no route on sk0"),
	       "the pool without a route: error");
	tap_ok(&t, line(out, "warning", "nat", "nft add rule ip nat postrouting ip saddr 10.77.0.0/24"),
	       "no NAT rule: warning with the rule to add");
	tap_ok(&t, line(out, "error", "listen-tcp", "0.0.0.0:443") &&
	       line(out, "error", "listen-tcp", "[::]:8443"), "no TCP listeners: an error for each");
	tap_ok(&t, line(out, "warning", "listen-udp", "UDP 443"), "no UDP: warning (TLS fallback)");
	tap_ok(&t, line(out, "ok", "store", "writable") && has(out, "schema version"),
	       "the store opens and is writable");
	tap_ok(&t, line(out, "ok", "server-cert", "more days") && has(out, "valid for 36"),
	       "server certificate valid");
	tap_ok(&t, line(out, "ok", "server-chain", "a chain of 2 certificate(s) in order"),
	       "the chain in order");
	tap_ok(&t, line(out, "ok", "server-key", "matches"), "the key matches");
	tap_ok(&t, line(out, "ok", "client-ca", "valid for"), "client CA valid");
	tap_ok(&t, line(out, "ok", "crl", "fresh"), "the CA's CRL is fresh");
	tap_ok(&t, line(out, "warning", "smtp", "no SMTP relay"), "no smtp.url: warning");
	tap_ok(&t, line(out, "warning", "kernel-policy", "not checked"),
	       "without the kernel callback: said so (warning)");
	tap_ok(&t, line(out, "error", "dns-allowlist",
			"sekictl policy rule add office allow udp 10.10.0.53 port 53"),
	       "the pushed DNS server not allowed by the group's policy: error and the rule to add");

	/* the same host set up */
	put("/sys/module/sekisho/refcnt", "1\n");
	put("/sys/class/net/sk0/flags", "0x1091\n");
	put("/proc/sys/net/ipv4/ip_forward", "1\n");
	put("/proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
	    "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n"
	    "sk0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n");
	put("/proc/net/tcp", "  sl  local_address rem_address   st\n"
	    "   0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n");
	put("/proc/net/tcp6", "  sl  local_address rem_address   st\n"
	    "   0: 00000000000000000000000000000000:20FB 00000000000000000000000000000000:0000 0A\n");
	put("/proc/net/udp", "  sl  local_address rem_address   st\n"
	    "   0: 00000000:01BB 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1\n");
	if (!sk_store_open(storep, &st, e, sizeof(e))) {
		run("policy rule add office allow udp 10.10.0.53/32 port 53");
		run("policy rule add office allow tcp 10.10.0.53/32 port 53");
		if (smtpsink_start(&smtp, dir, 7)) {
			char cmd[128];

			snprintf(cmd, sizeof(cmd), "settings set smtp.url %s", smtp.url);
			run(cmd);
		}
		sk_store_close(st);
		st = NULL;
	}
	tap_ok(&t, diag(out, sizeof(out), false, false, now,
			"table ip nat {\n chain postrouting {\n  ip saddr 10.77.0.0/24 masquerade\n }\n}\n") == 0,
	       "everything set up: exit 0");
	tap_ok(&t, line(out, "ok", "module", NULL) && line(out, "ok", "device", "sk0 is up"),
	       "module loaded, device up");
	tap_ok(&t, line(out, "ok", "forwarding", "IPv4 forwarding is on"), "forwarding on");
	tap_ok(&t, line(out, "ok", "route", "10.77.0.0/24 of group staff is routed to sk0"),
	       "the pool's route read from /proc/net/route");
	tap_ok(&t, line(out, "ok", "nat", "10.77.0.0/24"), "the masquerade rule of the pool found");
	tap_ok(&t, line(out, "ok", "listen-tcp", "0.0.0.0:443") &&
	       line(out, "ok", "listen-tcp", "[::]:8443") && line(out, "ok", "listen-udp", "443"),
	       "TCP listeners (tcp and tcp6) and the UDP socket found");
	tap_ok(&t, smtp.url[0] && line(out, "ok", "smtp", "answers EHLO (no mail sent)"),
	       "the SMTP relay answers EHLO (Debian's aiosmtpd)");
	{
		char md[400];
		struct stat sb;

		snprintf(md, sizeof(md), "%s/new", smtp.maildir);
		tap_ok(&t, stat(md, &sb) || sb.st_nlink == 2, "and no mail reached the sink");
	}
	tap_ok(&t, line(out, "ok", "dns-allowlist", "10.10.0.53 is allowed by policy office"),
	       "the DNS server allowed (udp and tcp 53)");
	tap_ok(&t, diag(out, sizeof(out), false, true, now, "") == 0 &&
	       line(out, "ok", "forwarding", "IPv4 の転送は有効です") &&
	       line(out, "warning", "nat", "NAT の規則がありません") && strstr(out, "件: エラー 0"),
	       "Japanese under a Japanese locale");
	tap_ok(&t, diag(out, sizeof(out), true, false, now, "") == 0 && out[0] == '[' &&
	       strstr(out, "{\"check\":\"forwarding\",\"status\":\"ok\",\"message\":\"IPv4 forwarding is on\","
			   "\"en\":\"IPv4 forwarding is on\",\"ja\":\"IPv4 の転送は有効です\"}") &&
	       strstr(out, "]\n"), "--json: an array, both languages");

	/* 400 days later: the server certificate and the CA's CRL have expired */
	tap_ok(&t, diag(out, sizeof(out), false, false, now + 400 * 86400LL, "") == 1 &&
	       line(out, "error", "server-cert", "expired") && line(out, "error", "crl", "stale"),
	       "a later clock: the certificate expired, the CRL stale (errors)");
	tap_ok(&t, line(out, "error", "client-ca", "expired"), "and the client CA expired");
	tap_ok(&t, diag(out, sizeof(out), false, false, now + 340 * 86400LL, "") == 1 &&
	       line(out, "warning", "server-cert", "expires in"), "30 days before: a warning");

	/* a chain out of order, a key of another certificate */
	{
		char c[300], k[300];

		snprintf(c, sizeof(c), "%s/wrong.pem", dir);
		snprintf(k, sizeof(k), "%s/other.key", dir);
		write_conf(c, k, extra);
	}
	tap_ok(&t, diag(out, sizeof(out), false, false, now, "") == 1 &&
	       line(out, "error", "server-chain", "not issued by") &&
	       line(out, "error", "server-key", "is not the key of"),
	       "a chain out of order and a wrong key: errors");
	/* a relay that does not speak SMTP (the port closed) */
	smtpsink_stop(&smtp);
	{
		char c[300], k[300];

		snprintf(c, sizeof(c), "%s/chain.pem", dir);
		snprintf(k, sizeof(k), "%s/srv.key", dir);
		write_conf(c, k, extra);
	}
	tap_ok(&t, diag(out, sizeof(out), false, false, now, "") == 1 &&
	       line(out, "error", "smtp", "does not answer EHLO"), "SMTP relay down: error");

	/* posture_recheck_port (issue 12 (b)): staff quarantines into remed,
	 * which does not let TCP to its gateway 10.77.0.1 port 8444 through;
	 * the check is sekishod -t's (ska_recheck_rules) */
	tap_ok(&t, !strstr(out, "recheck-rule"), "without posture_recheck_port: not checked");
	if (!sk_store_open(storep, &st, e, sizeof(e))) {
		run("policy add remed");
		run("policy rule add remed allow tcp 10.20.0.10/32 port 443");
		run("posture set staff posture=on av.outcome=quarantine quarantine.allowlist=remed");
		sk_store_close(st);
		st = NULL;
	}
	{
		char c[300], k[300], x[1500];

		snprintf(c, sizeof(c), "%s/chain.pem", dir);
		snprintf(k, sizeof(k), "%s/srv.key", dir);
		snprintf(x, sizeof(x), "%sposture_recheck_port = 8444\n", extra);
		write_conf(c, k, x);
	}
	diag(out, sizeof(out), false, false, now, "");
	tap_ok(&t, line(out, "warning", "recheck-rule", "group staff: remediation policy remed does "
			"not let the posture re-check through") &&
	       line(out, "warning", "recheck-rule", "allow tcp 10.77.0.1/32 port 8444"),
	       "posture_recheck_port and a remediation policy without its rule: a warning, the rule to add");
	diag(out, sizeof(out), false, true, now, "");
	tap_ok(&t, line(out, "warning", "recheck-rule", "修復用ポリシー remed は端末の再確認を通しません"),
	       "... in Japanese under a Japanese locale");
	if (!sk_store_open(storep, &st, e, sizeof(e))) {
		run("policy rule add remed allow tcp 10.77.0.1/32 port 8444");
		sk_store_close(st);
		st = NULL;
	}
	diag(out, sizeof(out), false, false, now, "");
	tap_ok(&t, line(out, "ok", "recheck-rule", "remediation policy remed lets the posture re-check "
			"through (tcp 10.77.0.1 port 8444)") && !strstr(out, "warning recheck-rule"),
	       "... with the rule: ok");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
