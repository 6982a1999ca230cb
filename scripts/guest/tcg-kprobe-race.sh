#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM; tcpstate.ko is never loaded. The emulator check of
# README's "The emulator": kprobe events of the kernel's
# own tracefs, on the TCP functions tcpstate hooks, enabled and disabled
# (kernel text patched through ftrace) while loopback connections run on
# both vCPUs.
#
#   scripts/vm-run.sh scripts/guest/tcg-kprobe-race.sh [CYCLES]
#       multi-threaded TCG: QEMU 7.2's guest oopsed at RIP 0 in the first
#       few hundred cycles (exit 125); QEMU 10's runs to the end;
#   scripts/vm-run.sh --tcg-single scripts/guest/tcg-kprobe-race.sh
#   scripts/vm-run.sh --smp 1 scripts/guest/tcg-kprobe-race.sh
#       ran to the end on both.
set -u
cycles=${1:-1000}
tracing=/sys/kernel/tracing
cd /tcpstate/selftests || exit 1
(while :; do ./tcpstate_traffic -n 200 >/dev/null 2>&1; done) &
v4=$!
(while :; do ./tcpstate_traffic -6 -n 200 -c server >/dev/null 2>&1; done) &
v6=$!
for f in inet_csk_complete_hashdance inet_csk_reqsk_queue_hash_add \
	tcp_v4_syn_recv_sock inet_ehash_insert; do
	echo "p:tcg_race_$f $f" >>$tracing/kprobe_events || exit 1
done
i=0
while [ $i -lt "$cycles" ]; do
	echo 1 >$tracing/events/kprobes/enable
	echo 0 >$tracing/events/kprobes/enable
	i=$((i + 1))
	[ $((i % 100)) = 0 ] && echo "cycle $i"
done
kill $v4 $v6
echo "$cycles cycles, no crash"
