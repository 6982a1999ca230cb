#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM, last: one TAP test that fails if the kernel log holds
# any complaint (kernel-log.sh says which). Exit status 1 if it does.
. /tcpstate/scripts/tap.sh
. /tcpstate/guest/kernel-log.sh
tap_header
tap_plan 1
complaints=$(kernel_log_complaints)
[ -z "$complaints" ] || tap_diag "$complaints"
[ -z "$complaints" ]
tap_result $? "kernel log holds no warning, BUG, oops or lockup"
exit $tap_status
