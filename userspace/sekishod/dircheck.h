/* SPDX-License-Identifier: GPL-2.0 */
/* Deprovisioning: directory users' sessions re-checked (dircheck.c, issue 15). */
#ifndef SKD_DIRCHECK_H
#define SKD_DIRCHECK_H

#include "daemon.h"

/* From the statistics timer: starts a re-check when the user's directory's
 * recheck-interval has passed, or collects one; may end s. */
void skd_dircheck(struct skd *d, struct skd_session *s, int64_t now);
/* The session goes: its re-check, if any, is abandoned (skd_session_clear). */
void skd_dircheck_drop(struct skd_session *s);

#endif
