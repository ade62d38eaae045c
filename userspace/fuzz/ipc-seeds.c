// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of ipc-fuzz (the input format is described at the
 * top of ipc-fuzz.c) with the real IPC structs of lib/ipc.h:
 *
 *   ipc-seeds OUTDIR CERTDIR      (make -C userspace/fuzz ipc-seeds)
 *
 * CERTDIR holds bob.der (issued by ipc/ca.pem to CN=bob), forged.der (a
 * self-signed CN=bob) and bob-fakeca.der (CN=bob from a CA with the real
 * CA's name and another key).  Reproducers the fuzzer found are kept in
 * the corpus next to these (names starting with "crash-" or "repro-").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

enum { FD_NONE, FD_DTLS, FD_UDP, FD_TCP, FD_UNIX, FD_PIPE, FD_TWO, FD_IPC };
#define FIX 8
#define PATCH 16
#define HUGE 32

static uint8_t in[1 << 20];
static size_t n;
static const char *outdir, *certdir;

static void begin(uint8_t flags)
{
	n = 0;
	in[n++] = flags;
}

static void put(const void *p, size_t len)
{
	if (n + len > sizeof(in))
		abort();
	memcpy(in + n, p, len);
	n += len;
}

static void op_send(int w, uint8_t opts, const void *msg, size_t len)
{
	uint8_t h[4] = { (uint8_t)(w << 2), opts, (uint8_t)len, (uint8_t)(len >> 8) };

	put(h, 4);
	put(msg, len);
}

static void op_hello_dg(uint8_t b)
{
	uint8_t h[2] = { 1, b };

	put(h, 2);
}

static void op_timers(uint8_t t)
{
	uint8_t h[2] = { 2, t };

	put(h, 2);
}

static void op_gone(int w)
{
	uint8_t h = (uint8_t)(3 | w << 2);

	put(&h, 1);
}

static void end(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(in, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static size_t load(const char *name, uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t r;

	snprintf(path, sizeof(path), "%s/%s", certdir, name);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	r = fread(buf, 1, len, f);
	fclose(f);
	return r;
}

static void hdr(void *m, uint16_t type, size_t len)
{
	struct sk_ipc_hdr *h = m;

	h->magic = SK_IPC_MAGIC;
	h->type = type;
	h->len = (uint32_t)len;
}

/* ---- messages ---- */

static void hello(int w)
{
	struct sk_ipc_hello m = { 0 };

	hdr(&m, SK_IPC_HELLO, sizeof(m));
	snprintf(m.tls_version, sizeof(m.tls_version), "TLSv1.3");
	snprintf(m.sni, sizeof(m.sni), "vpn.fuzz.test");
	op_send(w, FIX, &m, sizeof(m));
}

/* AUTH with fields (name, value, ..., NULL) and a certificate */
static void auth(int w, uint8_t opts, int is_init, const char *group, const uint8_t *cert,
		 size_t cert_len, ...)
{
	static uint8_t buf[SK_IPC_MAX];
	struct sk_ipc_auth *a = (void *)buf;
	size_t len = sizeof(*a);
	va_list ap;

	memset(buf, 0, sizeof(buf));
	a->is_init = (uint8_t)is_init;
	snprintf(a->group, sizeof(a->group), "%s", group);
	snprintf(a->lang, sizeof(a->lang), "ja");
	a->cert_len = (uint32_t)cert_len;
	if (cert_len)
		memcpy(buf + len, cert, cert_len);
	len += cert_len;
	va_start(ap, cert_len);
	for (;;) {
		const char *k = va_arg(ap, const char *), *v;

		if (!k)
			break;
		v = va_arg(ap, const char *);
		memcpy(buf + len, k, strlen(k) + 1);
		len += strlen(k) + 1;
		memcpy(buf + len, v, strlen(v) + 1);
		len += strlen(v) + 1;
		a->n_fields++;
	}
	va_end(ap);
	hdr(a, SK_IPC_AUTH, len);
	op_send(w, opts | FIX, buf, len);
}

static void login_alice(int w)
{
	auth(w, 0, 1, "staff", NULL, 0, NULL);
	auth(w, PATCH, 0, "staff", NULL, 0, "username", "alice", NULL);
	auth(w, PATCH, 0, "staff", NULL, 0, "username", "alice", "password", "Pw-alice-1", NULL);
}

static void connect_(int w, uint8_t opts, const char *cookie)
{
	struct sk_ipc_connect m = { 0 };

	hdr(&m, SK_IPC_CONNECT, sizeof(m));
	snprintf(m.cookie, sizeof(m.cookie), "%s", cookie);
	snprintf(m.hostname, sizeof(m.hostname), "laptop");
	m.ipv6 = 1;
	m.psk_negotiate = 1;
	m.base_mtu = 1400;
	op_send(w, opts | FIX, &m, sizeof(m));
}

static void dtls_keys(int w, uint8_t fds, uint32_t cipher, uint8_t key_len, uint8_t iv_len)
{
	struct sk_ipc_dtls_keys m = { 0 };

	hdr(&m, SK_IPC_DTLS_KEYS, sizeof(m));
	m.cipher = cipher;
	m.epoch = 1;
	m.tx_seq = 1;
	m.key_len = key_len;
	m.iv_len = iv_len;
	memset(m.enc_key, 0x11, sizeof(m.enc_key));
	memset(m.dec_key, 0x22, sizeof(m.dec_key));
	m.mtu = 1300;
	op_send(w, FIX | fds, &m, sizeof(m));
}

static void cstp_end(int w, uint32_t reason)
{
	struct sk_ipc_cstp_end m = { 0 };

	hdr(&m, SK_IPC_CSTP_END, sizeof(m));
	m.reason = reason;
	snprintf(m.text, sizeof(m.text), "bye");
	op_send(w, FIX, &m, sizeof(m));
}

/* (issue 16) the TLS connection to the kernel, or why not */
static void ktls(int w, uint8_t fds, uint16_t version, uint16_t cipher)
{
	struct sk_ipc_ktls m = { 0 };

	hdr(&m, SK_IPC_KTLS, sizeof(m));
	m.keys.version = version;
	m.keys.cipher = cipher;
	m.keys.tx_seq = 1;
	m.keys.rx_seq = 1;
	memset(m.keys.tx_key, 0x33, sizeof(m.keys.tx_key));
	memset(m.keys.rx_key, 0x44, sizeof(m.keys.rx_key));
	op_send(w, FIX | fds, &m, sizeof(m));
}

static void ktls_skip(int w, const char *reason)
{
	struct sk_ipc_ktls_skip m = { 0 };

	hdr(&m, SK_IPC_KTLS_SKIP, sizeof(m));
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	op_send(w, FIX, &m, sizeof(m));
}

static void dtls_fail(int w)
{
	struct sk_ipc_dtls_fail m = { 0 };

	hdr(&m, SK_IPC_DTLS_FAIL, sizeof(m));
	snprintf(m.reason, sizeof(m.reason), "handshake timed out");
	op_send(w, FIX, &m, sizeof(m));
}

static void profile(int w, const char *token)
{
	struct sk_ipc_profile m = { 0 };

	hdr(&m, SK_IPC_PROFILE, sizeof(m));
	snprintf(m.token, sizeof(m.token), "%s", token);
	op_send(w, FIX, &m, sizeof(m));
}

static void pac(int w, const char *group)
{
	struct sk_ipc_pac m = { 0 };

	hdr(&m, SK_IPC_PAC, sizeof(m));
	snprintf(m.group, sizeof(m.group), "%s", group);
	op_send(w, FIX, &m, sizeof(m));
}

static void hostscan(int w, uint32_t op, int bad)
{
	static struct sk_ipc_hostscan m;

	memset(&m, 0, sizeof(m));
	hdr(&m, SK_IPC_HOSTSCAN, sizeof(m));
	m.op = op;
	m.bad = (uint32_t)bad;
	snprintf(m.ticket, sizeof(m.ticket), "00112233445566778899aabbccddeeff");
	snprintf(m.token, sizeof(m.token), "ffeeddccbbaa99887766554433221100");
	op_send(w, FIX, &m, sizeof(m));
}

/* a tunnel of alice on worker w: login, CONNECT, DTLS ClientHello */
static void tunnel(int w)
{
	hello(w);
	login_alice(w);
	connect_(w, PATCH, "");
	op_hello_dg(0);
}

int main(int argc, char **argv)
{
	static const char *fdname[] = { "none", "dtls", "udp", "tcp", "unix", "pipe", "two", "ipc" };
	static const struct { uint16_t type; size_t size; const char *name; } fixed[] = {
		{ SK_IPC_HELLO, sizeof(struct sk_ipc_hello), "hello" },
		{ SK_IPC_CONNECT, sizeof(struct sk_ipc_connect), "connect" },
		{ SK_IPC_DTLS_KEYS, sizeof(struct sk_ipc_dtls_keys), "dtls-keys" },
		{ SK_IPC_DTLS_FAIL, sizeof(struct sk_ipc_dtls_fail), "dtls-fail" },
		{ SK_IPC_CSTP_END, sizeof(struct sk_ipc_cstp_end), "cstp-end" },
		{ SK_IPC_PROFILE, sizeof(struct sk_ipc_profile), "profile" },
		{ SK_IPC_PAC, sizeof(struct sk_ipc_pac), "pac" },
		{ SK_IPC_HOSTSCAN, sizeof(struct sk_ipc_hostscan), "hostscan" },
		{ SK_IPC_AUTH, sizeof(struct sk_ipc_auth), "auth" },
		{ SK_IPC_KTLS, sizeof(struct sk_ipc_ktls), "ktls" },
		{ SK_IPC_KTLS_SKIP, sizeof(struct sk_ipc_ktls_skip), "ktls-skip" },
		{ SK_IPC_RECHECK, sizeof(struct sk_ipc_recheck), "recheck" },
	};
	static uint8_t buf[SK_IPC_MAX], cert[4096];
	char name[128];
	size_t cl;

	if (argc != 3) {
		fprintf(stderr, "usage: ipc-seeds OUTDIR CERTDIR\n");
		return 2;
	}
	outdir = argv[1];
	certdir = argv[2];

	/* the whole life of a tunnel, DTLS keys with the socket main gave */
	begin(0);
	tunnel(0);
	dtls_keys(0, FD_DTLS, SK_CIPHER_AES128_GCM, 16, 4);
	dtls_fail(0);
	op_timers(1);
	cstp_end(0, SK_END_EOF);
	connect_(1, PATCH, "");
	op_hello_dg(0);
	dtls_keys(1, FD_DTLS, SK_CIPHER_CHACHA20_POLY1305, 32, 12);
	cstp_end(1, SK_END_BYE);
	end("tunnel-life");

	/* DTLS_KEYS with every other kind of descriptor, after a real
	 * DTLS_START: a compromised worker hands main something else */
	for (int k = FD_NONE; k <= FD_IPC; k++) {
		if (k == FD_DTLS)
			continue;
		begin(0);
		tunnel(0);
		dtls_keys(0, (uint8_t)k, SK_CIPHER_AES256_GCM, 32, 4);
		snprintf(name, sizeof(name), "dtls-keys-fd-%s", fdname[k]);
		end(name);
	}
	/* out of order: DTLS_KEYS before any login, after CONNECT without a
	 * DTLS_START, twice for one DTLS_START */
	begin(0);
	hello(0);
	dtls_keys(0, FD_UDP, SK_CIPHER_AES128_GCM, 16, 4);
	end("dtls-keys-before-login");
	begin(0);
	hello(0);
	login_alice(0);
	connect_(0, PATCH, "");
	dtls_keys(0, FD_UDP, SK_CIPHER_AES128_GCM, 16, 4);
	end("dtls-keys-without-start");
	begin(0);
	tunnel(0);
	dtls_keys(0, FD_DTLS, SK_CIPHER_AES128_GCM, 16, 4);
	dtls_keys(0, FD_DTLS, SK_CIPHER_AES128_GCM, 16, 4);
	end("dtls-keys-twice");
	begin(0);
	tunnel(0);
	dtls_keys(0, FD_DTLS, SK_CIPHER_AES128_GCM, 32, 12);
	dtls_keys(0, FD_DTLS, 77, 16, 4);
	end("dtls-keys-bad-cipher");

	/* KTLS with every kind of descriptor (none is the client's socket
	 * main accepted: each must kill the worker), before a tunnel, twice;
	 * KTLS_SKIP with a keyword and with garbage */
	for (int k = FD_NONE; k <= FD_IPC; k++) {
		begin(0);
		tunnel(0);
		ktls(0, (uint8_t)k, 0x0304, 1);
		snprintf(name, sizeof(name), "ktls-fd-%s", fdname[k]);
		end(name);
	}
	begin(0);
	hello(0);
	ktls(0, FD_TCP, 0x0303, 3);
	ktls_skip(0, "cipher");
	end("ktls-before-login");
	begin(0);
	tunnel(0);
	ktls_skip(0, "cipher");
	ktls_skip(0, "pending");
	ktls(0, FD_TCP, 0x0302, 9);
	end("ktls-twice");
	begin(0);
	tunnel(0);
	ktls_skip(0, "Bad Reason\n");
	end("ktls-skip-garbage");

	/* CONNECT before login, with a made-up cookie, twice on one worker */
	begin(0);
	hello(0);
	connect_(0, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	connect_(1, PATCH, "");
	end("connect-before-login");
	begin(0);
	tunnel(0);
	connect_(0, PATCH, "");
	end("connect-twice");
	/* one cookie, two connections; the first one's process ends */
	begin(0);
	tunnel(0);
	connect_(1, PATCH, "");
	op_gone(0);
	op_hello_dg(0);
	dtls_keys(1, FD_DTLS, SK_CIPHER_AES128_GCM, 16, 4);
	op_timers(40);
	end("connect-supersede");
	/* CSTP_END and DTLS_FAIL without a tunnel, AUTH after the tunnel */
	begin(0);
	cstp_end(0, SK_END_BYE);
	dtls_fail(0);
	tunnel(1);
	login_alice(1);
	profile(1, "abcdefghijklmnop");
	end("out-of-order");

	/* the certificate factor: a real one, forged ones, garbage */
	{
		static const char *certs[] = { "bob.der", "forged.der", "bob-fakeca.der" };

		for (size_t i = 0; i < 3; i++) {
			cl = load(certs[i], cert, sizeof(cert));
			begin(0);
			hello(0);
			auth(0, 0, 1, "certs", cert, cl, NULL);
			auth(0, PATCH, 0, "certs", cert, cl, "username", "bob", NULL);
			auth(0, PATCH, 0, "certs", cert, cl, "username", "bob", "password", "Pw-bob-1", NULL);
			connect_(0, PATCH, "");
			snprintf(name, sizeof(name), "cert-%s", certs[i]);
			end(name);
		}
		cl = load("bob.der", cert, sizeof(cert));
		begin(0);
		auth(0, 0, 1, "certs", cert, cl / 2, NULL);
		auth(0, 0, 1, "certs", (const uint8_t *)"\x30\x82\xff\xff", 4, NULL);
		end("cert-truncated");
	}

	/* every fixed-size type: one byte short, one too many, oversized,
	 * a wrong magic, a length field that lies */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t sz = fixed[i].size;

		memset(buf, 0, sizeof(buf));
		hdr(buf, fixed[i].type, sz);
		begin(0);
		op_send(0, FIX, buf, sz - 1);
		op_send(1, FIX, buf, sz + 1);
		op_send(2, FIX | HUGE, buf, sz);
		snprintf(name, sizeof(name), "size-%s", fixed[i].name);
		end(name);
		begin(0);
		((struct sk_ipc_hdr *)buf)->magic = 0x50494b53;
		op_send(0, 0, buf, sz);
		((struct sk_ipc_hdr *)buf)->magic = SK_IPC_MAGIC;
		((struct sk_ipc_hdr *)buf)->len = (uint32_t)sz + 4;
		op_send(1, 0, buf, sz);
		op_send(2, 0, buf, 3);
		snprintf(name, sizeof(name), "header-%s", fixed[i].name);
		end(name);
	}
	/* types main never takes from a worker, and an empty message */
	begin(0);
	{
		static const uint16_t bad[] = { 0, SK_IPC_AUTH_REPLY, SK_IPC_CONNECT_REPLY,
						SK_IPC_DTLS_START, SK_IPC_KILL, SK_IPC_DTLS_READY,
						SK_IPC_PROFILE_REPLY, SK_IPC_HOSTSCAN_REPLY, 999 };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(buf, 0, 64);
			hdr(buf, bad[i], 64);
			op_send((int)(i % 3), FIX, buf, 64);
		}
		op_send(0, FIX, buf, 0);
	}
	end("types-main-sends");

	/* AUTH's variable part */
	{
		struct sk_ipc_auth *a = (void *)buf;

		begin(0);
		memset(buf, 0, sizeof(buf));
		a->n_fields = 17;
		hdr(a, SK_IPC_AUTH, sizeof(*a));
		op_send(0, FIX, buf, sizeof(*a));
		a->n_fields = 1;
		a->cert_len = 0xffffffffu;
		op_send(1, FIX, buf, sizeof(*a) + 8);
		a->cert_len = 0;
		memset(buf + sizeof(*a), 'x', 3000);	/* a name without its NUL */
		op_send(2, FIX, buf, sizeof(*a) + 3000);
		end("auth-fields");
		begin(0);
		memset(buf, 0, sizeof(buf));
		memset(a->context, 'c', sizeof(a->context));	/* no NUL */
		hdr(a, SK_IPC_AUTH, sizeof(*a));
		op_send(0, FIX, buf, sizeof(*a));
		memset(buf, 0, sizeof(buf));
		a->is_init = 1;
		memset(a->lang, 'j', sizeof(a->lang));
		op_send(1, FIX, buf, sizeof(*a));
		auth(2, 0, 0, "", NULL, 0, "username", "nobody", "password", "x", NULL);
		auth(2, 0, 1, "no-such-group", NULL, 0, "username", "alice\n", NULL);
		end("auth-strings");
	}

	/* profile, PAC, host scans (on and off) */
	begin(0);
	profile(0, "abcdefghijklmnopqrstuvwxyz012345");
	profile(1, "../../etc/passwd");
	pac(2, "staff");
	pac(2, "certs");
	pac(2, "nope");
	end("profile-pac");
	for (int on = 0; on < 2; on++) {
		begin((uint8_t)on);
		hello(0);
		auth(0, 0, 1, "staff", NULL, 0, NULL);
		hostscan(0, SK_HS_TICKET, 0);
		hostscan(0, SK_HS_REPORT, 0);
		hostscan(1, SK_HS_REPORT, 1);
		hostscan(1, SK_HS_WAIT, 0);
		hostscan(2, 9, 0);
		login_alice(0);
		snprintf(name, sizeof(name), "hostscan-%s", on ? "on" : "off");
		end(name);
	}

	/* in-tunnel posture re-checks (recheck.c): worker 2 becomes one after
	 * alice's tunnel (settings bit 1): a report that passes, then the
	 * same session at once (too soon), a malformed report, another type */
	{
		static struct sk_ipc_recheck m;

		begin(2);
		tunnel(0);
		op_gone(2);
		memset(&m, 0, sizeof(m));
		hdr(&m, SK_IPC_RECHECK, sizeof(m));
		m.report.posture.format = 1;
		m.report.posture.n_av = 1;
		memcpy(m.report.posture.av[0].vendor, "clamav", 7);
		op_send(2, FIX, &m, sizeof(m));
		op_gone(2);
		op_send(2, FIX, &m, sizeof(m));
		op_gone(2);
		m.bad = SK_RECHECK_MALFORMED;
		memset(m.report.posture.av[0].name, 'x', sizeof(m.report.posture.av[0].name));
		m.report.posture.n_av = 200;
		op_send(2, FIX, &m, sizeof(m));
		op_gone(2);
		hello(2);
		end("recheck");
	}

	/* (issue 16) a DTLS worker (dtlsw.c): worker 1 after alice's tunnel
	 * lost its worker (settings bit 2): its DTLS_FAIL is taken, its
	 * CSTP_END (which would end the session) kills it; again: a HELLO */
	begin(4);
	tunnel(0);
	op_gone(0);
	op_gone(1);
	dtls_fail(1);
	op_gone(1);
	cstp_end(1, SK_END_BYE);
	op_gone(1);
	hello(1);
	end("dtls-worker");
	return 0;
}
