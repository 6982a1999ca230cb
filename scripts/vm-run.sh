#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the Debian kernel in QEMU with the tcpstate initramfs, run one guest
# script there, stream the guest console to stdout and exit with the guest
# script's exit status. Used by make demo, make check and the benchmarks.
set -eu

prog=vm-run
usage() {
	cat <<EOF
usage: scripts/vm-run.sh [--timeout SECONDS] [--mem MB] [--smp N] [--lenient]
                         [--tcg-single] [--] GUEST_SCRIPT [ARGS...]

Runs GUEST_SCRIPT as /tcpstate/run.sh with the guest's sh (bash), cwd
/tcpstate, stdin /dev/null, in a fresh VM, and exits with its status; 124
if the guest timed out (default 900 s, boot included), 125 if it panicked
or died without reporting a status. A kernel oops or WARN panics the guest
unless --lenient is given. --tcg-single runs every vCPU in one host thread
under TCG (-accel tcg,thread=single), as QEMU 7.2 needed for guests that
patch kernel code while other vCPUs run it (README, "The emulator").
Environment: MEM, SMP (defaults for --mem, --smp), TCPSTATE_VM_TIMEOUT
(default for --timeout), TCPSTATE_ACCEL=kvm|tcg (skip the KVM probe),
TCPSTATE_VM_APPEND (extra kernel arguments, e.g. loglevel=7),
TCPSTATE_VM_QEMU_ARGS (extra QEMU arguments, split at spaces, e.g. a
-plugin: scripts/bench-insns.sh), KVER (kernel
version; default from scripts/kver.sh), TCPSTATE_KERNEL_IMAGE (the kernel to
boot; default /boot/vmlinuz-\$KVER), TCPSTATE_MODULES_ROOT (where the guest's
modules come from: ROOT/lib/modules/\$KVER, as kbuild's INSTALL_MOD_PATH
lays them out; default /), TCPSTATE_KO (the tcpstate.ko built for that
kernel; default module/tcpstate.ko). scripts/check.sh and
scripts/debug-kernel.sh set them for each kernel they boot.
EOF
	exit "${1:-2}"
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

# need_count OPTION VALUE: VALUE must be a whole number above zero.
need_count() {
	case $2 in
	'' | *[!0-9]* | 0 | 00*) die "$1 wants a whole number above 0, got '$2'" ;;
	esac
}

timeout=${TCPSTATE_VM_TIMEOUT:-900}
mem=${MEM:-1024}
smp=${SMP:-2}
lenient=0
tcg_thread=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout)
		[ $# -ge 2 ] || usage >&2
		timeout=$2
		shift 2
		;;
	--mem)
		[ $# -ge 2 ] || usage >&2
		mem=$2
		shift 2
		;;
	--smp)
		[ $# -ge 2 ] || usage >&2
		smp=$2
		shift 2
		;;
	--lenient)
		lenient=1
		shift
		;;
	--tcg-single)
		tcg_thread=,thread=single
		shift
		;;
	-h | --help) usage 0 >&2 ;;
	--)
		shift
		break
		;;
	-*) usage >&2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage >&2
script=$1
shift
need_count --timeout "$timeout"
need_count --mem "$mem"
need_count --smp "$smp"
# -r, not -f: a <(process substitution) is a pipe, and works too.
[ -r "$script" ] || die "cannot read guest script '$script'"
for arg in "$@"; do
	case $arg in
	*$'\n'*) die "guest arguments cannot contain newlines" ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
KVER=${KVER:-$("$root/scripts/kver.sh")}
export KVER
kernel=${TCPSTATE_KERNEL_IMAGE:-/boot/vmlinuz-$KVER}
[ -e "$kernel" ] || die "no $kernel: ${TCPSTATE_KERNEL_IMAGE:+check TCPSTATE_KERNEL_IMAGE or }run scripts/install-deps.sh"
# Some distributions install kernel images readable by root only.
[ -r "$kernel" ] || die "cannot read $kernel: run as root or chmod a+r it"
command -v qemu-system-x86_64 >/dev/null ||
	die "no qemu-system-x86_64: run scripts/install-deps.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-vm.XXXXXX")
tpid=
rpid=

# Stop QEMU (through timeout(1), which forwards the signal) and the console
# reader, then drop the temp files. Runs on every exit path.
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local qpid
	if [ -n "$tpid" ] && kill -0 "$tpid" 2>/dev/null; then
		kill -TERM "$tpid" 2>/dev/null || true
		qpid=$(cat "$tmp/qemu.pid" 2>/dev/null) || qpid=
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$tpid" 2>/dev/null || break
			sleep 0.2
		done
		if [ -n "$qpid" ]; then
			kill -KILL "$qpid" 2>/dev/null || true
		fi
		kill -KILL "$tpid" 2>/dev/null || true
	fi
	if [ -n "$rpid" ]; then
		kill "$rpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT
trap 'echo "$prog: terminated" >&2; exit 143' TERM HUP

# Rebuild the base initramfs when any of its inputs changed or the kernel
# version did. One per kernel version, so that a run over the kernel
# matrix rebuilds none. With TCPSTATE_MODULES_ROOT, the cache is keyed on
# that root too, and its modules.dep (rewritten by each modules_install)
# is an input.
ko=${TCPSTATE_KO:-$root/module/tcpstate.ko}
base=$build/initramfs-base-$KVER.cpio.gz
base_key="$KVER $ko"
base_inputs=("$ko")
if [ -n "${TCPSTATE_MODULES_ROOT:-}" ]; then
	base_key="$base_key $TCPSTATE_MODULES_ROOT"
	base_inputs+=("$TCPSTATE_MODULES_ROOT/lib/modules/$KVER/modules.dep")
fi
base_stale() {
	[ -f "$base" ] || return 0
	[ "$(cat "$base.kver" 2>/dev/null)" = "$base_key" ] || return 0
	[ -n "$(find "$root/userspace/tcpstate-watch" \
		"$root/selftests" "$root/bench" "$root/scripts/guest" "$root/scripts/tap.sh" \
		"$root/scripts/mkinitramfs.sh" \
		"$root/scripts/vm-run.sh" "$root/scripts/kver.sh" "${base_inputs[@]}" \
		-newer "$base" -print -quit 2>/dev/null)" ]
}
if base_stale; then
	echo "$prog: building ${base#"$root"/}" >&2
	"$root/scripts/mkinitramfs.sh" "$base"
	echo "$base_key" >"$base.kver"
fi

# Per-run overlay: the guest script and its arguments. The kernel unpacks
# concatenated archives in order, so these land on top of the base.
mkdir -p "$tmp/overlay/tcpstate"
cat "$script" >"$tmp/overlay/tcpstate/run.sh"
if [ $# -gt 0 ]; then
	printf '%s\n' "$@" >"$tmp/overlay/tcpstate/run.args"
fi
(cd "$tmp/overlay" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/overlay.cpio.gz"
cat "$base" "$tmp/overlay.cpio.gz" >"$tmp/initrd"

# Does a KVM guest get as far as running init? Here /dev/kvm can exist while
# KVM guests hang in early boot, so only a real boot tells. Sets $answer
# to "kvm|tcg REASON". Runs in this shell, not $(...), so that the traps
# above also stop a probe that is under way.
probe_kvm() {
	local p=$tmp/probe start rc
	if [ ! -e /dev/kvm ]; then
		answer="tcg no /dev/kvm"
		return
	fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		answer="tcg /dev/kvm is not accessible to $(id -un)"
		return
	fi
	mkdir -p "$p/root/bin" "$p/root/dev"
	cp -L "$(command -v busybox)" "$p/root/bin/busybox"
	cat >"$p/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec >/dev/console 2>&1
echo TCPSTATE-KVM-PROBE-OK
/bin/busybox poweroff -f
EOF
	chmod 755 "$p/root/init"
	(cd "$p/root" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$p/initrd"
	start=$SECONDS
	# Same -cpu as the real run: on some hosts QEMU aborts at once on an MSR
	# that -cpu max asks KVM for.
	timeout -k 5 15 qemu-system-x86_64 -accel kvm -cpu max -m 256 -smp 1 \
		-display none -nodefaults -no-user-config -no-reboot \
		-kernel "$kernel" -initrd "$p/initrd" \
		-append "console=ttyS0 panic=-1 quiet" -serial "file:$p/console" \
		-pidfile "$tmp/qemu.pid" </dev/null >/dev/null 2>"$p/err" &
	tpid=$!
	rc=0
	# 2>/dev/null: no "Aborted" job notice from bash; QEMU's own messages
	# went to a file.
	wait "$tpid" 2>/dev/null || rc=$?
	tpid=
	if grep -q TCPSTATE-KVM-PROBE-OK "$p/console" 2>/dev/null; then
		answer="kvm a KVM test boot reached init in $((SECONDS - start)) s"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		answer="tcg a KVM test boot did not reach init within 15 s"
	else
		answer="tcg QEMU with KVM failed (status $rc): $(head -n 1 "$p/err")"
	fi
	rm -f "$tmp/qemu.pid"
}

if [ -n "${TCPSTATE_ACCEL:-}" ]; then
	case $TCPSTATE_ACCEL in
	kvm | tcg) ;;
	*) die "TCPSTATE_ACCEL must be kvm or tcg, not '$TCPSTATE_ACCEL'" ;;
	esac
	accel=$TCPSTATE_ACCEL
	why="set by TCPSTATE_ACCEL"
else
	answer=$(head -n 1 "$build/accel" 2>/dev/null) || answer=
	case $answer in
	kvm\ * | tcg\ *)
		why="${answer#* } (cached in build/accel)"
		;;
	*)
		probe_kvm
		mkdir -p "$build"
		echo "$answer" >"$build/accel"
		why=${answer#* }
		;;
	esac
	accel=${answer%% *}
fi
if [ "$accel" = kvm ]; then
	tcg_thread=
elif [ -n "$tcg_thread" ]; then
	why="$why; one host thread for all vCPUs"
fi
echo "$prog: accel $accel: $why" >&2

append="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 quiet loglevel=4"
if [ "$lenient" = 1 ]; then
	append="console=ttyS0 panic=-1 quiet loglevel=4"
fi
append="$append ${TCPSTATE_VM_APPEND:-}"

# Console reader: strip the serial console's \r, pass lines through live,
# and keep the guest's exit status from the marker line instead of
# printing it. The marker may end a line the script left unterminated.
read_console() {
	local line seen=0 re='^(.*)TCPSTATE-VM-EXIT ([0-9]+)$'
	local off='^\[ *[0-9.]+\] reboot: Power down$'
	while IFS= read -r line || [ -n "$line" ]; do
		while [[ $line == *$'\r' ]]; do
			line=${line%$'\r'}
		done
		# The kernel's last words after a clean poweroff are just noise.
		if [ "$seen" = 1 ] && [[ $line =~ $off ]]; then
			continue
		fi
		if [ "$seen" = 0 ] && [[ $line =~ $re ]]; then
			seen=1
			echo "${BASH_REMATCH[2]}" >"$tmp/status"
			if [ -n "${BASH_REMATCH[1]}" ]; then
				printf '%s\n' "${BASH_REMATCH[1]}"
			fi
			continue
		fi
		printf '%s\n' "$line"
	done
}

# Extra QEMU arguments (TCPSTATE_VM_QEMU_ARGS), one word each.
read -r -a qemu_extra <<<"${TCPSTATE_VM_QEMU_ARGS:-}"

# The serial console goes to a FIFO rather than a terminal: QEMU never
# touches the host terminal's mode, stdin can be anything (CI's </dev/null),
# and the reader sees EOF as soon as QEMU exits, even if QEMU fails early.
mkfifo "$tmp/console"
read_console <"$tmp/console" &
rpid=$!
start=$SECONDS
timeout -k 10 "$timeout" qemu-system-x86_64 -accel "$accel$tcg_thread" -cpu max \
	-m "$mem" -smp "$smp" -display none -nodefaults -no-user-config \
	-no-reboot -kernel "$kernel" -initrd "$tmp/initrd" -append "$append" \
	-serial stdio -pidfile "$tmp/qemu.pid" ${qemu_extra[@]+"${qemu_extra[@]}"} \
	</dev/null >"$tmp/console" 2>"$tmp/qemu.err" &
tpid=$!
qrc=0
wait "$tpid" 2>/dev/null || qrc=$?
tpid=
wait "$rpid" || true
rpid=
elapsed=$((SECONDS - start))

if [ -s "$tmp/status" ]; then
	status=$(cat "$tmp/status")
	echo "$prog: guest exited with status $status after $elapsed s" >&2
	exit "$status"
fi
# timeout(1) says 124 when it had to stop QEMU, 137 when QEMU also ignored
# SIGTERM.
if [ "$qrc" = 124 ] || { [ "$qrc" = 137 ] && [ "$elapsed" -ge "$timeout" ]; }; then
	echo "$prog: guest timed out after $timeout s, killed" >&2
	exit 124
fi
if [ -s "$tmp/qemu.err" ]; then
	cat "$tmp/qemu.err" >&2
fi
if [ "$qrc" != 0 ]; then
	echo "$prog: qemu-system-x86_64 exited with status $qrc" >&2
fi
echo "$prog: guest panicked or died without an exit status" >&2
exit 125
