/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * sekisho: AnyConnect-compatible SSL-VPN gateway datapath.
 *
 * Generic netlink API of the sekisho kernel module.  The normative description
 * is Documentation/netlink/specs/sekisho.yaml; this header must match it
 * (tests/uapi/check-spec.py verifies every enum value).
 */
#ifndef _UAPI_LINUX_SEKISHO_H
#define _UAPI_LINUX_SEKISHO_H

#define SEKISHO_FAMILY_NAME	"sekisho"
#define SEKISHO_FAMILY_VERSION	1
#define SEKISHO_MCGRP_EVENTS	"events"
#define SEKISHO_LINK_KIND	"sekisho"

/* Limits shared by the kernel and userspace. */
#define SEKISHO_MAX_RULES	65536	/* rules in one policy */
#define SEKISHO_MAX_ROUTES	64	/* routed prefixes behind one peer */
#define SEKISHO_REPLAY_WINDOW	1024	/* receive replay window, in records */
#define SEKISHO_SEQ_LIMIT	0xffffffffffffULL	/* 2^48 - 1, never sent */

/* AEAD suites of DTLS 1.2 records (anyconnect-protocol.md section 6.6). */
enum sekisho_cipher {
	SEKISHO_CIPHER_NONE,
	SEKISHO_CIPHER_AES128_GCM,		/* 0x00A8 PSK-AES128-GCM-SHA256 */
	SEKISHO_CIPHER_AES256_GCM,		/* 0x00A9 PSK-AES256-GCM-SHA384 */
	SEKISHO_CIPHER_CHACHA20_POLY1305,	/* 0xCCAB PSK-CHACHA20-POLY1305 */

	__SEKISHO_CIPHER_MAX
};

/* Allowlist rule action; the implicit last rule of every policy is deny. */
enum sekisho_action {
	SEKISHO_ACTION_DENY,
	SEKISHO_ACTION_ALLOW,
};

/* Key slot of a peer: primary sends and receives, secondary only receives. */
enum sekisho_key_slot {
	SEKISHO_KEY_SLOT_PRIMARY,
	SEKISHO_KEY_SLOT_SECONDARY,
};

/* Why a peer went away (SEKISHO_CMD_PEER_DEL_NTF). */
enum sekisho_del_reason {
	SEKISHO_DEL_REASON_USERSPACE,		/* PEER_DEL */
	SEKISHO_DEL_REASON_SOCKET_CLOSED,	/* transport socket was closed */
	SEKISHO_DEL_REASON_DEVICE_GONE,		/* device or module removed */
	SEKISHO_DEL_REASON_IDLE,		/* idle timeout with remove flag */
	SEKISHO_DEL_REASON_STREAM_CLOSED,	/* kTLS stream: TCP closed, reset, error */
	SEKISHO_DEL_REASON_STREAM_MALFORMED,	/* kTLS stream: bad CSTP frame */
	SEKISHO_DEL_REASON_TLS_RECORD,		/* kTLS stream: non-application record */
	SEKISHO_DEL_REASON_TLS_BAD_RECORD,	/* kTLS stream: record failed to decrypt */
	SEKISHO_DEL_REASON_CLIENT_DISCONNECT,	/* kTLS stream: CSTP DISCONNECT */
};

/* What the fd of SEKISHO_A_PEER_STREAM is. */
enum sekisho_stream_kind {
	SEKISHO_STREAM_KIND_SEQPACKET,	/* worker relays one packet per message */
	SEKISHO_STREAM_KIND_KTLS,	/* client's TCP socket with kTLS TX and RX */
};

enum sekisho_a_stats {
	SEKISHO_A_STATS_UNSPEC,
	SEKISHO_A_STATS_PAD,
	SEKISHO_A_STATS_RX_PACKETS,		/* u64 */
	SEKISHO_A_STATS_RX_BYTES,		/* u64 */
	SEKISHO_A_STATS_TX_PACKETS,		/* u64 */
	SEKISHO_A_STATS_TX_BYTES,		/* u64 */
	SEKISHO_A_STATS_DROP_NO_PEER,		/* u64 */
	SEKISHO_A_STATS_DROP_AUTH,		/* u64: tag did not verify */
	SEKISHO_A_STATS_DROP_REPLAY,		/* u64 */
	SEKISHO_A_STATS_DROP_SPOOF,		/* u64: inner source not the peer's */
	SEKISHO_A_STATS_DROP_POLICY,		/* u64: allowlist said no */
	SEKISHO_A_STATS_DROP_MALFORMED,		/* u64 */
	SEKISHO_A_STATS_DROP_TOO_BIG,		/* u64 */
	SEKISHO_A_STATS_DROP_NO_KEY,		/* u64: no key, or sequence exhausted */
	SEKISHO_A_STATS_DPD_ANSWERED,		/* u64: DTLS DPD-REQ echoed */
	SEKISHO_A_STATS_KEEPALIVES,		/* u64: DTLS KEEPALIVE consumed */
	SEKISHO_A_STATS_TO_USERSPACE,		/* u64: datagrams passed up */

	__SEKISHO_A_STATS_MAX
};
#define SEKISHO_A_STATS_MAX (__SEKISHO_A_STATS_MAX - 1)

enum sekisho_a_dev {
	SEKISHO_A_DEV_UNSPEC,
	SEKISHO_A_DEV_IFINDEX,			/* u32 */
	SEKISHO_A_DEV_IFNAME,			/* string */
	SEKISHO_A_DEV_NUM_PEERS,		/* u32 */
	SEKISHO_A_DEV_NUM_POLICIES,		/* u32 */
	SEKISHO_A_DEV_STATS,			/* nest: sekisho_a_stats */

	__SEKISHO_A_DEV_MAX
};
#define SEKISHO_A_DEV_MAX (__SEKISHO_A_DEV_MAX - 1)

/* A prefix routed to a peer (its "allowed IPs" in both directions). */
enum sekisho_a_route {
	SEKISHO_A_ROUTE_UNSPEC,
	SEKISHO_A_ROUTE_ADDR,			/* binary: 4 or 16 bytes */
	SEKISHO_A_ROUTE_PREFIXLEN,		/* u8 */

	__SEKISHO_A_ROUTE_MAX
};
#define SEKISHO_A_ROUTE_MAX (__SEKISHO_A_ROUTE_MAX - 1)

/* Key information returned by GET; key material is never returned. */
enum sekisho_a_keyinfo {
	SEKISHO_A_KEYINFO_UNSPEC,
	SEKISHO_A_KEYINFO_PAD,
	SEKISHO_A_KEYINFO_SLOT,			/* u32: enum sekisho_key_slot */
	SEKISHO_A_KEYINFO_EPOCH,		/* u16 */
	SEKISHO_A_KEYINFO_CIPHER,		/* u32: enum sekisho_cipher */
	SEKISHO_A_KEYINFO_TX_SEQ,		/* u64: next sequence to send */
	SEKISHO_A_KEYINFO_RX_SEQ,		/* u64: highest sequence received */

	__SEKISHO_A_KEYINFO_MAX
};
#define SEKISHO_A_KEYINFO_MAX (__SEKISHO_A_KEYINFO_MAX - 1)

enum sekisho_a_peer {
	SEKISHO_A_PEER_UNSPEC,
	SEKISHO_A_PEER_PAD,
	SEKISHO_A_PEER_ID,			/* u32, not 0 */
	SEKISHO_A_PEER_SOCKET,			/* u32: UDP socket fd (NEW only) */
	SEKISHO_A_PEER_REMOTE_IPV4,		/* binary 4 */
	SEKISHO_A_PEER_REMOTE_IPV6,		/* binary 16 */
	SEKISHO_A_PEER_REMOTE_PORT,		/* u16, network byte order */
	SEKISHO_A_PEER_LOCAL_IPV4,		/* binary 4 (GET) */
	SEKISHO_A_PEER_LOCAL_IPV6,		/* binary 16 (GET) */
	SEKISHO_A_PEER_LOCAL_PORT,		/* u16, network byte order (GET) */
	SEKISHO_A_PEER_VPN_IPV4,		/* binary 4: assigned address */
	SEKISHO_A_PEER_VPN_IPV6,		/* binary 16: assigned address */
	SEKISHO_A_PEER_ROUTES,			/* nest of SEKISHO_A_PEER_ROUTE */
	SEKISHO_A_PEER_ROUTE,			/* nest: sekisho_a_route */
	SEKISHO_A_PEER_POLICY_ID,		/* u32: 0 = deny everything */
	SEKISHO_A_PEER_IDLE_TIMEOUT,		/* u32 seconds, 0 = never */
	SEKISHO_A_PEER_LAST_RX_MSECS,		/* u64: ms since last valid record (GET) */
	SEKISHO_A_PEER_STATS,			/* nest: sekisho_a_stats (GET) */
	SEKISHO_A_PEER_KEYS,			/* nest of SEKISHO_A_PEER_KEYINFO (GET) */
	SEKISHO_A_PEER_KEYINFO,			/* nest: sekisho_a_keyinfo */
	SEKISHO_A_PEER_DEL_REASON,		/* u32: enum sekisho_del_reason (NTF) */
	SEKISHO_A_PEER_STREAM,			/* u32: CSTP packets, SOCK_SEQPACKET fd (NEW only) */
	SEKISHO_A_PEER_STREAM_KIND,		/* u32: enum sekisho_stream_kind (NEW only) */

	__SEKISHO_A_PEER_MAX
};
#define SEKISHO_A_PEER_MAX (__SEKISHO_A_PEER_MAX - 1)

/* One direction of a key: key, implicit IV ("salt"), sequence number. */
enum sekisho_a_keydir {
	SEKISHO_A_KEYDIR_UNSPEC,
	SEKISHO_A_KEYDIR_PAD,
	SEKISHO_A_KEYDIR_KEY,			/* binary: 16 or 32 bytes */
	SEKISHO_A_KEYDIR_IV,			/* binary: 4 (GCM) or 12 (ChaCha20) */
	/*
	 * u64.  Encrypt: the next sequence number to send (default 1).
	 * Decrypt: the highest sequence number already received; every
	 * record at or below it counts as seen (absent: none seen).
	 */
	SEKISHO_A_KEYDIR_SEQ,

	__SEKISHO_A_KEYDIR_MAX
};
#define SEKISHO_A_KEYDIR_MAX (__SEKISHO_A_KEYDIR_MAX - 1)

enum sekisho_a_keyconf {
	SEKISHO_A_KEYCONF_UNSPEC,
	SEKISHO_A_KEYCONF_PEER_ID,		/* u32 */
	SEKISHO_A_KEYCONF_EPOCH,		/* u16 */
	SEKISHO_A_KEYCONF_CIPHER,		/* u32: enum sekisho_cipher */
	SEKISHO_A_KEYCONF_ENCRYPT_DIR,		/* nest: sekisho_a_keydir */
	SEKISHO_A_KEYCONF_DECRYPT_DIR,		/* nest: sekisho_a_keydir */
	SEKISHO_A_KEYCONF_SLOT,			/* u32: enum sekisho_key_slot (DEL) */
	SEKISHO_A_KEYCONF_TX_SEQ,		/* u64 (NTF) */
	SEKISHO_A_KEYCONF_PAD,

	__SEKISHO_A_KEYCONF_MAX
};
#define SEKISHO_A_KEYCONF_MAX (__SEKISHO_A_KEYCONF_MAX - 1)

enum sekisho_a_rule {
	SEKISHO_A_RULE_UNSPEC,
	SEKISHO_A_RULE_ACTION,			/* u8: enum sekisho_action */
	SEKISHO_A_RULE_FAMILY,			/* u8: AF_INET or AF_INET6 */
	SEKISHO_A_RULE_ADDR,			/* binary 4 or 16 (absent: any) */
	SEKISHO_A_RULE_PREFIXLEN,		/* u8 (absent: 0) */
	SEKISHO_A_RULE_PROTO,			/* u8: 0 any, 1, 6, 17, 58 */
	SEKISHO_A_RULE_PORT_MIN,		/* u16 host order (tcp/udp only) */
	SEKISHO_A_RULE_PORT_MAX,		/* u16 host order (tcp/udp only) */

	__SEKISHO_A_RULE_MAX
};
#define SEKISHO_A_RULE_MAX (__SEKISHO_A_RULE_MAX - 1)

enum sekisho_a_policy {
	SEKISHO_A_POLICY_UNSPEC,
	SEKISHO_A_POLICY_ID,			/* u32, not 0 */
	SEKISHO_A_POLICY_RULES,			/* nest of SEKISHO_A_POLICY_RULE */
	SEKISHO_A_POLICY_RULE,			/* nest: sekisho_a_rule */
	SEKISHO_A_POLICY_NUM_RULES,		/* u32 (GET) */
	SEKISHO_A_POLICY_FIRST_RULE,		/* u32: index of first rule in this message (GET) */
	SEKISHO_A_POLICY_REFS,			/* u32: peers using it (GET) */

	__SEKISHO_A_POLICY_MAX
};
#define SEKISHO_A_POLICY_MAX (__SEKISHO_A_POLICY_MAX - 1)

/* Sample of a packet the allowlist refused (POLICY_DENY_NTF). */
enum sekisho_a_deny {
	SEKISHO_A_DENY_UNSPEC,
	SEKISHO_A_DENY_FAMILY,			/* u8 */
	SEKISHO_A_DENY_SADDR,			/* binary 4 or 16 */
	SEKISHO_A_DENY_DADDR,			/* binary 4 or 16 */
	SEKISHO_A_DENY_PROTO,			/* u8 */
	SEKISHO_A_DENY_DPORT,			/* u16 host order */
	SEKISHO_A_DENY_SUPPRESSED,		/* u32: denials not sampled since last */

	__SEKISHO_A_DENY_MAX
};
#define SEKISHO_A_DENY_MAX (__SEKISHO_A_DENY_MAX - 1)

/* Top-level attributes of every message. */
enum sekisho_a {
	SEKISHO_A_UNSPEC,
	SEKISHO_A_IFINDEX,			/* u32 */
	SEKISHO_A_IFNAME,			/* string */
	SEKISHO_A_DEV,				/* nest: sekisho_a_dev */
	SEKISHO_A_PEER,				/* nest: sekisho_a_peer */
	SEKISHO_A_KEYCONF,			/* nest: sekisho_a_keyconf */
	SEKISHO_A_POLICY,			/* nest: sekisho_a_policy */
	SEKISHO_A_DENY,				/* nest: sekisho_a_deny */

	__SEKISHO_A_MAX
};
#define SEKISHO_A_MAX (__SEKISHO_A_MAX - 1)

enum sekisho_cmd {
	SEKISHO_CMD_UNSPEC,
	SEKISHO_CMD_DEV_GET,		/* do: IFINDEX|IFNAME; dump: all devices */
	SEKISHO_CMD_PEER_NEW,		/* IFINDEX, PEER{ID, SOCKET and/or STREAM, REMOTE_*, VPN_*, ROUTES, POLICY_ID, IDLE_TIMEOUT} */
	SEKISHO_CMD_PEER_SET,		/* IFINDEX, PEER{ID, REMOTE_*, VPN_*, ROUTES, POLICY_ID, IDLE_TIMEOUT} */
	SEKISHO_CMD_PEER_GET,		/* do: IFINDEX, PEER{ID}; dump: IFINDEX */
	SEKISHO_CMD_PEER_DEL,		/* IFINDEX, PEER{ID} */
	SEKISHO_CMD_KEY_NEW,		/* IFINDEX, KEYCONF{PEER_ID, EPOCH, CIPHER, ENCRYPT_DIR, DECRYPT_DIR} */
	SEKISHO_CMD_KEY_DEL,		/* IFINDEX, KEYCONF{PEER_ID, SLOT} */
	SEKISHO_CMD_POLICY_NEW,		/* IFINDEX, POLICY{ID, RULES} */
	SEKISHO_CMD_POLICY_SET,		/* IFINDEX, POLICY{ID, RULES}: replaces all rules */
	SEKISHO_CMD_POLICY_GET,		/* do: IFINDEX, POLICY{ID}; dump: IFINDEX */
	SEKISHO_CMD_POLICY_DEL,		/* IFINDEX, POLICY{ID}; refused while referenced */
	SEKISHO_CMD_PEER_DEL_NTF,	/* event: IFINDEX, PEER{ID, DEL_REASON} */
	SEKISHO_CMD_PEER_IDLE_NTF,	/* event: IFINDEX, PEER{ID, LAST_RX_MSECS} */
	SEKISHO_CMD_KEY_EXHAUST_NTF,	/* event: IFINDEX, KEYCONF{PEER_ID, EPOCH, TX_SEQ} */
	SEKISHO_CMD_POLICY_DENY_NTF,	/* event: IFINDEX, PEER{ID}, DENY{...} */

	__SEKISHO_CMD_MAX
};
#define SEKISHO_CMD_MAX (__SEKISHO_CMD_MAX - 1)

#endif /* _UAPI_LINUX_SEKISHO_H */
