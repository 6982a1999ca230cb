/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --summary: how many sequences of each kind, and the percentiles of
 * handshake, SYN-queue and TIME_WAIT times.
 *
 * Times are counted in a log-linear histogram, so that a run of any length
 * takes the same memory (about 60 KiB per metric): values below 256 ns
 * exactly, larger ones in buckets 1/128 of their power of two wide. A
 * percentile is the nearest-rank one (the smallest value with at least
 * p% of the samples at or below it), reported as the upper end of its
 * bucket, never above the largest sample: at most 1/128 (0.8%) above the
 * exact value, never below it. The maximum is exact.
 */
#ifndef TCPSTATE_SUMMARY_H
#define TCPSTATE_SUMMARY_H

#include <stdio.h>

#include "sequence.h"

#define HIST_EXACT	256U	/* values below are their own bucket */
#define HIST_SUB	128U	/* buckets per power of two above */
/* 2^8 .. 2^63: 56 powers of two. */
#define HIST_BUCKETS	(HIST_EXACT + 56U * HIST_SUB)

struct hist {
	unsigned long long count;
	unsigned long long max;
	unsigned long long bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, unsigned long long v);

/*
 * The @pct-th percentile (1..100), as described above; SEQ_NONE when the
 * histogram is empty.
 */
unsigned long long hist_percentile(const struct hist *h, unsigned int pct);

enum summary_metric {
	SUM_HANDSHAKE,		/* active_open, passive_open: handshake_ns */
	SUM_SYN_QUEUE,		/* any record's syn_queue_ns */
	SUM_TIME_WAIT,		/* any record's time_wait_ns */
	SUM_NR_METRICS,
};

struct summary {
	unsigned long long count[SEQ_NR_KINDS];
	unsigned long long records;
	struct hist metric[SUM_NR_METRICS];
};

/* Zeroed, or NULL when out of memory. */
struct summary *summary_new(void);
void summary_free(struct summary *s);

/* Count @rec and its times. */
void summary_add(struct summary *s, const struct seq_record *rec);

/* "handshake", "syn_queue", "time_wait". */
const char *summary_metric_name(enum summary_metric m);

/* What the run adds besides the records. */
struct summary_run {
	unsigned long long events;	/* read from the ring */
	unsigned long long dropped;	/* dropped by the ring */
	unsigned long long evicted;	/* connections forgotten at the cap */
};

/*
 * The summary as text: a KIND COUNT table with every kind, then a METRIC
 * COUNT P50 P90 P99 MAX table (durations as in the sequence view), then
 * the run's counts. Returns 0, or -errno if writing failed.
 */
int summary_print_text(FILE *out, const struct summary *s,
		       const struct summary_run *run);

/*
 * The same as one JSON line: {"type":"summary","records":N,
 * "counts":{KIND:N,...},"handshake_ns":{"count":N,"p50":N,"p90":N,
 * "p99":N,"max":N},"syn_queue_ns":{...},"time_wait_ns":{...},
 * "events":N,"dropped":N,"evicted":N}; percentiles null when count is 0.
 */
int summary_print_json(FILE *out, const struct summary *s,
		       const struct summary_run *run);

#endif /* TCPSTATE_SUMMARY_H */
