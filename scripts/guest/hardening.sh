#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM that scripts/check.sh boots for it with
# vm-run.sh --tcg-single: the hardening selftests (seeded fuzz of the
# device, a reader killed or stopped mid-stream, 50 insmod/rmmod cycles
# under traffic, a netns deleted with timewait and request socks), a
# bounded SYN flood (30 s each with SYN cookies off and on: counters, ring
# books and events against the kernel's figures), then the kernel log
# check, which also fails on a soft lockup. Their own VM because the
# insmod/rmmod cycles patch kernel text (kprobes on ftrace) while the other
# vCPU runs it, which multi-threaded TCG does not survive even without
# tcpstate.ko (README, "Known emulator limits").
. /tcpstate/guest/prelude.sh
./hardening_test || status=1
./synflood_test || status=1
/tcpstate/guest/kernel-log-clean.sh || status=1
rmmod tcpstate 2>/dev/null
exit $status
