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
#define STATUS_LINE_MAX	512
/* Room for the missed-probes warning, NUL included. */
#define MISSED_LINE_MAX	256
/* Without -i, how often the stream looks at probes_missed_since_seed. */
#define MISSED_CHECK_MS	1000ULL

struct status {
	__u64 interval_ns;	/* 0: off */
	__u64 next_ns;		/* CLOCK_MONOTONIC deadline of the next line */
	__u64 prev_ns;		/* when prev was read */
	struct tcpstate_counters prev;
	/* The missed-probes warning (status_note_missed). */
	int json;		/* -j: also a warning object on stdout */
	int miss_check;		/* without -i: the counters can be read */
	__u64 next_miss_ns;	/* ... and when to look again */
	int missed_warned;	/* said since probes_missed_since_seed left 0 */
	int first_note;		/* the first reading not looked at yet */
};

/*
 * Take the first reading (on @fd, the device at @path), which the first
 * line's rates start from. Returns 0, or -errno (explained on stderr)
 * when @interval_ms is not 0 and the counters cannot be read. Without -i
 * (@interval_ms 0) the reading only serves the missed-probes warning,
 * which a module without counters silently goes without; the first
 * status_tick() looks at this reading, after the stream's first line.
 * @json: the stream is JSON (-j).
 */
int status_start(struct status *st, int fd, const char *path,
		 unsigned long long interval_ms, int json);

/*
 * Print the status line if its deadline has passed, and set @timeout_ms to
 * how long poll() may sleep: until the next deadline, at most @max_ms.
 * Without -i, look at probes_missed_since_seed every MISSED_CHECK_MS
 * instead. Each reading goes through status_note_missed(). Returns 0, or
 * -errno once the counters cannot be read for -i (explained on stderr).
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
 * as 0; @elapsed_ns 0 gives rates of 0. While @now's
 * probes_missed_since_seed is not 0 the line ends with
 *
 *   | GAUGES INEXACT: M probes missed (--reseed)
 *
 * so that a scan for trouble finds it on every line, and only then.
 */
int tcpstate_format_status(char *buf, size_t len,
			   const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   __u64 elapsed_ns);

/*
 * probes_missed_since_seed of @c, 0 from a module that does not fill it.
 */
__u64 counters_missed_since_seed(const struct tcpstate_counters *c);

/*
 * The warning for @missed probes missed since the gauges were counted,
 * without newline and without the "tcpstate-watch: " prefix:
 *
 *   M probes missed since the gauges were counted: SYN_RECV and TIME_WAIT
 *   may be inexact; 'tcpstate-watch --reseed' counts them again
 *
 * Returns its length, or -ENOSPC (truncated).
 */
int tcpstate_format_missed(char *buf, size_t len, __u64 missed);

/*
 * Say that warning once on stderr when @c's probes_missed_since_seed
 * leaves 0, and again after a reseed set it back to 0 and it left 0
 * again; with st->json also as a JSON line on stdout:
 *
 *   {"type":"warning","warning":"gauges_inexact",
 *    "probes_missed_since_seed":M,"remedy":"tcpstate-watch --reseed"}
 */
void status_note_missed(struct status *st, const struct tcpstate_counters *c);

/*
 * Explain on stderr TCPSTATE_IOC_GET_COUNTERS failing with @rc on @path;
 * @hint ends the ENOTTY one (what to do without the counters).
 */
void status_counters_failed(const char *path, int rc, const char *hint);

#endif /* TCPSTATE_STATUS_H */
