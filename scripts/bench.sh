#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: boot the VM once, run every benchmark in it
# (scripts/guest/bench.sh) and print the table (bench/report.awk).
#
# Environment: BENCH_REPS (default 5 runs per figure; medians are shown),
# BENCH_LOOP_SECS (default 1.5, seconds per connection-loop run),
# BENCH_PARTS (default all: memory,loop,micro,ring,drain,stall,seed,hooks
# (each hook's cost, ~4 minutes), insns (instructions per connection,
# scripts/bench-insns.sh: two boots of its own, ~4 minutes)), BENCH_HOOKS_THREADS
# (default 1,2: the loop's T for hooks), BENCH_HOOKS_UNHOOK (1: hooks also
# times the loop with each hook left off, ~12 minutes more), and
# vm-run.sh's own (TCPSTATE_VM_APPEND, ...).
# Writes build/bench.log (the console), build/bench.raw (the records) and
# build/bench.txt (the table).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

reps=${BENCH_REPS:-5}
secs=${BENCH_LOOP_SECS:-1.5}
parts=${BENCH_PARTS:-memory,loop,micro,ring,drain,stall,seed,hooks,insns}
BENCH_HOOKS_THREADS=${BENCH_HOOKS_THREADS:-1,2}
log=$top/build/bench.log
raw=$top/build/bench.raw
txt=$top/build/bench.txt
mkdir -p build

for f in bench/connloop bench/churn bench/ringcount bench/sockfill \
	bench/stallmeter bench/getppidloop module/tcpstate.ko \
	bench/hookcost_module/tcpstate_hookcost.ko \
	userspace/tcpstate-watch; do
	[ -x "$f" ] || [ -f "$f" ] || {
		echo "bench: missing $f: run make first" >&2
		exit 1
	}
done

# Numbers from a host that also runs other VMs mean little: say so.
others=$(pgrep -c qemu-system || true)
if [ "${others:-0}" -gt 0 ]; then
	echo "bench: warning: $others other QEMU process(es) running: the numbers will be noisy" >&2
fi

# Kernel arguments:
# - thash_entries: a large established hash (as on a server with a few
#   GiB of RAM) keeps the tens of thousands of timewait socks the loop
#   leaves from turning every lookup into a list walk;
# - 2 GiB: the insmod-stall part keeps 200k sockets open (~1 GiB);
# - tsc=reliable: under TCG the kernel finds the vCPUs' TSCs unsynchronized
#   and falls back to the HPET, whose every read is an emulated MMIO access
#   under QEMU's global lock: ktime_get_ns() would cost microseconds and
#   serialize the vCPUs, which real hardware (TSC clocksource) does not do.
status=0
TCPSTATE_VM_APPEND="${TCPSTATE_VM_APPEND:-} thash_entries=262144 tsc=reliable" \
	flock /tmp/tcpstate-vm.lock \
	scripts/vm-run.sh --timeout "${TCPSTATE_VM_TIMEOUT:-1500}" --mem "${MEM:-2048}" \
	scripts/guest/bench.sh "$reps" "$secs" "$parts" "$BENCH_HOOKS_THREADS" \
	"${BENCH_HOOKS_UNHOOK:-0}" >"$log" 2>&1 &
vm=$!
# Other VMs on this host take CPU from this one: count, every 5 s, how
# often one (any QEMU beyond this run's) was running.
(
	n=0 busy=0
	while kill -0 $vm 2>/dev/null; do
		c=$(pgrep -c qemu-system || true)
		n=$((n + 1))
		[ "${c:-0}" -gt 1 ] && busy=$((busy + 1))
		echo "$busy $n" >"$top/build/bench.others"
		sleep 5
	done
) &
mon=$!
# Progress while it runs: everything but the records (-a: the serial
# console may carry NUL bytes).
tail -n +1 -f "$log" --pid=$vm 2>/dev/null | grep -a --line-buffered -v '^BENCH ' >&2 || true
wait $vm || status=$?
wait $mon 2>/dev/null || true

grep -a '^BENCH ' "$log" | sed 's/^BENCH //' >"$raw" || true
# The hooks part puts its emulated figures beside this machine's own CPU:
# the same system call and connection loop on its own kernel, no module
# (it cannot load one), after the VM so that nothing else runs. Listener
# ports below the ephemeral range; each loop short enough that its
# timewait sockets (reused after 1 s on loopback) cannot use the range up.
case ,$parts, in
*,hooks,*)
	read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range
	for r in $(seq 1 "$reps"); do
		ns=$(taskset -c 0 bench/getppidloop -n 2000000 | awk '{ print $7 }')
		echo "native what=getppid rep=$r ns=$ns" >>"$raw"
		for thr in ${BENCH_HOOKS_THREADS//,/ }; do
			rate=$(bench/connloop -t "$thr" -p -d 0.5 -P $((eph_lo - 100 + 10 * thr)) |
				awk '{ print $11 }')
			echo "native what=loop threads=$thr rep=$r rate=$rate" >>"$raw"
			sleep 1
		done
	done
	echo "info host_kernel=$(uname -r)" >>"$raw"
	;;
esac
read -r busy samples <"$top/build/bench.others" 2>/dev/null || { busy=0; samples=0; }
echo "host others_busy=$busy others_samples=$samples" >>"$raw"
accel=tcg
grep -aq '^vm-run: accel kvm' "$log" && accel=kvm
if [ -s "$raw" ]; then
	# The ring slot's size, from the ABI header: its one home.
	span=$(awk '$2 == "TCPSTATE_RECORD_SPAN" { print $3 }' module/uapi/tcpstate.h)
	awk -v accel=$accel -v span="$span" -f bench/report.awk "$raw" | tee "$txt"
fi
if [ "$status" -ne 0 ] || ! grep -qx done "$raw"; then
	echo "bench: the VM run failed (status $status): see ${log#"$top"/}" >&2
	exit 1
fi
# 7. Guest instructions per connection: two boots of their own, with and
# without the insncount plugin (scripts/bench-insns.sh).
case ,$parts, in
*,insns,*)
	echo >>"$txt"
	echo "7. $(INSNS_REPS=$reps scripts/bench-insns.sh)" | tee -a "$txt"
	;;
esac
