/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text form of tcpstate events, one line per event, in fixed-width columns
 * so that output lines up and stays greppable:
 *
 * TIME            NETNS      SKID             LOCAL                    REMOTE                TRANSITION
 * 12:01:02.123456 4026531840 1a2b3c4d5e6f7a8b 127.0.0.1:41234       -> 127.0.0.1:8080        CLOSE -> SYN_SENT
 *
 * IPv6 endpoints print as [ADDR]:PORT and may overflow their column.
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

/* Room for any line tcpstate_format_event() writes, NUL included. */
#define TCPSTATE_LINE_MAX	256

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

/* Local wall-clock time of @mono_ns as HH:MM:SS.uuuuuu. */
int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns);

/*
 * ADDR:PORT for AF_INET, [ADDR]:PORT for AF_INET6, family=N for any other
 * family. @addr is 16 bytes, IPv4 in the first 4.
 */
int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port);

/*
 * One event line, without newline. The last column is "OLD -> NEW" for a
 * state change and "type=N" for an event type this reader does not know.
 */
int tcpstate_format_event(char *buf, size_t len,
			  const struct tcpstate_event *ev,
			  __s64 mono_to_real_ns);

#endif /* TCPSTATE_FORMAT_H */
