// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl diagnose: see skdiag.h.  Each check says one line per thing it
 * looked at; what it cannot know (no sekishod.conf, a tool that is not
 * installed) is a warning that says so, never an "ok".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "admin_int.h"
#include "skauth.h"
#include "skbackup.h"
#include "skdiag.h"
#include "skparse.h"
#include "sktext.h"

#define DIAG_EXPIRY_WARN_DAYS	30
#define DIAG_CRL_WARN_DAYS	7
#define DIAG_SMTP_TIMEOUT_MS	5000
#define DAY 86400

struct ska_diag {
	const struct ska_diag_opt *o;
	int n, errors, warnings;
	int64_t now;
	/* the bootstrap file's keys diagnose needs (defaults as sekishod's) */
	char conf[512], store[512], device[16], server_cert[256], server_key[256];
	char client_ca[256], crl[256], smtp_url[256], dtls_port[8];
	char listen[8][80];
	int n_listen;
	bool have_conf;
};

void ska_diag_say(struct ska_diag *d, enum ska_diag_level level, const char *check,
		  const char *en, const char *ja, ...)
{
	static const char *const tag[] = { "ok", "warning", "error" };
	char men[1024], mja[1024];
	FILE *f = d->o->out;
	va_list ap, aq;

	va_start(ap, ja);
	va_copy(aq, ap);
	vsnprintf(men, sizeof(men), en, ap);
	vsnprintf(mja, sizeof(mja), ja, aq);
	va_end(aq);
	va_end(ap);
	if (d->o->json) {
		struct sk_json j;

		fputs(d->n ? ",\n " : "[", f);
		sk_json_init(&j, f);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "check", check);
		sk_json_str(&j, "status", tag[level]);
		sk_json_str(&j, "message", d->o->ja ? mja : men);
		sk_json_str(&j, "en", men);
		sk_json_str(&j, "ja", mja);
		sk_json_obj_end(&j);
	} else {
		fprintf(f, "%-8s%-14s %s\n", tag[level], check, d->o->ja ? mja : men);
	}
	d->n++;
	d->errors += level == SKA_DIAG_ERR;
	d->warnings += level == SKA_DIAG_WARN;
}

/* ------------------------------------------------------ the bootstrap file */

/* Calls fn(value) for every "key = value" line of conf; false: no file. */
static bool conf_each(const char *conf, const char *key, void (*fn)(const char *v, void *arg),
		      void *arg)
{
	char line[512];
	size_t kl = strlen(key);
	FILE *f = fopen(conf, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *k = line + strspn(line, " \t"), *v, *e;

		if (strncmp(k, key, kl) || !strchr(" \t=", k[kl]))
			continue;
		v = k + kl + strspn(k + kl, " \t");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " \t");
		for (e = v + strcspn(v, "\r\n"); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		fn(v, arg);
	}
	fclose(f);
	return true;
}

struct conf_val { char *out; size_t len; bool found; };

static void take_last(const char *v, void *arg)
{
	struct conf_val *c = arg;

	if (*v && strlen(v) < c->len) {
		snprintf(c->out, c->len, "%s", v);
		c->found = true;
	}
}

bool ska_conf_get(const char *conf, const char *key, char *out, size_t len)
{
	struct conf_val c = { out, len, false };

	return conf_each(conf, key, take_last, &c) && c.found;
}

static void take_listen(const char *v, void *arg)
{
	struct ska_diag *d = arg;

	if (d->n_listen < 8 && *v && strlen(v) < sizeof(d->listen[0]))
		snprintf(d->listen[d->n_listen++], sizeof(d->listen[0]), "%s", v);
}

static void read_conf(struct ska_diag *d)
{
	snprintf(d->conf, sizeof(d->conf), "%s", d->o->config ? d->o->config : SKA_DEFAULT_CONFIG);
	snprintf(d->device, sizeof(d->device), "sk0");
	snprintf(d->server_cert, sizeof(d->server_cert), "/etc/sekisho/server.pem");
	snprintf(d->server_key, sizeof(d->server_key), "/etc/sekisho/server.key");
	snprintf(d->dtls_port, sizeof(d->dtls_port), "443");
	d->have_conf = conf_each(d->conf, "listen", take_listen, d);
	if (!d->n_listen)
		snprintf(d->listen[d->n_listen++], sizeof(d->listen[0]), "0.0.0.0:443");
	ska_conf_get(d->conf, "store", d->store, sizeof(d->store));
	ska_conf_get(d->conf, "device", d->device, sizeof(d->device));
	ska_conf_get(d->conf, "server_cert", d->server_cert, sizeof(d->server_cert));
	ska_conf_get(d->conf, "server_key", d->server_key, sizeof(d->server_key));
	ska_conf_get(d->conf, "client_ca", d->client_ca, sizeof(d->client_ca));
	ska_conf_get(d->conf, "crl", d->crl, sizeof(d->crl));
	ska_conf_get(d->conf, "smtp_url", d->smtp_url, sizeof(d->smtp_url));
	ska_conf_get(d->conf, "dtls_port", d->dtls_port, sizeof(d->dtls_port));
	if (d->o->store)
		snprintf(d->store, sizeof(d->store), "%s", d->o->store);
	else if (!d->store[0])
		snprintf(d->store, sizeof(d->store), "%s", SKA_DEFAULT_STORE);
	if (d->have_conf)
		ska_diag_say(d, SKA_DIAG_OK, "config", "%s read (device %s, %d listener(s))",
			     "%s を読みました（デバイス %s、待ち受け %d 件）", d->conf, d->device,
			     d->n_listen);
	else
		ska_diag_say(d, SKA_DIAG_WARN, "config", "%s cannot be read: the defaults are "
			     "checked (device %s, listen 0.0.0.0:443); give --config FILE",
			     "%s を読めません。既定値（デバイス %s、待ち受け 0.0.0.0:443）で確認します。"
			     "--config FILE を指定してください", d->conf, d->device);
}

/* -------------------------------------------------------- /proc and /sys */

/* The first line of root/path without its newline; false if unreadable. */
static bool read_line(struct ska_diag *d, const char *path, char *buf, size_t len)
{
	char p[512];
	FILE *f;
	bool ok;

	snprintf(p, sizeof(p), "%s%s", d->o->root ? d->o->root : "", path);
	if (!(f = fopen(p, "re")))
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static void check_module_device(struct ska_diag *d)
{
	char buf[64], path[96];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/sys/module/sekisho", d->o->root ? d->o->root : "");
	if (!stat(path, &sb))
		ska_diag_say(d, SKA_DIAG_OK, "module", "the sekisho module is loaded%s",
			     "sekisho モジュールは読み込まれています%s", "");
	else
		ska_diag_say(d, SKA_DIAG_ERR, "module", "the sekisho module is not loaded: "
			     "modprobe sekisho (Debian: apt install sekisho-dkms)%s",
			     "sekisho モジュールが読み込まれていません。modprobe sekisho を実行して"
			     "ください（Debian: apt install sekisho-dkms）%s", "");
	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", d->device);
	if (!read_line(d, path, buf, sizeof(buf)))
		ska_diag_say(d, SKA_DIAG_ERR, "device", "no device %s: sekishod creates it at "
			     "start (systemctl start sekishod; journalctl -u sekishod)",
			     "デバイス %s がありません。sekishod が起動時に作成します（systemctl start "
			     "sekishod、journalctl -u sekishod で確認）", d->device);
	else if (!(strtoul(buf, NULL, 16) & 1))
		ska_diag_say(d, SKA_DIAG_ERR, "device", "device %s is down: ip link set %s up, "
			     "or restart sekishod", "デバイス %s が停止しています。ip link set %s up "
			     "を実行するか、sekishod を再起動してください", d->device, d->device);
	else
		ska_diag_say(d, SKA_DIAG_OK, "device", "device %s is up%s",
			     "デバイス %s は動作しています%s", d->device, "");
}

static void check_forwarding(struct ska_diag *d, bool v4, bool v6)
{
	static const struct { const char *path, *name, *sysctl; } f[] = {
		{ "/proc/sys/net/ipv4/ip_forward", "IPv4", "net.ipv4.ip_forward" },
		{ "/proc/sys/net/ipv6/conf/all/forwarding", "IPv6",
		  "net.ipv6.conf.all.forwarding" },
	};
	char buf[16];

	for (int i = 0; i < 2; i++) {
		if (!(i ? v6 : v4))
			continue;
		if (!read_line(d, f[i].path, buf, sizeof(buf)))
			ska_diag_say(d, SKA_DIAG_WARN, "forwarding", "%s forwarding: %s cannot be read",
				     "%s 転送: %s を読めません", f[i].name, f[i].path);
		else if (strcmp(buf, "1"))
			ska_diag_say(d, SKA_DIAG_ERR, "forwarding", "%s forwarding is off: sysctl -w "
				     "%s=1 (and in /etc/sysctl.d/ to keep it)",
				     "%s の転送が無効です。sysctl -w %s=1 を実行し、/etc/sysctl.d/ にも"
				     "書いてください", f[i].name, f[i].sysctl);
		else
			ska_diag_say(d, SKA_DIAG_OK, "forwarding", "%s forwarding is on%s",
				     "%s の転送は有効です%s", f[i].name, "");
	}
}

/* ----------------------------------------------------- routes and NAT */

static void hexaddr4(const char *h, uint8_t out[4])
{
	uint32_t v = (uint32_t)strtoul(h, NULL, 16);	/* /proc/net/route: host order */

	memcpy(out, &v, 4);
}

/* A route for the pool p (family, address, length) on the device? */
static bool pool_routed(struct ska_diag *d, const struct sk_prefix *p)
{
	char path[512], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", d->o->root ? d->o->root : "",
		 p->addr.family == AF_INET ? "/proc/net/route" : "/proc/net/ipv6_route");
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char dev[32], dst[40], mask[40];
		uint8_t a[16] = { 0 }, m[4];
		unsigned int plen = 0;

		if (p->addr.family == AF_INET) {
			if (sscanf(line, "%31s %39s %*s %*s %*s %*s %*s %39s", dev, dst, mask) != 3)
				continue;
			hexaddr4(dst, a);
			hexaddr4(mask, m);
			for (int i = 0; i < 4; i++)
				plen += (unsigned int)__builtin_popcount(m[i]);
			found = !strcmp(dev, d->device) && plen == p->len && !memcmp(a, p->addr.a, 4);
		} else {
			if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %31s", dst, &plen,
				   dev) != 3)
				continue;
			for (int i = 0; i < 16; i++) {
				unsigned int b;

				sscanf(dst + 2 * i, "%2x", &b);
				a[i] = (uint8_t)b;
			}
			found = !strcmp(dev, d->device) && plen == p->len && !memcmp(a, p->addr.a, 16);
		}
	}
	fclose(f);
	return found;
}

static char *nat_text(struct ska_diag *d)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m, *p;

	if (d->o->nat_rules)
		return strdup(d->o->nat_rules);
	if (!(m = open_memstream(&buf, &len)))
		return NULL;
	p = popen("nft list ruleset 2>/dev/null; iptables-save -t nat 2>/dev/null; "
		  "ip6tables-save -t nat 2>/dev/null", "r");
	while (p && (n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, m);
	if (p)
		pclose(p);
	fclose(m);
	return buf;
}

static void check_pool(struct ska_diag *d, const struct sk_group *g, const char *pool,
		       const char *nat)
{
	struct sk_prefix p;
	char shown[SK_ADDR_MAX];

	if (!pool[0] || sk_parse_prefix(pool, &p, NULL, 0))
		return;
	sk_text_escape(pool, shown, sizeof(shown));
	if (pool_routed(d, &p))
		ska_diag_say(d, SKA_DIAG_OK, "route", "pool %s of group %s is routed to %s",
			     "グループ %2$s のプール %1$s は %3$s に経路があります", shown, g->name,
			     d->device);
	else
		ska_diag_say(d, SKA_DIAG_ERR, "route", "pool %s of group %s has no route on %s: "
			     "sekishod adds it at start (is it running? ip route show dev %s)",
			     "グループ %2$s のプール %1$s の経路が %3$s にありません。sekishod が起動時に"
			     "追加します（起動していますか？ ip route show dev %4$s）", shown, g->name,
			     d->device, d->device);
	/* NAT: a masquerade (or SNAT) rule naming the pool; without one the
	 * internal network must route the pool back to the gateway */
	if (nat && strstr(nat, pool) && (strstr(nat, "masquerade") || strstr(nat, "MASQUERADE") ||
					 strstr(nat, "snat") || strstr(nat, "SNAT")))
		ska_diag_say(d, SKA_DIAG_OK, "nat", "pool %s: a NAT rule names it%s",
			     "プール %s: NAT の規則があります%s", shown, "");
	else
		ska_diag_say(d, SKA_DIAG_WARN, "nat", "pool %s: no NAT rule names it: the internal "
			     "network must route %s to this gateway, or add one (nft add rule ip nat "
			     "postrouting ip saddr %s masquerade)",
			     "プール %s: NAT の規則がありません。社内ネットワークから %s への経路をこの"
			     "ゲートウェイに向けるか、NAT を設定してください（nft add rule ip nat "
			     "postrouting ip saddr %s masquerade）", shown, shown, shown);
}

/* ---------------------------------------------------------------- listeners */

/* A socket on port in root/proc/net/<file> in state st (0A listen, 07 udp) */
static bool proc_net_has(struct ska_diag *d, const char *file, unsigned int port, unsigned int st)
{
	char path[512], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/net/%s", d->o->root ? d->o->root : "", file);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned int p, s;
		char *colon;

		if (sscanf(line, " %*s %63s %*s %x", local, &s) != 2 || !(colon = strrchr(local, ':')))
			continue;
		p = (unsigned int)strtoul(colon + 1, NULL, 16);
		found = p == port && s == st;
	}
	fclose(f);
	return found;
}

static void check_listeners(struct ska_diag *d)
{
	unsigned long udp = strtoul(d->dtls_port, NULL, 10);

	for (int i = 0; i < d->n_listen; i++) {
		const char *c = strrchr(d->listen[i], ':');
		unsigned long port = c ? strtoul(c + 1, NULL, 10) : 0;

		if (port && (proc_net_has(d, "tcp", (unsigned int)port, 0x0a) ||
			     proc_net_has(d, "tcp6", (unsigned int)port, 0x0a)))
			ska_diag_say(d, SKA_DIAG_OK, "listen-tcp", "TCP %s is listening%s",
				     "TCP %s で待ち受けています%s", d->listen[i], "");
		else
			ska_diag_say(d, SKA_DIAG_ERR, "listen-tcp", "nothing listens on TCP %s: is "
				     "sekishod running? (systemctl status sekishod; another program "
				     "on the port?)", "TCP %s で待ち受けているものがありません。"
				     "sekishod は起動していますか？（systemctl status sekishod、ほかの"
				     "プログラムがポートを使っていませんか）", d->listen[i]);
	}
	if (udp && (proc_net_has(d, "udp", (unsigned int)udp, 0x07) ||
		    proc_net_has(d, "udp6", (unsigned int)udp, 0x07)))
		ska_diag_say(d, SKA_DIAG_OK, "listen-udp", "UDP %lu (DTLS) is bound%s",
			     "UDP %lu（DTLS）で待ち受けています%s", udp, "");
	else
		ska_diag_say(d, SKA_DIAG_WARN, "listen-udp", "nothing on UDP %lu (DTLS): tunnels "
			     "fall back to TLS over TCP (slower); is sekishod running, dtls_port right?",
			     "UDP %lu（DTLS）で待ち受けているものがありません。トンネルは TCP 上の TLS "
			     "になります（遅くなります）。sekishod の起動と dtls_port を確認してください",
			     udp);
}

/* ------------------------------------------------------------ certificates */

static STACK_OF(X509) *read_certs(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f || !sk) {
		if (f)
			fclose(f);
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	fclose(f);
	if (!sk_X509_num(sk)) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

/* days from now to t (negative: past) */
static int days_to(struct ska_diag *d, const ASN1_TIME *t)
{
	int days = 0, secs = 0;
	ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)d->now);

	if (!now || !ASN1_TIME_diff(&days, &secs, now, t))
		days = 0;
	ASN1_TIME_free(now);
	return days - (secs < 0 && days <= 0);
}

static void check_server_cert(struct ska_diag *d)
{
	STACK_OF(X509) *sk = read_certs(d->server_cert);
	X509 *leaf;
	EVP_PKEY *key = NULL;
	FILE *f;
	int days, n, i;

	if (!sk) {
		ska_diag_say(d, SKA_DIAG_ERR, "server-cert", "%s: no certificate can be read: "
			     "install the server certificate chain (PEM) there",
			     "%s: 証明書を読めません。サーバー証明書のチェーン（PEM）を置いてください",
			     d->server_cert);
		return;
	}
	leaf = sk_X509_value(sk, 0);
	n = sk_X509_num(sk);
	days = days_to(d, X509_get0_notAfter(leaf));
	if (X509_cmp_time(X509_get0_notBefore(leaf), &(time_t){ (time_t)d->now }) > 0)
		ska_diag_say(d, SKA_DIAG_ERR, "server-cert", "%s is not valid yet: check the "
			     "clock, or the certificate%s", "%s はまだ有効ではありません。時刻か証明書を"
			     "確認してください%s", d->server_cert, "");
	else if (days < 0)
		ska_diag_say(d, SKA_DIAG_ERR, "server-cert", "%s expired %d day(s) ago: renew it, "
			     "then systemctl reload sekishod", "%s は %d 日前に期限切れです。更新して "
			     "systemctl reload sekishod を実行してください", d->server_cert, -days);
	else if (days < DIAG_EXPIRY_WARN_DAYS)
		ska_diag_say(d, SKA_DIAG_WARN, "server-cert", "%s expires in %d day(s): renew it, "
			     "then systemctl reload sekishod (no session is dropped)",
			     "%s はあと %d 日で期限切れです。更新して systemctl reload sekishod を実行"
			     "してください（セッションは切れません）", d->server_cert, days);
	else
		ska_diag_say(d, SKA_DIAG_OK, "server-cert", "%s is valid for %d more days",
			     "%s はあと %d 日有効です", d->server_cert, days);
	/* the chain: each certificate issued by the next one in the file */
	for (i = 0; i + 1 < n; i++)
		if (X509_check_issued(sk_X509_value(sk, i + 1), sk_X509_value(sk, i)) != X509_V_OK)
			break;
	if (i + 1 < n)
		ska_diag_say(d, SKA_DIAG_ERR, "server-chain", "%s: certificate %d is not issued by "
			     "certificate %d: put the chain in order (server, intermediates)",
			     "%s: %d 番目の証明書は %d 番目の証明書の発行したものではありません。"
			     "サーバー証明書、中間証明書の順に並べてください", d->server_cert, i + 1, i + 2);
	else if (n == 1 && X509_check_issued(leaf, leaf) != X509_V_OK)
		ska_diag_say(d, SKA_DIAG_WARN, "server-chain", "%s holds the server certificate "
			     "only: clients need its intermediate certificates, append them%s",
			     "%s にはサーバー証明書しかありません。中間証明書を後ろに追加して"
			     "ください%s", d->server_cert, "");
	else
		ska_diag_say(d, SKA_DIAG_OK, "server-chain", "%s: a chain of %d certificate(s) in "
			     "order", "%s: %d 枚の証明書が順に並んでいます", d->server_cert, n);
	if ((f = fopen(d->server_key, "re"))) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!key)
		ska_diag_say(d, SKA_DIAG_ERR, "server-key", "%s cannot be read (run as root; "
			     "mode 0600)%s", "%s を読めません（root で実行してください。モードは "
			     "0600）%s", d->server_key, "");
	else if (!X509_check_private_key(leaf, key))
		ska_diag_say(d, SKA_DIAG_ERR, "server-key", "%s is not the key of %s: install the "
			     "matching pair", "%s は %s の鍵ではありません。対になる鍵を置いてください",
			     d->server_key, d->server_cert);
	else
		ska_diag_say(d, SKA_DIAG_OK, "server-key", "%s matches the certificate%s",
			     "%s は証明書と対になっています%s", d->server_key, "");
	EVP_PKEY_free(key);
	sk_X509_pop_free(sk, X509_free);
}

static void check_client_ca_crl(struct ska_diag *d)
{
	STACK_OF(X509) *sk;
	X509_CRL *crl = NULL;
	FILE *f;
	int days;

	if (!d->client_ca[0]) {
		ska_diag_say(d, SKA_DIAG_OK, "client-ca", "no client_ca: client certificates are "
			     "not used%s", "client_ca の設定はありません（クライアント証明書は使い"
			     "ません）%s", "");
		return;
	}
	if (!(sk = read_certs(d->client_ca))) {
		ska_diag_say(d, SKA_DIAG_ERR, "client-ca", "%s: no certificate can be read%s",
			     "%s: 証明書を読めません%s", d->client_ca, "");
	} else {
		days = days_to(d, X509_get0_notAfter(sk_X509_value(sk, 0)));
		if (days < 0)
			ska_diag_say(d, SKA_DIAG_ERR, "client-ca", "%s expired %d day(s) ago: no "
				     "client certificate passes", "%s は %d 日前に期限切れです。"
				     "クライアント証明書は通りません", d->client_ca, -days);
		else
			ska_diag_say(d, days < DIAG_EXPIRY_WARN_DAYS ? SKA_DIAG_WARN : SKA_DIAG_OK,
				     "client-ca", "%s is valid for %d more days",
				     "%s はあと %d 日有効です", d->client_ca, days);
		sk_X509_pop_free(sk, X509_free);
	}
	if (!d->crl[0]) {
		ska_diag_say(d, SKA_DIAG_WARN, "crl", "no crl: a revoked client certificate is "
			     "still accepted; set crl = (sekictl ca keeps ca.dir/crl.pem)%s",
			     "crl の設定がありません。失効したクライアント証明書も受け付けます。"
			     "crl = を設定してください（sekictl ca は ca.dir/crl.pem を更新します）%s",
			     "");
		return;
	}
	if ((f = fopen(d->crl, "re"))) {
		crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!crl) {
		ska_diag_say(d, SKA_DIAG_ERR, "crl", "%s cannot be read as a PEM CRL%s",
			     "%s を PEM の CRL として読めません%s", d->crl, "");
		return;
	}
	if (!X509_CRL_get0_nextUpdate(crl)) {
		ska_diag_say(d, SKA_DIAG_WARN, "crl", "%s has no next update%s",
			     "%s には次回更新日がありません%s", d->crl, "");
	} else {
		days = days_to(d, X509_CRL_get0_nextUpdate(crl));
		if (days < 0)
			ska_diag_say(d, SKA_DIAG_ERR, "crl", "%s is stale: its next update was %d "
				     "day(s) ago; publish a new CRL (sekictl cert revoke, or your CA), "
				     "then systemctl reload sekishod", "%s は古くなっています（次回更新日"
				     "は %d 日前）。新しい CRL を発行し、systemctl reload sekishod を実行"
				     "してください", d->crl, -days);
		else
			ska_diag_say(d, days < DIAG_CRL_WARN_DAYS ? SKA_DIAG_WARN : SKA_DIAG_OK,
				     "crl", "%s is fresh: next update in %d day(s)",
				     "%s は有効です（次回更新まで %d 日）", d->crl, days);
	}
	X509_CRL_free(crl);
}

/* ------------------------------------------------------------ SMTP, time */

static void check_smtp(struct ska_diag *d, struct sk_store *st)
{
	char url[SK_URL_MAX] = "", err[512];
	struct sk_mail_cfg cfg = { .timeout_ms = DIAG_SMTP_TIMEOUT_MS };
	char shown[SK_URL_MAX];

	if (!st || sk_setting_get(st, "smtp.url", url, sizeof(url)) || !url[0])
		snprintf(url, sizeof(url), "%s", d->smtp_url);
	if (!url[0]) {
		ska_diag_say(d, SKA_DIAG_WARN, "smtp", "no SMTP relay (smtp.url): e-mailed "
			     "one-time codes and profile links cannot be sent%s",
			     "SMTP リレー（smtp.url）の設定がありません。ワンタイムコードとプロファイル"
			     "のメールを送れません%s", "");
		return;
	}
	sk_store_mask(url, shown, sizeof(shown));
	cfg.url = url;
	if (sk_mail_probe(&cfg, err, sizeof(err)))
		ska_diag_say(d, SKA_DIAG_ERR, "smtp", "SMTP relay %s does not answer EHLO (%s): "
			     "check the address, the port and the firewall",
			     "SMTP リレー %s が EHLO に応答しません（%s）。アドレス、ポート、"
			     "ファイアウォールを確認してください", shown, err);
	else
		ska_diag_say(d, SKA_DIAG_OK, "smtp", "SMTP relay %s answers EHLO (no mail sent)%s",
			     "SMTP リレー %s は EHLO に応答します（メールは送っていません）%s", shown, "");
}

static void check_time(struct ska_diag *d)
{
	struct timex tx = { 0 };
	char buf[32] = "";
	FILE *p;

	/* the kernel's clock status: synchronised by chrony, ntpd or timesyncd */
	if (adjtimex(&tx) != TIME_ERROR && !(tx.status & STA_UNSYNC)) {
		ska_diag_say(d, SKA_DIAG_OK, "time", "the clock is synchronised (estimated error "
			     "%ld us)", "時刻は同期しています（推定誤差 %ld マイクロ秒）",
			     (long)tx.esterror);
		return;
	}
	p = popen("timedatectl show -p NTPSynchronized --value 2>/dev/null", "r");
	if (p) {
		if (!fgets(buf, sizeof(buf), p))
			buf[0] = '\0';
		pclose(p);
	}
	if (!strncmp(buf, "yes", 3))
		ska_diag_say(d, SKA_DIAG_OK, "time", "the clock is synchronised (timedatectl)%s",
			     "時刻は同期しています（timedatectl）%s", "");
	else
		ska_diag_say(d, SKA_DIAG_WARN, "time", "the clock is not known to be synchronised: "
			     "one-time codes, certificates and the audit trail need the right time; "
			     "enable chrony or systemd-timesyncd (timedatectl set-ntp true)%s",
			     "時刻の同期を確認できません。ワンタイムコード、証明書、監査ログには正しい"
			     "時刻が必要です。chrony か systemd-timesyncd を有効にしてください"
			     "（timedatectl set-ntp true）%s", "");
}

/* ------------------------------------------------------------- the store */

static int rollback(struct sk_store *st, void *arg)
{
	char val[SK_TEXT_MAX], err[256];
	int rc;

	(void)arg;
	/* a write the transaction then throws away */
	rc = sk_setting_get(st, "gateway.name", val, sizeof(val));
	if (!rc)
		rc = sk_setting_set(st, "gateway.name", val, err, sizeof(err));
	return rc ? rc : -ECANCELED;
}

static struct sk_store *check_store(struct ska_diag *d)
{
	char err[512], shown[512];
	struct sk_store *st;
	int rc;

	sk_store_mask(d->store, shown, sizeof(shown));
	rc = sk_store_open_existing(d->store, &st, err, sizeof(err));
	if (rc) {
		ska_diag_say(d, SKA_DIAG_ERR, "store", "the store %s does not open: %s",
			     "ストア %s を開けません: %s", shown, err);
		return NULL;
	}
	rc = sk_store_tx(st, rollback, NULL);
	if (rc != -ECANCELED)
		ska_diag_say(d, SKA_DIAG_ERR, "store", "the store %s is not writable (%s): check "
			     "its owner and mode (the service user writes it), or the database's "
			     "grants", "ストア %s に書き込めません（%s）。所有者とモード、または"
			     "データベースの権限を確認してください", shown, strerror(-rc));
	else
		ska_diag_say(d, SKA_DIAG_OK, "store", "the store %s opens and is writable (schema "
			     "version %d)", "ストア %s を開けて、書き込めます（スキーマ版 %d）", shown,
			     sk_store_schema_version(st));
	return st;
}

/* -------------------------------------------- DNS servers and allowlists */

struct dns_ctx { struct ska_diag *d; struct sk_store *st; };

static int dns_group(const struct sk_group *g, void *arg)
{
	struct dns_ctx *c = arg;
	struct sk_rule *rules = NULL;
	int n = 0;

	for (int i = 0; i < 2; i++) {
		struct sk_addr a;
		bool udp, tcp;

		if (!g->dns[i][0] || sk_parse_addr(g->dns[i], &a, NULL, 0))
			continue;
		if (!g->policy[0] || ska_policy_rules(c->st, g->policy, &rules, &n))
			n = 0;
		udp = ska_rules_allow(rules, n, &a, 17, 53);
		tcp = ska_rules_allow(rules, n, &a, 6, 53);
		free(rules);
		rules = NULL;
		if (!udp)
			ska_diag_say(c->d, SKA_DIAG_ERR, "dns-allowlist", "group %s pushes DNS server "
				     "%s, but its policy %s does not let udp 53 through: sekictl policy "
				     "rule add %s allow udp %s port 53",
				     "グループ %s は DNS サーバー %s を配布しますが、ポリシー %s は udp 53 を"
				     "通しません。sekictl policy rule add %s allow udp %s port 53 を実行して"
				     "ください", g->name, g->dns[i], g->policy[0] ? g->policy : "(none)",
				     g->policy[0] ? g->policy : "POLICY", g->dns[i]);
		else if (!tcp)
			ska_diag_say(c->d, SKA_DIAG_WARN, "dns-allowlist", "group %s: DNS server %s "
				     "gets udp 53 but not tcp 53 (large answers need it): sekictl policy "
				     "rule add %s allow tcp %s port 53",
				     "グループ %s: DNS サーバー %s へ udp 53 は通りますが tcp 53 は通りません"
				     "（大きな応答に必要です）。sekictl policy rule add %s allow tcp %s "
				     "port 53", g->name, g->dns[i], g->policy, g->dns[i]);
		else
			ska_diag_say(c->d, SKA_DIAG_OK, "dns-allowlist", "group %s: DNS server %s is "
				     "allowed by policy %s (udp and tcp 53)",
				     "グループ %s: DNS サーバー %s はポリシー %s で許可されています（udp と "
				     "tcp 53）", g->name, g->dns[i], g->policy);
	}
	return 0;
}

/* ------------------------------------- the posture re-check's listener */

static void recheck_say(void *arg, bool ok, const char *en, const char *ja)
{
	/* each language prints its own text, skipping the other */
	ska_diag_say(arg, ok ? SKA_DIAG_OK : SKA_DIAG_WARN, "recheck-rule", "%s%.0s",
		     "%.0s%s", en, ja);
}

/* posture_recheck_port set: the same check as sekishod -t's */
static void check_recheck(struct ska_diag *d, struct sk_store *st)
{
	char v[16], *end;
	long port;

	if (!ska_conf_get(d->conf, "posture_recheck_port", v, sizeof(v)))
		return;
	port = strtol(v, &end, 10);
	if (*end || port < 0 || port > 65535)
		return;		/* sekishod -t says the file does not parse */
	ska_recheck_rules(st, (uint16_t)port, recheck_say, d);
}

struct pools_ctx { struct ska_diag *d; char *nat; bool v4, v6, scan; };

static int pools_group(const struct sk_group *g, void *arg)
{
	struct pools_ctx *c = arg;

	if (c->scan) {
		c->v4 |= g->pool4[0] != '\0';
		c->v6 |= g->pool6[0] != '\0';
		return 0;
	}
	check_pool(c->d, g, g->pool4, c->nat);
	check_pool(c->d, g, g->pool6, c->nat);
	return 0;
}

int ska_diagnose(const struct ska_diag_opt *o)
{
	struct ska_diag d = { .o = o, .now = o->now ? o->now : time(NULL) };
	struct pools_ctx pc = { .d = &d, .scan = true };
	struct sk_store *st;

	read_conf(&d);
	check_module_device(&d);
	st = check_store(&d);
	if (st)
		sk_group_list(st, pools_group, &pc);
	check_forwarding(&d, pc.v4 || !st, pc.v6);
	if (st) {
		pc.scan = false;
		pc.nat = nat_text(&d);
		sk_group_list(st, pools_group, &pc);
		free(pc.nat);
	}
	check_listeners(&d);
	check_server_cert(&d);
	check_client_ca_crl(&d);
	check_smtp(&d, st);
	check_time(&d);
	if (o->kernel)
		o->kernel(&d, d.device, st, o->kernel_arg);
	else
		ska_diag_say(&d, SKA_DIAG_WARN, "kernel-policy", "the kernel's policies were not "
			     "checked%s", "カーネルのポリシーは確認していません%s", "");
	if (st) {
		struct dns_ctx dc = { &d, st };

		sk_group_list(st, dns_group, &dc);
		check_recheck(&d, st);
		sk_store_close(st);
	}
	if (o->json)
		fputs(d.n ? "]\n" : "[]\n", o->out);
	else
		fprintf(o->out, o->ja ? "%d 件: エラー %d、警告 %d\n" :
			"%d checks: %d error(s), %d warning(s)\n", d.n, d.errors, d.warnings);
	return d.errors ? 1 : 0;
}
