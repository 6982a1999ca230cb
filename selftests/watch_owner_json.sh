#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tcpstate-watch -e -j names who made a connection and why it ended, as the
# kernel knows them: curl, run in a cgroup of its own, fetches a page from
# busybox httpd and then knocks on a closed port. Its connect() lines carry
# its pid, comm, cgroup id (its directory's inode number) and path, and
# uid; the server's SYN_RECV line the listener's cgroup; the refused
# connection's -> CLOSE line err "ECONNREFUSED". TAP output.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/tap.sh"
CG_ROOT=/sys/fs/cgroup
cg=$CG_ROOT/tcpstate_watch_json
port=18080
closed=18081
work=$(mktemp -d)
watch_pid=
httpd_pid=
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	[ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null
	wait 2>/dev/null
	rmdir "$cg" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

tap_header
tap_plan 3
t_client="tcpstate-watch -e -j: curl's connect() names its pid, comm, cgroup (id and path) and uid"
t_server="tcpstate-watch -e -j: the server's request sock names the listener's cgroup"
t_refused="tcpstate-watch -e -j: a refused connection ends with err ECONNREFUSED"
skip_all() {
	tap_skip "$t_client" "$1"
	tap_skip "$t_server" "$1"
	tap_skip "$t_refused" "$1"
	exit 0
}
bail() {
	tap_diag "$*"
	tap_fail "$t_client"
	tap_fail "$t_server"
	tap_fail "$t_refused"
	exit 1
}

command -v curl > /dev/null || skip_all "no curl in this image"
busybox --list | grep -qx httpd || skip_all "no busybox httpd"
grep -q " $CG_ROOT cgroup2 " /proc/mounts ||
	mount -t cgroup2 cgroup2 "$CG_ROOT" 2>/dev/null ||
	skip_all "no cgroup v2 at $CG_ROOT"
mkdir -p "$cg" || bail "cannot make $cg"

mkdir "$work/www"
echo ok > "$work/www/index.html"
busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" &
httpd_pid=$!
listening() {
	ss -Hltn "sport = :$port" | grep -q .
}
tap_poll 500 listening || bail "busybox httpd does not listen on $port"

tcpstate-watch -e -j > "$work/out" 2> "$work/err" &
watch_pid=$!
# The start line says the ring is mapped.
started() {
	grep -q '"type":"start"' "$work/out" ||
		{ kill -0 "$watch_pid" 2>/dev/null || bail "tcpstate-watch exited: $(cat "$work/err")"; false; }
}
tap_poll 500 started || bail "tcpstate-watch did not start: $(cat "$work/err")"

# curl in the cgroup: the shell that writes its pid there execs it.
run_curl() {
	sh -c 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2" && shift 2 && exec curl "$@"' \
		sh "$cg" "$work/curl.pid" -sS -o /dev/null --max-time 10 "$@"
}
run_curl "http://127.0.0.1:$port/" || bail "curl http://127.0.0.1:$port/ failed"
curl_pid=$(cat "$work/curl.pid")
run_curl "http://127.0.0.1:$closed/" 2> /dev/null
rc=$?
refused_pid=$(cat "$work/curl.pid")
# curl's exit status 7: could not connect.
[ $rc -eq 7 ] || bail "curl to closed port $closed: exit status $rc, not 7"
cg_id=$(stat -c %i "$cg")
root_cg_id=$(stat -c %i "$CG_ROOT")
tap_diag "curl pid $curl_pid (refused: $refused_pid), cgroup $cg_id; httpd cgroup $root_cg_id"

# The JSON lines of one kind: event, new state, remote port.
lines() {
	grep '"type":"event"' "$work/out" | grep -F "\"event\":\"$1\"" |
		grep -F "\"newstate\":\"$2\"" | grep -F "\"rport\":$3,"
}
closed_seen() {
	lines STATE CLOSE "$closed" | grep -q .
}
tap_poll 500 closed_seen || bail "no -> CLOSE line for port $closed: $(tail -n 5 "$work/out")"
kill -INT "$watch_pid"
wait "$watch_pid"
watch_pid=

grep -q '"cgroup_id":' "$work/out" ||
	skip_all "this tcpstate-watch prints no owner keys (cgroup_id) yet"

# has LINE KEY VALUE...: every "key":value pair is in LINE.
has() {
	line=$1
	shift
	while [ $# -ge 2 ]; do
		case $line in
		*"\"$1\":$2"[,\}]*) ;;
		*) tap_diag "no \"$1\":$2 in: $line"; return 1 ;;
		esac
		shift 2
	done
}

syn_sent=$(lines STATE SYN_SENT "$port" | head -n 1)
has "$syn_sent" pid "$curl_pid" tgid "$curl_pid" comm '"curl"' \
	cgroup_id "$cg_id" cgroup "\"/${cg##*/}\"" uid 0 owner_from '"event"'
tap_result $? "$t_client"

syn_recv=$(grep '"type":"event"' "$work/out" | grep -F '"event":"SYN_RECV"' |
	grep -F "\"lport\":$port," | head -n 1)
has "$syn_recv" cgroup_id "$root_cg_id" cgroup '"/"' uid 0
tap_result $? "$t_server"

refused=$(lines STATE CLOSE "$closed" | head -n 1)
# In curl's connect() (the RST processed at release_sock()) or in
# softirq: its pid or none, never another.
refused_by=$(printf '%s\n' "$refused" | sed -n 's/.*"pid":\([^,}]*\).*/\1/p')
has "$refused" err '"ECONNREFUSED"' &&
	{ [ "$refused_by" = null ] || [ "$refused_by" = "$refused_pid" ] ||
		{ tap_diag "pid $refused_by named: $refused"; false; }; }
tap_result $? "$t_refused"
exit "$tap_status"
