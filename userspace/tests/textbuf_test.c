// SPDX-License-Identifier: GPL-2.0
/*
 * The pieces the outputs are built of (textbuf.c): endpoints and
 * addresses exactly as inet_ntop() writes them, wall-clock times, the
 * clock offset behind them, and what a too small buffer gets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "clock.h"
#include "textbuf.h"

/* 2024-01-02 12:01:02 UTC, as a realtime - monotonic offset from ts 0. */
#define WALL_BASE_NS	(1704196862LL * 1000000000LL)

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
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

/* The address alone (JSON's laddr/raddr), as inet_ntop() writes it. */
TEST(address_alone_matches_inet_ntop)
{
	static const struct {
		int family;
		const char *text;
	} cases[] = {
		{ AF_INET, "0.0.0.0" },
		{ AF_INET, "10.0.0.1" },
		{ AF_INET, "255.255.255.255" },
		{ AF_INET6, "2001:db8::1" },
		{ AF_INET6, "::ffff:10.0.0.1" },
	};
	char buf[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	__u8 addr[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(addr, 0, sizeof(addr));
		ASSERT_EQ(1, inet_pton(cases[i].family, cases[i].text, addr));
		ASSERT_NE(NULL, inet_ntop(cases[i].family, addr, want,
					  sizeof(want)));
		ASSERT_EQ((int)strlen(want),
			  tcpstate_format_addr(buf, sizeof(buf),
					       cases[i].family, addr));
		ASSERT_STREQ(want, buf);
	}
	/* Another family has no address: an error and an empty string. */
	ASSERT_EQ(-EAFNOSUPPORT, tcpstate_format_addr(buf, sizeof(buf), 99,
						      addr));
	ASSERT_STREQ("", buf);
	/* "255.255.255.255" needs 16 bytes with its NUL. */
	memset(addr, 0xff, 4);
	ASSERT_EQ(-ENOSPC, tcpstate_format_addr(buf, 15, AF_INET, addr));
	ASSERT_EQ(-ENOSPC, tcpstate_format_addr(buf, 0, AF_INET, addr));
}

/*
 * IPv6 is formatted by hand: it must be inet_ntop()'s text for every
 * shape of zero runs (none, one group, ties, leading, trailing, all) and
 * both embedded-IPv4 forms. Groups are 0 half the time, so every shape
 * comes up; the seed is fixed.
 */
TEST(ipv6_matches_inet_ntop)
{
	static const char *const edges[] = {
		"::", "::1", "1::", "::ffff:0.0.0.0", "::ffff:1.2.3.4",
		"::1.2.3.4", "::0.0.0.2", "0:0:1::", "1:0:0:1:0:0:1:1",
		"1:0:1:0:1:0:1:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:1:2", "0:0:0:0:0:fffe:1.2.3.4", "1:2:3:4:5:6:7:0",
	};
	char buf[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	unsigned int seed = 6, i, g, mismatches = 0;
	__u8 addr[16];

	for (i = 0; i < ARRAY_SIZE(edges) + 200000; i++) {
		if (i < ARRAY_SIZE(edges)) {
			ASSERT_EQ(1, inet_pton(AF_INET6, edges[i], addr));
		} else {
			for (g = 0; g < 8; g++) {
				unsigned int r = (unsigned int)rand_r(&seed);
				unsigned int w = r & 1 ? 0 : r >> 8 & 0xffff;

				/* Now and then the v4-mapped prefix. */
				if (g == 5 && (r >> 4 & 7) == 0)
					w = 0xffff;
				addr[2 * g] = (__u8)(w >> 8);
				addr[2 * g + 1] = (__u8)w;
			}
		}
		ASSERT_NE(NULL, inet_ntop(AF_INET6, addr, want, sizeof(want)));
		ASSERT_EQ((int)strlen(want),
			  tcpstate_format_addr(buf, sizeof(buf), AF_INET6,
					       addr));
		if (strcmp(want, buf) && mismatches++ < 5)
			TH_LOG("inet_ntop %s, tcpstate %s", want, buf);
	}
	ASSERT_EQ(0, mismatches);
}

/*
 * IPv4 comes from a table of octet texts: every octet in every place, as
 * inet_ntop() writes it, alone and in an endpoint (one copy of both).
 */
TEST(ipv4_every_octet_matches_inet_ntop)
{
	char buf[64], want[INET6_ADDRSTRLEN], want_ep[64];
	unsigned int v, place;
	__u8 addr[16];

	for (v = 0; v < 256; v++) {
		for (place = 0; place < 4; place++) {
			memset(addr, 0, sizeof(addr));
			addr[0] = 1;
			addr[3] = 254;
			addr[place] = (__u8)v;
			ASSERT_NE(NULL, inet_ntop(AF_INET, addr, want,
						  sizeof(want)));
			ASSERT_EQ((int)strlen(want),
				  tcpstate_format_addr(buf, sizeof(buf),
						       AF_INET, addr));
			ASSERT_STREQ(want, buf);
			snprintf(want_ep, sizeof(want_ep), "%s:%u", want,
				 v * 257);
			ASSERT_EQ((int)strlen(want_ep),
				  tcpstate_format_endpoint(buf, sizeof(buf),
							   AF_INET, addr,
							   v * 257));
			ASSERT_STREQ(want_ep, buf);
		}
	}
	/* A port past 16 bits, as the API lets through, is printed whole. */
	memset(addr, 0xff, 4);
	ASSERT_EQ((int)strlen("255.255.255.255:4294967295"),
		  tcpstate_format_endpoint(buf, sizeof(buf), AF_INET, addr,
					   4294967295U));
	ASSERT_STREQ("255.255.255.255:4294967295", buf);
}

/*
 * Decimal digits come two at a time from a table, 64-bit divisions only
 * past 32 bits: every width, its edges (10^k - 1, 10^k, 2^32 +- 1), and
 * numbers of every size, as "%llu".
 */
TEST(decimal_matches_printf)
{
	char buf[64], want[32];
	unsigned long long v, p10 = 1;
	unsigned int seed = 18, i;
	struct textbuf tb;

	for (i = 0; i < 300000; i++) {
		if (i < 20 * 3) {
			v = p10 + i % 3 - 1;	/* 10^k - 1, 10^k, 10^k + 1 */
			if (i % 3 == 2)
				p10 *= 10;
		} else if (i < 20 * 3 + 4) {
			v = (1ULL << 32) - 2 + (i - 60);
		} else if (i == 20 * 3 + 4) {
			v = ~0ULL;
		} else {
			v = (unsigned long long)rand_r(&seed) << 32 |
			    (unsigned int)rand_r(&seed);
			v >>= (unsigned int)rand_r(&seed) % 64;
		}
		snprintf(want, sizeof(want), "%llu", v);
		tb_init(&tb, buf, sizeof(buf));
		tb_dec(&tb, v);
		ASSERT_EQ((int)strlen(want), tb_end(&tb));
		ASSERT_STREQ(want, buf);
	}
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
	unsigned int usec;
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

	/* Every microsecond's digits (two at a time), as "%06u". */
	for (usec = 0; usec < 1000000; usec++) {
		char want[8];

		tcpstate_format_time(buf, sizeof(buf), usec * 1000ULL + 999,
				     WALL_BASE_NS);
		snprintf(want, sizeof(want), "%06u", usec);
		ASSERT_STREQ(want, buf + 9);
	}
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

TEST_HARNESS_MAIN
