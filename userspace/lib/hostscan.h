/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host scan (CSD) report of an AnyConnect client, as far as sekisho
 * uses it (Documentation/admin/login-flow.md, device step; protocol
 * reference anyconnect-protocol.md §3.4).  The report is written by a
 * script on the client, so it is an assertion, not proof: it identifies a
 * registered device, it does not authenticate one.
 *
 * The struct is fixed-size on purpose: it travels whole from the worker to
 * the main process (ipc.h, SK_IPC_HOSTSCAN) and is copied into a login.
 */
#ifndef SK_HOSTSCAN_H
#define SK_HOSTSCAN_H

#include <stddef.h>

#include "posture.h"

#define SK_HS_LINE_MAX	4096	/* bytes per report line, newline excluded */
#define SK_HS_LINES_MAX	1024	/* lines per report */
#define SK_HS_STR	128	/* kept strings, NUL included */
#define SK_HS_MACS	16	/* MAC addresses kept (more are ignored) */

struct sk_hostscan {
	char os_version[SK_HS_STR];	/* endpoint.os.version ("Linux") */
	char os_arch[SK_HS_STR];	/* endpoint.os.architecture */
	char hostname[SK_HS_STR];	/* endpoint.device.hostname */
	char device_id[SK_HS_STR];	/* endpoint.device.id (serial), trimmed */
	int n_macs;
	char macs[SK_HS_MACS][18];	/* "aa:bb:cc:dd:ee:ff", lower case */
	struct sk_posture posture;	/* endpoint.posture.* (posture.h), format 0 = none */
};

/*
 * Parses a report (len bytes, not NUL-terminated).  One assignment per
 * line:  endpoint.PATH="VALUE";  or  endpoint.PATH={};
 * with PATH := ident ( "." ident | '["' key '"]' )*.  Keeps the fields
 * above, ignores every other path.  MAC keys may be Cisco style
 * ("0011.2233.4455"), colon or dash separated; a MAC assignment counts only
 * with the value "true"; the all-ones placeholder of the stock csd-post.sh
 * (FFFF.FFFF.FFFF) and all-zero addresses are dropped (no real interface
 * has them).  Values over SK_HS_STR - 1 bytes are an error for the kept
 * fields.  The endpoint.posture.* lines (report format v1, posture.h and
 * Documentation/admin/posture.md) are checked value by value; a value
 * that does not fit its field is an error of the whole report.  Returns 0, or -EINVAL with a one-line reason in err naming the
 * line number ("line 3: missing closing quote").
 */
int sk_hostscan_parse(const char *buf, size_t len, struct sk_hostscan *out,
		      char *err, size_t errlen);

/* "0011.2233.4455", "00:11:22:33:44:55", "00-11-..." -> "00:11:22:33:44:55".
 * 0 ok, -EINVAL if s is none of those. */
int sk_hostscan_mac_norm(const char *s, char out[18]);

/* A report that crossed a process boundary (from a worker): make every
 * string end inside its field and the MAC count fit the array. */
void sk_hostscan_terminate(struct sk_hostscan *r);

#endif
