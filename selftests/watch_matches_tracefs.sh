#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tcpstate-watch prints the same transitions, in the same per-socket order,
# as the kernel's own tracefs event sock/inet_sock_set_state reports for the
# same traffic: IPv4 and IPv6, client-side and server-side close. TAP output.
set -u
T=/sys/kernel/tracing
EVENT=$T/events/sock/inet_sock_set_state/enable
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
watch_pid=
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	echo 0 > "$EVENT" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

. "$here/../scripts/tap.sh"
tap_header
tap_plan 1
name="tcpstate-watch output equals the tracefs event"
if [ ! -w "$EVENT" ]; then
	tap_skip "$name" "no tracefs event sock/inet_sock_set_state"
	exit 0
fi
fail() {
	tap_diag "$*"
	tap_fail "$name"
	exit 1
}

# 4 connections x (listener 2 + client 5 + server 5) transitions.
want=48
echo global > $T/trace_clock
echo > $T/trace
echo 1 > $T/tracing_on
echo 1 > "$EVENT"

tcpstate-watch -e > "$work/watch" 2> "$work/watch.err" &
watch_pid=$!
# The header line is printed once the ring is mapped: only then is it safe
# to start traffic.
i=0
while [ ! -s "$work/watch" ]; do
	i=$((i + 1))
	[ $i -le 500 ] || fail "tcpstate-watch did not start: $(cat "$work/watch.err")"
	kill -0 "$watch_pid" 2>/dev/null ||
		fail "tcpstate-watch exited: $(cat "$work/watch.err")"
	usleep 10000 2>/dev/null || sleep 0.01
done

"$here/tcpstate_traffic" -4 -n 1 -c client > /dev/null &&
"$here/tcpstate_traffic" -4 -n 1 -c server > /dev/null &&
"$here/tcpstate_traffic" -6 -n 1 -c client > /dev/null &&
"$here/tcpstate_traffic" -6 -n 1 -c server > /dev/null ||
	fail "tcpstate_traffic failed"

# tcpstate-watch also prints SYN queue, accept queue and timewait events:
# stop it once it has printed every state change (bounded wait).
state_lines() {
	awk 'NR > 1 && $5 == "->" && $8 == "->"' "$work/watch" | wc -l
}
i=0
while [ "$(state_lines)" -lt $want ]; do
	i=$((i + 1))
	[ $i -le 1000 ] || fail "tcpstate-watch printed $(state_lines) of $want state changes"
	kill -0 "$watch_pid" 2>/dev/null ||
		fail "tcpstate-watch exited: $(cat "$work/watch.err")"
	usleep 10000 2>/dev/null || sleep 0.01
done
kill -INT "$watch_pid"
wait "$watch_pid"
rc=$?
watch_pid=
[ $rc -eq 0 ] || fail "tcpstate-watch exit status $rc: $(cat "$work/watch.err")"
echo 0 > "$EVENT"

# "sport dport OLD NEW", one line per TCP transition, from each source.
sed -n 's/.*inet_sock_set_state: .*protocol=IPPROTO_TCP sport=\([0-9]*\) dport=\([0-9]*\) .*oldstate=TCP_\([A-Z_0-9]*\) newstate=TCP_\([A-Z_0-9]*\).*/\1 \2 \3 \4/p' \
	$T/trace > "$work/trace.t"
awk 'NR > 1 && $5 == "->" && $8 == "->" {
	n = split($4, l, ":"); m = split($6, r, ":")
	print l[n], r[m], $7, $9
}' "$work/watch" > "$work/watch.t"

echo "# tracefs: $(wc -l < "$work/trace.t") transitions, tcpstate-watch: $(wc -l < "$work/watch.t")"
[ "$(wc -l < "$work/trace.t")" -eq $want ] ||
	fail "tracefs saw $(wc -l < "$work/trace.t") transitions, expected $want"
# Per socket (sport, dport) the order must match; a stable sort keeps it.
sort -s -n -k1,1 -k2,2 "$work/trace.t" > "$work/trace.s"
sort -s -n -k1,1 -k2,2 "$work/watch.t" > "$work/watch.s"
if ! diff "$work/trace.s" "$work/watch.s" > "$work/diff"; then
	sed 's/^/# /' "$work/diff"
	fail "transitions differ"
fi
netns=$(stat -L -c %i /proc/self/ns/net)
awk -v ns="$netns" 'NR > 1 && $2 != ns { bad = 1 } END { exit bad }' "$work/watch" ||
	fail "a line does not carry netns $netns"
tap_ok "$name"
