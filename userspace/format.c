// SPDX-License-Identifier: GPL-2.0
/*
 * Text form of tcpstate events; see format.h for the line layout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"
#include "ring_reader.h"

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_USEC	1000LL

/* Turn an snprintf() result into our return convention. */
static int fitted(int n, size_t len)
{
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static __s64 timespec_ns(const struct timespec *ts)
{
	return (__s64)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
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

int tcpstate_format_header(char *buf, size_t len)
{
	/* The 4 spaces stand over the " -> " between the endpoints. */
	return fitted(snprintf(buf, len, "%-*s %-*s %-*s %-*s    %-*s %s",
			       TCPSTATE_COL_TIME, "TIME",
			       TCPSTATE_COL_NETNS, "NETNS",
			       TCPSTATE_COL_SKID, "SKID",
			       TCPSTATE_COL_ENDPOINT, "LOCAL",
			       TCPSTATE_COL_ENDPOINT, "REMOTE",
			       "TRANSITION"), len);
}

int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns)
{
	char hms[16];
	struct tm tm;
	__s64 real_ns;
	time_t sec;

	/* A timestamp that cannot be a wall-clock time prints as the epoch
	 * rather than overflowing.
	 */
	if (mono_ns > (__u64)INT64_MAX ||
	    __builtin_add_overflow((__s64)mono_ns, mono_to_real_ns, &real_ns) ||
	    real_ns < 0)
		real_ns = 0;

	sec = (time_t)(real_ns / NSEC_PER_SEC);
	if (!localtime_r(&sec, &tm) ||
	    !strftime(hms, sizeof(hms), "%H:%M:%S", &tm))
		return fitted(snprintf(buf, len, "??:??:??.??????"), len);
	return fitted(snprintf(buf, len, "%s.%06lld", hms,
			       (long long)(real_ns % NSEC_PER_SEC / NSEC_PER_USEC)),
		      len);
}

int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port)
{
	char ip[INET6_ADDRSTRLEN];

	switch (family) {
	case AF_INET:
		if (!inet_ntop(AF_INET, addr, ip, sizeof(ip)))
			break;
		return fitted(snprintf(buf, len, "%s:%u", ip, port), len);
	case AF_INET6:
		if (!inet_ntop(AF_INET6, addr, ip, sizeof(ip)))
			break;
		return fitted(snprintf(buf, len, "[%s]:%u", ip, port), len);
	}
	return fitted(snprintf(buf, len, "family=%u", family), len);
}

int tcpstate_format_event(char *buf, size_t len,
			  const struct tcpstate_event *ev,
			  __s64 mono_to_real_ns)
{
	char when[32], local[64], remote[64], transition[40];

	/* The parts are sized for their longest value and cannot fail. */
	tcpstate_format_time(when, sizeof(when), ev->ts_ns, mono_to_real_ns);
	tcpstate_format_endpoint(local, sizeof(local), ev->family,
				 ev->saddr, ev->sport);
	tcpstate_format_endpoint(remote, sizeof(remote), ev->family,
				 ev->daddr, ev->dport);
	if (ev->type == TCPSTATE_EV_STATE)
		snprintf(transition, sizeof(transition), "%s -> %s",
			 tcpstate_state_name(ev->oldstate),
			 tcpstate_state_name(ev->newstate));
	else
		snprintf(transition, sizeof(transition), "type=%u", ev->type);

	return fitted(snprintf(buf, len, "%-*s %-*u %0*llx %-*s -> %-*s %s",
			       TCPSTATE_COL_TIME, when,
			       TCPSTATE_COL_NETNS, ev->netns,
			       TCPSTATE_COL_SKID,
			       (unsigned long long)ev->sock_id,
			       TCPSTATE_COL_ENDPOINT, local,
			       TCPSTATE_COL_ENDPOINT, remote,
			       transition), len);
}
