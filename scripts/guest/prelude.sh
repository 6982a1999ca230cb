# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the guest scripts that run selftests (check.sh, hardening.sh):
# the module's path for the tests (TCPSTATE_KO), cwd selftests/, the TAP
# helper (scripts/tap.sh), status=0 for the test programs' failures (the
# script exits with $((status | tap_status))), and tcpstate.ko loaded.
# Expected pr_err lines (bad module parameters) must not land in the
# middle of TAP lines on the serial console, so the console gets only
# emergencies; kernel-log-clean.sh reads dmesg instead.
set -u
. /tcpstate/scripts/tap.sh
KO=/tcpstate/module/tcpstate.ko
export TCPSTATE_KO=$KO
cd /tcpstate/selftests || exit 1
status=0
dmesg -n 1
insmod "$KO" || { echo "Bail out! insmod $KO failed"; exit 1; }
