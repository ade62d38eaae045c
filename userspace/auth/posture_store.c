// SPDX-License-Identifier: GPL-2.0
/*
 * The posture policy of a login from the store (skposture.h): the shipped
 * defaults, then the group's keys, then the device's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skposture.h"
#include "skstore.h"

struct load {
	struct sk_posture_policy *p;
	const char *scope;
	char *err;
	size_t errlen;
	int rc;
};

static int apply(const char *key, const char *val, void *arg)
{
	struct load *l = arg;
	char why[160];

	if (sk_posture_policy_set(l->p, key, val, why, sizeof(why)) && !l->rc) {
		/* a stored value that this version no longer reads: named, and
		 * the login refused rather than checked against less */
		snprintf(l->err, l->errlen, "%s: %s", l->scope, why);
		l->rc = -EINVAL;
	}
	return 0;
}

int sk_posture_policy_load(struct sk_store *st, const char *group, const char *device,
			   struct sk_posture_policy *p, char *err, size_t errlen)
{
	struct load l = { .p = p, .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = 0;
	sk_posture_policy_default(p);
	if (group && *group) {
		l.scope = "group";
		rc = sk_posture_list(st, SK_PO_SCOPE_GROUP, group, apply, &l);
		if (rc && rc != -ENOENT)
			return rc;
	}
	if (device && *device) {
		l.scope = "device";
		rc = sk_posture_list(st, SK_PO_SCOPE_DEVICE, device, apply, &l);
		if (rc && rc != -ENOENT)
			return rc;
	}
	return l.rc;
}

int sk_posture_decide(struct sk_store *st, const char *group, const char *device,
		      const struct sk_posture *r, int64_t now, struct sk_posture_result *res,
		      char quarantine[SK_PO_NAME], char *err, size_t errlen)
{
	struct sk_posture_policy *p = calloc(1, sizeof(*p));
	struct sk_policy pol;
	int rc;

	memset(res, 0, sizeof(*res));
	res->shown = -1;
	quarantine[0] = 0;
	if (!p)
		return -ENOMEM;
	rc = sk_posture_policy_load(st, group, device, p, err, errlen);
	if (rc || !p->enabled) {
		free(p);
		return rc ? rc : 0;
	}
	sk_posture_eval(r, p, now, res);
	/* the chain has already checked the device: it matched */
	if (p->on[SK_PO_CHK_DEVICE] && device && *device)
		sk_posture_set_device(res, p, true, NULL);
	if (res->overall == SK_PO_OVERALL_QUARANTINE) {
		/* a remediation allowlist that is not in the store is no
		 * quarantine: the failed check refuses (never the full list) */
		if (sk_policy_get(st, p->quarantine, &pol) || pol.id <= 0) {
			res->c[res->shown].outcome = SK_PO_REFUSE;
			res->overall = SK_PO_OVERALL_REFUSE;
			snprintf(err, errlen, "quarantine-policy-missing");
		} else {
			snprintf(quarantine, SK_PO_NAME, "%s", p->quarantine);
		}
	}
	free(p);
	return 1;
}
