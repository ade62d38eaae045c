// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl key add|del: SEKISHO_CMD_KEY_NEW / KEY_DEL.
 *
 * Keys come from a file or stdin, never from argv (visible in ps), and are
 * wiped from every buffer that held them once the request is sent.
 */
#include <string.h>

#include "knl.h"
#include "sekictl.h"

void sk_help_key(FILE *f)
{
	fprintf(f,
"sekictl key add DEV PEER_ID --epoch E --cipher aes128-gcm|aes256-gcm|chacha20-poly1305\n"
"                --keys FILE|-      (lines: tx-key HEX, tx-iv HEX, rx-key HEX, rx-iv HEX,\n"
"                                    optional tx-seq N, rx-seq N)\n"
"sekictl key del DEV PEER_ID primary|secondary\n");
}

int sk_key_args_parse(int argc, char **argv, struct sk_key_args *a,
		      char *err, size_t errlen)
{
	char e2[SK_ERRLEN];
	bool has_cipher = false;
	const char *v;
	int i, r;

	memset(a, 0, sizeof(*a));
	if (argc < 2) {
		snprintf(err, errlen, "expected DEV PEER_ID");
		return -1;
	}
	a->dev = argv[0];
	if (sk_parse_u32(argv[1], &a->peer, e2, sizeof(e2)) || !a->peer) {
		snprintf(err, errlen, "PEER_ID: '%s' is not a number 1..4294967295",
			 argv[1]);
		return -1;
	}
	for (i = 2; i < argc; i++) {
		v = NULL;
		if ((r = sk_opt(argc, argv, &i, "epoch", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_u16(v, &a->epoch, e2, sizeof(e2))) {
				snprintf(err, errlen, "--epoch: %s", e2);
				return -1;
			}
			a->has_epoch = true;
		} else if ((r = sk_opt(argc, argv, &i, "cipher", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_cipher(v, &a->cipher, e2, sizeof(e2))) {
				snprintf(err, errlen, "--cipher: %s", e2);
				return -1;
			}
			has_cipher = true;
		} else if ((r = sk_opt(argc, argv, &i, "keys", &v, err, errlen))) {
			if (r < 0)
				return -1;
			a->keys = v;
		} else if (argv[i][0] == '-') {
			snprintf(err, errlen, "unknown option '%s'%s", argv[i],
				 strstr(argv[i], "key") && strcmp(argv[i], "--keys") ?
				 " (keys are read from --keys FILE|-, never from the command line)" : "");
			return -1;
		} else {
			snprintf(err, errlen, "unexpected argument '%s'", argv[i]);
			return -1;
		}
	}
	if (!a->has_epoch || !has_cipher || !a->keys) {
		snprintf(err, errlen, "--epoch, --cipher and --keys are required");
		return -1;
	}
	return 0;
}

static void put_dir(struct knl_msg *m, uint16_t type, const struct sk_keydir *d)
{
	struct nlattr *n = knl_nest_start(m, type);

	knl_put_bin(m, SEKISHO_A_KEYDIR_KEY, d->key, d->key_len);
	knl_put_bin(m, SEKISHO_A_KEYDIR_IV, d->iv, d->iv_len);
	if (d->has_seq)
		knl_put_u64(m, SEKISHO_A_KEYDIR_SEQ, d->seq);
	knl_nest_end(m, n);
}

static int key_add(struct sk_ctx *ctx, int argc, char **argv)
{
	struct sk_key_args a;
	struct sk_keys k;
	char err[SK_ERRLEN];
	unsigned int ifindex;
	struct knl_msg m;
	struct knl nl;
	struct nlattr *kc;
	int ret;

	if (sk_key_args_parse(argc, argv, &a, err, sizeof(err)))
		return sk_usage(ctx, "%s", err);
	ifindex = sk_ifindex(ctx, a.dev);
	if (!ifindex)
		return SK_EXIT_FAIL;
	if (sk_keys_load(a.keys, &k, err, sizeof(err)))
		return sk_usage(ctx, "--keys: %s", err);
	if (sk_keys_check(&k, a.cipher, err, sizeof(err))) {
		sk_keys_wipe(&k);
		return sk_usage(ctx, "--keys %s: %s", a.keys, err);
	}
	if (sk_knl_open(ctx, &nl)) {
		sk_keys_wipe(&k);
		return SK_EXIT_FAIL;
	}
	if (sk_knl(ctx, &nl, knl_msg_new(&m, &nl, SEKISHO_CMD_KEY_NEW, 0, 1024))) {
		sk_keys_wipe(&k);
		knl_close(&nl);
		return SK_EXIT_FAIL;
	}
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	kc = knl_nest_start(&m, SEKISHO_A_KEYCONF);
	knl_put_u32(&m, SEKISHO_A_KEYCONF_PEER_ID, a.peer);
	knl_put_u16(&m, SEKISHO_A_KEYCONF_EPOCH, a.epoch);
	knl_put_u32(&m, SEKISHO_A_KEYCONF_CIPHER, (uint32_t)a.cipher);
	put_dir(&m, SEKISHO_A_KEYCONF_ENCRYPT_DIR, &k.tx);
	put_dir(&m, SEKISHO_A_KEYCONF_DECRYPT_DIR, &k.rx);
	knl_nest_end(&m, kc);
	sk_keys_wipe(&k);
	ret = sk_knl(ctx, &nl, knl_do(&nl, &m, NULL, NULL));
	knl_msg_free(&m, true);	/* the request held the keys */
	knl_close(&nl);
	if (!ret)
		fprintf(ctx->out, "key epoch %u (%s) installed for peer %u on %s\n",
			a.epoch, sk_cipher_name(a.cipher), a.peer, a.dev);
	return ret;
}

static int key_del(struct sk_ctx *ctx, int argc, char **argv)
{
	char e2[SK_ERRLEN];
	uint32_t peer, slot;
	int ret;

	if (argc < 3)
		return sk_usage(ctx, "expected DEV PEER_ID primary|secondary");
	if (argc > 3)
		return sk_usage(ctx, "unexpected argument '%s'", argv[3]);
	if (sk_parse_u32(argv[1], &peer, e2, sizeof(e2)) || !peer)
		return sk_usage(ctx, "PEER_ID: '%s' is not a number 1..4294967295",
				argv[1]);
	if (!strcmp(argv[2], "primary"))
		slot = SEKISHO_KEY_SLOT_PRIMARY;
	else if (!strcmp(argv[2], "secondary"))
		slot = SEKISHO_KEY_SLOT_SECONDARY;
	else
		return sk_usage(ctx, "slot '%s' is not primary or secondary", argv[2]);
	ret = sk_knl_del(ctx, argv[0], SEKISHO_CMD_KEY_DEL, SEKISHO_A_KEYCONF,
			 SEKISHO_A_KEYCONF_PEER_ID, peer, SEKISHO_A_KEYCONF_SLOT, slot);
	if (!ret)
		fprintf(ctx->out, "%s key of peer %u on %s removed\n", argv[2], peer,
			argv[0]);
	return ret;
}

static const struct sk_verb key_verbs[] = {
	{ "add", "key add", .run = key_add },
	{ "del", "key del", .run = key_del },
};

int sk_cmd_key(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, key_verbs, argc, argv);
}
