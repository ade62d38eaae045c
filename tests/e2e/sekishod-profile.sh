#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 4 with a running gateway: `sekictl profile send` mails a download
# link (real SMTP); sekishod serves the connection package over HTTPS until
# its download limit, then 410; an expired link is 410 too.  The package's
# PKCS#12 and password log the user in (cert + password).  Also issue 3's
# proxy modes: a group with proxy=server gets a PAC URL on CONNECT, and
# sekishod serves that PAC.
. "$(dirname "$0")/lib.sh"
E2E_SMTP=1	# reads the mail sekishod sends
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "profile links and PAC"
sk_group eng factors=cert,password proxy=server proxy-server=proxy.$MAIL_DOMAIN:8080 \
	"proxy-exclude=*.$MAIL_DOMAIN;10.*" >/dev/null
check "store: group eng, proxy=server" true
for u in alice bob; do sk_user $u eng Secret-pass1 >/dev/null; done
skctl settings set ca.dir "$SK_LIB/ca" >/dev/null
skctl settings set profile.base_url "https://$VPN_HOST" >/dev/null
# profile mails (and, once set, the one-time codes) use the store's relay
skctl settings set smtp.url "smtp://$GW4:25" >/dev/null
skctl settings set smtp.from "sekisho@$MAIL_DOMAIN" >/dev/null
check "ca: init" skctl ca init --cn "sekisho e2e CA"
for u in alice bob; do
	skctl device add $u-pc --type windows --method serial --id SN-$u >/dev/null &&
		skctl device assign $u $u-pc >/dev/null
done
SK_CLIENT_CA=$SK_LIB/ca/ca.pem SK_CRL=$SK_LIB/ca/crl.pem sekishod_conf
check "sekishod: starts" sekishod_start || exit 1

# mail_wait_link ADDR: the profile link in the newest mail to ADDR
mail_wait_link() {
	local i
	for i in $(seq 1 60); do
		$PY - "$MAILDIR" "$1" <<'PY' && return 0
import email, email.policy, os, re, sys
box, addr = sys.argv[1], sys.argv[2].lower()
best = None
for sub in ("new", "cur"):
    d = os.path.join(box, sub)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        p = os.path.join(d, name)
        m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.default)
        if addr not in str(m.get("To", "")).lower():
            continue
        t = m.get_body(preferencelist=("plain",)).get_content()
        u = re.search(r"https://\S+/profile/[A-Za-z0-9_-]+", t)
        if u and (best is None or os.path.getmtime(p) > best[0]):
            best = (os.path.getmtime(p), u.group(0))
if best:
    print(best[1])
    sys.exit(0)
sys.exit(1)
PY
		sleep 1
	done
	return 1
}
fetch() { # fetch URL OUT: prints the HTTP status
	in_cli curl -s -o "$2" -w '%{http_code}' --max-time 30 --cacert "$CERTS/ca.pem" \
		--resolve "$VPN_HOST:443:$GW4" "$1"
}

check "profile: send alice (2 downloads)" skctl_live profile send alice alice-pc --days 1 --downloads 2
link=$(mail_wait_link "alice@$MAIL_DOMAIN")
check "profile: the mail carries the link" test -n "$link"
check "profile: state waiting for download" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK profile list | grep alice | grep -qi 'waiting for download'"
check "profile: download 1 -> 200" test "$(fetch "$link" "$T/pkg1.tar")" = 200
check "profile: the package holds client.p12, settings.txt, READMEs, the host scan wrappers and their posture agents" sh -c "tar tf '$T/pkg1.tar' | sort | tr '\n' ' ' | grep -q 'README-en.txt README-ja.txt agents/linux.sh agents/macos.sh agents/windows.ps1 client.p12 sekisho-hostscan.bat sekisho-hostscan.ps1 sekisho-hostscan.sh settings.txt'"
check "profile: state waiting for device registration" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK profile list | grep alice | grep -qi 'registration'"
check "profile: download 2 -> 200" test "$(fetch "$link" "$T/pkg2.tar")" = 200
check "profile: download 3 (limit 2) -> 410" test "$(fetch "$link" "$T/pkg3.tar")" = 410
check "profile: the 410 says why (ja/en)" grep -q 'expired\|used' "$T/pkg3.tar"
check "profile: an unknown link -> 404" test "$(fetch "https://$VPN_HOST/profile/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$T/x")" = 404

# the package logs alice in: its PKCS#12 with the password from settings.txt
mkdir -p "$T/pkg" && tar xf "$T/pkg1.tar" -C "$T/pkg"
p12pass=$(sed -n 's/^[^=]*[Pp]assword[^=]*= *//p' "$T/pkg/settings.txt" | head -n 1)
check "profile: settings.txt has the PKCS#12 password" test -n "$p12pass"
check "profile: the package's certificate + password log alice in" with_input $'Secret-pass1\n' \
	oc_auth_cookie --certificate "$T/pkg/client.p12" --key-password "$p12pass" -u alice --passwd-on-stdin

# expiry: bob's link, then its expiry moved into the past in the store
check "profile: send bob" skctl_live profile send bob bob-pc --days 1 --downloads 1
blink=$(mail_wait_link "bob@$MAIL_DOMAIN")
sqlite3 "$SK_STORE" "PRAGMA busy_timeout=5000; UPDATE profiles SET expires = 1 WHERE user = 'bob';"
check "profile: an expired link -> 410" test "$(fetch "$blink" "$T/pkgb.tar")" = 410
check "profile: list says link expired" sh -c "ip netns exec gw $SEKICTL --socket $SK_SOCK profile list | grep bob | grep -qi 'expired'"

# proxy=server: the CONNECT reply names the PAC, and sekishod serves it
OC_INPUT=$'Secret-pass1\n' oc_connect a --certificate "$T/pkg/client.p12" --key-password "$p12pass" -u alice --passwd-on-stdin
if check "pac: tunnel up" oc_wait_up a 180; then
	pac=$(oc_env a CISCO_PROXY_PAC)
	check "pac: CONNECT gave $pac" test "$pac" = "https://$VPN_HOST/proxy/eng.pac"
	check "pac: served -> 200" test "$(fetch "$pac" "$T/eng.pac")" = 200
	check "pac: PROXY proxy.$MAIL_DOMAIN:8080 with the exclusions" sh -c "grep -q 'PROXY proxy.$MAIL_DOMAIN:8080' '$T/eng.pac' && grep -q 'shExpMatch(host, \"10.\*\")' '$T/eng.pac'"
	oc_stop a
fi
check "pac: unknown group -> 404" test "$(fetch "https://$VPN_HOST/proxy/nosuch.pac" "$T/x")" = 404

# issue 11 item 4: a second profile for the same device supersedes the first
# (its certificate is revoked, its link expires); deleting the user expires
# its links.
check "supersede: a second profile for alice-pc" skctl_live profile send alice alice-pc --days 1 --downloads 1
link2=
for _ in $(seq 1 30); do
	link2=$(mail_wait_link "alice@$MAIL_DOMAIN")
	[ -n "$link2" ] && [ "$link2" != "$link" ] && break
	sleep 1
done
check "supersede: a new link was mailed" sh -c "[ -n '$link2' ] && [ '$link2' != '$link' ]"
check "supersede: the first package's certificate is refused" with_input $'Secret-pass1\n' \
	oc_auth_refused --certificate "$T/pkg/client.p12" --key-password "$p12pass" -u alice --passwd-on-stdin
check "supersede: the new link -> 200" test "$(fetch "$link2" "$T/pkg4.tar")" = 200
mkdir -p "$T/pkg4" && tar xf "$T/pkg4.tar" -C "$T/pkg4"
p12pass4=$(sed -n 's/^[^=]*[Pp]assword[^=]*= *//p' "$T/pkg4/settings.txt" | head -n 1)
check "supersede: the new package logs alice in" with_input $'Secret-pass1\n' \
	oc_auth_cookie --certificate "$T/pkg4/client.p12" --key-password "$p12pass4" -u alice --passwd-on-stdin
check "user del: a fresh link for bob" skctl_live profile send bob bob-pc --days 1 --downloads 1
blink2=
for _ in $(seq 1 30); do
	blink2=$(mail_wait_link "bob@$MAIL_DOMAIN")
	[ -n "$blink2" ] && [ "$blink2" != "$blink" ] && break
	sleep 1
done
check "user del: bob deleted on the running gateway" skctl_live user del bob
check "user del: bob's link -> 410" test "$(fetch "$blink2" "$T/pkgb2.tar")" = 410
check "user del: alice's profile after bob's deletion still works" with_input $'Secret-pass1\n' \
	oc_auth_cookie --certificate "$T/pkg4/client.p12" --key-password "$p12pass4" -u alice --passwd-on-stdin
ktap_end
