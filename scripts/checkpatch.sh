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
# The uapi header, shared with C11 userspace, is checked as kernel code: it
# asserts nothing itself, only #defines the sizes (TCPSTATE_*_SIZE) that
# module/main.c checks with BUILD_BUG_ON and userspace/ring_reader.c with
# _Static_assert. The two types ignored are a kernel tree's bookkeeping
# (SPDX tags against LICENSES/, MAINTAINERS on added files); neither fires
# on these files today.
"$dir/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
	-f $(ls module/*.c module/*.h module/uapi/*.h selftests/nest_module/*.c \
		bench/hookcost_module/*.c |
		grep -v "\.mod\.c$")
