// SPDX-License-Identifier: GPL-2.0
/* sekisho_kunit links its own copy of kmod/allowlist.c (see Kbuild). */
#include "../allowlist.c"
