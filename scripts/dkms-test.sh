#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms builds tcpstate.ko from dkms.conf against the installed headers:
# `make dkms-source`, `dkms add`, `dkms build -k KVER`, the .ko's modinfo
# (version, vermagic, the signature), `dkms install` (as root), then
# `dkms remove --all`. Usage: scripts/dkms-test.sh [KVER] (default:
# scripts/kver.sh). Exits 0 if every step did what it should.
#
# It leaves the machine as it was, whatever happens: dkms's source, dkms
# and install trees all point into a temporary directory (--sourcetree,
# --dkmstree, --installtree), depmod is off (--no-depmod), and the module
# is signed with a throwaway key made there (dkms reads mok_signing_key
# and mok_certificate from the environment, unless /etc/dkms/framework.conf
# names a key of its own). An EXIT trap removes it all.
. "$(dirname "$0")/gate.sh"

kver=${1:-$(scripts/kver.sh)} || fail "no kernel with headers: run scripts/install-deps.sh"
command -v dkms > /dev/null || fail "no dkms: run scripts/install-deps.sh"
[ -d "/lib/modules/$kver/build" ] || fail "no headers for $kver (/lib/modules/$kver/build)"

# The version three places must agree on.
ver=$(sed -n 's/^#define TCPSTATE_VERSION[[:space:]]*"\(.*\)"/\1/p' module/main.c)
conf_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
conf_name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' dkms.conf)
[ -n "$ver" ] || fail "no TCPSTATE_VERSION in module/main.c"
[ "$conf_ver" = "$ver" ] ||
	fail "dkms.conf PACKAGE_VERSION '$conf_ver' is not module/main.c's TCPSTATE_VERSION '$ver'"
[ "$conf_name" = tcpstate ] || fail "dkms.conf PACKAGE_NAME '$conf_name', expected tcpstate"
echo "dkms $(dkms --version | sed 's/^dkms-//'), tcpstate $ver, kernel $kver"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-dkms.XXXXXX") || fail "mktemp"
# dkms's default key, should a framework.conf send it there: if this run
# made it, it goes too.
default_key=/var/lib/dkms/mok.key
default_cert=/var/lib/dkms/mok.pub
had_key=no
[ -e "$default_key" ] || [ -e "$default_cert" ] && had_key=yes
trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/lib/modules")
cleanup() {
	dkms remove -m tcpstate -v "$ver" --all --no-depmod "${trees[@]}" > /dev/null 2>&1
	rm -rf "$tmp"
	if [ "$had_key" = no ]; then
		rm -f "$default_key" "$default_cert"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
mkdir -p "$tmp/dkms" "$tmp/lib/modules/$kver" || fail "mkdir"
# dkms 3.x looks for the headers under --installtree. (Its
# --kernelsourcedir would do, but makes dkms 2.8 "prepare" the headers
# with make mrproper, which deletes their generated files.)
ln -s "/lib/modules/$kver/build" "$tmp/lib/modules/$kver/build" || fail "ln"

# run STEP CMD...: run CMD (bounded), show its output only if it fails.
run() {
	local step=$1 out
	shift
	if ! out=$(timeout 600 "$@" 2>&1); then
		printf '%s\n' "$out"
		fail "$step"
	fi
	echo "ok: $step"
}

run "make dkms-source" make -s dkms-source DKMS_SRC="$tmp/src/tcpstate-$ver"
run "dkms add" dkms add -m tcpstate -v "$ver" "${trees[@]}"
if ! out=$(timeout 600 dkms build -m tcpstate -v "$ver" -k "$kver" "${trees[@]}" 2>&1); then
	printf '%s\n' "$out"
	for log in "$tmp"/dkms/tcpstate/"$ver"/build/make.log \
		   "$tmp"/dkms/tcpstate/"$ver"/"$kver"/*/log/make.log; do
		[ -f "$log" ] && { echo "--- $log"; tail -n 40 "$log"; }
	done
	fail "dkms build -k $kver"
fi
echo "ok: dkms build -k $kver"

ko=$(find "$tmp/dkms/tcpstate/$ver/$kver" -path '*/module/tcpstate.ko*' -type f | head -n 1)
[ -n "$ko" ] || fail "no tcpstate.ko in $tmp/dkms/tcpstate/$ver/$kver"
echo "ok: built ${ko#"$tmp"/}"
info=$(modinfo "$ko") || fail "modinfo $ko"
field() {
	printf '%s\n' "$info" | sed -n "s/^$1:[[:space:]]*//p" | head -n 1
}
[ "$(field version)" = "$ver" ] || fail "modinfo version '$(field version)', expected $ver"
[ "$(field name)" = tcpstate ] || fail "modinfo name '$(field name)'"
case $(field vermagic) in
"$kver "*) ;;
*) fail "modinfo vermagic '$(field vermagic)', expected $kver ..." ;;
esac
echo "ok: modinfo: version $(field version), vermagic $(field vermagic)"
# Debian's dkms signs with sign-file from linux-kbuild, when it is there,
# since dkms 3 (2.8, Debian 11's, has no signing: no mok_signing_key).
if ! grep -q mok_signing_key "$(command -v dkms)"; then
	echo "note: this dkms does not sign modules"
elif [ -x "/usr/lib/linux-kbuild-${kver%.*}/scripts/sign-file" ] ||
   [ -x "/lib/modules/$kver/build/scripts/sign-file" ]; then
	[ -n "$(field signer)" ] || fail "dkms did not sign the module (no signer in modinfo)"
	echo "ok: signed by '$(field signer)'"
else
	echo "note: no sign-file for $kver: dkms leaves the module unsigned"
fi

# Installing needs root (dkms checks), even into a temporary tree.
if [ "$(id -u)" -eq 0 ]; then
	run "dkms install -k $kver" dkms install -m tcpstate -v "$ver" -k "$kver" --no-depmod "${trees[@]}"
	inst=$(find "$tmp/lib/modules/$kver" -name 'tcpstate.ko*' -type f)
	case $inst in
	"$tmp/lib/modules/$kver/updates/dkms/tcpstate.ko"*) echo "ok: installed ${inst#"$tmp"/}" ;;
	*) fail "installed as '$inst', expected lib/modules/$kver/updates/dkms/tcpstate.ko" ;;
	esac
	st=$(dkms status -m tcpstate -v "$ver" "${trees[@]}" 2>&1)
	case $st in
	*"$kver"*installed*) echo "ok: dkms status: $st" ;;
	*) fail "dkms status: '$st'" ;;
	esac
else
	echo "note: not root: dkms install not tried"
fi

run "dkms remove --all" dkms remove -m tcpstate -v "$ver" --all --no-depmod "${trees[@]}"
left=$(find "$tmp/lib/modules" "$tmp/dkms" -name 'tcpstate.ko*')
[ -z "$left" ] || fail "dkms remove left $left"
[ ! -e "$tmp/dkms/tcpstate/$ver" ] || fail "dkms remove left $tmp/dkms/tcpstate/$ver"
echo "ok: removed"
