// SPDX-License-Identifier: GPL-2.0
/* sekisho_kunit links its own copy of kmod/replay.c (see Kbuild). */
#include "../replay.c"
