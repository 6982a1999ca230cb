#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for scripts/bench-insns.sh: the bench's connection
# loop (bench/connloop) with no module, with tcpstate.ko and no reader
# (and again with its entry hooks as kprobes, entry_hook=kprobe: what the
# ftrace callbacks save), and with tcpstate.ko and tcpstate-watch
# >/dev/null (the default reader,
# as scripts/guest/bench.sh's watch-seq), each window between two marks
# for the insncount QEMU plugin (bench/insnmark: a cpuid the plugin
# watches; without the plugin a mark does nothing).
#
# Per run, with the variant in place: a control window (mark, sleep
# SETTLE, mark) and a loop window (mark, connloop, sleep SETTLE, mark):
# the loop window less the control window is the loop's own work, the
# reader's drain after the loop (its --latency is 0.1 s) included, the
# marks' own processes and the variant's background left out. Per round,
# 1 s of nothing between two marks of one process gives the background
# rate. Prints one "INSNS key=value ..." line per window.
#
# Arguments: REPS (default 5) CONNS (per thread, default 3000) THREADS
# (default 1,2) SETTLE (microseconds, default 500000).
set -u

reps=${1:-5}
conns=${2:-3000}
threads=${3:-1,2}
settle=${4:-500000}
B=/tcpstate/bench
KO=/tcpstate/module/tcpstate.ko
HOOKCOST_KO=/tcpstate/bench/tcpstate_hookcost.ko
# Every connect() takes over a timewait sock a connection of the warm-up
# left on its tuple, as in scripts/guest/bench.sh's loop.
loop_port=20000

dmesg -n 1
say() { echo "bench-insns: $*" >&2; }
out() { echo "INSNS $*"; }
die() {
	say "FAILED: $*"
	exit 1
}

markno=0
# mark: the next mark; its number in $markno.
mark() {
	markno=$((markno + 1))
	$B/insnmark $markno || die "insnmark $markno"
}

tpid=
cleanup() {
	if [ -n "$tpid" ]; then
		kill -INT "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	fi
	lsmod | grep -q '^tcpstate ' && rmmod tcpstate
}
trap cleanup EXIT

# Until PID has mapped /dev/tcpstate (it then holds the ring).
wait_mapped() {
	for _ in $(seq 1 400); do
		grep -q /dev/tcpstate "/proc/$1/maps" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		usleep 20000
	done
	return 1
}

wchar() {
	awk '$1 == "wchar:" { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0
}

variant_start() {
	tpid=
	case $1 in
	none) ;;
	module) insmod "$KO" || die "insmod $KO" ;;
	kprobes) insmod "$KO" entry_hook=kprobe || die "insmod $KO entry_hook=kprobe" ;;
	reader)
		insmod "$KO" || die "insmod $KO"
		tcpstate-watch >/dev/null 2>/tmp/watch.err &
		tpid=$!
		wait_mapped $tpid || die "tcpstate-watch did not map the ring"
		;;
	esac
}

variant_stop() {
	if [ -n "$tpid" ]; then
		kill -INT "$tpid"
		for _ in $(seq 1 500); do
			kill -0 "$tpid" 2>/dev/null || break
			usleep 20000
		done
		kill -KILL "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
		tpid=
	fi
	case $1 in
	module | kprobes | reader)
		for _ in $(seq 1 20); do
			rmmod tcpstate 2>/dev/null && return 0
			usleep 100000
		done
		die "rmmod tcpstate"
		;;
	esac
}

# run VARIANT THREADS REP
run() {
	local v=$1 thr=$2 rep=$3 c0 c1 m0 m1 res w0 w1 late=0
	variant_start "$v"
	usleep 200000
	mark
	c0=$markno
	usleep "$settle"
	mark
	c1=$markno
	mark
	m0=$markno
	res=$($B/connloop -t "$thr" -p -n "$conns" -P $loop_port) || die "connloop: $res"
	usleep "$settle"
	mark
	m1=$markno
	# Anything the reader still wrote after the window was left out of it.
	if [ -n "$tpid" ]; then
		w0=$(wchar "$tpid")
		usleep "$settle"
		w1=$(wchar "$tpid")
		late=$((w1 - w0))
	fi
	variant_stop "$v"
	out "run variant=$v threads=$thr rep=$rep ctl0=$c0 ctl1=$c1 mark0=$m0 mark1=$m1" \
		"$(echo "$res" | awk '{ print "conns=" $5, "failed=" $7, "secs=" $9, "rate=" $11 }')" \
		"late_wchar=$late"
	say "$v T=$thr rep $rep: $res"
}

# count_check: the plugin's count against a loop of known length
# (insnmark N loop LOOPS: 2 * LOOPS user instructions between marks N
# and N + 1).
count_check() {
	local loops=10000000 a
	markno=$((markno + 1))
	a=$markno
	markno=$((markno + 1))
	$B/insnmark $a loop $loops || die "insnmark $a loop $loops"
	out "check mark0=$a mark1=$markno loops=$loops"
}

# idle REP: what the guest runs in 1 s of nothing, no module: marks
# around one process's sleep (insnmark N sleep USECS).
idle() {
	local a
	markno=$((markno + 1))
	a=$markno
	markno=$((markno + 1))
	$B/insnmark $a sleep 1000000 || die "insnmark $a sleep"
	out "idle rep=$1 mark0=$a mark1=$markno usecs=1000000"
}

# trap_insns REP: the instructions of the trap into a hook, apart from its
# handler: getppid() calls (bench/getppidloop) between two marks, with
# the bench's trap-cost module hooking the call's entry as each KIND (as
# scripts/guest/bench.sh's trap_run; none: not loaded). The runs' own
# exec and exit cancel against none's.
trap_calls=100000
trap_insns() {
	local kind m0
	for kind in none kprobe kretprobe kretprobe_skip ftrace ftrace_regs fprobe fprobe_skip; do
		if [ "$kind" != none ] && ! insmod $HOOKCOST_KO kind="$kind"; then
			# ftrace, fprobe: not where the kernel does not give modules all they need.
			case $kind in ftrace* | fprobe*) ;; *) die "insmod $HOOKCOST_KO kind=$kind" ;; esac
			continue
		fi
		mark
		m0=$markno
		taskset -c 0 $B/getppidloop -n $trap_calls >/dev/null || die "getppidloop"
		mark
		if [ "$kind" != none ]; then
			rmmod tcpstate_hookcost || die "rmmod tcpstate_hookcost"
		fi
		out "trap kind=$kind rep=$1 mark0=$m0 mark1=$markno calls=$trap_calls"
	done
}

say "kernel $(uname -r), $(nproc) CPUs, $reps rounds, $conns connections per thread"
out "info kernel=$(uname -r) cpus=$(nproc) reps=$reps conns=$conns settle_us=$settle" \
	"date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
sysctl -q -w net.ipv4.tcp_max_tw_buckets=1048576
sysctl -q -w net.ipv4.ip_local_port_range="40000 56383"
# Warm up: caches, slabs, and a timewait sock on every port of both
# listeners' tuples (16384 ports), so that every window's connect()s
# take one over.
$B/connloop -t 2 -p -n 9000 -P $loop_port >/dev/null || die "connloop warm-up"

count_check
for r in $(seq 1 "$reps"); do
	idle "$r"
	trap_insns "$r"
	for thr in ${threads//,/ }; do
		for v in none module kprobes reader; do
			run "$v" "$thr" "$r"
		done
	done
done
out "done"
