#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything `make check` runs, in order, each as TAP: host-side unit tests
# of tcpstate-watch, the module's build and style gates, make install, DKMS
# and the Prometheus export against node_exporter, then the selftests in a
# VM booting the kernel tcpstate.ko was built for. Ends with the line
# "N passed, N failed, N skipped"; exits non-zero if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build
log=$top/build/check.log
: > "$log"

# One check as a TAP stream of its own; its output becomes diagnostics.
gate() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	{
		echo "1..1"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		if [ $rc -eq 0 ]; then echo "ok 1 $name"; else echo "not ok 1 $name"; fi
	} | tee -a "$log"
}

module_w1_clean() {
	local out
	# Clean module/ only: kbuild's clean deletes every *.o and .*.cmd
	# below M, and below the top sits build/debug-kernel/linux, a kernel
	# tree that then takes 45 minutes to rebuild.
	make -s -C "$KDIR" M="$top/module" clean >/dev/null 2>&1
	out=$(make -C "$top" KDIR="$KDIR" module 2>&1) || { printf '%s\n' "$out"; return 1; }
	! printf '%s\n' "$out" | grep -iE 'warning|error'
}

KDIR=${KDIR:-/lib/modules/$(scripts/kver.sh)/build}

echo "== host: unit tests"
make -s -C userspace check KSFT_DIR="$top/build/kselftest" 2>&1 | tee -a "$log"

echo "== host: build and style gates"
gate "module builds with W=1 and no warning" module_w1_clean
gate "checkpatch --strict is clean on module/" scripts/checkpatch.sh

# Each leaves the machine as it was: temporary trees, processes stopped.
echo "== host: install, DKMS, Prometheus"
gate "make install/uninstall: exactly the module, tcpstate-watch and its man page (DESTDIR, PREFIX)" \
	scripts/install-test.sh "$KDIR"
gate "dkms.conf: dkms add, build (signed, modinfo version), install, remove --all for the installed headers" \
	scripts/dkms-test.sh
gate "tcpstate-watch --prometheus: promtool accepts it, node_exporter's textfile collector serves its values" \
	scripts/prometheus-test.sh

# vm_run NAME VM-RUN-ARGS...: one VM boot; its TAP goes to the log, and
# one more test says whether the guest ran to the end. 124: timeout, 125:
# the guest died without a status (panic): the run itself failed, whatever
# its TAP said so far.
vm_run() {
	local name=$1 vm_status
	shift
	scripts/vm-run.sh --timeout "${TCPSTATE_VM_TIMEOUT:-900}" "$@" 2>&1 |
		tee -a "$log"
	vm_status=${PIPESTATUS[0]}
	{
		echo "1..1"
		if [ "$vm_status" -eq 124 ] || [ "$vm_status" -eq 125 ]; then
			echo "not ok 1 VM ($name) ran to the end (vm-run status $vm_status)"
		else
			echo "ok 1 VM ($name) ran to the end (guest status $vm_status)"
		fi
	} | tee -a "$log"
}

echo "== VM: selftests"
vm_run selftests scripts/guest/check.sh

# Its own boot, with all vCPUs in one host thread: the insmod/rmmod cycles
# under traffic patch kernel text while the other vCPU runs it, which
# multi-threaded TCG does not survive (README, "Known emulator limits").
echo "== VM: hardening"
vm_run hardening --tcg-single scripts/guest/hardening.sh

# The JSON lines sequences_test.sh printed, through a real JSON parser:
# every line an object with its type's documented keys, in order.
gate "VM: tcpstate-watch -j lines of sequences_test.sh parse, with every documented key" \
	sh -c 'grep "^# JSON " "$1" | cut -c 8- > build/sequences.jsonl && test -s build/sequences.jsonl && python3 userspace/tests/check_json.py lines build/sequences.jsonl' - "$log"

echo "== summary"
summary=$(awk -f scripts/tap-summary.awk "$log")
echo "$summary"
[[ "$summary" == *" 0 failed"* ]]
