// SPDX-License-Identifier: GPL-2.0
/* sekisho_kunit links its own copy of kmod/frag.c (see Kbuild). */
#include "../frag.c"
