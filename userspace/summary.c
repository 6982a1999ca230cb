// SPDX-License-Identifier: GPL-2.0
/*
 * --summary; see summary.h for the histogram and its precision.
 */
#include <errno.h>
#include <stdlib.h>

#include "names.h"
#include "sequence_output.h"
#include "summary.h"

/* The bucket of @v: HIST_SUB per power of two from HIST_EXACT up. */
static unsigned int bucket_of(unsigned long long v)
{
	unsigned int msb, shift;

	if (v < HIST_EXACT)
		return (unsigned int)v;
	msb = 63U - (unsigned int)__builtin_clzll(v);	/* 8 .. 63 */
	shift = msb - 7U;	/* so that v >> shift is 128 .. 255 */
	return HIST_EXACT + (msb - 8U) * HIST_SUB +
	       (unsigned int)(v >> shift) - HIST_SUB;
}

/* The largest value bucket @idx holds. */
static unsigned long long bucket_upper(unsigned int idx)
{
	unsigned int msb, sub, shift;

	if (idx < HIST_EXACT)
		return idx;
	msb = 8U + (idx - HIST_EXACT) / HIST_SUB;
	sub = HIST_SUB + (idx - HIST_EXACT) % HIST_SUB;
	shift = msb - 7U;
	/* For the top bucket this wraps to 0 and the - 1 to the maximum,
	 * which is its upper end.
	 */
	return ((unsigned long long)(sub + 1U) << shift) - 1ULL;
}

void hist_add(struct hist *h, unsigned long long v)
{
	h->bucket[bucket_of(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

unsigned long long hist_percentile(const struct hist *h, unsigned int pct)
{
	unsigned long long rank, seen = 0, upper;
	unsigned int i;

	if (!h->count)
		return SEQ_NONE;
	if (pct > 100)
		pct = 100;
	/* Nearest rank: ceil(pct / 100 * count), at least the first. */
	rank = (h->count / 100) * pct + ((h->count % 100) * pct + 99) / 100;
	if (!rank)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			upper = bucket_upper(i);
			return upper < h->max ? upper : h->max;
		}
	}
	return h->max;
}

struct summary *summary_new(void)
{
	return calloc(1, sizeof(struct summary));
}

void summary_free(struct summary *s)
{
	free(s);
}

void summary_add(struct summary *s, const struct seq_record *rec)
{
	if (rec->kind > 0 && rec->kind < SEQ_NR_KINDS)
		s->count[rec->kind]++;
	s->records++;
	if ((rec->kind == SEQ_ACTIVE_OPEN || rec->kind == SEQ_PASSIVE_OPEN) &&
	    rec->handshake_ns != SEQ_NONE)
		hist_add(&s->metric[SUM_HANDSHAKE], rec->handshake_ns);
	if (rec->syn_queue_ns != SEQ_NONE)
		hist_add(&s->metric[SUM_SYN_QUEUE], rec->syn_queue_ns);
	if (rec->time_wait_ns != SEQ_NONE)
		hist_add(&s->metric[SUM_TIME_WAIT], rec->time_wait_ns);
}

static const char *const metric_names[] = {
	[SUM_HANDSHAKE] = "handshake",
	[SUM_SYN_QUEUE] = "syn_queue",
	[SUM_TIME_WAIT] = "time_wait",
};

const char *summary_metric_name(enum summary_metric m)
{
	return TCPSTATE_NAME_OF(metric_names, m);
}

static const unsigned int percentiles[] = { 50, 90, 99 };

int summary_print_text(FILE *out, const struct summary *s,
		       const struct summary_run *run)
{
	char d[32];
	unsigned int k, m, i;

	fprintf(out, "%-*s %12s\n", OUT_COL_KIND, "KIND", "COUNT");
	for (k = 1; k < SEQ_NR_KINDS; k++)
		fprintf(out, "%-*s %12llu\n", OUT_COL_KIND, seq_kind_name(k),
			s->count[k]);
	fprintf(out, "%-*s %12llu\n\n", OUT_COL_KIND, "total", s->records);

	fprintf(out, "%-*s %12s %10s %10s %10s %10s\n", OUT_COL_KIND,
		"METRIC", "COUNT", "P50", "P90", "P99", "MAX");
	for (m = 0; m < SUM_NR_METRICS; m++) {
		const struct hist *h = &s->metric[m];

		fprintf(out, "%-*s %12llu", OUT_COL_KIND,
			summary_metric_name(m), h->count);
		for (i = 0; i < sizeof(percentiles) / sizeof(percentiles[0]);
		     i++) {
			out_duration(d, sizeof(d),
				     hist_percentile(h, percentiles[i]), "-");
			fprintf(out, " %10s", d);
		}
		out_duration(d, sizeof(d), h->count ? h->max : SEQ_NONE, "-");
		fprintf(out, " %10s\n", d);
	}
	fprintf(out, "\n%llu events, %llu dropped by the ring, %llu connections evicted\n",
		run->events, run->dropped, run->evicted);
	return ferror(out) ? -EIO : 0;
}

static void json_ns(FILE *out, unsigned long long v)
{
	if (v == SEQ_NONE)
		fputs("null", out);
	else
		fprintf(out, "%llu", v);
}

int summary_print_json(FILE *out, const struct summary *s,
		       const struct summary_run *run)
{
	unsigned int k, m, i;

	fprintf(out, "{\"type\":\"summary\",\"records\":%llu,\"counts\":{",
		s->records);
	for (k = 1; k < SEQ_NR_KINDS; k++)
		fprintf(out, "%s\"%s\":%llu", k > 1 ? "," : "",
			seq_kind_name(k), s->count[k]);
	fputs("}", out);
	for (m = 0; m < SUM_NR_METRICS; m++) {
		const struct hist *h = &s->metric[m];

		fprintf(out, ",\"%s_ns\":{\"count\":%llu",
			summary_metric_name(m), h->count);
		for (i = 0; i < sizeof(percentiles) / sizeof(percentiles[0]);
		     i++) {
			fprintf(out, ",\"p%u\":", percentiles[i]);
			json_ns(out, hist_percentile(h, percentiles[i]));
		}
		fputs(",\"max\":", out);
		json_ns(out, h->count ? h->max : SEQ_NONE);
		fputs("}", out);
	}
	fprintf(out, ",\"events\":%llu,\"dropped\":%llu,\"evicted\":%llu}\n",
		run->events, run->dropped, run->evicted);
	return ferror(out) ? -EIO : 0;
}
