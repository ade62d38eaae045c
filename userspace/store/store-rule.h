/* SPDX-License-Identifier: GPL-2.0 */
/* Private to userspace/store/: the bridge to lib/skparse.c's rule parser. */
#ifndef SK_STORE_RULE_H
#define SK_STORE_RULE_H

#include <stddef.h>
#include <stdint.h>

/* rule text through lib/skparse.c (rule_text.c: it cannot include skstore.h
 * because skparse.h has its own struct sk_rule). */
struct sk_rule_flat {
	int allow, family, prefixlen, proto, port_min, port_max;
	uint8_t addr[16];
};
int sk_rule_text_parse(const char *text, struct sk_rule_flat *r, char *err, size_t errlen);
int sk_rule_text_format(const struct sk_rule_flat *r, char *buf, size_t len);

#endif
