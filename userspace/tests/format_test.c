// SPDX-License-Identifier: GPL-2.0
/*
 * The text form of events: endpoints, times, transitions and the column
 * layout tcpstate-watch prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "format.h"
#include "ring_reader.h"

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
	ev.oldstate = 7;	/* CLOSE */
	ev.newstate = 2;	/* SYN_SENT */
	return ev;
}

TEST(ipv4_endpoint)
{
	__u8 addr[16] = { 0 };
	char buf[64];

	inet_pton(AF_INET, "192.168.10.200", addr);
	ASSERT_EQ((int)strlen("192.168.10.200:443"),
		  tcpstate_format_endpoint(buf, sizeof(buf), AF_INET, addr, 443));
	ASSERT_STREQ("192.168.10.200:443", buf);

	inet_pton(AF_INET, "255.255.255.255", addr);
	tcpstate_format_endpoint(buf, sizeof(buf), AF_INET, addr, 65535);
	ASSERT_STREQ("255.255.255.255:65535", buf);
	ASSERT_EQ(TCPSTATE_COL_ENDPOINT, (int)strlen(buf));
}

TEST(ipv6_endpoint_is_bracketed)
{
	__u8 addr[16];
	char buf[64];

	inet_pton(AF_INET6, "2001:db8::1", addr);
	tcpstate_format_endpoint(buf, sizeof(buf), AF_INET6, addr, 8080);
	ASSERT_STREQ("[2001:db8::1]:8080", buf);

	inet_pton(AF_INET6, "::1", addr);
	tcpstate_format_endpoint(buf, sizeof(buf), AF_INET6, addr, 0);
	ASSERT_STREQ("[::1]:0", buf);

	inet_pton(AF_INET6, "::ffff:10.0.0.1", addr);
	tcpstate_format_endpoint(buf, sizeof(buf), AF_INET6, addr, 22);
	ASSERT_STREQ("[::ffff:10.0.0.1]:22", buf);
}

TEST(unknown_family_is_shown)
{
	__u8 addr[16] = { 1, 2, 3, 4 };
	char buf[64];

	tcpstate_format_endpoint(buf, sizeof(buf), 99, addr, 80);
	ASSERT_STREQ("family=99", buf);
}

TEST(too_small_buffer_is_enospc)
{
	__u8 addr[16] = { 127, 0, 0, 1 };
	char buf[8];

	ASSERT_EQ(-ENOSPC,
		  tcpstate_format_endpoint(buf, sizeof(buf), AF_INET, addr, 80));
	ASSERT_EQ('\0', buf[sizeof(buf) - 1]);
}

TEST(time_is_wall_clock_with_microseconds)
{
	char buf[32];

	use_utc();
	ASSERT_EQ(15, tcpstate_format_time(buf, sizeof(buf), 123456789ULL,
					   WALL_BASE_NS));
	ASSERT_STREQ("12:01:02.123456", buf);

	/* Carrying into the seconds. */
	tcpstate_format_time(buf, sizeof(buf), 3999999999ULL, WALL_BASE_NS);
	ASSERT_STREQ("12:01:05.999999", buf);

	/* A negative offset (monotonic ahead of realtime) works too. */
	tcpstate_format_time(buf, sizeof(buf), WALL_BASE_NS + 2000001000ULL,
			     -WALL_BASE_NS);
	ASSERT_STREQ("00:00:02.000001", buf);
}

TEST(mono_to_real_offset_matches_the_clocks)
{
	struct timespec mono, real;
	__s64 off = tcpstate_mono_to_real_ns();
	__s64 diff;

	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &mono));
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &real));
	diff = (__s64)real.tv_sec * 1000000000LL + real.tv_nsec -
	       ((__s64)mono.tv_sec * 1000000000LL + mono.tv_nsec) - off;
	/* Generous: only scheduling noise separates the two measurements. */
	ASSERT_LT(llabs(diff), 100000000LL);
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
	ev.oldstate = 1;	/* ESTABLISHED */
	ev.newstate = 8;	/* CLOSE_WAIT */
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

TEST_HARNESS_MAIN
