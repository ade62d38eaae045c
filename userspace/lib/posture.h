/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device posture (issue 12): what the agent on the client reports about
 * the machine (report format v1, the endpoint.posture.* lines of the host
 * scan report, parsed by lib/hostscan.c) and the policy it is checked
 * against (the keys an administrator sets per group and per device).
 * Documentation/admin/posture.md describes both; keep them together.
 *
 * Everything here is fixed-size: the report travels inside struct
 * sk_hostscan from the worker to main (ipc.h) and into a login.  The
 * report is the client's claim, validated field by field, never proof.
 *
 * The evaluator that applies a policy to a report is in auth/posture.h.
 */
#ifndef SK_POSTURE_H
#define SK_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SK_PO_FORMAT	1	/* the report format this parser reads */
#define SK_PO_TOKEN	33	/* identity tokens [a-z0-9._-]{1,32}, NUL included */
#define SK_PO_TEXT	97	/* display text (UTF-8, no control characters) */
#define SK_PO_AV_MAX	8	/* antivirus products per report */
#define SK_PO_DISK_MAX	8	/* volumes per report */
#define SK_PO_VER_PARTS	4	/* "14.5.1" -> {14, 5, 1, 0} */

enum sk_po_family {
	SK_PO_FAM_NONE = 0, SK_PO_FAM_WINDOWS, SK_PO_FAM_MACOS, SK_PO_FAM_LINUX,
	SK_PO_FAM_IOS, SK_PO_FAM_ANDROID, SK_PO_FAM_N
};

/* a reported yes/no: absent is "unknown", which never passes a check */
enum sk_tri { SK_TRI_UNKNOWN = 0, SK_TRI_NO, SK_TRI_YES };

struct sk_po_ver {
	uint32_t v[SK_PO_VER_PARTS];
	uint8_t n;			/* parts given; 0 = none */
};

struct sk_posture_av {
	char key[SK_PO_TOKEN];		/* the report's av["KEY"] */
	char vendor[SK_PO_TOKEN];	/* identity: "trendmicro" (posture.md) */
	char product[SK_PO_TOKEN];	/* identity: "virusbuster" */
	char name[SK_PO_TEXT];		/* display name, any language */
	uint8_t installed, running, realtime;	/* enum sk_tri */
	int32_t defs_day;		/* definitions date: days since 1970-01-01, 0 = unknown */
};

struct sk_posture_disk {
	char key[SK_PO_TOKEN];		/* the report's disk["KEY"]: "C:", "root" */
	uint8_t system, encrypted;	/* enum sk_tri */
};

struct sk_posture {
	int32_t format;			/* endpoint.posture.format; 0 = no posture block */
	char agent[SK_PO_TOKEN];	/* "linux-1.0" */
	uint8_t family;			/* enum sk_po_family */
	char os_id[SK_PO_TOKEN];	/* Linux: os-release ID ("debian"); else "" */
	struct sk_po_ver os_version;	/* "12", "14.5", "10.0" */
	uint32_t os_build;		/* Windows build (22631); 0 = unknown */
	char os_name[SK_PO_TEXT];	/* display text ("Windows 11 Pro") */
	uint8_t firewall;		/* enum sk_tri */
	int32_t update_day;		/* last OS security update, days since epoch; 0 unknown */
	uint8_t n_av, n_disk;
	struct sk_posture_av av[SK_PO_AV_MAX];
	struct sk_posture_disk disk[SK_PO_DISK_MAX];
	/* format 0 only: the gateway did not ask this client for a host scan
	 * because it cannot run our wrapper (enum sk_po_client, settings
	 * device.hostscan_skip).  Set by main for its own login, never read
	 * from a report: sk_posture_sanitize clears it. */
	uint8_t noscan;
};

/*
 * Clients that cannot run a CSD wrapper (Documentation/admin/posture.md,
 * "Clients"), told apart by what they send before the host scan:
 *   cisco    User-Agent "Cisco AnyConnect...", "Cisco Secure Client...",
 *            or "AnyConnect..." but not "AnyConnect-compatible
 *            OpenConnect..." (Cisco's host scan runs Cisco's package);
 *   windows  any other client whose init says <device-id>win</device-id>
 *            (libopenconnect on Windows: openconnect 9.x, OpenConnect-GUI;
 *            its run_csd_script() refuses under _WIN32).
 * What a client announces is its claim: a client that is not asked for
 * the scan logs in with no report, which gives it nothing a client
 * without a report would not get (chain.c).
 */
enum sk_po_client { SK_PO_CLIENT_OTHER = 0, SK_PO_CLIENT_WINDOWS, SK_PO_CLIENT_CISCO, SK_PO_CLIENT_N };
/* The kind of a client from its User-Agent and the init's <device-id>
 * text (either may be NULL). */
unsigned int sk_po_client_of(const char *user_agent, const char *device_id);
const char *sk_po_client_name(unsigned int c);	/* "windows", "cisco"; "" for other */
const char *sk_po_client_label(unsigned int c);	/* for messages: "Cisco Secure Client" */
int sk_po_client_from(const char *s, size_t n);	/* a name -> kind; -1 unknown */
/* A comma-separated list of client names, each once ("" = none), as the
 * bits 1 << kind in *mask: 0, or -EINVAL (settings device.hostscan_skip). */
int sk_po_client_list(const char *list, unsigned int *mask);

/* ---- report fields (called by lib/hostscan.c for endpoint.posture.*) ---- */

/*
 * One assignment "posture.PATH" = value (shape: the path with each ["key"]
 * written as [], key: the first key's text).  Unknown paths are ignored.
 * 0, or -EINVAL with why set to a static reason.
 */
int sk_posture_field(struct sk_posture *p, const char *shape, const char *key, size_t keylen,
		     const char *val, size_t vlen, const char **why);
/* After the last line: a block of an unknown format is dropped (format kept). */
void sk_posture_finish(struct sk_posture *p);
/* A report that crossed a process boundary: every field valid or cleared. */
void sk_posture_sanitize(struct sk_posture *p);

const char *sk_po_family_name(unsigned int f);	/* "windows", "" for none/unknown */
int sk_po_family_from(const char *s, size_t n);	/* -1 unknown */
/* "YYYY-MM-DD" (2000..2099, a real day) -> days since epoch; -1 invalid */
int32_t sk_po_day(const char *s, size_t n);
void sk_po_day_fmt(int32_t day, char out[11]);	/* "" for 0 */
/* "14", "14.5.1": up to four parts of at most 9 digits; 0 or -EINVAL */
int sk_po_ver_parse(const char *s, size_t n, struct sk_po_ver *v);
int sk_po_ver_cmp(const struct sk_po_ver *a, const struct sk_po_ver *b);
void sk_po_ver_fmt(const struct sk_po_ver *v, char *out, size_t len);
/* A Linux distribution's version as it writes it: Ubuntu's YY.MM keeps
 * its two-digit month (22.04, not 22.4); any other as sk_po_ver_fmt. */
void sk_po_linux_ver_fmt(const char *id, const struct sk_po_ver *v, char *out, size_t len);
bool sk_po_token_ok(const char *s, size_t n);

/* ---- the policy ---- */

enum sk_po_check {
	SK_PO_CHK_REPORT = 0,	/* a posture report (format 1) came at all */
	SK_PO_CHK_DEVICE,	/* the registered device (serial/MAC), chain.c */
	SK_PO_CHK_OS,
	SK_PO_CHK_AV,
	SK_PO_CHK_FIREWALL,
	SK_PO_CHK_DISK,
	SK_PO_CHK_UPDATES,
	SK_PO_CHK_N
};
enum sk_po_outcome { SK_PO_REFUSE = 0, SK_PO_QUARANTINE };

#define SK_PO_LIST_MAX	16	/* entries of av.allowed and os.linux */
#define SK_PO_NAME	65	/* a policy name (quarantine allowlist), NUL included */

struct sk_po_linux {
	char id[SK_PO_TOKEN];
	struct sk_po_ver min;
};
struct sk_po_avid {
	char vendor[SK_PO_TOKEN];
	char product[SK_PO_TOKEN];	/* "" = any product of the vendor */
};

struct sk_posture_policy {
	bool enabled;			/* "posture": off = only today's device check */
	bool on[SK_PO_CHK_N];
	uint8_t outcome[SK_PO_CHK_N];	/* enum sk_po_outcome */
	unsigned int families;		/* bit (1 << enum sk_po_family) */
	uint32_t windows_min_build;
	struct sk_po_ver macos_min, ios_min, android_min;
	int n_linux;
	struct sk_po_linux linux_[SK_PO_LIST_MAX];
	int n_av;
	struct sk_po_avid av[SK_PO_LIST_MAX];
	bool av_running, av_realtime;
	int av_max_age;			/* days; definitions at most this old */
	int updates_max_age;		/* days */
	char quarantine[SK_PO_NAME];	/* remediation allowlist (store policy name) */
};

#define SK_PO_KEY_MAX	32	/* longest key name, NUL included */
#define SK_PO_VAL_MAX	1024	/* longest value text, NUL included */

/* The shipped defaults (posture.md "Defaults"). */
void sk_posture_policy_default(struct sk_posture_policy *p);
/* One KEY=VALUE: 0, or -EINVAL (unknown key, bad value) with err set. */
int sk_posture_policy_set(struct sk_posture_policy *p, const char *key, const char *val,
			  char *err, size_t errlen);
/* The value of one key as text ("" for an empty list); -EINVAL for an unknown key. */
int sk_posture_policy_get(const struct sk_posture_policy *p, const char *key, char *out,
			  size_t len);
/* The keys in documentation order, with one line of help each. */
int sk_posture_policy_nkeys(void);
const char *sk_posture_policy_key(int i, const char **help);
const char *sk_po_check_name(unsigned int c);	/* "av", "updates", ... */

#endif
