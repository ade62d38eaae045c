# SPDX-License-Identifier: GPL-2.0
# The benchmarks' pinned layout (gateway.sh's pinned mode, prof-tls.sh),
# sourced: the client, the gateway and the server each on their own CPUs,
# as if they were other machines (Documentation/testing.md, "Gateway
# benchmark").

# cpu_mask LIST: the hex mask of a CPU list such as 1-2,4
cpu_mask() {
	local m=0 r a b
	for r in ${1//,/ }; do
		a=${r%-*} b=${r#*-}
		for ((; a <= b; a++)); do m=$((m | 1 << a)); done
	done
	printf '%x' "$m"
}
# steer NS LIST: RPS of each device of ns NS: its received packets are
# handled on LIST (veth hands a packet to the receiving device on the
# sender's CPU; this moves that work to the receiver's side)
steer() {
	ip netns exec "$1" sh -c 'for q in /sys/class/net/*/queues/rx-*/rps_cpus; do
		case $q in /sys/class/net/lo/*) continue ;; esac; echo "$0" >"$q"; done' "$(cpu_mask "$2")"
}
# pin_ns NS LIST: every thread of every process in ns NS (their later
# children inherit it)
pin_ns() {
	local p
	for p in $(ip netns pids "$1"); do taskset -a -p -c "$2" "$p" >/dev/null 2>&1; done
}
# pin_layout CLI GW SRV: the processes of ns gw and ns srv on GW and SRV
# (the client's, in ns cli, follow the caller's own affinity), and every
# namespace's received packets on its own CPUs; again after a gateway
# started or a tunnel came up (new processes, new tun devices)
pin_layout() {
	pin_ns gw "$2"
	pin_ns srv "$3"
	steer cli "$1"
	steer gw "$2"
	steer srv "$3"
	return 0
}
