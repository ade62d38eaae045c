/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CSTP framing on the TLS stream (anyconnect-protocol.md §5): an 8-byte
 * header 'S' 'T' 'F' 0x01, the payload length (16 bits, big-endian, the
 * header not included), the packet type and a zero byte, then the payload.
 */
#ifndef _SEKISHO_CSTP_H
#define _SEKISHO_CSTP_H

#include "pure.h"

#define SEKISHO_CSTP_HLEN	8
/* one frame is one TLS record, whose plaintext is at most 2^14 bytes */
#define SEKISHO_CSTP_MAX_PAYLOAD	(16384 - SEKISHO_CSTP_HLEN)

enum sekisho_cstp_type {
	SEKISHO_CSTP_DATA	= 0x00,
	SEKISHO_CSTP_DPD_REQ	= 0x03,
	SEKISHO_CSTP_DPD_RESP	= 0x04,
	SEKISHO_CSTP_DISCONNECT	= 0x05,
	SEKISHO_CSTP_KEEPALIVE	= 0x07,
	SEKISHO_CSTP_COMPRESSED	= 0x08,
	SEKISHO_CSTP_TERMINATE	= 0x09,
};

static inline void sekisho_cstp_put_hdr(u8 *h, u16 len, u8 type)
{
	h[0] = 'S';
	h[1] = 'T';
	h[2] = 'F';
	h[3] = 0x01;
	put_unaligned_be16(len, h + 4);
	h[6] = type;
	h[7] = 0;
}

/* a well-formed header: the magic and the zero byte (the type is free) */
static inline bool sekisho_cstp_hdr_ok(const u8 *h)
{
	return h[0] == 'S' && h[1] == 'T' && h[2] == 'F' && h[3] == 0x01 &&
	       h[7] == 0;
}

static inline u16 sekisho_cstp_len(const u8 *h)
{
	return get_unaligned_be16(h + 4);
}

#endif /* _SEKISHO_CSTP_H */
