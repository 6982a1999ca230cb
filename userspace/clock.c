// SPDX-License-Identifier: GPL-2.0
/*
 * Clocks and periodic ticks; see clock.h.
 */
#include <time.h>

#include "clock.h"

static __s64 timespec_ns(const struct timespec *ts)
{
	return (__s64)ts->tv_sec * (__s64)NSEC_PER_SEC + ts->tv_nsec;
}

__u64 clock_mono_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux; 0 only delays a tick. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

__s64 tcpstate_mono_to_real_ns(void)
{
	struct timespec mono_before, real, mono_after;

	/* Bracket the realtime read with two monotonic ones and use their
	 * midpoint, so being descheduled between the reads costs at most
	 * half the gap instead of all of it.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &mono_before) ||
	    clock_gettime(CLOCK_REALTIME, &real) ||
	    clock_gettime(CLOCK_MONOTONIC, &mono_after))
		return 0;
	return timespec_ns(&real) -
	       (timespec_ns(&mono_before) +
		(timespec_ns(&mono_after) - timespec_ns(&mono_before)) / 2);
}

int clock_ms_until(__u64 now, __u64 deadline, int max_ms)
{
	__u64 wait_ms;

	if (deadline <= now)
		return 0;
	wait_ms = (deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	return wait_ms < (__u64)max_ms ? (int)wait_ms : max_ms;
}

__u64 clock_next_tick(__u64 next, __u64 now, __u64 interval)
{
	next += interval;
	if (next <= now)
		next += ((now - next) / interval + 1) * interval;
	return next;
}
