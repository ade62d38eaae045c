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

#include "knl.h"
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
int sk_usage(const struct sk_ctx *ctx, const char *fmt, ...);
/* Japanese messages: the first of LC_ALL, LC_MESSAGES, LANG that is set
 * starts with "ja" (sk_usage then prints ska_usage_ja's text) */
bool sk_locale_ja(void);	/* returns 2 */

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

/*
 * Report a knl call: on failure print "sekictl: WHAT: <what the kernel
 * said>" and return SK_EXIT_FAIL; on success print the kernel's warning,
 * if it gave one, and return SK_EXIT_OK.
 */
int sk_knl(const struct sk_ctx *ctx, const struct knl *nl, int ret);
int sk_knl_open(const struct sk_ctx *ctx, struct knl *nl);	/* knl_open + sk_knl */

/*
 * The verbs of a noun: sk_run_verb() runs the entry argv[0] names with the
 * arguments after it and ctx->what set to its what ("peer add"); with no
 * verb or an unknown one it prints a usage error that lists the names in
 * table order ("expected add, set or del").
 */
struct sk_verb {
	const char *name;
	const char *what;
	int (*run)(struct sk_ctx *ctx, int argc, char **argv);
	/* or, for add and set sharing one function: run_set(..., set) */
	int (*run_set)(struct sk_ctx *ctx, int argc, char **argv, bool is_set);
	bool set;
};
int sk_run_verb(struct sk_ctx *ctx, const struct sk_verb *verbs, size_t n,
		int argc, char **argv);
#define SK_RUN_VERB(ctx, verbs, argc, argv) \
	sk_run_verb(ctx, verbs, sizeof(verbs) / sizeof((verbs)[0]), argc, argv)

/*
 * The start of the list commands: "[DEV] [--json]" (dev, show), or with
 * idname "DEV [ID] [--json]" (peer, kpolicy: idname is "peer ID"), DEV's
 * ifindex (0 without DEV), ID (0 without), and nl opened.  SK_EXIT_OK, or
 * the exit code of the error it printed (nl is then closed).
 */
struct sk_list_req {
	const char *dev, *ids;
	bool json;
	unsigned int ifindex;
	uint32_t id;
};
int sk_list_open(const struct sk_ctx *ctx, int argc, char **argv, const char *idname,
		 struct sk_list_req *r, struct knl *nl);

/*
 * The del commands: sends cmd for device dev with one nest attribute
 * holding the u32 attributes a1 = v1 and, when a2 is not 0, a2 = v2;
 * SK_EXIT_OK, or the exit code of what it printed.
 */
int sk_knl_del(const struct sk_ctx *ctx, const char *dev, uint8_t cmd, uint16_t nest,
	       uint16_t a1, uint32_t v1, uint16_t a2, uint32_t v2);

/* "unknown option 'ARG'" or "unexpected argument 'ARG'" into err; -1. */
int sk_bad_arg(const char *arg, char *err, size_t errlen);

/* ---- printing (print.c) ---- */
struct sk_json;
void sk_print_dev(FILE *f, const struct knl_dev *d);
void sk_print_peer(FILE *f, const struct knl_peer *p, const char *indent);
void sk_print_policy(FILE *f, const struct knl_policy *p, const char *ifname);
void sk_json_dev(struct sk_json *j, const struct knl_dev *d);	/* open object */
void sk_json_peer(struct sk_json *j, const struct knl_peer *p);
void sk_json_policy(struct sk_json *j, const struct knl_policy *p);
void sk_json_stats(struct sk_json *j, const struct knl_stats *s);

/*
 * Prints the objects of a knl_vec: with json one JSON array (or the object
 * alone when one is set: a single object was asked for), otherwise the text
 * forms separated by blank lines.  ifname names the device in the text of
 * a policy.
 */
enum sk_obj { SK_OBJ_DEV, SK_OBJ_PEER, SK_OBJ_POLICY };
void sk_print_list(FILE *f, enum sk_obj kind, const struct knl_vec *v,
		   bool json, bool one, const char *ifname);

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
/* knouns.c: the kernel nouns (the only ones the small sekictl runs itself);
 * sk_run_cmd and sk_kernel_dispatch return -1 when argv[0] is not one of
 * theirs, else the command's exit code */
int sk_run_cmd(const struct sk_cmd *cmds, size_t n, struct sk_ctx *ctx, int argc, char **argv);
int sk_kernel_dispatch(struct sk_ctx *ctx, int argc, char **argv);
void sk_print_nouns(FILE *f, const struct sk_cmd *cmds, size_t n, bool help);
void sk_kernel_nouns(FILE *f, bool help);
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
 * without skadmin.h, whose struct knl_policy/sk_rule differ from ours */
bool sk_admin_is_noun(const char *noun);
void sk_admin_help(FILE *f);
int sk_admin_route(int argc, char **argv);

#endif /* SEKICTL_H */
