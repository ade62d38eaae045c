/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekictl: administration of the sekisho gateway.  Each kernel noun (dev,
 * peer, key, kpolicy, show, monitor, socket) lives in its own cmd_*.c file and is
 * reached through the table in main.c.  A command receives its argv after
 * the noun and a context that names everything it may change; there is no
 * other global mutable state.
 */
#ifndef SEKICTL_H
#define SEKICTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <net/if.h>
#include <linux/sekisho.h>

#include "skparse.h"

enum sk_exit {
	SK_EXIT_OK = 0,
	SK_EXIT_FAIL = 1,	/* the kernel or the system refused */
	SK_EXIT_USAGE = 2,	/* bad command line or input */
};

struct sk_ctx {
	const char *what;	/* "peer add": prefix of every message */
	FILE *out;		/* results (stdout) */
};

struct sk_cmd {
	const char *noun;
	int (*run)(struct sk_ctx *ctx, int argc, char **argv);
	void (*help)(FILE *f);
	const char *summary;
};

__attribute__((format(printf, 2, 3)))
int sk_fail(const struct sk_ctx *ctx, const char *fmt, ...);	/* returns 1 */
__attribute__((format(printf, 2, 3)))
int sk_usage(const struct sk_ctx *ctx, const char *fmt, ...);	/* returns 2 */

/*
 * Option scanning: if argv[*i] is --name or --name=VALUE, store the value
 * (the next argument in the first form) and return 1; return 0 if it is
 * another argument, -1 (with err set) if the value is missing.
 */
int sk_opt(int argc, char **argv, int *i, const char *name, const char **val,
	   char *err, size_t errlen);
bool sk_flag(const char *arg, const char *name);

/* if_nametoindex() with a message; 0 if the device does not exist. */
unsigned int sk_ifindex(const struct sk_ctx *ctx, const char *dev);

struct nlattr;

/* ---- decoded kernel objects (obj.c) ---- */

#define SK_NSTATS (SEKISHO_A_STATS_MAX + 1)

struct sk_stats {
	bool has[SK_NSTATS];
	uint64_t v[SK_NSTATS];
};

struct sk_dev {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	bool has_peers, has_policies;
	uint32_t num_peers, num_policies;
	struct sk_stats stats;
};

struct sk_keyinfo {
	uint32_t slot;
	uint16_t epoch;
	uint32_t cipher;
	bool has_tx_seq, has_rx_seq;
	uint64_t tx_seq, rx_seq;
};

struct sk_peer {
	uint32_t id;
	bool has_remote, has_local_addr, has_local_port;
	struct sk_endpoint remote;
	struct sk_endpoint local;
	bool has_vpn4, has_vpn6;
	struct sk_addr vpn4, vpn6;
	bool has_routes;
	unsigned int nroutes;
	struct sk_prefix routes[SEKISHO_MAX_ROUTES];
	bool has_policy, has_idle, has_last_rx, has_reason;
	uint32_t policy;
	uint32_t idle;
	uint64_t last_rx_ms;
	uint32_t reason;
	unsigned int nkeys;
	struct sk_keyinfo keys[2];
	struct sk_stats stats;
};

struct sk_policy {
	uint32_t id;
	bool has_num_rules, has_refs;
	uint32_t num_rules;
	uint32_t refs;
	size_t nrules, cap;
	struct sk_rule *rules;
};

/* A growable array of one of the object types above. */
struct sk_vec {
	void *items;
	size_t n, cap, size;
};

void *sk_vec_push(struct sk_vec *v);	/* zeroed new item or NULL */
void sk_vec_free(struct sk_vec *v);

int sk_decode_dev(const struct nlattr *nest, struct sk_dev *d);
int sk_decode_peer(const struct nlattr *nest, struct sk_peer *p);
struct sk_deny {
	int family;
	bool has_saddr, has_daddr, has_proto, has_dport, has_suppressed;
	struct sk_addr saddr, daddr;
	uint8_t proto;
	uint16_t dport;
	uint32_t suppressed;
};
int sk_decode_deny(const struct nlattr *nest, struct sk_deny *d);
/* Adds the rules of one POLICY nest to the list, merging split messages. */
int sk_decode_policy(const struct nlattr *nest, struct sk_vec *policies);
void sk_policies_free(struct sk_vec *policies);
/* true if some policy has fewer rules than NUM_RULES announced */
bool sk_policies_incomplete(const struct sk_vec *policies);

/*
 * Encode rules into a POLICY_NEW/SET request: returns 0 for the plain form,
 * 1 when split over several POLICY nests (see docs), -1 on overflow.
 */
struct sk_msg;
int sk_encode_policy(struct sk_msg *m, uint32_t id, const struct sk_rule *rules,
		     size_t n);
size_t sk_policy_msg_size(const struct sk_rule *rules, size_t n);

extern const char *const sk_stat_names[SK_NSTATS];
const char *sk_reason_name(uint32_t reason, char *buf, size_t len);
const char *sk_slot_name(uint32_t slot);

/* ---- printing (print.c) ---- */
struct sk_json;
void sk_print_dev(FILE *f, const struct sk_dev *d);
void sk_print_peer(FILE *f, const struct sk_peer *p, const char *indent);
void sk_print_policy(FILE *f, const struct sk_policy *p, const char *ifname);
void sk_json_dev(struct sk_json *j, const struct sk_dev *d);	/* open object */
void sk_json_peer(struct sk_json *j, const struct sk_peer *p);
void sk_json_policy(struct sk_json *j, const struct sk_policy *p);
void sk_json_stats(struct sk_json *j, const struct sk_stats *s);

/* ---- argument parsers, separate from execution for unit tests ---- */

struct sk_peer_args {
	const char *dev;
	uint32_t id;
	const char *socket;		/* PID:FD or FD (add) */
	int sock_pid;			/* 0: FD is inherited */
	int sock_fd;
	bool has_remote;
	struct sk_endpoint remote;
	bool has_vpn4, has_vpn6;
	struct sk_addr vpn4, vpn6;
	unsigned int nroutes;
	struct sk_prefix routes[SEKISHO_MAX_ROUTES];
	bool no_routes;
	bool has_policy, has_idle;
	uint32_t policy, idle;
};
int sk_peer_args_parse(int argc, char **argv, bool is_set,
		       struct sk_peer_args *a, char *err, size_t errlen);

struct sk_key_args {
	const char *dev;
	uint32_t peer;
	bool has_epoch;
	uint16_t epoch;
	enum sk_cipher cipher;
	const char *keys;		/* file or "-" */
};
int sk_key_args_parse(int argc, char **argv, struct sk_key_args *a,
		      char *err, size_t errlen);

struct sk_policy_args {
	const char *dev;
	uint32_t id;
	struct sk_rule *rules;		/* malloc'ed */
	size_t nrules, cap;
};
int sk_policy_args_parse(int argc, char **argv, struct sk_policy_args *a,
			 char *err, size_t errlen);
void sk_policy_args_free(struct sk_policy_args *a);

struct sk_monitor_args {
	bool json;
	uint64_t count;			/* 0: no limit */
	int64_t timeout_ms;		/* -1: no limit */
	const char *ready_file;		/* created once subscribed */
};
int sk_monitor_args_parse(int argc, char **argv, struct sk_monitor_args *a,
			  char *err, size_t errlen);

/* ---- nouns ---- */
int sk_cmd_show(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_dev(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_peer(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_key(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_policy(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_monitor(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_socket(struct sk_ctx *ctx, int argc, char **argv);
int sk_cmd_batch(struct sk_ctx *ctx, int argc, char **argv);
/* Runs one command line (argv[0] is the noun) through the table in main.c. */
int sk_dispatch(struct sk_ctx *ctx, int argc, char **argv);
void sk_help_all(FILE *f);
void sk_help_show(FILE *f);
void sk_help_dev(FILE *f);
void sk_help_peer(FILE *f);
void sk_help_key(FILE *f);
void sk_help_policy(FILE *f);
void sk_help_monitor(FILE *f);
void sk_help_socket(FILE *f);
void sk_help_batch(FILE *f);

/* the store nouns (admin_route.c, userspace/admin/skadmin.h); declared here
 * without skadmin.h, whose struct sk_policy/sk_rule differ from ours */
bool sk_admin_is_noun(const char *noun);
void sk_admin_help(FILE *f);
int sk_admin_route(int argc, char **argv);

/* dumps shared by show, dev and peer */
struct sk_nl;
int sk_get_devs(struct sk_ctx *ctx, struct sk_nl *nl, const char *dev,
		struct sk_vec *devs);
int sk_get_peers(struct sk_ctx *ctx, struct sk_nl *nl, uint32_t ifindex,
		 const uint32_t *id, struct sk_vec *peers);

#endif /* SEKICTL_H */
