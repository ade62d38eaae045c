// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the client certificate checks (userspace/auth/cert.c) with
 * real certificates made by the openssl CLI in a temporary directory: a CA
 * (openssl ca, so it keeps an index for the CRL and the OCSP responder),
 * alice (CN, UID, SAN e-mail, clientAuth), an expired one, a not yet valid
 * one, a revoked one plus the CRL, a serverAuth-only one, one without UID
 * or SAN, one naming an OCSP responder in its AIA, and one from another CA.
 * OCSP answers come from a real `openssl ocsp` responder.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "skauth.h"
#include "tap.h"

static struct tap t;
static char dir[] = "/tmp/sk-cert-test-XXXXXX";

static const char gen_sh[] =
	"set -e\n"
	"cd \"$1\"\n"
	"mkdir -p newcerts; : > index.txt; echo 1000 > serial; echo 1000 > crlnumber\n"
	"cat > ca.cnf <<'EOC'\n"
	"[ ca ]\n"
	"default_ca = CA_default\n"
	"[ CA_default ]\n"
	"database = ./index.txt\n"
	"new_certs_dir = ./newcerts\n"
	"certificate = ./ca.pem\n"
	"private_key = ./ca.key\n"
	"serial = ./serial\n"
	"crlnumber = ./crlnumber\n"
	"default_md = sha256\n"
	"default_days = 365\n"
	"default_crl_days = 30\n"
	"policy = pol\n"
	"unique_subject = no\n"
	"[ pol ]\n"
	"commonName = supplied\n"
	"UID = optional\n"
	"[ req ]\n"
	"distinguished_name = dn\n"
	"[ dn ]\n"
	"[ v3_ca ]\n"
	"basicConstraints = critical, CA:TRUE\n"
	"keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n"
	"subjectKeyIdentifier = hash\n"
	"[ usr ]\n"
	"basicConstraints = CA:FALSE\n"
	"keyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = clientAuth\n"
	"subjectAltName = email:alice@example.jp\n"
	"[ plain ]\n"
	"basicConstraints = CA:FALSE\n"
	"extendedKeyUsage = clientAuth\n"
	"[ srv ]\n"
	"basicConstraints = CA:FALSE\n"
	"extendedKeyUsage = serverAuth\n"
	"[ aia ]\n"
	"basicConstraints = CA:FALSE\n"
	"extendedKeyUsage = clientAuth\n"
	"authorityInfoAccess = OCSP;URI:http://127.0.0.1:9/\n"
	"EOC\n"
	"K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"
	"openssl req -config ca.cnf -x509 $K -keyout ca.key -out ca.pem -subj '/CN=Sekisho Test CA' "
	"  -days 3650 -extensions v3_ca\n"
	"issue() {\n"
	"  n=$1; s=$2; e=$3; shift 3\n"
	"  openssl req -config ca.cnf -new $K -keyout $n.key -out $n.csr -subj \"$s\"\n"
	"  openssl ca -config ca.cnf -batch -notext -preserveDN -extensions $e -in $n.csr -out $n.pem \"$@\"\n"
	"}\n"
	"issue alice '/CN=alice/UID=alice' usr\n"
	"issue bob '/CN=bob' plain -startdate 20200101000000Z -enddate 20210101000000Z\n"
	"issue frank '/CN=frank' plain -startdate 20990101000000Z -enddate 20991231000000Z\n"
	"issue carol '/CN=carol/UID=carol' plain\n"
	"issue dave '/CN=dave' srv\n"
	"issue erin '/CN=erin' plain\n"
	"issue gina '/CN=gina' aia\n"
	"openssl ca -config ca.cnf -batch -revoke carol.pem\n"
	"openssl ca -config ca.cnf -batch -gencrl -out crl.pem\n"
	"openssl req -config ca.cnf -x509 $K -keyout ca2.key -out ca2.pem -subj '/CN=Other CA' "
	"  -days 3650 -extensions v3_ca\n"
	"openssl req -config ca.cnf -new $K -keyout mallory.key -out mallory.csr -subj '/CN=alice'\n"
	"openssl x509 -req -in mallory.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -out mallory.pem "
	"  -days 365 -extfile ca.cnf -extensions plain\n";

static const char *path(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static X509 *load(const char *name)
{
	FILE *f = fopen(path(name), "r");
	X509 *x = NULL;

	if (f) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!x)
		printf("# cannot load %s\n", name);
	return x;
}

/* one check: want_why NULL = accepted with identity want_id */
static void check(struct sk_certv *v, const char *name, X509 *c, int64_t now,
		  enum sk_cert_bind bind, const char *want_why, const char *want_id)
{
	char id[128] = "unset";
	const char *why = "unset";
	int rc = sk_certv_check(v, c, NULL, now, bind, id, sizeof(id), &why);

	if (!want_why)
		tap_ok(&t, rc == 0 && !why && !strcmp(id, want_id), "%s bind %d: accepted as \"%s\" (rc %d %s)",
		       name, bind, id, rc, rc ? sk_certv_last_error(v) : "");
	else
		tap_ok(&t, rc == -EACCES && why && !strcmp(why, want_why) && id[0] == '\0',
		       "%s bind %d: refused \"%s\" (want %s; %s)", name, bind, why ? why : "NULL",
		       want_why, sk_certv_last_error(v));
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &l))
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

static bool ocsp_ready(void)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen(path("ocsp.log"), "r");

	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f))
		ok = strstr(line, "waiting for OCSP client") != NULL;
	fclose(f);
	return ok;
}

int main(void)
{
	X509 *alice, *bob, *frank, *carol, *dave, *erin, *gina, *mallory;
	struct sk_certv *v = NULL, *nv = NULL, *ov = NULL;
	int64_t now;
	char cmd[512], err[256], url[64];
	pid_t ocsp = -1;
	int rc, port, i;
	FILE *f;

	tap_begin();
	if (!mkdtemp(dir)) {
		tap_ok(&t, false, "temporary directory");
		return tap_end(&t);
	}
	f = fopen(path("gen.sh"), "w");
	if (f) {
		fputs(gen_sh, f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "sh %s/gen.sh %s > %s/gen.log 2>&1", dir, dir, dir);
	if (!tap_ok(&t, system(cmd) == 0, "certificates generated with the openssl CLI")) {
		snprintf(cmd, sizeof(cmd), "sed 's/^/# /' %s/gen.log", dir);
		if (system(cmd))
			return tap_end(&t);
		goto out;
	}
	/* after gen.sh: the CRL's lastUpdate is the second it was made, and
	 * under a loaded ASan run that is seconds after main() started */
	now = time(NULL);
	tap_ok(&t, sk_auth_global_init() == 0, "global init");
	alice = load("alice.pem");
	bob = load("bob.pem");
	frank = load("frank.pem");
	carol = load("carol.pem");
	dave = load("dave.pem");
	erin = load("erin.pem");
	gina = load("gina.pem");
	mallory = load("mallory.pem");

	tap_ok(&t, sk_cert_bind_from_name("cn") == SK_BIND_CN && sk_cert_bind_from_name("uid") == SK_BIND_UID &&
		   sk_cert_bind_from_name("san-email") == SK_BIND_SAN_EMAIL &&
		   sk_cert_bind_from_name("CN") == -1 && sk_cert_bind_from_name(NULL) == -1,
	       "bind names");

	rc = sk_certv_new(path("ca.pem"), path("crl.pem"), NULL, &v, err, sizeof(err));
	if (!tap_ok(&t, rc == 0, "verifier with CA and CRL (%s)", err))
		goto out;
	check(v, "alice", alice, now, SK_BIND_CN, NULL, "alice");
	check(v, "alice", alice, now, SK_BIND_UID, NULL, "alice");
	check(v, "alice", alice, now, SK_BIND_SAN_EMAIL, NULL, "alice@example.jp");
	check(v, "bob (expired)", bob, now, SK_BIND_CN, "expired", NULL);
	check(v, "frank (2099)", frank, now, SK_BIND_CN, "not-yet-valid", NULL);
	check(v, "carol (revoked)", carol, now, SK_BIND_CN, "revoked", NULL);
	check(v, "dave (serverAuth)", dave, now, SK_BIND_CN, "bad-usage", NULL);
	check(v, "erin", erin, now, SK_BIND_CN, NULL, "erin");
	check(v, "erin (no UID)", erin, now, SK_BIND_UID, "no-identity", NULL);
	check(v, "erin (no SAN)", erin, now, SK_BIND_SAN_EMAIL, "no-identity", NULL);
	check(v, "mallory (other CA, CN=alice)", mallory, now, SK_BIND_CN, "untrusted", NULL);
	check(v, "no certificate", NULL, now, SK_BIND_CN, "no-cert", NULL);
	/* the time is the caller's: alice checked at a time after her expiry */
	check(v, "alice in 2 years (CRL stale too)", alice, now + 2 * 365 * 86400LL, SK_BIND_CN,
	      "untrusted", NULL);
	/* a CRL past its nextUpdate (30 days) refuses everyone: fail closed */
	check(v, "alice in 60 days (CRL stale)", alice, now + 60 * 86400LL, SK_BIND_CN, "untrusted", NULL);
	tap_ok(&t, strstr(sk_certv_last_error(v), "CRL") != NULL, "last error names the CRL: %s",
	       sk_certv_last_error(v));
	/* the client's chain is only a hint: the other CA sent along does not help */
	{
		STACK_OF(X509) *chain = sk_X509_new_null();
		X509 *ca2 = load("ca2.pem");
		const char *why = NULL;
		char id[64];

		sk_X509_push(chain, ca2);
		rc = sk_certv_check(v, mallory, chain, now, SK_BIND_CN, id, sizeof(id), &why);
		tap_ok(&t, rc == -EACCES && why && !strcmp(why, "untrusted"),
		       "mallory with its own CA as chain: still untrusted");
		sk_X509_pop_free(chain, X509_free);
	}

	/* without CRL the revoked one passes; reloading adds the CRL */
	rc = sk_certv_new(path("ca.pem"), NULL, NULL, &nv, err, sizeof(err));
	tap_ok(&t, rc == 0, "verifier without CRL");
	check(nv, "carol, no CRL", carol, now, SK_BIND_CN, NULL, "carol");
	rc = sk_certv_reload_crl(nv, path("crl.pem"), err, sizeof(err));
	tap_ok(&t, rc == 0, "CRL reloaded (%s)", err);
	check(nv, "carol after reload", carol, now, SK_BIND_CN, "revoked", NULL);
	rc = sk_certv_reload_crl(nv, path("alice.key"), err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && err[0], "reload of a file without CRL refused: %s", err);
	check(nv, "carol after failed reload (old CRL kept)", carol, now, SK_BIND_CN, "revoked", NULL);
	rc = sk_certv_reload_crl(nv, path("nonexistent.pem"), err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && err[0], "reload of a missing file refused: %s", err);
	sk_certv_free(nv);
	nv = NULL;

	/* bad configurations */
	rc = sk_certv_new(path("nonexistent.pem"), NULL, NULL, &nv, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && !nv && err[0], "missing CA file: %s", err);
	rc = sk_certv_new(path("ca.pem"), path("ca.key"), NULL, &nv, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && !nv, "CRL file without CRL: %s", err);
	rc = sk_certv_new(path("ca.pem"), NULL, "ldap://x/", &nv, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && !nv, "OCSP URL not http: %s", err);

	/* OCSP against a real responder (openssl ocsp) on the CA's index */
	port = free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	fflush(stdout);
	ocsp = fork();
	if (ocsp == 0) {
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		if (chdir(dir) == 0 && freopen("ocsp.log", "w", stdout) && freopen("ocsp.log", "a", stderr))
			execlp("openssl", "openssl", "ocsp", "-index", "index.txt", "-port", p,
			       "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem", "-ndays", "1",
			       (char *)NULL);
		_exit(127);
	}
	/* not a probe connection: the responder (one request at a time)
	 * hangs on a connection that closes without a request; its log line
	 * says when it listens */
	for (i = 0; i < 100 && !ocsp_ready(); i++)
		usleep(100000);
	if (tap_ok(&t, ocsp_ready(), "openssl ocsp responder on %s", url)) {
		rc = sk_certv_new(path("ca.pem"), NULL, url, &ov, err, sizeof(err));
		tap_ok(&t, rc == 0, "verifier with OCSP");
		check(ov, "alice via OCSP", alice, now, SK_BIND_CN, NULL, "alice");
		check(ov, "carol via OCSP (revoked)", carol, now, SK_BIND_CN, "revoked", NULL);
		check(ov, "bob via OCSP (expired before asking)", bob, now, SK_BIND_CN, "expired", NULL);
		sk_certv_free(ov);
		ov = NULL;
	}
	/* a responder that is down, and an AIA pointing nowhere: fail closed */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", free_port());
	rc = sk_certv_new(path("ca.pem"), NULL, url, &ov, err, sizeof(err));
	check(ov, "alice, OCSP down", alice, now, SK_BIND_CN, "ocsp-failed", NULL);
	sk_certv_free(ov);
	ov = NULL;
	rc = sk_certv_new(path("ca.pem"), NULL, "aia", &ov, err, sizeof(err));
	check(ov, "gina, AIA responder down", gina, now, SK_BIND_CN, "ocsp-failed", NULL);
	check(ov, "alice, no AIA", alice, now, SK_BIND_CN, "ocsp-failed", NULL);
	sk_certv_free(ov);

	X509_free(alice);
	X509_free(bob);
	X509_free(frank);
	X509_free(carol);
	X509_free(dave);
	X509_free(erin);
	X509_free(gina);
	X509_free(mallory);
	sk_certv_free(v);
	sk_auth_global_cleanup();
out:
	if (ocsp > 0) {
		kill(ocsp, SIGTERM);
		waitpid(ocsp, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
