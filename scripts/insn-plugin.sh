#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the instruction-counting QEMU TCG plugin (bench/insn_plugin) for
# the INSTALLED qemu-system-x86: a plugin must be compiled against the
# qemu-plugin.h of the QEMU that loads it, and Debian ships no such
# header. So take it from the Debian source of exactly that version
# (deb-src line in a sources file of its own, apt-get source
# --download-only), extract include/qemu/qemu-plugin.h alone into
# build/insn-plugin/, and build build/insn-plugin/libinsncount.so.
# Idempotent: a header already taken for this version is kept.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
prog=insn-plugin
die() {
	echo "$prog: $*" >&2
	exit 1
}

out=$top/build/insn-plugin
srclist=/etc/apt/sources.list.d/tcpstate-insn-plugin-src.list
ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed: run scripts/install-deps.sh"
src=$(dpkg-query -W -f='${source:Package}' qemu-system-x86)
hdr=$out/qemu-${ver//[^A-Za-z0-9.]/_}/include/qemu/qemu-plugin.h
mkdir -p "$out"

# glib.h: qemu-plugin.h includes it.
if ! pkg-config --exists glib-2.0 2>/dev/null; then
	[ "$(id -u)" = 0 ] || die "no glib-2.0 headers: apt-get install libglib2.0-dev"
	echo "$prog: installing libglib2.0-dev (qemu-plugin.h includes glib.h)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q libglib2.0-dev >/dev/null
fi

tmp=
cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -s "$hdr" ]; then
	[ "$(id -u)" = 0 ] || die "fetching the $src $ver source needs root (apt)"
	# The archive that holds the installed version, e.g.
	# "http://deb.debian.org/debian bookworm-backports/main".
	read -r uri dist < <(apt-cache madison qemu-system-x86 |
		awk -F' [|] ' -v v="$ver" '$2 == v { split($3, a, " "); print a[1], a[2]; exit }') ||
		die "no archive offers qemu-system-x86 $ver (apt-cache madison)"
	suite=${dist%%/*}
	comp=${dist#*/}
	line="deb-src $uri $suite $comp"
	if [ "$(cat "$srclist" 2>/dev/null)" != "$line" ]; then
		echo "$line" >"$srclist"
	fi
	# Update the source index from that file alone.
	apt-get update -q -o Dir::Etc::sourcelist="$srclist" \
		-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >/dev/null
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/insn-plugin.XXXXXX")
	chmod 755 "$tmp"
	# Only the upstream tarball is needed, and a mirror may lack the .dsc
	# of a backport whose .orig it shares with the release: fetch the
	# files apt names one by one, with apt's own downloader and the hash
	# the source index gives.
	echo "$prog: downloading the $src $ver upstream source (only the header is kept)" >&2
	(cd "$tmp" && apt-get source -q --print-uris --download-only "$src=$ver") |
		awk -F"'" 'NF >= 3 { split($3, a, " "); print $2, a[1], a[3] }' >"$tmp/uris"
	while read -r url name hash; do
		case $name in
		*.orig.tar.*) ;;
		*.debian.tar.*) ;;
		*) continue ;;
		esac
		if ! /usr/lib/apt/apt-helper -q download-file "$url" "$tmp/$name" "$hash" \
			>/dev/null 2>"$tmp/err"; then
			case $name in
			*.orig.tar.*) die "cannot fetch $url: $(tail -n 1 "$tmp/err")" ;;
			*) echo "$prog: note: cannot fetch $name: Debian's patches not checked" >&2 ;;
			esac
		fi
	done <"$tmp/uris"
	orig=$(find "$tmp" -maxdepth 1 -name '*.orig.tar.*' | head -n 1)
	[ -n "$orig" ] || die "apt names no .orig tarball for $src $ver"
	mkdir -p "$tmp/x"
	tar -xf "$orig" -C "$tmp/x" --wildcards '*/include/qemu/qemu-plugin.h' ||
		die "no include/qemu/qemu-plugin.h in $(basename "$orig")"
	# Debian's patches could change the header: say so if one does.
	deb=$(find "$tmp" -maxdepth 1 -name '*.debian.tar.*' | head -n 1)
	if [ -n "$deb" ] && tar -xOf "$deb" --wildcards 'debian/patches/*' 2>/dev/null |
		grep -q '^+++ .*include/qemu/qemu-plugin.h'; then
		echo "$prog: warning: a Debian patch touches qemu-plugin.h; using the upstream one" >&2
	fi
	mkdir -p "$(dirname "$hdr")"
	cp "$(find "$tmp/x" -path '*/include/qemu/qemu-plugin.h' | head -n 1)" "$hdr.tmp"
	mv "$hdr.tmp" "$hdr"
fi

make -s -C bench/insn_plugin QEMU_INC="$(dirname "$(dirname "$hdr")")" \
	OUT="$out" QEMU_VERSION="$ver"
echo "$prog: $out/libinsncount.so for qemu $ver (plugin API $(awk '/define QEMU_PLUGIN_VERSION/ { print $3 }' "$hdr"))" >&2
