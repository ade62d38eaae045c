/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The posture evaluator (issue 12): a report (lib/posture.h), a policy and
 * the time give one verdict per check, the login's outcome and, for each
 * failed check, what the user is told (Japanese and English).  Pure: no
 * store, no clock, no I/O, so the same function runs at login (chain.c),
 * offline (sekictl posture test) and under the fuzzer.
 *
 * The policy of a login is the shipped defaults, then the group's keys,
 * then the device's keys (sk_posture_policy_load, which reads the store).
 */
#ifndef SK_SKPOSTURE_H
#define SK_SKPOSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

struct sk_store;

enum sk_po_verdict { SK_PO_SKIP = 0, SK_PO_PASS, SK_PO_FAIL };
enum sk_po_overall { SK_PO_OK = 0, SK_PO_OVERALL_REFUSE, SK_PO_OVERALL_QUARANTINE };

struct sk_po_result_check {
	uint8_t verdict;		/* enum sk_po_verdict */
	uint8_t outcome;		/* enum sk_po_outcome of a failed check */
	char reason[24];		/* "definitions-old", "" when passed or skipped */
	/* what the message names: a product, a version, a number of days
	 * (only our own formatting of validated fields) */
	char have[80], need[80];
};

struct sk_posture_result {
	struct sk_po_result_check c[SK_PO_CHK_N];
	uint8_t overall;		/* enum sk_po_overall */
	int8_t shown;			/* the check whose message the user sees, -1 none */
};

/*
 * Evaluates r (may be NULL: no report at all) against p at time now (Unix
 * seconds).  The device check is not decided here (it needs the store):
 * it is SKIP, and sk_posture_set_device() records the chain's verdict.
 */
void sk_posture_eval(const struct sk_posture *r, const struct sk_posture_policy *p, int64_t now,
		     struct sk_posture_result *res);
/* The device check's verdict (reason: the chain's key, "" when passed);
 * recomputes overall and shown. */
void sk_posture_set_device(struct sk_posture_result *res, const struct sk_posture_policy *p,
			   bool passed, const char *reason);

/* What the user is told for check c (a failed one): lang "ja", "en", or
 * NULL for both ("ja / en").  Returns out (always terminated). */
const char *sk_posture_message(const struct sk_posture_result *res, int c, const char *lang,
			       char *out, size_t len);
const char *sk_po_verdict_name(unsigned int v);		/* "pass", "fail", "skip" */
const char *sk_po_overall_name(unsigned int o);		/* "ok", "refuse", "quarantine" */

/* The verdicts as one JSON object {"outcome":..,"checks":{"av":{"verdict":..,"reason":..}}}
 * into out; 0, or -ENOSPC. */
int sk_posture_result_json(const struct sk_posture_result *res, char *out, size_t len);
/* The report as JSON (for the store and `sekictl device show`); 0 or -ENOSPC. */
int sk_posture_report_json(const struct sk_posture *r, char *out, size_t len);

/* The policy of a group, and of a device within it (NULL or "" = none):
 * defaults, then the group's keys, then the device's.  0, or -errno with
 * err set (a stored value that no longer validates is named). */
int sk_posture_policy_load(struct sk_store *st, const char *group, const char *device,
			   struct sk_posture_policy *p, char *err, size_t errlen);

/*
 * The decision of one login or reconnect (chain.c, sekishod's CONNECT):
 * the policy of group/device, r evaluated at now, the device check passed
 * when device is set (the chain matched it), a quarantine whose
 * remediation allowlist (quarantine, set) is not in the store turned into
 * a refusal (err = "quarantine-policy-missing").  Returns 1 evaluated,
 * 0 posture off (res: nothing failed), or -errno with err set (a stored
 * key that no longer validates).
 */
int sk_posture_decide(struct sk_store *st, const char *group, const char *device,
		      const struct sk_posture *r, int64_t now, struct sk_posture_result *res,
		      char quarantine[SK_PO_NAME], char *err, size_t errlen);

#endif
