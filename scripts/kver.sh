#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the newest kernel version that has both a bootable image and build
# headers installed: the kernel tcpstate.ko is built for and the VM boots.
set -eu
best=
for build in /lib/modules/*/build; do
	[ -d "$build" ] || continue
	v=${build#/lib/modules/}
	v=${v%/build}
	[ -f "/boot/vmlinuz-$v" ] || continue
	best="$best$v
"
done
best=$(printf '%s' "$best" | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-<v> and /lib/modules/<v>/build;" \
	     "run scripts/install-deps.sh" >&2
	exit 1
fi
echo "$best"
