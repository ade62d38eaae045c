#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 10,000 peers added, dumped (resumable multi-part dump) and removed, and a
# 10,000-rule policy round-trips; then malformed and random netlink input.
. "$(dirname "$0")/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT
N=${SCALE_PEERS:-10000}

check "module loads" load_module || exit 1
check "topology" topo_up || exit 1
check "gateway UDP socket" start_holder || exit 1

for i in $(seq 1 "$N"); do
	printf 'peer add sk0 %d --socket %s --remote 10.10.1.2:%d --vpn-ip 10.100.%d.%d\n' \
		"$i" "$HOLDER_SOCK" $((20000 + i)) $((i / 256)) $((i % 256))
done > "$T/add.batch"
check "$N peers added in one batch" in_gw "$SEKICTL" batch "$T/add.batch"
check "device reports $N peers" test "$(counter peers)" -eq "$N"
in_gw "$SEKICTL" peer list sk0 --json > "$T/dump.json"
check "dump returns every peer once" test "$(grep -o '"id":[0-9]*' "$T/dump.json" | sort -u | wc -l)" -eq "$N"
sed 's/^peer add sk0 \([0-9]*\) .*/peer del sk0 \1/' "$T/add.batch" > "$T/del.batch"
check "$N peers removed" in_gw "$SEKICTL" batch "$T/del.batch"
check "device reports 0 peers" test "$(counter peers)" -eq 0

for i in $(seq 0 9999); do
	printf 'allow tcp 172.%d.%d.0/24 %d\n' $((16 + i / 2500)) $(((i / 10) % 250)) $((1 + i % 1000))
done > "$T/rules"
echo 'deny any any4' >> "$T/rules"
check "10,001-rule policy" in_gw "$SEKICTL" kpolicy add sk0 7 --file "$T/rules"
in_gw "$SEKICTL" kpolicy show sk0 7 --json > "$T/policy.json"
check "policy dump returns every rule" test "$(grep -o '"action"' "$T/policy.json" | wc -l)" -eq 10001
check "policy replaced live" in_gw "$SEKICTL" kpolicy set sk0 7 "allow any any4"
check "policy removed" in_gw "$SEKICTL" kpolicy del sk0 7

ip netns exec gw python3 "$(dirname "$0")/nl-fuzz.py" sk0 "${FUZZ_ITERS:-3000}" > "$T/fuzz.out" 2>&1
fuzz_rc=$?
# Re-emit the fuzzer's own results as ours.
while read -r line; do
	case $line in
	"ok "*) ktap_result ok "netlink: ${line#ok * }" ;;
	"not ok "*) ktap_result fail "netlink: ${line#not ok * }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$T/fuzz.out"
[ $fuzz_rc -le 1 ] || ktap_result fail "netlink fuzzer ran" "$(tail -n 20 "$T/fuzz.out")"
ktap_end
