// SPDX-License-Identifier: GPL-2.0
/*
 * The text form of events (event_output.c): transitions of every type,
 * the column layout tcpstate-watch prints and the longest lines. Their
 * JSON is checked against this text by output_test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "event_output.h"
#include "names.h"
#include "owner.h"

/* 2024-01-02 12:01:02 UTC, as a realtime - monotonic offset from ts 0. */
#define WALL_BASE_NS	(1704196862LL * 1000000000LL)

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct tcpstate_event v4_event(void)
{
	struct tcpstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = 123456789ULL;	/* .123456 after rounding down */
	ev.sock_id = 0x1a2b3c4d5e6f7a8bULL;
	ev.netns = 4026531840U;
	ev.type = TCPSTATE_EV_STATE;
	ev.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", ev.saddr);
	inet_pton(AF_INET, "127.0.0.1", ev.daddr);
	ev.sport = 41234;
	ev.dport = 8080;
	ev.oldstate = TCPS_CLOSE;
	ev.newstate = TCPS_SYN_SENT;
	return ev;
}

TEST(ipv4_state_change_line)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];
	int n;

	use_utc();
	n = tcpstate_format_event(line, sizeof(line), &ev, WALL_BASE_NS);
	ASSERT_EQ((int)strlen(line), n);
	ASSERT_STREQ("12:01:02.123456 4026531840 1a2b3c4d5e6f7a8b "
		     "127.0.0.1:41234       -> 127.0.0.1:8080        "
		     "CLOSE -> SYN_SENT", line);
}

TEST(ipv6_state_change_line)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];

	use_utc();
	ev.family = AF_INET6;
	ev.sock_id = 0x42;
	ev.netns = 7;
	inet_pton(AF_INET6, "fe80::1:2", ev.saddr);
	inet_pton(AF_INET6, "2001:db8:ffff::abcd", ev.daddr);
	ev.sport = 443;
	ev.dport = 55555;
	ev.oldstate = TCPS_ESTABLISHED;
	ev.newstate = TCPS_CLOSE_WAIT;
	tcpstate_format_event(line, sizeof(line), &ev, WALL_BASE_NS);
	ASSERT_STREQ("12:01:02.123456 7          0000000000000042 "
		     "[fe80::1:2]:443       -> [2001:db8:ffff::abcd]:55555 "
		     "ESTABLISHED -> CLOSE_WAIT", line);
}

TEST(every_state_pair_prints_as_old_arrow_new)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX], want[64];
	const char *transition;
	unsigned int old, new;

	for (old = 0; old <= 13; old++) {
		for (new = 0; new <= 13; new++) {
			ev.oldstate = (__u8)old;
			ev.newstate = (__u8)new;
			ASSERT_LT(0, tcpstate_format_event(line, sizeof(line),
							   &ev, 0));
			snprintf(want, sizeof(want), " %s -> %s",
				 tcpstate_state_name(old),
				 tcpstate_state_name(new));
			transition = line + strlen(line) - strlen(want);
			ASSERT_STREQ(want, transition);
		}
	}
}

TEST(unknown_type_prints_type_number)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];
	const char *tail;

	ev.type = 77;
	tcpstate_format_event(line, sizeof(line), &ev, 0);
	tail = strstr(line, "127.0.0.1:8080");
	ASSERT_NE(NULL, tail);
	ASSERT_NE(NULL, strstr(tail, " type=77"));
	ASSERT_EQ(NULL, strstr(line, "SYN_SENT"));
}

/* Header words stand over their columns, so `column -t`-free output aligns. */
TEST(header_columns_line_up_with_events)
{
	struct tcpstate_event ev = v4_event();
	char header[TCPSTATE_LINE_MAX], line[TCPSTATE_LINE_MAX];

	use_utc();
	ASSERT_LT(0, tcpstate_format_header(header, sizeof(header)));
	tcpstate_format_event(line, sizeof(line), &ev, WALL_BASE_NS);

	ASSERT_EQ(0, strncmp(header, "TIME ", 5));
	ASSERT_EQ(strstr(line, "4026531840") - line,
		  strstr(header, "NETNS") - header);
	ASSERT_EQ(strstr(line, "1a2b3c4d5e6f7a8b") - line,
		  strstr(header, "SKID") - header);
	ASSERT_EQ(strstr(line, "127.0.0.1:41234") - line,
		  strstr(header, "LOCAL") - header);
	ASSERT_EQ(strstr(line, "127.0.0.1:8080") - line,
		  strstr(header, "REMOTE") - header);
	ASSERT_EQ(strstr(line, "CLOSE -> SYN_SENT") - line,
		  strstr(header, "TRANSITION") - header);
}

/* The longest possible line fits the buffer callers are told to use. */
TEST(longest_line_fits_line_max)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];

	ev.family = AF_INET6;
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		  ev.saddr);
	memcpy(ev.daddr, ev.saddr, 16);
	ev.sport = 65535;
	ev.dport = 65535;
	ev.netns = 0xffffffffU;
	ev.sock_id = ~0ULL;
	ev.ts_ns = ~0ULL;
	ev.oldstate = 12;
	ev.newstate = 12;
	ASSERT_LT(0, tcpstate_format_event(line, sizeof(line), &ev, 0));
	ASSERT_NE(NULL, strstr(line, "NEW_SYN_RECV -> NEW_SYN_RECV"));
}

/* Everything before the TRANSITION column of a v4_event() line in UTC. */
#define V4_PREFIX	"12:01:02.123456 4026531840 1a2b3c4d5e6f7a8b " \
			"127.0.0.1:41234       -> 127.0.0.1:8080        "

/* v4_event() turned into @type with the per-type fields cleared. */
static struct tcpstate_event typed_event(unsigned int type)
{
	struct tcpstate_event ev = v4_event();

	ev.type = (__u16)type;
	ev.oldstate = 0;
	ev.newstate = 0;
	return ev;
}

/* Format @ev in UTC against WALL_BASE_NS, as the line tests expect. */
static const char *line_of(const struct tcpstate_event *ev, char *line)
{
	int n;

	use_utc();
	n = tcpstate_format_event(line, TCPSTATE_LINE_MAX, ev, WALL_BASE_NS);
	if (n < 0 || n != (int)strlen(line))
		return "(format failed)";
	return line;
}

/* ABI 2's event types need their names (names.c). */
#define NEED_RST_NAMES() do {						\
	if (!tcpstate_event_type_name(TCPSTATE_EV_RST_SENT) ||		\
	    !tcpstate_reason_name(TCPSTATE_EV_RST_SENT,		\
				  TCPSTATE_RST_NO_SOCKET))		\
		SKIP(return, "names.c has no RST names yet (helper ladder's change)"); \
} while (0)

/* A connection closing on an error says which, by name. */
TEST(close_line_names_the_error)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];

	ev.oldstate = TCPS_SYN_SENT;
	ev.newstate = TCPS_CLOSE;
	ev.valid = TCPSTATE_VALID_ERR;
	ev.err = ECONNREFUSED;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> CLOSE err=ECONNREFUSED",
		     line_of(&ev, line));
	ev.err = ETIMEDOUT;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> CLOSE err=ETIMEDOUT",
		     line_of(&ev, line));
	ev.err = 4000;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> CLOSE err=unknown(4000)",
		     line_of(&ev, line));
	/* 0, or not given: nothing to say. */
	ev.err = 0;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> CLOSE", line_of(&ev, line));
	ev.err = EHOSTUNREACH;
	ev.valid = 0;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> CLOSE", line_of(&ev, line));
}

/* The ISNs, where the kernel gave them, as tcpdump -S prints them. */
TEST(isn_on_handshake_lines)
{
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];

	ev.oldstate = TCPS_SYN_SENT;
	ev.newstate = TCPS_ESTABLISHED;
	ev.valid = TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS |
		   TCPSTATE_VALID_SEQ;
	ev.iss = 4294967295U;
	ev.irs = 12345;
	ev.seq = 1;	/* not shown on a STATE line */
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> ESTABLISHED iss=4294967295 "
		     "irs=12345", line_of(&ev, line));
	ev.valid = TCPSTATE_VALID_ISS;
	ASSERT_STREQ(V4_PREFIX "SYN_SENT -> ESTABLISHED iss=4294967295",
		     line_of(&ev, line));

	ev = typed_event(TCPSTATE_EV_SYN_RECV);
	ev.qlen = 1;
	ev.qmax = 8;
	ev.valid = TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS;
	ev.iss = 7;
	ev.irs = 0;
	ASSERT_STREQ(V4_PREFIX "SYN_RECV qlen=1/8 iss=7 irs=0",
		     line_of(&ev, line));
}

TEST(rst_sent_lines)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_RST_SENT);
	char line[TCPSTATE_LINE_MAX];

	NEED_RST_NAMES();
	/* A closed port knocked on: no socket, no state. */
	ev.sock_id = 0;
	ev.reason = TCPSTATE_RST_NO_SOCKET;
	ev.valid = TCPSTATE_VALID_SEQ;
	ev.seq = 0;
	ev.ack = 1001;
	ASSERT_STREQ("12:01:02.123456 4026531840 0000000000000000 "
		     "127.0.0.1:41234       -> 127.0.0.1:8080        "
		     "RST_SENT no_socket seq=0 ack=1001", line_of(&ev, line));
	/* An abort: the socket's state; no ACK bit, no ack=. */
	ev = typed_event(TCPSTATE_EV_RST_SENT);
	ev.reason = TCPSTATE_RST_ABORT_ON_CLOSE;
	ev.oldstate = TCPS_ESTABLISHED;
	ev.valid = TCPSTATE_VALID_SEQ;
	ev.seq = 3000000000U;
	ASSERT_STREQ(V4_PREFIX "RST_SENT abort_on_close ESTABLISHED "
		     "seq=3000000000", line_of(&ev, line));
	/* A kernel before 6.10 gives no reason; a newer one may give more. */
	ev.reason = TCPSTATE_RST_UNKNOWN;
	ev.valid = 0;
	ASSERT_STREQ(V4_PREFIX "RST_SENT unknown ESTABLISHED",
		     line_of(&ev, line));
	ev.reason = TCPSTATE_NR_RST_REASONS;
	snprintf(line, sizeof(line), "unknown(%u)", TCPSTATE_NR_RST_REASONS);
	ASSERT_NE(NULL, strstr(line_of(&ev, line), line));
}

TEST(rst_received_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_RST_RECEIVED);
	char line[TCPSTATE_LINE_MAX];

	NEED_RST_NAMES();
	ev.oldstate = TCPS_ESTABLISHED;
	ev.valid = TCPSTATE_VALID_ERR;
	ev.err = ECONNRESET;
	ASSERT_STREQ(V4_PREFIX "RST_RECEIVED ESTABLISHED err=ECONNRESET",
		     line_of(&ev, line));
	ev.oldstate = TCPS_SYN_SENT;
	ev.err = ECONNREFUSED;
	ASSERT_STREQ(V4_PREFIX "RST_RECEIVED SYN_SENT err=ECONNREFUSED",
		     line_of(&ev, line));
}

/*
 * --who: PID COMM UID CGROUP before TRANSITION, under their header
 * words; the owner the table attributes, else what the event says.
 */
TEST(who_columns_before_the_transition)
{
	const struct out_opts o = {
		.endpoint_width = TCPSTATE_COL_ENDPOINT,
		.mono_to_real_ns = WALL_BASE_NS,
		.who = 1,
	};
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX], header[TCPSTATE_LINE_MAX];

	use_utc();
	ev.valid = TCPSTATE_VALID_TASK | TCPSTATE_VALID_OWNER;
	ev.tgid = 31337;
	ev.pid = 31338;
	ev.uid = 0;
	ev.cgroup_id = ~0ULL - 1;	/* no path: the id */
	memcpy(ev.comm, "curl", 5);
	ASSERT_LT(0, out_event_text(line, sizeof(line), &ev, &o));
	ASSERT_STREQ(V4_PREFIX "31337   curl            0     "
		     "18446744073709551614     CLOSE -> SYN_SENT", line);
	ASSERT_LT(0, out_event_header(header, sizeof(header), &o));
	ASSERT_EQ(strstr(line, "31337") - line, strstr(header, "PID") - header);
	ASSERT_EQ(strstr(line, "curl") - line, strstr(header, "COMM") - header);
	ASSERT_EQ(strstr(line, "CLOSE") - line,
		  strstr(header, "TRANSITION") - header);
	/* Softirq, no owner: dashes. */
	ev.valid = 0;
	ASSERT_LT(0, out_event_text(line, sizeof(line), &ev, &o));
	ASSERT_STREQ(V4_PREFIX "-       -               -     "
		     "-                        CLOSE -> SYN_SENT", line);
}

/* The longest --who line with every number still fits. */
TEST(longest_who_line_fits_line_max)
{
	const struct out_opts o = {
		.endpoint_width = TCPSTATE_COL_ENDPOINT_WIDE, .who = 1,
	};
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_RST_SENT);
	char line[TCPSTATE_LINE_MAX];

	NEED_RST_NAMES();
	ev.family = AF_INET6;
	memset(ev.saddr, 0xff, 16);
	memset(ev.daddr, 0xff, 16);
	ev.sport = ev.dport = 65535;
	ev.netns = ~0U;
	ev.ts_ns = ~0ULL;
	ev.reason = TCPSTATE_RST_DISCONNECT_WITH_DATA;
	ev.oldstate = TCPS_NEW_SYN_RECV;
	ev.valid = 0xffff;
	ev.err = 65535;
	ev.seq = ev.ack = ev.iss = ev.irs = ~0U;
	ev.tgid = ev.uid = ~0U;
	ev.cgroup_id = ~0ULL;
	memset(ev.comm, 'x', sizeof(ev.comm));
	ASSERT_LT(0, out_event_text(line, sizeof(line), &ev, &o));
	ASSERT_NE(NULL, strstr(line, " irs=4294967295"));
}

TEST(syn_recv_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYN_RECV);
	char line[TCPSTATE_LINE_MAX];

	ev.qlen = 3;
	ev.qmax = 128;
	ev.peer_id = 0x99;	/* the listener: not shown */
	ASSERT_STREQ(V4_PREFIX "SYN_RECV qlen=3/128", line_of(&ev, line));
}

TEST(syn_recv_end_completed_names_the_child)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYN_RECV_END);
	char line[TCPSTATE_LINE_MAX];

	ev.reason = TCPSTATE_SRE_COMPLETED;
	ev.count = 0;
	ev.qlen = 2;
	ev.peer_id = 0xc41d;
	ASSERT_STREQ(V4_PREFIX "SYN_RECV_END completed retrans=0 qlen=2 "
		     "child=000000000000c41d", line_of(&ev, line));
}

/* Otherwise peer_id is the listener, which LOCAL already shows. */
TEST(syn_recv_end_other_reasons)
{
	static const struct {
		unsigned int reason;
		const char *want;
	} cases[] = {
		{ TCPSTATE_SRE_EXPIRED,
		  V4_PREFIX "SYN_RECV_END expired retrans=5 qlen=7" },
		{ TCPSTATE_SRE_DROPPED,
		  V4_PREFIX "SYN_RECV_END dropped retrans=5 qlen=7" },
		{ TCPSTATE_SRE_LISTENER_CLOSED,
		  V4_PREFIX "SYN_RECV_END listener_closed retrans=5 qlen=7" },
		{ TCPSTATE_SRE_MIGRATED,
		  V4_PREFIX "SYN_RECV_END migrated retrans=5 qlen=7" },
		{ 0, V4_PREFIX "SYN_RECV_END unknown(0) retrans=5 qlen=7" },
		{ 6, V4_PREFIX "SYN_RECV_END unknown(6) retrans=5 qlen=7" },
		{ 255, V4_PREFIX "SYN_RECV_END unknown(255) retrans=5 qlen=7" },
	};
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYN_RECV_END);
	char line[TCPSTATE_LINE_MAX];
	unsigned int i;

	ev.count = 5;
	ev.qlen = 7;
	ev.peer_id = 0x99;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ev.reason = (__u8)cases[i].reason;
		ASSERT_STREQ(cases[i].want, line_of(&ev, line));
	}
}

TEST(synack_retrans_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYNACK_RETRANS);
	char line[TCPSTATE_LINE_MAX];

	ev.count = 2;
	ASSERT_STREQ(V4_PREFIX "SYNACK_RETRANS #2", line_of(&ev, line));
}

TEST(accept_queued_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_ACCEPT_QUEUED);
	char line[TCPSTATE_LINE_MAX];

	ev.qlen = 1;
	ev.qmax = 1;
	ASSERT_STREQ(V4_PREFIX "ACCEPT_QUEUED qlen=1/1", line_of(&ev, line));
}

TEST(ack_drop_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_ACK_DROP);
	char line[TCPSTATE_LINE_MAX];

	ev.reason = TCPSTATE_DROP_ACCEPT_QUEUE_FULL;
	ev.qlen = 1;
	ev.qmax = 1;
	ASSERT_STREQ(V4_PREFIX "ACK_DROP accept_queue_full qlen=1/1",
		     line_of(&ev, line));
	ev.reason = TCPSTATE_DROP_OTHER;
	ev.qlen = 0;
	ASSERT_STREQ(V4_PREFIX "ACK_DROP other qlen=0/1", line_of(&ev, line));
	ev.reason = 4;
	ASSERT_STREQ(V4_PREFIX "ACK_DROP unknown(4) qlen=0/1",
		     line_of(&ev, line));
}

/* No socket exists for a dropped SYN: the SKID column shows zeros. */
TEST(syn_drop_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYN_DROP);
	char line[TCPSTATE_LINE_MAX];

	ev.sock_id = 0;
	ev.reason = TCPSTATE_DROP_SYN_QUEUE_FULL;
	ev.qlen = 128;
	ev.qmax = 128;
	ASSERT_STREQ("12:01:02.123456 4026531840 0000000000000000 "
		     "127.0.0.1:41234       -> 127.0.0.1:8080        "
		     "SYN_DROP syn_queue_full qlen=128/128",
		     line_of(&ev, line));
	ev.reason = TCPSTATE_DROP_ACCEPT_QUEUE_FULL;
	ev.qlen = 4;
	ev.qmax = 4;
	ASSERT_NE(NULL, strstr(line_of(&ev, line),
			       " SYN_DROP accept_queue_full qlen=4/4"));
	ev.reason = 0;
	ASSERT_NE(NULL, strstr(line_of(&ev, line),
			       " SYN_DROP unknown(0) qlen=4/4"));
}

TEST(syncookie_sent_line)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_SYNCOOKIE_SENT);
	char line[TCPSTATE_LINE_MAX];

	ev.sock_id = 0;
	ev.peer_id = 0x99;
	ASSERT_STREQ("12:01:02.123456 4026531840 0000000000000000 "
		     "127.0.0.1:41234       -> 127.0.0.1:8080        "
		     "SYNCOOKIE_SENT", line_of(&ev, line));
}

TEST(timewait_line_names_the_full_socket)
{
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_TIMEWAIT);
	char line[TCPSTATE_LINE_MAX];

	ev.oldstate = TCPS_FIN_WAIT2;
	ev.newstate = TCPS_TIME_WAIT;
	ev.peer_id = 0xfeedfacecafebeefULL;
	ASSERT_STREQ(V4_PREFIX "TIMEWAIT FIN_WAIT2 -> TIME_WAIT "
		     "from=feedfacecafebeef", line_of(&ev, line));

	/* An orphaned socket's timewait sock stays in FIN_WAIT2. */
	ev.oldstate = TCPS_FIN_WAIT1;
	ev.newstate = TCPS_FIN_WAIT2;
	ASSERT_STREQ(V4_PREFIX "TIMEWAIT FIN_WAIT1 -> FIN_WAIT2 "
		     "from=feedfacecafebeef", line_of(&ev, line));

	ev.oldstate = 0;
	ev.newstate = 200;
	ASSERT_STREQ(V4_PREFIX "TIMEWAIT UNKNOWN -> UNKNOWN "
		     "from=feedfacecafebeef", line_of(&ev, line));
}

TEST(timewait_end_line)
{
	static const struct {
		unsigned int reason, substate;
		const char *want;
	} cases[] = {
		{ TCPSTATE_TWE_EXPIRED, 6,
		  V4_PREFIX "TIMEWAIT_END expired TIME_WAIT" },
		{ TCPSTATE_TWE_REUSED, 6,
		  V4_PREFIX "TIMEWAIT_END reused TIME_WAIT" },
		{ TCPSTATE_TWE_RST, 5,
		  V4_PREFIX "TIMEWAIT_END rst FIN_WAIT2" },
		{ TCPSTATE_TWE_NETNS_EXIT, 6,
		  V4_PREFIX "TIMEWAIT_END netns_exit TIME_WAIT" },
		{ 5, 6, V4_PREFIX "TIMEWAIT_END unknown(5) TIME_WAIT" },
		{ 0, 0, V4_PREFIX "TIMEWAIT_END unknown(0) UNKNOWN" },
	};
	struct tcpstate_event ev = typed_event(TCPSTATE_EV_TIMEWAIT_END);
	char line[TCPSTATE_LINE_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ev.reason = (__u8)cases[i].reason;
		ev.newstate = (__u8)cases[i].substate;
		ASSERT_STREQ(cases[i].want, line_of(&ev, line));
	}
}

/* The new types fill in the gaps; 0 and the first number after them
 * are still "type=N".
 */
TEST(types_around_the_known_ones_print_type_number)
{
	struct tcpstate_event ev = typed_event(0);
	char line[TCPSTATE_LINE_MAX];

	ASSERT_STREQ(V4_PREFIX "type=0", line_of(&ev, line));
	ev.type = TCPSTATE_EV_RST_RECEIVED + 1;
	ASSERT_STREQ(V4_PREFIX "type=14", line_of(&ev, line));
	ev.type = 65535;
	ASSERT_STREQ(V4_PREFIX "type=65535", line_of(&ev, line));
}

/*
 * selftests/watch_matches_tracefs.sh takes a line for a state change when
 * awk's $5 and $8 are "->". No other type may look like one, whatever its
 * fields hold, or the VM test would count it.
 */
TEST(only_state_lines_have_the_state_shape)
{
	struct tcpstate_event ev;
	char line[TCPSTATE_LINE_MAX], *field[16], *save, *tok;
	unsigned int type, nf;

	for (type = 0; type <= 12; type++) {
		ev = typed_event(type);
		ev.oldstate = 1;
		ev.newstate = 8;
		ev.reason = 1;
		ev.qlen = 1;
		ev.qmax = 2;
		ev.count = 3;
		ev.peer_id = 4;
		line_of(&ev, line);
		nf = 0;
		for (tok = strtok_r(line, " ", &save); tok && nf < 16;
		     tok = strtok_r(NULL, " ", &save))
			field[nf++] = tok;
		ASSERT_LE(6, nf);
		ASSERT_STREQ("->", field[4]);
		ASSERT_EQ(type == TCPSTATE_EV_STATE,
			  nf >= 8 && !strcmp(field[7], "->"))
			TH_LOG("type %u", type);
	}
}

/* Every type with every field at its widest still fits TCPSTATE_LINE_MAX
 * whole: the description is the end of the line, so truncation would cut
 * what matters most.
 */
TEST(longest_line_of_every_type_fits)
{
	static const char *const tails[] = {
		[TCPSTATE_EV_STATE] = " NEW_SYN_RECV -> NEW_SYN_RECV",
		[TCPSTATE_EV_SYN_RECV] = " SYN_RECV qlen=4294967295/4294967295",
		[TCPSTATE_EV_SYN_RECV_END] = " SYN_RECV_END completed retrans=4294967295 qlen=4294967295 child=ffffffffffffffff",
		[TCPSTATE_EV_SYNACK_RETRANS] = " SYNACK_RETRANS #4294967295",
		[TCPSTATE_EV_ACCEPT_QUEUED] = " ACCEPT_QUEUED qlen=4294967295/4294967295",
		[TCPSTATE_EV_ACK_DROP] = " ACK_DROP accept_queue_full qlen=4294967295/4294967295",
		[TCPSTATE_EV_SYN_DROP] = " SYN_DROP accept_queue_full qlen=4294967295/4294967295",
		[TCPSTATE_EV_SYNCOOKIE_SENT] = " SYNCOOKIE_SENT",
		[TCPSTATE_EV_TIMEWAIT] = " TIMEWAIT NEW_SYN_RECV -> NEW_SYN_RECV from=ffffffffffffffff",
		[TCPSTATE_EV_TIMEWAIT_END] = " TIMEWAIT_END netns_exit NEW_SYN_RECV",
		[TCPSTATE_EV_TIMEWAIT_SUBSTATE] = " TIMEWAIT_SUBSTATE NEW_SYN_RECV -> NEW_SYN_RECV",
	};
	struct tcpstate_event ev = v4_event();
	char line[TCPSTATE_LINE_MAX];
	unsigned int type;
	size_t n;
	int len;

	ev.family = AF_INET6;
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		  ev.saddr);
	memcpy(ev.daddr, ev.saddr, 16);
	ev.sport = 65535;
	ev.dport = 65535;
	ev.netns = 0xffffffffU;
	ev.sock_id = ~0ULL;
	ev.peer_id = ~0ULL;
	ev.ts_ns = ~0ULL;
	ev.oldstate = 12;
	ev.newstate = 12;
	ev.qlen = UINT_MAX;
	ev.qmax = UINT_MAX;
	ev.count = UINT_MAX;

	for (type = TCPSTATE_EV_STATE; type < ARRAY_SIZE(tails); type++) {
		ev.type = (__u16)type;
		/* The longest reason name of the type's enum. */
		switch (type) {
		case TCPSTATE_EV_SYN_RECV_END:
			ev.reason = TCPSTATE_SRE_COMPLETED;
			break;
		case TCPSTATE_EV_TIMEWAIT_END:
			ev.reason = TCPSTATE_TWE_NETNS_EXIT;
			break;
		default:
			ev.reason = TCPSTATE_DROP_ACCEPT_QUEUE_FULL;
			break;
		}
		len = tcpstate_format_event(line, sizeof(line), &ev, 0);
		ASSERT_LT(0, len) TH_LOG("type %u", type);
		n = strlen(tails[type]);
		ASSERT_LE(n, (size_t)len);
		ASSERT_STREQ(tails[type], line + len - n);
	}
	/* unknown(255) with the widest numbers, for each reason enum. */
	ev.reason = 255;
	ev.type = TCPSTATE_EV_SYN_RECV_END;
	ASSERT_LT(0, tcpstate_format_event(line, sizeof(line), &ev, 0));
	ASSERT_NE(NULL, strstr(line, " SYN_RECV_END unknown(255) retrans=4294967295 qlen=4294967295"));
	ev.type = TCPSTATE_EV_SYN_DROP;
	ASSERT_LT(0, tcpstate_format_event(line, sizeof(line), &ev, 0));
	ASSERT_NE(NULL, strstr(line, " SYN_DROP unknown(255) qlen="));
	ev.type = TCPSTATE_EV_TIMEWAIT_END;
	ASSERT_LT(0, tcpstate_format_event(line, sizeof(line), &ev, 0));
	ASSERT_NE(NULL, strstr(line, " TIMEWAIT_END unknown(255) NEW_SYN_RECV"));
}

TEST_HARNESS_MAIN
