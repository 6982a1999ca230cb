# SPDX-License-Identifier: GPL-2.0
#
# TAP for every shell script that prints it, sourced (the habit of the
# kernel's tools/testing/selftests/kselftest/ktap_helpers.sh): a header, a
# plan, then one line per test, numbered here from 1 after each plan. A
# test that cannot run says "ok N TEXT # SKIP REASON", never a bare ok
# (scripts/tap-summary.awk counts it as skipped). tap_status turns 1 with
# the first failure, for the script's exit status. In the VM this file is
# /tcpstate/scripts/tap.sh (scripts/mkinitramfs.sh).
#
#   tap_header             "TAP version 13"
#   tap_plan N             "1..N"; numbering starts again
#   tap_ok TEXT            ok N TEXT
#   tap_fail TEXT          not ok N TEXT
#   tap_skip TEXT REASON   ok N TEXT # SKIP REASON
#   tap_result RC TEXT     ok when RC is 0, else not ok
#   tap_diag [TEXT]        TEXT, or its standard input, as "# " lines

tap_n=0
tap_status=0

tap_header() {
	echo "TAP version 13"
}

tap_plan() {
	echo "1..$1"
	tap_n=0
}

# tap_line OK|"not ok" TEXT: the next test's line.
tap_line() {
	tap_n=$((tap_n + 1))
	echo "$1 $tap_n $2"
}

tap_ok() {
	tap_line ok "$1"
}

tap_fail() {
	tap_line "not ok" "$1"
	tap_status=1
}

tap_skip() {
	tap_line ok "$1 # SKIP $2"
}

tap_result() {
	if [ "$1" -eq 0 ]; then
		tap_ok "$2"
	else
		tap_fail "$2"
	fi
}

tap_diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*"
	else
		cat
	fi | sed 's/^/# /'
}

# tap_poll N COMMAND...: run COMMAND every 10 ms until it succeeds, N
# times at most (1 when it never did): a condition waited for, bounded,
# never a blind sleep. busybox has usleep; elsewhere sleep takes 0.01.
tap_poll() {
	_tap_poll_n=$1
	shift
	while ! "$@"; do
		_tap_poll_n=$((_tap_poll_n - 1))
		[ "$_tap_poll_n" -gt 0 ] || return 1
		usleep 10000 2>/dev/null || sleep 0.01
	done
}
