# SPDX-License-Identifier: GPL-2.0
#
# Sourced in the VM: what counts as a kernel complaint, in one place.
# oops=panic and panic_on_warn=1 already end the VM on the worst ones;
# these catch the rest: soft lockups, hung tasks, lockdep, KASAN,
# kmemleak, "bad page" and the like.
KERNEL_COMPLAINTS='WARNING|BUG|Oops|general protection|soft lockup|hard LOCKUP|INFO: task|lockdep|KASAN|kmemleak|bad '

# kernel_log_complaints [BENIGN]: the kernel log's complaint lines, less
# those matching the extended regex BENIGN (lines that only look like one).
kernel_log_complaints() {
	if [ -n "${1:-}" ]; then
		dmesg | grep -E "$KERNEL_COMPLAINTS" | grep -Ev "$1"
	else
		dmesg | grep -E "$KERNEL_COMPLAINTS"
	fi
}
