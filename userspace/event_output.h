/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events as they come out of the ring, one line each: text (-e) and JSON
 * (-e -j), side by side so that the two cannot drift apart.
 *
 * Text: fixed-width columns, so that output lines up and stays greppable:
 *
 * TIME            NETNS      SKID             LOCAL                    REMOTE                TRANSITION
 * 12:01:02.123456 4026531840 1a2b3c4d5e6f7a8b 127.0.0.1:41234       -> 127.0.0.1:8080        CLOSE -> SYN_SENT
 * 12:01:02.123457 4026531840 00000000000000a1 127.0.0.1:8080        -> 127.0.0.1:41234       SYN_RECV qlen=1/128
 *
 * IPv6 endpoints print as [ADDR]:PORT and may overflow their column.
 *
 * The TRANSITION column describes the event, by type:
 *
 *   STATE            OLD -> NEW
 *   SYN_RECV         SYN_RECV qlen=QLEN/QMAX
 *   SYN_RECV_END     SYN_RECV_END REASON retrans=COUNT qlen=QLEN
 *                    ... child=PEER when REASON is "completed"
 *   SYNACK_RETRANS   SYNACK_RETRANS #COUNT
 *   ACCEPT_QUEUED    ACCEPT_QUEUED qlen=QLEN/QMAX
 *   ACK_DROP         ACK_DROP REASON qlen=QLEN/QMAX
 *   SYN_DROP         SYN_DROP REASON qlen=QLEN/QMAX
 *   SYNCOOKIE_SENT   SYNCOOKIE_SENT
 *   TIMEWAIT         TIMEWAIT OLD -> NEW from=PEER
 *   TIMEWAIT_SUBSTATE  TIMEWAIT_SUBSTATE OLD -> NEW
 *   TIMEWAIT_END     TIMEWAIT_END REASON NEW
 *   anything else    type=N
 *
 * PEER is a socket id printed like SKID, so that grepping one id follows a
 * connection from its request sock to its timewait sock. There is no PEER
 * column: most types' peer is the listener, which LOCAL already names, and
 * a column would move the fields of the STATE lines that scripts split.
 * A reason outside its enum prints as unknown(N), a state as UNKNOWN.
 *
 * JSON: one object per line, "type":"event", every key always present
 * (null when the event type does not fill it), documented in
 * tcpstate-watch(8).
 */
#ifndef TCPSTATE_EVENT_OUTPUT_H
#define TCPSTATE_EVENT_OUTPUT_H

#include <stddef.h>

#include "tcpstate.h"
#include "textbuf.h"

/* Room for any line tcpstate_format_event() writes, NUL included. */
#define TCPSTATE_LINE_MAX	256

/*
 * Each writes a NUL-terminated line, without newline, into @buf (@len
 * bytes) and returns its length, or -ENOSPC (textbuf.h's overflow rule).
 */

/* The column header line. */
int tcpstate_format_header(char *buf, size_t len);
/* The same with LOCAL and REMOTE @endpoint_width wide (-w). */
int tcpstate_format_header_w(char *buf, size_t len, int endpoint_width);

/* One event line; the last column as described at the top of this file. */
int tcpstate_format_event(char *buf, size_t len,
			  const struct tcpstate_event *ev,
			  __s64 mono_to_real_ns);
/* The same with LOCAL and REMOTE @endpoint_width wide (-w). */
int tcpstate_format_event_w(char *buf, size_t len,
			    const struct tcpstate_event *ev,
			    __s64 mono_to_real_ns, int endpoint_width);

/* One event as a JSON object, "type":"event". */
int out_event_json(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o);

#endif /* TCPSTATE_EVENT_OUTPUT_H */
