#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's base initramfs (gzip'd newc cpio) from the host's
# busybox, kmod, iproute2, kernel modules and the repo's build outputs.
# Usage: scripts/mkinitramfs.sh OUT.cpio.gz    (env KVER overrides the kernel;
# env TCPSTATE_MODULES_ROOT takes its modules from ROOT/lib/modules/$KVER,
# an INSTALL_MOD_PATH or a Debian root of scripts/kernels.sh; env
# TCPSTATE_KO is the tcpstate.ko built for that kernel, default
# module/tcpstate.ko; env TCPSTATE_NEST_KO the selftests' helper module,
# default tcpstate_nest.ko beside it)
set -eu

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUT.cpio.gz"
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
# depmod lives in sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
KVER=${KVER:-$("$root/scripts/kver.sh")}
# Where the modules are read from; in the guest they are at $guestmoddir.
guestmoddir=/lib/modules/$KVER
moddir=${TCPSTATE_MODULES_ROOT:-}$guestmoddir

# Modules the tests need; ss needs the *_diag ones (the kernel asks for
# them through /sbin/modprobe the first time a diag socket is opened).
MODULES="dummy veth sch_netem inet_diag tcp_diag udp_diag raw_diag unix_diag"
# Real tools, by guest path; the host binary of the same name is copied.
# tcpdump and curl: the owner and sequence-number selftests' capture and
# real client (owner_test, isn_test).
# busybox-static's shell and its exec wrappers (timeout, env, xargs, ...)
# run busybox's own applet for a name even when PATH has a real tool, so
# the guest's sh is bash and the wrappers are the real ones too. Every
# name here (and in KMOD_LINKS) replaces busybox's applet of that name.
TOOLS="
	/bin/kmod
	/bin/bash
	/usr/sbin/ip /usr/bin/ss /usr/bin/nstat /usr/sbin/tc
	/usr/bin/timeout /usr/bin/env /usr/bin/nice /usr/bin/nohup /usr/bin/xargs
	/usr/bin/setsid /usr/bin/unshare /usr/bin/nsenter /usr/bin/taskset
	/usr/bin/tcpdump /usr/bin/curl
"
KMOD_LINKS="insmod rmmod modinfo modprobe lsmod depmod"

ko=${TCPSTATE_KO:-$root/module/tcpstate.ko}
nest_ko=${TCPSTATE_NEST_KO:-$(dirname "$ko")/tcpstate_nest.ko}
watch=$root/userspace/tcpstate-watch
for f in "$ko" "$watch"; do
	[ -f "$f" ] || die "missing ${f#"$root"/}: run make first"
done
mapfile -t selftests < <(find "$root/selftests" -maxdepth 1 -type f -perm -u+x 2>/dev/null | LC_ALL=C sort)
[ ${#selftests[@]} -gt 0 ] || die "no executables in selftests/: run make first"
[ -d "$moddir/kernel" ] || die "no $moddir: run scripts/install-deps.sh"
busybox=$(command -v busybox) || die "no busybox: run scripts/install-deps.sh"

stage=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-initramfs.XXXXXX")
tmp_out=$out.tmp.$$
trap 'rm -rf "$stage" "$tmp_out"' EXIT
# Real directories, not Debian's merged-/usr symlinks: the applet paths
# busybox reports then work as they are.
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,root,proc,sys,dev,run,tmp} \
	"$stage/tcpstate/module" "$stage/tcpstate/selftests" "$stage/tcpstate/guest"
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"

# Copy a file (following symlinks) to the same path under $stage.
copy_file() {
	mkdir -p "$stage$(dirname "$2")"
	cp -L "$1" "$stage$2"
}

# Copy an executable to DEST and, if it is dynamic, every library ldd lists
# plus the loader, at their host paths.
copy_exe() {
	copy_file "$1" "$2"
	local libs
	# ldd fails for static binaries and scripts: nothing more to copy.
	libs=$(ldd "$1" 2>/dev/null) || return 0
	printf '%s\n' "$libs" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -e "$stage$lib" ] || copy_file "$lib" "$lib"
	done
}

copy_exe "$busybox" /bin/busybox

for t in $TOOLS; do
	host=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "${t##*/}") ||
		die "no ${t##*/} on this machine: run scripts/install-deps.sh"
	copy_exe "$host" "$t"
done
ln -s bash "$stage/bin/sh"
for l in $KMOD_LINKS; do
	ln -s /bin/kmod "$stage/sbin/$l"
done
# netem's delay distributions, iproute2's name tables, and libgcc_s that
# glibc dlopen()s for pthread_cancel and unwinding (ldd cannot see it).
for f in /usr/lib/*/tc/*.dist /lib/x86_64-linux-gnu/libgcc_s.so.1; do
	if [ -f "$f" ]; then
		copy_file "$f" "$f"
	fi
done
if [ -d /etc/iproute2 ]; then
	cp -R /etc/iproute2 "$stage/etc/"
fi

# Applet symlinks, except for names a real tool above provides.
taken=" sh $KMOD_LINKS "
for t in $TOOLS; do
	taken="$taken${t##*/} "
done
for applet in $("$busybox" --list-full); do
	case $taken in
	*" ${applet##*/} "*) continue ;;
	esac
	[ -e "$stage/$applet" ] || [ -L "$stage/$applet" ] ||
		ln -s /bin/busybox "$stage/$applet"
done

# Kernel modules with their dependencies from modules.dep; files may be
# compressed (.ko.xz/.ko.zst/.ko.gz): copy them as they are, kmod copes.
for m in $MODULES; do
	deps=$(awk -v m="$m" '{ k = $1; sub(/:$/, "", k); n = k; sub(/.*\//, "", n);
		sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n) }
		n == m { $1 = k; print; exit }' "$moddir/modules.dep")
	if [ -z "$deps" ]; then
		grep -Eq "/$m\.ko$" "$moddir/modules.builtin" ||
			die "module $m is neither in $moddir/modules.dep nor built in"
		continue
	fi
	for d in $deps; do
		copy_file "$moddir/$d" "$guestmoddir/$d"
	done
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	if [ -f "$moddir/$f" ]; then
		copy_file "$moddir/$f" "$guestmoddir/$f"
	fi
done
# The image holds tcpstate as `make install` lays it out (the module as
# kbuild's modules_install puts it, under INSTALL_MOD_DIR=extra; checked by
# scripts/install-test.sh), so that the guest checks modinfo/modprobe by
# name and the installed tcpstate-watch. The module is copied rather than
# installed by kbuild: a root's kbuild does not run on this machine.
install -D -m 0644 "$ko" "$stage$guestmoddir/extra/module/tcpstate.ko"
make -s -C "$root" --no-print-directory install-userspace DESTDIR="$stage" \
	PREFIX=/usr > /dev/null
depmod -b "$stage" "$KVER"

# The project's build outputs.
cp "$ko" "$stage/tcpstate/module/tcpstate.ko"
# The selftests' helper module (miss_test), built for the same kernel
# beside tcpstate.ko by scripts/kernels.sh build; without it miss_test
# says SKIP.
if [ -f "$nest_ko" ]; then
	cp "$nest_ko" "$stage/tcpstate/module/tcpstate_nest.ko"
else
	echo "mkinitramfs: no ${nest_ko#"$root"/}: miss_test will SKIP" >&2
fi
# The bench's trap-cost module (bench/hookcost_module) for the same
# kernel: beside tcpstate.ko (scripts/kernels.sh build), or the tree's
# (make bench-tools) with the tree's tcpstate.ko. Only the bench loads it.
hookcost_ko=$(dirname "$ko")/tcpstate_hookcost.ko
if [ ! -f "$hookcost_ko" ] && [ "$ko" -ef "$root/module/tcpstate.ko" ]; then
	hookcost_ko=$root/bench/hookcost_module/tcpstate_hookcost.ko
fi
if [ -f "$hookcost_ko" ]; then
	install -D -m 0644 "$hookcost_ko" "$stage/tcpstate/bench/tcpstate_hookcost.ko"
fi
copy_exe "$watch" /usr/sbin/tcpstate-watch
for f in "${selftests[@]}" "$root/selftests/settings"; do
	# Compiled tests are dynamic: copy_exe brings their libraries too.
	if [ -f "$f" ]; then
		copy_exe "$f" "/tcpstate/selftests/${f##*/}"
	fi
done
# The benchmark tools (make -C bench), when built: scripts/bench.sh.
for f in "$root"/bench/*; do
	if [ -f "$f" ] && [ -x "$f" ]; then
		copy_exe "$f" "/tcpstate/bench/${f##*/}"
	fi
done
# libbpf-tools' tcpstates, the BPF tracer the benchmarks compare with
# (from the Debian package libbpf-tools; skipped with a note if missing).
tcpstates=$(dpkg -L libbpf-tools 2>/dev/null | grep -m 1 '/tcpstates$') || tcpstates=
if [ -n "$tcpstates" ] && [ -x "$tcpstates" ]; then
	copy_exe "$tcpstates" /usr/sbin/tcpstates
else
	echo "mkinitramfs: no tcpstates (libbpf-tools): the benchmarks mark it n/a" >&2
fi
# The reader of the previous ABI (scripts/abi1.sh reader, built here
# when missing and the git history is there): abi_test checks that it
# refuses this module clearly, and says SKIP without it. Likewise the
# module of the previous ABI, built for this kernel beside tcpstate.ko
# (scripts/kernels.sh build), which this reader must refuse clearly.
old_reader=$root/build/old-reader/userspace/tcpstate-watch
old_ko=$(dirname "$ko")/tcpstate-abi1.ko
if [ -f "$old_ko" ]; then
	cp "$old_ko" "$stage/tcpstate/module/tcpstate-abi1.ko"
else
	echo "mkinitramfs: no ${old_ko#"$root"/}: abi_test's new_reader_refuses_abi1_module will SKIP" >&2
fi
if [ ! -x "$old_reader" ]; then
	"$root/scripts/abi1.sh" reader >&2 ||
		echo "mkinitramfs: no reader of ABI 1: abi_test's old_reader_refuses will SKIP" >&2
fi
if [ -x "$old_reader" ]; then
	copy_exe "$old_reader" /tcpstate/old-reader/tcpstate-watch
fi
cp -R "$root/scripts/guest/." "$stage/tcpstate/guest/"
# The TAP helper, where the shell tests in selftests/ find it too
# (../scripts/tap.sh, as in the tree).
install -D -m 0644 "$root/scripts/tap.sh" "$stage/tcpstate/scripts/tap.sh"
cp "$root/scripts/guest/init" "$stage/init"
chmod 755 "$stage/init"

cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
EOF
cat >"$stage/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
cat >"$stage/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files
EOF

# Fixed mtimes, sorted names, root owner: same inputs give the same archive.
find "$stage" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -n -6 >"$tmp_out"
# Rename so a concurrent vm-run.sh never boots a half-written archive.
mv -f "$tmp_out" "$out"
