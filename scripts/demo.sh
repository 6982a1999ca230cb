#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the VM, load tcpstate.ko and show tcpstate-watch on
# real traffic, phase by phase (scripts/guest/demo.sh).
#
#   scripts/demo.sh           this machine's kernel (vm-run.sh's defaults,
#                             or KVER, TCPSTATE_KERNEL_IMAGE, ... as given)
#   scripts/demo.sh NAME      a kernel line of scripts/kernels.conf (5.10,
#                             6.12, ...), prepared by `scripts/kernels.sh
#                             prepare NAME`: tcpstate.ko is built for it first
set -eu
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
	eval "$(scripts/kernels.sh env "$1")"
	scripts/kernels.sh build "$1" > /dev/null
	export KVER TCPSTATE_KERNEL_IMAGE="$KIMAGE" \
		TCPSTATE_MODULES_ROOT="${KROOT:-/}" \
		TCPSTATE_KO="build/kernels/$1/tcpstate.ko"
fi
# The guest takes about 20 s; the rest is the boot.
exec scripts/vm-run.sh --timeout 300 scripts/guest/demo.sh
