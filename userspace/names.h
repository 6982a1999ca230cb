/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every number -> name mapping of the ABI, once: the kernel's TCP states,
 * and from module/uapi/tcpstate.h the event types, the reasons of each
 * reason enum and the counters. The text and JSON outputs, the filters,
 * the Prometheus export and the kselftests all take their names from
 * here, so a name cannot differ between two outputs.
 *
 * Numbers come from the kernel: every lookup is bounded, and a value
 * without a name is NULL (or "UNKNOWN" for a TCP state, as ss prints it),
 * never an out-of-range read.
 */
#ifndef TCPSTATE_NAMES_H
#define TCPSTATE_NAMES_H

#include <stddef.h>

#include "tcpstate.h"

/*
 * @table[@idx] for a table of names indexed by an enum (designated
 * initializers, holes NULL), or NULL past its end: numbers from the
 * kernel or a newer module are never used unchecked. Every name table of
 * tcpstate-watch is read through this.
 */
#define TCPSTATE_NAME_OF(table, idx)					\
	tcpstate_name_of(table, sizeof(table) / sizeof((table)[0]), idx)

static inline const char *tcpstate_name_of(const char *const *names,
					   size_t n, unsigned int idx)
{
	return idx < n ? names[idx] : NULL;
}

/*
 * The kernel's TCP states (include/net/tcp_states.h), the numbers of an
 * event's @oldstate and @newstate. TCPS_, not TCP_: <netinet/tcp.h> has
 * the TCP_ names (without NEW_SYN_RECV), and the kselftests include both.
 */
enum tcpstate_tcp_state {
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT,
	TCPS_SYN_RECV,
	TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2,
	TCPS_TIME_WAIT,
	TCPS_CLOSE,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_LISTEN,
	TCPS_CLOSING,
	TCPS_NEW_SYN_RECV,
};

/*
 * Name of a TCP state as ss and the sock:inet_sock_set_state tracepoint
 * name it, without "TCP_": 1 -> "ESTABLISHED" ... 12 -> "NEW_SYN_RECV";
 * anything else -> "UNKNOWN".
 */
const char *tcpstate_state_name(unsigned int state);

/*
 * Name of an event type ("STATE", "SYN_RECV", ... "TIMEWAIT_SUBSTATE", as
 * in enum tcpstate_event_type without TCPSTATE_EV_), or of a reason of the
 * enum each function is named after ("completed", "accept_queue_full",
 * "expired", ...: lower case, without the prefix). NULL for a value the
 * enum does not have, 0 included.
 */
const char *tcpstate_event_type_name(unsigned int type);
const char *tcpstate_syn_recv_end_name(unsigned int reason);
const char *tcpstate_drop_reason_name(unsigned int reason);
const char *tcpstate_timewait_end_name(unsigned int reason);

/* Why this host sent an RST: "unknown", "no_socket", ... as
 * TCPSTATE_RST_NAMES has them; NULL outside enum tcpstate_rst_reason.
 */
const char *tcpstate_rst_reason_name(unsigned int reason);

/*
 * The symbolic name of a socket error as the kernel's @err carries it
 * ("ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", ...):
 * every Linux errno, by the libc's E* constants, which are the kernel's
 * numbers of the same architecture; an alias (EWOULDBLOCK) by its first
 * spelling. NULL for 0 or a number without a name.
 */
const char *tcpstate_errno_name(unsigned int err);

/*
 * The name of @reason in the enum an event of @type carries (tcpstate.h:
 * SYN_RECV_END, ACK_DROP and SYN_DROP, TIMEWAIT_END); NULL for another
 * type or a value outside the enum.
 */
const char *tcpstate_reason_name(unsigned int type, unsigned int reason);

/*
 * Name of counter @idx (enum tcpstate_counter) as /proc/net/tcpstate
 * prints it: the enum name in lower case without TCPSTATE_C_
 * ("syn_recv", ..., "ring_drops"). NULL from TCPSTATE_NR_COUNTERS on.
 */
const char *tcpstate_counter_name(unsigned int idx);

/* "ipv4", "ipv6", or NULL for a family whose addresses we do not print. */
const char *tcpstate_family_name(unsigned int family);

/* Room for "unknown(4294967295)" and its NUL. */
#define TCPSTATE_UNKNOWN_MAX	24

/*
 * @name, or "unknown(N)" written into @buf when @name is NULL: a newer
 * module may add values, and the number is what one needs to look them
 * up. Every output prints an unnamed value this way.
 */
const char *tcpstate_name_or_unknown(const char *name, unsigned int value,
				     char buf[TCPSTATE_UNKNOWN_MAX]);

#endif /* TCPSTATE_NAMES_H */
