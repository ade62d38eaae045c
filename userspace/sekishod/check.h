/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod -t (check.c): what the start will need, checked without
 * starting.  Prints one line per check (ok / warning / error, English and
 * Japanese) on out; returns 0 without errors, 1 with any.
 */
#ifndef SEKISHOD_CHECK_H
#define SEKISHOD_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"

int skd_check(const struct skd_conf *conf, const char *path, FILE *out);
/* metrics.c: metrics_cert and metrics_key load as sekishod's start loads
 * them (a PEM chain, the unencrypted key that matches it, not the gateway's
 * key); 0 and the certificate's notAfter, or -1 with the reason in err */
int skd_metrics_tls_check(const struct skd_conf *conf, int64_t *not_after, char *err,
			  size_t errlen);

#endif
