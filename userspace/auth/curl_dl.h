/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcurl, opened on first use (lib/skdl.h): only mail (one-time codes,
 * notices) and OCSP requests need it.
 *
 * Each function mail.c and cert.c call is a pointer of the type of
 * libcurl's own prototype, and its name maps to that pointer.
 * sk_curl_load() must succeed before the first call: each transfer
 * starts with it.  The first load also runs curl_global_init(), under
 * the loader's lock, before any handle exists.  A function missing from
 * SK_CURL_SYMS fails the programs' link (they do not link libcurl).
 *
 * gcc's compile-time check of curl_easy_setopt's and curl_easy_getinfo's
 * argument types (curl/typecheck-gcc.h) wraps the real symbols, so it
 * goes: those two map to the pointers like the others.
 */
#ifndef CURL_DL_H
#define CURL_DL_H

#include <stddef.h>

#include <curl/curl.h>

#include "skdl.h"

#define SK_CURL_SYMS(X) \
	X(curl_easy_cleanup) X(curl_easy_getinfo) X(curl_easy_init) X(curl_easy_perform) \
	X(curl_easy_setopt) X(curl_easy_strerror) X(curl_global_cleanup) X(curl_global_init) \
	X(curl_slist_append) X(curl_slist_free_all)

SK_CURL_SYMS(SK_DL_DECLARE)

/* 0, or -errno with one sentence (en / ja) naming libcurl and its package */
int sk_curl_load(char *err, size_t errlen);
/* curl_global_cleanup() if libcurl was loaded */
void sk_curl_cleanup(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_cleanup sk_dl_curl_easy_cleanup
#define curl_easy_getinfo sk_dl_curl_easy_getinfo
#define curl_easy_init sk_dl_curl_easy_init
#define curl_easy_perform sk_dl_curl_easy_perform
#define curl_easy_setopt sk_dl_curl_easy_setopt
#define curl_easy_strerror sk_dl_curl_easy_strerror
#define curl_global_cleanup sk_dl_curl_global_cleanup
#define curl_global_init sk_dl_curl_global_init
#define curl_slist_append sk_dl_curl_slist_append
#define curl_slist_free_all sk_dl_curl_slist_free_all

#endif
