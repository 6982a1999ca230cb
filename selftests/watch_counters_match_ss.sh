#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The SYN_RECV and TIME_WAIT numbers tcpstate-watch shows (--counters, and
# the -i status line, and --prometheus while another reader holds the ring)
# equal what ss lists for the same traffic: half-open connections from
# spoofed SYNs whose SYN-ACKs a dummy device swallows, and client-closed
# loopback connections, in a netns of their own. TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ns=tcpstate-ss-$$
work=$(mktemp -d)
listener=
holder=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

. "$here/../scripts/tap.sh"
tap_header
tap_plan 4
# result RC NAME DIAGNOSTICS: the diagnostics, then ok when RC is 0.
result() {
	[ -n "$3" ] && tap_diag "$3"
	tap_result "$1" "$2"
}
in_ns() {
	ip netns exec "$ns" "$@"
}
# ss lists the sockets of a state, one per line after the header.
ss_count() {
	in_ns ss -Htan state "$1" | wc -l
}
counter() {
	in_ns tcpstate-watch --counters | awk -v n="$1" '$1 == n { print $2 }'
}
# Poll until ss lists $2 sockets in state $1 (bounded).
wait_ss() {
	i=0
	while [ "$(ss_count "$1")" -ne "$2" ] && [ $i -lt 500 ]; do
		usleep 10000
		i=$((i + 1))
	done
}

half_open=7
time_wait=5
port=8079
ip netns add "$ns"
in_ns ip link set lo up
# SYN-ACKs would retransmit for a minute: enough to look at them.
in_ns "$here/tcpstate_traffic" -4 -l -p $port > "$work/listener" &
listener=$!
i=0
while ! grep -q listening "$work/listener" && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
in_ns "$here/tcpstate_synsend" -4 --sink -p $port -n $half_open ||
	{ tap_fail "spoofed SYNs sent"; exit 1; }
in_ns "$here/tcpstate_traffic" -4 -n $time_wait -c client > /dev/null
wait_ss syn-recv $half_open
wait_ss time-wait $time_wait

ss_syn=$(ss_count syn-recv)
ss_tw=$(ss_count time-wait)
tool_syn=$(counter syn_recv)
tool_tw=$(counter time_wait)
diag="ss: syn-recv $ss_syn time-wait $ss_tw; tcpstate-watch --counters: syn_recv $tool_syn time_wait $tool_tw"
[ "$ss_syn" -eq $half_open ] && [ "$tool_syn" = "$ss_syn" ]
result $? "--counters syn_recv equals ss state syn-recv ($half_open)" "$diag"
[ "$ss_tw" -eq $time_wait ] && [ "$tool_tw" = "$ss_tw" ]
result $? "--counters time_wait equals ss state time-wait ($time_wait)" "$diag"

# The live status line of a running tcpstate-watch says the same; it stops
# by itself (--duration), bounded again by timeout.
timeout 20 ip netns exec "$ns" tcpstate-watch -e -i 0.2 --duration 1 \
	> /dev/null 2> "$work/status"
line=$(grep -m1 'SYN_RECV' "$work/status")
if echo "$line" | grep -q "SYN_RECV $ss_syn TIME_WAIT $ss_tw "; then
	result 0 "-i status line shows SYN_RECV $ss_syn TIME_WAIT $ss_tw" "$line"
else
	result 1 "-i status line shows SYN_RECV $ss_syn TIME_WAIT $ss_tw" "$(cat "$work/status")"
fi

# --prometheus needs no ring: with another tcpstate-watch holding it, the
# text it writes has the same gauges as ss, labelled with this netns.
ino=$(in_ns readlink /proc/self/ns/net | tr -dc 0-9)
timeout 20 ip netns exec "$ns" tcpstate-watch -e --duration 5 \
	> "$work/holder" 2> /dev/null &
holder=$!
i=0
# Its header says the ring is held.
while ! [ -s "$work/holder" ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
timeout 10 ip netns exec "$ns" tcpstate-watch --counters --prometheus "$work/t.prom" \
	2> "$work/prom.err"
rc=$?
gauge() {
	awk -v m="$1{netns=\"$ino\"}" '$1 == m { print $2 }' "$work/t.prom"
}
# Every counter of the module but the two gauges is a _total metric.
counters=$(($(ip netns exec "$ns" cat /proc/net/tcpstate | wc -l) - 2))
diag="ring held: $(head -c 60 "$work/holder"); ss: syn-recv $ss_syn time-wait $ss_tw; file: tcpstate_syn_recv $(gauge tcpstate_syn_recv) tcpstate_time_wait $(gauge tcpstate_time_wait), status $rc $(cat "$work/prom.err")"
[ -s "$work/holder" ] && [ $rc -eq 0 ] &&
	[ "$(gauge tcpstate_syn_recv)" = "$ss_syn" ] &&
	[ "$(gauge tcpstate_time_wait)" = "$ss_tw" ] &&
	[ "$(grep -c '^tcpstate_.*_total{netns="'"$ino"'"} [0-9]' "$work/t.prom")" -eq "$counters" ]
result $? "--prometheus beside a ring reader: tcpstate_syn_recv $ss_syn, tcpstate_time_wait $ss_tw, netns=\"$ino\"" "$diag"
exit $tap_status
