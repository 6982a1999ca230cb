// SPDX-License-Identifier: GPL-2.0
/*
 * The names table (names.c): tcpstate_state_name() against the kernel's
 * TCP state numbers (include/net/tcp_states.h) and the names ss and the
 * sock:inet_sock_set_state tracepoint use; the event type and reason
 * names against module/uapi/tcpstate.h, NULL outside each enum. The
 * counter names are counters_test's.
 */
#include <errno.h>
#include <limits.h>

#include "kselftest_harness.h"
#include "names.h"

static const struct {
	unsigned int state;
	const char *name;
} kernel_states[] = {
	{ 1, "ESTABLISHED" },
	{ 2, "SYN_SENT" },
	{ 3, "SYN_RECV" },
	{ 4, "FIN_WAIT1" },
	{ 5, "FIN_WAIT2" },
	{ 6, "TIME_WAIT" },
	{ 7, "CLOSE" },
	{ 8, "CLOSE_WAIT" },
	{ 9, "LAST_ACK" },
	{ 10, "LISTEN" },
	{ 11, "CLOSING" },
	{ 12, "NEW_SYN_RECV" },
};

TEST(every_kernel_state_has_its_name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kernel_states); i++)
		ASSERT_STREQ(kernel_states[i].name,
			     tcpstate_state_name(kernel_states[i].state));
}

TEST(out_of_range_is_unknown)
{
	ASSERT_STREQ("UNKNOWN", tcpstate_state_name(0));
	ASSERT_STREQ("UNKNOWN", tcpstate_state_name(13));
	ASSERT_STREQ("UNKNOWN", tcpstate_state_name(255));
	ASSERT_STREQ("UNKNOWN", tcpstate_state_name(256));
	ASSERT_STREQ("UNKNOWN", tcpstate_state_name(UINT_MAX));
}

TEST(names_are_distinct)
{
	unsigned int a, b;

	for (a = 1; a <= 12; a++)
		for (b = a + 1; b <= 12; b++)
			ASSERT_STRNE(tcpstate_state_name(a),
				     tcpstate_state_name(b));
}

/* An event type's name is its enum name without TCPSTATE_EV_. */
#define EV(name) [TCPSTATE_EV_##name] = #name

TEST(event_type_names)
{
	static const char *const want[] = {
		EV(STATE), EV(SYN_RECV), EV(SYN_RECV_END), EV(SYNACK_RETRANS),
		EV(ACCEPT_QUEUED), EV(ACK_DROP), EV(SYN_DROP),
		EV(SYNCOOKIE_SENT), EV(TIMEWAIT), EV(TIMEWAIT_END),
		EV(TIMEWAIT_SUBSTATE), EV(RST_SENT), EV(RST_RECEIVED),
	};
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(want); i++)
		ASSERT_STREQ(want[i], tcpstate_event_type_name(i));
	ASSERT_EQ(NULL, tcpstate_event_type_name(0));
	ASSERT_EQ(NULL, tcpstate_event_type_name(ARRAY_SIZE(want)));
	ASSERT_EQ(NULL, tcpstate_event_type_name(65535));
	ASSERT_EQ(NULL, tcpstate_event_type_name(UINT_MAX));
}

/* Each reason table: every value named, nothing outside, 0 included. */
TEST(syn_recv_end_names)
{
	ASSERT_STREQ("completed",
		     tcpstate_syn_recv_end_name(TCPSTATE_SRE_COMPLETED));
	ASSERT_STREQ("expired", tcpstate_syn_recv_end_name(TCPSTATE_SRE_EXPIRED));
	ASSERT_STREQ("dropped", tcpstate_syn_recv_end_name(TCPSTATE_SRE_DROPPED));
	ASSERT_STREQ("listener_closed",
		     tcpstate_syn_recv_end_name(TCPSTATE_SRE_LISTENER_CLOSED));
	ASSERT_STREQ("migrated",
		     tcpstate_syn_recv_end_name(TCPSTATE_SRE_MIGRATED));
	ASSERT_EQ(NULL, tcpstate_syn_recv_end_name(0));
	ASSERT_EQ(NULL, tcpstate_syn_recv_end_name(TCPSTATE_SRE_MIGRATED + 1));
	ASSERT_EQ(NULL, tcpstate_syn_recv_end_name(255));
	ASSERT_EQ(NULL, tcpstate_syn_recv_end_name(UINT_MAX));
}

TEST(drop_reason_names)
{
	ASSERT_STREQ("accept_queue_full",
		     tcpstate_drop_reason_name(TCPSTATE_DROP_ACCEPT_QUEUE_FULL));
	ASSERT_STREQ("syn_queue_full",
		     tcpstate_drop_reason_name(TCPSTATE_DROP_SYN_QUEUE_FULL));
	ASSERT_STREQ("other", tcpstate_drop_reason_name(TCPSTATE_DROP_OTHER));
	ASSERT_EQ(NULL, tcpstate_drop_reason_name(0));
	ASSERT_EQ(NULL, tcpstate_drop_reason_name(TCPSTATE_DROP_OTHER + 1));
	ASSERT_EQ(NULL, tcpstate_drop_reason_name(255));
	ASSERT_EQ(NULL, tcpstate_drop_reason_name(UINT_MAX));
}

TEST(timewait_end_names)
{
	ASSERT_STREQ("expired", tcpstate_timewait_end_name(TCPSTATE_TWE_EXPIRED));
	ASSERT_STREQ("reused", tcpstate_timewait_end_name(TCPSTATE_TWE_REUSED));
	ASSERT_STREQ("rst", tcpstate_timewait_end_name(TCPSTATE_TWE_RST));
	ASSERT_STREQ("netns_exit",
		     tcpstate_timewait_end_name(TCPSTATE_TWE_NETNS_EXIT));
	ASSERT_EQ(NULL, tcpstate_timewait_end_name(0));
	ASSERT_EQ(NULL,
		  tcpstate_timewait_end_name(TCPSTATE_TWE_NETNS_EXIT + 1));
	ASSERT_EQ(NULL, tcpstate_timewait_end_name(255));
	ASSERT_EQ(NULL, tcpstate_timewait_end_name(UINT_MAX));
}

/* Every reason the uapi lists has its name; the errnos of sk_err too. */
TEST(rst_reason_and_errno_names)
{
	static const char *const want[] = TCPSTATE_RST_NAMES;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		ASSERT_STREQ(want[i], tcpstate_rst_reason_name(i));
	ASSERT_EQ(NULL, tcpstate_rst_reason_name(TCPSTATE_NR_RST_REASONS));
	ASSERT_EQ(NULL, tcpstate_rst_reason_name(UINT_MAX));
	ASSERT_STREQ("abort_on_close",
		     tcpstate_reason_name(TCPSTATE_EV_RST_SENT,
					  TCPSTATE_RST_ABORT_ON_CLOSE));
	ASSERT_STREQ("ECONNREFUSED", tcpstate_errno_name(ECONNREFUSED));
	ASSERT_STREQ("ETIMEDOUT", tcpstate_errno_name(ETIMEDOUT));
	ASSERT_STREQ("ECONNRESET", tcpstate_errno_name(ECONNRESET));
	ASSERT_STREQ("EHOSTUNREACH", tcpstate_errno_name(EHOSTUNREACH));
	ASSERT_EQ(NULL, tcpstate_errno_name(0));
	ASSERT_STREQ("ENOENT", tcpstate_errno_name(ENOENT));
	ASSERT_EQ(NULL, tcpstate_errno_name(65535));
}

TEST_HARNESS_MAIN
