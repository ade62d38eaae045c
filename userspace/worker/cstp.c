// SPDX-License-Identifier: GPL-2.0
/*
 * CSTP framing (anyconnect-protocol.md §5): "STF\1", 16-bit big-endian
 * payload length, type, 0.  The client writes one frame per TLS record,
 * but nothing here relies on that: frames are reassembled from the byte
 * stream, so a frame split over records or several frames in one record
 * both work.  Sending is the caller's job: one sk_cstp_build, one SSL_write.
 */
#include <string.h>

#include "worker.h"

static const uint8_t magic[4] = { 'S', 'T', 'F', 0x01 };

int sk_cstp_build(uint8_t type, const void *payload, size_t len, uint8_t *out, size_t outlen)
{
	if (len > SK_CSTP_PAYLOAD_MAX || outlen < SK_CSTP_HDR_LEN + len)
		return -1;
	memcpy(out, magic, 4);
	out[4] = len >> 8;
	out[5] = len & 0xff;
	out[6] = type;
	out[7] = 0;
	if (len)
		memmove(out + SK_CSTP_HDR_LEN, payload, len);
	return (int)(SK_CSTP_HDR_LEN + len);
}

size_t sk_cstp_feed(struct sk_cstp_rx *rx, const uint8_t *data, size_t len)
{
	size_t room = sizeof(rx->buf) - rx->len;

	if (len > room)
		len = room;
	memcpy(rx->buf + rx->len, data, len);
	rx->len += len;
	return len;
}

int sk_cstp_pop(struct sk_cstp_rx *rx, uint8_t *type, uint8_t *out, size_t outlen, size_t *plen)
{
	size_t n;

	/* check the magic as soon as its bytes are there: fail early on garbage */
	for (size_t i = 0; i < rx->len && i < 4; i++)
		if (rx->buf[i] != magic[i])
			return -1;
	if (rx->len < SK_CSTP_HDR_LEN)
		return 0;
	n = (size_t)rx->buf[4] << 8 | rx->buf[5];
	if (rx->buf[7] != 0 || n > SK_CSTP_PAYLOAD_MAX)
		return -1;
	if (rx->len < SK_CSTP_HDR_LEN + n)
		return 0;
	if (n > outlen)
		return -1;
	*type = rx->buf[6];
	memcpy(out, rx->buf + SK_CSTP_HDR_LEN, n);
	*plen = n;
	rx->len -= SK_CSTP_HDR_LEN + n;
	memmove(rx->buf, rx->buf + SK_CSTP_HDR_LEN + n, rx->len);
	return 1;
}
