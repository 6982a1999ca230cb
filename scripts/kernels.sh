#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel matrix of scripts/kernels.conf: prepare each kernel, build
# tcpstate.ko for it, run a command where its headers work. README,
# "Supported kernels".
set -eu

prog=kernels
usage() {
	cat <<EOF
usage: scripts/kernels.sh prepare [NAME...]
       scripts/kernels.sh list
       scripts/kernels.sh env NAME
       scripts/kernels.sh build NAME
       scripts/kernels.sh run NAME COMMAND [ARGS...]
       scripts/kernels.sh intree NAME COMMAND [ARGS...]

prepare  For each kernel line (default: all, or those KERNELS names),
         discover the newest linux-image-amd64 of its suite, install that
         image and its headers into the line's Debian root (made with
         debootstrap on first use, kept in \$TCPSTATE_CACHE/roots, default
         /var/cache/tcpstate/roots; a root is ~1 GB), and write
         build/kernels/NAME.env. The host line checks this machine's own
         kernel instead (scripts/install-deps.sh installs it). Idempotent;
         it says what it downloads. Needs root.
list     The names of the lines to test: KERNELS (space or comma
         separated) if set, else every line of scripts/kernels.conf.
env      The prepared line's variables: KERNEL_NAME, KVER, KROOT (the
         root, empty for the host), KIMAGE (the kernel image to boot).
build    Build tcpstate.ko with W=1 for that kernel, from the sources
         dkms takes (make dkms-source), inside its root; prints kbuild's
         output and puts the module at build/kernels/NAME/tcpstate.ko;
         then the selftests' helper selftests/nest_module the same way,
         at build/kernels/NAME/tcpstate_nest.ko, and the module of the
         previous ABI (scripts/abi1.sh) at build/kernels/NAME/
         tcpstate-abi1.ko.
run      Run COMMAND inside the line's root (chroot), or here for host.
intree   Run COMMAND from the top of a copy of this tree inside the line's
         root (build products, .git and build/ left out), or from this
         tree's top for host: the DKMS check runs so.
Environment: KERNELS, TCPSTATE_CACHE, TCPSTATE_MIRROR (the Debian mirror,
default http://deb.debian.org/debian), TCPSTATE_SECURITY_MIRROR (its
security updates, default TCPSTATE_MIRROR-security).
EOF
	exit "${1:-2}"
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

top=$(cd "$(dirname "$0")/.." && pwd)
conf=$top/scripts/kernels.conf
cache=${TCPSTATE_CACHE:-/var/cache/tcpstate}
mirror=${TCPSTATE_MIRROR:-http://deb.debian.org/debian}
security_mirror=${TCPSTATE_SECURITY_MIRROR:-${mirror}-security}
envdir=$top/build/kernels
# Inside a root, this tree's own place: two trees may test at once.
treeid=$(printf '%s' "$top" | md5sum | cut -c1-8)
PATH=$PATH:/usr/sbin:/sbin

# The table's lines, "name suite root", comments and blanks dropped.
conf_lines() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$conf"
}

# conf_field NAME N: field N of NAME's line.
conf_field() {
	conf_lines | awk -v n="$1" -v f="$2" '$1 == n { print $f; found = 1 }
		END { exit !found }'
}

list_names() {
	local all want n
	all=$(conf_lines | awk '{ print $1 }')
	if [ -z "${KERNELS:-}" ]; then
		printf '%s\n' "$all"
		return
	fi
	for want in ${KERNELS//,/ }; do
		printf '%s\n' "$all" | grep -qxF -- "$want" ||
			die "KERNELS names '$want': not a line of scripts/kernels.conf ($(echo $all))"
	done
	# In the table's order, whatever order KERNELS gave.
	for n in $all; do
		case " ${KERNELS//,/ } " in
		*" $n "*) echo "$n" ;;
		esac
	done
}

# in_root ROOTDIR COMMAND...: run COMMAND there with a clean environment,
# /proc and /dev (dkms reads /proc/cpuinfo and /dev/fd). The mounts are
# made in a mount namespace of its own, so they end with the command.
in_root() {
	local dir=$1
	shift
	unshare --mount --propagation private /bin/sh -c '
		mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" &&
		exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' "$dir" "$@"
}

# Packages a root needs besides the kernel: kbuild's W=1 runs kernel-doc
# (perl), modules_install compresses with xz, and the DKMS check runs dkms
# (which signs with a key it makes with openssl).
ROOT_PACKAGES="make gcc perl xz-utils kmod dkms openssl"

# make_root RELEASE: debootstrap RELEASE under $cache/roots, once. A root is
# renamed into place only when complete, so a killed run leaves none.
make_root() {
	local rel=$1 dir=$cache/roots/$1
	[ -f "$dir/.tcpstate-root" ] && return 0
	command -v debootstrap >/dev/null || die "no debootstrap: run scripts/install-deps.sh"
	echo "$prog: making the $rel root in $dir (debootstrap --variant=minbase from $mirror, ~200 MB)"
	rm -rf "$dir.tmp"
	mkdir -p "$cache/roots"
	debootstrap --variant=minbase "$rel" "$dir.tmp" "$mirror" >"$cache/roots/$rel.debootstrap.log" 2>&1 ||
		die "debootstrap $rel failed: $cache/roots/$rel.debootstrap.log"
	# The roots boot nothing: their kernel packages need no initramfs,
	# and making one takes longer than the rest of the install.
	in_root "$dir.tmp" dpkg-divert --local --rename \
		--divert /usr/sbin/update-initramfs.real --add /usr/sbin/update-initramfs >/dev/null
	ln -s /bin/true "$dir.tmp/usr/sbin/update-initramfs"
	touch "$dir.tmp/.tcpstate-root"
	mv "$dir.tmp" "$dir"
}

# update_root RELEASE: its apt sources (the release with its security
# updates, as any Debian install has, and every suite the table builds in
# it), package lists refreshed.
update_root() {
	local rel=$1 dir=$cache/roots/$1 suites
	suites=$(conf_lines | awk -v r="$rel" '$3 == r { print $2 }' | sort -u)
	{
		echo "# Written by tcpstate's scripts/kernels.sh"
		for s in $(printf '%s\n' "$rel" $suites | sort -u); do
			echo "deb $mirror $s main"
		done
		echo "deb $security_mirror $rel-security main"
	} >"$dir/etc/apt/sources.list"
	echo "$prog: apt-get update in the $rel root ($(echo $suites))"
	in_root "$dir" apt-get -q update >"$dir/.tcpstate-apt-update.log" 2>&1 ||
		die "apt-get update in $dir failed: $dir/.tcpstate-apt-update.log"
}

# newest_kver ROOTDIR SUITE: the release of SUITE's linux-image-amd64, or
# of its security updates' where they are newer (madison lists the newest
# first).
newest_kver() {
	local dir=$1 suite=$2 ver dep
	ver=$(in_root "$dir" apt-cache madison linux-image-amd64 |
		awk -F'|' -v s="$suite" '$3 ~ (" " s "(-security)?/") { gsub(/ /, "", $2); print $2; exit }')
	[ -n "$ver" ] || die "no linux-image-amd64 in $suite (apt-cache madison, in $dir)"
	dep=$(in_root "$dir" apt-cache show "linux-image-amd64=$ver" |
		sed -n 's/^Depends:.*\(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
	[ -n "$dep" ] || die "linux-image-amd64 $ver of $suite names no linux-image-* package"
	echo "${dep#linux-image-}"
}

# write_env NAME KVER KROOT KIMAGE
write_env() {
	mkdir -p "$envdir"
	cat >"$envdir/$1.env" <<EOF
KERNEL_NAME=$1
KVER=$2
KROOT=$3
KIMAGE=$4
EOF
}

prepare_host() {
	local name=$1 suite=$2 kver codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ "$codename" = "$suite" ] ||
		die "line $name builds on this machine, which is '$codename', not $suite"
	kver=$("$top/scripts/kver.sh") || die "no kernel with headers here: run scripts/install-deps.sh"
	echo "$prog: $name: $kver, this machine's ($suite)"
	write_env "$name" "$kver" "" "/boot/vmlinuz-$kver"
}

# root_install ROOTDIR [-t SUITE] PACKAGE...: install those not installed.
root_install() {
	local dir=$1 p missing= target=
	shift
	if [ "$1" = -t ]; then
		target="-t $2"
		shift 2
	fi
	for p in "$@"; do
		in_root "$dir" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q ' installed$' || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "$prog: installing into ${dir##*/}:$missing"
	# shellcheck disable=SC2086 # lists of words
	in_root "$dir" apt-get install -y -q --no-install-recommends $target $missing \
		>"$dir/.tcpstate-apt-install.log" 2>&1 ||
		die "apt-get install in $dir failed: $dir/.tcpstate-apt-install.log"
}

prepare_root() {
	local name=$1 suite=$2 rel=$3 dir=$cache/roots/$3 kver
	kver=$(newest_kver "$dir" "$suite")
	root_install "$dir" $ROOT_PACKAGES
	# A backports kernel comes with what it depends on there (backports'
	# linux-base); a release's comes with its security updates.
	if [ "$suite" = "$rel" ]; then
		root_install "$dir" "linux-image-$kver" "linux-headers-$kver"
	else
		root_install "$dir" -t "$suite" "linux-image-$kver" "linux-headers-$kver"
	fi
	# build is a link that only resolves inside the root.
	[ -f "$dir/boot/vmlinuz-$kver" ] && [ -f "$dir/lib/modules/$kver/modules.dep" ] &&
		in_root "$dir" test -f "/lib/modules/$kver/build/Makefile" ||
		die "$name: $kver's image, modules.dep or headers are missing in $dir"
	echo "$prog: $name: $kver, newest of $suite, in the $rel root"
	write_env "$name" "$kver" "$dir" "$dir/boot/vmlinuz-$kver"
}

cmd_prepare() {
	local names n suite rel rels updated=" "
	[ "$(id -u)" -eq 0 ] || die "prepare needs root (debootstrap, chroot, apt-get)"
	# One prepare at a time on these roots (apt's locks would fail another).
	mkdir -p "$cache"
	exec 8>>"$cache/prepare.lock"
	flock 8
	if [ $# -gt 0 ]; then
		names=$(KERNELS="$*" list_names)
	else
		names=$(list_names)
	fi
	rels=$(for n in $names; do conf_field "$n" 3; done | sort -u)
	# A line this run cannot prepare must not run on what an earlier run
	# found.
	for n in $names; do
		rm -f "$envdir/$n.env"
	done
	for rel in $rels; do
		[ "$rel" = host ] && continue
		make_root "$rel"
		case $updated in
		*" $rel "*) ;;
		*) update_root "$rel"; updated="$updated$rel " ;;
		esac
	done
	for n in $names; do
		suite=$(conf_field "$n" 2)
		rel=$(conf_field "$n" 3)
		if [ "$rel" = host ]; then
			prepare_host "$n" "$suite"
		else
			prepare_root "$n" "$suite" "$rel"
		fi
	done
	# Superseded kernels go, once every line has its current one.
	if [ $# -eq 0 ] && [ -z "${KERNELS:-}" ]; then
		for rel in $rels; do
			[ "$rel" = host ] || prune_root "$rel"
		done
	fi
}

# prune_root RELEASE: purge the kernel images and headers of the root that
# no line of the table uses now (a newer one replaced them).
prune_root() {
	local rel=$1 dir=$cache/roots/$1 keep= n old= p v kver
	# By ABI, less the flavour: 6.12.118+deb13-amd64 keeps
	# linux-headers-6.12.118+deb13-common too.
	for n in $(conf_lines | awk -v r="$rel" '$3 == r { print $1 }'); do
		[ -f "$envdir/$n.env" ] || return 0
		kver=$(sed -n 's/^KVER=//p' "$envdir/$n.env")
		keep="$keep ${kver%-*}"
	done
	for p in $(in_root "$dir" dpkg-query -W -f='${Package} ${Status}\n' 'linux-image-[0-9]*' \
		'linux-headers-[0-9]*' 2>/dev/null | awk '/ installed$/ { print $1 }'); do
		v=${p#linux-image-}
		v=${v#linux-headers-}
		case " $keep " in
		*" ${v%-*} "*) ;;
		*) old="$old $p" ;;
		esac
	done
	[ -n "$old" ] || return 0
	echo "$prog: removing superseded kernels from the $rel root:$old"
	# shellcheck disable=SC2086 # a list of package names
	in_root "$dir" apt-get purge -y -q $old >"$dir/.tcpstate-apt-purge.log" 2>&1 &&
		in_root "$dir" apt-get autoremove --purge -y -q >>"$dir/.tcpstate-apt-purge.log" 2>&1 ||
		echo "$prog: could not remove them: $dir/.tcpstate-apt-purge.log" >&2
}

load_env() {
	local f=$envdir/$1.env
	conf_field "$1" 1 >/dev/null || die "no kernel line '$1' in scripts/kernels.conf"
	[ -f "$f" ] || die "kernel line $1 is not prepared: scripts/kernels.sh prepare $1"
	# shellcheck source=/dev/null
	. "$f"
}

cmd_env() {
	[ $# -eq 1 ] || usage >&2
	load_env "$1"
	cat "$envdir/$1.env"
}

# run_in NAME COMMAND...
run_in() {
	local name=$1
	shift
	load_env "$name"
	if [ -z "$KROOT" ]; then
		"$@"
	else
		in_root "$KROOT" "$@"
	fi
}

cmd_build() {
	local name src out
	[ $# -eq 1 ] || usage >&2
	name=$1
	load_env "$name"
	# The sources as dkms takes them, where the root's make can read them.
	src=/var/tmp/tcpstate-build/$treeid/$name
	[ -n "$KROOT" ] || src=$envdir/$name/src
	rm -rf "$KROOT$src"
	make -s -C "$top" dkms-source DKMS_SRC="$KROOT$src" >/dev/null
	run_in "$name" make -C "/lib/modules/$KVER/build" M="$src" W=1 modules
	out=$envdir/$name
	mkdir -p "$out"
	cp "$KROOT$src/module/tcpstate.ko" "$out/tcpstate.ko"
	# The selftests' helper module (selftests/miss_test.c), W=1 too.
	cp -R "$top/selftests/nest_module" "$KROOT$src/nest_module"
	run_in "$name" make -C "/lib/modules/$KVER/build" M="$src/nest_module" W=1 modules
	cp "$KROOT$src/nest_module/tcpstate_nest.ko" "$out/tcpstate_nest.ko"
	# The bench's trap-cost module (bench/hookcost_module), W=1 too.
	cp -R "$top/bench/hookcost_module" "$KROOT$src/hookcost_module"
	run_in "$name" make -C "/lib/modules/$KVER/build" M="$src/hookcost_module" W=1 modules
	cp "$KROOT$src/hookcost_module/tcpstate_hookcost.ko" "$out/tcpstate_hookcost.ko"
	# The module of the previous ABI (abi_test), where the history is.
	if "$top/scripts/abi1.sh" source "$KROOT$src-abi1" 2>/dev/null; then
		run_in "$name" make -C "/lib/modules/$KVER/build" M="$src-abi1" modules
		cp "$KROOT$src-abi1/module/tcpstate.ko" "$out/tcpstate-abi1.ko"
	else
		rm -f "$out/tcpstate-abi1.ko"
		echo "kernels: no git history: no tcpstate-abi1.ko (abi_test will SKIP)" >&2
	fi
}

cmd_intree() {
	local name=$1 copy=/var/tmp/tcpstate-tree/$treeid/$1
	shift
	load_env "$name"
	if [ -z "$KROOT" ]; then
		(cd "$top" && "$@")
		return
	fi
	rm -rf "$KROOT$copy"
	mkdir -p "$KROOT$copy"
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && xargs -0 cp --parents -t "$KROOT$copy" 2>/dev/null) || true
	in_root "$KROOT" /bin/sh -c 'cd "$0" && exec "$@"' "$copy" "$@"
}

[ $# -ge 1 ] || usage >&2
cmd=$1
shift
case $cmd in
prepare) cmd_prepare "$@" ;;
list) [ $# -eq 0 ] || usage >&2; list_names ;;
env) cmd_env "$@" ;;
build) cmd_build "$@" ;;
run) [ $# -ge 2 ] || usage >&2; run_in "$@" ;;
intree) [ $# -ge 2 ] || usage >&2; cmd_intree "$@" ;;
-h | --help) usage 0 ;;
*) usage >&2 ;;
esac
