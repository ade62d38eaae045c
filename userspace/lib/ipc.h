/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The messages between sekishod's privileged main process and its
 * per-connection workers, over a SOCK_SEQPACKET socketpair (one message =
 * one struct, file descriptors travel as SCM_RIGHTS).
 *
 * A worker owns one client TCP connection: TLS, HTTP, XML, CSTP framing and
 * the DTLS handshake.  It holds no capabilities and runs under seccomp; it
 * never opens files or sockets itself.  It asks, the main process decides.
 * Every message starts with struct sk_ipc_hdr; the main process checks the
 * type and the exact length of each message it receives, and treats a
 * malformed one as a compromised worker (kill it, audit "worker-protocol").
 *
 *   worker                                   main
 *   HELLO (client addr, TLS info)      ->
 *   AUTH  (context, group, fields, cert) ->  skchain step
 *                                      <-    AUTH_REPLY (form | success+cookie | fatal)
 *   CONNECT (cookie, requested addrs, mtu) -> session lookup, address, policy
 *                                      <-    CONNECT_REPLY (status, header lines, app-id;
 *                                            200: + fd of the CSTP relay)
 *   (200 with SK_CONNECT_KTLS, after sending the reply:)
 *   KTLS (keys, seqs, client fd)       ->    install kernel TLS, peer with the stream
 *     or KTLS_SKIP (why not)           ->    counted; the relay goes on
 *                                      <-    KTLS_READY (0: the kernel carries CSTP)
 *                                      <-    DTLS_START (fd + first datagram)
 *   DTLS_KEYS (keys, seqs, fd)         ->    program the kernel (peer + keys)
 *                                      <-    DTLS_READY (then the worker sends
 *                                            its last handshake flight; with
 *                                            done, on kernel TLS, it exits)
 *   CSTP_END (reason)                  ->    session detached or ended
 *                                      <-    KILL (send TERMINATE, exit)
 *
 * A DTLS worker (no TCP connection; a later DTLS handshake of a session
 * whose worker has left, struct sk_ipc_dtls_resume):
 *                                      <-    DTLS_RESUME (PSK, ClientHello)
 *   DTLS_KEYS (keys, seqs, fd)         ->    program the kernel
 *                                      <-    DTLS_READY (done: it exits)
 *     or DTLS_FAIL                     ->
 */
#ifndef SEKISHOD_IPC_H
#define SEKISHOD_IPC_H

#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hostscan.h"
#include "skparse.h"
#include "sktls.h"

#define SK_IPC_MAGIC	0x534b4950u	/* "SKIP" */
#define SK_IPC_MAX	65536		/* largest message */

/*
 * A worker is a fresh executable (sekishod-worker), started by main with
 * fork + exec for each connection: it inherits no memory of main's.  It
 * gets these descriptors and nothing else (no environment, no arguments):
 */
#define SK_WFD_CLIENT	3	/* the client's TCP socket */
#define SK_WFD_IPC	4	/* SOCK_SEQPACKET to main: this protocol */
#define SK_WFD_KEY	5	/* SOCK_SEQPACKET to the key holder (keyop.h) */
#define SK_WFD_CONFIG	6	/* a sealed memfd: struct sk_wcfg + PEM text */

#define SK_WCFG_MAGIC	0x534b5743u	/* "SKWC" */
#define SK_WCFG_PEM_MAX	(1 << 20)	/* certificate chain, client CA list */

/* The worker's configuration: public material only, no key, no secret. */
struct sk_wcfg {
	uint32_t magic;
	uint32_t size;			/* of the whole blob */
	uint32_t cert_len;		/* server certificate chain, PEM, follows */
	uint32_t ca_len;		/* client CA certificates, PEM, follow; 0 = none */
	uint32_t no_sandbox;		/* debugging only */
	char dtls_ciphers[256];		/* OpenSSL list, "" = the default */
};

/* ---- the login form main sends and the worker renders (AUTH_REPLY) ---- */

#define SK_IPC_NAME_MAX	64	/* = the store's SK_NAME_MAX (checked in skchain.h) */
#define SK_IPC_TEXT_MAX	1024	/* = the store's SK_TEXT_MAX */
#define SK_FORM_INPUTS 8
#define SK_FORM_OPTIONS 32

enum sk_input_type { SK_IN_TEXT = 1, SK_IN_PASSWORD, SK_IN_HIDDEN, SK_IN_SELECT };

struct sk_input {
	enum sk_input_type type;
	char name[32];			/* valid XML name */
	char label[128];
	char value[128];		/* hidden inputs; preselected option */
	int n_options;			/* SK_IN_SELECT (group_list) */
	struct { char value[SK_IPC_NAME_MAX + 1], label[SK_IPC_NAME_MAX + 1]; } options[SK_FORM_OPTIONS];
};

/* What the worker turns into <auth id=...> XML. */
struct sk_form {
	char auth_id[32];		/* "main", "otp", "new-password", "success" */
	char title[128];
	char message[512];		/* UTF-8; may be "日本語 / English" */
	char error[512];		/* "" = none */
	char banner[SK_IPC_TEXT_MAX];	/* pre-login banner (first form only) */
	int n_inputs;			/* 0 with a non-empty error = fatal */
	struct sk_input inputs[SK_FORM_INPUTS];
};

enum sk_ipc_type {
	SK_IPC_HELLO = 1,
	SK_IPC_AUTH,
	SK_IPC_AUTH_REPLY,
	SK_IPC_CONNECT,
	SK_IPC_CONNECT_REPLY,
	SK_IPC_DTLS_START,
	SK_IPC_DTLS_KEYS,
	SK_IPC_DTLS_FAIL,
	SK_IPC_CSTP_END,
	SK_IPC_KILL,
	SK_IPC_PROFILE,		/* GET /profile/<token> */
	SK_IPC_PROFILE_REPLY,
	SK_IPC_DTLS_READY,	/* main -> worker: the kernel has the keys */
	SK_IPC_PAC,		/* GET /proxy/<group>.pac (reply: PROFILE_REPLY) */
	SK_IPC_HOSTSCAN,	/* (added) /+CSCOE+/sdesktop/...: token.xml, scan.xml, wait.html */
	SK_IPC_HOSTSCAN_REPLY,
	SK_IPC_KTLS,		/* (added) worker -> main: the CSTP stream to the kernel */
	SK_IPC_KTLS_SKIP,	/* worker -> main: no hand-off, and why */
	SK_IPC_KTLS_READY,	/* main -> worker: the outcome of KTLS */
	SK_IPC_RECHECK_MODE,	/* (added) main -> worker, queued before it starts: a re-check */
	SK_IPC_RECHECK,		/* worker -> main: the report posted through the tunnel */
	SK_IPC_RECHECK_REPLY,	/* main -> worker: the verdict to answer */
	SK_IPC_DTLS_RESUME,	/* (added) main -> DTLS worker: PSK and ClientHello */
};

struct sk_ipc_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t reserved;
	uint32_t len;		/* whole message, header included */
};

/* worker -> main, once after the TLS handshake */
struct sk_ipc_hello {
	struct sk_ipc_hdr h;
	struct sockaddr_storage peer;	/* client address (from accept) */
	char tls_version[16];		/* "TLSv1.3" */
	char tls_cipher[64];
	char sni[256];
};

/*
 * worker -> main: one XML auth request (init or auth-reply).
 * Variable part: cert_len bytes of the client certificate (DER, as sent in
 * the TLS handshake, unverified), then n_fields pairs of NUL-terminated
 * name and value strings.  Bounds: n_fields <= 16, each string <= 1024
 * bytes, whole message <= SK_IPC_MAX.
 */
struct sk_ipc_auth {
	struct sk_ipc_hdr h;
	char context[64];	/* webvpncontext cookie value, "" on the first request */
	char group[64];		/* <group-select>, "" if none */
	char group_path[64];	/* URL path of the request without '/', "" for "/" */
	char lang[8];		/* "ja"/"en" from Accept-Language, "" */
	uint8_t is_init;	/* type="init" */
	/* (added) the client's kind from its User-Agent and <device-id>
	 * (enum sk_po_client, posture.h): whether it can run a CSD wrapper */
	uint8_t client;
	uint8_t pad[2];
	uint32_t cert_len;
	uint32_t n_fields;
	char sdesktop[48];	/* (added) the sdesktop cookie (host scan token), "" if none */
	/* uint8_t cert[cert_len]; then strings */
};

/* main -> worker.  The form is a struct sk_form (above), copied whole. */
enum sk_auth_status { SK_AUTH_FORM = 1, SK_AUTH_SUCCESS, SK_AUTH_FATAL };
struct sk_ipc_auth_reply {
	struct sk_ipc_hdr h;
	uint32_t status;		/* enum sk_auth_status */
	char context[64];		/* set as webvpncontext cookie (new logins) */
	char cookie[96];		/* SUCCESS: the webvpn cookie (base64url of 32 random bytes) */
	/* (added) FORM of a first init while settings device.hostscan is on:
	 * the worker adds <host-scan> with these (§3.1), "" = no host scan */
	char hs_ticket[48];
	char hs_token[48];
	/* struct sk_form form;  (above) follows */
};

/* worker -> main: CONNECT /CSCOSSLC/tunnel */
struct sk_ipc_connect {
	struct sk_ipc_hdr h;
	char cookie[96];
	char hostname[64];		/* X-CSTP-Hostname */
	struct in_addr want4;		/* X-CSTP-Address (reconnect), 0 if absent */
	struct in6_addr want6;
	uint8_t has_want4, has_want6;
	uint8_t ipv6;			/* X-CSTP-Address-Type contains IPv6 */
	uint8_t psk_negotiate;		/* X-DTLS-CipherSuite contains PSK-NEGOTIATE */
	uint32_t base_mtu;		/* X-CSTP-Base-MTU, 0 if absent */
	uint8_t peer_v6;		/* the TCP connection is over IPv6 */
	uint8_t pad[3];
};

/*
 * main -> worker.  status: 200, 401 (cookie refused), 503 (with reason).
 * headers: the X-CSTP-/X-DTLS- lines to send, each ending in "\r\n",
 * already formatted by the main process (exact case, see
 * anyconnect-protocol.md §4.3).  app_id: the 32-byte DTLS App-ID the worker
 * will see again in DTLS_START.  dpd/keepalive: seconds for the worker's
 * CSTP timers.  (added) A 200 may come with SCM_RIGHTS: the CSTP relay, an
 * AF_UNIX SOCK_SEQPACKET socket whose other end is the kernel peer's
 * STREAM; one IP packet per message, both ways.  None: DATA is dropped.
 */
struct sk_ipc_connect_reply {
	struct sk_ipc_hdr h;
	uint32_t status;
	char reason[128];
	uint64_t session_id;
	uint8_t app_id[32];
	uint32_t dpd, keepalive, mtu;
	uint32_t headers_len;
	uint32_t flags;			/* SK_CONNECT_* */
	/* char headers[headers_len]; */
};
/* (added) after the reply, hand the TLS connection to the kernel (KTLS) or
 * say why not (KTLS_SKIP), and wait for KTLS_READY before reading on */
#define SK_CONNECT_KTLS	1u
/* (added, with SK_CONNECT_KTLS) the reply offers DTLS: the KTLS message
 * carries the DTLS PSK too (struct sk_ipc_ktls) */
#define SK_CONNECT_DTLS	2u

/*
 * main -> worker, with SCM_RIGHTS: a UDP socket already connected to the
 * client (bound to the DTLS port with SO_REUSEPORT) and the ClientHello
 * datagram the main process read from the listening socket, which the
 * worker's DTLS BIO returns first.
 */
struct sk_ipc_dtls_start {
	struct sk_ipc_hdr h;
	uint32_t dgram_len;
	/* uint8_t dgram[dgram_len]; */
};

/* worker -> main, with SCM_RIGHTS: the same UDP socket, after SSL_accept. */
struct sk_ipc_dtls_keys {
	struct sk_ipc_hdr h;
	uint32_t cipher;		/* enum sk_cipher (lib/skparse.h) = uapi enum sekisho_cipher */
	uint16_t epoch;			/* 1 */
	uint16_t pad;
	uint64_t tx_seq;		/* next sequence the kernel sends (last written + 1) */
	uint64_t rx_seq;		/* highest sequence received (replay window right edge) */
	uint8_t key_len, iv_len;	/* 16/32, 4/12 */
	uint8_t pad2[6];
	uint8_t enc_key[32], enc_iv[12];	/* server_write: the kernel encrypts with these */
	uint8_t dec_key[32], dec_iv[12];	/* client_write: the kernel decrypts with these */
	uint32_t mtu;			/* data MTU the client will compute (§4.5) */
};
/* The receiver wipes the key fields as soon as the kernel has them. */

/*
 * main -> worker after DTLS_KEYS: status 0 when the kernel peer and keys are
 * in place, else -errno.  The worker sends DTLS_KEYS while its final flight
 * (ChangeCipherSpec + Finished) is held back, and lets it go only after
 * DTLS_READY: the client starts its MTU probes the moment it has our
 * Finished, and a probe that reaches the socket before the kernel owns the
 * session would go unanswered (the client then settles on MTU 576, §6.5).
 */
struct sk_ipc_dtls_ready {
	struct sk_ipc_hdr h;
	int32_t status;
	/* 1: the kernel now carries the whole session (kernel TLS and DTLS):
	 * the worker finishes this handshake and exits (main has already
	 * taken the session from it, ktls-handoff.md) */
	uint32_t done;
};

struct sk_ipc_dtls_fail {
	struct sk_ipc_hdr h;
	char reason[128];
};

/*
 * (added) worker -> main, with SCM_RIGHTS: the client's TCP socket, right
 * after the CONNECT reply went out in full and before anything more was
 * read, with the keys and record sequence numbers of that moment
 * (lib/sktls.h).  From this message on the worker neither reads nor
 * writes the socket.  Main checks that the socket is the one it accepted
 * for this worker, installs kernel TLS on it and makes it the kernel
 * peer's stream (kind ktls).  The receiver wipes the keys.
 */
struct sk_ipc_ktls {
	struct sk_ipc_hdr h;
	struct sk_ktls_keys keys;
	/* (added) with SK_CONNECT_DTLS (has_psk 1, else 0 and zeros): the
	 * DTLS PSK of PSK-NEGOTIATE, the TLS exporter value that every DTLS
	 * handshake of this TLS connection is keyed with.  Main keeps it with
	 * the session for the handshakes that come after the worker left
	 * (DTLS_RESUME); a secret: wiped, never logged or stored. */
	uint32_t has_psk;
	uint8_t dtls_psk[32];
	uint8_t pad[4];
};

/*
 * (added) main -> a DTLS worker: a worker started for one DTLS handshake
 * of a session whose own worker has left (the kernel carries it; its
 * TLS connection is kernel TLS).  It has no TCP connection: its
 * SK_WFD_CLIENT is the UDP socket main connected to the client, and it has
 * no key holder socket.  This message, its first and only input from
 * main besides KILL, carries the session's DTLS PSK (from KTLS) and the
 * ClientHello main read.  The worker runs the handshake (DTLS_KEYS,
 * DTLS_READY as for a connection's worker; DTLS_FAIL on failure) and
 * exits.  Main accepts nothing else from it.  The receiver wipes the PSK.
 */
#define SK_IPC_DGRAM_MAX 2048	/* the ClientHello of a DTLS_RESUME (openconnect's: ~200) */
struct sk_ipc_dtls_resume {
	struct sk_ipc_hdr h;
	uint8_t psk[32];
	uint32_t base_mtu, mtu;		/* as the CONNECT reply gave them */
	uint32_t dgram_len;
	uint32_t pad;
	/* uint8_t dgram[dgram_len]; */
};

/* worker -> main: no hand-off; reason: one keyword of sk_ktls_export */
struct sk_ipc_ktls_skip {
	struct sk_ipc_hdr h;
	char reason[32];
};

/*
 * main -> worker after KTLS: status 0 = the kernel carries the CSTP stream
 * (the worker closes its copy of the socket, keeps DTLS and KILL; with
 * done 1 there is no DTLS to wait for either: the worker exits, and the
 * session lives on in the kernel and main without it);
 * -errno with lost 0 = the socket is as it was (the worker relays as
 * before); lost 1 = kernel TLS is half installed, the connection is gone
 * (the worker ends; the client reconnects with its cookie).
 */
struct sk_ipc_ktls_ready {
	struct sk_ipc_hdr h;
	int32_t status;
	uint32_t lost;
	uint32_t done;
	uint32_t pad;
};

/* worker -> main: the CSTP connection ended */
enum sk_cstp_end_reason {
	SK_END_EOF = 1,		/* TCP/TLS closed without BYE: keep the cookie for the grace period */
	SK_END_BYE,		/* client DISCONNECT 0xB0: end the session, invalidate the cookie */
	SK_END_DPD,		/* dead peer */
	SK_END_ERROR,		/* protocol error from the client */
};
struct sk_ipc_cstp_end {
	struct sk_ipc_hdr h;
	uint32_t reason;
	char text[128];
};

/* main -> worker: end the tunnel (admin kill, timeout): CSTP DISCONNECT with text, then exit */
struct sk_ipc_kill {
	struct sk_ipc_hdr h;
	char text[128];
};

/* worker -> main: GET /profile/<token> (token: URL text, <= 64 chars) */
struct sk_ipc_profile {
	struct sk_ipc_hdr h;
	char token[72];
};
/* worker -> main: GET /proxy/<group>.pac (group: a group path name) */
struct sk_ipc_pac {
	struct sk_ipc_hdr h;
	char group[72];
};

/*
 * (added) worker -> main: one host scan request (anyconnect-protocol.md §3).
 *   TICKET: GET token.xml?ticket=T  -> reply 200 with the token, or 404
 *   REPORT: POST scan.xml, Cookie sdesktop=TOKEN; the worker parsed the body
 *           (lib/hostscan.h) into report, bad = 1 if it did not parse
 *           -> 200 stored, 400 bad (the scan then fails), 403 unknown token
 *   WAIT:   GET wait.html, Cookie sdesktop=TOKEN
 *           -> 200 done, 202 still waiting (the worker sends a refresh page),
 *              403 failed, unknown or no report within SKD_HS_WAIT seconds
 * ticket and token: what the client sent (URL-safe text, <= 47 bytes).
 */
enum sk_hs_op { SK_HS_TICKET = 1, SK_HS_REPORT, SK_HS_WAIT };
struct sk_ipc_hostscan {
	struct sk_ipc_hdr h;
	uint32_t op;			/* enum sk_hs_op */
	uint32_t bad;
	char ticket[48];
	char token[48];
	struct sk_hostscan report;
};
struct sk_ipc_hostscan_reply {
	struct sk_ipc_hdr h;
	uint32_t status;
	uint32_t pad;
	char token[48];			/* TICKET: the token of that ticket */
};

/* main -> worker (for PROFILE and PAC): status 200 with the package, 404/410 with a message body */
struct sk_ipc_profile_reply {
	struct sk_ipc_hdr h;
	uint32_t status;
	char content_type[64];
	char filename[64];
	uint32_t body_len;		/* <= SK_IPC_MAX - sizeof(*this) */
	/* uint8_t body[body_len]; */
};

/*
 * (added, issue 12 (b)) A posture re-check posted from inside a
 * quarantined tunnel (Documentation/decisions/posture.md, "Leaving
 * quarantine").  Main accepts the connection on the in-tunnel listener
 * (posture_recheck_port), finds the session by the connection's source
 * address and queues RECHECK_MODE on the worker's IPC socket before the
 * worker gets it: a worker that finds it there speaks plain HTTP (the
 * tunnel is the encryption), reads one POST of a host scan report, parses
 * it in its sandbox and sends RECHECK; main answers RECHECK_REPLY, the
 * worker writes it as the HTTP answer and exits.
 *
 *   RECHECK_MODE                       <-    (queued before the worker runs)
 *   RECHECK (bad, report)              ->    evaluate for the session
 *                                      <-    RECHECK_REPLY (status, text)
 */
struct sk_ipc_recheck_mode {
	struct sk_ipc_hdr h;
	uint64_t session_id;		/* for the worker's log only */
};

enum sk_recheck_bad {
	SK_RECHECK_OK = 0,		/* report holds the parsed report */
	SK_RECHECK_HTTP,		/* not one well-formed POST (http_status says which) */
	SK_RECHECK_MALFORMED,		/* the report did not parse (sk_hostscan_parse) */
};

struct sk_ipc_recheck {
	struct sk_ipc_hdr h;
	uint32_t bad;			/* enum sk_recheck_bad */
	uint32_t http_status;		/* SK_RECHECK_HTTP: 400, 405, 408, 413, ... */
	struct sk_hostscan report;
};

/* main -> worker: the HTTP status and the text to answer (UTF-8, ja and en) */
struct sk_ipc_recheck_reply {
	struct sk_ipc_hdr h;
	uint32_t status;
	uint32_t pad;
	char text[1024];
};

#endif
