#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make demo`: each phase drives real loopback
# connections and shows the lines tcpstate-watch printed for them.
set -eu
traffic=/tcpstate/selftests/tcpstate_traffic
out=/tmp/tcpstate-watch.out
err=/tmp/tcpstate-watch.err
shown=0

dmesg -n 1
insmod /tcpstate/module/tcpstate.ko
echo "tcpstate $(modinfo -F version /tcpstate/module/tcpstate.ko) loaded on $(uname -r)"
echo

tcpstate-watch -e > "$out" 2> "$err" &
watch=$!
trap 'kill $watch 2>/dev/null' EXIT
# The header is printed once the ring is mapped.
while [ ! -s "$out" ]; do usleep 10000; done

state_changes() {
	awk 'NR > 1 && $5 == "->" && $8 == "->"' "$out" | wc -l
}

# Show what tcpstate-watch printed since last time, once it has printed
# $1 more state changes (bounded wait); the SYN queue, accept queue and
# timewait events of the same connections come with them.
seen=0
show() {
	want=$((seen + $1))
	i=0
	while [ "$(state_changes)" -lt $want ] && [ $i -lt 500 ]; do
		usleep 10000
		i=$((i + 1))
	done
	seen=$want
	[ $shown -gt 0 ] || head -n 1 "$out"
	tail -n +$((shown + 2)) "$out"
	shown=$(($(wc -l < "$out") - 1))
	echo
}

echo "### IPv4: connect, exchange a byte, the client closes first"
echo "### (client: FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT; server: CLOSE_WAIT -> LAST_ACK)"
$traffic -4 -c client > /dev/null
show 12

echo "### IPv4: the server closes first"
$traffic -4 -c server > /dev/null
show 12

echo "### IPv6: the client closes first"
$traffic -6 -c client > /dev/null
show 12

echo "### IPv4: the client aborts with an RST (SO_LINGER 0)"
$traffic -4 -c reset > /dev/null
show 8

echo "### Each active closer's FIN_WAIT2 -> CLOSE hands it to a timewait sock"
echo "### (the TIMEWAIT lines: from= is the socket it replaces). ss agrees:"
ss -tan state time-wait
echo
echo "### Counters of this netns (tcpstate-watch --counters, as /proc/net/tcpstate):"
tcpstate-watch --counters | grep -E '^(syn_recv|time_wait|syn_queue_added|syn_queue_completed|accept_queued|timewait_created) '
echo

kill -INT $watch
wait $watch || true
trap - EXIT
cat "$err"
rmmod tcpstate
