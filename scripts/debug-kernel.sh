#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build Debian's linux-source-6.1 as a debug kernel (KASAN, lockdep,
# kmemleak, atomic-sleep checks: scripts/debug-kernel.config), build
# tcpstate.ko and the selftests against it, boot it in QEMU and run the VM
# selftests and the hardening selftests there, then a kmemleak scan after
# rmmod. Ends with "N passed, N failed, N skipped"; exits non-zero if
# anything failed. Idempotent: a second run reuses the extracted tree and
# the build, and rebuilds only what changed. README, "Debug kernel".
set -eu

prog=debug-kernel
usage() {
	cat <<EOF
usage: scripts/debug-kernel.sh [--build-only] [--commit REV]

Everything lives under build/debug-kernel/: the kernel tree (linux/), its
modules (modroot/, an INSTALL_MOD_PATH), a copy of this working tree in
which tcpstate.ko, tcpstate-watch and the selftests are built against that
kernel (tcpstate/: the repo's own module/tcpstate.ko stays built for
Debian's kernel, and the copy has its own initramfs cache) and the VM's
console (vm.log). What runs in the VM: scripts/guest/debug-kernel.sh.
  --build-only  stop once the kernel is built and its modules installed
  --commit REV  test the committed tree REV (git archive) instead of the
                working tree
The VM has two vCPUs in one host thread (vm-run.sh --tcg-single) under
TCG, as its recorded runs had (README, "The emulator").
Environment: TCPSTATE_VM_TIMEOUT (the VM's timeout, default 10800 s),
MEM (guest MB, default 2048), TCPSTATE_VM_LOCK (the lock file that every
VM on this machine runs under, with flock(1); default
/tmp/tcpstate-vm.lock, empty for none).
EOF
	exit "${1:-2}"
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

build_only=0
commit=
while [ $# -gt 0 ]; do
	case $1 in
	--build-only) build_only=1 ;;
	--commit)
		[ $# -ge 2 ] || usage >&2
		commit=$2
		shift
		;;
	-h | --help) usage 0 >&2 ;;
	*) usage >&2 ;;
	esac
	shift
done

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/tap.sh"
fragment=$root/scripts/debug-kernel.config
out=$root/build/debug-kernel
tree=$out/linux
modroot=$out/modroot
copy=$out/tcpstate
guest=$copy/scripts/guest/debug-kernel.sh
vmlog=$out/vm.log
timeout=${TCPSTATE_VM_TIMEOUT:-10800}
mem=${MEM:-2048}
lock=${TCPSTATE_VM_LOCK-/tmp/tcpstate-vm.lock}
tarball=/usr/src/linux-source-6.1.tar.xz
# Every build is niced to the bottom: other people's VMs share the machine.
jobs=$(nproc)
kmake() {
	nice -n 19 make -C "$tree" -j"$jobs" "$@"
}

step() {
	echo "== $prog: $* ($(date +%T))"
}

# Build dependencies beyond what the project's own scripts need.
BUILD_PACKAGES="build-essential bc bison flex libelf-dev libssl-dev xz-utils rsync cpio"

step "dependencies"
"$root/scripts/install-deps.sh"
missing=
for pkg in $BUILD_PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
	case $status in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "missing:$missing; must run as root to install them (try: sudo $0)"
	echo "$prog: installing:$missing"
	apt-get update
	# shellcheck disable=SC2086 # a space-separated list of names, on purpose
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi
[ -r "$tarball" ] || die "no $tarball: install linux-source-6.1"

# The source, extracted once per version of the tarball. A half-extracted
# tree is never taken for a whole one: it is renamed into place at the end.
step "source"
mkdir -p "$out"
srcid=$(stat -c '%s %Y' "$tarball")
if [ ! -f "$tree/Makefile" ] || [ "$(cat "$out/linux.srcid" 2>/dev/null)" != "$srcid" ]; then
	echo "$prog: extracting $tarball into ${tree#"$root"/}"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
	mv "$tree.tmp" "$tree"
	echo "$srcid" >"$out/linux.srcid"
	rm -f "$out/config.stamp"
else
	echo "$prog: reusing ${tree#"$root"/}"
fi

# x86_64_defconfig + kvm_guest.config + the fragment. Configured again only
# when one of them changed; the build after it recompiles what that changed.
step "configuration"
stamp=$(cat "$fragment" "$tree/arch/x86/configs/x86_64_defconfig" \
	"$tree/kernel/configs/kvm_guest.config" | sha256sum)
stamp=${stamp%% *}
if [ ! -f "$tree/.config" ] || [ "$(cat "$out/config.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out/config.stamp"
	kmake -s x86_64_defconfig
	(cd "$tree" && ./scripts/kconfig/merge_config.sh -m .config \
		kernel/configs/kvm_guest.config "$fragment")
	kmake -s olddefconfig
	echo "$stamp" >"$out/config.stamp"
fi
# merge_config.sh only warns when Kconfig overrode a request (a missing
# dependency, a choice): every line of the fragment must hold as written.
bad=
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$tree/.config" || bad="$bad
  wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo "(absent)")"
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$tree/.config" || bad="$bad
  wanted $opt unset, got: $(grep "^$opt=" "$tree/.config")"
		;;
	esac
done <"$fragment"
[ -z "$bad" ] || die "the configuration does not hold what ${fragment#"$root"/} asks:$bad
(an option's dependencies: make -C ${tree#"$root"/} menuconfig, then /NAME)"
echo "$prog: configured as ${fragment#"$root"/} asks"

step "building the kernel (nice -n 19, -j$jobs)"
start=$SECONDS
kmake bzImage modules
echo "$prog: kernel built in $((SECONDS - start)) s"
# The release with CONFIG_LOCALVERSION, known once the build synced it.
krel=$(make -s -C "$tree" kernelrelease)
case $krel in
*-tcpstate-debug) ;;
*) die "the tree's release is '$krel', not *-tcpstate-debug (CONFIG_LOCALVERSION)" ;;
esac
image=$tree/$(make -s -C "$tree" image_name)
[ -f "$image" ] || die "no kernel image at $image after the build"

# modules_install into a staging root: the guest's modules come from here,
# never from this machine's /lib/modules. depmod runs there (-b).
step "installing $krel's modules into ${modroot#"$root"/}"
rm -rf "$modroot.tmp"
kmake -s INSTALL_MOD_PATH="$modroot.tmp" modules_install
rm -rf "$modroot"
mv "$modroot.tmp" "$modroot"
if [ "$build_only" = 1 ]; then
	echo "$prog: built $krel: ${image#"$root"/}, modules in ${modroot#"$root"/}"
	exit 0
fi

# tcpstate for this kernel, built in a copy of the tree: building in place
# would replace module/tcpstate.ko, which the Debian-kernel VMs load. Only
# what differs is copied (by content: a rewritten file gets a new mtime, so
# make rebuilds what changed), and the copy keeps its build products.
step "tcpstate.ko, tcpstate-watch and the selftests for $krel"
mkdir -p "$copy"
if [ -n "$commit" ]; then
	rev=$(git -C "$root" rev-parse --verify "$commit^{commit}") ||
		die "--commit $commit: not a commit of $root"
	rm -rf "$out/export"
	mkdir -p "$out/export"
	git -C "$root" archive "$rev" | tar -x -C "$out/export"
	src=$out/export
	echo "$prog: testing commit $rev"
else
	src=$root
	echo "$prog: testing the working tree at" \
		"$(git -C "$root" describe --always --dirty 2>/dev/null || echo '(no git)')"
fi
rsync -rlpc --delete --exclude=/.git --filter=':- .gitignore' "$src/" "$copy/"
rm -rf "$out/export"
grep -q TCPSTATE_KERNEL_IMAGE "$copy/scripts/vm-run.sh" ||
	die "that tree's scripts/vm-run.sh cannot boot another kernel (no TCPSTATE_KERNEL_IMAGE)"
nice -n 19 make -C "$copy" -j"$jobs" module userspace selftests \
	KDIR="$tree" KVER="$krel"
vermagic=$(modinfo -F vermagic "$copy/module/tcpstate.ko")
case $vermagic in
"$krel "*) ;;
*) die "tcpstate.ko has vermagic '$vermagic', not $krel" ;;
esac

# What runs in the guest: scripts/guest/debug-kernel.sh, from the copy (the
# tree under test).
[ -f "$guest" ] ||
	die "that tree has no ${guest#"$copy"/}: it cannot test a debug kernel"

# One VM at a time on this machine: wait for the shared lock, held until
# the VM is gone.
step "booting $krel (timeout $timeout s, $mem MB, 2 vCPUs in one host thread)"
if [ -n "$lock" ]; then
	command -v flock >/dev/null || die "no flock (util-linux): install it, or set TCPSTATE_VM_LOCK="
	exec 9>>"$lock"
	if ! flock -n 9; then
		echo "$prog: waiting for $lock: another VM is running"
		flock 9
	fi
fi
# The KVM probe's verdict for this machine, if the main tree has one.
if [ -f "$root/build/accel" ] && [ ! -f "$copy/build/accel" ]; then
	mkdir -p "$copy/build"
	cp "$root/build/accel" "$copy/build/accel"
fi
# 4-level paging: QEMU's -cpu max offers LA57, and this kernel's
# identify_boot_cpu() (arch_cpu_finalize_init(), which runs with interrupts
# on) clears the CPU's feature bits before it reads them again. An
# interrupt in that window sees pgtable_l5_enabled() false, so KASAN takes
# every direct-map address for a wild access and panics the boot (seen
# here: "wild-memory-access in do_raw_spin_lock" from handle_edge_irq, RIP
# in get_cpu_vendor, in one of the four boots made without it), before
# tcpstate is loaded. With no5lvl the window can only make the bit read
# true for a moment, and KASAN's address check passes every kernel address
# then.
append="${TCPSTATE_VM_APPEND:+$TCPSTATE_VM_APPEND }no5lvl"
start=$SECONDS
set +e
KVER=$krel TCPSTATE_KERNEL_IMAGE=$image TCPSTATE_MODULES_ROOT=$modroot \
	TCPSTATE_VM_APPEND=$append \
	"$copy/scripts/vm-run.sh" --timeout "$timeout" --mem "$mem" --smp 2 \
	--tcg-single "$guest" "$krel" 2>&1 | tee "$vmlog"
vm_status=${PIPESTATUS[0]}
set -e
if [ -n "$lock" ]; then
	exec 9>&-
fi
echo "$prog: the VM ran $((SECONDS - start)) s"
# The guest script exits 0 or 1; anything else is vm-run.sh's: a timeout
# (124), a panic (125), a signal (130, 143) or its own error.
{
	tap_plan 1
	if [ "$vm_status" -le 1 ]; then
		tap_ok "VM (debug kernel $krel) ran to the end (guest status $vm_status)"
	else
		tap_fail "VM (debug kernel $krel) ran to the end (vm-run status $vm_status)"
	fi
} | tee -a "$vmlog"
summary=$(awk -f "$root/scripts/tap-summary.awk" "$vmlog")
echo "$summary"
case $summary in
*" 0 failed,"*) [ "$vm_status" -eq 0 ] ;;
*) exit 1 ;;
esac
