/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod -t (check.c): what the start will need, checked without
 * starting.  Prints one line per check (ok / warning / error, English and
 * Japanese) on out; returns 0 without errors, 1 with any.
 */
#ifndef SEKISHOD_CHECK_H
#define SEKISHOD_CHECK_H

#include <stdio.h>

#include "conf.h"

int skd_check(const struct skd_conf *conf, const char *path, FILE *out);

#endif
