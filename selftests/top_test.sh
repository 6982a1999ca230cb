#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tcpstate-watch --top -b (userspace/top.h: the frame format) against the
# kernel's own figures, each case in a network namespace of its own, the
# reader run there with ip netns exec:
#
#  1. a spoofed-SYN flood on three listeners, IPv4 and dual-stack IPv6
#     (SYN-ACKs into the dummy sink):
#     each listener's SYNQ/MAX = its port's st 03 rows of /proc/net/tcp{,6}
#     (and ss state syn-recv) / ss -tln Send-Q, the namespace line's
#     SYN_RECV = all st 03 rows; with the reader running before the flood
#     (the ring's events) and started after it (the sock_diag seed, first
#     frame);
#  2. those request socks expiring (tcp_synack_retries 1): EXPIRED = the
#     SYNs each listener got, SYNQ 0, RTX/s > 0 in some frame while
#     TCPSynRetrans rose;
#  3. a listener that never accepts, more connects than its backlog + 1:
#     ACCQ/MAX = ss -tln Recv-Q/Send-Q, OVERFLOWS and DROPS = the
#     ListenOverflows and ListenDrops deltas, OWNER its process;
#  4. client-closed connections to three destinations (127.0.0.2,
#     127.0.0.3, ::1), some from fixed ports outside ip_local_port_range,
#     two destinations sharing a local port, and server-closed ones:
#     TIME_WAIT REMOTE = ss state time-wait from local ports inside the
#     range, by peer (USE%: COUNT of the range's size), TIME_WAIT LOCAL
#     PORT = the others, by local port; seeded (reader after) and followed
#     (reader before);
#  5. misuse: --top without a terminal on stdout, --top -e.
#
# A frame taken while a reader runs is the first whose readings come after
# the traffic settled (frame_after). TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/tap.sh"
PATH=$here:$PATH
export LC_ALL=C
prefix=tcpstate-top-$$
work=$(mktemp -d)
namespaces=
reader=
helpers=
cleanup() {
	[ -n "$reader" ] && kill "$reader" 2>/dev/null
	for p in $helpers; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for n in $namespaces; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

tap_header
tap_plan 18
if ! tcpstate-watch --help 2>&1 | grep -q -- '--top'; then
	for i in $(seq 18); do
		tap_skip "top_test $i" "this tcpstate-watch has no --top"
	done
	exit 0
fi

# Rows on one line, for diagnostics: "a 1; b 2".
flat() {
	printf '%s\n' "$1" | awk 'NR > 1 { printf "; " } { printf "%s", $0 } END { print "" }'
}
# result RC NAME DIAGNOSTICS: the diagnostics, then ok when RC is 0.
result() {
	[ -n "$3" ] && tap_diag "$3"
	tap_result "$1" "$2"
}
# new_ns NAME: a network namespace with lo up, deleted at exit.
new_ns() {
	ip netns add "$1" && ip netns exec "$1" ip link set lo up || return 1
	namespaces="$namespaces $1"
}
# in_ns NS COMMAND...: COMMAND in NS (in the background, call ip netns exec
# itself: $! is then the command's pid).
in_ns() {
	ns_=$1
	shift
	ip netns exec "$ns_" "$@"
}

# ---- the kernel's figures ----

# PORT COUNT: the request socks (st 03 rows of /proc/net/tcp and tcp6)
# of each local port.
st03_by_port() {
	in_ns "$1" cat /proc/net/tcp /proc/net/tcp6 | awk '
	function hex(s,  v, i) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
		return v
	}
	$4 == "03" { split($2, a, ":"); n[hex(a[2])]++ }
	END { for (p in n) print p, n[p] }' | sort
}
st03_total() {
	st03_by_port "$1" | awk '{ t += $2 } END { print t + 0 }'
}
st03_none() {
	[ "$(st03_total "$1")" -eq 0 ]
}
# PORT COUNT: ss state syn-recv by local port.
ss_synrecv_by_port() {
	in_ns "$1" ss -Htn state syn-recv |
		awk '{ p = $3; sub(/.*:/, "", p); n[p]++ } END { for (p in n) print p, n[p] }' | sort
}
# ADDR:PORT Q/M for each listener: Q its port's st 03 rows, M ss -tln
# Send-Q. ss says *:PORT for an IPv6 wildcard listener that takes IPv4
# too; the view, as it is bound: [::]:PORT.
expected_synq() {
	st03=$(st03_by_port "$1")
	in_ns "$1" ss -Htln | awk -v st03="$st03" '
	BEGIN { n = split(st03, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); q[f[1]] = f[2] } }
	{ a = $4; sub(/^\*:/, "[::]:", a); p = a; sub(/.*:/, "", p); print a, (q[p] + 0) "/" $3 }' | sort
}
# A field of TcpExt (/proc/net/netstat).
tcpext() {
	in_ns "$1" cat /proc/net/netstat | awk -v f="$2" '
	$1 == "TcpExt:" && !c { for (i = 2; i <= NF; i++) if ($i == f) c = i; next }
	$1 == "TcpExt:" && c { print $c; exit }'
}
ss_count() {
	in_ns "$1" ss -Htan state "$2" | wc -l
}
# ADDR:PORT COUNT USE% of ss state time-wait by peer, of the rows whose
# local port lies in the local port range $2-$3 (connect()s' ports); USE%:
# COUNT of the range's size.
expected_tw_remote() {
	in_ns "$1" ss -Htan state time-wait | awk -v lo="$2" -v hi="$3" '
	{ p = $3; sub(/.*:/, "", p); if (p + 0 >= lo && p + 0 <= hi) n[$4]++ }
	END { for (k in n) printf "%s %d %.1f\n", k, n[k], n[k] * 100 / (hi - lo + 1) }' | sort
}
# PORT COUNT of ss state time-wait by local port, of the rows whose local
# port lies outside $2-$3.
expected_tw_local() {
	in_ns "$1" ss -Htan state time-wait | awk -v lo="$2" -v hi="$3" '
	{ p = $3; sub(/.*:/, "", p); if (p + 0 < lo || p + 0 > hi) n[p]++ }
	END { for (p in n) print p, n[p] }' | sort
}

# ---- the frames of tcpstate-watch --top -b ----

frames() {
	grep -c '^tcpstate top ' "$1"
}
# frame FILE N: frame N (from 1) of FILE.
frame() {
	awk -v n="$2" '/^tcpstate top /{ f++ } f == n' "$1"
}
# table NAME: the rows of that table of the frame on stdin (synq, accq,
# tw_remote, tw_local), as printed.
table() {
	awk -v want="$1" '
	/^$/ { t = ""; next }
	$1 == "LISTENER" && $2 == "SYNQ/MAX" { t = "synq"; next }
	$1 == "LISTENER" && $2 == "ACCQ/MAX" { t = "accq"; next }
	$1 == "TIME_WAIT" && $2 == "REMOTE" { t = "tw_remote"; next }
	$1 == "TIME_WAIT" && $2 == "LOCAL" { t = "tw_local"; next }
	t != "" && t == want'
}
# The gauges of the namespace line: SYN_RECV or TIME_WAIT.
gauge() {
	awk -v g="$1" '$1 == "SYN_RECV" { for (i = 1; i < NF; i++) if ($i == g) print $(i + 1) }'
}
# One seeded frame: a reader started now, in namespace $1, its first frame.
seeded_frame() {
	timeout 30 ip netns exec "$1" tcpstate-watch --top -b -c 1 > "$2" 2> "$2.err"
}
# reader_start NS FILE: a reader in NS printing a frame every 0.5 s into
# FILE; returns once its first frame is out.
reader_start() {
	timeout 120 ip netns exec "$1" tcpstate-watch --top -b -i 0.5 \
		> "$2" 2> "$2.err" &
	reader=$!
	tap_poll 3000 frame_count_reached "$2" 1
}
frame_count_reached() {
	[ "$(frames "$1")" -ge "$2" ]
}
reader_stop() {
	[ -n "$reader" ] || return 0
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	reader=
}
# The listeners and connection holders of a case, ended with it.
helpers_stop() {
	for p in $helpers; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	helpers=
}
# frame_after FILE: the first frame of the running reader whose readings
# were all taken after now. With C frames begun now, C + 1 may have read
# before now; C + 2 read after, and is whole once C + 3 begins.
frame_after() {
	c=$(frames "$1")
	tap_poll 3000 frame_count_reached "$1" $((c + 3)) || return 1
	frame "$1" $((c + 2))
}
# wait_for FILE TEXT: poll until a helper's output FILE has TEXT.
wait_for() {
	tap_poll 3000 grep -qs "$2" "$1"
}
# Microseconds of a duration as the view prints it (812ns, 40.1us,
# 1.20ms, 59.8s, 16m, 25h); -1 for anything else.
dur_us() {
	awk -v d="$1" 'BEGIN {
		if (d ~ /^[0-9.]+ns$/) print int(d / 1000)
		else if (d ~ /^[0-9.]+us$/) print int(d)
		else if (d ~ /^[0-9.]+ms$/) print int(d * 1000)
		else if (d ~ /^[0-9.]+s$/) print int(d * 1000000)
		else if (d ~ /^[0-9]+m$/) print int(d * 60000000)
		else if (d ~ /^[0-9]+h$/) print int(d * 3600000000)
		else print -1 }'
}

# ---- 1. a SYN flood on three listeners ----

# PORT SYNs of the flood, as st03_by_port() lists them.
flood_syns="8101 40
8102 25
8103 15"
# flood NS: listeners on 0.0.0.0:8101, 0.0.0.0:8102 and [::]:8103 (taking
# IPv4 too; backlog 1024); 40, 25 and 10 + 5 (IPv6 + IPv4) spoofed SYNs,
# until the kernel lists them all as request socks.
flood() {
	ip netns exec "$1" tcpstate_traffic -4 -l -p 8101 > "$work/$1.l1" 2>&1 &
	helpers="$helpers $!"
	ip netns exec "$1" tcpstate_traffic -4 -l -p 8102 > "$work/$1.l2" 2>&1 &
	helpers="$helpers $!"
	ip netns exec "$1" tcpstate_traffic -6 -l -p 8103 > "$work/$1.l3" 2>&1 &
	helpers="$helpers $!"
	wait_for "$work/$1.l1" listening && wait_for "$work/$1.l2" listening &&
		wait_for "$work/$1.l3" listening &&
		in_ns "$1" tcpstate_synsend -4 --sink -p 8101 -n 40 &&
		in_ns "$1" tcpstate_synsend -4 -p 8102 -n 25 -i 1000 &&
		in_ns "$1" tcpstate_synsend -6 -p 8103 -n 10 -i 2000 &&
		in_ns "$1" tcpstate_synsend -4 -p 8103 -n 5 -i 3000 &&
		tap_poll 3000 flooded "$1"
}
flooded() {
	[ "$(st03_by_port "$1")" = "$flood_syns" ]
}
# check_flood NS FRAME-FILE WHEN: the two tests of case 1 on a frame.
check_flood() {
	shown=$(table synq < "$2" | awk '{ print $1, $2 }' | sort)
	want=$(expected_synq "$1")
	st03=$(st03_by_port "$1")
	ss_syn=$(ss_synrecv_by_port "$1")
	diag="st 03 by port: $(flat "$st03"); ss syn-recv by port: $(flat "$ss_syn"); expected (ss -tln): $(flat "$want"); --top: $(flat "$shown")"
	[ "$st03" = "$flood_syns" ] && [ "$ss_syn" = "$st03" ] && [ -n "$shown" ] && [ "$shown" = "$want" ]
	result $? "flood, $3: SYNQ/MAX per listener = st 03 rows of its port / ss -tln Send-Q" "$diag"
	total=$(st03_total "$1")
	g=$(gauge SYN_RECV < "$2")
	result "$([ "$g" = "$total" ]; echo $?)" \
		"flood, $3: the namespace line's SYN_RECV = all st 03 rows ($total)" \
		"$(grep -m1 '^SYN_RECV' "$2")"
}

ns=$prefix-flood
if new_ns "$ns" && reader_start "$ns" "$work/flood" && flood "$ns" &&
   frame_after "$work/flood" > "$work/flood.frame"; then
	reader_stop
	check_flood "$ns" "$work/flood.frame" "reader started before it (events)"
	seeded_frame "$ns" "$work/flood.seed"
	check_flood "$ns" "$work/flood.seed" "reader started after it (seed, first frame)"
else
	reader_stop
	tap_diag "setup failed: $(cat "$work/flood.err" 2>/dev/null)"
	for i in 1 2 3 4; do
		tap_fail "flood: setup"
	done
fi

helpers_stop

# ---- 2. the request socks expire ----

ns=$prefix-expiry
t_exp="expiry: EXPIRED per listener = the SYNs it got (12, 7), SYNQ 0"
t_rtx="expiry: RTX/s > 0 in some frame for each listener, TCPSynRetrans rose"
if new_ns "$ns" && in_ns "$ns" sysctl -qw net.ipv4.tcp_synack_retries=1 &&
   reader_start "$ns" "$work/expiry"; then
	rtx0=$(tcpext "$ns" TCPSynRetrans)
	ip netns exec "$ns" tcpstate_traffic -4 -l -p 8111 > "$work/e.l1" 2>&1 &
	helpers="$helpers $!"
	ip netns exec "$ns" tcpstate_traffic -4 -l -p 8112 > "$work/e.l2" 2>&1 &
	helpers="$helpers $!"
	wait_for "$work/e.l1" listening && wait_for "$work/e.l2" listening &&
		in_ns "$ns" tcpstate_synsend -4 --sink -p 8111 -n 12 &&
		in_ns "$ns" tcpstate_synsend -4 -p 8112 -n 7 -i 1000
	sent=$?
	# One SYN-ACK retransmit, then expiry: about 3 s.
	tap_poll 3000 st03_none "$ns"
	gone=$?
	rtx=$(($(tcpext "$ns" TCPSynRetrans) - rtx0))
	frame_after "$work/expiry" > "$work/expiry.frame"
	reader_stop
	shown=$(table synq < "$work/expiry.frame" | awk '{ print $1, $2, $5 }' | sort)
	want=$(in_ns "$ns" ss -Htln | awk '{ p = $4; sub(/.*:/, "", p);
		print $4, "0/" $3, (p == 8111 ? 12 : p == 8112 ? 7 : 0) }' | sort)
	diag="SYNs sent: $sent, st 03 emptied: $gone; expected (ADDR:PORT SYNQ/MAX EXPIRED): $(flat "$want"); --top: $(flat "$shown")"
	[ $sent -eq 0 ] && [ $gone -eq 0 ] && [ -n "$shown" ] && [ "$shown" = "$want" ]
	result $? "$t_exp" "$diag"
	# The largest RTX/s each listener showed over all frames.
	rtx_seen=$(table synq < "$work/expiry" |
		awk '{ v = $4 + 0; if (!($1 in m) || v > m[$1]) m[$1] = v }
		END { for (k in m) print k, m[k] }' | sort)
	[ "$rtx" -gt 0 ] && [ "$(echo "$rtx_seen" | awk '$2 > 0' | wc -l)" -eq 2 ]
	result $? "$t_rtx" "TCPSynRetrans delta $rtx; largest RTX/s per listener: $(flat "$rtx_seen")"
else
	reader_stop
	tap_diag "setup failed: $(cat "$work/expiry.err" 2>/dev/null)"
	tap_fail "$t_exp"
	tap_fail "$t_rtx"
fi

helpers_stop

# ---- 3. the accept queue overflows ----

ns=$prefix-accq
t_accq="accept queue: ACCQ/MAX = ss -tln Recv-Q/Send-Q (4/3), OVERFLOWS, DROPS = ListenOverflows, ListenDrops deltas (5)"
t_owner="accept queue: OWNER = the listening process (PID/tcpstate_conns)"
if new_ns "$ns" && reader_start "$ns" "$work/accq"; then
	ovf0=$(tcpext "$ns" ListenOverflows)
	drops0=$(tcpext "$ns" ListenDrops)
	ip netns exec "$ns" tcpstate_conns -b 3 -p 8121 -n 9 > "$work/accq.conns" 2>&1 &
	conns=$!
	helpers="$helpers $conns"
	wait_for "$work/accq.conns" held
	frame_after "$work/accq" > "$work/accq.frame"
	reader_stop
	ovf=$(($(tcpext "$ns" ListenOverflows) - ovf0))
	drops=$(($(tcpext "$ns" ListenDrops) - drops0))
	want=$(in_ns "$ns" ss -Htln | awk -v o=$ovf -v d=$drops '{ print $4, $2 "/" $3, o, d }')
	shown=$(table accq < "$work/accq.frame" | awk '{ print $1, $2, $3, $4 }')
	diag="tcpstate_conns: $(cat "$work/accq.conns"); expected (ss -tln, MIB deltas): $want; --top: $shown"
	[ "$want" = "127.0.0.1:8121 4/3 5 5" ] && [ "$shown" = "$want" ]
	result $? "$t_accq" "$diag"
	owner=$(table accq < "$work/accq.frame" | awk '{ print $5 }')
	[ "$owner" = "$conns/tcpstate_conns" ]
	result $? "$t_owner" "tcpstate_conns pid $conns; --top: $owner"
else
	reader_stop
	tap_diag "setup failed: $(cat "$work/accq.err" 2>/dev/null)"
	tap_fail "$t_accq"
	tap_fail "$t_owner"
fi

helpers_stop

# ---- 4. TIME_WAIT by destination ----

lo=40000
hi=40299
tw_total=16
# timewaits NS: client-closed, 7 to 127.0.0.2:8131 (2 from 30000, 30001),
# 4 to 127.0.0.3:8132 (2 from 30000, 30001 again), 2 to [::1]:8133, the
# rest from ephemeral ports; server-closed, 3 on 127.0.0.1:8134 (the
# server's socket in TIME_WAIT); until ss lists them all in TIME_WAIT.
timewaits() {
	in_ns "$1" tcpstate_conns -d 127.0.0.2 -p 8131 -n 5 &&
		in_ns "$1" tcpstate_conns -d 127.0.0.2 -p 8131 -n 2 -s 30000 &&
		in_ns "$1" tcpstate_conns -d 127.0.0.3 -p 8132 -n 2 &&
		in_ns "$1" tcpstate_conns -d 127.0.0.3 -p 8132 -n 2 -s 30000 &&
		in_ns "$1" tcpstate_conns -6 -d ::1 -p 8133 -n 2 &&
		in_ns "$1" tcpstate_traffic -4 -n 3 -c server -p 8134 > /dev/null &&
		tap_poll 3000 tw_all "$1"
}
tw_all() {
	[ "$(ss_count "$1" time-wait)" -eq "$tw_total" ]
}
# check_tw NS FRAME-FILE WHEN: the four tests of case 4 on a frame.
check_tw() {
	want=$(expected_tw_remote "$1" $lo $hi)
	shown=$(table tw_remote < "$2" | awk '{ print $1, $2, $5 }' | sort)
	[ "$want" = "127.0.0.2:8131 5 1.7
127.0.0.3:8132 2 0.7
[::1]:8133 2 0.7" ] && [ "$shown" = "$want" ]
	result $? "TIME_WAIT, $3: REMOTE rows (COUNT USE%) = ss state time-wait from ports in the range, by peer" \
		"expected: $(flat "$want"); --top: $(flat "$shown")"
	want=$(expected_tw_local "$1" $lo $hi)
	shown=$(table tw_local < "$2" | awk '{ print $1, $2 }' | sort)
	[ "$want" = "30000 2
30001 2
8134 3" ] && [ "$shown" = "$want" ]
	result $? "TIME_WAIT, $3: LOCAL PORT rows = ss state time-wait from ports outside the range, by local port" \
		"expected: $(flat "$want"); --top: $(flat "$shown")"
	g=$(gauge TIME_WAIT < "$2")
	range=$(awk '$1 == "ports" { print $2, $3 }' "$2")
	[ "$g" = "$(ss_count "$1" time-wait)" ] && [ "$range" = "$lo-$hi ($((hi - lo + 1)))" ]
	result $? "TIME_WAIT, $3: the namespace line's TIME_WAIT = ss ($tw_total), ports $lo-$hi ($((hi - lo + 1)))" \
		"$(grep -m1 '^SYN_RECV' "$2"); $(grep -m1 '^ports' "$2")"
	# Every row: NEWEST <= OLDEST < 60 s, both as durations.
	bad=$( { table tw_remote < "$2"; table tw_local < "$2"; } |
		while read -r key _count oldest newest _rest; do
			o=$(dur_us "$oldest")
			n=$(dur_us "$newest")
			[ "$n" -ge 0 ] && [ "$n" -le "$o" ] && [ "$o" -lt 60000000 ] ||
				echo "$key $oldest $newest"
		done)
	[ -n "$(table tw_local < "$2")" ] && [ -z "$bad" ]
	result $? "TIME_WAIT, $3: ages: NEWEST <= OLDEST < 60s on every row" "$bad"
}

ns=$prefix-tw-seed
if new_ns "$ns" && in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="$lo $hi" &&
   timewaits "$ns" && seeded_frame "$ns" "$work/tw.seed"; then
	check_tw "$ns" "$work/tw.seed" "reader started after (seed)"
else
	tap_diag "setup failed: $(cat "$work/tw.seed.err" 2>/dev/null)"
	for i in 1 2 3 4; do
		tap_fail "TIME_WAIT, seed: setup"
	done
fi
ns=$prefix-tw-follow
if new_ns "$ns" && in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="$lo $hi" &&
   reader_start "$ns" "$work/tw" && timewaits "$ns" &&
   frame_after "$work/tw" > "$work/tw.frame"; then
	reader_stop
	check_tw "$ns" "$work/tw.frame" "reader started before (events)"
else
	reader_stop
	tap_diag "setup failed: $(cat "$work/tw.err" 2>/dev/null)"
	for i in 1 2 3 4; do
		tap_fail "TIME_WAIT, events: setup"
	done
fi

# ---- 5. misuse ----

ns=$prefix-misuse
new_ns "$ns"
timeout 10 ip netns exec "$ns" tcpstate-watch --top > "$work/m.out" 2> "$work/m.err" < /dev/null
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ ! -s "$work/m.out" ] && grep -q -- '-b' "$work/m.err"
result $? "--top with stdout not a terminal fails, naming -b, nothing on stdout" \
	"status $rc; stderr: $(cat "$work/m.err"); stdout: $(head -c 200 "$work/m.out")"
timeout 10 ip netns exec "$ns" tcpstate-watch --top -e > "$work/m.out" 2> "$work/m.err" < /dev/null
rc=$?
[ $rc -eq 2 ]
result $? "--top -e is a usage error (status 2)" "status $rc; stderr: $(cat "$work/m.err")"
exit $tap_status
