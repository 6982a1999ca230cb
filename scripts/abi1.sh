#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The previous ABI (v1) as it was released: commit 188132e, the last one
# before ABI 2. selftests/abi_test checks each side against the other:
# ABI 1's tcpstate-watch must refuse this module clearly, and this
# tcpstate-watch must refuse ABI 1's module clearly.
#
# usage: scripts/abi1.sh reader       build ABI 1's tcpstate-watch into
#                                     build/old-reader/userspace/
#                                     (scripts/mkinitramfs.sh ships it as
#                                     /tcpstate/old-reader/tcpstate-watch)
#        scripts/abi1.sh source DIR   ABI 1's module sources, laid out as
#                                     dkms takes them, into DIR
#                                     (scripts/kernels.sh build builds them
#                                     as tcpstate-abi1.ko)
# Both need the git history.
set -eu

OLD_ABI_COMMIT=188132e
prog=abi1
root=$(cd "$(dirname "$0")/.." && pwd)

git -C "$root" rev-parse -q --verify "$OLD_ABI_COMMIT^{commit}" > /dev/null ||
	{ echo "$prog: no commit $OLD_ABI_COMMIT in this tree's history" >&2; exit 1; }

case ${1:-} in
reader)
	out=$root/build/old-reader
	rm -rf "$out"
	mkdir -p "$out"
	git -C "$root" archive "$OLD_ABI_COMMIT" userspace module/uapi | tar -x -C "$out"
	make -s -C "$out/userspace" tcpstate-watch
	echo "$prog: $out/userspace/tcpstate-watch (ABI 1, commit $OLD_ABI_COMMIT)"
	;;
source)
	[ $# -eq 2 ] || { echo "usage: scripts/abi1.sh source DIR" >&2; exit 2; }
	rm -rf "$2"
	mkdir -p "$2"
	git -C "$root" archive "$OLD_ABI_COMMIT" Kbuild module | tar -x -C "$2"
	;;
*)
	echo "usage: scripts/abi1.sh reader | source DIR" >&2
	exit 2
	;;
esac
