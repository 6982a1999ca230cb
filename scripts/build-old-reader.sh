#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the reader of the previous ABI (v1): tcpstate-watch as of commit
# 188132e, the last one before ABI 2, into build/old-reader/userspace/.
# scripts/mkinitramfs.sh ships it as /tcpstate/old-reader/tcpstate-watch,
# and selftests/abi_test checks that it refuses the new module clearly.
# Usage: scripts/build-old-reader.sh    (needs the git history)
set -eu

OLD_ABI_COMMIT=188132e
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/old-reader

git -C "$root" rev-parse -q --verify "$OLD_ABI_COMMIT^{commit}" > /dev/null ||
	{ echo "build-old-reader: no commit $OLD_ABI_COMMIT in this tree's history" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
git -C "$root" archive "$OLD_ABI_COMMIT" userspace module/uapi | tar -x -C "$out"
make -s -C "$out/userspace" tcpstate-watch
echo "build-old-reader: $out/userspace/tcpstate-watch (ABI 1, commit $OLD_ABI_COMMIT)"
