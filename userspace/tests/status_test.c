// SPDX-License-Identifier: GPL-2.0
/*
 * The -i status line (status.c): gauges, rates over the time that really
 * elapsed, counters that went down, and a too small buffer.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "status.h"

static void counters_at(struct tcpstate_counters *c, __u64 base)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->netns = 4026531840U;
	c->nr = TCPSTATE_NR_COUNTERS;
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		c->value[i] = base;
	/* Nothing missed: status_line_when_probes_were_missed sets it. */
	c->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = 0;
}

TEST(status_line)
{
	struct tcpstate_counters prev, now;
	char line[STATUS_LINE_MAX];

	counters_at(&prev, 1000);
	counters_at(&now, 1000);
	now.value[TCPSTATE_C_SYN_RECV] = 12;
	now.value[TCPSTATE_C_TIME_WAIT] = 2000;
	now.value[TCPSTATE_C_SYN_QUEUE_ADDED] += 35;
	now.value[TCPSTATE_C_TIMEWAIT_CREATED] += 120;
	now.value[TCPSTATE_C_ACCEPT_OVERFLOWS] += 4;
	now.value[TCPSTATE_C_RING_DROPS] += 0;
	ASSERT_LT(0, tcpstate_format_status(line, sizeof(line), &prev, &now,
					    1000000000ULL));
	ASSERT_STREQ("netns 4026531840 SYN_RECV 12 TIME_WAIT 2000 | "
		     "+35.0 syn/s +120.0 tw/s, 4 overflows, 0 ring drops", line);

	/* Rates are per second of the time that really elapsed; the counts
	 * are for the whole interval.
	 */
	now.value[TCPSTATE_C_SYN_QUEUE_ADDED] = 1003;
	now.value[TCPSTATE_C_TIMEWAIT_CREATED] = 1001;
	now.value[TCPSTATE_C_RING_DROPS] = 1007;
	tcpstate_format_status(line, sizeof(line), &prev, &now, 2000000000ULL);
	ASSERT_STREQ("netns 4026531840 SYN_RECV 12 TIME_WAIT 2000 | "
		     "+1.5 syn/s +0.5 tw/s, 4 overflows, 7 ring drops", line);
}

TEST(status_line_edge_cases)
{
	struct tcpstate_counters prev, now;
	char line[STATUS_LINE_MAX];

	/* No time elapsed: no rate, rather than a division by zero. */
	counters_at(&prev, 5);
	counters_at(&now, 9);
	tcpstate_format_status(line, sizeof(line), &prev, &now, 0);
	ASSERT_STREQ("netns 4026531840 SYN_RECV 9 TIME_WAIT 9 | "
		     "+0.0 syn/s +0.0 tw/s, 4 overflows, 4 ring drops", line);

	/* A counter that went down counts as no change, not 2^64 - 4. */
	tcpstate_format_status(line, sizeof(line), &now, &prev, 1000000000ULL);
	ASSERT_STREQ("netns 4026531840 SYN_RECV 5 TIME_WAIT 5 | "
		     "+0.0 syn/s +0.0 tw/s, 0 overflows, 0 ring drops", line);

	/* The widest line fits a STATUS_LINE_MAX buffer. */
	counters_at(&prev, 0);
	counters_at(&now, ~0ULL);
	now.netns = 0xffffffffU;
	ASSERT_LT(0, tcpstate_format_status(line, sizeof(line), &prev, &now, 1));
	ASSERT_NE(NULL, strstr(line, ", 18446744073709551615 ring drops"));

	ASSERT_EQ(-ENOSPC, tcpstate_format_status(line, 16, &prev, &now, 1));
	ASSERT_EQ('\0', line[15]);
}

/* Missed probes end every line, and only then; older modules: never. */
TEST(status_line_when_probes_were_missed)
{
	struct tcpstate_counters prev, now;
	char line[STATUS_LINE_MAX];

	counters_at(&prev, 1000);
	counters_at(&now, 1000);
	now.value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = 3;
	ASSERT_LT(0, tcpstate_format_status(line, sizeof(line), &prev, &now,
					    1000000000ULL));
	ASSERT_STREQ("netns 4026531840 SYN_RECV 1000 TIME_WAIT 1000 | "
		     "+0.0 syn/s +0.0 tw/s, 0 overflows, 0 ring drops | "
		     "GAUGES INEXACT: 3 probes missed (--reseed)", line);
	ASSERT_EQ(3, counters_missed_since_seed(&now));
	now.nr = TCPSTATE_C_PROBES_MISSED_SINCE_SEED;
	ASSERT_EQ(0, counters_missed_since_seed(&now));
	tcpstate_format_status(line, sizeof(line), &prev, &now, 1000000000ULL);
	ASSERT_EQ(NULL, strstr(line, "GAUGES"));

	/* The widest line still fits. */
	counters_at(&prev, 0);
	counters_at(&now, ~0ULL);
	now.value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = ~0ULL;
	now.netns = 0xffffffffU;
	ASSERT_LT(0, tcpstate_format_status(line, sizeof(line), &prev, &now, 1));
	ASSERT_NE(NULL, strstr(line, "GAUGES INEXACT: 18446744073709551615 probes missed (--reseed)"));
}

TEST(missed_warning_names_the_remedy)
{
	char line[MISSED_LINE_MAX];

	ASSERT_LT(0, tcpstate_format_missed(line, sizeof(line), 12));
	ASSERT_STREQ("12 probes missed since the gauges were counted: "
		     "SYN_RECV and TIME_WAIT may be inexact; "
		     "'tcpstate-watch --reseed' counts them again", line);
	ASSERT_LT(0, tcpstate_format_missed(line, sizeof(line), ~0ULL));
	ASSERT_EQ(-ENOSPC, tcpstate_format_missed(line, 16, 12));
}

TEST_HARNESS_MAIN
