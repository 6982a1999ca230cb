#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything `make check` runs, in order, each as TAP: host-side unit tests
# of tcpstate-watch, checkpatch, make install and the Prometheus export
# against node_exporter; then, for every kernel of the matrix
# (scripts/kernels.conf; KERNELS=NAME,... narrows it), the module's W=1
# build and DKMS build in that kernel's Debian root, and the selftests and
# hardening selftests in VMs booting that kernel. Each result of a kernel
# is named by it ("ok 3 [6.12] ..."). Ends with a line per kernel and the
# line "N passed, N failed, N skipped"; exits non-zero if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/tap.sh
mkdir -p build
log=$top/build/check.log
: > "$log"
# Where each kernel's TAP also goes, for its own summary line.
klog=/dev/null

# One check as a TAP stream of its own; its output becomes diagnostics.
gate() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	{
		tap_plan 1
		[ -z "$out" ] || tap_diag "$out"
		tap_result $rc "$name"
	} | name_results | tee -a "$log" "$klog"
}

# In a kernel's part, "ok N text" becomes "ok N [kernel] text".
KERNEL_NAME=
name_results() {
	if [ -n "$KERNEL_NAME" ]; then
		sed -u -E "s/^((not )?ok [0-9]+) /\1 [$KERNEL_NAME] /"
	else
		cat
	fi
}

# kbuild's output for kernel line $1, from a fresh copy: no warning.
module_w1_clean() {
	local out
	out=$(scripts/kernels.sh build "$1" 2>&1) || { printf '%s\n' "$out"; return 1; }
	! printf '%s\n' "$out" | grep -iE 'warning|error'
}

echo "== host: unit tests"
make -s -C userspace check KSFT_DIR="$top/build/kselftest" 2>&1 | tee -a "$log"

echo "== host: style, install, Prometheus"
gate "checkpatch --strict is clean on module/" scripts/checkpatch.sh
# Each leaves the machine as it was: temporary trees, processes stopped.
gate "make install/uninstall: exactly the module, tcpstate-watch and its man page (DESTDIR, PREFIX)" \
	scripts/install-test.sh "/lib/modules/$(scripts/kver.sh)/build"
gate "tcpstate-watch --prometheus: promtool accepts it, node_exporter's textfile collector serves its values" \
	scripts/prometheus-test.sh
gate "monitoring/: promtool check and test rules (each alert fired and silent, mutants caught), the dashboard's JSON and PromQL, only metrics tcpstate-watch writes" \
	scripts/monitoring-test.sh

echo "== kernels: prepare"
kernels=$(scripts/kernels.sh list) || exit 1
# Prints what it downloads; a line it cannot prepare fails its own tests.
scripts/kernels.sh prepare 2>&1 | tee -a "$log"

# vm_run NAME VM-RUN-ARGS...: one VM boot of the current kernel; its TAP
# goes to the logs, and one more test says whether the guest ran to the
# end. 124: timeout, 125: the guest died without a status (panic): the run
# itself failed, whatever its TAP said so far.
vm_run() {
	local name=$1 vm_status
	shift
	KVER=$KVER TCPSTATE_KERNEL_IMAGE=$KIMAGE TCPSTATE_MODULES_ROOT=$KROOT \
		TCPSTATE_KO=$top/build/kernels/$KERNEL_NAME/tcpstate.ko \
		scripts/vm-run.sh --timeout "${TCPSTATE_VM_TIMEOUT:-900}" "$@" 2>&1 |
		name_results | tee -a "$log" "$klog"
	vm_status=${PIPESTATUS[0]}
	{
		tap_plan 1
		if [ "$vm_status" -eq 124 ] || [ "$vm_status" -eq 125 ]; then
			tap_fail "VM ($name) ran to the end (vm-run status $vm_status)"
		else
			tap_ok "VM ($name) ran to the end (guest status $vm_status)"
		fi
	} | name_results | tee -a "$log" "$klog"
}

summaries=
for k in $kernels; do
	klog=$top/build/check-$k.log
	: > "$klog"
	if ! env=$(scripts/kernels.sh env "$k" 2>&1); then
		KERNEL_NAME=$k gate "kernel $k prepared" false
		summaries="$summaries# $k: $(awk -f scripts/tap-summary.awk "$klog")
"
		continue
	fi
	eval "$env"
	echo "== $k ($KVER): build gates"
	gate "module builds with W=1 and no warning" module_w1_clean "$k"
	gate "dkms.conf: dkms add, build (signed, modinfo version), install, remove --all" \
		scripts/kernels.sh intree "$k" scripts/dkms-test.sh "$KVER"

	echo "== $k ($KVER): VM selftests"
	vm_run selftests scripts/guest/check.sh
	# The JSON lines sequences_test.sh printed, through a real JSON parser:
	# every line an object with its type's documented keys, in order.
	gate "VM: tcpstate-watch -j lines of sequences_test.sh parse, with every documented key" \
		sh -c 'grep "^# JSON " "$1" | cut -c 8- > "$2" && test -s "$2" && python3 userspace/tests/check_json.py lines "$2"' \
		- "$klog" "build/sequences-$k.jsonl"

	# Its own boot (scripts/guest/hardening.sh says why).
	echo "== $k ($KVER): VM hardening"
	vm_run hardening scripts/guest/hardening.sh
	summaries="$summaries# $k ($KVER): $(awk -f scripts/tap-summary.awk "$klog")
"
done

echo "== summary"
printf '%s' "$summaries"
summary=$(awk -f scripts/tap-summary.awk "$log")
echo "$summary"
[[ "$summary" == *" 0 failed"* ]]
