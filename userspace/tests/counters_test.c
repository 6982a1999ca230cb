// SPDX-License-Identifier: GPL-2.0
/*
 * The counter names against enum tcpstate_counter and the names
 * /proc/net/tcpstate prints (the enum names in lower case without
 * TCPSTATE_C_), and tcpstate_counters_read()'s errors.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "names.h"
#include "ring_reader.h"

/* Each enum value with its own name, spelled by the preprocessor. */
#define C(name)	{ TCPSTATE_C_##name, #name }
static const struct {
	unsigned int idx;
	const char *enum_name;
} enum_counters[] = {
	C(SYN_RECV),
	C(TIME_WAIT),
	C(SYN_QUEUE_ADDED),
	C(SYN_QUEUE_COMPLETED),
	C(SYN_QUEUE_EXPIRED),
	C(SYN_QUEUE_DROPPED),
	C(SYN_QUEUE_MIGRATED),
	C(SYNACK_RETRANS),
	C(ACCEPT_QUEUED),
	C(ACCEPT_OVERFLOWS),
	C(LISTEN_DROPS),
	C(SYN_QUEUE_FULL_DROPS),
	C(SYNCOOKIES_SENT),
	C(TIMEWAIT_CREATED),
	C(TIMEWAIT_EXPIRED),
	C(TIMEWAIT_ENDED_EARLY),
	C(RING_DROPS),
	C(PROBES_MISSED),
	C(PROBES_MISSED_SINCE_SEED),
	C(RSTS_SENT),
	C(RSTS_RECEIVED),
	C(RSTS_NO_SOCKET),
};
#undef C

/* What /proc/net/tcpstate prints, in enum order, written out. */
static const char *const proc_names[] = {
	"syn_recv",
	"time_wait",
	"syn_queue_added",
	"syn_queue_completed",
	"syn_queue_expired",
	"syn_queue_dropped",
	"syn_queue_migrated",
	"synack_retrans",
	"accept_queued",
	"accept_overflows",
	"listen_drops",
	"syn_queue_full_drops",
	"syncookies_sent",
	"timewait_created",
	"timewait_expired",
	"timewait_ended_early",
	"ring_drops",
	"probes_missed",
	"probes_missed_since_seed",
	"rsts_sent",
	"rsts_received",
	"rsts_no_socket",
};

/* A counter added to the header must be added here too, and named. */
TEST(tables_cover_the_enum)
{
	ASSERT_EQ(TCPSTATE_NR_COUNTERS, ARRAY_SIZE(enum_counters));
	ASSERT_EQ(TCPSTATE_NR_COUNTERS, ARRAY_SIZE(proc_names));
	ASSERT_LE(TCPSTATE_NR_COUNTERS, TCPSTATE_MAX_COUNTERS);
	ASSERT_EQ(TCPSTATE_COUNTERS_SIZE, sizeof(struct tcpstate_counters));
}

TEST(names_are_the_enum_names_in_lower_case)
{
	char want[64];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(enum_counters); i++) {
		const char *name = enum_counters[i].enum_name;

		ASSERT_LT(strlen(name), sizeof(want));
		for (j = 0; name[j]; j++)
			want[j] = (char)tolower((unsigned char)name[j]);
		want[j] = '\0';
		ASSERT_NE(NULL, tcpstate_counter_name(enum_counters[i].idx))
			TH_LOG("TCPSTATE_C_%s has no name", name);
		ASSERT_STREQ(want, tcpstate_counter_name(enum_counters[i].idx));
	}
}

TEST(names_match_proc_net_tcpstate)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proc_names); i++)
		ASSERT_STREQ(proc_names[i], tcpstate_counter_name(i));
}

/* "name value" lines split on the first space: names must have none. */
TEST(names_are_distinct_words)
{
	const char *a, *p;
	unsigned int i, j;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++) {
		a = tcpstate_counter_name(i);
		ASSERT_NE(NULL, a);
		ASSERT_NE('\0', a[0]);
		for (p = a; *p; p++)
			ASSERT_TRUE((*p >= 'a' && *p <= 'z') || *p == '_')
				TH_LOG("'%s'", a);
		for (j = i + 1; j < TCPSTATE_NR_COUNTERS; j++)
			ASSERT_STRNE(a, tcpstate_counter_name(j));
	}
}

TEST(no_name_beyond_the_enum)
{
	ASSERT_EQ(NULL, tcpstate_counter_name(TCPSTATE_NR_COUNTERS));
	ASSERT_EQ(NULL, tcpstate_counter_name(TCPSTATE_NR_COUNTERS + 1));
	ASSERT_EQ(NULL, tcpstate_counter_name(TCPSTATE_MAX_COUNTERS));
	ASSERT_EQ(NULL, tcpstate_counter_name(UINT_MAX));
}

/* What an old module, or no tcpstate device at all, answers. */
TEST(read_on_another_device_is_enotty)
{
	struct tcpstate_counters c;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	memset(&c, 0xa5, sizeof(c));
	ASSERT_EQ(-ENOTTY, tcpstate_counters_read(fd, &c));
	/* No stale bytes survive a failed read. */
	ASSERT_EQ(0, c.nr);
	ASSERT_EQ(0, c.value[0]);
	close(fd);
}

TEST(read_on_a_bad_fd_is_ebadf)
{
	struct tcpstate_counters c;

	ASSERT_EQ(-EBADF, tcpstate_counters_read(-1, &c));
}

TEST_HARNESS_MAIN
