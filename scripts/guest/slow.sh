#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM of `make check-slow`: the tests that make check
# leaves out for their time. timewait_test with TCPSTATE_SLOW=1, so that
# real_time_wait_expiry runs (one real 60 s TIME_WAIT expiry; the other
# TIME_WAIT tests run again with it), then the kernel log check.
. /tcpstate/guest/prelude.sh
TCPSTATE_SLOW=1 ./timewait_test || status=1
/tcpstate/guest/kernel-log-clean.sh || status=1
rmmod tcpstate 2>/dev/null
exit $((status | tap_status))
