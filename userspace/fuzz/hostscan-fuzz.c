// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the host scan report parser (lib/hostscan.c), then
 * the invariants the main process relies on: every kept string is
 * NUL-terminated within its field, at most SK_HS_MACS MACs, each in the
 * normalised "aa:bb:cc:dd:ee:ff" form.
 */
#include <stdint.h>
#include <string.h>

#include "hostscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
	if (!memchr(s, 0, cap))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_hostscan r;
	char err[160], again[18];

	if (sk_hostscan_parse((const char *)data, size, &r, err, sizeof(err))) {
		check_str(err, sizeof(err));
		if (r.n_macs || r.device_id[0])
			__builtin_trap();	/* a refused report must leave nothing */
		return 0;
	}
	check_str(r.os_version, sizeof(r.os_version));
	check_str(r.os_arch, sizeof(r.os_arch));
	check_str(r.hostname, sizeof(r.hostname));
	check_str(r.device_id, sizeof(r.device_id));
	if (r.n_macs < 0 || r.n_macs > SK_HS_MACS)
		__builtin_trap();
	for (int i = 0; i < r.n_macs; i++) {
		check_str(r.macs[i], sizeof(r.macs[i]));
		if (strlen(r.macs[i]) != 17 || sk_hostscan_mac_norm(r.macs[i], again) ||
		    strcmp(again, r.macs[i]))
			__builtin_trap();
	}
	return 0;
}
