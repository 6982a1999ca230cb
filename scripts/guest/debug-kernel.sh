#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the debug kernel's VM (scripts/debug-kernel.sh boots it): the VM
# selftests and the hardening selftests (the guest scripts make check
# runs), between a kmemleak baseline and a kmemleak scan after the last
# rmmod, with kernel-log checks around them. Argument: the release the VM
# must have booted.
set -u
. /tcpstate/scripts/tap.sh
. /tcpstate/guest/kernel-log.sh
want=$1
kml=/sys/kernel/debug/kmemleak
status=0
# What is no report though kernel-log.sh's words match it: the banners of
# kmemleak and of RCU's lockdep checks, and kmemleak's scan summary (the
# kmemleak test below judges the scan).
benign='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread started|kmemleak: [0-9]+ new suspected memory leaks|rcu:[[:space:]]+RCU lockdep checking is enabled'

# log_check TEXT: the kernel log since it was last cleared holds no
# complaint.
log_check() {
	local found
	found=$(kernel_log_complaints "$benign")
	[ -z "$found" ] || tap_diag "$found"
	[ -z "$found" ]
	tap_result $? "$1"
}

# Two scans (an object is listed only if the last scan found no reference
# to it: one in flight during the first is not), then the report.
kmemleak_scan() {
	echo scan >$kml
	echo scan >$kml
	cat $kml >/tmp/kmemleak
}

tap_header
tap_plan 3
[ "$(uname -r)" = "$want" ]
tap_result $? "booted the debug kernel $want (running $(uname -r))"
detectors=$(zcat /proc/config.gz | grep -E '^CONFIG_(KASAN|KASAN_GENERIC|KASAN_INLINE|PROVE_LOCKING|DEBUG_KMEMLEAK|DEBUG_ATOMIC_SLEEP)=y$')
echo "# $(printf '%s\n' "$detectors" | tr '\n' ' ')"
[ "$(printf '%s\n' "$detectors" | wc -l)" = 6 ] && [ -w $kml ]
tap_result $? "KASAN, lockdep, kmemleak and atomic-sleep checks are on, and $kml"
# What boot left to kmemleak is not tcpstate's: set it aside ("clear").
kmemleak_scan
echo "# kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak) suspects from boot set aside"
echo clear >$kml
log_check "boot: the kernel log holds no warning, BUG, KASAN, lockdep or kmemleak report"
# From here on the guest scripts' own log check sees only the tests' part
# (it would take kmemleak's banner for a report).
dmesg -c >/dev/null

/bin/sh /tcpstate/guest/check.sh || status=1
# KASAN's quarantine keeps freed objects counted in slabinfo (three runs
# here: +228 to +231 KB, against +3 KB on Debian's kernel), so the cycles'
# kmalloc bound gets room; the leak check here is kmemleak's, below.
TCPSTATE_KMALLOC_SLACK_KB=16384 /bin/sh /tcpstate/guest/hardening.sh || status=1

tap_header
tap_plan 3
if grep -q '^tcpstate ' /proc/modules; then
	rmmod tcpstate
fi
! grep -q '^tcpstate ' /proc/modules
tap_result $? "tcpstate is unloaded"
# kmemleak lists only objects older than 5 s.
sleep 6
kmemleak_scan
total=$(grep -c '^unreferenced object' /tmp/kmemleak)
# Attributable to tcpstate: a backtrace frame in it. After rmmod its code
# is gone, and such frames print as bare addresses.
ours=$(awk '/^unreferenced object/ { n++ }
	/^ +\[<[0-9a-f]+>\] (.*tcpstate|0x[0-9a-f]+$)/ { hit[n] = 1 }
	END { c = 0; for (i in hit) c++; print c }' /tmp/kmemleak)
echo "# kmemleak after rmmod: $total suspects, $ours with tcpstate in the backtrace"
sed 's/^/# kmemleak: /' /tmp/kmemleak
[ "$ours" = 0 ]
tap_result $? "kmemleak after rmmod: nothing attributable to tcpstate ($total suspects in all)"
log_check "after the tests and the scan: the kernel log holds no warning, BUG, KASAN, lockdep or kmemleak report"
exit $((status | tap_status))
