#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM: loads tcpstate.ko, runs every selftest (TAP), then
# checks that the kernel log holds no complaint. Exit status: 0 when all
# passed.
set -u
KO=/tcpstate/module/tcpstate.ko
export TCPSTATE_KO=$KO
cd /tcpstate/selftests || exit 1
status=0

# Expected pr_err lines (bad module parameters) must not land in the middle
# of TAP lines on the serial console; the log is checked below instead.
dmesg -n 1

insmod "$KO" || { echo "Bail out! insmod $KO failed"; exit 1; }
./tcpstate_test || status=1
./watch_matches_tracefs.sh || status=1

# A kernel complaint anywhere in the run fails it (oops=panic and
# panic_on_warn=1 already end the VM on the worst ones).
echo "TAP version 13"
echo "1..1"
complaints=$(dmesg | grep -E 'WARNING|BUG|Oops|general protection|soft lockup|hard LOCKUP|INFO: task|lockdep|KASAN|kmemleak|bad ' )
if [ -n "$complaints" ]; then
	echo "$complaints" | sed 's/^/# /'
	echo "not ok 1 kernel log holds no warning, BUG, oops or lockup"
	status=1
else
	echo "ok 1 kernel log holds no warning, BUG, oops or lockup"
fi
rmmod tcpstate 2>/dev/null
exit $status
