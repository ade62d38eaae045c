/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekictl diagnose: the checklist an operator runs after an install or a
 * change (issue 14; the J-LIS VPN device checklist is the model).  One
 * line per check, ok / warning / error, each failure with what to do, in
 * Japanese under a Japanese locale and in English otherwise; --json gives
 * every line in both languages.  Documentation/admin/diagnose.md lists
 * the checks.
 *
 * Everything that needs no kernel runs here, from files a test can give
 * (the bootstrap file, /proc and /sys below a root of its own): the
 * bootstrap file, IP forwarding, each pool's route and NAT, the TCP and
 * UDP listeners, the server certificate chain and its expiry, the client
 * CA and the CRL's freshness, the SMTP relay (EHLO, no mail), the clock's
 * synchronisation, the store (opens, writable), the module and the
 * device (sysfs), the DNS servers each group pushes against the
 * group's own allowlist, and (posture_recheck_port) each quarantining
 * group's remediation allowlist against the re-check listener.  What needs netlink (the policies the kernel
 * holds) comes from the caller (sekictl) through the kernel callback.
 */
#ifndef SKDIAG_H
#define SKDIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "skstore.h"

enum ska_diag_level { SKA_DIAG_OK, SKA_DIAG_WARN, SKA_DIAG_ERR };

struct ska_diag;

struct ska_diag_opt {
	const char *config;	/* the bootstrap file (NULL: /etc/sekisho/sekishod.conf) */
	const char *store;	/* NULL: the store = of the bootstrap file, else the default */
	const char *root;	/* prefix of /proc and /sys ("" = the host's) */
	const char *nat_rules;	/* the NAT ruleset text; NULL: nft/iptables-save are asked */
	bool json, ja;
	FILE *out;
	int64_t now;		/* 0 = time(NULL) */
	/* the kernel's side; NULL: reported as not checked */
	void (*kernel)(struct ska_diag *d, const char *device, struct sk_store *st, void *arg);
	void *kernel_arg;
};

/* One line: en and ja take the same arguments, in the same order. */
__attribute__((format(printf, 4, 6), format(printf, 5, 6)))
void ska_diag_say(struct ska_diag *d, enum ska_diag_level level, const char *check,
		  const char *en, const char *ja, ...);

/* Runs every check; the exit status: 0 without errors (warnings allowed), 1 with any. */
int ska_diagnose(const struct ska_diag_opt *o);

/* allowlist.c: the kernel's verdict for proto/port to a under the rules
 * r[0..n) (the first matching rule, else deny) */
bool ska_rules_allow(const struct sk_rule *r, int n, const struct sk_addr *a, uint8_t proto,
		     uint16_t port);
/* posture_recheck_port (allowlist.c): for each group that quarantines
 * (posture on, a check with outcome quarantine, an IPv4 pool), whether
 * its remediation policy lets TCP to the pool's gateway address (its
 * first host) and port through; fn gets the line to show (ok: it does;
 * else what to add), in English and Japanese.  Port 0: nothing.  Used by
 * sekictl diagnose and sekishod -t. */
void ska_recheck_rules(struct sk_store *st, uint16_t port,
		       void (*fn)(void *arg, bool ok, const char *en, const char *ja), void *arg);

/* The value of key in a bootstrap file ("key = value" lines), the last one
 * when it repeats; false when the file or the key is missing. */
bool ska_conf_get(const char *conf, const char *key, char *out, size_t len);

#endif
