#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcpstate-watch --prometheus against the real consumers, on the host: the
# counters come from the fake device (userspace/tests/fake_tcpstate.so,
# LD_PRELOAD, /dev/null as the device), whose first reading is
# value[i] = (i + 1) * 1000 and which adds (i + 1) at each later one.
#
#  1. promtool check metrics (Debian's prometheus package) accepts the
#     file --counters --prometheus writes;
#  2. Debian's prometheus-node-exporter, only its textfile collector on a
#     free 127.0.0.1 port, serves every counter of that file at /metrics
#     with --counters' value, its HELP and TYPE, and no textfile error;
#     and tcpstate_tcp_max_tw_buckets with the sysctl's value (in a
#     throwaway netns, unshare -n, that netns's own);
#  3. with tcpstate-watch --prometheus -i 0.2 rewriting the file, every
#     scrape has every counter from one same reading (the rename is
#     atomic), the readings advance, and SIGTERM ends it with status 0,
#     leaving the file and no temporary.
#
# node_exporter and tcpstate-watch are always stopped (EXIT trap), every
# wait is bounded. Usage: scripts/prometheus-test.sh; exits 0 if all holds.
. "$(dirname "$0")/gate.sh"

WATCH=$top/userspace/tcpstate-watch
FAKE=$top/userspace/tests/fake_tcpstate.so
NETNS=4026531840
NE=$(command -v prometheus-node-exporter || command -v node_exporter) ||
	fail "no prometheus-node-exporter: run scripts/install-deps.sh"
PROMTOOL=$(command -v promtool) || fail "no promtool (package prometheus): run scripts/install-deps.sh"
command -v curl > /dev/null || fail "no curl: run scripts/install-deps.sh"
[ -x "$WATCH" ] || fail "no $WATCH: make userspace"
[ -f "$FAKE" ] || make -s -C userspace tests/fake_tcpstate.so > /dev/null ||
	fail "cannot build $FAKE"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-prom.XXXXXX") || fail "mktemp"
ne_pid=
watch_pid=
# stop PID: SIGTERM, then SIGKILL after 5 s.
stop() {
	local i
	kill "$1" 2> /dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}
cleanup() {
	[ -z "$watch_pid" ] || stop "$watch_pid"
	[ -z "$ne_pid" ] || stop "$ne_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fake_watch() {
	# No missed probes: no "gauges may be inexact" warning on stderr.
	TCPSTATE_FAKE_MISSED=0 LD_PRELOAD=$FAKE "$WATCH" -d /dev/null "$@"
}

dir=$tmp/textfile
file=$dir/tcpstate.prom
mkdir "$dir" || fail "mkdir"

# ---- 1: the file, and promtool ----

fake_watch --counters > "$tmp/counters" || fail "tcpstate-watch --counters (fake device)"
fake_watch --counters --prometheus "$file" || fail "tcpstate-watch --counters --prometheus FILE"
n_counters=$(wc -l < "$tmp/counters")
[ "$n_counters" -gt 0 ] || fail "--counters printed nothing"
if ! out=$("$PROMTOOL" check metrics < "$file" 2>&1); then
	printf '%s\n' "$out"
	fail "promtool check metrics rejects the file"
fi
[ -z "$out" ] || printf 'promtool: %s\n' "$out"
echo "ok: promtool check metrics accepts the $n_counters counters ($("$PROMTOOL" --version 2>&1 | head -n 1))"

# tcpstate_tcp_max_tw_buckets is the sysctl of tcpstate-watch's own
# network namespace: in a throwaway one (unshare -n) set to a value of its
# own, the file says that value; the host's sysctl is left as it was.
host_tw=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets) || fail "cannot read /proc/sys/net/ipv4/tcp_max_tw_buckets"
ns_tw=$((host_tw == 4321 ? 4322 : 4321))
if unshare -n true 2> /dev/null; then
	# $1 and $2 are the inner sh's: single quotes on purpose.
	# shellcheck disable=SC2016
	got=$(TCPSTATE_FAKE_MISSED=0 LD_PRELOAD=$FAKE unshare -n sh -c \
		'echo "$1" > /proc/sys/net/ipv4/tcp_max_tw_buckets && exec "$2" -d /dev/null --counters --prometheus -' \
		sh "$ns_tw" "$WATCH" | awk '$1 ~ /^tcpstate_tcp_max_tw_buckets[{]/ { print $2 }')
	[ "$got" = "$ns_tw" ] ||
		fail "in a netns whose tcp_max_tw_buckets is $ns_tw, tcpstate_tcp_max_tw_buckets is '$got'"
	[ "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" = "$host_tw" ] ||
		fail "the host's tcp_max_tw_buckets changed"
	echo "ok: tcpstate_tcp_max_tw_buckets is the namespace's own: $ns_tw in a netns set so, the host's $host_tw untouched"
else
	echo "SKIP: unshare -n fails here: tcpstate_tcp_max_tw_buckets not checked in a netns of its own"
fi

# The metric each --counters line becomes: tcpstate_NAME for the gauges,
# tcpstate_NAME_total for the rest.
metric_of() {
	case $1 in
	syn_recv | time_wait) echo "tcpstate_$1" ;;
	*) echo "tcpstate_$1_total" ;;
	esac
}

# ---- 2: node_exporter serves it ----

# A port nothing listens on; node_exporter may still lose a race for it,
# so a start that fails is tried again on another.
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Htln "sport = :$p" 2> /dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

scrape() {
	curl -sf --max-time 5 "http://127.0.0.1:$port/metrics"
}

started=
for attempt in 1 2 3 4 5; do
	port=$(free_port) || fail "no free port"
	"$NE" --web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$dir" > "$tmp/ne.log" 2>&1 &
	ne_pid=$!
	for i in $(seq 100); do
		if scrape > /dev/null 2>&1; then
			started=yes
			break
		fi
		kill -0 "$ne_pid" 2> /dev/null || break
		sleep 0.1
	done
	[ -n "$started" ] && break
	stop "$ne_pid"
	ne_pid=
	echo "node_exporter did not come up on port $port (attempt $attempt): $(tail -n 2 "$tmp/ne.log")"
done
[ -n "$started" ] || fail "node_exporter never served /metrics"
echo "ok: $("$NE" --version 2>&1 | head -n 1) on 127.0.0.1:$port, textfile collector only"

scrape > "$tmp/scrape" || fail "GET /metrics"
# Every counter, with its value, HELP and TYPE; nothing else of ours.
while read -r name value; do
	m=$(metric_of "$name")
	got=$(awk -v m="$m" -v l="$m{netns=\"$NETNS\"}" '$1 == l { print $2 }' "$tmp/scrape")
	[ -n "$got" ] || fail "node_exporter does not serve $m{netns=\"$NETNS\"}"
	awk -v a="$got" -v b="$value" 'BEGIN { exit !(a + 0 == b + 0) }' ||
		fail "$m served as $got, --counters says $value"
	case $name in
	syn_recv | time_wait) type=gauge ;;
	*) type=counter ;;
	esac
	grep -qx "# TYPE $m $type" "$tmp/scrape" || fail "no '# TYPE $m $type'"
	grep -q "^# HELP $m [A-Z]" "$tmp/scrape" || fail "no '# HELP $m ...'"
done < "$tmp/counters"
# And the one gauge that is not the module's: the namespace's
# tcp_max_tw_buckets, as the sysctl reads.
m=tcpstate_tcp_max_tw_buckets
want=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets) || fail "cannot read /proc/sys/net/ipv4/tcp_max_tw_buckets"
got=$(awk -v l="$m{netns=\"$NETNS\"}" '$1 == l { print $2 }' "$tmp/scrape")
[ -n "$got" ] || fail "node_exporter does not serve $m{netns=\"$NETNS\"}"
awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }' ||
	fail "$m served as $got, /proc/sys/net/ipv4/tcp_max_tw_buckets says $want"
grep -qx "# TYPE $m gauge" "$tmp/scrape" || fail "no '# TYPE $m gauge'"
grep -q "^# HELP $m [A-Z]" "$tmp/scrape" || fail "no '# HELP $m ...'"
n=$(grep -c '^tcpstate_' "$tmp/scrape")
[ "$n" -eq $((n_counters + 1)) ] ||
	fail "$n tcpstate_ samples served, expected $n_counters counters + $m"
grep -qx 'node_textfile_scrape_error 0' "$tmp/scrape" ||
	fail "node_exporter reports a textfile error: $(grep '^node_textfile' "$tmp/scrape")"
echo "ok: node_exporter serves all $n samples with --counters' values (and tcp_max_tw_buckets $want), HELP and TYPE; node_textfile_scrape_error 0"

# ---- 3: the periodic file, scraped while it is rewritten ----

rm -f "$file"
# A simple command, not the function: $! is tcpstate-watch itself.
LD_PRELOAD=$FAKE "$WATCH" -d /dev/null --prometheus "$file" -i 0.2 2> "$tmp/watch.err" &
watch_pid=$!
for i in $(seq 50); do
	[ -f "$file" ] && break
	sleep 0.1
done
[ -f "$file" ] || fail "tcpstate-watch --prometheus -i 0.2 wrote no file in 5 s: $(cat "$tmp/watch.err")"

# reading FILE: the fake's reading k that every sample of a scrape shows
# (value = (i + 1) * (1000 + k) for the i-th counter), or fail.
reading() {
	awk -v netns="$NETNS" -v n="$n_counters" '
		FNR == NR { m = $1 == "syn_recv" || $1 == "time_wait" ? "tcpstate_" $1 : "tcpstate_" $1 "_total"
			    idx[m "{netns=\"" netns "\"}"] = FNR; next }
		($1 in idx) {
			i = idx[$1]; seen++
			if (($2 + 0) % i) { bad = bad " " $0; next }
			kk = ($2 + 0) / i - 1000
			if (k == "") k = kk
			else if (kk != k) bad = bad " " $0
		}
		END {
			if (seen != n) { print "only " seen " of " n " samples"; exit 1 }
			if (bad != "") { print "samples from different readings:" bad; exit 1 }
			print k
		}' "$tmp/counters" "$1"
}

first=
last=
for i in $(seq 15); do
	scrape > "$tmp/s$i" || fail "GET /metrics (scrape $i)"
	k=$(reading "$tmp/s$i") || fail "scrape $i: $k"
	grep -qx 'node_textfile_scrape_error 0' "$tmp/s$i" || fail "scrape $i: textfile error"
	[ -z "$last" ] || [ "$k" -ge "$last" ] || fail "scrape $i: reading $k after $last"
	[ -n "$first" ] || first=$k
	last=$k
	sleep 0.1
done
[ "$last" -gt "$first" ] || fail "the readings did not advance in 15 scrapes ($first .. $last)"
echo "ok: 15 scrapes during rewrites every 0.2 s: each one whole reading, readings $first .. $last"

kill -TERM "$watch_pid"
status=
for i in $(seq 50); do
	if ! kill -0 "$watch_pid" 2> /dev/null; then
		wait "$watch_pid"
		status=$?
		break
	fi
	sleep 0.1
done
[ -n "$status" ] || fail "tcpstate-watch --prometheus did not stop within 5 s of SIGTERM"
watch_pid=
[ "$status" -eq 0 ] || fail "tcpstate-watch --prometheus exited $status: $(cat "$tmp/watch.err")"
[ ! -s "$tmp/watch.err" ] || fail "tcpstate-watch said: $(cat "$tmp/watch.err")"
left=$(ls -A "$dir")
[ "$left" = tcpstate.prom ] || fail "left in the textfile directory: $left"
echo "ok: SIGTERM: status 0, the last file stays, no temporary"
