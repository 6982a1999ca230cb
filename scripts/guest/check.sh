#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM: loads tcpstate.ko, runs every selftest (TAP), then
# checks that the kernel log holds no complaint. Exit status: 0 when all
# passed.
. /tcpstate/guest/prelude.sh
./tcpstate_test || status=1
# ABI 2: who owns each connection, why it ended and its sequence numbers,
# against the processes' own pids, cgroups and uids, errno, the MIBs and a
# tcpdump capture; the reader of ABI 1 refuses the module.
for t in abi_test owner_test causes_test isn_test; do
	./$t || status=1
done
# SYN queue, accept queue, MPTCP subflows, TIME_WAIT, per-netns counters and attach=,
# against the kernel's own figures (each in network namespaces of its own).
for t in synq_test mptcp_test timewait_test netns_test attach_test \
	cgroup_filter_test; do
	./$t || status=1
done
# The SYN queue, MPTCP, TIME_WAIT, owner, causes and sequence-number tests
# again with attach=kprobe, where kprobes stand in for the tracepoints
# (attach=auto picks the tracepoints here; the RSTs then come from
# tcp_send_active_reset, tcp_v{4,6}_send_reset and tcp_reset).
tap_header
tap_plan 1
if rmmod tcpstate 2>/dev/null; insmod "$KO" attach=kprobe; then
	tap_ok "insmod attach=kprobe: synq_test, mptcp_test, timewait_test, owner_test, causes_test and isn_test follow"
	for t in synq_test mptcp_test timewait_test owner_test causes_test isn_test; do
		./$t || status=1
	done
else
	tap_fail "insmod attach=kprobe"
fi
# Each alternative row of the hook table where this kernel has it:
# skip_hooks= steps over the first row, as a kernel without it would, and
# the suite that covers the hook point runs again. Where the kernel lacks
# the alternative too, the load must fail and say so. Bad names and a
# required row skipped must fail the load clearly.
tap_header
tap_plan 5
# The kernel log since mark_log (never cleared: kernel-log-clean.sh reads
# all of it at the end).
mark_log() {
	log_mark=$(dmesg | wc -l)
}
log_since() {
	dmesg | tail -n +$((log_mark + 1))
}
# insmod_refused "PARAM=VALUE..." MESSAGE: the load with these parameters
# fails, the kernel log says MESSAGE (a grep pattern), and nothing stays
# loaded.
insmod_refused() {
	rmmod tcpstate 2>/dev/null
	mark_log
	! insmod "$KO" $1 2>/dev/null &&
		log_since | grep -q "$2" &&
		! grep -q '^tcpstate ' /proc/modules
}
# first-row second-row suite
for alt in "__inet_csk_reqsk_queue_drop reqsk_queue_unlink synq_test" \
	   "inet_twsk_hashdance_schedule inet_twsk_hashdance timewait_test" \
	   "subflow_v4_conn_request tcp_conn_request mptcp_test"; do
	set -- $alt
	rmmod tcpstate 2>/dev/null
	mark_log
	if insmod "$KO" skip_hooks="$1" 2>/dev/null; then
		if grep -qE "^(k[a-z]*probe|ftrace) $2 missed=[0-9]+$" /sys/class/misc/tcpstate/hooks; then
			tap_ok "skip_hooks=$1: $2 hooked in its place; $3 follows"
			./"$3" || status=1
		else
			tap_fail "skip_hooks=$1: $2 hooked in its place"
		fi
	elif log_since | grep -q "cannot hook $2 nor $1"; then
		tap_skip "skip_hooks=$1: this kernel has no $2" "the load failed, saying so"
	else
		log_since | tap_diag
		tap_fail "skip_hooks=$1: neither loaded with $2 nor said why not"
	fi
done
insmod_refused skip_hooks=no_such_function "skip_hooks: no hook named 'no_such_function'"
tap_result $? "skip_hooks=no_such_function fails insmod with a clear message"
insmod_refused skip_hooks=tcp_req_err "cannot hook tcp_req_err: -2 (skip_hooks)"
tap_result $? "skip_hooks=tcp_req_err (no alternative) fails insmod with a clear message"
rmmod tcpstate 2>/dev/null
# The bench's debug parameters (docs/performance.md, "What each hook
# costs"): bad values fail the load clearly; good ones leave the named
# hooks off, say so, and count every other hook's calls.
tap_header
tap_plan 3
insmod_refused debug_unhook=no_such_function "debug_unhook: no hook named 'no_such_function'"
tap_result $? "debug_unhook=no_such_function fails insmod with a clear message"
insmod_refused debug_hits=maybe "invalid for parameter .debug_hits"
tap_result $? "debug_hits=maybe fails insmod with a clear message"
rmmod tcpstate 2>/dev/null
mark_log
if insmod "$KO" debug_hits=1 debug_unhook=inet_sock_set_state,tcp_req_err; then
	hooks=$(cat /sys/class/misc/tcpstate/hooks)
	printf '%s\n' "$hooks" | sed 's/^/# hooks: /'
	printf '%s\n' "$hooks" | grep -qx 'tracepoint inet_sock_set_state unhooked' &&
		printf '%s\n' "$hooks" | grep -qx 'kretprobe tcp_req_err unhooked' &&
		! printf '%s\n' "$hooks" | grep -Eq '^(tracepoint inet_sock_set_state|kretprobe tcp_req_err) (missed|hits)=' &&
		[ "$(printf '%s\n' "$hooks" | grep -cE '^(tracepoint [a-z_]+|(k(ret)?probe|ftrace) [a-z0-9_.]+ missed=[0-9]+) hits=[0-9]+ ns=[0-9]+( rets=[0-9]+)?$')" = \
		  "$(printf '%s\n' "$hooks" | grep -vc ' unhooked$')" ] &&
		log_since | grep -q "debug_unhook=inet_sock_set_state,tcp_req_err: events incomplete"
	tap_result $? "debug_unhook= leaves a tracepoint and a required row off, saying so; debug_hits=1 counts every other hook"
else
	log_since | tap_diag
	tap_fail "insmod debug_hits=1 debug_unhook=inet_sock_set_state,tcp_req_err"
fi
# entry_hook=: the hook table's entry-only rows as tcpstate's own ftrace
# callbacks (auto, where the kernel lets a module) or as kprobes. Where
# auto took ftrace, the suites that cover those rows (the SYN-ACK send;
# timewait creation, timer and kill; the RSTs beside tcp:tcp_send_reset
# before 6.10) run again with kprobes; entry_hook=ftrace loads exactly
# where auto took ftrace, or fails saying why; a bad value fails clearly.
tap_header
tap_plan 4
hooks_count() {
	grep -cE "$1" /sys/class/misc/tcpstate/hooks
}
insmod_refused entry_hook=sometimes "entry_hook=sometimes: must be auto, ftrace or kprobe"
tap_result $? "entry_hook=sometimes fails insmod with a clear message"
insmod "$KO" || { echo "Bail out! insmod $KO failed"; exit 1; }
auto_ftrace=$(hooks_count '^ftrace ')
auto_kprobe=$(hooks_count '^kprobe ')
rmmod tcpstate
mark_log
if insmod "$KO" entry_hook=ftrace 2>/dev/null; then
	[ "$auto_ftrace" -gt 0 ] && [ "$auto_kprobe" = 0 ] &&
		[ "$(hooks_count '^ftrace [a-z0-9_.]+ missed=[0-9]+$')" = "$auto_ftrace" ] &&
		[ "$(hooks_count '^kprobe ')" = 0 ]
	tap_result $? "entry_hook=ftrace: the $auto_ftrace entry hooks are ftrace callbacks, as with auto"
else
	[ "$auto_ftrace" = 0 ] &&
		log_since | grep -q "entry_hook=ftrace: this kernel gives a module no ftrace callback"
	tap_result $? "entry_hook=ftrace fails where auto took kprobes, saying why"
fi
rmmod tcpstate 2>/dev/null
if insmod "$KO" entry_hook=kprobe; then
	[ "$(hooks_count '^ftrace ')" = 0 ] &&
		[ "$(hooks_count '^kprobe [a-z0-9_.]+ missed=[0-9]+$')" = $((auto_ftrace + auto_kprobe)) ]
	tap_result $? "entry_hook=kprobe: the $((auto_ftrace + auto_kprobe)) entry hooks are kprobes"
	if [ "$auto_ftrace" -gt 0 ]; then
		tap_ok "entry_hook=kprobe: synq_test, timewait_test and causes_test follow"
		for t in synq_test timewait_test causes_test; do
			./$t || status=1
		done
	else
		tap_skip "entry_hook=kprobe: synq_test, timewait_test and causes_test" "auto took kprobes here: they ran so above"
	fi
else
	tap_fail "insmod entry_hook=kprobe"
	tap_fail "entry_hook=kprobe: synq_test, timewait_test and causes_test"
fi
rmmod tcpstate 2>/dev/null
insmod "$KO" || { echo "Bail out! insmod $KO failed"; exit 1; }
./watch_matches_tracefs.sh || status=1
./watch_counters_match_ss.sh || status=1
./top_test.sh || status=1
# tcpstate-watch's sequence records (-j) for real traffic of every kind; its
# JSON lines go to the console as "# JSON ..." for scripts/check.sh.
./sequences_test.sh || status=1
# Its JSON names curl (pid, comm, cgroup, uid) and a refusal's errno.
./watch_owner_json.sh || status=1
# Missed probes forced by a helper module (tcpstate_nest.ko, a slow
# kprobe softirqs nest in), seen in every view and undone by a reseed.
./miss_test || status=1

# `make install` laid tcpstate out in this image (scripts/mkinitramfs.sh):
# the module is found by name, and the installed tcpstate-watch runs.
tap_header
tap_plan 3
want=$(modinfo -F version "$KO")
[ "$(modinfo -F version tcpstate 2>/dev/null)" = "$want" ]
tap_result $? "installed: modinfo tcpstate finds version $want"
/usr/sbin/tcpstate-watch --help | grep -q '^USAGE'
tap_result $? "installed: tcpstate-watch --help"
rmmod tcpstate 2>/dev/null
modprobe tcpstate && [ -c /dev/tcpstate ] && rmmod tcpstate
tap_result $? "installed: modprobe tcpstate loads it, rmmod unloads it"
insmod "$KO" || { echo "Bail out! insmod $KO failed"; exit 1; }

# What this kernel let tcpstate attach to (README, "Supported kernels"):
# the four tracepoints, exactly one row of each alternative run of the
# hook table (the one this kernel has), and the RST rows beside
# tcp:tcp_send_reset for both families or for neither (kernels whose
# tracepoint reports every RST: the RST tests show none is missed).
tap_header
tap_plan 1
hooks=$(cat /sys/class/misc/tcpstate/hooks)
printf '%s\n' "$hooks" | sed 's/^/# hooks: /'
dmesg | grep -E 'tcpstate: hooked ' | sed 's/^/# dmesg: /'
count() {
	printf '%s\n' "$hooks" | grep -cE "$1"
}
[ "$(count '^tracepoint (inet_sock_set_state|tcp_retransmit_synack|tcp_send_reset|tcp_receive_reset)$')" = 4 ] &&
	case "$(count ' tcp_v[46]_send_reset missed=[0-9]+$')" in 0|2) true ;; *) false ;; esac &&
	[ "$(count ' (inet_twsk_hashdance|inet_twsk_hashdance_schedule) missed=[0-9]+$')" = 1 ] &&
	[ "$(count ' (__inet_csk_reqsk_queue_drop|reqsk_queue_unlink) missed=[0-9]+$')" = 1 ] &&
	[ "$(count '^(k(ret)?probe|ftrace) [a-z0-9_.]+ missed=[0-9]+$')" = "$(count '^(k|ftrace)')" ]
tap_result $? "hooks: four tracepoints, one timewait-creation and one request-unlink hook, each kprobe's and ftrace callback's missed= count"

# A kernel complaint anywhere in the run fails it.
/tcpstate/guest/kernel-log-clean.sh || status=1
rmmod tcpstate 2>/dev/null
exit $((status | tap_status))
