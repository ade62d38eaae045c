/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libldap and liblber, opened on first use (lib/skdl.h): only a directory
 * (LDAP, Active Directory) needs them.
 *
 * Each function ldap.c calls is a pointer of the type of the library's
 * own prototype (a wrong signature does not compile), and its name maps
 * to that pointer.  sk_ldap_load() must succeed before the first call:
 * sk_ldap_cfg_check() does it, and every bind, search and password
 * change comes after that check.  The first load also runs libldap's
 * global setup, under the loader's lock, so two hashing threads never
 * make the first call at once.  A function missing from SK_LDAP_SYMS
 * fails the programs' link (they link neither library).
 */
#ifndef LDAP_DL_H
#define LDAP_DL_H

#include <stddef.h>

#include <lber.h>
#include <ldap.h>

#include "skdl.h"

#define SK_LDAP_SYMS(X) \
	X(ber_memfree) X(ber_sockbuf_ctrl) X(ldap_control_find) X(ldap_control_free) \
	X(ldap_controls_free) X(ldap_count_entries) X(ldap_create_passwordpolicy_control) \
	X(ldap_dn_normalize) X(ldap_err2string) X(ldap_first_entry) X(ldap_get_dn) \
	X(ldap_get_option) X(ldap_get_values_len) X(ldap_initialize) X(ldap_is_ldap_url) \
	X(ldap_is_ldapi_url) X(ldap_is_ldaps_url) X(ldap_memfree) X(ldap_modify_ext_s) \
	X(ldap_msgfree) X(ldap_next_entry) X(ldap_parse_passwordpolicy_control) \
	X(ldap_parse_result) X(ldap_passwd_s) X(ldap_result) X(ldap_sasl_bind) \
	X(ldap_sasl_bind_s) X(ldap_search_ext_s) X(ldap_set_option) X(ldap_start_tls_s) \
	X(ldap_unbind_ext_s) X(ldap_value_free_len)

SK_LDAP_SYMS(SK_DL_DECLARE)

/* 0, or -errno with one sentence (en / ja) naming libldap and its package */
int sk_ldap_load(char *err, size_t errlen);

#define ber_memfree sk_dl_ber_memfree
#define ber_sockbuf_ctrl sk_dl_ber_sockbuf_ctrl
#define ldap_control_find sk_dl_ldap_control_find
#define ldap_control_free sk_dl_ldap_control_free
#define ldap_controls_free sk_dl_ldap_controls_free
#define ldap_count_entries sk_dl_ldap_count_entries
#define ldap_create_passwordpolicy_control sk_dl_ldap_create_passwordpolicy_control
#define ldap_dn_normalize sk_dl_ldap_dn_normalize
#define ldap_err2string sk_dl_ldap_err2string
#define ldap_first_entry sk_dl_ldap_first_entry
#define ldap_get_dn sk_dl_ldap_get_dn
#define ldap_get_option sk_dl_ldap_get_option
#define ldap_get_values_len sk_dl_ldap_get_values_len
#define ldap_initialize sk_dl_ldap_initialize
#define ldap_is_ldap_url sk_dl_ldap_is_ldap_url
#define ldap_is_ldapi_url sk_dl_ldap_is_ldapi_url
#define ldap_is_ldaps_url sk_dl_ldap_is_ldaps_url
#define ldap_memfree sk_dl_ldap_memfree
#define ldap_modify_ext_s sk_dl_ldap_modify_ext_s
#define ldap_msgfree sk_dl_ldap_msgfree
#define ldap_next_entry sk_dl_ldap_next_entry
#define ldap_parse_passwordpolicy_control sk_dl_ldap_parse_passwordpolicy_control
#define ldap_parse_result sk_dl_ldap_parse_result
#define ldap_passwd_s sk_dl_ldap_passwd_s
#define ldap_result sk_dl_ldap_result
#define ldap_sasl_bind sk_dl_ldap_sasl_bind
#define ldap_sasl_bind_s sk_dl_ldap_sasl_bind_s
#define ldap_search_ext_s sk_dl_ldap_search_ext_s
#define ldap_set_option sk_dl_ldap_set_option
#define ldap_start_tls_s sk_dl_ldap_start_tls_s
#define ldap_unbind_ext_s sk_dl_ldap_unbind_ext_s
#define ldap_value_free_len sk_dl_ldap_value_free_len

#endif
