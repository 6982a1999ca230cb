#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for `make demo`: tcpstate-watch's sequence view, with
# its status line once a second, on traffic that shows what only tcpstate
# sees (half-open connections, SYN-ACK retransmits, accept-queue overflows,
# TIME_WAIT and its early end, refused connects), one phase at a time;
# then one frame of the live view (--top). Every wait polls a condition,
# bounded; a phase that times out fails the demo.
set -eu
sel=/tcpstate/selftests
traffic=$sel/tcpstate_traffic
synsend=$sel/tcpstate_synsend
seqgen=$sel/tcpstate_seqgen
# The records (stdout) and the status lines (stderr), in the order written.
out=/tmp/watch.out
flood_port=8080
flood_syns=64
full_port=8081
# Outside ip_local_port_range: a service's port, for --top.
service_port=8082
tw_conns=20
# Records shown per kind and phase; the rest are counted.
show_max=3
shown=0
watch=
listeners=

say() {
	printf '### %s\n' "$@"
}

# wait_for SECONDS WHAT CMD...: run CMD every 50 ms until it succeeds.
wait_for() {
	tries=$(($1 * 20))
	what=$2
	shift 2
	until "$@"; do
		tries=$((tries - 1))
		if [ $tries -le 0 ]; then
			echo "demo: timed out waiting for $what" >&2
			return 1
		fi
		usleep 50000
	done
}

# Records of kind $1 that tcpstate-watch printed since the last show.
new_records() {
	tail -n +$((shown + 1)) "$out" | awk -v k="$1" '$2 == k' | wc -l
}

# at_least N KIND: the phase has N records of KIND so far.
at_least() {
	[ "$(new_records "$2")" -ge "$1" ]
}

status_lines() {
	grep -c '^tcpstate-watch: netns ' "$out" || true
}

status_lines_above() {
	[ "$(status_lines)" -gt "$1" ]
}

# Wait for the next status line: a phase ends with the gauges as its
# traffic left them.
next_status() {
	wait_for 3 "a status line" status_lines_above "$(status_lines)"
}

# What tcpstate-watch printed since the last show: every status line, and
# the first $show_max records of each kind, the others counted where the
# first of them would be.
show() {
	# Complete lines only, up to a count taken first: none is lost or cut.
	upto=$(wc -l < "$out")
	sed -n "$((shown + 1)),${upto}p" "$out" | awk -v max=$show_max '
		{ line[NR] = $0; if (!/^tcpstate-watch: /) n[$2]++ }
		END {
			for (i = 1; i <= NR; i++) {
				$0 = line[i]
				if (/^tcpstate-watch: / || ++seen[$2] <= max)
					print
				else if (seen[$2] == max + 1)
					printf "    ... and %d more %s records like these\n",
					       n[$2] - max, $2
			}
		}'
	shown=$upto
}

# counters NAME...: those of tcpstate-watch --counters, on one line.
counters() {
	tcpstate-watch --counters |
		awk -v names=" $* " 'index(names, " " $1 " ") { printf " %s %s", $1, $2 }'
}

# mib SECTION FIELD: the kernel's own count (/proc/net/netstat or snmp).
mib() {
	awk -v s="$1:" -v f="$2" '
		$1 == s && !names { for (i = 2; i <= NF; i++) col[$i] = i; names = 1; next }
		$1 == s && names { print $col[f]; exit }' /proc/net/netstat /proc/net/snmp
}

# request_socks PORT: the kernel's half-open connections (st 03) on PORT.
request_socks() {
	awk -v p="$(printf ':%04X' "$1")" '$4 == "03" && substr($2, length($2) - 4) == p' \
		/proc/net/tcp /proc/net/tcp6 | wc -l
}

# accept_queue PORT: the kernel's accept queue length of the listener on
# PORT (its rx_queue in /proc/net/tcp).
accept_queue() {
	printf '%d' "0x$(awk -v p="$(printf ':%04X' "$1")" '
		$4 == "0A" && substr($2, length($2) - 4) == p { split($5, q, ":"); print q[2]; exit }' /proc/net/tcp)"
}

cleanup() {
	[ -z "$watch" ] || kill "$watch" 2>/dev/null || true
	# shellcheck disable=SC2086 # a list of pids
	[ -z "$listeners" ] || kill $listeners 2>/dev/null || true
	tc qdisc del dev lo root 2>/dev/null || true
}
trap cleanup EXIT

dmesg -n 1
insmod /tcpstate/module/tcpstate.ko
echo "tcpstate $(modinfo -F version /tcpstate/module/tcpstate.ko) loaded on $(uname -r)."
# Retries in seconds, not minutes: one SYN-ACK retransmit (1 s after the
# first), expiry 2 s later; a client gives up its connect after ~3 s; a
# full SYN queue drops SYNs rather than answering with cookies.
for s in tcp_synack_retries=1 tcp_syn_retries=1 tcp_syncookies=0; do
	sysctl -w net.ipv4.$s > /dev/null
done
cat <<EOF
sysctl net.ipv4.tcp_synack_retries=1 tcp_syn_retries=1 tcp_syncookies=0,
so that retries and expiries show within seconds.

Running throughout: tcpstate-watch -T -i 1. One line per completed phase of
a connection (KIND: handshake, teardown or failure; PATH: the TCP states it
went through and the time spent in each). Once a second, a status line
"tcpstate-watch: netns ... SYN_RECV n TIME_WAIT n | ...": the half-open and
TIME_WAIT connections of this network namespace now, SYNs queued and
TIME_WAITs made per second, accept-queue overflows and ring drops.

EOF

tcpstate-watch -T -i 1 > "$out" 2>&1 &
watch=$!
# The header is printed once the ring is mapped.
wait_for 10 "tcpstate-watch to start" test -s "$out"
head -n 1 "$out"
shown=1

say "1. A half-open flood: $flood_syns SYNs from spoofed addresses to a listener on port $flood_port."
say "   Its SYN-ACKs go nowhere. Look for: SYN_RECV $flood_syns in the status line; then each"
say "   request sock's half_open_expired record: its SYN-ACK retransmitted once (retrans=1),"
say "   dropped ~3 s after its SYN (reason=expired). Other tools see none of this."
$traffic -4 -l -p $flood_port > /tmp/listener &
listeners=$!
wait_for 10 "the listener" grep -q listening /tmp/listener
$synsend -4 -p $flood_port -n $flood_syns --sink
wait_for 20 "the half-open connections to expire" at_least $flood_syns half_open_expired
next_status
show
echo "tcpstate-watch --counters:$(counters syn_queue_added syn_queue_expired synack_retrans)" \
	"| the kernel's own: TcpExt TCPSynRetrans $(mib TcpExt TCPSynRetrans)"
echo

say "2. An accept-queue overflow: a listener with backlog 1 that never accepts, four clients"
say "   (Z, C1, C2, C3), 50 ms of delay on lo so that two SYNs cross before a third ACK."
say "   Look for: passive_open acceptq=1/1, then 2/1 (full); ack_dropped: C2's third ACK"
say "   dropped on the full queue while its client thinks it is connected (active_open);"
say "   syn_dropped: C3's SYNs, until its connect_timeout. Then the listener closes and"
say "   resets what it queued (reset_by_*). The status line counts the overflows."
tc qdisc add dev lo root netem delay 50ms
$seqgen overflow -4 > /tmp/overflow 2> /tmp/overflow.err
tc qdisc del dev lo root
# The listener's queued children (Z, C1) and their clients, and C2.
wait_for 10 "the resets" at_least 3 reset_by_us
wait_for 10 "the resets" at_least 2 reset_by_peer
next_status
read -r _ z c1 c2 c3 _ < /tmp/overflow
echo "(the clients' ports: Z $z, C1 $c1, C2 $c2, C3 $c3)"
show
sed -n 's/^# /tcpstate_seqgen, from the kernel: /p' /tmp/overflow.err
echo "tcpstate-watch --counters:$(counters accept_overflows listen_drops)" \
	"| the kernel's own: TcpExt ListenOverflows $(mib TcpExt ListenOverflows)" \
	"ListenDrops $(mib TcpExt ListenDrops)"
echo

say "3. TIME_WAIT building: $tw_conns connections to one server port, each closed by its client."
say "   Look for: TIME_WAIT $tw_conns in the status line. Each client socket leaves as"
say "   FIN_WAIT2 -> CLOSE, which is all the kernel's tracepoint shows, but lives on for 60 s"
say "   as a timewait sock: its active_close record comes when that ends."
$traffic -4 -n $tw_conns -c client > /dev/null
wait_for 10 "the connections' records" at_least $tw_conns passive_close
next_status
show
echo "tcpstate-watch --counters:$(counters time_wait timewait_created)" \
	"| the kernel's own: sockstat tw $(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)," \
	"ss -tan state time-wait: $(ss -Htan state time-wait | wc -l) sockets"
echo

say "4. A TIME_WAIT reused: the server (port $service_port) closes first, so it keeps the"
say "   timewait sock; the client connects again from the same port. Look for: the server's"
say "   active_close ending TIME_WAIT after milliseconds with reason=reused: the new SYN took"
say "   the tuple."
$traffic -4 -n 2 -c server -s -p $service_port > /dev/null
wait_for 10 "the reused TIME_WAIT" at_least 2 passive_close
wait_for 10 "the reused TIME_WAIT" at_least 1 active_close
next_status
show
echo "tcpstate-watch --counters:$(counters time_wait timewait_created timewait_ended_early)"
echo

say "5. A refused connect: nothing listens on port 9, the kernel answers the SYN with an RST."
say "   Look for: connect_refused, with cause=refused and the socket's own err=ECONNREFUSED."
$seqgen connect -4 -x refused 127.0.0.1 9 > /dev/null
wait_for 10 "the refused connect" at_least 1 connect_refused
next_status
show
echo "tcpstate-watch --counters:$(counters rsts_received rsts_no_socket)"
echo

kill -INT $watch
wait $watch || true
watch=
show
echo

say "6. The live view, tcpstate-watch --top (full screen; -b prints its frames as text): which"
say "   listener, which peer. Now $flood_syns more spoofed SYNs wait on port $flood_port, and a"
say "   listener on port $full_port (backlog 1, never accepting) has 3 clients: 2 fill its accept"
say "   queue, the third's SYNs are dropped. Look for: per listener, the SYN queue and SYN-ACK"
say "   retransmits, the accept queue and its overflows; TIME_WAIT of the connections this host"
say "   opened by remote endpoint, with the share of ip_local_port_range they hold (phase 3),"
say "   and of those to its services by local port (phase 4)."
$traffic -4 -l -p $full_port -q 1 -f 3 > /tmp/full &
listeners="$listeners $!"
wait_for 10 "the listener" grep -q listening /tmp/full
wait_for 10 "the full accept queue" test "$(accept_queue $full_port)" -eq 2
n0=$(request_socks $flood_port)
$synsend -4 -p $flood_port -n $flood_syns -i 1001 -s 50000
wait_for 10 "the request socks" test "$(request_socks $flood_port)" -ge $((n0 + flood_syns))
# The frame as -b prints it, each table's rows past $show_max counted.
tcpstate-watch --top -b -c 1 > /tmp/top
awk -v max=$show_max 'BEGIN { rows = -1 }
	/^(LISTENER|TIME_WAIT) / { rows = 0; print; next }
	/^$/ { if (rows > max) printf "    ... and %d more rows\n", rows - max; rows = -1 }
	rows >= 0 && ++rows > max { next }
	{ print }
	END { if (rows > max) printf "    ... and %d more rows\n", rows - max }' /tmp/top
echo

# shellcheck disable=SC2086 # a list of pids
kill $listeners
# shellcheck disable=SC2086
wait $listeners 2>/dev/null || true
listeners=
rmmod tcpstate
echo "tcpstate unloaded."
