#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what building tcpstate and running it in a QEMU guest needs on
# Debian 12. Idempotent: apt is not touched when everything is present.
set -eu

PACKAGES="
	qemu-system-x86
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	busybox-static cpio kmod iproute2 xz-utils gzip
	gcc make libc6-dev
	perl python3
	libbpf-tools
	dkms prometheus-node-exporter prometheus curl
"
# The groups above, in order:
#  - the VM:                qemu-system-x86
#  - the kernel the VM boots, its build tree, and the source tarball that
#    provides kselftest's headers and checkpatch.pl
#  - the guest initramfs:   busybox-static cpio kmod iproute2 xz-utils gzip
#  - the compiler:          gcc make libc6-dev
#  - test and lint tooling: perl python3
#  - the benchmarks' BPF tracer to compare with: libbpf-tools (tcpstates)
#  - packaging and export tests: dkms (dkms.conf), prometheus-node-exporter
#    (serves --prometheus's file), prometheus (for promtool), curl. On a
#    host running systemd, Debian starts their services (prometheus on
#    :9090, node_exporter on :9100); the tests use neither.

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

if [ -z "$missing" ]; then
	echo "install-deps: all $total packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing" >&2
	echo "install-deps: must run as root to install them (try: sudo $0)" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
apt-get update
# $missing is a space-separated list of package names: split it on purpose.
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
