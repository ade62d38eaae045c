/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod's bootstrap configuration: the few settings the daemon needs
 * before it can open the store (everything else lives in the store and is
 * changed with sekictl).  File format: "key = value" lines, '#' comments,
 * blank lines; an unknown key or a bad value is an error naming the line.
 * Documentation/admin/sekishod.md lists every key.
 */
#ifndef SEKISHOD_CONF_H
#define SEKISHOD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SKD_CONF_DEFAULT	"/etc/sekisho/sekishod.conf"
#define SKD_CONF_MAX		(64 << 10)	/* larger files are refused */
#define SKD_LISTEN_MAX		8
#define SKD_PATH_MAX		256
#define SKD_STR_MAX		256
#define SKD_DTLS_CIPHERS	"PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-CHACHA20-POLY1305"

#define SKD_GENERATION_MAX 4096	/* worker_generation's upper bound */

struct skd_conf {
	int n_listen;
	struct sockaddr_storage listen[SKD_LISTEN_MAX];	/* port in network order */
	socklen_t listen_len[SKD_LISTEN_MAX];
	uint16_t dtls_port;
	char server_cert[SKD_PATH_MAX];
	char server_key[SKD_PATH_MAX];
	char client_ca[SKD_PATH_MAX];	/* "" = no client certificates */
	char crl[SKD_PATH_MAX];
	char ocsp[SKD_STR_MAX];		/* "none", "aia" or a URL */
	char store[SKD_PATH_MAX];
	char device[16];		/* IFNAMSIZ */
	char control[108];		/* sun_path */
	char user[64];
	char admin_group[64];
	char smtp_url[SKD_STR_MAX];
	char smtp_from[SKD_STR_MAX];
	char smtp_user[SKD_STR_MAX];
	char smtp_password_file[SKD_PATH_MAX];
	/* tunnel tuning (sekisho additions, see the admin guide; DPD, keepalive
	 * and the reconnect grace are store settings session.*) */
	int mtu;			/* link MTU of the outer network, default 1500 */
	char dtls_ciphers[128];		/* OpenSSL list, only the three AEAD PSK suites */
	int rekey_time;			/* X-CSTP-Rekey-Time (new-tunnel), 0 = none, default 86400 */
	int max_preauth;		/* concurrent workers without a tunnel, default 256 */
	int hash_threads;		/* argon2id threads, 0 = one per CPU (max 16) */
	int rate_per_source;		/* TCP connections per source per 10 s, default 30 */
	int worker_generation;		/* workers forked by one template, default 64; 0: none */
	bool audit_syslog;		/* every audit record to syslog too, default yes */
	char audit_syslog_socket[108];	/* its socket, default /dev/log */
	/* this gateway's name in the audit trail and on its session rows
	 * (gateway =; "" = the host name): several gateways share a store */
	char gateway[65];		/* SK_NAME_MAX + 1 */
	struct sockaddr_storage metrics_listen;	/* Prometheus listener, off when len 0 */
	socklen_t metrics_listen_len;
	char metrics_token_file[SKD_PATH_MAX];	/* its bearer token (required with it) */
	/* TLS on the metrics listener: its own certificate and key (never the
	 * gateway's: main does not hold that key); both "" = plain HTTP */
	char metrics_cert[SKD_PATH_MAX];
	char metrics_key[SKD_PATH_MAX];
	/* seconds between two audit prunes, default 86400 (a day), the first
	 * min(60, this) after the start; a smaller value is for tests only */
	int audit_prune_interval;
	/* (issue 12 (b)) the TCP port of the in-tunnel posture re-check
	 * listener (recheck.c): any address of the sekisho device, only what
	 * comes out of a tunnel; 0 = off (leaving quarantine: a new login) */
	int posture_recheck_port;
	bool foreground;		/* -f */
};

void skd_conf_defaults(struct skd_conf *c);
/*
 * Parses text (len bytes, need not be NUL-terminated) into c, which holds
 * the defaults.  Returns 0, or -1 with "line N: reason" in err.
 */
int skd_conf_parse(struct skd_conf *c, const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses path; -1 with the reason (file errors included) in err. */
int skd_conf_load(struct skd_conf *c, const char *path, char *err, size_t errlen);
/* "0.0.0.0:443", "[::]:443" */
void skd_conf_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
