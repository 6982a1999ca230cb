#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what building tcpstate and running it in a QEMU guest needs on
# Debian 12. Idempotent: apt is not touched when everything is present.
set -eu

PACKAGES="
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	busybox-static cpio kmod iproute2 xz-utils gzip tcpdump
	gcc make libc6-dev
	debootstrap
	perl python3 python3-yaml tmux
	libbpf-tools
	dkms prometheus-node-exporter prometheus curl
"
# The groups above, in order:
#  - the kernel the VM boots, its build tree, and the source tarball that
#    provides kselftest's headers and checkpatch.pl
#  - the guest initramfs:   busybox-static cpio kmod iproute2 xz-utils gzip,
#    tcpdump (isn_test compares the events' sequence numbers with its
#    capture; curl, below, is owner_test's real client)
#  - the compiler:          gcc make libc6-dev
#  - the other kernels' Debian roots (scripts/kernels.sh): debootstrap
#  - test and lint tooling: perl python3, python3-yaml (monitoring-test.sh
#    reads the alerting rules and writes promtool's throwaway rule files),
#    tmux (top_screen_test.sh runs --top in a real terminal and reads the
#    screen back)
#  - the benchmarks' BPF tracer to compare with: libbpf-tools (tcpstates)
#  - packaging and export tests: dkms (dkms.conf), prometheus-node-exporter
#    (serves --prometheus's file), prometheus (for promtool), curl. On a
#    host running systemd, Debian starts their services (prometheus on
#    :9090, node_exporter on :9100); the tests use neither.

# The VM: QEMU from bookworm-backports (10.x). Debian 12's QEMU 7.2 crashes
# (RIP 0) under multi-threaded TCG when a kprobe is armed while another
# vCPU runs that code (scripts/guest/tcg-kprobe-race.sh); 10.x ran it to
# the end (README, "The emulator").
QEMU_SUITE=bookworm-backports
QEMU_SOURCES=/etc/apt/sources.list.d/tcpstate-$QEMU_SUITE.list
QEMU_MIN=1:10

missing=
total=0
for pkg in $PACKAGES; do
	total=$((total + 1))
	# A removed package can leave "deinstall ok config-files": not installed.
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
	case $status in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

total=$((total + 1))
qemu=$(dpkg-query -W -f='${Status} ${Version}' qemu-system-x86 2>/dev/null) || qemu=
case $qemu in
*" installed "*) dpkg --compare-versions "${qemu##* }" ge "$QEMU_MIN" || qemu= ;;
*) qemu= ;;
esac

if [ -z "$missing" ] && [ -n "$qemu" ]; then
	echo "install-deps: all $total packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing" >&2
	echo "install-deps: must run as root to install them (try: sudo $0)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ -z "$qemu" ] && [ ! -f "$QEMU_SOURCES" ]; then
	echo "install-deps: adding $QEMU_SUITE to apt's sources ($QEMU_SOURCES), for QEMU"
	echo "deb http://deb.debian.org/debian $QEMU_SUITE main" >"$QEMU_SOURCES"
fi
qemu_note=
[ -n "$qemu" ] || qemu_note=" qemu-system-x86 (from $QEMU_SUITE)"
echo "install-deps: installing:$missing$qemu_note"
apt-get update
if [ -n "$missing" ]; then
	# A space-separated list of package names: split on purpose.
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
if [ -z "$qemu" ]; then
	apt-get install -y --no-install-recommends -t "$QEMU_SUITE" qemu-system-x86
fi
