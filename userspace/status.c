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
	__u64 missed = counters_missed_since_seed(now);
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
	if (missed)
		tb_printf(&tb, " | GAUGES INEXACT: %llu probes missed (--reseed)",
			  (unsigned long long)missed);
	return tb_end(&tb);
}

__u64 counters_missed_since_seed(const struct tcpstate_counters *c)
{
	return c->nr > TCPSTATE_C_PROBES_MISSED_SINCE_SEED ?
	       c->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] : 0;
}

int tcpstate_format_missed(char *buf, size_t len, __u64 missed)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_printf(&tb, "%llu probes missed since the gauges were counted: SYN_RECV and TIME_WAIT may be inexact; '" PROG " --reseed' counts them again",
		  (unsigned long long)missed);
	return tb_end(&tb);
}

void status_note_missed(struct status *st, const struct tcpstate_counters *c)
{
	char line[MISSED_LINE_MAX];
	__u64 missed = counters_missed_since_seed(c);

	if (!missed) {
		st->missed_warned = 0;
		return;
	}
	if (st->missed_warned)
		return;
	st->missed_warned = 1;
	tcpstate_format_missed(line, sizeof(line), missed);
	fprintf(stderr, PROG ": %s\n", line);
	if (st->json)
		printf("{\"type\":\"warning\",\"warning\":\"gauges_inexact\",\"probes_missed_since_seed\":%llu,\"remedy\":\"" PROG " --reseed\"}\n",
		       (unsigned long long)missed);
}

int status_start(struct status *st, int fd, const char *path,
		 unsigned long long interval_ms, int json)
{
	int rc;

	memset(st, 0, sizeof(*st));
	st->json = json;
	rc = tcpstate_counters_read(fd, &st->prev);
	if (!interval_ms) {
		/* Only for the warning: a module without counters has
		 * nothing to warn about.
		 */
		if (rc)
			return 0;
		st->miss_check = 1;
		st->first_note = 1;
		st->next_miss_ns = clock_mono_ns() +
				   MISSED_CHECK_MS * NSEC_PER_MSEC;
		return 0;
	}
	if (rc) {
		status_counters_failed(path, rc, ", or run without -i");
		return rc;
	}
	st->first_note = 1;
	st->interval_ns = interval_ms * NSEC_PER_MSEC;
	st->prev_ns = clock_mono_ns();
	st->next_ns = st->prev_ns + st->interval_ns;
	return 0;
}

/* Without -i: the missed-probes warning alone, every MISSED_CHECK_MS. */
static void missed_tick(struct status *st, int fd, __u64 now)
{
	struct tcpstate_counters c;

	if (!st->miss_check || now < st->next_miss_ns)
		return;
	/* The stream goes on without the warning rather than failing. */
	if (tcpstate_counters_read(fd, &c)) {
		st->miss_check = 0;
		return;
	}
	status_note_missed(st, &c);
	st->next_miss_ns = now + MISSED_CHECK_MS * NSEC_PER_MSEC;
}

int status_tick(struct status *st, int fd, const char *path, int max_ms,
		int *timeout_ms)
{
	char line[STATUS_LINE_MAX];
	struct tcpstate_counters now_c;
	__u64 now = clock_mono_ns();
	int rc;

	*timeout_ms = max_ms;
	/* The first reading's warning, once the output has begun. */
	if (st->first_note) {
		st->first_note = 0;
		status_note_missed(st, &st->prev);
	}
	if (!st->interval_ns) {
		missed_tick(st, fd, now);
		return 0;
	}

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
		status_note_missed(st, &now_c);
		st->prev = now_c;
		st->prev_ns = now;
		st->next_ns = clock_next_tick(st->next_ns, now,
					      st->interval_ns);
	}
	*timeout_ms = clock_ms_until(now, st->next_ns, max_ms);
	return 0;
}
