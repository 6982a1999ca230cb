#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# --top through a real terminal: tmux, on the host, runs tcpstate-watch
# with the fake device (fake_tcpstate.so on /dev/null) in a detached
# 80x24 window of a private tmux server; capture-pane shows what a user
# would see. The frame is drawn whole (header, the four tables' headers,
# "q quit" on the last row, nothing wider than the window); after a
# resize it is drawn again for the new size (cut to 60 columns, then
# whole again at 100); 'q' quits with status 0 and
# the shell's screen comes back (the alternate screen is left). TAP;
# SKIP without tmux.
#
# $TCPSTATE_WATCH: the binary (default ../tcpstate-watch from here).
set -u
here=$(cd "$(dirname "$0")" && pwd)
watch=${TCPSTATE_WATCH:-$here/../tcpstate-watch}
fake=$here/fake_tcpstate.so
work=$(mktemp -d)
sock=$work/tmux.sock
pane=top:0.0

tmx() {
	tmux -S "$sock" -f /dev/null "$@"
}
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	tmx kill-server 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source-path=SCRIPTDIR source=../../scripts/tap.sh
. "$here/../../scripts/tap.sh"
tap_header
tap_plan 8
t_frame="the first frame starts with top.h's header line"
t_tables="the four tables' headers, each a whole line"
t_help="'q quit' on the last of the 24 rows"
t_width="no line wider than 80"
t_narrow="resized to 60 columns: redrawn, cut to 60, nothing wrapped"
t_wide="resized back to 100 columns: redrawn, no longer cut at 60"
t_quit="'q' quits with status 0"
t_screen="the shell's screen is back (alternate screen left)"

skip_all() {
	for t in "$t_frame" "$t_tables" "$t_help" "$t_width" "$t_narrow" \
		 "$t_wide" "$t_quit" "$t_screen"; do
		tap_skip "$t" "$1"
	done
	exit 0
}
command -v tmux > /dev/null || skip_all "no tmux (scripts/install-deps.sh installs it)"

# The pane, as the terminal shows it now: every row, trailing blanks cut.
screen() {
	tmx capture-pane -p -t "$pane"
}
# The frame number the screen shows now (0: none).
frame_no() {
	screen | sed -n '1s/^tcpstate top .* frame \([0-9]*\)$/\1/p' | grep . || echo 0
}
# shellcheck disable=SC2317 # called through poll
frame_after() {
	[ "$(frame_no)" -gt "$1" ]
}
# widest: the longest row's length.
widest() {
	screen | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'
}
show() {
	screen > "$work/screen"
	tap_diag < "$work/screen"
}

# The shell prints a line, runs the view, then its status: what is on
# the screen after the view quit is the shell's own.
cat > "$work/run.sh" << EOF
echo shell-screen-before-top
LD_PRELOAD='$fake' TCPSTATE_FAKE_MISSED=0 '$watch' -d /dev/null --top -i 0.2
echo "top-exit=\$?"
exec sleep 600
EOF
tmx new-session -d -s top -x 80 -y 24 "sh $work/run.sh" ||
	skip_all "tmux cannot start a session here"

tap_poll 1000 frame_after 0
rc=$?
if [ $rc -ne 0 ] && screen | grep -q sock_diag; then
	screen | tap_diag
	skip_all "no sock_diag here"
fi
line1=$(screen | sed -n 1p)
echo "$line1" | grep -Eq '^tcpstate top [0-9]{2}:[0-9]{2}:[0-9]{2} netns [0-9]+ interval [0-9]+\.[0-9]s frame [0-9]+$'
rc=$?
[ $rc -ne 0 ] && show
tap_result $rc "$t_frame"

rc=0
for h in \
	'LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99' \
	'LISTENER               ACCQ/MAX OVERFLOWS   DROPS OWNER' \
	'TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%' \
	'TIME_WAIT LOCAL PORT     COUNT  OLDEST  NEWEST'; do
	screen | grep -qxF "$h" || { tap_diag "no line '$h'"; rc=1; }
done
[ $rc -ne 0 ] && show
tap_result $rc "$t_tables"

rows=$(screen | wc -l)
last=$(screen | sed -n 24p)
[ "$rows" -eq 24 ] && [ "$last" = "q quit" ]
rc=$?
[ $rc -ne 0 ] && { tap_diag "$rows rows, the last '$last'"; show; }
tap_result $rc "$t_help"

# ... and nothing wrapped: the namespace lines in their rows.
w=$(widest)
[ "$w" -le 80 ] && [ "$w" -gt 60 ] &&
	screen | sed -n 2p | grep -q '^SYN_RECV [0-9]* TIME_WAIT ' &&
	screen | sed -n 3p | grep -q '^per second: ' &&
	screen | sed -n 4p | grep -q '^ports [0-9]*-[0-9]* '
rc=$?
[ $rc -ne 0 ] && { tap_diag "widest line: $w"; show; }
tap_result $rc "$t_width"

# Narrower: a view that kept drawing 80 columns would wrap its long
# lines onto the next rows ("IES  HS_P50  HS_P99" under the cut header).
n=$(frame_no)
tmx resize-window -t top -x 60 -y 24
tap_poll 1000 frame_after $((n + 1))
rc=$?
w=$(widest)
[ $rc -eq 0 ] && [ "$w" -le 60 ] &&
	screen | grep -qxF 'LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOK' &&
	screen | grep -qxF 'TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%' &&
	! screen | grep -q '^IES '
rc=$?
[ $rc -ne 0 ] && { tap_diag "widest line: $w"; show; }
tap_result $rc "$t_narrow"

# Wider again: the SYN queue header, cut at 60 above, is whole only if
# the view read the new size.
n=$(frame_no)
tmx resize-window -t top -x 100 -y 30
tap_poll 1000 frame_after $((n + 1))
rc=$?
[ $rc -eq 0 ] &&
	screen | grep -qxF 'LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99'
rc=$?
[ $rc -ne 0 ] && show
tap_result $rc "$t_wide"

tmx send-keys -t "$pane" q
# shellcheck disable=SC2317 # called through poll
exited() {
	screen | grep -q '^top-exit='
}
tap_poll 1000 exited
status=$(screen | sed -n 's/^top-exit=//p')
[ "$status" = 0 ]
rc=$?
[ $rc -ne 0 ] && { tap_diag "status '$status'"; show; }
tap_result $rc "$t_quit"

alt=$(tmx display-message -p -t "$pane" '#{alternate_on}')
[ "$alt" = 0 ] && [ "$(screen | sed -n 1p)" = shell-screen-before-top ] &&
	! screen | grep -q '^tcpstate top '
rc=$?
[ $rc -ne 0 ] && { tap_diag "alternate_on '$alt'"; show; }
tap_result $rc "$t_screen"

exit "$tap_status"
