// SPDX-License-Identifier: GPL-2.0
/*
 * The -i status line; see status.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "cli.h"
#include "ring_reader.h"
#include "status.h"
#include "textbuf.h"

void status_counters_failed(const char *path, int rc, const char *hint)
{
	switch (rc) {
	case -ENOTTY:
		/* GET_INFO already proved this is a tcpstate device of our
		 * ABI version: only a module from before the counters lacks
		 * the ioctl.
		 */
		fprintf(stderr,
			PROG ": %s: tcpstate.ko is older than this reader: it has no counters (TCPSTATE_IOC_GET_COUNTERS): load a newer module%s\n",
			path, hint);
		break;
	case -EPROTO:
		fprintf(stderr,
			PROG ": %s: TCPSTATE_IOC_GET_COUNTERS: module reports more than %u counters\n",
			path, TCPSTATE_MAX_COUNTERS);
		break;
	default:
		fprintf(stderr, PROG ": %s: TCPSTATE_IOC_GET_COUNTERS: %s\n",
			path, strerror(-rc));
		break;
	}
}

/* How much @idx grew from @prev to @now; a counter never shrinks, but a
 * bogus reading must not print as 18446744073709551615.
 */
static __u64 counter_delta(const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   unsigned int idx)
{
	return now->value[idx] > prev->value[idx] ?
	       now->value[idx] - prev->value[idx] : 0;
}

static double per_second(__u64 delta, __u64 elapsed_ns)
{
	return elapsed_ns ? (double)delta * NSEC_PER_SEC / (double)elapsed_ns
			  : 0.0;
}

int tcpstate_format_status(char *buf, size_t len,
			   const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   __u64 elapsed_ns)
{
	__u64 syn = counter_delta(prev, now, TCPSTATE_C_SYN_QUEUE_ADDED);
	__u64 tw = counter_delta(prev, now, TCPSTATE_C_TIMEWAIT_CREATED);
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_printf(&tb, "netns %u SYN_RECV %llu TIME_WAIT %llu | +%.1f syn/s +%.1f tw/s, %llu overflows, %llu ring drops",
		  now->netns,
		  (unsigned long long)now->value[TCPSTATE_C_SYN_RECV],
		  (unsigned long long)now->value[TCPSTATE_C_TIME_WAIT],
		  per_second(syn, elapsed_ns), per_second(tw, elapsed_ns),
		  (unsigned long long)
		  counter_delta(prev, now, TCPSTATE_C_ACCEPT_OVERFLOWS),
		  (unsigned long long)
		  counter_delta(prev, now, TCPSTATE_C_RING_DROPS));
	return tb_end(&tb);
}

int status_start(struct status *st, int fd, const char *path,
		 unsigned long long interval_ms)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (!interval_ms)
		return 0;
	rc = tcpstate_counters_read(fd, &st->prev);
	if (rc) {
		status_counters_failed(path, rc, ", or run without -i");
		return rc;
	}
	st->interval_ns = interval_ms * NSEC_PER_MSEC;
	st->prev_ns = clock_mono_ns();
	st->next_ns = st->prev_ns + st->interval_ns;
	return 0;
}

int status_tick(struct status *st, int fd, const char *path, int max_ms,
		int *timeout_ms)
{
	char line[STATUS_LINE_MAX];
	struct tcpstate_counters now_c;
	__u64 now = clock_mono_ns();
	int rc;

	*timeout_ms = max_ms;
	if (!st->interval_ns)
		return 0;

	if (now >= st->next_ns) {
		rc = tcpstate_counters_read(fd, &now_c);
		if (rc) {
			status_counters_failed(path, rc, ", or run without -i");
			return rc;
		}
		now = clock_mono_ns();
		tcpstate_format_status(line, sizeof(line), &st->prev, &now_c,
				       now - st->prev_ns);
		fprintf(stderr, PROG ": %s\n", line);
		st->prev = now_c;
		st->prev_ns = now;
		st->next_ns = clock_next_tick(st->next_ns, now,
					      st->interval_ns);
	}
	*timeout_ms = clock_ms_until(now, st->next_ns, max_ms);
	return 0;
}
