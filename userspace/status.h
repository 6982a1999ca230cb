/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -i status line: every interval, on stderr, the SYN_RECV and
 * TIME_WAIT gauges of this network namespace and what the counters say
 * happened since the last line. Also the explanation of a failed
 * TCPSTATE_IOC_GET_COUNTERS, which --counters shares.
 *
 * Deadlines sit on a fixed grid from the start (start + k * interval), so
 * slow batches delay a line but never shift the ones after it; rates
 * divide by the time actually elapsed between the two readings, so a late
 * line is still exact.
 */
#ifndef TCPSTATE_STATUS_H
#define TCPSTATE_STATUS_H

#include <stddef.h>

#include "tcpstate.h"

/* Room for any status line, NUL included. */
#define STATUS_LINE_MAX	256

struct status {
	__u64 interval_ns;	/* 0: off */
	__u64 next_ns;		/* CLOCK_MONOTONIC deadline of the next line */
	__u64 prev_ns;		/* when prev was read */
	struct tcpstate_counters prev;
};

/*
 * Take the first reading (on @fd, the device at @path), which the first
 * line's rates start from; nothing when @interval_ms is 0. Returns 0, or
 * -errno (explained on stderr).
 */
int status_start(struct status *st, int fd, const char *path,
		 unsigned long long interval_ms);

/*
 * Print the status line if its deadline has passed, and set @timeout_ms to
 * how long poll() may sleep: until the next deadline, at most @max_ms.
 * Returns 0, or -errno once the counters cannot be read (explained on
 * stderr).
 */
int status_tick(struct status *st, int fd, const char *path, int max_ms,
		int *timeout_ms);

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

/*
 * Explain on stderr TCPSTATE_IOC_GET_COUNTERS failing with @rc on @path;
 * @hint ends the ENOTTY one (what to do without the counters).
 */
void status_counters_failed(const char *path, int rc, const char *hint);

#endif /* TCPSTATE_STATUS_H */
