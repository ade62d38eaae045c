/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skradius: RADIUS as a password and group source (RFC 2865 PAP,
 * RFC 2866 accounting, RFC 3579 Message-Authenticator), a small codec on
 * OpenSSL's MD5 and HMAC-MD5 (Documentation/decisions/radius.md says why
 * not radcli).  No store, no printing: the caller fills a struct
 * sk_radius_cfg (auth/radius_store.c reads it from a directory's settings)
 * and gets a struct sk_radius_result, or -errno and one English line.
 *
 * Every Access-Request carries Message-Authenticator as its first
 * attribute; every Access-Accept, -Reject and -Challenge must carry a
 * valid one (HMAC-MD5, compared in constant time) and a valid Response
 * Authenticator, or it is dropped as if it had not come (BlastRADIUS,
 * CVE-2024-3596).  Accounting-Responses need a valid Response
 * Authenticator, and a valid Message-Authenticator when they carry one.
 *
 * The calls block (network): at most n_servers x tries x timeout seconds.
 * sekishod runs them on its hashing threads.  They touch only their
 * arguments, so several threads may run them at once.
 *
 * Every attribute of an answer is hostile: lengths are checked against the
 * packet, text (Reply-Message, Class, Filter-Id, the vendor attribute) must
 * be UTF-8 without control characters and short enough, or it is left out
 * and counted in r->dropped.
 */
#ifndef SKRADIUS_H
#define SKRADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skstore.h"

#define SK_RADIUS_SERVERS_MAX	4
#define SK_RADIUS_SECRET_MAX	128	/* bytes of the shared secret */
#define SK_RADIUS_PW_MAX	128	/* RFC 2865 5.2: User-Password at most 128 bytes */
#define SK_RADIUS_STATE_MAX	253
#define SK_RADIUS_PROMPT_MAX	512	/* Reply-Messages joined by a space */
#define SK_RADIUS_VALUE_MAX	253
#define SK_RADIUS_VALUES_MAX	16	/* Class / Filter-Id / vendor values kept */
#define SK_RADIUS_MAPS_MAX	32
#define SK_RADIUS_HOST_MAX	256
#define SK_RADIUS_NASID_MAX	64

/* the attributes a group can be mapped from */
enum sk_radius_kind { SK_RADIUS_CLASS = 1, SK_RADIUS_FILTER_ID, SK_RADIUS_FORTINET_GROUP };

const char *sk_radius_kind_name(enum sk_radius_kind k);	/* "class", "filter-id", "fortinet-group" */
int sk_radius_kind_from_name(const char *s, size_t len);	/* 0 = unknown */

/* Fortinet-Group-Name: vendor 12356 (Fortinet), type 1, a string */
#define SK_RADIUS_VENDOR_FORTINET	12356u
#define SK_RADIUS_FORTINET_GROUP_NAME	1

struct sk_radius_server {
	char host[SK_RADIUS_HOST_MAX];	/* a name or an address */
	uint16_t port;			/* authentication, default 1812 */
	uint16_t acct_port;		/* accounting, default port + 1 */
};

/* one mapping rule: an answer with attribute kind = value may use group */
struct sk_radius_map {
	enum sk_radius_kind kind;
	char value[SK_RADIUS_VALUE_MAX + 1];
	char group[SK_NAME_MAX + 1];
};

struct sk_radius_cfg {
	char name[SK_NAME_MAX + 1];
	int n_servers;
	struct sk_radius_server servers[SK_RADIUS_SERVERS_MAX];
	char secret[SK_RADIUS_SECRET_MAX + 1];	/* a secret: wiped by sk_radius_cfg_wipe */
	int timeout;				/* seconds per try, 1..30 (default 3) */
	int tries;				/* tries per server, 1..5 (default 2) */
	char nas_id[SK_RADIUS_NASID_MAX];	/* NAS-Identifier ("" = "sekisho") */
	int n_maps;
	struct sk_radius_map maps[SK_RADIUS_MAPS_MAX];
	/* sekishod's sessions of this directory's users (issue 15):
	 * framed_ip: the Accept's Framed-IP-Address is the tunnel's address
	 * (it must lie in the group's pool, free); accounting: Start, Stop
	 * and, every interim seconds (0 = never), Interim-Update */
	bool framed_ip;
	bool accounting;
	int interim;
};

void sk_radius_cfg_defaults(struct sk_radius_cfg *c);
void sk_radius_cfg_wipe(struct sk_radius_cfg *c);
/* 0, or -EINVAL with what to change in err */
int sk_radius_cfg_check(const struct sk_radius_cfg *c, char *err, size_t errlen);

enum sk_radius_outcome { SK_RADIUS_ACCEPT = 1, SK_RADIUS_REJECT, SK_RADIUS_CHALLENGE };

struct sk_radius_value {
	enum sk_radius_kind kind;
	char value[SK_RADIUS_VALUE_MAX + 1];
};

struct sk_radius_result {
	enum sk_radius_outcome outcome;
	char server[SK_RADIUS_HOST_MAX + 8];	/* "host:port" that answered */
	char prompt[SK_RADIUS_PROMPT_MAX];	/* Reply-Message(s), "" = none */
	uint8_t state[SK_RADIUS_STATE_MAX];	/* Access-Challenge: State, echoed by continue */
	size_t state_len;
	int n_values;				/* Class, Filter-Id, Fortinet-Group-Name */
	struct sk_radius_value values[SK_RADIUS_VALUES_MAX];
	int n_mapped;				/* sekisho groups the mapping gives, rule order */
	char mapped[SK_RADIUS_MAPS_MAX][SK_NAME_MAX + 1];
	bool has_framed_ip;
	char framed_ip[16];			/* dotted quad */
	uint32_t session_timeout;		/* 0 = none */
	int dropped;				/* attributes left out as not valid */
	int bad_answers;			/* answers discarded (authenticators) */
};

/*
 * start: an Access-Request with User-Name and User-Password (PAP).
 * cont: the answer to an Access-Challenge: User-Password = answer and the
 * State the challenge gave (r->state of the previous call).
 *   0          an answer: r->outcome is accept, reject or challenge
 *   -EINVAL    the name, password or configuration is not valid
 *   -EHOSTDOWN no server gave a valid answer within its tries (a wrong
 *              shared secret looks like this: the server stays silent)
 *   -EPROTO    answers came but none passed the authenticator checks
 *              (a wrong secret on our side, or a server that does not send
 *              Message-Authenticator)
 *   -EIO       a socket error on every server
 * err gets one line for the administrator (never the password).
 */
int sk_radius_start(const struct sk_radius_cfg *c, const char *user, const char *pw,
		    struct sk_radius_result *r, char *err, size_t errlen);
int sk_radius_cont(const struct sk_radius_cfg *c, const char *user, const uint8_t *state,
		   size_t state_len, const char *answer, struct sk_radius_result *r,
		   char *err, size_t errlen);

/* ---- accounting (RFC 2866) ---- */
enum sk_radius_acct_status { SK_RADIUS_ACCT_START = 1, SK_RADIUS_ACCT_STOP = 2,
			     SK_RADIUS_ACCT_INTERIM = 3 };
/* Acct-Terminate-Cause values (RFC 2866 5.10) */
enum sk_radius_term {
	SK_RADIUS_TERM_USER_REQUEST = 1, SK_RADIUS_TERM_LOST_CARRIER = 2,
	SK_RADIUS_TERM_IDLE_TIMEOUT = 4, SK_RADIUS_TERM_SESSION_TIMEOUT = 5,
	SK_RADIUS_TERM_ADMIN_RESET = 6, SK_RADIUS_TERM_NAS_REQUEST = 10,
	SK_RADIUS_TERM_NAS_REBOOT = 11,
};

struct sk_radius_acct {
	enum sk_radius_acct_status status;
	char user[SK_NAME_MAX + 1];
	char session_id[64];		/* Acct-Session-Id */
	char calling[64];		/* Calling-Station-Id: the client's address, "" = none */
	char framed_ip[16];		/* "" = none */
	uint64_t in_octets, out_octets;	/* from the client / to the client */
	uint64_t in_packets, out_packets;
	uint32_t session_time;		/* seconds */
	enum sk_radius_term cause;	/* Stop only */
};

/* Sends one Accounting-Request, servers in order (accounting ports); 0 when
 * a valid Accounting-Response came (server gets "host:port"), else as start. */
int sk_radius_account(const struct sk_radius_cfg *c, const struct sk_radius_acct *a,
		      char *server, size_t serverlen, char *err, size_t errlen);

/* ---- the store's form (auth/radius_store.c) ----
 * A directory with type=radius: server (HOST[:PORT], space-separated, in
 * order), acct-port-offset... see sk_radius_key. */
struct sk_store;
const char *sk_radius_key(int i);	/* the keys in order; NULL after the last */
int sk_radius_setting_check(const char *key, const char *val, char *err, size_t errlen);
int sk_radius_cfg_load(struct sk_store *st, const char *name, struct sk_radius_cfg *c,
		       char *err, size_t errlen);

/* A directory of type radius in the login chain: sk_ldap_check calls this.
 * Access-Accept: 0, r->pw_checked, r->groups "KIND=VALUE", r->mapped,
 * r->framed_ip; Access-Reject: -EACCES; Access-Challenge: -EINPROGRESS
 * with r->prompt and r->state (the chain asks the answer in a form and
 * sends it with sk_radius_ldap_answer); otherwise as sk_radius_start. */
struct sk_ldap_result;
int sk_radius_ldap_check(const struct sk_radius_cfg *c, const char *name, const char *pw,
			 struct sk_ldap_result *r, char *err, size_t errlen);
int sk_radius_ldap_answer(const struct sk_radius_cfg *c, const char *name, const uint8_t *state,
			  size_t state_len, const char *answer, struct sk_ldap_result *r,
			  char *err, size_t errlen);

/* ---- pure helpers (unit-tested without a server) ---- */

/* HOST, HOST:PORT, [V6]:PORT into s (acct_port = port + 1): 0 or -EINVAL */
int sk_radius_parse_server(const char *in, struct sk_radius_server *s);
/* "GROUP KIND=VALUE" into m: 0 or -EINVAL with why */
int sk_radius_parse_map(const char *in, struct sk_radius_map *m, char *err, size_t errlen);
/* Fills r->mapped from r->values and c->maps (rule order, no duplicates) */
void sk_radius_map_groups(const struct sk_radius_cfg *c, struct sk_radius_result *r);

/* The codec, exposed for the tests (a hostile server's answers).
 * Builds an Access-Request into buf (at most 4096 bytes): 0 and *len. */
int sk_radius_build_access(const struct sk_radius_cfg *c, uint8_t id, const uint8_t auth[16],
			   const char *user, const char *pw, const uint8_t *state,
			   size_t state_len, uint8_t *buf, size_t *len);
/* Checks an answer to the request req (id, authenticators, Message-
 * Authenticator) and parses it into r: 0, or -EBADMSG with why. */
int sk_radius_parse_answer(const struct sk_radius_cfg *c, const uint8_t *req, size_t reqlen,
			   const uint8_t *ans, size_t anslen, struct sk_radius_result *r,
			   char *err, size_t errlen);

#endif
