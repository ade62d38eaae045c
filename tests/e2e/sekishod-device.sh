#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 4, device check through the AnyConnect host scan (CSD):
# settings device.hostscan on makes every init reply carry <host-scan>, so
# openconnect runs its --csd-wrapper (packaging/sekisho-hostscan.sh or the
# stock csd-post.sh), which posts a report with the device's serial ID and
# MACs.  With device.auto_register on, alice's first connection registers
# her serial into pc1 (check on, serial, no ID yet) and is refused with
# "connect again"; the second one brings the tunnel up on pc1.  Other
# serials are refused (and the administrator is mailed), so is the stock
# wrapper (no serial, fake MAC), a disabled device, and bob's MAC device
# carries a policy override that the kernel enforces.
. "$(dirname "$0")/lib.sh"
E2E_SMTP=1	# reads the mail sekishod sends
HOSTS_DIR=/etc/netns/cli
cleanup() {
	sekishod_stop
	rm -f "$HOSTS_DIR/hosts"
	rmdir "$HOSTS_DIR" 2>/dev/null
	e2e_cleanup
}
trap cleanup EXIT
sk_begin "device check (host scan)"
WRAP=$REPO/packaging/sekisho-hostscan.sh
STOCK=/usr/libexec/openconnect/csd-post.sh
ADMIN=admin@$MAIL_DOMAIN

# the wrappers reach the gateway by the name openconnect was given
# (CSD_HOSTNAME); openconnect itself uses --resolve, curl needs a hosts file
mkdir -p "$HOSTS_DIR" && printf '127.0.0.1 localhost\n%s %s\n' "$GW4" "$VPN_HOST" >"$HOSTS_DIR/hosts"
check "setup: $VPN_HOST resolves in ns cli" in_cli getent hosts "$VPN_HOST"

sk_group eng factors=password max-devices=4 >/dev/null
check "store: group eng" true
for u in alice bob carol; do sk_user $u eng Secret-pass1 >/dev/null; done
check "store: policy dev-ssh (tcp/22 only)" skctl policy add dev-ssh
skctl policy rule add dev-ssh allow tcp 10.20.0.0/24 port 22 >/dev/null
check "store: pc1, serial, no ID yet" skctl device add pc1 --type windows --method serial
skctl device assign alice pc1 >/dev/null
check "store: bob-mac, MAC method" skctl device add bob-mac --type windows --method mac --id 52:54:00:aa:bb:01
skctl device set bob-mac policy=dev-ssh >/dev/null
skctl device assign bob bob-mac >/dev/null
check "store: carol's device has the check off" skctl device add carol-pc --type windows --method serial --id C-1 --no-check
skctl device assign carol carol-pc >/dev/null
for kv in device.hostscan=on device.auto_register=on notify.admin_email=$ADMIN \
	ca.dir=$SK_LIB/ca profile.base_url=https://$VPN_HOST smtp.url=smtp://$GW4:25 \
	smtp.from=sekisho@$MAIL_DOMAIN; do
	skctl settings set "${kv%%=*}" "${kv#*=}" >/dev/null || diag "settings set $kv failed"
done
check "settings: device.hostscan on" sh -c "'$SEKICTL' --store '$SK_STORE' settings show | grep 'device.hostscan' | grep -q on"
skctl ca init --cn "sekisho e2e CA" >/dev/null
check "sekishod: starts" sekishod_start || exit 1

# the profile of pc1: downloaded -> waiting for device registration
check "profile: send alice pc1" skctl_live profile send alice pc1 --days 1 --downloads 2
link=""
for i in $(seq 1 60); do
	link=$($PY - "$MAILDIR" "alice@$MAIL_DOMAIN" <<'PY'
import email, email.policy, os, re, sys
box, addr = sys.argv[1], sys.argv[2].lower()
for sub in ("new", "cur"):
    d = os.path.join(box, sub)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        m = email.message_from_binary_file(open(os.path.join(d, name), "rb"), policy=email.policy.default)
        if addr in str(m.get("To", "")).lower():
            u = re.search(r"https://\S+/profile/[A-Za-z0-9_-]+", m.get_body(preferencelist=("plain",)).get_content())
            if u:
                print(u.group(0)); sys.exit(0)
PY
)
	[ -n "$link" ] && break
	sleep 1
done
check "profile: download -> 200" test "$(in_cli curl -s -o "$T/pkg.tar" -w '%{http_code}' --max-time 30 \
	--cacert "$CERTS/ca.pem" "$link")" = 200
check "profile: the package has the host scan wrapper, mode 0755" sh -c "tar tvf '$T/pkg.tar' | grep -q '^-rwxr-xr-x.*sekisho-hostscan.sh'"
check "profile: settings.txt names --csd-wrapper" sh -c "tar xOf '$T/pkg.tar' settings.txt | grep -q -- '--csd-wrapper'"
check "profile: waiting for device registration" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK profile list | grep pc1 | grep -qi 'registration'"

# no wrapper at all: openconnect stops at the host scan request
out=$(with_input $'Secret-pass1\n' oc_auth -u carol --passwd-on-stdin)
check "no --csd-wrapper: openconnect refuses to go on" grep -q 'csd-wrapper' <<<"$out"

# first connection: registers SN-1 into pc1 and ends
out=$(SEKISHO_DEVICE_ID=SN-1 with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin --csd-wrapper "$WRAP")
rc=$?
check "alice SN-1 (first): refused" test $rc -ne 0
check "alice SN-1 (first): the message says registered, connect again" grep -q 'is now registered' <<<"$out" ||
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
check "device show pc1: SN-1" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK device show pc1 | grep -q SN-1"
check "profile: ready" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK profile list | grep pc1 | grep -qi 'ready'"
check "audit: device-register" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK audit list --type device-register | grep -q pc1"

# second connection: the tunnel comes up on pc1
SEKISHO_DEVICE_ID=SN-1 OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin --csd-wrapper "$WRAP"
check "alice SN-1 (again): tunnel up" oc_wait_up a 180
check "session list names pc1" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK session list --json | grep -q '\"device\": *\"pc1\"'"
check "alice: tcp/3389 allowed (group policy)" tcp_probe $SRV4 3389
oc_stop a

# another serial: unknown, the administrator hears of it
before=$(mail_count "$ADMIN")
out=$(SEKISHO_DEVICE_ID=SN-2 with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin --csd-wrapper "$WRAP")
check "alice SN-2: refused, not registered" grep -q 'not registered' <<<"$out"
check "admin mail for the failed auto-registration" wait_for 30 sh -c "[ \$(grep -lis '^X-RcptTo:.*$ADMIN' '$MAILDIR'/new/* '$MAILDIR'/cur/* 2>/dev/null | wc -l) -gt $before ]"

# the stock csd-post.sh: no serial, fake MAC
out=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin --csd-wrapper "$STOCK")
check "alice with the stock csd-post.sh: refused" grep -q 'not registered' <<<"$out"

# bob: MAC device with the policy override dev-ssh
SEKISHO_DEVICE_MACS="02:00:00:00:00:09 52:54:00:AA:BB:01" OC_INPUT=$'Secret-pass1\n' \
	oc_connect b -u bob --passwd-on-stdin --csd-wrapper "$WRAP"
check "bob MAC device: tunnel up" oc_wait_up b 180
check "bob: session on bob-mac" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK session list --json | grep -q '\"device\": *\"bob-mac\"'"
check "bob: kernel has the dev-ssh rule (kpolicy list)" sh -c "ip netns exec gw $SEKICTL kpolicy list sk0 | grep -q '22'"
check "bob (device policy): tcp/22 allowed" tcp_probe $SRV4 22
check_not "bob (device policy): tcp/3389 denied though the group allows it" tcp_probe $SRV4 3389
oc_stop b
out=$(SEKISHO_DEVICE_MACS="52:54:00:aa:bb:02" with_input $'Secret-pass1\n' oc_auth -u bob --passwd-on-stdin --csd-wrapper "$WRAP")
check "bob with another MAC: refused" grep -q 'not registered' <<<"$out"

# a disabled device: the live session on it ends, the next login is refused
SEKISHO_DEVICE_ID=SN-1 OC_INPUT=$'Secret-pass1\n' oc_connect a2 -u alice --passwd-on-stdin --csd-wrapper "$WRAP"
check "alice on pc1: tunnel up again" oc_wait_up a2 180
check "device set pc1 enabled=no" skctl_live device set pc1 enabled=no
check "pc1 disabled: alice's live tunnel ends" wait_for 60 sh -c "! kill -0 $(oc_pid a2) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env a2 TUNDEV)"
check "pc1 disabled: audit session-end device-disabled" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK audit list --type session-end | grep -q device-disabled"
oc_stop a2
out=$(SEKISHO_DEVICE_ID=SN-1 with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin --csd-wrapper "$WRAP")
check "alice on disabled pc1: refused (disabled)" grep -q 'disabled' <<<"$out"

# carol has no checked device: the stock wrapper is enough
check "carol (no checked device) with the stock wrapper: logged in" \
	with_input $'Secret-pass1\n' oc_auth_cookie -u carol --passwd-on-stdin --csd-wrapper "$STOCK"
ktap_end
