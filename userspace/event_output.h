/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events as they come out of the ring, one line each: text (-e) and JSON
 * (-e -j), side by side so that the two cannot drift apart.
 *
 * Text: fixed-width columns, so that output lines up and stays greppable:
 *
 * TIME            NETNS      SKID             LOCAL                    REMOTE                TRANSITION
 * 12:01:02.123456 4026531840 1a2b3c4d5e6f7a8b 127.0.0.1:41234       -> 127.0.0.1:8080        CLOSE -> SYN_SENT
 * 12:01:02.123457 4026531840 00000000000000a1 127.0.0.1:8080        -> 127.0.0.1:41234       SYN_RECV qlen=1/128 iss=3512345678 irs=1234567890
 *
 * IPv6 endpoints print as [ADDR]:PORT and may overflow their column.
 * --who (struct out_opts @who) puts owner.h's PID COMM UID CGROUP
 * columns before TRANSITION.
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
 *   RST_SENT         RST_SENT REASON [STATE] seq=SEQ [ack=ACK]
 *                    (no STATE: no socket, REASON no_socket; no ack=:
 *                    the RST's ACK bit is clear)
 *   RST_RECEIVED     RST_RECEIVED STATE err=ERRNO
 *   anything else    type=N
 *
 * and after any of them: err=ERRNO when the event carries a socket error
 * (a STATE line -> CLOSE, by name: ECONNREFUSED, ETIMEDOUT, ...), iss= and
 * irs= (this side's and the peer's initial sequence number, as tcpdump -S
 * prints them) where the kernel gave them: a request sock's SYN_RECV and
 * the lines of a socket leaving SYN_SENT or SYN_RECV.
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

/* Room for any line tcpstate_format_event() and out_event_text() write,
 * NUL included.
 */
#define TCPSTATE_LINE_MAX	512

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

/* The header, with the --who columns when @o->who. */
int out_event_header(char *buf, size_t len, const struct out_opts *o);
/*
 * One event line as @o says: -w, --who (the owner as owner_of_event()
 * finds it in @o->owners: call it after owner_feed()).
 */
int out_event_text(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o);

/*
 * One event as a JSON object, "type":"event", with owner.h's owner_json()
 * members (from @o->owners, else what the event itself says).
 */
int out_event_json(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o);

#endif /* TCPSTATE_EVENT_OUTPUT_H */
