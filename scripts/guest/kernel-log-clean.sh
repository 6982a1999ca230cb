#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM, last: one TAP test that fails if the kernel log holds
# any complaint (oops=panic and panic_on_warn=1 already end the VM on the
# worst ones; this catches the rest: soft lockups, hung tasks, lockdep,
# KASAN, kmemleak, "bad page" and the like). Exit status 1 if it does.
echo "TAP version 13"
echo "1..1"
complaints=$(dmesg | grep -E 'WARNING|BUG|Oops|general protection|soft lockup|hard LOCKUP|INFO: task|lockdep|KASAN|kmemleak|bad ')
if [ -n "$complaints" ]; then
	echo "$complaints" | sed 's/^/# /'
	echo "not ok 1 kernel log holds no warning, BUG, oops or lockup"
	exit 1
fi
echo "ok 1 kernel log holds no warning, BUG, oops or lockup"
