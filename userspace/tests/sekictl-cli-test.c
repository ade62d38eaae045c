// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekictl's argument parsers (peer, key, policy, monitor):
 * accepted syntax, and the precise message for each kind of bad input.
 * TAP output.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sekictl.h"
#include "tap.h"

static struct tap t;
static char err[SK_ERRLEN];

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PEER(set, a, ...) sk_peer_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), set, a, err, sizeof(err))
#define KEY(a, ...) sk_key_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))
#define POLICY(a, ...) sk_policy_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))
#define MONITOR(a, ...) sk_monitor_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))

static bool has(const char *needle)
{
	if (!strstr(err, needle)) {
		printf("# message was: %s\n", err);
		return false;
	}
	return true;
}

static void peer(void)
{
	struct sk_peer_args a;

	tap_ok(&t, !PEER(false, &a, "sk0", "7", "--socket", "1234:5",
			 "--remote", "192.0.2.1:443", "--vpn-ip", "10.99.0.2",
			 "--vpn-ip", "fd00:99::2", "--route", "10.1.0.0/16",
			 "--route=10.2.0.0/16", "--policy", "3", "--idle", "300") &&
	       !strcmp(a.dev, "sk0") && a.id == 7 && a.sock_pid == 1234 &&
	       a.sock_fd == 5 && a.has_remote && a.remote.port == 443 &&
	       a.has_vpn4 && a.has_vpn6 && a.nroutes == 2 &&
	       a.routes[1].len == 16 && a.has_policy && a.policy == 3 &&
	       a.has_idle && a.idle == 300, "peer add: every option");
	tap_ok(&t, !PEER(false, &a, "sk0", "7", "--socket", "3") &&
	       a.sock_pid == 0 && a.sock_fd == 3 && !a.has_remote,
	       "peer add: inherited FD, remote optional");
	tap_ok(&t, PEER(false, &a, "sk0", "7") && has("--socket PID:FD|FD is required"),
	       "peer add: --socket required");
	tap_ok(&t, PEER(false, &a, "sk0", "0", "--socket", "3") && has("peer ID"),
	       "peer add: ID 0 refused");
	tap_ok(&t, sk_peer_args_parse(1, ARGV("sk0"), false, &a, err, sizeof(err)) &&
	       has("expected DEV ID"), "peer add: missing ID");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "x:3") &&
	       has("expected PID:FD or FD"), "peer add: bad --socket");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket") &&
	       has("--socket needs a value"), "peer add: option without value");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "--vpn-ip",
			"10.0.0.1", "--vpn-ip", "10.0.0.2") && has("two IPv4"),
	       "peer add: two IPv4 --vpn-ip refused");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "--remote",
			"fd00::1:443") && has("--remote") && has("[ADDR]:PORT"),
	       "peer add: unbracketed IPv6 remote");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "--route",
			"10.1.0.1/16") && has("--route") && has("host bits"),
	       "peer add: route with host bits");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "--bogus") &&
	       has("unknown option '--bogus'"), "peer add: unknown option");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "extra") &&
	       has("unexpected argument 'extra'"), "peer add: stray argument");
	tap_ok(&t, PEER(false, &a, "sk0", "7", "--socket", "3", "--no-routes") &&
	       has("unknown option '--no-routes'"), "peer add: --no-routes is for set");
	{
		char *argv[4 + 2 * (SEKISHO_MAX_ROUTES + 1)];
		char bufs[SEKISHO_MAX_ROUTES + 1][24];
		int n = 0, i;

		argv[n++] = "sk0";
		argv[n++] = "7";
		argv[n++] = "--socket";
		argv[n++] = "3";
		for (i = 0; i <= SEKISHO_MAX_ROUTES; i++) {
			snprintf(bufs[i], sizeof(bufs[i]), "10.%d.0.0/16", i);
			argv[n++] = "--route";
			argv[n++] = bufs[i];
		}
		tap_ok(&t, sk_peer_args_parse(n, argv, false, &a, err, sizeof(err)) &&
		       has("more than 64 routes"), "peer add: route limit");
		tap_ok(&t, !sk_peer_args_parse(n - 2, argv, false, &a, err, sizeof(err)) &&
		       a.nroutes == SEKISHO_MAX_ROUTES, "peer add: 64 routes accepted");
	}

	tap_ok(&t, !PEER(true, &a, "sk0", "7", "--no-routes", "--policy", "0") &&
	       a.no_routes && a.has_policy && a.policy == 0,
	       "peer set: --no-routes, policy 0");
	tap_ok(&t, PEER(true, &a, "sk0", "7", "--remote", "[fd00::1]:443") == 0 &&
	       a.has_remote && a.remote.addr.family == AF_INET6,
	       "peer set: IPv6 remote");
	tap_ok(&t, sk_peer_args_parse(2, ARGV("sk0", "7"), true, &a, err, sizeof(err)) &&
	       has("nothing to change"), "peer set: nothing to change");
	tap_ok(&t, PEER(true, &a, "sk0", "7", "--no-routes", "--route", "10.0.0.0/8") &&
	       has("exclude each other"), "peer set: --no-routes with --route");
	tap_ok(&t, PEER(true, &a, "sk0", "7", "--socket", "3") &&
	       has("unknown option '--socket'"), "peer set: no --socket");
	tap_ok(&t, PEER(true, &a, "sk0", "7", "--idle", "-1") && has("--idle"),
	       "peer set: negative idle refused");
}

static void key(void)
{
	struct sk_key_args a;

	tap_ok(&t, !KEY(&a, "sk0", "7", "--epoch", "2", "--cipher",
			"chacha20-poly1305", "--keys", "-") && a.peer == 7 &&
	       a.epoch == 2 && a.cipher == SK_CIPHER_CHACHA20_POLY1305 &&
	       !strcmp(a.keys, "-"), "key add: all options");
	tap_ok(&t, KEY(&a, "sk0", "7", "--epoch", "2", "--cipher", "aes128-gcm") &&
	       has("--epoch, --cipher and --keys are required"), "key add: --keys required");
	tap_ok(&t, KEY(&a, "sk0", "7", "--epoch", "65536", "--cipher", "aes128-gcm",
		       "--keys", "f") && has("--epoch"), "key add: epoch above 65535");
	tap_ok(&t, KEY(&a, "sk0", "7", "--epoch", "1", "--cipher", "aes-gcm",
		       "--keys", "f") && has("--cipher") && has("aes128-gcm"),
	       "key add: unknown cipher lists the choices");
	tap_ok(&t, KEY(&a, "sk0", "7", "--epoch", "1", "--cipher", "aes128-gcm",
		       "--keys", "f", "--tx-key", "00") && has("never from the command line"),
	       "key add: keys on argv refused with the reason");
	tap_ok(&t, KEY(&a, "sk0", "x", "--epoch", "1") && has("PEER_ID"),
	       "key add: bad peer id");
}

static void policy(void)
{
	struct sk_policy_args a;
	char path[] = "/tmp/sk-cli-test-XXXXXX";
	const char *text = "# test\nallow tcp 10.0.0.5 22\ndeny any any6\n";
	int fd;

	tap_ok(&t, !POLICY(&a, "sk0", "3", "allow tcp 10.0.0.5 22",
			   "deny tcp 10.0.0.5 3389", "allow udp 10.1.0.0/16 1000-2000",
			   "allow any any4") && a.id == 3 && a.nrules == 4 &&
	       a.rules[2].port_max == 2000, "policy add: rules as arguments");
	sk_policy_args_free(&a);
	tap_ok(&t, !sk_policy_args_parse(2, ARGV("sk0", "3"), &a, err, sizeof(err)) &&
	       a.nrules == 0, "policy add: no rules (deny everything)");
	sk_policy_args_free(&a);
	tap_ok(&t, POLICY(&a, "sk0", "3", "allow tcp 10.0.0.5") == 0 &&
	       a.nrules == 1, "policy add: rule without ports");
	sk_policy_args_free(&a);
	tap_ok(&t, POLICY(&a, "sk0", "3", "allow", "tcp", "10.0.0.5") &&
	       has("'allow': expected ACTION PROTO PREFIX"),
	       "policy add: unquoted rule explained");
	tap_ok(&t, POLICY(&a, "sk0", "3", "--frobnicate") && has("unknown option"),
	       "policy add: unknown option");
	fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			printf("# short write\n");
		close(fd);
		tap_ok(&t, !POLICY(&a, "sk0", "3", "allow icmp any4", "--file", path) &&
		       a.nrules == 3 && a.rules[0].proto == 6 && a.rules[2].proto == 1,
		       "policy add: --file rules first, then argument rules");
		sk_policy_args_free(&a);
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd >= 0) {
			if (write(fd, "allow tcp 10.0.0.0/8 99999\n", 27) != 27)
				printf("# short write\n");
			close(fd);
		}
		tap_ok(&t, POLICY(&a, "sk0", "3", "--file", path) && has("line 4:") &&
		       has(path), "policy add: file error names file and line");
		unlink(path);
	}
	tap_ok(&t, POLICY(&a, "sk0", "3", "--file", "/nonexistent") &&
	       has("No such file"), "policy add: missing file");
}

static void monitor(void)
{
	struct sk_monitor_args a;

	tap_ok(&t, !MONITOR(&a, "--json", "--count", "3", "--timeout", "2.5") &&
	       a.json && a.count == 3 && a.timeout_ms == 2500,
	       "monitor: --json --count --timeout");
	tap_ok(&t, !sk_monitor_args_parse(0, ARGV(NULL), &a, err, sizeof(err)) &&
	       !a.json && a.count == 0 && a.timeout_ms == -1, "monitor: defaults");
	tap_ok(&t, !MONITOR(&a, "--timeout", "0") && a.timeout_ms == 0,
	       "monitor: --timeout 0");
	tap_ok(&t, MONITOR(&a, "--timeout", "1.2345") && has("--timeout"),
	       "monitor: more than 3 decimals refused");
	tap_ok(&t, MONITOR(&a, "--timeout", "-1") && has("seconds"),
	       "monitor: negative timeout refused");
	tap_ok(&t, MONITOR(&a, "--count", "0") && has("--count"),
	       "monitor: count 0 refused");
}

int main(void)
{
	tap_begin();
	peer();
	key();
	policy();
	monitor();
	return tap_end(&t);
}
