/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Clocks and periodic ticks, for the main loop, the -i status line and
 * the --prometheus writer. Events carry CLOCK_MONOTONIC times; the
 * outputs turn them into wall-clock times with tcpstate_mono_to_real_ns().
 */
#ifndef TCPSTATE_CLOCK_H
#define TCPSTATE_CLOCK_H

#include "tcpstate.h"

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

/* CLOCK_MONOTONIC now, in ns; 0 if it cannot be read (never on Linux). */
__u64 clock_mono_ns(void);

/*
 * Offset to add to a CLOCK_MONOTONIC time to get CLOCK_REALTIME, in ns,
 * measured now. Returns 0 if a clock cannot be read.
 */
__s64 tcpstate_mono_to_real_ns(void);

/*
 * Milliseconds from @now to @deadline (ns), rounded up (rounding down
 * would wake just before it and spin), at most @max_ms; 0 once passed.
 */
int clock_ms_until(__u64 now, __u64 deadline, int max_ms);

/*
 * The deadline after @next on a fixed grid of @interval ns: the first
 * grid point after @now. Slow work delays one tick but never shifts the
 * ones after it, and after a stall (SIGSTOP, a huge batch) the missed
 * ticks are skipped rather than run in a burst.
 */
__u64 clock_next_tick(__u64 next, __u64 now, __u64 interval);

#endif /* TCPSTATE_CLOCK_H */
