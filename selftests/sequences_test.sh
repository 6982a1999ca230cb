#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tcpstate-watch's sequence view (-j) on real traffic, run as root in the VM
# (module loaded). Each test makes its traffic in network namespaces of its
# own (ip netns), so that its sysctls and the kernel's counters
# (/proc/net/snmp, /proc/net/netstat, /proc/net/tcp{,6}) are its alone, and
# follows them with tcpstate-watch -j --netns. It checks every record's
# kind, side, tuple, the order of each connection's records and their
# timings, against the traffic it made and the kernel's own figures. Every
# wait is bounded. TAP output; each JSON line captured is printed as
# "# JSON <line>" for the host to check with a real JSON parser
# (userspace/tests/check_json.py lines).
#
# TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN, no sysctl). Its end is seen here
# by deleting the namespace (reason=netns_exit), and with --flush while it
# still runs (in_progress); an orphaned FIN_WAIT2 timewait sock ends by
# itself after net.ipv4.tcp_fin_timeout=1 (orphan_close, reason=expired).
#
# Orderly closes of single connections use tcpstate_seqgen pair (shutdown,
# wait for the peer's FIN, close): with close() first, as tcpstate_traffic
# does, an ACK that comes after close() returned (a delayed ACK, under
# load) makes the closer an orphaned FIN_WAIT2 timewait sock that the
# peer's FIN then turns to TIME_WAIT. The mixed burst uses tcpstate_traffic
# and accepts either; test 6 makes that case on purpose.
set -u
here=$(cd "$(dirname "$0")" && pwd)
GEN=$here/tcpstate_seqgen
TRAFFIC=$here/tcpstate_traffic
SYNSEND=$here/tcpstate_synsend
T=/sys/kernel/tracing
TRACE_EVENT=$T/events/sock/inet_sock_set_state/enable
work=$(mktemp -d)
netns_made=
bg_pids=
watch_pid=
trace_on=0

cleanup() {
	local p n
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	for p in $bg_pids; do
		kill "$p" 2>/dev/null
	done
	for n in $netns_made; do
		ip netns del "$n" 2>/dev/null
	done
	[ "$trace_on" = 1 ] && echo 0 > "$TRACE_EVENT" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# ---- TAP ----

. "$here/../scripts/tap.sh"
NTESTS=13
errs=
tap_header
tap_plan $NTESTS

# A failed check of the current test; the test goes on.
bad() {
	errs="$errs# $*
"
}

# End the current test as ok, or not ok with its failed checks.
finish() {
	if [ -z "$errs" ]; then
		tap_ok "$1"
	else
		printf '%s' "$errs"
		tap_fail "$1"
	fi
	errs=
}

msleep() {
	usleep $(($1 * 1000)) 2>/dev/null || sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"
}

# ---- network namespaces ----

# ns_new NAME: a netns with lo up; prints its inode.
ns_new() {
	ip netns add "$1" || return 1
	netns_made="$netns_made $1"
	ip -n "$1" link set lo up || return 1
	stat -L -c %i "/run/netns/$1"
}

# in_ns NS CMD...: CMD in the netns NS.
in_ns() {
	local n=$1
	shift
	nsenter --net="/run/netns/$n" "$@"
}

# ns_sysctl NS NAME VALUE: net.ipv4.NAME=VALUE in NS.
ns_sysctl() {
	in_ns "$1" sh -c "echo $3 > /proc/sys/net/ipv4/$2" || bad "net.ipv4.$2=$3 in $1"
}

# ns_syn_retries NETNS N: the client sends N SYN retransmits, then gives
# up. Where the kernel has linear SYN timeouts (net.ipv4.
# tcp_syn_linear_timeouts, 6.5+), they are turned off: tcp_syn_retries is
# a time budget computed for exponential backoff, which retransmits at the
# initial RTO fill with more retransmits than N.
ns_syn_retries() {
	ns_sysctl "$1" tcp_syn_retries "$2"
	if in_ns "$1" test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
		ns_sysctl "$1" tcp_syn_linear_timeouts 0
	fi
}

ns_del() {
	local n rest=
	ip netns del "$1" || bad "ip netns del $1"
	for n in $netns_made; do
		[ "$n" = "$1" ] || rest="$rest $n"
	done
	netns_made=$rest
}

# mib NS SECTION FIELD: a counter of the netns's /proc/net/snmp or netstat.
mib() {
	in_ns "$1" cat /proc/net/snmp /proc/net/netstat |
		awk -v s="$2:" -v f="$3" '$1 == s {
			if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next }
			if (c) { print $c; found = 1; exit }
		} END { if (!found) print -1 }'
}

# tcp_rows NS ST PORT: rows of the netns's /proc/net/tcp{,6} in state ST
# (two hex digits: 03 SYN_RECV, 05 FIN_WAIT2, 06 TIME_WAIT) with local
# port PORT (0: any).
tcp_rows() {
	in_ns "$1" cat /proc/net/tcp /proc/net/tcp6 |
		awk -v st="$2" -v p="$(printf '%04X' "$3")" '{
			n = split($2, a, ":")
			if ($4 == st && (p == "0000" || a[n] == p)) c++
		} END { print c + 0 }'
}

# wait_until MS CMD...: run CMD (a command or a function of this script)
# every 50 ms until it succeeds or MS passed.
wait_until() {
	local ms=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 50))
		[ $i -le "$ms" ] || return 1
		msleep 50
	done
}

# rows_are NS ST PORT N: tcp_rows NS ST PORT is N.
rows_are() {
	[ "$(tcp_rows "$1" "$2" "$3")" -eq "$4" ]
}

# nonempty FILE...: every FILE has something in it.
nonempty() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || return 1
	done
}

# ---- tcpstate-watch ----

# watch_start FILE ARGS...: tcpstate-watch -j ARGS > FILE, up and reading
# once its "start" line is out.
watch_start() {
	local out=$1 i=0
	shift
	tcpstate-watch -j "$@" > "$out" 2> "$out.err" &
	watch_pid=$!
	while ! grep -q '"type":"start"' "$out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$watch_pid" 2>/dev/null; then
			bad "tcpstate-watch did not start: $(cat "$out.err")"
			kill "$watch_pid" 2>/dev/null
			watch_pid=
			return 1
		fi
		msleep 10
	done
	grep -q '"type":"start","view":"sequences","kernel_filter":' "$out" ||
		bad "start line: $(head -n 1 "$out")"
}

# watch_stop FILE: SIGINT (it must exit 0 within 5 s), then print every
# JSON line for the host.
watch_stop() {
	local out=$1 i=0 rc
	kill -INT "$watch_pid" 2>/dev/null
	while kill -0 "$watch_pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 500 ]; then
			bad "tcpstate-watch still running 5 s after SIGINT"
			kill -KILL "$watch_pid"
			break
		fi
		msleep 10
	done
	wait "$watch_pid"
	rc=$?
	watch_pid=
	[ $rc -eq 0 ] || bad "tcpstate-watch exit status $rc: $(cat "$out.err")"
	grep -q 'dropped (ring full)' "$out.err" && bad "ring drops: $(cat "$out.err")"
	sed 's/^/# JSON /' "$out"
}

# ---- the records ----

# flat FILE: one tab-separated line per sequence record, in output order,
# with the fields below (null where JSON has null, "-" for an empty
# list). The keys of every line are checked against the documented list.
SEQ_KEYS="type kind side time start_ns end_ns duration_ns netns family laddr lport raddr rport sock_id req_id tw_id handshake_ns syn_queue_ns established_ns time_wait_ns synack_retrans ack_drops queue qlen qmax reason tw_substate steps partial missing gap_from gap_to cause err rst_reason rst_by iss irs fin_seq peer_fin_seq cgroup_id cgroup uid pid tgid comm owner_from"
flat() {
	awk -v keys="$SEQ_KEYS" '
	function jv(key,   i, s, c, j) {
		i = index(L, "\"" key "\":")
		if (!i)
			return "ABSENT"
		s = substr(L, i + length(key) + 3)
		c = substr(s, 1, 1)
		if (c == "\"") {
			j = index(substr(s, 2), "\"")
			return substr(s, 2, j - 1)
		}
		if (c == "[") {
			j = index(s, "]")
			return substr(s, 1, j)
		}
		match(s, /^[^,}]*/)
		return substr(s, 1, RLENGTH)
	}
	function keylist(   s, out) {
		s = L
		gsub(/"steps":\[[^]]*\]/, "\"steps\":[]", s)
		out = ""
		while (match(s, /"[a-z_]+":/)) {
			out = out (out == "" ? "" : " ") substr(s, RSTART + 1, RLENGTH - 3)
			s = substr(s, RSTART + RLENGTH)
		}
		return out
	}
	/"type":"sequence"/ {
		L = $0
		nrec++
		st = jv("steps")
		s = st; n = 0; path = ""; nsl = ""; tsl = ""
		suma = 0; sumr = 0; okt = 1
		t = jv("start_ns") + 0
		while (match(s, /"state":"[^"]*","ns":[0-9a-z]*/)) {
			m = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			split(m, p, "\"")
			v = substr(p[7], 2)
			n++
			path = path (n > 1 ? ">" : "") p[4]
			nsl = nsl (n > 1 ? "," : "") v
			tsl = tsl (n > 1 ? "," : "") (okt ? sprintf("%.0f", t) : "null")
			stv[n] = v
			if (v == "null")
				okt = 0
			else
				t += v
		}
		for (i = 1; i < n; i++) {
			if (stv[i] == "null") {
				suma = "null"
				sumr = "null"
				break
			}
			suma += stv[i]
			if (i > 1)
				sumr += stv[i]
		}
		if (suma != "null") {
			suma = sprintf("%.0f", suma)
			sumr = sprintf("%.0f", sumr)
		}
		if (n == 0) {
			path = "-"; nsl = "-"; tsl = "-"; suma = "null"; sumr = "null"
		}
		miss = jv("missing")
		gsub(/[]["]/, "", miss)
		if (miss == "")
			miss = "-"
		printf "%s", jv("kind")
		split("side netns family laddr lport raddr rport start_ns end_ns duration_ns handshake_ns syn_queue_ns established_ns time_wait_ns synack_retrans ack_drops queue qlen qmax reason tw_substate partial", f, " ")
		for (i = 1; i <= 22; i++)
			printf "\t%s", jv(f[i])
		printf "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s", miss, path, nsl,
		       suma, sumr, jv("req_id"), jv("tw_id"), jv("sock_id"),
		       keylist() == keys, nrec, tsl
		printf "\t%s\t%s\t%s\t%s\n", jv("cause"), jv("err"), jv("rst_by"),
		       jv("rst_reason")
	}' "$1"
}

# Names for the fields of flat's lines, for the conditions below. Numbers
# are numbers (awk compares them as such), null ones -1; ids and strings
# as JSON has them ("null" for null).
VARS='kind=$1; side=$2; netns=$3+0; fam=$4; laddr=$5; lport=$6+0; raddr=$7;
rport=$8+0; start=N($9); end=N($10); dur=N($11); hs=N($12); synq=N($13);
est=N($14); tw=N($15); retrans=N($16); ackd=N($17); queue=$18; qlen=N($19);
qmax=N($20); reason=$21; twsub=$22; partial=$23; missing=$24; path=$25;
nsl=$26; suma=N($27); sumr=N($28); req=$29; twid=$30; sock=$31;
keys_ok=$32+0; idx=$33+0; tsl=$34; cause=$35; err=$36; rst_by=$37;
rst_reason=$38'

# freeze FILE: the records are final (tcpstate-watch stopped): keep flat's
# lines in FILE.flat, which sel reads from then on.
freeze() {
	flat "$1" > "$1.flat"
}

# flat_of FILE: flat's lines of FILE, frozen or not.
flat_of() {
	if [ -f "$1.flat" ]; then
		cat "$1.flat"
	else
		flat "$1"
	fi
}

# sel FILE COND: the flat lines of FILE where the awk condition holds
# (COND may be a pattern, a pattern and an action, or more).
sel() {
	flat_of "$1" | awk -F '\t' "function N(x) { return x == \"null\" ? -1 : x + 0 } { $VARS } $2"
}

cnt() {
	sel "$1" "$2" | wc -l
}

# expect_n FILE N COND WHAT: exactly N records satisfy COND.
expect_n() {
	local got
	got=$(cnt "$1" "$3")
	[ "$got" -eq "$2" ] || bad "$4: $got records, expected $2"
}

# dump FILE: the records in the text view's order, as diagnostics.
dump() {
	flat_of "$1" | awk -F '\t' '{ print "#   " $1, $2, $5 ":" $6, $7 ":" $8, "dur=" $11, $25, $26, "reason=" $21, "missing=" $24 }'
}

# Checks every record of FILE must pass whatever the test: the documented
# keys, nothing missing (but the end of in_progress), times that add up.
# Durations of a handshake or failure: the sum of all steps; of a
# teardown: the steps after ESTABLISHED (established_ns is that first
# step); time_wait_ns: the timewait step's. A last step has no time.
# end_ns - start_ns is the sum of all steps. Records matching the awk
# condition EXCLUDE, if given, are left out.
check_common() {
	local out
	out=$(sel "$1" "${2:-0} { next }"'
	function fail(m) { printf "%s %s:%s->%s:%s: %s\n", kind, laddr, lport, raddr, rport, m; bad = 1 }
	{
		split(nsl, sn, ","); nst = split(path, sp, ">")
		if (!keys_ok) fail("keys differ from the documented list")
		# The cause is the kernel's word: the socket's error, the RSTs.
		if (kind == "connect_refused" && (cause != "refused" || err != "ECONNREFUSED"))
			fail("connect_refused: cause " cause " err " err)
		if (kind == "connect_timeout" && (cause != "timed_out" || err != "ETIMEDOUT"))
			fail("connect_timeout: cause " cause " err " err)
		if (kind == "reset_by_us" && (cause != "reset_by_us" || rst_by != "local" || rst_reason == "null"))
			fail("reset_by_us: cause " cause " rst_by " rst_by " rst_reason " rst_reason)
		if (kind == "reset_by_peer" && (cause != "reset_by_peer" || err !~ /^(ECONNRESET|EPIPE)$/))
			fail("reset_by_peer: cause " cause " err " err)
		if (kind ~ /^(active_open|passive_open|active_close|passive_close|simultaneous_close|orphan_close)$/ && (cause != "null" || err != "null"))
			fail(kind ": cause " cause " err " err)
		if (kind == "in_progress") {
			if (missing != "end" || partial != "true") fail("in_progress: missing=" missing " partial=" partial)
		} else if (missing != "-" || partial != "false")
			fail("missing=" missing " partial=" partial)
		if (nst > 0 && path != "-" && sn[nst] != "null" && kind != "in_progress") fail("last step has a time")
		if (start < 0 || end < start) fail("start_ns " $9 " end_ns " $10)
		if (path != "-" && kind != "in_progress" && (suma < 0 || suma != end - start))
			fail("steps sum to " $27 ", end_ns - start_ns is " sprintf("%.0f", end - start))
		if (kind ~ /^(active_open|passive_open)$/) {
			if (hs <= 0 || dur != hs || dur != suma) fail("handshake " $12 " duration " $11 " steps " $27)
		} else if (kind ~ /^(connect_refused|connect_timeout)$/) {
			if (dur <= 0 || dur != suma) fail("duration " $11 " steps " $27)
		} else if (kind ~ /^(half_open_expired|ack_dropped)$/) {
			if (dur <= 0 || dur != suma || synq != dur) fail("duration " $11 " syn_queue " $13 " steps " $27)
		} else if (kind ~ /^(active_close|passive_close|simultaneous_close|orphan_close|reset|reset_by_us|reset_by_peer)$/) {
			if (sp[1] != "ESTABLISHED" || sumr < 0 || dur != sumr || est != sn[1] + 0)
				fail("duration " $11 " established " $14 " steps after ESTABLISHED " $28)
			if (kind !~ /^(passive_close|reset|reset_by_us|reset_by_peer)$/) {
				if (twid == "null" || tw <= 0 || tw != sn[nst - 1] + 0) fail("time_wait_ns " $15 " tw_id " twid)
			} else if (twid != "null" || tw != -1)
				fail("a timewait sock without TIME_WAIT")
		}
	}')
	[ -z "$out" ] || bad "$out"
}

# story FILE FAM LADDR LPORT RADDR RPORT SIDE "KIND KIND...": the records
# of that tuple, in output order, are exactly those kinds (an extended
# regular expression matching the whole list); each says SIDE; each phase
# starts when the one before ended (end_ns == start_ns).
story() {
	local got
	got=$(sel "$1" "fam == \"$2\" && laddr == \"$3\" && lport == ${4:-0} && raddr == \"$5\" && rport == ${6:-0}" |
		awk -F '\t' -v side="$7" '{
			k = k (k == "" ? "" : " ") $1
			if ($2 != side) k = k "(side=" $2 ")"
			if (NR > 1 && $9 != pend) k = k "(start_ns " $9 " != previous end_ns " pend ")"
			pend = $10
		} END { print k }')
	echo "$got" | grep -Eqx "$8" || bad "$2 $3:$4 -> $5:$6: records '$got', expected '$8' (side $7)"
}

# ts_of FILE COND STATE: when the record matching COND entered STATE.
ts_of() {
	sel "$1" "$2" | awk -F '\t' -v s="$3" '{
		n = split($25, p, ">"); split($34, t, ",")
		for (i = 1; i <= n; i++) if (p[i] == s) print t[i]
	}'
}

# lt A B: A < B, both integers (ns), compared by awk.
lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 < b + 0) }'
}

# traffic_stories FILE LINES [racy]: the records of both sides of the
# loopback connections in LINES ("FAMILY LPORT CPORT CLOSER", as
# tcpstate_traffic and tcpstate_seqgen pair print them) tell their story:
# handshake, then the teardown its closer makes. With "racy" (close()
# first), the active closer's may be orphan_close (see the top).
traffic_stories() {
	local fam lport cport closer lo ck sk ac=active_close
	[ "${3:-}" = racy ] && ac="(active_close|orphan_close)"
	while read -r fam lport cport closer; do
		[ "$fam" = ipv4 ] && lo=127.0.0.1 || lo=::1
		case $closer in
		client) ck=$ac sk=passive_close ;;
		server) ck=passive_close sk=$ac ;;
		reset) ck=reset_by_us sk=reset_by_peer ;;
		esac
		story "$1" "$fam" "$lo" "$cport" "$lo" "$lport" client "active_open $ck"
		story "$1" "$fam" "$lo" "$lport" "$lo" "$cport" server "passive_open $sk"
	done < "$2"
}

# opens_true FILE: every open is what a loopback handshake is: the
# client's SYN_SENT -> ESTABLISHED, the server's request sock SYN_RECV ->
# child ESTABLISHED with a SYN queue time within the handshake, and, for
# each connection, SYN_SENT < SYN_RECV < client ESTABLISHED < server
# ESTABLISHED (the SYN, SYN-ACK and ACK in flight, each after the other).
opens_true() {
	local out
	out=$(sel "$1" 'kind == "active_open" && (side != "client" || path != "SYN_SENT>ESTABLISHED" || synq != -1 || req != "null" || queue != "null" || retrans != -1) ||
		kind == "passive_open" && (side != "server" || path != "SYN_RECV>ESTABLISHED" || synq <= 0 || synq > hs || req == "null" || retrans != 0 || ackd != 0 || queue != "accept" || qlen < 1)')
	[ -z "$out" ] || bad "opens not as a loopback handshake: $out"
	out=$(flat_of "$1" | awk -F '\t' '
		$1 == "active_open" { k = $4 " " $5 " " $6 " " $7 " " $8; as[k] = $9 + 0; ae[k] = $10 + 0 }
		$1 == "passive_open" { k = $4 " " $7 " " $8 " " $5 " " $6; ps[k] = $9 + 0; pe[k] = $10 + 0 }
		END {
			for (k in as) {
				if (!(k in ps)) { print "no passive_open for " k; continue }
				if (!(as[k] < ps[k] && ps[k] < ae[k] && ae[k] < pe[k]))
					print k ": SYN_SENT " as[k] " SYN_RECV " ps[k] " ESTABLISHED " ae[k] " / " pe[k]
			}
			for (k in ps) if (!(k in as)) print "no active_open for " k
		}')
	[ -z "$out" ] || bad "$out"
}

# teardown_true FILE FAM ACTIVE_LPORT ACTIVE_RPORT: the active closer's
# FIN_WAIT1 came before the passive side's CLOSE_WAIT (its FIN caused it),
# and the passive side's LAST_ACK before the active closer's TIME_WAIT,
# which came before the passive side's CLOSE (the last ACK).
teardown_true() {
	local a p fw1 cw la twts pend
	a="fam == \"$2\" && lport == $3 && rport == $4 && kind == \"active_close\""
	p="fam == \"$2\" && lport == $4 && rport == $3 && kind == \"passive_close\""
	fw1=$(ts_of "$1" "$a" FIN_WAIT1)
	twts=$(ts_of "$1" "$a" TIME_WAIT)
	cw=$(ts_of "$1" "$p" CLOSE_WAIT)
	la=$(ts_of "$1" "$p" LAST_ACK)
	pend=$(ts_of "$1" "$p" CLOSE)
	lt "$fw1" "$cw" && lt "$la" "$twts" && lt "$twts" "$pend" ||
		bad "$2 port $3 -> $4: FIN_WAIT1 $fw1 CLOSE_WAIT $cw LAST_ACK $la TIME_WAIT $twts CLOSE $pend: not in causal order"
}

# have_records FILE N COND: at least N records satisfy COND.
have_records() {
	[ "$(cnt "$1" "$3")" -ge "$2" ]
}

# wait_records FILE N COND MS: until at least N records satisfy COND.
wait_records() {
	wait_until "$4" have_records "$1" "$2" "$3"
}

if [ "$(id -u)" != 0 ] || [ ! -e /dev/tcpstate ] || ! command -v tcpstate-watch >/dev/null; then
	for t in $(seq 1 $NTESTS); do
		tap_skip "sequences $t" "needs root, tcpstate.ko loaded and tcpstate-watch"
	done
	exit 0
fi

# ---- 1: opens ----

t_opens() {
	local ino f=$work/opens.json
	ino=$(ns_new opens) || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" || return
	in_ns opens "$TRAFFIC" -4 -n 3 -c reset > "$work/opens.t" &&
		in_ns opens "$TRAFFIC" -6 -n 3 -c reset >> "$work/opens.t" ||
		bad "tcpstate_traffic failed"
	wait_records "$f" 12 'kind ~ /^reset_by_(us|peer)$/' 10000 || bad "timed out waiting for the records"
	ns_del opens
	watch_stop "$f"
	freeze "$f"
	check_common "$f"
	expect_n "$f" 6 'kind == "active_open"' "active_open"
	expect_n "$f" 6 'kind == "passive_open"' "passive_open"
	expect_n "$f" 6 'kind == "active_open" && netns == '"$ino"' && (fam == "ipv4" && laddr == "127.0.0.1" || fam == "ipv6" && laddr == "::1") && raddr == laddr' "active_open with loopback tuples in the netns"
	expect_n "$f" 24 '1' "records in all"
	traffic_stories "$f" "$work/opens.t"
	opens_true "$f"
	[ -z "$errs" ] || dump "$f"
}

# ---- 2, 3: client close and server close ----

# t_close CLOSER: one IPv4 and one IPv6 connection whose CLOSER closes
# first. The active closer's TIME_WAIT ends with the namespace.
t_close() {
	local closer=$1 ino f=$work/close_$1.json fam lport cport n ap
	ino=$(ns_new "cl$closer") || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" || return
	in_ns "cl$closer" "$GEN" pair -4 -n 1 -c "$closer" > "$work/cl$closer.t" &&
		in_ns "cl$closer" "$GEN" pair -6 -n 1 -c "$closer" >> "$work/cl$closer.t" ||
		bad "tcpstate_seqgen pair failed"
	wait_records "$f" 2 'kind == "passive_close"' 5000 || bad "timed out waiting for passive_close"
	# The kernel holds both active closers in TIME_WAIT (st 06).
	while read -r fam lport cport _; do
		[ "$closer" = client ] && ap=$cport || ap=$lport
		n=$(tcp_rows "cl$closer" 06 "$ap")
		[ "$n" -eq 1 ] || bad "$fam: the kernel shows $n TIME_WAIT sockets for the active closer, expected 1"
	done < "$work/cl$closer.t"
	# TcpExt TW counts them as their timers are armed (2), or in 5.10 as
	# the timers fire (none yet): there the st 06 rows above are the figure.
	n=$(mib "cl$closer" TcpExt TW)
	[ "$n" -eq 2 ] || [ "$n" -eq 0 ] || bad "TcpExt TW $n, expected 2 (or 0 where counted at expiry)"
	ns_del "cl$closer"
	wait_records "$f" 2 'kind == "active_close"' 10000 || bad "timed out waiting for active_close (netns exit)"
	watch_stop "$f"
	freeze "$f"
	check_common "$f"
	expect_n "$f" 8 '1' "records in all"
	traffic_stories "$f" "$work/cl$closer.t"
	expect_n "$f" 2 'kind == "active_close" && side == "'"$closer"'" && path == "ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT>CLOSE" && reason == "netns_exit" && twsub == "TIME_WAIT" && netns == '"$ino" "active_close through TIME_WAIT, ended by the netns exit"
	expect_n "$f" 2 'kind == "passive_close" && path == "ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE" && reason == "null" && twsub == "null"' "passive_close ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE"
	while read -r fam lport cport _; do
		if [ "$closer" = client ]; then
			teardown_true "$f" "$fam" "$cport" "$lport"
		else
			teardown_true "$f" "$fam" "$lport" "$cport"
		fi
	done < "$work/cl$closer.t"
	opens_true "$f"
	[ -z "$errs" ] || dump "$f"
}

# ---- 4: --flush: TIME_WAIT still running ----

t_flush() {
	local ino f=$work/flush.json fam lport cport
	ino=$(ns_new flush) || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" --flush || return
	in_ns flush "$GEN" pair -4 -n 1 -c client > "$work/flush.t" || bad "tcpstate_seqgen pair failed"
	read -r fam lport cport _ < "$work/flush.t"
	wait_records "$f" 1 'kind == "passive_close"' 5000 || bad "timed out waiting for passive_close"
	[ "$(tcp_rows flush 06 "$cport")" -eq 1 ] || bad "the kernel shows no TIME_WAIT for client port $cport"
	watch_stop "$f"
	ns_del flush
	freeze "$f"
	check_common "$f"
	expect_n "$f" 4 '1' "records in all"
	story "$f" ipv4 127.0.0.1 "$cport" 127.0.0.1 "$lport" client "active_open in_progress"
	story "$f" ipv4 127.0.0.1 "$lport" 127.0.0.1 "$cport" server "passive_open passive_close"
	expect_n "$f" 1 'kind == "in_progress" && path == "ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT" && twid != "null" && reason == "null" && nsl ~ /^[0-9]+,[0-9]+,[0-9]+,null$/' \
		"in_progress ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT (still running)"
	[ -z "$errs" ] || dump "$f"
}

# ---- 5: orphaned FIN_WAIT2 timewait sock, tcp_fin_timeout=1 ----

t_orphan() {
	local ino f=$work/orphan.json lport cport fam lo
	ino=$(ns_new orphan) || { bad "ip netns add"; return; }
	ns_sysctl orphan tcp_fin_timeout 1
	watch_start "$f" --netns "$ino" || return
	# tcpstate_seqgen waits until the kernel showed each as st 05 and
	# then no more, and closes the server ends after.
	in_ns orphan "$GEN" orphan -4 -n 2 > "$work/o4" 2> "$work/orphan.err" &&
		in_ns orphan "$GEN" orphan -6 -n 1 > "$work/o6" 2>> "$work/orphan.err" ||
		bad "tcpstate_seqgen orphan failed: $(cat "$work/orphan.err")"
	{ sed 's/^/ipv4 /' "$work/o4"; sed 's/^/ipv6 /' "$work/o6"; } > "$work/orphan.t"
	sed 's/^#/# kernel:/' "$work/orphan.err" | grep '^# kernel' || true
	wait_records "$f" 3 'kind == "reset_by_peer"' 5000 || bad "timed out waiting for the records"
	watch_stop "$f"
	ns_del orphan
	freeze "$f"
	check_common "$f"
	expect_n "$f" 12 '1' "records in all"
	while read -r fam lport cport; do
		[ "$fam" = ipv4 ] && lo=127.0.0.1 || lo=::1
		story "$f" "$fam" "$lo" "$cport" "$lo" "$lport" client "active_open orphan_close"
		story "$f" "$fam" "$lo" "$lport" "$lo" "$cport" server "passive_open reset_by_peer"
	done < "$work/orphan.t"
	# The timewait sock lived tcp_fin_timeout (1 s; a jiffy early at most).
	expect_n "$f" 3 'kind == "orphan_close" && path == "ESTABLISHED>FIN_WAIT1>FIN_WAIT2>FIN_WAIT2(tw)>CLOSE" && reason == "expired" && twsub == "FIN_WAIT2" && tw >= 990000000 && tw < 5000000000' \
		"orphan_close through FIN_WAIT2(tw) for ~1 s, reason=expired"
	# The server closes once the client's timewait sock is gone: its FIN
	# finds no socket, and the RST that answers it ends LAST_ACK.
	expect_n "$f" 3 'kind == "reset_by_peer" && path == "ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE" && err == "ECONNRESET" && rst_by == "peer"' "server: LAST_ACK reset by the peer (its FIN found no socket)"
	[ -z "$errs" ] || dump "$f"
}

# ---- 6: an orphaned FIN_WAIT2 timewait sock gets the peer's FIN ----

# The client closes first and its socket is orphaned in FIN_WAIT1 (the
# server's ACK comes after close()): a timewait sock in substate
# FIN_WAIT2. The server's FIN then turns it to TIME_WAIT (the kernel shows
# st 06); it lasts 60 s, ended here by the netns exit. The client's
# record must show that TIME_WAIT: the step before CLOSE is TIME_WAIT, and
# no step claims the TIME_WAIT's time as FIN_WAIT2's. Its kind may be
# orphan_close (the application closed in FIN_WAIT1) or active_close (the
# peer's FIN came: an orderly active close).
t_orphan_fin() {
	local ino f=$work/orphanfin.json fam lport cport lo
	ino=$(ns_new orphfin) || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" || return
	in_ns orphfin "$GEN" orphan -k -4 -n 1 > "$work/of4" 2> "$work/orphanfin.err" &&
		in_ns orphfin "$GEN" orphan -k -6 -n 1 > "$work/of6" 2>> "$work/orphanfin.err" ||
		bad "tcpstate_seqgen orphan -k failed: $(cat "$work/orphanfin.err")"
	sed 's/^#/# kernel:/' "$work/orphanfin.err" | grep '^# kernel' || true
	{ sed 's/^/ipv4 /' "$work/of4"; sed 's/^/ipv6 /' "$work/of6"; } > "$work/orphanfin.t"
	wait_records "$f" 2 'kind == "passive_close"' 5000 || bad "timed out waiting for passive_close"
	[ "$(tcp_rows orphfin 06 0)" -eq 2 ] || bad "the kernel shows $(tcp_rows orphfin 06 0) TIME_WAIT sockets, expected 2"
	ns_del orphfin
	wait_records "$f" 2 'side == "client" && (kind == "orphan_close" || kind == "active_close")' 10000 ||
		bad "timed out waiting for the client's teardown"
	watch_stop "$f"
	freeze "$f"
	check_common "$f" 'side == "client" && (kind == "orphan_close" || kind == "active_close")'
	expect_n "$f" 8 '1' "records in all"
	while read -r fam lport cport; do
		[ "$fam" = ipv4 ] && lo=127.0.0.1 || lo=::1
		story "$f" "$fam" "$lo" "$cport" "$lo" "$lport" client "active_open (orphan_close|active_close)"
		story "$f" "$fam" "$lo" "$lport" "$lo" "$cport" server "passive_open passive_close"
	done < "$work/orphanfin.t"
	expect_n "$f" 2 'side == "client" && (kind == "orphan_close" || kind == "active_close") && reason == "netns_exit" && twsub == "TIME_WAIT" && tw > 0 && path ~ /^ESTABLISHED>FIN_WAIT1>FIN_WAIT2>/' \
		"client teardown: its timewait sock ended in TIME_WAIT (netns exit)"
	expect_n "$f" 2 'side == "client" && twsub == "TIME_WAIT" && path ~ /TIME_WAIT>CLOSE$/' \
		"the client's path ends TIME_WAIT -> CLOSE, as the kernel's timewait sock did"
	expect_n "$f" 0 'side == "client" && twsub == "TIME_WAIT" {
		n = split(path, sp, ">"); split(nsl, sn, ",")
		for (i = 1; i <= n; i++) if (sp[i] == "FIN_WAIT2(tw)" && sn[i] != "null" && sn[i] + 0 >= tw) print }' \
		"a FIN_WAIT2(tw) step that claims the timewait sock's whole life, TIME_WAIT included"
	[ -z "$errs" ] || dump "$f"
}

# ---- 7: reset ----

t_reset() {
	local ino f=$work/reset.json n
	ino=$(ns_new reset) || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" || return
	in_ns reset "$TRAFFIC" -4 -n 2 -c reset > "$work/reset.t" &&
		in_ns reset "$TRAFFIC" -6 -n 2 -c reset >> "$work/reset.t" ||
		bad "tcpstate_traffic failed"
	wait_records "$f" 8 'kind ~ /^reset_by_(us|peer)$/' 5000 || bad "timed out waiting for the records"
	# Tcp EstabResets: ESTABLISHED -> CLOSE, both sides of each connection.
	n=$(mib reset Tcp EstabResets)
	watch_stop "$f"
	ns_del reset
	freeze "$f"
	check_common "$f"
	expect_n "$f" 16 '1' "records in all"
	expect_n "$f" "$n" 'kind ~ /^reset_by_(us|peer)$/ && path == "ESTABLISHED>CLOSE" && dur == 0 && est > 0' "reset records (Tcp EstabResets is $n)"
	# Each abort: the aborting client resets, its server is reset.
	expect_n "$f" $((n / 2)) 'kind == "reset_by_us" && side == "client"' "clients' reset_by_us (half of Tcp EstabResets $n)"
	expect_n "$f" $((n / 2)) 'kind == "reset_by_peer" && side == "server" && err == "ECONNRESET"' "servers' reset_by_peer (half of Tcp EstabResets $n)"
	[ "$n" -eq 8 ] || bad "Tcp EstabResets $n, expected 8"
	traffic_stories "$f" "$work/reset.t"
	[ -z "$errs" ] || dump "$f"
}

# ---- 8: refused ----

t_refused() {
	local ino f=$work/refused.json c4 c6 n
	ino=$(ns_new refused) || { bad "ip netns add"; return; }
	watch_start "$f" --netns "$ino" || return
	# Port 1 of a fresh netns: nothing listens, the SYN gets an RST.
	c4=$(in_ns refused "$GEN" connect -4 -x refused 127.0.0.1 1) || bad "IPv4 connect not refused"
	c6=$(in_ns refused "$GEN" connect -6 -x refused ::1 1) || bad "IPv6 connect not refused"
	: "${c4:=0 0}" "${c6:=0 0}"
	wait_records "$f" 2 '1' 5000 || bad "timed out waiting for the records"
	n=$(mib refused Tcp AttemptFails)
	watch_stop "$f"
	ns_del refused
	freeze "$f"
	check_common "$f"
	[ "$n" -eq 2 ] || bad "Tcp AttemptFails $n, expected 2"
	expect_n "$f" 2 '1' "records in all"
	story "$f" ipv4 127.0.0.1 "${c4%% *}" 127.0.0.1 1 client connect_refused
	story "$f" ipv6 ::1 "${c6%% *}" ::1 1 client connect_refused
	expect_n "$f" 2 'kind == "connect_refused" && path == "SYN_SENT>CLOSE" && dur > 0 && dur < 1000000000' "connect_refused SYN_SENT -> CLOSE in under 1 s"
	# Within connect()'s own time.
	expect_n "$f" 1 'fam == "ipv4" && dur / 1000000 <= '"${c4##* }"' + 1' "IPv4 connect_refused within connect()'s ${c4##* } ms"
	expect_n "$f" 1 'fam == "ipv6" && dur / 1000000 <= '"${c6##* }"' + 1' "IPv6 connect_refused within connect()'s ${c6##* } ms"
	[ -z "$errs" ] || dump "$f"
}

# ---- 9: SYN timeout ----

# with_sink NS: the dummy device tssink of tcpstate_synsend in NS: SINK
# addresses 10.77.0.1 and fd77::1 on it; 10.99.0.0/16 and fd99::/64 routed
# into it, where packets vanish.
with_sink() {
	in_ns "$1" "$SYNSEND" --sink -4 -p 9 -n 0
}

t_syn_timeout() {
	local ino f=$work/syntimeout.json p4 p6 c4 c6 ms4 ms6 n
	ino=$(ns_new syntmo) || { bad "ip netns add"; return; }
	with_sink syntmo || { bad "sink device"; return; }
	ns_syn_retries syntmo 1
	watch_start "$f" --netns "$ino" || return
	in_ns syntmo "$GEN" connect -4 -x timeout 10.99.200.1 80 > "$work/to4" &
	p4=$!
	in_ns syntmo "$GEN" connect -6 -x timeout fd99::c8:1 80 > "$work/to6" &
	p6=$!
	bg_pids="$p4 $p6"
	wait "$p4" || bad "IPv4 connect did not time out"
	wait "$p6" || bad "IPv6 connect did not time out"
	bg_pids=
	read -r c4 ms4 < "$work/to4"
	read -r c6 ms6 < "$work/to6"
	echo "# kernel: connect() gave ETIMEDOUT after $ms4 ms (IPv4), $ms6 ms (IPv6)"
	wait_records "$f" 2 '1' 5000 || bad "timed out waiting for the records"
	n=$(mib syntmo TcpExt TCPSynRetrans)
	[ "$n" -eq 2 ] || bad "TcpExt TCPSynRetrans $n, expected 2 (one retransmit each)"
	n=$(mib syntmo Tcp AttemptFails)
	[ "$n" -eq 2 ] || bad "Tcp AttemptFails $n, expected 2"
	watch_stop "$f"
	ns_del syntmo
	freeze "$f"
	check_common "$f"
	expect_n "$f" 2 '1' "records in all"
	story "$f" ipv4 10.77.0.1 "${c4:-0}" 10.99.200.1 80 client connect_timeout
	story "$f" ipv6 fd77::1 "${c6:-0}" fd99::c8:1 80 client connect_timeout
	# 1 s + 2 s of RTOs, within connect()'s own time (and at most 300 ms
	# shorter: the syscall's entry and wake-up).
	expect_n "$f" 1 'kind == "connect_timeout" && fam == "ipv4" && path == "SYN_SENT>CLOSE" && dur >= 2900000000 && dur / 1000000 <= '"${ms4:-0}"' + 1 && '"${ms4:-0}"' - dur / 1000000 < 300' "IPv4 connect_timeout lasting connect()'s ${ms4:-?} ms"
	expect_n "$f" 1 'kind == "connect_timeout" && fam == "ipv6" && path == "SYN_SENT>CLOSE" && dur >= 2900000000 && dur / 1000000 <= '"${ms6:-0}"' + 1 && '"${ms6:-0}"' - dur / 1000000 < 300' "IPv6 connect_timeout lasting connect()'s ${ms6:-?} ms"
	[ -z "$errs" ] || dump "$f"
}

# ---- 10: half-open expiry ----

t_half_open() {
	local ino f=$work/halfopen.json l4 l6 n k
	ino=$(ns_new halfopen) || { bad "ip netns add"; return; }
	with_sink halfopen || { bad "sink device"; return; }
	ns_sysctl halfopen tcp_synack_retries 1
	# nsenter execs the listener: $! is its pid, to kill it later.
	nsenter --net=/run/netns/halfopen "$GEN" listen -4 -p 8080 10.77.0.1 > "$work/l4" &
	l4=$!
	nsenter --net=/run/netns/halfopen "$GEN" listen -6 -p 8080 fd77::1 > "$work/l6" &
	l6=$!
	bg_pids="$l4 $l6"
	wait_until 5000 nonempty "$work/l4" "$work/l6" || bad "listeners not up"
	watch_start "$f" --netns "$ino" || return
	# 3 + 2 spoofed SYNs: their SYN-ACKs vanish into the sink.
	in_ns halfopen "$SYNSEND" -4 -d 10.77.0.1 -p 8080 -n 3 -s 40000 &&
		in_ns halfopen "$SYNSEND" -6 -d fd77::1 -p 8080 -n 2 -s 41000 ||
		bad "tcpstate_synsend failed"
	wait_until 3000 rows_are halfopen 03 8080 5
	n=$(tcp_rows halfopen 03 8080)
	[ "$n" -eq 5 ] || bad "the kernel shows $n request socks (st 03), expected 5"
	wait_records "$f" 5 'kind == "half_open_expired"' 10000 || bad "timed out waiting for the records"
	[ "$(tcp_rows halfopen 03 8080)" -eq 0 ] || bad "request socks left after the records"
	n=$(mib halfopen TcpExt TCPSynRetrans)
	kill $bg_pids
	wait $bg_pids 2>/dev/null
	bg_pids=
	watch_stop "$f"
	ns_del halfopen
	freeze "$f"
	check_common "$f"
	expect_n "$f" 5 '1' "records in all"
	for k in 1 2 3; do
		story "$f" ipv4 10.77.0.1 8080 10.99.0.$k $((40000 + k - 1)) server half_open_expired
	done
	for k in 1 2; do
		story "$f" ipv6 fd77::1 8080 fd99::$k $((41000 + k - 1)) server half_open_expired
	done
	# tcp_synack_retries=1: the SYN-ACK, one retransmit after 1 s, expiry
	# 2 s later.
	expect_n "$f" 5 'kind == "half_open_expired" && path == "SYN_RECV>CLOSE" && reason == "expired" && retrans == 1 && queue == "syn" && qlen >= 1 && qmax == 16 && req != "null" && synq >= 2900000000 && synq < 10000000000' \
		"half_open_expired: retrans=1, SYN queue ~3 s, reason=expired"
	[ "$n" -eq "$(sel "$f" '{ s += retrans } END { print s + 0 }')" ] ||
		bad "TcpExt TCPSynRetrans $n, records' retrans sum $(sel "$f" '{ s += retrans } END { print s + 0 }')"
	[ -z "$errs" ] || dump "$f"
}

# ---- 11: accept-queue overflow ----

t_overflow() {
	local ino f=$work/overflow.json lport z c1 c2 c3 over n L
	ino=$(ns_new overflow) || { bad "ip netns add"; return; }
	ns_sysctl overflow tcp_syncookies 0
	ns_syn_retries overflow 1
	ns_sysctl overflow tcp_synack_retries 1
	# 50 ms each way on lo: two SYNs can reach the listener before the
	# first third ACK does.
	tc -n overflow qdisc add dev lo root netem delay 50ms || { bad "netem on lo"; return; }
	watch_start "$f" --netns "$ino" || return
	if ! in_ns overflow "$GEN" overflow -4 > "$work/overflow.t" 2> "$work/overflow.err"; then
		bad "tcpstate_seqgen overflow failed: $(cat "$work/overflow.err")"
		watch_stop "$f"
		return
	fi
	sed 's/^#/# kernel:/' "$work/overflow.err" | grep '^# kernel' || true
	read -r lport z c1 c2 c3 over < "$work/overflow.t"
	wait_records "$f" 5 'kind ~ /^reset_by_(us|peer)$/' 5000 || bad "timed out waiting for the records"
	watch_stop "$f"
	ns_del overflow
	freeze "$f"
	check_common "$f"
	L=127.0.0.1
	# The closing listener resets its queued children (Z's, C1's): their
	# clients are reset by the peer; C2, which the server never made a
	# socket for, aborts.
	story "$f" ipv4 $L "$z" $L "$lport" client "active_open reset_by_peer"
	story "$f" ipv4 $L "$c1" $L "$lport" client "active_open reset_by_peer"
	story "$f" ipv4 $L "$c2" $L "$lport" client "active_open reset_by_us"
	story "$f" ipv4 $L "$c3" $L "$lport" client "connect_timeout"
	story "$f" ipv4 $L "$lport" $L "$z" server "passive_open reset_by_us"
	story "$f" ipv4 $L "$lport" $L "$c1" server "passive_open reset_by_us"
	story "$f" ipv4 $L "$lport" $L "$c2" server "ack_dropped"
	expect_n "$f" 1 'kind == "passive_open" && rport == '"$z"' && queue == "accept" && qlen == 1 && qmax == 1' "Z queued first: acceptq=1/1"
	expect_n "$f" 1 'kind == "passive_open" && rport == '"$c1"' && queue == "accept" && qlen == 2 && qmax == 1' "C1 fills the queue: acceptq=2/1"
	# C2: its third ACK(s) dropped, its request sock expired after one
	# SYN-ACK retransmit.
	expect_n "$f" 1 'kind == "ack_dropped" && side == "server" && path == "SYN_RECV>CLOSE" && reason == "accept_queue_full" && ackd >= 1 && retrans == 1 && queue == "accept" && qlen == 2 && qmax == 1 && synq >= 2900000000' "C2 ack_dropped"
	# C3: each SYN dropped on the full queue (the SYN and one retransmit),
	# a syn_dropped record each, before its connect_timeout.
	expect_n "$f" 2 'kind == "syn_dropped" && side == "server" && rport == '"$c3"' && lport == '"$lport"' && reason == "accept_queue_full" && queue == "accept" && qlen == 2 && qmax == 1 && path == "-" && dur == -1 && req == "null"' "C3's SYNs: syn_dropped"
	sel "$f" '(kind == "syn_dropped" || kind == "connect_timeout") && (rport == '"$c3"' || lport == '"$c3"') { k = k " " kind } END { print k }' |
		grep -qx ' syn_dropped syn_dropped connect_timeout' || bad "C3's records not syn_dropped, syn_dropped, connect_timeout in order"
	expect_n "$f" 1 'kind == "connect_timeout" && lport == '"$c3"' && dur >= 2900000000' "C3 connect_timeout"
	expect_n "$f" 14 '1' "records in all"
	# Every overflow the kernel counted is in the records.
	n=$(sel "$f" '{ s += (kind == "ack_dropped") * ackd + (kind == "syn_dropped") } END { print s + 0 }')
	[ "$n" = "$over" ] || bad "TcpExt ListenOverflows +$over, records: ack_drops + syn_dropped = $n"
	[ -z "$errs" ] || dump "$f"
}

# ---- 12: simultaneous close ----

t_simclose() {
	local ia ib f=$work/simclose.json c4 c6 p n
	ia=$(ns_new sca) && ib=$(ns_new scb) || { bad "ip netns add"; return; }
	ip link add va netns sca type veth peer name vb netns scb &&
		ip -n sca addr add 10.88.0.1/24 dev va &&
		ip -n scb addr add 10.88.0.2/24 dev vb &&
		ip -n sca addr add fd88::1/64 dev va nodad &&
		ip -n scb addr add fd88::2/64 dev vb nodad &&
		ip -n sca link set va up && ip -n scb link set vb up &&
		tc -n sca qdisc add dev va root netem delay 100ms &&
		tc -n scb qdisc add dev vb root netem delay 100ms ||
		{ bad "veth with netem"; return; }
	# The kernel's own account of the transitions, for comparison.
	if [ -w "$TRACE_EVENT" ]; then
		echo > $T/trace
		echo 1 > $T/tracing_on
		echo 1 > "$TRACE_EVENT" && trace_on=1
	fi
	watch_start "$f" || return
	# Both ends close within microseconds; each FIN takes 100 ms to cross,
	# so each end receives the other's FIN in FIN_WAIT1: CLOSING.
	c4=$(in_ns sca "$GEN" simclose -4 -N /run/netns/scb 10.88.0.2 5555) || bad "simclose IPv4 failed"
	c6=$(in_ns sca "$GEN" simclose -6 -N /run/netns/scb fd88::2 5556) || bad "simclose IPv6 failed"
	c4=${c4%% *}
	c6=${c6%% *}
	wait_until 3000 rows_are sca 06 0 2 && wait_until 3000 rows_are scb 06 0 2
	[ "$(tcp_rows sca 06 0)" -eq 2 ] && [ "$(tcp_rows scb 06 0)" -eq 2 ] ||
		bad "the kernel shows $(tcp_rows sca 06 0) + $(tcp_rows scb 06 0) TIME_WAIT sockets, expected 2 + 2"
	if [ "$trace_on" = 1 ]; then
		echo 0 > "$TRACE_EVENT"
		trace_on=0
		for p in "sport=$c4 dport=5555" "sport=5555 dport=$c4" "sport=$c6 dport=5556" "sport=5556 dport=$c6"; do
			n=$(grep -c "$p .*oldstate=TCP_FIN_WAIT1 newstate=TCP_CLOSING" $T/trace)
			[ "$n" -eq 1 ] || bad "tracefs: $n FIN_WAIT1 -> CLOSING for $p, expected 1"
		done
		echo "# kernel: tracefs shows FIN_WAIT1 -> CLOSING on both ends of both connections"
	fi
	ns_del sca
	ns_del scb
	wait_records "$f" 4 'kind == "simultaneous_close"' 10000 || bad "timed out waiting for the records"
	watch_stop "$f"
	# Only these two namespaces' records.
	awk -v a="\"netns\":$ia," -v b="\"netns\":$ib," '!/"type":"sequence"/ || index($0, a) || index($0, b)' "$f" > "$f.2" &&
		mv "$f.2" "$f"
	freeze "$f"
	check_common "$f"
	expect_n "$f" 8 '1' "records in all"
	story "$f" ipv4 10.88.0.1 "$c4" 10.88.0.2 5555 client "active_open simultaneous_close"
	story "$f" ipv4 10.88.0.2 5555 10.88.0.1 "$c4" server "passive_open simultaneous_close"
	story "$f" ipv6 fd88::1 "$c6" fd88::2 5556 client "active_open simultaneous_close"
	story "$f" ipv6 fd88::2 5556 fd88::1 "$c6" server "passive_open simultaneous_close"
	expect_n "$f" 2 'kind == "simultaneous_close" && netns == '"$ia"' && side == "client"' "client ends in netns sca"
	expect_n "$f" 2 'kind == "simultaneous_close" && netns == '"$ib"' && side == "server"' "server ends in netns scb"
	# Each FIN crossed 100 ms of delay: FIN_WAIT1 and CLOSING each last
	# about that long.
	expect_n "$f" 4 'kind == "simultaneous_close" && path == "ESTABLISHED>FIN_WAIT1>CLOSING>TIME_WAIT>CLOSE" && reason == "netns_exit" && twsub == "TIME_WAIT" {
		split(nsl, s, ","); if (s[2] + 0 >= 50000000 && s[3] + 0 >= 50000000) print }' \
		"simultaneous_close ESTABLISHED -> FIN_WAIT1 -> CLOSING -> TIME_WAIT -> CLOSE, ~100 ms each in flight"
	opens_true "$f"
	[ -z "$errs" ] || dump "$f"
}

# ---- 13: mixed burst ----

t_mixed() {
	local ino f=$work/mixed.json pids='' p i k n l4 l6 tw_rows active passive fails resets synretrans
	ino=$(ns_new mixed) || { bad "ip netns add"; return; }
	with_sink mixed || { bad "sink device"; return; }
	ns_syn_retries mixed 1
	ns_sysctl mixed tcp_synack_retries 1
	nsenter --net=/run/netns/mixed "$GEN" listen -4 -p 8080 10.77.0.1 > "$work/ml4" &
	l4=$!
	nsenter --net=/run/netns/mixed "$GEN" listen -6 -p 8080 fd77::1 > "$work/ml6" &
	l6=$!
	bg_pids="$l4 $l6"
	wait_until 5000 nonempty "$work/ml4" "$work/ml6" || bad "listeners not up"
	watch_start "$f" --netns "$ino" || return
	# Everything at once: 20 connections (client, server and reset
	# closes, IPv4 and IPv6), 6 refused connects, 2 timed out, 4 half-open.
	in_ns mixed "$TRAFFIC" -4 -n 4 -c client > "$work/mx.1" & pids="$pids $!"
	in_ns mixed "$TRAFFIC" -6 -n 4 -c server > "$work/mx.2" & pids="$pids $!"
	in_ns mixed "$TRAFFIC" -4 -n 3 -c reset > "$work/mx.3" & pids="$pids $!"
	in_ns mixed "$TRAFFIC" -6 -n 3 -c reset > "$work/mx.4" & pids="$pids $!"
	in_ns mixed "$TRAFFIC" -6 -n 3 -c client > "$work/mx.5" & pids="$pids $!"
	in_ns mixed "$TRAFFIC" -4 -n 3 -c server > "$work/mx.6" & pids="$pids $!"
	for i in 1 2 3; do
		in_ns mixed "$GEN" connect -4 -x refused 127.0.0.1 1 > "$work/mr4.$i" & pids="$pids $!"
		in_ns mixed "$GEN" connect -6 -x refused ::1 1 > "$work/mr6.$i" & pids="$pids $!"
	done
	in_ns mixed "$GEN" connect -4 -x timeout 10.99.200.1 80 > "$work/mt4" & pids="$pids $!"
	in_ns mixed "$GEN" connect -6 -x timeout fd99::c8:1 80 > "$work/mt6" & pids="$pids $!"
	in_ns mixed "$SYNSEND" -4 -d 10.77.0.1 -p 8080 -n 2 -s 40000 & pids="$pids $!"
	in_ns mixed "$SYNSEND" -6 -d fd77::1 -p 8080 -n 2 -s 41000 & pids="$pids $!"
	bg_pids="$bg_pids $pids"
	for p in $pids; do
		wait "$p" || bad "traffic process $p failed"
	done
	bg_pids="$l4 $l6"
	cat "$work"/mx.* > "$work/mixed.t"
	[ "$(wc -l < "$work/mixed.t")" -eq 20 ] || bad "tcpstate_traffic made $(wc -l < "$work/mixed.t") connections, expected 20"
	# All but the TIME_WAITs' ends, then the kernel's figures.
	wait_records "$f" 78 'kind != "active_close"' 15000 || bad "timed out waiting for the records"
	tw_rows=$(tcp_rows mixed 06 0)
	active=$(mib mixed Tcp ActiveOpens)
	passive=$(mib mixed Tcp PassiveOpens)
	fails=$(mib mixed Tcp AttemptFails)
	resets=$(mib mixed Tcp EstabResets)
	synretrans=$(mib mixed TcpExt TCPSynRetrans)
	kill $bg_pids
	wait $bg_pids 2>/dev/null
	bg_pids=
	ns_del mixed
	wait_records "$f" 92 '1' 10000 || bad "timed out waiting for the TIME_WAITs' ends"
	watch_stop "$f"
	freeze "$f"
	# Closers that raced into an orphaned FIN_WAIT2 timewait sock: their
	# timings are test 6's business.
	check_common "$f" 'path ~ /FIN_WAIT2\(tw\)/ && twsub == "TIME_WAIT"'
	n=$(cnt "$f" 'kind == "orphan_close"')
	[ "$n" -eq 0 ] || echo "# $n of the 14 active closers went through an orphaned FIN_WAIT2 timewait sock (their peer's ACK came after close())"
	echo "# kernel: ActiveOpens $active PassiveOpens $passive AttemptFails $fails EstabResets $resets TIME_WAIT $tw_rows TCPSynRetrans $synretrans"
	for k in active_open:20 passive_open:20 passive_close:14 reset_by_us:6 reset_by_peer:6 connect_refused:6 connect_timeout:2 half_open_expired:4; do
		expect_n "$f" "${k#*:}" "kind == \"${k%:*}\"" "${k%:*}"
	done
	expect_n "$f" 14 'kind == "active_close" || kind == "orphan_close"' "active_close (or orphan_close)"
	expect_n "$f" 92 '1' "records in all"
	# The kernel's counts of the same.
	n=$(cnt "$f" 'kind == "active_open" || kind == "connect_refused" || kind == "connect_timeout"')
	[ "$active" -eq "$n" ] || bad "Tcp ActiveOpens $active, records $n"
	[ "$passive" -eq "$(cnt "$f" 'kind == "passive_open"')" ] || bad "Tcp PassiveOpens $passive"
	[ "$fails" -eq "$(cnt "$f" 'kind == "connect_refused" || kind == "connect_timeout"')" ] || bad "Tcp AttemptFails $fails"
	[ "$resets" -eq "$(cnt "$f" 'kind ~ /^reset_by_(us|peer)$/')" ] || bad "Tcp EstabResets $resets"
	[ "$tw_rows" -eq "$(cnt "$f" 'twsub == "TIME_WAIT"')" ] || bad "TIME_WAIT rows $tw_rows, records ending in TIME_WAIT $(cnt "$f" 'twsub == "TIME_WAIT"')"
	n=$(sel "$f" 'kind == "half_open_expired" { s += retrans } kind == "connect_timeout" { s++ } END { print s + 0 }')
	[ "$synretrans" -eq "$n" ] || bad "TcpExt TCPSynRetrans $synretrans, records: SYN-ACK retransmits + one SYN retransmit per timeout = $n"
	# Every connection's own story, on both sides.
	traffic_stories "$f" "$work/mixed.t" racy
	for i in 1 2 3; do
		read -r p _ < "$work/mr4.$i"
		story "$f" ipv4 127.0.0.1 "${p:-0}" 127.0.0.1 1 client connect_refused
		read -r p _ < "$work/mr6.$i"
		story "$f" ipv6 ::1 "${p:-0}" ::1 1 client connect_refused
	done
	read -r p _ < "$work/mt4"
	story "$f" ipv4 10.77.0.1 "${p:-0}" 10.99.200.1 80 client connect_timeout
	read -r p _ < "$work/mt6"
	story "$f" ipv6 fd77::1 "${p:-0}" fd99::c8:1 80 client connect_timeout
	for k in 1 2; do
		story "$f" ipv4 10.77.0.1 8080 10.99.0.$k $((40000 + k - 1)) server half_open_expired
		story "$f" ipv6 fd77::1 8080 fd99::$k $((41000 + k - 1)) server half_open_expired
	done
	expect_n "$f" 14 '(kind == "active_close" || kind == "orphan_close") && reason == "netns_exit" && twsub == "TIME_WAIT" && path ~ /^ESTABLISHED>FIN_WAIT1>FIN_WAIT2>/' "active closers' timewait socks ended by the netns exit in TIME_WAIT"
	opens_true "$f"
	[ -z "$errs" ] || dump "$f"
}

# run NAME FUNC ARGS...: one test, with its time in the guest.
run() {
	local name=$1 t0
	shift
	t0=$(cut -d ' ' -f 1 /proc/uptime)
	"$@"
	echo "# $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime) s"
	finish "$name"
}

run "sequences: loopback opens: active_open client, passive_open server, handshake and SYN queue times, in causal order" t_opens
run "sequences: client close: active_close through TIME_WAIT (ended by netns exit), server passive_close" t_close client
run "sequences: server close: active_close on the server, passive_close on the client" t_close server
run "sequences: --flush: a TIME_WAIT still running is in_progress" t_flush
run "sequences: orphan_close: FIN_WAIT2 timewait sock expires after tcp_fin_timeout=1" t_orphan
run "sequences: orphaned FIN_WAIT2 timewait sock turned TIME_WAIT by the peer's FIN: the record shows the TIME_WAIT" t_orphan_fin
run "sequences: reset on both sides of an aborted connection (Tcp EstabResets)" t_reset
run "sequences: connect_refused (Tcp AttemptFails)" t_refused
run "sequences: connect_timeout: SYNs into a dummy device, tcp_syn_retries=1" t_syn_timeout
run "sequences: half_open_expired: spoofed SYNs, SYN-ACKs lost, tcp_synack_retries=1" t_half_open
run "sequences: accept queue overflow: ack_dropped, syn_dropped (TcpExt ListenOverflows)" t_overflow
run "sequences: simultaneous_close through CLOSING on both ends (veth, netem 100 ms)" t_simclose
run "sequences: mixed burst: per-kind counts equal the traffic and the kernel's counters" t_mixed
exit $tap_status
