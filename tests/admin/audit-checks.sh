#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The administrator fixes of issue 14 through the sekictl binary (--store on
# a temporary SQLite file): URL schemes of smtp.url and profile.base_url,
# overlapping pools, one MAC on two devices, a past valid-until (a warning),
# an unknown audit --type, and refused commands in the audit trail without
# the words of their command line.  TAP output.
# Usage: tests/admin/audit-checks.sh   (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
. "$REPO/tests/lib/tap.sh"
admin_store checks

echo "TAP version 13"
ok "smtp.url https:// refused (exit 2, en and ja)" expect 2 "smtp://.*で始まる URL" \
	S settings set smtp.url https://mail.example.jp
ok "profile.base_url http:// refused" expect 2 "does not start with https://" \
	S settings set profile.base_url http://vpn.example.jp
ok "smtp.url smtps:// with a host taken" expect 0 "smtp.url: (none) -> smtps://mail.example.jp:465" \
	S settings set smtp.url smtps://mail.example.jp:465
ok "group a with pool4 10.8.0.0/16" expect 0 "group a: added" S group add a pool4=10.8.0.0/16
ok "group b inside a's pool refused (exit 1)" expect 1 "pool4 10.8.1.0/24 overlaps pool4 10.8.0.0/16 of group a" \
	S group add b pool4=10.8.1.0/24
ok "group b with its own pool" expect 0 "group b: added" S group add b pool4=10.9.0.0/24
ok "group set b into a's pool refused" expect 1 "overlaps" S group set b pool4=10.8.0.0/24
ok "device pc1 with a MAC" expect 0 "" S device add pc1 --type windows --method mac --id 12:34:56:78:90:ab
ok "the same MAC on pc2 refused" expect 1 "already device pc1" \
	S device add pc2 --type mac --method mac --id 12-34-56-78-90-AB
ok "a past valid-until: added, with a warning" expect 0 "warning: valid-until 2001-03-31.*in the past" \
	S user add old --email old@example.jp --group a --valid-until 2001-03-31
ok "audit list --type with a typo: exit 2 and the types" expect 2 "unknown audit type 'logn'; types: login" \
	S audit list --type logn
ok "a secret on the command line refused" expect 2 "not taken on the command line" \
	S settings set smtp.password Hunter2-secret
ok "refused commands are in the audit trail" expect 0 '"result":"refused-usage".*"command":"settings set"' \
	S audit export --type admin
ok "the secret is not" sh -c "! '$SEKICTL' --store '$DB' audit export | grep -q Hunter2"
ok "a refused group add is audited as refused" expect 0 '"result":"refused".*"command":"group add"' \
	S audit export --type admin
tap_done
