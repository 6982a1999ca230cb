// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_state_name() against the kernel's TCP state numbers
 * (include/net/tcp_states.h) and the names ss and the
 * sock:inet_sock_set_state tracepoint use.
 */
#include <limits.h>

#include "kselftest_harness.h"
#include "ring_reader.h"

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

TEST_HARNESS_MAIN
