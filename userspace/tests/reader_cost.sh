#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the default reader costs per event, on the host: tcpstate-watch
# with the fake device (fake_tcpstate.so on /dev/null, as watch_test runs
# it) replaying the bench loop's stream (reader_stream.c: loopback
# connections, both ends, 15 events each), stdout to /dev/null as in
# `make bench`. For the default mode (sequences) and for -e it prints:
#
#   instr/event    valgrind --tool=callgrind: instructions of the whole
#                  run / events (setup included: < 0.1 % at the default
#                  size), and the top functions, inclusive, per event
#   syscalls/event strace -c -f: system calls / events, and the leading
#                  ones; and those while streaming (from the header's
#                  write to the fake's SIGINT: no startup, no exit) /
#                  events. The fake answers poll() itself while events are
#                  left (the module's poll is a system call): poll()
#                  calls/event, from callgrind, is beside it
#   clock reads    clock_gettime() calls/event (vDSO: no system call)
#   allocs/event   valgrind --tool=memcheck's heap summary: allocations
#                  / events, and bytes allocated / event
#
# Not a test, not run by make check: rerun it before and after a change.
# OUT=DIR keeps each mode's stdout as DIR/MODE.out, to diff against
# another build's. Needs valgrind and strace; run `make tests` first.
#
# usage: tests/reader_cost.sh [CONNS [DATA_PAGES]]
#   CONNS       connections replayed (default 20000: ~296k events)
#   DATA_PAGES  the fake ring's data pages (default 256, 1 MiB: batches of
#               ~6900 events, the size the bench's 16 MiB ring woken at a
#               quarter, or at --latency, gives at its ~110k events/s)
# $TCPSTATE_WATCH: the binary (default ../tcpstate-watch from here);
# $CC: the compiler for reader_stream.c (default cc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
watch=${TCPSTATE_WATCH:-$here/../tcpstate-watch}
fake=$here/fake_tcpstate.so
conns=${1:-20000}
pages=${2:-256}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

for tool in valgrind strace callgrind_annotate; do
	command -v $tool > /dev/null || { echo "no $tool" >&2; exit 1; }
done
[ -x "$watch" ] && [ -r "$fake" ] ||
	{ echo "no $watch or $fake: make tests first" >&2; exit 1; }

${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -I"$here/.." \
	-I"$here/../../module/uapi" -o "$work/reader_stream" \
	"$here/reader_stream.c"
"$work/reader_stream" "$conns" > "$work/stream.bin"

# The stream, then a SIGINT from the fake 300 ms after its last event.
run() {
	env LD_PRELOAD="$fake" TCPSTATE_FAKE_EVENTS="$work/stream.bin" \
		TCPSTATE_FAKE_DATA_PAGES="$pages" TCPSTATE_FAKE_MISSED=0 \
		TCPSTATE_FAKE_STOP_MS=300 "$@"
}

# "tcpstate-watch: N events, ..." -> N
events_of() {
	sed -n 's/^tcpstate-watch: \([0-9]*\) events.*/\1/p' "$1" | tail -n 1
}

per() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4g", a / b }'
}

# Calls of function $2 in callgrind_annotate --tree=calling output $1:
# the "(Nx)" of its ">" lines under each caller's "*" line; calls from the
# fake itself (its replay) are not the reader's.
calls_of() {
	awk -v fn="$2" '
		/ \* / { fake = /fake_tcpstate/; next }
		/ > / && !fake {
			f = $0
			sub(/ \([0-9,]+x\).*$/, "", f)
			sub(/.*:/, "", f)
			sub(/@.*/, "", f)
			if (f == fn && match($0, /\(([0-9,]+)x\)/)) {
				c = substr($0, RSTART + 1, RLENGTH - 3)
				gsub(",", "", c)
				total += c
			}
		}
		END { print total + 0 }' "$1"
}

# Inclusive instructions of function $2 (file:function) in $1, from
# callgrind_annotate --inclusive=yes.
incl_of() {
	awk -v fn="$2" 'index($0, fn " [") {
		ir = $1; gsub(",", "", ir); print ir; exit }' "$1"
}

measure() {
	mode=$1
	shift
	echo "== $mode: tcpstate-watch -d /dev/null $* >/dev/null, $conns connections, ring $pages pages"

	run "$watch" -d /dev/null "$@" > "$work/$mode.out" 2> "$work/$mode.err"
	events=$(events_of "$work/$mode.err")
	[ -n "$events" ] || { cat "$work/$mode.err" >&2; exit 1; }
	[ -n "${OUT:-}" ] && cp "$work/$mode.out" "$OUT/$mode.out"
	echo "events $events, output $(wc -c < "$work/$mode.out") bytes, $(wc -l < "$work/$mode.out") lines"

	run valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$watch" -d /dev/null "$@" > /dev/null 2> "$work/cg.err"
	total=$(sed -n 's/^summary: //p' "$work/cg.out")
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no \
		"$work/cg.out" > "$work/incl" 2> /dev/null
	# The fake's poll() replays the stream into the ring: the module's
	# work, not the reader's.
	fake_ir=$(incl_of "$work/incl" tests/fake_tcpstate.c:poll)
	ir=$((total - ${fake_ir:-0}))
	echo "instr/event $(per "$ir" "$events")  ($ir instructions; the fake's replay, $fake_ir more, left out)"
	echo "  top functions, inclusive instructions/event:"
	awk -v ev="$events" '
		/ \[/ && /tcpstate-watch.c:main / { on = 1; next }
		on && / \[/ && !/fake_tcpstate|tcpstate_reader_wait/ && n < 14 {
			ir = $1; gsub(",", "", ir)
			fn = $0; sub(/ \[.*$/, "", fn); sub(/.* /, "", fn)
			sub(/.*\//, "", fn)
			printf "  %9.1f  %s\n", ir / ev, fn
			n++
		}' "$work/incl"
	callgrind_annotate --tree=calling --threshold=100 --auto=no \
		"$work/cg.out" > "$work/tree" 2> /dev/null
	polls=$(calls_of "$work/tree" poll)
	clocks=$(calls_of "$work/tree" clock_gettime)
	mallocs=$(($(calls_of "$work/tree" malloc) + $(calls_of "$work/tree" calloc) + $(calls_of "$work/tree" realloc)))
	echo "poll() calls/event $(per "$polls" "$events") ($polls)"
	echo "clock_gettime() calls/event $(per "$clocks" "$events") ($clocks)"
	echo "malloc/calloc/realloc calls/event $(per "$mallocs" "$events") ($mallocs)"

	run strace -f -c -o "$work/strace" "$watch" -d /dev/null "$@" \
		> /dev/null 2> /dev/null
	sc=$(awk '$NF == "total" { print $(NF - 2) }' "$work/strace")
	# While streaming: from the header's write to the fake's SIGINT,
	# without startup and exit (the heap given back a page at a time).
	run strace -f -o "$work/trace" "$watch" -d /dev/null "$@" \
		> /dev/null 2> /dev/null
	sc_stream=$(awk '/ write\(1, / && !on { on = 1; next }
		/--- SIGINT/ { exit } on && /^[0-9]+ +[a-z_0-9]+\(/ { n++ }
		END { print n + 0 }' "$work/trace")
	echo "syscalls/event $(per "$sc" "$events") ($sc system calls); while streaming $(per "$sc_stream" "$events") ($sc_stream)"
	awk '/^ *[0-9.]+ / && $NF != "total" {
		calls = NF == 6 ? $4 : $4; print "  " $NF " " calls }' \
		"$work/strace" | sort -k2 -n -r | head -n 6

	run valgrind --tool=memcheck --leak-check=no "$watch" -d /dev/null \
		"$@" > /dev/null 2> "$work/mc.err"
	heap=$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs, [0-9,]* frees, \([0-9,]*\) bytes.*/\1 \2/p' \
		"$work/mc.err" | tr -d ,)
	set -- $heap
	echo "allocs/event $(per "$1" "$events") ($1 allocations, $(per "$2" "$events") bytes/event)"
	echo
}

[ -n "${OUT:-}" ] && mkdir -p "$OUT"
measure default
measure events -e
