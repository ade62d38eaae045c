#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 8 (issue 3): several groups.  openconnect picks one with
# --authgroup (group_list, §2.4); each group pushes its own pool and
# settings; a user cannot log in through a group that is not theirs.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "group selection"
check "store: group staff" sk_group staff factors=password pool4=10.77.0.0/25 domain=staff.$MAIL_DOMAIN
check "store: group vendor" sk_group vendor factors=password pool4=10.77.0.128/25 domain=vendor.$MAIL_DOMAIN \
	split-include=10.20.0.2/32
sk_user alice staff Secret-pass1 >/dev/null; sk_user bob vendor Secret-pass2 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin --authgroup staff
check "staff: alice up" oc_wait_up a 180
check "staff: staff pool and domain" sh -c "case '$(oc_env a INTERNAL_IP4_ADDRESS)' in 10.77.0.[0-9]|10.77.0.[0-9][0-9]|10.77.0.1[01][0-9]|10.77.0.12[0-7]) ;; *) exit 1;; esac; [ '$(oc_env a CISCO_DEF_DOMAIN)' = staff.$MAIL_DOMAIN ]"
oc_stop a
OC_INPUT=$'Secret-pass2\n' oc_connect b -u bob --passwd-on-stdin --authgroup vendor
check "vendor: bob up" oc_wait_up b 180
check "vendor: vendor pool, domain, host route" sh -c "case '$(oc_env b INTERNAL_IP4_ADDRESS)' in 10.77.0.1[3-9][0-9]|10.77.0.2[0-9][0-9]) ;; *) exit 1;; esac;
	[ '$(oc_env b CISCO_DEF_DOMAIN)' = vendor.$MAIL_DOMAIN ] && [ '$(oc_env b CISCO_SPLIT_INC_0_MASKLEN)' = 32 ]"
check "vendor: ping srv" ping_cli $SRV4
oc_stop b
check "groups: bob refused through staff" with_input $'Secret-pass2\n' oc_auth_refused -u bob --passwd-on-stdin --authgroup staff
ktap_end
