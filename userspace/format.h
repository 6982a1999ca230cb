/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text form of tcpstate events, one line per event, in fixed-width columns
 * so that output lines up and stays greppable:
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
 *   TIMEWAIT_END     TIMEWAIT_END REASON NEW
 *   anything else    type=N
 *
 * PEER is a socket id printed like SKID, so that grepping one id follows a
 * connection from its request sock to its timewait sock. There is no PEER
 * column: most types' peer is the listener, which LOCAL already names, and
 * a column would move the fields of the STATE lines that scripts split.
 * A reason outside its enum prints as unknown(N), a state as UNKNOWN.
 */
#ifndef TCPSTATE_FORMAT_H
#define TCPSTATE_FORMAT_H

#include <stddef.h>

#include "tcpstate.h"

/* Column widths; the header uses the same ones as the event lines. */
#define TCPSTATE_COL_TIME	15	/* HH:MM:SS.uuuuuu */
#define TCPSTATE_COL_NETNS	10	/* a 32-bit inode number */
#define TCPSTATE_COL_SKID	16	/* 64-bit id in hex */
#define TCPSTATE_COL_ENDPOINT	21	/* 255.255.255.255:65535 */
/* -w: the longest IPv6 endpoint, [ffff:...:ffff]:65535 (inet_ntop writes
 * at most 39 characters for an address that is not v4-mapped).
 */
#define TCPSTATE_COL_ENDPOINT_WIDE	47

/* Room for any line tcpstate_format_event() writes, NUL included. */
#define TCPSTATE_LINE_MAX	256

/*
 * The digits of the hand-built text and JSON lines (format.c, output.c),
 * inline because every event needs several.
 */
#define TCPSTATE_DEC_MAX	20	/* digits of ULLONG_MAX */

/* @v in decimal at the end of @digits, no NUL; returns the first digit. */
static inline char *tcpstate_digits_dec(char digits[TCPSTATE_DEC_MAX],
					unsigned long long v)
{
	char *p = digits + TCPSTATE_DEC_MAX;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* @v as "%016llx" (TCPSTATE_COL_SKID digits), no NUL. */
static inline void tcpstate_digits_hex64(char digits[TCPSTATE_COL_SKID],
					 __u64 v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = TCPSTATE_COL_SKID - 1; i >= 0; i--, v >>= 4)
		digits[i] = hex[v & 0xf];
}

/*
 * Offset to add to a CLOCK_MONOTONIC time to get CLOCK_REALTIME, in ns,
 * measured now. Returns 0 if a clock cannot be read.
 */
__s64 tcpstate_mono_to_real_ns(void);

/*
 * Each formatter writes a NUL-terminated string into @buf (@len bytes) and
 * returns its length, or -ENOSPC if it did not fit (@buf then holds a
 * truncated string).
 */

/* The column header line, without newline. */
int tcpstate_format_header(char *buf, size_t len);
/* The same with LOCAL and REMOTE @endpoint_width wide (-w). */
int tcpstate_format_header_w(char *buf, size_t len, int endpoint_width);

/* Local wall-clock time of @mono_ns as HH:MM:SS.uuuuuu. */
int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns);

/*
 * ADDR:PORT for AF_INET, [ADDR]:PORT for AF_INET6, family=N for any other
 * family. @addr is 16 bytes, IPv4 in the first 4.
 */
int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port);
/* The address alone, as above; -EAFNOSUPPORT for another family. */
int tcpstate_format_addr(char *buf, size_t len, unsigned int family,
			 const __u8 *addr);

/*
 * One event line, without newline; the last column as described at the top
 * of this file.
 */
int tcpstate_format_event(char *buf, size_t len,
			  const struct tcpstate_event *ev,
			  __s64 mono_to_real_ns);
/* The same with LOCAL and REMOTE @endpoint_width wide (-w). */
int tcpstate_format_event_w(char *buf, size_t len,
			    const struct tcpstate_event *ev,
			    __s64 mono_to_real_ns, int endpoint_width);

/*
 * The periodic status line for two readings of the same netns' counters
 * @elapsed_ns apart, without newline:
 *
 *   netns N SYN_RECV G TIME_WAIT G | +R syn/s +R tw/s, D overflows, D ring drops
 *
 * G: the gauges in @now; R: syn_queue_added and timewait_created per
 * second over the interval, one decimal; D: accept_overflows and
 * ring_drops added during the interval. A counter that went down counts
 * as 0; @elapsed_ns 0 gives rates of 0.
 */
int tcpstate_format_status(char *buf, size_t len,
			   const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   __u64 elapsed_ns);

#endif /* TCPSTATE_FORMAT_H */
