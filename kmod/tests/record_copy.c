// SPDX-License-Identifier: GPL-2.0
/* sekisho_kunit links its own copy of kmod/record.c (see Kbuild). */
#include "../record.c"
