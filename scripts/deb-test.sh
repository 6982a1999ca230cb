#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, installed as an admin would, in a clean root of one
# release: scripts/deb-test.sh RELEASE (bullseye, bookworm or trixie: the
# roots of scripts/kernels.conf, bookworm for "host").
#
#  1. Build. bookworm: `make deb` here (this machine is bookworm). Another
#     release: `make deb` inside a throwaway copy of its root, with its
#     own debhelper, dh_dkms and glibc (apt-get build-dep first): the
#     tcpstate package built here needs libc6 >= 2.34, which bullseye does
#     not have, and each release builds its own, as Debian does. Then
#     this machine's lintian on the two packages: no tag at all but those
#     debian/*.lintian-overrides argue.
#  2. In another throwaway copy of the root, where the build-dependencies
#     never were: `apt-get install ./tcpstate-dkms_*.deb ./tcpstate_*.deb`.
#     DKMS builds the module for the root's newest kernel there (in a
#     chroot, the postinst of bullseye's and bookworm's dkms builds only
#     for that one, trixie's for all); every other kernel with headers in
#     the root gets `dkms autoinstall -k`, what a new kernel's headers
#     run. For each: `dkms status` says installed, modinfo of
#     updates/dkms/tcpstate.ko gives the version and that vermagic.
#  3. `dpkg -L` lists what README "Install" promises, nothing under /etc;
#     tcpstate-watch --version runs there; the unit is not enabled; `systemd-analyze verify` (the release's own
#     systemd, in the root: it knows that systemd's settings) accepts it.
#  4. `apt-get purge`: none of the files above remains, and the overlay's
#     upper layer (every change made to the root) holds nothing named
#     tcpstate.
#
# The roots are never changed: each copy is an overlayfs mount whose upper
# layer is in a temporary directory, unmounted and removed by the EXIT
# trap. bullseye and trixie are scripts/kernels.sh's roots (kernels.sh
# prepare makes them); the bookworm root is made here on first use the same
# way (debootstrap --variant=minbase, kept in
# $TCPSTATE_CACHE/roots/bookworm, with the headers of this machine's
# kernel, scripts/kver.sh). Prints each step's duration. Needs root: exits
# 4 (skip) without it.
. "$(dirname "$0")/gate.sh"

rel=${1:-}
case $rel in
bullseye | bookworm | trixie) ;;
*) fail "usage: scripts/deb-test.sh bullseye|bookworm|trixie" ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (chroot, overlayfs mounts)"
	exit 4
fi
for c in dpkg-buildpackage lintian unshare; do
	command -v "$c" >/dev/null || fail "no $c: run scripts/install-deps.sh"
done

cache=${TCPSTATE_CACHE:-/var/cache/tcpstate}
mirror=${TCPSTATE_MIRROR:-http://deb.debian.org/debian}
security_mirror=${TCPSTATE_SECURITY_MIRROR:-${mirror}-security}
root=$cache/roots/$rel
ver=$(sed -n 's/^#define TCPSTATE_VERSION[[:space:]]*"\(.*\)"/\1/p' module/main.c)
[ -n "$ver" ] || fail "no TCPSTATE_VERSION in module/main.c"
PATH=$PATH:/usr/sbin:/sbin

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/tcpstate-deb.XXXXXX") || fail "mktemp"
mounts=()
cleanup() {
	local m
	for m in "${mounts[@]}"; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# As scripts/kernels.sh's: COMMAND in the root DIR with a clean
# environment, /proc and /dev, in a mount namespace that ends with it;
# bounded. WITH_SYS=1 adds /sys, which bullseye's systemd-analyze reads
# (its cgroup) even to verify a file.
in_root() {
	local dir=$1 sys=:
	shift
	[ -z "${WITH_SYS:-}" ] || sys='mount --rbind /sys "$0/sys"'
	timeout 900 unshare --mount --propagation private /bin/sh -c '
		mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && '"$sys"' &&
		exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' "$dir" "$@"
}

# run STEP CMD...: CMD's output goes to a log in $tmp, shown (its end) only
# if CMD fails; the step's duration is printed either way.
step_start=$SECONDS
steps=0
run() {
	local step=$1 log t=$SECONDS
	shift
	steps=$((steps + 1))
	log=$tmp/step$steps.log
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log"
		fail "$step ($((SECONDS - t)) s)"
	fi
	echo "ok: $step ($((SECONDS - t)) s)"
}

# overlay NAME: a throwaway copy of the root at $tmp/NAME.
overlay() {
	local d=$tmp/$1
	mkdir -p "$d.upper" "$d.work" "$d"
	mount -t overlay overlay -o "lowerdir=$root,upperdir=$d.upper,workdir=$d.work" "$d" ||
		fail "overlayfs mount of $root"
	mounts=("$d" "${mounts[@]}")
}

unmount() {
	umount "$tmp/$1" || fail "umount $tmp/$1"
	mounts=("${mounts[@]/"$tmp/$1"/}")
}

# The bookworm root: made as scripts/kernels.sh's make_root makes the
# others (renamed into place only when complete), with what they hold:
# kernels.sh's ROOT_PACKAGES and the headers of this machine's kernel;
# and systemd, as the trixie root has (step 2 adds it to bullseye's copy).
bookworm_root() {
	local kver
	kver=$(scripts/kver.sh) || fail "no kernel with headers: run scripts/install-deps.sh"
	if [ ! -f "$root/.tcpstate-root" ]; then
		command -v debootstrap >/dev/null || fail "no debootstrap: run scripts/install-deps.sh"
		echo "making the bookworm root in $root (debootstrap --variant=minbase, once)"
		rm -rf "$root.tmp"
		mkdir -p "$cache/roots"
		run "debootstrap bookworm" debootstrap --variant=minbase bookworm "$root.tmp" "$mirror"
		in_root "$root.tmp" dpkg-divert --local --rename \
			--divert /usr/sbin/update-initramfs.real --add /usr/sbin/update-initramfs >/dev/null
		ln -s /bin/true "$root.tmp/usr/sbin/update-initramfs"
		touch "$root.tmp/.tcpstate-root"
		mv "$root.tmp" "$root"
	fi
	in_root "$root" dpkg-query -W -f='${Status}\n' "linux-headers-$kver" 2>/dev/null |
		grep -q ' installed$' && return 0
	printf '%s\n' "# Written by tcpstate's scripts/deb-test.sh" "deb $mirror bookworm main" \
		"deb $security_mirror bookworm-security main" >"$root/etc/apt/sources.list"
	run "apt-get update in the bookworm root" in_root "$root" apt-get -q update
	run "install make gcc perl xz-utils kmod dkms openssl systemd linux-headers-$kver into the bookworm root" \
		in_root "$root" apt-get install -y -q --no-install-recommends \
		make gcc perl xz-utils kmod dkms openssl systemd "linux-headers-$kver"
}

# One user of the roots at a time with scripts/kernels.sh prepare (which
# takes this lock exclusively); making the bookworm root takes it so too.
mkdir -p "$cache"
exec 8>>"$cache/prepare.lock"
if [ "$rel" = bookworm ]; then
	flock 8
	bookworm_root
	flock -s 8
else
	flock -s 8
	[ -f "$root/.tcpstate-root" ] ||
		fail "no $rel root in $root: scripts/kernels.sh prepare"
fi

# 1. Build.
debs=$tmp/debs
mkdir -p "$debs"
if [ "$rel" = bookworm ]; then
	run "make deb (here, bookworm)" make deb
	cp build/deb/*.deb "$debs/"
else
	overlay build
	src=/var/tmp/tcpstate-src/tcpstate
	mkdir -p "$tmp/build$src"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$tmp/build$src" || fail "copy of the tree into the $rel root"
	run "apt-get build-dep in the $rel root" in_root "$tmp/build" \
		/bin/sh -c 'cd "$0" && apt-get build-dep -y -q --no-install-recommends ./' "$src"
	run "make deb in the $rel root" in_root "$tmp/build" make -C "$src" deb
	cp "$tmp/build$src"/build/deb/*.deb "$debs/"
	unmount build
fi
for p in tcpstate-dkms_"$ver"-*_all.deb tcpstate_"$ver"-*_amd64.deb; do
	compgen -G "$debs/$p" >/dev/null || fail "no $p built"
done
echo "built: $(cd "$debs" && echo *.deb)"
t=$SECONDS
# (As root, lintian says it should not be: that line is dropped.)
if ! out=$(lintian -I -E --pedantic --fail-on error,warning,info,pedantic \
	"$debs"/tcpstate_*.deb "$debs"/tcpstate-dkms_*.deb 2>&1 | grep -v 'running with root privileges'; exit "${PIPESTATUS[0]}") ||
	[ -n "$out" ]; then
	printf '%s\n' "$out"
	fail "lintian: tags above (debian/*.lintian-overrides argue the others)"
fi
echo "ok: lintian $(lintian --version | cut -d' ' -f2) -I -E --pedantic: no tag but the" \
	"$(grep -hv '^#' debian/*.lintian-overrides | grep -c .) overridden ($((SECONDS - t)) s)"

# 2. Install, as an admin would, into a copy that never saw the build.
overlay inst
r=$tmp/inst
# A booted Debian system has systemd: the packages' maintainer scripts run
# deb-systemd-helper, and systemd-analyze verify needs its units.
if ! in_root "$r" dpkg-query -W -f='${Status}\n' systemd 2>/dev/null | grep -q ' installed$'; then
	run "apt-get install systemd (not in the minbase root)" in_root "$r" \
		apt-get install -y -q --no-install-recommends systemd
fi
mkdir -p "$r/var/tmp/tcpstate-debs"
cp "$debs"/tcpstate-dkms_*.deb "$debs"/tcpstate_*.deb "$r/var/tmp/tcpstate-debs/"
# Recommends left out: dkms's (a headers metapackage) would install
# another kernel's headers.
run "apt-get install ./tcpstate-dkms_*.deb ./tcpstate_*.deb" in_root "$r" /bin/sh -c \
	'cd /var/tmp/tcpstate-debs && apt-get install -y -q --no-install-recommends ./tcpstate-dkms_*.deb ./tcpstate_*.deb'
rm -rf "$r/var/tmp/tcpstate-debs"

# The kernels whose headers the root holds, newest last.
kernels=$(in_root "$r" /bin/sh -c 'for b in /lib/modules/*/build; do
	[ -f "$b/Makefile" ] && basename "${b%/build}"; done' | sort -V)
[ -n "$kernels" ] || fail "no kernel headers in the $rel root"
newest=$(printf '%s\n' "$kernels" | tail -n 1)
for k in $kernels; do
	by="the package's postinst"
	st=$(in_root "$r" dkms status -m tcpstate -v "$ver" -k "$k" 2>&1)
	case $st in
	*": installed"*) ;;
	*)
		[ "$k" != "$newest" ] || fail "the package's postinst did not install for $newest: '$st'"
		by="dkms autoinstall -k $k"
		run "dkms autoinstall -k $k (what a new kernel's headers run)" in_root "$r" dkms autoinstall -k "$k"
		st=$(in_root "$r" dkms status -m tcpstate -v "$ver" -k "$k" 2>&1)
		;;
	esac
	case $st in
	*"$k"*": installed"*) echo "ok: dkms status: $st (built by $by)" ;;
	*) fail "dkms status for $k: '$st'" ;;
	esac
	ko=$(cd "$r" && ls lib/modules/"$k"/updates/dkms/tcpstate.ko* 2>/dev/null)
	[ -n "$ko" ] || fail "no lib/modules/$k/updates/dkms/tcpstate.ko*"
	mv_=$(in_root "$r" modinfo -F version "/$ko")
	vm=$(in_root "$r" modinfo -F vermagic "/$ko")
	[ "$mv_" = "$ver" ] || fail "modinfo version of /$ko: '$mv_', expected $ver"
	case $vm in
	"$k "*) ;;
	*) fail "modinfo vermagic of /$ko: '$vm', expected $k ..." ;;
	esac
	echo "ok: /$ko: version $mv_, vermagic $vm"
done

# 3. What README "Install" promises, from dpkg's own list. (verify
# --man=no: this machine's man cannot look into the root; the page is
# checked to be there instead.)
files=$(in_root "$r" dpkg -L tcpstate tcpstate-dkms) || fail "dpkg -L tcpstate tcpstate-dkms"
unit=$(printf '%s\n' "$files" | grep '/systemd/system/tcpstate-prometheus\.service$')
case $unit in
/lib/systemd/system/* | /usr/lib/systemd/system/*) ;;
*) fail "dpkg -L tcpstate lists no tcpstate-prometheus.service in systemd's unit directory" ;;
esac
for f in /usr/sbin/tcpstate-watch /usr/share/man/man8/tcpstate-watch.8.gz \
	/usr/share/doc/tcpstate/examples/modules-load.d/tcpstate.conf \
	/usr/src/tcpstate-"$ver"/dkms.conf /usr/src/tcpstate-"$ver"/Kbuild \
	/usr/src/tcpstate-"$ver"/module/Kbuild /usr/src/tcpstate-"$ver"/module/main.c \
	/usr/src/tcpstate-"$ver"/module/uapi/tcpstate.h /var/lib/prometheus/node-exporter; do
	printf '%s\n' "$files" | grep -qxF "$f" || fail "dpkg -L does not list $f"
	[ -e "$r$f" ] || fail "$f is listed but not there"
done
! printf '%s\n' "$files" | grep '^/etc/' || fail "the packages put files under /etc"
echo "ok: dpkg -L: tcpstate-watch, its man page, $unit, the modules-load.d example, /usr/src/tcpstate-$ver; nothing under /etc"
# The binary runs there, with that release's glibc.
wv=$(in_root "$r" /usr/sbin/tcpstate-watch --version 2>&1) || fail "tcpstate-watch --version in the root: $wv"
case $wv in
"tcpstate-watch "*) echo "ok: $wv" ;;
*) fail "tcpstate-watch --version: '$wv'" ;;
esac
en=$(cd "$r" && find etc/systemd -name 'tcpstate*' 2>/dev/null)
[ -z "$en" ] || fail "the unit is enabled: $en"
! compgen -G "$r/etc/modules-load.d/*tcpstate*" >/dev/null ||
	fail "the package wrote to /etc/modules-load.d"
echo "ok: the unit is not enabled; nothing in /etc/modules-load.d"
t=$SECONDS
sd=$(in_root "$r" dpkg-query -W -f='${Version}' systemd)
if ! out=$(WITH_SYS=1 in_root "$r" systemd-analyze verify --man=no "$unit" 2>&1) || [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail "systemd-analyze verify $unit (the root's systemd $sd)"
fi
echo "ok: systemd-analyze verify $unit, the root's systemd $sd: nothing to say ($((SECONDS - t)) s)"

# 4. Purge. First what the service would have written (prometheus.c: a
# temporary file renamed onto the metrics file): the postrm removes it.
prom=$r/var/lib/prometheus/node-exporter/tcpstate.prom
echo 'tcpstate_syn_recv{netns="4026531840"} 0' >"$prom"
cp "$prom" "$prom.tmp.4242"
run "apt-get purge tcpstate tcpstate-dkms" in_root "$r" apt-get purge -y -q tcpstate tcpstate-dkms
left=$(cd "$r" && ls -d usr/src/tcpstate* var/lib/dkms/tcpstate lib/modules/*/updates/dkms/tcpstate.ko* \
	lib/systemd/system/tcpstate* usr/lib/systemd/system/tcpstate* usr/sbin/tcpstate-watch \
	usr/share/doc/tcpstate* var/lib/prometheus 2>/dev/null)
[ -z "$left" ] || fail "apt-get purge left: $left"
st=$(in_root "$r" dpkg-query -W -f='${Package} ${Status}\n' 'tcpstate*' 2>/dev/null | grep -v 'not-installed$')
[ -z "$st" ] || fail "dpkg still knows: $st"
left=$(find "$tmp/inst.upper" -name '*tcpstate*')
[ -z "$left" ] || fail "after purge, the root's changes still hold: $left"
echo "ok: purged: no file of ours left (the overlay's upper layer holds nothing named tcpstate)"
echo "$rel: $((SECONDS - step_start)) s"
