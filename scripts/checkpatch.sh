#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Kernel style check of the module with the checkpatch.pl of the installed
# linux-source package (extracted into build/, never copied into the repo).
# Exits non-zero on any ERROR, WARNING or CHECK.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$src" ] || { echo "checkpatch.sh: no linux-source package; run scripts/install-deps.sh" >&2; exit 1; }
dir=$top/build/checkpatch
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	mkdir -p "$dir"
	tar -xJf "$src" -C "$dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi
cd "$top"
# The uapi header is shared with C11 userspace: _Static_assert is intended.
"$dir/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
	-f $(ls module/*.c module/*.h module/uapi/*.h | grep -v "\.mod\.c$")
