// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a host scan report with a posture block (report
 * format v1, lib/posture.c through lib/hostscan.c), then the evaluator
 * (auth/posture_eval.c) under three policies, its messages and JSON.
 * Invariants: a refused report leaves no posture; an accepted one
 * survives sk_hostscan_terminate unchanged (the worker's output is what
 * main's sanitizer accepts); every message and JSON text is terminated,
 * valid single-line text, and fits.  Seeds: tests/posture/reports/.
 */
#include <stdint.h>
#include <string.h>

#include "hostscan.h"
#include "skposture.h"
#include "sktext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text(const char *s, size_t cap)
{
	if (!memchr(s, 0, cap) || sk_text_check(s, cap - 1, false))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_hostscan r, again;
	static const char *const lang[] = { "ja", "en", NULL };
	struct sk_posture_policy p;
	struct sk_posture_result res;
	char err[160], msg[512], json[6144];

	if (sk_hostscan_parse((const char *)data, size, &r, err, sizeof(err))) {
		text(err, sizeof(err));
		if (r.posture.format || r.posture.n_av || r.posture.n_disk)
			__builtin_trap();	/* a refused report must leave nothing */
		return 0;
	}
	again = r;
	sk_hostscan_terminate(&again);
	if (memcmp(&again.posture, &r.posture, sizeof(r.posture)))
		__builtin_trap();	/* main's sanitizer would change what the parser made */
	for (int k = 0; k < 3; k++) {
		sk_posture_policy_default(&p);
		p.enabled = true;
		if (k == 1) {
			sk_posture_policy_set(&p, "disk", "on", NULL, 0);
			sk_posture_policy_set(&p, "firewall.outcome", "quarantine", NULL, 0);
			sk_posture_policy_set(&p, "quarantine.allowlist", "remedy", NULL, 0);
			sk_posture_policy_set(&p, "os.families", "windows,macos,linux,ios,android", NULL, 0);
		} else if (k == 2) {
			sk_posture_policy_set(&p, "report", "off", NULL, 0);
			sk_posture_policy_set(&p, "av.max_age_days", "0", NULL, 0);
		}
		/* 2025-11-05 12:00 UTC */
		sk_posture_eval(&r.posture, &p, 1762344000, &res);
		if (res.overall > SK_PO_OVERALL_QUARANTINE || res.shown >= SK_PO_CHK_N ||
		    (res.overall != SK_PO_OK) != (res.shown >= 0))
			__builtin_trap();
		for (int c = 0; c < SK_PO_CHK_N; c++)
			for (int l = 0; l < 3; l++) {
				sk_posture_message(&res, c, lang[l], msg, sizeof(msg));
				text(msg, sizeof(msg));
				if (c == res.shown && !msg[0])
					__builtin_trap();	/* a refusal always says why */
			}
		if (sk_posture_result_json(&res, json, 1536))
			__builtin_trap();
		text(json, sizeof(json));
	}
	if (sk_posture_report_json(&r.posture, json, sizeof(json)))
		__builtin_trap();
	text(json, sizeof(json));
	return 0;
}
