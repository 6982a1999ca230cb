#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest instructions per connection of the bench's connection loop, with
# no module, tcpstate.ko alone and tcpstate.ko + tcpstate-watch (issue
# 18): a cost that does not depend on how well QEMU's TCG emulates an
# atomic or a TLB miss. Boots the VM with the insncount TCG plugin
# (bench/insn_plugin, built by scripts/insn-plugin.sh), which writes each
# vCPU's instruction totals at every mark the guest script
# (scripts/guest/bench-insns.sh) makes; then boots it once more without
# the plugin for the plugin's slowdown; bench/insns.awk prints the table.
#
# Environment: INSNS_REPS (rounds, default 5), INSNS_CONNS (connections
# per thread per run, default 3000), INSNS_THREADS (default 1,2),
# INSNS_NOPLUGIN (0: skip the run without the plugin; default 1),
# INSNS_IPC, INSNS_GHZ (the hardware the instructions are turned into time
# for: default IPC 1 at 3 GHz), and vm-run.sh's own.
# Writes build/insns.marks (the plugin's), build/insns.log and
# build/insns-noplugin.log (the consoles), build/insns.txt (the table).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
prog=bench-insns

reps=${INSNS_REPS:-5}
conns=${INSNS_CONNS:-3000}
threads=${INSNS_THREADS:-1,2}
lock=/tmp/tcpstate-vm.lock
plugin=$top/build/insn-plugin/libinsncount.so
marks=$top/build/insns.marks
log=$top/build/insns.log
log0=$top/build/insns-noplugin.log
txt=$top/build/insns.txt

for f in bench/connloop bench/insnmark bench/getppidloop module/tcpstate.ko \
	bench/hookcost_module/tcpstate_hookcost.ko userspace/tcpstate-watch; do
	[ -f "$f" ] || {
		echo "$prog: missing $f: run make first" >&2
		exit 1
	}
done
scripts/insn-plugin.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-insns.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# vm_run LOG [QEMU ARGS]: one boot of the guest script, one VM at a time
# on this host; the console to LOG, the boot's host seconds (vm-run's
# count, the wait for the lock left out) to LOG.secs.
vm_run() {
	local out=$1 rc=0
	shift
	if ! flock -n "$lock" true; then
		echo "$prog: waiting for $lock (another VM runs)" >&2
	fi
	# Plugins need TCG. The kernel arguments are scripts/bench.sh's.
	TCPSTATE_ACCEL=tcg TCPSTATE_VM_QEMU_ARGS="$*" \
		TCPSTATE_VM_APPEND="${TCPSTATE_VM_APPEND:-} thash_entries=262144 tsc=reliable" \
		flock "$lock" scripts/vm-run.sh --timeout "${TCPSTATE_VM_TIMEOUT:-1800}" \
		--mem "${MEM:-2048}" scripts/guest/bench-insns.sh "$reps" "$conns" "$threads" \
		>"$out" 2>&1 || rc=$?
	sed -n 's/^vm-run: guest exited with status [0-9]* after \([0-9]*\) s$/\1/p' \
		"$out" >"$out.secs"
	grep -a -v '^INSNS ' "$out" | tail -n 5 >&2
	return $rc
}

rm -f "$marks" "$log.secs" "$log0.secs"
echo "$prog: booting with the plugin ($reps rounds, $conns connections per thread, T=$threads)" >&2
vm_run "$log" -plugin "$plugin,out=$marks" ||
	echo "$prog: the run with the plugin failed (status $?)" >&2
if [ "${INSNS_NOPLUGIN:-1}" = 1 ]; then
	echo "$prog: booting without the plugin (its slowdown)" >&2
	vm_run "$log0" || echo "$prog: the run without the plugin failed (status $?)" >&2
else
	: >"$log0"
fi

grep -a '^INSNS ' "$log" | sed 's/^INSNS //' >"$tmp/plugin.raw" || true
grep -a '^INSNS ' "$log0" | sed 's/^INSNS //' >"$tmp/noplugin.raw" || true
[ -s "$marks" ] || {
	echo "$prog: the plugin wrote no marks ($marks)" >&2
	exit 1
}
awk -f bench/insns.awk -v ipc="${INSNS_IPC:-1}" -v ghz="${INSNS_GHZ:-3}" \
	-v boot_plugin="$(cat "$log.secs")" -v boot_noplugin="$(cat "$log0.secs" 2>/dev/null)" \
	-v qemu="$(dpkg-query -W -f='${Version}' qemu-system-x86)" \
	-v commit="$(git rev-parse --short HEAD)" \
	"$marks" "$tmp/plugin.raw" "$tmp/noplugin.raw" | tee "$txt"
