#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` into a staging DESTDIR: install puts
# exactly the module (kbuild's modules_install, under extra/), the binary
# and the man page, with PREFIX honored; uninstall removes exactly them.
# Without DESTDIR both run depmod for the kernel built for (checked with
# make -n: this machine's /lib/modules is not touched). Usage:
# scripts/install-test.sh [KDIR]. Exits 0 if all holds.
. "$(dirname "$0")/gate.sh"

kdir=${1:-/lib/modules/$(scripts/kver.sh)/build}
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
[ -n "$krel" ] || fail "no UTS_RELEASE in $kdir"
ver=$(sed -n 's/^#define TCPSTATE_VERSION[[:space:]]*"\(.*\)"/\1/p' module/main.c)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-install.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# files DIR: the files under DIR, relative, sorted.
files() {
	(cd "$1" && find . -type f -o -type l | sed 's|^\./||' | sort)
}

# check PREFIX: install and uninstall with it.
check() {
	local prefix=$1 root=$tmp/root out want got mode
	rm -rf "$root"
	out=$(make -s KDIR="$kdir" DESTDIR="$root" PREFIX="$prefix" install 2>&1) ||
		{ printf '%s\n' "$out"; fail "make install PREFIX=$prefix"; }
	want="lib/modules/$krel/extra/module/tcpstate.ko
${prefix#/}/sbin/tcpstate-watch
${prefix#/}/share/man/man8/tcpstate-watch.8"
	want=$(printf '%s\n' "$want" | sort)
	got=$(files "$root")
	[ "$got" = "$want" ] || fail "make install PREFIX=$prefix put:
$got
expected:
$want"
	mode=$(stat -c %a "$root$prefix/sbin/tcpstate-watch")
	[ "$mode" = 755 ] || fail "tcpstate-watch mode $mode"
	mode=$(stat -c %a "$root$prefix/share/man/man8/tcpstate-watch.8")
	[ "$mode" = 644 ] || fail "tcpstate-watch.8 mode $mode"
	cmp -s userspace/tcpstate-watch "$root$prefix/sbin/tcpstate-watch" ||
		fail "the installed tcpstate-watch is not the built one"
	[ "$(modinfo -F version "$root/lib/modules/$krel/extra/module/tcpstate.ko")" = "$ver" ] ||
		fail "the installed module's version is not $ver"
	"$root$prefix/sbin/tcpstate-watch" --version > /dev/null ||
		fail "the installed tcpstate-watch does not run"
	echo "ok: make install PREFIX=$prefix: $(printf '%s\n' "$got" | tr '\n' ' ')"

	out=$(make -s KDIR="$kdir" DESTDIR="$root" PREFIX="$prefix" uninstall 2>&1) ||
		{ printf '%s\n' "$out"; fail "make uninstall PREFIX=$prefix"; }
	got=$(files "$root")
	[ -z "$got" ] || fail "make uninstall PREFIX=$prefix left: $got"
	[ ! -e "$root/lib/modules/$krel/extra" ] ||
		fail "make uninstall left the empty lib/modules/$krel/extra"
	echo "ok: make uninstall PREFIX=$prefix: nothing left"
}

check /usr/local
check /opt/tcpstate

# Without DESTDIR: depmod for that kernel, after the module went in or out.
for target in install uninstall; do
	out=$(make -n KDIR="$kdir" DESTDIR= "$target" 2>&1) || fail "make -n $target"
	printf '%s\n' "$out" | grep -qx "depmod -a $krel" ||
		fail "make $target does not run 'depmod -a $krel'"
done
out=$(make -n KDIR="$kdir" DESTDIR="$tmp/x" install 2>&1)
printf '%s\n' "$out" | grep -q '^depmod' && fail "make install DESTDIR=... runs depmod"
echo "ok: depmod -a $krel without DESTDIR, none with it"
