#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM that scripts/check.sh boots for it: the hardening
# selftests (seeded fuzz of the
# device, a reader killed or stopped mid-stream, 50 insmod/rmmod cycles
# under traffic, a netns deleted with timewait and request socks), a
# bounded SYN flood (30 s each with SYN cookies off and on: counters, ring
# books and events against the kernel's figures), then the kernel log
# check, which also fails on a soft lockup. Their own VM: the insmod/rmmod
# cycles leave the module loaded and unloaded many times, and a complaint
# is then theirs alone.
. /tcpstate/guest/prelude.sh
./hardening_test || status=1
./synflood_test || status=1
/tcpstate/guest/kernel-log-clean.sh || status=1
rmmod tcpstate 2>/dev/null
exit $((status | tap_status))
